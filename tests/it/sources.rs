//! Local sources: mbox files, single .eml files, nested folders, and the size limit.

use crate::helpers::TestEnv;
use crate::synth;

#[tokio::test]
async fn mbox_files_single_files_and_nested_folders_are_imported() {
    let env = TestEnv::new();
    let mut mbox = Vec::new();
    for i in 0..3 {
        mbox.extend_from_slice(b"From candidat@example.com Mon Jul  5 09:00:00 2021\r\n");
        mbox.extend_from_slice(&synth::application(i, 2_000));
        mbox.extend_from_slice(b"\r\n");
    }
    std::fs::write(env.path("export.mbox"), &mbox).unwrap();
    std::fs::create_dir_all(env.path("eml/2021/07")).unwrap();
    std::fs::write(env.path("eml/2021/07/a.eml"), synth::application(10, 2_000)).unwrap();
    std::fs::write(env.path("eml/notes.txt"), b"not mail").unwrap();
    std::fs::write(env.path("single.eml"), synth::application(20, 2_000)).unwrap();
    env.run(&[
        "import",
        env.path("export.mbox").to_str().unwrap(),
        env.path("eml").to_str().unwrap(),
        env.path("single.eml").to_str().unwrap(),
    ]);
    let emails = env.exported_emails();
    assert_eq!(
        emails,
        [
            "candidat0@example.com",
            "candidat10@example.com",
            "candidat1@example.com",
            "candidat20@example.com",
            "candidat2@example.com"
        ]
    );
    // Again: nothing new.
    env.run(&["import", env.path("export.mbox").to_str().unwrap()]);
    assert_eq!(env.export().len(), 5);
}

#[tokio::test]
async fn oversized_mail_is_quarantined_whole_not_parsed() {
    let env = TestEnv::with_extra("[limits]\nmax_message_bytes = 10000\n");
    std::fs::write(env.path("big.eml"), synth::application(1, 50_000)).unwrap();
    std::fs::write(env.path("small.eml"), synth::application(2, 2_000)).unwrap();
    env.run(&[
        "import",
        env.path("big.eml").to_str().unwrap(),
        env.path("small.eml").to_str().unwrap(),
    ]);
    assert_eq!(env.export().len(), 1);
    let pool = env.db().await;
    let (reason, sha): (String, String) =
        sqlx::query_as("SELECT reason, raw_sha256 FROM mail_seen WHERE outcome = 'quarantined'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(reason.contains("limits.max_message_bytes"), "{reason}");
    let kept = std::fs::read(env.path("documents/sha256").join(&sha[..2]).join(&sha)).unwrap();
    assert_eq!(
        kept,
        std::fs::read(env.path("big.eml")).unwrap(),
        "the raw bytes are kept"
    );
}

#[test]
fn files_applymail_creates_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    std::fs::write(env.path("one.eml"), synth::application(1, 2_000)).unwrap();
    env.run(&["import", env.path("one.eml").to_str().unwrap()]);
    let mode = |p: &str| std::fs::metadata(env.path(p)).unwrap().permissions().mode() & 0o777;
    if env.is_sqlite() {
        assert_eq!(mode("applymail.db"), 0o600);
    }
    assert_eq!(mode("documents"), 0o700);
    let export = env.export();
    for doc in export[0]["documents"].as_array().unwrap() {
        let path = doc["path"].as_str().unwrap();
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600,
            "{path}"
        );
    }
}

/// A one-page PDF whose content stream inflates to `inflated` bytes of spaces.
fn pdf_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..inflated / chunk.len() {
        z.write_all(&chunk).unwrap();
    }
    let stream = z.finish().unwrap();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: [Vec<u8>; 4] = [
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>"
            .to_vec(),
        [
            format!(
                "<< /Length {} /Filter /FlateDecode >>\nstream\n",
                stream.len()
            )
            .into_bytes(),
            stream,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(b"xref\n0 5\n0000000000 65535 f \n");
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer << /Size 5 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    pdf
}

#[test]
fn a_pdf_decompression_bomb_is_read_in_a_bounded_child_and_the_application_is_filed() {
    let env = TestEnv::new();
    // 4 GB of spaces once inflated, a few MB as sent: more than the reader may take.
    let bomb = pdf_bomb(4 << 30);
    assert!(bomb.len() < 10 << 20, "{}", bomb.len());
    let raw = format!(
        "From: Amina El Mansouri <amina@example.com>\r\nTo: contact@ong-exemple.org\r\nSubject: Coordination Maroc – EL MANSOURI Amina\r\nMessage-ID: <bomb@example.com>\r\nDate: Mon, 05 Jul 2021 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n--b\r\nContent-Type: application/pdf; name=\"CV.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{cv}\r\n--b\r\nContent-Type: application/pdf; name=\"Document1.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{bomb}\r\n--b--\r\n",
        cv = crate::synth::base64(b"%PDF-1.4\n% cv\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"),
        bomb = crate::synth::base64(&bomb),
    );
    let file = env.path("bomb.eml");
    std::fs::write(&file, raw).unwrap();
    let started = std::time::Instant::now();
    env.run(&["import", file.to_str().unwrap()]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let export = env.export();
    assert_eq!(export.len(), 1);
    let kinds: Vec<&str> = export[0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    // Unreadable next to a CV: the letter, by position.
    assert_eq!(kinds, ["cv", "letter"]);
}
