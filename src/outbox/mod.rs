//! What applymail sends, over SMTP ([`smtp`]): the acknowledgements that filing queued
//! ([`Acknowledger`]) and the answers recruiters send from the app or the command line
//! ([`AnswerSender`]).
//!
//! Both keep one rule, "at most once", with the same order per message:
//!
//! 1. the intent row exists (written with the application, or with the answer job);
//! 2. MAIL FROM and RCPT TO (nothing is delivered if this fails: the row stays `pending`);
//! 3. the row is claimed, `pending` → `sending`, and committed;
//! 4. DATA; the server's answer is recorded (`sent`, or `pending` again after a 4xx).
//!
//! A crash before 3 leaves the row `pending`: it is sent after the restart. A crash between
//! 3 and the record of 4 leaves it `sending`: it becomes `uncertain` and is never sent again
//! automatically, because the server may already have taken it. [`hand_over`] is that order,
//! written once.

mod acknowledgements;
mod answers;
mod sent_copy;
pub mod smtp;
mod threading;

use std::time::Duration;

use chrono::Utc;
use lettre::message::Message;

pub use acknowledgements::Acknowledger;
pub use answers::{AnswerSender, Sender};
pub use sent_copy::SentCopy;

use crate::store::StoreError;
use crate::store::acknowledgement::SendOutcome;
use smtp::{Refusal, SmtpError, SmtpSession};

/// A 4xx answer is retried this many times, waiting longer each time, then given up.
const MAX_ATTEMPTS: i64 = 8;
const RETRY_START: Duration = Duration::from_secs(60);
const CONNECT_BACKOFF_START: Duration = Duration::from_secs(5);
const CONNECT_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("SMTP connection lost: {0}")]
    Lost(String),
}

/// How handing one message to the server went.
enum Handed {
    /// The server took it: these are the bytes it took.
    Delivered(Vec<u8>),
    /// The server refused it before it was claimed, or answered DATA with an error.
    Refused(Refusal),
    /// Another process claimed the row first: it sends and records it.
    ClaimedElsewhere,
    /// The connection broke during DATA: the server may have it.
    Uncertain(String),
}

/// Steps 2 to 4 of the module's order: MAIL and RCPT, then `claim` (which commits the row's
/// `sending`), then DATA. A connection that breaks before DATA is an error: nothing was
/// claimed, and the caller connects again.
async fn hand_over(
    session: &mut SmtpSession,
    message: &Message,
    claim: impl Future<Output = Result<bool, StoreError>>,
) -> Result<Handed, OutboxError> {
    match session.start(message.envelope()).await {
        Ok(()) => {}
        Err(Refusal::Broken(text)) => return Err(OutboxError::Lost(text)),
        Err(refusal) => {
            let _ = session.reset().await;
            return Ok(Handed::Refused(refusal));
        }
    }
    if !claim.await? {
        let _ = session.reset().await;
        return Ok(Handed::ClaimedElsewhere);
    }
    let bytes = message.formatted();
    Ok(match session.deliver(&bytes).await {
        Ok(()) => Handed::Delivered(bytes),
        Err(Refusal::Broken(error)) => Handed::Uncertain(error),
        Err(refusal) => Handed::Refused(refusal),
    })
}

/// After a batch that could not be sent (no connection, a refused login): how long to wait,
/// said in the log as an admin can act on it (`what`: "acknowledgements", "answers to
/// candidates").
fn delay_after(err: &OutboxError, backoff: &mut crate::backoff::Backoff, what: &str) -> Duration {
    let delay = backoff.grow(CONNECT_BACKOFF_START, CONNECT_BACKOFF_MAX);
    if matches!(err, OutboxError::Smtp(e) if e.needs_admin()) {
        tracing::error!(error = %err, retry_in = ?delay, "{what} cannot be sent: check [smtp] (or [acknowledgement.smtp])");
    } else {
        tracing::warn!(error = %err, retry_in = ?delay, "{what} delayed");
    }
    crate::health::record_error("smtp");
    delay
}

/// What a refusal makes of a row that had `attempts` before: a retry with a growing wait
/// after a 4xx, until [`MAX_ATTEMPTS`]; a failure otherwise.
fn refused<Skip>(refusal: Refusal, attempts: i64) -> SendOutcome<Skip> {
    match refusal {
        Refusal::Transient(error) if attempts + 1 < MAX_ATTEMPTS => {
            let wait = RETRY_START.saturating_mul(1 << attempts.clamp(0, 16));
            SendOutcome::Retry {
                error,
                at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
            }
        }
        Refusal::Transient(error) | Refusal::Permanent(error) | Refusal::Broken(error) => {
            SendOutcome::Failed { error }
        }
    }
}
