//! The rows a group writes after its candidates, applications and messages are inserted:
//! those that refer to the ids the inserts returned, collected by [`super::plan::Plan::resolve`]
//! and written a table at a time ([`super::write::write_later`]).

use chrono::{DateTime, Utc};

use crate::domain::outcome::OutcomeKind;
use crate::domain::record::{AckIntent, MessageFacts, StoredDocument};
use crate::domain::source::SourceRef;

/// A change to an application already inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Touch {
    /// A candidate wrote again: `last_inbound_at` becomes the later of the two.
    Inbound(i64, DateTime<Utc>),
    /// Applymail's side answered: the application is `replied`.
    Answered(i64, DateTime<Utc>),
    /// An unverified forward joined an application that existed before the group.
    ForwardUnverified(i64),
    /// An inline forward joined an application that existed before the group.
    ForwardedInline(i64),
}

#[derive(Debug)]
pub(super) struct Seen<'a> {
    pub source: &'a SourceRef,
    pub message_id: Option<&'a str>,
    pub outcome: OutcomeKind,
    pub reason: Option<&'a str>,
    pub raw_sha256: Option<&'a str>,
    pub raw_size: Option<u64>,
    pub message_ref: Option<i64>,
    pub application_id: Option<i64>,
}

impl<'a> Seen<'a> {
    pub(super) fn new(
        source: &'a SourceRef,
        message_id: Option<&'a str>,
        outcome: OutcomeKind,
    ) -> Self {
        Seen {
            source,
            message_id,
            outcome,
            reason: None,
            raw_sha256: None,
            raw_size: None,
            message_ref: None,
            application_id: None,
        }
    }
}

/// The rows that refer to the inserted ones, written one statement per table.
#[derive(Debug, Default)]
pub(super) struct Later<'a> {
    pub seen: Vec<Seen<'a>>,
    /// New applications' first status, with the mailbox they were filed from.
    pub received: Vec<(i64, &'a str)>,
    /// `(application_id, message_ref)`.
    pub links: Vec<(i64, i64)>,
    /// Documents, with their application, message and position in it.
    pub documents: Vec<(i64, i64, usize, &'a StoredDocument)>,
    /// New applications' acknowledgement rows.
    pub acknowledgements: Vec<AckRow<'a>>,
    pub touches: Vec<Touch>,
}

impl<'a> Later<'a> {
    /// Links an inbound message and its documents to an application.
    pub(super) fn attach(
        &mut self,
        application_id: i64,
        message_ref: i64,
        documents: &'a [StoredDocument],
    ) {
        self.links.push((application_id, message_ref));
        self.documents.extend(
            documents
                .iter()
                .enumerate()
                .map(|(position, document)| (application_id, message_ref, position, document)),
        );
    }

    /// The first application a message inserted by this group is linked to.
    pub(super) fn first_link(&self, message_ref: i64) -> Option<i64> {
        let linked = self
            .links
            .iter()
            .filter(|(_, message)| *message == message_ref);
        linked.map(|(application, _)| *application).min()
    }
}

#[derive(Debug)]
pub(super) struct AckRow<'a> {
    pub application_id: i64,
    pub intent: &'a AckIntent,
    pub message: &'a MessageFacts,
}
