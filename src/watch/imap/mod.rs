//! Watching an IMAP account: connect, read the inbox and the Sent folder (one pass each,
//! [`pass`], which downloads with [`download`] and marks with [`marks`]), then wait in IDLE (or sleep, without IDLE) and start again. A
//! failure of the server, the network, the database or the disk ends the connection: it is
//! retried with jittered exponential backoff, and an admin can act on the log line.

mod download;
mod marks;
mod pass;

use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, error, info, warn};

use self::pass::{has_news, sync};
use super::{WatchContext, WatchError};
use crate::backoff::Backoff;
use crate::config::{AfterFiling, ImapSettings};
use crate::domain::source::Direction;
use crate::health::{Health, MailboxState, record_error};
use crate::imap::{IdleEnd, ImapClient, client_config};
use crate::store::lease::Lease;

/// RFC 2177: servers may drop an IDLE after 30 minutes; re-issue well inside it.
const MAX_IDLE: Duration = Duration::from_secs(10 * 60);
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(5 * 60);
/// After a refused login, wait long enough that the server does not lock the account.
const AUTH_BACKOFF_START: Duration = Duration::from_secs(10 * 60);
const AUTH_BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);

/// Runs until shutdown (or, with `once`, after one full pass). Problems are retried with
/// jittered exponential backoff; with `once` the first problem is returned.
pub async fn watch_imap(
    ctx: WatchContext<'_>,
    settings: &ImapSettings,
    lease: &mut Lease,
) -> Result<(), WatchError> {
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut backoff = Backoff::default();
    loop {
        let err = match serve(ctx, settings, Arc::clone(&tls), &mut backoff, lease).await {
            Ok(()) => return Ok(()),
            Err(err @ WatchError::Lease(_)) => return Err(err),
            Err(err) if ctx.once => return Err(err),
            Err(err) if ctx.shutdown.is_requested() => {
                warn!(error = %err, "stopping: the session did not end cleanly");
                return Ok(());
            }
            Err(err) => err,
        };
        let (delay, state, kind) = match &err {
            WatchError::Imap(e) if e.is_auth() => (
                backoff.grow(AUTH_BACKOFF_START, AUTH_BACKOFF_MAX),
                "authentication failed",
                "auth",
            ),
            WatchError::Imap(e) if e.is_permanent() => (
                backoff.grow(AUTH_BACKOFF_START, AUTH_BACKOFF_MAX),
                "cannot connect securely",
                "imap",
            ),
            WatchError::Imap(_) => (
                backoff.grow(BACKOFF_START, BACKOFF_MAX),
                "connection failed",
                "imap",
            ),
            // The database or the document store failed, or a message did: nothing of it was
            // acknowledged, so the same messages are read again.
            WatchError::Ingest(_) | WatchError::Lease(_) | WatchError::Other(_) => (
                backoff.grow(BACKOFF_START, BACKOFF_MAX),
                "pass failed",
                "storage",
            ),
        };
        ctx.health.set(MailboxState::Down(err.to_string()));
        record_error(kind);
        metrics::counter!("applymail_reconnects_total").increment(1);
        error!(host = %settings.host, error = %err, retry_in = ?delay, "{state}; reconnecting");
        if ctx.shutdown.sleep(delay).await {
            return Ok(());
        }
    }
}

/// One connection: passes over the inbox and the Sent folder, and waits between them.
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
    let sent = super::sent::imap_sent_folder(&mut client, settings).await?;
    let sent = sent.name().map(str::to_owned);
    let idle = client.has_capability("IDLE");
    // The waiting line is logged once per connection, not on every wake-up.
    let mut said_waiting = false;
    loop {
        lease.check().await?;
        // The inbox stays selected from one pass to the next unless the Sent folder has news:
        // selecting a large folder again is what a new message would wait for.
        let inbox = &settings.inbox;
        sync(
            pipeline,
            &mut client,
            inbox,
            Direction::Inbound,
            &settings.after_filing,
            shutdown,
        )
        .await?;
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
        health.synced();
        if once || shutdown.is_requested() {
            client.logout().await;
            return Ok(());
        }
        if sent_read {
            // Mail that arrived meanwhile was announced to a folder we had left: read the
            // inbox once more (which also selects it again) before waiting.
            continue;
        }
        if !wait(
            &mut client,
            settings,
            health,
            idle,
            &mut said_waiting,
            shutdown,
        )
        .await?
        {
            client.logout().await;
            return Ok(());
        }
    }
}

/// Waits for news: IDLE when the server has it, a sleep otherwise. Says whether to go on.
async fn wait(
    client: &mut ImapClient,
    settings: &ImapSettings,
    health: &Health,
    idle: bool,
    said_waiting: &mut bool,
    shutdown: &crate::shutdown::Shutdown,
) -> Result<bool, WatchError> {
    if !idle {
        if !*said_waiting {
            info!(every = ?settings.poll_interval, "the server has no IDLE: polling");
            *said_waiting = true;
        }
        return Ok(!shutdown.sleep(settings.poll_interval).await);
    }
    if !*said_waiting {
        info!(folder = %settings.inbox, "idle: waiting for new mail");
        *said_waiting = true;
    }
    health.set(MailboxState::Idle);
    // A server may accept IDLE and never push: the inbox is read again every
    // `idle_poll_interval` all the same (leaving IDLE and a UID SEARCH: cheap).
    let end = client
        .idle(settings.idle_poll_interval.min(MAX_IDLE))
        .await?;
    health.set(MailboxState::Connected);
    debug!(?end, "idle ended");
    Ok(end != IdleEnd::Stopped)
}
