//! The daemon's loops, one per kind of mailbox, side by side: [`imap`] watches an IMAP
//! account (IDLE, or polling), [`maildir`] polls a local Maildir. Both hand batches of
//! messages to the pipeline ([`crate::ingest`]) and, once they are committed, act on the
//! server and move their cursor. [`sent`] finds the Sent folder for either, and [`local`]
//! reads a local source through the pipeline (the Maildir loop and `import`).

pub mod imap;
pub mod local;
pub mod maildir;
pub mod sent;

use crate::health::Health;
use crate::imap::ImapError;
use crate::ingest::{IngestError, Pipeline};
use crate::shutdown::Shutdown;
use crate::store::lease::LeaseError;

pub use imap::watch_imap;
pub use maildir::watch_maildir;

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error("{0:#}")]
    Other(anyhow::Error),
}

impl From<crate::store::StoreError> for WatchError {
    fn from(err: crate::store::StoreError) -> Self {
        WatchError::Ingest(err.into())
    }
}

/// What every watch loop works with.
#[derive(Debug, Clone, Copy)]
pub struct WatchContext<'a> {
    pub pipeline: &'a Pipeline,
    /// One full pass, then return.
    pub once: bool,
    pub shutdown: &'a Shutdown,
    pub health: &'a Health,
}
