//! The mail-parser adapter: raw bytes in, an owned [`Mail`] out.
//!
//! Everything that depends on the parser's quirks lives here: the folded-parameter repair,
//! the windows-1252 fallback for raw 8-bit headers, which parts are bodies, documents or
//! layout images, and the reading of documents' text to tell a CV from a letter.
//!
//! What one message may cost is bounded per message, whatever it is split into: the parts
//! and header bytes the parser would build, counted on the raw bytes before it runs
//! (`shape.rs`), then what all its archives expand to and its documents, as they are read
//! (`budget.rs`). A message past a bound is refused with an [`ExtractError`] naming the key,
//! and the pipeline quarantines it. Memory for one message is then at most about three times
//! its size (the raw bytes, the repaired copy when a fold needed it, the decoded parts), plus
//! what its archives may expand to (at most `limits.max_expanded_bytes`, 100 MiB), plus a fixed
//! base of about 60 MB (the process's 16 MB, and at most about 40 MB for what 2 MiB of header
//! fields cost the parser). Measured peak RSS of `applymail import`, release build: 65 MB for
//! 49 MB of empty parts, header lines or nested messages (1.0 to 2.3 GB, or a stack overflow,
//! before); 47 MB for 20 zips of 48 × 1 MiB entries in 1.5 MB (1.0 GB before); 103 MB for
//! 49 MB carrying a 36 MB PDF; 157 MB for 8.8 MB whose zips expand to 100 MiB.

pub mod archive;
mod budget;
mod deferred;
pub mod doc_text;
mod headers;
pub mod legacy_doc;
mod parts;
mod plain;
pub mod sandbox;
mod shape;
mod unfold;

use std::time::Duration;

use chrono::DateTime;
use mail_parser::{Message, MessageParser, MimeHeaders};

use crate::config::Limits;
use crate::domain::mail::{Automation, Mail};
use archive::ArchiveLimits;
use budget::Budget;
use doc_text::TextLimits;

/// Characters kept of a subject: real ones are a line; a sender's can be a megabyte, which
/// would then be stored, shown and parsed for a name.
pub const MAX_SUBJECT_CHARS: usize = 1_000;

/// Bounds on what one message may make applymail do.
#[derive(Debug, Clone)]
pub struct ExtractLimits {
    /// MIME parts, nested messages' included ([`Limits::max_parts`]).
    pub max_parts: usize,
    /// Bytes of all header sections ([`Limits::max_header_bytes`]).
    pub max_header_bytes: usize,
    pub max_forward_depth: usize,
    pub archive: ArchiveLimits,
    /// Decompressed bytes of all of a message's archives ([`Limits::max_expanded_bytes`]).
    pub max_expanded_bytes: u64,
    /// [`Limits::max_expansion_ratio`].
    pub max_expansion_ratio: u64,
    /// Documents in a message, forwards' and archives' included ([`Limits::max_documents`]).
    pub max_documents: usize,
    pub text: TextLimits,
    /// Characters of body text kept for triage; a letter is never longer.
    pub max_body_chars: usize,
    /// Wall time one message may spend reading its documents' text, forwards and archives
    /// included: each PDF reader is bounded on its own, but twenty nameless PDFs one after
    /// another held the daemon for most of a minute. Once it is spent, the documents left
    /// are not read and are classified by their names and positions only.
    pub text_budget: Duration,
}

/// [`ExtractLimits::text_budget`] by default: room for one PDF reader's full wall limit
/// (15 s) and a few quick ones; a real application's documents take well under a second each.
const TEXT_BUDGET: Duration = Duration::from_secs(20);

impl From<&Limits> for ExtractLimits {
    fn from(limits: &Limits) -> Self {
        ExtractLimits {
            max_parts: limits.max_parts,
            max_header_bytes: limits.max_header_bytes,
            max_expanded_bytes: limits.max_expanded_bytes,
            max_expansion_ratio: limits.max_expansion_ratio,
            max_documents: limits.max_documents,
            max_forward_depth: limits.max_forward_depth,
            archive: ArchiveLimits {
                max_entries: limits.max_archive_entries,
                max_total_bytes: limits.max_archive_bytes,
                ..ArchiveLimits::default()
            },
            text: TextLimits::default(),
            max_body_chars: 100_000,
            text_budget: TEXT_BUDGET,
        }
    }
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits::from(&Limits::default())
    }
}

/// Why a message cannot be read. Each error past a limit names its key, which the
/// quarantine's reason then shows the admin.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not an email: nothing could be parsed")]
    Unparseable,
    #[error("{found} MIME parts or more, more than the limit of {limit} (limits.max_parts)")]
    TooManyParts { found: usize, limit: usize },
    #[error(
        "header sections of {found} bytes or more (each field counting at least 64), more than the limit of {limit} (limits.max_header_bytes)"
    )]
    HeadersTooLarge { found: usize, limit: usize },
    #[error("its archives expand to more than {limit} bytes together (limits.max_expanded_bytes)")]
    ExpandedTooLarge { limit: u64 },
    #[error(
        "its archives expand to more than {ratio} times its own {size} bytes ({limit} bytes) together (limits.max_expansion_ratio)"
    )]
    ExpansionRatio { ratio: u64, size: u64, limit: u64 },
    #[error("more than {limit} documents (limits.max_documents)")]
    TooManyDocuments { limit: usize },
}

/// Parses a raw message. CPU-bound (documents' text may be read): call it off the async
/// threads.
///
/// The message's shape is checked on its raw bytes first (`shape.rs`), so that a message that
/// would make the parser build more parts or header fields than the limits allow is refused
/// before the parser costs anything; its archives and documents are then bounded as they are
/// read (`budget.rs`). Its attachments' base64 is decoded outside the parser
/// (`deferred.rs`).
pub fn parse_mail(raw: &[u8], limits: &ExtractLimits) -> Result<Mail, ExtractError> {
    let repaired = unfold::join_folded_parameters(raw);
    let deferred = shape::check(&repaired, limits)?;
    let stripped = deferred::strip(&repaired, &deferred);
    let mut message = match deferred::parse(&stripped, &repaired, &deferred) {
        Some(message) => message,
        None => MessageParser::default()
            .parse(repaired.as_ref())
            .ok_or(ExtractError::Unparseable)?,
    };
    if message.root_part().headers.is_empty() {
        return Err(ExtractError::Unparseable);
    }
    let mut budget = Budget::new(raw.len(), limits);
    let mut mail = convert(&mut message, limits, &mut budget, 0)?;
    if budget.unread > 0 {
        let problem = format!(
            "{} document(s) not read for their text: the message's {:?} for reading documents was spent",
            budget.unread, limits.text_budget
        );
        tracing::warn!(
            message_id = mail.message_id.as_deref().unwrap_or("-"),
            "{problem}"
        );
        mail.problems.push(problem);
    }
    Ok(mail)
}

/// Reads `message` into a [`Mail`], taking its documents' bytes out of it.
fn convert(
    message: &mut Message<'_>,
    limits: &ExtractLimits,
    budget: &mut Budget,
    depth: usize,
) -> Result<Mail, ExtractError> {
    if message.parts.len() > limits.max_parts {
        return Err(ExtractError::TooManyParts {
            found: message.parts.len(),
            limit: limits.max_parts,
        });
    }
    // Before the walk, which takes the parts' bytes out of the message.
    let delivery_status = delivery_status(message);
    let walked = parts::walk(message, limits, budget, depth)?;
    let body_text = cut_chars(
        message
            .body_text(0)
            .map(|b| b.into_owned())
            .unwrap_or_default(),
        limits.max_body_chars,
    );
    Ok(Mail {
        message_id: headers::message_id(message),
        in_reply_to: headers::id_list(message.in_reply_to()),
        references: headers::id_list(message.references()),
        date: message
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        subject: cut_chars(headers::subject(message), MAX_SUBJECT_CHARS),
        from: headers::sender(message),
        recipients: headers::addresses(message),
        reply_to: headers::reply_to(message),
        automation: automation(message),
        documents: walked.documents,
        body_text,
        forwarded: walked.forwarded,
        problems: walked.problems,
        authentication_results: headers::raw_values(message, "Authentication-Results"),
        delivery_status,
    })
}

/// Bytes of a delivery report read at most: a report names a few recipients in a few hundred
/// bytes, and a sender controls its size.
const MAX_DELIVERY_STATUS_BYTES: usize = 64 * 1024;

/// The text of the `message/delivery-status` part (RFC 3464; `message/global-delivery-status`
/// with UTF-8 addresses, RFC 6533) of a `multipart/report; report-type=delivery-status`.
fn delivery_status(message: &Message<'_>) -> Option<String> {
    let is = |ct: Option<&mail_parser::ContentType<'_>>, ctype: &str, subtypes: &[&str]| {
        ct.is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case(ctype)
                && ct
                    .subtype()
                    .is_some_and(|s| subtypes.iter().any(|t| s.eq_ignore_ascii_case(t)))
        })
    };
    let report = message
        .content_type()
        .filter(|ct| is(Some(*ct), "multipart", &["report"]))?;
    if !report
        .attribute("report-type")
        .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    {
        return None;
    }
    let part = message.parts.iter().find(|part| {
        is(
            part.content_type(),
            "message",
            &["delivery-status", "global-delivery-status"],
        )
    })?;
    let bytes = part.contents();
    let bytes = &bytes[..bytes.len().min(MAX_DELIVERY_STATUS_BYTES)];
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// `text` cut to its first `max` characters.
fn cut_chars(mut text: String, max: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
    }
    text
}

fn automation(message: &Message<'_>) -> Automation {
    let raw = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let first_token = |v: String| v.split(';').next().unwrap_or_default().trim().to_owned();
    let report_type = message
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .map(|ct| {
            ct.attribute("report-type")
                .unwrap_or("unknown")
                .to_ascii_lowercase()
        });
    Automation {
        auto_submitted: raw("Auto-Submitted").map(first_token),
        autoreply_header: ["X-Autoreply", "X-Autorespond", "X-Autoresponder"]
            .iter()
            .any(|h| raw(h).is_some_and(|v| v != "no" && v != "false")),
        precedence: raw("Precedence").map(first_token),
        mailing_list: raw("List-Id").is_some() || raw("List-Unsubscribe").is_some(),
        report_type,
        null_return_path: raw("Return-Path").is_some_and(|v| v.replace(' ', "") == "<>"),
    }
}

#[cfg(test)]
mod tests;
