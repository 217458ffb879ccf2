//! Splitting a candidate's name into last name and first name.
//!
//! Two sources: the part of the Subject after the posting's words, which the advert asked to
//! be "Nom + Prénom" (last name first), and the From display name, which mail clients fill
//! as "Prénom Nom" (sometimes "NOM Prénom" or "Nom, Prénom"). Neither is reliable alone, so
//! the subject gives the words and the display name breaks ties and restores spelling.

use super::fold::fold;

mod case;
mod damage;

pub use case::usual_case;

/// Characters kept of a last name, and of a first name. The longest real names run to a few
/// dozen; a sender's subject or display name can run to a megabyte.
pub const MAX_NAME_PART_CHARS: usize = 100;

/// A candidate's name as it will be filed. `first_name` may be empty; `last_name` is not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    pub last_name: String,
    pub first_name: String,
}

/// Words that belong to the word after them and stay with the last name ("de la Fontaine",
/// "El Khattabi", "van der Berg"). Compared folded, so any case and "Aït" match.
const PARTICLES: &[&str] = &[
    "de", "la", "du", "des", "van", "von", "der", "den", "le", "el", "al", "ben", "bent", "ibn",
    "abu", "ould", "ait", "da", "di", "del", "della", "dos", "das", "ter", "ten",
];

/// Elided particles, written glued to the next word ("N'Diaye") or, by some, detached
/// ("d' Alembert").
const ELIDED_PARTICLES: &[&str] = &["d", "n", "l"];

/// Words a placeholder may be made of; at least one of [`PLACEHOLDER_CORE`] must be present,
/// so that "de la" alone is not taken for the template.
const PLACEHOLDER_WORDS: &[&str] = &[
    "et",
    "and",
    "votre",
    "vos",
    "ton",
    "your",
    "mon",
    "ma",
    "first",
    "last",
    "family",
    "given",
    "de",
    "du",
    "famille",
    "candidat",
    "candidate",
    "le",
    "la",
];
const PLACEHOLDER_CORE: &[&str] = &[
    "nom",
    "noms",
    "prenom",
    "prenoms",
    "name",
    "surname",
    "firstname",
    "lastname",
    "x",
    "y",
    "xx",
    "xxx",
    "xxxx",
];

/// Courtesy titles some people put before their name ("M. Dupont Jean").
const CIVILITIES: &[&str] = &[
    "m", "mme", "mlle", "mr", "mrs", "ms", "dr", "monsieur", "madame",
];

/// Words that trail a name in subjects ("Dupont Marie CV") and are not part of it; left in,
/// "CV" would even pass for a last name in capitals.
const TRAILING_NOISE: &[&str] = &["cv", "lm", "candidature"];

/// One word of a name: as written, and its [`fold`] key.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    key: String,
}

impl Word {
    fn new(text: String) -> Word {
        let key = fold(&text);
        Word { text, key }
    }

    fn is_particle(&self) -> bool {
        PARTICLES.contains(&self.key.as_str())
    }

    /// At least two letters, all of them capitals: "CISSÉ", "EL", not "D" nor "McDo".
    fn is_upper(&self) -> bool {
        let mut letters = 0usize;
        for c in self.text.chars().filter(|c| c.is_alphabetic()) {
            if !c.is_uppercase() {
                return false;
            }
            letters += 1;
        }
        letters >= 2
    }

    fn has_lowercase(&self) -> bool {
        self.text.chars().any(char::is_lowercase)
    }
}

/// Whether `name_part` is the advert's template copied literally ("Nom + Prénom",
/// `[Nom] [Prénom]`, "Votre nom", "X Y") rather than a name.
pub fn is_placeholder(name_part: &str) -> bool {
    let key = fold(name_part);
    let mut words = key.split(' ').filter(|w| !w.is_empty()).peekable();
    if words.peek().is_none() {
        return false;
    }
    let mut has_core = false;
    for w in words {
        if PLACEHOLDER_CORE.contains(&w) {
            has_core = true;
        } else if !PLACEHOLDER_WORDS.contains(&w) {
            return false;
        }
    }
    has_core
}

/// Parses the name part of a subject ("Nom Prénom", "Nom + Prénom", "Prénom NOM"), using the
/// From display name, if any, to settle an ambiguous order and to restore spelling.
///
/// `None` when the subject holds no name, or a word the server damaged that the display
/// name cannot spell again: the caller then takes the display name, which is whole.
pub fn name_from_subject(name_part: &str, from_display: Option<&str>) -> Option<PersonName> {
    let text = without_controls(name_part);
    if is_placeholder(&text) {
        return None;
    }
    let display = from_display.and_then(name_from_display);
    let display_words = from_display.map(|d| clean_words(&without_controls(d)));
    let fit = |words| fit_words(words, display_words.as_deref());
    let (last, first) = match explicit_split(&text) {
        Some((last, first)) => (fit(last)?, fit(first)?),
        None => {
            let words = fit(clean_words(&text))?;
            let marked = from_display.is_some_and(display_order_is_marked);
            split_subject_words(words, display.as_ref(), display_words.as_deref(), marked)
        }
    };
    if last.is_empty() && first.is_empty() {
        return None;
    }
    Some(assemble(last, first, display_words.as_deref()))
}

/// The subject's words without [`damage::is_filler`] words, each damaged word replaced by the
/// display name's word it can have been. `None` when a damaged word matches none while there
/// is a display name to take instead.
fn fit_words(words: Vec<Word>, display_words: Option<&[Word]>) -> Option<Vec<Word>> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        if damage::is_filler(&w.text) {
            continue;
        }
        if !damage::is_damaged(&w.text) {
            out.push(w);
            continue;
        }
        match display_words {
            None => out.push(w),
            Some(ds) => out.push(
                ds.iter()
                    .find(|d| damage::could_be(&w.text, &d.text))?
                    .clone(),
            ),
        }
    }
    Some(out)
}

/// Whether the display name says itself which words are the last name: a comma ("Nom,
/// Prénom") or capitals on some words only ("Salma ALAOUI MRANI").
fn display_order_is_marked(display: &str) -> bool {
    let text = without_controls(display);
    split_at_first(&text, ',').is_some()
        || split_by_capitals(&group_units(clean_words(&text), true)).is_some()
}

/// Parses a From display name: "Prénom Nom" by default, "NOM Prénom" or "Prénom NOM" when one
/// side is in capitals, "Nom, Prénom" with a comma. Email addresses are ignored.
pub fn name_from_display(display: &str) -> Option<PersonName> {
    let text = without_controls(display);
    if is_placeholder(&text) {
        return None;
    }
    if let Some((last, first)) = split_at_first(&text, ',') {
        return Some(assemble(last, first, None));
    }
    let words = clean_words(&text);
    if words.is_empty() {
        return None;
    }
    let units = group_units(words, true);
    let (last, first) = match split_by_capitals(&units) {
        Some(split) => split,
        None => {
            let mut units = units;
            let last = units.pop().unwrap_or_default();
            (last, units.concat())
        }
    };
    Some(assemble(last, first, None))
}

/// The ambiguous case of a subject: capitals, then the display name, then "Nom Prénom".
///
/// With the same words in the display name, in its own order and with nothing marking its
/// last name, the subject's order gives the split: the subject is "Nom Prénom" and a
/// display name "Prénom Nom", so "Alaoui Mrani Salma" against "Salma Alaoui Mrani" puts
/// the cut after "Mrani", where the default would cut before it.
fn split_subject_words(
    words: Vec<Word>,
    display: Option<&PersonName>,
    display_words: Option<&[Word]>,
    display_marked: bool,
) -> (Vec<Word>, Vec<Word>) {
    let units = group_units(words, false);
    if let Some(split) = split_by_capitals(&units) {
        return split;
    }
    let words = units.concat();
    if let Some(ds) = display_words.filter(|_| !display_marked)
        && let Some(k) = rotation(&words, ds)
    {
        let mut pool = words;
        let last = take_spellings(&ds[k..], &mut pool);
        let first = take_spellings(&ds[..k], &mut pool);
        return (last, first);
    }
    if let Some(d) = display {
        let d_last = clean_words(&d.last_name);
        let d_first = clean_words(&d.first_name);
        let mut subject_keys: Vec<&str> = words.iter().map(|w| w.key.as_str()).collect();
        let mut display_keys: Vec<&str> = d_last
            .iter()
            .chain(&d_first)
            .map(|w| w.key.as_str())
            .collect();
        subject_keys.sort_unstable();
        display_keys.sort_unstable();
        if subject_keys == display_keys {
            let mut pool = words;
            let last = take_spellings(&d_last, &mut pool);
            let first = take_spellings(&d_first, &mut pool);
            return (last, first);
        }
        // A lone word says nothing about order; the display name says which half it is.
        if let [only] = words.as_slice()
            && d_last.iter().chain(&d_first).any(|w| w.key == only.key)
        {
            return (d_last, d_first);
        }
    }
    let mut units = group_units(words, false).into_iter();
    let last = units.next().unwrap_or_default();
    (last, units.flatten().collect())
}

/// The `k` (not 0) for which `subject` is `display[k..]` followed by `display[..k]`.
fn rotation(subject: &[Word], display: &[Word]) -> Option<usize> {
    let n = display.len();
    if subject.len() != n || n < 2 {
        return None;
    }
    (1..n).find(|&k| {
        subject
            .iter()
            .zip(display[k..].iter().chain(&display[..k]))
            .all(|(s, d)| s.key == d.key)
    })
}

/// "Nom + Prénom" and "Nom, Prénom": the candidate said which side is which.
fn explicit_split(text: &str) -> Option<(Vec<Word>, Vec<Word>)> {
    split_at_first(text, '+').or_else(|| split_at_first(text, ','))
}

fn split_at_first(text: &str, sep: char) -> Option<(Vec<Word>, Vec<Word>)> {
    let (left, right) = text.split_once(sep)?;
    let last = clean_words(left);
    let first = clean_words(right);
    (!last.is_empty() && !first.is_empty()).then_some((last, first))
}

/// When some but not all name units are in capitals, the capitalised ones are the last name.
fn split_by_capitals(units: &[Vec<Word>]) -> Option<(Vec<Word>, Vec<Word>)> {
    let is_upper_unit = |u: &Vec<Word>| u.last().is_some_and(Word::is_upper);
    let upper = units.iter().filter(|u| is_upper_unit(u)).count();
    if upper == 0 || upper == units.len() {
        return None;
    }
    let (last, first): (Vec<_>, Vec<_>) = units.iter().cloned().partition(is_upper_unit);
    Some((last.concat(), first.concat()))
}

/// Groups words into units: a run of particles plus the word they belong to. With
/// `first_is_given`, the first word is never a particle: in "Prénom Nom" order, a leading
/// "Ben" or "El" is far more likely a given name than the start of a last name.
fn group_units(words: Vec<Word>, first_is_given: bool) -> Vec<Vec<Word>> {
    let count = words.len();
    let mut units = Vec::new();
    let mut pending = Vec::new();
    for (i, w) in words.into_iter().enumerate() {
        let ends_unit = !w.is_particle() || (first_is_given && i == 0 && count > 1);
        pending.push(w);
        if ends_unit {
            units.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        units.push(pending);
    }
    units
}

/// Builds the result, taking each word's spelling from the display name when it has that
/// word in mixed case: it restores accents a subject lacked and undoes all-caps subjects.
fn assemble(last: Vec<Word>, first: Vec<Word>, display_words: Option<&[Word]>) -> PersonName {
    let respell = |words: Vec<Word>| -> String {
        words
            .into_iter()
            .map(|w| {
                display_words
                    .and_then(|ds| ds.iter().find(|d| d.has_lowercase() && d.key == w.key))
                    .map_or(w.text, |d| d.text.clone())
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (last, first) = (capped(respell(last)), capped(respell(first)));
    if last.is_empty() {
        PersonName {
            last_name: first,
            first_name: String::new(),
        }
    } else {
        PersonName {
            last_name: last,
            first_name: first,
        }
    }
}

/// `part` cut to [`MAX_NAME_PART_CHARS`]: whole words while they fit, or the start of a
/// first word that is longer on its own.
pub fn capped(part: String) -> String {
    if part.chars().count() <= MAX_NAME_PART_CHARS {
        return part;
    }
    let mut out = String::new();
    let mut len = 0;
    for word in part.split(' ').filter(|w| !w.is_empty()) {
        let gap = usize::from(!out.is_empty());
        let word_len = word.chars().count();
        if len + gap + word_len > MAX_NAME_PART_CHARS {
            break;
        }
        if gap == 1 {
            out.push(' ');
        }
        out.push_str(word);
        len += gap + word_len;
    }
    if out.is_empty() {
        out = part.chars().take(MAX_NAME_PART_CHARS).collect();
    }
    out
}

/// Moves, for each wanted word, the word with the same key out of `pool`, keeping the pool's
/// spelling (the subject's, as the candidate typed it).
fn take_spellings(wanted: &[Word], pool: &mut Vec<Word>) -> Vec<Word> {
    wanted
        .iter()
        .map(|w| match pool.iter().position(|p| p.key == w.key) {
            Some(i) => pool.remove(i),
            None => w.clone(),
        })
        .collect()
}

/// Splits free text into name words: addresses, quotes, brackets and punctuation around
/// words are dropped; hyphens and apostrophes inside words stay ("Jean-Baptiste", "N'Diaye").
fn clean_words(text: &str) -> Vec<Word> {
    let spaced: String = text
        .chars()
        .map(|c| match c {
            '_' | '/' | '<' | '>' | '+' | ',' | ';' | '|' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let mut raw: Vec<String> = Vec::new();
    for piece in spaced.split_whitespace() {
        if piece.contains('@') {
            continue;
        }
        match raw.last_mut().filter(|prev| is_detached_elision(prev)) {
            Some(prev) => prev.push_str(piece),
            None => raw.push(piece.to_string()),
        }
    }
    let words: Vec<Word> = raw
        .iter()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(|w| Word::new(w.to_string()))
        .collect();
    let civilities = words
        .iter()
        .take(words.len().saturating_sub(1))
        .take_while(|w| CIVILITIES.contains(&w.key.as_str()))
        .count();
    let mut words = words.into_iter().skip(civilities).collect::<Vec<_>>();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| TRAILING_NOISE.contains(&w.key.as_str()))
    {
        words.pop();
    }
    words
}

/// "d'" or "N’" standing alone, to be glued to the next word.
fn is_detached_elision(word: &str) -> bool {
    word.strip_suffix(['\'', '’'])
        .is_some_and(|stem| ELIDED_PARTICLES.contains(&fold(stem).as_str()))
}

fn without_controls(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests;
