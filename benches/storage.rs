//! Documents in files against documents in PostgreSQL (issue 29), measured in one run on the
//! same data: `cargo bench --bench storage` (see BENCHMARKS.md). It writes a local Maildir of
//! `BENCH_MESSAGES` (default 2000) applications of about 250 KB (`synth::application`, two
//! PDFs of about 90 KB each) and backfills it with `applymail run --once` into a fresh
//! PostgreSQL database per backfill (`applymail_bench_<pid>_<n>`, on the loopback server
//! `BENCH_POSTGRES`, default `postgres://postgres@127.0.0.1:5432`, trust auth), once with
//! `[storage] kind = "files"` and once with `kind = "database"`, alternating, in
//! `BENCH_ROUNDS` rounds (default 3). It reports:
//!
//! 1. **backfill**: the median wall time of each kind, messages/s, peak RSS, and the ratio
//!    database / files (issue 29's target: no more than 2×);
//! 2. **size**: the database's growth per stored MB with `kind = "database"`:
//!    `pg_database_size` after its backfill minus the same after the files backfill of the
//!    same round, and `pg_total_relation_size` of `blobs` + `blob_chunks`, each divided by the
//!    sum of `blobs.size`;
//! 3. **WAL**: the WAL written during each backfill (`pg_wal_lsn_diff` of
//!    `pg_current_wal_lsn()` before and after), per stored MB, for both kinds.
//!
//! Every backfill is checked: 2,000 applications filed; with `kind = "database"` no file in
//! `storage.dir` and one `blobs` row per distinct document; with `kind = "files"` no `blobs`
//! row. The WAL position is the server's: another client writing to the same server during a
//! backfill is counted too, so the bench prints the rows other databases changed meanwhile
//! (from `pg_stat_database`, which backends update about once a second), plus one per
//! database created or dropped.
//!
//! `BENCH_LOG=DIR` keeps each backfill's log there, at `BENCH_RUST_LOG`'s level (for
//! `applymail=debug`, each batch's preparation and storing are timed); `BENCH_TIMEOUT`
//! (default 900) bounds each backfill in seconds.
//!
//! This disk's file system has no journal: for up to 5 minutes after many files are deleted,
//! creating a file costs a scan of the inodes freed meanwhile (`recently_deleted` in ext4's
//! `ialloc.c`), which doubled backfill times here. The bench waits `BENCH_SETTLE` seconds
//! (default 305) before measuring and deletes nothing until its end (neither its folders nor
//! its databases, whose files are on the same disk); `BENCH_KEEP=1` leaves its folders and
//! databases in place (their names printed), so that runs in a row do not need the wait.

#[path = "../tests/it/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

const APPLYMAIL: &str = env!("CARGO_BIN_EXE_applymail");
const ORG: &str = r#"
[organisation]
addresses = ["contact@ong-exemple.org"]
domains = ["ong-exemple.org"]
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice du Partenariat au Maroc"
subject = "Coordination Maroc"
"#;
/// synth's size argument that gives messages of about 250 KB with two ~90 KB PDFs.
const SIZE_250K: usize = 185_000;
const MB: f64 = 1024.0 * 1024.0;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Files,
    Database,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Files => "files",
            Kind::Database => "database",
        }
    }
}

/// The PostgreSQL server, loopback only.
struct Server {
    url: String,
}

impl Server {
    fn from_env() -> Server {
        let url = std::env::var("BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
            .trim_end_matches('/')
            .to_owned();
        let host = url
            .rsplit('@')
            .next()
            .unwrap_or_default()
            .split(['/', '?'])
            .next()
            .unwrap_or_default();
        assert!(
            host.starts_with("127.0.0.1")
                || host.starts_with("localhost")
                || host.starts_with("[::1]"),
            "BENCH_POSTGRES must name a loopback server, not {host}"
        );
        Server { url }
    }

    fn database_url(&self, name: &str) -> String {
        format!("{}/{name}", self.url)
    }

    async fn connect(&self, name: &str) -> PgConnection {
        PgConnection::connect(&self.database_url(name))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {}: {e}", self.url))
    }

    async fn admin(&self, statement: String) {
        let mut conn = self.connect("postgres").await;
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .expect("admin statement");
        let _ = conn.close().await;
    }
}

/// The server's WAL position, and the rows each other database changed so far.
async fn marks(server: &Server, ours: &str) -> (String, HashMap<String, i64>) {
    let mut conn = server.connect("postgres").await;
    let (lsn,): (String,) = sqlx::query_as("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let others: Vec<(String, i64)> = sqlx::query_as(
        "SELECT datname::text, (tup_inserted + tup_updated + tup_deleted)::bigint
         FROM pg_stat_database WHERE datname IS NOT NULL AND datname <> $1",
    )
    .bind(ours)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    (lsn, others.into_iter().collect())
}

/// Whether anything else wrote to the server between two marks: the rows the other
/// databases changed, plus one per database created or dropped meanwhile (a test suite's).
fn other_activity(before: &HashMap<String, i64>, after: &HashMap<String, i64>) -> i64 {
    let changed: i64 = after
        .iter()
        .map(|(name, rows)| match before.get(name) {
            Some(earlier) => (rows - earlier).max(0),
            None => 1,
        })
        .sum();
    let dropped = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .count();
    changed + dropped as i64
}

/// One backfill and what it left.
/// Each round's files run and database run, side by side.
fn rounds_paired(runs: &[(usize, Run)], rounds: usize) -> impl Iterator<Item = (&Run, &Run)> + '_ {
    let of = move |round: usize, kind: Kind| {
        runs.iter()
            .find(|(r, run)| *r == round && run.kind == kind)
            .map(|(_, run)| run)
    };
    (0..rounds).filter_map(move |round| Some((of(round, Kind::Files)?, of(round, Kind::Database)?)))
}

struct Run {
    kind: Kind,
    seconds: f64,
    peak_rss_mb: f64,
    wal_bytes: f64,
    other_rows: i64,
    database_bytes: f64,
    blob_tables_bytes: f64,
    blobs: i64,
    blob_bytes: f64,
    distinct_documents: i64,
    files: usize,
    file_bytes: u64,
}

/// A fresh configuration, storage folder and PostgreSQL database for one backfill.
struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
    database: String,
}

impl Env {
    async fn new(server: &Server, maildir: &Path, kind: Kind, n: usize) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("applymail_bench_{}_{n}", std::process::id());
        server.admin(format!("CREATE DATABASE {database}")).await;
        let config = dir.path().join("applymail.toml");
        std::fs::write(
            &config,
            format!(
                "[mailbox]\nkind = \"maildir\"\npath = \"{}\"\npoll_interval = \"1s\"\n\
                 [database]\nurl = \"{}\"\n[storage]\nkind = \"{}\"\ndir = \"{}\"\n{ORG}",
                maildir.display(),
                server.database_url(&database),
                kind.name(),
                dir.path().join("documents").display()
            ),
        )
        .unwrap();
        Env {
            dir,
            config,
            database,
        }
    }

    fn documents(&self) -> PathBuf {
        self.dir.path().join("documents")
    }
}

/// The regular files under `dir` and their bytes (none if it does not exist), four levels
/// down at most (the store's `sha256/ab/abcd…` is three).
fn files_under(dir: &Path) -> (usize, u64) {
    fn walk(dir: &Path, depth: usize, found: &mut (usize, u64)) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                assert!(
                    depth < 4,
                    "{} nests deeper than the store does",
                    dir.display()
                );
                walk(&entry.path(), depth + 1, found);
            } else {
                found.0 += 1;
                found.1 += meta.len();
            }
        }
    }
    let mut found = (0, 0);
    walk(dir, 0, &mut found);
    found
}

/// Peak RSS so far of a running process, from `/proc` (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// `applymail run --once` on this configuration, bounded by `BENCH_TIMEOUT`; its wall time
/// and peak RSS.
fn backfill(env: &Env, label: &str) -> (f64, f64) {
    let timeout = Duration::from_secs(setting("BENCH_TIMEOUT", 900) as u64);
    let log = match std::env::var("BENCH_LOG") {
        Ok(dir) => Path::new(&dir).join(format!("{label}.log")),
        Err(_) => env.dir.path().join("applymail.log"),
    };
    let started = Instant::now();
    let mut child = Command::new(APPLYMAIL)
        .arg("--config")
        .arg(&env.config)
        .args(["run", "--once"])
        .env(
            "RUST_LOG",
            std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0.0_f64;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(mb) = peak_rss_mb(pid) {
            peak = peak.max(mb);
        }
        if started.elapsed() > timeout {
            // Ours, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            panic!("{label}: run --once still running after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        status.success(),
        "{label}: run --once failed: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    (seconds, peak)
}

async fn measure(server: &Server, env: &Env, kind: Kind, label: &str, n: usize) -> Run {
    let (before, others_before) = marks(server, &env.database).await;
    let (seconds, peak_rss_mb) = backfill(env, label);
    let (after, others_after) = marks(server, &env.database).await;
    let mut conn = server.connect(&env.database).await;
    let (wal_bytes,): (f64,) =
        sqlx::query_as("SELECT pg_wal_lsn_diff($1::text::pg_lsn, $2::text::pg_lsn)::float8")
            .bind(&after)
            .bind(&before)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let (applications,): (i64,) = sqlx::query_as("SELECT count(*) FROM applications")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let (database_bytes, blob_tables_bytes): (f64, f64) = sqlx::query_as(
        "SELECT pg_database_size(current_database())::float8,
                (pg_total_relation_size('blobs') + pg_total_relation_size('blob_chunks'))::float8",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let (blobs, blob_bytes): (i64, f64) =
        sqlx::query_as("SELECT count(*), coalesce(sum(size), 0)::float8 FROM blobs")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let (distinct_documents,): (i64,) =
        sqlx::query_as("SELECT count(DISTINCT sha256) FROM documents")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let _ = conn.close().await;
    let (files, file_bytes) = files_under(&env.documents());
    assert_eq!(
        applications, n as i64,
        "{label}: every message filed as an application"
    );
    assert_eq!(
        distinct_documents,
        2 * n as i64,
        "{label}: a CV and a letter per application, all distinct"
    );
    match kind {
        Kind::Database => {
            assert_eq!(
                files,
                0,
                "{label}: kind = \"database\" wrote files into {}",
                env.documents().display()
            );
            assert_eq!(
                blobs, distinct_documents,
                "{label}: one blobs row per document"
            );
        }
        Kind::Files => {
            assert_eq!(blobs, 0, "{label}: kind = \"files\" wrote blobs rows");
            assert!(
                files as i64 >= distinct_documents,
                "{label}: {files} files for {distinct_documents} documents"
            );
        }
    }
    Run {
        kind,
        seconds,
        peak_rss_mb,
        wal_bytes,
        other_rows: other_activity(&others_before, &others_after),
        database_bytes,
        blob_tables_bytes,
        blobs,
        blob_bytes,
        distinct_documents,
        files,
        file_bytes,
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = (sorted.len() - 1) / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[i] + sorted[i + 1]) / 2.0
    } else {
        sorted[i]
    }
}

fn range(values: &[f64]) -> (f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low, high)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = setting("BENCH_MESSAGES", 2000);
    let rounds = setting("BENCH_ROUNDS", 3).max(1);
    let server = Server::from_env();
    println!(
        "# applymail storage benchmark, {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    {
        let mut conn = server.connect("postgres").await;
        let (version,): (String,) = sqlx::query_as("SELECT version()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let settings: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit',
             'full_page_writes', 'wal_compression', 'shared_buffers', 'max_wal_size',
             'checkpoint_timeout', 'wal_level') ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let _ = conn.close().await;
        println!("server: {version}");
        let settings: Vec<String> = settings
            .into_iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        println!("settings: {}", settings.join(" "));
    }

    let settle = setting("BENCH_SETTLE", 305);
    if settle > 0 {
        println!("waiting {settle} s for the file system to settle (BENCH_SETTLE)");
        std::thread::sleep(Duration::from_secs(settle as u64));
    }
    let mail = tempfile::tempdir().unwrap();
    let maildir = mail.path().join("Maildir");
    synth::fill_maildir(&maildir, n, SIZE_250K);
    let (_, mail_bytes) = files_under(&maildir);
    println!(
        "Maildir: {n} messages, {:.0} MB, in {}",
        mail_bytes as f64 / MB,
        maildir.display()
    );

    let mut runs: Vec<(usize, Run)> = Vec::new();
    // Kept until the end: deleting thousands of files (a folder of documents, a database's
    // files) makes this disk slow to create new ones for minutes (ext4 skips recently freed
    // inodes), which would fall on the next backfill.
    let mut kept: Vec<Env> = Vec::new();
    let mut counter = 0;
    for round in 0..rounds {
        // Alternated, so that the machine's slow spells fall on both.
        let order = if round % 2 == 0 {
            [Kind::Files, Kind::Database]
        } else {
            [Kind::Database, Kind::Files]
        };
        for kind in order {
            let env = Env::new(&server, &maildir, kind, counter).await;
            counter += 1;
            let label = format!("round{round}-{}", kind.name());
            let run = measure(&server, &env, kind, &label, n).await;
            println!(
                "round {round}: {} {:.2} s, peak RSS {:.0} MB, WAL {:.0} MB, database {:.0} MB, \
                 blobs {} ({:.0} MB), {} files ({:.0} MB), other databases' rows changed, created or dropped: {}",
                kind.name(),
                run.seconds,
                run.peak_rss_mb,
                run.wal_bytes / MB,
                run.database_bytes / MB,
                run.blobs,
                run.blob_bytes / MB,
                run.files,
                run.file_bytes as f64 / MB,
                run.other_rows,
            );
            runs.push((round, run));
            kept.push(env);
        }
    }

    let of = |kind: Kind| -> Vec<&Run> {
        runs.iter()
            .filter(|(_, r)| r.kind == kind)
            .map(|(_, r)| r)
            .collect()
    };
    let files = of(Kind::Files);
    let database = of(Kind::Database);
    let stored_mb = median(
        &database
            .iter()
            .map(|r| r.blob_bytes / MB)
            .collect::<Vec<_>>(),
    );
    let documents = database.first().map_or(0, |r| r.distinct_documents);

    println!(
        "\n## Backfill of {n} messages of about 250 KB from a Maildir into PostgreSQL (medians of {rounds})\n"
    );
    println!("| storage.kind | seconds (range) | messages/s | peak RSS | WAL per stored MB |");
    println!("|---|---|---|---|---|");
    let mut medians = Vec::new();
    for (kind, list) in [(Kind::Files, &files), (Kind::Database, &database)] {
        let times: Vec<f64> = list.iter().map(|r| r.seconds).collect();
        let t = median(&times);
        let (low, high) = range(&times);
        let wal = median(&list.iter().map(|r| r.wal_bytes / MB).collect::<Vec<_>>());
        println!(
            "| {} | {t:.2} ({low:.2}–{high:.2}) | {:.0} | {:.0} MB | {:.2} MB ({wal:.0} MB) |",
            kind.name(),
            n as f64 / t,
            median(&list.iter().map(|r| r.peak_rss_mb).collect::<Vec<_>>()),
            wal / stored_mb,
        );
        medians.push(t);
    }
    let ratio = medians[1] / medians[0];
    println!(
        "\ndatabase / files: {ratio:.2}× the time (issue 29's target: at most 2×: {})",
        if ratio <= 2.0 { "met" } else { "NOT met" }
    );
    let per_round: Vec<String> = rounds_paired(&runs, rounds)
        .map(|(f, d)| format!("{:.2}×", d.seconds / f.seconds))
        .collect();
    println!("round by round: {}", per_round.join(", "));

    println!(
        "\n## Size with kind = \"database\" ({documents} documents, {stored_mb:.1} MB stored, medians of {rounds})\n"
    );
    let growth: Vec<f64> = rounds_paired(&runs, rounds)
        .map(|(f, d)| (d.database_bytes - f.database_bytes) / d.blob_bytes)
        .collect();
    let tables: Vec<f64> = database
        .iter()
        .map(|r| r.blob_tables_bytes / r.blob_bytes)
        .collect();
    let database_mb = median(
        &database
            .iter()
            .map(|r| r.database_bytes / MB)
            .collect::<Vec<_>>(),
    );
    let files_database_mb = median(
        &files
            .iter()
            .map(|r| r.database_bytes / MB)
            .collect::<Vec<_>>(),
    );
    println!(
        "pg_database_size: {database_mb:.0} MB with database, {files_database_mb:.0} MB with files"
    );
    println!(
        "(database − files) / stored: {:.3} MB per stored MB",
        median(&growth)
    );
    println!(
        "blobs + blob_chunks (pg_total_relation_size) / stored: {:.3} MB per stored MB",
        median(&tables)
    );
    let files_on_disk = median(
        &files
            .iter()
            .map(|r| r.file_bytes as f64 / MB)
            .collect::<Vec<_>>(),
    );
    println!("files kind: {files_on_disk:.1} MB of files in storage.dir (apparent size)");
    let others: i64 = runs.iter().map(|(_, r)| r.other_rows).sum();
    println!(
        "other databases' rows changed, created or dropped during the backfills: {others}{}",
        if others > 0 {
            " (their WAL is counted above)"
        } else {
            ""
        }
    );

    if std::env::var_os("BENCH_KEEP").is_some() {
        // Left in place, for runs in a row that must not follow a clean-up (see above).
        println!("kept: {}", mail.keep().display());
        for env in kept {
            println!(
                "kept: {} and database {}",
                env.dir.keep().display(),
                env.database
            );
        }
    } else {
        for env in kept {
            server
                .admin(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    env.database
                ))
                .await;
        }
    }
}
