-- Recruiters working together (issue 26): each account's language, notes and ratings on an
-- application, and the recruiters' choices about likely duplicates. Notes, ratings and
-- choices are about a candidate: they go with the application (or the candidate) when it is
-- erased or purged.

-- NULL: the browser's language.
ALTER TABLE web_users ADD COLUMN language TEXT CHECK (language IN ('fr','en'));

CREATE TABLE application_notes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    -- The author's name as it was when writing (an account may be renamed or disabled later).
    author          TEXT NOT NULL,
    author_id       BIGINT REFERENCES web_users(id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX application_notes_application ON application_notes(application_id);

-- One rating per recruiter and application.
CREATE TABLE application_ratings (
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    user_id         BIGINT NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,
    stars           INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    rated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

-- The average of an application's ratings (0: none), kept by each rating's transaction, so
-- that the list sorts by it from an index instead of averaging every application's ratings.
ALTER TABLE applications ADD COLUMN rating_average DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX applications_rating ON applications(rating_average, id);

-- A recruiter's answer to "probably the same person": two candidates, the lower id first.
CREATE TABLE duplicate_decisions (
    candidate_low   BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    candidate_high  BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    decision        TEXT NOT NULL CHECK (decision IN ('linked','dismissed')),
    decided_by      TEXT NOT NULL,
    decided_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (candidate_low, candidate_high),
    CHECK (candidate_low < candidate_high)
);
CREATE INDEX duplicate_decisions_high ON duplicate_decisions(candidate_high);
