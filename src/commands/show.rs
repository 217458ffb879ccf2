//! `show`: one application, everything about it. What a sender or a recruiter wrote
//! (names, address, subjects, Message-IDs, file names, notes) is printed through
//! [`printable`], so that it cannot act on the terminal.

use std::io::Write;
use std::process::ExitCode;

use super::{open_documents, open_store};
use crate::config::Settings;
use crate::domain::printable::printable;
use crate::report::timestamp;

pub async fn show(settings: &Settings, id: i64) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let documents = open_documents(settings, &store).await?;
    let Some(detail) = store.application(id).await? else {
        anyhow::bail!("no application with id {id} (see `applymail list`)");
    };
    let history = store.history(id).await?;
    let a = &detail.application;
    let mut out = super::output::stdout();
    writeln!(out, "Application {}  ({})", a.id, a.posting)?;
    writeln!(
        out,
        "  Candidate:    {} {} <{}>",
        printable(&a.first_name),
        printable(&a.last_name),
        printable(&a.email)
    )?;
    writeln!(out, "  Status:       {}", a.status)?;
    writeln!(out, "  Reply status: {}", a.reply_status)?;
    if let Some(ack) = store.ack_state(id).await? {
        let when = ack.sent_at.map(|t| format!(" at {}", timestamp(t)));
        let why = ack.reason.map(|r| format!(" ({})", printable(&r)));
        writeln!(
            out,
            "  Acknowledgement: {}{}{}",
            ack.state,
            when.unwrap_or_default(),
            why.unwrap_or_default()
        )?;
    }
    writeln!(out, "  Received:     {}", timestamp(a.received_at))?;
    writeln!(out, "  Last inbound: {}", timestamp(a.last_inbound_at))?;
    writeln!(
        out,
        "  Last outbound: {}",
        a.last_outbound_at
            .map(timestamp)
            .unwrap_or_else(|| "-".into())
    )?;
    let flags = a.flags();
    writeln!(
        out,
        "  Flags:        {}",
        if flags.is_empty() {
            "-".into()
        } else {
            flags.join(" ")
        }
    )?;
    writeln!(out, "\nDocuments:")?;
    for d in &detail.documents {
        let current = if d.current { "" } else { " (older version)" };
        writeln!(
            out,
            "  {:<6} {}{}  [{}, {} bytes]",
            d.kind,
            printable(&d.filename),
            current,
            d.source,
            d.size
        )?;
        match documents.path(&d.sha256) {
            Some(path) => writeln!(out, "         {}", path.display())?,
            None => writeln!(
                out,
                "         in the database: applymail document {} --out FILE",
                d.sha256
            )?,
        }
    }
    writeln!(out, "\nMessages:")?;
    for m in &detail.messages {
        let arrow = if m.direction == "inbound" { "<-" } else { "->" };
        writeln!(
            out,
            "  {} {}  {}  {}",
            arrow,
            timestamp(m.sent_at),
            printable(m.message_id.as_deref().unwrap_or("-")),
            printable(&m.subject)
        )?;
    }
    writeln!(out, "\nHistory:")?;
    for h in &history {
        writeln!(
            out,
            "  {}  {:<11} by {}{}",
            timestamp(h.changed_at),
            h.status,
            printable(&h.actor),
            h.note
                .as_deref()
                .map(|n| format!(": {}", printable(n)))
                .unwrap_or_default()
        )?;
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
