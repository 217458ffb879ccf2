//! Job postings: configuration, not code, so that the next advert is a config change.

use std::fmt;

use super::subject::{SubjectMatch, SubjectRule, SubjectRuleError};

/// A posting's stable identifier, as used in the database and the export
/// (`coordination-maroc`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostingId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostingIdError {
    #[error("is empty")]
    Empty,
    #[error("may hold only lowercase ASCII letters, digits and '-'")]
    Characters,
    #[error("is longer than 64 characters")]
    TooLong,
}

impl PostingId {
    pub fn parse(raw: &str) -> Result<Self, PostingIdError> {
        if raw.is_empty() {
            return Err(PostingIdError::Empty);
        }
        if raw.len() > 64 {
            return Err(PostingIdError::TooLong);
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(PostingIdError::Characters);
        }
        Ok(PostingId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A posting and the subject rule that recognises applications to it.
#[derive(Debug, Clone)]
pub struct Posting {
    pub id: PostingId,
    pub title: String,
    /// The words candidates were asked to put in the subject ("Coordination Maroc").
    pub subject: String,
    rule: SubjectRule,
}

impl Posting {
    pub fn new(id: PostingId, title: String, subject: &str) -> Result<Self, SubjectRuleError> {
        let rule = SubjectRule::new(subject, &title)?;
        Ok(Posting {
            id,
            title,
            subject: subject.to_owned(),
            rule,
        })
    }

    pub fn analyse(&self, subject: &str) -> SubjectMatch {
        self.rule.analyse(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slugs() {
        assert!(PostingId::parse("coordination-maroc").is_ok());
        assert_eq!(
            PostingId::parse("Coordination Maroc"),
            Err(PostingIdError::Characters)
        );
        assert_eq!(PostingId::parse(""), Err(PostingIdError::Empty));
    }
}
