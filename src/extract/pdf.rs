//! PDF reading: AcroForm fields when the form has them, else label/value pairs from the
//! positioned text layer.
//!
//! Stage: attachment bytes → [`RawDoc`] (structure only; labels are mapped to canonical fields
//! later). Three paths:
//! - AcroForm with at least one field → [`DocKind::PdfForm`], one entry per terminal field
//!   ([`acroform`]); an unfilled form is still a form (its entries are blank).
//! - Otherwise the text layer → [`DocKind::PdfText`]: our own content-stream walker
//!   ([`content`], which follows Form XObjects where flattened values live) gives positioned
//!   runs, [`layout`] groups them into lines and pairs labels with values and tick marks.
//! - Either way `RawDoc::text` is the page text (lines; cells separated by tabs), so the next
//!   stage can recognise which plan's form it is.
//!
//! Invariants:
//! - Errors never carry document content. Not a PDF, damaged or truncated → `Unreadable`;
//!   a user password we do not have → `Encrypted` (lopdf tries the empty password itself);
//!   an XFA-only form → `XfaOnly`; no text at all (scanned) → `Unreadable`.
//! - Work is bounded: only the first `max_pages` pages are read; all decompression (content
//!   streams, XObjects, `/ToUnicode`, stream values) shares one `max_decompressed` budget;
//!   field and XObject nesting stop at `max_depth`; reference cycles terminate; operators
//!   executed are capped ([`MAX_OPERATORS`]).
//! - One document gives one record (a form is one referral).

mod acroform;
mod content;
mod fonts;
mod layout;
mod metrics;
mod placement;

use std::collections::HashMap;

use lopdf::{Document, LoadOptions, Stream};

use super::{Deadline, DocKind, ExtractError, Limits, RawDoc, RawEntry, RawRecord, find};

/// Most content operators interpreted per document: stops XObject fan-out bombs (a form drawing
/// another form ten times, nested thirty deep) that stay small in bytes.
pub const MAX_OPERATORS: u64 = 1_000_000;

/// Which bound a document hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LimitHit {
    Decompressed,
    Operators,
    /// The message's processing time ran out.
    Time(Deadline),
}

impl From<LimitHit> for ExtractError {
    fn from(hit: LimitHit) -> Self {
        ExtractError::Unreadable(
            match hit {
                LimitHit::Decompressed => "PDF content is over the decompressed-size limit",
                LimitHit::Operators => "PDF content is too complex (operator limit reached)",
                LimitHit::Time(d) => return d.error(),
            }
            .into(),
        )
    }
}

/// Operators (or objects) between two looks at the clock.
const CLOCK_EVERY: u32 = 1024;

/// The work one document may still cause: decompressed bytes, operators and time.
pub(crate) struct Budget {
    bytes_left: usize,
    ops_left: u64,
    deadline: Option<Deadline>,
    until_clock: u32,
}

impl Budget {
    fn new(limits: &Limits) -> Self {
        Budget {
            bytes_left: limits.max_decompressed,
            ops_left: MAX_OPERATORS,
            deadline: limits.deadline,
            until_clock: 0,
        }
    }

    /// Fails once the deadline has passed; looks at the clock every [`CLOCK_EVERY`] calls.
    pub(crate) fn check_time(&mut self) -> Result<(), LimitHit> {
        if self.until_clock == 0 {
            self.until_clock = CLOCK_EVERY;
            if let Some(d) = self.deadline
                && d.passed()
            {
                return Err(LimitHit::Time(d));
            }
        }
        self.until_clock -= 1;
        Ok(())
    }

    /// Bytes that may still be decompressed.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes_left
    }

    /// Records `n` decompressed bytes.
    pub(crate) fn charge(&mut self, n: usize) -> Result<(), LimitHit> {
        self.bytes_left = self.bytes_left.checked_sub(n).ok_or(LimitHit::Decompressed)?;
        Ok(())
    }

    /// Operators that may still be interpreted.
    pub(crate) fn ops_remaining(&self) -> u64 {
        self.ops_left
    }

    /// Records one interpreted operator.
    pub(crate) fn tick(&mut self) -> Result<(), LimitHit> {
        self.ops_left = self.ops_left.checked_sub(1).ok_or(LimitHit::Operators)?;
        self.check_time()
    }

    /// Decodes a stream within the remaining budget. A stream that fails to decode for any
    /// other reason yields nothing (its text is lost, the document still reads).
    pub(crate) fn decode(&mut self, stream: &Stream) -> Result<Vec<u8>, LimitHit> {
        match stream.get_plain_content_with_limit(self.bytes_left) {
            Ok(bytes) => {
                self.charge(bytes.len())?;
                Ok(bytes)
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                Err(LimitHit::Decompressed)
            }
            Err(_) => Ok(Vec::new()),
        }
    }
}

/// A complete PDF ends with `%%EOF` (possibly followed by a little padding). Without it the
/// file was cut off in transit and lopdf's repair could hand back partial data.
fn looks_complete(bytes: &[u8]) -> bool {
    let tail = bytes.get(bytes.len().saturating_sub(2048)..).unwrap_or(bytes);
    find(tail, b"%%EOF").is_some()
}

/// A stream written inside a dictionary — an appearance stream as the value of `/1` in a check
/// box's `/AP`, instead of a reference to one — is invalid PDF that some form tools write and
/// viewers tolerate; lopdf drops the whole object, and the field's value with it (a ticked box
/// read as no box). Each such stream (one whose `endstream` is not followed by `endobj`) is blanked
/// with spaces, so every offset in the cross-reference table stays right and the dictionary
/// around it loads. `None` when there is none.
fn blank_inline_streams(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut from = 0;
    while let Some(at) = bytes.get(from..).and_then(|rest| find(rest, b"endstream")) {
        let end = from + at + b"endstream".len();
        let rest = bytes.get(end..).unwrap_or_default();
        let next = rest.iter().position(|b| !b.is_ascii_whitespace());
        let inline = next.is_some_and(|p| !rest.get(p..).unwrap_or_default().starts_with(b"endobj"));
        // The `stream` keyword that opened it: the last one since the previous stream ended
        // that follows a dictionary's `>>` (looked for only when the stream is inline).
        let opened = || {
            bytes.get(from..from + at).and_then(|region| {
                region.windows(6).rposition(|w| w == b"stream").filter(|&i| {
                    region
                        .get(..i)
                        .map(|b| b.trim_ascii_end())
                        .is_some_and(|b| b.ends_with(b">>"))
                })
            })
        };
        if inline && let Some(start) = opened().map(|i| from + i) {
            let buf = out.get_or_insert_with(|| bytes.to_vec());
            if let Some(span) = buf.get_mut(start..end) {
                span.fill(b' ');
            }
        }
        from = end;
    }
    out
}

pub(crate) fn load(bytes: &[u8], limits: &Limits) -> Result<Document, ExtractError> {
    if find(bytes.get(..1024).unwrap_or(bytes), b"%PDF-").is_none() {
        return Err(ExtractError::Unreadable("not a PDF (no %PDF- header)".into()));
    }
    if !looks_complete(bytes) {
        return Err(ExtractError::Unreadable(
            "truncated PDF (no end-of-file marker)".into(),
        ));
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed),
        ..LoadOptions::default()
    };
    let repaired = blank_inline_streams(bytes);
    let bytes = repaired.as_deref().unwrap_or(bytes);
    let doc = Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => ExtractError::Encrypted,
        // lopdf's messages can quote object data, so they are not passed on.
        _ => ExtractError::Unreadable(
            "damaged PDF structure (header, cross-reference table or trailer)".into(),
        ),
    })?;
    // Still encrypted after loading: the empty user password did not open it.
    if doc.trailer.has(b"Encrypt") {
        return Err(ExtractError::Encrypted);
    }
    Ok(doc)
}

pub(crate) use content::Run;

/// Pairs labels and values on pages of positioned runs (one `Vec` per page) the way a text
/// layer is read, and gives the page text too: OCR'd pages ([`super::ocr`]) come through here so
/// the same pairing, profiles and synonyms apply to them.
pub(crate) fn pair_runs(pages: Vec<Vec<Run>>) -> (Vec<RawEntry>, String) {
    let page_lines: Vec<_> = pages.into_iter().map(layout::lines).collect();
    let mut entries = Vec::new();
    layout::pair(&page_lines, &mut entries);
    (entries, layout::text(&page_lines))
}

/// What a PDF turned out to be.
pub(crate) enum PdfRead {
    /// Form fields or a text layer, read.
    Read(RawDoc),
    /// No form fields and (almost) no text, but page images: a scan, for OCR.
    Scanned(Box<Document>),
}

/// Reads a PDF's form fields, or its text layer when it has none.
pub fn extract_pdf(bytes: &[u8], limits: &Limits) -> Result<RawDoc, ExtractError> {
    match read_pdf(bytes, limits)? {
        PdfRead::Read(doc) => Ok(doc),
        PdfRead::Scanned(_) => Err(ExtractError::Unsupported(
            "scanned PDF (page images, no text); OCR is off".into(),
        )),
    }
}

/// Least letters and digits a text layer needs to count as one: a scanner's footer ("Page 1")
/// over an image-only page does not make it a text PDF.
const MIN_TEXT_CHARS: usize = 16;

/// Reads a PDF's form fields or text layer, or hands back a scan for OCR.
pub(crate) fn read_pdf(bytes: &[u8], limits: &Limits) -> Result<PdfRead, ExtractError> {
    let doc = load(bytes, limits)?;
    // Loading parses every object inside lopdf, where no clock is looked at.
    limits.check_time()?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::Unreadable("PDF has no pages".into()));
    }
    let mut budget = Budget::new(limits);
    let mut page_lines = Vec::new();
    // Page and widget-annotation ids → page index, to place form fields on their page.
    let mut page_of: HashMap<lopdf::ObjectId, usize> = HashMap::new();
    for (i, page_id) in pages.values().take(limits.max_pages).enumerate() {
        page_of.insert(*page_id, i);
        let annots = doc
            .get_dictionary(*page_id)
            .ok()
            .and_then(|d| d.get(b"Annots").ok())
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_array().ok());
        for a in annots.into_iter().flatten() {
            if let Ok(id) = a.as_reference() {
                page_of.insert(id, i);
            }
        }
    }
    {
        let mut walker = content::Walker::new(&doc, &mut budget, limits.max_depth);
        // A fillable form's boxes are its widgets; squares drawn on a flattened page are its boxes.
        walker.drawn_ticks = !acroform::has_fields(&doc);
        for page_id in pages.values().take(limits.max_pages) {
            limits.check_time()?;
            walker.walk_page(*page_id)?;
            page_lines.push(layout::lines(std::mem::take(&mut walker.runs)));
        }
    }
    let text = layout::text(&page_lines);

    let mut fields = acroform::read_fields(&doc, limits.max_depth, &mut budget)?;
    if !fields.is_empty() {
        placement::label_fields(&mut fields, &page_lines, &page_of);
        let entries = fields.into_iter().map(|f| f.entry).collect();
        return Ok(PdfRead::Read(RawDoc {
            kind: DocKind::PdfForm,
            records: vec![RawRecord { entries }],
            text,
        }));
    }
    if text.trim().is_empty() && acroform::has_xfa(&doc) {
        return Err(ExtractError::XfaOnly);
    }
    if text.chars().filter(|c| c.is_alphanumeric()).count() < MIN_TEXT_CHARS
        && super::ocr::pdf_has_page_images(&doc, limits.max_pages)
    {
        return Ok(PdfRead::Scanned(Box::new(doc)));
    }
    if text.trim().is_empty() {
        return Err(ExtractError::Unreadable("no text layer (scanned image?)".into()));
    }
    let mut entries = Vec::new();
    layout::pair(&page_lines, &mut entries);
    Ok(PdfRead::Read(RawDoc {
        kind: DocKind::PdfText,
        records: vec![RawRecord { entries }],
        text,
    }))
}

#[cfg(test)]
mod tests;
