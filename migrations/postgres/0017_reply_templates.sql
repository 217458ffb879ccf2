-- Reply templates (issue 27): see migrations/sqlite/0017. The rows are written by the program
-- at start-up (the built-in texts, then the config's acknowledgement once).

CREATE TABLE reply_templates (
    name        TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('default', 'config', 'admin')),
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT
);
