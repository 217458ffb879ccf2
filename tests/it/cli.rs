//! The recruiters' commands: list, show, status, export.

use crate::helpers::{TestEnv, str_field};
use crate::synth;

fn env_with_applications(n: usize) -> TestEnv {
    let env = TestEnv::new();
    let inbox = env.path("import");
    synth::fill_maildir(&inbox, n, 2_000);
    env.run(&["import", inbox.to_str().unwrap()]);
    env
}

fn stdout(output: std::process::Output) -> String {
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn status_changes_are_recorded_and_closed_ones_need_force() {
    let env = env_with_applications(2);
    let id = str_field(&env.export()[0], "id").to_owned();
    env.run(&[
        "status",
        &id,
        "screening",
        "--note",
        "bon profil",
        "--by",
        "Nadège",
    ]);
    env.run(&["status", &id, "rejected"]);
    let refused = env
        .command()
        .args(["status", &id, "interview"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    env.run(&["status", &id, "interview", "--force"]);
    let bad = env
        .command()
        .args(["status", &id, "hiring"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("shortlisted"),
        "the error lists the allowed values"
    );

    let show = stdout(env.run(&["show", &id]));
    for expected in [
        "screening",
        "by Nadège: bon profil",
        "rejected",
        "interview",
        "CV_Nom00000.pdf",
        "documents/sha256/",
    ] {
        assert!(
            show.contains(expected),
            "`show` lacks {expected:?}:\n{show}"
        );
    }
    assert_eq!(str_field(&env.export()[0], "status"), "interview");
}

#[test]
fn list_filters() {
    let env = env_with_applications(3);
    let id = str_field(&env.export()[1], "id").to_owned();
    env.run(&["status", &id, "shortlisted"]);
    let listed = stdout(env.run(&["list", "--status", "shortlisted"]));
    assert!(
        listed.contains("Nom00001") && !listed.contains("Nom00000"),
        "{listed}"
    );
    let searched = stdout(env.run(&["list", "--search", "PRENOM00002"]));
    assert!(
        searched.contains("candidat2@example.com") && searched.contains("1 application(s)"),
        "{searched}"
    );
    let missing = stdout(env.run(&["list", "--missing", "letter"]));
    assert!(missing.contains("0 application(s)"), "{missing}");
    let unreplied = stdout(env.run(&["list", "--reply-status", "unreplied", "--needs-reply"]));
    assert!(unreplied.contains("3 application(s)"), "{unreplied}");
    let json: Vec<serde_json::Value> = serde_json::from_str(&stdout(env.run(&[
        "list",
        "--format",
        "json",
        "--posting",
        "coordination-maroc",
    ])))
    .unwrap();
    assert_eq!(json.len(), 3);
}

#[test]
fn csv_export_has_a_bom_and_neutralises_formulas() {
    let env = TestEnv::new();
    let raw = synth::application(7, 2_000);
    // Candidates choose their address and their name: both reach the spreadsheet.
    let raw = String::from_utf8(raw)
        .unwrap()
        .replace("<candidat7@example.com>", "<=1+2@evil.example>")
        .replace(
            "Subject: Coordination Maroc – Nom00007 Prenom00007",
            "Subject: Coordination Maroc – =HYPERLINK(\"http://x\") Prenom",
        );
    let file = env.path("evil.eml");
    std::fs::write(&file, raw).unwrap();
    env.run(&["import", file.to_str().unwrap()]);
    let csv = env.run(&["export", "--format", "csv"]).stdout;
    assert!(csv.starts_with("\u{FEFF}".as_bytes()), "UTF-8 BOM");
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().expect("one row").unwrap();
    let cells: Vec<&str> = row.iter().collect();
    assert!(
        cells
            .iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        "{cells:?}"
    );
    let email = &row[headers.iter().position(|h| h == "email").unwrap()];
    assert_eq!(email, "'=1+2@evil.example");
    let last_name = &row[headers.iter().position(|h| h == "last_name").unwrap()];
    assert!(last_name.contains("HYPERLINK"), "{last_name}");
}

#[test]
fn a_bad_config_names_the_key() {
    let env = TestEnv::with_extra("[limits]\nmax_parts = \"many\"\n");
    let output = env.command().arg("list").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("limits.max_parts"), "{stderr}");
}

/// A message quarantined for its size, with its raw bytes kept, is listed; once the limit is
/// raised, `quarantine requeue` has the next pass read it again, and its raw copy goes.
#[tokio::test]
async fn a_quarantined_message_is_listed_and_requeued() {
    let env = TestEnv::with_extra("[limits]\nmax_message_bytes = 1000000\n");
    env.deliver(
        "Maildir",
        "1700000000.M1.test",
        &crate::synth::application(1, 1_500_000),
    );
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 0);
    let listed = String::from_utf8(env.run(&["quarantine", "list"]).stdout).unwrap();
    assert!(
        listed.contains("raw message kept") && listed.contains("max_message_bytes"),
        "{listed}"
    );
    let id = listed.split_whitespace().next().unwrap().to_owned();

    let config = std::fs::read_to_string(&env.config).unwrap();
    std::fs::write(
        &env.config,
        config.replace("max_message_bytes = 1000000", "max_message_bytes = 5000000"),
    )
    .unwrap();
    let requeued = String::from_utf8(env.run(&["quarantine", "requeue", &id]).stdout).unwrap();
    assert!(requeued.starts_with("1 message"), "{requeued}");
    env.run(&["run", "--once"]);
    assert_eq!(env.export().len(), 1, "filed once the limit allows it");
    let listed = String::from_utf8(env.run(&["quarantine", "list"]).stdout).unwrap();
    assert!(listed.contains("nothing is quarantined"), "{listed}");
    let raw_left = std::fs::read_dir(env.path("documents/sha256"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .count();
    assert_eq!(
        raw_left, 2,
        "the CV and the letter; the quarantined copy is gone"
    );
}
