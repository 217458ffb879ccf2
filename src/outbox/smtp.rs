//! The SMTP adapter (lettre): connect, secure, log in, and send one message in two steps so
//! that the caller can record its intent between them. [`SmtpSession::start`] names sender
//! and recipient (MAIL, RCPT); [`SmtpSession::deliver`] sends DATA. Only a failure inside
//! DATA leaves it unknown whether the server took the message.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;

use crate::config::{Security, SmtpSettings};

const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot use ca_file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot read the SMTP password: {0}")]
    Secret(#[from] crate::config::SecretError),
    #[error("cannot connect to SMTP server {server}: {reason}")]
    Connect { server: String, reason: String },
    #[error(
        "SMTP server {server} does not offer STARTTLS: refusing to send the password and mail in clear"
    )]
    NoStarttls { server: String },
    #[error("SMTP server {server} refused the login of {user}: {reason}")]
    Auth {
        server: String,
        user: String,
        reason: String,
    },
}

impl SmtpError {
    /// Errors that retrying soon will not fix: they need the admin.
    pub fn needs_admin(&self) -> bool {
        !matches!(self, SmtpError::Connect { .. })
    }
}

/// How one message fared.
#[derive(Debug)]
pub enum Refusal {
    /// A 4xx answer: try again later.
    Transient(String),
    /// A 5xx answer: the server will never take it.
    Permanent(String),
    /// No answer (the connection broke or timed out).
    Broken(String),
}

impl Refusal {
    fn from(err: lettre::transport::smtp::Error) -> Refusal {
        let text = describe(&err);
        if err.is_transient() {
            Refusal::Transient(text)
        } else if err.is_permanent() {
            Refusal::Permanent(text)
        } else {
            Refusal::Broken(text)
        }
    }
}

/// lettre's errors print their kind and source; keep the server's own words when there are.
fn describe(err: &lettre::transport::smtp::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[derive(Clone)]
pub struct Mailer {
    settings: SmtpSettings,
    tls: TlsParameters,
    hello: ClientId,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SmtpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSession").finish_non_exhaustive()
    }
}

pub struct SmtpSession {
    connection: AsyncSmtpConnection,
}

impl Mailer {
    /// Checks the TLS settings once; the system's roots are trusted, plus `ca_file`.
    pub fn new(settings: &SmtpSettings) -> Result<Mailer, SmtpError> {
        let mut tls = TlsParameters::builder(settings.host.clone());
        if let Some(path) = &settings.ca_file {
            let ca_error = |reason: String| SmtpError::CaFile {
                path: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let cert = Certificate::from_pem(&pem).map_err(|e| ca_error(e.to_string()))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls.build_rustls().map_err(|e| SmtpError::Connect {
            server: server(settings),
            reason: describe(&e),
        })?;
        Ok(Mailer {
            settings: settings.clone(),
            tls,
            hello: ClientId::default(),
        })
    }

    pub fn server(&self) -> String {
        server(&self.settings)
    }

    /// Connects, secures the connection as configured, and logs in.
    pub async fn connect(&self) -> Result<SmtpSession, SmtpError> {
        let s = &self.settings;
        let connect_error = |e: lettre::transport::smtp::Error| SmtpError::Connect {
            server: self.server(),
            reason: describe(&e),
        };
        let implicit = (s.security == Security::Tls).then(|| self.tls.clone());
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            (s.host.as_str(), s.port),
            Some(TIMEOUT),
            &self.hello,
            implicit,
            None,
        )
        .await
        .map_err(connect_error)?;
        if s.security == Security::Starttls {
            // A server (or a man in the middle) that hides STARTTLS gets nothing in clear.
            if !connection.can_starttls() {
                connection.abort().await;
                return Err(SmtpError::NoStarttls {
                    server: self.server(),
                });
            }
            connection
                .starttls(self.tls.clone(), &self.hello)
                .await
                .map_err(connect_error)?;
        }
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            let secret = password.resolve().await?;
            let credentials = Credentials::new(user.clone(), secret.expose().to_owned());
            if let Err(e) = connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
            {
                connection.abort().await;
                return Err(SmtpError::Auth {
                    server: self.server(),
                    user: user.clone(),
                    reason: describe(&e),
                });
            }
        }
        Ok(SmtpSession { connection })
    }
}

fn server(settings: &SmtpSettings) -> String {
    format!("{}:{}", settings.host, settings.port)
}

impl SmtpSession {
    /// MAIL FROM and RCPT TO. Nothing is sent yet when this fails.
    pub async fn start(&mut self, envelope: &Envelope) -> Result<(), Refusal> {
        let from = envelope.from().cloned();
        self.connection
            .command(Mail::new(from, vec![]))
            .await
            .map_err(Refusal::from)?;
        for to in envelope.to() {
            self.connection
                .command(Rcpt::new(to.clone(), vec![]))
                .await
                .map_err(Refusal::from)?;
        }
        Ok(())
    }

    /// Abandons a started message (the intent could not be claimed).
    pub async fn reset(&mut self) -> Result<(), Refusal> {
        self.connection.command(Rset).await.map_err(Refusal::from)?;
        Ok(())
    }

    /// DATA: once the server has the bytes, only its answer says whether it took them.
    pub async fn deliver(&mut self, message: &[u8]) -> Result<(), Refusal> {
        self.connection
            .command(Data)
            .await
            .map_err(|e| match Refusal::from(e) {
                // The message's bytes never left: it cannot have been taken.
                Refusal::Broken(text) => Refusal::Transient(text),
                refusal => refusal,
            })?;
        self.connection
            .message(message)
            .await
            .map_err(Refusal::from)?;
        Ok(())
    }

    pub fn is_broken(&self) -> bool {
        self.connection.has_broken()
    }

    pub async fn quit(mut self) {
        let _ = self.connection.quit().await;
    }
}
