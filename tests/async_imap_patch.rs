//! The vendored async-imap (vendor/async-imap, PATCHED.md) reads into its buffer's spare
//! capacity instead of zeroing it first; it must hand over exactly the responses, and the
//! errors, of the crate it was taken from. Both read the same generated server output (untagged
//! and tagged responses, FETCH literals from empty to several read buffers long, junk, a
//! connection cut mid-response), delivered in the same arbitrary pieces, with a read that is
//! not ready yet before every piece.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use proptest::prelude::*;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A server connection that delivers `pieces` one read at a time, each after a `Pending`.
#[derive(Debug)]
struct Pieces {
    pieces: VecDeque<Vec<u8>>,
    ready: bool,
}

impl Pieces {
    fn new(output: &[u8], cuts: &[usize]) -> Pieces {
        let mut pieces = VecDeque::new();
        let mut cuts = cuts.iter().cycle();
        let mut rest = output;
        while !rest.is_empty() {
            let cut = *cuts.next().expect("at least one cut");
            let (piece, after) = rest.split_at(cut.min(rest.len()));
            pieces.push_back(piece.to_vec());
            rest = after;
        }
        Pieces {
            pieces,
            ready: false,
        }
    }
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        if let Some(mut piece) = self.pieces.pop_front() {
            let n = piece.len().min(buf.remaining());
            buf.put_slice(&piece[..n]);
            if n < piece.len() {
                piece.drain(..n);
                self.pieces.push_front(piece);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Pieces {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// What a client reads from the connection until it ends: each response as imap-proto parsed
/// it (both crates use the same imap-proto), or the error that ended the stream.
type Read = Vec<Result<String, String>>;

macro_rules! read_all {
    ($krate:ident, $output:expr, $cuts:expr) => {{
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let mut client = $krate::Client::new(Pieces::new($output, $cuts));
            let mut read = Read::new();
            loop {
                match client.read_response().await {
                    Ok(Some(response)) => read.push(Ok(format!("{:?}", response.parsed()))),
                    Ok(None) => break,
                    Err(err) => {
                        read.push(Err(err.to_string()));
                        break;
                    }
                }
            }
            read
        })
    }};
}

/// One response of a server's output.
fn response() -> impl Strategy<Value = Vec<u8>> {
    let literal = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..3_000),
        1 => proptest::collection::vec(any::<u8>(), 3_000..70_000),
    ];
    prop_oneof![
        Just(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n".to_vec()),
        (1u32..100_000).prop_map(|n| format!("* {n} EXISTS\r\n").into_bytes()),
        (1u32..1_000, literal).prop_map(|(n, body)| {
            let mut out = format!(
                "* {n} FETCH (UID {} RFC822.SIZE {} BODY[] {{{}}}\r\n",
                n + 7,
                body.len(),
                body.len()
            )
            .into_bytes();
            out.extend_from_slice(&body);
            out.extend_from_slice(b")\r\n");
            out
        }),
        (1u32..1_000).prop_map(|n| format!("a{n} OK UID FETCH completed\r\n").into_bytes()),
        Just(b"+ idling\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..40),
    ]
}

fn output() -> impl Strategy<Value = (Vec<u8>, usize)> {
    proptest::collection::vec(response(), 1..6).prop_flat_map(|responses| {
        let output = responses.concat();
        let len = output.len();
        // Cut anywhere, including mid-response: the connection then ends with bytes unread.
        (Just(output), 0..=len)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_patched_stream_reads_what_upstream_reads(
        (output, end) in output(),
        cuts in proptest::collection::vec(1usize..20_000, 1..8),
    ) {
        let output = &output[..end];
        let patched = read_all!(async_imap, output, &cuts);
        let upstream = read_all!(async_imap_upstream, output, &cuts);
        prop_assert_eq!(patched, upstream);
    }
}

/// A literal far larger than a read buffer arrives whole, and the tagged response after it too.
#[test]
fn a_literal_of_many_reads_arrives_whole() {
    let body: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let mut output = format!("* 1 FETCH (UID 9 BODY[] {{{}}}\r\n", body.len()).into_bytes();
    output.extend_from_slice(&body);
    output.extend_from_slice(b")\r\na1 OK done\r\n");
    let patched = read_all!(async_imap, &output, &[1_000, 65_536, 7]);
    assert_eq!(
        patched.len(),
        2,
        "{:?}",
        patched
            .iter()
            .map(|r| r.as_ref().map(|s| s.len()))
            .collect::<Vec<_>>()
    );
    assert!(
        patched[0]
            .as_ref()
            .is_ok_and(|fetch| fetch.contains("Uid(9)"))
    );
    assert!(
        patched[1]
            .as_ref()
            .is_ok_and(|done| done.contains("\"a1\""))
    );
    assert_eq!(
        patched,
        read_all!(async_imap_upstream, &output, &[1_000, 65_536, 7])
    );
}
