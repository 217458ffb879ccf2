//! mbox files (what Thunderbird and Google Takeout export).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use mail_parser::mailbox::mbox::MessageIterator;

use super::{LocalMessage, MessageSource, annotate};
use crate::domain::source::SourceRef;

/// An mbox starts with a `From ` separator line; an .eml starts with a header.
pub fn looks_like_mbox(path: &Path) -> io::Result<bool> {
    let mut start = [0u8; 5];
    let mut file = File::open(path).map_err(|e| annotate(path, e))?;
    let n = file.read(&mut start)?;
    Ok(&start[..n] == b"From ")
}

/// Messages in file order; the location is the message's index, which stays stable while
/// the file only grows (as mail clients append).
pub fn open(path: &Path, mailbox: String) -> io::Result<MessageSource> {
    let file = File::open(path).map_err(|e| annotate(path, e))?;
    let messages =
        MessageIterator::new(BufReader::new(file))
            .enumerate()
            .map(move |(index, message)| {
                let message = message.map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, "unreadable mbox entry")
                })?;
                Ok(LocalMessage {
                    source: SourceRef::new(mailbox.clone(), format!("#{index}")),
                    raw: message.unwrap_contents().into(),
                    delivered_at: None,
                })
            });
    Ok(MessageSource {
        len: None,
        messages: Box::new(messages),
    })
}
