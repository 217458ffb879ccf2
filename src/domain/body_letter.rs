//! A cover letter written in the body of the email instead of attached.

use super::fold::fold;

/// Fewer words than this is a covering note ("please find my CV attached"), not a letter.
/// The shortest real body letter seen in the samples has 109 words with its signature.
const MIN_WORDS: usize = 80;
/// Past this length a body that opens with a salutation is a letter even without a closing
/// formula.
const LONG_WORDS: usize = 150;

const SALUTATIONS: &[&str] = &[
    "madame", "monsieur", "bonjour", "dear", "hello", "chere", "cher",
];
const CLOSINGS: &[&str] = &[
    "salutations",
    "agreer",
    "cordialement",
    "respectueusement",
    "sincerely",
    "regards",
    "considerations",
    "dans l attente",
];

/// Closing formulas of a formal letter, folded. Unlike "Cordialement", which ends any note,
/// these close letters: with a salutation they make a short body a letter.
const FORMAL_CLOSINGS: &[&str] = &[
    "prie d agreer",
    "veuillez agreer",
    "salutations distinguees",
    "salutations respectueuses",
    "respectueuses salutations",
    "sentiments distingues",
    "sentiments respectueux",
    "ma consideration",
    "ma haute consideration",
    "yours faithfully",
    "yours sincerely",
];

/// What announces the attachments ("ci-joint mon CV"), folded: a sentence that says it is
/// no part of a letter's substance.
const ATTACHMENT_CUES: &[&str] = &[
    "ci joint",
    "ci jointe",
    "ci joints",
    "piece jointe",
    "pieces jointes",
    "en pj",
    "veuillez trouver",
    "vous trouverez",
    "please find",
    "attached",
];

/// Words of substance a short formal letter needs besides its salutation, its closing and
/// what it says about the attachments. A real 57-word letter has some 30; a formal covering
/// note ("Madame, Monsieur, veuillez trouver ci-joint mon CV. Je vous prie d'agréer…") has
/// none.
const SHORT_LETTER_SUBSTANCE: usize = 20;

/// Returns the letter's text when the body is one: the candidate's own text, with quoted
/// replies and the signature cut off.
///
/// A long body is a letter when it opens with a salutation and closes (or runs long). A
/// short one is a letter when it opens with a salutation, closes with a formal formula and
/// says something besides announcing the attachments.
pub fn letter_in_body(body: &str) -> Option<String> {
    let own = own_text(body);
    let words = own.split_whitespace().count();
    let folded = fold(&own);
    let opening: Vec<&str> = folded.split(' ').take(12).collect();
    let greets = opening.iter().any(|w| SALUTATIONS.contains(w));
    if !greets {
        return None;
    }
    if words >= MIN_WORDS {
        let closes = CLOSINGS.iter().any(|c| folded.contains(c));
        return (closes || words >= LONG_WORDS).then_some(own);
    }
    let formal = FORMAL_CLOSINGS.iter().any(|c| folded.contains(c));
    (formal && substance(&own) >= SHORT_LETTER_SUBSTANCE).then_some(own)
}

/// Words in the sentences that are not the salutation, a closing formula or an
/// announcement of the attachments.
fn substance(text: &str) -> usize {
    text.split(['.', '!', '?', '\n'])
        .map(fold)
        .filter(|s| !s.is_empty())
        .filter(|s| {
            let salutation_only = s.split(' ').all(|w| SALUTATIONS.contains(&w));
            !salutation_only
                && !FORMAL_CLOSINGS.iter().any(|c| s.contains(c))
                && !CLOSINGS.iter().any(|c| s.contains(c))
                && !ATTACHMENT_CUES.iter().any(|c| s.contains(c))
        })
        .map(|s| s.split(' ').count())
        .sum()
}

/// The text the sender wrote: everything before the first quote marker, quoted reply
/// header or signature separator.
fn own_text(body: &str) -> String {
    let mut kept = Vec::new();
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') || trimmed == "--" || line == "-- " || is_quote_header(trimmed)
        {
            break;
        }
        kept.push(line.trim_end());
    }
    kept.join("\n").trim().to_owned()
}

fn is_quote_header(line: &str) -> bool {
    let lower = line.to_lowercase();
    lower.starts_with("-----original message")
        || lower.starts_with("-------- message original")
        || lower.starts_with("---------- forwarded message")
        || lower.starts_with("-------- message transféré")
        || lower.starts_with("de :") && lower.contains('@')
        || lower.starts_with("from:") && lower.contains('@')
        || (lower.starts_with("le ") && lower.ends_with("a écrit :"))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "Madame, Monsieur,\n\nJe vous adresse ma candidature au poste de Coordinateur du Partenariat au Maroc, dont j'ai eu connaissance par un réseau d'anciens volontaires.\n\nMon parcours chez Fondation Al Mountada m'a appris à concilier les exigences des bailleurs, les réalités du terrain et les attentes des habitants, notamment dans la région de Kindia.\n\nLa côte atlantique et la région de Safi me sont familières, et je serais heureux de contribuer au développement de votre filiale marocaine.\n\nDisponible à partir d'octobre 2021, je me tiens prêt à vous rencontrer.\n\nDans l'attente de votre retour, je vous adresse, Madame, Monsieur, mes salutations respectueuses.\n\nGaëlle de Kerguelen\n";

    #[test]
    fn a_letter_in_the_body_is_found() {
        let letter = letter_in_body(LETTER).expect("a letter");
        assert!(letter.starts_with("Madame, Monsieur"));
    }

    #[test]
    fn a_covering_note_is_not_a_letter() {
        assert_eq!(
            letter_in_body("Bonjour,\n\nVeuillez trouver ci-joint mon CV.\n\nMarie"),
            None
        );
    }

    #[test]
    fn quoted_text_does_not_count() {
        let reply = format!(
            "Bonjour,\n\nAvez-vous reçu mon dossier ?\n\nLe 3 juin 2021, Marie a écrit :\n{}",
            LETTER
                .lines()
                .map(|l| format!("> {l}\n"))
                .collect::<String>()
        );
        assert_eq!(letter_in_body(&reply), None);
    }

    #[test]
    fn the_signature_is_cut() {
        let signed = format!("{LETTER}-- \nMarie Dupont\n06 00 00 00 00");
        assert!(!letter_in_body(&signed).unwrap().contains("06 00"));
    }

    /// 57 words, formal: the 80-word floor alone once missed it (issue 28).
    const SHORT_LETTER: &str = "Madame, Monsieur,\n\nJe souhaite vous proposer ma candidature au poste de coordinatrice du partenariat au Maroc. Titulaire d'un master en développement local, j'ai mené pendant quatre ans des projets associatifs à Safi et à Marrakech. Je parle couramment arabe, français et anglais.\n\nJe vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.\n\nSalma Alaoui Mrani\n";

    #[test]
    fn a_short_formal_letter_is_a_letter() {
        let words = SHORT_LETTER.split_whitespace().count();
        assert!((50..MIN_WORDS).contains(&words), "{words} words");
        assert!(letter_in_body(SHORT_LETTER).is_some());
    }

    #[test]
    fn short_notes_are_not_letters_even_formal_ones() {
        for note in [
            "Bonjour,\n\nci-joint mon CV. Cordialement\n\nKarim",
            "Madame, Monsieur,\n\nVeuillez trouver ci-joint mon CV et ma lettre de motivation pour le poste de coordination au Maroc.\n\nJe vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.\n\nKarim Idrissi",
            "Madame, Monsieur,\n\nJe suis disponible dès septembre.\n\nVeuillez agréer mes salutations distinguées.",
            // Substance without a formal closing: a note, however polite.
            "Bonjour,\n\nJe souhaite vous proposer ma candidature au poste de coordinatrice du partenariat au Maroc. Titulaire d'un master en développement local, j'ai mené pendant quatre ans des projets associatifs.\n\nCordialement,\nSalma",
        ] {
            assert_eq!(letter_in_body(note), None, "{note}");
        }
    }

    #[test]
    fn a_long_text_without_salutation_is_not_a_letter() {
        let text = "lorem ipsum ".repeat(100);
        assert_eq!(letter_in_body(&text), None);
    }
}
