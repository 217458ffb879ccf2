//! Where a message was read, so that seeing it again changes nothing.

use std::fmt;

/// The coordinates of one message in one source: the mailbox (an IMAP folder, a Maildir, an
/// mbox file, an import) and the message's stable place in it (a UID with its UIDVALIDITY, a
/// Maildir unique name, an mbox index, a file path).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRef {
    pub mailbox: String,
    pub location: String,
}

impl SourceRef {
    pub fn new(mailbox: impl Into<String>, location: impl Into<String>) -> Self {
        SourceRef {
            mailbox: mailbox.into(),
            location: location.into(),
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.mailbox, self.location)
    }
}

/// Which way a message travelled, as the source says: the Sent folder holds outbound mail.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}
