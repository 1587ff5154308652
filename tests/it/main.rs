//! Integration tests: one binary, real files, the real command line.
//!
//! Golden fixtures live beside their inputs as `<case>.expected.json`; a mismatch writes
//! `<case>.actual.json`, and `BLESS=1 cargo test` rewrites the expectations after a deliberate
//! change (review the diff before committing).

mod support;

mod cli;
mod config;
mod crash;
mod daemon;
mod golden;
mod hostile;
mod instances;
mod loops;
mod mailenv_selftest;
mod oauth;
mod ocr;
mod ops;
mod outage;
mod postgres;
mod privacy;
mod replay;
mod retention;
mod sender;
mod transport;
