//! Walking a message's MIME tree: which parts are documents, which are forwards, and which
//! are the message's own layout (bodies, signature logos).

use std::borrow::Cow;

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::archive::{ArchiveError, expand_zip};
use super::budget::Budget;
use super::doc_text::{document_text_until, has_reader};
use super::{ExtractError, ExtractLimits, convert};
use crate::domain::classify::{kind_from_filename, kind_from_text};
use crate::domain::document::{DocFormat, DocumentKind, DocumentSource, display_filename};
use crate::domain::mail::{Document, Mail};

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) struct Walked {
    pub documents: Vec<Document>,
    pub forwarded: Vec<Mail>,
    pub problems: Vec<String>,
}

/// Walks `message`, taking each document's bytes out of it (documents are the bulk of a
/// message, and a copy of them would cost as much as writing them out). Every document and
/// every byte out of an archive is counted against the message's `budget`, forwards'
/// included.
pub(super) fn walk(
    message: &mut Message<'_>,
    limits: &ExtractLimits,
    budget: &mut Budget,
    depth: usize,
) -> Result<Walked, ExtractError> {
    let mut walked = Walked {
        documents: Vec::new(),
        forwarded: Vec::new(),
        problems: Vec::new(),
    };
    // An explicit stack: a crafted message may nest multiparts thousands deep.
    let mut stack = vec![(0u32, false)];
    let mut visited = 0usize;
    while let Some((id, in_related)) = stack.pop() {
        visited += 1;
        if visited > limits.max_parts {
            return Err(ExtractError::TooManyParts {
                found: visited,
                limit: limits.max_parts,
            });
        }
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if part.is_encoding_problem {
            walked
                .problems
                .push(format!("part {id}: undecodable content"));
        }
        let is_document = match &part.body {
            PartType::Multipart(children) => {
                let related = is_type(part, "multipart", "related");
                // Reversed so that the stack pops children in document order.
                stack.extend(children.iter().rev().map(|&child| (child, related)));
                false
            }
            PartType::Message(_) if id != 0 => {
                if depth < limits.max_forward_depth {
                    if let Some(PartType::Message(inner)) = message
                        .parts
                        .get_mut(id as usize)
                        .map(|part| &mut part.body)
                    {
                        walked
                            .forwarded
                            .push(convert(inner, limits, budget, depth + 1)?);
                    }
                } else {
                    walked
                        .problems
                        .push(format!("part {id}: forward nested too deep, not read"));
                }
                false
            }
            PartType::Text(_) | PartType::Html(_) => {
                let is_body = message.text_body.contains(&id) || message.html_body.contains(&id);
                !is_body && part.attachment_name().is_some()
            }
            PartType::Binary(_) | PartType::InlineBinary(_) => true,
            PartType::Message(_) => false,
        };
        if is_document {
            push_document(
                &mut walked,
                message,
                id as usize,
                in_related,
                limits,
                budget,
            )?;
        }
    }
    Ok(walked)
}

fn push_document(
    walked: &mut Walked,
    message: &mut Message<'_>,
    id: usize,
    in_related: bool,
    limits: &ExtractLimits,
    budget: &mut Budget,
) -> Result<(), ExtractError> {
    let bytes = take_part_bytes(message, id);
    let part = &message.parts[id];
    if bytes.is_empty() {
        return Ok(());
    }
    let content_type = content_type(part);
    let filename = display_filename(part.attachment_name().unwrap_or_default());
    let format = DocFormat::detect(Some(&filename), &content_type, &bytes);
    if is_layout_image(part, format, in_related, &filename) {
        return Ok(());
    }
    if format == DocFormat::Zip {
        match expand_zip(&bytes, &limits.archive, &mut budget.expansion_left) {
            Ok(entries) => {
                // Counted before any is classified: reading their text costs.
                budget.documents(entries.len())?;
                for entry in entries {
                    let format = DocFormat::detect(
                        Some(&entry.name),
                        "application/octet-stream",
                        &entry.bytes,
                    );
                    let kind = classify(&entry.name, format, &entry.bytes, limits, budget);
                    walked.documents.push(Document {
                        filename: entry.name,
                        content_type: "application/octet-stream".into(),
                        source: DocumentSource::Archive,
                        format,
                        kind,
                        bytes: entry.bytes.into(),
                    });
                }
                return Ok(());
            }
            Err(ArchiveError::MessageBudget) => return Err(budget.over_expansion()),
            // The archive is kept whole as an "other" document: nothing the candidate sent is
            // dropped, and a recruiter can still open it by hand.
            Err(err) => walked.problems.push(format!("archive {filename:?}: {err}")),
        }
    }
    budget.documents(1)?;
    // A part whose encoding was broken and whose bytes are not what its name says is kept
    // (the candidate sent it) but is no CV or letter anyone can read.
    let damaged = part.is_encoding_problem
        && DocFormat::detect(None, "application/octet-stream", &bytes) != format;
    let kind = if damaged {
        walked
            .problems
            .push(format!("{filename:?}: damaged content"));
        Some(DocumentKind::Other)
    } else {
        classify(&filename, format, &bytes, limits, budget)
    };
    walked.documents.push(Document {
        filename,
        content_type,
        source: DocumentSource::Attachment,
        format,
        kind,
        bytes: bytes.into(),
    });
    Ok(())
}

/// Takes the decoded bytes of part `id` out of the message, which keeps the part's headers
/// and an empty body. When a base64 part ends without its closing boundary, mail-parser
/// gives up decoding it and hands back the encoded text: decode it leniently from the raw
/// message, ignoring anything that is not base64.
fn take_part_bytes(message: &mut Message<'_>, id: usize) -> Vec<u8> {
    let Some(part) = message.parts.get_mut(id) else {
        return Vec::new();
    };
    let base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    if part.is_encoding_problem && base64 {
        let raw = message
            .raw_message
            .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)
            .unwrap_or_default();
        let mut clean: Vec<u8> = raw
            .iter()
            .copied()
            .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
            .collect();
        // One leftover character cannot encode a byte; any other remainder is missing padding.
        if clean.len() % 4 == 1 {
            clean.pop();
        }
        if let Ok(decoded) = LENIENT.decode(&clean)
            && !decoded.is_empty()
        {
            return decoded;
        }
    }
    match std::mem::replace(&mut part.body, PartType::Binary(Cow::Borrowed(&[]))) {
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.into_owned(),
        PartType::Text(text) | PartType::Html(text) => text.into_owned().into_bytes(),
        // Not documents; put back as they were.
        body @ (PartType::Message(_) | PartType::Multipart(_)) => {
            part.body = body;
            Vec::new()
        }
    }
}

/// The file name first; the document's own text when the name says nothing and the
/// message's time for reading documents is not spent.
fn classify(
    filename: &str,
    format: DocFormat,
    bytes: &[u8],
    limits: &ExtractLimits,
    budget: &mut Budget,
) -> Option<DocumentKind> {
    classify_by(filename, format, || {
        if !has_reader(format) {
            return None;
        }
        let deadline = budget.text_deadline()?;
        document_text_until(bytes, format, &limits.text, deadline).ok()
    })
}

/// [`classify`], with `read_text` reading the document (OCR for a scan or a photo, which
/// costs seconds of CPU): called only when the name says nothing, so a `CV_Bennani.jpg` is
/// never read.
fn classify_by(
    filename: &str,
    format: DocFormat,
    read_text: impl FnOnce() -> Option<String>,
) -> Option<DocumentKind> {
    if !format.is_document() {
        return Some(DocumentKind::Other);
    }
    kind_from_filename(filename).or_else(|| read_text().and_then(|text| kind_from_text(&text)))
}

/// Signature logos and pictures pasted in the body: images shown inline or referenced by
/// Content-ID from the HTML. An image whose name says CV or letter is a scan and is kept.
fn is_layout_image(
    part: &MessagePart<'_>,
    format: DocFormat,
    in_related: bool,
    filename: &str,
) -> bool {
    if format != DocFormat::Image {
        return false;
    }
    let attached = part
        .content_disposition()
        .is_some_and(|d| d.is_attachment());
    let inline = part.content_disposition().is_some_and(|d| d.is_inline())
        || part.content_id().is_some()
        || in_related;
    inline && !attached && kind_from_filename(filename).is_none()
}

fn content_type(part: &MessagePart<'_>) -> String {
    part.content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        })
        .unwrap_or_else(|| "application/octet-stream".into())
        .to_ascii_lowercase()
}

fn is_type(part: &MessagePart<'_>, ctype: &str, subtype: &str) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "Madame, Monsieur,\nJe vous adresse ma candidature au poste de \
        coordinatrice. Je vous prie d'agréer, Madame, Monsieur, l'expression de mes \
        salutations distinguées.";

    /// A scan or a photo whose name says what it is is not read: OCR costs seconds of CPU,
    /// and the name already classifies it.
    #[test]
    fn a_telling_file_name_is_not_read_by_ocr() {
        for (name, kind) in [
            ("CV_Bennani.jpg", DocumentKind::Cv),
            ("Lettre de motivation Bennani.png", DocumentKind::Letter),
            ("CV Alaoui Mrani (scan).pdf", DocumentKind::Cv),
        ] {
            let format = DocFormat::detect(Some(name), "application/octet-stream", b"");
            let kind_found = classify_by(name, format, || panic!("{name} was read"));
            assert_eq!(kind_found, Some(kind), "{name}");
        }
    }

    /// A nameless one is read, once, and classified by its text.
    #[test]
    fn a_nameless_scan_is_read() {
        for name in ["IMG_2041.jpg", "scan0001.pdf", "image002.png"] {
            let format = DocFormat::detect(Some(name), "application/octet-stream", b"");
            let mut reads = 0;
            let kind = classify_by(name, format, || {
                reads += 1;
                Some(LETTER.to_owned())
            });
            assert_eq!((kind, reads), (Some(DocumentKind::Letter), 1), "{name}");
        }
    }
}
