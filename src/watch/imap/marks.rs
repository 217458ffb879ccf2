//! What the server is told once mail is committed: the keyword or the move of filed mail,
//! retried on later passes when the server refused it, and never claimed when it did.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{debug, warn};

use super::pass::Folder;
use crate::config::AfterFiling;
use crate::domain::cursor::Uid;
use crate::domain::outcome::OutcomeKind;
use crate::domain::source::Direction;
use crate::imap::{FILED_KEYWORD, ImapClient};
use crate::ingest::Pipeline;
use crate::watch::WatchError;

/// What the ledger recorded for those of these UIDs it knows.
pub(super) async fn known_outcomes(
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
pub(super) async fn filed_among(
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

/// Whether a refusal to mark filed mail was logged at warning level: once per process. A
/// server that announces it keeps any keyword (`\*` in PERMANENTFLAGS) and then refuses the
/// STORE would otherwise warn on every pass, every `idle_poll_interval`, for ever; the marks
/// stay due and are tried on every pass all the same, and later refusals are logged at debug
/// level.
static REFUSAL_WARNED: AtomicBool = AtomicBool::new(false);

/// Logs a refusal to mark filed mail: a warning the first time in this process, debug after.
fn refused(folder: &Folder<'_>, messages: usize, err: &crate::imap::ImapError) {
    if REFUSAL_WARNED.swap(true, Ordering::Relaxed) {
        debug!(folder = folder.imap_name, messages, error = %err, "the server still refuses to mark filed mail; trying again on the next pass");
    } else {
        warn!(folder = folder.imap_name, messages, error = %err, "the server refused to mark filed mail: it stays filed, and the mark is tried again on every pass (this is said once; later refusals are logged at debug level)");
    }
}

/// Keyword or move for filed mail, after its commit. A refusal leaves the mail committed and
/// its action due, retried by later passes ([`redo_due_actions`]); a mark is never claimed
/// that the server refused.
pub(super) async fn act_on_filed(
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
            refused(folder, uids.len(), &err);
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
pub(super) async fn redo_due_actions(
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
            refused(folder, uids.len(), &err);
            Ok(())
        }
        Err(err) => Err(err.into()),
    }
}
