//! The admin's pages over HTTP: every one refuses a recruiter (walking the route table) and
//! a form posted from another site; each action does what it says, through the same code
//! as its command, and leaves a line in the audit trail (an erasure's without the person).
//! On SQLite and on PostgreSQL (APPLYMAIL_TEST_POSTGRES).

use std::time::{Duration, Instant};

use applymail::web::routes::{Access, table};

use crate::dovecot::free_port;
use crate::synth;
use crate::web::{PASSWORD, Response, WebApp, add_user, form, request};

pub const ADMIN: &str = "alice@ong-exemple.org";
pub const ADMIN_NAME: &str = "Alice Admin";
const MARIE: &str = "marie@ong-exemple.org";

/// The app with an admin besides Marie (a recruiter), and the admin's session.
fn app_with_admin(messages: &[Vec<u8>]) -> (WebApp, String) {
    let app = WebApp::start(messages);
    add_user(&app.env, ADMIN, ADMIN_NAME, "admin");
    let login = app.login(ADMIN, PASSWORD);
    assert_eq!(login.status, 303, "{}", login.text());
    let cookie = login.session().expect("the admin signs in");
    (app, cookie)
}

/// A page's text with askama's escapes of quotes undone, to look for French text in it.
fn unescaped(response: &Response) -> String {
    response.text().replace("&#39;", "'").replace("&#34;", "\"")
}

/// A POST from the app's own pages.
fn post(app: &WebApp, path: &str, cookie: &str, body: &str) -> Response {
    app.post(path, cookie, body, Some(&app.origin()))
}

async fn account_id(app: &WebApp, email: &str) -> i64 {
    let pool = app.env.db().await;
    let (id,): (i64,) = sqlx::query_as("SELECT id FROM web_users WHERE email = $1")
        .bind(email)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    id
}

/// (action, actor, target) of every audit line, oldest first.
async fn audit_lines(app: &WebApp) -> Vec<(String, String, String)> {
    let pool = app.env.db().await;
    let lines = sqlx::query_as("SELECT action, actor, target FROM admin_audit ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    lines
}

/// The password a page shows once.
fn shown_password(page: &str) -> String {
    let start = page
        .find("<code id=\"generated-password\">")
        .unwrap_or_else(|| panic!("a password is shown: {page}"))
        + "<code id=\"generated-password\">".len();
    let end = page[start..].find("</code>").unwrap() + start;
    page[start..end].to_owned()
}

/// (path with `{id}` = 1, method) of every admin route.
fn admin_routes() -> Vec<(String, String)> {
    table()
        .iter()
        .filter(|r| r.access == Access::Admin)
        .map(|r| (r.path.replace("{id}", "1"), r.method.as_str().to_owned()))
        .collect()
}

/// Walks the route table: a recruiter's session gets 403 on every admin route, with the
/// route's own method, and changes nothing; the admin's gets the pages.
#[tokio::test]
async fn every_admin_route_refuses_a_recruiter() {
    let (app, admin) = app_with_admin(&[synth::application(1, 2_000)]);
    let recruiter = app.session();
    let routes = admin_routes();
    assert!(routes.len() >= 14, "the admin's routes: {routes:?}");
    for path in [
        "/admin",
        "/admin/accounts",
        "/admin/erasure",
        "/admin/purge",
        "/admin/quarantine",
        "/admin/health",
        "/admin/audit",
    ] {
        assert!(
            routes.iter().any(|(p, m)| p == path && m == "GET"),
            "GET {path} is an admin route"
        );
    }
    let body = form(&[
        ("email", "candidat1@example.com"),
        ("confirm", "candidat1@example.com"),
        ("role", "admin"),
        ("name", "Intrus"),
    ]);
    for (path, method) in &routes {
        let refused = request(
            app.port,
            method,
            path,
            &[
                ("Cookie", &recruiter),
                ("Origin", &app.origin()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &body,
        );
        assert_eq!(refused.status, 403, "{method} {path} as a recruiter");
        assert!(
            unescaped(&refused).contains("Vous n'avez pas accès"),
            "{method} {path}: {}",
            refused.text()
        );
        if method == "GET" {
            let page = app.get(path, &admin);
            assert_eq!(page.status, 200, "GET {path} as the admin: {}", page.text());
        }
    }
    assert!(audit_lines(&app).await.is_empty(), "nothing was done");
    assert_eq!(app.env.export().len(), 1, "nothing was erased");
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM web_users WHERE role = 'admin' OR disabled")
            .await,
        1,
        "only Alice is an admin, nobody is disabled"
    );
    // In English for a browser that asks for it.
    let english = request(
        app.port,
        "GET",
        "/admin",
        &[("Cookie", &admin), ("Accept-Language", "en-GB,en;q=0.9")],
        "",
    );
    assert!(
        english.text().contains("Erase a person") && english.text().contains("Administration log"),
        "{}",
        english.text()
    );
    // The header links to the admin's pages for the admin only.
    assert!(
        app.get("/applications", &admin)
            .text()
            .contains("href=\"/admin\"")
    );
    assert!(
        !app.get("/applications", &recruiter)
            .text()
            .contains("href=\"/admin\"")
    );
}

/// Every admin form posted from another site (by its Origin, or the browser's
/// Sec-Fetch-Site) is refused with the admin's own session, and nothing happens.
#[tokio::test]
async fn admin_forms_refuse_cross_site_posts() {
    let (app, admin) = app_with_admin(&[synth::application(1, 2_000)]);
    let marie = account_id(&app, MARIE).await;
    let body = form(&[
        ("email", "candidat1@example.com"),
        ("confirm", "candidat1@example.com"),
        ("role", "admin"),
        ("name", "Intrus"),
    ]);
    let posts: Vec<String> = admin_routes()
        .into_iter()
        .filter(|(_, m)| m == "POST")
        .map(|(p, _)| p.replace("/1/", &format!("/{marie}/")))
        .collect();
    assert!(posts.len() >= 8, "{posts:?}");
    for path in &posts {
        let forged = app.post(path, &admin, &body, Some("http://evil.example"));
        assert_eq!(forged.status, 403, "POST {path} from another origin");
        let cross = request(
            app.port,
            "POST",
            path,
            &[
                ("Cookie", &admin),
                ("Sec-Fetch-Site", "cross-site"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            &body,
        );
        assert_eq!(cross.status, 403, "POST {path} cross-site");
    }
    assert!(audit_lines(&app).await.is_empty(), "nothing was done");
    assert_eq!(app.env.export().len(), 1, "nothing was erased");
    assert_eq!(
        app.env.count("SELECT count(*) FROM web_users").await,
        2,
        "no account was added"
    );
    assert_eq!(
        app.get("/applications", &app.session()).status,
        200,
        "Marie is still enabled"
    );
}

#[tokio::test]
async fn an_account_added_by_an_admin_signs_in_with_the_password_shown_once() {
    let (app, admin) = app_with_admin(&[]);
    let added = post(
        &app,
        "/admin/accounts",
        &admin,
        &form(&[
            ("email", "Paul@ong-exemple.org"),
            ("name", "Paul Éluard"),
            ("role", "recruiter"),
        ]),
    );
    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(added.header("cache-control"), "private, no-store");
    let password = shown_password(&added.text());
    assert!(password.len() >= 20, "{password}");
    let login = app.login("paul@ong-exemple.org", &password);
    assert_eq!(login.status, 303, "Paul signs in with the password shown");
    let paul = login.session().unwrap();
    assert_eq!(app.get("/applications", &paul).status, 200);
    assert_eq!(app.get("/admin", &paul).status, 403, "a recruiter");

    // Shown once: not on the page afterwards, nor in the audit trail.
    let later = app.get("/admin/accounts", &admin).text();
    assert!(later.contains("paul@ong-exemple.org") && later.contains("Paul Éluard"));
    assert!(
        !later.contains(&password),
        "the password is shown once only"
    );
    let lines = audit_lines(&app).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].0, "account_added");
    assert_eq!(lines[0].1, ADMIN_NAME);
    assert!(lines[0].2.contains("paul@ong-exemple.org"));
    assert!(!lines[0].2.contains(&password));

    // The same address again is refused, and nothing changes.
    let again = post(
        &app,
        "/admin/accounts",
        &admin,
        &form(&[("email", "paul@ong-exemple.org"), ("role", "admin")]),
    );
    assert_eq!(again.status, 409);
    assert!(again.text().contains("Un compte existe déjà"));
    assert!(!again.text().contains("generated-password"));
    let bad = post(
        &app,
        "/admin/accounts",
        &admin,
        &form(&[("email", "pas une adresse"), ("role", "recruiter")]),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(app.env.count("SELECT count(*) FROM web_users").await, 3);
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM web_users WHERE role = 'admin'")
            .await,
        1
    );
    let audit = app.get("/admin/audit", &admin).text();
    assert!(
        audit.contains("Compte créé") && audit.contains(ADMIN_NAME),
        "{audit}"
    );
}

#[tokio::test]
async fn a_password_reset_ends_the_old_sessions_and_the_new_password_works() {
    let (app, admin) = app_with_admin(&[]);
    let marie_session = app.session();
    assert_eq!(app.get("/applications", &marie_session).status, 200);
    let marie = account_id(&app, MARIE).await;
    let reset = post(
        &app,
        &format!("/admin/accounts/{marie}/password"),
        &admin,
        "",
    );
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert!(
        reset
            .text()
            .contains("sessions ouvertes de ce compte sont fermées")
    );
    let password = shown_password(&reset.text());
    assert_eq!(
        app.get("/applications", &marie_session).status,
        401,
        "the old session ended"
    );
    assert_eq!(
        app.login(MARIE, PASSWORD).status,
        401,
        "the old password is refused"
    );
    assert_eq!(app.login(MARIE, &password).status, 303, "the new one works");
    assert_eq!(
        app.get("/admin/accounts", &admin).status,
        200,
        "the admin's session stays"
    );
    let lines = audit_lines(&app).await;
    assert_eq!(
        lines,
        [(
            "password_reset".to_owned(),
            ADMIN_NAME.to_owned(),
            MARIE.to_owned()
        )]
    );
    assert_eq!(
        post(&app, "/admin/accounts/9999/password", &admin, "").status,
        404
    );
}

#[tokio::test]
async fn an_admin_cannot_disable_or_demote_themselves_but_can_others() {
    let (app, admin) = app_with_admin(&[]);
    let alice = account_id(&app, ADMIN).await;
    let marie = account_id(&app, MARIE).await;

    let disable_self = post(
        &app,
        &format!("/admin/accounts/{alice}/disable"),
        &admin,
        "",
    );
    assert_eq!(disable_self.status, 409);
    assert!(
        disable_self
            .text()
            .contains("Vous ne pouvez pas désactiver votre propre compte")
    );
    let demote_self = post(
        &app,
        &format!("/admin/accounts/{alice}/role"),
        &admin,
        &form(&[("role", "recruiter")]),
    );
    assert_eq!(demote_self.status, 409);
    assert!(
        demote_self
            .text()
            .contains("Vous ne pouvez pas retirer votre propre rôle")
    );
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM web_users WHERE role = 'admin' AND NOT disabled")
            .await,
        1,
        "Alice is still an enabled admin"
    );
    assert_eq!(app.get("/admin", &admin).status, 200);
    assert!(
        audit_lines(&app).await.is_empty(),
        "refusals change nothing"
    );

    // Marie made an admin: her open session reaches the admin's pages at once.
    let marie_session = app.session();
    assert_eq!(app.get("/admin", &marie_session).status, 403);
    let promote = post(
        &app,
        &format!("/admin/accounts/{marie}/role"),
        &admin,
        &form(&[("role", "admin")]),
    );
    assert_eq!(promote.status, 303);
    assert_eq!(app.get("/admin", &marie_session).status, 200);
    let page = app.get(promote.header("location"), &admin).text();
    assert!(page.contains("Rôle modifié"), "{page}");

    // Disabled: her session ends and she cannot sign in.
    let disable = post(
        &app,
        &format!("/admin/accounts/{marie}/disable"),
        &admin,
        "",
    );
    assert_eq!(disable.status, 303);
    assert_eq!(app.get("/applications", &marie_session).status, 401);
    assert_eq!(app.login(MARIE, PASSWORD).status, 401);
    let actions: Vec<String> = audit_lines(&app).await.into_iter().map(|l| l.0).collect();
    assert_eq!(actions, ["role_changed", "account_disabled"]);
}

/// An erasure runs only once the address is typed twice the same; then it erases the person
/// as `forget` does, and its audit line says how much, never whose.
#[tokio::test]
async fn an_erasure_needs_the_address_typed_again_and_its_audit_line_names_nobody() {
    let (app, admin) =
        app_with_admin(&[synth::application(1, 2_000), synth::application(2, 2_000)]);
    let asked = post(
        &app,
        "/admin/erasure",
        &admin,
        &form(&[("email", "candidat1@example.com")]),
    );
    assert_eq!(asked.status, 200);
    let page = unescaped(&asked);
    assert!(
        page.contains("Confirmer l'effacement") && page.contains("candidat1@example.com"),
        "{page}"
    );
    assert_eq!(app.env.export().len(), 2, "asking erases nothing");

    for wrong in ["candidat2@example.com", "", "candidat1@example.co"] {
        let refused = post(
            &app,
            "/admin/erasure/confirm",
            &admin,
            &form(&[("email", "candidat1@example.com"), ("confirm", wrong)]),
        );
        assert_eq!(refused.status, 422, "confirmed with {wrong:?}");
        assert!(refused.text().contains("ne correspond pas"));
    }
    assert_eq!(app.env.export().len(), 2, "a wrong address erases nothing");
    assert!(audit_lines(&app).await.is_empty());

    let erased = post(
        &app,
        "/admin/erasure/confirm",
        &admin,
        &form(&[
            ("email", "candidat1@example.com"),
            ("confirm", " candidat1@example.com "),
        ]),
    );
    assert_eq!(erased.status, 200, "{}", erased.text());
    assert!(erased.text().contains("Effacement terminé"));
    let left = app.env.export();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["email"], "candidat2@example.com");

    let lines = audit_lines(&app).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (action, actor, target) = &lines[0];
    assert_eq!((action.as_str(), actor.as_str()), ("erasure", ADMIN_NAME));
    assert!(target.starts_with("applications=1 "), "{target}");
    for personal in ["candidat1", "example.com", "Nom00001", "Prenom00001"] {
        assert!(!target.contains(personal), "{personal} in {target}");
    }
    // The erasures table (the CLI's trail) names the admin who did it.
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM erasures WHERE kind = 'forget' AND applications = 1 AND actor = 'Alice Admin'")
            .await,
        1
    );
    let audit = unescaped(&app.get("/admin/audit", &admin));
    assert!(audit.contains("Effacement d'une personne"), "{audit}");
    assert!(!audit.contains("candidat1"), "{audit}");

    // An address nobody writes from: nothing to confirm.
    let nobody = post(
        &app,
        "/admin/erasure",
        &admin,
        &form(&[("email", "candidat1@example.com")]),
    );
    assert!(
        nobody.text().contains("rien à effacer"),
        "{}",
        nobody.text()
    );
}

/// The purge page lists what the retention purge would erase (the same selection as
/// `purge --dry-run`), and its button erases exactly that.
#[tokio::test]
async fn the_purge_page_lists_what_its_button_erases() {
    let (app, admin) =
        app_with_admin(&[synth::application(1, 2_000), synth::application(2, 2_000)]);
    let empty = unescaped(&app.get("/admin/purge", &admin));
    assert!(
        empty.contains("Aucune candidature n'est à purger"),
        "{empty}"
    );
    // The first application's last activity three years back.
    let pool = app.env.db_for_writing().await;
    for sql in [
        "UPDATE status_history SET changed_at = '2023-01-01 00:00:00+00:00' WHERE application_id = 1",
        "UPDATE applications SET last_inbound_at = '2023-01-01 00:00:00+00:00', received_at = '2023-01-01 00:00:00+00:00' WHERE id = 1",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let preview = app.get("/admin/purge", &admin).text();
    assert!(preview.contains("Prenom00001 Nom00001"), "{preview}");
    assert!(!preview.contains("Prenom00002"), "{preview}");
    let dry = app.env.run(&["purge", "--dry-run"]);
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("would erase 1 application(s)"),
        "the command agrees"
    );
    assert_eq!(app.env.export().len(), 2, "the preview erases nothing");

    // A form showing another count (the list changed since) purges nothing.
    let stale = post(&app, "/admin/purge", &admin, &form(&[("expected", "2")]));
    assert_eq!(stale.status, 409);
    assert!(unescaped(&stale).contains("La liste a changé"));
    assert_eq!(app.env.export().len(), 2);
    assert!(
        preview.contains("name=\"expected\" value=\"1\""),
        "{preview}"
    );
    let run = post(&app, "/admin/purge", &admin, &form(&[("expected", "1")]));
    assert_eq!(run.status, 200, "{}", run.text());
    assert!(run.text().contains("Purge effectuée"));
    let left = app.env.export();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["email"], "candidat2@example.com");
    let lines = audit_lines(&app).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "purge");
    assert!(lines[0].2.starts_with("applications=1 "), "{:?}", lines[0]);
}

/// A quarantined message is listed with its reason; "Read again" takes it out of the ledger
/// (as `quarantine requeue`), and the next pass reads it.
#[tokio::test]
async fn requeue_takes_a_quarantined_message_out_of_the_quarantine() {
    let (app, admin) = app_with_admin(&[]);
    let empty = app.get("/admin/quarantine", &admin).text();
    assert!(empty.contains("quarantine-empty"), "{empty}");
    // Names the posting, has no usable sender: quarantined whole.
    let broken = "To: contact@ong-exemple.org\r\nSubject: Coordination Maroc - Prenom00002 Nom00002\r\n\
                  Message-ID: <broken-2@example.com>\r\n\r\nmon CV suit\r\n";
    let file = app.env.path("broken.eml");
    std::fs::write(&file, broken).unwrap();
    app.env.run(&["import", file.to_str().unwrap()]);
    let pool = app.env.db().await;
    let (id, reason): (i64, String) =
        sqlx::query_as("SELECT id, reason FROM mail_seen WHERE outcome = 'quarantined'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let listed = app.get("/admin/quarantine", &admin).text();
    assert!(
        listed.contains(&format!("/admin/quarantine/{id}/requeue")),
        "{listed}"
    );
    let shown_reason = reason.replace('\'', "&#39;").replace('"', "&#34;");
    assert!(
        listed.contains(&reason) || listed.contains(&shown_reason),
        "the reason {reason:?} is shown: {listed}"
    );

    let requeued = post(&app, &format!("/admin/quarantine/{id}/requeue"), &admin, "");
    assert_eq!(requeued.status, 303);
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM mail_seen WHERE outcome = 'quarantined'")
            .await,
        0,
        "out of the quarantine"
    );
    let after = app.get(requeued.header("location"), &admin).text();
    assert!(
        after.contains("sera relu") && after.contains("quarantine-empty"),
        "{after}"
    );
    assert_eq!(
        post(&app, &format!("/admin/quarantine/{id}/requeue"), &admin, "").status,
        404,
        "not quarantined any more"
    );
    let lines = audit_lines(&app).await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "requeue");
    assert!(lines[0].2.starts_with(&format!("#{id} ")), "{:?}", lines[0]);
}

/// The health page shows what the daemon wrote of itself, though it runs in another process:
/// a pass done and stopped, a failure's error, and a running daemon connected.
#[tokio::test]
async fn the_health_page_shows_what_the_daemon_recorded() {
    let (app, admin) = app_with_admin(&[synth::application(1, 2_000)]);
    // `WebApp::start` ran one pass (`run --once`).
    let page = app.get("/admin/health", &admin).text();
    assert!(page.contains("data-state=\"stopped\""), "{page}");
    assert!(page.contains("maildir://"), "{page}");
    assert!(
        !page.contains("<dd class=\"last-sync\">jamais"),
        "a sync is recorded: {page}"
    );
    assert!(page.contains("Aucune erreur récente"), "{page}");

    // A pass that fails: its error is recorded.
    let broken = app
        .env
        .command()
        .args(["run", "--once"])
        .env(
            "APPLYMAIL_MAILBOX__PATH",
            app.env.path("documents").to_str().unwrap(),
        )
        .env(
            "APPLYMAIL_WEB__LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .output()
        .unwrap();
    assert!(!broken.status.success());
    let page = app.get("/admin/health", &admin).text();
    assert!(page.contains("is not a Maildir"), "{page}");
    assert_eq!(app.env.count("SELECT count(*) FROM daemon_errors").await, 1);

    // A daemon that keeps running says it is connected, and stopped once it is stopped.
    let mut daemon = crate::helpers::Daemon(
        app.env
            .command()
            .arg("run")
            .env(
                "APPLYMAIL_WEB__LISTEN",
                format!("127.0.0.1:{}", free_port()),
            )
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = daemon.id();
    let start = Instant::now();
    let mut page = String::new();
    while !(page.contains(&format!("(pid {pid})")) && page.contains("data-state=\"connected\"")) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the daemon's state: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = app.get("/admin/health", &admin).text();
    }
    assert!(page.contains("Connecté"));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    assert!(daemon.wait().unwrap().success());
    let pool = app.env.db().await;
    let (state,): (String,) =
        sqlx::query_as("SELECT state FROM daemon_health WHERE instance LIKE $1")
            .bind(format!("%(pid {pid})"))
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(state, "stopped");
}
