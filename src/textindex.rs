//! The background search indexer: the text of every filed document, and each application's
//! entry in the search index ([`crate::store::search`]).
//!
//! It runs after the commit, never inside the ingestion pipeline, whose speed is the
//! backfill's: the pipeline only leaves new rows flagged as not indexed (migration 0010).
//! A batch at a time, it reads the documents not yet indexed from the blob store, extracts
//! the text of each distinct one (by SHA-256) with [`crate::extract::doc_text`] (PDFs in the
//! bounded child process of [`crate::extract::sandbox`]), stores it, then rebuilds the index
//! entries of the applications concerned. Scans are read by OCR in that same child: an image
//! (a photo of a letter), and a PDF without a text layer, get the text tesseract reads, so a
//! scanned CV is found by its words, whatever its file name. Where OCR cannot run (tesseract
//! not installed, or a process that never enabled the sandboxed reader, such as unit tests),
//! images get an empty text, as do formats without a reader; unreadable documents get their
//! error. Either way nothing is tried again in a loop.
//! Each batch also keeps what the likely duplicates look up ([`crate::store::duplicates`]):
//! the folded name of each new (or renamed) candidate and the phone numbers of each new text,
//! and, after migration 0016, of every existing one once.
//!
//! **Who runs it:** `applymail run` spawns [`run_indexer`] (not with `--once`, whose time is
//! the backfill's); `applymail web` must spawn it too, since it may run alone on a database
//! that a daemon elsewhere fills. In one process it runs once: a second call returns at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tracing::{debug, error, info, warn};

use crate::documents::Documents;
use crate::domain::document::DocFormat;
use crate::domain::duplicates::name_key;
use crate::domain::phone::personal_numbers;
use crate::domain::search::{index_body, index_names};
use crate::extract::doc_text::{TextError, TextLimits, document_text, has_reader};
use crate::extract::legacy_doc::legacy_doc_text;
use crate::shutdown::Shutdown;
use crate::store::textindex::{Entry, EntrySource, TextState, UnindexedDocument};
use crate::store::{Store, StoreError};

/// How much the indexer takes on at once.
#[derive(Debug, Clone)]
pub struct IndexerLimits {
    /// Documents per batch (each batch's texts are one transaction, its entries another).
    pub batch: usize,
    /// Bytes of text kept per document.
    pub max_text_bytes: usize,
    /// The extraction's own bounds.
    pub text: TextLimits,
    /// Time between two looks for new documents, when nothing wakes the indexer.
    pub poll: Duration,
}

impl Default for IndexerLimits {
    fn default() -> Self {
        IndexerLimits {
            // A batch holds the write lock briefly; 16 PDFs take a few seconds to read.
            batch: 16,
            max_text_bytes: 1 << 20,
            text: TextLimits {
                max_output_chars: 1 << 20,
                ..TextLimits::default()
            },
            poll: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("search indexer task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// What one batch (or a run of them) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexPass {
    /// Documents taken in.
    pub documents: usize,
    /// Texts extracted and stored.
    pub texts: usize,
    /// Documents that could not be read (stored with their error).
    pub failed: usize,
    /// Application entries written.
    pub applications: usize,
    /// Candidates' name keys and texts' phone numbers computed, for the likely duplicates
    /// ([`crate::store::duplicates`]).
    pub duplicates: usize,
}

impl IndexPass {
    /// Nothing was waiting.
    pub fn is_idle(&self) -> bool {
        self.documents == 0 && self.applications == 0 && self.duplicates == 0
    }

    fn add(&mut self, other: IndexPass) {
        self.documents += other.documents;
        self.texts += other.texts;
        self.failed += other.failed;
        self.applications += other.applications;
        self.duplicates += other.duplicates;
    }
}

/// Indexes everything waiting, batch after batch, until nothing is or shutdown comes.
pub async fn index_pending(
    store: &Store,
    documents: &Documents,
    limits: &IndexerLimits,
    shutdown: &Shutdown,
) -> Result<IndexPass, IndexError> {
    let mut total = IndexPass::default();
    while !shutdown.is_requested() {
        let pass = index_batch(store, documents, limits, shutdown).await?;
        if pass.is_idle() {
            break;
        }
        total.add(pass);
    }
    Ok(total)
}

/// One batch: up to `limits.batch` documents not yet indexed (their texts extracted, one
/// document at a time), and the entries of their applications and of new applications.
/// Shutdown stops it between documents, keeping the texts already read.
pub async fn index_batch(
    store: &Store,
    documents: &Documents,
    limits: &IndexerLimits,
    shutdown: &Shutdown,
) -> Result<IndexPass, IndexError> {
    let unindexed = store.unindexed_documents(limits.batch).await?;
    let mut pass = IndexPass {
        documents: unindexed.len(),
        ..IndexPass::default()
    };
    let mut seen = HashSet::new();
    let mut texts = Vec::new();
    for doc in unindexed.iter().filter(|d| !d.has_text) {
        if shutdown.is_requested() {
            store.save_texts(&texts).await?;
            return Ok(IndexPass::default());
        }
        if !seen.insert(doc.sha256.clone()) {
            continue;
        }
        let state = match documents.read(&doc.sha256).await {
            Ok(bytes) => {
                let (document, limits_) = (doc.clone(), limits.clone());
                tokio::task::spawn_blocking(move || extract(&bytes, &document, &limits_)).await?
            }
            Err(e) => TextState::Failed(format!("cannot read the document: {e}")),
        };
        if let TextState::Failed(error) = &state {
            pass.failed += 1;
            debug!(sha256 = %doc.sha256, error = %error, "search index: unreadable document");
        }
        texts.push((doc.sha256.clone(), state));
    }
    pass.texts = store.save_texts(&texts).await?;
    pass.duplicates = index_duplicates(store, limits.batch).await?;

    let mut applications: Vec<i64> = unindexed.iter().map(|d| d.application_id).collect();
    applications.extend(store.unindexed_applications(limits.batch).await?);
    applications.sort_unstable();
    applications.dedup();
    if applications.is_empty() {
        return Ok(pass);
    }
    let sources = store.entry_sources(&applications).await?;
    let entries =
        tokio::task::spawn_blocking(move || sources.into_iter().map(entry).collect::<Vec<_>>())
            .await?;
    pass.applications = entries.len();
    for group in write_groups(&entries) {
        save_entries(store, group).await?;
    }
    Ok(pass)
}

/// What the likely duplicates need, a batch at a time: the name keys of candidates without
/// one, and the phone numbers of texts not read for them yet (new texts, including this
/// batch's, and after migration 0016 every text once). Says how many of both it did.
async fn index_duplicates(store: &Store, batch: usize) -> Result<usize, IndexError> {
    let keys: Vec<(i64, String, String, String)> = store
        .unkeyed_candidates(batch)
        .await?
        .into_iter()
        .map(|(id, last_name, first_name)| {
            let key = name_key(&last_name, &first_name).unwrap_or_default();
            (id, last_name, first_name, key)
        })
        .collect();
    store.save_name_keys(&keys).await?;
    let texts = store.unscanned_texts(batch).await?;
    let scanned = tokio::task::spawn_blocking(move || {
        texts
            .into_iter()
            .map(|(sha256, text)| (sha256, personal_numbers(&text)))
            .collect::<Vec<_>>()
    })
    .await?;
    store.save_phones(&scanned).await?;
    Ok(keys.len() + scanned.len())
}

/// Bytes of index text written in one transaction, at most (unless one entry is larger): on
/// SQLite the write lock is held while FTS5 reads them, and recording waits for it.
const MAX_WRITE_BYTES: usize = 2 << 20;

/// `entries` in consecutive groups of at most [`MAX_WRITE_BYTES`] of text, one entry at least.
fn write_groups(entries: &[Entry]) -> Vec<&[Entry]> {
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, entry) in entries.iter().enumerate() {
        let size = entry.names.len() + entry.body.len();
        if i > start && bytes + size > MAX_WRITE_BYTES {
            groups.push(&entries[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < entries.len() {
        groups.push(&entries[start..]);
    }
    groups
}

/// Writes entries in one transaction; when that fails, one by one.
async fn save_entries(store: &Store, entries: &[Entry]) -> Result<(), IndexError> {
    if let Err(err) = store.save_entries(entries).await {
        warn!(error = %err, "search index: a batch of entries failed; writing them one by one");
        for entry in entries {
            match store.save_entries(std::slice::from_ref(entry)).await {
                Ok(()) => {}
                // Marked all the same: an entry the database refuses is not retried forever.
                Err(err) if refuses_the_data(&err) => {
                    error!(application_id = entry.application_id, error = %err,
                        "search index: this application could not be indexed and will not be found by search");
                    store
                        .mark_indexed(&[entry.application_id], &entry.document_ids)
                        .await?;
                }
                // Anything else (a lost connection, a deadlock between two indexers) is tried
                // again by a later batch.
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(())
}

/// Whether the database refused an entry for what it holds, not for the moment: a data
/// exception or a limit (PostgreSQL classes 22 and 54, e.g. a tsvector over 1 MiB), or
/// SQLite's "string or blob too big".
fn refuses_the_data(err: &StoreError) -> bool {
    let StoreError::Query(sqlx::Error::Database(db)) = err else {
        return false;
    };
    db.code()
        .is_some_and(|code| code.starts_with("22") || code.starts_with("54") || code == "18")
}

/// Marks the indexer running in this process; cleared when the loop ends.
static RUNNING: AtomicBool = AtomicBool::new(false);

struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::SeqCst);
    }
}

/// A database error waits this long before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// Progress lines, at most this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// A backlog this large (the documents filed before the index existed, a large import) is
/// announced and followed at info level; the few documents of a new message are not.
const LARGE_BACKLOG: i64 = 50;

/// The indexer's loop, until `shutdown`: everything waiting, then a look every
/// `limits.poll`, or sooner when `wake` is notified (the daemon's pipeline notifies it after
/// each committed group). Shutdown is honoured between documents.
pub async fn run_indexer(
    store: Store,
    documents: Documents,
    limits: IndexerLimits,
    wake: Option<Arc<Notify>>,
    shutdown: Shutdown,
) {
    if RUNNING.swap(true, Ordering::SeqCst) {
        debug!("search indexer already running in this process");
        return;
    }
    let _running = Running;
    refresh_statistics(&store, 0).await;
    let mut stretch: Option<Stretch> = None;
    loop {
        if shutdown.is_requested() {
            return;
        }
        match index_batch(&store, &documents, &limits, &shutdown).await {
            Ok(pass) if pass.is_idle() => {
                if let Some(done) = stretch.take() {
                    let written = done.done.applications as i64;
                    done.finish();
                    refresh_statistics(&store, written).await;
                }
                let woken = async {
                    match &wake {
                        Some(wake) => wake.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    () = shutdown.wait() => return,
                    () = tokio::time::sleep(limits.poll) => {}
                    () = woken => {}
                }
            }
            Ok(pass) => {
                if stretch.is_none() {
                    // The backlog counted after this first batch, plus the batch.
                    let waiting = store.search_backlog().await.map(|(d, _)| d).unwrap_or(0);
                    stretch = Some(Stretch::start(waiting + pass.documents as i64));
                }
                if let Some(s) = stretch.as_mut() {
                    s.advance(pass);
                }
            }
            Err(err) => {
                if shutdown.is_requested() {
                    return;
                }
                error!(error = %err, "search index: cannot index; trying again in 30 s");
                if shutdown.sleep(RETRY_AFTER).await {
                    return;
                }
            }
        }
    }
}

/// Keeps PostgreSQL's statistics current after an import and its indexing (see
/// [`Store::refresh_statistics`]); a failure only costs slower pages.
async fn refresh_statistics(store: &Store, written: i64) {
    match store.refresh_statistics(written).await {
        Ok(tables) if !tables.is_empty() => debug!(?tables, "statistics gathered"),
        Ok(_) => {}
        Err(err) => warn!(error = %err, "cannot gather the tables' statistics"),
    }
}

/// A run of batches with work, for the progress lines.
struct Stretch {
    started: Instant,
    last_line: Instant,
    total: i64,
    large: bool,
    done: IndexPass,
}

impl Stretch {
    fn start(total: i64) -> Stretch {
        let large = total >= LARGE_BACKLOG;
        if large {
            info!(
                documents = total,
                "search index: reading the documents not yet indexed"
            );
        }
        Stretch {
            started: Instant::now(),
            last_line: Instant::now(),
            total,
            large,
            done: IndexPass::default(),
        }
    }

    fn advance(&mut self, pass: IndexPass) {
        self.done.add(pass);
        if self.large && self.last_line.elapsed() >= PROGRESS_EVERY {
            self.last_line = Instant::now();
            info!(
                done = self.done.documents,
                total = self.total.max(self.done.documents as i64),
                unreadable = self.done.failed,
                "search index: {} of {} documents",
                self.done.documents,
                self.total.max(self.done.documents as i64)
            );
        }
    }

    fn finish(self) {
        let elapsed = self.started.elapsed();
        if self.large || elapsed >= PROGRESS_EVERY {
            info!(
                documents = self.done.documents,
                applications = self.done.applications,
                unreadable = self.done.failed,
                duplicates_keys = self.done.duplicates,
                seconds = elapsed.as_secs(),
                "search index: up to date"
            );
        } else {
            debug!(
                documents = self.done.documents,
                applications = self.done.applications,
                "search index: up to date"
            );
        }
    }
}

/// The text of one document, from its bytes. Blocking.
fn extract(bytes: &[u8], doc: &UnindexedDocument, limits: &IndexerLimits) -> TextState {
    let format = DocFormat::detect(Some(&doc.filename), &doc.content_type, bytes);
    let text = if format == DocFormat::Doc {
        Ok(legacy_doc_text(bytes, limits.text.max_output_chars))
    } else if has_reader(format) {
        document_text(bytes, format, &limits.text)
    } else {
        return TextState::Empty;
    };
    match text {
        Ok(text) => {
            let text = storable(&text, limits.max_text_bytes);
            if text.trim().is_empty() {
                TextState::Empty
            } else {
                TextState::Text(text)
            }
        }
        Err(TextError::Unsupported(_)) => TextState::Empty,
        Err(e) => TextState::Failed(e.to_string()),
    }
}

/// Text a database column takes: no NUL (PostgreSQL refuses it) nor other control
/// characters but line breaks and tabs, at most `max_bytes`.
fn storable(text: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes));
    for c in text.chars() {
        let c = if c.is_control() && !matches!(c, '\n' | '\t') {
            ' '
        } else {
            c
        };
        if out.len() + c.len_utf8() > max_bytes {
            break;
        }
        out.push(c);
    }
    out
}

/// An application's index entry from its names and texts (each distinct text once).
fn entry(source: EntrySource) -> Entry {
    let mut seen = HashSet::new();
    let texts: Vec<&str> = source
        .documents
        .iter()
        .filter(|(_, sha, _)| seen.insert(sha.as_str()))
        .map(|(_, _, text)| text.as_str())
        .collect();
    Entry {
        application_id: source.application_id,
        names: index_names(&source.last_name, &source.first_name, &source.email),
        body: index_body(texts),
        document_ids: source.documents.iter().map(|(id, _, _)| *id).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_written_in_bounded_groups() {
        let entry = |bytes: usize| Entry {
            application_id: 1,
            names: String::new(),
            body: "x".repeat(bytes),
            document_ids: Vec::new(),
        };
        let entries = [
            entry(MAX_WRITE_BYTES),
            entry(10),
            entry(10),
            entry(MAX_WRITE_BYTES - 25),
            entry(10),
        ];
        let sizes: Vec<usize> = write_groups(&entries).iter().map(|g| g.len()).collect();
        assert_eq!(sizes, vec![1, 3, 1]);
        assert!(write_groups(&[]).is_empty());
    }

    #[test]
    fn stored_text_has_no_nul_and_is_capped() {
        assert_eq!(storable("a\0b\r\nc\td\u{7}", 100), "a b \nc\td ");
        assert_eq!(storable("ééé", 5), "éé");
    }
}
