//! Subject words that are not names.
//!
//! Two kinds reach the name part of a subject. Template words the candidate left in
//! ("NOM Bennani Prénom Leïla") and runs of `X` ("XXX" where an en dash was): Cyrus's default
//! `munge8bit` rewrites every raw 8-bit header byte as `X`, other servers write `?`, and a
//! decoder writes U+FFFD. In capitals, "XXX" or "NOM" would even pass for the last name. The
//! same damage inside a word ("LeXXla", "Le??la") leaves a word that only the From display
//! name can spell again.

use super::super::fold::fold;

/// Words of the advert's template that may stand beside a real name.
const TEMPLATE_WORDS: &[&str] = &[
    "nom",
    "noms",
    "prenom",
    "prenoms",
    "surname",
    "firstname",
    "lastname",
];

/// A word that is no part of any name: a template word, or two or more `X` alone (a run of
/// munged bytes; one `X` may be an initial).
pub(super) fn is_filler(text: &str) -> bool {
    let key = fold(text);
    TEMPLATE_WORDS.contains(&key.as_str())
        || (key.len() >= 2 && text.chars().all(|c| c == 'X' || c == 'x'))
}

/// One piece of a damaged word: letters kept as written, or a run standing for 1 to `n`
/// lost characters (one replacement per byte, and a character is 1 to 4 bytes).
#[derive(Debug, PartialEq)]
enum Piece {
    Kept(char),
    Lost(usize),
}

/// The pieces of `text` when it carries damage: a `?` or U+FFFD, or a run of two or more
/// capital `X` (a single one may be a real letter: "Xavier"). `None` when it carries none.
fn pieces(text: &str) -> Option<Vec<Piece>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut damaged = false;
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| matches!(c, 'X' | '?' | '\u{FFFD}'))
            .count();
        let lost = run >= 2 || (run == 1 && chars[i] != 'X');
        if lost {
            out.push(Piece::Lost(run));
            damaged = true;
            i += run;
        } else {
            out.push(Piece::Kept(chars[i]));
            i += 1;
        }
    }
    damaged.then_some(out)
}

/// Whether `text` carries replaced bytes.
pub(super) fn is_damaged(text: &str) -> bool {
    pieces(text).is_some()
}

/// Whether `candidate` (a word of the display name) can be the word `damaged` was before
/// its bytes were replaced: the kept letters agree, ignoring case, and each lost run stands
/// for at least one and at most as many characters as it has replacements.
pub(super) fn could_be(damaged: &str, candidate: &str) -> bool {
    let Some(pieces) = pieces(damaged) else {
        return false;
    };
    let candidate: Vec<char> = candidate.chars().collect();
    fits(&pieces, &candidate)
}

fn fits(pieces: &[Piece], rest: &[char]) -> bool {
    match pieces.split_first() {
        None => rest.is_empty(),
        Some((Piece::Kept(c), more)) => rest
            .split_first()
            .is_some_and(|(r, tail)| same_letter(*c, *r) && fits(more, tail)),
        Some((Piece::Lost(n), more)) => {
            (1..=(*n).min(rest.len())).any(|taken| fits(more, &rest[taken..]))
        }
    }
}

fn same_letter(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers() {
        for w in ["XXX", "XX", "xxx", "NOM", "Prénom", "PRENOM", "Noms"] {
            assert!(is_filler(w), "{w:?}");
        }
        for w in ["X", "Xavier", "Bennani", "Nomé", "LeXXla"] {
            assert!(!is_filler(w), "{w:?}");
        }
    }

    #[test]
    fn damaged_words_match_their_spelling() {
        assert!(could_be("LeXXla", "Leïla"));
        assert!(could_be("Le??la", "Leïla"));
        assert!(could_be("Le\u{FFFD}la", "Leïla"));
        assert!(could_be("AXXssatou", "Aïssatou"));
        assert!(!could_be("BARRY", "Barry"));
        assert!(!could_be("LeXXla", "Layla"));
        assert!(!could_be("LeXXla", "Lela"));
        assert!(!is_damaged("Xavier"));
        assert!(!is_damaged("Bennani"));
        assert!(is_damaged("LeXXla"));
    }
}
