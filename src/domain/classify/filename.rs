//! A document's kind from the file name the candidate gave: "CV_Dupont.pdf",
//! "Lettre de motivation.docx", "MonCV2021.pdf". Documents that are neither (a diploma, a
//! reference) are named so too, and are "other".

use crate::domain::document::DocumentKind;
use crate::domain::fold::unaccented;

/// File names longer than this are cut before folding (display names are capped
/// at 255 bytes anyway).
const MAX_NAME_CHARS: usize = 512;

/// Splits a file name into lowercase tokens, also at camel-case and
/// letter/digit boundaries: "MonCV2021" gives ["mon", "cv", "2021"],
/// "CVDupont" gives ["cv", "dupont"]. Lowercase runs stay whole ("cvdupont"),
/// because nothing tells where the words meet.
pub(super) fn name_tokens(name: &str) -> Vec<String> {
    let chars: Vec<char> = unaccented(name).chars().collect();
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
