//! `/admin/templates`: the reply templates (the acknowledgement and the answers to
//! candidates). An admin edits a subject and a body, previews them on a real application,
//! and saves; a text with an unknown placeholder is refused (422) with the placeholder named,
//! and nothing is saved. Every save is a line of the audit trail (the template's name: a
//! template holds no candidate's data).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tracing::info;

use super::audit;
use crate::domain::posting::PostingId;
use crate::domain::reply_template::{Part, ReplyTemplate, TemplateName, missing_documents};
use crate::domain::template::{Fields, Placeholder, TemplateError};
use crate::store::audit::AuditAction;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, error_page, render, unavailable};
use crate::web::session::SignedIn;

pub struct Row {
    key: &'static str,
    label: &'static str,
    subject: String,
    origin: &'static str,
    updated: String,
}

/// The template being edited, as the form shows it.
pub struct Editing {
    key: &'static str,
    label: &'static str,
    subject: String,
    body: String,
    application: String,
}

/// A rendered message: what the candidate of the chosen application would receive.
pub struct Preview {
    application: i64,
    candidate: String,
    subject: String,
    body: String,
}

#[derive(Template)]
#[template(path = "admin_templates.html")]
struct TemplatesPage {
    t: &'static Catalogue,
    chrome: Chrome,
    rows: Vec<Row>,
    placeholders: String,
    editing: Option<Editing>,
    preview: Option<Preview>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    edit: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    saved: String,
}

/// The page: the list, and the template named by `edit` in the form (its saved text),
/// previewed on `application` when one is given.
pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Query(params): Query<Params>,
) -> Response {
    let t = signed_in.t;
    let editing = match params.edit.as_str() {
        "" => None,
        word => {
            let Ok(name) = word.parse::<TemplateName>() else {
                return error_page(t, StatusCode::NOT_FOUND);
            };
            match state.store.reply_template(name).await {
                Ok(Some(stored)) => Some((name, stored.subject, stored.body)),
                Ok(None) => return error_page(t, StatusCode::NOT_FOUND),
                Err(err) => return unavailable(t, err, "read a reply template"),
            }
        }
    };
    let mut outcome = Outcome {
        notice: (params.saved == "1").then_some(t.templates.saved),
        ..Outcome::default()
    };
    if let Some((_, subject, body)) = &editing
        && !params.application.trim().is_empty()
    {
        // A stored text that no longer parses (changed by hand in SQL) is said, not shown.
        match ReplyTemplate::parse(subject, body) {
            Ok(template) => {
                match preview(&state, t, &template, &params.application).await {
                    Ok(p) => outcome.preview = p,
                    Err(response) => return response,
                }
                if outcome.preview.is_none() {
                    outcome.error = Some(t.templates.application_not_found.to_owned());
                }
            }
            Err((part, err)) => outcome.error = Some(problem(t, part, &err)),
        }
    }
    let editing = editing.map(|(name, subject, body)| Editing {
        key: name.as_str(),
        label: t.templates.name(name),
        subject,
        body,
        application: params.application.trim().to_owned(),
    });
    show(&state, &signed_in, editing, outcome).await
}

#[derive(Deserialize)]
pub struct SaveForm {
    name: String,
    subject: String,
    body: String,
    #[serde(default)]
    application: String,
    /// `preview` renders the draft without saving it; anything else saves.
    #[serde(default)]
    intent: String,
}

pub async fn save(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<SaveForm>,
) -> Response {
    let t = signed_in.t;
    let Ok(name) = form.name.parse::<TemplateName>() else {
        return error_page(t, StatusCode::NOT_FOUND);
    };
    // Browsers send CRLF line ends from a textarea; the mail is built with its own.
    let subject = form.subject.replace("\r\n", "\n").trim().to_owned();
    let body = form.body.replace("\r\n", "\n");
    let editing = Editing {
        key: name.as_str(),
        label: t.templates.name(name),
        subject: subject.clone(),
        body: body.clone(),
        application: form.application.trim().to_owned(),
    };
    let refused = |error: String| Outcome {
        error: Some(error),
        ..Outcome::default()
    };
    if subject.is_empty() || body.trim().is_empty() || subject.contains('\n') {
        let page = show(
            &state,
            &signed_in,
            Some(editing),
            refused(t.templates.empty.to_owned()),
        );
        return with_status(page.await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let template = match ReplyTemplate::parse(&subject, &body) {
        Ok(template) => template,
        Err((part, err)) => {
            let page = show(
                &state,
                &signed_in,
                Some(editing),
                refused(problem(t, part, &err)),
            );
            return with_status(page.await, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    if form.intent == "preview" {
        let mut outcome = Outcome::default();
        match preview(&state, t, &template, &form.application).await {
            Ok(Some(p)) => outcome.preview = Some(p),
            Ok(None) => outcome.error = Some(t.templates.application_not_found.to_owned()),
            Err(response) => return response,
        }
        return show(&state, &signed_in, Some(editing), outcome).await;
    }
    let by = signed_in.display_name();
    if let Err(err) = state.store.save_reply_template(name, &template, &by).await {
        return unavailable(t, err, "save a reply template");
    }
    info!(
        template = name.as_str(),
        by = signed_in.account.id,
        "reply template saved in the web app"
    );
    audit(
        &state,
        &signed_in,
        AuditAction::TemplateSaved,
        name.as_str(),
    )
    .await;
    let mut next = format!("/admin/templates?edit={}&saved=1", name.as_str());
    if let Ok(id) = form.application.trim().parse::<i64>() {
        next.push_str(&format!("&application={id}"));
    }
    Redirect::to(&next).into_response()
}

/// What the page says besides the list and the form.
#[derive(Default)]
struct Outcome {
    notice: Option<&'static str>,
    error: Option<String>,
    preview: Option<Preview>,
}

async fn show(
    state: &AppState,
    signed_in: &SignedIn,
    editing: Option<Editing>,
    outcome: Outcome,
) -> Response {
    let t = signed_in.t;
    let stored = match state.store.reply_templates().await {
        Ok(stored) => stored,
        Err(err) => return unavailable(t, err, "list the reply templates"),
    };
    let rows = stored
        .into_iter()
        .filter_map(|s| {
            let name = s.name()?;
            Some(Row {
                key: name.as_str(),
                label: t.templates.name(name),
                origin: t.templates.origin(&s.origin),
                updated: match &s.updated_by {
                    Some(by) => format!("{} · {by}", date_time(s.updated_at)),
                    None => date_time(s.updated_at),
                },
                subject: s.subject,
            })
        })
        .collect();
    render(&TemplatesPage {
        t,
        chrome: Chrome::new(signed_in, "/admin/templates"),
        rows,
        placeholders: Placeholder::all_written(),
        editing,
        preview: outcome.preview,
        notice: outcome.notice,
        error: outcome.error,
    })
}

/// The template rendered for the application `id`: its candidate's names, its posting's
/// title, what it lacks; the interview's slot is a sample, since none is chosen here.
/// `Ok(None)`: no such application (or not a number).
async fn preview(
    state: &AppState,
    t: &'static Catalogue,
    template: &ReplyTemplate,
    id: &str,
) -> Result<Option<Preview>, Response> {
    let Ok(id) = id.trim().parse::<i64>() else {
        return Ok(None);
    };
    let detail = match state.store.application(id).await {
        Ok(Some(detail)) => detail,
        Ok(None) => return Ok(None),
        Err(err) => return Err(unavailable(t, err, "read an application for a preview")),
    };
    let a = detail.application;
    let posting = PostingId::parse(&a.posting)
        .ok()
        .and_then(|p| state.postings.iter().find(|x| x.id == p))
        .map_or(a.posting.as_str(), |p| p.title.as_str());
    let fields = Fields {
        first_name: &a.first_name,
        last_name: &a.last_name,
        posting,
        organisation: &state.signature,
        interview_date: t.templates.sample_date,
        interview_time: t.templates.sample_time,
        interview_place: t.templates.sample_place,
        missing: missing_documents(a.has_cv, a.has_letter),
    };
    Ok(Some(Preview {
        application: a.id,
        candidate: format!("{} {} <{}>", a.first_name, a.last_name, a.email),
        subject: template.subject.render(&fields),
        body: template.body.render(&fields),
    }))
}

/// A refused text in the reader's words, naming the placeholder at fault.
fn problem(t: &'static Catalogue, part: Part, err: &TemplateError) -> String {
    let x = t.templates;
    let place = match part {
        Part::Subject => x.in_subject,
        Part::Body => x.in_body,
    };
    match err {
        TemplateError::Unknown(name) => format!(
            "{place} {} {{{name}}}. {} {}",
            x.unknown_placeholder,
            x.known_placeholders,
            Placeholder::all_written()
        ),
        TemplateError::Unclosed => format!("{place} {}", x.unclosed),
        TemplateError::Unopened => format!("{place} {}", x.unopened),
    }
}

fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}
