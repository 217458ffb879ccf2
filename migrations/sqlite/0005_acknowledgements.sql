-- Automatic acknowledgements, at most one per application. The row is written in the
-- transaction that files the application (the intent); the sender moves it to `sending`
-- before it hands the message to the SMTP server and to `sent` after the server accepted it.
-- A row found in `sending` at start-up was interrupted by a crash: it becomes `uncertain` and
-- is never sent again.
CREATE TABLE acknowledgements (
    application_id   INTEGER PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    state            TEXT NOT NULL
        CHECK (state IN ('pending','sending','sent','failed','uncertain','skipped')),
    -- Why it was skipped, or the last error.
    reason           TEXT,
    -- The acknowledgement's own Message-ID, fixed when it was queued.
    message_id       TEXT,
    -- Threading: the candidate's Message-ID and the References to send.
    in_reply_to      TEXT,
    refs             TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    queued_at        TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX acknowledgements_due ON acknowledgements(state, next_attempt_at);
