//! The pages. Each handler reads what it shows into plain view values (strings already in
//! French, dates already formatted), so that templates only place them; askama escapes every
//! value it writes.

pub mod application;
pub mod documents;
pub mod list;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Local, Utc};
use tracing::error;

use super::catalogue::{Catalogue, FR};

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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: &'static Catalogue,
    code: u16,
    message: &'static str,
}

pub fn error_page(status: StatusCode) -> Response {
    let t = &FR;
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
pub fn unavailable(err: impl std::fmt::Display, what: &str) -> Response {
    tracing::warn!(error = %err, "cannot {what}");
    error_page(StatusCode::SERVICE_UNAVAILABLE)
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

/// A size in French units.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} o"),
        b if b < 1024 * 1024 => format!("{} Ko", b / 1024),
        b => format!("{:.1} Mo", b as f64 / (1024.0 * 1024.0)).replace('.', ","),
    }
}

/// A value from the database that should be one of an enum's names; anything else is a
/// schema defect, shown as the enum's first value rather than failing the page.
pub fn parsed<T: std::str::FromStr + strum::VariantArray + Copy>(text: &str) -> T {
    text.parse().unwrap_or(T::VARIANTS[0])
}
