-- The admin's pages (issue 26): the admins' audit trail and the daemon's health (see
-- migrations/sqlite/0015).

CREATE TABLE admin_audit (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    actor_id  BIGINT REFERENCES web_users(id) ON DELETE SET NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL
);
CREATE INDEX admin_audit_at ON admin_audit(at);

CREATE TABLE daemon_health (
    instance       TEXT PRIMARY KEY,
    mailbox        TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('starting','standby','connected','idle','down','stopped')),
    state_since    TIMESTAMPTZ NOT NULL,
    last_sync_at   TIMESTAMPTZ,
    last_error     TEXT,
    last_error_at  TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE daemon_errors (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance  TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    error     TEXT NOT NULL
);
CREATE INDEX daemon_errors_at ON daemon_errors(at);
