//! Spreadsheet and CSV reading: workbook bytes in, label/value or header/row records out.
//!
//! Stage: after [`super::sniff`] has named the type, before profile mapping. Each visible sheet
//! is read into a sparse [`grid::Grid`] of non-empty cells, then [`layout`] decides from
//! structure alone whether the sheet is a **table** (a header row, one record per data row:
//! county batches) or a **form** (labels with values beside or below them). Form sheets of one
//! workbook make one record together (a form may span sheets); each table row is a record.
//!
//! Invariants:
//! - The concrete calamine reader is chosen from the sniffed kind, so a password-protected
//!   workbook surfaces as [`ExtractError::Encrypted`] (calamine's auto-detecting opener turns
//!   that into a generic format error).
//! - Bounded work: a ZIP package declaring more than `max_decompressed` bytes is refused before
//!   calamine opens it, and reading stops with an error past `max_cells` cells. xlsx and xlsb
//!   are streamed cell by cell into the sparse grid (calamine's dense `Range` would allocate
//!   rows × columns for two far-apart cells); for xls and ods,
//!   whose readers build that dense array when opened, [`xlsguard`] and [`odsguard`] measure
//!   the cells' bounding box first. A panic inside calamine becomes an error.
//! - Dates are converted with the workbook's own 1900/1904 date system (calamine keeps the
//!   flag on every date cell).
//! - Error texts never quote cell content.
//! - Hidden sheets (typically drop-down lists) and non-worksheets (charts, macros) are skipped.

mod delimited;
mod grid;
mod layout;
mod odsguard;
mod xlsguard;
mod zipcheck;

#[cfg(test)]
mod tests;

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{
    Data, Ods, OdsError, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsb, XlsbError, Xlsx, XlsxError,
};

use self::delimited::too_many_cells;
use self::grid::{Grid, from_calamine};
use self::layout::{SheetLayout, read_sheet, read_sheet_keyed, sheet_key};
use super::{DocKind, ExtractError, Limits, RawDoc, RawRecord};

/// Reads an XLSX/XLSM/XLSB/XLS/ODS workbook (the kind as sniffed from the bytes).
///
/// Errors: [`ExtractError::Encrypted`] for password-protected workbooks,
/// [`ExtractError::Unreadable`] for corrupt files and files beyond `limits`,
/// [`ExtractError::Unsupported`] when `kind` is not a workbook kind.
pub fn extract_sheet(bytes: &[u8], kind: DocKind, limits: &Limits) -> Result<RawDoc, ExtractError> {
    if matches!(kind, DocKind::Xlsx | DocKind::Xlsb | DocKind::Ods) && bytes.starts_with(b"PK") {
        // An encrypted OOXML file is an OLE container, not a ZIP: calamine reports it below.
        zipcheck::check_declared_size(bytes, limits.max_decompressed)?;
        if kind == DocKind::Xlsx {
            zipcheck::check_shared_strings(bytes, limits.max_cells)?;
        }
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // A compound file (xls, or an encrypted OOXML package): every calamine reader walks its
        // sector chains first, and cannot do so safely when they are damaged.
        xlsguard::check_chains(bytes)?;
    }
    let grids = catch_unwind(AssertUnwindSafe(|| read_workbook(bytes, kind, limits))).map_err(|_| {
        ExtractError::Unreadable(format!("{} reader failed on malformed input", kind.code()))
    })??;
    // xls and ods are parsed whole inside calamine, where no clock is looked at.
    limits.check_time()?;
    Ok(assemble(kind, &grids))
}

/// Reads a CSV (or TSV) file: comma, semicolon or tab separated; UTF-8 (BOM or not),
/// UTF-16 with a BOM, or Windows-1252.
pub fn extract_csv(bytes: &[u8], limits: &Limits) -> Result<RawDoc, ExtractError> {
    let grid = delimited::read_csv(bytes, limits)?;
    limits.check_time()?;
    Ok(assemble(DocKind::Csv, &[grid]))
}

/// A table typed into an email body (cells already split): one record per row when it is laid
/// out as a table with a header row — members one to a row — and `None` when it reads as a
/// form of labels and values, which the body's own reader takes.
pub(crate) fn table_rows(rows: &[Vec<String>]) -> Option<Vec<RawRecord>> {
    let mut grid = Grid::default();
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            if let (Ok(r), Ok(c), Some(v)) = (u32::try_from(r), u32::try_from(c), grid::text(cell)) {
                grid.insert((r, c), v);
            }
        }
    }
    match read_sheet(&grid) {
        SheetLayout::Table(records) if !records.is_empty() => Some(records),
        _ => None,
    }
}

/// Lays out every sheet and gathers the records and the visible text.
fn assemble(kind: DocKind, grids: &[Grid]) -> RawDoc {
    let mut records: Vec<RawRecord> = Vec::new();
    let mut form: Option<(usize, RawRecord)> = None;
    let mut text = String::new();
    // A key of codes on one sheet (the instructions) holds for the tables on the others.
    let book: layout::Key = grids.iter().flat_map(sheet_key).collect();
    for grid in grids.iter().filter(|g| !g.is_empty()) {
        for t in grid.texts() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(t);
        }
        match read_sheet_keyed(grid, &book) {
            SheetLayout::Table(rows) => records.extend(rows),
            SheetLayout::Form(entries) if entries.is_empty() => {}
            SheetLayout::Form(entries) => match &mut form {
                Some((_, record)) => record.entries.extend(entries),
                None => form = Some((records.len(), RawRecord { entries })),
            },
        }
    }
    if let Some((at, record)) = form {
        records.insert(at.min(records.len()), record);
    }
    RawDoc { kind, records, text }
}

/// Cells between two looks at the clock.
const CLOCK_EVERY: usize = 4096;

/// Counts cells read across the whole workbook, and watches the message's deadline.
struct Budget {
    left: usize,
    limits: Limits,
}

impl Budget {
    fn take(&mut self, n: usize) -> Result<(), ExtractError> {
        let before = self.left;
        self.left = self
            .left
            .checked_sub(n)
            .ok_or_else(|| too_many_cells(&self.limits))?;
        if before / CLOCK_EVERY != self.left / CLOCK_EVERY {
            self.limits.check_time()?;
        }
        Ok(())
    }
}

fn read_workbook(bytes: &[u8], kind: DocKind, limits: &Limits) -> Result<Vec<Grid>, ExtractError> {
    let mut budget = Budget {
        left: limits.max_cells,
        limits: *limits,
    };
    limits.check_time()?;
    let cursor = Cursor::new(bytes);
    match kind {
        DocKind::Xlsx => read_xlsx(Xlsx::new(cursor).map_err(xlsx_err)?, &mut budget),
        DocKind::Xlsb => read_xlsb(Xlsb::new(cursor).map_err(xlsb_err)?, &mut budget),
        DocKind::Xls => {
            xlsguard::check_xls_extent(bytes, limits.max_decompressed)?;
            let mut wb = Xls::new(cursor).map_err(xls_err)?;
            read_ranged(&mut wb, &mut budget, xls_err, |wb, name| {
                wb.merge_cells_by_sheet_name(name).unwrap_or_default()
            })
        }
        DocKind::Ods => {
            // Cells written without a value type, which calamine leaves empty, read in the
            // same pass as the guard's.
            let untyped = odsguard::check_and_read_untyped(bytes, limits.max_decompressed)?;
            let mut wb = Ods::new(cursor).map_err(ods_err)?;
            let names = sheet_names(wb.sheets_metadata());
            // ODS has no merged-region API in calamine; forms read without it.
            let mut grids = read_ranged(&mut wb, &mut budget, ods_err, |_, _| Vec::new())?;
            for (name, grid) in names.iter().zip(grids.iter_mut()) {
                for (at, text) in untyped.iter().filter(|(n, _)| n == name).flat_map(|(_, c)| c) {
                    budget.take(1)?;
                    if grid.get(*at).is_none()
                        && let Some(v) = grid::text(text)
                    {
                        grid.insert(*at, v);
                    }
                }
            }
            Ok(grids)
        }
        other => Err(ExtractError::Unsupported(format!(
            "{} is not a workbook",
            other.code()
        ))),
    }
}

fn read_xlsx(mut wb: Xlsx<Cursor<&[u8]>>, budget: &mut Budget) -> Result<Vec<Grid>, ExtractError> {
    let names: Vec<String> = sheet_names(wb.sheets_metadata());
    let mut grids = Vec::new();
    for name in names {
        let mut grid = Grid::default();
        for m in wb.merge_cells_by_sheet_name(&name).map_err(xlsx_err)? {
            grid.add_merge(m.start, m.end);
        }
        let mut cells = wb.worksheet_cells_reader(&name).map_err(xlsx_err)?;
        while let Some(cell) = cells.next_cell().map_err(xlsx_err)? {
            budget.take(1)?;
            if let Some(v) = from_calamine(&Data::from(cell.get_value().clone())) {
                grid.insert(cell.get_position(), v);
            }
        }
        grids.push(grid);
    }
    Ok(grids)
}

fn read_xlsb(mut wb: Xlsb<Cursor<&[u8]>>, budget: &mut Budget) -> Result<Vec<Grid>, ExtractError> {
    let names: Vec<String> = sheet_names(wb.sheets_metadata());
    let mut grids = Vec::new();
    for name in names {
        // calamine has no merged-region API for xlsb; forms read without it.
        let mut grid = Grid::default();
        let mut cells = wb.worksheet_cells_reader(&name).map_err(xlsb_err)?;
        while let Some(cell) = cells.next_cell().map_err(xlsb_err)? {
            budget.take(1)?;
            if let Some(v) = from_calamine(&Data::from(cell.get_value().clone())) {
                grid.insert(cell.get_position(), v);
            }
        }
        grids.push(grid);
    }
    Ok(grids)
}

/// Readers that hand out whole `Range`s (xls and ods parse every sheet when opened, so the
/// cap here bounds what is kept, not what calamine allocated).
fn read_ranged<RS, R>(
    wb: &mut R,
    budget: &mut Budget,
    map_err: fn(R::Error) -> ExtractError,
    merges: impl Fn(&R, &str) -> Vec<calamine::Dimensions>,
) -> Result<Vec<Grid>, ExtractError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
{
    let names = sheet_names(wb.sheets_metadata());
    let mut grids = Vec::new();
    for name in names {
        let range = wb.worksheet_range(&name).map_err(map_err)?;
        let mut grid = Grid::default();
        for m in merges(wb, &name) {
            grid.add_merge(m.start, m.end);
        }
        // `used_cells` positions are relative to the range start; the grid keeps absolute ones.
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            budget.take(1)?;
            let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) else {
                continue;
            };
            if let Some(v) = from_calamine(v) {
                grid.insert((r0.saturating_add(r), c0.saturating_add(c)), v);
            }
        }
        grids.push(grid);
    }
    Ok(grids)
}

/// The sheets worth reading: visible worksheets, in workbook order.
fn sheet_names(meta: &[calamine::Sheet]) -> Vec<String> {
    meta.iter()
        .filter(|s| s.visible == SheetVisible::Visible && s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect()
}

// calamine's error texts can quote sheet names or XML fragments; keep only the kind of failure.
fn xlsx_err(e: XlsxError) -> ExtractError {
    match e {
        XlsxError::Password => ExtractError::Encrypted,
        _ => ExtractError::Unreadable("corrupt or unsupported xlsx workbook".into()),
    }
}

fn xlsb_err(e: XlsbError) -> ExtractError {
    match e {
        XlsbError::Password => ExtractError::Encrypted,
        _ => ExtractError::Unreadable("corrupt or unsupported xlsb workbook".into()),
    }
}

fn xls_err(e: XlsError) -> ExtractError {
    match e {
        XlsError::Password => ExtractError::Encrypted,
        _ => ExtractError::Unreadable("corrupt or unsupported xls workbook".into()),
    }
}

fn ods_err(e: OdsError) -> ExtractError {
    match e {
        OdsError::Password => ExtractError::Encrypted,
        _ => ExtractError::Unreadable("corrupt or unsupported ods workbook".into()),
    }
}
