//! IMAP folder cursors, advanced only after the outcomes below them are committed.

use chrono::Utc;

use super::{Store, StoreError, dispatch};
use crate::domain::cursor::{Cursor, Uid, UidValidity};

impl Store {
    pub async fn cursor(&self, mailbox: &str) -> Result<Option<Cursor>, StoreError> {
        let row: Option<(i64, i64)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT uid_validity, next_uid FROM mailbox_cursors WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.and_then(|(validity, next)| {
            Some(Cursor {
                validity: UidValidity::new(u32::try_from(validity).ok()?)?,
                next: Uid::new(u32::try_from(next).ok()?)?,
            })
        }))
    }

    pub async fn save_cursor(&self, mailbox: &str, cursor: Cursor) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query(
                "INSERT INTO mailbox_cursors (mailbox, uid_validity, next_uid, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, next_uid = excluded.next_uid,
                     updated_at = excluded.updated_at",
            )
            .bind(mailbox)
            .bind(i64::from(cursor.validity.get()))
            .bind(i64::from(cursor.next.get()))
            .bind(Utc::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
