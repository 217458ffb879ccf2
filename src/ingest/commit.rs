//! The ordered stage, in two steps so that a group of messages shares one disk sync and one
//! database transaction:
//!
//! 1. [`Pipeline::stage`] settles what the analysis could not alone, asking the database
//!    about earlier messages (which applications an answer concerns, which application a
//!    follow-up continues) and writing a follow-up's blobs;
//! 2. [`Pipeline::record`] makes the group's blobs durable with one [`BlobStore::sync`],
//!    then records every message in one transaction, in arrival order, and only then
//!    reports the outcomes.
//!
//! The database never names a file before that file is durable, and nothing is reported
//! (so nothing acknowledged to the server) before the transaction commits, which is what
//! commit-before-acknowledge needs; the group only shares the waits. Filed messages keep
//! their documents (decoded) and their headers (rows); their raw bytes are stored only when
//! they are quarantined.
//!
//! [`BlobStore::sync`]: crate::blobs::BlobStore::sync

use tracing::{debug, info, warn};

use super::{Analysed, Analysis, IngestError, Pipeline, Related};
use crate::domain::source::SourceRef;
use crate::store::record::{AckIntent, Recorded, Write, WriteKind};

/// A message whose blobs are written and whose rows are decided.
#[derive(Debug)]
pub struct Staged {
    pub source: SourceRef,
    /// `None`: these coordinates were recorded before.
    write: Option<Write>,
    /// Bytes written to the blob store for it (what a group is bounded by).
    pub bytes: u64,
}

impl Analysed {
    /// Whether staging this message asks the database about earlier messages, which must
    /// therefore be recorded first.
    pub(super) fn looks_up_earlier_messages(&self) -> bool {
        matches!(self.result, Analysis::Related(_))
    }
}

impl Pipeline {
    pub(super) async fn stage(&self, analysed: Analysed) -> Result<Staged, IngestError> {
        let Analysed { source, result } = analysed;
        let (message_id, kind, bytes) = match result {
            Analysis::AlreadySeen => {
                return Ok(Staged {
                    source,
                    write: None,
                    bytes: 0,
                });
            }
            Analysis::Settled {
                message_id,
                kind,
                bytes,
            } => (message_id, kind, bytes),
            Analysis::Related(related) => self.relate(related).await?,
        };
        Ok(Staged {
            write: Some(Write {
                source: source.clone(),
                message_id,
                kind,
            }),
            source,
            bytes,
        })
    }

    async fn relate(
        &self,
        related: Related,
    ) -> Result<(Option<String>, WriteKind, u64), IngestError> {
        let ignored = |row: &crate::store::record::MessageRow, reason| {
            (row.message_id.clone(), WriteKind::Ignored { reason }, 0)
        };
        match related {
            Related::Outbound { row, by_thread } => {
                let answered = self.store.answered_applications(&row, by_thread).await?;
                if answered.is_empty() {
                    return Ok(ignored(&row, "unrelated-outbound"));
                }
                Ok((
                    row.message_id.clone(),
                    WriteKind::Outbound {
                        message: row,
                        application_ids: answered,
                    },
                    0,
                ))
            }
            Related::FollowUp {
                thread,
                sender,
                row,
                documents,
            } => {
                let Some(application_id) = self.store.thread_application(&sender, &thread).await?
                else {
                    return Ok(ignored(&row, "no-posting"));
                };
                let pipeline = self.clone();
                let documents =
                    tokio::task::spawn_blocking(move || pipeline.put_documents(documents, None))
                        .await??;
                let bytes = documents.iter().map(|d| d.size).sum();
                Ok((
                    row.message_id.clone(),
                    WriteKind::FollowUp {
                        message: row,
                        application_id,
                        documents,
                    },
                    bytes,
                ))
            }
        }
    }

    /// Makes the group's blobs durable while one transaction writes the group's rows, commits
    /// it once they are, then logs each outcome; returns them in order.
    pub(super) async fn record(
        &self,
        group: Vec<Staged>,
    ) -> Result<Vec<(SourceRef, Recorded)>, IngestError> {
        if group.is_empty() {
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let written = group.iter().any(|s| s.bytes > 0);
        let mut order = Vec::with_capacity(group.len());
        let mut writes = Vec::with_capacity(group.len());
        for Staged { source, write, .. } in group {
            order.push((source, write.is_some()));
            writes.extend(write);
        }
        let named: Vec<String> = writes
            .iter()
            .flat_map(|w| w.kind.blobs())
            .map(str::to_owned)
            .collect();
        let blobs = self.blobs.clone();
        let mut synced = std::time::Duration::ZERO;
        // Called once no erasure can delete a file any more before the commit: the files the
        // rows name are checked, then synced while the transaction writes the rows, which
        // commit once they are durable.
        let durable = || {
            let sync = (written || !named.is_empty()).then(|| {
                tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    blobs.check_present(named.iter().map(String::as_str))?;
                    if written {
                        blobs.sync()?;
                    }
                    Ok::<_, std::io::Error>(started.elapsed())
                })
            });
            async {
                if let Some(sync) = sync {
                    synced = sync.await??;
                }
                Ok::<_, IngestError>(())
            }
        };
        let outcomes = if writes.is_empty() {
            durable().await?;
            Vec::new()
        } else {
            self.store.record_after(&writes, durable).await??
        };
        debug!(
            messages = order.len(),
            sync_ms = synced.as_millis() as u64,
            record_ms = started.elapsed().as_millis() as u64,
            "group recorded"
        );
        let mut recorded = writes.iter().zip(outcomes);
        let mut reports = Vec::with_capacity(order.len());
        for (source, written) in order {
            match if written { recorded.next() } else { None } {
                Some((write, outcome)) => {
                    self.report(write, &outcome);
                    reports.push((source, outcome));
                }
                None => reports.push((source, Recorded::AlreadySeen)),
            }
        }
        Ok(reports)
    }

    /// What follows a committed outcome: the log line, the metric, and waking the
    /// acknowledgement sender.
    fn report(&self, write: &Write, recorded: &Recorded) {
        if *recorded == Recorded::AlreadySeen {
            return;
        }
        let source = &write.source;
        crate::health::record_outcome(recorded.outcome());
        match (&write.kind, recorded) {
            (WriteKind::Quarantined { error, .. }, Recorded::Quarantined) => {
                warn!(mailbox = %source.mailbox, location = %source.location, error = %error, "message quarantined");
            }
            (WriteKind::Application { filing, .. }, Recorded::Filed { .. }) => {
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
            location = %source.location,
            message_id = write.message_id.as_deref().unwrap_or("-"),
            outcome = recorded.outcome(),
            application_id = recorded.application_id(),
            "message processed"
        );
    }
}
