//! The tracing subscriber, built once. Logs go to stderr, so that stdout carries only what a
//! command was asked to print (an export, a list).

use std::fmt;
use std::io::IsTerminal;

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::{DefaultFields, FormatFields, Writer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{
    EnvFilter,
    filter::{LevelFilter, filter_fn},
};

use crate::cli::LogFormat;
use crate::domain::printable::printable;

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level. Generic over
/// the sink so that tests can capture or silence the logs.
pub fn init<W>(format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests) keeps the first subscriber. `try_init` also makes the
    // subscriber's level hint the `log` crate's maximum level.
    let _ = subscriber(filter, format, writer).try_init();
}

fn subscriber<W>(filter: EnvFilter, format: LogFormat, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // pdf-extract logs every unmapped glyph of every PDF it reads: noise for an admin.
    let filter = filter
        .add_directive("pdf_extract=off".parse().expect("static directive"))
        .add_directive("lopdf=off".parse().expect("static directive"));
    // A filter function alone hints "anything may pass", which would let the `log` crate's
    // macros through: async-imap's `log::trace!` evaluates its arguments, a UTF-8 check of
    // the whole read buffer per response, before anything drops the record.
    let hint = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(writer)
            .with_target(false)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .fmt_fields(PrintableFields::default())
            .with_writer(writer)
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .boxed(),
    };
    tracing_subscriber::registry().with(
        layer
            .with_filter(filter)
            .with_filter(filter_fn(not_wire_data).with_max_level_hint(hint)),
    )
}

/// Text logs go to a terminal or the journal, and their fields carry what senders chose
/// (subjects, Message-IDs, file names, errors quoting them). tracing-subscriber 0.3.23 escapes
/// ESC, BEL and C1 controls in the message only: other fields printed with `%`, and CR, LF or
/// bidi controls anywhere, pass raw and can rewrite the screen or forge a log line. So every
/// event's and span's fields are formatted as usual, then made [`printable`]. (JSON logs are
/// escaped by JSON itself.)
#[derive(Default)]
struct PrintableFields(DefaultFields);

impl<'writer> FormatFields<'writer> for PrintableFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut raw = String::new();
        self.0.format_fields(Writer::new(&mut raw), fields)?;
        writer.write_str(&printable(&raw))
    }
}

/// The IMAP and SMTP libraries trace every byte they send and receive at debug level: the
/// IMAP LOGIN command with its password, SMTP's `AUTH PLAIN` (the base64 of the login and
/// password), whole messages with candidates' documents and every acknowledgement in full.
/// Whatever `RUST_LOG` says, those traces are never written; their warnings still are.
fn not_wire_data(meta: &Metadata<'_>) -> bool {
    // lettre 0.11 logs through `tracing` under its module paths
    // (`lettre::transport::smtp::client::async_connection` writes "Wrote: …" and "<< …").
    let wire = ["async_imap", "imap_proto", "lettre"]
        .iter()
        .any(|t| meta.target().starts_with(t));
    !wire || *meta.level() <= Level::INFO
}

/// PDF readers panic on malformed documents; extraction catches those panics and carries on
/// (the document is kept, classified by its name only). The default hook would still print
/// each one to stderr as if applymail had crashed, so panics raised inside dependencies are
/// logged at debug level instead. A panic in applymail's own code still prints in full.
pub fn quiet_dependency_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_dependency = info
            .location()
            .is_some_and(|l| l.file().contains("/.cargo/registry/"));
        if in_dependency {
            tracing::debug!(location = %info.location().map(|l| l.to_string()).unwrap_or_default(), "a dependency panicked; caught");
        } else {
            default(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(directives: &str) -> Option<LevelFilter> {
        subscriber(EnvFilter::new(directives), LogFormat::Text, std::io::sink).max_level_hint()
    }

    /// A sink the test reads back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// What a sender controls reaches the log as field values (Display and Debug), as the
    /// message itself, inside an error and in a span's fields: in text mode none of it may
    /// act on the terminal or start a line of its own.
    #[test]
    fn text_logs_neutralise_terminal_controls_in_every_field() {
        let evil = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\rINFO forged\nline\u{202e}fdp.exe\u{9b}";
        let sink = Captured::default();
        let subscriber = subscriber(EnvFilter::new("info"), LogFormat::Text, sink.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(subject = %evil, "display field");
            tracing::info!(message_id = ?evil, "debug field");
            tracing::info!(filename = evil, "str field");
            tracing::info!("message {evil}");
            let err = std::io::Error::other(evil.to_owned());
            tracing::warn!(
                error = &err as &(dyn std::error::Error + 'static),
                "error field"
            );
            tracing::warn!(error = %anyhow::anyhow!(evil.to_owned()).context("outer"), "chain");
            let span = tracing::info_span!("message", message_id = %evil);
            span.in_scope(|| tracing::info!("in span"));
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 7, "one line per event: {out}");
        for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}'] {
            assert!(!out.contains(c), "{c:?} in the log: {out:?}");
        }
        assert!(
            out.contains("pwned"),
            "the text itself stays readable: {out}"
        );
    }

    #[test]
    fn the_level_hint_is_the_filters_so_log_macros_below_it_cost_nothing() {
        assert_eq!(hint("info"), Some(LevelFilter::INFO));
        assert_eq!(hint("warn,applymail=debug"), Some(LevelFilter::DEBUG));
        assert_eq!(hint("trace"), Some(LevelFilter::TRACE));
    }
}
