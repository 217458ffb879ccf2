//! What can go wrong with the mail server, in variants that the retry logic can act on.

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
    #[error("{doing}: {source}")]
    Protocol {
        doing: &'static str,
        source: async_imap::error::Error,
    },
    #[error("the server did not report UIDVALIDITY for {folder} (connection lost?)")]
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
    /// A NO to a command about `folder` (SELECT, STATUS): the folder does not exist.
    pub(super) fn naming_folder(self, folder: &str) -> ImapError {
        match self {
            ImapError::Protocol {
                source: async_imap::error::Error::No(_),
                ..
            } => ImapError::NoSuchFolder(folder.into()),
            other => other,
        }
    }

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
}
