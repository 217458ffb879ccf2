//! Answer jobs: one row per application, sent at most once by whichever process claims it.
//!
//! A row is `pending` until a sender claims it (`sending`, committed before the message's
//! DATA), then `sent`, `failed` (5xx, or 4xx too often), `skipped` (with the reason), or
//! `pending` again after a 4xx. A row left in `sending` longer than any send takes was
//! interrupted: it becomes `uncertain`, and only a person's resend makes it `pending` again.
//! The sent message becomes an outbound message of the application's thread, the
//! application is `replied`, and the job's status change happens, all in the transaction
//! that records the send.
//!
//! Here a job is recorded; [`send`] holds the senders' side (due rows, claim, outcome),
//! [`view`] what the pages and the command show of a job.

mod send;
mod view;

use chrono::Utc;

pub use send::{DueAnswer, SentMessage};
pub use view::{JobRow, JobSummary, Progress};

use super::acknowledgement::SendOutcome;
use super::sql::CHUNK;
use super::{BeginWrite, Store, StoreError, dispatch};
use crate::domain::answer::{AnswerRequest, AnswerSkip, AnswerText};
use crate::domain::named::Named;
use crate::domain::status::ApplicationStatus;

/// An answer's attempt.
pub type AnswerOutcome = SendOutcome<AnswerSkip>;

/// The mailbox name of the messages applymail itself sent: the Sent folder scan knows them by
/// their Message-ID.
pub const SENT_BY_APPLYMAIL: &str = "applymail";

/// How a job keeps its interview's start: the organisation's local time, minutes.
const INTERVIEW_AT: &str = "%Y-%m-%dT%H:%M";

impl Store {
    /// Records a job for these applications (each once, those that exist), with a fresh
    /// Message-ID per row; returns the job's id. `domain` is the sender's address domain.
    ///
    /// `token` is the form's one-time token: the same token again (a double click, a reload
    /// of the page that posted) gives back the job it made, and records nothing more.
    pub async fn create_answer_job(
        &self,
        request: &AnswerRequest,
        application_ids: &[i64],
        domain: &str,
        token: Option<&str>,
    ) -> Result<i64, StoreError> {
        let mut ids = application_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let (subject, body, literal) = match &request.text {
            AnswerText::Template(t) => (t.subject.as_str(), t.body.as_str(), false),
            AnswerText::Literal { subject, body } => (subject.as_str(), body.as_str(), true),
        };
        let interview = request.interview.as_ref();
        let now = Utc::now();
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let made: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO answer_jobs (template, subject, body, literal, set_status, interview_at,
                     interview_minutes, interview_place, total, created_by, created_at, request_token)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (request_token) DO NOTHING RETURNING id",
            )
            .bind(request.template.as_str())
            .bind(subject)
            .bind(body)
            .bind(literal)
            .bind(request.set_status.map(ApplicationStatus::as_str))
            .bind(interview.map(|i| i.start.format(INTERVIEW_AT).to_string()))
            .bind(interview.map(|i| i.minutes))
            .bind(interview.map(|i| i.place.as_text().to_owned()))
            .bind(ids.len() as i64)
            .bind(&request.author)
            .bind(now)
            .bind(token)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((job,)) = made else {
                let (job,): (i64,) = sqlx::query_as("SELECT id FROM answer_jobs WHERE request_token = $1")
                    .bind(token)
                    .fetch_one(&mut *tx)
                    .await?;
                return Ok(job);
            };
            for chunk in ids.chunks(CHUNK / 4) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO answers (job_id, application_id, state, message_id, next_attempt_at)
                     SELECT j, a, 'pending', m, n FROM (",
                );
                let mut first = true;
                for id in chunk {
                    insert.push(if first { "SELECT " } else { " UNION ALL SELECT " });
                    first = false;
                    insert
                        .push_bind(job)
                        .push(" AS j, ")
                        .push_bind(*id)
                        .push(" AS a, ")
                        .push_bind(new_answer_id(domain))
                        .push(" AS m, ")
                        .push_bind(now)
                        .push(" AS n");
                }
                insert.push(") AS asked WHERE EXISTS (SELECT 1 FROM applications WHERE id = asked.a)");
                insert.build().persistent(false).execute(&mut *tx).await?;
            }
            let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM answers WHERE job_id = $1")
                .bind(job)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("UPDATE answer_jobs SET total = $2 WHERE id = $1")
                .bind(job)
                .bind(rows)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(job)
        })
    }
}

/// A Message-ID for an answer, unique without coordination between instances.
fn new_answer_id(domain: &str) -> String {
    let nonce: u128 = rand::random();
    format!("<answer.{nonce:032x}@{domain}>")
}
