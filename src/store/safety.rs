//! Store queries behind loop protection: bounce suppressions and the per-sender reply count.
//!
//! Both are answered from the store, not from memory, so they hold across restarts and across
//! instances sharing a PostgreSQL store. Addresses are compared lowercased.

use anyhow::{Context as _, Result};
use sqlx::Row;

use super::batch::{Batch, Val};
use super::{Store, insert_event, now_ms};

/// A recipient to suppress, recorded from a permanent bounce in the bounce's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSuppression {
    /// Lowercased address.
    pub address: String,
    /// The DSN status code (`5.1.1`), or `5.0.0` when the bounce gave none.
    pub status: String,
    /// Suppressed until this time (ms since the epoch).
    pub until_ms: i64,
}

/// An extra audit event written with a message (its `message_id` is the message's store id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: super::EventKind,
    /// JSON; ids, counts and codes only, never member data or addresses.
    pub detail: String,
}

/// Whether `$1` (a lowercased address) is suppressed at `$2`, and how many replies (acknowledgements
/// and redirects) were queued or sent to it since `$3`; rows never sent on purpose (`discarded`
/// by replay, `withheld`) do not count.
pub(super) const REPLY_FACTS: &str =
    "SELECT EXISTS (SELECT 1 FROM suppressions WHERE address = $1 AND until_ms > $2),
        (SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND created_ms >= $3
           AND kind IN ('ack', 'redirect') AND status NOT IN ('discarded', 'withheld'))";

/// An address as suppressions and the outbox's recipients are compared.
pub(super) fn reply_address(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A row of [`REPLY_FACTS`]: `(suppressed, replies in the window)`.
pub(super) fn read_reply_facts(row: &sqlx::any::AnyRow) -> Result<(bool, i64)> {
    // A boolean on PostgreSQL, an integer on SQLite.
    let suppressed = row
        .try_get::<bool, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|v| v != 0))
        .context("reading a suppression")?;
    let sent = row.try_get::<i64, _>(1).context("reading a sender's replies")?;
    Ok((suppressed, sent))
}

/// Outbox kinds that answer the sender (and so can feed a loop).
pub const REPLY_KINDS: [&str; 3] = ["ack", "redirect", "update"];

impl Store {
    /// What the loop guards need to know about a reply to `address`, in one query: whether the
    /// address is suppressed now, and how many replies (acknowledgements and redirects) were
    /// queued or sent to it since `since_ms` — rows never sent on purpose (`discarded` by replay,
    /// `withheld`) do not count.
    pub async fn reply_facts(&self, address: &str, since_ms: i64) -> Result<(bool, i64)> {
        let row = sqlx::query(REPLY_FACTS)
            .bind(reply_address(address))
            .bind(now_ms())
            .bind(since_ms)
            .fetch_one(&self.pool)
            .await
            .context("looking up a sender's suppression and replies")?;
        read_reply_facts(&row)
    }

    /// Whether we ever queued mail to `address` (a bounce for anyone else is not about us).
    pub async fn mailed(&self, address: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM outbox WHERE recipient = $1 LIMIT 1")
            .bind(address.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .context("looking up mail to a bounced address")?;
        Ok(row.is_some())
    }

    /// Marks a pending outbox row as deliberately not sent (`withheld`), with the reason, and
    /// writes an audit event, in one transaction.
    pub async fn mark_withheld(&self, outbox_id: &str, message_id: &str, reason: &str) -> Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        sqlx::query(
            "UPDATE outbox SET status = 'withheld', last_error = $1 WHERE id = $2 AND status = 'pending'",
        )
        .bind(reason)
        .bind(outbox_id)
        .execute(&mut *tx)
        .await
        .context("withholding an email")?;
        let detail = serde_json::json!({ "outbox_id": outbox_id, "reason": reason });
        insert_event(
            &mut tx,
            Some(message_id),
            super::EventKind::ReplyWithheld,
            &detail.to_string(),
        )
        .await?;
        tx.commit().await.context("committing a withheld email")?;
        Ok(())
    }
}

/// Adds a message's suppressions to its batch of rows. A longer existing suppression is kept.
pub(super) fn push_suppressions(rows: &mut Batch, message_id: &str, list: &[NewSuppression], now: i64) {
    for s in list {
        rows.push(
            "INSERT INTO suppressions (address, status, until_ms, message_id, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (address) DO UPDATE SET
               status = excluded.status,
               until_ms = CASE WHEN suppressions.until_ms > excluded.until_ms
                          THEN suppressions.until_ms ELSE excluded.until_ms END,
               message_id = excluded.message_id,
               updated_ms = excluded.updated_ms",
            vec![
                Val::from(s.address.trim().to_lowercase()),
                Val::from(&s.status),
                s.until_ms.into(),
                message_id.into(),
                now.into(),
            ],
        );
    }
}
