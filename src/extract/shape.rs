//! A message's shape, read from its raw bytes before mail-parser builds it: how many MIME
//! parts and how many bytes of header sections the parser would make structures for.
//!
//! mail-parser builds every part and every header field of a message before anything can be
//! checked, keeping a few hundred bytes for each part and about 120 bytes for each field:
//! 49 MB of empty parts cost it 1.3 GB, 49 MB of short header lines 1 GB, and 49 MB of nested
//! `message/rfc822` headers overflowed its stack. This scan refuses such a message first
//! (`limits.max_parts`, `limits.max_header_bytes`), in time linear in the message's size
//! and memory bounded by its header allowance.
//!
//! It reads the message as the parser does (mail-parser 0.11's `src/parsers/message.rs`),
//! without building anything:
//! - a header section ends at a line of white space, except that a line starting with a
//!   space or tab continues the field before it; its fields are read by mail-parser itself,
//!   cheaply since they are bounded, so that RFC 2231 boundaries, comments and the last of
//!   two Content-Types are read as the parser reads them;
//! - a multipart's first part starts after the first `--boundary` anywhere after its
//!   section, and each part's body runs to the next one of the innermost multipart; a
//!   closing `--boundary--` hands back to the enclosing multipart, whose next delimiter is
//!   sought; a part of a multipart/digest without a Content-Type is a message;
//! - an unencoded nested message's own section follows its part's; one encoded in base64
//!   or quoted-printable, which the parser decodes and parses in turn (three levels deep), is
//!   decoded and scanned the same way.
//!
//! Every section is a part, and a field counts at least [`MIN_FIELD_BYTES`]. Where the two
//! readings could differ the scan counts more, never less: a property test holds it to that
//! on generated messages, and to equality on the fixture corpus. It costs little next to
//! the rest of a message's work: bodies are skipped with one `memmem` search per delimiter
//! (14 GB/s here), and each section's fields are parsed once more. On a 330 KB application
//! with two base64 PDFs it took 35–60 µs, against 90–140 µs for mail-parser's own parse and
//! about 300 µs for the SHA-256 of its documents.

use mail_parser::{HeaderName, MessageParser, MessagePart, MimeHeaders};
use memchr::memmem;

use super::deferred::Deferred;
use super::{ExtractError, ExtractLimits};

/// How deep mail-parser decodes and parses encoded nested messages (its
/// `MAX_NESTED_ENCODED`).
const ENCODED_DEPTH: usize = 3;

/// What a header field counts at least, so that a million tiny fields cost what they cost
/// the parser.
pub const MIN_FIELD_BYTES: usize = 64;

/// Checks `raw` (after the folded-parameter repair: what the parser reads) against the
/// part and header limits; returns the leaf parts in base64 that are no text, whose
/// decoding is left to [`super::deferred`].
pub(super) fn check(raw: &[u8], limits: &ExtractLimits) -> Result<Vec<Deferred>, ExtractError> {
    measure(raw, limits).map(|tally| tally.deferred)
}

/// The parts and header bytes counted in `raw`, or the first limit passed.
fn measure<'l>(raw: &[u8], limits: &'l ExtractLimits) -> Result<Tally<'l>, ExtractError> {
    let mut tally = Tally {
        parts: 0,
        header_bytes: 0,
        limits,
        deferred: Vec::new(),
    };
    scan(raw, ENCODED_DEPTH, &mut tally)?;
    Ok(tally)
}

/// The counts so far, over a message and the encoded messages inside it.
#[derive(Debug)]
struct Tally<'l> {
    parts: usize,
    header_bytes: usize,
    limits: &'l ExtractLimits,
    /// The message's parts (not an encoded message's inside it) left to `deferred`.
    deferred: Vec<Deferred>,
}

impl Tally<'_> {
    fn part(&mut self) -> Result<(), ExtractError> {
        self.parts += 1;
        if self.parts > self.limits.max_parts {
            return Err(ExtractError::TooManyParts {
                found: self.parts,
                limit: self.limits.max_parts,
            });
        }
        Ok(())
    }

    fn header_bytes(&mut self, n: usize) -> Result<(), ExtractError> {
        self.header_bytes = self.header_bytes.saturating_add(n);
        if self.header_bytes > self.limits.max_header_bytes {
            return Err(ExtractError::HeadersTooLarge {
                found: self.header_bytes,
                limit: self.limits.max_header_bytes,
            });
        }
        Ok(())
    }
}

/// What the parser is inside of while it reads a message.
enum Frame {
    /// A multipart: its parts are delimited by `--` + its boundary.
    Multipart { delimiter: Vec<u8>, digest: bool },
    /// An unencoded nested message, which ends where its enclosing multipart's part does.
    Message,
}

/// The delimiter that ends the current part: the innermost multipart's.
fn current_delimiter(frames: &[Frame]) -> Option<&[u8]> {
    frames.iter().rev().find_map(|frame| match frame {
        Frame::Multipart { delimiter, .. } => Some(delimiter.as_slice()),
        Frame::Message => None,
    })
}

fn scan(raw: &[u8], depth: usize, tally: &mut Tally<'_>) -> Result<(), ExtractError> {
    let mut frames: Vec<Frame> = Vec::new();
    let mut at = 0;
    'parts: loop {
        // A header section, and the part it describes.
        tally.part()?;
        let in_digest = matches!(frames.last(), Some(Frame::Multipart { digest: true, .. }));
        let start = at;
        let Some(end) = read_section(raw, at, tally)? else {
            break;
        };
        at = end;
        let Facts {
            kind,
            multipart,
            base64_at,
        } = facts(&raw[start..at], in_digest);
        if let Some((boundary, digest)) = multipart {
            let delimiter = [b"--".as_slice(), &boundary].concat();
            // The parser takes the first `--boundary` anywhere for the opening delimiter.
            if let Some(found) = memmem::find(&raw[at..], &delimiter) {
                at = skip_line_break(raw, at + found + delimiter.len());
                frames.push(Frame::Multipart { delimiter, digest });
                continue;
            }
            // Without one, the parser reads the part as text.
        } else if let Kind::Message { encoded: None } = kind {
            frames.push(Frame::Message);
            continue;
        }
        // A part with a body: it runs to the innermost multipart's next delimiter.
        let ends_at = current_delimiter(&frames)
            .and_then(|d| memmem::find(&raw[at..], d).map(|found| (at + found, d.len())));
        if let Kind::Message {
            encoded: Some(encoding),
        } = kind
            && depth > 0
        {
            let body = &raw[at..body_end(raw, at, ends_at)];
            scan(&decode(body, encoding), depth - 1, tally)?;
        }
        if let (Some(offset), ENCODED_DEPTH) = (base64_at, depth) {
            tally.deferred.push(Deferred {
                encoding_at: start + offset,
                body: at..body_end(raw, at, ends_at),
            });
        }
        let Some((delimiter, len)) = ends_at else {
            break;
        };
        at = delimiter + len;
        // After a delimiter: the end of a nested message, of multiparts, or the next part.
        loop {
            if matches!(frames.last(), Some(Frame::Message)) {
                frames.pop();
            }
            if !raw[at..].starts_with(b"--") {
                at = skip_line_break(raw, at);
                continue 'parts;
            }
            at += 2;
            while let Some(Frame::Message) = frames.pop() {}
            let Some(found) = current_delimiter(&frames)
                .and_then(|d| memmem::find(&raw[at..], d).map(|found| found + d.len()))
            else {
                break 'parts;
            };
            at += found;
        }
    }
    Ok(())
}

/// Reads the header section starting at `at`, counting its bytes; returns where its body
/// starts, or `None` when the input ends first (the parser then stops).
fn read_section(
    raw: &[u8],
    mut at: usize,
    tally: &mut Tally<'_>,
) -> Result<Option<usize>, ExtractError> {
    // Whether the line before started or continued a field, which a line starting with a
    // space or tab then continues.
    let mut in_field = false;
    while at < raw.len() {
        let line_end = memchr::memchr(b'\n', &raw[at..]).map_or(raw.len(), |i| at + i + 1);
        let line = &raw[at..line_end];
        at = line_end;
        let continues = in_field && matches!(line.first(), Some(b' ' | b'\t'));
        if !continues && line.iter().all(u8::is_ascii_whitespace) {
            return Ok(line.ends_with(b"\n").then_some(line_end));
        }
        let starts_field = !continues && is_field(line, line_end == raw.len());
        in_field = continues || starts_field;
        tally.header_bytes(if starts_field {
            line.len().max(MIN_FIELD_BYTES)
        } else {
            line.len()
        })?;
    }
    Ok(None)
}

/// Whether a line starts a header field as mail-parser reads one: a name (after white
/// space and stray colons) followed by a colon on the same line, or anything at all on a
/// last line without a line break, which the parser takes for a name. Other lines are
/// passed over.
fn is_field(line: &[u8], last: bool) -> bool {
    line.iter()
        .position(|&b| !b.is_ascii_whitespace() && b != b':')
        .is_some_and(|name| last || line[name..].contains(&b':'))
}

/// What a header section says of its part.
struct Facts {
    kind: Kind,
    /// The boundary it declares, and whether it is a multipart/digest's.
    multipart: Option<(Vec<u8>, bool)>,
    /// Where in the section the `base64` of a part that is neither text, a message nor a
    /// multipart starts.
    base64_at: Option<usize>,
}

enum Kind {
    Message { encoded: Option<&'static str> },
    Other,
}

/// Reads a header section's fields with mail-parser alone (the section is bounded by the
/// header allowance, so this costs little).
fn facts(section: &[u8], in_digest: bool) -> Facts {
    let mut fields = section.to_vec();
    fields.extend_from_slice(b"\r\n\r\n");
    let parsed = MessageParser::default().parse_headers(&fields);
    let part = parsed.as_ref().map(|m| m.root_part());
    let multipart = part.and_then(|p| p.content_type()).and_then(|ct| {
        let boundary = ct.attribute("boundary")?;
        ct.ctype().eq_ignore_ascii_case("multipart").then(|| {
            let digest = ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("digest"));
            (boundary.as_bytes().to_vec(), digest)
        })
    });
    let kind = kind(part, in_digest);
    let base64_at = match (&kind, &multipart, part) {
        (Kind::Other, None, Some(part)) => base64_of_binary(part, &fields),
        _ => None,
    };
    Facts {
        kind,
        multipart,
        base64_at,
    }
}

/// Where the `base64` of a part with a Content-Type that is not text (nor, as the caller
/// knows, a message or a multipart) starts in its `fields`.
fn base64_of_binary(part: &MessagePart<'_>, fields: &[u8]) -> Option<usize> {
    let ctype = part.content_type()?.ctype();
    if ["text", "message", "multipart"]
        .iter()
        .any(|t| ctype.eq_ignore_ascii_case(t))
    {
        return None;
    }
    // The last field of the name, as the parser takes it.
    let field = part
        .headers
        .iter()
        .rev()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)?;
    if !field
        .value
        .as_text()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("base64"))
    {
        return None;
    }
    let value = fields.get(field.offset_start as usize..field.offset_end as usize)?;
    let at = value
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"base64"))?;
    Some(field.offset_start as usize + at)
}

/// What a part is, from its fields: a nested message (whose own header section follows,
/// or which is encoded) or anything else.
fn kind(part: Option<&MessagePart<'_>>, in_digest: bool) -> Kind {
    let is_message = match part.and_then(|p| p.content_type()) {
        Some(ct) => {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("rfc822") || s.eq_ignore_ascii_case("global")
                })
        }
        // In a multipart/digest a part is a message by default (RFC 2046 §5.1.5).
        None => in_digest,
    };
    if !is_message {
        return Kind::Other;
    }
    let encoding = part
        .and_then(|p| p.content_transfer_encoding())
        .map(str::trim);
    let encoded = match encoding {
        Some(e) if e.eq_ignore_ascii_case("base64") => Some("base64"),
        Some(e) if e.eq_ignore_ascii_case("quoted-printable") => Some("quoted-printable"),
        _ => None,
    };
    Kind::Message { encoded }
}

/// A nested message's body decoded as mail-parser decodes it.
fn decode(body: &[u8], encoding: &str) -> Vec<u8> {
    let mut part = format!(
        "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    )
    .into_bytes();
    part.extend_from_slice(body);
    MessageParser::default()
        .parse(&part)
        .map(|m| m.root_part().contents().to_vec())
        .unwrap_or_default()
}

/// Where a part's body starting at `at` ends: before the line break before the delimiter
/// that ends it (the break is the delimiter's, RFC 2046), or with the input.
fn body_end(raw: &[u8], at: usize, ends_at: Option<(usize, usize)>) -> usize {
    let Some((delimiter, _)) = ends_at else {
        return raw.len();
    };
    let body = &raw[at..delimiter];
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    at + body.len()
}

/// After a delimiter the parser skips blanks up to and including one line break.
fn skip_line_break(raw: &[u8], mut at: usize) -> usize {
    while raw
        .get(at)
        .is_some_and(|&b| matches!(b, b'\r' | b' ' | b'\t'))
    {
        at += 1;
    }
    if raw.get(at) == Some(&b'\n') {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests;
