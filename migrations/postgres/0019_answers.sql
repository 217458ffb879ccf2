-- Answers to candidates (issue 27): a reply from an application's page, a bulk send from the
-- list, or `applymail reply`, each recorded as a job with one row per application. Any
-- process with an SMTP server (the daemon, `web`, the command) sends the rows; a row is
-- claimed (`pending` → `sending`, committed) just before its DATA, so two processes never
-- send the same row and a crash never sends one twice (the acknowledgements' rule). A row
-- still `sending` long after its claim was interrupted: it becomes `uncertain`, and only a
-- person's "resend" makes it `pending` again.
CREATE TABLE answer_jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- domain::reply_template::TemplateName of the template it started from.
    template      TEXT NOT NULL,
    -- The text sent: a template (placeholders filled per application) or, for one reply
    -- edited by its author, the literal text.
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    literal       BOOLEAN NOT NULL DEFAULT FALSE,
    -- The status each application takes once its answer is sent, if any.
    set_status    TEXT,
    -- The interview's slot (local time in the organisation's zone), length and place.
    interview_at  TEXT,
    interview_minutes BIGINT,
    interview_place TEXT,
    -- How many applications the job was created for (rows of erased ones are gone).
    total         BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    -- The form's one-time token: a form sent twice (a double click, a reload) finds the
    -- job the first made instead of making a second.
    request_token TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE answers (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          BIGINT NOT NULL REFERENCES answer_jobs(id) ON DELETE CASCADE,
    application_id  BIGINT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    state           TEXT NOT NULL
        CHECK (state IN ('pending','sending','sent','failed','uncertain','skipped')),
    -- Why it was skipped, or the last error.
    reason          TEXT,
    -- Fixed at creation: a retry after a 4xx carries the same Message-ID.
    message_id      TEXT NOT NULL UNIQUE,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    UNIQUE (job_id, application_id)
);
CREATE INDEX answers_due ON answers(state, next_attempt_at);
CREATE INDEX answers_application ON answers(application_id);
