//! `/admin/erasure`: erasing a person (`applymail forget`) in two steps. The admin types the
//! candidate's address and sees what would go; then types it again, exactly, and only then
//! is it erased, by the same code as the command. The audit line holds counts, never the
//! address.

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
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, render, unavailable};
use crate::web::session::SignedIn;

/// What an address field may hold (RFC 5321's limit on a path).
const MAX_ADDRESS_CHARS: usize = 254;

/// The step the page shows.
pub enum Step {
    /// The address to type.
    Ask,
    /// What would be erased, and the address to type again.
    Confirm {
        email: String,
        counts: Vec<(&'static str, i64)>,
    },
    /// What was erased.
    Done { counts: Vec<(&'static str, i64)> },
}

#[derive(Template)]
#[template(path = "admin_erasure.html")]
struct ErasurePage {
    t: &'static Catalogue,
    chrome: Chrome,
    step: Step,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

fn page_of(
    signed_in: &SignedIn,
    step: Step,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Response {
    render(&ErasurePage {
        t: signed_in.t,
        chrome: Chrome::new(signed_in, "/admin/erasure"),
        step,
        notice,
        error,
    })
}

pub async fn page(Extension(signed_in): Extension<SignedIn>) -> Response {
    page_of(&signed_in, Step::Ask, None, None)
}

#[derive(Deserialize)]
pub struct AskForm {
    email: String,
}

/// The first step: what would go.
pub async fn preview(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<AskForm>,
) -> Response {
    let email: String = form.email.trim().chars().take(MAX_ADDRESS_CHARS).collect();
    confirmation(&state, &signed_in, email, None).await
}

async fn confirmation(
    state: &AppState,
    signed_in: &SignedIn,
    email: String,
    error: Option<&'static str>,
) -> Response {
    let t = signed_in.t;
    if email.is_empty() {
        return page_of(signed_in, Step::Ask, None, None);
    }
    let found = match retention::forget_preview(&state.store, &state.documents, &email).await {
        Ok(found) => found,
        Err(err) => return unavailable(t, err, "count what an erasure would erase"),
    };
    if found.applications == 0 && found.quarantined == 0 {
        return page_of(signed_in, Step::Ask, Some(t.admin.erasure_nothing), None);
    }
    let step = Step::Confirm {
        email,
        counts: counts(t, &found),
    };
    page_of(signed_in, step, None, error)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    email: String,
    confirm: String,
}

/// The second step: erases when the address typed again is the same.
pub async fn erase(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let t = signed_in.t;
    let email: String = form.email.trim().chars().take(MAX_ADDRESS_CHARS).collect();
    if email.is_empty() || form.confirm.trim() != email {
        let mut page =
            confirmation(&state, &signed_in, email, Some(t.admin.erasure_mismatch)).await;
        if page.status() == StatusCode::OK {
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
        return page;
    }
    let actor = signed_in.display_name();
    let erased = match retention::forget(&state.store, &state.documents, &email, &actor).await {
        Ok(erased) => erased,
        Err(err) => return unavailable(t, err, "erase a person"),
    };
    if erased.applications == 0 && erased.quarantined == 0 {
        return page_of(&signed_in, Step::Ask, Some(t.admin.erasure_nothing), None);
    }
    // No address in the log either: the person is gone.
    info!(
        applications = erased.applications,
        by = signed_in.account.id,
        "a person erased in the web app"
    );
    audit(
        &state,
        &signed_in,
        AuditAction::Erasure,
        &counts_target(&erased),
    )
    .await;
    let step = Step::Done {
        counts: counts(t, &erased),
    };
    page_of(&signed_in, step, Some(t.admin.erasure_done), None)
}
