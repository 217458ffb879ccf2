//! The words of a legacy Word document (`.doc`, an OLE2 compound file), for the search index
//! only: a heuristic, not a reader.
//!
//! Word 97–2003 keeps the text in its `WordDocument` stream either as UTF-16LE or, for
//! Western text, as one byte per character (cp1252). Reading it properly takes the compound
//! file's sector chains and Word's piece table; instead, the runs of bytes that read as text
//! in either encoding are kept. Style and font names ("Normal", "Times New Roman") and the
//! document's properties (title, author) come along: harmless in a search index, and why this
//! text is never shown as the document itself.

/// A UTF-16LE run shorter than this (in characters) is noise.
const MIN_WIDE_RUN: usize = 4;
/// A one-byte run shorter than this is noise.
const MIN_NARROW_RUN: usize = 12;

/// The text-looking runs of `bytes`, one per line, at most `max_chars` characters.
pub fn legacy_doc_text(bytes: &[u8], max_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0usize;
    let mut keep = |run: &str| {
        for c in run.chars().chain(std::iter::once('\n')) {
            if chars >= max_chars {
                return;
            }
            out.push(c);
            chars += 1;
        }
    };
    // UTF-16LE, at even offsets (where Word's sectors and text pieces start).
    let mut run = String::new();
    for pair in bytes.chunks_exact(2) {
        match wide_char(u16::from_le_bytes([pair[0], pair[1]])) {
            Some(c) => run.push(c),
            None => flush_wide(&mut run, &mut keep),
        }
    }
    flush_wide(&mut run, &mut keep);
    // One byte per character: cp1252. Most bytes of binary data decode to something
    // printable, so a run must look like prose: French letters and punctuation only, mostly
    // ASCII letters, and spaces between words.
    let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    for c in decoded.chars() {
        if narrow_char(c) {
            run.push(if c == '\r' { '\n' } else { c });
        } else {
            flush_narrow(&mut run, &mut keep);
        }
    }
    flush_narrow(&mut run, &mut keep);
    out
}

fn narrow_char(c: char) -> bool {
    c.is_ascii_graphic()
        || matches!(c, ' ' | '\r' | '\n' | '\t')
        || "àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆ«»‘’“”–—€°".contains(c)
}

fn flush_narrow(run: &mut String, keep: &mut impl FnMut(&str)) {
    let chars = run.chars().count();
    let letters = run.chars().filter(char::is_ascii_alphabetic).count();
    let spaces = run.chars().filter(|c| *c == ' ').count();
    if chars >= MIN_NARROW_RUN && letters * 10 >= chars * 6 && spaces >= 2 {
        keep(run.trim());
    }
    run.clear();
}

/// A UTF-16 unit that can be a character of a Western or Arabic CV; anything else (most of
/// the code space: binary data read as UTF-16 is mostly CJK) ends a run.
fn wide_char(unit: u16) -> Option<char> {
    match unit {
        0x0D => Some('\n'),
        0x09 | 0x0A => char::from_u32(u32::from(unit)),
        0x20..=0x7E | 0xA0..=0x24F | 0x0600..=0x06FF | 0x2010..=0x2027 | 0x20AC => {
            char::from_u32(u32::from(unit))
        }
        _ => None,
    }
}

/// Keeps `run` if it is long enough and mostly letters, and empties it.
fn flush_wide(run: &mut String, keep: &mut impl FnMut(&str)) {
    let chars = run.chars().count();
    let letters = run.chars().filter(|c| c.is_alphabetic()).count();
    if chars >= MIN_WIDE_RUN && letters * 2 >= chars {
        keep(run.trim());
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    #[test]
    fn reads_utf16_and_cp1252_runs_and_skips_binary() {
        let mut doc = OLE.to_vec();
        doc.resize(512, 0xFF);
        for unit in "Curriculum Vitae\rExpérience à Safi".encode_utf16() {
            doc.extend_from_slice(&unit.to_le_bytes());
        }
        doc.extend_from_slice(&[0, 0, 0x13, 0x9F, 0x00, 0x4E, 0x01, 0x00]);
        doc.extend_from_slice(b"\x01\x02Madame, Monsieur, je souhaite cr\xe9er\x00\x05");
        let mut seed = 7u32;
        for _ in 0..4096 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            doc.push((seed >> 16) as u8);
        }
        let text = legacy_doc_text(&doc, 10_000);
        assert!(
            text.contains("Curriculum Vitae\nExpérience à Safi"),
            "{text:?}"
        );
        assert!(
            text.contains("Madame, Monsieur, je souhaite créer"),
            "{text:?}"
        );
        assert!(text.len() < 400, "binary noise kept: {text:?}");
        assert_eq!(legacy_doc_text(&doc, 5).chars().count(), 5);
    }
}
