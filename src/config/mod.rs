//! The typed settings tree: one struct per TOML section, validated once at start-up so that
//! the rest of the program never sees an inconsistent configuration.
//!
//! [`load`] reads the file, applies `APPLYMAIL_SECTION__KEY` environment overrides and turns
//! every problem into a [`ConfigError`] that names the key at fault.

mod acknowledgement;
mod keys;
mod load;
mod mailbox;
mod secret;
mod smtp;
mod web;

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

pub use acknowledgement::AcknowledgementSettings;
pub use keys::ConfigError;
pub use load::{load, load_str};
pub use secret::{DatabaseUrl, Secret, SecretError, SecretSource};
pub use smtp::SmtpSettings;
pub use web::WebSettings;

pub use crate::domain::organisation::Organisation;
use crate::domain::posting::{Posting, PostingId};

/// Everything applymail is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mailbox: MailboxSettings,
    pub organisation: Organisation,
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub limits: Limits,
    pub postings: Vec<Posting>,
    /// The optional `/healthz` and `/metrics` listener.
    pub http: Option<HttpSettings>,
    /// The recruiters' web app; `applymail run` serves it only when the section is present,
    /// `applymail web` always (with the defaults when it is absent).
    pub web: Option<WebSettings>,
    pub retention: Retention,
    /// Automatic acknowledgements over SMTP; `None` when off (the default).
    pub acknowledgement: Option<AcknowledgementSettings>,
    /// The SMTP server for everything applymail sends: `[smtp]`, else
    /// `[acknowledgement.smtp]`; `None` when neither is configured.
    pub smtp: Option<SmtpSettings>,
}

/// How long candidates' data is kept.
#[derive(Debug, Clone)]
pub struct Retention {
    /// Applications not hired are erased this long after their last activity (a message or a
    /// status change). CNIL guidance for unsuccessful candidates: two years.
    pub keep_for: Duration,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub listen: std::net::SocketAddr,
}

/// Where mail comes from.
#[derive(Debug, Clone)]
pub enum MailboxSettings {
    /// A local Maildir: the embedded default, and servers that deliver locally.
    Maildir(MaildirSettings),
    /// An IMAP account.
    Imap(ImapSettings),
}

#[derive(Debug, Clone)]
pub struct MaildirSettings {
    /// The Maildir whose `cur/` and `new/` hold the inbox.
    pub path: PathBuf,
    /// The sent folder: a Maildir++ subfolder name (`Sent` means `PATH/.Sent`) or a path.
    pub sent: Option<PathBuf>,
    pub poll_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub allow_plaintext: bool,
    pub username: String,
    pub auth: ImapAuth,
    pub ca_file: Option<PathBuf>,
    pub inbox: String,
    pub sent: Option<String>,
    pub after_filing: AfterFiling,
    /// How often the mailbox is read without IDLE; IDLE is re-issued at least this often.
    pub poll_interval: Duration,
    /// How often the inbox is read again while waiting in IDLE, for servers that offer IDLE
    /// and never push. At most `poll_interval` unless set.
    pub idle_poll_interval: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    Tls,
    Starttls,
    Plain,
}

#[derive(Debug, Clone)]
pub enum ImapAuth {
    /// LOGIN / AUTHENTICATE PLAIN with a password.
    Password(SecretSource),
    /// XOAUTH2 with a bearer token printed by a command (`SecretSource::Command`).
    XOAuth2 { token: SecretSource },
}

/// What applymail does to a filed message on the server, after the database commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFiling {
    /// Set the `$Applymail-Filed` keyword; the mail stays unread where it is.
    Keyword,
    /// Move it to this folder.
    Move(String),
    None,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
}

#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub kind: StorageKind,
    /// The files' folder: required with `kind = "files"`, and where `applymail storage
    /// migrate --to files` writes them.
    pub dir: Option<PathBuf>,
}

/// Where documents and quarantined raw messages are kept.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, strum::IntoStaticStr, strum::Display,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum StorageKind {
    /// A folder of files named by their SHA-256 (`storage.dir`): the embedded default.
    #[default]
    Files,
    /// The database's `blobs` tables, written with the rows that name them: one place for
    /// several instances, and for a backup.
    Database,
}

/// Bounds on everything a sender controls. The per-archive bounds keep one odd zip from
/// costing much (it is then kept whole); the per-message ones bound what a message costs
/// however it is split, and a message that passes them is quarantined.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Larger mail is recorded and quarantined unparsed, never filed.
    pub max_message_bytes: u64,
    /// MIME parts in one message, nested messages included; counted before parsing.
    pub max_parts: usize,
    /// Bytes of all of a message's header sections together (its own, its parts', nested
    /// messages'), each field counting at least 64; counted before parsing.
    pub max_header_bytes: usize,
    /// message/rfc822 parts nested inside each other (forwards of forwards).
    pub max_forward_depth: usize,
    /// Files taken out of one zip archive.
    pub max_archive_entries: usize,
    /// Decompressed bytes taken out of one zip archive.
    pub max_archive_bytes: u64,
    /// Decompressed bytes of all of a message's archives together.
    pub max_expanded_bytes: u64,
    /// All of a message's archives together may expand to this many times the message's
    /// own size (but always to 4 MiB).
    pub max_expansion_ratio: u64,
    /// Documents in one message: attachments, files out of its archives, forwards' ones.
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 50 * 1024 * 1024,
            max_parts: 500,
            max_header_bytes: 2 * 1024 * 1024,
            max_forward_depth: 3,
            max_archive_entries: 64,
            max_archive_bytes: 50 * 1024 * 1024,
            max_expanded_bytes: 100 * 1024 * 1024,
            max_expansion_ratio: 20,
            max_documents: 100,
        }
    }
}

impl Settings {
    pub fn posting(&self, id: &PostingId) -> Option<&Posting> {
        self.postings.iter().find(|p| &p.id == id)
    }
}
