//! The store under concurrent writers, on a real SQLite file: the daemon records groups,
//! saves cursors and updates acknowledgements from several tasks at once.

use crate::config::DatabaseUrl;
use crate::domain::source::SourceRef;
use crate::store::Store;
use crate::store::record::{Recorded, Write, WriteKind};

/// Recording reads (is this message known?) before it writes. Begun the default way, such a
/// transaction fails at its first write with `SQLITE_BUSY_SNAPSHOT`, without waiting, when
/// another connection committed after its read; `BEGIN IMMEDIATE` makes writers queue
/// instead. Four writers, each recording groups of distinct messages: every group commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_groups_all_commit_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
    let store = Store::open(&url).await.unwrap();
    let writers = (0..4).map(|writer| {
        let store = store.clone();
        tokio::spawn(async move {
            for group in 0..50 {
                let writes: Vec<Write> = (0..5)
                    .map(|n| Write {
                        source: SourceRef::new("test", format!("{writer}/{group}/{n}")),
                        message_id: None,
                        kind: WriteKind::Ignored { reason: "test" },
                    })
                    .collect();
                let recorded = store.record(&writes).await?;
                assert!(recorded.iter().all(|r| *r == Recorded::Ignored));
            }
            Ok::<_, crate::store::StoreError>(())
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap().expect("every group commits");
    }
    let seen = store
        .seen_outcomes("test", &["0/0/0".to_owned(), "3/49/4".to_owned()])
        .await
        .unwrap();
    assert_eq!(seen.len(), 2);
}

/// A commit must survive a power cut: the server is told about it next (a keyword, a move out
/// of the inbox, an acknowledgement mailed). In WAL mode only FULL syncs the log at each
/// commit; NORMAL (1) survives a process crash only.
#[tokio::test]
async fn sqlite_syncs_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
    let store = Store::open(&url).await.unwrap();
    let crate::store::Pool::Sqlite(pool) = &store.pool else {
        panic!("a SQLite URL opens SQLite");
    };
    let (mode,): (i64,) = sqlx::query_as("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, 2, "synchronous = FULL");
    let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}
