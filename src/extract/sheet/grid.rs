//! A sheet as a sparse grid of non-empty cells, plus the few cell shapes the layout rules care
//! about (labels, tick marks, `☒ caption` cells).
//!
//! Every reader (xlsx, xlsb, xls, ods, csv) fills a [`Grid`]; the layout rules then work on the
//! grid alone, so they are the same for every format and testable without files. Positions are
//! absolute `(row, column)`, 0-based. Only non-empty cells are stored, so a sheet whose two
//! cells sit a million rows apart costs two entries, not a million.

use std::collections::BTreeMap;

use calamine::{Data, DataType};

use crate::extract::RawValue;

/// A merged region, inclusive on both ends; the value sits in `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Merge {
    pub start: (u32, u32),
    pub end: (u32, u32),
}

/// The non-empty cells of one sheet and its merged regions.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Grid {
    cells: BTreeMap<(u32, u32), RawValue>,
    merges: Vec<Merge>,
}

/// One row's non-empty cells, left to right.
pub(crate) struct Row<'a> {
    pub index: u32,
    pub cells: Vec<(u32, &'a RawValue)>,
}

impl Grid {
    /// Stores a cell; blank text is not stored (it is an empty cell as far as layout goes).
    pub fn insert(&mut self, pos: (u32, u32), value: RawValue) {
        if !value.is_blank() {
            self.cells.insert(pos, value);
        }
    }

    /// Records a merged region. Single-cell "merges" carry no information and are dropped.
    pub fn add_merge(&mut self, start: (u32, u32), end: (u32, u32)) {
        if start != end && start.0 <= end.0 && start.1 <= end.1 {
            self.merges.push(Merge { start, end });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn get(&self, pos: (u32, u32)) -> Option<&RawValue> {
        self.cells.get(&pos)
    }

    /// How many non-empty cells row `row` holds.
    pub fn row_len(&self, row: u32) -> usize {
        self.cells.range((row, 0)..=(row, u32::MAX)).count()
    }

    /// Whether most cells of row `row` read like printed labels (a row of labels over a row of
    /// values).
    pub fn is_label_row(&self, row: u32) -> bool {
        let cells: Vec<&RawValue> = self
            .cells
            .range((row, 0)..=(row, u32::MAX))
            .map(|(_, v)| v)
            .collect();
        cells.len() > 1
            && cells
                .iter()
                .filter(|v| super::grid::as_text(v).is_some_and(crate::extract::looks_like_label))
                .count()
                * 2
                > cells.len()
    }

    /// The merged region whose top-left cell is `pos`, if any.
    pub fn merge_at(&self, pos: (u32, u32)) -> Option<Merge> {
        self.merges.iter().copied().find(|m| m.start == pos)
    }

    /// The rows that hold at least one cell, top to bottom.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows: Vec<Row<'_>> = Vec::new();
        for (&(r, c), v) in &self.cells {
            match rows.last_mut() {
                Some(row) if row.index == r => row.cells.push((c, v)),
                _ => rows.push(Row {
                    index: r,
                    cells: vec![(c, v)],
                }),
            }
        }
        rows
    }

    /// All text cells in reading order (for [`crate::extract::RawDoc::text`]).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.cells.values().filter_map(|v| match v {
            RawValue::Text(s) => Some(s.as_str()),
            _ => None,
        })
    }
}

/// Converts a calamine cell to a raw value; `None` for empty and error cells.
///
/// Date-formatted cells become [`RawValue::Date`] through `as_date()`, which applies the
/// workbook's 1900/1904 date system (calamine carries the flag inside each `ExcelDateTime`).
/// Durations are not dates: they stay numbers.
pub(crate) fn from_calamine(data: &Data) -> Option<RawValue> {
    match data {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) => text(s),
        Data::Int(i) => Some(RawValue::Number(*i as f64)),
        Data::Float(f) => Some(RawValue::Number(*f)),
        Data::Bool(b) => Some(RawValue::Checked(*b)),
        Data::DateTime(dt) if dt.is_duration() => Some(RawValue::Number(dt.as_f64())),
        Data::DateTime(dt) => match data.as_date() {
            Some(d) => Some(RawValue::Date(d)),
            // Out of chrono's range: keep the serial rather than invent a date.
            None => Some(RawValue::Number(dt.as_f64())),
        },
        Data::DateTimeIso(s) => match data.as_date() {
            Some(d) => Some(RawValue::Date(d)),
            None => text(s),
        },
        Data::DurationIso(s) => text(s),
    }
}

/// Trimmed text, `None` when blank.
pub(crate) fn text(s: &str) -> Option<RawValue> {
    let t = s.trim();
    (!t.is_empty()).then(|| RawValue::Text(t.to_string()))
}

/// The cell's text, if it is a text cell.
pub(crate) fn as_text(v: &RawValue) -> Option<&str> {
    match v {
        RawValue::Text(s) => Some(s.as_str()),
        _ => None,
    }
}

/// A text cell that reads as a label: it ends in a colon ("Member Name:").
pub(crate) fn is_colon_label(v: &RawValue) -> bool {
    as_text(v).is_some_and(|s| s.trim_end().ends_with(':'))
}

/// The entry name for a label cell: trimmed, without its trailing colon.
pub(crate) fn label_name(s: &str) -> String {
    s.trim().trim_end_matches([':', '：']).trim_end().to_string()
}

/// A cell holding a label and its answer together (`Member name: Jane Sample`,
/// `In ECM now?: No`): the label (without its colon) and the answer.
///
/// The colon must be followed by a space, so times (`10:30`) and addresses (`https://`) stay
/// whole, and the label part must be short and digit-free, so a sentence with a colon in it
/// ("Note: the member prefers...") at worst reads as a `Note` entry nobody maps.
pub(crate) fn inline_pair(v: &RawValue) -> Option<(String, String)> {
    let s = as_text(v)?.trim();
    if glyph_caption(v).is_some() {
        return None;
    }
    let (label, rest) = s.split_once(':')?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let (label, value) = (label.trim(), rest.trim());
    let words = label.split_whitespace().count();
    if value.is_empty()
        || words == 0
        || words > 6
        || label.chars().any(|c| c.is_ascii_digit())
        || !label.chars().any(char::is_alphabetic)
    {
        return None;
    }
    Some((label_name(label), value.to_string()))
}

/// Glyphs that mean "ticked" / "not ticked" when they fill a cell or prefix a caption.
const TICKED_GLYPHS: [&str; 5] = ["☒", "☑", "✓", "✔", "■"];
const UNTICKED_GLYPHS: [&str; 2] = ["☐", "□"];

/// If the cell is a tick mark on its own (`X`, `x`, `✓`, `☒`, `☐`, `TRUE`, a boolean), the value
/// to record for the caption beside it: glyphs and booleans become `Checked`, letters stay text.
pub(crate) fn tick_value(v: &RawValue) -> Option<RawValue> {
    match v {
        RawValue::Checked(b) => Some(RawValue::Checked(*b)),
        RawValue::Text(s) => {
            let t = s.trim();
            if TICKED_GLYPHS.contains(&t) {
                Some(RawValue::Checked(true))
            } else if UNTICKED_GLYPHS.contains(&t) {
                Some(RawValue::Checked(false))
            } else if matches!(t, "X" | "x" | "TRUE" | "True" | "true") {
                Some(RawValue::Text(t.to_string()))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A single cell holding a tick and its caption (`☒ Housing Deposits`, `[ ] Recuperative Care`):
/// the caption and whether it is ticked.
pub(crate) fn glyph_caption(v: &RawValue) -> Option<(String, bool)> {
    let s = as_text(v)?.trim();
    let prefixes = TICKED_GLYPHS
        .iter()
        .map(|g| (*g, true))
        .chain(UNTICKED_GLYPHS.iter().map(|g| (*g, false)))
        .chain([
            ("[x]", true),
            ("[X]", true),
            ("[✓]", true),
            ("[ ]", false),
            ("[]", false),
        ]);
    for (prefix, ticked) in prefixes {
        if let Some(rest) = s.strip_prefix(prefix) {
            let caption = rest.trim();
            if caption.chars().next().is_some_and(char::is_alphanumeric) {
                return Some((label_name(caption), ticked));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_marks_and_glyph_captions() {
        let t = |s: &str| RawValue::Text(s.to_string());
        assert_eq!(tick_value(&t("X")), Some(t("X")));
        assert_eq!(tick_value(&t(" ☒ ")), Some(RawValue::Checked(true)));
        assert_eq!(tick_value(&t("☐")), Some(RawValue::Checked(false)));
        assert_eq!(
            tick_value(&RawValue::Checked(false)),
            Some(RawValue::Checked(false))
        );
        assert_eq!(tick_value(&t("Xavier")), None);
        assert_eq!(tick_value(&RawValue::Number(1.0)), None);
        assert_eq!(
            glyph_caption(&t("☒ Housing Deposits")),
            Some(("Housing Deposits".into(), true))
        );
        assert_eq!(
            glyph_caption(&t("[ ] Recuperative Care")),
            Some(("Recuperative Care".into(), false))
        );
        assert_eq!(
            glyph_caption(&t("[x]Day Habilitation:")),
            Some(("Day Habilitation".into(), true))
        );
        assert_eq!(glyph_caption(&t("☒")), None);
        assert_eq!(glyph_caption(&t("Housing")), None);
    }

    #[test]
    fn label_and_value_in_one_cell() {
        let t = |s: &str| RawValue::Text(s.to_string());
        assert_eq!(
            inline_pair(&t("Member name: Jane Sample")),
            Some(("Member name".into(), "Jane Sample".into()))
        );
        assert_eq!(
            inline_pair(&t("In ECM now?: No")),
            Some(("In ECM now?".into(), "No".into()))
        );
        assert_eq!(inline_pair(&t("Phone: ")), None);
        assert_eq!(inline_pair(&t("Name:")), None);
        assert_eq!(inline_pair(&t("Visit at 10:30")), None);
        assert_eq!(inline_pair(&t("https://example.org")), None);
        assert_eq!(inline_pair(&t("[x] Housing: deposits")), None);
        assert_eq!(inline_pair(&RawValue::Number(3.0)), None);
    }

    #[test]
    fn labels_lose_their_colon_only() {
        assert_eq!(label_name("  Member Name: "), "Member Name");
        assert_eq!(label_name("Phone"), "Phone");
        assert!(is_colon_label(&RawValue::Text("CIN: ".into())));
        assert!(!is_colon_label(&RawValue::Text("CIN".into())));
    }

    #[test]
    fn rows_group_sparse_cells() {
        let mut g = Grid::default();
        g.insert((5, 2), RawValue::Text("b".into()));
        g.insert((5, 0), RawValue::Text("a".into()));
        g.insert((1_000_000, 16_000), RawValue::Number(1.0));
        g.insert((7, 0), RawValue::Text("   ".into()));
        let rows = g.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows.first()
                .map(|r| r.cells.iter().map(|c| c.0).collect::<Vec<_>>()),
            Some(vec![0, 2])
        );
        assert_eq!(g.texts().collect::<Vec<_>>(), vec!["a", "b"]);
    }
}
