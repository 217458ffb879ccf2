//! The reply templates (migration 0017). Every template exists once the store is open: the
//! missing ones are written with their built-in text. The acknowledgement's is then seeded
//! from the config once, and only while nobody edited it; an admin's save is final.

use chrono::{DateTime, Utc};
use strum::VariantArray;

use super::{BeginWrite, Store, StoreError, dispatch};
use crate::domain::reply_template::{ReplyTemplate, TemplateName};

/// A template as stored, its texts not yet checked (they were when saved; a row changed by
/// hand in SQL is checked again by whoever uses it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTemplate {
    name: String,
    pub subject: String,
    pub body: String,
    /// `default`, `config` or `admin`.
    pub origin: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

impl StoredTemplate {
    /// `None` for a name this version does not know (written by a newer one).
    pub fn name(&self) -> Option<TemplateName> {
        self.name.parse().ok()
    }
}

impl Store {
    /// Writes each missing template with its built-in text (at every open: a no-op once
    /// they exist).
    pub(super) async fn ensure_reply_templates(&self) -> Result<(), StoreError> {
        let now = Utc::now();
        dispatch!(&self.pool, pool => {
            for name in TemplateName::VARIANTS {
                let (subject, body) = name.default_text();
                sqlx::query(
                    "INSERT INTO reply_templates (name, subject, body, origin, updated_at)
                     VALUES ($1, $2, $3, 'default', $4) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name.as_str())
                .bind(subject)
                .bind(body)
                .bind(now)
                .execute(pool)
                .await?;
            }
        });
        Ok(())
    }

    /// The acknowledgement takes the config's text if it still has the built-in one; says
    /// whether it did. Once seeded (or edited by an admin) it never changes here again.
    pub async fn seed_acknowledgement_template(
        &self,
        template: &ReplyTemplate,
    ) -> Result<bool, StoreError> {
        let seeded = dispatch!(&self.pool, pool => {
            sqlx::query(
                "UPDATE reply_templates SET subject = $1, body = $2, origin = 'config', updated_at = $3
                 WHERE name = 'acknowledgement' AND origin = 'default'",
            )
            .bind(template.subject.as_str())
            .bind(template.body.as_str())
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(seeded > 0)
    }

    /// Every template, in the order of [`TemplateName`].
    pub async fn reply_templates(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        let mut rows: Vec<StoredTemplate> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT name, subject, body, origin, updated_at, updated_by FROM reply_templates")
                .fetch_all(pool)
                .await?
        });
        rows.sort_by_key(|r| {
            r.name()
                .and_then(|n| TemplateName::VARIANTS.iter().position(|v| *v == n))
                .unwrap_or(usize::MAX)
        });
        Ok(rows)
    }

    pub async fn reply_template(
        &self,
        name: TemplateName,
    ) -> Result<Option<StoredTemplate>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT name, subject, body, origin, updated_at, updated_by FROM reply_templates WHERE name = $1")
                .bind(name.as_str())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// An admin's edit: checked texts only (a [`ReplyTemplate`] cannot hold an unknown
    /// placeholder).
    pub async fn save_reply_template(
        &self,
        name: TemplateName,
        template: &ReplyTemplate,
        by: &str,
    ) -> Result<(), StoreError> {
        dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO reply_templates (name, subject, body, origin, updated_at, updated_by)
                 VALUES ($1, $2, $3, 'admin', $4, $5)
                 ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, body = excluded.body,
                     origin = 'admin', updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            )
            .bind(name.as_str())
            .bind(template.subject.as_str())
            .bind(template.body.as_str())
            .bind(Utc::now())
            .bind(by)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;

    async fn open() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::new(format!("sqlite://{}", dir.path().join("t.db").display()));
        (Store::open(&url).await.unwrap(), dir)
    }

    fn text(subject: &str, body: &str) -> ReplyTemplate {
        ReplyTemplate::parse(subject, body).unwrap()
    }

    #[tokio::test]
    async fn every_template_exists_and_the_config_seeds_only_the_built_in_text() {
        let (store, _dir) = open().await;
        let all = store.reply_templates().await.unwrap();
        assert_eq!(all.len(), TemplateName::VARIANTS.len());
        assert!(all.iter().all(|t| t.origin == "default"));
        assert_eq!(all[0].name(), Some(TemplateName::Acknowledgement));

        assert!(
            store
                .seed_acknowledgement_template(&text("A {posting}", "B"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .seed_acknowledgement_template(&text("C", "D"))
                .await
                .unwrap(),
            "once"
        );
        let ack = store
            .reply_template(TemplateName::Acknowledgement)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (ack.subject.as_str(), ack.origin.as_str()),
            ("A {posting}", "config")
        );

        // Another installation, where an admin edits before the config is read.
        let (store, _other) = open().await;
        store
            .save_reply_template(TemplateName::Acknowledgement, &text("E", "F"), "Alice")
            .await
            .unwrap();
        assert!(
            !store
                .seed_acknowledgement_template(&text("C", "D"))
                .await
                .unwrap()
        );
        store.ensure_reply_templates().await.unwrap();
        let ack = store
            .reply_template(TemplateName::Acknowledgement)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                ack.subject.as_str(),
                ack.origin.as_str(),
                ack.updated_by.as_deref()
            ),
            ("E", "admin", Some("Alice")),
            "an admin's edit survives a restart and the config"
        );
    }
}
