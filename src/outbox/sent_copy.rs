//! Copies of what applymail sent, kept read in the mailbox's Sent folder, so that the
//! organisation's mailbox shows every message sent in its name. Best effort, after the fact:
//! a copy that cannot be stored is logged, never retried, and never makes a message count
//! as unsent.

use std::path::PathBuf;
use std::sync::Arc;

use tracing::warn;

use crate::config::{ImapSettings, MailboxSettings, Settings};
use crate::imap::{ImapClient, ImapError, client_config};

/// Where copies go.
#[derive(Debug, Clone)]
pub enum SentCopy {
    /// The IMAP account's Sent folder (configured, or the one marked `\Sent`).
    Imap(Arc<ImapSettings>),
    /// A Maildir folder.
    Maildir(PathBuf),
}

impl SentCopy {
    /// The mailbox's Sent folder: the IMAP account's, or the Maildir's (`.Sent` when it has
    /// none yet).
    pub fn of(settings: &Settings) -> SentCopy {
        match &settings.mailbox {
            MailboxSettings::Imap(imap) => SentCopy::Imap(Arc::new(imap.clone())),
            MailboxSettings::Maildir(maildir) => SentCopy::Maildir(
                crate::watch::sent::maildir_sent_folder(maildir)
                    .unwrap_or_else(|| maildir.path.join(".Sent")),
            ),
        }
    }

    /// Stores `copies`, marked read; `what` names them in the warning when that fails.
    pub async fn store(&self, copies: Vec<Vec<u8>>, what: &str) {
        if copies.is_empty() {
            return;
        }
        let result = match self {
            SentCopy::Maildir(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    copies
                        .iter()
                        .try_for_each(|m| crate::sources::store_read(&dir, m).map(drop))
                        .map_err(|e| format!("{}: {e}", dir.display()))
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            }
            SentCopy::Imap(settings) => append_to_sent(settings, &copies)
                .await
                .map_err(|e| e.to_string()),
        };
        if let Err(error) = result {
            warn!(%error, "{what} were sent, but their copy could not be stored in the Sent folder");
        }
    }
}

async fn append_to_sent(settings: &ImapSettings, copies: &[Vec<u8>]) -> Result<(), ImapError> {
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut client = ImapClient::connect(settings, tls).await?;
    let sent = crate::watch::sent::imap_sent_folder(&mut client, settings).await?;
    let Some(folder) = sent.name() else {
        client.logout().await;
        return Ok(());
    };
    for message in copies {
        client.append(folder, message).await?;
    }
    client.logout().await;
    Ok(())
}
