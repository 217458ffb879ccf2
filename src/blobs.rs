//! The content-addressed document store: every document and raw message is one file named by
//! the SHA-256 of its bytes, so a file is written once however often it is sent, and no name
//! a sender chose ever reaches the file system.
//!
//! Writes are atomic (an unnamed file in its final folder, linked once whole; or, where the
//! file system cannot, a temporary file renamed) so that a crash leaves either the whole file
//! or none. A file written for a message whose database commit
//! never happened is an orphan, harmless and rewritten identically when the message is seen
//! again.
//!
//! Once a sync has made a file durable, its pages are dropped from the page cache: a document
//! is read rarely and long after, and the pages the next files are written into are then the
//! ones just freed. On a VM whose free memory is handed back to the host (free page
//! reporting), writing into fresh pages instead cost this machine up to three times the
//! system time (BENCHMARKS.md, tenth session).

use std::fs::{self, DirBuilder, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// The store's folders: documents are personal data, readable by applymail's user only.
const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;
/// Files kept open for their pages to be dropped at the next sync, at most (and at most a
/// quarter of the process's descriptor limit); past it, the others are closed and stay cached
/// (the advice only saves work). Keeping them open spares reopening each by its path, which
/// cost about 2 % of a backfill's CPU.
const MAX_UNSYNCED_TRACKED: usize = 1024;

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// Files written unsynced since the last sync began, still open (shared by the store's
    /// clones).
    unsynced: Arc<Mutex<Vec<File>>>,
}

/// A stored file: its hash (and name) and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
}

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
        for dir in [root.clone(), root.join("sha256"), root.join("tmp")] {
            create_private_dir(&dir)?;
        }
        // A folder the admin made beforehand gets the same owner-only permissions.
        fs::set_permissions(&root, fs::Permissions::from_mode(DIR_MODE))?;
        let store = BlobStore {
            root,
            unsynced: Arc::default(),
        };
        store.remove_abandoned_temporaries()?;
        Ok(store)
    }

    /// Temporary files are named `HOST.PID.*`; one whose writer (on this host) is no longer
    /// running was abandoned by a crash before its rename, and nothing refers to it.
    /// Another host's files, or a live process's, are left alone.
    fn remove_abandoned_temporaries(&self) -> io::Result<usize> {
        let host = host_name();
        let mut removed = 0;
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let entry = entry?;
            let name = entry.file_name();
            let mut parts = name.to_str().unwrap_or_default().splitn(3, '.');
            let (Some(owner), Some(pid)) = (parts.next(), parts.next()) else {
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

    /// Stores bytes, durably, and returns their hash. Blocking: call off the async threads.
    pub fn put(&self, bytes: &[u8]) -> io::Result<Blob> {
        let (blob, written) = self.write(bytes, true)?;
        if written.is_some() {
            // The link is durable only once the directory entry is.
            let path = self.path(&blob.sha256);
            File::open(path.parent().unwrap_or(&self.root))?.sync_all()?;
        }
        Ok(blob)
    }

    /// Stores bytes without waiting for the disk: they are durable only after [`sync`],
    /// which a batch calls once before the database names any of them.
    ///
    /// [`sync`]: BlobStore::sync
    pub fn put_unsynced(&self, bytes: &[u8]) -> io::Result<Blob> {
        let (blob, written) = self.write(bytes, false)?;
        if let Some(file) = written {
            let mut unsynced = self.unsynced.lock().unwrap_or_else(|e| e.into_inner());
            if unsynced.len() < tracked_at_most() {
                unsynced.push(file);
            }
        }
        Ok(blob)
    }

    /// Makes every file written so far durable, with their directory entries: one `syncfs`
    /// of the store's file system, instead of two fsyncs per file. Then drops from the page
    /// cache the files written before it began (those written meanwhile wait for the next).
    pub fn sync(&self) -> io::Result<()> {
        let synced = std::mem::take(&mut *self.unsynced.lock().unwrap_or_else(|e| e.into_inner()));
        let root = File::open(&self.root)?;
        rustix::fs::syncfs(&root)?;
        for file in &synced {
            // Best effort: a file that cannot be advised keeps its pages, which costs only
            // memory the kernel reclaims anyway.
            let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
        }
        Ok(())
    }

    /// Fails with `NotFound` naming the first of these files that does not exist: a file
    /// found stored when a message was analysed can have been deleted since, by an erasure
    /// that released it (see `Store::remove_unreferenced_blobs`).
    pub fn check_present<'a>(&self, hashes: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        for sha256 in hashes {
            match fs::symlink_metadata(self.path(sha256)) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let why = format!(
                        "document file {sha256} is gone (an erasure deleted it after this group found it stored); nothing of the group was recorded, and reading its messages again stores it again"
                    );
                    return Err(io::Error::new(io::ErrorKind::NotFound, why));
                }
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// Writes the file unless it exists whole; returns it, still open, when it was written now.
    fn write(&self, bytes: &[u8], durable: bool) -> io::Result<(Blob, Option<File>)> {
        let sha256 = sha256_hex(bytes);
        let blob = Blob {
            sha256,
            size: bytes.len() as u64,
        };
        let path = self.path(&blob.sha256);
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        // Most files are new, so the link itself tells whether the name is taken, and the
        // fan-out folder is created only when missing: a lookup and a mkdir before every
        // write cost more than the occasional file written again for nothing.
        let placed = match place_anonymous(&dir, &path, bytes, durable) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                create_private_dir(&dir)?;
                place_anonymous(&dir, &path, bytes, durable)
            }
            placed => placed,
        };
        match placed {
            Ok(Some(file)) => return Ok((blob, Some(file))),
            // A whole file already has the name: these bytes were stored before.
            Ok(None) if is_whole(&path, blob.size) => return Ok((blob, None)),
            // A power cut between an unsynced write and its sync can leave the name with
            // fewer bytes (ext4 keeps the link, not always the data): the rename below
            // replaces it.
            Ok(None) => {}
            // No O_TMPFILE on this file system (or no /proc): a named temporary instead.
            Err(e) if anonymous_unsupported(&e) => {
                if is_whole(&path, blob.size) {
                    return Ok((blob, None));
                }
                create_private_dir(&dir)?;
            }
            Err(e) => return Err(e),
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!("{}.{}.", host_name(), std::process::id()))
            .tempfile_in(self.root.join("tmp"))?;
        tmp.write_all(bytes)?;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
        if durable {
            tmp.as_file().sync_all()?;
        }
        let file = tmp.persist(&path).map_err(|e| e.error)?;
        Ok((blob, Some(file)))
    }

    pub fn read(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }

    /// Deletes a file; a file already gone is not an error.
    pub fn remove(&self, sha256: &str) -> io::Result<()> {
        match fs::remove_file(self.path(sha256)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Writes the bytes to an unnamed file in `dir` (`O_TMPFILE`) and links it as `path` once
/// whole: the file is created where it will live, needs no rename, and a crash before the
/// link leaves nothing behind. Returns the file, still open, if the name was free.
fn place_anonymous(
    dir: &Path,
    path: &Path,
    bytes: &[u8],
    durable: bool,
) -> io::Result<Option<File>> {
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(FILE_MODE),
    )?;
    let mut file = File::from(fd);
    file.write_all(bytes)?;
    // The mode asked for at open can only be narrowed (by the umask); set it exactly then.
    if umask_narrows_file_mode() {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    if durable {
        file.sync_all()?;
    }
    let unnamed = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
    match rustix::fs::linkat(CWD, unnamed.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(Some(file)),
        Err(rustix::io::Errno::EXIST) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How many written files [`BlobStore::sync`] may keep open: [`MAX_UNSYNCED_TRACKED`], or a
/// quarter of the soft descriptor limit if that is lower, so that sockets and the database
/// always have descriptors left. Read once.
fn tracked_at_most() -> usize {
    static AT_MOST: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *AT_MOST.get_or_init(|| {
        rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(MAX_UNSYNCED_TRACKED, |(soft, _)| {
            MAX_UNSYNCED_TRACKED.min(usize::try_from(soft / 4).unwrap_or(usize::MAX))
        })
    })
}

/// Whether the process's umask removes any of [`FILE_MODE`]'s bits, so that a file must have
/// its mode set after it is created. Read once from `/proc/self/status` (setting the umask is
/// the only other way to read it, and it is process-wide); unknown counts as yes.
fn umask_narrows_file_mode() -> bool {
    static NARROWS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NARROWS.get_or_init(|| {
        fs::read_to_string("/proc/self/status")
            .ok()
            .as_deref()
            .and_then(umask_of_status)
            .is_none_or(|umask| umask & FILE_MODE != 0)
    })
}

/// The `Umask:` line of a `/proc/<pid>/status` text (Linux 4.7 and later), in octal.
fn umask_of_status(status: &str) -> Option<u32> {
    let value = status
        .lines()
        .find_map(|line| line.strip_prefix("Umask:"))?;
    u32::from_str_radix(value.trim(), 8).ok()
}

/// The errors that mean "no `O_TMPFILE` here" rather than a failed write.
fn anonymous_unsupported(err: &io::Error) -> bool {
    use rustix::io::Errno;
    let Some(code) = err.raw_os_error() else {
        return false;
    };
    [Errno::OPNOTSUPP, Errno::ISDIR, Errno::INVAL, Errno::NOENT]
        .iter()
        .any(|e| e.raw_os_error() == code)
}

/// This machine's name, made safe for a file name (no dots: they separate the fields); read
/// once.
fn host_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(read_host_name).clone()
}

fn read_host_name() -> String {
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
}

fn is_whole(path: &Path, size: u64) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() == size)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    match DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
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
        assert_eq!(blob.sha256, sha256_hex(b"%PDF-1.4 a cv"));
        let path = store.path(&blob.sha256);
        assert_eq!(fs::read(&path).unwrap(), b"%PDF-1.4 a cv");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
        assert_eq!(
            fs::metadata(store.root()).unwrap().permissions().mode() & 0o777,
            DIR_MODE
        );
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
        assert!(
            fs::read_dir(store.root().join("tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_at_open_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let tmp = store.root().join("tmp");
        // PID 0 is never a process of ours; our own PID is alive.
        let dead = tmp.join(format!("{}.0.abc", host_name()));
        let alive = tmp.join(format!("{}.{}.abc", host_name(), std::process::id()));
        let other_host = tmp.join("elsewhere.1.abc");
        for f in [&dead, &alive, &other_host] {
            fs::write(f, b"partial").unwrap();
        }
        BlobStore::open(dir.path()).unwrap();
        assert!(!dead.exists());
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
        store.put_unsynced(bytes).unwrap();
        assert_eq!(fs::read(&path).unwrap(), bytes);
        assert!(
            fs::read_dir(store.root().join("tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn files_written_unsynced_stay_open_until_the_sync_closes_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let tracked = || store.unsynced.lock().unwrap().len();
        let a = store.put_unsynced(b"%PDF-1.4 a").unwrap();
        store.put_unsynced(b"%PDF-1.4 b").unwrap();
        // Stored before: nothing new is written, nothing more is kept open.
        store.put_unsynced(b"%PDF-1.4 a").unwrap();
        assert_eq!(tracked(), 2);
        store.sync().unwrap();
        assert_eq!(tracked(), 0);
        assert_eq!(store.read(&a.sha256).unwrap(), b"%PDF-1.4 a");
        assert!((1..=MAX_UNSYNCED_TRACKED).contains(&tracked_at_most()));
    }

    #[test]
    fn the_umask_is_read_from_the_status_text() {
        let status = "Name:\tapplymail\nUmask:\t0027\nState:\tR (running)\n";
        assert_eq!(umask_of_status(status), Some(0o027));
        assert_eq!(umask_of_status("Name:\tapplymail\n"), None);
        assert_eq!(umask_of_status("Umask:\tnot octal\n"), None);
    }

    #[test]
    fn remove_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let blob = store.put(b"x").unwrap();
        store.remove(&blob.sha256).unwrap();
        store.remove(&blob.sha256).unwrap();
        assert!(!store.path(&blob.sha256).exists());
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
