use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    keep_freed_memory();
    // The bounded PDF reader is this same executable (see extract::sandbox).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == applymail::extract::sandbox::CHILD_ARG)
    {
        return applymail::extract::sandbox::run_child();
    }
    if let Ok(exe) = std::env::current_exe() {
        applymail::extract::sandbox::enable(exe);
    }
    let cli = applymail::cli::Cli::parse();
    applymail::telemetry::init(cli.log_format, std::io::stderr);
    applymail::telemetry::quiet_dependency_panics();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("applymail: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(applymail::commands::dispatch(cli)) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}` prints the whole cause chain on one line, which is what an admin greps for.
            // A cause may quote a server or a sender: nothing in it may act on the terminal.
            let message = format!("{err:#}");
            eprintln!(
                "applymail: {}",
                applymail::domain::printable::printable(&message)
            );
            ExitCode::FAILURE
        }
    }
}

/// glibc's allocator hands a freed block of more than a few hundred KB back to the kernel
/// (`munmap`, or trimming an arena's top), so the next message's buffers of the same size
/// fault in fresh, zeroed pages: about 30,000 page faults per 2,000-message backfill. Fixed
/// thresholds keep such blocks for reuse. Allocations above 4 MB (a large message) are still
/// mapped on their own and returned at once, and an arena keeps at most 8 MB free at its top,
/// so what a long-running daemon holds on to stays small.
///
/// Each arena keeps its own free memory, and glibc opens up to eight per core as threads
/// contend (the runtime's workers, the blocking pool, sqlx's SQLite threads): peak memory
/// then rose with how long a backfill ran and how many threads it woke (24 MB after 2,000
/// small messages, 27–29 MB after 20,000). One arena per core is as many as can be busy at
/// once.
fn keep_freed_memory() {
    const MAPPED_ABOVE: libc::c_int = 4 << 20;
    const TRIM_ABOVE: libc::c_int = 8 << 20;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: mallopt only sets the allocator's tunables; it is called before any thread
    // starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED_ABOVE);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_ABOVE);
        libc::mallopt(
            libc::M_ARENA_MAX,
            libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX),
        );
    }
}
