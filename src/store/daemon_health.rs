//! What the daemon says of itself, kept in the database so that the admin's health page can
//! show it from `applymail web`, which is often another process (the daemon's
//! [`crate::health::Health`] lives in the memory of `run`). One row per instance, and the
//! recent errors.

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::{BeginWrite, Store, StoreError, dispatch};

/// Errors kept, all instances together: enough to see a pattern, bounded whatever happens.
const ERRORS_KEPT: i64 = 200;
/// An instance not heard from for this long is forgotten (a host renamed, a process gone).
const FORGET_AFTER_DAYS: i64 = 30;

/// An instance's state, as written and as read.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct InstanceHealth {
    /// The host and process.
    pub instance: String,
    /// What it watches (`imap://user@host:port/INBOX`, `maildir://…`).
    pub mailbox: String,
    /// A [`crate::health::MailboxState::word`], or `stopped`.
    pub state: String,
    pub state_since: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, FromRow)]
pub struct DaemonError {
    pub instance: String,
    pub at: DateTime<Utc>,
    pub error: String,
}

impl Store {
    /// Writes an instance's state (its row replaces the previous one).
    pub async fn record_health(&self, health: &InstanceHealth) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO daemon_health (instance, mailbox, state, state_since, last_sync_at, last_error, last_error_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (instance) DO UPDATE SET mailbox = excluded.mailbox, state = excluded.state,
                   state_since = excluded.state_since, last_sync_at = excluded.last_sync_at,
                   last_error = excluded.last_error, last_error_at = excluded.last_error_at,
                   updated_at = excluded.updated_at",
            )
            .bind(&health.instance)
            .bind(&health.mailbox)
            .bind(&health.state)
            .bind(health.state_since)
            .bind(health.last_sync_at)
            .bind(&health.last_error)
            .bind(health.last_error_at)
            .bind(health.updated_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Adds an error to the recent ones, and forgets the oldest beyond [`ERRORS_KEPT`].
    pub async fn record_daemon_error(
        &self,
        instance: &str,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO daemon_errors (instance, at, error) VALUES ($1, $2, $3)")
                .bind(instance)
                .bind(at)
                .bind(error)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM daemon_errors WHERE id NOT IN (SELECT id FROM daemon_errors ORDER BY id DESC LIMIT $1)")
                .bind(ERRORS_KEPT)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Forgets the instances not heard from for [`FORGET_AFTER_DAYS`].
    pub async fn forget_old_instances(&self) -> Result<(), StoreError> {
        let before = Utc::now() - Duration::days(FORGET_AFTER_DAYS);
        dispatch!(&self.pool, pool => {
            sqlx::query("DELETE FROM daemon_health WHERE updated_at < $1")
                .bind(before)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every instance, the most recently heard from first.
    pub async fn instances_health(&self) -> Result<Vec<InstanceHealth>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT instance, mailbox, state, state_since, last_sync_at, last_error, last_error_at, updated_at
                 FROM daemon_health ORDER BY updated_at DESC",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// The newest `limit` errors, newest first.
    pub async fn daemon_errors(&self, limit: i64) -> Result<Vec<DaemonError>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT instance, at, error FROM daemon_errors ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }
}
