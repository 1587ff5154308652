//! Several instances on one store (SPEC §8a, issue #12): mailbox leases with fencing epochs,
//! outbox claims, and the single-instance lock on a SQLite file.
//!
//! PostgreSQL only for leases and claims: SQLite is one process's store, enforced by an OS lock
//! on a file beside the database ([`Store::lock_single_instance`]).
//!
//! Times are the database's clock (`clock_timestamp()`), so two hosts with skewed clocks still
//! agree on when a lease expires.

use std::time::Duration;

use anyhow::{Context as _, Result};
use sqlx::Row;

use super::{Backend, Store};

/// The database's clock in ms since the epoch, as SQL.
const DB_NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// The right to work one mailbox, until it expires or a newer holder takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub mailbox: String,
    pub holder: String,
    pub epoch: i64,
}

/// A commit refused because this instance no longer holds the mailbox's lease: not a fault of
/// the message (no attempt is counted), nor of the store. The inbox stops and tries to take the
/// lease again.
#[derive(Debug, thiserror::Error)]
#[error("this instance no longer holds the lease on {mailbox} (epoch {epoch}); another instance works it")]
pub struct LeaseLost {
    pub mailbox: String,
    pub epoch: i64,
}

impl Store {
    /// Whether several instances may share this store (PostgreSQL), so mailboxes need leases.
    pub fn shared(&self) -> bool {
        self.kind == Backend::Postgres
    }

    /// This process's name as a lease holder and outbox claimant (unique per start).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Takes the mailbox's lease when nobody holds it or its holder let it expire, for `ttl`.
    /// `None` when another instance holds it.
    pub async fn acquire_lease(&self, mailbox: &str, ttl: Duration) -> Result<Option<Lease>> {
        let sql = format!(
            "INSERT INTO mailbox_leases (mailbox, holder, epoch, expires_ms) VALUES ($1, $2, 1, {DB_NOW_MS} + $3)
             ON CONFLICT (mailbox) DO UPDATE
               SET holder = excluded.holder, epoch = mailbox_leases.epoch + 1, expires_ms = excluded.expires_ms
               WHERE mailbox_leases.expires_ms < {DB_NOW_MS}
             RETURNING epoch"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(mailbox)
            .bind(&self.instance)
            .bind(ms(ttl))
            .fetch_optional(&self.pool)
            .await
            .context("taking a mailbox lease")?;
        Ok(row.map(|r| Lease {
            mailbox: mailbox.to_string(),
            holder: self.instance.clone(),
            epoch: r.get(0),
        }))
    }

    /// Extends a held lease by `ttl` from now; `false` when it was lost (expired and taken, or
    /// released).
    pub async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool> {
        let sql = format!(
            "UPDATE mailbox_leases SET expires_ms = {DB_NOW_MS} + $1
             WHERE mailbox = $2 AND holder = $3 AND epoch = $4 AND expires_ms >= {DB_NOW_MS}"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ms(ttl))
            .bind(&lease.mailbox)
            .bind(&lease.holder)
            .bind(lease.epoch)
            .execute(&self.pool)
            .await
            .context("renewing a mailbox lease")?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a lease up at once (clean shutdown), so a standby takes the mailbox over on its next
    /// try instead of after the TTL.
    pub async fn release_lease(&self, lease: &Lease) -> Result<()> {
        sqlx::query(
            "UPDATE mailbox_leases SET expires_ms = 0 WHERE mailbox = $1 AND holder = $2 AND epoch = $3",
        )
        .bind(&lease.mailbox)
        .bind(&lease.holder)
        .bind(lease.epoch)
        .execute(&self.pool)
        .await
        .context("releasing a mailbox lease")?;
        Ok(())
    }

    /// SQLite only: takes an exclusive OS lock on `<database>.lock` for as long as the returned
    /// file is held (the daemon's life), so a second `run` on the same file is refused at start
    /// instead of working the same inboxes. Readers (`status`, `explain`, `replay` into another
    /// file) take no lock.
    pub fn lock_single_instance(&self) -> Result<Option<std::fs::File>> {
        let Some(db) = &self.sqlite_path else {
            return Ok(None);
        };
        let path = db.with_extension(match db.extension() {
            Some(e) => format!("{}.lock", e.to_string_lossy()),
            None => "lock".into(),
        });
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "another referral-intake is already running on the SQLite store {} (it holds {}); \
                 a SQLite store serves one instance — use PostgreSQL to run several",
                db.display(),
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}

/// Within a message's commit transaction: locks the lease row the message was fetched under and
/// refuses the commit unless this holder still has it, unexpired. A takeover (which updates the
/// row) waits for this transaction, so a message is committed under one holder only.
pub(super) async fn check_lease(tx: &mut sqlx::Transaction<'_, sqlx::Any>, lease: &Lease) -> Result<()> {
    let sql = format!(
        "SELECT 1 FROM mailbox_leases WHERE mailbox = $1 AND holder = $2 AND epoch = $3
           AND expires_ms >= {DB_NOW_MS} FOR UPDATE"
    );
    let held = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&lease.mailbox)
        .bind(&lease.holder)
        .bind(lease.epoch)
        .fetch_optional(&mut **tx)
        .await
        .context("checking the mailbox lease")?;
    if held.is_none() {
        return Err(LeaseLost {
            mailbox: lease.mailbox.clone(),
            epoch: lease.epoch,
        }
        .into());
    }
    Ok(())
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
