//! The one `[smtp]` section (issue 27): alone it is a valid config with acknowledgements off
//! and the server they use when on; it wins over `[acknowledgement.smtp]`; a bad key in it is
//! named. (The reply templates' tests join this file.) On SQLite and on PostgreSQL
//! (APPLYMAIL_TEST_POSTGRES).

use crate::helpers::TestEnv;
use crate::smtp::SmtpServer;

/// A fresh application (dated now, so that it is acknowledged).
fn application(i: usize, from: &str) -> Vec<u8> {
    let date = chrono::Utc::now().to_rfc2822();
    format!(
        "From: Amina El Mansouri <{from}>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – EL MANSOURI Amina\r\n\
         Message-ID: <tpl-{i}@example.com>\r\n\
         Date: {date}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma candidature.\r\n\
         --b\r\nContent-Type: text/plain; name=\"CV.txt\"\r\nContent-Disposition: attachment; filename=\"CV.txt\"\r\n\r\nCurriculum vitae {i}\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

fn smtp_section(name: &str, port: u16) -> String {
    format!("[{name}]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n")
}

const ACK_ON: &str = "[acknowledgement]\nenabled = true\nfrom = \"contact@ong-exemple.org\"\nfrom_name = \"ONG Exemple\"\n";

/// `[smtp]` alone: a valid config with acknowledgements off, and the server they use when
/// on. With both sections, `[smtp]` wins: nothing goes to `[acknowledgement.smtp]`.
#[tokio::test]
async fn templates_smtp_section_alone_and_winning_over_the_acknowledgements() {
    let smtp = SmtpServer::start();
    let off = TestEnv::with_extra(&smtp_section("smtp", smtp.port));
    let check = off.run(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let alone = TestEnv::with_extra(&format!("{}\n{ACK_ON}", smtp_section("smtp", smtp.port)));
    alone.deliver("Maildir", "1.M1.test", &application(1, "amina@example.com"));
    alone.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1, "sent through [smtp]");

    let dead = SmtpServer::reserve();
    let both = TestEnv::with_extra(&format!(
        "{}\n{ACK_ON}\n{}",
        smtp_section("smtp", smtp.port),
        smtp_section("acknowledgement.smtp", dead.port)
    ));
    both.deliver(
        "Maildir",
        "1.M1.test",
        &application(2, "yasmine@example.com"),
    );
    both.run(&["run", "--once"]);
    let sent = smtp.messages();
    assert_eq!(sent.len(), 2, "[smtp] wins over [acknowledgement.smtp]");
    assert!(sent[1].contains("X-Envelope-To: yasmine@example.com"));
}

/// A mistake in `[smtp]` names its key, as every config error does.
#[test]
fn templates_a_bad_smtp_key_is_named() {
    for (section, named) in [
        ("[smtp]\nhots = \"127.0.0.1\"\n", "hots"),
        (
            "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"plain\"\n",
            "smtp.security",
        ),
        (
            "[smtp]\nhost = \"smtp.example.org\"\nusername = \"u\"\n",
            "smtp.username",
        ),
    ] {
        let env = TestEnv::with_extra(section);
        let out = env.command().arg("check").output().unwrap();
        assert!(!out.status.success(), "{section}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{section}: {stderr}");
    }
}
