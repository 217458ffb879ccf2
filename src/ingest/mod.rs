//! The ingestion pipeline: the one place where a raw message, extraction, the blob store and
//! the database meet.
//!
//! A message goes through two stages so that callers can overlap them: [`Pipeline::analyse`]
//! (CPU: parse, read documents, triage; safe to run on several messages at once) and
//! [`Pipeline::commit`] (I/O: blobs, then one database transaction). The blobs are durable
//! before the transaction that names them commits, and the transaction ends with the ledger
//! row of the message's coordinates: a crash at any point leaves the message either not
//! recorded (it is processed again, identically) or wholly recorded (it is skipped).

mod acknowledge;
mod commit;
mod watch;

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::Notify;

use chrono::Utc;
use tracing::warn;

use crate::blobs::BlobStore;
use crate::config::{AcknowledgementSettings, Settings};
use crate::domain::acknowledgement::AckPolicy;
use crate::domain::mail::Mail;
use crate::domain::organisation::Organisation;
use crate::domain::posting::Posting;
use crate::domain::source::{Direction, SourceRef};
use crate::domain::triage::{Verdict, triage};
use crate::extract::{ExtractLimits, parse_mail};
use crate::shutdown::Shutdown;
use crate::sources::{MessageSource, RawMessage};

use crate::store::record::{MessageRow, Recorded};
use crate::store::{Store, StoreError};
pub use acknowledge::{AckError, Acknowledger, SentCopy};
use commit::Staged;
pub use watch::{WatchContext, WatchError, watch_imap};

/// Messages analysed ahead of the one being committed: both cores parse while the database
/// writes, and memory stays bounded.
const ANALYSE_AHEAD: usize = 4;
/// Bounds on a group of messages that share one disk sync.
const GROUP_MESSAGES: usize = 64;
const GROUP_BYTES: u64 = 64 * 1024 * 1024;

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

/// A message after the CPU stage, ready to commit.
#[derive(Debug)]
pub struct Analysed {
    pub source: SourceRef,
    raw: Vec<u8>,
    result: Analysis,
}

#[derive(Debug)]
enum Analysis {
    AlreadySeen,
    Parsed {
        mail: Box<Mail>,
        verdict: Verdict,
        direction: Direction,
    },
    Unusable {
        message_id: Option<String>,
        error: String,
    },
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
        let recorded = self
            .store
            .record_quarantined(source, None, None, &error)
            .await?;
        if recorded != Recorded::AlreadySeen {
            crate::health::record_outcome(recorded.outcome());
            warn!(mailbox = %source.mailbox, location = %source.location, size, "message too large: quarantined without downloading it; raise limits.max_message_bytes to file it");
        }
        Ok(recorded)
    }

    /// Processes one message from start to commit.
    pub async fn ingest(
        &self,
        raw: Vec<u8>,
        source: SourceRef,
        direction: Direction,
    ) -> Result<Recorded, IngestError> {
        let analysed = self.analyse(raw, source, direction).await?;
        self.commit(analysed).await
    }

    /// Processes every message of a source in order, analysing a few ahead while committing.
    /// Messages that are ready together are committed as a group: their blobs are written,
    /// synced once, then each gets its own transaction, in order. A group ends when nothing
    /// more is ready (so a lone new message is committed at once), when it reaches
    /// [`GROUP_MESSAGES`] or [`GROUP_BYTES`], and before a message whose staging asks the
    /// database about earlier ones. Stops between two messages once shutdown is requested;
    /// `each` sees every outcome as soon as it is committed.
    pub async fn ingest_source(
        &self,
        source: MessageSource,
        direction: Direction,
        shutdown: &Shutdown,
        mut each: impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        let messages = futures_util::stream::iter(source.messages)
            .take_while(|_| std::future::ready(!shutdown.is_requested()));
        // Each analysis is a task of its own: it runs to completion (and gives back its
        // database connection) even while this loop is busy recording, instead of waiting,
        // suspended, for the next poll.
        let mut analysed = messages
            .map(|message: std::io::Result<RawMessage>| {
                let pipeline = self.clone();
                tokio::spawn(async move {
                    let RawMessage { source, raw } = message.map_err(IngestError::Source)?;
                    pipeline.analyse(raw, source, direction).await
                })
            })
            .buffered(ANALYSE_AHEAD);
        let mut group: Vec<Staged> = Vec::new();
        let mut group_bytes = 0;
        loop {
            let next = match analysed.next().now_or_never() {
                Some(next) => next,
                None => {
                    self.commit_group(&mut group, &mut each).await?;
                    group_bytes = 0;
                    analysed.next().await
                }
            };
            let Some(result) = next else { break };
            let message = result??;
            if message.looks_up_earlier_messages() {
                self.commit_group(&mut group, &mut each).await?;
                group_bytes = 0;
            }
            let staged = self.stage(message).await?;
            group_bytes += staged.bytes;
            group.push(staged);
            if group.len() >= GROUP_MESSAGES || group_bytes >= GROUP_BYTES {
                self.commit_group(&mut group, &mut each).await?;
                group_bytes = 0;
            }
            if shutdown.is_requested() {
                break;
            }
        }
        self.commit_group(&mut group, &mut each).await
    }

    async fn commit_group(
        &self,
        group: &mut Vec<Staged>,
        each: &mut impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        if group.is_empty() {
            return Ok(());
        }
        if group.iter().any(|s| s.bytes > 0) {
            self.sync_blobs().await?;
        }
        for staged in group.drain(..) {
            let source = staged.source.clone();
            let recorded = self.record(staged).await?;
            each(&source, &recorded);
        }
        Ok(())
    }

    /// The CPU stage, run on the blocking pool.
    pub async fn analyse(
        &self,
        raw: Vec<u8>,
        source: SourceRef,
        direction: Direction,
    ) -> Result<Analysed, IngestError> {
        if self.store.seen(&source).await? {
            return Ok(Analysed {
                source,
                raw: Vec::new(),
                result: Analysis::AlreadySeen,
            });
        }
        let rules = Arc::clone(&self.rules);
        let (raw, result) = tokio::task::spawn_blocking(move || {
            let result = rules.analyse(&raw, direction);
            (raw, result)
        })
        .await?;
        Ok(Analysed {
            source,
            raw,
            result,
        })
    }
}

impl Rules {
    fn analyse(&self, raw: &[u8], direction: Direction) -> Analysis {
        if raw.len() as u64 > self.max_message_bytes {
            return Analysis::Unusable {
                message_id: None,
                error: format!(
                    "message of {} bytes exceeds limits.max_message_bytes ({})",
                    raw.len(),
                    self.max_message_bytes
                ),
            };
        }
        let mail = match parse_mail(raw, &self.limits) {
            Ok(mail) => mail,
            Err(err) => {
                return Analysis::Unusable {
                    message_id: None,
                    error: err.to_string(),
                };
            }
        };
        let verdict = match direction {
            Direction::Outbound => Verdict::Outbound,
            Direction::Inbound => triage(&mail, &self.postings, &self.organisation),
        };
        let direction = match verdict {
            Verdict::Outbound => Direction::Outbound,
            _ => direction,
        };
        Analysis::Parsed {
            mail: Box::new(mail),
            verdict,
            direction,
        }
    }
}

/// A Message-ID for an acknowledgement, unique without coordination between instances.
pub(crate) fn new_message_id(domain: &str) -> String {
    let nonce: u128 = rand::random();
    format!("<ack.{nonce:032x}@{domain}>")
}

pub(crate) fn message_row(
    mail: &Mail,
    direction: Direction,
    raw_sha256: String,
    raw_size: u64,
    forwarded_by: Option<crate::domain::email::EmailAddress>,
) -> MessageRow {
    MessageRow {
        direction,
        message_id: mail.message_id.clone(),
        in_reply_to: mail.in_reply_to.clone(),
        references: mail.references.clone(),
        from_address: mail.from.as_ref().map(|s| s.address.clone()),
        recipients: mail.recipients.clone(),
        subject: mail.subject.clone(),
        // A message without a usable Date is dated when applymail first saw it.
        sent_at: mail.date.unwrap_or_else(Utc::now),
        raw_sha256,
        raw_size,
        forwarded_by,
    }
}
