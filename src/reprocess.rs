//! `reprocess`: decide stored messages again with today's rules, profiles and catalogues — with
//! `--dry-run` to show what would change before an admin applies a profile fix, without it to
//! apply the change.
//!
//! Each selected message's raw bytes are read from the store and go through the same stages as
//! `run` and `explain` ([`pipeline::extract`] on the blocking pool, bounded by the backstop, then
//! the facts screening needs ([`ingest::Facts`], leaving out the message's own referrals, as when
//! it was first decided) and [`pipeline::screen`]), as of the day the message was received and
//! for the inbox it came in. Quarantined messages are decided again the same way.
//!
//! Old and new referrals are paired per program in order (a message's referrals of one program
//! are numbered in the order they were decided). One JSON line per message goes to stdout.
//!
//! Applying ([`Mode::Apply`]) writes, per message whose decision changed, in one transaction
//! ([`Store::apply_redecision`]): each changed referral's new outcome, reasons and fields on its
//! row (the reference number stays), the decision it replaces in `decisions`, the message's new
//! disposition, and the emails the change calls for — an `update` to the sender where the
//! normal path would acknowledge (an acknowledgement when the sender was told nothing yet, as
//! for a quarantined message), and the forwards and redirects the new outcomes require, each
//! covering only the changed referrals. An unchanged decision writes and sends nothing. The
//! emails are queued in the outbox for the daemon's sender (`run`); a replayed message's are
//! recorded `discarded`, as `replay` records its own. A new decision that no longer finds a
//! stored referral is not applied: a person looks at it.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use chrono::Datelike as _;
use serde::Serialize;
use sqlx::Row;

use crate::config::Config;
use crate::ingest::{Facts, run_bounded};
use crate::model::EmailKind;
use crate::outbox;
use crate::pipeline::{self, Decision, PlannedEmail};
use crate::store::{Earlier, OutboxStatus, Redecided, RedecidedReferral, Roster, Store, now_ms};

/// Which stored messages to decide again.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only messages received within this many milliseconds before now.
    pub since_ms: Option<i64>,
    /// Only messages with a referral of one of these outcomes, or (without referrals) of this
    /// disposition (`review`, `ignored`). Empty: every message but ignored ones.
    pub outcomes: Vec<String>,
}

/// Show what would change, or apply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    DryRun,
    Apply,
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
    /// Applying: whether the new decision was written (`false` for an unchanged one, and for a
    /// change left for a person, see `not_applied`). Absent on a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    /// Why a changed decision was not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<String>,
    /// The emails the applied change queued, with the status they were written with
    /// (`pending`: the daemon's sender sends them; `discarded`: a replayed message's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<QueuedEmail>,
    /// Why it could not be decided again (raw bytes purged, ...); nothing else is set then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Applying this message's change failed (`not_applied` says why): the command ends with
    /// exit status 1.
    #[serde(skip)]
    pub failed: bool,
}

/// One email queued by an applied change.
#[derive(Debug, Serialize)]
pub struct QueuedEmail {
    pub kind: EmailKind,
    pub to: String,
    pub reference: String,
    pub status: &'static str,
}

/// One referral, before and after. `reference` is `null` for a referral the new decision finds
/// that the old one did not (on a dry run; applying gives it a new number); `new_outcome` is
/// `null` for one the new decision no longer finds.
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

/// Decides every selected message again (and with [`Mode::Apply`] applies each changed
/// decision) and hands each [`Line`] to `out`, oldest first. Returns how many lines.
pub async fn reprocess(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    sel: &Selection,
    mode: Mode,
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
            applied: None,
            not_applied: None,
            emails: Vec::new(),
            error: None,
            failed: false,
        };
        let raw = match store.raw_message(&id).await {
            Ok(r) => Arc::new(r.raw),
            Err(e) => {
                line.error = Some(format!("{e:#}"));
                out(&line)?;
                n += 1;
                continue;
            }
        };
        // As `run` decided it: for the inbox it came in (a replayed file had none), on the day
        // it was received.
        let replayed = mailbox == "replay";
        let region = (!replayed).then_some(inbox_region);
        let today = received.date_naive();
        let c = cfg.clone();
        let raw2 = raw.clone();
        let read = run_bounded(cfg.main.limits.backstop_time(), move || {
            pipeline::extract(&raw2, &c, today, region.as_deref())
        })
        .await?;
        let Some(read) = read else {
            line.error = Some("deciding it again did not finish within the time limit".into());
            out(&line)?;
            n += 1;
            continue;
        };
        let facts = Facts::fetch_besides(store, roster, &read.cins(), Some(&id)).await?;
        let new = pipeline::screen(&read, &cfg, &facts);
        let pairs = pairs(&old, &new);
        line.new_disposition = new.disposition.code().to_string();
        line.referrals = changes(&pairs, &old, &new);
        line.changed = line.old_disposition != line.new_disposition
            || line.referrals.iter().any(|r| r.old_outcome != r.new_outcome);
        if mode == Mode::Apply {
            line.applied = Some(false);
            if line.changed {
                let status = if replayed {
                    OutboxStatus::Discarded
                } else {
                    OutboxStatus::Pending
                };
                let target = Target {
                    message_id: &id,
                    year: received.year(),
                    status,
                };
                // One message that cannot be applied (its mail cannot be composed, another
                // `reprocess` changed it meanwhile) is reported and the rest go on; nothing of
                // it was written (one transaction).
                if let Err(e) = apply(&cfg, store, &target, &old, &new, &pairs, &read, &raw, &mut line).await
                {
                    line.applied = Some(false);
                    line.emails.clear();
                    line.failed = true;
                    line.not_applied = Some(format!("applying failed: {e:#}"));
                }
            }
        }
        out(&line)?;
        n += 1;
    }
    Ok(n)
}

/// The stored message a change is applied to.
struct Target<'a> {
    message_id: &'a str,
    /// The year it was received in: a new referral's number is of that year's series.
    year: i32,
    /// What its emails are written with.
    status: OutboxStatus,
}

/// Applies one message's changed decision (see the module docs) and records in `line` what was
/// done.
#[allow(clippy::too_many_arguments)]
async fn apply(
    cfg: &Config,
    store: &Store,
    target: &Target<'_>,
    old: &[OldReferral],
    new: &Decision,
    pairs: &[(Option<usize>, Option<usize>)],
    read: &pipeline::Extracted,
    raw: &[u8],
    line: &mut Line,
) -> Result<()> {
    if pairs.iter().any(|(o, n)| o.is_some() && n.is_none()) {
        line.not_applied =
            Some("the new decision no longer finds every stored referral; left as it is for a person".into());
        return Ok(());
    }
    // Each new referral's stored counterpart, and whether its outcome changed.
    let mut earlier: Vec<Option<&OldReferral>> = vec![None; new.referrals.len()];
    for (o, n) in pairs {
        if let (Some(o), Some(n)) = (o, n)
            && let Some(slot) = earlier.get_mut(*n)
        {
            *slot = old.get(*o);
        }
    }
    let changed: BTreeSet<usize> = new
        .referrals
        .iter()
        .zip(&earlier)
        .enumerate()
        .filter(|(_, (r, e))| e.is_none_or(|e| e.outcome != r.outcome.code()))
        .map(|(i, _)| i)
        .collect();
    // Numbers for referrals found for the first time, from the series of the year received.
    let fresh: Vec<String> = new
        .referrals
        .iter()
        .zip(&earlier)
        .filter(|(_, e)| e.is_none())
        .map(|(r, _)| outbox::referral_prefix(r, target.year))
        .collect();
    let mut fresh_refs = if fresh.is_empty() {
        Vec::new()
    } else {
        store
            .reserve_references(&fresh, &outbox::message_prefix(&new.inbox_region, target.year))
            .await?
            .0
    }
    .into_iter();
    let mut refs = Vec::with_capacity(new.referrals.len());
    for e in &earlier {
        refs.push(match e {
            Some(e) => e.reference.clone(),
            None => fresh_refs.next().context("a reference number was not reserved")?,
        });
    }
    // The normal path's emails, cut down to the changed referrals; the acknowledgement becomes
    // an update of what the sender was told (it stays an acknowledgement when every referral
    // in it is new: a quarantined message's sender was told nothing). A message-level email
    // (no referrals) is not sent again.
    let mut d = new.clone();
    d.emails = new
        .emails
        .iter()
        .filter_map(|p| {
            let referrals: Vec<usize> = p
                .referrals
                .iter()
                .copied()
                .filter(|i| changed.contains(i))
                .collect();
            let told = referrals
                .iter()
                .any(|i| earlier.get(*i).is_some_and(Option::is_some));
            let kind = match p.kind {
                EmailKind::Ack if told => EmailKind::Update,
                k => k,
            };
            (!referrals.is_empty()).then(|| PlannedEmail {
                kind,
                referrals,
                ..p.clone()
            })
        })
        .collect();
    let msg_ref = refs.first().cloned().unwrap_or_default();
    let composed = outbox::compose(cfg, &d, read.email.as_ref(), raw, &refs, &msg_ref)
        .context("composing the emails of the new decision")?;
    let mut referrals = Vec::new();
    for i in &changed {
        let (Some(r), Some(reference)) = (new.referrals.get(*i), refs.get(*i)) else {
            continue;
        };
        referrals.push(RedecidedReferral {
            earlier: earlier.get(*i).copied().flatten().map(|e| Earlier {
                referral_id: e.id.clone(),
                outcome: e.outcome.clone(),
                reasons_json: e.reasons.clone(),
                fields_json: e.fields.clone(),
            }),
            new: crate::ingest::referral_row(r, reference)?,
        });
    }
    let redecided = Redecided {
        message_id: target.message_id.to_string(),
        disposition: new.disposition,
        programs_json: serde_json::to_string(&new.programs)?,
        reasons_json: serde_json::to_string(&new.reasons)?,
        referrals,
        outbox: composed.into_iter().map(|c| c.row(target.status)).collect(),
    };
    store.apply_redecision(&redecided).await?;
    line.applied = Some(true);
    line.emails = redecided
        .outbox
        .iter()
        .map(|o| QueuedEmail {
            kind: o.kind,
            to: o.recipient.clone(),
            reference: o.reference.clone(),
            status: o.status.code(),
        })
        .collect();
    // A referral found for the first time now has its number.
    for (c, i) in line.referrals.iter_mut().zip(pairs.iter().map(|p| p.1)) {
        if c.reference.is_none() {
            c.reference = i.and_then(|i| refs.get(i)).cloned();
        }
    }
    Ok(())
}

struct OldReferral {
    id: String,
    reference: String,
    program: String,
    outcome: String,
    reasons: String,
    fields: String,
}

async fn old_referrals(store: &Store, message_id: &str) -> Result<Vec<OldReferral>> {
    let rows = sqlx::query(
        "SELECT id, reference, program, outcome, reasons, fields FROM referrals WHERE message_id = $1
          ORDER BY reference",
    )
    .bind(message_id)
    .fetch_all(store.pool())
    .await
    .context("reading a message's referrals")?;
    rows.iter()
        .map(|r| {
            Ok(OldReferral {
                id: r.try_get(0)?,
                reference: r.try_get(1)?,
                program: r.try_get(2)?,
                outcome: r.try_get(3)?,
                reasons: r.try_get(4)?,
                fields: r.try_get(5)?,
            })
        })
        .collect()
}

/// Pairs old and new referrals program by program, in order: (old index, new index).
fn pairs(old: &[OldReferral], new: &Decision) -> Vec<(Option<usize>, Option<usize>)> {
    let mut out = Vec::new();
    let mut programs: Vec<String> = old.iter().map(|r| r.program.clone()).collect();
    programs.extend(new.referrals.iter().map(|r| r.program.code().to_string()));
    let mut seen = BTreeSet::new();
    for p in programs {
        if !seen.insert(p.clone()) {
            continue;
        }
        let olds: Vec<usize> = (0..old.len())
            .filter(|i| old.get(*i).is_some_and(|r| r.program == p))
            .collect();
        let news: Vec<usize> = (0..new.referrals.len())
            .filter(|i| new.referrals.get(*i).is_some_and(|r| r.program.code() == p))
            .collect();
        for i in 0..olds.len().max(news.len()) {
            out.push((olds.get(i).copied(), news.get(i).copied()));
        }
    }
    out
}

/// The pairs as the JSON line shows them.
fn changes(
    pairs: &[(Option<usize>, Option<usize>)],
    old: &[OldReferral],
    new: &Decision,
) -> Vec<ReferralChange> {
    pairs
        .iter()
        .map(|(o, n)| {
            let o = o.and_then(|i| old.get(i));
            let n = n.and_then(|i| new.referrals.get(i));
            ReferralChange {
                reference: o.map(|o| o.reference.clone()),
                program: o
                    .map(|o| o.program.clone())
                    .or_else(|| n.map(|n| n.program.code().to_string()))
                    .unwrap_or_default(),
                old_outcome: o.map(|o| o.outcome.clone()),
                new_outcome: n.map(|n| n.outcome.code().to_string()),
                old_reasons: o
                    .and_then(|o| serde_json::from_str(&o.reasons).ok())
                    .unwrap_or(serde_json::Value::Null),
                new_reasons: n
                    .and_then(|n| serde_json::to_value(&n.reasons).ok())
                    .unwrap_or(serde_json::Value::Null),
            }
        })
        .collect()
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
