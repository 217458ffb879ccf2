//! The recruiters' list in the web app: the `list` filters and more, a sort on any column, a
//! page at a time, and the count of each status. Fast at tens of thousands of applications:
//! the page's ids are chosen on the base tables (indexed), and only those rows are then read
//! in full from the overview.

use std::collections::HashMap;

use super::queries::{APPLICATION_SELECT, ApplicationRow, Filter};
use super::{Pool, Store, StoreError, dispatch};
use crate::domain::named::Named;
use crate::domain::status::ApplicationStatus;

/// The columns the list sorts by.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum SortKey {
    Name,
    Posting,
    #[default]
    Received,
    Status,
    Reply,
    Cv,
    Letter,
    Activity,
    /// The average of the recruiters' ratings (`applications.rating_average`, kept by each
    /// rating); unrated applications count as 0.
    Rating,
}

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub filter: Filter,
    pub sort: SortKey,
    pub descending: bool,
    /// From 0.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub rows: Vec<ApplicationRow>,
    /// Applications that match the filter, on every page.
    pub total: i64,
    /// Per status, the applications matching every filter but the status one.
    pub by_status: Vec<(ApplicationStatus, i64)>,
}

/// The page's ids and the count per status, as read.
type Found = (Vec<(i64,)>, Vec<(String, i64)>);

/// A WHERE clause over `applications a JOIN candidates c`, with `$n` placeholders for its
/// values (all text: a list of ids is one value too).
struct Clause {
    sql: String,
    values: Vec<String>,
}

impl Clause {
    fn bind(&mut self, value: String) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }
}

fn clause(pool: &Pool, filter: &Filter, with_status: bool) -> Clause {
    let mut clause = Clause {
        sql: String::from(" WHERE 1 = 1"),
        values: Vec::new(),
    };
    let and = |clause: &mut Clause, sql: String| {
        clause.sql.push_str(" AND ");
        clause.sql.push_str(&sql);
    };
    if let (true, Some(status)) = (with_status, filter.status) {
        let p = clause.bind(status.as_str().into());
        and(&mut clause, format!("a.status = {p}"));
    }
    if let Some(reply) = filter.reply_status {
        let p = clause.bind(reply.as_str().into());
        and(&mut clause, format!("a.reply_status = {p}"));
    }
    if let Some(posting) = &filter.posting {
        let p = clause.bind(posting.clone());
        and(&mut clause, format!("a.posting = {p}"));
    }
    if let Some(kind) = filter.missing {
        let p = clause.bind(kind.as_str().into());
        and(
            &mut clause,
            format!(
                "NOT EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = {p})"
            ),
        );
    }
    if filter.flagged {
        and(
            &mut clause,
            "(a.subject_nonconforming OR a.forward_unverified OR a.forwarded_inline)".into(),
        );
    }
    if let Some(text) = &filter.search {
        let p = clause.bind(format!("%{}%", text.to_lowercase()));
        and(
            &mut clause,
            format!(
                "(lower(c.last_name) LIKE {p} OR lower(c.first_name) LIKE {p} OR c.email LIKE {p})"
            ),
        );
    }
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            and(&mut clause, "1 = 0".into());
        } else {
            // One value for the whole list (a search's thousand hits): a thousand parameters
            // cost PostgreSQL more to plan (20 ms) than the query takes to run. A set to join,
            // not `= ANY(array)`: PostgreSQL may walk the sort's index and test each row
            // against the thousand ids one by one (240 ms), where the join looks each id up
            // (2 ms), whatever the plan.
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            let sql = match pool {
                super::Backend::Sqlite(_) => {
                    let p = clause.bind(format!("[{}]", list.join(",")));
                    format!("a.id IN (SELECT value FROM json_each({p}))")
                }
                super::Backend::Postgres(_) => {
                    let p = clause.bind(format!("{{{}}}", list.join(",")));
                    format!("a.id IN (SELECT unnest({p}::bigint[]))")
                }
            };
            and(&mut clause, sql);
        }
    }
    if filter.needs_reply {
        and(
            &mut clause,
            "(a.last_outbound_at IS NULL OR a.last_outbound_at < a.last_inbound_at)".into(),
        );
    }
    clause
}

/// The ORDER BY expression of a sort key (ties broken by id, so pages never overlap).
fn order(pool: &Pool, sort: SortKey, descending: bool) -> String {
    let greatest = match pool {
        super::Backend::Sqlite(_) => {
            "max(a.last_inbound_at, coalesce(a.last_outbound_at, a.last_inbound_at))"
        }
        super::Backend::Postgres(_) => "greatest(a.last_inbound_at, a.last_outbound_at)",
    };
    // The pipeline's order, not the alphabet's.
    let pipeline = {
        let whens: Vec<String> = <ApplicationStatus as strum::VariantArray>::VARIANTS
            .iter()
            .enumerate()
            .map(|(i, s)| format!("WHEN '{}' THEN {i}", s.as_str()))
            .collect();
        format!("CASE a.status {} END", whens.join(" "))
    };
    let has = |kind: &str| {
        format!(
            "EXISTS (SELECT 1 FROM documents d WHERE d.application_id = a.id AND d.kind = '{kind}')"
        )
    };
    // A key is one expression or several, each of which takes the direction.
    let keys: Vec<String> = match sort {
        SortKey::Name => vec!["lower(c.last_name)".into(), "lower(c.first_name)".into()],
        SortKey::Posting => vec!["a.posting".into()],
        SortKey::Received => vec!["a.received_at".into()],
        SortKey::Status => vec![pipeline],
        SortKey::Reply => vec!["a.reply_status".into()],
        SortKey::Cv => vec![has("cv")],
        SortKey::Letter => vec![has("letter")],
        SortKey::Activity => vec![greatest.into()],
        SortKey::Rating => vec!["a.rating_average".into()],
    };
    let dir = if descending { "DESC" } else { "ASC" };
    let keys: Vec<String> = keys.iter().map(|k| format!("{k} {dir}")).collect();
    format!(" ORDER BY {}, a.id {dir}", keys.join(", "))
}

/// Binds a clause's values to a statement, in order.
fn bind_all<'q, DB, O>(
    mut query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    values: &[String],
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for value in values {
        query = query.bind(value.clone());
    }
    query
}

impl Store {
    /// Every application matching the filter, oldest first (`list` and the export).
    pub async fn list(&self, filter: &Filter) -> Result<Vec<ApplicationRow>, StoreError> {
        let filtered = clause(&self.pool, filter, true);
        let sql = format!(
            "{APPLICATION_SELECT} WHERE a.id IN (SELECT a.id FROM applications a JOIN candidates c ON c.id = a.candidate_id{}) ORDER BY a.received_at, a.id",
            filtered.sql
        );
        Ok(dispatch!(&self.pool, pool => {
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &filtered.values)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn browse(&self, request: &PageRequest) -> Result<Page, StoreError> {
        // The candidates are joined only when a name is searched or sorted on: on PostgreSQL
        // the join of tens of thousands of rows costs more than the rest of the page.
        let with_names = " FROM applications a JOIN candidates c ON c.id = a.candidate_id";
        let (from, count_from) = match (request.filter.search.is_some(), request.sort) {
            (true, _) => (with_names, with_names),
            (false, SortKey::Name) => (with_names, " FROM applications a"),
            (false, _) => (" FROM applications a", " FROM applications a"),
        };
        let filtered = clause(&self.pool, &request.filter, true);
        let per_page = request.per_page.clamp(1, 500) as i64;
        let ids_sql = format!(
            "SELECT a.id{from}{}{} LIMIT {per_page} OFFSET {}",
            filtered.sql,
            order(&self.pool, request.sort, request.descending),
            i64::from(request.page) * per_page
        );
        // One pass counts every status under the other filters; the total is then the
        // filtered status's count, or the sum.
        let unstatused = clause(&self.pool, &request.filter, false);
        let by_status_sql = format!(
            "SELECT a.status, count(*){count_from}{} GROUP BY a.status",
            unstatused.sql
        );
        let (ids, by_status): Found = dispatch!(&self.pool, pool => {
            let mut tx = pool.begin().await?;
            let ids = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(ids_sql)), &filtered.values)
                .fetch_all(&mut *tx)
                .await?;
            let by_status = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(by_status_sql)), &unstatused.values)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            (ids, by_status)
        });
        let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
        let rows = self.rows_by_id(&ids).await?;
        let counts: HashMap<String, i64> = by_status.into_iter().collect();
        let total = match request.filter.status {
            Some(status) => counts.get(status.as_str()).copied().unwrap_or(0),
            None => counts.values().sum(),
        };
        Ok(Page {
            rows,
            total,
            by_status: <ApplicationStatus as strum::VariantArray>::VARIANTS
                .iter()
                .map(|s| (*s, counts.get(s.as_str()).copied().unwrap_or(0)))
                .collect(),
        })
    }

    /// The overview rows of these applications, in this order.
    async fn rows_by_id(&self, ids: &[i64]) -> Result<Vec<ApplicationRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{APPLICATION_SELECT} WHERE a.id IN ({})", list.join(", "));
        let rows: Vec<ApplicationRow> = dispatch!(&self.pool, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        let mut by_id: HashMap<i64, ApplicationRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}
