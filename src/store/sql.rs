//! Statements over a list of values, cut into chunks: no statement may take an unbounded
//! list (SQLite allows 32,766 variables, PostgreSQL 65,535, and a sender controls how many
//! Message-IDs a References header holds).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Encode, FromRow, Postgres, QueryBuilder, Sqlite, Type};

use super::{Tx, dispatch};

/// Values bound per statement: at most 15 parameters a row in the inserts, well within
/// either limit.
pub(crate) const CHUNK: usize = 1_000;

/// A value either backend can bind.
pub(crate) trait Bindable<'a>:
    Copy + Send + Sync + 'a + Encode<'a, Sqlite> + Type<Sqlite> + Encode<'a, Postgres> + Type<Postgres>
{
}

impl<'a, T> Bindable<'a> for T where
    T: Copy
        + Send
        + Sync
        + 'a
        + Encode<'a, Sqlite>
        + Type<Sqlite>
        + Encode<'a, Postgres>
        + Type<Postgres>
{
}

/// A row either backend can return.
pub(crate) trait Row:
    Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{
}

impl<T> Row for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{}

/// The rows of `{head}(v1, v2, …){tail}` for every value, a chunk at a time; `head` ends with
/// `IN ` or equivalent. No statement runs for an empty list.
pub(crate) async fn rows_in<'a, R: Row, V: Bindable<'a>>(
    tx: &mut Tx,
    head: &str,
    values: &'a [V],
    tail: &str,
) -> Result<Vec<R>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in values.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut query = QueryBuilder::new(head);
            push_list(&mut query, chunk);
            query.push(tail);
            rows.extend(query.build_query_as::<R>().persistent(false).fetch_all(&mut **tx).await?);
        });
    }
    Ok(rows)
}

/// Runs `{head}(v1, v2, …){tail}` for every value, a chunk at a time; says how many rows it
/// touched.
pub(crate) async fn execute_in<'a, V: Bindable<'a>>(
    tx: &mut Tx,
    head: &str,
    values: &'a [V],
    tail: &str,
) -> Result<u64, sqlx::Error> {
    let mut touched = 0;
    for chunk in values.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut query = QueryBuilder::new(head);
            push_list(&mut query, chunk);
            query.push(tail);
            touched += query.build().persistent(false).execute(&mut **tx).await?.rows_affected();
        });
    }
    Ok(touched)
}

/// The rows of `{head}$mailbox AND location IN (…){tail}` (`head` ends with `mailbox = `),
/// a chunk of locations at a time.
pub(crate) async fn rows_at<R: Row>(
    tx: &mut Tx,
    head: &str,
    mailbox: &str,
    locations: &[&str],
    tail: &str,
) -> Result<Vec<R>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in locations.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut query = QueryBuilder::new(head);
            query.push_bind(mailbox).push(" AND location IN ");
            push_list(&mut query, chunk);
            query.push(tail);
            rows.extend(query.build_query_as::<R>().persistent(false).fetch_all(&mut **tx).await?);
        });
    }
    Ok(rows)
}

/// Runs `{head}$mailbox AND location IN (…)` (`head` ends with `mailbox = `), a chunk of
/// locations at a time; says how many rows it touched.
pub(crate) async fn execute_at(
    tx: &mut Tx,
    head: &str,
    mailbox: &str,
    locations: &[&str],
) -> Result<u64, sqlx::Error> {
    let mut touched = 0;
    for chunk in locations.chunks(CHUNK) {
        dispatch!(tx, tx => {
            let mut query = QueryBuilder::new(head);
            query.push_bind(mailbox).push(" AND location IN ");
            push_list(&mut query, chunk);
            touched += query.build().persistent(false).execute(&mut **tx).await?.rows_affected();
        });
    }
    Ok(touched)
}

/// `(v1, v2, …)`.
fn push_list<'a, DB: sqlx::Database, V>(query: &mut QueryBuilder<DB>, values: &'a [V])
where
    V: Copy + 'a + Encode<'a, DB> + Type<DB>,
{
    query.push("(");
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(*value);
    }
    query.push(")");
}
