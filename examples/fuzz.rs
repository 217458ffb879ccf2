//! A mutation fuzzer over everything a sender controls: the whole extraction path
//! (`parse_mail`: MIME, headers, charsets, zips, documents' text) and the triage behind it
//! (subject rule, names, addresses), on stable Rust. cargo-fuzz would need a nightly
//! toolchain; this harness does the same job with the seeds this repository already has.
//!
//! ```sh
//! cargo run --release --example fuzz -- --execs 10000000 --seed 1
//! ```
//!
//! Seeds: `tests/fixtures/corpus`, and `../shared/samples` and `../shared/realworld` when they
//! exist (or the folders given with `--corpus`). Every input gets 1 to 8 mutations (bit flips,
//! byte edits, cuts, duplications, splices with another seed, and MIME-shaped insertions such
//! as boundaries, encoded words, RFC 2231 parameters and megabyte lines). An input that makes
//! the code panic, or takes longer than `--slow-ms`, is written to `target/fuzz/` and counted.
//! The run is deterministic for a given seed and thread count.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use applymail::config::Limits;
use applymail::domain::email::EmailAddress;
use applymail::domain::name::{name_from_display, name_from_subject};
use applymail::domain::organisation::Organisation;
use applymail::domain::posting::{Posting, PostingId};
use applymail::domain::subject::{automatic_subject, strip_prefixes};
use applymail::domain::triage::triage;
use applymail::extract::{ExtractLimits, parse_mail};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const MAX_INPUT: usize = 4 * 1024 * 1024;

const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\n--",
    b"--b\r\n",
    b"boundary=\"b\"",
    b"Content-Type: multipart/mixed; boundary=",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Type: application/zip\r\n",
    b"Content-Type: application/pdf; name=",
    b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"Content-Disposition: attachment; filename*0*=utf-8''%E2%80%AE..%2F; filename*1=\"x.pdf\"",
    b"filename=\"../../etc/passwd\"",
    b"=?utf-8?b?",
    b"=?iso-8859-1?q?",
    b"=?x-unknown?B?AAAA?=",
    b"?=",
    b"charset=\"x-mac-klingon\"",
    b"Subject: Coordination Maroc \xe2\x80\x93 ",
    b"From: \"=?utf-8?q?Z=C3=A9?=\" <a@b>",
    b"In-Reply-To: <",
    b"PK\x03\x04",
    b"%PDF-1.4\n",
    b"\x00",
    b"\xff\xfe",
    b"\xe2\x80\xae",
    b"=\r\n",
];

#[derive(Debug)]
struct Options {
    execs: u64,
    seed: u64,
    threads: u64,
    slow: Duration,
    corpus: Vec<PathBuf>,
    out: PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        execs: 1_000_000,
        seed: 1,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        slow: Duration::from_millis(2_000),
        corpus: Vec::new(),
        out: PathBuf::from("target/fuzz"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| panic!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--execs" => o.execs = value().parse().expect("--execs N"),
            "--seed" => o.seed = value().parse().expect("--seed N"),
            "--threads" => o.threads = value().parse().expect("--threads N"),
            "--slow-ms" => o.slow = Duration::from_millis(value().parse().expect("--slow-ms N")),
            "--corpus" => o.corpus.push(value().into()),
            "--out" => o.out = value().into(),
            other => panic!("unknown option {other}"),
        }
    }
    if o.corpus.is_empty() {
        o.corpus = [
            "tests/fixtures/corpus",
            "../shared/samples",
            "../shared/realworld",
        ]
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    }
    o
}

fn seeds(dirs: &[PathBuf]) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let mail_like = bytes.windows(2).take(4096).any(|w| w == b": ");
                if mail_like && bytes.len() <= 2 * 1024 * 1024 {
                    out.push(bytes);
                }
            }
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        walk(dir, &mut out);
    }
    out
}

fn mutate(rng: &mut SmallRng, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..rng.random_range(1..=8) {
        let len = input.len();
        let at = if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        };
        match rng.random_range(0..10) {
            0 if len > 0 => input[at] ^= 1 << rng.random_range(0..8),
            1 if len > 0 => input[at] = rng.random(),
            2 => {
                let n = rng.random_range(1..16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let end = (at + rng.random_range(1..256)).min(len);
                input.drain(at..end);
            }
            4 if len > 0 => {
                let end = (at + rng.random_range(1..4096)).min(len);
                let chunk = input[at..end].to_vec();
                let times = rng.random_range(1..8);
                for _ in 0..times {
                    input.splice(at..at, chunk.iter().copied());
                }
            }
            5 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                if !other.is_empty() {
                    let from = rng.random_range(0..other.len());
                    let end = (from + rng.random_range(1..8192)).min(other.len());
                    input.splice(at..at, other[from..end].iter().copied());
                }
            }
            6 | 7 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                input.splice(at..at, token.iter().copied());
            }
            8 => input.truncate(at),
            _ => {
                // A long line, up to a megabyte: headers and parameters with no end.
                let n = 1 << rng.random_range(8..20);
                let byte = *b"A=;\"( \t-".get(rng.random_range(0..8)).unwrap_or(&b'A');
                input.splice(at..at, std::iter::repeat_n(byte, n));
            }
        }
        input.truncate(MAX_INPUT);
    }
}

struct Target {
    limits: ExtractLimits,
    postings: Vec<Posting>,
    organisation: Organisation,
}

impl Target {
    fn new() -> Target {
        let posting = |id: &str, title: &str, subject: &str| {
            Posting::new(PostingId::parse(id).unwrap(), title.into(), subject).unwrap()
        };
        Target {
            limits: ExtractLimits::from(&Limits::default()),
            postings: vec![
                posting(
                    "coordination-maroc",
                    "Coordinateur·rice du Partenariat au Maroc",
                    "Coordination Maroc",
                ),
                posting(
                    "chef-projet-senegal",
                    "Chef·fe de projet au Sénégal",
                    "Chef de projet Sénégal",
                ),
            ],
            organisation: Organisation {
                addresses: vec![EmailAddress::parse("contact@ong-exemple.org").unwrap()],
                domains: vec!["ong-exemple.org".into()],
                authserv_id: Some("mx.ong-exemple.org".into()),
                timezone: chrono_tz::Tz::UTC,
            },
        }
    }

    fn run(&self, input: &[u8]) {
        if let Ok(mail) = parse_mail(input, &self.limits) {
            std::hint::black_box(triage(&mail, &self.postings, &self.organisation));
        }
        // The subject and name parsers also see raw text directly.
        let text = String::from_utf8_lossy(&input[..input.len().min(2048)]);
        for posting in &self.postings {
            std::hint::black_box(posting.analyse(&text));
        }
        std::hint::black_box(strip_prefixes(&text));
        std::hint::black_box(automatic_subject(&text));
        std::hint::black_box(name_from_subject(&text, Some(&text)));
        std::hint::black_box(name_from_display(&text));
        std::hint::black_box(EmailAddress::parse(&text).is_ok());
    }
}

fn main() {
    let o = options();
    let seeds = Arc::new(seeds(&o.corpus));
    assert!(!seeds.is_empty(), "no seed messages in {:?}", o.corpus);
    std::fs::create_dir_all(&o.out).unwrap();
    // Panics are what we look for: count them, do not print a backtrace per input.
    std::panic::set_hook(Box::new(|_| {}));
    eprintln!(
        "fuzzing with {} seeds from {:?}, {} executions, seed {}, {} threads",
        seeds.len(),
        o.corpus,
        o.execs,
        o.seed,
        o.threads
    );
    let target = Arc::new(Target::new());
    let done = Arc::new(AtomicU64::new(0));
    let crashes = Arc::new(AtomicU64::new(0));
    let slow = Arc::new(AtomicU64::new(0));
    let slowest_us = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let per_thread = o.execs.div_ceil(o.threads);
    let handles: Vec<_> = (0..o.threads)
        .map(|t| {
            let (seeds, target, done, crashes, slow, slowest_us) = (
                Arc::clone(&seeds),
                Arc::clone(&target),
                Arc::clone(&done),
                Arc::clone(&crashes),
                Arc::clone(&slow),
                Arc::clone(&slowest_us),
            );
            let (out, limit, seed) = (o.out.clone(), o.slow, o.seed);
            std::thread::spawn(move || {
                let mut rng = SmallRng::seed_from_u64(seed.wrapping_mul(1_000_003) + t);
                for _ in 0..per_thread {
                    let mut input = seeds[rng.random_range(0..seeds.len())].clone();
                    mutate(&mut rng, &seeds, &mut input);
                    let start = Instant::now();
                    let outcome = catch_unwind(AssertUnwindSafe(|| target.run(&input)));
                    let took = start.elapsed();
                    slowest_us.fetch_max(took.as_micros() as u64, Ordering::Relaxed);
                    let name = || applymail::blobs::sha256_hex(&input);
                    if outcome.is_err() {
                        crashes.fetch_add(1, Ordering::Relaxed);
                        std::fs::write(out.join(format!("crash-{}.eml", name())), &input).unwrap();
                    } else if took > limit {
                        slow.fetch_add(1, Ordering::Relaxed);
                        std::fs::write(out.join(format!("slow-{}.eml", name())), &input).unwrap();
                    }
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if n % 250_000 == 0 {
                        eprintln!(
                            "{n} execs, {:.0}/s, {} crashes, {} slow",
                            n as f64 / started.elapsed().as_secs_f64(),
                            crashes.load(Ordering::Relaxed),
                            slow.load(Ordering::Relaxed)
                        );
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = started.elapsed();
    let n = done.load(Ordering::Relaxed);
    println!(
        "{n} executions in {:.0} s ({:.0}/s): {} crashes, {} slower than {:?} (slowest {:.1} ms); inputs kept in {}",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        crashes.load(Ordering::Relaxed),
        slow.load(Ordering::Relaxed),
        o.slow,
        slowest_us.load(Ordering::Relaxed) as f64 / 1000.0,
        o.out.display()
    );
    if crashes.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
