//! A relay in front of the real Dovecot that makes one command fail once, the way a server in
//! trouble does: its tagged completion becomes `NO [UNAVAILABLE]`, or the untagged answers
//! stop after a few, or the connection closes in the middle of the answer. Every other byte
//! passes through unchanged, so the rest of the session is Dovecot's own. The relay also
//! records every command line it saw, so that a test can tell which path the client took.
//!
//! It can also make Dovecot a server that never pushes, as Debian's Cyrus without `idled` and
//! Courier without `IMAP_ENHANCEDIDLE` are: the `* n EXISTS` and `* n RECENT` that Dovecot
//! sends during an IDLE are dropped, and the client hears of new mail only when it asks.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What happens to the first command whose line contains `command` (once the faults before
/// it are spent).
#[derive(Debug, Clone)]
pub struct Fault {
    /// A piece of the command line: `"SELECT"`, `"UID SEARCH"`, `"BODY.PEEK"`… `"DONE"`
    /// matches the line that ends an IDLE, whose completion carries the IDLE's tag.
    pub command: &'static str,
    pub effect: Effect,
    /// Only a command whose UID set holds this UID.
    pub uid: Option<u32>,
    /// Every such command, not only the first.
    pub always: bool,
}

impl Fault {
    pub fn once(command: &'static str, effect: Effect) -> Fault {
        Fault {
            command,
            effect,
            uid: None,
            always: false,
        }
    }

    /// Every command whose line holds `command` gets `effect`, until [`FaultyRelay::heal`].
    pub fn always(command: &'static str, effect: Effect) -> Fault {
        Fault {
            command,
            effect,
            uid: None,
            always: true,
        }
    }

    /// Every command whose UID set holds `uid` is refused: a message the server cannot send.
    pub fn always_for_uid(command: &'static str, uid: u32) -> Fault {
        Fault {
            command,
            effect: Effect::Refuse,
            uid: Some(uid),
            always: true,
        }
    }

    fn matches(&self, command: &str) -> bool {
        command.contains(self.command) && self.uid.is_none_or(|uid| set_holds(command, uid))
    }
}

/// Whether the UID set of `UID FETCH set …` holds `uid`.
fn set_holds(command: &str, uid: u32) -> bool {
    let Some(set) = command.split_whitespace().nth(2) else {
        return false;
    };
    set.split(',').any(|range| match range.split_once(':') {
        Some((low, high)) => {
            let (low, high) = (
                low.parse().unwrap_or(u32::MAX),
                high.parse().unwrap_or(u32::MAX),
            );
            (low.min(high)..=low.max(high)).contains(&uid)
        }
        None => range.parse() == Ok(uid),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The command never reaches the server, and the relay answers `NO`: a real refusal.
    Refuse,
    /// The untagged answers pass, then the completion says `NO`.
    No,
    /// The server says `BYE` instead of completing the command, and closes the connection.
    Bye,
    /// The first `n` untagged answers pass, the rest are dropped, and the completion says
    /// `NO`.
    KeepThenNo(usize),
    /// The first `n` untagged answers pass, the rest are dropped, and the completion says
    /// `OK`: a server that lies.
    KeepThenOk(usize),
    /// The first `n` untagged answers pass, then half of the next, then the connection
    /// closes.
    KeepThenClose(usize),
    /// The untagged answers pass, then the connection closes instead of the completion.
    Close,
}

pub const INJECTED: &str = "[UNAVAILABLE] injected fault";

pub struct FaultyRelay {
    pub port: u16,
    faults: Arc<Mutex<Vec<Fault>>>,
    counts: Arc<Counts>,
    commands: Arc<Mutex<Vec<String>>>,
}

/// What the relay did, over all its connections.
#[derive(Default)]
struct Counts {
    /// Commands that met a fault.
    injected: AtomicUsize,
    /// IDLE commands the client sent.
    idles: AtomicUsize,
    /// `* n EXISTS` and `* n RECENT` dropped during an IDLE.
    swallowed: AtomicUsize,
    /// Whether announcements during IDLE are dropped.
    no_push: AtomicBool,
}

impl FaultyRelay {
    /// A relay to Dovecot's plain IMAP port, failing these commands once each, in order.
    pub async fn start(target: u16, faults: Vec<Fault>) -> FaultyRelay {
        Self::start_with(target, faults, false).await
    }

    /// A relay that makes Dovecot a server that never pushes: it accepts IDLE, and what it
    /// announces during one is dropped.
    pub async fn start_without_push(target: u16) -> FaultyRelay {
        Self::start_with(target, Vec::new(), true).await
    }

    async fn start_with(target: u16, faults: Vec<Fault>, no_push: bool) -> FaultyRelay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let faults = Arc::new(Mutex::new(faults));
        let counts = Arc::new(Counts::default());
        counts.no_push.store(no_push, Ordering::SeqCst);
        let (shared, shared_counts) = (Arc::clone(&faults), Arc::clone(&counts));
        let commands = Arc::default();
        let seen = Arc::clone(&commands);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
                    return;
                };
                tokio::spawn(relay(
                    client,
                    server,
                    Arc::clone(&shared),
                    Arc::clone(&shared_counts),
                    Arc::clone(&seen),
                ));
            }
        });
        FaultyRelay {
            port,
            faults,
            counts,
            commands,
        }
    }

    /// Every command line the client sent so far, without its tag (`UID MOVE 1:3 "X"`).
    pub fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    /// The faults not injected yet.
    pub fn left(&self) -> usize {
        self.faults.lock().unwrap().len()
    }

    /// How many commands met a fault.
    pub fn injected(&self) -> usize {
        self.counts.injected.load(Ordering::SeqCst)
    }

    /// How many IDLE commands the client sent.
    pub fn idles(&self) -> usize {
        self.counts.idles.load(Ordering::SeqCst)
    }

    /// How many announcements of new mail were dropped during an IDLE.
    pub fn swallowed(&self) -> usize {
        self.counts.swallowed.load(Ordering::SeqCst)
    }

    /// No more faults: the server is healthy from now on.
    pub fn heal(&self) {
        self.faults.lock().unwrap().clear();
    }
}

/// `* n EXISTS` or `* n RECENT`: the news a server pushes during IDLE.
fn is_announcement(response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&response[..response.len().min(64)]);
    let words: Vec<&str> = text.split_whitespace().collect();
    matches!(words.as_slice(), ["*", n, what] if n.parse::<u32>().is_ok()
        && (what.eq_ignore_ascii_case("EXISTS") || what.eq_ignore_ascii_case("RECENT")))
}

/// The command being answered with a fault: its tag and what to do.
#[derive(Debug, Clone)]
struct Armed {
    tag: String,
    effect: Effect,
}

async fn relay(
    client: TcpStream,
    server: TcpStream,
    faults: Arc<Mutex<Vec<Fault>>>,
    counts: Arc<Counts>,
    commands: Arc<Mutex<Vec<String>>>,
) {
    let (client_read, client_write) = client.into_split();
    // Both directions answer the client: the server's responses, and the relay's refusals.
    let client_write = Arc::new(tokio::sync::Mutex::new(client_write));
    let refusals = Arc::clone(&client_write);
    let (server_read, mut server_write) = server.into_split();
    let armed: Arc<Mutex<Option<Armed>>> = Arc::default();
    let armed_up = Arc::clone(&armed);
    // Whether this connection is in IDLE: from the client's IDLE to its DONE.
    let idling = Arc::new(AtomicBool::new(false));
    let (idling_up, counts_up) = (Arc::clone(&idling), Arc::clone(&counts));
    let upstream = tokio::spawn(async move {
        let mut reader = BufReader::new(client_read);
        // Line by line, a literal after its line: a client waits for the server's go-ahead
        // before it sends a synchronising literal.
        let mut last_tag = String::new();
        loop {
            let mut chunk = Vec::new();
            match reader.read_until(b'\n', &mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&chunk).into_owned();
            // `DONE` has no tag of its own: it completes the IDLE sent before it.
            let (tag, rest) = if line.trim_end() == "DONE" {
                (last_tag.clone(), "DONE".to_owned())
            } else {
                let mut parts = line.splitn(2, ' ');
                let tag = parts.next().unwrap_or_default().to_owned();
                last_tag.clone_from(&tag);
                (tag, parts.next().unwrap_or_default().trim_end().to_owned())
            };
            commands.lock().unwrap().push(rest.clone());
            let (tag, rest) = (tag.as_str(), rest.as_str());
            if rest.trim().eq_ignore_ascii_case("IDLE") {
                counts_up.idles.fetch_add(1, Ordering::SeqCst);
                idling_up.store(true, Ordering::SeqCst);
            } else if line.trim().eq_ignore_ascii_case("DONE") {
                idling_up.store(false, Ordering::SeqCst);
            }
            let fault = {
                let mut faults = faults.lock().unwrap();
                // In order: the second fault waits for the first to be spent.
                match faults.first() {
                    Some(fault) if fault.always && fault.matches(rest) => Some(fault.clone()),
                    Some(fault) if fault.matches(rest) => Some(faults.remove(0)),
                    _ => None,
                }
            };
            if fault.is_some() {
                counts_up.injected.fetch_add(1, Ordering::SeqCst);
            }
            match fault {
                Some(Fault {
                    effect: Effect::Refuse,
                    ..
                }) => {
                    let refusal = format!("{tag} NO {INJECTED}\r\n");
                    if refusals
                        .lock()
                        .await
                        .write_all(refusal.as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
                Some(fault) => {
                    *armed_up.lock().unwrap() = Some(Armed {
                        tag: tag.to_owned(),
                        effect: fault.effect,
                    });
                }
                None => {}
            }
            if server_write.write_all(&chunk).await.is_err() {
                return;
            }
            if let Some(size) = literal_size(&chunk) {
                let mut literal = vec![0u8; size];
                if reader.read_exact(&mut literal).await.is_err()
                    || server_write.write_all(&literal).await.is_err()
                {
                    return;
                }
            }
        }
    });
    let mut reader = BufReader::new(server_read);
    let mut kept = 0;
    while let Some(response) = read_response(&mut reader).await {
        if counts.no_push.load(Ordering::SeqCst)
            && idling.load(Ordering::SeqCst)
            && is_announcement(&response)
        {
            counts.swallowed.fetch_add(1, Ordering::SeqCst);
            continue;
        }
        let current = armed.lock().unwrap().clone();
        let mut client_write = client_write.lock().await;
        let Some(Armed { tag, effect }) = current else {
            if client_write.write_all(&response).await.is_err() {
                break;
            }
            continue;
        };
        let text = String::from_utf8_lossy(&response[..response.len().min(200)]).into_owned();
        let tagged = text.starts_with(&format!("{tag} "));
        if !tagged {
            let pass = match effect {
                Effect::No | Effect::Refuse | Effect::Bye | Effect::Close => true,
                Effect::KeepThenNo(n) | Effect::KeepThenOk(n) => {
                    kept += 1;
                    kept <= n
                }
                Effect::KeepThenClose(n) => {
                    kept += 1;
                    if kept > n {
                        let _ = client_write
                            .write_all(&response[..response.len() / 2])
                            .await;
                        break;
                    }
                    true
                }
            };
            if pass && client_write.write_all(&response).await.is_err() {
                break;
            }
            continue;
        }
        *armed.lock().unwrap() = None;
        kept = 0;
        if effect == Effect::Close {
            break;
        }
        let completion = match effect {
            Effect::KeepThenOk(_) => format!("{tag} OK done\r\n"),
            Effect::Bye => format!("* BYE {INJECTED}\r\n"),
            _ => format!("{tag} NO {INJECTED}\r\n"),
        };
        if client_write.write_all(completion.as_bytes()).await.is_err() || effect == Effect::Bye {
            break;
        }
    }
    upstream.abort();
}

/// One whole line of the protocol, with the literals it announces (`{n}` at a line's end).
async fn read_response(reader: &mut BufReader<impl AsyncRead + Unpin>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let start = out.len();
        let read = reader.read_until(b'\n', &mut out).await.ok()?;
        if read == 0 {
            return None;
        }
        let line = &out[start..];
        let Some(size) = literal_size(line) else {
            return Some(out);
        };
        let mut literal = vec![0u8; size];
        reader.read_exact(&mut literal).await.ok()?;
        out.extend_from_slice(&literal);
    }
}

/// `n` when a line ends with `{n}` or `{n+}`.
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let inner = line.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    inner[open + 1..].trim_end_matches('+').parse().ok()
}
