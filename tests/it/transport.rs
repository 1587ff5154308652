//! Transport security against MailEnv's real servers, whose certificate is signed by a private
//! test CA: without that CA (`ca_file`) the certificate is refused, with it the same connection
//! works (so the refusal is the verification, nothing else); plaintext to a host that is not
//! loopback is refused before any connection, from the library and from `check-config`/`run`.

use std::sync::Arc;
use std::time::Duration;

use referral_intake::config::{Config, InboxConfig, TlsMode};
use referral_intake::oauth::TokenSources;
use referral_intake::sender::Sender;
use referral_intake::source::connect::connect;
use referral_intake::store::{NewMessage, NewOutbox, OutboxStatus, Store};
use sqlx::Row;

use crate::support::mailenv::MailEnv;
use crate::support::run;

fn setup(env: &MailEnv, dir: &std::path::Path) -> Arc<Config> {
    let url = format!("sqlite://{}", dir.join("store.db").display());
    let path = dir.join("referral-intake.toml");
    std::fs::write(&path, env.config_toml(&url)).expect("config");
    Config::load(&path).unwrap_or_else(|e| panic!("config: {e}"))
}

fn ncal(cfg: &Config) -> InboxConfig {
    cfg.main.inboxes.first().cloned().expect("ncal inbox")
}

fn err_text<T, E: Into<anyhow::Error>>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => String::new(),
        Err(e) => format!("{:#}", e.into()),
    }
}

#[test]
fn imap_tls_without_the_ca_is_refused_with_a_certificate_error() {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = setup(&env, dir.path());
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let t = Duration::from_secs(5);

    for (mode, port) in [(TlsMode::Tls, env.imaps_port), (TlsMode::Starttls, env.imap_port)] {
        let mut inbox = ncal(&cfg);
        inbox.host = Some("localhost".into());
        inbox.tls = mode;
        inbox.port = port;
        inbox.ca_file = None;
        let err = err_text(rt.block_on(connect(&inbox, &TokenSources::default(), t)));
        assert!(
            err.to_ascii_lowercase().contains("certificate"),
            "{mode:?}: refused for its certificate: {err:?}"
        );
        inbox.ca_file = Some(env.ca_pem.clone());
        let ok = rt.block_on(connect(&inbox, &TokenSources::default(), t));
        assert!(ok.is_ok(), "{mode:?} with the test CA connects: {}", err_text(ok));
    }
}

#[test]
fn smtp_starttls_without_the_ca_is_refused_with_a_certificate_error() {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = setup(&env, dir.path());
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let store = Store::open(&cfg.main.store.url).await.expect("store");
        let eml = b"From: Intake <regmcdurns-kpnc@kp.org>\r\nTo: jane@example.test\r\nSubject: t\r\n\
                    Message-ID: <t@referral-intake.invalid>\r\n\r\nbody\r\n"
            .to_vec();
        let msg = NewMessage {
            content_hash: "transport-test",
            mailbox: "replay",
            uidvalidity: None,
            uid: None,
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: referral_intake::model::Disposition::Review,
            programs_json: "[]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw: b"Subject: t\r\n\r\nt\r\n",
            imap: None,
            events: Vec::new(),
            suppressions: Vec::new(),
        };
        let outbox = vec![NewOutbox {
            kind: referral_intake::model::EmailKind::Ack,
            recipient: "jane@example.test".into(),
            reference: "T-1".into(),
            eml,
            status: OutboxStatus::Pending,
        }];
        let ids = store
            .commit_message(msg, Vec::new(), outbox)
            .await
            .expect("commit")
            .outbox_ids;
        let id = ids.first().expect("one row").clone();

        let mut smtp = cfg.main.smtp.clone().expect("smtp");
        smtp.host = "localhost".into();
        smtp.tls = TlsMode::Starttls;
        smtp.ca_file = None;
        let sender = Sender::with_smtp(store.clone(), cfg.clone(), smtp.clone()).expect("sender");
        assert_eq!(sender.send_due_once().await.expect("round"), 0, "not sent");
        let row = sqlx::query("SELECT status, last_error FROM outbox WHERE id = $1")
            .bind(id.clone())
            .fetch_one(store.pool())
            .await
            .expect("row");
        let (status, error): (String, Option<String>) = (row.get(0), row.get(1));
        assert_eq!(status, "pending", "a TLS failure is retried, not lost");
        let error = error.unwrap_or_default().to_ascii_lowercase();
        assert!(
            error.contains("certificate"),
            "refused for its certificate: {error:?}"
        );
        assert!(env.sink().is_empty(), "nothing reached the server");

        // The same server with the test CA trusted: delivered.
        sqlx::query("UPDATE outbox SET next_attempt_ms = 0 WHERE id = $1")
            .bind(id)
            .execute(store.pool())
            .await
            .expect("due now");
        smtp.ca_file = Some(env.ca_pem.clone());
        let sender = Sender::with_smtp(store.clone(), cfg.clone(), smtp).expect("sender");
        assert_eq!(
            sender.send_due_once().await.expect("round"),
            1,
            "sent with the CA"
        );
    });
    assert_eq!(env.sink().len(), 1);
}

/// `tls = "none"` to a host that is not loopback: refused by the IMAP connector and the SMTP
/// sender before any connection, and by `run` at start-up and `check-config` alike.
#[test]
fn plaintext_to_a_remote_host_is_refused() {
    let env = MailEnv::start();
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = setup(&env, dir.path());
    let rt = tokio::runtime::Runtime::new().expect("rt");

    let mut inbox = ncal(&cfg);
    inbox.host = Some("imap.example.org".into());
    inbox.tls = TlsMode::None;
    let err = err_text(rt.block_on(connect(&inbox, &TokenSources::default(), Duration::from_secs(5))));
    assert!(err.contains("plaintext IMAP"), "{err}");

    let mut smtp = cfg.main.smtp.clone().expect("smtp");
    smtp.host = "smtp.example.org".into();
    smtp.tls = TlsMode::None;
    let store = rt.block_on(Store::open(&cfg.main.store.url)).expect("store");
    let err = err_text(Sender::with_smtp(store, cfg.clone(), smtp));
    assert!(err.contains("plaintext SMTP"), "{err}");

    // The daemon refuses to start with such a config (exit 1, a clear message), and
    // `check-config` refuses it with the same words (issue #9: it answered "ok": true).
    let smtp_remote = env.config_toml(&cfg.main.store.url).replacen(
        "[smtp]\nhost = \"127.0.0.1\"",
        "[smtp]\nhost = \"smtp.example.org\"",
        1,
    );
    let imap_remote = env.config_toml(&cfg.main.store.url).replacen(
        "address = \"REGMCDURNS-KPNC@kp.org\"\nhost = \"127.0.0.1\"",
        "address = \"REGMCDURNS-KPNC@kp.org\"\nhost = \"imap.example.org\"",
        1,
    );
    for (name, text, want) in [
        ("remote-plain-smtp.toml", smtp_remote, "plaintext SMTP"),
        ("remote-plain-imap.toml", imap_remote, "plaintext IMAP"),
    ] {
        // (A config left unchanged would start the daemon and never return.)
        assert_ne!(text, env.config_toml(&cfg.main.store.url), "{name}");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("config");
        let path = path.to_str().expect("utf8");
        let out = run(&["--config", path, "run"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        let refused = |s: &str| {
            s.lines()
                .find(|l| l.contains(want))
                .map(|l| l.trim_start_matches("error: ").to_string())
        };
        let by_run = refused(&stderr).unwrap_or_else(|| panic!("{name}: run names {want}: {stderr}"));
        let out = run(&["check-config", "--config", path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(refused(&stderr), Some(by_run), "{name}: the same message");
        assert!(out.stdout.is_empty(), "{name}: no ok report");
    }
}
