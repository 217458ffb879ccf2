//! What every response carries, and the check that refuses a state-changing request made by
//! another site (CSRF): the browser says where a request comes from (`Sec-Fetch-Site`, or
//! `Origin`), and only this origin may change anything. Requests without either header do
//! not come from a browser's page, so no cookie was lent to them by a stranger's page.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::WebSettings;

/// The pages' policy: nothing from elsewhere, no inline script or style, no framing. The PDF
/// viewer (pdf.js, served here) runs a worker from this origin and draws on canvases.
pub const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A candidate's document served as it is: whatever it holds (an HTML or SVG "CV") runs
/// nothing on this origin.
pub const DOCUMENT_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'self'";

pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(PAGE_POLICY));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-store"));
    response
}

pub async fn cross_site_check(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "403 Forbidden: a request from another site cannot change anything here\n",
        )
            .into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        // `none`: the user typed or bookmarked it.
        return !matches!(site, "same-origin" | "none");
    }
    match (text("origin"), text("host")) {
        (None, _) => false,
        (Some(origin), Some(host)) => {
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            authority != Some(host)
        }
        (Some(_), None) => true,
    }
}

/// Where a request comes from: the peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(
    request_headers: &HeaderMap,
    peer: Option<SocketAddr>,
    web: &WebSettings,
) -> Option<IpAddr> {
    let peer = peer?.ip();
    if !web.trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = request_headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !web.trusted_proxies.contains(a))
            .unwrap_or(peer),
    )
}

/// Whether the browser reached us over TLS: a trusted proxy says so, or the admin does.
pub fn over_tls(request_headers: &HeaderMap, peer: Option<SocketAddr>, web: &WebSettings) -> bool {
    web.secure_cookies
        || peer.is_some_and(|p| web.trusted_proxies.contains(&p.ip()))
            && request_headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The peer's address, when the server was started with connection info.
pub fn peer(request_extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_this_origin_may_change_anything() {
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://app.example:8080"),
            ("host", "app.example:8080")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "app.example")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "app.example")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "app.example")])));
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let mut web = WebSettings::default();
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        let peer: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(
            client_address(&forged, Some(peer), &web),
            Some(peer.ip()),
            "an untrusted peer's header is ignored"
        );
        web.trusted_proxies = vec![peer.ip()];
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
        assert_eq!(
            client_address(&chain, Some(peer), &web),
            Some("203.0.113.9".parse().unwrap())
        );
    }
}
