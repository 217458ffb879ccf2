//! `run`: the daemon. It takes the mailbox lease (one active instance per mailbox), then
//! watches an IMAP account or polls a local Maildir; `--once` makes one full pass and exits.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;
use tracing::{error, info, warn};

use super::pipeline;
use crate::config::{MailboxSettings, MaildirSettings, Settings};
use crate::domain::source::Direction;
use crate::health::{Health, MailboxState};
use crate::ingest::{Acknowledger, Pipeline, SentCopy, WatchContext, WatchError, watch_imap};
use crate::shutdown::Shutdown;
use crate::sources;
use crate::store::lease::Lease;

pub async fn run(settings: &Settings, once: bool) -> anyhow::Result<ExitCode> {
    let mut pipeline = pipeline(settings).await?;
    let acknowledger = match &settings.acknowledgement {
        None => None,
        Some(ack) => {
            let wake = Arc::new(Notify::new());
            pipeline = pipeline.with_acknowledgements(ack, Arc::clone(&wake));
            let mut acknowledger =
                Acknowledger::new(pipeline.store().clone(), ack, &settings.postings, wake)
                    .context("[acknowledgement.smtp]")?;
            if ack.save_to_sent {
                let copy = match &settings.mailbox {
                    MailboxSettings::Imap(imap) => SentCopy::Imap(Arc::new(imap.clone())),
                    MailboxSettings::Maildir(maildir) => SentCopy::Maildir(
                        sent_folder(maildir).unwrap_or_else(|| maildir.path.join(".Sent")),
                    ),
                };
                acknowledger = acknowledger.with_sent_copy(copy);
            }
            info!(server = %ack.smtp.host, from = %ack.from, "acknowledgements on");
            Some(acknowledger)
        }
    };
    let shutdown = Shutdown::on_signals();
    let health = Arc::new(Health::default());
    if let Some(http) = &settings.http {
        crate::http::spawn(
            http.listen,
            Arc::clone(&health),
            pipeline.store().clone(),
            shutdown.clone(),
        )
        .await?;
    }
    crate::retention::spawn_daily(
        pipeline.store().clone(),
        pipeline.blobs().clone(),
        settings.retention.keep_for,
        shutdown.clone(),
    );
    let identity = mailbox_identity(&settings.mailbox);
    // An instance that loses its lease (its database connection broke) stands by again.
    loop {
        health.set(MailboxState::Standby);
        let Some(mut lease) = pipeline.store().acquire_lease(&identity, &shutdown).await? else {
            break;
        };
        health.set(MailboxState::Starting);
        // Only the lease holder sends, and only after settling what a crash interrupted.
        let sender = match &acknowledger {
            Some(a) => {
                a.recover().await?;
                (!once).then(|| tokio::spawn(a.clone().run(shutdown.clone())))
            }
            None => None,
        };
        let ctx = WatchContext {
            pipeline: &pipeline,
            once,
            shutdown: &shutdown,
            health: &health,
        };
        let result = match &settings.mailbox {
            MailboxSettings::Imap(imap) => {
                info!(host = %imap.host, port = imap.port, once, "watching IMAP mailbox");
                watch_imap(ctx, imap, &mut lease).await
            }
            MailboxSettings::Maildir(maildir) => watch_maildir(ctx, maildir, &mut lease).await,
        };
        if let Some(task) = sender {
            if shutdown.is_requested() {
                // It stops after the message in hand.
                let _ = task.await;
            } else {
                task.abort();
            }
        }
        if let (Some(a), true, Ok(())) = (&acknowledger, once, &result) {
            match a.send_due(&shutdown).await {
                Ok(sent) if sent > 0 => info!(sent, "acknowledgements sent"),
                Ok(_) => {}
                Err(err) => {
                    warn!(error = %err, "acknowledgements not sent: they stay queued for the next run")
                }
            }
        }
        lease.release().await;
        match result {
            Ok(()) => break,
            Err(WatchError::Lease(err)) if !once => {
                warn!(error = %err, "lost the mailbox lease: standing by");
            }
            Err(err) => return Err(err.into()),
        }
    }
    info!("stopped");
    pipeline.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// What the lease is taken on: the mailbox, as every instance configured for it names it.
fn mailbox_identity(mailbox: &MailboxSettings) -> String {
    match mailbox {
        MailboxSettings::Imap(imap) => {
            format!(
                "imap://{}@{}:{}/{}",
                imap.username, imap.host, imap.port, imap.inbox
            )
        }
        MailboxSettings::Maildir(maildir) => {
            let path = maildir
                .path
                .canonicalize()
                .unwrap_or_else(|_| maildir.path.clone());
            format!("maildir://{}", path.display())
        }
    }
}

async fn watch_maildir(
    ctx: WatchContext<'_>,
    maildir: &MaildirSettings,
    lease: &mut Lease,
) -> Result<(), WatchError> {
    let WatchContext {
        pipeline,
        once,
        shutdown,
        health,
    } = ctx;
    info!(path = %maildir.path.display(), once, "watching Maildir");
    loop {
        lease.check().await?;
        match pass(pipeline, maildir, shutdown).await {
            Ok(()) => health.set(MailboxState::Connected),
            Err(err) if once => return Err(WatchError::Other(err)),
            Err(err) => {
                health.set(MailboxState::Down(format!("{err:#}")));
                // The database or the disk failed: nothing was recorded for the message in hand,
                // so the next pass retries it.
                error!(error = format!("{err:#}"), retry_in = ?maildir.poll_interval, "pass failed");
            }
        }
        if once || shutdown.is_requested() {
            return Ok(());
        }
        if shutdown.sleep(maildir.poll_interval).await {
            return Ok(());
        }
    }
}

/// One pass: the inbox, then the sent folder, so that answers find their applications.
async fn pass(
    pipeline: &Pipeline,
    maildir: &MaildirSettings,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    // `sources::open` would read any folder as a folder of .eml files: the mailbox must be a
    // Maildir, or a wrong path would look like an empty mailbox.
    if !sources::is_maildir(&maildir.path) {
        anyhow::bail!(
            "mailbox.path {} is not a Maildir (it has no new/ or cur/ folder)",
            maildir.path.display()
        );
    }
    let inbox = sources::open(&maildir.path, Some("maildir:INBOX"))
        .with_context(|| format!("mailbox.path {}", maildir.path.display()))?;
    pipeline
        .ingest_source(inbox, Direction::Inbound, shutdown, |_, r| {
            *counts.entry(r.outcome()).or_default() += 1
        })
        .await?;
    if let Some(sent) = sent_folder(maildir) {
        let source = sources::open(&sent, Some("maildir:Sent"))
            .with_context(|| format!("mailbox.sent {}", sent.display()))?;
        pipeline
            .ingest_source(source, Direction::Outbound, shutdown, |_, r| {
                *counts.entry(r.outcome()).or_default() += 1
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
