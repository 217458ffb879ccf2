//! Bounces in the inbox (RFC 3464 delivery status notifications, issue 27): recorded only
//! against an existing candidate's address, never filed, erased with the candidate. The
//! fixtures (tests/fixtures/bounces/) are in the shapes Postfix, Gmail and Exchange Online
//! write (their README says where each comes from).

use std::path::PathBuf;

use applymail::config::DatabaseUrl;
use applymail::store::Store;

use crate::helpers::TestEnv;
use crate::synth;

const POSTFIX: (&str, &str) = ("postfix-user-unknown.eml", "marie.dupont@example.com");
const GMAIL: (&str, &str) = ("gmail-no-such-user.eml", "karim.benali@gmail.com");
const EXCHANGE: (&str, &str) = (
    "exchange-recipient-not-found.eml",
    "y.elamrani@entreprise.example",
);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name)
}

/// Files an application from `email` (synthetic candidate 1's, under that address).
fn apply_as(env: &TestEnv, email: &str) {
    let raw = String::from_utf8(synth::application(1, 2_000))
        .unwrap()
        .replace("candidat1@example.com", email)
        .replace("<synth-1@example.com>", &format!("<{email}>"));
    let path = env.path(&format!("{email}.eml"));
    std::fs::write(&path, raw).unwrap();
    env.run(&["import", path.to_str().unwrap()]);
}

fn import(env: &TestEnv, path: &std::path::Path) {
    let output = env.run(&["import", path.to_str().unwrap()]);
    assert!(output.status.success());
}

async fn store(env: &TestEnv) -> Store {
    Store::open(&DatabaseUrl::new(env.database_url()))
        .await
        .expect("store opens")
}

/// `(rows, permanent rows)` in `bounces`.
async fn bounce_rows(env: &TestEnv) -> (i64, i64) {
    (
        env.count("SELECT count(*) FROM bounces").await,
        env.count("SELECT count(*) FROM bounces WHERE permanent")
            .await,
    )
}

#[tokio::test]
async fn bounce_for_a_candidate_is_recorded_and_never_filed() {
    for (file, email) in [POSTFIX, GMAIL, EXCHANGE] {
        let env = TestEnv::new();
        apply_as(&env, email);
        apply_as(&env, "someone.else@example.org");
        import(&env, &fixture(file));
        let export = env.export();
        assert_eq!(export.len(), 2, "{file}: a bounce is no application");
        assert_eq!(
            env.count(
                "SELECT count(*) FROM mail_seen WHERE outcome = 'ignored' AND reason = 'bounce'"
            )
            .await,
            1,
            "{file}"
        );
        assert_eq!(bounce_rows(&env).await, (1, 1), "{file}");
        let store = store(&env).await;
        assert!(store.permanently_bounced(email).await.unwrap(), "{file}");
        assert!(
            store
                .permanently_bounced(&email.to_uppercase())
                .await
                .unwrap(),
            "addresses compare without case"
        );
        assert!(
            !store
                .permanently_bounced("someone.else@example.org")
                .await
                .unwrap()
        );
        // The same report met again elsewhere (another folder, a second import): one row.
        let copy = env.path("copy.eml");
        std::fs::copy(fixture(file), &copy).unwrap();
        import(&env, &copy);
        assert_eq!(bounce_rows(&env).await, (1, 1), "{file} met twice");
        store.close().await;
    }
}

#[tokio::test]
async fn bounce_for_a_stranger_leaves_nothing_but_the_ledger_row() {
    let env = TestEnv::new();
    apply_as(&env, "someone.else@example.org");
    for (file, _) in [POSTFIX, GMAIL, EXCHANGE] {
        import(&env, &fixture(file));
    }
    assert_eq!(bounce_rows(&env).await, (0, 0));
    assert_eq!(env.count("SELECT count(*) FROM candidates").await, 1);
    assert_eq!(env.count("SELECT count(*) FROM messages").await, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE reason = 'bounce'")
            .await,
        3
    );
    let store = store(&env).await;
    assert!(!store.permanently_bounced(POSTFIX.1).await.unwrap());
    store.close().await;
}

#[tokio::test]
async fn forget_and_the_retention_purge_erase_the_bounce() {
    let env = TestEnv::new();
    apply_as(&env, POSTFIX.1);
    apply_as(&env, GMAIL.1);
    import(&env, &fixture(POSTFIX.0));
    import(&env, &fixture(GMAIL.0));
    assert_eq!(bounce_rows(&env).await, (2, 2));

    env.run(&["forget", POSTFIX.1, "--by", "DPO"]);
    assert_eq!(
        env.count("SELECT count(*) FROM bounces b JOIN candidates c ON c.id = b.candidate_id WHERE c.email = 'marie.dupont@example.com'")
            .await,
        0
    );
    assert_eq!(
        bounce_rows(&env).await,
        (1, 1),
        "the other candidate's stays"
    );
    // Met again after the erasure: the address is no candidate's any more.
    let copy = env.path("again.eml");
    std::fs::copy(fixture(POSTFIX.0), &copy).unwrap();
    import(&env, &copy);
    assert_eq!(bounce_rows(&env).await, (1, 1));

    // A purge of everything inactive since now takes the other candidate, and their bounce.
    let output = env.run(&["purge", "--older-than", "0s"]);
    assert!(output.status.success());
    assert_eq!(bounce_rows(&env).await, (0, 0));
    assert_eq!(env.count("SELECT count(*) FROM candidates").await, 0);
}

#[tokio::test]
async fn a_delay_is_recorded_but_is_not_a_permanent_bounce() {
    let env = TestEnv::new();
    apply_as(&env, POSTFIX.1);
    let delayed = std::fs::read_to_string(fixture(POSTFIX.0))
        .unwrap()
        .replace("Action: failed", "Action: delayed")
        .replace("Status: 5.1.1", "Status: 4.2.2");
    let path = env.path("delayed.eml");
    std::fs::write(&path, delayed).unwrap();
    import(&env, &path);
    assert_eq!(bounce_rows(&env).await, (1, 0));
    let store = store(&env).await;
    assert!(!store.permanently_bounced(POSTFIX.1).await.unwrap());
    store.close().await;
}

/// A report whose delivery-status part says nothing readable is ignored as a bounce, like
/// any other: it is no application, so nothing of it is kept (PRODUCT.md: mail that is not
/// an application is recorded only as seen and ignored), and nothing is lost: the message
/// stays in the mailbox, untouched. It is not quarantined: quarantine keeps raw bytes, and
/// a stranger's bounce is no one's application to recover.
#[tokio::test]
async fn a_malformed_report_is_ignored_without_loss() {
    let env = TestEnv::new();
    apply_as(&env, POSTFIX.1);
    let garbled = std::fs::read_to_string(fixture(POSTFIX.0))
        .unwrap()
        .replace(
            "Final-Recipient: rfc822; marie.dupont@example.com",
            "Final-Recipient: x400; ???",
        )
        .replace("Action: failed", "Action: ???");
    let path = env.path("garbled.eml");
    std::fs::write(&path, garbled).unwrap();
    let output = env.run(&["import", path.to_str().unwrap()]);
    assert!(output.status.success());
    assert_eq!(bounce_rows(&env).await, (0, 0));
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE outcome = 'ignored' AND reason = 'bounce'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE outcome = 'quarantined'")
            .await,
        0
    );
    assert_eq!(env.export().len(), 1);
}
