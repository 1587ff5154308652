//! What operations staff read from the store: the outbox backlog for `/metrics` and `/healthz`.
//! Aggregates only; no row content.

use anyhow::{Context as _, Result};
use sqlx::Row;

use super::{Store, now_ms};

/// The outbox at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OutboxStats {
    /// Rows waiting to be sent (first try or a retry).
    pub pending: i64,
    /// Age of the oldest pending row, in seconds (0 when none).
    pub oldest_pending_secs: f64,
    /// Rows that failed for good.
    pub failed: i64,
}

impl Store {
    /// Answers a trivial query: the store is reachable and serving.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .fetch_one(self.pool())
            .await
            .context("asking the store for SELECT 1")?;
        Ok(())
    }

    /// Pending and failed counts, and the oldest pending row's age, in one query.
    pub async fn outbox_stats(&self) -> Result<OutboxStats> {
        let row = sqlx::query(
            "SELECT
                 COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0),
                 MIN(CASE WHEN status = 'pending' THEN created_ms END),
                 COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0)
               FROM outbox",
        )
        .fetch_one(self.pool())
        .await
        .context("reading the outbox backlog")?;
        let pending: i64 = row.try_get(0).context("reading the outbox backlog")?;
        let oldest: Option<i64> = row.try_get(1).context("reading the outbox backlog")?;
        let failed: i64 = row.try_get(2).context("reading the outbox backlog")?;
        let oldest_pending_secs = oldest.map_or(0.0, |t| (now_ms().saturating_sub(t)).max(0) as f64 / 1000.0);
        Ok(OutboxStats {
            pending,
            oldest_pending_secs,
            failed,
        })
    }
}
