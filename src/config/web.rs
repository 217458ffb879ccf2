//! The `[web]` section: the recruiters' web app. `listen` alone is enough; everything secret
//! the app needs is kept in the database (see `store::accounts`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Deserialize;

use super::keys::{ConfigError, key_error};

#[derive(Debug, Clone)]
pub struct WebSettings {
    pub listen: SocketAddr,
    /// Mark cookies `Secure` even when the request did not come over TLS (behind a TLS proxy
    /// that does not say so with `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed; anyone else's are
    /// ignored, so a client cannot choose the address its failed logins count against.
    pub trusted_proxies: Vec<IpAddr>,
    /// A session ends after this long without a request…
    pub session_idle: Duration,
    /// …and this long after its login, whatever happens.
    pub session_max: Duration,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            session_idle: Duration::from_secs(8 * 3600),
            session_max: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    listen: Option<String>,
    secure_cookies: Option<bool>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    session_idle: Option<String>,
    session_max: Option<String>,
}

pub(super) fn validate(raw: RawWeb) -> Result<WebSettings, ConfigError> {
    let mut web = WebSettings::default();
    if let Some(listen) = raw.listen {
        web.listen = listen.parse().map_err(|e| {
            key_error(
                "web.listen",
                format!("`{listen}`: {e} (expected an address such as 127.0.0.1:8080)"),
            )
        })?;
    }
    web.secure_cookies = raw.secure_cookies.unwrap_or(false);
    web.trusted_proxies = raw
        .trusted_proxies
        .iter()
        .map(|p| {
            p.parse().map_err(|e| {
                key_error(
                    "web.trusted_proxies",
                    format!("`{p}`: {e} (expected IP addresses such as \"127.0.0.1\")"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    for (key, value, slot) in [
        ("web.session_idle", raw.session_idle, &mut web.session_idle),
        ("web.session_max", raw.session_max, &mut web.session_max),
    ] {
        if let Some(text) = value {
            *slot = humantime::parse_duration(&text)
                .map_err(|e| key_error(key, format!("`{text}`: {e} (for example \"8h\")")))?;
            if *slot < Duration::from_secs(60) {
                return Err(key_error(key, "must be at least a minute"));
            }
        }
    }
    Ok(web)
}
