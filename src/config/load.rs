//! Reading the TOML file, applying environment overrides, and validating the result.
//!
//! Deserialisation goes through a raw mirror of the file (`Raw*`) so that serde reports the
//! path of a wrong key, then through `validate`, which checks what types cannot express and
//! names the key too. The environment overrides keys with `APPLYMAIL_SECTION__KEY=value`
//! (`APPLYMAIL_POSTINGS__0__SUBJECT` for arrays); the value is read as TOML when it parses as
//! a TOML value (numbers, booleans, arrays) and as a plain string otherwise.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Value;

use super::keys::{ConfigError, key_error};
use super::mailbox::{RawMailbox, validate_mailbox};
use super::{
    DatabaseSettings, DatabaseUrl, HttpSettings, Limits, Organisation, Retention, Settings,
    StorageSettings,
};
use crate::domain::email::EmailAddress;
use crate::domain::posting::{Posting, PostingId};

const ENV_PREFIX: &str = "APPLYMAIL_";
/// 24 months of 30.44 days, as humantime counts them.
const DEFAULT_RETENTION: Duration = Duration::from_secs(24 * 2_630_016);

/// Loads the settings from a file and the process environment.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    load_str(&text, path, std::env::vars())
}

/// Loads the settings from TOML text and the given environment; relative paths in the file
/// are taken as relative to the working directory, like every other path an admin types.
pub fn load_str(
    text: &str,
    origin: &Path,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut value: Value = toml::from_str::<toml::Table>(text)
        .map(Value::Table)
        .map_err(|e| ConfigError::Syntax {
            path: origin.to_owned(),
            message: e.message().into(),
        })?;
    for (var, raw) in env {
        if let Some(path) = override_path(&var) {
            apply_override(&mut value, &path, &raw).map_err(|problem| ConfigError::Env {
                var: var.clone(),
                problem,
            })?;
        }
    }
    let raw: RawSettings = serde_path_to_error::deserialize(value).map_err(|e| {
        let key = e.path().to_string();
        key_error(
            if key == "." {
                "(top level)".into()
            } else {
                key
            },
            e.into_inner().to_string(),
        )
    })?;
    validate(raw)
}

/// `APPLYMAIL_MAILBOX__PATH` → `["mailbox", "path"]`. Variables without `__` (such as the
/// conventional `APPLYMAIL_PASSWORD`) are secrets or other settings, not overrides.
fn override_path(var: &str) -> Option<Vec<String>> {
    let rest = var.strip_prefix(ENV_PREFIX)?;
    if !rest.contains("__") {
        return None;
    }
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

fn apply_override(root: &mut Value, path: &[String], raw: &str) -> Result<(), String> {
    let parsed = parse_env_value(raw);
    let mut node = root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        node = match node {
            Value::Table(table) => {
                if last {
                    table.insert(segment.clone(), parsed);
                    return Ok(());
                }
                let child_is_array = path[depth + 1].parse::<usize>().is_ok();
                table.entry(segment.clone()).or_insert_with(|| {
                    if child_is_array {
                        Value::Array(Vec::new())
                    } else {
                        Value::Table(toml::Table::new())
                    }
                })
            }
            Value::Array(items) => {
                let index: usize = segment
                    .parse()
                    .map_err(|_| format!("`{segment}` is not an array index"))?;
                if index > items.len() {
                    return Err(format!(
                        "index {index} skips entries (the array has {})",
                        items.len()
                    ));
                }
                if index == items.len() {
                    items.push(Value::Table(toml::Table::new()));
                }
                if last {
                    items[index] = parsed;
                    return Ok(());
                }
                &mut items[index]
            }
            _ => return Err(format!("`{segment}` is below a key that is not a table")),
        };
    }
    Ok(())
}

fn parse_env_value(raw: &str) -> Value {
    // A bare word such as `imap` is not valid TOML and so stays a string; `993`, `true` and
    // `["a", "b"]` become what they look like.
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_owned()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    mailbox: RawMailbox,
    organisation: RawOrganisation,
    database: RawDatabase,
    storage: RawStorage,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    postings: Vec<RawPosting>,
    http: Option<RawHttp>,
    web: Option<super::web::RawWeb>,
    retention: Option<RawRetention>,
    acknowledgement: Option<super::acknowledgement::RawAcknowledgement>,
    smtp: Option<super::smtp::RawSmtp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    keep_for: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganisation {
    addresses: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    authserv_id: Option<String>,
    timezone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    #[serde(default)]
    kind: super::StorageKind,
    dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPosting {
    id: String,
    title: String,
    subject: String,
}

fn validate(raw: RawSettings) -> Result<Settings, ConfigError> {
    let mailbox = validate_mailbox(raw.mailbox)?;
    let organisation = validate_organisation(raw.organisation)?;
    let url = raw.database.url.trim().to_owned();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(key_error(
            "database.url",
            "must start with sqlite: or postgres://",
        ));
    }
    match (&raw.storage.dir, raw.storage.kind) {
        (Some(dir), _) if dir.as_os_str().is_empty() => {
            return Err(key_error("storage.dir", "must not be empty"));
        }
        (None, super::StorageKind::Files) => {
            return Err(key_error(
                "storage.dir",
                "must be set: with storage.kind = \"files\" (the default) it is the documents' folder",
            ));
        }
        _ => {}
    }
    validate_limits(&raw.limits)?;
    let postings = validate_postings(raw.postings)?;
    let http = raw
        .http
        .map(|h| {
            h.listen
                .parse()
                .map(|listen| HttpSettings { listen })
                .map_err(|e| {
                    key_error(
                        "http.listen",
                        format!(
                            "`{}`: {e} (expected an address such as 127.0.0.1:9464)",
                            h.listen
                        ),
                    )
                })
        })
        .transpose()?;
    let web = raw.web.map(super::web::validate).transpose()?;
    let retention = match raw.retention {
        None => Retention {
            keep_for: DEFAULT_RETENTION,
        },
        Some(r) => {
            let keep_for = humantime::parse_duration(&r.keep_for).map_err(|e| {
                key_error(
                    "retention.keep_for",
                    format!("`{}`: {e} (for example \"24months\")", r.keep_for),
                )
            })?;
            if keep_for < Duration::from_secs(24 * 3600) {
                return Err(key_error("retention.keep_for", "must be at least a day"));
            }
            Retention { keep_for }
        }
    };
    let shared_smtp = raw
        .smtp
        .map(|s| super::smtp::validate_smtp(s, "smtp"))
        .transpose()?;
    let (own_smtp, acknowledgement) = match raw.acknowledgement {
        None => (None, None),
        Some(a) => {
            super::acknowledgement::validate(a, &postings, &organisation, shared_smtp.as_ref())?
        }
    };
    Ok(Settings {
        mailbox,
        organisation,
        database: DatabaseSettings {
            url: DatabaseUrl::new(url),
        },
        storage: StorageSettings {
            kind: raw.storage.kind,
            dir: raw.storage.dir,
        },
        limits: raw.limits,
        postings,
        http,
        web,
        retention,
        acknowledgement,
        // `[smtp]` wins over `[acknowledgement.smtp]`.
        smtp: shared_smtp.or(own_smtp),
    })
}

fn validate_organisation(raw: RawOrganisation) -> Result<Organisation, ConfigError> {
    if raw.addresses.is_empty() {
        return Err(key_error(
            "organisation.addresses",
            "list the mailbox's own address",
        ));
    }
    let addresses = raw
        .addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            EmailAddress::parse(a).map_err(|e| {
                key_error(
                    format!("organisation.addresses[{i}]"),
                    format!("`{a}`: {e}"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let domains = raw
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            if d.is_empty() || d.contains(|c: char| c.is_whitespace() || c == '@') {
                Err(key_error(
                    format!("organisation.domains[{i}]"),
                    "is not a domain name",
                ))
            } else {
                Ok(d)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let authserv_id = match raw.authserv_id.as_deref().map(str::trim) {
        None => None,
        // An RFC 8601 authserv-id is one token, a host name in practice.
        Some(id)
            if id.is_empty()
                || id.contains(|c: char| c.is_whitespace() || ";()\"=".contains(c)) =>
        {
            return Err(key_error(
                "organisation.authserv_id",
                format!(
                    "`{id}` is not an authserv-id (the host name the receiving server writes first in its Authentication-Results)"
                ),
            ));
        }
        Some(id) => Some(id.to_owned()),
    };
    let timezone = match raw.timezone.as_deref().map(str::trim) {
        // Not the server's own zone: a server often runs on UTC, or in another country
        // than the recruiters, and an interview written in the wrong zone is missed.
        None => chrono_tz::Tz::UTC,
        Some(name) => name.parse().map_err(|_| {
            key_error(
                "organisation.timezone",
                format!(
                    "`{name}` is not an IANA time zone name (such as Africa/Casablanca or Europe/Paris)"
                ),
            )
        })?,
    };
    Ok(Organisation {
        addresses,
        domains,
        authserv_id,
        timezone,
    })
}

fn validate_limits(limits: &Limits) -> Result<(), ConfigError> {
    let checks = [
        ("limits.max_message_bytes", limits.max_message_bytes == 0),
        ("limits.max_parts", limits.max_parts == 0),
        (
            "limits.max_archive_entries",
            limits.max_archive_entries == 0,
        ),
        ("limits.max_archive_bytes", limits.max_archive_bytes == 0),
        ("limits.max_header_bytes", limits.max_header_bytes == 0),
        ("limits.max_expanded_bytes", limits.max_expanded_bytes == 0),
        (
            "limits.max_expansion_ratio",
            limits.max_expansion_ratio == 0,
        ),
        ("limits.max_documents", limits.max_documents == 0),
    ];
    match checks.iter().find(|(_, zero)| *zero) {
        Some((key, _)) => Err(key_error(*key, "must be greater than 0")),
        None => Ok(()),
    }
}

fn validate_postings(raw: Vec<RawPosting>) -> Result<Vec<Posting>, ConfigError> {
    if raw.is_empty() {
        return Err(key_error(
            "postings",
            "define at least one [[postings]] entry",
        ));
    }
    let mut ids = HashSet::new();
    raw.into_iter()
        .enumerate()
        .map(|(i, p)| {
            let id = PostingId::parse(&p.id)
                .map_err(|e| key_error(format!("postings[{i}].id"), format!("`{}`: {e}", p.id)))?;
            if !ids.insert(id.clone()) {
                return Err(key_error(
                    format!("postings[{i}].id"),
                    format!("`{id}` is defined twice"),
                ));
            }
            Posting::new(id, p.title, &p.subject)
                .map_err(|e| key_error(format!("postings[{i}].subject"), e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mailbox::parse_after_filing;
    use crate::config::{AfterFiling, MailboxSettings};

    const GOOD: &str = r#"
[mailbox]
kind = "maildir"
path = "mail/Maildir"
[organisation]
addresses = ["contact@example.org"]
domains = ["example.org"]
[database]
url = "sqlite://data/applymail.db"
[storage]
dir = "data/documents"
[[postings]]
id = "coordination-maroc"
title = "Coordinateur·rice du Partenariat au Maroc"
subject = "Coordination Maroc"
"#;

    fn load_with(text: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        load_str(text, Path::new("test.toml"), env)
    }

    fn key_of(err: ConfigError) -> String {
        match err {
            ConfigError::Key { key, .. } => key,
            other => panic!("expected a key error, got {other}"),
        }
    }

    #[test]
    fn the_example_loads() {
        let settings = load_with(GOOD, &[]).expect("valid config");
        assert_eq!(settings.postings.len(), 1);
        assert!(matches!(settings.mailbox, MailboxSettings::Maildir(_)));
    }

    #[test]
    fn documents_in_the_database_need_no_folder_and_files_do() {
        let without_dir = GOOD.replace("dir = \"data/documents\"", "kind = \"database\"");
        let settings = load_with(&without_dir, &[]).expect("valid config");
        assert_eq!(settings.storage.kind, crate::config::StorageKind::Database);
        assert_eq!(settings.storage.dir, None);
        let files_without_dir = GOOD.replace("dir = \"data/documents\"", "kind = \"files\"");
        assert_eq!(
            key_of(load_with(&files_without_dir, &[]).unwrap_err()),
            "storage.dir"
        );
        let unknown = GOOD.replace("[storage]", "[storage]\nkind = \"s3\"");
        assert_eq!(
            key_of(load_with(&unknown, &[]).unwrap_err()),
            "storage.kind"
        );
    }

    #[test]
    fn environment_overrides_any_key() {
        let settings = load_with(
            GOOD,
            &[
                ("APPLYMAIL_DATABASE__URL", "sqlite://other.db"),
                ("APPLYMAIL_LIMITS__MAX_PARTS", "42"),
                ("APPLYMAIL_POSTINGS__0__SUBJECT", "Coordination Sénégal"),
                ("APPLYMAIL_PASSWORD", "not-an-override"),
            ],
        )
        .expect("valid config");
        assert_eq!(settings.database.url.expose(), "sqlite://other.db");
        assert_eq!(settings.limits.max_parts, 42);
        assert_eq!(settings.postings[0].subject, "Coordination Sénégal");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let text = GOOD.replace("[storage]", "[storage]\ndri = \"x\"");
        let err = load_with(&text, &[]).unwrap_err();
        assert!(err.to_string().contains("dri"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_its_key() {
        let err = load_with(GOOD, &[("APPLYMAIL_LIMITS__MAX_PARTS", "many")]).unwrap_err();
        assert_eq!(key_of(err), "limits.max_parts");
    }

    #[test]
    fn the_per_message_budget_has_defaults_and_names_its_keys() {
        let limits = load_with(GOOD, &[]).unwrap().limits;
        assert_eq!(
            (
                limits.max_expanded_bytes,
                limits.max_expansion_ratio,
                limits.max_documents,
                limits.max_header_bytes
            ),
            (100 * 1024 * 1024, 20, 100, 2 * 1024 * 1024)
        );
        let set = format!("{GOOD}\n[limits]\nmax_expanded_bytes = 1000\nmax_documents = 7\n");
        let limits = load_with(&set, &[]).unwrap().limits;
        assert_eq!((limits.max_expanded_bytes, limits.max_documents), (1000, 7));
        for key in [
            "MAX_EXPANDED_BYTES",
            "MAX_EXPANSION_RATIO",
            "MAX_DOCUMENTS",
            "MAX_HEADER_BYTES",
        ] {
            let var = format!("APPLYMAIL_LIMITS__{key}");
            let named = format!("limits.{}", key.to_ascii_lowercase());
            let wrong = load_with(GOOD, &[(&var, "lots")]).unwrap_err();
            assert_eq!(key_of(wrong), named);
            let zero = load_with(GOOD, &[(&var, "0")]).unwrap_err();
            assert_eq!(key_of(zero), named);
        }
    }

    #[test]
    fn a_bad_address_names_its_index() {
        let text = GOOD.replace(
            "[\"contact@example.org\"]",
            "[\"contact@example.org\", \"nobody\"]",
        );
        assert_eq!(
            key_of(load_with(&text, &[]).unwrap_err()),
            "organisation.addresses[1]"
        );
    }

    #[test]
    fn the_authserv_id_is_optional_and_checked() {
        assert_eq!(load_with(GOOD, &[]).unwrap().organisation.authserv_id, None);
        let with = GOOD.replace(
            "domains = [\"example.org\"]",
            "domains = [\"example.org\"]\nauthserv_id = \"mx.example.org\"",
        );
        assert_eq!(
            load_with(&with, &[])
                .unwrap()
                .organisation
                .authserv_id
                .as_deref(),
            Some("mx.example.org")
        );
        let bad = with.replace("\"mx.example.org\"", "\"mx.example.org; dkim=pass\"");
        assert_eq!(
            key_of(load_with(&bad, &[]).unwrap_err()),
            "organisation.authserv_id"
        );
    }

    #[test]
    fn the_timezone_is_an_iana_name_and_defaults_to_utc() {
        assert_eq!(
            load_with(GOOD, &[]).unwrap().organisation.timezone,
            chrono_tz::Tz::UTC
        );
        let casablanca = load_with(
            GOOD,
            &[("APPLYMAIL_ORGANISATION__TIMEZONE", "Africa/Casablanca")],
        )
        .unwrap();
        assert_eq!(
            casablanca.organisation.timezone,
            chrono_tz::Tz::Africa__Casablanca
        );
        for bad in ["Mars/Olympus", "", "+01:00", "CET "] {
            let text = GOOD.replace(
                "domains = [\"example.org\"]",
                &format!("domains = [\"example.org\"]\ntimezone = \"{bad}\""),
            );
            match load_with(&text, &[]) {
                Err(err) => assert_eq!(key_of(err), "organisation.timezone", "{bad}"),
                // Padding is trimmed, like every other value.
                Ok(settings) => assert_eq!(bad.trim(), settings.organisation.timezone.name()),
            }
        }
    }

    #[test]
    fn duplicate_and_empty_postings_are_refused() {
        let twice = format!(
            "{GOOD}\n[[postings]]\nid = \"coordination-maroc\"\ntitle = \"t\"\nsubject = \"x y\"\n"
        );
        assert_eq!(
            key_of(load_with(&twice, &[]).unwrap_err()),
            "postings[1].id"
        );
        let empty = GOOD.replace("subject = \"Coordination Maroc\"", "subject = \" – \"");
        assert_eq!(
            key_of(load_with(&empty, &[]).unwrap_err()),
            "postings[0].subject"
        );
    }

    #[test]
    fn plaintext_imap_is_refused_off_loopback() {
        let imap = GOOD.replace(
            "kind = \"maildir\"\npath = \"mail/Maildir\"",
            "kind = \"imap\"\nhost = \"imap.example.org\"\nsecurity = \"plain\"\nusername = \"u\"\npassword_env = \"P\"",
        );
        assert_eq!(
            key_of(load_with(&imap, &[]).unwrap_err()),
            "mailbox.security"
        );
        let local = imap.replace("imap.example.org", "127.0.0.1");
        assert!(load_with(&local, &[]).is_ok());
    }

    #[test]
    fn a_sent_folder_that_is_the_inbox_is_refused() {
        let imap = GOOD.replace(
            "kind = \"maildir\"\npath = \"mail/Maildir\"",
            "kind = \"imap\"\nhost = \"imap.example.org\"\nusername = \"u\"\npassword_env = \"P\"\nsent = \"INBOX\"",
        );
        assert_eq!(key_of(load_with(&imap, &[]).unwrap_err()), "mailbox.sent");
        let sent = imap.replace("sent = \"INBOX\"", "sent = \"Sent\"");
        assert!(load_with(&sent, &[]).is_ok());
    }

    #[test]
    fn the_http_listener_is_an_address() {
        let text = format!("{GOOD}\n[http]\nlisten = \"127.0.0.1:9464\"\n");
        assert_eq!(
            load_with(&text, &[]).unwrap().http.unwrap().listen.port(),
            9464
        );
        let bad = format!("{GOOD}\n[http]\nlisten = \"localhost\"\n");
        assert_eq!(key_of(load_with(&bad, &[]).unwrap_err()), "http.listen");
    }

    /// IDLE is left to read the inbox again every 15 s by default (a server may offer IDLE
    /// and never push), or every `poll_interval` when that is shorter; polling without IDLE
    /// stays at 60 s. Bad values name their key.
    #[test]
    fn the_re_poll_in_idle_is_shorter_than_the_poll() {
        let imap = GOOD.replace(
            "kind = \"maildir\"\npath = \"mail/Maildir\"",
            "kind = \"imap\"\nhost = \"imap.example.org\"\nusername = \"u\"\npassword_env = \"P\"",
        );
        let intervals = |extra: &str| {
            let text = imap.replace(
                "password_env = \"P\"",
                &format!("password_env = \"P\"\n{extra}"),
            );
            match load_with(&text, &[]).map(|s| s.mailbox) {
                Ok(MailboxSettings::Imap(imap)) => Ok((
                    imap.poll_interval.as_secs(),
                    imap.idle_poll_interval.as_secs(),
                )),
                Ok(MailboxSettings::Maildir(_)) => panic!("imap"),
                Err(err) => Err(key_of(err)),
            }
        };
        assert_eq!(intervals(""), Ok((60, 15)));
        assert_eq!(intervals("poll_interval = \"5s\""), Ok((5, 5)));
        assert_eq!(intervals("poll_interval = \"2m\""), Ok((120, 15)));
        assert_eq!(intervals("idle_poll_interval = \"3s\""), Ok((60, 3)));
        assert_eq!(
            intervals("idle_poll_interval = \"soon\""),
            Err("mailbox.idle_poll_interval".to_owned())
        );
        assert_eq!(
            intervals("idle_poll_interval = \"500ms\""),
            Err("mailbox.idle_poll_interval".to_owned())
        );
        assert_eq!(
            intervals("poll_interval = \"0s\""),
            Err("mailbox.poll_interval".to_owned())
        );
    }

    #[test]
    fn maildir_needs_a_path() {
        let text = GOOD.replace("path = \"mail/Maildir\"\n", "");
        assert_eq!(key_of(load_with(&text, &[]).unwrap_err()), "mailbox.path");
    }

    #[test]
    fn after_filing_is_checked() {
        assert_eq!(
            parse_after_filing(Some("move:Candidatures")).unwrap(),
            AfterFiling::Move("Candidatures".into())
        );
        assert_eq!(
            key_of(parse_after_filing(Some("delete")).unwrap_err()),
            "mailbox.after_filing"
        );
    }

    #[test]
    fn syntax_errors_name_the_file() {
        let err = load_with("[mailbox\nkind=", &[]).unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
    }
}
