//! The vendored mail-parser (vendor/mail-parser, PATCHED.md) decodes base64 bodies faster; it
//! must parse every message exactly as the crate it was taken from. Both parse the same
//! generated messages: well-formed bodies and the damage real mail shows (odd line widths,
//! blanks, padding in the middle, stray dashes and junk, missing or glued boundaries).

use mail_parser::MessageParser as Patched;
use mail_parser_upstream::MessageParser as Upstream;
use proptest::prelude::*;

/// What a parse says of each part: its decoded contents, where it sits, and whether its
/// encoding was broken.
type Parts = Vec<(Vec<u8>, [u32; 4], bool)>;

macro_rules! parts {
    ($message:expr) => {
        $message
            .map(|message| {
                message
                    .parts
                    .iter()
                    .map(|part| {
                        (
                            part.contents().to_vec(),
                            [
                                part.raw_header_offset(),
                                part.raw_body_offset(),
                                part.raw_end_offset(),
                                part.sub_parts().map_or(0, |p| p.len() as u32),
                            ],
                            part.is_encoding_problem,
                        )
                    })
                    .collect::<Parts>()
            })
            .unwrap_or_default()
    };
}

fn both(raw: &[u8]) -> (Parts, Parts) {
    (
        parts!(Patched::default().parse(raw)),
        parts!(Upstream::default().parse(raw)),
    )
}

/// A base64 body as a mail client writes it, then damaged at a few places.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let damage = prop_oneof![
        Just(&b" "[..]),
        Just(&b"\t"[..]),
        Just(&b"="[..]),
        Just(&b"=="[..]),
        Just(&b"-"[..]),
        Just(&b"--"[..]),
        Just(&b"\r"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"!"[..]),
        Just(&b"\xc3\xa9"[..]),
        Just(&b"A"[..]),
        Just(&b"\r\n--b"[..]),
        Just(&b"--b"[..]),
    ];
    (
        // Past 4,096 base64 characters, a body is decoded in several chunks of whole lines.
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..1400),
            1 => proptest::collection::vec(any::<u8>(), 0..9000),
        ],
        // Past 128, a line is handed to the SIMD decoder in several runs.
        1usize..400,
        any::<bool>(),
        proptest::collection::vec((any::<proptest::sample::Index>(), damage), 0..4),
    )
        .prop_map(|(payload, width, crlf, damage)| {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(payload);
            let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut body = Vec::new();
            for line in encoded.as_bytes().chunks(width) {
                body.extend_from_slice(line);
                body.extend_from_slice(eol);
            }
            for (at, bytes) in damage {
                let at = at.index(body.len() + 1);
                body.splice(at..at, bytes.iter().copied());
            }
            body
        })
}

fn multipart(bodies: &[Vec<u8>], closing: &[u8]) -> Vec<u8> {
    let mut raw = b"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npreamble\r\n"
        .to_vec();
    for body in bodies {
        raw.extend_from_slice(
            b"--b\r\nContent-Type: application/pdf; name=\"cv.pdf\"\r\n\
              Content-Transfer-Encoding: base64\r\n\r\n",
        );
        raw.extend_from_slice(body);
    }
    raw.extend_from_slice(closing);
    raw
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn multipart_bodies_parse_as_upstream(
        bodies in proptest::collection::vec(body(), 1..4),
        closing in prop_oneof![
            Just(&b"--b--\r\n"[..]),
            Just(&b"\r\n--b--\r\n"[..]),
            Just(&b"--b--"[..]),
            Just(&b""[..]),
            Just(&b"--c--\r\n"[..]),
        ],
    ) {
        let raw = multipart(&bodies, closing);
        let (patched, upstream) = both(&raw);
        prop_assert!(!upstream.is_empty());
        prop_assert_eq!(patched, upstream);
    }

    #[test]
    fn single_part_bodies_parse_as_upstream(body in body()) {
        let mut raw = b"From: a@example.org\r\nContent-Type: application/pdf\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        raw.extend_from_slice(&body);
        let (patched, upstream) = both(&raw);
        prop_assert!(!upstream.is_empty());
        prop_assert_eq!(patched, upstream);
    }
}

/// The fast path must actually decode: a clean body comes out as the bytes encoded.
#[test]
fn clean_body_decodes_to_its_payload() {
    use base64::Engine;
    let payload: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&payload);
    let mut body = Vec::new();
    for line in encoded.as_bytes().chunks(76) {
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
    }
    let raw = multipart(&[body], b"--b--\r\n");
    let message = Patched::default().parse(&raw).expect("parses");
    assert_eq!(
        message.attachment(0).map(|a| a.contents()),
        Some(&payload[..])
    );
}
