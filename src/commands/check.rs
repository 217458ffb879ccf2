//! `check`: say plainly whether the configuration, the mailbox and the database work, and
//! what applymail will do with this server (which Sent folder, whether its keyword is kept,
//! whether IDLE is offered).

use std::process::ExitCode;

use super::output::say;
use super::{open_documents, open_store};
use crate::config::{AfterFiling, ImapSettings, MailboxSettings, Settings};
use crate::imap::{FILED_KEYWORD, ImapClient, ImapError, client_config};
use crate::sources;
use crate::watch::sent::choose_sent_folder;

pub async fn check(settings: &Settings) -> anyhow::Result<ExitCode> {
    say(format_args!(
        "config: ok ({} posting(s): {})",
        settings.postings.len(),
        settings
            .postings
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    let mut healthy = true;
    match &settings.mailbox {
        MailboxSettings::Maildir(m) => {
            if sources::is_maildir(&m.path) {
                say(format_args!("mailbox: ok (Maildir {})", m.path.display()))?;
            } else {
                say(format_args!(
                    "mailbox: FAILED: {} is not a Maildir (no cur/ and new/) (mailbox.path)",
                    m.path.display()
                ))?;
                healthy = false;
            }
        }
        MailboxSettings::Imap(imap) => {
            // Lines are gathered and printed even when a later command fails, so that what
            // was learnt before the failure is shown.
            let mut lines = Vec::new();
            let result = check_imap(imap, &mut lines).await;
            for line in lines {
                say(format_args!("{line}"))?;
            }
            if let Err(err) = result {
                say(format_args!("mailbox: FAILED: {err}"))?;
                healthy = false;
            }
        }
    }
    match open_store(settings).await {
        Ok(store) => {
            say(format_args!("database: ok ({})", settings.database.url))?;
            match open_documents(settings, &store).await {
                Ok(documents) => say(format_args!("storage: ok ({})", documents.describe()))?,
                Err(err) => {
                    say(format_args!("storage: FAILED: {err:#}"))?;
                    healthy = false;
                }
            }
            store.close().await;
        }
        Err(err) => {
            say(format_args!("database: FAILED: {err:#}"))?;
            say(format_args!(
                "storage: not checked (its state is in the database)"
            ))?;
            healthy = false;
        }
    }
    // Not a failure: without it, PDFs are still read, less well.
    match crate::extract::sandbox::pdftotext() {
        Some(path) => say(format_args!(
            "documents: PDF text by pdftotext ({})",
            path.display()
        ))?,
        None => say(format_args!("documents: {}", super::PDFTOTEXT_MISSING))?,
    }
    match crate::extract::sandbox::tesseract() {
        Some(path) => say(format_args!(
            "documents: scans read by OCR with tesseract ({}; needs its French data, tesseract-ocr-fra)",
            path.display()
        ))?,
        None => say(format_args!("documents: {}", super::TESSERACT_MISSING))?,
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn check_imap(settings: &ImapSettings, out: &mut Vec<String>) -> Result<(), ImapError> {
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut client = ImapClient::connect(settings, tls).await?;
    out.push(format!(
        "mailbox: ok (logged in to {}:{} as {}, {:?})",
        settings.host,
        settings.port,
        client.user(),
        settings.security
    ));
    out.push(format!(
        "  capabilities: {}",
        client.capabilities().join(" ")
    ));
    // IDLE offered is not push: Debian's Cyrus without idled and Courier without
    // IMAP_ENHANCEDIDLE accept IDLE and never announce anything. The re-poll bounds the delay.
    out.push(if client.has_capability("IDLE") {
        format!(
            "  IDLE: offered (new mail arrives at once only if the server pushes; otherwise within {} (mailbox.idle_poll_interval))",
            humantime::format_duration(settings.idle_poll_interval)
        )
    } else {
        format!(
            "  IDLE: not offered (polling every {})",
            humantime::format_duration(settings.poll_interval)
        )
    });
    let folders = client.folders().await?;
    for folder in &folders {
        let uses = if folder.special_use.is_empty() {
            String::new()
        } else {
            format!("  {}", folder.special_use.join(" "))
        };
        out.push(format!("  folder {}{uses}", folder.name));
    }
    let sent = choose_sent_folder(settings.sent.as_deref(), &settings.inbox, &folders);
    out.push(match sent.name() {
        Some(name) => format!("  Sent folder: {name} ({})", sent.how()),
        None => format!("  Sent folder: {}", sent.how()),
    });
    let inbox = client.select(&settings.inbox).await?;
    out.push(format!(
        "  {}: {} message(s), UIDVALIDITY {}",
        settings.inbox, inbox.exists, inbox.validity
    ));
    if settings.after_filing == AfterFiling::Keyword {
        out.push(if inbox.keeps_keyword(FILED_KEYWORD) {
            format!("  keyword {FILED_KEYWORD}: kept by the server")
        } else {
            format!(
                "  keyword {FILED_KEYWORD}: NOT kept by the server (PERMANENTFLAGS {}): filed mail will not be marked; applymail relies on its own ledger",
                inbox.permanent_flags.as_deref().unwrap_or_default().join(" ")
            )
        });
    }
    if let Some(sent) = sent.name() {
        client.select(sent).await?;
    }
    client.logout().await;
    Ok(())
}
