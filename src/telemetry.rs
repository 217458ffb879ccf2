//! The tracing subscriber, built once. Logs go to stderr, so that stdout carries only what a
//! command was asked to print (an export, a list).

use std::io::IsTerminal;

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{
    EnvFilter,
    filter::{LevelFilter, filter_fn},
};

use crate::cli::LogFormat;

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

    #[test]
    fn the_level_hint_is_the_filters_so_log_macros_below_it_cost_nothing() {
        assert_eq!(hint("info"), Some(LevelFilter::INFO));
        assert_eq!(hint("warn,applymail=debug"), Some(LevelFilter::DEBUG));
        assert_eq!(hint("trace"), Some(LevelFilter::TRACE));
    }
}
