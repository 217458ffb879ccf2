//! Text written by hand rather than by an office suite: plain text in whatever encoding a
//! Windows or Mac machine left it (UTF-8, UTF-16 with a byte-order mark, Windows-1252), and
//! RTF, whose control words are skipped and whose escapes are decoded.

use std::borrow::Cow;

use super::doc_text::TextSink;

/// Plain text in whatever encoding a candidate's editor used: UTF-8 (with or
/// without BOM), UTF-16 with a BOM, else Windows-1252, the usual legacy
/// encoding of French text. Decoding Latin text as lossy UTF-8 would turn
/// every accent into U+FFFD and break the French cues of the classifier.
pub(super) fn plain_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Cow::Owned(utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Cow::Owned(utf16(rest, u16::from_be_bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()),
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| word([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252 to Unicode. The five undefined bytes map to U+FFFD.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
        '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{FFFD}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// RTF destinations whose content is not body text.
const RTF_SKIP_DESTINATIONS: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "filetbl",
    "revtbl",
    "fldinst",
    "datafield",
];

/// A crude RTF reader: drops control words and non-text destinations, keeps
/// paragraph breaks, resolves `\'hh` (as Windows-1252) and `\uN`. Good enough
/// to classify; not a renderer.
pub(super) fn rtf_text(bytes: &[u8], max_chars: usize) -> String {
    let mut out = TextSink::new(max_chars);
    // One entry per open group: is this group's text skipped, and how many
    // fallback chars follow a `\u` (the `\ucN` value).
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut skip = false;
    let mut uc = 1usize;
    // Fallback chars still to drop after a `\u`.
    let mut pending_fallback = 0usize;
    // Whether the next control word opens the group (`{\fonttbl …`).
    let mut group_start = false;
    let mut i = 0usize;
    while i < bytes.len() && !out.full() {
        let b = bytes[i];
        match b {
            b'{' => {
                // Nesting depth is attacker-chosen; past this, groups are just not tracked.
                if stack.len() < 4096 {
                    stack.push((skip, uc));
                }
                group_start = true;
                i += 1;
            }
            b'}' => {
                if let Some((s, u)) = stack.pop() {
                    skip = s;
                    uc = u;
                }
                group_start = false;
                pending_fallback = 0;
                i += 1;
            }
            b'\\' => {
                let starts_group = group_start;
                group_start = false;
                i += 1;
                let Some(&next) = bytes.get(i) else { break };
                if next.is_ascii_alphabetic() {
                    let word_start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() && i - word_start < 32 {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[word_start..i]).unwrap_or("");
                    let num_start = i;
                    if bytes.get(i) == Some(&b'-') {
                        i += 1;
                    }
                    while i < bytes.len() && bytes[i].is_ascii_digit() && i - num_start < 12 {
                        i += 1;
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[num_start..i])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if bytes.get(i) == Some(&b' ') {
                        i += 1;
                    }
                    if starts_group && RTF_SKIP_DESTINATIONS.contains(&word) {
                        skip = true;
                    }
                    if skip {
                        continue;
                    }
                    match word {
                        "par" | "line" | "sect" | "page" | "row" => out.push('\n'),
                        "tab" | "cell" => out.push('\t'),
                        "uc" => uc = param.and_then(|p| usize::try_from(p).ok()).unwrap_or(1),
                        "u" => {
                            if let Some(p) = param {
                                // RTF writes code points above 32767 as negative 16-bit values.
                                let code = if p < 0 { p + 65536 } else { p };
                                let c = u32::try_from(code)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .unwrap_or(char::REPLACEMENT_CHARACTER);
                                out.push(c);
                                pending_fallback = uc.min(8);
                            }
                        }
                        "emdash" | "endash" => out.push('-'),
                        "lquote" | "rquote" => out.push('\''),
                        "ldblquote" | "rdblquote" => out.push('"'),
                        "bullet" => out.push('•'),
                        _ => {}
                    }
                } else {
                    i += 1;
                    match next {
                        // `{\*\dest …}`: an optional destination unknown readers must skip.
                        b'*' if starts_group => skip = true,
                        b'\'' => {
                            let hex = bytes
                                .get(i..i + 2)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                            if byte.is_some() {
                                i += 2;
                            }
                            if let Some(byte) = byte {
                                if pending_fallback > 0 {
                                    pending_fallback -= 1;
                                } else if !skip {
                                    out.push(cp1252(byte));
                                }
                            }
                        }
                        b'~' if !skip => out.push(' '),
                        b'_' if !skip => out.push('-'),
                        b'\\' | b'{' | b'}' if !skip => out.push(char::from(next)),
                        b'\n' | b'\r' if !skip => out.push('\n'),
                        _ => {}
                    }
                }
            }
            b'\r' | b'\n' => {
                // Line breaks in RTF source are not text.
                i += 1;
            }
            _ => {
                group_start = false;
                // Copy a run of plain bytes; RTF is 7-bit, but stray 8-bit bytes are read as 1252.
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'{' | b'}' | b'\\' | b'\r' | b'\n') {
                    i += 1;
                }
                if skip {
                    continue;
                }
                for &c in &bytes[start..i] {
                    if pending_fallback > 0 {
                        pending_fallback -= 1;
                    } else {
                        out.push(cp1252(c));
                    }
                }
            }
        }
    }
    out.text
}
