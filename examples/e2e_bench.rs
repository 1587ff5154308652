//! End-to-end benchmark of `referral-intake run` against a private Dovecot and aiosmtpd.
//!
//! 1. Throughput: N referral messages are dropped into the NCAL inbox, the release daemon is
//!    started as its own process, and the clock stops when the SMTP server has received every
//!    acknowledgement and forward (2 per message). Referrals per second = N / elapsed.
//! 2. Latency: M more messages are appended one at a time over IMAP while the daemon idles; each
//!    is timed from APPEND until its acknowledgement reaches the SMTP server.
//! 3. Peak RSS of the daemon process (VmHWM from /proc).
//!
//! Usage: `scripts/bench-e2e.sh [N] [M]` (builds in release, then runs this).

/// The integration tests' mail-server harness, shared rather than copied.
#[path = "../tests/it/support/mailenv.rs"]
#[allow(dead_code)]
mod mailenv;

/// What the harness expects of `crate::support`.
mod support {
    pub fn root() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }
}

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailenv::MailEnv;

const KINDS: &[&str] = &[
    "01-kp-ecm-accepted.eml",
    "03-kp-flattened-chw.eml",
    "09-phc-xls-chw.eml",
    "10-phc-ods-chw.eml",
    "22-body-only-ecm.eml",
    "04-healthnet-cs-meals.eml",
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let m: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let bin = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| "target/release/referral-intake".into());

    let env = MailEnv::start();
    let work = tempfile::tempdir()?;
    // BENCH_SMTP=smtp-sink receives with Postfix's smtp-sink (C, built for benchmarks) instead of
    // the harness's aiosmtpd (Python), which spends about 2.9 ms of CPU per email: more than the
    // daemon itself, on the same two cores.
    let sink_server = match std::env::var("BENCH_SMTP").as_deref() {
        Ok("smtp-sink") => Some(SmtpSink::start(work.path())?),
        Ok("aiosmtpd") | Err(_) => None,
        Ok(other) => anyhow::bail!("BENCH_SMTP must be aiosmtpd or smtp-sink, not {other}"),
    };
    let store = format!("sqlite://{}", work.path().join("bench.db").display());
    let config = work.path().join("referral-intake.toml");
    // A larger fetch batch; IDLE for the latency part.
    let toml = env
        .config_toml(&store)
        .replace("[imap]\n", "[imap]\nbatch_size = 200\n")
        .replace(
            "[smtp]\n",
            &format!(
                "[smtp]\nconcurrency = {}\n",
                std::env::var("BENCH_SMTP_CONCURRENCY").unwrap_or_else(|_| "16".into())
            ),
        );
    // Every message comes from one of a few senders: lift the per-sender acknowledgement limit
    // (a flood guard) so each referral is acknowledged.
    let toml = format!("{toml}\n[outbound]\nack_limit_per_sender = 0\n");
    // BENCH_FILING=flag leaves mail in the inbox (a keyword instead of UID MOVE).
    let toml = match std::env::var("BENCH_FILING") {
        Ok(mode) => format!("{toml}\n[filing]\nmode = \"{mode}\"\n"),
        Err(_) => toml,
    };
    let toml = match &sink_server {
        Some(sink) => toml.replacen(
            &format!("port = {}\ntls = \"none\"\ntimeout_secs", env.smtp_port),
            &format!("port = {}\ntls = \"none\"\ntimeout_secs", sink.port),
            1,
        ),
        None => toml,
    };
    std::fs::write(&config, toml)?;

    let templates: Vec<Vec<u8>> = KINDS
        .iter()
        .map(|f| std::fs::read(support::root().join("fixtures/demo").join(f)))
        .collect::<Result<_, _>>()?;
    let message = |i: usize| -> Vec<u8> {
        let t = String::from_utf8_lossy(
            templates
                .get(i % templates.len())
                .map(Vec::as_slice)
                .unwrap_or_default(),
        )
        .into_owned();
        // A distinct Message-ID makes each a distinct message (the content hash includes it).
        t.replacen("Message-ID: <", &format!("Message-ID: <bench{i}."), 1)
            .into_bytes()
    };

    // 1. Throughput.
    let t_load = Instant::now();
    for i in 0..n {
        env.drop_into_maildir("ncal@example.test", &message(i));
    }
    eprintln!(
        "loaded {n} messages into Dovecot in {:.1} s",
        t_load.elapsed().as_secs_f64()
    );
    let sink = match &sink_server {
        Some(s) => s.dir.clone(),
        None => env
            .dir
            .path()
            .join("mail")
            .join("sink@example.test")
            .join("Maildir"),
    };
    let (dovecot_pid, aiosmtpd_pid) = env.server_pids();
    let smtp_pid = sink_server.as_ref().map(|s| s.child.id()).or(aiosmtpd_pid);
    let servers_before = (dovecot_pid.map(tree_cpu_secs), smtp_pid.map(tree_cpu_secs));
    let t0 = Instant::now();
    let mut child = Command::new(&bin)
        .args(["run", "--config"])
        .arg(&config)
        .env(
            "REFERRAL_INTAKE_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    wait_count(&sink, 2 * n, Duration::from_secs(600))?;
    let elapsed = t0.elapsed().as_secs_f64();
    let rss_after_batch = vm_hwm_kb(pid);
    let cpu_after_batch = cpu_secs(pid);
    let per_referral_ms = |before: Option<f64>, now: Option<f64>| {
        before
            .zip(now)
            .map(|(b, a)| ((a - b) * 1000.0 / n as f64 * 100.0).round() / 100.0)
    };
    let dovecot_ms = per_referral_ms(servers_before.0, dovecot_pid.map(tree_cpu_secs));
    let smtp_ms = per_referral_ms(servers_before.1, smtp_pid.map(tree_cpu_secs));
    eprintln!(
        "throughput: {n} referrals in {elapsed:.2} s = {:.0} referrals/s",
        n as f64 / elapsed
    );

    // 2. Latency, one message at a time.
    std::thread::sleep(Duration::from_millis(500));
    let mut lat = Vec::with_capacity(m);
    for j in 0..m {
        let before = count(&sink);
        let t = Instant::now();
        env.append("ncal@example.test", "INBOX", &message(n + j));
        wait_count(&sink, before + 2, Duration::from_secs(30))?;
        lat.push(t.elapsed().as_secs_f64());
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let rss_peak = vm_hwm_kb(pid);
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let _ = child.wait();
    println!(
        "{}",
        serde_json::json!({
            "n": n,
            "throughput_referrals_per_sec": (n as f64 / elapsed * 10.0).round() / 10.0,
            "elapsed_secs": (elapsed * 100.0).round() / 100.0,
            "latency_secs": {"m": m, "p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": lat.last()},
            "peak_rss_mb_after_batch": rss_after_batch.map(|k| k / 1024),
            // The daemon's own CPU (user + system) per referral during the batch: its capacity
            // apart from the test servers sharing the machine.
            "daemon_cpu_ms_per_referral": cpu_after_batch.map(|c| (c * 1000.0 / n as f64 * 100.0).round() / 100.0),
            "peak_rss_mb": rss_peak.map(|k| k / 1024),
            // The test servers' CPU per referral during the batch (Dovecot: master and all its
            // children; SMTP: aiosmtpd), on the same two cores.
            "dovecot_cpu_ms_per_referral": dovecot_ms,
            "smtp_server_cpu_ms_per_referral": smtp_ms,
        })
    );
    Ok(())
}

/// Emails received: files in a Maildir's `new` and `cur`, or in smtp-sink's dump folder.
fn count(dir: &Path) -> usize {
    let flat = std::fs::read_dir(dir)
        .map(|r| r.flatten().filter(|e| e.path().is_file()).count())
        .unwrap_or(0);
    flat + ["new", "cur"]
        .iter()
        .map(|d| std::fs::read_dir(dir.join(d)).map(|r| r.count()).unwrap_or(0))
        .sum::<usize>()
}

/// Postfix's `smtp-sink` on a free loopback port, dumping each message to a file.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl SmtpSink {
    fn start(work: &Path) -> anyhow::Result<SmtpSink> {
        let bin = Path::new("/usr/sbin/smtp-sink");
        anyhow::ensure!(
            bin.exists(),
            "BENCH_SMTP=smtp-sink needs Debian's postfix package (/usr/sbin/smtp-sink)"
        );
        let dir = work.join("smtp-sink");
        std::fs::create_dir_all(&dir)?;
        // smtp-sink drops to an unprivileged user when started as root.
        let _ = Command::new("chmod").arg("777").arg(&dir).status();
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(bin)
            .args(["-u", "nobody", "-d"])
            .arg(format!("{}/%M.", dir.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdout(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "smtp-sink did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(SmtpSink { child, port, dir })
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_count(maildir: &Path, n: usize, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while count(maildir) < n {
        if Instant::now() > deadline {
            anyhow::bail!("timed out: {} of {n} emails arrived", count(maildir));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// CPU seconds (user + system) a process has used.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let ticks = 100.0; // USER_HZ on Linux
    Some((utime + stime) / ticks)
}

/// CPU seconds used by a process and every live descendant (Dovecot forks one `imap` process
/// per connection, plus its auth and index workers).
fn tree_cpu_secs(root: u32) -> f64 {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parent_of.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid) in &parent_of {
            if tree.contains(ppid) && !tree.contains(pid) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    tree.iter().filter_map(|p| cpu_secs(*p)).sum()
}

/// Peak resident set size of a process, in KiB.
fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
