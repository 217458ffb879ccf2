//! The text form of an iCalendar object (RFC 5545 §3.1): content lines ended by CRLF and
//! folded at 75 octets, TEXT values escaped (§3.3.11). Written here rather than taken from a
//! crate because these few rules are all applymail needs, and each is tested, the folding by
//! a property test: several calendar writers fold by characters rather than octets, or cut a
//! UTF-8 sequence in two.

/// The longest a physical line may be, CRLF excluded (RFC 5545 §3.1, "SHOULD NOT be longer
/// than 75 octets").
pub const MAX_LINE_OCTETS: usize = 75;

/// A calendar being written, one content line at a time.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// `NAME:value` with a value already in its final form (a date-time, a URI, a keyword).
    pub fn raw(&mut self, name: &str, value: &str) -> &mut Self {
        self.line(&format!("{name}:{value}"))
    }

    /// `NAME:value` with a TEXT value, escaped.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.line(&format!("{name}:{}", escape_text(value)))
    }

    /// Appends one content line, folded, with its CRLF.
    pub fn line(&mut self, line: &str) -> &mut Self {
        fold_into(&mut self.out, line);
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon and comma get a backslash,
/// a line break (CRLF, LF or CR) becomes `\n`. Other control characters, which TEXT does not
/// allow, become spaces; a tab stays.
pub fn escape_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded: cut between characters (never inside a UTF-8 sequence) so that no
/// physical line passes [`MAX_LINE_OCTETS`], each continuation starting with the one space
/// that unfolding removes (and that counts in the 75).
fn fold_into(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out.push_str("\r\n");
}
