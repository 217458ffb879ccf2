//! Downloading a batch of a folder's messages: their sizes first (too large is recorded, never
//! downloaded), what the ledger holds skipped (its filed mail marked again), a message tried
//! before fetched alone, and one the server keeps refusing quarantined after a few attempts.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use tracing::{debug, warn};

use super::marks::known_outcomes;
use super::pass::Folder;
use crate::domain::attempts::Attempts;
use crate::domain::cursor::Uid;
use crate::domain::outcome::Outcome;
use crate::imap::{ImapClient, ImapError};
use crate::ingest::{Pending, Pipeline, RawMessage};
use crate::watch::WatchError;

/// Messages fetched per UID FETCH at most, and bytes (by the sizes announced; at least one
/// message): at most two batches are in memory, and one stays well within the command
/// timeout however large its messages.
pub(super) const BATCH: usize = 64;
pub(super) const BATCH_BYTES: u64 = 8 * 1024 * 1024;
/// UIDs whose sizes are asked for in one command.
pub(super) const SIZE_WINDOW: usize = 1000;
/// Messages downloaded together: up to [`BATCH`] of them, or [`BATCH_BYTES`].
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Every UID of the batch, in order.
    pub(super) uids: Vec<Uid>,
    /// Those to download.
    pub(super) wanted: Vec<Uid>,
    /// Those announced as larger than the limit: recorded without downloading them.
    pub(super) oversized: Vec<(Uid, u64)>,
    /// The UIDs by their ledger location.
    pub(super) by_location: HashMap<String, Uid>,
}

/// A batch ready for the pipeline.
pub(super) struct Ready {
    pub(super) pending: Pending,
    pub(super) rest: Downloaded,
    /// A message the server refused to send (alone): the others are recorded, then the pass
    /// fails with this, to try it again later.
    pub(super) refused: Option<ImapError>,
}

/// What is known of a batch before the pipeline records it.
pub(super) struct Downloaded {
    pub(super) batch: Batch,
    /// UIDs with nothing left to do: recorded before, recorded as too large, or expunged.
    pub(super) done: HashSet<Uid>,
    /// Filed mail to mark on the server.
    pub(super) to_mark: Vec<Uid>,
}

/// Splits the new UIDs into batches by the sizes the server announces.
pub(super) async fn plan_batches(
    client: &mut ImapClient,
    uids: &[Uid],
    limit: u64,
) -> Result<Vec<Batch>, ImapError> {
    let mut batches = Vec::new();
    let mut batch = Batch::default();
    let mut bytes = 0;
    for window in uids.chunks(SIZE_WINDOW) {
        let sizes: HashMap<Uid, u64> = client.sizes(window).await?.into_iter().collect();
        for &uid in window {
            // A UID without a size was expunged meanwhile; the fetch says so.
            let size = sizes.get(&uid).copied().unwrap_or(0);
            if !batch.uids.is_empty() && (batch.uids.len() >= BATCH || bytes + size > BATCH_BYTES) {
                batches.push(std::mem::take(&mut batch));
                bytes = 0;
            }
            batch.uids.push(uid);
            if size > limit {
                batch.oversized.push((uid, size));
            } else {
                batch.wanted.push(uid);
                bytes += size;
            }
        }
    }
    if !batch.uids.is_empty() {
        batches.push(batch);
    }
    Ok(batches)
}

/// Downloads what a batch needs: not what the ledger holds (the filed ones of those are
/// marked again), not what is too large (recorded as such). A message tried before is
/// fetched alone.
pub(super) async fn download(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    mut batch: Batch,
) -> Result<Ready, WatchError> {
    batch.by_location = batch
        .uids
        .iter()
        .map(|&uid| (folder.cursor.location(uid), uid))
        .collect();
    let mut done = HashSet::new();
    for &(uid, size) in &batch.oversized {
        let error = format!(
            "message of {size} bytes exceeds limits.max_message_bytes ({}); not downloaded, left on the server",
            pipeline.max_message_bytes()
        );
        let outcome = pipeline
            .quarantine_undownloaded(folder.source(uid), Some(size), error)
            .await?;
        if outcome != Outcome::AlreadySeen {
            warn!(mailbox = %folder.mailbox, uid = %uid, size, "message too large: quarantined without downloading it; `applymail quarantine requeue` reads it again once limits.max_message_bytes allows it");
        }
        done.insert(uid);
    }
    let known = known_outcomes(pipeline, folder, &batch.wanted).await?;
    let mut to_mark = Vec::new();
    let mut wanted = Vec::with_capacity(batch.wanted.len());
    for &uid in &batch.wanted {
        match known.get(&uid) {
            None => wanted.push(uid),
            Some(outcome) => {
                if outcome.is_filed() {
                    to_mark.push(uid);
                }
                done.insert(uid);
            }
        }
    }
    let locations: Vec<String> = wanted
        .iter()
        .map(|&uid| folder.cursor.location(uid))
        .collect();
    let location_refs: Vec<&str> = locations.iter().map(String::as_str).collect();
    let attempts = pipeline
        .store()
        .attempts(&folder.mailbox, &location_refs)
        .await?;
    let attempts_of = |uid: Uid| {
        attempts
            .get(&folder.cursor.location(uid))
            .cloned()
            .unwrap_or_default()
    };
    let (alone, together): (Vec<Uid>, Vec<Uid>) =
        wanted.iter().partition(|&&uid| attempts_of(uid).made > 0);
    let started = Instant::now();
    let mut fetched = match client.fetch(folder.imap_name, &together).await {
        Ok(fetched) => fetched,
        Err(err) => {
            note_failure(pipeline, folder, &together, &err).await;
            return Err(err.into());
        }
    };
    let mut refused = None;
    for uid in alone {
        match client.fetch(folder.imap_name, &[uid]).await {
            Ok(one) => fetched.extend(one),
            Err(err) if err.is_refusal() => {
                if refused_again(pipeline, client, folder, uid, &err).await? {
                    done.insert(uid);
                } else {
                    refused.get_or_insert(err);
                }
            }
            Err(err) => {
                note_failure(pipeline, folder, &[uid], &err).await;
                return Err(err.into());
            }
        }
    }
    debug!(
        messages = fetched.len(),
        known = known.len(),
        fetch_ms = started.elapsed().as_millis() as u64,
        "batch downloaded"
    );
    let got: HashSet<Uid> = fetched.iter().map(|m| m.uid).collect();
    if refused.is_none() {
        // Expunged meanwhile, as a successful search showed: nothing to record.
        done.extend(wanted.iter().filter(|uid| !got.contains(uid)));
    }
    let pending = Pending::new(
        fetched
            .into_iter()
            .map(|message| {
                let attempts = attempts_of(message.uid);
                let raw = RawMessage {
                    source: folder.source(message.uid),
                    raw: message.raw,
                    arrived_at: message.arrived_at,
                };
                (raw, attempts)
            })
            .collect(),
    );
    Ok(Ready {
        pending,
        rest: Downloaded {
            batch,
            done,
            to_mark,
        },
        refused,
    })
}

/// Records a failed attempt at fetching these messages: they are fetched alone next time.
/// Best effort: the error that ends the pass is the fetch's.
pub(super) async fn note_failure(
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    uids: &[Uid],
    err: &ImapError,
) {
    let _ = failed_attempts(pipeline, folder, uids, err, false).await;
}

/// Counts an attempt at each of these messages and records its failure (see
/// [`crate::domain::attempts`]); returns the last one's attempts.
pub(super) async fn failed_attempts(
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    uids: &[Uid],
    err: &ImapError,
    others_went_through: bool,
) -> Result<Attempts, WatchError> {
    let locations: Vec<String> = uids
        .iter()
        .map(|&uid| folder.cursor.location(uid))
        .collect();
    let refs: Vec<&str> = locations.iter().map(String::as_str).collect();
    pipeline
        .store()
        .count_attempts(&folder.mailbox, &refs)
        .await?;
    let mut last = Attempts::default();
    for &uid in uids {
        last = pipeline
            .store()
            .record_failure(&folder.source(uid), &err.to_string(), others_went_through)
            .await?;
    }
    Ok(last)
}

/// A message the server refused to send, alone. Says whether it needs nothing more: it was
/// expunged, or it was refused too often (while the server answered the search about it, so
/// the fault is the message's) and is recorded as quarantined, left on the server.
pub(super) async fn refused_again(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    uid: Uid,
    err: &ImapError,
) -> Result<bool, WatchError> {
    if !client.exists(uid).await? {
        return Ok(true);
    }
    // The server answered the search about it: the fault is the message's.
    let attempts = failed_attempts(pipeline, folder, &[uid], err, true).await?;
    let source = folder.source(uid);
    if !attempts.give_up_after_failure() {
        return Ok(false);
    }
    let error = format!(
        "the server refused to send it {} times: {err}; left on the server",
        attempts.failures
    );
    warn!(mailbox = %folder.mailbox, uid = %uid, %error, "giving up on a message: quarantined");
    pipeline
        .quarantine_undownloaded(source, None, error)
        .await?;
    Ok(true)
}
