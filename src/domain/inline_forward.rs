//! Inline forwards: a colleague who received an application at a personal address forwards
//! it in the body, not as an attachment. Each mail client writes the original's headers as
//! text under a line of its own:
//!
//! - Outlook: a line of underscores or "-----Original Message-----" / "-----Message
//!   d'origine-----", then "De : … Envoyé : … À : … Objet :" (French) or "From: … Sent: … To:
//!   … Subject:";
//! - Gmail: "---------- Forwarded message ---------" (French: "Message transféré"), then
//!   "From: / De :", "Date", "Subject: / Objet :", "To: / À :";
//! - Thunderbird: "-------- Message transféré --------" / "-------- Forwarded Message
//!   --------", then "Sujet : / Subject:", "Date", "De : / From:", "Pour : / To:";
//! - Apple Mail: "Begin forwarded message:" / "Début du message réexpédié :";
//! - mutt: "----- Forwarded message from Name <address> -----".
//!
//! The block is text anyone can type, so what it yields is less certain than a
//! message/rfc822 forward: the filing is flagged.

use super::email::EmailAddress;
use super::fold::fold;
use super::mail::Sender;

/// The original message as the forward's text shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineForward {
    pub from: Sender,
    /// The original subject, when the block has one.
    pub subject: Option<String>,
    /// The original message's text: what follows the block.
    pub body: String,
}

/// Folded words of the line that opens a forwarded block.
const MARKERS: &[&str] = &[
    "forwarded message",
    "message transfere",
    "original message",
    "message d origine",
    "message original",
    "begin forwarded message",
    "debut du message reexpedie",
    "message reexpedie",
    "weitergeleitete nachricht",
    "mensaje reenviado",
];

/// Header names of the block (folded: "À" is "a", "Envoyé" is "envoye").
const FROM_KEYS: &[&str] = &["from", "de", "von", "remitente"];
const SUBJECT_KEYS: &[&str] = &["subject", "objet", "sujet", "betreff", "asunto"];
const OTHER_KEYS: &[&str] = &[
    "date",
    "sent",
    "envoye",
    "le",
    "to",
    "a",
    "pour",
    "cc",
    "reply to",
    "repondre a",
    "importance",
    "gesendet",
    "an",
    "fecha",
    "para",
    // mutt's forward_decode keeps these of the original's headers.
    "message id",
    "mime version",
    "content type",
    "content transfer encoding",
    "content disposition",
    "in reply to",
    "references",
    "user agent",
    "x mailer",
];

/// How far below a marker the block may start, and how many lines a block may hold.
const MAX_GAP: usize = 3;
const MAX_BLOCK: usize = 12;

/// The first forwarded message in `body`, when its block names a sender with an address.
pub fn inline_forward(body: &str) -> Option<InlineForward> {
    let lines: Vec<&str> = body.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let start = if is_marker(line) {
            i + 1
        } else if header(line).is_some_and(|(k, _)| FROM_KEYS.contains(&k.as_str())) {
            // Outlook without a separator line: a From line is a block only with a subject
            // close below it (checked by `block`).
            i
        } else {
            continue;
        };
        let marker_sender = if start > i { mutt_sender(line) } else { None };
        if let Some(found) = block(&lines, start, marker_sender) {
            return Some(found);
        }
    }
    None
}

fn is_marker(line: &str) -> bool {
    let trimmed = unquoted(line);
    if trimmed.len() >= 10 && trimmed.chars().all(|c| c == '_') {
        return true;
    }
    // A marker is a line of its own, usually between dashes: not a sentence that mentions
    // a forwarded message.
    let key = fold(trimmed);
    key.split(' ').count() <= 8 && MARKERS.iter().any(|m| key.contains(m))
}

/// mutt: "----- Forwarded message from Leïla Bennani <leila@example.com> -----".
fn mutt_sender(line: &str) -> Option<Sender> {
    let text = unquoted(line).trim_matches(|c: char| c == '-' || c.is_whitespace());
    let (_, rest) = text.split_once(" from ")?;
    sender(rest)
}

/// Reads the header block from `start`: blank lines first (up to [`MAX_GAP`]), then
/// `Name: value` lines up to a blank line. A block needs a sender with an address and a
/// subject (or a marker line above it).
fn block(lines: &[&str], start: usize, marker_sender: Option<Sender>) -> Option<InlineForward> {
    let marked = marker_sender.is_some() || start > 0 && is_marker(lines[start - 1]);
    let mut at = start;
    while at < lines.len() && at < start + MAX_GAP && unquoted(lines[at]).is_empty() {
        at += 1;
    }
    let (mut from, mut subject, mut seen) = (None, None, 0);
    while at < lines.len() && seen < MAX_BLOCK {
        let line = unquoted(lines[at]);
        if line.is_empty() {
            break;
        }
        match header(line) {
            Some((key, value)) if FROM_KEYS.contains(&key.as_str()) => {
                from = from.or_else(|| sender(&value));
            }
            Some((key, value)) if SUBJECT_KEYS.contains(&key.as_str()) => {
                subject = subject.or(Some(value));
            }
            Some((key, _)) if OTHER_KEYS.contains(&key.as_str()) => {}
            // A folded "À :" line of many recipients goes on without a name.
            _ if seen > 0 && lines[at].starts_with([' ', '\t']) => {}
            _ => break,
        }
        seen += 1;
        at += 1;
    }
    if seen == 0 || !(marked || subject.is_some()) {
        return None;
    }
    let from = from.or(marker_sender)?;
    let body = lines[at.min(lines.len())..]
        .iter()
        .map(|l| {
            l.strip_prefix('>')
                .map_or(*l, |rest| rest.strip_prefix(' ').unwrap_or(rest))
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(InlineForward {
        from,
        subject: subject.filter(|s| !s.is_empty()),
        body: body.trim().to_owned(),
    })
}

/// `Name: value` (or "Name : value", as French typography writes it, and "*Name:*" as some
/// clients render bold), with the name folded.
fn header(line: &str) -> Option<(String, String)> {
    let line = unquoted(line);
    let (name, value) = line.split_once(':')?;
    let name = fold(name.trim_matches(|c: char| c == '*' || c.is_whitespace()));
    if name.is_empty() || name.split(' ').count() > 3 {
        return None;
    }
    let value = value.trim_matches(|c: char| c == '*' || c.is_whitespace());
    Some((name, value.to_owned()))
}

/// "Leïla Bennani <leila@example.com>", "Leïla Bennani [mailto:leila@example.com]",
/// "\"Bennani, Leïla\" <leila@example.com>" or a bare address.
fn sender(value: &str) -> Option<Sender> {
    let address = value
        .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '[' | ']' | '(' | ')'))
        .map(|t| t.strip_prefix("mailto:").unwrap_or(t))
        .map(|t| t.trim_matches(|c: char| matches!(c, '"' | '\'' | ',' | ';' | '*')))
        .find(|t| t.contains('@'))
        .and_then(|t| EmailAddress::parse(t).ok())?;
    let display = value
        .find(['<', '['])
        .map(|i| {
            value[..i].trim_matches(|c: char| matches!(c, '"' | '\'' | '*') || c.is_whitespace())
        })
        .filter(|d| !d.is_empty() && !d.contains('@'))
        .map(str::to_owned);
    Some(Sender {
        address,
        display_name: display,
    })
}

/// The line without the quote marks some clients put before forwarded text.
fn unquoted(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
        .trim_end()
}

#[cfg(test)]
mod tests;
