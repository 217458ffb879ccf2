//! What the daemon tells the outside: its state for `/healthz`, and its counters for
//! `/metrics` (Prometheus).
//!
//! Metrics go through the `metrics` facade, so recording them costs nothing when no
//! `[http]` listener installed a recorder.

use std::sync::Mutex;

use crate::domain::named::Named;
use crate::domain::outcome::OutcomeKind;

/// The mailbox side of the daemon, as the watch loops report it. Not `Serialize`: `/healthz`
/// answers anyone who can reach it, and shows only [`MailboxState::word`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxState {
    Starting,
    /// Another instance holds the mailbox lease; this one waits, healthy.
    Standby,
    Connected,
    Idle,
    /// The last attempt failed: why (for the log; it may name the server and the login).
    Down(String),
}

impl MailboxState {
    /// The state in one word, without its detail: what `/healthz` may say.
    pub fn word(&self) -> &'static str {
        match self {
            MailboxState::Starting => "starting",
            MailboxState::Standby => "standby",
            MailboxState::Connected => "connected",
            MailboxState::Idle => "idle",
            MailboxState::Down(_) => "down",
        }
    }

    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            MailboxState::Standby | MailboxState::Connected | MailboxState::Idle
        )
    }
}

#[derive(Debug)]
pub struct Health {
    mailbox: Mutex<MailboxState>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            mailbox: Mutex::new(MailboxState::Starting),
        }
    }
}

impl Health {
    pub fn set(&self, state: MailboxState) {
        metrics::gauge!("applymail_mailbox_connected").set(
            if matches!(state, MailboxState::Connected | MailboxState::Idle) {
                1.0
            } else {
                0.0
            },
        );
        metrics::gauge!("applymail_idle_connected").set(if state == MailboxState::Idle {
            1.0
        } else {
            0.0
        });
        // A poisoned lock only means a panic elsewhere while writing this enum: the value
        // is still whole.
        *self.mailbox.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }

    pub fn mailbox(&self) -> MailboxState {
        self.mailbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Declares the metrics with their help texts (shown as `# HELP` lines).
pub fn describe_metrics() {
    metrics::describe_counter!("applymail_messages_total", "Messages processed, by outcome");
    metrics::describe_counter!(
        "applymail_applications_filed_total",
        "New applications filed"
    );
    metrics::describe_gauge!(
        "applymail_last_sync_timestamp_seconds",
        "Unix time of the last complete read of a mailbox folder"
    );
    metrics::describe_gauge!(
        "applymail_mailbox_connected",
        "1 while connected to the mailbox"
    );
    metrics::describe_gauge!("applymail_idle_connected", "1 while waiting in IMAP IDLE");
    metrics::describe_counter!(
        "applymail_reconnects_total",
        "Connections to the mailbox lost or refused, then retried"
    );
    metrics::describe_counter!("applymail_errors_total", "Errors, by kind");
}

/// Counts one processed message.
pub fn record_outcome(outcome: OutcomeKind) {
    metrics::counter!("applymail_messages_total", "outcome" => outcome.as_str()).increment(1);
    if outcome == OutcomeKind::Filed {
        metrics::counter!("applymail_applications_filed_total").increment(1);
    }
}

/// Marks a complete read of a mailbox folder.
pub fn record_sync(mailbox: &str) {
    let now = chrono::Utc::now().timestamp() as f64;
    metrics::gauge!("applymail_last_sync_timestamp_seconds", "mailbox" => mailbox.to_owned())
        .set(now);
}

pub fn record_error(kind: &'static str) {
    metrics::counter!("applymail_errors_total", "kind" => kind).increment(1);
}
