//! Document vocabulary: what a filed document is (`DocumentKind`), where it came from
//! (`DocumentSource`), what format its bytes are in (`DocFormat`, [`format`]), and how a
//! candidate-supplied file name is turned into something safe to show
//! (`display_filename`, [`filename`]).
//!
//! Everything here is pure: no I/O, no logging.

mod filename;
mod format;
mod zip_inspect;

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

pub use filename::display_filename;
pub use format::DocFormat;
pub(crate) use zip_inspect::zip_declared_entries;

/// What a document is for the recruiter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case", ascii_case_insensitive)]
pub enum DocumentKind {
    Cv,
    Letter,
    Other,
}

/// Where in the message a document was found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case", ascii_case_insensitive)]
pub enum DocumentSource {
    /// A MIME part (attachment or inline part) of the message.
    Attachment,
    /// The message body itself (the letter written in the email).
    Body,
    /// A file extracted from an archive attached to the message.
    Archive,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::named::Named;
    use filename::{MAX_NAME_BYTES, is_unsafe_char};
    use std::io::Cursor;
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip_inspect::ODT_MIMETYPE;

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
        for f in DocFormat::VARIANTS.iter().copied() {
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
