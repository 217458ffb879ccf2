//! Every string the pages show, in one place: French ([`FR`], the default) and English
//! ([`EN`]). A language is a value of [`Catalogue`], so the compiler checks that each one
//! has every string; templates only ever read `t.…`. [`negotiate`] picks one per request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::status::{ApplicationStatus, ReplyStatus};

mod templates;
pub use templates::{EN_TEMPLATES, FR_TEMPLATES, TemplatesText};

pub struct Catalogue {
    pub lang: &'static str,
    pub app_name: &'static str,
    pub skip_to_content: &'static str,
    pub login_title: &'static str,
    pub login_email: &'static str,
    pub login_password: &'static str,
    pub login_submit: &'static str,
    pub login_failed: &'static str,
    pub login_throttled: &'static str,
    pub logout: &'static str,
    pub signed_in_as: &'static str,
    pub nav_applications: &'static str,
    pub nav_needs_reply: &'static str,
    pub list_title: &'static str,
    pub list_filters: &'static str,
    pub list_search: &'static str,
    pub list_search_hint: &'static str,
    pub list_posting: &'static str,
    pub list_status: &'static str,
    pub list_reply: &'static str,
    pub list_all: &'static str,
    pub list_needs_reply: &'static str,
    pub list_missing: &'static str,
    pub list_missing_cv: &'static str,
    pub list_missing_letter: &'static str,
    pub list_flagged: &'static str,
    pub list_apply: &'static str,
    pub list_reset: &'static str,
    pub list_empty: &'static str,
    pub list_count_one: &'static str,
    pub list_count_many: &'static str,
    pub list_previous: &'static str,
    pub list_next: &'static str,
    pub list_page: &'static str,
    pub list_of: &'static str,
    pub col_name: &'static str,
    pub col_posting: &'static str,
    pub col_received: &'static str,
    pub col_status: &'static str,
    pub col_reply: &'static str,
    pub col_cv: &'static str,
    pub col_letter: &'static str,
    pub col_activity: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub match_in_documents: &'static str,
    pub app_candidate: &'static str,
    pub app_documents: &'static str,
    pub app_current_cv: &'static str,
    pub app_current_letter: &'static str,
    pub app_no_cv: &'static str,
    pub app_no_letter: &'static str,
    pub app_download: &'static str,
    pub app_messages: &'static str,
    pub app_inbound: &'static str,
    pub app_outbound: &'static str,
    pub app_history: &'static str,
    pub app_no_history: &'static str,
    pub app_decide: &'static str,
    pub app_new_status: &'static str,
    pub app_note: &'static str,
    pub app_save: &'static str,
    pub app_reopen_confirm: &'static str,
    pub app_reopen_needed: &'static str,
    pub app_saved: &'static str,
    pub app_flags: &'static str,
    pub app_received: &'static str,
    pub app_reply_status: &'static str,
    pub app_back: &'static str,
    pub doc_kind: &'static str,
    pub doc_name: &'static str,
    pub doc_size: &'static str,
    pub doc_source: &'static str,
    pub doc_no_text: &'static str,
    pub doc_pdf_fallback: &'static str,
    pub doc_pdf_loading: &'static str,
    pub flag_missing_cv: &'static str,
    pub flag_missing_letter: &'static str,
    pub flag_subject_nonconforming: &'static str,
    pub flag_forward_unverified: &'static str,
    pub flag_forwarded_inline: &'static str,
    pub error_title: &'static str,
    pub error_not_found: &'static str,
    pub error_forbidden: &'static str,
    pub error_unavailable: &'static str,
    pub error_other: &'static str,
    pub error_home: &'static str,
    pub app_review: &'static str,
    pub app_rating: &'static str,
    pub rating_none: &'static str,
    pub rating_one: &'static str,
    pub rating_many: &'static str,
    pub app_your_rating: &'static str,
    pub app_rate: &'static str,
    pub stars_label: &'static str,
    pub app_add_note: &'static str,
    pub app_note_text: &'static str,
    pub app_note_save: &'static str,
    pub history_note: &'static str,
    pub col_rating: &'static str,
    pub list_export: &'static str,
    /// "Probably the same person" on an application's page (templates/duplicates.html).
    pub dup_title: &'static str,
    pub dup_intro: &'static str,
    pub dup_received: &'static str,
    pub dup_why: &'static str,
    pub dup_same_name: &'static str,
    pub dup_same_cv: &'static str,
    pub dup_same_phone: &'static str,
    pub dup_linked_by: &'static str,
    pub dup_link: &'static str,
    pub dup_dismiss: &'static str,
    /// This language's name in itself ("Français").
    pub language_name: &'static str,
    pub language_of_browser: &'static str,
    pub language_choose: &'static str,
    pub nav_admin: &'static str,
    pub size_units: [&'static str; 3],
    pub decimal_comma: bool,
    pub statuses: StatusNames,
    pub replies: ReplyNames,
    pub kinds: KindNames,
    pub sources: SourceNames,
    pub admin: &'static AdminText,
    pub templates: &'static TemplatesText,
}

pub struct StatusNames {
    pub received: &'static str,
    pub screening: &'static str,
    pub shortlisted: &'static str,
    pub interview: &'static str,
    pub offer: &'static str,
    pub hired: &'static str,
    pub rejected: &'static str,
    pub withdrawn: &'static str,
}

pub struct ReplyNames {
    pub unreplied: &'static str,
    pub acknowledged: &'static str,
    pub replied: &'static str,
}

pub struct KindNames {
    pub cv: &'static str,
    pub letter: &'static str,
    pub other: &'static str,
}

pub struct SourceNames {
    pub attachment: &'static str,
    pub body: &'static str,
    pub archive: &'static str,
}

pub static FR: Catalogue = Catalogue {
    lang: "fr",
    app_name: "applymail",
    skip_to_content: "Aller au contenu",
    login_title: "Connexion",
    login_email: "Adresse e-mail",
    login_password: "Mot de passe",
    login_submit: "Se connecter",
    login_failed: "Adresse ou mot de passe incorrect.",
    login_throttled: "Trop de tentatives. Réessayez dans un quart d'heure.",
    logout: "Se déconnecter",
    signed_in_as: "Connecté·e :",
    nav_applications: "Candidatures",
    nav_needs_reply: "À répondre",
    list_title: "Candidatures",
    list_filters: "Filtres",
    list_search: "Rechercher",
    list_search_hint: "Nom, adresse ou mot d'un CV ou d'une lettre",
    list_posting: "Poste",
    list_status: "Étape",
    list_reply: "Réponse",
    list_all: "Tous",
    list_needs_reply: "Attend une réponse",
    list_missing: "Document manquant",
    list_missing_cv: "Sans CV",
    list_missing_letter: "Sans lettre",
    list_flagged: "Signalées",
    list_apply: "Filtrer",
    list_reset: "Tout afficher",
    list_empty: "Aucune candidature ne correspond.",
    list_count_one: "candidature",
    list_count_many: "candidatures",
    list_previous: "Page précédente",
    list_next: "Page suivante",
    list_page: "Page",
    list_of: "sur",
    col_name: "Candidat·e",
    col_posting: "Poste",
    col_received: "Reçue le",
    col_status: "Étape",
    col_reply: "Réponse",
    col_cv: "CV",
    col_letter: "Lettre",
    col_activity: "Dernière activité",
    yes: "oui",
    no: "non",
    match_in_documents: "Trouvé :",
    app_candidate: "Candidat·e",
    app_documents: "Documents",
    app_current_cv: "CV",
    app_current_letter: "Lettre de motivation",
    app_no_cv: "Aucun CV reçu.",
    app_no_letter: "Aucune lettre reçue.",
    app_download: "Télécharger",
    app_messages: "Messages",
    app_inbound: "Reçu",
    app_outbound: "Envoyé",
    app_history: "Historique",
    app_no_history: "Aucun changement d'étape.",
    app_decide: "Décider",
    app_new_status: "Nouvelle étape",
    app_note: "Note (facultative)",
    app_save: "Enregistrer",
    app_reopen_confirm: "Je confirme la réouverture de cette candidature close.",
    app_reopen_needed: "Cette candidature est close (refusée ou retirée). Cochez la confirmation pour la rouvrir.",
    app_saved: "Étape enregistrée.",
    app_flags: "Signalements",
    app_received: "Reçue le",
    app_reply_status: "Réponse",
    app_back: "Retour à la liste",
    doc_kind: "Type",
    doc_name: "Fichier",
    doc_size: "Taille",
    doc_source: "Origine",
    doc_no_text: "Le texte de ce document ne peut pas être affiché ; téléchargez-le.",
    doc_pdf_fallback: "Ouvrir le PDF",
    doc_pdf_loading: "Chargement du PDF…",
    flag_missing_cv: "Aucun CV n'a été reçu.",
    flag_missing_letter: "Aucune lettre de motivation n'a été reçue.",
    flag_subject_nonconforming: "L'objet du message ne suit pas la consigne « Poste – Nom Prénom » : vérifiez le nom.",
    flag_forward_unverified: "Transmise par un·e collègue sans preuve que le message vient bien de lui ou d'elle : vérifiez auprès de cette personne.",
    flag_forwarded_inline: "Transmise par un·e collègue dans le corps d'un message : l'expéditeur d'origine a été lu dans le texte transféré, vérifiez-le.",
    error_title: "Erreur",
    error_not_found: "Cette page n'existe pas.",
    error_forbidden: "Vous n'avez pas accès à cette page.",
    error_unavailable: "Le service est momentanément indisponible. Réessayez dans un instant.",
    error_other: "Une erreur est survenue.",
    error_home: "Retour à l'accueil",
    app_review: "Avis de l'équipe",
    app_rating: "Évaluation",
    rating_none: "Pas encore évaluée.",
    rating_one: "évaluation",
    rating_many: "évaluations",
    app_your_rating: "Votre évaluation",
    app_rate: "Évaluer",
    stars_label: "étoiles sur 5",
    app_add_note: "Ajouter une note",
    app_note_text: "Note pour l'équipe",
    app_note_save: "Ajouter la note",
    history_note: "Note",
    col_rating: "Évaluation",
    list_export: "Exporter la liste filtrée",
    dup_title: "Probablement la même personne",
    dup_intro: "Ces candidatures viennent peut-être de la même personne, sous une autre adresse. Rien n'est fusionné : vérifiez, puis dites-le.",
    dup_received: "reçue le",
    dup_why: "Pourquoi :",
    dup_same_name: "même nom",
    dup_same_cv: "même fichier de CV",
    dup_same_phone: "même numéro de téléphone dans le CV :",
    dup_linked_by: "C'est la même personne : lien fait par",
    dup_link: "C'est la même personne",
    dup_dismiss: "Ce n'est pas la même personne",
    language_name: "Français",
    language_of_browser: "Langue du navigateur",
    language_choose: "Langue",
    nav_admin: "Administration",
    size_units: ["o", "Ko", "Mo"],
    decimal_comma: true,
    statuses: StatusNames {
        received: "Reçue",
        screening: "En cours d'examen",
        shortlisted: "Présélectionnée",
        interview: "Entretien",
        offer: "Proposition faite",
        hired: "Recrutée",
        rejected: "Refusée",
        withdrawn: "Retirée",
    },
    replies: ReplyNames {
        unreplied: "Sans réponse",
        acknowledged: "Accusé de réception envoyé",
        replied: "Répondu",
    },
    kinds: KindNames {
        cv: "CV",
        letter: "Lettre",
        other: "Autre",
    },
    sources: SourceNames {
        attachment: "Pièce jointe",
        body: "Corps du message",
        archive: "Dans une archive",
    },
    admin: &FR_ADMIN,
    templates: &FR_TEMPLATES,
};

pub static EN: Catalogue = Catalogue {
    lang: "en",
    app_name: "applymail",
    skip_to_content: "Skip to content",
    login_title: "Sign in",
    login_email: "Email address",
    login_password: "Password",
    login_submit: "Sign in",
    login_failed: "Wrong address or password.",
    login_throttled: "Too many attempts. Try again in a quarter of an hour.",
    logout: "Sign out",
    signed_in_as: "Signed in:",
    nav_applications: "Applications",
    nav_needs_reply: "To answer",
    list_title: "Applications",
    list_filters: "Filters",
    list_search: "Search",
    list_search_hint: "Name, address or a word of a CV or letter",
    list_posting: "Posting",
    list_status: "Stage",
    list_reply: "Reply",
    list_all: "All",
    list_needs_reply: "Awaiting an answer",
    list_missing: "Missing document",
    list_missing_cv: "No CV",
    list_missing_letter: "No letter",
    list_flagged: "Flagged",
    list_apply: "Filter",
    list_reset: "Show all",
    list_empty: "No application matches.",
    list_count_one: "application",
    list_count_many: "applications",
    list_previous: "Previous page",
    list_next: "Next page",
    list_page: "Page",
    list_of: "of",
    col_name: "Candidate",
    col_posting: "Posting",
    col_received: "Received",
    col_status: "Stage",
    col_reply: "Reply",
    col_cv: "CV",
    col_letter: "Letter",
    col_activity: "Last activity",
    yes: "yes",
    no: "no",
    match_in_documents: "Found:",
    app_candidate: "Candidate",
    app_documents: "Documents",
    app_current_cv: "CV",
    app_current_letter: "Cover letter",
    app_no_cv: "No CV received.",
    app_no_letter: "No letter received.",
    app_download: "Download",
    app_messages: "Messages",
    app_inbound: "Received",
    app_outbound: "Sent",
    app_history: "History",
    app_no_history: "No change of stage.",
    app_decide: "Decide",
    app_new_status: "New stage",
    app_note: "Note (optional)",
    app_save: "Save",
    app_reopen_confirm: "I confirm reopening this closed application.",
    app_reopen_needed: "This application is closed (rejected or withdrawn). Tick the confirmation to reopen it.",
    app_saved: "Stage saved.",
    app_flags: "Warnings",
    app_received: "Received",
    app_reply_status: "Reply",
    app_back: "Back to the list",
    doc_kind: "Type",
    doc_name: "File",
    doc_size: "Size",
    doc_source: "Origin",
    doc_no_text: "This document's text cannot be shown; download it.",
    doc_pdf_fallback: "Open the PDF",
    doc_pdf_loading: "Loading the PDF…",
    flag_missing_cv: "No CV was received.",
    flag_missing_letter: "No cover letter was received.",
    flag_subject_nonconforming: "The subject does not follow the instruction “Posting – Last name First name”: check the name.",
    flag_forward_unverified: "Forwarded by a colleague with no proof that the message really comes from them: check with that person.",
    flag_forwarded_inline: "Forwarded by a colleague in the body of a message: the original sender was read from the forwarded text, check it.",
    error_title: "Error",
    error_not_found: "This page does not exist.",
    error_forbidden: "You do not have access to this page.",
    error_unavailable: "The service is unavailable for a moment. Try again shortly.",
    error_other: "Something went wrong.",
    error_home: "Back to the start",
    app_review: "Team review",
    app_rating: "Rating",
    rating_none: "Not rated yet.",
    rating_one: "rating",
    rating_many: "ratings",
    app_your_rating: "Your rating",
    app_rate: "Rate",
    stars_label: "stars out of 5",
    app_add_note: "Add a note",
    app_note_text: "Note for the team",
    app_note_save: "Add the note",
    history_note: "Note",
    col_rating: "Rating",
    list_export: "Export the filtered list",
    dup_title: "Probably the same person",
    dup_intro: "These applications may come from the same person, under another address. Nothing is merged: check, then say so.",
    dup_received: "received",
    dup_why: "Why:",
    dup_same_name: "same name",
    dup_same_cv: "same CV file",
    dup_same_phone: "same phone number in the CV:",
    dup_linked_by: "The same person: linked by",
    dup_link: "It is the same person",
    dup_dismiss: "It is not the same person",
    language_name: "English",
    language_of_browser: "Browser's language",
    language_choose: "Language",
    nav_admin: "Administration",
    size_units: ["B", "KB", "MB"],
    decimal_comma: false,
    statuses: StatusNames {
        received: "Received",
        screening: "Under review",
        shortlisted: "Shortlisted",
        interview: "Interview",
        offer: "Offer made",
        hired: "Hired",
        rejected: "Rejected",
        withdrawn: "Withdrawn",
    },
    replies: ReplyNames {
        unreplied: "Not answered",
        acknowledged: "Acknowledgement sent",
        replied: "Answered",
    },
    kinds: KindNames {
        cv: "CV",
        letter: "Letter",
        other: "Other",
    },
    sources: SourceNames {
        attachment: "Attachment",
        body: "Message body",
        archive: "In an archive",
    },
    admin: &EN_ADMIN,
    templates: &EN_TEMPLATES,
};

impl Catalogue {
    pub fn status(&self, status: ApplicationStatus) -> &'static str {
        let n = &self.statuses;
        match status {
            ApplicationStatus::Received => n.received,
            ApplicationStatus::Screening => n.screening,
            ApplicationStatus::Shortlisted => n.shortlisted,
            ApplicationStatus::Interview => n.interview,
            ApplicationStatus::Offer => n.offer,
            ApplicationStatus::Hired => n.hired,
            ApplicationStatus::Rejected => n.rejected,
            ApplicationStatus::Withdrawn => n.withdrawn,
        }
    }

    pub fn reply(&self, reply: ReplyStatus) -> &'static str {
        match reply {
            ReplyStatus::Unreplied => self.replies.unreplied,
            ReplyStatus::Acknowledged => self.replies.acknowledged,
            ReplyStatus::Replied => self.replies.replied,
        }
    }

    pub fn document_kind(&self, kind: DocumentKind) -> &'static str {
        match kind {
            DocumentKind::Cv => self.kinds.cv,
            DocumentKind::Letter => self.kinds.letter,
            DocumentKind::Other => self.kinds.other,
        }
    }

    pub fn document_source(&self, source: DocumentSource) -> &'static str {
        match source {
            DocumentSource::Attachment => self.sources.attachment,
            DocumentSource::Body => self.sources.body,
            DocumentSource::Archive => self.sources.archive,
        }
    }

    /// A number with one decimal, written the way this language writes it.
    pub fn decimal(&self, value: f64) -> String {
        let text = format!("{value:.1}");
        if self.decimal_comma {
            text.replace('.', ",")
        } else {
            text
        }
    }

    /// "4,5 / 5 · 2 évaluations".
    pub fn rating_summary(&self, average: f64, count: i64) -> String {
        let noun = if count == 1 {
            self.rating_one
        } else {
            self.rating_many
        };
        format!("{} / 5 · {count} {noun}", self.decimal(average))
    }

    /// A size in this language's units.
    pub fn size(&self, bytes: i64) -> String {
        let [b, kb, mb] = self.size_units;
        match bytes {
            n if n < 1024 => format!("{n} {b}"),
            n if n < 1024 * 1024 => format!("{} {kb}", n / 1024),
            n => format!("{} {mb}", self.decimal(n as f64 / (1024.0 * 1024.0))),
        }
    }

    pub fn flag(&self, flag: &str) -> &'static str {
        match flag {
            "missing_cv" => self.flag_missing_cv,
            "missing_letter" => self.flag_missing_letter,
            "subject_nonconforming" => self.flag_subject_nonconforming,
            "forward_unverified" => self.flag_forward_unverified,
            "forwarded_inline" => self.flag_forwarded_inline,
            _ => self.error_other,
        }
    }
}

/// The languages, the default first.
pub static LANGUAGES: [&Catalogue; 2] = [&FR, &EN];

/// The catalogue for a request: the account's own choice when it made one, else the first
/// language of `Accept-Language` (by its q-values) that there is a catalogue for, else French.
pub fn negotiate(preference: Option<&str>, accept_language: Option<&str>) -> &'static Catalogue {
    if let Some(chosen) = preference.and_then(by_code) {
        return chosen;
    }
    let mut offered: Vec<(f32, &'static Catalogue)> = accept_language
        .unwrap_or("")
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let primary = tag.split('-').next()?;
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            Some((q, by_code(primary)?))
        })
        .filter(|(q, _)| *q > 0.0)
        .collect();
    // A stable sort keeps the header's order between equal weights.
    offered.sort_by(|a, b| b.0.total_cmp(&a.0));
    offered.first().map_or(&FR, |(_, t)| t)
}

/// The catalogue for a request's headers and, when signed in, the account's choice.
pub fn of_request(preference: Option<&str>, headers: &HeaderMap) -> &'static Catalogue {
    negotiate(
        preference,
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The browser's language, for pages without an account (the login page, errors).
pub struct Lang(pub &'static Catalogue);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(of_request(None, &parts.headers)))
    }
}

/// The catalogue of a language code (`fr`, `en`), any case.
pub fn by_code(code: &str) -> Option<&'static Catalogue> {
    LANGUAGES
        .iter()
        .copied()
        .find(|t| t.lang.eq_ignore_ascii_case(code))
}

/// The admin's pages' strings, a part of each [`Catalogue`] (`t.admin.…`).
pub struct AdminText {
    pub title: &'static str,
    pub intro: &'static str,
    pub back: &'static str,
    pub accounts: &'static str,
    pub accounts_intro: &'static str,
    pub erasure: &'static str,
    pub erasure_intro: &'static str,
    pub purge: &'static str,
    pub purge_intro: &'static str,
    pub quarantine: &'static str,
    pub quarantine_intro: &'static str,
    pub health: &'static str,
    pub health_intro: &'static str,
    pub audit: &'static str,
    pub audit_intro: &'static str,
    // Accounts.
    pub col_email: &'static str,
    pub col_name: &'static str,
    pub col_role: &'static str,
    pub col_state: &'static str,
    pub col_created: &'static str,
    pub col_actions: &'static str,
    pub role_recruiter: &'static str,
    pub role_admin: &'static str,
    pub enabled: &'static str,
    pub disabled: &'static str,
    pub you: &'static str,
    pub add_title: &'static str,
    pub add_submit: &'static str,
    pub disable_submit: &'static str,
    pub reset_submit: &'static str,
    pub role_submit: &'static str,
    pub password_of: &'static str,
    pub password_once: &'static str,
    pub added: &'static str,
    pub reset_done: &'static str,
    pub disabled_done: &'static str,
    pub role_done: &'static str,
    pub refuse_self_disable: &'static str,
    pub refuse_self_demote: &'static str,
    pub refuse_exists: &'static str,
    pub refuse_bad_email: &'static str,
    pub not_found: &'static str,
    // Erasure and purge.
    pub erasure_email: &'static str,
    pub erasure_next: &'static str,
    pub erasure_confirm_title: &'static str,
    pub erasure_will_erase: &'static str,
    pub erasure_retype: &'static str,
    pub erasure_submit: &'static str,
    pub erasure_mismatch: &'static str,
    pub erasure_nothing: &'static str,
    pub erasure_done: &'static str,
    pub cancel: &'static str,
    pub count_applications: &'static str,
    pub count_messages: &'static str,
    pub count_documents: &'static str,
    pub count_quarantined: &'static str,
    pub purge_rule: &'static str,
    pub purge_days: &'static str,
    pub purge_none: &'static str,
    pub purge_submit: &'static str,
    pub purge_done: &'static str,
    pub purge_more: &'static str,
    pub purge_changed: &'static str,
    // Quarantine.
    pub col_seen: &'static str,
    pub col_mailbox: &'static str,
    pub col_location: &'static str,
    pub col_reason: &'static str,
    pub col_raw: &'static str,
    pub raw_kept: &'static str,
    pub raw_on_server: &'static str,
    pub requeue_submit: &'static str,
    pub requeue_hint: &'static str,
    pub quarantine_empty: &'static str,
    pub requeued: &'static str,
    // Health.
    pub col_instance: &'static str,
    pub col_watched: &'static str,
    pub col_since: &'static str,
    pub col_last_sync: &'static str,
    pub col_heard: &'static str,
    pub col_last_error: &'static str,
    pub never: &'static str,
    pub silent: &'static str,
    pub health_none: &'static str,
    pub errors_title: &'static str,
    pub errors_none: &'static str,
    pub col_at: &'static str,
    pub col_error: &'static str,
    pub state_starting: &'static str,
    pub state_standby: &'static str,
    pub state_connected: &'static str,
    pub state_idle: &'static str,
    pub state_down: &'static str,
    pub state_stopped: &'static str,
    // Audit.
    pub audit_empty: &'static str,
    pub col_who: &'static str,
    pub col_what: &'static str,
    pub col_on: &'static str,
    pub action_account_added: &'static str,
    pub action_account_disabled: &'static str,
    pub action_password_reset: &'static str,
    pub action_role_changed: &'static str,
    pub action_erasure: &'static str,
    pub action_purge: &'static str,
    pub action_requeue: &'static str,
    pub action_template_saved: &'static str,
}

pub static FR_ADMIN: AdminText = AdminText {
    title: "Administration",
    intro: "Gérer l'installation sans terminal : comptes, effacements, quarantaine et état du service.",
    back: "Retour à l'administration",
    accounts: "Comptes",
    accounts_intro: "Créer un compte, le désactiver, changer son rôle ou lui donner un nouveau mot de passe.",
    erasure: "Effacer une personne",
    erasure_intro: "Effacer tout ce qui concerne un·e candidat·e à sa demande (droit à l'effacement).",
    purge: "Purge de conservation",
    purge_intro: "Voir puis effacer les candidatures conservées au-delà de la durée prévue.",
    quarantine: "Quarantaine",
    quarantine_intro: "Le courrier qui n'a pas pu être classé, avec la raison, et sa relecture.",
    health: "État du service",
    health_intro: "Dernière synchronisation, connexion à la boîte aux lettres, erreurs récentes.",
    audit: "Journal d'administration",
    audit_intro: "Qui a fait quoi, quand et sur quoi, dans ces pages.",
    col_email: "Adresse e-mail",
    col_name: "Nom",
    col_role: "Rôle",
    col_state: "État",
    col_created: "Créé le",
    col_actions: "Actions",
    role_recruiter: "Recruteur·rice",
    role_admin: "Administrateur·rice",
    enabled: "Actif",
    disabled: "Désactivé",
    you: "(vous)",
    add_title: "Ajouter un compte",
    add_submit: "Créer le compte",
    disable_submit: "Désactiver",
    reset_submit: "Nouveau mot de passe",
    role_submit: "Changer le rôle",
    password_of: "Mot de passe de",
    password_once: "Notez-le maintenant et transmettez-le à la personne par un moyen sûr : il ne sera plus jamais affiché.",
    added: "Compte créé.",
    reset_done: "Mot de passe remplacé ; les sessions ouvertes de ce compte sont fermées.",
    disabled_done: "Compte désactivé ; ses sessions ouvertes sont fermées.",
    role_done: "Rôle modifié.",
    refuse_self_disable: "Vous ne pouvez pas désactiver votre propre compte : l'installation doit garder au moins un·e administrateur·rice.",
    refuse_self_demote: "Vous ne pouvez pas retirer votre propre rôle d'administrateur·rice : l'installation doit garder au moins un·e administrateur·rice.",
    refuse_exists: "Un compte existe déjà avec cette adresse.",
    refuse_bad_email: "Cette adresse e-mail n'est pas valide.",
    not_found: "Ce compte n'existe pas.",
    erasure_email: "Adresse e-mail du ou de la candidat·e",
    erasure_next: "Continuer",
    erasure_confirm_title: "Confirmer l'effacement",
    erasure_will_erase: "Seront effacés définitivement, pour l'adresse",
    erasure_retype: "Pour confirmer, saisissez à nouveau l'adresse, exactement",
    erasure_submit: "Effacer définitivement",
    erasure_mismatch: "L'adresse saisie ne correspond pas : rien n'a été effacé.",
    erasure_nothing: "Aucun·e candidat·e n'écrit depuis cette adresse : il n'y a rien à effacer.",
    erasure_done: "Effacement terminé. Le journal d'administration l'enregistre sans l'adresse.",
    cancel: "Annuler",
    count_applications: "Candidatures",
    count_messages: "Messages",
    count_documents: "Documents",
    count_quarantined: "Messages en quarantaine",
    purge_rule: "Candidatures non recrutées sans activité depuis plus de",
    purge_days: "jours",
    purge_none: "Aucune candidature n'est à purger.",
    purge_submit: "Purger maintenant",
    purge_done: "Purge effectuée.",
    purge_more: "D'autres candidatures seront aussi purgées ; seules les premières sont affichées.",
    purge_changed: "La liste a changé depuis son affichage : rien n'a été purgé. Vérifiez-la avant de purger.",
    col_seen: "Vu le",
    col_mailbox: "Dossier",
    col_location: "Emplacement",
    col_reason: "Raison",
    col_raw: "Message d'origine",
    raw_kept: "conservé",
    raw_on_server: "resté sur le serveur",
    requeue_submit: "Relire",
    requeue_hint: "« Relire » retire le message de la quarantaine : le prochain passage du service le lit à nouveau.",
    quarantine_empty: "Rien n'est en quarantaine.",
    requeued: "Le message sera relu au prochain passage du service.",
    col_instance: "Instance",
    col_watched: "Boîte aux lettres",
    col_since: "Depuis",
    col_last_sync: "Dernière synchronisation",
    col_heard: "Dernières nouvelles",
    col_last_error: "Dernière erreur",
    never: "jamais",
    silent: "Sans nouvelles depuis plus de 15 minutes : le service s'est peut-être arrêté brutalement.",
    health_none: "Aucun service (applymail run) n'a encore démarré sur cette base de données.",
    errors_title: "Erreurs récentes",
    errors_none: "Aucune erreur récente.",
    col_at: "Quand",
    col_error: "Erreur",
    state_starting: "Démarrage",
    state_standby: "En réserve (une autre instance travaille)",
    state_connected: "Connecté",
    state_idle: "Connecté, en attente de courrier",
    state_down: "En panne",
    state_stopped: "Arrêté",
    audit_empty: "Aucune action enregistrée.",
    col_who: "Qui",
    col_what: "Action",
    col_on: "Sur",
    action_account_added: "Compte créé",
    action_account_disabled: "Compte désactivé",
    action_password_reset: "Mot de passe remplacé",
    action_role_changed: "Rôle changé",
    action_erasure: "Effacement d'une personne",
    action_purge: "Purge de conservation",
    action_requeue: "Relecture d'un message en quarantaine",
    action_template_saved: "Modèle de réponse enregistré",
};

pub static EN_ADMIN: AdminText = AdminText {
    title: "Administration",
    intro: "Run the installation without a terminal: accounts, erasures, quarantine and the service's health.",
    back: "Back to administration",
    accounts: "Accounts",
    accounts_intro: "Create an account, disable it, change its role or give it a new password.",
    erasure: "Erase a person",
    erasure_intro: "Erase everything about a candidate at their request (right to erasure).",
    purge: "Retention purge",
    purge_intro: "See, then erase, the applications kept beyond the retention period.",
    quarantine: "Quarantine",
    quarantine_intro: "The mail that could not be filed, with the reason, and reading it again.",
    health: "Service health",
    health_intro: "Last sync, the mailbox connection, recent errors.",
    audit: "Administration log",
    audit_intro: "Who did what, when and on what, in these pages.",
    col_email: "Email address",
    col_name: "Name",
    col_role: "Role",
    col_state: "State",
    col_created: "Created",
    col_actions: "Actions",
    role_recruiter: "Recruiter",
    role_admin: "Administrator",
    enabled: "Active",
    disabled: "Disabled",
    you: "(you)",
    add_title: "Add an account",
    add_submit: "Create the account",
    disable_submit: "Disable",
    reset_submit: "New password",
    role_submit: "Change the role",
    password_of: "Password of",
    password_once: "Write it down now and give it to the person by a safe means: it will never be shown again.",
    added: "Account created.",
    reset_done: "Password replaced; this account's open sessions are closed.",
    disabled_done: "Account disabled; its open sessions are closed.",
    role_done: "Role changed.",
    refuse_self_disable: "You cannot disable your own account: the installation must keep at least one administrator.",
    refuse_self_demote: "You cannot remove your own administrator role: the installation must keep at least one administrator.",
    refuse_exists: "An account with this address exists already.",
    refuse_bad_email: "This email address is not valid.",
    not_found: "This account does not exist.",
    erasure_email: "The candidate's email address",
    erasure_next: "Continue",
    erasure_confirm_title: "Confirm the erasure",
    erasure_will_erase: "To be erased for good, for the address",
    erasure_retype: "To confirm, type the address again, exactly",
    erasure_submit: "Erase for good",
    erasure_mismatch: "The address typed does not match: nothing was erased.",
    erasure_nothing: "No candidate writes from this address: there is nothing to erase.",
    erasure_done: "Erasure done. The administration log records it without the address.",
    cancel: "Cancel",
    count_applications: "Applications",
    count_messages: "Messages",
    count_documents: "Documents",
    count_quarantined: "Quarantined messages",
    purge_rule: "Applications not hired without activity for more than",
    purge_days: "days",
    purge_none: "No application is due for the purge.",
    purge_submit: "Purge now",
    purge_done: "Purge done.",
    purge_more: "More applications will be purged too; only the first are shown.",
    purge_changed: "The list changed since it was shown: nothing was purged. Check it before purging.",
    col_seen: "Seen",
    col_mailbox: "Folder",
    col_location: "Location",
    col_reason: "Reason",
    col_raw: "Original message",
    raw_kept: "kept",
    raw_on_server: "left on the server",
    requeue_submit: "Read again",
    requeue_hint: "“Read again” takes the message out of the quarantine: the service's next pass reads it again.",
    quarantine_empty: "Nothing is quarantined.",
    requeued: "The message will be read again by the service's next pass.",
    col_instance: "Instance",
    col_watched: "Mailbox",
    col_since: "Since",
    col_last_sync: "Last sync",
    col_heard: "Last heard from",
    col_last_error: "Last error",
    never: "never",
    silent: "Not heard from for more than 15 minutes: the service may have stopped abruptly.",
    health_none: "No service (applymail run) has started on this database yet.",
    errors_title: "Recent errors",
    errors_none: "No recent error.",
    col_at: "When",
    col_error: "Error",
    state_starting: "Starting",
    state_standby: "Standing by (another instance works)",
    state_connected: "Connected",
    state_idle: "Connected, waiting for mail",
    state_down: "Down",
    state_stopped: "Stopped",
    audit_empty: "No action recorded.",
    col_who: "Who",
    col_what: "Action",
    col_on: "On",
    action_account_added: "Account created",
    action_account_disabled: "Account disabled",
    action_password_reset: "Password replaced",
    action_role_changed: "Role changed",
    action_erasure: "Erasure of a person",
    action_purge: "Retention purge",
    action_requeue: "Quarantined message read again",
    action_template_saved: "Reply template saved",
};

impl AdminText {
    pub fn role(&self, role: crate::domain::account::Role) -> &'static str {
        match role {
            crate::domain::account::Role::Recruiter => self.role_recruiter,
            crate::domain::account::Role::Admin => self.role_admin,
        }
    }

    /// A daemon's state word (`MailboxState::word`, or `stopped`).
    pub fn state(&self, word: &str) -> &'static str {
        match word {
            "starting" => self.state_starting,
            "standby" => self.state_standby,
            "connected" => self.state_connected,
            "idle" => self.state_idle,
            "down" => self.state_down,
            _ => self.state_stopped,
        }
    }

    pub fn action(&self, action: crate::store::audit::AuditAction) -> &'static str {
        use crate::store::audit::AuditAction::*;
        match action {
            AccountAdded => self.action_account_added,
            AccountDisabled => self.action_account_disabled,
            PasswordReset => self.action_password_reset,
            RoleChanged => self.action_role_changed,
            Erasure => self.action_erasure,
            Purge => self.action_purge,
            Requeue => self.action_requeue,
            TemplateSaved => self.action_template_saved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_choice_wins_then_the_browsers_then_french() {
        assert_eq!(negotiate(Some("en"), Some("fr-FR,fr;q=0.9")).lang, "en");
        assert_eq!(negotiate(None, Some("en-GB,en;q=0.9,fr;q=0.8")).lang, "en");
        assert_eq!(negotiate(None, Some("de-DE,fr;q=0.5,en;q=0.7")).lang, "en");
        assert_eq!(negotiate(None, Some("de, es")).lang, "fr");
        assert_eq!(negotiate(None, Some("en;q=0, fr")).lang, "fr");
        assert_eq!(negotiate(None, Some(";;,q=,en;q=abc")).lang, "fr");
        assert_eq!(negotiate(Some("xx"), None).lang, "fr");
        assert_eq!(negotiate(None, None).lang, "fr");
    }

    #[test]
    fn sizes_are_written_in_each_languages_units() {
        assert_eq!(FR.size(512), "512 o");
        assert_eq!(FR.size(1_572_864), "1,5 Mo");
        assert_eq!(EN.size(1_572_864), "1.5 MB");
        assert_eq!(EN.size(2048), "2 KB");
        assert_eq!(FR.rating_summary(4.5, 2), "4,5 / 5 · 2 évaluations");
        assert_eq!(EN.rating_summary(3.0, 1), "3.0 / 5 · 1 rating");
    }
}
