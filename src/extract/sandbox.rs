//! PDF text extraction in a child process with bounded memory and time.
//!
//! pdf-extract (and lopdf under it) inflate every stream they read in memory and have no
//! time limit: a crafted PDF can ask for gigabytes, recurse until the stack overflows, or
//! loop. `catch_unwind` stops none of that. So the daemon runs the reader in a copy of its
//! own executable (`applymail` with the hidden first argument [`CHILD_ARG`]), which lowers its
//! own address-space and CPU limits before it reads a byte; the parent gives up after
//! [`WALL_LIMIT`], or sooner when the message's time for reading documents runs out, and kills
//! it, and keeps at most [`OUTPUT_LIMIT`] bytes of its answer. A failure of any kind only means
//! "no text": the document is kept, and classified by its position instead.
//!
//! The reader is poppler's `pdftotext` (Debian's `poppler-utils`) when it is installed: the
//! child lowers its limits and then becomes `pdftotext`, so the same limits and the same kill
//! hold. pdf-extract ignores the `'` and `"` text operators that Ghostscript (`ps2pdf`,
//! CUPS-PDF, "print to PDF" drivers) writes every line with, and loses all but the first
//! line of such a PDF; it stays as the fallback when `pdftotext` is missing or fails.
//!
//! Scans have no text layer: an image, and a PDF whose readers find no text, are read by OCR
//! (Debian's `tesseract-ocr` with its French and English data; a PDF's first page rendered by
//! poppler's `pdftoppm`), in the same child under the same limits, when the programs are
//! installed.
//!
//! Library users (and unit tests) that never call [`enable`] read in-process with
//! pdf-extract, as before, and do no OCR.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The first argument that turns `applymail` into the PDF reader.
pub const CHILD_ARG: &str = "__pdf-text";
/// Address space of the reader: ample for real CVs, fatal for decompression bombs.
const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// CPU seconds of the reader, enforced by the kernel.
const CPU_LIMIT: u64 = 10;
/// Wall time the parent waits (a reader blocked on nothing still ends).
const WALL_LIMIT: Duration = Duration::from_secs(15);
/// Bytes of the reader's answer kept: the text is cut far below this
/// ([`super::doc_text::TextLimits::max_output_chars`]), but the parent must not trust a child
/// that has just read a hostile PDF to have cut it.
const OUTPUT_LIMIT: u64 = 4 * 1024 * 1024;

/// The child's argument after [`CHILD_ARG`] that makes it become `pdftotext`.
const POPPLER_ARG: &str = "pdftotext";
/// ... that makes it become `tesseract` reading an image.
const OCR_IMAGE_ARG: &str = "ocr-image";
/// ... that makes it render a PDF's first page with `pdftoppm` and read it with `tesseract`.
const OCR_PDF_ARG: &str = "ocr-pdf";
/// tesseract's languages: candidates write French, some English (Debian's
/// `tesseract-ocr-fra`; English comes with `tesseract-ocr`).
const OCR_LANGUAGES: &str = "fra+eng";
/// A scanned PDF's first page, rendered for OCR: 150 dpi reads 10-point text; the first
/// page holds what classifies a CV or a letter, and one page keeps the time bounded.
const OCR_PDF_PIPELINE: &str = r#""$0" -r 150 -gray -png -f 1 -l 1 - | "$1" stdin stdout -l "$2""#;

static READER: OnceLock<PathBuf> = OnceLock::new();
static PDFTOTEXT: OnceLock<Option<PathBuf>> = OnceLock::new();
static PDFTOPPM: OnceLock<Option<PathBuf>> = OnceLock::new();
static TESSERACT: OnceLock<Option<PathBuf>> = OnceLock::new();

/// poppler's `pdftotext`, found once on `PATH` (the reader's own environment is empty).
pub fn pdftotext() -> Option<&'static Path> {
    program(&PDFTOTEXT, "pdftotext")
}

/// `tesseract`, found once on `PATH`.
pub fn tesseract() -> Option<&'static Path> {
    program(&TESSERACT, "tesseract")
}

/// Whether images and scanned PDFs can be read: the sandboxed reader and `tesseract`.
pub fn ocr_available() -> bool {
    READER.get().is_some() && tesseract().is_some()
}

fn program(cell: &'static OnceLock<Option<PathBuf>>, name: &str) -> Option<&'static Path> {
    cell.get_or_init(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    })
    .as_deref()
}

/// The text of an image (a photo or a scan of a CV or a letter), by OCR in the sandboxed
/// reader, stopped at `deadline` if that comes before its own limit.
pub fn image_text(bytes: &[u8], deadline: Option<Instant>) -> Result<String, String> {
    let exe = READER
        .get()
        .ok_or("images are read only by the sandboxed reader")?;
    let tesseract = tesseract().ok_or("tesseract is not installed")?;
    let mut command = reader_command(exe);
    command.arg(CHILD_ARG).arg(OCR_IMAGE_ARG).arg(tesseract);
    run_reader(command, bytes, until(deadline), Answer::Raw)
}

fn until(deadline: Option<Instant>) -> Instant {
    let own_limit = Instant::now() + WALL_LIMIT;
    deadline.map_or(own_limit, |d| d.min(own_limit))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Makes PDF extraction run in `executable` (the running `applymail`).
pub fn enable(executable: PathBuf) {
    let _ = READER.set(executable);
}

/// The text of a PDF, from the sandboxed reader when enabled. The reader is stopped at
/// `deadline` (the message's time for reading documents) if that comes before its own wall
/// limit.
pub fn pdf_text(bytes: &[u8], deadline: Option<Instant>) -> Result<String, String> {
    match READER.get() {
        Some(exe) => in_child(exe, bytes, until(deadline)),
        None => in_process(bytes),
    }
}

pub(super) fn in_process(bytes: &[u8]) -> Result<String, String> {
    // pdf-extract indexes and unwraps freely on malformed input.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pdf_extract::extract_text_from_mem(bytes)
    })) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the PDF reader panicked".into()),
    }
}

/// The reader's process, all but its argument: pipes for the document and the text, and an
/// empty environment. The daemon's environment holds the variables that `password_env` names
/// (the IMAP and SMTP passwords), and a process fed hostile PDFs has no use for them.
fn reader_command(executable: &Path) -> Command {
    let mut command = Command::new(executable);
    command
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}

/// `pdftotext` first when there is one; pdf-extract when it is missing, fails or finds no
/// text (a PDF poppler refuses may still give pdf-extract something).
fn in_child(exe: &Path, bytes: &[u8], until: Instant) -> Result<String, String> {
    if let Some(poppler) = pdftotext() {
        let mut command = reader_command(exe);
        command.arg(CHILD_ARG).arg(POPPLER_ARG).arg(poppler);
        if let Ok(text) = run_reader(command, bytes, until, Answer::Raw)
            && !text.trim().is_empty()
        {
            return Ok(text);
        }
    }
    let mut command = reader_command(exe);
    command.arg(CHILD_ARG);
    let extracted = run_reader(command, bytes, until, Answer::Framed);
    if extracted.as_ref().is_ok_and(|text| !text.trim().is_empty()) {
        return extracted;
    }
    // No text layer: a scan.
    if let (Some(pdftoppm), Some(tesseract)) = (program(&PDFTOPPM, "pdftoppm"), tesseract()) {
        let mut command = reader_command(exe);
        command
            .arg(CHILD_ARG)
            .arg(OCR_PDF_ARG)
            .arg(pdftoppm)
            .arg(tesseract);
        if let Ok(text) = run_reader(command, bytes, until, Answer::Raw)
            && !text.trim().is_empty()
        {
            return Ok(text);
        }
    }
    extracted
}

/// How a reader answers: pdf-extract's child frames it (`ok\n<text>` or an error line);
/// `pdftotext` writes the text alone and fails by its exit status.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Framed,
    Raw,
}

/// Runs a reader: the document on its stdin, at most [`OUTPUT_LIMIT`] bytes of its answer
/// kept, killed at `until`.
fn run_reader(
    mut command: Command,
    bytes: &[u8],
    until: Instant,
    answer: Answer,
) -> Result<String, String> {
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the PDF reader: {e}"))?;
    // Feed stdin and drain stdout on their own threads so that neither pipe can fill up and
    // block the other side.
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout).take(OUTPUT_LIMIT).read_to_end(&mut out);
        // The rest is read and dropped, so that the reader ends as it would have; the
        // deadline still bounds how long that takes.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        out
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= until => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = feeder.join();
                let _ = reader.join();
                return Err(format!(
                    "the PDF reader was stopped after {:?} (its own limit is {WALL_LIMIT:?}, and \
                     the message's time for reading documents bounds it too)",
                    started.elapsed()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(e.to_string()),
        }
    };
    let _ = feeder.join();
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("the PDF reader failed ({status})"));
    }
    let text = String::from_utf8_lossy(&out);
    if answer == Answer::Raw {
        return Ok(text.into_owned());
    }
    match text.strip_prefix("ok\n") {
        Some(text) => Ok(text.to_owned()),
        None => Err(text.trim().to_owned()),
    }
}

/// The child's side: limits first; then either become `pdftotext` (`__pdf-text pdftotext
/// PATH`: it reads stdin and writes the text), or read stdin and answer `ok\n<text>` or an
/// error line.
pub fn run_child() -> std::process::ExitCode {
    use rlimit::Resource;
    if Resource::AS.set(MEMORY_LIMIT, MEMORY_LIMIT).is_err()
        || Resource::CPU.set(CPU_LIMIT, CPU_LIMIT + 1).is_err()
    {
        return std::process::ExitCode::FAILURE;
    }
    let args: Vec<OsString> = std::env::args_os().skip(2).collect();
    // exec keeps the process, its limits and its pipes: the parent's kill stops the program
    // (and the shell's children die of the closed pipe or of the CPU limit they inherit).
    let become_program = match args.as_slice() {
        [mode, program] if mode == POPPLER_ARG => {
            let mut command = Command::new(program);
            command.args(["-q", "-enc", "UTF-8", "-", "-"]);
            Some(command)
        }
        [mode, program] if mode == OCR_IMAGE_ARG => {
            let mut command = Command::new(program);
            command.args(["stdin", "stdout", "-l", OCR_LANGUAGES]);
            Some(command)
        }
        [mode, pdftoppm, tesseract] if mode == OCR_PDF_ARG => {
            let mut command = Command::new("/bin/sh");
            command
                .args(["-c", OCR_PDF_PIPELINE])
                .arg(pdftoppm)
                .arg(tesseract)
                .arg(OCR_LANGUAGES);
            Some(command)
        }
        _ => None,
    };
    if let Some(mut command) = become_program {
        use std::os::unix::process::CommandExt;
        // One thread: the machine is small and the kernel's CPU limit counts all of them.
        let _ = command.env("OMP_THREAD_LIMIT", "1").exec();
        return std::process::ExitCode::FAILURE;
    }
    // The reader's own panic message is of no use to anyone.
    std::panic::set_hook(Box::new(|_| {}));
    let mut bytes = Vec::new();
    if std::io::stdin().read_to_end(&mut bytes).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    let answer = match in_process(&bytes) {
        Ok(text) => format!("ok\n{text}"),
        Err(e) => format!("error: {e}"),
    };
    let _ = std::io::stdout().write_all(answer.as_bytes());
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader's command, run with `env` in the reader's place, shows the environment the
    /// reader would get: none at all.
    #[test]
    fn the_reader_inherits_no_environment() {
        let mut child = reader_command(Path::new("/usr/bin/env")).spawn().unwrap();
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert!(
            std::env::vars_os().next().is_some(),
            "the test itself has an environment to leak"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    }

    /// A reader answering far more than any real text: what is read of it is capped, and
    /// the reader is not waited for to the end of its time.
    #[test]
    fn the_readers_output_is_capped() {
        let mut flood = Command::new("/bin/sh");
        flood
            .args([
                "-c",
                "printf 'ok\\n'; exec /usr/bin/head -c 64000000 /dev/zero",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let started = Instant::now();
        let text = run_reader(
            flood,
            b"%PDF-",
            started + Duration::from_secs(10),
            Answer::Framed,
        )
        .unwrap();
        assert!(text.len() <= OUTPUT_LIMIT as usize, "{} bytes", text.len());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// A reader that outlives the message's deadline is stopped at the deadline, not after
    /// its own wall limit.
    #[test]
    fn the_reader_is_stopped_at_the_messages_deadline() {
        let mut slow = Command::new("/bin/sleep");
        slow.arg("30")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let started = Instant::now();
        let result = run_reader(
            slow,
            b"%PDF-",
            started + Duration::from_millis(300),
            Answer::Framed,
        );
        assert!(result.is_err());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}
