//! CSV/TSV files into a [`Grid`]: encoding, delimiter, then the `csv` crate.
//!
//! Counties export from Excel, so expect a UTF-8 BOM, Windows-1252 text (Excel's "CSV" on US
//! Windows), `;` as the separator in some locales, and "Unicode text" (UTF-16LE, tab-separated).
//! Every cell is text: CSV has no types.

use super::grid::{Grid, text};
use crate::extract::{ExtractError, Limits};

/// Windows-1252 code points for bytes 0x80..=0x9F; the rest of the byte range is Latin-1.
/// Unassigned bytes map to U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž', '\u{FFFD}',
    '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{FFFD}', 'ž', 'Ÿ',
];

/// Decodes the file to text: UTF-16 with a BOM, UTF-8 (BOM stripped), else Windows-1252.
pub(crate) fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH
                    .get(usize::from(b - 0x80))
                    .copied()
                    .unwrap_or('\u{FFFD}'),
                _ => char::from(b),
            })
            .collect(),
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|p| unit([p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Picks `,`, `;`, tab or `|` the way a reader would: the one that splits the first lines into
/// the same number of cells on most lines, then the one that splits them most. A delimiter that
/// only occurs inside a cell ("7;8" in a `|` file) splits few lines alike, so it loses to the
/// one every line has.
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    const LINES: usize = 10;
    let mut per_line: Vec<[usize; 4]> = vec![[0; 4]];
    let mut quoted = false;
    for ch in text.chars().take(64 * 1024) {
        match ch {
            '"' => quoted = !quoted,
            '\n' if !quoted => {
                if per_line.len() >= LINES {
                    break;
                }
                per_line.push([0; 4]);
            }
            _ if !quoted => {
                if let Some(i) = CANDIDATES.iter().position(|d| u32::from(*d) == u32::from(ch))
                    && let Some(n) = per_line.last_mut().and_then(|l| l.get_mut(i))
                {
                    *n += 1;
                }
            }
            _ => {}
        }
    }
    // Blank lines (a trailing newline, a gap) say nothing about the delimiter.
    per_line.retain(|l| l.iter().any(|n| *n > 0));
    let score = |i: usize| {
        let counts: Vec<usize> = per_line.iter().map(|l| l.get(i).copied().unwrap_or(0)).collect();
        // The most common non-zero count, and on how many lines it is the count.
        let mut best = (0usize, 0usize);
        for &c in counts.iter().filter(|c| **c > 0) {
            let lines = counts.iter().filter(|n| **n == c).count();
            if (lines, c) > best {
                best = (lines, c);
            }
        }
        best
    };
    // Ties go to the earlier candidate (the comma first), so `max_by_key` sees them reversed.
    (0..CANDIDATES.len())
        .rev()
        .max_by_key(|i| score(*i))
        .and_then(|i| CANDIDATES.get(i).copied())
        .unwrap_or(b',')
}

/// Reads the file into a grid, counting cells against `limits.max_cells`.
pub(crate) fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Grid, ExtractError> {
    let decoded = decode(bytes);
    let delimiter = sniff_delimiter(&decoded);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(decoded.as_bytes());
    let mut grid = Grid::default();
    let mut cells = 0usize;
    let mut record = csv::StringRecord::new();
    let mut row: u32 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            // The csv crate's error texts quote positions, not content; keep only the kind.
            Err(_) => return Err(ExtractError::Unreadable("malformed CSV".into())),
        }
        for (col, field) in record.iter().enumerate() {
            cells += 1;
            if cells > limits.max_cells {
                return Err(too_many_cells(limits));
            }
            if cells.is_multiple_of(4096) {
                limits.check_time()?;
            }
            if let (Some(value), Ok(col)) = (text(field), u32::try_from(col)) {
                grid.insert((row, col), value);
            }
        }
        row = row.checked_add(1).ok_or_else(|| too_many_cells(limits))?;
    }
    Ok(grid)
}

pub(crate) fn too_many_cells(limits: &Limits) -> ExtractError {
    ExtractError::Unreadable(format!("spreadsheet has more than {} cells", limits.max_cells))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::RawValue;

    #[test]
    fn decodes_bom_utf8_cp1252_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBFName,DOB"), "Name,DOB");
        assert_eq!(decode(b"Zo\xEB \x93Sample\x94 \x80"), "Zoë “Sample” €");
        assert_eq!(decode(b"\xFF\xFEa\x00\t\x00\xE9\x00"), "a\té");
        assert_eq!(decode("Renée".as_bytes()), "Renée");
    }

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3\n"), b';');
        assert_eq!(sniff_delimiter("\"a;b;c;d\",x,y\n"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("just one cell\n"), b',');
    }

    #[test]
    fn a_delimiter_inside_cells_loses_to_the_one_every_line_has() {
        let pipes = "Date|Last|POF\n12/09/2026|Doe|8\n12/09/2026|Roe|7;8\n";
        assert_eq!(sniff_delimiter(pipes), b'|');
        // Commas inside unquoted address cells, semicolons between every cell.
        let semis = "Name;Address;Phone\nA;1 Main St, Apt 2;555\nB;2 Oak Ave, Unit 3, Rear;555\n";
        assert_eq!(sniff_delimiter(semis), b';');
    }

    #[test]
    fn cell_cap_applies() {
        let limits = Limits {
            max_cells: 5,
            ..Limits::default()
        };
        assert!(read_csv(b"a,b,c\n1,2,3\n", &limits).is_err());
        let g = read_csv(b"a,b\n 1 ,,\n", &limits).unwrap_or_default();
        assert_eq!(g.get((1, 0)), Some(&RawValue::Text("1".into())));
        assert_eq!(g.get((1, 1)), None);
    }
}
