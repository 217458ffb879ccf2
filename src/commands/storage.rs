//! `storage migrate` and `document`: moving the documents between files and the database, and
//! giving one document's bytes, wherever they are kept.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

use super::output::say;
use super::{open_documents, open_store};
use crate::cli::StorageTarget;
use crate::config::{Settings, StorageKind};
use crate::documents::migrate::migrate;
use crate::shutdown::Shutdown;

/// `applymail storage migrate --to …`, refused while a daemon holds the mailbox.
pub async fn migrate_to(settings: &Settings, to: StorageTarget) -> anyhow::Result<ExitCode> {
    let to = match to {
        StorageTarget::Database => StorageKind::Database,
        StorageTarget::Files => StorageKind::Files,
    };
    let store = open_store(settings).await?;
    // A daemon filing meanwhile would write to the old place: the move takes the daemon's own
    // lease, without waiting for it.
    let identity = super::run::mailbox_identity(&settings.mailbox);
    let (stop, stopped) = Shutdown::new();
    stop.trigger();
    let lease = match store.acquire_lease(&identity, &stopped).await {
        Ok(Some(lease)) => lease,
        Ok(None) | Err(crate::store::lease::LeaseError::Taken(_)) => bail!(
            "an applymail daemon is running on this mailbox: stop every instance (and `applymail web`) before moving the documents"
        ),
        Err(err) => return Err(err.into()),
    };
    let progress = indicatif::ProgressBar::new(0);
    let moved = migrate(&settings.storage, &store, to, &progress).await;
    lease.release().await;
    store.close().await;
    let moved = moved?;
    let kind: &'static str = to.into();
    if moved.undone {
        say(format_args!(
            "the move the other way was undone ({} copies deleted); the documents stay in {kind}",
            moved.deleted
        ))?;
    } else if moved.already_there {
        say(format_args!(
            "the documents are already in {kind}{}",
            if moved.deleted > 0 {
                format!(
                    "; {} copies left in this host's folder were deleted",
                    moved.deleted
                )
            } else {
                String::new()
            }
        ))?;
    } else {
        say(format_args!(
            "moved {} document(s), {:.1} MB, each checked against its SHA-256; {} old copies deleted",
            moved.copied,
            moved.copied_bytes as f64 / 1e6,
            moved.deleted
        ))?;
    }
    if settings.storage.kind != to {
        say(format_args!(
            "now set [storage] kind = \"{kind}\" in the configuration of every instance: applymail refuses to start until it says where the documents are"
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `applymail document SHA256 --out FILE`: the bytes, checked against their hash as they are
/// written.
pub async fn document(settings: &Settings, sha256: &str, out: &Path) -> anyhow::Result<ExitCode> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{sha256:?} is not a SHA-256 (64 hexadecimal digits, as `show` and `export` give)");
    }
    let sha256 = sha256.to_ascii_lowercase();
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    let mut reader = documents
        .open_reader(&sha256)
        .await
        .with_context(|| format!("document {sha256}"))?;
    let to_stdout = out == Path::new("-");
    // A candidate's document: readable by applymail's user only.
    let mut file: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(out)
                .with_context(|| format!("cannot write {}", out.display()))?,
        )
    };
    let mut hasher = Sha256::new();
    let written = async {
        while let Some(chunk) = reader.next_chunk().await? {
            hasher.update(&chunk);
            file.write_all(&chunk)?;
        }
        file.flush()
    }
    .await;
    store.close().await;
    if let Err(err) = written {
        bail!("document {sha256}: {err}");
    }
    if hex::encode(hasher.finalize()) != sha256 {
        if !to_stdout {
            let _ = std::fs::remove_file(out);
        }
        bail!("document {sha256} is damaged: its bytes have another SHA-256");
    }
    Ok(ExitCode::SUCCESS)
}
