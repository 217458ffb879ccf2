//! The mail-parser adapter: raw bytes in, an owned [`Mail`] out.
//!
//! Everything that depends on the parser's quirks lives here: the folded-parameter repair,
//! the windows-1252 fallback for raw 8-bit headers, which parts are bodies, documents or
//! layout images, and the reading of documents' text to tell a CV from a letter.

pub mod archive;
pub mod doc_text;
mod headers;
mod parts;
pub mod sandbox;
mod unfold;

use chrono::DateTime;
use mail_parser::{Message, MessageParser, MimeHeaders};

use crate::config::Limits;
use crate::domain::mail::{Automation, Mail};
use archive::ArchiveLimits;
use doc_text::TextLimits;

/// Bounds on what one message may make applymail do.
#[derive(Debug, Clone)]
pub struct ExtractLimits {
    pub max_parts: usize,
    pub max_forward_depth: usize,
    pub archive: ArchiveLimits,
    pub text: TextLimits,
    /// Characters of body text kept for triage; a letter is never longer.
    pub max_body_chars: usize,
}

impl From<&Limits> for ExtractLimits {
    fn from(limits: &Limits) -> Self {
        ExtractLimits {
            max_parts: limits.max_parts,
            max_forward_depth: limits.max_forward_depth,
            archive: ArchiveLimits {
                max_entries: limits.max_archive_entries,
                max_total_bytes: limits.max_archive_bytes,
                ..ArchiveLimits::default()
            },
            text: TextLimits::default(),
            max_body_chars: 100_000,
        }
    }
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits::from(&Limits::default())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("not an email: nothing could be parsed")]
    Unparseable,
    #[error("{found} MIME parts, more than the limit of {limit} (limits.max_parts)")]
    TooManyParts { found: usize, limit: usize },
}

/// Parses a raw message. CPU-bound (documents' text may be read): call it off the async
/// threads.
pub fn parse_mail(raw: &[u8], limits: &ExtractLimits) -> Result<Mail, ExtractError> {
    let repaired = unfold::join_folded_parameters(raw);
    let mut message = MessageParser::default()
        .parse(repaired.as_ref())
        .ok_or(ExtractError::Unparseable)?;
    if message.root_part().headers.is_empty() {
        return Err(ExtractError::Unparseable);
    }
    convert(&mut message, limits, 0)
}

/// Reads `message` into a [`Mail`], taking its documents' bytes out of it.
fn convert(
    message: &mut Message<'_>,
    limits: &ExtractLimits,
    depth: usize,
) -> Result<Mail, ExtractError> {
    if message.parts.len() > limits.max_parts {
        return Err(ExtractError::TooManyParts {
            found: message.parts.len(),
            limit: limits.max_parts,
        });
    }
    let walked = parts::walk(message, limits, depth)?;
    let mut body_text: String = message
        .body_text(0)
        .map(|b| b.into_owned())
        .unwrap_or_default();
    if let Some((cut, _)) = body_text.char_indices().nth(limits.max_body_chars) {
        body_text.truncate(cut);
    }
    Ok(Mail {
        message_id: headers::message_id(message),
        in_reply_to: headers::id_list(message.in_reply_to()),
        references: headers::id_list(message.references()),
        date: message
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        subject: headers::subject(message),
        from: headers::sender(message),
        recipients: headers::addresses(message),
        automation: automation(message),
        documents: walked.documents,
        body_text,
        forwarded: walked.forwarded,
        problems: walked.problems,
        authentication_results: headers::raw_values(message, "Authentication-Results"),
    })
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
