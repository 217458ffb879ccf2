//! `list`: applications, filtered.

use std::process::ExitCode;

use anyhow::Context;

use super::{open_documents, open_store};
use crate::cli::{ListArgs, ListFormat};
use crate::config::Settings;
use crate::domain::document::DocumentKind;
use crate::report;
use crate::store::queries::Filter;

pub async fn list(settings: &Settings, args: ListArgs) -> anyhow::Result<ExitCode> {
    let filter = Filter {
        status: args
            .status
            .as_deref()
            .map(str::parse)
            .transpose()
            .context("--status")?,
        reply_status: args
            .reply_status
            .as_deref()
            .map(str::parse)
            .transpose()
            .context("--reply-status")?,
        posting: args.posting,
        missing: args.missing.as_deref().map(parse_missing).transpose()?,
        search: args.search,
        needs_reply: args.needs_reply,
        ..Filter::default()
    };
    let store = open_store(settings).await?;
    let rows = store.list(&filter).await?;
    let mut out = super::output::stdout();
    match args.format {
        ListFormat::Table => report::write_table(&mut out, &rows)?,
        ListFormat::Json | ListFormat::Csv => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let documents = open_documents(settings, &store).await?;
            let details = store
                .export()
                .await?
                .into_iter()
                .filter(|d| ids.contains(&d.application.id))
                .collect();
            let exported = report::exported(details, &documents);
            if args.format == ListFormat::Json {
                report::write_json(&mut out, &exported)?;
            } else {
                report::write_csv(&mut out, &exported)?;
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn parse_missing(value: &str) -> anyhow::Result<DocumentKind> {
    match value.trim().to_ascii_lowercase().as_str() {
        "cv" => Ok(DocumentKind::Cv),
        "letter" | "lettre" => Ok(DocumentKind::Letter),
        other => anyhow::bail!("--missing: `{other}` is not one of: cv, letter"),
    }
}
