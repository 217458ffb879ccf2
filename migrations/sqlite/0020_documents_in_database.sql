-- Documents in the database (issue 29, `[storage] kind = "database"`): each document, and each
-- quarantined raw message, is one `blobs` row named by the SHA-256 of its bytes (one copy for
-- identical bytes, as the files were), its bytes in `blob_chunks` rows of at most 512 KiB, so
-- that no statement carries a whole 30 MB document either way. Written in the transaction that
-- records the rows naming them (src/store/blobs.rs), deleted in the erasure's transaction.
--
-- With `kind = "files"` both tables stay empty. `storage_state` says where this database's
-- documents are, so that a config that says otherwise is refused instead of serving nothing,
-- and marks a half-done `applymail storage migrate`, which every command but the migration
-- itself refuses to work beside.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    stored_at   TEXT NOT NULL
);
CREATE TABLE blob_chunks (
    sha256      TEXT NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    PRIMARY KEY (sha256, seq)
);
CREATE TABLE storage_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    -- 'files' or 'database': where the documents are.
    kind            TEXT NOT NULL,
    -- Set while `applymail storage migrate --to <migrating_to>` is under way.
    migrating_to    TEXT,
    -- 'copy' (the old place still holds everything), then 'clean' (the new place does, and
    -- the old copies are being deleted).
    phase           TEXT,
    started_at      TEXT
);
-- Every installation before this one kept its documents in files.
INSERT INTO storage_state (id, kind) VALUES (1, 'files');
