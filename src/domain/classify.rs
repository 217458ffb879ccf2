//! Telling a CV from a cover letter ("lettre de motivation"), first by the file
//! name the candidate gave, then by the document's text.
//!
//! Pure functions, no I/O. Both answer `None` when they are not confident: a
//! wrong answer costs more than no answer, because the caller falls back from
//! the name to the text, and from the text to "other" plus a
//! `missing_cv`/`missing_letter` flag that a person will look at.
//!
//! Matching is done on folded text (NFKD, accents stripped, lowercase,
//! punctuation turned into spaces), so "Compétences", "COMPETENCES" and
//! "compétences :" are the same cue.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::domain::document::DocumentKind;

/// Only the beginning of a document is scored: the cues that matter (headings,
/// salutation, closing formula of a one-page letter) are there, and the cost
/// stays bounded on huge inputs.
const MAX_TEXT_CHARS: usize = 20_000;

/// File names longer than this are cut before folding (display names are capped
/// at 255 bytes anyway).
const MAX_NAME_CHARS: usize = 512;

// ---------------------------------------------------------------------------
// Folding and tokenizing
// ---------------------------------------------------------------------------

/// Strips accents and expands the ligatures NFKD leaves alone (French "œ").
fn base_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(|c| {
        let (a, b) = match c {
            'œ' => ('o', Some('e')),
            'Œ' => ('O', Some('E')),
            'æ' => ('a', Some('e')),
            'Æ' => ('A', Some('E')),
            'ß' => ('s', Some('s')),
            _ => (c, None),
        };
        std::iter::once(a).chain(b)
    })
}

/// Folded words of `s`: accents stripped, lowercase, split on anything that is
/// not a letter or digit.
fn fold_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in base_chars(s) {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// Splits a file name into lowercase tokens, also at camel-case and
/// letter/digit boundaries: "MonCV2021" gives ["mon", "cv", "2021"],
/// "CVDupont" gives ["cv", "dupont"]. Lowercase runs stay whole ("cvdupont"),
/// because nothing tells where the words meet.
fn name_tokens(name: &str) -> Vec<String> {
    let chars: Vec<char> = base_chars(name).collect();
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next = chars.get(i + 1).copied();
            let boundary = prev.is_alphanumeric()
                && ((prev.is_numeric() != c.is_numeric())
                    || (prev.is_lowercase() && c.is_uppercase())
                    || (prev.is_uppercase()
                        && c.is_uppercase()
                        && next.is_some_and(char::is_lowercase)));
            if boundary && !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

// ---------------------------------------------------------------------------
// File names
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Pos {
    /// The token is the cue.
    Whole,
    /// The token is the cue or starts with it ("lettres", "lettredemotivation").
    Prefix,
    /// Whole, prefix, or suffix ("malettre", "coverletter").
    Edge,
}

struct Cue {
    word: &'static str,
    pos: Pos,
}

const fn cue(word: &'static str, pos: Pos) -> Cue {
    Cue { word, pos }
}

// "cv" is never a prefix cue: "Cvetkovic" is a surname. It is a suffix cue
// ("moncv"): no French or English word ends in "cv".
const CV_CUES: &[Cue] = &[
    cue("cv", Pos::Whole),
    cue("curriculum", Pos::Prefix),
    cue("vitae", Pos::Whole),
    cue("resume", Pos::Prefix),
    cue("parcours", Pos::Whole),
];

// "candidature" and "presentation" are not cues: "Candidature_Dupont.pdf" is
// as often a CV plus letter in one file as a letter, and "Dossier de
// candidature" names a bundle. The text decides those.
const LETTER_CUES: &[Cue] = &[
    cue("lettre", Pos::Edge),
    cue("letter", Pos::Edge),
    cue("lm", Pos::Whole),
    cue("motivation", Pos::Edge),
    cue("cover", Pos::Prefix),
];

// Documents that come with applications but are neither a CV nor a letter.
// A diploma or a reference letter reads like a CV or a letter, so the name is
// the better witness for these.
const OTHER_CUES: &[Cue] = &[
    cue("diplom", Pos::Prefix),
    cue("attestation", Pos::Prefix),
    cue("certificat", Pos::Prefix),
    cue("releve", Pos::Prefix),
    cue("transcript", Pos::Prefix),
    cue("passeport", Pos::Prefix),
    cue("passport", Pos::Prefix),
    cue("photo", Pos::Prefix),
    cue("identite", Pos::Whole),
    cue("cni", Pos::Whole),
    cue("permis", Pos::Whole),
    cue("casier", Pos::Whole),
    cue("portfolio", Pos::Prefix),
    cue("signature", Pos::Prefix),
    cue("logo", Pos::Prefix),
    cue("bulletin", Pos::Prefix),
];

// A "lettre de recommandation" is a letter, but not the candidate's.
const RECOMMENDATION_CUES: &[Cue] = &[
    cue("recommandation", Pos::Prefix),
    cue("recommendation", Pos::Prefix),
    cue("reference", Pos::Prefix),
];

fn token_matches(token: &str, c: &Cue) -> bool {
    match c.pos {
        Pos::Whole => token == c.word,
        Pos::Prefix => token.starts_with(c.word),
        Pos::Edge => token.starts_with(c.word) || token.ends_with(c.word),
    }
}

fn any_cue(tokens: &[String], cues: &[Cue]) -> bool {
    tokens
        .iter()
        .any(|t| cues.iter().any(|c| token_matches(t, c)))
}

/// Names ending in "cv" ("moncv", "dupontcv"); "cv" itself is a whole-word cue.
fn has_cv_suffix(tokens: &[String]) -> bool {
    tokens.iter().any(|t| t.len() > 2 && t.ends_with("cv"))
}

/// "C.V. Dupont.pdf" tokenizes as "c", "v", "dupont".
fn has_spelled_cv(tokens: &[String]) -> bool {
    tokens.windows(2).any(|w| w[0] == "c" && w[1] == "v")
}

/// The name without directories and without a short extension.
fn name_stem(filename: &str) -> &str {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    match base.rsplit_once('.') {
        Some((stem, ext))
            if !stem.trim().is_empty()
                && (1..=5).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            stem
        }
        _ => base,
    }
}

/// What the file name says the document is, if it says so unambiguously.
///
/// `Some(Other)` for names that announce something else (diploma, reference
/// letter, photo…); `None` when the name has no cue ("Numérisation 17 juin
/// 2021.pdf", "scan0001.pdf") or cues for both ("CV et lettre.pdf").
pub fn kind_from_filename(filename: &str) -> Option<DocumentKind> {
    let capped: String = filename.chars().take(MAX_NAME_CHARS).collect();
    let tokens = name_tokens(name_stem(&capped));
    let cv = any_cue(&tokens, CV_CUES) || has_cv_suffix(&tokens) || has_spelled_cv(&tokens);
    let letter = any_cue(&tokens, LETTER_CUES);
    if letter && any_cue(&tokens, RECOMMENDATION_CUES) {
        return Some(DocumentKind::Other);
    }
    match (cv, letter) {
        (true, false) => Some(DocumentKind::Cv),
        (false, true) => Some(DocumentKind::Letter),
        (true, true) => None,
        (false, false) => {
            if any_cue(&tokens, OTHER_CUES) || any_cue(&tokens, RECOMMENDATION_CUES) {
                Some(DocumentKind::Other)
            } else {
                None
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

/// Phrases typical of a letter, folded, with their weight. Each counts once.
const LETTER_PHRASES: &[(&str, u32)] = &[
    ("madame monsieur", 2),
    ("je me permets", 2),
    ("je vous", 1),
    ("veuillez agreer", 3),
    ("je vous prie d agreer", 3),
    ("je vous prie de croire", 3),
    ("l expression de mes", 2),
    ("l assurance de ma", 2),
    ("salutations distinguees", 3),
    ("sentiments distingues", 3),
    ("salutations respectueuses", 3),
    ("consideration distinguee", 3),
    ("meilleures salutations", 2),
    ("lettre de motivation", 2),
    ("dans l attente", 2),
    ("a votre disposition", 2),
    ("a votre entiere disposition", 1),
    ("vous rencontrer", 2),
    ("un entretien", 1),
    ("votre offre", 2),
    ("votre annonce", 2),
    ("objet candidature", 2),
    ("candidature au poste", 2),
    ("ma candidature", 2),
    ("je suis convaincu", 2),
    ("je souhaite", 1),
    ("je serais", 1),
    ("cordialement", 1),
    ("motivation", 1),
    ("dear", 2),
    ("sincerely", 3),
    ("yours faithfully", 3),
    ("kind regards", 2),
    ("best regards", 1),
    ("i am writing", 3),
    ("i would like to apply", 3),
    ("i am applying", 3),
    ("i am confident", 2),
    ("i look forward", 2),
    ("thank you for your consideration", 3),
    ("hiring manager", 2),
    ("cover letter", 2),
];

/// Phrases typical of a CV, folded, with their weight. Each counts once.
const CV_PHRASES: &[(&str, u32)] = &[
    ("curriculum vitae", 4),
    ("experience professionnelle", 2),
    ("experiences professionnelles", 2),
    ("parcours professionnel", 2),
    ("work experience", 2),
    ("professional experience", 2),
    ("employment history", 3),
    ("poste vise", 2),
    ("centres d interet", 2),
    ("langue maternelle", 2),
    ("competences", 1),
    ("langues", 1),
    ("diplome", 1),
    ("skills", 1),
    ("references", 1),
    ("permis b", 1),
];

/// Section headings of a CV: a line that is only one of these (folded).
const CV_HEADINGS: &[&str] = &[
    "formation",
    "formations",
    "formation academique",
    "formation initiale",
    "diplomes",
    "diplomes et formations",
    "cursus",
    "education",
    "competences",
    "competences cles",
    "competences techniques",
    "competences informatiques",
    "informatique",
    "langues",
    "languages",
    "skills",
    "key skills",
    "experience",
    "experiences",
    "experience professionnelle",
    "experiences professionnelles",
    "parcours",
    "parcours professionnel",
    "work experience",
    "professional experience",
    "employment history",
    "centres d interet",
    "loisirs",
    "divers",
    "interests",
    "hobbies",
    "references",
    "profil",
    "profile",
    "summary",
    "certifications",
    "qualites",
    "atouts",
    "etat civil",
    "coordonnees",
    "personal details",
    "objectif",
    "projets",
    "publications",
    "benevolat",
    "volunteering",
    "activites extra professionnelles",
];

/// Greeting words that open a letter's salutation line.
const SALUTATION_STARTS: &[&str] = &[
    "madame",
    "monsieur",
    "mesdames",
    "messieurs",
    "cher",
    "chere",
    "dear",
];

/// First- and second-person words: letters talk to someone, CVs list facts.
const PRONOUNS: &[&str] = &[
    "je", "j", "vous", "votre", "vos", "i", "you", "your", "my", "me",
];

const MONTHS: &[&str] = &[
    "janvier",
    "janv",
    "jan",
    "fevrier",
    "fevr",
    "fev",
    "mars",
    "avril",
    "avr",
    "mai",
    "juin",
    "juillet",
    "juil",
    "aout",
    "septembre",
    "sept",
    "sep",
    "octobre",
    "oct",
    "novembre",
    "nov",
    "decembre",
    "dec",
    "january",
    "february",
    "feb",
    "march",
    "mar",
    "april",
    "apr",
    "may",
    "june",
    "jun",
    "july",
    "jul",
    "august",
    "aug",
    "september",
    "october",
    "november",
    "december",
];

/// Words that close an open date range: "2017 - à ce jour", "2019 – present".
const PRESENT: &[&str] = &[
    "present",
    "today",
    "now",
    "current",
    "aujourd",
    "auj",
    "actuel",
    "maintenant",
    "ce",
];

/// A minimal score to decide at all.
const MIN_SCORE: u32 = 5;
/// The winner must lead by this much…
const MIN_LEAD: u32 = 4;
// …and have at least twice the loser's score (checked in `kind_from_text`).

/// What the text of a document says it is, if it says so clearly.
///
/// Scores letter cues (salutation, closing formula, "votre offre", first and
/// second person…) against CV cues (section headings, date ranges, language
/// levels, bullets…) in the first 20,000 chars. Answers only `Cv` or
/// `Letter`, and only with a clear margin.
pub fn kind_from_text(text: &str) -> Option<DocumentKind> {
    let text = match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    let (cv, letter) = scores(text);
    let (win, lose, kind) = if cv > letter {
        (cv, letter, DocumentKind::Cv)
    } else {
        (letter, cv, DocumentKind::Letter)
    };
    (win >= MIN_SCORE && win >= lose + MIN_LEAD && win >= 2 * lose).then_some(kind)
}

/// (cv score, letter score).
fn scores(text: &str) -> (u32, u32) {
    let words = fold_words(text);
    // Padded with spaces so that phrase matching respects word boundaries.
    let folded = format!(" {} ", words.join(" "));
    let has = |p: &str| folded.contains(&format!(" {p} "));

    let mut letter: u32 = LETTER_PHRASES
        .iter()
        .filter(|(p, _)| has(p))
        .map(|(_, w)| w)
        .sum();
    let mut cv: u32 = CV_PHRASES
        .iter()
        .filter(|(p, _)| has(p))
        .map(|(_, w)| w)
        .sum();

    let pronouns = words
        .iter()
        .filter(|w| PRONOUNS.contains(&w.as_str()))
        .count();
    letter += u32::try_from((pronouns / 3).min(4)).unwrap_or(4);

    let mut headings = 0u32;
    let mut salutation = false;
    let mut year_lines = 0u32;
    let mut bullets = 0u32;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let lw = fold_words(trimmed);
        let joined = lw.join(" ");
        if lw.len() <= 4 && CV_HEADINGS.contains(&joined.as_str()) {
            headings += 1;
        }
        if !salutation
            && lw.len() <= 6
            && lw
                .first()
                .is_some_and(|w| SALUTATION_STARTS.contains(&w.as_str()))
            && trimmed.ends_with([',', ':'])
        {
            salutation = true;
        }
        if lw.first().is_some_and(|w| is_year(w)) && lw.len() > 1 {
            year_lines += 1;
        }
        if trimmed.starts_with(['-', '•', '*', '▪', '◦', '➢', '►', '■', '–', '·', '●'])
        {
            bullets += 1;
        }
    }
    cv += 2 * headings.min(5);
    if salutation {
        letter += 3;
    }
    if year_lines >= 2 {
        cv += 2;
    }
    if bullets >= 3 {
        cv += 2;
    }
    cv += date_ranges(text).min(5);
    if language_levels(&words) >= 2 {
        cv += 2;
    }
    (cv, letter)
}

fn is_year(w: &str) -> bool {
    w.len() == 4
        && w.bytes().all(|b| b.is_ascii_digit())
        && (w.starts_with("19") || w.starts_with("20"))
}

/// CEFR levels ("Anglais (C1)", "B2") are a CV habit.
fn language_levels(words: &[String]) -> usize {
    words
        .iter()
        .filter(|w| matches!(w.as_str(), "a1" | "a2" | "b1" | "b2" | "c1" | "c2"))
        .count()
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Num(String),
    Dash,
    Slash,
    Other,
}

/// Tokens that keep dashes and slashes, which `fold_words` drops.
fn range_tokens(text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, toks: &mut Vec<Tok>| {
        if cur.is_empty() {
            return;
        }
        let s = std::mem::take(cur);
        if s.bytes().all(|b| b.is_ascii_digit()) {
            toks.push(Tok::Num(s));
        } else {
            toks.push(Tok::Word(s));
        }
    };
    for c in base_chars(text) {
        let boundary = match cur.chars().last() {
            Some(p) => p.is_ascii_digit() != c.is_ascii_digit(),
            None => false,
        };
        if c.is_alphanumeric() {
            if boundary {
                flush(&mut cur, &mut toks);
            }
            cur.extend(c.to_lowercase());
            continue;
        }
        flush(&mut cur, &mut toks);
        match c {
            '-' | '–' | '—' | '‒' | '―' | '−' => toks.push(Tok::Dash),
            '/' => toks.push(Tok::Slash),
            c if c.is_whitespace() => {}
            _ => toks.push(Tok::Other),
        }
    }
    flush(&mut cur, &mut toks);
    toks
}

/// Counts date ranges: "2015 - 2019", "2018–2021", "06/2018 - 09/2020",
/// "sept. 2018 – juin 2020", "2017 - à ce jour", "2019 - present".
fn date_ranges(text: &str) -> u32 {
    let toks = range_tokens(text);
    let word = |i: usize| match toks.get(i) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    let year_at = |i: usize| matches!(toks.get(i), Some(Tok::Num(n)) if is_year(n));
    let mut count = 0u32;
    let mut i = 0usize;
    while i < toks.len() {
        if !year_at(i) {
            i += 1;
            continue;
        }
        // Separator: a dash, or "à"/"au"/"to".
        let mut j = i + 1;
        match toks.get(j) {
            Some(Tok::Dash) => j += 1,
            Some(Tok::Word(w)) if matches!(w.as_str(), "a" | "au" | "to") => j += 1,
            _ => {
                i += 1;
                continue;
            }
        }
        if word(j) == Some("a") {
            j += 1;
        }
        // Optional month before the closing year: "06/2020", "juin 2020", "juin. 2020".
        match toks.get(j) {
            Some(Tok::Num(n)) if n.len() <= 2 && matches!(toks.get(j + 1), Some(Tok::Slash)) => {
                j += 2;
            }
            Some(Tok::Word(w)) if MONTHS.contains(&w.as_str()) => {
                j += 1;
                if matches!(toks.get(j), Some(Tok::Other)) {
                    j += 1;
                }
            }
            _ => {}
        }
        let closes = year_at(j) || word(j).is_some_and(|w| PRESENT.contains(&w));
        if closes {
            count += 1;
            i = j + 1;
        } else {
            i += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentKind::{Cv, Letter, Other};

    #[test]
    fn tokenizer_splits_camel_case_and_digits() {
        assert_eq!(name_tokens("MonCV2021"), ["mon", "cv", "2021"]);
        assert_eq!(name_tokens("CVDupont"), ["cv", "dupont"]);
        assert_eq!(name_tokens("LM_Mbaye"), ["lm", "mbaye"]);
        assert_eq!(name_tokens("Numérisation 17"), ["numerisation", "17"]);
        assert_eq!(name_tokens("cvdupont"), ["cvdupont"]);
        assert_eq!(name_tokens("IMG_2031"), ["img", "2031"]);
        assert_eq!(name_tokens("Cœur"), ["coeur"]);
    }

    #[test]
    fn filenames_table() {
        let cases: &[(&str, Option<DocumentKind>)] = &[
            ("CV_Belhaj.pdf", Some(Cv)),
            ("Lettre_Belhaj.pdf", Some(Letter)),
            ("LM_Mbaye.pdf", Some(Letter)),
            ("Pasquier-CV.pdf", Some(Cv)),
            ("MonCV.pdf", Some(Cv)),
            ("moncv.pdf", Some(Cv)),
            ("CVDupont.pdf", Some(Cv)),
            ("Curriculum Vitae - Dupont.docx", Some(Cv)),
            ("CurriculumVitae.pdf", Some(Cv)),
            ("Lettre de motivation.odt", Some(Letter)),
            ("Lettre_de_Motivation_Dupont.pdf", Some(Letter)),
            ("lettredemotivation.pdf", Some(Letter)),
            ("Cover letter.pdf", Some(Letter)),
            ("CoverLetter_Smith.pdf", Some(Letter)),
            ("coverletter.docx", Some(Letter)),
            ("Resume_John.pdf", Some(Cv)),
            ("Résumé - Jane Doe.pdf", Some(Cv)),
            ("ma_lettre.pdf", Some(Letter)),
            ("malettre.pdf", Some(Letter)),
            ("motivation.pdf", Some(Letter)),
            ("CV Dupont (1).pdf", Some(Cv)),
            ("C.V. Dupont.pdf", Some(Cv)),
            ("CV2021_final.pdf", Some(Cv)),
            ("CV_Delorme_Gaspard.pdf", Some(Cv)),
            ("Lettre_motivation_Delorme.pdf", Some(Letter)),
            ("CV-Loubna-Sebti.docx", Some(Cv)),
            ("LM-Loubna-Sebti.docx", Some(Letter)),
            ("Anaëlle Lévêque - Lettre.pdf", Some(Letter)),
            ("Anaëlle Lévêque - CV.pdf", Some(Cv)),
            ("1-CV-Benkirane.pdf", Some(Cv)),
            ("2-Lettre-Benkirane.pdf", Some(Letter)),
            ("LM_Solene_Marty.pdf", Some(Letter)),
            ("MARTY Solène CV.PDF", Some(Cv)),
            ("Mon parcours.pdf", Some(Cv)),
            ("C:\\Users\\moi\\Documents\\CV.pdf", Some(Cv)),
            // Nothing said: the text decides.
            ("Numérisation 17 juin 2021.pdf", None),
            ("Numérisation 17 juin 2021 (1).pdf", None),
            ("scan0001.pdf", None),
            ("Document1.docx", None),
            ("IMG_2031.jpg", None),
            ("image002.png", None),
            ("cvdupont.pdf", None),
            ("Cvetkovic_Milan.pdf", None),
            ("Candidature_Dupont.pdf", None),
            ("Dossier_candidature_Benkirane.zip", None),
            ("Présentation.pdf", None),
            ("", None),
            (".pdf", None),
            ("cv", Some(Cv)),
            // Both: the text decides.
            ("CV et lettre.pdf", None),
            ("CV_LM_Dupont.pdf", None),
            ("Candidature CV + lettre de motivation.pdf", None),
            // Announced as something else.
            ("Lettre de recommandation.pdf", Some(Other)),
            ("Reference_letter_ACF.pdf", Some(Other)),
            ("Diplome_Master.pdf", Some(Other)),
            ("Attestation de travail.pdf", Some(Other)),
            ("photo.jpg", Some(Other)),
            ("Passeport.pdf", Some(Other)),
            ("CV_photo.pdf", Some(Cv)),
            ("../../../../tmp/applymail_test.sh", None),
        ];
        for (name, want) in cases {
            assert_eq!(kind_from_filename(name), *want, "{name:?}");
        }
    }

    const FR_LETTER: &str = "Gaspard Delorme\n71 rue du Port\n29200 Brest\n\nLe Partenariat\n\
        Brest, le 1er juin 2021\n\nObjet : candidature au poste de Coordinateur du Partenariat au Maroc\n\n\
        Madame, Monsieur,\n\nVotre offre pour le poste a immédiatement retenu mon attention : elle rejoint \
        mon expérience et mon projet professionnel.\nDisponible à partir d'octobre 2021, je me tiens prêt à vous \
        rencontrer.\n\nVeuillez agréer, Madame, Monsieur, l'expression de mes sentiments distingués.\n\nGaspard DELORME\n";

    const FR_CV: &str = "Gaspard DELORME\n71 rue du Port - 29200 Brest\nPoste visé : Coordinateur\n\n\
        Parcours professionnel\n\n2017 - à ce jour   Chargé de projets\nAssociation Tamount, Safi\n\
        - Pilotage d'un programme\n- Encadrement de l'équipe\n2014 - 2017   Responsable administratif\n\
        - Préparation du budget\n\nFormation\n\n2008   Master Études du développement\n\n\
        Compétences clés\n\n- Gestion financière\n\nLangues\n\nEspagnol (B2) / Anglais (C1)\n";

    /// Text snippets and the kind they must get (French and English).
    const TEXT_CASES: &[(&str, Option<DocumentKind>)] = &[
        (FR_LETTER, Some(Letter)),
        (FR_CV, Some(Cv)),
        (
            "Madame la Directrice,\n\nJe me permets de vous adresser ma candidature au poste de \
                 chargée de mission. Je vous prie d'agréer, Madame, l'expression de mes salutations distinguées.",
            Some(Letter),
        ),
        (
            "Bonjour,\nSuite à votre annonce, je souhaite vous présenter ma candidature. Mon expérience \
                 de cinq ans au Sénégal m'a préparé à ce poste. Je reste à votre disposition pour un entretien.\n\
                 Cordialement,\nAmadou",
            Some(Letter),
        ),
        (
            "Dear Hiring Manager,\n\nI am writing to apply for the Coordinator position. I am confident \
                 that my experience in Morocco fits your needs. I look forward to hearing from you.\n\n\
                 Sincerely,\nJohn Smith",
            Some(Letter),
        ),
        (
            "JOHN SMITH\nWork Experience\n2018–2021 Project Manager, ACF\n- Managed a team of 12\n\
                 - Budget 1M EUR\n2015 - 2018 Officer, UNDP\nEducation\n2014 MSc Development, LSE\n\
                 Skills\n- Excel\n- Arabic (B2), French (C1)\nReferences\nAvailable on request",
            Some(Cv),
        ),
        (
            "CURRICULUM VITAE\nNom : Diallo\nExpériences professionnelles\n\
                 06/2018 - 09/2020 : Chargé de suivi\nsept. 2016 – juin 2018 : Assistant\n\
                 Diplômes\nMaster 2\nCentres d'intérêt\nLecture, football",
            Some(Cv),
        ),
        (
            "Fatou Ndiaye\nfatou@example.com\n\nEXPERIENCE\n2019 - present Coordinator\n\
                 2016 - 2019 Field officer\nEDUCATION\n2015 Master\nLANGUAGES\nWolof, French, English",
            Some(Cv),
        ),
        (
            "Profil\nGestionnaire de projets avec 10 ans d'expérience.\nCompétences\n- Suivi-évaluation\n\
                 - Budget\n- Animation\nExpérience\n2012-2015 ONG X\n2015-2021 ONG Y\nLangues : arabe, français",
            Some(Cv),
        ),
        (
            "Chère Madame,\nJe vous écris pour vous faire part de mon intérêt pour votre offre. \
                 Je serais heureux de vous rencontrer. Dans l'attente de votre retour, je vous adresse mes \
                 salutations respectueuses.",
            Some(Letter),
        ),
        // Undecidable or not a CV/letter at all.
        ("", None),
        ("Facture n° 2021-042\nMontant : 120 EUR\nTVA 20 %", None),
        ("Bonjour, ci-joint mon CV. Cordialement", None),
        ("\u{0}\u{FFFD}%PDF garbage ))) (((", None),
        ("2015 2016 2017 2018 2019 2020", None),
    ];

    #[test]
    fn texts_table() {
        for (text, want) in TEXT_CASES {
            assert_eq!(
                kind_from_text(text),
                *want,
                "{text:?} -> {:?}",
                scores(text)
            );
        }
    }

    #[test]
    fn date_ranges_are_counted() {
        assert_eq!(date_ranges("2015 - 2019"), 1);
        assert_eq!(date_ranges("2018–2021"), 1);
        assert_eq!(date_ranges("2017 - à ce jour"), 1);
        assert_eq!(date_ranges("2019 – aujourd'hui"), 1);
        assert_eq!(date_ranges("06/2018 - 09/2020"), 1);
        assert_eq!(date_ranges("sept. 2016 – juin 2018"), 1);
        assert_eq!(date_ranges("de 2015 à 2019"), 1);
        assert_eq!(date_ranges("2019 - present, 2012-2015"), 2);
        assert_eq!(date_ranges("le 1er juin 2021, 75001 Paris"), 0);
        assert_eq!(date_ranges("2015 et 2019"), 0);
        assert_eq!(date_ranges("1234 - 5678"), 0);
    }

    #[test]
    fn long_inputs_are_cut() {
        let big = "Madame, Monsieur,\n".repeat(100_000);
        // Still decided from the first 20k chars, and quickly.
        assert_eq!(kind_from_text(&big), Some(Letter));
        let long_name = format!("CV_{}", "x".repeat(100_000));
        assert_eq!(kind_from_filename(&long_name), Some(Cv));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn filename_never_panics(name in "\\PC{0,200}|.{0,200}") {
                let _ = kind_from_filename(&name);
            }

            #[test]
            fn text_never_panics(text in "\\PC{0,2000}|.{0,2000}") {
                let _ = kind_from_text(&text);
            }

            #[test]
            fn text_never_panics_on_cue_soup(
                parts in proptest::collection::vec(
                    prop_oneof![
                        Just("Madame, Monsieur,\n"), Just("2015 - "), Just("2019"), Just("-"),
                        Just("à ce jour"), Just("\n- "), Just("Formation\n"), Just("(B2)"),
                        Just("06/"), Just("juin "), Just("é"), Just("\u{301}"), Just("œ"),
                    ],
                    0..200,
                )
            ) {
                let _ = kind_from_text(&parts.concat());
                let _ = kind_from_filename(&parts.concat());
            }
        }
    }
}
