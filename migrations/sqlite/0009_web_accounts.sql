-- The recruiters' web app: accounts, their sessions, and failed logins for throttling.

-- An account, made only by `applymail user add` (or an admin in the app).
CREATE TABLE web_users (
    id             INTEGER PRIMARY KEY,
    -- Lowercased.
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('recruiter','admin')),
    -- argon2id, PHC string.
    password_hash  TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TEXT NOT NULL
);

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so that
-- the database (or a backup of it) cannot be used to sign in.
CREATE TABLE web_sessions (
    token_sha256  TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

-- Failed logins of the last hours, per account and per client address (each a keyed hash:
-- what a stranger typed is not kept).
CREATE TABLE web_login_failures (
    id         INTEGER PRIMARY KEY,
    subject    TEXT NOT NULL,
    failed_at  TEXT NOT NULL
);
CREATE INDEX web_login_failures_subject ON web_login_failures(subject, failed_at);
