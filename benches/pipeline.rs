//! Processing time per message, by attachment kind: the whole decision (MIME parse, classify,
//! extract, map, normalise, screen, plan emails) for one demo message, no store.
//!
//! `cargo bench --bench pipeline`; figures go in docs/BENCHMARKS.md.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use referral_intake::config::Config;
use referral_intake::pipeline::{Context, decide};
use referral_intake::screen::NoLookups;

const CASES: &[(&str, &str)] = &[
    ("pdf_form (KP fillable)", "01-kp-ecm-accepted.eml"),
    ("pdf_form (Health Net)", "04-healthnet-cs-meals.eml"),
    ("pdf_text (KP flattened, XObjects)", "03-kp-flattened-chw.eml"),
    ("pdf_text (L.A. Care)", "05-lacare-ecm-missing-dob.eml"),
    ("xlsx form", "06-phc-chw-enrolled-in-ecm.eml"),
    ("xlsx batch (4 rows)", "07-county-batch-xlsx-mixed.eml"),
    ("xls form", "09-phc-xls-chw.eml"),
    ("ods form", "10-phc-ods-chw.eml"),
    ("csv batch (4 rows)", "08-county-batch-csv-mixed.eml"),
    ("email body", "22-body-only-ecm.eml"),
    ("forwarded rfc822 + pdf", "32-forwarded-rfc822.eml"),
    ("auto-reply (ignored)", "28-auto-reply-ooo.eml"),
];

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cfg = Config::load(&root.join("config/referral-intake.toml")).expect("config");
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let mut g = c.benchmark_group("decide");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, file) in CASES {
        let raw = std::fs::read(root.join("fixtures/demo").join(file)).expect("fixture");
        g.bench_function(*name, |b| {
            b.iter(|| {
                let ctx = Context {
                    cfg: &cfg,
                    lookups: &NoLookups,
                    today,
                    inbox_region: None,
                };
                let (d, _) = decide(std::hint::black_box(&raw), &ctx);
                std::hint::black_box(d.referrals.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
