//! The senders' side of answer jobs: the rows due, the claim before DATA, the outcome, the
//! recovery of rows a dead sender left, and a person's resend.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sqlx::FromRow;

use super::{AnswerOutcome, INTERVIEW_AT, SENT_BY_APPLYMAIL};
use crate::domain::answer::{AnswerText, Interview};
use crate::domain::identity::{Identity, Legacy};
use crate::domain::invitation::Place;
use crate::domain::reply_template::ReplyTemplate;
use crate::store::{BeginWrite, Store, StoreError, dispatch};

/// A row of a job whose time has come, with everything its message needs.
#[derive(Debug, Clone, FromRow)]
pub struct DueAnswer {
    pub id: i64,
    pub job_id: i64,
    pub application_id: i64,
    pub message_id: String,
    pub attempts: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub posting: String,
    pub has_cv: bool,
    pub has_letter: bool,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub literal: bool,
    pub interview_at: Option<String>,
    pub interview_minutes: Option<i64>,
    pub interview_place: Option<String>,
    /// The candidate's last message in the thread, and its References.
    pub parent: Option<String>,
    pub parent_refs: Option<String>,
}

impl DueAnswer {
    /// The job's text; `None` when a template stored in the job no longer parses (it was
    /// checked when the job was made, so only a hand edit in SQL does that).
    pub fn text(&self) -> Option<AnswerText> {
        if self.literal {
            return Some(AnswerText::Literal {
                subject: self.subject.clone(),
                body: self.body.clone(),
            });
        }
        ReplyTemplate::parse(&self.subject, &self.body)
            .ok()
            .map(AnswerText::Template)
    }

    pub fn interview(&self) -> Option<Interview> {
        Some(Interview {
            start: NaiveDateTime::parse_from_str(self.interview_at.as_deref()?, INTERVIEW_AT)
                .ok()?,
            minutes: self.interview_minutes?,
            place: Place::parse(self.interview_place.as_deref()?).ok()?,
        })
    }
}

/// What the sender tells the store of a message the server accepted: the outbound message
/// of the thread.
#[derive(Debug, Clone)]
pub struct SentMessage<'a> {
    pub bytes: &'a [u8],
    pub subject: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a str,
}

impl Store {
    /// Rows left in `sending` for longer than `stale` become `uncertain`: their sender died
    /// while the SMTP server may have had the message. Returns their application ids.
    pub async fn recover_interrupted_answers(
        &self,
        stale: Duration,
    ) -> Result<Vec<i64>, StoreError> {
        let cutoff = Utc::now() - stale;
        dispatch!(&self.pool, pool => {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "UPDATE answers SET state = 'uncertain', reason = $2
                 WHERE state = 'sending' AND claimed_at < $1 RETURNING application_id",
            )
            .bind(cutoff)
            .bind(crate::store::acknowledgement::INTERRUPTED)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }

    /// Pending rows whose time has come, oldest job first; `job` limits them to one job.
    pub async fn due_answers(
        &self,
        now: DateTime<Utc>,
        job: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DueAnswer>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT r.id, r.job_id, r.application_id, r.message_id, r.attempts,
                        c.email, c.first_name, c.last_name, a.posting,
                        EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'cv') AS has_cv,
                        EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'letter') AS has_letter,
                        j.template, j.subject, j.body, j.literal,
                        j.interview_at, j.interview_minutes, j.interview_place,
                        p.message_id AS parent, p.refs AS parent_refs
                 FROM answers r
                 JOIN answer_jobs j ON j.id = r.job_id
                 JOIN applications a ON a.id = r.application_id
                 JOIN candidates c ON c.id = a.candidate_id
                 LEFT JOIN messages p ON p.id = (
                     SELECT m.id FROM application_messages l JOIN messages m ON m.id = l.message_id
                     WHERE l.application_id = r.application_id AND m.direction = 'inbound'
                       AND m.message_id IS NOT NULL
                     ORDER BY m.sent_at DESC, m.id DESC LIMIT 1)
                 WHERE r.state = 'pending' AND r.next_attempt_at <= $1
                   AND ($2 IS NULL OR r.job_id = $2)
                 ORDER BY r.job_id, r.id LIMIT $3",
            )
            .bind(now)
            .bind(job)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Takes a pending row for sending; false when another process took it first.
    pub async fn claim_answer(&self, id: i64) -> Result<bool, StoreError> {
        dispatch!(&self.pool, pool => {
            let done = sqlx::query(
                "UPDATE answers SET state = 'sending', attempts = attempts + 1, claimed_at = $2
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(Utc::now())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records an attempt's outcome. A sent message (`sent` with its bytes) joins the
    /// application's thread as an outbound message, makes it `replied`, and applies the
    /// job's status change, in the same transaction.
    pub async fn finish_answer(
        &self,
        answer: &DueAnswer,
        outcome: &AnswerOutcome,
        sent: Option<&SentMessage<'_>>,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let (state, reason, next, sent_at) = match outcome {
            AnswerOutcome::Sent => ("sent", None, None, Some(now)),
            AnswerOutcome::Retry { error, at } => {
                ("pending", Some(error.as_str()), Some(*at), None)
            }
            AnswerOutcome::Failed { error } => ("failed", Some(error.as_str()), None, None),
            AnswerOutcome::Uncertain { error } => ("uncertain", Some(error.as_str()), None, None),
            AnswerOutcome::Skipped(why) => ("skipped", Some(why.as_str()), None, None),
        };
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE answers SET state = $2, reason = $3,
                     next_attempt_at = COALESCE($4, next_attempt_at), sent_at = $5
                 WHERE id = $1 AND state IN ('pending', 'sending')",
            )
            .bind(answer.id)
            .bind(state)
            .bind(reason)
            .bind(next)
            .bind(sent_at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1
                && let (AnswerOutcome::Sent, Some(sent)) = (outcome, sent)
            {
                let identity = Identity::of(Some(&answer.message_id), sent.bytes, Legacy::None);
                let (message,): (i64,) = sqlx::query_as(
                    "INSERT INTO messages (direction, message_id, dedupe_key, in_reply_to, refs, from_address,
                         recipients, subject, sent_at, arrived_at, raw_digest, raw_size, mailbox, location, recorded_at)
                     VALUES ('outbound', $1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $8)
                     RETURNING id",
                )
                .bind(&answer.message_id)
                .bind(identity.key())
                .bind(sent.in_reply_to.unwrap_or_default())
                .bind(sent.references)
                .bind(sent.from)
                .bind(sent.to)
                .bind(sent.subject)
                .bind(now)
                .bind(identity.digest())
                .bind(sent.bytes.len() as i64)
                .bind(SENT_BY_APPLYMAIL)
                .bind(format!("answer/{}", answer.id))
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO application_messages (application_id, message_id) VALUES ($1, $2)")
                    .bind(answer.application_id)
                    .bind(message)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE applications SET reply_status = 'replied',
                         last_outbound_at = CASE WHEN last_outbound_at IS NULL OR last_outbound_at < $2 THEN $2 ELSE last_outbound_at END
                     WHERE id = $1",
                )
                .bind(answer.application_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let job: (Option<String>, String) = sqlx::query_as(
                    "SELECT set_status, created_by FROM answer_jobs WHERE id = $1",
                )
                .bind(answer.job_id)
                .fetch_one(&mut *tx)
                .await?;
                if let (Some(status), author) = job {
                    // A closed application (rejected, withdrawn) stays closed: an answer
                    // does not reopen it.
                    let changed = sqlx::query(
                        "UPDATE applications SET status = $2
                         WHERE id = $1 AND status <> $2 AND status NOT IN ('rejected', 'withdrawn')",
                    )
                    .bind(answer.application_id)
                    .bind(&status)
                    .execute(&mut *tx)
                    .await?;
                    if changed.rows_affected() == 1 {
                        sqlx::query(
                            "INSERT INTO status_history (application_id, status, note, actor, changed_at)
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(answer.application_id)
                        .bind(&status)
                        .bind(format!("answer sent ({})", answer.template))
                        .bind(&author)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A person checked that an uncertain (or failed) answer did not arrive: it is sent
    /// again. False when the row is in no such state.
    pub async fn resend_answer(&self, id: i64) -> Result<bool, StoreError> {
        dispatch!(&self.pool, pool => {
            let done = sqlx::query(
                "UPDATE answers SET state = 'pending', reason = NULL, next_attempt_at = $2
                 WHERE id = $1 AND state IN ('uncertain', 'failed')",
            )
            .bind(id)
            .bind(Utc::now())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
