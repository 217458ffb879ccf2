//! One reply from an application's page: the template chosen, the message shown as it will
//! go, edited, sent as written.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{
    AnswerFields, Options, make_job, rendered, request, status_options, stored_template,
    suggested_status, template_options, token,
};
use crate::domain::answer::AnswerText;
use crate::domain::reply_template::TemplateName;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, error_page, render, unavailable};
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "answer_compose.html")]
struct ComposePage {
    t: &'static Catalogue,
    chrome: Chrome,
    id: i64,
    name: String,
    to: String,
    templates: Options,
    fields: AnswerFields,
    minutes: String,
    /// The rendered message, once a template is chosen: (subject, body).
    message: Option<(String, String)>,
    invitation: bool,
    statuses: Options,
    error: Option<&'static str>,
    can_send: bool,
    token: String,
}

/// `GET /applications/{id}/reply`: the template chosen (and the interview typed) gives the
/// message as it will go, to edit before sending.
pub async fn compose(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Query(fields): Query<AnswerFields>,
) -> Response {
    compose_page(&state, &signed_in, id, fields, None, None).await
}

async fn compose_page(
    state: &AppState,
    signed_in: &SignedIn,
    id: i64,
    fields: AnswerFields,
    edited: Option<(String, String)>,
    error: Option<&'static str>,
) -> Response {
    let t = signed_in.t;
    let a = match state.store.application(id).await {
        Ok(Some(detail)) => detail.application,
        Ok(None) => return error_page(t, StatusCode::NOT_FOUND),
        Err(err) => return unavailable(t, err, "read an application"),
    };
    let chosen = fields.template();
    let mut error = error;
    let message = match (edited, chosen) {
        (Some(edited), _) => Some(edited),
        (None, Some(name)) => match (stored_template(state, name).await, fields.interview()) {
            (Ok(template), Ok(interview)) => {
                Some(rendered(state, &template, &a, interview.as_ref()))
            }
            (Err(_), _) => return unavailable(t, "template missing or broken", "read a template"),
            (_, Err(())) => {
                error = Some(t.answers.bad_interview);
                None
            }
        },
        (None, None) => None,
    };
    let suggested = fields.set_status().or(chosen.and_then(suggested_status));
    let name = format!("{} {}", a.first_name, a.last_name)
        .trim()
        .to_owned();
    let mut response = render(&ComposePage {
        t,
        chrome: Chrome::new(signed_in, &format!("/applications/{id}/reply")),
        id,
        to: format!("{name} <{}>", a.email),
        name,
        templates: template_options(t, chosen),
        minutes: fields.minutes_or_default(),
        invitation: chosen == Some(TemplateName::InterviewInvitation)
            || !fields.interview_at.is_empty(),
        fields,
        message,
        statuses: status_options(t, suggested),
        can_send: state.answers.is_some(),
        error,
        token: token(),
    });
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(flatten)]
    fields: AnswerFields,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    token: String,
}

/// `POST /applications/{id}/reply`: the edited message, sent as written.
pub async fn send_one(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<SendForm>,
) -> Response {
    let t = signed_in.t;
    let text = AnswerText::Literal {
        subject: form.subject.trim().to_owned(),
        body: form.body.replace("\r\n", "\n"),
    };
    let request = match request(
        t,
        &form.fields,
        text,
        signed_in.display_name(),
        state.timezone,
    ) {
        Ok(request) => request,
        Err(message) => {
            let edited = Some((form.subject, form.body));
            return compose_page(&state, &signed_in, id, form.fields, edited, Some(message)).await;
        }
    };
    make_job(&state, &signed_in, &request, &[id], &form.token).await
}
