//! Moving an application through the recruiters' pipeline, with its history.

use chrono::Utc;

use super::{BeginWrite, Store, StoreError, dispatch};
use crate::domain::named::Named;
use crate::domain::status::ApplicationStatus;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no application with id {0}")]
    NotFound(i64),
    #[error("application {id} is {current}, a closed status; use --force to reopen it")]
    Closed { id: i64, current: ApplicationStatus },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A requested change of status.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub application_id: i64,
    pub status: ApplicationStatus,
    pub note: Option<&'a str>,
    pub actor: &'a str,
    /// Reopen a rejected or withdrawn application.
    pub force: bool,
}

impl Store {
    /// Applies a status change and records it in the history; returns the previous status.
    pub async fn set_status(
        &self,
        change: &StatusChange<'_>,
    ) -> Result<ApplicationStatus, StatusError> {
        dispatch!(&self.pool, pool => {
        let mut tx = pool.begin_write().await.map_err(StoreError::from)?;
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM applications WHERE id = $1")
                .bind(change.application_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        let (current,) = row.ok_or(StatusError::NotFound(change.application_id))?;
        // The CHECK constraint guarantees a known status; an unknown one would be a schema bug.
        let current: ApplicationStatus = current.parse().unwrap_or(ApplicationStatus::Received);
        if current.is_terminal() && !change.force && current != change.status {
            return Err(StatusError::Closed {
                id: change.application_id,
                current,
            });
        }
        sqlx::query("UPDATE applications SET status = $2 WHERE id = $1")
            .bind(change.application_id)
            .bind(change.status.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        sqlx::query("INSERT INTO status_history (application_id, status, note, actor, changed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(change.application_id)
            .bind(change.status.as_str())
            .bind(change.note)
            .bind(change.actor)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(current)
        })
    }
}
