//! The recruiters' web app over HTTP, as a browser or an attacker would use it: the route
//! table's guards, sessions, throttling, cross-site requests, escaping and the documents'
//! headers. On SQLite and on PostgreSQL (APPLYMAIL_TEST_POSTGRES).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use applymail::web::routes::{Access, table};

use crate::dovecot::free_port;
use crate::helpers::{Daemon, TestEnv};
use crate::synth;

pub const PASSWORD: &str = "correct horse battery";

pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    /// The session cookie a login set.
    pub fn session(&self) -> Option<String> {
        let set = self.headers.get("set-cookie")?;
        let pair = set.split(';').next()?;
        pair.starts_with("applymail_session=")
            .then(|| pair.to_owned())
    }
}

/// One HTTP/1.1 request on a fresh connection.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the web app listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut headers = HashMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
        }
    }
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A test installation with the web app running: applications filed, an account made.
pub struct WebApp {
    pub env: TestEnv,
    pub port: u16,
    _server: Daemon,
}

impl WebApp {
    pub fn start(messages: &[Vec<u8>]) -> WebApp {
        Self::start_with(messages, "")
    }

    /// The same, with more config sections (`extra`, before `[web]`).
    pub fn start_with(messages: &[Vec<u8>], extra: &str) -> WebApp {
        let port = free_port();
        let env = TestEnv::with_extra(&format!("{extra}\n[web]\nlisten = \"127.0.0.1:{port}\"\n"));
        for (i, raw) in messages.iter().enumerate() {
            env.deliver("Maildir", &format!("{i}.M{i}.test"), raw);
        }
        env.run(&["run", "--once"]);
        add_user(&env, "marie@ong-exemple.org", "Marie Curie", "recruiter");
        let server = env
            .command()
            .arg("web")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Daemon)
            .unwrap();
        wait_listening(port);
        WebApp {
            env,
            port,
            _server: server,
        }
    }

    pub fn get(&self, path: &str, cookie: &str) -> Response {
        request(self.port, "GET", path, &[("Cookie", cookie)], "")
    }

    pub fn login(&self, email: &str, password: &str) -> Response {
        request(
            self.port,
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &format!("http://127.0.0.1:{}", self.port)),
            ],
            &form(&[("email", email), ("password", password)]),
        )
    }

    pub fn session(&self) -> String {
        let response = self.login("marie@ong-exemple.org", PASSWORD);
        assert_eq!(response.status, 303, "{}", response.text());
        response.session().expect("a session cookie")
    }

    pub fn post(&self, path: &str, cookie: &str, body: &str, origin: Option<&str>) -> Response {
        let mut headers = vec![
            ("Cookie", cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        if let Some(origin) = origin {
            headers.push(("Origin", origin));
        }
        request(self.port, "POST", path, &headers, body)
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Waits until the web app listens on `port` (30 s at most).
pub fn wait_listening(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the web app did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn add_user(env: &TestEnv, email: &str, name: &str, role: &str) {
    let mut child = env
        .command()
        .args(["user", "add", email, "--name", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Walks the route table: a stranger gets 401 (or, for a browser's GET, the login page) on
/// every route but the public ones, with the route's own method.
#[tokio::test]
async fn every_guarded_route_refuses_a_stranger() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    let routes = table();
    assert!(routes.iter().any(|r| r.access != Access::Public));
    for route in &routes {
        let path = route
            .path
            .replace("{id}", "1")
            .replace("{*file}", "app.css");
        let method = route.method.as_str();
        let plain = request(app.port, method, &path, &[], "");
        if route.access == Access::Public {
            assert_ne!(plain.status, 401, "{method} {path} is public");
            continue;
        }
        assert_eq!(plain.status, 401, "{method} {path} without a session");
        let forged = request(
            app.port,
            method,
            &path,
            &[("Cookie", "applymail_session=forged")],
            "",
        );
        assert_eq!(forged.status, 401, "{method} {path} with a made-up session");
        if method == "GET" {
            let browser = request(app.port, method, &path, &[("Accept", "text/html")], "");
            assert_eq!(browser.status, 303, "{method} {path} from a browser");
            assert!(
                browser.header("location").starts_with("/login?next="),
                "{path}"
            );
        }
    }
}

/// Walks the route table: every route that changes something refuses a request another site
/// made, even with an admin's live session, whatever its form holds; nothing changes.
#[tokio::test]
async fn every_state_changing_route_refuses_another_site() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    add_user(&app.env, "admin@ong-exemple.org", "Ada Admin", "admin");
    let cookie = app
        .login("admin@ong-exemple.org", PASSWORD)
        .session()
        .expect("the admin signs in");
    const STATE: &str =
        "SELECT (SELECT count(*) FROM status_history) + (SELECT count(*) FROM application_notes)
        + (SELECT count(*) FROM application_ratings) + (SELECT count(*) FROM web_users)
        + (SELECT count(*) FROM admin_audit) + (SELECT count(*) FROM candidates)
        + (SELECT count(*) FROM duplicate_decisions) + (SELECT count(*) FROM web_sessions)";
    let before = app.env.count(STATE).await;
    let body = form(&[
        ("status", "rejected"),
        ("body", "x"),
        ("stars", "5"),
        ("language", "en"),
        ("email", "candidat1@example.com"),
        ("confirm", "candidat1@example.com"),
    ]);
    let changing: Vec<_> = table()
        .into_iter()
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .collect();
    assert!(changing.len() >= 10, "the table's POST routes are walked");
    for route in &changing {
        let path = route.path.replace("{id}", "1");
        let method = route.method.as_str();
        for cross_site in [
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ] {
            let refused = request(
                app.port,
                method,
                &path,
                &[
                    ("Cookie", &cookie),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    cross_site,
                ],
                &body,
            );
            assert_eq!(refused.status, 403, "{method} {path} with {cross_site:?}");
        }
    }
    assert_eq!(app.env.count(STATE).await, before, "nothing changed");
}

#[tokio::test]
async fn a_session_starts_at_login_serves_the_pages_and_ends_at_logout() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    assert_eq!(app.get("/", "").header("location"), "/login");
    let login = app.login("marie@ong-exemple.org", PASSWORD);
    assert_eq!(login.status, 303);
    let set_cookie = login.header("set-cookie");
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP without secure_cookies: {set_cookie}"
    );
    let cookie = login.session().unwrap();
    assert_eq!(app.get("/", &cookie).header("location"), "/applications");

    let list = app.get("/applications", &cookie);
    assert_eq!(list.status, 200);
    assert!(
        list.text().contains("Prenom00001 Nom00001"),
        "{}",
        list.text()
    );
    let csp = list.header("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(list.header("referrer-policy"), "same-origin");
    assert_eq!(list.header("x-content-type-options"), "nosniff");

    let page = app.get("/applications/1", &cookie);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("candidat1@example.com"));

    // A second login gets a new token; the first one still works until its logout.
    let second = app.session();
    assert_ne!(second, cookie);
    let out = app.post("/logout", &cookie, "", Some(&app.origin()));
    assert_eq!(out.status, 303);
    assert_eq!(
        app.get("/applications", &cookie).status,
        401,
        "the session ended"
    );
    assert_eq!(app.get("/applications", &second).status, 200);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_look_the_same_and_are_throttled() {
    let app = WebApp::start(&[]);
    let wrong = app.login("marie@ong-exemple.org", "not the password");
    let unknown = app.login("nobody@ong-exemple.org", "not the password");
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let strip = |r: &Response| r.text().replace("marie@", "").replace("nobody@", "");
    assert_eq!(strip(&wrong), strip(&unknown), "the same answer");
    for _ in 0..4 {
        assert_eq!(
            app.login("marie@ong-exemple.org", "still wrong").status,
            401
        );
    }
    let throttled = app.login("marie@ong-exemple.org", PASSWORD);
    assert_eq!(
        throttled.status, 401,
        "five failures: the right password waits too"
    );
    assert!(throttled.text().contains("Trop de tentatives"));
    assert!(throttled.session().is_none());
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_cannot_sign_in() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    let cookie = app.session();
    assert_eq!(app.get("/applications", &cookie).status, 200);
    app.env.run(&["user", "disable", "marie@ong-exemple.org"]);
    assert_eq!(app.get("/applications", &cookie).status, 401);
    assert_eq!(app.login("marie@ong-exemple.org", PASSWORD).status, 401);
    let list = app.env.run(&["user", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout)
            .contains("marie@ong-exemple.org\trecruiter\tdisabled")
    );
}

#[tokio::test]
async fn a_status_change_needs_this_origin_and_is_kept_with_the_users_name() {
    let app = WebApp::start(&[synth::application(1, 2_000)]);
    let cookie = app.session();
    let body = form(&[("status", "shortlisted"), ("note", "Profil solide")]);
    let forged = app.post(
        "/applications/1/status",
        &cookie,
        &body,
        Some("http://evil.example"),
    );
    assert_eq!(forged.status, 403);
    let cross = request(
        app.port,
        "POST",
        "/applications/1/status",
        &[
            ("Cookie", &cookie),
            ("Sec-Fetch-Site", "cross-site"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &body,
    );
    assert_eq!(cross.status, 403);
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM status_history WHERE status = 'shortlisted'")
            .await,
        0,
        "nothing changed"
    );
    let done = app.post(
        "/applications/1/status",
        &cookie,
        &body,
        Some(&app.origin()),
    );
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM status_history WHERE status = 'shortlisted' AND actor = 'Marie Curie' AND note = 'Profil solide'")
            .await,
        1
    );
    // Reopening a closed application asks for a confirmation.
    let reject = form(&[("status", "rejected")]);
    assert_eq!(
        app.post(
            "/applications/1/status",
            &cookie,
            &reject,
            Some(&app.origin())
        )
        .status,
        303
    );
    let reopen = form(&[("status", "screening")]);
    let refused = app.post(
        "/applications/1/status",
        &cookie,
        &reopen,
        Some(&app.origin()),
    );
    assert_eq!(refused.status, 409);
    assert!(refused.text().contains("Cochez la confirmation"));
    let confirmed = form(&[("status", "screening"), ("reopen", "1")]);
    assert_eq!(
        app.post(
            "/applications/1/status",
            &cookie,
            &confirmed,
            Some(&app.origin())
        )
        .status,
        303
    );
    assert_eq!(
        app.env
            .count("SELECT count(*) FROM applications WHERE status = 'screening'")
            .await,
        1
    );
}

/// A candidate's name, subject and file names are data in the page, never markup; a
/// document is served with the type its bytes have and a header that cannot be broken.
fn hostile_application() -> Vec<u8> {
    let name = "=?UTF-8?B?PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==?="; // <script>alert(1)</script>
    format!(
        "From: {name} <evil@example.com>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – \"onmouseover=alert(2) \u{202e}Dupont\r\n\
         Message-ID: <evil@example.com>\r\n\
         Date: Mon, 05 Jul 2021 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n\
         --b\r\nContent-Type: text/html; name=\"cv.pdf\"\r\nContent-Disposition: attachment; filename=\"CV \\\"onmouseover=alert(3).pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n\
         --b\r\nContent-Type: application/pdf; name=\"lettre.html\"\r\nContent-Disposition: attachment; filename=\"lettre<script>.html\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{html}\r\n\
         --b--\r\n",
        pdf = synth::base64(&synth::cv_of(7, 2_000)),
        html = synth::base64(b"<html><body><script>alert(4)</script>Lettre de motivation</body></html>"),
    )
    .into_bytes()
}

#[tokio::test]
async fn sender_text_is_escaped_and_documents_are_served_inert() {
    // The second candidate is named only by the From display name.
    let named_by_from = format!(
        "From: =?UTF-8?B?PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==?= <other@example.com>\r\n\
         To: contact@ong-exemple.org\r\nSubject: Coordination Maroc\r\nMessage-ID: <other@example.com>\r\n\
         Date: Mon, 05 Jul 2021 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, ma candidature.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"CV.pdf\"\r\nContent-Disposition: attachment; filename=\"CV.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b--\r\n",
        synth::base64(&synth::cv_of(8, 2_000))
    )
    .into_bytes();
    let app = WebApp::start(&[hostile_application(), named_by_from]);
    let cookie = app.session();
    for path in ["/applications", "/applications/1", "/applications/2"] {
        let page = app.get(path, &cookie).text();
        assert!(!page.contains("<script>alert"), "{path}: {page}");
        assert!(!page.contains("<script>.html"), "{path}");
        assert!(!page.contains("\"onmouseover"), "{path}");
    }
    // Names are cleaned of markup when filed; a file name keeps it, and shows it as text.
    let page = app.get("/applications/1", &cookie).text();
    assert!(
        page.contains("lettre&lt;script&gt;.html") || page.contains("lettre&#60;script&#62;.html"),
        "the file name is shown, escaped: {page}"
    );
    let documents = app.env.export()[0]["documents"].as_array().unwrap().clone();
    assert!(documents.len() >= 2, "{documents:?}");
    for id in 1..=documents.len() {
        let doc = app.get(&format!("/documents/{id}"), &cookie);
        assert_eq!(doc.status, 200);
        let kind = doc.header("content-type");
        assert!(
            kind == "application/pdf" || kind == "application/octet-stream",
            "{kind}"
        );
        assert_eq!(doc.header("x-content-type-options"), "nosniff");
        assert_eq!(doc.header("cache-control"), "private, no-store");
        assert!(doc.header("content-security-policy").contains("sandbox"));
        let disposition = doc.header("content-disposition");
        assert!(
            disposition.starts_with("attachment; filename=\""),
            "{disposition}"
        );
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        assert!(
            !disposition.contains("\"onmouseover") && !disposition.contains('<'),
            "{disposition}"
        );
        if doc.text().contains("<script>") {
            assert_eq!(
                kind, "application/octet-stream",
                "an HTML letter is never HTML"
            );
        }
    }
}
