//! The attempts at messages not yet recorded (`mail_attempts`): counted before each attempt,
//! committed, so that one that stops the daemon is counted too; forgotten in the transaction
//! that records the message. See [`crate::domain::attempts`] for what the counts decide.

use std::collections::HashMap;

use chrono::Utc;
use sqlx::QueryBuilder;

use super::sql::{CHUNK, execute_at, rows_at};
use super::{Store, StoreError, Tx, dispatch};
use crate::domain::attempts::Attempts;
use crate::domain::source::SourceRef;

type AttemptRow = (String, i64, i64, Option<String>, bool);

fn attempts((_, made, failures, last_error, others_went_through): AttemptRow) -> Attempts {
    Attempts {
        made,
        failures,
        last_error,
        others_went_through,
    }
}

impl Store {
    /// Counts one more attempt at each of these messages of `mailbox`, and commits it before
    /// the attempt is made; returns each one's attempts, this one included, by location.
    ///
    /// The commit does not wait for the disk (SQLite's `synchronous = NORMAL` for this
    /// transaction, PostgreSQL's `synchronous_commit = off`): a count has to survive the daemon
    /// crashing on the message, which it does, not a power cut, after which the worst is one
    /// attempt uncounted. Waiting would cost a second log flush per batch.
    pub async fn count_attempts(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<HashMap<String, Attempts>, StoreError> {
        let now = Utc::now();
        let postgres = self.is_postgres();
        let mut counted = HashMap::with_capacity(locations.len());
        dispatch!(&self.pool, pool => {
            let mut conn = pool.acquire().await?;
            if !postgres {
                sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
            }
            let counting = async {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                if postgres {
                    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                }
                for chunk in locations.chunks(CHUNK) {
                    let mut insert = QueryBuilder::new("INSERT INTO mail_attempts (mailbox, location, attempts, updated_at) ");
                    insert.push_values(chunk, |mut row, location| {
                        row.push_bind(mailbox).push_bind(*location).push_bind(1_i64).push_bind(now);
                    });
                    insert.push(
                        " ON CONFLICT (mailbox, location) DO UPDATE SET attempts = mail_attempts.attempts + 1,
                             updated_at = excluded.updated_at
                         RETURNING location, attempts, failures, last_error, others_went_through",
                    );
                    let rows: Vec<AttemptRow> = insert.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
                    counted.extend(rows.into_iter().map(|row| (row.0.clone(), attempts(row))));
                }
                tx.commit().await
            }
            .await;
            // Every other transaction waits for the disk: the connection goes back as it came,
            // or not at all.
            if !postgres && sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await.is_err() {
                conn.detach();
            }
            counting?;
        });
        Ok(counted)
    }

    /// Takes back one attempt at each of these messages of `mailbox`: counted by
    /// [`Store::count_attempts`], it was never made (the pass stopped before it).
    pub async fn uncount_attempts(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        execute_at(
            &mut tx,
            "UPDATE mail_attempts SET attempts = attempts - 1 WHERE attempts > 0 AND mailbox = ",
            mailbox,
            locations,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What is known of the attempts at these messages, without counting one.
    pub async fn attempts(
        &self,
        mailbox: &str,
        locations: &[&str],
    ) -> Result<HashMap<String, Attempts>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let rows: Vec<AttemptRow> = rows_at(
            &mut tx,
            "SELECT location, attempts, failures, last_error, others_went_through FROM mail_attempts WHERE mailbox = ",
            mailbox,
            locations,
            "",
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.0.clone(), attempts(row)))
            .collect())
    }

    /// Records that the attempt at a message failed; `others_went_through` when another
    /// message was recorded while it failed. Returns its attempts with this failure.
    pub async fn record_failure(
        &self,
        source: &SourceRef,
        error: &str,
        others_went_through: bool,
    ) -> Result<Attempts, StoreError> {
        let row: Option<AttemptRow> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "UPDATE mail_attempts SET failures = failures + 1, last_error = $3,
                     others_went_through = others_went_through OR $4, updated_at = $5
                 WHERE mailbox = $1 AND location = $2
                 RETURNING location, attempts, failures, last_error, others_went_through",
            )
            .bind(&source.mailbox)
            .bind(&source.location)
            .bind(error)
            .bind(others_went_through)
            .bind(Utc::now())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(attempts).unwrap_or_default())
    }
}

/// Forgets the attempts at these messages of `mailbox`: they are recorded.
pub(crate) async fn forget(
    tx: &mut Tx,
    mailbox: &str,
    locations: &[&str],
) -> Result<(), StoreError> {
    execute_at(
        tx,
        "DELETE FROM mail_attempts WHERE mailbox = ",
        mailbox,
        locations,
    )
    .await?;
    Ok(())
}
