//! Member privacy in logs: the whole fixture corpus goes through the real binary (`run`, against
//! real Dovecot and aiosmtpd) with every crate logging at TRACE, and no member value from the
//! forms may appear on stderr.
//!
//! The values come from the golden files (`fixtures/demo/*.expected.json`) and the intent files
//! (`fixtures/{holdout,blind2}/intent.json`, and `fixtures/hostile` when present): member names,
//! date of birth (ISO and the US forms senders write), CIN, MRN, phone (digits and the usual
//! punctuated forms), address line and the free-text reason. Values under 4 characters are
//! skipped (they match anything).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Row;

use crate::support::mailenv::{MailEnv, PASSWORD};
use crate::support::{files, root};

const NCAL: &str = "ncal@example.test";

/// Member values from one referral's canonical fields.
fn member_values(fields: &serde_json::Value, out: &mut BTreeSet<String>) {
    let text = |k: &str| fields.get(k).and_then(|v| v.as_str()).map(str::to_string);
    for k in [
        "member_first_name",
        "member_last_name",
        "member_cin",
        "member_mrn",
        "member_address",
        "reason",
    ] {
        if let Some(v) = text(k) {
            out.insert(v.clone());
            if k == "reason" {
                // A fragment catches a truncated or re-wrapped note too.
                out.insert(v.chars().take(24).collect());
            }
        }
    }
    if let (Some(first), Some(last)) = (text("member_first_name"), text("member_last_name")) {
        out.insert(format!("{first} {last}"));
        out.insert(format!("{last}, {first}"));
    }
    if let Some(dob) = text("member_dob")
        && let Ok(d) = chrono::NaiveDate::parse_from_str(&dob, "%Y-%m-%d")
    {
        out.insert(dob.clone());
        for f in [
            "%m/%d/%Y",
            "%-m/%-d/%Y",
            "%m-%d-%Y",
            "%b %-d, %Y",
            "%B %-d, %Y",
            "%-d-%b-%Y",
        ] {
            out.insert(d.format(f).to_string());
        }
    }
    if let Some(p) = text("member_phone")
        && p.len() == 10
    {
        let (a, b, c) = (&p[..3], &p[3..6], &p[6..]);
        out.insert(p.clone());
        out.insert(format!("{a}-{b}-{c}"));
        out.insert(format!("({a}) {b}-{c}"));
        out.insert(format!("{a}.{b}.{c}"));
    }
}

fn referral_fields(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    for r in v
        .get("referrals")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(f) = r.get("fields") {
            member_values(f, out);
        }
    }
}

/// Every member value the corpus's golden and intent files name.
fn corpus_values() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for golden in files(&root().join("fixtures/demo"), &["json"]) {
        if !golden.to_string_lossy().ends_with(".expected.json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&golden).expect("read golden"))
                .expect("golden json");
        referral_fields(&v, &mut out);
    }
    for dir in ["holdout", "blind2", "hostile"] {
        let path = root().join("fixtures").join(dir).join("intent.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let v: serde_json::Value = serde_json::from_str(&text).expect("intent json");
        for item in v.as_array().into_iter().flatten() {
            referral_fields(item, &mut out);
        }
    }
    out.retain(|v| v.trim().chars().count() >= 4);
    out
}

/// Every .eml of the corpus.
fn corpus_messages() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["demo", "holdout", "blind2", "hostile"] {
        let d = root().join("fixtures").join(dir);
        if d.is_dir() {
            out.extend(
                files(&d, &["eml"])
                    .iter()
                    .map(|p| std::fs::read(p).expect("read eml")),
            );
        }
    }
    out
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn leaks(log: &str, values: &BTreeSet<String>) -> Vec<String> {
    values
        .iter()
        .filter(|v| log.contains(v.as_str()))
        .cloned()
        .collect()
}

#[test]
fn trace_logs_of_the_whole_corpus_carry_no_member_data() {
    let values = corpus_values();
    assert!(
        values.len() > 200,
        "the corpus names many member values: {}",
        values.len()
    );
    let messages = corpus_messages();
    assert!(messages.len() >= 40, "the whole corpus: {}", messages.len());

    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, env.config_toml(&store_url)).expect("config");
    for raw in &messages {
        env.append(NCAL, "INBOX", raw);
    }
    let log_path = dir.path().join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_referral-intake"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        // Asking for the wire crates by name too: the cap must hold against that as well.
        .env(
            "REFERRAL_INTAKE_LOG",
            "trace,async_imap=trace,imap_proto=trace,lettre=trace,rustls=trace",
        )
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("start referral-intake run");

    // Every message taken out of the inbox (filed after its commit), then the outbox drained.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Every UID recorded and filed (duplicates and quarantined mail included).
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let want = i64::try_from(messages.len()).expect("count");
        wait_until("the inbox to be processed", Duration::from_secs(50), || {
            // A plain connection: Store::open would race the daemon to apply migrations.
            rt.block_on(async {
                sqlx::any::install_default_drivers();
                let Ok(pool) = sqlx::AnyPool::connect(&format!("{store_url}?mode=ro")).await else {
                    return false;
                };
                sqlx::query("SELECT COUNT(*) FROM mailbox_uids WHERE filed_ms IS NOT NULL")
                    .fetch_one(&pool)
                    .await
                    .map(|r| r.get::<i64, _>(0) >= want)
                    .unwrap_or(false)
            })
        });
        let mut last = (0, Instant::now());
        wait_until("the outbox to drain", Duration::from_secs(30), || {
            let n = env.sink().len();
            if n != last.0 {
                last = (n, Instant::now());
            }
            last.0 > 0 && last.1.elapsed() > Duration::from_secs(2)
        });
    }));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    // Kept for diagnosis (synthetic data only); overwritten by the next run.
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("privacy-trace.log");
    let _ = std::fs::copy(&log_path, &kept);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }

    let log = std::fs::read_to_string(&log_path).expect("read log");
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "the run logged at TRACE (or the test proves nothing)"
    );
    assert!(
        !log.contains(&format!("\"{PASSWORD}\"")),
        "the IMAP password appears in the log (async-imap's LOGIN trace)"
    );
    let found = leaks(&log, &values);
    if !found.is_empty() {
        panic!(
            "member data in TRACE logs ({} value(s), log kept at {}): {found:?}",
            found.len(),
            kept.display()
        );
    }
}
