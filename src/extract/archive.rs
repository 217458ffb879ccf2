//! Expanding a zip attached to an application ("Dossier_candidature.zip") into
//! its files, under limits that hold against zip bombs and crafted archives.
//!
//! Owns the limits, the junk filter (macOS resource forks, `.DS_Store`,
//! `Thumbs.db`, directories, empty files) and the naming of entries: an
//! entry's name is its base file name, cleaned by
//! [`display_filename`], and is data only, never a path.
//!
//! Nested archives are returned as entries, not expanded: the caller decides
//! whether to go one level deeper, with its own budget.
//!
//! These limits bound one archive; the message's own budget, shared by all its
//! archives (`budget.rs`), is passed in and drawn down by every byte
//! decompressed, whether the entry is kept or the archive then refused.

use std::io::{Cursor, Read};

use crate::domain::document::{display_filename, zip_declared_entries};

/// Bounds on one archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Entries in the archive, junk and directories included (each costs work).
    pub max_entries: usize,
    /// Decompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Decompressed bytes of all entries together.
    pub max_total_bytes: u64,
    /// Decompressed / compressed size of one entry. Only checked for entries
    /// above 1 MiB, where a bomb would matter: small text files legitimately
    /// compress better than 100:1.
    pub max_ratio: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_entries: 64,
            max_entry_bytes: 25 * 1024 * 1024,
            max_total_bytes: 50 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

/// One file taken out of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The entry's base file name, cleaned for display; never a path.
    pub name: String,
    /// The decompressed bytes.
    pub bytes: Vec<u8>,
}

/// Why an archive was not expanded. Any error means no entry is returned: a
/// half-expanded archive would file an application with documents silently
/// missing, while an error lets the caller keep the zip itself and say why.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("unreadable zip: {0}")]
    Zip(String),
    #[error("zip has {0} entries, more than allowed")]
    TooManyEntries(usize),
    #[error("zip entry {name:?} is larger than allowed ({size} bytes or more)")]
    EntryTooLarge { name: String, size: u64 },
    #[error("zip content exceeds the total size allowed ({0} bytes or more)")]
    TotalTooLarge(u64),
    #[error("zip entry {name:?} has a suspicious compression ratio")]
    Ratio { name: String },
    #[error("zip entry {name:?} is encrypted")]
    Encrypted { name: String },
    /// The message's archives together would expand past the message's budget: the
    /// caller refuses the message, not only this archive.
    #[error("zip content exceeds what the message's archives may expand to")]
    MessageBudget,
}

/// Entries smaller than this are exempt from the ratio check.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Expands a zip into its files, in archive order.
///
/// Skips directories, symlinks, `__MACOSX/` entries, AppleDouble `._*` files,
/// `.DS_Store`, `Thumbs.db`, `desktop.ini` and empty files. An encrypted entry
/// that is not skipped fails the whole archive with
/// [`ArchiveError::Encrypted`] (there is no password to try). Sizes are
/// enforced on the bytes actually decompressed, not only on what the headers
/// declare. `message_left` is what the message's archives may still expand to:
/// every byte decompressed is taken from it, and an archive that would need more
/// fails with [`ArchiveError::MessageBudget`].
pub fn expand_zip(
    bytes: &[u8],
    limits: &ArchiveLimits,
    message_left: &mut u64,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    // Refuse absurd entry counts before the zip crate builds its index of them.
    if let Some(n) = zip_declared_entries(bytes)
        && n > limits.max_entries as u64
    {
        return Err(ArchiveError::TooManyEntries(
            usize::try_from(n).unwrap_or(usize::MAX),
        ));
    }
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries(archive.len()));
    }

    let mut out = Vec::new();
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let meta = archive
            .by_index_data(index)
            .map_err(|e| ArchiveError::Zip(e.to_string()))?;
        let raw_name = match meta.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(meta.name_raw()).into_owned(),
        };
        if meta.is_dir() || meta.is_symlink() || is_junk(&raw_name) {
            continue;
        }
        let name = display_filename(&raw_name);
        if meta.encrypted() {
            return Err(ArchiveError::Encrypted { name });
        }
        let declared = meta.size();
        let compressed = meta.compressed_size();
        // Cheap refusals from the headers first; the real checks follow on the
        // decompressed bytes, since headers can lie.
        if declared > limits.max_entry_bytes {
            return Err(ArchiveError::EntryTooLarge {
                name,
                size: declared,
            });
        }
        if total.saturating_add(declared) > limits.max_total_bytes {
            return Err(ArchiveError::TotalTooLarge(total.saturating_add(declared)));
        }
        if exceeds_ratio(declared, compressed, limits.max_ratio) {
            return Err(ArchiveError::Ratio { name });
        }
        if declared > *message_left {
            return Err(ArchiveError::MessageBudget);
        }

        let entry = archive
            .by_index(index)
            .map_err(|e| ArchiveError::Zip(format!("{name}: {e}")))?;
        let remaining = limits.max_total_bytes.saturating_sub(total);
        let budget = limits
            .max_entry_bytes
            .min(remaining)
            .min(ratio_allowance(compressed, limits.max_ratio))
            .min(*message_left);
        // Reading one byte past the budget tells "exactly at the limit" from "over it".
        let mut data = Vec::new();
        let read = entry.take(budget.saturating_add(1)).read_to_end(&mut data);
        let got = data.len() as u64;
        // Decompressed is spent, whatever becomes of the entry.
        let over_message = got > *message_left;
        *message_left = message_left.saturating_sub(got);
        read.map_err(|e| ArchiveError::Zip(format!("{name}: {e}")))?;
        if over_message {
            return Err(ArchiveError::MessageBudget);
        }
        if got > limits.max_entry_bytes {
            return Err(ArchiveError::EntryTooLarge { name, size: got });
        }
        if got > remaining {
            return Err(ArchiveError::TotalTooLarge(total + got));
        }
        if exceeds_ratio(got, compressed, limits.max_ratio) {
            return Err(ArchiveError::Ratio { name });
        }
        total += got;
        if data.is_empty() {
            continue;
        }
        out.push(ArchiveEntry { name, bytes: data });
    }
    Ok(out)
}

/// The most bytes an entry may decompress to under the ratio rule.
fn ratio_allowance(compressed: u64, max_ratio: u64) -> u64 {
    compressed.max(1).saturating_mul(max_ratio).max(RATIO_FLOOR)
}

fn exceeds_ratio(size: u64, compressed: u64, max_ratio: u64) -> bool {
    size > ratio_allowance(compressed, max_ratio)
}

/// Files that archivers add behind the user's back.
fn is_junk(raw_name: &str) -> bool {
    let path = raw_name.replace('\\', "/");
    if path.split('/').any(|c| c == "__MACOSX") {
        return true;
    }
    let base = path.rsplit('/').next().unwrap_or("");
    base.starts_with("._")
        || base == ".DS_Store"
        || base.eq_ignore_ascii_case("thumbs.db")
        || base.eq_ignore_ascii_case("desktop.ini")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn build(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in members {
            if name.ends_with('/') {
                w.add_directory(*name, SimpleFileOptions::default())
                    .unwrap();
            } else {
                w.start_file(*name, SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    /// No message budget: these tests are about one archive.
    fn unbounded() -> u64 {
        u64::MAX
    }

    fn names(entries: &[ArchiveEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn defaults() {
        let l = ArchiveLimits::default();
        assert_eq!(
            (
                l.max_entries,
                l.max_entry_bytes,
                l.max_total_bytes,
                l.max_ratio
            ),
            (64, 25 * 1024 * 1024, 50 * 1024 * 1024, 100)
        );
    }

    #[test]
    fn expands_and_skips_junk() {
        let z = build(&[
            ("Dossier/", b""),
            ("Dossier/1-CV-Benkirane.pdf", b"%PDF-1.4 cv"),
            ("Dossier/2-Lettre-Benkirane.pdf", b"%PDF-1.4 lm"),
            ("__MACOSX/", b""),
            ("__MACOSX/Dossier/._1-CV-Benkirane.pdf", b"\0\x05\x16\x07"),
            ("Dossier/._2-Lettre-Benkirane.pdf", b"\0\x05\x16\x07"),
            ("Dossier/.DS_Store", b"Bud1"),
            ("Thumbs.db", b"x"),
            ("empty.txt", b""),
            (
                "inner.zip",
                b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            ),
        ]);
        let entries = expand_zip(&z, &ArchiveLimits::default(), &mut unbounded()).unwrap();
        assert_eq!(
            names(&entries),
            ["1-CV-Benkirane.pdf", "2-Lettre-Benkirane.pdf", "inner.zip"]
        );
        assert_eq!(entries[0].bytes, b"%PDF-1.4 cv");
    }

    #[test]
    fn names_are_base_names_only() {
        let z = build(&[
            ("../../etc/passwd", b"root:x:0:0"),
            ("/abs/path/CV.pdf", b"%PDF"),
            ("dir\\win\\LM.docx", b"PK"),
            ("evil\u{202E}fdp.exe", b"MZ"),
        ]);
        let entries = expand_zip(&z, &ArchiveLimits::default(), &mut unbounded()).unwrap();
        assert_eq!(
            names(&entries),
            ["passwd", "CV.pdf", "LM.docx", "evilfdp.exe"]
        );
    }

    #[test]
    fn zip_bomb_is_refused_with_bounded_memory() {
        // 200 MB of zeros compresses to about 200 KB.
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("bomb.bin", SimpleFileOptions::default().large_file(false))
            .unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..200 {
            w.write_all(&zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let err = expand_zip(&bomb, &ArchiveLimits::default(), &mut unbounded()).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::EntryTooLarge { .. } | ArchiveError::Ratio { .. }
            ),
            "{err:?}"
        );
        // With generous size limits, the ratio still stops it, after reading
        // at most the budget.
        let lenient = ArchiveLimits {
            max_entry_bytes: 300 * 1024 * 1024,
            max_total_bytes: 300 * 1024 * 1024,
            ..ArchiveLimits::default()
        };
        let err = expand_zip(&bomb, &lenient, &mut unbounded()).unwrap_err();
        assert!(matches!(err, ArchiveError::Ratio { .. }), "{err:?}");
    }

    /// Rewrites the declared uncompressed size of every entry (local and
    /// central headers) to `size`, as a crafted archive would.
    fn lie_about_sizes(zip: &mut [u8], size: u32) {
        let mut i = 0;
        while i + 4 <= zip.len() {
            match &zip[i..i + 4] {
                b"PK\x03\x04" if i + 26 <= zip.len() => {
                    zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
                }
                b"PK\x01\x02" if i + 28 <= zip.len() => {
                    zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                }
                _ => {}
            }
            i += 1;
        }
    }

    #[test]
    fn actual_size_is_enforced_when_headers_lie() {
        let payload = vec![b'a'; 64 * 1024];
        let mut z = build(&[("cv.txt", &payload)]);
        lie_about_sizes(&mut z, 10);
        let limits = ArchiveLimits {
            max_entry_bytes: 1024,
            ..ArchiveLimits::default()
        };
        match expand_zip(&z, &limits, &mut unbounded()) {
            // The zip crate itself refuses to read past a declared size (it
            // does today); if it ever stops doing so, our bounded read does.
            Err(ArchiveError::EntryTooLarge { size, .. }) => assert_eq!(size, 1025),
            Err(ArchiveError::Zip(e)) => assert!(e.starts_with("cv.txt: "), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn total_size_is_enforced() {
        let a = vec![1u8; 600];
        let z = build(&[("a", &a), ("b", &a)]);
        let limits = ArchiveLimits {
            max_total_bytes: 1000,
            ..ArchiveLimits::default()
        };
        assert!(matches!(
            expand_zip(&z, &limits, &mut unbounded()),
            Err(ArchiveError::TotalTooLarge(1200))
        ));
        let one = ArchiveLimits {
            max_entry_bytes: 599,
            ..ArchiveLimits::default()
        };
        assert!(matches!(
            expand_zip(&z, &one, &mut unbounded()),
            Err(ArchiveError::EntryTooLarge { ref name, size: 600 }) if name == "a"
        ));
    }

    #[test]
    fn the_message_budget_is_shared_by_its_archives() {
        let a = vec![1u8; 600];
        let z = build(&[("a", &a), ("b", &a)]);
        let mut left = 2_000;
        assert_eq!(
            expand_zip(&z, &ArchiveLimits::default(), &mut left)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(left, 800, "every byte decompressed is taken");
        // The second archive passes its own limits but not what the message has left.
        assert!(matches!(
            expand_zip(&z, &ArchiveLimits::default(), &mut left),
            Err(ArchiveError::MessageBudget)
        ));
    }

    #[test]
    fn bytes_decompressed_are_spent_even_when_the_archive_is_refused() {
        // The first entry is decompressed, the second refuses the archive.
        let z = build(&[("cv.txt", &[b'a'; 600]), ("big.txt", &[b'b'; 2_000])]);
        let limits = ArchiveLimits {
            max_entry_bytes: 1024,
            ..ArchiveLimits::default()
        };
        let mut left = 1_000_000;
        assert!(matches!(
            expand_zip(&z, &limits, &mut left),
            Err(ArchiveError::EntryTooLarge { .. })
        ));
        assert_eq!(left, 1_000_000 - 600);
        // An entry declared larger than what the message has left refuses the message, not
        // only the archive, before anything is decompressed.
        let mut left = 5;
        assert!(matches!(
            expand_zip(&build(&[("cv.txt", b"0123456789")]), &limits, &mut left),
            Err(ArchiveError::MessageBudget)
        ));
        assert_eq!(left, 5);
    }

    #[test]
    fn too_many_entries() {
        let members: Vec<(String, Vec<u8>)> = (0..100)
            .map(|i| (format!("f{i}.txt"), vec![b'x']))
            .collect();
        let refs: Vec<(&str, &[u8])> = members
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let z = build(&refs);
        assert!(matches!(
            expand_zip(&z, &ArchiveLimits::default(), &mut unbounded()),
            Err(ArchiveError::TooManyEntries(100))
        ));
    }

    #[test]
    fn encrypted_entry_fails_the_archive() {
        use zip::unstable::write::FileOptionsExt;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default()
            .with_deprecated_encryption(b"secret")
            .unwrap();
        w.start_file("CV.pdf", opts).unwrap();
        w.write_all(b"%PDF-1.4 secret cv").unwrap();
        let z = w.finish().unwrap().into_inner();
        assert!(matches!(
            expand_zip(&z, &ArchiveLimits::default(), &mut unbounded()),
            Err(ArchiveError::Encrypted { ref name }) if name == "CV.pdf"
        ));
    }

    #[test]
    fn garbage_is_a_zip_error() {
        for junk in [
            b"".as_slice(),
            b"PK\x03\x04",
            b"not a zip",
            b"PK\x05\x06\xff\xff\xff\xff",
        ] {
            assert!(
                matches!(
                    expand_zip(junk, &ArchiveLimits::default(), &mut unbounded()),
                    Err(ArchiveError::Zip(_))
                ),
                "{junk:?}"
            );
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn check(r: Result<Vec<ArchiveEntry>, ArchiveError>, limits: &ArchiveLimits) {
            if let Ok(entries) = r {
                assert!(entries.len() <= limits.max_entries);
                let total: usize = entries.iter().map(|e| e.bytes.len()).sum();
                assert!(total as u64 <= limits.max_total_bytes);
                for e in entries {
                    assert!(!e.bytes.is_empty());
                    assert!(!e.name.is_empty() && e.name.len() <= 255);
                    assert!(!e.name.contains(['/', '\\']));
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn arbitrary_bytes_never_panic(
                tail in proptest::collection::vec(any::<u8>(), 0..2048),
                zip_magic in any::<bool>(),
            ) {
                let mut bytes = if zip_magic { b"PK\x03\x04".to_vec() } else { Vec::new() };
                bytes.extend(tail);
                let limits = ArchiveLimits::default();
                check(expand_zip(&bytes, &limits, &mut unbounded()), &limits);
            }

            #[test]
            fn mutated_zip_never_panics(
                flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8),
                names in proptest::collection::vec("\\PC{0,40}", 1..4),
            ) {
                let members: Vec<(String, Vec<u8>)> = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (format!("{i}{n}"), n.repeat(3).into_bytes()))
                    .collect();
                let refs: Vec<(&str, &[u8])> =
                    members.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
                let mut bytes = build(&refs);
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
                let limits = ArchiveLimits {
                    max_entry_bytes: 4096,
                    max_total_bytes: 8192,
                    ..ArchiveLimits::default()
                };
                check(expand_zip(&bytes, &limits, &mut unbounded()), &limits);
            }
        }
    }
}
