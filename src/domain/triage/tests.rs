use super::*;
use crate::domain::document::{DocFormat, DocumentSource};
use crate::domain::mail::Automation;
use crate::domain::posting::PostingId;

const AUTHSERV_ID: &str = "mx.ong-exemple.org";

fn org() -> Organisation {
    Organisation {
        addresses: vec![EmailAddress::parse("contact@ong-exemple.org").unwrap()],
        domains: vec!["ong-exemple.org".into()],
        authserv_id: Some(AUTHSERV_ID.into()),
        timezone: chrono_tz::Tz::UTC,
    }
}

fn postings() -> Vec<Posting> {
    vec![
        Posting::new(
            PostingId::parse("coordination-maroc").unwrap(),
            "Coordinateur·rice du Partenariat au Maroc".into(),
            "Coordination Maroc",
        )
        .unwrap(),
        Posting::new(
            PostingId::parse("chef-projet-senegal").unwrap(),
            "Chef·fe de projet au Sénégal".into(),
            "Chef de projet Sénégal",
        )
        .unwrap(),
    ]
}

fn sender(address: &str, display: Option<&str>) -> Option<Sender> {
    Some(Sender {
        address: EmailAddress::parse(address).unwrap(),
        display_name: display.map(str::to_owned),
    })
}

fn doc(name: &str, kind: Option<DocumentKind>) -> Document {
    Document {
        filename: name.into(),
        content_type: "application/pdf".into(),
        source: DocumentSource::Attachment,
        format: DocFormat::Pdf,
        kind,
        bytes: name.as_bytes().to_vec().into(),
    }
}

fn mail(subject: &str, from: Option<Sender>, documents: Vec<Document>) -> Mail {
    Mail {
        subject: subject.into(),
        from,
        documents,
        message_id: Some("<m@x>".into()),
        ..Mail::default()
    }
}

fn candidate_mail(subject: &str) -> Mail {
    mail(
        subject,
        sender("marie.dupont@example.com", Some("Marie Dupont")),
        vec![
            doc("CV.pdf", Some(DocumentKind::Cv)),
            doc("Lettre.pdf", Some(DocumentKind::Letter)),
        ],
    )
}

fn filing(verdict: Verdict) -> Filing {
    match verdict {
        Verdict::Application(filing) => *filing,
        other => panic!("expected an application, got {other:?}"),
    }
}

#[test]
fn a_conforming_application_is_filed_with_its_name() {
    let f = filing(triage(
        &candidate_mail("Coordination Maroc – Dupont Marie"),
        &postings(),
        &org(),
    ));
    assert_eq!(f.posting.as_str(), "coordination-maroc");
    assert_eq!(f.candidate.as_str(), "marie.dupont@example.com");
    assert_eq!(
        (f.name.last_name.as_str(), f.name.first_name.as_str()),
        ("Dupont", "Marie")
    );
    assert!(!f.subject_nonconforming);
    assert_eq!(f.documents.len(), 2);
}

#[test]
fn a_filing_shares_the_documents_bytes_with_the_mail_instead_of_copying_them() {
    let mail = candidate_mail("Coordination Maroc – Dupont Marie");
    let f = filing(triage(&mail, &postings(), &org()));
    assert_eq!(f.documents.len(), 2);
    for ((filed, _), original) in f.documents.iter().zip(&mail.documents) {
        assert_eq!(filed.bytes.as_ptr(), original.bytes.as_ptr());
    }
}

#[test]
fn the_second_posting_is_recognised() {
    let f = filing(triage(
        &candidate_mail("Chef de projet Sénégal - Dupont Marie"),
        &postings(),
        &org(),
    ));
    assert_eq!(f.posting.as_str(), "chef-projet-senegal");
}

#[test]
fn no_name_in_the_subject_takes_the_display_name_and_flags() {
    let mut m = candidate_mail("Coordination Maroc");
    m.from = sender("b.sarr@example.com", Some("Babacar SARR"));
    let f = filing(triage(&m, &postings(), &org()));
    assert_eq!(
        (f.name.last_name.as_str(), f.name.first_name.as_str()),
        ("SARR", "Babacar")
    );
    assert!(f.subject_nonconforming);
}

#[test]
fn no_display_name_falls_back_to_the_address() {
    let mut m = candidate_mail("Coordination Maroc");
    m.from = sender("jean.martin@example.com", None);
    let f = filing(triage(&m, &postings(), &org()));
    assert_eq!(
        (f.name.last_name.as_str(), f.name.first_name.as_str()),
        ("Martin", "Jean")
    );
}

#[test]
fn automatic_mail_is_ignored_by_header_or_subject() {
    let cases: Vec<(Automation, &str, IgnoreReason)> = vec![
        (
            Automation {
                auto_submitted: Some("auto-replied".into()),
                ..Default::default()
            },
            "Re: Coordination Maroc – Dupont Marie",
            IgnoreReason::AutoReply,
        ),
        (
            Automation {
                autoreply_header: true,
                ..Default::default()
            },
            "Coordination Maroc – Dupont Marie",
            IgnoreReason::AutoReply,
        ),
        (
            Automation {
                precedence: Some("auto_reply".into()),
                ..Default::default()
            },
            "Coordination Maroc",
            IgnoreReason::AutoReply,
        ),
        (
            Automation {
                precedence: Some("bulk".into()),
                ..Default::default()
            },
            "Coordination Maroc",
            IgnoreReason::MailingList,
        ),
        (
            Automation {
                mailing_list: true,
                ..Default::default()
            },
            "Coordination Maroc",
            IgnoreReason::MailingList,
        ),
        (
            Automation {
                report_type: Some("disposition-notification".into()),
                ..Default::default()
            },
            "Lu : Coordination Maroc",
            IgnoreReason::ReadReceipt,
        ),
        (
            Automation {
                report_type: Some("delivery-status".into()),
                ..Default::default()
            },
            "Undelivered",
            IgnoreReason::Bounce,
        ),
        (
            Automation {
                null_return_path: true,
                ..Default::default()
            },
            "Coordination Maroc",
            IgnoreReason::Bounce,
        ),
        (
            Automation::default(),
            "Réponse automatique : Coordination Maroc – Dupont Marie",
            IgnoreReason::AutoReply,
        ),
        (
            Automation::default(),
            "Lu : Re: Coordination Maroc – Dupont Marie",
            IgnoreReason::ReadReceipt,
        ),
    ];
    for (automation, subject, reason) in cases {
        let mut m = candidate_mail(subject);
        m.automation = automation.clone();
        assert!(
            matches!(triage(&m, &postings(), &org()), Verdict::Ignored(r) if r == reason),
            "{subject} {automation:?}"
        );
    }
    // `Auto-Submitted: no` is a human.
    let mut m = candidate_mail("Coordination Maroc – Dupont Marie");
    m.automation.auto_submitted = Some("no".into());
    filing(triage(&m, &postings(), &org()));
}

#[test]
fn mailer_daemons_are_bounces() {
    let mut m = candidate_mail("Coordination Maroc");
    m.from = sender("MAILER-DAEMON@mx.example.org", None);
    assert!(matches!(
        triage(&m, &postings(), &org()),
        Verdict::Ignored(IgnoreReason::Bounce)
    ));
}

#[test]
fn a_delivery_report_naming_a_failure_is_a_bounce_to_record_and_others_are_ignored() {
    let report = "Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; marie@example.com\nAction: failed\nStatus: 5.1.1\n";
    let mut m = candidate_mail("Undelivered Mail Returned to Sender");
    m.from = sender("MAILER-DAEMON@mx.example.org", None);
    m.automation.report_type = Some("delivery-status".into());
    m.delivery_status = Some(report.into());
    match triage(&m, &postings(), &org()) {
        Verdict::Bounce(report) => {
            assert_eq!(
                report.failed[0].final_recipient.as_str(),
                "marie@example.com"
            )
        }
        other => panic!("{other:?}"),
    }
    // Unreadable, or only deliveries: a bounce like any other, nothing to record.
    for text in [
        "garbage",
        "Final-Recipient: rfc822; a@example.com\nAction: delivered\n",
    ] {
        m.delivery_status = Some(text.into());
        assert!(matches!(
            triage(&m, &postings(), &org()),
            Verdict::Ignored(IgnoreReason::Bounce)
        ));
    }
    // A read receipt is never a bounce, whatever it carries.
    m.automation.report_type = Some("disposition-notification".into());
    m.delivery_status = Some(report.into());
    assert!(matches!(
        triage(&m, &postings(), &org()),
        Verdict::Ignored(IgnoreReason::ReadReceipt)
    ));
}

#[test]
fn a_missing_sender_quarantines_an_application_and_ignores_the_rest() {
    let mut m = candidate_mail("Coordination Maroc – Dupont Marie");
    m.from = None;
    assert!(matches!(
        triage(&m, &postings(), &org()),
        Verdict::Quarantine(_)
    ));
    m.subject = "Hello".into();
    assert!(matches!(
        triage(&m, &postings(), &org()),
        Verdict::Ignored(IgnoreReason::NoSender)
    ));
}

#[test]
fn the_organisation_and_colleagues_are_not_candidates() {
    let mut m = candidate_mail("Coordination Maroc – Dupont Marie");
    m.from = sender("contact@ong-exemple.org", None);
    m.authentication_results = vec![format!("{AUTHSERV_ID}; dkim=pass header.d=ong-exemple.org")];
    assert!(matches!(triage(&m, &postings(), &org()), Verdict::Outbound));
    m.from = sender("khalid@ong-exemple.org", Some("Khalid"));
    assert!(matches!(
        triage(&m, &postings(), &org()),
        Verdict::Ignored(IgnoreReason::Internal)
    ));
}

#[test]
fn a_colleague_forward_is_filed_under_the_inner_candidate() {
    let inner = candidate_mail("Coordination Maroc – Mbaye Seynabou");
    let mut inner = inner;
    inner.from = sender("seynabou.mbaye@example.com", Some("Seynabou Mbaye"));
    let mut outer = mail(
        "Fwd: Coordination Maroc – Mbaye Seynabou",
        sender("khalid@ong-exemple.org", Some("Khalid")),
        vec![],
    );
    outer.forwarded = vec![inner];
    let f = filing(triage(&outer, &postings(), &org()));
    assert_eq!(f.candidate.as_str(), "seynabou.mbaye@example.com");
    assert_eq!(
        f.forwarded_by.as_ref().map(EmailAddress::as_str),
        Some("khalid@ong-exemple.org")
    );
    assert_eq!(f.documents.len(), 2);
    assert!(f.forward_unverified, "no Authentication-Results");

    outer.authentication_results = vec![format!(
        "{AUTHSERV_ID}; dmarc=pass header.from=ong-exemple.org"
    )];
    assert!(!filing(triage(&outer, &postings(), &org())).forward_unverified);
    outer.authentication_results = vec![format!("{AUTHSERV_ID}; dkim=pass header.d=example.com")];
    assert!(
        filing(triage(&outer, &postings(), &org())).forward_unverified,
        "a signature of another domain"
    );
}

#[test]
fn the_own_address_in_the_inbox_counts_only_when_the_own_server_vouches_for_it() {
    let mut m = mail(
        "Re: Coordination Maroc – Dupont Marie",
        sender("contact@ong-exemple.org", None),
        vec![],
    );
    m.in_reply_to = vec!["<app@example.com>".into()];
    let verdict = |m: &Mail, org: &Organisation| triage(m, &postings(), org);
    assert!(matches!(
        verdict(&m, &org()),
        Verdict::Ignored(IgnoreReason::UnverifiedOwnAddress)
    ));
    assert_eq!(
        crate::domain::named::Named::as_str(IgnoreReason::UnverifiedOwnAddress),
        "unverified-own-address"
    );

    m.authentication_results = vec![
        "mail.attacker.example; dkim=pass header.d=ong-exemple.org".into(),
        format!("{AUTHSERV_ID}; spf=pass smtp.mailfrom=ong-exemple.org"),
    ];
    assert!(matches!(
        verdict(&m, &org()),
        Verdict::Ignored(IgnoreReason::UnverifiedOwnAddress)
    ));
    m.authentication_results.push(format!(
        "{AUTHSERV_ID} (Postfix); dkim=pass (ok) header.d=ong-exemple.org"
    ));
    assert!(matches!(verdict(&m, &org()), Verdict::Outbound));
    let without_id = Organisation {
        authserv_id: None,
        ..org()
    };
    assert!(matches!(
        verdict(&m, &without_id),
        Verdict::Ignored(IgnoreReason::UnverifiedOwnAddress)
    ));
}

#[test]
fn other_postings_and_spam_may_only_be_follow_ups() {
    for subject in [
        "Chargé de mission Guinée – Soumah Alpha",
        "Riads à Marrakech : -60 % au Maroc",
        "Bonjour",
    ] {
        let m = candidate_mail(subject);
        assert!(
            matches!(
                triage(&m, &postings(), &org()),
                Verdict::PossibleFollowUp { .. }
            ),
            "{subject}"
        );
    }
}

#[test]
fn a_title_paraphrase_needs_documents() {
    let subject = "Candidature Coordinateur du Partenariat au Maroc – Bangoura Kadiatou";
    let f = filing(triage(&candidate_mail(subject), &postings(), &org()));
    assert!(f.subject_nonconforming);
    let bare = mail(subject, sender("k@example.com", None), vec![]);
    assert!(!matches!(
        triage(&bare, &postings(), &org()),
        Verdict::Application(_)
    ));
}

#[test]
fn one_unreadable_document_next_to_a_cv_is_the_letter() {
    let m = mail(
        "Coordination Maroc – Dupont Marie",
        sender("marie@example.com", None),
        vec![
            doc("CV.pdf", Some(DocumentKind::Cv)),
            doc("scan0001.pdf", None),
        ],
    );
    let kinds: Vec<DocumentKind> = filing(triage(&m, &postings(), &org()))
        .documents
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    assert_eq!(kinds, [DocumentKind::Cv, DocumentKind::Letter]);
    let two_unknown = mail(
        "Coordination Maroc – Dupont Marie",
        sender("marie@example.com", None),
        vec![doc("a.pdf", None), doc("b.pdf", None)],
    );
    let kinds: Vec<DocumentKind> = filing(triage(&two_unknown, &postings(), &org()))
        .documents
        .into_iter()
        .map(|(_, k)| k)
        .collect();
    assert_eq!(kinds, [DocumentKind::Other, DocumentKind::Other]);
}

#[test]
fn a_letter_in_the_body_is_used_only_without_an_attached_letter() {
    let letter = format!(
        "Madame, Monsieur,\n\n{}\n\nJe vous prie d'agréer mes salutations distinguées.\nMarie",
        "Je souhaite rejoindre votre équipe au Maroc. ".repeat(15)
    );
    let mut m = mail(
        "Coordination Maroc – Dupont Marie",
        sender("marie@example.com", None),
        vec![doc("CV.pdf", Some(DocumentKind::Cv))],
    );
    m.body_text = letter.clone();
    assert!(
        filing(triage(&m, &postings(), &org()))
            .body_letter
            .is_some()
    );
    m.documents
        .push(doc("Lettre.pdf", Some(DocumentKind::Letter)));
    assert!(
        filing(triage(&m, &postings(), &org()))
            .body_letter
            .is_none()
    );
}

#[test]
fn forwards_and_internal_only_mail_are_not_answers() {
    let mut m = mail(
        "Re: Coordination Maroc – Dupont Marie",
        sender("contact@ong-exemple.org", None),
        vec![],
    );
    m.recipients = vec![EmailAddress::parse("marie@example.com").unwrap()];
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::Answer);
    m.recipients = vec![EmailAddress::parse("khalid@ong-exemple.org").unwrap()];
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::NotAnAnswer);
    m.subject = "TR: Coordination Maroc – Dupont Marie".into();
    m.recipients = vec![EmailAddress::parse("someone@example.net").unwrap()];
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::NotAnAnswer);
}

#[test]
fn an_autoresponders_outbound_mail_is_no_answer() {
    let mut m = mail(
        "Votre candidature : Coordination Maroc",
        sender("contact@ong-exemple.org", None),
        vec![],
    );
    m.recipients = vec![EmailAddress::parse("marie@example.com").unwrap()];
    m.in_reply_to = vec!["<cand@example.com>".into()];
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::Answer);
    m.automation.auto_submitted = Some("auto-replied".into());
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::Automatic);
    m.automation.auto_submitted = Some("no".into());
    assert_eq!(outbound_answers(&m, &org()), OutboundKind::Answer);
}

/// Cyrus's default munge8bit wrote the en dash's three bytes and the "ï" as X: "XXX" in
/// capitals once became the last name, although From said "Leïla Bennani".
#[test]
fn a_munged_subject_never_beats_the_display_name() {
    for subject in [
        "Coordination Maroc XXX Bennani Leïla",
        "Coordination Maroc XXX Bennani LeXXla",
        "Coordination Maroc ??? Bennani Le??la",
    ] {
        let mut m = candidate_mail(subject);
        m.from = sender("leila.bennani@example.com", Some("Leïla Bennani"));
        let f = filing(triage(&m, &postings(), &org()));
        assert_eq!(
            (f.name.last_name.as_str(), f.name.first_name.as_str()),
            ("Bennani", "Leïla"),
            "{subject}"
        );
    }
}
