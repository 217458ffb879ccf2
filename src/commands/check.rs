//! `check`: say plainly whether the configuration, the mailbox and the database work.

use std::process::ExitCode;

use super::{open_blobs, open_store};
use crate::config::{ImapSettings, MailboxSettings, Settings};
use crate::imap::{ImapClient, ImapError, client_config};
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
            if let Err(err) = check_imap(imap).await {
                println!("mailbox: FAILED: {err}");
                healthy = false;
            }
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

async fn check_imap(settings: &ImapSettings) -> Result<(), ImapError> {
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut client = ImapClient::connect(settings, tls).await?;
    println!(
        "mailbox: ok (logged in to {}:{} as {}, {:?})",
        settings.host,
        settings.port,
        client.user(),
        settings.security
    );
    println!("  capabilities: {}", client.capabilities().join(" "));
    println!(
        "  IDLE: {}",
        if client.has_capability("IDLE") {
            "yes (push)"
        } else {
            "no (polling)"
        }
    );
    for folder in client.folders().await? {
        let uses = if folder.special_use.is_empty() {
            String::new()
        } else {
            format!("  {}", folder.special_use.join(" "))
        };
        println!("  folder {}{uses}", folder.name);
    }
    let inbox = client.select(&settings.inbox).await?;
    println!(
        "  {}: {} message(s), UIDVALIDITY {}",
        settings.inbox, inbox.exists, inbox.validity
    );
    if let Some(sent) = &settings.sent {
        client.select(sent).await?;
    }
    client.logout().await;
    Ok(())
}
