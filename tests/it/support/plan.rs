//! What a clean run plans for a message (the decision stage alone, as `explain` shows it), to
//! compare with what the daemon did.

use chrono::NaiveDate;
use mail_parser::MessageParser;
use referral_intake::config::Config;
use referral_intake::pipeline::{self, Context, Decision, EmailKind};
use referral_intake::screen::NoLookups;

fn decide(cfg: &Config, raw: &[u8]) -> Decision {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let ctx = Context {
        cfg,
        lookups: &NoLookups,
        today,
        inbox_region: None,
    };
    let (d, _) = pipeline::decide(raw, &ctx);
    d
}

/// The emails planned for a message: (kind, recipient) pairs.
pub fn planned(cfg: &Config, raw: &[u8]) -> Vec<(EmailKind, String)> {
    decide(cfg, raw)
        .emails
        .into_iter()
        .map(|e| (e.kind, e.to))
        .collect()
}

/// How many referrals the decision holds.
pub fn referral_count(cfg: &Config, raw: &[u8]) -> usize {
    decide(cfg, raw).referrals.len()
}

/// The Message-ID header, without angle brackets.
pub fn message_id(raw: &[u8]) -> Option<String> {
    MessageParser::default()
        .parse(raw)?
        .message_id()
        .map(str::to_string)
}
