use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use proptest::prelude::*;

use super::*;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    at(y, m, d, h, min).and_utc()
}

fn organiser() -> EmailAddress {
    EmailAddress::parse("contact@ong-exemple.org").unwrap()
}

fn ics_for(slot: &Slot, place: &Place, language: Language) -> String {
    let organiser = organiser();
    let invitation = Invitation {
        application_id: 42,
        organisation: "Le Partenariat, Safi; Maroc",
        organiser: &organiser,
        candidate: "Marie DUPONT",
        posting: "Coordinateur·rice du Partenariat au Maroc",
        slot,
        place,
        language,
    };
    calendar(&invitation, utc(2026, 12, 7, 9, 0))
}

/// The event's start and end as a calendar parser (the `icalendar` crate) reads them back.
fn parsed_slot(ics: &str) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
    let calendar = Calendar::from_str(ics).expect("the .ics parses");
    let event = calendar.components[0].as_event().expect("one event");
    let instant = |value: Option<DatePerhapsTime>| match value {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        other => panic!("expected a UTC date-time, got {other:?}"),
    };
    (instant(event.get_start()), instant(event.get_end()))
}

#[test]
fn the_slot_in_utc_is_the_local_slot_across_a_summer_time_change() {
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let place = Place::parse("12 rue de la Paix, 75002 Paris").unwrap();
    // Expected instants checked against the system's tzdata with date(1). 2027's summer
    // time starts on 28 March in Paris.
    for (local, start) in [
        (at(2027, 3, 26, 14, 0), utc(2027, 3, 26, 13, 0)),
        (at(2027, 3, 29, 14, 0), utc(2027, 3, 29, 12, 0)),
        (at(2027, 1, 12, 14, 30), utc(2027, 1, 12, 13, 30)),
    ] {
        let slot = Slot::new(local, paris, None).unwrap();
        let ics = ics_for(&slot, &place, Language::French);
        assert_eq!(
            parsed_slot(&ics),
            (start, start + TimeDelta::hours(1)),
            "{local}"
        );
    }
}

#[test]
fn casablanca_moves_an_hour_back_during_ramadan() {
    let casablanca: Tz = "Africa/Casablanca".parse().unwrap();
    let place = Place::parse("https://meet.example.org/entretien-42").unwrap();
    // UTC+1, and UTC+0 from 7 February to 14 March 2027 (date(1) with the system's tzdata).
    for (local, start) in [
        (at(2027, 1, 12, 14, 30), utc(2027, 1, 12, 13, 30)),
        (at(2027, 2, 20, 14, 30), utc(2027, 2, 20, 14, 30)),
        (at(2027, 3, 20, 14, 30), utc(2027, 3, 20, 13, 30)),
    ] {
        let slot = Slot::new(local, casablanca, Some(TimeDelta::minutes(45))).unwrap();
        let ics = ics_for(&slot, &place, Language::English);
        assert_eq!(
            parsed_slot(&ics),
            (start, start + TimeDelta::minutes(45)),
            "{local}"
        );
    }
}

#[test]
fn times_the_clocks_skip_or_repeat_are_refused_not_guessed() {
    let paris: Tz = "Europe/Paris".parse().unwrap();
    assert!(matches!(
        Slot::new(at(2027, 3, 28, 2, 30), paris, None),
        Err(SlotError::Skipped { .. })
    ));
    assert!(matches!(
        Slot::new(at(2027, 10, 31, 2, 30), paris, None),
        Err(SlotError::Ambiguous { .. })
    ));
    for bad in [
        TimeDelta::zero(),
        TimeDelta::minutes(-30),
        TimeDelta::hours(13),
    ] {
        assert_eq!(
            Slot::new(at(2027, 1, 12, 14, 0), paris, Some(bad)),
            Err(SlotError::Duration)
        );
    }
}

#[test]
fn the_event_says_what_where_and_who_and_its_uid_is_the_application_and_slot() {
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let slot = Slot::new(at(2027, 1, 12, 14, 30), paris, None).unwrap();
    let place = Place::parse("https://meet.example.org/entretien-42?x=1,2").unwrap();
    let ics = ics_for(&slot, &place, Language::French);
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "bare LF in {ics:?}"
    );
    let calendar = Calendar::from_str(&ics).unwrap();
    let event = calendar.components[0].as_event().unwrap();
    assert_eq!(
        event.get_uid(),
        Some("interview-42-20270112T133000Z@ong-exemple.org")
    );
    assert_eq!(
        event.get_summary(),
        Some("Entretien – Coordinateur·rice du Partenariat au Maroc – Le Partenariat, Safi; Maroc")
    );
    assert_eq!(
        event.get_location(),
        Some("https://meet.example.org/entretien-42?x=1,2")
    );
    assert_eq!(
        event.get_url(),
        Some("https://meet.example.org/entretien-42?x=1,2")
    );
    let description = event.get_description().unwrap();
    assert!(
        description.contains("Le mardi 12 janvier 2027 à 14 h 30 (heure de Europe/Paris).\n"),
        "{description}"
    );
    assert!(description.contains("Candidat·e : Marie DUPONT"));
    assert!(
        ics.contains("ORGANIZER;CN=\"Le Partenariat, Safi; Maroc\":mailto:contact@ong-exemple.org")
    );
    assert!(ics.contains("\r\nDTSTAMP:20261207T090000Z\r\n"));
    // Written again later: the same UID (the event is updated, not added twice).
    let again = calendar_again(&slot, &place);
    assert!(again.contains("UID:interview-42-20270112T133000Z@ong-exemple.org"));
    // Another slot, another event.
    let later = Slot::new(at(2027, 1, 12, 16, 0), paris, None).unwrap();
    assert_ne!(uid(42, &slot, "x.org"), uid(42, &later, "x.org"));
    assert_ne!(uid(42, &slot, "x.org"), uid(43, &slot, "x.org"));
}

fn calendar_again(slot: &Slot, place: &Place) -> String {
    ics_for(slot, place, Language::English)
}

#[test]
fn an_address_is_a_location_and_a_link_must_be_one_word() {
    assert_eq!(
        Place::parse("  Bureau de Safi\n3 avenue Hassan II  "),
        Ok(Place::Address("Bureau de Safi\n3 avenue Hassan II".into()))
    );
    assert_eq!(Place::parse(" \n"), Err(PlaceError::Empty));
    assert_eq!(
        Place::parse("https://meet.example.org/a b"),
        Err(PlaceError::BadLink)
    );
    let paris: Tz = "Europe/Paris".parse().unwrap();
    let slot = Slot::new(at(2027, 1, 12, 14, 30), paris, None).unwrap();
    let place = Place::parse("Bureau de Safi\n3 avenue Hassan II").unwrap();
    let ics = ics_for(&slot, &place, Language::French);
    assert!(ics.contains("\r\nLOCATION:Bureau de Safi\\n3 avenue Hassan II\r\n"));
    assert!(!ics.contains("\r\nURL:"));
}

#[test]
fn the_slot_in_words() {
    let tuesday = at(2027, 1, 12, 14, 30);
    assert_eq!(
        interview_date(tuesday, Language::French),
        "mardi 12 janvier 2027"
    );
    assert_eq!(interview_time(tuesday, Language::French), "14 h 30");
    assert_eq!(
        interview_date(tuesday, Language::English),
        "Tuesday 12 January 2027"
    );
    assert_eq!(interview_time(tuesday, Language::English), "2:30 pm");
    let first = at(2027, 2, 1, 9, 0);
    assert_eq!(
        interview_date(first, Language::French),
        "lundi 1er février 2027"
    );
    assert_eq!(interview_time(first, Language::French), "9 h");
    assert_eq!(
        interview_time(at(2027, 8, 1, 9, 5), Language::French),
        "9 h 05"
    );
    assert_eq!(
        interview_date(at(2027, 8, 1, 9, 5), Language::French),
        "dimanche 1er août 2027"
    );
    assert_eq!(interview_time(first, Language::English), "9:00 am");
    assert_eq!(
        interview_time(at(2027, 2, 1, 12, 0), Language::English),
        "12:00 pm"
    );
    assert_eq!(
        interview_time(at(2027, 2, 1, 0, 15), Language::English),
        "12:15 am"
    );
}

/// Undoes the writer: unfolds (RFC 5545 §3.1) and unescapes a TEXT value (§3.3.11), strictly
/// (a backslash before anything else is an error), so that the property below checks the
/// escaping as well as the folding.
fn read_back(ics: &str, name: &str) -> Result<String, String> {
    let unfolded = ics.replace("\r\n ", "");
    let line = unfolded
        .split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .ok_or("no such line")?;
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('\\') => out.push('\\'),
                Some(';') => out.push(';'),
                Some(',') => out.push(','),
                Some('n' | 'N') => out.push('\n'),
                other => return Err(format!("bad escape {other:?}")),
            },
            (';' | ',', _) => return Err(format!("unescaped {c}")),
            _ => out.push(c),
        }
    }
    Ok(out)
}

proptest! {
    /// Whatever a recruiter or a candidate's name puts in a value: no physical line passes 75
    /// octets, every line ends with CRLF, and the value reads back as it was (line breaks as
    /// LF), both with the strict reader above and with the `icalendar` crate's parser.
    #[test]
    fn folding_and_escaping_keep_lines_short_and_values_whole(
        value in "[a-zA-Zé€😀,;:\\\\\"\n .]{0,300}"
    ) {
        let mut writer = ics::Writer::default();
        writer.raw("BEGIN", "VCALENDAR").raw("BEGIN", "VEVENT").text("SUMMARY", &value)
            .raw("END", "VEVENT").raw("END", "VCALENDAR");
        let ics = writer.finish();
        prop_assert!(ics.ends_with("\r\n"));
        for line in ics.split_terminator("\r\n") {
            prop_assert!(line.len() <= MAX_LINE_OCTETS, "{} octets: {line:?}", line.len());
            prop_assert!(!line.contains(['\r', '\n']));
        }
        prop_assert_eq!(read_back(&ics, "SUMMARY"), Ok(value.clone()));
        let parsed = Calendar::from_str(&ics).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let summary = parsed.components[0].as_event().and_then(|e| e.get_summary()).map(str::to_owned);
        prop_assert_eq!(summary.unwrap_or_default(), value);
    }
}

#[test]
fn control_characters_are_not_written_and_crlf_is_one_break() {
    assert_eq!(escape_text("a\r\nb\rc\u{7}d\te"), "a\\nb\\nc d\te");
}
