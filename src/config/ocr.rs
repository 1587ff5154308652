//! `[ocr]`: reading scanned and faxed forms with Tesseract (optional; SPEC §4).

use std::path::PathBuf;

use serde::Deserialize;

use crate::diag::{Problems, SourceFile};

/// `[ocr]`: whether and how scanned pages (image-only PDFs, TIFF faxes, JPEG/PNG photos) are
/// read. Without the engine, or with `enabled = false`, scans go to review
/// (`unsupported_attachment`, "OCR unavailable").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OcrConfig {
    /// Read scans at all. On by default: it only acts when the engine is installed.
    pub enabled: bool,
    /// The Tesseract program: a path, or a name looked up on `PATH`.
    pub engine: PathBuf,
    /// Tesseract languages, `+`-joined (`eng`, `eng+spa`); each needs its data installed.
    pub languages: String,
    /// Most pages OCR'd per attachment (a fax of more pages goes to review).
    pub max_pages: usize,
    /// Seconds the engine may take on one page before it is killed.
    pub page_secs: f64,
    /// Seconds of OCR one message may use in all. Capped at `[limits] max_parse_seconds` + 5:
    /// the daemon stops waiting for a decision at twice `max_parse_seconds` plus 5 s.
    pub message_secs: f64,
    /// Engine processes run at once for one message (pages in parallel). Each is one thread.
    pub workers: usize,
    /// Address-space limit of each engine process, in MiB.
    pub max_memory_mb: u64,
}

impl Default for OcrConfig {
    fn default() -> Self {
        OcrConfig {
            enabled: true,
            engine: PathBuf::from("tesseract"),
            languages: "eng".into(),
            max_pages: 10,
            page_secs: 15.0,
            message_secs: 20.0,
            workers: 1,
            max_memory_mb: 1024,
        }
    }
}

impl OcrConfig {
    pub(super) fn validate(&self, src: &SourceFile, problems: &mut Problems) {
        let mut bad = |key: &str, msg: String| {
            let at = src.text.find(key);
            problems.push(src.at(at.map(|a| a..a), format!("[ocr] {key} {msg}")));
        };
        if !(self.page_secs > 0.0 && self.page_secs <= 600.0) {
            bad(
                "page_secs",
                format!("= {} must be more than 0 and at most 600", self.page_secs),
            );
        }
        if !(self.message_secs > 0.0 && self.message_secs <= 3600.0) {
            bad(
                "message_secs",
                format!("= {} must be more than 0 and at most 3600", self.message_secs),
            );
        }
        if !(1..=1000).contains(&self.max_pages) {
            bad("max_pages", format!("= {} must be 1 to 1000", self.max_pages));
        }
        if !(1..=64).contains(&self.workers) {
            bad("workers", format!("= {} must be 1 to 64", self.workers));
        }
        if self.max_memory_mb < 128 {
            bad(
                "max_memory_mb",
                format!("= {} must be at least 128", self.max_memory_mb),
            );
        }
        let langs_ok = !self.languages.is_empty()
            && self
                .languages
                .split('+')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !langs_ok {
            bad(
                "languages",
                format!(
                    "`{}` must be Tesseract language codes joined by `+`",
                    self.languages
                ),
            );
        }
    }

    /// Why OCR cannot be used, or `None` when it can (probes the engine once).
    pub fn unavailable(&self) -> Option<String> {
        if !self.enabled {
            return Some("OCR is disabled ([ocr] enabled = false)".into());
        }
        crate::extract::ocr::engine::probe(&self.engine, &self.languages).err()
    }
}
