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
        // Words that are not names never beat the display name (issue 28): Cyrus's
        // munge8bit writes each raw 8-bit byte as X, others write ? or U+FFFD.
        (
            "XXX Bennani Leïla",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        ("XXX Bennani Leïla", None, person("Bennani", "Leïla")),
        (
            "XXX Bennani LeXXla",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        (
            "Bennani Le??la",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        (
            "Bennani Le\u{FFFD}la",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        (
            "??? Bennani Leïla",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        (
            "NOM Bennani Prénom Leïla",
            Some("Leïla Bennani"),
            person("Bennani", "Leïla"),
        ),
        ("NOM Bennani PRENOM Leïla", None, person("Bennani", "Leïla")),
        ("Bennani LeXXla", Some("Karim Idrissi"), None),
        ("Bennani LeXXla", None, person("Bennani", "LeXXla")),
        ("Xavier Dupont", None, person("Xavier", "Dupont")),
        // Two-word last names without a particle: the display name's order shows the cut.
        (
            "Alaoui Mrani Salma",
            Some("Salma Alaoui Mrani"),
            person("Alaoui Mrani", "Salma"),
        ),
        (
            "Ait Taleb Nourredine",
            Some("Nourredine Ait Taleb"),
            person("Ait Taleb", "Nourredine"),
        ),
        (
            "Da Costa Silva Ana",
            Some("Ana Da Costa Silva"),
            person("Da Costa Silva", "Ana"),
        ),
        (
            "Mrani Salma Alaoui",
            Some("Salma Alaoui Mrani"),
            person("Mrani", "Salma Alaoui"),
        ),
        (
            "Alaoui Mrani Salma",
            Some("Salma ALAOUI MRANI"),
            person("Alaoui Mrani", "Salma"),
        ),
        ("ALAOUI MRANI Salma", None, person("ALAOUI MRANI", "Salma")),
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
