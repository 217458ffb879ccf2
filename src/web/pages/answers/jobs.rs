//! The jobs' pages: one job's progress and rows (with a person's resend), the latest jobs.

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use tracing::info;

use crate::domain::reply_template::TemplateName;
use crate::domain::status::ApplicationStatus;
use crate::store::answers::{JobRow, JobSummary, Progress};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, error_page, parsed, render, unavailable};
use crate::web::session::SignedIn;

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
    let jobs = match state.store.answer_jobs(100).await {
        Ok(jobs) => jobs
            .into_iter()
            .map(|(summary, progress)| JobView::new(t, summary, progress))
            .collect(),
        Err(err) => return unavailable(t, err, "read the sends"),
    };
    render(&JobsPage {
        t,
        chrome: Chrome::new(&signed_in, "/answers"),
        jobs,
    })
}
