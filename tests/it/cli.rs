//! The command line contract (SPEC §7): JSON shapes, exit codes, default config path.

use crate::support::{json, run};

#[test]
fn classify_prints_programs_and_rule() {
    let out = run(&["classify", "Fwd: [EXTERNAL] ECM/CS Referral"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        json(&out),
        serde_json::json!({"programs": ["ecm", "cs"], "rule": "ecm+cs"})
    );
    let out = run(&["classify", "Re: Your CS degree"]);
    assert_eq!(json(&out)["programs"], serde_json::json!([]));
}

#[test]
fn config_flag_works_before_or_after_the_command() {
    let a = run(&[
        "--config",
        "config/referral-intake.toml",
        "classify",
        "CHW referral",
    ]);
    let b = run(&[
        "classify",
        "CHW referral",
        "--config",
        "config/referral-intake.toml",
    ]);
    assert_eq!(json(&a), json(&b));
    assert_eq!(json(&a)["programs"], serde_json::json!(["chw"]));
}

#[test]
fn explain_prints_the_contract_shape() {
    let out = run(&["explain", "fixtures/demo/11-kp-ecm-and-cs.eml"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "disposition",
            "programs",
            "inbox_region",
            "reasons",
            "referrals",
            "emails"
        ]
    );
    assert_eq!(v["disposition"], "referral");
    assert_eq!(v["programs"], serde_json::json!(["ecm", "cs"]));
    let r = &v["referrals"][0];
    let rkeys: Vec<&String> = r.as_object().expect("object").keys().collect();
    assert_eq!(rkeys, ["program", "fields", "outcome", "reasons", "region"]);
    assert!(
        r["fields"].get("program").is_none(),
        "program is the referral's own key"
    );
    assert_eq!(
        v["emails"][0],
        serde_json::json!({"kind": "ack", "to": "adoctorson@southbay-med.example"})
    );
}

#[test]
fn exit_codes() {
    assert_eq!(run(&["no-such-command"]).status.code(), Some(2), "usage");
    assert_eq!(
        run(&["explain"]).status.code(),
        Some(2),
        "usage: missing argument"
    );
    let missing = run(&["explain", "fixtures/demo/does-not-exist.eml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does-not-exist.eml"));
    let bad_cfg = run(&["classify", "x", "--config", "/nonexistent/referral-intake.toml"]);
    assert_eq!(bad_cfg.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_cfg.stderr).contains("cannot read configuration"));
}

#[test]
fn check_config_accepts_the_shipped_configuration() {
    let out = run(&["check-config"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert!(
        v["profiles"].as_array().expect("profiles").len() >= 5,
        "KP's form and at least four others"
    );
    assert!(v["zip_codes"].as_u64().expect("zips") > 2000);
    // Its templates render for every sample decision (a failure would have exited 1), and it
    // sets up replay, not the daemon: `run` would still need SMTP and the inboxes' servers,
    // which are listed, not refused.
    assert_eq!(v["run"]["ready"], false);
    let missing = v["run"]["missing"].to_string();
    assert!(missing.contains("[smtp] is not configured"), "{missing}");
    assert!(
        missing.contains("[[inbox]] REGMCDURNS-KPNC@kp.org has no host"),
        "{missing}"
    );
}
