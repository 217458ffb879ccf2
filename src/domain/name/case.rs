//! Names in their usual case, for people to read: "BARRY Aïssatou" is shown "Barry
//! Aïssatou". Candidates write the last name in capitals to mark it (the advert's "NOM
//! Prénom"); what is filed keeps their spelling, and only what is shown changes.

use super::super::fold::fold;

/// Particles written in lower case inside a name ("Gaëlle de Kerguelen", "Anouk van der
/// Berg"). "Le", "La", "El", "Ben" are capitalised: "Le Gall", "El Khattabi".
const LOWER_PARTICLES: &[&str] = &[
    "de", "du", "des", "van", "von", "der", "den", "ter", "ten", "da", "di", "dos", "das", "del",
    "della",
];

/// `name` with each word in capitals written in its usual case; words with any lower-case
/// letter are left as the candidate wrote them.
pub fn usual_case(name: &str) -> String {
    let mut after_de = false;
    name.split(' ')
        .map(|word| {
            let key = fold(word);
            let shown = if !is_capitals(word) {
                word.to_owned()
            } else if LOWER_PARTICLES.contains(&key.as_str())
                || (after_de && (key == "la" || key == "l"))
            {
                word.to_lowercase()
            } else {
                title_case(word)
            };
            after_de = key == "de";
            shown
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// At least two letters, all capitals ("BARRY", "N'DIAYE"); not "D" nor "McDo".
fn is_capitals(word: &str) -> bool {
    let mut letters = word.chars().filter(|c| c.is_alphabetic()).peekable();
    letters.peek().is_some()
        && word.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && letters.all(char::is_uppercase)
}

/// "JEAN-PIERRE" → "Jean-Pierre", "N'DIAYE" → "N'Diaye", "D'ALEMBERT" → "d'Alembert".
fn title_case(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            start = false;
        } else {
            out.extend(c.to_lowercase());
        }
        if matches!(c, '-' | '\'' | '’') {
            start = true;
        }
    }
    // An elided "de" stays in lower case; "N'", "O'" stay capitals.
    if let Some(rest) = out.strip_prefix("D'").or_else(|| out.strip_prefix("D’")) {
        let apostrophe = &out[1..out.len() - rest.len()];
        return format!("d{apostrophe}{rest}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_take_their_usual_case() {
        for (written, shown) in [
            ("BARRY", "Barry"),
            ("BARRY Aïssatou", "Barry Aïssatou"),
            ("AÏSSATOU", "Aïssatou"),
            ("JEAN-PIERRE", "Jean-Pierre"),
            ("N'DIAYE", "N'Diaye"),
            ("D'ALEMBERT", "d'Alembert"),
            ("DE KERGUELEN", "de Kerguelen"),
            ("DE LA FONTAINE", "de la Fontaine"),
            ("LE GALL", "Le Gall"),
            ("EL KHATTABI", "El Khattabi"),
            ("VAN DER BERG", "van der Berg"),
            ("ALAOUI MRANI", "Alaoui Mrani"),
            // What is not in capitals is the candidate's own spelling.
            ("McDonald", "McDonald"),
            ("de la Fontaine", "de la Fontaine"),
            ("D", "D"),
            ("", ""),
        ] {
            assert_eq!(usual_case(written), shown, "{written:?}");
        }
    }
}
