//! A bulk send from the list: the ticked rows or the whole filter, counted and shown before
//! anything is recorded, then sent with the template as it is.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::{AnswerFields, make_job, rendered, request, stored_template, token};
use crate::domain::answer::AnswerText;
use crate::domain::reply_template::TemplateName;
use crate::store::queries::Filter;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::list::ListQuery;
use crate::web::pages::{Chrome, error_page, render, unavailable};
use crate::web::session::SignedIn;

/// Recipients listed by name on the confirmation page; the count says the rest.
const LISTED: usize = 200;

#[derive(Template)]
#[template(path = "answer_confirm.html")]
struct ConfirmPage {
    t: &'static Catalogue,
    chrome: Chrome,
    fields: AnswerFields,
    template_name: &'static str,
    status: Option<&'static str>,
    count: usize,
    listed: Vec<(String, String)>,
    more: bool,
    preview: Option<(String, String)>,
    ids: String,
    error: Option<&'static str>,
    token: String,
    can_send: bool,
}

/// `POST /answers/prepare`, from the list: the ticked rows (`id`, repeated) or the whole
/// filter (`scope=all` with the list's parameters), counted and shown before anything is
/// recorded. The confirmation carries the ids it showed, so what is sent is what was seen.
pub async fn prepare(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    body: Bytes,
) -> Response {
    let t = signed_in.t;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let fields = AnswerFields::from_pairs(&pairs);
    let Some(name) = fields.template() else {
        return error_page(t, StatusCode::BAD_REQUEST);
    };
    let scope_all = pairs.iter().any(|(k, v)| k == "scope" && v == "all");
    let rows = if scope_all {
        // A filter that does not parse is refused, never read as "no filter": "all of this
        // filter" would then be every application.
        let Ok(query) = serde_urlencoded::from_bytes::<ListQuery>(&body) else {
            return error_page(t, StatusCode::BAD_REQUEST);
        };
        match query.resolved_filter(&state).await {
            Ok(filter) => state.store.list(&filter).await,
            Err(err) => Err(err),
        }
    } else {
        let ids: Vec<i64> = pairs
            .iter()
            .filter(|(k, _)| k == "id")
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        state
            .store
            .list(&Filter {
                ids: Some(ids),
                ..Filter::default()
            })
            .await
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => return unavailable(t, err, "read the applications to answer"),
    };
    let template = match stored_template(&state, name).await {
        Ok(template) => template,
        Err(_) => return unavailable(t, "template missing or broken", "read a template"),
    };
    let interview = fields.interview();
    let mut error = match &interview {
        Err(()) => Some(t.answers.bad_interview),
        Ok(None) if name == TemplateName::InterviewInvitation => Some(t.answers.bad_interview),
        Ok(_) => None,
    };
    if rows.is_empty() {
        error = Some(t.answers.nothing_selected);
    }
    let preview = match (&interview, rows.first()) {
        (Ok(interview), Some(first)) => {
            Some(rendered(&state, &template, first, interview.as_ref()))
        }
        _ => None,
    };
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    let mut response = render(&ConfirmPage {
        t,
        chrome: Chrome::new(&signed_in, "/applications"),
        template_name: t.templates.name(name),
        status: fields.set_status().map(|s| t.status(s)),
        count: rows.len(),
        more: rows.len() > LISTED,
        listed: rows
            .iter()
            .take(LISTED)
            .map(|r| {
                (
                    format!("{} {}", r.first_name, r.last_name)
                        .trim()
                        .to_owned(),
                    r.email.clone(),
                )
            })
            .collect(),
        fields,
        preview,
        ids: ids.join(","),
        error,
        token: token(),
        can_send: state.answers.is_some(),
    });
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(flatten)]
    fields: AnswerFields,
    #[serde(default)]
    ids: String,
    #[serde(default)]
    token: String,
}

/// `POST /answers`: the confirmed bulk send, with the template as it is now.
pub async fn send_bulk(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    axum::Form(form): axum::Form<BulkForm>,
) -> Response {
    let t = signed_in.t;
    let Some(name) = form.fields.template() else {
        return error_page(t, StatusCode::BAD_REQUEST);
    };
    let template = match stored_template(&state, name).await {
        Ok(template) => template,
        Err(_) => return unavailable(t, "template missing or broken", "read a template"),
    };
    let request = match request(
        t,
        &form.fields,
        AnswerText::Template(template),
        signed_in.display_name(),
        state.timezone,
    ) {
        Ok(request) => request,
        Err(_) => return error_page(t, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let ids: Vec<i64> = form
        .ids
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    make_job(&state, &signed_in, &request, &ids, &form.token).await
}
