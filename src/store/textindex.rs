//! The search indexer's reads and writes (the loop is [`crate::textindex`]): documents not
//! yet taken into the index, their extracted texts, and each application's index entry.
//!
//! New documents and applications arrive with `search_indexed = FALSE` (migration 0010); the
//! indexer stores the text of each distinct document (by SHA-256), then rebuilds the entry of
//! every application concerned and sets the flags of what the entry took in. A document whose
//! text is stored later leaves its flag unset, so its application is rebuilt again then.
//!
//! Erasure may run at any moment: a text is stored only while a document still names it, and
//! an entry only while its application exists, checked in the writing transaction (SQLite:
//! the one write lock; PostgreSQL: `FOR SHARE` on those rows, which an erasure's deletes
//! wait for, or which waits for them and then finds nothing).

use chrono::Utc;

use super::search::candidate_names;
use super::sql::{execute_in, rows_in};
use super::{Backend, Store, StoreError, dispatch};

/// A document not yet in the index.
#[derive(Debug, Clone)]
pub(crate) struct UnindexedDocument {
    pub application_id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    /// Whether its text is stored already (the same bytes came before).
    pub has_text: bool,
}

/// What extraction made of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextState {
    Text(String),
    /// A format without text: images, archives, unknown formats.
    Empty,
    /// Unreadable: the error, kept so that it is not tried again.
    Failed(String),
}

/// An application's names and the texts of its documents, to build its index entry from.
#[derive(Debug, Clone)]
pub(crate) struct EntrySource {
    pub application_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    /// Every document of the application whose text is stored, with it.
    pub documents: Vec<(i64, String, String)>,
}

/// An application's index entry: folded names and body (see
/// [`crate::domain::search::index_names`] and [`crate::domain::search::index_body`]), and the
/// documents it took in.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub application_id: i64,
    pub names: String,
    pub body: String,
    pub document_ids: Vec<i64>,
}

impl Store {
    /// Documents not yet in the index, oldest first.
    pub(crate) async fn unindexed_documents(
        &self,
        limit: usize,
    ) -> Result<Vec<UnindexedDocument>, StoreError> {
        let rows: Vec<(i64, String, String, String, bool)> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT d.application_id, d.sha256, d.filename, d.content_type,
                        EXISTS (SELECT 1 FROM document_texts t WHERE t.sha256 = d.sha256)
                 FROM documents d WHERE NOT d.search_indexed ORDER BY d.application_id, d.id LIMIT $1",
            )
            .bind(limit as i64)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(application_id, sha256, filename, content_type, has_text)| UnindexedDocument {
                    application_id,
                    sha256,
                    filename,
                    content_type,
                    has_text,
                },
            )
            .collect())
    }

    /// Applications not yet in the index (those without documents are found only here).
    pub(crate) async fn unindexed_applications(
        &self,
        limit: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT id FROM applications WHERE NOT search_indexed ORDER BY id LIMIT $1")
                .bind(limit as i64)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// How many documents and applications wait for the indexer.
    pub async fn search_backlog(&self) -> Result<(i64, i64), StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM documents WHERE NOT search_indexed),
                        (SELECT count(*) FROM applications WHERE NOT search_indexed)",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Stores extracted texts, for the documents that still exist; says how many.
    pub(crate) async fn save_texts(
        &self,
        texts: &[(String, TextState)],
    ) -> Result<usize, StoreError> {
        if texts.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin_write().await?;
        let hashes: Vec<&str> = texts.iter().map(|(sha, _)| sha.as_str()).collect();
        let tail = if self.is_postgres() { " FOR SHARE" } else { "" };
        let named: Vec<(String,)> = rows_in(
            &mut tx,
            "SELECT sha256 FROM documents WHERE sha256 IN ",
            &hashes,
            tail,
        )
        .await?;
        let named: std::collections::HashSet<String> = named.into_iter().map(|(s,)| s).collect();
        let now = Utc::now();
        let kept: Vec<(&str, &str, &str, Option<&str>)> = texts
            .iter()
            .filter(|(sha, _)| named.contains(sha))
            .map(|(sha, state)| match state {
                TextState::Text(text) => (sha.as_str(), "text", text.as_str(), None),
                TextState::Empty => (sha.as_str(), "empty", "", None),
                TextState::Failed(error) => (sha.as_str(), "failed", "", Some(error.as_str())),
            })
            .collect();
        // A few rows a statement: each text may be a megabyte.
        for chunk in kept.chunks(8) {
            dispatch!(&mut tx, tx => {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO document_texts (sha256, state, text, error, extracted_at) ",
                );
                insert.push_values(chunk, |mut row, (sha, state, text, error)| {
                    row.push_bind(*sha).push_bind(*state).push_bind(*text).push_bind(*error).push_bind(now);
                });
                insert.push(" ON CONFLICT (sha256) DO NOTHING");
                insert.build().persistent(false).execute(&mut **tx).await?;
            });
        }
        tx.commit().await?;
        Ok(kept.len())
    }

    /// The names and document texts of these applications (those that still exist).
    pub(crate) async fn entry_sources(&self, ids: &[i64]) -> Result<Vec<EntrySource>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let names = candidate_names(&mut tx, ids).await?;
        let texts: Vec<(i64, i64, String, String)> = rows_in(
            &mut tx,
            "SELECT d.application_id, d.id, d.sha256, t.text FROM documents d
             JOIN document_texts t ON t.sha256 = d.sha256 WHERE d.application_id IN ",
            ids,
            " ORDER BY d.application_id, d.id",
        )
        .await?;
        tx.commit().await?;
        let mut sources: Vec<EntrySource> = names
            .into_iter()
            .map(
                |(application_id, last_name, first_name, email)| EntrySource {
                    application_id,
                    last_name,
                    first_name,
                    email,
                    documents: Vec::new(),
                },
            )
            .collect();
        sources.sort_by_key(|s| s.application_id);
        for (application_id, document_id, sha256, text) in texts {
            if let Ok(at) = sources.binary_search_by_key(&application_id, |s| s.application_id) {
                sources[at].documents.push((document_id, sha256, text));
            }
        }
        Ok(sources)
    }

    /// Writes index entries, for the applications that still exist, and marks what they took
    /// in as indexed. One transaction.
    pub(crate) async fn save_entries(&self, entries: &[Entry]) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_write().await?;
        // A rebuilt entry, and FTS5's merges, free pages that held candidates' words: on SQLite
        // they are overwritten (`secure_delete`, set at open), so that an erasure later leaves
        // no copy in the file.
        let ids: Vec<i64> = entries.iter().map(|e| e.application_id).collect();
        let tail = if self.is_postgres() { " FOR SHARE" } else { "" };
        let existing: Vec<(i64,)> = rows_in(
            &mut tx,
            "SELECT id FROM applications WHERE id IN ",
            &ids,
            tail,
        )
        .await?;
        let existing: std::collections::HashSet<i64> =
            existing.into_iter().map(|(id,)| id).collect();
        let now = Utc::now();
        for entry in entries
            .iter()
            .filter(|e| existing.contains(&e.application_id))
        {
            match &mut tx {
                Backend::Sqlite(tx) => {
                    sqlx::query("DELETE FROM search_index WHERE rowid = $1")
                        .bind(entry.application_id)
                        .execute(&mut **tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO search_index (rowid, names, body) VALUES ($1, $2, $3)",
                    )
                    .bind(entry.application_id)
                    .bind(entry.names.as_str())
                    .bind(entry.body.as_str())
                    .execute(&mut **tx)
                    .await?;
                }
                Backend::Postgres(tx) => {
                    sqlx::query(
                        "INSERT INTO search_entries (application_id, names_vector, search_vector, indexed_at)
                         VALUES ($1, to_tsvector('simple', $2),
                                 setweight(to_tsvector('simple', $2), 'A')
                                 || setweight(to_tsvector('fr_unaccent', $3), 'B')
                                 || to_tsvector('simple', $3),
                                 $4)
                         ON CONFLICT (application_id) DO UPDATE SET
                             names_vector = excluded.names_vector,
                             search_vector = excluded.search_vector,
                             indexed_at = excluded.indexed_at",
                    )
                    .bind(entry.application_id)
                    .bind(entry.names.as_str())
                    .bind(entry.body.as_str())
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
            }
        }
        let documents: Vec<i64> = entries
            .iter()
            .flat_map(|e| e.document_ids.iter().copied())
            .collect();
        mark(&mut tx, &ids, &documents).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks applications and documents as indexed without an entry: what could not be
    /// written is not tried again and again.
    pub(crate) async fn mark_indexed(
        &self,
        applications: &[i64],
        documents: &[i64],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        mark(&mut tx, applications, documents).await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn mark(
    tx: &mut super::Tx,
    applications: &[i64],
    documents: &[i64],
) -> Result<(), StoreError> {
    execute_in(
        tx,
        "UPDATE documents SET search_indexed = TRUE WHERE id IN ",
        documents,
        "",
    )
    .await?;
    execute_in(
        tx,
        "UPDATE applications SET search_indexed = TRUE WHERE id IN ",
        applications,
        "",
    )
    .await?;
    Ok(())
}
