//! `applymail storage migrate --to database|files`: moving an installation's documents from
//! one place to the other, resumable at any instant.
//!
//! The database marks the move (`storage_state.migrating_to`) before it starts, and every
//! other command refuses to work while the mark is there ([`super::Documents::open`]). Two
//! phases:
//!
//! 1. **copy**: every content a row names is copied to the new place, its SHA-256 checked
//!    against its name on the way; each is one transaction (database) or one rename (files),
//!    so a copy killed at any instant resumes where it stopped. The old place still holds
//!    everything. Contents missing from this host's folder (documents another host filed,
//!    with each host keeping its own folder) stop the move here, listed; the same command run
//!    on the other host adds them, and then here again finishes.
//! 2. **clean**: once every content is in the new place (and, for files, synced), one
//!    statement says the documents are there, and the old copies are deleted. Only then is
//!    the mark removed.
//!
//! Until the clean phase begins, the move can be undone with `--to` the old place.

use std::collections::HashSet;
use std::io::Read;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::{Documents, OpenError};
use crate::blobs::BlobStore;
use crate::config::{StorageKind, StorageSettings};
use crate::store::Store;
use crate::store::blobs::{CHUNK_BYTES, Migration, StorageState};

/// Contents deleted per transaction when the database is emptied.
const DELETE_BATCH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the move to {to} has copied and checked everything and is deleting the old copies; it cannot be undone now: run `applymail storage migrate --to {to}` to finish it"
    )]
    PastUndo { to: String },
    #[error(
        "{} document(s) named in the database are not in {dir} (the first: {}). With several hosts, each kept its own folder: run this same command on the host whose storage.dir holds them (it adds what it finds), then here again. Nothing was switched; `--to files` undoes the move.",
        .missing.len(), .missing[0]
    )]
    Missing { dir: String, missing: Vec<String> },
    #[error("document {sha256} is damaged: {why}. Nothing was switched.")]
    Damaged { sha256: String, why: String },
}

/// What a run of the command did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moved {
    /// Contents copied by this run (the others were there already).
    pub copied: usize,
    pub copied_bytes: u64,
    /// Old copies deleted by this run.
    pub deleted: usize,
    /// The documents were already where asked, and no move was under way.
    pub already_there: bool,
    /// A move the other way was undone.
    pub undone: bool,
}

/// Moves the documents to `to`, or resumes the move, or undoes a move the other way still in
/// its copy phase. No daemon may be running: the caller checks that no instance holds the
/// mailbox lease.
pub async fn migrate(
    settings: &StorageSettings,
    store: &Store,
    to: StorageKind,
    progress: &ProgressBar,
) -> Result<Moved, MigrateError> {
    let target: &'static str = to.into();
    let state = store.storage_state().await?;
    let mut moved = Moved::default();
    match &state.migration {
        None if state.kind == target => {
            // Already there: a host whose folder still holds copies of what the database
            // now keeps can drop them.
            if to == StorageKind::Database
                && let Some(files) = folder(settings)?
            {
                moved.deleted = delete_files_stored_in_database(&files, store).await?;
            }
            moved.already_there = true;
            return Ok(moved);
        }
        Some(m) if m.to != target => {
            if m.phase != "copy" {
                return Err(MigrateError::PastUndo { to: m.to.clone() });
            }
            moved.deleted = undo(settings, store, &m.to).await?;
            store
                .set_storage_state(&StorageState {
                    kind: state.kind.clone(),
                    migration: None,
                })
                .await?;
            moved.undone = true;
            return Ok(moved);
        }
        _ => {}
    }
    let phase = state.migration.map_or("copy".to_owned(), |m| m.phase);
    if phase == "copy" {
        store
            .set_storage_state(&StorageState {
                kind: state.kind.clone(),
                migration: Some(Migration {
                    to: target.into(),
                    phase: "copy".into(),
                }),
            })
            .await?;
        match to {
            StorageKind::Database => {
                copy_to_database(settings, store, progress, &mut moved).await?
            }
            StorageKind::Files => copy_to_files(settings, store, progress, &mut moved).await?,
        }
        store
            .set_storage_state(&StorageState {
                kind: target.into(),
                migration: Some(Migration {
                    to: target.into(),
                    phase: "clean".into(),
                }),
            })
            .await?;
    }
    moved.deleted += match to {
        StorageKind::Database => match folder(settings)? {
            Some(files) => delete_files_stored_in_database(&files, store).await?,
            None => 0,
        },
        StorageKind::Files => empty_database(store).await?,
    };
    store
        .set_storage_state(&StorageState {
            kind: target.into(),
            migration: None,
        })
        .await?;
    progress.finish_and_clear();
    Ok(moved)
}

/// The files' folder, when the config names one.
fn folder(settings: &StorageSettings) -> Result<Option<BlobStore>, OpenError> {
    settings.dir.as_deref().map(super::open_folder).transpose()
}

async fn copy_to_database(
    settings: &StorageSettings,
    store: &Store,
    progress: &ProgressBar,
    moved: &mut Moved,
) -> Result<(), MigrateError> {
    let files = folder(settings)?.ok_or(OpenError::NoFolder)?;
    let named = store.named_blobs().await?;
    let stored: HashSet<String> = store
        .stored_blobs()
        .await?
        .into_iter()
        .map(|(sha, _)| sha)
        .collect();
    start(progress, named.len() as u64, "to the database");
    let mut missing = Vec::new();
    for (sha256, required) in &named {
        progress.inc(1);
        if stored.contains(sha256) {
            continue;
        }
        let path = files.path(sha256);
        let file = match std::fs::File::open(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if *required {
                    missing.push(sha256.clone());
                }
                continue;
            }
            other => other?,
        };
        let size = file.metadata()?.len();
        let Some(mut writer) = store.chunk_writer(sha256, size).await? else {
            continue;
        };
        let (chunks, mut next) = chunked_reads(file);
        let mut hasher = Sha256::new();
        while let Some(chunk) = next.recv().await {
            let chunk = chunk?;
            hasher.update(&chunk);
            writer.write(&chunk).await?;
        }
        chunks.await.map_err(std::io::Error::other)?;
        let actual = hex::encode(hasher.finalize());
        if &actual != sha256 {
            return Err(MigrateError::Damaged {
                sha256: sha256.clone(),
                why: format!("the file {} has the SHA-256 {actual}", path.display()),
            });
        }
        writer.commit().await?;
        moved.copied += 1;
        moved.copied_bytes += size;
    }
    if !missing.is_empty() {
        return Err(MigrateError::Missing {
            dir: files.root().display().to_string(),
            missing,
        });
    }
    Ok(())
}

/// Reads a file a chunk at a time on the blocking pool, handing each over as it is read.
fn chunked_reads(
    mut file: std::fs::File,
) -> (
    tokio::task::JoinHandle<()>,
    tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let task = tokio::task::spawn_blocking(move || {
        loop {
            let mut chunk = Vec::with_capacity(CHUNK_BYTES);
            match (&mut file).take(CHUNK_BYTES as u64).read_to_end(&mut chunk) {
                Ok(0) => return,
                Ok(_) => {
                    if tx.blocking_send(Ok(chunk)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    (task, rx)
}

async fn copy_to_files(
    settings: &StorageSettings,
    store: &Store,
    progress: &ProgressBar,
    moved: &mut Moved,
) -> Result<(), MigrateError> {
    let files = folder(settings)?.ok_or(OpenError::NoFolder)?;
    let database = Documents::Database(store.clone());
    let stored = store.stored_blobs().await?;
    start(progress, stored.len() as u64, "to files");
    for (sha256, size) in &stored {
        progress.inc(1);
        let (check, sha) = (files.clone(), sha256.clone());
        // A file a run killed earlier left whole is kept; one with other bytes is replaced.
        if tokio::task::spawn_blocking(move || check.verify(&sha))
            .await
            .map_err(std::io::Error::other)??
        {
            continue;
        }
        let mut reader = database.open_reader(sha256).await?;
        let mut writer = files.writer(sha256)?;
        while let Some(chunk) = reader.next_chunk().await? {
            writer = tokio::task::spawn_blocking(move || writer.write(&chunk).map(|()| writer))
                .await
                .map_err(std::io::Error::other)??;
        }
        tokio::task::spawn_blocking(move || writer.finish())
            .await
            .map_err(std::io::Error::other)?
            .map_err(|e| MigrateError::Damaged {
                sha256: sha256.clone(),
                why: e.to_string(),
            })?;
        moved.copied += 1;
        moved.copied_bytes += size;
    }
    let sync = files.clone();
    tokio::task::spawn_blocking(move || sync.sync())
        .await
        .map_err(std::io::Error::other)??;
    // Every content a row needs is now a file.
    let mut missing = Vec::new();
    for (sha256, required) in store.named_blobs().await? {
        if required && !files.path(&sha256).exists() {
            missing.push(sha256);
        }
    }
    if !missing.is_empty() {
        return Err(MigrateError::Missing {
            dir: "the database".into(),
            missing,
        });
    }
    Ok(())
}

/// Deletes the files whose content the database holds; says how many.
async fn delete_files_stored_in_database(
    files: &BlobStore,
    store: &Store,
) -> Result<usize, MigrateError> {
    let stored: HashSet<String> = store
        .stored_blobs()
        .await?
        .into_iter()
        .map(|(sha, _)| sha)
        .collect();
    let files = files.clone();
    let deleted = tokio::task::spawn_blocking(move || {
        let mut deleted = 0;
        for name in files.list()? {
            if stored.contains(&name) {
                files.remove(&name)?;
                deleted += 1;
            }
        }
        Ok::<_, std::io::Error>(deleted)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(deleted)
}

/// Deletes every content kept in the database, a batch per transaction; says how many.
async fn empty_database(store: &Store) -> Result<usize, MigrateError> {
    let stored = store.stored_blobs().await?;
    let hashes: Vec<&str> = stored.iter().map(|(sha, _)| sha.as_str()).collect();
    for batch in hashes.chunks(DELETE_BATCH) {
        store.delete_blobs(batch).await?;
    }
    Ok(hashes.len())
}

/// Undoes a move in its copy phase: deletes what it copied to `to`.
async fn undo(settings: &StorageSettings, store: &Store, to: &str) -> Result<usize, MigrateError> {
    if to == "database" {
        empty_database(store).await
    } else {
        match folder(settings)? {
            Some(files) => delete_files_stored_in_database(&files, store).await,
            None => Ok(0),
        }
    }
}

fn start(progress: &ProgressBar, length: u64, what: &str) {
    progress.set_length(length);
    progress.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} documents, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message(format!("moving the documents {what}:"));
}
