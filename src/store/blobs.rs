//! Documents kept in the database (`[storage] kind = "database"`, migration 0020): one
//! `blobs` row per distinct content, named by its SHA-256, and its bytes in `blob_chunks`
//! rows of at most [`CHUNK_BYTES`].
//!
//! Chunked `bytea`, not large objects: a row is deleted by the `DELETE` of the transaction
//! that erases the person (a large object outlives its rows until `lo_unlink` or
//! `vacuumlo`), `pg_dump` and logical replication carry rows like any others, and the same
//! SQL runs on SQLite. Chunks bound what one statement carries, both ways: a 30 MB document
//! is never one bind parameter nor one result row.
//!
//! New contents are written in the transaction that records the rows naming them
//! ([`insert_new`], called by `Store::record_after`): a row can never name a document that is
//! not there. Erasures and requeues delete the contents they leave unnamed in their own
//! transaction ([`delete_unnamed`]). Both run in [`super::BeginWrite::begin_naming_blobs`]
//! transactions, which never overlap, so a group cannot count on a content that an erasure
//! is deleting.

use std::collections::HashSet;

use bytes::Bytes;
use chrono::Utc;

use super::sql::{execute_in, rows_in};
use super::{Store, StoreError, Tx, dispatch};

/// The most bytes one `blob_chunks` row holds: under the 1 MB the issue bounds a chunk by,
/// and a single TOAST value of a few hundred pages.
pub const CHUNK_BYTES: usize = 512 * 1024;

/// A content to store with the rows of a group, its bytes shared with the message they came
/// from.
#[derive(Debug, Clone)]
pub struct NewBlob {
    pub sha256: String,
    pub bytes: Bytes,
}

/// Where the documents are, and whether `applymail storage migrate` is half done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageState {
    /// `files` or `database`.
    pub kind: String,
    pub migration: Option<Migration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub to: String,
    /// `copy` (the old place still holds everything) or `clean` (the new one does).
    pub phase: String,
}

/// Stores the contents not stored yet, each with its chunks. Two groups storing the same
/// bytes at once: the second's insert of the `blobs` row waits for the first's transaction,
/// and then skips the chunks if it committed.
pub(crate) async fn insert_new(tx: &mut Tx, blobs: &[NewBlob]) -> Result<(), sqlx::Error> {
    let mut done: HashSet<&str> = HashSet::new();
    for blob in blobs {
        if !done.insert(blob.sha256.as_str()) {
            continue;
        }
        if !insert_head(tx, &blob.sha256, blob.bytes.len() as u64).await? {
            continue;
        }
        for (seq, chunk) in blob.bytes.chunks(CHUNK_BYTES).enumerate() {
            insert_chunk(tx, &blob.sha256, seq, chunk).await?;
        }
    }
    Ok(())
}

/// The `blobs` row of a content; `false` when it is stored already (committed by another
/// transaction, which this one waited for).
async fn insert_head(tx: &mut Tx, sha256: &str, size: u64) -> Result<bool, sqlx::Error> {
    let inserted: Option<(String,)> = dispatch!(&mut *tx, tx => {
        sqlx::query_as(
            "INSERT INTO blobs (sha256, size, stored_at) VALUES ($1, $2, $3)
             ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
        )
        .bind(sha256)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(Utc::now())
        .fetch_optional(&mut **tx)
        .await?
    });
    Ok(inserted.is_some())
}

pub(crate) async fn insert_chunk(
    tx: &mut Tx,
    sha256: &str,
    seq: usize,
    chunk: &[u8],
) -> Result<(), sqlx::Error> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    dispatch!(&mut *tx, tx => {
        sqlx::query("INSERT INTO blob_chunks (sha256, seq, bytes) VALUES ($1, $2, $3)")
            .bind(sha256)
            .bind(seq)
            .bind(chunk)
            .execute(&mut **tx)
            .await?;
    });
    Ok(())
}

/// Those of these contents that a row still names: a document, a quarantined message's raw
/// bytes, or (early versions) a filed message's raw bytes under their SHA-256.
pub(crate) async fn named_among(
    tx: &mut Tx,
    hashes: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut named: HashSet<String> = HashSet::new();
    for head in [
        "SELECT sha256 FROM documents WHERE sha256 IN ",
        "SELECT raw_sha256 FROM mail_seen WHERE raw_sha256 IN ",
    ] {
        let rows: Vec<(String,)> = rows_in(tx, head, hashes, "").await?;
        named.extend(rows.into_iter().map(|(sha,)| sha));
    }
    let legacy: Vec<String> = hashes.iter().map(|sha| format!("sha256:{sha}")).collect();
    let legacy_refs: Vec<&str> = legacy.iter().map(String::as_str).collect();
    let rows: Vec<(String,)> = rows_in(
        tx,
        "SELECT substr(raw_digest, 8) FROM messages WHERE raw_digest IN ",
        &legacy_refs,
        "",
    )
    .await?;
    named.extend(rows.into_iter().map(|(sha,)| sha));
    Ok(named)
}

/// Deletes the stored contents among these that no row names any more, in the caller's
/// transaction (an erasure's, a requeue's); says how many. With files storage there are none.
pub(crate) async fn delete_unnamed(tx: &mut Tx, released: &[String]) -> Result<u64, sqlx::Error> {
    if released.is_empty() {
        return Ok(0);
    }
    let hashes: Vec<&str> = released.iter().map(String::as_str).collect();
    let named = named_among(tx, &hashes).await?;
    let unnamed: Vec<&str> = hashes
        .into_iter()
        .filter(|sha| !named.contains(*sha))
        .collect();
    delete(tx, &unnamed).await
}

/// Deletes these contents, chunks first (the cascade is not counted on: SQLite enforces it
/// only with `foreign_keys` on).
pub(crate) async fn delete(tx: &mut Tx, hashes: &[&str]) -> Result<u64, sqlx::Error> {
    execute_in(tx, "DELETE FROM blob_chunks WHERE sha256 IN ", hashes, "").await?;
    execute_in(tx, "DELETE FROM blobs WHERE sha256 IN ", hashes, "").await
}

/// See [`Store::chunk_writer`]; dropped without a commit, it stores nothing.
pub struct ChunkWriter {
    tx: Tx,
    sha256: String,
    next: usize,
}

impl ChunkWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        insert_chunk(&mut self.tx, &self.sha256, self.next, chunk).await?;
        self.next += 1;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl Store {
    /// A stored content's size, `None` when it is not stored.
    pub async fn blob_size(&self, sha256: &str) -> Result<Option<u64>, StoreError> {
        let row: Option<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT size FROM blobs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(size,)| u64::try_from(size).unwrap_or(0)))
    }

    /// One chunk of a stored content, `None` past its last (or when it is not stored).
    pub async fn blob_chunk(&self, sha256: &str, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let row: Option<(Vec<u8>,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT bytes FROM blob_chunks WHERE sha256 = $1 AND seq = $2")
                .bind(sha256)
                .bind(seq)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(bytes,)| bytes))
    }

    /// A transaction that stores one content read elsewhere (a migration from files), a
    /// chunk at a time; `None` when it is stored already. Nothing is stored unless
    /// [`ChunkWriter::commit`] is called.
    pub async fn chunk_writer(
        &self,
        sha256: &str,
        size: u64,
    ) -> Result<Option<ChunkWriter>, StoreError> {
        let mut tx = self.pool.begin_naming_blobs().await?;
        if !insert_head(&mut tx, sha256, size).await? {
            return Ok(None);
        }
        Ok(Some(ChunkWriter {
            tx,
            sha256: sha256.to_owned(),
            next: 0,
        }))
    }

    /// Every content a row names, sorted; with whether it must exist (documents and
    /// quarantined messages) or may not (early versions' raw messages, whose digest was an
    /// identity first: some were never stored).
    pub async fn named_blobs(&self) -> Result<Vec<(String, bool)>, StoreError> {
        let rows: Vec<(String, i64)> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT sha256, CAST(MAX(required) AS BIGINT) FROM (
                     SELECT sha256, 1 AS required FROM documents
                     UNION ALL SELECT raw_sha256, 1 FROM mail_seen WHERE raw_sha256 IS NOT NULL
                     UNION ALL SELECT substr(raw_digest, 8), 0 FROM messages WHERE raw_digest LIKE 'sha256:%'
                 ) AS named GROUP BY sha256 ORDER BY sha256",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(sha, required)| (sha, required == 1))
            .collect())
    }

    /// Every content stored in the database, sorted, with its size.
    pub async fn stored_blobs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT sha256, size FROM blobs ORDER BY sha256")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(sha, size)| (sha, u64::try_from(size).unwrap_or(0)))
            .collect())
    }

    /// Deletes these stored contents (a migration back to files, once the files hold them).
    pub async fn delete_blobs(&self, hashes: &[&str]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin_naming_blobs().await?;
        let deleted = delete(&mut tx, hashes).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub async fn storage_state(&self) -> Result<StorageState, StoreError> {
        let (kind, to, phase): (String, Option<String>, Option<String>) = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT kind, migrating_to, phase FROM storage_state WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(StorageState {
            kind,
            migration: to.map(|to| Migration {
                to,
                phase: phase.unwrap_or_else(|| "copy".into()),
            }),
        })
    }

    /// Records where the documents are and the migration under way (`None`: none).
    pub async fn set_storage_state(&self, state: &StorageState) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query(
                "UPDATE storage_state SET kind = $1, migrating_to = $2, phase = $3,
                     started_at = CASE WHEN $2 IS NULL THEN NULL ELSE COALESCE(started_at, $4) END
                 WHERE id = 1",
            )
            .bind(&state.kind)
            .bind(state.migration.as_ref().map(|m| m.to.as_str()))
            .bind(state.migration.as_ref().map(|m| m.phase.as_str()))
            .bind(Utc::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Whether any row names a content (an installation with nothing stored may change its
    /// storage kind without a migration).
    pub async fn names_any_blob(&self) -> Result<bool, StoreError> {
        let (n,): (i64,) = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM documents LIMIT 1) AS d)
                      + (SELECT count(*) FROM (SELECT 1 FROM mail_seen WHERE raw_sha256 IS NOT NULL LIMIT 1) AS q)
                      + (SELECT count(*) FROM (SELECT 1 FROM blobs LIMIT 1) AS b)",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }
}
