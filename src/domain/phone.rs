//! Phone numbers in the text of a CV, for "probably the same person": the same number under
//! two addresses is a strong sign that one person applied twice.
//!
//! Candidates write numbers in every national and international form: "06 12 34 56 78",
//! "06.12.34.56.78", "+212 6 12 34 56 78", "00212612345678", "(+33) 6 12 34 56 78",
//! "+33 (0)6 12 34 56 78", "77 123 45 67" (Senegal). [`phone_numbers`] reads them all into one
//! canonical form, the international digits without "+" ([`PhoneNumber`]), so that two CVs
//! can be compared by equality (an indexed lookup).
//!
//! The rules lean towards missing a number rather than inventing one: a false "same person"
//! costs a recruiter's attention, a missed one costs nothing the other reasons do not catch.
//! - A number is a run of digit groups joined by one separator (one or two spaces, or one
//!   of `.`, `-`, `/`), optionally after `+`, `(+CC)` or `00`, and optionally with a `(0)`
//!   after the country code. Anything else ends the run, so that "06 12 34 56 78 / 07 …" is
//!   two numbers; a run that touches a letter ("FR76 3000…", "06 12 34 56 78h") is none.
//! - The whole run must be a number, never a part of it: dates ("12/03/2019", "01.02.2019
//!   12.03.2020"), years ("2019-2023"), postcodes ("75011") and short numbers ("15", "3620")
//!   have too few or too many digits for any form below.
//! - A national number is read with its country's plan: France and Morocco write ten digits
//!   from a trunk 0, Senegal nine digits from 7 or 33. "06 12 34 56 78" is both a French and
//!   a Moroccan mobile, so it gives both readings: either matches the same number written
//!   internationally, and the same national digits under two addresses match twice over.
//! - An international number of another country is kept as its digits (8 to 15, E.164).

use std::collections::BTreeSet;
use std::fmt;

/// The countries whose numbers applymail's candidates write most (France, Morocco, Senegal):
/// their code, whether their national numbers start with a trunk 0, and the digits their
/// national significant numbers may start with (all have nine digits).
struct Plan {
    code: &'static str,
    trunk_zero: bool,
    /// The first digit of the nine, then the first two digits that are allowed (empty: any
    /// second digit).
    starts: &'static [&'static str],
}

const FRANCE: Plan = Plan {
    code: "33",
    trunk_zero: true,
    starts: &["1", "2", "3", "4", "5", "6", "7", "8", "9"],
};

/// 5: fixed lines, 6 and 7: mobiles, 8: VoIP and shared-cost numbers (ANRT's plan).
const MOROCCO: Plan = Plan {
    code: "212",
    trunk_zero: true,
    starts: &["5", "6", "7", "8"],
};

/// 33: fixed lines; 70, 75 to 78: mobile operators (ARTP's plan).
const SENEGAL: Plan = Plan {
    code: "221",
    trunk_zero: false,
    starts: &["33", "70", "75", "76", "77", "78"],
};

const PLANS: [&Plan; 3] = [&FRANCE, &MOROCCO, &SENEGAL];

/// Digits of an international number, at most (E.164) and at least (the shortest real ones).
const MAX_DIGITS: usize = 15;
const MIN_DIGITS: usize = 8;
/// Digits a run is read to before it is known to be too long for any number.
const MAX_RUN_DIGITS: usize = 24;

/// A phone number: its international digits, country code first, without "+"
/// ("212612345678"). Made only by [`phone_numbers`] or, from a stored value, by
/// [`PhoneNumber::from_canonical`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// A stored canonical form; `None` for anything [`phone_numbers`] cannot have made.
    pub fn from_canonical(digits: &str) -> Option<PhoneNumber> {
        (digits.len() >= MIN_DIGITS
            && digits.len() <= MAX_DIGITS
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0'))
        .then(|| PhoneNumber(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the two can be one number as a candidate wrote it: the same, or the French
    /// and the Moroccan reading of one national number ("06 12 34 56 78"), which two CVs
    /// that both hold it share twice.
    pub fn same_as_written(&self, other: &PhoneNumber) -> bool {
        let national = |p: &PhoneNumber| {
            [&FRANCE, &MOROCCO]
                .into_iter()
                .find_map(|plan| p.0.strip_prefix(plan.code).filter(|r| r.len() == 9))
                .map(str::to_owned)
        };
        self == other || national(self).is_some_and(|n| national(other) == Some(n))
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// As people read it: "+33 6 12 34 56 78", "+221 77 123 45 67"; other countries' numbers as
/// "+" and their digits.
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0.as_str();
        for plan in PLANS {
            if let Some(rest) = d.strip_prefix(plan.code).filter(|r| r.len() == 9) {
                let cuts: &[usize] = if plan.trunk_zero {
                    &[1, 3, 5, 7]
                } else {
                    &[2, 5, 7]
                };
                write!(f, "+{} ", plan.code)?;
                let mut start = 0;
                for &cut in cuts {
                    write!(f, "{} ", &rest[start..cut])?;
                    start = cut;
                }
                return write!(f, "{}", &rest[start..]);
            }
        }
        write!(f, "+{d}")
    }
}

/// A text with more numbers than this is a directory or a list, not one person's CV.
pub const MAX_NUMBERS_PER_TEXT: usize = 20;

/// The numbers of `text` that can be one person's: all of [`phone_numbers`], or none when
/// there are more than [`MAX_NUMBERS_PER_TEXT`].
pub fn personal_numbers(text: &str) -> Vec<PhoneNumber> {
    let numbers = phone_numbers(text);
    if numbers.len() > MAX_NUMBERS_PER_TEXT {
        return Vec::new();
    }
    numbers.into_iter().collect()
}

/// Every phone number in `text`, in canonical form (see the module's rules). Linear in the
/// text's length.
pub fn phone_numbers(text: &str) -> BTreeSet<PhoneNumber> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_here = (chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(')
            && (i == 0 || !chars[i - 1].is_alphanumeric());
        if !starts_here {
            i += 1;
            continue;
        }
        match read_run(&chars, i) {
            Some((run, end)) => {
                found.extend(run.numbers());
                i = end.max(i + 1);
            }
            None => i += 1,
        }
    }
    found
}

/// A run of digit groups as written.
#[derive(Debug)]
struct Run {
    digits: String,
    /// It began with "+" or "(+CC)".
    plus: bool,
    /// A "(0)" followed the country code.
    trunk_in_parens: bool,
    /// More digits than any number has.
    too_long: bool,
    /// It touches a letter.
    glued: bool,
}

/// The run that starts at `chars[start]`, and where it ends; `None` when no digits start
/// there.
fn read_run(chars: &[char], start: usize) -> Option<(Run, usize)> {
    let at = |i: usize| chars.get(i).copied();
    let mut i = start;
    let mut run = Run {
        digits: String::new(),
        plus: false,
        trunk_in_parens: false,
        too_long: false,
        glued: false,
    };
    // "(+33)", "+33" or digits.
    if at(i) == Some('(') {
        if at(i + 1) != Some('+') {
            return None;
        }
        let digits = digits_at(chars, i + 2);
        if digits == 0 || digits > 3 || at(i + 2 + digits) != Some(')') {
            return None;
        }
        run.plus = true;
        push_digits(&mut run, &chars[i + 2..i + 2 + digits]);
        i += 3 + digits;
        // The country code in parentheses is followed by the number, with or without a
        // separator.
        i += separator_at(chars, i).unwrap_or(0);
        if !at(i).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    } else if at(i) == Some('+') {
        if !at(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
        run.plus = true;
        i += 1;
    }
    loop {
        let n = digits_at(chars, i);
        if n == 0 {
            break;
        }
        push_digits(&mut run, &chars[i..i + n]);
        i += n;
        // "+33 (0)6 …": the trunk 0 in parentheses, once, dropped.
        if run.plus && !run.trunk_in_parens {
            let sep = separator_at(chars, i).unwrap_or(0);
            if chars.get(i + sep..i + sep + 3) == Some(&['(', '0', ')'][..]) {
                run.trunk_in_parens = true;
                i += sep + 3;
                let sep = separator_at(chars, i).unwrap_or(0);
                if at(i + sep).is_some_and(|c| c.is_ascii_digit()) {
                    i += sep;
                    continue;
                }
                break;
            }
        }
        match separator_at(chars, i) {
            Some(sep) if at(i + sep).is_some_and(|c| c.is_ascii_digit()) => i += sep,
            _ => break,
        }
    }
    if run.digits.is_empty() {
        return None;
    }
    run.glued = at(i).is_some_and(|c| c.is_alphanumeric());
    Some((run, i))
}

/// How many ASCII digits start at `chars[i]`.
fn digits_at(chars: &[char], i: usize) -> usize {
    chars.get(i..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

fn push_digits(run: &mut Run, digits: &[char]) {
    if run.digits.len() + digits.len() > MAX_RUN_DIGITS {
        run.too_long = true;
    } else {
        run.digits.extend(digits);
    }
}

/// The separator between two groups of one number at `chars[i]`, as its length: one or two
/// spaces (no line break), or one of `.`, `-`, `/`.
fn separator_at(chars: &[char], i: usize) -> Option<usize> {
    let space = |c: Option<&char>| {
        c.is_some_and(|c| matches!(c, ' ' | '\t' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
    };
    match chars.get(i) {
        Some('.' | '-' | '/' | '\u{2011}') => Some(1),
        c if space(c) => Some(if space(chars.get(i + 1)) { 2 } else { 1 }),
        _ => None,
    }
}

impl Run {
    /// The numbers this run can be: none, one, or a French and a Moroccan reading.
    fn numbers(&self) -> Vec<PhoneNumber> {
        if self.too_long || self.glued {
            return Vec::new();
        }
        let d = self.digits.as_str();
        if self.plus {
            return international(d).into_iter().collect();
        }
        if let Some(rest) = d.strip_prefix("00") {
            return international(rest).into_iter().collect();
        }
        national(d)
    }
}

/// A number written with its country code (after "+" or "00").
fn international(d: &str) -> Option<PhoneNumber> {
    for plan in PLANS {
        if let Some(rest) = d.strip_prefix(plan.code) {
            // "+33 06 …", "+212 06 …": the trunk 0 kept by mistake.
            let rest = match rest.strip_prefix('0') {
                Some(r) if plan.trunk_zero && r.len() == 9 => r,
                _ => rest,
            };
            return significant(plan, rest);
        }
    }
    // Another country: its digits (a "(0)" was dropped while reading).
    PhoneNumber::from_canonical(d)
}

/// The number of `plan`'s country whose nine national significant digits are `rest`.
fn significant(plan: &Plan, rest: &str) -> Option<PhoneNumber> {
    (rest.len() == 9
        && rest.bytes().all(|b| b.is_ascii_digit())
        && plan.starts.iter().any(|s| rest.starts_with(s)))
    .then(|| PhoneNumber(format!("{}{rest}", plan.code)))
}

/// A number written without "+" or "00": national in France, Morocco or Senegal, or one of
/// their international numbers with the "+" left out ("212 6 12 34 56 78").
fn national(d: &str) -> Vec<PhoneNumber> {
    let mut out = Vec::new();
    if let Some(rest) = d.strip_prefix('0').filter(|r| r.len() == 9) {
        out.extend(
            PLANS
                .iter()
                .filter(|p| p.trunk_zero)
                .filter_map(|p| significant(p, rest)),
        );
        return out;
    }
    if d.len() == 9 {
        out.extend(significant(&SENEGAL, d));
        return out;
    }
    for plan in PLANS {
        if d.len() == plan.code.len() + 9 && d.starts_with(plan.code) {
            out.extend(significant(plan, &d[plan.code.len()..]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(text: &str) -> Vec<String> {
        phone_numbers(text)
            .into_iter()
            .map(|p| p.as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_forms_candidates_write_give_one_canonical_number() {
        let morocco = ["212612345678"];
        let france_or_morocco = ["212612345678", "33612345678"];
        let cases: &[(&str, &[&str])] = &[
            ("+212 6 12 34 56 78", &morocco),
            ("+212612345678", &morocco),
            ("00212612345678", &morocco),
            ("00 212 6 12 34 56 78", &morocco),
            ("(+212) 6 12 34 56 78", &morocco),
            ("(+212)6-12-34-56-78", &morocco),
            ("+212 (0)6 12 34 56 78", &morocco),
            ("+212 (0) 6 12 34 56 78", &morocco),
            ("+212 06 12 34 56 78", &morocco),
            ("+212 661-234567", &["212661234567"]),
            ("212 6 12 34 56 78", &morocco),
            ("06 12 34 56 78", &france_or_morocco),
            ("06.12.34.56.78", &france_or_morocco),
            ("06-12-34-56-78", &france_or_morocco),
            ("06/12/34/56/78", &france_or_morocco),
            ("0612345678", &france_or_morocco),
            ("06\u{a0}12\u{a0}34\u{a0}56\u{a0}78", &france_or_morocco),
            ("06  12  34  56  78", &france_or_morocco),
            ("0522 12 34 56", &["212522123456", "33522123456"]),
            ("01 23 45 67 89", &["33123456789"]),
            ("(+33) 6 12 34 56 78", &["33612345678"]),
            ("+33 (0)6 12 34 56 78", &["33612345678"]),
            ("+33 6 12 34 56 78", &["33612345678"]),
            ("0033 1 23 45 67 89", &["33123456789"]),
            ("+221 77 123 45 67", &["221771234567"]),
            ("77 123 45 67", &["221771234567"]),
            ("77.123.45.67", &["221771234567"]),
            ("33 823 45 67", &["221338234567"]),
            ("00221 33 823 45 67", &["221338234567"]),
            ("+44 20 7946 0958", &["442079460958"]),
            ("+1 514-555-0199", &["15145550199"]),
        ];
        for (text, expected) in cases {
            assert_eq!(found(text), *expected, "{text:?}");
            let in_a_line = format!("Tél. : {text}, e-mail : x@example.com");
            assert_eq!(found(&in_a_line), *expected, "{in_a_line:?}");
        }
    }

    #[test]
    fn dates_years_postcodes_and_short_numbers_are_not_numbers() {
        for text in [
            "Née le 12/03/1990 à Safi",
            "01.02.2019 12.03.2020",
            "01/02/2019 - 12/03/2020",
            "2019-2023 : coordination de projets",
            "2005 2006 2007 2008",
            "75011 Paris",
            "BP 3620, 20250 Casablanca",
            "Appelez le 15 ou le 112",
            "3 ans d'expérience, 12 projets, 1 500 000 €",
            "IBAN FR76 3000 6000 0112 3456 7890 189",
            "ISBN 978-2-07-036822-8",
            "SIRET 123 456 789 00012",
            "06 12 34 56 78h",
            "Tel06 12 34 56 78",
            "+33 6 12 34 56",
            "+212 4 12 34 56 78",
            "12 345 678",
            "99 123 45 67",
            "0012",
            "+",
            "(+",
            "(+33",
            "()",
        ] {
            assert_eq!(found(text), Vec::<String>::new(), "{text:?}");
        }
    }

    #[test]
    fn two_numbers_side_by_side_are_two_numbers() {
        assert_eq!(
            found("Tél : 06 12 34 56 78 / 05 22 12 34 56"),
            vec!["212522123456", "212612345678", "33522123456", "33612345678"]
        );
        assert_eq!(
            found("+221 77 123 45 67 – +221 33 823 45 67"),
            vec!["221338234567", "221771234567"]
        );
        assert_eq!(
            found("Mobile : 77 123 45 67\nFixe : 33 823 45 67"),
            vec!["221338234567", "221771234567"]
        );
    }

    #[test]
    fn a_directory_of_numbers_is_no_ones() {
        let one_person = "Tél : 06 12 34 56 78 / +221 77 123 45 67";
        assert_eq!(personal_numbers(one_person).len(), 3);
        let directory: String = (10..40)
            .map(|i| format!("Agence {i} : 05 22 {i} 00 00\n"))
            .collect();
        assert_eq!(phone_numbers(&directory).len(), 60, "both readings of each");
        assert!(personal_numbers(&directory).is_empty());
    }

    #[test]
    fn the_two_readings_of_a_national_number_are_one_number_as_written() {
        let n = |s: &str| PhoneNumber::from_canonical(s).unwrap();
        assert!(n("33612345678").same_as_written(&n("212612345678")));
        assert!(n("212612345678").same_as_written(&n("212612345678")));
        assert!(!n("33612345678").same_as_written(&n("33612345679")));
        assert!(!n("221612345678").same_as_written(&n("33612345678")));
        assert!(!n("15145550199").same_as_written(&n("33612345678")));
    }

    #[test]
    fn numbers_are_shown_grouped() {
        let show = |s: &str| PhoneNumber::from_canonical(s).unwrap().to_string();
        assert_eq!(show("212612345678"), "+212 6 12 34 56 78");
        assert_eq!(show("33123456789"), "+33 1 23 45 67 89");
        assert_eq!(show("221771234567"), "+221 77 123 45 67");
        assert_eq!(show("442079460958"), "+442079460958");
        assert!(PhoneNumber::from_canonical("0612345678").is_none());
        assert!(PhoneNumber::from_canonical("12ab5678").is_none());
        assert!(PhoneNumber::from_canonical("1234567").is_none());
    }

    /// A number of one of the three plans, its canonical form, and ways of writing it.
    fn written() -> impl Strategy<Value = (String, String)> {
        let plan = prop_oneof![Just(0usize), Just(1), Just(2)];
        (plan, "[0-9]{8}", any::<u8>(), any::<u8>(), 0usize..4).prop_map(
            |(p, tail, first, sep, style)| {
                let plan = PLANS[p];
                let start = plan.starts[first as usize % plan.starts.len()];
                let rest = format!("{start}{}", &tail[..9 - start.len()]);
                let canonical = format!("{}{rest}", plan.code);
                let sep = [" ", ".", "-", "/", "\u{a0}", "  "][sep as usize % 6];
                let groups = |digits: &str| -> String {
                    let mut out = String::new();
                    for (i, c) in digits.chars().enumerate() {
                        if i > 0 && i % 2 == 0 {
                            out.push_str(sep);
                        }
                        out.push(c);
                    }
                    out
                };
                let text = match (style, plan.trunk_zero) {
                    (0, _) => format!("+{} {}", plan.code, groups(&rest)),
                    (1, _) => format!("00{}{}", plan.code, rest),
                    (2, _) => format!("(+{}) {}", plan.code, groups(&rest)),
                    (_, true) => groups(&format!("0{rest}")),
                    (_, false) => rest.clone(),
                };
                (text, canonical)
            },
        )
    }

    proptest! {
        #[test]
        fn every_way_of_writing_a_number_gives_its_canonical_form(
            (text, canonical) in written(),
            before in "[A-Za-zé :,]{0,12}",
            after in "[A-Za-zé ,]{0,12}",
        ) {
            let line = format!("{before} {text} {after}");
            let numbers = phone_numbers(&line);
            prop_assert!(
                numbers.iter().any(|n| n.as_str() == canonical),
                "{:?} gave {:?}, not {}", line, numbers, canonical
            );
        }

        #[test]
        fn anything_read_is_a_canonical_number(text in any::<String>()) {
            for number in phone_numbers(&text) {
                prop_assert_eq!(PhoneNumber::from_canonical(number.as_str()), Some(number.clone()));
            }
        }

        #[test]
        fn digits_and_separators_never_panic(text in "[0-9 ./()+\u{a0}-]{0,60}") {
            for number in phone_numbers(&text) {
                prop_assert!(number.as_str().len() >= MIN_DIGITS);
            }
        }
    }
}
