//! Proves the mail harness (`support::mailenv`): each test starts its own Dovecot + aiosmtpd and
//! checks one promise other integration tests rely on.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls;

use crate::support::mailenv::MailEnv;

fn eml(subject: &str) -> Vec<u8> {
    format!(
        "From: Jane Sample <jane.sample@example.test>\r\nTo: REGMCDURNS-KPNC@kp.org\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@example.test>\r\n\r\nReferral for Testy McTestface.\r\n"
    )
    .into_bytes()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn send(
    port: u16,
    ca: Option<&Path>,
    to: &[&str],
    subject: &str,
) -> Result<(), lettre::transport::smtp::Error> {
    let mut b = Message::builder()
        .from("Testy McTestface <testy@example.test>".parse().expect("from"))
        .subject(subject)
        .message_id(None);
    for t in to {
        b = b.to(t.parse().expect("to"));
    }
    let msg = b
        .body("Synthetic test message.\r\n".to_string())
        .expect("message");
    let mut mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(5)));
    if let Some(ca) = ca {
        let cert = Certificate::from_pem(&std::fs::read(ca).expect("ca")).expect("ca pem");
        let params = TlsParameters::builder("localhost".into())
            .add_root_certificate(cert)
            .build_rustls()
            .expect("tls params");
        mailer = mailer.tls(Tls::Required(params));
    }
    mailer.build().send(msg).await.map(|_| ())
}

fn subjects(list: &[(u32, Vec<u8>)]) -> Vec<String> {
    list.iter()
        .map(|(_, raw)| {
            let m = mail_parser::MessageParser::default().parse(raw).expect("parse");
            m.subject().unwrap_or_default().to_string()
        })
        .collect()
}

#[test]
fn append_list_and_folders() {
    let env = MailEnv::start();
    env.append("ncal", "INBOX", &eml("first"));
    env.append("ncal@example.test", "INBOX", &eml("second"));
    env.append("ncal", "Referrals/Accepted", &eml("filed"));
    env.append("ncal", "Referrals/Accepted", &eml("filed-again")); // folder exists now

    let inbox = env.list("ncal", "INBOX");
    assert_eq!(inbox.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(
        inbox.first().map(|(_, raw)| raw.clone()),
        Some(eml("first")),
        "bytes as appended"
    );
    assert_eq!(
        subjects(&env.list("ncal", "Referrals/Accepted")),
        ["filed", "filed-again"]
    );
    assert!(env.list("scal", "INBOX").is_empty(), "users are separate");
    assert!(env.list("ncal", "No such folder").is_empty());

    let folders = env.folders("ncal");
    assert!(folders.contains(&"INBOX".to_string()), "{folders:?}");
    assert!(folders.contains(&"Referrals/Accepted".to_string()), "{folders:?}");
    assert_eq!(
        env.user("scal"),
        ("scal@example.test".to_string(), "secret".to_string())
    );
}

#[test]
fn maildir_drop_is_seen_over_imap() {
    let env = MailEnv::start();
    env.append("scal", "INBOX", &eml("appended"));
    env.drop_into_maildir("scal", &eml("dropped"));
    env.drop_into_maildir("scal", &eml("dropped-too"));
    let got = env.list("scal", "INBOX");
    assert_eq!(subjects(&got), ["appended", "dropped", "dropped-too"]);
    assert_eq!(got.last().map(|(_, raw)| raw.clone()), Some(eml("dropped-too")));
}

#[test]
fn lettre_plain_and_starttls_reach_the_sink() {
    let env = MailEnv::start();
    assert!(env.sink().is_empty());
    rt().block_on(async {
        send(
            env.smtp_port,
            None,
            &["ncal-team@example.test", "jane.sample@example.test"],
            "plain",
        )
        .await
        .expect("plain send");
        send(
            env.smtp_port,
            Some(&env.ca_pem),
            &["scal-review@example.test"],
            "starttls",
        )
        .await
        .expect("STARTTLS send with the test CA");
    });
    let sunk = env.wait_sink(2, Duration::from_secs(5));
    assert_eq!(sunk.len(), 2);
    let plain = sunk
        .iter()
        .find(|m| String::from_utf8_lossy(&m.raw).contains("Subject: plain"));
    let plain = plain.expect("plain message");
    assert_eq!(
        plain.rcpt_to,
        ["ncal-team@example.test", "jane.sample@example.test"]
    );
    assert_eq!(plain.mail_from, "testy@example.test");
    let tls = sunk.iter().find(|m| m.rcpt_to == ["scal-review@example.test"]);
    assert!(tls.is_some_and(|m| String::from_utf8_lossy(&m.raw).contains("Subject: starttls")));
    // The sink is a real mailbox too: readable over IMAP, and still on disk afterwards.
    assert_eq!(env.list("sink", "INBOX").len(), 2);
    assert_eq!(
        env.sink().len(),
        2,
        "IMAP moving new/ to cur/ keeps the sink complete"
    );
}

#[test]
fn imap_restart_keeps_mail_and_uids() {
    let mut env = MailEnv::start();
    env.append("ncal", "INBOX", &eml("one"));
    env.append("ncal", "INBOX", &eml("two"));
    let before = env.list("ncal", "INBOX");
    let validity = env.uid_validity("ncal", "INBOX");

    env.stop_imap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", env.imap_port)).is_err(),
        "IMAP is down"
    );
    env.start_imap();

    assert_eq!(env.list("ncal", "INBOX"), before);
    assert_eq!(env.uid_validity("ncal", "INBOX"), validity);
    env.append("ncal", "INBOX", &eml("three"));
    assert_eq!(
        env.list("ncal", "INBOX").last().map(|(u, _)| *u),
        Some(3),
        "UIDs continue"
    );
}

#[test]
fn smtp_restart_refuses_then_accepts() {
    let mut env = MailEnv::start();
    env.stop_smtp();
    let rt = rt();
    let down = rt.block_on(send(env.smtp_port, None, &["ncal-team@example.test"], "lost"));
    assert!(down.is_err(), "send must fail while the sink is down");
    env.start_smtp();
    rt.block_on(send(env.smtp_port, None, &["ncal-team@example.test"], "after"))
        .expect("send after restart");
    let sunk = env.wait_sink(1, Duration::from_secs(5));
    assert_eq!(sunk.len(), 1);
    assert!(String::from_utf8_lossy(&sunk.first().expect("one").raw).contains("Subject: after"));
}

#[test]
fn uidvalidity_change_is_visible_in_select() {
    let env = MailEnv::start();
    env.append("scal", "Referrals/Review", &eml("x"));
    let old = env.uid_validity("scal", "Referrals/Review");
    assert_ne!(old, 12345);
    env.set_uidvalidity("scal", "Referrals/Review", 12345);
    assert_eq!(env.uid_validity("scal", "Referrals/Review"), 12345);
    assert_ne!(
        env.uid_validity("scal", "INBOX"),
        12345,
        "only that folder changes"
    );
}

fn tls_config(ca: Option<&Path>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca) = ca {
        for c in CertificateDer::pem_file_iter(ca).expect("ca file") {
            roots.add(c.expect("ca cert")).expect("add root");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}

/// IMAPS login + SELECT trusting only `ca`; returns the INBOX message count.
async fn imaps_count(port: u16, ca: Option<&Path>, name: &str) -> anyhow::Result<u32> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let server = ServerName::try_from(name.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(tls_config(ca))
        .connect(server, tcp)
        .await?;
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await?
        .ok_or_else(|| anyhow::anyhow!("no greeting"))?;
    let mut s = client
        .login("ncal@example.test", "secret")
        .await
        .map_err(|(e, _)| e)?;
    let mb = s.select("INBOX").await?;
    s.logout().await?;
    Ok(mb.exists)
}

#[test]
fn imaps_works_with_only_the_generated_ca() {
    let env = MailEnv::start();
    rt().block_on(async {
        // The sync API also works from inside a runtime (it runs on its own thread).
        env.append("ncal", "INBOX", &eml("over-tls"));
        let ca = Some(env.ca_pem.as_path());
        assert_eq!(
            imaps_count(env.imaps_port, ca, "localhost")
                .await
                .expect("by name"),
            1
        );
        assert_eq!(
            imaps_count(env.imaps_port, ca, "127.0.0.1").await.expect("by IP"),
            1
        );
        let untrusted = imaps_count(env.imaps_port, None, "localhost").await;
        assert!(untrusted.is_err(), "without the CA the handshake must fail");
    });
}

#[test]
fn config_toml_passes_check_config() {
    let env = MailEnv::start();
    let path = env.dir.path().join("referral-intake.toml");
    let store = format!("sqlite://{}", env.dir.path().join("store.db").display());
    let text = env.config_toml(&store);
    std::fs::write(&path, &text).expect("write config");

    let v: toml::Value = toml::from_str(&text).expect("valid TOML");
    let inboxes = v["inbox"].as_array().expect("inboxes");
    assert_eq!(inboxes[0]["address"].as_str(), Some("REGMCDURNS-KPNC@kp.org"));
    assert_eq!(inboxes[1]["username"].as_str(), Some("scal@example.test"));
    assert_eq!(inboxes[1]["port"].as_integer(), Some(i64::from(env.imap_port)));
    let pw = inboxes[0]["password_file"].as_str().expect("password_file");
    assert_eq!(
        std::fs::read_to_string(pw).expect("password").trim_end(),
        "secret"
    );
    assert_eq!(v["smtp"]["port"].as_integer(), Some(i64::from(env.smtp_port)));
    assert_eq!(
        v["regions"]["scal"]["review_address"].as_str(),
        Some("scal-review@example.test")
    );

    let out = crate::support::run(&["check-config", "--config", &path.to_string_lossy()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = crate::support::json(&out);
    assert_eq!(v["ok"], true);
    // A daemon configuration: everything `run` checks at start was checked, and passed.
    assert_eq!(v["run"]["ready"], true, "{}", v["run"]);
}
