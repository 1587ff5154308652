//! Outages, against the real binary: the IMAP server down for a long time, the SMTP server
//! answering 4xx then down, the SQLite store locked by another process or out of disk space.
//! Each time: nothing lost, nothing done twice, ERROR (or WARN) lines that say what is wrong,
//! and recovery by the same process, without a restart.
//!
//! Knobs: `OUTAGE_SECS` (how long IMAP stays down, default 15; `scripts/crash-soak.sh` runs it
//! for minutes), `LOCK_SECS` (how long the store stays locked, default 12).

#![allow(clippy::indexing_slicing)] // test code: a missing column is a test bug, panicking is right

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use referral_intake::config::Config;

use crate::support::child::{
    Daemon, level_and_message, log_lines, query_i64, rows, wait_until, wait_until_or,
};
use crate::support::mailenv::MailEnv;
use crate::support::plan::{message_id, planned};
use crate::support::root;

struct Setup {
    env: MailEnv,
    _dir: tempfile::TempDir,
    config: PathBuf,
    store_url: String,
    log: PathBuf,
}

/// A mail system and a config whose text `edit` may change; the store at `store_dir` (default:
/// the temp dir).
fn setup(store_dir: Option<&Path>, edit: impl Fn(String) -> String) -> Setup {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let store = store_dir.unwrap_or(dir.path()).join("store.db");
    let store_url = format!("sqlite://{}", store.display());
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, edit(env.config_toml(&store_url))).expect("config");
    let log = dir.path().join("daemon.log");
    Setup {
        env,
        _dir: dir,
        config,
        store_url,
        log,
    }
}

/// Replaces `from` with `to` in a config text, which must hold it.
fn set(text: String, from: &str, to: &str) -> String {
    assert!(text.contains(from), "config layout changed: no {from:?}");
    text.replacen(from, to, 1)
}

fn demo(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/demo").join(name)).expect("demo message")
}

impl Setup {
    fn cfg(&self) -> std::sync::Arc<Config> {
        Config::load(&self.config).expect("config")
    }

    fn start(&self) -> Daemon {
        let d = Daemon::spawn(&self.config, &self.log);
        wait_until("the daemon is ready", Duration::from_secs(20), || {
            self.count("INFO", "ready: every inbox is connected", 0) > 0
        });
        d
    }

    /// How many log lines from line `from` on are at `level` and contain `text`.
    fn count(&self, level: &str, text: &str, from: usize) -> usize {
        log_lines(&self.log)
            .iter()
            .skip(from)
            .filter(|v| {
                let (l, m) = level_and_message(v);
                l == level && m.contains(text)
            })
            .count()
    }

    fn lines(&self) -> usize {
        log_lines(&self.log).len()
    }

    /// Waits until the sink holds `n` emails, then checks that none arrived twice.
    fn delivered_once(&self, n: usize, timeout: Duration) {
        let sunk = self.env.wait_sink(n, timeout);
        std::thread::sleep(Duration::from_millis(500)); // a repeat would show up here
        let sunk = if self.env.sink().len() > sunk.len() {
            self.env.sink()
        } else {
            sunk
        };
        let ids: Vec<String> = sunk.iter().filter_map(|m| message_id(&m.raw)).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(ids.len(), n, "exactly the planned emails: {ids:?}");
        assert_eq!(unique.len(), ids.len(), "no email twice: {ids:?}");
    }

    fn inbox_empty(&self) {
        for user in ["ncal@example.test", "scal@example.test"] {
            wait_until(&format!("{user} INBOX empty"), Duration::from_secs(20), || {
                self.env.list(user, "INBOX").is_empty()
            });
        }
    }

    fn cursors(&self) -> Vec<Vec<String>> {
        rows(
            &self.store_url,
            "SELECT mailbox, uidvalidity, last_uid FROM mailbox_cursors ORDER BY mailbox",
        )
    }

    fn messages(&self) -> i64 {
        query_i64(&self.store_url, "SELECT COUNT(*) FROM messages")
    }
}

fn env_secs(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// IMAP down for long against the backoff (capped at 2 s here; `OUTAGE_SECS=180` for minutes):
/// the inbox reports ERROR while stalled, mail that arrived meanwhile is processed once the
/// server is back, by the same process, once.
#[test]
fn imap_down_for_long_then_back_loses_nothing_without_a_restart() {
    let outage = Duration::from_secs(env_secs("OUTAGE_SECS", 15));
    let mut s = setup(None, |t| {
        let t = set(t, "idle_secs = 30\n", "idle_secs = 4\n");
        set(
            t,
            "shutdown_grace_secs = 5\n",
            "shutdown_grace_secs = 5\nstall_secs = 8\n",
        )
    });
    let cfg = s.cfg();
    let mut d = s.start();
    let pid = d.pid();
    let first = demo("01-kp-ecm-accepted.eml");
    let mut total = planned(&cfg, &first).len();
    s.env.append("ncal@example.test", "INBOX", &first);
    s.env.wait_sink(total, Duration::from_secs(20));

    let from = s.lines();
    s.env.stop_imap();
    // Mail keeps arriving at the server's disk while nobody can read it over IMAP.
    let (ncal, scal) = (
        demo("09-phc-xls-chw.eml"),
        demo("02-kp-cs-housing-deposits-scal.eml"),
    );
    total += planned(&cfg, &ncal).len() + planned(&cfg, &scal).len();
    s.env.drop_into_maildir("ncal@example.test", &ncal);
    s.env.drop_into_maildir("scal@example.test", &scal);
    std::thread::sleep(outage);
    assert!(d.alive(), "the daemon rides out the outage");
    let stalled = s.count("ERROR", "inbox loop has made no progress", from);
    let retries = s.count("WARN", "inbox connection failed; reconnecting", from);
    eprintln!("IMAP down {outage:?}: {stalled} ERROR line(s) (stalled), {retries} reconnect attempt(s)");
    if std::env::var_os("OUTAGE_DUMP").is_some() {
        eprintln!("{}", std::fs::read_to_string(&s.log).unwrap_or_default());
    }
    assert!(stalled >= 1, "an ERROR says the inbox is stalled");
    assert!(retries >= 2, "it kept reconnecting");

    s.env.start_imap();
    s.delivered_once(total, Duration::from_secs(30));
    s.inbox_empty();
    assert!(d.alive() && d.pid() == pid, "recovered without a restart");
    assert_eq!(s.messages(), 3, "each message stored once");
    d.sigterm(Duration::from_secs(15));
}

/// The SMTP server answers 451 to every message, then is down, then is back: the emails wait in
/// the outbox with their attempts counted (WARN each time), none fails for good, all arrive
/// once.
#[test]
fn smtp_4xx_then_down_then_back_delivers_everything_once() {
    let mut s = setup(None, |t| {
        set(
            t,
            "retry_max_secs = 2\n",
            "retry_max_secs = 2\nmax_attempts = 100\n",
        )
    });
    let cfg = s.cfg();
    let mut d = s.start();
    let pid = d.pid();
    s.env.smtp_reply(Some("451 4.3.0 Try again later"));
    let (a, b) = (
        demo("01-kp-ecm-accepted.eml"),
        demo("02-kp-cs-housing-deposits-scal.eml"),
    );
    let total = planned(&cfg, &a).len() + planned(&cfg, &b).len();
    s.env.append("ncal@example.test", "INBOX", &a);
    s.env.append("scal@example.test", "INBOX", &b);
    let pending_with = |n: i64| {
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts >= 2",
        ) >= n
    };
    let n = total as i64;
    wait_until("every email refused twice", Duration::from_secs(30), || {
        pending_with(n)
    });
    let refused = log_lines(&s.log)
        .iter()
        .filter(|v| {
            level_and_message(v) == ("WARN", "email not sent; will retry")
                && v["fields"]["smtp_code"] == "451"
        })
        .count();
    assert!(
        refused >= 2 * total,
        "a WARN per refusal, with the code: {refused}"
    );
    assert!(s.env.sink().is_empty(), "nothing accepted yet");

    // Down: connection refused.
    let from = s.lines();
    let attempts = || query_i64(&s.store_url, "SELECT SUM(attempts) FROM outbox");
    let before = attempts();
    s.env.stop_smtp();
    wait_until(
        "retries while the server is down",
        Duration::from_secs(30),
        || attempts() >= before + 2 * n,
    );
    assert!(s.count("WARN", "email not sent; will retry", from) >= 2 * total);
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM outbox WHERE status <> 'pending'"
        ),
        0,
        "nothing failed for good, nothing marked sent"
    );

    s.env.smtp_reply(None);
    s.env.start_smtp();
    s.delivered_once(total, Duration::from_secs(30));
    wait_until("every email marked sent", Duration::from_secs(10), || {
        query_i64(&s.store_url, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'") == n
    });
    assert!(
        query_i64(&s.store_url, "SELECT MIN(attempts) FROM outbox") >= 5,
        "attempts counted: 2+ refused, 2+ while down, 1 sent"
    );
    assert_eq!(s.count("ERROR", "", 0), 0, "no email given up");
    assert!(d.alive() && d.pid() == pid, "recovered without a restart");
    d.sigterm(Duration::from_secs(15));
}

/// Holds `BEGIN EXCLUSIVE` on the store from another connection, on its own thread, until told
/// to stop; then rolls back.
struct Lock {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Lock {
    fn take(store_url: &str) -> Lock {
        let (stop, rx) = std::sync::mpsc::channel::<()>();
        let (held_tx, held) = std::sync::mpsc::channel::<()>();
        let url = store_url.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt");
            rt.block_on(async {
                use sqlx::Connection as _;
                let mut c = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                sqlx::query("BEGIN EXCLUSIVE")
                    .execute(&mut c)
                    .await
                    .expect("BEGIN EXCLUSIVE");
                let _ = held_tx.send(());
                let _ = rx.recv();
                sqlx::query("ROLLBACK").execute(&mut c).await.expect("ROLLBACK");
                let _ = c.close().await;
            });
        });
        held.recv_timeout(Duration::from_secs(10)).expect("lock taken");
        Lock {
            stop,
            thread: Some(thread),
        }
    }

    fn release(mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            t.join().expect("lock thread");
        }
    }
}

/// Another process holds the SQLite store locked for longer than the busy timeout while mail
/// arrives: ERROR lines, the mail stays unread in the inbox (not filed, cursor not advanced), and
/// once the lock is gone the same process stores and answers it, once.
#[test]
fn store_locked_then_released_processes_the_waiting_mail_once() {
    let lock_for = Duration::from_secs(env_secs("LOCK_SECS", 12));
    let s = setup(None, |t| t);
    let cfg = s.cfg();
    let mut d = s.start();
    let pid = d.pid();
    let warm = demo("09-phc-xls-chw.eml");
    let mut total = planned(&cfg, &warm).len();
    s.env.append("ncal@example.test", "INBOX", &warm);
    s.delivered_once(total, Duration::from_secs(20));
    s.inbox_empty();
    let cursors = s.cursors();

    let from = s.lines();
    let lock = Lock::take(&s.store_url);
    let (a, b) = (
        demo("01-kp-ecm-accepted.eml"),
        demo("02-kp-cs-housing-deposits-scal.eml"),
    );
    total += planned(&cfg, &a).len() + planned(&cfg, &b).len();
    s.env.append("ncal@example.test", "INBOX", &a);
    s.env.append("scal@example.test", "INBOX", &b);
    std::thread::sleep(lock_for);
    let errors = s.count("ERROR", "store unavailable", from);
    eprintln!("store locked {lock_for:?}: {errors} ERROR line(s)");
    assert!(errors >= 2, "ERROR lines say the store is unavailable");
    // Reads still work under the lock (WAL): the mail is neither filed nor counted as done.
    assert_eq!(s.env.list("ncal@example.test", "INBOX").len(), 1, "not filed");
    assert_eq!(s.env.list("scal@example.test", "INBOX").len(), 1, "not filed");
    assert_eq!(s.cursors(), cursors, "cursor not advanced");
    assert_eq!(s.messages(), 1, "nothing stored");
    assert_eq!(s.env.sink().len(), planned(&cfg, &warm).len(), "nothing sent");
    lock.release();

    s.delivered_once(total, Duration::from_secs(30));
    s.inbox_empty();
    assert_eq!(s.messages(), 3, "each stored once");
    assert!(d.alive() && d.pid() == pid, "recovered without a restart");
    d.sigterm(Duration::from_secs(15));
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` when this process may not mount (not root, or no CAP_SYS_ADMIN).
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Keeps the file system holding `dir` full: a thread writes filler files there until ENOSPC,
/// again every few milliseconds, so space the daemon frees (SQLite checkpoints and removes its
/// WAL after a failed write) is taken again at once, as by a runaway log. Dropping it deletes
/// the filler.
struct DiskHog {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    dir: PathBuf,
}

impl DiskHog {
    fn start(dir: &Path) -> DiskHog {
        use std::io::Write as _;
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, dir2) = (stop.clone(), dir.to_path_buf());
        let (full_tx, full) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let chunk = vec![0u8; 4096];
            let mut n = 0u32;
            while !flag.load(Ordering::Relaxed) {
                n += 1;
                if let Ok(mut f) = std::fs::File::create(dir2.join(format!("filler-{n}"))) {
                    while f.write_all(&chunk).is_ok() {}
                }
                let _ = full_tx.send(());
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        full.recv_timeout(Duration::from_secs(10)).expect("disk filled");
        DiskHog {
            stop,
            thread: Some(thread),
            dir: dir.to_path_buf(),
        }
    }
}

impl Drop for DiskHog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with("filler-") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// The store's disk fills up and stays full (a real ENOSPC on a small tmpfs, so this part needs
/// root; the space SQLite frees by checkpointing is taken again at once): ERROR lines, the
/// message stays unread in the inbox (not filed, cursor not advanced), is NOT quarantined as a
/// message that cannot be processed however often it fails, and once space is back the same
/// process stores and answers it normally, once.
#[test]
fn store_disk_full_then_space_back_processes_the_waiting_mail_once() {
    let mnt_parent = tempfile::tempdir().expect("tmp");
    let mnt = mnt_parent.path().join("store");
    let Some(_tmpfs) = Tmpfs::mount(&mnt, "16m") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root (CAP_SYS_ADMIN); the disk-full case was not run");
        return;
    };
    let s = setup(Some(&mnt), |t| t);
    let cfg = s.cfg();
    let mut d = s.start();
    let pid = d.pid();
    let warm = demo("09-phc-xls-chw.eml");
    let mut total = planned(&cfg, &warm).len();
    s.env.append("ncal@example.test", "INBOX", &warm);
    s.delivered_once(total, Duration::from_secs(20));
    s.inbox_empty();
    wait_until("the warm-up marked sent", Duration::from_secs(10), || {
        query_i64(&s.store_url, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'") as usize == total
    });
    let hog = DiskHog::start(&mnt);
    let from = s.lines();
    let msg = demo("01-kp-ecm-accepted.eml");
    total += planned(&cfg, &msg).len();
    s.env.append("ncal@example.test", "INBOX", &msg);
    // SQLite frees space itself after a failed write (it checkpoints and restarts its WAL), so
    // the disk does not stay full for long however fast the hog takes space back: wait for the
    // failure, not for a number of them.
    wait_until_or(
        "a failed attempt to store on the full disk",
        Duration::from_secs(40),
        || s.count("ERROR", "store unavailable", from) >= 1,
        || format!("log:\n{}", std::fs::read_to_string(&s.log).unwrap_or_default()),
    );
    let full = log_lines(&s.log)
        .iter()
        .skip(from)
        .filter(|v| {
            level_and_message(v).0 == "ERROR"
                && v["fields"]["error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("disk is full")
        })
        .count();
    eprintln!("disk full: {full} ERROR line(s) naming it");
    assert!(full >= 1, "the ERROR says the disk is full");
    drop(hog); // space is back

    s.delivered_once(total, Duration::from_secs(30));
    s.inbox_empty();
    assert_eq!(
        s.env.list("ncal@example.test", "Referrals/Accepted").len(),
        2,
        "filed as accepted"
    );
    assert!(
        s.env.list("ncal@example.test", "Referrals/Review").is_empty(),
        "not quarantined for review"
    );
    assert_eq!(s.messages(), 2, "stored once");
    assert!(d.alive() && d.pid() == pid, "recovered without a restart");
    d.sigterm(Duration::from_secs(15));
}
