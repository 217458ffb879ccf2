//! Full-text search of applications: which applications a query finds, in what order, and a
//! snippet of each (the recruiters' list, `q`).
//!
//! The contract, the same on SQLite (FTS5) and PostgreSQL (tsvector):
//! - a query is words ([`Query::parse`]): any input is accepted, never an error; input with
//!   no word (empty, only punctuation) finds nothing; at most [`MAX_TERMS`] words count;
//! - an application is found when every word is in it, in any order, anywhere: the
//!   candidate's names, their address, or the text of any of its documents (CVs, letters, the
//!   letter written in the body, the others);
//! - case, accents and ligatures do not matter ("helene" finds "Hélène", "oeuvre" finds
//!   "œuvre" and the other way round); a word of two letters or more also finds the words it
//!   begins ("coordin" finds "coordination"); on PostgreSQL a word also finds its French
//!   forms ("expériences" finds "expérience");
//! - order: first the applications whose candidate's names and address hold every word,
//!   then the others; the newest first (the highest id) within each. Not a relevance rank of
//!   the documents' text: with 50,000 applications, a word most CVs hold (the posting's
//!   "coordination") matches them all, and ranking them read every match's index entry (bm25:
//!   150–250 ms on SQLite, ts_rank: 930 ms on PostgreSQL, against 60–90 ms for this order);
//! - only what the background indexer ([`crate::textindex`]) has taken in is found: a new
//!   application is found a moment after it is filed, by its documents once they are read.

use std::collections::HashMap;

use super::sql::rows_in;
use super::{Backend, Store, StoreError};
use crate::domain::document::DocumentKind;
use crate::domain::search::{Piece, Query, Snippet, SnippetSource, snippet_of};

pub use crate::domain::search::MAX_TERMS;

/// Results of one call, at most: a list page shows far fewer, and a filter applied to the
/// search's results works on the best of them.
pub const MAX_RESULTS: usize = 1_000;
/// Bytes of a document's text looked into for a snippet: enough for any CV, and a page of
/// hits does not read megabytes.
const SNIPPET_SCAN_BYTES: usize = 256 * 1024;

/// One application a search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub application_id: i64,
    pub snippet: Snippet,
}

/// A page of hits that lists the matches in the names first, then the others: the part of
/// the page the names fill, and, when they do not fill it, the limit and offset of the
/// others' query.
fn names_first(by_name: &[i64], offset: usize, limit: i64) -> (Vec<(i64,)>, Option<(i64, i64)>) {
    let page: Vec<(i64,)> = by_name
        .iter()
        .skip(offset)
        .take(limit as usize)
        .map(|id| (*id,))
        .collect();
    let rest = (page.len() < limit as usize).then(|| {
        (
            limit - page.len() as i64,
            offset.saturating_sub(by_name.len()) as i64,
        )
    });
    (page, rest)
}

/// The PostgreSQL text search query of a parsed query (the words, their prefixes and French
/// stems: the migration's `search_query`), as text to bind as a constant.
async fn pg_tsquery(pool: &sqlx::PgPool, query: &Query) -> Result<String, StoreError> {
    let (tsquery,): (String,) = sqlx::query_as("SELECT search_query($1)::text")
        .bind(query.terms())
        .fetch_one(pool)
        .await?;
    Ok(tsquery)
}

/// Each application's candidate: (application id, last name, first name, address).
pub(super) async fn candidate_names(
    tx: &mut super::Tx,
    ids: &[i64],
) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    rows_in(
        tx,
        "SELECT a.id, c.last_name, c.first_name, c.email FROM applications a
         JOIN candidates c ON c.id = a.candidate_id WHERE a.id IN ",
        ids,
        "",
    )
    .await
    .map_err(StoreError::from)
}

impl Store {
    /// The applications `q` finds, best first, `limit` (at most [`MAX_RESULTS`]) from
    /// `offset`, each with a snippet (see [`Store::snippets`]).
    pub async fn search(
        &self,
        q: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let ids = self.search_application_ids(q, limit, offset).await?;
        let mut snippets = self.snippets(q, &ids).await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                snippets.remove(&id).map(|snippet| SearchHit {
                    application_id: id,
                    snippet,
                })
            })
            .collect())
    }

    /// The ids of the applications `q` finds, best first, `limit` (at most [`MAX_RESULTS`])
    /// from `offset`. For a list that combines the search with its own filters: ask for the
    /// [`MAX_RESULTS`] best, filter, then ask [`Store::snippets`] for the page shown.
    pub async fn search_application_ids(
        &self,
        q: &str,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<i64>, StoreError> {
        let query = Query::parse(q);
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(MAX_RESULTS) as i64;
        let rows: Vec<(i64,)> = match &self.pool {
            Backend::Sqlite(pool) => {
                // The matches in the names column, then the others: two queries that FTS5
                // answers in rowid order, stopping at the page.
                let all = query.fts5();
                let by_name: Vec<(i64,)> = sqlx::query_as(
                    "SELECT rowid FROM search_index WHERE search_index MATCH $1
                     ORDER BY rowid DESC LIMIT $2",
                )
                .bind(format!("{{names}} : ({all})"))
                .bind(MAX_RESULTS as i64)
                .fetch_all(pool)
                .await?;
                let by_name: Vec<i64> = by_name.into_iter().map(|(id,)| id).collect();
                let (mut page, rest) = names_first(&by_name, offset, limit);
                if let Some((rest_limit, rest_offset)) = rest {
                    let others: Vec<(i64,)> = sqlx::query_as(
                        "SELECT rowid FROM search_index WHERE search_index MATCH $1
                           AND rowid NOT IN (SELECT value FROM json_each($2))
                         ORDER BY rowid DESC LIMIT $3 OFFSET $4",
                    )
                    .bind(all)
                    .bind(serde_json::Value::from(by_name).to_string())
                    .bind(rest_limit)
                    .bind(rest_offset)
                    .fetch_all(pool)
                    .await?;
                    page.extend(others);
                }
                page
            }
            Backend::Postgres(pool) => {
                // As on SQLite: the matches in the names, then the others, each in id order.
                // The query goes in as a constant, planned anew each time (an unnamed
                // statement), so that the planner weighs the words against the index's
                // statistics: a word nearly every text holds is answered by walking the newest
                // entries until the page is full (2 ms at 50,000 applications), a rare word
                // by the GIN index. Behind a function, or in a reused plan, every word looked
                // rare, and a common one sorted all its matches (100 ms).
                let tsquery = pg_tsquery(pool, &query).await?;
                let by_name: Vec<(i64,)> = sqlx::query_as(
                    "SELECT e.application_id FROM search_entries e
                     WHERE e.names_vector @@ $1::tsquery ORDER BY e.application_id DESC LIMIT $2",
                )
                .bind(&tsquery)
                .bind(MAX_RESULTS as i64)
                .persistent(false)
                .fetch_all(pool)
                .await?;
                let by_name: Vec<i64> = by_name.into_iter().map(|(id,)| id).collect();
                let (mut page, rest) = names_first(&by_name, offset, limit);
                if let Some((rest_limit, rest_offset)) = rest {
                    let others: Vec<(i64,)> = sqlx::query_as(
                        "SELECT e.application_id FROM search_entries e
                         WHERE e.search_vector @@ $1::tsquery AND NOT e.names_vector @@ $1::tsquery
                         ORDER BY e.application_id DESC LIMIT $2 OFFSET $3",
                    )
                    .bind(&tsquery)
                    .bind(rest_limit)
                    .bind(rest_offset)
                    .persistent(false)
                    .fetch_all(pool)
                    .await?;
                    page.extend(others);
                }
                page
            }
        };
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// How many applications `q` finds.
    pub async fn search_count(&self, q: &str) -> Result<i64, StoreError> {
        let query = Query::parse(q);
        if query.is_empty() {
            return Ok(0);
        }
        let (n,): (i64,) = match &self.pool {
            Backend::Sqlite(pool) => {
                sqlx::query_as("SELECT count(*) FROM search_index WHERE search_index MATCH $1")
                    .bind(query.fts5())
                    .fetch_one(pool)
                    .await?
            }
            Backend::Postgres(pool) => {
                let tsquery = pg_tsquery(pool, &query).await?;
                sqlx::query_as(
                    "SELECT count(*) FROM search_entries e WHERE e.search_vector @@ $1::tsquery",
                )
                .bind(&tsquery)
                .persistent(false)
                .fetch_one(pool)
                .await?
            }
        };
        Ok(n)
    }

    /// A snippet per application (those that exist among `ids`): an excerpt of the document
    /// text, or of the candidate's names and address, that shows the most of the query's
    /// words, cut from the original text with those words marked. CVs come first, then
    /// letters, then the others, the newest first; the names only when they show more. When
    /// no text shows a word (a French form matched, on PostgreSQL), the names unmarked.
    pub async fn snippets(
        &self,
        q: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, Snippet>, StoreError> {
        let query = Query::parse(q);
        let mut tx = self.pool.begin_read().await?;
        let names = candidate_names(&mut tx, ids).await?;
        let texts: Vec<(i64, i64, String, String, String, String)> = rows_in(
            &mut tx,
            "SELECT d.application_id, d.id, d.kind, d.filename, d.sha256, t.text FROM documents d
             JOIN document_texts t ON t.sha256 = d.sha256
             WHERE t.state = 'text' AND d.application_id IN ",
            ids,
            "",
        )
        .await?;
        tx.commit().await?;
        let mut documents: HashMap<i64, Vec<DocumentText>> = HashMap::new();
        for (application_id, id, kind, filename, sha256, text) in texts {
            let Ok(kind) = kind.parse::<DocumentKind>() else {
                continue;
            };
            documents
                .entry(application_id)
                .or_default()
                .push(DocumentText {
                    id,
                    kind,
                    filename,
                    sha256,
                    text,
                });
        }
        let mut out = HashMap::with_capacity(names.len());
        for (id, last_name, first_name, email) in names {
            let mut docs = documents.remove(&id).unwrap_or_default();
            docs.sort_by_key(|d| (kind_order(d.kind), std::cmp::Reverse(d.id)));
            let mut seen = std::collections::HashSet::new();
            docs.retain(|d| seen.insert(d.sha256.clone()));
            let identity = format!("{first_name} {last_name} <{email}>");
            out.insert(id, best_snippet(&query, &identity, &docs));
        }
        Ok(out)
    }
}

struct DocumentText {
    id: i64,
    kind: DocumentKind,
    filename: String,
    sha256: String,
    text: String,
}

fn kind_order(kind: DocumentKind) -> u8 {
    match kind {
        DocumentKind::Cv => 0,
        DocumentKind::Letter => 1,
        DocumentKind::Other => 2,
    }
}

fn best_snippet(query: &Query, identity: &str, documents: &[DocumentText]) -> Snippet {
    let mut best: Option<(Snippet, usize)> = None;
    for doc in documents {
        let scanned = &doc.text[..floor_char_boundary(&doc.text, SNIPPET_SCAN_BYTES)];
        if let Some((pieces, shown)) = snippet_of(scanned, query)
            && best.as_ref().is_none_or(|(_, b)| shown > *b)
        {
            let source = SnippetSource::Document {
                document_id: doc.id,
                kind: doc.kind,
                filename: doc.filename.clone(),
            };
            best = Some((Snippet { source, pieces }, shown));
            if shown == query.terms().len() {
                break;
            }
        }
    }
    if let Some((pieces, shown)) = snippet_of(identity, query)
        && best.as_ref().is_none_or(|(_, b)| shown > *b)
    {
        best = Some((
            Snippet {
                source: SnippetSource::Candidate,
                pieces,
            },
            shown,
        ));
    }
    best.map(|(snippet, _)| snippet).unwrap_or_else(|| Snippet {
        source: SnippetSource::Candidate,
        pieces: vec![Piece {
            text: identity.to_owned(),
            matched: false,
        }],
    })
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}
