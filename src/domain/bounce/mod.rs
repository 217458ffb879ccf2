//! Delivery status notifications (RFC 3464): which recipients a bounce in the inbox names,
//! and whether their address failed for good. Pure: the pipeline hands over the text of the
//! report's `message/delivery-status` part and decides what to keep.
//!
//! The part is a block of per-message fields (Reporting-MTA, Arrival-Date…) followed by one
//! block per recipient, blocks separated by blank lines, each field folded like a header
//! (RFC 3464 §2.1). Only the per-recipient blocks matter here.

use super::email::EmailAddress;

/// Recipient blocks read at most: a sender controls how many there are, and a message the
/// organisation sends has a handful of recipients.
const MAX_RECIPIENTS: usize = 100;

/// What one delivery status notification says about the recipients it failed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Recipients whose delivery failed or is delayed, in the report's order; those
    /// delivered, relayed or expanded are left out.
    pub failed: Vec<FailedRecipient>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    /// `Original-Recipient`, when given: the address as the sender wrote it, before any
    /// forwarding, so the one applymail knows a candidate by.
    pub original: Option<EmailAddress>,
    /// `Final-Recipient`: where the last server tried to deliver.
    pub final_recipient: EmailAddress,
    /// `Status` (RFC 3463), such as `5.1.1`; `None` when missing or unreadable.
    pub status: Option<String>,
    pub permanence: Permanence,
}

/// Whether sending again to the address can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanence {
    /// `Action: failed` with a 5.x.x status (or none): the server refused the address for
    /// good (no such user, domain gone). Sending again bounces again.
    Permanent,
    /// `Action: delayed`, or `failed` with a 4.x.x status (a queue that gave up on a
    /// temporary problem, such as a full mailbox): the address itself may be fine.
    Transient,
}

impl FailedRecipient {
    /// The addresses it may be known by, the original first, each once.
    pub fn addresses(&self) -> Vec<&EmailAddress> {
        let mut addresses: Vec<&EmailAddress> = self.original.iter().collect();
        if !addresses.contains(&&self.final_recipient) {
            addresses.push(&self.final_recipient);
        }
        addresses
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BounceError {
    /// No per-recipient block names a readable `Final-Recipient` with a known `Action`.
    #[error("the delivery status names no recipient with a readable address and action")]
    NoRecipient,
}

/// Reads the text of a `message/delivery-status` part. Recipients that were delivered are
/// left out; a report naming none that failed is an empty report, not an error.
pub fn parse_delivery_status(text: &str) -> Result<DeliveryReport, BounceError> {
    let mut failed = Vec::new();
    let mut any = false;
    // The first block is the per-message one: it has no Final-Recipient, so it reads as no
    // recipient below.
    for block in recipient_blocks(text).take(MAX_RECIPIENTS) {
        let Some(recipient) = read_recipient(&block) else {
            continue;
        };
        any = true;
        if let Some(recipient) = recipient {
            failed.push(recipient);
        }
    }
    if any {
        Ok(DeliveryReport { failed })
    } else {
        Err(BounceError::NoRecipient)
    }
}

/// The report's fields, unfolded, in blocks: a blank line ends a block (RFC 3464 §2.1), and
/// so does a field the block has already (a second `Final-Recipient` or `Action`: some
/// servers leave out the blank line between recipients). Fields are lowercased by name.
fn recipient_blocks(text: &str) -> impl Iterator<Item = Vec<(String, String)>> {
    let mut blocks: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    // Whether a line starting with white space continues the block's last field.
    let mut folding = false;
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            folding = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let (true, Some((_, value))) = (folding, current.last_mut()) {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            folding = false;
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if current.iter().any(|(seen, _)| *seen == name) {
            blocks.push(std::mem::take(&mut current));
        }
        current.push((name, value.trim().to_owned()));
        folding = true;
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks.into_iter()
}

/// `None`: not a recipient block (no readable Final-Recipient or Action). `Some(None)`: a
/// recipient that did not fail.
fn read_recipient(block: &[(String, String)]) -> Option<Option<FailedRecipient>> {
    let field = |name: &str| {
        block
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let final_recipient = field("final-recipient").and_then(address_of)?;
    let action = field("action")?
        .split(['(', ';'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let status = field("status").and_then(status_code);
    let permanence = match action.as_str() {
        "failed" => match status.as_deref().and_then(|s| s.chars().next()) {
            Some('4') => Permanence::Transient,
            _ => Permanence::Permanent,
        },
        "delayed" => Permanence::Transient,
        "delivered" | "relayed" | "expanded" => return Some(None),
        _ => return None,
    };
    Some(Some(FailedRecipient {
        original: field("original-recipient").and_then(address_of),
        final_recipient,
        status,
        permanence,
    }))
}

/// `rfc822; marie@example.com` (the address type is `rfc822` or `utf-8`, RFC 6533; some
/// servers leave it out or wrap the address in angle brackets).
fn address_of(value: &str) -> Option<EmailAddress> {
    let address = match value.split_once(';') {
        Some((kind, address)) => {
            let kind = kind.trim().to_ascii_lowercase();
            if kind != "rfc822" && kind != "utf-8" {
                return None;
            }
            address
        }
        None => value,
    };
    EmailAddress::parse(address.trim()).ok()
}

/// The RFC 3463 code at the start of a `Status` value: `5.1.1`, `4.2.2 (mailbox full)`.
fn status_code(value: &str) -> Option<String> {
    let code = value.split_whitespace().next()?;
    let mut parts = code.split('.');
    let class = parts.next()?;
    let (subject, detail) = (parts.next()?, parts.next()?);
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    (matches!(class, "2" | "4" | "5")
        && digits(subject, 3)
        && digits(detail, 3)
        && parts.next().is_none())
    .then(|| code.to_owned())
}

#[cfg(test)]
mod tests;
