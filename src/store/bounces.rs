//! Bounces recorded against candidates' addresses (migration 0018): what the senders of
//! answers ask before writing to a candidate. The rows are written with the report's ledger
//! row ([`super::record`]) and erased with the candidate ([`super::erase`], by the cascade).

use super::{Store, StoreError, dispatch};

impl Store {
    /// Whether mail to `email` bounced for good (a report with `Action: failed` and a 5.x.x
    /// status): sending to it again would bounce again, so answers skip it with that reason.
    /// Addresses compare without case, as candidates' do.
    pub async fn permanently_bounced(&self, email: &str) -> Result<bool, StoreError> {
        let email = email.trim().to_lowercase();
        let found: Option<(i64,)> = dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT b.id FROM bounces b JOIN candidates c ON c.id = b.candidate_id
                 WHERE c.email = $1 AND b.permanent LIMIT 1",
            )
            .bind(&email)
            .fetch_optional(pool)
            .await?
        });
        Ok(found.is_some())
    }
}
