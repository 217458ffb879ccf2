-- Likely duplicates (issue 26), the PostgreSQL twin of migrations/sqlite/0016_duplicates.sql:
-- what lets an application's page find, by index lookups only, the other candidates who are
-- probably the same person (src/store/duplicates.rs). 0015 is another change's. The
-- recruiters' choices are in duplicate_decisions (0014).
--
-- Both keys are computed in Rust (crate::domain::duplicates::name_key, crate::domain::phone)
-- by the background indexer (src/textindex.rs), which also fills them in for the rows that
-- exist before this migration: NULL and `phones_scanned = FALSE` mean "not yet".

-- The folded name: '' when the name has no key (a single word). An index serves both the
-- lookup of one key and the indexer's search for rows without one (IS NULL).
ALTER TABLE candidates ADD COLUMN name_key TEXT;
CREATE INDEX candidates_name_key ON candidates(name_key);

-- A changed name (an empty first name filled in by a later message) needs its key again.
CREATE FUNCTION candidates_name_key_stale() RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.last_name IS DISTINCT FROM OLD.last_name OR NEW.first_name IS DISTINCT FROM OLD.first_name THEN
        NEW.name_key := NULL;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER candidates_name_key_stale BEFORE UPDATE OF last_name, first_name ON candidates
FOR EACH ROW EXECUTE FUNCTION candidates_name_key_stale();

-- The phone numbers in each document's text, in canonical form (international digits,
-- "212612345678"). They belong to the text: they go when it goes, that is when no document
-- names it any more (erasure, retention).
CREATE TABLE document_phones (
    sha256  TEXT NOT NULL REFERENCES document_texts(sha256) ON DELETE CASCADE,
    phone   TEXT NOT NULL,
    PRIMARY KEY (sha256, phone)
);
CREATE INDEX document_phones_phone ON document_phones(phone);

-- Texts whose numbers are not read yet: new ones, and all of them once, after this migration
-- (a constant default: no table rewrite).
ALTER TABLE document_texts ADD COLUMN phones_scanned BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX document_texts_unscanned ON document_texts(sha256) WHERE NOT phones_scanned;
