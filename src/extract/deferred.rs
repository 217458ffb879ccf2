//! The base64 of attachments, decoded by a SIMD decoder rather than by mail-parser.
//!
//! mail-parser reads a body a byte at a time, to find where it ends and to decode it: for
//! base64 (about 400 MB/s here) that was a third of a backfill's CPU time, while
//! `base64-simd` decodes several GB/s. Attachments are nearly all of a message's bytes. The
//! shape scan ([`super::shape`]) finds each leaf part in base64 that is not text, and the
//! parser is given a copy of the message without those parts' bodies, and with their
//! `base64` overwritten by [`MARKER`], an encoding it does not know. It builds every part as
//! before, those with empty bodies, which are then decoded here from the message itself.
//!
//! The result must be what the parser alone would have made, or the message is parsed as it
//! came: when a body does not decode strictly (mid-stream padding, stray characters, a
//! delimiter inside it: the parser's own recovery then applies), or when the parser did not
//! read every marker as the encoding of a binary part (the scan and the parser disagreed on
//! the message's structure).

use std::borrow::Cow;
use std::ops::Range;

use mail_parser::{Encoding, HeaderName, Message, MessageParser, PartType};

/// What replaces `base64`: as long, so that no field moves.
const MARKER: &[u8; 6] = b"x-b64d";

/// A part whose decoding is left to this module, as the shape scan found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Deferred {
    /// Where its Content-Transfer-Encoding's `base64` starts.
    pub encoding_at: usize,
    /// Its body.
    pub body: Range<usize>,
}

/// What the parser reads instead of `raw`: each deferred part's encoding marked and its body
/// taken out. Empty when nothing is deferred.
pub(super) fn strip(raw: &[u8], deferred: &[Deferred]) -> Vec<u8> {
    if deferred.is_empty() {
        return Vec::new();
    }
    let mut stripped =
        Vec::with_capacity(raw.len() - deferred.iter().map(|d| d.body.len()).sum::<usize>());
    let mut from = 0;
    for part in deferred {
        stripped.extend_from_slice(&raw[from..part.encoding_at]);
        stripped.extend_from_slice(MARKER);
        stripped.extend_from_slice(&raw[part.encoding_at + MARKER.len()..part.body.start]);
        from = part.body.end;
    }
    stripped.extend_from_slice(&raw[from..]);
    stripped
}

/// Parses `stripped` (made by [`strip`] from `raw`) and decodes the deferred parts' bodies
/// from `raw`; `None` when the result could differ from the parser's own reading of `raw`,
/// or nothing is deferred.
pub(super) fn parse<'x>(
    stripped: &'x [u8],
    raw: &[u8],
    deferred: &[Deferred],
) -> Option<Message<'x>> {
    if deferred.is_empty() {
        return None;
    }
    let mut message = MessageParser::default().parse(stripped)?;
    let mut bodies = deferred.iter().map(|d| raw.get(d.body.clone()));
    decode_marked(&mut message, &mut bodies)?;
    bodies.next().is_none().then_some(message)
}

/// Gives every part whose encoding is [`MARKER`], nested messages' included, the next of
/// `bodies` decoded; `None` at the first that is not a binary part, that has no body left,
/// or whose body does not decode strictly.
fn decode_marked<'b>(
    message: &mut Message<'_>,
    bodies: &mut impl Iterator<Item = Option<&'b [u8]>>,
) -> Option<()> {
    for part in &mut message.parts {
        if let PartType::Message(inner) = &mut part.body {
            decode_marked(inner, bodies)?;
            continue;
        }
        let marked = part
            .headers
            .iter()
            .rev()
            .find(|h| h.name == HeaderName::ContentTransferEncoding)
            .and_then(|h| h.value.as_text())
            .is_some_and(|v| v.trim().as_bytes().eq_ignore_ascii_case(MARKER));
        if !marked {
            continue;
        }
        let (PartType::Binary(body) | PartType::InlineBinary(body)) = &mut part.body else {
            return None;
        };
        if !body.is_empty() {
            return None;
        }
        *body = Cow::Owned(decode(bodies.next()??)?);
        part.encoding = Encoding::Base64;
    }
    Some(())
}

/// Decodes a body of base64 lines; `None` unless it is nothing else.
fn decode(body: &[u8]) -> Option<Vec<u8>> {
    // The lines' ends and surrounding blanks out first, so that the decoder's own removal
    // of white space (a byte at a time) finds none.
    let mut text = Vec::with_capacity(body.len());
    let mut from = 0;
    for end in memchr::memchr_iter(b'\n', body).chain([body.len()]) {
        text.extend_from_slice(body[from..end].trim_ascii());
        from = end + 1;
    }
    let decoded = base64_simd::forgiving_decode_inplace(&mut text).ok()?.len();
    text.truncate(decoded);
    text.shrink_to_fit();
    Some(text)
}

#[cfg(test)]
mod tests;
