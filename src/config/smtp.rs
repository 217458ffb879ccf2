//! `[smtp]`: the one SMTP server for everything applymail sends. `[acknowledgement.smtp]`,
//! its older place, takes the same keys and is still read: it is the SMTP configuration when
//! `[smtp]` is absent; when both are present `[smtp]` wins (and both are checked, so that a
//! mistake in either is named).

use std::path::PathBuf;

use serde::Deserialize;

use super::SecretSource;
use super::Security;
use super::keys::{ConfigError, is_loopback, key_error, password_source};

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    pub ca_file: Option<PathBuf>,
    /// Keep a copy of every answer to a candidate, read, in the mailbox's Sent folder.
    pub save_to_sent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: String,
    port: Option<u16>,
    security: Option<Security>,
    #[serde(default)]
    allow_plaintext: bool,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    password_command: Option<String>,
    ca_file: Option<PathBuf>,
    #[serde(default)]
    save_to_sent: bool,
}

/// Checks one SMTP section; `section` (`smtp` or `acknowledgement.smtp`) prefixes the keys
/// its errors name.
pub(super) fn validate_smtp(raw: RawSmtp, section: &str) -> Result<SmtpSettings, ConfigError> {
    let host = raw.host.trim().to_owned();
    if host.is_empty() {
        return Err(key_error(format!("{section}.host"), "must not be empty"));
    }
    let security = raw.security.unwrap_or(Security::Starttls);
    let port = raw.port.unwrap_or(match security {
        Security::Tls => 465,
        Security::Starttls => 587,
        Security::Plain => 25,
    });
    if security == Security::Plain && !raw.allow_plaintext && !is_loopback(&host) {
        return Err(key_error(
            format!("{section}.security"),
            format!(
                "\"plain\" sends mail and password in clear to {host}; use tls or starttls, or set allow_plaintext = true"
            ),
        ));
    }
    let password = password_source(
        section,
        raw.password_env,
        raw.password_file,
        raw.password_command,
    )?;
    if raw.username.is_some() != password.is_some() {
        return Err(key_error(
            format!("{section}.username"),
            "give both a username and one of password_env, password_file or password_command, or neither",
        ));
    }
    Ok(SmtpSettings {
        host,
        port,
        security,
        username: raw.username,
        password,
        ca_file: raw.ca_file,
        save_to_sent: raw.save_to_sent,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, Settings, load_str};

    const BASE: &str = r#"
[mailbox]
kind = "maildir"
path = "mail/Maildir"
[organisation]
addresses = ["contact@example.org"]
[database]
url = "sqlite://data/applymail.db"
[storage]
dir = "data/documents"
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice au Maroc"
subject = "Coordination Maroc"
"#;

    const SHARED: &str = "[smtp]\nhost = \"smtp.example.org\"\nusername = \"contact@example.org\"\npassword_env = \"SMTP_PASSWORD\"\n";
    const ACK_ON: &str = "[acknowledgement]\nenabled = true\nfrom = \"contact@example.org\"\n";
    const ACK_OWN: &str = "[acknowledgement.smtp]\nhost = \"old.example.org\"\n";

    fn load(sections: &[&str]) -> Result<Settings, ConfigError> {
        let text = format!("{BASE}\n{}", sections.join("\n"));
        load_str(&text, std::path::Path::new("t.toml"), Vec::new())
    }

    fn key_of(sections: &[&str]) -> (String, String) {
        match load(sections) {
            Err(ConfigError::Key { key, problem }) => (key, problem),
            other => panic!("expected a key error, got {other:?}"),
        }
    }

    #[test]
    fn smtp_alone_is_valid_with_acknowledgements_off() {
        let settings = load(&[SHARED]).unwrap();
        assert!(settings.acknowledgement.is_none());
        let smtp = settings.smtp.unwrap();
        assert_eq!((smtp.host.as_str(), smtp.port), ("smtp.example.org", 587));
        assert!(load(&[]).unwrap().smtp.is_none());
    }

    #[test]
    fn acknowledgements_use_smtp_and_it_wins_over_their_own_section() {
        let ack = load(&[SHARED, ACK_ON]).unwrap().acknowledgement.unwrap();
        assert_eq!(ack.smtp.host, "smtp.example.org");
        let both = load(&[SHARED, ACK_ON, ACK_OWN]).unwrap();
        assert_eq!(both.acknowledgement.unwrap().smtp.host, "smtp.example.org");
        assert_eq!(both.smtp.unwrap().host, "smtp.example.org");
        // Without [smtp], the older section is the SMTP configuration, on or off.
        let old = load(&[ACK_ON, ACK_OWN]).unwrap();
        assert_eq!(old.acknowledgement.unwrap().smtp.host, "old.example.org");
        let off = ACK_ON.replace("enabled = true", "enabled = false");
        assert_eq!(
            load(&[&off, ACK_OWN]).unwrap().smtp.unwrap().host,
            "old.example.org"
        );
        assert_eq!(key_of(&[ACK_ON]).0, "acknowledgement.smtp");
    }

    #[test]
    fn a_bad_smtp_key_is_named() {
        let (key, problem) = key_of(&["[smtp]\nhots = \"x\"\n"]);
        assert!(key.starts_with("smtp"), "{key}");
        assert!(problem.contains("hots"), "{problem}");
        let plain = SHARED.replace(
            "host = \"smtp.example.org\"",
            "host = \"smtp.example.org\"\nsecurity = \"plain\"",
        );
        assert_eq!(key_of(&[&plain]).0, "smtp.security");
        assert_eq!(
            key_of(&[&SHARED.replace("password_env = \"SMTP_PASSWORD\"\n", "")]).0,
            "smtp.username"
        );
        assert_eq!(
            key_of(&[&format!("{SHARED}password_file = \"/run/p\"\n")]).0,
            "smtp.password_env"
        );
        assert_eq!(key_of(&["[smtp]\nhost = \" \"\n"]).0, "smtp.host");
        // A mistake in the older section is still named when [smtp] wins.
        assert_eq!(
            key_of(&[
                SHARED,
                ACK_ON,
                "[acknowledgement.smtp]\nhost = \"x.example\"\nsecurity = \"plain\"\n"
            ])
            .0,
            "acknowledgement.smtp.security"
        );
    }
}
