use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_parser::{Message, MessageParser, PartType};
use proptest::prelude::*;

use super::*;
use crate::extract::ExtractLimits;
use crate::extract::shape;

/// Every part's headers and body, nested messages' included, as the parser made them.
fn parts(message: &Message<'_>) -> Vec<(Vec<String>, Vec<u8>)> {
    let mut out = Vec::new();
    for part in &message.parts {
        let headers = part
            .headers
            .iter()
            .filter(|h| h.name != HeaderName::ContentTransferEncoding)
            .map(|h| format!("{:?}", h.value))
            .collect();
        match &part.body {
            PartType::Message(inner) => {
                out.push((headers, Vec::new()));
                out.extend(parts(inner));
            }
            PartType::Multipart(_) => out.push((headers, Vec::new())),
            _ => out.push((headers, part.contents().to_vec())),
        }
    }
    out
}

/// Parses `raw` both ways; the deferred parse's parts, when it was used, are the parser's.
/// Returns whether it was.
fn assert_same_as_parser(raw: &[u8]) -> bool {
    let deferred = shape::check(raw, &ExtractLimits::default()).unwrap();
    let stripped = strip(raw, &deferred);
    let Some(deferred) = parse(&stripped, raw, &deferred) else {
        return false;
    };
    let parser = MessageParser::default().parse(raw).unwrap();
    assert_eq!(
        parts(&deferred),
        parts(&parser),
        "{}",
        String::from_utf8_lossy(raw)
    );
    true
}

fn with_attachment(content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n--B\r\nContent-Type: {content_type}; name=\"CV.pdf\"\r\nContent-Disposition: attachment; filename=\"CV.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n--B--\r\n"
    )
    .into_bytes()
}

#[test]
fn the_corpus_parses_as_the_parser_alone_parses_it() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    let mut deferred = 0;
    for folder in ["inbox", "sent"] {
        for entry in std::fs::read_dir(corpus.join(folder)).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let raw = crate::extract::unfold::join_folded_parameters(&raw);
            deferred += usize::from(assert_same_as_parser(&raw));
        }
    }
    // Most applications carry a base64 attachment: the fast way is the usual one.
    assert!(deferred > 50, "{deferred}");
}

#[test]
fn an_attachment_is_decoded_outside_the_parser() {
    let pdf = b"%PDF-1.4 a cv\n".repeat(100);
    let body = STANDARD.encode(&pdf);
    let wrapped: Vec<&str> = body
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let raw = with_attachment("application/pdf", &wrapped.join("\r\n"));
    let deferred = shape::check(&raw, &ExtractLimits::default()).unwrap();
    assert_eq!(deferred.len(), 1);
    assert_eq!(
        &raw[deferred[0].body.clone()],
        wrapped.join("\r\n").as_bytes()
    );
    assert_eq!(&raw[deferred[0].encoding_at..][..6], b"base64");
    let stripped = strip(&raw, &deferred);
    assert_eq!(stripped.len(), raw.len() - deferred[0].body.len());
    let message = parse(&stripped, &raw, &deferred).expect("deferred");
    let attachment = &message.parts[2];
    assert_eq!(attachment.contents(), pdf);
    assert_eq!(attachment.encoding, Encoding::Base64);
    assert!(assert_same_as_parser(&raw));
}

#[test]
fn text_parts_and_nested_messages_are_left_to_the_parser() {
    let raw = with_attachment("text/plain", "Qm9uam91cg==");
    assert!(
        shape::check(&raw, &ExtractLimits::default())
            .unwrap()
            .is_empty()
    );
    let raw = with_attachment("message/rfc822", "RnJvbTogYkBleGFtcGxlLmNvbQ0KDQpoaQ==");
    assert!(
        shape::check(&raw, &ExtractLimits::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn an_attachment_in_a_forwarded_message_is_deferred_too() {
    let inner = String::from_utf8(with_attachment("application/pdf", "JVBERi0xLjQK")).unwrap();
    let raw = format!(
        "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"O\"\r\n\r\n--O\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--O--\r\n"
    );
    let deferred = shape::check(raw.as_bytes(), &ExtractLimits::default()).unwrap();
    assert_eq!(deferred.len(), 1);
    assert!(assert_same_as_parser(raw.as_bytes()));
}

/// Padding mid-stream (two encodings run together) is valid to the parser, not to a strict
/// decoder: the parser's reading stands.
#[test]
fn a_part_that_does_not_decode_strictly_is_left_to_the_parser() {
    let raw = with_attachment("application/pdf", "JVBERg==\r\nLTEu\r\n");
    let deferred = shape::check(&raw, &ExtractLimits::default()).unwrap();
    assert_eq!(deferred.len(), 1);
    assert!(parse(&strip(&raw, &deferred), &raw, &deferred).is_none());
    let mail = crate::extract::parse_mail(&raw, &ExtractLimits::default()).unwrap();
    let parser = MessageParser::default().parse(&raw[..]).unwrap();
    assert_eq!(&mail.documents[0].bytes[..], parser.parts[2].contents());
    assert_eq!(&mail.documents[0].bytes[..], b"%PDF-1.");
}

/// Should the scan and the parser ever disagree on where a part's fields are, a marker
/// could land in a body: the parser then does not read it as an encoding, and the message
/// is parsed as it came.
#[test]
fn a_marker_the_parser_does_not_read_as_an_encoding_is_refused() {
    let raw =
        b"From: a@example.com\r\nContent-Type: text/plain\r\n\r\nsend it as base64 please\r\n";
    let in_body = raw.windows(6).position(|w| w == b"base64").unwrap();
    let deferred = [Deferred {
        encoding_at: in_body,
        body: raw.len()..raw.len(),
    }];
    assert!(parse(&strip(raw, &deferred), raw, &deferred).is_none());
    // A part the scan saw in base64, which the parser reads as text.
    let raw = with_attachment("text/plain", "Qm9uam91cg==");
    let field = raw.windows(6).position(|w| w == b"base64").unwrap();
    let body = raw.windows(12).position(|w| w == b"Qm9uam91cg==").unwrap();
    let deferred = [Deferred {
        encoding_at: field,
        body: body..body + 12,
    }];
    assert!(parse(&strip(&raw, &deferred), &raw, &deferred).is_none());
}

proptest! {
    /// Whatever the bytes, the line length, the line breaks and the white space around the
    /// lines, an attachment decodes as the parser decodes it.
    #[test]
    fn any_wrapping_decodes_as_the_parser_decodes(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        line in 1usize..120,
        crlf in any::<bool>(),
        trailing in prop::sample::select(vec!["", " ", "\t", "  "]),
    ) {
        let encoded = STANDARD.encode(&bytes);
        let lines: Vec<String> = encoded
            .as_bytes()
            .chunks(line)
            .map(|c| format!("{}{trailing}", std::str::from_utf8(c).unwrap()))
            .collect();
        let body = lines.join(if crlf { "\r\n" } else { "\n" });
        let raw = with_attachment("application/octet-stream", &body);
        let deferred = shape::check(&raw, &ExtractLimits::default()).unwrap();
        prop_assert_eq!(deferred.len(), 1);
        if !bytes.is_empty() {
            prop_assert!(assert_same_as_parser(&raw));
        }
    }
}
