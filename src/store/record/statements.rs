//! The statements of a group's transaction, as macros so that one text serves both backends'
//! connection types. Each writes one table for the whole group: a statement is a round trip
//! (to sqlx's SQLite thread, or to the PostgreSQL server), and the group's rows are known
//! before the first one is written ([`Plan`](super::plan::Plan)).
//!
//! These statements are not kept prepared (`persistent(false)`): their text depends on how
//! many rows they carry, and sqlx would cache one prepared statement per distinct size on
//! every connection, a few megabytes for nothing (peak RSS of a 2,000-message backfill, 44
//! against 48 MB). Preparing them again costs a fraction of a millisecond per group.

/// Rows per statement: at most 15 parameters a row, well within SQLite's 32,766 and
/// PostgreSQL's 65,535 per statement.
pub(super) const ROWS_PER_STATEMENT: usize = 1_000;

/// Whether these coordinates are in the ledger.
macro_rules! is_seen {
    ($conn:ident, $source:expr) => {{
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM mail_seen WHERE mailbox = $1 AND location = $2")
                .bind(&$source.mailbox)
                .bind(&$source.location)
                .fetch_optional(&mut *$conn)
                .await?;
        row.is_some()
    }};
}
pub(super) use is_seen;

/// Runs `select` (which ends with `IN (`, and selects rows of type `$row`) over a list of
/// binds, a chunk at a time, closing the list with `$end`; evaluates to every row. An empty
/// list costs no statement.
macro_rules! rows_where_in {
    ($conn:expr, $select:expr, $values:expr, $end:expr, $row:ty) => {{
        let values: Vec<_> = $values;
        let mut rows: Vec<$row> = Vec::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::new($select);
            let mut list = query.separated(", ");
            for value in chunk {
                list.push_bind(*value);
            }
            query.push($end);
            rows.extend(
                query
                    .build_query_as::<$row>()
                    .persistent(false)
                    .fetch_all($conn)
                    .await?,
            );
        }
        rows
    }};
}
pub(super) use rows_where_in;

/// Asks, for the whole group at once, which of its coordinates the ledger holds and which of
/// its messages are recorded ([`Known`]).
macro_rules! known_before {
    ($tx:ident, $writes:expr) => {{
        let writes: &[Write] = $writes;
        let mut known = Known::default();
        let mut mailboxes: Vec<&str> = writes.iter().map(|w| w.source.mailbox.as_str()).collect();
        mailboxes.sort_unstable();
        mailboxes.dedup();
        for mailbox in mailboxes {
            let locations: Vec<&str> = writes
                .iter()
                .filter(|w| w.source.mailbox == mailbox)
                .map(|w| w.source.location.as_str())
                .collect();
            for chunk in locations.chunks(ROWS_PER_STATEMENT) {
                let mut query =
                    QueryBuilder::new("SELECT location FROM mail_seen WHERE mailbox = ");
                query.push_bind(mailbox).push(" AND location IN (");
                let mut list = query.separated(", ");
                for location in chunk {
                    list.push_bind(*location);
                }
                query.push(")");
                let rows: Vec<(String,)> = query
                    .build_query_as()
                    .persistent(false)
                    .fetch_all(&mut *$tx)
                    .await?;
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
            .flat_map(|message| [Some(message.dedupe_key()), message.sha256_dedupe_key()])
            .flatten()
            .collect();
        known.messages.extend(rows_where_in!(
            &mut *$tx,
            "SELECT dedupe_key, id FROM messages WHERE dedupe_key IN (",
            keys.iter().map(String::as_str).collect(),
            ")",
            (String, i64)
        ));
        known
    }};
}
pub(super) use known_before;

/// Inserts the plan's candidates, applications and messages, a statement per table;
/// evaluates to their ids ([`Inserted`]).
macro_rules! insert_planned {
    ($tx:ident, $plan:expr) => {{
        let plan: &Plan<'_> = $plan;
        let now = Utc::now();

        // A candidate known before keeps its name; an empty one takes the group's.
        let mut candidate_ids: HashMap<String, i64> = HashMap::with_capacity(plan.candidates.len());
        for rows in plan.candidates.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new("INSERT INTO candidates (email, last_name, first_name, created_at) ");
            insert.push_values(rows, |mut row, candidate| {
                row.push_bind(candidate.email)
                    .push_bind(candidate.last_name)
                    .push_bind(candidate.first_name)
                    .push_bind(now);
            });
            insert.push(
                " ON CONFLICT (email) DO UPDATE SET
                     last_name = CASE WHEN candidates.last_name = '' THEN excluded.last_name ELSE candidates.last_name END,
                     first_name = CASE WHEN candidates.first_name = '' THEN excluded.first_name ELSE candidates.first_name END
                 RETURNING email, id",
            );
            candidate_ids.extend(insert.build_query_as::<(String, i64)>().persistent(false).fetch_all(&mut *$tx).await?);
        }
        let mut applications: Vec<(i64, &ApplicationRow<'_>)> = Vec::with_capacity(plan.applications.len());
        for application in &plan.applications {
            let email = plan.candidates[application.candidate].email;
            let id = candidate_ids.get(email).copied().ok_or_else(|| missing_row("candidates"))?;
            applications.push((id, application));
        }

        // An application that exists already is not created again: its first message in
        // the group joins it.
        let mut application_ids: HashMap<(i64, &str), (i64, bool)> = HashMap::with_capacity(applications.len());
        let mut created: Vec<(i64, String, i64)> = Vec::new();
        for rows in applications.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO applications (candidate_id, posting, subject_nonconforming, forward_unverified, received_at, last_inbound_at) ",
            );
            insert.push_values(rows, |mut row, (candidate, application)| {
                row.push_bind(*candidate)
                    .push_bind(application.posting.as_str())
                    .push_bind(application.subject_nonconforming)
                    .push_bind(application.forward_unverified)
                    .push_bind(application.received_at)
                    .push_bind(application.received_at);
            });
            insert.push(" ON CONFLICT (candidate_id, posting) DO NOTHING RETURNING candidate_id, posting, id");
            created.extend(insert.build_query_as::<(i64, String, i64)>().persistent(false).fetch_all(&mut *$tx).await?);
        }
        for (candidate, posting, id) in &created {
            application_ids.insert((*candidate, posting.as_str()), (*id, true));
        }
        let mut existing: Vec<i64> = applications
            .iter()
            .filter(|(candidate, application)| !application_ids.contains_key(&(*candidate, application.posting.as_str())))
            .map(|(candidate, _)| *candidate)
            .collect();
        existing.sort_unstable();
        existing.dedup();
        let found = rows_where_in!(
            &mut *$tx,
            "SELECT candidate_id, posting, id FROM applications WHERE candidate_id IN (",
            existing,
            ")",
            (i64, String, i64)
        );
        for (candidate, posting, id) in &found {
            application_ids.entry((*candidate, posting.as_str())).or_insert((*id, false));
        }
        let mut application_rows = Vec::with_capacity(applications.len());
        for (candidate, application) in &applications {
            let posting = application.posting.as_str();
            let id = application_ids.get(&(*candidate, posting)).copied();
            application_rows.push(id.ok_or_else(|| missing_row("applications"))?);
        }

        let mut message_ids: HashMap<String, i64> = HashMap::with_capacity(plan.messages.len());
        for rows in plan.messages.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new(
                "INSERT INTO messages (direction, message_id, dedupe_key, in_reply_to, refs, from_address, recipients,
                                       subject, sent_at, raw_digest, raw_size, mailbox, location, forwarded_by, recorded_at) ",
            );
            insert.push_values(rows, |mut row, new| {
                let message = new.row;
                let direction = match message.direction {
                    Direction::Inbound => "inbound",
                    Direction::Outbound => "outbound",
                };
                row.push_bind(direction)
                    .push_bind(message.message_id.as_deref())
                    .push_bind(&new.key)
                    .push_bind(message.in_reply_to.join(" "))
                    .push_bind(message.references.join(" "))
                    .push_bind(message.from_address.as_ref().map(EmailAddress::as_str))
                    .push_bind(message.recipients.iter().map(EmailAddress::as_str).collect::<Vec<_>>().join(", "))
                    .push_bind(&message.subject)
                    .push_bind(message.sent_at)
                    .push_bind(&message.raw_digest)
                    .push_bind(message.raw_size as i64)
                    .push_bind(&new.source.mailbox)
                    .push_bind(&new.source.location)
                    .push_bind(message.forwarded_by.as_ref().map(EmailAddress::as_str))
                    .push_bind(now);
            });
            insert.push(" RETURNING dedupe_key, id");
            message_ids.extend(insert.build_query_as::<(String, i64)>().persistent(false).fetch_all(&mut *$tx).await?);
        }
        let mut messages = Vec::with_capacity(plan.messages.len());
        for new in &plan.messages {
            messages.push(message_ids.get(&new.key).copied().ok_or_else(|| missing_row("messages"))?);
        }

        // A message recorded before the group has only the links made before it.
        let first_links_before = rows_where_in!(
            &mut *$tx,
            "SELECT message_id, MIN(application_id) FROM application_messages WHERE message_id IN (",
            plan.duplicated_before.clone(),
            ") GROUP BY message_id",
            (i64, i64)
        );
        Inserted {
            applications: application_rows,
            messages,
            first_links_before: first_links_before.into_iter().collect(),
        }
    }};
}
pub(super) use insert_planned;

/// Writes the rows that refer to the inserted ones ([`Later`]).
macro_rules! write_later {
    ($tx:ident, $later:expr) => {{
        let later: &Later<'_> = $later;
        let now = Utc::now();
        for rows in later.seen.chunks(ROWS_PER_STATEMENT) {
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
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
        for rows in later.received.chunks(ROWS_PER_STATEMENT) {
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
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
        for rows in later.links.chunks(ROWS_PER_STATEMENT) {
            let mut insert = QueryBuilder::new("INSERT INTO application_messages (application_id, message_id) ");
            insert.push_values(rows, |mut row, (application_id, message_ref)| {
                row.push_bind(*application_id).push_bind(*message_ref);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
        for rows in later.documents.chunks(ROWS_PER_STATEMENT) {
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
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
        for rows in later.acknowledgements.chunks(ROWS_PER_STATEMENT) {
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
            insert.build().persistent(false).execute(&mut *$tx).await?;
        }
        // Resends, answers and unverified forwards: few in any group, one statement each.
        for touch in &later.touches {
            let query = match *touch {
                Touch::Inbound(application_id, at) => sqlx::query(
                    "UPDATE applications SET last_inbound_at = CASE WHEN last_inbound_at < $2 THEN $2 ELSE last_inbound_at END WHERE id = $1",
                )
                .bind(application_id)
                .bind(at),
                Touch::Answered(application_id, at) => sqlx::query(
                    "UPDATE applications SET reply_status = 'replied',
                         last_outbound_at = CASE WHEN last_outbound_at IS NULL OR last_outbound_at < $2 THEN $2 ELSE last_outbound_at END
                     WHERE id = $1",
                )
                .bind(application_id)
                .bind(at),
                Touch::ForwardUnverified(application_id) => {
                    sqlx::query("UPDATE applications SET forward_unverified = TRUE WHERE id = $1").bind(application_id)
                }
            };
            query.execute(&mut *$tx).await?;
        }
    }};
}
pub(super) use write_later;
