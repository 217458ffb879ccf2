//! Keeping candidates' data no longer than configured: the retention purge (daily in the
//! daemon, and `applymail purge`) and `applymail forget`.

use std::time::Duration;

use chrono::Utc;
use tracing::{error, info};

use crate::documents::Documents;
use crate::domain::identity::{Identity, Legacy};
use crate::shutdown::Shutdown;
use crate::store::erase::{Erase, Erased};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read or delete a document: {0}")]
    Documents(#[from] std::io::Error),
    #[error("--older-than {0:?} is too long")]
    TooLong(Duration),
}

/// Erases in the database (documents kept there with the rows), then deletes the files
/// nothing refers to any more.
pub async fn erase(
    store: &Store,
    documents: &Documents,
    what: &Erase<'_>,
    actor: &str,
    dry_run: bool,
) -> Result<Erased, RetentionError> {
    let erased = store.erase(what, actor, dry_run).await?;
    documents
        .remove_released(store, &erased.released_blobs)
        .await?;
    Ok(erased)
}

/// Erases everything about the person writing from `email`: their applications, and the
/// quarantined messages that mention the address anywhere (their raw bytes are read here,
/// since only the document store has them).
pub async fn forget(
    store: &Store,
    documents: &Documents,
    email: &str,
    actor: &str,
) -> Result<Erased, RetentionError> {
    forget_or_count(store, documents, email, actor, false).await
}

/// What [`forget`] would erase, erasing nothing: the admin's confirmation step shows it.
pub async fn forget_preview(
    store: &Store,
    documents: &Documents,
    email: &str,
) -> Result<Erased, RetentionError> {
    forget_or_count(store, documents, email, "", true).await
}

async fn forget_or_count(
    store: &Store,
    documents: &Documents,
    email: &str,
    actor: &str,
    dry_run: bool,
) -> Result<Erased, RetentionError> {
    let needle = email.trim().to_lowercase();
    let mut quarantined = Vec::new();
    for (id, sha256, message_id) in store.quarantined_raw().await? {
        let raw = match documents.read(&sha256).await {
            Ok(raw) => raw,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        if mentions(&raw, &needle) {
            let identity = Identity::of(message_id.as_deref(), &raw, Legacy::None);
            quarantined.push((id, identity.key()));
        }
    }
    let what = Erase::Person {
        email: &needle,
        quarantined: &quarantined,
    };
    erase(store, documents, &what, actor, dry_run).await
}

/// Whether raw bytes hold an address, whatever its case.
fn mentions(raw: &[u8], lowercase_address: &str) -> bool {
    let needle = lowercase_address.as_bytes();
    !needle.is_empty()
        && raw
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

/// Takes quarantined messages out of the ledger so that they are read again, and deletes the
/// raw copies nothing names any more; says how many were requeued.
pub async fn requeue(
    store: &Store,
    documents: &Documents,
    ids: &[i64],
) -> Result<usize, RetentionError> {
    let requeued = store.requeue(ids).await?;
    documents
        .remove_released(store, &requeued.released_blobs)
        .await?;
    Ok(requeued.messages)
}

/// Erases the applications not hired whose last activity is older than `keep_for`.
pub async fn purge(
    store: &Store,
    documents: &Documents,
    keep_for: Duration,
    actor: &str,
    dry_run: bool,
) -> Result<Erased, RetentionError> {
    let age =
        chrono::Duration::from_std(keep_for).map_err(|_| RetentionError::TooLong(keep_for))?;
    let cutoff = Utc::now()
        .checked_sub_signed(age)
        .ok_or(RetentionError::TooLong(keep_for))?;
    erase(
        store,
        documents,
        &Erase::InactiveSince(cutoff),
        actor,
        dry_run,
    )
    .await
}

/// The daemon's retention: once at start, then once a day, until shutdown.
pub fn spawn_daily(store: Store, documents: Documents, keep_for: Duration, shutdown: Shutdown) {
    const DAY: Duration = Duration::from_secs(24 * 3600);
    tokio::spawn(async move {
        loop {
            match purge(&store, &documents, keep_for, "applymail (retention)", false).await {
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

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_is_found_whatever_its_case() {
        assert!(super::mentions(
            b"From: Marie <Marie.Dupont@Example.com>",
            "marie.dupont@example.com"
        ));
        assert!(!super::mentions(
            b"From: someone@example.com",
            "marie.dupont@example.com"
        ));
        assert!(!super::mentions(b"anything", ""));
    }
}
