//! `reprocess` (issue #11): the dry run, and applying a changed decision end to end on real
//! mail servers.

use std::time::Duration;

use referral_intake::config::Config;
use referral_intake::ingest::{self, Source};
use referral_intake::store::{OutboxStatus, Roster, Store};

use crate::support::child::{rows, wait_until_or};
use crate::support::inproc::{Daemon, setup};
use crate::support::{root, run};

use super::demo;

/// `reprocess --dry-run` after an admin restores a form-profile synonym: a county batch stored
/// while the profile lacked `dob` (every row went to review with `uncertain_field:member_dob`)
/// shows `review -> accepted` for its complete row under today's profile, keeps the reference,
/// and writes nothing.
#[test]
fn reprocess_dry_run_shows_what_a_restored_synonym_changes() {
    let dir = tempfile::tempdir().expect("tmp");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = super::offline_config(dir.path(), &store_url);
    let cfg_arg = config.to_string_lossy().to_string();
    // The synonym table without "dob": the batch's DOB column is no longer mapped.
    let generic = std::fs::read_to_string(root().join("config/forms/generic.toml")).expect("generic");
    let broken = generic.replacen("dob = [\"dob\", ", "dob = [", 1);
    assert_ne!(broken, generic, "the dob synonym line changed; update this test");
    std::fs::create_dir(dir.path().join("forms")).expect("forms");
    std::fs::write(dir.path().join("forms/generic.toml"), broken).expect("override");
    let eml = root().join("fixtures/demo/08-county-batch-csv-mixed.eml");
    let out = run(&[
        "replay",
        &eml.to_string_lossy(),
        "--format",
        "json",
        "--config",
        &cfg_arg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stored = rows(
        &store_url,
        "SELECT reference, outcome FROM referrals ORDER BY reference",
    );
    assert!(stored.iter().all(|r| r[1] == "review"), "{stored:?}");

    // The admin restores the synonym (the override goes; the shipped table has it).
    std::fs::remove_file(dir.path().join("forms/generic.toml")).expect("rm");
    let out = run(&[
        "reprocess",
        "--dry-run",
        "--outcome",
        "review",
        "--since",
        "1h",
        "--config",
        &cfg_arg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = &lines[0];
    assert_eq!(l["changed"], true);
    let rs = l["referrals"].as_array().expect("referrals");
    assert_eq!(rs.len(), stored.len());
    let accepted: Vec<&serde_json::Value> = rs.iter().filter(|r| r["new_outcome"] == "accepted").collect();
    assert_eq!(accepted.len(), 1, "{l:#}");
    assert_eq!(accepted[0]["old_outcome"], "review");
    assert!(
        stored.iter().any(|r| accepted[0]["reference"] == r[0].as_str()),
        "the reference is kept: {l:#}"
    );
    // Every row loses the doubt about the DOB; the rest keep their own reasons.
    assert!(
        rs.iter().all(|r| !r["new_reasons"]
            .to_string()
            .contains("uncertain_field:member_dob")),
        "{l:#}"
    );

    // Nothing was written, and nothing stored is accepted yet.
    let after = rows(
        &store_url,
        "SELECT reference, outcome FROM referrals ORDER BY reference",
    );
    assert_eq!(after, stored);
    let out = run(&[
        "reprocess",
        "--dry-run",
        "--outcome",
        "accepted",
        "--config",
        &cfg_arg,
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));

    // Bad input: clear errors, exit 1.
    let out = run(&["reprocess", "--dry-run", "--since", "7", "--config", &cfg_arg]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&[
        "reprocess",
        "--dry-run",
        "--outcome",
        "accept",
        "--config",
        &cfg_arg,
    ]);
    assert_eq!(out.status.code(), Some(1));
}

/// The case, end to end on real mail servers: the daemon reads a referral while the
/// generic profile lacks the `first name` synonym, so the body's "Member First Name" is not read
/// and the referral is `needs_info` (the sender is asked for it). The admin restores the synonym;
/// `reprocess --dry-run` shows `needs_info -> accepted` and changes nothing; `reprocess` applies
/// it under the same reference with the old decision kept; the daemon's sender then delivers
/// exactly one update to the sender and one forward to the team. Applying again changes and
/// sends nothing, and `status` shows the earlier decision.
#[test]
fn reprocess_applies_a_restored_synonym_and_sends_one_update_and_one_forward() {
    let s = setup("");
    let cfg_arg = s.config.to_string_lossy().to_string();
    let forms = s.config.parent().expect("config dir").join("forms");
    let generic = std::fs::read_to_string(root().join("config/forms/generic.toml")).expect("generic");
    let at = generic.find("\n[attributes]").expect("the synonym table");
    let (head, attributes) = generic.split_at(at);
    let broken = format!("{head}{}", attributes.replacen("\"first name\", ", "", 1));
    assert_ne!(
        broken, generic,
        "the first-name synonym line changed; update this test"
    );
    std::fs::create_dir(&forms).expect("forms");
    std::fs::write(forms.join("generic.toml"), broken).expect("override");

    let eml = demo("22-body-only-ecm.eml");
    let sender = "pat.tester@sac-health.example";
    s.env.append("ncal@example.test", "INBOX", &eml);
    let d = Daemon::start(&s.config);
    // needs_info: the sender is asked for what is missing; nothing goes to the team.
    let first = s.env.wait_sink(1, Duration::from_secs(30));
    d.stop();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].rcpt_to, vec![sender.to_string()]);
    let stored = rows(
        &s.store_url,
        "SELECT reference, outcome, reasons FROM referrals ORDER BY reference",
    );
    assert_eq!(stored.len(), 1, "{stored:?}");
    let reference = stored[0][0].clone();
    assert_eq!(stored[0][1], "needs_info");
    assert!(
        stored[0][2].contains("missing_field:member_first_name"),
        "{stored:?}"
    );

    // The admin restores the synonym: the dry run shows the change and writes nothing.
    std::fs::remove_file(forms.join("generic.toml")).expect("rm");
    let lines = |out: &std::process::Output| -> Vec<serde_json::Value> {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    };
    let outbox_before = rows(&s.store_url, "SELECT id FROM outbox");
    let dry = lines(&run(&[
        "reprocess",
        "--dry-run",
        "--outcome",
        "needs_info",
        "--config",
        &cfg_arg,
    ]));
    assert_eq!(dry.len(), 1, "{dry:?}");
    assert_eq!(dry[0]["changed"], true);
    assert!(dry[0].get("applied").is_none(), "{:#}", dry[0]);
    let r = &dry[0]["referrals"][0];
    assert_eq!(
        (&r["reference"], &r["old_outcome"], &r["new_outcome"]),
        (
            &serde_json::json!(reference),
            &serde_json::json!("needs_info"),
            &serde_json::json!("accepted")
        ),
        "{:#}",
        dry[0]
    );
    let after_dry = rows(
        &s.store_url,
        "SELECT reference, outcome, reasons FROM referrals ORDER BY reference",
    );
    assert_eq!(after_dry, stored);
    assert_eq!(rows(&s.store_url, "SELECT id FROM outbox"), outbox_before);

    // Applied: same reference, new outcome, the old decision kept beside it, two emails queued.
    let applied = lines(&run(&["reprocess", "--config", &cfg_arg]));
    assert_eq!(applied.len(), 1, "{applied:?}");
    assert_eq!(applied[0]["applied"], true, "{:#}", applied[0]);
    let queued: Vec<(String, String, String)> = applied[0]["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_string(),
                e["to"].as_str().unwrap_or("").to_string(),
                e["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let team = "ncal-team@example.test";
    assert_eq!(
        queued,
        vec![
            ("update".to_string(), sender.to_string(), "pending".to_string()),
            ("forward".to_string(), team.to_string(), "pending".to_string()),
        ]
    );
    let now = rows(
        &s.store_url,
        "SELECT reference, outcome FROM referrals ORDER BY reference",
    );
    assert_eq!(now, vec![vec![reference.clone(), "accepted".to_string()]]);
    let kept = rows(
        &s.store_url,
        "SELECT reference, old_outcome, old_reasons, new_outcome FROM decisions",
    );
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0][0], reference);
    assert_eq!(
        (kept[0][1].as_str(), kept[0][3].as_str()),
        ("needs_info", "accepted")
    );
    assert!(kept[0][2].contains("missing_field:member_first_name"), "{kept:?}");

    // The daemon's sender delivers them: exactly one update to the sender, one forward to the
    // team.
    let d = Daemon::start(&s.config);
    wait_until_or(
        "the queued update and forward are sent",
        Duration::from_secs(30),
        || {
            rows(&s.store_url, "SELECT status FROM outbox")
                .iter()
                .all(|r| r[0] == "sent")
        },
        || {
            format!(
                "{:?}",
                rows(&s.store_url, "SELECT kind, status, last_error FROM outbox")
            )
        },
    );
    d.stop();
    let sunk = s.env.sink();
    assert_eq!(
        sunk.len(),
        3,
        "the first acknowledgement, then the update and the forward"
    );
    let later = sunk.get(1..).expect("two more");
    let text = |m: &crate::support::mailenv::SunkMail| String::from_utf8_lossy(&m.raw).to_string();
    let updates: Vec<String> = later.iter().filter(|m| m.rcpt_to == [sender]).map(text).collect();
    assert_eq!(updates.len(), 1, "{updates:?}");
    let update = &updates[0];
    assert!(update.contains("X-Referral-Intake: update"), "{update}");
    assert!(
        update.contains(&format!("Subject: Update on your referral - {reference}")),
        "{update}"
    );
    let unfolded = update.replace("=\r\n", "").replace("=\n", "");
    assert!(unfolded.contains("no need to send anything else"), "{update}");
    assert!(
        !update.contains("Noel") && !update.contains("Bodytext"),
        "no member data: {update}"
    );
    let forwards: Vec<String> = later.iter().filter(|m| m.rcpt_to == [team]).map(text).collect();
    assert_eq!(forwards.len(), 1, "{later:?}");
    assert!(
        forwards[0].contains("X-Referral-Intake: forward"),
        "{}",
        forwards[0]
    );
    assert!(forwards[0].contains(&reference), "{}", forwards[0]);

    // Again: nothing changes, nothing is queued.
    let outbox_after = rows(&s.store_url, "SELECT id, status FROM outbox ORDER BY id");
    let again = lines(&run(&["reprocess", "--config", &cfg_arg]));
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["changed"], false, "{:#}", again[0]);
    assert_eq!(again[0]["applied"], false);
    assert!(again[0].get("emails").is_none(), "{:#}", again[0]);
    assert_eq!(
        rows(&s.store_url, "SELECT id, status FROM outbox ORDER BY id"),
        outbox_after
    );
    assert_eq!(rows(&s.store_url, "SELECT id FROM decisions").len(), 1);

    // `status` tells the phone line what changed.
    let out = run(&["status", &reference, "--config", &cfg_arg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("Earlier decisions (replaced by reprocess)"),
        "{table}"
    );
    assert!(table.contains("needs_info    -> accepted"), "{table}");
    let out = run(&["status", &reference, "--json", "--config", &cfg_arg]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["earlier_decisions"][0]["old_outcome"], "needs_info");
    assert_eq!(st["earlier_decisions"][0]["new_outcome"], "accepted");
    assert_eq!(st["referrals"][0]["outcome"], "accepted");
}

/// On both stores: a quarantined message (stored for review, nothing sent) and a `needs_info`
/// referral read over IMAP while a synonym was missing are decided again. The quarantined one
/// gets its referral under a new reference and the acknowledgement and forward it never had; the
/// other keeps its reference and gets an update and a forward; both are queued `pending` for the
/// daemon, both earlier decisions are kept (the quarantined one's as none), and applying again
/// changes nothing.
#[test]
fn reprocess_applies_on_both_stores_including_a_quarantined_message() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (_db, pg) = crate::postgres::TempDb::create(&rt);
    let dir = tempfile::tempdir().expect("tmp");
    let lite = format!("sqlite://{}", dir.path().join("both.db").display());
    for (n, url) in [pg.as_str(), lite.as_str()].into_iter().enumerate() {
        let home = dir.path().join(format!("config-{n}"));
        std::fs::create_dir_all(home.join("forms")).expect("forms");
        let config = super::offline_config(&home, url);
        let generic = std::fs::read_to_string(root().join("config/forms/generic.toml")).expect("generic");
        let at = generic.find("\n[attributes]").expect("the synonym table");
        let (head, attributes) = generic.split_at(at);
        let broken = format!("{head}{}", attributes.replacen("\"first name\", ", "", 1));
        std::fs::write(home.join("forms/generic.toml"), broken).expect("override");
        let cfg = Config::load(&config).expect("config");
        let source = |uid| Source {
            mailbox: "regmcdurns-kpnc@kp.org/INBOX".into(),
            uidvalidity: Some(7),
            uid: Some(uid),
            inbox_region: Some("ncal".into()),
            resync: false,
            lease: None,
            cursor_to: None,
        };
        rt.block_on(async {
            let store = Store::open(url).await.expect("store");
            let roster = Roster::default();
            ingest::quarantine(
                &cfg,
                &store,
                &demo("01-kp-ecm-accepted.eml"),
                &source(1),
                "decision timed out",
            )
            .await
            .expect("quarantine");
            let got = ingest::ingest(
                cfg.clone(),
                &store,
                &roster,
                demo("22-body-only-ecm.eml"),
                &source(2),
                OutboxStatus::Pending,
            )
            .await
            .expect("ingest");
            assert_eq!(got.decision.referrals[0].outcome.code(), "needs_info");
            // As if the daemon's sender had delivered the first acknowledgement.
            sqlx::query("UPDATE outbox SET status = 'sent'")
                .execute(store.pool())
                .await
                .expect("sent");
        });
        std::fs::remove_file(home.join("forms/generic.toml")).expect("rm");
        let cfg_arg = config.to_string_lossy().to_string();
        let out = run(&["reprocess", "--config", &cfg_arg]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "{url}: {lines:?}");
        let kinds = |l: &serde_json::Value| -> Vec<(String, String)> {
            l["emails"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            assert_eq!(e["status"], "pending", "{e}");
                            (
                                e["kind"].as_str().unwrap_or("").into(),
                                e["to"].as_str().unwrap_or("").into(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let team = "ncal-care-coordination@kp-referrals.example".to_string();
        let (quarantined, asked) = (&lines[0], &lines[1]);
        assert_eq!(
            (
                &quarantined["old_disposition"],
                &quarantined["new_disposition"],
                &quarantined["applied"]
            ),
            (
                &serde_json::json!("review"),
                &serde_json::json!("referral"),
                &serde_json::json!(true)
            ),
            "{quarantined:#}"
        );
        let new_ref = quarantined["referrals"][0]["reference"]
            .as_str()
            .expect("a new reference");
        assert_eq!(
            quarantined["referrals"][0]["old_outcome"],
            serde_json::Value::Null
        );
        assert_eq!(quarantined["referrals"][0]["new_outcome"], "accepted");
        assert_eq!(
            kinds(quarantined),
            vec![
                (
                    "ack".to_string(),
                    "jane.sample@eastbay-clinic.example".to_string()
                ),
                ("forward".to_string(), team.clone())
            ]
        );
        assert_eq!(asked["applied"], true, "{asked:#}");
        assert_eq!(
            kinds(asked),
            vec![
                ("update".to_string(), "pat.tester@sac-health.example".to_string()),
                ("forward".to_string(), team)
            ]
        );
        let q = rt.block_on(async {
            let store = Store::open(url).await.expect("store");
            let q = |sql: &'static str| {
                let store = store.clone();
                async move {
                    sqlx::query_scalar::<_, i64>(sql)
                        .fetch_one(store.pool())
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"))
                }
            };
            (
                q("SELECT COUNT(*) FROM referrals WHERE outcome = 'accepted'").await,
                q("SELECT COUNT(*) FROM decisions").await,
                q("SELECT COUNT(*) FROM decisions WHERE old_outcome IS NULL").await,
                q("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").await,
                q("SELECT COUNT(*) FROM events WHERE kind = 'reprocessed'").await,
                q("SELECT COUNT(*) FROM messages WHERE disposition = 'referral'").await,
            )
        });
        assert_eq!(q, (2, 2, 1, 4, 2, 2), "{url}");
        let st = run(&["status", new_ref, "--json", "--config", &cfg_arg]);
        let st: serde_json::Value = serde_json::from_slice(&st.stdout).expect("status json");
        assert_eq!(st["earlier_decisions"][0]["old_outcome"], serde_json::Value::Null);

        let out = run(&["reprocess", "--config", &cfg_arg]);
        assert!(out.status.success());
        let again: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert!(
            again
                .iter()
                .all(|l| l["changed"] == false && l.get("emails").is_none()),
            "{url}: {again:?}"
        );
    }
}
