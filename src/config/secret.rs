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

/// A secret's value, read from its source. Never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    #[error("cannot read secret file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret command failed: {0}")]
    Command(String),
    #[error("the secret is empty")]
    Empty,
}

/// How long a `password_command` or `token_command` may take: a hung helper must not hang
/// the daemon.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl SecretSource {
    /// Reads the secret now: an environment variable, a file's first line, or a command's
    /// output (first line). Errors never include the secret.
    pub async fn resolve(&self) -> Result<Secret, SecretError> {
        let value = match self {
            SecretSource::Env(name) => {
                std::env::var(name).map_err(|_| SecretError::MissingEnv(name.clone()))?
            }
            SecretSource::File(path) => {
                tokio::fs::read_to_string(path)
                    .await
                    .map_err(|source| SecretError::File {
                        path: path.clone(),
                        source,
                    })?
            }
            SecretSource::Command(command) => {
                let run = tokio::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(command)
                    .stdin(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .kill_on_drop(true)
                    .output();
                let output = tokio::time::timeout(COMMAND_TIMEOUT, run)
                    .await
                    .map_err(|_| {
                        SecretError::Command(format!("timed out after {COMMAND_TIMEOUT:?}"))
                    })?
                    .map_err(|e| SecretError::Command(e.to_string()))?;
                if !output.status.success() {
                    return Err(SecretError::Command(format!(
                        "exited with {}",
                        output.status
                    )));
                }
                String::from_utf8(output.stdout)
                    .map_err(|_| SecretError::Command("printed invalid UTF-8".into()))?
            }
        };
        let first_line = value
            .lines()
            .next()
            .unwrap_or_default()
            .trim_end_matches('\r')
            .to_owned();
        if first_line.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret(first_line))
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

    #[tokio::test]
    async fn secrets_resolve_from_each_source_and_never_print() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file-xyz\nignored\n").unwrap();
        assert_eq!(
            SecretSource::File(file).resolve().await.unwrap().expose(),
            "from-file-xyz"
        );
        let cmd = SecretSource::Command("printf 'from-command-xyz\\n'".into());
        let secret = cmd.resolve().await.unwrap();
        assert_eq!(secret.expose(), "from-command-xyz");
        assert!(!format!("{secret:?}").contains("xyz"));
        assert!(matches!(
            SecretSource::Command("exit 3".into()).resolve().await,
            Err(SecretError::Command(_))
        ));
        assert!(matches!(
            SecretSource::Env("APPLYMAIL_TEST_SURELY_UNSET".into())
                .resolve()
                .await,
            Err(SecretError::MissingEnv(_))
        ));
    }

    #[test]
    fn sqlite_urls_are_kept_whole() {
        let url = DatabaseUrl::new("sqlite://data/applymail.db".into());
        assert_eq!(url.redacted(), "sqlite://data/applymail.db");
        assert!(url.is_sqlite());
    }
}
