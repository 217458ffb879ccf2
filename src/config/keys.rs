//! What every section's validation shares: the error that names the key at fault, the
//! sources a secret may come from, and which hosts are this machine.

use std::path::PathBuf;

use super::SecretSource;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("environment variable {var}: {problem}")]
    Env { var: String, problem: String },
    #[error("config key `{key}`: {problem}")]
    Key { key: String, problem: String },
}

pub(super) fn key_error(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Key {
        key: key.into(),
        problem: problem.into(),
    }
}

/// At most one of `password_env`, `password_file` and `password_command`.
pub(super) fn password_source(
    section: &str,
    env: Option<String>,
    file: Option<PathBuf>,
    command: Option<String>,
) -> Result<Option<SecretSource>, ConfigError> {
    let sources = [
        env.map(SecretSource::Env),
        file.map(SecretSource::File),
        command.map(SecretSource::Command),
    ];
    let mut given = sources.into_iter().flatten();
    let first = given.next();
    if given.next().is_some() {
        return Err(key_error(
            format!("{section}.password_env"),
            "give only one of password_env, password_file and password_command",
        ));
    }
    Ok(first)
}

pub(super) fn required<T>(value: Option<T>, key: &str) -> Result<T, ConfigError> {
    value.ok_or_else(|| key_error(key, "is required with kind = \"imap\""))
}

pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
