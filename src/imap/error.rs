//! What can go wrong with the mail server, in variants that the retry logic can act on.

use std::fmt;

/// How the server refused a command (RFC 3501 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    No,
    Bad,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::No => "NO",
            Refusal::Bad => "BAD",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("TLS handshake with {host} failed: {source}")]
    Tls {
        host: String,
        source: std::io::Error,
    },
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    #[error(
        "{host} does not offer STARTTLS; refusing to continue in plain text (mailbox.security)"
    )]
    NoStarttls { host: String },
    #[error("authentication failed for {user}: {reason}")]
    Auth { user: String, reason: String },
    #[error("cannot read the credentials: {0}")]
    Credentials(String),
    #[error("timed out after {seconds}s while {doing}")]
    Timeout { doing: &'static str, seconds: u64 },
    /// The command's tagged completion said NO or BAD: the server's own words.
    #[error("the server refused {command}: {status} {text}")]
    Refused {
        command: &'static str,
        status: Refusal,
        text: String,
    },
    #[error("the server ended the session during {command}: BYE {text}")]
    Bye { command: &'static str, text: String },
    #[error("the connection closed before the server completed {command}")]
    ConnectionLost { command: &'static str },
    #[error("{command}: {source}")]
    Io {
        command: &'static str,
        source: std::io::Error,
    },
    /// What the IMAP library reported while greeting or logging in.
    #[error("{doing}: {source}")]
    Protocol {
        doing: &'static str,
        source: async_imap::error::Error,
    },
    #[error("the server did not report UIDVALIDITY for {folder}")]
    NoUidValidity { folder: String },
    #[error(
        "FETCH returned {got} of {asked} messages in {folder}, and the missing ones still exist"
    )]
    ShortFetch {
        folder: String,
        asked: usize,
        got: usize,
    },
    #[error("no folder {0} on the server")]
    NoSuchFolder(String),
}

impl ImapError {
    /// Authentication failures are retried slowly, so that the account is not locked.
    pub fn is_auth(&self) -> bool {
        matches!(self, ImapError::Auth { .. } | ImapError::Credentials(_))
    }

    /// Errors that a retry cannot fix: configuration and certificates.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ImapError::TlsConfig(_) | ImapError::NoStarttls { .. } | ImapError::NoSuchFolder(_)
        ) || matches!(self, ImapError::Tls { source, .. } if source.kind() == std::io::ErrorKind::InvalidData)
    }

    /// A refusal that leaves the connection usable: the next command can be sent.
    pub fn is_refusal(&self) -> bool {
        matches!(self, ImapError::Refused { .. })
    }
}
