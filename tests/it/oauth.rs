//! OAuth 2 both ways (issue #13), against real servers: the real binary fetches short-lived
//! tokens itself from a test provider (`support::oauth_provider`), logs in to Dovecot with
//! XOAUTH2 (its `oauth2` passdb checks each token at the provider's introspection URL) and sends
//! through an SMTP sink that requires AUTH XOAUTH2 and checks tokens the same way. No password is
//! configured anywhere.
//!
//! Also: `check-config` on `[oauth.*]` mistakes, with file:line.

#![allow(clippy::indexing_slicing)] // test code: a missing JSON key is a test bug, panicking is right

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::support::child::{Daemon, log_lines, wait_until, wait_until_or};
use crate::support::mailenv::MailEnv;
use crate::support::oauth_provider::{Provider, SECRET};
use crate::support::{root, run, temp_config};

// ---------------------------------------------------------------------------------------------
// check-config

#[test]
fn check_config_reports_oauth_mistakes_with_file_and_line() {
    let (_dir, config) = temp_config(
        "\n[[inbox]]\nregion = \"ncal\"\naddress = \"other@kp.org\"\nauth = \"xoauth2\"\n\n\
         [smtp]\nhost = \"smtp.example.org\"\nusername = \"bot@kp.org\"\nauth = \"xoauth2\"\noauth = \"m365x\"\n\n\
         [oauth.m365]\nprovider = \"microsoft\"\nclient_id = \"0d1c\"\ntenant = \"contoso.onmicrosoft.com\"\n\n\
         [oauth.spare]\nprovider = \"generic\"\nclient_id = \"c\"\nclient_secret_env = \"X\"\ntoken_url = \"https://idp.example/token\"\n",
    );
    let c = config.to_str().expect("utf8");
    let out = run(&["check-config", "--config", c]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for want in [
        // the source with no secret, at its table header
        ":22:1: [oauth.m365] needs client_secret_file or client_secret_env",
        // nobody uses either source
        ":22:1: [oauth.m365] is not used",
        ":27:1: [oauth.spare] is not used",
        // a name that does not exist, at the `oauth =` key
        ":21:1: [smtp] names oauth = \"m365x\", which is not an [oauth.*] table (defined: m365, spare)",
        // xoauth2 with nothing to get a token from
        ":14:11: [[inbox]] other@kp.org has auth = \"xoauth2\" but no token source",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }

    // An unknown provider is named with its position and the choices.
    let (_dir, config) = temp_config("\n[oauth.x]\nprovider = \"yahoo\"\n");
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("referral-intake.toml:13:12") && err.contains("unknown variant `yahoo`"),
        "{err}"
    );
    assert!(
        err.contains("microsoft") && err.contains("google") && err.contains("generic"),
        "{err}"
    );

    // A complete source used by both sides passes.
    let (_dir, config) = temp_config(
        "\n[smtp]\nhost = \"smtp.office365.com\"\nusername = \"referrals@contoso.com\"\nauth = \"xoauth2\"\noauth = \"m365\"\n\n\
         [oauth.m365]\nprovider = \"microsoft\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"0d1c\"\n\
         client_secret_file = \"/etc/referral-intake/m365-secret\"\n",
    );
    let out = run(&["check-config", "--config", config.to_str().expect("utf8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Against real servers

/// The SMTP login the daemon sends as (the sink does not tie it to the token's client).
const SMTP_USER: &str = "REGMCDURNS-KPNC@kp.org";
/// The SMTP token source's client_id.
const SMTP_CLIENT: &str = "smtp-sender@example.test";

struct Setup {
    provider: Provider,
    env: MailEnv,
    _dir: tempfile::TempDir,
    config: PathBuf,
    log: PathBuf,
    seq: std::cell::Cell<u32>,
}

/// Provider, servers in OAuth mode, and a config with `[oauth.ncal]`, `[oauth.scal]` and
/// `[oauth.smtp]` (provider = "generic") and no password at all.
fn setup(lifetime: Duration) -> Setup {
    setup_with(lifetime, false)
}

/// [`setup`]; with `google`, ncal's source is `provider = "google"`: a service-account key file
/// (the test key) and `subject` = the mailbox, the token URL taken from the key as Google's
/// key files carry it.
fn setup_with(lifetime: Duration, google: bool) -> Setup {
    let provider = Provider::start(lifetime);
    let env = MailEnv::start_oauth(&provider.introspection_url());
    let dir = tempfile::tempdir().expect("tmp");
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).expect("secret");
    let store_url = format!("sqlite://{}", dir.path().join("store.db").display());
    let mut text = env.config_toml(&store_url);
    // Passwords out, token sources in.
    let re = regex::Regex::new(r#"(?m)^username = "(ncal|scal)@example\.test"\npassword_file = .*\n"#)
        .expect("regex");
    assert_eq!(re.find_iter(&text).count(), 2, "config layout changed:\n{text}");
    text = re
        .replace_all(
            &text,
            "username = \"$1@example.test\"\nauth = \"xoauth2\"\noauth = \"$1\"\n",
        )
        .into_owned();
    assert!(text.contains("[smtp]\n"), "config layout changed");
    text = text.replacen(
        "[smtp]\n",
        &format!("[smtp]\nusername = \"{SMTP_USER}\"\nauth = \"xoauth2\"\noauth = \"smtp\"\n"),
        1,
    );
    if google {
        let key = serde_json::json!({
            "type": "service_account",
            "client_email": "svc@project.iam.gserviceaccount.com",
            "private_key_id": "test-key-1",
            "private_key": include_str!("../data/oauth-test-key.pem"),
            "token_uri": provider.token_url(),
        });
        let key_file = dir.path().join("google-key.json");
        std::fs::write(&key_file, key.to_string()).expect("key file");
        text.push_str(&format!(
            "\n[oauth.ncal]\nprovider = \"google\"\nclient_secret_file = {:?}\nsubject = \"ncal@example.test\"\n",
            key_file.display().to_string()
        ));
    }
    for (name, client) in [
        ("ncal", "ncal@example.test"),
        ("scal", "scal@example.test"),
        ("smtp", SMTP_CLIENT),
    ] {
        if google && name == "ncal" {
            continue;
        }
        text.push_str(&format!(
            "\n[oauth.{name}]\nprovider = \"generic\"\nclient_id = \"{client}\"\nclient_secret_file = {:?}\n\
             token_url = \"{}\"\nscope = \"mail\"\n",
            secret.display().to_string(),
            provider.token_url()
        ));
    }
    assert!(
        !text.contains("password"),
        "no password may be configured:\n{text}"
    );
    let config = dir.path().join("referral-intake.toml");
    std::fs::write(&config, text).expect("config");
    let log = dir.path().join("daemon.log");
    Setup {
        provider,
        env,
        _dir: dir,
        config,
        log,
        seq: std::cell::Cell::new(0),
    }
}

impl Setup {
    fn start(&self) -> Daemon {
        let d = Daemon::spawn(&self.config, &self.log);
        wait_until_or(
            "the daemon is ready (both inboxes logged in with fetched tokens)",
            Duration::from_secs(30),
            || self.errors_with("ready: every inbox is connected", "INFO") > 0,
            || {
                format!(
                    "{}\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default(),
                    self.env.logs()
                )
            },
        );
        d
    }

    /// A fresh copy of the accepted-ECM demo referral for `user`'s inbox; returns its Message-ID.
    fn deliver(&self, user: &str) -> String {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        let raw = std::fs::read(root().join("fixtures/demo/01-kp-ecm-accepted.eml")).expect("demo");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let id = format!("oauth-{n}-{}@eastbay-clinic.example", std::process::id());
        assert!(text.contains("Message-ID: <01.demo@eastbay-clinic.example>"));
        let text = text.replacen(
            "Message-ID: <01.demo@eastbay-clinic.example>",
            &format!("Message-ID: <{id}>"),
            1,
        );
        self.env.drop_into_maildir(user, text.as_bytes());
        id
    }

    /// Acknowledgements in the sink per original Message-ID (replies not sent to a team).
    fn acks(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for m in self.env.sink() {
            if m.rcpt_to
                .iter()
                .any(|r| r.contains("-team@") || r.contains("-review@"))
            {
                continue;
            }
            let head = String::from_utf8_lossy(&m.raw);
            let head = head.split("\r\n\r\n").next().unwrap_or("");
            if let Some(line) = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("in-reply-to:"))
            {
                let id = line
                    .split_once(':')
                    .map(|x| x.1)
                    .unwrap_or("")
                    .trim()
                    .trim_matches(['<', '>'])
                    .to_string();
                *out.entry(id).or_default() += 1;
            }
        }
        out
    }

    fn acked(&self, id: &str) -> usize {
        self.acks().get(id).copied().unwrap_or(0)
    }

    fn wait_acked(&self, ids: &[String], timeout: Duration) {
        wait_until_or(
            "every message acknowledged",
            timeout,
            || ids.iter().all(|id| self.acked(id) > 0),
            || format!("acks so far: {:?}\n{}", self.acks(), self.tail()),
        );
    }

    /// Log lines at `level` whose message contains `text`.
    fn errors_with(&self, text: &str, level: &str) -> usize {
        log_lines(&self.log)
            .iter()
            .filter(|v| v["level"] == level && v["fields"]["message"].as_str().unwrap_or("").contains(text))
            .count()
    }

    /// ERROR lines naming token source `source`.
    fn oauth_errors(&self, source: &str) -> Vec<serde_json::Value> {
        log_lines(&self.log)
            .into_iter()
            .filter(|v| v["level"] == "ERROR" && v["fields"]["oauth"] == source)
            .collect()
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(6000);
        text.get(start..).unwrap_or(&text).to_string()
    }

    /// Neither the client secret nor any token ever reached the log.
    fn log_is_clean(&self) {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        assert!(!text.contains(SECRET), "the client secret is in the log");
        for t in self.provider.all_tokens() {
            assert!(!text.contains(&t), "a token is in the log");
        }
    }
}

#[test]
fn daemon_logs_in_and_sends_with_fetched_tokens_that_expire_mid_run() {
    let s = setup(Duration::from_secs(3));
    let d = s.start();
    let first_round = s.provider.issued("ncal@example.test");
    assert!(first_round >= 1);

    // Mail for both inboxes over four token lifetimes: sessions and SMTP connections are renewed
    // with new tokens in between, and every message is answered exactly once.
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(s.deliver("ncal"));
        ids.push(s.deliver("scal"));
        std::thread::sleep(Duration::from_secs(3));
    }
    s.wait_acked(&ids, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(800)); // a repeat would show up here
    let acks = s.acks();
    for id in &ids {
        assert_eq!(acks.get(id), Some(&1), "one ack for {id}: {acks:?}");
    }
    for user in ["ncal@example.test", "scal@example.test"] {
        wait_until(&format!("{user} INBOX empty"), Duration::from_secs(20), || {
            s.env.list(user, "INBOX").is_empty()
        });
    }

    // Tokens were fetched again as they expired, and each inbox logged in again with one.
    for client in ["ncal@example.test", "scal@example.test", SMTP_CLIENT] {
        assert!(
            s.provider.issued(client) >= 3,
            "{client}: {} tokens issued over 12 s of 3 s tokens",
            s.provider.issued(client)
        );
    }
    let dovecot = s.env.dovecot_log();
    for user in ["ncal@example.test", "scal@example.test"] {
        let logins = dovecot
            .lines()
            .filter(|l| l.contains("Login: user=<") && l.contains(user) && l.contains("method=XOAUTH2"))
            .count();
        assert!(logins >= 3, "{user}: {logins} XOAUTH2 logins\n{dovecot}");
    }
    let smtp_ok = s
        .env
        .smtp_auths()
        .iter()
        .filter(|(u, ok)| u == SMTP_USER && *ok)
        .count();
    assert!(smtp_ok >= 2, "SMTP XOAUTH2 logins: {:?}", s.env.smtp_auths());
    assert_eq!(s.provider.bad_requests(), 0);
    assert!(
        log_lines(&s.log).iter().all(|v| v["level"] != "ERROR"),
        "no ERROR in a healthy run:\n{}",
        s.tail()
    );
    d.sigterm(Duration::from_secs(15));
    s.log_is_clean();
}

#[test]
fn revoked_tokens_give_a_clear_error_and_recover_while_the_other_inbox_keeps_working() {
    let s = setup(Duration::from_secs(3));
    let d = s.start();
    let mut ids = Vec::new();

    // ncal's tokens are refused: its next renewal fails with an ERROR naming the source...
    s.provider.revoke("ncal@example.test", true);
    wait_until_or(
        "an ERROR naming oauth source ncal",
        Duration::from_secs(20),
        || !s.oauth_errors("ncal").is_empty(),
        || s.tail(),
    );
    let e = &s.oauth_errors("ncal")[0];
    let error = e["fields"]["error"].as_str().unwrap_or("");
    assert!(
        error.contains("oauth source `ncal`") && error.contains("refused"),
        "{e}"
    );
    // ...while scal, with its own source, is not affected, and ncal's open session still reads
    // its mail (Dovecot keeps an authenticated session open; nothing is lost meanwhile).
    let scal = s.deliver("scal");
    let ncal = s.deliver("ncal");
    s.wait_acked(&[scal.clone(), ncal.clone()], Duration::from_secs(30));
    ids.extend([scal, ncal]);
    assert!(s.oauth_errors("scal").is_empty(), "scal untouched:\n{}", s.tail());

    // Good tokens again: ncal logs in with a new one.
    let accepted = s.provider.accepted("ncal@example.test");
    s.provider.revoke("ncal@example.test", false);
    wait_until_or(
        "ncal logs in again after the source recovers",
        Duration::from_secs(30),
        || s.provider.accepted("ncal@example.test") > accepted,
        || s.tail(),
    );
    let errors = s.oauth_errors("ncal").len();

    // SMTP's tokens refused: the outbox pauses with an ERROR naming the source, nothing is sent
    // or given up; inboxes keep taking mail in.
    s.provider.revoke(SMTP_CLIENT, true);
    let held = s.deliver("scal");
    wait_until_or(
        "an ERROR naming oauth source smtp",
        Duration::from_secs(30),
        || !s.oauth_errors("smtp").is_empty(),
        || s.tail(),
    );
    let e = &s.oauth_errors("smtp")[0];
    assert!(
        e["fields"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("outbox paused"),
        "{e}"
    );
    wait_until(
        "the held message is taken from the INBOX",
        Duration::from_secs(20),
        || s.env.list("scal@example.test", "INBOX").is_empty(),
    );
    assert_eq!(s.acked(&held), 0, "nothing is sent while SMTP refuses tokens");
    s.provider.revoke(SMTP_CLIENT, false);
    s.wait_acked(std::slice::from_ref(&held), Duration::from_secs(30));
    ids.push(held);

    std::thread::sleep(Duration::from_millis(800));
    let acks = s.acks();
    for id in &ids {
        assert_eq!(acks.get(id), Some(&1), "one ack for {id}: {acks:?}");
    }
    assert_eq!(
        s.oauth_errors("ncal").len(),
        errors,
        "no more ncal errors once it recovered:\n{}",
        s.tail()
    );
    d.sigterm(Duration::from_secs(15));
    s.log_is_clean();
}

#[test]
fn google_service_account_grant_logs_in_as_the_subject() {
    let s = setup_with(Duration::from_secs(30), true);
    let d = s.start();
    let id = s.deliver("ncal");
    s.wait_acked(std::slice::from_ref(&id), Duration::from_secs(30));
    // The token was issued for the assertion's subject, and Dovecot accepted it for that login.
    assert!(s.provider.issued("ncal@example.test") >= 1);
    assert!(s.provider.accepted("ncal@example.test") >= 1);
    assert!(
        s.env
            .dovecot_log()
            .lines()
            .any(|l| l.contains("Login: user=<ncal@example.test>") && l.contains("method=XOAUTH2")),
        "{}",
        s.env.dovecot_log()
    );
    d.sigterm(Duration::from_secs(15));
    s.log_is_clean();
}

#[test]
fn a_bad_client_secret_stalls_only_the_outbox_with_the_providers_error_code_and_recovers() {
    let s = setup(Duration::from_secs(30));
    // SMTP's source gets its own secret file, holding the wrong secret.
    let bad = s.config.with_file_name("smtp-secret");
    std::fs::write(&bad, "not-the-secret\n").expect("secret");
    let text = std::fs::read_to_string(&s.config).expect("config");
    let (head, tail) = text.split_once("[oauth.smtp]").expect("smtp source");
    let re = regex::Regex::new(r#"client_secret_file = ".*""#).expect("regex");
    let tail = re.replace(
        tail,
        format!("client_secret_file = {:?}", bad.display().to_string()).as_str(),
    );
    std::fs::write(&s.config, format!("{head}[oauth.smtp]{tail}")).expect("config");

    let d = s.start(); // both inboxes log in: their sources are fine
    let id = s.deliver("ncal");
    wait_until_or(
        "an ERROR naming oauth source smtp and invalid_client",
        Duration::from_secs(30),
        || {
            s.oauth_errors("smtp").iter().any(|e| {
                e["fields"]["error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("invalid_client")
            })
        },
        || s.tail(),
    );
    wait_until(
        "the message is taken in meanwhile",
        Duration::from_secs(20),
        || s.env.list("ncal@example.test", "INBOX").is_empty(),
    );
    assert_eq!(s.acked(&id), 0);
    assert!(s.oauth_errors("ncal").is_empty() && s.oauth_errors("scal").is_empty());

    // The secret is read at every token request: fixing the file is enough.
    std::fs::write(&bad, format!("{SECRET}\n")).expect("secret");
    s.wait_acked(std::slice::from_ref(&id), Duration::from_secs(90));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.acked(&id), 1);
    d.sigterm(Duration::from_secs(15));
    s.log_is_clean();
    let text = std::fs::read_to_string(&s.log).unwrap_or_default();
    assert!(
        !text.contains("not-the-secret"),
        "a wrong secret is not logged either"
    );
}
