//! The document store and the page cache: a document is dropped from the cache once a sync
//! has made it durable (see `applymail::blobs`).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

use applymail::blobs::BlobStore;

#[test]
fn a_document_leaves_the_page_cache_once_synced() {
    // A disk file system: tmpfs would keep its pages whatever the advice.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let blob = store.put_unsynced(&bytes).unwrap();
    let path = store.path(&blob.sha256);
    assert!(cached_pages(&path) > 0, "a file just written is cached");

    store.sync().unwrap();
    assert_eq!(
        cached_pages(&path),
        0,
        "the synced file's pages were dropped"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Read back, it is cached again, and a later sync does not advise it again.
    store.sync().unwrap();
    assert!(cached_pages(&path) > 0);
}

/// How many of a file's pages the page cache holds (`mincore` on a mapping of it).
fn cached_pages(path: &Path) -> usize {
    let file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len() as usize;
    // SAFETY: a read-only shared mapping of a file nobody truncates meanwhile, unmapped
    // before returning; `mincore` writes one byte per page into a vector of that length.
    unsafe {
        let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
        let addr = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(addr, libc::MAP_FAILED);
        let mut resident = vec![0u8; len.div_ceil(page)];
        let status = libc::mincore(addr, len, resident.as_mut_ptr());
        libc::munmap(addr, len);
        assert_eq!(status, 0, "mincore failed");
        resident.iter().filter(|&&b| b & 1 == 1).count()
    }
}
