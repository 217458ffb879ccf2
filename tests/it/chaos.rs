//! The random-kill harness: the daemon backfills an IMAP mailbox (inbox and Sent) from a real
//! Dovecot and is SIGKILLed at random moments, then restarted, again and again. At the end
//! every application is there exactly once, every document is intact, no file is orphaned,
//! the cursors match the folders and every filed message carries its keyword.
//!
//! The moments come from a seeded generator so that a failure reproduces. CI runs the
//! defaults; a longer run by hand:
//! `APPLYMAIL_CHAOS_KILLS=300 APPLYMAIL_CHAOS_APPLICATIONS=1000 APPLYMAIL_CHAOS_SEED=7 cargo test --test it chaos -- --nocapture`

use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::dovecot::Dovecot;
use crate::helpers::{Daemon, TestEnv, files_under};
use crate::synth;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Waits until the running daemon has recorded more than `before` messages (the database may
/// not exist yet, nor its tables).
async fn wait_for_progress(env: &TestEnv, before: i64, daemon: &mut Daemon) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut pool = None;
    loop {
        if pool.is_none() {
            pool = env.try_db().await;
        }
        let seen = match &pool {
            Some(pool) => sqlx::query_as::<_, (i64,)>("SELECT count(*) FROM mail_seen")
                .fetch_one(pool)
                .await
                .map_or(0, |(n,)| n),
            None => 0,
        };
        if seen > before {
            break;
        }
        assert!(
            daemon.try_wait().unwrap().is_none(),
            "the daemon exited before recording anything new"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the daemon recorded nothing new in 60 s (still {seen})"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    if let Some(pool) = pool {
        pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn random_sigkills_during_an_imap_backfill_lose_and_duplicate_nothing() {
    let kills = setting("APPLYMAIL_CHAOS_KILLS", 30);
    let n = setting("APPLYMAIL_CHAOS_APPLICATIONS", 2000) as usize;
    let seed = setting("APPLYMAIL_CHAOS_SEED", 20_261_129);
    let dovecot = Dovecot::start();
    let inbox: Vec<Vec<u8>> = (0..n).map(|i| synth::application(i, 4_000)).collect();
    // Replies that arrive in Sent before, during and after their application is filed.
    let sent: Vec<Vec<u8>> = (0..n).step_by(5).map(synth::reply_to).collect();
    dovecot.append("INBOX", &inbox).await;
    dovecot.append("Sent", &sent).await;
    let total = (inbox.len() + sent.len()) as i64;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));

    let mut rng = StdRng::seed_from_u64(seed);
    let mut mid_work = 0;
    // Kills that came after some commits and before the last.
    let mut between = 0;
    let mut progress: Vec<i64> = Vec::new();
    for _ in 0..kills {
        let before = progress.last().copied().unwrap_or(0);
        // A run that ended the backfill before its kill leaves nothing to interrupt.
        if before == total {
            break;
        }
        let mut daemon = env
            .command()
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Daemon)
            .unwrap();
        // Kills are placed by what the daemon has done, not by the clock, so that they land
        // mid-work however fast or loaded the machine is: some during start-up (the lease,
        // migrations, the first download), the others at a random moment after this run's
        // first commit.
        if rng.random_bool(0.25) {
            std::thread::sleep(Duration::from_millis(rng.random_range(0..100)));
        } else {
            wait_for_progress(&env, before, &mut daemon).await;
            std::thread::sleep(Duration::from_millis(rng.random_range(0..100)));
        }
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        let seen = env.count("SELECT count(*) FROM mail_seen").await;
        if seen < total {
            mid_work += 1;
        }
        if 0 < seen && seen < total {
            between += 1;
        }
        progress.push(seen);
    }
    println!(
        "seed {seed}: {} kills, messages recorded at each kill: {progress:?}",
        progress.len()
    );
    assert!(
        mid_work >= kills.min(10),
        "only {mid_work} kills landed before the backfill ended: the run proved little ({progress:?})"
    );
    assert!(
        between >= kills.min(5),
        "only {between} kills landed between the first commit and the last: the run proved little ({progress:?})"
    );
    env.run(&["run", "--once"]);

    // Every application exactly once, with every document intact.
    let export = env.export();
    assert_eq!(export.len(), n, "every application exactly once");
    let emails: HashSet<&str> = export
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), n);
    crate::helpers::assert_documents_intact(&export, 2);
    let replied = export
        .iter()
        .filter(|a| a["reply_status"] == "replied")
        .count();
    assert_eq!(replied, sent.len(), "every reply found its application");
    assert_eq!(env.count("SELECT count(*) FROM mail_seen").await, total);
    assert_eq!(env.count("SELECT count(*) FROM messages").await, total);

    // No orphan: every stored file is named by a row, and no temporary file is left.
    let pool = env.db().await;
    let named: Vec<(String,)> = sqlx::query_as(
        "SELECT sha256 FROM documents
         UNION SELECT raw_sha256 FROM mail_seen WHERE raw_sha256 IS NOT NULL",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let named: HashSet<String> = named.into_iter().map(|(h,)| h).collect();
    let stored = files_under(&env.path("documents/sha256"));
    for file in &stored {
        let name = file.file_name().unwrap().to_str().unwrap();
        // A temporary left behind (`.tmp.*`, beside the final names) is an orphan too.
        assert!(named.contains(name), "orphan file {}", file.display());
    }
    assert_eq!(stored.len(), named.len(), "every named file exists");

    // The cursors stand just past each folder's last UID, and every filed message has its
    // keyword on the server.
    for (folder, mailbox) in [("INBOX", "imap:INBOX"), ("Sent", "imap:Sent")] {
        let messages = dovecot.flags(folder).await;
        let last = messages.iter().map(|(uid, _)| *uid).max().unwrap();
        let (next,): (i64,) =
            sqlx::query_as("SELECT next_uid FROM mailbox_cursors WHERE mailbox LIKE $1")
                .bind(format!("%{}", mailbox.trim_start_matches("imap:")))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(next, i64::from(last) + 1, "{folder} cursor");
        if folder == "INBOX" {
            for (uid, flags) in &messages {
                assert!(
                    flags
                        .iter()
                        .any(|f| f.contains(applymail::imap::FILED_KEYWORD)),
                    "UID {uid} has no keyword: {flags:?}"
                );
                assert!(
                    !flags.iter().any(|f| f.contains("Seen")),
                    "UID {uid} was marked read"
                );
            }
        }
    }
}
