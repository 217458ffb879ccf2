//! Every string the pages show, in one place: French ([`FR`], the default) and English
//! ([`EN`]). A language is a value of [`Catalogue`], so the compiler checks that each one
//! has every string; templates only ever read `t.…`. [`negotiate`] picks one per request.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::status::{ApplicationStatus, ReplyStatus};

mod admin;
mod answers;
mod en;
mod fr;
mod templates;
pub use admin::{AdminText, EN_ADMIN, FR_ADMIN};
pub use answers::{AnswersText, EN_ANSWERS, FR_ANSWERS};
pub use en::EN;
pub use fr::FR;
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
    pub answers: &'static AnswersText,
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
