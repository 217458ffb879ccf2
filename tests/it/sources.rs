//! Local sources: mbox files, single .eml files, nested folders, and the size limit.

use crate::helpers::TestEnv;
use crate::synth;

#[tokio::test]
async fn mbox_files_single_files_and_nested_folders_are_imported() {
    let env = TestEnv::new();
    let mut mbox = Vec::new();
    for i in 0..3 {
        mbox.extend_from_slice(b"From candidat@example.com Mon Jul  5 09:00:00 2021\r\n");
        mbox.extend_from_slice(&synth::application(i, 2_000));
        mbox.extend_from_slice(b"\r\n");
    }
    std::fs::write(env.path("export.mbox"), &mbox).unwrap();
    std::fs::create_dir_all(env.path("eml/2021/07")).unwrap();
    std::fs::write(env.path("eml/2021/07/a.eml"), synth::application(10, 2_000)).unwrap();
    std::fs::write(env.path("eml/notes.txt"), b"not mail").unwrap();
    std::fs::write(env.path("single.eml"), synth::application(20, 2_000)).unwrap();
    env.run(&[
        "import",
        env.path("export.mbox").to_str().unwrap(),
        env.path("eml").to_str().unwrap(),
        env.path("single.eml").to_str().unwrap(),
    ]);
    let mut emails: Vec<String> = env
        .export()
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_owned())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        [
            "candidat0@example.com",
            "candidat10@example.com",
            "candidat1@example.com",
            "candidat20@example.com",
            "candidat2@example.com"
        ]
    );
    // Again: nothing new.
    env.run(&["import", env.path("export.mbox").to_str().unwrap()]);
    assert_eq!(env.export().len(), 5);
}

#[tokio::test]
async fn oversized_mail_is_quarantined_whole_not_parsed() {
    let env = TestEnv::with_extra("[limits]\nmax_message_bytes = 10000\n");
    std::fs::write(env.path("big.eml"), synth::application(1, 50_000)).unwrap();
    std::fs::write(env.path("small.eml"), synth::application(2, 2_000)).unwrap();
    env.run(&[
        "import",
        env.path("big.eml").to_str().unwrap(),
        env.path("small.eml").to_str().unwrap(),
    ]);
    assert_eq!(env.export().len(), 1);
    let pool = env.db().await;
    let (reason, sha): (String, String) =
        sqlx::query_as("SELECT reason, raw_sha256 FROM mail_seen WHERE outcome = 'quarantined'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(reason.contains("limits.max_message_bytes"), "{reason}");
    let kept = std::fs::read(env.path("documents/sha256").join(&sha[..2]).join(&sha)).unwrap();
    assert_eq!(
        kept,
        std::fs::read(env.path("big.eml")).unwrap(),
        "the raw bytes are kept"
    );
}

#[test]
fn files_applymail_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    std::fs::write(env.path("one.eml"), synth::application(1, 2_000)).unwrap();
    env.run(&["import", env.path("one.eml").to_str().unwrap()]);
    let mode = |p: &str| std::fs::metadata(env.path(p)).unwrap().permissions().mode() & 0o777;
    if env.is_sqlite() {
        assert_eq!(mode("applymail.db"), 0o600);
    }
    assert_eq!(mode("documents"), 0o700);
    let export = env.export();
    for doc in export[0]["documents"].as_array().unwrap() {
        let path = doc["path"].as_str().unwrap();
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{path}"
        );
    }
}
