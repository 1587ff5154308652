//! The outbox sender against real SMTP servers: aiosmtpd as a delivering sink, and tiny
//! in-process servers that refuse recipients with scripted replies.
//!
//! aiosmtpd runs from the interpreter in `AIOSMTPD_PYTHON`, else `.venv-test/bin/python`, else
//! `python3` (`python3 -m venv V && V/bin/pip install aiosmtpd` makes one).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lettre::Message;
use referral_intake::config::{Config, Secret, SmtpConfig, TlsMode};
use referral_intake::sender::Sender;
use referral_intake::store::{NewMessage, NewOutbox, OutboxStatus, Store, now_ms};
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::support::root;

/// The interpreter that runs aiosmtpd.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("AIOSMTPD_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = root().join(".venv-test/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// An aiosmtpd process delivering everything into one Maildir; killed on drop.
struct Aiosmtpd {
    child: Child,
}

impl Aiosmtpd {
    fn start(port: u16, maildir: &Path) -> Aiosmtpd {
        let py = python();
        let child = Command::new(&py)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} -m aiosmtpd ({e}); set AIOSMTPD_PYTHON",
                    py.display()
                )
            });
        let mut server = Aiosmtpd { child };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}) before listening; is it installed for {}? set AIOSMTPD_PYTHON",
                    py.display()
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen within 15 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        tls: TlsMode::None,
        username: None,
        secret: Secret::default(),
        ca_file: None,
        timeout_secs: 5,
        max_attempts: 3,
        retry_base_secs: 30,
        retry_max_secs: 3600,
        concurrency: 4,
        auth: referral_intake::config::AuthMethod::Login,
        oauth: None,
    }
}

async fn temp_store(dir: &Path) -> Store {
    Store::open(&format!("sqlite://{}", dir.join("outbox.db").display()))
        .await
        .expect("store")
}

fn eml(to: &str, subject: &str, body: &str) -> Vec<u8> {
    Message::builder()
        .from("Intake Bot <intake@example.test>".parse().expect("from"))
        .to(to.parse().expect("to"))
        .subject(subject)
        .message_id(None)
        .body(body.to_string())
        .expect("message")
        .formatted()
}

/// Queues emails as `(kind, recipient, subject, body)` through the real commit path.
async fn queue(store: &Store, tag: &str, mails: &[(&str, &str, &str, &str)]) -> Vec<String> {
    let outbox: Vec<NewOutbox> = mails
        .iter()
        .enumerate()
        .map(|(i, (kind, to, subject, body))| NewOutbox {
            kind: kind.parse().expect("kind"),
            recipient: (*to).into(),
            reference: format!("TEST-{tag}-{i}"),
            eml: eml(to, subject, body),
            status: OutboxStatus::Pending,
        })
        .collect();
    let hash = format!("hash-{tag}");
    let msg = NewMessage {
        content_hash: &hash,
        mailbox: "replay",
        uidvalidity: None,
        uid: None,
        rfc_message_id: None,
        inbox_region: "ncal",
        disposition: referral_intake::model::Disposition::Review,
        programs_json: "[]".into(),
        reasons_json: "[]".into(),
        summary_json: "{}".into(),
        raw: b"Subject: test\r\n\r\ntest\r\n",
        imap: None,
        events: Vec::new(),
        suppressions: Vec::new(),
    };
    store
        .commit_message(msg, Vec::new(), outbox)
        .await
        .expect("commit")
        .outbox_ids
}

/// `(status, attempts, next_attempt_ms, last_error)` of an outbox row.
async fn row(store: &Store, id: &str) -> (String, i64, i64, Option<String>) {
    let r = sqlx::query("SELECT status, attempts, next_attempt_ms, last_error FROM outbox WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .expect("row");
    (r.get(0), r.get(1), r.get(2), r.get(3))
}

/// The messages aiosmtpd delivered, as text.
fn delivered(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).expect("read mail")).into_owned())
        .collect();
    v.sort();
    v
}

fn cfg() -> Arc<Config> {
    Config::builtin().expect("built-in config")
}

#[tokio::test]
async fn delivers_queued_rows_to_a_real_server_and_marks_them_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("Maildir");
    let port = free_port();
    let _server = Aiosmtpd::start(port, &maildir);
    let store = temp_store(dir.path()).await;
    let ids = queue(
        &store,
        "deliver",
        &[
            (
                "ack",
                "jane.sample@example.test",
                "Referral received: TEST-1",
                "Thank you, Jane Sample.",
            ),
            (
                "redirect",
                "testy@example.test",
                "Please resend: TEST-2",
                "Wrong inbox, Testy McTestface.",
            ),
        ],
    )
    .await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    assert_eq!(sender.send_due_once().await.expect("send"), 2);

    let mails = delivered(&maildir);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let ack = mails
        .iter()
        .find(|m| m.contains("Subject: Referral received: TEST-1"))
        .expect("ack");
    assert!(ack.contains("Thank you, Jane Sample."), "{ack}");
    assert!(ack.contains("X-MailFrom: intake@example.test"), "{ack}");
    assert!(ack.contains("X-RcptTo: jane.sample@example.test"), "{ack}");
    let redirect = mails
        .iter()
        .find(|m| m.contains("Subject: Please resend: TEST-2"))
        .expect("redirect");
    assert!(redirect.contains("Wrong inbox, Testy McTestface."), "{redirect}");
    assert!(redirect.contains("X-RcptTo: testy@example.test"), "{redirect}");
    for id in &ids {
        let (status, attempts, _, err) = row(&store, id).await;
        assert_eq!((status.as_str(), attempts, err), ("sent", 1, None));
    }
    // Nothing is due any more: a second pass sends nothing and delivers no duplicate.
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    assert_eq!(delivered(&maildir).len(), 2);
}

#[tokio::test]
async fn server_down_keeps_rows_pending_then_delivers_when_it_is_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("Maildir");
    let port = free_port();
    let store = temp_store(dir.path()).await;
    let ids = queue(
        &store,
        "down",
        &[
            ("ack", "jane.sample@example.test", "Ack A", "Body A"),
            ("ack", "jane.sample@example.test", "Ack B", "Body B"),
        ],
    )
    .await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    let before = now_ms();
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    for id in &ids {
        let (status, attempts, next, err) = row(&store, id).await;
        assert_eq!((status.as_str(), attempts), ("pending", 1));
        // First retry: retry_base_secs (30 s) with ±20% jitter.
        assert!(
            next >= before + 24_000 && next <= now_ms() + 36_000,
            "next {next}"
        );
        assert!(err.is_some_and(|e| !e.is_empty()));
    }
    assert_eq!(
        store.next_due_ms().await.expect("next due").map(|t| t > before),
        Some(true)
    );
    // Not due yet: nothing is attempted.
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    assert_eq!(row(&store, &ids[0]).await.1, 1);

    let _server = Aiosmtpd::start(port, &maildir);
    sqlx::query("UPDATE outbox SET next_attempt_ms = $1")
        .bind(now_ms())
        .execute(store.pool())
        .await
        .expect("make due");
    assert_eq!(sender.send_due_once().await.expect("send"), 2);
    let mails = delivered(&maildir);
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Subject: Ack A") && m.contains("Body A"))
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Subject: Ack B") && m.contains("Body B"))
    );
    for id in &ids {
        let (status, attempts, _, _) = row(&store, id).await;
        assert_eq!((status.as_str(), attempts), ("sent", 2));
    }
    assert_eq!(store.next_due_ms().await.expect("next due"), None);
}

/// A minimal SMTP server: replies `rcpt_reply` to every RCPT TO, accepts everything else, and
/// counts the messages it received. Returns its port.
async fn scripted_server(rcpt_reply: &'static str, received: Arc<AtomicUsize>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 scripted.test ESMTP\r\n").await.ok()?;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            received.fetch_add(1, Ordering::SeqCst);
                            w.write_all(b"250 2.0.0 queued\r\n").await.ok()?;
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or(&line).to_ascii_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 scripted.test\r\n",
                        "RCPT" => rcpt_reply,
                        "DATA" => {
                            in_data = true;
                            "354 go ahead\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.ok()?;
                            break;
                        }
                        _ => "250 2.0.0 ok\r\n",
                    };
                    w.write_all(reply.as_bytes()).await.ok()?;
                }
                Some(())
            });
        }
    });
    port
}

#[tokio::test]
async fn permanent_refusal_fails_at_once_with_the_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(AtomicUsize::new(0));
    let port = scripted_server("550 5.1.1 no such user\r\n", received.clone()).await;
    let store = temp_store(dir.path()).await;
    let ids = queue(&store, "550", &[("ack", "nobody@example.test", "Ack", "Body")]).await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    let (status, attempts, _, err) = row(&store, &ids[0]).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    let err = err.expect("last_error");
    assert!(err.contains("550") && err.contains("5.1.1"), "{err}");
    assert_eq!(received.load(Ordering::SeqCst), 0);
    assert_eq!(store.next_due_ms().await.expect("next due"), None);
}

#[tokio::test]
async fn temporary_refusal_is_retried_later_and_given_up_after_max_attempts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(AtomicUsize::new(0));
    let port = scripted_server("451 4.3.0 try later\r\n", received.clone()).await;
    let store = temp_store(dir.path()).await;
    let ids = queue(
        &store,
        "451",
        &[("ack", "jane.sample@example.test", "Ack", "Body")],
    )
    .await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    let before = now_ms();
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    let (status, attempts, next, err) = row(&store, &ids[0]).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(next >= before + 24_000, "retry too soon: {next}");
    let err = err.expect("last_error");
    assert!(err.contains("451") && err.contains("4.3.0"), "{err}");

    // Attempts 2 and 3 (max_attempts = 3): the third failure gives up.
    for expected in [("pending", 2), ("failed", 3)] {
        sqlx::query("UPDATE outbox SET next_attempt_ms = $1")
            .bind(now_ms())
            .execute(store.pool())
            .await
            .expect("make due");
        assert_eq!(sender.send_due_once().await.expect("send"), 0);
        let (status, attempts, _, _) = row(&store, &ids[0]).await;
        assert_eq!((status.as_str(), attempts), expected);
    }
    assert_eq!(received.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn forward_to_an_address_off_the_allow_list_is_refused_without_sending() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(AtomicUsize::new(0));
    let port = scripted_server("250 2.1.5 ok\r\n", received.clone()).await;
    let store = temp_store(dir.path()).await;
    let ids = queue(
        &store,
        "fwd",
        &[("forward", "outsider@example.test", "Fwd", "Documents")],
    )
    .await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    assert_eq!(sender.send_due_once().await.expect("send"), 0);
    let (status, attempts, _, err) = row(&store, &ids[0]).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!(err.is_some_and(|e| e.contains("allow-list")));
    assert_eq!(received.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn run_sends_on_wake_and_stops_on_shutdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(AtomicUsize::new(0));
    let port = scripted_server("250 2.1.5 ok\r\n", received.clone()).await;
    let store = temp_store(dir.path()).await;
    let sender = Sender::with_smtp(store.clone(), cfg(), smtp(port)).expect("sender");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let wake = Arc::new(tokio::sync::Notify::new());
    let task = tokio::spawn(sender.run(shutdown.clone(), wake.clone()));

    // Queued while the sender idles (it would otherwise sleep a minute): the wake sends it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ids = queue(
        &store,
        "run",
        &[("ack", "jane.sample@example.test", "Ack", "Body")],
    )
    .await;
    wake.notify_one();
    let deadline = Instant::now() + Duration::from_secs(10);
    while row(&store, &ids[0]).await.0 != "sent" {
        assert!(Instant::now() < deadline, "not sent within 10 s of the wake");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(received.load(Ordering::SeqCst), 1);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("run returns promptly on shutdown")
        .expect("run task");
}
