//! Loop and flood protection on the way out (LESSONS takeaways 5 and 6).
//!
//! Inbound, [`crate::message::automatic`] keeps us from answering auto-replies, bounces and our
//! own mail. This stage adds what needs the store:
//! - **Bounces as data.** A bounce of our mail is read as a DSN ([`failed_recipients`]); each
//!   recipient we mailed that failed permanently (`Action: failed`, `Status: 5.x.x`) is
//!   suppressed for `[outbound] bounce_suppress_days`. The bounce itself stays `ignored` with
//!   reason `bounce`.
//! - **Suppression.** Acknowledgements and redirects to a suppressed address are not queued
//!   (and a row queued before the bounce arrived is withheld by the sender, see
//!   [`before_send`]). Forwards to team and review addresses are never suppressed: the
//!   referral must reach a person, so a bounce from one of those is logged at ERROR and mail
//!   keeps going to it.
//! - **Per-sender limit.** At most `[outbound] ack_limit_per_sender` replies to one address per
//!   `ack_limit_window_minutes`, counted from the outbox table (so it survives restarts and is
//!   shared by instances on one PostgreSQL store). Over the limit only the reply is withheld;
//!   the referral is stored and forwarded as usual.
//!
//! Both guards apply to live mail (read over IMAP). `replay` re-runs files offline and writes
//! what it would send; its output must not depend on what the store saw before.
//!
//! Logs and events name messages and outbox rows by id, and addresses only by a short hash.

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::message::failed_recipients;
use crate::pipeline::{Decision, EmailKind};
use crate::store::{EventKind, NewEvent, NewSuppression, PendingMail, Store, now_ms};

/// A short, stable, non-reversible tag for an address, for logs and events (correlating
/// repeated bounces or floods from one sender without writing the address down).
pub fn address_tag(address: &str) -> String {
    let h = Sha256::digest(address.trim().to_lowercase().as_bytes());
    hex::encode(h.get(..6).unwrap_or_default())
}

/// Whether `address` is one of the configured team or review addresses (never suppressed).
pub fn is_team_address(cfg: &Config, address: &str) -> bool {
    cfg.main.regions.values().any(|r| {
        r.team_address.eq_ignore_ascii_case(address.trim())
            || r.review_address.eq_ignore_ascii_case(address.trim())
    })
}

/// What a bounce means for the store: suppressions to record and one audit event.
#[derive(Debug, Default)]
pub struct BounceOutcome {
    pub suppressions: Vec<NewSuppression>,
    pub events: Vec<NewEvent>,
    /// Status codes of the permanent failures, for the log line.
    pub statuses: Vec<String>,
    /// Team or review addresses that bounced (tags): an operator must act.
    pub team_bounced: Vec<String>,
}

/// Reads a bounce and decides which recipients to suppress: permanent failures of addresses we
/// have mailed. Team and review addresses are recorded too (for the audit) but never suppressed
/// when sending.
pub async fn read_bounce(cfg: &Config, store: &Store, raw: &[u8]) -> Result<BounceOutcome> {
    let mut out = BounceOutcome::default();
    let days = cfg.main.outbound.bounce_suppress_days;
    let reported = failed_recipients(raw);
    let mut permanent = 0usize;
    for r in &reported {
        if !r.permanent() {
            continue;
        }
        permanent += 1;
        if !store.mailed(&r.address).await? {
            continue; // not about mail of ours: a forged or misdirected bounce suppresses nothing
        }
        let status = r.status.clone().unwrap_or_else(|| "5.0.0".into());
        out.statuses.push(status.clone());
        if is_team_address(cfg, &r.address) {
            out.team_bounced.push(address_tag(&r.address));
        }
        if days > 0 {
            out.suppressions.push(NewSuppression {
                address: r.address.clone(),
                status,
                until_ms: now_ms().saturating_add(i64::from(days).saturating_mul(86_400_000)),
            });
        }
    }
    let detail = serde_json::json!({
        "reported": reported.len(),
        "permanent": permanent,
        "suppressed": out.suppressions.len(),
        "statuses": out.statuses,
        "recipients": out.suppressions.iter().map(|s| address_tag(&s.address)).collect::<Vec<_>>(),
        "team_addresses": out.team_bounced,
    });
    out.events.push(NewEvent {
        kind: EventKind::Bounce,
        detail: detail.to_string(),
    });
    Ok(out)
}

/// What to do with one outbox row at send time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendCheck {
    Send,
    /// A reply not to send, with the reason code recorded on the row.
    Withhold(String),
    /// A forward to a team or review address that bounced permanently: it is sent anyway (the
    /// referral must reach a person) and an ERROR says the address needs fixing.
    SendDespiteBounce,
}

/// Whether a row may go, once its recipient's suppression is known (read with the row just
/// before sending, which catches replies queued before the bounce that suppressed it arrived).
fn check_suppressed(cfg: &Config, kind: EmailKind, to: &str, suppressed: bool) -> SendCheck {
    let forward = kind == EmailKind::Forward || is_team_address(cfg, to);
    if cfg.main.outbound.bounce_suppress_days == 0 || !suppressed {
        SendCheck::Send
    } else if forward {
        SendCheck::SendDespiteBounce
    } else {
        SendCheck::Withhold(SUPPRESSED.into())
    }
}

/// Reason code of a reply withheld because its recipient bounced.
pub const SUPPRESSED: &str = "suppressed_after_bounce";
/// Reason code of a reply withheld by the per-sender limit.
pub const SENDER_LIMIT: &str = "sender_limit";

/// The recipients of a message's replies (acknowledgements, redirects), in the order of its
/// planned emails: what [`withhold_replies`] needs looked up in the store
/// ([`Store::reply_facts`], or with the reference numbers in one round trip,
/// [`Store::reply_facts_and_references`]). Only a reply can be withheld (for a bounce, or the
/// per-sender limit): a forward is sent despite a bounce, so its recipient is not looked up here
/// (the sender's check logs it).
pub fn replies_to_guard(cfg: &Config, d: &Decision) -> Vec<String> {
    d.emails
        .iter()
        .filter(|e| is_reply(cfg, e))
        .map(|e| e.to.clone())
        .collect()
}

/// Where the per-sender window starts now (ms since the epoch): replies queued since then count.
pub fn reply_window_start(cfg: &Config) -> i64 {
    let minutes = i64::from(cfg.main.outbound.ack_limit_window_minutes);
    now_ms().saturating_sub(minutes.saturating_mul(60_000))
}

fn is_reply(cfg: &Config, e: &crate::pipeline::PlannedEmail) -> bool {
    e.kind != EmailKind::Forward && !is_team_address(cfg, &e.to)
}

/// Removes the replies (acknowledgements, redirects) a live message must not get, returning one
/// `reply_withheld` event per reply removed. Forwards are never touched. `facts` is the store's
/// answer for each recipient of [`replies_to_guard`], in its order: whether it is suppressed now
/// and how many replies were queued or sent to it since [`reply_window_start`]. (A reply without
/// an answer, which the two lists agreeing rules out, is kept.)
pub fn withhold_replies(cfg: &Config, d: &mut Decision, facts: &[(bool, i64)]) -> Vec<NewEvent> {
    let out_cfg = &cfg.main.outbound;
    let mut events = Vec::new();
    let mut keep: Vec<crate::pipeline::PlannedEmail> = Vec::with_capacity(d.emails.len());
    let mut answers = facts.iter();
    for e in std::mem::take(&mut d.emails) {
        let reply = is_reply(cfg, &e);
        let (suppressed, sent) = if reply {
            answers.next().copied().unwrap_or((false, 0))
        } else {
            (false, 0)
        };
        let reason = match check_suppressed(cfg, e.kind, &e.to, suppressed) {
            SendCheck::Withhold(r) if reply => Some(r),
            _ if reply && out_cfg.ack_limit_per_sender > 0 => {
                let queued_here = keep
                    .iter()
                    .filter(|k| k.kind != EmailKind::Forward && k.to.eq_ignore_ascii_case(&e.to))
                    .count();
                let sent = sent.saturating_add(i64::try_from(queued_here).unwrap_or(i64::MAX));
                (sent >= i64::from(out_cfg.ack_limit_per_sender)).then(|| SENDER_LIMIT.to_string())
            }
            _ => None,
        };
        match reason {
            Some(reason) => {
                let detail = serde_json::json!({
                    "kind": e.kind.code(),
                    "reason": reason,
                    "recipient": address_tag(&e.to),
                    "limit": out_cfg.ack_limit_per_sender,
                    "window_minutes": out_cfg.ack_limit_window_minutes,
                });
                events.push(NewEvent {
                    kind: EventKind::ReplyWithheld,
                    detail: detail.to_string(),
                });
            }
            None => keep.push(e),
        }
    }
    d.emails = keep;
    events
}

/// The sender's hook, run before each attempt: `false` when the row was withheld (marked
/// `withheld` with an event and a WARN line) and must not be sent.
pub async fn before_send(cfg: &Config, store: &Store, mail: &PendingMail) -> Result<bool> {
    // The suppression was read with the row, just before this attempt.
    match check_suppressed(cfg, mail.kind, &mail.recipient, mail.suppressed) {
        SendCheck::Send => Ok(true),
        SendCheck::SendDespiteBounce => {
            tracing::error!(
                outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                recipient_tag = %address_tag(&mail.recipient),
                "sending to a team/review address that bounced permanently; fix [regions] addresses"
            );
            Ok(true)
        }
        SendCheck::Withhold(reason) => {
            store.mark_withheld(&mail.id, &mail.message_id, &reason).await?;
            tracing::warn!(
                outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                reason = %reason, recipient_tag = %address_tag(&mail.recipient),
                "reply withheld: its recipient bounced permanently"
            );
            Ok(false)
        }
    }
}
