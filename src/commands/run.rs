//! `run`: the daemon. With a Maildir mailbox it polls the folder; `--once` makes one pass.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use tracing::{error, info};

use super::pipeline;
use crate::config::{MailboxSettings, MaildirSettings, Settings};
use crate::domain::source::Direction;
use crate::ingest::Pipeline;
use crate::sources;

pub async fn run(settings: &Settings, once: bool) -> anyhow::Result<ExitCode> {
    let maildir = match &settings.mailbox {
        MailboxSettings::Maildir(maildir) => maildir,
        MailboxSettings::Imap(_) => bail!(
            "mailbox.kind = \"imap\" is not supported by this version yet; use kind = \"maildir\" or `applymail import`"
        ),
    };
    let pipeline = pipeline(settings).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let notify = Arc::new(tokio::sync::Notify::new());
    spawn_signal_handler(Arc::clone(&stop), Arc::clone(&notify));
    info!(path = %maildir.path.display(), once, "watching Maildir");
    loop {
        if let Err(err) = pass(&pipeline, maildir, &stop).await {
            if once {
                return Err(err);
            }
            // The database or the disk failed: nothing was recorded for the message in hand,
            // so the next pass retries it.
            error!(error = format!("{err:#}"), retry_in = ?maildir.poll_interval, "pass failed");
        }
        if once || stop.load(Ordering::Relaxed) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(maildir.poll_interval) => {}
            () = notify.notified() => {}
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    info!("stopped");
    pipeline.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// One pass: the inbox, then the sent folder, so that answers find their applications.
async fn pass(
    pipeline: &Pipeline,
    maildir: &MaildirSettings,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let inbox = sources::open(&maildir.path, Some("maildir:INBOX"))
        .with_context(|| format!("mailbox.path {}", maildir.path.display()))?;
    pipeline
        .ingest_source(inbox, Direction::Inbound, stop, |o| {
            *counts.entry(o).or_default() += 1
        })
        .await?;
    if let Some(sent) = sent_folder(maildir) {
        let source = sources::open(&sent, Some("maildir:Sent"))
            .with_context(|| format!("mailbox.sent {}", sent.display()))?;
        pipeline
            .ingest_source(source, Direction::Outbound, stop, |o| {
                *counts.entry(o).or_default() += 1
            })
            .await?;
    }
    let new = counts
        .iter()
        .filter(|(o, _)| **o != "already-seen")
        .map(|(_, n)| n)
        .sum::<usize>();
    if new > 0 {
        info!(?counts, "pass done");
    }
    Ok(())
}

/// `sent = "Sent"` is the Maildir++ subfolder `.Sent`; an absolute path is taken as is;
/// without the key, `.Sent` is used when it exists.
fn sent_folder(maildir: &MaildirSettings) -> Option<PathBuf> {
    match &maildir.sent {
        Some(path) if path.is_absolute() || path.components().count() > 1 => Some(path.clone()),
        Some(name) => Some(maildir.path.join(format!(".{}", name.display()))),
        None => Some(maildir.path.join(".Sent")).filter(|p| sources::is_maildir(Path::new(p))),
    }
}

fn spawn_signal_handler(stop: Arc<AtomicBool>, notify: Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        wait_for_signal().await;
        info!("shutdown requested: finishing the message in hand");
        stop.store(true, Ordering::Relaxed);
        notify.notify_one();
    });
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
