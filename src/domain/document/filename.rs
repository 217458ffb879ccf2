//! A candidate's file name made fit to show and to keep as data: never a path.

use unicode_normalization::UnicodeNormalization;

/// Maximum length of a display name, in bytes (the usual file-system limit).
pub(super) const MAX_NAME_BYTES: usize = 255;

/// Turns a candidate-supplied file name into a name fit to show and to keep as
/// data. It is never used as a path.
///
/// Keeps the last non-empty path component (after `/` or `\`), removes control
/// characters and bidirectional overrides (which can make `exe.pdf` display as
/// `fdp.exe`), NFC-normalizes (macOS zips carry decomposed accents), trims
/// dots and spaces at both ends, and caps the result at 255 bytes, keeping a
/// short extension. An empty result becomes `"unnamed"`.
pub fn display_filename(raw: &str) -> String {
    let last = raw
        .split(['/', '\\'])
        .rev()
        .find(|c| {
            c.chars()
                .any(|ch| !is_unsafe_char(ch) && ch != '.' && !ch.is_whitespace())
        })
        .unwrap_or("");
    let cleaned: String = last.chars().filter(|&c| !is_unsafe_char(c)).nfc().collect();
    let trimmed = trim_name(&cleaned);
    let capped = cap_name(trimmed);
    if capped.is_empty() {
        "unnamed".to_owned()
    } else {
        capped
    }
}

fn trim_name(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

pub(super) fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn cap_name(s: &str) -> String {
    if s.len() <= MAX_NAME_BYTES {
        return s.to_owned();
    }
    // Keep the extension when it is short, so that a long name still opens with the right program.
    let ext = s
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 16);
    let budget = match ext {
        Some(e) => MAX_NAME_BYTES - e.len() - 1,
        None => MAX_NAME_BYTES,
    };
    let mut cut = budget.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = trim_name(&s[..cut]);
    match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem.to_owned(),
    }
}
