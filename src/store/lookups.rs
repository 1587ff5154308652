//! The optional member roster.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context as _, Result};

/// Member CINs from the configured roster file (one per line, or the first CSV column).
#[derive(Debug, Clone, Default, PartialEq)]
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
