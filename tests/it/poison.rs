//! A message that breaks something must not block the mailbox, and no SQL statement may take a
//! list whose length a sender chooses.

use crate::helpers::TestEnv;
use crate::synth;

/// A message whose CV cannot be stored (a folder holds the name its file would have), between
/// two good ones, read by the daemon from its Maildir and restarted between each pass: the
/// good ones are filed, the bad one, after failing three times while they went through, is
/// quarantined with its error, and then every pass succeeds.
#[tokio::test]
async fn a_message_that_keeps_failing_is_quarantined_across_restarts() {
    let env = TestEnv::new();
    let messages: Vec<Vec<u8>> = (0..3).map(|i| synth::application(i, 2_000)).collect();
    for (i, raw) in messages.iter().enumerate() {
        env.deliver("Maildir", &format!("{}.M{i}.test", 1_700_000_000 + i), raw);
    }
    // The CV of the second message, as the document store would name it.
    let cv = synth::cv_of(1, 2_000);
    let sha = applymail::blobs::sha256_hex(&cv);
    let blocked = env.path(&format!("documents/sha256/{}/{sha}/in-the-way", &sha[..2]));
    std::fs::create_dir_all(&blocked).unwrap();

    let mut exits = Vec::new();
    for _ in 0..3 {
        let out = env.command().args(["run", "--once"]).output().unwrap();
        exits.push(out.status.success());
    }
    assert_eq!(
        exits,
        [false, false, true],
        "the third pass gives up on it and succeeds"
    );
    let export = env.export();
    let mut emails: Vec<&str> = export
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(emails, ["candidat0@example.com", "candidat2@example.com"]);
    assert_eq!(
        env.count("SELECT count(*) FROM mail_seen WHERE outcome = 'quarantined' AND reason LIKE 'failed 3 times%'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM mail_attempts").await,
        0,
        "nothing left to retry"
    );
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 2, "nothing filed twice");
}

/// A message that names no posting but carries 40,000 Message-IDs in References (more than
/// SQLite's 32,766 variables): its thread is looked up without failing, and it is ignored.
#[tokio::test]
async fn a_message_with_forty_thousand_references_is_read() {
    let env = TestEnv::new();
    let refs: String = (0..40_000)
        .map(|n| format!(" <ref-{n}@example.org>"))
        .collect();
    let raw = format!(
        "From: Someone <someone@example.org>\r\nTo: contact@ong-exemple.org\r\n\
         Subject: Re: une question\r\nMessage-ID: <many-refs@example.org>\r\n\
         References:{refs}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0100\r\n\r\nBonjour.\r\n"
    );
    let file = env.path("many-refs.eml");
    std::fs::write(&file, raw).unwrap();
    env.run(&["import", file.to_str().unwrap()]);
    assert_eq!(
        env.count(
            "SELECT count(*) FROM mail_seen WHERE outcome = 'ignored' AND reason = 'no-posting'"
        )
        .await,
        1
    );
}
