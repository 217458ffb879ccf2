-- Documents in the database (see migrations/sqlite/0020).
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    stored_at   TIMESTAMPTZ NOT NULL
);
CREATE TABLE blob_chunks (
    sha256      TEXT NOT NULL REFERENCES blobs(sha256) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    bytes       BYTEA NOT NULL,
    PRIMARY KEY (sha256, seq)
);
-- Out of line (TOAST) and not compressed: PDFs, Office files and images are compressed
-- already, and trying pglz on every chunk only costs time.
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
CREATE TABLE storage_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    kind            TEXT NOT NULL,
    migrating_to    TEXT,
    phase           TEXT,
    started_at      TIMESTAMPTZ
);
INSERT INTO storage_state (id, kind) VALUES (1, 'files');
