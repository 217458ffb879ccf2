//! What applymail sends: the acknowledgements that filing queued, over SMTP ([`smtp`]).
//! Their text is the database's `acknowledgement` template (edited by admins in the app),
//! read again for every batch, unless the config gives a posting its own.
//!
//! Sending the acknowledgements that filing queued. The order per message is what makes
//! "at most once" hold across crashes:
//!
//! 1. the intent row exists (written with the application, in one transaction);
//! 2. MAIL FROM and RCPT TO (nothing is delivered if this fails: the row stays `pending`);
//! 3. the row is claimed, `pending` → `sending`, and committed;
//! 4. DATA; the server's answer is recorded (`sent`, or `pending` again after a 4xx).
//!
//! A crash before 3 leaves the row `pending`: it is sent after the restart. A crash between
//! 3 and the record of 4 leaves it `sending`: the next start marks it `uncertain` and never
//! sends it again, because the server may already have taken it.

pub mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use tokio::sync::Notify;
use tracing::{error, info, warn};

use crate::backoff::Backoff;
use crate::config::{AcknowledgementSettings, ImapSettings};
use crate::domain::acknowledgement::{AckTemplate, Fields, SkipReason};
use crate::domain::named::Named;
use crate::domain::posting::{Posting, PostingId};
use crate::domain::reply_template::{ReplyTemplate, TemplateName};
use crate::imap::{ImapClient, ImapError, client_config};
use crate::shutdown::Shutdown;
use crate::store::acknowledgement::{AckOutcome, DueAck};
use crate::store::{Store, StoreError};
use smtp::{Mailer, Refusal, SmtpError, SmtpSession};

/// Acknowledgements sent per connection before the queue is read again.
const BATCH: i64 = 50;
/// A 4xx answer is retried this many times, waiting longer each time, then given up.
const MAX_ATTEMPTS: i64 = 8;
const RETRY_START: Duration = Duration::from_secs(60);
const CONNECT_BACKOFF_START: Duration = Duration::from_secs(5);
const CONNECT_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// How often the queue is looked at when nothing wakes the sender.
const IDLE_CHECK: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("SMTP connection lost: {0}")]
    Lost(String),
}

#[derive(Debug, Clone)]
pub struct Acknowledger {
    store: Store,
    settings: Arc<AcknowledgementSettings>,
    postings: Arc<Vec<Posting>>,
    mailer: Mailer,
    wake: Arc<Notify>,
    sent_copy: Option<SentCopy>,
}

/// Where copies of sent acknowledgements go (`acknowledgement.save_to_sent`).
#[derive(Debug, Clone)]
pub enum SentCopy {
    /// The IMAP account's Sent folder (configured, or the one marked `\Sent`).
    Imap(Arc<ImapSettings>),
    /// A Maildir folder.
    Maildir(PathBuf),
}

impl Acknowledger {
    pub fn new(
        store: Store,
        settings: &AcknowledgementSettings,
        postings: &[Posting],
        wake: Arc<Notify>,
    ) -> Result<Acknowledger, SmtpError> {
        Ok(Acknowledger {
            store,
            mailer: Mailer::new(&settings.smtp)?,
            settings: Arc::new(settings.clone()),
            postings: Arc::new(postings.to_vec()),
            wake,
            sent_copy: None,
        })
    }

    /// Keeps a copy of every acknowledgement sent, read, in this folder.
    pub fn with_sent_copy(mut self, sent_copy: SentCopy) -> Acknowledger {
        self.sent_copy = Some(sent_copy);
        self
    }

    /// Call once the mailbox lease is held, before the first send: rows left in `sending` by
    /// a crash become `uncertain`.
    pub async fn recover(&self) -> Result<(), StoreError> {
        for application_id in self.store.recover_interrupted_acks().await? {
            warn!(
                application_id,
                "an acknowledgement was interrupted while the SMTP server had it: it may or may not have been delivered, and is not sent again"
            );
        }
        Ok(())
    }

    /// The daemon's sender: sends what is due, then waits for new filings or the next retry.
    pub async fn run(self, shutdown: Shutdown) {
        let mut backoff = Backoff::default();
        loop {
            let wait = match self.send_due(&shutdown).await {
                Ok(_) => {
                    backoff.reset();
                    self.until_next_due().await
                }
                Err(err) => {
                    let delay = backoff.grow(CONNECT_BACKOFF_START, CONNECT_BACKOFF_MAX);
                    let needs_admin = matches!(&err, AckError::Smtp(e) if e.needs_admin());
                    if needs_admin {
                        error!(error = %err, retry_in = ?delay, "acknowledgements cannot be sent: check [smtp] (or [acknowledgement.smtp])");
                    } else {
                        warn!(error = %err, retry_in = ?delay, "acknowledgements delayed");
                    }
                    crate::health::record_error("smtp");
                    delay
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                stop = shutdown.sleep(wait) => if stop { return },
            }
            if shutdown.is_requested() {
                return;
            }
        }
    }

    async fn until_next_due(&self) -> Duration {
        match self.store.next_ack_due().await {
            Ok(Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or_default()
                .min(IDLE_CHECK),
            _ => IDLE_CHECK,
        }
    }

    /// Sends every acknowledgement that is due; returns how many the server accepted.
    pub async fn send_due(&self, shutdown: &Shutdown) -> Result<usize, AckError> {
        let mut sent = 0;
        let mut copies: Vec<Vec<u8>> = Vec::new();
        loop {
            let due = self.store.due_acks(Utc::now(), BATCH).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            let template = self.database_template().await?;
            let mut session: Option<SmtpSession> = None;
            for ack in &due {
                if shutdown.is_requested() {
                    break;
                }
                if ack.reply_status == "replied" {
                    self.finish(ack, AckOutcome::Skipped(SkipReason::AlreadyAnswered))
                        .await?;
                    continue;
                }
                let open = match session.take() {
                    Some(s) if !s.is_broken() => s,
                    _ => self.mailer.connect().await?,
                };
                let (outcome, open) = self.send_one(open, ack, &template).await?;
                session = open;
                // None: another instance claimed it first, and records it.
                if let Some((outcome, message)) = outcome {
                    let delivered = outcome == AckOutcome::Sent;
                    self.finish(ack, outcome).await?;
                    if delivered {
                        sent += 1;
                        copies.extend(message);
                    }
                }
            }
            if let Some(s) = session {
                s.quit().await;
            }
            self.copy_to_sent(std::mem::take(&mut copies)).await;
            if shutdown.is_requested() || (due.len() as i64) < BATCH {
                return Ok(sent);
            }
        }
    }

    /// One acknowledgement, claimed and delivered; gives back the session when it is still
    /// usable.
    async fn send_one(
        &self,
        mut session: SmtpSession,
        ack: &DueAck,
        template: &AckTemplate,
    ) -> Result<(Option<(AckOutcome, Option<Vec<u8>>)>, Option<SmtpSession>), AckError> {
        let message = match self.compose(ack, template) {
            Ok(message) => message,
            Err(error) => return Ok((Some((AckOutcome::Failed { error }, None)), Some(session))),
        };
        match session.start(message.envelope()).await {
            Ok(()) => {}
            Err(Refusal::Broken(text)) => return Err(AckError::Lost(text)),
            Err(refusal) => {
                let _ = session.reset().await;
                return Ok((Some((self.refused(ack, refusal), None)), Some(session)));
            }
        }
        if !self.store.claim_ack(ack.application_id).await? {
            let _ = session.reset().await;
            return Ok((None, Some(session)));
        }
        let bytes = message.formatted();
        match session.deliver(&bytes).await {
            Ok(()) => {
                info!(
                    application_id = ack.application_id,
                    message_id = %ack.message_id,
                    server = %self.mailer.server(),
                    "acknowledgement sent"
                );
                Ok((Some((AckOutcome::Sent, Some(bytes))), Some(session)))
            }
            Err(Refusal::Broken(error)) => {
                Ok((Some((AckOutcome::Uncertain { error }, None)), None))
            }
            Err(refusal) => Ok((Some((self.refused(ack, refusal), None)), Some(session))),
        }
    }

    /// Best effort, after the fact: a copy that cannot be stored is logged, never retried,
    /// and never makes the acknowledgement count as unsent.
    async fn copy_to_sent(&self, copies: Vec<Vec<u8>>) {
        if copies.is_empty() {
            return;
        }
        let result = match &self.sent_copy {
            None => return,
            Some(SentCopy::Maildir(dir)) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    copies
                        .iter()
                        .try_for_each(|m| crate::sources::store_read(&dir, m).map(drop))
                        .map_err(|e| format!("{}: {e}", dir.display()))
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            }
            Some(SentCopy::Imap(settings)) => append_to_sent(settings, &copies)
                .await
                .map_err(|e| e.to_string()),
        };
        if let Err(error) = result {
            warn!(%error, "acknowledgements were sent, but their copy could not be stored in the Sent folder");
        }
    }

    fn refused(&self, ack: &DueAck, refusal: Refusal) -> AckOutcome {
        match refusal {
            Refusal::Transient(error) if ack.attempts + 1 < MAX_ATTEMPTS => {
                let wait = RETRY_START.saturating_mul(1 << ack.attempts.clamp(0, 16));
                AckOutcome::Retry {
                    error,
                    at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                }
            }
            Refusal::Transient(error) | Refusal::Permanent(error) | Refusal::Broken(error) => {
                AckOutcome::Failed { error }
            }
        }
    }

    async fn finish(&self, ack: &DueAck, outcome: AckOutcome) -> Result<(), StoreError> {
        match &outcome {
            AckOutcome::Sent => {}
            AckOutcome::Skipped(why) => {
                info!(
                    application_id = ack.application_id,
                    reason = why.as_str(),
                    "acknowledgement not sent"
                )
            }
            AckOutcome::Retry { error, at } => {
                warn!(application_id = ack.application_id, error = %error, retry_at = %at, "acknowledgement refused for now")
            }
            AckOutcome::Failed { error } | AckOutcome::Uncertain { error } => {
                error!(application_id = ack.application_id, error = %error, state = ?outcome, "acknowledgement not delivered")
            }
        }
        self.store.finish_ack(ack.application_id, &outcome).await
    }

    /// The database's `acknowledgement` template, read for every batch so that an admin's
    /// edit applies from the next message on. A row that is missing or no longer parses (a
    /// hand-made change in SQL) gives the config's text, with a warning.
    async fn database_template(&self) -> Result<AckTemplate, StoreError> {
        let stored = self
            .store
            .reply_template(TemplateName::Acknowledgement)
            .await?;
        let fallback = || self.settings.default_template.clone();
        Ok(match stored {
            None => fallback(),
            Some(row) => match ReplyTemplate::parse(&row.subject, &row.body) {
                Ok(template) => template,
                Err((part, error)) => {
                    warn!(%error, ?part, "the acknowledgement template in the database does not parse: the config's text is used");
                    fallback()
                }
            },
        })
    }

    /// The message, from the posting's template in the config or else `template` (the
    /// database's). An error is a message that can never be built (an address lettre
    /// refuses), so the acknowledgement fails for good.
    fn compose(&self, ack: &DueAck, template: &AckTemplate) -> Result<Message, String> {
        let settings = &self.settings;
        let posting_title = PostingId::parse(&ack.posting)
            .ok()
            .and_then(|id| self.postings.iter().find(|p| p.id == id))
            .map_or(ack.posting.as_str(), |p| p.title.as_str());
        let template = PostingId::parse(&ack.posting)
            .ok()
            .and_then(|id| settings.posting_template(&id))
            .unwrap_or(template);
        let fields = Fields {
            first_name: &ack.first_name,
            last_name: &ack.last_name,
            posting: posting_title,
            organisation: &settings.signature,
            ..Fields::default()
        };
        let from = Mailbox::new(
            settings.from_name.clone(),
            settings
                .from
                .as_str()
                .parse()
                .map_err(|e| format!("from: {e}"))?,
        );
        let name = format!("{} {}", ack.first_name, ack.last_name);
        let to = Mailbox::new(
            Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            ack.email
                .parse()
                .map_err(|e| format!("candidate address: {e}"))?,
        );
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(template.subject.render(&fields))
            .message_id(Some(ack.message_id.clone()))
            .date_now()
            .header(AutoSubmitted)
            .header(AutoResponseSuppress);
        if let Some(parent) = ack.in_reply_to.as_deref().and_then(message_id) {
            builder = builder.in_reply_to(parent.to_owned());
        }
        let refs = thread_ids(&ack.refs);
        if !refs.is_empty() {
            builder = builder.references(refs.join(" "));
        }
        builder
            .body(template.body.render(&fields))
            .map_err(|e| e.to_string())
    }
}

async fn append_to_sent(settings: &ImapSettings, copies: &[Vec<u8>]) -> Result<(), ImapError> {
    let tls = client_config(settings.ca_file.as_deref())?;
    let mut client = ImapClient::connect(settings, tls).await?;
    let sent = crate::watch::sent::imap_sent_folder(&mut client, settings).await?;
    let Some(folder) = sent.name() else {
        client.logout().await;
        return Ok(());
    };
    for message in copies {
        client.append(folder, message).await?;
    }
    client.logout().await;
    Ok(())
}

/// A Message-ID as it may go into a header: `<…>` without spaces or brackets inside, so that
/// nothing the candidate's mail carried can add a header line.
fn message_id(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('<')?.strip_suffix('>')?;
    let clean = !inner.is_empty()
        && inner.len() <= 250
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    clean.then_some(raw)
}

/// The References to send: the candidate's, then their message, at most the last 20.
fn thread_ids(refs: &str) -> Vec<&str> {
    let ids: Vec<&str> = refs.split_whitespace().filter_map(message_id).collect();
    ids[ids.len().saturating_sub(20)..].to_vec()
}

/// `Auto-Submitted: auto-replied` (RFC 3834): autoresponders do not answer it, and applymail
/// does not mistake it for a person's reply when it finds it in the Sent folder.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".into())
    }
}

/// Exchange's equivalent: no out-of-office replies to this message.
#[derive(Debug, Clone)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoResponseSuppress)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_message_ids_reach_the_headers() {
        assert_eq!(message_id("<a.b@c>"), Some("<a.b@c>"));
        for bad in ["a@b", "<a b@c>", "<a@b>\r\nBcc: x@y", "<>", "<<a>>"] {
            assert_eq!(message_id(bad), None, "{bad:?}");
        }
        let many: String = (0..30).map(|i| format!("<m{i}@x> ")).collect();
        let ids = thread_ids(&many);
        assert_eq!(ids.len(), 20);
        assert_eq!(ids.last(), Some(&"<m29@x>"));
    }
}
