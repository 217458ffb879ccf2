//! The statements of a group's transaction. Each writes one table for the whole group (a
//! chunk at a time): a statement is a round trip, and the group's rows are known before the
//! first one is written ([`Plan`]).
//!
//! These statements are not kept prepared (`persistent(false)`): their text depends on how
//! many rows they carry, and sqlx would cache one prepared statement per distinct size on
//! every connection, a few megabytes for nothing. Preparing them again costs a fraction of a
//! millisecond per group.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sqlx::QueryBuilder;

use super::plan::{ApplicationRow, BounceRow, Inserted, Known, Later, Plan, Touch};
use crate::domain::email::EmailAddress;
use crate::domain::identity::tombstone;
use crate::domain::named::Named;
use crate::domain::record::{AckIntent, Decision, DecisionKind};
use crate::store::answers::SENT_BY_APPLYMAIL;
use crate::store::sql::{CHUNK, rows_at, rows_in};
use crate::store::{StoreError, Tx, dispatch};

/// The error for a row a statement of the group should have returned and did not. It names
/// the table only: the key is a candidate's address or a message's identity.
fn missing_row(table: &'static str) -> StoreError {
    StoreError::Query(sqlx::Error::Protocol(format!(
        "the database returned no {table} row for one of the group's messages"
    )))
}

/// Asks, for the whole group at once, which of its coordinates the ledger holds, which of its
/// messages are recorded, and which were erased ([`Known`]).
pub(super) async fn known_before(
    tx: &mut Tx,
    decisions: &[Decision],
    tombstone_key: &[u8; 32],
) -> Result<Known, StoreError> {
    let mut known = Known::default();
    let mut mailboxes: Vec<&str> = decisions
        .iter()
        .map(|d| d.source.mailbox.as_str())
        .collect();
    mailboxes.sort_unstable();
    mailboxes.dedup();
    for mailbox in mailboxes {
        let locations: Vec<&str> = decisions
            .iter()
            .filter(|d| d.source.mailbox == mailbox)
            .map(|d| d.source.location.as_str())
            .collect();
        let rows: Vec<(String,)> = rows_at(
            tx,
            "SELECT location FROM mail_seen WHERE mailbox = ",
            mailbox,
            &locations,
            "",
        )
        .await?;
        known
            .seen
            .entry(mailbox.to_owned())
            .or_default()
            .extend(rows.into_iter().map(|(location,)| location));
    }
    let keys: Vec<String> = decisions
        .iter()
        .filter_map(|d| d.kind.message())
        .flat_map(|message| message.identity.keys())
        .collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    known.messages.extend(
        rows_in::<(String, i64), _>(
            tx,
            "SELECT dedupe_key, id FROM messages WHERE dedupe_key IN ",
            &key_refs,
            "",
        )
        .await?,
    );
    known.erased = erased_keys(tx, &keys, tombstone_key).await?;
    known
        .messages
        .extend(answers_sent_before(tx, decisions).await?);
    Ok(known)
}

/// The group's outbound messages that are answers applymail itself sent, met again in the
/// Sent folder (its own copy, or the one the SMTP server filed there): known by their
/// Message-ID, whatever their bytes, so that an answer is one message of the thread.
/// Returns each one's identity key with the row recorded when it was sent.
async fn answers_sent_before(
    tx: &mut Tx,
    decisions: &[Decision],
) -> Result<Vec<(String, i64)>, StoreError> {
    let outbound: Vec<(&str, &crate::domain::record::MessageFacts)> = decisions
        .iter()
        .filter_map(|d| match &d.kind {
            DecisionKind::Outbound { message, .. } => {
                Some((message.message_id.as_deref()?, message))
            }
            _ => None,
        })
        .collect();
    let ids: Vec<&str> = outbound.iter().map(|(id, _)| *id).collect();
    let head = format!(
        "SELECT message_id, id FROM messages WHERE mailbox = '{SENT_BY_APPLYMAIL}' AND message_id IN "
    );
    let found: HashMap<String, i64> = rows_in::<(String, i64), _>(tx, &head, &ids, "")
        .await?
        .into_iter()
        .collect();
    Ok(outbound
        .into_iter()
        .filter_map(|(id, message)| Some((message.identity.key(), *found.get(id)?)))
        .collect())
}

/// Those of these identity keys whose message was erased (its tombstone is stored).
pub(super) async fn erased_keys(
    tx: &mut Tx,
    keys: &[String],
    tombstone_key: &[u8; 32],
) -> Result<HashSet<String>, StoreError> {
    let tombstones: HashMap<String, &str> = keys
        .iter()
        .map(|key| (tombstone(tombstone_key, key), key.as_str()))
        .collect();
    let stones: Vec<&str> = tombstones.keys().map(String::as_str).collect();
    let found: Vec<(String,)> = rows_in(
        tx,
        "SELECT tombstone FROM erased_identities WHERE tombstone IN ",
        &stones,
        "",
    )
    .await?;
    Ok(found
        .into_iter()
        .filter_map(|(stone,)| tombstones.get(&stone).map(|key| (*key).to_owned()))
        .collect())
}

/// Inserts the plan's candidates, applications and messages, a statement per table (per
/// chunk); returns their ids ([`Inserted`]).
pub(super) async fn insert_planned(tx: &mut Tx, plan: &Plan<'_>) -> Result<Inserted, StoreError> {
    let now = Utc::now();

    // A candidate known before keeps its name; an empty one takes the group's.
    let mut candidate_ids: HashMap<String, i64> = HashMap::with_capacity(plan.candidates.len());
    for rows in plan.candidates.chunks(CHUNK) {
        let returned: Vec<(String, i64)> = dispatch!(tx, tx => {
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
            insert.build_query_as().persistent(false).fetch_all(&mut **tx).await?
        });
        candidate_ids.extend(returned);
    }
    let mut applications: Vec<(i64, &ApplicationRow<'_>)> =
        Vec::with_capacity(plan.applications.len());
    for application in &plan.applications {
        let email = plan.candidates[application.candidate].email;
        let id = candidate_ids
            .get(email)
            .copied()
            .ok_or_else(|| missing_row("candidates"))?;
        applications.push((id, application));
    }

    // An application that exists already is not created again: its first message in the
    // group joins it.
    let mut application_ids: HashMap<(i64, String), (i64, bool)> =
        HashMap::with_capacity(applications.len());
    for rows in applications.chunks(CHUNK) {
        let created: Vec<(i64, String, i64)> = dispatch!(tx, tx => {
            let mut insert = QueryBuilder::new(
                "INSERT INTO applications (candidate_id, posting, subject_nonconforming, forward_unverified, forwarded_inline, received_at, last_inbound_at) ",
            );
            insert.push_values(rows, |mut row, (candidate, application)| {
                row.push_bind(*candidate)
                    .push_bind(application.posting.as_str())
                    .push_bind(application.subject_nonconforming)
                    .push_bind(application.forward_unverified)
                    .push_bind(application.forwarded_inline)
                    .push_bind(application.received_at)
                    .push_bind(application.received_at);
            });
            insert.push(" ON CONFLICT (candidate_id, posting) DO NOTHING RETURNING candidate_id, posting, id");
            insert.build_query_as().persistent(false).fetch_all(&mut **tx).await?
        });
        for (candidate, posting, id) in created {
            application_ids.insert((candidate, posting), (id, true));
        }
    }
    let mut existing: Vec<i64> = applications
        .iter()
        .filter(|(candidate, application)| {
            !application_ids.contains_key(&(*candidate, application.posting.as_str().to_owned()))
        })
        .map(|(candidate, _)| *candidate)
        .collect();
    existing.sort_unstable();
    existing.dedup();
    let found: Vec<(i64, String, i64)> = rows_in(
        tx,
        "SELECT candidate_id, posting, id FROM applications WHERE candidate_id IN ",
        &existing,
        "",
    )
    .await?;
    for (candidate, posting, id) in found {
        application_ids
            .entry((candidate, posting))
            .or_insert((id, false));
    }
    let mut application_rows = Vec::with_capacity(applications.len());
    for (candidate, application) in &applications {
        let id = application_ids
            .get(&(*candidate, application.posting.as_str().to_owned()))
            .copied();
        application_rows.push(id.ok_or_else(|| missing_row("applications"))?);
    }

    let mut message_ids: HashMap<String, i64> = HashMap::with_capacity(plan.messages.len());
    for rows in plan.messages.chunks(CHUNK) {
        let returned: Vec<(String, i64)> = dispatch!(tx, tx => {
            let mut insert = QueryBuilder::new(
                "INSERT INTO messages (direction, message_id, dedupe_key, in_reply_to, refs, from_address, recipients,
                                       reply_to, subject, sent_at, arrived_at, raw_digest, raw_size, mailbox, location, forwarded_by,
                                       recorded_at) ",
            );
            insert.push_values(rows, |mut row, new| {
                let message = new.row;
                row.push_bind(message.direction.as_str())
                    .push_bind(message.message_id.as_deref())
                    .push_bind(&new.key)
                    .push_bind(message.in_reply_to.join(" "))
                    .push_bind(message.references.join(" "))
                    .push_bind(message.from_address.as_ref().map(EmailAddress::as_str))
                    .push_bind(message.recipients.iter().map(EmailAddress::as_str).collect::<Vec<_>>().join(", "))
                    .push_bind(message.reply_to.as_ref().map(EmailAddress::as_str))
                    .push_bind(&message.subject)
                    .push_bind(message.date)
                    .push_bind(message.arrived_at)
                    .push_bind(message.identity.digest())
                    .push_bind(message.raw_size as i64)
                    .push_bind(&new.source.mailbox)
                    .push_bind(&new.source.location)
                    .push_bind(message.forwarded_by.as_ref().map(EmailAddress::as_str))
                    .push_bind(now);
            });
            insert.push(" RETURNING dedupe_key, id");
            insert.build_query_as().persistent(false).fetch_all(&mut **tx).await?
        });
        message_ids.extend(returned);
    }
    let mut messages = Vec::with_capacity(plan.messages.len());
    for new in &plan.messages {
        messages.push(
            message_ids
                .get(&new.key)
                .copied()
                .ok_or_else(|| missing_row("messages"))?,
        );
    }

    // A message recorded before the group has only the links made before it.
    let first_links_before: Vec<(i64, i64)> = rows_in(
        tx,
        "SELECT message_id, MIN(application_id) FROM application_messages WHERE message_id IN ",
        &plan.duplicated_before,
        " GROUP BY message_id",
    )
    .await?;
    Ok(Inserted {
        applications: application_rows,
        messages,
        first_links_before: first_links_before.into_iter().collect(),
    })
}

/// Writes the rows that refer to the inserted ones ([`Later`]).
pub(super) async fn write_later(tx: &mut Tx, later: &Later<'_>) -> Result<(), StoreError> {
    let now = Utc::now();
    for rows in later.seen.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut insert = QueryBuilder::new(
                "INSERT INTO mail_seen (mailbox, location, message_id, outcome, reason, raw_sha256, raw_size, message_ref,
                                        application_id, seen_at) ",
            );
            insert.push_values(rows, |mut row, seen| {
                row.push_bind(&seen.source.mailbox)
                    .push_bind(&seen.source.location)
                    .push_bind(seen.message_id)
                    .push_bind(seen.outcome.as_str())
                    .push_bind(seen.reason)
                    .push_bind(seen.raw_sha256)
                    .push_bind(seen.raw_size.map(|n| n as i64))
                    .push_bind(seen.message_ref)
                    .push_bind(seen.application_id)
                    .push_bind(now);
            });
            insert.build().persistent(false).execute(&mut **tx).await?;
        });
    }
    for rows in later.received.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut insert = QueryBuilder::new("INSERT INTO status_history (application_id, status, note, actor, changed_at) ");
            insert.push_values(rows, |mut row, (application_id, mailbox)| {
                row.push_bind(*application_id)
                    .push_bind("received")
                    .push_bind(format!("filed from {mailbox}"))
                    .push_bind("applymail")
                    .push_bind(now);
            });
            insert.build().persistent(false).execute(&mut **tx).await?;
        });
    }
    for rows in later.links.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut insert = QueryBuilder::new("INSERT INTO application_messages (application_id, message_id) ");
            insert.push_values(rows, |mut row, (application_id, message_ref)| {
                row.push_bind(*application_id).push_bind(*message_ref);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().persistent(false).execute(&mut **tx).await?;
        });
    }
    for rows in later.documents.chunks(CHUNK) {
        dispatch!(tx, tx => {
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
            insert.build().persistent(false).execute(&mut **tx).await?;
        });
    }
    for rows in later.acknowledgements.chunks(CHUNK) {
        dispatch!(tx, tx => {
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
            insert.build().persistent(false).execute(&mut **tx).await?;
        });
    }
    // Resends, answers and unverified forwards: few in any group, one statement each.
    for touch in &later.touches {
        let (sql, application_id, at) = match *touch {
            Touch::Inbound(application_id, at) => (
                "UPDATE applications SET last_inbound_at = CASE WHEN last_inbound_at < $2 THEN $2 ELSE last_inbound_at END WHERE id = $1",
                application_id,
                Some(at),
            ),
            Touch::Answered(application_id, at) => (
                "UPDATE applications SET reply_status = 'replied',
                     last_outbound_at = CASE WHEN last_outbound_at IS NULL OR last_outbound_at < $2 THEN $2 ELSE last_outbound_at END
                 WHERE id = $1",
                application_id,
                Some(at),
            ),
            Touch::ForwardUnverified(application_id) => {
                ("UPDATE applications SET forward_unverified = TRUE WHERE id = $1", application_id, None)
            }
            Touch::ForwardedInline(application_id) => {
                ("UPDATE applications SET forwarded_inline = TRUE WHERE id = $1", application_id, None)
            }
        };
        dispatch!(tx, tx => {
            let query = sqlx::query(sql).bind(application_id);
            match at {
                Some(at) => query.bind(at).execute(&mut **tx).await?,
                None => query.execute(&mut **tx).await?,
            };
        });
    }
    Ok(())
}

/// The group's messages are recorded: their attempts are no longer counted.
pub(super) async fn forget_attempts(tx: &mut Tx, decisions: &[Decision]) -> Result<(), StoreError> {
    let mut by_mailbox: HashMap<&str, HashSet<&str>> = HashMap::new();
    for decision in decisions {
        by_mailbox
            .entry(decision.source.mailbox.as_str())
            .or_default()
            .insert(decision.source.location.as_str());
    }
    for (mailbox, locations) in by_mailbox {
        let locations: Vec<&str> = locations.into_iter().collect();
        crate::store::attempts::forget(tx, mailbox, &locations).await?;
    }
    Ok(())
}

/// The bounces of the group's delivery reports: a row per failed address that is a
/// candidate's when the transaction runs (an `INSERT … SELECT` over `candidates`, so a
/// stranger's address, or an erased person's, writes nothing). One statement per address:
/// reports are rare, and name one or two addresses.
pub(super) async fn insert_bounces(
    tx: &mut Tx,
    bounces: &[BounceRow<'_>],
) -> Result<(), StoreError> {
    for bounce in bounces {
        dispatch!(tx, tx => {
            sqlx::query(
                "INSERT INTO bounces (candidate_id, permanent, status, report_id, reported_at)
                 SELECT c.id, $1, $2, $3, $4 FROM candidates c WHERE c.email = $5
                 ON CONFLICT DO NOTHING",
            )
            .bind(bounce.permanent)
            .bind(bounce.status)
            .bind(bounce.report_id)
            .bind(bounce.reported_at)
            .bind(bounce.email)
            .execute(&mut **tx)
            .await?;
        });
    }
    Ok(())
}
