//! Values that must never reach a log line or `Debug` output.

use std::fmt;
use std::path::PathBuf;

/// Where a secret comes from. The secret itself is read only when it is needed, so it never
/// sits in the settings tree.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The name of an environment variable.
    Env(String),
    /// A file whose first line is the secret.
    File(PathBuf),
    /// A shell command that prints the secret.
    Command(String),
}

impl fmt::Debug for SecretSource {
    // A variable's name and a file's path are not secret, and an admin needs them to debug.
    // A command may be `echo hunter2`: it is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "Env({name:?})"),
            SecretSource::File(path) => write!(f, "File({path:?})"),
            SecretSource::Command(_) => f.write_str("Command([redacted])"),
        }
    }
}

/// A database URL, which may carry a password (`postgres://user:secret@host/db`).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: String) -> Self {
        DatabaseUrl(url)
    }

    /// The URL with its password, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The URL with any password replaced, fit for logs and error messages.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return self.0.clone();
        };
        match rest.split_once('@') {
            Some((userinfo, host)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:[redacted]@{host}")
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_password_never_shows() {
        let url = DatabaseUrl::new("postgres://app:hunter2-xyz@db.example/applymail".into());
        assert!(!format!("{url:?}").contains("hunter2-xyz"));
        assert!(!url.to_string().contains("hunter2-xyz"));
        assert_eq!(
            url.redacted(),
            "postgres://app:[redacted]@db.example/applymail"
        );
        assert_eq!(
            url.expose(),
            "postgres://app:hunter2-xyz@db.example/applymail"
        );
    }

    #[test]
    fn secret_commands_never_show() {
        let source = SecretSource::Command("echo hunter2-xyz".into());
        assert_eq!(format!("{source:?}"), "Command([redacted])");
        assert_eq!(
            format!("{:?}", SecretSource::Env("APPLYMAIL_PASSWORD".into())),
            "Env(\"APPLYMAIL_PASSWORD\")"
        );
    }

    #[test]
    fn sqlite_urls_are_kept_whole() {
        let url = DatabaseUrl::new("sqlite://data/applymail.db".into());
        assert_eq!(url.redacted(), "sqlite://data/applymail.db");
        assert!(url.is_sqlite());
    }
}
