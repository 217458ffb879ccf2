//! Standard output for the commands that print.
//!
//! A reader that stops early (`applymail list | head`) closes the pipe. Rust ignores
//! SIGPIPE, so every later write fails with EPIPE, and `println!` would panic where grep and
//! rg end quietly with success. [`stdout`] hands out a writer that, once the pipe is closed,
//! drops what is written and reports success: the command finishes its work (bounded: it
//! only prints) and exits 0. Any other write error is still an error.

use std::fmt;
use std::io::{self, Write};

/// Standard output, locked, going quiet once its reader has gone.
pub struct Stdout {
    inner: io::StdoutLock<'static>,
    closed: bool,
}

pub fn stdout() -> Stdout {
    Stdout {
        inner: io::stdout().lock(),
        closed: false,
    }
}

impl Stdout {
    fn quiet_on_closed_pipe<T>(&mut self, result: io::Result<T>, none: T) -> io::Result<T> {
        match result {
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(none)
            }
            other => other,
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.quiet_on_closed_pipe(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.quiet_on_closed_pipe(result, ())
    }
}

/// One line on standard output: `println!` without its panic on a closed pipe.
pub fn say(line: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = stdout();
    out.write_fmt(line)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_is_quiet_and_other_errors_are_not() {
        let mut out = stdout();
        let closed = out.quiet_on_closed_pipe(
            Err::<usize, _>(io::Error::from(io::ErrorKind::BrokenPipe)),
            3,
        );
        assert_eq!(closed.unwrap(), 3);
        assert!(out.closed);
        assert_eq!(out.write(b"dropped").unwrap(), 7);
        let mut out = stdout();
        let full = out.quiet_on_closed_pipe(
            Err::<usize, _>(io::Error::from(io::ErrorKind::StorageFull)),
            3,
        );
        assert!(full.is_err());
        assert!(!out.closed);
    }
}
