//! The recruiters' web app (`applymail web`, or `applymail run` with a `[web]` section):
//! server-rendered pages in French (or English) that work without JavaScript, behind a login.
//!
//! - [`routes`]: the one route table, each route with who may use it; the router is built
//!   from it, and a test walks it.
//! - [`session`]: accounts signing in and out, the session cookie, login throttling.
//! - [`security`]: what every response carries (CSP, framing, referrer), the cross-site
//!   request check, the client's address behind a trusted proxy.
//! - [`catalogue`]: every string of the pages, in French and in English, and the choice of
//!   one per request.
//! - [`pages`]: the list and its export, an application with its notes and ratings, its
//!   documents, the account's language; the admin's pages (`/admin`: accounts, erasure,
//!   purge, quarantine, health, audit trail, reply templates).
//! - [`assets`]: the stylesheet, the scripts and the PDF viewer, compiled into the binary.

mod assets;
pub mod catalogue;
mod pages;
pub mod routes;
mod security;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tracing::info;

pub use session::hash_password;

use crate::config::{Limits, WebSettings};
use crate::documents::Documents;
use crate::domain::posting::Posting;
use crate::shutdown::Shutdown;
use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub documents: Documents,
    pub settings: Arc<WebSettings>,
    pub postings: Arc<Vec<Posting>>,
    pub limits: Arc<Limits>,
    /// `retention.keep_for`: the admin's purge page previews and runs the daemon's purge.
    pub keep_for: std::time::Duration,
    /// The `{organisation}` of a template's preview: the acknowledgements' signature, else
    /// the mailbox's first address.
    pub signature: Arc<str>,
    /// `[organisation] timezone`: the zone an interview's slot is typed in.
    pub timezone: chrono_tz::Tz,
    /// The answers' sender when `[smtp]` is configured: a job made here wakes it. Without
    /// it, jobs wait for a process that has one.
    pub answers: Option<crate::outbox::AnswerSender>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot listen on {addr} (web.listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The app's router, every route from [`routes::table`] behind its guard.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

/// Binds `[web] listen` (a port conflict stops start-up with a clear error) and serves until
/// shutdown, in the background.
pub async fn spawn(state: AppState, shutdown: Shutdown) -> Result<SocketAddr, WebError> {
    let addr = state.settings.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WebError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| WebError::Bind { addr, source })?;
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    info!(listen = %local, "serving the recruiters' web app");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    });
    Ok(local)
}
