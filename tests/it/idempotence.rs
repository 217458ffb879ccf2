//! Seeing the same mail again changes nothing.

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

#[tokio::test]
async fn the_same_message_at_new_coordinates_is_a_duplicate() {
    let env = TestEnv::new();
    let a = env.path("a");
    let b = env.path("b");
    synth::fill_maildir(&a, 5, 2_000);
    synth::fill_maildir(&b, 5, 2_000);
    env.run(&["import", a.to_str().unwrap()]);
    let export_before = env.export();
    env.run(&["import", b.to_str().unwrap()]);
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
