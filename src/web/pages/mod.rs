//! The pages. Each handler reads what it shows into plain view values (strings already in
//! the reader's language, dates already formatted), so that templates only place them; askama escapes every
//! value it writes.

pub mod account;
pub mod admin;
pub mod answers;
pub mod application;
pub mod documents;
pub mod duplicates;
pub mod export;
pub mod list;
pub mod review;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Local, Utc};
use tracing::error;

use super::catalogue::{Catalogue, LANGUAGES};
use super::session::SignedIn;
use crate::domain::account::Role;

/// Renders a template as a page; a template that fails to render is a 500, logged.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            error!(error = %err, "a page could not be rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "500\n").into_response()
        }
    }
}

/// What the header of every signed-in page shows: who is signed in, the admin's link, and
/// the language choice (which comes back to `here`).
pub struct Chrome {
    pub user_name: String,
    pub is_admin: bool,
    pub here: String,
    /// (code, name, chosen by the account): the first is "the browser's" (code "").
    pub languages: Vec<(&'static str, &'static str, bool)>,
}

impl Chrome {
    pub fn new(signed_in: &SignedIn, here: &str) -> Chrome {
        let account = &signed_in.account;
        let chosen = account.language.as_deref().unwrap_or("");
        let mut languages = vec![("", signed_in.t.language_of_browser, chosen.is_empty())];
        languages.extend(
            LANGUAGES
                .iter()
                .map(|l| (l.lang, l.language_name, l.lang == chosen)),
        );
        Chrome {
            user_name: signed_in.display_name(),
            is_admin: account.role() == Role::Admin,
            here: here.to_owned(),
            languages,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: &'static Catalogue,
    code: u16,
    message: &'static str,
}

pub fn error_page(t: &'static Catalogue, status: StatusCode) -> Response {
    let message = match status {
        StatusCode::NOT_FOUND => t.error_not_found,
        StatusCode::FORBIDDEN => t.error_forbidden,
        StatusCode::SERVICE_UNAVAILABLE => t.error_unavailable,
        _ => t.error_other,
    };
    let mut response = render(&ErrorPage {
        t,
        code: status.as_u16(),
        message,
    });
    *response.status_mut() = status;
    response
}

/// The page for a store that cannot answer now: the error goes to the log, the person gets
/// "try again in a moment" (never the error, which names hosts and queries).
pub fn unavailable(t: &'static Catalogue, err: impl std::fmt::Display, what: &str) -> Response {
    tracing::warn!(error = %err, "cannot {what}");
    error_page(t, StatusCode::SERVICE_UNAVAILABLE)
}

/// A date as the recruiters read it, in the server's time zone (`TZ`, e.g. Europe/Paris).
pub fn date_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local).format("%d/%m/%Y").to_string()
}

/// A value from the database that should be one of an enum's names; anything else is a
/// schema defect, shown as the enum's first value rather than failing the page.
pub fn parsed<T: std::str::FromStr + strum::VariantArray + Copy>(text: &str) -> T {
    text.parse().unwrap_or(T::VARIANTS[0])
}
