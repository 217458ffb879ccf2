//! `run`: the daemon. It takes the mailbox lease (one active instance per mailbox), then
//! watches an IMAP account or polls a local Maildir; `--once` makes one full pass and exits.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;
use tracing::{info, warn};

use super::pipeline;
use crate::config::{MailboxSettings, Settings};
use crate::health::{Health, MailboxState};
use crate::outbox::{Acknowledger, SentCopy};
use crate::shutdown::Shutdown;
use crate::watch::{WatchContext, WatchError, watch_imap, watch_maildir};

/// The daemon, until `shutdown` (or after one pass with `once`). The caller decides what
/// stops it: the signals, for the command line; a trigger, for a test.
pub async fn run(settings: &Settings, once: bool, shutdown: Shutdown) -> anyhow::Result<ExitCode> {
    let mut pipeline = pipeline(settings).await?;
    let acknowledger = match &settings.acknowledgement {
        None => None,
        Some(ack) => {
            let wake = Arc::new(Notify::new());
            pipeline = pipeline.with_acknowledgements(ack, Arc::clone(&wake));
            let mut acknowledger =
                Acknowledger::new(pipeline.store().clone(), ack, &settings.postings, wake)
                    .context("[smtp]")?;
            if ack.save_to_sent {
                acknowledger = acknowledger.with_sent_copy(SentCopy::of(settings));
            }
            info!(server = %ack.smtp.host, from = %ack.from, "acknowledgements on");
            Some(acknowledger)
        }
    };
    // The search indexer reads the documents after their commit; `--once` leaves it to the
    // next daemon or `web`, its time being the backfill's.
    let indexer = (!once).then(|| {
        let wake = Arc::new(Notify::new());
        pipeline = pipeline.clone().with_search_wake(Arc::clone(&wake));
        tokio::spawn(crate::textindex::run_indexer(
            pipeline.store().clone(),
            pipeline.documents().clone(),
            crate::textindex::IndexerLimits::default(),
            Some(wake),
            shutdown.clone(),
        ))
    });
    // Answers to candidates: any process with an SMTP server sends them (rows are claimed one
    // by one), so the daemon does whether or not it holds the mailbox lease.
    let answers =
        crate::outbox::AnswerSender::new(pipeline.store().clone(), settings).context("[smtp]")?;
    if let (Some(answers), false) = (&answers, once) {
        tokio::spawn(answers.clone().run(shutdown.clone()));
    }
    requeue_what_now_fits(&pipeline, settings).await?;
    let identity = mailbox_identity(&settings.mailbox);
    // Written to the database too: the admin's health page is served by `applymail web`,
    // often another process.
    let (health, health_writer) = Health::recorded(pipeline.store().clone(), &identity);
    let health = Arc::new(health);
    if let Some(http) = &settings.http {
        crate::http::spawn(
            http.listen,
            Arc::clone(&health),
            pipeline.store().clone(),
            shutdown.clone(),
        )
        .await?;
    }
    if settings.web.is_some() {
        let state = super::web::web_state(
            settings,
            pipeline.store().clone(),
            pipeline.documents().clone(),
            answers.clone(),
        );
        crate::web::spawn(state, shutdown.clone()).await?;
    }
    crate::retention::spawn_daily(
        pipeline.store().clone(),
        pipeline.documents().clone(),
        settings.retention.keep_for,
        shutdown.clone(),
    );
    let watched = watch(
        settings,
        once,
        &shutdown,
        &pipeline,
        acknowledger.as_ref(),
        &health,
        &identity,
    )
    .await;
    if let Err(err) = &watched {
        health.set(MailboxState::Down(format!("{err:#}")));
    }
    health.stopped();
    health_writer.finish().await;
    watched?;
    if let Some(task) = indexer {
        // It stops between documents; a PDF being read ends within its own time limit.
        if tokio::time::timeout(INDEXER_STOP, task).await.is_err() {
            warn!("the search indexer did not stop in time");
        }
    }
    info!("stopped");
    pipeline.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// Takes the lease and watches the mailbox until shutdown (or one pass with `once`).
async fn watch(
    settings: &Settings,
    once: bool,
    shutdown: &Shutdown,
    pipeline: &crate::ingest::Pipeline,
    acknowledger: Option<&Acknowledger>,
    health: &Health,
    identity: &str,
) -> anyhow::Result<()> {
    // An instance that loses its lease (its database connection broke) stands by again.
    loop {
        health.set(MailboxState::Standby);
        let Some(mut lease) = pipeline.store().acquire_lease(identity, shutdown).await? else {
            break;
        };
        // A standby may have waited through `applymail storage migrate`: it must not file
        // into the place the documents left.
        if let Err(err) = pipeline.documents().confirm(pipeline.store()).await {
            lease.release().await;
            return Err(err.into());
        }
        health.set(MailboxState::Starting);
        // Only the lease holder sends, and only after settling what a crash interrupted.
        let sender = match acknowledger {
            Some(a) => {
                a.recover().await?;
                (!once).then(|| tokio::spawn(a.clone().run(shutdown.clone())))
            }
            None => None,
        };
        let ctx = WatchContext {
            pipeline,
            once,
            shutdown,
            health,
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
        if let (Some(a), true, Ok(())) = (acknowledger, once, &result) {
            match a.send_due(shutdown).await {
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
    Ok(())
}

/// How long stopping waits for the search indexer: the sandboxed PDF reader's own limit
/// (15 s) and a little more.
const INDEXER_STOP: std::time::Duration = std::time::Duration::from_secs(20);

/// What the lease is taken on: the mailbox, as every instance configured for it names it.
pub(super) fn mailbox_identity(mailbox: &MailboxSettings) -> String {
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

/// Messages quarantined without being downloaded because they were larger than the limit then
/// are read again once `limits.max_message_bytes` allows them.
async fn requeue_what_now_fits(
    pipeline: &crate::ingest::Pipeline,
    settings: &Settings,
) -> anyhow::Result<()> {
    let ids = pipeline
        .store()
        .oversized_that_fit(settings.limits.max_message_bytes)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    let requeued = crate::retention::requeue(pipeline.store(), pipeline.documents(), &ids).await?;
    info!(
        messages = requeued,
        "messages quarantined as too large now fit limits.max_message_bytes: reading them again"
    );
    Ok(())
}
