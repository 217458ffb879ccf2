//! Pure domain types and rules. Nothing here does I/O, logs or knows mail-parser, sqlx or
//! the file system, so every rule can be tested with plain values.

pub mod account;
pub mod acknowledgement;
pub mod answer;
pub mod attempts;
pub mod authentication;
pub mod body_letter;
pub mod bounce;
pub mod classify;
pub mod cursor;
pub mod document;
pub mod duplicates;
pub mod email;
pub mod fold;
pub mod identity;
pub mod inline_forward;
pub mod invitation;
pub mod mail;
pub mod name;
pub mod named;
pub mod organisation;
pub mod outcome;
pub mod phone;
pub mod posting;
pub mod printable;
pub mod record;
pub mod reply_template;
pub mod search;
pub mod source;
pub mod status;
pub mod subject;
pub mod template;
pub mod triage;
