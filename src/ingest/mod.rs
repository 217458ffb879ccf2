//! The ingestion pipeline: the one place where a raw message, extraction, the blob store and
//! the database meet.
//!
//! A message goes through two stages so that they overlap: the analysis (parse, triage,
//! hash, write blobs; a few messages per call on the blocking pool, several calls at once,
//! see [`analyse`]) and the ordered stage (database lookups about earlier messages, one sync of
//! the group's blobs, and one transaction for the group that writes its rows meanwhile, see
//! [`commit`]). The blobs are durable before the transaction that names them commits, and
//! checked to exist once no erasure can delete them before it
//! (`Store::remove_unreferenced_blobs`). Each message's rows end with the ledger row of its
//! coordinates: a crash at any point leaves a message either not recorded (it is processed
//! again, identically) or wholly recorded (it is skipped).

mod acknowledge;
mod analyse;
mod commit;
mod folder_pass;
#[cfg(test)]
mod tests;
mod watch;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::Either;
use tokio::sync::Notify;

use tracing::warn;

use crate::blobs::BlobStore;
use crate::config::{AcknowledgementSettings, Settings};
use crate::domain::acknowledgement::AckPolicy;
use crate::domain::document::DocumentKind;
use crate::domain::email::EmailAddress;
use crate::domain::mail::Document;
use crate::domain::organisation::Organisation;
use crate::domain::posting::Posting;
use crate::domain::source::{Direction, SourceRef};
use crate::extract::ExtractLimits;
use crate::shutdown::Shutdown;
use crate::sources::{MessageSource, RawMessage};

use crate::store::record::{MessageRow, Recorded, Write, WriteKind};
use crate::store::{Store, StoreError};
pub use acknowledge::{AckError, Acknowledger, SentCopy};
use commit::Staged;
pub use watch::{WatchContext, WatchError, watch_imap};

/// Messages parsed one after the other by one call on the blocking pool: a call for each
/// cost two thread wake-ups per message. A chunk takes only messages already at hand, so a
/// lone new message is not kept waiting for others.
const ANALYSE_CHUNK: usize = 4;
/// Chunks analysed ahead of the one being committed: both cores parse while the database
/// writes, and memory stays bounded.
const CHUNKS_AHEAD: usize = 3;
/// Bounds on a group of messages that share one disk sync.
const GROUP_MESSAGES: usize = 64;
const GROUP_BYTES: u64 = 64 * 1024 * 1024;
/// How long a group waits for more messages when none is ready.
const GROUP_WAIT: Duration = Duration::from_millis(50);

/// The name under which a letter written in the body is listed.
const BODY_LETTER_NAME: &str = "lettre (corps du message).txt";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write to the document store: {0}")]
    Blobs(#[from] std::io::Error),
    #[error("cannot read a message: {0}")]
    Source(std::io::Error),
    #[error("analysis task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What the pipeline needs, shared by every message.
#[derive(Debug, Clone)]
pub struct Pipeline {
    store: Store,
    blobs: BlobStore,
    rules: Arc<Rules>,
    acknowledgements: Option<AckQueue>,
}

/// Deciding and queueing acknowledgements as applications are filed.
#[derive(Debug, Clone)]
struct AckQueue {
    policy: AckPolicy,
    /// The domain of the acknowledgements' Message-IDs.
    domain: String,
    /// Wakes the sender when one is queued.
    wake: Arc<Notify>,
}

#[derive(Debug)]
struct Rules {
    postings: Vec<Posting>,
    organisation: Organisation,
    limits: ExtractLimits,
    max_message_bytes: u64,
}

/// A message after the CPU stage.
#[derive(Debug)]
pub struct Analysed {
    pub source: SourceRef,
    result: Analysis,
}

impl Analysed {
    fn already_seen(source: SourceRef) -> Analysed {
        Analysed {
            source,
            result: Analysis::AlreadySeen,
        }
    }
}

#[derive(Debug)]
enum Analysis {
    AlreadySeen,
    /// Decided by the message alone; its blobs are written (not yet synced).
    Settled {
        message_id: Option<String>,
        kind: WriteKind,
        bytes: u64,
    },
    /// Decided only by what the database knows of earlier messages.
    Related(Related),
}

#[derive(Debug)]
enum Related {
    /// Mail the organisation sent: an answer to the applications it concerns, if any.
    Outbound { row: MessageRow, by_thread: bool },
    /// A candidate's message that names no posting: a follow-up if its thread is known.
    FollowUp {
        thread: Vec<String>,
        sender: EmailAddress,
        row: MessageRow,
        documents: Vec<(Document, DocumentKind)>,
    },
}

/// Who asks the ledger whether a message is known, before it is parsed. Either way the
/// transaction that records it asks again: this only spares parsing known mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerCheck {
    /// The pipeline, for each message.
    PerMessage,
    /// The source did, for a whole batch at once, and left out what the ledger knows.
    DoneBySource,
}

type Outcomes = Vec<(SourceRef, Recorded)>;

/// The group being assembled, and the one before it, still being recorded: the two overlap
/// so that the analyses go on while a group waits for the disk and the database.
#[derive(Default)]
struct Group {
    staged: Vec<Staged>,
    /// When the first message of the assembled group arrived.
    opened: Option<Instant>,
    recording: Option<tokio::task::JoinHandle<Result<Outcomes, IngestError>>>,
}

impl Group {
    fn push(&mut self, staged: Staged) {
        self.opened.get_or_insert_with(Instant::now);
        self.staged.push(staged);
    }

    fn is_full(&self) -> bool {
        self.staged.len() >= GROUP_MESSAGES
            || self.staged.iter().map(|s| s.bytes).sum::<u64>() >= GROUP_BYTES
    }

    /// Starts recording the assembled group once the previous one is recorded (groups commit
    /// in order).
    async fn flush(
        &mut self,
        pipeline: &Pipeline,
        each: &mut impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        self.settle(each).await?;
        let staged = std::mem::take(&mut self.staged);
        self.opened = None;
        let pipeline = pipeline.clone();
        self.recording = Some(tokio::spawn(async move { pipeline.record(staged).await }));
        Ok(())
    }

    /// Waits for the group being recorded and reports its outcomes.
    async fn settle(
        &mut self,
        each: &mut impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        match self.recording.take() {
            Some(recording) => report(recording.await, each),
            None => Ok(()),
        }
    }
}

/// Hands a recorded group's outcomes, in order, to `each`.
fn report(
    recorded: Result<Result<Outcomes, IngestError>, tokio::task::JoinError>,
    each: &mut impl FnMut(&SourceRef, &Recorded),
) -> Result<(), IngestError> {
    for (source, recorded) in recorded?? {
        each(&source, &recorded);
    }
    Ok(())
}

impl Pipeline {
    pub fn new(settings: &Settings, store: Store, blobs: BlobStore) -> Pipeline {
        Pipeline {
            store,
            blobs,
            rules: Arc::new(Rules {
                postings: settings.postings.clone(),
                organisation: settings.organisation.clone(),
                limits: ExtractLimits::from(&settings.limits),
                max_message_bytes: settings.limits.max_message_bytes,
            }),
            acknowledgements: None,
        }
    }

    /// Applications filed from now on get an acknowledgement intent (queued or skipped), and
    /// `wake` is notified when one is queued. Only the daemon does this: an import of old
    /// mail never writes to candidates.
    pub fn with_acknowledgements(
        mut self,
        settings: &AcknowledgementSettings,
        wake: Arc<Notify>,
    ) -> Pipeline {
        self.acknowledgements = Some(AckQueue {
            policy: settings.policy.clone(),
            domain: settings.from.domain().to_owned(),
            wake,
        });
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    pub fn max_message_bytes(&self) -> u64 {
        self.rules.max_message_bytes
    }

    /// Records a message the server announced as larger than `limits.max_message_bytes`
    /// without downloading it: quarantined, left on the server untouched, and logged for the
    /// admin.
    pub async fn record_oversized(
        &self,
        source: &SourceRef,
        size: u64,
    ) -> Result<Recorded, IngestError> {
        let error = format!(
            "message of {size} bytes exceeds limits.max_message_bytes ({}); not downloaded, left on the server",
            self.rules.max_message_bytes
        );
        let write = Write {
            source: source.clone(),
            message_id: None,
            kind: WriteKind::Quarantined {
                raw_sha256: None,
                error,
            },
        };
        let recorded = self
            .store
            .record(std::slice::from_ref(&write))
            .await?
            .pop()
            .unwrap_or(Recorded::AlreadySeen);
        if recorded != Recorded::AlreadySeen {
            crate::health::record_outcome(recorded.outcome());
            warn!(mailbox = %source.mailbox, location = %source.location, size, "message too large: quarantined without downloading it; raise limits.max_message_bytes to file it");
        }
        Ok(recorded)
    }

    /// Processes every message of a source in order, analysing a few ahead while recording.
    /// Messages are recorded in groups that share one disk sync and one transaction. A group
    /// ends with the source, at [`GROUP_MESSAGES`] or [`GROUP_BYTES`], before a message whose
    /// staging asks the database about earlier ones, and when it has waited [`GROUP_WAIT`]
    /// with nothing more ready (so a lone new message is recorded at once, and a message in
    /// a slow stream soon). Stops between two messages once shutdown is requested; `each`
    /// sees every outcome once it is committed.
    pub async fn ingest_source(
        &self,
        source: MessageSource,
        direction: Direction,
        shutdown: &Shutdown,
        each: impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        let messages = futures_util::stream::iter(source.messages);
        self.ingest_stream(messages, direction, LedgerCheck::PerMessage, shutdown, each)
            .await
    }

    /// [`Pipeline::ingest_source`] for messages that arrive as a stream (downloaded while
    /// earlier ones are recorded).
    pub async fn ingest_stream(
        &self,
        messages: impl futures_util::Stream<Item = std::io::Result<RawMessage>> + Unpin,
        direction: Direction,
        check: LedgerCheck,
        shutdown: &Shutdown,
        mut each: impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        let messages = messages.take_while(|_| std::future::ready(!shutdown.is_requested()));
        // Each chunk's analysis is a task of its own: it runs to completion (and gives back its
        // database connection) even while this loop is busy recording, instead of waiting,
        // suspended, for the next poll.
        let mut analysed = messages
            .ready_chunks(ANALYSE_CHUNK)
            .map(|chunk| {
                let pipeline = self.clone();
                tokio::spawn(async move { pipeline.analyse(chunk, direction, check).await })
            })
            .buffered(CHUNKS_AHEAD)
            .flat_map(|task| {
                futures_util::stream::iter(
                    task.unwrap_or_else(|failed| vec![Err(IngestError::Task(failed))]),
                )
            });
        let mut group = Group::default();
        let assembled = self
            .assemble_groups(&mut analysed, &mut group, shutdown, &mut each)
            .await;
        if assembled.is_err() {
            // Not detached: a pass that retries must not race the group still committing.
            if let Some(recording) = group.recording.take() {
                let _ = recording.await;
            }
        }
        assembled?;
        group.flush(self, &mut each).await?;
        group.settle(&mut each).await
    }

    async fn assemble_groups(
        &self,
        analysed: &mut (impl futures_util::Stream<Item = Result<Analysed, IngestError>> + Unpin),
        group: &mut Group,
        shutdown: &Shutdown,
        each: &mut impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        loop {
            let next = match (group.opened, group.recording.as_mut()) {
                (Some(opened), _) => {
                    match tokio::time::timeout_at((opened + GROUP_WAIT).into(), analysed.next())
                        .await
                    {
                        Ok(next) => next,
                        Err(_) => {
                            group.flush(self, each).await?;
                            continue;
                        }
                    }
                }
                // Nothing assembled: the group in flight is reported as soon as it commits,
                // not when the next message happens to come.
                (None, Some(recording)) => {
                    let first = tokio::select! {
                        next = analysed.next() => Either::Left(next),
                        recorded = recording => Either::Right(recorded),
                    };
                    match first {
                        Either::Left(next) => next,
                        Either::Right(recorded) => {
                            group.recording = None;
                            report(recorded, each)?;
                            continue;
                        }
                    }
                }
                (None, None) => analysed.next().await,
            };
            let Some(result) = next else { return Ok(()) };
            let message = result?;
            if message.looks_up_earlier_messages() {
                group.flush(self, each).await?;
                group.settle(each).await?;
            }
            group.push(self.stage(message).await?);
            if group.is_full() {
                group.flush(self, each).await?;
            }
            if shutdown.is_requested() {
                return Ok(());
            }
        }
    }
}

/// A Message-ID for an acknowledgement, unique without coordination between instances.
pub(crate) fn new_message_id(domain: &str) -> String {
    let nonce: u128 = rand::random();
    format!("<ack.{nonce:032x}@{domain}>")
}
