//! Retention: clearing raw message bytes, and the .eml of finished outbox rows, past
//! `[store] raw_retention_days` (`referral-intake purge`).
//!
//! What is cleared is the content that carries member data wholesale (the original message with
//! its attachments, and our forwards, which carry the same attachments). The metadata rows stay:
//! message ids, dispositions, reason codes, referral rows, outbox status, and the audit trail, so
//! what happened remains answerable. Pending outbox rows are never touched (they still have to be
//! sent). Each run writes one `purge` audit event with the cutoff and the counts, never content.

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use serde::Serialize;
use sqlx::Row;

use super::{Store, insert_event, now_ms};

/// What a purge cleared (or, in a dry run, would clear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub retention_days: u32,
    /// Content received (or queued) before this time (ms since the epoch) is cleared.
    pub cutoff_ms: i64,
    /// The cutoff as RFC 3339, for people.
    pub cutoff: String,
    /// Messages whose raw bytes were cleared.
    pub messages: i64,
    /// Finished outbox rows whose .eml was cleared.
    pub outbox_emls: i64,
}

/// A stored message's raw bytes, for reprocessing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    pub id: String,
    pub raw: Vec<u8>,
}

impl Store {
    /// Clears raw bytes older than `retention_days` (see the module docs). `retention_days = 0`
    /// means keep forever: nothing is cleared and no event is written. A dry run only counts.
    pub async fn purge_raw(&self, retention_days: u32, dry_run: bool) -> Result<PurgeReport> {
        let now = now_ms();
        let cutoff_ms = now.saturating_sub(i64::from(retention_days).saturating_mul(86_400_000));
        let cutoff = chrono::DateTime::from_timestamp_millis(cutoff_ms)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default();
        let mut report = PurgeReport {
            dry_run,
            retention_days,
            cutoff_ms,
            cutoff,
            messages: 0,
            outbox_emls: 0,
        };
        if retention_days == 0 {
            return Ok(report);
        }
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        if dry_run {
            let count = |sql: &'static str| sqlx::query(sql).bind(cutoff_ms);
            let row = count("SELECT COUNT(*) FROM messages WHERE received_ms < $1 AND raw_purged_ms IS NULL")
                .fetch_one(&mut *tx)
                .await
                .context("counting raw messages past retention")?;
            report.messages = row.get::<i64, _>(0);
            let row = count(
                "SELECT COUNT(*) FROM outbox
                 WHERE created_ms < $1 AND eml_purged_ms IS NULL AND status <> 'pending'",
            )
            .fetch_one(&mut *tx)
            .await
            .context("counting sent emails past retention")?;
            report.outbox_emls = row.get::<i64, _>(0);
            return Ok(report);
        }
        let affected = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        report.messages = affected(
            sqlx::query(
                "UPDATE messages SET raw = '', raw_purged_ms = $2
                 WHERE received_ms < $1 AND raw_purged_ms IS NULL",
            )
            .bind(cutoff_ms)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("clearing raw messages past retention")?
            .rows_affected(),
        );
        sqlx::query(
            "UPDATE outbox_bodies SET eml = ''
             WHERE outbox_id IN (SELECT id FROM outbox
                                 WHERE created_ms < $1 AND eml_purged_ms IS NULL AND status <> 'pending')",
        )
        .bind(cutoff_ms)
        .execute(&mut *tx)
        .await
        .context("clearing sent emails past retention")?;
        report.outbox_emls = affected(
            sqlx::query(
                "UPDATE outbox SET eml_purged_ms = $2
                 WHERE created_ms < $1 AND eml_purged_ms IS NULL AND status <> 'pending'",
            )
            .bind(cutoff_ms)
            .bind(now)
            .execute(&mut *tx)
            .await
            .context("clearing sent emails past retention")?
            .rows_affected(),
        );
        let detail = serde_json::json!({
            "retention_days": retention_days,
            "cutoff_ms": cutoff_ms,
            "messages": report.messages,
            "outbox_emls": report.outbox_emls,
        });
        insert_event(&mut tx, None, super::EventKind::Purge, &detail.to_string()).await?;
        tx.commit().await.context("committing the purge")?;
        Ok(report)
    }

    /// A stored message's raw bytes. Fails with a clear message when there is no such message or
    /// its raw bytes were purged (the metadata is still there; the content is gone for good).
    pub async fn raw_message(&self, id: &str) -> Result<RawMessage> {
        let row = sqlx::query("SELECT raw, raw_purged_ms FROM messages WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading a stored message")?;
        let Some(row) = row else {
            bail!("message {id} is not in the store");
        };
        let purged: Option<i64> = row.try_get(1).context("reading a stored message")?;
        if let Some(at) = purged {
            let when = chrono::DateTime::from_timestamp_millis(at)
                .map(|d| d.to_rfc3339())
                .unwrap_or_else(|| at.to_string());
            bail!(
                "message {id}: its raw bytes were purged at {when} (past [store] raw_retention_days); \
                 the metadata and audit trail remain, but it cannot be reprocessed"
            );
        }
        let text: String = row.try_get(0).context("reading a stored message")?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .with_context(|| format!("message {id}: stored raw bytes are not valid base64"))?;
        Ok(RawMessage {
            id: id.to_string(),
            raw,
        })
    }
}
