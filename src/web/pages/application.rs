//! `/applications/{id}`: everything about one application on one page, the current CV and
//! letter readable in it; and the status change, with the rules of `applymail status`.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use strum::VariantArray;
use tracing::info;

use super::review::Review;
use super::{Chrome, date_time, error_page, parsed, render, unavailable};
use crate::domain::document::{DocFormat, DocumentKind, DocumentSource};
use crate::domain::named::Named;
use crate::domain::status::{ApplicationStatus, ReplyStatus};
use crate::extract::doc_text::{TextLimits, document_text_until};
use crate::store::notes::MAX_NOTE_CHARS;
use crate::store::queries::{ApplicationDetail, DocumentInfo};
use crate::store::status::{StatusChange, StatusError};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

/// How long the page waits for a document's text (a PDF is read by the sandboxed child).
const TEXT_DEADLINE: Duration = Duration::from_secs(5);
/// Text shown in the page; the rest is in the download.
const MAX_SHOWN_CHARS: usize = 100_000;

pub enum View {
    Pdf(String),
    Image(String),
    Text(String),
    Nothing,
}

pub struct Readable {
    id: i64,
    title: &'static str,
    filename: String,
    view: View,
}

pub struct DocumentRow {
    id: i64,
    kind: &'static str,
    filename: String,
    size: String,
    source: &'static str,
    received: String,
}

pub struct MessageRow {
    class: &'static str,
    direction: &'static str,
    date: String,
    subject: String,
    from: String,
}

/// A change of status or a note, in the page's history.
pub struct HistoryRow {
    at: DateTime<Utc>,
    date: String,
    /// `None` for a note alone.
    status: Option<&'static str>,
    actor: String,
    note: Option<String>,
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    t: &'static Catalogue,
    chrome: Chrome,
    id: i64,
    name: String,
    email: String,
    posting: String,
    received: String,
    status: &'static str,
    status_key: &'static str,
    reply: &'static str,
    flags: Vec<&'static str>,
    message: Option<&'static str>,
    statuses: Vec<(&'static str, &'static str, bool)>,
    closed: bool,
    readable: Vec<Readable>,
    missing: Vec<&'static str>,
    documents: Vec<DocumentRow>,
    messages: Vec<MessageRow>,
    history: Vec<HistoryRow>,
    review: Review,
    duplicates: super::duplicates::Section,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    show(&state, &signed_in, id, None).await
}

async fn show(
    state: &AppState,
    signed_in: &SignedIn,
    id: i64,
    message: Option<&'static str>,
) -> Response {
    let t = signed_in.t;
    let (detail, history, notes, ratings) = match tokio::try_join!(
        state.store.application(id),
        state.store.history(id),
        state.store.notes(id),
        state.store.ratings(id, signed_in.account.id),
    ) {
        Ok((Some(detail), history, notes, ratings)) => (detail, history, notes, ratings),
        Ok((None, ..)) => return error_page(signed_in.t, StatusCode::NOT_FOUND),
        Err(err) => return unavailable(signed_in.t, err, "read an application"),
    };
    let ApplicationDetail {
        application: a,
        documents,
        messages,
    } = detail;
    let status: ApplicationStatus = parsed(&a.status);
    let reply: ReplyStatus = parsed(&a.reply_status);
    let mut readable = Vec::new();
    let mut missing = Vec::new();
    for (kind, title, none) in [
        (DocumentKind::Cv, t.app_current_cv, t.app_no_cv),
        (DocumentKind::Letter, t.app_current_letter, t.app_no_letter),
    ] {
        match documents
            .iter()
            .find(|d| d.current && d.kind == kind.as_str())
        {
            Some(doc) => readable.push(Readable {
                id: doc.id,
                title,
                filename: doc.filename.clone(),
                view: view(state, doc).await,
            }),
            None => missing.push(none),
        }
    }
    let posting = state
        .postings
        .iter()
        .find(|p| p.id.as_str() == a.posting)
        .map_or(a.posting.clone(), |p| p.title.clone());
    render(&ApplicationPage {
        t,
        chrome: Chrome::new(signed_in, &format!("/applications/{}", a.id)),
        id: a.id,
        name: format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_owned(),
        flags: a.flags().into_iter().map(|f| t.flag(f)).collect(),
        email: a.email,
        posting,
        received: date_time(a.received_at),
        status: t.status(status),
        status_key: status.as_str(),
        reply: t.reply(reply),
        message,
        statuses: ApplicationStatus::VARIANTS
            .iter()
            .map(|s| (s.as_str(), t.status(*s), *s == status))
            .collect(),
        closed: status.is_terminal(),
        readable,
        missing,
        documents: documents
            .iter()
            .map(|d| DocumentRow {
                id: d.id,
                kind: t.document_kind(parsed(&d.kind)),
                filename: d.filename.clone(),
                size: t.size(d.size),
                source: t.document_source(parsed(&d.source)),
                received: date_time(d.sent_at),
            })
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| {
                let inbound = m.direction == "inbound";
                MessageRow {
                    class: if inbound { "inbound" } else { "outbound" },
                    direction: if inbound {
                        t.app_inbound
                    } else {
                        t.app_outbound
                    },
                    date: date_time(m.sent_at),
                    subject: m.subject,
                    from: m.from_address.unwrap_or_default(),
                }
            })
            .collect(),
        history: {
            let mut rows: Vec<HistoryRow> = history
                .into_iter()
                .map(|h| HistoryRow {
                    at: h.changed_at,
                    date: date_time(h.changed_at),
                    status: Some(t.status(parsed(&h.status))),
                    actor: h.actor,
                    note: h.note,
                })
                .chain(notes.into_iter().map(|n| HistoryRow {
                    at: n.created_at,
                    date: date_time(n.created_at),
                    status: None,
                    actor: n.author,
                    note: Some(n.body),
                }))
                .collect();
            // Newest first: reversed (each list is oldest first), then a stable sort that keeps
            // entries of the same instant newest first.
            rows.reverse();
            rows.sort_by_key(|row| std::cmp::Reverse(row.at));
            rows
        },
        review: Review::new(t, ratings),
        duplicates: super::duplicates::section(state, signed_in, a.id).await,
    })
}

/// How a document is read in the page: PDFs through the viewer, images as images, the rest
/// as their text (extracted now, bounded in time).
async fn view(state: &AppState, doc: &DocumentInfo) -> View {
    let bytes_href = format!("/documents/{}/bytes", doc.id);
    let from_body = doc.source == DocumentSource::Body.as_str();
    // A PDF or an image is told by its first chunk and shown from its own URL: only the
    // documents shown as text are read whole.
    let first = match state.documents.open_reader(&doc.sha256).await {
        Ok(mut reader) => reader.next_chunk().await.ok().flatten(),
        Err(_) => None,
    };
    let Some(first) = first else {
        return View::Nothing;
    };
    let format = if from_body {
        DocFormat::Text
    } else {
        DocFormat::detect(Some(&doc.filename), &doc.content_type, &first)
    };
    let bytes = match format {
        DocFormat::Pdf | DocFormat::Image => first.to_vec(),
        _ => match state.documents.read(&doc.sha256).await {
            Ok(bytes) => bytes,
            Err(_) => return View::Nothing,
        },
    };
    let filename = doc.filename.clone();
    let content_type = doc.content_type.clone();
    let text = tokio::task::spawn_blocking(move || {
        let format = if from_body {
            DocFormat::Text
        } else {
            DocFormat::detect(Some(&filename), &content_type, &bytes)
        };
        match format {
            DocFormat::Pdf => Some(Err(true)),
            DocFormat::Image => Some(Err(false)),
            format => document_text_until(
                &bytes,
                format,
                &TextLimits::default(),
                Some(Instant::now() + TEXT_DEADLINE),
            )
            .ok()
            .map(|text| Ok(text.chars().take(MAX_SHOWN_CHARS).collect::<String>())),
        }
    })
    .await
    .ok()
    .flatten();
    match text {
        Some(Err(true)) => View::Pdf(bytes_href),
        Some(Err(false)) => View::Image(bytes_href),
        Some(Ok(text)) if !text.trim().is_empty() => View::Text(text),
        _ => View::Nothing,
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reopen: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Response {
    let Ok(status) = form.status.parse::<ApplicationStatus>() else {
        return error_page(signed_in.t, StatusCode::BAD_REQUEST);
    };
    let note: String = form.note.trim().chars().take(MAX_NOTE_CHARS).collect();
    let account = &signed_in.account;
    let actor = signed_in.display_name();
    let change = StatusChange {
        application_id: id,
        status,
        note: Some(note.as_str()).filter(|n| !n.is_empty()),
        actor: &actor,
        force: form.reopen.as_deref() == Some("1"),
    };
    match state.store.set_status(&change).await {
        Ok(previous) => {
            info!(
                application_id = id,
                account = account.id,
                from = previous.as_str(),
                to = status.as_str(),
                "status changed in the web app"
            );
            Redirect::to(&format!("/applications/{id}")).into_response()
        }
        Err(StatusError::NotFound(_)) => error_page(signed_in.t, StatusCode::NOT_FOUND),
        Err(StatusError::Closed { .. }) => {
            let mut response =
                show(&state, &signed_in, id, Some(signed_in.t.app_reopen_needed)).await;
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
        Err(StatusError::Store(err)) => unavailable(signed_in.t, err, "change a status"),
    }
}
