//! The CPU stage: parse, triage and identity, with no I/O. A group's messages are analysed
//! on the blocking pool, a share of them per core ([`in_parallel`]).

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{Pipeline, RawMessage};
use crate::domain::bounce::DeliveryReport;
use crate::domain::document::DocumentKind;
use crate::domain::email::EmailAddress;
use crate::domain::identity::{Identity, Legacy};
use crate::domain::mail::{Document, Mail};
use crate::domain::outcome::IgnoreReason;
use crate::domain::record::{AckIntent, MessageFacts, NewApplication};
use crate::domain::source::{Direction, SourceRef};
use crate::domain::triage::{Filing, OutboundKind, Verdict, outbound_answers, triage};
use crate::extract::parse_mail;

/// A message once read.
#[derive(Debug)]
pub(super) struct Analysed {
    pub source: SourceRef,
    pub message_id: Option<String>,
    /// What an erasure's tombstone would name; `None` for mail never kept anyway.
    pub identity: Option<Identity>,
    pub what: What,
}

#[derive(Debug)]
pub(super) enum What {
    Ignored(IgnoreReason),
    /// A delivery report: ignored, and recorded against the failed addresses that are
    /// candidates' (the store looks them up in the recording transaction).
    Bounce {
        report: DeliveryReport,
        reported_at: DateTime<Utc>,
    },
    /// Kept whole, with the reason it cannot be filed.
    Quarantined {
        raw: Bytes,
        error: String,
    },
    Application {
        message: MessageFacts,
        filing: NewApplication,
        documents: Vec<(Document, DocumentKind)>,
        body_letter: Option<String>,
    },
    /// A candidate's message that names no posting: a follow-up if its thread is known.
    FollowUp {
        sender: EmailAddress,
        message: MessageFacts,
        documents: Vec<(Document, DocumentKind)>,
    },
    /// Mail the organisation sent: an answer to the applications it concerns, if any.
    Outbound {
        message: MessageFacts,
        by_thread: bool,
    },
}

impl What {
    /// Whether deciding it asks the database about earlier messages, which must then be
    /// recorded first.
    pub fn looks_up_earlier_messages(&self) -> bool {
        matches!(self, What::FollowUp { .. } | What::Outbound { .. })
    }
}

impl Pipeline {
    /// Analyses messages on the blocking pool, in order.
    pub(super) async fn analyse_all(
        &self,
        messages: Vec<RawMessage>,
        direction: Direction,
    ) -> Result<Vec<Analysed>, tokio::task::JoinError> {
        let pipeline = self.clone();
        in_parallel(messages, move |message| {
            pipeline.analyse(message, direction)
        })
        .await
    }

    /// What a message is. Blocking (CPU-bound).
    pub(super) fn analyse(&self, message: RawMessage, direction: Direction) -> Analysed {
        let RawMessage {
            source,
            raw,
            arrived_at,
        } = message;
        let rules = &self.rules;
        let quarantine = |raw: Bytes, message_id: Option<String>, error: String| Analysed {
            identity: Some(Identity::of(
                message_id.as_deref(),
                &raw,
                self.store.legacy_identities(),
            )),
            source: source.clone(),
            message_id,
            what: What::Quarantined { raw, error },
        };
        if raw.len() as u64 > rules.max_message_bytes {
            let error = format!(
                "message of {} bytes exceeds limits.max_message_bytes ({})",
                raw.len(),
                rules.max_message_bytes
            );
            return quarantine(raw, None, error);
        }
        let mail = match parse_mail(&raw, &rules.limits) {
            Ok(mail) => mail,
            Err(err) => return quarantine(raw, None, err.to_string()),
        };
        let verdict = match direction {
            Direction::Outbound => Verdict::Outbound,
            Direction::Inbound => triage(&mail, &rules.postings, &rules.organisation),
        };
        let facts = |forwarded_by| {
            message_facts(
                &mail,
                direction,
                &raw,
                arrived_at,
                self.store.legacy_identities(),
                forwarded_by,
            )
        };
        let decided = |what| Analysed {
            source: source.clone(),
            message_id: mail.message_id.clone(),
            identity: None,
            what,
        };
        let with_identity = |message: &MessageFacts, what| Analysed {
            identity: Some(message.identity.clone()),
            ..decided(what)
        };
        match verdict {
            Verdict::Ignored(reason) => decided(What::Ignored(reason)),
            Verdict::Bounce(report) => decided(What::Bounce {
                report,
                reported_at: arrival(&mail, arrived_at),
            }),
            Verdict::Quarantine(error) => quarantine(raw.clone(), mail.message_id.clone(), error),
            Verdict::Outbound => match outbound_answers(&mail, &rules.organisation) {
                OutboundKind::Automatic => decided(What::Ignored(IgnoreReason::AutomaticOutbound)),
                kind => {
                    let message = facts(None);
                    let by_thread = kind == OutboundKind::Answer;
                    with_identity(&message.clone(), What::Outbound { message, by_thread })
                }
            },
            Verdict::PossibleFollowUp { sender, documents } => {
                let message = facts(None);
                let what = What::FollowUp {
                    sender: sender.address,
                    message: message.clone(),
                    documents,
                };
                with_identity(&message, what)
            }
            Verdict::Application(filing) => {
                let Filing {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    documents,
                    body_letter,
                    forwarded_by,
                    forward_unverified,
                    forwarded_inline,
                } = *filing;
                let message = facts(forwarded_by.clone());
                let acknowledgement = self.acknowledgements.as_ref().map(|queue| {
                    let decided = queue.policy.decide(
                        &mail,
                        &candidate,
                        forwarded_by.is_some(),
                        &rules.organisation,
                        message.arrived_at,
                        Utc::now(),
                    );
                    match decided {
                        Ok(()) => AckIntent::Send {
                            message_id: super::new_message_id(&queue.domain),
                        },
                        Err(reason) => AckIntent::Skip(reason),
                    }
                });
                let filing = NewApplication {
                    posting,
                    candidate,
                    name,
                    subject_nonconforming,
                    forward_unverified,
                    forwarded_inline,
                    acknowledgement,
                };
                let what = What::Application {
                    message: message.clone(),
                    filing,
                    documents,
                    body_letter,
                };
                with_identity(&message, what)
            }
        }
    }
}

/// A filed message's facts. Its arrival is the server's, or for an import the Date header no
/// later than now; the Date header shown is never later than the arrival.
fn message_facts(
    mail: &Mail,
    direction: Direction,
    raw: &[u8],
    arrived_at: Option<DateTime<Utc>>,
    legacy: Legacy,
    forwarded_by: Option<EmailAddress>,
) -> MessageFacts {
    let arrived_at = arrival(mail, arrived_at);
    MessageFacts {
        direction,
        message_id: mail.message_id.clone(),
        in_reply_to: mail.in_reply_to.clone(),
        references: mail.references.clone(),
        from_address: mail.from.as_ref().map(|s| s.address.clone()),
        recipients: mail.recipients.clone(),
        reply_to: mail
            .reply_to
            .first()
            .filter(|_| direction == Direction::Inbound && forwarded_by.is_none())
            .cloned(),
        subject: mail.subject.clone(),
        date: mail.date.map_or(arrived_at, |date| date.min(arrived_at)),
        arrived_at,
        identity: Identity::of(mail.message_id.as_deref(), raw, legacy),
        raw_size: raw.len() as u64,
        forwarded_by,
    }
}

/// When a message arrived: the server's word, or for an import the Date header no later
/// than now.
fn arrival(mail: &Mail, arrived_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let now = Utc::now();
    arrived_at.unwrap_or_else(|| mail.date.map_or(now, |date| date.min(now)))
}

/// Runs `work` over `items` on the blocking pool, a share of them per core, and returns the
/// results in the items' order. One call per share, not per item: each call wakes a pool
/// thread and then the waiting task.
pub(super) async fn in_parallel<T, R>(
    items: Vec<T>,
    work: impl Fn(T) -> R + Clone + Send + 'static,
) -> Result<Vec<R>, tokio::task::JoinError>
where
    T: Send + 'static,
    R: Send + 'static,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = items.len().div_ceil(cores).max(1);
    let mut items = items.into_iter();
    let mut tasks = Vec::new();
    loop {
        let chunk: Vec<T> = items.by_ref().take(share).collect();
        if chunk.is_empty() {
            break;
        }
        let work = work.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            chunk.into_iter().map(&work).collect::<Vec<R>>()
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.extend(task.await?);
    }
    Ok(results)
}
