//! Keeping an inbox logged in with OAuth tokens: renewing a session before its token expires
//! (make before break), and how a failed login is classed and paced.

use std::time::{Duration, Instant};

use super::InboxWorker;
use super::connect::{self, Session};
use crate::oauth::OAuthError;

/// Extra wait (capped at `[imap] reconnect_max_secs`) before logging in again after the server
/// refused a freshly fetched token. Such a refusal does not heal in a second (revoked consent,
/// a missing mailbox permission), and IMAP servers penalise failed logins: Dovecot delays every
/// login from the same address by up to 15 s for 29 s after a failure, long enough for a
/// short-lived token to expire while it waits, so quick retries keep failing after the cause is
/// gone.
pub(super) const REJECTED_PAUSE: Duration = Duration::from_secs(40);

/// Why a session ended with an error: its token source or our configuration (an operator must
/// act), the store (waited for), or anything else (network, server: retried).
pub(super) enum Failure {
    OAuth(OAuthError),
    Store(anyhow::Error),
    Config(anyhow::Error),
    /// This instance lost the inbox's lease (several instances on one store): stop and stand by.
    LeaseLost,
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        if e.downcast_ref::<crate::store::LeaseLost>().is_some() {
            Failure::LeaseLost
        } else {
            Failure::Other(e)
        }
    }
}

impl InboxWorker {
    /// Logs in again with a fresh token *before* letting go of `s` (make before break): on
    /// success the new session replaces `s` and the old one is logged out; returns the new
    /// session's renewal time. On failure `s` stays in use — a server that keeps an
    /// authenticated session open (Dovecot does) loses nothing while the token source is
    /// failing; one that ends it at token expiry (Exchange Online) makes the session fail, and
    /// the worker reconnects with backoff. Mail is only ever taken past the committed cursor,
    /// so changing sessions reads nothing twice.
    ///
    /// `Err(true)` when the server refused a freshly fetched token (see [`REJECTED_PAUSE`]).
    pub(super) async fn renew(&self, s: &mut Session, timeout: Duration) -> Result<Option<Instant>, bool> {
        match connect::connect(&self.inbox, &self.shared.tokens, timeout).await {
            Ok(c) => {
                let mut old = std::mem::replace(s, c.session);
                let _ = tokio::time::timeout(timeout, old.logout()).await;
                tracing::debug!("session renewed with a fresh OAuth token");
                Ok(c.renew_at)
            }
            Err(connect::ConnectError::OAuth(e)) => {
                tracing::error!(oauth = %e.source_name(), error = %e, "cannot renew the inbox session's OAuth token; the current session stays in use while it lasts");
                Err(matches!(e, OAuthError::Rejected { .. }))
            }
            Err(connect::ConnectError::Other(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "renewing the inbox session failed; the current session stays in use");
                Err(false)
            }
        }
    }
}
