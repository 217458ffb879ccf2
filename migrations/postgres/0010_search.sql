-- Full-text search of applications (issue 25, item 3), the PostgreSQL twin of
-- migrations/sqlite/0010_search.sql. 0009 is the web accounts'.
--
-- The text of every document is extracted in the background, after the commit that filed it
-- (src/textindex.rs). One text per distinct document (its SHA-256), whatever its kind.
CREATE TABLE document_texts (
    sha256        TEXT PRIMARY KEY,
    -- 'text': read; 'empty': a format without text (images, unknown formats); 'failed':
    -- unreadable, with the error. None of them is tried again.
    state         TEXT NOT NULL CHECK (state IN ('text','empty','failed')),
    -- As the candidate wrote it (accents and case kept, for snippets), at most 1 MiB.
    text          TEXT NOT NULL DEFAULT '',
    error         TEXT,
    extracted_at  TIMESTAMPTZ NOT NULL
);

-- What the indexer has not taken into the index yet: new rows (a constant default: no table
-- rewrite). Partial indexes keep finding them an index lookup.
ALTER TABLE documents ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX documents_unindexed ON documents(application_id) WHERE NOT search_indexed;
CREATE INDEX applications_unindexed ON applications(id) WHERE NOT search_indexed;

-- French without accents: unaccent before the French stemmer, so that "experience" and
-- "expériences" meet. (PostgreSQL's own french keeps accents.)
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french);
ALTER TEXT SEARCH CONFIGURATION fr_unaccent
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, french_stem;

-- One row per application: a search answers "which applications", and all of a query's words
-- must be found in the same application, in its candidate's name and address or in any of
-- its documents. The text given to to_tsvector is folded by crate::domain::fold (lowercase,
-- no accents, ligatures written out), the query's words too. search_vector holds the names
-- and the documents' words as they are ('simple': prefixes work, "coordin" finds
-- "coordination") and the documents' French stems (fr_unaccent); names_vector only ranks.
CREATE TABLE search_entries (
    application_id  BIGINT PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    names_vector    TSVECTOR NOT NULL,
    search_vector   TSVECTOR NOT NULL,
    indexed_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX search_entries_vector ON search_entries USING GIN (search_vector);

-- The query of a list of folded words: each word (a prefix of a word, for two letters or
-- more) or its French stem, all of them. Words the French configuration drops ("le", "de")
-- only make its part empty, and the notice saying so is not sent: the words come from users,
-- and each search would log it.
CREATE FUNCTION search_query(terms TEXT[]) RETURNS TSQUERY
LANGUAGE plpgsql STABLE STRICT
SET client_min_messages = warning
AS $$
DECLARE
    found TSQUERY := ''::TSQUERY;
    term TEXT;
BEGIN
    FOREACH term IN ARRAY terms LOOP
        found := found && (
            to_tsquery('simple', quote_literal(term) || CASE WHEN length(term) > 1 THEN ':*' ELSE '' END)
            || to_tsquery('fr_unaccent', quote_literal(term))
        );
    END LOOP;
    RETURN found;
END
$$;
