-- The audit trail of erasures (retention purges and `forget`): when, why, how much, by whom.
-- It holds no personal data: no names, addresses or Message-IDs.
CREATE TABLE erasures (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('purge','forget')),
    applications  INTEGER NOT NULL,
    messages      INTEGER NOT NULL,
    documents     INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    erased_at     TEXT NOT NULL
);
