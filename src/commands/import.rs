//! `import`: file applications from local files, inbound first, then the sent mail.

use std::collections::BTreeMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::domain::named::Named;
use crate::domain::source::Direction;
use crate::ingest::Pipeline;
use crate::shutdown::Shutdown;
use crate::sources;
use crate::watch::local::{Arrival, file_source};

/// How many messages ended how.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub outcomes: BTreeMap<&'static str, usize>,
}

impl ImportSummary {
    pub fn count(&self, outcome: &str) -> usize {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.outcomes.values().sum()
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} message(s):", self.total())?;
        for (outcome, n) in &self.outcomes {
            write!(f, " {outcome} {n},")?;
        }
        Ok(())
    }
}

/// Imports inbound paths, then sent paths. A message that cannot be parsed is quarantined and
/// the import goes on; one that cannot be recorded is counted as failed, the import goes on,
/// and fails at the end (rerunning it tries the failed ones again, and quarantines a message
/// that keeps failing). An error reading the files or reaching the database stops it:
/// nothing is half-recorded, and rerunning it continues.
pub async fn import(
    pipeline: &Pipeline,
    inbound: &[PathBuf],
    sent: &[PathBuf],
) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let jobs = inbound
        .iter()
        .map(|p| (p, Direction::Inbound))
        .chain(sent.iter().map(|p| (p, Direction::Outbound)));
    for (path, direction) in jobs {
        import_one(pipeline, path, direction, &mut summary)
            .await
            .with_context(|| format!("importing {}", path.display()))?;
    }
    Ok(summary)
}

async fn import_one(
    pipeline: &Pipeline,
    path: &Path,
    direction: Direction,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let source = sources::open(path, None)?;
    let progress = progress_bar(source.len, path);
    file_source(
        pipeline,
        source,
        direction,
        Arrival::DateHeader,
        &Shutdown::never(),
        |_, outcome| {
            *summary.outcomes.entry(outcome.kind().as_str()).or_default() += 1;
            progress.inc(1);
        },
    )
    .await?;
    progress.finish_and_clear();
    Ok(())
}

fn progress_bar(len: Option<usize>, path: &Path) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(n) => ProgressBar::new(n as u64),
        None => ProgressBar::new_spinner(),
    };
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(path.display().to_string());
    bar
}
