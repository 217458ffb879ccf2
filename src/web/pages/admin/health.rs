//! `/admin/health`: what each daemon instance last wrote of itself (its state, last sync and
//! last error) and the recent errors. The daemon writes them to the database
//! ([`crate::health::Health::recorded`]) because this page is served by `applymail web`,
//! often another process. Errors may name the mail server and its login: admins only.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;
use chrono::{Duration, Utc};

use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, render, unavailable};
use crate::web::session::SignedIn;

/// Errors shown.
const RECENT_ERRORS: i64 = 50;
/// A running daemon's writer says it is alive every [`crate::health::ALIVE_EVERY`] (5
/// minutes) at least: silence beyond three of those means the process is gone.
const SILENT_AFTER_MINUTES: i64 = 15;

pub struct InstanceRow {
    instance: String,
    mailbox: String,
    state_key: String,
    state: &'static str,
    since: String,
    last_sync: Option<String>,
    heard: String,
    silent: bool,
    last_error: Option<(String, String)>,
}

pub struct ErrorRow {
    at: String,
    instance: String,
    error: String,
}

#[derive(Template)]
#[template(path = "admin_health.html")]
struct HealthPage {
    t: &'static Catalogue,
    chrome: Chrome,
    instances: Vec<InstanceRow>,
    errors: Vec<ErrorRow>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
) -> Response {
    let t = signed_in.t;
    let (instances, errors) = match tokio::try_join!(
        state.store.instances_health(),
        state.store.daemon_errors(RECENT_ERRORS)
    ) {
        Ok(found) => found,
        Err(err) => return unavailable(t, err, "read the daemon's health"),
    };
    let now = Utc::now();
    render(&HealthPage {
        t,
        chrome: Chrome::new(&signed_in, "/admin/health"),
        instances: instances
            .into_iter()
            .map(|i| InstanceRow {
                silent: i.state != "stopped"
                    && now - i.updated_at > Duration::minutes(SILENT_AFTER_MINUTES),
                state: t.admin.state(&i.state),
                since: date_time(i.state_since),
                last_sync: i.last_sync_at.map(date_time),
                heard: date_time(i.updated_at),
                last_error: i.last_error.zip(i.last_error_at.map(date_time)),
                state_key: i.state,
                instance: i.instance,
                mailbox: i.mailbox,
            })
            .collect(),
        errors: errors
            .into_iter()
            .map(|e| ErrorRow {
                at: date_time(e.at),
                instance: e.instance,
                error: e.error,
            })
            .collect(),
    })
}
