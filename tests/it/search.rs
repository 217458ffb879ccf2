//! Full-text search (issue 25, item 3) on the run's database: real documents of every kind
//! filed by `applymail import` or the daemon, indexed by the background indexer, found the way
//! a recruiter types; and erasure that leaves no text and no index rows behind.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use applymail::blobs::BlobStore;
use applymail::config::DatabaseUrl;
use applymail::documents::Documents;
use applymail::domain::document::DocumentKind;
use applymail::domain::search::SnippetSource;
use applymail::shutdown::Shutdown;
use applymail::store::Store;
use applymail::textindex::{IndexerLimits, index_pending};

use crate::documents::{doc, docx, mail, odt, pdf};
use crate::helpers::{TestEnv, str_field};
use crate::synth;

const BODY_LETTER: &str = "Madame, Monsieur,\r\n\r\nJe vous adresse ma candidature au poste de \
coordinatrice du Partenariat au Maroc. Depuis six ans, j'accompagne des associations locales \
de Taroudant dans la conception et le suivi de projets de développement rural, avec des \
budgets de plusieurs centaines de milliers d'euros et des équipes pluridisciplinaires.\r\n\r\n\
Mon expérience du dialogue avec les bailleurs, de la rédaction des rapports et de l'animation \
de réseaux d'acteurs me permettra de contribuer rapidement à la réussite de vos programmes \
dans la région de Safi, que je connais bien pour y avoir vécu deux années.\r\n\r\n\
Je me tiens à votre disposition pour un entretien et vous prie d'agréer, Madame, Monsieur, \
l'expression de mes salutations distinguées.\r\n\r\nGaëlle de Kerguelen\r\n";

const PDF: &str = "application/pdf";
const OCTETS: &str = "application/octet-stream";

/// Four applications whose documents hold, each, a word no other holds: a PDF CV and a DOCX
/// letter; an ODT CV and an RTF letter; a letter in the body, a PDF CV and a diploma; a
/// legacy Word CV.
fn file_four(env: &TestEnv) {
    let inbox = env.path("import");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    let mails = [
        mail(
            "Hélène Carré <helene.carre@example.com>",
            "CARRÉ Hélène",
            1,
            "Bonjour, voici ma candidature.",
            &[
                ("CV Carré.pdf", PDF, pdf(&["Curriculum Vitae", "Hélène CARRÉ", "Expérience professionnelle", "2019 – 2023 : coordination de projets à Essaouira"])),
                ("Lettre de motivation.docx", OCTETS, docx(&["Madame, Monsieur,", "Je souhaite mettre en œuvre à Tiznit mon savoir-faire."])),
            ],
        ),
        mail(
            "Jean-Pierre N'Diaye <jp.ndiaye@example.org>",
            "N'DIAYE Jean-Pierre",
            2,
            "Bonjour, voici ma candidature.",
            &[
                ("CV.odt", OCTETS, odt(&["Curriculum Vitae", "Gestion de projet à Ouarzazate, c++"])),
                ("Lettre.rtf", OCTETS, br"{\rtf1\ansi Madame, Monsieur,\par Une oeuvre collective \'e0 Chefchaouen.\par}".to_vec()),
            ],
        ),
        mail(
            "Gaëlle de Kerguelen <gaelle@example.net>",
            "de KERGUELEN Gaëlle",
            3,
            BODY_LETTER,
            &[
                ("CV.pdf", PDF, pdf(&["Curriculum Vitae", "Coordinatrice de programmes"])),
                ("Diplome master.pdf", PDF, pdf(&["Diplôme de master", "Université d'Errachidia"])),
            ],
        ),
        mail(
            "Oumaïma Skalli <oumaima@example.ma>",
            "SKALLI Oumaïma",
            4,
            "Bonjour, voici ma candidature.",
            &[("CV.doc", "application/msword", doc(&["Curriculum Vitae", "Tétouan, expérience associative"]))],
        ),
    ];
    for (i, raw) in mails.iter().enumerate() {
        std::fs::write(
            inbox.join("new").join(format!("160000000{i}.M{i}.search")),
            raw,
        )
        .unwrap();
    }
    env.run(&["import", inbox.to_str().unwrap()]);
}

async fn open(env: &TestEnv) -> (Store, Documents) {
    let store = Store::open(&DatabaseUrl::new(env.database_url()))
        .await
        .unwrap();
    let blobs = Documents::Files(BlobStore::open(&env.path("documents")).unwrap());
    (store, blobs)
}

/// The application ids of the export, by e-mail address.
fn id_of(env: &TestEnv, email: &str) -> i64 {
    env.export()
        .iter()
        .find(|a| str_field(a, "email") == email)
        .map(|a| str_field(a, "id").parse().unwrap())
        .unwrap_or_else(|| panic!("{email} is filed"))
}

async fn found(store: &Store, q: &str) -> BTreeSet<i64> {
    store
        .search_application_ids(q, 100, 0)
        .await
        .unwrap_or_else(|e| panic!("{q:?}: {e}"))
        .into_iter()
        .collect()
}

#[tokio::test]
async fn every_document_kind_is_found_whatever_the_accents_case_and_order() {
    let env = TestEnv::new();
    file_four(&env);
    let helene = id_of(&env, "helene.carre@example.com");
    let jp = id_of(&env, "jp.ndiaye@example.org");
    let gaelle = id_of(&env, "gaelle@example.net");
    let oumaima = id_of(&env, "oumaima@example.ma");
    let (store, blobs) = open(&env).await;
    assert!(
        found(&store, "essaouira").await.is_empty(),
        "nothing is indexed inline"
    );
    let pass = index_pending(
        &store,
        &blobs,
        &IndexerLimits::default(),
        &Shutdown::never(),
    )
    .await
    .unwrap();
    assert_eq!(pass.documents, 8, "{pass:?}");
    assert_eq!(pass.failed, 0, "{pass:?}");
    assert_eq!(store.search_backlog().await.unwrap(), (0, 0));

    let cases: &[(&str, &[i64])] = &[
        // Each kind of document: PDF CV, DOCX letter, ODT CV, RTF letter, body letter,
        // diploma ("other"), legacy Word.
        ("Essaouira", &[helene]),
        ("tiznit", &[helene]),
        ("OUARZAZATE", &[jp]),
        ("chefchaouen", &[jp]),
        ("taroudant", &[gaelle]),
        ("errachidia", &[gaelle]),
        ("tetouan", &[oumaima]),
        // Accents, case and ligatures, both ways.
        ("helene", &[helene]),
        ("HÉLÈNE", &[helene]),
        ("experience", &[helene, gaelle, oumaima]),
        ("oeuvre", &[helene, jp]),
        ("œuvre", &[helene, jp]),
        // Prefixes, words in any order, names and addresses.
        ("coordin", &[helene, gaelle]),
        ("essaouira carre", &[helene]),
        ("carré hélène essaouira", &[helene]),
        ("tiznit ouarzazate", &[]),
        ("kerguelen gaelle", &[gaelle]),
        ("jean-pierre", &[jp]),
        ("n'diaye", &[jp]),
        ("jp.ndiaye@example.org", &[jp]),
        ("oumaima@example.ma", &[oumaima]),
    ];
    for (q, expected) in cases {
        assert_eq!(
            found(&store, q).await,
            expected.iter().copied().collect(),
            "{q:?}"
        );
        assert_eq!(
            store.search_count(q).await.unwrap(),
            expected.len() as i64,
            "{q:?}"
        );
    }
    if !env.is_sqlite() {
        // PostgreSQL also finds French forms (fr_unaccent): plural for singular.
        assert_eq!(
            found(&store, "expériences").await,
            [helene, gaelle, oumaima].into_iter().collect()
        );
    } else {
        assert!(
            found(&store, "expériences").await.is_empty(),
            "SQLite has no French stemmer"
        );
    }
    let huge = "coordination ".repeat(800);
    for q in [
        "",
        "\"",
        "c++",
        "jean-pierre",
        "OR",
        "*",
        "NEAR(",
        "!?…",
        "\"a\" OR NOT",
        huge.as_str(),
    ] {
        store
            .search(q, 20, 0)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
        store
            .search_count(q)
            .await
            .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    assert!(found(&store, "").await.is_empty());

    // The snippet is the original text, the found words marked.
    let hits = store.search("essaouira", 10, 0).await.unwrap();
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    assert!(
        matches!(&snippet.source, SnippetSource::Document { kind: DocumentKind::Cv, filename, .. } if filename == "CV Carré.pdf"),
        "{snippet:?}"
    );
    assert_eq!(snippet.matches(), vec!["Essaouira"]);
    assert!(
        snippet
            .text()
            .contains("coordination de projets à Essaouira"),
        "{snippet:?}"
    );
    let hits = store.search("tetouan", 10, 0).await.unwrap();
    assert_eq!(hits[0].snippet.matches(), vec!["Tétouan"]);
    let hits = store.search("taroudant", 10, 0).await.unwrap();
    assert!(matches!(
        &hits[0].snippet.source,
        SnippetSource::Document {
            kind: DocumentKind::Letter,
            ..
        }
    ));
    assert_eq!(hits[0].snippet.matches(), vec!["Taroudant"]);
    // Paging: two pages of one give both applications once.
    let mut pages = store.search_application_ids("oeuvre", 1, 0).await.unwrap();
    pages.extend(store.search_application_ids("oeuvre", 1, 1).await.unwrap());
    pages.sort_unstable();
    let mut both = vec![helene, jp];
    both.sort_unstable();
    assert_eq!(pages, both);
    store.close().await;
}

/// `forget` and the retention purge leave no text and no index row of the people erased.
#[tokio::test]
async fn erasure_leaves_no_text_and_no_index_rows() {
    let env = TestEnv::new();
    file_four(&env);
    let (store, blobs) = open(&env).await;
    index_pending(
        &store,
        &blobs,
        &IndexerLimits::default(),
        &Shutdown::never(),
    )
    .await
    .unwrap();
    assert_eq!(found(&store, "essaouira").await.len(), 1);
    store.close().await;
    let files = || env.sqlite_file_bytes();
    let holds = |bytes: &[u8], word: &[u8]| bytes.windows(word.len()).any(|w| w == word);
    if env.is_sqlite() {
        assert!(
            holds(&files(), b"saouira"),
            "the check below can see the word"
        );
    }

    env.run(&["forget", "helene.carre@example.com"]);
    let (store, _) = open(&env).await;
    for q in ["essaouira", "tiznit", "helene"] {
        assert!(found(&store, q).await.is_empty(), "{q}");
    }
    assert_eq!(found(&store, "oeuvre").await.len(), 1, "the others stay");
    store.close().await;
    let db = env.db().await;
    let (texts, left): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM document_texts WHERE text LIKE '%Essaouira%' OR text LIKE '%Tiznit%'),
                (SELECT count(*) FROM document_texts)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((texts, left), (0, 6));
    if env.is_sqlite() {
        let (rows, words): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM search_index_docsize),
                    (SELECT count(*) FROM search_index_data WHERE instr(block, 'saouira') > 0 OR instr(block, 'iznit') > 0)
                    + (SELECT count(*) FROM search_index_content WHERE c1 LIKE '%essaouira%' OR c0 LIKE '%helene%')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!((rows, words), (3, 0));
    } else {
        let (rows, words): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM search_entries),
                    (SELECT count(*) FROM search_entries WHERE search_vector::text LIKE '%essaouira%' OR search_vector::text LIKE '%tiznit%')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!((rows, words), (3, 0));
    }
    db.close().await;
    if env.is_sqlite() {
        // Nor in the file's free pages, nor in its write-ahead log.
        let bytes = files();
        for word in [b"saouira".as_slice(), b"iznit", b"SAOUIRA"] {
            assert!(
                !holds(&bytes, word),
                "the database files still hold {}",
                String::from_utf8_lossy(word)
            );
        }
    }

    // The retention purge erases the rest the same way.
    env.run(&["purge", "--older-than", "0s"]);
    let db = env.db().await;
    let (texts,): (i64,) = sqlx::query_as("SELECT count(*) FROM document_texts")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(texts, 0);
    let table = if env.is_sqlite() {
        "search_index_docsize"
    } else {
        "search_entries"
    };
    let (rows,): (i64,) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(rows, 0);
}

/// The daemon indexes the documents filed before it started (logging its progress) and what
/// it files, without being asked.
#[tokio::test]
async fn the_daemon_indexes_what_was_filed_before_and_what_it_files() {
    let env = TestEnv::new();
    let inbox = env.path("import");
    synth::fill_maildir(&inbox, 30, 2_000);
    env.run(&["import", inbox.to_str().unwrap()]);
    let (mut daemon, log) = env.logged_daemon("info");
    env.deliver(
        "Maildir",
        "1700000000.M1.search",
        &mail(
            "Hélène Carré <helene.carre@example.com>",
            "CARRÉ Hélène",
            1,
            "Bonjour, voici ma candidature.",
            &[(
                "CV.pdf",
                PDF,
                pdf(&["Curriculum Vitae", "Mission à Essaouira"]),
            )],
        ),
    );
    let (store, _) = open(&env).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if found(&store, "essaouira").await.len() == 1
            && found(&store, "nom00029").await.len() == 1
            && store.search_backlog().await.unwrap() == (0, 0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not indexed; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    store.close().await;
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &daemon.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(daemon.wait().unwrap().success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("search index: reading the documents not yet indexed"),
        "{log}"
    );
    assert!(log.contains("search index: up to date"), "{log}");
    assert!(!log.contains("Essaouira"), "no document content in the log");
}

/// On PostgreSQL the pages' queries are planned from the tables' statistics (how many texts
/// hold a word, how many documents an application has); the daemon's indexer gathers them
/// once it has caught up with a large import, since autovacuum may be off (it is on this
/// machine) or not yet round.
#[tokio::test]
async fn the_indexer_gathers_the_statistics_the_pages_are_planned_with() {
    let env = TestEnv::new();
    let inbox = env.path("import");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    // Text CVs: read at once, so that the test times the indexer's bookkeeping, not PDFs.
    for i in 0..80 {
        let raw = mail(
            &format!("Prénom{i} Nom{i} <candidat{i}@example.com>"),
            &format!("NOM{i} Prénom{i}"),
            i,
            "Bonjour, voici ma candidature.",
            &[(
                "CV.txt",
                "text/plain",
                b"Coordination et hydraulique".to_vec(),
            )],
        );
        std::fs::write(
            inbox.join("new").join(format!("17000000{i}.M{i}.stats")),
            raw,
        )
        .unwrap();
    }
    env.run(&["import", inbox.to_str().unwrap()]);
    let (store, _) = open(&env).await;
    if env.is_sqlite() {
        // SQLite's full-text index is planned without statistics: there are none to gather.
        assert!(store.refresh_statistics(1_000).await.unwrap().is_empty());
        return;
    }
    const ANALYZED: &str = "SELECT count(*) FROM pg_stat_user_tables
        WHERE relname IN ('search_entries', 'documents') AND last_analyze IS NOT NULL";
    assert_eq!(
        env.count(ANALYZED).await,
        0,
        "a new index has no statistics"
    );
    let (mut daemon, log) = env.logged_daemon("info");
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.search_backlog().await.unwrap() != (0, 0) || env.count(ANALYZED).await < 2 {
        assert!(
            Instant::now() < deadline,
            "indexed and analyzed; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    store.close().await;
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &daemon.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(daemon.wait().unwrap().success());
}

/// A name or an address ranks before a document's words; a text of a megabyte of distinct
/// words (past what a PostgreSQL tsvector holds) is indexed within bounds, its application
/// found.
#[tokio::test]
async fn names_rank_first_and_a_huge_text_is_indexed_within_bounds() {
    let env = TestEnv::new();
    let inbox = env.path("import");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    let mut seed = 20_210_719u64;
    let mut words = String::from("Agadir ");
    while words.len() < 1_200_000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        words.push_str(&format!("w{:x} ", seed >> 36));
    }
    let mails = [
        mail(
            "Amal Safi <amal.safi@example.com>",
            "SAFI Amal",
            11,
            "Bonjour, voici ma candidature.",
            &[("CV.pdf", PDF, pdf(&["Curriculum Vitae", "Rabat"]))],
        ),
        mail(
            "Karim Benali <karim@example.com>",
            "BENALI Karim",
            12,
            "Bonjour, voici ma candidature.",
            &[(
                "CV.pdf",
                PDF,
                pdf(&[
                    "Curriculum Vitae",
                    "Mission à Safi",
                    "Safi, Safi et Safi encore",
                ]),
            )],
        ),
        mail(
            "Random Words <rw@example.com>",
            "WORDS Random",
            13,
            "Bonjour, voici ma candidature.",
            &[("CV.txt", "text/plain", words.into_bytes())],
        ),
    ];
    for (i, raw) in mails.iter().enumerate() {
        std::fs::write(
            inbox.join("new").join(format!("17000000{i}.M{i}.rank")),
            raw,
        )
        .unwrap();
    }
    env.run(&["import", inbox.to_str().unwrap()]);
    let amal = id_of(&env, "amal.safi@example.com");
    let karim = id_of(&env, "karim@example.com");
    let random = id_of(&env, "rw@example.com");
    let (store, blobs) = open(&env).await;
    let pass = index_pending(
        &store,
        &blobs,
        &IndexerLimits::default(),
        &Shutdown::never(),
    )
    .await
    .unwrap();
    assert_eq!((pass.documents, pass.failed), (3, 0), "{pass:?}");
    assert_eq!(store.search_backlog().await.unwrap(), (0, 0));
    assert_eq!(
        store.search_application_ids("safi", 10, 0).await.unwrap(),
        vec![amal, karim]
    );
    for (offset, page) in [(0, vec![amal]), (1, vec![karim]), (2, vec![])] {
        assert_eq!(
            store
                .search_application_ids("safi", 1, offset)
                .await
                .unwrap(),
            page,
            "offset {offset}"
        );
    }
    assert_eq!(
        found(&store, "random words").await,
        [random].into_iter().collect()
    );
    assert_eq!(
        found(&store, "agadir").await,
        [random].into_iter().collect()
    );
    let hits = store.search("agadir", 10, 0).await.unwrap();
    assert_eq!(hits[0].snippet.matches(), vec!["Agadir"]);
    store.close().await;
}

/// Scans are searchable by the text OCR reads in them. The nameless scans of issue 28 (the CV
/// an image-only PDF, the letter a JPEG photo) are imported, and the daemon's indexer (which
/// reads them in its sandboxed child, as it reads PDFs) stores what tesseract read: the
/// application is found by a word of the CV's picture ("Tadamoun", an association it names)
/// and one of the letter's ("filiale"), which nothing else in the mail holds.
#[tokio::test]
async fn scans_are_found_by_the_words_ocr_reads_in_them() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("scans.eml"),
        crate::realmail::scans_application("scan0001.pdf", "IMG_2041.jpg"),
    )
    .unwrap();
    env.run(&["import", env.path("scans.eml").to_str().unwrap()]);
    let salma = id_of(&env, "salma@example.com");
    let (store, _) = open(&env).await;
    let (mut daemon, log) = env.logged_daemon("info");
    let deadline = Instant::now() + Duration::from_secs(120);
    while store.search_backlog().await.unwrap() != (0, 0) {
        assert!(
            Instant::now() < deadline,
            "not indexed; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for word in [
        "tadamoun",
        "filiale",
        "Cadi Ayyad",
        "salutations distinguées",
    ] {
        assert_eq!(found(&store, word).await, BTreeSet::from([salma]), "{word}");
    }
    let texts: Vec<(String,)> = sqlx::query_as("SELECT state FROM document_texts")
        .fetch_all(&env.db().await)
        .await
        .unwrap();
    assert_eq!(texts, [("text".to_owned(),), ("text".to_owned(),)]);
    store.close().await;
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}
