//! Writes N generated applications (a CV and a letter each) into a Maildir, for timing an
//! import: `cargo run --release --example synth_maildir -- /tmp/synth 10000 250000`.

// Only part of the generators the tests share is used here.
#[path = "../tests/it/synth.rs"]
#[allow(dead_code)]
mod synth;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next().and_then(|n| n.parse().ok())) else {
        eprintln!("usage: synth_maildir DIR COUNT [BYTES_PER_MESSAGE]");
        std::process::exit(2);
    };
    let size = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    synth::fill_maildir(std::path::Path::new(&dir), n, size);
    println!("{n} messages of about {size} bytes in {dir}");
}
