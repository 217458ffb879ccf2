//! The store on a real SQLite file: under concurrent writers (the daemon records groups,
//! saves cursors and updates acknowledgements from several tasks at once), its durability
//! settings, and how a group recognises messages it or an earlier group recorded.

use crate::config::DatabaseUrl;
use crate::domain::outcome::{IgnoreReason, Outcome};
use crate::domain::record::{Decision, DecisionKind};
use crate::domain::source::SourceRef;
use crate::store::Store;

const IGNORED: Outcome = Outcome::Ignored(IgnoreReason::MailingList);

fn ignored(source: SourceRef) -> Decision {
    Decision {
        source,
        message_id: None,
        kind: DecisionKind::Ignored(IgnoreReason::MailingList),
    }
}

/// A store on a fresh SQLite file, and the folder that holds it (deleted when dropped).
async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
    (Store::open(&url).await.unwrap(), dir)
}

fn sqlite_pool(store: &Store) -> &sqlx::SqlitePool {
    let crate::store::Backend::Sqlite(pool) = &store.pool else {
        panic!("a SQLite URL opens SQLite");
    };
    pool
}

/// Recording reads (is this message known?) before it writes. Begun the default way, such a
/// transaction fails at its first write with `SQLITE_BUSY_SNAPSHOT`, without waiting, when
/// another connection committed after its read; `BEGIN IMMEDIATE` makes writers queue
/// instead. Four writers, each recording groups of distinct messages: every group commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_groups_all_commit_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    let writers = (0..4).map(|writer| {
        let store = store.clone();
        tokio::spawn(async move {
            for group in 0..50 {
                let writes: Vec<Decision> = (0..5)
                    .map(|n| ignored(SourceRef::new("test", format!("{writer}/{group}/{n}"))))
                    .collect();
                let recorded = store.record(&writes).await?;
                assert!(recorded.iter().all(|r| *r == IGNORED));
            }
            Ok::<_, crate::store::StoreError>(())
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap().expect("every group commits");
    }
    let seen = store
        .seen_outcomes("test", &["0/0/0", "3/49/4"])
        .await
        .unwrap();
    assert_eq!(seen.len(), 2);
}

/// The rows of a group name files that must be durable before the rows are: the rows are
/// written while the caller's sync runs, and commit only once it succeeded. Meanwhile no
/// other connection sees them; after a failed sync, none ever does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_commits_only_after_its_files_are_durable() {
    let (store, _dir) = sqlite_store().await;
    let source = |n: u32| SourceRef::new("test", n.to_string());
    let write = |n: u32| ignored(source(n));
    let reader = store.clone();
    let recorded = store
        .record_after(&[write(1)], &[], || async {
            assert!(!reader.seen(&source(1)).await.unwrap());
            Ok::<(), &str>(())
        })
        .await
        .unwrap();
    assert_eq!(recorded, Ok(vec![IGNORED]));
    assert!(store.seen(&source(1)).await.unwrap());

    let failed = store
        .record_after(&[write(2)], &[], || async { Err("the disk is full") })
        .await
        .unwrap();
    assert_eq!(failed, Err("the disk is full"));
    assert!(!store.seen(&source(2)).await.unwrap());
    // The failed group's transaction is over: the next one takes the write lock.
    assert_eq!(store.record(&[write(3)]).await.unwrap(), vec![IGNORED]);
}

/// A commit must survive a power cut: the server is told about it next (a keyword, a move out
/// of the inbox, an acknowledgement mailed). In WAL mode only FULL syncs the log at each
/// commit; NORMAL (1) survives a process crash only.
#[tokio::test]
async fn sqlite_syncs_every_commit() {
    let (store, _dir) = sqlite_store().await;
    let pool = sqlite_pool(&store);
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

/// Attempts are counted without waiting for the disk, on a connection lent for it: the
/// connections the pool hands out afterwards still sync every commit.
#[tokio::test]
async fn counting_attempts_leaves_every_connection_syncing() {
    let (store, _dir) = sqlite_store().await;
    for round in 0..3 {
        let counted = store.count_attempts("test", &["1", "2"]).await.unwrap();
        assert_eq!(counted["1"].made, round + 1);
    }
    let pool = sqlite_pool(&store);
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    for connection in &mut held {
        let (mode,): (i64,) = sqlx::query_as("PRAGMA synchronous")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(mode, 2, "synchronous = FULL");
    }
}

/// A daemon's memory must not grow with its database: SQLite's default page cache (2 MB) is
/// per connection, and the pool holds several. Every connection the pool hands out has the
/// fixed, smaller one.
#[tokio::test]
async fn every_sqlite_connection_has_the_bounded_page_cache() {
    let (store, _dir) = sqlite_store().await;
    let pool = sqlite_pool(&store);
    // Held at once, so that the pool opens as many connections as it may.
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    for connection in &mut held {
        let (kib,): (i64,) = sqlx::query_as("PRAGMA cache_size")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(
            kib,
            -i64::from(super::SQLITE_CACHE_KIB),
            "cache_size in KiB"
        );
    }
}

/// A group asks the database once what it already holds, and puts off its links and
/// documents until just before the commit: a message repeated inside the group must still be
/// recognised (at the same coordinates: already seen; at others: a duplicate of the
/// application filed a few messages earlier, whose link is not written yet), and so must one
/// recorded by an earlier group.
#[tokio::test]
async fn repeats_inside_a_group_and_across_groups_are_recognised() {
    let (store, _dir) = sqlite_store().await;
    let application = |mailbox: &str, location: &str| {
        application_from(
            mailbox,
            location,
            "amina.benali@example.org",
            "<cv@example.org>",
        )
    };
    let ignored = |location: &str| ignored(SourceRef::new("INBOX", location));

    let first = store
        .record(&[
            application("INBOX", "1"),
            ignored("2"),
            application("Archive", "7"),
            application("INBOX", "1"),
            ignored("2"),
        ])
        .await
        .unwrap();
    let Outcome::Filed { application_id } = first[0] else {
        panic!("the first copy opens an application: {first:?}");
    };
    assert_eq!(
        first[1..],
        [
            IGNORED,
            Outcome::Duplicate,
            Outcome::AlreadySeen,
            Outcome::AlreadySeen
        ]
    );
    let second = store
        .record(&[
            application("INBOX", "1"),
            application("Sent", "3"),
            ignored("2"),
        ])
        .await
        .unwrap();
    assert_eq!(
        second,
        [
            Outcome::AlreadySeen,
            Outcome::Duplicate,
            Outcome::AlreadySeen
        ]
    );

    let pool = sqlite_pool(&store);
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
        n
    };
    assert_eq!(count("SELECT count(*) FROM messages").await, 1);
    assert_eq!(count("SELECT count(*) FROM application_messages").await, 1);
    assert_eq!(count("SELECT count(*) FROM documents").await, 1);
    assert_eq!(count("SELECT count(*) FROM mail_seen").await, 4);
    let duplicates: Vec<(String, Option<i64>)> = sqlx::query_as(
        "SELECT mailbox, application_id FROM mail_seen WHERE outcome = 'duplicate' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(
        duplicates,
        [
            ("Archive".to_owned(), Some(application_id)),
            ("Sent".to_owned(), Some(application_id))
        ],
        "each duplicate names the application the message was filed under"
    );
}

/// An application of `email` whose message (Message-ID `message_id`, the same bytes whatever
/// the coordinates) carries a CV.
fn application_from(mailbox: &str, location: &str, email: &str, message_id: &str) -> Decision {
    use crate::domain::document::{DocumentKind, DocumentSource};
    use crate::domain::email::EmailAddress;
    use crate::domain::identity::{Identity, Legacy};
    use crate::domain::name::PersonName;
    use crate::domain::posting::PostingId;
    use crate::domain::record::{MessageFacts, NewApplication, StoredDocument};
    use crate::domain::source::Direction;

    let candidate = EmailAddress::parse(email).unwrap();
    let now = chrono::Utc::now();
    let message = MessageFacts {
        direction: Direction::Inbound,
        message_id: Some(message_id.into()),
        in_reply_to: Vec::new(),
        references: Vec::new(),
        from_address: Some(candidate.clone()),
        recipients: Vec::new(),
        reply_to: None,
        subject: "Coordination Maroc – Benali Amina".into(),
        date: now,
        arrived_at: now,
        identity: Identity::of(Some(message_id), message_id.as_bytes(), Legacy::None),
        raw_size: 1_000,
        forwarded_by: None,
    };
    Decision {
        source: SourceRef::new(mailbox, location),
        message_id: message.message_id.clone(),
        kind: DecisionKind::Application {
            message,
            filing: NewApplication {
                posting: PostingId::parse("coordination-maroc").unwrap(),
                candidate,
                name: PersonName {
                    last_name: "Benali".into(),
                    first_name: "Amina".into(),
                },
                subject_nonconforming: false,
                forward_unverified: false,
                forwarded_inline: false,
                acknowledgement: None,
            },
            documents: vec![StoredDocument {
                kind: DocumentKind::Cv,
                source: DocumentSource::Attachment,
                filename: "CV.pdf".into(),
                content_type: "application/pdf".into(),
                sha256: "cd".repeat(32),
                size: 500,
            }],
        },
    }
}

/// Erased mail met again at new coordinates (a folder renumbered, a copy) is not filed again:
/// its tombstone, a keyed hash of its identity, is all the database keeps of it.
#[tokio::test]
async fn an_erased_message_met_again_elsewhere_is_not_filed_again() {
    use crate::store::erase::Erase;
    let (store, _dir) = sqlite_store().await;
    let first = store
        .record(&[application_from(
            "INBOX",
            "1/1",
            "amina@example.org",
            "<a@x>",
        )])
        .await
        .unwrap();
    assert!(matches!(first[0], Outcome::Filed { .. }));
    let erased = store
        .erase(
            &Erase::Person {
                email: "amina@example.org",
                quarantined: &[],
            },
            "test",
            false,
        )
        .await
        .unwrap();
    assert_eq!((erased.applications, erased.messages), (1, 1));
    let again = store
        .record(&[application_from(
            "INBOX",
            "2/1",
            "amina@example.org",
            "<a@x>",
        )])
        .await
        .unwrap();
    assert_eq!(again, [Outcome::Ignored(IgnoreReason::Erased)]);
    let pool = sqlite_pool(&store);
    let (applications, stones, addresses): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM erased_identities),
                (SELECT count(*) FROM mail_seen WHERE message_id IS NOT NULL)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((applications, stones, addresses), (0, 1, 0));
    let leak: Option<(String,)> =
        sqlx::query_as("SELECT tombstone FROM erased_identities WHERE tombstone LIKE '%a@x%'")
            .fetch_optional(pool)
            .await
            .unwrap();
    assert!(leak.is_none(), "the tombstone holds no Message-ID");
}

/// No statement takes an unbounded list: a message whose References name 40,000 ids (more
/// than SQLite's 32,766 variables) is looked up, and a purge of 33,000 applications runs.
#[tokio::test]
async fn lookups_and_purges_of_tens_of_thousands_of_rows_work() {
    use crate::domain::email::EmailAddress;
    use crate::store::erase::Erase;
    let (store, _dir) = sqlite_store().await;
    let refs: Vec<String> = (0..40_000)
        .map(|n| format!("<ref-{n}@example.org>"))
        .collect();
    let sender = EmailAddress::parse("someone@example.org").unwrap();
    assert_eq!(
        store.thread_application(&sender, &refs).await.unwrap(),
        None
    );

    let pool = sqlite_pool(&store);
    let old = "2020-01-01 00:00:00+00:00";
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 33000)
         INSERT INTO candidates (email, last_name, first_name, created_at)
         SELECT 'c' || i || '@example.org', 'Nom', 'Prénom', $1 FROM n",
    )
    .bind(old)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO applications (candidate_id, posting, subject_nonconforming, received_at, last_inbound_at)
         SELECT id, 'coordination-maroc', FALSE, $1, $1 FROM candidates",
    )
    .bind(old)
    .execute(pool)
    .await
    .unwrap();
    let cutoff = chrono::Utc::now() - chrono::Duration::days(365);
    let erased = store
        .erase(&Erase::InactiveSince(cutoff), "test", false)
        .await
        .unwrap();
    assert_eq!(erased.applications, 33_000);
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM candidates")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
