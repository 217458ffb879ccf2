//! Watching a local Maildir: the embedded default mailbox, and servers that deliver locally.
//! Every `poll_interval`, the inbox and then the Sent folder are read; the ledger makes a
//! message already recorded cost one lookup.

use std::collections::BTreeMap;

use anyhow::Context;
use tracing::{error, info};

use super::local::{Arrival, file_source};
use super::sent::maildir_sent_folder;
use super::{WatchContext, WatchError};
use crate::config::MaildirSettings;
use crate::domain::named::Named;
use crate::domain::outcome::OutcomeKind;
use crate::domain::source::Direction;
use crate::health::MailboxState;
use crate::ingest::Pipeline;
use crate::shutdown::Shutdown;
use crate::sources;
use crate::store::lease::Lease;

pub async fn watch_maildir(
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
            Ok(()) => {
                health.set(MailboxState::Connected);
                health.synced();
            }
            Err(err) if once => return Err(WatchError::Other(err)),
            Err(err) => {
                health.set(MailboxState::Down(format!("{err:#}")));
                // Nothing was recorded for the messages that failed: the next pass retries them.
                error!(error = format!("{err:#}"), retry_in = ?maildir.poll_interval, "pass failed");
            }
        }
        if once || shutdown.is_requested() || shutdown.sleep(maildir.poll_interval).await {
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
    let mut counts = BTreeMap::<OutcomeKind, usize>::new();
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
    file_source(
        pipeline,
        inbox,
        Direction::Inbound,
        Arrival::Delivered,
        shutdown,
        |_, outcome| *counts.entry(outcome.kind()).or_default() += 1,
    )
    .await?;
    if let Some(sent) = maildir_sent_folder(maildir) {
        let source = sources::open(&sent, Some("maildir:Sent"))
            .with_context(|| format!("mailbox.sent {}", sent.display()))?;
        file_source(
            pipeline,
            source,
            Direction::Outbound,
            Arrival::Delivered,
            shutdown,
            |_, outcome| *counts.entry(outcome.kind()).or_default() += 1,
        )
        .await?;
    }
    let new: usize = counts
        .iter()
        .filter(|(kind, _)| **kind != OutcomeKind::AlreadySeen)
        .map(|(_, n)| n)
        .sum();
    if new > 0 {
        let counts: BTreeMap<&str, usize> = counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        info!(?counts, "pass done");
    }
    Ok(())
}
