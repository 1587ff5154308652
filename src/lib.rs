//! referral-intake: Medi-Cal ECM/CS/CHW referral email in, screened and answered referrals out.
//!
//! One message's path (SPEC §2), in order, each step in one place:
//!
//! ```text
//! source::InboxWorker (lease on a shared store, IMAP fetch, IDLE, filing)
//!                                    replay (files)   explain / extract   reprocess (stored)
//!   -> ingest::decide                (two messages ahead of the one committing; a scan is
//!                                     parked beside the queue while OCR reads it)
//!        pipeline::extract   parse MIME, ignore automatic mail, classify the subject, walk the
//!                            attachments (extract::walk), read them (extract; scans by OCR,
//!                            extract::ocr, Tesseract in a child process), map labels to
//!                            fields (profile), else the body        -- pure, blocking pool
//!        ingest::Facts       open ECM referrals for its CINs, the roster -- one store query
//!        pipeline::screen    county from ZIP, screen each referral, plan every email -- pure
//!   -> ingest::commit, or ingest::commit_together for the messages decided ahead and done
//!        (one transaction for those whose decisions no other one's commit could change)
//!        facts again only if a commit since gave one of its members an open ECM referral
//!        (re-screen if they changed), dedupe, loop guards,
//!        reference numbers reserved, rows built, mail composed (outbox::compose),
//!        store.commit_message(s): message + referrals + outbox rows (final status) + audit, one
//!        transaction of plain inserts, refused if the inbox's lease was lost (store::LeaseLost);
//!        on SQLite not fsync'd on its own: store::make_durable, run before mail is read for
//!        sending or UIDs for filing, fsyncs once for every commit before it
//!   -> sender (outbox rows claimed -> SMTP), or `replay --out` files
//! ```
//!
//! Beside the path: [`http`] (`/healthz`, `/metrics`, counted at the edges by [`telemetry`]),
//! [`status`] (one referral's story for the phone line), [`reprocess`] (stored messages decided
//! again with today's configuration).
//!
//! `ingest::Error` says what a failure means to the caller: wait for the store, count an attempt
//! against the message (then quarantine it), or pause for an operator (configuration).
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
//!   The one outside process they start is the OCR engine, confined and time-limited, on a copy
//!   of a page image in a private temporary folder.
//! - Several instances on one PostgreSQL store work each inbox one at a time (a lease with a
//!   fencing epoch) and claim outbox rows one by one; SQLite serves one instance.
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
pub mod http;
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
pub mod reprocess;
pub mod screen;
pub mod sender;
pub mod source;
pub mod status;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod tls;
