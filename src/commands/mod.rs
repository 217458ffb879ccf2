//! One small function per subcommand. Each loads what it needs and nothing more: `list`
//! does not touch the mailbox, `import` does not need the mailbox settings to be reachable.

mod check;
mod erase;
mod export;
mod import;
mod list;
mod output;
mod quarantine;
mod reply;
pub mod run;
mod show;
mod status;
mod storage;
mod user;
pub mod web;

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command, StorageCommand};
use crate::config::{self, Settings};
use crate::documents::Documents;
use crate::ingest::Pipeline;
use crate::shutdown::Shutdown;
use crate::store::Store;

pub use import::{ImportSummary, import};

/// Said by `check`, and once by `run` and `import`, when poppler's `pdftotext` is missing.
const PDFTOTEXT_MISSING: &str = "pdftotext not found (Debian: apt-get install poppler-utils): PDF text falls back to pdf-extract, which loses all but the first line of PDFs made by Ghostscript (ps2pdf, CUPS-PDF), so such a nameless CV may be filed as `other`";

/// Said by `check`, and once by `run` and `import`, when `tesseract` is missing.
const TESSERACT_MISSING: &str = "tesseract not found (Debian: apt-get install tesseract-ocr tesseract-ocr-fra): scans and photos are classified by their names only (a nameless scanned PDF by its place among the documents), and their text is not searchable";

pub async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = config::load(&cli.config)
        .with_context(|| format!("configuration {}", cli.config.display()))?;
    match cli.command {
        Command::Run { once } => {
            on_worker(async move { run::run(&settings, once, Shutdown::on_signals()).await }).await
        }
        Command::Import { paths, sent } => {
            on_worker(async move {
                let pipeline = pipeline(&settings).await?;
                let summary = import(&pipeline, &paths, &sent).await?;
                eprintln!("{summary}");
                pipeline.store().close().await;
                Ok(ExitCode::SUCCESS)
            })
            .await
        }
        Command::List(args) => list::list(&settings, args).await,
        Command::Reply {
            id,
            template,
            set_status,
            posting,
            status,
            interview_at,
            interview_minutes,
            interview_place,
            dry_run,
            yes,
            by,
        } => {
            let args = reply::ReplyArgs {
                id,
                posting,
                status,
                template,
                set_status,
                interview_at,
                interview_minutes,
                interview_place,
                dry_run,
                yes,
                by,
            };
            on_worker(async move { reply::reply(&settings, args, Shutdown::on_signals()).await })
                .await
        }
        Command::Show { id } => show::show(&settings, id).await,
        Command::Status {
            id,
            status,
            note,
            by,
            force,
        } => status::status(&settings, id, &status, note.as_deref(), by, force).await,
        Command::Export { format, out } => export::export(&settings, format, out.as_deref()).await,
        Command::Purge {
            older_than,
            dry_run,
        } => erase::purge(&settings, older_than.as_deref(), dry_run).await,
        Command::Forget { email, by } => erase::forget(&settings, &email, by).await,
        Command::Check => check::check(&settings).await,
        Command::Quarantine(command) => quarantine::quarantine(&settings, command).await,
        Command::Web => web::web(&settings, Shutdown::on_signals()).await,
        Command::User(command) => user::user(&settings, command).await,
        Command::Storage(StorageCommand::Migrate { to }) => {
            storage::migrate_to(&settings, to).await
        }
        Command::Document { sha256, out } => storage::document(&settings, &sha256, &out).await,
    }
}

/// Runs a command that drives the pipeline as a task on the runtime's workers. On the thread
/// that started the runtime, it would be woken from a worker (a futex call and a context
/// switch) each time a task it waits for makes progress: thousands of times per backfill.
async fn on_worker(
    command: impl Future<Output = anyhow::Result<ExitCode>> + Send + 'static,
) -> anyhow::Result<ExitCode> {
    match tokio::spawn(command).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(err) => Err(err.into()),
    }
}

/// Opens the database; at the first start with `acknowledgement.subject`/`body` set, their
/// text becomes the database's `acknowledgement` template (never over an admin's edit).
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::open(&settings.database.url).await?;
    if let Some(ack) = settings
        .acknowledgement
        .as_ref()
        .filter(|a| a.template_configured)
        && store
            .seed_acknowledgement_template(&ack.default_template)
            .await?
    {
        tracing::info!(
            "the acknowledgement template now holds acknowledgement.subject/body from the config; edit it in the app (/admin/templates)"
        );
    }
    Ok(store)
}

/// Where the documents are, once the database agrees (see [`Documents::open`]).
pub async fn open_documents(settings: &Settings, store: &Store) -> anyhow::Result<Documents> {
    Ok(Documents::open(&settings.storage, store).await?)
}

pub async fn pipeline(settings: &Settings) -> anyhow::Result<Pipeline> {
    if crate::extract::sandbox::pdftotext().is_none() {
        tracing::warn!("{}", PDFTOTEXT_MISSING);
    }
    if crate::extract::sandbox::tesseract().is_none() {
        tracing::warn!("{}", TESSERACT_MISSING);
    }
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    Ok(Pipeline::new(settings, store, documents))
}
