//! `replay`: the full pipeline over `.eml` files, mbox files or Maildir folders, offline.
//!
//! Each message is ingested into the configured store exactly as the daemon would; outbound mail
//! is written as `.eml` files to `--out DIR` instead of being sent. Its outbox rows are inserted
//! `sent` (with `--out`) or `discarded` (without), never `pending`: a `run` on the same store,
//! now or later, has nothing of a replay to send. (A Ctrl-C after a message's commit can leave
//! its `.eml` files unwritten; it cannot leave its mail to be sent.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::config::Config;
use crate::ingest::{self, Source};
use crate::store::{OutboxStatus, Roster, Store};

/// One replayed message, as the summary shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayRow {
    pub file: String,
    pub store_id: Option<String>,
    pub disposition: String,
    pub programs: Vec<String>,
    pub reasons: Vec<String>,
    pub referrals: Vec<ReplayReferral>,
    pub emails: Vec<String>,
}

/// One referral in the summary.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReferral {
    pub reference: String,
    pub program: String,
    pub outcome: String,
    pub reasons: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    pub messages: usize,
    pub referrals: usize,
    pub emails_written: usize,
    pub rows: Vec<ReplayRow>,
}

/// Replays every message found under `paths`.
pub async fn replay(cfg: Arc<Config>, paths: &[PathBuf], out: Option<&Path>) -> Result<ReplaySummary> {
    let store = Store::open(&cfg.main.store.url).await?;
    let roster = Roster::load(cfg.main.screening.roster_file.as_deref())?;
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // The final status of every email, written in the same insert as the row.
    let status = match out {
        Some(_) => OutboxStatus::Sent,
        None => OutboxStatus::Discarded,
    };
    let mut rows = Vec::new();
    let mut written = 0;
    for (name, raw) in read_inputs(paths)? {
        let source = Source::replay();
        let done = ingest::ingest(cfg.clone(), &store, &roster, raw, &source, status).await?;
        let d = &done.decision;
        let mut emails = Vec::new();
        for mail in store.outbox_rows(&done.outbox_ids).await? {
            emails.push(format!("{} -> {}", mail.kind, mail.recipient));
            if let Some(dir) = out {
                let file = dir.join(format!(
                    "{}-{}-{}.eml",
                    mail.reference,
                    mail.kind,
                    mail.id.get(mail.id.len().saturating_sub(6)..).unwrap_or(&mail.id)
                ));
                std::fs::write(&file, &mail.eml).with_context(|| format!("writing {}", file.display()))?;
                written += 1;
            }
        }
        tracing::info!(
            msg_id = done.store_id.as_deref().unwrap_or("-"),
            disposition = d.disposition.code(),
            reasons = %d.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
            referrals = d.referrals.len(),
            "replayed message"
        );
        rows.push(ReplayRow {
            file: name,
            store_id: done.store_id.clone(),
            disposition: d.disposition.code().into(),
            programs: d.programs.iter().map(|p| p.code().to_string()).collect(),
            reasons: d.reasons.iter().map(ToString::to_string).collect(),
            referrals: d
                .referrals
                .iter()
                .zip(done.references.iter())
                .map(|(r, reference)| ReplayReferral {
                    reference: reference.clone(),
                    program: r.program.code().into(),
                    outcome: r.outcome.code().into(),
                    reasons: r.reasons.iter().map(ToString::to_string).collect(),
                })
                .collect(),
            emails,
        });
    }
    let referrals = rows.iter().map(|r| r.referrals.len()).sum();
    Ok(ReplaySummary {
        messages: rows.len(),
        referrals,
        emails_written: written,
        rows,
    })
}

/// Every message under the paths, in a stable order: `.eml` files, Maildir folders (`cur`, `new`)
/// and mbox files (split on `From ` lines).
pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let maildir = p.join("cur").is_dir() || p.join("new").is_dir();
            let dirs: Vec<PathBuf> = if maildir {
                vec![p.join("cur"), p.join("new")]
            } else {
                vec![p.clone()]
            };
            for d in dirs.iter().filter(|d| d.is_dir()) {
                let mut files: Vec<PathBuf> = std::fs::read_dir(d)
                    .with_context(|| format!("reading {}", d.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.is_file())
                    .filter(|f| maildir || f.extension().is_some_and(|e| e == "eml" || e == "mbox"))
                    .collect();
                files.sort();
                for f in files {
                    read_file(&f, &mut out)?;
                }
            }
        } else {
            read_file(p, &mut out)?;
        }
    }
    Ok(out)
}

fn read_file(path: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if bytes.starts_with(b"From ") {
        for (i, msg) in split_mbox(&bytes).into_iter().enumerate() {
            out.push((format!("{name}#{}", i + 1), msg));
        }
    } else {
        out.push((name, bytes));
    }
    Ok(())
}

/// Splits an mbox (mboxrd/mboxo) into messages, undoing `>From ` quoting.
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") {
            msgs.push(Vec::new());
            continue;
        }
        if let Some(cur) = msgs.last_mut() {
            let unquoted = if line.starts_with(b">")
                && line
                    .iter()
                    .skip_while(|b| **b == b'>')
                    .take(5)
                    .eq(b"From ".iter())
            {
                line.get(1..).unwrap_or(line)
            } else {
                line
            };
            cur.extend_from_slice(unquoted);
        }
    }
    msgs.retain(|m| !m.iter().all(u8::is_ascii_whitespace));
    msgs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_mbox_and_unquotes() {
        let m = split_mbox(b"From a@b Mon Jan 1 00:00:00 2026\nSubject: one\n\n>From here\n\nFrom c@d Mon Jan 1 00:00:00 2026\nSubject: two\n\nbody\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: one\n\nFrom here\n\n".to_vec());
        assert_eq!(m[1], b"Subject: two\n\nbody\n".to_vec());
    }
}
