-- Bounces (see migrations/sqlite/0018).
CREATE TABLE bounces (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    candidate_id    BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    permanent       BOOLEAN NOT NULL,
    status          TEXT,
    report_id       TEXT,
    reported_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX bounces_report ON bounces(candidate_id, report_id);
