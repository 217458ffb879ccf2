//! The writes of the ingestion pipeline. [`Store::record`] writes a group of messages in one
//! transaction, which ends with the group's rows in `mail_seen`, so a message is either wholly
//! recorded or not at all, and recording it twice is refused by the ledger's unique key.

mod plan;
mod statements;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use self::plan::{ApplicationRow, Inserted, Known, Later, Plan, Touch};
use self::statements::{
    ROWS_PER_STATEMENT, insert_planned, is_seen, known_before, rows_where_in, write_later,
};
use super::{BeginWrite, Store, StoreError, with_pool};
use crate::domain::acknowledgement::SkipReason;
use crate::domain::document::{DocumentKind, DocumentSource};
use crate::domain::email::EmailAddress;
use crate::domain::name::PersonName;
use crate::domain::posting::PostingId;
use crate::domain::source::{Direction, SourceRef};

/// The message being recorded, as the `messages` table holds it.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub direction: Direction,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from_address: Option<EmailAddress>,
    pub recipients: Vec<EmailAddress>,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    /// The raw bytes' BLAKE3, as `blake3:<hex>` ([`raw_digest`]).
    pub raw_digest: String,
    /// The raw bytes' SHA-256, made only while the database holds messages recorded under
    /// it ([`super::Store::holds_sha256_identities`]).
    pub raw_sha256: Option<String>,
    pub raw_size: u64,
    pub forwarded_by: Option<EmailAddress>,
}

/// A message's raw bytes as [`MessageRow::raw_digest`] holds them.
pub fn raw_digest(raw: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(raw).to_hex())
}

impl MessageRow {
    /// The identity of a message whatever its coordinates: its Message-ID and its bytes.
    fn dedupe_key(&self) -> String {
        self.key_with(&self.raw_digest)
    }

    /// The identity it had before migration 0006, when it can be made.
    fn sha256_dedupe_key(&self) -> Option<String> {
        self.raw_sha256.as_deref().map(|sha| self.key_with(sha))
    }

    fn key_with(&self, digest: &str) -> String {
        format!("{} {digest}", self.message_id.as_deref().unwrap_or("-"))
    }

    fn thread_ids(&self) -> impl Iterator<Item = &String> {
        self.in_reply_to.iter().chain(&self.references)
    }
}

#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub kind: DocumentKind,
    pub source: DocumentSource,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
}

#[cfg(test)]
impl DocumentRow {
    /// A CV as the store's tests file it.
    pub(crate) fn cv_for_tests() -> DocumentRow {
        DocumentRow {
            kind: DocumentKind::Cv,
            source: DocumentSource::Attachment,
            filename: "CV.pdf".into(),
            content_type: "application/pdf".into(),
            sha256: "cd".repeat(32),
            size: 500,
        }
    }
}

/// A new application, or a message joining the candidate's existing one.
#[derive(Debug, Clone)]
pub struct FilingRow {
    pub posting: PostingId,
    pub candidate: EmailAddress,
    pub name: PersonName,
    pub subject_nonconforming: bool,
    /// A colleague's forward the organisation's server did not authenticate: sets the
    /// application's flag, which nothing later clears.
    pub forward_unverified: bool,
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

/// What the database made of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new application.
    Filed {
        application_id: i64,
    },
    /// Joined an existing application (a resend or follow-up).
    FollowUp {
        application_id: i64,
    },
    /// An answer to these applications.
    Outbound {
        application_ids: Vec<i64>,
    },
    /// The same message (Message-ID and bytes) was already recorded at other coordinates.
    Duplicate,
    Ignored,
    Quarantined,
    /// These coordinates were recorded before: nothing changed.
    AlreadySeen,
}

impl Recorded {
    pub fn outcome(&self) -> &'static str {
        match self {
            Recorded::Filed { .. } => "filed",
            Recorded::FollowUp { .. } => "followup",
            Recorded::Outbound { .. } => "outbound",
            Recorded::Duplicate => "duplicate",
            Recorded::Ignored => "ignored",
            Recorded::Quarantined => "quarantined",
            Recorded::AlreadySeen => "already-seen",
        }
    }

    pub fn application_id(&self) -> Option<i64> {
        match self {
            Recorded::Filed { application_id } | Recorded::FollowUp { application_id } => {
                Some(*application_id)
            }
            Recorded::Outbound { application_ids } => application_ids.first().copied(),
            _ => None,
        }
    }
}

/// One message's rows, as the pipeline settled them.
#[derive(Debug)]
pub struct Write {
    pub source: SourceRef,
    pub message_id: Option<String>,
    pub kind: WriteKind,
}

#[derive(Debug)]
pub enum WriteKind {
    /// Mail that is not an application: coordinates and Message-ID only.
    Ignored { reason: &'static str },
    /// A message that could not be filed, with its error; its raw bytes are in the blob store
    /// under `raw_sha256`, or (too large to download) still on the server.
    Quarantined {
        raw_sha256: Option<String>,
        error: String,
    },
    /// An inbound message to file: a new application, or a follow-up to the candidate's
    /// application for the same posting.
    Application {
        message: MessageRow,
        filing: FilingRow,
        documents: Vec<DocumentRow>,
    },
    /// A candidate's message that continues an application found by
    /// [`Store::thread_application`].
    FollowUp {
        message: MessageRow,
        application_id: i64,
        documents: Vec<DocumentRow>,
    },
    /// An outbound message that answers these applications: they become `replied`.
    Outbound {
        message: MessageRow,
        application_ids: Vec<i64>,
    },
}

impl WriteKind {
    /// The hashes of the files its rows would name.
    pub fn blobs(&self) -> impl Iterator<Item = &str> {
        let (documents, raw) = match self {
            WriteKind::Application { documents, .. } | WriteKind::FollowUp { documents, .. } => {
                (documents.as_slice(), None)
            }
            WriteKind::Quarantined { raw_sha256, .. } => (&[][..], raw_sha256.as_deref()),
            WriteKind::Ignored { .. } | WriteKind::Outbound { .. } => (&[][..], None),
        };
        documents.iter().map(|d| d.sha256.as_str()).chain(raw)
    }

    /// The message row it would add, if any.
    fn message(&self) -> Option<&MessageRow> {
        match self {
            WriteKind::Application { message, .. }
            | WriteKind::FollowUp { message, .. }
            | WriteKind::Outbound { message, .. } => Some(message),
            WriteKind::Ignored { .. } | WriteKind::Quarantined { .. } => None,
        }
    }
}

/// The error for a row a statement of the group should have returned and did not. It names
/// the table only: the key is a candidate's address or a message's identity.
fn missing_row(table: &'static str) -> StoreError {
    StoreError::Query(sqlx::Error::Protocol(format!(
        "the database returned no {table} row for one of the group's messages"
    )))
}

impl Store {
    /// Whether these coordinates were recorded before.
    pub async fn seen(&self, source: &SourceRef) -> Result<bool, StoreError> {
        with_pool!(&self.pool, pool => {
            let mut conn = pool.acquire().await?;
            Ok(is_seen!(conn, source))
        })
    }

    /// Records messages in one transaction, in order, and says what each became. A later
    /// message sees the rows of the earlier ones (a resend in the same group is a follow-up
    /// or a duplicate). One transaction per group rather than per message: on PostgreSQL
    /// each commit waits for its WAL flush, and on SQLite each writes its pages to the WAL.
    /// Within it, every statement is a round trip (to sqlx's SQLite thread, or to the
    /// PostgreSQL server), so the group is decided first ([`Plan`]) and written one table
    /// at a time: a group costs about ten statements, whatever its size.
    pub async fn record(&self, writes: &[Write]) -> Result<Vec<Recorded>, StoreError> {
        let nothing_to_wait_for = || std::future::ready(Ok::<(), std::convert::Infallible>(()));
        let Ok(outcomes) = self.record_after(writes, nothing_to_wait_for).await?;
        Ok(outcomes)
    }

    /// [`Store::record`], committing only once `durable` has succeeded: the files the rows
    /// name are made durable while the rows are written, instead of before. `durable` starts
    /// once no file can be deleted any more before the commit (see
    /// [`BeginWrite::begin_naming_blobs`]), so it is where to check that the files the rows
    /// name still exist. When it fails, nothing is committed and its error is returned
    /// inside.
    pub async fn record_after<E, F>(
        &self,
        writes: &[Write],
        durable: impl FnOnce() -> F,
    ) -> Result<Result<Vec<Recorded>, E>, StoreError>
    where
        F: Future<Output = Result<(), E>>,
    {
        with_pool!(&self.pool, pool => {
            let mut tx = pool.begin_naming_blobs().await?;
            let durable = durable();
            let known = known_before!(tx, writes);
            let plan = Plan::new(writes, known);
            let inserted = insert_planned!(tx, &plan);
            let (outcomes, later) = plan.resolve(&inserted);
            write_later!(tx, &later);
            if let Err(err) = durable.await {
                // Dropping the transaction rolls it back.
                return Ok(Err(err));
            }
            tx.commit().await?;
            Ok(Ok(outcomes))
        })
    }

    /// The sender's application that a message without the posting's subject continues: one
    /// whose messages it answers or references.
    pub async fn thread_application(
        &self,
        sender: &EmailAddress,
        thread_ids: &[String],
    ) -> Result<Option<i64>, StoreError> {
        if thread_ids.is_empty() {
            return Ok(None);
        }
        with_pool!(&self.pool, pool => {
            let mut query = QueryBuilder::new(
                "SELECT a.id FROM applications a
                 JOIN candidates c ON c.id = a.candidate_id
                 JOIN application_messages am ON am.application_id = a.id
                 JOIN messages m ON m.id = am.message_id
                 WHERE c.email = ",
            );
            query.push_bind(sender.as_str()).push(" AND m.message_id IN (");
            let mut list = query.separated(", ");
            for id in thread_ids {
                list.push_bind(id.as_str());
            }
            query.push(") ORDER BY a.id LIMIT 1");
            let row: Option<(i64,)> = query.build_query_as().fetch_optional(pool).await?;
            Ok(row.map(|(id,)| id))
        })
    }

    /// The applications an outbound message answers: those whose candidate it is addressed
    /// to, and (when `by_thread`) those whose messages it replies to or references.
    pub async fn answered_applications(
        &self,
        message: &MessageRow,
        by_thread: bool,
    ) -> Result<Vec<i64>, StoreError> {
        with_pool!(&self.pool, pool => {
            let mut ids: Vec<(i64,)> = rows_where_in!(
                pool,
                "SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.email IN (",
                message.recipients.iter().map(EmailAddress::as_str).collect(),
                ")",
                (i64,)
            );
            if by_thread {
                ids.extend(rows_where_in!(
                    pool,
                    "SELECT am.application_id FROM application_messages am
                     JOIN messages m ON m.id = am.message_id
                     WHERE m.direction = 'inbound' AND m.message_id IN (",
                    message.thread_ids().map(String::as_str).collect(),
                    ")",
                    (i64,)
                ));
            }
            let mut ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        })
    }
}
