//! "Probably the same person" on an application's page ([`section`], placed by
//! `templates/duplicates.html`), and the recruiter's answer to it ([`decide`]): link the pair
//! ("it is the same person") or dismiss it ("it is not"). Nothing is ever merged.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tracing::{info, warn};

use super::{date, date_time, error_page, unavailable};
use crate::domain::duplicates::{Decision, Reason};
use crate::domain::named::Named;
use crate::store::duplicates::{DuplicateError, LikelyDuplicate};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

/// The section's view: the other candidates, in the reader's language.
#[derive(Default)]
pub struct Section {
    pub items: Vec<Item>,
}

impl Section {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

pub struct Item {
    /// The other candidate's id, for the forms.
    pub candidate: i64,
    pub name: String,
    pub email: String,
    pub applications: Vec<ApplicationLink>,
    pub reasons: Vec<String>,
    /// Who linked the pair, and when.
    pub linked: Option<(String, String)>,
}

pub struct ApplicationLink {
    pub id: i64,
    pub posting: String,
    pub received: String,
}

/// The section of application `application_id`'s page. A store that cannot answer leaves
/// it out (logged): the rest of the page is worth showing.
pub async fn section(state: &AppState, signed_in: &SignedIn, application_id: i64) -> Section {
    match state.store.likely_duplicates(application_id).await {
        Ok(found) => view(state, signed_in.t, found.unwrap_or_default()),
        Err(err) => {
            warn!(application_id, error = %err, "cannot read the likely duplicates");
            Section::default()
        }
    }
}

fn view(state: &AppState, t: &'static Catalogue, found: Vec<LikelyDuplicate>) -> Section {
    let posting_title = |id: &str| {
        state
            .postings
            .iter()
            .find(|p| p.id.as_str() == id)
            .map_or(id.to_owned(), |p| p.title.clone())
    };
    Section {
        items: found
            .into_iter()
            .map(|d| Item {
                candidate: d.candidate_id,
                name: format!("{} {}", d.first_name, d.last_name)
                    .trim()
                    .to_owned(),
                email: d.email,
                applications: d
                    .applications
                    .iter()
                    .map(|a| ApplicationLink {
                        id: a.id,
                        posting: posting_title(&a.posting),
                        received: date(a.received_at),
                    })
                    .collect(),
                reasons: d
                    .reasons
                    .iter()
                    .map(|r| match r {
                        Reason::SameName => t.dup_same_name.to_owned(),
                        Reason::SameCv => t.dup_same_cv.to_owned(),
                        Reason::SamePhone(number) => format!("{} {number}", t.dup_same_phone),
                    })
                    .collect(),
                linked: d
                    .decision
                    .filter(|k| k.decision == Decision::Linked)
                    .map(|k| (k.decided_by, date_time(k.decided_at))),
            })
            .collect(),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    /// The other candidate.
    candidate: i64,
    /// `linked` or `dismissed`.
    decision: String,
}

/// `POST /applications/{id}/duplicates`: keeps the choice, then back to the page.
pub async fn decide(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let t = signed_in.t;
    let Ok(decision) = form.decision.parse::<Decision>() else {
        return error_page(t, StatusCode::BAD_REQUEST);
    };
    let account = &signed_in.account;
    let actor = signed_in.display_name();
    match state
        .store
        .decide_duplicate(id, form.candidate, decision, &actor)
        .await
    {
        Ok(()) => {
            info!(
                application_id = id,
                other_candidate = form.candidate,
                account = account.id,
                decision = decision.as_str(),
                "likely duplicate decided in the web app"
            );
            Redirect::to(&format!("/applications/{id}")).into_response()
        }
        Err(DuplicateError::NotFound(_)) => error_page(t, StatusCode::NOT_FOUND),
        Err(DuplicateError::NotSuggested { .. }) => error_page(t, StatusCode::BAD_REQUEST),
        Err(DuplicateError::Store(err)) => unavailable(t, err, "keep a duplicate decision"),
    }
}
