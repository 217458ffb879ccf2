//! Telling a CV from a cover letter ("lettre de motivation"), first by the file
//! name the candidate gave, then by the document's text.
//!
//! Pure functions, no I/O. Both answer `None` when they are not confident: a
//! wrong answer costs more than no answer, because the caller falls back from
//! the name to the text, and from the text to "other" plus a
//! `missing_cv`/`missing_letter` flag that a person will look at.
//!
//! Matching is done on folded text (NFKD, accents stripped, lowercase,
//! punctuation turned into spaces), so "Compétences", "COMPETENCES" and
//! "compétences :" are the same cue.

mod filename;
mod text;

pub use filename::kind_from_filename;
pub use text::kind_from_text;

#[cfg(test)]
use crate::domain::document::DocumentKind;
#[cfg(test)]
use filename::name_tokens;
#[cfg(test)]
use text::{date_ranges, scores};

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentKind::{Cv, Letter, Other};

    #[test]
    fn tokenizer_splits_camel_case_and_digits() {
        assert_eq!(name_tokens("MonCV2021"), ["mon", "cv", "2021"]);
        assert_eq!(name_tokens("CVDupont"), ["cv", "dupont"]);
        assert_eq!(name_tokens("LM_Mbaye"), ["lm", "mbaye"]);
        assert_eq!(name_tokens("Numérisation 17"), ["numerisation", "17"]);
        assert_eq!(name_tokens("cvdupont"), ["cvdupont"]);
        assert_eq!(name_tokens("IMG_2031"), ["img", "2031"]);
        assert_eq!(name_tokens("Cœur"), ["coeur"]);
    }

    #[test]
    fn filenames_table() {
        let cases: &[(&str, Option<DocumentKind>)] = &[
            ("CV_Belhaj.pdf", Some(Cv)),
            ("Lettre_Belhaj.pdf", Some(Letter)),
            ("LM_Mbaye.pdf", Some(Letter)),
            ("Pasquier-CV.pdf", Some(Cv)),
            ("MonCV.pdf", Some(Cv)),
            ("moncv.pdf", Some(Cv)),
            ("CVDupont.pdf", Some(Cv)),
            ("Curriculum Vitae - Dupont.docx", Some(Cv)),
            ("CurriculumVitae.pdf", Some(Cv)),
            ("Lettre de motivation.odt", Some(Letter)),
            ("Lettre_de_Motivation_Dupont.pdf", Some(Letter)),
            ("lettredemotivation.pdf", Some(Letter)),
            ("Cover letter.pdf", Some(Letter)),
            ("CoverLetter_Smith.pdf", Some(Letter)),
            ("coverletter.docx", Some(Letter)),
            ("Resume_John.pdf", Some(Cv)),
            ("Résumé - Jane Doe.pdf", Some(Cv)),
            ("ma_lettre.pdf", Some(Letter)),
            ("malettre.pdf", Some(Letter)),
            ("motivation.pdf", Some(Letter)),
            ("CV Dupont (1).pdf", Some(Cv)),
            ("C.V. Dupont.pdf", Some(Cv)),
            ("CV2021_final.pdf", Some(Cv)),
            ("CV_Delorme_Gaspard.pdf", Some(Cv)),
            ("Lettre_motivation_Delorme.pdf", Some(Letter)),
            ("CV-Loubna-Sebti.docx", Some(Cv)),
            ("LM-Loubna-Sebti.docx", Some(Letter)),
            ("Anaëlle Lévêque - Lettre.pdf", Some(Letter)),
            ("Anaëlle Lévêque - CV.pdf", Some(Cv)),
            ("1-CV-Benkirane.pdf", Some(Cv)),
            ("2-Lettre-Benkirane.pdf", Some(Letter)),
            ("LM_Solene_Marty.pdf", Some(Letter)),
            ("MARTY Solène CV.PDF", Some(Cv)),
            ("Mon parcours.pdf", Some(Cv)),
            ("C:\\Users\\moi\\Documents\\CV.pdf", Some(Cv)),
            // Nothing said: the text decides.
            ("Numérisation 17 juin 2021.pdf", None),
            ("Numérisation 17 juin 2021 (1).pdf", None),
            ("scan0001.pdf", None),
            ("Document1.docx", None),
            ("IMG_2031.jpg", None),
            ("image002.png", None),
            ("cvdupont.pdf", None),
            ("Cvetkovic_Milan.pdf", None),
            ("Candidature_Dupont.pdf", None),
            ("Dossier_candidature_Benkirane.zip", None),
            ("Présentation.pdf", None),
            ("", None),
            (".pdf", None),
            ("cv", Some(Cv)),
            // Both: the text decides.
            ("CV et lettre.pdf", None),
            ("CV_LM_Dupont.pdf", None),
            ("Candidature CV + lettre de motivation.pdf", None),
            // Announced as something else.
            ("Lettre de recommandation.pdf", Some(Other)),
            ("Reference_letter_ACF.pdf", Some(Other)),
            ("Diplome_Master.pdf", Some(Other)),
            ("Attestation de travail.pdf", Some(Other)),
            ("photo.jpg", Some(Other)),
            ("Passeport.pdf", Some(Other)),
            ("CV_photo.pdf", Some(Cv)),
            ("../../../../tmp/applymail_test.sh", None),
        ];
        for (name, want) in cases {
            assert_eq!(kind_from_filename(name), *want, "{name:?}");
        }
    }

    const FR_LETTER: &str = "Gaspard Delorme\n71 rue du Port\n29200 Brest\n\nLe Partenariat\n\
        Brest, le 1er juin 2021\n\nObjet : candidature au poste de Coordinateur du Partenariat au Maroc\n\n\
        Madame, Monsieur,\n\nVotre offre pour le poste a immédiatement retenu mon attention : elle rejoint \
        mon expérience et mon projet professionnel.\nDisponible à partir d'octobre 2021, je me tiens prêt à vous \
        rencontrer.\n\nVeuillez agréer, Madame, Monsieur, l'expression de mes sentiments distingués.\n\nGaspard DELORME\n";

    const FR_CV: &str = "Gaspard DELORME\n71 rue du Port - 29200 Brest\nPoste visé : Coordinateur\n\n\
        Parcours professionnel\n\n2017 - à ce jour   Chargé de projets\nAssociation Tamount, Safi\n\
        - Pilotage d'un programme\n- Encadrement de l'équipe\n2014 - 2017   Responsable administratif\n\
        - Préparation du budget\n\nFormation\n\n2008   Master Études du développement\n\n\
        Compétences clés\n\n- Gestion financière\n\nLangues\n\nEspagnol (B2) / Anglais (C1)\n";

    /// Text snippets and the kind they must get (French and English).
    const TEXT_CASES: &[(&str, Option<DocumentKind>)] = &[
        (FR_LETTER, Some(Letter)),
        (FR_CV, Some(Cv)),
        (
            "Madame la Directrice,\n\nJe me permets de vous adresser ma candidature au poste de \
                 chargée de mission. Je vous prie d'agréer, Madame, l'expression de mes salutations distinguées.",
            Some(Letter),
        ),
        (
            "Bonjour,\nSuite à votre annonce, je souhaite vous présenter ma candidature. Mon expérience \
                 de cinq ans au Sénégal m'a préparé à ce poste. Je reste à votre disposition pour un entretien.\n\
                 Cordialement,\nAmadou",
            Some(Letter),
        ),
        (
            "Dear Hiring Manager,\n\nI am writing to apply for the Coordinator position. I am confident \
                 that my experience in Morocco fits your needs. I look forward to hearing from you.\n\n\
                 Sincerely,\nJohn Smith",
            Some(Letter),
        ),
        (
            "JOHN SMITH\nWork Experience\n2018–2021 Project Manager, ACF\n- Managed a team of 12\n\
                 - Budget 1M EUR\n2015 - 2018 Officer, UNDP\nEducation\n2014 MSc Development, LSE\n\
                 Skills\n- Excel\n- Arabic (B2), French (C1)\nReferences\nAvailable on request",
            Some(Cv),
        ),
        (
            "CURRICULUM VITAE\nNom : Diallo\nExpériences professionnelles\n\
                 06/2018 - 09/2020 : Chargé de suivi\nsept. 2016 – juin 2018 : Assistant\n\
                 Diplômes\nMaster 2\nCentres d'intérêt\nLecture, football",
            Some(Cv),
        ),
        (
            "Fatou Ndiaye\nfatou@example.com\n\nEXPERIENCE\n2019 - present Coordinator\n\
                 2016 - 2019 Field officer\nEDUCATION\n2015 Master\nLANGUAGES\nWolof, French, English",
            Some(Cv),
        ),
        (
            "Profil\nGestionnaire de projets avec 10 ans d'expérience.\nCompétences\n- Suivi-évaluation\n\
                 - Budget\n- Animation\nExpérience\n2012-2015 ONG X\n2015-2021 ONG Y\nLangues : arabe, français",
            Some(Cv),
        ),
        (
            "Chère Madame,\nJe vous écris pour vous faire part de mon intérêt pour votre offre. \
                 Je serais heureux de vous rencontrer. Dans l'attente de votre retour, je vous adresse mes \
                 salutations respectueuses.",
            Some(Letter),
        ),
        // Undecidable or not a CV/letter at all.
        ("", None),
        ("Facture n° 2021-042\nMontant : 120 EUR\nTVA 20 %", None),
        ("Bonjour, ci-joint mon CV. Cordialement", None),
        ("\u{0}\u{FFFD}%PDF garbage ))) (((", None),
        ("2015 2016 2017 2018 2019 2020", None),
    ];

    #[test]
    fn texts_table() {
        for (text, want) in TEXT_CASES {
            assert_eq!(
                kind_from_text(text),
                *want,
                "{text:?} -> {:?}",
                scores(text)
            );
        }
    }

    #[test]
    fn date_ranges_are_counted() {
        assert_eq!(date_ranges("2015 - 2019"), 1);
        assert_eq!(date_ranges("2018–2021"), 1);
        assert_eq!(date_ranges("2017 - à ce jour"), 1);
        assert_eq!(date_ranges("2019 – aujourd'hui"), 1);
        assert_eq!(date_ranges("06/2018 - 09/2020"), 1);
        assert_eq!(date_ranges("sept. 2016 – juin 2018"), 1);
        assert_eq!(date_ranges("de 2015 à 2019"), 1);
        assert_eq!(date_ranges("2019 - present, 2012-2015"), 2);
        assert_eq!(date_ranges("le 1er juin 2021, 75001 Paris"), 0);
        assert_eq!(date_ranges("2015 et 2019"), 0);
        assert_eq!(date_ranges("1234 - 5678"), 0);
    }

    #[test]
    fn long_inputs_are_cut() {
        let big = "Madame, Monsieur,\n".repeat(100_000);
        // Still decided from the first 20k chars, and quickly.
        assert_eq!(kind_from_text(&big), Some(Letter));
        let long_name = format!("CV_{}", "x".repeat(100_000));
        assert_eq!(kind_from_filename(&long_name), Some(Cv));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn filename_never_panics(name in "\\PC{0,200}|.{0,200}") {
                let _ = kind_from_filename(&name);
            }

            #[test]
            fn text_never_panics(text in "\\PC{0,2000}|.{0,2000}") {
                let _ = kind_from_text(&text);
            }

            #[test]
            fn text_never_panics_on_cue_soup(
                parts in proptest::collection::vec(
                    prop_oneof![
                        Just("Madame, Monsieur,\n"), Just("2015 - "), Just("2019"), Just("-"),
                        Just("à ce jour"), Just("\n- "), Just("Formation\n"), Just("(B2)"),
                        Just("06/"), Just("juin "), Just("é"), Just("\u{301}"), Just("œ"),
                    ],
                    0..200,
                )
            ) {
                let _ = kind_from_text(&parts.concat());
                let _ = kind_from_filename(&parts.concat());
            }
        }
    }
}
