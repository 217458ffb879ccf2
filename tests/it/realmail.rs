//! Issue 28: what real clients and servers send. Reply-To, names damaged by servers, short
//! letters and the closed pipe, end to end through the `applymail` executable.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::dovecot::Dovecot;
use crate::helpers::{TestEnv, str_field};
use crate::imap_relay::FaultyRelay;
use crate::synth;

/// Mail and documents made by real clients and producers, with the commands that made them
/// (its README).
fn realmail() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/realmail")
}

/// Candidate 1's application with a Reply-To header (a work address).
fn application_with_reply_to(reply_to: &str) -> Vec<u8> {
    let raw = String::from_utf8(synth::application(1, 2_000)).unwrap();
    raw.replacen(
        "To: contact@ong-exemple.org\r\n",
        &format!("To: contact@ong-exemple.org\r\nReply-To: {reply_to}\r\n"),
        1,
    )
    .into_bytes()
}

/// An answer written afresh (no In-Reply-To, no References) to `to`.
fn fresh_answer(to: &str) -> Vec<u8> {
    format!(
        "From: contact@ong-exemple.org\r\nTo: {to}\r\nSubject: Votre candidature\r\n\
         Message-ID: <fresh-1@ong-exemple.org>\r\nDate: Tue, 06 Jul 2021 10:00:00 +0000\r\n\r\n\
         Bonjour, pouvez-vous venir mardi ?\r\n"
    )
    .into_bytes()
}

fn import_with_sent(env: &TestEnv, inbox: &str, sent: &str) {
    let out = env.run(&[
        "import",
        env.path(inbox).to_str().unwrap(),
        "--sent",
        env.path(sent).to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_answer_to_the_candidates_reply_to_address_is_a_reply() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("app.eml"),
        application_with_reply_to("Candidat Un <c.un@travail.example.net>"),
    )
    .unwrap();
    std::fs::write(
        env.path("sent.eml"),
        fresh_answer("c.un@travail.example.net"),
    )
    .unwrap();
    import_with_sent(&env, "app.eml", "sent.eml");
    let export = env.export();
    assert_eq!(export.len(), 1, "{export:?}");
    assert_eq!(str_field(&export[0], "email"), "candidat1@example.com");
    assert_eq!(str_field(&export[0], "reply_status"), "replied");
}

#[test]
fn an_answer_to_someone_else_is_not_a_reply() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("app.eml"),
        application_with_reply_to("c.un@travail.example.net"),
    )
    .unwrap();
    std::fs::write(env.path("sent.eml"), fresh_answer("autre@example.net")).unwrap();
    import_with_sent(&env, "app.eml", "sent.eml");
    assert_eq!(str_field(&env.export()[0], "reply_status"), "unreplied");
}

/// `applymail list | head`: the reader goes away before the output is written. Like grep
/// and rg, applymail ends quietly with success instead of "Broken pipe (os error 32)".
#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let env = TestEnv::new();
    std::fs::write(env.path("app.eml"), synth::application(1, 2_000)).unwrap();
    env.run(&["import", env.path("app.eml").to_str().unwrap()]);
    let id = str_field(&env.export()[0], "id").to_owned();
    for args in [
        vec!["list"],
        vec!["list", "--format", "json"],
        vec!["list", "--format", "csv"],
        vec!["export", "--format", "json"],
        vec!["export", "--format", "csv"],
        vec!["show", &id],
        vec!["status", &id, "screening"],
        vec!["quarantine", "list"],
        vec!["check"],
    ] {
        let mut child = env
            .command()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before applymail has opened its database, so its first write meets EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {}: {stderr}", out.status);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// At the default log level, a command prints its output and nothing else: on PostgreSQL
/// the migrator's `relation "_sqlx_migrations" already exists, skipping` NOTICE once came
/// before every list.
#[test]
fn a_second_command_prints_no_migration_notice_on_postgres() {
    let env = TestEnv::on_postgres();
    env.run(&["list"]);
    let out = env
        .command()
        .env_remove("RUST_LOG")
        .arg("list")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("_sqlx_migrations"), "{stderr}");
    assert!(!stderr.contains("already exists"), "{stderr}");
}

/// A colleague's inline forward, as Outlook (FR, EN), Gmail, Thunderbird, Apple Mail and
/// mutt write it: filed under the original sender, with the forward's attachment, the
/// letter in the forwarded text, and the flag `forwarded_inline`.
#[test]
fn inline_forwards_are_filed_under_the_original_sender() {
    let dir = realmail();
    for client in [
        "outlook-fr",
        "outlook-en",
        "gmail",
        "thunderbird-fr",
        "apple-mail",
        "mutt",
    ] {
        let env = TestEnv::new();
        let file = dir.join(format!("forward-{client}.eml"));
        env.run(&["import", file.to_str().unwrap()]);
        let export = env.export();
        assert_eq!(export.len(), 1, "{client}: {export:?}");
        let a = &export[0];
        assert_eq!(
            str_field(a, "email"),
            "leila.bennani@example.com",
            "{client}"
        );
        assert_eq!(
            (str_field(a, "last_name"), str_field(a, "first_name")),
            ("Bennani", "Leïla"),
            "{client}"
        );
        let flags: Vec<&str> = a["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert!(flags.contains(&"forwarded_inline"), "{client}: {flags:?}");
        assert!(!flags.contains(&"missing_cv"), "{client}: {flags:?}");
        assert!(!flags.contains(&"missing_letter"), "{client}: {flags:?}");
    }
}

/// The candidate's own message, not forwarded, carries no such flag.
#[test]
fn a_direct_application_is_not_flagged_as_forwarded() {
    let env = TestEnv::new();
    let file = realmail().join("original-bennani.eml");
    env.run(&["import", file.to_str().unwrap()]);
    let export = env.export();
    assert_eq!(str_field(&export[0], "email"), "leila.bennani@example.com");
    assert!(
        !export[0]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "forwarded_inline")
    );
}

/// One candidate's mail with one nameless PDF attached.
fn nameless_pdf_application(i: usize, pdf: &[u8]) -> Vec<u8> {
    format!(
        "From: Candidate {i} <candidate{i}@example.com>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – Alaoui Mrani Salma\r\n\
         Message-ID: <pdf-{i}@example.com>\r\n\
         Date: Mon, 05 Jul 2021 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n\
         --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"scan0001.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        synth::base64(pdf)
    )
    .into_bytes()
}

/// Nameless CVs and letters as Ghostscript (ps2pdf), groff and reportlab write them
/// (tests/fixtures/realmail/pdf/make.sh): each is classified by its text. pdf-extract alone
/// read only the first line of the ps2pdf ones, and filed them as `other`.
#[test]
fn nameless_pdfs_from_common_producers_are_classified() {
    let dir = realmail().join("pdf");
    let env = TestEnv::new();
    let mut expected = Vec::new();
    for producer in ["ps2pdf", "groff", "reportlab", "chromium", "libreoffice"] {
        for kind in ["cv", "letter"] {
            let i = expected.len();
            let pdf = std::fs::read(dir.join(format!("{kind}-{producer}.pdf"))).unwrap();
            let name = format!("{kind}-{producer}.eml");
            std::fs::write(env.path(&name), nameless_pdf_application(i, &pdf)).unwrap();
            env.run(&["import", env.path(&name).to_str().unwrap()]);
            expected.push((format!("candidate{i}@example.com"), kind, producer));
        }
    }
    let export = env.export();
    for (email, kind, producer) in expected {
        let application = export
            .iter()
            .find(|a| str_field(a, "email") == email)
            .unwrap_or_else(|| panic!("{email}: {export:?}"));
        let documents = application["documents"].as_array().unwrap();
        assert_eq!(documents.len(), 1, "{producer}");
        assert_eq!(
            str_field(&documents[0], "kind"),
            kind,
            "{kind} made by {producer}"
        );
    }
}

/// Without `pdftotext`, PDFs are still read (by pdf-extract), `check` says what is missing
/// and nothing fails.
#[test]
fn without_pdftotext_pdfs_are_read_as_before_and_check_says_so() {
    let env = TestEnv::new();
    let pdf = std::fs::read(realmail().join("pdf/cv-reportlab.pdf")).unwrap();
    std::fs::write(env.path("cv.eml"), nameless_pdf_application(0, &pdf)).unwrap();
    let no_poppler = "/nonexistent";
    let out = env
        .command()
        .env("PATH", no_poppler)
        .args(["import", env.path("cv.eml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("pdftotext not found"), "{stderr}");
    let export = env.export();
    assert_eq!(str_field(&export[0]["documents"][0], "kind"), "cv");
    let out = env
        .command()
        .env("PATH", no_poppler)
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("documents: pdftotext not found"),
        "{stdout}"
    );
    let out = env.command().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("documents: PDF text by pdftotext"),
        "{stdout}"
    );
}

/// Courier marks no folder `\Sent`. The folder is found by its usual name, decoded from
/// modified UTF-7 ("&AMk-l&AOk-ments envoy&AOk-s" is "Éléments envoyés"), `check` says which
/// and how, and the replies in it are tracked.
#[tokio::test(flavor = "multi_thread")]
async fn without_special_use_the_sent_folder_is_found_by_its_usual_name() {
    let dovecot = Dovecot::start_without_special_use();
    const WIRE: &str = "&AMk-l&AOk-ments envoy&AOk-s";
    dovecot.create_folder(WIRE).await;
    dovecot
        .append("INBOX", &[synth::application(1, 3_000)])
        .await;
    dovecot.append(WIRE, &[synth::reply_to(1)]).await;
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let out = env.command().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "Sent folder: Éléments envoyés (no folder is marked \\Sent; chosen by its name)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("IDLE: offered"), "{stdout}");
    env.run(&["run", "--once"]);
    let export = env.export();
    assert_eq!(export.len(), 1);
    assert_eq!(str_field(&export[0], "reply_status"), "replied");
}

/// A server that cannot keep the keyword: here Dovecot with an ACL that withholds the right
/// to write keywords (`w`), so that PERMANENTFLAGS holds neither `\*` nor the keyword, as
/// Courier's with keywords off. `check` says so, and the daemon files the mail, warns once,
/// and marks nothing it could not mark.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_cannot_keep_the_keyword_is_told_and_never_claimed() {
    let dovecot = Dovecot::start_with(
        "mail_plugins = $mail_plugins acl\nplugin {\n  acl = vfile:cache_secs=0\n}\n",
    );
    dovecot
        .append("INBOX", &[synth::application(1, 3_000)])
        .await;
    // The inbox's ACL file, at the Maildir's root: every right but `w`.
    let acl = dovecot
        .dir
        .path()
        .join("mail")
        .join(crate::dovecot::USER)
        .join("Maildir/dovecot-acl");
    std::fs::write(&acl, "owner lrsitekxa\n").unwrap();
    assert!(
        std::process::Command::new("chown")
            .args(["nobody:nogroup"])
            .arg(&acl)
            .status()
            .unwrap()
            .success()
    );
    let env = TestEnv::with_mailbox(&dovecot.mailbox_config("plain", "127.0.0.1", ""));
    let out = env.command().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("keyword $Applymail-Filed: NOT kept by the server"),
        "{stdout}"
    );
    let out = env.command().args(["run", "--once"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("does not keep the keyword").count(),
        1,
        "{stderr}"
    );
    assert_eq!(env.export().len(), 1);
    let flags = dovecot.flags("INBOX").await;
    assert!(
        !flags[0]
            .1
            .iter()
            .any(|f| f.contains(applymail::imap::FILED_KEYWORD)),
        "{flags:?}"
    );
}

/// Scans with nameless files: a JPEG photo of the letter and an image-only PDF of the CV
/// (tests/fixtures/realmail/pdf/make-scans.sh) are read by OCR and classified.
#[test]
fn nameless_scans_are_read_by_ocr() {
    let env = TestEnv::new();
    std::fs::write(
        env.path("scans.eml"),
        scans_application("scan0001.pdf", "IMG_2041.jpg"),
    )
    .unwrap();
    env.run(&["import", env.path("scans.eml").to_str().unwrap()]);
    let kinds = document_kinds(&env);
    assert!(
        kinds.contains(&("scan0001.pdf".into(), "cv".into())),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("IMG_2041.jpg".into(), "letter".into())),
        "{kinds:?}"
    );
}

/// Salma Alaoui Mrani's application with the two scans of `pdf/make-scans.sh` attached under
/// these names: the CV as an image-only PDF, the letter as a JPEG photo.
pub fn scans_application(cv_name: &str, letter_name: &str) -> Vec<u8> {
    let dir = realmail().join("pdf");
    let cv = std::fs::read(dir.join("cv-scan.pdf")).unwrap();
    let letter = std::fs::read(dir.join("letter-scan.jpg")).unwrap();
    format!(
        "From: Salma Alaoui Mrani <salma@example.com>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – Alaoui Mrani Salma\r\n\
         Message-ID: <scans@example.com>\r\n\
         Date: Mon, 05 Jul 2021 09:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n\
         --b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{cv_name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"{letter_name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        synth::base64(&cv),
        synth::base64(&letter)
    )
    .into_bytes()
}

/// (file name, kind) of the only application's documents.
fn document_kinds(env: &TestEnv) -> Vec<(String, String)> {
    let export = env.export();
    assert_eq!(export.len(), 1, "{export:?}");
    export[0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                str_field(d, "filename").to_owned(),
                str_field(d, "kind").to_owned(),
            )
        })
        .collect()
}

/// Where `program` is on this machine's PATH.
fn on_path(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is installed (scripts/test installs it)"))
}

/// A folder for PATH holding these programs of this machine (as links) and nothing else.
fn bin_with(env: &TestEnv, programs: &[&str]) -> PathBuf {
    let bin = env.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for program in programs {
        std::os::unix::fs::symlink(on_path(program), bin.join(program)).unwrap();
    }
    bin
}

/// Without tesseract (PATH holds poppler's programs and nothing else), scans are filed all the
/// same, as before OCR: a photo whose name says "lettre" by its name, a nameless scanned PDF
/// by its place (the one document left beside a letter is the CV). `import` warns that
/// tesseract is missing, nothing fails, and `check` says so.
#[test]
fn without_tesseract_scans_are_filed_by_name_and_place_and_check_says_so() {
    let env = TestEnv::new();
    let bin = bin_with(&env, &["pdftotext", "pdftoppm"]);
    std::fs::write(
        env.path("scans.eml"),
        scans_application("scan0001.pdf", "Lettre_Alaoui.jpg"),
    )
    .unwrap();
    let out = env
        .command()
        .env("PATH", &bin)
        .args(["import", env.path("scans.eml").to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("tesseract not found").count(),
        1,
        "one warning: {stderr}"
    );
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(!stderr.contains("pdftotext not found"), "{stderr}");
    let mut kinds = document_kinds(&env);
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("Lettre_Alaoui.jpg".into(), "letter".into()),
            ("scan0001.pdf".into(), "cv".into())
        ],
    );
    let flags = &env.export()[0]["flags"];
    assert!(
        !flags.as_array().unwrap().iter().any(|f| f == "missing_cv"),
        "{flags}"
    );
    let out = env
        .command()
        .env("PATH", &bin)
        .arg("check")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("documents: tesseract not found"),
        "{stdout}"
    );
    assert!(
        stdout.contains("documents: PDF text by pdftotext"),
        "{stdout}"
    );
    let out = env.command().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("documents: scans read by OCR with tesseract"),
        "{stdout}"
    );
}

/// A `tesseract` on PATH that notes each time it runs in `marker`, then is the real one.
fn counting_tesseract(env: &TestEnv, marker: &Path) -> PathBuf {
    let bin = bin_with(env, &["pdftotext", "pdftoppm"]);
    let script = bin.join("tesseract");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho ran >> '{}'\nexec '{}' \"$@\"\n",
            marker.display(),
            on_path("tesseract").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// A scan whose name says what it is (`CV_Alaoui.pdf`, `Lettre_Alaoui.jpg`) is classified by
/// that name and never read by OCR; the same scans without telling names are (the
/// counting `tesseract` runs, so it is the one applymail would use).
#[test]
fn scans_with_telling_names_are_not_read_by_ocr() {
    // Imports an application of two scans with a counting `tesseract` first in PATH; gives
    // the test's directory, and what the counter wrote (one line per run).
    let import = |cv: &str, letter: &str| {
        let env = TestEnv::new();
        let marker = env.path("tesseract-ran");
        let bin = counting_tesseract(&env, &marker);
        std::fs::write(env.path("scans.eml"), scans_application(cv, letter)).unwrap();
        let out = env
            .command()
            .env("PATH", &bin)
            .args(["import", env.path("scans.eml").to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success());
        let runs = std::fs::read_to_string(&marker).ok();
        (env, runs)
    };

    let (env, runs) = import("CV_Alaoui.pdf", "Lettre_Alaoui.jpg");
    let mut kinds = document_kinds(&env);
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("CV_Alaoui.pdf".into(), "cv".into()),
            ("Lettre_Alaoui.jpg".into(), "letter".into())
        ],
    );
    assert!(
        runs.is_none(),
        "tesseract ran for documents named CV and Lettre"
    );

    let (env, runs) = import("scan0001.pdf", "IMG_2041.jpg");
    let runs = runs.unwrap_or_default();
    assert_eq!(runs.lines().count(), 2, "one OCR per nameless scan");
    let kinds = document_kinds(&env);
    assert!(
        kinds.contains(&("IMG_2041.jpg".into(), "letter".into())),
        "{kinds:?}"
    );
}

/// A colleague's inline forward of a message that names no posting (the same six clients'
/// forwards, their subjects made a question about volunteering): nothing is filed, although
/// the forwarded text reads like a letter and a CV is attached, and the ledger says why.
#[tokio::test]
async fn an_inline_forward_that_names_no_posting_is_ignored() {
    for client in [
        "outlook-fr",
        "outlook-en",
        "gmail",
        "thunderbird-fr",
        "apple-mail",
        "mutt",
    ] {
        let raw = std::fs::read_to_string(realmail().join(format!("forward-{client}.eml")))
            .unwrap()
            // mutt's subject is cut across two encoded words.
            .replace(
                "=?utf-8?Q?Coor?=\n =?utf-8?Q?dination_Maroc",
                "=?utf-8?Q?Ques?=\n =?utf-8?Q?tion_benevolat",
            )
            .replace("Coordination Maroc", "Question benevolat");
        assert!(!raw.contains("Coordination"), "{client}: {raw}");
        assert!(!raw.contains("Coor?="), "{client}");
        let env = TestEnv::new();
        std::fs::write(env.path("forward.eml"), &raw).unwrap();
        env.run(&["import", env.path("forward.eml").to_str().unwrap()]);
        assert_eq!(env.export().len(), 0, "{client}: nothing is filed");
        let ledger: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT outcome, reason FROM mail_seen")
                .fetch_all(&env.db().await)
                .await
                .unwrap();
        assert_eq!(
            ledger,
            [("ignored".to_owned(), Some("internal".to_owned()))],
            "{client}"
        );
    }
}

/// A server that offers IDLE and never pushes, as Debian's Cyrus without `idled` and Courier
/// without `IMAP_ENHANCEDIDLE` (here Dovecot behind a relay that drops what it announces
/// during IDLE): with the default settings, mail APPENDed while applymail idles is filed by
/// the re-poll in IDLE (`mailbox.idle_poll_interval`, 15 s), not after the 60 s of
/// `poll_interval`. `check` says how long such a server may keep new mail waiting.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_pushes_is_read_again_within_the_idle_poll_interval() {
    let dovecot = Dovecot::start();
    dovecot
        .append("INBOX", &[synth::application(1, 3_000)])
        .await;
    let relay = FaultyRelay::start_without_push(dovecot.imap_port).await;
    // The defaults: neither poll_interval nor idle_poll_interval.
    let mailbox = dovecot
        .mailbox_config("plain", "127.0.0.1", "")
        .replace(
            &format!("port = {}", dovecot.imap_port),
            &format!("port = {}", relay.port),
        )
        .replace("poll_interval = \"30s\"\n", "");
    assert!(!mailbox.contains("poll_interval"), "{mailbox}");
    let env = TestEnv::with_mailbox(&mailbox);
    let out = env.command().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "IDLE: offered (new mail arrives at once only if the server pushes; otherwise within 15s (mailbox.idle_poll_interval))"
        ),
        "{stdout}"
    );
    let (mut daemon, log) = env.logged_daemon("info");
    let log_text = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while relay.idles() == 0 || env.count("SELECT count(*) FROM applications").await < 1 {
        assert!(Instant::now() < deadline, "never idle:\n{}", log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    dovecot
        .append("INBOX", &[synth::application(2, 3_000)])
        .await;
    let appended = Instant::now();
    while env.count("SELECT count(*) FROM applications").await < 2 {
        assert!(
            appended.elapsed() < Duration::from_secs(30),
            "not filed 30 s after it arrived (the re-poll in IDLE is 15 s):\n{}",
            log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let waited = appended.elapsed();
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    assert!(
        relay.swallowed() >= 1,
        "the server announced the mail during IDLE and the client never heard it"
    );
    assert!(
        waited > Duration::from_secs(5),
        "filed after {waited:?}: pushed, not re-polled"
    );
    assert_eq!(env.export().len(), 2);
}
