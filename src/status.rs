//! `status REFERENCE`: what happened to one referral, for the person answering the phone line.
//!
//! The reference is looked up as a referral's reference number (`ECM-NCAL-2026-000123`), then a
//! stored message's id, then the email's Message-ID (with or without `<>`). The answer covers the
//! whole message it belongs to: when and where it was received, its disposition and reasons, each
//! referral's outcome and reasons, every email
//! planned with its delivery state (sent, retrying with the last SMTP answer, failed, withheld),
//! and the IMAP folder it was filed in. A quarantined message (failed every attempt) says so.
//! Decisions `reprocess` replaced are listed with when they were replaced.
//!
//! Read-only. The output holds what the store holds about the message (the recipient of each
//! email included), never the member's fields: those stay in the store and the forward.

use anyhow::{Context as _, Result};
use serde::Serialize;
use sqlx::Row;

use crate::store::{EarlierDecision, Store};

/// One message's story.
#[derive(Debug, Serialize)]
pub struct Status {
    /// What was asked for.
    pub query: String,
    /// How it was found: `reference`, `store_id` or `message_id`.
    pub matched_by: &'static str,
    pub message: MessageStatus,
    pub referrals: Vec<ReferralStatus>,
    /// Decisions `reprocess` replaced, oldest first (empty when it never changed one).
    pub earlier_decisions: Vec<EarlierDecision>,
    pub emails: Vec<EmailStatus>,
}

/// The stored message.
#[derive(Debug, Serialize)]
pub struct MessageStatus {
    pub store_id: String,
    pub received: String,
    /// The watched mailbox (`address/folder`), or `replay`.
    pub inbox: String,
    pub inbox_region: String,
    pub message_id: Option<String>,
    pub disposition: String,
    pub programs: serde_json::Value,
    pub reasons: serde_json::Value,
    /// Failed every attempt and was kept for review with this error.
    pub quarantined: Option<String>,
    /// The IMAP folder it is filed in, and whether the server confirmed the move.
    pub folder: Option<String>,
    pub filed: Option<bool>,
}

/// One referral of the message.
#[derive(Debug, Serialize)]
pub struct ReferralStatus {
    pub reference: String,
    pub program: String,
    pub region: Option<String>,
    pub outcome: String,
    pub reasons: serde_json::Value,
    /// The reference asked for is this one (a batch message has several).
    pub asked: bool,
}

/// One email planned for the message.
#[derive(Debug, Serialize)]
pub struct EmailStatus {
    pub kind: String,
    pub to: String,
    pub reference: String,
    /// `sent`, `retrying`, `pending` (not tried yet), `failed`, `withheld` or `discarded`.
    pub state: String,
    pub attempts: i64,
    /// The last SMTP answer or error (for `retrying` and `failed`), or why it was withheld.
    pub last_error: Option<String>,
    pub queued: String,
    pub sent: Option<String>,
    /// When a `retrying` email is tried next.
    pub next_attempt: Option<String>,
}

/// No message matches the reference.
#[derive(Debug, thiserror::Error)]
#[error(
    "no referral, stored message or Message-ID `{0}` in the store; check the reference (e.g. ECM-NCAL-2026-000123)"
)]
pub struct NotFound(pub String);

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
        .unwrap_or_else(|| ms.to_string())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

/// Looks `query` up (see the module docs); [`NotFound`] when nothing matches.
pub async fn status(store: &Store, query: &str) -> Result<Status> {
    let q = query.trim();
    let bare = q.trim_start_matches('<').trim_end_matches('>');
    let pool = store.pool();
    let by_ref = sqlx::query("SELECT message_id FROM referrals WHERE reference = $1")
        .bind(q.to_ascii_uppercase())
        .fetch_optional(pool)
        .await
        .context("looking up the reference")?;
    let (id, matched_by) = if let Some(r) = by_ref {
        (r.try_get::<String, _>(0)?, "reference")
    } else if let Some(r) = sqlx::query("SELECT id FROM messages WHERE id = $1")
        .bind(q)
        .fetch_optional(pool)
        .await
        .context("looking up the store id")?
    {
        (r.try_get::<String, _>(0)?, "store_id")
    } else if let Some(r) = sqlx::query(
        "SELECT id FROM messages WHERE rfc_message_id = $1 OR rfc_message_id = $2
           ORDER BY received_ms LIMIT 1",
    )
    .bind(bare)
    .bind(format!("<{bare}>"))
    .fetch_optional(pool)
    .await
    .context("looking up the Message-ID")?
    {
        (r.try_get::<String, _>(0)?, "message_id")
    } else {
        return Err(NotFound(q.to_string()).into());
    };

    let m = sqlx::query(
        "SELECT id, received_ms, mailbox, inbox_region, rfc_message_id, disposition, programs,
                reasons, summary
           FROM messages WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(pool)
    .await
    .context("reading the message")?;
    let summary = json(&m.try_get::<String, _>(8)?);
    let filed = sqlx::query(
        "SELECT folder, filed_ms FROM mailbox_uids WHERE message_id = $1 ORDER BY created_ms LIMIT 1",
    )
    .bind(&id)
    .fetch_optional(pool)
    .await
    .context("reading where the message was filed")?;
    let (folder, filed) = match filed {
        Some(r) => (
            Some(r.try_get::<String, _>(0)?),
            Some(r.try_get::<Option<i64>, _>(1)?.is_some()),
        ),
        None => (None, None),
    };
    let message = MessageStatus {
        store_id: m.try_get(0)?,
        received: time(m.try_get(1)?),
        inbox: m.try_get(2)?,
        inbox_region: m.try_get(3)?,
        message_id: m.try_get(4)?,
        disposition: m.try_get(5)?,
        programs: json(&m.try_get::<String, _>(6)?),
        reasons: json(&m.try_get::<String, _>(7)?),
        quarantined: summary
            .get("quarantined")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        folder,
        filed,
    };

    let mut referrals = Vec::new();
    for r in sqlx::query(
        "SELECT reference, program, region, outcome, reasons FROM referrals
          WHERE message_id = $1 ORDER BY reference",
    )
    .bind(&id)
    .fetch_all(pool)
    .await
    .context("reading the referrals")?
    {
        let reference: String = r.try_get(0)?;
        referrals.push(ReferralStatus {
            asked: reference.eq_ignore_ascii_case(q),
            reference,
            program: r.try_get(1)?,
            region: r.try_get(2)?,
            outcome: r.try_get(3)?,
            reasons: json(&r.try_get::<String, _>(4)?),
        });
    }

    let mut emails = Vec::new();
    for e in sqlx::query(
        "SELECT kind, recipient, reference, status, attempts, last_error, created_ms, sent_ms,
                next_attempt_ms
           FROM outbox WHERE message_id = $1 ORDER BY created_ms, id",
    )
    .bind(&id)
    .fetch_all(pool)
    .await
    .context("reading the emails")?
    {
        let status: String = e.try_get(3)?;
        let attempts: i64 = e.try_get(4)?;
        let retrying = status == "pending" && attempts > 0;
        let state = match status.as_str() {
            "pending" if retrying => "retrying".to_string(),
            _ => status,
        };
        emails.push(EmailStatus {
            kind: e.try_get(0)?,
            to: e.try_get(1)?,
            reference: e.try_get(2)?,
            attempts,
            last_error: e.try_get(5)?,
            queued: time(e.try_get(6)?),
            sent: e.try_get::<Option<i64>, _>(7)?.map(time),
            next_attempt: retrying.then(|| e.try_get::<i64, _>(8).map(time)).transpose()?,
            state,
        });
    }
    let earlier_decisions = store.earlier_decisions(&id).await?;
    Ok(Status {
        query: q.to_string(),
        matched_by,
        message,
        referrals,
        earlier_decisions,
        emails,
    })
}

/// The human table: what someone on the phone reads out.
pub fn table(s: &Status) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let m = &s.message;
    let list = |v: &serde_json::Value| match v.as_array() {
        Some(a) if a.is_empty() => "-".to_string(),
        Some(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        None => v.to_string(),
    };
    let _ = writeln!(out, "Message      {} (found by {})", m.store_id, s.matched_by);
    let _ = writeln!(out, "Received     {}", m.received);
    let _ = writeln!(out, "Inbox        {} ({})", m.inbox, m.inbox_region);
    if let Some(id) = &m.message_id {
        let _ = writeln!(out, "Message-ID   {id}");
    }
    let _ = writeln!(out, "Disposition  {}", m.disposition);
    let _ = writeln!(out, "Programs     {}", list(&m.programs));
    let _ = writeln!(out, "Reasons      {}", list(&m.reasons));
    if let Some(q) = &m.quarantined {
        let _ = writeln!(out, "QUARANTINED  failed every attempt; kept for review: {q}");
    }
    let _ = writeln!(
        out,
        "IMAP folder  {}",
        match (&m.folder, m.filed) {
            (Some(f), Some(true)) => f.clone(),
            (Some(f), _) => format!("{f} (move not yet confirmed)"),
            _ => "-".into(),
        }
    );
    let _ = writeln!(out, "\nReferrals");
    if s.referrals.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for r in &s.referrals {
        let mark = if r.asked { "*" } else { " " };
        let _ = writeln!(
            out,
            "{mark} {:<22} {:<4} {:<6} {:<13} {}",
            r.reference,
            r.program,
            r.region.as_deref().unwrap_or("-"),
            r.outcome,
            list(&r.reasons)
        );
    }
    if !s.earlier_decisions.is_empty() {
        let _ = writeln!(out, "\nEarlier decisions (replaced by reprocess)");
        for d in &s.earlier_decisions {
            let _ = writeln!(
                out,
                "  {:<22} {:<13} -> {:<13} {}  was: {}",
                d.reference,
                d.old_outcome.as_deref().unwrap_or("(new)"),
                d.new_outcome,
                time(d.replaced_ms),
                list(&d.old_reasons)
            );
        }
    }
    let _ = writeln!(out, "\nEmails");
    if s.emails.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for e in &s.emails {
        let when = match e.state.as_str() {
            "sent" => e.sent.clone().unwrap_or_default(),
            "retrying" => format!(
                "attempt {}, next {}",
                e.attempts,
                e.next_attempt.as_deref().unwrap_or("-")
            ),
            _ => format!("queued {}", e.queued),
        };
        let _ = writeln!(
            out,
            "  {:<8} {:<9} {:<22} {}  {}",
            e.kind, e.state, e.reference, e.to, when
        );
        if let (Some(err), true) = (&e.last_error, e.state != "sent") {
            let _ = writeln!(out, "           last answer: {err}");
        }
    }
    out
}
