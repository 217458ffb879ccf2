//! Documents of every kind built by hand, with the text a test chooses: PDF, DOCX, ODT,
//! legacy Word, and the application mail that carries them.

use std::io::Write;

use crate::synth;

/// A one-page PDF in Helvetica (WinAnsi), one line of text each, as word processors' simplest
/// output: what `pdf-extract` reads.
pub fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = b"BT\n/F1 11 Tf\n72 760 Td\n".to_vec();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.extend_from_slice(b"0 -14 Td\n");
        }
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(line);
        content.push(b'(');
        for b in bytes.iter() {
            if matches!(b, b'\\' | b'(' | b')') {
                content.push(b'\\');
            }
            content.push(*b);
        }
        content.extend_from_slice(b") Tj\n");
    }
    content.extend_from_slice(b"ET\n");
    let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    stream.extend_from_slice(&content);
    stream.extend_from_slice(b"endstream");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream,
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn zip(entries: &[(&str, String)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in entries {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>"))
        .collect();
    zip(&[(
        "word/document.xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
        ),
    )])
}

pub fn odt(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<text:p>{p}</text:p>"))
        .collect();
    zip(&[
        (
            "mimetype",
            "application/vnd.oasis.opendocument.text".to_owned(),
        ),
        (
            "content.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:text>{body}</office:text></office:body></office:document-content>"
            ),
        ),
    ])
}

/// Legacy Word as the fixture corpus makes it: the OLE2 magic, then the text in UTF-16LE.
pub fn doc(paragraphs: &[&str]) -> Vec<u8> {
    let mut out = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    out.resize(512, 0xFF);
    for unit in paragraphs.join("\r").encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// An application: From, the subject's name, a body, attachments (file name, type, bytes).
pub fn mail(
    from: &str,
    name: &str,
    n: usize,
    body: &str,
    files: &[(&str, &str, Vec<u8>)],
) -> Vec<u8> {
    let mut out = format!(
        "From: {from}\r\nTo: contact@ong-exemple.org\r\nSubject: Coordination Maroc – {name}\r\n\
         Message-ID: <search-{n}@example.com>\r\nDate: Mon, 05 Jul 2021 09:{n:02}:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n\
         --b{n}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes();
    for (filename, content_type, bytes) in files {
        out.extend_from_slice(
            format!(
                "--b{n}\r\nContent-Type: {content_type}; name=\"{filename}\"\r\n\
                 Content-Disposition: attachment; filename=\"{filename}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                synth::base64(bytes)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(format!("--b{n}--\r\n").as_bytes());
    out
}
