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

/// `purge` of more inactive applications than one statement can take variables: 33,000 on
/// SQLite (32,766 at most), 70,000 on PostgreSQL (65,535 at most). Every one is erased.
#[tokio::test]
async fn a_purge_of_more_applications_than_a_statement_can_bind_erases_them_all() {
    let env = TestEnv::new();
    // The database, migrated.
    env.run(&["export", "--format", "json"]);
    let (n, long_ago) = if env.is_sqlite() {
        (33_000, "'2020-01-01 00:00:00+00:00'")
    } else {
        (70_000, "TIMESTAMPTZ '2020-01-01 00:00:00+00:00'")
    };
    let pool = env.db_for_writing().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
         INSERT INTO candidates (email, last_name, first_name, created_at)
         SELECT 'c' || i || '@example.org', 'Nom', 'Prénom', {long_ago} FROM n"
    )))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO applications (candidate_id, posting, subject_nonconforming, received_at, last_inbound_at)
         SELECT id, 'coordination-maroc', FALSE, {long_ago}, {long_ago} FROM candidates"
    )))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(env.count("SELECT count(*) FROM applications").await, n);

    let out = env.run(&["purge"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("erased {n} application(s)")),
        "{said}"
    );
    assert_eq!(env.count("SELECT count(*) FROM applications").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM candidates").await, 0);
    assert_eq!(
        env.count("SELECT CAST(COALESCE(SUM(applications), 0) AS BIGINT) FROM erasures")
            .await,
        n
    );
}

/// A message that stops the daemon each time it is processed (here: the reader of its
/// document never answers, and the daemon is killed with SIGKILL while it waits, as an out-of-memory kill
/// would) is given up once it stopped the daemon five times, attempts counted in the
/// database across the restarts: it is quarantined with the reason, and the mail before and
/// after it is filed once.
#[tokio::test]
async fn a_message_that_stops_the_daemon_five_times_is_quarantined() {
    let env = TestEnv::new();
    // A `pdftotext` that never answers for candidate 1's CV, and is poppler's for the rest.
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("pdftotext");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\n\
             input=$(/usr/bin/mktemp -p {bin})\n\
             /bin/cat > \"$input\"\n\
             if /bin/grep -q 'CV Nom00001 ' \"$input\"; then /bin/sleep 20; fi\n\
             /usr/bin/pdftotext \"$@\" < \"$input\"\n\
             status=$?\n\
             /bin/rm -f \"$input\"\n\
             exit $status\n",
            bin = bin.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.deliver(
        "Maildir",
        "1700000000.M0.test",
        &synth::application(0, 2_000),
    );
    // Its CV's name says nothing, so the reader is asked what the document is.
    let poison = String::from_utf8(synth::application(1, 2_000))
        .unwrap()
        .replace("CV_Nom00001.pdf", "piece-jointe.pdf");
    env.deliver("Maildir", "1700000001.M1.test", poison.as_bytes());
    let attempts =
        "SELECT COALESCE(MAX(attempts), 0) FROM mail_attempts WHERE location LIKE '%.M1.test%'";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    for attempt in 1..=5 {
        let mut daemon = crate::helpers::Daemon(
            env.command()
                .arg("run")
                .env("PATH", &path)
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        // Killed once its attempt at the message is counted: it is waiting for the reader.
        while env.count(attempts).await < attempt {
            assert!(
                std::time::Instant::now() < deadline,
                "attempt {attempt} never began"
            );
            assert!(daemon.try_wait().unwrap().is_none(), "the daemon stopped");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        assert_eq!(
            env.count("SELECT count(*) FROM mail_seen WHERE location LIKE '%.M1.test%'")
                .await,
            0,
            "not given up after {attempt} stops"
        );
    }
    env.deliver(
        "Maildir",
        "1700000002.M2.test",
        &synth::application(2, 2_000),
    );
    let out = env
        .command()
        .args(["run", "--once"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    let reasons: Vec<(String,)> = sqlx::query_as(
        "SELECT reason FROM mail_seen WHERE outcome = 'quarantined' AND location LIKE '%.M1.test%'",
    )
    .fetch_all(&env.db().await)
    .await
    .unwrap();
    assert_eq!(reasons.len(), 1, "quarantined: {log}");
    assert!(reasons[0].0.contains("stopped 5 times"), "{:?}", reasons[0]);
    let emails = env.exported_emails();
    assert_eq!(emails, ["candidat0@example.com", "candidat2@example.com"]);
    assert_eq!(env.count("SELECT count(*) FROM mail_attempts").await, 0);
}
