//! The monitoring endpoint `run` serves on `[http] listen` (SPEC §8a): `GET /healthz` and
//! `GET /metrics`, plain HTTP for the local monitoring agent.
//!
//! - `/healthz` answers 200 when every inbox completed a cycle within `[daemon] stall_secs`, the
//!   store answers, and the oldest pending email is younger than its retry ceiling (the time the
//!   sender's backoff takes to use up every attempt); otherwise 503. Both carry the same JSON:
//!   each inbox's last sync, and a list of problems, each naming the inbox (address and folder)
//!   it concerns, or none for the store and the outbox, which all inboxes share.
//! - `/metrics` is the [`Metrics`] registry in Prometheus text, with the outbox gauges read from
//!   the store at scrape time and each inbox's last sync from the workers' [`Health`].
//!
//! Nothing served holds member data: the only names are configured inbox addresses and folders.
//! The server is axum on the daemon's runtime; it stops with the daemon's shutdown token.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, InboxConfig, SmtpConfig};
use crate::source::{Health, mailbox_key};
use crate::store::Store;
use crate::telemetry::Metrics;

/// How long `/healthz` waits for the store before calling it unresponsive.
const STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// What the handlers read.
#[derive(Clone)]
pub struct Endpoint {
    pub config: watch::Receiver<Arc<Config>>,
    pub store: Store,
    pub health: Arc<Health>,
    pub metrics: Arc<Metrics>,
}

/// The `/healthz` body.
#[derive(Debug, Serialize)]
pub struct HealthReport {
    /// `ok` or `unhealthy`.
    pub status: &'static str,
    pub inboxes: Vec<InboxHealth>,
    pub outbox: Option<OutboxHealth>,
    pub problems: Vec<Problem>,
}

/// One inbox's state.
#[derive(Debug, Serialize)]
pub struct InboxHealth {
    pub inbox: String,
    pub folder: String,
    /// Seconds since its last completed cycle; `null` when it has not completed one.
    pub last_sync_age_secs: Option<u64>,
}

/// The outbox as `/healthz` sees it.
#[derive(Debug, Serialize)]
pub struct OutboxHealth {
    pub pending: i64,
    pub oldest_pending_secs: u64,
    pub retry_ceiling_secs: u64,
}

/// One reason the daemon is unhealthy.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// `inbox_stalled`, `store_unavailable` or `outbox_stuck`.
    pub problem: &'static str,
    /// The inbox's configured address, when the problem is one inbox's.
    pub inbox: Option<String>,
    pub folder: Option<String>,
    /// What an operator reads first.
    pub detail: String,
}

/// Binds `[http] listen` and returns the server to run until `shutdown`; `None` when the
/// endpoint is turned off or the address cannot be bound. A taken port is an ERROR but does not
/// stop the daemon: answering referrals matters more than being watched (a second instance on the
/// same machine, say), and the monitoring agent notices the missing endpoint by itself.
pub async fn start(
    endpoint: Endpoint,
    shutdown: CancellationToken,
) -> Option<(std::net::SocketAddr, impl Future<Output = ()> + Send + 'static)> {
    let listen = endpoint.config.borrow().main.http.clone();
    // Validated at load; a bad value here would be a bug, reported the same way.
    let addr = match listen.addr()? {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(listen = %listen.listen, error = %e, "[http] listen is not an address; serving no /healthz or /metrics");
            return None;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(%addr, error = %e, "[http] listen: cannot listen (another instance on this port? set another, or \"\" to turn it off); serving no /healthz or /metrics");
            return None;
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(endpoint);
    let serve = async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "the monitoring endpoint stopped");
        }
    };
    Some((local, serve))
}

async fn healthz(State(e): State<Endpoint>) -> Response {
    let report = health_report(&e).await;
    let code = if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(report)).into_response()
}

/// Checks everything `/healthz` answers for.
pub async fn health_report(e: &Endpoint) -> HealthReport {
    let cfg = e.config.borrow().clone();
    let stall = Duration::from_secs(cfg.main.daemon.stall_secs.max(1));
    let mut problems = Vec::new();
    let mut inboxes = Vec::new();
    for inbox in &cfg.main.inboxes {
        let last = e.health.last(&mailbox_key(inbox));
        let age = last.map(|(age, _)| age);
        if age.is_none_or(|a| a > stall) {
            problems.push(Problem {
                problem: "inbox_stalled",
                inbox: Some(inbox.address.clone()),
                folder: Some(inbox.folder.clone()),
                detail: match age {
                    Some(a) => format!(
                        "no completed sync cycle for {} s (stall_secs = {}): the IMAP server may be unreachable or refusing the login",
                        a.as_secs(),
                        stall.as_secs()
                    ),
                    None => format!(
                        "no completed sync cycle since start (stall_secs = {})",
                        stall.as_secs()
                    ),
                },
            });
        }
        inboxes.push(inbox_health(inbox, age));
    }
    let mut outbox = None;
    match tokio::time::timeout(STORE_TIMEOUT, async {
        e.store.ping().await?;
        e.store.outbox_stats().await
    })
    .await
    {
        Ok(Ok(stats)) => {
            let ceiling = cfg.main.smtp.as_ref().map_or(u64::MAX, retry_ceiling_secs);
            let oldest = stats.oldest_pending_secs as u64;
            if stats.pending > 0 && oldest > ceiling {
                problems.push(Problem {
                    problem: "outbox_stuck",
                    inbox: None,
                    folder: None,
                    detail: format!(
                        "the oldest pending email has waited {oldest} s, longer than its retry ceiling of {ceiling} s; is the outbox sender running?"
                    ),
                });
            }
            outbox = Some(OutboxHealth {
                pending: stats.pending,
                oldest_pending_secs: oldest,
                retry_ceiling_secs: ceiling,
            });
        }
        Ok(Err(err)) => problems.push(store_problem(format!("{err:#}"))),
        Err(_) => problems.push(store_problem(format!(
            "no answer within {} s",
            STORE_TIMEOUT.as_secs()
        ))),
    }
    HealthReport {
        status: if problems.is_empty() { "ok" } else { "unhealthy" },
        inboxes,
        outbox,
        problems,
    }
}

fn inbox_health(inbox: &InboxConfig, age: Option<Duration>) -> InboxHealth {
    InboxHealth {
        inbox: inbox.address.clone(),
        folder: inbox.folder.clone(),
        last_sync_age_secs: age.map(|a| a.as_secs()),
    }
}

fn store_problem(detail: String) -> Problem {
    Problem {
        problem: "store_unavailable",
        inbox: None,
        folder: None,
        // Store errors name the query and the driver's words, never row content.
        detail,
    }
}

/// The longest a pending email can legitimately wait: every backoff delay until the last attempt
/// at its longest (+20 % jitter), plus each attempt's timeout. Older than this, the sender is not
/// working the outbox at all.
pub fn retry_ceiling_secs(smtp: &SmtpConfig) -> u64 {
    let mut ms: i64 = 0;
    for a in 0..smtp.max_attempts.max(1) {
        ms = ms.saturating_add(crate::sender::retry_delay_ms(
            a,
            smtp.retry_base_secs,
            smtp.retry_max_secs,
            1.2,
        ));
    }
    let timeouts = smtp
        .timeout_secs
        .saturating_mul(u64::from(smtp.max_attempts.max(1)));
    u64::try_from(ms / 1000)
        .unwrap_or(u64::MAX)
        .saturating_add(timeouts)
}

async fn metrics(State(e): State<Endpoint>) -> Response {
    let cfg = e.config.borrow().clone();
    for inbox in &cfg.main.inboxes {
        if let Some((_, wall)) = e.health.last(&mailbox_key(inbox)) {
            let secs = wall.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
            e.metrics.inbox_synced(&inbox.address, secs);
        }
    }
    match tokio::time::timeout(STORE_TIMEOUT, e.store.outbox_stats()).await {
        Ok(Ok(s)) => {
            e.metrics.outbox_pending.set(s.pending);
            e.metrics.outbox_oldest_pending.set(s.oldest_pending_secs);
            e.metrics.outbox_failed.set(s.failed);
        }
        // The last values stay; /healthz says the store is not answering.
        Ok(Err(err)) => {
            tracing::warn!(error = %format!("{err:#}"), "metrics: cannot read the outbox backlog")
        }
        Err(_) => tracing::warn!("metrics: the store did not answer in time"),
    }
    match e.metrics.encode() {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_ceiling_adds_every_backoff_at_its_longest() {
        let smtp = SmtpConfig {
            max_attempts: 3,
            retry_base_secs: 10,
            retry_max_secs: 3600,
            timeout_secs: 5,
            ..test_smtp()
        };
        // 12 + 24 + 48 s of backoff, plus 3 × 5 s of timeouts.
        assert_eq!(retry_ceiling_secs(&smtp), 12 + 24 + 48 + 15);
    }

    fn test_smtp() -> SmtpConfig {
        toml::from_str("host = \"127.0.0.1\"\ntls = \"none\"").unwrap_or_else(|e| panic!("{e}"))
    }
}
