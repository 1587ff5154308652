//! Bounds on the work one message or document may cause, and the error a document gets when it
//! cannot be read. A leaf module: MIME parsing, the readers and the configuration all use it.

use std::time::{Duration, Instant};

/// Why a document could not be read. Maps onto the `unreadable_attachment` /
/// `unsupported_attachment` reasons. Texts name the problem, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// Not a type we read (image, Word document, ...).
    #[error("unsupported attachment type: {0}")]
    Unsupported(String),
    /// Encrypted with a password we do not have.
    #[error("password-protected document")]
    Encrypted,
    /// A PDF whose data lives only in an XFA (LiveCycle) packet.
    #[error("XFA-only PDF form (no AcroForm fields or text to read)")]
    XfaOnly,
    /// Corrupt, truncated, or beyond the configured limits.
    #[error("unreadable document: {0}")]
    Unreadable(String),
}

/// Bounds on the work one document may cause. Defaults are generous for real forms and small
/// enough to stop bombs; issue #4 tunes them from config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest attachment read at all, in bytes.
    pub max_bytes: usize,
    /// Most pages of a PDF read.
    pub max_pages: usize,
    /// Most decompressed bytes of content streams, sheets or XML in one document.
    pub max_decompressed: usize,
    /// Deepest nesting of PDF form fields, XObjects or MIME parts followed.
    pub max_depth: usize,
    /// Most cells read from one spreadsheet.
    pub max_cells: usize,
    /// When the message's processing time runs out. Long loops (PDF operators and objects,
    /// sheet cells, MIME parts, attachments) check it and stop with [`Deadline::error`].
    /// `None` (the default, used by `extract`) means no time limit.
    pub deadline: Option<Deadline>,
}

impl Limits {
    /// `Err` once the deadline has passed.
    pub fn check_time(&self) -> Result<(), ExtractError> {
        match self.deadline {
            Some(d) if d.passed() => Err(d.error()),
            _ => Ok(()),
        }
    }
}

/// A point in time after which work on a message stops, with the limit it came from (for the
/// error text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + limit,
            limit,
        }
    }

    /// Whether the time is up.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The content-free error a document gets when the time ran out while reading it.
    pub fn error(&self) -> ExtractError {
        ExtractError::Unreadable(format!(
            "processing took longer than the {} s time limit",
            self.limit.as_secs_f64()
        ))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 25 * 1024 * 1024,
            max_pages: 50,
            max_decompressed: 64 * 1024 * 1024,
            max_depth: 32,
            max_cells: 200_000,
            deadline: None,
        }
    }
}

/// Position of `needle` in `hay`, if any.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
