//! The organisation's own identity, which tells outbound and internal mail from candidates'.

use chrono_tz::Tz;

use super::email::EmailAddress;

#[derive(Debug, Clone)]
pub struct Organisation {
    /// The mailbox's own addresses: mail from them is outbound.
    pub addresses: Vec<EmailAddress>,
    /// Colleagues' domains, lowercased: their mail is internal, though it may forward an
    /// application.
    pub domains: Vec<String>,
    /// The authserv-id the organisation's own receiving server writes in the
    /// Authentication-Results fields it adds (RFC 8601). Inbox mail counts as the
    /// organisation's or a colleague's only when that server vouches for its From domain;
    /// `None`: never.
    pub authserv_id: Option<String>,
    /// Where the organisation's clocks are (`[organisation] timezone`, an IANA name): the
    /// zone interview slots are typed and written in. UTC unless configured.
    pub timezone: Tz,
}

impl Organisation {
    pub fn is_own_address(&self, address: &EmailAddress) -> bool {
        self.addresses.contains(address)
    }

    pub fn is_internal(&self, address: &EmailAddress) -> bool {
        self.is_own_address(address) || self.domains.iter().any(|d| address.domain() == d)
    }

    /// Whether the organisation's own server authenticated `sender`'s domain for a message
    /// carrying these Authentication-Results field values.
    pub fn authenticated(&self, authentication_results: &[String], sender: &EmailAddress) -> bool {
        self.authserv_id.as_deref().is_some_and(|id| {
            super::authentication::vouches_for(authentication_results, id, sender.domain())
        })
    }
}
