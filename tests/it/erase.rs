//! Retention and erasure: rows and files really go, shared files stay, the audit trail holds
//! no personal data, and the erased mail is not filed again.

use serde_json::Value;

use crate::helpers::{TestEnv, str_field};
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
