-- The audit trail of erasures (see migrations/sqlite/0004). No personal data.
CREATE TABLE erasures (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('purge','forget')),
    applications  BIGINT NOT NULL,
    messages      BIGINT NOT NULL,
    documents     BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    erased_at     TIMESTAMPTZ NOT NULL
);
