//! The I/O stage, in two steps so that many messages can share one disk sync:
//!
//! 1. [`Pipeline::stage`] writes a message's blobs (not yet synced) and settles what the
//!    database must record, asking the database only what the message alone cannot say
//!    (which applications an answer concerns, which application a follow-up continues);
//! 2. after one [`BlobStore::sync`] for the whole group, [`Pipeline::record`] runs each
//!    message's transaction, in arrival order.
//!
//! The database never names a file before that file is durable, which is what
//! commit-before-acknowledge needs; the group only shares the wait. Filed messages keep
//! their documents (decoded) and their headers (rows); their raw bytes are stored only when
//! they are quarantined.
//!
//! [`BlobStore::sync`]: crate::blobs::BlobStore::sync

use chrono::Utc;
use tracing::{info, warn};

use super::{
    Analysed, Analysis, BODY_LETTER_NAME, IngestError, Pipeline, message_row, new_message_id,
};
use crate::blobs::Blob;
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::mail::{Document, Mail};
use crate::domain::source::{Direction, SourceRef};
use crate::domain::triage::{Filing, OutboundKind, Verdict, outbound_answers};
use crate::store::record::{AckIntent, DocumentRow, FilingRow, MessageRow, Recorded};

/// A message whose blobs are written and whose rows are decided.
#[derive(Debug)]
pub struct Staged {
    pub source: SourceRef,
    message_id: Option<String>,
    action: Action,
    /// Bytes written to the blob store for it (what a group is bounded by).
    pub bytes: u64,
}

#[derive(Debug)]
enum Action {
    AlreadySeen,
    Ignored(&'static str),
    Quarantined {
        raw_sha256: String,
        error: String,
    },
    Outbound {
        row: MessageRow,
        answered: Vec<i64>,
    },
    Application {
        row: MessageRow,
        filing: FilingRow,
        documents: Vec<DocumentRow>,
    },
    FollowUp {
        row: MessageRow,
        application_id: i64,
        documents: Vec<DocumentRow>,
    },
}

impl Analysed {
    /// Whether staging this message asks the database about earlier messages, which must
    /// therefore be recorded first.
    pub(super) fn looks_up_earlier_messages(&self) -> bool {
        matches!(
            &self.result,
            Analysis::Parsed {
                verdict: Verdict::Outbound | Verdict::PossibleFollowUp { .. },
                ..
            }
        )
    }
}

impl Pipeline {
    /// Commits one message on its own: stage, sync, record.
    pub async fn commit(&self, analysed: Analysed) -> Result<Recorded, IngestError> {
        let staged = self.stage(analysed).await?;
        self.sync_blobs().await?;
        self.record(staged).await
    }

    pub(super) async fn sync_blobs(&self) -> Result<(), IngestError> {
        let blobs = self.blobs.clone();
        Ok(tokio::task::spawn_blocking(move || blobs.sync()).await??)
    }

    pub(super) async fn stage(&self, analysed: Analysed) -> Result<Staged, IngestError> {
        let Analysed {
            source,
            raw,
            result,
        } = analysed;
        let (message_id, action, bytes) = match result {
            Analysis::AlreadySeen => (None, Action::AlreadySeen, 0),
            Analysis::Unusable { message_id, error } => {
                let blob = self.put(raw).await?;
                let bytes = blob.size;
                (
                    message_id,
                    Action::Quarantined {
                        raw_sha256: blob.sha256,
                        error,
                    },
                    bytes,
                )
            }
            Analysis::Parsed {
                mail,
                verdict,
                direction,
            } => {
                let (action, bytes) = self.stage_parsed(raw, &mail, verdict, direction).await?;
                (mail.message_id.clone(), action, bytes)
            }
        };
        Ok(Staged {
            source,
            message_id,
            action,
            bytes,
        })
    }

    async fn stage_parsed(
        &self,
        raw: Vec<u8>,
        mail: &Mail,
        verdict: Verdict,
        direction: Direction,
    ) -> Result<(Action, u64), IngestError> {
        match verdict {
            Verdict::Ignored(reason) => Ok((Action::Ignored(reason.as_str()), 0)),
            Verdict::Quarantine(error) => {
                let blob = self.put(raw).await?;
                let bytes = blob.size;
                Ok((
                    Action::Quarantined {
                        raw_sha256: blob.sha256,
                        error,
                    },
                    bytes,
                ))
            }
            Verdict::Outbound => {
                let kind = outbound_answers(mail, &self.rules.organisation);
                if kind == OutboundKind::Automatic {
                    return Ok((Action::Ignored("automatic-outbound"), 0));
                }
                let probe = message_row(
                    mail,
                    Direction::Outbound,
                    String::new(),
                    raw.len() as u64,
                    None,
                );
                let answered = self
                    .store
                    .answered_applications(&probe, kind == OutboundKind::Answer)
                    .await?;
                if answered.is_empty() {
                    return Ok((Action::Ignored("unrelated-outbound"), 0));
                }
                let blob = fingerprint(raw).await?;
                let row = message_row(mail, direction, blob.sha256, blob.size, None);
                Ok((Action::Outbound { row, answered }, 0))
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
                let blob = fingerprint(raw).await?;
                let (documents, doc_bytes) = self.put_documents(documents, body_letter).await?;
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
                let bytes = doc_bytes;
                let row = message_row(mail, direction, blob.sha256, blob.size, forwarded_by);
                let filing = FilingRow {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    acknowledgement,
                };
                Ok((
                    Action::Application {
                        row,
                        filing,
                        documents,
                    },
                    bytes,
                ))
            }
            Verdict::PossibleFollowUp { sender, documents } => {
                let thread: Vec<String> = mail.thread_ids().map(str::to_owned).collect();
                let Some(application_id) = self
                    .store
                    .thread_application(&sender.address, &thread)
                    .await?
                else {
                    return Ok((Action::Ignored("no-posting"), 0));
                };
                let blob = fingerprint(raw).await?;
                let (documents, doc_bytes) = self.put_documents(documents, None).await?;
                let bytes = doc_bytes;
                let row = message_row(mail, direction, blob.sha256, blob.size, None);
                Ok((
                    Action::FollowUp {
                        row,
                        application_id,
                        documents,
                    },
                    bytes,
                ))
            }
        }
    }

    /// One message's transaction. Its blobs must be synced.
    pub(super) async fn record(&self, staged: Staged) -> Result<Recorded, IngestError> {
        let Staged {
            source,
            message_id,
            action,
            ..
        } = staged;
        let store = &self.store;
        let id = message_id.as_deref();
        let recorded = match action {
            Action::AlreadySeen => Recorded::AlreadySeen,
            Action::Ignored(reason) => store.record_ignored(&source, id, reason).await?,
            Action::Quarantined { raw_sha256, error } => {
                let recorded = store
                    .record_quarantined(&source, id, Some(&raw_sha256), &error)
                    .await?;
                if recorded != Recorded::AlreadySeen {
                    warn!(mailbox = %source.mailbox, location = %source.location, error = %error, "message quarantined");
                }
                recorded
            }
            Action::Outbound { row, answered } => {
                store.record_outbound(&source, &row, &answered).await?
            }
            Action::Application {
                row,
                filing,
                documents,
            } => {
                let recorded = store
                    .record_application(&source, &row, &filing, &documents)
                    .await?;
                if let (Recorded::Filed { .. }, Some(AckIntent::Send { .. }), Some(queue)) =
                    (&recorded, &filing.acknowledgement, &self.acknowledgements)
                {
                    queue.wake.notify_one();
                }
                recorded
            }
            Action::FollowUp {
                row,
                application_id,
                documents,
            } => {
                store
                    .record_follow_up(&source, &row, application_id, &documents)
                    .await?
            }
        };
        if recorded != Recorded::AlreadySeen {
            crate::health::record_outcome(recorded.outcome());
            info!(
                mailbox = %source.mailbox,
                location = %source.location,
                message_id = id.unwrap_or("-"),
                outcome = recorded.outcome(),
                application_id = recorded.application_id(),
                "message processed"
            );
        }
        Ok(recorded)
    }

    /// Stores a message's raw bytes: only for quarantined mail, which has nothing else.
    async fn put(&self, bytes: Vec<u8>) -> Result<Blob, IngestError> {
        let blobs = self.blobs.clone();
        Ok(tokio::task::spawn_blocking(move || blobs.put_unsynced(&bytes)).await??)
    }

    async fn put_documents(
        &self,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
    ) -> Result<(Vec<DocumentRow>, u64), IngestError> {
        let blobs = self.blobs.clone();
        let rows = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<DocumentRow>> {
            let mut rows = Vec::with_capacity(documents.len() + 1);
            for (doc, kind) in documents {
                let blob = blobs.put_unsynced(&doc.bytes)?;
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
                let blob = blobs.put_unsynced(text.as_bytes())?;
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
        let bytes = rows.iter().map(|r| r.size).sum();
        Ok((rows, bytes))
    }
}

/// The identity of a filed message's raw bytes. The bytes themselves are not stored: the
/// mailbox keeps the message, its documents are stored decoded, and writing both would
/// write every document twice (once inside its base64).
async fn fingerprint(raw: Vec<u8>) -> Result<Blob, IngestError> {
    Ok(tokio::task::spawn_blocking(move || Blob {
        sha256: crate::blobs::sha256_hex(&raw),
        size: raw.len() as u64,
    })
    .await?)
}
