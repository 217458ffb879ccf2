//! What only the database knows about a message: whether an erasure left its tombstone, which
//! applications an answer concerns, which application a follow-up continues. The result is a
//! [`Staged`] message: its decision, with the bytes its documents will be stored from.

use bytes::Bytes;

use super::analyse::{Analysed, What};
use super::{IngestError, Pipeline};
use crate::domain::document::DocumentKind;
use crate::domain::mail::Document;
use crate::domain::outcome::IgnoreReason;
use crate::domain::record::{DecisionKind, MessageFacts, NewApplication};
use crate::domain::source::SourceRef;

/// A message whose decision is made, its documents not yet stored.
#[derive(Debug)]
pub(super) struct Staged {
    pub source: SourceRef,
    pub message_id: Option<String>,
    pub kind: StagedKind,
}

#[derive(Debug)]
pub(super) enum StagedKind {
    /// Nothing to store but rows.
    Rows(DecisionKind),
    /// A message kept whole in quarantine.
    Quarantine { raw: Bytes, error: String },
    Application {
        message: MessageFacts,
        filing: NewApplication,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
    },
    FollowUp {
        message: MessageFacts,
        application_id: i64,
        documents: Vec<(Document, DocumentKind)>,
    },
}

impl Staged {
    pub fn rows(source: SourceRef, message_id: Option<String>, kind: DecisionKind) -> Staged {
        Staged {
            source,
            message_id,
            kind: StagedKind::Rows(kind),
        }
    }
}

impl Pipeline {
    /// The identity keys among these messages' that an erasure left a tombstone for.
    pub(super) async fn erased_keys(
        &self,
        analysed: &[Analysed],
    ) -> Result<std::collections::HashSet<String>, IngestError> {
        let keys: Vec<String> = analysed
            .iter()
            .filter_map(|a| a.identity.as_ref())
            .flat_map(|identity| identity.keys())
            .collect();
        Ok(self.store.erased(&keys).await?)
    }

    pub(super) async fn decide(
        &self,
        analysed: Analysed,
        erased: bool,
    ) -> Result<Staged, IngestError> {
        let Analysed {
            source,
            message_id,
            what,
            ..
        } = analysed;
        // Erased on request or by the retention purge: never filed, nor kept, again.
        if erased {
            return Ok(Staged::rows(
                source,
                message_id,
                DecisionKind::Ignored(IgnoreReason::Erased),
            ));
        }
        let kind = match what {
            What::Ignored(reason) => StagedKind::Rows(DecisionKind::Ignored(reason)),
            What::Bounce {
                report,
                reported_at,
            } => StagedKind::Rows(DecisionKind::Bounce {
                report,
                reported_at,
            }),
            What::Quarantined { raw, error } => StagedKind::Quarantine { raw, error },
            What::Application {
                message,
                filing,
                documents,
                body_letter,
            } => StagedKind::Application {
                message,
                filing,
                documents,
                body_letter,
            },
            What::Outbound { message, by_thread } => {
                let answered = self
                    .store
                    .answered_applications(&message, by_thread)
                    .await?;
                StagedKind::Rows(if answered.is_empty() {
                    DecisionKind::Ignored(IgnoreReason::UnrelatedOutbound)
                } else {
                    DecisionKind::Outbound {
                        message,
                        application_ids: answered,
                    }
                })
            }
            What::FollowUp {
                sender,
                message,
                documents,
            } => {
                let thread: Vec<String> = message.thread_ids().cloned().collect();
                match self.store.thread_application(&sender, &thread).await? {
                    None => StagedKind::Rows(DecisionKind::Ignored(IgnoreReason::NoPosting)),
                    Some(application_id) => StagedKind::FollowUp {
                        message,
                        application_id,
                        documents,
                    },
                }
            }
        };
        Ok(Staged {
            source,
            message_id,
            kind,
        })
    }
}
