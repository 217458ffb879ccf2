//! Splitting a candidate's name into last name and first name.
//!
//! Two sources: the part of the Subject after the posting's words, which the advert asked to
//! be "Nom + Prénom" (last name first), and the From display name, which mail clients fill
//! as "Prénom Nom" (sometimes "NOM Prénom" or "Nom, Prénom"). Neither is reliable alone, so
//! the subject gives the words and the display name breaks ties and restores spelling.

use super::fold::fold;

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
pub fn name_from_subject(name_part: &str, from_display: Option<&str>) -> Option<PersonName> {
    let text = without_controls(name_part);
    if is_placeholder(&text) {
        return None;
    }
    let display = from_display.and_then(name_from_display);
    let display_words = from_display.map(|d| clean_words(&without_controls(d)));
    let (last, first) = match explicit_split(&text) {
        Some(split) => split,
        None => {
            let words = clean_words(&text);
            if words.is_empty() {
                return None;
            }
            split_subject_words(words, display.as_ref())
        }
    };
    Some(assemble(last, first, display_words.as_deref()))
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
fn split_subject_words(words: Vec<Word>, display: Option<&PersonName>) -> (Vec<Word>, Vec<Word>) {
    let units = group_units(words, false);
    if let Some(split) = split_by_capitals(&units) {
        return split;
    }
    let words = units.concat();
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(last: &str, first: &str) -> Option<PersonName> {
        Some(PersonName {
            last_name: last.to_string(),
            first_name: first.to_string(),
        })
    }

    #[test]
    fn names_from_subjects() {
        let cases: Vec<(&str, Option<&str>, Option<PersonName>)> = vec![
            // Every candidate of the sample inbox: subject name part, From display name.
            (
                "Delorme Gaspard",
                Some("Gaspard Delorme"),
                person("Delorme", "Gaspard"),
            ),
            (
                "Sebti Loubna",
                Some("Loubna Sebti"),
                person("Sebti", "Loubna"),
            ),
            (
                "Carré Héloïse",
                Some("Héloïse Carré"),
                person("Carré", "Héloïse"),
            ),
            (
                "Quéré Maëlys",
                Some("Maëlys Quéré"),
                person("Quéré", "Maëlys"),
            ),
            ("FAYE CHEIKH", Some("Cheikh Faye"), person("Faye", "Cheikh")),
            (
                "Belhaj Rayane",
                Some("Rayane Belhaj"),
                person("Belhaj", "Rayane"),
            ),
            (
                "Lévêque Anaëlle",
                Some("Anaëlle Lévêque"),
                person("Lévêque", "Anaëlle"),
            ),
            (
                "Prévost Gaëtan",
                Some("Gaëtan Prévost"),
                person("Prévost", "Gaëtan"),
            ),
            (
                "Skalli Oumaïma",
                Some("Oumaïma Skalli"),
                person("Skalli", "Oumaïma"),
            ),
            ("Diouf Aliou", Some("Aliou Diouf"), person("Diouf", "Aliou")),
            (
                "Kourouma Mamadi",
                Some("Mamadi Kourouma"),
                person("Kourouma", "Mamadi"),
            ),
            (
                "Fabre Clément",
                Some("Clément Fabre"),
                person("Fabre", "Clément"),
            ),
            ("Nom + Prénom", Some("Pierrick Lagarde"), None),
            ("Fanta CISSÉ", Some("Fanta Cissé"), person("Cissé", "Fanta")),
            (
                "El Khattabi Nawal",
                Some("Nawal El Khattabi"),
                person("El Khattabi", "Nawal"),
            ),
            (
                "Bangoura Kadiatou",
                Some("Kadiatou Bangoura"),
                person("Bangoura", "Kadiatou"),
            ),
            (
                "Maillard Tristan",
                Some("Tristan Maillard"),
                person("Maillard", "Tristan"),
            ),
            (
                "Jacquot Adèle",
                Some("Adèle Jacquot"),
                person("Jacquot", "Adèle"),
            ),
            (
                "de Kerguelen Gaëlle",
                Some("Gaëlle de Kerguelen"),
                person("de Kerguelen", "Gaëlle"),
            ),
            (
                "Gueye Ousseynou",
                Some("Ousseynou Gueye"),
                person("Gueye", "Ousseynou"),
            ),
            (
                "Benkirane Yassine",
                Some("Yassine Benkirane"),
                person("Benkirane", "Yassine"),
            ),
            (
                "Marty Solène",
                Some("Solène Marty"),
                person("Marty", "Solène"),
            ),
            (
                "Pasquier Jérémie",
                Some("Jérémie Pasquier"),
                person("Pasquier", "Jérémie"),
            ),
            (
                "Mbaye Seynabou",
                Some("Seynabou Mbaye"),
                person("Mbaye", "Seynabou"),
            ),
            (
                "Mbaye Seynabou",
                Some("Khalid Ennaji"),
                person("Mbaye", "Seynabou"),
            ),
            ("Condé Sékou", Some("Sékou Condé"), person("Condé", "Sékou")),
            ("Seck Modou", Some("Modou Seck"), person("Seck", "Modou")),
            ("Ouali Siham", Some("Siham Ouali"), person("Ouali", "Siham")),
            ("Gervais Lancelot", None, person("Gervais", "Lancelot")),
            // Capitals mark the last name, unless everything is in capitals.
            ("DUPONT Marie", None, person("DUPONT", "Marie")),
            ("Marie DUPONT", None, person("DUPONT", "Marie")),
            (
                "Marie DUPONT",
                Some("Marie Dupont"),
                person("Dupont", "Marie"),
            ),
            ("FAYE CHEIKH", None, person("FAYE", "CHEIKH")),
            (
                "Gaëlle DE KERGUELEN",
                None,
                person("DE KERGUELEN", "Gaëlle"),
            ),
            ("EL KHATTABI Nawal", None, person("EL KHATTABI", "Nawal")),
            (
                "EL KHATTABI Nawal",
                Some("Nawal El Khattabi"),
                person("El Khattabi", "Nawal"),
            ),
            ("Marie D", None, person("Marie", "D")),
            // A literal "+" or comma says which side is which.
            ("Dupont + Marie", None, person("Dupont", "Marie")),
            (
                "Marie + Dupont",
                Some("Marie Dupont"),
                person("Marie", "Dupont"),
            ),
            (
                "de la Fontaine + Jean Pierre",
                None,
                person("de la Fontaine", "Jean Pierre"),
            ),
            ("Dupont, Marie", None, person("Dupont", "Marie")),
            ("Dupont +", None, person("Dupont", "")),
            // Particles stay with the last name.
            ("N'Diaye Awa", None, person("N'Diaye", "Awa")),
            ("d' Alembert Jean", None, person("d'Alembert", "Jean")),
            ("Ben Ali Karim", None, person("Ben Ali", "Karim")),
            ("van der Berg Anouk", None, person("van der Berg", "Anouk")),
            (
                "de la Fontaine Jean",
                None,
                person("de la Fontaine", "Jean"),
            ),
            ("Ould Ahmed Mohamed", None, person("Ould Ahmed", "Mohamed")),
            ("Aït Ouali Samia", None, person("Aït Ouali", "Samia")),
            ("Le Gall Yann", None, person("Le Gall", "Yann")),
            ("El Khattabi", None, person("El Khattabi", "")),
            // Ambiguous order: the From display name decides, and respells.
            ("Dupont Marie", None, person("Dupont", "Marie")),
            (
                "Dupont Marie",
                Some("Marie Dupont"),
                person("Dupont", "Marie"),
            ),
            (
                "Marie Dupont",
                Some("Marie Dupont"),
                person("Dupont", "Marie"),
            ),
            (
                "Marie Dupont",
                Some("DUPONT Marie"),
                person("Dupont", "Marie"),
            ),
            (
                "Dupont Marie",
                Some("Jean Martin"),
                person("Dupont", "Marie"),
            ),
            (
                "dupont marie",
                Some("Marie Dupont"),
                person("Dupont", "Marie"),
            ),
            (
                "Quere Maelys",
                Some("Maëlys Quéré"),
                person("Quéré", "Maëlys"),
            ),
            ("Dupont Jean Pierre", None, person("Dupont", "Jean Pierre")),
            (
                "Jean Pierre Dupont",
                Some("Jean Pierre Dupont"),
                person("Dupont", "Jean Pierre"),
            ),
            (
                "Dupont Jean-Baptiste",
                None,
                person("Dupont", "Jean-Baptiste"),
            ),
            (
                "Dupont Marie",
                Some("marie.dupont@example.com"),
                person("Dupont", "Marie"),
            ),
            // One word: the display name completes it when it contains that word.
            ("Dupont", None, person("Dupont", "")),
            ("Dupont", Some("Marie Dupont"), person("Dupont", "Marie")),
            ("Marie", Some("Marie Dupont"), person("Dupont", "Marie")),
            ("Dupont", Some("Jean Martin"), person("Dupont", "")),
            // Punctuation, quotes, brackets, addresses, courtesy titles, trailing "CV".
            ("\"Dupont Marie\"", None, person("Dupont", "Marie")),
            ("« Dupont Marie »", None, person("Dupont", "Marie")),
            ("[Dupont] [Marie]", None, person("Dupont", "Marie")),
            ("Dupont Marie.", None, person("Dupont", "Marie")),
            (
                "Dupont Marie <marie.dupont@example.com>",
                None,
                person("Dupont", "Marie"),
            ),
            ("M. Dupont Jean", None, person("Dupont", "Jean")),
            ("Dupont Marie CV", None, person("Dupont", "Marie")),
            ("Dupont_Marie", None, person("Dupont", "Marie")),
            ("Dupont\tMarie\u{7}", None, person("Dupont", "Marie")),
            // Not a name.
            ("Nom Prénom", None, None),
            ("NOM Prénom", Some("Marie Dupont"), None),
            ("Nom et Prénom", None, None),
            ("Prénom Nom", None, None),
            ("Nom Prenom", None, None),
            ("[Nom] [Prénom]", None, None),
            ("Votre nom", None, None),
            ("X Y", None, None),
            ("", None, None),
            ("– : –", None, None),
            ("123 456", None, None),
        ];
        let mut failures = Vec::new();
        for (part, display, expected) in &cases {
            let got = name_from_subject(part, *display);
            if got != *expected {
                failures.push(format!(
                    "{part:?} / {display:?}: got {got:?}, expected {expected:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert!(cases.len() >= 40);
    }

    #[test]
    fn names_from_display_names() {
        let cases = [
            ("Babacar SARR", person("SARR", "Babacar")),
            ("SARR Babacar", person("SARR", "Babacar")),
            ("Pierrick Lagarde", person("Lagarde", "Pierrick")),
            ("Gaëlle de Kerguelen", person("de Kerguelen", "Gaëlle")),
            ("Nawal El Khattabi", person("El Khattabi", "Nawal")),
            ("Fanta Cissé", person("Cissé", "Fanta")),
            ("Dupont, Marie", person("Dupont", "Marie")),
            ("\"Dupont, Marie\"", person("Dupont", "Marie")),
            (
                "Marie Dupont <marie.dupont@example.com>",
                person("Dupont", "Marie"),
            ),
            ("Marie Claire Dupont", person("Dupont", "Marie Claire")),
            (
                "Jean-Baptiste Poquelin",
                person("Poquelin", "Jean-Baptiste"),
            ),
            ("Madame Marie Dupont", person("Dupont", "Marie")),
            ("Ben Smith", person("Smith", "Ben")),
            ("Awa N'Diaye", person("N'Diaye", "Awa")),
            ("Anouk van der Berg", person("van der Berg", "Anouk")),
            ("BABACAR SARR", person("SARR", "BABACAR")),
            ("Dupont", person("Dupont", "")),
            ("marie.dupont@example.com", None),
            ("", None),
            ("Prénom Nom", None),
        ];
        for (display, expected) in cases {
            assert_eq!(
                name_from_display(display),
                expected,
                "name_from_display({display:?})"
            );
        }
    }

    #[test]
    fn placeholders() {
        for p in [
            "Nom + Prénom",
            "NOM Prénom",
            "Nom et Prénom",
            "Prénom Nom",
            "[Nom] [Prénom]",
            "Votre nom",
            "Nom de famille Prénom",
            "x y",
        ] {
            assert!(is_placeholder(p), "{p:?} is a placeholder");
        }
        for p in ["Dupont Marie", "Nom Dupont", "", "de la", "Xavier Y"] {
            assert!(!is_placeholder(p), "{p:?} is not a placeholder");
        }
    }

    fn well_formed(name: &PersonName) -> bool {
        let ok = |s: &str| {
            s.trim() == s
                && !s.chars().any(char::is_control)
                && s.chars().count() <= MAX_NAME_PART_CHARS
        };
        ok(&name.last_name) && ok(&name.first_name) && !name.last_name.is_empty()
    }

    /// A megabyte subject once stored a million-character last name.
    #[test]
    fn name_parts_are_capped() {
        let word = "Abcdefghij".repeat(100_000);
        let name = name_from_subject(&word, None).unwrap();
        assert_eq!(name.last_name.chars().count(), MAX_NAME_PART_CHARS);
        // Many words: whole words are kept while they fit.
        let words = ["DUPONT"; 50].join(" ") + " " + &["Marie"; 50].join(" ");
        let name = name_from_subject(&words, None).unwrap();
        assert!(
            name.last_name.chars().count() <= MAX_NAME_PART_CHARS,
            "{name:?}"
        );
        assert!(
            name.first_name.chars().count() <= MAX_NAME_PART_CHARS,
            "{name:?}"
        );
        assert!(name.last_name.starts_with("DUPONT DUPONT"), "{name:?}");
        assert!(name.first_name.ends_with("Marie"), "{name:?}");
        let name = name_from_display(&format!("Marie {word}")).unwrap();
        assert_eq!(name.last_name.chars().count(), MAX_NAME_PART_CHARS);
        assert_eq!(name.first_name, "Marie");
        // What fits is untouched.
        assert_eq!(
            name_from_subject("DUPONT Marie", None),
            person("DUPONT", "Marie")
        );
    }

    proptest! {
        #[test]
        fn long_names_are_capped_on_a_word(words in proptest::collection::vec("[A-Za-zé]{1,30}", 1..80)) {
            if let Some(name) = name_from_display(&words.join(" ")) {
                prop_assert!(well_formed(&name), "{:?}", name);
            }
        }
    }

    proptest! {
        #[test]
        fn subject_names_are_trimmed_and_clean(part in any::<String>(), display in proptest::option::of(any::<String>())) {
            if let Some(name) = name_from_subject(&part, display.as_deref()) {
                prop_assert!(well_formed(&name), "{:?}", name);
            }
        }

        #[test]
        fn subject_names_from_name_like_text_are_clean(
            part in "[A-Za-zÀ-ÿ'’+,. \t\u{0}-\u{1f}-]{0,30}",
            display in proptest::option::of("[A-Za-zÀ-ÿ'’,<>@. -]{0,30}"),
        ) {
            if let Some(name) = name_from_subject(&part, display.as_deref()) {
                prop_assert!(well_formed(&name), "{:?}", name);
            }
        }

        #[test]
        fn display_names_never_panic(display in any::<String>()) {
            if let Some(name) = name_from_display(&display) {
                prop_assert!(well_formed(&name), "{:?}", name);
            }
        }
    }
}
