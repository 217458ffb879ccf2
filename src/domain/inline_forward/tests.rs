use super::*;

fn bennani() -> Sender {
    Sender {
        address: EmailAddress::parse("leila.bennani@example.com").unwrap(),
        display_name: Some("Leïla Bennani".into()),
    }
}

const SUBJECT: &str = "Coordination Maroc – Bennani Leïla";
const LETTER_START: &str = "Madame, Monsieur,";

/// What each mail client writes, as copied from real forwards (names changed).
const CLIENTS: &[(&str, &str)] = &[
    (
        "Outlook FR",
        "Bonjour,\n\nReçu sur ma boîte perso, je te le transmets.\n\nKarim\n\n________________________________\nDe : Leïla Bennani <leila.bennani@example.com>\nEnvoyé : lundi 5 juillet 2021 09:14\nÀ : Karim Idrissi <karim.idrissi@perso.example>\nObjet : Coordination Maroc – Bennani Leïla\n\nMadame, Monsieur,\n\nVeuillez trouver ci-joint ma candidature.\n",
    ),
    (
        "Outlook FR desktop",
        "Pour info.\n\n-----Message d'origine-----\nDe : Leïla Bennani [mailto:leila.bennani@example.com] \nEnvoyé : lundi 5 juillet 2021 09:14\nÀ : Karim Idrissi\nObjet : Coordination Maroc – Bennani Leïla\n\nMadame, Monsieur,\n",
    ),
    (
        "Outlook EN",
        "FYI\n\nFrom: Leïla Bennani <leila.bennani@example.com>\nSent: Monday, July 5, 2021 9:14 AM\nTo: Karim Idrissi <karim.idrissi@perso.example>\nSubject: Coordination Maroc – Bennani Leïla\n\nMadame, Monsieur,\n",
    ),
    (
        "Gmail EN",
        "\n\n---------- Forwarded message ---------\nFrom: Leïla Bennani <leila.bennani@example.com>\nDate: Mon, Jul 5, 2021 at 9:14 AM\nSubject: Coordination Maroc – Bennani Leïla\nTo: <karim.idrissi@perso.example>\n\n\nMadame, Monsieur,\n",
    ),
    (
        "Gmail FR",
        "\n\n---------- Message transféré ---------\nDe : Leïla Bennani <leila.bennani@example.com>\nDate: lun. 5 juil. 2021 à 09:14\nSubject: Coordination Maroc – Bennani Leïla\nTo: <karim.idrissi@perso.example>\n\n\nMadame, Monsieur,\n",
    ),
    (
        "Thunderbird FR",
        "\n\n\n-------- Message transféré --------\nSujet : \tCoordination Maroc – Bennani Leïla\nDate : \tMon, 5 Jul 2021 09:14:00 +0200\nDe : \tLeïla Bennani <leila.bennani@example.com>\nPour : \tkarim.idrissi@perso.example\n\n\n\nMadame, Monsieur,\n",
    ),
    (
        "Thunderbird EN",
        "-------- Forwarded Message --------\nSubject: \tCoordination Maroc – Bennani Leïla\nDate: \tMon, 5 Jul 2021 09:14:00 +0200\nFrom: \tLeïla Bennani <leila.bennani@example.com>\nTo: \tkarim.idrissi@perso.example\n\nMadame, Monsieur,\n",
    ),
    (
        "Apple Mail EN",
        "\n\nBegin forwarded message:\n\nFrom: Leïla Bennani <leila.bennani@example.com>\nSubject: Coordination Maroc – Bennani Leïla\nDate: 5 July 2021 at 09:14:00 CEST\nTo: Karim Idrissi <karim.idrissi@perso.example>\n\nMadame, Monsieur,\n",
    ),
    (
        "Apple Mail FR",
        "\n\nDébut du message réexpédié :\n\nDe: Leïla Bennani <leila.bennani@example.com>\nObjet: Coordination Maroc – Bennani Leïla\nDate: 5 juillet 2021 à 09:14:00 UTC+2\nÀ: Karim Idrissi <karim.idrissi@perso.example>\n\nMadame, Monsieur,\n",
    ),
    (
        "mutt",
        "----- Forwarded message from Leïla Bennani <leila.bennani@example.com> -----\n\nDate: Mon, 5 Jul 2021 09:14:00 +0200\nFrom: Leïla Bennani <leila.bennani@example.com>\nTo: karim.idrissi@perso.example\nSubject: Coordination Maroc – Bennani Leïla\n\nMadame, Monsieur,\n\n----- End forwarded message -----\n",
    ),
];

#[test]
fn every_clients_block_gives_the_original_sender_and_subject() {
    for (client, body) in CLIENTS {
        let found = inline_forward(body).unwrap_or_else(|| panic!("{client}: no forward"));
        assert_eq!(found.from, bennani(), "{client}");
        assert_eq!(found.subject.as_deref(), Some(SUBJECT), "{client}");
        assert!(
            found.body.starts_with(LETTER_START),
            "{client}: {:?}",
            found.body
        );
    }
}

#[test]
fn quoted_blocks_and_bare_addresses_are_read() {
    let body = "> ---------- Forwarded message ---------\n> From: leila.bennani@example.com\n> Subject: Coordination Maroc\n>\n> Madame,\n";
    let found = inline_forward(body).unwrap();
    assert_eq!(found.from.address.as_str(), "leila.bennani@example.com");
    assert_eq!(found.from.display_name, None);
    assert_eq!(found.body, "Madame,");
}

#[test]
fn text_that_is_no_forward_gives_nothing() {
    for body in [
        "",
        "Bonjour,\n\nVeuillez trouver ci-joint mon CV.\n\nLeïla",
        // A sentence about a forward is no marker.
        "Je vous ai envoyé un forwarded message hier, l'avez-vous reçu ? Merci de me dire.\nFrom: moi\n",
        // A From line with no subject under it and no marker above.
        "From: Leïla Bennani <leila.bennani@example.com>\n\nBonjour",
        // A block without an address to file under.
        "---------- Forwarded message ---------\nFrom: Leïla Bennani\nSubject: Coordination Maroc\n\nMadame,",
        "Le 5 juil. 2021 à 09:14, Leïla Bennani <leila.bennani@example.com> a écrit :\n> Madame,",
    ] {
        assert_eq!(inline_forward(body), None, "{body:?}");
    }
}

proptest::proptest! {
    #[test]
    fn never_panics(body in proptest::prelude::any::<String>()) {
        let _ = inline_forward(&body);
    }

    #[test]
    fn never_panics_on_block_like_text(
        body in "(-{0,10}|_{0,12})( ?(Forwarded message|De :|From:|Objet :|Subject:|> |<a@b.c>|\\[mailto:x@y.z\\]|\\n|\t| |é))*",
    ) {
        let _ = inline_forward(&body);
    }
}
