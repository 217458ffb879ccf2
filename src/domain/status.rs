//! Where an application stands: the recruiters' pipeline and whether anyone answered.

use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// The recruiters' pipeline (PRODUCT.md §7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum ApplicationStatus {
    Received,
    Screening,
    Shortlisted,
    Interview,
    Offer,
    Hired,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    /// Rejected and withdrawn applications are closed: reopening one needs `--force`.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Rejected | ApplicationStatus::Withdrawn
        )
    }
}

/// Whether the candidate has been answered (PRODUCT.md §6).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, IntoStaticStr, EnumString, Display, VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum ReplyStatus {
    Unreplied,
    Acknowledged,
    Replied,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::named::{Named, parse_named};

    #[test]
    fn statuses_round_trip() {
        for s in ApplicationStatus::VARIANTS {
            assert_eq!(parse_named::<ApplicationStatus>(s.as_str()), Ok(*s));
            assert_eq!(s.as_str().parse::<ApplicationStatus>(), Ok(*s));
        }
        for s in ReplyStatus::VARIANTS {
            assert_eq!(parse_named::<ReplyStatus>(s.as_str()), Ok(*s));
        }
        assert_eq!(
            parse_named::<ApplicationStatus>(" Shortlisted "),
            Ok(ApplicationStatus::Shortlisted)
        );
    }

    #[test]
    fn unknown_status_lists_the_allowed_ones() {
        let err = parse_named::<ApplicationStatus>("hiring").unwrap_err();
        assert!(err.to_string().contains("shortlisted"), "{err}");
    }

    #[test]
    fn terminal_statuses() {
        assert!(ApplicationStatus::Rejected.is_terminal());
        assert!(!ApplicationStatus::Interview.is_terminal());
    }
}
