-- What an outside review found ("Nothing skipped, nothing leaked").

-- Secrets of the installation, made once and shared by every instance: the key of the
-- erased messages' tombstones.
CREATE TABLE secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Each attempt at a message not yet recorded, counted before it is made: a message that
-- fails again and again, or stops the daemon, is quarantined instead of blocking the
-- mailbox. The row goes when the message is recorded.
CREATE TABLE mail_attempts (
    mailbox              TEXT NOT NULL,
    location             TEXT NOT NULL,
    attempts             INTEGER NOT NULL,
    -- Attempts that ended with an error; the others stopped the daemon.
    failures             INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    -- Another message went through while this one failed: the fault is this message's.
    others_went_through  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (mailbox, location)
);

-- Erased messages, as keyed hashes of their identity (Message-ID and bytes): met again at
-- new coordinates, they are not filed again. Nothing here can be turned back into a person.
CREATE TABLE erased_identities (
    tombstone  TEXT PRIMARY KEY,
    erased_at  TEXT NOT NULL
);

-- When the server received each message: what retention and ordering use. The Date header
-- (sent_at) is the sender's and is kept for display only, never later than the arrival.
-- Rows recorded before: the earlier of the Date header and the moment applymail saw them.
ALTER TABLE messages ADD COLUMN arrived_at TEXT;
UPDATE messages SET arrived_at = CASE WHEN sent_at > recorded_at THEN recorded_at ELSE sent_at END;
UPDATE messages SET sent_at = arrived_at WHERE sent_at > arrived_at;
UPDATE applications SET
    received_at = COALESCE((SELECT min(m.arrived_at) FROM application_messages am JOIN messages m ON m.id = am.message_id
                             WHERE am.application_id = applications.id AND m.direction = 'inbound'), received_at),
    last_inbound_at = COALESCE((SELECT max(m.arrived_at) FROM application_messages am JOIN messages m ON m.id = am.message_id
                                 WHERE am.application_id = applications.id AND m.direction = 'inbound'), last_inbound_at),
    last_outbound_at = COALESCE((SELECT max(m.arrived_at) FROM application_messages am JOIN messages m ON m.id = am.message_id
                                  WHERE am.application_id = applications.id AND m.direction = 'outbound'), last_outbound_at);

-- A keyword or move that the server refused after the commit: still due, retried by later
-- passes.
ALTER TABLE mail_seen ADD COLUMN action_due BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX mail_seen_action_due ON mail_seen(mailbox) WHERE action_due;
-- The size of a message quarantined without being downloaded (too large): it is read again
-- once limits.max_message_bytes allows it.
ALTER TABLE mail_seen ADD COLUMN raw_size INTEGER;

-- The current CV and letter are the last to arrive.
DROP VIEW applications_overview;
CREATE VIEW applications_overview AS
SELECT
    a.id,
    a.posting,
    c.last_name,
    c.first_name,
    c.email,
    a.status,
    a.reply_status,
    a.subject_nonconforming,
    a.received_at,
    a.last_inbound_at,
    a.last_outbound_at,
    EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'cv') AS has_cv,
    EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = 'letter') AS has_letter,
    (SELECT d.sha256 FROM documents d JOIN messages m ON m.id = d.message_id
      WHERE d.application_id = a.id AND d.kind = 'cv'
      ORDER BY m.arrived_at DESC, m.id DESC, d.position DESC LIMIT 1) AS current_cv_sha256,
    (SELECT d.sha256 FROM documents d JOIN messages m ON m.id = d.message_id
      WHERE d.application_id = a.id AND d.kind = 'letter'
      ORDER BY m.arrived_at DESC, m.id DESC, d.position DESC LIMIT 1) AS current_letter_sha256
FROM applications a
JOIN candidates c ON c.id = a.candidate_id;
