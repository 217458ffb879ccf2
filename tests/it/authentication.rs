//! Mail that claims to come from the organisation (issue 23, item 4): only the Sent folder,
//! or inbox mail that the organisation's own server authenticated (`Authentication-Results`
//! from the configured authserv-id), speaks for the organisation.

use serde_json::Value;

use crate::helpers::{TestEnv, fixtures, str_field};
use crate::synth;

const AUTHSERV_ID: &str = "mx.ong-exemple.org";

/// `applymail import` of inbox files, with `[organisation] authserv_id` set.
fn import(env: &TestEnv, files: &[&str]) {
    let mut command = env.command();
    command
        .env("APPLYMAIL_ORGANISATION__AUTHSERV_ID", AUTHSERV_ID)
        .arg("import");
    for file in files {
        command.arg(env.path(file));
    }
    let output = command.output().expect("applymail runs");
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The organisation's answer to candidate 1, delivered to the inbox, with these headers on
/// top (what the receiving server adds).
fn answer_in_inbox(headers: &str) -> Vec<u8> {
    let mut raw = headers.as_bytes().to_vec();
    raw.extend_from_slice(&synth::reply_to(1));
    raw
}

async fn ledger_row(env: &TestEnv, location: &str) -> (String, Option<String>) {
    let pool = env.db().await;
    sqlx::query_as("SELECT outcome, reason FROM mail_seen WHERE location = $1")
        .bind(location)
        .fetch_one(&pool)
        .await
        .unwrap()
}

fn only_application(env: &TestEnv) -> Value {
    let export = env.export();
    assert_eq!(export.len(), 1, "{export:?}");
    export[0].clone()
}

#[tokio::test]
async fn a_forged_own_address_in_the_inbox_marks_nothing_replied() {
    let env = TestEnv::new();
    std::fs::write(env.path("app.eml"), synth::application(1, 2_000)).unwrap();
    std::fs::write(env.path("forged.eml"), answer_in_inbox("")).unwrap();
    import(&env, &["app.eml", "forged.eml"]);
    assert_eq!(
        str_field(&only_application(&env), "reply_status"),
        "unreplied"
    );
    let (outcome, reason) = ledger_row(&env, "forged.eml").await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("ignored", Some("unverified-own-address"))
    );
}

#[tokio::test]
async fn the_own_servers_dkim_pass_makes_an_inbox_answer_count() {
    let env = TestEnv::new();
    std::fs::write(env.path("app.eml"), synth::application(1, 2_000)).unwrap();
    let verified = format!(
        "Authentication-Results: {AUTHSERV_ID} 1;\r\n dkim=pass (2048-bit key; unprotected) header.d=ong-exemple.org header.i=@ong-exemple.org header.b=AbCd+/12==;\r\n spf=pass smtp.mailfrom=ong-exemple.org\r\n"
    );
    std::fs::write(env.path("answer.eml"), answer_in_inbox(&verified)).unwrap();
    import(&env, &["app.eml", "answer.eml"]);
    assert_eq!(
        str_field(&only_application(&env), "reply_status"),
        "replied"
    );
    assert_eq!(ledger_row(&env, "answer.eml").await.0, "outbound");
}

#[tokio::test]
async fn another_servers_results_do_not_count() {
    let env = TestEnv::new();
    std::fs::write(env.path("app.eml"), synth::application(1, 2_000)).unwrap();
    // What the sender's own server (or the sender) wrote, and a lookalike of ours.
    let foreign = "Authentication-Results: mail.attacker.example; dkim=pass header.d=ong-exemple.org; dmarc=pass header.from=ong-exemple.org\r\n\
                   Authentication-Results: mx.ong-exemple.org.attacker.example; dkim=pass header.d=ong-exemple.org\r\n";
    std::fs::write(env.path("forged.eml"), answer_in_inbox(foreign)).unwrap();
    // Ours, but for another domain (not aligned with From).
    let unaligned = format!(
        "Authentication-Results: {AUTHSERV_ID}; dkim=pass header.d=attacker.example; dmarc=fail header.from=ong-exemple.org\r\n"
    );
    let mut second = answer_in_inbox(&unaligned);
    // Another Message-ID, so that it is not the first one's duplicate.
    let text = String::from_utf8(second)
        .unwrap()
        .replace("<reply-1@", "<reply-1b@");
    second = text.into_bytes();
    std::fs::write(env.path("unaligned.eml"), second).unwrap();
    import(&env, &["app.eml", "forged.eml", "unaligned.eml"]);
    assert_eq!(
        str_field(&only_application(&env), "reply_status"),
        "unreplied"
    );
    for file in ["forged.eml", "unaligned.eml"] {
        assert_eq!(
            ledger_row(&env, file).await.1.as_deref(),
            Some("unverified-own-address"),
            "{file}"
        );
    }
}

#[tokio::test]
async fn without_an_authserv_id_no_inbox_mail_speaks_for_the_organisation() {
    let env = TestEnv::new();
    std::fs::write(env.path("app.eml"), synth::application(1, 2_000)).unwrap();
    let verified = format!(
        "Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from=ong-exemple.org\r\n"
    );
    std::fs::write(env.path("answer.eml"), answer_in_inbox(&verified)).unwrap();
    env.run(&[
        "import",
        env.path("app.eml").to_str().unwrap(),
        env.path("answer.eml").to_str().unwrap(),
    ]);
    assert_eq!(
        str_field(&only_application(&env), "reply_status"),
        "unreplied"
    );
    // The same answer in the Sent folder is the organisation's.
    std::fs::write(env.path("sent.eml"), synth::reply_to(1)).unwrap();
    env.run(&[
        "import",
        env.path("app.eml").to_str().unwrap(),
        "--sent",
        env.path("sent.eml").to_str().unwrap(),
    ]);
    assert_eq!(
        str_field(&only_application(&env), "reply_status"),
        "replied"
    );
}

fn colleague_forward() -> Vec<u8> {
    std::fs::read(fixtures().join("inbox/048-colleague-forward-rfc822.eml")).unwrap()
}

/// The colleague's forward as the organisation's server passes it on, authenticated.
fn authenticated_forward() -> Vec<u8> {
    let mut raw = format!(
        "Authentication-Results: {AUTHSERV_ID};\r\n\tdkim=pass header.d=ong-exemple.org;\r\n\tdmarc=pass (p=reject) header.from=ong-exemple.org\r\n"
    )
    .into_bytes();
    raw.extend_from_slice(&colleague_forward());
    raw
}

fn flags(application: &Value) -> Vec<&str> {
    application["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn stdout(env: &TestEnv, args: &[&str]) -> String {
    String::from_utf8(env.run(args).stdout).unwrap()
}

#[tokio::test]
async fn an_unauthenticated_colleague_forward_is_filed_and_flagged_where_recruiters_look() {
    let env = TestEnv::new();
    std::fs::write(env.path("forward.eml"), colleague_forward()).unwrap();
    import(&env, &["forward.eml"]);
    let application = only_application(&env);
    assert_eq!(str_field(&application, "email"), "bouchra.alaoui@gmail.com");
    assert!(
        flags(&application).contains(&"forward_unverified"),
        "{application}"
    );
    assert!(stdout(&env, &["list"]).contains("forward_unverified"));
    assert!(stdout(&env, &["show", "1"]).contains("forward_unverified"));
    let csv = stdout(&env, &["export", "--format", "csv"]);
    assert!(csv.contains("forward_unverified"), "{csv}");
}

#[tokio::test]
async fn an_authenticated_colleague_forward_carries_no_flag_until_an_unverified_one_joins() {
    let env = TestEnv::new();
    std::fs::write(env.path("verified.eml"), authenticated_forward()).unwrap();
    import(&env, &["verified.eml"]);
    let application = only_application(&env);
    assert_eq!(str_field(&application, "email"), "bouchra.alaoui@gmail.com");
    assert!(
        !flags(&application).contains(&"forward_unverified"),
        "{application}"
    );

    // An unverified forward joining the application (another recording) sets the flag...
    std::fs::write(env.path("unverified.eml"), colleague_forward()).unwrap();
    import(&env, &["unverified.eml"]);
    assert_eq!(ledger_row(&env, "unverified.eml").await.0, "followup");
    assert!(flags(&only_application(&env)).contains(&"forward_unverified"));

    // ...and a later verified one does not clear it.
    let again = String::from_utf8(authenticated_forward())
        .unwrap()
        .replace("Message-ID: <bef94d71", "Message-ID: <aaf94d71");
    std::fs::write(env.path("verified-again.eml"), again).unwrap();
    import(&env, &["verified-again.eml"]);
    assert_eq!(ledger_row(&env, "verified-again.eml").await.0, "followup");
    assert!(flags(&only_application(&env)).contains(&"forward_unverified"));
}

#[tokio::test]
async fn an_unverified_forward_in_the_same_import_as_a_verified_one_sets_the_flag() {
    let env = TestEnv::new();
    std::fs::write(env.path("a-verified.eml"), authenticated_forward()).unwrap();
    std::fs::write(env.path("b-unverified.eml"), colleague_forward()).unwrap();
    import(&env, &["a-verified.eml", "b-unverified.eml"]);
    assert_eq!(ledger_row(&env, "b-unverified.eml").await.0, "followup");
    let application = only_application(&env);
    assert!(
        flags(&application).contains(&"forward_unverified"),
        "{application}"
    );
}
