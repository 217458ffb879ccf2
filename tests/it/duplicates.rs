//! Likely duplicates (issue 26): the same person under two addresses, found by the folded
//! name, by the same CV file and by the same phone number in the CVs, from real application
//! mails filed by the daemon and read by the background indexer; shown on both applications'
//! pages; the recruiters' "same person" and "not the same person" kept and shown; the route's
//! guards; and erasure, which leaves none of the person's numbers behind. On SQLite and on
//! PostgreSQL (APPLYMAIL_TEST_POSTGRES).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, Utc};

use applymail::blobs::BlobStore;
use applymail::config::DatabaseUrl;
use applymail::documents::Documents;
use applymail::domain::duplicates::{Decision, Reason};
use applymail::domain::phone::PhoneNumber;
use applymail::shutdown::Shutdown;
use applymail::store::Store;
use applymail::textindex::{IndexerLimits, index_pending};

use crate::documents::{docx, mail, pdf};
use crate::helpers::{TestEnv, str_field};
use crate::web::{WebApp, form, request};

const PDF: &str = "application/pdf";
const OCTETS: &str = "application/octet-stream";
const HELLO: &str = "Bonjour, voici ma candidature.";
const TITLE_FR: &str = "Probablement la même personne";

/// Seven applications: Hélène Carré twice (her name with and without accents, in either
/// order), one CV file under two names, one number written two ways in two CVs (PDF and
/// DOCX), and Omar, whose CV holds dates, years, a postcode and a number of his own.
fn seven() -> Vec<Vec<u8>> {
    let shared_cv = pdf(&[
        "Curriculum Vitae",
        "Karim Benali",
        "Chargé de mission à Rabat",
    ]);
    vec![
        mail(
            "Hélène Carré <helene.carre@example.com>",
            "CARRÉ Hélène",
            41,
            HELLO,
            &[(
                "CV Carré.pdf",
                PDF,
                pdf(&["Curriculum Vitae", "Coordination à Essaouira"]),
            )],
        ),
        mail(
            "Helene Carre <h.carre@autre.example>",
            "Helene CARRE",
            42,
            HELLO,
            &[("CV.pdf", PDF, pdf(&["CV", "Projets à Agadir"]))],
        ),
        mail(
            "Karim Benali <karim@example.com>",
            "BENALI Karim",
            43,
            HELLO,
            &[("CV Benali.pdf", PDF, shared_cv.clone())],
        ),
        mail(
            "Youssef Amrani <youssef.amrani@example.org>",
            "AMRANI Youssef",
            44,
            HELLO,
            &[("CV.pdf", PDF, shared_cv)],
        ),
        mail(
            "Fatou Sarr <fatou.sarr@example.sn>",
            "SARR Fatou",
            45,
            HELLO,
            &[(
                "CV Sarr.pdf",
                PDF,
                pdf(&["Curriculum Vitae", "Tél : +221 77 123 45 67", "Dakar"]),
            )],
        ),
        mail(
            "Aminata Diop <aminata.diop@example.sn>",
            "DIOP Aminata",
            46,
            HELLO,
            &[(
                "CV Diop.docx",
                OCTETS,
                docx(&["Curriculum Vitae", "Mobile : 77.123.45.67", "Thiès"]),
            )],
        ),
        mail(
            "Omar Idrissi <omar@example.ma>",
            "IDRISSI Omar",
            47,
            HELLO,
            &[(
                "CV Idrissi.pdf",
                PDF,
                pdf(&[
                    "Curriculum Vitae",
                    "Né le 12/03/1990, 20250 Casablanca",
                    "2019-2023 : chef de projet, 3 ans",
                    "Tél. +212 5 22 11 22 33",
                ]),
            )],
        ),
    ]
}

/// Waits until the indexer has read every text and keyed every name.
async fn indexed(env: &TestEnv) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let texts = env.count("SELECT count(*) FROM document_texts").await;
        let waiting = env
            .count(
                "SELECT (SELECT count(*) FROM document_texts WHERE NOT phones_scanned)
                      + (SELECT count(*) FROM candidates WHERE name_key IS NULL)
                      + (SELECT count(*) FROM documents WHERE NOT search_indexed)",
            )
            .await;
        if texts >= 6 && waiting == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not indexed: {texts} texts, {waiting} waiting"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Application and candidate ids by address.
async fn ids(env: &TestEnv) -> HashMap<String, (i64, i64)> {
    let db = env.db().await;
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT a.id, c.id, c.email FROM applications a JOIN candidates c ON c.id = a.candidate_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows.into_iter()
        .map(|(application, candidate, email)| (email, (application, candidate)))
        .collect()
}

/// The kept choices: (low, high, decision, decided by), by the lower candidate id.
async fn decisions(env: &TestEnv) -> Vec<(i64, i64, String, String)> {
    let db = env.db().await;
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT candidate_low, candidate_high, decision, decided_by FROM duplicate_decisions ORDER BY candidate_low",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows
}

fn links_to(page: &str, application: i64) -> bool {
    page.contains(&format!("href=\"/applications/{application}\""))
}

#[tokio::test]
async fn the_three_reasons_are_found_and_shown_on_both_pages() {
    let app = WebApp::start(&seven());
    indexed(&app.env).await;
    let ids = ids(&app.env).await;
    let app_of = |email: &str| ids[email].0;
    let cookie = app.session();
    // The day each application arrived, as the pages write it.
    let received: HashMap<String, String> = app
        .env
        .export()
        .iter()
        .map(|a| {
            let at: DateTime<Utc> = str_field(a, "received_at").parse().unwrap();
            let day = at.with_timezone(&Local).format("%d/%m/%Y").to_string();
            (str_field(a, "email").to_owned(), day)
        })
        .collect();
    let page = |email: &str| {
        let response = app.get(&format!("/applications/{}", app_of(email)), &cookie);
        assert_eq!(response.status, 200, "{email}");
        response.text()
    };
    let pairs = [
        (
            "helene.carre@example.com",
            "h.carre@autre.example",
            "même nom",
        ),
        (
            "karim@example.com",
            "youssef.amrani@example.org",
            "même fichier de CV",
        ),
        (
            "fatou.sarr@example.sn",
            "aminata.diop@example.sn",
            "même numéro de téléphone dans le CV : +221 77 123 45 67",
        ),
    ];
    for (one, other, reason) in pairs {
        for (here, there) in [(one, other), (other, one)] {
            let text = page(here);
            assert!(text.contains(TITLE_FR), "{here}: {text}");
            assert!(links_to(&text, app_of(there)), "{here} links to {there}");
            assert!(text.contains(there), "{here} shows {there}'s address");
            assert!(text.contains(reason), "{here}: {reason}");
            let link = format!(
                "href=\"/applications/{}\">Coordinateur·rice du Partenariat au Maroc</a> · reçue le {}",
                app_of(there),
                received[there]
            );
            assert!(
                text.contains(&link),
                "the other application, its posting and date: {text}"
            );
            // Only the pair's own reason, and no one else.
            for (_, _, others) in pairs.iter().filter(|p| p.2 != reason) {
                assert!(!text.contains(others), "{here}: {others}");
            }
            for (email, (application, _)) in &ids {
                if email != here && email != there {
                    assert!(!links_to(&text, *application), "{here} links to {email}");
                }
            }
        }
    }
    let omar = page("omar@example.ma");
    assert!(
        !omar.contains(TITLE_FR),
        "dates, years, postcodes are not numbers"
    );

    let english = request(
        app.port,
        "GET",
        &format!("/applications/{}", app_of("karim@example.com")),
        &[("Cookie", &cookie), ("Accept-Language", "en")],
        "",
    )
    .text();
    assert!(english.contains("Probably the same person"), "{english}");
    assert!(english.contains("same CV file"), "{english}");
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM duplicate_decisions")
            .await,
        0,
        "nothing is decided, nothing merged"
    );
    assert_eq!(app.env.count("SELECT count(*) FROM candidates").await, 7);
}

#[tokio::test]
async fn link_and_dismiss_are_kept_and_shown_and_the_route_is_guarded() {
    let app = WebApp::start(&seven());
    indexed(&app.env).await;
    let ids = ids(&app.env).await;
    let cookie = app.session();
    let (helene, helene_c) = ids["helene.carre@example.com"];
    let (carre, carre_c) = ids["h.carre@autre.example"];
    let (karim, _) = ids["karim@example.com"];
    let (youssef, youssef_c) = ids["youssef.amrani@example.org"];
    let (fatou, fatou_c) = ids["fatou.sarr@example.sn"];
    let (aminata, aminata_c) = ids["aminata.diop@example.sn"];
    let (_, omar_c) = ids["omar@example.ma"];
    let decide = |application: i64, candidate: i64, decision: &str, origin: Option<&str>| {
        app.post(
            &format!("/applications/{application}/duplicates"),
            &cookie,
            &form(&[
                ("candidate", &candidate.to_string()),
                ("decision", decision),
            ]),
            origin,
        )
    };

    // Refused: another site (by Origin and by Sec-Fetch-Site), a stranger, a pair that is
    // not suggested, an unknown decision, an unknown application.
    assert_eq!(
        decide(karim, youssef_c, "linked", Some("http://evil.example")).status,
        403
    );
    let cross = request(
        app.port,
        "POST",
        &format!("/applications/{karim}/duplicates"),
        &[
            ("Cookie", &cookie),
            ("Sec-Fetch-Site", "cross-site"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &form(&[
            ("candidate", &youssef_c.to_string()),
            ("decision", "linked"),
        ]),
    );
    assert_eq!(cross.status, 403);
    let stranger = request(
        app.port,
        "POST",
        &format!("/applications/{karim}/duplicates"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form(&[
            ("candidate", &youssef_c.to_string()),
            ("decision", "linked"),
        ]),
    );
    assert_eq!(stranger.status, 401);
    let origin = app.origin();
    let origin = Some(origin.as_str());
    assert_eq!(
        decide(helene, omar_c, "linked", origin).status,
        400,
        "not suggested"
    );
    assert_eq!(
        decide(helene, helene_c, "linked", origin).status,
        400,
        "itself"
    );
    assert_eq!(decide(helene, carre_c, "merged", origin).status, 400);
    assert_eq!(decide(999_999, carre_c, "linked", origin).status, 404);
    assert!(decisions(&app.env).await.is_empty(), "nothing was kept");

    // Linked from one page: kept once, lower id first, with the recruiter's name, and shown
    // as linked on both pages.
    let linked = decide(carre, helene_c, "linked", origin);
    assert_eq!(linked.status, 303, "{}", linked.text());
    assert_eq!(linked.header("location"), format!("/applications/{carre}"));
    let low = helene_c.min(carre_c);
    let high = helene_c.max(carre_c);
    assert_eq!(
        decisions(&app.env).await,
        vec![(low, high, "linked".to_owned(), "Marie Curie".to_owned())]
    );
    for (here, there) in [(helene, carre), (carre, helene)] {
        let text = app.get(&format!("/applications/{here}"), &cookie).text();
        assert!(text.contains(TITLE_FR), "{text}");
        assert!(links_to(&text, there));
        assert!(text.contains("lien fait par Marie Curie"), "{text}");
        assert!(
            !text.contains("value=\"linked\""),
            "no longer asked: {text}"
        );
    }

    // Dismissed: kept, and neither page suggests the pair any more.
    assert_eq!(decide(aminata, fatou_c, "dismissed", origin).status, 303);
    for (here, there) in [(fatou, aminata), (aminata, fatou)] {
        let text = app.get(&format!("/applications/{here}"), &cookie).text();
        assert!(!text.contains(TITLE_FR), "{here}: {text}");
        assert!(!links_to(&text, there));
    }
    // The pair left alone is still suggested.
    let text = app.get(&format!("/applications/{karim}"), &cookie).text();
    assert!(links_to(&text, youssef) && text.contains("value=\"dismissed\""));
    let mut expected = vec![
        (low, high, "linked".to_owned(), "Marie Curie".to_owned()),
        (
            fatou_c.min(aminata_c),
            fatou_c.max(aminata_c),
            "dismissed".to_owned(),
            "Marie Curie".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(decisions(&app.env).await, expected);
}

fn import(env: &TestEnv, mails: &[Vec<u8>]) {
    let inbox = env.path("import");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    for (i, raw) in mails.iter().enumerate() {
        std::fs::write(
            inbox.join("new").join(format!("171000000{i}.M{i}.dups")),
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

/// The reasons application `id`'s candidate has with each other candidate (by address).
async fn reasons(store: &Store, id: i64) -> HashMap<String, Vec<Reason>> {
    store
        .likely_duplicates(id)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|d| (d.email, d.reasons))
        .collect()
}

/// `forget` and the retention purge leave none of the person's numbers nor keys behind; the
/// indexer reads the texts and names of before migration 0016 (as it left them) like new ones.
#[tokio::test]
async fn erasure_leaves_no_number_and_old_rows_are_read() {
    let env = TestEnv::new();
    let moroccan = |from: &str, name: &str, n: usize, line: &str| {
        mail(
            from,
            name,
            n,
            HELLO,
            &[(
                "CV.docx",
                OCTETS,
                docx(&[
                    "Curriculum Vitae",
                    line,
                    "Stage au siège de l'ONG, standard : 05 22 99 88 77",
                ]),
            )],
        )
    };
    import(
        &env,
        &[
            seven()[4].clone(),
            seven()[5].clone(),
            moroccan(
                "Salma Alaoui <salma@example.ma>",
                "ALAOUI Salma",
                48,
                "Tél. 06 61 23 45 67",
            ),
            moroccan(
                "S. Alaoui <s.alaoui.pro@example.org>",
                "ALAOUI-BENNANI Salma",
                49,
                "(+212) 6-61-23-45-67",
            ),
            moroccan(
                "Nadia Tazi <nadia@example.ma>",
                "TAZI Nadia",
                50,
                "GSM : 07 70 11 22 33",
            ),
            moroccan(
                "Nadia T. <n.tazi@example.org>",
                "TAZI-BENNIS Nadia",
                51,
                "07.70.11.22.33",
            ),
            // Two more whose CVs hold no number but the switchboard every Moroccan CV here names: six
            // candidates share it, so it is no one's.
            moroccan(
                "Yassine Bennani <yassine@example.ma>",
                "BENNANI Yassine",
                52,
                "Rabat",
            ),
            moroccan(
                "Omar Tahiri <omar.tahiri@example.ma>",
                "TAHIRI Omar",
                53,
                "Fès",
            ),
        ],
    );
    let ids = ids(&env).await;
    let (store, blobs) = open(&env).await;
    let (limits, never) = (IndexerLimits::default(), Shutdown::never());
    let index = || index_pending(&store, &blobs, &limits, &never);
    index().await.unwrap();
    // As migration 0016 finds a database: texts and names without their keys. (Deleted
    // securely: the test looks for the numbers in the file's free pages below.)
    let db = env.db_for_writing().await;
    let mut conn = db.acquire().await.unwrap();
    if env.is_sqlite() {
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    for statement in [
        "DELETE FROM document_phones",
        "UPDATE document_texts SET phones_scanned = FALSE",
        "UPDATE candidates SET name_key = NULL",
    ] {
        sqlx::query(statement).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    db.close().await;
    let pass = index().await.unwrap();
    assert_eq!(pass.duplicates, 8 + 8, "eight texts, eight names: {pass:?}");
    assert_eq!(
        env.count("SELECT count(*) FROM candidates WHERE name_key IS NULL OR name_key = ''")
            .await,
        0
    );

    // A name that changes (here by hand; in the pipeline, an empty first name filled in) is
    // keyed again; one written over with itself keeps its key.
    let db = env.db_for_writing().await;
    for statement in [
        "UPDATE candidates SET first_name = 'Salma Zineb' WHERE email = 'salma@example.ma'",
        "UPDATE candidates SET first_name = first_name WHERE email = 'fatou.sarr@example.sn'",
    ] {
        sqlx::query(statement).execute(&db).await.unwrap();
    }
    db.close().await;
    assert_eq!(
        env.count("SELECT count(*) FROM candidates WHERE name_key IS NULL")
            .await,
        1
    );
    index().await.unwrap();
    assert_eq!(
        env.count(
            "SELECT count(*) FROM candidates WHERE name_key = 'alaoui salma zineb' OR name_key = 'fatou sarr'"
        )
        .await,
        2
    );

    let senegal = PhoneNumber::from_canonical("221771234567").unwrap();
    let morocco = PhoneNumber::from_canonical("212661234567").unwrap();
    let (fatou, fatou_c) = ids["fatou.sarr@example.sn"];
    let (aminata, _) = ids["aminata.diop@example.sn"];
    let (salma, _) = ids["salma@example.ma"];
    assert_eq!(
        reasons(&store, fatou).await,
        HashMap::from([(
            "aminata.diop@example.sn".to_owned(),
            vec![Reason::SamePhone(senegal.clone())]
        )])
    );
    assert_eq!(
        reasons(&store, salma).await,
        HashMap::from([(
            "s.alaoui.pro@example.org".to_owned(),
            vec![Reason::SamePhone(morocco)]
        )])
    );
    // Both national: the French and the Moroccan reading match, one reason all the same.
    let nadia = ids["nadia@example.ma"].0;
    let reasons_of_nadia = reasons(&store, nadia).await;
    assert_eq!(reasons_of_nadia.len(), 1, "{reasons_of_nadia:?}");
    assert!(
        matches!(&reasons_of_nadia["n.tazi@example.org"][..], [Reason::SamePhone(n)] if n.as_str().ends_with("770112233")),
        "{reasons_of_nadia:?}"
    );
    store
        .decide_duplicate(aminata, fatou_c, Decision::Linked, "Marie Curie")
        .await
        .unwrap();
    let sarr_cv = {
        let export = env.export();
        let fatou = export
            .iter()
            .find(|a| str_field(a, "email") == "fatou.sarr@example.sn")
            .unwrap();
        str_field(&fatou["documents"][0], "sha256").to_owned()
    };
    store.close().await;

    env.run(&["forget", "fatou.sarr@example.sn"]);
    let db = env.db().await;
    let (hers, theirs, decisions): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM document_phones WHERE sha256 = $1),
                (SELECT count(*) FROM document_phones WHERE phone = '221771234567'),
                (SELECT count(*) FROM duplicate_decisions)",
    )
    .bind(sarr_cv.as_str())
    .fetch_one(&db)
    .await
    .unwrap();
    db.close().await;
    assert_eq!(
        (hers, theirs, decisions),
        (0, 1, 0),
        "Aminata's CV keeps its number"
    );
    let (store, _) = open(&env).await;
    assert!(reasons(&store, aminata).await.is_empty());
    store.close().await;

    env.run(&["forget", "aminata.diop@example.sn"]);
    assert_eq!(
        env.count("SELECT count(*) FROM document_phones WHERE phone = '221771234567'")
            .await,
        0
    );
    if env.is_sqlite() {
        let files: Vec<u8> = ["", "-wal"]
            .iter()
            .flat_map(|s| std::fs::read(env.path(&format!("applymail.db{s}"))).unwrap_or_default())
            .collect();
        assert!(
            !files.windows(12).any(|w| w == b"221771234567"),
            "the database files still hold the number"
        );
    }

    env.run(&["purge", "--older-than", "0s"]);
    assert_eq!(env.count("SELECT count(*) FROM document_phones").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM candidates").await, 0);
}
