//! PDF reading: AcroForm fields, else the text layer. (Being written: see issue #2.)
use super::{ExtractError, Limits, RawDoc};

/// Reads a PDF's form fields, or its text layer when it has none.
pub fn extract_pdf(_bytes: &[u8], _limits: &Limits) -> Result<RawDoc, ExtractError> {
    Err(ExtractError::Unreadable("PDF reader not built yet".into()))
}
