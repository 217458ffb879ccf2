//! Local mail sources: `.eml` files, Maildir folders and mbox files.
//!
//! Each yields messages lazily, with coordinates that stay the same when the source is read
//! again, so that importing twice changes nothing. File names are never trusted as anything
//! but data: they become `location` strings in the ledger, not paths applymail writes to.

mod eml;
mod maildir;
mod mbox;

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::domain::source::SourceRef;

pub use maildir::{is_maildir, store_read};

/// One message read from a local source.
#[derive(Debug)]
pub struct LocalMessage {
    pub source: SourceRef,
    pub raw: Bytes,
    /// When it was delivered, when the source says: a Maildir's file time does; an `.eml` or
    /// mbox file says nothing.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Messages from one place, read one at a time.
pub struct MessageSource {
    /// How many messages there are, when that is known without reading them.
    pub len: Option<usize>,
    pub messages: Box<dyn Iterator<Item = io::Result<LocalMessage>> + Send>,
}

/// Opens whatever is at `path`: a Maildir, a folder of `.eml` files (searched recursively),
/// an mbox file or a single message. `mailbox` names the source in the ledger; with `None`
/// the canonical path is used.
pub fn open(path: &Path, mailbox: Option<&str>) -> io::Result<MessageSource> {
    let canonical = path.canonicalize().map_err(|e| annotate(path, e))?;
    let label = |p: &Path| {
        mailbox
            .map(str::to_owned)
            .unwrap_or_else(|| format!("import:{}", p.display()))
    };
    if canonical.is_dir() {
        if is_maildir(&canonical) {
            return maildir::open(&canonical, label(&canonical));
        }
        return eml::open_dir(&canonical, label(&canonical));
    }
    if mbox::looks_like_mbox(&canonical)? {
        return mbox::open(&canonical, label(&canonical));
    }
    let parent = canonical
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    eml::open_file(&canonical, label(&parent))
}

fn annotate(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}
