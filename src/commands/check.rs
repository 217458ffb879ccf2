//! `check`: say plainly whether the configuration, the mailbox and the database work.

use std::process::ExitCode;

use super::{open_blobs, open_store};
use crate::config::{MailboxSettings, Settings};
use crate::sources;

pub async fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    println!(
        "config: ok ({} posting(s): {})",
        settings.postings.len(),
        settings
            .postings
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut healthy = true;
    match &settings.mailbox {
        MailboxSettings::Maildir(m) => {
            if sources::is_maildir(&m.path) {
                println!("mailbox: ok (Maildir {})", m.path.display());
            } else {
                println!(
                    "mailbox: FAILED: {} is not a Maildir (no cur/ and new/) (mailbox.path)",
                    m.path.display()
                );
                healthy = false;
            }
        }
        MailboxSettings::Imap(imap) => {
            println!(
                "mailbox: FAILED: IMAP ({}) is not supported by this version yet",
                imap.host
            );
            healthy = false;
        }
    }
    match open_store(settings).await {
        Ok(store) => {
            println!("database: ok ({})", settings.database.url);
            store.close().await;
        }
        Err(err) => {
            println!("database: FAILED: {err:#}");
            healthy = false;
        }
    }
    match open_blobs(settings) {
        Ok(blobs) => println!("storage: ok ({})", blobs.root().display()),
        Err(err) => {
            println!("storage: FAILED: {err:#}");
            healthy = false;
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
