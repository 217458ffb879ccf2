//! What one message may cost once parsed, whatever it is split into: the bytes all its
//! archives together may expand to, and the documents it may bring (its forwards' and
//! archives' included). The per-archive limits ([`super::archive::ArchiveLimits`]) alone let
//! 20 small zips of 48 entries of 1 MiB through, 960 MiB from a 1.5 MB message.
//!
//! The expansion allowed is the smaller of `limits.max_expanded_bytes` and
//! `limits.max_expansion_ratio` times the message's own size, the total expanded against the
//! message and not entry by entry, so that splitting a bomb into many small entries gains
//! nothing; and at least [`EXPANSION_FLOOR`], so that a small message carrying a zip of a CV
//! and a letter in a format that compresses well (RTF, old DOC) is never refused for it.

use std::time::Instant;

use super::{ExtractError, ExtractLimits};

/// However small the message, its archives may expand this far.
pub const EXPANSION_FLOOR: u64 = 4 * 1024 * 1024;

/// A message's allowance, drawn down as its parts are read.
#[derive(Debug)]
pub(super) struct Budget {
    /// Bytes the message's archives may still expand to; [`super::archive::expand_zip`]
    /// draws it down by every byte it decompresses, kept or not.
    pub expansion_left: u64,
    expansion: Expansion,
    documents_left: usize,
    max_documents: usize,
    /// When the message's time for reading its documents' text
    /// ([`ExtractLimits::text_budget`]) runs out; `None` when it is too large to count.
    text_deadline: Option<Instant>,
    /// Documents that would have been read for their text, had time been left.
    pub unread: usize,
}

/// Which limit set the expansion allowed, for the error that names it.
#[derive(Debug, Clone, Copy)]
enum Expansion {
    Bytes(u64),
    Ratio { ratio: u64, size: u64, allowed: u64 },
}

impl Budget {
    /// The allowance of a message of `message_bytes` raw bytes.
    pub fn new(message_bytes: usize, limits: &ExtractLimits) -> Budget {
        let size = message_bytes as u64;
        let by_ratio = size
            .saturating_mul(limits.max_expansion_ratio)
            .max(EXPANSION_FLOOR);
        let expansion = if by_ratio < limits.max_expanded_bytes {
            Expansion::Ratio {
                ratio: limits.max_expansion_ratio,
                size,
                allowed: by_ratio,
            }
        } else {
            Expansion::Bytes(limits.max_expanded_bytes)
        };
        Budget {
            expansion_left: match expansion {
                Expansion::Bytes(allowed) | Expansion::Ratio { allowed, .. } => allowed,
            },
            expansion,
            documents_left: limits.max_documents,
            max_documents: limits.max_documents,
            text_deadline: Instant::now().checked_add(limits.text_budget),
            unread: 0,
        }
    }

    /// The deadline for reading one more document's text, or `None` (counted as unread) when
    /// the message's time is spent.
    pub fn text_deadline(&mut self) -> Option<Option<Instant>> {
        match self.text_deadline {
            Some(deadline) if Instant::now() >= deadline => {
                self.unread += 1;
                None
            }
            deadline => Some(deadline),
        }
    }

    /// The error for archives that would expand past the allowance, naming the limit that
    /// set it.
    pub fn over_expansion(&self) -> ExtractError {
        match self.expansion {
            Expansion::Bytes(limit) => ExtractError::ExpandedTooLarge { limit },
            Expansion::Ratio {
                ratio,
                size,
                allowed,
            } => ExtractError::ExpansionRatio {
                ratio,
                size,
                limit: allowed,
            },
        }
    }

    /// Counts `n` more documents.
    pub fn documents(&mut self, n: usize) -> Result<(), ExtractError> {
        match self.documents_left.checked_sub(n) {
            Some(left) => {
                self.documents_left = left;
                Ok(())
            }
            None => Err(ExtractError::TooManyDocuments {
                limit: self.max_documents,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_expanded_bytes: u64, max_expansion_ratio: u64) -> ExtractLimits {
        ExtractLimits {
            max_expanded_bytes,
            max_expansion_ratio,
            max_documents: 3,
            ..ExtractLimits::default()
        }
    }

    #[test]
    fn the_ratio_sets_the_allowance_of_a_small_message() {
        let budget = Budget::new(1_500_000, &limits(100 << 20, 20));
        assert_eq!(budget.expansion_left, 30_000_000);
        let err = budget.over_expansion().to_string();
        assert!(err.contains("limits.max_expansion_ratio"), "{err}");
        assert!(err.contains("20 times its own 1500000 bytes"), "{err}");
    }

    #[test]
    fn the_byte_limit_sets_the_allowance_of_a_large_message() {
        let budget = Budget::new(40 << 20, &limits(100 << 20, 20));
        assert_eq!(budget.expansion_left, 100 << 20);
        let err = budget.over_expansion().to_string();
        assert!(err.contains("limits.max_expanded_bytes"), "{err}");
    }

    #[test]
    fn a_tiny_message_may_always_expand_to_the_floor() {
        let budget = Budget::new(10_000, &limits(100 << 20, 20));
        assert_eq!(budget.expansion_left, EXPANSION_FLOOR);
        // Unless the admin allows less than the floor in all.
        assert_eq!(
            Budget::new(10_000, &limits(1_000, 20)).expansion_left,
            1_000
        );
    }

    #[test]
    fn documents_are_counted_across_calls() {
        let mut budget = Budget::new(10_000, &limits(100 << 20, 20));
        budget.documents(2).unwrap();
        budget.documents(1).unwrap();
        let err = budget.documents(1).unwrap_err().to_string();
        assert_eq!(err, "more than 3 documents (limits.max_documents)");
    }
}
