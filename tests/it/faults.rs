//! Faults outside applymail: a full disk under the document store, and the database going
//! away under a running daemon. Nothing is quarantined for them, nothing is lost, the server
//! is not touched and no cursor moves until the fault clears; then it recovers by itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::dovecot::{Dovecot, free_port};
use crate::helpers::{Daemon, TestEnv, files_under};
use crate::synth;

/// A size-limited tmpfs, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .unwrap()
            .success();
        assert!(
            ok,
            "cannot mount a tmpfs (the tests run as root on the CI machine)"
        );
        SmallDisk(at.to_owned())
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_quarantines_nothing_and_loses_nothing() {
    let env = TestEnv::new();
    let disk = SmallDisk::mount(&env.path("documents"), "1m");
    env.deliver("Maildir", "1.M1.test", &synth::application(0, 2_000));
    // Two PDFs of about 1.5 MB each: they cannot fit.
    env.deliver("Maildir", "2.M2.test", &synth::application(1, 3_000_000));
    let out = env.command().args(["run", "--once"]).output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the pass failed: {log}");
    assert!(log.contains("No space left on device"), "{log}");
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE outcome = 'quarantined'")
            .await,
        0
    );
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE location LIKE '2.M2%'")
            .await,
        0,
        "the message that did not fit is not recorded: it will be read again"
    );

    disk.resize("20m");
    env.run(&["run", "--once"]);
    let export = env.export();
    assert_eq!(export.len(), 2);
    for doc in export
        .iter()
        .flat_map(|a| a["documents"].as_array().unwrap())
    {
        let bytes = std::fs::read(doc["path"].as_str().unwrap()).unwrap();
        assert_eq!(
            applymail::blobs::sha256_hex(&bytes),
            doc["sha256"].as_str().unwrap()
        );
    }
    let leftovers: Vec<_> = files_under(&env.path("documents"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".tmp.")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "no partial file stays behind: {leftovers:?}"
    );
}

/// A PostgreSQL cluster of the test's own, so that it can be stopped without disturbing the
/// machine's.
struct ThrowawayPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl ThrowawayPostgres {
    fn start() -> ThrowawayPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries")
            .map(|e| e.unwrap().path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o777),
        )
        .unwrap();
        let pg = ThrowawayPostgres {
            dir,
            bin,
            port: free_port(),
        };
        pg.as_postgres(
            "initdb",
            &[
                "-D",
                &pg.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn as_postgres(&self, tool: &str, args: &[&str]) {
        let ok = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(tool))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "{tool} {args:?} failed");
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.as_postgres(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// A crash: connections drop at once.
    fn down(&self) {
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

async fn filed(url: &str) -> Option<i64> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM applications")
        .fetch_one(&mut conn)
        .await
        .ok()?;
    Some(n)
}

async fn wait_filed(url: &str, n: i64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while filed(url).await != Some(n) {
        assert!(
            Instant::now() < deadline,
            "{what}: {:?} filed",
            filed(url).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_database_going_down_holds_everything_back_until_it_returns() {
    let pg = ThrowawayPostgres::start();
    let dovecot = Dovecot::start();
    dovecot
        .append(
            "INBOX",
            &[synth::application(0, 2_000), synth::application(1, 2_000)],
        )
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let log = env.path("daemon.log");
    let _daemon = Daemon(
        env.command()
            .arg("run")
            .env("APPLYMAIL_DATABASE__URL", pg.url())
            .env("RUST_LOG", "info")
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    wait_filed(&pg.url(), 2, "before the outage").await;

    pg.down();
    dovecot
        .append(
            "INBOX",
            &[synth::application(2, 2_000), synth::application(3, 2_000)],
        )
        .await;
    // The pool gives up on a connection after 10 s; the outage is then logged.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(&log).unwrap();
        if text.contains("storage failed") || text.contains("lost the mailbox lease") {
            break;
        }
        assert!(Instant::now() < deadline, "the outage is logged:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing was acknowledged on the server for the messages that arrived meanwhile.
    let flags = dovecot.flags("INBOX").await;
    for (uid, flags) in &flags[2..] {
        assert!(
            !flags
                .iter()
                .any(|f| f.contains(applymail::imap::FILED_KEYWORD)),
            "UID {uid} marked while the database was down"
        );
    }

    pg.up();
    wait_filed(&pg.url(), 4, "after the database came back").await;
    // The keyword follows the commit; give the daemon the moment between the two.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let flags = dovecot.flags("INBOX").await;
        let marked = flags
            .iter()
            .filter(|(_, f)| f.iter().any(|f| f.contains(applymail::imap::FILED_KEYWORD)))
            .count();
        if marked == 4 {
            break;
        }
        assert!(Instant::now() < deadline, "{flags:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
    let (seen, next): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM mail_seen), (SELECT next_uid FROM mailbox_cursors WHERE mailbox = 'imap:INBOX')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (seen, next),
        (4, 5),
        "each message once, cursor past the last"
    );
}

/// A TCP relay to Dovecot that cuts the first connection once the server has sent `cut_after`
/// bytes (in the middle of a FETCH literal), and relays later connections whole.
async fn cutting_relay(
    target: u16,
    cut_after: usize,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&connections);
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let server = tokio::net::TcpStream::connect(("127.0.0.1", target))
                .await
                .unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let up = tokio::spawn(async move {
                let _ = tokio::io::copy(&mut cr, &mut sw).await;
            });
            tokio::spawn(async move {
                let limit = if n == 0 { cut_after } else { usize::MAX };
                let mut sent = 0;
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(read) = sr.read(&mut buf).await {
                    if read == 0 {
                        break;
                    }
                    let take = read.min(limit - sent);
                    if cw.write_all(&buf[..take]).await.is_err() {
                        break;
                    }
                    sent += take;
                    if sent >= limit {
                        break;
                    }
                }
                // Dropping both halves closes the connection, mid-literal for the first one.
                up.abort();
            });
        }
    });
    (port, connections)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_mid_literal_is_retried_and_files_everything_once() {
    let dovecot = Dovecot::start();
    let messages: Vec<Vec<u8>> = (0..6).map(|i| synth::application(i, 200_000)).collect();
    dovecot.append("INBOX", &messages).await;
    let (port, connections) = cutting_relay(dovecot.imap_port, 500_000).await;
    let mailbox = dovecot.mailbox_config("plain", "127.0.0.1", "").replace(
        &format!("port = {}", dovecot.imap_port),
        &format!("port = {port}"),
    );
    let env = TestEnv::with_mailbox(&mailbox);
    let (mut daemon, log) = env.logged_daemon("info");
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.count("SELECT count(*) FROM applications").await < 6 {
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("reconnecting"), "{text}");
    assert!(connections.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    assert_eq!(env.count("SELECT count(*) FROM mail_seen").await, 6);
    assert_eq!(env.export().len(), 6);
}
