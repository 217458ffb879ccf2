-- applymail's schema, the PostgreSQL twin of migrations/sqlite: same tables, columns and
-- constraints; BIGINT identities, TIMESTAMPTZ and BOOLEAN where SQLite has its affinities.

CREATE TABLE candidates (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    last_name   TEXT NOT NULL,
    first_name  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE applications (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    candidate_id           BIGINT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
    posting                TEXT NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'received'
        CHECK (status IN ('received','screening','shortlisted','interview','offer','hired','rejected','withdrawn')),
    reply_status           TEXT NOT NULL DEFAULT 'unreplied'
        CHECK (reply_status IN ('unreplied','acknowledged','replied')),
    subject_nonconforming  BOOLEAN NOT NULL,
    received_at            TIMESTAMPTZ NOT NULL,
    last_inbound_at        TIMESTAMPTZ NOT NULL,
    last_outbound_at       TIMESTAMPTZ,
    UNIQUE (candidate_id, posting)
);
CREATE INDEX applications_posting ON applications(posting, status);

CREATE TABLE messages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
    message_id    TEXT,
    dedupe_key    TEXT NOT NULL UNIQUE,
    in_reply_to   TEXT NOT NULL DEFAULT '',
    refs          TEXT NOT NULL DEFAULT '',
    from_address  TEXT,
    recipients    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    sent_at       TIMESTAMPTZ NOT NULL,
    raw_sha256    TEXT NOT NULL,
    raw_size      BIGINT NOT NULL,
    mailbox       TEXT NOT NULL,
    location      TEXT NOT NULL,
    forwarded_by  TEXT,
    recorded_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_message_id ON messages(message_id);

CREATE TABLE application_messages (
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    message_id      BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, message_id)
);
CREATE INDEX application_messages_message ON application_messages(message_id);

CREATE TABLE documents (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    message_id      BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('cv','letter','other')),
    source          TEXT NOT NULL CHECK (source IN ('attachment','body','archive')),
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    size            BIGINT NOT NULL,
    UNIQUE (message_id, position)
);
CREATE INDEX documents_application ON documents(application_id);
CREATE INDEX documents_sha256 ON documents(sha256);

CREATE TABLE status_history (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    note            TEXT,
    actor           TEXT NOT NULL,
    changed_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_history_application ON status_history(application_id);

CREATE TABLE mail_seen (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailbox         TEXT NOT NULL,
    location        TEXT NOT NULL,
    message_id      TEXT,
    outcome         TEXT NOT NULL
        CHECK (outcome IN ('filed','followup','outbound','duplicate','ignored','quarantined')),
    reason          TEXT,
    raw_sha256      TEXT,
    message_ref     BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    application_id  BIGINT REFERENCES applications(id) ON DELETE SET NULL,
    seen_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (mailbox, location)
);
CREATE INDEX mail_seen_outcome ON mail_seen(outcome);
