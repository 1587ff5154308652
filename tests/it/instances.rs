//! Two instances on one PostgreSQL store (SPEC §8a, issue #12): the real binary twice, on both
//! inboxes of one private Dovecot, sending to one SMTP sink.

#![allow(clippy::indexing_slicing)] // test code: a missing column is a test bug, panicking is right

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::postgres::TempDb;
use crate::support::child::{Daemon, count_lines, query_i64, rows, wait_until_or};
use crate::support::mailenv::MailEnv;
use crate::support::{files, inbox_user, root};

/// Demo messages (without 31, a byte-for-byte copy of 01), each with the inbox user it is
/// addressed to.
fn demo_mail() -> Vec<(&'static str, Vec<u8>)> {
    files(&root().join("fixtures/demo"), &["eml"])
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .starts_with("31-")
        })
        .map(|p| {
            let raw = std::fs::read(&p).expect("fixture");
            (inbox_user(&raw), raw)
        })
        .collect()
}

/// Every email the sink received, by Message-ID: more than one copy is a duplicate.
fn sink_copies(env: &MailEnv) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in env.sink() {
        let text = String::from_utf8_lossy(&m.raw);
        let id = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("Message-ID:")
                    .or_else(|| l.strip_prefix("Message-Id:"))
            })
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        *out.entry(id).or_default() += 1;
    }
    out
}

fn setup(rt: &tokio::runtime::Runtime) -> (MailEnv, TempDb, String, tempfile::TempDir, std::path::PathBuf) {
    let env = MailEnv::start();
    let (db, url) = TempDb::create(rt);
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, env.config_toml(&url)).expect("config");
    (env, db, url, dir, config)
}

fn everything_sent(url: &str, env: &MailEnv, messages: i64) -> bool {
    query_i64(url, "SELECT COUNT(*) FROM messages") == messages
        && query_i64(url, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == 0
        && env.list("ncal@example.test", "INBOX").is_empty()
        && env.list("scal@example.test", "INBOX").is_empty()
        && env.sink().len() as i64 >= query_i64(url, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
}

fn state(url: &str, env: &MailEnv) -> String {
    format!(
        "messages {}, outbox {:?}, sink {}, leases {:?}",
        query_i64(url, "SELECT COUNT(*) FROM messages"),
        rows(url, "SELECT status, COUNT(*) FROM outbox GROUP BY status"),
        env.sink().len(),
        rows(url, "SELECT mailbox, holder, epoch FROM mailbox_leases"),
    )
}

/// Starts instance A and waits until it holds both inboxes, then B and waits until it stands by
/// for both: `(A, A's log, B, B's log)`.
fn holder_and_standby(
    env: &MailEnv,
    url: &str,
    dir: &Path,
    config: &Path,
) -> (Daemon, PathBuf, Daemon, PathBuf) {
    let (a_log, b_log) = (dir.join("a.log"), dir.join("b.log"));
    let a = Daemon::spawn(config, &a_log);
    wait_until_or(
        "A holds both inboxes",
        Duration::from_secs(30),
        || count_lines(&a_log, "INFO", "inbox lease taken") == 2,
        || state(url, env),
    );
    let b = Daemon::spawn(config, &b_log);
    wait_until_or(
        "B stands by for both",
        Duration::from_secs(30),
        || count_lines(&b_log, "INFO", "standing by") == 2,
        || state(url, env),
    );
    (a, a_log, b, b_log)
}

/// Both instances running side by side on both inboxes: each message is decided once, each
/// email sent once, and every inbox ends empty.
#[test]
fn two_instances_decide_each_message_once_and_send_each_email_once() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (env, _db, url, dir, config) = setup(&rt);
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let da = Daemon::spawn(&config, &a);
    let db_ = Daemon::spawn(&config, &b);
    let mail = demo_mail();
    for (user, raw) in &mail {
        env.drop_into_maildir(user, raw);
    }
    let n = mail.len() as i64;
    wait_until_or(
        "both inboxes worked off",
        Duration::from_secs(120),
        || everything_sent(&url, &env, n),
        || state(&url, &env),
    );
    // Counted while both run: the first one stopped hands its inboxes to the other at once (a
    // clean stop releases its leases), which is a take of its own.
    let taken = count_lines(&a, "INFO", "inbox lease taken") + count_lines(&b, "INFO", "inbox lease taken");
    da.sigterm(Duration::from_secs(20));
    db_.sigterm(Duration::from_secs(20));
    let copies = sink_copies(&env);
    let dups: Vec<_> = copies.iter().filter(|(_, c)| **c > 1).collect();
    assert!(dups.is_empty(), "emails sent twice: {dups:?}");
    assert_eq!(
        env.sink().len() as i64,
        query_i64(&url, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"),
        "every queued email reached the server once"
    );
    assert_eq!(
        query_i64(&url, "SELECT COUNT(*) FROM events WHERE kind = 'duplicate'"),
        0,
        "no message taken twice"
    );
    // Each inbox was worked by exactly one holder at a time: two leases, one epoch each.
    let leases = rows(&url, "SELECT mailbox, epoch FROM mailbox_leases ORDER BY mailbox");
    assert_eq!(leases.len(), 2, "{leases:?}");
    assert_eq!(taken, 2, "each inbox taken once, by one of the two");
}

/// The holder frozen (SIGSTOP) past its lease: the standby takes both inboxes over and answers
/// new mail; when the frozen one wakes it finds its lease gone and commits, files and sends
/// nothing for them. Then the new holder is killed and the first one takes the inboxes back.
#[test]
fn a_frozen_holder_is_replaced_and_a_killed_one_too() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (env, _db, url, dir, config) = setup(&rt);
    let (a, a_log, b, b_log) = holder_and_standby(&env, &url, dir.path(), &config);

    let pid = a.pid().to_string();
    let signal = |sig: &str| {
        assert!(
            Command::new("kill")
                .args([sig, &pid])
                .status()
                .expect("kill")
                .success()
        );
    };
    signal("-STOP");
    let mail = demo_mail();
    let (first, rest) = mail.split_at(mail.len() / 2);
    for (user, raw) in first {
        env.drop_into_maildir(user, raw);
    }
    let n1 = first.len() as i64;
    wait_until_or(
        "B took over and answered",
        Duration::from_secs(90),
        || everything_sent(&url, &env, n1),
        || state(&url, &env),
    );
    assert_eq!(
        count_lines(&b_log, "INFO", "inbox lease taken"),
        2,
        "B holds both inboxes"
    );
    signal("-CONT");
    wait_until_or(
        "A learns it lost its leases",
        Duration::from_secs(30),
        || count_lines(&a_log, "WARN", "lease") >= 1,
        || state(&url, &env),
    );
    let committed_by_a = count_lines(&a_log, "INFO", "message processed");
    assert_eq!(committed_by_a, 0, "the woken holder committed nothing");

    // B dies: A (standing by again) takes the inboxes back within the lease's TTL.
    b.sigkill();
    for (user, raw) in rest {
        env.drop_into_maildir(user, raw);
    }
    let n = mail.len() as i64;
    wait_until_or(
        "A took over from the killed B",
        Duration::from_secs(90),
        || everything_sent(&url, &env, n),
        || state(&url, &env),
    );
    a.sigterm(Duration::from_secs(20));
    let dups: Vec<_> = sink_copies(&env).into_iter().filter(|(_, c)| *c > 1).collect();
    assert!(dups.is_empty(), "emails sent twice: {dups:?}");
    assert_eq!(
        query_i64(&url, "SELECT COUNT(*) FROM events WHERE kind = 'duplicate'"),
        0
    );
}

/// A clean stop releases the leases at once, so the standby need not wait for them to expire.
#[test]
fn a_clean_stop_hands_the_inboxes_over_at_once() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (env, _db, url, dir, config) = setup(&rt);
    let (a, _a_log, b, b_log) = holder_and_standby(&env, &url, dir.path(), &config);
    let a_holder = rows(&url, "SELECT DISTINCT holder FROM mailbox_leases");
    assert_eq!(a_holder.len(), 1);
    a.sigterm(Duration::from_secs(20));
    // Released on the way out: expired, or already taken by B.
    let released = rows(&url, "SELECT holder, expires_ms FROM mailbox_leases");
    assert!(
        released.iter().all(|r| r[1] == "0" || r[0] != a_holder[0][0]),
        "A's leases were released: {released:?}"
    );
    wait_until_or(
        "B took both over",
        Duration::from_secs(30),
        || count_lines(&b_log, "INFO", "inbox lease taken") == 2,
        || state(&url, &env),
    );
    b.sigterm(Duration::from_secs(20));
}

/// SQLite serves one instance: a second `run` on the same file stops at start with a clear
/// error instead of working the same inboxes.
#[test]
fn a_second_instance_on_one_sqlite_file_is_refused() {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, env.config_toml(&url)).expect("config");
    let log = dir.path().join("first.log");
    let first = Daemon::spawn(&config, &log);
    wait_until_or(
        "the first instance is up",
        Duration::from_secs(30),
        || count_lines(&log, "INFO", "inbox connected") == 2,
        String::new,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_referral-intake"))
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("REFERRAL_INTAKE_CONFIG")
        .output()
        .expect("second run");
    assert_eq!(out.status.code(), Some(1), "refused with exit 1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already running on the SQLite store"), "{err}");
    first.sigterm(Duration::from_secs(20));
}

/// The IMAP server goes away under the holder and comes back: the holder keeps its leases while
/// it reconnects (no instance takes an inbox over, no epoch moves), and the mail that arrived
/// meanwhile is answered once.
#[test]
fn the_holder_keeps_its_inboxes_through_an_imap_outage() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (mut env, _db, url, dir, config) = setup(&rt);
    let (a, a_log, b, b_log) = holder_and_standby(&env, &url, dir.path(), &config);
    env.stop_imap();
    let mail = demo_mail();
    for (user, raw) in &mail {
        env.drop_into_maildir(user, raw);
    }
    wait_until_or(
        "A tried to reconnect",
        Duration::from_secs(30),
        || count_lines(&a_log, "WARN", "inbox connection failed; reconnecting") >= 2,
        || state(&url, &env),
    );
    // Longer than the lease's TTL (15 s): a holder that let go while reconnecting would be replaced.
    std::thread::sleep(Duration::from_secs(20));
    env.start_imap();
    let n = mail.len() as i64;
    wait_until_or(
        "the waiting mail answered",
        Duration::from_secs(120),
        || everything_sent(&url, &env, n),
        || state(&url, &env),
    );
    // Read while both run: once A stops cleanly, B takes its inboxes at once, as it should.
    assert_eq!(
        count_lines(&a_log, "INFO", "inbox lease taken"),
        2,
        "A took each inbox once"
    );
    assert_eq!(
        count_lines(&b_log, "INFO", "inbox lease taken"),
        0,
        "B never took one over"
    );
    let epochs = rows(&url, "SELECT epoch FROM mailbox_leases");
    assert!(
        epochs.iter().all(|r| r[0] == "1"),
        "no lease changed hands: {epochs:?}"
    );
    a.sigterm(Duration::from_secs(20));
    b.sigterm(Duration::from_secs(20));
    let dups: Vec<_> = sink_copies(&env).into_iter().filter(|(_, c)| *c > 1).collect();
    assert!(dups.is_empty(), "emails sent twice: {dups:?}");
}
