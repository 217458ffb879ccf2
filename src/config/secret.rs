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

    /// The URL with any password replaced, fit for logs and error messages: the userinfo's
    /// password and every query parameter naming a password (`password`, `sslpassword`, in any
    /// case).
    pub fn redacted(&self) -> String {
        let (before_query, query_and_fragment) = match self.0.find('?') {
            Some(at) => self.0.split_at(at),
            None => (self.0.as_str(), ""),
        };
        let mut out = redact_userinfo(before_query);
        if let Some(rest) = query_and_fragment.strip_prefix('?') {
            let (query, fragment) = match rest.find('#') {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            out.push('?');
            out.push_str(&redact_query(query));
            out.push_str(fragment);
        }
        out
    }
}

/// Where the URL's authority ends (RFC 3986 §3.2: at the first `/`, `?` or `#` after `//`),
/// or 0 when it has none. A raw `@` in the password is allowed for; other delimiters in a
/// password must be percent-encoded anyway, or the driver would not parse the URL either.
fn authority_end(url: &str) -> usize {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return 0;
    };
    url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i)
}

/// `scheme://user:password@host…` → `scheme://user:[redacted]@host…`. The userinfo ends at
/// the authority's LAST `@`: a password may hold `@` itself, a host never does.
fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let end = authority_end(url);
    let authority = &url[start..end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:[redacted]{}", &url[..start], &url[start + at..])
                }
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// Replaces the value of every `…password=` parameter; the others stay, an admin needs them.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().ends_with("password") => {
                format!("{name}=[redacted]")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
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
    fn a_password_holding_at_signs_is_redacted_whole() {
        // The userinfo ends at the authority's last `@`: the first one is inside the password.
        let url = DatabaseUrl::new("postgres://app:hun@ter2@xyz@db.example:5432/applymail".into());
        assert_eq!(
            url.redacted(),
            "postgres://app:[redacted]@db.example:5432/applymail"
        );
        assert!(!format!("{url:?}").contains("ter2"));
        // An `@` after the authority (a query's value) does not move the split.
        let url = DatabaseUrl::new(
            "postgres://app:s3cr@t@db.example/applymail?application_name=a@b".into(),
        );
        assert_eq!(
            url.redacted(),
            "postgres://app:[redacted]@db.example/applymail?application_name=a@b"
        );
    }

    #[test]
    fn password_query_parameters_are_redacted() {
        for (url, redacted) in [
            (
                "postgres://app@db.example/applymail?password=hunter2-xyz",
                "postgres://app@db.example/applymail?password=[redacted]",
            ),
            (
                "postgres://db.example/applymail?sslmode=require&PassWord=hunter2-xyz&user=app",
                "postgres://db.example/applymail?sslmode=require&PassWord=[redacted]&user=app",
            ),
            (
                "postgres://app:hunter2-xyz@db.example/a?sslpassword=hunter2-xyz#f",
                "postgres://app:[redacted]@db.example/a?sslpassword=[redacted]#f",
            ),
        ] {
            let url = DatabaseUrl::new(url.into());
            assert_eq!(url.redacted(), redacted);
            assert!(!format!("{url:?}").contains("hunter2"));
            assert!(!url.to_string().contains("hunter2"));
        }
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
