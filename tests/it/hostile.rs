//! The hostile-input corpus (`fixtures/hostile/`, issue #4): every message ends as expected
//! (mostly `review` with a specific, content-free detail), through the real binary and through
//! the live daemon, which goes on with the next message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use referral_intake::config::Config;
use referral_intake::pipeline::{self, Context, EmailKind};
use referral_intake::screen::NoLookups;
use serde_json::Value;

use crate::support::inproc::{Daemon, setup, store_count};
use crate::support::mailenv::SunkMail;
use crate::support::{files, json, root, run, temp_config};

fn corpus_dir() -> PathBuf {
    root().join("fixtures/hostile")
}

fn expectations() -> Value {
    let text = std::fs::read_to_string(corpus_dir().join("expect.json")).expect("expect.json");
    serde_json::from_str(&text).expect("expect.json is JSON")
}

fn corpus_limits(expect: &Value) -> String {
    expect["limits"].as_str().expect("limits").to_string()
}

fn explain(config: &Path, eml: &Path) -> Value {
    let out = run(&[
        "explain",
        "--config",
        config.to_str().expect("utf8"),
        eml.to_str().expect("utf8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: explain failed: {}",
        eml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

/// What is wrong with one message's result, if anything.
fn mismatch(file: &str, want: &Value, got: &Value) -> Option<String> {
    if got["disposition"] != want["disposition"] {
        return Some(format!(
            "{file}: disposition {} != {}",
            got["disposition"], want["disposition"]
        ));
    }
    let reasons: Vec<&str> = got["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(reason) = want["reason"].as_str()
        && !reasons.contains(&reason)
    {
        return Some(format!("{file}: reasons {reasons:?} lack {reason}"));
    }
    if let Some(outcome) = want["outcome"].as_str() {
        let outcomes: Vec<&str> = got["referrals"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["outcome"].as_str())
            .collect();
        if outcomes != [outcome] {
            return Some(format!("{file}: outcomes {outcomes:?} != [{outcome}]"));
        }
    }
    let errors: Vec<&str> = got["attachment_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    match want["detail"].as_str() {
        Some(detail) if !errors.iter().any(|e| e.contains(detail)) => {
            Some(format!("{file}: attachment_errors {errors:?} lack {detail:?}"))
        }
        None if !errors.is_empty() => Some(format!("{file}: unexpected attachment_errors {errors:?}")),
        _ => None,
    }
}

/// Every corpus file is listed in expect.json, and `explain` (the real binary, the shipped
/// rules plus the corpus's small attachment cap) gives the expected disposition, reason code and
/// document error detail for each; the winmail.dat carrying a KP form is read and accepted.
#[test]
fn every_hostile_message_ends_with_its_specific_reason() {
    let expect = expectations();
    let want = expect["files"].as_object().expect("files");
    let emls = files(&corpus_dir(), &["eml"]);
    for eml in &emls {
        let name = eml.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(want.contains_key(name), "{name} is not in expect.json");
    }
    assert_eq!(emls.len(), want.len(), "every expect.json entry has its file");
    let (_dir, config) = temp_config(&corpus_limits(&expect));
    let problems: Vec<String> = emls
        .iter()
        .filter_map(|eml| {
            let name = eml.file_name().and_then(|n| n.to_str()).expect("name");
            mismatch(name, &want[name], &explain(&config, eml))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// With a tiny per-message time limit, a slow but legal document (3,000 PDF pages) is stopped by
/// the deadline and reported as such, instead of being read to the end.
#[test]
fn a_tiny_time_limit_stops_a_slow_but_legal_document() {
    let (_dir, config) = temp_config("[limits]\nmax_parse_seconds = 0.001\n");
    let got = explain(&config, &corpus_dir().join("pdf-many-pages.eml"));
    let want = serde_json::json!({
        "disposition": "review",
        "reason": "unreadable_attachment",
        "detail": "took longer than the 0.001 s time limit",
    });
    if let Some(m) = mismatch("pdf-many-pages.eml", &want, &got) {
        panic!("{m}");
    }
}

/// A referral attached inside winmail.dat is read like a normal attachment: the same referral
/// as the plain PDF gives.
#[test]
fn winmail_dat_carries_the_same_referral_as_the_plain_pdf() {
    let (_dir, config) = temp_config("");
    let tnef = explain(&config, &corpus_dir().join("tnef-winmail-kp-form.eml"));
    let plain = explain(&config, &root().join("fixtures/demo/01-kp-ecm-accepted.eml"));
    assert_eq!(tnef["referrals"][0]["fields"], plain["referrals"][0]["fields"]);
    assert_eq!(tnef["referrals"][0]["outcome"], "accepted");
    // `extract` walks the message's files as the decision does: the form inside winmail.dat.
    let out = run(&[
        "extract",
        "--config",
        config.to_str().expect("utf8"),
        corpus_dir()
            .join("tnef-winmail-kp-form.eml")
            .to_str()
            .expect("utf8"),
    ]);
    let docs: Value = serde_json::from_slice(&out.stdout).expect("json");
    let doc = &docs[0];
    assert!(
        doc["file"].as_str().is_some_and(|f| f.contains("winmail.dat/")),
        "{doc}"
    );
    assert_eq!(doc["kind"], "pdf_form");
    assert_eq!(
        doc["referrals"][0]["fields"]["member_cin"],
        plain["referrals"][0]["fields"]["member_cin"]
    );
}

/// The whole corpus, then a normal referral, in one inbox: every hostile message is stored and
/// filed (review, or accepted for the good winmail.dat), each gets exactly the emails the
/// decision plans, and the normal referral after them is acknowledged: the daemon goes on.
#[test]
fn the_daemon_files_the_hostile_corpus_and_goes_on() {
    let expect = expectations();
    let want = expect["files"].as_object().expect("files");
    // Every corpus message comes from one sender: the flood guard (tests/it/loops.rs) would
    // withhold acknowledgements past its limit, which is not what this test is about.
    let s = setup(&format!(
        "{}\n[outbound]\nack_limit_per_sender = 0\n",
        corpus_limits(&expect)
    ));
    let (env, config, store_url) = (&s.env, &s.config, &s.store_url);
    let cfg = Config::load(config).expect("config");

    let mut inputs: Vec<(String, Vec<u8>)> = files(&corpus_dir(), &["eml"])
        .into_iter()
        .map(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).expect("name").to_string();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect();
    let normal = std::fs::read(root().join("fixtures/demo/01-kp-ecm-accepted.eml")).expect("demo");
    inputs.push(("01-kp-ecm-accepted.eml".into(), normal));
    let mut planned = 0;
    let mut folders: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, raw) in &inputs {
        let ctx = Context {
            cfg: &cfg,
            lookups: &NoLookups,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
            inbox_region: Some("ncal"),
        };
        let (d, _) = pipeline::decide(raw, &ctx);
        planned += d.emails.len();
        let accepted = want
            .get(name.as_str())
            .is_none_or(|w| w["disposition"] == "referral");
        *folders
            .entry(if accepted {
                "Referrals/Accepted"
            } else {
                "Referrals/Review"
            })
            .or_default() += 1;
        env.append("ncal@example.test", "INBOX", raw);
    }

    let d = Daemon::start(config);
    let deadline = Instant::now() + Duration::from_secs(180);
    while store_count(store_url, "messages") < inputs.len() as i64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {} messages stored after 180 s",
            store_count(store_url, "messages"),
            inputs.len()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    for (folder, n) in &folders {
        let got = env.wait_list("ncal@example.test", folder, *n, Duration::from_secs(30));
        assert_eq!(got.len(), *n, "{folder}");
    }
    assert!(
        env.list("ncal@example.test", "INBOX").is_empty(),
        "nothing is left in the inbox"
    );

    // The normal referral, last in the inbox, is answered with an acknowledgement. (Not every
    // planned email reaches the test's sink: aiosmtpd's Python mail parser overflows its
    // recursion limit on the forward carrying 1,500 nested messages and refuses it, which the
    // outbox records as a permanent failure.)
    let acked = |sunk: &[SunkMail]| {
        sunk.iter().any(|m| {
            let Some(p) = mail_parser::MessageParser::default().parse(&m.raw) else {
                return false;
            };
            let kind = p
                .header_raw("X-Referral-Intake")
                .unwrap_or_default()
                .trim()
                .to_string();
            p.in_reply_to().as_text() == Some("01.demo@eastbay-clinic.example")
                && kind == EmailKind::Ack.code()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !acked(&env.sink()) {
        assert!(
            Instant::now() < deadline,
            "the referral after the hostile corpus was not acknowledged within 60 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(
        env.sink().len() >= planned - 2,
        "the planned emails went out ({} of {planned})",
        env.sink().len()
    );
    d.stop();
}
