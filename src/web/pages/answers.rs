//! Answering candidates from the app: one reply from an application's page (choose a
//! template, read the message as it will go, edit it, send), a bulk send from the list
//! (ticked rows or the whole filter, counted and confirmed), and the jobs' pages (progress,
//! who was skipped and why, a resend for an uncertain message a person has checked).
//!
//! Every send is a job in the database ([`crate::store::answers`]); the page only records
//! it and wakes this process's sender. Each form that makes a job carries a one-time token,
//! so a double click or a reload finds the job the first click made.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDateTime;
use serde::Deserialize;
use strum::VariantArray;
use tracing::info;

use super::list::ListQuery;
use super::{Chrome, date_time, error_page, parsed, render, unavailable};
use crate::domain::answer::{AnswerRequest, AnswerText, Interview, RequestError};
use crate::domain::invitation::Place;
use crate::domain::named::Named;
use crate::domain::reply_template::{ReplyTemplate, TemplateName, missing_documents};
use crate::domain::status::ApplicationStatus;
use crate::domain::template::Fields;
use crate::store::answers::{JobRow, JobSummary, Progress};
use crate::store::queries::{ApplicationRow, Filter};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

/// Recipients listed by name on the confirmation page; the count says the rest.
const LISTED: usize = 200;

/// The templates a recruiter answers with (the acknowledgement goes out by itself).
fn answer_templates() -> impl Iterator<Item = TemplateName> {
    TemplateName::VARIANTS
        .iter()
        .copied()
        .filter(|n| *n != TemplateName::Acknowledgement)
}

/// The status an answer usually goes with: a rejection closes, an invitation moves on.
fn suggested_status(template: TemplateName) -> Option<ApplicationStatus> {
    match template {
        TemplateName::RejectionAfterReview | TemplateName::RejectionAfterInterview => {
            Some(ApplicationStatus::Rejected)
        }
        TemplateName::InterviewInvitation => Some(ApplicationStatus::Interview),
        _ => None,
    }
}

/// The fields every answer form carries: template, status change and interview.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnswerFields {
    #[serde(default)]
    template: String,
    #[serde(default)]
    set_status: String,
    /// `2027-01-12T14:30`, as `<input type="datetime-local">` sends it.
    #[serde(default)]
    interview_at: String,
    #[serde(default)]
    interview_minutes: String,
    #[serde(default)]
    interview_place: String,
}

impl AnswerFields {
    fn from_pairs(pairs: &[(String, String)]) -> AnswerFields {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        AnswerFields {
            template: get("template"),
            set_status: get("set_status"),
            interview_at: get("interview_at"),
            interview_minutes: get("interview_minutes"),
            interview_place: get("interview_place"),
        }
    }

    fn template(&self) -> Option<TemplateName> {
        self.template
            .parse()
            .ok()
            .filter(|n| *n != TemplateName::Acknowledgement)
    }

    fn set_status(&self) -> Option<ApplicationStatus> {
        self.set_status.parse().ok()
    }

    /// The interview when one is typed; `Err` when it is half typed or wrong.
    fn interview(&self) -> Result<Option<Interview>, ()> {
        if self.interview_at.trim().is_empty() && self.interview_place.trim().is_empty() {
            return Ok(None);
        }
        let start = NaiveDateTime::parse_from_str(self.interview_at.trim(), "%Y-%m-%dT%H:%M")
            .map_err(drop)?;
        let minutes = match self.interview_minutes.trim() {
            "" => 60,
            m => m.parse().map_err(drop)?,
        };
        let place = Place::parse(&self.interview_place).map_err(drop)?;
        Ok(Some(Interview {
            start,
            minutes,
            place,
        }))
    }

    fn minutes_or_default(&self) -> String {
        if self.interview_minutes.trim().is_empty() {
            "60".into()
        } else {
            self.interview_minutes.clone()
        }
    }
}

/// A job's request from a form, checked; the error is the sentence the page shows.
fn request(
    t: &'static Catalogue,
    fields: &AnswerFields,
    text: AnswerText,
    author: String,
    zone: chrono_tz::Tz,
) -> Result<AnswerRequest, &'static str> {
    let template = fields.template().ok_or(t.error_other)?;
    let interview = fields.interview().map_err(|()| t.answers.bad_interview)?;
    let request = AnswerRequest {
        template,
        text,
        set_status: fields.set_status(),
        interview,
        author,
    };
    request.check(zone).map_err(|e| match e {
        RequestError::EmptySubject => t.answers.bad_subject,
        RequestError::Acknowledgement => t.error_other,
        RequestError::InterviewMissing | RequestError::Slot(_) => t.answers.bad_interview,
    })?;
    Ok(request)
}

/// A template's text for one application, as it will be sent.
fn rendered(
    state: &AppState,
    template: &ReplyTemplate,
    a: &ApplicationRow,
    interview: Option<&Interview>,
) -> (String, String) {
    let posting = state
        .postings
        .iter()
        .find(|p| p.id.as_str() == a.posting)
        .map_or(a.posting.as_str(), |p| p.title.as_str());
    let (date, time) = interview.map(Interview::in_words).unwrap_or_default();
    let fields = Fields {
        first_name: &a.first_name,
        last_name: &a.last_name,
        posting,
        organisation: &state.signature,
        interview_date: &date,
        interview_time: &time,
        interview_place: interview.map_or("", |i| i.place.as_text()),
        missing: missing_documents(a.has_cv, a.has_letter),
    };
    AnswerText::Template(template.clone()).render(&fields)
}

async fn stored_template(
    state: &AppState,
    name: TemplateName,
) -> Result<ReplyTemplate, &'static str> {
    let row = state
        .store
        .reply_template(name)
        .await
        .ok()
        .flatten()
        .ok_or("")?;
    ReplyTemplate::parse(&row.subject, &row.body).map_err(|_| "")
}

fn token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// (value, label, chosen) for the template and status selects.
pub(super) type Options = Vec<(&'static str, &'static str, bool)>;

pub(super) fn template_options(t: &'static Catalogue, chosen: Option<TemplateName>) -> Options {
    answer_templates()
        .map(|n| (n.as_str(), t.templates.name(n), Some(n) == chosen))
        .collect()
}

pub(super) fn status_options(t: &'static Catalogue, chosen: Option<ApplicationStatus>) -> Options {
    ApplicationStatus::VARIANTS
        .iter()
        .map(|s| (s.as_str(), t.status(*s), Some(*s) == chosen))
        .collect()
}

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

/// Records the job (once per token), wakes the sender and shows the job.
async fn make_job(
    state: &AppState,
    signed_in: &SignedIn,
    request: &AnswerRequest,
    ids: &[i64],
    token: &str,
) -> Response {
    let t = signed_in.t;
    let Some(sender) = &state.answers else {
        return error_page(t, StatusCode::SERVICE_UNAVAILABLE);
    };
    if token.len() != 32 || ids.is_empty() {
        return error_page(t, StatusCode::BAD_REQUEST);
    }
    let domain = sender.sender().from.domain().to_owned();
    match state
        .store
        .create_answer_job(request, ids, &domain, Some(token))
        .await
    {
        Ok(job) => {
            info!(
                job,
                applications = ids.len(),
                template = request.template.as_str(),
                account = signed_in.account.id,
                "answers to candidates asked in the web app"
            );
            sender.wake().notify_one();
            Redirect::to(&format!("/answers/{job}")).into_response()
        }
        Err(err) => unavailable(t, err, "record answers"),
    }
}

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

pub struct JobView {
    id: i64,
    template: &'static str,
    status: Option<&'static str>,
    by: String,
    at: String,
    total: i64,
    done: i64,
    progress: Progress,
}

impl JobView {
    fn new(t: &'static Catalogue, job: JobSummary, progress: Progress) -> JobView {
        JobView {
            id: job.id,
            template: job
                .template
                .parse()
                .map_or("", |n: TemplateName| t.templates.name(n)),
            status: job
                .set_status
                .as_deref()
                .map(|s| t.status(parsed::<ApplicationStatus>(s))),
            by: job.created_by,
            at: date_time(job.created_at),
            total: job.total,
            done: job.total - progress.pending - progress.sending,
            progress,
        }
    }
}

pub struct RowView {
    answer_id: i64,
    application_id: i64,
    name: String,
    email: String,
    state: &'static str,
    state_key: String,
    detail: String,
    can_resend: bool,
}

#[derive(Template)]
#[template(path = "answer_job.html")]
struct JobPage {
    t: &'static Catalogue,
    chrome: Chrome,
    job: JobView,
    rows: Vec<RowView>,
    refreshing: bool,
}

/// `GET /answers/{job}`: its progress, updated by the page itself until nothing is left to
/// send.
pub async fn job(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let t = signed_in.t;
    let (summary, progress, rows) = match tokio::try_join!(
        state.store.answer_job(id),
        state.store.answer_job_progress(id),
        state.store.answer_job_rows(id),
    ) {
        Ok((Some(summary), progress, rows)) => (summary, progress, rows),
        Ok((None, ..)) => return error_page(t, StatusCode::NOT_FOUND),
        Err(err) => return unavailable(t, err, "read a send"),
    };
    let refreshing = !progress.is_done();
    render(&JobPage {
        t,
        chrome: Chrome::new(&signed_in, &format!("/answers/{id}")),
        job: JobView::new(t, summary, progress),
        rows: rows.into_iter().map(|r| row_view(t, r)).collect(),
        refreshing,
    })
}

fn row_view(t: &'static Catalogue, r: JobRow) -> RowView {
    RowView {
        answer_id: r.answer_id,
        application_id: r.application_id,
        name: format!("{} {}", r.first_name, r.last_name)
            .trim()
            .to_owned(),
        email: r.email,
        state: t.answers.state(&r.state),
        can_resend: r.state == "uncertain" || r.state == "failed",
        detail: match (&r.reason, r.sent_at) {
            (Some(reason), _) => t.answers.reason(reason),
            (None, Some(at)) => date_time(at),
            (None, None) => String::new(),
        },
        state_key: r.state,
    }
}

/// `POST /answers/{job}/rows/{answer}/resend`: a person checked that an uncertain (or
/// failed) message did not arrive.
pub async fn resend(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path((job, answer)): Path<(i64, i64)>,
) -> Response {
    match state.store.resend_answer(answer).await {
        Ok(resent) => {
            if resent {
                info!(
                    job,
                    answer,
                    account = signed_in.account.id,
                    "an answer is sent again at a person's request"
                );
                if let Some(sender) = &state.answers {
                    sender.wake().notify_one();
                }
            }
            Redirect::to(&format!("/answers/{job}")).into_response()
        }
        Err(err) => unavailable(signed_in.t, err, "send an answer again"),
    }
}

#[derive(Template)]
#[template(path = "answer_jobs.html")]
struct JobsPage {
    t: &'static Catalogue,
    chrome: Chrome,
    jobs: Vec<JobView>,
}

/// `GET /answers`: the latest sends.
pub async fn jobs(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
) -> Response {
    let t = signed_in.t;
    let summaries = match state.store.answer_jobs(100).await {
        Ok(jobs) => jobs,
        Err(err) => return unavailable(t, err, "read the sends"),
    };
    let mut jobs = Vec::with_capacity(summaries.len());
    for summary in summaries {
        match state.store.answer_job_progress(summary.id).await {
            Ok(progress) => jobs.push(JobView::new(t, summary, progress)),
            Err(err) => return unavailable(t, err, "read the sends"),
        }
    }
    render(&JobsPage {
        t,
        chrome: Chrome::new(&signed_in, "/answers"),
        jobs,
    })
}
