//! Spreadsheet and CSV reading. (Being written: see issue #2.)
use super::{DocKind, ExtractError, Limits, RawDoc};

/// Reads an XLSX/XLSM/XLSB/XLS/ODS workbook.
pub fn extract_sheet(_bytes: &[u8], _kind: DocKind, _limits: &Limits) -> Result<RawDoc, ExtractError> {
    Err(ExtractError::Unreadable(
        "spreadsheet reader not built yet".into(),
    ))
}

/// Reads a CSV (or TSV) file.
pub fn extract_csv(_bytes: &[u8], _limits: &Limits) -> Result<RawDoc, ExtractError> {
    Err(ExtractError::Unreadable("CSV reader not built yet".into()))
}
