//! The signed-in person's own settings: the pages' language.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::unavailable;
use crate::web::AppState;
use crate::web::catalogue::by_code;
use crate::web::session::{SignedIn, safe_next};

#[derive(Deserialize)]
pub struct LanguageForm {
    /// A catalogue's code, or empty for the browser's language.
    language: String,
    back: Option<String>,
}

pub async fn set_language(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<LanguageForm>,
) -> Response {
    // Only a language there is a catalogue for is kept; anything else means "the browser's".
    let language = by_code(form.language.trim()).map(|t| t.lang);
    if let Err(err) = state
        .store
        .set_language(signed_in.account.id, language)
        .await
    {
        return unavailable(signed_in.t, err, "keep a language choice");
    }
    Redirect::to(safe_next(form.back.as_deref())).into_response()
}
