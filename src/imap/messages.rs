//! Reading and acting on the selected folder's messages: their sizes, their bytes, the
//! keyword or move after filing, and APPEND.

use std::collections::BTreeSet;

use async_imap::imap_proto::{AttributeValue, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::command::{COMMAND_TIMEOUT, Reply, quoted};
use super::{ImapClient, ImapError};
use crate::domain::cursor::Uid;

/// A message downloaded whole.
#[derive(Debug)]
pub struct Fetched {
    pub uid: Uid,
    /// INTERNALDATE: when the server received it.
    pub arrived_at: Option<DateTime<Utc>>,
    /// Shared with the buffer async-imap read it into: handed on without a copy.
    pub raw: Bytes,
}

impl ImapClient {
    /// The sizes the server announces (RFC822.SIZE), so that oversized mail is never
    /// downloaded. A UID without a size was expunged.
    pub async fn sizes(&mut self, uids: &[Uid]) -> Result<Vec<(Uid, u64)>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: BTreeSet<Uid> = uids.iter().copied().collect();
        let mut sizes = Vec::with_capacity(uids.len());
        let command = format!("UID FETCH {} (UID RFC822.SIZE)", uid_set(uids));
        // Each response is dropped as soon as its size is read: a response keeps the whole
        // read buffer it was parsed from.
        self.run("UID FETCH", &command, COMMAND_TIMEOUT, |response| {
            let Response::Fetch(_, attributes) = response.parsed() else {
                return Some(response);
            };
            let uid = attributes.iter().find_map(|a| match a {
                AttributeValue::Uid(u) => Uid::new(*u),
                _ => None,
            });
            let size = attributes.iter().find_map(|a| match a {
                AttributeValue::Rfc822Size(s) => Some(u64::from(*s)),
                _ => None,
            });
            if let Some(pair) = uid.zip(size).filter(|(uid, _)| wanted.contains(uid)) {
                sizes.push(pair);
            }
            None
        })
        .await?;
        sizes.sort_unstable();
        sizes.dedup_by_key(|(uid, _)| *uid);
        Ok(sizes)
    }

    /// Fetches whole messages without setting `\Seen`. Every UID asked for comes back, or a
    /// successful search shows it expunged meanwhile; anything else is an error, and so is a
    /// FETCH whose completion is not `OK`, whatever it returned before.
    pub async fn fetch(&mut self, folder: &str, uids: &[Uid]) -> Result<Vec<Fetched>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: BTreeSet<Uid> = uids.iter().copied().collect();
        let mut fetched: Vec<Fetched> = Vec::with_capacity(uids.len());
        let command = format!("UID FETCH {} (UID INTERNALDATE BODY.PEEK[])", uid_set(uids));
        self.run(
            "UID FETCH",
            &command,
            COMMAND_TIMEOUT * 5,
            |response| match downloaded(response) {
                Ok(message) => {
                    if wanted.contains(&message.uid) {
                        fetched.push(message);
                    }
                    None
                }
                Err(other) => other,
            },
        )
        .await?;
        fetched.sort_by_key(|m| m.uid);
        fetched.dedup_by_key(|m| m.uid);
        if fetched.len() < wanted.len() {
            let got: BTreeSet<Uid> = fetched.iter().map(|m| m.uid).collect();
            let missing: Vec<Uid> = wanted.difference(&got).copied().collect();
            // Expunged is concluded only from an answer that says so.
            let still_there = self.search(&format!("UID {}", uid_set(&missing))).await?;
            if !still_there.is_empty() {
                return Err(ImapError::ShortFetch {
                    folder: folder.into(),
                    asked: uids.len(),
                    got: fetched.len(),
                });
            }
        }
        Ok(fetched)
    }

    /// Adds a keyword to messages of the selected folder (they stay unread where they are).
    pub async fn add_keyword(&mut self, uids: &[Uid], keyword: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let command = format!("UID STORE {} +FLAGS.SILENT ({keyword})", uid_set(uids));
        self.run("UID STORE", &command, COMMAND_TIMEOUT, Some).await
    }

    /// Moves messages: MOVE (RFC 6851), or COPY + \Deleted + UID EXPUNGE (RFC 4315). Without
    /// UIDPLUS the originals stay, marked \Deleted: a plain EXPUNGE would also remove mail
    /// that someone else marked for deletion.
    pub async fn move_to(&mut self, uids: &[Uid], folder: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        let target = quoted(folder);
        if self.has_capability("MOVE") {
            return self
                .run(
                    "UID MOVE",
                    &format!("UID MOVE {set} {target}"),
                    COMMAND_TIMEOUT,
                    Some,
                )
                .await;
        }
        self.run(
            "UID COPY",
            &format!("UID COPY {set} {target}"),
            COMMAND_TIMEOUT,
            Some,
        )
        .await?;
        let deleted = format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)");
        self.run("UID STORE", &deleted, COMMAND_TIMEOUT, Some)
            .await?;
        if self.has_capability("UIDPLUS") {
            self.run(
                "UID EXPUNGE",
                &format!("UID EXPUNGE {set}"),
                COMMAND_TIMEOUT,
                Some,
            )
            .await?;
        }
        Ok(())
    }

    /// Stores a copy of a message applymail sent, marked read.
    pub async fn append(&mut self, folder: &str, message: &[u8]) -> Result<(), ImapError> {
        self.run_append(folder, "(\\Seen)", message).await
    }
}

/// A FETCH response carrying a body, or the response given back untouched.
fn downloaded(response: Reply) -> Result<Fetched, Option<Reply>> {
    let Response::Fetch(_, attributes) = response.parsed() else {
        return Err(Some(response));
    };
    let mut uid = None;
    let mut arrived_at = None;
    let mut has_body = false;
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(u) => uid = Uid::new(*u),
            AttributeValue::InternalDate(date) => arrived_at = internal_date(date),
            AttributeValue::BodySection { data: Some(_), .. } => has_body = true,
            _ => {}
        }
    }
    // A FETCH without the body (a flag change announced meanwhile) is not a download.
    let Some(uid) = uid.filter(|_| has_body) else {
        return Err(None);
    };
    Ok(Fetched {
        uid,
        arrived_at,
        raw: Bytes::from_owner(Body(response)),
    })
}

/// A FETCH response, seen as its body's bytes.
struct Body(Reply);

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        let Response::Fetch(_, attributes) = self.0.parsed() else {
            return &[];
        };
        attributes
            .iter()
            .find_map(|a| match a {
                AttributeValue::BodySection {
                    data: Some(data), ..
                } => Some(data.as_ref()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// INTERNALDATE (RFC 3501 §9, `date-time`): `"17-Jul-1996 02:44:25 -0700"`, the day possibly
/// padded with a space.
fn internal_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text.trim(), "%d-%b-%Y %H:%M:%S %z")
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `3,5:7,9` for a list of UIDs.
pub(super) fn uid_set(uids: &[Uid]) -> String {
    let mut sorted: Vec<u32> = uids.iter().map(|u| u.get()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut iter = sorted.into_iter().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compressed() {
        let uids: Vec<Uid> = [9, 3, 5, 6, 7, 3]
            .iter()
            .filter_map(|&u| Uid::new(u))
            .collect();
        assert_eq!(uid_set(&uids), "3,5:7,9");
    }

    #[test]
    fn internal_dates_parse_with_or_without_padding() {
        let expected = DateTime::parse_from_rfc3339("1996-07-17T09:44:25Z").unwrap();
        assert_eq!(
            internal_date("17-Jul-1996 02:44:25 -0700"),
            Some(expected.into())
        );
        let padded = internal_date(" 7-Jul-1996 02:44:25 -0700").unwrap();
        assert_eq!(padded.to_rfc3339(), "1996-07-07T09:44:25+00:00");
        assert_eq!(internal_date("yesterday"), None);
    }
}
