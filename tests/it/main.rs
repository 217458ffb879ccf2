//! applymail's integration tests: one binary, each test with its own directory, database and
//! configuration, driving the real `applymail` executable the way an admin would.

mod acknowledgement;
mod admin;
mod authentication;
mod bounds;
mod browser;
mod budget;
mod certs;
mod chaos;
mod cli;
mod corpus;
mod crash;
mod documents;
mod dovecot;
mod duplicates;
mod erase;
mod escapes;
mod faults;
mod helpers;
mod http;
mod idempotence;
mod imap;
mod imap_faults;
mod imap_relay;
mod instances;
mod maildir_run;
mod poison;
mod realmail;
mod review;
mod search;
mod secrets;
mod smtp;
mod sources;
mod synth;
mod templates;
mod web;
