//! Likely duplicates: the other candidates who are probably the same person as an
//! application's candidate (same folded name, same CV file, same phone number in the CVs),
//! the recruiters' choices about them, and the keys the background indexer keeps for it.
//!
//! An application's page asks for its candidate's duplicates on every view, so every query
//! here is a bounded index lookup whatever the number of candidates and texts: the name by
//! `candidates.name_key`, the CV by `documents.sha256`, the numbers by
//! `document_phones.phone` (migration 0016), the choices by `duplicate_decisions`' two keys.
//! The keys are computed in Rust ([`crate::domain::duplicates::name_key`],
//! [`crate::domain::phone::phone_numbers`]) by the indexer ([`crate::textindex`]), which
//! fills in the rows of before the migration too.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::sql::{execute_in, rows_in};
use super::{Store, StoreError, Tx, dispatch};
use crate::domain::duplicates::{Decision, Pair, Reason, name_key};
use crate::domain::named::Named;
use crate::domain::phone::PhoneNumber;

/// Other candidates with the same name looked up, at most: real duplicates come by twos and
/// threes.
const MAX_SAME_NAME: i64 = 20;
/// A CV file or a number found in the CVs of this many candidates or more is not one
/// person's (a template, an organisation's switchboard, a reference's number): it suggests
/// nothing.
const MAX_SHARING: usize = 6;
/// Rows read per CV file or number, at most: enough to count [`MAX_SHARING`] candidates
/// (each may have sent several CVs), and a switchboard in 5,000 CVs costs no more.
const MAX_ROWS_PER_KEY: i64 = 64;
/// CV files, and numbers in them, of one candidate looked up, at most.
const MAX_KEYS: i64 = 20;

/// One of another candidate's applications, to link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherApplication {
    pub id: i64,
    pub posting: String,
    pub received_at: DateTime<Utc>,
}

/// A recruiter's choice about a pair, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptDecision {
    pub decision: Decision,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// Another candidate who is probably the same person, or was linked as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LikelyDuplicate {
    pub candidate_id: i64,
    pub last_name: String,
    pub first_name: String,
    pub email: String,
    /// Why, today (empty for a linked pair whose reasons have gone, e.g. a CV replaced).
    pub reasons: Vec<Reason>,
    /// `None` while no one has decided; never `Dismissed` in [`Store::likely_duplicates`].
    pub decision: Option<KeptDecision>,
    /// Oldest first.
    pub applications: Vec<OtherApplication>,
}

#[derive(Debug, thiserror::Error)]
pub enum DuplicateError {
    #[error("no application {0}")]
    NotFound(i64),
    #[error("candidate {other} is not suggested as the same person as application {application}'s")]
    NotSuggested { application: i64, other: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DuplicateError {
    fn from(err: sqlx::Error) -> Self {
        DuplicateError::Store(err.into())
    }
}

// The queries, named so that a test can read their plans: every one an index lookup.

/// The other candidates' applications (a list of candidate ids follows).
const OTHERS_HEAD: &str = "SELECT a.id, a.candidate_id, a.posting, a.received_at, c.last_name, c.first_name, c.email
             FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.candidate_id IN ";

const OTHERS_TAIL: &str = " ORDER BY a.received_at, a.id";
/// Candidates without a name key yet.
const UNKEYED: &str =
    "SELECT id, last_name, first_name FROM candidates WHERE name_key IS NULL ORDER BY id LIMIT $1";

/// Texts not read for numbers yet.
const UNSCANNED: &str = "SELECT sha256, text FROM document_texts WHERE NOT phones_scanned LIMIT $1";

/// An application's candidate.
const CANDIDATE: &str = "SELECT c.id, c.last_name, c.first_name FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = $1";

/// The others with the same name key.
const BY_NAME: &str =
    "SELECT id FROM candidates WHERE name_key = $1 AND id <> $2 ORDER BY id LIMIT $3";

/// A candidate's CV files.
const CVS: &str = "SELECT DISTINCT d.sha256 FROM applications a
             JOIN documents d ON d.application_id = a.id
             WHERE a.candidate_id = $1 AND d.kind = 'cv'
             ORDER BY d.sha256 LIMIT $2";

/// The others with a CV of these bytes (a candidate once per CV).
const SHARING_CV: &str = "SELECT a2.candidate_id FROM documents d2
             JOIN applications a2 ON a2.id = d2.application_id
             WHERE d2.sha256 = $1 AND d2.kind = 'cv' AND a2.candidate_id <> $2
             LIMIT $3";

/// The numbers in a candidate's CVs.
const NUMBERS: &str = "SELECT DISTINCT p.phone FROM applications a
             JOIN documents d ON d.application_id = a.id
             JOIN document_phones p ON p.sha256 = d.sha256
             WHERE a.candidate_id = $1 AND d.kind = 'cv'
             ORDER BY p.phone LIMIT $2";

/// The others whose CVs hold a number (a candidate once per CV).
const SHARING_NUMBER: &str = "SELECT a2.candidate_id FROM document_phones p
             JOIN documents d2 ON d2.sha256 = p.sha256
             JOIN applications a2 ON a2.id = d2.application_id
             WHERE p.phone = $1 AND d2.kind = 'cv' AND a2.candidate_id <> $2
             LIMIT $3";

/// The choices about a candidate, from either side of the pair.
const DECISIONS: &str = "SELECT candidate_low, candidate_high, decision, decided_by, decided_at FROM duplicate_decisions WHERE candidate_low = $1
             UNION ALL
             SELECT candidate_low, candidate_high, decision, decided_by, decided_at FROM duplicate_decisions WHERE candidate_high = $1";

/// One of the other candidates' applications, with the candidate.
#[derive(FromRow)]
struct OtherRow {
    id: i64,
    candidate_id: i64,
    posting: String,
    received_at: DateTime<Utc>,
    last_name: String,
    first_name: String,
    email: String,
}

/// What is known about the other candidates of one candidate: reasons and choices.
type Pairs = BTreeMap<i64, (Vec<Reason>, Option<KeptDecision>)>;

impl Store {
    /// The other candidates that application `application_id`'s candidate probably is, and
    /// those a recruiter linked to it; not those dismissed. `None` when there is no such
    /// application.
    pub async fn likely_duplicates(
        &self,
        application_id: i64,
    ) -> Result<Option<Vec<LikelyDuplicate>>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let Some(candidate) = candidate_of(&mut tx, application_id).await? else {
            return Ok(None);
        };
        let mut pairs = pairs(&mut tx, &candidate).await?;
        pairs.retain(
            |_, (_, decision)| !matches!(decision, Some(k) if k.decision == Decision::Dismissed),
        );
        let others: Vec<i64> = pairs.keys().copied().collect();
        let rows: Vec<OtherRow> = rows_in(&mut tx, OTHERS_HEAD, &others, OTHERS_TAIL).await?;
        tx.commit().await?;
        let mut found: BTreeMap<i64, LikelyDuplicate> = BTreeMap::new();
        for OtherRow {
            id,
            candidate_id,
            posting,
            received_at,
            last_name,
            first_name,
            email,
        } in rows
        {
            let Some((reasons, decision)) = pairs.get(&candidate_id) else {
                continue;
            };
            found
                .entry(candidate_id)
                .or_insert_with(|| LikelyDuplicate {
                    candidate_id,
                    last_name,
                    first_name,
                    email,
                    reasons: reasons.clone(),
                    decision: decision.clone(),
                    applications: Vec::new(),
                })
                .applications
                .push(OtherApplication {
                    id,
                    posting,
                    received_at,
                });
        }
        Ok(Some(found.into_values().collect()))
    }

    /// Keeps a recruiter's choice about application `application_id`'s candidate and
    /// candidate `other`, who must be suggested (or decided about before); a new choice
    /// replaces the old one.
    pub async fn decide_duplicate(
        &self,
        application_id: i64,
        other: i64,
        decision: Decision,
        decided_by: &str,
    ) -> Result<(), DuplicateError> {
        let mut tx = self.pool.begin_write().await?;
        let Some(candidate) = candidate_of(&mut tx, application_id).await? else {
            return Err(DuplicateError::NotFound(application_id));
        };
        let known = pairs(&mut tx, &candidate).await?;
        let pair = Pair::new(candidate.id, other).filter(|_| known.contains_key(&other));
        let Some(pair) = pair else {
            return Err(DuplicateError::NotSuggested {
                application: application_id,
                other,
            });
        };
        dispatch!(&mut tx, tx => {
            sqlx::query(
                "INSERT INTO duplicate_decisions (candidate_low, candidate_high, decision, decided_by, decided_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (candidate_low, candidate_high) DO UPDATE SET
                     decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at",
            )
            .bind(pair.low())
            .bind(pair.high())
            .bind(decision.as_str())
            .bind(decided_by)
            .bind(Utc::now())
            .execute(&mut **tx)
            .await?;
        });
        tx.commit().await?;
        Ok(())
    }

    /// Candidates whose name key is not computed yet (new ones, renamed ones, and all of
    /// them once after migration 0016): id, last name, first name.
    pub(crate) async fn unkeyed_candidates(
        &self,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                UNKEYED,
            )
            .bind(limit as i64)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Stores name keys ('' for a name without one): (id, last name, first name, key). A
    /// candidate renamed since its names were read keeps no key, and is read again.
    pub(crate) async fn save_name_keys(
        &self,
        keys: &[(i64, String, String, String)],
    ) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_write().await?;
        for (id, last_name, first_name, key) in keys {
            dispatch!(&mut tx, tx => {
                sqlx::query(
                    "UPDATE candidates SET name_key = $1 WHERE id = $2 AND last_name = $3 AND first_name = $4",
                )
                .bind(key.as_str())
                .bind(*id)
                .bind(last_name.as_str())
                .bind(first_name.as_str())
                .execute(&mut **tx)
                .await?;
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Texts whose phone numbers are not read yet: (SHA-256, text).
    pub(crate) async fn unscanned_texts(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(UNSCANNED)
                .bind(limit as i64)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Stores the numbers read in texts (those that still exist: an erasure may have run
    /// meanwhile) and marks the texts read.
    pub(crate) async fn save_phones(
        &self,
        scanned: &[(String, Vec<PhoneNumber>)],
    ) -> Result<(), StoreError> {
        if scanned.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_write().await?;
        let hashes: Vec<&str> = scanned.iter().map(|(sha, _)| sha.as_str()).collect();
        let tail = if self.is_postgres() { " FOR SHARE" } else { "" };
        let existing: Vec<(String,)> = rows_in(
            &mut tx,
            "SELECT sha256 FROM document_texts WHERE sha256 IN ",
            &hashes,
            tail,
        )
        .await?;
        let existing: HashSet<String> = existing.into_iter().map(|(sha,)| sha).collect();
        let rows: Vec<(&str, &str)> = scanned
            .iter()
            .filter(|(sha, _)| existing.contains(sha))
            .flat_map(|(sha, numbers)| numbers.iter().map(move |n| (sha.as_str(), n.as_str())))
            .collect();
        for chunk in rows.chunks(super::sql::CHUNK / 2) {
            dispatch!(&mut tx, tx => {
                let mut insert = sqlx::QueryBuilder::new("INSERT INTO document_phones (sha256, phone) ");
                insert.push_values(chunk, |mut row, (sha, phone)| {
                    row.push_bind(*sha).push_bind(*phone);
                });
                insert.push(" ON CONFLICT (sha256, phone) DO NOTHING");
                insert.build().persistent(false).execute(&mut **tx).await?;
            });
        }
        execute_in(
            &mut tx,
            "UPDATE document_texts SET phones_scanned = TRUE WHERE sha256 IN ",
            &hashes,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An application's candidate, as the duplicates' queries need it.
struct Candidate {
    id: i64,
    /// Computed from the names as they are now, not read from the column: the page is right
    /// even before the indexer has come by.
    name_key: Option<String>,
}

async fn candidate_of(tx: &mut Tx, application_id: i64) -> Result<Option<Candidate>, StoreError> {
    let row: Option<(i64, String, String)> = dispatch!(tx, tx => {
        sqlx::query_as(
            CANDIDATE,
        )
        .bind(application_id)
        .fetch_optional(&mut **tx)
        .await?
    });
    Ok(row.map(|(id, last_name, first_name)| Candidate {
        id,
        name_key: name_key(&last_name, &first_name),
    }))
}

/// Adds a reason once: a number both CVs hold in national form ("06 12 34 56 78") matches
/// by its French and its Moroccan reading, and is one reason.
fn add_reason(pairs: &mut Pairs, other: i64, reason: Reason) {
    let reasons = &mut pairs.entry(other).or_default().0;
    let known = reasons.iter().any(|r| match (r, &reason) {
        (Reason::SamePhone(a), Reason::SamePhone(b)) => a.same_as_written(b),
        (a, b) => a == b,
    });
    if !known {
        reasons.push(reason);
    }
}

/// A candidate's CV files or the numbers in them (by `sql`), at most [`MAX_KEYS`].
async fn keys(tx: &mut Tx, sql: &'static str, candidate: i64) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = dispatch!(tx, tx => {
        sqlx::query_as(sql).bind(candidate).bind(MAX_KEYS).fetch_all(&mut **tx).await?
    });
    Ok(rows.into_iter().map(|(key,)| key).collect())
}

/// The other candidates whose CVs share `key` (a file's SHA-256 or a number, by `sql`); none
/// when it is too common to be one person's ([`MAX_SHARING`], this candidate counted).
async fn sharing(
    tx: &mut Tx,
    sql: &'static str,
    key: &str,
    candidate: i64,
) -> Result<BTreeSet<i64>, StoreError> {
    let rows: Vec<(i64,)> = dispatch!(tx, tx => {
        sqlx::query_as(sql)
            .bind(key)
            .bind(candidate)
            .bind(MAX_ROWS_PER_KEY)
            .fetch_all(&mut **tx)
            .await?
    });
    let others: BTreeSet<i64> = rows.into_iter().map(|(id,)| id).collect();
    Ok(if others.len() + 1 >= MAX_SHARING {
        BTreeSet::new()
    } else {
        others
    })
}

/// Every other candidate with a reason or a kept choice, with them.
async fn pairs(tx: &mut Tx, candidate: &Candidate) -> Result<Pairs, StoreError> {
    let id = candidate.id;
    let mut pairs = Pairs::new();
    let by_name: Vec<(i64,)> = dispatch!(tx, tx => {
        match &candidate.name_key {
            Some(key) => sqlx::query_as(BY_NAME)
                .bind(key.as_str())
                .bind(id)
                .bind(MAX_SAME_NAME)
                .fetch_all(&mut **tx)
                .await?,
            None => Vec::new(),
        }
    });
    for (other,) in by_name {
        add_reason(&mut pairs, other, Reason::SameName);
    }
    for cv in keys(tx, CVS, id).await? {
        for other in sharing(tx, SHARING_CV, &cv, id).await? {
            add_reason(&mut pairs, other, Reason::SameCv);
        }
    }
    for number in keys(tx, NUMBERS, id).await? {
        let Some(phone) = PhoneNumber::from_canonical(&number) else {
            continue;
        };
        for other in sharing(tx, SHARING_NUMBER, &number, id).await? {
            add_reason(&mut pairs, other, Reason::SamePhone(phone.clone()));
        }
    }
    let decisions: Vec<(i64, i64, String, String, DateTime<Utc>)> = dispatch!(tx, tx => {
        sqlx::query_as(
            DECISIONS,
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?
    });
    for (low, high, decision, decided_by, decided_at) in decisions {
        let Some(pair) = Pair::new(low, high) else {
            continue;
        };
        // The CHECK constraint allows only these two.
        let decision = decision.parse().unwrap_or(Decision::Dismissed);
        pairs.entry(pair.other(id)).or_default().1 = Some(KeptDecision {
            decision,
            decided_by,
            decided_at,
        });
    }
    for (reasons, _) in pairs.values_mut() {
        reasons.sort();
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseUrl;
    use crate::store::Backend;

    /// Each query with literal values for its parameters, and whether a walk of a whole
    /// (partial) index is expected: only the indexer's look for unread texts, whose partial
    /// index holds nothing but them.
    fn queries() -> Vec<(&'static str, String, bool)> {
        let with = |sql: &str, values: &[&str]| {
            let mut sql = sql.to_owned();
            for (i, value) in values.iter().enumerate().rev() {
                sql = sql.replace(&format!("${}", i + 1), value);
            }
            sql
        };
        vec![
            ("candidate", with(CANDIDATE, &["1"]), false),
            (
                "by name",
                with(BY_NAME, &["'carre helene'", "1", "20"]),
                false,
            ),
            ("cvs", with(CVS, &["1", "20"]), false),
            ("sharing cv", with(SHARING_CV, &["'abc'", "1", "64"]), false),
            ("numbers", with(NUMBERS, &["1", "20"]), false),
            (
                "sharing number",
                with(SHARING_NUMBER, &["'212612345678'", "1", "64"]),
                false,
            ),
            ("decisions", with(DECISIONS, &["1"]), false),
            ("others", format!("{OTHERS_HEAD}(1, 2){OTHERS_TAIL}"), false),
            ("unkeyed", with(UNKEYED, &["16"]), false),
            ("unscanned", with(UNSCANNED, &["16"]), true),
        ]
    }

    /// The plan of every query reads rows by index, never a whole table: an application's
    /// page costs the same with 50,000 candidates and texts as with ten.
    async fn assert_index_lookups_only(store: &Store) {
        for (name, sql, partial_walk) in queries() {
            let plan: Vec<String> = match &store.pool {
                Backend::Sqlite(pool) => {
                    let rows: Vec<(i64, i64, i64, String)> =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    rows.into_iter().map(|r| r.3).collect()
                }
                Backend::Postgres(pool) => {
                    // Tables this small are read whole by choice; forbidden to, the planner
                    // still does when no index serves the query.
                    let mut conn = pool.acquire().await.unwrap();
                    sqlx::query("SET enable_seqscan = off")
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    let rows: Vec<(String,)> =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                            .fetch_all(&mut *conn)
                            .await
                            .unwrap();
                    sqlx::query("RESET enable_seqscan")
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    rows.into_iter().map(|r| r.0).collect()
                }
            };
            for line in &plan {
                let whole_table = if store.is_postgres() {
                    line.contains("Seq Scan")
                } else {
                    line.starts_with("SCAN ")
                        && !(partial_walk && line.contains("USING INDEX document_texts_unscanned"))
                };
                assert!(!whole_table, "{name}: {line}\n{plan:#?}");
            }
        }
    }

    #[tokio::test]
    async fn every_query_is_an_index_lookup_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::new(format!("sqlite://{}/applymail.db", dir.path().display()));
        let store = Store::open(&url).await.unwrap();
        assert_index_lookups_only(&store).await;
        store.close().await;
    }

    /// On the PostgreSQL server `APPLYMAIL_TEST_POSTGRES` names, when it names one.
    #[tokio::test]
    async fn every_query_is_an_index_lookup_on_postgres() {
        let Ok(server) = std::env::var("APPLYMAIL_TEST_POSTGRES") else {
            return;
        };
        use sqlx::Connection;
        let server = server.trim_end_matches('/').to_owned();
        let name = format!("applymail_unit_dups_{:x}", rand::random::<u64>());
        let admin = || async {
            sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .unwrap()
        };
        let mut conn = admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let store = Store::open(&DatabaseUrl::new(format!("{server}/{name}")))
            .await
            .unwrap();
        assert_index_lookups_only(&store).await;
        store.close().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}
