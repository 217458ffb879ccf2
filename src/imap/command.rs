//! The one place where a command meets its answer. Every command after the login goes through
//! [`ImapClient::run`], which reads until the command's tagged completion and turns `NO`,
//! `BAD`, `BYE` and a connection that closes first into errors carrying the server's words.
//!
//! async-imap's own command methods cannot be trusted with that: its stream parsers
//! (`uid_search`, `uid_fetch`, `uid_store`, `uid_expunge`, `list`, `capabilities`) drop the
//! tagged completion, so a `NO` reads as an empty success, and a connection closed
//! mid-response as a short one (TESTING.md). Only the session's raw `run_command` and
//! `read_response` are used here.

use std::time::Duration;

use async_imap::imap_proto::{MailboxDatum, RequestId, Response, ResponseCode, Status};
use tokio::io::AsyncWriteExt;

use super::error::Refusal;
use super::{ImapClient, ImapError};
use crate::shutdown::Shutdown;

/// How long one command may take. Bodies are fetched in batches small enough to arrive well
/// within it on any link a mailbox is read over.
pub(super) const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to answer once applymail is stopping.
pub(super) const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// A response read from the server, owned. async-imap's own type for it (`ResponseData`, a
/// buffer with the response parsed from it) is returned by its public API but cannot be
/// named, so it is kept behind this.
pub(super) struct Reply(Box<dyn AsResponse + Send>);

trait AsResponse {
    fn response(&self) -> &Response<'_>;
}

struct Owned<T> {
    data: T,
    parsed: for<'a> fn(&'a T) -> &'a Response<'a>,
}

impl<T> AsResponse for Owned<T> {
    fn response(&self) -> &Response<'_> {
        (self.parsed)(&self.data)
    }
}

impl Reply {
    fn new<T: Send + 'static>(data: T, parsed: for<'a> fn(&'a T) -> &'a Response<'a>) -> Reply {
        Reply(Box::new(Owned { data, parsed }))
    }

    pub fn parsed(&self) -> &Response<'_> {
        self.0.response()
    }
}

/// What a response is, for the command loop.
enum Kind {
    /// The tagged completion of the command: `Ok(())` or the refusal.
    Done(Result<(), ImapError>),
    /// An untagged `BYE`: the server is closing the connection.
    Bye(String),
    /// A continuation request (`+`), which APPEND and IDLE wait for.
    Continue,
    /// Untagged data, for the command or unsolicited.
    Data,
}

impl ImapClient {
    /// Sends `command` and reads until its tagged completion, within `limit` (and within a few
    /// seconds once shutdown is requested). Untagged responses go to `each`, which gives back
    /// those it does not use; new mail announced among those is remembered. The command
    /// succeeds only when its completion says `OK`.
    pub(super) async fn run(
        &mut self,
        name: &'static str,
        command: &str,
        limit: Duration,
        mut each: impl FnMut(Reply) -> Option<Reply>,
    ) -> Result<(), ImapError> {
        let stop = self.stop.clone();
        timed(name, limit, &stop, async {
            let tag =
                self.session
                    .run_command(command)
                    .await
                    .map_err(|source| ImapError::Protocol {
                        doing: name,
                        source,
                    })?;
            loop {
                let response = self.next_response(name).await?;
                match kind(&response, &tag, name) {
                    Kind::Done(result) => return result,
                    Kind::Bye(text) => {
                        return Err(ImapError::Bye {
                            command: name,
                            text,
                        });
                    }
                    Kind::Continue => {}
                    Kind::Data => {
                        if let Some(unused) = each(response) {
                            self.note(&unused);
                        }
                    }
                }
            }
        })
        .await
    }

    /// APPEND with a synchronising literal (RFC 3501 §7.5): the command line, the server's
    /// go-ahead, the bytes, then the completion.
    pub(super) async fn run_append(
        &mut self,
        folder: &str,
        flags: &str,
        message: &[u8],
    ) -> Result<(), ImapError> {
        const NAME: &str = "APPEND";
        let stop = self.stop.clone();
        let command = format!("APPEND {} {flags} {{{}}}", quoted(folder), message.len());
        timed(NAME, COMMAND_TIMEOUT, &stop, async {
            let tag =
                self.session
                    .run_command(&command)
                    .await
                    .map_err(|source| ImapError::Protocol {
                        doing: NAME,
                        source,
                    })?;
            let mut sent = false;
            loop {
                let response = self.next_response(NAME).await?;
                match kind(&response, &tag, NAME) {
                    Kind::Done(result) => return result,
                    Kind::Bye(text) => {
                        return Err(ImapError::Bye {
                            command: NAME,
                            text,
                        });
                    }
                    Kind::Continue if !sent => {
                        let io = |source| ImapError::Io {
                            command: NAME,
                            source,
                        };
                        let stream = self.session.as_mut();
                        stream.write_all(message).await.map_err(io)?;
                        stream.write_all(b"\r\n").await.map_err(io)?;
                        stream.flush().await.map_err(io)?;
                        sent = true;
                    }
                    Kind::Continue | Kind::Data => self.note(&response),
                }
            }
        })
        .await
    }

    /// Sends `IDLE` and waits for the server's go-ahead.
    pub(super) async fn start_idle(&mut self) -> Result<RequestId, ImapError> {
        const NAME: &str = "IDLE";
        let stop = self.stop.clone();
        timed(NAME, COMMAND_TIMEOUT, &stop, async {
            let tag =
                self.session
                    .run_command("IDLE")
                    .await
                    .map_err(|source| ImapError::Protocol {
                        doing: NAME,
                        source,
                    })?;
            loop {
                let response = self.next_response(NAME).await?;
                match kind(&response, &tag, NAME) {
                    Kind::Continue => return Ok(tag.clone()),
                    // An OK before the go-ahead is no IDLE either: the caller reconnects.
                    Kind::Done(Ok(())) => return Err(ImapError::ConnectionLost { command: NAME }),
                    Kind::Done(Err(err)) => return Err(err),
                    Kind::Bye(text) => {
                        return Err(ImapError::Bye {
                            command: NAME,
                            text,
                        });
                    }
                    Kind::Data => self.note(&response),
                }
            }
        })
        .await
    }

    /// Ends an IDLE with `DONE` and reads until its completion, within `limit`.
    pub(super) async fn end_idle(
        &mut self,
        tag: &RequestId,
        limit: Duration,
    ) -> Result<(), ImapError> {
        const NAME: &str = "DONE";
        let stop = self.stop.clone();
        timed(NAME, limit, &stop, async {
            self.session
                .run_command_untagged("DONE")
                .await
                .map_err(|source| ImapError::Protocol {
                    doing: NAME,
                    source,
                })?;
            loop {
                let response = self.next_response(NAME).await?;
                match kind(&response, tag, NAME) {
                    Kind::Done(result) => return result,
                    Kind::Bye(text) => {
                        return Err(ImapError::Bye {
                            command: NAME,
                            text,
                        });
                    }
                    Kind::Continue | Kind::Data => self.note(&response),
                }
            }
        })
        .await
    }

    /// The next response on the connection; its end is an error, since a command is waiting.
    pub(super) async fn next_response(
        &mut self,
        command: &'static str,
    ) -> Result<Reply, ImapError> {
        match self.session.read_response().await {
            Ok(Some(response)) => Ok(Reply::new(response, |r| r.parsed())),
            Ok(None) => Err(ImapError::ConnectionLost { command }),
            Err(source) => Err(ImapError::Io { command, source }),
        }
    }

    /// Remembers whether an unsolicited response announced new mail. The server makes each
    /// announcement once, on whatever command it answers: forgotten, new mail would wait for
    /// the next poll.
    pub(super) fn note(&mut self, response: &Reply) {
        if announces_mail(response) {
            self.announced = true;
        }
    }
}

/// `EXISTS` or `RECENT`: new mail in the selected folder.
fn announces_mail(response: &Reply) -> bool {
    matches!(
        response.parsed(),
        Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_))
    )
}

fn kind(response: &Reply, tag: &RequestId, name: &'static str) -> Kind {
    match response.parsed() {
        Response::Done {
            tag: done,
            status,
            outcome,
        } if done == tag => Kind::Done(match status {
            Status::Ok => Ok(()),
            Status::Bad => Err(refused(name, Refusal::Bad, outcome)),
            // NO, and anything a tagged completion must not be (PREAUTH, BYE).
            _ => Err(refused(name, Refusal::No, outcome)),
        }),
        Response::Data {
            status: Status::Bye,
            outcome,
        } => Kind::Bye(words(outcome)),
        Response::Continue(_) => Kind::Continue,
        _ => Kind::Data,
    }
}

fn refused(
    command: &'static str,
    status: Refusal,
    outcome: &async_imap::imap_proto::Outcome<'_>,
) -> ImapError {
    ImapError::Refused {
        command,
        status,
        text: words(outcome),
    }
}

/// The server's words: its response code, when the parser knew it, then its text (which
/// keeps the codes the parser does not know, such as `[UNAVAILABLE]`).
fn words(outcome: &async_imap::imap_proto::Outcome<'_>) -> String {
    let code = outcome.code.as_ref().map(|code| match code {
        ResponseCode::Alert => "[ALERT] ".to_owned(),
        ResponseCode::Parse => "[PARSE] ".to_owned(),
        ResponseCode::TryCreate => "[TRYCREATE] ".to_owned(),
        ResponseCode::ReadOnly => "[READ-ONLY] ".to_owned(),
        other => format!("[{other:?}] "),
    });
    let text = outcome.information.as_deref().unwrap_or_default().trim();
    format!("{}{text}", code.unwrap_or_default())
}

/// A command given `limit` to complete, and at most [`SHUTDOWN_TIMEOUT`] once shutdown is
/// requested: a server that stalls must not hold up a stop (a download may take minutes, and
/// a service manager kills what does not stop within seconds). Abandoning a command leaves
/// the session unusable, which the caller then drops; nothing is lost, since the database was
/// committed first and the ledger redoes any server action that was cut off.
pub(super) async fn timed<T>(
    doing: &'static str,
    limit: Duration,
    stop: &Shutdown,
    future: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    let abandoned = async {
        stop.wait().await;
        tokio::time::sleep(SHUTDOWN_TIMEOUT).await;
    };
    tokio::select! {
        answered = tokio::time::timeout(limit, future) => answered.unwrap_or(Err(ImapError::Timeout {
            doing,
            seconds: limit.as_secs(),
        })),
        () = abandoned => Err(ImapError::Timeout {
            doing,
            seconds: SHUTDOWN_TIMEOUT.as_secs(),
        }),
    }
}

/// A folder name as an IMAP quoted string (RFC 3501 §4.3), in modified UTF-7. Names come from
/// the config and from LIST; the encoding turns a line break, which could smuggle a command,
/// into base64 like any other character outside printable ASCII.
pub(super) fn quoted(name: &str) -> String {
    let name = super::utf7::encode(name);
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_quoted_without_line_breaks() {
        assert_eq!(quoted("Sent"), "\"Sent\"");
        assert_eq!(quoted("a \"b\" \\c"), "\"a \\\"b\\\" \\\\c\"");
        assert_eq!(
            quoted("x\r\nA1 DELETE INBOX"),
            "\"x&AA0ACg-A1 DELETE INBOX\""
        );
        assert_eq!(quoted("Envoyés"), "\"Envoy&AOk-s\"");
    }
}
