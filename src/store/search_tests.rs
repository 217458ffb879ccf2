//! Search on a real SQLite store and blob store: rows written as the pipeline writes them,
//! indexed by the background indexer's step, then searched.

use crate::blobs::BlobStore;
use crate::config::DatabaseUrl;
use crate::documents::Documents;
use crate::domain::search::SnippetSource;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::store::erase::Erase;
use crate::textindex::{IndexerLimits, index_pending};

struct Fixture {
    store: Store,
    blobs: Documents,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
    Fixture {
        store: Store::open(&url).await.unwrap(),
        blobs: Documents::Files(BlobStore::open(&dir.path().join("documents")).unwrap()),
        _dir: dir,
    }
}

fn pool(store: &Store) -> &sqlx::SqlitePool {
    let crate::store::Backend::Sqlite(pool) = &store.pool else {
        panic!("a SQLite URL opens SQLite");
    };
    pool
}

impl Fixture {
    /// Files an application with these documents (kind, file name, content), as the pipeline
    /// records one; returns its id.
    async fn file(&self, email: &str, last: &str, first: &str, docs: &[(&str, &str, &str)]) -> i64 {
        let pool = pool(&self.store);
        let now = "2026-11-02T10:00:00Z";
        let (candidate,): (i64,) = sqlx::query_as(
            "INSERT INTO candidates (email, last_name, first_name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email)
        .bind(last)
        .bind(first)
        .bind(now)
        .fetch_one(pool)
        .await
        .unwrap();
        let (application,): (i64,) = sqlx::query_as(
            "INSERT INTO applications (candidate_id, posting, subject_nonconforming, received_at, last_inbound_at)
             VALUES ($1, 'coordination-maroc', FALSE, $2, $2) RETURNING id",
        )
        .bind(candidate)
        .bind(now)
        .fetch_one(pool)
        .await
        .unwrap();
        let (message,): (i64,) = sqlx::query_as(
            "INSERT INTO messages (direction, dedupe_key, subject, sent_at, raw_digest, raw_size, mailbox, location, recorded_at, arrived_at)
             VALUES ('inbound', $1, 'Coordination Maroc', $2, 'x', 1, 'INBOX', $1, $2, $2) RETURNING id",
        )
        .bind(format!("key-{email}"))
        .bind(now)
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO application_messages (application_id, message_id) VALUES ($1, $2)",
        )
        .bind(application)
        .bind(message)
        .execute(pool)
        .await
        .unwrap();
        for (position, (kind, filename, text)) in docs.iter().enumerate() {
            let Documents::Files(files) = &self.blobs else {
                unreachable!("the fixture keeps files")
            };
            let blob = files.put(text.as_bytes()).unwrap();
            sqlx::query(
                "INSERT INTO documents (application_id, message_id, position, kind, source, filename, content_type, sha256, size)
                 VALUES ($1, $2, $3, $4, 'attachment', $5, 'application/octet-stream', $6, $7)",
            )
            .bind(application)
            .bind(message)
            .bind(position as i64)
            .bind(*kind)
            .bind(*filename)
            .bind(&blob.sha256)
            .bind(blob.size as i64)
            .execute(pool)
            .await
            .unwrap();
        }
        application
    }

    async fn index(&self) {
        index_pending(
            &self.store,
            &self.blobs,
            &IndexerLimits::default(),
            &Shutdown::never(),
        )
        .await
        .unwrap();
    }

    async fn ids(&self, q: &str) -> Vec<i64> {
        self.store.search_application_ids(q, 100, 0).await.unwrap()
    }
}

#[tokio::test]
async fn words_names_prefixes_and_ligatures_are_found() {
    let f = fixture().await;
    let helene = f
        .file(
            "helene.carre@example.com",
            "CARRÉ",
            "Hélène",
            &[
                (
                    "cv",
                    "CV.txt",
                    "Expérience : coordination de l'Œuvre sociale",
                ),
                ("letter", "lettre.txt", "Madame, Monsieur, je suis motivee"),
            ],
        )
        .await;
    let other = f
        .file(
            "jp@example.org",
            "Martin",
            "Jean-Pierre",
            &[("cv", "cv.txt", "oeuvre et c++")],
        )
        .await;
    f.index().await;
    assert_eq!(f.store.search_backlog().await.unwrap(), (0, 0));
    for q in [
        "helene",
        "HÉLÈNE carre",
        "experience",
        "coordin",
        "motivée madame",
    ] {
        assert_eq!(f.ids(q).await, vec![helene], "{q}");
    }
    assert_eq!(f.ids("helene.carre@example.com").await, vec![helene]);
    assert_eq!(
        f.ids("sociale jean").await,
        Vec::<i64>::new(),
        "all words, one application"
    );
    let mut both = f.ids("œuvre").await;
    both.sort_unstable();
    assert_eq!(both, vec![helene, other]);
    assert_eq!(f.store.search_count("oeuvre").await.unwrap(), 2);
    assert_eq!(f.ids("jean-pierre").await, vec![other]);

    let hits = f.store.search("oeuvre helene", 10, 0).await.unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    assert!(
        matches!(snippet.source, SnippetSource::Document { .. }),
        "{snippet:?}"
    );
    assert_eq!(snippet.matches(), vec!["Œuvre"]);
    let hits = f.store.search("carre", 10, 0).await.unwrap();
    assert_eq!(hits[0].snippet.source, SnippetSource::Candidate);
    assert_eq!(hits[0].snippet.matches()[0], "CARRÉ");
}

#[tokio::test]
async fn any_input_is_accepted() {
    let f = fixture().await;
    f.file("a@example.org", "A", "B", &[("cv", "cv.txt", "texte")])
        .await;
    f.index().await;
    let long = "mot ".repeat(2_500);
    for q in [
        "",
        "\"",
        "c++",
        "jean-pierre",
        "OR",
        "*",
        "NEAR(",
        "!!!",
        "a AND",
        long.as_str(),
    ] {
        f.store.search(q, 10, 0).await.unwrap();
        f.store.search_count(q).await.unwrap();
    }
}

/// A new document of an application already indexed (a resend) is found once indexed; the
/// same bytes in two applications are read once and found in both.
#[tokio::test]
async fn later_documents_and_shared_documents() {
    let f = fixture().await;
    let first = f
        .file("a@example.org", "A", "B", &[("cv", "cv.txt", "partage")])
        .await;
    f.index().await;
    let second = f
        .file("b@example.org", "C", "D", &[("cv", "cv.txt", "partage")])
        .await;
    f.index().await;
    let mut ids = f.ids("partage").await;
    ids.sort_unstable();
    assert_eq!(ids, vec![first, second]);
    let (texts,): (i64,) = sqlx::query_as("SELECT count(*) FROM document_texts")
        .fetch_one(pool(&f.store))
        .await
        .unwrap();
    assert_eq!(texts, 1);
}

#[tokio::test]
async fn images_get_an_empty_text_and_unreadable_documents_their_error() {
    let f = fixture().await;
    f.file(
        "a@example.org",
        "A",
        "B",
        &[
            ("cv", "scan.png", "GIF89a xxxx"),
            ("letter", "l.pdf", "%PDF-1.4 broken"),
        ],
    )
    .await;
    f.index().await;
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT state, error FROM document_texts ORDER BY state")
            .fetch_all(pool(&f.store))
            .await
            .unwrap();
    assert_eq!(rows[0], ("empty".to_owned(), None));
    assert_eq!(rows[1].0, "failed");
    assert!(rows[1].1.as_deref().is_some_and(|e| !e.is_empty()));
    // Nothing is left to do: neither is tried again.
    assert_eq!(f.store.search_backlog().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn erasure_leaves_no_text_and_no_index_rows() {
    let f = fixture().await;
    f.file(
        "gone@example.org",
        "Parti",
        "Xavier",
        &[("cv", "cv.txt", "zygomorphe unique")],
    )
    .await;
    let kept = f
        .file(
            "kept@example.org",
            "Reste",
            "Yves",
            &[("cv", "cv.txt", "commun")],
        )
        .await;
    f.index().await;
    assert_eq!(f.ids("zygomorphe").await.len(), 1);
    let erase = Erase::Person {
        email: "gone@example.org",
        quarantined: &[],
    };
    f.store.erase(&erase, "test", false).await.unwrap();
    assert!(f.ids("zygomorphe").await.is_empty());
    assert!(f.ids("xavier").await.is_empty());
    assert_eq!(f.ids("commun").await, vec![kept]);
    let pool = pool(&f.store);
    let (texts, rows, content, words): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM document_texts WHERE text LIKE '%zygomorphe%'),
                (SELECT count(*) FROM search_index_docsize),
                (SELECT count(*) FROM search_index_content WHERE c1 LIKE '%zygomorphe%' OR c0 LIKE '%xavier%'),
                (SELECT count(*) FROM search_index_data WHERE instr(block, 'morphe') > 0)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((texts, rows, content, words), (0, 1, 0, 0));
}

/// Names and addresses first, then the others, the newest first within each; pages follow
/// that order across the two.
#[tokio::test]
async fn names_first_then_newest_page_by_page() {
    let f = fixture().await;
    let named = f
        .file(
            "a@example.org",
            "Safi",
            "Amal",
            &[("cv", "cv.txt", "Rabat")],
        )
        .await;
    let older = f
        .file("b@example.org", "B", "B", &[("cv", "cv.txt", "Safi")])
        .await;
    let newer = f
        .file("c@example.org", "C", "C", &[("cv", "cv.txt", "Safi Safi")])
        .await;
    f.index().await;
    assert_eq!(f.ids("safi").await, vec![named, newer, older]);
    let mut pages = Vec::new();
    for offset in 0..4 {
        pages.push(
            f.store
                .search_application_ids("safi", 1, offset)
                .await
                .unwrap(),
        );
    }
    assert_eq!(pages, vec![vec![named], vec![newer], vec![older], vec![]]);
    assert_eq!(
        f.store.search_application_ids("safi", 2, 1).await.unwrap(),
        vec![newer, older]
    );
}
