//! The optional HTTP listener (`[http] listen`): `/healthz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::{Value, json};
use tracing::{info, warn};

use crate::health::{Health, describe_metrics};
use crate::shutdown::Shutdown;
use crate::store::Store;

#[derive(Clone)]
struct AppState {
    health: Arc<Health>,
    store: Store,
    metrics: PrometheusHandle,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot listen on {addr} (http.listen): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot install the metrics recorder: {0}")]
    Metrics(String),
}

/// Binds the listener (so that a port conflict stops start-up with a clear error), installs
/// the metrics recorder, and serves in the background until shutdown.
pub async fn spawn(
    listen: SocketAddr,
    health: Arc<Health>,
    store: Store,
    shutdown: Shutdown,
) -> Result<(), HttpError> {
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| HttpError::Metrics(e.to_string()))?;
    describe_metrics();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| HttpError::Bind {
            addr: listen,
            source,
        })?;
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .with_state(AppState {
            health,
            store,
            metrics,
        });
    info!(%listen, "serving /healthz and /metrics");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
    });
    Ok(())
}

/// 200 when the mailbox connection and the database are healthy, 503 otherwise; the body
/// says which part is not, in state words only. Anyone who reaches the port reads it, and the
/// errors behind a state name the mail server, the database host and the logins: those go to
/// the log (the watch loops log the mailbox's, a failed ping here the database's).
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mailbox = state.health.mailbox();
    let database = match tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err("no answer within 3 s".to_owned()),
    };
    if let Err(error) = &database {
        warn!(%error, "/healthz: the database does not answer");
    }
    let healthy = mailbox.is_healthy() && database.is_ok();
    let body = json!({
        "status": if healthy { "ok" } else { "failing" },
        "mailbox": { "ok": mailbox.is_healthy(), "state": mailbox.word() },
        "database": {
            "ok": database.is_ok(),
            "state": if database.is_ok() { "connected" } else { "down" },
        },
    });
    (
        if healthy {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

async fn render_metrics(
    State(state): State<AppState>,
) -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;
    use crate::health::MailboxState;

    /// A mailbox down for a reason naming its server and login, and a database that does not
    /// answer: the body says "down" twice and nothing more.
    #[tokio::test]
    async fn healthz_shows_state_words_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
        let store = Store::open(&url).await.unwrap();
        store.close().await;
        let health = Arc::new(Health::default());
        health.set(MailboxState::Down(
            "cannot log in as recrutement@ong-exemple.org to imap.ong-exemple.org:993".into(),
        ));
        let state = AppState {
            health,
            store,
            metrics: PrometheusBuilder::new().build_recorder().handle(),
        };
        let (status, Json(body)) = healthz(State(state)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            json!({
                "status": "failing",
                "mailbox": { "ok": false, "state": "down" },
                "database": { "ok": false, "state": "down" },
            })
        );
    }
}
