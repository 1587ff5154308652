//! One worker per inbox across instances (SPEC §8a, issue #12): before it connects, an inbox
//! worker on a shared (PostgreSQL) store takes the mailbox's lease, keeps it renewed while it
//! works, stops at once when it cannot, and gives it up on a clean shutdown. The commits it makes
//! carry the lease and are refused once it is lost ([`crate::store::LeaseLost`]).

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{InboxWorker, jitter, mailbox_key};
use crate::store::{Lease, Store};

/// How long a lease lasts without renewal: an instance that died is replaced after this.
pub(super) const LEASE_TTL: Duration = Duration::from_secs(15);
/// How often the holder renews (a third of the TTL: two renewals can fail before it expires).
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How often a standby asks for a lease it does not hold (a released one is taken this fast).
const STANDBY_POLL: Duration = Duration::from_secs(1);

impl InboxWorker {
    /// Waits until this instance holds the inbox's lease (at once on SQLite, which has none).
    /// `None` when shutdown came first.
    pub(super) async fn take_lease(&mut self) -> Option<Option<Lease>> {
        let store = self.shared.store.clone();
        if !store.shared() {
            return Some(None);
        }
        let key = mailbox_key(&self.inbox);
        let mut said_standby = false;
        loop {
            match store.acquire_lease(&key, LEASE_TTL).await {
                Ok(Some(lease)) => {
                    tracing::info!(
                        epoch = lease.epoch,
                        "inbox lease taken; this instance works the inbox"
                    );
                    return Some(Some(lease));
                }
                Ok(None) => {
                    if !said_standby {
                        tracing::info!("another instance works this inbox; standing by to take over");
                        said_standby = true;
                    }
                    // A standby is healthy: it is doing its job.
                    self.shared.health.progress(&key);
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "cannot reach the store to take the inbox lease; retrying");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(jitter(STANDBY_POLL)) => {}
                _ = self.shared.shutdown.cancelled() => return None,
            }
        }
    }
}

/// Renews `lease` until `stop`; cancels `lost` (and returns) as soon as it is lost, or when no
/// renewal succeeded for a whole TTL (the store unreachable: another instance may hold it by now).
pub(super) async fn keep(store: Store, lease: Lease, lost: CancellationToken, stop: CancellationToken) {
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(jitter(RENEW_EVERY)) => {}
            _ = stop.cancelled() => return,
        }
        match store.renew_lease(&lease, LEASE_TTL).await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => {
                tracing::warn!(
                    epoch = lease.epoch,
                    "inbox lease lost to another instance; stopping work on this inbox"
                );
                lost.cancel();
                return;
            }
            Err(e) if renewed.elapsed() >= LEASE_TTL => {
                tracing::warn!(error = %format!("{e:#}"), "inbox lease could not be renewed for its whole TTL; stopping work on this inbox");
                lost.cancel();
                return;
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "renewing the inbox lease failed; retrying");
            }
        }
    }
}

/// Checks, right before acting on the mailbox (moving mail), that this instance still holds the
/// lease, by renewing it: a process that was paused past its TTL learns here that it lost it.
pub(super) async fn still_held(store: &Store, lease: Option<&Lease>) -> anyhow::Result<()> {
    let Some(lease) = lease else { return Ok(()) };
    if store.renew_lease(lease, LEASE_TTL).await? {
        Ok(())
    } else {
        Err(crate::store::LeaseLost {
            mailbox: lease.mailbox.clone(),
            epoch: lease.epoch,
        }
        .into())
    }
}
