//! The acknowledgements' state machine. The intent is written when the application is filed
//! (see [`super::record`]); here the sender claims it (`pending` → `sending`) just before it
//! hands the message to the SMTP server, and records the answer afterwards. A row still in
//! `sending` when a daemon starts was interrupted by a crash: the server may or may not have
//! taken the message, so it becomes `uncertain` and is never sent again (at most once).

use chrono::{DateTime, Utc};

use super::{BeginWrite, Store, StoreError, dispatch};
use crate::domain::acknowledgement::SkipReason;
use crate::domain::named::Named;

/// Why a message claimed for sending (an acknowledgement, an answer) was left `uncertain`:
/// its process died or broke off during DATA, so the server may have it.
pub(crate) const INTERRUPTED: &str =
    "interrupted while the SMTP server had the message: not sent again";

/// A queued acknowledgement with what the message needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueAck {
    pub application_id: i64,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub refs: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub posting: String,
    pub reply_status: String,
    pub attempts: i64,
}

/// The outcome of one attempt to send a message, skipped for a reason of type `Skip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome<Skip> {
    /// The server accepted the message: the application becomes `acknowledged`.
    Sent,
    /// The server refused it for now (4xx): try again at `at`.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// The server refused it for good (5xx), or it failed too long.
    Failed {
        error: String,
    },
    /// The connection broke after the message was handed over: it may have been sent.
    Uncertain {
        error: String,
    },
    Skipped(Skip),
}

/// An acknowledgement's attempt.
pub type AckOutcome = SendOutcome<SkipReason>;

/// An application's acknowledgement, as `show` tells it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AckState {
    pub state: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Marks acknowledgements that a crash interrupted mid-send as `uncertain`; returns
    /// their applications.
    pub async fn recover_interrupted_acks(&self) -> Result<Vec<i64>, StoreError> {
        dispatch!(&self.pool, pool => {
            let rows: Vec<(i64,)> = sqlx::query_as(
                "UPDATE acknowledgements SET state = 'uncertain', reason = $1
                 WHERE state = 'sending' RETURNING application_id",
            )
            .bind(INTERRUPTED)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }

    /// Pending acknowledgements whose time has come, oldest first.
    pub async fn due_acks(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueAck>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT k.application_id, k.message_id, k.in_reply_to, k.refs, c.email, c.first_name, c.last_name,
                        a.posting, a.reply_status, k.attempts
                 FROM acknowledgements k
                 JOIN applications a ON a.id = k.application_id
                 JOIN candidates c ON c.id = a.candidate_id
                 WHERE k.state = 'pending' AND k.message_id IS NOT NULL AND k.next_attempt_at <= $1
                 ORDER BY k.next_attempt_at, k.application_id LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// When the next pending acknowledgement is due, if any is queued.
    pub async fn next_ack_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        dispatch!(&self.pool, pool => {
            let row: Option<(Option<DateTime<Utc>>,)> = sqlx::query_as(
                "SELECT MIN(next_attempt_at) FROM acknowledgements WHERE state = 'pending'",
            )
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(at,)| at))
        })
    }

    /// Takes a pending acknowledgement for sending; false when another instance took it or
    /// it is no longer pending. Committed before the first byte goes to the SMTP server.
    pub async fn claim_ack(&self, application_id: i64) -> Result<bool, StoreError> {
        dispatch!(&self.pool, pool => {
            let done = sqlx::query(
                "UPDATE acknowledgements SET state = 'sending', attempts = attempts + 1
                 WHERE application_id = $1 AND state = 'pending'",
            )
            .bind(application_id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Records the outcome of an attempt (claimed or not: a skip needs no claim).
    pub async fn finish_ack(
        &self,
        application_id: i64,
        outcome: &AckOutcome,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let (state, reason, next, sent_at) = match outcome {
            AckOutcome::Sent => ("sent", None, None, Some(now)),
            AckOutcome::Retry { error, at } => ("pending", Some(error.as_str()), Some(*at), None),
            AckOutcome::Failed { error } => ("failed", Some(error.as_str()), None, None),
            AckOutcome::Uncertain { error } => ("uncertain", Some(error.as_str()), None, None),
            AckOutcome::Skipped(why) => ("skipped", Some(why.as_str()), None, None),
        };
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE acknowledgements SET state = $2, reason = $3, next_attempt_at = $4, sent_at = $5
                 WHERE application_id = $1 AND state IN ('pending', 'sending')",
            )
            .bind(application_id)
            .bind(state)
            .bind(reason)
            .bind(next)
            .bind(sent_at)
            .execute(&mut *tx)
            .await?;
            if *outcome == AckOutcome::Sent {
                // A person's answer found in Sent outranks the acknowledgement.
                sqlx::query("UPDATE applications SET reply_status = 'acknowledged' WHERE id = $1 AND reply_status = 'unreplied'")
                    .bind(application_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn ack_state(&self, application_id: i64) -> Result<Option<AckState>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT state, reason, attempts, sent_at FROM acknowledgements WHERE application_id = $1",
            )
            .bind(application_id)
            .fetch_optional(pool)
            .await?)
        })
    }
}
