//! Metrics: what `/metrics` exposes (SPEC §8a), kept in one registry per daemon.
//!
//! Counters are bumped at the edges of a message's path — where a message is committed (the
//! inbox worker), where an email is delivered or fails (the sender) — by small calls into
//! [`Metrics`], so the stages between stay free of it. Gauges that describe the store (the outbox
//! backlog) are not tracked incrementally: they are read from the store at scrape time
//! ([`crate::http`]), so they are right even with several instances on one database.
//!
//! One registry per [`crate::daemon::serve`] rather than a process-global one: the integration
//! tests run many daemons in one process, and each must count only its own work.
//!
//! Labels are bounded sets: the configured inbox address, disposition, program, outcome, email
//! kind and failure class. Never a sender's address, a subject or member data.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::ingest::Ingested;
use crate::model::EmailKind;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MessageLabels {
    inbox: String,
    disposition: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReferralLabels {
    program: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: &'static str,
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InboxLabels {
    inbox: String,
}

/// How a delivery attempt failed (the `class` label of `email_failures_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// A temporary failure (4xx, connection, timeout) that will be retried.
    Temporary,
    /// Refused for good (5xx, an unusable address, a forward not on the allow-list).
    Permanent,
    /// Temporary failures until `max_attempts`: given up.
    Exhausted,
}

impl FailureClass {
    fn code(self) -> &'static str {
        match self {
            FailureClass::Temporary => "temporary",
            FailureClass::Permanent => "permanent",
            FailureClass::Exhausted => "exhausted",
        }
    }
}

/// The daemon's metrics. Cheap to bump from any task (atomics); shared as `Arc<Metrics>`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    messages: Family<MessageLabels, Counter>,
    referrals: Family<ReferralLabels, Counter>,
    emails_sent: Family<KindLabels, Counter>,
    email_failures: Family<FailureLabels, Counter>,
    quarantined: Counter,
    decide: Histogram,
    last_sync: Family<InboxLabels, Gauge<f64, AtomicU64>>,
    /// Set at scrape time from the store.
    pub outbox_pending: Gauge,
    /// Set at scrape time from the store.
    pub outbox_oldest_pending: Gauge<f64, AtomicU64>,
    /// Set at scrape time from the store: permanently failed emails (all time).
    pub outbox_failed: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry holding every contract metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("referral_intake");
        let messages = Family::<MessageLabels, Counter>::default();
        let referrals = Family::<ReferralLabels, Counter>::default();
        let emails_sent = Family::<KindLabels, Counter>::default();
        let email_failures = Family::<FailureLabels, Counter>::default();
        let quarantined = Counter::default();
        // 5 ms .. ~20 s: a plain body decides in milliseconds, a scanned PDF through OCR in
        // seconds, and the limits cut anything longer.
        let decide = Histogram::new(exponential_buckets(0.005, 2.0, 13));
        let last_sync = Family::<InboxLabels, Gauge<f64, AtomicU64>>::default();
        let outbox_pending = Gauge::default();
        let outbox_oldest_pending = Gauge::<f64, AtomicU64>::default();
        let outbox_failed = Gauge::default();
        registry.register(
            "messages",
            "Messages committed, by inbox (configured address) and disposition",
            messages.clone(),
        );
        registry.register(
            "referrals",
            "Referrals committed, by program and outcome",
            referrals.clone(),
        );
        registry.register(
            "emails_sent",
            "Emails the SMTP server accepted, by kind",
            emails_sent.clone(),
        );
        registry.register(
            "email_failures",
            "Failed delivery attempts, by kind and class (temporary, permanent, exhausted)",
            email_failures.clone(),
        );
        registry.register(
            "quarantined",
            "Messages that failed every attempt and were kept for review",
            quarantined.clone(),
        );
        registry.register(
            "decide_seconds",
            "Time to decide one message (parse, extract, screen)",
            decide.clone(),
        );
        registry.register(
            "inbox_last_sync_timestamp_seconds",
            "When the inbox last completed a sync cycle (Unix time)",
            last_sync.clone(),
        );
        registry.register(
            "outbox_pending",
            "Emails waiting in the outbox (not yet accepted by the SMTP server)",
            outbox_pending.clone(),
        );
        registry.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest email waiting in the outbox",
            outbox_oldest_pending.clone(),
        );
        registry.register(
            "outbox_failed",
            "Emails that failed for good (stored; all time)",
            outbox_failed.clone(),
        );
        Metrics {
            registry,
            messages,
            referrals,
            emails_sent,
            email_failures,
            quarantined,
            decide,
            last_sync,
            outbox_pending,
            outbox_oldest_pending,
            outbox_failed,
        }
    }

    /// Creates every series of the bounded label sets at zero, so a rate or `increase()` over
    /// them works from the first scrape instead of from the first event of each kind.
    pub fn init_series(&self, inboxes: &[&str]) {
        use crate::model::{Disposition, Outcome, Program};
        for inbox in inboxes {
            for d in [Disposition::Referral, Disposition::Review, Disposition::Ignored] {
                let _ = self.messages.get_or_create(&MessageLabels {
                    inbox: inbox.to_ascii_lowercase(),
                    disposition: d.code(),
                });
            }
        }
        for p in Program::ALL {
            for o in [
                Outcome::Accepted,
                Outcome::NeedsInfo,
                Outcome::ScreenedOut,
                Outcome::Redirected,
                Outcome::Review,
            ] {
                let _ = self.referrals.get_or_create(&ReferralLabels {
                    program: p.code(),
                    outcome: o.code(),
                });
            }
        }
        for k in EmailKind::ALL {
            let _ = self.emails_sent.get_or_create(&KindLabels { kind: k.code() });
            for c in [
                FailureClass::Temporary,
                FailureClass::Permanent,
                FailureClass::Exhausted,
            ] {
                let _ = self.email_failures.get_or_create(&FailureLabels {
                    kind: k.code(),
                    class: c.code(),
                });
            }
        }
    }

    /// A message from `inbox` (its configured address) was committed.
    pub fn message_done(&self, inbox: &str, done: &Ingested) {
        let d = &done.decision;
        self.messages
            .get_or_create(&MessageLabels {
                inbox: inbox.to_ascii_lowercase(),
                disposition: d.disposition.code(),
            })
            .inc();
        // A duplicate stores nothing new: its referrals were counted the first time.
        if done.store_id.is_some() {
            for r in &d.referrals {
                self.referrals
                    .get_or_create(&ReferralLabels {
                        program: r.program.code(),
                        outcome: r.outcome.code(),
                    })
                    .inc();
            }
        }
        if done.decide_time > Duration::ZERO {
            self.decide.observe(done.decide_time.as_secs_f64());
        }
    }

    /// A message was quarantined after failing every attempt.
    pub fn quarantined(&self) {
        self.quarantined.inc();
    }

    /// The SMTP server accepted an email.
    pub fn email_sent(&self, kind: EmailKind) {
        self.emails_sent
            .get_or_create(&KindLabels { kind: kind.code() })
            .inc();
    }

    /// A delivery attempt failed.
    pub fn email_failed(&self, kind: EmailKind, class: FailureClass) {
        self.email_failures
            .get_or_create(&FailureLabels {
                kind: kind.code(),
                class: class.code(),
            })
            .inc();
    }

    /// `inbox` (its configured address) completed a cycle at `unix_secs`.
    pub fn inbox_synced(&self, inbox: &str, unix_secs: f64) {
        self.last_sync
            .get_or_create(&InboxLabels {
                inbox: inbox.to_ascii_lowercase(),
            })
            .set(unix_secs);
    }

    /// Prometheus text exposition of everything registered.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_names_are_exposed_with_their_suffixes() {
        let m = Metrics::new();
        m.init_series(&["NCAL@Example.test"]);
        m.email_sent(EmailKind::Ack);
        m.email_failed(EmailKind::Forward, FailureClass::Permanent);
        m.quarantined();
        m.inbox_synced("NCAL@Example.test", 1.0);
        let text = m.encode().unwrap_or_default();
        for name in [
            "referral_intake_emails_sent_total{kind=\"ack\"} 1",
            "referral_intake_email_failures_total{kind=\"forward\",class=\"permanent\"} 1",
            "referral_intake_quarantined_total 1",
            "referral_intake_inbox_last_sync_timestamp_seconds{inbox=\"ncal@example.test\"} 1",
            "referral_intake_outbox_pending 0",
            "referral_intake_outbox_oldest_pending_seconds 0",
            "# TYPE referral_intake_decide_seconds histogram",
            "referral_intake_messages_total{inbox=\"ncal@example.test\",disposition=\"review\"} 0",
            "referral_intake_referrals_total{program=\"chw\",outcome=\"needs_info\"} 0",
        ] {
            assert!(text.contains(name), "missing {name:?} in\n{text}");
        }
    }
}
