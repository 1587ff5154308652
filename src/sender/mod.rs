//! The outbox sender: hands committed outbox rows to the SMTP server, with retries.
//!
//! Stage: runs after the store. Rows are written to `outbox` in the same transaction as the
//! referral they belong to ([`Store::commit_message`]); this stage only reads rows that are due,
//! sends each one's stored RFC 5322 bytes unchanged, and records the result.
//!
//! Invariants:
//! - A row is marked `sent` only after the server accepted the message (250 to DATA). A crash
//!   between acceptance and `mark_sent` means the email goes out again: at-least-once, never lost.
//! - Every send is bounded by `tokio::time::timeout`, because lettre does not honour its own
//!   timeout in every TLS path (lettre #1027); a hung server costs one timeout, then a retry.
//! - A temporary failure (4xx, connection, TLS, timeout) is retried with exponential backoff and
//!   jitter until `max_attempts`; a permanent refusal (5xx) fails the row at once. Both final
//!   failures are logged at ERROR so a person looks at them.
//! - A `forward` (which carries the member's documents) is sent only to an allow-listed address
//!   ([`forward_allowed`]) — checked again here, in case the allow-list shrank since queueing.
//! - A reply to an address that bounced permanently is withheld, not sent
//!   ([`crate::loops::before_send`]); forwards always go.
//! - Plaintext SMTP is refused unless the server is on loopback; certificates are always verified.
//! - With `auth = "xoauth2"`, a token source that fails (no token, or tokens the server refuses)
//!   pauses the outbox as a whole: rows stay pending with their attempt counts untouched (the
//!   email is not at fault), one ERROR per paused round names the source and the provider's
//!   error, and sending resumes by itself once tokens are accepted again.
//! - Logs and stored errors carry the outbox id, kind, reference, attempt number and SMTP code;
//!   never body content.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

mod link;

use crate::config::{AuthMethod, Config, SmtpConfig, TlsMode, is_loopback_host};
use crate::oauth::{OAuthError, TokenSources};
use crate::outbox::forward_allowed;
use crate::store::{PendingMail, Store, now_ms};
use crate::telemetry::{FailureClass, Metrics};
use link::{LinkError, Links};

/// Rows taken from the outbox per round.
const BATCH: i64 = 50;
/// Longest idle sleep: the loop re-checks the outbox at least this often, even without a wake.
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Pause after a store error, so a broken database does not spin the loop.
const STORE_ERROR_PAUSE: Duration = Duration::from_secs(5);
/// Longest pause while the SMTP token source fails (the pause doubles from 1 s).
const MAX_STALL: Duration = Duration::from_secs(60);
/// Longest error text kept in `last_error` and logs (server replies can be long).
const MAX_ERROR_CHARS: usize = 300;

/// Builds the SMTP transport described by `[smtp]`.
///
/// `tls = "tls"` is implicit TLS (SMTPS), `"starttls"` requires STARTTLS, `"none"` is plaintext
/// and allowed only to a loopback host. Trusted roots are the system's plus `ca_file`; the
/// certificate and host name are always verified. With a `username` and `auth = "login"`, AUTH
/// uses the resolved secret (with `xoauth2` the sender's own connections authenticate, see
/// `link`). Each command is bounded by `timeout_secs`.
pub fn transport(cfg: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls = match cfg.tls {
        TlsMode::Tls => Some(Tls::Wrapper(tls_parameters(cfg)?)),
        TlsMode::Starttls => Some(Tls::Required(tls_parameters(cfg)?)),
        TlsMode::None => {
            if !is_loopback_host(&cfg.host) {
                bail!(
                    "smtp: plaintext SMTP is allowed only to loopback (host {} is not); \
                     set tls = \"starttls\" or \"tls\"",
                    cfg.host
                );
            }
            None
        }
    };
    // The host may be written `[::1]`; lettre wants the bare address.
    let host = cfg.host.trim_start_matches('[').trim_end_matches(']');
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(cfg.port)
        .timeout(Some(Duration::from_secs(cfg.timeout_secs)))
        // One pooled connection per concurrent send, so none waits for another's round trip.
        .pool_config(
            lettre::transport::smtp::PoolConfig::new()
                .max_size(u32::try_from(cfg.concurrency.max(1)).unwrap_or(8)),
        );
    if let Some(tls) = tls {
        builder = builder.tls(tls);
    }
    if let Some(user) = cfg.username.as_ref().filter(|_| cfg.auth == AuthMethod::Login) {
        let secret = cfg.secret.resolve().context("smtp: reading the password")?;
        builder = builder.credentials(Credentials::new(user.clone(), secret));
    }
    Ok(builder.build())
}

/// Checks `[smtp]` as the sender does when it starts, without connecting: plaintext only to
/// loopback, a `ca_file` that holds a certificate, a password that can be read, an `oauth` source
/// that exists. `run` refuses to start on any of these ([`crate::daemon::check_runnable`]), and
/// `check-config` reports them with the same words.
pub fn check_settings(smtp: &SmtpConfig, tokens: &TokenSources) -> Result<()> {
    links(smtp, tokens).map(drop)
}

/// The sender's connections for `smtp`, with every setting checked.
///
/// The connections are ours (see `link`), but the settings are refused as lettre's [`transport`]
/// would refuse them: plaintext only to loopback and a readable password (`Links::new`), a
/// `ca_file` holding a PEM certificate (`tls_parameters`, for both TLS modes). The transport
/// itself is not built: its connection pool needs a Tokio runtime, and `check-config` has none.
fn links(smtp: &SmtpConfig, tokens: &TokenSources) -> Result<Links> {
    let tls = match smtp.tls {
        TlsMode::Starttls => Some(tls_parameters(smtp)?),
        TlsMode::Tls => {
            tls_parameters(smtp)?;
            None
        }
        TlsMode::None => None,
    };
    Links::new(smtp, tls, tokens)
}

fn tls_parameters(cfg: &SmtpConfig) -> Result<TlsParameters> {
    let host = cfg.host.trim_start_matches('[').trim_end_matches(']');
    // The default store is the system's roots (lettre's `rustls-native-certs` feature).
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(path) = &cfg.ca_file {
        let pem = std::fs::read(path).with_context(|| format!("smtp: reading ca_file {}", path.display()))?;
        // An empty or DER file would parse as "no certificates" and silently add nothing.
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            bail!("smtp: ca_file {} holds no PEM certificate", path.display());
        }
        let cert = Certificate::from_pem(&pem)
            .with_context(|| format!("smtp: ca_file {} is not valid PEM", path.display()))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().context("smtp: building the TLS configuration")
}

/// Delay before retry number `attempts + 1`, in milliseconds: `min(max, base * 2^attempts)`
/// scaled by `jitter`, a factor in `[0.8, 1.2]` (±20%, so retries from one outage spread out).
/// `attempts` counts the failed attempts before this one (0 after the first failure).
pub fn retry_delay_ms(attempts: u32, base_secs: u64, max_secs: u64, jitter: f64) -> i64 {
    let factor = 1u64.checked_shl(attempts.min(62)).unwrap_or(u64::MAX);
    let secs = base_secs.saturating_mul(factor).min(max_secs);
    let jitter = jitter.clamp(0.8, 1.2);
    // f64 is exact for any sane delay; the cast saturates for absurd ones.
    (secs as f64 * 1000.0 * jitter).round() as i64
}

/// A jitter factor in `[0.8, 1.2]`.
fn jitter() -> f64 {
    0.8 + fastrand::f64() * 0.4
}

/// What one delivery attempt came to.
#[derive(Debug)]
enum Attempt {
    Sent,
    /// Worth retrying: 4xx, network, TLS, timeout.
    Temporary {
        code: Option<String>,
        error: String,
    },
    /// Never worth retrying: 5xx, an unusable address, a refused forward.
    Permanent {
        code: Option<String>,
        error: String,
    },
    /// Not the email's fault: the OAuth token source failed. The row is left as it was.
    Stalled(OAuthError),
}

/// Sends due outbox rows until shut down.
pub struct Sender {
    store: Store,
    links: Links,
    cfg: Arc<Config>,
    smtp: SmtpConfig,
    sent: SentLog,
    /// Set when a send found the token source failing; read (and cleared) once per round.
    stalled: std::sync::Mutex<Option<OAuthError>>,
    /// Deliveries and failures, for `/metrics`.
    metrics: Arc<Metrics>,
}

/// Group commit of `sent` marks. With many emails in flight, each delivery used to commit (and
/// fsync) its own `UPDATE`, and those commits queued behind each other and behind the inbox's
/// message commits on SQLite's single writer. Now a delivery adds its id to `queued` and takes
/// `flush`: whoever holds it commits everything queued so far in one transaction, so the
/// deliveries that finished meanwhile share one commit. No delivery waits for a timer: the
/// first one flushes at once. The at-least-once window (accepted by the server, not yet marked)
/// is one commit, as before.
#[derive(Default)]
struct SentLog {
    queued: std::sync::Mutex<Vec<String>>,
    flush: tokio::sync::Mutex<()>,
}

impl SentLog {
    /// Records `id` as sent, returning once a commit that included it has been attempted. If
    /// that commit failed, only the delivery that ran it gets the error (logged at ERROR by the
    /// send loop); the other rows in it stay `pending` and are sent again later — the same
    /// at-least-once outcome as a crash before the commit.
    async fn mark(&self, store: &Store, id: &str) -> Result<()> {
        if let Ok(mut q) = self.queued.lock() {
            q.push(id.to_string());
        }
        let _turn = self.flush.lock().await;
        let batch = match self.queued.lock() {
            Ok(mut q) => std::mem::take(&mut *q),
            Err(_) => vec![id.to_string()],
        };
        if batch.is_empty() {
            return Ok(()); // an earlier holder committed ours with theirs
        }
        store.mark_sent(&batch).await
    }
}

impl Sender {
    /// A sender for the `[smtp]` section of `cfg`; an error when it has none.
    pub fn new(store: Store, cfg: Arc<Config>) -> Result<Sender> {
        let smtp = cfg
            .main
            .smtp
            .clone()
            .context("no [smtp] section is configured; outbound mail cannot be sent")?;
        Sender::with_smtp(store, cfg, smtp)
    }

    /// Like [`Sender::new`], with token sources shared with the inboxes (the daemon's).
    pub fn with_tokens(store: Store, cfg: Arc<Config>, tokens: Arc<TokenSources>) -> Result<Sender> {
        let smtp = cfg
            .main
            .smtp
            .clone()
            .context("no [smtp] section is configured; outbound mail cannot be sent")?;
        Sender::with_parts(store, cfg, smtp, tokens)
    }

    /// A sender using `smtp` instead of `cfg`'s own `[smtp]` (tests, and callers that resolved
    /// it elsewhere). `cfg` still provides the forward allow-list and the `[oauth.*]` sources.
    pub fn with_smtp(store: Store, cfg: Arc<Config>, smtp: SmtpConfig) -> Result<Sender> {
        let tokens = Arc::new(TokenSources::from_config(&cfg.main)?);
        Sender::with_parts(store, cfg, smtp, tokens)
    }

    /// The general constructor: `smtp` settings and the token sources it may name.
    pub fn with_parts(
        store: Store,
        cfg: Arc<Config>,
        smtp: SmtpConfig,
        tokens: Arc<TokenSources>,
    ) -> Result<Sender> {
        let links = links(&smtp, &tokens)?;
        Ok(Sender {
            store,
            links,
            cfg,
            smtp,
            sent: SentLog::default(),
            stalled: std::sync::Mutex::new(None),
            metrics: Arc::default(),
        })
    }

    /// Counts deliveries and failures into `metrics` (the daemon's registry) instead of a
    /// private one.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Sender {
        self.metrics = metrics;
        self
    }

    /// The token-source failure seen during the last round, if any (and clears it).
    fn take_stall(&self) -> Option<OAuthError> {
        self.stalled.lock().ok()?.take()
    }

    fn is_stalled(&self) -> bool {
        self.stalled.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// Sends until `shutdown` is cancelled. Between rounds it sleeps until the earliest pending
    /// row is due, `wake` is notified (use `notify_one`, which is kept if the sender is busy), or
    /// 60 s pass. On shutdown it finishes the email in hand, then returns.
    pub async fn run(self, shutdown: CancellationToken, wake: Arc<Notify>) {
        tracing::info!(host = %self.smtp.host, port = self.smtp.port, "outbox sender started");
        let mut stall_pause = Duration::from_secs(1);
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let round = self.send_round(&shutdown).await;
            if let Some(e) = self.take_stall() {
                let wait = stall_pause.mul_f64(jitter());
                tracing::error!(
                    oauth = %e.source_name(), error = %e, retry_in_ms = wait.as_millis() as u64,
                    "outbox paused: SMTP has no token its server accepts; mail stays queued"
                );
                stall_pause = (stall_pause * 2).min(MAX_STALL);
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
                continue;
            }
            stall_pause = Duration::from_secs(1);
            let pause = match round {
                // A full round: look again at once, more are likely waiting. After a smaller
                // one the next due time says whether anything is (a row committed meanwhile also
                // left a wake): the outbox query that would have found nothing is saved.
                Ok(n) if n >= BATCH as usize => continue,
                Ok(_) => match self.store.next_due_ms().await {
                    Ok(next) => idle_duration(next, now_ms()),
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "outbox: reading the next due time failed");
                        STORE_ERROR_PAUSE
                    }
                },
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "outbox: store error while sending");
                    STORE_ERROR_PAUSE
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("outbox sender stopped");
    }

    /// Sends every row due now (one batch), returning how many were delivered.
    pub async fn send_due_once(&self) -> Result<usize> {
        let rows = self.store.due_mail(BATCH).await?;
        let results = self.process_all(&rows, None).await;
        let mut sent = 0;
        for r in results {
            if r? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// One round for [`Sender::run`]: like [`Sender::send_due_once`] but starts no new email
    /// after shutdown. Returns how many rows were attempted.
    async fn send_round(&self, shutdown: &CancellationToken) -> Result<usize> {
        let rows = self.store.due_mail(BATCH).await?;
        let results = self.process_all(&rows, Some(shutdown)).await;
        let attempted = results.len();
        for r in results {
            r?;
        }
        Ok(attempted)
    }

    /// Sends rows `concurrency` at a time over the pooled transport. A relay's round trip (tens to
    /// hundreds of milliseconds per message) would otherwise cap a sequential sender at a few
    /// dozen emails a second.
    async fn process_all(
        &self,
        rows: &[PendingMail],
        shutdown: Option<&CancellationToken>,
    ) -> Vec<Result<bool>> {
        use futures::StreamExt;
        // A new round tries the token source again (`run` has read the last round's stall).
        let _ = self.take_stall();
        let concurrency = self.smtp.concurrency.max(1);
        let stopped = || shutdown.is_some_and(CancellationToken::is_cancelled);
        let mut out = Vec::with_capacity(rows.len());
        let mut pending = futures::stream::FuturesUnordered::new();
        let mut next = rows.iter();
        loop {
            // A failing token source fails every send alike: stop starting new ones.
            while pending.len() < concurrency && !stopped() && !self.is_stalled() {
                match next.next() {
                    Some(mail) => pending.push(self.process(mail)),
                    None => break,
                }
            }
            match pending.next().await {
                Some(r) => out.push(r),
                None => break,
            }
        }
        out
    }

    /// Attempts one row and records the outcome. `Ok(true)` when delivered.
    async fn process(&self, mail: &PendingMail) -> Result<bool> {
        let attempt_no = mail.attempts.saturating_add(1);
        if !crate::loops::before_send(&self.cfg, &self.store, mail).await? {
            return Ok(false);
        }
        let outcome = self.attempt(mail).await;
        match outcome {
            Attempt::Sent => {
                self.metrics.email_sent(mail.kind);
                self.sent.mark(&self.store, &mail.id).await?;
                tracing::info!(
                    outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                    attempt = attempt_no, "email sent"
                );
                Ok(true)
            }
            Attempt::Permanent { code, error } => {
                self.metrics.email_failed(mail.kind, FailureClass::Permanent);
                self.store.mark_attempt_failed(&mail.id, &error, None).await?;
                tracing::error!(
                    outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                    attempt = attempt_no, smtp_code = code.as_deref().unwrap_or("-"), error = %error,
                    "email refused permanently; not retrying"
                );
                Ok(false)
            }
            Attempt::Stalled(e) => {
                if let Ok(mut s) = self.stalled.lock() {
                    *s = Some(e);
                }
                Ok(false)
            }
            Attempt::Temporary { code, error } => {
                let max = i64::from(self.smtp.max_attempts);
                if attempt_no >= max {
                    self.metrics.email_failed(mail.kind, FailureClass::Exhausted);
                    self.store.mark_attempt_failed(&mail.id, &error, None).await?;
                    tracing::error!(
                        outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                        attempt = attempt_no, smtp_code = code.as_deref().unwrap_or("-"), error = %error,
                        "email failed after the last attempt; giving up"
                    );
                } else {
                    self.metrics.email_failed(mail.kind, FailureClass::Temporary);
                    let prior = u32::try_from(mail.attempts.max(0)).unwrap_or(u32::MAX);
                    let delay = retry_delay_ms(
                        prior,
                        self.smtp.retry_base_secs,
                        self.smtp.retry_max_secs,
                        jitter(),
                    );
                    let at = now_ms().saturating_add(delay);
                    self.store.mark_attempt_failed(&mail.id, &error, Some(at)).await?;
                    tracing::warn!(
                        outbox_id = %mail.id, kind = %mail.kind, reference = %mail.reference,
                        attempt = attempt_no, smtp_code = code.as_deref().unwrap_or("-"), error = %error,
                        retry_in_s = delay / 1000, "email not sent; will retry"
                    );
                }
                Ok(false)
            }
        }
    }

    /// One delivery attempt, bounded by `timeout_secs`.
    async fn attempt(&self, mail: &PendingMail) -> Attempt {
        if mail.kind == crate::model::EmailKind::Forward && !forward_allowed(&self.cfg, &mail.recipient) {
            return Attempt::Permanent {
                code: None,
                error: "forward destination is not on the allow-list; refused".into(),
            };
        }
        let envelope = match envelope(&mail.eml, &mail.recipient) {
            Ok(e) => e,
            Err(e) => {
                return Attempt::Permanent {
                    code: None,
                    error: format!("{e:#}"),
                };
            }
        };
        let limit = Duration::from_secs(self.smtp.timeout_secs.max(1));
        match tokio::time::timeout(limit, self.links.send(&envelope, &mail.eml)).await {
            Ok(Ok(())) => Attempt::Sent,
            Ok(Err(LinkError::OAuth(e))) => Attempt::Stalled(e),
            Ok(Err(LinkError::Io(error))) => Attempt::Temporary {
                code: None,
                error: truncate(&error),
            },
            Ok(Err(LinkError::Smtp(e))) => {
                let code = e.status().map(|c| c.to_string());
                let error = truncate(&e.to_string());
                if e.is_permanent() {
                    Attempt::Permanent { code, error }
                } else {
                    Attempt::Temporary { code, error }
                }
            }
            Err(_) => Attempt::Temporary {
                code: None,
                error: format!("timed out after {} s", limit.as_secs()),
            },
        }
    }
}

/// The SMTP envelope: MAIL FROM is the message's `From:` address, RCPT TO the row's recipient.
/// Errors name neither address's content beyond saying which one is unusable.
fn envelope(eml: &[u8], recipient: &str) -> Result<Envelope> {
    let from = header_from(eml).context("the stored email has no usable From: address")?;
    let from: Address = from
        .parse()
        .map_err(|_| anyhow::anyhow!("the stored email's From: address is not a valid address"))?;
    let to: Address = recipient
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("the outbox recipient is not a valid address"))?;
    Envelope::new(Some(from), vec![to]).context("building the SMTP envelope")
}

/// The first address of the `From:` header.
fn header_from(eml: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::new().parse_headers(eml)?;
    msg.from()?.first()?.address().map(str::to_string)
}

/// How long to sleep when nothing is due: until `next_due_ms` (now if already due), at most
/// [`MAX_IDLE`]; [`MAX_IDLE`] when nothing is pending.
fn idle_duration(next_due_ms: Option<i64>, now: i64) -> Duration {
    match next_due_ms {
        Some(t) => {
            let ms = u64::try_from(t.saturating_sub(now)).unwrap_or(0);
            Duration::from_millis(ms).min(MAX_IDLE)
        }
        None => MAX_IDLE,
    }
}

/// Keeps error texts short (server replies can run to many lines), on a char boundary.
fn truncate(s: &str) -> String {
    let one_line = s.replace(['\r', '\n'], " ");
    match one_line.char_indices().nth(MAX_ERROR_CHARS) {
        Some((i, _)) => format!("{}…", one_line.get(..i).unwrap_or_default()),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn smtp(host: &str, tls: TlsMode) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: 2525,
            tls,
            username: None,
            secret: Secret::default(),
            ca_file: None,
            timeout_secs: 5,
            max_attempts: 3,
            retry_base_secs: 30,
            retry_max_secs: 3600,
            concurrency: 4,
            auth: crate::config::AuthMethod::Login,
            oauth: None,
        }
    }

    #[test]
    fn backoff_doubles_from_base_then_caps() {
        let d: Vec<i64> = (0..10).map(|a| retry_delay_ms(a, 30, 3600, 1.0)).collect();
        assert_eq!(
            d,
            vec![
                30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000,
                3_600_000
            ]
        );
    }

    #[test]
    fn backoff_jitter_is_plus_minus_twenty_percent_and_clamped() {
        assert_eq!(retry_delay_ms(0, 30, 3600, 0.8), 24_000);
        assert_eq!(retry_delay_ms(0, 30, 3600, 1.2), 36_000);
        // Out-of-range factors are clamped, never shrink a delay to zero or blow it up.
        assert_eq!(retry_delay_ms(0, 30, 3600, 0.0), 24_000);
        assert_eq!(retry_delay_ms(0, 30, 3600, 9.0), 36_000);
        for _ in 0..200 {
            let j = jitter();
            assert!((0.8..=1.2).contains(&j), "{j}");
        }
    }

    #[test]
    fn backoff_survives_huge_attempt_counts() {
        assert_eq!(retry_delay_ms(200, 30, 3600, 1.0), 3_600_000);
        assert_eq!(retry_delay_ms(u32::MAX, u64::MAX, u64::MAX, 1.0), i64::MAX);
    }

    #[test]
    fn plaintext_to_a_remote_host_is_refused() {
        let err = transport(&smtp("smtp.example.test", TlsMode::None))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("plaintext SMTP is allowed only to loopback"),
            "{err}"
        );
        assert!(transport(&smtp("10.0.0.5", TlsMode::None)).is_err());
    }

    #[tokio::test]
    async fn plaintext_to_loopback_and_tls_anywhere_build() {
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            assert!(transport(&smtp(host, TlsMode::None)).is_ok(), "{host}");
        }
        assert!(transport(&smtp("smtp.example.test", TlsMode::Starttls)).is_ok());
        assert!(transport(&smtp("smtp.example.test", TlsMode::Tls)).is_ok());
    }

    #[test]
    fn ca_file_must_hold_a_pem_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let mut cfg = smtp("smtp.example.test", TlsMode::Starttls);
        cfg.ca_file = Some(path);
        let err = transport(&cfg).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        cfg.ca_file = Some(dir.path().join("missing.pem"));
        assert!(transport(&cfg).is_err());
    }

    #[test]
    fn username_without_a_resolvable_secret_is_an_error() {
        let mut cfg = smtp("smtp.example.test", TlsMode::Starttls);
        cfg.username = Some("bot@example.test".into());
        cfg.secret.password_env = Some("REFERRAL_INTAKE_TEST_UNSET_SMTP_SECRET".into());
        let err = transport(&cfg)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("REFERRAL_INTAKE_TEST_UNSET_SMTP_SECRET"), "{err}");
    }

    /// `check-config` checks the settings outside any runtime: the same refusals as
    /// [`transport`], without building lettre's pool (which panics with no Tokio runtime).
    #[test]
    fn settings_are_checked_like_the_transport_without_a_runtime() {
        let tokens = TokenSources::default();
        let err = |c: &SmtpConfig| {
            check_settings(c, &tokens)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        for (host, tls) in [
            ("127.0.0.1", TlsMode::None),
            ("smtp.example.test", TlsMode::Starttls),
            ("smtp.example.test", TlsMode::Tls),
        ] {
            assert_eq!(err(&smtp(host, tls)), "", "{host} {tls:?}");
        }
        assert!(
            err(&smtp("smtp.example.test", TlsMode::None))
                .contains("plaintext SMTP is allowed only to loopback"),
            "refused"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        for tls in [TlsMode::Tls, TlsMode::Starttls] {
            let mut cfg = smtp("smtp.example.test", tls);
            cfg.ca_file = Some(path.clone());
            assert!(err(&cfg).contains("holds no PEM certificate"), "{tls:?}");
        }
        let mut cfg = smtp("smtp.example.test", TlsMode::Starttls);
        cfg.username = Some("bot@example.test".into());
        cfg.secret.password_env = Some("REFERRAL_INTAKE_TEST_UNSET_SMTP_SECRET".into());
        assert!(err(&cfg).contains("REFERRAL_INTAKE_TEST_UNSET_SMTP_SECRET"));
    }

    #[test]
    fn envelope_uses_the_from_header_and_the_row_recipient() {
        let eml = b"From: \"Intake Bot\" <intake@example.test>\r\nTo: x@example.test\r\nSubject: hi\r\n\r\nbody\r\n";
        let env = envelope(eml, "team@example.test").expect("envelope");
        assert_eq!(
            env.from().map(|a| a.to_string()).as_deref(),
            Some("intake@example.test")
        );
        assert_eq!(
            env.to().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            vec!["team@example.test".to_string()]
        );
        assert!(envelope(b"Subject: no from\r\n\r\nbody\r\n", "team@example.test").is_err());
        assert!(envelope(eml, "not an address").is_err());
    }

    #[test]
    fn idle_sleep_waits_for_the_next_due_row_at_most_a_minute() {
        assert_eq!(idle_duration(None, 1_000), MAX_IDLE);
        assert_eq!(idle_duration(Some(500), 1_000), Duration::ZERO);
        assert_eq!(idle_duration(Some(3_500), 1_000), Duration::from_millis(2_500));
        assert_eq!(idle_duration(Some(i64::MAX), 1_000), MAX_IDLE);
    }

    #[test]
    fn long_errors_are_cut_to_one_line() {
        let long = format!("permanent error (550): {}\r\nsecond line", "x".repeat(1000));
        let t = truncate(&long);
        assert!(!t.contains('\n'));
        assert_eq!(t.chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(truncate("short"), "short");
    }
}
