//! Erasure: the retention purge and `forget`. Candidates' data is personal data (GDPR, and
//! Moroccan law 09-08): it is kept no longer than configured, and a person can be erased
//! entirely.
//!
//! One transaction deletes the applications (documents, history and links go with them), the
//! messages no remaining application refers to, and the candidates left without an
//! application. The ledger keeps the coordinates of what it erased (so that the mailbox is
//! not read again), without Message-ID, and each erased message leaves a tombstone: a keyed
//! hash of its identity, so that the same message met at new coordinates is not filed again.
//! An audit row records the erasure without personal data. It returns the hashes of the files
//! it released; the caller deletes the files nothing refers to any more with
//! [`Store::remove_unreferenced_blobs`] (after the commit: a crash in between leaves an
//! orphan file, never a row without its file). Documents kept in the database
//! (`[storage] kind = "database"`) are deleted in the erasure's own transaction.
//!
//! Every list is bound a chunk at a time: a purge may erase tens of thousands of rows.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::sql::{execute_in, rows_in};
use super::{Store, StoreError, dispatch};
use crate::domain::identity::tombstone;

/// Which applications to erase.
#[derive(Debug, Clone)]
pub enum Erase<'a> {
    /// Every application not hired whose last activity (a message arriving, a status change)
    /// is older.
    InactiveSince(DateTime<Utc>),
    /// Everything about the person writing from this address, with the ledger rows of the
    /// quarantined messages that mention it (found by the caller, who can read them) and
    /// those messages' identity keys.
    Person {
        email: &'a str,
        quarantined: &'a [(i64, String)],
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub applications: i64,
    pub messages: i64,
    pub documents: i64,
    /// Quarantined raw messages erased.
    pub quarantined: i64,
    /// The applications erased (or, in a dry run, that would be): the admin's purge
    /// preview lists them.
    pub application_ids: Vec<i64>,
    /// Files the erased rows named: those nothing else names are to be deleted (see
    /// [`Store::remove_unreferenced_blobs`]).
    pub released_blobs: Vec<String>,
}

impl Store {
    /// Erases what `what` selects; with `dry_run`, only counts it.
    pub async fn erase(
        &self,
        what: &Erase<'_>,
        actor: &str,
        dry_run: bool,
    ) -> Result<Erased, StoreError> {
        // Naming: the documents it releases are deleted in it when kept in the database. On
        // SQLite what it deletes is overwritten (`secure_delete`, set at open).
        let mut tx = self.pool.begin_naming_blobs().await?;
        let applications: Vec<i64> = match what {
            Erase::InactiveSince(cutoff) => dispatch!(&mut tx, tx => {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT a.id FROM applications a
                     WHERE a.status <> 'hired'
                       AND a.last_inbound_at < $1
                       AND (a.last_outbound_at IS NULL OR a.last_outbound_at < $1)
                       AND NOT EXISTS (SELECT 1 FROM status_history h WHERE h.application_id = a.id AND h.changed_at >= $1)",
                )
                .bind(*cutoff)
                .fetch_all(&mut **tx)
                .await?;
                rows.into_iter().map(|(id,)| id).collect()
            }),
            Erase::Person { email, .. } => dispatch!(&mut tx, tx => {
                let rows: Vec<(i64,)> = sqlx::query_as(
                    "SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE c.email = $1",
                )
                .bind(email.trim().to_lowercase())
                .fetch_all(&mut **tx)
                .await?;
                rows.into_iter().map(|(id,)| id).collect()
            }),
        };
        let quarantined: &[(i64, String)] = match what {
            Erase::Person { quarantined, .. } => quarantined,
            Erase::InactiveSince(_) => &[],
        };

        // The messages of these applications that no other application shares.
        let links: Vec<(i64, i64)> = rows_in(
            &mut tx,
            "SELECT application_id, message_id FROM application_messages WHERE application_id IN ",
            &applications,
            "",
        )
        .await?;
        let mut candidates_messages: Vec<i64> = links.iter().map(|(_, m)| *m).collect();
        candidates_messages.sort_unstable();
        candidates_messages.dedup();
        let all_links: Vec<(i64, i64)> = rows_in(
            &mut tx,
            "SELECT application_id, message_id FROM application_messages WHERE message_id IN ",
            &candidates_messages,
            "",
        )
        .await?;
        let erased_applications: HashSet<i64> = applications.iter().copied().collect();
        let mut shared: HashSet<i64> = HashSet::new();
        for (application, message) in &all_links {
            if !erased_applications.contains(application) {
                shared.insert(*message);
            }
        }
        let messages: Vec<i64> = candidates_messages
            .into_iter()
            .filter(|m| !shared.contains(m))
            .collect();

        let documents: Vec<(String,)> = rows_in(
            &mut tx,
            "SELECT sha256 FROM documents WHERE application_id IN ",
            &applications,
            "",
        )
        .await?;
        let mut erased = Erased {
            applications: applications.len() as i64,
            messages: messages.len() as i64,
            documents: documents.len() as i64,
            quarantined: quarantined.len() as i64,
            application_ids: applications.clone(),
            released_blobs: Vec::new(),
        };
        if dry_run || (applications.is_empty() && quarantined.is_empty()) {
            return Ok(erased);
        }
        let mut blobs: Vec<String> = documents.into_iter().map(|(sha,)| sha).collect();
        let texts: Vec<String> = blobs.clone();
        // Early versions stored a filed message's raw bytes too, under their SHA-256.
        let raw: Vec<(String,)> = rows_in(
            &mut tx,
            "SELECT substr(raw_digest, 8) FROM messages WHERE raw_digest LIKE 'sha256:%' AND id IN ",
            &messages,
            "",
        )
        .await?;
        blobs.extend(raw.into_iter().map(|(sha,)| sha));
        let quarantined_ids: Vec<i64> = quarantined.iter().map(|(id, _)| *id).collect();
        let quarantined_raw: Vec<(Option<String>,)> = rows_in(
            &mut tx,
            "SELECT raw_sha256 FROM mail_seen WHERE id IN ",
            &quarantined_ids,
            "",
        )
        .await?;
        blobs.extend(quarantined_raw.into_iter().filter_map(|(sha,)| sha));

        // Tombstones: the erased messages' identities, and the quarantined ones'.
        let keys: Vec<(String,)> = rows_in(
            &mut tx,
            "SELECT dedupe_key FROM messages WHERE id IN ",
            &messages,
            "",
        )
        .await?;
        let mut stones: Vec<String> = keys
            .iter()
            .map(|(key,)| tombstone(&self.tombstone_key, key))
            .chain(
                quarantined
                    .iter()
                    .map(|(_, key)| tombstone(&self.tombstone_key, key)),
            )
            .collect();
        stones.sort();
        stones.dedup();
        let candidates: Vec<(i64,)> = rows_in(
            &mut tx,
            "SELECT DISTINCT candidate_id FROM applications WHERE id IN ",
            &applications,
            "",
        )
        .await?;
        let candidates: Vec<i64> = candidates.into_iter().map(|(id,)| id).collect();

        // The ledger keeps the coordinates (so the mailbox is not read again) but loses the
        // Message-ID, the links and any raw message.
        let blank = "UPDATE mail_seen SET message_id = NULL, reason = 'erased', application_id = NULL, message_ref = NULL";
        execute_in(
            &mut tx,
            &format!("{blank} WHERE message_ref IN "),
            &messages,
            "",
        )
        .await?;
        execute_in(
            &mut tx,
            &format!("{blank} WHERE application_id IN "),
            &applications,
            "",
        )
        .await?;
        execute_in(
            &mut tx,
            &format!(
                "{blank}, outcome = 'ignored', raw_sha256 = NULL, raw_size = NULL WHERE id IN "
            ),
            &quarantined_ids,
            "",
        )
        .await?;
        execute_in(
            &mut tx,
            "DELETE FROM applications WHERE id IN ",
            &applications,
            "",
        )
        .await?;
        execute_in(&mut tx, "DELETE FROM messages WHERE id IN ", &messages, "").await?;
        execute_in(
            &mut tx,
            "DELETE FROM candidates WHERE NOT EXISTS (SELECT 1 FROM applications a WHERE a.candidate_id = candidates.id) AND id IN ",
            &candidates,
            "",
        )
        .await?;
        // Their answers went with the applications (ON DELETE CASCADE); a job left without
        // any goes too: a reply its author edited holds the person's name in its text.
        dispatch!(&mut tx, tx => {
            sqlx::query(
                "DELETE FROM answer_jobs WHERE NOT EXISTS (SELECT 1 FROM answers r WHERE r.job_id = answer_jobs.id)",
            )
            .execute(&mut **tx)
            .await?;
        });
        // The documents' texts (and so their words in the search index, whose entries went
        // with the applications) that no remaining document names, and the phone numbers read
        // in them (which would go with the texts all the same: ON DELETE CASCADE). The name
        // keys went with the candidates' rows, the choices about them too.
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        execute_in(
            &mut tx,
            "DELETE FROM document_phones WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = document_phones.sha256) AND sha256 IN ",
            &texts,
            "",
        )
        .await?;
        execute_in(
            &mut tx,
            "DELETE FROM document_texts WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.sha256 = document_texts.sha256) AND sha256 IN ",
            &texts,
            "",
        )
        .await?;
        let now = Utc::now();
        for chunk in stones.chunks(super::sql::CHUNK) {
            dispatch!(&mut tx, tx => {
                let mut insert = sqlx::QueryBuilder::new("INSERT INTO erased_identities (tombstone, erased_at) ");
                insert.push_values(chunk, |mut row, stone| {
                    row.push_bind(stone.as_str()).push_bind(now);
                });
                insert.push(" ON CONFLICT (tombstone) DO NOTHING");
                insert.build().persistent(false).execute(&mut **tx).await?;
            });
        }
        dispatch!(&mut tx, tx => {
            sqlx::query(
                "INSERT INTO erasures (kind, applications, messages, documents, actor, erased_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(match what {
                Erase::InactiveSince(_) => "purge",
                Erase::Person { .. } => "forget",
            })
            .bind(erased.applications)
            .bind(erased.messages + erased.quarantined)
            .bind(erased.documents)
            .bind(actor)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        });
        blobs.sort();
        blobs.dedup();
        // Documents kept in the database go with the rows, in this transaction.
        super::blobs::delete_unnamed(&mut tx, &blobs).await?;
        tx.commit().await?;
        if let super::Backend::Sqlite(pool) = &self.pool {
            // The write-ahead log still holds the pages as they were before: copied into the
            // database (whose deleted content is overwritten) and emptied, unless a reader
            // holds it (then they go as the log is reused).
            if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
            {
                tracing::warn!(error = %err, "erasure: the write-ahead log could not be emptied");
            }
        }
        erased.released_blobs = blobs;
        Ok(erased)
    }

    /// The quarantined messages whose raw bytes are kept: their ledger id, raw hash and
    /// Message-ID, for an erasure to look into.
    pub async fn quarantined_raw(&self) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT id, raw_sha256, message_id FROM mail_seen WHERE outcome = 'quarantined' AND raw_sha256 IS NOT NULL",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Deletes, with `remove`, the files among these that no row names. It runs in a
    /// transaction that no group's recording overlaps ([`super::BeginWrite::begin_naming_blobs`]):
    /// a group that names one of these files either committed before (the file is kept) or
    /// checks after this that its files exist (and is retried, writing the file again).
    pub async fn remove_unreferenced_blobs<E>(
        &self,
        blobs: &[String],
        mut remove: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<Result<(), E>, StoreError> {
        if blobs.is_empty() {
            return Ok(Ok(()));
        }
        let mut tx = self.pool.begin_naming_blobs().await?;
        let hashes: Vec<&str> = blobs.iter().map(String::as_str).collect();
        let named = super::blobs::named_among(&mut tx, &hashes).await?;
        for sha in blobs.iter().filter(|sha| !named.contains(*sha)) {
            if let Err(err) = remove(sha) {
                return Ok(Err(err));
            }
        }
        // Nothing was written: the transaction only held the others off.
        drop(tx);
        Ok(Ok(()))
    }
}
