//! The admin's pages (`/admin`, role `admin`: the route table's guard refuses the others with
//! 403): accounts, the erasure of a person, the retention purge, the quarantine, the daemon's
//! health, the reply templates and the audit trail of what admins did here. Every action goes through the same
//! code as its command (`user`, `forget`, `purge`, `quarantine requeue`) and leaves a line
//! in the audit trail.

pub mod accounts;
pub mod audit;
pub mod erasure;
pub mod health;
pub mod purge;
pub mod quarantine;
pub mod templates;

use askama::Template;
use axum::Extension;
use axum::response::Response;
use tracing::warn;

use super::{Chrome, render};
use crate::store::audit::AuditAction;
use crate::store::erase::Erased;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

#[derive(Template)]
#[template(path = "admin_index.html")]
struct IndexPage {
    t: &'static Catalogue,
    chrome: Chrome,
    links: Vec<(&'static str, &'static str, &'static str)>,
}

pub async fn index(Extension(signed_in): Extension<SignedIn>) -> Response {
    let a = signed_in.t.admin;
    render(&IndexPage {
        t: signed_in.t,
        chrome: Chrome::new(&signed_in, "/admin"),
        links: vec![
            ("/admin/accounts", a.accounts, a.accounts_intro),
            ("/admin/erasure", a.erasure, a.erasure_intro),
            ("/admin/purge", a.purge, a.purge_intro),
            ("/admin/quarantine", a.quarantine, a.quarantine_intro),
            ("/admin/health", a.health, a.health_intro),
            ("/admin/audit", a.audit, a.audit_intro),
            (
                "/admin/templates",
                signed_in.t.templates.title,
                signed_in.t.templates.intro,
            ),
        ],
    })
}

/// Records an admin's action. The action is done: a trail that cannot be written is
/// logged (with who and what), not undone.
async fn audit(state: &AppState, signed_in: &SignedIn, action: AuditAction, target: &str) {
    let actor = signed_in.display_name();
    if let Err(err) = state
        .store
        .audit(signed_in.account.id, &actor, action, target)
        .await
    {
        let action: &'static str = action.into();
        warn!(error = %err, actor = %actor, action, target, "cannot write the audit trail");
    }
}

/// What an erasure or a purge erased, as the audit trail keeps it: counts only.
fn counts_target(erased: &Erased) -> String {
    format!(
        "applications={} messages={} documents={} quarantined={}",
        erased.applications, erased.messages, erased.documents, erased.quarantined
    )
}

/// Counts to show: (label, number).
fn counts(t: &'static Catalogue, erased: &Erased) -> Vec<(&'static str, i64)> {
    let a = t.admin;
    vec![
        (a.count_applications, erased.applications),
        (a.count_messages, erased.messages),
        (a.count_documents, erased.documents),
        (a.count_quarantined, erased.quarantined),
    ]
}
