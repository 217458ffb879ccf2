//! Document vocabulary: what a filed document is (`DocumentKind`), where it came
//! from (`DocumentSource`), what format its bytes are in (`DocFormat`), and how a
//! candidate-supplied file name is turned into something safe to show
//! (`display_filename`).
//!
//! Everything here is pure: no I/O, no logging. Format detection looks inside
//! zip containers (to tell DOCX and ODT from a plain archive), always with
//! bounded reads, because the bytes come from strangers.

use std::fmt;
use std::io::{Cursor, Read};
use std::str::FromStr;

use unicode_normalization::UnicodeNormalization;

/// Error returned by the `FromStr` impls of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct ParseEnumError {
    /// Which enum was being parsed ("document kind", …).
    pub what: &'static str,
    /// The rejected input, capped so that a hostile value cannot bloat an error message.
    pub value: String,
}

impl ParseEnumError {
    fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.chars().take(64).collect(),
        }
    }
}

/// What a document is for the recruiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    Cv,
    Letter,
    Other,
}

impl DocumentKind {
    /// Stable lowercase name, used in the database and in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Cv => "cv",
            DocumentKind::Letter => "letter",
            DocumentKind::Other => "other",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentKind {
    type Err = ParseEnumError;

    // Case-insensitive because the same strings arrive from CLI filters typed by people.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        [DocumentKind::Cv, DocumentKind::Letter, DocumentKind::Other]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseEnumError::new("document kind", s))
    }
}

/// Where in the message a document was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentSource {
    /// A MIME part (attachment or inline part) of the message.
    Attachment,
    /// The message body itself (the letter written in the email).
    Body,
    /// A file extracted from an archive attached to the message.
    Archive,
}

impl DocumentSource {
    /// Stable lowercase name, used in the database and in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentSource::Attachment => "attachment",
            DocumentSource::Body => "body",
            DocumentSource::Archive => "archive",
        }
    }
}

impl fmt::Display for DocumentSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentSource {
    type Err = ParseEnumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        [
            DocumentSource::Attachment,
            DocumentSource::Body,
            DocumentSource::Archive,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(t))
        .ok_or_else(|| ParseEnumError::new("document source", s))
    }
}

/// The format of a document's bytes, as far as applymail cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    Pdf,
    Docx,
    Odt,
    /// Legacy Word (OLE2 compound file).
    Doc,
    Rtf,
    Text,
    Html,
    Image,
    /// A plain zip archive (not an office document); expanded separately.
    Zip,
    Other,
}

/// Office documents have a few dozen parts at most; a zip declaring more than
/// this is not inspected as an office document (opening it would cost memory
/// proportional to its central directory, for nothing).
const MAX_OFFICE_ZIP_ENTRIES: u64 = 10_000;

/// Bytes read from a zip's `mimetype` member (ODF). The longest ODF text
/// mimetype is well under this.
const MAX_MIMETYPE_BYTES: u64 = 128;

const ODT_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.text";

impl DocFormat {
    const ALL: [DocFormat; 10] = [
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

    /// Stable lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            DocFormat::Pdf => "pdf",
            DocFormat::Docx => "docx",
            DocFormat::Odt => "odt",
            DocFormat::Doc => "doc",
            DocFormat::Rtf => "rtf",
            DocFormat::Text => "text",
            DocFormat::Html => "html",
            DocFormat::Image => "image",
            DocFormat::Zip => "zip",
            DocFormat::Other => "other",
        }
    }

    /// Whether a part in this format can be a CV or a letter.
    ///
    /// `Text` answers true: a `.txt` attachment can be a letter. Whether a text
    /// part is an attachment or just the message body is the caller's call.
    /// `Image` answers true because scanned CVs arrive as photos; telling a
    /// signature logo from a scan (inline, tiny, referenced by the HTML) is
    /// also the caller's call. `Zip` answers false: archives are expanded and
    /// their members judged one by one.
    pub fn is_document(self) -> bool {
        matches!(
            self,
            DocFormat::Pdf
                | DocFormat::Docx
                | DocFormat::Odt
                | DocFormat::Doc
                | DocFormat::Rtf
                | DocFormat::Text
                | DocFormat::Image
        )
    }

    /// Detects the format: magic bytes first, then the file name's extension,
    /// then the declared content type.
    ///
    /// Magic bytes win because mail clients routinely send documents as
    /// `application/octet-stream` and candidates rename files; the extension
    /// comes next because it is what the candidate's own software wrote; the
    /// MIME type is the sender's mail client guessing, so it comes last.
    pub fn detect(filename: Option<&str>, content_type: &str, bytes: &[u8]) -> DocFormat {
        let by_ext = filename.and_then(format_from_extension);
        if let Some(f) = format_from_magic(bytes, by_ext) {
            return f;
        }
        if let Some(f) = by_ext {
            return f;
        }
        format_from_content_type(content_type).unwrap_or(DocFormat::Other)
    }
}

impl fmt::Display for DocFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocFormat {
    type Err = ParseEnumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        DocFormat::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| ParseEnumError::new("document format", s))
    }
}

fn format_from_magic(bytes: &[u8], by_ext: Option<DocFormat>) -> Option<DocFormat> {
    if bytes.starts_with(b"%PDF-") {
        return Some(DocFormat::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(inspect_zip(bytes, by_ext));
    }
    // An empty zip, or a spanned-archive marker: a zip in any case, with nothing in it.
    if bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        return Some(DocFormat::Zip);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // OLE2 also holds .xls, .ppt, .msg and password-protected DOCX files.
        // Only an explicit non-Word extension makes it something else.
        return Some(match by_ext {
            Some(DocFormat::Other) => DocFormat::Other,
            _ => DocFormat::Doc,
        });
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some(DocFormat::Rtf);
    }
    if is_image_magic(bytes) {
        return Some(DocFormat::Image);
    }
    // The PDF spec tolerates junk before the header; readers look in the first KiB. Checked
    // last: a stored zip holding a PDF has "%PDF-" in its first KiB too.
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(DocFormat::Pdf);
    }
    None
}

fn is_image_magic(b: &[u8]) -> bool {
    if b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
    {
        return true;
    }
    if b.len() >= 12 && b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP".as_slice()) {
        return true;
    }
    // ISO-BMFF images (HEIC from iPhones, AVIF): "ftyp" box at offset 4 with an image brand.
    const BRANDS: [&[u8]; 9] = [
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    ];
    b.get(4..8) == Some(b"ftyp".as_slice()) && b.get(8..12).is_some_and(|br| BRANDS.contains(&br))
}

/// Tells a DOCX or an ODT from a plain zip by looking at the members.
fn inspect_zip(bytes: &[u8], by_ext: Option<DocFormat>) -> DocFormat {
    // ODF puts an uncompressed `mimetype` member first, so its value can be
    // read straight from the first local header without opening the archive.
    if stored_first_mimetype(bytes) == Some(ODT_MIMETYPE) {
        return DocFormat::Odt;
    }
    if zip_declared_entries(bytes).is_some_and(|n| n > MAX_OFFICE_ZIP_ENTRIES) {
        return DocFormat::Zip;
    }
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Unreadable: a truncated DOCX still says what it meant to be by its name.
        return match by_ext {
            Some(f @ (DocFormat::Docx | DocFormat::Odt)) => f,
            _ => DocFormat::Zip,
        };
    };
    if archive.index_for_name("word/document.xml").is_some() {
        return DocFormat::Docx;
    }
    if let Ok(mut member) = archive.by_name("mimetype") {
        let mut value = Vec::new();
        if (&mut member)
            .take(MAX_MIMETYPE_BYTES)
            .read_to_end(&mut value)
            .is_ok()
        {
            let value = value.trim_ascii();
            if value == ODT_MIMETYPE {
                return DocFormat::Odt;
            }
            // Spreadsheets, presentations, EPUB…: a container, but not an archive of documents.
            if !value.is_empty() {
                return DocFormat::Other;
            }
        }
    }
    // Other OOXML parts (xlsx, pptx) are not archives a candidate meant us to open.
    if archive.index_for_name("[Content_Types].xml").is_some() {
        return DocFormat::Other;
    }
    DocFormat::Zip
}

/// The data of the first local entry when it is a stored (uncompressed) member
/// named `mimetype`, as ODF requires.
fn stored_first_mimetype(bytes: &[u8]) -> Option<&[u8]> {
    let u16_at = |at: usize| -> Option<usize> {
        Some(usize::from(u16::from_le_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
        ])))
    };
    let method = u16_at(8)?;
    let size = u16_at(18)? | (u16_at(20)? << 16);
    let name_len = u16_at(26)?;
    let extra_len = u16_at(28)?;
    if method != 0 || name_len != 8 || bytes.get(30..38)? != b"mimetype" {
        return None;
    }
    let start = 38 + extra_len;
    let len = size.min(MAX_MIMETYPE_BYTES as usize);
    bytes.get(start..start + len).map(<[u8]>::trim_ascii)
}

/// The entry count a zip declares in its end-of-central-directory record, read
/// without building the central directory. `None` when no record is found.
///
/// Used to refuse archives with absurd entry counts before the zip crate
/// allocates one record per entry.
pub(crate) fn zip_declared_entries(bytes: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const EOCD_LEN: usize = 22;
    let start = bytes.len().saturating_sub(EOCD_LEN + usize::from(u16::MAX));
    let tail = bytes.get(start..)?;
    let rel = tail.windows(4).rposition(|w| w == EOCD)?;
    let pos = start + rel;
    let total = u16::from_le_bytes([*bytes.get(pos + 10)?, *bytes.get(pos + 11)?]);
    if total != u16::MAX {
        return Some(u64::from(total));
    }
    // Zip64: the locator sits just before the EOCD and points at the zip64 record.
    let loc = pos.checked_sub(20)?;
    if bytes.get(loc..loc + 4)? != b"PK\x06\x07" {
        return Some(u64::from(total));
    }
    let off = read_u64(bytes, loc + 8)?;
    let rec = usize::try_from(off).ok()?;
    if bytes.get(rec..rec + 4)? != b"PK\x06\x06" {
        return Some(u64::from(total));
    }
    read_u64(bytes, rec + 32)
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let s = bytes.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

fn format_from_extension(filename: &str) -> Option<DocFormat> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let (_, ext) = base.rsplit_once('.')?;
    let ext = ext.trim().to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => DocFormat::Pdf,
        "docx" | "docm" | "dotx" | "dotm" => DocFormat::Docx,
        "odt" | "ott" => DocFormat::Odt,
        "doc" | "dot" => DocFormat::Doc,
        "rtf" => DocFormat::Rtf,
        "txt" | "text" => DocFormat::Text,
        "htm" | "html" | "xhtml" => DocFormat::Html,
        "png" | "jpg" | "jpeg" | "jpe" | "gif" | "tif" | "tiff" | "heic" | "heif" | "webp"
        | "bmp" | "avif" => DocFormat::Image,
        "zip" => DocFormat::Zip,
        // Known non-documents: said explicitly so that OLE2 magic does not make them Doc.
        "xls" | "xlsx" | "ppt" | "pptx" | "msg" | "ods" | "odp" | "csv" => DocFormat::Other,
        _ => return None,
    })
}

fn format_from_content_type(content_type: &str) -> Option<DocFormat> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Some(match essence.as_str() {
        "application/pdf" | "application/x-pdf" | "application/acrobat" => DocFormat::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            DocFormat::Docx
        }
        "application/vnd.oasis.opendocument.text" => DocFormat::Odt,
        "application/msword" | "application/doc" => DocFormat::Doc,
        "application/rtf" | "application/x-rtf" | "text/rtf" | "text/richtext" => DocFormat::Rtf,
        "text/plain" => DocFormat::Text,
        "text/html" | "application/xhtml+xml" => DocFormat::Html,
        "application/zip"
        | "application/x-zip"
        | "application/x-zip-compressed"
        | "multipart/x-zip" => DocFormat::Zip,
        e if e.starts_with("image/") => DocFormat::Image,
        // application/octet-stream and friends say nothing.
        _ => return None,
    })
}

/// Maximum length of a display name, in bytes (the usual file-system limit).
const MAX_NAME_BYTES: usize = 255;

/// Turns a candidate-supplied file name into a name fit to show and to keep as
/// data. It is never used as a path.
///
/// Keeps the last non-empty path component (after `/` or `\`), removes control
/// characters and bidirectional overrides (which can make `exe.pdf` display as
/// `fdp.exe`), NFC-normalizes (macOS zips carry decomposed accents), trims
/// dots and spaces at both ends, and caps the result at 255 bytes, keeping a
/// short extension. An empty result becomes `"unnamed"`.
pub fn display_filename(raw: &str) -> String {
    let last = raw
        .split(['/', '\\'])
        .rev()
        .find(|c| {
            c.chars()
                .any(|ch| !is_unsafe_char(ch) && ch != '.' && !ch.is_whitespace())
        })
        .unwrap_or("");
    let cleaned: String = last.chars().filter(|&c| !is_unsafe_char(c)).nfc().collect();
    let trimmed = trim_name(&cleaned);
    let capped = cap_name(trimmed);
    if capped.is_empty() {
        "unnamed".to_owned()
    } else {
        capped
    }
}

fn trim_name(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn cap_name(s: &str) -> String {
    if s.len() <= MAX_NAME_BYTES {
        return s.to_owned();
    }
    // Keep the extension when it is short, so that a long name still opens with the right program.
    let ext = s
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 16);
    let budget = match ext {
        Some(e) => MAX_NAME_BYTES - e.len() - 1,
        None => MAX_NAME_BYTES,
    };
    let mut cut = budget.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = trim_name(&s[..cut]);
    match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn zip_with(members: &[(&str, &[u8])], stored_first: bool) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (i, (name, data)) in members.iter().enumerate() {
            let opts = if stored_first && i == 0 {
                SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored)
            } else {
                SimpleFileOptions::default()
            };
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn enums_round_trip() {
        for k in [DocumentKind::Cv, DocumentKind::Letter, DocumentKind::Other] {
            assert_eq!(k.as_str().parse::<DocumentKind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
        }
        for s in [
            DocumentSource::Attachment,
            DocumentSource::Body,
            DocumentSource::Archive,
        ] {
            assert_eq!(s.as_str().parse::<DocumentSource>(), Ok(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        for f in DocFormat::ALL {
            assert_eq!(f.as_str().parse::<DocFormat>(), Ok(f));
        }
        assert_eq!("CV".parse::<DocumentKind>(), Ok(DocumentKind::Cv));
        assert!("resume".parse::<DocumentKind>().is_err());
        assert!("".parse::<DocumentSource>().is_err());
    }

    #[test]
    fn detects_by_magic_over_name_and_type() {
        let pdf = b"%PDF-1.4\n...";
        assert_eq!(
            DocFormat::detect(Some("cv.docx"), "application/octet-stream", pdf),
            DocFormat::Pdf
        );
        assert_eq!(
            DocFormat::detect(None, "", b"junk\n%PDF-1.7"),
            DocFormat::Pdf
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(DocFormat::detect(Some("cv.doc"), "", &ole), DocFormat::Doc);
        assert_eq!(DocFormat::detect(None, "", &ole), DocFormat::Doc);
        assert_eq!(DocFormat::detect(Some("t.xls"), "", &ole), DocFormat::Other);
        assert_eq!(
            DocFormat::detect(None, "", b"{\\rtf1\\ansi hi}"),
            DocFormat::Rtf
        );
        assert_eq!(
            DocFormat::detect(Some("x.pdf"), "", b"\x89PNG\r\n\x1a\n...."),
            DocFormat::Image
        );
        assert_eq!(
            DocFormat::detect(None, "", &[0xFF, 0xD8, 0xFF, 0xE0]),
            DocFormat::Image
        );
        assert_eq!(DocFormat::detect(None, "", b"GIF89a.."), DocFormat::Image);
        assert_eq!(DocFormat::detect(None, "", b"II*\0...."), DocFormat::Image);
        assert_eq!(
            DocFormat::detect(None, "", b"RIFF\0\0\0\0WEBPVP8 "),
            DocFormat::Image
        );
        assert_eq!(
            DocFormat::detect(None, "", b"\0\0\0\x18ftypheic\0\0\0\0"),
            DocFormat::Image
        );
    }

    #[test]
    fn inspects_zip_members() {
        let docx = zip_with(
            &[
                ("[Content_Types].xml", b"<Types/>"),
                ("word/document.xml", b"<w:document/>"),
            ],
            false,
        );
        assert_eq!(
            DocFormat::detect(Some("x.zip"), "application/zip", &docx),
            DocFormat::Docx
        );
        let odt = zip_with(
            &[
                ("mimetype", ODT_MIMETYPE),
                ("content.xml", b"<office:document-content/>"),
            ],
            true,
        );
        assert_eq!(DocFormat::detect(None, "", &odt), DocFormat::Odt);
        // Same, but compressed mimetype: found by opening the archive.
        let odt2 = zip_with(
            &[("content.xml", b"<x/>"), ("mimetype", ODT_MIMETYPE)],
            false,
        );
        assert_eq!(DocFormat::detect(None, "", &odt2), DocFormat::Odt);
        let ods = zip_with(
            &[(
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet".as_slice(),
            )],
            true,
        );
        assert_eq!(DocFormat::detect(None, "", &ods), DocFormat::Other);
        let plain = zip_with(&[("CV.pdf", b"%PDF-1.4"), ("LM.pdf", b"%PDF-1.4")], false);
        assert_eq!(
            DocFormat::detect(Some("Dossier.docx"), "", &plain),
            DocFormat::Zip
        );
        // Truncated: the name decides between office formats, otherwise a zip.
        let cut = &docx[..20];
        assert_eq!(DocFormat::detect(Some("a.docx"), "", cut), DocFormat::Docx);
        assert_eq!(DocFormat::detect(None, "", cut), DocFormat::Zip);
        assert_eq!(zip_declared_entries(&plain), Some(2));
    }

    #[test]
    fn falls_back_to_extension_then_content_type() {
        assert_eq!(
            DocFormat::detect(Some("Lettre.TXT"), "application/octet-stream", b"Madame"),
            DocFormat::Text
        );
        assert_eq!(
            DocFormat::detect(Some("page.html"), "", b"<p>x"),
            DocFormat::Html
        );
        assert_eq!(
            DocFormat::detect(Some("noext"), "text/plain; charset=utf-8", b"x"),
            DocFormat::Text
        );
        assert_eq!(
            DocFormat::detect(None, "Application/PDF", b"not really"),
            DocFormat::Pdf
        );
        assert_eq!(
            DocFormat::detect(None, "image/jpeg", b"??"),
            DocFormat::Image
        );
        assert_eq!(
            DocFormat::detect(None, "application/octet-stream", b"??"),
            DocFormat::Other
        );
        assert_eq!(DocFormat::detect(Some("a.zip"), "", b"??"), DocFormat::Zip);
        assert_eq!(
            DocFormat::detect(None, "application/x-zip-compressed", b""),
            DocFormat::Zip
        );
    }

    #[test]
    fn is_document_table() {
        use DocFormat::*;
        for f in [Pdf, Docx, Odt, Doc, Rtf, Text, Image] {
            assert!(f.is_document(), "{f}");
        }
        for f in [Zip, Html, Other] {
            assert!(!f.is_document(), "{f}");
        }
    }

    #[test]
    fn display_filename_cleans() {
        let cases: &[(&str, &str)] = &[
            ("CV.pdf", "CV.pdf"),
            ("../../../../tmp/applymail_test.sh", "applymail_test.sh"),
            ("C:\\Users\\moi\\Documents\\CV.pdf", "CV.pdf"),
            ("dir/sub/", "sub"),
            ("a\0b\x07c.pdf", "abc.pdf"),
            ("CV\u{202E}fdp.exe", "CVfdp.exe"),
            ("\u{2066}x\u{2069}.pdf\u{200F}", "x.pdf"),
            ("  ..hidden. ", "hidden"),
            ("..", "unnamed"),
            ("", "unnamed"),
            ("/", "unnamed"),
            ("\u{1}\u{2}", "unnamed"),
            ("Nume\u{301}risation.pdf", "Numérisation.pdf"),
            (
                "Numérisation 17 juin 2021 (1).pdf",
                "Numérisation 17 juin 2021 (1).pdf",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(display_filename(raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn display_filename_caps_length_on_char_boundary() {
        let long = format!("{}.pdf", "é".repeat(300));
        let out = display_filename(&long);
        assert!(out.len() <= MAX_NAME_BYTES, "{}", out.len());
        assert!(out.ends_with(".pdf"));
        let noext = "x".repeat(1000);
        assert_eq!(display_filename(&noext).len(), MAX_NAME_BYTES);
        let weird_ext = format!("a.{}", "é".repeat(200));
        assert!(display_filename(&weird_ext).len() <= MAX_NAME_BYTES);
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn detect_never_panics(
                name in proptest::option::of(".{0,40}"),
                ct in ".{0,60}",
                bytes in proptest::collection::vec(any::<u8>(), 0..512),
            ) {
                let _ = DocFormat::detect(name.as_deref(), &ct, &bytes);
            }

            #[test]
            fn detect_never_panics_on_zip_like_bytes(
                tail in proptest::collection::vec(any::<u8>(), 0..512),
                prefix in prop_oneof![
                    Just(b"PK\x03\x04".to_vec()),
                    Just(b"PK\x05\x06".to_vec()),
                    Just(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08\0\0\0mimetype".to_vec()),
                ],
            ) {
                let mut bytes = prefix;
                bytes.extend(tail);
                let _ = DocFormat::detect(None, "", &bytes);
                let _ = zip_declared_entries(&bytes);
            }

            #[test]
            fn display_filename_is_always_safe(raw in "\\PC{0,300}|.{0,300}") {
                let out = display_filename(&raw);
                prop_assert!(!out.is_empty());
                prop_assert!(out.len() <= MAX_NAME_BYTES);
                prop_assert!(!out.contains(['/', '\\']));
                prop_assert!(!out.chars().any(is_unsafe_char));
                prop_assert!(out != "." && out != "..");
            }
        }
    }
}
