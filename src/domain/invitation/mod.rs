//! An interview invitation's calendar event: the `.ics` (RFC 5545) attached to the message,
//! and the slot in words for the message's placeholders. Pure: the caller gives the stamp
//! time, and the slot in the organisation's zone.
//!
//! Two choices, and why:
//! - **`METHOD:PUBLISH`, not `REQUEST`.** REQUEST is an iTIP scheduling request (RFC 5546):
//!   it needs the candidate as ATTENDEE, and calendar clients answer it with an
//!   accept/decline message to the ORGANIZER, that is to the shared mailbox, where each
//!   answer would be one more mail to triage. PUBLISH is an event to add: every client
//!   offers "add to calendar", and nothing is sent back. The answer to an invitation is the
//!   candidate's email, as it is today.
//! - **`DTSTART`/`DTEND` in UTC, no `VTIMEZONE`.** A UTC instant cannot be misread, and
//!   every client shows it in its reader's own zone. A TZID needs a VTIMEZONE that spells
//!   out the zone's rules, and Africa/Casablanca's (UTC+1, UTC+0 during Ramadan, moved
//!   each year) cannot be written as the yearly RRULE most clients read; a wrong VTIMEZONE
//!   would show the wrong hour. The local time is written in words in DESCRIPTION, for the
//!   reader whose client is set to another zone.

mod ics;
#[cfg(test)]
mod tests;
mod words;

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

pub use ics::{MAX_LINE_OCTETS, escape_text};
pub use words::{Language, interview_date, interview_time};

use super::email::EmailAddress;

/// An interview's length when none is given.
pub const DEFAULT_DURATION: TimeDelta = TimeDelta::hours(1);
/// The longest an interview may be: longer is a typing mistake (minutes taken for hours).
const MAX_DURATION: TimeDelta = TimeDelta::hours(12);

/// When an interview takes place: a start in the organisation's zone and a length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    start: DateTime<Tz>,
    duration: TimeDelta,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("{local} does not exist in {zone}: the clocks go forward over it")]
    Skipped { local: NaiveDateTime, zone: Tz },
    #[error("{local} happens twice in {zone} (the clocks go back): choose another time")]
    Ambiguous { local: NaiveDateTime, zone: Tz },
    #[error("an interview lasts more than 0 and at most 12 hours")]
    Duration,
}

impl Slot {
    /// The slot starting at `local`, a wall-clock time in `zone`, lasting `duration`
    /// ([`DEFAULT_DURATION`] when `None`). A time the clocks skip or repeat (a change of
    /// summer time) is refused rather than guessed: the recruiter chooses.
    pub fn new(
        local: NaiveDateTime,
        zone: Tz,
        duration: Option<TimeDelta>,
    ) -> Result<Slot, SlotError> {
        let duration = duration.unwrap_or(DEFAULT_DURATION);
        if duration <= TimeDelta::zero() || duration > MAX_DURATION {
            return Err(SlotError::Duration);
        }
        let start = match zone.from_local_datetime(&local) {
            LocalResult::Single(start) => start,
            LocalResult::None => return Err(SlotError::Skipped { local, zone }),
            LocalResult::Ambiguous(..) => return Err(SlotError::Ambiguous { local, zone }),
        };
        Ok(Slot { start, duration })
    }

    /// The start in the organisation's zone.
    pub fn local_start(&self) -> NaiveDateTime {
        self.start.naive_local()
    }

    pub fn zone(&self) -> Tz {
        self.start.timezone()
    }

    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start.with_timezone(&Utc)
    }

    pub fn end_utc(&self) -> DateTime<Utc> {
        self.start_utc() + self.duration
    }

    pub fn duration(&self) -> TimeDelta {
        self.duration
    }
}

/// Where the interview takes place: an address, or a video call's link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Address(String),
    /// An `https://` or `http://` link, checked to hold no space or control character.
    Video(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("the place is empty")]
    Empty,
    #[error("a link holds no spaces or control characters")]
    BadLink,
}

impl Place {
    /// What a recruiter typed: a link when it starts with `https://` or `http://`, else an
    /// address (its lines kept).
    pub fn parse(text: &str) -> Result<Place, PlaceError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PlaceError::Empty);
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(PlaceError::BadLink);
            }
            return Ok(Place::Video(text.to_owned()));
        }
        Ok(Place::Address(text.to_owned()))
    }

    /// The text of the `{interview_place}` placeholder.
    pub fn as_text(&self) -> &str {
        match self {
            Place::Address(text) | Place::Video(text) => text,
        }
    }
}

/// Everything an invitation's event says.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// With the slot, what makes the event's UID.
    pub application_id: i64,
    /// The organisation's name, as `{organisation}` writes it.
    pub organisation: &'a str,
    /// The address the event is from (ORGANIZER): the mailbox's own.
    pub organiser: &'a EmailAddress,
    /// The candidate's name, for the description.
    pub candidate: &'a str,
    /// The posting's title.
    pub posting: &'a str,
    pub slot: &'a Slot,
    pub place: &'a Place,
    pub language: Language,
}

/// The event's UID: the same for one application and slot, whenever and however often the
/// invitation is written (a resend updates the event in the candidate's calendar rather
/// than adding a second), another for another slot (RFC 5545 §3.8.4.7: globally unique,
/// hence the organiser's domain).
pub fn uid(application_id: i64, slot: &Slot, domain: &str) -> String {
    format!(
        "interview-{application_id}-{}@{domain}",
        slot.start_utc().format("%Y%m%dT%H%M%SZ")
    )
}

/// The `.ics` text: one VEVENT in a VCALENDAR with `METHOD:PUBLISH`, CRLF line ends, folded
/// at 75 octets. `stamp` is when it is written (DTSTAMP).
pub fn calendar(invitation: &Invitation<'_>, stamp: DateTime<Utc>) -> String {
    let utc = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let slot = invitation.slot;
    let mut ics = ics::Writer::default();
    ics.raw("BEGIN", "VCALENDAR")
        .raw("VERSION", "2.0")
        .raw("PRODID", "-//applymail//interview invitation//FR")
        .raw("CALSCALE", "GREGORIAN")
        .raw("METHOD", "PUBLISH")
        .raw("BEGIN", "VEVENT")
        .raw(
            "UID",
            &uid(
                invitation.application_id,
                slot,
                invitation.organiser.domain(),
            ),
        )
        .raw("DTSTAMP", &utc(stamp))
        .raw("DTSTART", &utc(slot.start_utc()))
        .raw("DTEND", &utc(slot.end_utc()))
        .raw("SEQUENCE", "0")
        .raw("STATUS", "CONFIRMED")
        .text("SUMMARY", &summary(invitation))
        .text("DESCRIPTION", &description(invitation))
        .text("LOCATION", invitation.place.as_text());
    if let Place::Video(link) = invitation.place {
        ics.raw("URL", link);
    }
    ics.line(&format!(
        "ORGANIZER;CN=\"{}\":mailto:{}",
        quoted_parameter(invitation.organisation),
        invitation.organiser
    ))
    .raw("END", "VEVENT")
    .raw("END", "VCALENDAR");
    ics.finish()
}

fn summary(invitation: &Invitation<'_>) -> String {
    let word = match invitation.language {
        Language::French => "Entretien",
        Language::English => "Interview",
    };
    format!(
        "{word} – {} – {}",
        invitation.posting, invitation.organisation
    )
}

fn description(invitation: &Invitation<'_>) -> String {
    let slot = invitation.slot;
    let (date, time) = (
        interview_date(slot.local_start(), invitation.language),
        interview_time(slot.local_start(), invitation.language),
    );
    let zone = slot.zone().name();
    match invitation.language {
        Language::French => format!(
            "Entretien pour le poste « {} » avec {}.\nCandidat·e : {}\nLe {date} à {time} (heure de {zone}).\nLieu : {}",
            invitation.posting,
            invitation.organisation,
            invitation.candidate,
            invitation.place.as_text()
        ),
        Language::English => format!(
            "Interview for the post \"{}\" with {}.\nCandidate: {}\n{date} at {time} ({zone} time).\nPlace: {}",
            invitation.posting,
            invitation.organisation,
            invitation.candidate,
            invitation.place.as_text()
        ),
    }
}

/// A parameter value inside double quotes (RFC 5545 §3.1: a quoted-string holds no DQUOTE
/// and no control character), so that a name with `,`, `;` or `:` stays one value.
fn quoted_parameter(value: &str) -> String {
    value
        .chars()
        .map(|c| if c == '"' || c.is_control() { ' ' } else { c })
        .collect()
}
