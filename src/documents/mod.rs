//! Where documents (and quarantined raw messages) are kept, behind the one interface every
//! reader uses: `show`, `export`, `applymail document`, the web app, the search indexer and
//! the erasure. `[storage] kind` chooses the place:
//!
//! - `files` ([`BlobStore`]): a folder of files named by their SHA-256, made durable before
//!   the transaction that names them (see `ingest::commit`); one folder per host.
//! - `database` ([`crate::store::blobs`]): the database's own tables, written in the
//!   transaction that records the rows naming them and deleted in the erasure's: one place
//!   for every instance, and for a backup.
//!
//! Either way a content is read a chunk at a time ([`Reader`]): a 30 MB document reaches a
//! browser without ever being whole in memory. The database records where its documents are
//! ([`crate::store::blobs::StorageState`]), so that a config saying otherwise is refused
//! instead of serving nothing, and so that nothing but `applymail storage migrate` works
//! while a migration is half done ([`migrate`]).

pub mod migrate;

use std::io;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use tokio::io::AsyncReadExt;

use crate::blobs::{Blob, BlobStore, sha256_hex};
use crate::config::{StorageKind, StorageSettings};
use crate::store::blobs::{CHUNK_BYTES, NewBlob, StorageState};
use crate::store::{Store, StoreError};

#[derive(Debug, Clone)]
pub enum Documents {
    Files(BlobStore),
    Database(Store),
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "a move of the documents to {to} is half done; nothing else may run until it ends: run `applymail storage migrate --to {to}` again (it resumes), or `--to {from}` to go back"
    )]
    MigrationUnderway { to: String, from: String },
    #[error(
        "storage.kind is \"{configured}\", but this database's documents are kept in {actual}: set storage.kind = \"{actual}\", or move them with `applymail storage migrate --to {configured}`"
    )]
    KindMismatch {
        configured: StorageKind,
        actual: String,
    },
    #[error(
        "storage.dir must be set to move the documents to files (with storage.kind = \"database\" it is not needed otherwise)"
    )]
    NoFolder,
    #[error("document store {path} (storage.dir): {source}")]
    Folder { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Documents {
    /// The place `settings` names, once the database agrees that its documents are there. An
    /// installation that stores nothing yet takes the configured kind as it is.
    pub async fn open(settings: &StorageSettings, store: &Store) -> Result<Documents, OpenError> {
        let state = store.storage_state().await?;
        match agrees(&state, settings.kind) {
            Err(OpenError::KindMismatch { .. }) if !store.names_any_blob().await? => {
                store
                    .set_storage_state(&StorageState {
                        kind: <&'static str>::from(settings.kind).into(),
                        migration: None,
                    })
                    .await?;
            }
            other => other?,
        }
        Self::at(settings.kind, settings, store)
    }

    /// The place of this kind, without asking the database.
    fn at(
        kind: StorageKind,
        settings: &StorageSettings,
        store: &Store,
    ) -> Result<Documents, OpenError> {
        Ok(match kind {
            StorageKind::Database => Documents::Database(store.clone()),
            StorageKind::Files => Documents::Files(open_folder(
                settings.dir.as_deref().ok_or(OpenError::NoFolder)?,
            )?),
        })
    }

    /// Whether the database still says the documents are where this process keeps them: a
    /// standby that waited through a migration must not file into the old place.
    pub async fn confirm(&self, store: &Store) -> Result<(), OpenError> {
        agrees(&store.storage_state().await?, self.kind())
    }

    pub fn kind(&self) -> StorageKind {
        match self {
            Documents::Files(_) => StorageKind::Files,
            Documents::Database(_) => StorageKind::Database,
        }
    }

    /// The file holding a content, for `export`'s `path` and `show`; `None` when documents
    /// are kept in the database (`applymail document SHA256 --out FILE` gives the bytes).
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        match self {
            Documents::Files(blobs) => Some(blobs.path(sha256)),
            Documents::Database(_) => None,
        }
    }

    /// Where they are, for `check` and logs.
    pub fn describe(&self) -> String {
        match self {
            Documents::Files(blobs) => format!("files in {}", blobs.root().display()),
            Documents::Database(_) => "in the database".into(),
        }
    }

    /// Hands bytes to the store for the rows about to be recorded. With files, the file is
    /// written now (durable at the group's sync); with the database, the bytes come back to
    /// be written in the recording transaction. Blocking (it hashes, and may write a file).
    pub fn stage(&self, bytes: Bytes) -> io::Result<(Blob, Option<NewBlob>)> {
        match self {
            Documents::Files(blobs) => Ok((blobs.put(&bytes)?, None)),
            Documents::Database(_) => {
                let sha256 = sha256_hex(&bytes);
                let blob = Blob {
                    sha256: sha256.clone(),
                    size: bytes.len() as u64,
                };
                Ok((blob, Some(NewBlob { sha256, bytes })))
            }
        }
    }

    /// Opens a content for reading a chunk at a time; `NotFound` when it is not stored.
    pub async fn open_reader(&self, sha256: &str) -> io::Result<Reader> {
        match self {
            Documents::Files(blobs) => {
                let file = tokio::fs::File::open(blobs.path(sha256)).await?;
                let size = file.metadata().await?.len();
                Ok(Reader {
                    size,
                    read: 0,
                    source: Source::File(file),
                })
            }
            Documents::Database(store) => {
                let size = store
                    .blob_size(sha256)
                    .await
                    .map_err(io::Error::other)?
                    .ok_or_else(|| not_stored(sha256))?;
                Ok(Reader {
                    size,
                    read: 0,
                    source: Source::Database {
                        store: store.clone(),
                        sha256: sha256.to_owned(),
                        next: 0,
                    },
                })
            }
        }
    }

    /// A whole content, for the readers that need all of it at once (text extraction, the
    /// search of a quarantined message for an address), none of which reads more than the
    /// limits on a message allow.
    pub async fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let mut reader = self.open_reader(sha256).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(reader.size()).unwrap_or(0));
        while let Some(chunk) = reader.next_chunk().await? {
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// After an erasure or a requeue committed: deletes the files it released that no row
    /// names any more. The database's contents went in the erasure's own transaction.
    pub async fn remove_released(&self, store: &Store, released: &[String]) -> io::Result<()> {
        match self {
            Documents::Files(blobs) => store
                .remove_unreferenced_blobs(released, |sha| blobs.remove(sha))
                .await
                .map_err(io::Error::other)?,
            Documents::Database(_) => Ok(()),
        }
    }
}

/// A stored content, read a chunk of at most [`CHUNK_BYTES`] at a time.
#[derive(Debug)]
pub struct Reader {
    size: u64,
    read: u64,
    source: Source,
}

#[derive(Debug)]
enum Source {
    File(tokio::fs::File),
    Database {
        store: Store,
        sha256: String,
        next: u64,
    },
}

impl Reader {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next chunk, `None` at the end. A content erased while it is read ends in an
    /// error, never in fewer bytes passed off as the whole.
    pub async fn next_chunk(&mut self) -> io::Result<Option<Bytes>> {
        let chunk = match &mut self.source {
            Source::File(file) => {
                let mut buf = BytesMut::with_capacity(CHUNK_BYTES);
                while buf.len() < CHUNK_BYTES {
                    if file.read_buf(&mut buf).await? == 0 {
                        break;
                    }
                }
                (!buf.is_empty()).then(|| buf.freeze())
            }
            Source::Database {
                store,
                sha256,
                next,
            } => {
                let chunk = store
                    .blob_chunk(sha256, *next)
                    .await
                    .map_err(io::Error::other)?;
                *next += 1;
                chunk.map(Bytes::from)
            }
        };
        match chunk {
            Some(chunk) => {
                self.read += chunk.len() as u64;
                if self.read > self.size {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("the document holds more than its {} bytes", self.size),
                    ));
                }
                Ok(Some(chunk))
            }
            None if self.read < self.size => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the document ended after {} of its {} bytes (erased while it was read?)",
                    self.read, self.size
                ),
            )),
            None => Ok(None),
        }
    }

    /// The chunks as a stream (a download's body).
    pub fn into_stream(self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        futures_util::stream::try_unfold(self, |mut reader| async move {
            Ok(reader.next_chunk().await?.map(|chunk| (chunk, reader)))
        })
    }
}

/// Whether the database's record lets a process keep its documents in `kind`: no move half
/// done, and the same place.
fn agrees(state: &StorageState, kind: StorageKind) -> Result<(), OpenError> {
    if let Some(migration) = &state.migration {
        return Err(OpenError::MigrationUnderway {
            from: other_kind(&migration.to).into(),
            to: migration.to.clone(),
        });
    }
    if state.kind != <&'static str>::from(kind) {
        return Err(OpenError::KindMismatch {
            configured: kind,
            actual: state.kind.clone(),
        });
    }
    Ok(())
}

fn open_folder(dir: &std::path::Path) -> Result<BlobStore, OpenError> {
    BlobStore::open(dir).map_err(|source| OpenError::Folder {
        path: dir.to_owned(),
        source,
    })
}

fn not_stored(sha256: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("document {sha256} is not stored in the database"),
    )
}

fn other_kind(kind: &str) -> &'static str {
    if kind == "database" {
        "files"
    } else {
        "database"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;

    async fn database() -> (Documents, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
        let store = Store::open(&url).await.unwrap();
        (Documents::Database(store.clone()), store, dir)
    }

    async fn store_bytes(store: &Store, bytes: &[u8]) -> String {
        let sha = sha256_hex(bytes);
        let mut writer = store
            .chunk_writer(&sha, bytes.len() as u64)
            .await
            .unwrap()
            .expect("not stored yet");
        for chunk in bytes.chunks(CHUNK_BYTES) {
            writer.write(chunk).await.unwrap();
        }
        writer.commit().await.unwrap();
        sha
    }

    #[tokio::test]
    async fn a_content_is_read_back_a_chunk_at_a_time_and_stored_once() {
        let (documents, store, _dir) = database().await;
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 2 + 10).map(|i| (i % 251) as u8).collect();
        let sha = store_bytes(&store, &bytes).await;
        assert!(store.chunk_writer(&sha, 1).await.unwrap().is_none());
        let mut reader = documents.open_reader(&sha).await.unwrap();
        assert_eq!(reader.size(), bytes.len() as u64);
        let mut sizes = Vec::new();
        while let Some(chunk) = reader.next_chunk().await.unwrap() {
            sizes.push(chunk.len());
        }
        assert_eq!(sizes, vec![CHUNK_BYTES, CHUNK_BYTES, 10]);
        assert_eq!(documents.read(&sha).await.unwrap(), bytes);
        assert_eq!(documents.path(&sha), None);
        let missing = documents.open_reader(&"0".repeat(64)).await.unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    /// A download that an erasure overtakes ends in an error, not in a shorter "whole" file.
    #[tokio::test]
    async fn a_content_erased_while_it_is_read_ends_in_an_error() {
        let (documents, store, _dir) = database().await;
        let bytes = vec![7u8; CHUNK_BYTES + 1];
        let sha = store_bytes(&store, &bytes).await;
        let mut reader = documents.open_reader(&sha).await.unwrap();
        assert!(reader.next_chunk().await.unwrap().is_some());
        store.delete_blobs(&[sha.as_str()]).await.unwrap();
        let err = reader.next_chunk().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn a_config_that_says_otherwise_than_the_database_is_refused_once_something_is_stored() {
        let (_, store, dir) = database().await;
        let settings = |kind| StorageSettings {
            kind,
            dir: Some(dir.path().join("documents")),
        };
        // Nothing stored: the configured kind is taken as it is.
        let opened = Documents::open(&settings(StorageKind::Database), &store).await;
        assert_eq!(opened.unwrap().kind(), StorageKind::Database);
        store_bytes(&store, b"a cv").await;
        let refused = Documents::open(&settings(StorageKind::Files), &store)
            .await
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("set storage.kind = \"database\""),
            "{refused}"
        );
        let mut state = store.storage_state().await.unwrap();
        state.migration = Some(crate::store::blobs::Migration {
            to: "files".into(),
            phase: "copy".into(),
        });
        store.set_storage_state(&state).await.unwrap();
        let refused = Documents::open(&settings(StorageKind::Database), &store)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, OpenError::MigrationUnderway { .. }),
            "{refused}"
        );
    }
}
