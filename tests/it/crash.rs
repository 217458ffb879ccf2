//! A SIGKILL at any moment loses no application and files none twice.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::helpers::TestEnv;
use crate::synth;

const MESSAGES: usize = 600;

async fn recorded(env: &TestEnv) -> i64 {
    env.count("SELECT count(*) FROM mail_seen").await
}

#[tokio::test]
async fn killing_the_import_halfway_loses_and_duplicates_nothing() {
    let env = TestEnv::new();
    let inbox = env.path("import");
    synth::fill_maildir(&inbox, MESSAGES, 3_000);
    let inbox = inbox.to_str().unwrap().to_owned();
    let mut kills = 0;
    for threshold in [60_i64, 250, 450] {
        let mut child = env
            .command()
            .args(["import", &inbox])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(crate::helpers::Daemon)
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while recorded(&env).await < threshold && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let at_kill = recorded(&env).await;
        if at_kill < MESSAGES as i64 {
            kills += 1;
        }
    }
    assert!(
        kills >= 2,
        "the import finished before it could be killed: the test proved nothing"
    );
    env.run(&["import", &inbox]);

    let export = env.export();
    assert_eq!(export.len(), MESSAGES, "every application exactly once");
    let mut emails: Vec<&str> = export
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), MESSAGES);
    crate::helpers::assert_documents_intact(&export, 2);
    let pool = env.db().await;
    let (seen,): (i64,) = sqlx::query_as("SELECT count(*) FROM mail_seen")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seen, MESSAGES as i64);
    let (messages,): (i64,) = sqlx::query_as("SELECT count(*) FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(messages, MESSAGES as i64);
}
