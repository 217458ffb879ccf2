//! The writes of the ingestion pipeline. [`Store::record`] writes a group of messages in one
//! transaction, which ends with the group's rows in `mail_seen`, so a message is either wholly
//! recorded or not at all, and recording it twice is refused by the ledger's unique key.
//!
//! Within the transaction every statement is a round trip (to sqlx's SQLite thread, or to the
//! PostgreSQL server), so the group is decided first ([`plan`]) and written one table at a
//! time ([`write`]): a group costs about ten statements, whatever its size.

mod later;
mod plan;
mod write;

use self::plan::Plan;
use super::blobs::NewBlob;
use super::sql::rows_in;
use super::{Store, StoreError, dispatch};
use crate::domain::email::EmailAddress;
use crate::domain::outcome::Outcome;
use crate::domain::record::{Decision, MessageFacts};
use crate::domain::source::SourceRef;

/// Message-IDs of a thread looked up at most: mail clients keep the last few dozen in
/// References, and a sender controls how many there are.
const THREAD_IDS: usize = 100;

impl Store {
    /// Whether these coordinates were recorded before.
    pub async fn seen(&self, source: &SourceRef) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT id FROM mail_seen WHERE mailbox = $1 AND location = $2")
                .bind(&source.mailbox)
                .bind(&source.location)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some())
    }

    /// Those of these identity keys whose message was erased: met again, it is not kept.
    pub async fn erased(
        &self,
        keys: &[String],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        if keys.is_empty() {
            return Ok(Default::default());
        }
        let mut tx = self.pool.begin_read().await?;
        write::erased_keys(&mut tx, keys, &self.tombstone_key).await
    }

    /// Records messages in one transaction, in order, and says what each became. A later
    /// message sees the rows of the earlier ones (a resend in the same group is a follow-up
    /// or a duplicate).
    pub async fn record(&self, decisions: &[Decision]) -> Result<Vec<Outcome>, StoreError> {
        let nothing_to_wait_for = || std::future::ready(Ok::<(), std::convert::Infallible>(()));
        let Ok(outcomes) = self
            .record_after(decisions, &[], nothing_to_wait_for)
            .await?;
        Ok(outcomes)
    }

    /// [`Store::record`], with the contents the rows name that are kept in the database
    /// (`new_blobs`, stored in the same transaction unless stored already), committing only
    /// once `durable` has succeeded after the rows are written. `durable` starts once no file
    /// can be deleted any more before the commit (see
    /// [`super::BeginWrite::begin_naming_blobs`]), so it is where to check that the files the
    /// rows name still exist. When it fails, nothing is committed and its error is returned
    /// inside.
    pub async fn record_after<E, F>(
        &self,
        decisions: &[Decision],
        new_blobs: &[NewBlob],
        durable: impl FnOnce() -> F,
    ) -> Result<Result<Vec<Outcome>, E>, StoreError>
    where
        F: Future<Output = Result<(), E>>,
    {
        let mut tx = self.pool.begin_naming_blobs().await?;
        let durable = durable();
        super::blobs::insert_new(&mut tx, new_blobs).await?;
        let known = write::known_before(&mut tx, decisions, &self.tombstone_key).await?;
        let plan = Plan::new(decisions, known);
        let inserted = write::insert_planned(&mut tx, &plan).await?;
        // After the group's candidates: a report and the application it bounces for may
        // arrive in one group.
        write::insert_bounces(&mut tx, &plan.bounces).await?;
        let (outcomes, later) = plan.resolve(&inserted);
        write::write_later(&mut tx, &later).await?;
        write::forget_attempts(&mut tx, decisions).await?;
        if let Err(err) = durable.await {
            // Dropping the transaction rolls it back.
            return Ok(Err(err));
        }
        tx.commit().await?;
        Ok(Ok(outcomes))
    }

    /// The sender's application that a message without the posting's subject continues: one
    /// whose messages it answers or references (the last [`THREAD_IDS`] of them).
    pub async fn thread_application(
        &self,
        sender: &EmailAddress,
        thread_ids: &[String],
    ) -> Result<Option<i64>, StoreError> {
        let ids: Vec<&str> = last(thread_ids).iter().map(String::as_str).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let mut tx = self.pool.begin_read().await?;
        let head = "SELECT a.id FROM applications a
             JOIN candidates c ON c.id = a.candidate_id
             JOIN application_messages am ON am.application_id = a.id
             JOIN messages m ON m.id = am.message_id
             WHERE c.email = ";
        // The sender's address is the first value of every chunk's statement.
        let mut found: Vec<(i64,)> = Vec::new();
        for chunk in ids.chunks(super::sql::CHUNK) {
            let mut values = vec![sender.as_str()];
            values.extend_from_slice(chunk);
            let rows: Vec<(i64,)> = dispatch!(&mut tx, tx => {
                let mut query = sqlx::QueryBuilder::new(head);
                query.push_bind(values[0]).push(" AND m.message_id IN (");
                let mut list = query.separated(", ");
                for id in &values[1..] {
                    list.push_bind(*id);
                }
                query.push(")");
                query.build_query_as().persistent(false).fetch_all(&mut **tx).await?
            });
            found.extend(rows);
        }
        Ok(found.into_iter().map(|(id,)| id).min())
    }

    /// The applications an outbound message answers: those whose candidate it is addressed
    /// to, directly or at the Reply-To address of one of their messages, and (when
    /// `by_thread`) those whose messages it replies to or references.
    pub async fn answered_applications(
        &self,
        message: &MessageFacts,
        by_thread: bool,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let recipients: Vec<&str> = message
            .recipients
            .iter()
            .map(EmailAddress::as_str)
            .collect();
        let mut ids: Vec<(i64,)> = rows_in(
            &mut tx,
            "SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.email IN ",
            &recipients,
            "",
        )
        .await?;
        ids.extend(
            rows_in::<(i64,), _>(
                &mut tx,
                "SELECT am.application_id FROM application_messages am
                 JOIN messages m ON m.id = am.message_id
                 WHERE m.direction = 'inbound' AND m.reply_to IN ",
                &recipients,
                "",
            )
            .await?,
        );
        if by_thread {
            let thread: Vec<String> = message.thread_ids().cloned().collect();
            let thread: Vec<&str> = last(&thread).iter().map(String::as_str).collect();
            ids.extend(
                rows_in::<(i64,), _>(
                    &mut tx,
                    "SELECT am.application_id FROM application_messages am
                     JOIN messages m ON m.id = am.message_id
                     WHERE m.direction = 'inbound' AND m.message_id IN ",
                    &thread,
                    "",
                )
                .await?,
            );
        }
        let mut ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

/// The last [`THREAD_IDS`] of a thread's Message-IDs: the nearest ancestors.
fn last(ids: &[String]) -> &[String] {
    &ids[ids.len().saturating_sub(THREAD_IDS)..]
}
