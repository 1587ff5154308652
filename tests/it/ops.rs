//! Operations (issue #11): `/healthz` and `/metrics` from the real daemon against a real Dovecot
//! and SMTP server, and `status REFERENCE` on a real store.

use std::cell::RefCell;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use referral_intake::config::Config;
use referral_intake::ingest::{self, Source};
use referral_intake::store::Store;

use crate::support::child::{rows, wait_until_or};
use crate::support::inproc::{Daemon, setup};
use crate::support::plan::planned;
use crate::support::{root, run};

/// `reprocess`: its dry run and applying it.
mod reprocess;

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `GET path` on the endpoint: (status code, body). `None` when nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((code, body))
}

/// The sum of a metric's samples (over all its labels) in Prometheus text.
fn total(text: &str, name: &str) -> Option<f64> {
    let mut sum = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ')?;
        let metric = series.split('{').next().unwrap_or(series);
        if metric == name {
            *sum.get_or_insert(0.0) += value.parse::<f64>().ok()?;
        }
    }
    sum
}

fn demo(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/demo").join(name)).expect("demo message")
}

/// Writes `dir/referral-intake.toml` for the offline commands (`replay`, `status`, `reprocess`):
/// the store at `store_url` and the two inboxes' addresses, no mail servers.
fn offline_config(dir: &std::path::Path, store_url: &str) -> std::path::PathBuf {
    let config = dir.join("referral-intake.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"{store_url}\"\n\n[[inbox]]\nregion = \"ncal\"\naddress = \"REGMCDURNS-KPNC@kp.org\"\n\n\
             [[inbox]]\nregion = \"scal\"\naddress = \"RegCareCoordCaseMgmt@kp.org\"\n"
        ),
    )
    .expect("config");
    config
}

/// The daemon serves `/healthz` 200 and counters that agree with what the SMTP server got; with
/// Dovecot dead `/healthz` turns 503 naming the inbox, and 200 again once it is back; with the
/// SMTP server refusing, the backlog and the temporary failures show in `/metrics` and `status`
/// shows the email retrying with the server's answer.
#[test]
fn healthz_and_metrics_follow_the_mail_servers() {
    let mut s = setup("");
    let port = free_port();
    let text = std::fs::read_to_string(&s.config).expect("config");
    let text = text
        .replace(
            "[http]\nlisten = \"\"",
            &format!("[http]\nlisten = \"127.0.0.1:{port}\""),
        )
        .replace(
            "shutdown_grace_secs = 5\n",
            "shutdown_grace_secs = 5\nstall_secs = 10\n",
        )
        // Retried for as long as the test needs to see the email retrying.
        .replace(
            "retry_max_secs = 2\n",
            "retry_max_secs = 2\nmax_attempts = 1000\n",
        );
    std::fs::write(&s.config, text).expect("config");
    let cfg = Config::load(&s.config).expect("config");
    let msgs = ["01-kp-ecm-accepted.eml", "28-auto-reply-ooo.eml"];
    let want: usize = msgs.iter().map(|m| planned(&cfg, &demo(m)).len()).sum();
    for m in msgs {
        s.env.append("ncal@example.test", "INBOX", &demo(m));
    }
    let d = Daemon::start(&s.config);
    let sunk = s.env.wait_sink(want, Duration::from_secs(30));
    assert_eq!(sunk.len(), want);

    // 1. Healthy, with counters that agree with the sink.
    let last = RefCell::new(String::new());
    wait_until_or(
        "metrics agree with the sink",
        Duration::from_secs(20),
        || {
            let Some((200, m)) = get(port, "/metrics") else {
                return false;
            };
            last.replace(m.clone());
            // Each inbox's first cycle ends after its filing, which may be after the sink got mail.
            let synced = ["regmcdurns-kpnc@kp.org", "regcarecoordcasemgmt@kp.org"]
                .iter()
                .all(|inbox| {
                    m.contains(&format!(
                        "referral_intake_inbox_last_sync_timestamp_seconds{{inbox=\"{inbox}\"}}"
                    ))
                });
            synced
                && total(&m, "referral_intake_messages_total") == Some(2.0)
                && total(&m, "referral_intake_emails_sent_total") == Some(want as f64)
                && total(&m, "referral_intake_outbox_pending") == Some(0.0)
        },
        || last.borrow().clone(),
    );
    let (_, m) = get(port, "/metrics").expect("metrics");
    assert!(
        m.contains(
            "referral_intake_messages_total{inbox=\"regmcdurns-kpnc@kp.org\",disposition=\"referral\"} 1"
        ),
        "{m}"
    );
    assert!(
        m.contains(
            "referral_intake_messages_total{inbox=\"regmcdurns-kpnc@kp.org\",disposition=\"ignored\"} 1"
        ),
        "{m}"
    );
    assert!(
        m.contains("referral_intake_referrals_total{program=\"ecm\",outcome=\"accepted\"} 1"),
        "{m}"
    );
    assert_eq!(
        total(&m, "referral_intake_decide_seconds_count"),
        Some(2.0),
        "{m}"
    );
    // No member data and no sender address in the exposition.
    let raw = String::from_utf8_lossy(&demo("01-kp-ecm-accepted.eml")).to_string();
    let from = raw
        .lines()
        .find_map(|l| l.strip_prefix("From:"))
        .and_then(|f| f.split(['<', '>']).nth(1))
        .expect("a From address");
    assert!(!m.contains(from), "the sender's address is in /metrics");
    let (code, body) = get(port, "/healthz").expect("healthz");
    assert_eq!(code, 200, "{body}");
    let h: serde_json::Value = serde_json::from_str(&body).expect("healthz JSON");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["problems"].as_array().map(Vec::len), Some(0));

    // 2. Dovecot dies: 503, naming the inbox (both inboxes are on it; each is named once its own
    // stall threshold passes).
    s.env.stop_imap();
    let body = RefCell::new(String::new());
    let names_ncal = |b: &str| {
        let h: serde_json::Value = serde_json::from_str(b).unwrap_or_default();
        h["problems"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["problem"] == "inbox_stalled"
                    && p["inbox"] == "REGMCDURNS-KPNC@kp.org"
                    && p["folder"] == "INBOX"
            })
        })
    };
    wait_until_or(
        "/healthz turns 503 naming the ncal inbox with Dovecot down",
        Duration::from_secs(60),
        || match get(port, "/healthz") {
            Some((code, b)) => {
                let named = code == 503 && names_ncal(&b);
                body.replace(b);
                named
            }
            None => false,
        },
        || body.borrow().clone(),
    );

    // 3. Dovecot is back: 200 again.
    s.env.start_imap();
    wait_until_or(
        "/healthz 200 again after Dovecot returns",
        Duration::from_secs(90),
        || matches!(get(port, "/healthz"), Some((200, _))),
        || get(port, "/healthz").map(|(_, b)| b).unwrap_or_default(),
    );

    // 4. The SMTP server refuses for now: a backlog, temporary failures, and `status` shows the
    // email retrying with the server's answer.
    s.env.smtp_reply(Some("451 4.3.0 Try again later"));
    s.env.append(
        "ncal@example.test",
        "INBOX",
        &demo("02-kp-cs-housing-deposits-scal.eml"),
    );
    wait_until_or(
        "the backlog and the failures show in /metrics",
        Duration::from_secs(60),
        || {
            let Some((200, m)) = get(port, "/metrics") else {
                return false;
            };
            last.replace(m.clone());
            total(&m, "referral_intake_outbox_pending").unwrap_or(0.0) > 0.0
                && total(&m, "referral_intake_email_failures_total").unwrap_or(0.0) > 0.0
        },
        || last.borrow().clone(),
    );
    let id = rows(
        &s.store_url,
        "SELECT id FROM messages ORDER BY received_ms DESC LIMIT 1",
    )
    .first()
    .and_then(|r| r.first().cloned())
    .expect("the new message");
    let out = run(&["status", &id, "--json", "--config", &s.config.to_string_lossy()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let emails = st["emails"].as_array().expect("emails");
    assert!(
        emails
            .iter()
            .any(|e| e["state"] == "retrying" && e["last_error"].as_str().is_some_and(|x| x.contains("451"))),
        "{st:#}"
    );
    s.env.smtp_reply(None);
    d.stop();
}

/// `status` finds a referral by its reference (table and JSON), a batch row by its own
/// reference, a message by store id and by Message-ID, a quarantined message; an unknown
/// reference is a clear error with exit status 1.
#[test]
fn status_answers_for_a_referral_a_batch_row_and_a_quarantined_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = offline_config(dir.path(), &store_url);
    let cfg_arg = config.to_string_lossy().to_string();
    let demo_dir = root().join("fixtures/demo");
    let out = run(&[
        "replay",
        &demo_dir.join("01-kp-ecm-accepted.eml").to_string_lossy(),
        &demo_dir.join("07-county-batch-xlsx-mixed.eml").to_string_lossy(),
        "--format",
        "json",
        "--config",
        &cfg_arg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A single referral, by reference: the table a person reads.
    let refs = rows(
        &store_url,
        "SELECT r.reference, m.id, m.rfc_message_id, (SELECT COUNT(*) FROM referrals x WHERE x.message_id = m.id) FROM referrals r JOIN messages m ON m.id = r.message_id ORDER BY r.reference",
    );
    let single = refs
        .iter()
        .find(|r| r.get(3).map(String::as_str) == Some("1"))
        .expect("a single referral");
    let batch: Vec<&Vec<String>> = refs
        .iter()
        .filter(|r| r.get(3).map(String::as_str) != Some("1"))
        .collect();
    assert!(
        batch.len() > 1,
        "the batch message has several referrals: {refs:?}"
    );
    let out = run(&["status", &single[0], "--config", &cfg_arg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&format!("Message      {}", single[1])), "{table}");
    assert!(table.contains("accepted"), "{table}");
    assert!(table.contains("Inbox        replay"), "{table}");
    assert!(table.contains("ack "), "{table}");

    // Lower case and by JSON: the same referral.
    let out = run(&[
        "status",
        &single[0].to_lowercase(),
        "--json",
        "--config",
        &cfg_arg,
    ]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["matched_by"], "reference");
    assert_eq!(st["referrals"][0]["outcome"], "accepted");
    assert_eq!(st["referrals"][0]["asked"], true);
    // Replayed without --out, nothing was to be sent: every email says so.
    assert!(
        st["emails"]
            .as_array()
            .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["state"] == "discarded")),
        "{st:#}"
    );

    // A batch row: its own reference is marked among the message's referrals.
    let row = batch[1];
    let out = run(&["status", &row[0], "--json", "--config", &cfg_arg]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rs = st["referrals"].as_array().expect("referrals");
    assert_eq!(rs.len(), batch.len());
    let asked: Vec<&serde_json::Value> = rs.iter().filter(|r| r["asked"] == true).collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["reference"], row[0].as_str());

    // By store id and by Message-ID (with or without angle brackets).
    let out = run(&["status", &single[1], "--json", "--config", &cfg_arg]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["matched_by"], "store_id");
    let mid = single[2].trim_matches(['<', '>']).to_string();
    let out = run(&["status", &format!("<{mid}>"), "--json", "--config", &cfg_arg]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(st["matched_by"], "message_id");
    assert_eq!(st["message"]["store_id"], single[1].as_str());

    // A quarantined message: stored for review with its error, no referrals, no email.
    let cfg = Config::load(&config).expect("config");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let q = rt.block_on(async {
        let store = Store::open(&store_url).await.expect("store");
        let source = Source {
            mailbox: "regmcdurns-kpnc@kp.org/INBOX".into(),
            uidvalidity: Some(7),
            uid: Some(42),
            inbox_region: Some("ncal".into()),
            resync: false,
            lease: None,
            cursor_to: None,
        };
        ingest::quarantine(
            &cfg,
            &store,
            b"Subject: x\r\n\r\nbroken",
            &source,
            "decision timed out",
        )
        .await
        .expect("quarantine")
    });
    let qid = q.store_id.expect("stored");
    let out = run(&["status", &qid, "--config", &cfg_arg]);
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("QUARANTINED") && table.contains("decision timed out"),
        "{table}"
    );
    assert!(table.contains("Referrals\n  (none)"), "{table}");
    assert!(table.contains("Referrals/Review"), "{table}");

    // Unknown: a clear error, exit 1.
    let out = run(&["status", "ECM-NCAL-2026-999999", "--config", &cfg_arg]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ECM-NCAL-2026-999999") && err.contains("no referral"),
        "{err}"
    );
}
