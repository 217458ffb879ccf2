//! The web app's accounts, sessions and failed logins. Passwords arrive here hashed; session
//! tokens arrive as their SHA-256 (the cookie's value is never stored).

use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

use super::{BeginWrite, Store, StoreError, dispatch};
use crate::domain::account::Role;
use crate::domain::named::Named;

/// An account as the app and `user list` see it.
#[derive(Debug, Clone, FromRow)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The pages' language the account chose (`fr`, `en`); `None`: the browser's.
    pub language: Option<String>,
}

impl Account {
    pub fn role(&self) -> Role {
        // The CHECK constraint allows only known roles; anything else reads as the lesser one.
        self.role.parse().unwrap_or(Role::Recruiter)
    }
}

/// An account with its password hash, for the login only. No `Debug`: the hash stays out of
/// logs.
#[derive(Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with the address {0} exists already")]
    Exists(String),
    #[error("no account with the address {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        AccountError::Store(err.into())
    }
}

/// How long sessions live: `idle` since the last request, `absolute` since the login.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

#[derive(FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    account: Account,
    last_seen_at: DateTime<Utc>,
    logged_in_at: DateTime<Utc>,
}

/// How often a session's last use is written: not on every request.
const TOUCH_EVERY_SECONDS: i64 = 60;

const ACCOUNT_COLUMNS: &str = "id, email, name, role, disabled, created_at, language";

impl Store {
    pub async fn add_account(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<i64, AccountError> {
        let email = email.trim().to_lowercase();
        let inserted: Option<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("INSERT INTO web_users (email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING RETURNING id")
                .bind(&email)
                .bind(name.trim())
                .bind(role.as_str())
                .bind(password_hash)
                .bind(Utc::now())
                .fetch_optional(pool)
                .await?
        });
        inserted.map(|(id,)| id).ok_or(AccountError::Exists(email))
    }

    pub async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_users ORDER BY email");
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(pool).await?
        }))
    }

    pub async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM web_users WHERE id = $1");
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
        }))
    }

    pub async fn credentials(&self, email: &str) -> Result<Option<Credentials>, StoreError> {
        let email = email.trim().to_lowercase();
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT id, password_hash, disabled FROM web_users WHERE email = $1")
                .bind(&email)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Sets a new password; the account's sessions end (a reset after a theft must lock the
    /// thief out).
    pub async fn set_password(&self, email: &str, password_hash: &str) -> Result<(), AccountError> {
        self.update_account(email, "password_hash = $2", Some(password_hash))
            .await
    }

    /// Disables an account: it can no longer sign in, and its open sessions end now.
    pub async fn disable_account(&self, email: &str) -> Result<(), AccountError> {
        self.update_account(email, "disabled = TRUE", None).await
    }

    /// Changes an account's role. Its sessions stay open: the guard reads the role at every
    /// request, so a demoted admin loses the admin's pages at the next one.
    pub async fn set_role(&self, email: &str, role: Role) -> Result<(), AccountError> {
        let email = email.trim().to_lowercase();
        let updated: Option<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("UPDATE web_users SET role = $2 WHERE email = $1 RETURNING id")
                .bind(&email)
                .bind(role.as_str())
                .fetch_optional(pool)
                .await?
        });
        updated.map(|_| ()).ok_or(AccountError::NotFound(email))
    }

    /// The pages' language an account chose (`None`: the browser's). Sessions stay open.
    pub async fn set_language(&self, id: i64, language: Option<&str>) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query("UPDATE web_users SET language = $2 WHERE id = $1")
                .bind(id)
                .bind(language)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    async fn update_account(
        &self,
        email: &str,
        assignment: &str,
        value: Option<&str>,
    ) -> Result<(), AccountError> {
        let email = email.trim().to_lowercase();
        let update = format!("UPDATE web_users SET {assignment} WHERE email = $1 RETURNING id");
        let updated: Option<(i64,)> = dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(update.clone())).bind(&email);
            if let Some(value) = value {
                query = query.bind(value);
            }
            let row: Option<(i64,)> = query.fetch_optional(&mut *tx).await?;
            if let Some((id,)) = row {
                sqlx::query("DELETE FROM web_sessions WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            row
        });
        updated.map(|_| ()).ok_or(AccountError::NotFound(email))
    }

    pub async fn create_session(&self, user_id: i64, token_sha256: &str) -> Result<(), StoreError> {
        let now = Utc::now();
        dispatch!(&self.pool, pool => {
            sqlx::query("INSERT INTO web_sessions (token_sha256, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)")
                .bind(token_sha256)
                .bind(user_id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The account a session belongs to, if the session is live and the account enabled;
    /// marks the session used. Expired sessions are deleted on the way.
    pub async fn session_account(
        &self,
        token_sha256: &str,
        limits: SessionLimits,
    ) -> Result<Option<Account>, StoreError> {
        let now = Utc::now();
        let row: Option<SessionRow> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT u.id, u.email, u.name, u.role, u.disabled, u.created_at, u.language, s.last_seen_at, s.created_at AS logged_in_at
                 FROM web_sessions s JOIN web_users u ON u.id = s.user_id WHERE s.token_sha256 = $1",
            )
            .bind(token_sha256)
            .fetch_optional(pool)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        if row.account.disabled
            || now - row.last_seen_at > limits.idle
            || now - row.logged_in_at > limits.absolute
        {
            self.end_session(token_sha256).await?;
            return Ok(None);
        }
        if (now - row.last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
            dispatch!(&self.pool, pool => {
                sqlx::query("UPDATE web_sessions SET last_seen_at = $2 WHERE token_sha256 = $1")
                    .bind(token_sha256)
                    .bind(now)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(Some(row.account))
    }

    pub async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query("DELETE FROM web_sessions WHERE token_sha256 = $1")
                .bind(token_sha256)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// A keyed hash of what identifies a login attempt (an address typed, a client address):
    /// the throttle counts them without keeping what a stranger typed.
    pub fn login_subject(&self, kind: &str, value: &str) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.web_key);
        hasher.update(kind.as_bytes());
        hasher.update(b"\0");
        hasher.update(value.trim().to_lowercase().as_bytes());
        hasher.finalize().to_hex().to_string()
    }

    /// Records a failed login against each subject, and forgets failures older than a day.
    pub async fn record_login_failure(&self, subjects: &[String]) -> Result<(), StoreError> {
        let now = Utc::now();
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            for subject in subjects {
                sqlx::query("INSERT INTO web_login_failures (subject, failed_at) VALUES ($1, $2)")
                    .bind(subject)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM web_login_failures WHERE failed_at < $1")
                .bind(now - Duration::days(1))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Failed logins against a subject since a time.
    pub async fn login_failures_since(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT count(*) FROM web_login_failures WHERE subject = $1 AND failed_at >= $2")
                .bind(subject)
                .bind(since)
                .fetch_one(pool)
                .await?
        });
        Ok(n)
    }

    pub async fn clear_login_failures(&self, subject: &str) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            sqlx::query("DELETE FROM web_login_failures WHERE subject = $1")
                .bind(subject)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
