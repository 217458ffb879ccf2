//! `purge` and `forget`.

use std::process::ExitCode;

use anyhow::Context;

use super::status::os_user;
use super::{open_documents, open_store};
use crate::config::Settings;
use crate::retention;

pub async fn purge(
    settings: &Settings,
    older_than: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    let keep_for = match older_than {
        Some(text) => {
            humantime::parse_duration(text).with_context(|| format!("--older-than {text:?}"))?
        }
        None => settings.retention.keep_for,
    };
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    let erased = retention::purge(&store, &documents, keep_for, &os_user(), dry_run).await?;
    let verb = if dry_run { "would erase" } else { "erased" };
    super::output::say(format_args!(
        "{verb} {} application(s), {} message(s), {} document(s) inactive for more than {}",
        erased.applications,
        erased.messages,
        erased.documents,
        humantime::format_duration(keep_for)
    ))?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn forget(
    settings: &Settings,
    email: &str,
    by: Option<String>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    let actor = by.unwrap_or_else(os_user);
    let erased = retention::forget(&store, &documents, email, &actor).await?;
    store.close().await;
    if erased.applications == 0 && erased.quarantined == 0 {
        anyhow::bail!("no candidate writes from {email:?} (see `applymail list --search`)");
    }
    super::output::say(format_args!(
        "erased {} application(s), {} message(s), {} document(s), {} quarantined message(s); the audit trail records the erasure without the address",
        erased.applications, erased.messages, erased.documents, erased.quarantined
    ))?;
    Ok(ExitCode::SUCCESS)
}
