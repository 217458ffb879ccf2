//! The reply templates kept in the database and edited by admins: which exist, what they say
//! when nobody has edited them (French, as a careful NGO writes: polite, short, signed), and
//! what `{missing}` says of an application.

use strum::{EnumString, IntoStaticStr, VariantArray};

use super::acknowledgement::{DEFAULT_BODY, DEFAULT_SUBJECT};
use super::template::Template;

/// A template's name, stored as its snake_case word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TemplateName {
    /// The automatic acknowledgement (seeded from `acknowledgement.subject`/`body`).
    Acknowledgement,
    RejectionAfterReview,
    RejectionAfterInterview,
    /// Asks for what the application lacks (`{missing}`).
    MissingDocument,
    /// With `{interview_date}`, `{interview_time}` and `{interview_place}`.
    InterviewInvitation,
}

impl TemplateName {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The text a fresh installation starts with: (subject, body).
    pub fn default_text(self) -> (&'static str, &'static str) {
        match self {
            TemplateName::Acknowledgement => (DEFAULT_SUBJECT, DEFAULT_BODY),
            TemplateName::RejectionAfterReview => (REVIEW_SUBJECT, REVIEW_BODY),
            TemplateName::RejectionAfterInterview => {
                (INTERVIEW_REJECTION_SUBJECT, INTERVIEW_REJECTION_BODY)
            }
            TemplateName::MissingDocument => (MISSING_SUBJECT, MISSING_BODY),
            TemplateName::InterviewInvitation => (INVITATION_SUBJECT, INVITATION_BODY),
        }
    }

    /// The default text, parsed (the tests below prove every one parses).
    pub fn default_template(self) -> ReplyTemplate {
        let (subject, body) = self.default_text();
        ReplyTemplate {
            subject: Template::trusted(subject),
            body: Template::trusted(body),
        }
    }
}

/// A subject and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplate {
    pub subject: Template,
    pub body: Template,
}

/// Which part of a template a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Subject,
    Body,
}

impl ReplyTemplate {
    /// Both texts checked; the error says which part failed and why.
    pub fn parse(
        subject: &str,
        body: &str,
    ) -> Result<ReplyTemplate, (Part, super::template::TemplateError)> {
        Ok(ReplyTemplate {
            subject: Template::parse(subject).map_err(|e| (Part::Subject, e))?,
            body: Template::parse(body).map_err(|e| (Part::Body, e))?,
        })
    }
}

/// `{missing}` for an application: what it lacks, in French, as the template's sentence
/// expects it ("… il nous manque {missing}."). Empty when nothing is missing.
pub fn missing_documents(has_cv: bool, has_letter: bool) -> &'static str {
    match (has_cv, has_letter) {
        (false, false) => "votre CV et votre lettre de motivation",
        (false, true) => "votre CV",
        (true, false) => "votre lettre de motivation",
        (true, true) => "",
    }
}

const REVIEW_SUBJECT: &str = "Votre candidature : {posting}";
const REVIEW_BODY: &str = "Bonjour {first_name} {last_name},

Nous vous remercions de l'intérêt que vous portez à notre association et du temps consacré à votre candidature au poste « {posting} ».

Après une étude attentive des candidatures reçues, nous sommes au regret de vous informer que nous ne retenons pas la vôtre pour la suite du recrutement.

Nous vous souhaitons bonne continuation dans vos recherches et dans vos projets.

Bien cordialement,
{organisation}
";

const INTERVIEW_REJECTION_SUBJECT: &str = "Suite à notre entretien : {posting}";
const INTERVIEW_REJECTION_BODY: &str = "Bonjour {first_name} {last_name},

Nous vous remercions pour l'entretien que vous nous avez accordé dans le cadre du recrutement au poste « {posting} », ainsi que pour la qualité de nos échanges.

Après réflexion, nous avons le regret de vous informer que nous avons retenu une autre candidature.

Nous vous remercions encore de votre intérêt pour notre association et vous souhaitons une belle réussite dans vos projets.

Bien cordialement,
{organisation}
";

const MISSING_SUBJECT: &str = "Votre candidature : {posting} – pièce manquante";
const MISSING_BODY: &str = "Bonjour {first_name} {last_name},

Nous vous remercions pour votre candidature au poste « {posting} ».

Pour que nous puissions l'étudier, il nous manque {missing}. Pourriez-vous nous l'envoyer en répondant simplement à ce message ?

Bien cordialement,
{organisation}
";

const INVITATION_SUBJECT: &str = "Entretien : {posting}";
const INVITATION_BODY: &str = "Bonjour {first_name} {last_name},

Nous vous remercions pour votre candidature au poste « {posting} », qui a retenu toute notre attention.

Nous serions heureux de vous rencontrer lors d'un entretien le {interview_date} à {interview_time}, à l'adresse suivante : {interview_place}.

Pourriez-vous nous confirmer votre disponibilité en répondant à ce message ? Si ce créneau ne vous convient pas, n'hésitez pas à nous le dire.

Bien cordialement,
{organisation}
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::{Fields, Placeholder};

    #[test]
    fn every_default_parses_and_is_signed() {
        for name in TemplateName::VARIANTS {
            let (subject, body) = name.default_text();
            let parsed = ReplyTemplate::parse(subject, body)
                .unwrap_or_else(|e| panic!("{}: {e:?}", name.as_str()));
            assert_eq!(parsed, name.default_template());
            assert!(
                body.trim_end().ends_with("{organisation}"),
                "{} is signed",
                name.as_str()
            );
            assert!(body.starts_with("Bonjour {first_name} {last_name},"));
        }
    }

    #[test]
    fn each_default_uses_what_its_purpose_needs() {
        let body = |n: TemplateName| n.default_template().body.placeholders();
        assert!(body(TemplateName::MissingDocument).contains(&Placeholder::Missing));
        for p in [
            Placeholder::InterviewDate,
            Placeholder::InterviewTime,
            Placeholder::InterviewPlace,
        ] {
            assert!(body(TemplateName::InterviewInvitation).contains(&p));
        }
        let fields = Fields {
            first_name: "Amina",
            last_name: "EL MANSOURI",
            posting: "Coordinateur·rice au Maroc",
            organisation: "Le Partenariat",
            missing: missing_documents(true, false),
            ..Fields::default()
        };
        let text = TemplateName::MissingDocument
            .default_template()
            .body
            .render(&fields);
        assert!(
            text.contains("il nous manque votre lettre de motivation."),
            "{text}"
        );
    }

    #[test]
    fn names_are_their_snake_case_words() {
        assert_eq!(
            TemplateName::VARIANTS
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>(),
            [
                "acknowledgement",
                "rejection_after_review",
                "rejection_after_interview",
                "missing_document",
                "interview_invitation"
            ]
        );
        assert_eq!(
            "missing_document".parse(),
            Ok(TemplateName::MissingDocument)
        );
        assert!("Acknowledgement".parse::<TemplateName>().is_err());
    }

    #[test]
    fn a_bad_part_is_said() {
        assert_eq!(
            ReplyTemplate::parse("ok", "Bonjour {nom}").unwrap_err().0,
            Part::Body
        );
        assert_eq!(
            ReplyTemplate::parse("{x}", "ok").unwrap_err().0,
            Part::Subject
        );
    }
}
