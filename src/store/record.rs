//! The writes of the ingestion pipeline. [`Store::record`] writes a group of messages in one
//! transaction, which ends with the group's rows in `mail_seen`, so a message is either wholly
//! recorded or not at all, and recording it twice is refused by the ledger's unique key.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

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
    pub raw_sha256: String,
    pub raw_size: u64,
    pub forwarded_by: Option<EmailAddress>,
}

impl MessageRow {
    /// The identity of a message whatever its coordinates: its Message-ID and its bytes.
    fn dedupe_key(&self) -> String {
        format!(
            "{} {}",
            self.message_id.as_deref().unwrap_or("-"),
            self.raw_sha256
        )
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

/// A new application, or a message joining the candidate's existing one.
#[derive(Debug, Clone)]
pub struct FilingRow {
    pub posting: PostingId,
    pub candidate: EmailAddress,
    pub name: PersonName,
    pub subject_nonconforming: bool,
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

struct Seen<'a> {
    source: &'a SourceRef,
    message_id: Option<&'a str>,
    outcome: &'static str,
    reason: Option<&'a str>,
    raw_sha256: Option<&'a str>,
    message_ref: Option<i64>,
    application_id: Option<i64>,
}

/// Rows that nothing in the group's transaction reads back, written together just before the
/// commit: one statement per table for the group instead of one per message.
#[derive(Default)]
struct Later<'a> {
    /// Ledger rows (read back only through [`Later::holds`]).
    seen: Vec<Seen<'a>>,
    /// New applications' first status, with the mailbox they were filed from.
    received: Vec<(i64, &'a str)>,
    /// `(application_id, message_ref)` links (read back only through [`Later::first_link`]).
    links: Vec<(i64, i64)>,
    /// Documents, with their application, message and position in it.
    documents: Vec<(i64, i64, usize, &'a DocumentRow)>,
    /// New applications' acknowledgement rows.
    acknowledgements: Vec<AckRow<'a>>,
}

struct AckRow<'a> {
    application_id: i64,
    intent: &'a AckIntent,
    message: &'a MessageRow,
}

impl Later<'_> {
    /// Whether the group holds a ledger row for these coordinates already.
    fn holds(&self, source: &SourceRef) -> bool {
        self.seen.iter().any(|seen| seen.source == source)
    }

    /// The first application a message recorded in this group is linked to.
    fn first_link(&self, message_ref: i64) -> Option<i64> {
        let linked = self
            .links
            .iter()
            .filter(|(_, message)| *message == message_ref);
        linked.map(|(application, _)| *application).min()
    }
}

/// What the database held before the group, asked once for the whole group, and the messages
/// the group has added since: a message's "is it known?" costs no statement of its own.
struct Known {
    /// Ledger coordinates recorded before the group, as locations by mailbox (the group's
    /// own are in [`Later::seen`]).
    seen: HashMap<String, HashSet<String>>,
    /// Message row ids by dedupe key, before the group and from it.
    messages: HashMap<String, i64>,
}

impl<'a> Seen<'a> {
    fn new(source: &'a SourceRef, message_id: Option<&'a str>, outcome: &'static str) -> Self {
        Seen {
            source,
            message_id,
            outcome,
            reason: None,
            raw_sha256: None,
            message_ref: None,
            application_id: None,
        }
    }
}

// The transaction steps, as macros so that one text serves both backends' connection types.

/// Whether these coordinates are in the ledger.
macro_rules! is_seen {
    ($tx:ident, $source:expr) => {{
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM mail_seen WHERE mailbox = $1 AND location = $2")
                .bind(&$source.mailbox)
                .bind(&$source.location)
                .fetch_optional(&mut *$tx)
                .await?;
        row.is_some()
    }};
}

/// Asks, for the whole group at once, which of its coordinates the ledger holds and which of
/// its messages are recorded ([`Known`]).
macro_rules! known_before {
    ($tx:ident, $writes:expr) => {{
        let writes: &[Write] = $writes;
        let mut known = Known {
            seen: HashMap::new(),
            messages: HashMap::new(),
        };
        let mut mailboxes: Vec<&str> = writes.iter().map(|w| w.source.mailbox.as_str()).collect();
        mailboxes.sort_unstable();
        mailboxes.dedup();
        for mailbox in mailboxes {
            let locations: Vec<&str> = writes
                .iter()
                .filter(|w| w.source.mailbox == mailbox)
                .map(|w| w.source.location.as_str())
                .collect();
            for chunk in locations.chunks(1_000) {
                let mut query =
                    QueryBuilder::new("SELECT location FROM mail_seen WHERE mailbox = ");
                query.push_bind(mailbox).push(" AND location IN (");
                let mut list = query.separated(", ");
                for location in chunk {
                    list.push_bind(*location);
                }
                query.push(")");
                let rows: Vec<(String,)> = query.build_query_as().fetch_all(&mut *$tx).await?;
                known
                    .seen
                    .entry(mailbox.to_owned())
                    .or_default()
                    .extend(rows.into_iter().map(|(location,)| location));
            }
        }
        let keys: Vec<String> = writes
            .iter()
            .filter_map(|w| w.kind.message())
            .map(MessageRow::dedupe_key)
            .collect();
        for chunk in keys.chunks(1_000) {
            let mut query =
                QueryBuilder::new("SELECT dedupe_key, id FROM messages WHERE dedupe_key IN (");
            let mut list = query.separated(", ");
            for key in chunk {
                list.push_bind(key.as_str());
            }
            query.push(")");
            let rows: Vec<(String, i64)> = query.build_query_as().fetch_all(&mut *$tx).await?;
            known.messages.extend(rows);
        }
        known
    }};
}

/// Writes the rows the group put off ([`Later`]).
macro_rules! write_later {
    ($tx:ident, $later:expr) => {{
        let later: &Later<'_> = $later;
        let now = Utc::now();
        // At most nine parameters a row: well within SQLite's 32,766 per statement.
        for rows in later.seen.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO mail_seen (mailbox, location, message_id, outcome, reason, raw_sha256, message_ref, application_id, seen_at) ",
            );
            insert.push_values(rows, |mut row, seen| {
                row.push_bind(&seen.source.mailbox)
                    .push_bind(&seen.source.location)
                    .push_bind(seen.message_id)
                    .push_bind(seen.outcome)
                    .push_bind(seen.reason)
                    .push_bind(seen.raw_sha256)
                    .push_bind(seen.message_ref)
                    .push_bind(seen.application_id)
                    .push_bind(now);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        for rows in later.received.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO status_history (application_id, status, note, actor, changed_at) ",
            );
            insert.push_values(rows, |mut row, (application_id, mailbox)| {
                row.push_bind(*application_id)
                    .push_bind("received")
                    .push_bind(format!("filed from {mailbox}"))
                    .push_bind("applymail")
                    .push_bind(now);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        for rows in later.links.chunks(1_000) {
            let mut insert = QueryBuilder::new("INSERT INTO application_messages (application_id, message_id) ");
            insert.push_values(rows, |mut row, (application_id, message_ref)| {
                row.push_bind(*application_id).push_bind(*message_ref);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *$tx).await?;
        }
        for rows in later.documents.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO documents (application_id, message_id, position, kind, source, filename, content_type, sha256, size) ",
            );
            insert.push_values(rows, |mut row, (application_id, message_ref, position, doc)| {
                row.push_bind(*application_id)
                    .push_bind(*message_ref)
                    .push_bind(*position as i64)
                    .push_bind(doc.kind.as_str())
                    .push_bind(doc.source.as_str())
                    .push_bind(&doc.filename)
                    .push_bind(&doc.content_type)
                    .push_bind(&doc.sha256)
                    .push_bind(doc.size as i64);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        for rows in later.acknowledgements.chunks(1_000) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO acknowledgements (application_id, state, reason, message_id, in_reply_to, refs, next_attempt_at, queued_at) ",
            );
            insert.push_values(rows, |mut row, ack| {
                let (state, reason, ack_id) = match ack.intent {
                    AckIntent::Send { message_id } => ("pending", None, Some(message_id.as_str())),
                    AckIntent::Skip(why) => ("skipped", Some(why.as_str()), None),
                };
                let message = ack.message;
                let refs: Vec<&str> = message.references.iter().map(String::as_str).chain(message.message_id.as_deref()).collect();
                row.push_bind(ack.application_id)
                    .push_bind(state)
                    .push_bind(reason)
                    .push_bind(ack_id)
                    .push_bind(message.message_id.as_deref())
                    .push_bind(refs.join(" "))
                    .push_bind(now)
                    .push_bind(now);
            });
            insert.build().execute(&mut *$tx).await?;
        }
    }};
}

/// The same message already recorded elsewhere as `message_ref`: note the new coordinates,
/// change nothing.
macro_rules! duplicate {
    ($tx:ident, $later:ident, $source:expr, $message:expr, $message_ref:expr) => {{
        let message: &MessageRow = $message;
        let message_ref: i64 = $message_ref;
        // Links made in this group are not written yet; a message recorded before it has
        // only links made before it.
        let application = match $later.first_link(message_ref) {
            Some(application_id) => Some(application_id),
            None => sqlx::query_as::<_, (i64,)>(
                "SELECT application_id FROM application_messages WHERE message_id = $1 ORDER BY application_id LIMIT 1",
            )
            .bind(message_ref)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|(id,)| id),
        };
        let seen = Seen {
            message_ref: Some(message_ref),
            application_id: application,
            ..Seen::new($source, message.message_id.as_deref(), "duplicate")
        };
        $later.seen.push(seen);
        Recorded::Duplicate
    }};
}

macro_rules! insert_message {
    ($tx:ident, $known:ident, $source:expr, $message:expr) => {{
        let message: &MessageRow = $message;
        let source: &SourceRef = $source;
        let direction = match message.direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO messages (direction, message_id, dedupe_key, in_reply_to, refs, from_address, recipients,
                                   subject, sent_at, raw_sha256, raw_size, mailbox, location, forwarded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(direction)
        .bind(message.message_id.as_deref())
        .bind(message.dedupe_key())
        .bind(message.in_reply_to.join(" "))
        .bind(message.references.join(" "))
        .bind(message.from_address.as_ref().map(EmailAddress::as_str))
        .bind(message.recipients.iter().map(EmailAddress::as_str).collect::<Vec<_>>().join(", "))
        .bind(&message.subject)
        .bind(message.sent_at)
        .bind(&message.raw_sha256)
        .bind(message.raw_size as i64)
        .bind(&source.mailbox)
        .bind(&source.location)
        .bind(message.forwarded_by.as_ref().map(EmailAddress::as_str))
        .bind(Utc::now())
        .fetch_one(&mut *$tx)
        .await?;
        $known.messages.insert(message.dedupe_key(), id);
        id
    }};
}

/// Records an inbound message, its link and its documents under an application; evaluates
/// to the message's row id.
macro_rules! attach_inbound {
    ($tx:ident, $known:ident, $later:ident, $source:expr, $message:expr, $application_id:expr, $documents:expr, $new_application:expr) => {{
        let message: &MessageRow = $message;
        let application_id: i64 = $application_id;
        let message_ref = insert_message!($tx, $known, $source, message);
        $later.links.push((application_id, message_ref));
        $later.documents.extend($documents.iter().enumerate().map(|(position, doc)| (application_id, message_ref, position, doc)));
        // A new application was created with this message's date.
        if !$new_application {
            sqlx::query("UPDATE applications SET last_inbound_at = CASE WHEN last_inbound_at < $2 THEN $2 ELSE last_inbound_at END WHERE id = $1")
                .bind(application_id)
                .bind(message.sent_at)
                .execute(&mut *$tx)
                .await?;
        }
        message_ref
    }};
}

/// Runs `select` (which ends with `IN (`) over a list of values; an empty list selects
/// nothing.
macro_rules! ids_where_in {
    ($pool:ident, $select:expr, $values:expr) => {{
        let values: Vec<&str> = $values.collect();
        if values.is_empty() {
            Vec::new()
        } else {
            let mut query = QueryBuilder::new($select);
            let mut list = query.separated(", ");
            for value in values {
                list.push_bind(value);
            }
            query.push(")");
            let rows: Vec<(i64,)> = query.build_query_as().fetch_all($pool).await?;
            rows.into_iter().map(|(id,)| id).collect::<Vec<i64>>()
        }
    }};
}

/// Files a new inbound message: a new application, or a follow-up to the candidate's
/// application for the same posting; evaluates to what it became.
macro_rules! file_application {
    ($tx:ident, $known:ident, $later:ident, $source:expr, $message:expr, $filing:expr, $documents:expr) => {{
        let source: &SourceRef = $source;
        let message: &MessageRow = $message;
        let filing: &FilingRow = $filing;
        let now = Utc::now();
        let (candidate_id,): (i64,) = sqlx::query_as(
            "INSERT INTO candidates (email, last_name, first_name, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET
                 last_name = CASE WHEN candidates.last_name = '' THEN excluded.last_name ELSE candidates.last_name END,
                 first_name = CASE WHEN candidates.first_name = '' THEN excluded.first_name ELSE candidates.first_name END
             RETURNING id",
        )
        .bind(filing.candidate.as_str())
        .bind(&filing.name.last_name)
        .bind(&filing.name.first_name)
        .bind(now)
        .fetch_one(&mut *$tx)
        .await?;
        let created: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO applications (candidate_id, posting, subject_nonconforming, received_at, last_inbound_at)
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (candidate_id, posting) DO NOTHING RETURNING id",
        )
        .bind(candidate_id)
        .bind(filing.posting.as_str())
        .bind(filing.subject_nonconforming)
        .bind(message.sent_at)
        .fetch_optional(&mut *$tx)
        .await?;
        let recorded = match created {
            None => {
                let (application_id,): (i64,) = sqlx::query_as("SELECT id FROM applications WHERE candidate_id = $1 AND posting = $2")
                    .bind(candidate_id)
                    .bind(filing.posting.as_str())
                    .fetch_one(&mut *$tx)
                    .await?;
                Recorded::FollowUp { application_id }
            }
            Some((application_id,)) => {
                $later.received.push((application_id, source.mailbox.as_str()));
                if let Some(intent) = &filing.acknowledgement {
                    $later.acknowledgements.push(AckRow { application_id, intent, message });
                }
                Recorded::Filed { application_id }
            }
        };
        let application_id = recorded.application_id().unwrap_or_default();
        let new_application = matches!(recorded, Recorded::Filed { .. });
        let message_ref = attach_inbound!($tx, $known, $later, source, message, application_id, $documents, new_application);
        let seen = Seen {
            message_ref: Some(message_ref),
            application_id: Some(application_id),
            ..Seen::new(source, message.message_id.as_deref(), recorded.outcome())
        };
        $later.seen.push(seen);
        recorded
    }};
}

/// Records a message that continues a known application; evaluates to what it became.
macro_rules! record_follow_up {
    ($tx:ident, $known:ident, $later:ident, $source:expr, $message:expr, $application_id:expr, $documents:expr) => {{
        let message: &MessageRow = $message;
        let application_id: i64 = $application_id;
        let message_ref = attach_inbound!(
            $tx,
            $known,
            $later,
            $source,
            message,
            application_id,
            $documents,
            false
        );
        let seen = Seen {
            message_ref: Some(message_ref),
            application_id: Some(application_id),
            ..Seen::new($source, message.message_id.as_deref(), "followup")
        };
        $later.seen.push(seen);
        Recorded::FollowUp { application_id }
    }};
}

/// Records mail that leaves only its ledger row (ignored, quarantined); evaluates to
/// `$recorded`, or to `AlreadySeen` when the ledger knows these coordinates.
macro_rules! ledger_only {
    ($known:ident, $later:ident, $seen:expr, $recorded:expr) => {{
        let seen: Seen<'_> = $seen;
        if $known.holds(seen.source) || $later.holds(seen.source) {
            Recorded::AlreadySeen
        } else {
            $later.seen.push(seen);
            $recorded
        }
    }};
}

/// Records an outbound message that answers these applications; they become `replied`.
macro_rules! record_answer {
    ($tx:ident, $known:ident, $later:ident, $source:expr, $message:expr, $application_ids:expr) => {{
        let message: &MessageRow = $message;
        let application_ids: &[i64] = $application_ids;
        let message_ref = insert_message!($tx, $known, $source, message);
        for &application_id in application_ids {
            $later.links.push((application_id, message_ref));
            sqlx::query(
                "UPDATE applications SET reply_status = 'replied',
                     last_outbound_at = CASE WHEN last_outbound_at IS NULL OR last_outbound_at < $2 THEN $2 ELSE last_outbound_at END
                 WHERE id = $1",
            )
            .bind(application_id)
            .bind(message.sent_at)
            .execute(&mut *$tx)
            .await?;
        }
        let seen = Seen {
            message_ref: Some(message_ref),
            application_id: application_ids.first().copied(),
            ..Seen::new($source, message.message_id.as_deref(), "outbound")
        };
        $later.seen.push(seen);
        Recorded::Outbound { application_ids: application_ids.to_vec() }
    }};
}

/// Evaluates to `Some(outcome)` when the message needs no new rows: the ledger knows these
/// coordinates, or the dedupe key knows the message (then the new coordinates are noted).
macro_rules! known_message {
    ($tx:ident, $known:ident, $later:ident, $source:expr, $message:expr) => {{
        let message: &MessageRow = $message;
        if $known.holds($source) || $later.holds($source) {
            Some(Recorded::AlreadySeen)
        } else if let Some(&message_ref) = $known.messages.get(&message.dedupe_key()) {
            Some(duplicate!($tx, $later, $source, message, message_ref))
        } else {
            None
        }
    }};
}

impl Known {
    fn holds(&self, source: &SourceRef) -> bool {
        self.seen
            .get(&source.mailbox)
            .is_some_and(|locations| locations.contains(&source.location))
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
    /// PostgreSQL server), so what the group needs to know is asked once ([`Known`]) and
    /// what nothing reads back is written once per table at the end ([`Later`]): a new
    /// application costs three statements of its own (candidate, application, message).
    pub async fn record(&self, writes: &[Write]) -> Result<Vec<Recorded>, StoreError> {
        with_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let mut outcomes = Vec::with_capacity(writes.len());
            let mut known = known_before!(tx, writes);
            let mut later = Later::default();
            for write in writes {
                let source = &write.source;
                let message_id = write.message_id.as_deref();
                let recorded: Recorded = match &write.kind {
                    WriteKind::Ignored { reason } => {
                        let seen = Seen { reason: Some(reason), ..Seen::new(source, message_id, "ignored") };
                        ledger_only!(known, later, seen, Recorded::Ignored)
                    }
                    WriteKind::Quarantined { raw_sha256, error } => {
                        let seen = Seen { reason: Some(error), raw_sha256: raw_sha256.as_deref(), ..Seen::new(source, message_id, "quarantined") };
                        ledger_only!(known, later, seen, Recorded::Quarantined)
                    }
                    WriteKind::Application { message, filing, documents } => {
                        match known_message!(tx, known, later, source, message) {
                            Some(known) => known,
                            None => file_application!(tx, known, later, source, message, filing, documents),
                        }
                    }
                    WriteKind::FollowUp { message, application_id, documents } => {
                        match known_message!(tx, known, later, source, message) {
                            Some(known) => known,
                            None => record_follow_up!(tx, known, later, source, message, *application_id, documents),
                        }
                    }
                    WriteKind::Outbound { message, application_ids } => {
                        match known_message!(tx, known, later, source, message) {
                            Some(known) => known,
                            None => record_answer!(tx, known, later, source, message, application_ids),
                        }
                    }
                };
                outcomes.push(recorded);
            }
            write_later!(tx, &later);
            tx.commit().await?;
            Ok(outcomes)
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
            let mut ids = ids_where_in!(
                pool,
                "SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.email IN (",
                message.recipients.iter().map(EmailAddress::as_str)
            );
            if by_thread {
                ids.extend(ids_where_in!(
                    pool,
                    "SELECT am.application_id FROM application_messages am
                     JOIN messages m ON m.id = am.message_id
                     WHERE m.direction = 'inbound' AND m.message_id IN (",
                    message.thread_ids().map(String::as_str)
                ));
            }
            ids.sort_unstable();
            ids.dedup();
            Ok(ids)
        })
    }
}
