//! Configuration: contract-keys-only files work anywhere, files beside them override the built-in
//! rules, and every problem is reported with file:line.

use crate::support::{json, root, run, temp_config};

#[test]
fn a_config_with_only_contract_keys_works_from_anywhere() {
    let (_dir, config) = temp_config(
        "\n[regions.ncal]\nteam_address = \"team@kp-referrals.example\"\nreview_address = \"review@kp-referrals.example\"\n",
    );
    let c = config.to_str().expect("utf8");
    let out = run(&["check-config", "--config", c]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["explain", "fixtures/demo/01-kp-ecm-accepted.eml", "--config", c]);
    let v = json(&out);
    assert_eq!(v["referrals"][0]["outcome"], "accepted");
    assert_eq!(v["emails"][1]["to"], "team@kp-referrals.example");
}

#[test]
fn files_beside_the_config_override_the_built_in_rules() {
    let (dir, config) = temp_config("");
    std::fs::write(
        dir.path().join("subjects.toml"),
        "[[rule]]\nname = \"housing\"\npattern = '\\bhousing\\b'\nprograms = [\"cs\"]\n",
    )
    .expect("write");
    let c = config.to_str().expect("utf8");
    let v = json(&run(&["classify", "Housing help", "--config", c]));
    assert_eq!(v, serde_json::json!({"programs": ["cs"], "rule": "housing"}));
    // The built-in rules are replaced, not merged.
    assert_eq!(
        json(&run(&["classify", "ECM Referral", "--config", c]))["programs"],
        serde_json::json!([])
    );

    // A new form profile dropped into forms/ is used without recompiling...
    std::fs::create_dir_all(dir.path().join("forms")).expect("mkdir");
    std::fs::write(
        dir.path().join("forms/sacramento-batch.toml"),
        "name = \"sacramento_batch\"\n[detect]\nfields = [\"Referring Worker\"]\n[fields]\n\"Notes\" = \"ignore\"\n",
    )
    .expect("write");
    let v = json(&run(&[
        "extract",
        "fixtures/forms/county-ecm-batch-1904.xlsx",
        "--config",
        c,
    ]));
    assert_eq!(v[0]["profile"], "sacramento_batch");
    assert!(
        v[0]["referrals"][0]["fields"].get("reason").is_none(),
        "the profile's ignore applies"
    );
    // ...and one with a shipped profile's file name replaces it.
    std::fs::write(
        dir.path().join("forms/partnership.toml"),
        "name = \"partnership\"\nenabled = false\n[detect]\ntext = [\"Partnership HealthPlan\"]\n",
    )
    .expect("write");
    let v = json(&run(&[
        "extract",
        "fixtures/forms/phc-chw-request.xlsx",
        "--config",
        c,
    ]));
    assert_eq!(v[0]["profile"], "generic");
}

#[test]
fn every_problem_is_reported_with_file_and_line() {
    let (dir, config) = temp_config("\n[limits]\nmax_cellz = 3\n");
    std::fs::write(
        dir.path().join("subjects.toml"),
        "[[rule]]\nname = \"a\"\npattern = '(unclosed'\nprograms = [\"ecm\"]\n\n[[rule]]\nname = \"b\"\npattern = 'x'\nprograms = [\"ecn\"]\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.path().join("forms")).expect("mkdir");
    std::fs::write(
        dir.path().join("forms/bad.toml"),
        "name = \"bad\"\n[detect]\ntext = [\"x\"]\n[fields]\n\"A\" = \"member_dbo\"\n",
    )
    .expect("write");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("referral-intake.toml:13:1: unknown field `max_cellz`"),
        "{err}"
    );
    // The main file failing stops there; fix it and the rule files' problems all show at once.
    std::fs::write(
        &config,
        std::fs::read_to_string(&config)
            .expect("read")
            .replace("max_cellz", "max_cells"),
    )
    .expect("write");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("subjects.toml:3:11: rule `a`: bad pattern"), "{err}");
    assert!(
        err.contains("subjects.toml:9:12: rule `b`: unknown program `ecn`"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:5:7: field `A`: unknown canonical field `member_dbo`"),
        "{err}"
    );
}

/// The per-message time limit must be a positive number of seconds, at most an hour.
#[test]
fn max_parse_seconds_is_validated() {
    for bad in ["0", "-1", "5000", "nan"] {
        let (_dir, config) = temp_config(&format!("\n[limits]\nmax_parse_seconds = {bad}\n"));
        let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("referral-intake.toml:13:1: [limits] max_parse_seconds"),
            "{bad}: {err}"
        );
    }
    let (_dir, config) = temp_config("\n[limits]\nmax_parse_seconds = 0.5\n");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A copy of the shipped templates in `dir/templates`, with `from` replaced by `to` in `name`,
/// and a contract-keys config pointing at them. Returns the config and the edited file.
fn config_with_template_edit(
    name: &str,
    from: &str,
    to: &str,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (dir, config) = temp_config("\n[paths]\ntemplates = \"templates\"\n");
    let tpl = dir.path().join("templates");
    std::fs::create_dir_all(&tpl).expect("mkdir");
    let text = std::fs::read_to_string(root().join("templates").join(name)).expect("shipped template");
    assert!(text.contains(from), "{name} has {from:?}");
    let edited = tpl.join(name);
    std::fs::write(&edited, text.replacen(from, to, 1)).expect("write");
    (dir, config, edited)
}

/// Issue #9: a template using a variable its email does not have (here only in the
/// needs-info branch of the acknowledgement) loaded fine, then failed every message that
/// reached that branch three times and quarantined it unanswered. `check-config` now renders
/// every template against sample decisions and names the file and line; every other command
/// refuses the configuration the same way.
#[test]
fn a_template_with_an_undefined_variable_is_refused_naming_the_file_and_line() {
    let (_dir, config, edited) = config_with_template_edit(
        "ack.txt",
        "{% for m in r.missing %}",
        "{% for m in r.missing_fields %}",
    );
    let c = config.to_str().expect("utf8");
    let line = std::fs::read_to_string(&edited)
        .expect("read")
        .lines()
        .position(|l| l.contains("r.missing_fields"))
        .map(|i| i + 1)
        .expect("line");
    let out = run(&["check-config", "--config", c]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let want = format!("{}:{line}: undefined value", edited.display());
    assert!(err.contains(&want), "want {want:?} in:\n{err}");
    assert!(err.contains("needs_info"), "names the sample that failed: {err}");
    assert!(out.stdout.is_empty(), "no ok report");

    // Every command loads the configuration the same way: `replay` would have failed each
    // needs-info message; now it refuses before reading any.
    let out = run(&["replay", "fixtures/demo/01-kp-ecm-accepted.eml", "--config", c]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&want));

    // The HTML part is checked too, not only the first part that fails.
    let (_dir, config, edited) =
        config_with_template_edit("redirect.html", "{{ r.nle.name }}", "{{ r.nle.nam }}");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("{}:", edited.display())), "{err}");
    assert!(err.contains("nle_self_referral"), "{err}");
}

/// An inbox or region address lettre would not take (it parses them to compose and send) is
/// refused by `check-config`, naming the key with its line; before, only a missing `@` was.
#[test]
fn an_address_mail_cannot_be_sent_with_is_refused_naming_the_key() {
    let (_dir, config) = temp_config(
        "\n[regions.ncal]\nteam_address = \"ncal team@kp-referrals.example\"\n\
         review_address = \"Review Queue <review@kp-referrals.example>\"\n",
    );
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "referral-intake.toml:13:1: [regions.ncal] team_address `ncal team@kp-referrals.example`"
        ),
        "{err}"
    );
    assert!(
        err.contains("referral-intake.toml:14:1: [regions.ncal] review_address `Review Queue <review@kp-referrals.example>`"),
        "{err}"
    );

    let (_dir, config) = temp_config("");
    let text = std::fs::read_to_string(&config)
        .expect("read")
        .replace("RegCareCoordCaseMgmt@kp.org", "RegCareCoordCaseMgmt@kp..org");
    std::fs::write(&config, text).expect("write");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("referral-intake.toml:10:1: [[inbox]] address `RegCareCoordCaseMgmt@kp..org`"),
        "{err}"
    );
}
