//! Secrets that belong to the installation rather than to one process: made once, kept in the
//! database (the `secrets` table), so that every instance on one PostgreSQL shares them.

use super::{Pool, StoreError, dispatch};

/// The key of erased messages' tombstones.
pub(super) const TOMBSTONE_KEY: &str = "tombstone_key";
/// The key of the web app's keyed hashes (failed logins).
pub(super) const WEB_KEY: &str = "web_key";

/// An installation key by name. Made at the first start; a race between two instances
/// starting together keeps the first one written.
pub(super) async fn installation_key(pool: &Pool, name: &str) -> Result<[u8; 32], StoreError> {
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    let (stored,): (String,) = dispatch!(pool, pool => {
        sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(&fresh)
            .execute(pool)
            .await?;
        sqlx::query_as("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?
    });
    let mut key = [0u8; 32];
    hex::decode_to_slice(stored.trim(), &mut key).map_err(|e| {
        StoreError::Query(sqlx::Error::Protocol(format!(
            "the stored {name} is damaged: {e}"
        )))
    })?;
    Ok(key)
}
