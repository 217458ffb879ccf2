//! Where an application stands: the recruiters' pipeline and whether anyone answered.

use std::fmt;
use std::str::FromStr;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| UnknownValue {
                        value: s.to_owned(),
                        allowed: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    })
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of: {allowed}")]
pub struct UnknownValue {
    pub value: String,
    pub allowed: String,
}

string_enum! {
    /// The recruiters' pipeline (PRODUCT.md §7).
    ApplicationStatus {
        Received => "received",
        Screening => "screening",
        Shortlisted => "shortlisted",
        Interview => "interview",
        Offer => "offer",
        Hired => "hired",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
    }
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

string_enum! {
    /// Whether the candidate has been answered (PRODUCT.md §6).
    ReplyStatus {
        Unreplied => "unreplied",
        Acknowledged => "acknowledged",
        Replied => "replied",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in ApplicationStatus::ALL {
            assert_eq!(s.as_str().parse::<ApplicationStatus>(), Ok(*s));
        }
        for s in ReplyStatus::ALL {
            assert_eq!(s.as_str().parse::<ReplyStatus>(), Ok(*s));
        }
    }

    #[test]
    fn unknown_status_lists_the_allowed_ones() {
        let err = "hiring".parse::<ApplicationStatus>().unwrap_err();
        assert!(err.to_string().contains("shortlisted"), "{err}");
    }

    #[test]
    fn terminal_statuses() {
        assert!(ApplicationStatus::Rejected.is_terminal());
        assert!(!ApplicationStatus::Interview.is_terminal());
    }
}
