//! The app's static files, compiled into the binary so that an installation is one file:
//! the stylesheet, the viewer script and pdf.js (see `static/pdfjs/README.md`).

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub const PATH: &str = "/static/{*file}";

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "viewer.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/viewer.js"),
    ),
    (
        "pdfjs/pdf.min.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pdfjs/pdf.min.mjs"),
    ),
    (
        "pdfjs/pdf.worker.min.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/pdfjs/pdf.worker.min.mjs"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            // Not personal data: the browser may keep them for an hour.
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "404\n").into_response(),
    }
}
