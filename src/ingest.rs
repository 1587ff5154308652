//! Ingesting one message: dedupe, decide, compose and commit — the step `replay` and the daemon
//! share.
//!
//! Order matters:
//! 1. [`decide`]: the message is read ([`pipeline::extract`], pure, on the blocking pool), the
//!    facts screening needs are fetched in one query ([`Facts`]), and it is screened with them
//!    ([`pipeline::screen`], pure): every email planned;
//! 2. [`commit`]: the facts are fetched again (an earlier message's commit may have changed them;
//!    if so the message is screened again, not read again), then the message, its referrals, its
//!    outbox rows and an audit event are committed in one transaction.
//!
//! Sending happens afterwards, from the outbox.

use std::sync::Arc;

use anyhow::{Context as _, Result};
use chrono::Datelike;
use sha2::{Digest, Sha256};

use crate::config::{Config, FilingConfig};
use crate::message::Email;
use crate::model::{Disposition, Reason};
use crate::outbox;
use crate::pipeline::{self, Decision};
use crate::store::{ImapRef, NewMessage, NewOutbox, NewReferral, OutboxStatus, Roster, Store};

/// Where a message came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// `replay` or `<inbox address>/<folder>`.
    pub mailbox: String,
    pub uidvalidity: Option<i64>,
    pub uid: Option<i64>,
    /// The inbox's region when known (IMAP); replay infers it from the recipients.
    pub inbox_region: Option<String>,
    /// Reading a mailbox again after its UIDVALIDITY changed: content already stored is the
    /// same message under a new UID, filed where it was filed before, not a duplicate.
    pub resync: bool,
    /// The inbox's lease when several instances share the store: the commit is refused once
    /// it is lost.
    pub lease: Option<crate::store::Lease>,
    /// Where the mailbox cursor may advance to when this message commits (see
    /// [`ImapRef::cursor_to`]); `None` is the message's own UID.
    pub cursor_to: Option<i64>,
}

impl Source {
    /// The message's place in its mailbox, to be filed in `folder`; `None` outside IMAP.
    pub fn imap_ref(&self, folder: String) -> Option<ImapRef> {
        let (uid, uidvalidity) = self.uid.zip(self.uidvalidity)?;
        Some(ImapRef {
            mailbox: self.mailbox.clone(),
            uidvalidity,
            uid,
            folder,
            cursor_to: self.cursor_to.unwrap_or(uid),
            lease: self.lease.clone(),
        })
    }

    /// A message replayed from a file.
    pub fn replay() -> Source {
        Source {
            mailbox: "replay".into(),
            uidvalidity: None,
            uid: None,
            inbox_region: None,
            resync: false,
            lease: None,
            cursor_to: None,
        }
    }
}

/// What happened to one message.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The store id; `None` for a duplicate (nothing new stored).
    pub store_id: Option<String>,
    pub decision: Decision,
    /// Reference numbers, one per referral.
    pub references: Vec<String>,
    pub outbox_ids: Vec<String>,
    /// The IMAP folder the message is to be filed in (for IMAP sources).
    pub folder: Option<String>,
    /// For content already stored: the stored message's id.
    pub duplicate_of: Option<String>,
    /// Time spent deciding (parse, extract, screen), off the async runtime.
    pub decide_time: std::time::Duration,
}

/// The folder a message is filed in: what needs a person first.
pub fn folder_for(d: &Decision, filing: &FilingConfig) -> String {
    use crate::model::Outcome;
    match d.disposition {
        Disposition::Review => filing.review.clone(),
        Disposition::Ignored => filing.ignored.clone(),
        Disposition::Referral => {
            let has = |o: Outcome| d.referrals.iter().any(|r| r.outcome == o);
            // A referral read with doubt needs a person first, like an unreadable message.
            if has(Outcome::Review) {
                filing.review.clone()
            } else if has(Outcome::NeedsInfo) {
                filing.needs_info.clone()
            } else if has(Outcome::ScreenedOut) {
                filing.screened_out.clone()
            } else if has(Outcome::Redirected) {
                filing.redirected.clone()
            } else {
                filing.accepted.clone()
            }
        }
    }
}

/// A stable identity for a message's content: the Message-ID together with a hash of what it
/// carries (so a sender reusing a Message-ID for different mail is not a duplicate), or the raw
/// bytes when there is no Message-ID.
pub fn content_hash(raw: &[u8], email: Option<&Email>) -> String {
    let mut h = Sha256::new();
    match email.and_then(|e| e.message_id.as_deref().map(|id| (e, id))) {
        Some((e, id)) => {
            h.update(b"mid\0");
            h.update(id.as_bytes());
            h.update(b"\0");
            h.update(e.subject.as_bytes());
            h.update(b"\0");
            h.update(e.body_text.as_bytes());
            for a in &e.attachments {
                h.update(b"\0att\0");
                h.update(Sha256::digest(&a.bytes));
            }
        }
        None => {
            h.update(b"raw\0");
            h.update(raw);
        }
    }
    hex::encode(h.finalize())
}

/// Ingests one raw message into the store: [`decide`], then [`commit`] with its emails written
/// with `outbox_status` (see [`commit`]).
pub async fn ingest(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    raw: Vec<u8>,
    source: &Source,
    outbox_status: OutboxStatus,
) -> Result<Ingested, Error> {
    let decided = decide(cfg.clone(), store, roster, raw, source, None).await?;
    commit(cfg, store, roster, decided, source, outbox_status).await
}

/// Why a message could not be ingested, by what the caller does about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store did not answer: nothing is wrong with the message. Wait for the store and try
    /// again; spend no attempt.
    #[error("the store did not answer: {0:#}")]
    Store(anyhow::Error),
    /// This message could not be processed: count an attempt, and after the last keep it for a
    /// person (quarantine) and move on.
    #[error("{0:#}")]
    Message(anyhow::Error),
    /// Our configuration cannot handle it (its mail cannot be composed): an operator must act.
    /// Pause the inbox, log an ERROR, spend no attempt.
    #[error("the configuration cannot handle this message: {0:#}")]
    Config(anyhow::Error),
}

/// A message decided but not yet committed.
pub struct Decided {
    raw: Vec<u8>,
    /// Its content hash ([`content_hash`]), taken while it was read.
    hash: String,
    /// What was read, kept so a commit that finds the facts changed can screen again.
    read: Option<pipeline::Extracted>,
    decision: Decision,
    decide_time: std::time::Duration,
    /// The facts the decision was screened with.
    facts: Facts,
}

/// What screening needs from outside the message, fetched before it: the members (by CIN) with
/// an open ECM referral, and the roster. A lookup failure is a store error like any other — not
/// a silent "none open".
#[derive(Debug, Clone, Default)]
pub struct Facts {
    open_ecm: std::collections::BTreeSet<String>,
    roster: Roster,
    /// Where the store's log of open ECM commits stood before the query.
    as_of: u64,
}

impl PartialEq for Facts {
    /// The same answers, whenever they were fetched.
    fn eq(&self, other: &Facts) -> bool {
        self.open_ecm == other.open_ecm && self.roster == other.roster
    }
}

impl Facts {
    /// The facts about `cins`, in one query.
    pub async fn fetch(store: &Store, roster: &Roster, cins: &[String]) -> Result<Facts> {
        Facts::fetch_besides(store, roster, cins, None).await
    }

    /// The facts about `cins` leaving out the stored message `besides`'s own referrals: what a
    /// stored message is decided again with (`reprocess`), as when it was first decided.
    pub async fn fetch_besides(
        store: &Store,
        roster: &Roster,
        cins: &[String],
        besides: Option<&str>,
    ) -> Result<Facts> {
        let as_of = store.ecm_log().position();
        Ok(Facts {
            open_ecm: store.open_ecm_referrals_besides(cins, besides).await?,
            roster: roster.clone(),
            as_of,
        })
    }
}

impl crate::screen::Lookups for Facts {
    fn open_ecm_referral(&self, cin: &str) -> bool {
        self.open_ecm.contains(cin)
    }

    fn on_roster(&self, cin: &str) -> Option<bool> {
        self.roster.contains(cin)
    }
}

/// Decides a message: reads it off the async runtime (bounded by the backstop time limit), then
/// fetches the facts screening needs and screens it. Reads the store but writes nothing, so the
/// inbox can decide the next message while the previous one commits.
pub async fn decide(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    raw: Vec<u8>,
    source: &Source,
    scan: Option<crate::extract::ocr::ScanNotice>,
) -> Result<Decided, Error> {
    let today = chrono::Local::now().date_naive();
    let region = source.inbox_region.clone();
    let cfg2 = cfg.clone();
    let raw = Arc::new(raw);
    let raw2 = raw.clone();
    let backstop = cfg.main.limits.backstop_time();
    let decide_started = std::time::Instant::now();
    let read = run_bounded(backstop, move || {
        let read = pipeline::extract_noticing(&raw2, &cfg2, today, region.as_deref(), scan);
        let hash = content_hash(&raw2, read.email.as_ref());
        (read, hash)
    })
    .await
    .context("the message decision task failed")
    .map_err(Error::Message)?;
    let raw: Vec<u8> = Arc::try_unwrap(raw).unwrap_or_else(|shared| shared.as_ref().clone());
    let Some((read, hash)) = read else {
        // The extraction loops' own deadline did not fire (the time went somewhere that does
        // not look at the clock). Stop waiting: the message goes to review, and the blocking
        // thread is left to finish on its own (it cannot be killed; the size, decompression and
        // operator limits bound how long it can run).
        let region = source
            .inbox_region
            .clone()
            .unwrap_or_else(|| pipeline::default_region(&cfg));
        tracing::warn!(
            uid = source.uid.unwrap_or(-1),
            secs = backstop.as_secs_f64(),
            "message decision did not finish in time; filed for review"
        );
        let mut decision = pipeline::timed_out(region, backstop);
        pipeline::plan_review_emails(&cfg, &mut decision, None);
        return Ok(Decided {
            hash: content_hash(&raw, None),
            raw,
            read: None,
            decision,
            decide_time: decide_started.elapsed(),
            facts: Facts::default(),
        });
    };
    let facts = Facts::fetch(store, roster, &read.cins())
        .await
        .map_err(Error::Store)?;
    let decision = pipeline::screen(&read, &cfg, &facts);
    Ok(Decided {
        raw,
        hash,
        read: Some(read),
        decision,
        decide_time: decide_started.elapsed(),
        facts,
    })
}

/// Commits a decided message: duplicate check, loop guards, then the message, its referrals,
/// outbox rows and the mailbox cursor in one transaction.
///
/// `outbox_status` is the status its emails are written with: `Pending` for the daemon's sender to
/// send; `Sent` or `Discarded` for `replay`, whose mail no sender may ever take — written so in
/// the same insert, there is no moment at which it is pending.
///
/// A decision made while an earlier message was still committing may have missed that
/// message's ECM referral for the same member (a CHW referral is screened against open ECM
/// referrals): when the store's log of open ECM commits shows one for its members since its
/// facts were fetched, they are fetched again here, and if they changed the message is screened
/// again (not read again).
pub async fn commit(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    decided: Decided,
    source: &Source,
    outbox_status: OutboxStatus,
) -> Result<Ingested, Error> {
    let prepared = match prepare(&cfg, store, roster, decided, source).await? {
        Ready::Prepared(p) => *p,
        Ready::Seen(done) => return Ok(*done),
    };
    // Held from here to the commit (SQLite): see `store::Held`.
    let mut held = store.hold().await.map_err(Error::Store)?;
    let reads = store
        .reads_before_commit(
            &mut held,
            crate::loops::reply_window_start(&cfg),
            &[prepared.wanted(false)],
        )
        .await
        .map_err(Error::Store)?
        .pop()
        .ok_or_else(|| Error::Store(anyhow::anyhow!("the store answered for no message")))?;
    let mut planned = plan(&cfg, prepared, reads, source, outbox_status)?;
    let (new, referrals, mails) = planned.rows();
    match store.commit_message_held(held, new, referrals, mails).await {
        Ok(c) => Ok(planned.finish(c)),
        // Refused for a constraint: when it is because the content is stored already, this is
        // a duplicate (what was reserved and composed for it is dropped: a gap in the numbers).
        Err(e) if violates_constraint(&e) => match store.seen(&planned.p.hash).await.map_err(Error::Store)? {
            Some(original) => {
                seen_again(
                    &cfg,
                    store,
                    source,
                    original,
                    &planned.p.decision,
                    planned.p.decide_time,
                )
                .await
            }
            None => Err(commit_error(e)),
        },
        Err(e) => Err(commit_error(e)),
    }
}

/// Commits several decided messages of one inbox, in order, in as few transactions as their
/// facts allow: one round trip for their reads and reference numbers and one transaction for
/// their rows, instead of one of each per message (SQLite's single writer writes the pages they
/// share once; PostgreSQL syncs its log once). Each `Source` carries the cursor its message
/// would advance to committed alone (see [`Source::cursor_to`]); committed together, the
/// cursor goes to the last one's.
///
/// Messages go in one transaction only when none could change what another's decision read: no
/// two share a member's CIN (an ECM referral committed by one is a fact for another's CHW
/// screening), a reply recipient (the loop guards count replies already queued) or content (a
/// duplicate); a bounce (its suppressions are facts for every reply) and a resync are committed
/// on their own. A stored duplicate is looked up with the reads and recorded in the same
/// transaction. Messages that conflict start the next transaction.
///
/// Returns what was committed, in order; when a transaction fails, the error and how many of
/// the messages it held (the ones after what was committed; nothing after them was tried).
pub async fn commit_together(
    cfg: Arc<Config>,
    store: &Store,
    roster: &Roster,
    items: Vec<(Decided, Source)>,
    outbox_status: OutboxStatus,
) -> (Vec<Ingested>, Option<(Error, usize)>) {
    let mut runs: Vec<Vec<(Decided, Source)>> = Vec::new();
    for (d, s) in items {
        match runs.last_mut() {
            Some(run)
                if d.may_share(&s)
                    && run
                        .iter()
                        .all(|(e, es)| e.may_share(es) && e.independent_of(&d, &cfg)) =>
            {
                run.push((d, s));
            }
            _ => runs.push(vec![(d, s)]),
        }
    }
    let mut done = Vec::with_capacity(runs.iter().map(Vec::len).sum());
    for mut run in runs {
        let n = run.len();
        let committed = match run.pop() {
            Some((d, s)) if run.is_empty() => commit(cfg.clone(), store, roster, d, &s, outbox_status)
                .await
                .map(|i| vec![i]),
            last => {
                run.extend(last);
                commit_run(&cfg, store, roster, run, outbox_status).await
            }
        };
        match committed {
            Ok(c) => done.extend(c),
            Err(e) => return (done, Some((e, n))),
        }
    }
    (done, None)
}

/// Several decided messages that may share a transaction (see [`commit_together`]) in one.
async fn commit_run(
    cfg: &Arc<Config>,
    store: &Store,
    roster: &Roster,
    run: Vec<(Decided, Source)>,
    outbox_status: OutboxStatus,
) -> Result<Vec<Ingested>, Error> {
    let mut prepared = Vec::with_capacity(run.len());
    for (d, s) in run {
        match prepare(cfg, store, roster, d, &s).await? {
            Ready::Prepared(p) => prepared.push((*p, s)),
            // Only a resync looks for a duplicate first, and it is never in a run.
            Ready::Seen(_) => {
                return Err(Error::Message(anyhow::anyhow!(
                    "a message read again after a UIDVALIDITY change was committed with others"
                )));
            }
        }
    }
    let mut held = store.hold().await.map_err(Error::Store)?;
    let wanted: Vec<_> = prepared.iter().map(|(p, _)| p.wanted(true)).collect();
    let reads = store
        .reads_before_commit(&mut held, crate::loops::reply_window_start(cfg), &wanted)
        .await
        .map_err(Error::Store)?;
    drop(wanted);
    // Each message's result in order: a duplicate's now, a new message's once committed.
    let ignored = cfg.main.filing.ignored.clone();
    let mut results: Vec<Option<Ingested>> = Vec::with_capacity(prepared.len());
    let mut planned = Vec::with_capacity(prepared.len());
    let mut seen_rows = Vec::new();
    for ((p, source), reads) in prepared.into_iter().zip(reads) {
        match reads.stored_as {
            Some(original) => {
                if let Some(imap) = source.imap_ref(ignored.clone()) {
                    seen_rows.push(crate::store::SeenAgain {
                        imap,
                        original: original.clone(),
                        kind: crate::store::EventKind::Duplicate,
                    });
                }
                results.push(Some(duplicate(
                    &p.decision,
                    &source,
                    original,
                    ignored.clone(),
                    p.decide_time,
                )));
            }
            None => {
                results.push(None);
                planned.push(plan(cfg, p, reads, &source, outbox_status)?);
            }
        }
    }
    let rows: Vec<_> = planned.iter_mut().map(Planned::rows).collect();
    let committed = store
        .commit_messages_held(held, rows, seen_rows)
        .await
        .map_err(commit_error)?;
    let mut new = planned.into_iter().zip(committed).map(|(p, c)| p.finish(c));
    Ok(results
        .into_iter()
        .filter_map(|r| r.or_else(|| new.next()))
        .collect())
}

impl Decided {
    /// Whether it may share a transaction at all: not a bounce (its suppressions are facts for
    /// every reply after it), not a resync (whose duplicates are looked up first and filed where
    /// they were).
    fn may_share(&self, source: &Source) -> bool {
        !source.resync && !self.decision.reasons.contains(&Reason::Bounce)
    }

    /// Whether nothing it commits is a fact `later`'s decision read, or the reverse: no member
    /// CIN, reply recipient or content in common (see [`commit_together`]).
    fn independent_of(&self, later: &Decided, cfg: &Config) -> bool {
        let members = |d: &Decided| -> Vec<String> {
            d.decision
                .referrals
                .iter()
                .filter_map(|r| r.fields.member_cin.clone())
                .chain(d.read.as_ref().map(|r| r.cins()).unwrap_or_default())
                .collect()
        };
        let ours = members(self);
        let replies = crate::loops::replies_to_guard(cfg, &self.decision);
        self.hash != later.hash
            && !members(later).iter().any(|c| ours.contains(c))
            && !crate::loops::replies_to_guard(cfg, &later.decision)
                .iter()
                .any(|to| replies.iter().any(|r| r.eq_ignore_ascii_case(to)))
    }
}

/// What [`prepare`] gives: a message ready for its reads and commit, or (on a resync) the
/// record of content stored before.
enum Ready {
    Prepared(Box<Prepared>),
    Seen(Box<Ingested>),
}

/// A decided message on its way to the store: its facts checked again, its content hash taken,
/// a bounce read, what it must read and reserve before its mail is composed worked out.
struct Prepared {
    raw: Vec<u8>,
    read: Option<pipeline::Extracted>,
    decision: Decision,
    decide_time: std::time::Duration,
    hash: String,
    events: Vec<crate::store::NewEvent>,
    suppressions: Vec<crate::store::NewSuppression>,
    bounce: Option<crate::loops::BounceOutcome>,
    /// One reference number prefix per referral, and the message's own.
    prefixes: Vec<String>,
    msg_prefix: String,
    /// The reply recipients the loop guards check (live mail only).
    replies: Vec<String>,
}

impl Prepared {
    /// What it reads before its mail is composed; its duplicate looked up first when it is
    /// committed with others (`with_hash`).
    fn wanted(&self, with_hash: bool) -> crate::store::ReadsWanted<'_> {
        crate::store::ReadsWanted {
            replies: &self.replies,
            reference_prefixes: &self.prefixes,
            message_prefix: &self.msg_prefix,
            content_hash: with_hash.then_some(self.hash.as_str()),
        }
    }
}

/// Checks a decided message's facts again (screening it again when an earlier commit changed
/// them), takes its content hash, and on a resync looks for the same content stored before.
async fn prepare(
    cfg: &Arc<Config>,
    store: &Store,
    roster: &Roster,
    decided: Decided,
    source: &Source,
) -> Result<Ready, Error> {
    let mut decided = decided;
    if let Some(read) = &decided.read
        && (store.ecm_log().changed_since(decided.facts.as_of, &read.cins())
            || *roster != decided.facts.roster)
    {
        let now = Facts::fetch(store, roster, &read.cins())
            .await
            .map_err(Error::Store)?;
        if now != decided.facts {
            decided.decision = pipeline::screen(read, cfg, &now);
            decided.facts = now;
        }
    }
    let Decided {
        raw,
        hash,
        read,
        decision,
        decide_time,
        ..
    } = decided;
    // The duplicate check: before anything else on a resync (every message is likely stored
    // already, and would otherwise reserve reference numbers it never uses); otherwise by the
    // commit itself, whose content hash is unique — one query less on the inbox's path for the
    // message that is new, as nearly all are.
    if source.resync
        && let Some(original) = store.seen(&hash).await.map_err(Error::Store)?
    {
        let done = seen_again(cfg, store, source, original, &decision, decide_time).await?;
        return Ok(Ready::Seen(Box::new(done)));
    }
    // Loop protection (crate::loops): a bounce of our mail suppresses its dead recipients; live
    // replies to a suppressed or flooding sender are withheld. Forwards always go.
    let mut events = Vec::new();
    let mut suppressions = Vec::new();
    let mut bounce = None;
    if decision.reasons.contains(&Reason::Bounce) {
        let b = crate::loops::read_bounce(cfg, store, &raw)
            .await
            .map_err(Error::Store)?;
        events.extend(b.events.iter().cloned());
        suppressions.clone_from(&b.suppressions);
        bounce = Some(b);
    }
    // The year the plan received it, not the sender's Date header (which can be anything).
    let year = chrono::Local::now().date_naive().year();
    let prefixes = decision
        .referrals
        .iter()
        .map(|r| outbox::referral_prefix(r, year))
        .collect();
    let msg_prefix = outbox::message_prefix(&decision.inbox_region, year);
    // What the loop guards need to know about the replies (live mail only) and the reference
    // numbers are read and reserved next, in one round trip. The numbers do not depend on the
    // guards, which only ever take replies out.
    let replies = if source.uid.is_some() {
        crate::loops::replies_to_guard(cfg, &decision)
    } else {
        Vec::new()
    };
    Ok(Ready::Prepared(Box::new(Prepared {
        raw,
        read,
        decision,
        decide_time,
        hash,
        events,
        suppressions,
        bounce,
        prefixes,
        msg_prefix,
        replies,
    })))
}

/// A message planned in full before the write transaction: reference numbers reserved, replies
/// withheld by the loop guards, every row built, the mail composed (templates rendered,
/// attachments encoded).
struct Planned {
    p: Prepared,
    references: Vec<String>,
    referrals: Vec<NewReferral>,
    mails: Vec<NewOutbox>,
    programs_json: String,
    reasons_json: String,
    summary_json: String,
    imap: Option<ImapRef>,
    folder: Option<String>,
}

fn plan(
    cfg: &Config,
    mut p: Prepared,
    reads: crate::store::ReadsDone,
    source: &Source,
    outbox_status: OutboxStatus,
) -> Result<Planned, Error> {
    if source.uid.is_some() {
        let withheld = crate::loops::withhold_replies(cfg, &mut p.decision, &reads.reply_facts);
        p.events.extend(withheld);
    }
    let email = p.read.as_ref().and_then(|r| r.email.as_ref());
    let summary = serde_json::json!({
        "rule": p.decision.rule,
        "documents": p.decision.documents,
        "attachments": email.map(|e| e.attachments.len()),
    });
    let referrals = p
        .decision
        .referrals
        .iter()
        .zip(&reads.references)
        .map(|(r, reference)| referral_row(r, reference))
        .collect::<Result<Vec<_>>>()
        .map_err(Error::Message)?;
    let mails = outbox::compose(
        cfg,
        &p.decision,
        email,
        &p.raw,
        &reads.references,
        &reads.message_reference,
    )
    .map_err(Error::Config)?
    .into_iter()
    .map(|c| c.row(outbox_status))
    .collect();
    let folder = folder_for(&p.decision, &cfg.main.filing);
    Ok(Planned {
        programs_json: serde_json::to_string(&p.decision.programs).map_err(|e| Error::Message(e.into()))?,
        reasons_json: serde_json::to_string(&p.decision.reasons).map_err(|e| Error::Message(e.into()))?,
        summary_json: summary.to_string(),
        imap: source.imap_ref(folder.clone()),
        folder: source.uid.map(|_| folder),
        references: reads.references,
        referrals,
        mails,
        p,
    })
}

impl Planned {
    /// Its rows for the store (the referrals and mail moved out; taken once).
    fn rows(&mut self) -> (NewMessage<'_>, Vec<NewReferral>, Vec<NewOutbox>) {
        let referrals = std::mem::take(&mut self.referrals);
        let mails = std::mem::take(&mut self.mails);
        let email = self.p.read.as_ref().and_then(|r| r.email.as_ref());
        let new = NewMessage {
            content_hash: &self.p.hash,
            mailbox: self.imap.as_ref().map_or("replay", |r| r.mailbox.as_str()),
            uidvalidity: self.imap.as_ref().map(|r| r.uidvalidity),
            uid: self.imap.as_ref().map(|r| r.uid),
            rfc_message_id: email.and_then(|e| e.message_id.as_deref()),
            inbox_region: &self.p.decision.inbox_region,
            disposition: self.p.decision.disposition,
            programs_json: std::mem::take(&mut self.programs_json),
            reasons_json: std::mem::take(&mut self.reasons_json),
            summary_json: std::mem::take(&mut self.summary_json),
            raw: &self.p.raw,
            imap: self.imap.clone(),
            events: self.p.events.clone(),
            suppressions: std::mem::take(&mut self.p.suppressions),
        };
        (new, referrals, mails)
    }

    /// What was committed, logged: the loop guards' lines.
    fn finish(self, committed: crate::store::Committed) -> Ingested {
        log_guards(&committed.message_id, &self.p.events, self.p.bounce.as_ref());
        Ingested {
            store_id: Some(committed.message_id),
            decision: self.p.decision,
            references: self.references,
            outbox_ids: committed.outbox_ids,
            folder: self.folder,
            duplicate_of: None,
            decide_time: self.p.decide_time,
        }
    }
}

/// A message whose content is already stored: nothing new is decided or sent. Over IMAP the UID
/// is still recorded and filed — with the original after a UIDVALIDITY change, as a duplicate
/// otherwise.
async fn seen_again(
    cfg: &Config,
    store: &Store,
    source: &Source,
    original: String,
    decision: &Decision,
    decide_time: std::time::Duration,
) -> Result<Ingested, Error> {
    let folder = if source.resync {
        store
            .folder_of(&original)
            .await
            .map_err(Error::Store)?
            .unwrap_or_else(|| cfg.main.filing.ignored.clone())
    } else {
        cfg.main.filing.ignored.clone()
    };
    if let Some(r) = source.imap_ref(folder.clone()) {
        let kind = if source.resync {
            crate::store::EventKind::Resynced
        } else {
            crate::store::EventKind::Duplicate
        };
        store
            .record_seen_again(&r, &original, kind)
            .await
            .map_err(Error::Store)?;
    }
    Ok(duplicate(decision, source, original, folder, decide_time))
}

/// What a message whose content is stored already comes to: ignored as a duplicate, filed in
/// `folder`.
fn duplicate(
    decision: &Decision,
    source: &Source,
    original: String,
    folder: String,
    decide_time: std::time::Duration,
) -> Ingested {
    let d = Decision::without_referrals(
        Disposition::Ignored,
        decision.inbox_region.clone(),
        vec![Reason::Duplicate],
    );
    Ingested {
        store_id: None,
        decision: d,
        references: Vec::new(),
        outbox_ids: Vec::new(),
        folder: source.uid.map(|_| folder),
        duplicate_of: Some(original),
        decide_time,
    }
}

/// The store row of a decided referral under its reference number (a new message's, or one
/// decided again by `reprocess`, which keeps the number).
pub fn referral_row(r: &pipeline::ReferralDecision, reference: &str) -> Result<NewReferral> {
    Ok(NewReferral {
        reference: reference.to_string(),
        program: r.program.code().into(),
        region: r.region.clone(),
        outcome: r.outcome.code().into(),
        reasons_json: serde_json::to_string(&r.reasons)?,
        fields_json: serde_json::to_string(&r.fields)?,
        member_cin: r.fields.member_cin.clone(),
    })
}

/// The class of an error from the store's commit transaction: the store failed, or something
/// about the message did (its rows broke a constraint).
fn commit_error(e: anyhow::Error) -> Error {
    if e.downcast_ref::<crate::store::LeaseLost>().is_some() {
        return Error::Store(e);
    }
    if is_store_error(&e) && !violates_constraint(&e) {
        Error::Store(e)
    } else {
        Error::Message(e)
    }
}

/// Whether the database refused a row (a unique key, a CHECK), which retrying will not change.
fn violates_constraint(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<sqlx::Error>()
            .and_then(|s| s.as_database_error())
            .is_some_and(|d| d.kind() != sqlx::error::ErrorKind::Other)
    })
}

/// One line per withheld reply (WARN) and per bounce (INFO; ERROR when a team or review address
/// bounced, since forwards keep going there and a person must fix the address). Ids, codes and
/// address tags only.
fn log_guards(msg_id: &str, events: &[crate::store::NewEvent], bounce: Option<&crate::loops::BounceOutcome>) {
    for e in events
        .iter()
        .filter(|e| e.kind == crate::store::EventKind::ReplyWithheld)
    {
        let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
        tracing::warn!(
            msg_id,
            kind = detail.get("kind").and_then(|v| v.as_str()).unwrap_or("-"),
            reason = detail.get("reason").and_then(|v| v.as_str()).unwrap_or("-"),
            recipient_tag = detail.get("recipient").and_then(|v| v.as_str()).unwrap_or("-"),
            "reply withheld (the referral is stored and forwarded as usual)"
        );
    }
    if let Some(b) = bounce {
        tracing::info!(
            msg_id,
            statuses = %b.statuses.join(","),
            suppressed = b.suppressions.len(),
            "bounce recorded"
        );
        if !b.team_bounced.is_empty() {
            tracing::error!(
                msg_id,
                statuses = %b.statuses.join(","),
                recipient_tags = %b.team_bounced.join(","),
                "a team or review address bounced permanently; forwards keep going to it — fix [regions] addresses"
            );
        }
    }
}

/// Whether an ingest error came from the store (busy or locked, disk full, connection lost, a
/// transaction conflict) rather than from the message. Such an error says nothing about the
/// message: it must not count toward quarantining it, and the message waits, unread and unfiled,
/// until the store is back. Every store call wraps a `sqlx::Error`; failures of the decision or
/// of composing the emails (a bad template, a panic in a parser) never do.
pub fn is_store_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<sqlx::Error>())
}

/// Runs CPU-bound `work` on the blocking pool and waits at most `limit` for it. `None` when the
/// time ran out: the work then runs on unobserved (a blocking thread cannot be cancelled) and
/// its result is dropped.
pub async fn run_bounded<T, F>(limit: std::time::Duration, work: F) -> Result<Option<T>>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::time::timeout(limit, tokio::task::spawn_blocking(work)).await {
        Ok(joined) => Ok(Some(joined?)),
        Err(_) => Ok(None),
    }
}

/// Stores a message that could not be processed (after repeated failures), so it is neither lost
/// nor left holding up the inbox: the raw bytes are kept as a `review` message with the error,
/// no email is sent, and it is filed in the review folder for a person. A store outage fails here
/// too, which is right: then the inbox waits for the store.
pub async fn quarantine(
    cfg: &Config,
    store: &Store,
    raw: &[u8],
    source: &Source,
    error: &str,
) -> Result<Ingested> {
    let region = source.inbox_region.clone().unwrap_or_else(|| "ncal".into());
    let folder = cfg.main.filing.review.clone();
    let hash = content_hash(raw, None);
    let summary = serde_json::json!({ "quarantined": error.chars().take(300).collect::<String>() });
    let new = NewMessage {
        content_hash: &hash,
        mailbox: &source.mailbox,
        uidvalidity: source.uidvalidity,
        uid: source.uid,
        rfc_message_id: None,
        inbox_region: &region,
        disposition: Disposition::Review,
        programs_json: "[]".into(),
        reasons_json: "[]".into(),
        summary_json: summary.to_string(),
        raw,
        imap: source.imap_ref(folder.clone()),
        events: Vec::new(),
        suppressions: Vec::new(),
    };
    let committed = store.commit_message(new, Vec::new(), Vec::new()).await?;
    let decision = Decision::without_referrals(Disposition::Review, region, Vec::new());
    Ok(Ingested {
        store_id: Some(committed.message_id),
        decision,
        references: Vec::new(),
        outbox_ids: Vec::new(),
        folder: source.uid.map(|_| folder),
        duplicate_of: None,
        decide_time: std::time::Duration::ZERO,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn message<'a>(raw: &'a [u8], hash: &'a str) -> NewMessage<'a> {
        NewMessage {
            content_hash: hash,
            mailbox: "test/INBOX",
            uidvalidity: Some(1),
            uid: Some(1),
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: Disposition::Review,
            programs_json: "[]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw,
            imap: None,
            events: Vec::new(),
            suppressions: Vec::new(),
        }
    }

    /// A full store is the store's fault, not the message's: it must not count toward
    /// quarantining the message. A failure while building the rows (a bad template) must.
    #[tokio::test]
    async fn store_failures_are_told_apart_from_message_failures() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let raw = vec![b'x'; 200_000];
        // A real SQLITE_FULL: the database may not grow past its current size.
        let pages: i64 = sqlx::Row::get(
            &sqlx::query("PRAGMA page_count")
                .fetch_one(store.pool())
                .await
                .expect("page_count"),
            0,
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}")))
            .execute(store.pool())
            .await
            .expect("max_page_count");
        let full = store
            .commit_message(message(&raw, "h1"), Vec::new(), Vec::new())
            .await
            .expect_err("the store is full");
        assert!(is_store_error(&full), "{full:#}");
        assert!(matches!(commit_error(full), Error::Store(_)));
        assert!(!is_store_error(&anyhow::anyhow!(
            "the message decision task failed"
        )));
    }

    /// Each outbox row is inserted with the status it is given, and only a `pending` one is
    /// ever due: a `sent` row (replay's `--out`) counts its one delivery, a `discarded` one none.
    #[tokio::test]
    async fn outbox_rows_are_inserted_with_their_final_status() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let row = |status| NewOutbox {
            kind: crate::model::EmailKind::Ack,
            recipient: "sender@example.test".into(),
            reference: "REF-NCAL-2026-000001".into(),
            eml: b"From: a@example.test\r\n\r\nx\r\n".to_vec(),
            status,
        };
        let statuses = [OutboxStatus::Pending, OutboxStatus::Sent, OutboxStatus::Discarded];
        let ids = store
            .commit_message(
                message(b"m", "h"),
                Vec::new(),
                statuses.into_iter().map(row).collect(),
            )
            .await
            .expect("commit")
            .outbox_ids;
        let mut got = Vec::new();
        for id in &ids {
            let r = sqlx::query("SELECT status, attempts, sent_ms IS NOT NULL FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_one(store.pool())
                .await
                .expect("row");
            let (status, attempts): (String, i64) = (sqlx::Row::get(&r, 0), sqlx::Row::get(&r, 1));
            let sent: bool = sqlx::Row::try_get::<bool, _>(&r, 2)
                .or_else(|_| sqlx::Row::try_get::<i64, _>(&r, 2).map(|v| v != 0))
                .expect("sent_ms");
            got.push((status, attempts, sent));
        }
        let want = [("pending", 0, false), ("sent", 1, true), ("discarded", 0, false)];
        assert_eq!(got, want.map(|(s, a, t)| (s.to_string(), a, t)).to_vec());
        let due: Vec<String> = store
            .due_mail(10)
            .await
            .expect("due")
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(due, ids.get(..1).expect("three rows").to_vec());
    }

    /// The backstop: work that does not finish in time is given up on (and left to end on its
    /// own), work that finishes is returned.
    #[tokio::test]
    async fn run_bounded_stops_waiting_for_stuck_work() {
        let (release, stuck) = mpsc::channel::<()>();
        // Without the time limit this would wait the full 10 s and return Some.
        let got = run_bounded(Duration::from_millis(100), move || {
            stuck.recv_timeout(Duration::from_secs(10)).ok();
            1
        })
        .await
        .expect("no join error");
        assert_eq!(got, None);
        release.send(()).ok();
        let got = run_bounded(Duration::from_secs(60), || 2)
            .await
            .expect("no join error");
        assert_eq!(got, Some(2));
    }

    /// Messages decided ahead commit together, in order, each with its own reference numbers and
    /// UID, the cursor at the last; a message stored before is recorded as a duplicate in the
    /// same transaction; the same content twice in one group is not committed together (the
    /// second is the first's duplicate).
    #[tokio::test]
    async fn messages_decided_ahead_commit_together_in_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let cfg = Config::builtin().expect("built-in config");
        let roster = Roster::default();
        let demo = |name: &str| {
            std::fs::read(format!("{}/fixtures/demo/{name}", env!("CARGO_MANIFEST_DIR")))
                .expect("demo message")
        };
        let source = |uid: i64, cursor_to: i64| Source {
            mailbox: "inbox@example.test/INBOX".into(),
            uidvalidity: Some(7),
            uid: Some(uid),
            inbox_region: Some("ncal".into()),
            resync: false,
            lease: None,
            cursor_to: Some(cursor_to),
        };
        // Stored before: the group meets it again under UID 3.
        let early = ingest(
            cfg.clone(),
            &store,
            &roster,
            demo("04-healthnet-cs-meals.eml"),
            &source(1, 1),
            OutboxStatus::Pending,
        )
        .await
        .expect("stored before");
        let names = [
            "01-kp-ecm-accepted.eml",
            "02-kp-cs-housing-deposits-scal.eml",
            "04-healthnet-cs-meals.eml",
            "03-kp-flattened-chw.eml",
            "03-kp-flattened-chw.eml",
        ];
        let mut items = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let uid = i as i64 + 2;
            let s = source(uid, uid);
            let d = decide(cfg.clone(), &store, &roster, demo(name), &s, None)
                .await
                .expect("decided");
            items.push((d, s));
        }
        let (done, failed) = commit_together(cfg, &store, &roster, items, OutboxStatus::Pending).await;
        assert!(
            failed.is_none(),
            "{:?}",
            failed.map(|(e, n)| (format!("{e:#}"), n))
        );
        assert_eq!(done.len(), 5);
        let stored = |i: usize| done.get(i).and_then(|d| d.store_id.clone());
        let duplicate = |i: usize| done.get(i).and_then(|d| d.duplicate_of.clone());
        assert!(stored(0).is_some() && stored(1).is_some() && stored(3).is_some());
        assert_eq!(duplicate(2), early.store_id, "stored before: a duplicate");
        assert_eq!(
            duplicate(4),
            stored(3),
            "the same content twice: the second is the first's duplicate"
        );
        assert_eq!(store.count("messages").await.expect("count"), 4);
        let uids: Vec<i64> = sqlx::query_scalar("SELECT uid FROM mailbox_uids ORDER BY uid")
            .fetch_all(store.pool())
            .await
            .expect("uids");
        assert_eq!(uids, vec![1, 2, 3, 4, 5, 6]);
        let cursor = store.cursor("inbox@example.test/INBOX").await.expect("cursor");
        assert_eq!(cursor, Some((7, 6)));
        let acks = store.due_mail(100).await.expect("due").len();
        assert!(acks >= 6, "every new referral's mail is queued: {acks}");
    }

    #[test]
    fn commit_errors_are_classed_by_what_to_do() {
        let store = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("inserting");
        assert!(matches!(commit_error(store), Error::Store(_)));
        assert!(matches!(
            commit_error(anyhow::anyhow!("bad json")),
            Error::Message(_)
        ));
    }
}
