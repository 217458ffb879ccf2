//! One pass over an IMAP folder: the new UIDs are cut into batches by the sizes the server
//! announces, the next batch downloads while the pipeline records earlier ones, and each
//! batch, once all of it is committed, gets its server action (keyword or move) and only then
//! moves the folder's cursor (saved at most once a second, and at the pass's end). A crash
//! anywhere repeats at most the batches in hand and those the saved cursor lags by, which the
//! ledger turns into no-ops without downloading them again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::{LedgerCheck, Pipeline, WatchError};
use crate::config::AfterFiling;
use crate::domain::cursor::{Cursor, Uid};
use crate::domain::source::{Direction, SourceRef};
use crate::health::record_sync;
use crate::imap::{FILED_KEYWORD, ImapClient, ImapError};
use crate::shutdown::Shutdown;
use crate::sources::RawMessage;
use crate::store::record::Recorded;

/// Messages fetched per UID FETCH at most (see [`BATCH_BYTES`]).
const BATCH: usize = 64;

/// How often a pass saves the folder's cursor as batches are acted on; it always saves it at
/// its end. Each save is a durable commit that the connection would wait for (about 9 ms here,
/// more than a batch's keyword), and a cursor that lags behind costs little: after a crash,
/// the next pass asks the ledger about the batches it lags by, downloads none of them again,
/// and marks their filed messages again.
const CURSOR_SAVE_EVERY: Duration = Duration::from_secs(1);

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
    if empty {
        return Ok(0);
    }
    let uids = client.uids_from(cursor.next).await?;
    let batches = plan_batches(client, &uids, pipeline.max_message_bytes()).await?;
    let folder = Folder {
        imap_name: folder,
        name: &mailbox,
        cursor,
        direction,
    };
    // The pipeline reads downloaded batches from one channel and reports what it committed
    // on the other; the IMAP side downloads the next batch meanwhile, and marks a batch and
    // moves the cursor past it once all of it is committed. The pipeline never stops at a
    // batch's end.
    let (bodies, batches_rx) = mpsc::channel::<Vec<RawMessage>>(1);
    let (committed, committed_rx) = mpsc::unbounded_channel::<(SourceRef, Recorded)>();
    let messages = futures_util::stream::unfold(batches_rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    })
    .flat_map(|batch| futures_util::stream::iter(batch.into_iter().map(Ok)));
    let ingest = pipeline.ingest_stream(
        Box::pin(messages),
        direction,
        LedgerCheck::DoneBySource,
        shutdown,
        move |source, recorded| {
            // The receiver is gone only when the IMAP side failed; the next pass sees these.
            let _ = committed.send((source.clone(), recorded.clone()));
        },
    );
    let serve = serve_batches(
        client,
        pipeline,
        &folder,
        batches,
        bodies,
        committed_rx,
        after_filing,
        shutdown,
    );
    let (ingested, served) = tokio::join!(ingest, serve);
    // The pipeline's failure explains the IMAP side's stopping, not the other way round.
    ingested?;
    let (complete, cursor) = served?;
    if complete {
        reach_uid_next(pipeline, &mailbox, cursor, uid_next).await?;
        record_sync(&mailbox);
    }
    Ok(uids.len())
}

/// After a complete pass over a folder just selected, moves its cursor to the UIDNEXT the
/// selection announced. The pass saw every message below it that still exists; the UIDs it
/// did not see belong to mail deleted before it was read, and UIDs are never reused. Left
/// behind, such a gap would make [`has_news`] answer yes at every wake-up, and the Sent
/// folder would be selected each time for nothing.
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

/// Messages downloaded together: up to [`BATCH`] of them, or [`BATCH_BYTES`] (at least one
/// message). At most three batches are in memory (one the pipeline reads, one waiting, one
/// downloading), and one batch stays within the command timeout, however large the messages.
const BATCH_BYTES: u64 = 8 * 1024 * 1024;
/// UIDs whose sizes are asked for in one command.
const SIZE_WINDOW: usize = 1000;

#[derive(Debug)]
struct Batch {
    /// Every UID of the batch, in order.
    uids: Vec<Uid>,
    /// Those to download.
    wanted: Vec<Uid>,
    /// Those announced as larger than the limit: recorded without downloading them.
    oversized: Vec<(Uid, u64)>,
}

/// Splits the new UIDs into batches by the sizes the server announces.
async fn plan_batches(
    client: &mut ImapClient,
    uids: &[Uid],
    limit: u64,
) -> Result<Vec<Batch>, ImapError> {
    let mut batches = Vec::new();
    let mut batch = Batch {
        uids: Vec::new(),
        wanted: Vec::new(),
        oversized: Vec::new(),
    };
    let mut bytes = 0;
    for window in uids.chunks(SIZE_WINDOW) {
        let sizes: HashMap<Uid, u64> = client.sizes(window).await?.into_iter().collect();
        for &uid in window {
            // A UID without a size was expunged meanwhile; the fetch says so.
            let size = sizes.get(&uid).copied().unwrap_or(0);
            if !batch.uids.is_empty() && (batch.uids.len() >= BATCH || bytes + size > BATCH_BYTES) {
                batches.push(std::mem::replace(
                    &mut batch,
                    Batch {
                        uids: Vec::new(),
                        wanted: Vec::new(),
                        oversized: Vec::new(),
                    },
                ));
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

/// The folder batches come from.
struct Folder<'a> {
    imap_name: &'a str,
    /// As the ledger names it.
    name: &'a str,
    cursor: Cursor,
    direction: Direction,
}

impl Folder<'_> {
    fn source(&self, uid: Uid) -> SourceRef {
        SourceRef::new(self.name.to_owned(), self.cursor.location(uid))
    }
}

/// A batch handed to the pipeline, waiting for its messages to be committed.
struct Handed {
    batch: Batch,
    /// Downloaded messages not yet reported committed, by location.
    pending: HashMap<String, Uid>,
    /// Filed mail, to mark on the server.
    to_mark: Vec<Uid>,
    /// Messages the pipeline found recorded already (between the check before the download
    /// and their analysis): marked if they were filed.
    seen_before: Vec<Uid>,
    /// UIDs with nothing left to do: committed, recorded as oversized, or expunged.
    done: HashSet<Uid>,
}

/// The IMAP side of a folder's pass: downloads the batches one ahead of the pipeline, and
/// acts on each batch (keyword or move, then cursor) once the pipeline has committed all of
/// it. Says whether every batch was acted on (false when shutdown interrupted the pass), and
/// where it left the cursor (saved).
#[allow(clippy::too_many_arguments)]
async fn serve_batches(
    client: &mut ImapClient,
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    batches: Vec<Batch>,
    bodies: mpsc::Sender<Vec<RawMessage>>,
    mut committed: mpsc::UnboundedReceiver<(SourceRef, Recorded)>,
    after_filing: &AfterFiling,
    shutdown: &Shutdown,
) -> Result<(bool, Cursor), WatchError> {
    let mut batches = batches.into_iter().peekable();
    let mut bodies = Some(bodies);
    let mut handed: VecDeque<Handed> = VecDeque::new();
    let mut cursor = folder.cursor;
    // The cursor as last saved, and when.
    let (mut saved, mut saved_at) = (cursor, Instant::now());
    let mut stopped_reading = false;
    loop {
        while handed.front().is_some_and(|h| h.pending.is_empty()) {
            if let Some(front) = handed.pop_front() {
                act_on_batch(client, pipeline, folder, front, &mut cursor, after_filing).await?;
            }
        }
        if cursor != saved && saved_at.elapsed() >= CURSOR_SAVE_EVERY {
            pipeline.store().save_cursor(folder.name, cursor).await?;
            (saved, saved_at) = (cursor, Instant::now());
        }
        if stopped_reading || batches.peek().is_none() || shutdown.is_requested() {
            // Closing the channel ends the pipeline's stream once it has what it was given.
            bodies = None;
        }
        tokio::select! {
            permit = reserve(bodies.as_ref()) => {
                // None: the pipeline stopped reading; its reports end the loop.
                let Some(permit) = permit else {
                    stopped_reading = true;
                    continue;
                };
                let Some(batch) = batches.next() else { continue };
                let mut done = HashSet::new();
                for &(uid, size) in &batch.oversized {
                    pipeline.record_oversized(&folder.source(uid), size).await?;
                    done.insert(uid);
                }
                // Messages the ledger holds already (a pass cut short after their commit)
                // are not downloaded again; the filed ones get the mark they may have missed.
                let mut to_mark = Vec::new();
                let known = known_outcomes(pipeline, folder, &batch.wanted).await?;
                let mut wanted = Vec::with_capacity(batch.wanted.len());
                for &uid in &batch.wanted {
                    match known.get(&uid) {
                        None => wanted.push(uid),
                        Some(outcome) => {
                            if is_filed(outcome) {
                                to_mark.push(uid);
                            }
                            done.insert(uid);
                        }
                    }
                }
                let started = std::time::Instant::now();
                let fetched = client.fetch(folder.imap_name, &wanted).await?;
                debug!(
                    messages = fetched.len(),
                    known = known.len(),
                    fetch_ms = started.elapsed().as_millis() as u64,
                    "batch downloaded"
                );
                let got: HashSet<Uid> = fetched.iter().map(|(uid, _)| *uid).collect();
                // Expunged meanwhile: nothing to record.
                done.extend(wanted.iter().filter(|uid| !got.contains(uid)));
                let pending = fetched
                    .iter()
                    .map(|(uid, _)| (folder.cursor.location(*uid), *uid))
                    .collect();
                let messages = fetched
                    .into_iter()
                    .map(|(uid, raw)| RawMessage { source: folder.source(uid), raw })
                    .collect();
                permit.send(messages);
                handed.push_back(Handed {
                    batch,
                    pending,
                    to_mark,
                    seen_before: Vec::new(),
                    done,
                });
            }
            report = committed.recv() => {
                let Some((source, recorded)) = report else { break };
                let Some(handed) = handed
                    .iter_mut()
                    .find(|h| h.pending.contains_key(&source.location))
                else {
                    continue;
                };
                let Some(uid) = handed.pending.remove(&source.location) else { continue };
                handed.done.insert(uid);
                match recorded {
                    Recorded::Filed { .. } | Recorded::FollowUp { .. } => handed.to_mark.push(uid),
                    Recorded::AlreadySeen => handed.seen_before.push(uid),
                    _ => {}
                }
            }
        }
    }
    // The pipeline has stopped. The batches it finished are acted on, in order; in the first
    // one it did not finish (shutdown, or a failure), its committed messages are marked and
    // the cursor moves past the committed ones at its start. The batches after that one are
    // left to the next pass whole: nothing of theirs can be committed but oversized messages
    // (recorded when handed over), and moving the cursor past those would skip the
    // unfinished batch's rest.
    let complete = handed.iter().all(|h| h.pending.is_empty()) && batches.peek().is_none();
    for batch in handed {
        let finished = batch.pending.is_empty();
        act_on_batch(client, pipeline, folder, batch, &mut cursor, after_filing).await?;
        if !finished {
            break;
        }
    }
    if cursor != saved {
        pipeline.store().save_cursor(folder.name, cursor).await?;
    }
    Ok((complete, cursor))
}

/// Waits for room in the channel to the pipeline; never, once there is no channel.
async fn reserve<T>(bodies: Option<&mpsc::Sender<T>>) -> Option<mpsc::Permit<'_, T>> {
    match bodies {
        Some(bodies) => bodies.reserve().await.ok(),
        None => std::future::pending().await,
    }
}

/// Marks a batch's filed messages on the server, then moves the cursor (in memory; the caller
/// saves it) past its messages that need nothing more (all of them, unless the pass was
/// interrupted inside it).
async fn act_on_batch(
    client: &mut ImapClient,
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    handed: Handed,
    cursor: &mut Cursor,
    after_filing: &AfterFiling,
) -> Result<(), WatchError> {
    let Handed {
        batch,
        mut to_mark,
        seen_before,
        done,
        ..
    } = handed;
    // Recorded between the check before the download and the analysis: marked if filed.
    let known = known_outcomes(pipeline, folder, &seen_before).await?;
    to_mark.extend(
        seen_before
            .iter()
            .filter(|uid| known.get(uid).is_some_and(|o| is_filed(o))),
    );
    if folder.direction == Direction::Inbound {
        act_on_filed(client, &to_mark, after_filing).await?;
    }
    let last = batch
        .uids
        .iter()
        .take_while(|uid| done.contains(uid))
        .last();
    if let Some(&last) = last {
        *cursor = cursor.after(last);
    }
    Ok(())
}

/// What the ledger recorded for those of these UIDs it knows.
async fn known_outcomes(
    pipeline: &Pipeline,
    folder: &Folder<'_>,
    uids: &[Uid],
) -> Result<HashMap<Uid, String>, WatchError> {
    let locations: Vec<String> = uids
        .iter()
        .map(|&uid| folder.cursor.location(uid))
        .collect();
    let mut outcomes = pipeline
        .store()
        .seen_outcomes(folder.name, &locations)
        .await?;
    Ok(uids
        .iter()
        .zip(&locations)
        .filter_map(|(&uid, location)| Some((uid, outcomes.remove(location)?)))
        .collect())
}

/// Outcomes that put a message in the recruitment file, and so get the server action.
fn is_filed(outcome: &str) -> bool {
    matches!(outcome, "filed" | "followup")
}

async fn act_on_filed(
    client: &mut ImapClient,
    uids: &[Uid],
    after_filing: &AfterFiling,
) -> Result<(), ImapError> {
    match after_filing {
        AfterFiling::Keyword => client.add_keyword(uids, FILED_KEYWORD).await,
        AfterFiling::Move(folder) => client.move_to(uids, folder).await,
        AfterFiling::None => Ok(()),
    }
}
