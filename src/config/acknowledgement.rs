//! `[acknowledgement]`: the automatic acknowledgement sent over SMTP. Off unless
//! `enabled = true`; every problem names its key. Its SMTP server is `[smtp]`, or
//! `[acknowledgement.smtp]` (its older place) when `[smtp]` is absent (see [`super::smtp`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Deserialize;

use super::Organisation;
use super::keys::{ConfigError, key_error};
use super::smtp::{RawSmtp, SmtpSettings, validate_smtp};
use crate::domain::acknowledgement::{
    AckPolicy, AckTemplate, DEFAULT_BODY, DEFAULT_SUBJECT, DenyList, Template,
};
use crate::domain::email::EmailAddress;
use crate::domain::posting::{Posting, PostingId};

const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3 * 86_400);

#[derive(Debug, Clone)]
pub struct AcknowledgementSettings {
    pub from: EmailAddress,
    pub from_name: Option<String>,
    /// The `{organisation}` placeholder: `organisation_name`, else `from_name`, else `from`.
    pub signature: String,
    /// The SMTP server: `[smtp]`, else `[acknowledgement.smtp]`.
    pub smtp: SmtpSettings,
    pub policy: AckPolicy,
    /// `acknowledgement.subject`/`body` (or the built-in text): only the seed of the
    /// database's `acknowledgement` template, and its fallback should that row be unreadable.
    pub default_template: AckTemplate,
    /// Whether `subject` or `body` was set: only then is the database's template seeded.
    pub template_configured: bool,
    pub templates: HashMap<PostingId, AckTemplate>,
    /// Keep a copy of each acknowledgement in the mailbox's Sent folder.
    pub save_to_sent: bool,
}

impl AcknowledgementSettings {
    /// A posting's own template from the config (`acknowledgement.postings.ID`), which wins
    /// over the database's; `None`: the database's `acknowledgement` template.
    pub fn posting_template(&self, posting: &PostingId) -> Option<&AckTemplate> {
        self.templates.get(posting)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAcknowledgement {
    #[serde(default)]
    enabled: bool,
    from: Option<String>,
    from_name: Option<String>,
    organisation_name: Option<String>,
    max_age: Option<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    save_to_sent: bool,
    subject: Option<String>,
    body: Option<String>,
    smtp: Option<RawSmtp>,
    #[serde(default)]
    postings: BTreeMap<String, RawTemplate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    subject: Option<String>,
    body: Option<String>,
}

/// The section's own `[acknowledgement.smtp]` (checked whether or not acknowledgements are
/// on: it is the SMTP configuration when `[smtp]` is absent), and the acknowledgements'
/// settings, `None` when `enabled = false`. `shared` is `[smtp]`, which wins.
pub(super) fn validate(
    mut raw: RawAcknowledgement,
    postings: &[Posting],
    organisation: &Organisation,
    shared: Option<&SmtpSettings>,
) -> Result<(Option<SmtpSettings>, Option<AcknowledgementSettings>), ConfigError> {
    let own = raw
        .smtp
        .take()
        .map(|s| validate_smtp(s, "acknowledgement.smtp"))
        .transpose()?;
    if !raw.enabled {
        return Ok((own, None));
    }
    let template_configured = raw.subject.is_some() || raw.body.is_some();
    let from_text = raw.from.ok_or_else(|| {
        key_error(
            "acknowledgement.from",
            "is required with enabled = true (the address acknowledgements come from)",
        )
    })?;
    let from = EmailAddress::parse(&from_text)
        .map_err(|e| key_error("acknowledgement.from", format!("`{from_text}`: {e}")))?;
    if !organisation.is_own_address(&from) {
        return Err(key_error(
            "acknowledgement.from",
            format!(
                "`{from}` is not one of organisation.addresses: candidates' answers must come back to the watched mailbox"
            ),
        ));
    }
    let max_age = match raw.max_age {
        None => DEFAULT_MAX_AGE,
        Some(text) => humantime::parse_duration(&text).map_err(|e| {
            key_error(
                "acknowledgement.max_age",
                format!("`{text}`: {e} (for example \"3days\")"),
            )
        })?,
    };
    let deny = DenyList::new(raw.deny.iter().map(String::as_str)).map_err(|e| {
        let index = raw
            .deny
            .iter()
            .position(|d| d.trim().eq_ignore_ascii_case(&e.0));
        key_error(
            format!("acknowledgement.deny[{}]", index.unwrap_or_default()),
            e.to_string(),
        )
    })?;
    let default_template = AckTemplate {
        subject: template(
            raw.subject.as_deref(),
            DEFAULT_SUBJECT,
            "acknowledgement.subject",
        )?,
        body: template(raw.body.as_deref(), DEFAULT_BODY, "acknowledgement.body")?,
    };
    let mut templates = HashMap::new();
    for (id, t) in raw.postings {
        let key = format!("acknowledgement.postings.{id}");
        let posting = postings
            .iter()
            .find(|p| p.id.as_str() == id)
            .ok_or_else(|| key_error(&key, "names no [[postings]] id"))?;
        let subject = match t.subject {
            Some(text) => parse_template(&text, &format!("{key}.subject"))?,
            None => default_template.subject.clone(),
        };
        let body = match t.body {
            Some(text) => parse_template(&text, &format!("{key}.body"))?,
            None => default_template.body.clone(),
        };
        templates.insert(posting.id.clone(), AckTemplate { subject, body });
    }
    let smtp = shared.or(own.as_ref()).cloned().ok_or_else(|| {
        key_error(
            "acknowledgement.smtp",
            "is required with enabled = true: an [smtp] section (host = …), or [acknowledgement.smtp]",
        )
    })?;
    let signature = raw
        .organisation_name
        .clone()
        .or_else(|| raw.from_name.clone())
        .unwrap_or_else(|| from.to_string());
    Ok((
        own,
        Some(AcknowledgementSettings {
            from,
            from_name: raw.from_name,
            signature,
            smtp,
            policy: AckPolicy { deny, max_age },
            default_template,
            template_configured,
            templates,
            save_to_sent: raw.save_to_sent,
        }),
    ))
}

fn template(given: Option<&str>, default: &str, key: &str) -> Result<Template, ConfigError> {
    parse_template(given.unwrap_or(default), key)
}

fn parse_template(text: &str, key: &str) -> Result<Template, ConfigError> {
    if text.trim().is_empty() {
        return Err(key_error(key, "must not be empty"));
    }
    Template::parse(text).map_err(|e| key_error(key, e.to_string()))
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, load_str};

    const BASE: &str = r#"
[mailbox]
kind = "maildir"
path = "mail/Maildir"
[organisation]
addresses = ["contact@example.org"]
[database]
url = "sqlite://data/applymail.db"
[storage]
dir = "data/documents"
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice au Maroc"
subject = "Coordination Maroc"
"#;

    fn load(extra: &str) -> Result<crate::config::Settings, ConfigError> {
        load_str(
            &format!("{BASE}{extra}"),
            std::path::Path::new("t.toml"),
            Vec::new(),
        )
    }

    fn key_of(extra: &str) -> String {
        match load(extra) {
            Err(ConfigError::Key { key, .. }) => key,
            other => panic!("expected a key error, got {other:?}"),
        }
    }

    const ON: &str = r#"
[acknowledgement]
enabled = true
from = "contact@example.org"
from_name = "ONG Exemple"
[acknowledgement.smtp]
host = "smtp.example.org"
username = "contact@example.org"
password_env = "SMTP_PASSWORD"
"#;

    #[test]
    fn off_by_default_and_when_disabled() {
        assert!(load("").unwrap().acknowledgement.is_none());
        assert!(
            load("[acknowledgement]\nenabled = false\n")
                .unwrap()
                .acknowledgement
                .is_none()
        );
    }

    #[test]
    fn a_complete_section_loads_with_defaults() {
        let ack = load(ON).unwrap().acknowledgement.unwrap();
        assert_eq!(ack.smtp.port, 587);
        assert_eq!(ack.signature, "ONG Exemple");
        assert_eq!(
            ack.policy.max_age,
            std::time::Duration::from_secs(3 * 86_400)
        );
        assert!(format!("{ack:?}").contains("SMTP_PASSWORD"));
    }

    #[test]
    fn problems_name_their_key() {
        assert_eq!(
            key_of("[acknowledgement]\nenabled = true\n"),
            "acknowledgement.from"
        );
        assert_eq!(
            key_of(&ON.replace(
                "from = \"contact@example.org\"",
                "from = \"rh@elsewhere.example\""
            )),
            "acknowledgement.from"
        );
        assert_eq!(
            key_of(&format!(
                "{ON}\n[acknowledgement.postings.nope]\nsubject = \"x\"\n"
            )),
            "acknowledgement.postings.nope"
        );
        assert_eq!(
            key_of(&format!(
                "{ON}\n[acknowledgement.postings.coordination-maroc]\nbody = \"Bonjour {{prenom}}\"\n"
            )),
            "acknowledgement.postings.coordination-maroc.body"
        );
        assert_eq!(
            key_of(&ON.replace(
                "host = \"smtp.example.org\"",
                "host = \"smtp.example.org\"\nsecurity = \"plain\""
            )),
            "acknowledgement.smtp.security"
        );
        assert_eq!(
            key_of(&ON.replace("password_env = \"SMTP_PASSWORD\"\n", "")),
            "acknowledgement.smtp.username"
        );
        assert_eq!(
            key_of(&ON.replace(
                "enabled = true",
                "enabled = true\ndeny = [\"ok@x.example\", \"bad pattern\"]"
            )),
            "acknowledgement.deny[1]"
        );
        assert_eq!(
            key_of(&ON.replace("enabled = true", "enabled = true\nmax_age = \"soon\"")),
            "acknowledgement.max_age"
        );
    }
}
