//! The database: SQLite (the embedded default) or PostgreSQL, chosen by the URL, through
//! sqlx, with each backend's migrations embedded in the binary.
//!
//! [`record`] holds the writes of the ingestion pipeline, each one transaction; [`queries`]
//! the recruiters' reads; [`search`] the full-text search (`textindex` the background
//! indexer's reads and writes); [`status`] the status changes; [`notes`] the recruiters' notes
//! and ratings; [`duplicates`] the likely duplicates and the choices about them; [`cursor`]
//! the IMAP cursors; [`blobs`] the documents kept in the database (`[storage] kind =
//! "database"`) and where the documents are; [`templates`] the reply templates; [`answers`] the answers to candidates
//! (jobs, one row per application, sent at most once); [`audit`] the admins' audit trail;
//! [`daemon_health`] what the daemon says of itself for the admin's health page. The SQL
//! is written once, with `$N` placeholders and portable constructs (`ON CONFLICT`,
//! `RETURNING`), and [`dispatch!`] runs the same code against either concrete pool: sqlx's
//! `Any` driver cannot carry timestamps or booleans, and code generic over
//! `sqlx::Database` drowns in trait bounds.

pub mod accounts;
pub mod acknowledgement;
pub mod answers;
pub mod attempts;
pub mod audit;
pub mod blobs;
pub mod bounces;
pub mod browse;
pub mod cursor;
pub mod daemon_health;
pub mod duplicates;
pub mod erase;
pub mod lease;
pub mod ledger;
pub mod notes;
pub mod queries;
pub mod record;
pub mod search;
#[cfg(test)]
mod search_tests;
mod secrets;
mod sql;
pub mod statistics;
pub mod status;
pub mod templates;
#[cfg(test)]
mod tests;
pub(crate) mod textindex;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseUrl;
use crate::domain::identity::Legacy;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// One value per backend: a pool, a transaction, a connection. Code written once runs on
/// either through [`dispatch!`], which expands its body for each concrete type: sqlx's `Any`
/// driver cannot carry timestamps or booleans, and code generic over `sqlx::Database` drowns
/// in trait bounds.
#[derive(Debug)]
pub(crate) enum Backend<S, P> {
    Sqlite(S),
    Postgres(P),
}

pub(crate) type Pool = Backend<SqlitePool, PgPool>;
/// A transaction that writes, on either backend (see [`BeginWrite`]).
pub(crate) type Tx =
    Backend<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Transaction<'static, sqlx::Postgres>>;

impl Clone for Pool {
    fn clone(&self) -> Self {
        match self {
            Backend::Sqlite(pool) => Backend::Sqlite(pool.clone()),
            Backend::Postgres(pool) => Backend::Postgres(pool.clone()),
        }
    }
}

/// Runs the same code with `$binding` bound to whichever concrete value a [`Backend`] holds.
/// The one macro of the store: everything else is plain functions.
macro_rules! dispatch {
    ($value:expr, $binding:ident => $body:expr) => {
        match $value {
            $crate::store::Backend::Sqlite($binding) => $body,
            $crate::store::Backend::Postgres($binding) => $body,
        }
    };
}
pub(crate) use dispatch;

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        dispatch!(self, tx => tx.commit().await)
    }
}

impl Pool {
    /// A transaction that writes (see [`BeginWrite::begin_write`]).
    pub(crate) async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Backend::Sqlite(pool) => Backend::Sqlite(pool.begin_write().await?),
            Backend::Postgres(pool) => Backend::Postgres(pool.begin_write().await?),
        })
    }

    /// A transaction that only reads, for a few statements that must see one state.
    pub(crate) async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Backend::Sqlite(pool) => Backend::Sqlite(pool.begin().await?),
            Backend::Postgres(pool) => Backend::Postgres(pool.begin().await?),
        })
    }

    /// A transaction that decides whether rows name a document file (see
    /// [`BeginWrite::begin_naming_blobs`]).
    pub(crate) async fn begin_naming_blobs(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Backend::Sqlite(pool) => Backend::Sqlite(pool.begin_naming_blobs().await?),
            Backend::Postgres(pool) => Backend::Postgres(pool.begin_naming_blobs().await?),
        })
    }
}

/// Opening a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a transaction that reads first and writes later fails with
/// `SQLITE_BUSY_SNAPSHOT`, without waiting, when another connection committed in between,
/// and the daemon writes from several tasks (recording, cursors, acknowledgements).
///
/// [`BeginWrite::begin_naming_blobs`] opens one that decides whether rows name a document file:
/// recording a group (whose files must still exist when it commits) and deleting files
/// nothing names (which must not delete one a group is about to name). Such transactions
/// never overlap: on SQLite every write transaction holds the one write lock; on PostgreSQL
/// they take the same transaction-scoped advisory lock.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
    async fn begin_naming_blobs(&self)
    -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

/// The PostgreSQL advisory lock of [`BeginWrite::begin_naming_blobs`] ("applymail blobs").
const BLOB_NAMES_LOCK: i64 = 0x6170_706c_626c_6f62;

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }

    async fn begin_naming_blobs(
        &self,
    ) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error> {
        self.begin_write().await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error> {
        self.begin().await
    }

    async fn begin_naming_blobs(
        &self,
    ) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(BLOB_NAMES_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("cannot secure the database file {path}: {source}")]
    Permissions {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// What a daemon locks so that only one instance works on this database's mailbox.
    lease: lease::LeaseTarget,
    /// Whether messages recorded under the SHA-256 identity remain (migration 0006).
    legacy: Legacy,
    /// The key of erased messages' tombstones ([`crate::domain::identity::tombstone`]).
    tombstone_key: [u8; 32],
    /// The web app's key for keyed hashes (see `accounts`).
    web_key: [u8; 32],
}

/// Never the connection options: PostgreSQL's print the password.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field(
                "backend",
                &if self.is_postgres() {
                    "Postgres"
                } else {
                    "Sqlite"
                },
            )
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database. Migrations are idempotent, so
    /// this is safe at every start.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let (pool, lease) = if url.is_sqlite() {
            let (pool, path) = open_sqlite(url).await?;
            (Backend::Sqlite(pool), lease::LeaseTarget::SqliteFile(path))
        } else {
            let (pool, options) = open_postgres(url).await?;
            (
                Backend::Postgres(pool),
                lease::LeaseTarget::Postgres(Box::new(options)),
            )
        };
        let (old,): (i64,) = dispatch!(&pool, pool => {
            sqlx::query_as(
                "SELECT count(*) FROM (SELECT 1 FROM messages WHERE raw_digest LIKE 'sha256:%' LIMIT 1) AS old",
            )
            .fetch_one(pool)
            .await?
        });
        let tombstone_key = secrets::installation_key(&pool, secrets::TOMBSTONE_KEY).await?;
        let web_key = secrets::installation_key(&pool, secrets::WEB_KEY).await?;
        let store = Store {
            pool,
            lease,
            legacy: if old > 0 { Legacy::Also } else { Legacy::None },
            tombstone_key,
            web_key,
        };
        store.ensure_reply_templates().await?;
        Ok(store)
    }

    /// Whether the database still holds messages recorded under the identity of before
    /// migration 0006 (see [`crate::domain::identity`]). It stays so until the retention
    /// purge has erased the last of them and the daemon restarts.
    pub fn legacy_identities(&self) -> Legacy {
        self.legacy
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Backend::Postgres(_))
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        dispatch!(&self.pool, pool => pool.close().await);
    }
}

/// Each SQLite connection's page cache, in KiB.
const SQLITE_CACHE_KIB: u32 = 256;
/// Rows sqlx's SQLite thread may hand over before it waits for them to be read. A group's
/// statements return up to a row per message or document, more than sqlx's default of 50;
/// past the bound the thread slept until the reader took a row, then filled the gap and slept
/// again (472 of its 1,872 sleeps in a 2,000-message backfill). The bound holds no memory back
/// here: every query reads its whole result (`fetch_all`, `fetch_optional`).
const SQLITE_ROW_BUFFER: usize = 1024;

async fn open_sqlite(url: &DatabaseUrl) -> Result<(SqlitePool, PathBuf), StoreError> {
    let options = SqliteConnectOptions::from_str(url.expose())
        .map_err(|source| StoreError::Open {
            url: url.redacted(),
            source,
        })?
        .create_if_missing(true)
        .foreign_keys(true)
        // WAL lets `list` and `export` read while the daemon writes. FULL syncs the WAL at
        // every commit: what is committed has to survive a power cut, because the server
        // is told about it next (a message moved out of the folder, an acknowledgement
        // sent) and would not be read again. NORMAL would be durable across a process
        // crash only. The daemon commits once per group of messages, so this is one sync
        // per group.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        // SQLite's default page cache is 2 MB per connection, so a daemon's memory grew with
        // its database until each of the pool's connections held that much (1.4 MB in all
        // after 2,000 messages, 3.2 MB after 20,000). A fixed smaller cache keeps it flat;
        // the pages stay in the kernel's page cache, a read away.
        .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        // What is deleted is overwritten, not left in free pages: an erased CV's bytes (with
        // `[storage] kind = "database"`), its text and its words in the search index (whose
        // own 'secure-delete' removes them from the index at once, migration 0010) must not
        // stay readable in the file. Every connection: a document moved back to files, a
        // requeued raw message, an erasure, all delete through the pool.
        .pragma("secure_delete", "ON")
        .row_buffer_size(SQLITE_ROW_BUFFER);
    let path = options.get_filename().to_owned();
    if let Some(parent) = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
    {
        // A folder applymail creates for the database is its own: owner-only.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| StoreError::Permissions {
                path: parent.to_owned(),
                source,
            })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            url: url.redacted(),
            source,
        })?;
    secure_files(&path)?;
    SQLITE_MIGRATIONS.run(&pool).await?;
    Ok((pool, path))
}

async fn open_postgres(url: &DatabaseUrl) -> Result<(PgPool, PgConnectOptions), StoreError> {
    let options = PgConnectOptions::from_str(url.expose())
        .map_err(|source| StoreError::Open {
            url: url.redacted(),
            source,
        })?
        // The migrator's `CREATE TABLE IF NOT EXISTS _sqlx_migrations` draws a NOTICE on every
        // start, which sqlx logs at INFO: a recruiter running `list` must see only the list.
        .options([("client_min_messages", "warning")]);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .map_err(|source| StoreError::Open {
            url: url.redacted(),
            source,
        })?;
    // sqlx takes an advisory lock while migrating, so two instances starting together
    // migrate once.
    POSTGRES_MIGRATIONS.run(&pool).await?;
    Ok((pool, options))
}

/// Candidates' data: the database and its journal files are readable by applymail's user only.
fn secure_files(db: &Path) -> Result<(), StoreError> {
    if db.as_os_str().is_empty() || db == Path::new(":memory:") {
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|source| StoreError::Permissions { path, source })?;
        }
    }
    Ok(())
}
