//! One pass over an IMAP folder. The new UIDs are cut into batches by the sizes the server
//! announces; each batch is downloaded (while the one before it is recorded), handed to the
//! pipeline, and once all of it is committed it gets its server action (keyword or move),
//! and only then moves the folder's cursor (saved at most once a second, and at the pass's
//! end). A crash anywhere repeats at most the batches in hand and those the saved cursor lags
//! by, which the ledger turns into no-ops without downloading them again.
//!
//! The cursor moves only past UIDs that a successful command accounted for: committed,
//! recorded as too large, or shown expunged by a successful search.

use std::time::{Duration, Instant};

use tracing::warn;

use super::download::{Batch, Downloaded, download, plan_batches};
use super::marks::{act_on_filed, filed_among, redo_due_actions};
use crate::config::AfterFiling;
use crate::domain::cursor::{Cursor, Uid};
use crate::domain::outcome::Outcome;
use crate::domain::source::{Direction, SourceRef};
use crate::health::record_sync;
use crate::imap::{FILED_KEYWORD, ImapClient};
use crate::ingest::Pipeline;
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
pub(super) async fn read_batches(
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
