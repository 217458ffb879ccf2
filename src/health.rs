//! What the daemon tells the outside: its state for `/healthz`, its counters for `/metrics`
//! (Prometheus), and, through the database, its state, last sync and errors for the admin's
//! health page in the web app (see [`Health::recorded`]).
//!
//! Metrics go through the `metrics` facade, so recording them costs nothing when no
//! `[http]` listener installed a recorder.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

use crate::domain::named::Named;
use crate::domain::outcome::OutcomeKind;
use crate::store::Store;
use crate::store::daemon_health::InstanceHealth;

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
    /// What the database is told (see [`Health::recorded`]); `None`: memory only.
    report: Option<watch::Sender<Report>>,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            mailbox: Mutex::new(MailboxState::Starting),
            report: None,
        }
    }
}

/// The state word written when the daemon stops (not a [`MailboxState`]: `/healthz` is not
/// served then).
const STOPPED: &str = "stopped";
/// How often a daemon whose state does not change writes that it is alive: the health page
/// tells a daemon gone (killed, its host down) from one waiting for mail by this.
pub const HEARTBEAT: Duration = Duration::from_secs(60);
/// How often the writer says the process is alive when nothing else happens: well inside
/// the health page's 15 minutes of silence.
pub const ALIVE_EVERY: Duration = Duration::from_secs(5 * 60);
/// An error text is the log's, bounded: a server's answer can be long.
const MAX_ERROR_CHARS: usize = 2000;

/// What the writer task writes, with what decides whether it writes now.
#[derive(Debug, Clone)]
struct Report {
    row: InstanceHealth,
    /// Errors seen so far: the writer adds the last one to the recent errors when this grows.
    errors: u64,
    /// When the writer was last woken (heartbeats are not written more often than
    /// [`HEARTBEAT`]).
    notified_at: DateTime<Utc>,
}

/// The task that writes the daemon's state into the database; [`HealthWriter::finish`]
/// waits for the last write.
pub struct HealthWriter(JoinHandle<()>);

impl HealthWriter {
    /// Waits (a few seconds at most) for the writer to record the stop.
    pub async fn finish(self) {
        if tokio::time::timeout(Duration::from_secs(5), self.0)
            .await
            .is_err()
        {
            warn!("the daemon's state could not be recorded as stopped in time");
        }
    }
}

/// This process, as the health page names it: the host and the process id.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    let host = if host.is_empty() { "localhost" } else { host };
    format!("{host} (pid {})", std::process::id())
}

impl Health {
    /// A health whose every change (and, while nothing changes, a heartbeat every
    /// [`HEARTBEAT`]) is written to the database by a task of its own, for the admin's
    /// health page in `applymail web`. A write that fails is logged, never fatal: the mail
    /// comes first.
    pub fn recorded(store: Store, mailbox: &str) -> (Health, HealthWriter) {
        let now = Utc::now();
        let report = Report {
            row: InstanceHealth {
                instance: instance_name(),
                mailbox: mailbox.to_owned(),
                state: MailboxState::Starting.word().to_owned(),
                state_since: now,
                last_sync_at: None,
                last_error: None,
                last_error_at: None,
                updated_at: now,
            },
            errors: 0,
            notified_at: now,
        };
        let (sender, receiver) = watch::channel(report);
        let writer = tokio::spawn(write_reports(store, receiver));
        (
            Health {
                mailbox: Mutex::new(MailboxState::Starting),
                report: Some(sender),
            },
            HealthWriter(writer),
        )
    }

    /// Changes the recorded report; `urgent` changes are written at once, the others with
    /// the next heartbeat.
    fn report(&self, change: impl FnOnce(&mut Report, DateTime<Utc>) -> bool) {
        let Some(report) = &self.report else {
            return;
        };
        report.send_if_modified(|r| {
            let now = Utc::now();
            let urgent = change(r, now);
            r.row.updated_at = now;
            let due = (now - r.notified_at).to_std().unwrap_or_default() >= HEARTBEAT;
            if urgent || due {
                r.notified_at = now;
            }
            urgent || due
        });
    }

    /// A complete pass over the mailbox ended.
    pub fn synced(&self) {
        self.report(|r, now| {
            let first = r.row.last_sync_at.is_none();
            r.row.last_sync_at = Some(now);
            first
        });
    }

    /// The daemon stops: the last word written.
    pub fn stopped(&self) {
        self.report(|r, now| {
            r.row.state = STOPPED.to_owned();
            r.row.state_since = now;
            true
        });
    }

    pub fn set(&self, state: MailboxState) {
        self.report(|r, now| {
            let word = state.word();
            let changed = r.row.state != word;
            // Between waiting in IDLE and reading, the state flips with every new mail:
            // that goes with the heartbeat; a connection made or lost is written at once.
            let awake = |w: &str| matches!(w, "connected" | "idle");
            let urgent = changed && !(awake(word) && awake(&r.row.state));
            if changed {
                r.row.state = word.to_owned();
                r.row.state_since = now;
            }
            if let MailboxState::Down(why) = &state {
                r.row.last_error = Some(why.chars().take(MAX_ERROR_CHARS).collect());
                r.row.last_error_at = Some(now);
                r.errors += 1;
            }
            urgent || matches!(state, MailboxState::Down(_))
        });
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

/// Writes each report the daemon notifies, until it says it stopped. Reports that come
/// faster than the database answers are merged: the newest state is what counts. While
/// nothing is notified (a long poll interval, a standby waiting for the lease), the last
/// report is written again every [`ALIVE_EVERY`], so that the page tells a process that is
/// gone from one that waits.
async fn write_reports(store: Store, mut receiver: watch::Receiver<Report>) {
    if let Err(err) = store.forget_old_instances().await {
        warn!(error = %err, "cannot forget old daemon instances");
    }
    let mut errors_written = 0;
    let mut report = receiver.borrow_and_update().clone();
    loop {
        if let Err(err) = store.record_health(&report.row).await {
            warn!(error = %err, "cannot record the daemon's state for the health page");
        }
        if report.errors > errors_written {
            errors_written = report.errors;
            if let (Some(error), Some(at)) = (&report.row.last_error, report.row.last_error_at)
                && let Err(err) = store
                    .record_daemon_error(&report.row.instance, at, error)
                    .await
            {
                warn!(error = %err, "cannot record the daemon's error for the health page");
            }
        }
        if report.row.state == STOPPED {
            return;
        }
        match tokio::time::timeout(ALIVE_EVERY, receiver.changed()).await {
            Ok(Ok(())) => report = receiver.borrow_and_update().clone(),
            Ok(Err(_)) => return,
            Err(_) => report.row.updated_at = Utc::now(),
        }
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
