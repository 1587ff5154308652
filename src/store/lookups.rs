//! What screening looks up besides the message: the optional member roster, and which members
//! this process has lately given an open ECM referral.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};

/// Member CINs from the configured roster file (one per line, or the first CSV column).
/// Shared, not copied: every decision's facts hold it.
#[derive(Debug, Clone, Default)]
pub struct Roster(Option<Arc<HashSet<String>>>);

impl PartialEq for Roster {
    /// The same loaded roster (a reload loads a new one).
    fn eq(&self, other: &Roster) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Roster {
    /// Loads the roster when a file is configured.
    pub fn load(path: Option<&Path>) -> Result<Roster> {
        let Some(path) = path else { return Ok(Roster(None)) };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the roster {}", path.display()))?;
        let set = text
            .lines()
            .filter_map(|l| l.split(',').next())
            .filter_map(|c| crate::normalize::normalize_cin(c).ok().flatten())
            .collect();
        Ok(Roster(Some(Arc::new(set))))
    }

    /// `Some(listed)` when a roster is configured.
    pub fn contains(&self, cin: &str) -> Option<bool> {
        self.0.as_ref().map(|s| s.contains(cin))
    }
}

/// The CINs this process's commits gave an open ECM referral, numbered in commit order.
///
/// A message is decided one ahead: its facts are fetched while the message before it commits.
/// At its own commit the facts can only have changed if a commit since gave one of its CINs an
/// open ECM referral; this log answers that without a query. Another process writing the same
/// store (a second instance on PostgreSQL works other inboxes) is not seen here, as it was not
/// seen by a re-query a moment earlier either.
#[derive(Debug, Default)]
pub struct EcmLog(Mutex<EcmEntries>);

#[derive(Debug, Default)]
pub struct EcmEntries {
    /// Number of the latest entry; 0 before any.
    last: u64,
    /// The latest entries, oldest first, at most [`ECM_LOG_LEN`].
    recent: VecDeque<(u64, String)>,
}

/// Entries kept: far more than the commits that can happen while one message is decided.
const ECM_LOG_LEN: usize = 4096;

impl EcmLog {
    /// The current position, taken before fetching facts.
    pub fn position(&self) -> u64 {
        self.0.lock().map(|e| e.last).unwrap_or(u64::MAX)
    }

    /// Records committed open ECM referrals.
    pub fn record<'a>(&self, cins: impl IntoIterator<Item = &'a str>) {
        if let Ok(mut e) = self.0.lock() {
            for cin in cins {
                e.last += 1;
                let n = e.last;
                e.recent.push_back((n, cin.to_string()));
                if e.recent.len() > ECM_LOG_LEN {
                    e.recent.pop_front();
                }
            }
        }
    }

    /// Whether a commit after `position` may have given one of `cins` an open ECM referral:
    /// true when the log no longer reaches back that far (or cannot be read).
    pub fn changed_since(&self, position: u64, cins: &[String]) -> bool {
        let Ok(e) = self.0.lock() else { return true };
        if e.last == position {
            return false;
        }
        match e.recent.front() {
            Some((first, _)) if *first <= position.saturating_add(1) => e
                .recent
                .iter()
                .filter(|(n, _)| *n > position)
                .any(|(_, cin)| cins.iter().any(|c| c == cin)),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ecm_log_answers_only_for_commits_after_a_position() {
        let log = EcmLog::default();
        let cins = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let p0 = log.position();
        assert!(!log.changed_since(p0, &cins(&["91000001A"])));
        log.record(["91000001A"]);
        let p1 = log.position();
        assert!(log.changed_since(p0, &cins(&["91000001A"])));
        assert!(!log.changed_since(p0, &cins(&["91000002B"])));
        assert!(!log.changed_since(p1, &cins(&["91000001A"])));
        // A position the log no longer reaches back to counts as changed.
        log.record((0..ECM_LOG_LEN + 1).map(|_| "91000003C"));
        assert!(log.changed_since(p1, &cins(&["91000002B"])));
    }
}
