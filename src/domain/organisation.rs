//! The organisation's own identity, which tells outbound and internal mail from candidates'.

use super::email::EmailAddress;

#[derive(Debug, Clone)]
pub struct Organisation {
    /// The mailbox's own addresses: mail from them is outbound.
    pub addresses: Vec<EmailAddress>,
    /// Colleagues' domains, lowercased: their mail is internal, though it may forward an
    /// application.
    pub domains: Vec<String>,
}

impl Organisation {
    pub fn is_own_address(&self, address: &EmailAddress) -> bool {
        self.addresses.contains(address)
    }

    pub fn is_internal(&self, address: &EmailAddress) -> bool {
        self.is_own_address(address) || self.domains.iter().any(|d| address.domain() == d)
    }
}
