//! Looking into a zip without trusting it (the bytes come from strangers): whether it is a
//! DOCX, an ODT, another office container or an archive of documents, and how many entries
//! it declares, each read bounded, before the zip crate builds anything.

use std::io::{Cursor, Read};

use super::format::DocFormat;

/// Office documents have a few dozen parts at most; a zip declaring more than
/// this is not inspected as an office document (opening it would cost memory
/// proportional to its central directory, for nothing).
const MAX_OFFICE_ZIP_ENTRIES: u64 = 10_000;

/// Bytes read from a zip's `mimetype` member (ODF). The longest ODF text
/// mimetype is well under this.
const MAX_MIMETYPE_BYTES: u64 = 128;

pub(super) const ODT_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.text";

/// Tells a DOCX or an ODT from a plain zip by looking at the members.
pub(super) fn inspect_zip(bytes: &[u8], by_ext: Option<DocFormat>) -> DocFormat {
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
