//! The IMAP adapter: a client for one account, built on async-imap, that knows nothing of
//! the pipeline or the database.
//!
//! It owns the protocol's traps (see TESTING.md): the greeting is read explicitly, every
//! command has a timeout, a FETCH that returns fewer messages than asked is an error unless
//! the missing ones were expunged, a SELECT without UIDVALIDITY is an error, `UID FETCH n:*`
//! answers below `n` are filtered, and bodies are read with `BODY.PEEK[]` so that `\Seen`
//! is never set.

mod client;
mod error;
mod tls;

pub use client::{Folder, FolderState, IdleEnd, ImapClient, Transport};
pub use error::ImapError;
pub use tls::client_config;

/// The keyword set on filed mail with `after_filing = "keyword"`.
pub const FILED_KEYWORD: &str = "$Applymail-Filed";
