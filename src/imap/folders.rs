//! What the account holds: capabilities, folders, and the UIDs of a folder's messages.

use std::collections::BTreeSet;

use async_imap::imap_proto::{
    Capability, MailboxDatum, NameAttribute, Response, ResponseCode, Status, StatusAttribute,
};

use super::command::{COMMAND_TIMEOUT, quoted};
use super::{ImapClient, ImapError, Selected};
use crate::domain::cursor::{Cursor, Uid, UidValidity};

/// A folder as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub name: String,
    /// SPECIAL-USE attributes (RFC 6154), such as `\Sent`.
    pub special_use: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub validity: UidValidity,
    pub exists: u32,
    /// UIDNEXT, when the server announced it: every message the selection holds has a lower
    /// UID, and every message added later a higher one (RFC 3501 §2.3.1.1).
    pub next: Option<Uid>,
    /// PERMANENTFLAGS, when announced: the flags and keywords the server keeps (`\*` means it
    /// accepts new keywords).
    pub permanent_flags: Option<Vec<String>>,
}

impl FolderState {
    /// Whether the server keeps a keyword of ours on this folder's messages. A server that
    /// does not say is taken at its word when it accepts the STORE.
    pub fn keeps_keyword(&self, keyword: &str) -> bool {
        self.permanent_flags.as_ref().is_none_or(|flags| {
            flags
                .iter()
                .any(|f| f == "\\*" || f.eq_ignore_ascii_case(keyword))
        })
    }
}

impl ImapClient {
    pub(super) async fn read_capabilities(&mut self) -> Result<(), ImapError> {
        let mut found = BTreeSet::new();
        self.run("CAPABILITY", "CAPABILITY", COMMAND_TIMEOUT, |response| {
            let Response::Capabilities(capabilities) = response.parsed() else {
                return Some(response);
            };
            found.extend(capabilities.iter().map(|c| match c {
                Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
                Capability::Auth(a) => format!("AUTH={}", a.to_ascii_uppercase()),
                Capability::Atom(a) => a.to_ascii_uppercase(),
            }));
            None
        })
        .await?;
        self.capabilities = found.into_iter().collect();
        Ok(())
    }

    pub async fn folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let mut folders = Vec::new();
        self.run("LIST", "LIST \"\" \"*\"", COMMAND_TIMEOUT, |response| {
            let Response::MailboxData(MailboxDatum::List(list)) = response.parsed() else {
                return Some(response);
            };
            folders.push(Folder {
                name: super::utf7::decode(&list.name).unwrap_or_else(|| list.name.to_string()),
                special_use: list
                    .name_attributes
                    .iter()
                    .filter_map(special_use)
                    .map(str::to_owned)
                    .collect(),
            });
            None
        })
        .await?;
        Ok(folders)
    }

    /// Selects a folder. A selection without UIDVALIDITY is an error, never "a folder without
    /// a cursor".
    pub async fn select(&mut self, folder: &str) -> Result<FolderState, ImapError> {
        // A SELECT that fails leaves no folder selected (RFC 3501 §6.3.1).
        self.selected = None;
        let (mut validity, mut exists, mut next, mut permanent_flags) = (None, 0, None, None);
        let selected = self
            .run(
                "SELECT",
                &format!("SELECT {}", quoted(folder)),
                COMMAND_TIMEOUT,
                |response| {
                    match response.parsed() {
                        Response::MailboxData(MailboxDatum::Exists(n)) => exists = n.to_owned(),
                        Response::Data {
                            status: Status::Ok,
                            outcome,
                        } => match &outcome.code {
                            Some(ResponseCode::UidValidity(v)) => validity = UidValidity::new(*v),
                            Some(ResponseCode::UidNext(n)) => next = Uid::new(*n),
                            Some(ResponseCode::PermanentFlags(flags)) => {
                                permanent_flags =
                                    Some(flags.iter().map(|f| f.to_string()).collect());
                            }
                            _ => {}
                        },
                        _ => {}
                    }
                    // The selection's own EXISTS is the snapshot this pass starts from, not news.
                    None
                },
            )
            .await;
        self.naming_folder(selected, folder).await?;
        let validity = validity.ok_or_else(|| ImapError::NoUidValidity {
            folder: folder.into(),
        })?;
        self.announced = false;
        let state = FolderState {
            validity,
            exists,
            next,
            permanent_flags,
        };
        self.selected = Some(Selected {
            name: folder.to_owned(),
            state: state.clone(),
        });
        Ok(state)
    }

    /// The UIDVALIDITY of `folder` if it is the folder selected now. Such a folder need not
    /// be selected again to see its new mail: the server reports what changed with the
    /// answer to any command, a search included. A new SELECT makes the server open the
    /// folder afresh, which for Dovecot's Maildir grows with its size (about 0.6 s at
    /// 20,000 messages). Its UIDVALIDITY cannot change while it stays selected: a server
    /// that must renumber ends the session.
    pub fn still_selected(&self, folder: &str) -> Option<UidValidity> {
        self.selected
            .as_ref()
            .filter(|s| s.name == folder)
            .map(|s| s.state.validity)
    }

    /// Whether the selected folder keeps a keyword of ours (see [`FolderState::keeps_keyword`]).
    pub fn keeps_keyword(&self, keyword: &str) -> bool {
        self.selected
            .as_ref()
            .is_none_or(|s| s.state.keeps_keyword(keyword))
    }

    /// Whether a message of the selected folder still exists, as a successful search says.
    pub async fn exists(&mut self, uid: Uid) -> Result<bool, ImapError> {
        Ok(!self.search(&format!("UID {uid}")).await?.is_empty())
    }

    /// A folder's UIDVALIDITY and next UID (STATUS), without leaving the selected folder.
    /// `None` when the server leaves either out.
    pub async fn next_uid(&mut self, folder: &str) -> Result<Option<Cursor>, ImapError> {
        let (mut validity, mut next) = (None, None);
        let command = format!("STATUS {} (UIDVALIDITY UIDNEXT)", quoted(folder));
        let status = self
            .run("STATUS", &command, COMMAND_TIMEOUT, |response| {
                let Response::MailboxData(MailboxDatum::Status { status, .. }) = response.parsed()
                else {
                    return Some(response);
                };
                for attribute in status {
                    match attribute {
                        StatusAttribute::UidValidity(v) => {
                            validity = UidValidity::new(v.to_owned())
                        }
                        StatusAttribute::UidNext(n) => next = Uid::new(n.to_owned()),
                        _ => {}
                    }
                }
                None
            })
            .await;
        self.naming_folder(status, folder).await?;
        Ok(validity
            .zip(next)
            .map(|(validity, next)| Cursor { validity, next }))
    }

    /// A command about `folder` that the server refused because the folder does not exist is
    /// [`ImapError::NoSuchFolder`], for the admin to fix; any other refusal stays what it is
    /// (`NO [UNAVAILABLE]` is worth retrying). Servers word it differently and the response
    /// code (`[NONEXISTENT]`, RFC 5530) is not always there, so LIST is asked.
    async fn naming_folder(
        &mut self,
        result: Result<(), ImapError>,
        folder: &str,
    ) -> Result<(), ImapError> {
        match result {
            Err(err) if err.is_refusal() => {
                let mut listed = false;
                let command = format!("LIST \"\" {}", quoted(folder));
                self.run("LIST", &command, COMMAND_TIMEOUT, |response| {
                    if matches!(
                        response.parsed(),
                        Response::MailboxData(MailboxDatum::List(_))
                    ) {
                        listed = true;
                        return None;
                    }
                    Some(response)
                })
                .await?;
                Err(if listed {
                    err
                } else {
                    ImapError::NoSuchFolder(folder.into())
                })
            }
            other => other,
        }
    }

    /// The UIDs at or after `start` in the selected folder, in order. The range is closed:
    /// `UID n:*` would also answer the highest UID when it is below `n` (RFC 3501 §6.4.8),
    /// and some servers refuse `*` in an empty folder, which a folder still selected from an
    /// earlier pass may have become.
    pub async fn uids_from(&mut self, start: Uid) -> Result<Vec<Uid>, ImapError> {
        // Mail announced from here on may have arrived after the search: it stays news.
        self.announced = false;
        let mut uids = self.search(&format!("UID {start}:{}", u32::MAX)).await?;
        uids.retain(|u| *u >= start);
        Ok(uids)
    }

    /// `UID SEARCH criteria`, sorted.
    pub(super) async fn search(&mut self, criteria: &str) -> Result<Vec<Uid>, ImapError> {
        let mut found = Vec::new();
        self.run(
            "UID SEARCH",
            &format!("UID SEARCH {criteria}"),
            COMMAND_TIMEOUT,
            |response| {
                let Response::MailboxData(MailboxDatum::Search(uids)) = response.parsed() else {
                    return Some(response);
                };
                found.extend(uids.iter().copied().filter_map(Uid::new));
                None
            },
        )
        .await?;
        found.sort_unstable();
        found.dedup();
        Ok(found)
    }
}

fn special_use(attribute: &NameAttribute<'_>) -> Option<&'static str> {
    Some(match attribute {
        NameAttribute::All => "\\All",
        NameAttribute::Archive => "\\Archive",
        NameAttribute::Drafts => "\\Drafts",
        NameAttribute::Flagged => "\\Flagged",
        NameAttribute::Junk => "\\Junk",
        NameAttribute::Sent => "\\Sent",
        NameAttribute::Trash => "\\Trash",
        _ => return None,
    })
}
