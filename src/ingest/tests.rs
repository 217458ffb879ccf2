//! The pipeline's promises to its callers, on a real SQLite store and blob store: an outcome
//! is reported only once committed, and a message is committed while its stream is idle
//! rather than waiting for a full group.

use std::path::Path;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::{LedgerCheck, Pipeline};
use crate::blobs::BlobStore;
use crate::domain::source::{Direction, SourceRef};
use crate::shutdown::Shutdown;
use crate::sources::RawMessage;
use crate::store::Store;
use crate::store::record::Recorded;

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
    let blobs = BlobStore::open(&settings.storage.dir).expect("blob store opens");
    Pipeline::new(&settings, store, blobs)
}

/// Whether the ledger holds these coordinates, asked from inside a synchronous callback (at
/// the very moment an outcome is reported).
fn committed(store: &Store, source: &SourceRef) -> bool {
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| handle.block_on(store.seen(source))).unwrap()
}

/// Runs the pipeline over inbound `messages`, the ledger asked per message, never shut down.
async fn ingest(
    pipeline: &Pipeline,
    messages: impl futures_util::Stream<Item = std::io::Result<RawMessage>> + Unpin,
    each: impl FnMut(&SourceRef, &Recorded),
) -> Result<(), super::IngestError> {
    let shutdown = Shutdown::never();
    pipeline
        .ingest_stream(
            messages,
            Direction::Inbound,
            LedgerCheck::PerMessage,
            &shutdown,
            each,
        )
        .await
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
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoK\r\n--b--\r\n"
    );
    RawMessage {
        source: SourceRef::new("test", format!("{n}")),
        raw: raw.into_bytes().into(),
    }
}

/// The stream hands over one message, then waits for the test's go before the second: the
/// first must be committed and reported meanwhile, by the group's wait running out. Were it
/// held for a fuller group, stream and pipeline would wait for each other until the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_message_is_committed_while_the_stream_is_idle() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let (go, gone) = oneshot::channel::<()>();
    let messages = futures_util::stream::once(async { Ok(application(1)) }).chain(
        futures_util::stream::once(async {
            gone.await.expect("the test sends its go");
            Ok(application(2))
        }),
    );
    let (reported, mut reports) = mpsc::unbounded_channel::<(SourceRef, Recorded, bool)>();
    let store = pipeline.store().clone();
    let ingesting = ingest(&pipeline, Box::pin(messages), move |source, recorded| {
        let in_ledger = committed(&store, source);
        let _ = reported.send((source.clone(), recorded.clone(), in_ledger));
    });
    let drive = async move {
        let (first, recorded, in_ledger) = reports.recv().await.expect("the first outcome");
        assert_eq!(first.location, "1");
        assert!(matches!(recorded, Recorded::Filed { .. }), "{recorded:?}");
        assert!(in_ledger, "reported before its commit");
        go.send(()).unwrap();
        let (second, _, in_ledger) = reports.recv().await.expect("the second outcome");
        assert_eq!(second.location, "2");
        assert!(in_ledger, "reported before its commit");
    };
    let (ingested, ()) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        tokio::join!(ingesting, drive)
    })
    .await
    .expect("the first message was committed without waiting for the second");
    ingested.unwrap();
}

/// Every outcome of a source larger than a group is reported once, in order, and each is in
/// the ledger when it is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_are_reported_in_order_and_after_their_commit() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let total = super::GROUP_MESSAGES * 2 + 5;
    let messages = futures_util::stream::iter((0..total).map(|n| Ok(application(n))));
    let store = pipeline.store().clone();
    let mut order = Vec::new();
    ingest(&pipeline, Box::pin(messages), |source, recorded| {
        assert!(
            committed(&store, source),
            "{source:?} reported before its commit"
        );
        assert!(matches!(recorded, Recorded::Filed { .. }), "{recorded:?}");
        order.push(source.location.clone());
    })
    .await
    .unwrap();
    let expected: Vec<String> = (0..total).map(|n| n.to_string()).collect();
    assert_eq!(order, expected);
}

/// A message the source cannot read, in the middle of a chunk: the pass stops with the
/// source's error and records nothing after it; what it did not record is filed by the next
/// pass, so nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failure_inside_a_chunk_stops_the_pass_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let store = pipeline.store().clone();
    let messages = futures_util::stream::iter(vec![
        Ok(application(1)),
        Ok(application(2)),
        Err(std::io::Error::other("unreadable")),
        Ok(application(4)),
    ]);
    let mut reported = Vec::new();
    let ingested = ingest(&pipeline, Box::pin(messages), |source, _| {
        assert!(
            committed(&store, source),
            "{source:?} reported before its commit"
        );
        reported.push(source.location.clone());
    })
    .await;
    assert!(
        matches!(ingested, Err(super::IngestError::Source(_))),
        "{ingested:?}"
    );
    assert!(!store.seen(&application(4).source).await.unwrap());

    let again = futures_util::stream::iter([1, 2, 4].map(|n| Ok(application(n))));
    let mut filed = Vec::new();
    ingest(&pipeline, Box::pin(again), |source, recorded| {
        if matches!(recorded, Recorded::Filed { .. }) {
            filed.push(source.location.clone());
        }
    })
    .await
    .unwrap();
    filed.extend(reported);
    filed.sort();
    assert_eq!(filed, ["1", "2", "4"], "each message filed once");
}

/// A candidate sends the CV that an erased application held, at the moment of the erasure:
/// the analysis finds the file stored, the erasure then deletes it (nothing named it any
/// more), and the group must not commit rows naming a file that is gone. It fails instead,
/// records nothing, and reading the message again writes the file again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_erased_between_its_analysis_and_its_commit_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path()).await;
    let store = pipeline.store().clone();
    let first = futures_util::stream::iter([Ok(application(1))]);
    ingest(&pipeline, Box::pin(first), |_, _| {}).await.unwrap();

    // The same CV, in another candidate's application, analysed: found stored, not written.
    let mut analysed = pipeline
        .analyse(
            vec![Ok(application(2))],
            Direction::Inbound,
            LedgerCheck::PerMessage,
        )
        .await;
    let analysed = analysed.pop().unwrap().unwrap();
    let erased = crate::retention::erase(
        &store,
        pipeline.blobs(),
        &crate::store::erase::Erase::Person("candidate1@example.net"),
        "test",
        false,
    )
    .await
    .unwrap();
    assert_eq!(erased.applications, 1);
    let cv = erased.released_blobs.first().expect("the CV was released");
    assert!(!pipeline.blobs().path(cv).exists(), "nothing named the CV");

    let staged = pipeline.stage(analysed).await.unwrap();
    let recorded = pipeline.record(vec![staged]).await;
    assert!(
        matches!(&recorded, Err(super::IngestError::Blobs(e)) if e.kind() == std::io::ErrorKind::NotFound),
        "{recorded:?}"
    );
    assert!(!store.seen(&application(2).source).await.unwrap());

    let again = futures_util::stream::iter([Ok(application(2))]);
    let mut filed = 0;
    ingest(&pipeline, Box::pin(again), |_, recorded| {
        assert!(matches!(recorded, Recorded::Filed { .. }), "{recorded:?}");
        filed += 1;
    })
    .await
    .unwrap();
    assert_eq!(filed, 1);
    assert!(pipeline.blobs().read(cv).is_ok(), "the CV is stored again");
}
