//! Store-backed [`Lookups`] for screening, and the optional member roster.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, Result};

use super::Store;
use crate::screen::Lookups;

/// Member CINs from the configured roster file (one per line, or the first CSV column).
#[derive(Debug, Clone, Default)]
pub struct Roster(Option<HashSet<String>>);

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
        Ok(Roster(Some(set)))
    }

    /// `Some(listed)` when a roster is configured.
    pub fn contains(&self, cin: &str) -> Option<bool> {
        self.0.as_ref().map(|s| s.contains(cin))
    }
}

/// Screening lookups against the store. Its methods block on the async store, so call
/// [`crate::pipeline::decide`] from a blocking thread (`spawn_blocking`) when using it.
pub struct StoreLookups {
    pub store: Store,
    pub roster: Roster,
    pub handle: tokio::runtime::Handle,
    /// CINs whose open-ECM lookup answered "no" (see [`crate::ingest::commit`]).
    pub checked: std::sync::Mutex<Vec<String>>,
}

impl StoreLookups {
    /// The CINs looked up with a "no" answer.
    pub fn into_checked(self) -> Vec<String> {
        self.checked.into_inner().unwrap_or_default()
    }
}

impl Lookups for StoreLookups {
    fn open_ecm_referral(&self, cin: &str) -> bool {
        // A failed lookup is treated as "none open": the referral still reaches a person, who
        // decides; losing it would be worse.
        self.handle
            .block_on(self.store.open_ecm_referral(cin))
            .inspect(|&open| {
                if !open && let Ok(mut c) = self.checked.lock() {
                    c.push(cin.to_string());
                }
            })
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "open ECM lookup failed; screening without it");
                false
            })
    }

    fn on_roster(&self, cin: &str) -> Option<bool> {
        self.roster.contains(cin)
    }
}
