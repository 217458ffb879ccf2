//! The ledger (`mail_seen`), beyond what recording writes: what it says of given messages,
//! the server actions still due, and the quarantine an admin can read and requeue.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::sql::{execute_at, execute_in, rows_at};
use super::{Store, StoreError, dispatch};
use crate::domain::cursor::{Uid, UidValidity};
use crate::domain::outcome::OutcomeKind;

/// A quarantined message, as `applymail quarantine` lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Quarantined {
    pub id: i64,
    pub mailbox: String,
    pub location: String,
    pub reason: Option<String>,
    /// The raw message in the blob store; `None` when it was never downloaded (too large).
    pub raw_sha256: Option<String>,
    pub raw_size: Option<i64>,
    pub seen_at: DateTime<Utc>,
}

impl Store {
    /// What the ledger recorded for those of these locations of one mailbox that it knows.
    pub async fn seen_outcomes(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<HashMap<String, OutcomeKind>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let rows: Vec<(String, String)> = rows_at(
            &mut tx,
            "SELECT location, outcome FROM mail_seen WHERE mailbox = ",
            mailbox,
            locations,
            "",
        )
        .await?;
        // The CHECK constraint keeps the column to known words.
        Ok(rows
            .into_iter()
            .filter_map(|(location, outcome)| Some((location, outcome.parse().ok()?)))
            .collect())
    }

    /// Records that the server refused the keyword or move of these filed messages: they are
    /// still due, and later passes retry them ([`Store::actions_due`]).
    pub async fn mark_actions_due(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<(), StoreError> {
        self.update_ledger(
            "UPDATE mail_seen SET action_due = TRUE WHERE mailbox = ",
            mailbox,
            locations,
        )
        .await
    }

    /// The keyword or move of these messages was done at last.
    pub async fn clear_actions_due(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<(), StoreError> {
        self.update_ledger(
            "UPDATE mail_seen SET action_due = FALSE WHERE mailbox = ",
            mailbox,
            locations,
        )
        .await
    }

    async fn update_ledger(
        &self,
        head: &str,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        execute_at(&mut tx, head, mailbox, locations).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The locations of `mailbox` whose keyword or move is still due.
    pub async fn actions_due(&self, mailbox: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT location FROM mail_seen WHERE mailbox = $1 AND action_due ORDER BY id")
                .bind(mailbox)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(location,)| location).collect())
    }

    /// Every quarantined message, oldest first.
    pub async fn quarantined(&self) -> Result<Vec<Quarantined>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT id, mailbox, location, reason, raw_sha256, raw_size, seen_at FROM mail_seen
                 WHERE outcome = 'quarantined' ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Takes these quarantined messages out of the ledger so that the next pass reads them
    /// again (an IMAP folder's cursor moves back to the earliest of them), and returns the
    /// raw messages' hashes they released. Rows that are not quarantined are left alone.
    pub async fn requeue(&self, ids: &[i64]) -> Result<Requeued, StoreError> {
        let mut tx = self.pool.begin_naming_blobs().await?;
        let rows: Vec<(i64, String, String, Option<String>)> = super::sql::rows_in(
            &mut tx,
            "SELECT id, mailbox, location, raw_sha256 FROM mail_seen WHERE outcome = 'quarantined' AND id IN ",
            ids,
            "",
        )
        .await?;
        let found: Vec<i64> = rows.iter().map(|row| row.0).collect();
        execute_in(&mut tx, "DELETE FROM mail_seen WHERE id IN ", &found, "").await?;
        for (_, mailbox, location, _) in &rows {
            let Some((validity, uid)) = imap_location(location) else {
                continue;
            };
            dispatch!(&mut tx, tx => {
                sqlx::query(
                    "UPDATE mailbox_cursors SET next_uid = $3 WHERE mailbox = $1 AND uid_validity = $2 AND next_uid > $3",
                )
                .bind(mailbox)
                .bind(i64::from(validity.get()))
                .bind(i64::from(uid.get()))
                .execute(&mut **tx)
                .await?;
            });
        }
        let released: Vec<String> = rows.iter().filter_map(|row| row.3.clone()).collect();
        super::blobs::delete_unnamed(&mut tx, &released).await?;
        tx.commit().await?;
        Ok(Requeued {
            messages: rows.len(),
            released_blobs: released,
        })
    }

    /// The messages quarantined without being downloaded because they were larger than the
    /// limit then, and that `max_message_bytes` now allows.
    pub async fn oversized_that_fit(&self, max_message_bytes: u64) -> Result<Vec<i64>, StoreError> {
        let max = i64::try_from(max_message_bytes).unwrap_or(i64::MAX);
        let rows: Vec<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT id FROM mail_seen WHERE outcome = 'quarantined' AND raw_sha256 IS NULL
                   AND raw_size IS NOT NULL AND raw_size <= $1",
            )
            .bind(max)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// What a requeue took out of the ledger.
#[derive(Debug, Clone, Default)]
pub struct Requeued {
    pub messages: usize,
    /// Raw messages no longer named by that row (to delete if nothing else names them).
    pub released_blobs: Vec<String>,
}

/// `validity/uid`, the location of a message read over IMAP (`Cursor::location`).
fn imap_location(location: &str) -> Option<(UidValidity, Uid)> {
    let (validity, uid) = location.split_once('/')?;
    let validity = UidValidity::new(validity.parse().ok()?)?;
    let uid = Uid::new(uid.parse().ok()?)?;
    Some((validity, uid))
}
