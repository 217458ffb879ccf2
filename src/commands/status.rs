//! `status`: move an application through the pipeline.

use std::process::ExitCode;

use anyhow::Context;

use super::open_store;
use crate::config::Settings;
use crate::domain::named::parse_named;
use crate::domain::status::ApplicationStatus;
use crate::store::status::StatusChange;

pub async fn status(
    settings: &Settings,
    id: i64,
    status: &str,
    note: Option<&str>,
    by: Option<String>,
    force: bool,
) -> anyhow::Result<ExitCode> {
    let status: ApplicationStatus = parse_named(status).context("status")?;
    let actor = by.unwrap_or_else(os_user);
    let store = open_store(settings).await?;
    let previous = store
        .set_status(&StatusChange {
            application_id: id,
            status,
            note,
            actor: &actor,
            force,
        })
        .await?;
    super::output::say(format_args!("application {id}: {previous} -> {status}"))?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into())
}
