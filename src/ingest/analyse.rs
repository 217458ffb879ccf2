//! The CPU stage, run on the blocking pool a chunk of messages per call, several chunks at
//! once: parse, triage, and for every message whose outcome the message alone decides, hash
//! it and write its blobs (not yet synced). Only outbound mail and possible follow-ups are
//! left for the ordered stage, which asks the database about earlier messages.
//!
//! Writing the blobs here rather than in the ordered stage spreads the file system's work
//! (file creation, copying into the page cache) over both cores; the ordered stage then only
//! syncs them once per group and records.

use std::io;

use bytes::Bytes;
use chrono::Utc;

use super::{Analysed, Analysis, BODY_LETTER_NAME, IngestError, LedgerCheck, Pipeline, Related};
use crate::blobs::sha256_hex;
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::mail::{Document, Mail};
use crate::domain::source::{Direction, SourceRef};
use crate::domain::triage::{Filing, OutboundKind, Verdict, outbound_answers, triage};
use crate::extract::parse_mail;
use crate::sources::RawMessage;
use crate::store::record::{AckIntent, DocumentRow, FilingRow, MessageRow, WriteKind, raw_digest};

/// A message of a chunk once the ledger has been asked about it.
enum Pending {
    Known(SourceRef),
    ToSettle(RawMessage),
}

impl Pipeline {
    /// The CPU stage for a chunk of messages, in order: those the ledger knows are not
    /// parsed, the others are settled by one call on the blocking pool. Stops at the first
    /// failure, which ends the pass: nothing after it would be recorded.
    pub(super) async fn analyse(
        &self,
        chunk: Vec<io::Result<RawMessage>>,
        direction: Direction,
        check: LedgerCheck,
    ) -> Vec<Result<Analysed, IngestError>> {
        let mut pending = Vec::with_capacity(chunk.len());
        let mut failure = None;
        for message in chunk {
            match self.ask_ledger(message, check).await {
                Ok(message) => pending.push(message),
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        let mut results = if pending.iter().any(|p| matches!(p, Pending::ToSettle(_))) {
            let pipeline = self.clone();
            tokio::task::spawn_blocking(move || pipeline.settle_all(pending, direction))
                .await
                .unwrap_or_else(|failed| vec![Err(IngestError::Task(failed))])
        } else {
            // Nothing to parse: no call on the blocking pool.
            self.settle_all(pending, direction)
        };
        if results.iter().all(Result::is_ok) {
            results.extend(failure.map(Err));
        }
        results
    }

    async fn ask_ledger(
        &self,
        message: io::Result<RawMessage>,
        check: LedgerCheck,
    ) -> Result<Pending, IngestError> {
        let message = message.map_err(IngestError::Source)?;
        if check == LedgerCheck::PerMessage && self.store.seen(&message.source).await? {
            return Ok(Pending::Known(message.source));
        }
        Ok(Pending::ToSettle(message))
    }

    /// Blocking.
    fn settle_all(
        &self,
        pending: Vec<Pending>,
        direction: Direction,
    ) -> Vec<Result<Analysed, IngestError>> {
        let mut results = Vec::with_capacity(pending.len());
        for message in pending {
            let result = match message {
                Pending::Known(source) => Ok(Analysed::already_seen(source)),
                Pending::ToSettle(RawMessage { source, raw }) => self
                    .settle(raw, direction)
                    .map(|result| Analysed { source, result })
                    .map_err(IngestError::from),
            };
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        results
    }

    /// Settles what a message is, writing its blobs when that needs nothing from the database.
    /// Blocking.
    pub(super) fn settle(&self, raw: Bytes, direction: Direction) -> io::Result<Analysis> {
        let rules = &self.rules;
        if raw.len() as u64 > rules.max_message_bytes {
            let error = format!(
                "message of {} bytes exceeds limits.max_message_bytes ({})",
                raw.len(),
                rules.max_message_bytes
            );
            return self.quarantine(&raw, None, error);
        }
        let mail = match parse_mail(&raw, &rules.limits) {
            Ok(mail) => mail,
            Err(err) => return self.quarantine(&raw, None, err.to_string()),
        };
        let verdict = match direction {
            Direction::Outbound => Verdict::Outbound,
            Direction::Inbound => triage(&mail, &rules.postings, &rules.organisation),
        };
        let message_id = mail.message_id.clone();
        let settled = |kind: WriteKind, bytes: u64| Analysis::Settled {
            message_id: message_id.clone(),
            kind,
            bytes,
        };
        Ok(match verdict {
            Verdict::Ignored(reason) => settled(
                WriteKind::Ignored {
                    reason: reason.as_str(),
                },
                0,
            ),
            Verdict::Quarantine(error) => return self.quarantine(&raw, message_id, error),
            Verdict::Outbound => match outbound_answers(&mail, &rules.organisation) {
                OutboundKind::Automatic => settled(
                    WriteKind::Ignored {
                        reason: "automatic-outbound",
                    },
                    0,
                ),
                kind => Analysis::Related(Related::Outbound {
                    row: message_row(&mail, Direction::Outbound, self.fingerprint(&raw), None),
                    by_thread: kind == OutboundKind::Answer,
                }),
            },
            Verdict::PossibleFollowUp { sender, documents } => {
                Analysis::Related(Related::FollowUp {
                    thread: mail.thread_ids().map(str::to_owned).collect(),
                    sender: sender.address,
                    row: message_row(&mail, direction, self.fingerprint(&raw), None),
                    documents,
                })
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
                    forward_unverified,
                } = *filing;
                let fingerprint = self.fingerprint(&raw);
                drop(raw);
                let documents = self.put_documents(documents, body_letter)?;
                let bytes = documents.iter().map(|d| d.size).sum();
                let acknowledgement = self.acknowledgements.as_ref().map(|queue| {
                    match queue.policy.decide(
                        &mail,
                        &candidate,
                        forwarded_by.is_some(),
                        &rules.organisation,
                        Utc::now(),
                    ) {
                        Ok(()) => AckIntent::Send {
                            message_id: super::new_message_id(&queue.domain),
                        },
                        Err(reason) => AckIntent::Skip(reason),
                    }
                });
                let message = message_row(&mail, direction, fingerprint, forwarded_by);
                let filing = FilingRow {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    forward_unverified,
                    acknowledgement,
                };
                settled(
                    WriteKind::Application {
                        message,
                        filing,
                        documents,
                    },
                    bytes,
                )
            }
        })
    }

    fn fingerprint(&self, raw: &[u8]) -> Fingerprint {
        Fingerprint {
            digest: raw_digest(raw),
            sha256: self
                .store
                .holds_sha256_identities()
                .then(|| sha256_hex(raw)),
            size: raw.len() as u64,
        }
    }

    /// Keeps the raw bytes of a message that cannot be filed: they are all there is of it.
    fn quarantine(
        &self,
        raw: &[u8],
        message_id: Option<String>,
        error: String,
    ) -> io::Result<Analysis> {
        let blob = self.blobs.put_unsynced(raw)?;
        Ok(Analysis::Settled {
            message_id,
            bytes: blob.size,
            kind: WriteKind::Quarantined {
                raw_sha256: Some(blob.sha256),
                error,
            },
        })
    }

    /// Writes a message's documents (and its body letter), unsynced. Blocking.
    pub(super) fn put_documents(
        &self,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
    ) -> io::Result<Vec<DocumentRow>> {
        let mut rows = Vec::with_capacity(documents.len() + 1);
        for (doc, kind) in documents {
            let blob = self.blobs.put_unsynced(&doc.bytes)?;
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
            let blob = self.blobs.put_unsynced(text.as_bytes())?;
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
    }
}

/// The identity of a filed message's raw bytes. The bytes themselves are not stored: the
/// mailbox keeps the message, its documents are stored decoded, and writing both would
/// write every document twice (once inside its base64).
struct Fingerprint {
    digest: String,
    sha256: Option<String>,
    size: u64,
}

fn message_row(
    mail: &Mail,
    direction: Direction,
    raw: Fingerprint,
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
        raw_digest: raw.digest,
        raw_sha256: raw.sha256,
        raw_size: raw.size,
        forwarded_by,
    }
}
