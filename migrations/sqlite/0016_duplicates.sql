-- Likely duplicates (issue 26): what lets an application's page find, by index lookups only,
-- the other candidates who are probably the same person (src/store/duplicates.rs). 0015 is
-- another change's. The recruiters' choices are in duplicate_decisions (0014).
--
-- Both keys are computed in Rust (crate::domain::duplicates::name_key, crate::domain::phone)
-- by the background indexer (src/textindex.rs), which also fills them in for the rows that
-- exist before this migration: NULL and `phones_scanned = FALSE` mean "not yet".

-- The folded name: '' when the name has no key (a single word). An index serves both the
-- lookup of one key and the indexer's search for rows without one (IS NULL).
ALTER TABLE candidates ADD COLUMN name_key TEXT;
CREATE INDEX candidates_name_key ON candidates(name_key);

-- A changed name (an empty first name filled in by a later message) needs its key again.
CREATE TRIGGER candidates_name_key_stale AFTER UPDATE OF last_name, first_name ON candidates
WHEN old.last_name IS NOT new.last_name OR old.first_name IS NOT new.first_name
BEGIN
    UPDATE candidates SET name_key = NULL WHERE id = new.id;
END;

-- The phone numbers in each document's text, in canonical form (international digits,
-- "212612345678"). They belong to the text: they go when it goes, that is when no document
-- names it any more (erasure, retention).
CREATE TABLE document_phones (
    sha256  TEXT NOT NULL REFERENCES document_texts(sha256) ON DELETE CASCADE,
    phone   TEXT NOT NULL,
    PRIMARY KEY (sha256, phone)
);
CREATE INDEX document_phones_phone ON document_phones(phone);

-- Texts whose numbers are not read yet: new ones, and all of them once, after this migration.
ALTER TABLE document_texts ADD COLUMN phones_scanned BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX document_texts_unscanned ON document_texts(sha256) WHERE NOT phones_scanned;
