//! applymail against a real Dovecot: security, authentication, reading, acting on the server,
//! push, reconnection, UIDVALIDITY and shutdown.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::dovecot::Dovecot;
use crate::helpers::{Daemon, TestEnv, fixtures, str_field};
use crate::synth;

fn check(env: &TestEnv) -> (bool, String) {
    let output = env.command().arg("check").output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn plain_tls_and_starttls_logins_work_and_check_reports_the_server() {
    let dovecot = Dovecot::start();
    for (security, host) in [
        ("plain", "127.0.0.1"),
        ("tls", "localhost"),
        ("starttls", "localhost"),
    ] {
        let env = TestEnv::with_mailbox(&dovecot.mailbox_config(security, host, ""));
        let (ok, text) = check(&env);
        assert!(ok, "{security}: {text}");
        assert!(text.contains("mailbox: ok"), "{text}");
        assert!(text.contains("IDLE"), "capabilities are listed: {text}");
        assert!(
            text.contains("folder Sent  \\Sent"),
            "special uses are listed: {text}"
        );
        assert!(
            !text.contains(crate::dovecot::PASSWORD),
            "the password never shows"
        );
    }
}

#[test]
fn an_unknown_ca_and_a_wrong_host_name_are_refused() {
    let dovecot = Dovecot::start();
    let other_ca = format!("ca_file = \"{}\"", dovecot.other_ca_file.display());
    let mailbox = dovecot.mailbox_config("tls", "localhost", "").replace(
        &format!("ca_file = \"{}\"", dovecot.ca_file.display()),
        &other_ca,
    );
    let (ok, text) = check(&TestEnv::with_mailbox(&mailbox));
    assert!(!ok);
    assert!(
        text.contains("TLS handshake with localhost failed") && text.contains("UnknownIssuer"),
        "{text}"
    );
    // The certificate names `localhost`, not 127.0.0.1.
    let (ok, text) = check(&TestEnv::with_mailbox(&dovecot.mailbox_config(
        "tls",
        "127.0.0.1",
        "",
    )));
    assert!(!ok);
    assert!(text.contains("not valid for name \"127.0.0.1\""), "{text}");
    let (ok, text) = check(&TestEnv::with_mailbox(&dovecot.mailbox_config(
        "starttls",
        "127.0.0.1",
        "",
    )));
    assert!(!ok, "STARTTLS verifies the name too: {text}");
}

#[test]
fn an_expired_certificate_is_refused_over_tls_and_starttls() {
    let dovecot = Dovecot::start_with_expired_certificate();
    for security in ["tls", "starttls"] {
        let env = TestEnv::with_mailbox(&dovecot.mailbox_config(security, "localhost", ""));
        let (ok, text) = check(&env);
        assert!(!ok, "{security}: {text}");
        assert!(text.contains("certificate expired"), "{security}: {text}");
        // The daemon does not file anything through it either.
        let out = env.command().args(["run", "--once"]).output().unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("certificate expired"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_server_without_starttls_is_refused_not_used_in_clear() {
    let dovecot = Dovecot::start_with("ssl = no\n");
    let (ok, text) = check(&TestEnv::with_mailbox(&dovecot.mailbox_config(
        "starttls",
        "localhost",
        "",
    )));
    assert!(!ok);
    assert!(text.contains("does not offer STARTTLS"), "{text}");
}

#[test]
fn a_wrong_password_is_a_clear_error_and_not_retried_in_a_tight_loop() {
    let dovecot = Dovecot::start();
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let output = env
        .command()
        .arg("check")
        .env("APPLYMAIL_TEST_IMAP_PASSWORD", "wrong")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        text.contains("authentication failed for contact@ong-exemple.org"),
        "{text}"
    );

    let log = env.path("daemon.log");
    let mut daemon = env
        .command()
        .arg("run")
        .env("APPLYMAIL_TEST_IMAP_PASSWORD", "wrong")
        .env("RUST_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .map(crate::helpers::Daemon)
        .unwrap();
    // Dovecot itself slows repeated failures down (its anvil penalty), so give it time.
    std::thread::sleep(Duration::from_secs(8));
    terminate(&mut daemon);
    let text = std::fs::read_to_string(&log).unwrap();
    let failures: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR authentication failed"))
        .collect();
    assert_eq!(failures.len(), 1, "one attempt, then a long wait:\n{text}");
    assert!(
        failures[0].contains("[AUTHENTICATIONFAILED]"),
        "{}",
        failures[0]
    );
    let retry: f64 = failures[0]
        .split("retry_in=")
        .nth(1)
        .unwrap()
        .trim_end_matches('s')
        .parse()
        .unwrap();
    assert!(
        retry >= 300.0,
        "a refused login is retried after minutes: {retry}s"
    );
}

#[test]
fn xoauth2_logs_in_with_a_token_from_a_command() {
    let dovecot = Dovecot::start();
    let mailbox = dovecot
        .mailbox_config("tls", "localhost", "auth = \"xoauth2\"")
        .replace(
            "password_env = \"APPLYMAIL_TEST_IMAP_PASSWORD\"",
            &format!(
                "token_command = \"printf %s '{}'\"",
                crate::dovecot::PASSWORD
            ),
        );
    let env = TestEnv::with_mailbox(&mailbox);
    let (ok, text) = check(&env);
    assert!(ok, "{text}");
    // At trace level, neither the token nor the SASL response that carries it (base64) shows,
    // in the daemon's logs or in `check`'s output.
    let output = env
        .command()
        .args(["run", "--once"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(output.status.success());
    let sasl = format!(
        "user={}\x01auth=Bearer {}\x01\x01",
        crate::dovecot::USER,
        crate::dovecot::PASSWORD
    );
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(sasl);
    for text in [String::from_utf8_lossy(&output.stderr).into_owned(), text] {
        assert!(!text.contains(crate::dovecot::PASSWORD), "{text}");
        assert!(!text.contains(&encoded), "{text}");
    }
}

/// The fields of an export that must not depend on how the mail was read. `received_at` does:
/// it is when the server received each message (the APPEND's time here), while an import of
/// files, which have no such time, takes the Date header.
fn comparable(export: &[Value]) -> Vec<String> {
    let mut rows: Vec<String> = export
        .iter()
        .map(|a| {
            let mut docs: Vec<String> = a["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    format!(
                        "{}|{}|{}|{}|{}",
                        d["kind"], d["source"], d["sha256"], d["filename"], d["current"]
                    )
                })
                .collect();
            docs.sort();
            let mut ids: Vec<&str> = a["message_ids"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            ids.sort();
            format!(
                "{} {} {} {} {} {} {:?} {:?}",
                str_field(a, "email"),
                str_field(a, "posting"),
                str_field(a, "last_name"),
                str_field(a, "first_name"),
                str_field(a, "reply_status"),
                a["flags"],
                ids,
                docs
            )
        })
        .collect();
    rows.sort();
    rows
}

fn corpus(folder: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(fixtures().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[tokio::test]
async fn the_corpus_read_over_imap_gives_the_import_results_and_disturbs_nobody() {
    let dovecot = Dovecot::start();
    dovecot.append("INBOX", &corpus("inbox")).await;
    dovecot.append("Sent", &corpus("sent")).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("starttls", "localhost", ""));
    env.run(&["run", "--once"]);
    let over_imap = env.export();

    let imported = TestEnv::new();
    imported.run(&[
        "import",
        fixtures().join("inbox").to_str().unwrap(),
        "--sent",
        fixtures().join("sent").to_str().unwrap(),
    ]);
    assert_eq!(comparable(&over_imap), comparable(&imported.export()));

    // Nobody's mail became read; only filed mail got the keyword; nothing moved.
    let pool = env.db().await;
    let filed: Vec<(String,)> = sqlx::query_as("SELECT location FROM mail_seen WHERE mailbox = 'imap:INBOX' AND outcome IN ('filed', 'followup')")
        .fetch_all(&pool)
        .await
        .unwrap();
    let filed: Vec<u32> = filed
        .iter()
        .map(|(l,)| l.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    let flags = dovecot.flags("INBOX").await;
    assert_eq!(flags.len(), corpus("inbox").len());
    for (uid, flags) in &flags {
        assert!(
            !flags.iter().any(|f| f.contains("Seen")),
            "UID {uid} became \\Seen: {flags:?}"
        );
        let keyword = flags.iter().any(|f| f.contains("$Applymail-Filed"));
        assert_eq!(
            keyword,
            filed.contains(uid),
            "UID {uid}: keyword {keyword}, flags {flags:?}"
        );
    }
    assert!(
        dovecot
            .flags("Sent")
            .await
            .iter()
            .all(|(_, f)| f.iter().all(|f| !f.contains("Applymail"))),
        "Sent is never touched"
    );

    // A second pass reads nothing again.
    let before = crate::helpers::snapshot(&pool).await;
    env.run(&["run", "--once"]);
    assert_eq!(crate::helpers::snapshot(&pool).await, before);
}

#[tokio::test]
async fn after_filing_move_moves_only_filed_mail() {
    let dovecot = Dovecot::start();
    dovecot.create_folder("Candidatures").await;
    let spam = b"From: promo@voyages.example\r\nSubject: Riads au Maroc\r\nMessage-ID: <spam@x>\r\n\r\nPromo\r\n".to_vec();
    dovecot
        .append(
            "INBOX",
            &[
                synth::application(1, 2_000),
                spam,
                synth::application(2, 2_000),
            ],
        )
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config(
        "plain",
        "127.0.0.1",
        "after_filing = \"move:Candidatures\"",
    ));
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 2);
    assert_eq!(
        dovecot.flags("INBOX").await.len(),
        1,
        "the ignored message stays"
    );
    assert_eq!(dovecot.flags("Candidatures").await.len(), 2);
}

#[tokio::test]
async fn a_message_appended_during_idle_is_filed_within_a_second_and_a_half() {
    let dovecot = Dovecot::start();
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let mut daemon = spawn_and_wait_for(&env, "idle: waiting");
    let mut latencies = Vec::new();
    for i in 0..3 {
        let start = Instant::now();
        dovecot
            .append("INBOX", &[synth::application(i, 2_000)])
            .await;
        wait_for_applications(&env, i as i64 + 1).await;
        latencies.push(start.elapsed());
    }
    terminate(&mut daemon);
    for latency in &latencies {
        assert!(
            *latency < Duration::from_millis(1500),
            "APPEND to committed row: {latencies:?}"
        );
    }
}

/// The daemon waits in IDLE on the inbox alone, and stays in it from one message to the next;
/// a reply put in Sent meanwhile is found when the inbox next wakes it, and the daemon then
/// goes back to waiting on the inbox.
#[tokio::test]
async fn a_reply_sent_while_the_daemon_idles_is_tracked_when_it_next_wakes() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(0, 2_000)])
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let mut daemon = env.daemon();
    wait_for_applications(&env, 1).await;
    assert_eq!(
        reply_status(&env, "candidat0@example.com"),
        Some("unreplied".into())
    );

    dovecot.append("Sent", &[synth::reply_to(0)]).await;
    dovecot
        .append("INBOX", &[synth::application(1, 2_000)])
        .await;
    wait_for_applications(&env, 2).await;
    wait_for(
        || reply_status(&env, "candidat0@example.com") == Some("replied".into()),
        "the reply to be tracked",
    );
    // Back in IDLE on the inbox, not on Sent: the next message needs no poll (30 s here).
    dovecot
        .append("INBOX", &[synth::application(2, 2_000)])
        .await;
    assert!(
        applications_within(&env, 3, Duration::from_secs(10)).await,
        "a message after the Sent folder was read waited for the poll"
    );
    terminate(&mut daemon);
}

/// Sent mail deleted before the daemon read it leaves UIDs below the folder's UIDNEXT that no
/// pass will see. A complete pass moves the cursor to the UIDNEXT its SELECT announced, or the
/// folder would look as if it held news at every wake-up (its STATUS UIDNEXT past the cursor)
/// and be selected each time for nothing: whether the gap is at the folder's end or the
/// folder was emptied.
#[tokio::test]
async fn sent_mail_deleted_before_it_was_read_leaves_no_news_behind() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(0, 2_000)])
        .await;
    let replies: Vec<Vec<u8>> = (0..3).map(synth::reply_to).collect();
    dovecot.append("Sent", &replies).await;
    dovecot.expunge("Sent", "2:3").await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let sent_cursor = || async {
        let (next,): (i64,) =
            sqlx::query_as("SELECT next_uid FROM mailbox_cursors WHERE mailbox = 'imap:Sent'")
                .fetch_one(&env.db().await)
                .await
                .unwrap();
        next
    };

    env.run(&["run", "--once"]);
    assert_eq!(
        reply_status(&env, "candidat0@example.com"),
        Some("replied".into())
    );
    assert_eq!(
        sent_cursor().await,
        4,
        "past the mail deleted at the folder's end"
    );

    dovecot.append("Sent", &[synth::reply_to(3)]).await;
    dovecot.expunge("Sent", "1:*").await;
    env.run(&["run", "--once"]);
    assert_eq!(
        sent_cursor().await,
        5,
        "past the mail of a folder since emptied"
    );
}

/// Without IDLE the daemon polls, keeping the inbox selected between polls: each poll's search
/// must still see what arrived since.
#[tokio::test]
async fn without_idle_the_daemon_polls_and_files_each_new_message() {
    let dovecot = Dovecot::start_with(
        "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE SPECIAL-USE UIDPLUS NAMESPACE\n",
    );
    let env = TestEnv::with_mailbox(
        &dovecot
            .mailbox_config("plain", "127.0.0.1", "")
            .replace("poll_interval = \"30s\"", "poll_interval = \"1s\""),
    );
    let mut daemon = spawn_and_wait_for(&env, "the server has no IDLE: polling");
    for i in 0..3 {
        dovecot
            .append("INBOX", &[synth::application(i, 2_000)])
            .await;
        assert!(
            applications_within(&env, i as i64 + 1, Duration::from_secs(10)).await,
            "message {i} was not filed by the next polls"
        );
    }
    dovecot.append("Sent", &[synth::reply_to(1)]).await;
    wait_for(
        || reply_status(&env, "candidat1@example.com") == Some("replied".into()),
        "the reply to be tracked",
    );
    terminate(&mut daemon);
}

#[test]
fn a_sent_folder_missing_on_the_server_is_named() {
    let dovecot = Dovecot::start();
    let env =
        TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", "sent = \"Envoyés\""));
    let out = env.command().args(["run", "--once"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("no folder Envoyés on the server"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_daemon_survives_a_server_restart_and_files_everything_once() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(0, 2_000)])
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let (mut daemon, log) = env.logged_daemon("info,applymail=debug");
    wait_for_applications(&env, 1).await;
    // A crash of the server, connections included (a clean `doveadm stop` leaves logged-in
    // sessions running).
    dovecot.kill();
    std::thread::sleep(Duration::from_secs(2));
    dovecot.restart();
    dovecot
        .append(
            "INBOX",
            &[synth::application(1, 2_000), synth::application(2, 2_000)],
        )
        .await;
    if !applications_within(&env, 3, Duration::from_secs(30)).await {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        panic!(
            "timed out waiting for 3 applications after the restart\ndaemon log:\n{text}\nDovecot log:\n{}",
            dovecot.log()
        );
    }
    if stop_within(&mut daemon, Duration::from_secs(10)).is_none() {
        panic!(
            "the daemon did not stop within 10 s of SIGTERM\ndaemon log:\n{}\nDovecot log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default(),
            dovecot.log()
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("reconnecting"),
        "the outage was logged:\n{text}"
    );
    assert!(text.matches("connected").count() >= 2, "{text}");
    assert_eq!(env.export().len(), 3);
}

/// New mail is announced once, in the response to whatever command the client sends next; a
/// client that forgets an announcement made during a pass sleeps through the next IDLE.
#[tokio::test]
async fn mail_announced_during_a_pass_ends_the_next_idle_at_once() {
    use applymail::domain::cursor::Uid;
    use applymail::imap::IdleEnd;

    let dovecot = Dovecot::start();
    dovecot.append("INBOX", &[synth::application(0, 500)]).await;
    let mut client = direct_client(&dovecot).await;
    client.select("INBOX").await.unwrap();
    let uids = client.uids_from(Uid::new(1).unwrap()).await.unwrap();
    assert_eq!(uids.len(), 1);
    // Arrives after the pass searched. Dovecot announces it in the response to the download
    // (EXISTS), then to the keyword's STORE (RECENT): once each, and never again in IDLE.
    dovecot.append("INBOX", &[synth::application(1, 500)]).await;
    assert_eq!(client.fetch("INBOX", &uids).await.unwrap().len(), 1);
    client
        .add_keyword(&uids, applymail::imap::FILED_KEYWORD)
        .await
        .unwrap();
    let started = Instant::now();
    let end: IdleEnd = client.idle(Duration::from_secs(20)).await.unwrap();
    assert_eq!(end, IdleEnd::NewData);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "IDLE waited {:?} for news it had been given",
        started.elapsed()
    );
}

/// applymail's own IMAP client, logged in to `dovecot` over plain IMAP on loopback.
async fn direct_client(dovecot: &Dovecot) -> applymail::imap::ImapClient {
    let secrets = tempfile::tempdir().unwrap();
    let password = secrets.path().join("password");
    std::fs::write(&password, crate::dovecot::PASSWORD).unwrap();
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", "").replace(
        "password_env = \"APPLYMAIL_TEST_IMAP_PASSWORD\"",
        &format!("password_file = \"{}\"", password.display()),
    ));
    let config = env.path("applymail.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let settings = applymail::config::load_str(&text, &config, Vec::new()).unwrap();
    let applymail::config::MailboxSettings::Imap(imap) = &settings.mailbox else {
        panic!("an IMAP mailbox");
    };
    let tls = applymail::imap::client_config(imap.ca_file.as_deref()).unwrap();
    applymail::imap::ImapClient::connect(imap, tls)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_uidvalidity_files_nothing_twice() {
    let dovecot = Dovecot::start();
    dovecot.create_folder("Candidatures").await;
    let messages: Vec<Vec<u8>> = (0..5).map(|i| synth::application(i, 2_000)).collect();
    dovecot.append("Candidatures", &messages).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config(
        "plain",
        "127.0.0.1",
        "inbox = \"Candidatures\"",
    ));
    env.run(&["run", "--once"]);
    let before = env.export();
    assert_eq!(before.len(), 5);
    dovecot.delete_folder("Candidatures").await;
    dovecot.create_folder("Candidatures").await;
    dovecot.append("Candidatures", &messages).await;
    env.run(&["run", "--once"]);
    assert_eq!(env.export(), before);
    let pool = env.db().await;
    let (duplicates,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM mail_seen WHERE outcome = 'duplicate'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(duplicates, 5, "the rescan recognised every message");
}

/// What a crash right after a commit leaves: the rows, but neither the keywords nor the
/// cursor. The next pass marks the filed messages without downloading anything again, and
/// files nothing twice.
#[tokio::test]
async fn a_pass_cut_short_after_its_commit_marks_without_downloading_again() {
    let dovecot = Dovecot::start();
    let mut messages: Vec<Vec<u8>> = (0..4).map(|i| synth::application(i, 2_000)).collect();
    messages.push(
        b"From: news@example.net\r\nTo: contact@ong-exemple.org\r\nSubject: Lettre d'information\r\n\
          Message-ID: <news-1@example.net>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\nBonjour.\r\n"
            .to_vec(),
    );
    dovecot.append("INBOX", &messages).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    env.run(&["run", "--once"]);
    let before = env.export();
    assert_eq!(before.len(), 4);
    let keyword = applymail::imap::FILED_KEYWORD;
    dovecot
        .store("INBOX", "1:*", &format!("-FLAGS ({keyword})"))
        .await;
    let pool = env.db_for_writing().await;
    sqlx::query("DELETE FROM mailbox_cursors")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let log = run_once_logged(&env);
    let downloaded: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("batch downloaded"))
        .collect();
    assert!(!downloaded.is_empty(), "{log}");
    assert!(
        downloaded.iter().all(|l| l.contains(" messages=0 ")),
        "nothing is downloaded again: {downloaded:?}"
    );
    assert!(!log.contains("message processed"), "{log}");
    let flags = dovecot.flags("INBOX").await;
    for (uid, flags) in &flags {
        let marked = flags.iter().any(|f| f.contains(keyword));
        assert_eq!(marked, *uid <= 4, "UID {uid}: {flags:?}");
    }
    assert_eq!(env.export(), before, "nothing filed twice");
}

/// `run --once`, which must succeed; its debug log.
fn run_once_logged(env: &TestEnv) -> String {
    let out = env
        .command()
        .env("RUST_LOG", "applymail=debug")
        .args(["run", "--once"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    log
}

/// A pass saves its cursor at most once a second while it goes, and always at its end: after
/// a complete pass of several batches the next one has no UID to ask about.
#[tokio::test]
async fn a_complete_pass_leaves_the_cursor_past_every_message() {
    let dovecot = Dovecot::start();
    let messages: Vec<Vec<u8>> = (0..150).map(|i| synth::application(i, 2_000)).collect();
    dovecot.append("INBOX", &messages).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let pass = |env: &TestEnv| {
        let log = run_once_logged(env);
        log.lines()
            .filter(|l| l.contains("batch downloaded"))
            .count()
    };
    assert!(pass(&env) >= 3, "150 messages come in several batches");
    assert_eq!(env.export().len(), 150);
    assert_eq!(pass(&env), 0, "the second pass starts past every message");
}

#[tokio::test]
async fn sigterm_during_a_backfill_exits_cleanly_and_the_next_run_continues() {
    let dovecot = Dovecot::start();
    let messages: Vec<Vec<u8>> = (0..300).map(|i| synth::application(i, 20_000)).collect();
    dovecot.append("INBOX", &messages).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let mut daemon = env.daemon();
    wait_for_applications(&env, 20).await;
    let started = Instant::now();
    let status = terminate(&mut daemon);
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let partial = env.export().len();
    assert!(
        partial < 300,
        "the backfill was interrupted ({partial} filed)"
    );
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 300);
    let pool = env.db().await;
    let (seen,): (i64,) = sqlx::query_as("SELECT count(*) FROM mail_seen")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seen, 300, "each message recorded once");
}

/// A server that accepts the connection and never greets keeps applymail waiting (up to its
/// connect timeout), but nothing is in hand then: SIGTERM must stop it at once.
#[test]
fn sigterm_stops_the_daemon_while_a_silent_server_keeps_it_waiting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let env = loopback_server_env(port);
    let mut daemon = env.daemon();
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let _silent = loop {
        match listener.accept() {
            Ok((connection, _)) => break connection,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the daemon never connected");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    // Let it settle into waiting for the greeting.
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    let status = terminate(&mut daemon);
    assert!(status.success(), "{status}");
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "stopping took {:?}",
        asked.elapsed()
    );
}

/// A server that never answers DONE: on SIGTERM the daemon, waiting in IDLE with nothing in
/// hand, gives the server a few seconds (not the minute a command may take), then stops
/// and says the session did not end cleanly.
#[test]
fn sigterm_stops_the_daemon_when_the_server_never_answers_done() {
    assert_stops_when_stalled(0, "DONE", "the daemon never went idle");
}

/// A server that stops answering in the middle of a download: on SIGTERM the daemon gives
/// it a few seconds, not the minutes a download may take (a service manager kills what does
/// not stop within its own limit, 20 s in the shipped unit), then stops and says the session
/// did not end cleanly.
#[test]
fn sigterm_stops_the_daemon_when_the_server_stalls_a_download() {
    assert_stops_when_stalled(1, "BODY.PEEK", "the daemon never asked for the message");
}

/// Runs the daemon against [`stalling_server`]`(messages, stall)`, waits until it has sent
/// the command that is never answered, then sends SIGTERM and holds it to a prompt stop.
fn assert_stops_when_stalled(messages: u32, stall: &'static str, never_sent: &str) {
    let (port, asked) = stalling_server(messages, stall);
    let daemon = LoopbackDaemon::start(port);
    asked
        .recv_timeout(Duration::from_secs(30))
        .expect(never_sent);
    daemon.assert_stops_within_seconds();
}

/// Just enough IMAP on loopback for the daemon to select an inbox of `messages` small
/// messages, except that the command whose line holds `stall` is never answered. The
/// receiver hears when the daemon starts IDLE and when it sends that command.
fn stalling_server(messages: u32, stall: &'static str) -> (u16, std::sync::mpsc::Receiver<()>) {
    use std::io::{BufRead, BufReader, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (heard, hear) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        out.write_all(b"* OK ready\r\n").unwrap();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if line.contains(stall) {
                let _ = heard.send(());
                continue;
            }
            let mut words = line.split_whitespace();
            let tag = words.next().unwrap_or("*");
            let command = words.next().unwrap_or("").to_ascii_uppercase();
            let command = match command.as_str() {
                "UID" => format!("UID {}", words.next().unwrap_or("").to_ascii_uppercase()),
                _ => command,
            };
            let reply = match command.as_str() {
                "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n"),
                "LIST" => format!("* LIST () \"/\" INBOX\r\n{tag} OK done\r\n"),
                "SELECT" => format!(
                    "* {messages} EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT {}] ok\r\n{tag} OK [READ-WRITE] done\r\n",
                    messages + 1
                ),
                "UID SEARCH" => {
                    let uids: Vec<String> = (1..=messages).map(|uid| uid.to_string()).collect();
                    format!("* SEARCH {}\r\n{tag} OK done\r\n", uids.join(" "))
                }
                // Sizes: the only other FETCH, the download, is the one that stalls.
                "UID FETCH" => {
                    let sizes: String = (1..=messages)
                        .map(|uid| format!("* {uid} FETCH (UID {uid} RFC822.SIZE 2000)\r\n"))
                        .collect();
                    format!("{sizes}{tag} OK done\r\n")
                }
                "IDLE" => {
                    let _ = heard.send(());
                    "+ idling\r\n".to_owned()
                }
                _ => format!("{tag} OK done\r\n"),
            };
            if out.write_all(reply.as_bytes()).is_err() {
                break;
            }
        }
    });
    (port, hear)
}

/// The daemon of a test's own server on loopback, logging its warnings.
struct LoopbackDaemon {
    _env: TestEnv,
    daemon: Daemon,
    log: std::path::PathBuf,
}

impl LoopbackDaemon {
    fn start(port: u16) -> LoopbackDaemon {
        let env = loopback_server_env(port);
        let (daemon, log) = env.logged_daemon("warn");
        LoopbackDaemon {
            _env: env,
            daemon,
            log,
        }
    }

    /// SIGTERM must stop it within a few seconds, with success, and it must say that the
    /// session did not end cleanly.
    fn assert_stops_within_seconds(mut self) {
        std::thread::sleep(Duration::from_millis(200));
        let asked = Instant::now();
        let status = terminate(&mut self.daemon);
        let text = std::fs::read_to_string(&self.log).unwrap();
        assert!(status.success(), "{status}\n{text}");
        assert!(
            asked.elapsed() < Duration::from_secs(8),
            "stopping took {:?}",
            asked.elapsed()
        );
        assert!(text.contains("the session did not end cleanly"), "{text}");
    }
}

/// An environment whose IMAP mailbox is a test's own server on loopback `port`.
fn loopback_server_env(port: u16) -> TestEnv {
    TestEnv::with_mailbox(&format!(
        "[mailbox]\nkind = \"imap\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\nusername = \"contact\"\npassword_env = \"APPLYMAIL_TEST_IMAP_PASSWORD\"\n"
    ))
}

/// The reply status of `email`'s application, from the export.
fn reply_status(env: &TestEnv, email: &str) -> Option<Value> {
    env.export()
        .iter()
        .find(|a| a["email"] == email)
        .map(|a| a["reply_status"].clone())
}

fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    stop_within(child, Duration::from_secs(10))
        .expect("the daemon did not stop within 10 s of SIGTERM")
}

/// Sends SIGTERM and waits for the exit; `None` (after a SIGKILL) when it took too long.
fn stop_within(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts the daemon, logging at `info` into `daemon.log`, and waits until its log says `text`.
fn spawn_and_wait_for(env: &TestEnv, text: &str) -> crate::helpers::Daemon {
    let (daemon, log) = env.logged_daemon("info");
    wait_for(
        || {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains(text)
        },
        &format!("the daemon's log to say {text:?}"),
    );
    daemon
}

fn wait_for(mut condition: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

async fn wait_for_applications(env: &TestEnv, n: i64) {
    assert!(
        applications_within(env, n, Duration::from_secs(30)).await,
        "timed out waiting for {n} applications"
    );
}

/// Whether at least `n` applications are filed before `limit` has passed.
async fn applications_within(env: &TestEnv, n: i64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while env.count("SELECT count(*) FROM applications").await < n {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}

#[tokio::test]
async fn the_password_never_reaches_the_logs_even_at_trace_level() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(1, 2_000)])
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("starttls", "localhost", ""));
    for format in ["text", "json"] {
        let output = env
            .command()
            .args(["--log-format", format, "run", "--once"])
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(output.status.success());
        let logs = String::from_utf8_lossy(&output.stderr);
        assert!(logs.contains("connected"), "{logs}");
        assert!(
            !logs.contains(crate::dovecot::PASSWORD),
            "the password is in the {format} logs"
        );
        assert!(
            !logs.contains("voici ma candidature"),
            "message content is in the {format} logs"
        );
    }
}

#[tokio::test]
async fn json_logs_have_one_object_per_line_with_the_message_fields() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(1, 2_000)])
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let output = env
        .command()
        .args(["--log-format", "json", "run", "--once"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object"))
        .collect();
    let processed = lines
        .iter()
        .find(|l| l["message"] == "message processed")
        .expect("a line per message");
    assert_eq!(processed["mailbox"], "imap:INBOX");
    assert_eq!(processed["outcome"], "filed");
    assert_eq!(processed["message_id"], "<synth-1@example.com>");
    assert!(processed["location"].as_str().unwrap().ends_with("/1"));
    assert_eq!(processed["application_id"], 1);
}

#[tokio::test]
async fn oversized_mail_is_recorded_without_being_downloaded() {
    let dovecot = Dovecot::start();
    dovecot
        .append(
            "INBOX",
            &[
                synth::application(0, 2_000),
                synth::application(1, 3_000_000),
                synth::application(2, 2_000),
            ],
        )
        .await;
    let env = TestEnv::with_mailbox(&format!(
        "{}\n[limits]\nmax_message_bytes = 1000000\n",
        dovecot.mailbox_config("plain", "127.0.0.1", "")
    ));
    let out = env.run(&["run", "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("message too large"),
        "the admin is told: {log}"
    );
    assert_eq!(env.export().len(), 2, "the others are filed");
    let pool = env.db().await;
    let (outcome, reason, raw): (String, String, Option<String>) = sqlx::query_as(
        "SELECT outcome, reason, raw_sha256 FROM mail_seen WHERE location LIKE '%/2'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(outcome, "quarantined");
    assert!(reason.contains("not downloaded"), "{reason}");
    assert_eq!(raw, None, "nothing of it was stored");
    // It stays on the server, unmarked, for a person to look at.
    let flags = dovecot.flags("INBOX").await;
    assert!(
        !flags[1]
            .1
            .iter()
            .any(|f| f.contains(applymail::imap::FILED_KEYWORD))
    );
    assert!(
        flags[0]
            .1
            .iter()
            .any(|f| f.contains(applymail::imap::FILED_KEYWORD))
    );
    let listed = env.run(&["quarantine", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("left on the server ("),
        "the admin sees it"
    );

    // The admin raises the limit: the next start reads it again, and files it.
    let config = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        config.replace(
            "max_message_bytes = 1000000",
            "max_message_bytes = 10000000",
        ),
    )
    .unwrap();
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE outcome = 'quarantined'")
            .await,
        0
    );
    let flags = dovecot.flags("INBOX").await;
    assert!(
        flags[1]
            .1
            .iter()
            .any(|f| f.contains(applymail::imap::FILED_KEYWORD))
    );
}
