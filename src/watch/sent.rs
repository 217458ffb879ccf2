//! The Sent folder, where replies to candidates are found, for either kind of mailbox.

use std::path::{Path, PathBuf};

use tracing::warn;

use crate::config::{ImapSettings, MaildirSettings};
use crate::imap::{ImapClient, ImapError};

/// The IMAP Sent folder: the configured one, or the one marked `\Sent` (RFC 6154).
pub async fn imap_sent_folder(
    client: &mut ImapClient,
    settings: &ImapSettings,
) -> Result<Option<String>, ImapError> {
    if let Some(sent) = &settings.sent {
        return Ok(Some(sent.clone()));
    }
    let folders = client.folders().await?;
    let found = folders
        .into_iter()
        .find(|f| f.special_use.iter().any(|u| u == "\\Sent") && f.name != settings.inbox)
        .map(|f| f.name);
    if found.is_none() {
        warn!(
            "no folder is marked \\Sent and mailbox.sent is not set: replies will not be tracked"
        );
    }
    Ok(found)
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
