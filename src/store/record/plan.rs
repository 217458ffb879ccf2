//! What a group's writes become, decided in memory so that the group's transaction writes
//! each table with one statement, not one statement per message.
//!
//! Recording is defined message by message, in arrival order: a message sees the rows of the
//! ones before it, so a resend later in the group joins the application the first copy
//! opened, and a copy at other coordinates is a duplicate. None of those decisions needs a
//! row id, only keys the group already has (coordinates, dedupe keys, candidate addresses,
//! postings). So [`Plan::new`] makes them all first, from what the database held before the
//! group ([`Known`]); the transaction then inserts the plan's candidates, applications and
//! messages one table at a time; and [`Plan::resolve`] turns the ids those inserts return
//! into each message's outcome and the rows that refer to them ([`Later`]). The result is
//! the one the message-by-message definition gives, which the tests below hold it to.

use std::collections::{HashMap, HashSet};

pub(super) use super::later::{AckRow, Later, Seen, Touch};

use chrono::{DateTime, Utc};

use crate::domain::bounce::Permanence;
use crate::domain::named::Named;
use crate::domain::outcome::{IgnoreReason, Outcome, OutcomeKind};
use crate::domain::posting::PostingId;
use crate::domain::record::{Decision, DecisionKind, MessageFacts, NewApplication, StoredDocument};
use crate::domain::source::SourceRef;

/// What the database held before the group, asked once for the whole group.
#[derive(Debug, Default)]
pub(super) struct Known {
    /// Ledger coordinates, as locations by mailbox.
    pub seen: HashMap<String, HashSet<String>>,
    /// Message row ids by dedupe key.
    pub messages: HashMap<String, i64>,
    /// Identity keys of erased messages (their tombstones were found).
    pub erased: HashSet<String>,
}

impl Known {
    fn holds(&self, source: &SourceRef) -> bool {
        self.seen
            .get(&source.mailbox)
            .is_some_and(|locations| locations.contains(&source.location))
    }
}

/// A candidate the group files for, with the name its first messages give.
#[derive(Debug)]
pub(super) struct CandidateRow<'a> {
    pub email: &'a str,
    /// The first non-empty last name and first name among the group's messages: what
    /// inserting them one by one, each filling only an empty name, leaves.
    pub last_name: &'a str,
    pub first_name: &'a str,
}

/// An application the group files into, with the fields of its first message (which opens
/// it, unless it exists already).
#[derive(Debug)]
pub(super) struct ApplicationRow<'a> {
    /// Index into [`Plan::candidates`].
    pub candidate: usize,
    pub posting: &'a PostingId,
    pub subject_nonconforming: bool,
    /// Any of the group's filings into it is an unverified forward.
    pub forward_unverified: bool,
    /// Any of the group's filings into it came from an inline forward.
    pub forwarded_inline: bool,
    pub received_at: DateTime<Utc>,
}

/// A new message row, with the coordinates it was first recorded at.
#[derive(Debug)]
pub(super) struct NewMessage<'a> {
    pub source: &'a SourceRef,
    pub row: &'a MessageFacts,
    /// `row`'s dedupe key, made once.
    pub key: String,
}

/// A failed address of a delivery report, recorded if it is a candidate's when the group's
/// transaction runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BounceRow<'a> {
    pub email: &'a str,
    pub permanent: bool,
    pub status: Option<&'a str>,
    /// The report's Message-ID: the same report met twice is one row.
    pub report_id: Option<&'a str>,
    pub reported_at: DateTime<Utc>,
}

/// What one write does.
#[derive(Debug)]
enum Step<'a> {
    AlreadySeen,
    /// A ledger row only (ignored, quarantined mail).
    LedgerOnly(Seen<'a>, Outcome),
    /// A message recorded before the group, or earlier in it, under this dedupe key.
    Duplicate {
        seen: Seen<'a>,
        key: String,
    },
    /// A new message row ([`Plan::messages`]) and what it is.
    New {
        message: usize,
        kind: NewKind<'a>,
    },
}

impl<'a> Step<'a> {
    fn ignored(source: &'a SourceRef, message_id: Option<&'a str>, reason: IgnoreReason) -> Self {
        // Of an erased person's mail, not even the Message-ID is kept.
        let message_id = message_id.filter(|_| reason != IgnoreReason::Erased);
        let seen = Seen {
            reason: Some(reason.as_str()),
            ..Seen::new(source, message_id, OutcomeKind::Ignored)
        };
        Step::LedgerOnly(seen, Outcome::Ignored(reason))
    }
}

#[derive(Debug)]
enum NewKind<'a> {
    /// Filed under [`Plan::applications`]`[application]`, which it opens unless the
    /// application exists already or an earlier message of the group opened it.
    File {
        application: usize,
        filing: &'a NewApplication,
        documents: &'a [StoredDocument],
    },
    FollowUp {
        application_id: i64,
        documents: &'a [StoredDocument],
    },
    Answer {
        application_ids: &'a [i64],
    },
}

/// The ids the transaction's inserts returned, in the order of the plan's rows.
#[derive(Debug)]
pub(super) struct Inserted {
    /// Each of [`Plan::applications`]: its id, and whether this group created it.
    pub applications: Vec<(i64, bool)>,
    /// Each of [`Plan::messages`].
    pub messages: Vec<i64>,
    /// For the messages recorded before the group that the group duplicates: the first
    /// application each is linked to.
    pub first_links_before: HashMap<i64, i64>,
}

/// A group's writes, decided.
#[derive(Debug)]
pub(super) struct Plan<'a> {
    steps: Vec<Step<'a>>,
    pub candidates: Vec<CandidateRow<'a>>,
    pub applications: Vec<ApplicationRow<'a>>,
    pub messages: Vec<NewMessage<'a>>,
    /// Row ids of messages recorded before the group that it duplicates.
    pub duplicated_before: Vec<i64>,
    /// The failed addresses of the group's delivery reports.
    pub bounces: Vec<BounceRow<'a>>,
    /// Dedupe keys of the messages recorded before the group.
    known_messages: HashMap<String, i64>,
}

impl<'a> Plan<'a> {
    pub fn new(writes: &'a [Decision], known: Known) -> Plan<'a> {
        let mut planner = Planner {
            plan: Plan {
                steps: Vec::with_capacity(writes.len()),
                candidates: Vec::new(),
                applications: Vec::new(),
                messages: Vec::new(),
                duplicated_before: Vec::new(),
                bounces: Vec::new(),
                known_messages: HashMap::new(),
            },
            known: &known,
            recorded: HashSet::new(),
            new_keys: HashSet::new(),
            candidate_index: HashMap::new(),
            application_index: HashMap::new(),
        };
        for write in writes {
            planner.step(write);
        }
        let mut plan = planner.plan;
        plan.duplicated_before.sort_unstable();
        plan.duplicated_before.dedup();
        plan.known_messages = known.messages;
        plan
    }

    /// Each write's outcome, in order, and the rows that refer to the inserted ones.
    pub fn resolve(self, inserted: &Inserted) -> (Vec<Outcome>, Later<'a>) {
        let mut later = Later::default();
        let mut outcomes = Vec::with_capacity(self.steps.len());
        let mut opened = vec![false; self.applications.len()];
        let mut new_ids: HashMap<String, i64> = HashMap::with_capacity(self.messages.len());
        for step in self.steps {
            let recorded = match step {
                Step::AlreadySeen => Outcome::AlreadySeen,
                Step::LedgerOnly(seen, recorded) => {
                    later.seen.push(seen);
                    recorded
                }
                Step::Duplicate { seen, key } => {
                    // The message this one repeats came first: if the group inserted it,
                    // its links are in `later` already.
                    let message_ref = self
                        .known_messages
                        .get(&key)
                        .or_else(|| new_ids.get(&key))
                        .copied()
                        .expect("a duplicate's key was known before the group or inserted in it");
                    let application_id = later
                        .first_link(message_ref)
                        .or_else(|| inserted.first_links_before.get(&message_ref).copied());
                    later.seen.push(Seen {
                        message_ref: Some(message_ref),
                        application_id,
                        ..seen
                    });
                    Outcome::Duplicate
                }
                Step::New { message, kind } => {
                    let NewMessage { source, row, key } = &self.messages[message];
                    let (source, row) = (*source, *row);
                    let message_ref = inserted.messages[message];
                    new_ids.insert(key.clone(), message_ref);
                    let recorded = match kind {
                        NewKind::File {
                            application,
                            filing,
                            documents,
                        } => {
                            let (application_id, created) = inserted.applications[application];
                            // A new application was inserted with its group's flag.
                            if !created && filing.forward_unverified {
                                later.touches.push(Touch::ForwardUnverified(application_id));
                            }
                            if !created && filing.forwarded_inline {
                                later.touches.push(Touch::ForwardedInline(application_id));
                            }
                            // The group's first message for an application it created opens it.
                            let recorded = if created && !opened[application] {
                                opened[application] = true;
                                later
                                    .received
                                    .push((application_id, source.mailbox.as_str()));
                                if let Some(intent) = &filing.acknowledgement {
                                    later.acknowledgements.push(AckRow {
                                        application_id,
                                        intent,
                                        message: row,
                                    });
                                }
                                Outcome::Filed { application_id }
                            } else {
                                later
                                    .touches
                                    .push(Touch::Inbound(application_id, row.arrived_at));
                                Outcome::FollowUp { application_id }
                            };
                            later.attach(application_id, message_ref, documents);
                            recorded
                        }
                        NewKind::FollowUp {
                            application_id,
                            documents,
                        } => {
                            later
                                .touches
                                .push(Touch::Inbound(application_id, row.arrived_at));
                            later.attach(application_id, message_ref, documents);
                            Outcome::FollowUp { application_id }
                        }
                        NewKind::Answer { application_ids } => {
                            for &application_id in application_ids {
                                later.links.push((application_id, message_ref));
                                later
                                    .touches
                                    .push(Touch::Answered(application_id, row.arrived_at));
                            }
                            Outcome::Outbound {
                                application_ids: application_ids.to_vec(),
                            }
                        }
                    };
                    later.seen.push(Seen {
                        message_ref: Some(message_ref),
                        application_id: recorded.application_id(),
                        ..Seen::new(source, row.message_id.as_deref(), recorded.kind())
                    });
                    recorded
                }
            };
            outcomes.push(recorded);
        }
        (outcomes, later)
    }
}

/// [`Plan::new`]'s state while it goes through the group in order.
struct Planner<'a, 'k> {
    plan: Plan<'a>,
    known: &'k Known,
    /// Coordinates the group has recorded so far.
    recorded: HashSet<&'a SourceRef>,
    /// Dedupe keys of the messages the group inserts.
    new_keys: HashSet<String>,
    candidate_index: HashMap<&'a str, usize>,
    application_index: HashMap<(usize, &'a PostingId), usize>,
}

impl<'a> Planner<'a, '_> {
    fn step(&mut self, write: &'a Decision) {
        let source = &write.source;
        let message_id = write.message_id.as_deref();
        let step = if self.known.holds(source) || self.recorded.contains(source) {
            Step::AlreadySeen
        } else {
            match &write.kind {
                DecisionKind::Ignored(reason) => Step::ignored(source, message_id, *reason),
                DecisionKind::Bounce {
                    report,
                    reported_at,
                } => {
                    for failed in &report.failed {
                        self.plan
                            .bounces
                            .extend(failed.addresses().into_iter().map(|email| BounceRow {
                                email: email.as_str(),
                                permanent: failed.permanence == Permanence::Permanent,
                                status: failed.status.as_deref(),
                                report_id: message_id,
                                reported_at: *reported_at,
                            }));
                    }
                    Step::ignored(source, message_id, IgnoreReason::Bounce)
                }
                DecisionKind::Quarantined {
                    raw_sha256,
                    size,
                    error,
                } => {
                    let seen = Seen {
                        reason: Some(error),
                        raw_sha256: raw_sha256.as_deref(),
                        raw_size: *size,
                        ..Seen::new(source, message_id, OutcomeKind::Quarantined)
                    };
                    Step::LedgerOnly(seen, Outcome::Quarantined)
                }
                DecisionKind::Application {
                    message,
                    filing,
                    documents,
                } => self.message(source, message, |planner| NewKind::File {
                    application: planner.application(filing, message),
                    filing,
                    documents,
                }),
                DecisionKind::FollowUp {
                    message,
                    application_id,
                    documents,
                } => self.message(source, message, |_| NewKind::FollowUp {
                    application_id: *application_id,
                    documents,
                }),
                DecisionKind::Outbound {
                    message,
                    application_ids,
                } => self.message(source, message, |_| NewKind::Answer { application_ids }),
            }
        };
        if !matches!(step, Step::AlreadySeen) {
            self.recorded.insert(source);
        }
        self.plan.steps.push(step);
    }

    /// A message not recorded at these coordinates: a duplicate if its dedupe key is known,
    /// else a new row that is `kind`.
    fn message(
        &mut self,
        source: &'a SourceRef,
        message: &'a MessageFacts,
        kind: impl FnOnce(&mut Self) -> NewKind<'a>,
    ) -> Step<'a> {
        let keys = message.identity.keys();
        let message_id = message.message_id.as_deref();
        if keys.iter().any(|key| self.known.erased.contains(key)) {
            return Step::ignored(source, message_id, IgnoreReason::Erased);
        }
        let key = message.identity.key();
        let seen = Seen::new(source, message_id, OutcomeKind::Duplicate);
        let before = keys
            .iter()
            .find_map(|known| Some((*self.known.messages.get(known)?, known.clone())));
        if let Some((before, key)) = before {
            self.plan.duplicated_before.push(before);
            return Step::Duplicate { seen, key };
        }
        if self.new_keys.contains(&key) {
            return Step::Duplicate { seen, key };
        }
        self.new_keys.insert(key.clone());
        self.plan.messages.push(NewMessage {
            source,
            row: message,
            key,
        });
        let message = self.plan.messages.len() - 1;
        Step::New {
            message,
            kind: kind(self),
        }
    }

    /// The index of the application this filing goes to among the group's.
    fn application(&mut self, filing: &'a NewApplication, message: &'a MessageFacts) -> usize {
        let candidate = self.candidate(filing);
        let applications = &mut self.plan.applications;
        let at = *self
            .application_index
            .entry((candidate, &filing.posting))
            .or_insert_with(|| {
                applications.push(ApplicationRow {
                    candidate,
                    posting: &filing.posting,
                    subject_nonconforming: filing.subject_nonconforming,
                    forward_unverified: false,
                    forwarded_inline: false,
                    received_at: message.arrived_at,
                });
                applications.len() - 1
            });
        applications[at].forward_unverified |= filing.forward_unverified;
        applications[at].forwarded_inline |= filing.forwarded_inline;
        at
    }

    /// The index of the filing's candidate among the group's, merging its name.
    fn candidate(&mut self, filing: &'a NewApplication) -> usize {
        let email = filing.candidate.as_str();
        let name = &filing.name;
        if let Some(&at) = self.candidate_index.get(email) {
            let row = &mut self.plan.candidates[at];
            if row.last_name.is_empty() {
                row.last_name = &name.last_name;
            }
            if row.first_name.is_empty() {
                row.first_name = &name.first_name;
            }
            return at;
        }
        self.plan.candidates.push(CandidateRow {
            email,
            last_name: &name.last_name,
            first_name: &name.first_name,
        });
        self.candidate_index
            .insert(email, self.plan.candidates.len() - 1);
        self.plan.candidates.len() - 1
    }
}

#[cfg(test)]
mod tests {
    //! The plan against the message-by-message definition, with the ids a transaction would
    //! return made up: which messages open, join or repeat an application, and which rows
    //! refer to what.

    use super::*;
    use crate::domain::email::EmailAddress;
    use crate::domain::identity::{Identity, Legacy};
    use crate::domain::name::PersonName;
    use crate::domain::source::Direction;

    fn message(id: &str, bytes: &str, day: u32) -> MessageFacts {
        let message_id = format!("<{id}@example.org>");
        let at =
            chrono::DateTime::from_timestamp(1_700_000_000 + i64::from(day) * 86_400, 0).unwrap();
        MessageFacts {
            direction: Direction::Inbound,
            identity: Identity::of(Some(&message_id), bytes.as_bytes(), Legacy::None),
            message_id: Some(message_id),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            from_address: None,
            recipients: Vec::new(),
            reply_to: None,
            subject: "Coordination Maroc – Benali Amina".into(),
            date: at,
            arrived_at: at,
            raw_size: 1_000,
            forwarded_by: None,
        }
    }

    fn cv() -> StoredDocument {
        StoredDocument {
            kind: crate::domain::document::DocumentKind::Cv,
            source: crate::domain::document::DocumentSource::Attachment,
            filename: "CV.pdf".into(),
            content_type: "application/pdf".into(),
            sha256: "cd".repeat(32),
            size: 500,
        }
    }

    fn application(
        location: &str,
        message: MessageFacts,
        email: &str,
        name: (&str, &str),
    ) -> Decision {
        Decision {
            source: SourceRef::new("INBOX", location),
            message_id: message.message_id.clone(),
            kind: DecisionKind::Application {
                message,
                filing: NewApplication {
                    posting: PostingId::parse("coordination-maroc").unwrap(),
                    candidate: EmailAddress::parse(email).unwrap(),
                    name: PersonName {
                        last_name: name.0.into(),
                        first_name: name.1.into(),
                    },
                    subject_nonconforming: false,
                    forward_unverified: false,
                    forwarded_inline: false,
                    acknowledgement: Some(crate::domain::record::AckIntent::Skip(
                        crate::domain::acknowledgement::SkipReason::TooOld,
                    )),
                },
                documents: vec![cv()],
            },
        }
    }

    /// Each ledger row: where, what, which message and application.
    type LedgerRow<'a> = (&'a str, &'a str, &'static str, Option<i64>, Option<i64>);

    fn ledger<'a>(later: &'a Later<'_>) -> Vec<LedgerRow<'a>> {
        let row = |s: &'a Seen<'_>| {
            let source = s.source;
            (
                source.mailbox.as_str(),
                source.location.as_str(),
                s.outcome.as_str(),
                s.message_ref,
                s.application_id,
            )
        };
        later.seen.iter().map(row).collect()
    }

    #[test]
    fn a_delivery_report_plans_a_ledger_row_and_its_failed_addresses_once() {
        use crate::domain::bounce::{DeliveryReport, FailedRecipient};
        let failed = |original: Option<&str>, last: &str, permanence| FailedRecipient {
            original: original.map(|a| EmailAddress::parse(a).unwrap()),
            final_recipient: EmailAddress::parse(last).unwrap(),
            status: Some("5.1.1".into()),
            permanence,
        };
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let report = |location: &str| Decision {
            source: SourceRef::new("INBOX", location),
            message_id: Some("<dsn@mx.example.org>".into()),
            kind: DecisionKind::Bounce {
                report: DeliveryReport {
                    failed: vec![
                        failed(
                            Some("alias@example.org"),
                            "real@example.net",
                            Permanence::Permanent,
                        ),
                        failed(None, "late@example.com", Permanence::Transient),
                    ],
                },
                reported_at: at,
            },
        };
        // The same coordinates twice in the group, and once already in the ledger.
        let writes = [report("1"), report("1"), report("2")];
        let known = Known {
            seen: HashMap::from([("INBOX".to_owned(), HashSet::from(["2".to_owned()]))]),
            ..Known::default()
        };
        let plan = Plan::new(&writes, known);
        let rows: Vec<(&str, bool)> = plan
            .bounces
            .iter()
            .map(|b| (b.email, b.permanent))
            .collect();
        assert_eq!(
            rows,
            [
                ("alias@example.org", true),
                ("real@example.net", true),
                ("late@example.com", false)
            ]
        );
        assert!(
            plan.bounces
                .iter()
                .all(|b| b.report_id == Some("<dsn@mx.example.org>")
                    && b.status == Some("5.1.1")
                    && b.reported_at == at)
        );
        let ids = inserted(&plan, &[]);
        let (outcomes, later) = plan.resolve(&ids);
        assert_eq!(
            outcomes,
            [
                Outcome::Ignored(IgnoreReason::Bounce),
                Outcome::AlreadySeen,
                Outcome::AlreadySeen
            ]
        );
        assert_eq!(ledger(&later), [("INBOX", "1", "ignored", None, None)]);
    }

    /// The ids an insert would return: applications from 100, messages from 500.
    fn inserted(plan: &Plan<'_>, created: &[bool]) -> Inserted {
        Inserted {
            applications: (0..plan.applications.len())
                .map(|n| (100 + n as i64, created[n]))
                .collect(),
            messages: (0..plan.messages.len()).map(|n| 500 + n as i64).collect(),
            first_links_before: HashMap::from([(7, 42)]),
        }
    }

    #[test]
    fn a_resend_in_the_same_group_joins_the_application_its_first_copy_opens() {
        let writes = [
            application(
                "1",
                message("a", "aa", 1),
                "amina@example.org",
                ("Benali", ""),
            ),
            application(
                "2",
                message("b", "bb", 3),
                "amina@example.org",
                ("", "Amina"),
            ),
        ];
        let plan = Plan::new(&writes, Known::default());
        assert_eq!(plan.candidates.len(), 1);
        let candidate = &plan.candidates[0];
        assert_eq!(
            (candidate.last_name, candidate.first_name),
            ("Benali", "Amina"),
            "each part of the name comes from the first message that gives it"
        );
        assert_eq!(plan.applications.len(), 1);
        assert_eq!(
            plan.applications[0].received_at,
            writes[0].kind.message().unwrap().arrived_at
        );
        assert_eq!(plan.messages.len(), 2);

        let ids = inserted(&plan, &[true]);
        let (outcomes, later) = plan.resolve(&ids);
        assert_eq!(
            outcomes,
            [
                Outcome::Filed {
                    application_id: 100
                },
                Outcome::FollowUp {
                    application_id: 100
                }
            ]
        );
        assert_eq!(later.received, [(100, "INBOX")]);
        assert_eq!(
            later.acknowledgements.len(),
            1,
            "only the opening message is acknowledged"
        );
        assert_eq!(later.links, [(100, 500), (100, 501)]);
        let documents: Vec<_> = later
            .documents
            .iter()
            .map(|(a, m, p, _)| (*a, *m, *p))
            .collect();
        assert_eq!(documents, [(100, 500, 0), (100, 501, 0)]);
        let resent_at = writes[1].kind.message().unwrap().arrived_at;
        assert_eq!(later.touches, [Touch::Inbound(100, resent_at)]);
        assert_eq!(
            ledger(&later),
            [
                ("INBOX", "1", "filed", Some(500), Some(100)),
                ("INBOX", "2", "followup", Some(501), Some(100))
            ]
        );
    }

    #[test]
    fn an_application_that_exists_already_is_joined_not_opened() {
        let writes = [application(
            "1",
            message("a", "aa", 1),
            "amina@example.org",
            ("Benali", "Amina"),
        )];
        let plan = Plan::new(&writes, Known::default());
        let ids = inserted(&plan, &[false]);
        let (outcomes, later) = plan.resolve(&ids);
        assert_eq!(
            outcomes,
            [Outcome::FollowUp {
                application_id: 100
            }]
        );
        assert!(later.received.is_empty() && later.acknowledgements.is_empty());
        assert_eq!(later.touches.len(), 1);
    }

    #[test]
    fn repeats_are_already_seen_at_the_same_coordinates_and_duplicates_elsewhere() {
        let first = message("a", "aa", 1);
        let before = message("old", "ee", 0);
        let mut elsewhere =
            application("9", first.clone(), "amina@example.org", ("Benali", "Amina"));
        elsewhere.source = SourceRef::new("Archive", "9");
        let writes = [
            application("1", first.clone(), "amina@example.org", ("Benali", "Amina")),
            application("1", first.clone(), "amina@example.org", ("Benali", "Amina")),
            elsewhere,
            application(
                "5",
                before.clone(),
                "amina@example.org",
                ("Benali", "Amina"),
            ),
            application(
                "6",
                message("c", "cc", 2),
                "other@example.org",
                ("Idrissi", "Omar"),
            ),
            application("3", first, "amina@example.org", ("Benali", "Amina")),
        ];
        let known = Known {
            seen: HashMap::from([("INBOX".to_owned(), HashSet::from(["3".to_owned()]))]),
            messages: HashMap::from([(before.identity.key(), 7)]),
            erased: HashSet::new(),
        };
        let plan = Plan::new(&writes, known);
        assert_eq!(
            plan.messages.len(),
            2,
            "only the first copy and the other candidate's"
        );
        assert_eq!(plan.duplicated_before, [7]);
        assert_eq!(plan.candidates.len(), 2);

        let ids = inserted(&plan, &[true, true]);
        let (outcomes, later) = plan.resolve(&ids);
        assert_eq!(
            outcomes,
            [
                Outcome::Filed {
                    application_id: 100
                },
                Outcome::AlreadySeen,
                Outcome::Duplicate,
                Outcome::Duplicate,
                Outcome::Filed {
                    application_id: 101
                },
                Outcome::AlreadySeen,
            ]
        );
        assert_eq!(
            ledger(&later),
            [
                ("INBOX", "1", "filed", Some(500), Some(100)),
                ("Archive", "9", "duplicate", Some(500), Some(100)),
                ("INBOX", "5", "duplicate", Some(7), Some(42)),
                ("INBOX", "6", "filed", Some(501), Some(101)),
            ],
            "a duplicate names the message it repeats and that message's first application"
        );
    }

    #[test]
    fn an_unverified_forward_flags_its_application_whenever_it_joins() {
        let unverified = |mut write: Decision| {
            if let DecisionKind::Application { filing, .. } = &mut write.kind {
                filing.forward_unverified = true;
            }
            write
        };
        let writes = [
            application(
                "1",
                message("a", "aa", 1),
                "amina@example.org",
                ("Benali", "Amina"),
            ),
            unverified(application(
                "2",
                message("b", "bb", 2),
                "amina@example.org",
                ("Benali", "Amina"),
            )),
            application(
                "3",
                message("c", "cc", 3),
                "amina@example.org",
                ("Benali", "Amina"),
            ),
        ];
        let plan = Plan::new(&writes, Known::default());
        assert_eq!(plan.applications.len(), 1);
        assert!(
            plan.applications[0].forward_unverified,
            "inserted with the flag of any of its group's filings"
        );
        let (_, later) = plan.resolve(&inserted(&Plan::new(&writes, Known::default()), &[true]));
        assert!(
            !later
                .touches
                .iter()
                .any(|t| matches!(t, Touch::ForwardUnverified(_))),
            "a new application needs no update"
        );

        // The application existed before the group: only the unverified filing flags it.
        let plan = Plan::new(&writes, Known::default());
        let ids = inserted(&plan, &[false]);
        let (_, later) = plan.resolve(&ids);
        let flagged: Vec<_> = later
            .touches
            .iter()
            .filter(|t| matches!(t, Touch::ForwardUnverified(_)))
            .collect();
        assert_eq!(flagged, [&Touch::ForwardUnverified(100)]);
    }
}
