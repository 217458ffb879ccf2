//! The IMAP adapter: a client for one account, built on async-imap, that knows nothing of
//! the pipeline or the database.
//!
//! It owns the protocol's traps (see TESTING.md): every command's tagged completion is
//! checked in one place ([`command`]); every command has a timeout; the greeting is read
//! explicitly; a FETCH that returns fewer messages than asked is an error unless a successful
//! search shows the missing ones expunged; a SELECT without UIDVALIDITY is an error; `UID
//! FETCH n:*` answers below `n` are filtered; and bodies are read with `BODY.PEEK[]`, so that
//! `\Seen` is never set.
//!
//! - [`connect`]: TCP, greeting, TLS or STARTTLS, login;
//! - [`tls`]: the certificate roots and the handshake;
//! - [`command`]: sending a command and checking its completion;
//! - [`folders`]: capabilities, LIST, SELECT, STATUS, SEARCH;
//! - [`messages`]: sizes, FETCH, STORE, MOVE, APPEND;
//! - [`idle`]: waiting for news (RFC 2177);
//! - [`utf7`]: folder names in modified UTF-7.

mod command;
mod connect;
mod error;
mod folders;
mod idle;
mod messages;
mod tls;
mod utf7;

use async_imap::Session;

pub use error::{ImapError, Refusal};
pub use folders::{Folder, FolderState};
pub use idle::IdleEnd;
pub use messages::Fetched;
pub use tls::client_config;

use crate::shutdown::Shutdown;

/// The keyword set on filed mail with `after_filing = "keyword"`.
pub const FILED_KEYWORD: &str = "$Applymail-Filed";

/// A byte stream IMAP can run over: plain TCP or TLS.
pub trait Transport:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + Sync + std::fmt::Debug
{
}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + Sync + std::fmt::Debug>
    Transport for T
{
}

type Stream = Box<dyn Transport>;

/// One authenticated IMAP session.
pub struct ImapClient {
    session: Session<Stream>,
    capabilities: Vec<String>,
    user: String,
    /// The server announced new mail (EXISTS or RECENT) in the selected folder since it was
    /// last searched.
    announced: bool,
    /// The folder selected now, with its UIDVALIDITY and whether it keeps our keyword.
    selected: Option<Selected>,
    /// What cuts a command short once shutdown is requested.
    stop: Shutdown,
}

#[derive(Debug, Clone)]
struct Selected {
    name: String,
    state: FolderState,
}

impl ImapClient {
    fn new(session: Session<Stream>, user: String) -> ImapClient {
        ImapClient {
            session,
            capabilities: Vec::new(),
            user,
            announced: false,
            selected: None,
            stop: Shutdown::never(),
        }
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
    /// shutdown is requested, and IDLE ends at once.
    pub fn stop_on(&mut self, shutdown: &Shutdown) {
        self.stop = shutdown.clone();
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Ends the session politely; a server that is already gone is not an error here.
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(command::SHUTDOWN_TIMEOUT, self.session.logout()).await;
    }
}
