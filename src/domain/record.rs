//! What the pipeline decided about a message, as plain values: what the store records in one
//! transaction. Nothing here knows SQL; the store decides how these become rows.

use chrono::{DateTime, Utc};

use super::acknowledgement::SkipReason;
use super::bounce::DeliveryReport;
use super::document::{DocumentKind, DocumentSource};
use super::email::EmailAddress;
use super::identity::Identity;
use super::name::PersonName;
use super::outcome::IgnoreReason;
use super::posting::PostingId;
use super::source::{Direction, SourceRef};

/// One message's decision.
#[derive(Debug)]
pub struct Decision {
    pub source: SourceRef,
    pub message_id: Option<String>,
    pub kind: DecisionKind,
}

#[derive(Debug)]
pub enum DecisionKind {
    /// Mail that is not an application: its coordinates and Message-ID only. `identity` is
    /// kept for mail that an erasure's tombstone must still recognise.
    Ignored(IgnoreReason),
    /// A delivery report (a bounce): its ledger row says ignored, `bounce`, like any bounce;
    /// each failed address that is a candidate's when the group is recorded gets a row in
    /// `bounces`, and a stranger's nothing.
    Bounce {
        report: DeliveryReport,
        /// When the report arrived.
        reported_at: DateTime<Utc>,
    },
    /// A message that could not be filed, with its error. Its raw bytes are in the blob store
    /// under `raw_sha256`, or (never downloaded) still on the server, `size` bytes long.
    Quarantined {
        raw_sha256: Option<String>,
        size: Option<u64>,
        error: String,
    },
    /// An inbound message to file: a new application, or a follow-up to the candidate's
    /// application for the same posting.
    Application {
        message: MessageFacts,
        filing: NewApplication,
        documents: Vec<StoredDocument>,
    },
    /// A candidate's message that continues an application found by its thread.
    FollowUp {
        message: MessageFacts,
        application_id: i64,
        documents: Vec<StoredDocument>,
    },
    /// An outbound message that answers these applications: they become `replied`.
    Outbound {
        message: MessageFacts,
        application_ids: Vec<i64>,
    },
}

impl DecisionKind {
    /// The hashes of the files its rows would name.
    pub fn blobs(&self) -> impl Iterator<Item = &str> {
        let (documents, raw) = match self {
            DecisionKind::Application { documents, .. }
            | DecisionKind::FollowUp { documents, .. } => (documents.as_slice(), None),
            DecisionKind::Quarantined { raw_sha256, .. } => (&[][..], raw_sha256.as_deref()),
            DecisionKind::Ignored(_)
            | DecisionKind::Bounce { .. }
            | DecisionKind::Outbound { .. } => (&[][..], None),
        };
        documents.iter().map(|d| d.sha256.as_str()).chain(raw)
    }

    /// The message it would record, if any.
    pub fn message(&self) -> Option<&MessageFacts> {
        match self {
            DecisionKind::Application { message, .. }
            | DecisionKind::FollowUp { message, .. }
            | DecisionKind::Outbound { message, .. } => Some(message),
            DecisionKind::Ignored(_)
            | DecisionKind::Bounce { .. }
            | DecisionKind::Quarantined { .. } => None,
        }
    }
}

/// A filed message, as recruiters and reply tracking see it. Its raw bytes are not kept:
/// the mailbox keeps the message, and its documents are stored decoded.
#[derive(Debug, Clone)]
pub struct MessageFacts {
    pub direction: Direction,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from_address: Option<EmailAddress>,
    pub recipients: Vec<EmailAddress>,
    /// The candidate's own Reply-To address (the first), where an answer from the
    /// organisation also counts as a reply. `None` on outbound mail and on a colleague's
    /// forward: an answer to the colleague is no answer to the candidate.
    pub reply_to: Option<EmailAddress>,
    pub subject: String,
    /// The Date header, for display; never later than `arrived_at`.
    pub date: DateTime<Utc>,
    /// When the server received it (INTERNALDATE, the Maildir delivery time) or, for an
    /// import, the Date header no later than the import: what retention and ordering use.
    pub arrived_at: DateTime<Utc>,
    pub identity: Identity,
    pub raw_size: u64,
    pub forwarded_by: Option<EmailAddress>,
}

impl MessageFacts {
    pub fn thread_ids(&self) -> impl Iterator<Item = &String> {
        self.in_reply_to.iter().chain(&self.references)
    }
}

/// A document written to the blob store.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub kind: DocumentKind,
    pub source: DocumentSource,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
}

/// A new application, or a message joining the candidate's existing one.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub posting: PostingId,
    pub candidate: EmailAddress,
    pub name: PersonName,
    pub subject_nonconforming: bool,
    /// A colleague's forward the organisation's server did not authenticate: sets the
    /// application's flag, which nothing later clears.
    pub forward_unverified: bool,
    /// Filed from a colleague's inline forward: sets the application's flag
    /// `forwarded_inline`, which nothing later clears.
    pub forwarded_inline: bool,
    /// What to do about an acknowledgement if this message opens a new application; `None`
    /// when acknowledgements are off or the mail comes from an import.
    pub acknowledgement: Option<AckIntent>,
}

/// The acknowledgement decided when an application is filed, recorded in the same
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckIntent {
    /// Queue one, carrying this Message-ID.
    Send {
        message_id: String,
    },
    Skip(SkipReason),
}
