//! `/admin/purge`: the retention purge. The page lists what `applymail purge --dry-run`
//! would erase (the same code, counting only), and its button runs the purge as the daemon
//! does each day, with `retention.keep_for`, unless what is due changed since the page was
//! shown (the admin erases what they saw, or sees the list again).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;
use tracing::info;

use super::{audit, counts, counts_target};
use crate::retention;
use crate::store::audit::AuditAction;
use crate::store::browse::{PageRequest, SortKey};
use crate::store::erase::Erased;
use crate::store::queries::Filter;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date, date_time, parsed, render, unavailable};
use crate::web::session::SignedIn;

/// The applications the preview lists; the counts cover all of them.
const SHOWN: usize = 500;

pub struct Row {
    id: i64,
    name: String,
    email: String,
    received: String,
    status: &'static str,
    activity: String,
}

#[derive(Template)]
#[template(path = "admin_purge.html")]
struct PurgePage {
    t: &'static Catalogue,
    chrome: Chrome,
    days: u64,
    counts: Vec<(&'static str, i64)>,
    /// How many applications the list shows as due: the button sends it back.
    due: i64,
    rows: Vec<Row>,
    more: bool,
    /// What a purge just erased.
    done: Option<Vec<(&'static str, i64)>>,
    changed: Option<&'static str>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
) -> Response {
    show(&state, &signed_in, None, None).await
}

async fn show(
    state: &AppState,
    signed_in: &SignedIn,
    done: Option<&Erased>,
    changed: Option<&'static str>,
) -> Response {
    let t = signed_in.t;
    let actor = signed_in.display_name();
    let due = match retention::purge(&state.store, &state.documents, state.keep_for, &actor, true)
        .await
    {
        Ok(due) => due,
        Err(err) => return unavailable(t, err, "preview the purge"),
    };
    let ids: Vec<i64> = due.application_ids.iter().copied().take(SHOWN).collect();
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        let request = PageRequest {
            filter: Filter {
                ids: Some(ids.clone()),
                ..Filter::default()
            },
            sort: SortKey::Activity,
            descending: false,
            page: 0,
            per_page: SHOWN as u32,
        };
        match state.store.browse(&request).await {
            Ok(found) => found
                .rows
                .into_iter()
                .map(|r| Row {
                    id: r.id,
                    name: format!("{} {}", r.first_name, r.last_name)
                        .trim()
                        .to_owned(),
                    email: r.email,
                    received: date_time(r.received_at),
                    status: t.status(parsed(&r.status)),
                    activity: date(
                        r.last_outbound_at
                            .map_or(r.last_inbound_at, |o| o.max(r.last_inbound_at)),
                    ),
                })
                .collect(),
            Err(err) => return unavailable(t, err, "list the purge's applications"),
        }
    };
    render(&PurgePage {
        t,
        chrome: Chrome::new(signed_in, "/admin/purge"),
        days: state.keep_for.as_secs() / 86_400,
        counts: counts(t, &due),
        due: due.applications,
        more: due.application_ids.len() > rows.len(),
        rows,
        done: done.map(|erased| counts(t, erased)),
        changed,
    })
}

#[derive(Deserialize)]
pub struct RunForm {
    /// How many applications the page showed as due.
    expected: i64,
}

/// Runs the purge now, if what is due is what the page showed.
pub async fn run(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<RunForm>,
) -> Response {
    let t = signed_in.t;
    let actor = signed_in.display_name();
    match retention::purge(&state.store, &state.documents, state.keep_for, &actor, true).await {
        Ok(due) if due.applications == form.expected => {}
        Ok(_) => {
            let mut page = show(&state, &signed_in, None, Some(t.admin.purge_changed)).await;
            if page.status() == StatusCode::OK {
                *page.status_mut() = StatusCode::CONFLICT;
            }
            return page;
        }
        Err(err) => return unavailable(t, err, "preview the purge"),
    }
    let erased = match retention::purge(
        &state.store,
        &state.documents,
        state.keep_for,
        &actor,
        false,
    )
    .await
    {
        Ok(erased) => erased,
        Err(err) => return unavailable(t, err, "purge"),
    };
    info!(
        applications = erased.applications,
        by = signed_in.account.id,
        "retention purge run in the web app"
    );
    audit(
        &state,
        &signed_in,
        AuditAction::Purge,
        &counts_target(&erased),
    )
    .await;
    show(&state, &signed_in, Some(&erased), None).await
}
