//! An email as applymail understands it: owned values, decoded once at the boundary, with
//! nothing of the parser's borrowed types.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::document::{DocFormat, DocumentKind, DocumentSource};
use super::email::EmailAddress;

#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// The Message-ID with its angle brackets, as the export shows it.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub date: Option<DateTime<Utc>>,
    pub subject: String,
    /// The sender. `None` when the From header is missing or holds no usable address.
    pub from: Option<Sender>,
    /// To, Cc and Bcc together.
    pub recipients: Vec<EmailAddress>,
    /// Reply-To: where the sender asked answers to go.
    pub reply_to: Vec<EmailAddress>,
    pub automation: Automation,
    /// Attachments and inline parts that may be documents, and the files inside zips.
    /// Inline images of the message's own layout (signature logos) are already left out.
    pub documents: Vec<Document>,
    /// The first plain-text body (or the HTML body reduced to text), bounded in size.
    pub body_text: String,
    /// Messages attached as message/rfc822: forwards.
    pub forwarded: Vec<Mail>,
    /// Decoding problems met on the way, for the log line: the message is still usable.
    pub problems: Vec<String>,
    /// The raw values of its top-level `Authentication-Results` fields (RFC 8601), in
    /// order; read by [`crate::domain::authentication`].
    pub authentication_results: Vec<String>,
    /// The text of a delivery report's `message/delivery-status` part (RFC 3464), bounded in
    /// size; read by [`crate::domain::bounce`]. `None` unless the message is a
    /// `multipart/report; report-type=delivery-status`.
    pub delivery_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub address: EmailAddress,
    pub display_name: Option<String>,
}

/// The headers that machines put on mail they send by themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Automation {
    /// `Auto-Submitted` (RFC 3834), lowercased; `no` means a human sent it.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply`, `X-Autorespond` or `X-Auto-Response-Suppress: All`-style markers.
    pub autoreply_header: bool,
    /// `Precedence`, lowercased (bulk, list, junk, auto_reply).
    pub precedence: Option<String>,
    /// `List-Id` or `List-Unsubscribe`.
    pub mailing_list: bool,
    /// The `report-type` of a top-level multipart/report (delivery-status,
    /// disposition-notification), lowercased.
    pub report_type: Option<String>,
    /// `Return-Path: <>`: the null sender that bounces and receipts use (RFC 5321 §4.5.5).
    pub null_return_path: bool,
}

impl Automation {
    /// Whether the headers say a machine sent the message rather than a person.
    pub fn is_automatic(&self) -> bool {
        self.report_type.is_some()
            || self.null_return_path
            || self.auto_submitted.as_deref().is_some_and(|v| v != "no")
            || self.autoreply_header
            || self.mailing_list
            || matches!(
                self.precedence.as_deref(),
                Some("auto_reply" | "bulk" | "list" | "junk")
            )
    }
}

#[derive(Debug, Clone)]
pub struct Document {
    /// The name the sender gave, cleaned for display. Data only: never a path.
    pub filename: String,
    pub content_type: String,
    pub source: DocumentSource,
    pub format: DocFormat,
    /// What the file name or the text says; `None` when neither says anything.
    pub kind: Option<DocumentKind>,
    /// Shared, not copied: triage hands a message's documents on while the message stays
    /// whole for the rows that describe it.
    pub bytes: Bytes,
}

impl Mail {
    /// The thread this message answers: In-Reply-To first, then References.
    pub fn thread_ids(&self) -> impl Iterator<Item = &str> {
        self.in_reply_to
            .iter()
            .chain(&self.references)
            .map(String::as_str)
    }
}
