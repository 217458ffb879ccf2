//! What an inbound email is: an application to file, a follow-up to look up, the
//! organisation's own mail, or something to ignore. Pure: the database is consulted later,
//! by the pipeline, only for what the message alone cannot say.

use super::body_letter::letter_in_body;
use super::bounce::{DeliveryReport, parse_delivery_status};
use super::document::{DocFormat, DocumentKind};
use super::email::EmailAddress;
use super::inline_forward::inline_forward;
use super::mail::{Document, Mail, Sender};
use super::name::{PersonName, capped, name_from_display, name_from_subject};
use super::organisation::Organisation;
use super::posting::{Posting, PostingId};
use super::subject::{AutomaticSubject, SubjectMatch, automatic_subject};

pub use super::outcome::IgnoreReason;

/// An application ready to be filed.
#[derive(Debug, Clone)]
pub struct Filing {
    pub posting: PostingId,
    pub candidate: EmailAddress,
    pub name: PersonName,
    pub subject_nonconforming: bool,
    /// Documents with their final kind, in the order they appeared.
    pub documents: Vec<(Document, DocumentKind)>,
    /// The cover letter, when the candidate wrote it in the body.
    pub body_letter: Option<String>,
    /// The colleague who forwarded the application, when it came as message/rfc822.
    pub forwarded_by: Option<EmailAddress>,
    /// A colleague's forward that the organisation's server did not authenticate: anyone
    /// can write a colleague's From, so the recruiters are told.
    pub forward_unverified: bool,
    /// Filed from a forward written in the body ([`inline_forward`]), not attached.
    pub forwarded_inline: bool,
}

#[derive(Debug, Clone)]
pub enum Verdict {
    Application(Box<Filing>),
    /// A candidate's message that names no posting but may continue a thread the database
    /// knows ("Re: ma candidature"); the pipeline looks its thread ids up.
    PossibleFollowUp {
        sender: Sender,
        documents: Vec<(Document, DocumentKind)>,
    },
    /// Mail from the organisation's own address, in the Sent folder or authenticated by the
    /// organisation's server: outbound, for reply tracking.
    Outbound,
    Ignored(IgnoreReason),
    /// A delivery status notification (RFC 3464) naming addresses it failed for: ignored like
    /// any bounce, except that the pipeline records it against those of the addresses that
    /// are candidates'.
    Bounce(DeliveryReport),
    /// A message that names a posting but cannot be filed; kept whole with this reason.
    Quarantine(String),
}

/// Decides what an inbound message (one found in the inbox, not in Sent) is.
pub fn triage(mail: &Mail, postings: &[Posting], organisation: &Organisation) -> Verdict {
    if let Some(reason) = automatic(mail) {
        return match delivery_report(mail) {
            Some(report) if reason == IgnoreReason::Bounce => Verdict::Bounce(report),
            _ => Verdict::Ignored(reason),
        };
    }
    let Some(sender) = &mail.from else {
        return match match_posting(&mail.subject, postings) {
            Some(_) => {
                Verdict::Quarantine("no sender address (From is missing or unreadable)".into())
            }
            None => Verdict::Ignored(IgnoreReason::NoSender),
        };
    };
    if organisation.is_own_address(&sender.address) {
        // Only the Sent folder is the organisation's own word; in the inbox, anyone can
        // write its address in From.
        return if organisation.authenticated(&mail.authentication_results, &sender.address) {
            Verdict::Outbound
        } else {
            Verdict::Ignored(IgnoreReason::UnverifiedOwnAddress)
        };
    }
    if organisation.is_internal(&sender.address) {
        return forwarded_application(mail, postings, organisation)
            .unwrap_or(Verdict::Ignored(IgnoreReason::Internal));
    }
    match application(mail, sender, postings, None) {
        Some(filing) => Verdict::Application(Box::new(filing)),
        None => Verdict::PossibleFollowUp {
            sender: sender.clone(),
            documents: final_kinds(all_documents(mail)),
        },
    }
}

/// The failures a delivery report names, if it is one that names any. A report that cannot
/// be read is a bounce like the others: ignored, and the mail stays in the mailbox.
fn delivery_report(mail: &Mail) -> Option<DeliveryReport> {
    let report = parse_delivery_status(mail.delivery_status.as_deref()?).ok()?;
    (!report.failed.is_empty()).then_some(report)
}

/// Auto-replies, receipts, bounces and list mail, by headers first and subject second.
fn automatic(mail: &Mail) -> Option<IgnoreReason> {
    let a = &mail.automation;
    if let Some(report) = &a.report_type {
        return Some(if report.contains("disposition") {
            IgnoreReason::ReadReceipt
        } else {
            IgnoreReason::Bounce
        });
    }
    if a.null_return_path
        || mail
            .from
            .as_ref()
            .is_some_and(|s| s.address.is_mailer_daemon())
    {
        return Some(IgnoreReason::Bounce);
    }
    if a.auto_submitted.as_deref().is_some_and(|v| v != "no") || a.autoreply_header {
        return Some(IgnoreReason::AutoReply);
    }
    match a.precedence.as_deref() {
        Some("auto_reply") => return Some(IgnoreReason::AutoReply),
        Some("bulk" | "list" | "junk") => return Some(IgnoreReason::MailingList),
        _ => {}
    }
    if a.mailing_list {
        return Some(IgnoreReason::MailingList);
    }
    automatic_subject(&mail.subject).map(|kind| match kind {
        AutomaticSubject::AutoReply => IgnoreReason::AutoReply,
        AutomaticSubject::ReadReceipt => IgnoreReason::ReadReceipt,
        AutomaticSubject::Bounce => IgnoreReason::Bounce,
    })
}

/// A colleague forwarding a candidate's email: as an attachment (message/rfc822), filed
/// under the inner sender; failing that, inline ([`inline_forward`]), filed under the sender
/// the forwarded block names, with the forward's own documents and the flag
/// `forwarded_inline`: that block is text anyone can type. The colleague's From is trusted
/// no more than any other: without the organisation's server vouching for it, the filing
/// says so.
fn forwarded_application(
    mail: &Mail,
    postings: &[Posting],
    organisation: &Organisation,
) -> Option<Verdict> {
    let forwarder = mail.from.as_ref().map(|s| s.address.clone());
    let verified = forwarder
        .as_ref()
        .is_some_and(|from| organisation.authenticated(&mail.authentication_results, from));
    let attached = || {
        mail.forwarded
            .iter()
            .find_map(|inner| forwarded_filing(mail, inner, postings, organisation))
    };
    let inline = || {
        let found = inline_forward(&mail.body_text)?;
        let inner = Mail {
            subject: found.subject.unwrap_or_default(),
            from: Some(found.from),
            documents: mail.documents.clone(),
            body_text: found.body,
            ..Mail::default()
        };
        let mut filing = forwarded_filing(mail, &inner, postings, organisation)?;
        filing.forwarded_inline = true;
        Some(filing)
    };
    let mut filing = attached().or_else(inline)?;
    filing.forwarded_by = forwarder;
    filing.forward_unverified = !verified;
    Some(Verdict::Application(Box::new(filing)))
}

/// The application a forwarded message makes, when its sender is a candidate.
fn forwarded_filing(
    outer: &Mail,
    inner: &Mail,
    postings: &[Posting],
    organisation: &Organisation,
) -> Option<Filing> {
    let sender = inner.from.as_ref()?;
    if organisation.is_internal(&sender.address) || automatic(inner).is_some() {
        return None;
    }
    // The colleague's subject ("Fwd: Coordination Maroc – X") counts when the inner one
    // was mangled, but the inner documents and sender are the application.
    application(inner, sender, postings, None).or_else(|| {
        let mut with_outer_subject = inner.clone();
        with_outer_subject.subject = outer.subject.clone();
        application(&with_outer_subject, sender, postings, None)
    })
}

fn application(
    mail: &Mail,
    sender: &Sender,
    postings: &[Posting],
    forwarded_by: Option<EmailAddress>,
) -> Option<Filing> {
    let (posting, found) = match_posting(&mail.subject, postings)?;
    let documents = final_kinds(all_documents(mail));
    let (name_part, conforming) = match found {
        SubjectMatch::Posting { name, conforming } => (name, conforming),
        SubjectMatch::Title { name } => {
            // A subject that only paraphrases the title is an application only when it
            // carries documents: job-board alerts paraphrase titles too.
            if documents.is_empty() {
                return None;
            }
            (name, false)
        }
        SubjectMatch::None => return None,
    };
    let display = sender.display_name.as_deref();
    let from_subject = name_part
        .as_deref()
        .and_then(|part| name_from_subject(part, display));
    let name = from_subject
        .clone()
        .or_else(|| display.and_then(name_from_display))
        .unwrap_or_else(|| name_from_address(&sender.address));
    let has_letter = documents
        .iter()
        .any(|(_, kind)| *kind == DocumentKind::Letter);
    let body_letter = if has_letter {
        None
    } else {
        letter_in_body(&mail.body_text)
    };
    Some(Filing {
        posting: posting.id.clone(),
        candidate: sender.address.clone(),
        name,
        subject_nonconforming: !conforming || from_subject.is_none(),
        documents,
        body_letter,
        forwarded_by,
        forward_unverified: false,
        forwarded_inline: false,
    })
}

fn match_posting<'p>(
    subject: &str,
    postings: &'p [Posting],
) -> Option<(&'p Posting, SubjectMatch)> {
    let analysed: Vec<_> = postings.iter().map(|p| (p, p.analyse(subject))).collect();
    // A posting named by its subject words beats one only paraphrased by its title.
    analysed
        .iter()
        .find(|(_, m)| matches!(m, SubjectMatch::Posting { .. }))
        .or_else(|| {
            analysed
                .iter()
                .find(|(_, m)| matches!(m, SubjectMatch::Title { .. }))
        })
        .cloned()
}

/// The message's own documents, then those of messages it carries (a candidate forwarding
/// their own earlier email as an attachment).
fn all_documents(mail: &Mail) -> Vec<Document> {
    let mut documents = mail.documents.clone();
    for inner in &mail.forwarded {
        documents.extend(inner.documents.iter().cloned());
    }
    documents
}

/// Settles the kind of every document. One unreadable document next to a CV is the letter
/// (and the other way round): candidates send the two, and scanners name files "scan0001".
fn final_kinds(documents: Vec<Document>) -> Vec<(Document, DocumentKind)> {
    let has = |kind| documents.iter().any(|d| d.kind == Some(kind));
    let unknown: Vec<usize> = documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind.is_none() && d.format.is_document() && d.format != DocFormat::Image)
        .map(|(i, _)| i)
        .collect();
    let inferred = match (
        unknown.as_slice(),
        has(DocumentKind::Cv),
        has(DocumentKind::Letter),
    ) {
        ([only], true, false) => Some((*only, DocumentKind::Letter)),
        ([only], false, true) => Some((*only, DocumentKind::Cv)),
        _ => None,
    };
    documents
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let kind = match inferred {
                Some((j, kind)) if i == j => kind,
                _ => d.kind.unwrap_or(DocumentKind::Other),
            };
            (d, kind)
        })
        .collect()
}

/// The last resort for a name: `marie.dupont@…` gives Marie / Dupont.
fn name_from_address(address: &EmailAddress) -> PersonName {
    let words: Vec<String> = address
        .local_part()
        .split(['.', '_', '-'])
        .filter(|w| w.chars().any(char::is_alphabetic) && !w.chars().any(|c| c.is_ascii_digit()))
        .map(capitalise)
        .collect();
    match words.as_slice() {
        [first, last] => PersonName {
            last_name: capped(last.clone()),
            first_name: capped(first.clone()),
        },
        _ => PersonName {
            last_name: String::new(),
            first_name: String::new(),
        },
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| {
            c.to_uppercase()
                .chain(chars.flat_map(char::to_lowercase))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an outbound message answers an application whose messages have these ids or whose
/// candidate has this address. A forward to a colleague is not an answer, even when it keeps
/// the thread's References: the candidate never receives it.
pub fn outbound_answers(mail: &Mail, organisation: &Organisation) -> OutboundKind {
    // An autoresponder's message (applymail's own acknowledgement among them) is no answer.
    if mail.automation.is_automatic() {
        return OutboundKind::Automatic;
    }
    let forward = super::subject::strip_prefixes(&mail.subject).0.forward;
    let all_internal =
        !mail.recipients.is_empty() && mail.recipients.iter().all(|r| organisation.is_internal(r));
    if forward || all_internal {
        OutboundKind::NotAnAnswer
    } else {
        OutboundKind::Answer
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundKind {
    Answer,
    NotAnAnswer,
    Automatic,
}

#[cfg(test)]
mod tests;
