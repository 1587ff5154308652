//! Retention: `purge` clears raw messages (and finished outbox .eml) past
//! `[store] raw_retention_days`, keeps the metadata, writes one audit event, and a purged message
//! reports clearly when asked for again — on SQLite and PostgreSQL.

use std::path::Path;

use referral_intake::store::Store;
use sqlx::Row;

use crate::postgres::TempDb;
use crate::support::{json, run};

const OLD: &str = "fixtures/demo/01-kp-ecm-accepted.eml";
const NEW: &str = "fixtures/demo/04-healthnet-cs-meals.eml";

fn config(dir: &Path, url: &str, retention_days: u32) -> std::path::PathBuf {
    let path = dir.join("referral-intake.toml");
    std::fs::write(
        &path,
        format!("[store]\nurl = \"{url}\"\nraw_retention_days = {retention_days}\n"),
    )
    .expect("config");
    path
}

fn cli(config: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--config", config.to_str().expect("utf8")];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

fn one_i64(rt: &tokio::runtime::Runtime, store: &Store, sql: &'static str, bind: &str) -> i64 {
    rt.block_on(sqlx::query(sql).bind(bind.to_string()).fetch_one(store.pool()))
        .expect("query")
        .get::<i64, _>(0)
}

/// Replays an old and a new message (acks and forwards written as .eml, so their outbox rows
/// are `sent`), ages the old one past retention, then purges.
#[allow(clippy::indexing_slicing)] // JSON lookups in a test helper
fn purge_clears_old_raw_keeps_new_and_audits(url: &str) {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config(dir.path(), url, 30);
    let out_dir = dir.path().join("out");
    let out = out_dir.to_str().expect("utf8");
    let replayed = cli(&cfg, &["replay", OLD, NEW, "--out", out, "--format", "json"]);
    let id = |i: usize| {
        replayed["rows"][i]["store_id"]
            .as_str()
            .expect("store id")
            .to_string()
    };
    let (old_id, new_id) = (id(0), id(1));

    let store = rt.block_on(Store::open(url)).expect("store");
    let long_ago = referral_intake::store::now_ms() - 40 * 86_400_000;
    rt.block_on(async {
        sqlx::query("UPDATE messages SET received_ms = $1 WHERE id = $2")
            .bind(long_ago)
            .bind(old_id.clone())
            .execute(store.pool())
            .await?;
        sqlx::query("UPDATE outbox SET created_ms = $1 WHERE message_id = $2")
            .bind(long_ago)
            .bind(old_id.clone())
            .execute(store.pool())
            .await
    })
    .expect("age the old message");
    let old_emails = one_i64(
        &rt,
        &store,
        "SELECT COUNT(*) FROM outbox WHERE message_id = $1",
        &old_id,
    );
    assert!(old_emails >= 2, "ack and forward: {old_emails}");

    // A dry run counts and changes nothing.
    let dry = cli(&cfg, &["purge", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["messages"], 1);
    assert_eq!(dry["outbox_emls"], old_emails);
    let purge_events = "SELECT COUNT(*) FROM events WHERE kind = $1";
    assert_eq!(one_i64(&rt, &store, purge_events, "purge"), 0);

    let done = cli(&cfg, &["purge"]);
    assert_eq!(done["messages"], 1);
    assert_eq!(done["outbox_emls"], old_emails);
    assert_eq!(
        one_i64(&rt, &store, purge_events, "purge"),
        1,
        "one audit event per run"
    );
    let empty_raw = "SELECT COUNT(*) FROM messages WHERE id = $1 AND raw = '' AND raw_purged_ms IS NOT NULL";
    assert_eq!(one_i64(&rt, &store, empty_raw, &old_id), 1, "old raw cleared");
    assert_eq!(one_i64(&rt, &store, empty_raw, &new_id), 0, "new raw kept");
    assert_eq!(
        one_i64(
            &rt,
            &store,
            "SELECT COUNT(*) FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id WHERE o.message_id = $1 AND b.eml = ''",
            &old_id
        ),
        old_emails
    );
    assert_eq!(
        one_i64(
            &rt,
            &store,
            "SELECT COUNT(*) FROM outbox o JOIN outbox_bodies b ON b.outbox_id = o.id WHERE o.message_id = $1 AND b.eml = ''",
            &new_id
        ),
        0
    );
    assert_eq!(
        one_i64(
            &rt,
            &store,
            "SELECT COUNT(*) FROM referrals WHERE message_id = $1",
            &old_id
        ),
        1,
        "metadata kept"
    );
    let detail: String = rt
        .block_on(sqlx::query("SELECT detail FROM events WHERE kind = 'purge'").fetch_one(store.pool()))
        .expect("event")
        .get(0);
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["messages"], 1);
    assert_eq!(detail["retention_days"], 30);

    // Asking for the purged message's content says so; the kept one is intact.
    let err = rt.block_on(store.raw_message(&old_id)).expect_err("purged");
    assert!(format!("{err:#}").contains("purged"), "{err:#}");
    let kept = rt.block_on(store.raw_message(&new_id)).expect("kept");
    assert_eq!(
        kept.raw,
        std::fs::read(crate::support::root().join(NEW)).expect("read")
    );

    // A second run finds nothing new; replaying the purged file is a clean duplicate.
    let again = cli(&cfg, &["purge"]);
    assert_eq!(again["messages"], 0);
    let replay = cli(&cfg, &["replay", OLD, "--format", "json"]);
    assert_eq!(replay["rows"][0]["reasons"], serde_json::json!(["duplicate"]));
}

#[test]
fn purge_on_sqlite() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    purge_clears_old_raw_keeps_new_and_audits(&url);
}

#[test]
fn purge_on_postgres() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (_db, url) = TempDb::create(&rt);
    purge_clears_old_raw_keeps_new_and_audits(&url);
}

/// `raw_retention_days = 0` keeps everything.
#[test]
fn zero_retention_keeps_raw_forever() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let cfg = config(dir.path(), &url, 0);
    cli(&cfg, &["replay", OLD, "--format", "json"]);
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let store = rt.block_on(Store::open(&url)).expect("store");
    rt.block_on(sqlx::query("UPDATE messages SET received_ms = 0").execute(store.pool()))
        .expect("age");
    let done = cli(&cfg, &["purge"]);
    assert_eq!(done["messages"], 0);
    assert_eq!(store_count_raw_nonempty(&rt, &store), 1);
}

fn store_count_raw_nonempty(rt: &tokio::runtime::Runtime, store: &Store) -> i64 {
    rt.block_on(sqlx::query("SELECT COUNT(*) FROM messages WHERE raw <> ''").fetch_one(store.pool()))
        .expect("count")
        .get::<i64, _>(0)
}
