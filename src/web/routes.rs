//! Every route of the app, in one table, each with who may use it. The router is built from
//! this table only, so a route cannot be served without its guard; a test walks the table
//! (axum cannot list a router's routes) and checks every guarded route refuses a stranger.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};

use super::catalogue::Lang;
use super::pages::admin::{self, accounts, audit, erasure, health, purge, quarantine, templates};
use super::pages::{account, answers, application, documents, duplicates, export, list, review};
use super::{AppState, assets, security, session};
use crate::domain::account::Role;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the login page and the static files it needs.
    Public,
    /// Any enabled account with a live session.
    SignedIn,
    /// An admin's session.
    Admin,
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

/// The app's routes. A new route goes here, with its access.
pub fn table() -> Vec<Route> {
    use Access::*;
    vec![
        route(Method::GET, "/", Public, get(session::home)),
        route(Method::GET, "/login", Public, get(session::login_page)),
        route(Method::POST, "/login", Public, post(session::login)),
        route(Method::GET, assets::PATH, Public, get(assets::serve)),
        route(Method::POST, "/logout", SignedIn, post(session::logout)),
        route(
            Method::POST,
            "/account/language",
            SignedIn,
            post(account::set_language),
        ),
        route(Method::GET, "/applications", SignedIn, get(list::page)),
        route(
            Method::GET,
            "/applications/export",
            SignedIn,
            get(export::download),
        ),
        route(
            Method::GET,
            "/applications/{id}",
            SignedIn,
            get(application::page),
        ),
        route(
            Method::POST,
            "/applications/{id}/status",
            SignedIn,
            post(application::set_status),
        ),
        route(
            Method::POST,
            "/applications/{id}/notes",
            SignedIn,
            post(review::add_note),
        ),
        route(
            Method::POST,
            "/applications/{id}/rating",
            SignedIn,
            post(review::rate),
        ),
        route(
            Method::POST,
            "/applications/{id}/duplicates",
            SignedIn,
            post(duplicates::decide),
        ),
        route(
            Method::GET,
            "/applications/{id}/reply",
            SignedIn,
            get(answers::compose),
        ),
        route(
            Method::POST,
            "/applications/{id}/reply",
            SignedIn,
            post(answers::send_one),
        ),
        route(Method::GET, "/answers", SignedIn, get(answers::jobs)),
        route(
            Method::POST,
            "/answers/prepare",
            SignedIn,
            post(answers::prepare),
        ),
        route(Method::POST, "/answers", SignedIn, post(answers::send_bulk)),
        route(Method::GET, "/answers/{job}", SignedIn, get(answers::job)),
        route(
            Method::POST,
            "/answers/{job}/rows/{answer}/resend",
            SignedIn,
            post(answers::resend),
        ),
        route(
            Method::GET,
            "/documents/{id}",
            SignedIn,
            get(documents::download),
        ),
        route(
            Method::GET,
            "/documents/{id}/bytes",
            SignedIn,
            get(documents::bytes),
        ),
        // The admin's pages.
        route(Method::GET, "/admin", Admin, get(admin::index)),
        route(Method::GET, "/admin/accounts", Admin, get(accounts::page)),
        route(Method::POST, "/admin/accounts", Admin, post(accounts::add)),
        route(
            Method::POST,
            "/admin/accounts/{id}/disable",
            Admin,
            post(accounts::disable),
        ),
        route(
            Method::POST,
            "/admin/accounts/{id}/password",
            Admin,
            post(accounts::reset_password),
        ),
        route(
            Method::POST,
            "/admin/accounts/{id}/role",
            Admin,
            post(accounts::set_role),
        ),
        route(Method::GET, "/admin/erasure", Admin, get(erasure::page)),
        route(
            Method::POST,
            "/admin/erasure",
            Admin,
            post(erasure::preview),
        ),
        route(
            Method::POST,
            "/admin/erasure/confirm",
            Admin,
            post(erasure::erase),
        ),
        route(Method::GET, "/admin/purge", Admin, get(purge::page)),
        route(Method::POST, "/admin/purge", Admin, post(purge::run)),
        route(
            Method::GET,
            "/admin/quarantine",
            Admin,
            get(quarantine::page),
        ),
        route(
            Method::POST,
            "/admin/quarantine/{id}/requeue",
            Admin,
            post(quarantine::requeue),
        ),
        route(Method::GET, "/admin/health", Admin, get(health::page)),
        route(Method::GET, "/admin/audit", Admin, get(audit::page)),
        route(Method::GET, "/admin/templates", Admin, get(templates::page)),
        route(
            Method::POST,
            "/admin/templates",
            Admin,
            post(templates::save),
        ),
    ]
}

pub(super) fn build(state: AppState) -> Router {
    let mut router = Router::new();
    for Route {
        path,
        access,
        handler,
        ..
    } in table()
    {
        let handler = match access {
            Access::Public => handler,
            guarded => handler.route_layer(middleware::from_fn_with_state(
                (state.clone(), guarded),
                guard,
            )),
        };
        router = router.route(path, handler);
    }
    router
        .fallback(not_found)
        .layer(middleware::from_fn(security::cross_site_check))
        .layer(middleware::from_fn(security::headers))
        .with_state(state)
}

/// Lets a request through only with a live session of an account allowed here; the account
/// goes into the request for the handler.
async fn guard(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Response {
    let signed_in = match session::current(&state, request.headers()).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let Some(signed_in) = signed_in else {
        return refuse_stranger(&request);
    };
    if access == Access::Admin && signed_in.account.role() != Role::Admin {
        return super::pages::error_page(signed_in.t, StatusCode::FORBIDDEN);
    }
    request.extensions_mut().insert(signed_in);
    next.run(request).await
}

/// A browser is sent to the login page (and back here afterwards); anything else gets 401.
fn refuse_stranger(request: &Request) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && request.method() == Method::GET {
        let here = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = url_escape(here);
        Redirect::to(&format!("/login?next={next}")).into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "401 Unauthorized\n").into_response()
    }
}

/// Percent-encodes everything but unreserved characters (for a query value).
pub(super) fn url_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn not_found(Lang(t): Lang) -> Response {
    super::pages::error_page(t, StatusCode::NOT_FOUND)
}
