-- The admin's pages (issue 26): what admins did in the web app, and what the daemon says of
-- itself, for `applymail web` (often another process than the daemon) to show.

-- Every admin action: who, what, on what, when. `target` names a staff account or a count,
-- never a candidate: an erasure's line says how many applications, not whose.
CREATE TABLE admin_audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    -- The admin's name as it was (an account may be renamed or disabled later).
    actor     TEXT NOT NULL,
    actor_id  INTEGER REFERENCES web_users(id) ON DELETE SET NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL
);
CREATE INDEX admin_audit_at ON admin_audit(at);

-- One row per daemon instance (host and process), written when its state changes and after
-- each complete pass. `mailbox` and `last_error` may name hosts and logins: admins only.
-- Errors are the daemon's log text, which never holds a password.
CREATE TABLE daemon_health (
    instance       TEXT PRIMARY KEY,
    mailbox        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('starting','standby','connected','idle','down','stopped')),
    -- When `state` took its value.
    state_since    TEXT NOT NULL,
    last_sync_at   TEXT,
    last_error     TEXT,
    last_error_at  TEXT,
    -- The last write: a daemon that is not stopped and has not written for long is gone.
    updated_at     TEXT NOT NULL
);

-- The daemons' recent errors, the newest few hundred kept.
CREATE TABLE daemon_errors (
    id        INTEGER PRIMARY KEY,
    instance  TEXT NOT NULL,
    at        TEXT NOT NULL,
    error     TEXT NOT NULL
);
CREATE INDEX daemon_errors_at ON daemon_errors(at);
