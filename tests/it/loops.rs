//! Loops and floods against the live daemon (real Dovecot, real aiosmtpd, in-process `serve`):
//! an auto-responder answering our acks, a bounce of our ack, mail from our own address, and one
//! sender flooding the inbox.

use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use referral_intake::store::Store;
use sqlx::Row;

use crate::support::inproc::{Daemon, setup};
use crate::support::mailenv::{MailEnv, SunkMail};
use crate::support::root;

const SENDER: &str = "jane.sample@eastbay-clinic.example";
const NCAL: &str = "ncal@example.test";

/// Demo 01 (an accepted ECM referral from [`SENDER`]: one ack, one forward) made a new message:
/// its own Message-ID and a tag in the subject, so it is not a duplicate.
fn referral(tag: &str) -> Vec<u8> {
    let raw = std::fs::read(root().join("fixtures/demo/01-kp-ecm-accepted.eml")).expect("demo 01");
    let text = String::from_utf8(raw).expect("utf-8 fixture");
    text.replacen(
        "Message-ID: <01.demo@eastbay-clinic.example>",
        &format!("Message-ID: <{tag}.loops@eastbay-clinic.example>"),
        1,
    )
    .replacen(
        "Subject: ECM Referral",
        &format!("Subject: ECM Referral {tag}"),
        1,
    )
    .into_bytes()
}

/// (kind stamp, envelope recipient, Message-ID) of a sunk email.
fn info(m: &SunkMail) -> (String, String, String) {
    let p = MessageParser::default().parse(&m.raw).expect("parse sunk");
    let kind = p
        .header_raw("X-Referral-Intake")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let id = p.message_id().unwrap_or_default().to_string();
    (kind, m.rcpt_to.join(","), id)
}

fn count_kind(sunk: &[SunkMail], kind: &str) -> usize {
    sunk.iter().filter(|m| info(m).0 == kind).count()
}

/// Waits until nothing new arrives at the sink for `quiet` (so a loop would have shown itself).
fn settle(env: &MailEnv, quiet: Duration, max: Duration) -> Vec<SunkMail> {
    let deadline = Instant::now() + max;
    let mut last = env.sink().len();
    let mut since = Instant::now();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let n = env.sink().len();
        if n != last {
            last = n;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            break;
        }
    }
    env.sink()
}

fn query_i64(url: &str, sql: &'static str) -> i64 {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let store = Store::open(url).await.expect("store");
        sqlx::query(sql)
            .fetch_one(store.pool())
            .await
            .expect("query")
            .get::<i64, _>(0)
    })
}

/// The test plays an auto-responder: every ack that reaches the sink is answered with an
/// out-of-office reply into the inbox. Each referral gets exactly one ack; no OOO is answered.
#[test]
fn auto_responder_gets_one_ack_per_referral_and_no_reply_to_its_ooo() {
    let s = setup("");
    for tag in ["ooo-a", "ooo-b"] {
        s.env.append(NCAL, "INBOX", &referral(tag));
    }
    let d = Daemon::start(&s.config);
    let mut answered = std::collections::BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(25);
    // Answer every ack as it arrives, until both referrals' acks were answered and the OOOs filed.
    while Instant::now() < deadline {
        for m in s.env.sink() {
            let (kind, to, id) = info(&m);
            if kind != "ack" || !answered.insert(id.clone()) {
                continue;
            }
            assert_eq!(to, SENDER);
            let ooo = format!(
                "From: Jane Sample <{SENDER}>\r\nTo: REGMCDURNS-KPNC@kp.org\r\n\
                 Subject: Automatic reply: Referral received\r\nMessage-ID: <ooo-{n}@eastbay-clinic.example>\r\n\
                 In-Reply-To: <{id}>\r\nAuto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n\
                 Content-Type: text/plain\r\n\r\nI am out of the office until Monday. ECM Referral CS Referral.\r\n",
                n = answered.len()
            );
            s.env.append(NCAL, "INBOX", ooo.as_bytes());
        }
        if answered.len() >= 2 && s.env.list(NCAL, "Referrals/Ignored").len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(answered.len(), 2, "both referrals were acknowledged");
    let ignored = s
        .env
        .wait_list(NCAL, "Referrals/Ignored", 2, Duration::from_secs(10));
    assert_eq!(ignored.len(), 2, "both OOO replies are filed as ignored");
    let sunk = settle(&s.env, Duration::from_millis(2500), Duration::from_secs(15));
    d.stop();
    assert_eq!(
        count_kind(&sunk, "ack"),
        2,
        "exactly one ack per referral, none to an OOO"
    );
    assert_eq!(count_kind(&sunk, "forward"), 2, "each referral forwarded once");
    assert_eq!(sunk.len(), 4);
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM messages WHERE disposition = 'ignored'"
        ),
        2
    );
}

/// A DSN bouncing our ack to a sender: the next referral from that sender is forwarded to the
/// team but gets no ack, and the withheld ack is recorded.
#[test]
fn bounced_sender_gets_no_more_acks_but_referrals_still_reach_the_team() {
    let s = setup("");
    s.env.append(NCAL, "INBOX", &referral("first"));
    let d = Daemon::start(&s.config);
    let sunk = s.env.wait_sink(2, Duration::from_secs(20));
    let ack = sunk
        .iter()
        .map(info)
        .find(|(k, _, _)| k == "ack")
        .expect("the first referral was acknowledged");
    let dsn = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.eastbay-clinic.example>\r\n\
         To: REGMCDURNS-KPNC@kp.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Message-ID: <bounce-1@mx.eastbay-clinic.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"DSN\"\r\n\r\n\
         --DSN\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --DSN\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.eastbay-clinic.example\r\n\r\n\
         Final-Recipient: rfc822; {SENDER}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n\r\n\
         --DSN\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{}>\r\nX-Referral-Intake: ack\r\n\r\n--DSN--\r\n",
        ack.2
    );
    s.env.append(NCAL, "INBOX", dsn.as_bytes());
    s.env
        .wait_list(NCAL, "Referrals/Ignored", 1, Duration::from_secs(10));
    s.env.append(NCAL, "INBOX", &referral("second"));
    s.env
        .wait_list(NCAL, "Referrals/Accepted", 2, Duration::from_secs(15));
    let sunk = settle(&s.env, Duration::from_millis(2000), Duration::from_secs(15));
    d.stop();
    assert_eq!(count_kind(&sunk, "forward"), 2, "both referrals reached the team");
    assert_eq!(count_kind(&sunk, "ack"), 1, "no ack after the bounce");
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM suppressions WHERE status = '5.1.1'"
        ),
        1
    );
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM events WHERE kind = 'reply_withheld'"
        ),
        1
    );
    assert_eq!(query_i64(&s.store_url, "SELECT COUNT(*) FROM referrals"), 2);
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM messages WHERE reasons LIKE '%bounce%'"
        ),
        1,
        "the DSN itself is ignored with reason bounce"
    );
}

/// Mail "from" our own inbox address, or carrying one of our Message-IDs, is ignored: nothing
/// is sent, however much it looks like a referral.
#[test]
fn mail_from_our_own_address_is_ignored() {
    let s = setup("");
    let own_from = String::from_utf8(referral("own-from")).expect("utf-8").replacen(
        "From: Jane Sample <jane.sample@eastbay-clinic.example>",
        "From: Referrals <REGMCDURNS-KPNC@kp.org>",
        1,
    );
    let own_id = String::from_utf8(referral("own-id")).expect("utf-8").replacen(
        "Message-ID: <own-id.loops@eastbay-clinic.example>",
        "Message-ID: <0190abc.ack@referral-intake.invalid>",
        1,
    );
    s.env.append(NCAL, "INBOX", own_from.as_bytes());
    s.env.append(NCAL, "INBOX", own_id.as_bytes());
    let d = Daemon::start(&s.config);
    let ignored = s
        .env
        .wait_list(NCAL, "Referrals/Ignored", 2, Duration::from_secs(15));
    let sunk = settle(&s.env, Duration::from_millis(1500), Duration::from_secs(10));
    d.stop();
    assert_eq!(ignored.len(), 2);
    assert!(
        sunk.is_empty(),
        "nothing sent: {:?}",
        sunk.iter().map(info).collect::<Vec<_>>()
    );
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM messages WHERE reasons LIKE '%own_message%'"
        ),
        2
    );
}

/// One sender sends three times the limit: exactly `limit` acks, and every referral is stored
/// and forwarded.
#[test]
fn flooding_sender_gets_limit_acks_and_every_referral_is_forwarded() {
    let limit = 2;
    let s = setup(&format!(
        "[outbound]\nack_limit_per_sender = {limit}\nack_limit_window_minutes = 60\n"
    ));
    for i in 0..3 * limit {
        s.env.append(NCAL, "INBOX", &referral(&format!("flood-{i}")));
    }
    let d = Daemon::start(&s.config);
    s.env
        .wait_list(NCAL, "Referrals/Accepted", 3 * limit, Duration::from_secs(25));
    let sunk = s.env.wait_sink(3 * limit + limit, Duration::from_secs(20));
    let sunk = settle(&s.env, Duration::from_millis(2000), Duration::from_secs(15)).max_by_len(sunk);
    d.stop();
    assert_eq!(count_kind(&sunk, "ack"), limit, "exactly `limit` acks");
    assert_eq!(
        count_kind(&sunk, "forward"),
        3 * limit,
        "every referral forwarded"
    );
    assert_eq!(
        query_i64(&s.store_url, "SELECT COUNT(*) FROM referrals"),
        (3 * limit) as i64
    );
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM events WHERE kind = 'reply_withheld' AND detail LIKE '%sender_limit%'"
        ),
        (2 * limit) as i64
    );
}

trait MaxByLen {
    fn max_by_len(self, other: Self) -> Self;
}

impl MaxByLen for Vec<SunkMail> {
    fn max_by_len(self, other: Self) -> Self {
        if other.len() > self.len() { other } else { self }
    }
}
