//! The slot in words, for the `{interview_date}` and `{interview_time}` placeholders, in the
//! organisation's zone: "mardi 12 janvier 2027", "14 h 30"; "Tuesday 12 January 2027",
//! "2:30 pm".

use chrono::{Datelike, NaiveDateTime, Timelike, Weekday};

/// The language of a message to a candidate. French is the default (PRODUCT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    French,
    English,
}

const JOURS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

/// The date, local to the organisation: "mardi 12 janvier 2027" (the first of the month is
/// "1er", as French writes it), "Tuesday 12 January 2027".
pub fn interview_date(local: NaiveDateTime, language: Language) -> String {
    let (weekday, month) = (weekday_index(local.weekday()), local.month0() as usize);
    match language {
        Language::French => {
            let day = match local.day() {
                1 => "1er".to_owned(),
                d => d.to_string(),
            };
            format!("{} {day} {} {}", JOURS[weekday], MOIS[month], local.year())
        }
        Language::English => format!(
            "{} {} {} {}",
            DAYS[weekday],
            local.day(),
            MONTHS[month],
            local.year()
        ),
    }
}

/// The time, local to the organisation: "14 h 30", "9 h" on the hour (French style, no
/// zero); "2:30 pm", "9:00 am", "12:00 pm" for noon.
pub fn interview_time(local: NaiveDateTime, language: Language) -> String {
    let (hour, minute) = (local.hour(), local.minute());
    match language {
        Language::French if minute == 0 => format!("{hour} h"),
        Language::French => format!("{hour} h {minute:02}"),
        Language::English => {
            let (twelve, half) = match hour {
                0 => (12, "am"),
                1..=11 => (hour, "am"),
                12 => (12, "pm"),
                _ => (hour - 12, "pm"),
            };
            format!("{twelve}:{minute:02} {half}")
        }
    }
}
