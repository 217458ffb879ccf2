//! Waiting for news with IDLE (RFC 2177). The read timeout is the wait itself: only here may
//! the connection stay silent for long. A server that drops the connection, answers the
//! IDLE with NO, or ends it on its own is an error, which the caller meets by reconnecting.

use std::time::Duration;

use async_imap::imap_proto::{Response, Status};

use super::command::{COMMAND_TIMEOUT, SHUTDOWN_TIMEOUT};
use super::{ImapClient, ImapError};

/// Why an IDLE ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleEnd {
    /// The server announced something (EXISTS, EXPUNGE, flags).
    NewData,
    /// The wait ran out: time to poll and re-issue IDLE.
    Timeout,
    /// Shutdown was requested.
    Stopped,
}

impl ImapClient {
    /// Waits in IDLE for at most `wait`, or until shutdown ([`ImapClient::stop_on`]). Ends at
    /// once when new mail was announced since the folder was last searched.
    pub async fn idle(&mut self, wait: Duration) -> Result<IdleEnd, ImapError> {
        if self.announced {
            return Ok(IdleEnd::NewData);
        }
        let tag = self.start_idle().await?;
        // A message that arrived just before the server accepted IDLE is announced while
        // IDLE starts.
        let end = if self.announced {
            IdleEnd::NewData
        } else {
            self.wait_for_news(wait).await?
        };
        // On shutdown, a server slow to end the IDLE is not waited for long: nothing is in
        // hand, and the server ends the IDLE itself when the connection closes.
        let limit = if end == IdleEnd::Stopped {
            SHUTDOWN_TIMEOUT
        } else {
            COMMAND_TIMEOUT
        };
        self.end_idle(&tag, limit).await?;
        Ok(end)
    }

    async fn wait_for_news(&mut self, wait: Duration) -> Result<IdleEnd, ImapError> {
        const NAME: &str = "IDLE";
        let deadline = tokio::time::Instant::now() + wait;
        let stop = self.stop.clone();
        loop {
            let response = tokio::select! {
                read = tokio::time::timeout_at(deadline, self.next_response(NAME)) => match read {
                    Ok(response) => response?,
                    Err(_) => return Ok(IdleEnd::Timeout),
                },
                () = stop.wait() => return Ok(IdleEnd::Stopped),
            };
            match response.parsed() {
                // Keep-alives ("* OK Still here").
                Response::Data {
                    status: Status::Ok, ..
                } => {}
                Response::Data {
                    status: Status::Bye,
                    outcome,
                } => {
                    let text = outcome
                        .information
                        .as_deref()
                        .unwrap_or_default()
                        .to_owned();
                    return Err(ImapError::Bye {
                        command: NAME,
                        text,
                    });
                }
                // The server ended the IDLE by itself: it gives no more news on this command.
                Response::Done { .. } => return Err(ImapError::ConnectionLost { command: NAME }),
                _ => {
                    self.note(&response);
                    return Ok(IdleEnd::NewData);
                }
            }
        }
    }
}
