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
mod watch;

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::Notify;

use chrono::Utc;
use tracing::{info, warn};

use crate::blobs::{Blob, BlobStore};
use crate::config::{AcknowledgementSettings, Settings};
use crate::domain::acknowledgement::AckPolicy;
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::mail::{Document, Mail};
use crate::domain::organisation::Organisation;
use crate::domain::posting::Posting;
use crate::domain::source::{Direction, SourceRef};
use crate::domain::triage::{Filing, OutboundKind, Verdict, outbound_answers, triage};
use crate::extract::{ExtractLimits, parse_mail};
use crate::shutdown::Shutdown;
use crate::sources::{MessageSource, RawMessage};

use crate::store::record::{AckIntent, DocumentRow, FilingRow, MessageRow, Recorded};
use crate::store::{Store, StoreError};
pub use acknowledge::{AckError, Acknowledger, SentCopy};
pub use watch::{WatchContext, WatchError, watch_imap};

/// Messages analysed ahead of the one being committed: both cores parse while the database
/// writes, and memory stays bounded.
const ANALYSE_AHEAD: usize = 4;

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

    /// Processes every message of a source in order, analysing a few ahead while committing
    /// one at a time. Stops between two messages once shutdown is requested; `each` sees every
    /// outcome as soon as it is committed.
    pub async fn ingest_source(
        &self,
        source: MessageSource,
        direction: Direction,
        shutdown: &Shutdown,
        mut each: impl FnMut(&SourceRef, &Recorded),
    ) -> Result<(), IngestError> {
        let messages = futures_util::stream::iter(source.messages)
            .take_while(|_| std::future::ready(!shutdown.is_requested()));
        let mut analysed = messages
            .map(|message: std::io::Result<RawMessage>| async move {
                let RawMessage { source, raw } = message.map_err(IngestError::Source)?;
                self.analyse(raw, source, direction).await
            })
            .buffered(ANALYSE_AHEAD);
        while let Some(result) = analysed.next().await {
            let analysed = result?;
            let source = analysed.source.clone();
            let recorded = self.commit(analysed).await?;
            each(&source, &recorded);
            if shutdown.is_requested() {
                break;
            }
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

    /// The I/O stage: blobs, then one transaction. Run commits one at a time, in the order the
    /// messages arrived, so that a follow-up never lands before its application.
    pub async fn commit(&self, analysed: Analysed) -> Result<Recorded, IngestError> {
        let Analysed {
            source,
            raw,
            result,
        } = analysed;
        let (recorded, message_id) = match result {
            Analysis::AlreadySeen => (Recorded::AlreadySeen, None),
            Analysis::Unusable { message_id, error } => {
                let blob = self.put(raw).await?;
                warn!(mailbox = %source.mailbox, location = %source.location, error = %error, "message quarantined");
                let recorded = self
                    .store
                    .record_quarantined(&source, message_id.as_deref(), Some(&blob.sha256), &error)
                    .await?;
                (recorded, message_id)
            }
            Analysis::Parsed {
                mail,
                verdict,
                direction,
            } => {
                let message_id = mail.message_id.clone();
                let recorded = self
                    .commit_parsed(&source, raw, &mail, verdict, direction)
                    .await?;
                (recorded, message_id)
            }
        };
        if recorded != Recorded::AlreadySeen {
            crate::health::record_outcome(recorded.outcome());
            info!(
                mailbox = %source.mailbox,
                location = %source.location,
                message_id = message_id.as_deref().unwrap_or("-"),
                outcome = recorded.outcome(),
                application_id = recorded.application_id(),
                "message processed"
            );
        }
        Ok(recorded)
    }

    async fn commit_parsed(
        &self,
        source: &SourceRef,
        raw: Vec<u8>,
        mail: &Mail,
        verdict: Verdict,
        direction: Direction,
    ) -> Result<Recorded, IngestError> {
        let message_id = mail.message_id.as_deref();
        match verdict {
            Verdict::Ignored(reason) => Ok(self
                .store
                .record_ignored(source, message_id, reason.as_str())
                .await?),
            Verdict::Quarantine(error) => {
                let blob = self.put(raw).await?;
                warn!(mailbox = %source.mailbox, location = %source.location, error = %error, "message quarantined");
                Ok(self
                    .store
                    .record_quarantined(source, message_id, Some(&blob.sha256), &error)
                    .await?)
            }
            Verdict::Outbound => {
                let kind = outbound_answers(mail, &self.rules.organisation);
                if kind == OutboundKind::Automatic {
                    return Ok(self
                        .store
                        .record_ignored(source, message_id, "automatic-outbound")
                        .await?);
                }
                let by_thread = kind == OutboundKind::Answer;
                let probe = message_row(
                    mail,
                    Direction::Outbound,
                    String::new(),
                    raw.len() as u64,
                    None,
                );
                let answered = self.store.answered_applications(&probe, by_thread).await?;
                if answered.is_empty() {
                    return Ok(self
                        .store
                        .record_ignored(source, message_id, "unrelated-outbound")
                        .await?);
                }
                let blob = self.put(raw).await?;
                let row = message_row(mail, direction, blob.sha256, blob.size, None);
                Ok(self.store.record_outbound(source, &row, &answered).await?)
            }
            Verdict::Application(filing) => {
                let Filing {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    documents,
                    body_letter,
                    forwarded_by,
                } = *filing;
                let blob = self.put(raw).await?;
                let documents = self.put_documents(documents, body_letter).await?;
                let acknowledgement = self.acknowledgements.as_ref().map(|queue| {
                    match queue.policy.decide(
                        mail,
                        &candidate,
                        forwarded_by.is_some(),
                        &self.rules.organisation,
                        Utc::now(),
                    ) {
                        Ok(()) => AckIntent::Send {
                            message_id: new_message_id(&queue.domain),
                        },
                        Err(reason) => AckIntent::Skip(reason),
                    }
                });
                let row = message_row(mail, direction, blob.sha256, blob.size, forwarded_by);
                let filing = FilingRow {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    acknowledgement,
                };
                let recorded = self
                    .store
                    .record_application(source, &row, &filing, &documents)
                    .await?;
                if let (Recorded::Filed { .. }, Some(AckIntent::Send { .. }), Some(queue)) =
                    (&recorded, &filing.acknowledgement, &self.acknowledgements)
                {
                    queue.wake.notify_one();
                }
                Ok(recorded)
            }
            Verdict::PossibleFollowUp { sender, documents } => {
                let thread: Vec<String> = mail.thread_ids().map(str::to_owned).collect();
                let Some(application_id) = self
                    .store
                    .thread_application(&sender.address, &thread)
                    .await?
                else {
                    return Ok(self
                        .store
                        .record_ignored(source, message_id, "no-posting")
                        .await?);
                };
                let blob = self.put(raw).await?;
                let row = message_row(mail, direction, blob.sha256, blob.size, None);
                let documents = self.put_documents(documents, None).await?;
                Ok(self
                    .store
                    .record_follow_up(source, &row, application_id, &documents)
                    .await?)
            }
        }
    }

    async fn put(&self, bytes: Vec<u8>) -> Result<Blob, IngestError> {
        let blobs = self.blobs.clone();
        Ok(tokio::task::spawn_blocking(move || blobs.put(&bytes)).await??)
    }

    async fn put_documents(
        &self,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
    ) -> Result<Vec<DocumentRow>, IngestError> {
        let blobs = self.blobs.clone();
        let rows = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<DocumentRow>> {
            let mut rows = Vec::with_capacity(documents.len() + 1);
            for (doc, kind) in documents {
                let blob = blobs.put(&doc.bytes)?;
                rows.push(DocumentRow {
                    kind,
                    source: doc.source,
                    filename: doc.filename,
                    content_type: doc.content_type,
                    sha256: blob.sha256,
                    size: blob.size,
                });
            }
            if let Some(text) = body_letter {
                let blob = blobs.put(text.as_bytes())?;
                rows.push(DocumentRow {
                    kind: DocumentKind::Letter,
                    source: DocumentSource::Body,
                    filename: BODY_LETTER_NAME.into(),
                    content_type: "text/plain; charset=utf-8".into(),
                    sha256: blob.sha256,
                    size: blob.size,
                });
            }
            Ok(rows)
        })
        .await??;
        Ok(rows)
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
fn new_message_id(domain: &str) -> String {
    let nonce: u128 = rand::random();
    format!("<ack.{nonce:032x}@{domain}>")
}

fn message_row(
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
