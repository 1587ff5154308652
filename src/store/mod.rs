//! The durable store: SQLite by default, PostgreSQL for multi-instance deployments.
//!
//! One code path through sqlx's `Any` driver, with a migrations tree per database
//! (`migrations/{sqlite,postgres}`) applied at start. Columns keep to the types `Any` carries on
//! both (TEXT, BIGINT); ids are generated here (UUIDv7, time-ordered).
//!
//! Invariant: a message's row, its referrals, its outbox rows and its audit event are written in
//! one transaction ([`Store::commit_message`]). Nothing is sent before that commit.
//!
//! On SQLite that transaction is one query (the statements of `store::batch` joined, with the pragma
//! that makes its commit durable): each statement was a round trip to sqlx's SQLite thread.

mod batch;
mod decisions;
mod instances;
mod lookups;
mod ops;
mod retention;
mod safety;

pub use decisions::{Earlier, EarlierDecision, Redecided, RedecidedReferral};
pub use instances::{Lease, LeaseLost};
pub use lookups::Roster;
pub use ops::OutboxStats;
pub use retention::{PurgeReport, RawMessage};
pub use safety::{NewEvent, NewSuppression, REPLY_KINDS};

use std::path::Path;

use crate::model::EmailKind;
use anyhow::{Context as _, Result};
use base64::Engine as _;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

use batch::{Batch, Val};

/// A connection pool to the store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    kind: Backend,
    /// Open ECM referrals committed by this process ([`lookups::EcmLog`]).
    ecm_log: std::sync::Arc<lookups::EcmLog>,
    /// This process's name as a lease holder and outbox claimant.
    instance: String,
    /// The SQLite database file, for the single-instance lock.
    sqlite_path: Option<std::path::PathBuf>,
    /// SQLite: how many commits are in the log and how many of them are known durable.
    sync: std::sync::Arc<SyncState>,
}

/// SQLite's commits counted against the durability barrier ([`Store::make_durable`]). Counted
/// while the commit holds the pool's one connection, so a barrier that takes the connection after
/// reading `commits` runs after every commit that count includes.
#[derive(Debug, Default)]
struct SyncState {
    commits: std::sync::atomic::AtomicU64,
    synced: std::sync::atomic::AtomicU64,
}

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A message ready to be committed.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub content_hash: &'a str,
    /// `replay` for files; the inbox address and folder for IMAP.
    pub mailbox: &'a str,
    pub uidvalidity: Option<i64>,
    pub uid: Option<i64>,
    pub rfc_message_id: Option<&'a str>,
    pub inbox_region: &'a str,
    pub disposition: crate::model::Disposition,
    pub programs_json: String,
    pub reasons_json: String,
    pub summary_json: String,
    pub raw: &'a [u8],
    /// For mail read over IMAP: the UID to record and the cursor to advance, in the same
    /// transaction.
    pub imap: Option<ImapRef>,
    /// Audit events besides `processed` (withheld replies, a bounce's outcome).
    pub events: Vec<NewEvent>,
    /// Recipients a bounce reported as permanently failed.
    pub suppressions: Vec<NewSuppression>,
}

/// One message's place in a watched mailbox, and the folder it is to be filed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapRef {
    /// The mailbox key: `<inbox address>/<folder>`.
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: i64,
    pub folder: String,
    /// Where the mailbox cursor may advance to with this commit: `uid` when every UID before it
    /// is committed, lower when an earlier message is still being read beside the queue (a
    /// scan); the UID itself is recorded either way, so it is never fetched again.
    pub cursor_to: i64,
    /// The lease the message was fetched under (several instances on PostgreSQL): its commit is
    /// refused unless the lease is still held ([`LeaseLost`]).
    pub lease: Option<Lease>,
}

/// A referral row.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub reference: String,
    pub program: String,
    pub region: Option<String>,
    pub outcome: String,
    pub reasons_json: String,
    pub fields_json: String,
    pub member_cin: Option<String>,
}

/// An outbox row.
#[derive(Debug, Clone)]
pub struct NewOutbox {
    pub kind: EmailKind,
    pub recipient: String,
    pub reference: String,
    pub eml: Vec<u8>,
    /// The status the row is written with, and keeps unless the sender takes it.
    pub status: OutboxStatus,
}

/// The status an outbox row is inserted with. A row nobody is to send is written with its final
/// status in the insert itself, never as `pending` and changed after: a daemon sending from the
/// same store, a Ctrl-C or a crash between two statements would otherwise mail people about a
/// replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    /// Queued for the sender (the daemon's mail), or waiting to be retried.
    Pending,
    /// Delivered (or, for `replay --out`, written to a folder as `.eml`).
    Sent,
    /// Never to be sent: `replay` without `--out`.
    Discarded,
    /// Refused for good by the SMTP server, or out of attempts.
    Failed,
    /// A reply held back by loop protection (a suppressed or flooding sender).
    Withheld,
}

impl OutboxStatus {
    pub const ALL: [OutboxStatus; 5] = [
        OutboxStatus::Pending,
        OutboxStatus::Sent,
        OutboxStatus::Discarded,
        OutboxStatus::Failed,
        OutboxStatus::Withheld,
    ];

    /// The stored string (the store's CHECK constraint allows exactly these).
    pub fn code(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Discarded => "discarded",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Withheld => "withheld",
        }
    }
}

impl std::str::FromStr for OutboxStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OutboxStatus::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| format!("unknown outbox status `{s}`"))
    }
}

/// What an audit event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A message was decided and committed.
    Processed,
    /// A bounce of our mail was read.
    Bounce,
    /// A reply was held back by loop protection.
    ReplyWithheld,
    /// The same message arrived again.
    Duplicate,
    /// A mailbox was read again after its UIDVALIDITY changed.
    Resynced,
    /// Retention removed old data.
    Purge,
    /// `reprocess` changed a message's decision.
    Reprocessed,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::Processed,
        EventKind::Bounce,
        EventKind::ReplyWithheld,
        EventKind::Duplicate,
        EventKind::Resynced,
        EventKind::Purge,
        EventKind::Reprocessed,
    ];

    /// The stored string (the store's CHECK constraint allows exactly these).
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Processed => "processed",
            EventKind::Bounce => "bounce",
            EventKind::ReplyWithheld => "reply_withheld",
            EventKind::Duplicate => "duplicate",
            EventKind::Resynced => "resynced",
            EventKind::Purge => "purge",
            EventKind::Reprocessed => "reprocessed",
        }
    }
}

/// An outbox row as stored, whatever its status.
#[derive(Debug, Clone)]
pub struct StoredMail {
    pub id: String,
    pub kind: EmailKind,
    pub recipient: String,
    pub reference: String,
    pub eml: Vec<u8>,
    pub status: OutboxStatus,
}

/// A pending outbox row as read back for sending.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub id: String,
    pub message_id: String,
    pub kind: EmailKind,
    pub recipient: String,
    pub reference: String,
    pub eml: Vec<u8>,
    pub attempts: i64,
    /// The recipient bounced permanently and is suppressed now (read with the row, so the
    /// sender's check before each attempt costs no query of its own).
    pub suppressed: bool,
}

/// The SQLite store's one connection, held by a message's commit from the reads before its mail
/// is composed ([`Store::reads_before_commit`]) to its commit
/// ([`Store::commit_message_held`]): every query taken from the pool costs a second round trip to
/// the driver's thread, the ping sqlx sends when the connection goes back. Empty on PostgreSQL,
/// whose queries keep taking a connection each. Dropped unused, the connection goes back to the
/// pool: nothing of a transaction is open while it is held.
pub struct Held(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

/// What one message of a commit reads first ([`Store::reads_before_commit`]).
pub struct ReadsWanted<'a> {
    /// The reply recipients whose loop-guard facts are wanted.
    pub replies: &'a [String],
    /// One reference number per prefix (one per referral).
    pub reference_prefixes: &'a [String],
    /// The prefix of the message's own number when it has no referral.
    pub message_prefix: &'a str,
    /// Looked up when set: a message committed with others is checked for a stored duplicate
    /// first, so that one duplicate does not refuse the whole commit.
    pub content_hash: Option<&'a str>,
}

/// What [`Store::reads_before_commit`] read for one message.
#[derive(Debug)]
pub struct ReadsDone {
    /// `(suppressed, replies in the window)` per reply recipient, in order.
    pub reply_facts: Vec<(bool, i64)>,
    /// The referrals' numbers.
    pub references: Vec<String>,
    /// The message's own number (its first referral's).
    pub message_reference: String,
    /// The id of the stored message with the same content, when it was looked up and is there.
    pub stored_as: Option<String>,
}

/// A message whose content is stored already, recorded under its UID in a commit of others
/// ([`Store::commit_messages_held`]), as [`Store::record_seen_again`] records it alone.
#[derive(Debug, Clone)]
pub struct SeenAgain {
    pub imap: ImapRef,
    /// The stored message's id.
    pub original: String,
    pub kind: EventKind,
}

/// What [`Store::commit_message`] wrote.
#[derive(Debug, Clone)]
pub struct Committed {
    pub message_id: String,
    pub outbox_ids: Vec<String>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Which database a store url names, without connecting: an error for any other scheme.
/// [`Store::open`] refuses the same urls, so `check-config` can refuse them first.
pub fn check_url(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        anyhow::bail!("store url must start with sqlite:// or postgres:// (got a url with another scheme)")
    }
}

impl Store {
    /// Connects, creating the SQLite file (mode 0600) and its folder when missing, and applies
    /// migrations.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let mut sqlite_path = None;
        let (kind, url) = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let path = if path.starts_with(":memory:") || path.starts_with("file:") {
                path.to_string()
            } else {
                let file = prepare_sqlite_file(Path::new(path))?;
                sqlite_path = Some(file.clone());
                file.display().to_string()
            };
            let query = if query.is_empty() {
                "mode=rwc".to_string()
            } else {
                format!("{query}&mode=rwc")
            };
            (Backend::Sqlite, format!("sqlite://{path}?{query}"))
        } else {
            check_url(url)?;
            (Backend::Postgres, url.to_string())
        };
        // SQLite: no ping before each use. The connection is a thread in this process, not a socket
        // that can drop; each ping was a round trip to that thread, and one before every query.
        let mut options = AnyPoolOptions::new()
            .max_connections(if kind == Backend::Sqlite { 1 } else { 4 })
            .test_before_acquire(kind != Backend::Sqlite);
        if kind == Backend::Sqlite {
            // Set on every connection the pool opens (a reconnect must not lose them). WAL keeps
            // readers (explain, status) out of the writer's way. `NORMAL` durability by default:
            // in WAL mode a commit survives a crash of the process and is only at risk from the
            // machine losing power before the next fsync. That is right for what can be redone
            // (reference numbers not yet used, `sent` marks, filing marks) and for a message's
            // commit until something outside the store acts on it: `make_durable`, run before
            // mail is sent or moved, fsyncs the log once for every commit before it.
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                    )
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(&url)
            .await
            .with_context(|| format!("connecting to the {kind:?} store"))?;
        if kind == Backend::Sqlite {
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .context("applying SQLite migrations")?;
        } else {
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .context("applying PostgreSQL migrations")?;
        }
        Ok(Store {
            pool,
            kind,
            ecm_log: Default::default(),
            instance: new_id(),
            sqlite_path,
            sync: Default::default(),
        })
    }

    /// Runs `rows` as one transaction, refused with [`LeaseLost`] when `lease` is no longer held.
    ///
    /// On PostgreSQL the commit is durable when this returns. On SQLite (one instance, no
    /// leases) it is written to the log without an fsync — it survives the process crashing, not
    /// yet the machine losing power — and [`Store::make_durable`] runs before anything outside the
    /// store acts on it: one fsync then serves every message committed since the last one,
    /// instead of one per message on the inbox's critical path.
    ///
    /// On SQLite the whole transaction is one query — `BEGIN`, the rows, `COMMIT` — so one round
    /// trip to the driver's thread instead of one per statement. When a statement fails, what ran
    /// before it is rolled back here. The query runs in a task of its own: were the caller's
    /// future dropped halfway, the driver would stop between two statements with the transaction
    /// open.
    async fn commit_rows(
        &self,
        mut rows: Batch,
        lease: Option<&Lease>,
        held: Held,
        what: &'static str,
    ) -> Result<()> {
        if self.kind == Backend::Sqlite {
            rows.wrap("BEGIN", "COMMIT");
            let (pool, sync) = (self.pool.clone(), self.sync.clone());
            return tokio::spawn(async move {
                let mut conn = match held.0 {
                    Some(conn) => conn,
                    None => pool.acquire().await.context("starting a transaction")?,
                };
                // Counted with the connection held: see `SyncState`.
                sync.commits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let done = rows.execute(&mut conn, what).await;
                if done.is_err() {
                    // Nothing to roll back when BEGIN itself failed: that error is expected.
                    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                }
                done
            })
            .await
            .context("the commit task stopped")?;
        }
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        if let Some(lease) = lease {
            instances::check_lease(&mut tx, lease).await?;
        }
        rows.execute(&mut tx, what).await?;
        tx.commit().await.context("committing the message")
    }

    /// Makes every commit so far durable: the barrier between a commit and anything done about it
    /// outside the store. [`Store::due_mail`] and [`Store::unfiled`] run it before they return
    /// rows, so no email is sent and no message leaves the inbox on a commit that a power cut
    /// could still undo; a crash before the barrier leaves the message in the inbox above the
    /// cursor, and it is decided again.
    ///
    /// SQLite only (PostgreSQL commits are durable when they return): a one-row write committed
    /// with `synchronous = FULL`, whose fsync of the log carries every earlier commit with it.
    /// Nothing is written when no commit happened since the last barrier.
    pub async fn make_durable(&self) -> Result<()> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.kind != Backend::Sqlite || self.sync.synced.load(SeqCst) >= self.sync.commits.load(SeqCst) {
            return Ok(());
        }
        let (pool, sync) = (self.pool.clone(), self.sync.clone());
        // In a task of its own, like a commit: a caller dropped halfway must not leave the
        // connection at FULL or inside the transaction.
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.context("making the store durable")?;
            // Every commit counted now has finished: they held the one connection we now hold.
            let covered = sync.commits.load(SeqCst);
            let done = sqlx::raw_sql(
                "PRAGMA synchronous = FULL; BEGIN; UPDATE store_sync SET n = n + 1 WHERE id = 1; \
                 COMMIT; PRAGMA synchronous = NORMAL",
            )
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .context("making the store durable (fsync)");
            if done.is_err() {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                let _ = sqlx::raw_sql("PRAGMA synchronous = NORMAL")
                    .execute(&mut *conn)
                    .await;
            } else {
                sync.synced.fetch_max(covered, SeqCst);
            }
            done
        })
        .await
        .context("the durability task stopped")?
    }

    /// SQLite: whether commits on `conn` are fsync'd before they return (`FULL`) or only written
    /// to the log (`NORMAL`, the default; see [`Store::open`]). PostgreSQL commits are always
    /// durable. SQLite refuses the change inside a transaction, so it is made before `BEGIN`.
    async fn set_durable(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
        durable: bool,
    ) -> Result<()> {
        if self.kind == Backend::Sqlite {
            let sql = if durable {
                "PRAGMA synchronous = FULL"
            } else {
                "PRAGMA synchronous = NORMAL"
            };
            sqlx::query(sql)
                .execute(&mut **conn)
                .await
                .context("setting the store's durability")?;
        }
        Ok(())
    }

    /// The log of open ECM referrals this process committed (see [`lookups::EcmLog`]).
    pub fn ecm_log(&self) -> &lookups::EcmLog {
        &self.ecm_log
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.kind
    }

    /// Whether a message with this content hash is already stored.
    pub async fn seen(&self, content_hash: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT id FROM messages WHERE content_hash = $1")
            .bind(content_hash)
            .fetch_optional(&self.pool)
            .await
            .context("looking up a content hash")?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }

    /// Reserves reference numbers: one per prefix in `reference_prefixes` (one per referral),
    /// and the message-level one (the first referral's, else a new one under `message_prefix`).
    /// Each is one atomic statement of its own, outside any long transaction: the mail that
    /// quotes them is composed after this and before [`Store::commit_message`], outside the write
    /// transaction. A message that is then not committed (a crash, a store error) leaves its
    /// numbers unused, a gap in the series — as a number reserved but never used always did, so
    /// no transaction around them is needed.
    pub async fn reserve_references(
        &self,
        reference_prefixes: &[String],
        message_prefix: &str,
    ) -> Result<(Vec<String>, String)> {
        let mut refs = Vec::with_capacity(reference_prefixes.len());
        for p in reference_prefixes {
            refs.push(next_reference(&self.pool, p).await?);
        }
        let msg_ref = match refs.first() {
            Some(r) => r.clone(),
            None => next_reference(&self.pool, message_prefix).await?,
        };
        Ok((refs, msg_ref))
    }

    /// Takes the SQLite store's connection for a message's reads and commit ([`Held`]); holds
    /// nothing on PostgreSQL.
    pub async fn hold(&self) -> Result<Held> {
        if self.kind != Backend::Sqlite {
            return Ok(Held(None));
        }
        let conn = self
            .pool
            .acquire()
            .await
            .context("taking the store's connection")?;
        Ok(Held(Some(conn)))
    }

    /// What the messages of one commit read before their mail is composed, in one round trip
    /// on SQLite, message after message: each one's reply facts, its reference numbers (so the
    /// numbers follow the messages' order) and, when asked, the stored message with its content
    /// hash (a duplicate of mail stored before; see [`ReadsWanted::content_hash`]).
    ///
    /// On SQLite the statements go as one query in one transaction (`BEGIN IMMEDIATE`: the
    /// write lock is taken first, so no other writer can slip in between a read and a
    /// reservation): one commit, one WAL frame for all the commit's reference numbers, where
    /// each statement in its own implicit transaction wrote a frame of its own. A statement
    /// failing rolls them all back; numbers reserved and not committed with a message are a gap
    /// in the series either way. PostgreSQL runs them one by one.
    pub async fn reads_before_commit(
        &self,
        held: &mut Held,
        since_ms: i64,
        wanted: &[ReadsWanted<'_>],
    ) -> Result<Vec<ReadsDone>> {
        // The message's own number is the first referral's; a message without referrals takes
        // one of its own.
        let prefixes = |w: &ReadsWanted<'_>| -> Vec<String> {
            if w.reference_prefixes.is_empty() {
                vec![w.message_prefix.to_string()]
            } else {
                w.reference_prefixes.to_vec()
            }
        };
        let done = |w: &ReadsWanted<'_>, facts, mut numbers: Vec<String>, stored_as| {
            let message_reference = numbers.first().cloned().unwrap_or_default();
            if w.reference_prefixes.is_empty() {
                numbers.clear();
            }
            ReadsDone {
                reply_facts: facts,
                references: numbers,
                message_reference,
                stored_as,
            }
        };
        if self.kind != Backend::Sqlite {
            let mut out = Vec::with_capacity(wanted.len());
            for w in wanted {
                let mut facts = Vec::with_capacity(w.replies.len());
                for to in w.replies {
                    facts.push(self.reply_facts(to, since_ms).await?);
                }
                let stored_as = match w.content_hash {
                    Some(h) => self.seen(h).await?,
                    None => None,
                };
                let (references, message_reference) = self
                    .reserve_references(w.reference_prefixes, w.message_prefix)
                    .await?;
                out.push(ReadsDone {
                    reply_facts: facts,
                    references,
                    message_reference,
                    stored_as,
                });
            }
            return Ok(out);
        }
        // $1 = now, $2 = the window's start; then each statement's own values, in order.
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut values: Vec<String> = Vec::new();
        for w in wanted {
            for to in w.replies {
                // Its own $1 (the address), $2 (now) and $3 (the window's start).
                let at = 3 + values.len();
                let to_n = |n: usize| match n {
                    1 => at,
                    other => other.saturating_sub(1),
                };
                sql.push_str(&batch::renumber_with(safety::REPLY_FACTS, to_n));
                sql.push_str(";\n");
                values.push(safety::reply_address(to));
            }
            if let Some(h) = w.content_hash {
                let at = 3 + values.len();
                sql.push_str(&batch::renumber_with(STORED_AS, |_| at));
                sql.push_str(";\n");
                values.push(h.to_string());
            }
            for p in prefixes(w) {
                let at = 3 + values.len();
                sql.push_str(&batch::renumber_with(NEXT_REFERENCE, |_| at));
                sql.push_str(";\n");
                values.push(p);
            }
        }
        sql.push_str("COMMIT;");
        // Only numbered placeholders are formatted in; the values are bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now_ms())
            .bind(since_ms);
        for v in values {
            q = q.bind(v);
        }
        // Without a held connection, take one, so the statements and a rollback share it.
        let mut acquired;
        let conn: &mut sqlx::AnyConnection = match held.0.as_mut() {
            Some(conn) => conn,
            None => {
                acquired = self
                    .pool
                    .acquire()
                    .await
                    .context("taking the store's connection")?;
                &mut acquired
            }
        };
        let rows = q.fetch_all(&mut *conn).await;
        if rows.is_err() {
            // A failed statement leaves the transaction open on the connection the message's
            // commit will use: close it (there may be none left to close).
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
        }
        let rows = rows.context("looking up the reply guards' facts and allocating reference numbers")?;
        let expected: usize = wanted
            .iter()
            .map(|w| w.replies.len() + usize::from(w.content_hash.is_some()) + prefixes(w).len())
            .sum();
        anyhow::ensure!(
            rows.len() == expected,
            "the store answered {} rows for {} lookups and reference numbers",
            rows.len(),
            expected
        );
        let mut rows = rows.iter();
        let mut out = Vec::with_capacity(wanted.len());
        for w in wanted {
            let facts = rows
                .by_ref()
                .take(w.replies.len())
                .map(safety::read_reply_facts)
                .collect::<Result<Vec<_>>>()?;
            let stored_as = match w.content_hash {
                Some(_) => rows
                    .next()
                    .map(|r| r.try_get::<Option<String>, _>(0))
                    .transpose()
                    .context("reading a stored message's id")?
                    .flatten(),
                None => None,
            };
            let numbers = prefixes(w)
                .into_iter()
                .zip(rows.by_ref())
                .map(|(p, row)| {
                    let n: i64 = row.try_get(0).context("reading a reference number")?;
                    Ok(format!("{p}-{n:06}"))
                })
                .collect::<Result<Vec<_>>>()?;
            out.push(done(w, facts, numbers, stored_as));
        }
        Ok(out)
    }

    /// Writes the message, its referrals, its outbox rows (each with its final status) and an
    /// audit event in one transaction: plain inserts of rows built beforehand.
    pub async fn commit_message(
        &self,
        msg: NewMessage<'_>,
        referrals: Vec<NewReferral>,
        outbox: Vec<NewOutbox>,
    ) -> Result<Committed> {
        self.commit_message_held(Held(None), msg, referrals, outbox).await
    }

    /// [`Store::commit_message`] on the connection `held` since the message's reads (SQLite; it
    /// goes back to the pool with the commit done).
    pub async fn commit_message_held(
        &self,
        held: Held,
        msg: NewMessage<'_>,
        referrals: Vec<NewReferral>,
        outbox: Vec<NewOutbox>,
    ) -> Result<Committed> {
        let mut done = self
            .commit_messages_held(held, vec![(msg, referrals, outbox)], Vec::new())
            .await?;
        done.pop().context("the store committed no message")
    }

    /// Commits several messages, each as [`Store::commit_message`] would, in one transaction
    /// (on SQLite one query): one write of the pages they share and one hand-off to the
    /// driver's thread for all of them, instead of one each. All of them or none commit. The
    /// lease checked is the first message's: a commit holds the messages of one inbox.
    pub async fn commit_messages_held(
        &self,
        held: Held,
        messages: Vec<(NewMessage<'_>, Vec<NewReferral>, Vec<NewOutbox>)>,
        seen_again: Vec<SeenAgain>,
    ) -> Result<Vec<Committed>> {
        // Every row as one batch (one round trip on SQLite, see `batch`), built before the
        // transaction opens.
        let mut rows = Batch::new(self.kind);
        let mut committed = Vec::with_capacity(messages.len());
        let mut open_ecm = Vec::new();
        let lease = messages
            .first()
            .and_then(|(m, _, _)| m.imap.as_ref())
            .and_then(|r| r.lease.clone());
        for (msg, referrals, outbox) in messages {
            committed.push(push_message(&mut rows, msg, &referrals, outbox));
            open_ecm.extend(referrals.into_iter().filter_map(|r| {
                let open = r.program == "ecm" && matches!(r.outcome.as_str(), "accepted" | "screened_out");
                r.member_cin.filter(|_| open)
            }));
        }
        let now = now_ms();
        for s in &seen_again {
            push_note_uid(&mut rows, &s.imap, &s.original, now);
            let r = &s.imap;
            let detail =
                serde_json::json!({"mailbox": r.mailbox, "uidvalidity": r.uidvalidity, "uid": r.uid});
            push_event(&mut rows, Some(&s.original), s.kind, detail.to_string());
        }
        let lease = lease.or_else(|| seen_again.first().and_then(|s| s.imap.lease.clone()));
        let what = if committed.len() == 1 {
            "storing the message, its referrals, emails and audit events"
        } else {
            "storing the messages, their referrals, emails and audit events"
        };
        self.commit_rows(rows, lease.as_ref(), held, what).await?;
        self.ecm_log.record(open_ecm.iter().map(String::as_str));
        Ok(committed)
    }

    /// The outbox rows with these ids, in the order they were queued, whatever their status
    /// (`replay` reads back what it wrote, to list it and write `--out` files).
    pub async fn outbox_rows(&self, ids: &[String]) -> Result<Vec<StoredMail>> {
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let r = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, kind, recipient, reference, {OUTBOX_EML}, status FROM outbox WHERE id = $1"
            )))
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .context("reading an outbox row")?;
            rows.push(StoredMail {
                id: r.get(0),
                kind: parse_code(r.get(1))?,
                recipient: r.get(2),
                reference: r.get(3),
                eml: r.get::<String, _>(4).into_bytes(),
                status: parse_code(r.get(5))?,
            });
        }
        Ok(rows)
    }

    /// Outbox rows due for sending, oldest first, durable before they are returned
    /// ([`Store::make_durable`]).
    ///
    /// On PostgreSQL (several instances) the rows are claimed for this instance for
    /// [`CLAIM_TTL_MS`], skipping rows another instance has locked or claimed: each email is
    /// sent by one instance, and a crashed sender's claims lapse.
    pub async fn due_mail(&self, limit: i64) -> Result<Vec<PendingMail>> {
        let now = now_ms();
        let mut rows = if self.shared() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE outbox SET claimed_by = $3, claim_until_ms = $1 + $4
                 WHERE id IN (SELECT id FROM outbox
                              WHERE status = 'pending' AND next_attempt_ms <= $1
                                AND (claim_until_ms IS NULL OR claim_until_ms < $1)
                              ORDER BY created_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED)
                 RETURNING id, message_id, kind, recipient, reference, {OUTBOX_EML}, attempts,
                    EXISTS (SELECT 1 FROM suppressions s
                            WHERE s.address = LOWER(outbox.recipient) AND s.until_ms > $1) AS suppressed,
                    created_ms"
            )))
            .bind(now)
            .bind(limit)
            .bind(&self.instance)
            .bind(CLAIM_TTL_MS)
            .fetch_all(&self.pool)
            .await
        } else {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, message_id, kind, recipient, reference, {OUTBOX_EML}, attempts,
                        EXISTS (SELECT 1 FROM suppressions s
                                WHERE s.address = LOWER(outbox.recipient) AND s.until_ms > $1) AS suppressed,
                        created_ms
                 FROM outbox
                 WHERE status = 'pending' AND next_attempt_ms <= $1 ORDER BY created_ms, id LIMIT $2"
            )))
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
        }
        .context("reading the outbox")?;
        if !rows.is_empty() {
            self.make_durable().await?;
        }
        // RETURNING keeps no order: oldest first, as queued.
        rows.sort_by_key(|r| (r.get::<i64, _>(8), r.get::<String, _>(0)));
        rows.into_iter()
            .map(|r| {
                Ok(PendingMail {
                    id: r.get(0),
                    message_id: r.get(1),
                    kind: parse_code(r.get(2))?,
                    recipient: r.get(3),
                    reference: r.get(4),
                    eml: r.get::<String, _>(5).into_bytes(),
                    attempts: r.get(6),
                    // A boolean on PostgreSQL, an integer on SQLite.
                    suppressed: r
                        .try_get::<bool, _>(7)
                        .or_else(|_| r.try_get::<i64, _>(7).map(|v| v != 0))
                        .unwrap_or(false),
                })
            })
            .collect()
    }

    /// Records a UID whose content is already stored (a duplicate, or a message seen again after
    /// a UIDVALIDITY change): the UID, the cursor and an audit event, in one transaction.
    pub async fn record_seen_again(&self, r: &ImapRef, original_id: &str, kind: EventKind) -> Result<()> {
        let mut tx = self.pool.begin().await.context("starting a transaction")?;
        note_uid(&mut tx, r, original_id).await?;
        let detail = serde_json::json!({"mailbox": r.mailbox, "uidvalidity": r.uidvalidity, "uid": r.uid});
        insert_event(&mut tx, Some(original_id), kind, &detail.to_string()).await?;
        // Filing acts on it: counted for the durability barrier, like a message's commit.
        self.sync
            .commits
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tx.commit().await.context("committing a duplicate")?;
        Ok(())
    }

    /// The mailbox cursor: `(uidvalidity, last committed UID)`.
    pub async fn cursor(&self, mailbox: &str) -> Result<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT uidvalidity, last_uid FROM mailbox_cursors WHERE mailbox = $1")
            .bind(mailbox)
            .fetch_optional(&self.pool)
            .await
            .context("reading the mailbox cursor")?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Starts a new UIDVALIDITY epoch for a mailbox: the cursor goes back to 0.
    pub async fn reset_cursor(&self, mailbox: &str, uidvalidity: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO mailbox_cursors (mailbox, uidvalidity, last_uid, updated_ms) VALUES ($1, $2, 0, $3)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0,
               updated_ms = excluded.updated_ms",
        )
        .bind(mailbox)
        .bind(uidvalidity)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .context("resetting the mailbox cursor")?;
        Ok(())
    }

    /// UIDs above `cursor` already recorded (committed out of order, beside a scan still being
    /// read when the daemon stopped): they must not be fetched and decided again.
    pub async fn noted_uids(&self, mailbox: &str, uidvalidity: i64, cursor: i64) -> Result<Vec<i64>> {
        let rows =
            sqlx::query("SELECT uid FROM mailbox_uids WHERE mailbox = $1 AND uidvalidity = $2 AND uid > $3")
                .bind(mailbox)
                .bind(uidvalidity)
                .bind(cursor)
                .fetch_all(&self.pool)
                .await
                .context("reading the UIDs recorded above the cursor")?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    /// UIDs committed but not yet filed, oldest first: `(uid, folder)`; their commits are durable
    /// before they are returned ([`Store::make_durable`]).
    pub async fn unfiled(&self, mailbox: &str, uidvalidity: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT uid, folder FROM mailbox_uids WHERE mailbox = $1 AND uidvalidity = $2 AND filed_ms IS NULL
             ORDER BY uid",
        )
        .bind(mailbox)
        .bind(uidvalidity)
        .fetch_all(&self.pool)
        .await
        .context("reading unfiled messages")?;
        if !rows.is_empty() {
            self.make_durable().await?;
        }
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Marks UIDs filed (moved or flagged): one statement, atomic on its own, per chunk of UIDs.
    /// Chunks are independent: a UID left unmarked is filed again, which finds nothing to do.
    pub async fn mark_filed(&self, mailbox: &str, uidvalidity: i64, uids: &[i64]) -> Result<()> {
        let now = now_ms();
        for chunk in uids.chunks(IN_CHUNK) {
            let sql = format!(
                "UPDATE mailbox_uids SET filed_ms = $1 WHERE mailbox = $2 AND uidvalidity = $3 AND uid IN ({})",
                placeholders(4, chunk.len())
            );
            // Only numbered placeholders are formatted in; the values are bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(now)
                .bind(mailbox)
                .bind(uidvalidity);
            for uid in chunk {
                q = q.bind(uid);
            }
            q.execute(&self.pool).await.context("marking messages filed")?;
        }
        Ok(())
    }

    /// The folder a stored message was filed in (for a message seen again after a UIDVALIDITY
    /// change).
    pub async fn folder_of(&self, message_id: &str) -> Result<Option<String>> {
        let row =
            sqlx::query("SELECT folder FROM mailbox_uids WHERE message_id = $1 ORDER BY created_ms LIMIT 1")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a message's folder")?;
        Ok(row.map(|r| r.get(0)))
    }

    /// Marks outbox rows delivered: one statement, atomic on its own, per chunk of ids. Chunks are
    /// independent: a row left unmarked is sent again (at-least-once, as after a crash).
    pub async fn mark_sent(&self, ids: &[String]) -> Result<()> {
        let now = now_ms();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!(
                "UPDATE outbox SET status = 'sent', sent_ms = $1, attempts = attempts + 1 WHERE id IN ({})",
                placeholders(2, chunk.len())
            );
            // Only numbered placeholders are formatted in; the ids are bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(&self.pool).await.context("marking emails sent")?;
        }
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at_ms`, or failed for good when `None`.
    pub async fn mark_attempt_failed(&self, id: &str, error: &str, retry_at_ms: Option<i64>) -> Result<()> {
        let (status, next) = match retry_at_ms {
            Some(t) => (OutboxStatus::Pending.code(), t),
            None => (OutboxStatus::Failed.code(), now_ms()),
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_ms = $2, last_error = $3,
                claimed_by = NULL, claim_until_ms = NULL WHERE id = $4",
        )
        .bind(status)
        .bind(next)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await
        .context("recording a failed send")?;
        Ok(())
    }

    /// The CINs among `cins` with an open ECM referral (accepted or screened out, so under
    /// review), in one query.
    pub async fn open_ecm_referrals(&self, cins: &[String]) -> Result<std::collections::BTreeSet<String>> {
        self.open_ecm_referrals_besides(cins, None).await
    }

    /// Like [`Store::open_ecm_referrals`], leaving out the referrals of the message `besides`
    /// (`reprocess` decides a message again as it was decided first: before its own referrals
    /// were stored).
    pub async fn open_ecm_referrals_besides(
        &self,
        cins: &[String],
        besides: Option<&str>,
    ) -> Result<std::collections::BTreeSet<String>> {
        let mut out = std::collections::BTreeSet::new();
        // One statement per chunk of CINs (a message holds a handful; a batch a few hundred).
        for chunk in cins.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT member_cin FROM referrals WHERE program = 'ecm'
                   AND outcome IN ('accepted', 'screened_out') AND message_id <> $1 AND member_cin IN ({})",
                placeholders(2, chunk.len())
            );
            // Only numbered placeholders are formatted in; the CINs are bound.
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(besides.unwrap_or(""));
            for cin in chunk {
                q = q.bind(cin);
            }
            out.extend(
                q.fetch_all(&self.pool)
                    .await
                    .context("looking up open ECM referrals")?,
            );
        }
        Ok(out)
    }

    /// Counts rows in a table (for summaries and tests).
    pub async fn count(&self, table: &str) -> Result<i64> {
        let sql = match table {
            "messages" => "SELECT COUNT(*) FROM messages",
            "referrals" => "SELECT COUNT(*) FROM referrals",
            "outbox" => "SELECT COUNT(*) FROM outbox",
            "events" => "SELECT COUNT(*) FROM events",
            "suppressions" => "SELECT COUNT(*) FROM suppressions",
            other => anyhow::bail!("unknown table {other}"),
        };
        let row = sqlx::query(sql)
            .fetch_one(&self.pool)
            .await
            .context("counting rows")?;
        Ok(row.get::<i64, _>(0))
    }

    /// The underlying pool (tests and maintenance commands).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// When the earliest pending outbox row is due (ms since the epoch), `None` when nothing is
    /// pending. The sender sleeps until then.
    pub async fn next_due_ms(&self) -> Result<Option<i64>> {
        // A row another instance claimed is not due here before its claim lapses.
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN claim_until_ms IS NOT NULL AND claim_until_ms > next_attempt_ms
                             THEN claim_until_ms ELSE next_attempt_ms END)
             FROM outbox WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .context("reading the next outbox due time")?;
        row.try_get::<Option<i64>, _>(0)
            .context("reading the next outbox due time")
    }
}

/// How long an instance's claim on an outbox row keeps other instances off it (PostgreSQL): far
/// longer than one round of sends, short enough that a crashed sender's emails go out soon.
pub const CLAIM_TTL_MS: i64 = 30_000;

/// Values bound per `IN (...)` statement: well under SQLite's and PostgreSQL's parameter limits.
const IN_CHUNK: usize = 200;

/// `$first, $first+1, ...`: `count` numbered placeholders for an `IN (...)` list.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records a UID as looked at.
const UID_INSERT: &str =
    "INSERT INTO mailbox_uids (mailbox, uidvalidity, uid, message_id, folder, created_ms)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (mailbox, uidvalidity, uid) DO NOTHING";

/// Advances the mailbox cursor, never backwards within one UIDVALIDITY.
const CURSOR_ADVANCE: &str = "INSERT INTO mailbox_cursors (mailbox, uidvalidity, last_uid, updated_ms)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (mailbox) DO UPDATE SET
       last_uid = CASE WHEN mailbox_cursors.uidvalidity = excluded.uidvalidity
                        AND mailbox_cursors.last_uid > excluded.last_uid
                   THEN mailbox_cursors.last_uid ELSE excluded.last_uid END,
       uidvalidity = excluded.uidvalidity,
       updated_ms = excluded.updated_ms";

/// Queues one outbox row.
const OUTBOX_INSERT: &str =
    "INSERT INTO outbox (id, message_id, kind, recipient, reference, status, attempts,
        next_attempt_ms, created_ms, sent_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)";

/// Stores one outbox row's email, written once: the row's status changes as it is sent, the body
/// never does (a body kept in the row was rewritten whole by every status change).
const OUTBOX_BODY_INSERT: &str = "INSERT INTO outbox_bodies (outbox_id, eml) VALUES ($1, $2)";

/// An outbox row's email, in a query over `outbox` ('' once purged).
const OUTBOX_EML: &str = "COALESCE((SELECT b.eml FROM outbox_bodies b WHERE b.outbox_id = outbox.id), '')";

/// Writes one audit event.
const EVENT_INSERT: &str =
    "INSERT INTO events (id, message_id, at_ms, kind, detail) VALUES ($1, $2, $3, $4, $5)";

/// An outbox row's attempts and `sent_ms` as inserted: a row written `sent` (to a file) counts as
/// delivered on its one attempt, as `mark_sent` records a delivery.
fn outbox_attempts(status: OutboxStatus, now: i64) -> (i64, Option<i64>) {
    match status {
        OutboxStatus::Sent => (1, Some(now)),
        OutboxStatus::Pending | OutboxStatus::Discarded | OutboxStatus::Failed | OutboxStatus::Withheld => {
            (0, None)
        }
    }
}

/// Records a UID as looked at and advances the mailbox cursor: two statements added to a batch.
fn push_note_uid(rows: &mut Batch, r: &ImapRef, message_id: &str, now: i64) {
    rows.push(
        UID_INSERT,
        vec![
            Val::from(&r.mailbox),
            r.uidvalidity.into(),
            r.uid.into(),
            message_id.into(),
            Val::from(&r.folder),
            now.into(),
        ],
    );
    rows.push(
        CURSOR_ADVANCE,
        vec![
            Val::from(&r.mailbox),
            r.uidvalidity.into(),
            r.cursor_to.into(),
            now.into(),
        ],
    );
}

/// Queues one message's rows — the message, its referrals, its outbox rows, its audit events,
/// its UID and cursor — in `rows`; returns the ids it was given.
fn push_message(
    rows: &mut Batch,
    msg: NewMessage<'_>,
    referrals: &[NewReferral],
    outbox: Vec<NewOutbox>,
) -> Committed {
    // Encoded before the transaction: SQLite has one writer, and the sender waits for it.
    let raw = base64::engine::general_purpose::STANDARD.encode(msg.raw);
    let id = new_id();
    let now = now_ms();
    rows.push(
        "INSERT INTO messages (id, content_hash, mailbox, uidvalidity, uid, rfc_message_id, inbox_region,
        received_ms, disposition, programs, reasons, summary, raw)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        vec![
            Val::from(&id),
            msg.content_hash.into(),
            msg.mailbox.into(),
            msg.uidvalidity.into(),
            msg.uid.into(),
            msg.rfc_message_id.into(),
            msg.inbox_region.into(),
            now.into(),
            msg.disposition.code().into(),
            Val::from(msg.programs_json),
            Val::from(msg.reasons_json),
            Val::from(msg.summary_json),
            raw.into(),
        ],
    );
    for r in referrals {
        rows.push(
            "INSERT INTO referrals (id, message_id, reference, program, region, outcome, reasons, fields,
            member_cin, created_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                new_id().into(),
                Val::from(&id),
                Val::from(&r.reference),
                Val::from(&r.program),
                r.region.as_deref().into(),
                Val::from(&r.outcome),
                Val::from(&r.reasons_json),
                Val::from(&r.fields_json),
                r.member_cin.as_deref().into(),
                now.into(),
            ],
        );
    }
    let emails = outbox.len();
    let mut outbox_ids = Vec::with_capacity(emails);
    for o in outbox {
        outbox_ids.push(push_outbox(rows, &id, o, now));
    }
    let detail = serde_json::json!({
        "disposition": msg.disposition.code(),
        "referrals": referrals.len(),
        "emails": emails,
    });
    push_event(rows, Some(&id), EventKind::Processed, detail.to_string());
    for e in msg.events {
        push_event(rows, Some(&id), e.kind, e.detail);
    }
    if let Some(r) = &msg.imap {
        push_note_uid(rows, r, &id, now);
    }
    safety::push_suppressions(rows, &id, &msg.suppressions, now);
    Committed {
        message_id: id,
        outbox_ids,
    }
}

/// Queues one outbox row in a batch; returns the row's id.
fn push_outbox(rows: &mut Batch, message_id: &str, o: NewOutbox, now: i64) -> String {
    let oid = new_id();
    let (attempts, sent_ms) = outbox_attempts(o.status, now);
    // Composed mail is ASCII (7-bit transfer encodings): no copy is made to check that.
    let eml = String::from_utf8(o.eml).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    rows.push(
        OUTBOX_INSERT,
        vec![
            Val::from(&oid),
            message_id.into(),
            o.kind.code().into(),
            o.recipient.into(),
            o.reference.into(),
            o.status.code().into(),
            attempts.into(),
            now.into(),
            sent_ms.into(),
        ],
    );
    rows.push(OUTBOX_BODY_INSERT, vec![Val::from(&oid), eml.into()]);
    oid
}

/// Writes one audit event in a batch.
fn push_event(rows: &mut Batch, message_id: Option<&str>, kind: EventKind, detail: String) {
    rows.push(
        EVENT_INSERT,
        vec![
            new_id().into(),
            message_id.into(),
            now_ms().into(),
            kind.code().into(),
            detail.into(),
        ],
    );
}

/// Records a UID as looked at and advances the mailbox cursor (never backwards within one
/// UIDVALIDITY).
async fn note_uid(tx: &mut sqlx::Transaction<'_, sqlx::Any>, r: &ImapRef, message_id: &str) -> Result<()> {
    let mut rows = Batch::one_by_one();
    push_note_uid(&mut rows, r, message_id, now_ms());
    rows.execute(tx, "recording the UID and advancing the mailbox cursor")
        .await
}

/// The stored message with content hash `$1`, always one row (`NULL` when none is).
const STORED_AS: &str = "SELECT (SELECT id FROM messages WHERE content_hash = $1)";

/// The next number under the prefix `$1`, in one atomic upsert.
const NEXT_REFERENCE: &str = "INSERT INTO counters (name, value) VALUES ($1, 1)
     ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value";

/// The next number under `prefix`, in one atomic upsert.
async fn next_reference(pool: &AnyPool, prefix: &str) -> Result<String> {
    let row = sqlx::query(NEXT_REFERENCE)
        .bind(prefix)
        .fetch_one(pool)
        .await
        .context("allocating a reference number")?;
    let n: i64 = row.get(0);
    Ok(format!("{prefix}-{n:06}"))
}

/// Queues one outbox row for `message_id` with its final status; returns its id.
async fn insert_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message_id: &str,
    o: &NewOutbox,
    now: i64,
) -> Result<String> {
    let mut rows = Batch::one_by_one();
    let oid = push_outbox(&mut rows, message_id, o.clone(), now);
    rows.execute(tx, "queueing an email").await?;
    Ok(oid)
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    message_id: Option<&str>,
    kind: EventKind,
    detail: &str,
) -> Result<()> {
    let mut rows = Batch::one_by_one();
    push_event(&mut rows, message_id, kind, detail.to_string());
    rows.execute(tx, "writing an audit event").await
}

/// Creates the SQLite file's folder and the file itself with owner-only permissions (it holds
/// PHI), and returns the file's canonical path.
fn prepare_sqlite_file(path: &Path) -> Result<std::path::PathBuf> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the store folder {}", dir.display()))?;
    }
    if !path.exists() {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        opts.open(path)
            .with_context(|| format!("creating the store file {}", path.display()))?;
    }
    path.canonicalize()
        .with_context(|| format!("resolving the store path {}", path.display()))
}

/// A stored code read back as its type; a value the code does not know is an error naming it.
fn parse_code<T: std::str::FromStr<Err = String>>(s: String) -> Result<T> {
    s.parse().map_err(|e: String| anyhow::anyhow!(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Disposition;

    fn message<'a>(hash: &'a str, imap: Option<ImapRef>) -> NewMessage<'a> {
        NewMessage {
            content_hash: hash,
            mailbox: "test/INBOX",
            uidvalidity: imap.as_ref().map(|r| r.uidvalidity),
            uid: imap.as_ref().map(|r| r.uid),
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: Disposition::Referral,
            programs_json: "[\"ecm\"]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw: b"raw message",
            imap,
            events: Vec::new(),
            suppressions: Vec::new(),
        }
    }

    fn referral(reference: &str) -> NewReferral {
        NewReferral {
            reference: reference.into(),
            program: "ecm".into(),
            region: Some("ncal".into()),
            outcome: "accepted".into(),
            reasons_json: "[]".into(),
            fields_json: "{}".into(),
            member_cin: None,
        }
    }

    fn uid(uid: i64) -> Option<ImapRef> {
        Some(ImapRef {
            mailbox: "test/INBOX".into(),
            uidvalidity: 7,
            uid,
            folder: "Accepted".into(),
            cursor_to: uid,
            lease: None,
        })
    }

    async fn synchronous(store: &Store) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(store.pool())
            .await
            .expect("pragma")
    }

    /// SQLite runs a message's commit as one query (pragma, BEGIN, rows, COMMIT, pragma). A
    /// statement failing halfway (here the second referral's duplicate reference, after the
    /// message and the first referral were inserted) leaves nothing of the message, the
    /// connection out of the transaction and back at `NORMAL`, and the next message commits.
    #[tokio::test]
    async fn a_commit_failing_halfway_leaves_nothing_and_the_next_one_commits() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let same = "ECM-NCAL-2026-000001";
        let err = store
            .commit_message(
                message("h1", uid(1)),
                vec![referral(same), referral(same)],
                Vec::new(),
            )
            .await
            .expect_err("two referrals under one reference");
        assert!(format!("{err:#}").contains("UNIQUE"), "{err:#}");
        for table in ["messages", "referrals", "events"] {
            assert_eq!(store.count(table).await.expect("count"), 0, "{table}");
        }
        assert_eq!(store.cursor("test/INBOX").await.expect("cursor"), None);
        assert_eq!(synchronous(&store).await, 1, "NORMAL after a failed commit");
        store
            .commit_message(message("h2", uid(2)), vec![referral(same)], Vec::new())
            .await
            .expect("the next message commits");
        assert_eq!(store.count("messages").await.expect("count"), 1);
        assert_eq!(store.count("referrals").await.expect("count"), 1);
        assert_eq!(store.count("events").await.expect("count"), 1);
        assert_eq!(store.cursor("test/INBOX").await.expect("cursor"), Some((7, 2)));
        assert_eq!(synchronous(&store).await, 1, "NORMAL after a commit");
    }

    async fn barriers(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT n FROM store_sync WHERE id = 1")
            .fetch_one(store.pool())
            .await
            .expect("store_sync")
    }

    /// A message's commit is not fsync'd on its own; reading what may be sent or filed is the
    /// barrier: one fsync'd write for every commit before it, none when nothing was committed
    /// since the last one, and the connection back at `NORMAL` afterwards.
    #[tokio::test]
    async fn mail_is_read_for_sending_only_after_one_barrier_for_all_commits_before_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let mail = || NewOutbox {
            kind: crate::model::EmailKind::Ack,
            recipient: "sender@example.org".into(),
            reference: "ECM-1".into(),
            eml: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
            status: OutboxStatus::Pending,
        };
        for (i, hash) in ["h1", "h2", "h3"].into_iter().enumerate() {
            store
                .commit_message(message(hash, uid(i as i64 + 1)), Vec::new(), vec![mail()])
                .await
                .expect("commit");
        }
        assert_eq!(barriers(&store).await, 0, "commits alone do not fsync");
        assert_eq!(store.due_mail(10).await.expect("due").len(), 3);
        assert_eq!(barriers(&store).await, 1, "one barrier for the three commits");
        assert_eq!(synchronous(&store).await, 1, "NORMAL after the barrier");
        assert_eq!(store.unfiled("test/INBOX", 7).await.expect("unfiled").len(), 3);
        assert_eq!(store.due_mail(10).await.expect("due").len(), 3);
        assert_eq!(
            barriers(&store).await,
            1,
            "nothing committed since: no second fsync"
        );
        store
            .commit_message(message("h4", uid(4)), Vec::new(), vec![mail()])
            .await
            .expect("commit");
        assert_eq!(store.unfiled("test/INBOX", 7).await.expect("unfiled").len(), 4);
        assert_eq!(
            barriers(&store).await,
            2,
            "a new commit: a new barrier before filing"
        );
    }

    /// The loop guards' facts and the reference numbers read in one round trip are what the
    /// separate calls answer: the facts per reply recipient in their order (suppressed, replies in
    /// the window, addresses compared lowercased), the numbers one upsert per referral in order
    /// (two of one series follow each other), the message's the first referral's or, without
    /// referrals, one of its own.
    /// One message's reads before its commit: its reply facts, its referrals' numbers and its
    /// own.
    async fn reads(
        store: &Store,
        held: &mut Held,
        replies: &[String],
        since: i64,
        prefixes: &[String],
        message_prefix: &str,
    ) -> Result<(Vec<(bool, i64)>, Vec<String>, String)> {
        let wanted = ReadsWanted {
            replies,
            reference_prefixes: prefixes,
            message_prefix,
            content_hash: None,
        };
        let r = store
            .reads_before_commit(held, since, std::slice::from_ref(&wanted))
            .await?
            .pop()
            .context("the store answered for no message")?;
        Ok((r.reply_facts, r.references, r.message_reference))
    }

    #[tokio::test]
    async fn reply_facts_and_references_in_one_round_trip_answer_as_the_separate_calls() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let ack = |to: &str| NewOutbox {
            kind: crate::model::EmailKind::Ack,
            recipient: to.into(),
            reference: "ECM-1".into(),
            eml: b"Subject: x\r\n\r\nbody\r\n".to_vec(),
            status: OutboxStatus::Pending,
        };
        let mut first = message("h1", uid(1));
        first.suppressions = vec![NewSuppression {
            address: "gone@example.org".into(),
            status: "5.1.1".into(),
            until_ms: now_ms() + 86_400_000,
        }];
        store
            .commit_message(
                first,
                Vec::new(),
                vec![ack("busy@example.org"), ack("busy@example.org")],
            )
            .await
            .expect("commit");
        let since = now_ms() - 60_000;
        let replies: Vec<String> = ["Busy@Example.org", "gone@example.org", "new@example.org"]
            .map(String::from)
            .to_vec();
        let prefixes: Vec<String> = ["ECM-NCAL-2026", "CS-NCAL-2026", "ECM-NCAL-2026"]
            .map(String::from)
            .to_vec();
        let (facts, refs, msg_ref) = reads(
            &store,
            &mut Held(None),
            &replies,
            since,
            &prefixes,
            "MSG-NCAL-2026",
        )
        .await
        .expect("one round trip");
        let mut separately = Vec::new();
        for r in &replies {
            separately.push(store.reply_facts(r, since).await.expect("facts"));
        }
        assert_eq!(facts, separately);
        assert_eq!(facts, vec![(false, 2), (true, 0), (false, 0)]);
        assert_eq!(
            refs,
            [
                "ECM-NCAL-2026-000001",
                "CS-NCAL-2026-000001",
                "ECM-NCAL-2026-000002"
            ]
        );
        assert_eq!(msg_ref, "ECM-NCAL-2026-000001");
        let (facts, refs, msg_ref) = reads(&store, &mut Held(None), &[], since, &[], "MSG-NCAL-2026")
            .await
            .expect("no replies, no referrals");
        assert!(facts.is_empty() && refs.is_empty());
        assert_eq!(msg_ref, "MSG-NCAL-2026-000001");
        let (refs, msg_ref) = store
            .reserve_references(&prefixes[..1], "MSG-NCAL-2026")
            .await
            .expect("the separate call");
        assert_eq!(
            (refs, msg_ref.as_str()),
            (vec!["ECM-NCAL-2026-000003".to_string()], "ECM-NCAL-2026-000003")
        );
    }

    /// The reads before a commit run in one transaction on SQLite (one WAL frame for all their
    /// reference numbers): a statement failing in it rolls it back, and the connection the
    /// message's commit uses next is left with no transaction open.
    #[tokio::test]
    async fn a_failed_read_before_commit_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        sqlx::raw_sql("DROP TABLE counters")
            .execute(&store.pool)
            .await
            .expect("drop");
        let mut held = store.hold().await.expect("hold");
        let prefixes = ["ECM-NCAL-2026".to_string()];
        let failed = reads(&store, &mut held, &[], now_ms(), &prefixes, "MSG-NCAL-2026").await;
        assert!(failed.is_err(), "no counters table, no numbers");
        drop(held);
        store
            .commit_message(message("h1", uid(1)), Vec::new(), Vec::new())
            .await
            .expect("a commit on the same connection after the failure");
    }

    /// The connection held from a message's reads to its commit goes back to the pool with the
    /// commit, or when the message is given up before it (dropped unused, as when composing its
    /// mail fails): the next queries get it, and nothing of a transaction was left open.
    #[tokio::test]
    async fn the_connection_held_for_a_commit_goes_back_committed_or_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let mut held = store.hold().await.expect("hold");
        assert!(held.0.is_some(), "SQLite holds its one connection");
        reads(&store, &mut held, &[], 0, &["ECM-NCAL-2026".into()], "M")
            .await
            .expect("reads on the held connection");
        drop(held);
        assert_eq!(store.count("messages").await.expect("count"), 0);
        let mut held = store.hold().await.expect("hold again");
        let (_, refs, _) = reads(&store, &mut held, &[], 0, &["ECM-NCAL-2026".into()], "M")
            .await
            .expect("reads");
        assert_eq!(refs, ["ECM-NCAL-2026-000002"], "the first number was kept: a gap");
        store
            .commit_message_held(held, message("h1", uid(1)), vec![referral(&refs[0])], Vec::new())
            .await
            .expect("commit on the held connection");
        assert_eq!(store.count("referrals").await.expect("count"), 1);
        assert_eq!(store.cursor("test/INBOX").await.expect("cursor"), Some((7, 1)));
        assert_eq!(synchronous(&store).await, 1, "NORMAL after the commit");
    }

    /// A commit whose caller stops waiting once it has started (a shutdown, a lost lease) still
    /// ends whole, committed or not, and never leaves the transaction open for the next one.
    #[tokio::test]
    async fn a_commit_abandoned_by_its_caller_leaves_the_store_usable() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        // Polled once (the commit's task is spawned and starts), then dropped.
        let abandoned = futures::FutureExt::now_or_never(store.commit_message(
            message("h1", uid(1)),
            vec![referral("ECM-1")],
            Vec::new(),
        ));
        assert!(abandoned.is_none(), "the commit was still running");
        store
            .commit_message(message("h2", uid(2)), vec![referral("ECM-2")], Vec::new())
            .await
            .expect("the next message commits");
        let messages = store.count("messages").await.expect("count");
        assert!(messages == 1 || messages == 2, "{messages}");
        assert_eq!(store.count("referrals").await.expect("count"), messages);
        assert_eq!(store.count("events").await.expect("count"), messages);
        assert_eq!(synchronous(&store).await, 1);
    }
}
