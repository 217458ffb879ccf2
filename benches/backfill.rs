//! applymail against the physical floor of its job, measured in the same run on the same
//! data: `cargo bench --bench backfill` (see BENCHMARKS.md). It starts its own Dovecot
//! instances, seeds them by writing into their Maildirs, and reports:
//!
//! 1. the floor: Dovecot serving the mailbox raw (one `UID FETCH 1:* BODY.PEEK[]`, bytes
//!    discarded), and writing the same decoded documents as files, each timed on its own;
//!    and the CPU time the job needs whoever does it (Dovecot serving, the kernel receiving,
//!    decoding and SHA-256 of the documents, writing them), whence the least wall time the
//!    machine's cores allow and the highest ratio to the floor any backfill could reach;
//! 2. `applymail run --once` backfilling it into SQLite, PostgreSQL, and SQLite over TLS:
//!    wall time, messages/s, MB/s, peak RSS, ratio to the floor; and the imap_tools peer
//!    (`benches/peer_imap_tools.py`, in a virtualenv under `target/`) on the same mailbox;
//! 3. push latency: APPEND to committed row while the daemon idles, next to Dovecot's own
//!    APPEND-to-EXISTS latency and to a raw IDLE session fetching the new message;
//! 4. the cost of one new message in a mailbox of many processed ones versus an empty one,
//!    for `run --once` (a new session) and for the running daemon (IDLE), each next to
//!    Dovecot doing the same step for a raw client: the daemon and the raw IDLE session
//!    measured apart, and again both at once (see `Watch`);
//! 5. peak RSS for backfills of N and 10×N messages, and for one 40 MB message;
//! 6. a local import from a Maildir.
//!
//! `BENCH_MESSAGES` (default 2000) sets N; `BENCH_PUSH` (default 50) the pushes;
//! `BENCH_ROUNDS` (default 3) how often steps 1 and 2 are repeated (medians are reported);
//! `BENCH_ONLY=backfill` stops after step 2, `BENCH_ONLY=push` starts at step 3 and
//! `BENCH_ONLY=incremental` at step 4;
//! `BENCH_ONLY=hold` seeds the mailbox and keeps it up, printing how to backfill from it
//! (`BENCH_HOLD_SIZE` sets synth's size argument for its messages, default the 250 KB ones);
//! `BENCH_SETTLE` (default 305) how many seconds to wait before measuring (see
//! `settle_deleted_inodes`); `BENCH_PERF=DIR` records every applymail run with `perf record -g` into DIR, and
//! `BENCH_LOG=DIR` keeps the running daemons' debug logs there (for profiling).

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

use futures_util::TryStreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

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

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes messages straight into the Dovecot user's Maildir, as a delivery agent would, under
/// names of the form Dovecot's own delivery gives (`<secs>.M<usecs>P<pid>.<host>,S=<size>,
/// W=<size with CRLF line ends>`), a minute apart with scattered microseconds. Dovecot finds
/// a file by a hash of its name that keeps little of a name's start (ASU's, in
/// `maildir_filename_base_hash`): the bench's earlier names (`<1600000000+i>.M<i>.bench`)
/// collided so much that a lookup compared about 1,500 names at 20,000 messages, and each new
/// message cost Dovecot half a second (perf: 75 % in `maildir_filename_base_cmp`), a cost no
/// real delivery's names bring.
fn seed(dovecot: &Dovecot, folder: &str, messages: impl Iterator<Item = Vec<u8>>) -> u64 {
    let base = dovecot.dir.path().join("mail").join(USER).join("Maildir");
    let dir = if folder == "INBOX" {
        base.clone()
    } else {
        base.join(format!(".{folder}"))
    };
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let mut bytes = 0;
    for (i, raw) in messages.enumerate() {
        bytes += raw.len() as u64;
        // 7,919 is prime to 10⁶: the microseconds differ for every message.
        let name = format!(
            "{}.M{}P4242.bench,S={},W={}:2,",
            1_600_000_000 + 60 * i,
            i * 7_919 % 1_000_000,
            raw.len(),
            raw.len() + bare_line_feeds(&raw)
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
    bytes
}

/// Line feeds without a carriage return before them: what Dovecot's virtual size (`W=`) adds.
fn bare_line_feeds(raw: &[u8]) -> usize {
    let starts_bare = usize::from(raw.first() == Some(&b'\n'));
    starts_bare
        + raw
            .windows(2)
            .filter(|w| w[1] == b'\n' && w[0] != b'\r')
            .count()
}

/// A timing measured in several rounds: its median and range.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(seconds: &[f64]) -> Spread {
        let mut sorted = seconds.to_vec();
        sorted.sort_by(f64::total_cmp);
        Spread {
            median: sorted[sorted.len() / 2],
            min: sorted[0],
            max: sorted[sorted.len() - 1],
        }
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.2} s ({:.2}–{:.2})", self.median, self.min, self.max)
    }
}

struct Run {
    wall: Duration,
    peak_rss_kb: u64,
    /// User plus system CPU time: with two cores shared with Dovecot, what bounds the wall.
    cpu: f64,
}

/// Runs applymail under GNU time for its peak RSS and CPU time.
fn applymail(config: &Path, args: &[&str]) -> Run {
    let started = Instant::now();
    let mut command = Command::new("/usr/bin/time");
    command.arg("-v");
    // `BENCH_PERF=DIR` profiles every run into DIR/perf-N.data.
    if let Ok(dir) = std::env::var("BENCH_PERF") {
        let n = std::fs::read_dir(&dir).map_or(0, |d| d.count());
        command.args(["perf", "record", "-g", "-F", "499", "-o"]);
        command.arg(Path::new(&dir).join(format!("perf-{n}.data")));
        command.arg("--");
    }
    let out = command
        .arg(APPLYMAIL)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("APPLYMAIL_TEST_IMAP_PASSWORD", dovecot::PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .output()
        .expect("/usr/bin/time (Debian's time package)");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "applymail {args:?}: {stderr}");
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(": "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Run {
        wall,
        peak_rss_kb: field("Maximum resident set size (kbytes)") as u64,
        cpu: field("User time (seconds)") + field("System time (seconds)"),
    }
}

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
    pg: Option<String>,
}

impl Env {
    fn new(mailbox: &str, postgres: bool) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let pg = postgres.then(|| {
            let name = format!(
                "applymail_bench_{}_{:x}",
                std::process::id(),
                rand::random::<u32>()
            );
            pg_admin(&format!("CREATE DATABASE {name}"));
            name
        });
        let url = match &pg {
            Some(name) => format!("postgres://postgres@127.0.0.1:5432/{name}"),
            None => format!("sqlite://{}", dir.path().join("applymail.db").display()),
        };
        let config = dir.path().join("applymail.toml");
        std::fs::write(
            &config,
            format!(
                "{mailbox}\n[database]\nurl = \"{url}\"\n[storage]\ndir = \"{}\"\n{ORG}",
                dir.path().join("documents").display()
            ),
        )
        .unwrap();
        Env { dir, config, pg }
    }

    fn db_file(&self) -> PathBuf {
        self.dir.path().join("applymail.db")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(name) = &self.pg {
            pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn pg_admin(statement: &str) {
    let ok = Command::new("psql")
        .args([
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            statement,
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "{statement}");
}

/// Floor 1: Dovecot serving every message, bytes discarded.
async fn raw_read(dovecot: &Dovecot, folder: &str) -> (Duration, u64) {
    fetch_everything(dovecot.session().await, folder).await
}

/// The same read over implicit TLS, through the same rustls and ring as applymail's: what
/// Dovecot serving the bytes encrypted costs, the floor of the TLS backfill.
async fn raw_read_tls(dovecot: &Dovecot, folder: &str) -> (Duration, u64) {
    let config = applymail::imap::client_config(Some(&dovecot.ca_file)).unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot.imaps_port))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .unwrap();
    let mut client = async_imap::Client::new(tls);
    client.read_response().await.unwrap();
    let session = client
        .login(USER, dovecot::PASSWORD)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    fetch_everything(session, folder).await
}

/// `UID FETCH 1:* BODY.PEEK[]` on one connection, bodies discarded: the time and the bytes.
async fn fetch_everything<S>(mut session: async_imap::Session<S>, folder: &str) -> (Duration, u64)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug,
{
    session.select(folder).await.unwrap();
    let started = Instant::now();
    let mut bytes = 0u64;
    {
        let mut stream = session.uid_fetch("1:*", "BODY.PEEK[]").await.unwrap();
        while let Some(fetch) = stream.try_next().await.unwrap() {
            bytes += fetch.body().map_or(0, |b| b.len() as u64);
        }
    }
    let took = started.elapsed();
    session.logout().await.unwrap();
    (took, bytes)
}

/// CPU time (user, system) this process has used so far, all threads.
fn own_cpu() -> (Duration, Duration) {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut usage), 0);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    (time(usage.ru_utime), time(usage.ru_stime))
}

/// User plus system CPU time this process has used so far.
fn own_cpu_total() -> Duration {
    let (user, system) = own_cpu();
    user + system
}

/// CPU time a Dovecot instance has used so far: its master and every living process under it,
/// plus the children the master has reaped (a session's `imap` process exits at logout).
/// In clock ticks of 10 ms, from `/proc`.
fn dovecot_cpu(dovecot: &Dovecot) -> Duration {
    let master = dovecot.master_pid().expect("Dovecot is running");
    // (pid, ppid, utime + stime, cutime + cstime) of every process.
    let processes: Vec<(u32, u32, u64, u64)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // Fields after the command name, which may hold spaces: state is field 3.
            let fields: Vec<u64> = stat[stat.rfind(')')? + 2..]
                .split(' ')
                .skip(1)
                .map(|f| f.parse().unwrap_or(0))
                .collect();
            Some((
                pid,
                fields[0] as u32,
                fields[10] + fields[11],
                fields[12] + fields[13],
            ))
        })
        .collect();
    let mut instance = vec![master];
    let mut ticks = 0;
    while let Some(pid) = instance.pop() {
        for &(child, parent, own, reaped) in &processes {
            if child == pid {
                ticks += own + if pid == master { reaped } else { 0 };
            } else if parent == pid {
                instance.push(child);
            }
        }
    }
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// Floor 1 and what it costs in CPU: the read's time and bytes, then Dovecot's CPU time and
/// the kernel's on the receiving side (copying the bytes out of the socket), which any
/// client pays. The client's own parsing of the responses is left out: a leaner client
/// could do it for less.
async fn raw_read_and_cpu(dovecot: &Dovecot, folder: &str) -> ((Duration, u64), [Duration; 2]) {
    let (server, (_, client)) = (dovecot_cpu(dovecot), own_cpu());
    let read = raw_read(dovecot, folder).await;
    let client = own_cpu().1 - client;
    (read, [dovecot_cpu_since(dovecot, server), client])
}

/// Dovecot's CPU time since `before`, once the sessions that ended have been reaped: a
/// session's `imap` process moves into the master's count only when it has exited.
fn dovecot_cpu_since(dovecot: &Dovecot, before: Duration) -> Duration {
    let mut used = Duration::ZERO;
    for _ in 0..20 {
        used = used.max(dovecot_cpu(dovecot).saturating_sub(before));
        std::thread::sleep(Duration::from_millis(50));
    }
    used
}

/// What the run wrote, kept until its end: ext4 makes the first file creations after a mass
/// deletion much slower (it skips recently freed inodes), so nothing is deleted between
/// two measurements.
type Graveyard = Vec<Box<dyn std::any::Any>>;

/// How the floor's document writes are made durable.
#[derive(Clone, Copy, PartialEq)]
enum Durability {
    /// Left in the page cache.
    None,
    /// One `syncfs` after the last file.
    OneSync,
    /// One `syncfs` per [`FLOOR_GROUP`] files, whose pages are then dropped from the page
    /// cache, as applymail's groups do: the next files are written into the pages just
    /// freed, not into fresh ones (see `applymail::blobs`).
    GroupsDropped,
    /// An fsync per file.
    EachFile,
}

/// Files per sync in [`Durability::GroupsDropped`]: a group's share of a 64-message group.
const FLOOR_GROUP: usize = 128;

/// `BENCH_ONLY=hold`: keeps the seeded Dovecot up until Enter is pressed (at most an hour)
/// and prints a configuration that backfills from it, to profile or trace runs by hand.
/// Returning, rather than being killed, is what stops Dovecot and removes its files.
fn hold(dovecot: &Dovecot) {
    let env = Env::new(&dovecot.mailbox_config("plain", "127.0.0.1", ""), false);
    println!(
        "\nholding until Enter (at most an hour); backfill with:\n  APPLYMAIL_TEST_IMAP_PASSWORD={} {APPLYMAIL} --config {} run --once\n(point [database] and [storage] elsewhere for each run)",
        dovecot::PASSWORD,
        env.config.display(),
    );
    let (entered, enter) = std::sync::mpsc::channel();
    // The sender stays here too: without a terminal (stdin at its end) the hour still runs.
    let reader = entered.clone();
    std::thread::spawn(move || {
        if std::io::stdin()
            .read_line(&mut String::new())
            .is_ok_and(|n| n > 0)
        {
            let _ = reader.send(());
        }
    });
    let _ = enter.recv_timeout(Duration::from_secs(3600));
    drop(entered);
}

/// Waits until the inodes that earlier runs freed (a previous bench's clean-up, a test run, a
/// build) no longer slow down file creation. ext4 without a journal, as on this machine, skips
/// every inode freed in the last 5 s when it allocates one, or in the last 300 s while that
/// inode's table block is dirty (`recently_deleted` in fs/ext4/ialloc.c), and each skip is a
/// buffer cache lookup. Flushing first does not shorten the wait: the first new inode
/// allocated in a table block dirties it again, and its freed neighbours count as recent for
/// 300 s. After a clean-up of a few thousand files, a backfill took 2.3–3.2 s instead of 1.5 s,
/// all of it in system time. Nothing is deleted during the run (see [`Graveyard`]), so this
/// wait is needed once, before the first measurement: `BENCH_SETTLE` seconds, default 305.
fn settle_deleted_inodes(line: &mut impl FnMut(String)) {
    let seconds = setting("BENCH_SETTLE", 305) as u64;
    line(format!(
        "(waited {seconds} s before measuring: file creation on this ext4 is slow for 300 s after a mass deletion; see settle_deleted_inodes)"
    ));
    rustix::fs::syncfs(std::fs::File::open(std::env::temp_dir()).unwrap()).unwrap();
    std::thread::sleep(Duration::from_secs(seconds));
}

/// Floor 2: the same decoded documents written as files (decoding not timed): left in the
/// page cache, made durable by one `syncfs` at the end, by one per group of files dropped from
/// the page cache once synced, and with an fsync per file. Each way's wall time, and the CPU
/// time (user and system) it took.
fn document_writes(
    messages: &[Vec<u8>],
    graveyard: &mut Graveyard,
) -> ([(Duration, Duration); 4], u64, usize) {
    let documents: Vec<Vec<u8>> = messages
        .iter()
        .flat_map(|raw| {
            let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
            parsed
                .attachments()
                .map(|a| a.contents().to_vec())
                .collect::<Vec<_>>()
        })
        .collect();
    let bytes: u64 = documents.iter().map(|d| d.len() as u64).sum();
    let mut time = |durability: Durability| {
        let dir = tempfile::tempdir().unwrap();
        // Earlier steps' dirty pages are not this step's to flush.
        rustix::fs::syncfs(std::fs::File::open(dir.path()).unwrap()).unwrap();
        let (started, cpu) = (Instant::now(), own_cpu_total());
        for (i, doc) in documents.iter().enumerate() {
            let path = dir.path().join(format!("{i}"));
            if durability == Durability::EachFile {
                use std::io::Write;
                let mut f = std::fs::File::create(&path).unwrap();
                f.write_all(doc).unwrap();
                f.sync_all().unwrap();
            } else {
                std::fs::write(&path, doc).unwrap();
            }
            if durability == Durability::GroupsDropped
                && ((i + 1) % FLOOR_GROUP == 0 || i + 1 == documents.len())
            {
                rustix::fs::syncfs(std::fs::File::open(dir.path()).unwrap()).unwrap();
                for synced in i - i % FLOOR_GROUP..=i {
                    let file = std::fs::File::open(dir.path().join(format!("{synced}"))).unwrap();
                    rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
                }
            }
        }
        if durability == Durability::OneSync {
            rustix::fs::syncfs(std::fs::File::open(dir.path()).unwrap()).unwrap();
        }
        let (took, cpu) = (started.elapsed(), own_cpu_total() - cpu);
        graveyard.push(Box::new(dir));
        (took, cpu)
    };
    let times = [
        time(Durability::None),
        time(Durability::OneSync),
        time(Durability::GroupsDropped),
        time(Durability::EachFile),
    ];
    (times, bytes, documents.len())
}

/// Not part of the floor as the issue defines it, but work any backfill must do besides the
/// read and the writes: parsing and decoding each message, BLAKE3 of its bytes (its identity)
/// and SHA-256 of each document (its name, by the product's contract), spread over every core
/// as a backfill would. Without `identity`, no BLAKE3: only what the contract needs,
/// whoever does the job (the message's identity is applymail's own choice).
fn decode_and_hash(messages: &[Vec<u8>], identity: bool) -> Duration {
    use sha2::Digest;
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for chunk in messages.chunks(messages.len().div_ceil(threads).max(1)) {
            scope.spawn(move || {
                for raw in chunk {
                    let parsed = mail_parser::MessageParser::default().parse(raw).unwrap();
                    if identity {
                        std::hint::black_box(blake3::hash(raw));
                    }
                    for attachment in parsed.attachments() {
                        std::hint::black_box(sha2::Sha256::digest(attachment.contents()));
                    }
                }
            });
        }
    });
    started.elapsed()
}

const IMAP_TOOLS: &str = "1.7.4";

/// Runs the imap_tools peer over the whole inbox, in a virtualenv under `target/` that gets
/// imap_tools from PyPI the first time; says how long it took and how many messages it saved.
fn peer(dovecot: &Dovecot) -> Result<(Duration, usize), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = root.join("target/bench-peer-venv");
    let python = venv.join("bin/python");
    let has_imap_tools = |python: &Path| {
        Command::new(python)
            .args(["-c", "import imap_tools"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has_imap_tools(&python) {
        let made = Command::new("/usr/bin/python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", &format!("imap-tools=={IMAP_TOOLS}")])
                .status()
                .is_ok_and(|s| s.success());
        if !made || !has_imap_tools(&python) {
            return Err(format!(
                "cannot make a virtualenv with imap-tools {IMAP_TOOLS} in {} (Debian's python3-venv and PyPI are needed)",
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
    let took = started.elapsed();
    if !run.status.success() {
        return Err(String::from_utf8_lossy(&run.stderr).into_owned());
    }
    let saved = String::from_utf8_lossy(&run.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok((took, saved))
}

fn count_sqlite(db: &Path) -> i64 {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg("SELECT count(*) FROM applications")
        .output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        Err(_) => 0,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// What a raw IDLE session saw of one new message: when Dovecot announced it (EXISTS), and
/// when its bytes were in hand after leaving IDLE and fetching it, as the daemon does.
struct Watched {
    exists: Instant,
    fetched: Instant,
}

/// Dovecot's own cost for a pushed message: a raw session in IDLE that timestamps every
/// EXISTS, then leaves IDLE, fetches the new message (`FETCH n BODY.PEEK[]`), timestamps the
/// end of the transfer, and goes back to IDLE.
async fn idle_watcher(dovecot: &Dovecot) -> tokio::sync::mpsc::UnboundedReceiver<Watched> {
    use tokio::io::AsyncBufRead;
    use tokio::net::tcp::OwnedWriteHalf;
    /// Reads lines (bytes: a fetched message need not be UTF-8) until one starts with `tag`;
    /// None once the server has hung up.
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
    /// Reports each new message until the server or the receiver goes away (the bench
    /// stops each Dovecot while its watcher still idles).
    async fn watch(
        mut lines: BufReader<tokio::net::tcp::OwnedReadHalf>,
        mut write: OwnedWriteHalf,
        tx: tokio::sync::mpsc::UnboundedSender<Watched>,
    ) -> Option<()> {
        // Counts the IDLE commands sent: their tags are c0, c1, …
        let mut k = 0;
        loop {
            let line = until(&mut lines, b"* ").await?;
            let line = String::from_utf8_lossy(&line);
            let Some(count) = line.trim_end().strip_suffix(" EXISTS") else {
                continue;
            };
            k += 1;
            let exists = Instant::now();
            let count = count.trim_start_matches("* ").to_owned();
            write.write_all(b"DONE\r\n").await.ok()?;
            until(&mut lines, format!("c{} ", k - 1).as_bytes()).await?;
            let fetch = format!("f{k} FETCH {count} BODY.PEEK[]\r\n");
            write.write_all(fetch.as_bytes()).await.ok()?;
            until(&mut lines, format!("f{k} ").as_bytes()).await?;
            let fetched = Instant::now();
            let idle = format!("c{k} IDLE\r\n");
            write.write_all(idle.as_bytes()).await.ok()?;
            until(&mut lines, b"+").await?;
            tx.send(Watched { exists, fetched }).ok()?;
        }
    }
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot.imap_port))
        .await
        .unwrap();
    let (read, mut write) = tcp.into_split();
    let mut lines = BufReader::new(read);
    until(&mut lines, b"* OK").await.expect("a greeting");
    write
        .write_all(
            format!(
                "a LOGIN \"{USER}\" \"{}\"\r\nb SELECT INBOX\r\nc0 IDLE\r\n",
                dovecot::PASSWORD
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    until(&mut lines, b"+").await.expect("IDLE accepted");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(watch(lines, write, tx));
    rx
}

/// How the raw IDLE session that measures Dovecot's own latency runs next to the daemon.
#[derive(Clone, Copy, PartialEq)]
enum Watch {
    /// Both at once, on the same messages, as a recruiter's mail client open on the folder
    /// would be: each session's sync of the folder can fall between the other's steps.
    Alongside,
    /// The daemon alone first, then the raw session alone on as many new messages: each
    /// client's own cost.
    Apart,
}

impl Watch {
    /// Step 4 measures both, in this order.
    const BOTH: [Watch; 2] = [Watch::Apart, Watch::Alongside];

    fn name(self) -> &'static str {
        match self {
            Watch::Alongside => "alongside",
            Watch::Apart => "apart",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Watch::Alongside => {
                "both at once on the same messages, as a mail client open on the folder would be"
            }
            Watch::Apart => "measured apart: the daemon alone, then a raw IDLE session alone",
        }
    }
}

/// Starts the daemon on `env` and APPENDs `pushes` messages of synth's `size` one by one,
/// each once the previous one is filed; `log` gets the daemon's debug log. The raw IDLE
/// session sees the same messages (`Watch::Alongside`) or as many others once the daemon
/// has stopped (`Watch::Apart`).
async fn push_latencies(
    dovecot: &Dovecot,
    env: &Env,
    pushes: usize,
    size: usize,
    tag: usize,
    watch: Watch,
    log: Option<std::fs::File>,
) -> Pushes {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let daemon = KilledOnDrop(
        Command::new(APPLYMAIL)
            .arg("--config")
            .arg(&env.config)
            .arg("run")
            .env("APPLYMAIL_TEST_IMAP_PASSWORD", dovecot::PASSWORD)
            .env("APPLYMAIL_HTTP__LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "RUST_LOG",
                if log.is_some() {
                    "applymail=debug"
                } else {
                    "warn"
                },
            )
            .stdout(Stdio::null())
            .stderr(log.map_or_else(Stdio::null, Stdio::from))
            .spawn()
            .unwrap(),
    );
    let mut watcher = match watch {
        Watch::Alongside => Some(idle_watcher(dovecot).await),
        Watch::Apart => None,
    };
    let mut session = dovecot.session().await;
    let mut pushed = Pushes::default();
    wait_until_idle(port).await;
    let before = count_sqlite(&env.db_file());
    for i in 0..pushes {
        if i > 0 {
            wait_until_idle(port).await;
        }
        let raw = synth::application(tag + i, size);
        session.append("INBOX", None, None, &raw).await.unwrap();
        let appended = Instant::now();
        let deadline = appended + Duration::from_secs(30);
        while count_sqlite(&env.db_file()) < before + i as i64 + 1 {
            assert!(Instant::now() < deadline, "push {i} never filed");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        pushed
            .committed
            .push(appended.elapsed().as_secs_f64() * 1000.0);
        if let Some(watcher) = watcher.as_mut() {
            pushed.watched(watcher, appended).await;
        }
    }
    if watch == Watch::Apart {
        drop(daemon);
        let mut watcher = idle_watcher(dovecot).await;
        for i in pushes..2 * pushes {
            let raw = synth::application(tag + i, size);
            session.append("INBOX", None, None, &raw).await.unwrap();
            pushed.watched(&mut watcher, Instant::now()).await;
        }
    }
    for times in [
        &mut pushed.committed,
        &mut pushed.exists,
        &mut pushed.fetched,
    ] {
        times.sort_by(f64::total_cmp);
    }
    pushed
}

/// Step 4's pushes into a mailbox that holds `label` processed messages: five for each of
/// [`Watch::BOTH`], in its order; the daemon's debug logs go to `incremental-{label}-apart.log`
/// and `-alongside.log` under `BENCH_LOG`.
async fn incremental_pushes(dovecot: &Dovecot, env: &Env, tag: usize, label: &str) -> Vec<Pushes> {
    let mut passes = Vec::new();
    for (k, watch) in Watch::BOTH.into_iter().enumerate() {
        let log = daemon_log(&format!("incremental-{label}-{}", watch.name()));
        passes.push(push_latencies(dovecot, env, 5, 2_000, tag + 10 * k, watch, log).await);
    }
    passes
}

/// A daemon the bench started, ended however the step ends (a failed assertion included).
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Milliseconds from each APPEND, sorted: to applymail's committed row, and to what the raw
/// IDLE session saw (see [`idle_watcher`]).
#[derive(Default)]
struct Pushes {
    committed: Vec<f64>,
    exists: Vec<f64>,
    fetched: Vec<f64>,
}

impl Pushes {
    /// Waits for the raw session's report on the message APPENDed at `appended`.
    async fn watched(
        &mut self,
        watcher: &mut tokio::sync::mpsc::UnboundedReceiver<Watched>,
        appended: Instant,
    ) {
        let watched = tokio::time::timeout(Duration::from_secs(30), watcher.recv())
            .await
            .expect("the raw session saw the message within 30 s")
            .expect("the raw session is up");
        let since = |t: Instant| t.saturating_duration_since(appended).as_secs_f64() * 1000.0;
        self.exists.push(since(watched.exists));
        self.fetched.push(since(watched.fetched));
    }

    /// Medians of the committed row, the EXISTS and the raw session's fetch.
    fn medians(&self) -> (f64, f64, f64) {
        let median = |times: &[f64]| percentile(times, 0.5);
        (
            median(&self.committed),
            median(&self.exists),
            median(&self.fetched),
        )
    }
}

/// Waits until the daemon says (`/healthz`) that it waits in IDLE, so that the next message
/// arrives while it idles, not while it is still busy with the last one. It says so just
/// before it sends IDLE: the short sleep lets the command reach the server.
async fn wait_until_idle(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = healthz(port).and_then(|body| {
            let health: serde_json::Value = serde_json::from_str(&body).ok()?;
            Some(health["mailbox"]["state"]["state"].as_str()? == "idle")
        });
        if state == Some(true) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
        assert!(Instant::now() < deadline, "the daemon never went idle");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The body of `/healthz` (a minimal HTTP/1.0 GET), whatever its status.
fn healthz(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

/// `BENCH_LOG=DIR`: where a running daemon's debug log goes (DIR/NAME.log), to see where a
/// push's time goes.
fn daemon_log(name: &str) -> Option<std::fs::File> {
    let dir = std::env::var_os("BENCH_LOG")?;
    std::fs::create_dir_all(&dir).unwrap();
    Some(std::fs::File::create(std::path::Path::new(&dir).join(format!("{name}.log"))).unwrap())
}

/// One new message: Dovecot's own cost to hand it over (a fresh session: SELECT, UID SEARCH
/// past the last UID, FETCH), then `run --once`; medians of 3.
async fn one_new_message(mailbox: &Dovecot, env: &Env, tag: usize) -> (f64, f64) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for k in 0..3 {
        mailbox
            .append("INBOX", &[synth::application(tag + 2 * k, 2_000)])
            .await;
        let started = Instant::now();
        let mut session = mailbox.session().await;
        let selected = session.select("INBOX").await.unwrap();
        let last = selected.uid_next.unwrap_or(2).saturating_sub(1);
        let uids = session.uid_search(format!("UID {last}:*")).await.unwrap();
        let set: Vec<String> = uids.iter().map(u32::to_string).collect();
        {
            let mut stream = session
                .uid_fetch(set.join(","), "BODY.PEEK[]")
                .await
                .unwrap();
            while stream.try_next().await.unwrap().is_some() {}
        }
        theirs.push(started.elapsed().as_secs_f64());
        session.logout().await.unwrap();
        mailbox
            .append("INBOX", &[synth::application(tag + 2 * k + 1, 2_000)])
            .await;
        ours.push(
            applymail(&env.config, &["run", "--once"])
                .wall
                .as_secs_f64(),
        );
    }
    ours.sort_by(f64::total_cmp);
    theirs.sort_by(f64::total_cmp);
    (ours[1], theirs[1])
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = setting("BENCH_MESSAGES", 2000);
    let pushes = setting("BENCH_PUSH", 50);
    let mut report = String::new();
    let mut graveyard: Graveyard = Vec::new();
    let mut line = |text: String| {
        println!("{text}");
        report.push_str(&text);
        report.push('\n');
    };
    line(format!(
        "# applymail benchmark, {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    ));
    line(format!(
        "{} cores; release build; plain IMAP on loopback unless stated",
        std::thread::available_parallelism().map_or(1, |p| p.get())
    ));

    let only = std::env::var("BENCH_ONLY").ok();
    let mut backfill_rss = 0;
    if only.is_none() || matches!(only.as_deref(), Some("backfill" | "hold")) {
        // The mailbox: N applications of ~250 KB, and a reply for every fifth in Sent.
        let size = match only.as_deref() {
            Some("hold") => setting("BENCH_HOLD_SIZE", SIZE_250K),
            _ => SIZE_250K,
        };
        let messages: Vec<Vec<u8>> = (0..n).map(|i| synth::application(i, size)).collect();
        let dovecot = Dovecot::start();
        let bytes = seed(&dovecot, "INBOX", messages.iter().cloned());
        let mb = bytes as f64 / 1e6;
        line(format!(
            "\n## Data: {n} applications, {mb:.0} MB ({:.0} KB each)",
            mb * 1000.0 / n as f64
        ));
        // Dovecot indexes a seeded Maildir on first access: do that outside every timing.
        let _ = raw_read(&dovecot, "INBOX").await;
        settle_deleted_inodes(&mut line);
        if only.as_deref() == Some("hold") {
            hold(&dovecot);
            return;
        }

        // The floor and the backfills, measured in rounds one after the other: this disk's
        // speed swings by 3× within minutes, so each figure is the median of its rounds.
        let rounds = setting("BENCH_ROUNDS", 3).max(1);
        let targets = [
            ("SQLite", "plain", "127.0.0.1", false),
            ("PostgreSQL", "plain", "127.0.0.1", true),
            ("SQLite, IMAP over TLS", "tls", "localhost", false),
        ];
        let (mut reads, mut tls_reads) = (Vec::new(), Vec::new());
        let mut writes: [Vec<f64>; 4] = Default::default();
        let mut fastest_writes = Vec::new();
        let mut computes = Vec::new();
        // The CPU any backfill needs, per round: Dovecot serving, the kernel receiving,
        // decoding and naming the documents, writing them; and Dovecot serving applymail.
        let mut needs: [Vec<f64>; 4] = Default::default();
        let mut served_applymail = Vec::new();
        let mut walls: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
        let mut rss = vec![0; targets.len()];
        let mut cpus: Vec<Vec<f64>> = vec![Vec::new(); targets.len()];
        let (mut doc_bytes, mut docs) = (0, 0);
        for _ in 0..rounds {
            let ((read, read_bytes), [serving, receiving]) =
                raw_read_and_cpu(&dovecot, "INBOX").await;
            assert_eq!(read_bytes, bytes, "Dovecot served every byte");
            reads.push(read.as_secs_f64());
            let (read, read_bytes) = raw_read_tls(&dovecot, "INBOX").await;
            assert_eq!(read_bytes, bytes, "Dovecot served every byte over TLS");
            tls_reads.push(read.as_secs_f64());
            let (times, written, count) = document_writes(&messages, &mut graveyard);
            for (all, (time, _)) in writes.iter_mut().zip(times) {
                all.push(time.as_secs_f64());
            }
            // The floor is the fastest way to write the files, whichever it is in this round:
            // left in the page cache they go into fresh pages, which this VM makes slow (see
            // `applymail::blobs`), and dropping synced groups reuses pages instead.
            let fastest = |part: fn(&(Duration, Duration)) -> Duration| {
                times.iter().map(part).min().unwrap_or_default()
            };
            fastest_writes.push(fastest(|(time, _)| *time).as_secs_f64());
            let write_cpu = fastest(|(_, cpu)| *cpu);
            (doc_bytes, docs) = (written, count);
            computes.push(decode_and_hash(&messages, true).as_secs_f64());
            let naming = own_cpu_total();
            decode_and_hash(&messages, false);
            let naming = own_cpu_total() - naming;
            let need = [serving, receiving, naming, write_cpu];
            for (all, cpu) in needs.iter_mut().zip(need) {
                all.push(cpu.as_secs_f64());
            }
            for (t, (_, security, host, postgres)) in targets.iter().enumerate() {
                let env = Env::new(&dovecot.mailbox_config(security, host, ""), *postgres);
                let before = dovecot_cpu(&dovecot);
                let run = applymail(&env.config, &["run", "--once"]);
                if t == 0 {
                    served_applymail.push(dovecot_cpu_since(&dovecot, before).as_secs_f64());
                    assert_eq!(
                        count_sqlite(&env.db_file()),
                        n as i64,
                        "every application filed"
                    );
                }
                walls[t].push(run.wall.as_secs_f64());
                rss[t] = rss[t].max(run.peak_rss_kb);
                cpus[t].push(run.cpu);
                graveyard.push(Box::new(env));
            }
        }
        backfill_rss = rss[0];
        let read = Spread::of(&reads);
        let tls_read = Spread::of(&tls_reads);
        let [write, write_one_sync, write_dropped, write_each] = writes.map(|w| Spread::of(&w));
        let compute = Spread::of(&computes);
        let fastest_write = Spread::of(&fastest_writes);
        let floor = read.median.max(fastest_write.median);
        // The faster of the two ways to make every document durable with few waits.
        let write_durable = write_one_sync.median.min(write_dropped.median);
        let durable_floor = read.median.max(write_durable);
        // A backfill over TLS is compared with Dovecot serving the same bytes over TLS.
        let floors = |security: &str| match security {
            "tls" => (
                tls_read.median.max(fastest_write.median),
                tls_read.median.max(write_durable),
            ),
            _ => (floor, durable_floor),
        };
        line(format!(
            "\n## 1. The floor (same data, same run; medians of {rounds} rounds, min–max)"
        ));
        line(format!(
            "- raw IMAP read (UID FETCH 1:* BODY.PEEK[], discarded): {read} ({:.0} msg/s, {:.0} MB/s)",
            n as f64 / read.median,
            mb / read.median
        ));
        line(format!(
            "- the same read over TLS (implicit TLS, rustls and ring as in applymail): {tls_read} ({:.0} MB/s)",
            mb / tls_read.median
        ));
        line(format!(
            "- writing the {docs} decoded documents ({:.0} MB) as files: left in the page cache {write}; made durable by one syncfs at the end: {write_one_sync}; by one syncfs per {FLOOR_GROUP} files, dropped from the page cache once synced: {write_dropped}; with an fsync per file: {write_each}",
            doc_bytes as f64 / 1e6,
        ));
        line(format!(
            "- floor = the slower of the read and the fastest of these writes in each round ({fastest_write}): {floor:.2} s; durable floor (the faster durable writes): {durable_floor:.2} s; over TLS: {:.2} s and {:.2} s",
            floors("tls").0,
            floors("tls").1
        ));
        line(format!(
            "- not in the floor: decoding the messages, BLAKE3 of each message and SHA-256 of each document, on every core: {compute}"
        ));
        // What two cores allow: the CPU time the job needs whoever does it, spread over every
        // core with nothing else to do, is the least wall time any backfill can take.
        let [serving, receiving, naming, writing] = needs.map(|cpu| Spread::of(&cpu).median);
        let needed = serving + receiving + naming + writing;
        let cores = std::thread::available_parallelism().map_or(1, |p| p.get()) as f64;
        let least = needed / cores;
        line(format!(
            "- CPU time the job needs, whoever does it (medians): Dovecot serving the bytes {serving:.2} s, the kernel receiving them {receiving:.2} s, decoding the documents and their SHA-256 {naming:.2} s, writing them (the least CPU of the four ways) {writing:.2} s; {needed:.2} s on {cores} cores, so no backfill can take less than {least:.2} s, nor less than the floor: at most {:.2}× of the floor (durable: {:.2}×)",
            floor / least.max(floor),
            durable_floor / least.max(durable_floor),
        ));

        line(format!(
            "\n## 2. Backfill: `applymail run --once` (medians of {rounds} rounds, each right after its floor)"
        ));
        line(
            "| target | wall (min–max) | msg/s | MB/s | CPU, user + system | peak RSS | floor / wall | durable floor / wall |"
                .into(),
        );
        line("|---|---|---|---|---|---|---|---|".into());
        for (t, (label, security, ..)) in targets.iter().enumerate() {
            let wall = Spread::of(&walls[t]);
            let secs = wall.median;
            let (floor, durable_floor) = floors(security);
            line(format!(
                "| {label} | {wall} | {:.0} | {:.0} | {} | {} MB | {:.2}× | {:.2}× |",
                n as f64 / secs,
                mb / secs,
                Spread::of(&cpus[t]),
                rss[t] / 1024,
                floor / secs,
                durable_floor / secs
            ));
        }
        line(format!(
            "- Dovecot's CPU time serving the SQLite backfill: {} (serving the raw read: {serving:.2} s)",
            Spread::of(&served_applymail)
        ));
        // The peer, once (it is slow): imap_tools saving attachments and SQLite rows.
        match peer(&dovecot) {
            Ok((took, saved)) => {
                assert_eq!(saved, n, "the peer saved every message");
                let ours = Spread::of(&walls[0]).median;
                line(format!(
                    "- peer, same mailbox: imap_tools {IMAP_TOOLS} saving attachments and SQLite rows (`benches/peer_imap_tools.py`): {:.2} s, {:.0} msg/s; applymail on SQLite is {:.1}× as fast",
                    took.as_secs_f64(),
                    n as f64 / took.as_secs_f64(),
                    took.as_secs_f64() / ours
                ));
            }
            Err(why) => line(format!("- peer not measured: {why}")),
        }
    }
    if only.as_deref() == Some("backfill") {
        drop(graveyard);
        return;
    }

    if only.as_deref() != Some("incremental") {
        line("\n## 3. Push latency (APPEND → committed row, daemon in IDLE)".into());
        let push = Dovecot::start();
        let env = Env::new(&push.mailbox_config("plain", "127.0.0.1", ""), false);
        // `BENCH_LOG=FILE`: the daemon's debug log, to see where a push's time goes.
        let pushed = push_latencies(
            &push,
            &env,
            pushes,
            SIZE_250K,
            100_000,
            Watch::Alongside,
            daemon_log("push"),
        )
        .await;
        graveyard.push(Box::new(env));
        graveyard.push(Box::new(push));
        line(format!(
            "- applymail: p50 {:.0} ms, p95 {:.0} ms; Dovecot APPEND → EXISTS: p50 {:.0} ms, p95 {:.0} ms; → the message fetched by a raw session: p50 {:.0} ms, p95 {:.0} ms ({pushes} pushes; the row is polled every 1 ms with the sqlite3 CLI, which adds a few ms)",
            percentile(&pushed.committed, 0.5),
            percentile(&pushed.committed, 0.95),
            percentile(&pushed.exists, 0.5),
            percentile(&pushed.exists, 0.95),
            percentile(&pushed.fetched, 0.5),
            percentile(&pushed.fetched, 0.95)
        ));
    }

    line(
        "\n## 4–5. Incremental cost and memory against mailbox size (small messages, ~3 KB)".into(),
    );
    let mut rss = Vec::new();
    let mut incremental = Vec::new();
    for size in [n, 10 * n] {
        let mailbox = Dovecot::start();
        seed(
            &mailbox,
            "INBOX",
            (0..size).map(|i| synth::application(i, 2_000)),
        );
        let env = Env::new(
            &mailbox.mailbox_config("plain", "127.0.0.1", "after_filing = \"none\""),
            false,
        );
        let run = applymail(&env.config, &["run", "--once"]);
        rss.push((size, run.peak_rss_kb, run.wall));
        let (ours, theirs) = one_new_message(&mailbox, &env, 500_000).await;
        let pushed = incremental_pushes(&mailbox, &env, 700_000, &format!("{size}")).await;
        incremental.push((size, ours, theirs, pushed));
        graveyard.push(Box::new(env));
        graveyard.push(Box::new(mailbox));
    }
    let (empty, empty_raw, empty_pushed) = {
        let mailbox = Dovecot::start();
        let env = Env::new(
            &mailbox.mailbox_config("plain", "127.0.0.1", "after_filing = \"none\""),
            false,
        );
        let (ours, theirs) = one_new_message(&mailbox, &env, 600_000).await;
        let pushed = incremental_pushes(&mailbox, &env, 800_000, "0").await;
        graveyard.push(Box::new(env));
        graveyard.push(Box::new(mailbox));
        (ours, theirs, pushed)
    };
    line(format!(
        "- one new message, `run --once` (process start included), median of 3: empty mailbox {:.0} ms; Dovecot alone (SELECT, UID SEARCH, FETCH of the new message) {:.0} ms",
        empty * 1000.0,
        empty_raw * 1000.0
    ));
    for (size, ours, theirs, ..) in &incremental {
        line(format!(
            "- … with {size} processed messages: {:.0} ms ({:.2}× the empty mailbox); Dovecot alone {:.0} ms",
            ours * 1000.0,
            ours / empty,
            theirs * 1000.0
        ));
    }
    // Medians of 5; the raw session's fetch is the daemon's step done by hand (IDLE, EXISTS,
    // DONE, FETCH), so its growth with the mailbox is Dovecot's.
    for (k, watch) in Watch::BOTH.into_iter().enumerate() {
        let how = watch.describe();
        let (empty_push, empty_exists, empty_fetched) = empty_pushed[k].medians();
        line(format!(
            "- one new message to the running daemon, {how} (IDLE; APPEND → committed row, median of 5): empty mailbox {empty_push:.0} ms; Dovecot APPEND → EXISTS {empty_exists:.0} ms, → fetched by the raw IDLE session {empty_fetched:.0} ms"
        ));
        for (size, .., pushed) in &incremental {
            let (push, exists, fetched) = pushed[k].medians();
            line(format!(
                "  - … with {size} processed messages: {push:.0} ms ({:.2}× the empty mailbox); Dovecot APPEND → EXISTS {exists:.0} ms, → fetched by the raw IDLE session {fetched:.0} ms ({:.2}× the empty mailbox)",
                push / empty_push,
                fetched / empty_fetched
            ));
        }
    }
    for (size, kb, wall) in &rss {
        line(format!(
            "- backfill of {size} messages: peak RSS {} MB, {:.1} s",
            kb / 1024,
            wall.as_secs_f64()
        ));
    }
    line(format!(
        "- backfill of {n} messages of 250 KB: peak RSS {} MB",
        backfill_rss / 1024
    ));

    {
        let big = Dovecot::start();
        let raw = synth::application(0, 30_000_000);
        let size = raw.len();
        big.append("INBOX", &[raw]).await;
        let env = Env::new(&big.mailbox_config("plain", "127.0.0.1", ""), false);
        let run = applymail(&env.config, &["run", "--once"]);
        line(format!(
            "- one message of {:.0} MB: peak RSS {} MB ({:.1}× the message)",
            size as f64 / 1e6,
            run.peak_rss_kb / 1024,
            run.peak_rss_kb as f64 * 1024.0 / size as f64
        ));
        graveyard.push(Box::new(env));
        graveyard.push(Box::new(big));
    }

    line("\n## 6. Local import from a Maildir".into());
    {
        let local = 5 * n;
        let dir = tempfile::tempdir().unwrap();
        synth::fill_maildir(&dir.path().join("Maildir"), local, 20_000);
        let env = Env::new(
            "[mailbox]\nkind = \"maildir\"\npath = \"/nonexistent\"\n",
            false,
        );
        let run = applymail(
            &env.config,
            &["import", dir.path().join("Maildir").to_str().unwrap()],
        );
        line(format!(
            "- {local} messages of ~27 KB: {:.2} s ({:.0} msg/s), peak RSS {} MB",
            run.wall.as_secs_f64(),
            local as f64 / run.wall.as_secs_f64(),
            run.peak_rss_kb / 1024
        ));
        graveyard.push(Box::new(env));
        graveyard.push(Box::new(dir));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-report.md");
    std::fs::write(&path, report).unwrap();
    drop(graveyard);
    println!("\n(written to {})", path.display());
}
