-- Per IMAP folder: where reading resumes. Every UID below next_uid has its outcome committed
-- in mail_seen; a new uid_validity restarts the folder from UID 1 (the ledger and the
-- Message-ID + content key make the rescan file nothing twice).
CREATE TABLE mailbox_cursors (
    mailbox       TEXT PRIMARY KEY,
    uid_validity  INTEGER NOT NULL,
    next_uid      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);
