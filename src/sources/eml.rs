//! Single messages in files, and folders of them.

use std::io;
use std::path::{Path, PathBuf};

use super::{LocalMessage, MessageSource, annotate};
use crate::domain::source::SourceRef;

/// Every regular file under `dir` whose name ends in `.eml`, in name order, recursively:
/// exported folders nest (`2021/06/…`).
pub fn open_dir(dir: &Path, mailbox: String) -> io::Result<MessageSource> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    files.sort();
    let root = dir.to_owned();
    let len = files.len();
    let messages = files.into_iter().map(move |path| {
        let location = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let raw = std::fs::read(&path).map_err(|e| annotate(&path, e))?;
        Ok(LocalMessage {
            source: SourceRef::new(mailbox.clone(), location),
            raw: raw.into(),
            delivered_at: None,
        })
    });
    Ok(MessageSource {
        len: Some(len),
        messages: Box::new(messages),
    })
}

pub fn open_file(path: &Path, mailbox: String) -> io::Result<MessageSource> {
    let location = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = std::fs::read(path).map_err(|e| annotate(path, e))?;
    let message = LocalMessage {
        source: SourceRef::new(mailbox, location),
        raw: raw.into(),
        delivered_at: None,
    };
    Ok(MessageSource {
        len: Some(1),
        messages: Box::new(std::iter::once(Ok(message))),
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| annotate(dir, e))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        // Symlinks are not followed: an import never leaves the folder it was given.
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
        {
            out.push(path);
        }
    }
    Ok(())
}
