//! Reading a local source (a Maildir folder, `.eml` files, an mbox) through the pipeline, a
//! batch at a time: the Maildir loop and `import` share it.

use crate::domain::outcome::Outcome;
use crate::domain::source::{Direction, SourceRef};
use crate::ingest::{IngestError, Pipeline, RawMessage};
use crate::shutdown::Shutdown;
use crate::sources::MessageSource;

/// Messages handed to the pipeline at once: they share one disk sync and one transaction.
const BATCH: usize = 64;
const BATCH_BYTES: usize = 64 * 1024 * 1024;

/// Where a local source's arrival times come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The source's own delivery times (the watched Maildir).
    Delivered,
    /// None: an import's files may be copies, whose times are the copy's; the Date header,
    /// no later than now, stands in.
    DateHeader,
}

/// Files every message of `source`, in order, a batch at a time, and hands each outcome to
/// `each` once committed. Stops between two batches once shutdown is requested. A message
/// that fails does not stop the others: the call fails at the end, naming the first.
pub async fn file_source(
    pipeline: &Pipeline,
    source: MessageSource,
    direction: Direction,
    arrival: Arrival,
    shutdown: &Shutdown,
    mut each: impl FnMut(&SourceRef, &Outcome),
) -> Result<(), IngestError> {
    let mut messages = source.messages;
    let mut first_failure = None;
    loop {
        if shutdown.is_requested() {
            break;
        }
        // Reading files blocks: off the async threads.
        let (batch, rest) = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::new();
            let mut bytes = 0;
            for message in messages.by_ref() {
                let failed = message.is_err();
                if let Ok(message) = &message {
                    bytes += message.raw.len();
                }
                batch.push(message);
                if failed || batch.len() >= BATCH || bytes >= BATCH_BYTES {
                    break;
                }
            }
            (batch, messages)
        })
        .await?;
        messages = rest;
        if batch.is_empty() {
            break;
        }
        let mut raw = Vec::with_capacity(batch.len());
        for message in batch {
            let message = message?;
            raw.push(RawMessage {
                source: message.source,
                raw: message.raw,
                arrived_at: message
                    .delivered_at
                    .filter(|_| arrival == Arrival::Delivered),
            });
        }
        match pipeline.ingest(raw, direction).await {
            Ok(outcomes) => outcomes
                .iter()
                .for_each(|(source, outcome)| each(source, outcome)),
            Err(err @ IngestError::Failed { .. }) => {
                first_failure.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    first_failure.map_or(Ok(()), Err)
}
