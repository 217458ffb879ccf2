//! applymail's speed against its own earlier build and against a peer, measured in one run on
//! the same data: `cargo bench --bench backfill` (see BENCHMARKS.md). It starts its own
//! Dovecot, seeds it by writing into its Maildir, and reports:
//!
//! 1. **backfill**: `applymail run --once` reading every message into SQLite, as wall time,
//!    messages/s and peak RSS, in rounds (medians reported); next to the same with the
//!    baseline build (`BENCH_BASELINE=path/to/applymail`, built from an earlier commit) and
//!    the imap_tools peer (`benches/peer_imap_tools.py`, in a virtualenv under `target/`);
//! 2. **push**: APPEND to committed row while the daemon idles, next to Dovecot's own
//!    APPEND-to-EXISTS latency seen by a raw IDLE session on the same messages;
//! 3. **memory**: peak RSS of backfills of N and 10×N small messages.
//!
//! `BENCH_MESSAGES` (default 2000) sets N; `BENCH_ROUNDS` (default 3) the backfill rounds;
//! `BENCH_PUSH` (default 30) the pushes; `BENCH_ONLY=backfill` stops after step 1;
//! `BENCH_LOG=DIR` keeps each backfill's log there, at `BENCH_RUST_LOG`'s level (for
//! `applymail=debug`, each batch's download, preparation, storing and server marks are
//! timed); `BENCH_PERF=DIR` records each backfill with `perf record -g` there.
//!
//! This disk's file system has no journal: for up to 5 minutes after many files are deleted,
//! creating a file costs a scan of the inodes freed meanwhile (`recently_deleted` in ext4's
//! `ialloc.c`), which doubled backfill times here. The bench waits `BENCH_SETTLE` seconds
//! (default 305) before measuring and deletes nothing until its end; `BENCH_KEEP=1` leaves
//! its folders on disk (their paths printed), so that runs in a row do not need the wait.

#[path = "../tests/it/certs.rs"]
#[allow(dead_code)]
mod certs;
#[path = "../tests/it/dovecot.rs"]
#[allow(dead_code)]
mod dovecot;
#[path = "../tests/it/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};

use dovecot::{Dovecot, USER};

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
const IMAP_TOOLS: &str = "1.7.4";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes messages straight into the Dovecot user's Maildir, as a delivery agent would, under
/// names of Dovecot's own delivery form, a minute apart with scattered microseconds (names
/// that share their start collide in Dovecot's filename hash and slow every lookup).
fn seed(dovecot: &Dovecot, messages: impl Iterator<Item = Vec<u8>>) {
    let dir = dovecot.dir.path().join("mail").join(USER).join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for (i, raw) in messages.enumerate() {
        let bare_line_feeds = raw
            .windows(2)
            .filter(|w| w[1] == b'\n' && w[0] != b'\r')
            .count();
        let name = format!(
            "{}.M{}P4242.bench,S={},W={}:2,",
            1_600_000_000 + 60 * i,
            i * 7_919 % 1_000_000,
            raw.len(),
            raw.len() + bare_line_feeds
        );
        std::fs::write(dir.join("cur").join(name), raw).unwrap();
    }
    let ok = Command::new("chown")
        .args(["-R", "nobody:nogroup"])
        .arg(dovecot.dir.path().join("mail"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// One backfill: its wall time and the process's peak RSS.
struct Run {
    seconds: f64,
    peak_rss_mb: f64,
}

/// Runs an applymail binary under GNU time for its peak RSS.
fn backfill(binary: &Path, env: &Env) -> Run {
    let started = Instant::now();
    // `BENCH_PERF=DIR`: each backfill under `perf record`, its profile kept there.
    let mut command = match std::env::var("BENCH_PERF") {
        Ok(dir) => {
            let mut perf = Command::new("perf");
            let name = format!(
                "{}-{}.data",
                binary.file_name().unwrap_or_default().to_string_lossy(),
                rand::random::<u32>()
            );
            perf.args(["record", "-F", "2000", "-g", "-o"])
                .arg(Path::new(&dir).join(name))
                .arg("--")
                .arg("/usr/bin/time");
            perf
        }
        Err(_) => Command::new("/usr/bin/time"),
    };
    let out = command
        .arg("-v")
        .arg(binary)
        .arg("--config")
        .arg(&env.config)
        .args(["run", "--once"])
        .env("APPLYMAIL_TEST_IMAP_PASSWORD", dovecot::PASSWORD)
        .env(
            "RUST_LOG",
            std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .output()
        .expect("/usr/bin/time (Debian's time package)");
    if let Ok(dir) = std::env::var("BENCH_LOG") {
        let name = format!(
            "{}-{}.log",
            binary.file_name().unwrap_or_default().to_string_lossy(),
            rand::random::<u32>()
        );
        let _ = std::fs::write(Path::new(&dir).join(name), &out.stderr);
    }
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} run --once: {stderr}",
        binary.display()
    );
    let kb = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    Run {
        seconds,
        peak_rss_mb: kb / 1024.0,
    }
}

/// A fresh configuration and SQLite database for one run.
struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new(dovecot: &Dovecot) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("applymail.toml");
        std::fs::write(
            &config,
            format!(
                "{}\n[database]\nurl = \"sqlite://{}\"\n[storage]\ndir = \"{}\"\n{ORG}",
                dovecot.mailbox_config("plain", "127.0.0.1", ""),
                dir.path().join("applymail.db").display(),
                dir.path().join("documents").display()
            ),
        )
        .unwrap();
        Env { dir, config }
    }

    fn applications(&self) -> i64 {
        let out = Command::new("sqlite3")
            .arg(self.dir.path().join("applymail.db"))
            .arg("SELECT count(*) FROM applications")
            .output();
        out.ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(0)
    }
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 0.5)
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// The imap_tools peer over the whole inbox, in a virtualenv under `target/` that gets
/// imap_tools from PyPI the first time; its wall time, and the folder it wrote into.
fn peer(dovecot: &Dovecot) -> Result<(f64, tempfile::TempDir), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/bench-peer-venv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import imap_tools"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let made = Command::new("/usr/bin/python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", &format!("imap-tools=={IMAP_TOOLS}")])
                .status()
                .is_ok_and(|s| s.success());
        if !made || !ready(&python) {
            return Err(format!(
                "cannot make a virtualenv with imap-tools {IMAP_TOOLS} in {}",
                venv.display()
            ));
        }
    }
    let out = tempfile::tempdir().map_err(|e| e.to_string())?;
    let started = Instant::now();
    let run = Command::new(&python)
        .arg(root.join("benches/peer_imap_tools.py"))
        .args([
            "127.0.0.1",
            &dovecot.imap_port.to_string(),
            USER,
            dovecot::PASSWORD,
        ])
        .arg(out.path())
        .output()
        .map_err(|e| e.to_string())?;
    if !run.status.success() {
        return Err(String::from_utf8_lossy(&run.stderr).into_owned());
    }
    Ok((started.elapsed().as_secs_f64(), out))
}

/// Reads lines until one starts with `tag`; `None` once the server has hung up.
async fn until(lines: &mut (impl AsyncBufRead + Unpin), tag: &[u8]) -> Option<Vec<u8>> {
    loop {
        let mut line = Vec::new();
        if lines.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line.starts_with(tag) {
            return Some(line);
        }
    }
}

/// Dovecot's own push latency: a raw session in IDLE that reports when each EXISTS arrives.
async fn idle_watcher(dovecot: &Dovecot) -> tokio::sync::mpsc::UnboundedReceiver<Instant> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot.imap_port))
        .await
        .unwrap();
    let (read, mut write) = tcp.into_split();
    let mut lines = BufReader::new(read);
    until(&mut lines, b"* OK").await.expect("a greeting");
    let login = format!(
        "a LOGIN \"{USER}\" \"{}\"\r\nb SELECT INBOX\r\nc IDLE\r\n",
        dovecot::PASSWORD
    );
    write.write_all(login.as_bytes()).await.unwrap();
    until(&mut lines, b"+").await.expect("IDLE accepted");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let _write = write;
        while let Some(line) = until(&mut lines, b"* ").await {
            if String::from_utf8_lossy(&line)
                .trim_end()
                .ends_with(" EXISTS")
                && tx.send(Instant::now()).is_err()
            {
                return;
            }
        }
    });
    rx
}

/// Whether the daemon says (`/healthz`) that it waits in IDLE.
fn idles(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut response = String::new();
    let asked = write!(stream, "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").is_ok();
    asked && stream.read_to_string(&mut response).is_ok() && response.contains("\"idle\"")
}

async fn wait_until_idle(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !idles(port) {
        assert!(Instant::now() < deadline, "the daemon never went idle");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // It says so just before it sends IDLE: let the command reach the server.
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Milliseconds from each APPEND to the daemon's committed row, and to Dovecot's EXISTS on a
/// raw IDLE session watching the same folder.
async fn pushes(dovecot: &Dovecot, count: usize) -> (Vec<f64>, Vec<f64>) {
    let env = Env::new(dovecot);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut daemon = Command::new(APPLYMAIL)
        .arg("--config")
        .arg(&env.config)
        .arg("run")
        .env("APPLYMAIL_TEST_IMAP_PASSWORD", dovecot::PASSWORD)
        .env("APPLYMAIL_HTTP__LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut watcher = idle_watcher(dovecot).await;
    let mut session = dovecot.session().await;
    let (mut committed, mut announced) = (Vec::new(), Vec::new());
    let before = env.applications();
    for i in 0..count {
        wait_until_idle(port).await;
        let raw = synth::application(1_000_000 + i, 2_000);
        session.append("INBOX", None, None, &raw).await.unwrap();
        let appended = Instant::now();
        let deadline = appended + Duration::from_secs(30);
        while env.applications() < before + i as i64 + 1 {
            assert!(Instant::now() < deadline, "push {i} never filed");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        committed.push(appended.elapsed().as_secs_f64() * 1000.0);
        let exists = tokio::time::timeout(Duration::from_secs(30), watcher.recv())
            .await
            .unwrap()
            .unwrap();
        announced.push(exists.saturating_duration_since(appended).as_secs_f64() * 1000.0);
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    (committed, announced)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = setting("BENCH_MESSAGES", 2000);
    let rounds = setting("BENCH_ROUNDS", 3);
    let push_count = setting("BENCH_PUSH", 30);
    let baseline = std::env::var_os("BENCH_BASELINE").map(PathBuf::from);
    println!(
        "# applymail benchmark, {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // 1. Backfill.
    let settle = setting("BENCH_SETTLE", 305);
    if settle > 0 {
        println!("waiting {settle} s for the file system to settle (BENCH_SETTLE)");
        std::thread::sleep(Duration::from_secs(settle as u64));
    }
    let dovecot = Dovecot::start();
    seed(&dovecot, (0..n).map(|i| synth::application(i, SIZE_250K)));
    let mut contenders: Vec<(&str, PathBuf)> = vec![("applymail", PathBuf::from(APPLYMAIL))];
    if let Some(path) = &baseline {
        contenders.push(("baseline", path.clone()));
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    let mut rss: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    let mut peer_times = Vec::new();
    // Kept until the end: deleting thousands of files makes this disk slow to create new ones
    // for minutes (ext4 skips recently freed inodes), which would fall on the next run.
    let mut kept: Vec<Env> = Vec::new();
    let mut kept_peers: Vec<tempfile::TempDir> = Vec::new();
    for round in 0..rounds {
        // Alternated, so that the machine's slow spells fall on both.
        for (k, (name, binary)) in contenders
            .iter()
            .enumerate()
            .cycle()
            .skip(round % contenders.len())
            .take(contenders.len())
        {
            let env = Env::new(&dovecot);
            let run = backfill(binary, &env);
            assert_eq!(env.applications(), n as i64, "{name} filed every message");
            println!(
                "round {round}: {name} {:.2} s, peak RSS {:.0} MB",
                run.seconds, run.peak_rss_mb
            );
            times[k].push(run.seconds);
            rss[k].push(run.peak_rss_mb);
            kept.push(env);
        }
        match peer(&dovecot) {
            Ok((seconds, out)) => {
                println!("round {round}: imap_tools peer {seconds:.2} s");
                peer_times.push(seconds);
                kept_peers.push(out);
            }
            Err(err) => println!("round {round}: imap_tools peer not run: {err}"),
        }
    }
    println!("\n## Backfill of {n} messages of about 250 KB (medians of {rounds})\n");
    println!("| who | seconds | messages/s | peak RSS |");
    println!("|---|---|---|---|");
    for (k, (name, _)) in contenders.iter().enumerate() {
        let t = median(&times[k]);
        println!(
            "| {name} | {t:.2} | {:.0} | {:.0} MB |",
            n as f64 / t,
            median(&rss[k])
        );
    }
    if !peer_times.is_empty() {
        let t = median(&peer_times);
        println!("| imap_tools peer | {t:.2} | {:.0} | |", n as f64 / t);
        println!("\npeer / applymail: {:.1}×", t / median(&times[0]));
    }
    if baseline.is_some() {
        println!(
            "applymail / baseline: {:.2}× the time",
            median(&times[0]) / median(&times[1])
        );
    }
    drop(dovecot);
    if std::env::var_os("BENCH_KEEP").is_some() {
        // Left on disk, for runs in a row that must not follow a clean-up (see above).
        for env in kept {
            println!("kept: {}", env.dir.keep().display());
        }
        for out in kept_peers {
            println!("kept: {}", out.keep().display());
        }
    } else {
        drop(kept);
        drop(kept_peers);
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("backfill") {
        return;
    }

    // 2. Push.
    let dovecot = Dovecot::start();
    let (committed, announced) = pushes(&dovecot, push_count).await;
    println!("\n## Push: APPEND to committed row, {push_count} messages\n");
    println!("| | p50 ms | p95 ms |");
    println!("|---|---|---|");
    println!(
        "| applymail | {:.0} | {:.0} |",
        percentile(&committed, 0.5),
        percentile(&committed, 0.95)
    );
    println!(
        "| Dovecot's EXISTS | {:.0} | {:.0} |",
        percentile(&announced, 0.5),
        percentile(&announced, 0.95)
    );
    println!(
        "\np95 over Dovecot's own: {:+.0} ms",
        percentile(&committed, 0.95) - percentile(&announced, 0.95)
    );
    drop(dovecot);

    // 3. Memory: peak RSS for N and 10×N small messages.
    println!("\n## Peak RSS by mailbox size (messages of about 2 KB)\n");
    let mut peaks = Vec::new();
    for count in [n, 10 * n] {
        let dovecot = Dovecot::start();
        seed(&dovecot, (0..count).map(|i| synth::application(i, 2_000)));
        let env = Env::new(&dovecot);
        let run = backfill(Path::new(APPLYMAIL), &env);
        assert_eq!(env.applications(), count as i64);
        println!(
            "{count} messages: {:.1} s, peak RSS {:.0} MB",
            run.seconds, run.peak_rss_mb
        );
        peaks.push(run.peak_rss_mb);
    }
    println!("10× the mailbox: {:.2}× the peak RSS", peaks[1] / peaks[0]);
}
