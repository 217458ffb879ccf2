//! One pass over an IMAP folder. The new UIDs are cut into batches by the sizes the server
//! announces; each batch is downloaded and analysed (while the one before it is stored), handed
//! to the pipeline, and once all of it is committed it gets its server action (keyword or move),
//! and only then moves the folder's cursor (saved at most once a second, and at the pass's
//! end). A crash anywhere repeats at most the batches in hand and those the saved cursor lags
//! by, which the ledger turns into no-ops without downloading them again.
//!
//! The cursor moves only past UIDs that a successful command accounted for: committed,
//! recorded as too large, or shown expunged by a successful search.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::download::{Batch, Downloaded, Ready, download, plan_batches};
use super::marks::{act_on_filed, filed_among, redo_due_actions};
use crate::config::AfterFiling;
use crate::domain::cursor::{Cursor, Uid};
use crate::domain::outcome::Outcome;
use crate::domain::source::{Direction, SourceRef};
use crate::health::record_sync;
use crate::imap::{FILED_KEYWORD, ImapClient, ImapError};
use crate::ingest::{Pipeline, Prepared};
use crate::shutdown::Shutdown;
use crate::watch::WatchError;

/// How often a pass saves the folder's cursor; it always saves it at its end. A cursor that
/// lags costs little: after a crash, the next pass asks the ledger about the batches it lags
/// by, downloads none of them again, and marks their filed messages again.
pub(super) const CURSOR_SAVE_EVERY: Duration = Duration::from_secs(1);
/// The folder a pass reads.
pub(super) struct Folder<'a> {
    pub(super) imap_name: &'a str,
    /// As the ledger names it (`imap:INBOX`).
    pub(super) mailbox: String,
    pub(super) cursor: Cursor,
    pub(super) direction: Direction,
    pub(super) after_filing: &'a AfterFiling,
}

impl Folder<'_> {
    pub(super) fn source(&self, uid: Uid) -> SourceRef {
        SourceRef::new(self.mailbox.clone(), self.cursor.location(uid))
    }
}

/// Whether the warning that the server cannot keep the keyword was given: once per process,
/// since the inbox is selected again after every pass that read the Sent folder, and after
/// every reconnection.
static KEYWORD_WARNED: AtomicBool = AtomicBool::new(false);

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
                && !KEYWORD_WARNED.swap(true, Ordering::Relaxed)
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

/// A batch downloaded, and prepared for the pipeline (see [`Pipeline::prepare`]).
struct InHand {
    prepared: Prepared,
    rest: Downloaded,
    /// A message the server refused to send (alone): the others are recorded, then the pass
    /// fails with this, to try it again later.
    refused: Option<ImapError>,
}

async fn download_and_prepare(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    batch: Batch,
) -> Result<InHand, WatchError> {
    let Ready {
        pending,
        rest,
        refused,
    } = download(pipeline, client, folder, batch).await?;
    Ok(InHand {
        prepared: pipeline.prepare(pending, folder.direction).await?,
        rest,
        refused,
    })
}

/// Downloads and prepares each batch while the one before it is stored, and acts on each
/// once it is committed. Says whether every batch was read (false when shutdown interrupted
/// the pass), and where it left the cursor (saved).
pub(super) async fn read_batches(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    batches: Vec<Batch>,
    shutdown: &Shutdown,
) -> Result<(bool, Cursor), WatchError> {
    let mut progress = Progress::new(folder);
    let mut batches = batches.into_iter();
    let mut in_hand = match batches.next() {
        Some(batch) => Some(download_and_prepare(pipeline, client, folder, batch).await?),
        None => None,
    };
    while let Some(current) = in_hand.take() {
        let next = batches.next().filter(|_| !shutdown.is_requested());
        let started = Instant::now();
        let (recorded, downloaded) = tokio::join!(
            async {
                let recorded = pipeline.finish(current.prepared).await;
                (recorded, started.elapsed())
            },
            async {
                match next {
                    Some(batch) => download_and_prepare(pipeline, client, folder, batch)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            }
        );
        let (recorded, stored_in) = recorded;
        let both_in = started.elapsed();
        let acted = match recorded {
            Ok(outcomes) => {
                act_on_batch(
                    pipeline,
                    client,
                    folder,
                    current.rest,
                    outcomes,
                    &mut progress,
                )
                .await
            }
            Err(err) => Err(err.into()),
        };
        debug!(
            stored_ms = stored_in.as_millis() as u64,
            next_ready_ms = both_in.as_millis() as u64,
            acted_ms = (started.elapsed() - both_in).as_millis() as u64,
            "batch stored"
        );
        // The pipeline's failure explains the pass's end, not the download's.
        let failed = acted.err().or(current.refused.map(WatchError::from));
        match (failed, downloaded) {
            (None, Ok(next)) => in_hand = next,
            (None, Err(err)) => {
                progress.save(pipeline).await?;
                return Err(err);
            }
            (Some(err), downloaded) => {
                if let Ok(Some(next)) = downloaded
                    && let Err(release) = pipeline.release(next.prepared).await
                {
                    warn!(mailbox = %folder.mailbox, error = %release, "cannot take back the attempts counted for a batch not stored; its messages will be tried alone");
                }
                progress.save(pipeline).await?;
                return Err(err);
            }
        }
        if in_hand.is_none() && batches.len() > 0 {
            // Shutdown: the batches left are the next pass's.
            progress.save(pipeline).await?;
            return Ok((false, progress.cursor));
        }
    }
    progress.save(pipeline).await?;
    Ok((true, progress.cursor))
}

/// Gives a committed batch's filed mail its server action, and moves the cursor past what
/// is done.
async fn act_on_batch(
    pipeline: &Pipeline,
    client: &mut ImapClient,
    folder: &Folder<'_>,
    rest: Downloaded,
    outcomes: Vec<(SourceRef, Outcome)>,
    progress: &mut Progress<'_>,
) -> Result<(), WatchError> {
    let Downloaded {
        batch,
        mut done,
        mut to_mark,
    } = rest;
    for (source, outcome) in &outcomes {
        let Some(&uid) = batch.by_location.get(&source.location) else {
            continue;
        };
        done.insert(uid);
        match outcome {
            Outcome::Filed { .. } | Outcome::FollowUp { .. } => to_mark.push(uid),
            // Recorded between the check before the download and the commit: marked if it
            // was filed.
            Outcome::AlreadySeen => to_mark.extend(filed_among(pipeline, folder, &[uid]).await?),
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
        progress.cursor = progress.cursor.after(last);
    }
    progress.save_every(pipeline, CURSOR_SAVE_EVERY).await
}

/// The folder's cursor as a pass moves it, and what was saved of it.
struct Progress<'f> {
    mailbox: &'f str,
    cursor: Cursor,
    saved: Cursor,
    saved_at: Instant,
}

impl<'f> Progress<'f> {
    fn new(folder: &'f Folder<'_>) -> Progress<'f> {
        Progress {
            mailbox: &folder.mailbox,
            cursor: folder.cursor,
            saved: folder.cursor,
            saved_at: Instant::now(),
        }
    }

    async fn save(&mut self, pipeline: &Pipeline) -> Result<(), WatchError> {
        if self.cursor != self.saved {
            pipeline
                .store()
                .save_cursor(self.mailbox, self.cursor)
                .await?;
            (self.saved, self.saved_at) = (self.cursor, Instant::now());
        }
        Ok(())
    }

    async fn save_every(&mut self, pipeline: &Pipeline, every: Duration) -> Result<(), WatchError> {
        if self.saved_at.elapsed() >= every {
            self.save(pipeline).await?;
        }
        Ok(())
    }
}

/// After a complete pass over a folder just selected, moves its cursor to the UIDNEXT the
/// selection announced. The pass saw every message below it that still exists; the UIDs it
/// did not see belong to mail deleted before it was read, and UIDs are never reused. Left
/// behind, such a gap would make [`has_news`] answer yes at every wake-up.
pub(super) async fn reach_uid_next(
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
