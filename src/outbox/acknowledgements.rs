//! The automatic acknowledgements that filing queued. Their text is the database's
//! `acknowledgement` template (edited by admins in the app), read again for every batch,
//! unless the config gives a posting its own. Only the holder of the mailbox lease sends
//! them, in the module's order ([`super::hand_over`]).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use tokio::sync::Notify;
use tracing::{error, info, warn};

use super::smtp::{Mailer, SmtpError, SmtpSession};
use super::threading::{message_id, thread_ids};
use super::{Handed, OutboxError, SentCopy, delay_after, hand_over, refused};
use crate::backoff::Backoff;
use crate::config::AcknowledgementSettings;
use crate::domain::acknowledgement::{AckTemplate, Fields, SkipReason};
use crate::domain::named::Named;
use crate::domain::posting::{Posting, PostingId};
use crate::domain::reply_template::{ReplyTemplate, TemplateName};
use crate::shutdown::Shutdown;
use crate::store::acknowledgement::{AckOutcome, DueAck};
use crate::store::{Store, StoreError};

/// Acknowledgements sent per connection before the queue is read again.
const BATCH: i64 = 50;
/// How often the queue is looked at when nothing wakes the sender.
const IDLE_CHECK: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone)]
pub struct Acknowledger {
    store: Store,
    settings: Arc<AcknowledgementSettings>,
    postings: Arc<Vec<Posting>>,
    mailer: Mailer,
    wake: Arc<Notify>,
    sent_copy: Option<SentCopy>,
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
                Err(err) => delay_after(&err, &mut backoff, "acknowledgements"),
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
    pub async fn send_due(&self, shutdown: &Shutdown) -> Result<usize, OutboxError> {
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
            if let Some(sent_copy) = &self.sent_copy {
                sent_copy
                    .store(std::mem::take(&mut copies), "acknowledgements")
                    .await;
            }
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
    ) -> Result<(Option<(AckOutcome, Option<Vec<u8>>)>, Option<SmtpSession>), OutboxError> {
        let message = match self.compose(ack, template) {
            Ok(message) => message,
            Err(error) => return Ok((Some((AckOutcome::Failed { error }, None)), Some(session))),
        };
        let sent = match hand_over(
            &mut session,
            &message,
            self.store.claim_ack(ack.application_id),
        )
        .await?
        {
            Handed::Delivered(bytes) => {
                info!(
                    application_id = ack.application_id,
                    message_id = %ack.message_id,
                    server = %self.mailer.server(),
                    "acknowledgement sent"
                );
                (AckOutcome::Sent, Some(bytes))
            }
            Handed::Refused(refusal) => (refused(refusal, ack.attempts), None),
            Handed::ClaimedElsewhere => return Ok((None, Some(session))),
            Handed::Uncertain(error) => {
                return Ok((Some((AckOutcome::Uncertain { error }, None)), None));
            }
        };
        Ok((Some(sent), Some(session)))
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
