//! Delivery status notifications: which recipients a bounce reports as failed, and how.
//!
//! A bounce of one of our acknowledgements tells us the sender's address is dead; answering it
//! again only makes more bounces (LESSONS takeaway 6). This stage reads, from a message that
//! [`super::automatic`] already called a bounce:
//! - RFC 3464 `message/delivery-status` parts (and RFC 6533 `message/global-delivery-status`,
//!   whose addresses may be UTF-8): one entry per per-recipient block, with its `Action` and
//!   `Status`;
//! - the common non-standard mailer-daemon bounces: an `X-Failed-Recipients` header (Exim and
//!   others), or a text body saying "the following address(es) failed" (Exim) or "I wasn't able
//!   to deliver your message to the following addresses" (qmail), with the status code taken from
//!   the body when one is there.
//!
//! Only [`FailedRecipient::permanent`] entries (`Action: failed` with a `5.x.x` status) suppress
//! a recipient; delays (`delayed`, `4.x.x`) never do. Nothing here is logged: addresses are the
//! caller's to keep out of logs.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// Most recipients read from one bounce (a hostile message could list thousands).
const MAX_RECIPIENTS: usize = 100;

/// One recipient a bounce reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    /// The address, lowercased, without angle brackets.
    pub address: String,
    /// `Action` (RFC 3464 §2.3.3), lowercased: `failed`, `delayed`, `delivered`, `relayed`,
    /// `expanded`; `failed` for non-standard bounces that report a failure.
    pub action: String,
    /// The enhanced status code (RFC 3463), e.g. `5.1.1`; `None` when the bounce gives none.
    pub status: Option<String>,
}

impl FailedRecipient {
    /// A permanent failure: `Action: failed` and a `5.x.x` status (a failure without any status
    /// code counts as permanent: mailer daemons that give none report final failures).
    pub fn permanent(&self) -> bool {
        self.action == "failed" && self.status.as_deref().is_none_or(|s| s.starts_with('5'))
    }
}

/// The recipients a bounce reports on, at most [`MAX_RECIPIENTS`], each address once (the first
/// report wins). Returns an empty list when nothing can be read.
pub fn failed_recipients(raw: &[u8]) -> Vec<FailedRecipient> {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Vec::new();
    };
    let mut out: Vec<FailedRecipient> = Vec::new();
    let push = |r: FailedRecipient, out: &mut Vec<FailedRecipient>| {
        if out.len() < MAX_RECIPIENTS && !out.iter().any(|o| o.address == r.address) {
            out.push(r);
        }
    };

    // RFC 3464 / RFC 6533 machine-readable parts.
    let mut standard = false;
    for part in &msg.parts {
        let is_dsn = part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("delivery-status")
                        || s.eq_ignore_ascii_case("global-delivery-status")
                })
        });
        if !is_dsn {
            continue;
        }
        let bytes: &[u8] = match &part.body {
            PartType::Text(t) => t.as_bytes(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            PartType::Html(h) => h.as_bytes(),
            _ => continue,
        };
        for r in delivery_status(&String::from_utf8_lossy(bytes)) {
            standard = true;
            push(r, &mut out);
        }
    }
    if standard {
        return out;
    }

    // Non-standard: the status code, if any, comes from the human-readable text.
    let body: String = msg
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            PartType::Text(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let status = status_in_text(&body);
    let action = if status.as_deref().is_some_and(|s| s.starts_with('4')) {
        "delayed"
    } else {
        "failed"
    };
    let make = |address: String| FailedRecipient {
        address,
        action: action.to_string(),
        status: status.clone(),
    };
    if let Some(list) = msg.header_raw("X-Failed-Recipients") {
        for a in list.split(',').filter_map(clean_address) {
            push(make(a), &mut out);
        }
    }
    for a in body_listed_addresses(&body) {
        push(make(a), &mut out);
    }
    out
}

/// Parses the body of a `message/delivery-status` part: per-message fields, then one block of
/// per-recipient fields per recipient, blocks separated by blank lines (RFC 3464 §2.1).
fn delivery_status(text: &str) -> Vec<FailedRecipient> {
    let mut out = Vec::new();
    for block in blocks(text) {
        let mut recipient = None;
        let mut original = None;
        let mut action = None;
        let mut status = None;
        for (name, value) in block {
            match name.as_str() {
                "final-recipient" => recipient = typed_address(&value),
                "original-recipient" => original = typed_address(&value),
                "action" => action = value.split_whitespace().next().map(str::to_ascii_lowercase),
                "status" => status = status_code(&value),
                _ => {}
            }
        }
        if let (Some(address), Some(action)) = (recipient.or(original), action) {
            out.push(FailedRecipient {
                address,
                action,
                status,
            });
        }
    }
    out
}

/// Splits header-style text into blocks of `(lowercased name, unfolded value)` fields.
fn blocks(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut block: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !block.is_empty() {
                out.push(std::mem::take(&mut block));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = block.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            block.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    if !block.is_empty() {
        out.push(block);
    }
    out
}

/// `rfc822; user@example.org` or RFC 6533's `utf-8; user@example.org` → the address.
fn typed_address(value: &str) -> Option<String> {
    let (kind, addr) = value.split_once(';')?;
    let kind = kind.trim().to_ascii_lowercase();
    if kind != "rfc822" && kind != "utf-8" {
        return None;
    }
    let addr = if kind == "utf-8" {
        decode_utf8_address(addr)
    } else {
        addr.to_string()
    };
    clean_address(&addr)
}

/// RFC 6533 `utf-8-addr-unitext`/`-xtext`: `\x{HEX}` escapes stand for code points.
fn decode_utf8_address(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\\x{") {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 3..).unwrap_or_default();
        match after.find('}').and_then(|end| {
            let cp = u32::from_str_radix(after.get(..end)?, 16).ok()?;
            Some((char::from_u32(cp)?, end))
        }) {
            Some((c, end)) => {
                out.push(c);
                rest = after.get(end + 1..).unwrap_or_default();
            }
            None => {
                out.push_str("\\x{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A bare address, lowercased, when `s` looks like one (`<a@b>`, `a@b`, `"a@b":`).
fn clean_address(s: &str) -> Option<String> {
    let a = s
        .trim()
        .trim_matches(|c: char| c == '<' || c == '>' || c == '"' || c == ':' || c == ',' || c == ';')
        .trim();
    let (local, domain) = a.rsplit_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !a.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && a.len() <= 254;
    ok.then(|| a.to_lowercase())
}

/// The first RFC 3463 status code (`5.1.1`) in a `Status:` value.
fn status_code(value: &str) -> Option<String> {
    value.split_whitespace().find_map(|t| {
        let t = t.trim_matches(|c: char| !c.is_ascii_digit() && c != '.');
        let mut parts = t.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        let digits =
            |p: &str, max: usize| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit());
        (parts.next().is_none()
            && matches!(class, "2" | "4" | "5")
            && digits(subject, 3)
            && digits(detail, 3))
        .then(|| t.to_string())
    })
}

/// The first enhanced status code mentioned in human-readable bounce text.
fn status_in_text(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .find_map(|w| status_code(w.trim_end_matches(['.', ':'])))
}

/// Addresses listed after the phrases Exim and qmail use in their bounce text.
fn body_listed_addresses(body: &str) -> Vec<String> {
    const INTROS: [&str; 4] = [
        "following address(es) failed",
        "following addresses failed",
        "wasn't able to deliver your message to the following addresses",
        "could not be delivered to the following recipient",
    ];
    let lower = body.to_lowercase();
    let Some(start) = INTROS
        .iter()
        .filter_map(|p| lower.find(p).map(|i| i + p.len()))
        .min()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The list follows within a few lines (qmail puts a sentence first); it ends at the first
    // blank line after it began.
    let mut started = false;
    for (n, line) in body.get(start..).unwrap_or_default().lines().skip(1).enumerate() {
        let t = line.trim();
        if t.is_empty() {
            if started {
                break;
            }
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or_default();
        if let Some(a) = clean_address(first) {
            started = true;
            out.push(a);
        } else if !started && n >= 6 {
            break;
        }
        if out.len() >= MAX_RECIPIENTS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dsn(fields: &str) -> String {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: ncal@example.test\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"D\"\r\n\r\n\
             --D\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered. 4.4.1 is not it.\r\n\
             --D\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; mx.example.org\r\nArrival-Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\n\
             {fields}\r\n\
             --D\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Referral received\r\n\
             X-Referral-Intake: ack\r\n\r\n--D--\r\n"
        )
    }

    #[test]
    fn rfc3464_permanent_failure() {
        let raw = dsn(
            "Final-Recipient: rfc822; Gone@Example.ORG\r\nOriginal-Recipient: rfc822;gone@example.org\r\n\
                       Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n",
        );
        let r = failed_recipients(raw.as_bytes());
        assert_eq!(
            r,
            vec![FailedRecipient {
                address: "gone@example.org".into(),
                action: "failed".into(),
                status: Some("5.1.1".into()),
            }]
        );
        assert!(r.iter().all(FailedRecipient::permanent));
    }

    #[test]
    fn rfc3464_delay_and_mixed_recipients() {
        let raw = dsn(
            "Final-Recipient: rfc822; slow@example.org\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n\
                       Final-Recipient: rfc822; <dead@example.org>\r\nAction: Failed\r\nStatus: 5.2.1 (mailbox disabled)\r\n\r\n\
                       Final-Recipient: rfc822; odd@example.org\r\nAction: failed\r\nStatus: 4.2.2\r\n",
        );
        let r = failed_recipients(raw.as_bytes());
        let summary: Vec<(&str, bool)> = r.iter().map(|f| (f.address.as_str(), f.permanent())).collect();
        assert_eq!(
            summary,
            vec![
                ("slow@example.org", false),
                ("dead@example.org", true),
                // `failed` with a 4.x.x status is contradictory; a transient code never suppresses.
                ("odd@example.org", false),
            ]
        );
    }

    #[test]
    fn rfc6533_global_delivery_status_with_utf8_address() {
        let raw = "From: MAILER-DAEMON@mx.example.org\r\nSubject: Undeliverable\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/report; report-type=global-delivery-status; boundary=\"G\"\r\n\r\n\
                   --G\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n\
                   --G\r\nContent-Type: message/global-delivery-status\r\n\r\n\
                   Reporting-MTA: dns; mx.example.org\r\n\r\n\
                   Final-Recipient: utf-8; J\\x{00F6}rg@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--G--\r\n";
        let r = failed_recipients(raw.as_bytes());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].address, "jörg@example.org");
        assert!(r[0].permanent());
    }

    #[test]
    fn exim_style_bounce_without_a_dsn_part() {
        let raw = "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\n\
                   X-Failed-Recipients: gone@example.org\r\nSubject: Mail delivery failed: returning message to sender\r\n\r\n\
                   This message was created automatically by mail delivery software.\r\n\r\n\
                   A message that you sent could not be delivered to one or more of its\r\n\
                   recipients. This is a permanent error. The following address(es) failed:\r\n\r\n\
                     gone@example.org\r\n    host mx.example.org [192.0.2.1]\r\n\
                       SMTP error from remote mail server after RCPT TO:<gone@example.org>:\r\n\
                       550 5.1.1 No such user here\r\n\r\n------ This is a copy of the message ------\r\n";
        let r = failed_recipients(raw.as_bytes());
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].address, "gone@example.org");
        assert_eq!(r[0].status.as_deref(), Some("5.1.1"));
        assert!(r[0].permanent());
    }

    #[test]
    fn body_phrase_alone_and_qmail() {
        let exim = "From: MAILER-DAEMON@mx.example.org\r\nSubject: Mail delivery failed\r\n\r\n\
                    The following address(es) failed:\r\n\r\n  first@example.org\r\n  second@example.org\r\n\r\nrest\r\n";
        let r = failed_recipients(exim.as_bytes());
        let a: Vec<&str> = r.iter().map(|f| f.address.as_str()).collect();
        assert_eq!(a, vec!["first@example.org", "second@example.org"]);
        assert!(r.iter().all(FailedRecipient::permanent));

        let qmail = "From: MAILER-DAEMON@mx.example.org\r\nSubject: failure notice\r\n\r\n\
                     Hi. This is the qmail-send program at mx.example.org.\r\n\
                     I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\
                     This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n\
                     <gone@example.org>:\r\n192.0.2.1 does not like recipient.\r\n\
                     Remote host said: 550 5.1.1 unknown user\r\n";
        let r = failed_recipients(qmail.as_bytes());
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].address, "gone@example.org");
        assert!(r[0].permanent());
    }

    #[test]
    fn a_delay_warning_without_dsn_is_not_permanent() {
        let raw = "From: MAILER-DAEMON@mx.example.org\r\nX-Failed-Recipients: slow@example.org\r\n\
                   Subject: Warning: message delayed\r\n\r\nStill trying; 4.4.1 connection timed out.\r\n";
        let r = failed_recipients(raw.as_bytes());
        assert_eq!(r.len(), 1);
        assert!(!r[0].permanent());
    }

    #[test]
    fn garbage_gives_nothing_and_never_panics() {
        for raw in [
            "",
            "From: x\r\n\r\n",
            "Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822;\r\nAction:\r\n",
            "From: a@b.c\r\nX-Failed-Recipients: not an address, ,<>\r\n\r\nfollowing address(es) failed:\r\n",
        ] {
            let r = failed_recipients(raw.as_bytes());
            assert!(r.is_empty(), "{raw:?} -> {r:?}");
        }
        assert_eq!(decode_utf8_address("a\\x{zz}b"), "a\\x{zz}b");
        assert_eq!(status_code("5.1.1"), Some("5.1.1".into()));
        assert_eq!(status_code("550"), None);
        assert_eq!(status_code("5.1.1.1"), None);
    }
}
