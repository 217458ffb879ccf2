//! Storing a group of messages. With files, their documents are written to the folder (a
//! share per core), then one sync makes them durable, then one transaction writes the
//! group's rows, and commits only once it has checked that the synced files are still there.
//! With the database, the documents are hashed (a share per core) and written by the
//! transaction that writes the rows. Either way the database never names a document that is
//! not stored, and nothing is reported (so nothing acknowledged to the server) before the
//! commit. Filed messages keep their documents (decoded) and their headers (rows); their raw
//! bytes are stored only when they are quarantined.

use std::io;

use bytes::Bytes;
use tracing::{debug, info, warn};

use super::analyse::{Analysed, in_parallel};
use super::decide::{Staged, StagedKind};
use super::{IngestError, Pipeline, RawMessage};
use crate::documents::Documents;
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::mail::Document;
use crate::domain::outcome::Outcome;
use crate::domain::printable::printable;
use crate::domain::record::{AckIntent, Decision, DecisionKind, StoredDocument};
use crate::domain::source::{Direction, SourceRef};
use crate::store::blobs::NewBlob;

/// The name under which a letter written in the body is listed.
const BODY_LETTER_NAME: &str = "lettre (corps du message).txt";

impl Pipeline {
    /// Analyses, decides and stores messages, in order. The group is stored in parts: before
    /// a message whose decision asks the database about earlier ones, what came before it is
    /// committed first.
    pub(super) async fn commit_messages(
        &self,
        messages: Vec<RawMessage>,
        direction: Direction,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let analysed = self.analyse_all(messages, direction).await?;
        self.commit_analysed(analysed).await
    }

    /// [`Pipeline::commit_messages`] once they are analysed.
    pub(super) async fn commit_analysed(
        &self,
        analysed: Vec<Analysed>,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let erased = self.erased_keys(&analysed).await?;
        let mut outcomes = Vec::with_capacity(analysed.len());
        let mut staged = Vec::with_capacity(analysed.len());
        for message in analysed {
            let is_erased = message
                .identity
                .as_ref()
                .is_some_and(|identity| identity.keys().iter().any(|key| erased.contains(key)));
            if !is_erased && message.what.looks_up_earlier_messages() && !staged.is_empty() {
                outcomes.extend(self.store_staged(std::mem::take(&mut staged)).await?);
            }
            staged.push(self.decide(message, is_erased).await?);
        }
        outcomes.extend(self.store_staged(staged).await?);
        Ok(outcomes)
    }

    /// Writes the staged messages' blobs, syncs them and records the group.
    pub(super) async fn store_staged(
        &self,
        staged: Vec<Staged>,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        if staged.is_empty() {
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let (decisions, new_blobs) = self.write_staged(staged).await?;
        let written = started.elapsed();
        let reports = self.record(decisions, new_blobs).await?;
        debug!(
            messages = reports.len(),
            write_ms = written.as_millis() as u64,
            record_ms = (started.elapsed() - written).as_millis() as u64,
            "stored"
        );
        Ok(reports)
    }

    /// Hands the staged messages' documents to the store, a share per core: files are
    /// written (not yet durable); contents for the database come back, to be written with the
    /// rows.
    pub(super) async fn write_staged(
        &self,
        staged: Vec<Staged>,
    ) -> Result<(Vec<Decision>, Vec<NewBlob>), IngestError> {
        let pipeline = self.clone();
        let written = in_parallel(staged, move |s| {
            let mut new_blobs = Vec::new();
            let decision = pipeline.write_blobs(s, &mut new_blobs)?;
            Ok::<_, io::Error>((decision, new_blobs))
        })
        .await?;
        let mut decisions = Vec::with_capacity(written.len());
        let mut new_blobs = Vec::new();
        for one in written {
            let (decision, blobs) = one?;
            decisions.push(decision);
            new_blobs.extend(blobs);
        }
        Ok((decisions, new_blobs))
    }

    /// Records the decisions in one transaction (with their contents for the database, or
    /// once their files are durable), then reports them.
    pub(super) async fn record(
        &self,
        decisions: Vec<Decision>,
        new_blobs: Vec<NewBlob>,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let outcomes = match &self.documents {
            Documents::Database(_) => {
                let nothing_to_wait_for = || std::future::ready(Ok::<(), IngestError>(()));
                self.store
                    .record_after(&decisions, &new_blobs, nothing_to_wait_for)
                    .await??
            }
            Documents::Files(blobs) => self.record_with_files(&decisions, blobs).await?,
        };
        if let Some(wake) = &self.search_wake
            && decisions.iter().any(|d| {
                matches!(
                    d.kind,
                    DecisionKind::Application { .. } | DecisionKind::FollowUp { .. }
                )
            })
        {
            wake.notify_one();
        }
        let mut reports = Vec::with_capacity(outcomes.len());
        for (decision, outcome) in decisions.into_iter().zip(outcomes) {
            self.report(&decision, &outcome);
            reports.push((decision.source, outcome));
        }
        Ok(reports)
    }

    /// Makes the decisions' files durable, then records them in one transaction that checks
    /// that they are still there.
    async fn record_with_files(
        &self,
        decisions: &[Decision],
        blobs: &crate::blobs::BlobStore,
    ) -> Result<Vec<Outcome>, IngestError> {
        let named: Vec<String> = decisions
            .iter()
            .flat_map(|d| d.kind.blobs())
            .map(str::to_owned)
            .collect();
        let blobs = blobs.clone();
        // The sync comes before the transaction, so that the database is not locked while the
        // disk works (on SQLite, the next group's attempts wait for that lock).
        let synced = if named.is_empty() {
            None
        } else {
            let blobs = blobs.clone();
            Some(
                tokio::task::spawn_blocking(move || {
                    let stamps = blobs.stamps(named.iter().map(String::as_str))?;
                    blobs.sync()?;
                    Ok::<_, io::Error>((named, stamps))
                })
                .await??,
            )
        };
        // Called once no erasure can delete a file any more before the commit: the files must
        // still exist, and be the ones synced; one deleted and written again since (an
        // erasure, then another message with the same bytes) is synced now.
        let durable = || async move {
            let Some((named, synced)) = synced else {
                return Ok(());
            };
            tokio::task::spawn_blocking(move || {
                if blobs.stamps(named.iter().map(String::as_str))? != synced {
                    blobs.sync()?;
                }
                Ok::<(), io::Error>(())
            })
            .await??;
            Ok::<(), IngestError>(())
        };
        self.store.record_after(decisions, &[], durable).await?
    }

    /// Stores a staged message's documents (or its raw bytes, for quarantine), adding to
    /// `new_blobs` those the recording transaction is to write. Blocking.
    fn write_blobs(&self, staged: Staged, new_blobs: &mut Vec<NewBlob>) -> io::Result<Decision> {
        let Staged {
            source,
            message_id,
            kind,
        } = staged;
        let kind = match kind {
            StagedKind::Rows(kind) => kind,
            StagedKind::Quarantine { raw, error } => {
                let blob = self.stage(raw, new_blobs)?;
                DecisionKind::Quarantined {
                    raw_sha256: Some(blob.sha256),
                    size: Some(blob.size),
                    error,
                }
            }
            StagedKind::Application {
                message,
                filing,
                documents,
                body_letter,
            } => DecisionKind::Application {
                message,
                filing,
                documents: self.put_documents(documents, body_letter, new_blobs)?,
            },
            StagedKind::FollowUp {
                message,
                application_id,
                documents,
            } => DecisionKind::FollowUp {
                message,
                application_id,
                documents: self.put_documents(documents, None, new_blobs)?,
            },
        };
        Ok(Decision {
            source,
            message_id,
            kind,
        })
    }

    fn put_documents(
        &self,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
        new_blobs: &mut Vec<NewBlob>,
    ) -> io::Result<Vec<StoredDocument>> {
        let mut stored = Vec::with_capacity(documents.len() + 1);
        for (doc, kind) in documents {
            let blob = self.stage(doc.bytes, new_blobs)?;
            stored.push(StoredDocument {
                kind,
                source: doc.source,
                filename: doc.filename,
                content_type: doc.content_type,
                sha256: blob.sha256,
                size: blob.size,
            });
        }
        if let Some(text) = body_letter {
            let blob = self.stage(Bytes::from(text), new_blobs)?;
            stored.push(StoredDocument {
                kind: DocumentKind::Letter,
                source: DocumentSource::Body,
                filename: BODY_LETTER_NAME.into(),
                content_type: "text/plain; charset=utf-8".into(),
                sha256: blob.sha256,
                size: blob.size,
            });
        }
        Ok(stored)
    }

    fn stage(&self, bytes: Bytes, new_blobs: &mut Vec<NewBlob>) -> io::Result<crate::blobs::Blob> {
        let (blob, new) = self.documents.stage(bytes)?;
        new_blobs.extend(new);
        Ok(blob)
    }

    /// What follows a committed outcome: the log line, the metric, and waking the
    /// acknowledgement sender.
    fn report(&self, decision: &Decision, outcome: &Outcome) {
        if *outcome == Outcome::AlreadySeen {
            return;
        }
        let source = &decision.source;
        crate::health::record_outcome(outcome.kind());
        match (&decision.kind, outcome) {
            (DecisionKind::Quarantined { error, .. }, Outcome::Quarantined) => {
                warn!(mailbox = %source.mailbox, location = %printable(&source.location), error = %printable(error), "message quarantined");
            }
            (DecisionKind::Application { filing, .. }, Outcome::Filed { .. }) => {
                if let (Some(AckIntent::Send { .. }), Some(queue)) =
                    (&filing.acknowledgement, &self.acknowledgements)
                {
                    queue.wake.notify_one();
                }
            }
            _ => {}
        }
        info!(
            mailbox = %source.mailbox,
            location = %printable(&source.location),
            message_id = %printable(decision.message_id.as_deref().unwrap_or("-")),
            outcome = outcome.as_str(),
            application_id = outcome.application_id(),
            "message processed"
        );
    }
}
