//! The list as currently filtered (every page of it), as CSV or JSON: the rules of
//! `applymail export` (CSV with a BOM, formulas neutralised), from a button.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tracing::info;

use super::list::ListQuery;
use super::{error_page, unavailable};
use crate::report;
use crate::web::AppState;
use crate::web::session::SignedIn;

#[derive(Deserialize)]
pub struct Format {
    format: String,
}

pub async fn download(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Query(Format { format }): Query<Format>,
    Query(view): Query<ListQuery>,
) -> Response {
    let t = signed_in.t;
    let (content_type, extension) = match format.as_str() {
        "csv" => ("text/csv; charset=utf-8", "csv"),
        "json" => ("application/json", "json"),
        _ => return error_page(t, StatusCode::BAD_REQUEST),
    };
    let details = match view.resolved_filter(&state).await {
        Ok(filter) => state.store.export_filtered(&filter).await,
        Err(err) => Err(err),
    };
    let details = match details {
        Ok(details) => details,
        Err(err) => return unavailable(t, err, "export the list"),
    };
    let exported = report::exported(details, &state.documents);
    let mut body = Vec::new();
    let written = match extension {
        "csv" => report::write_csv(&mut body, &exported),
        _ => report::write_json(&mut body, &exported),
    };
    if let Err(err) = written {
        return unavailable(t, err, "write the export");
    }
    info!(
        account = signed_in.account.id,
        applications = exported.len(),
        format = extension,
        "list exported from the web app"
    );
    let filename = format!(
        "candidatures-{}.{extension}",
        chrono::Local::now().format("%Y-%m-%d")
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
