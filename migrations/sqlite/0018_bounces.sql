-- Bounces (issue 27): a delivery status notification (RFC 3464, multipart/report) in the
-- inbox, for an address that is a known candidate's, so that nothing more is sent to an
-- address that failed for good (Store::permanently_bounced). 0017 is another change's.
--
-- Rows are written in the transaction that records the report (src/store/record/write.rs),
-- by an INSERT … SELECT over candidates: a report for an address that is no candidate's
-- (a stranger, someone erased) writes nothing here, and the ledger keeps only its
-- "ignored: bounce" row. A bounce is the candidate's personal data: it goes with the
-- candidate (forget, retention purge), by the cascade.
CREATE TABLE bounces (
    id              INTEGER PRIMARY KEY,
    candidate_id    INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    -- Action: failed with a 5.x.x status (or none): sending again would bounce again.
    permanent       BOOLEAN NOT NULL,
    -- The RFC 3463 status code (5.1.1), when the report gave a readable one.
    status          TEXT,
    -- The report's own Message-ID: the same report met twice (another folder, an import of
    -- the same mail) is one row.
    report_id       TEXT,
    reported_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX bounces_report ON bounces(candidate_id, report_id);
