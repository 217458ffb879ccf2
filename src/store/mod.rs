//! The database: SQLite through sqlx, migrations embedded in the binary.
//!
//! [`record`] holds the writes of the ingestion pipeline, each one transaction; [`queries`]
//! the recruiters' reads; [`status`] the status changes. SQL text uses `$N` placeholders and
//! portable constructs (`ON CONFLICT`, `RETURNING`) so that a PostgreSQL backend can share it.

pub mod cursor;
pub mod queries;
pub mod record;
pub mod status;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::config::DatabaseUrl;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("database {url}: {problem}")]
    Unsupported { url: String, problem: String },
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

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) and migrates the database. Migrations are idempotent, so
    /// this is safe at every start.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        if !url.is_sqlite() {
            return Err(StoreError::Unsupported {
                url: url.redacted(),
                problem: "only sqlite: URLs are supported by this build".into(),
            });
        }
        let options = SqliteConnectOptions::from_str(url.expose())
            .map_err(|source| StoreError::Open {
                url: url.redacted(),
                source,
            })?
            .create_if_missing(true)
            .foreign_keys(true)
            // WAL lets `list` and `export` read while the daemon writes. NORMAL is durable
            // across a process crash (the WAL is in the OS cache); a power cut may lose the
            // last transactions, together with the cursor they advanced, so nothing is
            // acknowledged to the server that the database has forgotten.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
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
        MIGRATIONS.run(&pool).await?;
        Ok(Store { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
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
