//! `run`: the daemon. One task per inbox plus the outbox sender, supervised here.
//!
//! Life cycle:
//! - start: configuration, store migrations and templates are loaded first, and every setting
//!   checked ([`run_check`], the same checks `check-config` makes); any failure exits 1 before
//!   anything is touched; then the sender and one worker per inbox start; systemd is told
//!   `READY=1` once every inbox has connected and its folders exist;
//! - SIGTERM / SIGINT: every task stops at a safe point (the message in hand is finished; an idle
//!   inbox leaves IDLE; the sender finishes the email in flight), within `shutdown_grace_secs`;
//! - SIGHUP: the configuration is loaded again ([`load_config`], as at start) and swapped in whole
//!   if valid (subject rules, profiles, catalogues, templates); a bad file, or a template that
//!   does not render for every sample decision, is refused with an ERROR line and the running
//!   configuration stays. Changes to inboxes, SMTP, OAuth token sources or the store need a
//!   restart (WARN);
//! - watchdog: when systemd asks for one (`WatchdogSec`), `WATCHDOG=1` is sent only while every
//!   inbox has completed a cycle recently, so a silently stuck IMAP loop gets the service restarted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use tokio::sync::{Notify, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ConfigErrors};
use crate::oauth::TokenSources;
use crate::outbox;
use crate::source::{Health, InboxWorker, Shared, mailbox_key};
use crate::store::{Roster, Store};

/// How the caller steers a running daemon (signals in production, the test suite in tests).
pub struct Control {
    /// Cancel to shut down.
    pub shutdown: CancellationToken,
    /// Notify to reload the configuration from `config_path`.
    pub reload: Arc<Notify>,
    /// Told when every inbox is connected.
    pub ready: Option<oneshot::Sender<()>>,
}

/// Loads the configuration as every command uses it: [`Config::load`] (every file parsed and
/// validated), then every email template rendered against sample decisions
/// ([`outbox::check_templates`]), so a template using an undefined variable is refused here —
/// by `check-config`, at start and on SIGHUP — instead of failing every message that needs it.
pub fn load_config(path: &Path) -> Result<Arc<Config>, ConfigErrors> {
    let cfg = Config::load(path)?;
    let problems = outbox::check_templates(&cfg);
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// What `run` would refuse at start, found without connecting anywhere or opening the store.
#[derive(Debug, Default)]
pub struct RunCheck {
    /// Parts `run` needs that the configuration does not set up at all: `[smtp]`, an inbox's
    /// host, its password source. A configuration made for `replay`, `explain` and `extract`
    /// (like the shipped one) leaves them out on purpose, so `check-config` lists them without
    /// refusing the file.
    pub missing: Vec<String>,
    /// Settings that are there but that `run` cannot use: plaintext to a host that is not
    /// loopback, an unreadable `ca_file` or roster, a password that cannot be read, a store url
    /// of another scheme. `check-config` refuses these as `run` does, with the same words.
    pub unusable: Vec<String>,
}

/// Every check `run` makes before it starts anything ([`check_runnable`]); `check-config` runs
/// the same function, so the two cannot disagree. Each problem starts with the config file's
/// name. Reads the roster, `ca_file`s and the SMTP password as `run` does; connects nowhere.
pub fn run_check(cfg: &Config) -> RunCheck {
    let file = cfg.path.as_ref().map_or_else(
        || "<built-in>/referral-intake.toml".to_string(),
        |p| p.display().to_string(),
    );
    let mut c = RunCheck::default();
    let mut missing = |m: String| c.missing.push(format!("{file}: {m}"));
    if cfg.main.smtp.is_none() {
        missing("[smtp] is not configured; `run` sends acknowledgements and forwards by SMTP".to_string());
    }
    for i in &cfg.main.inboxes {
        if i.host.is_none() {
            missing(format!("[[inbox]] {} has no host", i.address));
        }
        if i.auth == crate::config::AuthMethod::Login && !i.secret.is_set() {
            missing(format!(
                "[[inbox]] {} has no password_env or password_file",
                i.address
            ));
        }
    }

    let mut unusable = |e: anyhow::Error| c.unusable.push(format!("{file}: {e:#}"));
    if let Err(e) = crate::store::check_url(&cfg.main.store.url) {
        unusable(e);
    }
    if let Err(e) = Roster::load(cfg.main.screening.roster_file.as_deref()) {
        unusable(e.context("[screening] roster_file"));
    }
    for i in &cfg.main.inboxes {
        if let Err(e) = crate::source::connect::check_settings(i) {
            unusable(e.context(format!("[[inbox]] {}", i.address)));
        }
    }
    match TokenSources::from_config(&cfg.main) {
        Ok(tokens) => {
            if let Some(smtp) = &cfg.main.smtp
                && let Err(e) = crate::sender::check_settings(smtp, &tokens)
            {
                unusable(e);
            }
        }
        // The SMTP settings are checked once the sources they may name can be built.
        Err(e) => unusable(e),
    }
    c
}

/// Refuses to start `run` with anything [`run_check`] finds, missing or unusable.
pub fn check_runnable(cfg: &Config) -> Result<()> {
    let c = run_check(cfg);
    let problems: Vec<String> = c.missing.into_iter().chain(c.unusable).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("{}", problems.join("\n"))
    }
}

/// Runs until `control.shutdown` is cancelled.
pub async fn serve(config_path: Option<PathBuf>, cfg: Arc<Config>, mut control: Control) -> Result<()> {
    check_runnable(&cfg)?;
    let store = Store::open(&cfg.main.store.url).await?;
    // SQLite serves one instance: a second `run` on the same file stops here (held until return).
    let _single = store.lock_single_instance()?;
    let roster = Roster::load(cfg.main.screening.roster_file.as_deref())?;
    let (cfg_tx, cfg_rx) = watch::channel(cfg.clone());
    let shutdown = control.shutdown.clone();
    let tracker = TaskTracker::new();
    let wake = Arc::new(Notify::new());
    let health = Arc::new(Health::default());
    let tokens = Arc::new(TokenSources::from_config(&cfg.main)?);
    let metrics = Arc::new(crate::telemetry::Metrics::new());
    metrics.init_series(
        &cfg.main
            .inboxes
            .iter()
            .map(|i| i.address.as_str())
            .collect::<Vec<_>>(),
    );
    // Bound before any work starts, so `/healthz` answers from the first moment.
    let endpoint = crate::http::Endpoint {
        config: cfg_rx.clone(),
        store: store.clone(),
        health: health.clone(),
        metrics: metrics.clone(),
    };
    let http = crate::http::start(endpoint, shutdown.clone()).await;
    let shared = Shared {
        config: cfg_rx.clone(),
        store: store.clone(),
        roster,
        wake_sender: wake.clone(),
        health: health.clone(),
        metrics: metrics.clone(),
        shutdown: shutdown.clone(),
        tokens: tokens.clone(),
        tasks: tracker.clone(),
    };

    let sender = crate::sender::Sender::with_tokens(store.clone(), cfg.clone(), tokens.clone())?
        .with_metrics(metrics.clone());
    // The long-running tasks, kept to be aborted if they outlive the shutdown grace period.
    let mut handles = vec![tracker.spawn(sender.run(shutdown.clone(), wake.clone()))];
    if let Some((addr, serve)) = http {
        tracing::info!(%addr, "serving /healthz and /metrics");
        handles.push(tracker.spawn(serve));
    }

    let mut readies = Vec::new();
    let mut keys = Vec::new();
    for inbox in cfg.main.inboxes.clone() {
        let (tx, rx) = oneshot::channel();
        readies.push(rx);
        keys.push(mailbox_key(&inbox));
        handles.push(tracker.spawn(InboxWorker::new(inbox, shared.clone(), Some(tx)).run()));
    }
    let ready = control.ready.take();
    handles.push(tracker.spawn(async move {
        for r in readies {
            if r.await.is_err() {
                return; // a worker stopped before connecting (shutdown)
            }
        }
        tracing::info!("ready: every inbox is connected");
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        if let Some(r) = ready {
            let _ = r.send(());
        }
    }));

    // One health loop: it feeds systemd's watchdog (when systemd asked for one) only while every
    // inbox keeps cycling, and logs an ERROR for any inbox that stopped.
    let mut watchdog_usec = 0;
    let watchdog = sd_notify::watchdog_enabled(false, &mut watchdog_usec) && watchdog_usec > 0;
    let stall = Duration::from_secs(cfg.main.daemon.stall_secs.max(cfg.main.imap.idle_secs * 2));
    let period = if watchdog {
        Duration::from_micros(watchdog_usec / 2)
    } else {
        stall / 2
    };
    {
        let (health, keys, shutdown) = (health.clone(), keys.clone(), shutdown.clone());
        handles.push(tracker.spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(period) => {}
                    _ = shutdown.cancelled() => return,
                }
                let stalled = health.stalled(&keys, stall);
                if stalled.is_empty() {
                    if watchdog {
                        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
                    }
                } else {
                    tracing::error!(mailboxes = %stalled.join(","), "inbox loop has made no progress; not feeding the watchdog");
                }
            }
        }));
    }

    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = control.reload.notified() => reload(config_path.as_ref(), &cfg_tx),
        }
    }
    tracing::info!("shutting down");
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    tracker.close();
    let grace = Duration::from_secs(cfg_tx.borrow().main.daemon.shutdown_grace_secs.max(1));
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        // Nothing is lost by stopping now: a message not yet committed stays unread in its
        // inbox, and mail not yet marked sent is sent again from the outbox (at least once).
        tracing::warn!(
            grace_secs = grace.as_secs(),
            "tasks did not stop within the grace period; aborting them"
        );
        for h in &handles {
            h.abort();
        }
        // What is left is a message being read on the blocking pool, bounded by the backstop.
        let backstop = cfg_tx.borrow().main.limits.backstop_time();
        if tokio::time::timeout(backstop, tracker.wait()).await.is_err() {
            tracing::warn!("a message was still being read at exit; it stays unread in its inbox");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Loads the configuration again and swaps it in whole, or keeps the running one.
fn reload(path: Option<&PathBuf>, tx: &watch::Sender<Arc<Config>>) {
    let Some(path) = path else {
        tracing::warn!("reload asked, but the configuration is built in; nothing to reload");
        return;
    };
    match load_config(path) {
        Ok(new) => {
            let old = tx.borrow().clone();
            // Compared as values, secrets included (their Debug form hides them).
            if old.main.inboxes != new.main.inboxes
                || old.main.smtp != new.main.smtp
                || old.main.store.url != new.main.store.url
                || old.main.oauth != new.main.oauth
            {
                tracing::warn!(
                    "[[inbox]], [smtp], [oauth.*] and [store] changes take effect at the next restart"
                );
            }
            tx.send_replace(new);
            tracing::info!(config = %path.display(), "configuration reloaded");
        }
        Err(e) => {
            tracing::error!(config = %path.display(), problems = %e.to_string().replace('\n', "; "), "reload refused; the running configuration stays");
        }
    }
}

/// `run`: the daemon under signals. SIGTERM/SIGINT shut down, SIGHUP reloads.
pub async fn run(config_path: PathBuf, cfg: Arc<Config>) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let shutdown = CancellationToken::new();
    let reload = Arc::new(Notify::new());
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let (s, r) = (shutdown.clone(), reload.clone());
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM"); s.cancel(); return; }
                _ = int.recv() => { tracing::info!("SIGINT"); s.cancel(); return; }
                _ = hup.recv() => { tracing::info!("SIGHUP"); r.notify_one(); }
            }
        }
    });
    serve(
        Some(config_path),
        cfg,
        Control {
            shutdown,
            reload,
            ready: None,
        },
    )
    .await
}
