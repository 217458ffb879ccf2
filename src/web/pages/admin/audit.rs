//! `/admin/audit`: the admins' audit trail, newest first.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::response::Response;

use crate::store::audit::AuditAction;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, render, unavailable};
use crate::web::session::SignedIn;

/// Lines shown: the trail itself keeps everything.
const SHOWN: i64 = 500;

pub struct Line {
    at: String,
    actor: String,
    action: String,
    target: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    t: &'static Catalogue,
    chrome: Chrome,
    lines: Vec<Line>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
) -> Response {
    let t = signed_in.t;
    let entries = match state.store.audit_trail(SHOWN).await {
        Ok(entries) => entries,
        Err(err) => return unavailable(t, err, "read the audit trail"),
    };
    render(&AuditPage {
        t,
        chrome: Chrome::new(&signed_in, "/admin/audit"),
        lines: entries
            .into_iter()
            .map(|e| {
                let action = e.action();
                Line {
                    at: date_time(e.at),
                    actor: e.actor,
                    action: action.map_or("?", |a| t.admin.action(a)).to_owned(),
                    target: match action {
                        Some(AuditAction::Erasure | AuditAction::Purge) => {
                            counts_text(t, &e.target)
                        }
                        _ => e.target,
                    },
                }
            })
            .collect(),
    })
}

/// `applications=1 messages=2 …` in the reader's words.
fn counts_text(t: &'static Catalogue, target: &str) -> String {
    let a = t.admin;
    target
        .split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some(("applications", n)) => format!("{} {n}", a.count_applications),
            Some(("messages", n)) => format!("{} {n}", a.count_messages),
            Some(("documents", n)) => format!("{} {n}", a.count_documents),
            Some(("quarantined", n)) => format!("{} {n}", a.count_quarantined),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
