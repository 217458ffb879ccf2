//! The recruiters' path in a real browser (Debian's chromium, headless, over WebDriver):
//! log in, search, open an application, see the CV's first page drawn by the PDF viewer,
//! shortlist it with a note, log out. The screenshots it takes are the README's
//! (`target/screenshots/`, copied to `docs/screenshots/`).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::dovecot::free_port;
use crate::web::WebApp;

const CHROMIUM: &str = "/usr/lib/chromium/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a port of its own, in a process group of its own with the chromium it
/// starts: dropping it (a test that passes or panics) ends the whole group, so no browser is
/// left behind.
struct Driver(Child, u16);

impl Driver {
    fn start() -> Driver {
        assert!(
            std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists(),
            "Debian's chromium and chromium-driver are installed (scripts/test installs them)"
        );
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver(child, port)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid: only what this test started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

async fn browser(
    driver: &Driver,
    profile: &std::path::Path,
    downloads: &std::path::Path,
) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1280,1500", "--lang=fr-FR",
                     format!("--user-data-dir={}", profile.display())],
            // The NGO's recruiters read French: the browser asks for it, as theirs does.
            "prefs": {
                "intl.accept_languages": "fr-FR,fr",
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    // fantoccini's TLS stack needs a process-wide provider; chromedriver is plain HTTP here.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("a WebDriver client")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("chromium starts under chromedriver")
}

/// Waits for an element (the page's scripts may still be drawing).
async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Clicks something that does not load a page (a radio button, a download link).
async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The file with this extension the browser downloaded into `dir`, once complete.
async fn downloaded(dir: &std::path::Path, extension: &str) -> PathBuf {
    let start = Instant::now();
    loop {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == extension));
        if let Some(path) = done {
            return path;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no .{extension} was downloaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks something that loads a new page, and returns once the old page is gone: waiting
/// for an element alone could find it on the old page (a form posted back to its own page
/// shows the same elements before and after).
async fn click_and_load(client: &Client, css: &str) {
    let old_page = client.find(Locator::Css("html")).await.unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let start = Instant::now();
    while old_page.tag_name().await.is_ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "clicking {css} did not load a new page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The example Maildir's messages (what `scripts/demo` files), in name order.
fn example_mail() -> Vec<Vec<u8>> {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/Maildir/new");
    let mut mail: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    mail.sort();
    mail.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_recruiter_finds_reads_and_shortlists_an_application_in_a_browser() {
    let messages = example_mail();
    let app = WebApp::start(&messages);
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path(), downloads.path()).await;
    let base = format!("http://127.0.0.1:{}", app.port);

    // Logged out, the app leads to its login page.
    client.goto(&base).await.unwrap();
    wait_for(&client, "form[action='/login']").await;
    type_into(&client, "#email", "marie@ong-exemple.org").await;
    type_into(&client, "#password", crate::web::PASSWORD).await;
    click_and_load(&client, "form[action='/login'] button").await;
    wait_for(&client, "table.applications").await;
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join("list.png"), png).unwrap();

    // Words of one CV only (Marc Dupuis sent a "version corrigée" of his), typed without the
    // accent and cut short, find that application once the web app has indexed the texts.
    let start = Instant::now();
    while app
        .env
        .count("SELECT (SELECT count(*) FROM documents WHERE NOT search_indexed) + (SELECT count(*) FROM applications WHERE NOT search_indexed)")
        .await
        > 0
    {
        assert!(start.elapsed() < Duration::from_secs(120), "the web app's indexer did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let search = client.find(Locator::Css("#q")).await.unwrap();
    search.send_keys("version corrig").await.unwrap();
    click_and_load(&client, "form.filters button[type=submit]").await;
    wait_for(&client, "table.applications").await;
    let rows = client
        .find_all(Locator::Css("table.applications tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one application matches");
    click_and_load(&client, "table.applications tbody a").await;

    // The CV's first page is drawn by the viewer.
    wait_for(&client, ".pdf canvas[data-rendered='1']").await;
    let drawn: bool = client
        .execute(
            "const c = document.querySelector('.pdf canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             for (let i = 0; i < d.length; i += 4) { if (d[i] < 128) return true; } return false;",
            vec![],
        )
        .await
        .unwrap()
        .as_bool()
        .unwrap();
    assert!(
        drawn,
        "the canvas holds dark pixels: the page's text was drawn"
    );
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join("application.png"), png).unwrap();

    // Shortlist it with a note.
    let select = client.find(Locator::Css("#status")).await.unwrap();
    select.select_by_value("shortlisted").await.unwrap();
    type_into(&client, "#note", "Très bon profil terrain").await;
    click_and_load(&client, "section.decide button[type=submit]").await;
    let history = wait_for(&client, "ol.history").await;
    let history = history.text().await.unwrap();
    assert!(
        history.contains("Présélectionnée"),
        "{history}\n{}",
        client.source().await.unwrap()
    );

    // A note for the team, and a rating: both in the page after it reloads.
    type_into(&client, "#note-body", "Appeler avant vendredi").await;
    click_and_load(&client, "form.add-note button[type=submit]").await;
    let history = wait_for(&client, "ol.history").await.text().await.unwrap();
    assert!(history.contains("Appeler avant vendredi"), "{history}");
    click(&client, "label[for='stars-4']").await;
    click_and_load(&client, "form.rate button[type=submit]").await;
    let summary = wait_for(&client, ".rating-summary")
        .await
        .text()
        .await
        .unwrap();
    assert!(summary.contains("4,0 / 5 · 1 évaluation"), "{summary}");

    // The list filtered to the shortlisted shows the rating; its CSV export is downloaded and
    // read by Python's csv module, as a spreadsheet would read it.
    client
        .goto(&format!("{base}/applications?status=shortlisted"))
        .await
        .unwrap();
    let table = wait_for(&client, "table.applications")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        table.contains("Marc Dupuis") && table.contains("4,0 (1)"),
        "{table}"
    );
    click(&client, "p.export a[href*='format=csv']").await;
    let csv = downloaded(downloads.path(), "csv").await;
    let read = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import csv, sys\n\
             rows = list(csv.DictReader(open(sys.argv[1], encoding='utf-8-sig', newline='')))\n\
             print(len(rows)); [print(r['last_name'], r['status']) for r in rows]",
        )
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&read.stdout),
        "1\nDupuis shortlisted\n",
        "the export holds the filtered list: one shortlisted application"
    );

    // Log out: the login page again, and the list is closed.
    click_and_load(&client, "form.logout button").await;
    wait_for(&client, "form[action='/login']").await;
    client.goto(&format!("{base}/applications")).await.unwrap();
    wait_for(&client, "form[action='/login']").await;
    client.close().await.unwrap();

    assert_eq!(
        app.env
            .count("SELECT count(*) FROM status_history WHERE status = 'shortlisted' AND actor = 'Marie Curie' AND note = 'Très bon profil terrain'")
            .await,
        1,
        "the database holds the change with the recruiter's name"
    );
}

/// Signs in from the login page (the browser is sent there from the app's root).
async fn sign_in(client: &Client, base: &str, email: &str, password: &str) {
    client.goto(base).await.unwrap();
    wait_for(client, "form[action='/login']").await;
    type_into(client, "#email", email).await;
    type_into(client, "#password", password).await;
    click_and_load(client, "form[action='/login'] button").await;
    wait_for(client, "table.applications").await;
}

/// An admin disables, from the accounts page, a recruiter whose session is open in another
/// browser (a profile of its own): that browser's next page load lands on the login page.
#[tokio::test]
async fn an_admin_disables_an_account_whose_session_is_open_in_another_browser() {
    let app = WebApp::start(&[crate::synth::application(1, 2_000)]);
    crate::web::add_user(
        &app.env,
        crate::admin::ADMIN,
        crate::admin::ADMIN_NAME,
        "admin",
    );
    let driver = Driver::start();
    let base = format!("http://127.0.0.1:{}", app.port);
    let (admin_profile, recruiter_profile) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Nothing is downloaded here: each profile's own folder serves.
    let admin = browser(&driver, admin_profile.path(), admin_profile.path()).await;
    let recruiter = browser(&driver, recruiter_profile.path(), recruiter_profile.path()).await;

    sign_in(
        &recruiter,
        &base,
        "marie@ong-exemple.org",
        crate::web::PASSWORD,
    )
    .await;
    sign_in(&admin, &base, crate::admin::ADMIN, crate::web::PASSWORD).await;
    click_and_load(&admin, "header a[href='/admin']").await;
    click_and_load(&admin, "a[href='/admin/accounts']").await;
    let marie = "tr[data-email='marie@ong-exemple.org']";
    wait_for(&admin, marie).await;
    let png = admin.screenshot().await.unwrap();
    std::fs::write(screenshots().join("admin-accounts.png"), png).unwrap();
    click_and_load(&admin, &format!("{marie} form[action$='/disable'] button")).await;
    let notice = wait_for(&admin, "p.notice").await;
    assert!(notice.text().await.unwrap().contains("Compte désactivé"));
    let row = wait_for(&admin, marie).await;
    assert!(row.text().await.unwrap().contains("Désactivé"));

    // The recruiter's browser still shows the list; its next load is the login page.
    recruiter.refresh().await.unwrap();
    wait_for(&recruiter, "form[action='/login']").await;
    let url = recruiter.current_url().await.unwrap();
    assert_eq!(url.path(), "/login", "{url}");
    assert_eq!(url.query(), Some("next=/applications"), "{url}");
    recruiter.close().await.unwrap();

    // The audit trail shows it; the health page shows the pass `WebApp::start` made.
    click_and_load(&admin, "a[href='/admin']").await;
    click_and_load(&admin, "a[href='/admin/audit']").await;
    let audit = wait_for(&admin, "table.audit").await.text().await.unwrap();
    assert!(
        audit.contains("Compte désactivé") && audit.contains("marie@ong-exemple.org"),
        "{audit}"
    );
    let png = admin.screenshot().await.unwrap();
    std::fs::write(screenshots().join("admin-audit.png"), png).unwrap();
    click_and_load(&admin, "a[href='/admin']").await;
    click_and_load(&admin, "a[href='/admin/health']").await;
    wait_for(&admin, "section.instance[data-state='stopped']").await;
    let png = admin.screenshot().await.unwrap();
    std::fs::write(screenshots().join("admin-health.png"), png).unwrap();
    admin.close().await.unwrap();

    assert_eq!(
        app.env
            .count("SELECT count(*) FROM admin_audit WHERE action = 'account_disabled' AND actor = 'Alice Admin' AND target = 'marie@ong-exemple.org'")
            .await,
        1,
        "the audit trail holds it"
    );
}

/// Closing a posting from the browser: filter the list to one posting, choose "all of this
/// filter", a rejection and the status `rejected`, check the count on the confirmation page,
/// send, watch the job's page reach the end, and find each application rejected with the
/// answer in its thread; aiosmtpd received one message per application.
#[tokio::test]
async fn a_recruiter_answers_every_candidate_of_a_posting_in_bulk() {
    let messages = example_mail();
    let smtp = crate::smtp::SmtpServer::start();
    let app = WebApp::start_with(
        &messages,
        &format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n",
            smtp.port
        ),
    );
    let expected = app
        .env
        .count("SELECT count(*) FROM applications WHERE posting = 'chef-projet-senegal'")
        .await;
    assert!(
        expected >= 2,
        "the examples hold several Senegal applications"
    );
    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path(), profile.path()).await;
    let base = format!("http://127.0.0.1:{}", app.port);
    sign_in(
        &client,
        &base,
        "marie@ong-exemple.org",
        crate::web::PASSWORD,
    )
    .await;

    client
        .find(Locator::Css("#posting"))
        .await
        .unwrap()
        .select_by_value("chef-projet-senegal")
        .await
        .unwrap();
    click_and_load(&client, "form.filters button[type=submit]").await;
    wait_for(&client, "form#bulk").await;
    click(&client, "#scope-all").await;
    client
        .find(Locator::Css("#bulk-template"))
        .await
        .unwrap()
        .select_by_value("rejection_after_review")
        .await
        .unwrap();
    client
        .find(Locator::Css("#bulk-status"))
        .await
        .unwrap()
        .select_by_value("rejected")
        .await
        .unwrap();
    click_and_load(&client, "#bulk-prepare").await;
    let count = wait_for(&client, "#confirm-count").await;
    assert_eq!(count.text().await.unwrap(), expected.to_string());
    assert!(
        smtp.messages().is_empty(),
        "nothing is sent before the confirmation"
    );
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join("answer-confirm.png"), png).unwrap();
    click_and_load(&client, "#confirm-send").await;

    // The job's page refreshes itself until every answer is out.
    let start = Instant::now();
    loop {
        let sent = wait_for(&client, "#count-sent").await.text().await;
        if sent.is_ok_and(|s| s == expected.to_string()) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the job did not finish"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join("answer-job.png"), png).unwrap();

    // Each application is rejected, with the answer in its thread.
    click_and_load(&client, "table.answers tbody tr:first-child a").await;
    let status = wait_for(&client, ".summary .status").await;
    assert_eq!(status.text().await.unwrap(), "Refusée");
    let thread = wait_for(&client, "ol.thread").await.text().await.unwrap();
    assert!(thread.contains("Votre candidature"), "{thread}");
    // One reply from an application's page: the template, rendered, ready to edit.
    click_and_load(&client, "#reply").await;
    client
        .find(Locator::Css("#template"))
        .await
        .unwrap()
        .select_by_value("missing_document")
        .await
        .unwrap();
    click_and_load(&client, "form.compose-choose button").await;
    let subject = wait_for(&client, "#subject").await;
    assert_eq!(
        subject.prop("value").await.unwrap().as_deref(),
        Some("Votre candidature : Chef·fe de projet au Sénégal – pièce manquante")
    );
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join("answer-compose.png"), png).unwrap();
    client.close().await.unwrap();

    let sent = smtp.messages();
    assert_eq!(sent.len() as i64, expected, "one message per application");
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM applications WHERE posting = 'chef-projet-senegal' AND status = 'rejected' AND reply_status = 'replied'")
            .await,
        expected
    );
}
