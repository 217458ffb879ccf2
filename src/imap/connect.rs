//! Opening a session: TCP, the greeting, TLS (implicit or STARTTLS), then the login. Plain
//! text is used only when the config says `security = "plain"` (itself refused off loopback
//! unless `allow_plaintext`).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Authenticator, Client, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::tls::handshake;
use super::{ImapClient, ImapError, Stream};
use crate::config::{ImapAuth, ImapSettings, Security};

/// How long a connection, a TLS handshake or the greeting may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the login may take.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Connects, secures and authenticates.
pub(super) async fn connect(
    settings: &ImapSettings,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Session<Stream>, ImapError> {
    let host = settings.host.as_str();
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, settings.port)))
        .await
        .map_err(|_| ImapError::Timeout {
            doing: "connecting",
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|source| ImapError::Connect {
            host: host.into(),
            port: settings.port,
            source,
        })?;
    let _ = tcp.set_nodelay(true);
    let client: Client<Stream> = match settings.security {
        Security::Plain => greeted(Client::new(Box::new(tcp) as Stream)).await?,
        Security::Tls => {
            let secured = handshake(host, tcp, tls).await?;
            greeted(Client::new(Box::new(secured) as Stream)).await?
        }
        Security::Starttls => {
            let tcp = starttls(greeted(Client::new(tcp)).await?, host).await?;
            Client::new(Box::new(handshake(host, tcp, tls).await?) as Stream)
        }
    };
    authenticate(client, settings).await
}

/// Asks for STARTTLS. A server that refuses it (or a man in the middle that stripped it) must
/// never get the password in clear.
async fn starttls(mut plain: Client<TcpStream>, host: &str) -> Result<TcpStream, ImapError> {
    let answered = tokio::time::timeout(
        CONNECT_TIMEOUT,
        plain.run_command_and_check_ok("STARTTLS", None),
    )
    .await
    .map_err(|_| ImapError::Timeout {
        doing: "STARTTLS",
        seconds: CONNECT_TIMEOUT.as_secs(),
    })?;
    match answered {
        Ok(()) => Ok(plain.into_inner()),
        Err(async_imap::error::Error::Bad(_) | async_imap::error::Error::No(_)) => {
            Err(ImapError::NoStarttls { host: host.into() })
        }
        Err(source) => Err(ImapError::Protocol {
            doing: "STARTTLS",
            source,
        }),
    }
}

async fn authenticate(
    client: Client<Stream>,
    settings: &ImapSettings,
) -> Result<Session<Stream>, ImapError> {
    let user = settings.username.as_str();
    let login = match &settings.auth {
        ImapAuth::Password(source) => {
            let password = source
                .resolve()
                .await
                .map_err(|e| ImapError::Credentials(e.to_string()))?;
            tokio::time::timeout(LOGIN_TIMEOUT, client.login(user, password.expose())).await
        }
        ImapAuth::XOAuth2 { token } => {
            let token = token
                .resolve()
                .await
                .map_err(|e| ImapError::Credentials(e.to_string()))?;
            let auth = XOAuth2 {
                user,
                token: token.expose(),
            };
            tokio::time::timeout(LOGIN_TIMEOUT, client.authenticate("XOAUTH2", auth)).await
        }
    };
    match login {
        Err(_) => Err(ImapError::Timeout {
            doing: "logging in",
            seconds: LOGIN_TIMEOUT.as_secs(),
        }),
        Ok(Ok(session)) => Ok(session),
        Ok(Err((
            async_imap::error::Error::No(reason) | async_imap::error::Error::Bad(reason),
            _,
        ))) => Err(ImapError::Auth {
            user: user.into(),
            reason: server_text(&reason),
        }),
        Ok(Err((source, _))) => Err(ImapError::Protocol {
            doing: "logging in",
            source,
        }),
    }
}

struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl Authenticator for XOAuth2<'_> {
    type Response = String;
    // RFC 7628-style initial response used by Gmail and Microsoft 365.
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

async fn greeted<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(
    mut client: Client<T>,
) -> Result<Client<T>, ImapError> {
    // async-imap does not read the greeting by itself.
    let greeting = tokio::time::timeout(CONNECT_TIMEOUT, client.read_response())
        .await
        .map_err(|_| ImapError::Timeout {
            doing: "waiting for the greeting",
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|source| ImapError::Io {
            command: "the greeting",
            source,
        })?;
    match greeting {
        Some(_) => Ok(client),
        None => Err(ImapError::ConnectionLost {
            command: "the greeting",
        }),
    }
}

/// The server's own words from async-imap's rendering of a NO or BAD to LOGIN
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`).
fn server_text(reason: &str) -> String {
    match reason.split_once("info: Some(\"") {
        Some((_, rest)) => rest.trim_end_matches(')').trim_end_matches('"').to_owned(),
        None => reason.trim().to_owned(),
    }
}

impl ImapClient {
    /// Connects, secures, authenticates and reads the server's capabilities.
    pub async fn connect(
        settings: &ImapSettings,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<ImapClient, ImapError> {
        let session = connect(settings, tls).await?;
        let mut client = ImapClient::new(session, settings.username.clone());
        client.read_capabilities().await?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_extracted() {
        assert_eq!(
            server_text(
                "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_text(" plain "), "plain");
    }
}
