//! A message's identity whatever its coordinates: its Message-ID and a hash of its raw bytes.
//! The same message met at another place (a copy in another folder, a folder renumbered by
//! a new UIDVALIDITY, a rescan) has the same identity, so it is recorded once.
//!
//! The hash is BLAKE3 since migration 0006: about three times SHA-256's speed here, and the
//! raw bytes are most of what a backfill hashes. Rows recorded before keep their SHA-256 key,
//! which cannot be recomputed without the bytes (they are not stored). While any such row
//! remains, a message read is known by both ([`Legacy::Also`]), so that a copy of an old
//! message is still recognised. This module is the only place that knows the two forms.
//!
//! An erased message leaves a tombstone: a keyed hash of its identity, which cannot be turned
//! back into the Message-ID, and which stops the message being filed again.

use sha2::{Digest, Sha256};

/// Whether the database still holds identities of before migration 0006.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legacy {
    /// Yes: a message is also known by its SHA-256 identity.
    Also,
    /// No: BLAKE3 alone.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    message_id: Option<String>,
    /// `blake3:<hex>` of the raw bytes: what `messages.raw_digest` holds.
    digest: String,
    /// The SHA-256 hex of the raw bytes, while [`Legacy::Also`].
    legacy_sha256: Option<String>,
}

impl Identity {
    pub fn of(message_id: Option<&str>, raw: &[u8], legacy: Legacy) -> Identity {
        Identity {
            message_id: message_id.map(str::to_owned),
            digest: format!("blake3:{}", blake3::hash(raw).to_hex()),
            legacy_sha256: (legacy == Legacy::Also).then(|| hex::encode(Sha256::digest(raw))),
        }
    }

    /// The raw bytes' hash as `messages.raw_digest` holds it.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The key a new row is recorded under (`messages.dedupe_key`).
    pub fn key(&self) -> String {
        self.key_with(&self.digest)
    }

    /// Every key the message may have been recorded under: the current one, then the one of
    /// before migration 0006 while such rows remain.
    pub fn keys(&self) -> Vec<String> {
        let legacy = self.legacy_sha256.as_deref().map(|sha| self.key_with(sha));
        std::iter::once(self.key()).chain(legacy).collect()
    }

    fn key_with(&self, digest: &str) -> String {
        format!("{} {digest}", self.message_id.as_deref().unwrap_or("-"))
    }
}

/// The tombstone of an erased message recorded under `key`: a keyed BLAKE3 hash, with a key
/// kept in the database (shared by every instance) and nowhere else.
pub fn tombstone(secret: &[u8; 32], key: &str) -> String {
    blake3::keyed_hash(secret, key.as_bytes())
        .to_hex()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_the_message_id_and_the_bytes() {
        let a = Identity::of(Some("<a@x>"), b"bytes", Legacy::None);
        assert_eq!(a, Identity::of(Some("<a@x>"), b"bytes", Legacy::None));
        assert_ne!(
            a.key(),
            Identity::of(Some("<a@x>"), b"other", Legacy::None).key()
        );
        assert_ne!(a.key(), Identity::of(None, b"bytes", Legacy::None).key());
        assert!(a.key().starts_with("<a@x> blake3:"));
        assert_eq!(a.keys(), vec![a.key()]);
    }

    #[test]
    fn while_old_rows_remain_the_sha256_key_is_known_too() {
        let a = Identity::of(Some("<a@x>"), b"bytes", Legacy::Also);
        let keys = a.keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0], a.key());
        assert_eq!(
            keys[1],
            format!("<a@x> {}", hex::encode(Sha256::digest(b"bytes")))
        );
    }

    #[test]
    fn tombstones_need_the_secret() {
        let key = "<a@x> blake3:00";
        assert_eq!(tombstone(&[1; 32], key), tombstone(&[1; 32], key));
        assert_ne!(tombstone(&[1; 32], key), tombstone(&[2; 32], key));
        assert!(!tombstone(&[1; 32], key).contains("a@x"));
    }
}
