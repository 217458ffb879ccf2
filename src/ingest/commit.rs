//! Storing a group of messages: their documents are written to the blob store (a share per
//! core), then one sync makes them durable, then one transaction writes the group's rows,
//! and commits only once it has checked that the synced files are still there. The database never names a file that is not
//! on disk, and nothing is reported (so nothing acknowledged to the server) before the
//! commit. Filed messages keep their documents (decoded) and their headers (rows); their raw
//! bytes are stored only when they are quarantined.

use std::io;

use tracing::{debug, info, warn};

use super::analyse::{Analysed, in_parallel};
use super::decide::{Staged, StagedKind};
use super::{IngestError, Pipeline, RawMessage};
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::mail::Document;
use crate::domain::outcome::Outcome;
use crate::domain::printable::printable;
use crate::domain::record::{AckIntent, Decision, DecisionKind, StoredDocument};
use crate::domain::source::{Direction, SourceRef};

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
        let decisions = self.write_staged(staged).await?;
        let written = started.elapsed();
        let reports = self.record(decisions).await?;
        debug!(
            messages = reports.len(),
            write_ms = written.as_millis() as u64,
            record_ms = (started.elapsed() - written).as_millis() as u64,
            "stored"
        );
        Ok(reports)
    }

    /// Writes the staged messages' blobs (not yet durable), a share per core.
    pub(super) async fn write_staged(
        &self,
        staged: Vec<Staged>,
    ) -> Result<Vec<Decision>, IngestError> {
        let pipeline = self.clone();
        Ok(in_parallel(staged, move |s| pipeline.write_blobs(s))
            .await?
            .into_iter()
            .collect::<io::Result<Vec<Decision>>>()?)
    }

    /// Makes the decisions' blobs durable, then records them in one transaction, then reports
    /// them.
    pub(super) async fn record(
        &self,
        decisions: Vec<Decision>,
    ) -> Result<Vec<(SourceRef, Outcome)>, IngestError> {
        let named: Vec<String> = decisions
            .iter()
            .flat_map(|d| d.kind.blobs())
            .map(str::to_owned)
            .collect();
        let blobs = self.blobs.clone();
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
        let outcomes = self.store.record_after(&decisions, durable).await??;
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

    /// Stores a staged message's documents (or its raw bytes, for quarantine). Blocking.
    fn write_blobs(&self, staged: Staged) -> io::Result<Decision> {
        let Staged {
            source,
            message_id,
            kind,
        } = staged;
        let kind = match kind {
            StagedKind::Rows(kind) => kind,
            StagedKind::Quarantine { raw, error } => {
                let blob = self.blobs.put(&raw)?;
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
                documents: self.put_documents(documents, body_letter)?,
            },
            StagedKind::FollowUp {
                message,
                application_id,
                documents,
            } => DecisionKind::FollowUp {
                message,
                application_id,
                documents: self.put_documents(documents, None)?,
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
    ) -> io::Result<Vec<StoredDocument>> {
        let mut stored = Vec::with_capacity(documents.len() + 1);
        for (doc, kind) in documents {
            let blob = self.blobs.put(&doc.bytes)?;
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
            let blob = self.blobs.put(text.as_bytes())?;
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
