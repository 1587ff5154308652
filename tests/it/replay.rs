//! `replay` end to end: the demo mailbox through the real binary into a real SQLite file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mail_parser::{HeaderValue, MessageParser};
use referral_intake::store::Store;
use serde_json::Value;

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
         Member name: Testy McTestface\r\nFecha de nacimiento / birth (mm-dd-yyyy): 01-05-1980\r\n\
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
        forward.contains("Fecha de nacimiento / birth (mm-dd-yyyy)"),
        "the forward names the entry in doubt by its label: {forward}"
    );
}
