-- A filed message's identity now hashes its raw bytes with BLAKE3 instead of SHA-256: about
-- three times faster here, and the raw bytes were most of what a backfill hashed (documents
-- keep SHA-256, which names their files). The column says which algorithm made each value.
--
-- The dedupe keys of the rows recorded before cannot be recomputed without the bytes, so they
-- keep their SHA-256. While any such row remains, the daemon computes both hashes for the
-- messages it reads and recognises a copy of an old message by either (Store::open).
ALTER TABLE messages RENAME COLUMN raw_sha256 TO raw_digest;
UPDATE messages SET raw_digest = 'sha256:' || raw_digest;
