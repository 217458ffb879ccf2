//! Documents kept in the database (`[storage] kind = "database"`): filed with their rows, read
//! by every reader (show, export, `applymail document`, the web app's download), erased with
//! the rows; two instances on one PostgreSQL sharing them through a takeover; and
//! `applymail storage migrate` there and back, killed in the middle.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use applymail::blobs::sha256_hex;
use sqlx::AnyPool;

use crate::dovecot::{Dovecot, free_port};
use crate::helpers::{Daemon, TestEnv, files_under};
use crate::synth;
use crate::web::{PASSWORD, add_user, form, request};

/// `applymail document SHA --out FILE` through `command`: the bytes, or `None` when it fails.
fn document(command: Command, sha256: &str, dir: &Path) -> Option<Vec<u8>> {
    let out = dir.join(format!("out-{sha256}"));
    let status = { command }
        .args(["document", sha256, "--out"])
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let bytes = status.success().then(|| std::fs::read(&out).unwrap());
    let _ = std::fs::remove_file(&out);
    bytes
}

/// How many chunk rows hold these bytes anywhere: the check that nothing of a person stays.
async fn chunks_holding(env: &TestEnv, db: &AnyPool, needle: &[u8]) -> i64 {
    let hex: String = needle.iter().map(|b| format!("{b:02x}")).collect();
    let sql = if env.is_sqlite() {
        format!("SELECT count(*) FROM blob_chunks WHERE instr(bytes, X'{hex}') > 0")
    } else {
        format!(
            "SELECT count(*) FROM blob_chunks WHERE position(decode('{hex}', 'hex') in bytes) > 0"
        )
    };
    sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql))
        .fetch_one(db)
        .await
        .unwrap()
        .0
}

async fn count(db: &AnyPool, sql: &'static str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql)
        .fetch_one(db)
        .await
        .unwrap()
        .0
}

/// `applymail web` for a configuration, once it listens.
fn serve(env: &TestEnv, config: &Path, port: u16) -> Daemon {
    let server = env
        .command_for(config)
        .arg("web")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Daemon)
        .unwrap();
    crate::web::wait_listening(port);
    server
}

fn sign_in(port: u16) -> String {
    let response = request(
        port,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &format!("http://127.0.0.1:{port}")),
        ],
        &form(&[("email", "marie@ong-exemple.org"), ("password", PASSWORD)]),
    );
    assert_eq!(response.status, 303, "{}", response.text());
    response.session().expect("a session cookie")
}

/// Every document row (id, SHA-256, size), by id.
async fn document_rows(db: &AnyPool) -> Vec<(i64, String, i64)> {
    sqlx::query_as("SELECT id, sha256, size FROM documents ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn documents_kept_in_the_database_are_read_everywhere_and_erased_with_their_rows() {
    let port = free_port();
    let env = TestEnv::with_extra(&format!("[web]\nlisten = \"127.0.0.1:{port}\"\n"));
    env.set_storage_kind("database");
    // Candidate 0's documents are about 3 MB each: several chunks, streamed both ways.
    for i in 0..3 {
        let size = if i == 0 { 6_000_000 } else { 20_000 };
        env.deliver(
            "Maildir",
            &format!("{i}.M{i}.test"),
            &synth::application(i, size),
        );
    }
    env.run(&["run", "--once"]);
    assert!(
        files_under(&env.path("documents")).is_empty(),
        "no document file on this host"
    );
    let db = env.db().await;
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 6);
    let big = synth::cv_of(0, 6_000_000);
    let big_sha = sha256_hex(&big);
    let (chunks,): (i64,) = sqlx::query_as("SELECT count(*) FROM blob_chunks WHERE sha256 = $1")
        .bind(&big_sha)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        chunks as usize,
        big.len().div_ceil(512 * 1024),
        "512 KiB chunks"
    );

    // Every reader: export (no path), document, show, the web app's download.
    let export = env.export();
    assert_eq!(export.len(), 3);
    for doc in export
        .iter()
        .flat_map(|a| a["documents"].as_array().unwrap())
    {
        assert_eq!(doc["path"], "", "no path with documents in the database");
        let sha = doc["sha256"].as_str().unwrap();
        let bytes = document(env.command(), sha, env.dir.path()).expect("document");
        assert_eq!(sha256_hex(&bytes), sha);
    }
    let id = export
        .iter()
        .find(|a| a["email"] == "candidat0@example.com")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let show = env.run(&["show", &id]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains(&format!(
            "in the database: applymail document {big_sha} --out FILE"
        )),
        "{show}"
    );
    add_user(&env, "marie@ong-exemple.org", "Marie Curie", "recruiter");
    let web = serve(&env, &env.config, port);
    let cookie = sign_in(port);
    let rows = document_rows(&db).await;
    for (doc, sha, size) in &rows {
        let response = request(
            port,
            "GET",
            &format!("/documents/{doc}"),
            &[("Cookie", &cookie)],
            "",
        );
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-length"), size.to_string());
        assert_eq!(
            &sha256_hex(&response.body),
            sha,
            "document {doc} downloaded whole"
        );
    }

    // Forgetting candidate 0 takes their bytes out of the database in the same transaction.
    assert!(chunks_holding(&env, &db, b"Nom00000").await > 0);
    // On SQLite, nor in the file's free pages or its write-ahead log (read with no reader open).
    let sqlite_files = || env.sqlite_file_bytes();
    let holds = |bytes: &[u8]| bytes.windows(8).any(|w| w == b"Nom00000");
    db.close().await;
    if env.is_sqlite() {
        assert!(holds(&sqlite_files()), "the check below can see the bytes");
    }
    env.run(&["forget", "candidat0@example.com"]);
    if env.is_sqlite() {
        assert!(
            !holds(&sqlite_files()),
            "the database files still hold the person"
        );
    }
    let db = env.db().await;
    assert_eq!(
        chunks_holding(&env, &db, b"Nom00000").await,
        0,
        "no chunk holds the person"
    );
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM blobs WHERE sha256 = $1")
        .bind(&big_sha)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 4);
    assert!(document(env.command(), &big_sha, env.dir.path()).is_none());
    let erased_doc = rows.iter().find(|(_, sha, _)| *sha == big_sha).unwrap().0;
    let response = request(
        port,
        "GET",
        &format!("/documents/{erased_doc}"),
        &[("Cookie", &cookie)],
        "",
    );
    assert_eq!(response.status, 404);
    drop(web);
}

#[tokio::test]
async fn two_hosts_on_one_postgresql_share_every_document_through_a_takeover() {
    const APPLICATIONS: usize = 500;
    let dovecot = Dovecot::start();
    let env = TestEnv::with_mailbox_on_postgres(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    env.set_storage_kind("database");
    // Host B: the same database and mailbox, a folder of its own (empty, like host A's).
    let (port_a, port_b) = (free_port(), free_port());
    let text = std::fs::read_to_string(&env.config).unwrap();
    let host_b = env.path("host-b.toml");
    std::fs::write(
        &host_b,
        text.replace(
            &env.path("documents").display().to_string(),
            &env.path("host-b/documents").display().to_string(),
        ) + &format!("\n[web]\nlisten = \"127.0.0.1:{port_b}\"\n"),
    )
    .unwrap();
    std::fs::write(
        &env.config,
        text + &format!("\n[web]\nlisten = \"127.0.0.1:{port_a}\"\n"),
    )
    .unwrap();
    let messages: Vec<Vec<u8>> = (0..APPLICATIONS)
        .map(|i| synth::application(i, 60_000))
        .collect();
    dovecot.append("INBOX", &messages).await;

    let spawn = |config: &Path, log: &str| {
        env.command_for(config)
            .arg("run")
            .env("RUST_LOG", "info")
            .stderr(std::fs::File::create(env.path(log)).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .map(Daemon)
            .unwrap()
    };
    let log = |name: &str| std::fs::read_to_string(env.path(name)).unwrap_or_default();
    let mut a = spawn(&env.config, "a.log");
    let started = Instant::now();
    while !log("a.log").contains("this instance is active") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "A did not start:\n{}",
            log("a.log")
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let b = spawn(&host_b, "b.log");
    // A dies in the middle of the backfill.
    let deadline = Instant::now() + Duration::from_secs(120);
    while env.count("SELECT count(*) FROM applications").await < 100 {
        assert!(
            Instant::now() < deadline,
            "A files nothing:\n{}",
            log("a.log")
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    let at_kill = env.count("SELECT count(*) FROM applications").await;
    assert!(
        at_kill < APPLICATIONS as i64,
        "killed after the backfill ({at_kill})"
    );
    let deadline = Instant::now() + Duration::from_secs(180);
    while env.count("SELECT count(*) FROM mail_seen").await < APPLICATIONS as i64 {
        assert!(
            Instant::now() < deadline,
            "B did not take over:\n{}",
            log("b.log")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        log("b.log").contains("took over the mailbox lease"),
        "{}",
        log("b.log")
    );
    let _ = Command::new("kill")
        .args(["-TERM", &b.0.id().to_string()])
        .status();
    drop(b);

    let db = env.db().await;
    assert_eq!(
        count(&db, "SELECT count(*) FROM applications").await,
        APPLICATIONS as i64
    );
    assert_eq!(
        count(&db, "SELECT count(DISTINCT message_id) FROM messages").await,
        APPLICATIONS as i64,
        "nothing filed twice"
    );
    assert!(files_under(&env.path("documents")).is_empty());
    assert!(files_under(&env.path("host-b/documents")).is_empty());

    // Both hosts read every document, with the right SHA-256.
    let export_a = env.export();
    let export_b: serde_json::Value = serde_json::from_slice(
        &env.command_for(&host_b)
            .args(["export", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(export_a.len(), APPLICATIONS);
    assert_eq!(
        serde_json::Value::from(export_a.clone()),
        export_b,
        "one truth"
    );
    for (i, application) in export_a.iter().enumerate().step_by(97) {
        let id = application["id"].as_str().unwrap();
        for config in [&env.config, &host_b] {
            let show = env.command_for(config).args(["show", id]).output().unwrap();
            assert!(show.status.success());
            assert!(String::from_utf8_lossy(&show.stdout).contains("in the database"));
        }
        let sha = application["documents"][0]["sha256"].as_str().unwrap();
        for config in [&env.config, &host_b] {
            let bytes = document(env.command_for(config), sha, env.dir.path())
                .unwrap_or_else(|| panic!("application {i}: document {sha}"));
            assert_eq!(sha256_hex(&bytes), sha);
        }
    }
    add_user(&env, "marie@ong-exemple.org", "Marie Curie", "recruiter");
    let rows = document_rows(&db).await;
    assert_eq!(rows.len(), 2 * APPLICATIONS);
    let servers = [
        serve(&env, &env.config, port_a),
        serve(&env, &host_b, port_b),
    ];
    let cookies = [sign_in(port_a), sign_in(port_b)];
    for (port, cookie) in [port_a, port_b].into_iter().zip(&cookies) {
        for (doc, sha, _) in &rows {
            let response = request(
                port,
                "GET",
                &format!("/documents/{doc}"),
                &[("Cookie", cookie)],
                "",
            );
            assert_eq!(response.status, 200, "document {doc} on port {port}");
            assert_eq!(&sha256_hex(&response.body), sha);
        }
    }

    // Forgotten on host A: gone for host B too, and from the database.
    let person: Vec<(i64, String)> = sqlx::query_as(
        "SELECT d.id, d.sha256 FROM documents d JOIN applications a ON a.id = d.application_id
         JOIN candidates c ON c.id = a.candidate_id WHERE c.email = 'candidat7@example.com'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(person.len(), 2);
    env.run(&["forget", "candidat7@example.com"]);
    assert_eq!(chunks_holding(&env, &db, b"Nom00007").await, 0);
    for (doc, sha) in &person {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM blobs WHERE sha256 = $1")
            .bind(sha)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(n, 0);
        let response = request(
            port_b,
            "GET",
            &format!("/documents/{doc}"),
            &[("Cookie", &cookies[1])],
            "",
        );
        assert_eq!(response.status, 404);
        assert!(document(env.command_for(&host_b), sha, env.dir.path()).is_none());
    }
    drop(servers);
}

/// Spawns `storage migrate --to <to>` and SIGKILLs it once `progress` says it is a third of the
/// way through `total`; says where it was when killed.
async fn kill_migration_midway(
    env: &TestEnv,
    to: &str,
    total: usize,
    mut progress: impl AsyncFnMut() -> usize,
) -> usize {
    let mut child = env
        .command()
        .args(["storage", "migrate", "--to", to])
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while progress().await < total / 3 {
        assert!(
            Instant::now() < deadline,
            "the migration to {to} made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the migration to {to} ended before the kill"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // A COMMIT sent just before the kill still reaches PostgreSQL: counted once it has.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at = progress().await;
    assert!(
        at < total,
        "the migration to {to} was killed after its copy ({at}/{total})"
    );
    at
}

/// A daemon, and any command that reads documents, refuses to work beside a half-done move.
fn assert_refused_while_half_done(env: &TestEnv, to: &str) {
    for args in [&["run", "--once"][..], &["export", "--format", "json"]] {
        let out = env.command().args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "{args:?} ran beside a half-done migration"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("a move of the documents to {to} is half done"))
                && stderr.contains(&format!("applymail storage migrate --to {to}")),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn a_migration_to_the_database_and_back_round_trips_every_byte_through_sigkills() {
    const APPLICATIONS: usize = 300;
    let env = TestEnv::new();
    synth::fill_maildir(&env.path("Maildir"), APPLICATIONS, 100_000);
    env.run(&["run", "--once"]);
    let documents = env.path("documents");
    let originals: HashMap<String, Vec<u8>> = files_under(&documents)
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    let total = originals.len();
    assert_eq!(total, 2 * APPLICATIONS);

    // Files to the database, killed a third of the way.
    let db = env.db().await;
    let db_ref = &db;
    let copied = kill_migration_midway(&env, "database", total, async || {
        count(db_ref, "SELECT count(*) FROM blobs").await as usize
    })
    .await;
    assert!(copied > 0);
    assert_refused_while_half_done(&env, "database");
    let resumed = env.run(&["storage", "migrate", "--to", "database"]);
    let said = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        said.contains(&format!("moved {} document(s)", total - copied)),
        "the rest only: {said}"
    );
    assert!(files_under(&documents).is_empty(), "the files are gone");
    assert_eq!(
        count(&db, "SELECT count(*) FROM blobs").await as usize,
        total
    );
    // The config still says files: refused, by name.
    let out = env
        .command()
        .args(["export", "--format", "json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("set storage.kind = \"database\""));
    env.set_storage_kind("database");
    for application in env.export().iter().step_by(37) {
        for doc in application["documents"].as_array().unwrap() {
            let sha = doc["sha256"].as_str().unwrap();
            assert_eq!(
                document(env.command(), sha, env.dir.path()).as_ref(),
                originals.get(sha)
            );
        }
    }

    // And back to files, killed a third of the way.
    let documents_ref = &documents;
    kill_migration_midway(&env, "files", total, async || {
        files_under(documents_ref)
            .iter()
            .filter(|p| !p.file_name().unwrap().to_str().unwrap().starts_with('.'))
            .count()
    })
    .await;
    assert_refused_while_half_done(&env, "files");
    env.run(&["storage", "migrate", "--to", "files"]);
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM blob_chunks").await, 0);
    env.set_storage_kind("files");
    // Byte for byte, and nothing else (a temporary the kill left is gone).
    let back: HashMap<String, Vec<u8>> = files_under(&documents)
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    assert_eq!(back.len(), originals.len());
    assert!(
        back == originals,
        "every document round-tripped byte for byte"
    );
    crate::helpers::assert_documents_intact(&env.export(), 2);
    env.run(&["run", "--once"]);
}

#[tokio::test]
async fn a_move_from_two_hosts_folders_stops_on_what_one_lacks_and_ends_from_the_other() {
    let env = TestEnv::new();
    synth::fill_maildir(&env.path("Maildir"), 10, 20_000);
    env.run(&["run", "--once"]);
    // Host B filed half of them (after a takeover): their files are in its folder only.
    let (folder_a, folder_b) = (env.path("documents"), env.path("host-b/documents"));
    let files = files_under(&folder_a);
    assert_eq!(files.len(), 20);
    for path in &files[..10] {
        let moved = folder_b.join(path.strip_prefix(&folder_a).unwrap());
        std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
        std::fs::rename(path, &moved).unwrap();
    }
    let host_b = env.path("host-b.toml");
    let text = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &host_b,
        text.replace(
            &folder_a.display().to_string(),
            &folder_b.display().to_string(),
        ),
    )
    .unwrap();
    let migrate = |config: &Path| {
        env.command_for(config)
            .args(["storage", "migrate", "--to", "database"])
            .output()
            .unwrap()
    };
    let db = env.db().await;

    // Not while a daemon works on the mailbox: it would file into the old place.
    let (mut daemon, log) = env.logged_daemon("info");
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("watching Maildir")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = migrate(&env.config);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("an applymail daemon is running on this mailbox"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.0.id().to_string()])
        .status();
    assert!(daemon.0.wait().unwrap().success());
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 0);

    // Host A alone cannot finish: it says what is missing, switches nothing, and can be undone.
    let out = migrate(&env.config);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("10 document(s) named in the database are not in")
            && stderr.contains("run this same command on the host"),
        "{stderr}"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 10);
    assert_refused_while_half_done(&env, "database");
    let undo = env.run(&["storage", "migrate", "--to", "files"]);
    assert!(String::from_utf8_lossy(&undo.stdout).contains("undone"));
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 0);
    assert_eq!(
        files_under(&folder_a).len(),
        10,
        "the undo kept host A's files"
    );
    env.run(&["export"]);

    // Host A, then host B, then host A again for its leftover copies.
    assert!(!migrate(&env.config).status.success());
    let out = migrate(&host_b);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("moved 10 document(s)"));
    assert!(files_under(&folder_b).is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM blobs").await, 20);
    let out = migrate(&env.config);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("10 copies left in this host's folder were deleted")
    );
    assert!(files_under(&folder_a).is_empty());
    env.set_storage_kind("database");
    for doc in env
        .export()
        .iter()
        .flat_map(|a| a["documents"].as_array().unwrap().clone())
    {
        let sha = doc["sha256"].as_str().unwrap();
        let bytes = document(env.command(), sha, env.dir.path()).expect("document");
        assert_eq!(sha256_hex(&bytes), sha);
    }
}
