//! `/admin/quarantine`: the mail that could not be filed, with why (`applymail quarantine
//! list`), and a button per message to read it again (`quarantine requeue`, the same code).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tracing::info;

use super::audit;
use crate::domain::printable::printable;
use crate::retention;
use crate::store::audit::AuditAction;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, error_page, render, unavailable};
use crate::web::session::SignedIn;

pub struct Row {
    id: i64,
    seen: String,
    mailbox: String,
    location: String,
    reason: String,
    raw: &'static str,
}

#[derive(Template)]
#[template(path = "admin_quarantine.html")]
struct QuarantinePage {
    t: &'static Catalogue,
    chrome: Chrome,
    rows: Vec<Row>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    requeued: String,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Query(done): Query<Done>,
) -> Response {
    let t = signed_in.t;
    let rows = match state.store.quarantined().await {
        Ok(rows) => rows,
        Err(err) => return unavailable(t, err, "list the quarantine"),
    };
    render(&QuarantinePage {
        t,
        chrome: Chrome::new(&signed_in, "/admin/quarantine"),
        rows: rows
            .into_iter()
            .map(|q| Row {
                id: q.id,
                seen: date_time(q.seen_at),
                mailbox: printable(&q.mailbox).to_string(),
                location: printable(&q.location).to_string(),
                reason: printable(q.reason.as_deref().unwrap_or("-")).to_string(),
                raw: if q.raw_sha256.is_some() {
                    t.admin.raw_kept
                } else {
                    t.admin.raw_on_server
                },
            })
            .collect(),
        notice: (done.requeued == "1").then_some(t.admin.requeued),
    })
}

pub async fn requeue(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let t = signed_in.t;
    // What the row was, for the audit trail: its place in the mailbox, not its content.
    let row = match state.store.quarantined().await {
        Ok(rows) => rows.into_iter().find(|q| q.id == id),
        Err(err) => return unavailable(t, err, "read the quarantine"),
    };
    let Some(row) = row else {
        return error_page(t, StatusCode::NOT_FOUND);
    };
    match retention::requeue(&state.store, &state.documents, &[id]).await {
        Ok(0) => return error_page(t, StatusCode::NOT_FOUND),
        Ok(_) => {}
        Err(err) => return unavailable(t, err, "requeue a quarantined message"),
    }
    info!(
        ledger_id = id,
        by = signed_in.account.id,
        "quarantined message requeued in the web app"
    );
    let target = format!(
        "#{id} {} {}",
        printable(&row.mailbox),
        printable(&row.location)
    );
    audit(&state, &signed_in, AuditAction::Requeue, &target).await;
    Redirect::to("/admin/quarantine?requeued=1").into_response()
}
