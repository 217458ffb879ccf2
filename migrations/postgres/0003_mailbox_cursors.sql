-- Per IMAP folder: where reading resumes (see migrations/sqlite/0003).
CREATE TABLE mailbox_cursors (
    mailbox       TEXT PRIMARY KEY,
    uid_validity  BIGINT NOT NULL,
    next_uid      BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
