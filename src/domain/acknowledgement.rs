//! The automatic acknowledgement: who gets one, and what it says. Pure: sending it is the
//! SMTP adapter's job, remembering that it was sent is the store's.

use std::time::Duration;

use chrono::{DateTime, Utc};
use regex::Regex;

use super::email::EmailAddress;
use super::mail::Mail;
use super::organisation::Organisation;

/// Why an application gets no acknowledgement. Recorded, so that a recruiter can tell.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::Display,
)]
#[strum(serialize_all = "kebab-case")]
pub enum SkipReason {
    /// The message says a machine sent it (RFC 3834): answering could start a mail loop.
    #[strum(serialize = "automatic-message")]
    Automatic,
    /// The address matches `acknowledgement.deny`, or is the organisation's own.
    #[strum(serialize = "deny-list")]
    Denied,
    /// A colleague forwarded the application: the candidate did not write to this mailbox.
    Forwarded,
    /// The message is older than `acknowledgement.max_age` (a backfill of old mail).
    TooOld,
    /// Someone answered the candidate before the acknowledgement went out.
    AlreadyAnswered,
}

/// Address patterns that never get an acknowledgement: `*` matches any run of characters,
/// the match is case-insensitive and covers the whole address.
#[derive(Debug, Clone)]
pub struct DenyList {
    patterns: Vec<String>,
    matcher: Option<Regex>,
}

/// Addresses that are machines, whatever the configuration adds.
pub const BUILTIN_DENY: &[&str] = &[
    "mailer-daemon@*",
    "postmaster@*",
    "*noreply*@*",
    "*no-reply*@*",
    "*donotreply*@*",
    "*do-not-reply*@*",
    "bounce*@*",
    "*-request@*",
    "listserv@*",
    "majordomo@*",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an address pattern (use letters, digits, . - _ + @ and *)")]
pub struct PatternError(pub String);

impl DenyList {
    /// The built-in patterns plus `extra`.
    pub fn new<'a>(extra: impl IntoIterator<Item = &'a str>) -> Result<DenyList, PatternError> {
        let patterns: Vec<String> = BUILTIN_DENY
            .iter()
            .copied()
            .chain(extra)
            .map(|p| p.trim().to_ascii_lowercase())
            .collect();
        let mut alternatives = Vec::with_capacity(patterns.len());
        for pattern in &patterns {
            let valid = !pattern.is_empty()
                && pattern
                    .chars()
                    .all(|c| c.is_alphanumeric() || "._-+@*'".contains(c));
            if !valid {
                return Err(PatternError(pattern.clone()));
            }
            let parts: Vec<String> = pattern.split('*').map(regex::escape).collect();
            alternatives.push(parts.join(".*"));
        }
        let matcher = Regex::new(&format!("^(?:{})$", alternatives.join("|"))).ok();
        Ok(DenyList { patterns, matcher })
    }

    pub fn denies(&self, address: &EmailAddress) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|m| m.is_match(&address.as_str().to_ascii_lowercase()))
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// Who may be acknowledged.
#[derive(Debug, Clone)]
pub struct AckPolicy {
    pub deny: DenyList,
    /// Older messages are filed without an acknowledgement, so that the first run over years
    /// of mail does not write to every past candidate.
    pub max_age: Duration,
}

impl AckPolicy {
    /// Whether the candidate who sent `mail` should get an acknowledgement now.
    pub fn decide(
        &self,
        mail: &Mail,
        candidate: &EmailAddress,
        forwarded: bool,
        organisation: &Organisation,
        arrived_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), SkipReason> {
        if mail.automation.is_automatic() {
            return Err(SkipReason::Automatic);
        }
        if forwarded {
            return Err(SkipReason::Forwarded);
        }
        if organisation.is_internal(candidate) || self.deny.denies(candidate) {
            return Err(SkipReason::Denied);
        }
        // The server's arrival time, never the sender's Date header: a Date in the past (or
        // missing) must not decide whether a candidate gets an answer.
        let age = (now - arrived_at).to_std().unwrap_or_default();
        if age > self.max_age {
            return Err(SkipReason::TooOld);
        }
        Ok(())
    }
}

pub use super::template::{Fields, Template, TemplateError};

/// The subject and body of an acknowledgement: a reply template like the others.
pub type AckTemplate = super::reply_template::ReplyTemplate;

pub const DEFAULT_SUBJECT: &str = "Votre candidature : {posting}";

pub const DEFAULT_BODY: &str = "Bonjour {first_name} {last_name},

Nous avons bien reçu votre candidature au poste « {posting} » et nous vous en remercions.
Elle sera étudiée avec attention, et nous reviendrons vers vous dès que possible.

Ce message est envoyé automatiquement : il n'est pas nécessaire d'y répondre.

Bien cordialement,
{organisation}
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mail::Automation;

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    fn fields() -> Fields<'static> {
        Fields {
            first_name: "Amina",
            last_name: "EL MANSOURI",
            posting: "Coordinateur·rice au Maroc",
            organisation: "ONG Exemple",
            ..Fields::default()
        }
    }

    #[test]
    fn the_default_template_is_french_and_complete() {
        let t = crate::domain::reply_template::TemplateName::Acknowledgement.default_template();
        Template::parse(DEFAULT_SUBJECT).unwrap();
        Template::parse(DEFAULT_BODY).unwrap();
        assert_eq!(
            t.subject.render(&fields()),
            "Votre candidature : Coordinateur·rice au Maroc"
        );
        let body = t.body.render(&fields());
        assert!(body.starts_with("Bonjour Amina EL MANSOURI,\n"), "{body}");
        assert!(body.contains("« Coordinateur·rice au Maroc »"));
        assert!(body.trim_end().ends_with("ONG Exemple"));
    }

    #[test]
    fn an_unknown_name_leaves_no_gap() {
        let t = crate::domain::reply_template::TemplateName::Acknowledgement.default_template();
        let f = Fields {
            first_name: "",
            last_name: "",
            ..fields()
        };
        assert!(t.body.render(&f).starts_with("Bonjour,\n"));
    }

    #[test]
    fn the_deny_list_matches_whole_addresses_case_insensitively() {
        let deny = DenyList::new(["*@partenaire.example", "jobs@board.example"]).unwrap();
        for denied in [
            "MAILER-DAEMON@mx.example",
            "no-reply@jobs.example",
            "notifications-noreply@linkedin.example",
            "x@partenaire.example",
            "jobs@board.example",
        ] {
            assert!(deny.denies(&addr(denied)), "{denied}");
        }
        for allowed in [
            "amina@example.com",
            "x@partenaire.example.com",
            "jobs@board.example.org",
            "noreplyer.fan@example.com",
        ] {
            let a = addr(allowed);
            assert_eq!(deny.denies(&a), allowed.starts_with("noreply"), "{allowed}");
        }
        assert!(DenyList::new(["a b@c"]).is_err());
        assert!(
            DenyList::new(["(.*)@x"]).is_err(),
            "patterns are not regexes"
        );
    }

    fn mail(date: Option<DateTime<Utc>>, automation: Automation) -> Mail {
        Mail {
            date,
            automation,
            ..Mail::default()
        }
    }

    #[test]
    fn the_policy_skips_machines_forwards_the_deny_list_and_old_mail() {
        let policy = AckPolicy {
            deny: DenyList::new([]).unwrap(),
            max_age: Duration::from_secs(3 * 86_400),
        };
        let org = Organisation {
            addresses: vec![addr("contact@ong.example")],
            domains: vec!["ong.example".into()],
            authserv_id: None,
            timezone: chrono_tz::Tz::UTC,
        };
        let now = Utc::now();
        let fresh = mail(
            Some(now - chrono::Duration::hours(2)),
            Automation::default(),
        );
        let candidate = addr("amina@example.com");
        let arrived = now - chrono::Duration::hours(1);
        assert_eq!(
            policy.decide(&fresh, &candidate, false, &org, arrived, now),
            Ok(())
        );
        assert_eq!(
            policy.decide(
                &mail(None, Automation::default()),
                &candidate,
                false,
                &org,
                arrived,
                now
            ),
            Ok(())
        );
        let auto = mail(
            Some(now),
            Automation {
                auto_submitted: Some("auto-replied".into()),
                ..Automation::default()
            },
        );
        assert_eq!(
            policy.decide(&auto, &candidate, false, &org, arrived, now),
            Err(SkipReason::Automatic)
        );
        assert_eq!(
            policy.decide(&fresh, &candidate, true, &org, arrived, now),
            Err(SkipReason::Forwarded)
        );
        assert_eq!(
            policy.decide(&fresh, &addr("rh@ong.example"), false, &org, arrived, now),
            Err(SkipReason::Denied)
        );
        assert_eq!(
            policy.decide(
                &fresh,
                &addr("no-reply@example.com"),
                false,
                &org,
                arrived,
                now
            ),
            Err(SkipReason::Denied)
        );
        let old = now - chrono::Duration::days(4);
        assert_eq!(
            policy.decide(&fresh, &candidate, false, &org, old, now),
            Err(SkipReason::TooOld),
            "the server received it four days ago"
        );
        let dated_long_ago = mail(
            Some(now - chrono::Duration::days(400)),
            Automation::default(),
        );
        assert_eq!(
            policy.decide(&dated_long_ago, &candidate, false, &org, arrived, now),
            Ok(()),
            "the sender's Date header decides nothing"
        );
    }
}
