//! The command line: the recruiters' and the admin's interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "applymail",
    version,
    about = "Turns the job applications in a shared mailbox into a recruitment database"
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        default_value = "config/applymail.toml",
        env = "APPLYMAIL_CONFIG"
    )]
    pub config: PathBuf,
    /// Log format on stderr; RUST_LOG sets the level (default: info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch the mailbox and file applications as they arrive.
    Run {
        /// Make one full pass over the mailbox, then exit.
        #[arg(long)]
        once: bool,
    },
    /// File applications from .eml files, Maildir folders or mbox files.
    Import {
        /// Inbound mail: files, Maildir folders, folders of .eml files, mbox files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The organisation's sent mail, for reply tracking (read after the inbound mail).
        #[arg(long, num_args = 1..)]
        sent: Vec<PathBuf>,
    },
    /// List applications.
    List(ListArgs),
    /// Show one application: candidate, documents with their paths, messages, history.
    Show { id: i64 },
    /// Change an application's status.
    Status {
        id: i64,
        /// received, screening, shortlisted, interview, offer, hired, rejected or withdrawn.
        status: String,
        #[arg(long)]
        note: Option<String>,
        /// Who made the change (default: the OS user).
        #[arg(long)]
        by: Option<String>,
        /// Reopen a rejected or withdrawn application.
        #[arg(long)]
        force: bool,
    },
    /// Export every application.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Erase applications not hired whose last activity is older than the retention period.
    Purge {
        /// Instead of `retention.keep_for` (for example `18months`, `90days`).
        #[arg(long)]
        older_than: Option<String>,
        /// Say what would be erased, erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Erase one person entirely: rows, documents, raw messages.
    Forget {
        email: String,
        /// Who asked (default: the OS user); kept in the audit trail, which holds no personal data.
        #[arg(long)]
        by: Option<String>,
    },
    /// Validate the configuration and reach the mailbox and the database.
    Check,
    /// The messages that could not be filed, and reading them again.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Serve the recruiters' web app alone, on `[web] listen` (default 127.0.0.1:8080): it
    /// needs the database and the documents, not the mailbox.
    Web,
    /// The web app's accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Where documents are kept (`[storage] kind`), and moving them.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Write one stored document's bytes to a file, by the SHA-256 that `show` and `export`
    /// give (with documents in the database, the export has no path).
    Document {
        sha256: String,
        /// The file to write (`-`: standard output).
        #[arg(long)]
        out: PathBuf,
    },
    /// Answer candidates with a reply template, as the app does: one application (ID), or
    /// every application of a posting in a status (--posting and --status, then --dry-run to
    /// list them or --yes to send). Each application gets at most one message per run.
    Reply {
        /// The application to answer.
        #[arg(conflicts_with_all = ["posting", "status"])]
        id: Option<i64>,
        /// rejection_after_review, rejection_after_interview, missing_document or
        /// interview_invitation (edited by admins in the app).
        #[arg(long)]
        template: String,
        /// The status each application takes once its answer is sent (for example rejected).
        #[arg(long)]
        set_status: Option<String>,
        /// Every application of this posting...
        #[arg(long, requires = "status")]
        posting: Option<String>,
        /// ...in this status.
        #[arg(long, requires = "posting")]
        status: Option<String>,
        /// The interview's start, in the organisation's time zone: "2027-01-12 14:30".
        #[arg(long)]
        interview_at: Option<String>,
        /// The interview's length in minutes.
        #[arg(long, default_value_t = 60)]
        interview_minutes: i64,
        /// Where: an address, or a video call's link.
        #[arg(long)]
        interview_place: Option<String>,
        /// List who would be written to; record and send nothing.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Send to every application listed (needed with --posting).
        #[arg(long)]
        yes: bool,
        /// Who answers (default: the OS user); written in the status history.
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from the first line of standard input when
    /// it is not a terminal, asked for otherwise; `--generate` makes one and prints it once.
    Add {
        email: String,
        /// recruiter (reads and decides) or admin (also runs the installation).
        #[arg(long, default_value = "recruiter")]
        role: String,
        /// The name shown in the app and in the applications' history.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        generate: bool,
    },
    /// Every account, with its role and whether it is disabled.
    List,
    /// Set a new password (read as for `add`, or `--generate`); the account's sessions end.
    Passwd {
        email: String,
        #[arg(long)]
        generate: bool,
    },
    /// Disable an account: it cannot sign in any more, and its open sessions end now.
    Disable { email: String },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Every quarantined message: its ledger id, where it is, why, and whether its raw bytes
    /// are kept.
    List,
    /// Take quarantined messages out of the ledger so that the next pass reads them again
    /// (after raising a limit, or once a fault is fixed).
    Requeue {
        /// Ledger ids, as `quarantine list` shows them.
        #[arg(required_unless_present = "all")]
        ids: Vec<i64>,
        /// Every quarantined message.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Move every document (and quarantined raw message) to the database or to files
    /// (`storage.dir`), checking each one's SHA-256. Stop the daemons and `applymail web`
    /// first. Killed, it resumes when run again; until it ends nothing else runs. Then set
    /// `[storage] kind` to the new place.
    Migrate {
        #[arg(long, value_enum)]
        to: StorageTarget,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StorageTarget {
    Database,
    Files,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub status: Option<String>,
    #[arg(long)]
    pub reply_status: Option<String>,
    #[arg(long)]
    pub posting: Option<String>,
    /// Applications without this document: cv or letter.
    #[arg(long)]
    pub missing: Option<String>,
    /// Part of a name or an email address.
    #[arg(long)]
    pub search: Option<String>,
    /// Applications whose last message is the candidate's.
    #[arg(long)]
    pub needs_reply: bool,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}
