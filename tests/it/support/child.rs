//! The real `referral-intake run` as a child process, for tests that kill it (SIGKILL) or watch
//! it ride out outages: JSON logs appended to a file the test parses, and store queries through
//! a separate connection.

#![allow(clippy::indexing_slicing)] // test code: a missing column is a test bug, panicking is right

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use referral_intake::store::Store;
use sqlx::Row;

/// One running daemon.
pub struct Daemon {
    child: Child,
    /// Where its stderr (JSON log lines) goes; shared by every life of one test.
    pub log: PathBuf,
}

impl Daemon {
    /// Starts `referral-intake --log-format json run --config <config>`, appending stderr to
    /// `log`.
    pub fn spawn(config: &Path, log: &Path) -> Daemon {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open daemon log");
        let child = Command::new(env!("CARGO_BIN_EXE_referral-intake"))
            .args(["--log-format", "json", "run", "--config"])
            .arg(config)
            .env_remove("REFERRAL_INTAKE_CONFIG")
            .env("REFERRAL_INTAKE_LOG", "info,sqlx=warn,lopdf=error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("spawn referral-intake run");
        Daemon {
            child,
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Still running (not exited, not restarted: the same process).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `kill -9`, and reap it.
    pub fn sigkill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for a clean exit (status 0) within `timeout`.
    pub fn sigterm(mut self, timeout: Duration) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "daemon exited with {status}");
                return;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("daemon did not stop within {timeout:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every JSON line of a daemon log (lines cut short by a SIGKILL are skipped).
pub fn log_lines(log: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `level` and `fields.message` of a log line.
pub fn level_and_message(v: &serde_json::Value) -> (&str, &str) {
    (
        v["level"].as_str().unwrap_or(""),
        v["fields"]["message"].as_str().unwrap_or(""),
    )
}

/// Log lines at `level` whose message contains `text`.
pub fn count_lines(log: &Path, level: &str, text: &str) -> usize {
    log_lines(log)
        .iter()
        .filter(|v| {
            let (l, m) = level_and_message(v);
            l == level && m.contains(text)
        })
        .count()
}

/// Polls `f` every 100 ms until it returns true; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, f: impl FnMut() -> bool) {
    wait_until_or(what, timeout, f, String::new);
}

/// [`wait_until`], adding `state()` (what was seen last) to the panic message.
pub fn wait_until_or(what: &str, timeout: Duration, mut f: impl FnMut() -> bool, state: impl Fn() -> String) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?}: {what}; {}",
            state()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs one store query on a fresh runtime and connection (the daemon holds its own).
pub fn query_i64(store_url: &str, sql: &'static str) -> i64 {
    rows(store_url, sql)
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number from {sql}"))
}

/// Every row of a query, each column as text (NULL as "").
pub fn rows(store_url: &str, sql: &'static str) -> Vec<Vec<String>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let store = Store::open(store_url).await.expect("open store");
        let rows = sqlx::query(sql)
            .fetch_all(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let out = rows
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        r.try_get::<Option<String>, _>(i)
                            .ok()
                            .flatten()
                            .or_else(|| {
                                r.try_get::<Option<i64>, _>(i)
                                    .ok()
                                    .flatten()
                                    .map(|n| n.to_string())
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        store.pool().close().await;
        out
    })
}
