//! A poison message must not block the mailbox. Each attempt at a message is counted in the
//! database as it begins, committed before the work, so that one that stops the daemon is
//! counted too. A message that failed once, or was being processed when the daemon
//! stopped, is tried again alone, so that its failure is its own and the messages around it
//! go through; one that keeps failing while others go through, or keeps stopping the daemon,
//! is quarantined with its error (the rule is [`crate::domain::attempts`]). Failures of the
//! database, the disk or the server fail every message alike: none of them is ever blamed.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use std::time::Instant;

use tracing::{debug, warn};

use super::analyse::Analysed;
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

/// Pending messages whose first run, when it is of messages never tried before, is counted
/// and analysed already: [`Pipeline::prepare`] does the CPU's share of a batch while the
/// batch before it is stored, and [`Pipeline::finish`] the rest.
#[derive(Debug)]
pub struct Prepared {
    direction: Direction,
    runs: VecDeque<Run>,
}

/// The analysis of a run, or why it failed.
type Analysis = Result<Vec<Analysed>, IngestError>;

/// How a run of messages is attempted.
#[derive(Debug)]
enum Run {
    /// Messages that never failed, together.
    Together(Vec<RawMessage>),
    /// The same, counted and analysed.
    Analysed(Vec<RawMessage>, Analysis),
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

/// The messages' locations, by mailbox.
fn locations_by_mailbox(messages: &[RawMessage]) -> Vec<(&str, Vec<&str>)> {
    let mut mailboxes: Vec<&str> = messages.iter().map(|m| m.source.mailbox.as_str()).collect();
    mailboxes.sort_unstable();
    mailboxes.dedup();
    mailboxes
        .into_iter()
        .map(|mailbox| {
            let locations = messages
                .iter()
                .filter(|m| m.source.mailbox == mailbox)
                .map(|m| m.source.location.as_str())
                .collect();
            (mailbox, locations)
        })
        .collect()
}

impl Pipeline {
    /// What is known of the attempts at these messages so far.
    pub async fn pending(&self, messages: Vec<RawMessage>) -> Result<Pending, IngestError> {
        let mut by_mailbox: HashMap<String, HashMap<String, Attempts>> = HashMap::new();
        for (mailbox, locations) in locations_by_mailbox(&messages) {
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
        for (mailbox, locations) in locations_by_mailbox(messages) {
            self.store.count_attempts(mailbox, &locations).await?;
        }
        Ok(())
    }

    /// Counts the attempt at messages never tried before and analyses them.
    async fn count_and_analyse(
        &self,
        messages: Vec<RawMessage>,
        direction: Direction,
    ) -> Result<(Vec<RawMessage>, Analysis), IngestError> {
        let started = Instant::now();
        self.count(&messages).await?;
        let counted = started.elapsed();
        let analysed = self
            .analyse_all(messages.clone(), direction)
            .await
            .map_err(IngestError::from);
        debug!(
            messages = messages.len(),
            count_ms = counted.as_millis() as u64,
            analyse_ms = (started.elapsed() - counted).as_millis() as u64,
            "analysed"
        );
        Ok((messages, analysed))
    }

    /// Records pending messages: those never tried before together, the others alone, each
    /// attempt counted as it begins. Everything that can be recorded is; the call fails when a
    /// message failed without being quarantined, naming the first.
    pub async fn ingest_pending(
        &self,
        pending: Pending,
        direction: Direction,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let prepared = self.prepare(pending, direction).await?;
        self.finish(prepared).await
    }

    /// The first part of [`Pipeline::ingest_pending`]: counts the attempt at the messages
    /// of the first run, when they were never tried before, and analyses them.
    pub async fn prepare(
        &self,
        pending: Pending,
        direction: Direction,
    ) -> Result<Prepared, IngestError> {
        let mut runs = runs(pending);
        match runs.pop_front() {
            Some(Run::Together(messages)) => {
                let (messages, analysed) = self.count_and_analyse(messages, direction).await?;
                runs.push_front(Run::Analysed(messages, analysed));
            }
            Some(run) => runs.push_front(run),
            None => {}
        }
        Ok(Prepared { direction, runs })
    }

    /// Takes back the attempts [`Pipeline::prepare`] counted, for messages that will not be
    /// stored now (the pass stops before them): they were never made, and counted they would
    /// look like messages that stop the daemon.
    pub async fn release(&self, prepared: Prepared) -> Result<(), IngestError> {
        if let Some(Run::Analysed(messages, _)) = prepared.runs.front() {
            for (mailbox, locations) in locations_by_mailbox(messages) {
                self.store.uncount_attempts(mailbox, &locations).await?;
            }
        }
        Ok(())
    }

    /// The second part of [`Pipeline::ingest_pending`].
    pub async fn finish(
        &self,
        prepared: Prepared,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let Prepared { direction, runs } = prepared;
        let mut outcomes = Vec::new();
        let mut failures = Failures::default();
        let mut went_through = false;
        let mut in_a_row = 0;
        for run in runs {
            let (messages, analysed) = match run {
                Run::GiveUp(message, why) => {
                    warn!(mailbox = %message.source.mailbox, location = %message.source.location, reason = %why, "giving up on a message: quarantined");
                    outcomes.extend(self.quarantine(message.source, message.raw, why).await?);
                    continue;
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
                    continue;
                }
                Run::Together(messages) => self.count_and_analyse(messages, direction).await?,
                Run::Analysed(messages, analysed) => (messages, analysed),
            };
            let committed = match analysed {
                Ok(analysed) => self.commit_analysed(analysed).await,
                Err(err) => Err(err),
            };
            match committed {
                Ok(done) => {
                    went_through |= done.iter().any(|(_, o)| *o != Outcome::AlreadySeen);
                    outcomes.extend(done);
                }
                Err(err) => {
                    // Which of them is at fault is for their next attempts, alone; the runs
                    // after them wait for the next call too.
                    failures.together(messages, err);
                    break;
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
fn runs(pending: Pending) -> VecDeque<Run> {
    let mut runs = VecDeque::new();
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
            runs.push_back(Run::Together(std::mem::take(&mut together)));
        }
        runs.push_back(run);
    }
    if !together.is_empty() {
        runs.push_back(Run::Together(together));
    }
    runs
}
