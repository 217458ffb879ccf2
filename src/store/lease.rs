//! One active daemon per mailbox and database.
//!
//! On PostgreSQL, several instances may run: the active one holds a session-level advisory
//! lock on a connection of its own, and the others wait as standbys. When the active instance
//! dies, its connection closes, PostgreSQL releases the lock, and a standby takes it within
//! [`STANDBY_RETRY`]. On SQLite (one machine, one file) a second daemon refuses to start.
//!
//! The lease only keeps instances from doing the same work twice; correctness does not rest
//! on it: the ledger's unique key still refuses to record a message twice.

use std::fs::File;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use tracing::{info, warn};

use super::{Store, StoreError};
use crate::shutdown::Shutdown;

/// How often a standby tries to take the lease: the bound on a takeover, plus the time to
/// connect to the mailbox.
pub const STANDBY_RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub(crate) enum LeaseTarget {
    SqliteFile(PathBuf),
    Postgres(Box<PgConnectOptions>),
}

impl std::fmt::Debug for LeaseTarget {
    // `PgConnectOptions`'s own `Debug` prints the password: only where it connects is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaseTarget::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            LeaseTarget::Postgres(options) => f
                .debug_struct("Postgres")
                .field("host", &options.get_host())
                .field("port", &options.get_port())
                .field("username", &options.get_username())
                .field("database", &options.get_database())
                .finish_non_exhaustive(),
        }
    }
}

/// The right to work on the mailbox, held until dropped.
#[derive(Debug)]
pub enum Lease {
    /// An exclusive lock on `<database>.lock`, released by the OS when the process ends.
    SqliteFile(File),
    /// An advisory lock held by this dedicated connection.
    Postgres { connection: PgConnection, key: i64 },
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(
        "another applymail daemon is already running on {0} (only one may run on a SQLite database; use PostgreSQL for a standby)"
    )]
    Taken(PathBuf),
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the lease connection to PostgreSQL was lost: {0}")]
    Lost(sqlx::Error),
}

/// The advisory lock key for a mailbox: stable across instances and versions.
fn lock_key(mailbox: &str) -> i64 {
    let digest = Sha256::digest(format!("applymail mailbox lease: {mailbox}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl Store {
    /// Takes the lease for `mailbox` (an identity such as `imap://user@host/INBOX`), waiting
    /// as a standby while another instance holds it. `None` when shutdown came first.
    pub async fn acquire_lease(
        &self,
        mailbox: &str,
        shutdown: &Shutdown,
    ) -> Result<Option<Lease>, LeaseError> {
        match &self.lease {
            LeaseTarget::SqliteFile(db) => {
                let mut name = db.as_os_str().to_owned();
                name.push(".lock");
                let path = PathBuf::from(name);
                let file = File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|source| LeaseError::Lock {
                        path: path.clone(),
                        source,
                    })?;
                match file.try_lock() {
                    Ok(()) => Ok(Some(Lease::SqliteFile(file))),
                    Err(std::fs::TryLockError::WouldBlock) => Err(LeaseError::Taken(db.clone())),
                    Err(std::fs::TryLockError::Error(source)) => {
                        Err(LeaseError::Lock { path, source })
                    }
                }
            }
            LeaseTarget::Postgres(options) => {
                let key = lock_key(mailbox);
                let mut waited = false;
                loop {
                    let attempt = async {
                        let mut connection = options.connect().await?;
                        let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                            .bind(key)
                            .fetch_one(&mut connection)
                            .await?;
                        Ok::<_, sqlx::Error>(taken.then_some(connection))
                    };
                    match attempt.await {
                        Ok(Some(connection)) => {
                            if waited {
                                info!(
                                    mailbox,
                                    "took over the mailbox lease: this instance is now active"
                                );
                            } else {
                                info!(
                                    mailbox,
                                    "holding the mailbox lease: this instance is active"
                                );
                            }
                            return Ok(Some(Lease::Postgres { connection, key }));
                        }
                        Ok(None) if !waited => {
                            info!(mailbox, retry_every = ?STANDBY_RETRY, "standby: another instance holds the mailbox lease");
                            waited = true;
                        }
                        Ok(None) => {}
                        Err(err) => {
                            warn!(error = %err, "cannot reach PostgreSQL for the mailbox lease; retrying")
                        }
                    }
                    if shutdown.sleep(STANDBY_RETRY).await {
                        return Ok(None);
                    }
                }
            }
        }
    }
}

impl Lease {
    /// Whether the lease is still held: on PostgreSQL, whether its connection is alive (the
    /// lock goes with it).
    pub async fn check(&mut self) -> Result<(), LeaseError> {
        match self {
            Lease::SqliteFile(_) => Ok(()),
            Lease::Postgres { connection, .. } => connection.ping().await.map_err(LeaseError::Lost),
        }
    }

    /// Gives the lease back at once (a standby need not wait for the connection to time out).
    pub async fn release(self) {
        if let Lease::Postgres {
            mut connection,
            key,
        } = self
        {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut connection)
                .await;
            let _ = connection.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(lock_key("imap://a@h/INBOX"), lock_key("imap://a@h/INBOX"));
        assert_ne!(lock_key("imap://a@h/INBOX"), lock_key("imap://b@h/INBOX"));
    }
}
