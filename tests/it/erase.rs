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
