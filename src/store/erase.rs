//! Erasure: the retention purge and `forget`. Candidates' data is personal data (GDPR, and
//! Moroccan law 09-08): it is kept no longer than configured, and a person can be erased
//! entirely.
//!
//! One transaction deletes the applications (documents, history and links go with them),
//! the messages no application refers to any more, and the candidates left without an
//! application; it blanks the ledger rows of those messages (their coordinates stay, without
//! Message-ID, so that the mailbox is not filed again) and records an audit row without
//! personal data. It returns the hashes of the files it released; the caller then deletes
//! those nothing refers to any more with [`Store::remove_unreferenced_blobs`] (after the
//! commit: a crash in between leaves an orphan file, never a row without its file).

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::{BeginWrite, Store, StoreError, with_pool};

/// Which applications to erase.
#[derive(Debug, Clone)]
pub enum Erase<'a> {
    /// Every application not hired whose last activity (message or status change) is older.
    InactiveSince(DateTime<Utc>),
    /// Everything about the person writing from this address.
    Person(&'a str),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub applications: i64,
    pub messages: i64,
    pub documents: i64,
    /// Files the erased rows named: those nothing else names are to be deleted (see
    /// [`Store::remove_unreferenced_blobs`]).
    pub released_blobs: Vec<String>,
}

macro_rules! ids {
    ($tx:ident, $sql:expr, $bind:expr) => {{
        let rows: Vec<(i64,)> = sqlx::query_as($sql)
            .bind($bind)
            .fetch_all(&mut *$tx)
            .await?;
        rows.into_iter().map(|(id,)| id).collect::<Vec<i64>>()
    }};
}

/// `DELETE`/`UPDATE`/`SELECT … WHERE column IN (ids)`, nothing for an empty list.
macro_rules! in_ids {
    ($tx:ident, $prefix:expr, $ids:expr) => {{
        let ids: &[i64] = $ids;
        if !ids.is_empty() {
            let mut query = QueryBuilder::new($prefix);
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            query.push(")");
            query.build().execute(&mut *$tx).await?;
        }
    }};
}

macro_rules! strings_in_ids {
    ($tx:ident, $prefix:expr, $ids:expr) => {{
        let ids: &[i64] = $ids;
        if ids.is_empty() {
            Vec::<String>::new()
        } else {
            let mut query = QueryBuilder::new($prefix);
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            query.push(")");
            let rows: Vec<(String,)> = query.build_query_as().fetch_all(&mut *$tx).await?;
            rows.into_iter().map(|(s,)| s).collect()
        }
    }};
}

impl Store {
    /// Erases what `what` selects; with `dry_run`, only counts it.
    pub async fn erase(
        &self,
        what: &Erase<'_>,
        actor: &str,
        dry_run: bool,
    ) -> Result<Erased, StoreError> {
        with_pool!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let applications: Vec<i64> = match what {
                Erase::InactiveSince(cutoff) => ids!(
                    tx,
                    "SELECT a.id FROM applications a
                     WHERE a.status <> 'hired'
                       AND a.last_inbound_at < $1
                       AND (a.last_outbound_at IS NULL OR a.last_outbound_at < $1)
                       AND NOT EXISTS (SELECT 1 FROM status_history h WHERE h.application_id = a.id AND h.changed_at >= $1)",
                    *cutoff
                ),
                Erase::Person(email) => ids!(
                    tx,
                    "SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.email = $1",
                    email.trim().to_lowercase()
                ),
            };
            // The messages of these applications that no other application shares.
            let mut messages: Vec<i64> = Vec::new();
            for &application in &applications {
                let own = ids!(
                    tx,
                    "SELECT am.message_id FROM application_messages am WHERE am.application_id = $1
                       AND NOT EXISTS (SELECT 1 FROM application_messages o WHERE o.message_id = am.message_id AND o.application_id <> $1)",
                    application
                );
                messages.extend(own);
            }
            messages.sort_unstable();
            messages.dedup();
            let mut blobs = strings_in_ids!(tx, "SELECT sha256 FROM documents WHERE application_id IN (", &applications);
            let documents = blobs.len() as i64;
            // Early versions stored a filed message's raw bytes too, under their SHA-256.
            blobs.extend(strings_in_ids!(
                tx,
                "SELECT substr(raw_digest, 8) FROM messages WHERE raw_digest LIKE 'sha256:%' AND id IN (",
                &messages
            ));
            let mut erased = Erased {
                applications: applications.len() as i64,
                messages: messages.len() as i64,
                documents,
                released_blobs: Vec::new(),
            };
            if dry_run || applications.is_empty() {
                tx.rollback().await?;
                return Ok(erased);
            }
            let candidates: Vec<i64> = {
                let mut all = Vec::new();
                for &application in &applications {
                    all.extend(ids!(tx, "SELECT candidate_id FROM applications WHERE id = $1", application));
                }
                all.sort_unstable();
                all.dedup();
                all
            };
            // The ledger keeps the coordinates (so the mailbox is not filed again) but loses
            // the Message-ID and the links.
            in_ids!(tx, "UPDATE mail_seen SET message_id = NULL, reason = 'erased', application_id = NULL, message_ref = NULL WHERE message_ref IN (", &messages);
            in_ids!(tx, "UPDATE mail_seen SET message_id = NULL, reason = 'erased', application_id = NULL WHERE application_id IN (", &applications);
            in_ids!(tx, "DELETE FROM applications WHERE id IN (", &applications);
            in_ids!(tx, "DELETE FROM messages WHERE id IN (", &messages);
            in_ids!(tx, "DELETE FROM candidates WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = candidates.id) AND id IN (", &candidates);
            sqlx::query(
                "INSERT INTO erasures (kind, applications, messages, documents, actor, erased_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(match what {
                Erase::InactiveSince(_) => "purge",
                Erase::Person(_) => "forget",
            })
            .bind(erased.applications)
            .bind(erased.messages)
            .bind(erased.documents)
            .bind(actor)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
            blobs.sort();
            blobs.dedup();
            erased.released_blobs = blobs;
            tx.commit().await?;
            Ok(erased)
        })
    }

    /// Deletes, with `remove`, the files among these that no row names. It
    /// runs in a transaction that no group's recording overlaps
    /// ([`BeginWrite::begin_naming_blobs`]): a group that names one of these files either
    /// committed before (the file is kept) or checks after this that its files exist (and is
    /// retried, writing the file again). Deleting after the erasure's commit, outside such a
    /// transaction, could delete a file that a group found stored and then named.
    pub async fn remove_unreferenced_blobs<E>(
        &self,
        blobs: &[String],
        mut remove: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<Result<(), E>, StoreError> {
        if blobs.is_empty() {
            return Ok(Ok(()));
        }
        with_pool!(&self.pool, pool => {
            let mut tx = pool.begin_naming_blobs().await?;
            for sha in blobs {
                let (refs,): (i64,) = sqlx::query_as(
                    "SELECT (SELECT count(*) FROM documents WHERE sha256 = $1)
                          + (SELECT count(*) FROM messages WHERE raw_digest = 'sha256:' || $1)
                          + (SELECT count(*) FROM mail_seen WHERE raw_sha256 = $1)",
                )
                .bind(sha)
                .fetch_one(&mut *tx)
                .await?;
                if refs == 0
                    && let Err(err) = remove(sha)
                {
                    return Ok(Err(err));
                }
            }
            // Nothing was written: the transaction only held the others off.
            tx.rollback().await?;
            Ok(Ok(()))
        })
    }
}
