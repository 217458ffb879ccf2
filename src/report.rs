//! What recruiters read: the export contract (PRODUCT.md) as JSON and CSV, and the `list`
//! table. CSV cells that a spreadsheet would run as formulas are neutralised: candidates
//! choose their names.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::documents::Documents;
use crate::domain::name::usual_case;
use crate::domain::printable::printable;
use crate::store::queries::{ApplicationDetail, ApplicationRow};

#[derive(Debug, Serialize)]
pub struct ExportedApplication {
    pub id: String,
    pub posting: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub received_at: String,
    pub status: String,
    pub reply_status: String,
    pub last_inbound_at: String,
    pub last_outbound_at: Option<String>,
    pub flags: Vec<&'static str>,
    pub message_ids: Vec<String>,
    pub documents: Vec<ExportedDocument>,
}

#[derive(Debug, Serialize)]
pub struct ExportedDocument {
    pub kind: String,
    pub filename: String,
    pub sha256: String,
    pub size: i64,
    pub source: String,
    pub path: String,
    pub current: bool,
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn exported(
    details: Vec<ApplicationDetail>,
    documents: &Documents,
) -> Vec<ExportedApplication> {
    details
        .into_iter()
        .map(|detail| {
            let a = detail.application;
            let mut message_ids: Vec<String> = Vec::new();
            for m in detail.messages.iter().filter(|m| m.direction == "inbound") {
                if let Some(id) = &m.message_id
                    && !message_ids.contains(id)
                {
                    message_ids.push(id.clone());
                }
            }
            ExportedApplication {
                id: a.id.to_string(),
                flags: a.flags(),
                posting: a.posting,
                last_name: a.last_name,
                first_name: a.first_name,
                email: a.email,
                received_at: timestamp(a.received_at),
                status: a.status,
                reply_status: a.reply_status,
                last_inbound_at: timestamp(a.last_inbound_at),
                last_outbound_at: a.last_outbound_at.map(timestamp),
                message_ids,
                documents: detail
                    .documents
                    .into_iter()
                    .map(|d| ExportedDocument {
                        path: documents
                            .path(&d.sha256)
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        kind: d.kind,
                        filename: d.filename,
                        sha256: d.sha256,
                        size: d.size,
                        source: d.source,
                        current: d.current,
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn write_json(
    out: &mut dyn Write,
    applications: &[ExportedApplication],
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, applications)?;
    writeln!(out)
}

const CSV_HEADER: [&str; 14] = [
    "id",
    "posting",
    "last_name",
    "first_name",
    "email",
    "received_at",
    "status",
    "reply_status",
    "last_inbound_at",
    "last_outbound_at",
    "flags",
    "message_ids",
    "current_cv",
    "documents",
];

/// The export flattened: one row per application, documents as `kind: filename (path)`
/// lines in one cell. UTF-8 with a BOM so that Excel and LibreOffice pick the encoding.
pub fn write_csv(out: &mut dyn Write, applications: &[ExportedApplication]) -> std::io::Result<()> {
    out.write_all("\u{FEFF}".as_bytes())?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for a in applications {
        let current_cv = a
            .documents
            .iter()
            .find(|d| d.kind == "cv" && d.current)
            .map(|d| d.path.clone())
            .unwrap_or_default();
        let documents = a
            .documents
            .iter()
            .map(|d| {
                format!(
                    "{}{}: {} ({})",
                    d.kind,
                    if d.current { "" } else { " (old)" },
                    d.filename,
                    // Kept in the database: no path, the hash `applymail document` takes.
                    if d.path.is_empty() {
                        format!("sha256 {}", d.sha256)
                    } else {
                        d.path.clone()
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let record = [
            a.id.clone(),
            a.posting.clone(),
            a.last_name.clone(),
            a.first_name.clone(),
            a.email.clone(),
            a.received_at.clone(),
            a.status.clone(),
            a.reply_status.clone(),
            a.last_inbound_at.clone(),
            a.last_outbound_at.clone().unwrap_or_default(),
            a.flags.join(" "),
            a.message_ids.join(" "),
            current_cv,
            documents,
        ];
        writer.write_record(record.iter().map(|cell| neutralise(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// A cell that starts with `=`, `+`, `-`, `@`, tab or CR is a formula to Excel and
/// LibreOffice (OWASP "CSV injection"); a leading apostrophe makes it text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The `list` table: fixed columns, one line per application.
pub fn write_table(out: &mut dyn Write, rows: &[ApplicationRow]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>5}  {:<20}  {:<28}  {:<32}  {:<11}  {:<9}  {:<10}  flags",
        "id", "posting", "name", "email", "status", "reply", "received"
    )?;
    for r in rows {
        // Capitals mark the last name in a subject; on screen, names read in their usual case.
        let name = format!("{} {}", usual_case(&r.last_name), usual_case(&r.first_name));
        writeln!(
            out,
            "{:>5}  {:<20}  {:<28}  {:<32}  {:<11}  {:<9}  {:<10}  {}",
            r.id,
            truncate(&r.posting, 20),
            truncate(name.trim(), 28),
            truncate(&r.email, 32),
            r.status,
            r.reply_status,
            r.received_at.format("%Y-%m-%d"),
            r.flags().join(" ")
        )?;
    }
    writeln!(out, "{} application(s)", rows.len())
}

/// A cell of the table: made [`printable`] (a candidate's name must not move the terminal's
/// cursor or reorder the line), then cut to its column.
fn truncate(text: &str, width: usize) -> String {
    let clean = printable(text);
    if clean.chars().count() <= width {
        clean.into_owned()
    } else {
        clean.chars().take(width - 1).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(neutralise("+33 6"), "'+33 6");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Dupont"), "Dupont");
    }

    #[test]
    fn the_table_shows_names_in_their_usual_case() {
        let now = Utc::now();
        let row = ApplicationRow {
            id: 1,
            posting: "coordination-maroc".into(),
            last_name: "BARRY".into(),
            first_name: "Aïssatou".into(),
            email: "a.barry@example.com".into(),
            status: "received".into(),
            reply_status: "unreplied".into(),
            subject_nonconforming: true,
            forward_unverified: false,
            forwarded_inline: false,
            received_at: now,
            last_inbound_at: now,
            last_outbound_at: None,
            has_cv: true,
            has_letter: true,
        };
        let mut out = Vec::new();
        write_table(&mut out, &[row]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Barry Aïssatou"), "{text}");
        assert!(!text.contains("BARRY"), "{text}");
    }

    #[test]
    fn table_cells_are_cut_and_cleaned() {
        assert_eq!(truncate("abc\u{1b}[2J", 14), "abc\\u{1b}[2J");
        assert_eq!(truncate("ab\u{202e}cd\r", 20), "ab\\u{202e}cd\\u{d}");
        assert_eq!(truncate("abcdefghijkl", 5), "abcd…");
    }
}
