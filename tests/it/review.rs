//! Recruiters working together in the web app, over HTTP: notes and ratings kept with their
//! author and shown to the team, the list's export as filtered, and the pages' language. On
//! SQLite and on PostgreSQL (APPLYMAIL_TEST_POSTGRES).

use crate::synth;
use crate::web::{PASSWORD, WebApp, add_user, form, request};

/// Application ids in the list's order, read from its links.
fn listed_ids(html: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for part in html.split("<a href=\"/applications/").skip(1) {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(id) = digits.parse()
            && part[digits.len()..].starts_with('"')
        {
            ids.push(id);
        }
    }
    ids
}

#[tokio::test]
async fn notes_and_ratings_are_kept_with_their_author_and_shown_to_the_team() {
    let app = WebApp::start(&[
        synth::application(1, 2_000),
        synth::application(2, 2_000),
        synth::application(3, 2_000),
    ]);
    add_user(&app.env, "paul@ong-exemple.org", "Paul Éluard", "recruiter");
    let marie = app.session();
    let paul = app
        .login("paul@ong-exemple.org", PASSWORD)
        .session()
        .expect("Paul signs in");
    let origin = app.origin();

    // A note from another site is refused; from the app it is kept with its author.
    let note = form(&[("body", "Appelée le 3/12 : disponible en janvier")]);
    let forged = app.post(
        "/applications/2/notes",
        &marie,
        &note,
        Some("http://evil.example"),
    );
    assert_eq!(forged.status, 403);
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM application_notes")
            .await,
        0
    );
    let kept = app.post("/applications/2/notes", &marie, &note, Some(&origin));
    assert_eq!(kept.status, 303, "{}", kept.text());
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM application_notes WHERE application_id = 2 AND author = 'Marie Curie' AND body = 'Appelée le 3/12 : disponible en janvier'")
            .await,
        1
    );
    // An empty note is no note; a note on an application that does not exist is a 404.
    let empty = app.post(
        "/applications/2/notes",
        &marie,
        &form(&[("body", "  ")]),
        Some(&origin),
    );
    assert_eq!(empty.status, 303);
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM application_notes")
            .await,
        1
    );
    let missing = app.post("/applications/999/notes", &marie, &note, Some(&origin));
    assert_eq!(missing.status, 404);

    // Paul sees Marie's note in the history, under her name.
    let page = app.get("/applications/2", &paul).text();
    assert!(
        page.contains("Appelée le 3/12 : disponible en janvier"),
        "{page}"
    );
    let history = &page[page.find("class=\"history\"").expect("the history")..];
    assert!(history.contains("Marie Curie"));
    assert!(page.contains("Pas encore évaluée."));

    // One rating per recruiter: Paul changes his mind, and the average counts him once.
    for (cookie, stars) in [(&marie, "4"), (&paul, "5"), (&paul, "2")] {
        let rated = app.post(
            "/applications/2/rating",
            cookie,
            &form(&[("stars", stars)]),
            Some(&origin),
        );
        assert_eq!(rated.status, 303, "{}", rated.text());
    }
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM application_ratings WHERE application_id = 2")
            .await,
        2
    );
    for stars in ["0", "6", "beaucoup"] {
        let refused = app.post(
            "/applications/2/rating",
            &marie,
            &form(&[("stars", stars)]),
            Some(&origin),
        );
        assert!(
            (400..500).contains(&refused.status),
            "{stars} stars: {}",
            refused.status
        );
    }
    assert_eq!(
        app.env
            .count(
                "SELECT count(*) FROM application_ratings WHERE stars = 4 AND application_id = 2"
            )
            .await,
        1,
        "a refused rating changes nothing"
    );
    let page = app.get("/applications/2", &marie).text();
    assert!(page.contains("3,0 / 5 · 2 évaluations"), "{page}");
    assert!(
        page.contains("value=\"4\" checked"),
        "Marie's own rating is checked"
    );

    // The list shows the average and sorts by it, best first, the unrated last.
    let rated_low = app.post(
        "/applications/3/rating",
        &marie,
        &form(&[("stars", "1")]),
        Some(&origin),
    );
    assert_eq!(rated_low.status, 303);
    let list = app.get("/applications?sort=rating", &marie).text();
    assert!(
        list.contains("3,0 (2)") && list.contains("1,0 (1)"),
        "{list}"
    );
    assert_eq!(listed_ids(&list), vec![2, 3, 1]);
    let ascending = app.get("/applications?sort=rating&dir=asc", &marie).text();
    assert_eq!(listed_ids(&ascending), vec![1, 3, 2]);
}

/// Every column sorts, both ways, alone and with a search and a filter (the statement is built
/// from parts: each key must make valid SQL on either database).
#[tokio::test]
async fn the_list_sorts_by_every_column_both_ways() {
    use strum::VariantArray;
    let app = WebApp::start(&[synth::application(1, 2_000), synth::application(2, 2_000)]);
    let cookie = app.session();
    for key in applymail::store::browse::SortKey::VARIANTS {
        let key: &str = key.into();
        for dir in ["asc", "desc"] {
            for extra in ["", "&q=nom00001", "&status=received&missing=letter"] {
                let path = format!("/applications?sort={key}&dir={dir}{extra}");
                let page = app.get(&path, &cookie);
                assert_eq!(page.status, 200, "{path}: {}", page.text());
            }
            let both = app.get(&format!("/applications?sort={key}&dir={dir}"), &cookie);
            let mut ids = listed_ids(&both.text());
            ids.sort();
            assert_eq!(ids, vec![1, 2], "sort={key}&dir={dir} lists both");
        }
    }
}

#[tokio::test]
async fn the_filtered_list_exports_as_csv_and_json_with_the_rules_of_export() {
    let app = WebApp::start(&[
        synth::application(1, 2_000),
        synth::application(2, 2_000),
        synth::application(3, 2_000),
    ]);
    let cookie = app.session();
    let shortlisted = app.post(
        "/applications/3/status",
        &cookie,
        &form(&[("status", "shortlisted")]),
        Some(&app.origin()),
    );
    assert_eq!(shortlisted.status, 303);

    // The whole list: the same bytes as `applymail export --format csv`.
    let all = app.get("/applications/export?format=csv", &cookie);
    assert_eq!(all.status, 200);
    assert!(all.header("content-type").starts_with("text/csv"));
    assert!(
        all.header("content-disposition")
            .starts_with("attachment; filename=\"candidatures-")
    );
    assert!(all.header("cache-control").contains("no-store"));
    let cli = app.env.run(&["export", "--format", "csv"]).stdout;
    assert_eq!(
        all.body, cli,
        "the button and the command write the same CSV"
    );
    assert!(
        all.body.starts_with("\u{FEFF}".as_bytes()),
        "a BOM for spreadsheets"
    );

    // As filtered: only the shortlisted one, as CSV and as JSON.
    let csv = app.get(
        "/applications/export?format=csv&status=shortlisted&sort=name",
        &cookie,
    );
    let records: Vec<csv::StringRecord> = csv::Reader::from_reader(&csv.body[3..])
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(records.len(), 1, "{}", csv.text());
    assert_eq!(&records[0][0], "3");
    assert_eq!(&records[0][2], "Nom00003");
    let json = app.get(
        "/applications/export?format=json&status=shortlisted",
        &cookie,
    );
    assert_eq!(json.header("content-type"), "application/json");
    let exported: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    let exported = exported.as_array().unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["id"], "3");
    assert_eq!(exported[0]["documents"].as_array().unwrap().len(), 2);

    // The list links to the export of what it shows.
    let list = app.get("/applications?status=shortlisted", &cookie).text();
    assert!(
        list.contains("href=\"/applications/export?format=csv&#38;status=shortlisted\""),
        "{list}"
    );
    // An unknown format is refused; a stranger gets nothing.
    assert_eq!(
        app.get("/applications/export?format=xlsx", &cookie).status,
        400
    );
    assert_eq!(app.get("/applications/export?format=csv", "").status, 401);
}

#[tokio::test]
async fn the_pages_speak_the_browsers_language_or_the_one_the_account_chose() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    let english = [("Accept-Language", "en-GB,en;q=0.9,fr;q=0.5")];
    let login = request(app.port, "GET", "/login", &english, "");
    assert!(login.text().contains("<html lang=\"en\">"));
    assert!(login.text().contains("Sign in"));
    let french = request(app.port, "GET", "/login", &[], "").text();
    assert!(french.contains("<html lang=\"fr\">") && french.contains("Connexion"));

    let cookie = app.session();
    let list = |extra: &[(&str, &str)]| {
        let mut headers = vec![("Cookie", cookie.as_str())];
        headers.extend_from_slice(extra);
        request(app.port, "GET", "/applications", &headers, "").text()
    };
    assert!(list(&english).contains("Export the filtered list"));
    assert!(list(&[]).contains("Exporter la liste filtrée"));

    // The account's choice wins over the browser's, until it goes back to "the browser's".
    let choose = |language: &str| {
        app.post(
            "/account/language",
            &cookie,
            &form(&[
                ("language", language),
                ("back", "/applications?status=received"),
            ]),
            Some(&app.origin()),
        )
    };
    let chosen = choose("fr");
    assert_eq!(chosen.status, 303);
    assert_eq!(chosen.header("location"), "/applications?status=received");
    assert!(list(&english).contains("Exporter la liste filtrée"));
    assert_eq!(choose("").status, 303);
    assert!(list(&english).contains("Export the filtered list"));
    // Somewhere else than this site is never where "back" leads.
    let elsewhere = app.post(
        "/account/language",
        &cookie,
        &form(&[("language", "en"), ("back", "//evil.example/")]),
        Some(&app.origin()),
    );
    assert_eq!(elsewhere.header("location"), "/applications");
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM web_users WHERE language = 'en'")
            .await,
        1
    );
}
