//! The admins' audit trail: every action an admin takes in the web app, with who, what, on
//! what and when. What it names is a staff account or a count: an erasure's line holds no
//! personal data (the candidate is gone, and so must be their address).

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use strum::{EnumString, IntoStaticStr, VariantArray};

use super::{Store, StoreError, dispatch};

/// What an admin did. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, IntoStaticStr, EnumString, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum AuditAction {
    AccountAdded,
    AccountDisabled,
    PasswordReset,
    RoleChanged,
    Erasure,
    Purge,
    Requeue,
    /// A reply template saved in the app (the target is its name).
    TemplateSaved,
}

/// One line of the trail.
#[derive(Debug, Clone, FromRow)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    action: String,
    pub target: String,
}

impl AuditEntry {
    /// `None` for a word this version does not know (written by a newer one).
    pub fn action(&self) -> Option<AuditAction> {
        self.action.parse().ok()
    }
}

impl Store {
    /// Records an admin's action. `target` must hold no candidate's data.
    pub async fn audit(
        &self,
        actor_id: i64,
        actor: &str,
        action: AuditAction,
        target: &str,
    ) -> Result<(), StoreError> {
        let action: &'static str = action.into();
        dispatch!(&self.pool, pool => {
            sqlx::query("INSERT INTO admin_audit (at, actor, actor_id, action, target) VALUES ($1, $2, $3, $4, $5)")
                .bind(Utc::now())
                .bind(actor)
                .bind(actor_id)
                .bind(action)
                .bind(target)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The newest `limit` lines, newest first.
    pub async fn audit_trail(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT at, actor, action, target FROM admin_audit ORDER BY at DESC, id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }
}
