use super::*;

fn address(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

/// The delivery-status part of Postfix's bounce(8): Final-Recipient before
/// Original-Recipient, a folded Diagnostic-Code.
const POSTFIX: &str = "Reporting-MTA: dns; mail.ong-exemple.org\r\n\
X-Postfix-Queue-ID: 3F2A81C0A2\r\n\
X-Postfix-Sender: rfc822; contact@ong-exemple.org\r\n\
Arrival-Date: Tue,  8 Dec 2026 10:02:09 +0100 (CET)\r\n\
\r\n\
Final-Recipient: rfc822; marie.dupont@example.com\r\n\
Original-Recipient: rfc822;Marie.Dupont@example.com\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; mx.example.com\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <marie.dupont@example.com>: Recipient address\r\n\
    rejected: User unknown in virtual mailbox table\r\n";

#[test]
fn a_postfix_report_names_its_failed_recipient_for_good() {
    let report = parse_delivery_status(POSTFIX).unwrap();
    assert_eq!(
        report.failed,
        [FailedRecipient {
            original: Some(address("marie.dupont@example.com")),
            final_recipient: address("marie.dupont@example.com"),
            status: Some("5.1.1".into()),
            permanence: Permanence::Permanent,
        }]
    );
    assert_eq!(report.failed[0].addresses().len(), 1);
}

#[test]
fn several_recipients_in_either_field_order_and_without_blank_lines() {
    // Original-Recipient first (RFC 3464's order), then a block with no blank line before
    // it, as some servers write them.
    let text = "Reporting-MTA: dns; mx.example.org\n\n\
Original-Recipient: rfc822;alias@example.org\n\
Final-Recipient: rfc822;<real@example.net>\n\
Action: delayed\n\
Status: 4.2.2 (mailbox full)\n\
Final-Recipient: RFC822; ok@example.com\n\
Action: delivered\n\
Status: 2.0.0\n\
\n\
Final-Recipient: rfc822; gone@example.com\n\
Action: failed (bad destination mailbox address)\n\
Status: 4.4.7\n\
\n\
Final-Recipient: rfc822; nostatus@example.com\n\
Action: FAILED\n";
    let report = parse_delivery_status(text).unwrap();
    let summary: Vec<(Vec<&str>, Option<&str>, Permanence)> = report
        .failed
        .iter()
        .map(|r| {
            (
                r.addresses()
                    .into_iter()
                    .map(EmailAddress::as_str)
                    .collect(),
                r.status.as_deref(),
                r.permanence,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                vec!["alias@example.org", "real@example.net"],
                Some("4.2.2"),
                Permanence::Transient
            ),
            // A queue that gave up on a temporary failure: the address may be fine.
            (
                vec!["gone@example.com"],
                Some("4.4.7"),
                Permanence::Transient
            ),
            (vec!["nostatus@example.com"], None, Permanence::Permanent),
        ]
    );
}

#[test]
fn a_report_of_deliveries_only_is_empty_not_an_error() {
    let text = "Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; a@example.com\nAction: delivered\nStatus: 2.0.0\n";
    assert_eq!(parse_delivery_status(text).unwrap().failed, []);
}

#[test]
fn malformed_reports_are_errors() {
    for text in [
        "",
        "Reporting-MTA: dns; a.example\n",
        // No address type a mail address can have, an unreadable address, no action.
        "Final-Recipient: x400; /C=FR/\nAction: failed\n",
        "Final-Recipient: rfc822; not an address\nAction: failed\n",
        "Final-Recipient: rfc822; a@example.com\nStatus: 5.1.1\n",
        "Final-Recipient: rfc822; a@example.com\nAction: exploded\n",
        "\u{0}\u{1}garbage:::\n\n\n",
    ] {
        assert_eq!(
            parse_delivery_status(text),
            Err(BounceError::NoRecipient),
            "{text:?}"
        );
    }
}

#[test]
fn status_codes_are_read_only_when_well_formed() {
    assert_eq!(status_code("5.1.10"), Some("5.1.10".into()));
    assert_eq!(status_code("4.2.2 (mailbox full)"), Some("4.2.2".into()));
    for bad in ["", "550", "5.1", "6.1.1", "5.1.1.1", "5.x.1", "5.1.1234"] {
        assert_eq!(status_code(bad), None, "{bad}");
    }
}

proptest::proptest! {
    #[test]
    fn any_text_is_read_without_panicking(text in "(?s).{0,400}") {
        let _ = parse_delivery_status(&text);
    }
}
