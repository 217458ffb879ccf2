//! `export`: every application, as the export contract says.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::{open_documents, open_store};
use crate::cli::ExportFormat;
use crate::config::Settings;
use crate::report;

pub async fn export(
    settings: &Settings,
    format: ExportFormat,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    let exported = report::exported(store.export().await?, &documents);
    store.close().await;
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("--out {}", path.display()))?,
        )),
        None => Box::new(super::output::stdout()),
    };
    match format {
        ExportFormat::Json => report::write_json(&mut sink, &exported)?,
        ExportFormat::Csv => report::write_csv(&mut sink, &exported)?,
    }
    sink.flush()?;
    Ok(ExitCode::SUCCESS)
}
