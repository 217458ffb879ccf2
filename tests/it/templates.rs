//! Reply templates (issue 27) and the one `[smtp]` section: the acknowledgement's template is
//! seeded from the config once and never over an admin's edit; the admin's page refuses an
//! unknown placeholder (422, named, nothing saved), previews on a real application, audits
//! every save and refuses a recruiter; the acknowledgement that goes out is the edited
//! template; `[smtp]` alone sends, wins over `[acknowledgement.smtp]`, and a bad key in it is
//! named. On SQLite and on PostgreSQL (APPLYMAIL_TEST_POSTGRES).

use mail_parser::MessageParser;

use crate::admin::{ADMIN, ADMIN_NAME};
use crate::helpers::{TestEnv, str_field};
use crate::smtp::SmtpServer;
use crate::web::{PASSWORD, Response, WebApp, add_user, form};

/// A fresh application (dated now, so that it is acknowledged).
fn application(i: usize, from: &str) -> Vec<u8> {
    let date = chrono::Utc::now().to_rfc2822();
    format!(
        "From: Amina El Mansouri <{from}>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – EL MANSOURI Amina\r\n\
         Message-ID: <tpl-{i}@example.com>\r\n\
         Date: {date}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma candidature.\r\n\
         --b\r\nContent-Type: text/plain; name=\"CV.txt\"\r\nContent-Disposition: attachment; filename=\"CV.txt\"\r\n\r\nCurriculum vitae {i}\r\n\
         --b--\r\n"
    )
    .into_bytes()
}

/// The app with the admin Alice signed in.
fn admin_app(messages: &[Vec<u8>], extra: &str) -> (WebApp, String) {
    let app = WebApp::start_with(messages, extra);
    add_user(&app.env, ADMIN, ADMIN_NAME, "admin");
    let login = app.login(ADMIN, PASSWORD);
    assert_eq!(login.status, 303, "{}", login.text());
    (app, login.session().expect("the admin signs in"))
}

fn post(app: &WebApp, cookie: &str, pairs: &[(&str, &str)]) -> Response {
    app.post(
        "/admin/templates",
        cookie,
        &form(pairs),
        Some(&app.origin()),
    )
}

/// (subject, body, origin) of a stored template.
async fn stored(env: &TestEnv, name: &str) -> (String, String, String) {
    let pool = env.db().await;
    let row = sqlx::query_as("SELECT subject, body, origin FROM reply_templates WHERE name = $1")
        .bind(name)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    row
}

async fn audit_lines(env: &TestEnv) -> Vec<(String, String, String)> {
    let pool = env.db().await;
    let lines = sqlx::query_as("SELECT action, actor, target FROM admin_audit ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    lines
}

/// A page's text with askama's escapes of quotes undone.
fn unescaped(response: &Response) -> String {
    response.text().replace("&#39;", "'").replace("&#34;", "\"")
}

/// The seeding takes the config's text once; an admin's edit then survives a changed config
/// and is what the next acknowledgement says; the save is audited.
#[tokio::test]
async fn templates_seed_from_config_once_and_the_edited_acknowledgement_goes_out() {
    let smtp = SmtpServer::start();
    let config = smtp.config(
        "subject = \"Candidature reçue : {posting}\"\nbody = \"Bonjour {first_name},\\nmerci.\\n{organisation}\\n\"",
    );
    let (app, admin) = admin_app(&[], &config);
    let (subject, body, origin) = stored(&app.env, "acknowledgement").await;
    assert_eq!(
        (subject.as_str(), body.as_str(), origin.as_str()),
        (
            "Candidature reçue : {posting}",
            "Bonjour {first_name},\nmerci.\n{organisation}\n",
            "config"
        )
    );
    let (_, rejection, origin) = stored(&app.env, "rejection_after_review").await;
    assert_eq!(origin, "default");
    assert!(
        rejection.starts_with("Bonjour {first_name} {last_name},"),
        "{rejection}"
    );
    let page = app.get("/admin/templates?edit=acknowledgement", &admin);
    assert_eq!(page.status, 200);
    assert!(unescaped(&page).contains("Candidature reçue : {posting}"));

    let saved = post(
        &app,
        &admin,
        &[
            ("name", "acknowledgement"),
            ("subject", "Bien reçu, {first_name} : {posting}"),
            (
                "body",
                "Bonjour {first_name} {last_name},\r\nVotre dossier est arrivé.\r\n{organisation}\r\n",
            ),
            ("intent", "save"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.text());
    assert_eq!(
        audit_lines(&app.env).await,
        [(
            "template_saved".to_owned(),
            ADMIN_NAME.to_owned(),
            "acknowledgement".to_owned()
        )]
    );
    // A later config text does not replace the admin's.
    let text = std::fs::read_to_string(&app.env.config).unwrap();
    std::fs::write(
        &app.env.config,
        text.replace("Candidature reçue", "Autre texte"),
    )
    .unwrap();
    app.env
        .deliver("Maildir", "1.M1.test", &application(1, "amina@example.com"));
    // The daemon's pass, its own web listener on a free port (the app holds the configured).
    let pass = app
        .env
        .command()
        .args(["run", "--once"])
        .env("APPLYMAIL_WEB__LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(
        pass.status.success(),
        "{}",
        String::from_utf8_lossy(&pass.stderr)
    );
    let (subject, body, origin) = stored(&app.env, "acknowledgement").await;
    assert_eq!(origin, "admin");
    assert_eq!(subject, "Bien reçu, {first_name} : {posting}");
    assert_eq!(
        body,
        "Bonjour {first_name} {last_name},\nVotre dossier est arrivé.\n{organisation}\n"
    );

    let sent = smtp.messages();
    assert_eq!(sent.len(), 1, "one acknowledgement");
    let message = MessageParser::default().parse(sent[0].as_bytes()).unwrap();
    assert_eq!(
        message.subject(),
        Some("Bien reçu, Amina : Coordinateur·rice du Partenariat au Maroc")
    );
    let text = message.body_text(0).unwrap();
    assert!(text.starts_with("Bonjour Amina El Mansouri,"), "{text}");
    assert!(text.contains("Votre dossier est arrivé."), "{text}");
    assert!(text.trim_end().ends_with("ONG Exemple"), "{text}");
}

/// An unknown placeholder: 422, the placeholder named on the page, nothing saved, nothing
/// audited. A recruiter gets 403 on the page and on the save.
#[tokio::test]
async fn templates_refuse_an_unknown_placeholder_and_a_recruiter() {
    let (app, admin) = admin_app(&[], "");
    let before = stored(&app.env, "missing_document").await;
    let refused = post(
        &app,
        &admin,
        &[
            ("name", "missing_document"),
            ("subject", "Pièce manquante"),
            (
                "body",
                "Bonjour {prenom}, il manque {missing}.\n{organisation}",
            ),
            ("intent", "save"),
        ],
    );
    assert_eq!(refused.status, 422, "{}", refused.text());
    let page = unescaped(&refused);
    assert!(page.contains("variable inconnue {prenom}"), "{page}");
    assert!(
        page.contains("Bonjour {prenom}, il manque"),
        "the draft is kept: {page}"
    );
    let in_subject = post(
        &app,
        &admin,
        &[
            ("name", "missing_document"),
            ("subject", "Pièce {manquante}"),
            ("body", "ok"),
            ("intent", "preview"),
        ],
    );
    assert_eq!(in_subject.status, 422);
    assert!(unescaped(&in_subject).contains("Dans l'objet : variable inconnue {manquante}"));
    assert_eq!(
        stored(&app.env, "missing_document").await,
        before,
        "nothing saved"
    );
    assert!(audit_lines(&app.env).await.is_empty(), "nothing audited");

    let recruiter = app.session();
    assert_eq!(app.get("/admin/templates", &recruiter).status, 403);
    let denied = post(
        &app,
        &recruiter,
        &[
            ("name", "missing_document"),
            ("subject", "x"),
            ("body", "y"),
            ("intent", "save"),
        ],
    );
    assert_eq!(denied.status, 403);
    assert_eq!(stored(&app.env, "missing_document").await, before);
    assert_eq!(app.get("/admin/templates", &admin).status, 200);
}

/// The preview renders a real application's names and posting, escaped, from the saved text
/// (GET) and from a draft (POST, nothing saved).
#[tokio::test]
async fn templates_preview_on_a_real_application() {
    let hostile = "From: =?utf-8?q?Jos=C3=A9_<b>?= <jose@example.com>\r\nTo: contact@ong-exemple.org\r\nSubject: Coordination Maroc – DURAND <i>Jose</i>\r\nMessage-ID: <h-1@example.com>\r\nDate: Mon, 05 Jul 2021 09:00:00 +0000\r\n\r\nBonjour, ma candidature.\r\n";
    let (app, admin) = admin_app(
        &[
            crate::synth::application(1, 2_000),
            hostile.as_bytes().to_vec(),
        ],
        "",
    );
    let export = app.env.export();
    let first = export
        .iter()
        .find(|a| a["email"] == "candidat1@example.com")
        .unwrap();
    let id = first["id"]
        .as_i64()
        .map(|i| i.to_string())
        .unwrap_or_else(|| str_field(first, "id").to_owned());
    let page = app.get(
        &format!("/admin/templates?edit=rejection_after_review&application={id}"),
        &admin,
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let text = unescaped(&page);
    let preview = &text[text.find("id=\"template-preview\"").expect("a preview")..];
    assert!(
        preview.contains(&format!(
            "Bonjour {} {},",
            str_field(first, "first_name"),
            str_field(first, "last_name")
        )),
        "{preview}"
    );
    assert!(preview.contains("« Coordinateur·rice du Partenariat au Maroc »"));

    let before = stored(&app.env, "interview_invitation").await;
    let draft = post(
        &app,
        &admin,
        &[
            ("name", "interview_invitation"),
            ("subject", "Entretien {last_name}"),
            (
                "body",
                "Cher·e {first_name}, le {interview_date} ({missing}).",
            ),
            ("application", &id),
            ("intent", "preview"),
        ],
    );
    assert_eq!(draft.status, 200, "{}", draft.text());
    let text = unescaped(&draft);
    assert!(
        text.contains(&format!("Entretien {}", str_field(first, "last_name"))),
        "{text}"
    );
    assert!(text.contains(&format!(
        "Cher·e {}, le [date de l'entretien] (",
        str_field(first, "first_name")
    )));
    assert_eq!(
        stored(&app.env, "interview_invitation").await,
        before,
        "a preview saves nothing"
    );

    // A name with markup is shown as text.
    let other = export
        .iter()
        .find(|a| a["email"] == "jose@example.com")
        .unwrap();
    let other_id = other["id"]
        .as_i64()
        .map(|i| i.to_string())
        .unwrap_or_else(|| str_field(other, "id").to_owned());
    let page = app.get(
        &format!("/admin/templates?edit=acknowledgement&application={other_id}"),
        &admin,
    );
    assert_eq!(page.status, 200);
    assert!(
        !page.text().contains("<i>Jose</i>") && !page.text().contains("<b>"),
        "{}",
        page.text()
    );
    let missing = app.get(
        "/admin/templates?edit=acknowledgement&application=999999",
        &admin,
    );
    assert_eq!(missing.status, 200);
    assert!(unescaped(&missing).contains("Aucune candidature ne porte ce numéro"));
}

fn smtp_section(name: &str, port: u16) -> String {
    format!("[{name}]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n")
}

const ACK_ON: &str = "[acknowledgement]\nenabled = true\nfrom = \"contact@ong-exemple.org\"\nfrom_name = \"ONG Exemple\"\n";

/// `[smtp]` alone: a valid config with acknowledgements off, and the server they use when
/// on. With both sections, `[smtp]` wins: nothing goes to `[acknowledgement.smtp]`.
#[tokio::test]
async fn templates_smtp_section_alone_and_winning_over_the_acknowledgements() {
    let smtp = SmtpServer::start();
    let off = TestEnv::with_extra(&smtp_section("smtp", smtp.port));
    let check = off.run(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let alone = TestEnv::with_extra(&format!("{}\n{ACK_ON}", smtp_section("smtp", smtp.port)));
    alone.deliver("Maildir", "1.M1.test", &application(1, "amina@example.com"));
    alone.run(&["run", "--once"]);
    assert_eq!(smtp.messages().len(), 1, "sent through [smtp]");

    let dead = SmtpServer::reserve();
    let both = TestEnv::with_extra(&format!(
        "{}\n{ACK_ON}\n{}",
        smtp_section("smtp", smtp.port),
        smtp_section("acknowledgement.smtp", dead.port)
    ));
    both.deliver(
        "Maildir",
        "1.M1.test",
        &application(2, "yasmine@example.com"),
    );
    both.run(&["run", "--once"]);
    let sent = smtp.messages();
    assert_eq!(sent.len(), 2, "[smtp] wins over [acknowledgement.smtp]");
    assert!(sent[1].contains("X-Envelope-To: yasmine@example.com"));
}

/// A mistake in `[smtp]` names its key, as every config error does.
#[test]
fn templates_a_bad_smtp_key_is_named() {
    for (section, named) in [
        ("[smtp]\nhots = \"127.0.0.1\"\n", "hots"),
        (
            "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"plain\"\n",
            "smtp.security",
        ),
        (
            "[smtp]\nhost = \"smtp.example.org\"\nusername = \"u\"\n",
            "smtp.username",
        ),
    ] {
        let env = TestEnv::with_extra(section);
        let out = env.command().arg("check").output().unwrap();
        assert!(!out.status.success(), "{section}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{section}: {stderr}");
    }
}
