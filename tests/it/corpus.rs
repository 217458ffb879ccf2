//! The project's own corpus (tests/fixtures/corpus, see its README): every case of
//! PRODUCT.md and more, imported and compared with expected.json.

use std::collections::BTreeSet;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestEnv, fixtures, str_field};

fn norm(text: &str) -> String {
    text.nfc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn ids(value: &Value, key: &str) -> BTreeSet<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn message_id_of(file: &std::path::Path) -> Option<String> {
    let raw = std::fs::read(file).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let header_end = text.find("\r\n\r\n").unwrap_or(text.len());
    text[..header_end]
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .map(|l| l[11..].trim().to_owned())
}

#[tokio::test]
async fn the_fixture_corpus_is_filed_as_expected() {
    let corpus = fixtures();
    let expected: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("expected.json")).unwrap()).unwrap();
    let env = TestEnv::new();
    env.run(&[
        "import",
        corpus.join("inbox").to_str().unwrap(),
        "--sent",
        corpus.join("sent").to_str().unwrap(),
    ]);
    let export = env.export();
    let mut failures = Vec::new();

    let expected_apps = expected["applications"].as_array().unwrap();
    for e in expected_apps {
        let (email, posting) = (str_field(e, "email"), str_field(e, "posting"));
        let found: Vec<&Value> = export
            .iter()
            .filter(|a| str_field(a, "email") == email && str_field(a, "posting") == posting)
            .collect();
        let case = str_field(e, "case");
        let [a] = found.as_slice() else {
            failures.push(format!(
                "[{case}] {email} {posting}: {} applications",
                found.len()
            ));
            continue;
        };
        for key in ["last_name", "first_name"] {
            if norm(str_field(a, key)) != norm(str_field(e, key)) {
                failures.push(format!(
                    "[{case}] {key}: expected {:?}, got {:?}",
                    str_field(e, key),
                    str_field(a, key)
                ));
            }
        }
        if ids(a, "flags") != ids(e, "flags") {
            failures.push(format!(
                "[{case}] flags: expected {:?}, got {:?}",
                ids(e, "flags"),
                ids(a, "flags")
            ));
        }
        if str_field(a, "reply_status") != str_field(e, "reply_status") {
            failures.push(format!(
                "[{case}] reply_status: expected {}, got {}",
                str_field(e, "reply_status"),
                str_field(a, "reply_status")
            ));
        }
        let optional = ids(e, "message_ids_optional");
        let got: BTreeSet<String> = ids(a, "message_ids")
            .difference(&optional)
            .cloned()
            .collect();
        if got != ids(e, "message_ids") {
            failures.push(format!(
                "[{case}] message_ids: expected {:?}, got {:?}",
                ids(e, "message_ids"),
                got
            ));
        }
        let docs = a["documents"].as_array().unwrap();
        let expected_docs = e["documents"].as_array().unwrap();
        if docs.len() != expected_docs.len() {
            let names: Vec<String> = docs
                .iter()
                .map(|d| format!("{}:{}", str_field(d, "kind"), str_field(d, "filename")))
                .collect();
            failures.push(format!(
                "[{case}] {} documents expected, got {}: {names:?}",
                expected_docs.len(),
                docs.len()
            ));
        }
        for ed in expected_docs {
            let matched = docs.iter().find(|d| match ed["sha256"].as_str() {
                Some(sha) => str_field(d, "sha256") == sha,
                None => {
                    str_field(d, "kind") == str_field(ed, "kind")
                        && str_field(d, "source") == str_field(ed, "source")
                }
            });
            let Some(d) = matched else {
                failures.push(format!(
                    "[{case}] document {} {:?} missing",
                    str_field(ed, "kind"),
                    ed["filename"]
                ));
                continue;
            };
            for key in ["kind", "source"] {
                if str_field(d, key) != str_field(ed, key) {
                    failures.push(format!(
                        "[{case}] {:?} {key}: expected {}, got {}",
                        ed["filename"],
                        str_field(ed, key),
                        str_field(d, key)
                    ));
                }
            }
            if let Some(name) = ed["filename"].as_str()
                && str_field(d, "filename") != name
            {
                failures.push(format!(
                    "[{case}] filename: expected {name:?}, got {:?}",
                    str_field(d, "filename")
                ));
            }
            if d["current"] != ed["current"] {
                failures.push(format!(
                    "[{case}] {:?} current: expected {}, got {}",
                    ed["filename"], ed["current"], d["current"]
                ));
            }
        }
    }
    if export.len() != expected_apps.len() {
        let unexpected: Vec<String> = export
            .iter()
            .filter(|a| {
                !expected_apps.iter().any(|e| {
                    str_field(e, "email") == str_field(a, "email")
                        && str_field(e, "posting") == str_field(a, "posting")
                })
            })
            .map(|a| format!("{} {}", str_field(a, "email"), str_field(a, "posting")))
            .collect();
        failures.push(format!(
            "{} applications expected, {} exported; unexpected: {unexpected:?}",
            expected_apps.len(),
            export.len()
        ));
    }

    let filed_ids: BTreeSet<String> = export.iter().flat_map(|a| ids(a, "message_ids")).collect();
    for ignored in expected["ignored"].as_array().unwrap() {
        if let Some(id) = message_id_of(&corpus.join(str_field(ignored, "file")))
            && filed_ids.contains(&id)
        {
            failures.push(format!(
                "[{}] {} was filed",
                str_field(ignored, "case"),
                str_field(ignored, "file")
            ));
        }
    }
    let pool = env.db().await;
    for q in expected["quarantined"].as_array().unwrap() {
        let location = str_field(q, "file").trim_start_matches("inbox/");
        let outcome: Option<(String,)> =
            sqlx::query_as("SELECT outcome FROM mail_seen WHERE location = $1")
                .bind(location)
                .fetch_optional(&pool)
                .await
                .unwrap();
        if outcome.as_ref().map(|(o,)| o.as_str()) != Some("quarantined") {
            failures.push(format!(
                "[{}] {} not quarantined: {outcome:?}",
                str_field(q, "case"),
                str_field(q, "file")
            ));
        }
    }
    // The SQL view recruiters query agrees with the export on the current documents.
    for a in &export {
        let id: i64 = str_field(a, "id").parse().unwrap();
        let (cv, letter): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT current_cv_sha256, current_letter_sha256 FROM applications_overview WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        let current = |kind: &str| {
            a["documents"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["kind"] == kind && d["current"] == true)
                .map(|d| str_field(d, "sha256").to_owned())
        };
        if (cv.clone(), letter.clone()) != (current("cv"), current("letter")) {
            failures.push(format!(
                "applications_overview {id}: {cv:?} {letter:?} differ from the export"
            ));
        }
    }
    // Nothing is lost: every inbox and sent file has its line in the ledger.
    let (seen,): (i64,) = sqlx::query_as("SELECT count(*) FROM mail_seen")
        .fetch_one(&pool)
        .await
        .unwrap();
    let files = std::fs::read_dir(corpus.join("inbox")).unwrap().count()
        + std::fs::read_dir(corpus.join("sent")).unwrap().count();
    if seen != files as i64 {
        failures.push(format!("{files} files, {seen} recorded in the ledger"));
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
