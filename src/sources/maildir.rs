//! Maildir folders (the embedded default mailbox, and servers that deliver locally).

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{LocalMessage, MessageSource, annotate};
use crate::domain::source::SourceRef;

/// A Maildir has `new/` and `cur/`; one of them is enough to read it (a copy made by a tool
/// that drops empty folders, such as git, may lack the other).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// The messages in `new/` and `cur/`, oldest delivery first. Their location is the Maildir
/// unique name, the file name before `:2,flags`: it survives the mail client moving the file
/// from `new/` to `cur/` and changing its flags.
pub fn open(dir: &Path, mailbox: String) -> io::Result<MessageSource> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for sub in ["new", "cur"] {
        let folder = dir.join(sub);
        if !folder.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&folder).map_err(|e| annotate(&folder, e))? {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            files.push((unique_name(&name).to_owned(), entry.path()));
        }
    }
    // Unique names start with the delivery time in seconds (maildir(5)), so their order is the
    // delivery order to the second; ties keep a stable order.
    files.sort_by(|a, b| {
        delivery_key(&a.0)
            .cmp(&delivery_key(&b.0))
            .then_with(|| a.0.cmp(&b.0))
    });
    let len = files.len();
    let messages = files.into_iter().map(move |(unique, path)| {
        let raw = std::fs::read(&path).map_err(|e| annotate(&path, e))?;
        Ok(LocalMessage {
            delivered_at: delivered_at(&path),
            source: SourceRef::new(mailbox.clone(), unique),
            raw: raw.into(),
        })
    });
    Ok(MessageSource {
        len: Some(len),
        messages: Box::new(messages),
    })
}

/// Delivers a message into a Maildir's `cur/` as read (`:2,S`), the maildir(5) way: written
/// and synced in `tmp/`, then renamed.
pub fn store_read(dir: &Path, message: &[u8]) -> io::Result<PathBuf> {
    use std::io::Write;
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let unique = format!(
        "{}.M{}P{}R{:08x}.applymail",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        rand::random::<u32>()
    );
    let tmp = dir.join("tmp").join(&unique);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(message)?;
    file.sync_all()?;
    let target = dir.join("cur").join(format!("{unique}:2,S"));
    std::fs::rename(&tmp, &target)?;
    Ok(target)
}

/// When the message was delivered: its file's time, which the delivery agent set and a mail
/// client moving it from `new/` to `cur/` keeps.
fn delivered_at(path: &Path) -> Option<DateTime<Utc>> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(modified.into())
}

pub fn unique_name(file_name: &str) -> &str {
    file_name.split(':').next().unwrap_or(file_name)
}

fn delivery_key(unique: &str) -> (u64, &str) {
    let seconds = unique
        .split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX);
    (seconds, unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_drop_flags() {
        assert_eq!(
            unique_name("1625000000.M1P2.host:2,S"),
            "1625000000.M1P2.host"
        );
        assert_eq!(unique_name("1625000000.M1P2.host"), "1625000000.M1P2.host");
    }

    #[test]
    fn a_maildir_without_cur_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("new")).unwrap();
        std::fs::write(dir.path().join("new/1.a.host"), b"Subject: a\r\n\r\n").unwrap();
        assert!(is_maildir(dir.path()));
        assert_eq!(
            open(dir.path(), "INBOX".into()).unwrap().messages.count(),
            1
        );
        assert!(!is_maildir(&dir.path().join("new")));
    }

    #[test]
    fn messages_come_in_delivery_order_from_new_and_cur() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("cur/900.b.host:2,S"), b"Subject: b\r\n\r\n").unwrap();
        std::fs::write(dir.path().join("new/1000.c.host"), b"Subject: c\r\n\r\n").unwrap();
        std::fs::write(dir.path().join("new/800.a.host"), b"Subject: a\r\n\r\n").unwrap();
        std::fs::write(dir.path().join("tmp/700.z.host"), b"partial").unwrap();
        let source = open(dir.path(), "INBOX".into()).unwrap();
        assert_eq!(source.len, Some(3));
        let names: Vec<String> = source
            .messages
            .map(|m| m.unwrap().source.location)
            .collect();
        assert_eq!(names, ["800.a.host", "900.b.host", "1000.c.host"]);
    }
}
