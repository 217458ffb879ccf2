//! Plain text out of a document's bytes, for telling a CV from a letter when the
//! file name says nothing.
//!
//! Owns the per-format readers (PDF through `pdf-extract`, DOCX and ODT through
//! `zip` + `quick-xml`, RTF and plain text by hand) and the limits that keep a
//! hostile document from costing unbounded memory or crashing the daemon.
//!
//! The text is a classification aid, not a faithful rendering: layout is lost,
//! and the output is cut at `max_output_chars`.
//!
//! Caveats of the PDF reader, which is third-party code:
//! - it reports oddities through the `log` crate (target `pdf_extract`), e.g.
//!   glyph names it cannot map; the daemon's logger should filter that target;
//! - it inflates streams in memory, has no time limit, and may panic, overflow its
//!   stack or abort: the daemon runs it in a bounded child process (see
//!   [`super::sandbox`]).

use std::io::{BufReader, Cursor, Read};
use std::time::Instant;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::plain::{plain_text, rtf_text};
use crate::domain::document::{DocFormat, zip_declared_entries};

/// Bounds on what one extraction may consume and produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLimits {
    /// Larger inputs are refused with [`TextError::TooLarge`].
    pub max_input_bytes: usize,
    /// The text is cut at this many chars (on a char boundary).
    pub max_output_chars: usize,
    /// At most this many decompressed bytes of the XML part of a DOCX/ODT are read.
    pub max_xml_bytes: u64,
}

impl Default for TextLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 20 * 1024 * 1024,
            max_output_chars: 50_000,
            max_xml_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why no text could be extracted.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("document larger than the input limit")]
    TooLarge,
    #[error("no text extraction for {0} documents")]
    Unsupported(DocFormat),
    #[error("unreadable PDF: {0}")]
    Pdf(String),
    #[error("no text read from the image: {0}")]
    Image(String),
    #[error("unreadable zip container: {0}")]
    Zip(String),
    #[error("unreadable XML: {0}")]
    Xml(String),
}

/// Office containers have a few dozen parts; more means a crafted file.
const MAX_CONTAINER_ENTRIES: u64 = 10_000;

/// Whether [`document_text`] can read documents of this format at all.
pub fn has_reader(format: DocFormat) -> bool {
    match format {
        DocFormat::Pdf | DocFormat::Docx | DocFormat::Odt | DocFormat::Rtf | DocFormat::Text => {
            true
        }
        DocFormat::Image => super::sandbox::ocr_available(),
        _ => false,
    }
}

/// Extracts the text of a document.
///
/// DOCX and ODT: when the XML is malformed or cut by `max_xml_bytes` after
/// some text was already read, that partial text is returned rather than an
/// error, because a partial text still classifies.
pub fn document_text(
    bytes: &[u8],
    format: DocFormat,
    limits: &TextLimits,
) -> Result<String, TextError> {
    document_text_until(bytes, format, limits, None)
}

/// [`document_text`], with the PDF reader stopped at `deadline` (the message's time for
/// reading documents) if that comes before its own limit.
pub fn document_text_until(
    bytes: &[u8],
    format: DocFormat,
    limits: &TextLimits,
    deadline: Option<Instant>,
) -> Result<String, TextError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(TextError::TooLarge);
    }
    let text = match format {
        DocFormat::Pdf => pdf_text(bytes, deadline)?,
        DocFormat::Docx => office_text(bytes, OfficeKind::Docx, limits)?,
        DocFormat::Odt => office_text(bytes, OfficeKind::Odt, limits)?,
        DocFormat::Rtf => rtf_text(bytes, limits.max_output_chars),
        DocFormat::Text => plain_text(bytes).into_owned(),
        // A photo or a scan: OCR, when the sandboxed reader and tesseract are there.
        DocFormat::Image if super::sandbox::ocr_available() => {
            super::sandbox::image_text(bytes, deadline).map_err(TextError::Image)?
        }
        DocFormat::Doc | DocFormat::Image | DocFormat::Html | DocFormat::Zip | DocFormat::Other => {
            return Err(TextError::Unsupported(format));
        }
    };
    Ok(truncate_chars(text, limits.max_output_chars))
}

fn truncate_chars(mut s: String, max: usize) -> String {
    if let Some((cut, _)) = s.char_indices().nth(max) {
        s.truncate(cut);
    }
    s
}

fn pdf_text(bytes: &[u8], deadline: Option<Instant>) -> Result<String, TextError> {
    super::sandbox::pdf_text(bytes, deadline).map_err(TextError::Pdf)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OfficeKind {
    Docx,
    Odt,
}

fn office_text(bytes: &[u8], kind: OfficeKind, limits: &TextLimits) -> Result<String, TextError> {
    if zip_declared_entries(bytes).is_some_and(|n| n > MAX_CONTAINER_ENTRIES) {
        return Err(TextError::Zip("too many entries".to_owned()));
    }
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| TextError::Zip(e.to_string()))?;
    let part = match kind {
        OfficeKind::Docx => "word/document.xml",
        OfficeKind::Odt => "content.xml",
    };
    let member = archive
        .by_name(part)
        .map_err(|e| TextError::Zip(format!("{part}: {e}")))?;
    // `take` bounds the decompressed bytes actually read, whatever the header
    // claims: a zip bomb stops here instead of filling memory.
    let reader = BufReader::new(member.take(limits.max_xml_bytes));
    let mut xml = Reader::from_reader(reader);
    let mut out = TextSink::new(limits.max_output_chars);
    let result = match kind {
        OfficeKind::Docx => walk_docx(&mut xml, &mut out),
        OfficeKind::Odt => walk_odt(&mut xml, &mut out),
    };
    match result {
        Ok(()) => Ok(out.text),
        Err(_) if !out.text.trim().is_empty() => Ok(out.text),
        Err(e) => Err(TextError::Xml(e.to_string())),
    }
}

/// Accumulates text and says when the output limit is reached, so that
/// parsing can stop early instead of reading the rest of a huge part.
pub(super) struct TextSink {
    pub(super) text: String,
    chars: usize,
    max: usize,
}

impl TextSink {
    pub(super) fn new(max: usize) -> Self {
        Self {
            text: String::new(),
            chars: 0,
            max,
        }
    }

    pub(super) fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    pub(super) fn push(&mut self, c: char) {
        if self.chars < self.max {
            self.text.push(c);
            self.chars += 1;
        }
    }

    pub(super) fn full(&self) -> bool {
        self.chars >= self.max
    }
}

/// Resolves `&amp;`, `&#233;`… The five XML entities and character references
/// are all an office document may use; anything else is dropped.
fn push_ref(out: &mut TextSink, r: &BytesRef<'_>) {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        out.push(c);
        return;
    }
    let s: &str = r;
    let c = match s {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return,
    };
    out.push(c);
}

/// WordprocessingML: text lives in `w:t` runs; `w:p` ends a paragraph.
fn walk_docx<R: std::io::BufRead>(
    xml: &mut Reader<R>,
    out: &mut TextSink,
) -> Result<(), quick_xml::Error> {
    let mut buf = Vec::new();
    // Only text inside `w:t` counts: field codes (`w:instrText`) and deleted
    // text (`w:delText`) are not what the reader sees.
    let mut in_t = 0usize;
    // `mc:Fallback` repeats the content of `mc:Choice` (text boxes) for old readers.
    let mut in_fallback = 0usize;
    // Tabs and breaks count only inside a run (`w:r`): a `w:tab` in paragraph
    // properties is a tab stop definition, not a tab.
    let mut in_run = 0usize;
    loop {
        if out.full() {
            return Ok(());
        }
        buf.clear();
        let visible = in_fallback == 0;
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_t += 1,
                "r" => in_run += 1,
                "Fallback" => in_fallback += 1,
                _ => {}
            },
            Event::Empty(e) if visible => match e.local_name().as_ref() {
                "tab" if in_run > 0 => out.push('\t'),
                "br" | "cr" if in_run > 0 => out.push('\n'),
                "noBreakHyphen" if in_run > 0 => out.push('-'),
                "p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_t = in_t.saturating_sub(1),
                "r" => in_run = in_run.saturating_sub(1),
                "Fallback" => in_fallback = in_fallback.saturating_sub(1),
                "p" if visible => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_t > 0 && visible => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_t > 0 && visible => out.push_str(&t),
            Event::GeneralRef(r) if in_t > 0 && visible => push_ref(out, &r),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// ODF: text lives in `text:p` and `text:h`; spaces, tabs and line breaks are elements.
fn walk_odt<R: std::io::BufRead>(
    xml: &mut Reader<R>,
    out: &mut TextSink,
) -> Result<(), quick_xml::Error> {
    let mut buf = Vec::new();
    let mut in_par = 0usize;
    loop {
        if out.full() {
            return Ok(());
        }
        buf.clear();
        match xml.read_event_into(&mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" | "h" => in_par += 1,
                "s" if in_par > 0 => out.push(' '),
                "tab" if in_par > 0 => out.push('\t'),
                "line-break" if in_par > 0 => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "p" | "h" => out.push('\n'),
                // `text:s` stands for one space, or `text:c` of them; capped
                // because the count is attacker-chosen and only a few matter.
                "s" if in_par > 0 => {
                    let n = e
                        .try_get_attribute("text:c")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.trim().parse().ok())
                        .unwrap_or(1usize)
                        .clamp(1, 8);
                    for _ in 0..n {
                        out.push(' ');
                    }
                }
                "tab" if in_par > 0 => out.push('\t'),
                "line-break" if in_par > 0 => out.push('\n'),
                _ => {}
            },
            Event::End(e) => {
                if matches!(e.local_name().as_ref(), "p" | "h") {
                    in_par = in_par.saturating_sub(1);
                    out.push('\n');
                }
            }
            Event::Text(t) if in_par > 0 => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_par > 0 => out.push_str(&t),
            Event::GeneralRef(r) if in_par > 0 => push_ref(out, &r),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn build_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in members {
            let opts = if *name == "mimetype" {
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
            } else {
                SimpleFileOptions::default()
            };
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn docx(body: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>{body}</w:body></w:document>"#
        );
        build_zip(&[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#),
            ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#),
            ("word/document.xml", xml.as_bytes()),
        ])
    }

    fn odt(body: &str) -> Vec<u8> {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:automatic-styles><style:style xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" style:name="P1"/></office:automatic-styles>
<office:body><office:text>{body}</office:text></office:body></office:document-content>"#
        );
        build_zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", xml.as_bytes()),
            ("META-INF/manifest.xml", b"<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"/>"),
        ])
    }

    /// A one-page PDF with Helvetica text, written by hand with a correct xref table.
    pub(crate) fn minimal_pdf(lines: &[&str]) -> Vec<u8> {
        let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
        for l in lines {
            let esc = l
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            content.push_str(&format!("({esc}) Tj T*\n"));
        }
        content.push_str("ET");
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
        ];
        let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
        }
        let xref = pdf.len();
        let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for o in offsets {
            tail.push_str(&format!("{o:010} 00000 n \n"));
        }
        tail.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        ));
        pdf.extend_from_slice(tail.as_bytes());
        pdf
    }

    fn text(bytes: &[u8], f: DocFormat) -> String {
        document_text(bytes, f, &TextLimits::default()).unwrap()
    }

    #[test]
    fn defaults() {
        let l = TextLimits::default();
        assert_eq!(l.max_input_bytes, 20 * 1024 * 1024);
        assert_eq!(l.max_output_chars, 50_000);
        assert_eq!(l.max_xml_bytes, 16 * 1024 * 1024);
    }

    #[test]
    fn reads_hand_written_pdf() {
        let pdf = minimal_pdf(&[
            "Curriculum Vitae",
            "Experience professionnelle",
            "2015 - 2019",
        ]);
        assert_eq!(
            DocFormat::detect(None, "application/octet-stream", &pdf),
            DocFormat::Pdf
        );
        let t = text(&pdf, DocFormat::Pdf);
        assert!(t.contains("Curriculum Vitae"), "{t:?}");
        assert!(t.contains("Experience professionnelle"), "{t:?}");
        assert!(t.contains("2015 - 2019"), "{t:?}");
    }

    #[test]
    fn bad_pdf_is_an_error_not_a_panic() {
        for junk in [
            b"%PDF-1.4\n".as_slice(),
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\nstartxref\n999999\n%%EOF",
            b"",
            b"not a pdf at all",
        ] {
            let r = document_text(junk, DocFormat::Pdf, &TextLimits::default());
            assert!(matches!(r, Err(TextError::Pdf(_))), "{r:?}");
        }
    }

    #[test]
    fn pdf_reader_panic_is_caught() {
        // pdf-extract 0.12 `expect`s a MediaBox; blanking it (same length, so
        // the xref stays right) makes it panic. The panic message still goes
        // to stderr through the panic hook.
        let pdf = minimal_pdf(&["Curriculum Vitae"]);
        let needle = b"/MediaBox [0 0 612 792]";
        let at = pdf.windows(needle.len()).position(|w| w == needle).unwrap();
        let mut broken = pdf.clone();
        broken[at..at + needle.len()].fill(b' ');
        assert!(matches!(
            document_text(&broken, DocFormat::Pdf, &TextLimits::default()),
            Err(TextError::Pdf(e)) if e.contains("panicked")
        ));
    }

    #[test]
    fn reads_docx_runs_and_paragraphs() {
        let d = docx(concat!(
            "<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr><w:r><w:t>Madame, </w:t></w:r><w:r><w:t xml:space=\"preserve\">Monsieur,</w:t></w:r></w:p>",
            "<w:p><w:r><w:t>Je vous &amp; vous</w:t><w:tab/><w:t>&#233;t&#xE9;</w:t><w:noBreakHyphen/><w:br/></w:r></w:p>",
            "<w:p><w:r><w:instrText>HYPERLINK \"x\"</w:instrText><w:delText>effacé</w:delText></w:r></w:p>",
            "<w:p><mc:AlternateContent><mc:Choice><w:t>boite</w:t></mc:Choice><mc:Fallback><w:t>boite</w:t></mc:Fallback></mc:AlternateContent></w:p>",
            "<w:p/>",
        ));
        assert_eq!(DocFormat::detect(None, "", &d), DocFormat::Docx);
        let t = text(&d, DocFormat::Docx);
        assert_eq!(t, "Madame, Monsieur,\nJe vous & vous\tété-\n\n\nboite\n\n");
    }

    #[test]
    fn reads_odt_paragraphs_and_headings() {
        let o = odt(concat!(
            "<text:h text:outline-level=\"1\">Expérience professionnelle</text:h>",
            "<text:p>2015<text:s text:c=\"3\"/>- 2019<text:tab/>Chargé de projet</text:p>",
            "<text:list><text:list-item><text:p>Gestion &lt;budget&gt;</text:p></text:list-item></text:list>",
            "<text:p/>",
        ));
        assert_eq!(DocFormat::detect(None, "", &o), DocFormat::Odt);
        let t = text(&o, DocFormat::Odt);
        assert_eq!(
            t,
            "Expérience professionnelle\n2015   - 2019\tChargé de projet\nGestion <budget>\n\n"
        );
    }

    #[test]
    fn docx_without_document_part_is_a_zip_error() {
        let z = build_zip(&[("a.txt", b"x")]);
        assert!(matches!(
            document_text(&z, DocFormat::Docx, &TextLimits::default()),
            Err(TextError::Zip(_))
        ));
        assert!(matches!(
            document_text(b"PK\x03\x04garbage", DocFormat::Odt, &TextLimits::default()),
            Err(TextError::Zip(_))
        ));
    }

    #[test]
    fn xml_read_is_bounded_by_max_xml_bytes() {
        // 64 MiB of text inside one w:t compresses to ~64 KiB; only 1 MiB may be read.
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("word/document.xml", SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>")
            .unwrap();
        let chunk = vec![b'a'; 1024 * 1024];
        for _ in 0..64 {
            w.write_all(&chunk).unwrap();
        }
        w.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
            .unwrap();
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 1024 * 1024);
        let limits = TextLimits {
            max_xml_bytes: 1024 * 1024,
            max_output_chars: 10_000_000,
            ..TextLimits::default()
        };
        // Cut mid-text: what was read before the cut comes back, and no more
        // than the bound was decompressed.
        let t = document_text(&bomb, DocFormat::Docx, &limits).unwrap();
        assert!(
            t.len() <= 1024 * 1024 && t.len() > 1000 * 1024,
            "{}",
            t.len()
        );
        assert!(t.bytes().all(|b| b == b'a'));
    }

    #[test]
    fn output_is_truncated_on_char_boundary() {
        let limits = TextLimits {
            max_output_chars: 5,
            ..TextLimits::default()
        };
        let t = document_text("ééééééééé".as_bytes(), DocFormat::Text, &limits).unwrap();
        assert_eq!(t, "ééééé");
        let d = docx("<w:p><w:r><w:t>abcdefghij</w:t></w:r></w:p>");
        assert_eq!(
            document_text(&d, DocFormat::Docx, &limits).unwrap(),
            "abcde"
        );
    }

    #[test]
    fn too_large_and_unsupported() {
        let limits = TextLimits {
            max_input_bytes: 3,
            ..TextLimits::default()
        };
        assert!(matches!(
            document_text(b"abcd", DocFormat::Text, &limits),
            Err(TextError::TooLarge)
        ));
        for f in [
            DocFormat::Doc,
            DocFormat::Image,
            DocFormat::Html,
            DocFormat::Zip,
            DocFormat::Other,
        ] {
            assert!(matches!(
                document_text(b"x", f, &TextLimits::default()),
                Err(TextError::Unsupported(g)) if g == f
            ));
        }
    }

    #[test]
    fn plain_text_encodings() {
        assert_eq!(text("Lettre é".as_bytes(), DocFormat::Text), "Lettre é");
        assert_eq!(text(b"\xEF\xBB\xBFabc", DocFormat::Text), "abc");
        assert_eq!(
            text(b"Exp\xE9rience \x96 \x80", DocFormat::Text),
            "Expérience – €"
        );
        assert_eq!(text(b"\xFF\xFEh\0\xE9\0", DocFormat::Text), "hé");
        assert_eq!(text(b"\xFE\xFF\0h\0\xE9", DocFormat::Text), "hé");
    }

    #[test]
    fn rtf_is_stripped() {
        let rtf =
            br"{\rtf1\ansi\deff0{\fonttbl{\f0 Times New Roman;}}{\colortbl;\red0\green0\blue0;}
{\*\generator Msftedit;}{\info{\title CV}}\f0\fs24 Madame, Monsieur,\par
Je vous prie d'agr\'e9er\tab mes \u8217?salutations\par
{\b Exp\u233\'e9rience} \{ok\}}";
        let t = text(rtf, DocFormat::Rtf);
        assert_eq!(
            t,
            "Madame, Monsieur,\nJe vous prie d'agréer\tmes \u{2019}salutations\nExpérience {ok}"
        );
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        const FORMATS: [DocFormat; 10] = [
            DocFormat::Pdf,
            DocFormat::Docx,
            DocFormat::Odt,
            DocFormat::Doc,
            DocFormat::Rtf,
            DocFormat::Text,
            DocFormat::Html,
            DocFormat::Image,
            DocFormat::Zip,
            DocFormat::Other,
        ];

        fn small_limits() -> TextLimits {
            TextLimits {
                max_input_bytes: 64 * 1024,
                max_output_chars: 1000,
                max_xml_bytes: 64 * 1024,
            }
        }

        fn check_output(r: Result<String, TextError>, limits: &TextLimits) {
            if let Ok(t) = r {
                assert!(t.chars().count() <= limits.max_output_chars);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]

            #[test]
            fn arbitrary_bytes_never_panic(
                bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                which in 0usize..10,
            ) {
                let limits = small_limits();
                check_output(document_text(&bytes, FORMATS[which], &limits), &limits);
            }

            #[test]
            fn prefixed_bytes_never_panic(
                tail in proptest::collection::vec(any::<u8>(), 0..2048),
                which in 0usize..3,
            ) {
                let (prefix, format): (&[u8], DocFormat) = [
                    (b"%PDF-1.4\n".as_slice(), DocFormat::Pdf),
                    (b"{\\rtf1 ".as_slice(), DocFormat::Rtf),
                    (b"PK\x03\x04".as_slice(), DocFormat::Docx),
                ][which];
                let mut bytes = prefix.to_vec();
                bytes.extend(tail);
                let limits = small_limits();
                check_output(document_text(&bytes, format, &limits), &limits);
            }

            #[test]
            fn rtf_soup_never_panics(
                parts in proptest::collection::vec(
                    prop_oneof![
                        Just("{"), Just("}"), Just("\\"), Just("\\'"), Just("e9"), Just("\\u"),
                        Just("-"), Just("65535"), Just("99999999999999"), Just("\\uc"), Just("\\*"),
                        Just("\\fonttbl"), Just("\\par "), Just("x"), Just("\n"), Just("é"),
                    ],
                    0..300,
                )
            ) {
                let limits = small_limits();
                check_output(document_text(parts.concat().as_bytes(), DocFormat::Rtf, &limits), &limits);
            }

            #[test]
            fn mutated_documents_never_panic(
                flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
                which in 0usize..3,
            ) {
                let (mut bytes, format) = match which {
                    0 => (docx("<w:p><w:r><w:t>Madame &amp; Monsieur</w:t></w:r></w:p>"), DocFormat::Docx),
                    1 => (odt("<text:p>Formation<text:s text:c=\"2\"/>2015</text:p>"), DocFormat::Odt),
                    _ => (minimal_pdf(&["Curriculum Vitae", "2015 - 2019"]), DocFormat::Pdf),
                };
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                let limits = small_limits();
                check_output(document_text(&bytes, format, &limits), &limits);
            }
        }
    }
}
