//! Automatic-mail detection: auto-replies, bounces and our own mail, so we never answer them.
//!
//! Answering an out-of-office note or a bounce starts a mail loop (LESSONS takeaway 5, issues
//! 28–30). Detection is layered as in Zammad and Request Tracker, following RFC 3834 (automatic
//! responses), RFC 3464 (delivery status notifications) and RFC 2369/2919 (list headers):
//! [`AutoSignals`] holds the raw header facts read at parse time, and [`automatic`] decides.
//!
//! Order matters: our own message first (a bounce of our own acknowledgement is still ours to
//! ignore), then bounces, then auto-replies.

use mail_parser::{Header, HeaderName, HeaderValue};

use super::Email;

/// Why a message is automatic and must not be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Automatic {
    /// An out-of-office reply, read receipt, list or no-reply mail, or anything else a machine
    /// sent on its own (RFC 3834).
    AutoReply,
    /// A delivery failure report (RFC 3464 DSN or a mailer-daemon notice).
    Bounce,
    /// Mail we sent ourselves (from one of our addresses, or carrying our stamp header).
    OwnMessage,
}

/// The name of the header we stamp on every message we send.
pub const OWN_STAMP_HEADER: &str = "X-Referral-Intake";

/// Raw header facts about automatic mail, read from the top-level headers at parse time.
///
/// Values are lowercased and trimmed; they are machine tokens, never member data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoSignals {
    /// `Auto-Submitted` (RFC 3834 §5), e.g. `auto-replied`, `auto-generated`, `no`.
    pub auto_submitted: Option<String>,
    /// `Precedence`, e.g. `bulk`, `list`, `junk`, `auto_reply`.
    pub precedence: Option<String>,
    /// `X-Autoreply` or `X-Autorespond` is present.
    pub x_autoreply: bool,
    /// `X-Auto-Response-Suppress` (Exchange), e.g. `all`, `oof, autoreply`.
    pub x_auto_response_suppress: Option<String>,
    /// `X-MS-Exchange-Generated-Message-Source`. Recorded for diagnosis only: Exchange also sets
    /// it on inbox-rule forwards ("Mailbox Rules Agent"), which may carry real referrals.
    pub exchange_generated_source: Option<String>,
    /// `List-Id` or `List-Unsubscribe` is present (mailing-list or newsletter mail).
    pub list_headers: bool,
    /// `X-Loop` is present.
    pub x_loop: bool,
    /// `X-Failed-Recipients` is present (Exim and others add it to bounces).
    pub x_failed_recipients: bool,
    /// `report-type` of a top-level `multipart/report`: `delivery-status` (bounce) or
    /// `disposition-notification` (read receipt).
    pub report_type: Option<String>,
    /// `Return-Path: <>`: the null sender used by bounces and RFC 3834 auto-replies.
    pub null_return_path: bool,
    /// Our own stamp header ([`OWN_STAMP_HEADER`]) is present.
    pub own_stamp: bool,
}

impl AutoSignals {
    /// Reads the signals from a message's top-level headers; `raw` is the buffer the header
    /// offsets point into.
    pub(super) fn from_headers(headers: &[Header<'_>], raw: &[u8]) -> AutoSignals {
        let mut s = AutoSignals::default();
        for h in headers {
            let value = || raw_value(h, raw);
            match &h.name {
                HeaderName::AutoSubmitted => s.auto_submitted = Some(first_token(&value())),
                HeaderName::ListId | HeaderName::ListUnsubscribe => s.list_headers = true,
                HeaderName::ReturnPath => {
                    let v = value();
                    if v.trim().trim_matches(|c| c == '<' || c == '>').trim().is_empty() {
                        s.null_return_path = true;
                    }
                }
                HeaderName::ContentType => {
                    if let HeaderValue::ContentType(ct) = &h.value
                        && ct.ctype().eq_ignore_ascii_case("multipart")
                        && ct.subtype().is_some_and(|st| st.eq_ignore_ascii_case("report"))
                    {
                        s.report_type = ct.attribute("report-type").map(|t| t.trim().to_ascii_lowercase());
                    }
                }
                HeaderName::Other(name) => {
                    let name = name.to_ascii_lowercase();
                    match name.as_str() {
                        "precedence" => s.precedence = Some(first_token(&value())),
                        "x-autoreply" | "x-autorespond" => s.x_autoreply = true,
                        "x-auto-response-suppress" => s.x_auto_response_suppress = Some(value()),
                        "x-ms-exchange-generated-message-source" => {
                            s.exchange_generated_source = Some(value())
                        }
                        "x-loop" => s.x_loop = true,
                        "x-failed-recipients" => s.x_failed_recipients = true,
                        n if n == OWN_STAMP_HEADER.to_ascii_lowercase() => s.own_stamp = true,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        s
    }
}

/// The raw header value, unfolded, trimmed and lowercased.
fn raw_value(h: &Header<'_>, raw: &[u8]) -> String {
    let bytes = raw
        .get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(bytes);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// The value up to any `;` parameters or `(comment)`, as in `auto-replied; owner-email=...`.
fn first_token(value: &str) -> String {
    value
        .split([';', '('])
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Whether an address is one nobody reads (`noreply@`, `no-reply@`, `donotreply@`, ...): mail
/// from it is processed, but never acknowledged to it.
pub fn is_no_reply(address: &str) -> bool {
    let local = address.rsplit_once('@').map_or(address, |(local, _)| local);
    let squashed: String = local
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        squashed.as_str(),
        "noreply" | "donotreply" | "noreplies" | "donotrespond" | "noresponse"
    ) || squashed.starts_with("noreply")
        || squashed.starts_with("donotreply")
}

/// Whether `email` came through a mailing list (`List-Id`, `List-Unsubscribe`, `Precedence:
/// list`), or is a newsletter (list headers with `Precedence: bulk`): it is processed, but no
/// acknowledgement goes back to a list (RFC 3834 §2).
pub fn mailing_list(email: &Email) -> bool {
    email.signals.list_headers || email.signals.precedence.as_deref() == Some("list")
}

/// A secure-mail portal's notification: the body says a secure (or encrypted) message is waiting
/// and gives a link to read it.
pub fn secure_portal_notice(email: &Email) -> bool {
    let body = email.body_text.to_lowercase();
    let says_secure = [
        "secure message",
        "encrypted message",
        "secure email",
        "secure e-mail",
        "encrypted email",
    ]
    .iter()
    .any(|p| body.contains(p));
    let has_link = body.contains("https://") || body.contains("http://");
    says_secure && has_link && email.attachments.is_empty()
}

/// Decides whether `email` is automatic mail we must not answer; `own_addresses` are the
/// addresses we send from (compared case-insensitively), `own_id_domain` the domain of the
/// Message-IDs we generate (`[outbound] message_id_domain`): a message whose Message-ID ends in
/// it is one of ours coming back, whatever its From says.
pub fn automatic(email: &Email, own_addresses: &[String], own_id_domain: Option<&str>) -> Option<Automatic> {
    let s = &email.signals;
    let from = email
        .from
        .as_ref()
        .map(|m| m.address.as_str())
        .unwrap_or_default();
    let local = from.rsplit_once('@').map_or(from, |(local, _)| local);

    let own = !from.is_empty() && own_addresses.iter().any(|a| a.trim().eq_ignore_ascii_case(from));
    let own_id = own_id_domain
        .map(|d| d.trim().trim_start_matches('@'))
        .filter(|d| !d.is_empty())
        .zip(email.message_id.as_deref())
        .is_some_and(|(domain, id)| {
            id.rsplit_once('@')
                .is_some_and(|(_, right)| right.trim_end_matches('>').eq_ignore_ascii_case(domain))
        });
    if own || own_id || s.own_stamp {
        return Some(Automatic::OwnMessage);
    }

    // Role accounts that only machines (or abuse desks) write from: never a referral sender to
    // answer (RFC 2142 names, as in Zammad's and RT's sender lists).
    let daemon = ["mailer-daemon", "postmaster", "abuse", "root"]
        .iter()
        .any(|d| local.eq_ignore_ascii_case(d));
    if s.report_type.as_deref() == Some("delivery-status")
        || s.x_failed_recipients
        || (daemon && bounce_subject(&email.subject))
    {
        return Some(Automatic::Bounce);
    }

    let auto_submitted = s.auto_submitted.as_deref().is_some_and(|v| v != "no");
    // `bulk` on mail that also carries list headers is a newsletter or a list's delivery
    // (processed, never answered; below), not a vacation responder's reply.
    let precedence = s.precedence.as_deref().is_some_and(|p| match p {
        "bulk" | "junk" => !s.list_headers,
        "auto_reply" | "auto-reply" => true,
        _ => false,
    });
    let suppress = s.x_auto_response_suppress.as_deref().is_some_and(|v| {
        v.split([',', ' '])
            .any(|t| matches!(t.trim(), "all" | "oof" | "autoreply"))
    });
    // A no-reply sender address alone is not automatic mail (SPEC §5): fax gateways, scanners
    // and referral portals deliver real referrals from `noreply@` addresses. It only means no
    // acknowledgement goes back to it ([`is_no_reply`]). And a secure-mail portal's notice
    // ("You have received a secure message ... click here") is a referral waiting behind a
    // link, even when the portal stamps it Auto-Submitted: a person must fetch it.
    if secure_portal_notice(email) {
        return None;
    }
    // Mail through a list (`List-Id`, `List-Unsubscribe`, `Precedence: list`) is not automatic
    // either: a county's shared referral list delivers real referrals that way, and a newsletter
    // is for a person to look at. Such mail is read like any other and never answered
    // ([`mailing_list`]; RFC 3834 §2).
    let no_reply_sender = daemon;
    if auto_submitted
        || precedence
        || s.x_autoreply
        || suppress
        || s.x_loop
        || s.null_return_path
        || s.report_type.as_deref() == Some("disposition-notification")
        || no_reply_sender
        || auto_reply_subject(&email.subject)
    {
        return Some(Automatic::AutoReply);
    }
    None
}

/// Subjects mailer daemons put on bounces (Postfix, Exim, Exchange, Gmail).
fn bounce_subject(subject: &str) -> bool {
    let s = subject.to_lowercase();
    [
        "undeliverable",
        "undelivered mail",
        "delivery status notification",
        "mail delivery failed",
        "delivery failure",
        "failure notice",
        "returned mail",
        "delivery has failed",
        "could not be delivered",
        "non-delivery",
    ]
    .iter()
    .any(|p| s.contains(p))
}

/// Subject prefixes of out-of-office and other auto-replies (Outlook, Exchange, Gmail).
fn auto_reply_subject(subject: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    [
        "automatic reply:",
        "auto:",
        "out of office",
        "out of the office",
        "autoreply",
        "auto-reply",
        "auto reply",
        "auto response",
        "auto-response",
    ]
    .iter()
    .any(|p| s.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::message::parse;

    fn parse_ok(raw: &str) -> Email {
        parse(raw.as_bytes(), &Limits::default()).expect("message parses")
    }

    fn with_headers(extra: &str, subject: &str, from: &str) -> Email {
        parse_ok(&format!(
            "From: {from}\r\nTo: intake@example.test\r\nSubject: {subject}\r\n{extra}\r\nhello\r\n"
        ))
    }

    #[test]
    fn auto_reply_signals() {
        let own: Vec<String> = vec!["REGMCDURNS-KPNC@kp.org".into()];
        let human = "Jane Sample <jane@example.org>";
        let cases: &[(&str, &str, &str)] = &[
            ("Auto-Submitted: auto-replied\r\n", "ECM Referral", human),
            (
                "Auto-Submitted: auto-generated; owner-email=x@example.org\r\n",
                "ECM Referral",
                human,
            ),
            ("Precedence: bulk\r\n", "ECM Referral", human),
            ("Precedence: junk\r\n", "ECM Referral", human),
            ("Precedence: auto_reply\r\n", "ECM Referral", human),
            ("X-Autoreply: yes\r\n", "ECM Referral", human),
            ("X-Autorespond: yes\r\n", "ECM Referral", human),
            ("X-Auto-Response-Suppress: All\r\n", "ECM Referral", human),
            ("X-Auto-Response-Suppress: DR, OOF\r\n", "ECM Referral", human),
            ("X-Auto-Response-Suppress: AutoReply\r\n", "ECM Referral", human),
            ("X-Loop: helpdesk@example.org\r\n", "ECM Referral", human),
            ("Return-Path: <>\r\n", "ECM Referral", human),
            ("", "Automatic reply: ECM Referral", human),
            ("", "Auto: ECM Referral", human),
            ("", "Out of Office: ECM Referral", human),
            ("", "AutoReply: ECM Referral", human),
            ("", "Hello", "postmaster@example.org"),
            (
                "Content-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n",
                "Read: ECM Referral",
                human,
            ),
        ];
        for (headers, subject, from) in cases {
            let e = with_headers(headers, subject, from);
            assert_eq!(
                automatic(&e, &own, None),
                Some(Automatic::AutoReply),
                "{headers} / {subject} / {from}"
            );
        }
    }

    #[test]
    fn ordinary_mail_is_not_automatic() {
        let human = "Jane Sample <jane@example.org>";
        for (headers, subject) in [
            ("", "ECM Referral"),
            ("Auto-Submitted: no\r\n", "ECM Referral"),
            ("Precedence: normal\r\n", "RE: Automatic reply settings"),
            ("X-Auto-Response-Suppress: DR\r\n", "Auto insurance referral"),
            // Exchange stamps this on inbox-rule forwards too, which can carry real referrals.
            (
                "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n",
                "FW: CS Referral",
            ),
        ] {
            let e = with_headers(headers, subject, human);
            assert_eq!(automatic(&e, &[], None), None, "{headers} / {subject}");
        }
        let e = with_headers(
            "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n",
            "x",
            human,
        );
        assert_eq!(
            e.signals.exchange_generated_source.as_deref(),
            Some("mailbox rules agent")
        );
    }

    #[test]
    fn no_reply_sender_with_an_attachment_is_not_dropped() {
        let gateway = |extra: &str| {
            parse_ok(&format!(
                "From: eFax Service <noreply@fax.example.org>\r\nTo: intake@example.test\r\n\
                 Subject: CHW services request\r\n{extra}MIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
                 --B\r\nContent-Type: text/plain\r\n\r\nYou have received a new document.\r\n\
                 --B\r\nContent-Type: text/csv; name=\"form.csv\"\r\n\
                 Content-Disposition: attachment; filename=\"form.csv\"\r\n\r\nName,Phone\r\n--B--\r\n"
            ))
        };
        // A fax gateway delivering a form: the no-reply address alone is too weak to drop it.
        let e = gateway("");
        assert_eq!(e.attachments.len(), 1);
        assert_eq!(automatic(&e, &[], None), None);
        // A real auto-reply header still wins, attachment or not.
        let e = gateway("Auto-Submitted: auto-generated\r\n");
        assert_eq!(automatic(&e, &[], None), Some(Automatic::AutoReply));
        // SPEC §5: a no-reply address alone never makes mail automatic, attachment or not; it
        // only means no acknowledgement goes to it.
        let e = with_headers("", "ECM Referral", "No Reply <noreply@example.org>");
        assert_eq!(automatic(&e, &[], None), None);
        for a in [
            "noreply@x.org",
            "no-reply@x.org",
            "Do-Not-Reply@x.org",
            "donotreply@x.org",
            "no_reply.fax@x.org",
        ] {
            assert!(is_no_reply(a), "{a}");
        }
        for a in ["jane@x.org", "nora.reply@x.org", "intake@x.org"] {
            assert!(!is_no_reply(a), "{a}");
        }
    }

    /// Mail through a list (a county's shared referral list, a newsletter) is read like any
    /// other message — a referral that came that way is not lost — and never answered.
    #[test]
    fn list_mail_is_read_but_never_answered() {
        for extra in [
            "List-Unsubscribe: <mailto:leave@example.org>\r\n",
            "List-Id: County ECM referrals <ecm-referrals.county.example>\r\n",
            "Precedence: list\r\n",
            // A newsletter: list headers with `Precedence: bulk` (issue #8, blind74). Without
            // them, `bulk` is a vacation responder's and stays automatic.
            "List-Unsubscribe: <https://news.example.org/u>\r\nPrecedence: bulk\r\n",
        ] {
            let e = with_headers(extra, "ECM Referral", "Jane Sample <jane@example.org>");
            assert_eq!(automatic(&e, &[], None), None, "{extra}");
            assert!(mailing_list(&e), "{extra}");
            assert_eq!(crate::pipeline::reply_address(&e), None, "{extra}");
        }
        let e = with_headers("", "ECM Referral", "Jane Sample <jane@example.org>");
        assert!(!mailing_list(&e));
        assert_eq!(
            crate::pipeline::reply_address(&e).as_deref(),
            Some("jane@example.org")
        );
    }

    /// Issue #8: a secure-mail portal's notice is a referral behind a link, not an auto-reply,
    /// even from a no-reply address and stamped Auto-Submitted.
    #[test]
    fn a_secure_portal_notice_is_not_automatic() {
        let notice = |extra: &str| {
            parse_ok(&format!(
                "From: Secure Mail <noreply@securemail.example.org>\r\nTo: intake@example.test\r\n\
                 Subject: [SECURE] ECM Referral\r\n{extra}Content-Type: text/plain\r\n\r\n\
                 You have received a secure message.\r\nTo read it, click here:\r\n\
                 https://securemail.example.org/s/e?m=ABC\r\nDo not reply to this notification.\r\n"
            ))
        };
        assert!(secure_portal_notice(&notice("")));
        assert_eq!(automatic(&notice(""), &[], None), None);
        assert_eq!(
            automatic(&notice("Auto-Submitted: auto-generated\r\n"), &[], None),
            None
        );
        // An out-of-office reply that mentions no secure message is still automatic.
        let ooo = with_headers(
            "Auto-Submitted: auto-replied\r\n",
            "Out of office",
            "jane@example.org",
        );
        assert!(!secure_portal_notice(&ooo));
        assert_eq!(automatic(&ooo, &[], None), Some(Automatic::AutoReply));
    }

    #[test]
    fn bounces() {
        let dsn = "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\n\
                   Subject: Undelivered Mail Returned to Sender\r\n\
                   Content-Type: multipart/report; report-type=delivery-status; boundary=\"D\"\r\n\r\n\
                   --D\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
                   --D\r\nContent-Type: message/delivery-status\r\n\r\n\
                   Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\n\
                   Action: failed\r\nStatus: 5.1.1\r\n\r\n\
                   --D\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Referral received\r\n\r\n--D--\r\n";
        let e = parse_ok(dsn);
        assert_eq!(e.signals.report_type.as_deref(), Some("delivery-status"));
        assert_eq!(automatic(&e, &[], None), Some(Automatic::Bounce));

        // Non-standard bounces: mailer-daemon plus a bounce subject, or X-Failed-Recipients.
        let e = with_headers(
            "",
            "Mail delivery failed: returning message to sender",
            "postmaster@example.org",
        );
        assert_eq!(automatic(&e, &[], None), Some(Automatic::Bounce));
        let e = with_headers(
            "",
            "Undeliverable: Referral received",
            "MAILER-DAEMON@example.org",
        );
        assert_eq!(automatic(&e, &[], None), Some(Automatic::Bounce));
        let e = with_headers(
            "X-Failed-Recipients: gone@example.org\r\n",
            "Re: x",
            "someone@example.org",
        );
        assert_eq!(automatic(&e, &[], None), Some(Automatic::Bounce));
        // A bounce that is also auto-submitted is still a bounce (checked first).
        let e = with_headers(
            "Auto-Submitted: auto-replied\r\nX-Failed-Recipients: gone@example.org\r\n",
            "x",
            "a@example.org",
        );
        assert_eq!(automatic(&e, &[], None), Some(Automatic::Bounce));
    }

    #[test]
    fn own_messages() {
        let own: Vec<String> = vec![
            "REGMCDURNS-KPNC@kp.org".into(),
            " RegCareCoordCaseMgmt@kp.org ".into(),
        ];
        let e = with_headers("", "Referral received", "Intake <regmcdurns-kpnc@KP.org>");
        assert_eq!(automatic(&e, &own, None), Some(Automatic::OwnMessage));
        let e = with_headers("", "Referral received", "regcarecoordcasemgmt@kp.org");
        assert_eq!(automatic(&e, &own, None), Some(Automatic::OwnMessage));
        // Our stamp wins even over bounce and auto-reply signals.
        let e = with_headers(
            "X-Referral-Intake: ack\r\nAuto-Submitted: auto-generated\r\nX-Failed-Recipients: a@b\r\n",
            "Referral received",
            "other@example.org",
        );
        assert_eq!(automatic(&e, &own, None), Some(Automatic::OwnMessage));
        let e = with_headers("", "ECM Referral", "jane@example.org");
        assert_eq!(automatic(&e, &own, None), None);
    }

    /// LESSONS takeaway 5, item by item: each signal alone makes a referral-looking message
    /// (subject and a CSV form attached) automatic, so it is never answered.
    #[test]
    fn lessons_takeaway_5_checklist() {
        let own: Vec<String> = vec!["regmcdurns-kpnc@kp.org".into()];
        let domain = Some("referral-intake.invalid");
        let msg = |extra: &str, from: &str, mid: &str| {
            parse_ok(&format!(
                "From: {from}\r\nTo: regmcdurns-kpnc@kp.org\r\nSubject: ECM Referral\r\n\
                 Message-ID: <{mid}>\r\n{extra}MIME-Version: 1.0\r\n\
                 Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
                 --B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
                 --B\r\nContent-Type: text/csv; name=\"form.csv\"\r\n\
                 Content-Disposition: attachment; filename=\"form.csv\"\r\n\r\nName,Phone\r\n--B--\r\n"
            ))
        };
        let human = "Jane Sample <jane@example.org>";
        let theirs = "abc@mail.example.org";
        let auto = Some(Automatic::AutoReply);
        let cases: &[(&str, &str, &str, Option<Automatic>)] = &[
            ("Auto-Submitted: auto-generated\r\n", human, theirs, auto),
            ("Auto-Submitted: auto-replied\r\n", human, theirs, auto),
            ("Auto-Submitted: auto-notified\r\n", human, theirs, auto),
            ("Precedence: bulk\r\n", human, theirs, auto),
            ("Precedence: junk\r\n", human, theirs, auto),
            ("X-Loop: yes\r\n", human, theirs, auto),
            ("X-Auto-Response-Suppress: All\r\n", human, theirs, auto),
            ("Return-Path: <>\r\n", human, theirs, auto),
            (
                "",
                human,
                "0190-ack@referral-intake.invalid",
                Some(Automatic::OwnMessage),
            ),
            (
                "",
                human,
                "0190-ack@REFERRAL-INTAKE.INVALID",
                Some(Automatic::OwnMessage),
            ),
            (
                "",
                "Intake <REGMCDURNS-KPNC@kp.org>",
                theirs,
                Some(Automatic::OwnMessage),
            ),
            ("", "MAILER-DAEMON@mx.example.org", theirs, auto),
            ("", "postmaster@example.org", theirs, auto),
            ("", "abuse@example.org", theirs, auto),
            ("", "root@host.example.org", theirs, auto),
            // A no-reply address alone is weak: with an attachment it may be a fax gateway.
            ("", "noreply@example.org", theirs, None),
            ("", "no-reply@example.org", theirs, None),
            // Near misses are people.
            ("", human, "abc@not-referral-intake.invalid", None),
            ("", "abuse.prevention.team@example.org", theirs, None),
            ("", "rooter@example.org", theirs, None),
            ("Auto-Submitted: no\r\n", human, theirs, None),
        ];
        for (extra, from, mid, want) in cases {
            let e = msg(extra, from, mid);
            assert_eq!(automatic(&e, &own, domain), *want, "{extra} / {from} / {mid}");
        }
        // Without a configured domain a Message-ID decides nothing.
        let e = msg("", human, "0190-ack@referral-intake.invalid");
        assert_eq!(automatic(&e, &own, None), None);
    }
}
