//! The harness: a fresh directory per test, with a config that points every path into it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sqlx::AnyPool;

pub const ORG_CONFIG: &str = r#"
[organisation]
addresses = ["contact@ong-exemple.org"]
domains = ["ong-exemple.org"]

[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice du Partenariat au Maroc"
subject = "Coordination Maroc"

[[postings]]
id = "chef-projet-senegal"
title = "Chef·fe de projet au Sénégal"
subject = "Chef de projet Sénégal"
"#;

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    database: TestDatabase,
}

/// Which database a test asks for: the run's default, or one backend whatever the run uses
/// (for what only one backend does).
#[derive(Debug, Clone, Copy)]
enum Backend {
    Default,
    Sqlite,
    Postgres,
}

/// The database a test runs on: a SQLite file in its directory, or, when
/// `APPLYMAIL_TEST_POSTGRES` names a server (`postgres://postgres@127.0.0.1:5432`), a
/// PostgreSQL database of its own, created for the test and dropped after it.
enum TestDatabase {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

impl TestDatabase {
    fn create(dir: &Path, backend: Backend) -> TestDatabase {
        let server = match (backend, std::env::var("APPLYMAIL_TEST_POSTGRES")) {
            (Backend::Sqlite, _) | (Backend::Default, Err(_)) => {
                return TestDatabase::Sqlite(dir.join("applymail.db"));
            }
            (_, Ok(server)) => server,
            // The machine's PostgreSQL (TESTING.md), for the tests that need PostgreSQL itself.
            (Backend::Postgres, Err(_)) => "postgres://postgres@127.0.0.1:5432".to_owned(),
        };
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!(
            "applymail_test_{}_{n}_{:x}",
            std::process::id(),
            rand::random::<u32>()
        );
        admin(&server, &format!("CREATE DATABASE {name}"));
        TestDatabase::Postgres { server, name }
    }

    fn url(&self) -> String {
        match self {
            TestDatabase::Sqlite(path) => format!("sqlite://{}", path.display()),
            TestDatabase::Postgres { server, name } => {
                format!("{}/{name}", server.trim_end_matches('/'))
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server, name } = self {
            admin(
                server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Runs one statement on the server's `postgres` database, from a thread of its own so that
/// it works inside and outside async tests.
fn admin(server: &str, statement: &str) {
    let url = format!("{}/postgres", server.trim_end_matches('/'));
    let statement = statement.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("PostgreSQL (APPLYMAIL_TEST_POSTGRES) is reachable");
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect("admin statement");
        });
    })
    .join()
    .unwrap();
}

impl TestEnv {
    pub fn new() -> TestEnv {
        Self::with_extra("")
    }

    /// A test directory with a Maildir mailbox (`Maildir/`, sent in `Maildir/.Sent`).
    pub fn with_extra(extra: &str) -> TestEnv {
        Self::build(None, extra, Backend::Default)
    }

    /// A test directory whose mailbox is the given `[mailbox]` section (IMAP).
    pub fn with_mailbox(mailbox: &str) -> TestEnv {
        Self::build(Some(mailbox), "", Backend::Default)
    }

    /// The same, always on PostgreSQL (several instances on one database).
    pub fn with_mailbox_on_postgres(mailbox: &str) -> TestEnv {
        Self::build(Some(mailbox), "", Backend::Postgres)
    }

    /// A Maildir test directory always on SQLite (what only SQLite does).
    pub fn on_sqlite() -> TestEnv {
        Self::build(None, "", Backend::Sqlite)
    }

    /// A Maildir test directory always on PostgreSQL (what only PostgreSQL does).
    pub fn on_postgres() -> TestEnv {
        Self::build(None, "", Backend::Postgres)
    }

    fn build(mailbox: Option<&str>, extra: &str, backend: Backend) -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for sub in [
            "Maildir/cur",
            "Maildir/new",
            "Maildir/tmp",
            "Maildir/.Sent/cur",
            "Maildir/.Sent/new",
            "Maildir/.Sent/tmp",
        ] {
            std::fs::create_dir_all(root.join(sub)).expect("maildir");
        }
        let maildir = format!(
            "[mailbox]\nkind = \"maildir\"\npath = \"{}\"\npoll_interval = \"1s\"\n",
            root.join("Maildir").display()
        );
        let config = root.join("applymail.toml");
        let database = TestDatabase::create(root, backend);
        let text = format!(
            "{mailbox}\n[database]\nurl = \"{db}\"\n\n[storage]\ndir = \"{docs}\"\n{ORG_CONFIG}\n{extra}",
            mailbox = mailbox.map(str::to_owned).unwrap_or(maildir),
            db = database.url(),
            docs = root.join("documents").display(),
        );
        std::fs::write(&config, text).expect("config");
        TestEnv {
            dir,
            config,
            database,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `applymail run`, logging at `filter` (`RUST_LOG`) into `daemon.log`, whose path comes
    /// back with it.
    pub fn logged_daemon(&self, filter: &str) -> (Daemon, std::path::PathBuf) {
        let log = self.path("daemon.log");
        let daemon = self
            .command()
            .arg("run")
            .env("RUST_LOG", filter)
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .map(Daemon)
            .unwrap();
        (daemon, log)
    }

    /// `applymail run`, its log thrown away.
    pub fn daemon(&self) -> Daemon {
        self.command()
            .arg("run")
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(Daemon)
            .unwrap()
    }

    pub fn command(&self) -> Command {
        self.command_for(&self.config)
    }

    /// `applymail --config <config>`: another instance's configuration (another "host").
    pub fn command_for(&self, config: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_applymail"));
        cmd.arg("--config").arg(config);
        // Overrides from the developer's shell must not leak into a test.
        for (key, _) in std::env::vars() {
            if key.starts_with("APPLYMAIL_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("RUST_LOG", "warn");
        cmd.env("APPLYMAIL_TEST_IMAP_PASSWORD", crate::dovecot::PASSWORD);
        cmd.env("APPLYMAIL_TEST_SMTP_PASSWORD", crate::smtp::SMTP_PASSWORD);
        cmd
    }

    /// The SQLite database's file and its write-ahead log, as bytes: what an erasure must leave
    /// nothing of.
    pub fn sqlite_file_bytes(&self) -> Vec<u8> {
        ["", "-wal"]
            .iter()
            .flat_map(|suffix| {
                std::fs::read(self.path(&format!("applymail.db{suffix}"))).unwrap_or_default()
            })
            .collect()
    }

    /// Sets `[storage] kind` (`files`, `database`) in the configuration.
    pub fn set_storage_kind(&self, kind: &str) {
        let text = std::fs::read_to_string(&self.config).expect("config");
        let mut lines: Vec<String> = text
            .lines()
            .filter(|line| {
                !line.starts_with("kind = \"files\"") && !line.starts_with("kind = \"database\"")
            })
            .map(str::to_owned)
            .collect();
        let at = lines
            .iter()
            .position(|l| l == "[storage]")
            .expect("[storage]");
        lines.insert(at + 1, format!("kind = \"{kind}\""));
        std::fs::write(&self.config, lines.join("\n") + "\n").expect("config");
    }

    /// Runs applymail and insists that it succeeds.
    pub fn run(&self, args: &[&str]) -> Output {
        let output = self.command().args(args).output().expect("applymail runs");
        assert!(
            output.status.success(),
            "applymail {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    pub fn export(&self) -> Vec<Value> {
        let output = self.run(&["export", "--format", "json"]);
        serde_json::from_slice(&output.stdout).expect("export is JSON")
    }

    /// The exported applications' addresses, sorted.
    pub fn exported_emails(&self) -> Vec<String> {
        let mut emails: Vec<String> = self
            .export()
            .iter()
            .map(|a| a["email"].as_str().unwrap().to_owned())
            .collect();
        emails.sort();
        emails
    }

    /// The test database's URL, as the config names it.
    pub fn database_url(&self) -> String {
        self.database.url()
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self.database, TestDatabase::Sqlite(_))
    }

    /// The test's database, for checks (read-only on SQLite).
    pub async fn db(&self) -> AnyPool {
        self.try_db().await.expect("database")
    }

    /// The test's database opened for writing, to set up what a crash would leave.
    pub async fn db_for_writing(&self) -> AnyPool {
        self.connect(false).await.expect("database")
    }

    pub async fn try_db(&self) -> Option<AnyPool> {
        self.connect(true).await
    }

    /// `None` while the database does not exist yet, or cannot be reached.
    async fn connect(&self, read_only: bool) -> Option<AnyPool> {
        sqlx::any::install_default_drivers();
        let url = match &self.database {
            TestDatabase::Sqlite(path) if !path.exists() => return None,
            TestDatabase::Sqlite(path) if read_only => {
                format!("sqlite://{}?mode=ro", path.display())
            }
            TestDatabase::Sqlite(path) => format!("sqlite://{}", path.display()),
            postgres => postgres.url(),
        };
        sqlx::pool::PoolOptions::new()
            .max_connections(2)
            .connect(&url)
            .await
            .ok()
    }

    /// `SELECT count(*) …` on the test's database, 0 while it does not exist yet (a daemon
    /// that is still starting).
    pub async fn count(&self, sql: &'static str) -> i64 {
        let Some(pool) = self.try_db().await else {
            return 0;
        };
        let n = sqlx::query_as::<_, (i64,)>(sql)
            .fetch_one(&pool)
            .await
            .map(|(n,)| n)
            .unwrap_or(0);
        pool.close().await;
        n
    }

    /// Drops a message into the Maildir, as a delivery agent would (tmp/, then new/).
    pub fn deliver(&self, folder: &str, name: &str, raw: &[u8]) {
        let base = self.path(folder);
        let tmp = base.join("tmp").join(name);
        std::fs::write(&tmp, raw).expect("write tmp");
        std::fs::rename(&tmp, base.join("new").join(name)).expect("deliver");
    }
}

/// Row counts of every table, and the ledger itself: what must not change when nothing new
/// arrives.
pub async fn snapshot(pool: &AnyPool) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "candidates",
        "applications",
        "messages",
        "application_messages",
        "documents",
        "status_history",
        "mail_seen",
    ] {
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(pool)
                .await
                .expect("count");
        out.push(format!("{table}: {n}"));
    }
    let rows: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT mailbox, location, outcome, application_id FROM mail_seen ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .expect("ledger");
    out.extend(rows.into_iter().map(|r| format!("{r:?}")));
    out
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

pub fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A running applymail process that is killed if the test ends without stopping it (a failed
/// assertion must not leave a daemon behind).
pub struct Daemon(pub std::process::Child);

impl std::ops::Deref for Daemon {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Every application has `per_application` documents, each on disk with the bytes its hash
/// names.
pub fn assert_documents_intact(export: &[Value], per_application: usize) {
    for application in export {
        let documents = application["documents"].as_array().unwrap();
        assert_eq!(documents.len(), per_application, "{application}");
        for doc in documents {
            let bytes = std::fs::read(doc["path"].as_str().unwrap()).expect("document on disk");
            assert_eq!(
                applymail::blobs::sha256_hex(&bytes),
                doc["sha256"].as_str().unwrap(),
                "document intact"
            );
        }
    }
}

/// Every file under a directory, recursively (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}
