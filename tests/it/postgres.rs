//! The same store on PostgreSQL (multi-instance deployments): migrations, one transaction per
//! message, duplicates, reference numbers.
//!
//! Uses `TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`, which the project's
//! machines run and `scripts/test.sh` starts) and works in a fresh database it creates and drops.

use referral_intake::store::Store;
use sqlx::any::install_default_drivers;

use crate::support::{json, run, temp_config};

pub(crate) struct TempDb {
    admin: String,
    name: String,
}

impl TempDb {
    pub(crate) fn create(rt: &tokio::runtime::Runtime) -> (TempDb, String) {
        install_default_drivers();
        let admin =
            std::env::var("TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name = format!(
            "ri_test_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        rt.block_on(async {
            let pool = sqlx::AnyPool::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at TEST_PG_URL ({e}); run scripts/test.sh, which starts it"
                )
            });
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create db");
        });
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .expect("url with a database");
        let url = format!("{base}/{name}");
        (TempDb { admin, name }, url)
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().expect("rt");
            rt.block_on(async {
                if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&pool)
                    .await;
                }
            });
        })
        .join();
    }
}

#[test]
fn replay_into_postgres_matches_sqlite() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (_db, url) = TempDb::create(&rt);
    let (_dir_pg, pg_config) = temp_config("");
    let text = std::fs::read_to_string(&pg_config)
        .expect("read")
        .replace("sqlite://data/test.db", &url);
    std::fs::write(&pg_config, text).expect("write");
    let (_dir_lite, lite_config) = temp_config("");

    let replay = |config: &std::path::Path| {
        let out = run(&[
            "replay",
            "fixtures/demo",
            "--format",
            "json",
            "--config",
            config.to_str().expect("utf8"),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out)
    };
    let pg = replay(&pg_config);
    let lite = replay(&lite_config);
    let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                serde_json::json!([
                    r["file"],
                    r["disposition"],
                    r["reasons"],
                    r["referrals"],
                    r["emails"]
                ])
            })
            .collect()
    };
    assert_eq!(
        strip(&pg),
        strip(&lite),
        "both stores give the same references and outcomes"
    );

    let again = replay(&pg_config);
    assert!(
        again["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["reasons"] == serde_json::json!(["duplicate"]))
    );
    let store = rt.block_on(Store::open(&url)).expect("store");
    let referrals = rt.block_on(store.count("referrals")).expect("count");
    assert_eq!(referrals, pg["referrals"].as_i64().expect("n"));
}

/// The coded columns hold only codes the program knows, on both stores: the demo replays, and a
/// hand-written row with an unknown status, kind or outcome is refused (issue #9).
#[test]
fn both_stores_refuse_codes_the_program_does_not_know() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (_db, pg) = TempDb::create(&rt);
    let dir = tempfile::tempdir().expect("tmp");
    let lite = format!("sqlite://{}", dir.path().join("codes.db").display());
    for url in [pg.as_str(), lite.as_str()] {
        let store = rt.block_on(Store::open(url)).expect("store");
        let pool = store.pool();
        let bad = [
            "INSERT INTO events (id, message_id, at_ms, kind, detail) VALUES ('e1', NULL, 1, 'oops', '{}')",
            "INSERT INTO messages (id, content_hash, mailbox, inbox_region, received_ms, disposition, programs, reasons, summary, raw)
               VALUES ('m1', 'h', 'replay', 'ncal', 1, 'maybe', '[]', '[]', '{}', '')",
        ];
        for sql in bad {
            let r = rt.block_on(sqlx::query(sql).execute(pool));
            assert!(r.is_err(), "{url}: accepted {sql}");
        }
        // A known code still goes in.
        let ok = rt.block_on(
            sqlx::query("INSERT INTO events (id, message_id, at_ms, kind, detail) VALUES ('e2', NULL, 1, 'purge', '{}')")
                .execute(pool),
        );
        assert!(ok.is_ok(), "{url}: {ok:?}");
    }
}

/// Fencing (issue #12): a holder whose lease expired and was taken over can neither renew it
/// nor commit a message under it — what a process paused past its lease (SIGSTOP, a VM freeze)
/// meets when it wakes, whatever it had in hand. The new holder commits; outbox claims keep the
/// two instances' senders off each other's rows.
#[test]
fn a_lost_lease_can_neither_be_renewed_nor_commit() {
    use referral_intake::store::{ImapRef, LeaseLost, NewMessage};
    use std::time::Duration;
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (_db, url) = TempDb::create(&rt);
    rt.block_on(async {
        let a = Store::open(&url).await.expect("store a");
        let b = Store::open(&url).await.expect("store b");
        let mailbox = "regmcdurns-kpnc@kp.org/INBOX";
        let old = a
            .acquire_lease(mailbox, Duration::ZERO)
            .await
            .expect("acquire")
            .expect("free");
        tokio::time::sleep(Duration::from_millis(20)).await; // past its (zero) TTL
        let new = b
            .acquire_lease(mailbox, Duration::from_secs(60))
            .await
            .expect("acquire")
            .expect("expired, so taken over");
        assert_eq!(new.epoch, old.epoch + 1);
        assert!(
            a.acquire_lease(mailbox, Duration::from_secs(60))
                .await
                .expect("try")
                .is_none(),
            "held by b"
        );
        assert!(
            !a.renew_lease(&old, Duration::from_secs(60)).await.expect("renew"),
            "lost"
        );
        let msg = |hash: &'static str, lease| NewMessage {
            content_hash: hash,
            mailbox,
            uidvalidity: Some(1),
            uid: Some(1),
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: referral_intake::model::Disposition::Review,
            programs_json: "[]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw: b"Subject: test\r\n\r\ntest\r\n",
            imap: Some(ImapRef {
                mailbox: mailbox.into(),
                uidvalidity: 1,
                uid: 1,
                folder: "Referrals/Review".into(),
                cursor_to: 1,
                lease: Some(lease),
            }),
            events: Vec::new(),
            suppressions: Vec::new(),
        };
        let err = a
            .commit_message(msg("h-old", old), Vec::new(), Vec::new())
            .await
            .expect_err("refused under a lost lease");
        assert!(err.downcast_ref::<LeaseLost>().is_some(), "{err:#}");
        assert_eq!(a.count("messages").await.expect("count"), 0, "nothing committed");
        b.commit_message(msg("h-new", new), Vec::new(), Vec::new())
            .await
            .expect("the holder commits");
        assert_eq!(b.count("messages").await.expect("count"), 1);
    });
}
