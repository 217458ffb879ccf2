//! A guard for mail-parser 0.11's folded-parameter defect: a MIME parameter folded onto the
//! next line right after `=` (`filename=\r\n "CV.pdf"`) loses the filename, and a folded
//! `boundary=` breaks the whole multipart. Fixed upstream in 1.0, which needs a newer rustc.
//!
//! The repair joins such folds inside Content-Type and Content-Disposition headers only, so
//! that quoted-printable soft line breaks in bodies (which also end in `=`) are untouched.

use std::borrow::Cow;

/// Returns the message with the defective folds joined, borrowing it when there are none.
pub fn join_folded_parameters(raw: &[u8]) -> Cow<'_, [u8]> {
    if !has_fold_after_equals(raw) || !has_mime_fold(raw) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut in_mime_header = false;
    let mut lines = raw.split_inclusive(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let is_continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        in_mime_header = if is_continuation {
            in_mime_header
        } else {
            starts_mime_header(line)
        };
        let content = trim_eol(line);
        let next_folds = lines
            .peek()
            .is_some_and(|n| n.first().is_some_and(|&b| b == b' ' || b == b'\t'));
        if in_mime_header && content.ends_with(b"=") && next_folds {
            out.extend_from_slice(content);
            // Drop the line break and the next line's leading whitespace, keeping the value.
            if let Some(next) = lines.next() {
                let start = next
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t')
                    .unwrap_or(next.len());
                out.extend_from_slice(&next[start..]);
            }
            continue;
        }
        out.extend_from_slice(line);
    }
    Cow::Owned(out)
}

/// Whether any line ends with `=` and is continued: a cheap search (base64 bodies hold no
/// `=` but their padding) that spares almost every message the line-by-line scan.
fn has_fold_after_equals(raw: &[u8]) -> bool {
    static FOLD: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(r"=\r?\n[ \t]").expect("a valid pattern")
    });
    FOLD.is_match(raw)
}

fn has_mime_fold(raw: &[u8]) -> bool {
    let mut in_mime_header = false;
    let mut previous_ends_with_eq = false;
    for line in raw.split(|&b| b == b'\n') {
        let is_continuation = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        if is_continuation && in_mime_header && previous_ends_with_eq {
            return true;
        }
        in_mime_header = if is_continuation {
            in_mime_header
        } else {
            starts_mime_header(line)
        };
        previous_ends_with_eq = trim_eol(line).ends_with(b"=");
    }
    false
}

fn starts_mime_header(line: &[u8]) -> bool {
    const NAMES: [&[u8]; 2] = [b"content-type:", b"content-disposition:"];
    NAMES
        .iter()
        .any(|name| line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name))
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folded_filename_is_joined() {
        let raw = b"Content-Disposition: attachment; filename=\r\n \"CV_X.pdf\"\r\n\r\nbody";
        let fixed = join_folded_parameters(raw);
        assert_eq!(
            &*fixed,
            b"Content-Disposition: attachment; filename=\"CV_X.pdf\"\r\n\r\nbody"
        );
    }

    #[test]
    fn a_folded_boundary_is_joined() {
        let raw = b"Content-Type: multipart/mixed; boundary=\n\t\"abc\"\n\n--abc\n";
        assert_eq!(
            &*join_folded_parameters(raw),
            b"Content-Type: multipart/mixed; boundary=\"abc\"\n\n--abc\n"
        );
    }

    #[test]
    fn quoted_printable_soft_breaks_are_untouched() {
        let raw =
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nune ligne tr=\r\n s longue\r\n";
        assert!(matches!(join_folded_parameters(raw), Cow::Borrowed(_)));
    }

    #[test]
    fn ordinary_folds_are_untouched() {
        let raw = b"Content-Type: application/pdf;\r\n name=\"a.pdf\"\r\n\r\n";
        assert!(matches!(join_folded_parameters(raw), Cow::Borrowed(_)));
    }
}
