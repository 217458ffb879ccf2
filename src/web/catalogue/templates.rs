//! The strings of the reply templates' page (`/admin/templates`), a part of each
//! [`super::Catalogue`] (`t.templates.…`).

use crate::domain::reply_template::TemplateName;

pub struct TemplatesText {
    pub title: &'static str,
    pub intro: &'static str,
    pub col_name: &'static str,
    pub col_origin: &'static str,
    pub col_updated: &'static str,
    pub edit: &'static str,
    pub origin_default: &'static str,
    pub origin_config: &'static str,
    pub origin_admin: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
    pub placeholders_help: &'static str,
    pub application_id: &'static str,
    pub preview_submit: &'static str,
    pub save_submit: &'static str,
    pub saved: &'static str,
    pub preview_title: &'static str,
    pub to: &'static str,
    pub application_not_found: &'static str,
    pub empty: &'static str,
    pub in_subject: &'static str,
    pub in_body: &'static str,
    pub unknown_placeholder: &'static str,
    pub known_placeholders: &'static str,
    pub unclosed: &'static str,
    pub unopened: &'static str,
    /// The interview's slot in a preview, where none is chosen.
    pub sample_date: &'static str,
    pub sample_time: &'static str,
    pub sample_place: &'static str,
    pub name_acknowledgement: &'static str,
    pub name_rejection_after_review: &'static str,
    pub name_rejection_after_interview: &'static str,
    pub name_missing_document: &'static str,
    pub name_interview_invitation: &'static str,
}

pub static FR_TEMPLATES: TemplatesText = TemplatesText {
    title: "Modèles de réponse",
    intro: "Les messages envoyés aux candidat·e·s : l'accusé de réception automatique et les réponses. Modifiez l'objet et le texte, vérifiez l'aperçu sur une vraie candidature, puis enregistrez.",
    col_name: "Modèle",
    col_origin: "Texte",
    col_updated: "Modifié le",
    edit: "Modifier",
    origin_default: "Texte d'origine",
    origin_config: "Repris de la configuration",
    origin_admin: "Modifié ici",
    subject: "Objet",
    body: "Texte",
    placeholders_help: "Variables disponibles (entre accolades ; {{ et }} pour une accolade) :",
    application_id: "Numéro de la candidature pour l'aperçu",
    preview_submit: "Aperçu",
    save_submit: "Enregistrer",
    saved: "Modèle enregistré. Le journal d'administration l'enregistre.",
    preview_title: "Aperçu sur la candidature",
    to: "À :",
    application_not_found: "Aucune candidature ne porte ce numéro : choisissez-en une dans la liste des candidatures.",
    empty: "L'objet (sur une ligne) et le texte ne peuvent pas être vides.",
    in_subject: "Dans l'objet :",
    in_body: "Dans le texte :",
    unknown_placeholder: "variable inconnue",
    known_placeholders: "Variables connues :",
    unclosed: "une accolade « { » n'est pas fermée (écrivez « {{ » pour une accolade seule).",
    unopened: "une accolade « } » n'est pas ouverte (écrivez « }} » pour une accolade seule).",
    sample_date: "[date de l'entretien]",
    sample_time: "[heure de l'entretien]",
    sample_place: "[lieu ou lien de l'entretien]",
    name_acknowledgement: "Accusé de réception",
    name_rejection_after_review: "Refus après étude du dossier",
    name_rejection_after_interview: "Refus après entretien",
    name_missing_document: "Demande de pièce manquante",
    name_interview_invitation: "Invitation à un entretien",
};

pub static EN_TEMPLATES: TemplatesText = TemplatesText {
    title: "Reply templates",
    intro: "The messages sent to candidates: the automatic acknowledgement and the answers. Edit the subject and the text, check the preview on a real application, then save.",
    col_name: "Template",
    col_origin: "Text",
    col_updated: "Changed",
    edit: "Edit",
    origin_default: "Built-in text",
    origin_config: "Taken from the configuration",
    origin_admin: "Edited here",
    subject: "Subject",
    body: "Text",
    placeholders_help: "Placeholders (in braces; {{ and }} for a brace):",
    application_id: "Application number for the preview",
    preview_submit: "Preview",
    save_submit: "Save",
    saved: "Template saved. The administration log records it.",
    preview_title: "Preview on application",
    to: "To:",
    application_not_found: "No application has this number: pick one in the list of applications.",
    empty: "The subject (one line) and the text must not be empty.",
    in_subject: "In the subject:",
    in_body: "In the text:",
    unknown_placeholder: "unknown placeholder",
    known_placeholders: "Known placeholders:",
    unclosed: "a “{” is not closed (write “{{” for a brace alone).",
    unopened: "a “}” is not opened (write “}}” for a brace alone).",
    sample_date: "[interview date]",
    sample_time: "[interview time]",
    sample_place: "[interview place or link]",
    name_acknowledgement: "Acknowledgement",
    name_rejection_after_review: "Rejection after review",
    name_rejection_after_interview: "Rejection after interview",
    name_missing_document: "Request for a missing document",
    name_interview_invitation: "Interview invitation",
};

impl TemplatesText {
    pub fn name(&self, name: TemplateName) -> &'static str {
        match name {
            TemplateName::Acknowledgement => self.name_acknowledgement,
            TemplateName::RejectionAfterReview => self.name_rejection_after_review,
            TemplateName::RejectionAfterInterview => self.name_rejection_after_interview,
            TemplateName::MissingDocument => self.name_missing_document,
            TemplateName::InterviewInvitation => self.name_interview_invitation,
        }
    }

    /// A stored template's `origin` word.
    pub fn origin(&self, origin: &str) -> &'static str {
        match origin {
            "config" => self.origin_config,
            "admin" => self.origin_admin,
            _ => self.origin_default,
        }
    }
}
