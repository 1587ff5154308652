//! `reprocess` applied (issue #11): a message decided again with today's configuration. The
//! referral rows keep their ids and reference numbers and take the new outcome, reasons and
//! fields; the decision each replaces goes to `decisions`, beside the new one, for audit; the
//! emails the change calls for are queued; all in one transaction per message.

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use sqlx::Row;

use super::{EventKind, NewOutbox, NewReferral, Store, insert_event, insert_outbox, new_id, now_ms};

/// One referral whose outcome the new decision changed, or that it found for the first time.
#[derive(Debug, Clone)]
pub struct RedecidedReferral {
    /// The stored row, with the decision it held; `None` for a referral the earlier decision did
    /// not find (a new row is inserted under `new.reference`).
    pub earlier: Option<Earlier>,
    pub new: NewReferral,
}

/// A referral row as it was before `reprocess`.
#[derive(Debug, Clone)]
pub struct Earlier {
    pub referral_id: String,
    pub outcome: String,
    pub reasons_json: String,
    pub fields_json: String,
}

/// A message's new decision, as far as it changed.
#[derive(Debug, Clone)]
pub struct Redecided {
    pub message_id: String,
    pub disposition: crate::model::Disposition,
    pub programs_json: String,
    pub reasons_json: String,
    pub referrals: Vec<RedecidedReferral>,
    pub outbox: Vec<NewOutbox>,
}

/// A decision `reprocess` replaced, for `status`.
#[derive(Debug, Clone, Serialize)]
pub struct EarlierDecision {
    pub reference: String,
    /// When it was replaced (ms since the epoch).
    pub replaced_ms: i64,
    /// `None` when the referral was first found by `reprocess`.
    pub old_outcome: Option<String>,
    pub old_reasons: serde_json::Value,
    pub new_outcome: String,
    pub new_reasons: serde_json::Value,
}

impl Store {
    /// Writes a message's new decision in one transaction: each changed referral updated (its
    /// earlier outcome still the one read, else nothing is written: another `reprocess` got there
    /// first) with its earlier decision kept in `decisions`, new referrals inserted, the message's
    /// disposition updated, the emails queued and a `reprocessed` audit event. Returns the outbox
    /// ids.
    pub async fn apply_redecision(&self, r: &Redecided) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await.context("starting a transaction")?;
        // Like `commit_message`: this commit gates sending.
        self.set_durable(&mut conn, true).await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .context("starting a transaction")?;
        let now = now_ms();
        for c in &r.referrals {
            let n = &c.new;
            let referral_id = match &c.earlier {
                Some(e) => {
                    let done = sqlx::query(
                        "UPDATE referrals SET outcome = $1, reasons = $2, fields = $3, region = $4, member_cin = $5
                          WHERE id = $6 AND outcome = $7",
                    )
                    .bind(&n.outcome)
                    .bind(&n.reasons_json)
                    .bind(&n.fields_json)
                    .bind(n.region.as_deref())
                    .bind(n.member_cin.as_deref())
                    .bind(&e.referral_id)
                    .bind(&e.outcome)
                    .execute(&mut *tx)
                    .await
                    .context("updating a referral")?;
                    if done.rows_affected() != 1 {
                        bail!(
                            "referral {} changed while it was decided again; run reprocess again",
                            n.reference
                        );
                    }
                    e.referral_id.clone()
                }
                None => {
                    let id = new_id();
                    sqlx::query(
                        "INSERT INTO referrals (id, message_id, reference, program, region, outcome, reasons,
                            fields, member_cin, created_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&id)
                    .bind(&r.message_id)
                    .bind(&n.reference)
                    .bind(&n.program)
                    .bind(n.region.as_deref())
                    .bind(&n.outcome)
                    .bind(&n.reasons_json)
                    .bind(&n.fields_json)
                    .bind(n.member_cin.as_deref())
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .context("storing a referral")?;
                    id
                }
            };
            sqlx::query(
                "INSERT INTO decisions (id, referral_id, message_id, reference, at_ms, old_outcome, old_reasons,
                    old_fields, new_outcome, new_reasons, new_fields)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(new_id())
            .bind(&referral_id)
            .bind(&r.message_id)
            .bind(&n.reference)
            .bind(now)
            .bind(c.earlier.as_ref().map(|e| e.outcome.clone()))
            .bind(c.earlier.as_ref().map(|e| e.reasons_json.clone()))
            .bind(c.earlier.as_ref().map(|e| e.fields_json.clone()))
            .bind(&n.outcome)
            .bind(&n.reasons_json)
            .bind(&n.fields_json)
            .execute(&mut *tx)
            .await
            .context("recording the earlier decision")?;
        }
        sqlx::query("UPDATE messages SET disposition = $1, programs = $2, reasons = $3 WHERE id = $4")
            .bind(r.disposition.code())
            .bind(&r.programs_json)
            .bind(&r.reasons_json)
            .bind(&r.message_id)
            .execute(&mut *tx)
            .await
            .context("updating the message's decision")?;
        let mut ids = Vec::with_capacity(r.outbox.len());
        for o in &r.outbox {
            ids.push(insert_outbox(&mut tx, &r.message_id, o, now).await?);
        }
        // Codes and counts only: the references and outcomes are in `decisions`.
        let detail = serde_json::json!({
            "disposition": r.disposition.code(),
            "referrals_changed": r.referrals.len(),
            "emails": r.outbox.len(),
        });
        insert_event(
            &mut tx,
            Some(&r.message_id),
            EventKind::Reprocessed,
            &detail.to_string(),
        )
        .await?;
        tx.commit().await.context("committing the new decision")?;
        self.set_durable(&mut conn, false).await?;
        Ok(ids)
    }

    /// The decisions `reprocess` replaced for a message's referrals, oldest first.
    pub async fn earlier_decisions(&self, message_id: &str) -> Result<Vec<EarlierDecision>> {
        let rows = sqlx::query(
            "SELECT reference, at_ms, old_outcome, old_reasons, new_outcome, new_reasons FROM decisions
              WHERE message_id = $1 ORDER BY at_ms, reference",
        )
        .bind(message_id)
        .fetch_all(&self.pool)
        .await
        .context("reading earlier decisions")?;
        let json = |s: Option<String>| {
            s.and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        rows.iter()
            .map(|r| {
                Ok(EarlierDecision {
                    reference: r.try_get(0)?,
                    replaced_ms: r.try_get(1)?,
                    old_outcome: r.try_get(2)?,
                    old_reasons: json(r.try_get(3)?),
                    new_outcome: r.try_get(4)?,
                    new_reasons: json(r.try_get(5)?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .context("reading earlier decisions")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Disposition, EmailKind};
    use crate::store::{NewMessage, OutboxStatus};

    /// The update is guarded by the outcome it replaces: when the row no longer holds it (another
    /// `reprocess` got there first), nothing of the message is written — not the decision, not
    /// the emails. With the right one, all of it is.
    #[tokio::test]
    async fn a_referral_changed_meanwhile_writes_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Store::open(&url).await.expect("store");
        let referral = |outcome: &str| NewReferral {
            reference: "ECM-NCAL-2026-000001".into(),
            program: "ecm".into(),
            region: Some("ncal".into()),
            outcome: outcome.into(),
            reasons_json: "[]".into(),
            fields_json: "{}".into(),
            member_cin: None,
        };
        let msg = NewMessage {
            content_hash: "h",
            mailbox: "test/INBOX",
            uidvalidity: None,
            uid: None,
            rfc_message_id: None,
            inbox_region: "ncal",
            disposition: Disposition::Referral,
            programs_json: "[\"ecm\"]".into(),
            reasons_json: "[]".into(),
            summary_json: "{}".into(),
            raw: b"m",
            imap: None,
            events: Vec::new(),
            suppressions: Vec::new(),
        };
        let message_id = store
            .commit_message(msg, vec![referral("needs_info")], Vec::new())
            .await
            .expect("commit")
            .message_id;
        let referral_id: String = sqlx::query_scalar("SELECT id FROM referrals")
            .fetch_one(store.pool())
            .await
            .expect("id");
        let redecided = |was: &str| Redecided {
            message_id: message_id.clone(),
            disposition: Disposition::Referral,
            programs_json: "[\"ecm\"]".into(),
            reasons_json: "[]".into(),
            referrals: vec![RedecidedReferral {
                earlier: Some(Earlier {
                    referral_id: referral_id.clone(),
                    outcome: was.into(),
                    reasons_json: "[]".into(),
                    fields_json: "{}".into(),
                }),
                new: referral("accepted"),
            }],
            outbox: vec![NewOutbox {
                kind: EmailKind::Update,
                recipient: "sender@example.test".into(),
                reference: "ECM-NCAL-2026-000001".into(),
                eml: b"From: a@example.test\r\n\r\nx\r\n".to_vec(),
                status: OutboxStatus::Pending,
            }],
        };
        let counts = || async {
            let outcome: String = sqlx::query_scalar("SELECT outcome FROM referrals")
                .fetch_one(store.pool())
                .await
                .expect("outcome");
            (
                outcome,
                store.count("outbox").await.expect("outbox"),
                earlier_count(&store).await,
            )
        };
        let err = store
            .apply_redecision(&redecided("review"))
            .await
            .expect_err("the row holds needs_info, not review");
        assert!(
            format!("{err:#}").contains("changed while it was decided again"),
            "{err:#}"
        );
        assert_eq!(counts().await, ("needs_info".to_string(), 0, 0));
        store
            .apply_redecision(&redecided("needs_info"))
            .await
            .expect("applied");
        assert_eq!(counts().await, ("accepted".to_string(), 1, 1));
        let earlier = store.earlier_decisions(&message_id).await.expect("earlier");
        assert_eq!(earlier.len(), 1);
        assert_eq!(earlier[0].old_outcome.as_deref(), Some("needs_info"));
        assert_eq!(earlier[0].new_outcome, "accepted");
    }

    async fn earlier_count(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM decisions")
            .fetch_one(store.pool())
            .await
            .expect("count")
    }
}
