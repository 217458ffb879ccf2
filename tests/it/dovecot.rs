//! A real Dovecot for the IMAP tests: its own directory, ports, TLS certificates and user,
//! started on loopback and stopped when the test ends. See TESTING.md for the recipe.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use tokio::net::TcpStream;

pub const USER: &str = "contact@ong-exemple.org";
pub const PASSWORD: &str = "s3cret-Imap-Pa55";

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    conf: PathBuf,
    /// STARTTLS and plain.
    pub imap_port: u16,
    /// Implicit TLS.
    pub imaps_port: u16,
    /// The CA that signed the server's certificate (valid for `localhost` only, not for
    /// `127.0.0.1`, so that a host name mismatch can be tested on the same server).
    pub ca_file: PathBuf,
    /// A CA that signed nothing the server uses.
    pub other_ca_file: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs Dovecot's master, which daemonises; says why it did not start (its stderr, which
/// goes to a file: Dovecot keeps the stdio it inherited, so it is never piped, TESTING.md).
fn start_master(conf: &Path, root: &Path) -> Result<(), String> {
    let stderr = root.join("dovecot.stderr");
    let status = Command::new(dovecot_binary())
        .arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .status()
        .unwrap();
    if status.success() {
        return Ok(());
    }
    let log = std::fs::read_to_string(root.join("dovecot.log")).unwrap_or_default();
    Err(format!(
        "{}{log}",
        std::fs::read_to_string(&stderr).unwrap_or_default()
    ))
}

fn dovecot_binary() -> PathBuf {
    for candidate in ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!("dovecot is not installed: `apt-get install dovecot-imapd` (.ci/run installs it)");
}

impl Dovecot {
    pub fn start() -> Dovecot {
        Self::start_with("")
    }

    /// Starts an instance; `extra` is appended to its configuration.
    pub fn start_with(extra: &str) -> Dovecot {
        Self::start_inner(extra, false, true)
    }

    /// An instance that marks no folder `\Sent` and has no Sent folder, as Courier: the
    /// test creates the folder it wants.
    #[allow(dead_code)]
    pub fn start_without_special_use() -> Dovecot {
        Self::start_inner("", false, false)
    }

    /// An instance whose certificate (from the trusted CA) expired in 2021.
    pub fn start_with_expired_certificate() -> Dovecot {
        Self::start_inner("", true, true)
    }

    fn start_inner(extra: &str, expired: bool, sent_marked: bool) -> Dovecot {
        let sent = if sent_marked {
            "  mailbox Sent {\n    special_use = \\Sent\n    auto = subscribe\n  }\n"
        } else {
            ""
        };
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Dovecot's own users must traverse the directory (TESTING.md).
        std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let certs = crate::certs::write_certs(root, expired);
        std::fs::write(
            root.join("users"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("mail")).unwrap();
        assert!(
            Command::new("chown")
                .args(["-R", "nobody:nogroup"])
                .arg(root.join("mail"))
                .status()
                .unwrap()
                .success()
        );
        let conf = root.join("dovecot.conf");
        let r = root.display();
        let name = root.file_name().unwrap().to_string_lossy();
        // Another process can bind a port between `free_port` and Dovecot's own bind (the
        // tests start many instances at once): the instance then starts on new ones.
        let mut tries = 0;
        let (imap_port, imaps_port) = loop {
            let (imap_port, imaps_port) = (free_port(), free_port());
            std::fs::write(
                &conf,
                format!(
                    r#"protocols = imap
listen = 127.0.0.1
instance_name = applymail-{name}
base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
ssl = yes
ssl_cert = <{r}/server.crt
ssl_key = <{r}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = {r}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={r}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
{sent}}}
{extra}
"#
                ),
            )
            .unwrap();
            match start_master(&conf, root) {
                Ok(()) => break (imap_port, imaps_port),
                Err(why) if why.contains("Address already in use") && tries < 5 => tries += 1,
                Err(why) => panic!("dovecot did not start: {why}"),
            }
        };
        let dovecot = Dovecot {
            ca_file: certs.ca,
            other_ca_file: certs.other_ca,
            dir,
            conf,
            imap_port,
            imaps_port,
        };
        dovecot.wait_until_listening();
        dovecot
    }

    fn launch(&self) {
        if let Err(why) = start_master(&self.conf, self.dir.path()) {
            panic!("dovecot did not start: {why}");
        }
        self.wait_until_listening();
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot is not listening: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&self) {
        let _ = Command::new("doveadm")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server and every process of this instance (the sessions of logged-in
    /// clients too), as a crash of the server would.
    pub fn kill(&self) {
        let Some(pid) = self.master_pid() else { return };
        let pid = pid.to_string();
        // Freeze the master first, so that it neither spawns new children nor reacts to their
        // deaths while they are being killed.
        let _ = Command::new("kill").args(["-STOP", &pid]).status();
        let children = Command::new("pgrep")
            .args(["-P", &pid])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let children: Vec<&str> = children.split_whitespace().collect();
        if !children.is_empty() {
            let _ = Command::new("kill").arg("-KILL").args(&children).status();
        }
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        // The killed master may linger as a zombie until its parent reaps it, and Dovecot
        // refuses to start while the PID in master.pid exists.
        let _ = std::fs::remove_file(self.dir.path().join("run/master.pid"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.imap_port)).is_ok()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The running master's PID, from its pid file.
    pub fn master_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.dir.path().join("run/master.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn restart(&self) {
        self.launch();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The `[mailbox]` section for applymail, with the given security and port.
    pub fn mailbox_config(&self, security: &str, host: &str, extra: &str) -> String {
        let port = if security == "tls" {
            self.imaps_port
        } else {
            self.imap_port
        };
        format!(
            "[mailbox]\nkind = \"imap\"\nhost = \"{host}\"\nport = {port}\nsecurity = \"{security}\"\nusername = \"{USER}\"\npassword_env = \"APPLYMAIL_TEST_IMAP_PASSWORD\"\nca_file = \"{ca}\"\npoll_interval = \"30s\"\n{extra}\n",
            ca = self.ca_file.display()
        )
    }

    /// A plain session on loopback, for the test's own APPENDs and checks.
    pub async fn session(&self) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.imap_port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    pub async fn append(&self, folder: &str, messages: &[Vec<u8>]) {
        let mut session = self.session().await;
        for raw in messages {
            session.append(folder, None, None, raw).await.unwrap();
        }
        session.logout().await.unwrap();
    }

    /// APPENDs one message with the INTERNALDATE given (RFC 3501 `date-time`, unquoted:
    /// `05-Jul-2023 10:00:00 +0000`): mail the server received then.
    pub async fn append_dated(&self, folder: &str, raw: &[u8], internal_date: &str) {
        let mut session = self.session().await;
        session
            .append(folder, None, Some(&format!("\"{internal_date}\"")), raw)
            .await
            .unwrap();
        session.logout().await.unwrap();
    }

    /// Every message of a folder: (UID, flags).
    pub async fn flags(&self, folder: &str) -> Vec<(u32, Vec<String>)> {
        let mut session = self.session().await;
        let mailbox = session.select(folder).await.unwrap();
        if mailbox.exists == 0 {
            return Vec::new();
        }
        let fetches: Vec<_> = session
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut out: Vec<(u32, Vec<String>)> = fetches
            .iter()
            .map(|f| {
                (
                    f.uid.unwrap(),
                    f.flags().map(|flag| format!("{flag:?}")).collect(),
                )
            })
            .collect();
        out.sort();
        session.logout().await.unwrap();
        out
    }

    /// Changes flags of these UIDs of a folder (a UID set: "2:3", "1:*"), e.g.
    /// `+FLAGS (\Seen)`.
    pub async fn store(&self, folder: &str, uids: &str, change: &str) {
        let mut session = self.session().await;
        session.select(folder).await.unwrap();
        store_flags(&mut session, uids, change).await;
        session.logout().await.unwrap();
    }

    /// Deletes these UIDs of a folder (a UID set: "2:3", "1:*").
    pub async fn expunge(&self, folder: &str, uids: &str) {
        let mut session = self.session().await;
        session.select(folder).await.unwrap();
        store_flags(&mut session, uids, "+FLAGS.SILENT (\\Deleted)").await;
        let _: Vec<_> = session
            .expunge()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        session.logout().await.unwrap();
    }

    pub async fn create_folder(&self, folder: &str) {
        let mut session = self.session().await;
        session.create(folder).await.unwrap();
        session.logout().await.unwrap();
    }

    pub async fn delete_folder(&self, folder: &str) {
        let mut session = self.session().await;
        session.delete(folder).await.unwrap();
        session.logout().await.unwrap();
    }
}

async fn store_flags(session: &mut async_imap::Session<TcpStream>, uids: &str, change: &str) {
    let _: Vec<_> = session
        .uid_store(uids, change)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
