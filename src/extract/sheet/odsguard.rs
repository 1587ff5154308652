//! Dense-range guard for ODS workbooks, run before calamine opens them.
//!
//! ODS compresses runs of cells and rows into one element with `table:number-rows-repeated` /
//! `table:number-columns-repeated`. calamine expands those runs and builds each sheet as a dense
//! array over its cells' bounding box (capped only at 100 million cells): a 1.5 KB file with
//! a cell at A1 and one a million rows down took 5.7 GB and 19 s. So we inflate `content.xml`
//! (within `max_decompressed`), walk its table elements with a minimal tag scanner, and refuse
//! the file when the boxes would exceed `max_decompressed` bytes of cells.
//!
//! The estimate is deliberately conservative (boxes start at A1; any cell element with content
//! or a value type counts as non-empty). Anything the scanner cannot read is left to calamine.

use super::zipcheck;
use crate::extract::ExtractError;

/// One start or end tag: local name, attribute text, whether it closes an element, and the
/// character data after it (up to the next tag).
struct Tag<'a> {
    name: &'a str,
    attrs: &'a str,
    end: bool,
    self_closing: bool,
    text: &'a str,
}

fn tags(xml: &str) -> impl Iterator<Item = Tag<'_>> {
    xml.split('<').skip(1).filter_map(|chunk| {
        let (body, text) = chunk.split_once('>')?;
        let (end, body) = match body.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        let self_closing = body.ends_with('/');
        let body = body.trim_end_matches('/');
        let (qname, attrs) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        let name = qname.rsplit(':').next().unwrap_or(qname);
        Some(Tag {
            name,
            attrs,
            end,
            self_closing,
            text,
        })
    })
}

/// The value of a `…:local="n"` repeat attribute, 1 when absent.
fn repeat(attrs: &str, local: &str) -> u64 {
    let needle = format!("{local}=\"");
    attrs
        .find(&needle)
        .and_then(|i| attrs.get(i + needle.len()..))
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

/// Scanner state: where we are in the current table and the extent of its non-empty cells.
#[derive(Default)]
struct Scan {
    total: u64,
    row: u64,
    col: u64,
    row_repeat: u64,
    max_row: Option<u64>,
    max_col: u64,
    /// Last non-empty column of the current row.
    row_max_col: Option<u64>,
    /// First column and repeat count of the cell element currently open.
    in_cell: Option<(u64, u64)>,
}

impl Scan {
    fn mark(&mut self, last_col: u64) {
        self.row_max_col = Some(self.row_max_col.unwrap_or(0).max(last_col));
    }

    fn end_row(&mut self) {
        if let Some(c) = self.row_max_col.take() {
            self.max_row = Some(self.row.saturating_add(self.row_repeat.saturating_sub(1)));
            self.max_col = self.max_col.max(c);
        }
        self.row = self.row.saturating_add(self.row_repeat);
    }

    fn end_table(&mut self) {
        if let Some(r) = self.max_row.take() {
            self.total = self
                .total
                .saturating_add(r.saturating_add(1).saturating_mul(self.max_col + 1));
        }
        (self.row, self.col, self.max_col, self.row_max_col) = (0, 0, 0, None);
    }
}

/// Cells (not bytes) calamine would hold densely for the sheets in `content.xml`.
fn dense_cells(xml: &str) -> u64 {
    let mut s = Scan::default();
    for tag in tags(xml) {
        match (tag.name, tag.end) {
            ("table", false) => s.end_table(),
            ("table", true) => s.end_table(),
            ("table-row", false) => {
                (s.col, s.row_max_col) = (0, None);
                s.row_repeat = repeat(tag.attrs, "number-rows-repeated");
                if tag.self_closing {
                    s.end_row();
                }
            }
            ("table-row", true) => s.end_row(),
            ("table-cell" | "covered-table-cell", false) => {
                let n = repeat(tag.attrs, "number-columns-repeated");
                let last = s.col.saturating_add(n - 1);
                if tag.attrs.contains("value-type=") {
                    s.mark(last);
                }
                if !tag.self_closing {
                    s.in_cell = Some((s.col, n));
                }
                s.col = s.col.saturating_add(n);
            }
            ("table-cell" | "covered-table-cell", true) => s.in_cell = None,
            // Content inside a cell (a paragraph, an annotation) makes it non-empty.
            (_, false) => {
                if let Some((first, n)) = s.in_cell {
                    s.mark(first.saturating_add(n - 1));
                }
            }
            _ => {}
        }
    }
    s.end_table();
    s.total
}

/// `content.xml` inflated (within `max`), or the workbook refused: what we cannot measure,
/// calamine must not expand — a content.xml this scanner cannot read (a damaged member, a name
/// that differs between the directory and the local header) is refused rather than left to a
/// reader that sizes its arrays from the file.
fn content(bytes: &[u8], max: usize) -> Result<String, ExtractError> {
    let Some(xml) = zipcheck::member(bytes, "content.xml", max) else {
        return Err(ExtractError::Unreadable(
            "ods content.xml cannot be read (damaged zip member)".into(),
        ));
    };
    Ok(String::from_utf8_lossy(&xml).into_owned())
}

/// Refuses sheets that would need more than `max` bytes of dense cells.
fn check_extent(xml: &str, max: usize) -> Result<(), ExtractError> {
    // Data cells plus calamine's intermediate cell list: about twice the dense array.
    let per_cell = 2 * std::mem::size_of::<calamine::Data>() as u64;
    if dense_cells(xml).saturating_mul(per_cell) > max as u64 {
        return Err(ExtractError::Unreadable(format!(
            "ods sheets span more than {max} bytes of cells (sparse-sheet bomb guard)"
        )));
    }
    Ok(())
}

/// Refuses an ODS workbook whose sheets would need more than `max` bytes of dense cells.
#[cfg(test)]
fn check_ods_extent(bytes: &[u8], max: usize) -> Result<(), ExtractError> {
    check_extent(&content(bytes, max)?, max)
}

/// Before calamine opens an ODS workbook, from one inflation of its `content.xml`: refuses it
/// when its sheets would need more than `max` bytes of dense cells, else gives the text of its
/// cells written without a value type ([`untyped_cells`]).
pub(crate) fn check_and_read_untyped(
    bytes: &[u8],
    max: usize,
) -> Result<Vec<(String, Vec<TextCell>)>, ExtractError> {
    let xml = content(bytes, max)?;
    check_extent(&xml, max)?;
    Ok(untyped_cells(&xml))
}

/// A cell's `(row, column)` and its text.
pub(crate) type TextCell = ((u32, u32), String);

/// The text of cells written without a value type (`<table:table-cell><text:p>Yaretzi</text:p>`,
/// as some generators write every cell), which calamine reads as empty though every spreadsheet
/// program shows it: per sheet in workbook order, `(row, column)` and the text. Runs repeated
/// over rows or columns are placed once, at their first cell.
fn untyped_cells(xml: &str) -> Vec<(String, Vec<TextCell>)> {
    let mut sheets: Vec<(String, Vec<TextCell>)> = Vec::new();
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    // The untyped cell being read: its place and text so far; whether a paragraph is open.
    let mut cell: Option<((u64, u64), String)> = None;
    let mut in_p = false;
    for Tag {
        name,
        attrs,
        end,
        self_closing,
        text,
    } in tags(xml)
    {
        match (name, end) {
            ("table", false) => {
                let sheet = attr(attrs, "name").map(unescape).unwrap_or_default();
                sheets.push((sheet, Vec::new()));
                (row, col) = (0, 0);
            }
            ("table-row", false) => {
                col = 0;
                row_repeat = repeat(attrs, "number-rows-repeated");
                if self_closing {
                    row = row.saturating_add(row_repeat);
                }
            }
            ("table-row", true) => row = row.saturating_add(row_repeat),
            ("table-cell" | "covered-table-cell", false) => {
                if !self_closing && !attrs.contains("value-type=") {
                    cell = Some(((row, col), String::new()));
                }
                col = col.saturating_add(repeat(attrs, "number-columns-repeated"));
            }
            ("table-cell" | "covered-table-cell", true) => {
                if let (Some(((r, c), t)), Some((_, cells))) = (cell.take(), sheets.last_mut())
                    && let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c))
                    && !t.trim().is_empty()
                {
                    cells.push(((r, c), t));
                }
            }
            ("p", false) if !self_closing => {
                if let Some((_, t)) = cell.as_mut()
                    && !t.is_empty()
                {
                    t.push('\n');
                }
                in_p = true;
            }
            ("p", true) => in_p = false,
            ("s", false) => {
                if let Some((_, t)) = cell.as_mut() {
                    let n = repeat(attrs, "c").min(64);
                    t.extend(std::iter::repeat_n(' ', n as usize));
                }
            }
            ("tab", false) => {
                if let Some((_, t)) = cell.as_mut() {
                    t.push('\t');
                }
            }
            ("line-break", false) => {
                if let Some((_, t)) = cell.as_mut() {
                    t.push('\n');
                }
            }
            _ => {}
        }
        if in_p && let Some((_, t)) = cell.as_mut() {
            t.push_str(&unescape(text));
        }
    }
    sheets
}

/// The value of a `…:local="v"` attribute.
fn attr<'a>(attrs: &'a str, local: &str) -> Option<&'a str> {
    let needle = format!(":{local}=\"");
    let at = attrs.find(&needle)? + needle.len();
    attrs.get(at..)?.split('"').next()
}

/// XML character and entity references in text.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        let Some((entity, tail)) = after.split_once(';').filter(|(e, _)| e.len() <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = tail;
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// [`untyped_cells`] of a workbook's bytes.
#[cfg(test)]
fn untyped_text(bytes: &[u8], max: usize) -> Vec<(String, Vec<TextCell>)> {
    content(bytes, max)
        .map(|xml| untyped_cells(&xml))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_rows_and_columns_make_the_box() {
        let xml = r#"<office:spreadsheet><table:table table:name="S">
            <table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="90"/></table:table-row>
            <table:table-row><table:table-cell table:number-columns-repeated="90"/><table:table-cell><text:p>b</text:p></table:table-cell></table:table-row>
            </table:table></office:spreadsheet>"#;
        assert_eq!(dense_cells(xml), 1_000_002 * 91);
        // Trailing empty repeats (LibreOffice writes these for every sheet) cost nothing.
        let small = r#"<table:table><table:table-row><table:table-cell/><table:table-cell office:value-type="float"/>
            <table:table-cell table:number-columns-repeated="16382"/></table:table-row>
            <table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
            </table:table>"#;
        assert_eq!(dense_cells(small), 2);
    }

    /// Issue #8 (blind68): cells written without a value type still hold their text.
    #[test]
    fn class68_untyped_cells_keep_their_text() {
        let xml = r#"<office:spreadsheet><table:table table:name="Request &amp; notes">
            <table:table-row><table:table-cell><text:p>Student first name</text:p></table:table-cell>
            <table:table-cell><text:p>Yaretzi</text:p></table:table-cell></table:table-row>
            <table:table-row/>
            <table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>typed</text:p></table:table-cell>
            <table:table-cell><text:p>O&apos;Example</text:p><text:p>two<text:s text:c="2"/>lines</text:p></table:table-cell></table:table-row>
            </table:table></office:spreadsheet>"#;
        let bytes = zipcheck::tests::stored_zip(&[("content.xml", xml.as_bytes())]);
        let got = untyped_text(&bytes, 1 << 20);
        assert_eq!(
            got,
            vec![(
                "Request & notes".to_string(),
                vec![
                    ((0, 0), "Student first name".to_string()),
                    ((0, 1), "Yaretzi".to_string()),
                    ((2, 3), "O'Example\ntwo  lines".to_string()),
                ]
            )]
        );
    }

    #[test]
    fn fixture_box_is_measured() {
        let bytes = std::fs::read("fixtures/sheet-unit/form.ods").unwrap_or_default();
        let xml = zipcheck::member(&bytes, "content.xml", 1 << 20).unwrap_or_default();
        // Referral: A1..D26; Page 2: A1..B2.
        assert_eq!(dense_cells(&String::from_utf8_lossy(&xml)), 26 * 4 + 2 * 2);
        assert_eq!(check_ods_extent(&bytes, 64 << 20), Ok(()));
        assert!(check_ods_extent(&bytes, 108 * 64 - 1).is_err());
    }
}
