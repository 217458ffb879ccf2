//! One authenticated IMAP session and the few operations applymail needs.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::NameAttribute;
use async_imap::types::{Fetch, UnsolicitedResponse};
use async_imap::{Authenticator, Client, Session};
use bytes::Bytes;
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::ImapError;
use crate::config::{ImapAuth, ImapSettings, Security};
use crate::domain::cursor::{Cursor, Uid, UidValidity};
use crate::shutdown::Shutdown;

/// How long one command may take. Bodies are fetched in batches small enough to arrive well
/// within it on any link a mailbox is read over.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a connection and TLS handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to end a session once applymail is stopping.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// A byte stream IMAP can run over: plain TCP or TLS.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + Sync + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync + Debug> Transport for T {}

type Stream = Box<dyn Transport>;

pub struct ImapClient {
    session: Session<Stream>,
    capabilities: Vec<String>,
    user: String,
    /// The server announced new mail (EXISTS or RECENT) in the selected folder since it was
    /// last searched. Announcements ride on the responses to any command, and the server
    /// makes each one once: forgotten, new mail would wait for the next poll.
    announced: bool,
    /// The folder selected now, and its UIDVALIDITY.
    selected: Option<(String, UidValidity)>,
    /// What cuts a command short once shutdown is requested ([`timed_until`]).
    stop: Shutdown,
}

/// A folder as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub name: String,
    /// SPECIAL-USE attributes (RFC 6154), such as `\Sent`.
    pub special_use: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderState {
    pub validity: UidValidity,
    pub exists: u32,
    /// UIDNEXT, when the server announced it: every message the selection holds has a lower
    /// UID, and every message added later a higher one (RFC 3501 §2.3.1.1).
    pub next: Option<Uid>,
}

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

/// A command given `limit` to complete, on a connection being opened (nothing is in hand, and
/// the caller races the whole connection against shutdown).
async fn timed<T, E>(
    doing: &'static str,
    limit: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    E: Into<async_imap::error::Error>,
{
    timed_until(doing, limit, Shutdown::never(), future).await
}

/// A command given `limit` to complete, and at most [`SHUTDOWN_TIMEOUT`] once shutdown is
/// requested: a server that stalls must not hold up a stop (a download may take minutes,
/// and a service manager kills what does not stop within seconds). Abandoning a command
/// leaves the session unusable, which the caller then drops; nothing is lost, since the
/// database was committed first and the ledger redoes any server action that was cut off.
async fn timed_until<T, E>(
    doing: &'static str,
    limit: Duration,
    stop: Shutdown,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    E: Into<async_imap::error::Error>,
{
    let abandoned = async {
        stop.wait().await;
        tokio::time::sleep(SHUTDOWN_TIMEOUT).await;
    };
    tokio::select! {
        answered = tokio::time::timeout(limit, future) => match answered {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(ImapError::Protocol {
                doing,
                source: err.into(),
            }),
            Err(_) => Err(ImapError::Timeout {
                doing,
                seconds: limit.as_secs(),
            }),
        },
        () = abandoned => Err(ImapError::Timeout {
            doing,
            seconds: SHUTDOWN_TIMEOUT.as_secs(),
        }),
    }
}

struct XOAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl Authenticator for XOAuth2<'_> {
    type Response = String;
    // RFC 7628-style initial response used by Gmail and Microsoft 365.
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

impl ImapClient {
    /// Connects, secures and authenticates. Plain text is only ever used when the config says
    /// `security = "plain"` (itself refused off loopback unless `allow_plaintext`).
    pub async fn connect(
        settings: &ImapSettings,
        tls: Arc<rustls::ClientConfig>,
    ) -> Result<ImapClient, ImapError> {
        let host = settings.host.as_str();
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, settings.port)))
            .await
            .map_err(|_| ImapError::Timeout {
                doing: "connecting",
                seconds: CONNECT_TIMEOUT.as_secs(),
            })?
            .map_err(|source| ImapError::Connect {
                host: host.into(),
                port: settings.port,
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let client: Client<Stream> = match settings.security {
            Security::Plain => greeted(Client::new(Box::new(tcp) as Stream)).await?,
            Security::Tls => {
                greeted(Client::new(
                    Box::new(handshake(host, tcp, tls).await?) as Stream
                ))
                .await?
            }
            Security::Starttls => {
                let mut plain = greeted(Client::new(tcp)).await?;
                // A server that refuses STARTTLS (or a man in the middle that stripped it)
                // must never get the password in clear.
                match timed(
                    "STARTTLS",
                    COMMAND_TIMEOUT,
                    plain.run_command_and_check_ok("STARTTLS", None),
                )
                .await
                {
                    Ok(()) => {}
                    Err(ImapError::Protocol {
                        source: async_imap::error::Error::Bad(_) | async_imap::error::Error::No(_),
                        ..
                    }) => {
                        return Err(ImapError::NoStarttls { host: host.into() });
                    }
                    Err(other) => return Err(other),
                }
                let tcp = plain.into_inner();
                Client::new(Box::new(handshake(host, tcp, tls).await?) as Stream)
            }
        };
        let user = settings.username.clone();
        let login = match &settings.auth {
            ImapAuth::Password(source) => {
                let password = source
                    .resolve()
                    .await
                    .map_err(|e| ImapError::Credentials(e.to_string()))?;
                tokio::time::timeout(COMMAND_TIMEOUT, client.login(&user, password.expose())).await
            }
            ImapAuth::XOAuth2 { token } => {
                let token = token
                    .resolve()
                    .await
                    .map_err(|e| ImapError::Credentials(e.to_string()))?;
                let auth = XOAuth2 {
                    user: &user,
                    token: token.expose(),
                };
                tokio::time::timeout(COMMAND_TIMEOUT, client.authenticate("XOAUTH2", auth)).await
            }
        };
        let mut session = match login {
            Err(_) => {
                return Err(ImapError::Timeout {
                    doing: "logging in",
                    seconds: COMMAND_TIMEOUT.as_secs(),
                });
            }
            Ok(Ok(session)) => session,
            Ok(Err((err, _client))) => {
                return Err(match err {
                    async_imap::error::Error::No(reason)
                    | async_imap::error::Error::Bad(reason) => ImapError::Auth {
                        user,
                        reason: server_text(&reason),
                    },
                    other => ImapError::Protocol {
                        doing: "logging in",
                        source: other,
                    },
                });
            }
        };
        let capabilities = timed("CAPABILITY", COMMAND_TIMEOUT, session.capabilities())
            .await?
            .iter()
            .map(|c| match c {
                async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_owned(),
                async_imap::types::Capability::Auth(a) => {
                    format!("AUTH={}", a.to_ascii_uppercase())
                }
                async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        Ok(ImapClient {
            session,
            capabilities,
            user,
            announced: false,
            selected: None,
            stop: Shutdown::never(),
        })
    }

    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    pub fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    /// From now on, a command the server leaves unanswered is abandoned a few seconds after
    /// shutdown is requested, and IDLE ends at once ([`timed_until`]).
    pub fn stop_on(&mut self, shutdown: &Shutdown) {
        self.stop = shutdown.clone();
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub async fn folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let names: Vec<_> = timed_until("LIST", COMMAND_TIMEOUT, self.stop.clone(), async {
            self.session
                .list(Some(""), Some("*"))
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(names
            .iter()
            .map(|name| Folder {
                name: name.name().to_owned(),
                special_use: name
                    .attributes()
                    .iter()
                    .filter_map(|a| match a {
                        NameAttribute::All => Some("\\All"),
                        NameAttribute::Archive => Some("\\Archive"),
                        NameAttribute::Drafts => Some("\\Drafts"),
                        NameAttribute::Flagged => Some("\\Flagged"),
                        NameAttribute::Junk => Some("\\Junk"),
                        NameAttribute::Sent => Some("\\Sent"),
                        NameAttribute::Trash => Some("\\Trash"),
                        _ => None,
                    })
                    .map(str::to_owned)
                    .collect(),
            })
            .collect())
    }

    /// Selects a folder. A response without UIDVALIDITY (what async-imap returns on a dropped
    /// connection) is an error, never "a folder without a cursor".
    pub async fn select(&mut self, folder: &str) -> Result<FolderState, ImapError> {
        // A SELECT that fails leaves no folder selected (RFC 3501 §6.3.1).
        self.selected = None;
        let mailbox = timed_until(
            "SELECT",
            COMMAND_TIMEOUT,
            self.stop.clone(),
            self.session.select(folder),
        )
        .await
        .map_err(|e| e.naming_folder(folder))?;
        let validity = mailbox
            .uid_validity
            .and_then(UidValidity::new)
            .ok_or_else(|| ImapError::NoUidValidity {
                folder: folder.into(),
            })?;
        // The selection's own EXISTS is the snapshot this pass starts from, not news.
        self.drain_unsolicited();
        self.announced = false;
        self.selected = Some((folder.to_owned(), validity));
        Ok(FolderState {
            validity,
            exists: mailbox.exists,
            next: mailbox.uid_next.and_then(Uid::new),
        })
    }

    /// The UIDVALIDITY of `folder` if it is the folder selected now. Such a folder need not
    /// be selected again to see its new mail: the server reports what changed with the
    /// answer to any command, a search included. A new SELECT makes the server open the
    /// folder afresh, which for Dovecot's Maildir grows with its size (about 0.6 s at
    /// 20,000 messages). Its UIDVALIDITY cannot change while it stays selected: a server
    /// that must renumber ends the session.
    pub fn still_selected(&self, folder: &str) -> Option<UidValidity> {
        self.selected
            .as_ref()
            .filter(|(name, _)| name == folder)
            .map(|&(_, validity)| validity)
    }

    /// A folder's UIDVALIDITY and next UID (STATUS), without leaving the selected folder.
    /// `None` when the server leaves either out.
    pub async fn next_uid(&mut self, folder: &str) -> Result<Option<Cursor>, ImapError> {
        let status = timed_until(
            "STATUS",
            COMMAND_TIMEOUT,
            self.stop.clone(),
            self.session.status(folder, "(UIDVALIDITY UIDNEXT)"),
        )
        .await
        .map_err(|e| e.naming_folder(folder))?;
        self.drain_unsolicited();
        Ok(status
            .uid_validity
            .and_then(UidValidity::new)
            .zip(status.uid_next.and_then(Uid::new))
            .map(|(validity, next)| Cursor { validity, next }))
    }

    /// The UIDs at or after `start` in the selected folder, in order. The range is closed:
    /// `UID n:*` would also answer the highest UID when it is below `n` (RFC 3501 §6.4.8),
    /// and some servers refuse `*` in an empty folder, which a folder still selected from an
    /// earlier pass may have become.
    pub async fn uids_from(&mut self, start: Uid) -> Result<Vec<Uid>, ImapError> {
        // Mail announced from here on may have arrived after the search: it stays news.
        self.drain_unsolicited();
        self.announced = false;
        let found = timed_until(
            "UID SEARCH",
            COMMAND_TIMEOUT,
            self.stop.clone(),
            self.session.uid_search(format!("UID {start}:{}", u32::MAX)),
        )
        .await?;
        let mut uids: Vec<Uid> = found
            .into_iter()
            .filter_map(Uid::new)
            .filter(|u| *u >= start)
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The sizes the server announces (RFC822.SIZE), so that oversized mail is never
    /// downloaded.
    pub async fn sizes(&mut self, uids: &[Uid]) -> Result<Vec<(Uid, u64)>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let wanted: BTreeSet<Uid> = uids.iter().copied().collect();
        // Each response is dropped as soon as its size is read: a response keeps the whole
        // read buffer it was parsed from (at least 4 KB), so collecting a window's thousand
        // responses first held 4 MB at once, and the allocator kept it.
        let mut sizes = timed_until("UID FETCH", COMMAND_TIMEOUT, self.stop.clone(), async {
            self.session
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .await?
                .try_fold(Vec::with_capacity(uids.len()), |mut sizes, f| {
                    if let Some((uid, size)) = f.uid.and_then(Uid::new).zip(f.size) {
                        sizes.push((uid, u64::from(size)));
                    }
                    std::future::ready(Ok(sizes))
                })
                .await
        })
        .await?;
        sizes.retain(|(uid, _)| wanted.contains(uid));
        sizes.sort_unstable();
        sizes.dedup_by_key(|(uid, _)| *uid);
        self.drain_unsolicited();
        Ok(sizes)
    }

    /// Fetches whole messages without setting `\Seen`. Every UID asked for comes back, or was
    /// expunged meanwhile; anything else (a BAD, a NO, a dropped connection, which async-imap
    /// all report as a short success) is an error.
    pub async fn fetch(
        &mut self,
        folder: &str,
        uids: &[Uid],
    ) -> Result<Vec<(Uid, Bytes)>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let limit = COMMAND_TIMEOUT * 5;
        let fetches: Vec<_> = timed_until("UID FETCH", limit, self.stop.clone(), async {
            self.session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        let wanted: BTreeSet<Uid> = uids.iter().copied().collect();
        let mut bodies: Vec<(Uid, Bytes)> = fetches
            .into_iter()
            .filter_map(|f| {
                let uid = f.uid.and_then(Uid::new)?;
                f.body()?;
                Some((uid, Bytes::from_owner(FetchedBody(f))))
            })
            .filter(|(uid, _)| wanted.contains(uid))
            .collect();
        bodies.sort_by_key(|(uid, _)| *uid);
        bodies.dedup_by_key(|(uid, _)| *uid);
        if bodies.len() < uids.len() {
            let got: BTreeSet<Uid> = bodies.iter().map(|(u, _)| *u).collect();
            let missing: Vec<Uid> = wanted.difference(&got).copied().collect();
            let still_there = timed_until(
                "UID SEARCH",
                COMMAND_TIMEOUT,
                self.stop.clone(),
                self.session
                    .uid_search(format!("UID {}", uid_set(&missing))),
            )
            .await?;
            if !still_there.is_empty() {
                return Err(ImapError::ShortFetch {
                    folder: folder.into(),
                    asked: uids.len(),
                    got: bodies.len(),
                });
            }
        }
        self.drain_unsolicited();
        Ok(bodies)
    }

    /// Stores a copy of a message the daemon sent, marked read.
    pub async fn append(&mut self, folder: &str, message: &[u8]) -> Result<(), ImapError> {
        timed_until(
            "APPEND",
            COMMAND_TIMEOUT,
            self.stop.clone(),
            self.session.append(folder, Some("(\\Seen)"), None, message),
        )
        .await?;
        self.drain_unsolicited();
        Ok(())
    }

    /// Adds a keyword to messages of the selected folder (they stay unread where they are).
    pub async fn add_keyword(&mut self, uids: &[Uid], keyword: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let query = format!("+FLAGS.SILENT ({keyword})");
        timed_until("UID STORE", COMMAND_TIMEOUT, self.stop.clone(), async {
            self.session
                .uid_store(uid_set(uids), query)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(())
    }

    /// Moves messages: MOVE (RFC 6851), or COPY + \Deleted + UID EXPUNGE (RFC 4315). Without
    /// UIDPLUS the originals stay, marked \Deleted: a plain EXPUNGE would also remove mail
    /// that someone else marked for deletion.
    pub async fn move_to(&mut self, uids: &[Uid], folder: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.has_capability("MOVE") {
            return timed_until(
                "UID MOVE",
                COMMAND_TIMEOUT,
                self.stop.clone(),
                self.session.uid_mv(&set, folder),
            )
            .await;
        }
        timed_until(
            "UID COPY",
            COMMAND_TIMEOUT,
            self.stop.clone(),
            self.session.uid_copy(&set, folder),
        )
        .await?;
        timed_until("UID STORE", COMMAND_TIMEOUT, self.stop.clone(), async {
            self.session
                .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        if self.has_capability("UIDPLUS") {
            timed_until("UID EXPUNGE", COMMAND_TIMEOUT, self.stop.clone(), async {
                self.session
                    .uid_expunge(&set)
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
        }
        Ok(())
    }

    /// Waits in IDLE (RFC 2177) for at most `wait`, or until shutdown ([`ImapClient::stop_on`]).
    /// The read timeout is the wait itself: only here may the connection stay silent for
    /// long. Ends at once when new mail was announced since the folder was last searched.
    pub async fn idle(mut self, wait: Duration) -> Result<(ImapClient, IdleEnd), ImapError> {
        self.drain_unsolicited();
        let ImapClient {
            session,
            capabilities,
            user,
            mut announced,
            selected,
            stop,
        } = self;
        let unsolicited = session.unsolicited_responses.clone();
        let mut handle = session.idle();
        timed_until("IDLE", COMMAND_TIMEOUT, stop.clone(), handle.init()).await?;
        // A message that arrived just before the server accepted IDLE is announced while
        // IDLE starts, and async-imap files that announcement as unsolicited.
        announced |= std::iter::from_fn(|| unsolicited.try_recv().ok())
            .filter(is_new_mail)
            .count()
            > 0;
        let end = if announced {
            IdleEnd::NewData
        } else {
            let (wait_future, interrupt) = handle.wait_with_timeout(wait);
            tokio::pin!(wait_future);
            tokio::select! {
                response = &mut wait_future => match response {
                    Ok(IdleResponse::NewData(_)) => IdleEnd::NewData,
                    Ok(IdleResponse::Timeout) => IdleEnd::Timeout,
                    // The stream ended under us: the server closed the connection.
                    Ok(IdleResponse::ManualInterrupt) => {
                        return Err(ImapError::Protocol { doing: "IDLE", source: async_imap::error::Error::ConnectionLost });
                    }
                    Err(source) => return Err(ImapError::Protocol { doing: "IDLE", source }),
                },
                () = stop.wait() => {
                    drop(interrupt);
                    let _ = wait_future.await;
                    IdleEnd::Stopped
                }
            }
        };
        // On shutdown, a server slow to end the IDLE is not waited for long: nothing is in
        // hand, and the server ends the IDLE itself when the connection closes.
        let limit = if end == IdleEnd::Stopped {
            SHUTDOWN_TIMEOUT
        } else {
            COMMAND_TIMEOUT
        };
        let session = timed_until("DONE", limit, stop.clone(), handle.done()).await?;
        let mut client = ImapClient {
            session,
            capabilities,
            user,
            announced,
            selected,
            stop,
        };
        client.drain_unsolicited();
        Ok((client, end))
    }

    /// Ends the session politely; a server that is already gone is not an error here.
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, self.session.logout()).await;
    }

    /// Empties the channel of unsolicited responses, which is bounded (async-imap drops what
    /// does not fit), remembering only whether new mail was announced: every pass asks the
    /// server for what it needs.
    fn drain_unsolicited(&mut self) {
        while let Ok(response) = self.session.unsolicited_responses.try_recv() {
            self.announced |= is_new_mail(&response);
        }
    }
}

/// A downloaded message's bytes, where async-imap read them: handed on without a copy.
struct FetchedBody(Fetch);

impl AsRef<[u8]> for FetchedBody {
    fn as_ref(&self) -> &[u8] {
        self.0.body().unwrap_or_default()
    }
}

fn is_new_mail(response: &UnsolicitedResponse) -> bool {
    matches!(
        response,
        UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
    )
}

async fn greeted<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(
    mut client: Client<T>,
) -> Result<Client<T>, ImapError> {
    // async-imap does not read the greeting by itself.
    let greeting = tokio::time::timeout(CONNECT_TIMEOUT, client.read_response())
        .await
        .map_err(|_| ImapError::Timeout {
            doing: "waiting for the greeting",
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|e| ImapError::Protocol {
            doing: "reading the greeting",
            source: e.into(),
        })?;
    match greeting {
        Some(_) => Ok(client),
        None => Err(ImapError::Protocol {
            doing: "reading the greeting",
            source: async_imap::error::Error::ConnectionLost,
        }),
    }
}

async fn handshake(
    host: &str,
    tcp: TcpStream,
    tls: Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ImapError> {
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| ImapError::TlsConfig(format!("mailbox.host {host:?}: {e}")))?;
    tokio::time::timeout(CONNECT_TIMEOUT, TlsConnector::from(tls).connect(name, tcp))
        .await
        .map_err(|_| ImapError::Timeout {
            doing: "the TLS handshake",
            seconds: CONNECT_TIMEOUT.as_secs(),
        })?
        .map_err(|source| ImapError::Tls {
            host: host.into(),
            source,
        })
}

/// The server's own words from async-imap's rendering of a NO or BAD
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`).
fn server_text(reason: &str) -> String {
    match reason.split_once("info: Some(\"") {
        Some((_, rest)) => rest.trim_end_matches(')').trim_end_matches('"').to_owned(),
        None => reason.trim().to_owned(),
    }
}

/// `3,5:7,9` for a sorted list of UIDs.
fn uid_set(uids: &[Uid]) -> String {
    let mut sorted: Vec<u32> = uids.iter().map(|u| u.get()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut iter = sorted.into_iter().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        });
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_extracted() {
        assert_eq!(
            server_text(
                "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_text(" plain "), "plain");
    }

    #[test]
    fn uid_sets_are_compressed() {
        let uids: Vec<Uid> = [9, 3, 5, 6, 7, 3]
            .iter()
            .filter_map(|&u| Uid::new(u))
            .collect();
        assert_eq!(uid_set(&uids), "3,5:7,9");
    }
}
