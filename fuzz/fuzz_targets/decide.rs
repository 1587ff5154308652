//! The whole decision for one raw message (`pipeline::decide`) with the shipped configuration
//! and an in-memory store lookup: parse, ignore rules, classify, extract every attachment, map,
//! normalise, screen, plan emails (including the review emails).
#![no_main]

use std::sync::{Arc, LazyLock};

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use referral_intake::config::Config;
use referral_intake::pipeline::{Context, decide};
use referral_intake::screen::Lookups;

/// One CIN with an open ECM referral and a roster that knows a few members, so both answers
/// of each lookup are reachable.
struct MemoryLookups;

impl Lookups for MemoryLookups {
    fn open_ecm_referral(&self, cin: &str) -> bool {
        cin == "90000001A"
    }
    fn on_roster(&self, cin: &str) -> Option<bool> {
        Some(cin.ends_with('A') || cin.ends_with('B'))
    }
}

/// The shipped configuration; a harness that cannot load it must fail loudly, not fuzz nothing.
static CONFIG: LazyLock<Arc<Config>> =
    LazyLock::new(|| Config::builtin().unwrap_or_else(|_| panic!("built-in configuration does not load")));

fuzz_target!(|data: &[u8]| {
    let cfg = &*CONFIG;
    let Some(today) = NaiveDate::from_ymd_opt(2026, 11, 25) else {
        return;
    };
    let ctx = Context {
        cfg,
        lookups: &MemoryLookups,
        today,
        inbox_region: None,
    };
    let _ = decide(data, &ctx);
});
