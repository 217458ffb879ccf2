//! Answers to candidates against a real SMTP server (aiosmtpd): one reply and bulk sends
//! from the command line and the app, threaded, in the application's history and Sent
//! folder, never mistaken for a new reply, skipped for addresses that must not get one, and
//! at most once per application and job across SIGKILLs.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use rand::{Rng, SeedableRng};

use crate::helpers::{Daemon, TestEnv, str_field};
use crate::smtp::SmtpServer;
use crate::web::{WebApp, form};

/// An application from `email` (dated now), with a CV and a letter.
fn application(i: usize, email: &str, name: &str) -> Vec<u8> {
    crate::acknowledgement::fresh_application(i, email, name, name, "")
}

/// `[smtp]` for this server, acknowledgements off.
fn smtp_section(smtp: &SmtpServer, extra: &str) -> String {
    format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n{extra}\n",
        smtp.port
    )
}

fn ok(out: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    text
}

/// A command that may fail: its output, whatever its exit status.
fn attempt(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.command().args(args).output().unwrap()
}

fn application_id(env: &TestEnv, email: &str) -> String {
    let export = env.export();
    let app = export
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} is filed: {export:?}"));
    str_field(app, "id").to_owned()
}

/// Messages received per recipient (the envelope's).
fn per_recipient(messages: &[String]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in messages {
        let to = m
            .lines()
            .find_map(|l| l.strip_prefix("X-Envelope-To: "))
            .expect("envelope")
            .trim()
            .to_owned();
        *seen.entry(to).or_default() += 1;
    }
    seen
}

#[tokio::test]
async fn a_reply_answers_the_last_message_joins_the_thread_and_is_not_read_again() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp_section(&smtp, "save_to_sent = true"));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "leila@example.com", "Leïla Bennani"),
    );
    ok(&env.run(&["run", "--once"]));
    let id = application_id(&env, "leila@example.com");

    let out = env.run(&[
        "reply",
        &id,
        "--template",
        "rejection_after_review",
        "--set-status",
        "rejected",
        "--by",
        "Marie",
    ]);
    let said = ok(&out);
    assert!(said.contains("1 sent"), "{said}");

    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "one answer");
    let answer = MessageParser::default().parse(sent[0].as_bytes()).unwrap();
    assert_eq!(
        answer.to().unwrap().first().unwrap().address(),
        Some("leila@example.com")
    );
    assert_eq!(answer.in_reply_to().as_text(), Some("cand-1@example.com"));
    let refs: Vec<&str> = answer
        .references()
        .as_text_list()
        .map(|l| l.iter().map(|r| r.as_ref()).collect())
        .unwrap_or_default();
    assert_eq!(refs, ["earlier-1@example.com", "cand-1@example.com"]);
    assert_eq!(
        answer.subject(),
        Some("Votre candidature : Coordinateur·rice du Partenariat au Maroc")
    );
    let body = answer.body_text(0).unwrap();
    assert!(body.starts_with("Bonjour Leïla Bennani,"), "{body}");
    assert!(body.contains("nous ne retenons pas"), "{body}");
    assert!(
        answer.header("Auto-Submitted").is_none(),
        "a person's answer"
    );

    // Sent: the application is rejected and replied, the answer is in its thread and its
    // history, and a copy is in the Sent folder, read.
    let export = env.export();
    assert_eq!(str_field(&export[0], "status"), "rejected");
    assert_eq!(str_field(&export[0], "reply_status"), "replied");
    let answer_id = format!("<{}>", answer.message_id().unwrap());
    let threads = env
        .count("SELECT count(*) FROM application_messages l JOIN messages m ON m.id = l.message_id WHERE m.direction = 'outbound'")
        .await;
    assert_eq!(threads, 1);
    let pool = env.db().await;
    let (recorded,): (String,) =
        sqlx::query_as("SELECT message_id FROM messages WHERE direction = 'outbound'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, answer_id);
    let (actor, note): (String, String) =
        sqlx::query_as("SELECT actor, note FROM status_history WHERE status = 'rejected'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(actor, "Marie");
    assert!(note.contains("rejection_after_review"), "{note}");
    let show = ok(&env.run(&["show", &id]));
    assert!(
        show.contains("Votre candidature : Coordinateur·rice du Partenariat au Maroc"),
        "{show}"
    );
    let copies: Vec<_> = std::fs::read_dir(env.path("Maildir/.Sent/cur"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(copies[0].to_str().unwrap().ends_with(":2,S"));

    // The Sent folder scan meets the copy: the same message, not a second reply.
    ok(&env.run(&["run", "--once"]));
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'outbound'")
            .await,
        1,
        "the copy is the answer already in the thread"
    );
    let (outcome,): (String,) =
        sqlx::query_as("SELECT outcome FROM mail_seen WHERE mailbox = 'maildir:Sent'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(outcome, "duplicate");
    // A copy the server filed itself (other bytes, same Message-ID) is the same answer too.
    let mut other = sent[0].replace("X-Envelope-", "X-Was-Envelope-");
    other.insert_str(
        0,
        "Received: by mail.ong-exemple.org; Tue, 1 Jun 2027 10:00:00 +0000\r\n",
    );
    env.deliver("Maildir/.Sent", "9.M9.test:2,S", other.as_bytes());
    ok(&env.run(&["run", "--once"]));
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'outbound'")
            .await,
        1
    );
    assert_eq!(smtp.messages().len(), 1, "nothing sent again");

    // Forgetting the person leaves nothing of the answer: its row, its job, its message.
    ok(&env.run(&["forget", "leila@example.com"]));
    assert_eq!(env.count("SELECT count(*) FROM answers").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM answer_jobs").await, 0);
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'outbound'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_interview_invitation_carries_its_slot_as_a_calendar_event() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp_section(&smtp, ""));
    env.deliver(
        "Maildir",
        "1.M1.test",
        &application(1, "salma@example.com", "Salma Alaoui"),
    );
    ok(&env.run(&["run", "--once"]));
    let id = application_id(&env, "salma@example.com");

    // An invitation without its slot is refused before anything is recorded.
    let refused = attempt(&env, &["reply", &id, "--template", "interview_invitation"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs a date"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(env.count("SELECT count(*) FROM answer_jobs").await, 0);

    ok(&env.run(&[
        "reply",
        &id,
        "--template",
        "interview_invitation",
        "--set-status",
        "interview",
        "--interview-at",
        "2027-01-12 14:30",
        "--interview-minutes",
        "45",
        "--interview-place",
        "https://visio.example.org/entretien-42",
    ]));
    let sent = smtp.messages();
    assert_eq!(sent.len(), 1);
    let message = MessageParser::default().parse(sent[0].as_bytes()).unwrap();
    let body = message.body_text(0).unwrap();
    assert!(
        body.contains("le mardi 12 janvier 2027 à 14 h 30"),
        "{body}"
    );
    assert!(
        body.contains("https://visio.example.org/entretien-42"),
        "{body}"
    );
    let ics = message
        .attachments()
        .find(|a| a.attachment_name() == Some("invitation.ics"))
        .expect("the calendar event is attached");
    let content_type = ics.content_type().unwrap();
    assert_eq!(content_type.ctype(), "text");
    assert_eq!(content_type.subtype(), Some("calendar"));
    let text = std::str::from_utf8(ics.contents()).unwrap();
    let calendar: icalendar::Calendar = text.parse().expect("the .ics parses");
    let event = calendar
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("one event");
    use icalendar::Component;
    // The organisation's zone is UTC by default: the slot is written as typed.
    assert_eq!(event.property_value("DTSTART"), Some("20270112T143000Z"));
    assert_eq!(event.property_value("DTEND"), Some("20270112T151500Z"));
    assert_eq!(
        event.property_value("LOCATION"),
        Some("https://visio.example.org/entretien-42")
    );
    assert_eq!(str_field(&env.export()[0], "status"), "interview");
}

#[tokio::test]
async fn a_bulk_answer_lists_first_then_skips_bounced_addresses_and_closes_the_posting() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp_section(&smtp, ""));
    let people = [
        ("amina@example.com", "Amina El Mansouri"),
        ("youssef@example.com", "Youssef Amrani"),
        ("gone@example.com", "Karim Gone"),
    ];
    for (i, (email, name)) in people.iter().enumerate() {
        env.deliver(
            "Maildir",
            &format!("{i}.M{i}.test"),
            &application(i, email, name),
        );
    }
    ok(&env.run(&["run", "--once"]));
    // One address bounced for good earlier.
    let pool = env.db_for_writing().await;
    sqlx::query(
        "INSERT INTO bounces (candidate_id, permanent, status, reported_at)
         SELECT id, TRUE, '5.1.1', created_at FROM candidates WHERE email = 'gone@example.com'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let args = [
        "reply",
        "--posting",
        "coordination-maroc",
        "--status",
        "received",
        "--template",
        "rejection_after_review",
        "--set-status",
        "rejected",
    ];
    let listed = ok(&env.run(&[&args[..], &["--dry-run"]].concat()));
    assert!(listed.contains("3 application(s)"), "{listed}");
    assert!(listed.contains("amina@example.com"), "{listed}");
    assert_eq!(env.count("SELECT count(*) FROM answer_jobs").await, 0);
    assert!(smtp.messages().is_empty(), "a dry run sends nothing");
    let without_yes = attempt(&env, &args);
    assert!(!without_yes.status.success(), "--yes is needed");
    assert_eq!(env.count("SELECT count(*) FROM answer_jobs").await, 0);

    let said = ok(&env.run(&[&args[..], &["--yes"]].concat()));
    assert!(said.contains("2 sent, 1 skipped"), "{said}");
    assert!(said.contains("skipped (bounced)"), "{said}");
    let received = per_recipient(&smtp.messages());
    assert_eq!(received.get("amina@example.com"), Some(&1));
    assert_eq!(received.get("youssef@example.com"), Some(&1));
    assert_eq!(received.get("gone@example.com"), None);
    let export = env.export();
    for app in &export {
        let expected = if app["email"] == "gone@example.com" {
            "received"
        } else {
            "rejected"
        };
        assert_eq!(str_field(app, "status"), expected, "{app}");
    }
    // The posting has nobody left in `received` to answer.
    let again = ok(&env.run(&[&args[..], &["--dry-run"]].concat()));
    assert!(again.contains("1 application(s)"), "{again}");
}

/// A 200-recipient job, its daemon SIGKILLed at seeded random moments while it sends, then
/// restarted until nothing is left: every application gets at most one message, and every
/// one whose row was not interrupted mid-DATA gets exactly one. `ANSWERS_SEED` replays a run.
#[tokio::test]
async fn a_bulk_job_killed_at_random_moments_sends_at_most_once_and_finishes_after_restarts() {
    const PEOPLE: usize = 200;
    let seed: u64 = std::env::var("ANSWERS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("ANSWERS_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let mut smtp = SmtpServer::reserve();
    let env = TestEnv::with_extra(&smtp_section(&smtp, ""));
    let inbox = env.path("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..PEOPLE {
        std::fs::write(
            inbox.join(format!("{i:03}.eml")),
            application(
                i,
                &format!("person{i}@example.com"),
                &format!("Person{i} Test"),
            ),
        )
        .unwrap();
    }
    ok(&env.run(&["import", inbox.to_str().unwrap()]));
    // The server is down: the job is recorded, nothing is sent, the command says so.
    let out = attempt(
        &env,
        &[
            "reply",
            "--posting",
            "coordination-maroc",
            "--status",
            "received",
            "--template",
            "rejection_after_review",
            "--yes",
        ],
    );
    assert!(!out.status.success(), "the SMTP server is down");
    assert_eq!(
        env.count("SELECT count(*) FROM answers WHERE state = 'pending'")
            .await,
        PEOPLE as i64
    );

    smtp.up();
    // Each message takes the server a little while, so that kills land in every step.
    smtp.delay_answers_ms(15);
    for round in 0..6 {
        let mut daemon = Daemon(env.command().arg("run").spawn().unwrap());
        let wait = Duration::from_millis(rng.random_range(300..1_500));
        std::thread::sleep(wait);
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        println!(
            "round {round}: killed after {wait:?}, {} received",
            smtp.messages().len()
        );
    }
    smtp.delay_answers_ms(0);
    // Rows a kill left mid-send are `sending`; one that ages past the limit becomes
    // `uncertain`. Age them now rather than wait ten minutes.
    let pool = env.db_for_writing().await;
    sqlx::query("UPDATE answers SET claimed_at = '2000-01-01T00:00:00Z' WHERE state = 'sending'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let daemon = Daemon(env.command().arg("run").spawn().unwrap());
    let start = Instant::now();
    while env
        .count("SELECT count(*) FROM answers WHERE state IN ('pending', 'sending')")
        .await
        > 0
    {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the job finishes after the restart (seed {seed})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(daemon);

    let received = per_recipient(&smtp.messages());
    for (to, n) in &received {
        assert_eq!(*n, 1, "{to} got {n} messages (seed {seed})");
    }
    let pool = env.db().await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.email, r.state FROM answers r JOIN applications a ON a.id = r.application_id
         JOIN candidates c ON c.id = a.candidate_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), PEOPLE);
    for (email, state) in &rows {
        match state.as_str() {
            "sent" => assert!(received.contains_key(email), "{email} sent (seed {seed})"),
            // Interrupted during DATA: the server may or may not have it; never resent.
            "uncertain" => {}
            other => panic!("{email} ended {other} (seed {seed})"),
        }
    }
    let uncertain = rows.iter().filter(|(_, s)| s == "uncertain").count();
    assert!(uncertain <= 6, "at most one per kill (seed {seed})");
    println!(
        "{} sent, {uncertain} uncertain, {} received",
        rows.len() - uncertain,
        received.len()
    );
}

/// The app: a reply composed from a template, edited and sent; a double click records one
/// job; a bulk send of the whole filter, counted and confirmed first.
#[tokio::test]
async fn the_app_replies_once_per_click_and_confirms_a_bulk_send_before_it() {
    let smtp = SmtpServer::start();
    let mut messages: Vec<Vec<u8>> = (0..3)
        .map(|i| application(i, &format!("p{i}@example.com"), &format!("Prénom{i} Nom")))
        .collect();
    // The same person applies to a second posting: two applications, two answers.
    messages.push(
        String::from_utf8(application(9, "p0@example.com", "Prénom0 Nom"))
            .unwrap()
            .replace("Coordination Maroc", "Chef de projet Sénégal")
            .into_bytes(),
    );
    let app = WebApp::start_with(&messages, &smtp_section(&smtp, ""));
    let cookie = app.session();
    let origin = app.origin();

    let page = app.get("/applications/1/reply?template=missing_document", &cookie);
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains("pièce manquante"), "{html}");
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a one-time token")
        .to_owned();
    let body = form(&[
        ("template", "missing_document"),
        ("subject", "Votre dossier"),
        (
            "body",
            "Bonjour,\r\nil manque votre CV signé.\r\nCordialement",
        ),
        ("set_status", ""),
        ("token", &token),
    ]);
    let first = app.post("/applications/1/reply", &cookie, &body, Some(&origin));
    assert_eq!(first.status, 303, "{}", first.text());
    let second = app.post("/applications/1/reply", &cookie, &body, Some(&origin));
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(app.env.count("SELECT count(*) FROM answer_jobs").await, 1);
    let sent = smtp.wait_for(1, Duration::from_secs(30));
    let message = MessageParser::default().parse(sent[0].as_bytes()).unwrap();
    assert_eq!(message.subject(), Some("Votre dossier"));
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("il manque votre CV signé.")
    );

    // The bulk form: every application of the filter, counted before anything is recorded.
    let prepare = form(&[
        ("scope", "all"),
        ("template", "rejection_after_review"),
        ("set_status", "rejected"),
    ]);
    let confirm = app.post("/answers/prepare", &cookie, &prepare, Some(&origin));
    assert_eq!(confirm.status, 200, "{}", confirm.text());
    let html = confirm.text();
    assert!(
        html.contains("<strong id=\"confirm-count\">4</strong>"),
        "{html}"
    );
    assert_eq!(app.env.count("SELECT count(*) FROM answer_jobs").await, 1);
    let field = |name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let send = form(&[
        ("template", &field("template")),
        ("set_status", &field("set_status")),
        ("ids", &field("ids")),
        ("token", &field("token")),
    ]);
    let done = app.post("/answers", &cookie, &send, Some(&origin));
    assert_eq!(done.status, 303, "{}", done.text());
    let job = done.header("location").to_owned();
    let start = Instant::now();
    loop {
        let page = app.get(&job, &cookie).text();
        if page.contains("<strong id=\"count-sent\">4</strong>") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{page}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The list of sends shows each job with its own progress.
    let sends = app.get("/answers", &cookie).text();
    assert!(sends.contains("4 / 4 Envoyé"), "{sends}");
    assert!(sends.contains("1 / 1 Envoyé"), "{sends}");
    let bulk = per_recipient(&smtp.messages()[1..]);
    assert_eq!(bulk.get("p0@example.com"), Some(&2), "one per application");
    assert_eq!(bulk.get("p1@example.com"), Some(&1));
    let export = app.env.export();
    assert_eq!(export.len(), 4);
    assert!(
        export
            .iter()
            .all(|a| str_field(a, "status") == "rejected"
                && str_field(a, "reply_status") == "replied"),
        "{export:?}"
    );
}

/// A 5xx fails the row with the server's words, shown by the command and on the job's page;
/// after the cause is fixed, a person's "send again" sends it once.
#[tokio::test]
async fn a_refused_answer_shows_the_servers_words_and_a_person_can_send_it_again() {
    let smtp = SmtpServer::start();
    let app = WebApp::start_with(
        &[application(1, "ines@example.com", "Inès Bakayoko")],
        &smtp_section(&smtp, ""),
    );
    smtp.refuse_with(Some("550 5.7.1 message refused by policy"));
    let out = attempt(
        &app.env,
        &[
            "reply",
            "1",
            "--template",
            "rejection_after_review",
            "--set-status",
            "rejected",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("failed (") && said.contains("refused by policy"),
        "{said}"
    );
    assert_eq!(
        str_field(&app.env.export()[0], "status"),
        "received",
        "no status change without a send"
    );
    let cookie = app.session();
    let page = app.get("/answers/1", &cookie).text();
    assert!(page.contains("refused by policy"), "{page}");
    assert!(page.contains("/answers/1/rows/1/resend"), "{page}");

    smtp.refuse_with(None);
    let resent = app.post("/answers/1/rows/1/resend", &cookie, "", Some(&app.origin()));
    assert_eq!(resent.status, 303, "{}", resent.text());
    let sent = smtp.wait_for(1, Duration::from_secs(30));
    assert_eq!(sent.len(), 1);
    let start = Instant::now();
    while str_field(&app.env.export()[0], "status") != "rejected" {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rejected once sent"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second press on a row already sent does nothing.
    app.post("/answers/1/rows/1/resend", &cookie, "", Some(&app.origin()));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(smtp.messages().len(), 1);
}
