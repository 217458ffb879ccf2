//! "Probably the same person": the same person applying under two addresses is two rows of
//! `candidates`. applymail suggests the pair when the names are the same once folded, when
//! the same CV file came under both, or when the same phone number is in both CVs
//! ([`super::phone`]); it never merges them. A recruiter links the pair ("it is the same
//! person") or dismisses it ("it is not"), and that choice is kept.

use super::fold::fold_words;
use super::phone::PhoneNumber;

/// The comparison key of a candidate's name: the folded words of both names (case, accents
/// and ligatures gone, "Jean-Pierre" as "jean pierre"), sorted, so that the last and first
/// names match in either order and wherever the parser drew the line between them.
/// `None` for a name of fewer than two words: a last name alone is shared by too many
/// people to suggest anything.
pub fn name_key(last_name: &str, first_name: &str) -> Option<String> {
    let mut words = fold_words(&format!("{last_name} {first_name}"));
    if words.len() < 2 {
        return None;
    }
    words.sort_unstable();
    Some(words.join(" "))
}

/// Why two candidates are probably the same person.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The same names once folded ([`name_key`]).
    SameName,
    /// A CV with the same bytes (SHA-256) under both.
    SameCv,
    /// The same phone number in the text of both one's CV and the other's.
    SamePhone(PhoneNumber),
}

/// A recruiter's answer about a pair, stored by its snake_case name.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Decision {
    /// "It is the same person": the pair stays shown, as linked.
    Linked,
    /// "It is not the same person": the pair is no longer suggested.
    Dismissed,
}

/// Two different candidates, the lower id first: how `duplicate_decisions` keys a pair, so
/// that a choice made from either application's page is the same row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pair {
    low: i64,
    high: i64,
}

impl Pair {
    /// `None` when both are the same candidate.
    pub fn new(a: i64, b: i64) -> Option<Pair> {
        (a != b).then(|| Pair {
            low: a.min(b),
            high: a.max(b),
        })
    }

    pub fn low(self) -> i64 {
        self.low
    }

    pub fn high(self) -> i64 {
        self.high
    }

    /// The other one of the pair, seen from `one`.
    pub fn other(self, one: i64) -> i64 {
        if one == self.low { self.high } else { self.low }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_match_folded_and_in_either_order() {
        let key = |l: &str, f: &str| name_key(l, f);
        assert_eq!(key("CARRÉ", "Hélène"), Some("carre helene".to_owned()));
        assert_eq!(key("Carre", "Helene"), key("carré", "HÉLÈNE"));
        assert_eq!(key("Hélène", "Carré"), key("CARRÉ", "Hélène"));
        assert_eq!(key("de KERGUELEN", "Gaëlle"), key("Kerguelen", "Gaëlle de"));
        assert_eq!(key("N'DIAYE", "Jean-Pierre"), key("N’Diaye", "Jean Pierre"));
        assert_eq!(key("ŒUVRE", "Anne"), key("Oeuvre", "anne"));
        assert_ne!(key("DUPONT", "Marie"), key("DUPONT", "Mario"));
        assert_eq!(key("DUPONT", ""), None);
        assert_eq!(key("", ""), None);
        assert_eq!(key("–", "Marie"), None);
    }

    #[test]
    fn a_pair_is_the_same_from_either_side() {
        let pair = Pair::new(9, 4).unwrap();
        assert_eq!((pair.low(), pair.high()), (4, 9));
        assert_eq!(Some(pair), Pair::new(4, 9));
        assert_eq!((pair.other(4), pair.other(9)), (9, 4));
        assert_eq!(Pair::new(3, 3), None);
    }

    #[test]
    fn decisions_read_what_they_write() {
        for d in [Decision::Linked, Decision::Dismissed] {
            assert_eq!(<&str>::from(d).parse::<Decision>(), Ok(d));
        }
        assert!("merged".parse::<Decision>().is_err());
    }

    proptest! {
        #[test]
        fn the_key_does_not_depend_on_the_order(last in "[A-Za-zÀ-ÿ' -]{0,20}", first in "[A-Za-zÀ-ÿ' -]{0,20}") {
            prop_assert_eq!(name_key(&last, &first), name_key(&first, &last));
            if let Some(key) = name_key(&last, &first) {
                prop_assert_eq!(name_key(&key, ""), Some(key.clone()));
            }
        }
    }
}
