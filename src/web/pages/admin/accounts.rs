//! `/admin/accounts`: the web app's accounts, as `applymail user` manages them. A generated
//! password is shown once, on the page that answers the form, and never logged or kept in
//! clear. An admin cannot disable or demote themselves: the installation keeps an admin.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use strum::VariantArray;
use tracing::info;

use super::audit;
use crate::domain::account::{Role, generated_password};
use crate::domain::email::EmailAddress;
use crate::domain::named::Named;
use crate::store::accounts::{Account, AccountError};
use crate::store::audit::AuditAction;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::pages::{Chrome, date_time, error_page, render, unavailable};
use crate::web::session::SignedIn;

/// What a name field may hold.
const MAX_NAME_CHARS: usize = 200;

pub struct AccountRow {
    id: i64,
    email: String,
    name: String,
    role_key: &'static str,
    role: &'static str,
    disabled: bool,
    created: String,
    is_me: bool,
}

/// A password to show once, with whose it is.
pub struct Shown {
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsPage {
    t: &'static Catalogue,
    chrome: Chrome,
    rows: Vec<AccountRow>,
    roles: Vec<(&'static str, &'static str)>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    shown: Option<Shown>,
}

/// What the page says besides the list.
#[derive(Default)]
struct Outcome {
    notice: Option<&'static str>,
    error: Option<&'static str>,
    shown: Option<Shown>,
}

async fn show(state: &AppState, signed_in: &SignedIn, outcome: Outcome) -> Response {
    let t = signed_in.t;
    let accounts = match state.store.accounts().await {
        Ok(accounts) => accounts,
        Err(err) => return unavailable(t, err, "list the accounts"),
    };
    render(&AccountsPage {
        t,
        chrome: Chrome::new(signed_in, "/admin/accounts"),
        rows: accounts
            .into_iter()
            .map(|a| AccountRow {
                id: a.id,
                role_key: a.role().as_str(),
                role: t.admin.role(a.role()),
                disabled: a.disabled,
                created: date_time(a.created_at),
                is_me: a.id == signed_in.account.id,
                email: a.email,
                name: a.name,
            })
            .collect(),
        roles: Role::VARIANTS
            .iter()
            .map(|r| (r.as_str(), t.admin.role(*r)))
            .collect(),
        notice: outcome.notice,
        error: outcome.error,
        shown: outcome.shown,
    })
}

/// The accounts page again, with why the action was refused.
async fn refused(
    state: &AppState,
    signed_in: &SignedIn,
    error: &'static str,
    status: StatusCode,
) -> Response {
    let outcome = Outcome {
        error: Some(error),
        ..Outcome::default()
    };
    let mut response = show(state, signed_in, outcome).await;
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Query(done): Query<Done>,
) -> Response {
    let a = signed_in.t.admin;
    let notice = match done.done.as_str() {
        "disabled" => Some(a.disabled_done),
        "role" => Some(a.role_done),
        _ => None,
    };
    show(
        &state,
        &signed_in,
        Outcome {
            notice,
            ..Outcome::default()
        },
    )
    .await
}

async fn hashed(password: &str) -> Option<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::web::hash_password(&password))
        .await
        .ok()
}

#[derive(Deserialize)]
pub struct AddForm {
    email: String,
    #[serde(default)]
    name: String,
    role: String,
}

pub async fn add(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Form(form): Form<AddForm>,
) -> Response {
    let t = signed_in.t;
    let Ok(email) = EmailAddress::parse(form.email.trim()) else {
        return refused(
            &state,
            &signed_in,
            t.admin.refuse_bad_email,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let email = email.as_str().to_owned();
    let Ok(role) = form.role.parse::<Role>() else {
        return error_page(t, StatusCode::BAD_REQUEST);
    };
    let name: String = form.name.trim().chars().take(MAX_NAME_CHARS).collect();
    let name = if name.is_empty() {
        email.split('@').next().unwrap_or("").to_owned()
    } else {
        name
    };
    let password = generated_password();
    let Some(hash) = hashed(&password).await else {
        return error_page(t, StatusCode::INTERNAL_SERVER_ERROR);
    };
    match state.store.add_account(&email, &name, role, &hash).await {
        Ok(id) => {
            info!(
                account = id,
                role = role.as_str(),
                by = signed_in.account.id,
                "account created in the web app"
            );
            audit(
                &state,
                &signed_in,
                AuditAction::AccountAdded,
                &format!("{email} ({})", role.as_str()),
            )
            .await;
            let outcome = Outcome {
                notice: Some(t.admin.added),
                shown: Some(Shown { email, password }),
                ..Outcome::default()
            };
            show(&state, &signed_in, outcome).await
        }
        Err(AccountError::Exists(_)) => {
            refused(
                &state,
                &signed_in,
                t.admin.refuse_exists,
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(err) => unavailable(t, err, "create an account"),
    }
}

/// The account a form names by its id, or the page to answer with.
async fn target(state: &AppState, signed_in: &SignedIn, id: i64) -> Result<Account, Response> {
    match state.store.account(id).await {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(error_page(signed_in.t, StatusCode::NOT_FOUND)),
        Err(err) => Err(unavailable(signed_in.t, err, "read an account")),
    }
}

pub async fn disable(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let t = signed_in.t;
    if id == signed_in.account.id {
        return refused(
            &state,
            &signed_in,
            t.admin.refuse_self_disable,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let account = match target(&state, &signed_in, id).await {
        Ok(account) => account,
        Err(response) => return response,
    };
    if let Err(err) = state.store.disable_account(&account.email).await {
        return unavailable(t, err, "disable an account");
    }
    info!(
        account = id,
        by = signed_in.account.id,
        "account disabled in the web app"
    );
    audit(
        &state,
        &signed_in,
        AuditAction::AccountDisabled,
        &account.email,
    )
    .await;
    Redirect::to("/admin/accounts?done=disabled").into_response()
}

pub async fn reset_password(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    let t = signed_in.t;
    let account = match target(&state, &signed_in, id).await {
        Ok(account) => account,
        Err(response) => return response,
    };
    let password = generated_password();
    let Some(hash) = hashed(&password).await else {
        return error_page(t, StatusCode::INTERNAL_SERVER_ERROR);
    };
    // The store ends the account's sessions with the old password.
    if let Err(err) = state.store.set_password(&account.email, &hash).await {
        return unavailable(t, err, "set a password");
    }
    info!(
        account = id,
        by = signed_in.account.id,
        "password replaced in the web app"
    );
    audit(
        &state,
        &signed_in,
        AuditAction::PasswordReset,
        &account.email,
    )
    .await;
    let outcome = Outcome {
        notice: Some(t.admin.reset_done),
        shown: Some(Shown {
            email: account.email,
            password,
        }),
        ..Outcome::default()
    };
    show(&state, &signed_in, outcome).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    Path(id): Path<i64>,
    Form(form): Form<RoleForm>,
) -> Response {
    let t = signed_in.t;
    let Ok(role) = form.role.parse::<Role>() else {
        return error_page(t, StatusCode::BAD_REQUEST);
    };
    if id == signed_in.account.id && role != Role::Admin {
        return refused(
            &state,
            &signed_in,
            t.admin.refuse_self_demote,
            StatusCode::CONFLICT,
        )
        .await;
    }
    let account = match target(&state, &signed_in, id).await {
        Ok(account) => account,
        Err(response) => return response,
    };
    if account.role() != role {
        if let Err(err) = state.store.set_role(&account.email, role).await {
            return unavailable(t, err, "change a role");
        }
        info!(
            account = id,
            role = role.as_str(),
            by = signed_in.account.id,
            "role changed in the web app"
        );
        let change = format!(
            "{}: {} → {}",
            account.email,
            account.role().as_str(),
            role.as_str()
        );
        audit(&state, &signed_in, AuditAction::RoleChanged, &change).await;
    }
    Redirect::to("/admin/accounts?done=role").into_response()
}
