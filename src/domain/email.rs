//! Email addresses, compared the way recruiters expect: without case.

use std::fmt;

/// A syntactically plausible address, lowercased. Local parts are case-sensitive in theory
/// (RFC 5321 §2.4) but no provider a candidate uses treats them so, and the same person
/// writing `Marie.Dupont@` and `marie.dupont@` must land in one application.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("is longer than 254 characters")]
    TooLong,
    #[error("needs exactly one @ with text on both sides")]
    Shape,
    #[error("contains whitespace or control characters")]
    BadCharacter,
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let trimmed = raw
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::BadCharacter);
        }
        let mut halves = trimmed.rsplitn(2, '@');
        let (domain, local) = (
            halves.next().unwrap_or_default(),
            halves.next().unwrap_or_default(),
        );
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || !domain.contains('.') && domain != "localhost"
        {
            return Err(EmailError::Shape);
        }
        Ok(EmailAddress(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map(|(l, _)| l).unwrap_or(&self.0)
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Mailer daemons and postmasters send bounces, never applications.
    pub fn is_mailer_daemon(&self) -> bool {
        let local = self.local_part();
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_lowercased_and_trimmed() {
        let a = EmailAddress::parse(" <Marie.Dupont@Example.COM> ").unwrap();
        assert_eq!(a.as_str(), "marie.dupont@example.com");
        assert_eq!(a.domain(), "example.com");
        assert_eq!(a.local_part(), "marie.dupont");
    }

    #[test]
    fn bad_addresses_say_why() {
        assert_eq!(EmailAddress::parse(""), Err(EmailError::Empty));
        assert_eq!(EmailAddress::parse("nobody"), Err(EmailError::Shape));
        assert_eq!(EmailAddress::parse("a@"), Err(EmailError::Shape));
        assert_eq!(
            EmailAddress::parse("a b@example.org"),
            Err(EmailError::BadCharacter)
        );
        assert_eq!(EmailAddress::parse("x@nodot"), Err(EmailError::Shape));
    }

    #[test]
    fn daemons_are_recognised() {
        assert!(
            EmailAddress::parse("MAILER-DAEMON@mx.example.org")
                .unwrap()
                .is_mailer_daemon()
        );
        assert!(
            !EmailAddress::parse("marie@example.org")
                .unwrap()
                .is_mailer_daemon()
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_is_idempotent(s in ".{0,300}") {
            if let Ok(a) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(a.as_str()), Ok(a.clone()));
            }
        }
    }
}
