//! Header values, with a fallback for raw 8-bit bytes that are not UTF-8.
//!
//! mail-parser turns raw Latin-1 bytes in a header (what old clients and some webmails send,
//! against RFC 5322) into U+FFFD. Candidates' accented names would be lost, so when that
//! happens the raw bytes are decoded as windows-1252 (a superset of Latin-1 that browsers and
//! mail clients assume for unlabelled 8-bit text) and parsed again.

use encoding_rs::WINDOWS_1252;
use mail_parser::{HeaderName, Message, MessageParser};

use crate::domain::email::EmailAddress;
use crate::domain::mail::Sender;

const REPLACEMENT: char = '\u{FFFD}';

pub fn subject(message: &Message<'_>) -> String {
    let decoded = message.subject().unwrap_or_default();
    if !decoded.contains(REPLACEMENT) {
        return decoded.to_owned();
    }
    reparsed(message, HeaderName::Subject, "Subject")
        .and_then(|m| m.subject().map(str::to_owned))
        .unwrap_or_else(|| decoded.to_owned())
}

pub fn sender(message: &Message<'_>) -> Option<Sender> {
    let first = message.from().and_then(|a| a.first());
    let display = first.and_then(|a| a.name()).map(str::to_owned);
    let display = match display {
        Some(name) if name.contains(REPLACEMENT) => reparsed(message, HeaderName::From, "From")
            .and_then(|m| {
                m.from()
                    .and_then(|a| a.first())
                    .and_then(|a| a.name().map(str::to_owned))
            })
            .or(Some(name)),
        other => other,
    };
    let address = first
        .and_then(|a| a.address())
        .and_then(|a| EmailAddress::parse(a).ok())?;
    let display_name = display
        .map(|d| d.trim().trim_matches('"').trim().to_owned())
        .filter(|d| !d.is_empty());
    Some(Sender {
        address,
        display_name,
    })
}

pub fn addresses(message: &Message<'_>) -> Vec<EmailAddress> {
    [message.to(), message.cc(), message.bcc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter())
        .filter_map(|addr| addr.address())
        .filter_map(|a| EmailAddress::parse(a).ok())
        .collect()
}

/// The Reply-To addresses.
pub fn reply_to(message: &Message<'_>) -> Vec<EmailAddress> {
    message
        .reply_to()
        .into_iter()
        .flat_map(|list| list.iter())
        .filter_map(|addr| addr.address())
        .filter_map(|a| EmailAddress::parse(a).ok())
        .collect()
}

/// The raw values of the top-level fields named `name` (any case), in order, as written
/// (folds included). What they mean is for the domain to read.
pub fn raw_values(message: &Message<'_>, name: &str) -> Vec<String> {
    message
        .root_part()
        .headers
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(|h| {
            message
                .raw_message()
                .get(h.offset_start as usize..h.offset_end as usize)
        })
        .map(|raw| String::from_utf8_lossy(raw).into_owned())
        .collect()
}

/// Message-IDs as `<id>`, the form the export and the thread headers use.
pub fn message_id(message: &Message<'_>) -> Option<String> {
    message
        .message_id()
        .map(bracketed)
        .filter(|id| id.len() > 2)
}

pub fn id_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match value {
        mail_parser::HeaderValue::Text(id) => vec![bracketed(id)],
        mail_parser::HeaderValue::TextList(ids) => ids.iter().map(|id| bracketed(id)).collect(),
        _ => Vec::new(),
    }
}

fn bracketed(id: &str) -> String {
    format!(
        "<{}>",
        id.trim().trim_start_matches('<').trim_end_matches('>')
    )
}

/// A header's raw value, decoded as windows-1252 when it is not UTF-8, parsed again alone.
fn reparsed(message: &Message<'_>, name: HeaderName<'_>, field: &str) -> Option<Message<'static>> {
    let header = message
        .root_part()
        .headers
        .iter()
        .find(|h| h.name == name)?;
    let raw = message
        .raw_message()
        .get(header.offset_start as usize..header.offset_end as usize)?;
    let text = match std::str::from_utf8(raw) {
        Ok(text) => text.to_owned(),
        Err(_) => WINDOWS_1252.decode(raw).0.into_owned(),
    };
    let synthetic = format!("{field}:{text}\r\n\r\n");
    MessageParser::default()
        .parse(synthetic.as_bytes())
        .map(Message::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> Message<'_> {
        MessageParser::default().parse(raw).expect("parses")
    }

    #[test]
    fn raw_latin1_subject_and_name_are_recovered() {
        let raw = b"From: Ga\xebtan Pr\xe9vost <gaetan@example.fr>\r\nSubject: Coordination Maroc \x96 Pr\xe9vost Ga\xebtan\r\n\r\nbody";
        let message = parse(raw);
        assert_eq!(subject(&message), "Coordination Maroc – Prévost Gaëtan");
        assert_eq!(
            sender(&message).unwrap().display_name.as_deref(),
            Some("Gaëtan Prévost")
        );
    }

    #[test]
    fn raw_utf8_and_encoded_words_are_left_to_the_parser() {
        let raw = "From: =?UTF-8?Q?Ma=C3=ABlys?= Quéré <m@example.fr>\r\nSubject: Coordination Maroc – Quéré Maëlys\r\n\r\nx";
        let message = parse(raw.as_bytes());
        assert_eq!(subject(&message), "Coordination Maroc – Quéré Maëlys");
        assert_eq!(
            sender(&message).unwrap().display_name.as_deref(),
            Some("Maëlys Quéré")
        );
    }

    #[test]
    fn authentication_results_are_handed_over_raw_and_in_order() {
        let message = parse(
            b"Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.org\r\nauthentication-results: other.example; none\r\nSubject: x\r\n\r\nbody",
        );
        assert_eq!(
            raw_values(&message, "Authentication-Results"),
            [
                " mx.example.org;\r\n\tdkim=pass header.d=example.org\r\n",
                " other.example; none\r\n"
            ]
        );
        assert!(raw_values(&message, "Received").is_empty());
    }

    #[test]
    fn message_ids_get_brackets() {
        let message =
            parse(b"Message-ID: abc@x\r\nIn-Reply-To: <p@x>\r\nReferences: <a@x> <b@x>\r\n\r\n");
        assert_eq!(message_id(&message).as_deref(), Some("<abc@x>"));
        assert_eq!(
            id_list(message.references()),
            vec!["<a@x>".to_owned(), "<b@x>".to_owned()]
        );
        assert_eq!(id_list(message.in_reply_to()), vec!["<p@x>".to_owned()]);
    }
}
