//! Watching an IMAP account: the daemon's loop. It joins the IMAP client, the pipeline and
//! the folder cursors, in this order for every batch: fetch (BODY.PEEK), commit each
//! message's outcome, act on the server (keyword or move), and only then advance the cursor.
//! One pass over a folder is [`folder_pass`].
//! A crash anywhere repeats at most the batch in hand, which the ledger turns into no-ops.

use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, error, info, warn};

use super::folder_pass::{has_news, sync};
use super::{IngestError, Pipeline};
use crate::backoff::Backoff;
use crate::config::{AfterFiling, ImapSettings};
use crate::domain::source::Direction;
use crate::health::{Health, MailboxState, record_error};
use crate::imap::{IdleEnd, ImapClient, ImapError, client_config};
use crate::shutdown::Shutdown;
use crate::store::lease::{Lease, LeaseError};

/// RFC 2177: servers may drop an IDLE after 30 minutes; re-issue well inside it.
const MAX_IDLE: Duration = Duration::from_secs(10 * 60);
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(5 * 60);
/// After a refused login, wait long enough that the server does not lock the account.
const AUTH_BACKOFF_START: Duration = Duration::from_secs(10 * 60);
const AUTH_BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("{0:#}")]
    Other(anyhow::Error),
}

impl From<crate::store::StoreError> for WatchError {
    fn from(err: crate::store::StoreError) -> Self {
        WatchError::Ingest(err.into())
    }
}

/// What every watch loop (IMAP here, Maildir in `run`) works with.
#[derive(Debug, Clone, Copy)]
pub struct WatchContext<'a> {
    pub pipeline: &'a Pipeline,
    /// One full pass, then return.
    pub once: bool,
    pub shutdown: &'a Shutdown,
    pub health: &'a Health,
}

/// Runs until shutdown (or, with `once`, after one full pass). Connection problems are
/// retried with jittered exponential backoff; with `once` the first problem is returned.
pub async fn watch_imap(
    ctx: WatchContext<'_>,
    settings: &ImapSettings,
    lease: &mut Lease,
) -> Result<(), WatchError> {
    let WatchContext {
        once,
        shutdown,
        health,
        ..
    } = ctx;
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut backoff = Backoff::default();
    loop {
        let err = match serve(ctx, settings, Arc::clone(&tls), &mut backoff, lease).await {
            Ok(()) => return Ok(()),
            Err(err @ WatchError::Lease(_)) => return Err(err),
            Err(err) if once => return Err(err),
            Err(err) if shutdown.is_requested() => {
                warn!(error = %err, "stopping: the session did not end cleanly");
                return Ok(());
            }
            Err(err) => err,
        };
        let (delay, state) = match &err {
            WatchError::Imap(e) if e.is_auth() => (
                backoff.grow(AUTH_BACKOFF_START, AUTH_BACKOFF_MAX),
                "authentication failed",
            ),
            WatchError::Imap(e) if e.is_permanent() => (
                backoff.grow(AUTH_BACKOFF_START, AUTH_BACKOFF_MAX),
                "cannot connect securely",
            ),
            WatchError::Imap(_) => (
                backoff.grow(BACKOFF_START, BACKOFF_MAX),
                "connection failed",
            ),
            // The database or the document store failed: nothing was acknowledged, so the
            // same messages are read again once it recovers.
            WatchError::Ingest(_) | WatchError::Lease(_) | WatchError::Other(_) => {
                (backoff.grow(BACKOFF_START, BACKOFF_MAX), "storage failed")
            }
        };
        health.set(MailboxState::Down(err.to_string()));
        record_error(match &err {
            WatchError::Imap(e) if e.is_auth() => "auth",
            WatchError::Imap(_) => "imap",
            _ => "storage",
        });
        metrics::counter!("applymail_reconnects_total").increment(1);
        error!(host = %settings.host, error = %err, retry_in = ?delay, "{state}; reconnecting");
        if shutdown.sleep(delay).await {
            return Ok(());
        }
    }
}

async fn serve(
    ctx: WatchContext<'_>,
    settings: &ImapSettings,
    tls: Arc<rustls::ClientConfig>,
    backoff: &mut Backoff,
    lease: &mut Lease,
) -> Result<(), WatchError> {
    let WatchContext {
        pipeline,
        once,
        shutdown,
        health,
    } = ctx;
    // Nothing is in hand yet: a server that does not answer must not hold up a shutdown.
    let mut client = tokio::select! {
        client = ImapClient::connect(settings, tls) => client?,
        () = shutdown.wait() => return Ok(()),
    };
    client.stop_on(shutdown);
    backoff.reset();
    health.set(MailboxState::Connected);
    info!(host = %settings.host, user = client.user(), capabilities = %client.capabilities().join(" "), "connected");
    let sent = sent_folder(&mut client, settings).await?;
    let idle = client.has_capability("IDLE");
    // The waiting line is logged once per connection, not on every wake-up.
    let mut said_waiting = false;
    loop {
        lease.check().await?;
        // The inbox stays selected from one pass to the next unless the Sent folder has news:
        // selecting a large folder again is what a new message would wait for.
        sync_inbox(pipeline, &mut client, settings, shutdown).await?;
        let sent_read = match &sent {
            Some(sent) if has_news(pipeline, &mut client, sent).await? => {
                sync(
                    pipeline,
                    &mut client,
                    sent,
                    Direction::Outbound,
                    &AfterFiling::None,
                    shutdown,
                )
                .await?;
                true
            }
            _ => false,
        };
        if once || shutdown.is_requested() {
            client.logout().await;
            return Ok(());
        }
        if sent_read {
            // Mail that arrived meanwhile was announced to a folder we had left: read the
            // inbox once more (which also selects it again) before waiting.
            continue;
        }
        if idle {
            if !said_waiting {
                info!(folder = %settings.inbox, "idle: waiting for new mail");
                said_waiting = true;
            }
            health.set(MailboxState::Idle);
            let (back, end) = client.idle(settings.poll_interval.min(MAX_IDLE)).await?;
            client = back;
            health.set(MailboxState::Connected);
            debug!(?end, "idle ended");
            if end == IdleEnd::Stopped {
                client.logout().await;
                return Ok(());
            }
        } else {
            if !said_waiting {
                info!(every = ?settings.poll_interval, "the server has no IDLE: polling");
                said_waiting = true;
            }
            if shutdown.sleep(settings.poll_interval).await {
                client.logout().await;
                return Ok(());
            }
        }
    }
}

/// The Sent folder: the configured one, or the one marked `\Sent` (RFC 6154).
pub(super) async fn sent_folder(
    client: &mut ImapClient,
    settings: &ImapSettings,
) -> Result<Option<String>, ImapError> {
    if let Some(sent) = &settings.sent {
        return Ok(Some(sent.clone()));
    }
    let folders = client.folders().await?;
    let found = folders
        .into_iter()
        .find(|f| f.special_use.iter().any(|u| u == "\\Sent") && f.name != settings.inbox)
        .map(|f| f.name);
    if found.is_none() {
        warn!(
            "no folder is marked \\Sent and mailbox.sent is not set: replies will not be tracked"
        );
    }
    Ok(found)
}

async fn sync_inbox(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    settings: &ImapSettings,
    shutdown: &Shutdown,
) -> Result<usize, WatchError> {
    sync(
        pipeline,
        client,
        &settings.inbox,
        Direction::Inbound,
        &settings.after_filing,
        shutdown,
    )
    .await
}
