//! `quarantine list` and `quarantine requeue`: what could not be filed, and reading it again.

use std::io::Write;
use std::process::ExitCode;

use super::{open_documents, open_store};
use crate::cli::QuarantineCommand;
use crate::config::Settings;
use crate::domain::printable::printable;
use crate::report::timestamp;

pub async fn quarantine(
    settings: &Settings,
    command: QuarantineCommand,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    match command {
        QuarantineCommand::List => {
            let rows = store.quarantined().await?;
            let mut out = super::output::stdout();
            if rows.is_empty() {
                writeln!(out, "nothing is quarantined")?;
            }
            for row in rows {
                let kept = match (&row.raw_sha256, row.raw_size) {
                    (Some(_), _) => "raw message kept".to_owned(),
                    (None, Some(size)) => format!("left on the server ({size} bytes)"),
                    (None, None) => "left on the server".to_owned(),
                };
                writeln!(
                    out,
                    "{:>6}  {}  {} {}  [{kept}]\n        {}",
                    row.id,
                    timestamp(row.seen_at),
                    printable(&row.mailbox),
                    printable(&row.location),
                    printable(row.reason.as_deref().unwrap_or("-")),
                )?;
            }
        }
        QuarantineCommand::Requeue { ids, all } => {
            let ids = if all {
                store
                    .quarantined()
                    .await?
                    .into_iter()
                    .map(|row| row.id)
                    .collect()
            } else {
                ids
            };
            let documents = open_documents(settings, &store).await?;
            let requeued = crate::retention::requeue(&store, &documents, &ids).await?;
            super::output::say(format_args!(
                "{requeued} message(s) will be read again by the next pass (`applymail run`)"
            ))?;
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
