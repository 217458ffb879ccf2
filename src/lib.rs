//! applymail turns the job applications arriving in a shared mailbox into a recruitment
//! database.
//!
//! # Layout
//!
//! Dependencies point inward: adapters know the domain, the domain knows nothing else, and
//! [`ingest`] is the one place where a message, extraction, the blob store and the database
//! meet. The route of one message is written out in [`ingest`]'s documentation.
//!
//! - [`domain`]: pure types and rules with no I/O: postings and the subject rule, candidate
//!   names, addresses, statuses, documents, outcomes, message identity, the triage that decides
//!   what an email is (inline forwards among it), delivery reports (bounces), interview
//!   invitations' calendar events, and the decisions the pipeline hands to the store; the
//!   placeholder grammar of every text applymail writes ([`domain::template`]) and the reply
//!   templates' defaults ([`domain::reply_template`]), and the answers' rules
//!   ([`domain::answer`]).
//! - [`extract`]: the mail-parser adapter: raw bytes to an owned [`domain::mail::Mail`],
//!   working around the parser's defects, and the text of documents (PDFs by `pdftotext` in a
//!   bounded child).
//! - [`imap`]: the IMAP client: connection, TLS, login, and every command with its completion
//!   checked in one place.
//! - [`sources`]: local mail: `.eml` files, Maildir folders and mbox files.
//! - [`blobs`]: the content-addressed folder of document files (`[storage] kind = "files"`).
//! - [`documents`]: where documents are kept, files or the database, behind the one interface
//!   every reader uses, and `applymail storage migrate` between the two.
//! - [`store`]: the database (SQLite or PostgreSQL): recording, the ledger, cursors, erasure,
//!   the recruiters' queries.
//! - [`ingest`]: the pipeline: raw messages with their coordinates in, committed outcomes out.
//! - [`watch`]: the daemon's loops, an IMAP account and a local Maildir side by side, and the
//!   Sent folder they share.
//! - [`textindex`]: the background search indexer: every document's text, and each
//!   application's entry in the search index, after the commit ([`store::search`] queries it);
//!   also the keys of the likely duplicates (names, phone numbers: [`store::duplicates`]).
//! - [`outbox`]: what applymail sends over SMTP (`[smtp]`), at most once: the automatic
//!   acknowledgements, and the answers recruiters send (templates, bulk jobs, interview
//!   invitations with their `.ics`).
//! - [`retention`]: erasure after the retention period, on request, and requeueing.
//! - [`config`]: the typed settings tree, from TOML and the environment.
//! - [`report`]: the export contract (JSON, CSV) and the list table.
//! - [`commands`]: one function per CLI subcommand.
//! - [`cli`]: the subcommands' arguments (clap).
//! - [`health`]: the daemon's state and metrics.
//! - [`http`]: `/healthz` and `/metrics`.
//! - [`web`]: the recruiters' web app: login, the list and its export, an application, its
//!   documents, notes and ratings, answers to candidates (one or in bulk); the admin's pages,
//!   the reply templates among them.
//! - [`telemetry`]: the tracing subscriber.
//! - [`shutdown`]: the stop signal `run` takes as a parameter.
//! - [`backoff`]: jittered, growing waits between retries.
#![forbid(unsafe_code)]

pub mod backoff;
pub mod blobs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod documents;
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
pub mod textindex;
pub mod watch;
pub mod web;
