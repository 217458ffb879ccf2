//! The ingestion pipeline, the one place where a raw message, extraction, the blob store and
//! the database meet: raw messages with their coordinates in, committed outcomes out.
//!
//! The route of one message, hop by hop, as [`Pipeline::ingest`] calls them:
//!
//! 1. **source**: a watch loop (`watch`) or `import` hands over a batch of [`RawMessage`]s;
//! 2. **ledger**: messages whose coordinates the ledger holds are answered at once
//!    ([`Pipeline::ingest`]);
//! 3. **attempt**: what is known of earlier attempts at the others decides whether a message
//!    goes with the others, alone, or to quarantine, and each attempt is counted in the
//!    database before it is made ([`attempts`]);
//! 4. **analyse**: parse, triage and identity, several messages at once on the blocking pool
//!    ([`analyse`]);
//! 5. **decide**: what only the database knows: erased identities, the applications an answer
//!    concerns, the application a follow-up continues ([`decide`]);
//! 6. **store**: with files, the documents are written to the folder and one sync makes them
//!    durable while one transaction writes every decision's rows, which commits once the
//!    sync succeeded; with the database, the documents are written in that transaction
//!    ([`commit`]); a delivery report's rows against the candidates it bounced
//!    for are written in that transaction too, so they are committed with its ledger row;
//! 7. **report**: each committed outcome is logged and handed back, in order.
//!
//! The caller then acts on the server (keyword or move) and moves its cursor, only past what
//! was committed. A crash at any point leaves a message either not recorded (it is processed
//! again, identically) or wholly recorded (it is skipped).

mod analyse;
mod attempts;
mod commit;
mod decide;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::config::{AcknowledgementSettings, Settings};
use crate::documents::Documents;
use crate::domain::acknowledgement::AckPolicy;
use crate::domain::organisation::Organisation;
use crate::domain::outcome::Outcome;
use crate::domain::posting::Posting;
use crate::domain::source::{Direction, SourceRef};
use crate::extract::ExtractLimits;
use crate::store::{Store, StoreError};

pub use attempts::{Pending, Prepared};

/// One message as a source read it. Its bytes are shared, not copied: a message downloaded
/// over IMAP stays in the buffer it was read into.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub source: SourceRef,
    pub raw: Bytes,
    /// When the server received it (IMAP INTERNALDATE, the Maildir delivery time); `None`
    /// when nothing says (an `.eml` or mbox file: a copied file's time is the copy's).
    pub arrived_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write to the document store: {0}")]
    Documents(#[from] std::io::Error),
    #[error("analysis task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Messages that failed and will be tried again (each alone), with the first error.
    #[error(
        "{failed} message(s) could not be recorded and will be tried again; the first, {source_ref}: {error}"
    )]
    Failed {
        failed: usize,
        source_ref: SourceRef,
        error: Box<IngestError>,
    },
}

/// What the pipeline needs, shared by every message.
#[derive(Debug, Clone)]
pub struct Pipeline {
    store: Store,
    documents: Documents,
    rules: Arc<Rules>,
    acknowledgements: Option<AckQueue>,
    /// Wakes the search indexer after a group that filed documents or applications.
    search_wake: Option<Arc<Notify>>,
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

impl Pipeline {
    pub fn new(settings: &Settings, store: Store, documents: Documents) -> Pipeline {
        Pipeline {
            store,
            documents,
            rules: Arc::new(Rules {
                postings: settings.postings.clone(),
                organisation: settings.organisation.clone(),
                limits: ExtractLimits::from(&settings.limits),
                max_message_bytes: settings.limits.max_message_bytes,
            }),
            acknowledgements: None,
            search_wake: None,
        }
    }

    /// `wake` is notified after each committed group that filed an application or a
    /// follow-up, for the search indexer ([`crate::textindex::run_indexer`]).
    pub fn with_search_wake(mut self, wake: Arc<Notify>) -> Pipeline {
        self.search_wake = Some(wake);
        self
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

    pub fn documents(&self) -> &Documents {
        &self.documents
    }

    pub fn max_message_bytes(&self) -> u64 {
        self.rules.max_message_bytes
    }

    /// Records a batch of messages from one source, and says what each became, in order,
    /// once committed. A message that failed is tried again by a later call (alone); the
    /// call then fails, after recording everything else, unless the message failed too
    /// often and was quarantined (see [`attempts`]).
    pub async fn ingest(
        &self,
        batch: Vec<RawMessage>,
        direction: Direction,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let (mut outcomes, fresh) = self.split_known(batch).await?;
        let pending = self.pending(fresh).await?;
        outcomes.extend(self.ingest_pending(pending, direction).await?);
        Ok(outcomes)
    }

    /// Answers the messages the ledger holds already, and returns the others.
    async fn split_known(
        &self,
        batch: Vec<RawMessage>,
    ) -> Result<(Vec<(SourceRef, Outcome)>, Vec<RawMessage>), IngestError> {
        let mut known = Vec::new();
        let mut fresh = Vec::with_capacity(batch.len());
        let mut mailboxes: Vec<&str> = batch.iter().map(|m| m.source.mailbox.as_str()).collect();
        mailboxes.dedup();
        let mut seen = std::collections::HashSet::new();
        for mailbox in mailboxes {
            let locations: Vec<&str> = batch
                .iter()
                .filter(|m| m.source.mailbox == mailbox)
                .map(|m| m.source.location.as_str())
                .collect();
            let outcomes = self.store.seen_outcomes(mailbox, &locations).await?;
            seen.extend(
                outcomes
                    .into_keys()
                    .map(|location| (mailbox.to_owned(), location)),
            );
        }
        for message in batch {
            let key = (
                message.source.mailbox.clone(),
                message.source.location.clone(),
            );
            if seen.contains(&key) {
                known.push((message.source, Outcome::AlreadySeen));
            } else {
                fresh.push(message);
            }
        }
        Ok((known, fresh))
    }
}

/// A Message-ID for an acknowledgement, unique without coordination between instances.
pub(crate) fn new_message_id(domain: &str) -> String {
    let nonce: u128 = rand::random();
    format!("<ack.{nonce:032x}@{domain}>")
}
