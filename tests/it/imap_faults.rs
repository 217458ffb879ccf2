//! A server that fails a command once, for each command applymail sends (the relay of
//! `imap_relay` in front of the real Dovecot). Whatever fails, no mail is skipped: the pass
//! stops naming the command and the server's words, nothing is passed by the cursor, and after
//! one healthy pass every application is filed exactly once. A refused keyword or move leaves
//! the mail filed and the mark due, done on a later pass, never claimed.

use std::time::{Duration, Instant};

use crate::dovecot::Dovecot;
use crate::helpers::TestEnv;
use crate::imap_relay::{Effect, Fault, FaultyRelay, INJECTED};
use crate::synth;

/// Dovecot with three applications in the inbox and a reply in Sent, and applymail reading it
/// through a relay that fails `faults`.
async fn faulty(faults: Vec<Fault>, extra: &str) -> (Dovecot, FaultyRelay, TestEnv) {
    faulty_on(Dovecot::start(), faults, extra).await
}

/// Dovecot's capabilities after login without MOVE (RFC 6851), as Courier's: filed mail is
/// moved with UID COPY, STORE \Deleted and UID EXPUNGE (RFC 4315).
const WITHOUT_MOVE: &str = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE SPECIAL-USE UIDPLUS NAMESPACE CONDSTORE\n";

/// The same on a Dovecot already started (with a configuration of the test's own).
async fn faulty_on(
    dovecot: Dovecot,
    faults: Vec<Fault>,
    extra: &str,
) -> (Dovecot, FaultyRelay, TestEnv) {
    let messages: Vec<Vec<u8>> = (0..3).map(|i| synth::application(i, 3_000)).collect();
    dovecot.append("INBOX", &messages).await;
    dovecot.append("Sent", &[synth::reply_to(1)]).await;
    let relay = FaultyRelay::start(dovecot.imap_port, faults).await;
    let mailbox = dovecot.mailbox_config("plain", "127.0.0.1", extra).replace(
        &format!("port = {}", dovecot.imap_port),
        &format!("port = {}", relay.port),
    );
    let env = TestEnv::with_mailbox(&mailbox);
    (dovecot, relay, env)
}

fn run_once(env: &TestEnv) -> (bool, String) {
    let out = env
        .command()
        .args(["run", "--once"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Where the inbox's cursor stands (1 when none is saved).
async fn inbox_cursor(env: &TestEnv) -> i64 {
    env.count("SELECT COALESCE(MAX(next_uid), 1) FROM mailbox_cursors WHERE mailbox = 'imap:INBOX'")
        .await
}

/// The faulty pass fails, naming the command and the server's words (or the closed
/// connection), moves no cursor past unfiled mail; the next pass files everything once.
async fn a_failure_stops_the_pass_and_loses_nothing(fault: Fault, names: &str, words: &str) {
    let (_dovecot, relay, env) = faulty(vec![fault], "").await;
    let (ok, log) = run_once(&env);
    assert!(!ok, "run --once exits non-zero after a failed pass:\n{log}");
    assert_eq!(relay.left(), 0, "the fault was injected");
    assert!(log.contains(names), "the error names {names}:\n{log}");
    assert!(
        log.contains(words),
        "the error carries the server's words:\n{log}"
    );
    let filed = env.count("SELECT count(*) FROM applications").await;
    assert!(
        inbox_cursor(&env).await <= filed + 1,
        "the cursor passed unfiled mail"
    );

    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    let export = env.export();
    assert_eq!(export.len(), 3, "every application exactly once");
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE mailbox = 'imap:INBOX'")
            .await,
        3
    );
    assert_eq!(inbox_cursor(&env).await, 4);
    let replied = export
        .iter()
        .filter(|a| a["reply_status"] == "replied")
        .count();
    assert_eq!(replied, 1, "the Sent folder was read too");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_select_stops_the_pass() {
    let fault = Fault::once("SELECT \"INBOX\"", Effect::No);
    a_failure_stops_the_pass_and_loses_nothing(fault, "SELECT", INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bye_instead_of_a_search_result_stops_the_pass() {
    let fault = Fault::once("UID SEARCH", Effect::Bye);
    a_failure_stops_the_pass_and_loses_nothing(fault, "BYE", INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_search_is_not_taken_for_no_new_mail() {
    let fault = Fault::once("UID SEARCH", Effect::No);
    a_failure_stops_the_pass_and_loses_nothing(fault, "UID SEARCH", INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_status_of_the_sent_folder_stops_the_pass() {
    let fault = Fault::once("STATUS", Effect::No);
    a_failure_stops_the_pass_and_loses_nothing(fault, "STATUS", INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_size_fetch_stops_the_pass() {
    let fault = Fault::once("RFC822.SIZE", Effect::KeepThenNo(1));
    a_failure_stops_the_pass_and_loses_nothing(fault, "UID FETCH", INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fetch_that_returns_one_of_three_then_no_passes_nothing() {
    let fault = Fault::once("BODY.PEEK", Effect::KeepThenNo(1));
    a_failure_stops_the_pass_and_loses_nothing(fault, "UID FETCH", INJECTED).await;
}

/// A FETCH that returns one of three and says OK, then a check search that says NO: the two
/// missing are not taken for expunged.
#[tokio::test(flavor = "multi_thread")]
async fn missing_messages_are_expunged_only_when_a_successful_search_says_so() {
    let faults = vec![
        Fault::once("BODY.PEEK", Effect::KeepThenOk(1)),
        Fault::once("UID SEARCH", Effect::No),
    ];
    let (_dovecot, relay, env) = faulty(faults, "").await;
    let (ok, log) = run_once(&env);
    assert_eq!(relay.left(), 0, "both faults were injected");
    assert!(!ok, "{log}");
    assert!(
        log.contains("UID SEARCH") || log.contains("FETCH returned"),
        "{log}"
    );
    let filed = env.count("SELECT count(*) FROM applications").await;
    assert!(
        inbox_cursor(&env).await <= filed + 1,
        "the cursor passed unfiled mail"
    );
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(env.export().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_mid_fetch_passes_nothing() {
    let fault = Fault::once("BODY.PEEK", Effect::KeepThenClose(1));
    a_failure_stops_the_pass_and_loses_nothing(fault, "UID FETCH", "UID FETCH").await;
}

/// A refused keyword: the mail stays filed, the pass succeeds with a warning, the mark is
/// recorded as due and not claimed, and the next pass sets it.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_keyword_is_retried_on_a_later_pass_and_never_claimed() {
    let fault = Fault::once("UID STORE", Effect::Refuse);
    let (dovecot, _relay, env) = faulty(vec![fault], "").await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert!(log.contains("refused to mark filed mail"), "{log}");
    assert_eq!(env.export().len(), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE action_due")
            .await,
        3
    );
    let marked = |flags: &[(u32, Vec<String>)]| {
        flags
            .iter()
            .filter(|(_, f)| f.iter().any(|f| f.contains(applymail::imap::FILED_KEYWORD)))
            .count()
    };
    assert_eq!(
        marked(&dovecot.flags("INBOX").await),
        0,
        "no mark is claimed"
    );

    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(marked(&dovecot.flags("INBOX").await), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE action_due")
            .await,
        0
    );
    assert_eq!(env.export().len(), 3, "nothing filed twice");
}

/// A server that announces it keeps any keyword (`\*` in Dovecot's PERMANENTFLAGS) and then
/// refuses every STORE of it: one daemon, a pass every second (`idle_poll_interval`), warns
/// once, not on every pass; the marks stay due and are tried on every pass, never claimed, and
/// are set on the first pass after the server takes the STORE.
#[tokio::test(flavor = "multi_thread")]
async fn a_keyword_refused_on_every_pass_is_warned_once_and_stays_due() {
    let fault = Fault::always("UID STORE", Effect::Refuse);
    let (dovecot, relay, env) = faulty(vec![fault], "idle_poll_interval = \"1s\"").await;
    let (mut daemon, log) = env.logged_daemon("info");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let marked = |flags: &[(u32, Vec<String>)]| {
        flags
            .iter()
            .filter(|(_, f)| f.iter().any(|f| f.contains(applymail::imap::FILED_KEYWORD)))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    // The refusal after filing, then one on each of four later passes.
    while relay.injected() < 5 {
        assert!(Instant::now() < deadline, "{}", log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(env.export().len(), 3);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE action_due")
            .await,
        3,
        "the marks stay due"
    );
    assert_eq!(marked(&dovecot.flags("INBOX").await), 0, "none is claimed");
    let text = log_text();
    assert_eq!(
        text.matches("to mark filed mail").count(),
        1,
        "one warning for {} refusals:\n{text}",
        relay.injected()
    );
    relay.heal();
    while marked(&dovecot.flags("INBOX").await) < 3 {
        assert!(Instant::now() < deadline, "{}", log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while env
        .count("SELECT count(*) FROM mail_seen WHERE action_due")
        .await
        > 0
    {
        assert!(Instant::now() < deadline, "{}", log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    assert_eq!(env.export().len(), 3, "nothing filed twice");
}

/// How many messages of the folder have the flag (`Deleted`, `Seen`…, as async-imap prints it).
fn flagged(flags: &[(u32, Vec<String>)], flag: &str) -> usize {
    flags
        .iter()
        .filter(|(_, f)| f.iter().any(|f| f == flag))
        .count()
}

/// The ledger rows whose keyword or move is still due.
async fn actions_due(env: &TestEnv) -> i64 {
    env.count("SELECT count(*) FROM mail_seen WHERE action_due")
        .await
}

const MOVE_TO: &str = "after_filing = \"move:Candidatures\"";

/// A refused move: the same, with the mail left in the inbox until the move succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_move_is_retried_on_a_later_pass() {
    let fault = Fault::once("UID MOVE", Effect::Refuse);
    let (dovecot, relay, env) = faulty(vec![fault], MOVE_TO).await;
    dovecot.create_folder("Candidatures").await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(relay.left(), 0, "the fault was injected");
    assert!(
        log.contains("refused to mark filed mail")
            && log.contains("UID MOVE")
            && log.contains(INJECTED),
        "a warning with the command and the server's words:\n{log}"
    );
    assert_eq!(env.export().len(), 3, "the mail stays filed");
    assert_eq!(actions_due(&env).await, 3, "the move is recorded as due");
    assert_eq!(dovecot.flags("INBOX").await.len(), 3, "nothing moved yet");
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(dovecot.flags("INBOX").await.len(), 0);
    assert_eq!(dovecot.flags("Candidatures").await.len(), 3);
    assert_eq!(actions_due(&env).await, 0, "done, no longer due");
    assert_eq!(env.export().len(), 3);
}

/// Dovecot without MOVE, a folder to move filed mail to, and a relay failing `faults`.
async fn without_move(faults: Vec<Fault>) -> (Dovecot, FaultyRelay, TestEnv) {
    let dovecot = Dovecot::start_with(WITHOUT_MOVE);
    dovecot.create_folder("Candidatures").await;
    faulty_on(dovecot, faults, MOVE_TO).await
}

/// Without MOVE, filed mail is moved by UID COPY, STORE \Deleted and UID EXPUNGE: it leaves
/// the inbox and is in the target folder once, not marked deleted there.
#[tokio::test(flavor = "multi_thread")]
async fn without_move_filed_mail_is_copied_marked_deleted_and_expunged() {
    let (dovecot, relay, env) = without_move(Vec::new()).await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    let commands = relay.commands();
    assert!(
        !commands.iter().any(|c| c.starts_with("UID MOVE")),
        "the server offers no MOVE: {commands:?}"
    );
    for verb in [
        "UID COPY 1:3 \"Candidatures\"",
        "UID STORE 1:3 +FLAGS.SILENT (\\Deleted)",
        "UID EXPUNGE 1:3",
    ] {
        assert!(
            commands.iter().any(|c| c == verb),
            "{verb} was sent: {commands:?}"
        );
    }
    assert_eq!(
        dovecot.flags("INBOX").await.len(),
        0,
        "expunged from the inbox"
    );
    let moved = dovecot.flags("Candidatures").await;
    assert_eq!(moved.len(), 3, "{moved:?}");
    assert_eq!(flagged(&moved, "Deleted"), 0, "the copies are not deleted");
    assert_eq!(actions_due(&env).await, 0);
    assert_eq!(env.export().len(), 3);
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(dovecot.flags("Candidatures").await.len(), 3);
    assert_eq!(env.export().len(), 3, "nothing filed twice");
}

/// Without MOVE, a refused UID COPY: nothing is marked deleted or expunged (the mail would be
/// lost from the server), the mail stays filed, the move is due and done on the next pass.
#[tokio::test(flavor = "multi_thread")]
async fn without_move_a_refused_copy_deletes_nothing_and_is_retried() {
    let (dovecot, relay, env) = without_move(vec![Fault::once("UID COPY", Effect::Refuse)]).await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(relay.left(), 0, "the fault was injected");
    assert!(
        log.contains("refused to mark filed mail")
            && log.contains("UID COPY")
            && log.contains(INJECTED),
        "a warning with the command and the server's words:\n{log}"
    );
    let commands = relay.commands();
    assert!(
        !commands
            .iter()
            .any(|c| c.contains("\\Deleted") || c.starts_with("UID EXPUNGE")),
        "nothing deleted after a refused copy: {commands:?}"
    );
    let inbox = dovecot.flags("INBOX").await;
    assert_eq!(inbox.len(), 3, "still in the inbox");
    assert_eq!(flagged(&inbox, "Deleted"), 0, "not marked deleted");
    assert_eq!(dovecot.flags("Candidatures").await.len(), 0);
    assert_eq!(env.export().len(), 3, "the mail stays filed");
    assert_eq!(actions_due(&env).await, 3, "the move is recorded as due");

    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(dovecot.flags("INBOX").await.len(), 0);
    let moved = dovecot.flags("Candidatures").await;
    assert_eq!(moved.len(), 3, "{moved:?}");
    assert_eq!(flagged(&moved, "Deleted"), 0);
    assert_eq!(actions_due(&env).await, 0, "done, no longer due");
    assert_eq!(env.export().len(), 3, "nothing filed twice");
}

/// Without MOVE, a refused UID EXPUNGE after the copy: the mail stays filed, the move is due,
/// a warning names the command, and the next pass takes the originals out of the inbox. (The
/// retry copies the originals again, already marked deleted: the target folder keeps those
/// second copies, marked \Deleted, until a client expunges it.)
#[tokio::test(flavor = "multi_thread")]
async fn without_move_a_refused_expunge_is_retried() {
    let (dovecot, relay, env) =
        without_move(vec![Fault::once("UID EXPUNGE", Effect::Refuse)]).await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(relay.left(), 0, "the fault was injected");
    assert!(
        log.contains("refused to mark filed mail")
            && log.contains("UID EXPUNGE")
            && log.contains(INJECTED),
        "a warning with the command and the server's words:\n{log}"
    );
    let inbox = dovecot.flags("INBOX").await;
    assert_eq!(inbox.len(), 3, "not expunged");
    assert_eq!(flagged(&inbox, "Deleted"), 3, "{inbox:?}");
    assert_eq!(dovecot.flags("Candidatures").await.len(), 3, "copied");
    assert_eq!(env.export().len(), 3, "the mail stays filed");
    assert_eq!(actions_due(&env).await, 3, "the move is recorded as due");

    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(dovecot.flags("INBOX").await.len(), 0, "expunged now");
    // The retry copies again: the originals were marked deleted by then, so the second
    // copies carry \Deleted too. Three copies that are not deleted, one per message.
    let moved = dovecot.flags("Candidatures").await;
    assert_eq!(
        moved.len() - flagged(&moved, "Deleted"),
        3,
        "each message once in the target folder: {moved:?}"
    );
    assert_eq!(actions_due(&env).await, 0, "done, no longer due");
    assert_eq!(env.export().len(), 3, "nothing filed twice");
}

/// APPEND (the copy of an acknowledgement) refused: an error with the server's words, which
/// the sender logs as a warning.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_append_is_an_error_with_the_servers_words() {
    let fault = Fault::once("APPEND", Effect::Refuse);
    let (dovecot, _relay, env) = faulty(vec![fault], "").await;
    let password = env.path("imap-password");
    std::fs::write(&password, crate::dovecot::PASSWORD).unwrap();
    let text = std::fs::read_to_string(&env.config).unwrap().replace(
        "password_env = \"APPLYMAIL_TEST_IMAP_PASSWORD\"",
        &format!("password_file = \"{}\"", password.display()),
    );
    let settings = applymail::config::load_str(&text, &env.config, []).unwrap();
    let applymail::config::MailboxSettings::Imap(imap) = &settings.mailbox else {
        panic!()
    };
    let tls = applymail::imap::client_config(imap.ca_file.as_deref()).unwrap();
    let mut client = applymail::imap::ImapClient::connect(imap, tls)
        .await
        .unwrap();
    let err = client
        .append("Sent", b"Subject: x\r\n\r\nx\r\n")
        .await
        .unwrap_err();
    assert!(err.to_string().contains(INJECTED), "{err}");
    assert_eq!(
        dovecot.flags("Sent").await.len(),
        1,
        "only the reply: the copy was refused"
    );
    client
        .append("Sent", b"Subject: y\r\n\r\ny\r\n")
        .await
        .unwrap();
    assert_eq!(
        dovecot.flags("Sent").await.len(),
        2,
        "the reply and the second copy"
    );
}

/// IDLE refused: the daemon reconnects, makes a full pass, and files what arrived.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_idle_reconnects_and_files_what_arrives() {
    let fault = Fault::once("IDLE", Effect::Refuse);
    let (dovecot, relay, env) = faulty(vec![fault], "").await;
    let (mut daemon, log) = env.logged_daemon("info");
    let deadline = Instant::now() + Duration::from_secs(60);
    while relay.left() > 0 || env.count("SELECT count(*) FROM applications").await < 3 {
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    dovecot
        .append("INBOX", &[synth::application(7, 3_000)])
        .await;
    while env.count("SELECT count(*) FROM applications").await < 4 {
        assert!(
            Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("reconnecting") && text.contains(INJECTED),
        "{text}"
    );
    assert_eq!(env.export().len(), 4);
}

/// Waits until the daemon's log satisfies `said` and `applications` are filed.
async fn wait_for_log(
    env: &TestEnv,
    log: &std::path::Path,
    deadline: Instant,
    said: impl Fn(&str) -> bool,
    applications: i64,
) {
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if said(&text) && env.count("SELECT count(*) FROM applications").await >= applications {
            return;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The daemon files the three, idles, and gets a fourth message; the DONE that ends its IDLE
/// fails (`effect`). It reconnects and makes a full pass that files the fourth, and then
/// idles again on the new connection. The log says why it reconnected.
async fn a_failed_done_reconnects_and_makes_a_full_pass(effect: Effect, words: &str) {
    let (dovecot, relay, env) = faulty(vec![Fault::once("DONE", effect)], "").await;
    let (mut daemon, log) = env.logged_daemon("info");
    let deadline = Instant::now() + Duration::from_secs(60);
    let idling = "idle: waiting for new mail";
    wait_for_log(&env, &log, deadline, |log| log.contains(idling), 3).await;
    dovecot
        .append("INBOX", &[synth::application(7, 3_000)])
        .await;
    // Said once per connection: the second connection is idling.
    wait_for_log(
        &env,
        &log,
        deadline,
        |log| log.matches(idling).count() >= 2,
        4,
    )
    .await;
    assert_eq!(relay.left(), 0, "the fault was injected");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("DONE") && text.contains(words) && text.contains("reconnecting"),
        "the daemon says why it reconnects:\n{text}"
    );
    assert!(
        text.matches("connected").count() >= 2,
        "a second connection:\n{text}"
    );
    // The new connection's IDLE works: news is filed at once.
    dovecot
        .append("INBOX", &[synth::application(8, 3_000)])
        .await;
    wait_for_log(&env, &log, deadline, |_| true, 5).await;
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    assert_eq!(env.export().len(), 5, "every application exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_done_reconnects_and_makes_a_full_pass() {
    a_failed_done_reconnects_and_makes_a_full_pass(Effect::No, INJECTED).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_after_done_reconnects_and_makes_a_full_pass() {
    a_failed_done_reconnects_and_makes_a_full_pass(
        Effect::Close,
        "the connection closed before the server completed DONE",
    )
    .await;
}

/// The acknowledgement sender's copy to the Sent folder refused (APPEND): the
/// acknowledgement counts as sent, and a warning says that its copy could not be stored,
/// with the server's words.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_append_of_an_acknowledgement_copy_is_a_warning() {
    let smtp = crate::smtp::SmtpServer::start();
    let fault = Fault::once("APPEND", Effect::Refuse);
    let (dovecot, relay, env) = faulty(
        vec![fault],
        &format!("\n{}", smtp.config("save_to_sent = true")),
    )
    .await;
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
    assert_eq!(relay.left(), 0, "the fault was injected");
    assert!(
        log.contains("could not be stored in the Sent folder") && log.contains(INJECTED),
        "a warning with the server's words:\n{log}"
    );
    let sent = smtp.messages();
    assert!(!sent.is_empty(), "acknowledgements were sent");
    assert_eq!(
        dovecot.flags("Sent").await.len(),
        1,
        "only the reply: the copies were refused"
    );
    let states: Vec<(String,)> = sqlx::query_as("SELECT state FROM acknowledgements")
        .fetch_all(&env.db().await)
        .await
        .unwrap();
    assert_eq!(
        states.iter().filter(|(s,)| s == "sent").count(),
        sent.len(),
        "each acknowledgement delivered counts as sent: {states:?}"
    );
}

/// A message the server refuses to send, every time, between two it sends: the others are
/// filed, and the refused one, once it has been refused three times while the server
/// answered everything else, is recorded as quarantined (left on the server) and passed.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_that_can_never_be_fetched_is_quarantined_after_a_few_attempts() {
    let fault = Fault::always_for_uid("BODY.PEEK", 2);
    let (_dovecot, _relay, env) = faulty(vec![fault], "").await;
    let mut exits = Vec::new();
    for _ in 0..3 {
        exits.push(run_once(&env).0);
    }
    assert_eq!(
        exits,
        [false, false, true],
        "the third pass gives up on it and succeeds"
    );
    assert_eq!(env.export().len(), 2, "the two others are filed");
    let reason: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT location, reason FROM mail_seen WHERE outcome = 'quarantined'")
            .fetch_all(&env.db().await)
            .await
            .unwrap();
    assert_eq!(reason.len(), 1);
    assert!(reason[0].0.ends_with("/2"), "{reason:?}");
    let why = reason[0].1.as_deref().unwrap_or_default();
    assert!(
        why.contains("refused to send it 3 times") && why.contains(INJECTED),
        "{why}"
    );
    assert_eq!(inbox_cursor(&env).await, 4, "the cursor passed it");
    let (ok, log) = run_once(&env);
    assert!(ok, "{log}");
}
