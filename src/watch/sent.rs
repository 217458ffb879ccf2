//! The Sent folder, where replies to candidates are found, for either kind of mailbox.

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use crate::config::{ImapSettings, MaildirSettings};
use crate::domain::fold::fold;
use crate::imap::{Folder, ImapClient, ImapError};

/// Names mail clients and servers give the Sent folder, compared [`fold`]ed (case and
/// accents aside), in order of preference. Courier and some hosted servers mark no folder
/// `\Sent` (RFC 6154), and without one replies would silently not be tracked.
const SENT_NAMES: &[&str] = &[
    "sent",
    "sent items",
    "sent messages",
    "sent mail",
    "elements envoyes",
    "messages envoyes",
    "envoyes",
    "mail envoye",
    "gesendete objekte",
    "gesendet",
    "enviados",
    "elementos enviados",
    "itens enviados",
    "inviati",
    "posta inviata",
    "verzonden items",
];

/// How the Sent folder was chosen, for `check` and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SentFolder {
    /// `mailbox.sent` names it.
    Configured(String),
    /// The server marks it `\Sent`.
    SpecialUse(String),
    /// No folder is marked; this one has a usual name for it.
    Named(String),
    /// None: replies are not tracked.
    Missing,
}

impl SentFolder {
    pub fn name(&self) -> Option<&str> {
        match self {
            SentFolder::Configured(n) | SentFolder::SpecialUse(n) | SentFolder::Named(n) => Some(n),
            SentFolder::Missing => None,
        }
    }

    /// How it was found, in words.
    pub fn how(&self) -> &'static str {
        match self {
            SentFolder::Configured(_) => "set by mailbox.sent",
            SentFolder::SpecialUse(_) => "marked \\Sent by the server",
            SentFolder::Named(_) => "no folder is marked \\Sent; chosen by its name",
            SentFolder::Missing => {
                "none: no folder is marked \\Sent or has a usual Sent name, and mailbox.sent is not set; replies are not tracked"
            }
        }
    }
}

/// Chooses the Sent folder among `folders` (names already decoded from modified UTF-7):
/// the configured one, else the one marked `\Sent`, else the first of [`SENT_NAMES`] found
/// at the top level or just under the inbox ("INBOX.Sent", Cyrus's and Courier's layout).
pub fn choose_sent_folder(configured: Option<&str>, inbox: &str, folders: &[Folder]) -> SentFolder {
    if let Some(sent) = configured {
        return SentFolder::Configured(sent.to_owned());
    }
    let others = || folders.iter().filter(|f| f.name != inbox);
    if let Some(f) = others().find(|f| f.special_use.iter().any(|u| u == "\\Sent")) {
        return SentFolder::SpecialUse(f.name.clone());
    }
    let usual = |f: &&Folder| -> Option<usize> {
        let leaf = f
            .name
            .strip_prefix(inbox)
            .and_then(|rest| rest.strip_prefix(['.', '/']))
            .unwrap_or(&f.name);
        if leaf.contains(['.', '/']) {
            return None;
        }
        let key = fold(leaf);
        SENT_NAMES.iter().position(|n| *n == key)
    };
    others()
        .filter_map(|f| usual(&f).map(|rank| (rank, f)))
        .min_by_key(|(rank, _)| *rank)
        .map_or(SentFolder::Missing, |(_, f)| {
            SentFolder::Named(f.name.clone())
        })
}

/// The IMAP Sent folder (see [`choose_sent_folder`]).
pub async fn imap_sent_folder(
    client: &mut ImapClient,
    settings: &ImapSettings,
) -> Result<SentFolder, ImapError> {
    if let Some(sent) = &settings.sent {
        return Ok(SentFolder::Configured(sent.clone()));
    }
    let folders = client.folders().await?;
    let chosen = choose_sent_folder(None, &settings.inbox, &folders);
    match &chosen {
        SentFolder::Missing => warn!("{}", chosen.how()),
        SentFolder::Named(name) => info!(folder = %name, "Sent folder: {}", chosen.how()),
        _ => {}
    }
    Ok(chosen)
}

/// The Maildir Sent folder: `sent = "Sent"` is the Maildir++ subfolder `.Sent`; an absolute
/// path is taken as is; without the key, `.Sent` is used when it exists.
pub fn maildir_sent_folder(maildir: &MaildirSettings) -> Option<PathBuf> {
    match &maildir.sent {
        Some(path) if path.is_absolute() || path.components().count() > 1 => Some(path.clone()),
        Some(name) => Some(maildir.path.join(format!(".{}", name.display()))),
        None => {
            Some(maildir.path.join(".Sent")).filter(|p| crate::sources::is_maildir(Path::new(p)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, uses: &[&str]) -> Folder {
        Folder {
            name: name.into(),
            special_use: uses.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    #[test]
    fn the_sent_folder_is_found_by_mark_then_by_usual_names() {
        let courier = [
            folder("INBOX", &[]),
            folder("INBOX.Drafts", &[]),
            folder("INBOX.Sent", &[]),
            folder("INBOX.Trash", &[]),
        ];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &courier),
            SentFolder::Named("INBOX.Sent".into())
        );
        // Names come decoded from modified UTF-7 ("&AMk-l&AOk-ments envoy&AOk-s").
        let outlook_fr = [folder("INBOX", &[]), folder("Éléments envoyés", &[])];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &outlook_fr),
            SentFolder::Named("Éléments envoyés".into())
        );
        let german = [folder("INBOX", &[]), folder("Gesendete Objekte", &[])];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &german).name(),
            Some("Gesendete Objekte")
        );
        let marked = [
            folder("INBOX", &[]),
            folder("Sent", &[]),
            folder("Outbox copies", &["\\Sent"]),
        ];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &marked),
            SentFolder::SpecialUse("Outbox copies".into())
        );
        assert_eq!(
            choose_sent_folder(Some("Archive"), "INBOX", &marked),
            SentFolder::Configured("Archive".into())
        );
        // A Sent folder deep in someone's archive is not the account's.
        let nested = [folder("INBOX", &[]), folder("Projects.2021.Sent", &[])];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &nested),
            SentFolder::Missing
        );
        let preference = [folder("Sent Items", &[]), folder("Sent", &[])];
        assert_eq!(
            choose_sent_folder(None, "INBOX", &preference).name(),
            Some("Sent")
        );
    }
}
