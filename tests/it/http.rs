//! `/healthz` and `/metrics`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::dovecot::Dovecot;
use crate::helpers::TestEnv;
use crate::synth;

/// A minimal HTTP/1.0 GET: status code and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

fn wait_for_status(port: u16, want: u16, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let last = get(port, "/healthz");
        if let Some((status, body)) = &last
            && *status == want
        {
            return body.clone();
        }
        assert!(
            start.elapsed() < limit,
            "/healthz did not turn {want} within {limit:?}: {last:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn healthz_follows_the_mailbox_and_metrics_parse_as_prometheus_text() {
    let dovecot = Dovecot::start();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailbox = format!(
        "{}\n[http]\nlisten = \"127.0.0.1:{port}\"\n",
        dovecot.mailbox_config("plain", "127.0.0.1", "")
    );
    let env = TestEnv::with_mailbox(&mailbox);
    dovecot
        .append("INBOX", &[synth::application(1, 2_000)])
        .await;
    let mut daemon = env.daemon();

    // Healthy from the start (a standby is healthy too, as on PostgreSQL while the lease is
    // taken), then connected once it holds the lease.
    let start = Instant::now();
    let health = loop {
        let body = wait_for_status(port, 200, Duration::from_secs(20));
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["status"], "ok");
        assert_eq!(health["database"]["ok"], true);
        let state = health["mailbox"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if ["connected", "idle"].contains(&state.as_str()) {
            break health;
        }
        assert!(
            ["starting", "standby"].contains(&state.as_str()),
            "{health}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never connected: {health}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(health["mailbox"]["ok"], true);

    dovecot.kill();
    let body = wait_for_status(port, 503, Duration::from_secs(20));
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["mailbox"]["ok"], false, "{health}");
    assert_eq!(
        health["database"]["ok"], true,
        "the body says which part failed: {health}"
    );
    assert_eq!(health["mailbox"]["state"], "down", "{health}");
    // The body is unauthenticated: state words only. Why the mailbox is down (the server's
    // address, the login) is in the log.
    for secret in [
        "127.0.0.1",
        crate::dovecot::USER,
        "refused",
        "detail",
        "error",
    ] {
        assert!(!body.contains(secret), "{secret:?} in /healthz: {body}");
    }
    assert_eq!(health["database"]["state"], "connected", "{health}");

    dovecot.restart();
    wait_for_status(port, 200, Duration::from_secs(30));
    // Healthy means connected; the first complete pass of the inbox (which the kill may have
    // interrupted) is what sets the last-sync time.
    let start = Instant::now();
    while !get(port, "/metrics").is_some_and(|(_, text)| {
        text.contains("applymail_last_sync_timestamp_seconds{mailbox=\"imap:INBOX\"}")
    }) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no inbox pass completed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, text) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text format");
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value("applymail_messages_total", Some(("outcome", "filed"))),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value("applymail_applications_filed_total", None), Some(1.0));
    assert!(
        value("applymail_reconnects_total", None).unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        value(
            "applymail_last_sync_timestamp_seconds",
            Some(("mailbox", "imap:INBOX"))
        )
        .unwrap_or(0.0)
            > 1.7e9
    );
    assert_eq!(value("applymail_mailbox_connected", None), Some(1.0));
    assert!(
        scrape.docs.contains_key("applymail_messages_total"),
        "metrics are described"
    );

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    assert!(daemon.wait().unwrap().success());
}
