-- applymail's schema. Written so that the PostgreSQL twin differs only in types
-- (INTEGER PRIMARY KEY → BIGINT GENERATED ALWAYS AS IDENTITY, TEXT timestamps → TIMESTAMPTZ).
-- Timestamps are RFC 3339 UTC text, which sorts chronologically.

-- One row per person, keyed by the lowercased address they write from.
CREATE TABLE candidates (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    last_name   TEXT NOT NULL,
    first_name  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One application per candidate and posting.
CREATE TABLE applications (
    id                     INTEGER PRIMARY KEY,
    candidate_id           INTEGER NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    posting                TEXT NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'received'
        CHECK (status IN ('received','screening','shortlisted','interview','offer','hired','rejected','withdrawn')),
    reply_status           TEXT NOT NULL DEFAULT 'unreplied'
        CHECK (reply_status IN ('unreplied','acknowledged','replied')),
    -- From the first message: the subject did not follow "Posting – Nom Prénom".
    subject_nonconforming  BOOLEAN NOT NULL,
    received_at            TEXT NOT NULL,
    last_inbound_at        TEXT NOT NULL,
    last_outbound_at       TEXT,
    UNIQUE (candidate_id, posting)
);
CREATE INDEX applications_posting ON applications(posting, status);

-- Every filed message, inbound (the candidate's) and outbound (the organisation's answers).
CREATE TABLE messages (
    id            INTEGER PRIMARY KEY,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    message_id    TEXT,
    -- Message-ID (or its absence) and the raw bytes' hash: the same message seen at new
    -- coordinates (a rescan, a copy in another folder) is recognised by it.
    dedupe_key    TEXT NOT NULL UNIQUE,
    in_reply_to   TEXT NOT NULL DEFAULT '',
    refs          TEXT NOT NULL DEFAULT '',
    from_address  TEXT,
    recipients    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    sent_at       TEXT NOT NULL,
    raw_sha256    TEXT NOT NULL,
    raw_size      INTEGER NOT NULL,
    mailbox       TEXT NOT NULL,
    location      TEXT NOT NULL,
    forwarded_by  TEXT,
    recorded_at   TEXT NOT NULL
);
CREATE INDEX messages_message_id ON messages(message_id);

-- Which messages belong to which application (an answer may concern several).
CREATE TABLE application_messages (
    application_id  INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, message_id)
);
CREATE INDEX application_messages_message ON application_messages(message_id);

-- Documents, stored by hash in the blob store; the candidate's file name is data only.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('cv','letter','other')),
    source          TEXT NOT NULL CHECK (source IN ('attachment','body','archive')),
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            INTEGER NOT NULL,
    UNIQUE (message_id, position)
);
CREATE INDEX documents_application ON documents(application_id);
CREATE INDEX documents_sha256 ON documents(sha256);

CREATE TABLE status_history (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    note            TEXT,
    actor           TEXT NOT NULL,
    changed_at      TEXT NOT NULL
);
CREATE INDEX status_history_application ON status_history(application_id);

-- Every message applymail has looked at, by its coordinates: the idempotence ledger.
-- Ignored mail leaves only this row (mailbox, location, Message-ID), never its content.
CREATE TABLE mail_seen (
    id              INTEGER PRIMARY KEY,
    mailbox         TEXT NOT NULL,
    location        TEXT NOT NULL,
    message_id      TEXT,
    outcome         TEXT NOT NULL
        CHECK (outcome IN ('filed','followup','outbound','duplicate','ignored','quarantined')),
    -- Why it was ignored, or the error that quarantined it.
    reason          TEXT,
    -- For quarantined mail: the raw message in the blob store.
    raw_sha256      TEXT,
    message_ref     INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    application_id  INTEGER REFERENCES applications(id) ON DELETE SET NULL,
    seen_at         TEXT NOT NULL,
    UNIQUE (mailbox, location)
);
CREATE INDEX mail_seen_outcome ON mail_seen(outcome);
