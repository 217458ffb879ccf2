//! Secrets that belong to the installation rather than to one process: made once, kept in the
//! database (the `secrets` table), so that every instance on one PostgreSQL shares them.

use super::{Pool, StoreError, dispatch};

/// The key of erased messages' tombstones. Made at the first start; a race between two
/// instances starting together keeps the first one written.
pub(super) async fn tombstone_key(pool: &Pool) -> Result<[u8; 32], StoreError> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    let (stored,): (String,) = dispatch!(pool, pool => {
        sqlx::query("INSERT INTO secrets (name, value) VALUES ('tombstone_key', $1) ON CONFLICT (name) DO NOTHING")
            .bind(&fresh)
            .execute(pool)
            .await?;
        sqlx::query_as("SELECT value FROM secrets WHERE name = 'tombstone_key'")
            .fetch_one(pool)
            .await?
    });
    let mut key = [0u8; 32];
    hex::decode_to_slice(stored.trim(), &mut key).map_err(|e| {
        StoreError::Query(sqlx::Error::Protocol(format!(
            "the stored tombstone key is damaged: {e}"
        )))
    })?;
    Ok(key)
}
