//! A document's bytes. The type is read from the bytes, never taken from the sender; the
//! candidate's file name only reaches the `Content-Disposition` header, encoded; and the
//! document's own policy (see `security::DOCUMENT_POLICY`) keeps an HTML or SVG "CV" from
//! running anything on the app's origin.

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use tracing::warn;

use super::{error_page, unavailable};
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::routes::url_escape;
use crate::web::security::DOCUMENT_POLICY;
use crate::web::session::SignedIn;

/// The download: the original bytes under the candidate's file name.
pub async fn download(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    serve(&state, signed_in.t, id, true).await
}

/// The bytes for the page's viewer (PDF) or an `<img>`; anything else is downloaded.
pub async fn bytes(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    serve(&state, signed_in.t, id, false).await
}

async fn serve(state: &AppState, t: &'static Catalogue, id: i64, attachment: bool) -> Response {
    let doc = match state.store.document(id).await {
        Ok(Some(doc)) => doc,
        Ok(None) => return error_page(t, StatusCode::NOT_FOUND),
        Err(err) => return unavailable(t, err, "read a document's row"),
    };
    let mut reader = match state.documents.open_reader(&doc.sha256).await {
        Ok(reader) => reader,
        Err(err) => {
            warn!(document = id, error = %err, "a document's bytes cannot be read");
            return error_page(t, StatusCode::NOT_FOUND);
        }
    };
    // The type comes from the first chunk; the rest follows it a chunk at a time, so that a
    // large document is never whole in memory.
    let first = match reader.next_chunk().await {
        Ok(first) => first.unwrap_or_default(),
        Err(err) => {
            warn!(document = id, error = %err, "a document's bytes cannot be read");
            return error_page(t, StatusCode::NOT_FOUND);
        }
    };
    let content_type = served_type(&first);
    let inline = !attachment && content_type != "application/octet-stream";
    let disposition = content_disposition(inline, &doc.filename);
    let size = reader.size();
    let rest = reader.into_stream();
    let body = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(first)))
        .chain(rest)
        .inspect_err(move |err| {
            // The status is sent already: the browser sees a download cut short.
            warn!(document = id, error = %err, "a document's download broke off");
        });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCUMENT_POLICY),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    response
}

/// The type announced for a document, from its first bytes: the few formats a browser shows
/// safely, everything else as bytes to download (never HTML, SVG or text the browser would
/// interpret).
pub fn served_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): the ASCII
/// form drops anything a header or a path could misread.
fn content_disposition(inline: bool, filename: &str) -> String {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .-_()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = if ascii.trim().is_empty() {
        "document".to_owned()
    } else {
        ascii
    };
    let kind = if inline { "inline" } else { "attachment" };
    format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        url_escape(filename).replace('/', "%2F")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(served_type(b"%PDF-1.7"), "application/pdf");
        assert_eq!(served_type(b"<html><script>"), "application/octet-stream");
        assert_eq!(
            served_type(b"<svg onload=alert(1)>"),
            "application/octet-stream"
        );
    }

    #[test]
    fn a_hostile_file_name_stays_inside_its_header() {
        let d = content_disposition(false, "a\"; b\r\n/../\u{202e}fdp.exe");
        assert!(!d.contains('\r') && !d.contains('\n'));
        assert!(
            d.starts_with("attachment; filename=\"a__ b___..__fdp.exe\"; "),
            "{d}"
        );
        assert!(d.contains("filename*=UTF-8''a%22%3B%20b%0D%0A%2F..%2F%E2%80%AEfdp.exe"));
    }
}
