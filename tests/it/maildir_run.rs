//! `run` on the embedded default mailbox, a local Maildir.

use std::time::{Duration, Instant};

use crate::helpers::{TestEnv, snapshot};
use crate::synth;

#[tokio::test]
async fn run_once_files_the_inbox_and_tracks_the_sent_folder() {
    let env = TestEnv::new();
    for i in 0..3 {
        env.deliver(
            "Maildir",
            &format!("{}.M{i}.test", 1_600_000_000 + i),
            &synth::application(i, 2_000),
        );
    }
    env.deliver(
        "Maildir/.Sent",
        "1600000100.M1.test:2,S",
        &synth::reply_to(1),
    );
    env.run(&["run", "--once"]);
    let export = env.export();
    assert_eq!(export.len(), 3);
    let replied: Vec<&str> = export
        .iter()
        .filter(|a| a["reply_status"] == "replied")
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(replied, ["candidat1@example.com"]);

    let pool = env.db().await;
    let before = snapshot(&pool).await;
    // The mail client reads a message: it moves to cur/ with flags, and is not filed again.
    let name = "1600000000.M0.test";
    std::fs::rename(
        env.path("Maildir/new").join(name),
        env.path("Maildir/cur").join(format!("{name}:2,S")),
    )
    .unwrap();
    env.run(&["run", "--once"]);
    assert_eq!(snapshot(&pool).await, before);
}

#[tokio::test]
async fn the_daemon_files_new_mail_and_stops_cleanly_on_sigterm() {
    let env = TestEnv::new();
    let mut child = env
        .command()
        .arg("run")
        .spawn()
        .map(crate::helpers::Daemon)
        .unwrap();
    env.deliver(
        "Maildir",
        "1600000000.M9.test",
        &synth::application(9, 2_000),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if env.count("SELECT count(*) FROM applications").await > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon did not file the new message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().to_string();
    let stopped = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(stopped.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_missing_maildir_is_a_clear_error() {
    let env = TestEnv::new();
    std::fs::remove_dir_all(env.path("Maildir")).unwrap();
    let output = env.command().args(["run", "--once"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("mailbox.path"));
    let check = env.command().arg("check").output().unwrap();
    assert!(!check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("mailbox: FAILED"));
}

#[test]
fn a_folder_that_is_not_a_maildir_is_refused_not_read_as_empty() {
    let env = TestEnv::new();
    for sub in ["cur", "new", "tmp"] {
        std::fs::remove_dir_all(env.path("Maildir").join(sub)).unwrap();
    }
    let output = env.command().args(["run", "--once"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a Maildir"), "{stderr}");
}

#[test]
fn the_shipped_example_maildir_files_applications() {
    // What the README's first command reads. A clone has no empty folders: the Maildir must
    // be readable from the files it holds.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/Maildir");
    let env = TestEnv::new();
    std::fs::remove_dir_all(env.path("Maildir")).unwrap();
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(&example)
        .arg(env.path("Maildir"))
        .status()
        .unwrap();
    assert!(copy.success());
    env.run(&["run", "--once"]);
    assert!(
        env.export().len() >= 50,
        "the example mailbox holds the fixture corpus's applications"
    );
}
