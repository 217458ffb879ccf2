//! Sender-controlled text never acts on the recruiter's terminal (issue 23, item 7): a
//! subject, Message-ID, display name and file name carrying terminal sequences, a bare CR and
//! a bidi override are shown escaped by `show`, the `list` table and the text log.

use base64::Engine as _;

use crate::helpers::TestEnv;

/// Sets the terminal's title, clears the screen, returns to the line's start (to overwrite
/// it) and reverses what follows.
const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{202e}fdp.exe";

fn encoded_word(text: &str) -> String {
    format!(
        "=?UTF-8?B?{}?=",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

fn hostile_application() -> Vec<u8> {
    let subject = encoded_word(&format!("Coordination Maroc – DUPONT Marie {EVIL}"));
    let display = encoded_word(&format!("Marie{EVIL} Dupont"));
    let filename: String = format!("CV{EVIL}.pdf")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut raw = Vec::new();
    raw.extend_from_slice(
        format!(
            "From: {display} <marie.dupont@example.com>\r\n\
             To: contact@ong-exemple.org\r\n\
             Subject: {subject}\r\n\
             Date: Fri, 02 Jul 2021 09:14:00 +0000\r\n\
             MIME-Version: 1.0\r\n"
        )
        .as_bytes(),
    );
    // The Message-ID's bytes raw: mail-parser keeps what is between the angle brackets.
    raw.extend_from_slice(format!("Message-ID: <evil{EVIL}@example.com>\r\n").as_bytes());
    raw.extend_from_slice(
        format!(
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n\
             --b\r\nContent-Type: application/pdf\r\n\
             Content-Disposition: attachment; filename*=UTF-8''{filename}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
             --b--\r\n"
        )
        .as_bytes(),
    );
    raw
}

/// Nothing in `text` that acts on a terminal: ESC, BEL, CR (a line's end is LF only), the
/// override.
fn assert_inert(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for c in ['\u{1b}', '\u{7}', '\r', '\u{202e}'] {
        assert!(!text.contains(c), "{c:?} raw in {what}: {text:?}");
    }
}

#[test]
fn show_list_and_the_import_log_print_sender_text_escaped() {
    let env = TestEnv::new();
    let mail = env.path("hostile.eml");
    std::fs::write(&mail, hostile_application()).unwrap();
    let import = env
        .command()
        .args(["import", mail.to_str().unwrap()])
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    let export = env.export();
    assert_eq!(export.len(), 1, "filed: {export:?}");
    let id = export[0]["id"].as_str().unwrap().to_owned();

    let show = env.run(&["show", &id]);
    let list = env.run(&["list"]);
    assert_inert("the import's log", &import.stderr);
    assert_inert("show", &show.stdout);
    assert_inert("list", &list.stdout);
    // The text itself is still there to read, escaped.
    let shown = String::from_utf8_lossy(&show.stdout);
    assert!(shown.contains("pwned"), "{shown}");
}
