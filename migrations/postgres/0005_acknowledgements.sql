-- Automatic acknowledgements (see migrations/sqlite/0005).
CREATE TABLE acknowledgements (
    application_id   BIGINT PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
    state            TEXT NOT NULL
        CHECK (state IN ('pending','sending','sent','failed','uncertain','skipped')),
    reason           TEXT,
    message_id       TEXT,
    in_reply_to      TEXT,
    refs             TEXT NOT NULL DEFAULT '',
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ,
    queued_at        TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ
);
CREATE INDEX acknowledgements_due ON acknowledgements(state, next_attempt_at);
