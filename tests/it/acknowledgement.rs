//! Automatic acknowledgements against a real SMTP server (aiosmtpd): sent once, threaded,
//! never to machines, never twice across restarts and crashes.

use std::time::Duration;

use mail_parser::MessageParser;

use crate::helpers::{Daemon, TestEnv, str_field};
use crate::smtp::SmtpServer;

/// A fresh application from Amina El Mansouri (dated now, so within `max_age`).
fn application(i: usize, from: &str, extra_headers: &str) -> Vec<u8> {
    fresh_application(
        i,
        from,
        "Amina El Mansouri",
        "EL MANSOURI Amina",
        extra_headers,
    )
}

/// A fresh application (dated now) from `name` <`from`>, whose subject names `subject_name`,
/// with a CV and a letter; its Message-ID is `<cand-{i}@example.com>`.
pub fn fresh_application(
    i: usize,
    from: &str,
    name: &str,
    subject_name: &str,
    extra_headers: &str,
) -> Vec<u8> {
    let date = chrono::Utc::now().to_rfc2822();
    format!(
        "From: {name} <{from}>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – {subject_name}\r\n\
         Message-ID: <cand-{i}@example.com>\r\n\
         References: <earlier-{i}@example.com>\r\n\
         Date: {date}\r\n{extra_headers}\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma candidature.\r\n\
         --b\r\nContent-Type: text/plain; name=\"CV.txt\"\r\nContent-Disposition: attachment; filename=\"CV.txt\"\r\n\r\nCurriculum vitae {i}\r\n\
         --b\r\nContent-Type: text/plain; name=\"Lettre.txt\"\r\nContent-Disposition: attachment; filename=\"Lettre.txt\"\r\n\r\nLettre de motivation {i}\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

fn reply_status(env: &TestEnv, email: &str) -> String {
    let export = env.export();
    let app = export
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} is filed: {export:?}"));
    str_field(app, "reply_status").to_owned()
}

async fn ack_states(env: &TestEnv) -> Vec<(String, Option<String>)> {
    let pool = env.db().await;
    sqlx::query_as("SELECT state, reason FROM acknowledgements ORDER BY application_id")
        .fetch_all(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_application_is_acknowledged_once_in_its_thread_and_a_human_reply_still_counts() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp.config("save_to_sent = true"));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    env.run(&["run", "--once"]);

    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "one acknowledgement");
    let raw = sent[0].as_bytes();
    let ack = MessageParser::default().parse(raw).unwrap();
    assert!(sent[0].contains("X-Envelope-To: amina@example.com"));
    assert_eq!(
        ack.to().unwrap().first().unwrap().address(),
        Some("amina@example.com")
    );
    assert_eq!(
        ack.from().unwrap().first().unwrap().address(),
        Some("contact@ong-exemple.org")
    );
    assert_eq!(ack.in_reply_to().as_text(), Some("cand-1@example.com"));
    let refs: Vec<&str> = ack
        .references()
        .as_text_list()
        .map(|l| l.iter().map(|r| r.as_ref()).collect())
        .unwrap_or_default();
    assert_eq!(refs, ["earlier-1@example.com", "cand-1@example.com"]);
    assert_eq!(
        ack.header("Auto-Submitted").and_then(|h| h.as_text()),
        Some("auto-replied")
    );
    assert_eq!(
        ack.subject(),
        Some("Votre candidature : Coordinateur·rice du Partenariat au Maroc")
    );
    let body = ack.body_text(0).unwrap();
    let export = env.export();
    let greeting = format!(
        "Bonjour {} {},",
        str_field(&export[0], "first_name"),
        str_field(&export[0], "last_name")
    );
    assert_eq!(greeting, "Bonjour Amina El Mansouri,");
    assert!(body.starts_with(&greeting), "{body}");
    assert!(body.contains("« Coordinateur·rice du Partenariat au Maroc »"));
    assert_eq!(reply_status(&env, "amina@example.com"), "acknowledged");

    // A restart sends nothing again.
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);

    // Its copy, stored read in the Sent folder, is read back and not taken for a reply.
    let copies: Vec<_> = std::fs::read_dir(env.path("Maildir/.Sent/cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(copies[0].to_str().unwrap().ends_with(":2,S"));
    let copy = std::fs::read(&copies[0]).unwrap();
    let copy_id = MessageParser::default()
        .parse(&copy[..])
        .unwrap()
        .message_id()
        .map(str::to_owned);
    assert_eq!(copy_id.as_deref(), ack.message_id());
    env.run(&["run", "--once"]);
    assert_eq!(reply_status(&env, "amina@example.com"), "acknowledged");
    let pool = env.db().await;
    let (reason,): (String,) =
        sqlx::query_as("SELECT reason FROM mail_seen WHERE mailbox = 'maildir:Sent'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(reason, "automatic-outbound");

    // A person's answer makes it replied.
    let reply = "From: contact@ong-exemple.org\r\nTo: amina@example.com\r\nSubject: Re: Coordination Maroc\r\nMessage-ID: <human-1@ong-exemple.org>\r\nIn-Reply-To: <cand-1@example.com>\r\nDate: Tue, 06 Jul 2021 10:00:00 +0000\r\n\r\nMerci, pouvez-vous venir mardi ?\r\n";
    env.deliver("Maildir/.Sent", "3.M3.test:2,S", reply.as_bytes());
    env.run(&["run", "--once"]);
    assert_eq!(reply_status(&env, "amina@example.com"), "replied");
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn machines_forwards_denied_addresses_old_mail_and_imports_get_no_acknowledgement() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp.config("deny = [\"*@partenaire.example\"]"));
    // An autoresponder quoting the subject: not filed at all.
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", "Auto-Submitted: auto-replied\r\n"),
    );
    env.deliver(
        "Maildir",
        "2.M2.test",
        &application(2, "rh@partenaire.example", ""),
    );
    env.deliver(
        "Maildir",
        "3.M3.test",
        &application(3, "no-reply@jobs.example", ""),
    );
    let old = String::from_utf8(application(4, "ancien@example.com", ""))
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("Date:") {
                "Date: Mon, 05 Jul 2021 09:00:00 +0000\r"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    env.deliver("Maildir", "4.M4.test", old.as_bytes());
    // Old mail is mail the server received long ago (the Maildir file's time), whatever its
    // Date header says.
    let received_2021 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_625_475_600);
    std::fs::File::options()
        .write(true)
        .open(env.path("Maildir/new/4.M4.test"))
        .unwrap()
        .set_modified(received_2021)
        .unwrap();
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 3, "the auto-reply is not filed");
    assert_eq!(
        ack_states(&env).await,
        [
            ("skipped".to_owned(), Some("deny-list".to_owned())),
            ("skipped".to_owned(), Some("deny-list".to_owned())),
            ("skipped".to_owned(), Some("too-old".to_owned())),
        ]
    );
    assert_eq!(reply_status(&env, "ancien@example.com"), "unreplied");

    // An import of archived mail never writes to candidates.
    let archive = env.path("archive");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::write(
        archive.join("5.eml"),
        application(5, "yasmine@example.com", ""),
    )
    .unwrap();
    env.run(&["import", archive.to_str().unwrap()]);
    assert_eq!(reply_status(&env, "yasmine@example.com"), "unreplied");
    assert_eq!(ack_states(&env).await.len(), 3);
    assert!(smtp.messages().is_empty(), "{:?}", smtp.messages());
}

#[tokio::test]
async fn an_smtp_outage_delays_the_acknowledgement_without_losing_or_doubling_it() {
    let mut smtp = SmtpServer::reserve();
    let env = TestEnv::with_extra(&smtp.config(""));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    let out = env.run(&["run", "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("cannot connect to SMTP server 127.0.0.1"),
        "the admin is told: {log}"
    );
    assert_eq!(env.export().len(), 1, "the application is filed anyway");
    assert_eq!(ack_states(&env).await, [("pending".to_owned(), None)]);
    assert_eq!(reply_status(&env, "amina@example.com"), "unreplied");

    smtp.up();
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(reply_status(&env, "amina@example.com"), "acknowledged");
}

#[tokio::test]
async fn a_crash_while_the_server_holds_the_message_never_sends_it_twice() {
    let smtp = SmtpServer::start();
    // The server saves DATA at once, then waits before answering: the daemon is killed in
    // the only window where it cannot know whether the message was taken.
    smtp.delay_answers(60);
    let env = TestEnv::with_extra(&smtp.config(""));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    let mut daemon = Daemon(env.command().arg("run").spawn().unwrap());
    assert_eq!(smtp.wait_for(1, Duration::from_secs(30)).len(), 1);
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    assert_eq!(ack_states(&env).await[0].0, "sending");

    smtp.delay_answers(0);
    let out = env.run(&["run", "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("is not sent again"), "{log}");
    assert_eq!(smtp.messages().len(), 1, "not sent twice");
    let states = ack_states(&env).await;
    assert_eq!(states[0].0, "uncertain");
    let id = str_field(&env.export()[0], "id").to_owned();
    let show = String::from_utf8(env.run(&["show", &id]).stdout).unwrap();
    assert!(
        show.contains("Acknowledgement: uncertain (interrupted"),
        "{show}"
    );
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn refusals_are_retried_later_or_recorded_for_good() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp.config(""));
    smtp.refuse_with(Some("451 4.3.0 try again later"));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    env.run(&["run", "--once"]);
    let pool = env.db().await;
    let (state, reason, attempts): (String, Option<String>, i64) =
        sqlx::query_as("SELECT state, reason, attempts FROM acknowledgements")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!(reason.unwrap().contains("try again later"));

    smtp.refuse_with(Some("550 5.1.1 no such mailbox"));
    env.deliver(
        "Maildir",
        "2.M2.test",
        &application(2, "parti@example.com", ""),
    );
    env.run(&["run", "--once"]);
    let states = ack_states(&env).await;
    assert_eq!(
        states[0].0, "pending",
        "the first one waits for its retry time"
    );
    assert_eq!(states[1].0, "failed");
    assert!(states[1].1.as_deref().unwrap().contains("no such mailbox"));
    assert!(smtp.messages().is_empty());
    assert_eq!(reply_status(&env, "parti@example.com"), "unreplied");
}

#[tokio::test]
async fn starttls_is_verified_and_the_password_stays_secret() {
    let smtp = SmtpServer::start_tls();
    let env = TestEnv::with_extra(&smtp.config(""));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    let out = env
        .command()
        .args(["run", "--once"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(smtp.messages().len(), 1, "sent over STARTTLS after login");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains(crate::smtp::SMTP_PASSWORD),
        "password in the logs"
    );

    // The same server, but trusting another CA: refused, nothing sent, the admin told why.
    let untrusted = TestEnv::with_extra(&smtp.config("").replace(
        smtp.certs.ca.to_str().unwrap(),
        smtp.certs.other_ca.to_str().unwrap(),
    ));
    untrusted.deliver(
        "Maildir",
        "1.M1.test",
        &application(2, "parti@example.com", ""),
    );
    let out = untrusted.run(&["run", "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("UnknownIssuer"), "{log}");
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(ack_states(&untrusted).await, [("pending".to_owned(), None)]);
}

#[tokio::test]
async fn over_imap_the_copy_goes_to_the_sent_folder_marked_read() {
    let dovecot = crate::dovecot::Dovecot::start();
    dovecot
        .append("INBOX", &[application(1, "amina@example.com", "")])
        .await;
    let smtp = SmtpServer::start();
    let env = TestEnv::with_mailbox(&format!(
        "{}\n{}",
        dovecot.mailbox_config("plain", "127.0.0.1", ""),
        smtp.config("save_to_sent = true")
    ));
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);
    let sent = dovecot.flags("Sent").await;
    assert_eq!(sent.len(), 1, "one copy in Sent");
    assert!(sent[0].1.iter().any(|f| f.contains("Seen")), "{sent:?}");
    env.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(reply_status(&env, "amina@example.com"), "acknowledged");
}

/// lettre traces every line it writes at debug level: `AUTH PLAIN` with the base64 of the
/// login and password, then the acknowledgement itself. None of it reaches the log, whatever
/// `RUST_LOG` says, and the message still goes out.
#[tokio::test]
async fn a_trace_level_run_logs_neither_the_smtp_login_nor_the_acknowledgement() {
    use base64::Engine as _;
    const BODY_MARKER: &str = "Merci-pour-votre-candidature-7f3a9";
    let smtp = SmtpServer::start_tls();
    let env = TestEnv::with_extra(&smtp.config(&format!(
        "body = \"Bonjour {{first_name}}, {BODY_MARKER}.\""
    )));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "amina@example.com", ""),
    );
    let out = env
        .command()
        .args(["run", "--once"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(out.status.success());
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "delivered");
    assert!(sent[0].contains(BODY_MARKER), "{}", sent[0]);

    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "a trace run: {log}"
    );
    let auth_plain = base64::engine::general_purpose::STANDARD.encode(format!(
        "\0{}\0{}",
        crate::smtp::SMTP_USER,
        crate::smtp::SMTP_PASSWORD
    ));
    assert!(
        !log.contains(crate::smtp::SMTP_PASSWORD),
        "password in the log"
    );
    assert!(!log.contains(&auth_plain), "AUTH PLAIN in the log");
    assert!(
        !log.contains(BODY_MARKER),
        "the acknowledgement's body in the log"
    );
}
