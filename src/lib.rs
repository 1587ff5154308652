//! referral-intake: Medi-Cal ECM/CS/CHW referral email in, screened and answered referrals out.
//!
//! The pipeline (SPEC §2), one module per stage:
//!
//! ```text
//! source (replay files | IMAP) -> store raw (dedupe) -> message (MIME) -> ignore? (auto/bounce/own)
//!   -> classify (subject) -> extract (PDF/sheet/body) -> profile (labels -> canonical fields)
//!   -> normalize -> screen -> one transaction: referrals + outbox + audit -> outbox (send / write .eml)
//! ```
//!
//! Leaf modules, which import nothing else of the crate: [`diag`] (config files and their
//! `file:line` problems), [`limits`] (work bounds and `ExtractError`), [`builtin`] (the shipped
//! rule files), [`memo`], [`tls`]; [`catalog`] (the catalogues and the label helpers `norm`,
//! `find_phrase`, `fold`) needs only `diag`, `memo` and `model`. There is no module cycle:
//! `config` loads `classify`, `profile` and `templates`, which never import `config` back.
//!
//! Invariants:
//! - Decision stages ([`classify`], [`extract`], [`profile`], [`normalize`], [`screen`],
//!   [`pipeline::extract`], [`pipeline::screen`]) are pure functions of their input, the
//!   configuration and, for screening, the facts fetched for it beforehand
//!   ([`ingest::Facts`]: open ECM referrals by CIN, the roster). Nothing in them reaches the store.
//! - A message's referrals, outbox rows and audit event are committed in one transaction; nothing is
//!   sent before that commit, and an email is marked sent only after delivery.
//! - Member data never reaches logs or error texts: messages are identified by store id.

pub mod builtin;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod diag;
pub mod extract;
pub mod ingest;
pub mod limits;
pub mod loops;
pub mod memo;
pub mod message;
pub mod model;
pub mod normalize;
pub mod oauth;
pub mod outbox;
pub mod pipeline;
pub mod profile;
pub mod replay;
pub mod screen;
pub mod sender;
pub mod source;
pub mod store;
pub mod templates;
pub mod tls;
