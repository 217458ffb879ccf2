use mail_parser::{Message, MessageParser, PartType};

use super::*;

fn limits(max_parts: usize, max_header_bytes: usize) -> ExtractLimits {
    ExtractLimits {
        max_parts,
        max_header_bytes,
        ..ExtractLimits::default()
    }
}

fn generous() -> ExtractLimits {
    limits(usize::MAX, usize::MAX)
}

/// Parts and header fields mail-parser builds, nested messages included.
fn parser_counts(message: &Message<'_>) -> (usize, usize) {
    let mut parts = message.parts.len();
    let mut fields = 0;
    for part in &message.parts {
        fields += part.headers.len();
        if let PartType::Message(inner) = &part.body {
            let (p, f) = parser_counts(inner);
            parts += p;
            fields += f;
        }
    }
    (parts, fields)
}

/// The scan never counts less than the parser builds. (Inputs on which the parser trips
/// one of its own debug assertions, which release builds do not check, are not compared.)
fn assert_covers(raw: &[u8]) -> (usize, usize) {
    let limits = generous();
    let tally = measure(raw, &limits).unwrap();
    let (parts, header_bytes) = (tally.parts, tally.header_bytes);
    let parsed = std::panic::catch_unwind(|| {
        MessageParser::default()
            .parse(raw)
            .map(|message| parser_counts(&message))
    });
    if let Ok(Some((parser_parts, parser_fields))) = parsed {
        assert!(
            parts >= parser_parts,
            "{parts} parts counted, the parser built {parser_parts}: {:?}",
            String::from_utf8_lossy(raw)
        );
        assert!(
            header_bytes >= parser_fields * MIN_FIELD_BYTES,
            "{header_bytes} header bytes counted for {parser_fields} fields: {:?}",
            String::from_utf8_lossy(raw)
        );
    }
    (parts, header_bytes)
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

#[test]
fn an_ordinary_message_is_counted_as_the_parser_reads_it() {
    let raw = crlf(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\npreamble --B-- is not here\n--B\nContent-Type: multipart/alternative; boundary=\"A\"\n\n--A\nContent-Type: text/plain\n\nhello\n--A\nContent-Type: text/html\n\n<p>hello</p>\n--A--\n--B\nContent-Type: application/pdf; name=\"CV.pdf\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--B--\n",
    );
    let (parts, header_bytes) = assert_covers(&raw);
    let parsed = MessageParser::default().parse(&raw[..]).unwrap();
    assert_eq!(parts, parser_counts(&parsed).0);
    assert!(header_bytes < 1_000, "{header_bytes}");
}

#[test]
fn the_corpus_is_counted_at_least_as_the_parser_reads_it() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus");
    for folder in ["inbox", "sent"] {
        for entry in std::fs::read_dir(corpus.join(folder)).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let raw = crate::extract::unfold::join_folded_parameters(&raw);
            let (parts, _) = assert_covers(&raw);
            let parsed = MessageParser::default().parse(&raw[..]).unwrap();
            assert!(parts <= parser_counts(&parsed).0 + 2, "{parts}");
        }
    }
}

#[test]
fn empty_parts_are_refused_before_the_parser_builds_them() {
    let mut raw = crlf("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n");
    raw.extend(b"--b\r\n\r\n".repeat(600));
    let err = measure(&raw, &limits(500, 1 << 20)).unwrap_err();
    assert!(
        matches!(err, ExtractError::TooManyParts { limit: 500, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("limits.max_parts"), "{err}");
    assert_covers(&raw);
}

#[test]
fn delimiters_mid_line_count_as_the_parser_finds_them() {
    let mut raw = crlf("From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n");
    raw.extend(b"x--b\r\n\r\nbody--b\r\n\r\n".repeat(10));
    let (parts, _) = assert_covers(&raw);
    assert!(parts >= 21, "{parts}");
}

#[test]
fn a_chain_of_nested_messages_is_refused() {
    let raw = b"Content-Type: message/rfc822\r\n\r\n".repeat(1_000);
    let err = measure(&raw, &limits(500, 1 << 20)).unwrap_err();
    assert!(matches!(err, ExtractError::TooManyParts { .. }), "{err}");
    // Read as the parser reads it: a comment, other cases, another field before it.
    let varied = b"X-Before: 1\r\nCONTENT-TYPE: Message/(x)RFC822\r\n\r\n".repeat(20);
    let (parts, _) = assert_covers(&varied);
    assert_eq!(parts, 21, "20 nested messages, and the last one's body");
}

#[test]
fn millions_of_short_fields_count_what_they_cost_the_parser() {
    let mut raw = b"X-A: a\r\n".repeat(40_000);
    raw.extend(b"Subject: x\r\n\r\nbody\r\n");
    let err = measure(&raw, &limits(500, 2 << 20)).unwrap_err();
    assert!(matches!(err, ExtractError::HeadersTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("limits.max_header_bytes"), "{err}");
    let (_, header_bytes) = assert_covers(&raw[..8 * 1000]);
    assert!(header_bytes >= 1000 * MIN_FIELD_BYTES);
}

#[test]
fn header_sections_of_parts_and_nested_messages_count() {
    let nested = "Content-Type: message/rfc822\n\nFrom: b@example.com\nX-1: a\n b\n \nX-2: c\n\ninner body\n";
    let raw = crlf(&format!(
        "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\n{nested}--b\nContent-Type: text/plain\n\nX-Not-A-Header: body\n--b--\n"
    ));
    let (parts, header_bytes) = assert_covers(&raw);
    assert_eq!(parts, 4, "the message, its two parts, the nested message");
    // The body line is no header; the nested message's fields are.
    let fields = 2 + 1 + 3 + 1;
    assert!(header_bytes >= fields * MIN_FIELD_BYTES, "{header_bytes}");
    assert!(
        header_bytes < (fields + 3) * MIN_FIELD_BYTES,
        "{header_bytes}"
    );
}

#[test]
fn a_boundary_declared_in_rfc2231_form_is_read_as_the_parser_reads_it() {
    let mut raw = crlf(
        "From: a@example.com\nContent-Type: multipart/mixed;\n boundary*0=\"ab\";\n boundary*1=\"cd\"\n\n",
    );
    raw.extend(b"--abcd\r\n\r\n".repeat(30));
    let (parts, _) = assert_covers(&raw);
    assert!(parts >= 31, "{parts}");
    let mut encoded = crlf("Content-Type: multipart/mixed; boundary*=utf-8''%61%62\n\n");
    encoded.extend(b"--ab\r\n\r\n".repeat(30));
    assert!(assert_covers(&encoded).0 >= 31);
}

#[test]
fn a_digest_holds_messages_by_default() {
    let mut raw = crlf("Content-Type: multipart/digest; boundary=d\n\n");
    raw.extend(b"--d\r\n\r\nFrom: x@example.com\r\nX: y\r\n\r\nbody\r\n".repeat(30));
    let (parts, header_bytes) = assert_covers(&raw);
    assert!(parts >= 61, "{parts}");
    assert!(header_bytes >= 60 * MIN_FIELD_BYTES, "{header_bytes}");
}

#[test]
fn a_closing_delimiter_does_not_hide_the_next_part_of_a_digest() {
    // After `--a--` the parser goes back to the digest's body; its next part, without a
    // Content-Type, is a message whose header section must count.
    let mut raw = crlf(
        "Content-Type: multipart/digest; boundary=d

--d
Content-Type: multipart/mixed; boundary=a

--a

x
--a--
--d

",
    );
    raw.extend(
        b"X-A: a
"
        .repeat(100),
    );
    raw.extend(
        b"
body
--d--
",
    );
    let (_, header_bytes) = assert_covers(&raw);
    assert!(header_bytes >= 100 * MIN_FIELD_BYTES, "{header_bytes}");
}

#[test]
fn encoded_nested_messages_are_decoded_and_counted() {
    use base64::Engine;
    let mut inner = b"Content-Type: multipart/mixed; boundary=i\r\n\r\n".to_vec();
    inner.extend(b"--i\r\n\r\n".repeat(600));
    let encoded = base64::engine::general_purpose::STANDARD.encode(&inner);
    let raw = format!(
        "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n--o--\r\n"
    );
    let err = measure(raw.as_bytes(), &limits(500, 1 << 20)).unwrap_err();
    assert!(matches!(err, ExtractError::TooManyParts { .. }), "{err}");
    assert_covers(raw.as_bytes());

    // Quoted-printable, where `=` is written `=3D`: the declaration is only readable decoded.
    let mut qp = b"Content-Type: multipart/mixed; boundary=3Dq\r\n\r\n".to_vec();
    qp.extend(b"--q\r\n\r\n".repeat(600));
    let mut raw =
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            .to_vec();
    raw.extend(&qp);
    let err = measure(&raw, &limits(500, 1 << 20)).unwrap_err();
    assert!(matches!(err, ExtractError::TooManyParts { .. }), "{err}");
    assert_covers(&raw);
}

#[test]
fn nested_multiparts_are_followed_out_again() {
    let mut raw = crlf("Content-Type: multipart/mixed; boundary=b0\n\n");
    for i in 0..40 {
        raw.extend(
            format!(
                "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                i + 1
            )
            .as_bytes(),
        );
    }
    for i in (0..41).rev() {
        raw.extend(format!("--b{i}\r\n\r\nx\r\n--b{i}--\r\n").as_bytes());
    }
    let (parts, _) = assert_covers(&raw);
    assert_eq!(parts, 1 + 40 + 41, "the message, 40 multiparts, 41 leaves");
}

#[test]
fn garbage_never_panics() {
    for raw in [
        &b""[..],
        b"\n\n\n",
        b"--",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!",
        b"\xff\xfe:\x00\r\n \r\n\t\r\n:",
    ] {
        let _ = measure(raw, &generous());
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Pieces a message is made of: header lines of every kind, delimiters of a few
    /// boundaries (at line starts and mid-line), declarations, nested messages, folds and
    /// white-space lines.
    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "\r\n",
            " \r\n",
            "\t\r\n",
            "X-A: a\r\n",
            " folded\r\n",
            "garbage line\r\n",
            ": no name\r\n",
            "Content-Type: multipart/mixed; boundary=a\r\n",
            "Content-Type: multipart/digest; boundary=d\r\n",
            "Content-Type: multipart/alternative;\r\n boundary=\"b b\"\r\n",
            "Content-Type: message/rfc822\r\n",
            "Content-Type: text/plain\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n",
            "--a\r\n",
            "--a--\r\n",
            "--d\r\n",
            "--d--\r\n",
            "--b b--\r\n",
            "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nQ29udGVudC1UeXBlOiBtZXNzYWdlL3JmYzgyMg0KDQpYOiBhDQo=\r\n",
            "--b b\r\n",
            "text--a\r\n",
            "--a \r\n",
            "body text\r\n",
            "bare\n",
            "\n",
            "--a",
            "Content-Type: message/rfc822\n",
            "Content-Transfer-Encoding: base64\r\n",
            "LS1hDQoNCkNvbnRlbnQtVHlwZTogbWVzc2FnZS9yZmM4MjINCg0K\r\n",
            "Content-Type: message/global\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nContent-Type: multipart/mixed; boundary=3Dq\r\n\r\n--q\r\nX: y\r\n\r\n--q\r\n",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn the_scan_never_counts_less_than_the_parser_builds(
            pieces in proptest::collection::vec(piece(), 0..80),
        ) {
            let raw: Vec<u8> = pieces.concat().into_bytes();
            assert_covers(&raw);
        }
    }
}
