//! Signing in and out. A session is a random token in an HttpOnly cookie; the database keeps
//! only its SHA-256, with the account and the times that expire it. Failed logins are counted
//! per typed address and per client address; an unknown address, a wrong password and a
//! disabled account get the same answer after the same work (one argon2 verification).

use std::net::SocketAddr;
use std::sync::OnceLock;

use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use base64::Engine;
use chrono::{Duration, Utc};
use serde::Deserialize;
use tracing::{info, warn};

use super::AppState;
use super::catalogue::{Catalogue, Lang, of_request};
use super::pages::{error_page, render, unavailable};
use super::security::{client_address, over_tls, peer};
use crate::store::accounts::{Account, SessionLimits};

const COOKIE: &str = "applymail_session";
/// Failed logins allowed in [`THROTTLE_WINDOW_MINUTES`] per typed address, and per client.
const ACCOUNT_FAILURES: i64 = 5;
const CLIENT_FAILURES: i64 = 30;
const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// What a login form field may hold: more is refused before any work.
const MAX_FIELD_CHARS: usize = 1024;

/// The signed-in account of a request, put there by the route's guard.
#[derive(Clone)]
pub struct SignedIn {
    pub account: Account,
    /// The pages' language: the account's choice, else the browser's.
    pub t: &'static Catalogue,
    token_sha256: String,
}

impl SignedIn {
    /// The name the pages and the history show for this person: the account's name, or its
    /// address when it has none.
    pub fn display_name(&self) -> String {
        let account = &self.account;
        if account.name.trim().is_empty() {
            account.email.clone()
        } else {
            account.name.clone()
        }
    }
}

/// The peer's address (`None` when the server runs without connection info, as in tests).
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(peer(&parts.extensions)))
    }
}

fn token_sha256(token: &str) -> String {
    crate::blobs::sha256_hex(token.as_bytes())
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty() && v.len() <= 100)
}

fn limits(state: &AppState) -> SessionLimits {
    let to = |d: std::time::Duration| Duration::from_std(d).unwrap_or(Duration::days(1));
    SessionLimits {
        idle: to(state.settings.session_idle),
        absolute: to(state.settings.session_max),
    }
}

/// The live session of a request, if any.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, Response> {
    let Some(token) = cookie_token(headers) else {
        return Ok(None);
    };
    let hash = token_sha256(token);
    match state.store.session_account(&hash, limits(state)).await {
        Ok(account) => Ok(account.map(|account| SignedIn {
            t: of_request(account.language.as_deref(), headers),
            account,
            token_sha256: hash,
        })),
        Err(err) => {
            warn!(error = %err, "cannot read a session");
            Err(error_page(
                of_request(None, headers),
                StatusCode::SERVICE_UNAVAILABLE,
            ))
        }
    }
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match current(&state, &headers).await {
        Ok(Some(_)) => Redirect::to("/applications").into_response(),
        Ok(None) => Redirect::to("/login").into_response(),
        Err(response) => response,
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Catalogue,
    next: String,
    email: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(Lang(t): Lang, Query(query): Query<LoginQuery>) -> Response {
    render(&LoginPage {
        t,
        next: safe_next(query.next.as_deref()).to_owned(),
        email: String::new(),
        error: None,
    })
}

/// Where to go after the login: a path of this site only (never `//elsewhere`).
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/applications",
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    Lang(t): Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let refuse = |state: &AppState, form: &LoginForm, message: &'static str| {
        let mut response = render(&LoginPage {
            t,
            next: safe_next(form.next.as_deref()).to_owned(),
            email: form.email.chars().take(MAX_FIELD_CHARS).collect(),
            error: Some(message),
        });
        let _ = state;
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        response
    };
    if form.email.chars().count() > MAX_FIELD_CHARS
        || form.password.chars().count() > MAX_FIELD_CHARS
    {
        return refuse(&state, &form, t.login_failed);
    }
    let client = client_address(&headers, peer, &state.settings)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let account_subject = state.store.login_subject("account", &form.email);
    let client_subject = state.store.login_subject("client", &client);
    let since = Utc::now() - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let throttled = async {
        Ok::<bool, crate::store::StoreError>(
            state
                .store
                .login_failures_since(&account_subject, since)
                .await?
                >= ACCOUNT_FAILURES
                || state
                    .store
                    .login_failures_since(&client_subject, since)
                    .await?
                    >= CLIENT_FAILURES,
        )
    };
    match throttled.await {
        Ok(true) => {
            warn!(client = %client, "login refused: too many failures for this address or client");
            return refuse(&state, &form, t.login_throttled);
        }
        Ok(false) => {}
        Err(err) => return unavailable(t, err, "check failed logins"),
    }
    let credentials = match state.store.credentials(&form.email).await {
        Ok(c) => c,
        Err(err) => return unavailable(t, err, "read an account"),
    };
    let hash = credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let password = form.password.clone();
    let verified = tokio::task::spawn_blocking(move || {
        password_auth::verify_password(password, &hash).is_ok()
    })
    .await
    .unwrap_or(false);
    let account = match credentials {
        Some(c) if verified && !c.disabled => c.id,
        _ => {
            if let Err(err) = state
                .store
                .record_login_failure(&[account_subject, client_subject])
                .await
            {
                warn!(error = %err, "cannot record a failed login");
            }
            info!(client = %client, "login failed");
            return refuse(&state, &form, t.login_failed);
        }
    };
    let _ = state.store.clear_login_failures(&account_subject).await;
    // A new token at every login, and the old session (if any) ends: a token planted in the
    // browser before the login is worth nothing after it.
    if let Some(old) = cookie_token(&headers) {
        let _ = state.store.end_session(&token_sha256(old)).await;
    }
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    if let Err(err) = state
        .store
        .create_session(account, &token_sha256(&token))
        .await
    {
        warn!(error = %err, "cannot create a session");
        return error_page(t, StatusCode::SERVICE_UNAVAILABLE);
    }
    info!(account = account, "signed in");
    let secure = if over_tls(&headers, peer, &state.settings) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}");
    let mut response = Redirect::to(safe_next(form.next.as_deref())).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
) -> Response {
    if let Err(err) = state.store.end_session(&signed_in.token_sha256).await {
        warn!(error = %err, "cannot end a session");
        return error_page(signed_in.t, StatusCode::SERVICE_UNAVAILABLE);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("applymail_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

/// A hash to verify against when the address is unknown, so that it costs what a wrong
/// password costs.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password_auth::generate_hash(rand::random::<[u8; 16]>()))
}

/// Hashes a password with argon2id (blocking: call off the async threads).
pub fn hash_password(password: &str) -> String {
    password_auth::generate_hash(password)
}
