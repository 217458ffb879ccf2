//! The recruiters' web app with 50,000 applications: `cargo bench --bench web` (see
//! BENCHMARKS.md). It files generated applications with `applymail import` (an mbox file of
//! `BENCH_APPLICATIONS`, default 50,000; each a CV as text, words from a small vocabulary, so
//! that searches hit thousands of documents), waits for the text index, starts
//! `applymail web`, signs in, and times requests from loopback: the list (default view, one
//! filter, sorted by name), a search for a CV word, and an application page; p50 and p95 of
//! `BENCH_REQUESTS` (default 200) each, and the peak RSS of `web`. On SQLite, and on
//! PostgreSQL too when `BENCH_POSTGRES=postgres://…@127.0.0.1:5432` is set (`BENCH_SQLITE=0`: on
//! PostgreSQL only).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const APPLYMAIL: &str = env!("CARGO_BIN_EXE_applymail");
const ORG: &str = r#"
[organisation]
addresses = ["contact@ong-exemple.org"]
domains = ["ong-exemple.org"]
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice du Partenariat au Maroc"
subject = "Coordination Maroc"
[[postings]]
id = "chef-projet-senegal"
title = "Chef·fe de projet au Sénégal"
subject = "Projet Sénégal"
"#;
const PASSWORD: &str = "bench password 12345";
const WORDS: &[&str] = &[
    "coordination",
    "partenariat",
    "agronomie",
    "hydraulique",
    "assainissement",
    "budget",
    "bailleurs",
    "suivi",
    "évaluation",
    "plaidoyer",
    "logistique",
    "formation",
    "arabe",
    "anglais",
    "wolof",
    "tamazight",
    "terrain",
    "gestion",
    "équipe",
    "rapport",
    "Maroc",
    "Sénégal",
    "Casablanca",
    "Dakar",
    "œuvre",
    "expérience",
    "microfinance",
    "nutrition",
];

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// An mbox of `n` applications, each with a text CV of 120 words.
fn mbox(path: &Path, n: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut seed: u64 = 42;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..n {
        let posting = if i % 5 == 0 {
            "Projet Sénégal"
        } else {
            "Coordination Maroc"
        };
        let words: Vec<&str> = (0..120)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        let cv = format!(
            "Curriculum vitae de Prénom{i} Nom{i}\n{}\n",
            words.join(" ")
        );
        write!(
            out,
            "From candidat{i}@example.com Mon Jul  5 09:00:00 2021\n\
             From: Prénom{i} Nom{i} <candidat{i}@example.com>\n\
             To: contact@ong-exemple.org\n\
             Subject: {posting} – Nom{i} Prénom{i}\n\
             Message-ID: <bench-{i}@example.com>\n\
             Date: Mon, 05 Jul 2021 09:{:02}:{:02} +0000\n\
             MIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain; charset=utf-8\n\nBonjour, voici ma candidature.\n\
             --b\nContent-Type: text/plain; charset=utf-8; name=\"CV.txt\"\n\
             Content-Disposition: attachment; filename=\"CV.txt\"\nContent-Transfer-Encoding: 8bit\n\n{cv}\n\
             --b--\n\n",
            (i / 60) % 60,
            i % 60
        )
        .unwrap();
    }
}

fn applymail(config: &Path) -> Command {
    let mut command = Command::new(APPLYMAIL);
    command.arg("--config").arg(config).env("RUST_LOG", "warn");
    command
}

fn request(port: u16, path: &str, cookie: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let status = String::from_utf8_lossy(&response[9..12])
        .parse()
        .unwrap_or(0);
    (status, started.elapsed())
}

fn login(port: u16) -> String {
    let body = format!(
        "email=bench%40ong-exemple.org&password={}",
        PASSWORD.replace(' ', "+")
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = ((values.len() as f64 - 1.0) * p).round() as usize;
    values[rank]
}

fn peak_rss_mb(child: &Child) -> f64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn measure(label: &str, database_url: &str, n: usize, requests: usize) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("applymail.toml");
    std::fs::create_dir_all(dir.path().join("Maildir/new")).unwrap();
    std::fs::write(
        &config,
        format!(
            "[mailbox]\nkind = \"maildir\"\npath = \"{}\"\n[database]\nurl = \"{database_url}\"\n[storage]\ndir = \"{}\"\n[web]\nlisten = \"127.0.0.1:{port}\"\n{ORG}",
            dir.path().join("Maildir").display(),
            dir.path().join("documents").display()
        ),
    )
    .unwrap();
    let mbox_path = dir.path().join("applications.mbox");
    mbox(&mbox_path, n);
    let started = Instant::now();
    let out = applymail(&config)
        .arg("import")
        .arg(&mbox_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{label}: {n} applications imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut add = applymail(&config)
        .args(["user", "add", "bench@ong-exemple.org", "--name", "Bench"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
    let mut web = applymail(&config)
        .arg("web")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let cookie = login(port);
    // The search needs the text index, which `web` builds in the background: wait for it.
    let word = "hydraulique";
    let indexed = Instant::now();
    let backlog = "SELECT (SELECT count(*) FROM documents WHERE NOT search_indexed) + (SELECT count(*) FROM applications WHERE NOT search_indexed)";
    loop {
        let out = if let Some(path) = database_url.strip_prefix("sqlite://") {
            Command::new("sqlite3").arg(path).arg(backlog).output()
        } else {
            Command::new("psql")
                .args(["-tA", database_url, "-c", backlog])
                .output()
        }
        .expect("sqlite3 or psql");
        let left: i64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(-1);
        if left == 0 {
            break;
        }
        assert!(
            indexed.elapsed() < Duration::from_secs(1800),
            "the index was not built in 30 minutes"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    println!(
        "{label}: text index built in {:.1} s",
        indexed.elapsed().as_secs_f64()
    );
    if !database_url.starts_with("sqlite://") {
        // PostgreSQL plans the pages' queries from the tables' statistics (how many texts hold
        // a word), which the indexer gathers once it is up to date (autovacuum is off on some
        // servers, this one included): wait for them, rather than time plans made blind.
        let analyzed = Instant::now();
        let query = "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('search_entries', 'documents', 'document_texts', 'applications') AND n_mod_since_analyze < 1000";
        loop {
            let out = Command::new("psql")
                .args(["-tA", database_url, "-c", query])
                .output()
                .expect("psql");
            if String::from_utf8_lossy(&out.stdout).trim() == "4" {
                break;
            }
            assert!(
                analyzed.elapsed() < Duration::from_secs(600),
                "nobody analyzed the tables in 10 minutes"
            );
            std::thread::sleep(Duration::from_secs(2));
        }
        println!(
            "{label}: the tables' statistics were there {:.0} s later",
            analyzed.elapsed().as_secs_f64()
        );
    }
    let search = format!("/applications?q={word}");
    let scenarios = [
        ("list, default view", "/applications".to_owned()),
        (
            "list, one filter (status)",
            "/applications?status=received&page=3".to_owned(),
        ),
        ("list, sorted by name", "/applications?sort=name".to_owned()),
        ("search for a CV word", search),
        ("application page", format!("/applications/{}", n / 2)),
    ];
    println!("\n| {label} | p50 ms | p95 ms |\n|---|---|---|");
    for (name, path) in &scenarios {
        let mut times = Vec::with_capacity(requests);
        for _ in 0..requests {
            let (status, took) = request(port, path, &cookie);
            assert_eq!(status, 200, "{path}");
            times.push(took.as_secs_f64() * 1000.0);
        }
        println!(
            "| {name} | {:.1} | {:.1} |",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.95)
        );
    }
    println!(
        "\npeak RSS of `applymail web`: {:.0} MB\n",
        peak_rss_mb(&web)
    );
    let _ = web.kill();
    let _ = web.wait();
}

fn main() {
    let n = setting("BENCH_APPLICATIONS", 50_000);
    let requests = setting("BENCH_REQUESTS", 200);
    let dir = tempfile::tempdir().unwrap();
    println!("# applymail web benchmark: {n} applications, {requests} requests per view\n");
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
        measure(
            "SQLite",
            &format!("sqlite://{}/bench.db", dir.path().display()),
            n,
            requests,
        );
    }
    if let Ok(server) = std::env::var("BENCH_POSTGRES") {
        let name = format!("applymail_bench_{}", std::process::id());
        let admin = format!("{}/postgres", server.trim_end_matches('/'));
        let ok = Command::new("psql")
            .args([&admin, "-c", &format!("CREATE DATABASE {name}")])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "psql can create a database on {server}");
        measure(
            "PostgreSQL",
            &format!("{}/{name}", server.trim_end_matches('/')),
            n,
            requests,
        );
        let _ = Command::new("psql")
            .args([&admin, "-c", &format!("DROP DATABASE {name}")])
            .stdout(Stdio::null())
            .status();
    }
}
