//! The content-addressed document store: every document and raw message is one file named by
//! the SHA-256 of its bytes, so a file is written once however often it is sent, and no name
//! a sender chose ever reaches the file system.
//!
//! A file is written whole to a temporary file beside its final name (in the same fan-out
//! folder, as git does for its objects), then renamed under its hash, so a crash leaves either
//! the whole file or none (and temporaries a crash abandoned are removed at the next open).
//! Beside, not in one shared `tmp/`: a rename across folders locks both, and one folder that
//! every writer creates files in serialises them (it measured a quarter of a backfill's time). [`BlobStore::put`] does not wait for the disk: the files of a group of
//! messages are made durable together by one [`BlobStore::sync`] (`syncfs`, one call for the
//! whole file system instead of two fsyncs per file), which the pipeline calls before the
//! transaction that names them begins, then checks inside it that the files are still the
//! ones it synced ([`BlobStore::stamps`]). A file whose transaction never committed is an
//! orphan, harmless, and written again identically when its message is read again.

use std::fs::{self, DirBuilder, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The store's folders: documents are personal data, readable by applymail's user only.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
/// How a temporary file's name begins (a hash never does).
const TEMPORARY: &str = ".tmp.";

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// A stored file: its hash (and name) and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
}

/// See [`BlobStore::stamps`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamps(Vec<(u64, i64, i64)>);

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl BlobStore {
    /// Opens the store, creating its folders with owner-only permissions.
    pub fn open(root: &Path) -> io::Result<BlobStore> {
        let root = if root.is_absolute() {
            root.to_owned()
        } else {
            std::env::current_dir()?.join(root)
        };
        for dir in [root.clone(), root.join("sha256")] {
            create_private_dir(&dir)?;
        }
        // All 256 made now, so that a write never has to.
        for fan in 0..=255u8 {
            create_private_dir(&root.join("sha256").join(format!("{fan:02x}")))?;
        }
        // A folder the admin made beforehand gets the same owner-only permissions.
        fs::set_permissions(&root, fs::Permissions::from_mode(DIR_MODE))?;
        let store = BlobStore { root };
        store.remove_abandoned_temporaries()?;
        Ok(store)
    }

    /// Temporary files are named `.tmp.HOST.PID.*`; one whose writer (on this host) is no
    /// longer running was abandoned by a crash before its rename, and nothing refers to it.
    /// Another host's files, or a live process's, are left alone. (Earlier versions kept
    /// them in `tmp/`, which is emptied the same way.)
    fn remove_abandoned_temporaries(&self) -> io::Result<usize> {
        let host = host_name();
        let mut removed = 0;
        let fans = fs::read_dir(self.root.join("sha256"))?
            .map(|entry| entry.map(|e| (e.path(), TEMPORARY)))
            .collect::<io::Result<Vec<_>>>()?;
        let legacy = self.root.join("tmp");
        let folders = fans
            .into_iter()
            .chain(legacy.is_dir().then_some((legacy, "")));
        for (folder, prefix) in folders {
            for entry in fs::read_dir(folder)? {
                let entry = entry?;
                let name = entry.file_name();
                let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
                    continue;
                };
                let mut parts = rest.splitn(3, '.');
                let (Some(owner), Some(pid), Some(_)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let dead = owner == host
                    && pid
                        .parse::<u32>()
                        .is_ok_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
                if dead && fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the file with this hash lives (whether or not it exists).
    pub fn path(&self, sha256: &str) -> PathBuf {
        let fan = sha256.get(..2).unwrap_or("00");
        self.root.join("sha256").join(fan).join(sha256)
    }

    /// Stores bytes unless a whole file holds them already, and returns their hash. Not
    /// durable until the next [`BlobStore::sync`]. Blocking: call off the async threads.
    pub fn put(&self, bytes: &[u8]) -> io::Result<Blob> {
        let blob = Blob {
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
        };
        let path = self.path(&blob.sha256);
        // A power cut between a write and its sync can leave the name with fewer bytes: such
        // a file is written again.
        if fs::metadata(&path).is_ok_and(|m| m.len() == blob.size) {
            return Ok(blob);
        }
        let mut tmp = self.temporary_beside(&path)?;
        tmp.write_all(bytes)?;
        tmp.persist(&path).map_err(|e| e.error)?;
        Ok(blob)
    }

    /// A private temporary file in the folder of `path`, named so that
    /// [`BlobStore::remove_abandoned_temporaries`] knows whose it is.
    fn temporary_beside(&self, path: &Path) -> io::Result<tempfile::NamedTempFile> {
        tempfile::Builder::new()
            .prefix(&format!(
                "{TEMPORARY}{}.{}.",
                host_name(),
                std::process::id()
            ))
            .permissions(fs::Permissions::from_mode(FILE_MODE))
            .tempfile_in(path.parent().unwrap_or(&self.root))
    }

    /// Makes every file written so far durable, with its directory entry: one `syncfs` of the
    /// store's file system.
    pub fn sync(&self) -> io::Result<()> {
        rustix::fs::syncfs(File::open(&self.root)?)?;
        Ok(())
    }

    /// Which file each of these names stands for now, failing with `NotFound` naming the
    /// first that does not exist: a file found stored when a message was analysed can have
    /// been deleted since, by an erasure that released it (see
    /// `Store::remove_unreferenced_blobs`). A file deleted and written again under the same
    /// name has other stamps (inode and change time), so equal stamps on both sides of a
    /// [`BlobStore::sync`] mean the same, now durable, files.
    pub fn stamps<'a>(&self, hashes: impl IntoIterator<Item = &'a str>) -> io::Result<Stamps> {
        let mut stamps = Vec::new();
        for sha256 in hashes {
            match fs::symlink_metadata(self.path(sha256)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let why = format!(
                        "document file {sha256} is gone (an erasure deleted it after this group found it stored); nothing of the group was recorded, and reading its messages again stores it again"
                    );
                    return Err(io::Error::new(io::ErrorKind::NotFound, why));
                }
                Err(e) => return Err(e),
                Ok(meta) => stamps.push((meta.ino(), meta.ctime(), meta.ctime_nsec())),
            }
        }
        Ok(Stamps(stamps))
    }

    /// A file to write a content into a chunk at a time, under the hash it must have
    /// ([`FileWriter::finish`] checks it): a migration from the database.
    pub fn writer(&self, sha256: &str) -> io::Result<FileWriter> {
        let path = self.path(sha256);
        Ok(FileWriter {
            file: self.temporary_beside(&path)?,
            path,
            expected: sha256.to_owned(),
            hasher: Sha256::new(),
            size: 0,
        })
    }

    /// Every content in the folder, by name (temporaries aside).
    pub fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for fan in fs::read_dir(self.root.join("sha256"))? {
            for entry in fs::read_dir(fan?.path())? {
                let name = entry?.file_name();
                if let Some(name) = name.to_str().filter(|n| !n.starts_with(TEMPORARY)) {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether the file holds exactly the bytes its name says (read whole, a chunk at a time).
    pub fn verify(&self, sha256: &str) -> io::Result<bool> {
        let mut file = match File::open(self.path(sha256)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            other => other?,
        };
        let mut hasher = Sha256::new();
        io::copy(&mut file, &mut hasher)?;
        Ok(hex::encode(hasher.finalize()) == sha256)
    }

    /// Deletes a file; a file already gone is not an error.
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha256)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// A content being written under its hash (see [`BlobStore::writer`]); dropped unfinished, it
/// leaves nothing.
#[derive(Debug)]
pub struct FileWriter {
    file: tempfile::NamedTempFile,
    path: PathBuf,
    expected: String,
    hasher: Sha256,
    size: u64,
}

impl FileWriter {
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        self.file.write_all(chunk)
    }

    /// Puts the file under its name if its bytes have the hash that name says; not durable
    /// until the next [`BlobStore::sync`].
    pub fn finish(self) -> io::Result<Blob> {
        let actual = hex::encode(self.hasher.finalize());
        if actual != self.expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the bytes stored as {} have the SHA-256 {actual}: damaged, not written",
                    self.expected
                ),
            ));
        }
        self.file.persist(&self.path).map_err(|e| e.error)?;
        Ok(Blob {
            sha256: self.expected,
            size: self.size,
        })
    }
}

/// This machine's name, made safe for a file name (no dots: they separate the fields); read
/// once.
fn host_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let name = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let clean: String = name
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if clean.is_empty() {
            "host".into()
        } else {
            clean
        }
    })
    .clone()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    match DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_hash_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let blob = store.put(b"%PDF-1.4 a cv").unwrap();
        store.sync().unwrap();
        assert_eq!(blob.sha256, sha256_hex(b"%PDF-1.4 a cv"));
        let path = store.path(&blob.sha256);
        assert_eq!(fs::read(&path).unwrap(), b"%PDF-1.4 a cv");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), FILE_MODE);
        assert_eq!(mode(store.root()), DIR_MODE);
        assert_eq!(mode(path.parent().unwrap()), DIR_MODE);
        assert!(path.starts_with(store.root().join("sha256")));
    }

    #[test]
    fn the_same_bytes_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let a = store.put(b"same").unwrap();
        let b = store.put(b"same").unwrap();
        assert_eq!(a, b);
        let files = walk(store.root());
        assert_eq!(files.len(), 1, "{files:?}");
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_at_open_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let fan = store.root().join("sha256/ab");
        // PID 0 is never a process of ours; our own PID is alive.
        let dead = fan.join(format!(".tmp.{}.0.abc", host_name()));
        let alive = fan.join(format!(".tmp.{}.{}.abc", host_name(), std::process::id()));
        let other_host = fan.join(".tmp.elsewhere.1.abc");
        // An earlier version's folder of temporaries.
        let legacy = store.root().join("tmp");
        fs::create_dir(&legacy).unwrap();
        let dead_legacy = legacy.join(format!("{}.0.abc", host_name()));
        for f in [&dead, &alive, &other_host, &dead_legacy] {
            fs::write(f, b"partial").unwrap();
        }
        BlobStore::open(dir.path()).unwrap();
        assert!(!dead.exists() && !dead_legacy.exists());
        assert!(alive.exists() && other_host.exists());
    }

    #[test]
    fn a_short_file_left_by_a_power_cut_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let bytes = b"%PDF-1.4 the whole cv";
        let path = store.path(&sha256_hex(bytes));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &bytes[..4]).unwrap();
        store.put(bytes).unwrap();
        assert_eq!(fs::read(&path).unwrap(), bytes);
        assert_eq!(walk(store.root()), vec![path], "no temporary left");
    }

    #[test]
    fn a_file_an_erasure_deleted_is_reported_missing() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let blob = store.put(b"x").unwrap();
        store.stamps([blob.sha256.as_str()]).unwrap();
        store.remove(&blob.sha256).unwrap();
        store.remove(&blob.sha256).unwrap();
        let err = store.stamps([blob.sha256.as_str()]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    /// What lets a group sync before its transaction: a file deleted and written again in
    /// between (by an erasure, then another message) is told apart from the one synced.
    #[test]
    fn a_file_deleted_and_written_again_has_other_stamps() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let a = store.put(b"a").unwrap();
        let b = store.put(b"b").unwrap();
        let names = [a.sha256.as_str(), b.sha256.as_str()];
        let before = store.stamps(names).unwrap();
        store.put(b"a").unwrap();
        assert_eq!(store.stamps(names).unwrap(), before, "an unchanged file");
        store.remove(&b.sha256).unwrap();
        store.put(b"b").unwrap();
        assert_ne!(store.stamps(names).unwrap(), before, "a file written again");
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path))
            } else {
                out.push(path)
            }
        }
        out
    }
}
