-- Full-text search of applications (issue 25, item 3). 0009 is the web accounts'.
--
-- The text of every document is extracted in the background, after the commit that filed it
-- (src/textindex.rs): the ingestion pipeline only gains the two flags below, which new rows
-- get by default. One text per distinct document (its SHA-256), whatever its kind.
CREATE TABLE document_texts (
    sha256        TEXT PRIMARY KEY,
    -- 'text': read; 'empty': a format without text (images, unknown formats); 'failed':
    -- unreadable, with the error. None of them is tried again.
    state         TEXT NOT NULL CHECK (state IN ('text','empty','failed')),
    -- As the candidate wrote it (accents and case kept, for snippets), at most 1 MiB.
    text          TEXT NOT NULL DEFAULT '',
    error         TEXT,
    extracted_at  TEXT NOT NULL
);

-- What the indexer has not taken into the index yet: new rows. Partial indexes keep finding
-- them an index lookup, whatever the size of the tables.
ALTER TABLE documents ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX documents_unindexed ON documents(application_id) WHERE NOT search_indexed;
CREATE INDEX applications_unindexed ON applications(id) WHERE NOT search_indexed;

-- One row per application (rowid = applications.id): a search answers "which applications",
-- and all of a query's words must be found in the same application, in its candidate's name
-- and address or in any of its documents. Both columns hold text folded by
-- crate::domain::fold (lowercase, no accents, ligatures written out: "œ" is "oe"), the query
-- too, so that unicode61 only splits words; remove_diacritics stays for SQL typed by hand.
-- FTS5 keeps its own copy of the folded text: deleting a row needs its words, and neither
-- kind of contentless table would do. A plain contentless one cannot delete; a
-- contentless_delete one only marks the row deleted, its words staying in the index until
-- segments merge. With the folded text at hand, 'secure-delete' removes a deleted row's words
-- from the index at once (erasure, retention).
CREATE VIRTUAL TABLE search_index USING fts5(
    names,
    body,
    tokenize = "unicode61 remove_diacritics 2"
);
INSERT INTO search_index (search_index, rank) VALUES ('secure-delete', 1);

-- An erased application leaves nothing in the index.
CREATE TRIGGER applications_search_erased AFTER DELETE ON applications BEGIN
    DELETE FROM search_index WHERE rowid = old.id;
END;
