//! Generated applications, for the tests that need many (crash, idempotence) and for the
//! import benchmark (`examples/synth_maildir.rs`).

/// A minimal PDF whose bytes are unique to `tag`.
fn pdf(tag: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n% {tag}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The organisation's answer to candidate `i`, as the Sent folder keeps it.
pub fn reply_to(i: usize) -> Vec<u8> {
    format!(
        "From: contact@ong-exemple.org\r\nTo: candidat{i}@example.com\r\nSubject: Re: Coordination Maroc\r\nMessage-ID: <reply-{i}@ong-exemple.org>\r\nIn-Reply-To: <synth-{i}@example.com>\r\nDate: Tue, 06 Jul 2021 10:00:00 +0000\r\n\r\nMerci, nous revenons vers vous.\r\n"
    )
    .into_bytes()
}

/// The bytes of the CV in candidate `i`'s application of about `size` bytes.
pub fn cv_of(i: usize, size: usize) -> Vec<u8> {
    let padding = "x".repeat(size.saturating_sub(1500) / 2);
    pdf(&format!("CV Nom{i:05} {padding}"))
}

/// Candidate `i`'s application: a CV and a letter, padded to about `size` bytes in total.
pub fn application(i: usize, size: usize) -> Vec<u8> {
    let last = format!("Nom{i:05}");
    let first = format!("Prenom{i:05}");
    let padding = "x".repeat(size.saturating_sub(1500) / 2);
    let cv = cv_of(i, size);
    let letter = pdf(&format!("Lettre {last} {padding}"));
    format!(
        "From: {first} {last} <candidat{i}@example.com>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – {last} {first}\r\n\
         Message-ID: <synth-{i}@example.com>\r\n\
         Date: Mon, 05 Jul 2021 09:{min:02}:{sec:02} +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n\
         --b{i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour, voici ma candidature.\r\n\
         --b{i}\r\nContent-Type: application/pdf; name=\"CV_{last}.pdf\"\r\nContent-Disposition: attachment; filename=\"CV_{last}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{cv}\r\n\
         --b{i}\r\nContent-Type: application/pdf; name=\"Lettre_{last}.pdf\"\r\nContent-Disposition: attachment; filename=\"Lettre_{last}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{letter}\r\n\
         --b{i}--\r\n",
        min = (i / 60) % 60,
        sec = i % 60,
        cv = base64(&cv),
        letter = base64(&letter),
    )
    .into_bytes()
}

/// Writes `n` applications into a Maildir's `new/`, named so that they sort in order.
#[allow(dead_code)]
pub fn fill_maildir(maildir: &std::path::Path, n: usize, size: usize) {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    for i in 0..n {
        std::fs::write(
            maildir
                .join("new")
                .join(format!("{}.M{i}.synth", 1_600_000_000 + i)),
            application(i, size),
        )
        .expect("write");
    }
}
