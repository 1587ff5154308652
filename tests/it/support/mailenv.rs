//! A real mail system per test: a private Dovecot (IMAP, plain and implicit TLS) and an aiosmtpd
//! SMTP sink, both started in a fresh temp dir on free loopback ports.
//!
//! Layout of `MailEnv::dir`:
//! - `dovecot.conf`, `users` (passwd-file), `dovecot.log` and `dovecot.stderr`, `aiosmtpd.log`;
//! - `tls/`: `ca.pem` (the only root a client needs), `server.pem` + `server.key` (leaf for
//!   `localhost` and `127.0.0.1`, made with the openssl CLI; a separate CA because rustls rejects
//!   a CA certificate used as the server's, STACK §5);
//! - `mail/<login>/Maildir`: one per user, pre-created so that aiosmtpd never creates it with the
//!   wrong owner; `secrets/<local part>.password`: the password files `config_toml` points at.
//!
//! Invariants and why:
//! - Users `ncal@`, `scal@` and `sink@example.test`, password `secret`. aiosmtpd writes every
//!   message it accepts, whatever the recipients, into the sink's Maildir, adding `X-MailFrom`
//!   and `X-RcptTo` headers that `sink()` reads back as the envelope.
//! - Dovecot never accepts uid 0 for mail, so as root the mail user is `nobody` and the temp dir
//!   (0700 from `tempfile`) is chowned to it; otherwise everything runs as the current user.
//! - Children are started in the foreground and SIGKILLed (`stop_*` and `Drop`): instant.
//!   Dovecot runs in its own process group, killed whole: an `imap` process serving an open
//!   session (IDLE) outlives its killed master, so killing the master alone is no outage. `start_*` reuses the same ports
//!   and mail dirs, so UIDs and UIDVALIDITY survive an outage.
//! - The API is synchronous: IMAP work runs on its own thread and current-thread runtime, so it
//!   can be called from a plain `#[test]` or from inside the test's own tokio runtime.
//! - Failures panic with the servers' logs: this is test support, and the logs say why.

// Explicit, so the benchmark (examples/e2e_bench.rs) can include this file by path too.
#[path = "mailenv/setup.rs"]
mod setup;

use std::fs;
use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow};
use futures::TryStreamExt;
use tempfile::TempDir;

use setup::{Owner, dovecot_conf, free_ports, make_certs, owner, python, run_checked, sbin};

/// The password of every user.
pub const PASSWORD: &str = "secret";
/// The logins Dovecot knows.
pub const USERS: [&str; 3] = ["ncal@example.test", "scal@example.test", SINK];
/// The user whose Maildir receives everything sent to the SMTP sink.
pub const SINK: &str = "sink@example.test";

/// How long a server may take to open its ports, and an IMAP operation to finish. Generous
/// because parallel tests share two cores.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
const IMAP_TIMEOUT: Duration = Duration::from_secs(20);

/// A plain-TCP IMAP session, as the harness uses it.
pub type ImapSession = async_imap::Session<tokio::net::TcpStream>;

/// One message the SMTP sink accepted.
#[derive(Debug, Clone)]
pub struct SunkMail {
    /// The stored file: the message as received, plus aiosmtpd's `X-Peer`, `X-MailFrom` and
    /// `X-RcptTo` headers at the end of the header block.
    pub raw: Vec<u8>,
    /// Envelope sender (`MAIL FROM`), from `X-MailFrom`.
    pub mail_from: String,
    /// Envelope recipients (`RCPT TO`), from `X-RcptTo`, in the order given.
    pub rcpt_to: Vec<String>,
}

/// Private Dovecot + aiosmtpd for one test. Dropping it kills both.
pub struct MailEnv {
    /// Everything lives here (see the module docs); removed on drop.
    pub dir: TempDir,
    /// Plain IMAP on 127.0.0.1.
    pub imap_port: u16,
    /// Implicit-TLS IMAP on 127.0.0.1, certificate signed by `ca_pem`.
    pub imaps_port: u16,
    /// aiosmtpd on 127.0.0.1: plain, STARTTLS offered but not required.
    pub smtp_port: u16,
    /// The test CA (PEM), the only root needed to trust both servers.
    pub ca_pem: PathBuf,
    owner: Owner,
    dovecot: Option<Child>,
    smtp: Option<Child>,
    /// OAuth mode: the introspection URL Dovecot and the sink check bearer tokens at.
    oauth: Option<String>,
}

impl MailEnv {
    /// Starts Dovecot and aiosmtpd on fresh ports; retries with new ports if another process took
    /// one between choosing and binding it.
    pub fn start() -> MailEnv {
        MailEnv::start_with(None)
    }

    /// Like [`MailEnv::start`], but the inbox users can also log in with XOAUTH2 bearer tokens
    /// that Dovecot's `oauth2` passdb checks at `introspection_url` (RFC 7662, POST), and the
    /// SMTP sink *requires* AUTH XOAUTH2, checking tokens the same way. Passwords still work for
    /// IMAP, so the harness's own checks (`list`, `append`) are unchanged. Dovecot's failed-login
    /// penalty is switched off (auth runs as the mail user and cannot reach anvil's penalty
    /// socket): it delays logins from 127.0.0.1 by up to 15 s after a refused token, longer than
    /// the tests' few-second tokens live, which no client could ride out.
    pub fn start_oauth(introspection_url: &str) -> MailEnv {
        MailEnv::start_with(Some(introspection_url))
    }

    fn start_with(oauth: Option<&str>) -> MailEnv {
        let mut last = String::new();
        for _ in 0..3 {
            match MailEnv::try_start(oauth) {
                Ok(env) => return env,
                Err(e) if e.to_ascii_lowercase().contains("address already in use") => last = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("mail servers did not start after 3 attempts (ports taken):\n{last}")
    }

    fn try_start(oauth: Option<&str>) -> Result<MailEnv, String> {
        let dir = tempfile::Builder::new()
            .prefix("mailenv-")
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        let owner = owner(dir.path());
        let [imap_port, imaps_port, smtp_port] = free_ports();
        let d = dir.path();
        let setup = || -> std::io::Result<()> {
            for sub in ["run", "state", "tls", "secrets"] {
                fs::create_dir_all(d.join(sub))?;
            }
            for login in USERS {
                for sub in ["cur", "new", "tmp"] {
                    fs::create_dir_all(d.join("mail").join(login).join("Maildir").join(sub))?;
                }
                fs::write(
                    d.join("secrets").join(format!("{}.password", local(login))),
                    format!("{PASSWORD}\n"),
                )?;
            }
            let users: String = USERS
                .iter()
                .map(|u| format!("{u}:{{PLAIN}}{PASSWORD}::::::\n"))
                .collect();
            fs::write(d.join("users"), users)?;
            let mut conf = dovecot_conf(d, &owner, imap_port, imaps_port);
            if let Some(url) = oauth {
                conf = setup::with_oauth2(&conf, d, &owner, url);
            }
            fs::write(d.join("dovecot.conf"), conf)
        };
        setup().map_err(|e| format!("mail env setup in {}: {e}", d.display()))?;
        make_certs(&d.join("tls"))?;
        if owner.root {
            run_checked(
                Command::new("chown")
                    .arg("-R")
                    .arg(format!("{}:{}", owner.uid, owner.gid))
                    .arg(d),
            )?;
        }
        let mut env = MailEnv {
            ca_pem: d.join("tls").join("ca.pem"),
            dir,
            imap_port,
            imaps_port,
            smtp_port,
            owner,
            dovecot: None,
            smtp: None,
            oauth: oauth.map(str::to_string),
        };
        // Both start at once; then wait for both (aiosmtpd's Python start-up is the slow one).
        env.dovecot = Some(env.spawn_dovecot()?);
        env.smtp = Some(env.spawn_smtp()?);
        env.wait_listening(&[imap_port, imaps_port], true)?;
        env.wait_listening(&[smtp_port], false)?;
        Ok(env)
    }

    /// Login and password of a user: `"ncal"` or `"ncal@example.test"` (also scal, sink).
    pub fn user(&self, name: &str) -> (String, String) {
        let login = if name.contains('@') {
            name.to_string()
        } else {
            format!("{name}@example.test")
        };
        assert!(
            USERS.contains(&login.as_str()),
            "mailenv has no user {name:?}; it has {USERS:?}"
        );
        (login, PASSWORD.to_string())
    }

    /// IMAP APPENDs a message to a folder of a user, creating the folder if needed.
    pub fn append(&self, user: &str, folder: &str, eml: &[u8]) {
        let (login, pass) = self.user(user);
        let (port, folder, eml) = (self.imap_port, folder.to_string(), eml.to_vec());
        self.imap("IMAP APPEND", move || async move {
            let mut s = login_plain(port, &login, &pass).await?;
            if !folder.eq_ignore_ascii_case("INBOX") {
                // NO when it exists already: only the APPEND's outcome matters.
                let _ = s.create(&folder).await;
            }
            s.append(&folder, None, None, &eml).await.context("APPEND")?;
            let _ = s.logout().await;
            Ok(())
        })
    }

    /// Delivers a message the way a local MDA would: written to `Maildir/tmp`, then renamed into
    /// `Maildir/new` (Dovecot sees it on the next SELECT, NOOP or IDLE wake-up).
    pub fn drop_into_maildir(&self, user: &str, eml: &[u8]) {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let (login, _) = self.user(user);
        let maildir = self.maildir(&login);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.mailenv",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let (tmp, new) = (maildir.join("tmp").join(&name), maildir.join("new").join(&name));
        fs::write(&tmp, eml).expect("write Maildir/tmp file");
        if self.owner.root {
            std::os::unix::fs::chown(&tmp, Some(self.owner.uid), Some(self.owner.gid)).expect("chown mail");
        }
        fs::rename(&tmp, &new).expect("rename Maildir tmp -> new");
    }

    /// Every message in a folder, `(uid, raw bytes)` sorted by UID, read with EXAMINE and
    /// `UID FETCH 1:* BODY.PEEK[]` (no flag changes). A folder that does not exist is empty.
    pub fn list(&self, user: &str, folder: &str) -> Vec<(u32, Vec<u8>)> {
        let (login, pass) = self.user(user);
        let (port, folder) = (self.imap_port, folder.to_string());
        self.imap("IMAP list", move || async move {
            let mut s = login_plain(port, &login, &pass).await?;
            let mb = match s.examine(&folder).await {
                Ok(mb) => mb,
                // Dovecot's [NONEXISTENT] code is not kept by async-imap; its text is stable.
                Err(async_imap::error::Error::No(m)) if m.contains("doesn't exist") => return Ok(Vec::new()),
                Err(e) => return Err(anyhow!(e).context("EXAMINE")),
            };
            let mut out = Vec::new();
            if mb.exists > 0 {
                let fetched: Vec<_> = s
                    .uid_fetch("1:*", "(UID BODY.PEEK[])")
                    .await?
                    .try_collect()
                    .await
                    .context("FETCH")?;
                for f in &fetched {
                    let uid = f.uid.ok_or_else(|| anyhow!("FETCH response without UID"))?;
                    let body = f.body().ok_or_else(|| anyhow!("FETCH response without body"))?;
                    out.push((uid, body.to_vec()));
                }
            }
            let _ = s.logout().await;
            out.sort_by_key(|(uid, _)| *uid);
            Ok(out)
        })
    }

    /// Polls `list` until the folder holds at least `n` messages; panics after `timeout`.
    pub fn wait_list(&self, user: &str, folder: &str, n: usize, timeout: Duration) -> Vec<(u32, Vec<u8>)> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.list(user, folder);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{user}/{folder}: {} message(s) after {timeout:?}, wanted {n}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The user's folder names (IMAP LIST, `/` separated), sorted.
    pub fn folders(&self, user: &str) -> Vec<String> {
        let (login, pass) = self.user(user);
        let port = self.imap_port;
        self.imap("IMAP LIST", move || async move {
            let mut s = login_plain(port, &login, &pass).await?;
            let names: Vec<_> = s
                .list(Some(""), Some("*"))
                .await?
                .try_collect()
                .await
                .context("LIST")?;
            let mut out: Vec<String> = names.iter().map(|n| n.name().to_string()).collect();
            drop(names);
            let _ = s.logout().await;
            out.sort();
            Ok(out)
        })
    }

    /// A folder's UIDVALIDITY, as SELECT reports it.
    pub fn uid_validity(&self, user: &str, folder: &str) -> u32 {
        let (login, pass) = self.user(user);
        let (port, folder) = (self.imap_port, folder.to_string());
        self.imap("IMAP SELECT", move || async move {
            let mut s = login_plain(port, &login, &pass).await?;
            let mb = s.select(&folder).await.context("SELECT")?;
            let _ = s.logout().await;
            mb.uid_validity
                .ok_or_else(|| anyhow!("SELECT gave no UIDVALIDITY"))
        })
    }

    /// Every message the SMTP sink has written so far, oldest first.
    pub fn sink(&self) -> Vec<SunkMail> {
        self.sink_timed().into_iter().map(|(_, m)| m).collect()
    }

    /// Polls `sink` until it holds at least `n` messages; panics after `timeout` with the count
    /// and aiosmtpd's log.
    pub fn wait_sink(&self, n: usize, timeout: Duration) -> Vec<SunkMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.sink();
            if got.len() >= n {
                return got;
            }
            if Instant::now() >= deadline {
                panic!(
                    "sink holds {} message(s) after {timeout:?}, wanted {n}\n{}",
                    got.len(),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every message the sink holds with the time it was written (the file's mtime: aiosmtpd
    /// writes the file before it answers `250` to DATA), oldest first.
    pub fn sink_timed(&self) -> Vec<(SystemTime, SunkMail)> {
        let maildir = self.maildir(SINK);
        let mut files = Vec::new();
        // Dovecot moves messages from new/ to cur/ once an IMAP client has seen them.
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(maildir.join(sub))
                .expect("read sink Maildir")
                .flatten()
            {
                let mtime = entry.metadata().and_then(|m| m.modified()).unwrap_or(UNIX_EPOCH);
                files.push((mtime, entry.file_name(), entry.path()));
            }
        }
        files.sort();
        files
            .into_iter()
            .filter_map(|(t, _, path)| Some((t, fs::read(path).ok()?))) // gone: moved to cur/
            .map(|(t, raw)| {
                let (mail_from, rcpt_to) = envelope(&raw);
                (
                    t,
                    SunkMail {
                        raw,
                        mail_from,
                        rcpt_to,
                    },
                )
            })
            .collect()
    }

    /// Makes the running SMTP sink answer every DATA with `reply` (e.g. `"451 4.3.0 Try again
    /// later"`) instead of accepting the message; `None` accepts again. Takes effect at the next
    /// message, without a restart.
    pub fn smtp_reply(&self, reply: Option<&str>) {
        let path = self.dir.path().join("smtp-reply");
        let tmp = self.dir.path().join("smtp-reply.tmp");
        fs::write(&tmp, reply.unwrap_or("")).expect("write smtp-reply");
        fs::rename(&tmp, &path).expect("rename smtp-reply");
    }

    /// SIGKILLs Dovecot. On return its ports refuse connections.
    pub fn stop_imap(&mut self) {
        kill_group(self.dovecot.take());
        self.wait_free(&[self.imap_port, self.imaps_port]);
    }

    /// Starts Dovecot again on the same ports with the same mail (after `stop_imap`).
    pub fn start_imap(&mut self) {
        assert!(self.dovecot.is_none(), "start_imap: Dovecot is running");
        let ports = [self.imap_port, self.imaps_port];
        self.wait_free(&ports);
        let started = self.spawn_dovecot().map(|c| self.dovecot = Some(c));
        if let Err(e) = started.and_then(|()| self.wait_listening(&ports, true)) {
            panic!("{e}");
        }
    }

    /// SIGKILLs aiosmtpd. On return its port refuses connections.
    pub fn stop_smtp(&mut self) {
        kill(self.smtp.take());
        self.wait_free(&[self.smtp_port]);
    }

    /// Starts aiosmtpd again on the same port (after `stop_smtp`).
    pub fn start_smtp(&mut self) {
        assert!(self.smtp.is_none(), "start_smtp: aiosmtpd is running");
        self.wait_free(&[self.smtp_port]);
        let started = self.spawn_smtp().map(|c| self.smtp = Some(c));
        if let Err(e) = started.and_then(|()| self.wait_listening(&[self.smtp_port], false)) {
            panic!("{e}");
        }
    }

    /// Sets a folder's UIDVALIDITY (`doveadm mailbox update --uid-validity`), as a server does
    /// when it rebuilds a mailbox. Works whether Dovecot is running or not.
    pub fn set_uidvalidity(&self, user: &str, folder: &str, value: u32) {
        let (login, _) = self.user(user);
        let mut cmd = Command::new(sbin("doveadm"));
        cmd.arg("-c")
            .arg(self.conf())
            .args(["mailbox", "update", "-u", &login, "--uid-validity"]);
        cmd.arg(value.to_string()).arg(folder);
        if let Err(e) = run_checked(&mut cmd) {
            panic!("set_uidvalidity: {e}\n{}", self.logs());
        }
    }

    /// A referral-intake configuration for this environment: the SPEC §9 contract keys with
    /// both inboxes on this Dovecot over plain IMAP on loopback (password files in the temp
    /// dir), SMTP to the sink, region team/review addresses at example.test, and short IMAP and
    /// retry timings so outage tests finish quickly.
    pub fn config_toml(&self, store_url: &str) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default(); // a JSON string is a TOML basic string
        let secret = |login: &str| {
            let path = self
                .dir
                .path()
                .join("secrets")
                .join(format!("{}.password", local(login)));
            q(&path.to_string_lossy())
        };
        let inbox = |region: &str, address: &str| {
            let login = format!("{region}@example.test");
            format!(
                "[[inbox]]\nregion = \"{region}\"\naddress = \"{address}\"\nhost = \"127.0.0.1\"\n\
                 port = {}\ntls = \"none\"\nusername = \"{login}\"\npassword_file = {}\n\
                 folder = \"INBOX\"\n\n",
                self.imap_port,
                secret(&login)
            )
        };
        let region = |r: &str| {
            format!(
                "[regions.{r}]\nteam_address = \"{r}-team@example.test\"\nreview_address = \"{r}-review@example.test\"\n\n"
            )
        };
        format!(
            "# Written by tests/it/support/mailenv.rs for one test's private mail servers.\n\
             [store]\nurl = {}\n\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\ntimeout_secs = 5\n\
             retry_base_secs = 1\nretry_max_secs = 2\n\n{}{}{}{}\
             [imap]\nidle_secs = 30\npoll_secs = 2\ncommand_timeout_secs = 10\nreconnect_max_secs = 2\n\n\
             [daemon]\nshutdown_grace_secs = 5\n\n\
             [http]\nlisten = \"\"\n",
            q(store_url),
            self.smtp_port,
            inbox("ncal", "REGMCDURNS-KPNC@kp.org"),
            inbox("scal", "RegCareCoordCaseMgmt@kp.org"),
            region("ncal"),
            region("scal"),
        )
    }

    /// Process ids of the Dovecot master and the SMTP server (for benchmarks that account their
    /// CPU).
    pub fn server_pids(&self) -> (Option<u32>, Option<u32>) {
        (
            self.dovecot.as_ref().map(Child::id),
            self.smtp.as_ref().map(Child::id),
        )
    }

    /// OAuth mode: the sink's AUTH XOAUTH2 outcomes so far, `(user, accepted)` in order.
    pub fn smtp_auths(&self) -> Vec<(String, bool)> {
        fs::read_to_string(self.dir.path().join("aiosmtpd.auth.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace().skip(1);
                let user = it.next()?.strip_prefix("user=")?.to_string();
                let ok = it.next()? == "ok=True";
                Some((user, ok))
            })
            .collect()
    }

    /// Dovecot's log so far (logins are logged with `method=XOAUTH2`).
    pub fn dovecot_log(&self) -> String {
        fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The tails of Dovecot's and aiosmtpd's logs, for failure messages.
    pub fn logs(&self) -> String {
        ["dovecot.log", "dovecot.stderr", "aiosmtpd.log"]
            .iter()
            .map(|f| {
                let text = fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
                let start = text.len().saturating_sub(4000);
                let tail = text.get(start..).unwrap_or(&text);
                format!("--- {f}\n{tail}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    fn maildir(&self, login: &str) -> PathBuf {
        self.dir.path().join("mail").join(login).join("Maildir")
    }

    fn spawn_dovecot(&self) -> Result<Child, String> {
        let mut cmd = Command::new(sbin("dovecot"));
        cmd.arg("-F").arg("-c").arg(self.conf());
        // Its own process group, so `stop_imap` can kill the `imap` processes serving sessions
        // already open too: they outlive a killed master, and a client would see no outage.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        self.spawn(cmd, "dovecot.stderr")
    }

    fn spawn_smtp(&self) -> Result<Child, String> {
        let tls = self.dir.path().join("tls");
        let mut cmd = Command::new("sh");
        // umask 022: as root the sink's files must stay readable by Dovecot's mail user.
        cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\""]).arg(python());
        cmd.args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{}", self.smtp_port),
        ]);
        cmd.arg("--tlscert")
            .arg(tls.join("server.pem"))
            .arg("--tlskey")
            .arg(tls.join("server.key"));
        // aiosmtpd's Mailbox handler, plus an answer the test can switch (`smtp_reply`).
        fs::write(self.dir.path().join("mailenv_sink.py"), SINK_HANDLER)
            .map_err(|e| format!("write mailenv_sink.py: {e}"))?;
        cmd.env("PYTHONPATH", self.dir.path())
            .env("MAILENV_SMTP_REPLY", self.dir.path().join("smtp-reply"));
        if let Some(url) = &self.oauth {
            // aiosmtpd's command line cannot require AUTH: the sink runs its own server loop.
            fs::write(self.dir.path().join("mailenv_xoauth2.py"), SINK_XOAUTH2)
                .map_err(|e| format!("write mailenv_xoauth2.py: {e}"))?;
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\""]).arg(python());
            cmd.arg(self.dir.path().join("mailenv_xoauth2.py"))
                .arg(self.smtp_port.to_string())
                .arg(self.maildir(SINK))
                .arg(url)
                .arg(self.dir.path().join("aiosmtpd.auth.log"))
                .env("PYTHONPATH", self.dir.path())
                .env("MAILENV_SMTP_REPLY", self.dir.path().join("smtp-reply"));
            return self.spawn(cmd, "aiosmtpd.log");
        }
        cmd.args(["--no-requiretls", "-c", "mailenv_sink.Sink"])
            .arg(self.maildir(SINK));
        self.spawn(cmd, "aiosmtpd.log")
    }

    fn spawn(&self, mut cmd: Command, log: &str) -> Result<Child, String> {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(log))
            .map_err(|e| format!("open {log}: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("{log}: {e}"))?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        cmd.spawn().map_err(|e| format!("cannot start {cmd:?}: {e}"))
    }

    /// Waits until every port accepts connections, failing early if the server exits.
    fn wait_listening(&mut self, ports: &[u16], dovecot: bool) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        for &port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                let child = if dovecot {
                    self.dovecot.as_mut()
                } else {
                    self.smtp.as_mut()
                };
                let name = if dovecot { "Dovecot" } else { "aiosmtpd" };
                if let Some(status) = child.and_then(|c| c.try_wait().ok().flatten()) {
                    return Err(format!(
                        "{name} exited ({status}) before listening on {port}\n{}",
                        self.logs()
                    ));
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "{name} not listening on {port} after {READY_TIMEOUT:?}\n{}",
                        self.logs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        Ok(())
    }

    /// Waits until nothing listens on the ports (a killed master's children may linger briefly).
    fn wait_free(&self, ports: &[u16]) {
        let deadline = Instant::now() + READY_TIMEOUT;
        for &port in ports {
            while TcpListener::bind(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "port {port} still in use after {READY_TIMEOUT:?}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Runs IMAP work on its own thread and runtime (callable from inside another runtime),
    /// bounded by a timeout; panics with the error and the servers' logs.
    fn imap<T, F, Fut>(&self, what: &str, make: F) -> T
    where
        T: Send,
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let joined = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    rt.block_on(async {
                        tokio::time::timeout(IMAP_TIMEOUT, make())
                            .await
                            .map_err(|_| anyhow!("timed out after {IMAP_TIMEOUT:?}"))?
                    })
                })
                .join()
        });
        match joined {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("{what}: {e:#}\n{}", self.logs()),
            Err(p) => std::panic::resume_unwind(p),
        }
    }
}

/// aiosmtpd's Mailbox handler that answers DATA with the text of the file named by
/// `$MAILENV_SMTP_REPLY` when it holds one (a 4xx/5xx outage), and stores the message otherwise.
const SINK_HANDLER: &str = r#"
import os
from aiosmtpd.handlers import Mailbox


class Sink(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        try:
            with open(os.environ["MAILENV_SMTP_REPLY"]) as f:
                reply = f.read().strip()
        except OSError:
            reply = ""
        if reply:
            return reply
        return await super().handle_DATA(server, session, envelope)
"#;

/// OAuth mode's sink: the `Sink` handler above behind an SMTP server that requires AUTH XOAUTH2
/// and checks each bearer token at the introspection URL (`{"active": true}` = good). One line
/// per AUTH goes to the auth log: `<epoch> user=<user> ok=<True|False>` (never the token).
const SINK_XOAUTH2: &str = r#"
import asyncio, base64, json, signal, sys, time, urllib.parse, urllib.request
from aiosmtpd.smtp import SMTP, AuthResult
from mailenv_sink import Sink

port, maildir, url, auth_log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def token_ok(token):
    data = urllib.parse.urlencode({"token": token}).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=5) as r:
            return bool(json.loads(r.read() or b"{}").get("active"))
    except (OSError, ValueError):
        return False


class OAuthSink(Sink):
    async def auth_XOAUTH2(self, server, args):
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        try:
            raw = base64.b64decode(args[1], validate=True).decode("utf-8", "replace")
        except ValueError:
            return AuthResult(success=False, handled=False)
        parts = dict(p.split("=", 1) for p in raw.split("\x01") if "=" in p)
        bearer = parts.get("auth", "")
        token = bearer[7:] if bearer.lower().startswith("bearer ") else ""
        ok = bool(token) and await asyncio.get_running_loop().run_in_executor(None, token_ok, token)
        with open(auth_log, "a") as f:
            f.write(f"{time.time():.3f} user={parts.get('user', '-')} ok={ok}\n")
        return AuthResult(success=ok, handled=False, auth_data=parts.get("user"))


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
server = loop.run_until_complete(loop.create_server(
    lambda: SMTP(OAuthSink(maildir), hostname="sink.example.test", auth_required=True,
                 auth_require_tls=False, auth_exclude_mechanism=["PLAIN", "LOGIN"]),
    "127.0.0.1", port))
for sig in (signal.SIGTERM, signal.SIGINT):
    loop.add_signal_handler(sig, loop.stop)
loop.run_forever()
"#;

impl Drop for MailEnv {
    fn drop(&mut self) {
        kill_group(self.dovecot.take());
        kill(self.smtp.take());
    }
}

/// Logs in over plain IMAP on loopback (reading the greeting first, as async-imap requires).
pub async fn login_plain(port: u16, login: &str, password: &str) -> anyhow::Result<ImapSession> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .context("connect to IMAP")?;
    let mut client = async_imap::Client::new(tcp);
    client
        .read_response()
        .await?
        .ok_or_else(|| anyhow!("no IMAP greeting"))?;
    client
        .login(login, password)
        .await
        .map_err(|(e, _)| anyhow!(e).context("LOGIN"))
}

/// SIGKILLs a child started as the leader of its own process group, and the whole group.
fn kill_group(child: Option<Child>) {
    if let Some(c) = &child {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", c.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    kill(child);
}

fn kill(child: Option<Child>) {
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// `ncal` from `ncal@example.test`.
fn local(login: &str) -> &str {
    login.split('@').next().unwrap_or(login)
}

/// `(X-MailFrom, X-RcptTo)` from a sunk message's header block. aiosmtpd appends them, so the
/// last occurrence wins over any the sender may have put in.
fn envelope(raw: &[u8]) -> (String, Vec<String>) {
    let text = String::from_utf8_lossy(raw);
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        match lines.last_mut() {
            Some(prev) if line.starts_with([' ', '\t']) => prev.push_str(line),
            _ => lines.push(line.to_string()),
        }
    }
    let header = |name: &str| {
        lines
            .iter()
            .rev()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let rcpt = header("X-RcptTo");
    let rcpt = rcpt
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    (header("X-MailFrom"), rcpt.collect())
}

#[cfg(test)]
mod tests {
    use super::envelope;

    #[test]
    fn envelope_takes_aiosmtpd_headers_unfolded_and_last() {
        let raw = b"X-RcptTo: forged@example.test\r\nSubject: hi\r\nX-MailFrom: bot@example.test\r\n\
                    X-RcptTo: a@example.test,\r\n b@example.test\r\n\r\nX-RcptTo: body@example.test\r\n";
        let (from, rcpt) = envelope(raw);
        assert_eq!(from, "bot@example.test");
        assert_eq!(rcpt, ["a@example.test", "b@example.test"]);
        assert_eq!(envelope(b"Subject: none\n\nbody"), (String::new(), Vec::new()));
    }
}
