//! What format a document's bytes are in, as far as applymail cares: magic bytes first, then
//! the file name's extension, then the declared content type. A zip is looked into
//! ([`super::zip_inspect`]) to tell DOCX and ODT from an archive.

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

use super::zip_inspect::inspect_zip;

/// The format of a document's bytes, as far as applymail cares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case", ascii_case_insensitive)]
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

impl DocFormat {
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
