//! Answering candidates from the app: one reply from an application's page (choose a
//! template, read the message as it will go, edit it, send), a bulk send from the list
//! (ticked rows or the whole filter, counted and confirmed), and the jobs' pages (progress,
//! who was skipped and why, a resend for an uncertain message a person has checked).
//!
//! Every send is a job in the database ([`crate::store::answers`]); the page only records
//! it and wakes this process's sender. Each form that makes a job carries a one-time token,
//! so a double click or a reload finds the job the first click made.
//!
//! This module holds what the three share (the form's fields, the checked request, the text
//! rendered for one application, the job recorded); [`compose`] the one reply, [`bulk`] the
//! send from the list, [`jobs`] the jobs' pages.

mod bulk;
mod compose;
mod jobs;

pub use bulk::{prepare, send_bulk};
pub use compose::{compose, send_one};
pub use jobs::{job, jobs, resend};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDateTime;
use serde::Deserialize;
use strum::VariantArray;
use tracing::info;

use super::{error_page, unavailable};
use crate::domain::answer::{AnswerRequest, AnswerText, Interview, RequestError};
use crate::domain::invitation::Place;
use crate::domain::named::Named;
use crate::domain::reply_template::{ReplyTemplate, TemplateName, missing_documents};
use crate::domain::status::ApplicationStatus;
use crate::domain::template::Fields;
use crate::store::queries::ApplicationRow;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

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
