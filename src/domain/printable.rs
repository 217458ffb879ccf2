//! Sender-controlled text made safe to print on a terminal.
//!
//! A subject, a Message-ID, a display name or a file name is chosen by whoever sent the mail.
//! Printed raw, `ESC ] 0 ; … BEL` sets the terminal's title, `ESC [ 2 J` clears the screen, a
//! bare CR or LF forges a line of `show`'s output or of the log, and a bidi override (U+202E)
//! makes `gpj.exe` read as `exe.jpg`. [`printable`] shows each such character as a visible
//! escape (`\u{1b}`) instead, so the text stays readable and nothing acts on the terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` acts on a terminal or on how the text around it is laid out, rather than
/// being shown as a glyph.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        // C0 controls (CR, LF, TAB, ESC, BEL…) and DEL.
        '\u{0}'..='\u{1f}' | '\u{7f}'
        // C1 controls: U+009B is a one-character CSI on terminals that honour 8-bit controls.
        | '\u{80}'..='\u{9f}'
        // Bidi controls (Unicode's Bidi_Control property): they reorder what follows.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Line and paragraph separators: some viewers (a pager, a log browser) break the
        // line there, which forges one as LF would.
        | '\u{2028}' | '\u{2029}')
}

/// `text` with every [`is_unsafe`] character replaced by its visible escape `\u{…}` (lower
/// hex, as Rust writes it); borrowed when there is none, which is the common case.
pub fn printable(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(is_unsafe) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if is_unsafe(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn terminal_sequences_become_visible_escapes() {
        assert_eq!(
            printable("\u{1b}]0;pwned\u{7}Dupont"),
            "\\u{1b}]0;pwned\\u{7}Dupont"
        );
        assert_eq!(
            printable("a\u{1b}[2J\rb\nc\td"),
            "a\\u{1b}[2J\\u{d}b\\u{a}c\\u{9}d"
        );
        assert_eq!(printable("cv\u{202e}fdp.exe"), "cv\\u{202e}fdp.exe");
        assert_eq!(printable("\u{9b}31m\u{7f}"), "\\u{9b}31m\\u{7f}");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for text in [
            "",
            "Coordination Maroc – EL MANSOURI Amina",
            "<a@b.c>",
            "Ahmed \\u{1b}",
        ] {
            assert!(matches!(printable(text), Cow::Borrowed(t) if t == text));
        }
    }

    /// Unicode's Bidi_Control characters.
    const BIDI_CONTROLS: [char; 12] = [
        '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
        '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ];

    /// Every character of the classes the escape stands for, and some that must pass.
    fn any_char() -> impl Strategy<Value = char> {
        prop_oneof![
            any::<char>(),
            prop::char::range('\u{0}', '\u{a0}'),
            prop::sample::select(BIDI_CONTROLS.to_vec()),
            prop::sample::select(vec!['\u{2028}', '\u{2029}', 'é', '–', '\\', '\u{a0}']),
        ]
    }

    proptest! {
        #[test]
        fn the_output_holds_no_unsafe_character(text in prop::collection::vec(any_char(), 0..40)) {
            let text: String = text.into_iter().collect();
            let out = printable(&text);
            // Checked against the standard library's and Unicode's lists, not `is_unsafe`.
            prop_assert!(!out.chars().any(|c| c.is_control() || BIDI_CONTROLS.contains(&c)), "{:?}", out);
        }

        #[test]
        fn printable_input_is_unchanged(text in prop::collection::vec(any_char(), 0..40)) {
            let text: String = text.into_iter().filter(|c| !is_unsafe(*c)).collect();
            prop_assert_eq!(printable(&text), text.as_str());
        }
    }
}
