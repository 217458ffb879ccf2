//! Answers to candidates (a reply from an application's page, a bulk send, `applymail
//! reply`): what a job sends, the interview it may carry, and who is skipped and why. Pure:
//! the store keeps jobs, the outbox sends them.

use chrono::{NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

use super::acknowledgement::DenyList;
use super::email::EmailAddress;
use super::invitation::{Language, Place, Slot, SlotError, interview_date, interview_time};
use super::organisation::Organisation;
use super::reply_template::{ReplyTemplate, TemplateName};
use super::status::ApplicationStatus;
use super::template::Fields;

/// What a job sends to each of its applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerText {
    /// A template: each application gets its own names, posting and missing documents.
    Template(ReplyTemplate),
    /// One reply whose author edited the rendered text: sent as written.
    Literal { subject: String, body: String },
}

impl AnswerText {
    /// The subject and body for one application.
    pub fn render(&self, fields: &Fields<'_>) -> (String, String) {
        match self {
            AnswerText::Template(t) => (t.subject.render(fields), t.body.render(fields)),
            AnswerText::Literal { subject, body } => (subject.clone(), body.clone()),
        }
    }
}

/// An interview's slot and place, as the recruiter typed them (local time in the
/// organisation's zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interview {
    pub start: NaiveDateTime,
    pub minutes: i64,
    pub place: Place,
}

impl Interview {
    /// The slot in `zone`; a time the clocks skip or repeat is refused.
    pub fn slot(&self, zone: Tz) -> Result<Slot, SlotError> {
        Slot::new(self.start, zone, Some(TimeDelta::minutes(self.minutes)))
    }

    /// `{interview_date}` and `{interview_time}` in French (the candidates' language).
    pub fn in_words(&self) -> (String, String) {
        (
            interview_date(self.start, Language::French),
            interview_time(self.start, Language::French),
        )
    }
}

/// A job as asked: the template it starts from, the text, what it does to the status, and
/// the interview when it invites.
#[derive(Debug, Clone)]
pub struct AnswerRequest {
    pub template: TemplateName,
    pub text: AnswerText,
    pub set_status: Option<ApplicationStatus>,
    pub interview: Option<Interview>,
    /// The account (or `cli`) that asked: written in the status history.
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("an interview invitation needs a date, a time and a place")]
    InterviewMissing,
    #[error("the interview's slot: {0}")]
    Slot(#[from] SlotError),
    #[error("the acknowledgement is sent automatically: choose another template")]
    Acknowledgement,
    #[error("the subject is empty")]
    EmptySubject,
}

impl AnswerRequest {
    /// The rules a job must meet before any row is written: an invitation has its slot (and
    /// the slot exists in the organisation's zone), and the acknowledgement is not sent by
    /// hand.
    pub fn check(&self, zone: Tz) -> Result<(), RequestError> {
        if self.template == TemplateName::Acknowledgement {
            return Err(RequestError::Acknowledgement);
        }
        match (&self.interview, self.template) {
            (None, TemplateName::InterviewInvitation) => {
                return Err(RequestError::InterviewMissing);
            }
            (Some(interview), _) => {
                interview.slot(zone)?;
            }
            (None, _) => {}
        }
        if let AnswerText::Literal { subject, .. } = &self.text
            && subject.trim().is_empty()
        {
            return Err(RequestError::EmptySubject);
        }
        Ok(())
    }
}

/// Why an application of a job gets no message.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::Display,
)]
#[strum(serialize_all = "kebab-case")]
pub enum AnswerSkip {
    /// The address matches the deny list (built-in or `acknowledgement.deny`).
    #[strum(serialize = "deny-list")]
    DenyListed,
    /// A delivery report said the address does not exist.
    Bounced,
    /// The organisation's own address or a colleague's domain.
    Internal,
}

impl AnswerSkip {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Whether an answer to `address` must not be sent, and why.
pub fn skip_reason(
    address: &EmailAddress,
    deny: &DenyList,
    organisation: &Organisation,
    bounced: bool,
) -> Option<AnswerSkip> {
    if organisation.is_internal(address) {
        Some(AnswerSkip::Internal)
    } else if deny.denies(address) {
        Some(AnswerSkip::DenyListed)
    } else if bounced {
        Some(AnswerSkip::Bounced)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::template::Template;

    fn request(template: TemplateName, interview: Option<Interview>) -> AnswerRequest {
        AnswerRequest {
            template,
            text: AnswerText::Template(template.default_template()),
            set_status: None,
            interview,
            author: "alice".into(),
        }
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn an_invitation_needs_a_slot_that_exists() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let place = Place::parse("12 rue de la Paix, Rabat").unwrap();
        assert_eq!(
            request(TemplateName::InterviewInvitation, None).check(paris),
            Err(RequestError::InterviewMissing)
        );
        let skipped = Interview {
            start: at("2027-03-28T02:30"),
            minutes: 60,
            place: place.clone(),
        };
        assert!(matches!(
            request(TemplateName::InterviewInvitation, Some(skipped)).check(paris),
            Err(RequestError::Slot(SlotError::Skipped { .. }))
        ));
        let fine = Interview {
            start: at("2027-01-12T14:30"),
            minutes: 45,
            place,
        };
        assert_eq!(
            request(TemplateName::InterviewInvitation, Some(fine.clone())).check(paris),
            Ok(())
        );
        assert_eq!(
            fine.in_words(),
            ("mardi 12 janvier 2027".to_owned(), "14 h 30".to_owned())
        );
        assert_eq!(
            request(TemplateName::RejectionAfterReview, None).check(paris),
            Ok(())
        );
        assert_eq!(
            request(TemplateName::Acknowledgement, None).check(paris),
            Err(RequestError::Acknowledgement)
        );
    }

    #[test]
    fn a_literal_text_is_sent_as_written_and_a_template_is_filled() {
        let fields = Fields {
            first_name: "Leïla",
            last_name: "Bennani",
            posting: "Coordination Maroc",
            ..Fields::default()
        };
        let template = AnswerText::Template(ReplyTemplate {
            subject: Template::parse("Re: {posting}").unwrap(),
            body: Template::parse("Bonjour {first_name} {last_name}").unwrap(),
        });
        assert_eq!(
            template.render(&fields),
            (
                "Re: Coordination Maroc".to_owned(),
                "Bonjour Leïla Bennani".to_owned()
            )
        );
        let literal = AnswerText::Literal {
            subject: "Objet {first_name}".into(),
            body: "Texte".into(),
        };
        assert_eq!(
            literal.render(&fields),
            ("Objet {first_name}".to_owned(), "Texte".to_owned())
        );
    }

    #[test]
    fn internal_then_denied_then_bounced_addresses_are_skipped() {
        let organisation = Organisation {
            addresses: vec![EmailAddress::parse("contact@ngo.example").unwrap()],
            domains: vec!["ngo.example".into()],
            authserv_id: None,
            timezone: chrono_tz::UTC,
        };
        let deny = DenyList::new([]).unwrap();
        let skip = |a: &str, bounced| {
            skip_reason(
                &EmailAddress::parse(a).unwrap(),
                &deny,
                &organisation,
                bounced,
            )
        };
        assert_eq!(skip("rh@ngo.example", true), Some(AnswerSkip::Internal));
        assert_eq!(
            skip("noreply@jobs.example", false),
            Some(AnswerSkip::DenyListed)
        );
        assert_eq!(skip("leila@mail.example", true), Some(AnswerSkip::Bounced));
        assert_eq!(skip("leila@mail.example", false), None);
        assert_eq!(
            "deny-list".parse::<AnswerSkip>(),
            Ok(AnswerSkip::DenyListed)
        );
    }
}
