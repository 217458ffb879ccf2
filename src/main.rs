use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
