//! The recruiters' reads: lists with filters, one application in full, and the export.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::sql::rows_in;
use super::{Store, StoreError, dispatch};
use crate::domain::document::DocumentKind;
use crate::domain::status::{ApplicationStatus, ReplyStatus};

#[derive(Debug, Clone, FromRow)]
pub struct ApplicationRow {
    pub id: i64,
    pub posting: String,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    pub status: String,
    pub reply_status: String,
    pub subject_nonconforming: bool,
    pub forward_unverified: bool,
    pub forwarded_inline: bool,
    pub received_at: DateTime<Utc>,
    pub last_inbound_at: DateTime<Utc>,
    pub last_outbound_at: Option<DateTime<Utc>>,
    pub has_cv: bool,
    pub has_letter: bool,
}

impl ApplicationRow {
    /// The flags of the export contract, in a stable order.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if !self.has_cv {
            flags.push("missing_cv");
        }
        if !self.has_letter {
            flags.push("missing_letter");
        }
        if self.subject_nonconforming {
            flags.push("subject_nonconforming");
        }
        if self.forward_unverified {
            flags.push("forward_unverified");
        }
        if self.forwarded_inline {
            flags.push("forwarded_inline");
        }
        flags
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct DocumentInfo {
    pub id: i64,
    pub application_id: i64,
    pub kind: String,
    pub source: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub sent_at: DateTime<Utc>,
    /// The newest CV and the newest letter are current; older versions are kept, not current.
    #[sqlx(skip)]
    pub current: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageInfo {
    pub application_id: i64,
    pub direction: String,
    pub message_id: Option<String>,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub from_address: Option<String>,
    pub recipients: String,
    pub mailbox: String,
    pub location: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct HistoryEntry {
    pub status: String,
    pub note: Option<String>,
    pub actor: String,
    pub changed_at: DateTime<Utc>,
}

/// `list` filters; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<ApplicationStatus>,
    pub reply_status: Option<ReplyStatus>,
    pub posting: Option<String>,
    pub missing: Option<DocumentKind>,
    /// Part of a name or an email address, without regard to case.
    pub search: Option<String>,
    /// The last message is the candidate's: nobody has answered it yet.
    pub needs_reply: bool,
    /// The subject did not follow the rule, or a forward is unverified or inline.
    pub flagged: bool,
    /// Only these applications (a full-text search's hits); `browse` only.
    pub ids: Option<Vec<i64>>,
}

/// Built on the `applications_overview` view, which recruiters also query directly; the
/// flags of migrations 0008 and 0011 come from the table, so that the view stays as it is.
pub(super) const APPLICATION_SELECT: &str = "
    SELECT a.id, a.posting, a.last_name, a.first_name, a.email, a.status, a.reply_status,
           a.subject_nonconforming, f.forward_unverified, f.forwarded_inline, a.received_at, a.last_inbound_at,
           a.last_outbound_at, a.has_cv, a.has_letter
    FROM applications_overview a JOIN applications f ON f.id = a.id";

/// A complete application for `show` and `export`.
#[derive(Debug, Clone)]
pub struct ApplicationDetail {
    pub application: ApplicationRow,
    pub documents: Vec<DocumentInfo>,
    pub messages: Vec<MessageInfo>,
}

impl Store {
    pub async fn application(&self, id: i64) -> Result<Option<ApplicationDetail>, StoreError> {
        let sql = format!("{APPLICATION_SELECT} WHERE a.id = $1");
        let row: Option<ApplicationRow> = dispatch!(&self.pool, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        let Some(application) = row else {
            return Ok(None);
        };
        let mut details = self.details(vec![application], false).await?;
        Ok(details.pop())
    }

    /// One document by its id.
    pub async fn document(&self, id: i64) -> Result<Option<DocumentInfo>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT d.id, d.application_id, d.kind, d.source, d.filename, d.content_type, d.sha256, d.size, m.sent_at
                 FROM documents d JOIN messages m ON m.id = d.message_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    pub async fn history(&self, application_id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT status, note, actor, changed_at FROM status_history WHERE application_id = $1 ORDER BY changed_at, id",
            )
            .bind(application_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Every application with its documents and messages, for the export.
    pub async fn export(&self) -> Result<Vec<ApplicationDetail>, StoreError> {
        let applications = self.list(&Filter::default()).await?;
        self.details(applications, true).await
    }

    /// The applications of the recruiters' list as filtered, with their documents and
    /// messages, for the app's export button.
    pub async fn export_filtered(
        &self,
        filter: &Filter,
    ) -> Result<Vec<ApplicationDetail>, StoreError> {
        let applications = self.list(filter).await?;
        self.details(applications, false).await
    }

    /// The applications' documents and messages: read from the whole tables when `all` of
    /// them are asked for, else by the applications' ids.
    async fn details(
        &self,
        applications: Vec<ApplicationRow>,
        all: bool,
    ) -> Result<Vec<ApplicationDetail>, StoreError> {
        const DOCUMENTS: &str = "SELECT d.id, d.application_id, d.kind, d.source, d.filename, d.content_type, d.sha256, d.size, m.sent_at
             FROM documents d JOIN messages m ON m.id = d.message_id";
        const DOCUMENTS_ORDER: &str = " ORDER BY d.application_id, m.sent_at, m.id, d.position";
        const MESSAGES: &str = "SELECT am.application_id, m.direction, m.message_id, m.subject, m.sent_at, m.from_address, m.recipients,
                    m.mailbox, m.location
             FROM application_messages am JOIN messages m ON m.id = am.message_id";
        const MESSAGES_ORDER: &str = " ORDER BY am.application_id, m.sent_at, m.id";
        let (documents, messages): (Vec<DocumentInfo>, Vec<MessageInfo>) = if all {
            dispatch!(&self.pool, pool => {
                let documents = sqlx::query_as(sqlx::AssertSqlSafe(format!("{DOCUMENTS}{DOCUMENTS_ORDER}")))
                    .fetch_all(pool)
                    .await?;
                let messages = sqlx::query_as(sqlx::AssertSqlSafe(format!("{MESSAGES}{MESSAGES_ORDER}")))
                    .fetch_all(pool)
                    .await?;
                (documents, messages)
            })
        } else {
            let ids: Vec<i64> = applications.iter().map(|a| a.id).collect();
            let mut tx = self.pool.begin_read().await?;
            let documents = rows_in(
                &mut tx,
                &format!("{DOCUMENTS} WHERE d.application_id IN "),
                &ids,
                DOCUMENTS_ORDER,
            )
            .await?;
            let messages = rows_in(
                &mut tx,
                &format!("{MESSAGES} WHERE am.application_id IN "),
                &ids,
                MESSAGES_ORDER,
            )
            .await?;
            tx.commit().await?;
            (documents, messages)
        };
        let mut documents_by_app: HashMap<i64, Vec<DocumentInfo>> = HashMap::new();
        for doc in documents {
            documents_by_app
                .entry(doc.application_id)
                .or_default()
                .push(doc);
        }
        let mut messages_by_app: HashMap<i64, Vec<MessageInfo>> = HashMap::new();
        for message in messages {
            messages_by_app
                .entry(message.application_id)
                .or_default()
                .push(message);
        }
        Ok(applications
            .into_iter()
            .map(|application| {
                let mut documents = documents_by_app.remove(&application.id).unwrap_or_default();
                mark_current(&mut documents);
                let messages = messages_by_app.remove(&application.id).unwrap_or_default();
                ApplicationDetail {
                    application,
                    documents,
                    messages,
                }
            })
            .collect())
    }
}

/// Documents arrive oldest first: the last CV and the last letter are current.
fn mark_current(documents: &mut [DocumentInfo]) {
    for kind in ["cv", "letter"] {
        let last = documents.iter().rposition(|d| d.kind == kind);
        for (i, doc) in documents
            .iter_mut()
            .enumerate()
            .filter(|(_, d)| d.kind == kind)
        {
            doc.current = Some(i) == last;
        }
    }
    for doc in documents.iter_mut().filter(|d| d.kind == "other") {
        doc.current = true;
    }
}
