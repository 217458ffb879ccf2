//! Reviewing an application together: recruiters' notes (shown in the page's history) and
//! ratings from 1 to 5 stars, one per recruiter, whose average the list shows and sorts by.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tracing::info;

use super::{error_page, unavailable};
use crate::store::notes::{NoteError, Ratings};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::session::SignedIn;

/// The review part of an application page.
pub struct Review {
    /// "4,5 / 5 · 2 évaluations", or that there is none yet.
    pub summary: String,
    /// (stars, chosen by the reader).
    pub stars: Vec<(i64, bool)>,
}

impl Review {
    pub fn new(t: &'static Catalogue, ratings: Ratings) -> Review {
        Review {
            summary: match ratings.average {
                Some(average) => t.rating_summary(average, ratings.count),
                None => t.rating_none.to_owned(),
            },
            stars: (1..=5).map(|n| (n, ratings.mine == Some(n))).collect(),
        }
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    body: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
) -> Response {
    if form.body.trim().is_empty() {
        return back(id);
    }
    let result = state
        .store
        .add_note(
            id,
            signed_in.account.id,
            &signed_in.display_name(),
            &form.body,
        )
        .await;
    answer(&signed_in, id, result, "add a note")
}

#[derive(Deserialize)]
pub struct RatingForm {
    stars: i64,
}

pub async fn rate(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Form(form): Form<RatingForm>,
) -> Response {
    let result = state.store.rate(id, signed_in.account.id, form.stars).await;
    answer(&signed_in, id, result, "rate")
}

fn answer(signed_in: &SignedIn, id: i64, result: Result<(), NoteError>, what: &str) -> Response {
    let t = signed_in.t;
    match result {
        Ok(()) => {
            info!(
                application_id = id,
                account = signed_in.account.id,
                "{what} in the web app"
            );
            back(id)
        }
        Err(NoteError::NotFound(_)) => error_page(t, StatusCode::NOT_FOUND),
        Err(NoteError::Stars(_)) => error_page(t, StatusCode::BAD_REQUEST),
        Err(NoteError::Store(err)) => unavailable(t, err, what),
    }
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/applications/{id}#review")).into_response()
}
