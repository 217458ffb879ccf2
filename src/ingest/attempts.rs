//! A poison message must not block the mailbox. Each attempt at a message is counted in the
//! database as it begins, committed before the work, so that one that stops the daemon is
//! counted too. A message that failed once, or was being processed when the daemon
//! stopped, is tried again alone, so that its failure is its own and the messages around it
//! go through; one that keeps failing while others go through, or keeps stopping the daemon,
//! is quarantined with its error (the rule is [`crate::domain::attempts`]). Failures of the
//! database, the disk or the server fail every message alike: none of them is ever blamed.

use std::collections::HashMap;

use bytes::Bytes;
use tracing::warn;

use super::decide::{Staged, StagedKind};
use super::{IngestError, Pipeline, RawMessage};
use crate::domain::attempts::{Attempts, Next};
use crate::domain::outcome::Outcome;
use crate::domain::record::DecisionKind;
use crate::domain::source::{Direction, SourceRef};

/// Messages to record, in order, each with what is known of the attempts at it so far.
#[derive(Debug, Default)]
pub struct Pending {
    messages: Vec<(RawMessage, Attempts)>,
}

impl Pending {
    pub fn new(messages: Vec<(RawMessage, Attempts)>) -> Pending {
        Pending { messages }
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// How a run of messages is attempted.
enum Run {
    /// Messages that never failed, together.
    Together(Vec<RawMessage>),
    /// A message tried again on its own.
    Alone(RawMessage),
    /// A message not tried again: quarantined for this reason.
    GiveUp(RawMessage, String),
}

/// The messages of a call that failed, each with its error's text, and the first error.
#[derive(Default)]
struct Failures {
    messages: Vec<Failure>,
    first: Option<(SourceRef, IngestError)>,
}

struct Failure {
    message: RawMessage,
    error: String,
    /// Whether it failed on its own (its failure is then evidence against it).
    alone: bool,
}

impl Failures {
    fn together(&mut self, messages: Vec<RawMessage>, error: IngestError) {
        let text = error.to_string();
        if let (None, Some(first)) = (&self.first, messages.first()) {
            self.first = Some((first.source.clone(), error));
        }
        self.messages
            .extend(messages.into_iter().map(|message| Failure {
                message,
                error: text.clone(),
                alone: false,
            }));
    }

    fn alone(&mut self, message: RawMessage, error: IngestError) {
        let text = error.to_string();
        if self.first.is_none() {
            self.first = Some((message.source.clone(), error));
        }
        self.messages.push(Failure {
            message,
            error: text,
            alone: true,
        });
    }
}

/// Stop trying messages alone after this many failed in a row with none going through: the
/// fault is then not theirs, and every further try would wait for the same timeout.
const FAILURES_IN_A_ROW: usize = 2;

impl Pipeline {
    /// What is known of the attempts at these messages so far.
    pub async fn pending(&self, messages: Vec<RawMessage>) -> Result<Pending, IngestError> {
        let mut by_mailbox: HashMap<String, HashMap<String, Attempts>> = HashMap::new();
        let mut mailboxes: Vec<&str> = messages.iter().map(|m| m.source.mailbox.as_str()).collect();
        mailboxes.sort_unstable();
        mailboxes.dedup();
        for mailbox in mailboxes {
            let locations: Vec<&str> = messages
                .iter()
                .filter(|m| m.source.mailbox == mailbox)
                .map(|m| m.source.location.as_str())
                .collect();
            let known = self.store.attempts(mailbox, &locations).await?;
            by_mailbox.insert(mailbox.to_owned(), known);
        }
        let messages = messages
            .into_iter()
            .map(|message| {
                let attempts = by_mailbox
                    .get_mut(&message.source.mailbox)
                    .and_then(|known| known.remove(&message.source.location))
                    .unwrap_or_default();
                (message, attempts)
            })
            .collect();
        Ok(Pending { messages })
    }

    /// Counts an attempt at each of these messages, committed before any is made: an attempt
    /// that stops the daemon is counted too.
    async fn count(&self, messages: &[RawMessage]) -> Result<(), IngestError> {
        let mut mailboxes: Vec<&str> = messages.iter().map(|m| m.source.mailbox.as_str()).collect();
        mailboxes.sort_unstable();
        mailboxes.dedup();
        for mailbox in mailboxes {
            let locations: Vec<&str> = messages
                .iter()
                .filter(|m| m.source.mailbox == mailbox)
                .map(|m| m.source.location.as_str())
                .collect();
            self.store.count_attempts(mailbox, &locations).await?;
        }
        Ok(())
    }

    /// Records pending messages: those never tried before together, the others alone, each
    /// attempt counted as it begins. Everything that can be recorded is; the call fails when a
    /// message failed without being quarantined, naming the first.
    pub async fn ingest_pending(
        &self,
        pending: Pending,
        direction: Direction,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let mut outcomes = Vec::with_capacity(pending.len());
        let mut failures = Failures::default();
        let mut went_through = false;
        let mut in_a_row = 0;
        for run in runs(pending) {
            match run {
                Run::GiveUp(message, why) => {
                    warn!(mailbox = %message.source.mailbox, location = %message.source.location, reason = %why, "giving up on a message: quarantined");
                    outcomes.extend(self.quarantine(message.source, message.raw, why).await?);
                }
                Run::Together(messages) => {
                    self.count(&messages).await?;
                    match self.commit_messages(messages.clone(), direction).await {
                        Ok(done) => {
                            went_through |= done.iter().any(|(_, o)| *o != Outcome::AlreadySeen);
                            outcomes.extend(done);
                        }
                        Err(err) => {
                            // Which of them is at fault is for their next attempts, alone;
                            // the runs after them wait for the next call too.
                            failures.together(messages, err);
                            break;
                        }
                    }
                }
                Run::Alone(message) => {
                    match self.count_and_commit(message.clone(), direction).await {
                        Ok(done) => {
                            went_through = true;
                            in_a_row = 0;
                            outcomes.extend(done);
                        }
                        Err(err) => {
                            failures.alone(message, err);
                            in_a_row += 1;
                            if in_a_row >= FAILURES_IN_A_ROW && !went_through {
                                break;
                            }
                        }
                    }
                }
            }
        }
        self.settle(failures, went_through, &mut outcomes).await?;
        Ok(outcomes)
    }

    async fn count_and_commit(
        &self,
        message: RawMessage,
        direction: Direction,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        self.count(std::slice::from_ref(&message)).await?;
        self.commit_messages(vec![message], direction).await
    }

    /// Records each failure; quarantines the messages that failed alone too often while
    /// others went through; fails with the first error of the rest.
    async fn settle(
        &self,
        failures: Failures,
        went_through: bool,
        outcomes: &mut Vec<(SourceRef, Outcome)>,
    ) -> Result<(), IngestError> {
        let Some((first_source, first_error)) = failures.first else {
            return Ok(());
        };
        let mut left = 0;
        for Failure {
            message,
            error,
            alone,
        } in failures.messages
        {
            let attempts = self
                .store
                .record_failure(&message.source, &error, alone && went_through)
                .await?;
            if alone && attempts.give_up_after_failure() {
                let why = format!(
                    "failed {} times while other messages went through; last error: {error}",
                    attempts.failures
                );
                warn!(mailbox = %message.source.mailbox, location = %message.source.location, reason = %why, "giving up on a message: quarantined");
                outcomes.extend(self.quarantine(message.source, message.raw, why).await?);
            } else {
                left += 1;
            }
        }
        if left == 0 {
            return Ok(());
        }
        Err(IngestError::Failed {
            failed: left,
            source_ref: first_source,
            error: Box::new(first_error),
        })
    }

    /// Keeps a message whole in quarantine, with the reason, without reading it further.
    pub(super) async fn quarantine(
        &self,
        source: SourceRef,
        raw: Bytes,
        error: String,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let staged = Staged {
            source,
            message_id: None,
            kind: StagedKind::Quarantine { raw, error },
        };
        self.store_staged(vec![staged]).await
    }

    /// Records a message that is never downloaded (larger than `limits.max_message_bytes`,
    /// or refused by the server again and again): quarantined, left on the server untouched,
    /// and logged for the admin.
    pub async fn quarantine_undownloaded(
        &self,
        source: SourceRef,
        size: Option<u64>,
        error: String,
    ) -> Result<Outcome, IngestError> {
        let kind = DecisionKind::Quarantined {
            raw_sha256: None,
            size,
            error,
        };
        let staged = Staged::rows(source, None, kind);
        let mut done = self.store_staged(vec![staged]).await?;
        Ok(done
            .pop()
            .map_or(Outcome::AlreadySeen, |(_, outcome)| outcome))
    }
}

/// Cuts pending messages into runs, in order: consecutive messages never tried go together;
/// a message tried before goes alone, or is given up.
fn runs(pending: Pending) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut together = Vec::new();
    for (message, attempts) in pending.messages {
        let run = match attempts.next() {
            Next::Together => {
                together.push(message);
                continue;
            }
            Next::Alone => Run::Alone(message),
            Next::GiveUp(why) => Run::GiveUp(message, why),
        };
        if !together.is_empty() {
            runs.push(Run::Together(std::mem::take(&mut together)));
        }
        runs.push(run);
    }
    if !together.is_empty() {
        runs.push(Run::Together(together));
    }
    runs
}
