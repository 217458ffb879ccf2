//! The answers recruiters send (from an application's page, in bulk from the list, or with
//! `applymail reply`). Any process with an SMTP server sends them: the daemon, `web`, the
//! command; each row is claimed before its DATA ([`super::hand_over`]), so two processes
//! never send the same row. Each message answers the candidate's last message
//! (`In-Reply-To`, `References`), carries the interview's `.ics` when it invites, joins the
//! application's thread, and goes to the Sent folder when configured.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
use tokio::sync::Notify;
use tracing::{error, info, warn};

use super::smtp::{Mailer, SmtpError, SmtpSession};
use super::threading::{message_id, thread_ids};
use super::{Handed, OutboxError, SentCopy, delay_after, hand_over, refused};
use crate::backoff::Backoff;
use crate::config::Settings;
use crate::domain::acknowledgement::DenyList;
use crate::domain::answer::{AnswerSkip, skip_reason};
use crate::domain::email::EmailAddress;
use crate::domain::invitation::{Invitation, Language, calendar};
use crate::domain::organisation::Organisation;
use crate::domain::posting::{Posting, PostingId};
use crate::domain::reply_template::missing_documents;
use crate::domain::template::Fields;
use crate::shutdown::Shutdown;
use crate::store::answers::AnswerOutcome;
use crate::store::answers::{DueAnswer, SentMessage};
use crate::store::{Store, StoreError};

/// Rows sent per connection before the queue is read again.
const BATCH: i64 = 50;
/// How often the queue is read when nothing wakes the sender: jobs are also made by other
/// processes (`web`, `applymail reply`), which cannot wake this one.
const POLL: Duration = Duration::from_secs(5);
/// A row `sending` for longer than this was interrupted: a send takes a few SMTP commands
/// of at most a minute each.
pub const INTERRUPTED_AFTER: Duration = Duration::from_secs(10 * 60);

/// Who the answers are from, and the `{organisation}` they sign with.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: EmailAddress,
    pub from_name: Option<String>,
    pub signature: String,
}

impl Sender {
    /// The acknowledgements' sender when they are configured, else the mailbox's first own
    /// address (`organisation.addresses`).
    pub fn of(settings: &Settings) -> Option<Sender> {
        if let Some(ack) = &settings.acknowledgement {
            return Some(Sender {
                from: ack.from.clone(),
                from_name: ack.from_name.clone(),
                signature: ack.signature.clone(),
            });
        }
        let from = settings.organisation.addresses.first()?.clone();
        Some(Sender {
            signature: from.as_str().to_owned(),
            from,
            from_name: None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct AnswerSender {
    store: Store,
    mailer: Mailer,
    sender: Arc<Sender>,
    postings: Arc<Vec<Posting>>,
    organisation: Arc<Organisation>,
    deny: Arc<DenyList>,
    sent_copy: Option<SentCopy>,
    wake: Arc<Notify>,
}

impl AnswerSender {
    /// `None` when no SMTP server or no sender address is configured: answers then wait in
    /// the database for a process that has them.
    pub fn new(store: Store, settings: &Settings) -> Result<Option<AnswerSender>, SmtpError> {
        let (Some(smtp), Some(sender)) = (&settings.smtp, Sender::of(settings)) else {
            return Ok(None);
        };
        let deny = match &settings.acknowledgement {
            Some(ack) => ack.policy.deny.clone(),
            None => DenyList::new([]).expect("the built-in deny list is valid"),
        };
        Ok(Some(AnswerSender {
            store,
            mailer: Mailer::new(smtp)?,
            sender: Arc::new(sender),
            postings: Arc::new(settings.postings.clone()),
            organisation: Arc::new(settings.organisation.clone()),
            deny: Arc::new(deny),
            sent_copy: smtp.save_to_sent.then(|| SentCopy::of(settings)),
            wake: Arc::new(Notify::new()),
        }))
    }

    /// What wakes the sender when this process made a job.
    pub fn wake(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    pub fn sender(&self) -> &Sender {
        &self.sender
    }

    /// Sends what is due until shutdown, reading the queue every few seconds.
    pub async fn run(self, shutdown: Shutdown) {
        let mut backoff = Backoff::default();
        loop {
            let wait = match self.send_due(None, &shutdown).await {
                Ok(_) => {
                    backoff.reset();
                    POLL
                }
                Err(err) => delay_after(&err, &mut backoff, "answers to candidates"),
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

    /// Sends every row that is due (of `job` only, when given); returns how many the server
    /// accepted. Rows another process left `sending` too long become `uncertain` first.
    pub async fn send_due(
        &self,
        job: Option<i64>,
        shutdown: &Shutdown,
    ) -> Result<usize, OutboxError> {
        let stale = chrono::Duration::from_std(INTERRUPTED_AFTER).unwrap_or_default();
        for application_id in self.store.recover_interrupted_answers(stale).await? {
            warn!(
                application_id,
                "an answer was interrupted while the SMTP server had it: it may or may not have been delivered, and is not sent again without a person's resend"
            );
        }
        let mut sent = 0;
        loop {
            let due = self.store.due_answers(Utc::now(), job, BATCH).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            let mut session: Option<SmtpSession> = None;
            let mut copies = Vec::new();
            for answer in &due {
                if shutdown.is_requested() {
                    break;
                }
                if let Some(why) = self.skipped(answer).await? {
                    info!(
                        application_id = answer.application_id,
                        job = answer.job_id,
                        reason = why.as_str(),
                        "answer not sent"
                    );
                    self.store
                        .finish_answer(answer, &AnswerOutcome::Skipped(why), None)
                        .await?;
                    continue;
                }
                let open = match session.take() {
                    Some(s) if !s.is_broken() => s,
                    _ => self.mailer.connect().await?,
                };
                let (delivered, open) = self.send_one(open, answer).await?;
                session = open;
                if let Some(bytes) = delivered {
                    sent += 1;
                    copies.push(bytes);
                }
            }
            if let Some(s) = session {
                s.quit().await;
            }
            if let Some(sent_copy) = &self.sent_copy {
                sent_copy.store(copies, "answers to candidates").await;
            }
            if shutdown.is_requested() || (due.len() as i64) < BATCH {
                return Ok(sent);
            }
        }
    }

    async fn skipped(&self, answer: &DueAnswer) -> Result<Option<AnswerSkip>, StoreError> {
        let Ok(address) = EmailAddress::parse(&answer.email) else {
            return Ok(None);
        };
        let bounced = self.store.permanently_bounced(&answer.email).await?;
        Ok(skip_reason(
            &address,
            &self.deny,
            &self.organisation,
            bounced,
        ))
    }

    /// One row, claimed, delivered and recorded; gives back the bytes sent, and the session
    /// when it is still usable.
    async fn send_one(
        &self,
        mut session: SmtpSession,
        answer: &DueAnswer,
    ) -> Result<(Option<Vec<u8>>, Option<SmtpSession>), OutboxError> {
        let composed = match self.compose(answer) {
            Ok(composed) => composed,
            Err(error) => {
                error!(application_id = answer.application_id, job = answer.job_id, %error, "answer cannot be written");
                self.store
                    .finish_answer(answer, &AnswerOutcome::Failed { error }, None)
                    .await?;
                return Ok((None, Some(session)));
            }
        };
        let handed = hand_over(
            &mut session,
            &composed.message,
            self.store.claim_answer(answer.id),
        )
        .await?;
        let (outcome, bytes, session) = match handed {
            Handed::Delivered(bytes) => (AnswerOutcome::Sent, Some(bytes), Some(session)),
            Handed::Refused(refusal) => (refused(refusal, answer.attempts), None, Some(session)),
            Handed::ClaimedElsewhere => return Ok((None, Some(session))),
            Handed::Uncertain(error) => (AnswerOutcome::Uncertain { error }, None, None),
        };
        let record = bytes.as_deref().map(|bytes| SentMessage {
            bytes,
            subject: &composed.subject,
            from: self.sender.from.as_str(),
            to: &answer.email,
            in_reply_to: composed.in_reply_to.as_deref(),
            references: &composed.references,
        });
        match &outcome {
            AnswerOutcome::Sent => info!(
                application_id = answer.application_id,
                job = answer.job_id,
                message_id = %answer.message_id,
                server = %self.mailer.server(),
                "answer sent"
            ),
            AnswerOutcome::Retry { error, at } => {
                warn!(application_id = answer.application_id, job = answer.job_id, %error, retry_at = %at, "answer refused for now")
            }
            _ => {
                error!(application_id = answer.application_id, job = answer.job_id, state = ?outcome, "answer not delivered")
            }
        }
        self.store
            .finish_answer(answer, &outcome, record.as_ref())
            .await?;
        Ok((bytes, session))
    }

    /// The message for one row. An error is a message that can never be built (an address
    /// lettre refuses, a job's text that no longer parses): the row fails for good.
    fn compose(&self, answer: &DueAnswer) -> Result<Composed, String> {
        let text = answer.text().ok_or("the job's text does not parse")?;
        let posting = PostingId::parse(&answer.posting)
            .ok()
            .and_then(|id| self.postings.iter().find(|p| p.id == id))
            .map_or(answer.posting.as_str(), |p| p.title.as_str());
        let interview = answer.interview();
        let slot = match &interview {
            Some(i) => Some(
                i.slot(self.organisation.timezone)
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let (date, time) = interview.as_ref().map(|i| i.in_words()).unwrap_or_default();
        let fields = Fields {
            first_name: &answer.first_name,
            last_name: &answer.last_name,
            posting,
            organisation: &self.sender.signature,
            interview_date: &date,
            interview_time: &time,
            interview_place: interview.as_ref().map_or("", |i| i.place.as_text()),
            missing: missing_documents(answer.has_cv, answer.has_letter),
        };
        let (subject, body) = text.render(&fields);
        let from = Mailbox::new(
            self.sender.from_name.clone(),
            self.sender
                .from
                .as_str()
                .parse()
                .map_err(|e| format!("from: {e}"))?,
        );
        let name = format!("{} {}", answer.first_name, answer.last_name);
        let to = Mailbox::new(
            Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
            answer
                .email
                .parse()
                .map_err(|e| format!("candidate address: {e}"))?,
        );
        let in_reply_to = answer
            .parent
            .as_deref()
            .and_then(message_id)
            .map(str::to_owned);
        let mut refs: Vec<&str> = thread_ids(answer.parent_refs.as_deref().unwrap_or_default());
        refs.extend(in_reply_to.as_deref());
        let references = refs[refs.len().saturating_sub(20)..].join(" ");
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(subject.clone())
            .message_id(Some(answer.message_id.clone()))
            .date_now();
        if let Some(parent) = &in_reply_to {
            builder = builder.in_reply_to(parent.clone());
        }
        if !references.is_empty() {
            builder = builder.references(references.clone());
        }
        let message = match (&slot, &interview) {
            (Some(slot), Some(interview)) => {
                let ics = calendar(
                    &Invitation {
                        application_id: answer.application_id,
                        organisation: &self.sender.signature,
                        organiser: &self.sender.from,
                        candidate: name.trim(),
                        posting,
                        slot,
                        place: &interview.place,
                        language: Language::French,
                    },
                    Utc::now(),
                );
                let calendar_type =
                    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                        .map_err(|e| e.to_string())?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(body))
                        .singlepart(
                            Attachment::new("invitation.ics".to_owned()).body(ics, calendar_type),
                        ),
                )
            }
            _ => builder.body(body),
        }
        .map_err(|e| e.to_string())?;
        Ok(Composed {
            message,
            subject,
            in_reply_to,
            references,
        })
    }
}

/// A row's message with what the thread records of it.
struct Composed {
    message: Message,
    subject: String,
    in_reply_to: Option<String>,
    references: String,
}
