//! The tracing subscriber, built once. Logs go to stderr, so that stdout carries only what a
//! command was asked to print (an export, a list).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::cli::LogFormat;

/// Installs the global subscriber; `RUST_LOG` overrides the default `info` level. Generic over
/// the sink so that tests can capture or silence the logs.
pub fn init<W>(format: LogFormat, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // pdf-extract logs every unmapped glyph of every PDF it reads: noise for an admin.
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive("pdf_extract=off".parse().expect("static directive"))
        .add_directive("lopdf=off".parse().expect("static directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
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
