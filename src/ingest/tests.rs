//! The pipeline's promises to its callers, on a real SQLite store and blob store: an outcome
//! is reported only once committed; a message that keeps failing is quarantined after a few
//! attempts, across restarts, while the others are filed; erased mail is not stored again.

use std::path::Path;

use super::{IngestError, Pipeline, RawMessage};
use crate::blobs::BlobStore;
use crate::documents::Documents;
use crate::domain::outcome::{IgnoreReason, Outcome};
use crate::domain::source::{Direction, SourceRef};
use crate::store::Store;

async fn pipeline(dir: &Path) -> Pipeline {
    let text = format!(
        r#"
[mailbox]
kind = "maildir"
path = "{dir}/Maildir"
[organisation]
addresses = ["contact@example.org"]
domains = ["example.org"]
[database]
url = "sqlite://{dir}/applymail.db"
[storage]
dir = "{dir}/documents"
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice du Partenariat au Maroc"
subject = "Coordination Maroc"
"#,
        dir = dir.display()
    );
    let settings = crate::config::load_str(&text, Path::new("test.toml"), [])
        .expect("the test configuration loads");
    let store = Store::open(&settings.database.url)
        .await
        .expect("SQLite opens");
    let dir = settings.storage.dir.as_deref().expect("a folder");
    let blobs = BlobStore::open(dir).expect("blob store opens");
    Pipeline::new(&settings, store, Documents::Files(blobs))
}

/// The base64 of the CV candidate `n` attaches: distinct bytes per candidate.
fn cv(n: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("%PDF-1.4\n% CV of candidate {n}\n"))
}

fn application(n: usize) -> RawMessage {
    let raw = format!(
        "From: Candidate {n} <candidate{n}@example.net>\r\nTo: contact@example.org\r\n\
         Subject: Coordination Maroc - Candidate{n} Jean\r\nMessage-ID: <app-{n}@example.net>\r\n\
         Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma candidature.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"CV.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"CV.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        cv(n)
    );
    RawMessage {
        source: SourceRef::new("test", format!("{n}")),
        raw: raw.into_bytes().into(),
        arrived_at: None,
    }
}

fn filed(outcomes: &[(SourceRef, Outcome)]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Filed { .. }))
        .map(|(s, _)| s.location.clone())
        .collect()
}

/// Every outcome of a batch is reported once, in order, and each is in the ledger when it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_are_reported_in_order_and_after_their_commit() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let batch: Vec<RawMessage> = (0..70).map(application).collect();
    let outcomes = pipeline.ingest(batch, Direction::Inbound).await.unwrap();
    let expected: Vec<String> = (0..70).map(|n| n.to_string()).collect();
    assert_eq!(filed(&outcomes), expected);
    for (source, _) in &outcomes {
        assert!(pipeline.store().seen(source).await.unwrap());
    }
    let again = pipeline
        .ingest(vec![application(3)], Direction::Inbound)
        .await
        .unwrap();
    assert_eq!(again[0].1, Outcome::AlreadySeen);
}

/// A message that fails every time (its CV cannot be written: a folder holds its file's
/// name) between two good ones. The first attempt fails the three together; then each is
/// tried alone, the good ones are filed, and the bad one, once it has failed three times while
/// others went through, is quarantined with its error; the pipeline is opened afresh before
/// each attempt, as after a restart. Nothing is left to retry, and nothing was filed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_quarantined_and_blocks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = {
        let pipeline = pipeline(dir.path()).await;
        let sha =
            crate::blobs::sha256_hex(format!("%PDF-1.4\n% CV of candidate {}\n", 2).as_bytes());
        let path = files(&pipeline).path(&sha);
        std::fs::create_dir_all(path.join("in-the-way")).unwrap();
        path
    };
    let batch = || vec![application(1), application(2), application(3)];
    let mut filed_so_far = Vec::new();
    for attempt in 1..=2 {
        let pipeline = pipeline(dir.path()).await;
        let err = pipeline
            .ingest(batch(), Direction::Inbound)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, IngestError::Failed { source_ref, .. } if attempt == 1 || source_ref.location == "2"),
            "attempt {attempt}: {err}"
        );
        let outcomes: Vec<_> = batch();
        for message in outcomes {
            if pipeline.store().seen(&message.source).await.unwrap() {
                filed_so_far.push(message.source.location);
            }
        }
    }
    assert_eq!(
        filed_so_far,
        ["1", "3"],
        "the good messages were filed on their second attempt, alone"
    );

    let pipeline = pipeline(dir.path()).await;
    let outcomes = pipeline.ingest(batch(), Direction::Inbound).await.unwrap();
    let quarantined: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::Quarantined)
        .map(|(s, _)| s.location.as_str())
        .collect();
    assert_eq!(quarantined, ["2"]);
    let rows = pipeline.store().quarantined().await.unwrap();
    let reason = rows[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("failed 3 times"), "{reason}");
    assert!(rows[0].raw_sha256.is_some(), "its raw bytes are kept");
    let left = pipeline
        .store()
        .attempts("test", &["1", "2", "3"])
        .await
        .unwrap();
    assert!(left.is_empty(), "nothing is left to retry: {left:?}");
    assert!(blocked.is_dir());
}

/// The database down (its file unreachable) fails every message alike: nothing is blamed,
/// counted or quarantined for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_count_attempts_blames_no_message() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    pipeline.store().close().await;
    let err = pipeline
        .ingest(vec![application(1)], Direction::Inbound)
        .await
        .unwrap_err();
    assert!(matches!(err, IngestError::Store(_)), "{err}");
}

/// Erased mail read again (a copy at new coordinates) is recorded as erased, and its
/// documents are not written back to the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_mail_met_again_is_not_stored_again() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    pipeline
        .ingest(vec![application(1)], Direction::Inbound)
        .await
        .unwrap();
    let erased = crate::retention::forget(
        pipeline.store(),
        pipeline.documents(),
        "candidate1@example.net",
        "test",
    )
    .await
    .unwrap();
    let cv = erased
        .released_blobs
        .first()
        .expect("the CV was released")
        .clone();
    assert!(!files(&pipeline).path(&cv).exists());
    let mut copy = application(1);
    copy.source = SourceRef::new("Archive", "1");
    let outcomes = pipeline
        .ingest(vec![copy], Direction::Inbound)
        .await
        .unwrap();
    assert_eq!(outcomes[0].1, Outcome::Ignored(IgnoreReason::Erased));
    assert!(
        !files(&pipeline).path(&cv).exists(),
        "the erased CV is not written again"
    );
}

/// A candidate sends the CV that an erased application held, at the moment of the erasure:
/// the file is found stored (not written again), the erasure then deletes it (nothing named
/// it any more), and the group must not commit rows naming a file that is gone. It fails
/// instead, records nothing, and reading the message again writes the file again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_erased_between_its_writing_and_its_commit_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let store = pipeline.store().clone();
    pipeline
        .ingest(vec![application(1)], Direction::Inbound)
        .await
        .unwrap();

    // The same CV, in another candidate's application: found stored, not written.
    let mut same_cv = application(1);
    same_cv.source = SourceRef::new("test", "2");
    same_cv.raw = String::from_utf8_lossy(&same_cv.raw)
        .replace("candidate1@example.net", "other@example.net")
        .replace("<app-1@", "<app-2@")
        .into_bytes()
        .into();
    let analysed = pipeline.analyse(same_cv.clone(), Direction::Inbound);
    let staged = pipeline.decide(analysed, false).await.unwrap();
    let (decisions, new_blobs) = pipeline.write_staged(vec![staged]).await.unwrap();
    let erased = crate::retention::forget(
        &store,
        pipeline.documents(),
        "candidate1@example.net",
        "test",
    )
    .await
    .unwrap();
    assert_eq!(erased.applications, 1);
    let cv = erased
        .released_blobs
        .first()
        .expect("the CV was released")
        .clone();
    assert!(!files(&pipeline).path(&cv).exists(), "nothing named the CV");

    let recorded = pipeline.record(decisions, new_blobs).await;
    assert!(
        matches!(&recorded, Err(IngestError::Documents(e)) if e.kind() == std::io::ErrorKind::NotFound),
        "{recorded:?}"
    );
    assert!(!store.seen(&same_cv.source).await.unwrap());

    let again = pipeline
        .ingest(vec![same_cv], Direction::Inbound)
        .await
        .unwrap();
    assert!(matches!(again[0].1, Outcome::Filed { .. }), "{again:?}");
    assert!(
        files(&pipeline).path(&cv).exists(),
        "the CV is stored again"
    );
}

/// The folder of a pipeline on files.
fn files(pipeline: &Pipeline) -> &BlobStore {
    match pipeline.documents() {
        Documents::Files(blobs) => blobs,
        Documents::Database(_) => panic!("these tests keep documents in files"),
    }
}
