//! One pass over an IMAP folder. The new UIDs are cut into batches by the sizes the server
//! announces; each batch is downloaded (while the one before it is recorded), handed to the
//! pipeline, and once all of it is committed it gets its server action (keyword or move),
//! and only then moves the folder's cursor (saved at most once a second, and at the pass's
//! end). A crash anywhere repeats at most the batches in hand and those the saved cursor lags
//! by, which the ledger turns into no-ops without downloading them again.
//!
//! The cursor moves only past UIDs that a successful command accounted for: committed,
//! recorded as too large, or shown expunged by a successful search.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::WatchError;
use crate::config::AfterFiling;
use crate::domain::attempts::Attempts;
use crate::domain::cursor::{Cursor, Uid};
use crate::domain::outcome::{Outcome, OutcomeKind};
use crate::domain::source::{Direction, SourceRef};
use crate::health::record_sync;
use crate::imap::{FILED_KEYWORD, ImapClient, ImapError};
use crate::ingest::{Pending, Pipeline, RawMessage};
use crate::shutdown::Shutdown;

/// Messages fetched per UID FETCH at most, and bytes (by the sizes announced; at least one
/// message): at most two batches are in memory, and one stays well within the command
/// timeout however large its messages.
const BATCH: usize = 64;
const BATCH_BYTES: u64 = 8 * 1024 * 1024;
/// UIDs whose sizes are asked for in one command.
const SIZE_WINDOW: usize = 1000;
/// How often a pass saves the folder's cursor; it always saves it at its end. A cursor that
/// lags costs little: after a crash, the next pass asks the ledger about the batches it lags
/// by, downloads none of them again, and marks their filed messages again.
const CURSOR_SAVE_EVERY: Duration = Duration::from_secs(1);

/// The folder a pass reads.
struct Folder<'a> {
    imap_name: &'a str,
    /// As the ledger names it (`imap:INBOX`).
    mailbox: String,
    cursor: Cursor,
    direction: Direction,
    after_filing: &'a AfterFiling,
}

impl Folder<'_> {
    fn source(&self, uid: Uid) -> SourceRef {
        SourceRef::new(self.mailbox.clone(), self.cursor.location(uid))
    }
}

/// Reads every new message of one folder, batch by batch; says how many there were.
pub(super) async fn sync(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &str,
    direction: Direction,
    after_filing: &AfterFiling,
    shutdown: &Shutdown,
) -> Result<usize, WatchError> {
    let (validity, empty, uid_next) = match client.still_selected(folder) {
        Some(validity) => (validity, false, None),
        None => {
            let state = client.select(folder).await?;
            if direction == Direction::Inbound
                && *after_filing == AfterFiling::Keyword
                && !state.keeps_keyword(FILED_KEYWORD)
            {
                warn!(
                    folder,
                    "the server does not keep the keyword {FILED_KEYWORD} here (PERMANENTFLAGS): filed mail is not marked; the ledger alone remembers it"
                );
            }
            (state.validity, state.exists == 0, state.next)
        }
    };
    let mailbox = format!("imap:{folder}");
    let stored = pipeline.store().cursor(&mailbox).await?;
    if let Some(old) = stored.filter(|c| c.validity != validity) {
        warn!(folder, old = %old.validity, new = %validity, "UIDVALIDITY changed: reading the folder again; nothing already filed is filed twice");
    }
    let mut cursor = Cursor::resume(stored, validity);
    if empty {
        // Nothing below UIDNEXT is left to read (see `reach_uid_next`).
        cursor = uid_next.map_or(cursor, |next| cursor.reaching(next));
    }
    if stored != Some(cursor) {
        pipeline.store().save_cursor(&mailbox, cursor).await?;
    }
    let folder = Folder {
        imap_name: folder,
        mailbox,
        cursor,
        direction,
        after_filing,
    };
    if direction == Direction::Inbound {
        redo_due_actions(pipeline, client, &folder).await?;
    }
    if empty {
        return Ok(0);
    }
    let uids = client.uids_from(cursor.next).await?;
    let batches = plan_batches(client, &uids, pipeline.max_message_bytes()).await?;
    let (complete, cursor) = read_batches(pipeline, client, &folder, batches, shutdown).await?;
    if complete {
        reach_uid_next(pipeline, &folder.mailbox, cursor, uid_next).await?;
        record_sync(&folder.mailbox);
    }
    Ok(uids.len())
}

/// Downloads each batch while the one before it is recorded, and acts on each once it is
/// committed. Says whether every batch was read (false when shutdown interrupted the pass),
/// and where it left the cursor (saved).
async fn read_batches(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    batches: Vec<Batch>,
    shutdown: &Shutdown,
) -> Result<(bool, Cursor), WatchError> {
    let mut cursor = folder.cursor;
    let (mut saved, mut saved_at) = (cursor, Instant::now());
    let mut batches = batches.into_iter();
    let mut ready = match batches.next() {
        Some(batch) => Some(download(pipeline, client, folder, batch).await?),
        None => None,
    };
    while let Some(current) = ready.take() {
        let next = batches.next().filter(|_| !shutdown.is_requested());
        let (recorded, downloaded) = tokio::join!(
            pipeline.ingest_pending(current.pending, folder.direction),
            async {
                match next {
                    Some(batch) => download(pipeline, client, folder, batch).await.map(Some),
                    None => Ok(None),
                }
            }
        );
        // The pipeline's failure explains the pass's end, not the download's.
        let outcomes = recorded?;
        ready = downloaded?;
        let Downloaded {
            batch,
            mut done,
            mut to_mark,
        } = current.rest;
        for (source, outcome) in &outcomes {
            let Some(&uid) = batch.by_location.get(&source.location) else {
                continue;
            };
            done.insert(uid);
            match outcome {
                Outcome::Filed { .. } | Outcome::FollowUp { .. } => to_mark.push(uid),
                // Recorded between the check before the download and the commit: marked if
                // it was filed.
                Outcome::AlreadySeen => {
                    to_mark.extend(filed_among(pipeline, folder, &[uid]).await?)
                }
                _ => {}
            }
        }
        act_on_filed(pipeline, client, folder, &to_mark).await?;
        if let Some(&last) = batch
            .uids
            .iter()
            .take_while(|uid| done.contains(uid))
            .last()
        {
            cursor = cursor.after(last);
        }
        if cursor != saved && saved_at.elapsed() >= CURSOR_SAVE_EVERY {
            pipeline
                .store()
                .save_cursor(&folder.mailbox, cursor)
                .await?;
            (saved, saved_at) = (cursor, Instant::now());
        }
        if let Some(err) = current.refused {
            pipeline
                .store()
                .save_cursor(&folder.mailbox, cursor)
                .await?;
            return Err(err.into());
        }
        if ready.is_none() && batches.len() > 0 {
            // Shutdown: the batches left are the next pass's.
            if cursor != saved {
                pipeline
                    .store()
                    .save_cursor(&folder.mailbox, cursor)
                    .await?;
            }
            return Ok((false, cursor));
        }
    }
    if cursor != saved {
        pipeline
            .store()
            .save_cursor(&folder.mailbox, cursor)
            .await?;
    }
    Ok((true, cursor))
}

/// Messages downloaded together: up to [`BATCH`] of them, or [`BATCH_BYTES`].
#[derive(Debug, Default)]
struct Batch {
    /// Every UID of the batch, in order.
    uids: Vec<Uid>,
    /// Those to download.
    wanted: Vec<Uid>,
    /// Those announced as larger than the limit: recorded without downloading them.
    oversized: Vec<(Uid, u64)>,
    /// The UIDs by their ledger location.
    by_location: HashMap<String, Uid>,
}

/// A batch ready for the pipeline.
struct Ready {
    pending: Pending,
    rest: Downloaded,
    /// A message the server refused to send (alone): the others are recorded, then the pass
    /// fails with this, to try it again later.
    refused: Option<ImapError>,
}

/// What is known of a batch before the pipeline records it.
struct Downloaded {
    batch: Batch,
    /// UIDs with nothing left to do: recorded before, recorded as too large, or expunged.
    done: HashSet<Uid>,
    /// Filed mail to mark on the server.
    to_mark: Vec<Uid>,
}

/// Splits the new UIDs into batches by the sizes the server announces.
async fn plan_batches(
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
async fn download(
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
async fn note_failure(pipeline: &Pipeline, folder: &Folder<'_>, uids: &[Uid], err: &ImapError) {
    let _ = failed_attempts(pipeline, folder, uids, err, false).await;
}

/// Counts an attempt at each of these messages and records its failure (see
/// [`crate::domain::attempts`]); returns the last one's attempts.
async fn failed_attempts(
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
async fn refused_again(
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

/// After a complete pass over a folder just selected, moves its cursor to the UIDNEXT the
/// selection announced. The pass saw every message below it that still exists; the UIDs it
/// did not see belong to mail deleted before it was read, and UIDs are never reused. Left
/// behind, such a gap would make [`has_news`] answer yes at every wake-up.
async fn reach_uid_next(
    pipeline: &Pipeline,
    mailbox: &str,
    cursor: Cursor,
    uid_next: Option<Uid>,
) -> Result<(), WatchError> {
    if let Some(next) = uid_next {
        let reached = cursor.reaching(next);
        if reached != cursor {
            pipeline.store().save_cursor(mailbox, reached).await?;
        }
    }
    Ok(())
}

/// Whether a folder (not the selected one) may hold mail past its cursor, asked without
/// selecting it. Unsure (a server that leaves a status item out) counts as yes.
pub(super) async fn has_news(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &str,
) -> Result<bool, WatchError> {
    let Some(status) = client.next_uid(folder).await? else {
        return Ok(true);
    };
    let stored = pipeline.store().cursor(&format!("imap:{folder}")).await?;
    Ok(Cursor::resume(stored, status.validity).next < status.next)
}

/// What the ledger recorded for those of these UIDs it knows.
async fn known_outcomes(
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    uids: &[Uid],
) -> Result<HashMap<Uid, OutcomeKind>, WatchError> {
    let locations: Vec<String> = uids
        .iter()
        .map(|&uid| folder.cursor.location(uid))
        .collect();
    let refs: Vec<&str> = locations.iter().map(String::as_str).collect();
    let mut outcomes = pipeline
        .store()
        .seen_outcomes(&folder.mailbox, &refs)
        .await?;
    Ok(uids
        .iter()
        .zip(&locations)
        .filter_map(|(&uid, location)| Some((uid, outcomes.remove(location)?)))
        .collect())
}

/// Those of these UIDs that the ledger says were filed.
async fn filed_among(
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    uids: &[Uid],
) -> Result<Vec<Uid>, WatchError> {
    let known = known_outcomes(pipeline, folder, uids).await?;
    Ok(uids
        .iter()
        .copied()
        .filter(|uid| known.get(uid).is_some_and(|o| o.is_filed()))
        .collect())
}

/// Keyword or move for filed mail, after its commit. A refusal leaves the mail committed and
/// its action due, retried by later passes ([`redo_due_actions`]); a mark is never claimed
/// that the server refused.
async fn act_on_filed(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    uids: &[Uid],
) -> Result<(), WatchError> {
    if folder.direction != Direction::Inbound || uids.is_empty() {
        return Ok(());
    }
    let done = match folder.after_filing {
        AfterFiling::Keyword if client.keeps_keyword(FILED_KEYWORD) => {
            client.add_keyword(uids, FILED_KEYWORD).await
        }
        AfterFiling::Move(target) => client.move_to(uids, target).await,
        AfterFiling::Keyword | AfterFiling::None => Ok(()),
    };
    match done {
        Ok(()) => Ok(()),
        Err(err) if err.is_refusal() => {
            warn!(folder = folder.imap_name, messages = uids.len(), error = %err, "the server refused to mark filed mail: it stays filed, and the mark is tried again on later passes");
            let locations: Vec<String> = uids
                .iter()
                .map(|&uid| folder.cursor.location(uid))
                .collect();
            let refs: Vec<&str> = locations.iter().map(String::as_str).collect();
            pipeline
                .store()
                .mark_actions_due(&folder.mailbox, &refs)
                .await?;
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}

/// Retries the keywords or moves the server refused on earlier passes.
async fn redo_due_actions(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
) -> Result<(), WatchError> {
    let due = pipeline.store().actions_due(&folder.mailbox).await?;
    if due.is_empty() {
        return Ok(());
    }
    let prefix = format!("{}/", folder.cursor.validity);
    // Those read under another UIDVALIDITY name messages the server renumbered: nothing to
    // mark at those coordinates any more.
    let uids: Vec<Uid> = due
        .iter()
        .filter_map(|location| {
            location
                .strip_prefix(&prefix)?
                .parse()
                .ok()
                .and_then(Uid::new)
        })
        .collect();
    let stale: Vec<&str> = due
        .iter()
        .filter(|l| !l.starts_with(&prefix))
        .map(String::as_str)
        .collect();
    pipeline
        .store()
        .clear_actions_due(&folder.mailbox, &stale)
        .await?;
    let done = match folder.after_filing {
        AfterFiling::Keyword if client.keeps_keyword(FILED_KEYWORD) => {
            client.add_keyword(&uids, FILED_KEYWORD).await
        }
        AfterFiling::Move(target) => client.move_to(&uids, target).await,
        AfterFiling::Keyword | AfterFiling::None => Ok(()),
    };
    match done {
        Ok(()) => {
            let marked: Vec<&str> = due
                .iter()
                .filter(|l| l.starts_with(&prefix))
                .map(String::as_str)
                .collect();
            pipeline
                .store()
                .clear_actions_due(&folder.mailbox, &marked)
                .await?;
            Ok(())
        }
        Err(err) if err.is_refusal() => {
            warn!(folder = folder.imap_name, messages = uids.len(), error = %err, "the server still refuses to mark filed mail; trying again on the next pass");
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}
