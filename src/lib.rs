//! applymail turns the job applications arriving in a shared mailbox into a recruitment
//! database.
//!
//! # Layout
//!
//! Dependencies point inward: adapters know the domain, the domain knows nothing else, and
//! [`ingest`] is the one place where a mail source, extraction and the store meet.
//!
//! - [`domain`]: pure types and rules with no I/O: postings and the subject rule, candidate
//!   names, email addresses, statuses, document kinds, and the triage that decides what an
//!   email is (application, outbound reply, ignored, quarantined).
//! - [`extract`]: the mail-parser adapter. Turns raw bytes into an owned [`domain::mail::Mail`],
//!   working around the parser's known defects, and reads documents' text to classify them.
//! - [`blobs`]: the content-addressed document store (SHA-256 names, atomic writes, owner-only
//!   permissions).
//! - [`store`]: the database (sqlx; SQLite or PostgreSQL): migrations, the one transaction that
//!   records a group of ingested messages, and the recruiters' queries.
//! - [`smtp`]: the SMTP adapter (lettre) that sends acknowledgements in two steps, so the
//!   intent is recorded between naming the recipient and handing over the message.
//! - [`sources`]: local mail sources: `.eml` files, Maildir folders and mbox files.
//! - [`ingest`]: the pipeline from (raw bytes, source coordinates) to an outcome.
//! - [`config`]: the typed settings tree, loaded from TOML plus environment overrides.
//! - [`retention`]: erasing candidates' data after the retention period, and on request.
//! - [`report`]: the export contract (JSON and CSV) and the list table.
//! - [`commands`]: one small function per CLI subcommand.
//! - [`telemetry`]: the tracing subscriber.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod blobs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod extract;
pub mod health;
pub mod http;
pub mod imap;
pub mod ingest;
pub mod outbox;
pub mod report;
pub mod retention;
pub mod shutdown;
pub mod sources;
pub mod store;
pub mod telemetry;
pub mod watch;
