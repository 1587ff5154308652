//! The live daemon against a real Dovecot and a real SMTP server (aiosmtpd), in-process.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use referral_intake::config::Config;
use referral_intake::pipeline::EmailKind;
use referral_intake::store::Store;

use crate::support::inproc::{Daemon, setup, store_count};
use crate::support::mailenv::{MailEnv, SunkMail};
use crate::support::plan::{message_id, planned};
use crate::support::{files, root};

fn demo(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/demo").join(name)).expect("demo message")
}

/// (In-Reply-To or the subject, kind header, envelope recipient) for each sunk message: replies
/// are told apart by what they answer, forwards by their reference number.
fn sunk_keys(sunk: &[SunkMail]) -> Vec<(String, String, String)> {
    sunk.iter()
        .map(|m| {
            let p = MessageParser::default().parse(&m.raw).expect("parse sunk");
            let about = p
                .in_reply_to()
                .as_text()
                .map(str::to_string)
                .unwrap_or_else(|| p.subject().unwrap_or("-").to_string());
            let kind = p
                .header_raw("X-Referral-Intake")
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            (about, kind, m.rcpt_to.join(","))
        })
        .collect()
}

/// Every message is answered once, threaded on the original; forwards reach the team (the
/// other region's team for a referral sent to the wrong inbox); every message is filed by
/// outcome and the inbox is left empty.
#[test]
fn daemon_answers_forwards_and_files_each_message_once() {
    let s = setup("");
    let cfg = Config::load(&s.config).expect("config");
    let cases = [
        ("ncal", "01-kp-ecm-accepted.eml"),
        ("scal", "02-kp-cs-housing-deposits-scal.eml"),
        ("ncal", "07-county-batch-xlsx-mixed.eml"),
        ("ncal", "13-unclassified-new-referral.eml"),
        ("ncal", "15-wrong-region-orange.eml"),
        ("ncal", "28-auto-reply-ooo.eml"),
        ("ncal", "31-duplicate-of-01.eml"),
    ];
    let mut expected = Vec::new();
    for (user, file) in cases {
        let raw = demo(file);
        if file.starts_with("31-") {
            expected.push((file, Vec::new())); // a byte-for-byte duplicate of 01: nothing sent
        } else {
            expected.push((file, planned(&cfg, &raw)));
        }
        s.env.append(&format!("{user}@example.test"), "INBOX", &raw);
    }
    let total: usize = expected.iter().map(|(_, e)| e.len()).sum();
    let d = Daemon::start(&s.config);
    let sunk = s.env.wait_sink(total, Duration::from_secs(20));
    // Give a moment for anything extra (a duplicate send would show up here).
    std::thread::sleep(Duration::from_millis(1500));
    let sunk = if s.env.sink().len() > sunk.len() {
        s.env.sink()
    } else {
        sunk
    };
    assert_eq!(
        sunk.len(),
        total,
        "exactly the planned emails, once each:\n{:#?}",
        sunk_keys(&sunk)
    );
    let keys = sunk_keys(&sunk);
    let unique: BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "no email sent twice");

    // Replies thread on their original; the wrong-region referral goes to the SCAL team.
    assert!(
        keys.iter()
            .any(|(_, kind, to)| kind == "forward" && to == "scal-team@example.test"),
        "{keys:?}"
    );
    for (file, emails) in &expected {
        if file.starts_with("31-") {
            continue; // same Message-ID as 01: 01's reply is the one threaded on it
        }
        let id = message_id(&demo(file)).expect("id");
        let acks = keys.iter().filter(|(irt, _, _)| *irt == id).count();
        let replies = emails.iter().filter(|(k, _)| *k != EmailKind::Forward).count();
        assert_eq!(acks, replies, "{file}: replies threaded on the original");
    }

    // Filed by outcome; nothing left in the inbox.
    let ncal = s.env.wait_list(
        "ncal@example.test",
        "Referrals/Accepted",
        2,
        Duration::from_secs(5),
    );
    assert_eq!(ncal.len(), 2, "01 and 15 are accepted");
    assert!(s.env.list("ncal@example.test", "INBOX").is_empty());
    assert_eq!(
        s.env.list("ncal@example.test", "Referrals/Needs info").len(),
        1,
        "07 has a needs_info row"
    );
    assert_eq!(s.env.list("ncal@example.test", "Referrals/Review").len(), 1, "13");
    assert_eq!(
        s.env.list("ncal@example.test", "Referrals/Ignored").len(),
        2,
        "28 and 31"
    );
    assert_eq!(
        s.env.list("scal@example.test", "Referrals/Accepted").len(),
        1,
        "02"
    );
    d.stop();
    assert_eq!(
        store_count(&s.store_url, "messages"),
        6,
        "the duplicate stores no new message"
    );
}

/// A message appended while the daemon idles is answered within seconds (IDLE, not polling).
#[test]
fn idle_picks_up_new_mail() {
    let s = setup("");
    let d = Daemon::start(&s.config);
    std::thread::sleep(Duration::from_millis(500)); // let it enter IDLE
    let t0 = Instant::now();
    s.env
        .append("ncal@example.test", "INBOX", &demo("09-phc-xls-chw.eml"));
    let sunk = s.env.wait_sink(2, Duration::from_secs(10));
    let took = t0.elapsed();
    assert_eq!(sunk.len(), 2, "ack and forward");
    // The harness polls every 2 s when IDLE is not used; IDLE answers in about 0.5 s.
    assert!(took < Duration::from_secs(5), "answered in {took:?}");
    d.stop();
}

/// A crash in the middle of a batch, then a restart: every message is answered exactly once and
/// stored once.
#[test]
fn crash_mid_batch_then_restart_duplicates_nothing() {
    let s = setup("");
    let cfg = Config::load(&s.config).expect("config");
    let mut total = 0;
    let mut n = 0;
    for eml in files(&root().join("fixtures/demo"), &["eml"]) {
        let raw = std::fs::read(&eml).expect("read");
        let text = String::from_utf8_lossy(&raw);
        let name = eml
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !text.contains("REGMCDURNS-KPNC@kp.org") || name.starts_with("31-") || name.starts_with("30-") {
            continue;
        }
        total += planned(&cfg, &raw).len();
        n += 1;
        s.env.append("ncal@example.test", "INBOX", &raw);
    }
    assert!(n >= 20, "a real batch: {n}");
    let d = Daemon::start(&s.config);
    s.env.wait_sink(5, Duration::from_secs(20));
    d.crash();
    let d = Daemon::start(&s.config);
    let sunk = s.env.wait_sink(total, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(1500));
    let sunk = if s.env.sink().len() > sunk.len() {
        s.env.sink()
    } else {
        sunk
    };
    let keys = sunk_keys(&sunk);
    let unique: BTreeSet<_> = keys.iter().collect();
    // A crash after the SMTP server accepted an email but before it was marked sent sends that
    // email again after the restart (at-least-once delivery). At most `[smtp] concurrency`
    // emails are in flight at once, so at most that many can repeat; nothing else does.
    let in_flight = cfg.main.smtp.as_ref().map(|s| s.concurrency).unwrap_or(1);
    let repeats = keys.len() - unique.len();
    assert!(
        repeats <= in_flight,
        "at most the {in_flight} in flight repeat: {repeats} of {}",
        keys.len()
    );
    eprintln!(
        "crash window: {repeats} repeated of {} emails ({in_flight} in flight at most)",
        keys.len()
    );
    assert_eq!(unique.len(), total, "every planned email arrived");
    assert!(
        s.env
            .wait_list("ncal@example.test", "INBOX", 0, Duration::from_secs(1))
            .is_empty()
    );
    d.stop();
    assert_eq!(
        store_count(&s.store_url, "messages") as usize,
        n,
        "each message stored once"
    );
}

/// A changed UIDVALIDITY is resynced by content: nothing is decided or sent again.
#[test]
fn uidvalidity_change_reprocesses_nothing() {
    let s = setup("[filing]\nmode = \"flag\"\n");
    for f in [
        "01-kp-ecm-accepted.eml",
        "09-phc-xls-chw.eml",
        "13-unclassified-new-referral.eml",
    ] {
        s.env.append("ncal@example.test", "INBOX", &demo(f));
    }
    let d = Daemon::start(&s.config);
    let first = s.env.wait_sink(6, Duration::from_secs(20)).len();
    d.stop();
    let referrals = store_count(&s.store_url, "referrals");
    s.env.set_uidvalidity("ncal@example.test", "INBOX", 777);
    let d = Daemon::start(&s.config);
    std::thread::sleep(Duration::from_secs(3));
    d.stop();
    assert_eq!(s.env.sink().len(), first, "nothing sent again");
    assert_eq!(
        store_count(&s.store_url, "referrals"),
        referrals,
        "nothing decided again"
    );
    assert_eq!(store_count(&s.store_url, "messages"), 3);
}

/// The SMTP server down, then back; the IMAP server killed and restarted: nothing is lost.
#[test]
fn outages_lose_nothing() {
    let mut s = setup("");
    let cfg = Config::load(&s.config).expect("config");
    let d = Daemon::start(&s.config);
    s.env.stop_smtp();
    let first = demo("01-kp-ecm-accepted.eml");
    let mut total = planned(&cfg, &first).len();
    s.env.append("ncal@example.test", "INBOX", &first);
    // Committed while SMTP is down: it waits in the outbox.
    let deadline = Instant::now() + Duration::from_secs(10);
    while store_count(&s.store_url, "messages") < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(store_count(&s.store_url, "messages"), 1);
    s.env.stop_imap();
    let second = demo("09-phc-xls-chw.eml");
    total += planned(&cfg, &second).len();
    s.env.drop_into_maildir("ncal@example.test", &second); // arrives while IMAP is down
    std::thread::sleep(Duration::from_secs(2));
    s.env.start_imap();
    s.env.start_smtp();
    let sunk = s.env.wait_sink(total, Duration::from_secs(30));
    assert_eq!(
        sunk.len(),
        total,
        "every email arrives once both servers are back"
    );
    d.stop();
    let per_reply: BTreeMap<String, usize> =
        sunk_keys(&sunk)
            .into_iter()
            .fold(BTreeMap::new(), |mut m, (irt, kind, _)| {
                *m.entry(format!("{irt}/{kind}")).or_default() += 1;
                m
            });
    assert!(per_reply.values().all(|n| *n == 1), "{per_reply:?}");
}

/// SIGHUP: a broken rules file is refused and the running rules stay; a good one takes effect
/// for the next message, without a restart.
#[test]
fn reload_swaps_rules_or_keeps_the_running_ones() {
    let s = setup("");
    let dir = s.config.parent().expect("dir").to_path_buf();
    let msg = |tag: &str| {
        String::from_utf8_lossy(&demo("13-unclassified-new-referral.eml"))
            .replace("<13.demo@", &format!("<13{tag}.demo@"))
            .into_bytes()
    };
    let reply_subjects = |env: &MailEnv| -> Vec<String> {
        env.sink()
            .iter()
            .filter_map(|m| {
                MessageParser::default()
                    .parse(&m.raw)?
                    .subject()
                    .map(str::to_string)
            })
            .filter(|s| !s.starts_with('['))
            .collect()
    };
    let d = Daemon::start(&s.config);
    // A broken file: refused, the built-in rules stay ("New referral" names no program: review).
    std::fs::write(
        dir.join("subjects.toml"),
        "[[rule]]\nname = \"x\"\npattern = '(unclosed'\nprograms = [\"ecm\"]\n",
    )
    .expect("write");
    d.reload.notify_one();
    std::thread::sleep(Duration::from_millis(300));
    s.env.append("ncal@example.test", "INBOX", &msg("a"));
    s.env.wait_sink(2, Duration::from_secs(10));
    assert!(
        reply_subjects(&s.env).iter().all(|t| t.contains("REF-NCAL-")),
        "{:?}",
        reply_subjects(&s.env)
    );
    // A good file: "new referral" now names ECM, so the next message is an ECM referral.
    std::fs::write(
        dir.join("subjects.toml"),
        "[[rule]]\nname = \"new\"\npattern = '\\bnew referral\\b'\nprograms = [\"ecm\"]\n",
    )
    .expect("write");
    d.reload.notify_one();
    std::thread::sleep(Duration::from_millis(300));
    s.env.append("ncal@example.test", "INBOX", &msg("b"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reply_subjects(&s.env).iter().any(|t| t.contains("ECM-NCAL-")) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        reply_subjects(&s.env).iter().any(|t| t.contains("ECM-NCAL-")),
        "{:?}",
        reply_subjects(&s.env)
    );
    d.stop();
}

/// SIGHUP with a template that uses a variable its email does not have: refused, and the running
/// templates answer the next message. Issue #9: the reload was taken, and every message then
/// failed to compose three times and was quarantined with no acknowledgement.
#[test]
fn reload_refuses_a_template_with_an_undefined_variable() {
    let s = setup("[paths]\ntemplates = \"tpl\"\n");
    let tpl = s.config.parent().expect("dir").join("tpl");
    let d = Daemon::start(&s.config);
    std::fs::create_dir_all(&tpl).expect("mkdir");
    for f in files(&root().join("templates"), &["txt", "html"]) {
        let name = f.file_name().expect("name").to_owned();
        let text = std::fs::read_to_string(&f).expect("template");
        let text = if name == "ack.txt" {
            assert!(text.contains("{{ region.name }}"));
            text.replace("{{ region.name }}", "{{ region.nmae }}")
        } else {
            text
        };
        std::fs::write(tpl.join(name), text).expect("write");
    }
    d.reload.notify_one();
    std::thread::sleep(Duration::from_millis(300));
    s.env
        .append("ncal@example.test", "INBOX", &demo("01-kp-ecm-accepted.eml"));
    let sunk = s.env.wait_sink(2, Duration::from_secs(10));
    let ack = sunk
        .iter()
        .filter_map(|m| MessageParser::default().parse(&m.raw))
        .find(|p| p.subject().is_some_and(|t| t.starts_with("Referral received")))
        .expect("the acknowledgement was sent");
    let body = ack.body_text(0).expect("text body");
    assert!(body.contains("(Northern California)"), "{body}");
    d.stop();
}

/// Implicit TLS (IMAPS) and STARTTLS for IMAP, STARTTLS for SMTP, all verified against the test
/// CA given as `ca_file`; and an inbox whose login fails keeps retrying without stalling the
/// other.
#[test]
fn tls_inboxes_work_and_a_failing_inbox_does_not_stall_the_other() {
    let s = setup("");
    let ca = s.env.ca_pem.display().to_string();
    let bad = s.config.parent().expect("dir").join("wrong.password");
    std::fs::write(&bad, "not-the-password").expect("write");
    // NCAL over IMAPS by name, SCAL over STARTTLS with a wrong password.
    let mut text = std::fs::read_to_string(&s.config).expect("read");
    let plain = format!("host = \"127.0.0.1\"\nport = {}\ntls = \"none\"", s.env.imap_port);
    let imaps = format!(
        "host = \"localhost\"\nport = {}\ntls = \"tls\"\nca_file = {ca:?}",
        s.env.imaps_port
    );
    let starttls = format!(
        "host = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = {ca:?}",
        s.env.imap_port
    );
    text = text.replacen(&plain, &imaps, 1).replacen(&plain, &starttls, 1);
    // SMTP over STARTTLS too, verified against the same CA.
    let smtp_plain = format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"",
        s.env.smtp_port
    );
    assert!(text.contains(&smtp_plain), "harness config layout changed");
    text = text.replacen(
        &smtp_plain,
        &format!(
            "[smtp]\nhost = \"localhost\"\nport = {}\ntls = \"starttls\"\nca_file = {ca:?}",
            s.env.smtp_port
        ),
        1,
    );
    let scal_secret = text.rfind("password_file = ").expect("scal password");
    let end = text[scal_secret..].find('\n').expect("eol") + scal_secret;
    text.replace_range(
        scal_secret..end,
        &format!("password_file = {:?}", bad.display().to_string()),
    );
    std::fs::write(&s.config, &text).expect("write");

    let cfg = Config::load(&s.config).expect("config");
    let raw = demo("01-kp-ecm-accepted.eml");
    let want = planned(&cfg, &raw).len();
    // The daemon is not READY while SCAL cannot log in, so start it without waiting for that.
    let d = Daemon::start_unready(&s.config);
    s.env.append("ncal@example.test", "INBOX", &raw);
    let sunk = s.env.wait_sink(want, Duration::from_secs(20));
    assert_eq!(
        sunk.len(),
        want,
        "NCAL over TLS answered while SCAL keeps failing to log in"
    );
    d.stop();

    // STARTTLS with the right password works too.
    let text = std::fs::read_to_string(&s.config).expect("read").replace(
        &bad.display().to_string(),
        &s.env
            .dir
            .path()
            .join("secrets/scal.password")
            .display()
            .to_string(),
    );
    std::fs::write(&s.config, text).expect("write");
    let d = Daemon::start(&s.config);
    s.env.append(
        "scal@example.test",
        "INBOX",
        &demo("02-kp-cs-housing-deposits-scal.eml"),
    );
    let sunk = s.env.wait_sink(want + 2, Duration::from_secs(20));
    assert_eq!(sunk.len(), want + 2, "SCAL over STARTTLS answered");
    d.stop();
}

/// A message our configuration cannot compose mail for (here: a template with an undefined
/// variable, which `run` refuses at start and on reload; the in-process daemon here loads the
/// file without that check, as a gap in it would) is not the message's fault: the inbox pauses
/// with an ERROR, counts no attempt and quarantines nothing — the message waits unread. Fixed and
/// reloaded, it is answered. Issue #9: it used to fail three times and be quarantined unanswered.
#[test]
fn a_message_the_configuration_cannot_compose_waits_for_the_fix() {
    let s = setup("[paths]\ntemplates = \"templates\"\n");
    let dir = s.config.parent().expect("dir").join("templates");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for f in files(&root().join("templates"), &["txt", "html"]) {
        let name = f.file_name().expect("name").to_owned();
        std::fs::copy(&f, dir.join(name)).expect("copy");
    }
    let good = std::fs::read_to_string(dir.join("ack.txt")).expect("ack");
    std::fs::write(dir.join("ack.txt"), "Received {{ no_such_variable }}\nbody\n").expect("write");
    s.env
        .append("ncal@example.test", "INBOX", &demo("01-kp-ecm-accepted.eml"));
    let d = Daemon::start(&s.config);
    // Long enough for several attempts (the old code quarantined after three).
    std::thread::sleep(Duration::from_secs(8));
    assert!(
        s.env.list("ncal@example.test", "Referrals/Review").is_empty(),
        "nothing quarantined"
    );
    assert_eq!(
        s.env.list("ncal@example.test", "INBOX").len(),
        1,
        "the message waits unread"
    );
    assert!(s.env.sink().is_empty(), "nothing sent");
    assert_eq!(store_count(&s.store_url, "messages"), 0, "nothing stored");
    // The admin fixes the template and reloads.
    std::fs::write(dir.join("ack.txt"), good).expect("write");
    d.reload.notify_one();
    let sunk = s.env.wait_sink(2, Duration::from_secs(40));
    assert!(
        sunk.iter()
            .filter_map(|m| MessageParser::default().parse(&m.raw))
            .any(|p| p.subject().is_some_and(|t| t.starts_with("Referral received"))),
        "the acknowledgement went out after the fix"
    );
    d.stop();
    assert!(s.env.list("ncal@example.test", "INBOX").is_empty());
}

/// The inbox decides one message ahead while the previous one commits. A CHW referral right
/// behind an ECM referral for the same member must still see that ECM referral (it is screened
/// out with `chw_enrolled_in_ecm`), as it would if they arrived minutes apart.
#[test]
fn a_chw_referral_right_behind_its_ecm_referral_sees_it() {
    let s = setup("");
    let ecm = demo("22-body-only-ecm.eml");
    let chw = String::from_utf8(ecm.clone())
        .expect("utf-8")
        .replace("Subject: ECM Referral", "Subject: CHW Referral")
        .replace("<22.demo@", "<22-chw.demo@")
        .replace(
            "Population of Focus: 1 - Individuals Experiencing Homelessness",
            "CHW Services Needed: Health education; help navigating appointments",
        );
    // Both in the inbox before the daemon starts: one fetch batch, decided back to back.
    s.env.drop_into_maildir("ncal@example.test", &ecm);
    s.env.drop_into_maildir("ncal@example.test", chw.as_bytes());
    let d = Daemon::start(&s.config);
    s.env.wait_list(
        "ncal@example.test",
        "Referrals/Accepted",
        1,
        Duration::from_secs(30),
    );
    s.env.wait_list(
        "ncal@example.test",
        "Referrals/Screened out",
        1,
        Duration::from_secs(30),
    );
    d.stop();
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let rows: Vec<(String, String, String)> = rt.block_on(async {
        let store = Store::open(&s.store_url).await.expect("store");
        sqlx::query_as("SELECT program, outcome, reasons FROM referrals ORDER BY program")
            .fetch_all(store.pool())
            .await
            .expect("referrals")
    });
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("chw", "screened_out"),
        "{rows:?}"
    );
    assert!(rows[0].2.contains("chw_enrolled_in_ecm"), "{rows:?}");
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("ecm", "accepted"),
        "{rows:?}"
    );
}
