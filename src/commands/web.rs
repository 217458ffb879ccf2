//! `web`: the recruiters' web app alone.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::{open_documents, open_store};
use crate::config::Settings;
use crate::documents::Documents;
use crate::outbox::AnswerSender;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::web::{AppState, spawn};

/// The app's state from the settings (`[web]`, or its defaults when the section is absent).
pub fn web_state(
    settings: &Settings,
    store: Store,
    documents: Documents,
    answers: Option<AnswerSender>,
) -> AppState {
    AppState {
        store,
        documents,
        settings: Arc::new(settings.web.clone().unwrap_or_default()),
        postings: Arc::new(settings.postings.clone()),
        limits: Arc::new(settings.limits.clone()),
        keep_for: settings.retention.keep_for,
        signature: Arc::from(
            settings
                .acknowledgement
                .as_ref()
                .map(|a| a.signature.clone())
                .unwrap_or_else(|| settings.organisation.addresses[0].to_string()),
        ),
        timezone: settings.organisation.timezone,
        answers,
    }
}

pub async fn web(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    // Without a daemon, `web` sends the answers recruiters ask for; with one, both do, each
    // row claimed by one of them.
    let answers = AnswerSender::new(store.clone(), settings).context("[smtp]")?;
    let sender = answers
        .clone()
        .map(|answers| tokio::spawn(answers.run(shutdown.clone())));
    let address = spawn(
        web_state(settings, store.clone(), documents.clone(), answers),
        shutdown.clone(),
    )
    .await?;
    // The search needs every document's text: index what the daemon has not (or all of it,
    // when no daemon runs). A daemon in the same database indexes too; both are safe.
    let indexer = tokio::spawn(crate::textindex::run_indexer(
        store.clone(),
        documents,
        Default::default(),
        None,
        shutdown.clone(),
    ));
    // On stdout, for the person who started it (the log goes to stderr).
    println!("applymail web: http://{address}/");
    shutdown.wait().await;
    let _ = indexer.await;
    if let Some(sender) = sender {
        let _ = sender.await;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
