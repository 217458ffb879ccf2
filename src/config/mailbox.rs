//! The `[mailbox]` section: a local Maildir, or an IMAP account with its security, login and
//! what becomes of filed mail.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::keys::{ConfigError, is_loopback, key_error, password_source, required};
use super::{
    AfterFiling, ImapAuth, ImapSettings, MailboxSettings, MaildirSettings, SecretSource, Security,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMailbox {
    kind: MailboxKind,
    path: Option<PathBuf>,
    host: Option<String>,
    port: Option<u16>,
    security: Option<Security>,
    #[serde(default)]
    allow_plaintext: bool,
    username: Option<String>,
    auth: Option<AuthKind>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    password_command: Option<String>,
    token_command: Option<String>,
    ca_file: Option<PathBuf>,
    inbox: Option<String>,
    sent: Option<String>,
    after_filing: Option<String>,
    poll_interval: Option<String>,
    idle_poll_interval: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum MailboxKind {
    Imap,
    Maildir,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum AuthKind {
    Password,
    Xoauth2,
}

/// How often a mailbox without IDLE (and a Maildir) is read, unless `mailbox.poll_interval`
/// says otherwise.
const POLL_INTERVAL: Duration = Duration::from_secs(60);
/// How often the inbox is read again while applymail waits in IDLE, unless
/// `mailbox.idle_poll_interval` says otherwise (nor a shorter `poll_interval`). A server may
/// offer IDLE and never push (Debian's Cyrus without `idled`, Courier without
/// `IMAP_ENHANCEDIDLE`): this bounds how long new mail waits there. Leaving IDLE and reading
/// the inbox again is a few cheap commands (DONE, UID SEARCH, STATUS of the Sent folder).
const IDLE_POLL_INTERVAL: Duration = Duration::from_secs(15);

/// A duration of at least a second, named by its key when it is not one.
fn interval(key: &str, text: &Option<String>, default: Duration) -> Result<Duration, ConfigError> {
    let value = match text {
        None => default,
        Some(text) => {
            humantime::parse_duration(text).map_err(|e| key_error(key, format!("`{text}`: {e}")))?
        }
    };
    if value < Duration::from_secs(1) {
        return Err(key_error(key, "must be at least 1s"));
    }
    Ok(value)
}

pub(super) fn validate_mailbox(raw: RawMailbox) -> Result<MailboxSettings, ConfigError> {
    let poll_interval = interval("mailbox.poll_interval", &raw.poll_interval, POLL_INTERVAL)?;
    let idle_poll_interval = interval(
        "mailbox.idle_poll_interval",
        &raw.idle_poll_interval,
        IDLE_POLL_INTERVAL.min(poll_interval),
    )?;
    match raw.kind {
        MailboxKind::Maildir => {
            let path = raw
                .path
                .ok_or_else(|| key_error("mailbox.path", "is required with kind = \"maildir\""))?;
            Ok(MailboxSettings::Maildir(MaildirSettings {
                path,
                sent: raw.sent.map(PathBuf::from),
                poll_interval,
            }))
        }
        MailboxKind::Imap => {
            let host = required(raw.host, "mailbox.host")?;
            let security = raw.security.unwrap_or(Security::Tls);
            let port = raw.port.unwrap_or(match security {
                Security::Tls => 993,
                Security::Starttls | Security::Plain => 143,
            });
            if security == Security::Plain && !raw.allow_plaintext && !is_loopback(&host) {
                return Err(key_error(
                    "mailbox.security",
                    format!(
                        "\"plain\" sends the password in clear to {host}; use tls or starttls, or set mailbox.allow_plaintext = true"
                    ),
                ));
            }
            let username = required(raw.username, "mailbox.username")?;
            let auth = match raw.auth.unwrap_or(AuthKind::Password) {
                AuthKind::Xoauth2 => ImapAuth::XOAuth2 {
                    token: SecretSource::Command(required(
                        raw.token_command,
                        "mailbox.token_command",
                    )?),
                },
                AuthKind::Password => {
                    let source = password_source(
                        "mailbox",
                        raw.password_env,
                        raw.password_file,
                        raw.password_command,
                    )?
                    .ok_or_else(|| {
                        key_error(
                            "mailbox.password_env",
                            "one of password_env, password_file or password_command is required",
                        )
                    })?;
                    ImapAuth::Password(source)
                }
            };
            let after_filing = parse_after_filing(raw.after_filing.as_deref())?;
            let inbox = raw.inbox.unwrap_or_else(|| "INBOX".into());
            if raw.sent.as_ref() == Some(&inbox) {
                return Err(key_error(
                    "mailbox.sent",
                    format!("{inbox:?} is the inbox; name the folder sent mail is kept in"),
                ));
            }
            Ok(MailboxSettings::Imap(ImapSettings {
                host,
                port,
                security,
                allow_plaintext: raw.allow_plaintext,
                username,
                auth,
                ca_file: raw.ca_file,
                inbox,
                sent: raw.sent,
                after_filing,
                poll_interval,
                idle_poll_interval,
            }))
        }
    }
}

pub(super) fn parse_after_filing(value: Option<&str>) -> Result<AfterFiling, ConfigError> {
    match value.map(str::trim) {
        None | Some("keyword") => Ok(AfterFiling::Keyword),
        Some("none") => Ok(AfterFiling::None),
        Some(other) => match other.strip_prefix("move:") {
            Some(folder) if !folder.trim().is_empty() => {
                Ok(AfterFiling::Move(folder.trim().into()))
            }
            _ => Err(key_error(
                "mailbox.after_filing",
                format!("`{other}` is not one of keyword, move:FOLDER, none"),
            )),
        },
    }
}
