//! OCR: scanned and faxed referral forms (SPEC §4), read with Tesseract when it is installed.
//!
//! Stage: attachment bytes → [`RawDoc`] of kind [`DocKind::Scan`], like any other reader. What
//! counts as a scan: a PNG, JPEG or TIFF attachment (multi-page CCITT G3/G4 faxes included), or
//! a PDF with no form fields, (almost) no text and page-sized images ([`pdfscan`]). A PDF with
//! form fields or a text layer is never OCR'd.
//!
//! Path of a scan: decode each page in-process with bounded decoders ([`image`]: sizes checked
//! before any pixel buffer is allocated), prepare it (light flattened, scaled), hand it to the
//! engine in a confined child process ([`engine`]: one thread, memory/CPU/wall limits), turn the
//! word boxes into the positioned runs the PDF text-layer reader pairs ([`layout`]: tilt taken
//! out), and keep each value's confidence on its entry.
//!
//! Invariants:
//! - A value read with confidence under [`DOUBT_BELOW`] never becomes a field: profile mapping
//!   leaves it out and, when it was required, the referral goes to review with
//!   `uncertain_field:<key>`.
//! - Without the engine, or with `[ocr] enabled = false`, a scan is `unsupported_attachment`
//!   with a detail saying why OCR is unavailable; nothing else changes.
//! - Work is bounded per page (`page_secs`) and per message (`message_secs`, shared by every
//!   scan in the message), and by `max_pages`. Errors carry no page content.

pub mod engine;
pub mod image;
pub mod layout;
pub mod marks;
pub mod pdfscan;
pub mod reread;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ::image::{GrayImage, ImageFormat};

use super::{DocKind, ExtractError, FileType, Limits, RawDoc, RawRecord};
use crate::config::OcrConfig;
use engine::{EngineError, RunLimits, Word};

/// Values read with a confidence (Tesseract's, 0–100, of the least certain word) under this are
/// doubtful: never used as a field (SPEC §5 `uncertain_field`).
pub const DOUBT_BELOW: u8 = 60;

/// Tesseract page segmentation: "sparse text", which finds every word on a form (labels and
/// values scattered in boxes) rather than looking for paragraphs.
const PSM: u8 = 11;

/// Whether a sniffed file is an image OCR can read, and in which format.
fn image_format(ft: FileType) -> Option<ImageFormat> {
    match ft {
        FileType::Other("image/png") => Some(ImageFormat::Png),
        FileType::Other("image/jpeg") => Some(ImageFormat::Jpeg),
        FileType::Other("image/tiff") => Some(ImageFormat::Tiff),
        _ => None,
    }
}

pub(crate) fn pdf_has_page_images(doc: &lopdf::Document, max_pages: usize) -> bool {
    pdfscan::has_page_images(doc, max_pages)
}

/// Called once, when a message's first page goes to the engine: the daemon then reads that
/// message beside its queue instead of holding the messages behind it (`source`).
pub type ScanNotice = std::sync::Arc<dyn Fn() + Send + Sync>;

/// OCR for one message: the settings, whether the engine is usable, and the time the message's
/// scans have used so far.
pub struct Ocr<'a> {
    cfg: Option<&'a OcrConfig>,
    /// The most OCR time the caller can wait for, whatever `message_secs` says.
    cap: Option<Duration>,
    /// When this message's first page went to the engine.
    started: Option<Instant>,
    /// Told when the first page goes to the engine.
    notice: Option<ScanNotice>,
}

impl<'a> Ocr<'a> {
    /// OCR with these settings (the engine is probed on the first scan).
    pub fn new(cfg: &'a OcrConfig) -> Self {
        Ocr {
            cfg: Some(cfg),
            cap: None,
            started: None,
            notice: None,
        }
    }

    /// Caps the message's OCR time (the daemon's patience for a decision).
    pub fn within(mut self, cap: Duration) -> Self {
        self.cap = Some(cap);
        self
    }

    /// Tells `notice` when the message's first page goes to the engine.
    pub fn noticing(mut self, notice: Option<ScanNotice>) -> Self {
        self.notice = notice;
        self
    }

    /// No OCR at all (`extract_bytes`, fuzzing).
    pub fn off() -> Self {
        Ocr {
            cfg: None,
            cap: None,
            started: None,
            notice: None,
        }
    }

    fn usable(&self) -> Result<&'a OcrConfig, String> {
        let cfg = self.cfg.ok_or_else(|| "OCR is off".to_string())?;
        match cfg.unavailable() {
            Some(why) => Err(why),
            None => Ok(cfg),
        }
    }

    /// Reads a file of a sniffed type: scans by OCR, everything else as [`super::extract_bytes`].
    pub fn read(&mut self, bytes: &[u8], ft: FileType, limits: &Limits) -> Result<RawDoc, ExtractError> {
        if let Some(format) = image_format(ft) {
            super::check_size(bytes, limits)?;
            let cfg = self.usable().map_err(|why| unavailable(ft_name(ft), &why))?;
            let pages = match format {
                ImageFormat::Tiff => image::decode_tiff(bytes, cfg.max_pages.min(limits.max_pages))?,
                f => vec![image::decode_single(bytes, f)?],
            };
            return self.read_pages(cfg, pages);
        }
        if ft == FileType::Pdf {
            super::check_size(bytes, limits)?;
            limits.check_time()?;
            return match super::pdf::read_pdf(bytes, limits)? {
                super::pdf::PdfRead::Read(doc) => Ok(doc),
                super::pdf::PdfRead::Scanned(doc) => {
                    let cfg = self
                        .usable()
                        .map_err(|why| unavailable("scanned PDF (page images, no text)", &why))?;
                    let max = cfg.max_pages.min(limits.max_pages);
                    let images = pdfscan::page_images_of(&doc, limits, max)?;
                    let pages = images
                        .into_iter()
                        .map(image::decode_pdf_image)
                        .collect::<Result<Vec<_>, _>>()?;
                    self.read_pages(cfg, pages)
                }
            };
        }
        super::extract_bytes(bytes, ft, limits)
    }

    /// OCRs decoded pages (in parallel on up to `workers` engine processes) and pairs what they
    /// say.
    fn read_pages(&mut self, cfg: &OcrConfig, pages: Vec<GrayImage>) -> Result<RawDoc, ExtractError> {
        if let Some(notice) = self.notice.take() {
            notice();
        }
        let started = *self.started.get_or_insert_with(Instant::now);
        let budget = Duration::from_secs_f64(cfg.message_secs).min(self.cap.unwrap_or(Duration::MAX));
        let per_page = Duration::from_secs_f64(cfg.page_secs);
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<(usize, Result<PageWords, ExtractError>)>> = Mutex::new(Vec::new());
        let workers = cfg.workers.clamp(1, pages.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(page) = pages.get(i) else { break };
                        let left = budget.saturating_sub(started.elapsed());
                        let r = if left.is_zero() {
                            Err(out_of_time(cfg.message_secs))
                        } else {
                            read_page(cfg, page.clone(), per_page.min(left), cfg.message_secs)
                        };
                        if let Ok(mut v) = results.lock() {
                            v.push((i, r));
                        }
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_default();
        results.sort_by_key(|(i, _)| *i);
        let mut runs = Vec::new();
        let mut words = Vec::new();
        for (_, r) in results {
            let page = r?;
            runs.push(layout::runs(&page.words, page.height));
            words.extend(page.words);
        }
        let (mut entries, text) = super::pdf::pair_runs(runs);
        layout::mark_confidence(&mut entries, &words);
        Ok(RawDoc {
            kind: DocKind::Scan,
            records: vec![RawRecord { entries }],
            text,
        })
    }
}

/// One page's words and the height they were measured on.
struct PageWords {
    words: Vec<Word>,
    height: u32,
}

fn out_of_time(secs: f64) -> ExtractError {
    ExtractError::Unreadable(format!("OCR took longer than the {secs} s per-message limit"))
}

/// How sure a page's reading is: the confidence summed over words that look like words. An
/// upside-down page reads as few, doubtful fragments.
fn score(words: &[Word]) -> f32 {
    words
        .iter()
        .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        .map(|w| w.conf)
        .sum()
}

/// Below this mean confidence a page is tried the other way up as well.
const TRY_TURNED_BELOW: f32 = 55.0;

fn read_page(
    cfg: &OcrConfig,
    page: GrayImage,
    time: Duration,
    message_secs: f64,
) -> Result<PageWords, ExtractError> {
    let page = image::prepare(page);
    if image::blank(&page) {
        return Ok(PageWords {
            words: Vec::new(),
            height: page.height(),
        });
    }
    let started = Instant::now();
    let limits = |t: Duration| RunLimits {
        wall: t,
        memory: cfg.max_memory_mb.saturating_mul(1024 * 1024),
    };
    let engine_err = |e: EngineError| match e {
        EngineError::Timeout(_) if time < Duration::from_secs_f64(cfg.page_secs) => out_of_time(message_secs),
        e => ExtractError::Unreadable(e.to_string()),
    };
    let words =
        engine::recognise(&cfg.engine, &cfg.languages, &page, PSM, &limits(time)).map_err(engine_err)?;
    let mean = if words.is_empty() {
        0.0
    } else {
        words.iter().map(|w| w.conf).sum::<f32>() / words.len() as f32
    };
    if mean < TRY_TURNED_BELOW {
        let left = time.saturating_sub(started.elapsed());
        if !left.is_zero() {
            let turned = image::turn(&page);
            if let Ok(w2) = engine::recognise(&cfg.engine, &cfg.languages, &turned, PSM, &limits(left))
                && score(&w2) > score(&words) * 1.5
            {
                let w2 = read_doubtful_again(cfg, w2, &turned, time.saturating_sub(started.elapsed()));
                return Ok(with_marks(w2, &turned));
            }
        }
    }
    let words = read_doubtful_again(cfg, words, &page, time.saturating_sub(started.elapsed()));
    Ok(with_marks(words, &page))
}

/// The page's words without dot leaders ([`reread::without_leaders`]), its doubtful words read
/// a second time ([`reread`]) in the page's time left, and the specks still doubtful after it
/// dropped.
fn read_doubtful_again(cfg: &OcrConfig, words: Vec<Word>, page: &GrayImage, left: Duration) -> Vec<Word> {
    let words = reread::without_leaders(words);
    let words = if left.is_zero() {
        words
    } else {
        let limits = RunLimits {
            wall: left,
            memory: cfg.max_memory_mb.saturating_mul(1024 * 1024),
        };
        reread::reread(&cfg.engine, &cfg.languages, page, words, &limits)
    };
    reread::without_stray_specks(words)
}

/// A page's words, with the tick boxes seen in its picture read in place of what the engine
/// made of them ([`marks`]).
fn with_marks(words: Vec<Word>, page: &GrayImage) -> PageWords {
    let boxes = marks::find_boxes(page);
    PageWords {
        words: marks::with_circles(marks::with_boxes(words, &boxes), page),
        height: page.height(),
    }
}

fn ft_name(ft: FileType) -> &'static str {
    match ft {
        FileType::Other(w) => w,
        _ => "scan",
    }
}

/// The error a scan gets when OCR cannot be used: still `unsupported_attachment`, with why.
fn unavailable(what: &str, why: &str) -> ExtractError {
    ExtractError::Unsupported(format!("{what}: a scanned page, and OCR is unavailable ({why})"))
}

#[cfg(test)]
pub(crate) mod tests {
    /// A PNG that is only a header (signature, IHDR, an empty IDAT) declaring `w` × `h` pixels.
    pub(crate) fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(b"IHDR");
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let crc = crc32(&ihdr);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc.to_be_bytes());
        // A first, empty data chunk: the decoder reads the header up to it.
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IDAT");
        png.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
        png
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut c = flate2::Crc::new();
        c.update(data);
        c.sum()
    }
}
