//! Keeping candidates' data no longer than configured: the retention purge (daily in the
//! daemon, and `applymail purge`) and `applymail forget`.

use std::time::Duration;

use chrono::Utc;
use tracing::{error, info};

use crate::blobs::BlobStore;
use crate::shutdown::Shutdown;
use crate::store::erase::{Erase, Erased};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot delete a document file: {0}")]
    Blobs(#[from] std::io::Error),
    #[error("--older-than {0:?} is too long")]
    TooLong(Duration),
}

/// Erases in the database, then deletes the files nothing refers to any more.
pub async fn erase(
    store: &Store,
    blobs: &BlobStore,
    what: &Erase<'_>,
    actor: &str,
    dry_run: bool,
) -> Result<Erased, RetentionError> {
    let erased = store.erase(what, actor, dry_run).await?;
    store
        .remove_unreferenced_blobs(&erased.released_blobs, |sha| blobs.remove(sha))
        .await??;
    Ok(erased)
}

/// Erases the applications not hired whose last activity is older than `keep_for`.
pub async fn purge(
    store: &Store,
    blobs: &BlobStore,
    keep_for: Duration,
    actor: &str,
    dry_run: bool,
) -> Result<Erased, RetentionError> {
    let age =
        chrono::Duration::from_std(keep_for).map_err(|_| RetentionError::TooLong(keep_for))?;
    let cutoff = Utc::now()
        .checked_sub_signed(age)
        .ok_or(RetentionError::TooLong(keep_for))?;
    erase(store, blobs, &Erase::InactiveSince(cutoff), actor, dry_run).await
}

/// The daemon's retention: once at start, then once a day, until shutdown.
pub fn spawn_daily(store: Store, blobs: BlobStore, keep_for: Duration, shutdown: Shutdown) {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    tokio::spawn(async move {
        loop {
            match purge(&store, &blobs, keep_for, "applymail (retention)", false).await {
                Ok(erased) if erased.applications > 0 => info!(
                    applications = erased.applications,
                    documents = erased.documents,
                    older_than = %humantime::format_duration(keep_for),
                    "retention: erased old applications"
                ),
                Ok(_) => {}
                Err(err) => error!(error = %err, "retention purge failed; retrying tomorrow"),
            }
            if shutdown.sleep(DAY).await {
                return;
            }
        }
    });
}
