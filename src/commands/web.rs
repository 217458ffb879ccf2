//! `web`: the recruiters' web app alone.

use std::process::ExitCode;
use std::sync::Arc;

use super::{open_blobs, open_store};
use crate::blobs::BlobStore;
use crate::config::Settings;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::web::{AppState, spawn};

/// The app's state from the settings (`[web]`, or its defaults when the section is absent).
pub fn web_state(settings: &Settings, store: Store, blobs: BlobStore) -> AppState {
    AppState {
        store,
        blobs,
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
    }
}

pub async fn web(settings: &Settings, shutdown: Shutdown) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let blobs = open_blobs(settings)?;
    let address = spawn(
        web_state(settings, store.clone(), blobs.clone()),
        shutdown.clone(),
    )
    .await?;
    // The search needs every document's text: index what the daemon has not (or all of it,
    // when no daemon runs). A daemon in the same database indexes too; both are safe.
    let indexer = tokio::spawn(crate::textindex::run_indexer(
        store.clone(),
        blobs,
        Default::default(),
        None,
        shutdown.clone(),
    ));
    // On stdout, for the person who started it (the log goes to stderr).
    println!("applymail web: http://{address}/");
    shutdown.wait().await;
    let _ = indexer.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
