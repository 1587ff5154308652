//! Mail source: one worker per configured inbox, reading new mail over IMAP exactly once.
//!
//! The worker keeps a cursor per mailbox — `(UIDVALIDITY, UID)`, every UID up to it committed —
//! in the store, advanced in the same transaction as each message ([`crate::ingest`]), and each
//! committed UID. Each pass:
//!
//! 1. `UID SEARCH UID n:*` for UIDs past the cursor, less those already committed, fetched in
//!    bounded batches with `BODY.PEEK[]` (never marking anything `\Seen` before it is committed);
//! 2. each message is ingested (decided, committed with its outbox rows and the cursor) in UID
//!    order and the outbox sender is woken; a scan is read beside the queue once its OCR starts
//!    (see `InFlight`), and the cursor stays below it until it commits;
//! 3. only then, once per batch, the committed UIDs are filed by outcome: one UID MOVE per
//!    folder (or COPY + STORE + EXPUNGE without MOVE, or a keyword in `flag` mode); UIDs committed
//!    but not filed before (a crash or a failed move) are filed with them;
//! 4. then it waits: IDLE (re-issued every `idle_secs`) when the server offers it, polling
//!    otherwise, until new mail, shutdown or the next cycle.
//!
//! A changed UIDVALIDITY resets the cursor and marks the pass as a resync: content already stored
//! is recognised by its content hash and filed where it was filed before; nothing is decided or
//! sent twice. Connection failures reconnect with exponential backoff and jitter; one inbox
//! failing never stalls another.

pub mod connect;
mod lease;
mod renew;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, anyhow};
use futures::TryStreamExt;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::config::{Config, FilingMode, InboxConfig};
use crate::ingest::{self, Source};
use crate::oauth::{OAuthError, TokenSources};
use crate::store::{OutboxStatus, Roster, Store};
pub use connect::Session;
use renew::{Failure, REJECTED_PAUSE};

/// When each inbox last completed a cycle; read by the watchdog and `/healthz`.
#[derive(Debug, Default)]
pub struct Health {
    /// Monotonic time for the stall checks, wall-clock time for `/metrics`.
    last_progress: Mutex<HashMap<String, (Instant, SystemTime)>>,
}

impl Health {
    /// Records that `mailbox` completed a cycle now.
    pub fn progress(&self, mailbox: &str) {
        if let Ok(mut m) = self.last_progress.lock() {
            m.insert(mailbox.to_string(), (Instant::now(), SystemTime::now()));
        }
    }

    /// Mailboxes whose last cycle is older than `limit` (or that never completed one), among
    /// `expected`.
    pub fn stalled(&self, expected: &[String], limit: Duration) -> Vec<String> {
        let Ok(m) = self.last_progress.lock() else {
            return expected.to_vec();
        };
        expected
            .iter()
            .filter(|k| m.get(*k).is_none_or(|(t, _)| t.elapsed() > limit))
            .cloned()
            .collect()
    }

    /// When `mailbox` last completed a cycle: how long ago, and the wall-clock time.
    pub fn last(&self, mailbox: &str) -> Option<(Duration, SystemTime)> {
        let m = self.last_progress.lock().ok()?;
        m.get(mailbox).map(|(t, w)| (t.elapsed(), *w))
    }
}

/// What every inbox worker shares with the daemon.
#[derive(Clone)]
pub struct Shared {
    pub config: watch::Receiver<Arc<Config>>,
    pub store: Store,
    pub roster: Roster,
    /// Woken after each commit so queued mail goes out at once.
    pub wake_sender: Arc<Notify>,
    pub health: Arc<Health>,
    /// What `/metrics` counts; bumped once per committed message.
    pub metrics: Arc<crate::telemetry::Metrics>,
    pub shutdown: CancellationToken,
    /// The `[oauth.*]` token sources, shared with the sender.
    pub tokens: Arc<TokenSources>,
    /// The daemon's tasks: a message decided ahead is one of them, so shutdown waits for it.
    pub tasks: tokio_util::task::TaskTracker,
}

/// The store key of an inbox's watched folder.
pub fn mailbox_key(inbox: &InboxConfig) -> String {
    format!("{}/{}", inbox.address.to_ascii_lowercase(), inbox.folder)
}

/// One inbox's worker.
pub struct InboxWorker {
    inbox: InboxConfig,
    shared: Shared,
    /// Told once, when the first session is up and the folders exist (systemd READY).
    ready: Option<tokio::sync::oneshot::Sender<()>>,
    /// Failed attempts per (UIDVALIDITY, UID), kept across reconnects.
    failures: HashMap<(i64, u32), u32>,
    /// The inbox's lease while this instance works it (shared store only).
    lease: Option<crate::store::Lease>,
}

/// Attempts at one message before it is quarantined instead of holding up the inbox.
const MAX_ATTEMPTS: u32 = 3;
/// Messages decided ahead of the one committing: two, so both cores read while the store
/// writes. Each holds one raw message in memory (the size limit bounds it).
const DECIDE_AHEAD: usize = 2;

/// Messages committed in one transaction at most: those decided ahead and done when the one
/// before them commits (see `ingest::commit_together`).
const MAX_GROUP: usize = 8;

/// Scans read beside the queue at once, at most. Each holds its raw message and runs its own OCR
/// engine processes; past this, the next scan is waited for in line.
const MAX_PARKED: usize = 2;

/// A message whose decision is running: decided ahead of the one committing, or parked (a scan
/// read beside the queue). Dropped unfinished (shutdown, a reconnect), its task is aborted.
struct InFlight {
    uid: u32,
    attempt: u32,
    /// The raw message, kept on its last attempt to be quarantined if it fails again.
    copy: Option<Vec<u8>>,
    task: tokio::task::JoinHandle<Result<ingest::Decided, ingest::Error>>,
    started: Instant,
    /// Becomes true when a page of the message goes to the OCR engine.
    scanning: watch::Receiver<bool>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a decision task ends with.
type DecideResult = Result<Result<ingest::Decided, ingest::Error>, tokio::task::JoinError>;

/// The mailbox one pass over new mail works on.
struct Pass {
    key: String,
    uidvalidity: i64,
    resync: bool,
}

impl Pass {
    fn source(
        &self,
        inbox: &InboxConfig,
        lease: Option<crate::store::Lease>,
        uid: u32,
        cursor_to: Option<i64>,
    ) -> Source {
        Source {
            mailbox: self.key.clone(),
            uidvalidity: Some(self.uidvalidity),
            uid: Some(i64::from(uid)),
            inbox_region: Some(inbox.region.clone()),
            resync: self.resync,
            lease,
            cursor_to,
        }
    }
}

/// Where the cursor may advance once a message has committed: just below the lowest UID still
/// pending, or to the highest fetched when none is.
fn cursor_to(pending: &std::collections::BTreeSet<u32>, highest: u32) -> i64 {
    match pending.first() {
        Some(lowest) => i64::from(*lowest) - 1,
        None => i64::from(highest),
    }
}

/// What the server offers that changes how we work.
#[derive(Debug, Clone, Copy, Default)]
struct Caps {
    idle: bool,
    moves: bool,
    uidplus: bool,
}

impl InboxWorker {
    pub fn new(inbox: InboxConfig, shared: Shared, ready: Option<tokio::sync::oneshot::Sender<()>>) -> Self {
        InboxWorker {
            inbox,
            shared,
            ready,
            failures: HashMap::new(),
            lease: None,
        }
    }

    /// Runs until shutdown: take the inbox's lease (shared store), then connect, work, and on
    /// failure reconnect with backoff, still holding it.
    pub async fn run(mut self) {
        let key = mailbox_key(&self.inbox);
        let span = tracing::info_span!("inbox", mailbox = %key, region = %self.inbox.region);
        let _ = tracing::Instrument::instrument(
            async {
                while !self.shared.shutdown.is_cancelled() {
                    // Several instances on one store: work the inbox only while holding its lease.
                    let Some(lease) = self.take_lease().await else { break };
                    self.lease.clone_from(&lease);
                    let lost = CancellationToken::new();
                    let stop_keeping = CancellationToken::new();
                    if let Some(l) = &lease {
                        tokio::spawn(lease::keep(self.shared.store.clone(), l.clone(), lost.clone(), stop_keeping.clone()));
                    }
                    let shutdown = self.work_while_held(&lost).await;
                    stop_keeping.cancel();
                    if let (Some(l), true) = (&lease, shutdown) {
                        // A clean stop hands the inbox over at once.
                        if let Err(e) = self.shared.store.release_lease(l).await {
                            tracing::warn!(error = %format!("{e:#}"), "could not release the inbox lease; another instance takes over when it expires");
                        }
                    }
                    self.lease = None;
                    if shutdown {
                        break;
                    }
                    // Nothing to back off from: stand by for the lease again.
                    tracing::warn!("this instance no longer holds the inbox lease; standing by to take it again");
                }
                tracing::info!("inbox worker stopped");
            },
            span,
        )
        .await;
    }

    /// Works the inbox, reconnecting with backoff after a failure, until shutdown (`true`) or
    /// until the lease is lost (`false`). A failed connection keeps the lease: the other
    /// instances reach the same server and store, and handing the inbox over on every hiccup
    /// would leave it unworked until the lease expired.
    async fn work_while_held(&mut self, lost: &CancellationToken) -> bool {
        let mut backoff = Duration::from_secs(1);
        loop {
            let started = Instant::now();
            let result = tokio::select! {
                r = self.session() => r,
                _ = lost.cancelled() => Err(Failure::LeaseLost),
            };
            let failure = match result {
                Ok(()) => return true, // clean shutdown
                Err(Failure::LeaseLost) => return false,
                Err(failure) => failure,
            };
            let max = Duration::from_secs(self.config().main.imap.reconnect_max_secs.max(1));
            if started.elapsed() > max {
                backoff = Duration::from_secs(1); // it had been working: start over
            }
            let mut wait = jitter(backoff);
            if matches!(failure, Failure::OAuth(OAuthError::Rejected { .. })) {
                wait += REJECTED_PAUSE.min(max);
            }
            let retry_in_ms = wait.as_millis() as u64;
            match failure {
                Failure::OAuth(e) => {
                    tracing::error!(oauth = %e.source_name(), error = %e, retry_in_ms, "inbox cannot log in: its OAuth token source failed; retrying (inboxes using other sources are not affected)");
                }
                Failure::Store(e) => {
                    tracing::error!(error = %format!("{e:#}"), retry_in_ms, "store unavailable; new mail stays unread in the inbox until it is back");
                }
                Failure::Config(e) => {
                    tracing::error!(error = %format!("{e:#}"), retry_in_ms, "the configuration cannot handle a message; this inbox is paused until it is fixed (reload with SIGHUP); no attempt is counted");
                }
                Failure::Other(e) if ingest::is_store_error(&e) => {
                    tracing::error!(error = %format!("{e:#}"), retry_in_ms, "store unavailable; new mail stays unread in the inbox until it is back");
                }
                Failure::Other(e) => {
                    tracing::warn!(error = %format!("{e:#}"), retry_in_ms, "inbox connection failed; reconnecting");
                }
                Failure::LeaseLost => return false,
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = lost.cancelled() => return false,
                _ = self.shared.shutdown.cancelled() => return true,
            }
            backoff = (backoff * 2).min(max);
        }
    }

    fn config(&self) -> Arc<Config> {
        self.shared.config.borrow().clone()
    }

    /// One connection's life (renewed in place when its OAuth token is due). `Ok` only on
    /// shutdown.
    async fn session(&mut self) -> Result<(), Failure> {
        let cfg = self.config();
        let timeout = Duration::from_secs(cfg.main.imap.command_timeout_secs.max(1));
        let connect::Connected {
            session: mut s,
            mut renew_at,
        } = match tokio::select! {
            c = connect::connect(&self.inbox, &self.shared.tokens, timeout) => c,
            // A login can wait long (a server's failed-login penalty): shutdown need not.
            _ = self.shared.shutdown.cancelled() => return Ok(()),
        } {
            Ok(c) => c,
            Err(connect::ConnectError::OAuth(e)) => return Err(Failure::OAuth(e)),
            Err(connect::ConnectError::Other(e)) => return Err(Failure::Other(e)),
        };
        let mut renew_backoff = Duration::from_secs(1);
        let caps = {
            let c = t(timeout, "CAPABILITY", s.capabilities()).await?;
            Caps {
                idle: c.has_str("IDLE"),
                moves: c.has_str("MOVE"),
                uidplus: c.has_str("UIDPLUS"),
            }
        };
        if cfg.main.filing.mode == FilingMode::Move {
            ensure_folders(&mut s, &cfg, timeout).await?;
        }
        tracing::info!(idle = caps.idle, r#move = caps.moves, "inbox connected");
        if let Some(r) = self.ready.take() {
            let _ = r.send(());
        }
        let key = mailbox_key(&self.inbox);
        loop {
            let mb = t(timeout, "SELECT", s.select(&self.inbox.folder)).await?;
            let uidvalidity = i64::from(mb.uid_validity.context("the server gave no UIDVALIDITY")?);
            let resync = match self.shared.store.cursor(&key).await? {
                Some((stored, _)) if stored != uidvalidity => {
                    tracing::warn!(
                        old = stored,
                        new = uidvalidity,
                        "UIDVALIDITY changed; resyncing by content hash"
                    );
                    self.shared.store.reset_cursor(&key, uidvalidity).await?;
                    true
                }
                Some(_) => false,
                None => {
                    self.shared.store.reset_cursor(&key, uidvalidity).await?;
                    false
                }
            };
            let mut resync = resync;
            loop {
                if self.shared.shutdown.is_cancelled() {
                    let _ = tokio::time::timeout(timeout, s.logout()).await;
                    return Ok(());
                }
                if renew_at.is_some_and(|r| Instant::now() >= r) {
                    let renewed = tokio::select! {
                        r = self.renew(&mut s, timeout) => r,
                        _ = self.shared.shutdown.cancelled() => continue, // logs out above
                    };
                    match renewed {
                        Ok(next) => {
                            renew_at = next;
                            renew_backoff = Duration::from_secs(1);
                            break; // SELECT on the new session
                        }
                        Err(rejected) => {
                            let max = Duration::from_secs(cfg.main.imap.reconnect_max_secs.max(1));
                            let mut wait = jitter(renew_backoff);
                            if rejected {
                                wait += REJECTED_PAUSE.min(max);
                            }
                            renew_at = Some(Instant::now() + wait);
                            renew_backoff = (renew_backoff * 2).min(max);
                        }
                    }
                }
                // Taken afresh each cycle, so a reload (SIGHUP) applies to the next message.
                let cfg = self.config();
                let n = self
                    .process_new(&mut s, &cfg, uidvalidity, resync, caps, timeout)
                    .await?;
                self.file_pending(&mut s, &cfg, uidvalidity, caps, timeout)
                    .await?;
                self.shared.health.progress(&key);
                if n > 0 {
                    continue; // more may have arrived while we worked
                }
                resync = false;
                let (next, new_mail) = self.wait(s, &cfg, caps, timeout, renew_at).await?;
                s = next;
                if !new_mail {
                    break; // a quiet cycle: re-SELECT, which also catches a UIDVALIDITY change
                }
            }
        }
    }

    /// Ingests every UID past the cursor; returns how many messages it handled.
    async fn process_new(
        &mut self,
        s: &mut Session,
        cfg: &Arc<Config>,
        uidvalidity: i64,
        resync: bool,
        caps: Caps,
        timeout: Duration,
    ) -> Result<usize, Failure> {
        let key = mailbox_key(&self.inbox);
        let last = self
            .shared
            .store
            .cursor(&key)
            .await
            .map_err(Failure::Store)?
            .map(|c| c.1)
            .unwrap_or(0);
        let query = format!("UID {}:*", last + 1);
        // `n:*` always matches the highest UID, even when it is below n.
        let mut uids: Vec<u32> = t(timeout, "UID SEARCH", s.uid_search(&query))
            .await?
            .into_iter()
            .filter(|u| i64::from(*u) > last)
            .collect();
        uids.sort_unstable();
        // Committed beside the queue (a scan that finished after the messages behind it) before
        // a restart or reconnect: recorded with their UIDs, above the cursor. Not again.
        let noted = self
            .shared
            .store
            .noted_uids(&key, uidvalidity, last)
            .await
            .map_err(Failure::Store)?;
        uids.retain(|u| !noted.contains(&i64::from(*u)));
        let pass = Pass {
            key: key.clone(),
            uidvalidity,
            resync,
        };
        let mut handled = 0;
        // Scans read beside the queue, each committed when its reading is done.
        let mut parked: Vec<InFlight> = Vec::new();
        // UIDs fetched and not yet committed: the cursor stays below the lowest of them.
        let mut pending: std::collections::BTreeSet<u32> = Default::default();
        let mut highest = noted
            .iter()
            .chain(std::iter::once(&last))
            .filter_map(|u| u32::try_from(*u).ok())
            .max()
            .unwrap_or(0);
        for batch in uids.chunks(cfg.main.imap.batch_size.max(1) as usize) {
            let set = batch.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
            let fetched: Vec<_> = t(timeout, "UID FETCH", async {
                s.uid_fetch(&set, "(UID BODY.PEEK[])")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            let mut bodies: Vec<(u32, Vec<u8>)> = fetched
                .iter()
                .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
                .collect();
            bodies.sort_by_key(|(u, _)| *u);
            drop(fetched);
            for (uid, _) in &bodies {
                pending.insert(*uid);
                highest = highest.max(*uid);
            }
            // Attempts so far, read once: the closure below must not hold `self.failures`.
            let prior: HashMap<u32, u32> = bodies
                .iter()
                .filter_map(|(uid, _)| Some((*uid, *self.failures.get(&(uidvalidity, *uid))?)))
                .collect();
            // Decided ahead: while a message commits (store round trips), the next ones are
            // parsed and screened on the blocking pool, one per core. Commits stay in UID order
            // — except for a scan: once a page of it goes to the OCR engine it is parked and
            // read beside the queue, and the messages behind it commit (and are acknowledged)
            // meanwhile. `ingest::commit` screens again when a commit since changed the facts a
            // decision read.
            let (inbox, lease, shared) = (self.inbox.clone(), self.lease.clone(), self.shared.clone());
            let start = |uid: u32, raw: Vec<u8>| {
                let attempt = prior.get(&uid).copied().unwrap_or(0) + 1;
                let copy = (attempt >= MAX_ATTEMPTS).then(|| raw.clone());
                let (cfg, store, roster) = (cfg.clone(), shared.store.clone(), shared.roster.clone());
                let source = pass.source(&inbox, lease.clone(), uid, None);
                let (told, scanning) = watch::channel(false);
                let notice: crate::extract::ocr::ScanNotice = Arc::new(move || {
                    told.send_replace(true);
                });
                let task = shared.tasks.spawn(async move {
                    ingest::decide(cfg, &store, &roster, raw, &source, Some(notice)).await
                });
                InFlight {
                    uid,
                    attempt,
                    copy,
                    task,
                    started: Instant::now(),
                    scanning,
                }
            };
            let mut queue = bodies.into_iter();
            let mut ahead: std::collections::VecDeque<InFlight> = queue
                .by_ref()
                .take(DECIDE_AHEAD)
                .map(|(uid, raw)| start(uid, raw))
                .collect();
            loop {
                // A parked scan whose reading is done commits now, between two messages.
                while let Some(i) = parked.iter().position(|f| f.task.is_finished()) {
                    let mut f = parked.remove(i);
                    let decided = (&mut f.task).await;
                    self.conclude(cfg, &pass, f, decided, &mut pending, highest)
                        .await?;
                    handled += 1;
                }
                let Some(mut f) = ahead.pop_front() else {
                    break;
                };
                // Shutdown is honoured between messages: the one in hand is finished; what is
                // in flight is dropped (its task aborted) and read again at the next start.
                if self.shared.shutdown.is_cancelled() {
                    return Ok(handled);
                }
                let decided = if parked.len() < MAX_PARKED {
                    tokio::select! {
                        biased;
                        r = &mut f.task => Some(r),
                        Ok(_) = f.scanning.wait_for(|scan| *scan) => None,
                    }
                } else {
                    Some((&mut f.task).await)
                };
                ahead.extend(queue.next().map(|(uid, raw)| start(uid, raw)));
                let Some(decided) = decided else {
                    tracing::debug!(uid = f.uid, "reading a scan beside the queue");
                    parked.push(f);
                    continue;
                };
                // The messages right behind it whose decisions are done already commit with it,
                // in one transaction (see `ingest::commit_together`): a message is never waited
                // for to make a group, and one read again after a failure commits alone.
                let mut group = vec![(f, decided)];
                while group.len() < MAX_GROUP
                    && group
                        .last()
                        .is_some_and(|(f, d)| f.attempt == 1 && matches!(d, Ok(Ok(_))))
                    && ahead
                        .front()
                        .is_some_and(|n| n.attempt == 1 && n.task.is_finished())
                {
                    let Some(mut n) = ahead.pop_front() else {
                        break;
                    };
                    let decided = (&mut n.task).await;
                    ahead.extend(queue.next().map(|(uid, raw)| start(uid, raw)));
                    group.push((n, decided));
                }
                handled += group.len();
                if group.len() > 1 && group.iter().all(|(_, d)| matches!(d, Ok(Ok(_)))) {
                    let group = group
                        .into_iter()
                        .filter_map(|(f, d)| Some((f, d.ok()?.ok()?)))
                        .collect();
                    self.conclude_together(cfg, &pass, group, &mut pending, highest)
                        .await?;
                } else {
                    for (f, decided) in group {
                        self.conclude(cfg, &pass, f, decided, &mut pending, highest)
                            .await?;
                    }
                }
            }
            // Filed a batch at a time: one UID MOVE per folder instead of one per message, which
            // is most of the IMAP server's work (a MOVE rewrites the source folder's index).
            self.file_pending(s, cfg, uidvalidity, caps, timeout).await?;
        }
        // The scans still being read: each committed when done, oldest first.
        if !parked.is_empty() {
            for mut f in std::mem::take(&mut parked) {
                if self.shared.shutdown.is_cancelled() {
                    return Ok(handled);
                }
                let decided = (&mut f.task).await;
                self.conclude(cfg, &pass, f, decided, &mut pending, highest)
                    .await?;
                handled += 1;
            }
            self.file_pending(s, cfg, uidvalidity, caps, timeout).await?;
        }
        Ok(handled)
    }

    /// Commits one decided message (or counts its failure, quarantining it on its last attempt),
    /// logs it and wakes the sender. `pending` holds the UIDs fetched and not yet committed (this
    /// one leaves it), `highest` the highest fetched: the cursor advances to just below the
    /// lowest UID still pending ([`cursor_to`]).
    async fn conclude(
        &mut self,
        cfg: &Arc<Config>,
        pass: &Pass,
        f: InFlight,
        decided: DecideResult,
        pending: &mut std::collections::BTreeSet<u32>,
        highest: u32,
    ) -> Result<(), Failure> {
        pending.remove(&f.uid);
        let cursor_to = cursor_to(pending, highest);
        let (uid, uidvalidity) = (f.uid, pass.uidvalidity);
        let decided = decided.unwrap_or_else(|e| {
            Err(ingest::Error::Message(anyhow!(
                "the message decision task failed: {e}"
            )))
        });
        let source = pass.source(&self.inbox, self.lease.clone(), uid, Some(cursor_to));
        let result = match decided {
            Ok(d) => {
                ingest::commit(
                    cfg.clone(),
                    &self.shared.store,
                    &self.shared.roster,
                    d,
                    &source,
                    OutboxStatus::Pending,
                )
                .await
            }
            Err(e) => Err(e),
        };
        let done = match result {
            Ok(done) => done,
            Err(e) => self.failed(cfg, &f, e, &source).await?,
        };
        self.processed(&f, uidvalidity, &done);
        Ok(())
    }

    /// Commits several decided messages, in UID order, in as few transactions as
    /// `ingest::commit_together` finds they allow; each one logged as [`Self::conclude`] does.
    /// A transaction refused for something about a message counts an attempt against each of
    /// its messages (which then commit alone when read again, so the one at fault is found);
    /// the store or configuration failing counts none, as for one message.
    async fn conclude_together(
        &mut self,
        cfg: &Arc<Config>,
        pass: &Pass,
        group: Vec<(InFlight, ingest::Decided)>,
        pending: &mut std::collections::BTreeSet<u32>,
        highest: u32,
    ) -> Result<(), Failure> {
        for (f, _) in &group {
            pending.remove(&f.uid);
        }
        let together = cursor_to(pending, highest);
        let uids: Vec<u32> = group.iter().map(|(f, _)| f.uid).collect();
        let mut flights = Vec::with_capacity(group.len());
        let mut items = Vec::with_capacity(group.len());
        for (i, (f, decided)) in group.into_iter().enumerate() {
            // Committed alone (an earlier one conflicting), its cursor must stay below the
            // next message's UID; committed together, the last one's takes them all.
            let alone = uids
                .get(i + 1)
                .map_or(together, |next| together.min(i64::from(*next) - 1));
            let source = pass.source(&self.inbox, self.lease.clone(), f.uid, Some(alone));
            items.push((decided, source.clone()));
            flights.push((f, source));
        }
        let (done, failed) = ingest::commit_together(
            cfg.clone(),
            &self.shared.store,
            &self.shared.roster,
            items,
            OutboxStatus::Pending,
        )
        .await;
        let committed = done.len();
        tracing::debug!(messages = flights.len(), committed, "committed together");
        for ((f, _), done) in flights.iter().zip(&done) {
            self.processed(f, pass.uidvalidity, done);
        }
        let Some((e, held)) = failed else {
            return Ok(());
        };
        let at_fault = flights.iter().skip(committed).take(held);
        match e {
            // Every message in a group is on its first attempt: none is quarantined yet.
            ingest::Error::Message(e) => {
                let uids: Vec<String> = at_fault
                    .map(|(f, _)| {
                        self.failures.insert((pass.uidvalidity, f.uid), f.attempt);
                        f.uid.to_string()
                    })
                    .collect();
                Err(Failure::Other(e.context(format!(
                    "ingesting UIDs {} together (each is committed alone when read again)",
                    uids.join(",")
                ))))
            }
            e => {
                let (f, source) = flights
                    .into_iter()
                    .nth(committed)
                    .ok_or_else(|| Failure::Other(anyhow!("a commit failed with no message in it")))?;
                // The store or the configuration: the inbox's failure, no attempt counted.
                self.failed(cfg, &f, e, &source).await.map(|_| ())
            }
        }
    }

    /// What a message that could not be committed comes to: the store or configuration failing
    /// is the inbox's failure (no attempt counted); the message failing counts an attempt and,
    /// on its last, quarantines it (its record returned).
    async fn failed(
        &mut self,
        cfg: &Arc<Config>,
        f: &InFlight,
        e: ingest::Error,
        source: &Source,
    ) -> Result<ingest::Ingested, Failure> {
        let (uid, attempt, uidvalidity) = (f.uid, f.attempt, source.uidvalidity.unwrap_or_default());
        match e {
            // The store failing says nothing about the message: not an attempt.
            ingest::Error::Store(e) if e.downcast_ref::<crate::store::LeaseLost>().is_some() => {
                tracing::warn!(uid, error = %e, "commit refused: the inbox lease was lost; stopping work on this inbox");
                Err(Failure::LeaseLost)
            }
            ingest::Error::Store(e) => Err(Failure::Store(e.context(format!("storing UID {uid}")))),
            // Nor does our configuration failing: the inbox waits for an operator.
            ingest::Error::Config(e) => Err(Failure::Config(e.context(format!("UID {uid}")))),
            ingest::Error::Message(e) => {
                self.failures.insert((uidvalidity, uid), attempt);
                let Some(raw) = f.copy.as_deref() else {
                    // Retried after a reconnect: a store outage heals, and is waited for.
                    return Err(Failure::Other(
                        e.context(format!("ingesting UID {uid} (attempt {attempt})")),
                    ));
                };
                // The same message failed every time: keep it for a person and move on.
                let error = format!("{e:#}");
                let q = ingest::quarantine(cfg, &self.shared.store, raw, source, &error)
                    .await
                    .with_context(|| format!("quarantining UID {uid}"))?;
                tracing::error!(
                    msg_id = q.store_id.as_deref().unwrap_or("-"), uid, attempts = attempt, error = %error,
                    "message could not be processed; stored for review, no email sent"
                );
                self.shared.metrics.quarantined();
                Ok(q)
            }
        }
    }

    /// A message done with (committed, a duplicate, or quarantined): its attempts forgotten, the
    /// sender woken, one log line, the metrics.
    fn processed(&mut self, f: &InFlight, uidvalidity: i64, done: &ingest::Ingested) {
        let uid = f.uid;
        self.failures.remove(&(uidvalidity, uid));
        self.shared.wake_sender.notify_one();
        let d = &done.decision;
        tracing::info!(
            msg_id = done.store_id.as_deref().or(done.duplicate_of.as_deref()).unwrap_or("-"),
            uid,
            disposition = d.disposition.code(),
            programs = %d.programs.iter().map(|p| p.code()).collect::<Vec<_>>().join(","),
            outcomes = %d.referrals.iter().map(|r| r.outcome.code()).collect::<Vec<_>>().join(","),
            reasons = %summary_reasons(d),
            emails = done.outbox_ids.len(),
            ms = f.started.elapsed().as_millis() as u64,
            decide_ms = done.decide_time.as_millis() as u64,
            "message processed"
        );
        self.shared.metrics.message_done(&self.inbox.address, done);
    }

    /// Files UIDs that were committed but not filed: those of the batch just processed, and any
    /// left over from a crash or a failed move. One command per folder, with a UID set.
    async fn file_pending(
        &mut self,
        s: &mut Session,
        cfg: &Arc<Config>,
        uidvalidity: i64,
        caps: Caps,
        timeout: Duration,
    ) -> Result<()> {
        let key = mailbox_key(&self.inbox);
        let mut by_folder: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
        for (uid, folder) in self.shared.store.unfiled(&key, uidvalidity).await? {
            if let Ok(uid) = u32::try_from(uid) {
                by_folder.entry(folder).or_default().push(uid);
            }
        }
        if !by_folder.is_empty() {
            // A process paused past its lease must not move mail another instance now owns.
            lease::still_held(&self.shared.store, self.lease.as_ref()).await?;
        }
        for (folder, uids) in by_folder {
            for chunk in uids.chunks(FILE_CHUNK) {
                match file_set(s, cfg, chunk, &folder, caps, timeout).await {
                    Ok(()) => {
                        let uids: Vec<i64> = chunk.iter().map(|u| i64::from(*u)).collect();
                        self.shared.store.mark_filed(&key, uidvalidity, &uids).await?;
                    }
                    Err(e) => {
                        tracing::warn!(folder = %folder, count = chunk.len(), error = %format!("{e:#}"), "filing failed; will retry");
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for new mail: IDLE when offered, else a poll interval; never past `renew_at` (the
    /// session's token renewal). Returns the session and whether the server announced new data.
    async fn wait(
        &mut self,
        s: Session,
        cfg: &Arc<Config>,
        caps: Caps,
        timeout: Duration,
        renew_at: Option<Instant>,
    ) -> Result<(Session, bool)> {
        let shutdown = self.shared.shutdown.clone();
        let until_renew = |d: Duration| match renew_at {
            Some(r) => d.min(
                r.saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(50)),
            ),
            None => d,
        };
        // An idle inbox still completes a cycle within half of `stall_secs`, so `/healthz` and the
        // watchdog tell a quiet inbox from a dead connection.
        let cycle_cap = Duration::from_secs((cfg.main.daemon.stall_secs / 2).max(5));
        if !caps.idle {
            tokio::select! {
                _ = tokio::time::sleep(until_renew(Duration::from_secs(cfg.main.imap.poll_secs.max(1)).min(cycle_cap))) => {}
                _ = shutdown.cancelled() => {}
            }
            return Ok((s, true));
        }
        let mut idle = s.idle();
        t(timeout, "IDLE", idle.init()).await?;
        let result = {
            let (fut, stop) = idle.wait_with_timeout(until_renew(
                Duration::from_secs(cfg.main.imap.idle_secs.max(5)).min(cycle_cap),
            ));
            tokio::pin!(fut);
            tokio::select! {
                r = &mut fut => r,
                _ = shutdown.cancelled() => {
                    drop(stop);
                    (&mut fut).await
                }
            }
        };
        let new_mail = matches!(result, Ok(async_imap::extensions::idle::IdleResponse::NewData(_)));
        result.context("waiting in IDLE")?;
        let s = t(timeout, "DONE", idle.done()).await?;
        Ok((s, new_mail))
    }
}

/// Moves (or flags) a set of messages into one folder.
async fn file_set(
    s: &mut Session,
    cfg: &Config,
    uids: &[u32],
    folder: &str,
    caps: Caps,
    timeout: Duration,
) -> Result<()> {
    let set = uid_set(uids);
    if cfg.main.filing.mode == FilingMode::Flag {
        let flag = format!("+FLAGS.SILENT ({})", cfg.main.filing.keyword);
        t(timeout, "UID STORE", async {
            s.uid_store(&set, &flag).await?.try_collect::<Vec<_>>().await
        })
        .await?;
        return Ok(());
    }
    if caps.moves {
        return t(timeout, "UID MOVE", s.uid_mv(&set, folder)).await;
    }
    // Without MOVE (RFC 6851): copy, mark deleted, expunge just these UIDs where UIDPLUS allows.
    t(timeout, "UID COPY", s.uid_copy(&set, folder)).await?;
    t(timeout, "UID STORE", async {
        s.uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
            .await?
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    if caps.uidplus {
        t(timeout, "UID EXPUNGE", async {
            s.uid_expunge(&set).await?.try_collect::<Vec<_>>().await
        })
        .await?;
    } else {
        t(timeout, "EXPUNGE", async {
            s.expunge().await?.try_collect::<Vec<_>>().await
        })
        .await?;
    }
    Ok(())
}

/// Most UIDs filed by one command (keeps the command line short: LESSONS takeaway 3).
const FILE_CHUNK: usize = 200;

/// An IMAP UID set for sorted UIDs, with runs written as ranges: `1:3,7,9:10`.
fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&start) = uids.get(i) {
        let mut end = start;
        while uids.get(i + 1) == Some(&end.wrapping_add(1)) {
            end = end.wrapping_add(1);
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// Creates the filing folders that do not exist yet.
async fn ensure_folders(s: &mut Session, cfg: &Config, timeout: Duration) -> Result<()> {
    let existing: Vec<String> = t(timeout, "LIST", async {
        s.list(None, Some("*"))
            .await?
            .map_ok(|n| n.name().to_string())
            .try_collect::<Vec<_>>()
            .await
    })
    .await?;
    let f = &cfg.main.filing;
    let mut wanted = vec![
        &f.accepted,
        &f.needs_info,
        &f.screened_out,
        &f.redirected,
        &f.review,
        &f.ignored,
    ];
    wanted.sort();
    wanted.dedup();
    for folder in wanted {
        if existing.iter().any(|e| e == folder) {
            continue;
        }
        if let Err(e) = t(timeout, "CREATE", s.create(folder)).await {
            // Another instance may have created it meanwhile; a real problem shows at MOVE.
            tracing::warn!(folder = %folder, error = %format!("{e:#}"), "could not create folder");
        } else {
            tracing::info!(folder = %folder, "created folder");
        }
    }
    Ok(())
}

/// Runs one IMAP command with a timeout.
async fn t<T>(
    d: Duration,
    what: &'static str,
    f: impl std::future::Future<Output = async_imap::error::Result<T>>,
) -> Result<T> {
    tokio::time::timeout(d, f)
        .await
        .map_err(|_| anyhow!("IMAP {what} timed out after {}s", d.as_secs()))?
        .map_err(|e| anyhow!("IMAP {what} failed: {e}"))
}

fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis() as u64;
    Duration::from_millis(ms / 2 + fastrand::u64(0..=ms.max(1)))
}

fn summary_reasons(d: &crate::pipeline::Decision) -> String {
    let mut v: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
    for r in &d.referrals {
        v.extend(r.reasons.iter().map(ToString::to_string));
    }
    v.sort();
    v.dedup();
    v.join(",")
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[]), "");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[4, 6, 8]), "4,6,8");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }
}
