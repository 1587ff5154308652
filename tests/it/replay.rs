//! `replay` end to end: the demo mailbox through the real binary into a real SQLite file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use mail_parser::{HeaderValue, MessageParser};
use referral_intake::store::{NewMessage, NewOutbox, OutboxStatus, Store};
use serde_json::Value;

use crate::support::inproc::{Daemon, setup};
use crate::support::{files, json, root, run, temp_config};

fn replay(config: &Path, inputs: &[&str], out: Option<&Path>) -> Value {
    let mut args = vec![
        "replay",
        "--config",
        config.to_str().expect("utf8"),
        "--format",
        "json",
    ];
    args.extend_from_slice(inputs);
    let out_s;
    if let Some(o) = out {
        out_s = o.to_string_lossy().into_owned();
        args.push("--out");
        args.push(&out_s);
    }
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "replay failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    json(&o)
}

fn sorted_strings(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect();
    s.sort();
    s
}

/// Every demo message ends as its author intended (intent.json), and a second replay stores
/// nothing new.
#[test]
fn demo_mailbox_replays_as_intended_and_dedupes() {
    let (dir, config) = temp_config("");
    let out = dir.path().join("out");
    let summary = replay(&config, &["fixtures/demo"], Some(&out));
    let intent: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/demo/intent.json")).expect("intent"),
    )
    .expect("json");
    let rows: BTreeMap<String, Value> = summary["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["file"].as_str().unwrap_or("").to_string(), r.clone()))
        .collect();
    let mut problems = Vec::new();
    let mut outcomes = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for want in &intent {
        let file = want["file"].as_str().expect("file");
        let Some(got) = rows.get(file) else {
            problems.push(format!("{file}: not replayed"));
            continue;
        };
        if got["disposition"] != want["disposition"] {
            problems.push(format!(
                "{file}: disposition {} != {}",
                got["disposition"], want["disposition"]
            ));
        }
        if sorted_strings(&got["reasons"]) != sorted_strings(&want["reasons"]) {
            problems.push(format!(
                "{file}: reasons {} != {}",
                got["reasons"], want["reasons"]
            ));
        }
        reasons.extend(sorted_strings(&got["reasons"]));
        let got_refs = got["referrals"].as_array().cloned().unwrap_or_default();
        let want_refs = want["referrals"].as_array().cloned().unwrap_or_default();
        if got_refs.len() != want_refs.len() {
            problems.push(format!(
                "{file}: {} referrals != {}",
                got_refs.len(),
                want_refs.len()
            ));
            continue;
        }
        for (g, w) in got_refs.iter().zip(&want_refs) {
            outcomes.insert(g["outcome"].as_str().unwrap_or("").to_string());
            reasons.extend(
                sorted_strings(&g["reasons"])
                    .into_iter()
                    .map(|r| r.split(':').next().unwrap_or("").to_string()),
            );
            if g["program"] != w["program"]
                || g["outcome"] != w["outcome"]
                || sorted_strings(&g["reasons"]) != sorted_strings(&w["reasons"])
            {
                problems.push(format!(
                    "{file}: got {} {} {} want {} {} {}",
                    g["program"], g["outcome"], g["reasons"], w["program"], w["outcome"], w["reasons"]
                ));
            }
        }
        outcomes.insert(got["disposition"].as_str().unwrap_or("").to_string());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for o in [
        "accepted",
        "needs_info",
        "screened_out",
        "redirected",
        "review",
        "ignored",
    ] {
        assert!(outcomes.contains(o), "no demo message ends {o}: {outcomes:?}");
    }
    for r in [
        "missing_field",
        "invalid_field",
        "not_kp_member",
        "county_not_served",
        "wrong_region",
        "no_population_of_focus",
        "pof_adults_only",
        "pof_children_only",
        "no_community_support",
        "cs_not_offered_in_county",
        "chw_enrolled_in_ecm",
        "nle_self_referral",
        "unclassified_subject",
        "no_form_found",
        "unreadable_attachment",
        "unsupported_attachment",
        "auto_reply",
        "bounce",
        "own_message",
        "duplicate",
    ] {
        assert!(reasons.contains(r), "no demo message shows reason {r}");
    }

    // The same mailbox again: all duplicates, nothing new in the store or the out folder.
    let written = std::fs::read_dir(&out).expect("out").count();
    let again = replay(&config, &["fixtures/demo"], Some(&out));
    for row in again["rows"].as_array().expect("rows") {
        assert_eq!(
            row["reasons"],
            serde_json::json!(["duplicate"]),
            "{}",
            row["file"]
        );
        assert!(row["store_id"].is_null());
    }
    assert_eq!(std::fs::read_dir(&out).expect("out").count(), written);
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let store = rt
        .block_on(Store::open(&format!(
            "sqlite://{}",
            dir.path().join("data/test.db").display()
        )))
        .expect("store");
    // The facts screening fetches: the CINs with an open ECM referral, in one query, exactly.
    let ecm: Vec<String> = rt
        .block_on(
            sqlx::query_scalar::<_, String>(
                "SELECT DISTINCT member_cin FROM referrals WHERE program = 'ecm'
                   AND outcome IN ('accepted', 'screened_out') AND member_cin IS NOT NULL",
            )
            .fetch_all(store.pool()),
        )
        .expect("ecm cins");
    assert!(!ecm.is_empty(), "the demo has accepted ECM referrals");
    let mut asked = ecm.clone();
    asked.push("99999999Z".into());
    let open = rt.block_on(store.open_ecm_referrals(&asked)).expect("facts");
    assert_eq!(open.into_iter().collect::<Vec<_>>(), {
        let mut e = ecm.clone();
        e.sort();
        e
    });
    // A store that does not answer is an error, not "no open ECM referral".
    rt.block_on(store.pool().close());
    assert!(rt.block_on(store.open_ecm_referrals(&asked)).is_err());
    let store = rt
        .block_on(Store::open(&format!(
            "sqlite://{}",
            dir.path().join("data/test.db").display()
        )))
        .expect("store");
    let messages = rt.block_on(store.count("messages")).expect("count");
    // 39 files, one of them a byte-for-byte duplicate.
    assert_eq!(
        messages as usize,
        files(&root().join("fixtures/demo"), &["eml"]).len() - 1
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/test.db"))
            .expect("db")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the store holds PHI and must not be readable by others"
        );
    }
}

fn header_text(m: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    m.header(name).and_then(|h| match h {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => Some(l.join(" ")),
        _ => m.header_raw(name).map(|s| s.trim().to_string()),
    })
}

/// Replies thread on the original, are marked automatic, name a reference number, and never carry
/// member data; forwards go to the team with the original attachments.
#[test]
fn replies_thread_and_carry_no_member_data() {
    let (dir, config) = temp_config("");
    let out = dir.path().join("out");
    replay(&config, &["fixtures/demo"], Some(&out));

    // Member data as it appears on the forms, from the store.
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let store = rt
        .block_on(Store::open(&format!(
            "sqlite://{}",
            dir.path().join("data/test.db").display()
        )))
        .expect("store");
    let rows: Vec<String> = rt
        .block_on(sqlx::query_scalar::<_, String>("SELECT fields FROM referrals").fetch_all(store.pool()))
        .expect("fields");
    let mut phi = BTreeSet::new();
    for f in rows {
        let v: Value = serde_json::from_str(&f).expect("json");
        for k in [
            "member_first_name",
            "member_last_name",
            "member_cin",
            "member_mrn",
            "member_phone",
            "member_address",
        ] {
            if let Some(s) = v[k].as_str() {
                phi.insert(s.to_lowercase());
            }
        }
        if let Some(d) = v["member_dob"].as_str() {
            phi.insert(d.to_string());
            let p: Vec<&str> = d.split('-').collect();
            phi.insert(format!("{}/{}/{}", p[1], p[2], p[0]));
        }
    }
    assert!(phi.len() > 50, "expected member data to check against");
    let originals: BTreeSet<String> = files(&root().join("fixtures/demo"), &["eml"])
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            MessageParser::default()
                .parse(&raw)?
                .message_id()
                .map(|s| format!("<{s}>"))
        })
        .collect();
    let reference = regex::Regex::new(r"\b(ECM|CS|CHW|REF)-(NCAL|SCAL)-\d{4}-\d{6}\b").expect("re");
    let addresses = regex::Regex::new(r"\S+@\S+").expect("re");
    // Whole words: a first name like "Kai" must not match "Kaiser".
    let phi_words: Vec<regex::Regex> = phi
        .iter()
        .map(|p| regex::Regex::new(&format!(r"(^|[^\w]){}($|[^\w])", regex::escape(p))).expect("re"))
        .collect();
    let (mut replies, mut forwards) = (0, 0);
    for eml in files(&out, &["eml"]) {
        let raw = std::fs::read(&eml).expect("read");
        let m = MessageParser::default().parse(&raw).expect("parse our own mail");
        let subject = m.subject().unwrap_or_default().to_string();
        assert!(
            reference.is_match(&subject),
            "{}: no reference in subject {subject:?}",
            eml.display()
        );
        assert!(
            m.header_raw("X-Referral-Intake").is_some(),
            "own-mail stamp missing"
        );
        assert_eq!(
            m.header_raw("X-Auto-Response-Suppress").map(str::trim),
            Some("All")
        );
        let from = m
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_lowercase();
        assert!(
            from == "regmcdurns-kpnc@kp.org" || from == "regcarecoordcasemgmt@kp.org",
            "from {from}"
        );
        let name = eml
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.contains("-forward-") {
            forwards += 1;
            assert_eq!(
                m.header_raw("Auto-Submitted").map(str::trim),
                Some("auto-generated")
            );
            let to = m
                .to()
                .and_then(|t| t.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string();
            assert!(to.ends_with("@kp-referrals.example"), "forward to {to}");
            assert!(
                m.attachment_count() >= 1,
                "{name}: forward without the original attachment(s)"
            );
            continue;
        }
        replies += 1;
        assert_eq!(
            m.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied"),
            "{name}"
        );
        let irt = header_text(&m, "In-Reply-To").map(|s| format!("<{}>", s.trim_matches(['<', '>'])));
        assert!(
            irt.as_ref().is_some_and(|i| originals.contains(i)),
            "{name}: In-Reply-To {irt:?} is not a demo message"
        );
        let refs = m.header_raw("References").unwrap_or_default();
        assert!(
            irt.as_ref().is_some_and(|i| refs.contains(i.as_str())),
            "{name}: References lacks the original"
        );
        let text = format!(
            "{subject}\n{}\n{}",
            m.body_text(0).unwrap_or_default(),
            m.body_html(0).unwrap_or_default()
        )
        .to_lowercase();
        // Addresses we print (an NLE's contact) are ours; a fake surname "Example" would match
        // their `.example` domain.
        let text = addresses.replace_all(&text, " ").into_owned();
        for word in &phi_words {
            assert!(!word.is_match(&text), "{name}: a reply contains member data");
        }
    }
    assert!(
        replies >= 30 && forwards >= 20,
        "replies {replies}, forwards {forwards}"
    );
}

/// mbox files and Maildir folders replay like .eml files.
#[test]
fn replays_mbox_and_maildir() {
    let (dir, config) = temp_config("");
    let mbox = dir.path().join("in.mbox");
    let mut text = Vec::new();
    for f in ["01-kp-ecm-accepted.eml", "09-phc-xls-chw.eml"] {
        text.extend_from_slice(b"From sender@example.org Mon Nov 23 10:00:00 2026\n");
        text.extend(std::fs::read(root().join("fixtures/demo").join(f)).expect("read"));
        text.extend_from_slice(b"\n");
    }
    std::fs::write(&mbox, text).expect("mbox");
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    std::fs::copy(
        root().join("fixtures/demo/10-phc-ods-chw.eml"),
        maildir.join("new/1.host:2,"),
    )
    .expect("copy");
    let s = replay(
        &config,
        &[mbox.to_str().expect("p"), maildir.to_str().expect("p")],
        None,
    );
    assert_eq!(s["messages"], 3);
    let outcomes: Vec<&str> = s["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["referrals"][0]["outcome"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(outcomes, ["accepted", "accepted", "accepted"]);
}

/// SPEC §5 / issue #8: a required field the form plausibly holds but that could not be read is
/// `uncertain_field:<key>` — the referral goes to the review queue with the entry named by its
/// label, and the sender gets the plain "received" acknowledgement, never a request for it.
#[test]
fn an_uncertain_field_goes_to_review_and_is_never_asked_for() {
    let (dir, config) = temp_config("");
    let eml = dir.path().join("uncertain.eml");
    std::fs::write(
        &eml,
        "From: Worker Sample <worker@cbo.example>\r\nTo: REGMCDURNS-KPNC@kp.org\r\n\
         Subject: ECM Referral\r\nDate: Mon, 16 Nov 2026 10:00:00 -0800\r\nMessage-ID: <unc.1@cbo.example>\r\n\r\n\
         Member name: Testy McTestface\r\nGeburtsdatum / birth (mm-dd-yyyy): 01-05-1980\r\n\
         CIN: 91234567A\r\nPhone: 510-555-0101\r\nCounty: Alameda\r\n\
         Population of focus: Experiencing homelessness\r\nReferrer name: Worker Sample\r\n\
         Referrer phone: 510-555-0199\r\n",
    )
    .expect("write");
    let out = dir.path().join("out");
    replay(&config, &[eml.to_str().expect("utf8")], Some(&out));
    let mut ack = None;
    let mut forward = None;
    for f in files(&out, &["eml"]) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).expect("read")).into_owned();
        let msg = MessageParser::default().parse(text.as_bytes()).expect("parse");
        let to = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string();
        let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
        if to == "worker@cbo.example" {
            ack = Some(body);
        } else if to.contains("review") {
            forward = Some(body);
        }
    }
    let ack = ack.expect("an acknowledgement to the sender");
    let forward = forward.expect("a forward to the region's review queue");
    assert!(ack.contains("under review"), "{ack}");
    assert!(!ack.to_lowercase().contains("date of birth"), "{ack}");
    assert!(forward.contains("uncertain_field:member_dob"), "{forward}");
    assert!(
        forward.contains("Geburtsdatum / birth (mm-dd-yyyy)"),
        "the forward names the entry in doubt by its label: {forward}"
    );
}

/// Issue #9: `replay` inserted its outbox rows `pending` and marked them `discarded` (or `sent`,
/// with `--out`) in a second statement. Every status a row ever has is logged here by SQLite
/// triggers: each replayed email is written with its final status and never has another, so no
/// moment exists in which a daemon on the same store could take it.
#[test]
fn replay_writes_each_email_with_its_final_status_in_the_insert() {
    let (dir, config) = temp_config("");
    let url = format!("sqlite://{}", dir.path().join("data/test.db").display());
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let store = rt.block_on(Store::open(&url)).expect("store");
    rt.block_on(async {
        for sql in [
            "CREATE TABLE outbox_status_log (outbox_id TEXT NOT NULL, status TEXT NOT NULL)",
            "CREATE TRIGGER log_outbox_insert AFTER INSERT ON outbox
               BEGIN INSERT INTO outbox_status_log VALUES (new.id, new.status); END",
            "CREATE TRIGGER log_outbox_update AFTER UPDATE OF status ON outbox
               BEGIN INSERT INTO outbox_status_log VALUES (new.id, new.status); END",
        ] {
            sqlx::query(sql).execute(store.pool()).await.expect(sql);
        }
    });
    let statuses = || -> Vec<(String, i64)> {
        rt.block_on(
            sqlx::query("SELECT status, COUNT(*) FROM outbox_status_log GROUP BY status ORDER BY status")
                .fetch_all(store.pool()),
        )
        .expect("log")
        .iter()
        .map(|r| (sqlx::Row::get(r, 0), sqlx::Row::get(r, 1)))
        .collect()
    };
    let emails = |summary: &Value| -> i64 {
        summary["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["emails"].as_array().map_or(0, Vec::len) as i64)
            .sum()
    };

    // Without --out: acknowledgements, forwards and a redirect, each written `discarded` once.
    let demo = |f: &str| root().join("fixtures/demo").join(f).display().to_string();
    let inputs = [
        demo("01-kp-ecm-accepted.eml"),
        demo("07-county-batch-xlsx-mixed.eml"),
        demo("13-unclassified-new-referral.eml"),
        demo("14-iehp-not-kp-member.eml"),
    ];
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let discarded = emails(&replay(&config, &inputs, None));
    assert!(discarded >= 8, "{discarded} emails");
    assert_eq!(statuses(), vec![("discarded".to_string(), discarded)]);

    // With --out: written to files, each row `sent` in its insert.
    let out = dir.path().join("out");
    let inputs = [
        demo("02-kp-cs-housing-deposits-scal.eml"),
        demo("21-nle-self-referral.eml"),
    ];
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let sent = emails(&replay(&config, &inputs, Some(&out)));
    assert!(sent >= 3, "{sent} emails");
    assert_eq!(files(&out, &["eml"]).len() as i64, sent);
    assert_eq!(
        statuses(),
        vec![("discarded".to_string(), discarded), ("sent".to_string(), sent)]
    );
    let pending: i64 = sqlx::Row::get(
        &rt.block_on(
            sqlx::query("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").fetch_one(store.pool()),
        )
        .expect("count"),
        0,
    );
    assert_eq!(pending, 0);
}

/// Issue #9, "a test shows replayed mail is never sent by a later `run` on the same store".
/// When the replay runs, the store holds a backlog of 1,000 older due emails (mail queued while
/// SMTP was down). Replay used to look for its own rows among the first 1,000 due ones
/// (`due_mail(1000)`) to mark them discarded, found none of them there, and left them pending.
/// The backlog is then set aside, so that only the replay's rows could be due, and the daemon
/// starts on the same store with the real SMTP sink behind it: it mails the message it takes
/// in itself, and nothing of the replay.
#[test]
fn replayed_mail_is_never_sent_by_a_later_run_on_the_same_store() {
    let s = setup("");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let store = rt.block_on(Store::open(&s.store_url)).expect("store");
    let backlog = rt.block_on(async {
        let eml = b"From: Intake <regmcdurns-kpnc@kp.org>\r\nTo: backlog@example.test\r\n\
                    Subject: backlog\r\n\r\nbody\r\n";
        let outbox = (0..1000)
            .map(|i| NewOutbox {
                kind: referral_intake::model::EmailKind::Ack,
                recipient: "backlog@example.test".into(),
                reference: format!("BACKLOG-{i}"),
                eml: eml.to_vec(),
                status: OutboxStatus::Pending,
            })
            .collect();
        let msg = NewMessage {
            content_hash: "backlog",
            mailbox: "test",
            uidvalidity: None,
            uid: None,
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: referral_intake::model::Disposition::Review,
            programs_json: "[]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw: b"Subject: backlog\r\n\r\nbody\r\n",
            imap: None,
            events: Vec::new(),
            suppressions: Vec::new(),
        };
        store
            .commit_message(msg, Vec::new(), outbox)
            .await
            .expect("backlog")
            .message_id
    });

    let demo = |f: &str| root().join("fixtures/demo").join(f).display().to_string();
    let inputs = [
        demo("01-kp-ecm-accepted.eml"),
        demo("07-county-batch-xlsx-mixed.eml"),
        demo("13-unclassified-new-referral.eml"),
        demo("14-iehp-not-kp-member.eml"),
    ];
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let summary = replay(&s.config, &inputs, None);
    let replayed: usize = summary["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["emails"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(replayed >= 8, "{replayed} emails replayed");
    rt.block_on(
        sqlx::query("UPDATE outbox SET status = 'failed' WHERE message_id = $1")
            .bind(&backlog)
            .execute(store.pool()),
    )
    .expect("set the backlog aside");

    let d = Daemon::start(&s.config);
    s.env.append(
        "scal@example.test",
        "INBOX",
        &std::fs::read(root().join("fixtures/demo/02-kp-cs-housing-deposits-scal.eml")).expect("demo"),
    );
    s.env.wait_sink(2, Duration::from_secs(15));
    // Time for another round of the sender, which would take anything still due.
    std::thread::sleep(Duration::from_secs(2));
    let subjects: Vec<String> = s
        .env
        .sink()
        .iter()
        .filter_map(|m| {
            MessageParser::default()
                .parse(&m.raw)?
                .subject()
                .map(str::to_string)
        })
        .collect();
    d.stop();
    assert_eq!(
        subjects.len(),
        2,
        "only the daemon's own message is answered: {subjects:?}"
    );
    assert!(subjects.iter().all(|t| t.contains("CS-SCAL-")), "{subjects:?}");
    let left: Vec<(String, i64)> = rt
        .block_on(
            sqlx::query(
                "SELECT status, COUNT(*) FROM outbox WHERE message_id <> $1 AND status <> 'sent'
                 GROUP BY status",
            )
            .bind(&backlog)
            .fetch_all(store.pool()),
        )
        .expect("statuses")
        .iter()
        .map(|r| (sqlx::Row::get(r, 0), sqlx::Row::get(r, 1)))
        .collect();
    assert_eq!(left, vec![("discarded".to_string(), replayed as i64)]);
}
