//! Seeing the same mail again changes nothing.

use std::path::PathBuf;

use crate::helpers::{TestEnv, snapshot};
use crate::synth;

#[tokio::test]
async fn importing_the_same_inputs_twice_changes_nothing() {
    let env = TestEnv::new();
    let inbox = env.path("import");
    synth::fill_maildir(&inbox, 40, 4_000);
    let inbox = inbox.to_str().unwrap();
    env.run(&["import", inbox]);
    let pool = env.db().await;
    let before = snapshot(&pool).await;
    let export_before = env.export();
    assert_eq!(export_before.len(), 40);
    env.run(&["import", inbox]);
    assert_eq!(snapshot(&pool).await, before);
    assert_eq!(env.export(), export_before);
}

/// Five applications imported from one folder, and a second folder holding copies of them,
/// not imported yet.
fn imported_with_copies(env: &TestEnv) -> PathBuf {
    let a = env.path("a");
    let b = env.path("b");
    synth::fill_maildir(&a, 5, 2_000);
    synth::fill_maildir(&b, 5, 2_000);
    env.run(&["import", a.to_str().unwrap()]);
    b
}

#[tokio::test]
async fn the_same_message_at_new_coordinates_is_a_duplicate() {
    let env = TestEnv::new();
    let copies = imported_with_copies(&env);
    let export_before = env.export();
    env.run(&["import", copies.to_str().unwrap()]);
    assert_eq!(
        env.export(),
        export_before,
        "a copy of the same mail in another folder filed nothing new"
    );
    let pool = env.db().await;
    let (duplicates,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM mail_seen WHERE outcome = 'duplicate'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(duplicates, 5);
}

/// Before migration 0006 a message's identity hashed its bytes with SHA-256. Those keys cannot
/// be recomputed without the bytes, so while such rows remain the daemon hashes what it reads
/// both ways, and a copy of an old message at new coordinates is still a duplicate rather
/// than a second filing of the same mail.
#[tokio::test]
async fn a_message_recorded_under_the_sha256_identity_is_still_recognised() {
    use sha2::Digest;

    let env = TestEnv::new();
    let copies = imported_with_copies(&env);
    let export_before = env.export();

    // Put the database back as the code before 0006 left it.
    let pool = env.db_for_writing().await;
    for i in 0..5 {
        let sha = hex::encode(sha2::Sha256::digest(synth::application(i, 2_000)));
        let updated = sqlx::query(
            "UPDATE messages SET raw_digest = $1, dedupe_key = message_id || ' ' || $1 WHERE message_id = $2",
        )
        .bind(sha)
        .bind(format!("<synth-{i}@example.com>"))
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(updated.rows_affected(), 1);
    }
    for statement in [
        "ALTER TABLE messages RENAME COLUMN raw_digest TO raw_sha256",
        "DELETE FROM _sqlx_migrations WHERE version = 6",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;

    env.run(&["import", copies.to_str().unwrap()]);
    assert_eq!(env.export(), export_before, "the copies filed nothing new");
    let pool = env.db().await;
    let (old_rows, messages, duplicates): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM messages WHERE raw_digest LIKE 'sha256:%'),
                (SELECT count(*) FROM messages),
                (SELECT count(*) FROM mail_seen WHERE outcome = 'duplicate')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(old_rows, 5, "the migration names the old rows' algorithm");
    assert_eq!(messages, 5, "no second row for any message");
    assert_eq!(duplicates, 5);
}
