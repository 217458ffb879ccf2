-- Reply templates (issue 27): the acknowledgement and the answers to candidates, kept in the
-- database so that admins edit them in the app. The rows themselves are written by the
-- program at start-up (Store::open inserts each missing template with its built-in French
-- text; the acknowledgement then takes `acknowledgement.subject`/`body` from the config
-- once), so that the default texts live in one place, the domain code, with their tests.

CREATE TABLE reply_templates (
    -- acknowledgement, rejection_after_review, rejection_after_interview, missing_document,
    -- interview_invitation (domain::reply_template::TemplateName).
    name        TEXT PRIMARY KEY,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    -- Where the text comes from: the built-in text, the config (seeded once), or an admin's
    -- edit. Seeding from the config touches only a 'default' row, never an admin's text.
    origin      TEXT NOT NULL CHECK (origin IN ('default', 'config', 'admin')),
    updated_at  TEXT NOT NULL,
    -- The admin's name as it was, for an edited template.
    updated_by  TEXT
);
