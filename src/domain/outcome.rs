//! What became of a message, in the words of the ledger (`mail_seen.outcome`) and the logs.

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

use super::named::Named;

/// What the database made of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new application.
    Filed {
        application_id: i64,
    },
    /// Joined an existing application (a resend or follow-up).
    FollowUp {
        application_id: i64,
    },
    /// An answer to these applications.
    Outbound {
        application_ids: Vec<i64>,
    },
    /// The same message (Message-ID and bytes) was already recorded at other coordinates.
    Duplicate,
    Ignored(IgnoreReason),
    Quarantined,
    /// These coordinates were recorded before: nothing changed.
    AlreadySeen,
}

/// The ledger's column: an [`Outcome`] without what it touched.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    IntoStaticStr,
    EnumString,
    Display,
    VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum OutcomeKind {
    Filed,
    Followup,
    Outbound,
    Duplicate,
    Ignored,
    Quarantined,
    AlreadySeen,
}

impl OutcomeKind {
    /// Outcomes that put a message in the recruitment file, and so get the server action
    /// (keyword or move).
    pub fn is_filed(self) -> bool {
        matches!(self, OutcomeKind::Filed | OutcomeKind::Followup)
    }
}

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Filed { .. } => OutcomeKind::Filed,
            Outcome::FollowUp { .. } => OutcomeKind::Followup,
            Outcome::Outbound { .. } => OutcomeKind::Outbound,
            Outcome::Duplicate => OutcomeKind::Duplicate,
            Outcome::Ignored(_) => OutcomeKind::Ignored,
            Outcome::Quarantined => OutcomeKind::Quarantined,
            Outcome::AlreadySeen => OutcomeKind::AlreadySeen,
        }
    }

    /// The name logs and metrics use.
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn application_id(&self) -> Option<i64> {
        match self {
            Outcome::Filed { application_id } | Outcome::FollowUp { application_id } => {
                Some(*application_id)
            }
            Outcome::Outbound { application_ids } => application_ids.first().copied(),
            _ => None,
        }
    }
}

/// Why a message is not filed. Recorded with the message's coordinates, nothing else.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum IgnoreReason {
    AutoReply,
    ReadReceipt,
    Bounce,
    MailingList,
    Internal,
    NoPosting,
    NoSender,
    /// An outbound message that answers no application.
    UnrelatedOutbound,
    /// An outbound message a machine sent (applymail's own acknowledgements among them).
    AutomaticOutbound,
    /// A message of a person erased on request or by the retention purge, met again.
    Erased,
    /// Inbox mail whose From is the organisation's own address without the organisation's
    /// server vouching for it: anyone can write that From.
    UnverifiedOwnAddress,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_words_are_stable() {
        assert_eq!(OutcomeKind::Followup.as_str(), "followup");
        assert_eq!(OutcomeKind::AlreadySeen.as_str(), "already-seen");
        assert_eq!(IgnoreReason::NoPosting.as_str(), "no-posting");
        assert_eq!(
            IgnoreReason::AutomaticOutbound.as_str(),
            "automatic-outbound"
        );
        assert_eq!(
            "unrelated-outbound".parse(),
            Ok(IgnoreReason::UnrelatedOutbound)
        );
        for kind in OutcomeKind::VARIANTS {
            assert_eq!(kind.as_str().parse(), Ok(*kind));
        }
    }
}
