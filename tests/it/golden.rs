//! Golden tests: `explain` for every demo message, `extract` for every form.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use referral_intake::config::Config;
use referral_intake::pipeline::{self, Context};
use referral_intake::screen::NoLookups;

use crate::support::{check_golden, files, root, run};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

/// The decision for every demo message equals its golden `explain` output.
#[test]
fn demo_messages_explain_as_expected() {
    let cfg = Config::load(&root().join("config/referral-intake.toml")).expect("config");
    let mut failures = Vec::new();
    let emls = files(&root().join("fixtures/demo"), &["eml"]);
    assert!(emls.len() >= 25, "the demo mailbox holds at least 25 messages");
    for eml in emls {
        let raw = std::fs::read(&eml).expect("read");
        let ctx = Context {
            cfg: &cfg,
            lookups: &NoLookups,
            today: today(),
            inbox_region: None,
        };
        let (d, _) = pipeline::decide(&raw, &ctx);
        let actual = serde_json::to_value(&d).expect("json");
        if let Some(f) = check_golden(&eml.with_extension("expected.json"), &actual) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `extract` on every form file equals its golden output, and every attachment kind is covered.
#[test]
fn forms_extract_as_expected() {
    let mut inputs = files(
        &root().join("fixtures/forms"),
        &["pdf", "xlsx", "xls", "ods", "csv", "dat"],
    );
    inputs.extend(files(
        &root().join("fixtures/forms/edge"),
        &["pdf", "png", "docx"],
    ));
    let mut failures = Vec::new();
    let mut kinds = BTreeSet::new();
    for input in &inputs {
        let rel = input
            .strip_prefix(root())
            .expect("relative")
            .to_string_lossy()
            .into_owned();
        let out = run(&["extract", &rel]);
        let code = out.status.code();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("extract prints JSON");
        let first = v.get(0).cloned().expect("one object per file");
        if first.get("error").is_some() {
            assert_eq!(code, Some(1), "{rel}: a file that cannot be read exits 1");
        } else {
            assert_eq!(code, Some(0), "{rel}");
            kinds.insert(first["kind"].as_str().unwrap_or_default().to_string());
        }
        if let Some(f) = check_golden(
            &input.with_extension(format!(
                "{}.expected.json",
                input.extension().and_then(|e| e.to_str()).unwrap_or_default()
            )),
            &first,
        ) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for k in ["pdf_form", "pdf_text", "xlsx", "xls", "ods", "csv"] {
        assert!(
            kinds.contains(k),
            "no form of kind {k} was read; kinds seen: {kinds:?}"
        );
    }
}

/// `extract --raw` lists every label and value, so an admin can write a profile.
#[test]
fn extract_raw_lists_labels_and_values() {
    let out = run(&["extract", "--raw", "fixtures/forms/kp-referral-filled.pdf"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let raw = v[0]["raw"][0]["entries"].as_array().expect("raw entries");
    let names: Vec<&str> = raw.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(names.contains(&"member.mrn_or_cin"), "{names:?}");
    assert!(
        raw.iter()
            .any(|e| e["alt"] == "MRN (or Medi-Cal CIN if MRN is unknown)")
    );
    assert_eq!(v[0]["profile"], "kp");
}

/// The held-out sets (`fixtures/holdout/`, `fixtures/blind2/`): other plans' forms, wording and
/// layouts, each written by someone who never saw the code, with the fields and outcomes a reader
/// expects. Every expected field and outcome must come out. First blind runs: holdout 8/19
/// outcomes and 222/282 fields, blind2 8/20 and 238/308; the gaps were fixed in the general
/// mechanisms, not per form, and both sets are now regression tests.
#[test]
fn held_out_messages_come_out_as_a_reader_expects() {
    let mut problems = Vec::new();
    for set in ["holdout", "blind2"] {
        problems.extend(check_held_out(set));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every message of a golden set (`fixtures/SET/intent.json`) with its decision as JSON:
/// `(file, what a reader expects, what we decided)`.
#[allow(clippy::indexing_slicing)] // test code: serde_json indexing yields Null, never panics
fn decide_set(set: &str) -> Vec<(String, serde_json::Value, serde_json::Value)> {
    let cfg = Config::load(&root().join("config/referral-intake.toml")).expect("config");
    let dir = root().join("fixtures").join(set);
    let intent: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("intent.json")).expect("intent"))
            .expect("json");
    intent
        .into_iter()
        .map(|want| {
            let file = want["file"].as_str().expect("file").to_string();
            let raw = std::fs::read(dir.join(&file)).expect("read");
            let ctx = Context {
                cfg: &cfg,
                lookups: &NoLookups,
                today: today(),
                inbox_region: None,
            };
            let (d, _) = pipeline::decide(&raw, &ctx);
            (file, want, serde_json::to_value(&d).expect("json"))
        })
        .collect()
}

#[allow(clippy::indexing_slicing)] // test code: serde_json indexing yields Null, never panics
fn check_held_out(set: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, want, got) in decide_set(set) {
        let (file, want) = (file.as_str(), &want);
        if got["disposition"] != want["disposition"] {
            problems.push(format!(
                "{file}: disposition {} want {}",
                got["disposition"], want["disposition"]
            ));
        }
        let empty = Vec::new();
        let (g, w) = (
            got["referrals"].as_array().unwrap_or(&empty),
            want["referrals"].as_array().unwrap_or(&empty),
        );
        if g.len() != w.len() {
            problems.push(format!("{file}: {} referrals want {}", g.len(), w.len()));
            continue;
        }
        for (i, (g, w)) in g.iter().zip(w).enumerate() {
            let mut gr: Vec<&str> = g["reasons"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(|r| r.as_str())
                .collect();
            let mut wr: Vec<&str> = w["reasons"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .filter_map(|r| r.as_str())
                .collect();
            gr.sort_unstable();
            wr.sort_unstable();
            if g["program"] != w["program"]
                || g["outcome"] != w["outcome"]
                || gr != wr
                || g["region"] != w["region"]
            {
                problems.push(format!(
                    "{file} #{i}: got {} {} {gr:?} {} want {} {} {wr:?} {}",
                    g["program"], g["outcome"], g["region"], w["program"], w["outcome"], w["region"]
                ));
            }
            for (k, v) in w["fields"].as_object().into_iter().flatten() {
                if &g["fields"][k] != v {
                    problems.push(format!("{file} #{i}: {k} = {} want {v}", g["fields"][k]));
                }
            }
        }
    }
    problems
}

/// The eighty-four blind sets of issue #8 (`fixtures/blind3` to `blind86`): scored blind before
/// any fix (docs/ACCURACY.md), then used to fix mechanisms. They are not all right, so this holds
/// them at their measured level instead: a change that loses a referral outcome or more than a
/// handful of fields fails here, and no referral may ask for a field its form holds more often
/// than it did when measured (none, except in blind11, blind26, blind32, blind39, blind42,
/// blind45, blind46, blind47, blind67 and blind68, whose open misses still ask).
#[test]
#[allow(clippy::indexing_slicing)] // test code: serde_json indexing yields Null, never panics
fn blind_sets_keep_their_measured_accuracy() {
    // (set, referral outcomes right, fields right, requests for fields the form holds) as
    // measured last.
    let floors = [
        ("blind3", 36, 587, 0),
        ("blind4", 41, 698, 0),
        ("blind5", 40, 682, 0),
        ("blind6", 38, 680, 0),
        ("blind7", 41, 761, 0),
        ("blind8", 37, 646, 0),
        ("blind9", 37, 646, 0),
        ("blind10", 40, 623, 0),
        ("blind11", 37, 674, 2),
        ("blind12", 40, 693, 0),
        ("blind13", 37, 632, 0),
        ("blind14", 38, 668, 0),
        ("blind15", 38, 637, 0),
        ("blind16", 37, 568, 0),
        ("blind17", 37, 621, 0),
        ("blind18", 36, 591, 0),
        ("blind19", 40, 658, 0),
        ("blind20", 39, 634, 0),
        ("blind21", 36, 643, 0),
        ("blind22", 36, 620, 0),
        ("blind23", 36, 588, 0),
        ("blind24", 38, 648, 0),
        ("blind25", 37, 633, 0),
        ("blind26", 36, 620, 4),
        ("blind27", 39, 648, 0),
        ("blind28", 39, 673, 0),
        ("blind29", 37, 597, 0),
        ("blind30", 39, 674, 0),
        ("blind31", 35, 525, 0),
        ("blind32", 32, 613, 2),
        ("blind33", 37, 590, 0),
        ("blind34", 37, 618, 0),
        ("blind35", 40, 602, 0),
        ("blind36", 36, 598, 0),
        ("blind37", 36, 558, 0),
        ("blind38", 37, 552, 0),
        ("blind39", 30, 493, 2),
        ("blind40", 25, 410, 0),
        ("blind41", 36, 525, 0),
        ("blind42", 34, 571, 5),
        ("blind43", 35, 566, 0),
        ("blind44", 36, 600, 0),
        ("blind45", 35, 553, 1),
        ("blind46", 36, 578, 2),
        ("blind47", 36, 638, 1),
        ("blind48", 37, 593, 0),
        ("blind49", 37, 552, 0),
        ("blind50", 29, 504, 0),
        ("blind51", 38, 637, 0),
        ("blind52", 38, 647, 0),
        ("blind53", 39, 700, 0),
        ("blind54", 37, 578, 0),
        ("blind55", 37, 646, 0),
        ("blind56", 35, 571, 0),
        ("blind57", 37, 593, 0),
        ("blind58", 37, 616, 0),
        ("blind59", 37, 619, 0),
        ("blind60", 36, 596, 0),
        ("blind61", 37, 616, 0),
        ("blind62", 36, 608, 0),
        ("blind63", 38, 608, 0),
        ("blind64", 36, 536, 0),
        ("blind65", 36, 626, 0),
        ("blind66", 36, 605, 0),
        ("blind67", 37, 650, 1),
        ("blind68", 35, 541, 1),
        ("blind69", 36, 616, 0),
        ("blind70", 39, 671, 0),
        ("blind71", 37, 621, 0),
        ("blind72", 36, 610, 0),
        ("blind73", 36, 609, 0),
        ("blind74", 40, 657, 0),
        ("blind75", 37, 620, 0),
        ("blind76", 36, 555, 0),
        ("blind77", 36, 600, 0),
        ("blind78", 37, 608, 0),
        ("blind79", 37, 614, 0),
        ("blind80", 37, 615, 0),
        ("blind81", 38, 633, 0),
        ("blind82", 38, 619, 0),
        ("blind83", 38, 658, 0),
        ("blind84", 37, 651, 0),
        ("blind85", 38, 587, 0),
        ("blind86", 36, 614, 0),
        ("blind87", 37, 585, 0),
        ("blind88", 36, 574, 0),
    ];
    let mut report = Vec::new();
    for (set, min_outcomes, min_fields, max_asked) in floors {
        let (mut outcomes, mut fields, mut asked) = (0, 0, Vec::new());
        for (file, want, got) in decide_set(set) {
            let empty = Vec::new();
            let g = got["referrals"].as_array().unwrap_or(&empty);
            for (i, w) in want["referrals"].as_array().unwrap_or(&empty).iter().enumerate() {
                let g = g.get(i).cloned().unwrap_or_default();
                let sorted = |v: &serde_json::Value| -> Vec<String> {
                    let mut r: Vec<String> = v
                        .as_array()
                        .unwrap_or(&empty)
                        .iter()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect();
                    r.sort();
                    r
                };
                if g["program"] == w["program"]
                    && g["outcome"] == w["outcome"]
                    && g["region"] == w["region"]
                    && sorted(&g["reasons"]) == sorted(&w["reasons"])
                {
                    outcomes += 1;
                }
                for (k, v) in w["fields"].as_object().into_iter().flatten() {
                    // A set may list the referral's program among its fields (SPEC §7 keeps it
                    // beside them).
                    let got_value = if k == "program" {
                        &g["program"]
                    } else {
                        &g["fields"][k]
                    };
                    let same = match (got_value, v) {
                        (serde_json::Value::Array(a), serde_json::Value::Array(b)) => {
                            let (mut a, mut b) = (a.clone(), b.clone());
                            a.sort_by_key(ToString::to_string);
                            b.sort_by_key(ToString::to_string);
                            a == b
                        }
                        (a, b) => a == b,
                    };
                    fields += usize::from(same);
                }
                for r in sorted(&g["reasons"]) {
                    if let Some(key) = r.strip_prefix("missing_field:")
                        && !w["fields"][key].is_null()
                    {
                        asked.push(format!("{set}/{file} #{i}: asked for {key}"));
                    }
                }
            }
        }
        report.push(format!("{set}: {outcomes} outcomes, {fields} fields"));
        assert!(
            outcomes >= min_outcomes && fields >= min_fields,
            "{set} fell below its measured accuracy ({min_outcomes} outcomes, {min_fields} fields): {report:?}"
        );
        assert!(asked.len() <= max_asked, "{asked:?}");
    }
}
