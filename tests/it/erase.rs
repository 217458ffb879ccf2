//! Retention and erasure: rows and files really go, shared files stay, the audit trail holds
//! no personal data, and the erased mail is not filed again.

use serde_json::Value;

use crate::dovecot::Dovecot;
use crate::helpers::{TestEnv, str_field};
use crate::smtp::SmtpServer;
use crate::synth;

fn document_paths(application: &Value) -> Vec<String> {
    application["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| str_field(d, "path").to_owned())
        .collect()
}

fn import_three(env: &TestEnv) -> Vec<Value> {
    let inbox = env.path("import");
    synth::fill_maildir(&inbox, 3, 2_000);
    // A fourth person who sent the very same CV and letter as candidate 1.
    let twin = String::from_utf8(synth::application(1, 2_000))
        .unwrap()
        .replace("candidat1@example.com", "twin@example.com")
        .replace("<synth-1@example.com>", "<twin@example.com>");
    std::fs::write(inbox.join("new/1600009999.twin.synth"), twin).unwrap();
    env.run(&["import", inbox.to_str().unwrap()]);
    let export = env.export();
    assert_eq!(export.len(), 4);
    export
}

#[tokio::test]
async fn forget_erases_a_person_and_their_files_but_not_what_others_share() {
    let env = TestEnv::new();
    let before = import_three(&env);
    let find = |email: &str| {
        before
            .iter()
            .find(|a| str_field(a, "email") == email)
            .unwrap()
            .clone()
    };
    let gone = find("candidat2@example.com");
    let kept = find("candidat1@example.com");
    let raw_of_gone = env.path("documents/sha256");
    let files_before = count_files(&raw_of_gone);

    let output = env.run(&["forget", "Candidat2@Example.com", "--by", "DPO"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("erased 1 application(s)"));
    let after = env.export();
    assert_eq!(after.len(), 3);
    assert!(
        after
            .iter()
            .all(|a| str_field(a, "email") != "candidat2@example.com")
    );
    for path in document_paths(&gone) {
        assert!(
            !std::path::Path::new(&path).exists(),
            "{path} is still on disk"
        );
    }
    for path in document_paths(&kept) {
        assert!(
            std::path::Path::new(&path).exists(),
            "{path} belongs to others too"
        );
    }
    // Its two documents are gone (filed messages' raw bytes are never stored).
    assert_eq!(count_files(&raw_of_gone), files_before - 2);

    let pool = env.db().await;
    let audit: Vec<(String, i64, String)> =
        sqlx::query_as("SELECT kind, applications, actor FROM erasures")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audit, [("forget".to_owned(), 1, "DPO".to_owned())]);
    let leftovers: (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM candidates WHERE email LIKE '%candidat2%')
              + (SELECT count(*) FROM messages WHERE from_address LIKE '%candidat2%' OR message_id LIKE '%synth-2%')
              + (SELECT count(*) FROM mail_seen WHERE message_id LIKE '%synth-2%')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(leftovers.0, 0, "nothing about the person remains");

    // The mail is still in the mailbox: reading it again files nothing.
    env.run(&["import", env.path("import").to_str().unwrap()]);
    assert_eq!(env.export().len(), 3);
    let unknown = env
        .command()
        .args(["forget", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn purge_erases_inactive_applications_except_the_hired_and_dry_run_changes_nothing() {
    let env = TestEnv::new();
    let before = import_three(&env);
    let hired = str_field(&before[0], "id").to_owned();
    env.run(&["status", &hired, "hired"]);

    let dry = env.run(&["purge", "--older-than", "0s", "--dry-run"]);
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("would erase 3 application(s)"),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    assert_eq!(env.export().len(), 4);

    // The default retention (24 months) keeps applications filed today.
    env.run(&["purge"]);
    assert_eq!(env.export().len(), 4);

    env.run(&["purge", "--older-than", "0s"]);
    let after = env.export();
    assert_eq!(after.len(), 1);
    assert_eq!(str_field(&after[0], "id"), hired);
    for application in &before[1..] {
        for path in document_paths(application) {
            let shared = document_paths(&after[0]).contains(&path);
            assert_eq!(std::path::Path::new(&path).exists(), shared, "{path}");
        }
    }
    let pool = env.db().await;
    let (kind, n): (String, i64) = sqlx::query_as("SELECT kind, applications FROM erasures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((kind.as_str(), n), ("purge", 3));
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// `forget` reaches what the person sent that could not be filed: a quarantined message that
/// carries the address loses its raw bytes and its ledger row keeps only its coordinates.
/// The person's mail met again at new coordinates (a copy, a renumbered folder) is not filed
/// again, and its documents are not written back.
#[tokio::test]
async fn forget_erases_quarantined_mail_and_erased_mail_is_never_filed_again() {
    let env = TestEnv::new();
    import_three(&env);
    // Names the posting, has no usable sender: quarantined whole.
    let broken = "To: contact@ong-exemple.org\r\nSubject: Coordination Maroc - Prenom00002 Nom00002\r\n\
                  Reply-To: candidat2@example.com\r\nMessage-ID: <broken-2@example.com>\r\n\r\nmon CV suit\r\n";
    let broken_file = env.path("broken.eml");
    std::fs::write(&broken_file, broken).unwrap();
    env.run(&["import", broken_file.to_str().unwrap()]);
    let listed = String::from_utf8(env.run(&["quarantine", "list"]).stdout).unwrap();
    assert!(listed.contains("raw message kept"), "{listed}");
    let files_before = count_files(&env.path("documents/sha256"));

    let output = env.run(&["forget", "candidat2@example.com"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 quarantined message(s)"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let listed = String::from_utf8(env.run(&["quarantine", "list"]).stdout).unwrap();
    assert!(listed.contains("nothing is quarantined"), "{listed}");
    // Its CV, its letter and the quarantined raw message.
    assert_eq!(count_files(&env.path("documents/sha256")), files_before - 3);
    let pool = env.db().await;
    let (rows, with_id, with_raw): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(message_id), count(raw_sha256) FROM mail_seen WHERE reason = 'erased'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((rows, with_id, with_raw), (2, 0, 0), "coordinates only");

    // The same two messages, copied elsewhere and imported from there.
    let copy = env.path("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(&broken_file, copy.join("broken.eml")).unwrap();
    std::fs::write(copy.join("app.eml"), synth::application(2, 2_000)).unwrap();
    let files_before = count_files(&env.path("documents/sha256"));
    env.run(&["import", copy.to_str().unwrap()]);
    assert_eq!(env.export().len(), 3, "not filed again");
    assert_eq!(
        count_files(&env.path("documents/sha256")),
        files_before,
        "nothing written back"
    );
    let erased: (i64,) =
        sqlx::query_as("SELECT count(*) FROM mail_seen WHERE outcome = 'ignored' AND reason = 'erased' AND message_id IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        erased.0, 3,
        "the quarantined one's first row, and both copies"
    );
}

/// Retention counts from when the server received the mail, not from the sender's Date: an
/// application dated in 2099 but delivered three years ago is purged, and its date is shown
/// no later than its arrival.
#[tokio::test]
async fn retention_counts_from_arrival_whatever_the_date_header_says() {
    let env = TestEnv::new();
    let dated_2099 = String::from_utf8(synth::application(5, 2_000))
        .unwrap()
        .replace("Date: Mon, 05 Jul 2021", "Date: Mon, 05 Jul 2099");
    env.deliver("Maildir", "1700000000.M5.test", dated_2099.as_bytes());
    let three_years_ago =
        std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 365 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(env.path("Maildir/new/1700000000.M5.test"))
        .unwrap()
        .set_modified(three_years_ago)
        .unwrap();
    env.run(&["run", "--once"]);
    let export = env.export();
    let received = str_field(&export[0], "received_at");
    assert!(
        received < "2099",
        "received when the server got it: {received}"
    );
    let future = env
        .count("SELECT count(*) FROM messages WHERE CAST(sent_at AS TEXT) LIKE '2099%' OR sent_at > arrived_at")
        .await;
    assert_eq!(future, 0, "the Date header is clamped to the arrival");
    // Filed now (its history says so), so only a purge of what is older than a day
    // ignores that; the default keeps it, the arrival alone would not.
    env.run(&["purge", "--older-than", "1day"]);
    assert_eq!(env.export().len(), 1, "its status history is from today");
    let pool = env.db_for_writing().await;
    sqlx::query("UPDATE status_history SET changed_at = '2023-01-01 00:00:00+00:00'")
        .execute(&pool)
        .await
        .unwrap();
    env.run(&["purge"]);
    assert_eq!(env.export().len(), 0, "purged: it arrived three years ago");
}

/// An application dated 2099 by its sender.
fn dated_2099(i: usize) -> String {
    String::from_utf8(synth::application(i, 2_000))
        .unwrap()
        .replace("Date: Mon, 05 Jul 2021", "Date: Mon, 05 Jul 2099")
}

/// Over IMAP the arrival is the server's INTERNALDATE: an application the server received on
/// 5 July 2023 (APPEND with that date) whose Date header says 2099 is received on that day,
/// its date is shown no later, and the retention purge counts from that day.
#[tokio::test]
async fn over_imap_the_arrival_is_the_internaldate() {
    let dovecot = Dovecot::start();
    dovecot
        .append_dated(
            "INBOX",
            dated_2099(5).as_bytes(),
            "05-Jul-2023 10:00:00 +0000",
        )
        .await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    env.run(&["run", "--once"]);
    let export = env.export();
    assert_eq!(export.len(), 1);
    assert_eq!(
        str_field(&export[0], "received_at"),
        "2023-07-05T10:00:00Z",
        "received when the server got it"
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM messages WHERE CAST(arrived_at AS TEXT) LIKE '2023-07-05%10:00:00%'"
        )
        .await,
        1,
        "the message arrived at its INTERNALDATE"
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM messages WHERE CAST(sent_at AS TEXT) LIKE '2023-07-05%10:00:00%'"
        )
        .await,
        1,
        "the Date header is clamped to the arrival"
    );
    // Filed today (its status history says so): only the history's date keeps it.
    env.run(&["purge"]);
    assert_eq!(env.export().len(), 1, "its status history is from today");
    let pool = env.db_for_writing().await;
    sqlx::query("UPDATE status_history SET changed_at = '2023-07-05 10:00:00+00:00'")
        .execute(&pool)
        .await
        .unwrap();
    env.run(&["purge"]);
    assert_eq!(
        env.export().len(),
        0,
        "purged: it arrived more than 24 months ago"
    );
}

/// Imported files have no arrival time (a copy's file time is the copy's): their date is
/// the Date header, clamped to the time of the import when it lies in the future. The same
/// for a `.eml` file and an mbox.
#[tokio::test]
async fn an_import_dated_in_the_future_is_clamped_to_the_import_time() {
    let env = TestEnv::new();
    std::fs::write(env.path("future.eml"), dated_2099(1)).unwrap();
    let mut mbox = b"From candidat@example.com Mon Jul  5 09:00:00 2099\r\n".to_vec();
    mbox.extend_from_slice(dated_2099(2).as_bytes());
    mbox.extend_from_slice(b"\r\n");
    std::fs::write(env.path("future.mbox"), mbox).unwrap();
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    env.run(&[
        "import",
        env.path("future.eml").to_str().unwrap(),
        env.path("future.mbox").to_str().unwrap(),
    ]);
    let after = chrono::Utc::now() + chrono::Duration::seconds(1);
    let export = env.export();
    assert_eq!(export.len(), 2);
    for application in &export {
        let received = chrono::DateTime::parse_from_rfc3339(str_field(application, "received_at"))
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert!(
            before <= received && received <= after,
            "received at the import ({before} … {after}), not in 2099: {application}"
        );
    }
    assert_eq!(env.count("SELECT count(*) FROM messages").await, 2);
    assert_eq!(
        env.count(
            "SELECT count(*) FROM messages WHERE CAST(sent_at AS TEXT) LIKE '2099%' OR CAST(arrived_at AS TEXT) LIKE '2099%' OR sent_at > arrived_at"
        )
        .await,
        0,
        "neither date is left in the future"
    );
}

/// An application without a Date header, acknowledged, then erased: met again at new
/// coordinates (a copy delivered under another name), with acknowledgements still on and the
/// SMTP server up, it is neither filed nor acknowledged again.
#[tokio::test]
async fn erased_mail_without_a_date_met_again_is_neither_filed_nor_acknowledged() {
    let smtp = SmtpServer::start();
    let env = TestEnv::with_extra(&smtp.config(""));
    let raw: String = String::from_utf8(synth::application(3, 2_000))
        .unwrap()
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("Date:"))
        .collect();
    assert!(!raw.contains("\r\nDate:"));
    env.deliver("Maildir", "1700000001.M1.test", raw.as_bytes());
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 1);
    assert_eq!(smtp.messages().len(), 1, "acknowledged once");

    let out = env.run(&["forget", "candidat3@example.com"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("erased 1 application(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    env.deliver("Maildir", "1700000002.M2.test", raw.as_bytes());
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 0, "not filed again");
    assert_eq!(
        env.count("SELECT count(*) FROM acknowledgements").await,
        0,
        "no acknowledgement is due"
    );
    assert_eq!(
        env.count(
            "SELECT count(*) FROM mail_seen WHERE reason = 'erased' AND message_id IS NULL AND location LIKE '%1700000002.M2.test%'"
        )
        .await,
        1,
        "the copy is recorded as erased mail"
    );
    assert_eq!(smtp.messages().len(), 1, "not acknowledged again");
}
