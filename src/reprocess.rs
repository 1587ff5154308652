//! `reprocess --dry-run`: decide stored messages again with today's rules, profiles and
//! catalogues, and show what would change — before an admin applies a profile fix.
//!
//! Each selected message's raw bytes are read from the store and go through the same stages as
//! `run` and `explain` ([`pipeline::extract`] on the blocking pool, bounded by the backstop, then
//! the facts screening needs ([`ingest::Facts`]) and [`pipeline::screen`]), as of the day the
//! message was received and for the inbox it came in. Nothing is written.
//!
//! Old and new referrals are paired per program in order (a message's referrals of one program
//! are numbered in the order they were decided). One JSON line per message goes to stdout.
//!
//! Not yet here (issue #11): applying the new decision (recording it beside the old one, and
//! sending the update email and the forward a changed outcome calls for).

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use sqlx::Row;

use crate::config::Config;
use crate::ingest::{Facts, run_bounded};
use crate::pipeline;
use crate::store::{Roster, Store, now_ms};

/// Which stored messages to decide again.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only messages received within this many milliseconds before now.
    pub since_ms: Option<i64>,
    /// Only messages with a referral of one of these outcomes, or (without referrals) of this
    /// disposition (`review`, `ignored`). Empty: every message but ignored ones.
    pub outcomes: Vec<String>,
}

/// One message's old and new decision.
#[derive(Debug, Serialize)]
pub struct Line {
    pub store_id: String,
    pub received: String,
    pub inbox: String,
    pub old_disposition: String,
    pub new_disposition: String,
    pub referrals: Vec<ReferralChange>,
    /// Any referral's outcome, or the message's disposition, differs.
    pub changed: bool,
    /// Why it could not be decided again (raw bytes purged, ...); nothing else is set then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One referral, before and after. `reference` is `null` for a referral the new decision finds
/// that the old one did not (it would get a new number); `new_outcome` is `null` for one the
/// new decision no longer finds.
#[derive(Debug, Serialize)]
pub struct ReferralChange {
    pub reference: Option<String>,
    pub program: String,
    pub old_outcome: Option<String>,
    pub new_outcome: Option<String>,
    pub old_reasons: serde_json::Value,
    pub new_reasons: serde_json::Value,
}

/// Parses `30m`, `24h`, `7d`, `2w` or `90s` into milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num
        .parse()
        .with_context(|| format!("--since {text}: expected a number and a unit, like 7d or 24h"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => bail!("--since {text}: unknown unit `{unit}`; use s, m, h, d or w (7d, 24h)"),
    };
    Ok(n.saturating_mul(secs).saturating_mul(1000))
}

/// Decides every selected message again and hands each [`Line`] to `out`, oldest first.
pub async fn dry_run(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    sel: &Selection,
    mut out: impl FnMut(&Line) -> Result<()>,
) -> Result<usize> {
    let since = sel.since_ms.map_or(i64::MIN, |d| now_ms().saturating_sub(d));
    let messages = sqlx::query(
        "SELECT id, received_ms, mailbox, inbox_region, disposition FROM messages
          WHERE received_ms >= $1 ORDER BY received_ms, id",
    )
    .bind(since)
    .fetch_all(store.pool())
    .await
    .context("selecting stored messages")?;
    let mut n = 0;
    for m in messages {
        let id: String = m.try_get(0)?;
        let received_ms: i64 = m.try_get(1)?;
        let mailbox: String = m.try_get(2)?;
        let inbox_region: String = m.try_get(3)?;
        let disposition: String = m.try_get(4)?;
        let old = old_referrals(store, &id).await?;
        let selected = if sel.outcomes.is_empty() {
            disposition != "ignored"
        } else if old.is_empty() {
            sel.outcomes.contains(&disposition)
        } else {
            old.iter().any(|r| sel.outcomes.contains(&r.outcome))
        };
        if !selected {
            continue;
        }
        let received = chrono::DateTime::from_timestamp_millis(received_ms)
            .map(|t| t.with_timezone(&chrono::Local))
            .context("a stored message has an impossible received time")?;
        let mut line = Line {
            store_id: id.clone(),
            received: received.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            inbox: mailbox.clone(),
            old_disposition: disposition.clone(),
            new_disposition: String::new(),
            referrals: Vec::new(),
            changed: false,
            error: None,
        };
        let raw = match store.raw_message(&id).await {
            Ok(r) => r.raw,
            Err(e) => {
                line.error = Some(format!("{e:#}"));
                out(&line)?;
                n += 1;
                continue;
            }
        };
        // As `run` decided it: for the inbox it came in (a replayed file had none), on the day
        // it was received.
        let region = (mailbox != "replay").then_some(inbox_region);
        let today = received.date_naive();
        let c = cfg.clone();
        let read = run_bounded(cfg.main.limits.backstop_time(), move || {
            pipeline::extract(&raw, &c, today, region.as_deref())
        })
        .await?;
        let Some(read) = read else {
            line.error = Some("deciding it again did not finish within the time limit".into());
            out(&line)?;
            n += 1;
            continue;
        };
        let facts = Facts::fetch(store, roster, &read.cins()).await?;
        let new = pipeline::screen(&read, &cfg, &facts);
        line.new_disposition = new.disposition.code().to_string();
        line.referrals = pair(&old, &new);
        line.changed = line.old_disposition != line.new_disposition
            || line.referrals.iter().any(|r| r.old_outcome != r.new_outcome);
        out(&line)?;
        n += 1;
    }
    Ok(n)
}

struct OldReferral {
    reference: String,
    program: String,
    outcome: String,
    reasons: String,
}

async fn old_referrals(store: &Store, message_id: &str) -> Result<Vec<OldReferral>> {
    let rows = sqlx::query(
        "SELECT reference, program, outcome, reasons FROM referrals WHERE message_id = $1 ORDER BY reference",
    )
    .bind(message_id)
    .fetch_all(store.pool())
    .await
    .context("reading a message's referrals")?;
    rows.iter()
        .map(|r| {
            Ok(OldReferral {
                reference: r.try_get(0)?,
                program: r.try_get(1)?,
                outcome: r.try_get(2)?,
                reasons: r.try_get(3)?,
            })
        })
        .collect()
}

/// Pairs old and new referrals program by program, in order.
fn pair(old: &[OldReferral], new: &pipeline::Decision) -> Vec<ReferralChange> {
    let mut out = Vec::new();
    let mut programs: Vec<String> = old.iter().map(|r| r.program.clone()).collect();
    programs.extend(new.referrals.iter().map(|r| r.program.code().to_string()));
    programs.dedup();
    let mut seen = std::collections::BTreeSet::new();
    for p in programs {
        if !seen.insert(p.clone()) {
            continue;
        }
        let olds: Vec<&OldReferral> = old.iter().filter(|r| r.program == p).collect();
        let news: Vec<&pipeline::ReferralDecision> =
            new.referrals.iter().filter(|r| r.program.code() == p).collect();
        for i in 0..olds.len().max(news.len()) {
            let o = olds.get(i);
            let n = news.get(i);
            out.push(ReferralChange {
                reference: o.map(|o| o.reference.clone()),
                program: p.clone(),
                old_outcome: o.map(|o| o.outcome.clone()),
                new_outcome: n.map(|n| n.outcome.code().to_string()),
                old_reasons: o
                    .and_then(|o| serde_json::from_str(&o.reasons).ok())
                    .unwrap_or(serde_json::Value::Null),
                new_reasons: n
                    .and_then(|n| serde_json::to_value(&n.reasons).ok())
                    .unwrap_or(serde_json::Value::Null),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse_duration_ms("90s").ok(), Some(90_000));
        assert_eq!(parse_duration_ms("24h").ok(), Some(86_400_000));
        assert_eq!(parse_duration_ms("7d").ok(), Some(604_800_000));
        assert_eq!(parse_duration_ms("2w").ok(), Some(1_209_600_000));
        assert!(parse_duration_ms("7").is_err());
        assert!(parse_duration_ms("d").is_err());
        assert!(parse_duration_ms("7 days").is_err());
    }
}
