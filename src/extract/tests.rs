use super::*;
use crate::domain::document::{DocumentKind, DocumentSource};

fn parse(raw: &str) -> Mail {
    parse_mail(
        raw.replace('\n', "\r\n").as_bytes(),
        &ExtractLimits::default(),
    )
    .expect("parses")
}

const PDF_B64: &str = "JVBERi0xLjQKJSBhIHRpbnkgcGRmCg==";

#[test]
fn headers_become_owned_values() {
    let m = parse(
        "From: =?UTF-8?Q?Ma=C3=ABlys_Qu=C3=A9r=C3=A9?= <Maelys.Quere@Laposte.net>\nTo: contact@ong-exemple.org, Other <o@x.org>\nCc: c@x.org\nSubject: =?UTF-8?Q?Coordination_Maroc_=E2=80=93_Qu=C3=A9r=C3=A9_Ma=C3=ABlys?=\nMessage-ID: <abc@laposte.net>\nIn-Reply-To: <p@x>\nDate: Fri, 2 Jul 2021 09:14:00 +0200\nAuto-Submitted: auto-replied\nPrecedence: Bulk\nList-Id: <x.y>\n\nbody\n",
    );
    assert_eq!(m.subject, "Coordination Maroc – Quéré Maëlys");
    let from = m.from.unwrap();
    assert_eq!(from.address.as_str(), "maelys.quere@laposte.net");
    assert_eq!(from.display_name.as_deref(), Some("Maëlys Quéré"));
    assert_eq!(m.recipients.len(), 3);
    assert_eq!(m.message_id.as_deref(), Some("<abc@laposte.net>"));
    assert_eq!(m.in_reply_to, ["<p@x>"]);
    assert_eq!(m.date.unwrap().to_rfc3339(), "2021-07-02T07:14:00+00:00");
    assert_eq!(m.automation.auto_submitted.as_deref(), Some("auto-replied"));
    assert_eq!(m.automation.precedence.as_deref(), Some("bulk"));
    assert!(m.automation.mailing_list);
    assert_eq!(m.body_text.trim(), "body");
}

#[test]
fn attachments_are_documents_and_logos_are_not() {
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: multipart/related; boundary=\"R\"\n\n--R\nContent-Type: text/html\n\n<img src=\"cid:logo\">\n--R\nContent-Type: image/png; name=\"image001.png\"\nContent-ID: <logo>\nContent-Disposition: inline; filename=\"image001.png\"\nContent-Transfer-Encoding: base64\n\niVBORw0KGgoAAAANSUhEUg==\n--R--\n--B\nContent-Type: application/pdf; name=\"CV_Dupont.pdf\"\nContent-Disposition: attachment; filename=\"CV_Dupont.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B--\n"
    ));
    assert_eq!(
        m.documents.len(),
        1,
        "{:?}",
        m.documents.iter().map(|d| &d.filename).collect::<Vec<_>>()
    );
    assert_eq!(m.documents[0].filename, "CV_Dupont.pdf");
    assert_eq!(m.documents[0].kind, Some(DocumentKind::Cv));
    assert!(m.documents[0].bytes.starts_with(b"%PDF-1.4"));
}

#[test]
fn a_filename_folded_after_the_equals_sign_is_kept() {
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed;\n boundary=\n \"B\"\n\n--B\nContent-Type: text/plain\n\nhello\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\n \"Lettre_Dupont.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B--\n"
    ));
    assert_eq!(m.documents.len(), 1);
    assert_eq!(m.documents[0].filename, "Lettre_Dupont.pdf");
    assert_eq!(m.documents[0].kind, Some(DocumentKind::Letter));
}

#[test]
fn rfc2231_and_rfc2047_filenames_are_decoded() {
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n filename*0*=UTF-8''Lettre%20de%20motivation%20;\n filename*1*=Qu%C3%A9r%C3%A9.pdf\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B\nContent-Type: application/pdf; name=\"=?UTF-8?B?Q1YgTMOpdsOqcXVlLnBkZg==?=\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B--\n"
    ));
    let names: Vec<&str> = m.documents.iter().map(|d| d.filename.as_str()).collect();
    assert_eq!(names, ["Lettre de motivation Quéré.pdf", "CV Lévêque.pdf"]);
}

#[test]
fn hostile_filenames_are_data_not_paths() {
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: application/x-sh; name=\"../../../../tmp/evil.sh\"\nContent-Disposition: attachment; filename=\"../../../../tmp/evil.sh\"\n\necho owned\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"cv\u{202e}fdp.exe\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B--\n"
    ));
    let names: Vec<&str> = m.documents.iter().map(|d| d.filename.as_str()).collect();
    assert_eq!(names[0], "evil.sh");
    assert!(
        !names
            .iter()
            .any(|n| n.contains('/') || n.contains('\u{202e}')),
        "{names:?}"
    );
    assert_eq!(m.documents[0].kind, Some(DocumentKind::Other));
}

#[test]
fn a_missing_closing_boundary_still_yields_the_last_document() {
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nhello\n--B\nContent-Type: application/pdf; name=\"LM.pdf\"\nContent-Disposition: attachment; filename=\"LM.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n"
    ));
    assert_eq!(m.documents.len(), 1);
    assert!(
        m.documents[0].bytes.starts_with(b"%PDF-1.4"),
        "{:?}",
        String::from_utf8_lossy(&m.documents[0].bytes)
    );
}

#[test]
fn forwarded_messages_are_parsed_with_their_documents() {
    let m = parse(&format!(
        "From: colleague@ong-exemple.org\nSubject: Fwd: candidature\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nvoir ci-dessous\n--B\nContent-Type: message/rfc822\n\nFrom: Seynabou Mbaye <s.mbaye@example.com>\nSubject: Coordination Maroc - Mbaye Seynabou\nContent-Type: multipart/mixed; boundary=\"I\"\n\n--I\nContent-Type: text/plain\n\nBonjour\n--I\nContent-Type: application/pdf; name=\"CV_Mbaye.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--I--\n--B--\n"
    ));
    assert!(m.documents.is_empty());
    assert_eq!(m.forwarded.len(), 1);
    let inner = &m.forwarded[0];
    assert_eq!(
        inner.from.as_ref().unwrap().address.as_str(),
        "s.mbaye@example.com"
    );
    assert_eq!(inner.documents.len(), 1);
    assert_eq!(inner.documents[0].kind, Some(DocumentKind::Cv));
}

#[test]
fn zip_entries_become_archive_documents() {
    let mut zip_bytes = Vec::new();
    {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(&mut zip_bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        writer
            .start_file("dossier/CV_Benkirane.pdf", options)
            .unwrap();
        std::io::Write::write_all(&mut writer, b"%PDF-1.4 cv").unwrap();
        writer
            .start_file("__MACOSX/._CV_Benkirane.pdf", options)
            .unwrap();
        std::io::Write::write_all(&mut writer, b"junk").unwrap();
        writer.start_file("Lettre_Benkirane.pdf", options).unwrap();
        std::io::Write::write_all(&mut writer, b"%PDF-1.4 letter").unwrap();
        writer.finish().unwrap();
    }
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&zip_bytes);
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: application/zip; name=\"dossier.zip\"\nContent-Transfer-Encoding: base64\n\n{encoded}\n--B--\n"
    ));
    let docs: Vec<(&str, DocumentSource, Option<DocumentKind>)> = m
        .documents
        .iter()
        .map(|d| (d.filename.as_str(), d.source, d.kind))
        .collect();
    assert_eq!(
        docs,
        [
            (
                "CV_Benkirane.pdf",
                DocumentSource::Archive,
                Some(DocumentKind::Cv)
            ),
            (
                "Lettre_Benkirane.pdf",
                DocumentSource::Archive,
                Some(DocumentKind::Letter)
            ),
        ]
    );
}

#[test]
fn too_many_parts_is_an_error() {
    let parts: String = (0..20)
        .map(|i| format!("--B\nContent-Type: text/plain\n\npart {i}\n"))
        .collect();
    let raw = format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n{parts}--B--\n"
    );
    let limits = ExtractLimits {
        max_parts: 5,
        ..ExtractLimits::default()
    };
    assert!(matches!(
        parse_mail(raw.as_bytes(), &limits),
        Err(ExtractError::TooManyParts { .. })
    ));
}

#[test]
fn garbage_and_empty_input_do_not_panic() {
    assert!(parse_mail(b"", &ExtractLimits::default()).is_err());
    let _ = parse_mail(
        &[0xff, 0xfe, 0x00, 0x80, b'\n', b'\n', 0x01],
        &ExtractLimits::default(),
    );
}

#[test]
fn control_characters_backslashes_and_long_names_never_reach_a_file_name() {
    let long = "A".repeat(5_000);
    let m = parse(&format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"..\\\\..\\\\Windows\\\\cv\u{0}\u{7}\u{1b}[31m.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"{long}.pdf\"\nContent-Transfer-Encoding: base64\n\n{PDF_B64}\n--B--\n"
    ));
    assert_eq!(m.documents.len(), 2);
    for d in &m.documents {
        assert!(
            !d.filename
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\'),
            "{:?}",
            d.filename
        );
        assert!(d.filename.chars().count() <= 255, "{}", d.filename.len());
        assert!(!d.filename.starts_with('.'), "{:?}", d.filename);
    }
}

#[test]
fn invalid_utf8_unknown_charsets_and_megabyte_lines_are_survived() {
    let mut raw = Vec::new();
    raw.extend_from_slice(b"From: =?x-klingon?B?AAAA?= <a@example.com>\r\nSubject: Coordination Maroc \xff\xfe\x80 =?utf-8?B?////?=\r\n");
    raw.extend_from_slice(b"X-Long: ");
    raw.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    raw.extend_from_slice(b"\r\nContent-Type: text/plain; charset=\"x-unknown-charset\"\r\n\r\n");
    raw.extend_from_slice(b"Bonjour \xe9\xe8\xff\xfe\x00 fin\r\n");
    raw.extend(std::iter::repeat_n(b'y', 1024 * 1024));
    let started = std::time::Instant::now();
    let m = parse_mail(&raw, &ExtractLimits::default()).expect("still a message");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        m.from.as_ref().map(|f| f.address.as_str()),
        Some("a@example.com")
    );
    assert!(m.subject.starts_with("Coordination Maroc"), "{}", m.subject);
    assert!(
        m.body_text.contains("Bonjour"),
        "body kept despite its charset"
    );
}

/// Two attachments whose names say nothing: only their text tells the CV from the letter.
fn nameless_documents() -> String {
    let cv = "Curriculum vitae\nExpérience professionnelle\n2018 - 2021 : coordinatrice de projet\nFormation\n2016 : Master\nLangues : anglais courant, arabe langue maternelle\nCompétences : gestion de projet\n";
    let letter = "Madame, Monsieur,\nJe vous écris pour vous proposer ma candidature au poste de coordinatrice. Votre offre a retenu toute mon attention et je serais ravie de vous rencontrer.\nJe vous prie d'agréer, Madame, Monsieur, l'expression de mes salutations distinguées.\n";
    format!(
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nBonjour\n--B\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename=\"scan0001.txt\"\n\n{cv}\n--B\nContent-Type: text/plain; charset=utf-8\nContent-Disposition: attachment; filename=\"scan0002.txt\"\n\n{letter}\n--B--\n"
    )
}

/// The time a message may spend reading its documents' text is one budget for the whole
/// message: once it is spent, the documents left are not read (their kind is left to their
/// names and positions), however many there are.
#[test]
fn a_spent_text_budget_leaves_documents_unread() {
    let raw = nameless_documents().replace('\n', "\r\n");
    let read = parse_mail(raw.as_bytes(), &ExtractLimits::default()).unwrap();
    let kinds: Vec<_> = read.documents.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        [Some(DocumentKind::Cv), Some(DocumentKind::Letter)],
        "with time to read, the text decides"
    );

    let limits = ExtractLimits {
        text_budget: std::time::Duration::ZERO,
        ..ExtractLimits::default()
    };
    let unread = parse_mail(raw.as_bytes(), &limits).unwrap();
    let kinds: Vec<_> = unread.documents.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [None, None], "nothing read once the budget is spent");
    assert_eq!(unread.documents.len(), 2, "the documents are still kept");
    assert!(
        unread.problems.iter().any(|p| p.contains("not read")),
        "{:?}",
        unread.problems
    );
}

/// A megabyte subject is kept cut: the database, `show` and triage never see more.
#[test]
fn subjects_are_capped() {
    let subject = format!("Coordination Maroc – DUPONT {}", "é".repeat(1_000_000));
    let m = parse(&format!(
        "From: a@example.com\nSubject: {subject}\n\nbody\n"
    ));
    assert_eq!(m.subject.chars().count(), MAX_SUBJECT_CHARS);
    assert!(m.subject.starts_with("Coordination Maroc – DUPONT éé"));
    let m = parse("From: a@example.com\nSubject: Coordination Maroc\n\nbody\n");
    assert_eq!(m.subject, "Coordination Maroc");
}

mod budget {
    //! The per-message budget, through `parse_mail`: what all of a message's archives expand
    //! to, against its own size and in bytes, and its documents, forwards' included.

    use super::*;
    use base64::Engine;
    use std::io::Write;

    /// A deflated zip of `entries` files of `size` bytes, each compressing very well.
    fn zip(tag: &str, entries: usize, size: usize) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for e in 0..entries {
            w.start_file(format!("{tag}_{e}.rtf"), options).unwrap();
            let mut data = vec![b' '; size];
            data[..6].copy_from_slice(b"{\\rtf1");
            data[6] = e as u8;
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn message(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut raw = b"From: a@example.com\r\nSubject: Coordination Maroc - A B\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n".to_vec();
        for (name, bytes) in parts {
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            raw.extend(
                format!(
                    "--B\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n"
                )
                .as_bytes(),
            );
        }
        raw.extend(b"--B--\r\n");
        raw
    }

    #[test]
    fn many_small_entries_cannot_dodge_the_ratio() {
        // Each entry is under 1 MiB (no ratio check per entry) and each zip within the
        // per-archive limits; together they expand far more than 20 times the message.
        let parts: Vec<(String, Vec<u8>)> = (0..6)
            .map(|z| (format!("d{z}.zip"), zip(&format!("z{z}"), 40, 1 << 20)))
            .collect();
        let refs: Vec<(&str, Vec<u8>)> =
            parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let raw = message(&refs);
        assert!(raw.len() < 1_000_000, "{}", raw.len());
        let err = parse_mail(&raw, &ExtractLimits::default()).unwrap_err();
        assert!(
            matches!(err, ExtractError::ExpansionRatio { ratio: 20, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("limits.max_expansion_ratio"),
            "{err}"
        );
    }

    #[test]
    fn the_bytes_expanded_are_bounded_whatever_the_ratio() {
        let raw = message(&[
            ("a.zip", zip("a", 3, 1 << 20)),
            ("b.zip", zip("b", 3, 1 << 20)),
        ]);
        let limits = ExtractLimits {
            max_expanded_bytes: 5 << 20,
            max_expansion_ratio: 1_000_000,
            ..ExtractLimits::default()
        };
        let err = parse_mail(&raw, &limits).unwrap_err();
        assert!(
            matches!(err, ExtractError::ExpandedTooLarge { limit } if limit == 5 << 20),
            "{err}"
        );
        assert!(
            err.to_string().contains("limits.max_expanded_bytes"),
            "{err}"
        );
        let generous = ExtractLimits {
            max_expanded_bytes: 6 << 20,
            ..limits
        };
        assert_eq!(parse_mail(&raw, &generous).unwrap().documents.len(), 6);
    }

    #[test]
    fn a_small_message_with_a_zip_of_a_cv_and_a_letter_passes() {
        // 300 KB of RTF in a message of a few kilobytes: more than 20 times its size, within
        // the floor.
        let raw = message(&[("dossier.zip", zip("CV_et_Lettre", 2, 150_000))]);
        assert!(raw.len() < 5_000, "{}", raw.len());
        let mail = parse_mail(&raw, &ExtractLimits::default()).unwrap();
        assert_eq!(mail.documents.len(), 2);
    }

    #[test]
    fn documents_are_counted_across_attachments_archives_and_forwards() {
        let pdf = b"%PDF-1.4 x".to_vec();
        let limits = ExtractLimits {
            max_documents: 4,
            ..ExtractLimits::default()
        };
        let within = message(&[("CV.pdf", pdf.clone()), ("dossier.zip", zip("d", 3, 100))]);
        assert_eq!(parse_mail(&within, &limits).unwrap().documents.len(), 4);
        let over = message(&[
            ("CV.pdf", pdf.clone()),
            ("Lettre.pdf", pdf.clone()),
            ("dossier.zip", zip("d", 3, 100)),
        ]);
        let err = parse_mail(&over, &limits).unwrap_err();
        assert!(
            matches!(err, ExtractError::TooManyDocuments { limit: 4 }),
            "{err}"
        );
        assert!(err.to_string().contains("limits.max_documents"), "{err}");

        // A forward's documents are the message's too.
        let inner = String::from_utf8(message(&[
            ("a.pdf", pdf.clone()),
            ("b.pdf", pdf.clone()),
            ("c.pdf", pdf.clone()),
        ]))
        .unwrap();
        let outer = format!(
            "From: k@ong-exemple.org\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"O\"\r\n\r\n--O\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--O\r\nContent-Type: application/pdf; name=\"y.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--O\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--O--\r\n"
        );
        let err = parse_mail(outer.as_bytes(), &limits).unwrap_err();
        assert!(
            matches!(err, ExtractError::TooManyDocuments { .. }),
            "{err}"
        );
    }

    #[test]
    fn the_shape_is_checked_before_the_parse() {
        let mut raw =
            b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        raw.extend(b"--b\r\n\r\n".repeat(600));
        let err = parse_mail(&raw, &ExtractLimits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::TooManyParts { .. }), "{err}");
        let mut raw = b"X-A: a\r\n".repeat(40_000);
        raw.extend(b"From: a@example.com\r\n\r\nx\r\n");
        let err = parse_mail(&raw, &ExtractLimits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::HeadersTooLarge { .. }), "{err}");
    }
}

#[test]
fn a_delivery_reports_status_part_is_kept_as_text_and_nothing_else_is() {
    let dsn = "From: MAILER-DAEMON@mx.example.org\nTo: contact@ong-exemple.org\nSubject: Undelivered\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=\"Delivery-Status\"; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSorry.\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; marie@example.com\nAction: failed\nStatus: 5.1.1\n--b--\n";
    let m = parse(dsn);
    let status = m.delivery_status.expect("the status part");
    assert!(
        status.contains("Final-Recipient: rfc822; marie@example.com"),
        "{status}"
    );
    assert_eq!(m.automation.report_type.as_deref(), Some("delivery-status"));
    // A read receipt's report, or a status part outside a report, is not read.
    let receipt = dsn.replace("Delivery-Status\"", "disposition-notification\"");
    assert_eq!(parse(&receipt).delivery_status, None);
    let mixed = dsn.replace("multipart/report", "multipart/mixed");
    assert_eq!(parse(&mixed).delivery_status, None);
}

#[test]
fn the_bounce_fixtures_status_parts_are_read() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bounces");
    for (file, address) in [
        ("postfix-user-unknown.eml", "marie.dupont@example.com"),
        ("gmail-no-such-user.eml", "karim.benali@gmail.com"),
        (
            "exchange-recipient-not-found.eml",
            "y.elamrani@entreprise.example",
        ),
    ] {
        let raw = std::fs::read(dir.join(file)).unwrap();
        let m = parse_mail(&raw, &ExtractLimits::default()).expect(file);
        let report =
            crate::domain::bounce::parse_delivery_status(m.delivery_status.as_deref().expect(file))
                .expect(file);
        let failed: Vec<&str> = report
            .failed
            .iter()
            .map(|f| f.final_recipient.as_str())
            .collect();
        assert_eq!(failed, [address], "{file}");
        assert_eq!(
            report.failed[0].permanence,
            crate::domain::bounce::Permanence::Permanent,
            "{file}"
        );
    }
}
