//! A document's kind from its text, when its name says nothing ("scan0001.pdf"): a letter
//! has a salutation, first-person phrases and a closing formula; a CV has section headings,
//! date ranges and language levels. Scored, and answered only when one clearly leads.

use crate::domain::document::DocumentKind;
use crate::domain::fold::{fold_words, unaccented};

/// Only the beginning of a document is scored: the cues that matter (headings,
/// salutation, closing formula of a one-page letter) are there, and the cost
/// stays bounded on huge inputs.
const MAX_TEXT_CHARS: usize = 20_000;

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
pub(super) fn scores(text: &str) -> (u32, u32) {
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
    for c in unaccented(text).chars() {
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
pub(super) fn date_ranges(text: &str) -> u32 {
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
