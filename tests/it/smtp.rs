//! A real SMTP server for the acknowledgement tests: Debian's python3-aiosmtpd running
//! `support/smtp_sink.py` on loopback, which writes every accepted message to a directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::certs::{CertFiles, write_localhost_certs};
use crate::dovecot::free_port;

pub const SMTP_USER: &str = "contact@ong-exemple.org";
pub const SMTP_PASSWORD: &str = "s3cret-Smtp-Pa55";

/// aiosmtpd is Debian's package, so it lives in the system Python, not in whatever `python3`
/// comes first on PATH.
const PYTHON: &str = "/usr/bin/python3";

pub struct SmtpServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub certs: CertFiles,
    tls: bool,
    child: Option<Child>,
}

impl SmtpServer {
    /// Plain SMTP on loopback, no login.
    pub fn start() -> SmtpServer {
        Self::launch(false, free_port())
    }

    /// STARTTLS required (certificate for `localhost`), then a login.
    pub fn start_tls() -> SmtpServer {
        Self::launch(true, free_port())
    }

    /// A port where nothing listens yet: the server is down until `start_on`.
    pub fn reserve() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let certs = write_localhost_certs(dir.path());
        SmtpServer {
            port: free_port(),
            dir,
            certs,
            tls: false,
            child: None,
        }
    }

    fn launch(tls: bool, port: u16) -> SmtpServer {
        let mut server = Self::reserve();
        server.port = port;
        server.tls = tls;
        server.up();
        server
    }

    /// Starts (or restarts) the server on its port.
    pub fn up(&mut self) {
        assert!(
            Path::new(PYTHON).exists()
                && Command::new(PYTHON)
                    .args(["-c", "import aiosmtpd"])
                    .status()
                    .unwrap()
                    .success(),
            "python3-aiosmtpd is not installed: `apt-get install python3-aiosmtpd` (scripts/test installs it)"
        );
        let mut command = Command::new(PYTHON);
        command
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/smtp_sink.py"))
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(self.messages_dir());
        if self.tls {
            command
                .arg("--tls")
                .arg(&self.certs.cert)
                .arg(&self.certs.key)
                .args(["--auth", SMTP_USER, SMTP_PASSWORD]);
        }
        std::fs::create_dir_all(self.messages_dir()).unwrap();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the SMTP sink did not start");
        self.child = Some(child);
    }

    /// Stops the server (SIGKILL): the port refuses connections.
    pub fn down(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn messages_dir(&self) -> PathBuf {
        self.dir.path().join("messages")
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.messages_dir())
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .iter()
            .map(|p| String::from_utf8(std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits until the server holds `n` messages.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() > deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server waits this long after receiving DATA before it answers.
    pub fn delay_answers(&self, seconds: u32) {
        std::fs::write(self.messages_dir().join("delay"), seconds.to_string()).unwrap();
    }

    /// The same, in milliseconds.
    pub fn delay_answers_ms(&self, ms: u32) {
        let seconds = f64::from(ms) / 1000.0;
        std::fs::write(self.messages_dir().join("delay"), seconds.to_string()).unwrap();
    }

    /// The server answers DATA with this reply instead of accepting (`None`: accept again).
    pub fn refuse_with(&self, reply: Option<&str>) {
        let path = self.messages_dir().join("refuse");
        match reply {
            Some(reply) => std::fs::write(path, reply).unwrap(),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// The `[acknowledgement]` section for this server; `extra` goes into the section.
    pub fn config(&self, extra: &str) -> String {
        let smtp = if self.tls {
            format!(
                "host = \"localhost\"\nport = {}\nsecurity = \"starttls\"\nca_file = \"{}\"\nusername = \"{SMTP_USER}\"\npassword_env = \"APPLYMAIL_TEST_SMTP_PASSWORD\"\n",
                self.port,
                self.certs.ca.display()
            )
        } else {
            format!(
                "host = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n",
                self.port
            )
        };
        format!(
            "[acknowledgement]\nenabled = true\nfrom = \"contact@ong-exemple.org\"\nfrom_name = \"ONG Exemple\"\n{extra}\n[acknowledgement.smtp]\n{smtp}"
        )
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.down();
    }
}
