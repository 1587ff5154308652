//! Crash safety: the real binary killed with SIGKILL at random moments while it works through a
//! mailbox, restarted each time, then left to finish.
//!
//! Knobs (environment): `CRASH_KILLS` (default 20; more runs campaigns of up to 25 kills, each
//! with a fresh mail system and store), `CRASH_SEED` (default: from the clock; always printed),
//! `CRASH_KEEP_LOG` (copy the daemon's JSON log of the last campaign to this path),
//! `CRASH_MAX_DELAY_MS` (a kill comes at most this long after both inboxes connected,
//! default 150: a clean run works through the mailbox in about 1.3 s, so most kills land
//! while messages are being committed, filed and sent). `scripts/crash-soak.sh`
//! runs many kills and prints the figures.
//!
//! What must hold whatever the kill points: every message stored exactly once, no referral
//! stored twice, every planned email delivered at least once, every message filed. What is
//! measured, not asserted: emails delivered twice (accepted by the SMTP server, but the process
//! died before the `sent` commit), and that window from the sink's and the store's timestamps.

#![allow(clippy::indexing_slicing)] // test code: a missing column is a test bug, panicking is right

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use referral_intake::config::Config;

use crate::support::child::{Daemon, log_lines, query_i64, rows, wait_until_or};
use crate::support::mailenv::MailEnv;
use crate::support::plan::{message_id, planned, referral_count};
use crate::support::{files, inbox_user, root};

/// Kills per campaign (one mail system and store each).
const PER_CAMPAIGN: usize = 25;

#[derive(Debug, Default)]
struct Stats {
    kills: usize,
    messages: usize,
    emails: usize,
    delivered: usize,
    duplicates: usize,
    /// Per email: SMTP acceptance (sink file written) to the `sent_ms` stamp in the store.
    window_ms: Vec<i64>,
    /// Per email: SMTP acceptance to the "email sent" log line, written after the commit.
    window_log_ms: Vec<i64>,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_stores_nothing_twice() {
    let kills = env_num("CRASH_KILLS", 20) as usize;
    let seed = env_num(
        "CRASH_SEED",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    );
    let max_delay = env_num("CRASH_MAX_DELAY_MS", 150).max(1);
    eprintln!("crash test: CRASH_SEED={seed} CRASH_KILLS={kills} CRASH_MAX_DELAY_MS={max_delay}");
    let mut total = Stats::default();
    let mut left = kills;
    let mut campaign_no = 0;
    while left > 0 || campaign_no == 0 {
        let k = left.min(PER_CAMPAIGN);
        let s = campaign(k, seed.wrapping_add(campaign_no), max_delay);
        eprintln!("campaign {campaign_no}: {}", summary(&s));
        total.kills += s.kills;
        total.messages += s.messages;
        total.emails += s.emails;
        total.delivered += s.delivered;
        total.duplicates += s.duplicates;
        total.window_ms.extend(s.window_ms);
        total.window_log_ms.extend(s.window_log_ms);
        left -= k;
        campaign_no += 1;
    }
    eprintln!("CRASH-SOAK seed={seed} {}", summary(&total));
}

fn summary(s: &Stats) -> String {
    let pct = |v: &[i64], p: f64| -> String {
        let mut v = v.to_vec();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).map(|x| x.to_string()).unwrap_or_else(|| "-".into())
    };
    serde_json::json!({
        "kills": s.kills,
        "messages": s.messages,
        "emails_planned": s.emails,
        "emails_delivered": s.delivered,
        "duplicates_delivered": s.duplicates,
        "window_ms_accept_to_sent_stamp": {
            "n": s.window_ms.len(), "p50": pct(&s.window_ms, 0.5), "p99": pct(&s.window_ms, 0.99),
            "max": pct(&s.window_ms, 1.0)
        },
        "window_ms_accept_to_logged_after_commit": {
            "n": s.window_log_ms.len(), "p50": pct(&s.window_log_ms, 0.5),
            "p99": pct(&s.window_log_ms, 0.99), "max": pct(&s.window_log_ms, 1.0)
        },
    })
    .to_string()
}

/// The mailbox: the demo set (without 31, a byte-for-byte copy of 01) and the blind set, each
/// in the inbox it is addressed to.
fn mailbox() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["fixtures/demo", "fixtures/blind2"] {
        for path in files(&root().join(dir), &["eml"]) {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            if dir.ends_with("demo") && name.starts_with("31-") {
                continue;
            }
            let raw = std::fs::read(&path).expect("read fixture");
            out.push((inbox_user(&raw), name, raw));
        }
    }
    out
}

/// Waits until the log, from byte `offset` on, holds `n` "inbox connected" lines (at most 10 s:
/// a life that does not connect is killed anyway).
fn wait_connected(log: &std::path::Path, offset: u64, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let text = std::fs::read(log).unwrap_or_default();
        let tail = text.get(offset as usize..).unwrap_or_default();
        if String::from_utf8_lossy(tail)
            .matches("\"inbox connected\"")
            .count()
            >= n
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn campaign(kills: usize, seed: u64, max_delay_ms: u64) -> Stats {
    let mut rng = fastrand::Rng::with_seed(seed);
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, env.config_toml(&store_url)).expect("config");
    let log = dir.path().join("daemon.log");
    let cfg = Config::load(&config).expect("config");

    let msgs = mailbox();
    let n = msgs.len();
    assert!(n >= 40, "a real mailbox: {n}");
    let mut planned_keys: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut referrals = 0;
    for (_, name, raw) in &msgs {
        let id = message_id(raw).unwrap_or_else(|| panic!("{name} has a Message-ID"));
        for (kind, to) in planned(&cfg, raw) {
            *planned_keys
                .entry((id.clone(), kind.code().to_string(), to))
                .or_default() += 1;
        }
        referrals += referral_count(&cfg, raw);
    }
    let emails: usize = planned_keys.values().sum();

    // Some mail is waiting at the first start; the rest arrives between lives, so each life has
    // work in hand when it is killed.
    let first = n * 2 / 5;
    let (head, tail) = msgs.split_at(first);
    for (user, _, raw) in head {
        env.append(user, "INBOX", raw);
    }
    for i in 0..kills {
        let offset = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let d = Daemon::spawn(&config, &log);
        if rng.u8(0..5) == 0 {
            // One kill in five anywhere in start-up (migrations, connecting, the first SELECT).
            std::thread::sleep(Duration::from_millis(rng.u64(0..=200)));
        } else {
            // The rest while it works: once both inboxes are connected, at a random moment.
            wait_connected(&log, offset, 2);
            std::thread::sleep(Duration::from_millis(rng.u64(0..=max_delay_ms)));
        }
        d.sigkill();
        let (a, b) = (i * tail.len() / kills, (i + 1) * tail.len() / kills);
        for (user, _, raw) in tail.get(a..b).unwrap_or_default() {
            env.append(user, "INBOX", raw);
        }
    }
    if kills == 0 {
        for (user, _, raw) in tail {
            env.append(user, "INBOX", raw);
        }
    }

    // The last life runs to the end.
    let d = Daemon::spawn(&config, &log);
    let started = Instant::now();
    let counts = || {
        [
            query_i64(&store_url, "SELECT COUNT(*) FROM messages"),
            query_i64(
                &store_url,
                "SELECT COUNT(*) FROM mailbox_uids WHERE filed_ms IS NULL",
            ),
            query_i64(&store_url, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'"),
            query_i64(&store_url, "SELECT COUNT(*) FROM outbox"),
        ]
    };
    wait_until_or(
        "every message stored and filed, every email sent",
        Duration::from_secs(60),
        || {
            let [stored, unfiled, unsent, outbox] = counts();
            stored as usize == n && unfiled == 0 && unsent == 0 && outbox as usize >= emails
        },
        || {
            let [stored, unfiled, unsent, outbox] = counts();
            format!(
                "seed {seed}: {stored} of {n} messages stored, {unfiled} unfiled, {unsent} of {outbox} \
                 emails unsent ({emails} planned)"
            )
        },
    );
    eprintln!("last life finished in {:?}", started.elapsed());
    d.sigterm(Duration::from_secs(15));
    if let Some(keep) = std::env::var_os("CRASH_KEEP_LOG") {
        let _ = std::fs::copy(&log, keep);
    }

    // Stored exactly once: one row per message, under its Message-ID and its own UID.
    let stored: Vec<Vec<String>> = rows(&store_url, "SELECT rfc_message_id, mailbox, uid FROM messages");
    assert_eq!(stored.len(), n, "each message stored once (seed {seed})");
    let ids: BTreeSet<&String> = stored.iter().filter_map(|r| r.first()).collect();
    let want: BTreeSet<String> = msgs.iter().filter_map(|(_, _, raw)| message_id(raw)).collect();
    assert_eq!(
        ids.into_iter().cloned().collect::<BTreeSet<_>>(),
        want,
        "every message stored (seed {seed})"
    );
    // No referral twice: as many as the decisions hold, none repeated within a message.
    let refs = rows(
        &store_url,
        "SELECT message_id, program, COALESCE(member_cin, ''), fields FROM referrals",
    );
    assert_eq!(refs.len(), referrals, "referral rows (seed {seed})");
    let distinct: BTreeSet<_> = refs.iter().collect();
    assert_eq!(
        distinct.len(),
        refs.len(),
        "no referral stored twice (seed {seed})"
    );
    assert_eq!(
        query_i64(&store_url, "SELECT COUNT(DISTINCT reference) FROM referrals") as usize,
        referrals,
        "reference numbers unique"
    );

    // Filed: nothing left in either inbox, every UID marked filed, one UID row per message.
    for user in ["ncal@example.test", "scal@example.test"] {
        assert!(
            env.list(user, "INBOX").is_empty(),
            "{user} INBOX empty (seed {seed})"
        );
    }
    assert_eq!(
        query_i64(&store_url, "SELECT COUNT(*) FROM mailbox_uids") as usize,
        n,
        "one UID row per message"
    );
    let filed: usize = [
        "Accepted",
        "Needs info",
        "Screened out",
        "Redirected",
        "Review",
        "Ignored",
    ]
    .iter()
    .flat_map(|f| {
        ["ncal@example.test", "scal@example.test"].map(|u| env.list(u, &format!("Referrals/{f}")).len())
    })
    .sum();
    assert_eq!(filed, n, "every message filed exactly once (seed {seed})");

    // Every planned email delivered at least once; count the repeats.
    let outbox = rows(
        &store_url,
        "SELECT o.id, b.eml, o.status, o.sent_ms FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id",
    );
    assert_eq!(outbox.len(), emails, "outbox rows = planned emails (seed {seed})");
    let sunk = env.sink_timed();
    let mut by_id: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut sunk_keys: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (t, m) in &sunk {
        let id = message_id(&m.raw).expect("sunk mail has a Message-ID");
        let ms = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let first_copy = !by_id.contains_key(&id);
        by_id.entry(id).or_default().push(ms);
        if first_copy {
            let p = mail_parser::MessageParser::default()
                .parse(&m.raw)
                .expect("parse sunk");
            let about = p.in_reply_to().as_text().unwrap_or("").to_string();
            let kind = p
                .header_raw("X-Referral-Intake")
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            *sunk_keys.entry((about, kind, m.rcpt_to.join(","))).or_default() += 1;
        }
    }
    let mut window_ms = Vec::new();
    for r in &outbox {
        let (eml, status, sent_ms) = (&r[1], &r[2], r[3].parse::<i64>().unwrap_or(0));
        assert_eq!(status, "sent", "every email sent (seed {seed})");
        let id = message_id(eml.as_bytes()).expect("outbox email has a Message-ID");
        let copies = by_id
            .get(&id)
            .unwrap_or_else(|| panic!("outbox row {} never reached the SMTP server (seed {seed})", r[0]));
        // The copy whose acceptance the `sent` commit followed: the last one before the stamp.
        if let Some(accepted) = copies.iter().filter(|t| **t <= sent_ms).max() {
            window_ms.push(sent_ms - accepted);
        }
    }
    assert_eq!(
        by_id.len(),
        emails,
        "only planned emails reached the sink (seed {seed})"
    );
    // The same emails as a clean run plans: one per (original, kind, recipient) key... where the
    // reply's In-Reply-To names the original; forwards carry none, so compare counts per kind.
    let per_kind = |m: &BTreeMap<(String, String, String), usize>| {
        let mut out: BTreeMap<(String, String), usize> = BTreeMap::new();
        for ((_, kind, to), c) in m {
            *out.entry((kind.to_ascii_lowercase(), to.clone())).or_default() += c;
        }
        out
    };
    assert_eq!(
        per_kind(&sunk_keys),
        per_kind(&planned_keys),
        "the emails a clean run plans, by kind and recipient (seed {seed})"
    );

    // The window again, from the log line written after the commit.
    let mut sent_log: BTreeMap<String, i64> = BTreeMap::new();
    for v in log_lines(&log) {
        if v["fields"]["message"] == "email sent"
            && let (Some(oid), Some(ts)) = (v["fields"]["outbox_id"].as_str(), v["timestamp"].as_str())
            && let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts)
        {
            sent_log.insert(oid.to_string(), t.timestamp_millis());
        }
    }
    let mut window_log_ms = Vec::new();
    for r in &outbox {
        let id = message_id(r[1].as_bytes()).unwrap_or_default();
        if let (Some(logged), Some(copies)) = (sent_log.get(&r[0]), by_id.get(&id))
            && let Some(accepted) = copies.iter().filter(|t| *t <= logged).max()
        {
            window_log_ms.push(logged - accepted);
        }
    }
    let duplicates = sunk.len() - by_id.len();
    Stats {
        kills,
        messages: n,
        emails,
        delivered: sunk.len(),
        duplicates,
        window_ms,
        window_log_ms,
    }
}
