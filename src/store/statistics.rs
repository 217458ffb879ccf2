//! PostgreSQL's planner statistics of the tables the recruiters' pages read. Their plans
//! depend on them: how many texts hold a word (walk the newest search entries, or ask the GIN
//! index), how many documents an application has (look its texts up, or hash all of them:
//! 5 ms against 100 ms at 50,000 applications). Autovacuum gathers them, when it is on (it
//! is off on some servers) and once it comes round after a large import; the indexer, which
//! runs after every import, makes sure of them.

use super::{Backend, Store, StoreError};

/// The tables whose statistics the pages' plans depend on.
const TABLES: [&str; 6] = [
    "applications",
    "candidates",
    "documents",
    "document_texts",
    "messages",
    "search_entries",
];

impl Store {
    /// Gathers the statistics of each of [`TABLES`] that is stale by autovacuum's own default
    /// rule (more rows changed since its last ANALYZE than 50 plus a tenth of the table),
    /// counting for `search_entries` the `written` entries the caller just wrote (the server's
    /// counters lag by up to seconds); says which tables it analyzed. SQLite's planner needs
    /// none of this: nothing to do there.
    pub async fn refresh_statistics(&self, written: i64) -> Result<Vec<&'static str>, StoreError> {
        let Backend::Postgres(pool) = &self.pool else {
            return Ok(Vec::new());
        };
        let counters: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT relname::text, n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND relname = ANY($1)",
        )
        .bind(&TABLES[..])
        .fetch_all(pool)
        .await?;
        let mut analyzed = Vec::new();
        for table in TABLES {
            let (changed, rows) = counters
                .iter()
                .find(|(name, ..)| name == table)
                .map_or((0, 0), |(_, changed, rows)| (*changed, *rows));
            let changed = if table == "search_entries" {
                changed.max(written)
            } else {
                changed
            };
            if changed > 50 + rows / 10 {
                // A fixed name from TABLES, never input.
                sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {table}")))
                    .execute(pool)
                    .await?;
                analyzed.push(table);
            }
        }
        Ok(analyzed)
    }
}
