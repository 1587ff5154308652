//! Reading a [`Grid`] as a table (one record per data row) or as a form (label/value pairs).
//!
//! The choice is made per sheet from structure alone:
//! - **Table**: among the first few non-empty rows there is a header row of at least three
//!   text cells (no `Label:` colons, no tick marks), every row above it is a short title row,
//!   and the rows below mostly fill two or more of its columns.
//! - **Form**: anything else. Labels take the next cell to their right (merged label regions and
//!   empty cells hold nothing, so the next non-empty cell is the one after them), or when nothing
//!   usable is to the right, the cell just below the label (below its merged region).
//!
//! - A cell holding `Label: value` is an entry by itself.
//! - In a column that mostly holds values (the answer column of a `label | answer` form), text
//!   that happens to contain a label word ("... Violence Intervention Program") is still a
//!   value, not the next label.
//!
//! Nothing here knows what a label *means*; names are kept as printed, minus a trailing colon.

use std::collections::HashSet;

use super::grid::{Grid, Row, as_text, glyph_caption, inline_pair, is_colon_label, label_name, tick_value};
use crate::extract::{Contact, contact_kind, is_yes_no, looks_like_label, names_a_party};
use crate::extract::{RawEntry, RawRecord, RawValue};

/// How far down the header row may sit (title rows above it).
const HEADER_SEARCH_ROWS: usize = 8;
/// A run of more empty rows than this ends a table: what follows is notes or totals.
const MAX_EMPTY_RUN: u32 = 10;

/// What one sheet turned out to be.
#[derive(Debug, PartialEq)]
pub(crate) enum SheetLayout {
    /// One record per data row.
    Table(Vec<RawRecord>),
    /// The entries of one form (merged with the other form sheets of the workbook).
    Form(Vec<RawEntry>),
}

/// Reads one sheet.
pub(crate) fn read_sheet(grid: &Grid) -> SheetLayout {
    read_sheet_keyed(grid, &Key::new())
}

/// What a code in a table stands for ("HL" → "homeless"), from a key printed in the workbook.
pub(crate) type Key = std::collections::HashMap<String, String>;

/// Reads one sheet, with the key of codes the workbook's other sheets print (an instructions
/// sheet's "POF codes: HL=homeless, HU=high utilizer"); the sheet's own key wins.
pub(crate) fn read_sheet_keyed(grid: &Grid, book: &Key) -> SheetLayout {
    let rows = grid.rows();
    match find_header(grid, &rows) {
        Some(h) => SheetLayout::Table(read_table(grid, &rows, h, book)),
        None => SheetLayout::Form(read_form(grid, &rows)),
    }
}

/// The key of codes one sheet prints (see [`legend`]).
pub(crate) fn sheet_key(grid: &Grid) -> Key {
    legend(&grid.rows())
}

fn is_header_row(row: &Row<'_>) -> bool {
    let texts = row.cells.iter().filter(|(_, v)| as_text(v).is_some()).count();
    texts >= 3
        && texts * 5 >= row.cells.len() * 4
        && row.cells.iter().all(|(_, v)| {
            !is_colon_label(v)
                && tick_value(v).is_none()
                && glyph_caption(v).is_none()
                && !as_text(v).is_some_and(is_number_text)
        })
}

/// A number or an identifier typed as text ("11223344", "94901", "(209) 555-0101",
/// "92345678L"): a value, never a column's heading. "Kaiser MRN | 11223344 | (no Medi-Cal card
/// on hand)" or "CIN | 92345678L | MRN" on a form is a row of the form.
fn is_number_text(t: &str) -> bool {
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    (letters == 0 && digits >= 3) || (digits >= 5 && digits > letters)
}

/// The data rows under the header at `rows[h]`: up to the first long run of empty rows.
fn data_rows<'r, 'a>(rows: &'r [Row<'a>], h: usize) -> Vec<&'r Row<'a>> {
    let mut out = Vec::new();
    let Some(mut last) = rows.get(h).map(|r| r.index) else {
        return out;
    };
    let width = rows.get(h).map_or(0, |r| r.cells.len());
    for (k, row) in rows.iter().enumerate().skip(h + 1) {
        if row.index.saturating_sub(last) > MAX_EMPTY_RUN + 1 {
            break;
        }
        // After a blank row, a row of one cell is a note or a key under the table ("POF KEY",
        // "H = Experiencing homelessness"), not a record; nor is a `label | value` row under a
        // wider table (the sender's block: "Prepared by | Pat Sample", "Phone | …").
        if row.index.saturating_sub(last) > 1
            && (row.cells.len() < 2 || block_under(rows.get(k..).unwrap_or_default(), width))
        {
            break;
        }
        // A CSV reader drops the blank line: the sender's block of pairs under a wide batch
        // ("Referred by;Pat Sample", "Phone;916-…") ends it all the same.
        if width >= 4 && row.cells.len() == 2 && block_under(rows.get(k..).unwrap_or_default(), width) {
            break;
        }
        // Nor is a lone `Label: value` line under a wide batch, blank line dropped ("Referido por /
        // Referred by: Paloma Example, …, 909-555-0184"): a note under the table, every row's.
        if width >= 4 && matches!(row.cells.as_slice(), [(_, v)] if inline_pair(v).is_some()) {
            break;
        }
        last = row.index;
        out.push(row);
    }
    out
}

/// `Date sent | 12/01/2026 | …`: a short row (up to four cells) whose first cell reads as a label
/// and whose second does not.
fn label_then_value<'a>(row: &Row<'a>) -> Option<(&'a str, &'a RawValue)> {
    match row.cells.as_slice() {
        [(lc, l), (vc, v), rest @ ..] if rest.len() <= 2 && *vc == lc + 1 => {
            let label = as_text(l).filter(|t| looks_like_label(t) && !is_colon_label(l))?;
            (!as_text(v).is_some_and(looks_like_label)).then_some((label, *v))
        }
        _ => None,
    }
}

/// Whether the rows from `rows[0]` to the next empty row are a `label | value` block under a
/// table at least twice as wide: two cells each, a short wordy label first ("Prepared by",
/// "Agency"), at least one reading as a label ("Phone").
fn block_under(rows: &[Row<'_>], width: usize) -> bool {
    let run: Vec<&Row<'_>> = rows
        .iter()
        .enumerate()
        .take_while(|(i, r)| rows.first().is_some_and(|f| r.index == f.index + *i as u32))
        .map(|(_, r)| r)
        .collect();
    let labelled = |r: &Row<'_>| match r.cells.as_slice() {
        [(_, l), (_, _)] => as_text(l)
            .is_some_and(|t| t.split_whitespace().count() <= 4 && !t.chars().any(|c| c.is_ascii_digit())),
        _ => false,
    };
    width >= 4
        && !run.is_empty()
        && run.iter().all(|r| labelled(r))
        && run.iter().any(|r| {
            r.cells
                .first()
                .is_some_and(|(_, l)| is_colon_label(l) || as_text(l).is_some_and(looks_like_label))
        })
}

/// The index in `rows` of the table header, if the sheet is a table.
fn find_header(grid: &Grid, rows: &[Row<'_>]) -> Option<usize> {
    for (i, row) in rows.iter().enumerate().take(HEADER_SEARCH_ROWS) {
        if row.cells.len() < 3 {
            continue; // a title row
        }
        // "Referring agency: | Probation | Phone: | 562-... | Date submitted: | 12/10/2026":
        // a sender block over the batch, not the header and not a reason to read a form.
        if label_pairs(row).is_some() {
            continue;
        }
        if !is_header_row(row) {
            // "Date sent | 12/01/2026 | <title>" over the header: a line about the batch.
            if label_then_value(row).is_some() && rows.iter().skip(i + 1).take(3).any(is_header_row) {
                continue;
            }
        }
        // "Submitted | 12/18/2026 | by | Pat Sample | Phone | 559-555-0195" right over the header:
        // the sender's line, colon-less pairs, not the header.
        // So is "Navigator | Pat Sample | Tel | 408-555-0176 | Email | …" a row or two above it.
        if colonless_pairs(row).is_some() && rows.iter().skip(i + 1).take(3).any(is_header_row) {
            continue;
        }
        if !is_header_row(row) {
            return None; // a wide row that is not a header: form rows
        }
        // "Last name | Bogusian | Name | Pat Sample" over "First name | Hyacinth | Organization
        // | …": two sections of a form side by side, label beside value, not a header.
        // The same with the pairs row above it (the form's last two-pair row over one-pair rows).
        if label_beside_value(row)
            && (rows.get(i + 1).is_some_and(label_beside_value)
                || i.checked_sub(1)
                    .and_then(|p| rows.get(p))
                    .is_some_and(label_beside_value))
        {
            return None;
        }
        // A row of group headings over the real header ("MEMBER INFORMATION | POPULATIONS OF
        // FOCUS | REFERRING STAFF" over "Last Name | First Name | ..."): the header is below.
        if group_row_over(grid, rows, i) {
            continue;
        }
        let cols: HashSet<u32> = row.cells.iter().map(|(c, _)| *c).collect();
        let data = data_rows(rows, i);
        if data.is_empty() {
            return None;
        }
        let filled = data
            .iter()
            .filter(|r| r.cells.iter().filter(|(c, _)| cols.contains(c)).count() >= 2)
            .count();
        // Data rows that are themselves rows of labels ("CIN | Phone | Street" under "Last Name |
        // First Name | DOB") mean a form printed as label rows over value rows, not a table.
        let labelled = data
            .iter()
            .filter(|r| {
                r.cells.iter().any(|(_, v)| is_colon_label(v))
                    || r.cells
                        .iter()
                        .filter(|(_, v)| as_text(v).is_some_and(looks_like_label))
                        .count()
                        * 2
                        > r.cells.len()
            })
            .count();
        // A table's data rows are values; a row of labels among the first few means a form.
        let label_row_early = data.iter().take(3).any(|r| {
            r.cells.len() > 1
                && r.cells
                    .iter()
                    .filter(|(_, v)| as_text(v).is_some_and(looks_like_label))
                    .count()
                    * 2
                    > r.cells.len()
        });
        // Rows that each start with a label ("Hours requested | 2", "Requested by | Pat") under
        // a wide row of a form ("Areas of need | Behavioral | Social"): a table's first column
        // holds values.
        let label_first = data
            .iter()
            .filter(|r| {
                // A sender's `Label | value` rows under a wide batch are not what is counted.
                r.cells.len() * 2 >= row.cells.len()
                    && r.cells
                        .first()
                        .and_then(|(_, v)| as_text(v))
                        .is_some_and(|t| looks_like_label(t) || t.trim_end().ends_with('?'))
            })
            .count();
        return (filled * 2 >= data.len()
            && labelled * 2 < data.len()
            && !label_row_early
            && label_first * 2 <= data.len())
        .then_some(i);
    }
    None
}

/// What is printed above a table and holds for every row: `Label | value` rows (a referrer block
/// over a batch), and `Label: value` lines in title cells ("Referring agency: ... | Date
/// submitted: ..."). In a title line, an unlabelled phone or email after a labelled piece is
/// that piece's ("Submitted by: Nadia Sample | 626-555-0190 | nsample@x.example").
fn above_table(rows: &[Row<'_>]) -> Vec<RawEntry> {
    let mut out = Vec::new();
    for row in rows {
        let pairs = label_pairs(row)
            .map(|p| {
                p.into_iter()
                    .map(|(l, v)| (std::borrow::Cow::Borrowed(l), v))
                    .collect()
            })
            .or_else(|| colonless_pairs(row));
        if let Some(pairs) = pairs {
            out.extend(pairs.into_iter().map(|(label, value)| {
                let name = label_name(&label);
                RawEntry {
                    section: sender_section(&name),
                    name,
                    alt: None,
                    value: value.clone(),
                    confidence: None,
                }
            }));
            continue;
        }
        if let Some((label, value)) = label_then_value(row).or_else(|| match row.cells.as_slice() {
            [(_, label), (_, value)] => as_text(label)
                .filter(|l| inline_pair(&RawValue::Text((*l).to_string())).is_none())
                .map(|l| (l, *value)),
            _ => None,
        }) {
            // "Phone | 661-555-0110" on a row of its own under "Referrer | … | Agency | …":
            // the sender's, as it is in a row of pairs.
            let name = label_name(label);
            out.push(RawEntry {
                section: sender_section(&name),
                name,
                alt: None,
                value: (*value).clone(),
                confidence: None,
            });
            continue;
        }
        for text in row.cells.iter().filter_map(|(_, v)| as_text(v)) {
            out.extend(submitted_by(text));
            // "All members below consented to referral.": a sentence about every row's consent.
            if inline_pair(&RawValue::Text(text.to_string())).is_none()
                && text.split_whitespace().count() >= 3
                && text.to_lowercase().contains("consent")
            {
                out.push(RawEntry {
                    name: "Consent".to_string(),
                    alt: None,
                    section: None,
                    value: RawValue::Text(text.trim().to_string()),
                    confidence: None,
                });
                continue;
            }
            let mut last_label: Option<String> = None;
            // Pieces: split at bars, lines, semicolons, tabs and wide gaps ("Phone: (661)
            // 555-0184    Email: ..."); a labelled person run together with their phone and
            // email ("Referring CHW: Paloma Ficticia  (909) 555-0179  p@x.example") is the
            // labelled person, then the contacts that follow them.
            for piece in text
                .split(['|', '\n', ';', '\t'])
                .flat_map(|p| p.split("   "))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .flat_map(person_then_contacts)
            {
                if let Some((name, value)) = inline_pair(&RawValue::Text(piece.clone())) {
                    last_label = Some(name.clone());
                    out.push(RawEntry {
                        section: sender_section(&name),
                        name,
                        alt: None,
                        value: RawValue::Text(value),
                        confidence: None,
                    });
                    continue;
                }
                let Some(owner) = &last_label else { continue };
                let name = match contact_kind(&piece) {
                    Some(Contact::Email) => "Email",
                    Some(Contact::Phone) => "Phone",
                    // "Referrer: Pat Sample | 760-555-0184 | Desert Sample Health Promoters":
                    // an organisation among the sender's pieces is theirs.
                    None if !piece.chars().any(|c| c.is_ascii_digit())
                        && crate::normalize::name::names_organisation(&piece)
                        && !about_the_sheet(&piece)
                        && let Some(section) = sender_section(owner) =>
                    {
                        out.push(RawEntry {
                            name: "Organization".to_string(),
                            alt: None,
                            section: Some(section),
                            value: RawValue::Text(piece),
                            confidence: None,
                        });
                        continue;
                    }
                    None => continue,
                };
                out.push(RawEntry {
                    name: name.to_string(),
                    alt: None,
                    section: sender_section(owner).or_else(|| Some(owner.clone())),
                    value: RawValue::Text(piece),
                    confidence: None,
                });
            }
        }
    }
    out
}

/// Words that make a piece of text about the sheet or the plan, not its sender ("Community Health
/// Worker referrals", "Kaiser Permanente ECM batch").
fn about_the_sheet(text: &str) -> bool {
    let l = text.to_lowercase();
    [
        "referral",
        "request",
        "batch",
        "roster",
        "ecm",
        "chw",
        "enhanced care",
        "community support",
        "community health worker",
        "kaiser",
        "permanente",
        "medi-cal",
        "health plan",
        "instructions",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// `Label: Name  phone  email` as `Label: Name`, `phone`, `email`; any other piece as it is.
fn person_then_contacts(piece: &str) -> Vec<String> {
    let split = inline_pair(&RawValue::Text(piece.to_string()))
        .and_then(|(name, value)| Some((name, crate::extract::name_then_contacts(&value)?)));
    match split {
        Some((name, (person, contacts))) => std::iter::once(format!("{name}: {person}"))
            .chain(contacts.into_iter().map(|(_, c)| c))
            .collect(),
        None => vec![piece.to_string()],
    }
}

/// A row of two or more `Label: | value` pairs side by side, each label a colon label and its
/// values right after it ("Phone / email: | 951-555-0177 | name@example.org" gives the label
/// twice); a label may be left blank.
fn label_pairs<'a>(row: &Row<'a>) -> Option<Vec<(&'a str, &'a RawValue)>> {
    let mut pairs = Vec::new();
    let mut label = None;
    for &(_, v) in &row.cells {
        if is_colon_label(v) {
            label = Some(as_text(v)?);
            continue;
        }
        if tick_value(v).is_some() {
            return None;
        }
        pairs.push((label?, v));
    }
    (pairs.len() >= 2).then_some(pairs)
}

/// Two or more headings on one row, set apart by empty columns ("MEMBER" in A, "REFERRER" in
/// D), each either in capitals or naming a party and merged across the columns it heads
/// ("Member" over A:B, "Referrer" over C:D; not "Last Name" over A:B beside its value):
/// `(column, heading)` each.
fn headings_side_by_side(grid: &Grid, row: u32, cells: &[(u32, &RawValue)]) -> Option<Vec<(u32, String)>> {
    if cells.len() < 2
        || cells
            .windows(2)
            .any(|w| matches!(w, [(a, _), (b, _)] if b - a < 2))
    {
        return None;
    }
    cells
        .iter()
        .map(|(c, v)| {
            let t = as_text(v)?.trim();
            let words = t.chars().filter(|ch| ch.is_alphabetic()).count() >= 3
                && !t.chars().any(|ch| ch.is_ascii_digit() || ch == ':');
            let capitals = !t.chars().any(char::is_lowercase);
            let merged = grid.merge_at((row, *c)).is_some_and(|m| m.end.1 > m.start.1);
            let party = names_a_party(t) || names_a_section(t);
            (words && (capitals || merged && party)).then(|| (*c, label_name(t)))
        })
        .collect()
}

/// `Submitted | 12/18/2026 | by | Pat Sample | Phone | 559-555-0195`: pairs of a short label and
/// its value in adjacent cells, at least one label reading as one and at least one value shaped
/// like data (a digit or an `@`), no value reading as a label. A lone "by" label continues the
/// label before it ("Submitted by").
fn colonless_pairs<'a>(row: &Row<'a>) -> Option<Vec<(std::borrow::Cow<'a, str>, &'a RawValue)>> {
    let cells = &row.cells;
    if cells.len() < 4 || !cells.len().is_multiple_of(2) {
        return None;
    }
    let mut pairs: Vec<(std::borrow::Cow<'a, str>, &'a RawValue)> = Vec::new();
    for p in cells.chunks(2) {
        let [(lc, l), (vc, v)] = p else { return None };
        let label = as_text(l).filter(|t| {
            *vc == lc + 1
                && !is_colon_label(l)
                && t.split_whitespace().count() <= 3
                && !t.chars().any(|c| c.is_ascii_digit())
        })?;
        // A label's words in a long value ("Riverside County DPSS - Adult Services") name
        // something; a short one ("DOB", "Member Name") is the next column's heading.
        if as_text(v)
            .is_some_and(|t| (looks_like_label(t) && t.split_whitespace().count() <= 4) || t.ends_with(':'))
        {
            return None;
        }
        let label = match pairs.last() {
            Some((before, _)) if label.eq_ignore_ascii_case("by") => format!("{before} by").into(),
            _ => label.into(),
        };
        pairs.push((label, *v));
    }
    (pairs.iter().any(|(l, _)| looks_like_label(l)) && pairs.iter().any(|(_, v)| data_shaped(v)))
        .then_some(pairs)
}

/// A value shaped like data: a date or number cell, or text with a digit or an `@` in it.
fn data_shaped(v: &RawValue) -> bool {
    !matches!(v, RawValue::Text(_))
        || as_text(v).is_some_and(|t| t.contains('@') || t.chars().any(|c| c.is_ascii_digit()))
}

/// A row of two or more `label | value` pairs without colons, each value in the column right of
/// its label and not itself reading as a label.
fn label_beside_value(row: &Row<'_>) -> bool {
    let cells = &row.cells;
    // Every second cell a value; most of the others read as labels ("CIN | 92105543-b | KP
    // Medi-Cal? (Y/N) | Y": the question names no field word, its "Y" is still a value).
    let labelled = cells
        .chunks(2)
        .filter(|p| {
            p.first()
                .and_then(|(_, l)| as_text(l))
                .is_some_and(looks_like_label)
        })
        .count();
    cells.len() >= 4
        && cells.len().is_multiple_of(2)
        && cells.chunks(2).all(|p| match p {
            [(lc, l), (vc, v)] => {
                *vc == lc + 1 && as_text(l).is_some() && !as_text(v).is_some_and(looks_like_label)
            }
            _ => false,
        })
        && labelled >= 1
        && labelled * 2 >= cells.len() / 2
}

/// A title line above a batch of members speaks for the sender: "Contact: Pat Sample | 209-555-
/// 0193" is the referrer's, whatever the label says — unless it is about the referrals themselves
/// (a date, the county, the plan, a program, a code key), which holds for every row.
fn sender_section(label: &str) -> Option<String> {
    let l = label.to_lowercase();
    let about_referrals = [
        "county",
        "plan",
        "date",
        "program",
        "region",
        "week",
        "batch",
        "service",
        "population",
        "pof",
        "code",
        "key",
    ]
    .iter()
    .any(|w| l.contains(w));
    (!about_referrals).then(|| "Submitted by".to_string())
}

/// "Submitted by Ottoline Sample, 415-555-0104, osample@x.example" in a sentence with no colon:
/// the name, and the phone and email that follow it, as the submitter's entries (none without a
/// phone or email).
fn submitted_by(text: &str) -> Vec<RawEntry> {
    static BY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(submitted|prepared|completed|referred|sent)(?:\s+(?:on\s+)?(\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}))?\s+by\s+([^,|;\n:]+)((?:,\s*[^,|;\n]+)*)",
        )
        .expect("static regex")
    });
    let Some(c) = BY.captures(text) else {
        return Vec::new();
    };
    let (Some(verb), Some(name)) = (c.get(1), c.get(3)) else {
        return Vec::new();
    };
    // "submitted 12/01/2026 by …": the date it was sent, then who sent it.
    let date = c.get(2).map(|d| d.as_str().to_string());
    let section = Some(format!("{} by", verb.as_str()));
    let entry = |name: &str, value: &str| RawEntry {
        name: name.to_string(),
        alt: None,
        section: section.clone(),
        value: RawValue::Text(value.trim().to_string()),
        confidence: None,
    };
    let mut out = vec![entry("Name", name.as_str())];
    for piece in c
        .get(4)
        .map(|m| m.as_str())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
    {
        match contact_kind(piece) {
            Some(Contact::Email) => out.push(entry("Email", piece)),
            Some(Contact::Phone) => out.push(entry("Phone", piece)),
            None => {}
        }
    }
    // Only with a way to reach them is it a person submitting: "Prepared by Sample County" alone
    // names an office, not a referrer.
    if out.len() < 2 {
        return Vec::new();
    }
    if let Some(d) = date {
        out.push(RawEntry {
            name: "Date submitted".to_string(),
            alt: None,
            section: None,
            value: RawValue::Text(d),
            confidence: None,
        });
    }
    out
}

/// The columns of the widest run of adjacent header cells.
fn table_block(header: &[u32]) -> std::ops::RangeInclusive<u32> {
    let mut best = 0..=0;
    let mut best_len = 0;
    let mut start: Option<(u32, u32, usize)> = None; // (first col, last col, count)
    for c in header {
        start = match start {
            Some((first, last, n)) if *c == last + 1 => Some((first, *c, n + 1)),
            _ => Some((*c, *c, 1)),
        };
        if let Some((first, last, n)) = start
            && n > best_len
        {
            best = first..=last;
            best_len = n;
        }
    }
    best
}

/// Whether `rows[i]` is the upper row of a two-row header: group headings over the header row
/// right under it ("POPULATIONS OF FOCUS" over "Homeless | SMI/SUD | ..."), each group either
/// merged across the columns it heads or standing alone over a much fuller row.
fn group_row_over(grid: &Grid, rows: &[Row<'_>], i: usize) -> bool {
    let (Some(row), Some(next)) = (rows.get(i), rows.get(i + 1)) else {
        return false;
    };
    if next.index != row.index + 1 || !is_header_row(next) {
        return false;
    }
    // "Referrer: | Pat Sample | Phone: | 209-555-0100" right over the header: the sender's
    // line of label/value pairs, not headings over groups of columns.
    if label_pairs(row).is_some() {
        return false;
    }
    // "Date Referred | 11/16/2026" over the header: a label and its value, not two groups — a
    // group's heading is words, never a date, a number or an address.
    if label_then_value(row).is_some_and(|(_, v)| data_shaped(v)) {
        return false;
    }
    let spans = group_spans(grid, row);
    let under = |start: u32, end: u32| {
        next.cells
            .iter()
            .filter(|(c, _)| (start..=end).contains(c))
            .count()
    };
    let merged_group = spans
        .iter()
        .any(|(s, e, _, merged)| *merged && under(*s, *e) >= 2);
    // One heading over everything is the table's title, not a group.
    spans.len() >= 2 && (merged_group || next.cells.len() >= row.cells.len() * 2)
}

/// The cells of a group-heading row with the columns each covers: its merged region, else up
/// to the next heading; and whether it was merged.
fn group_spans(grid: &Grid, g: &Row<'_>) -> Vec<(u32, u32, String, bool)> {
    let mut spans = Vec::new();
    for (i, (c, v)) in g.cells.iter().enumerate() {
        let Some(text) = as_text(v) else { continue };
        let merge = grid.merge_at((g.index, *c)).filter(|m| m.end.1 > m.start.1);
        let end = merge.map(|m| m.end.1).unwrap_or_else(|| {
            g.cells
                .get(i + 1)
                .map(|(next, _)| next.saturating_sub(1))
                .unwrap_or(u32::MAX)
        });
        spans.push((
            *c,
            end,
            text.split_whitespace().collect::<Vec<_>>().join(" "),
            merge.is_some(),
        ));
    }
    spans
}

fn read_table(grid: &Grid, rows: &[Row<'_>], h: usize, book: &Key) -> Vec<RawRecord> {
    let Some(header) = rows.get(h) else {
        return Vec::new();
    };
    // Group headings in the row just above name each column's section ("Agency" under
    // "REFERRING STAFF" is the referrer's); a heading with nothing under it (merged down over
    // both header rows: "Referral Date") names its column itself.
    let groups: Vec<(u32, u32, String, bool)> = h
        .checked_sub(1)
        .filter(|g| group_row_over(grid, rows, *g))
        .and_then(|g| rows.get(g))
        .map(|g| group_spans(grid, g))
        .unwrap_or_default();
    let section_of = |c: u32| {
        groups
            .iter()
            .find(|(start, end, _, _)| (*start..=*end).contains(&c))
            .map(|(_, _, t, _)| t.clone())
    };
    // The table is the widest block of adjacent header columns; a block set apart by an empty
    // column (a legend or a note beside the table) is not part of it.
    let mut header_cells: Vec<(u32, String, Option<String>)> = header
        .cells
        .iter()
        .filter_map(|(c, v)| {
            as_text(v).map(|s| {
                (
                    *c,
                    s.split_whitespace().collect::<Vec<_>>().join(" "),
                    section_of(*c),
                )
            })
        })
        .collect();
    for (start, end, text, _) in &groups {
        if !header_cells.iter().any(|(c, _, _)| (*start..=*end).contains(c)) {
            header_cells.push((*start, text.clone(), None));
        }
    }
    header_cells.sort_by_key(|(c, _, _)| *c);
    let columns = table_block(&header_cells.iter().map(|(c, _, _)| *c).collect::<Vec<_>>());
    let names: Vec<(u32, String, Option<String>)> = header_cells
        .into_iter()
        .filter(|(c, _, _)| columns.contains(c))
        .collect();
    // `Label: value` lines printed above the table ("Referring agency: ...", "Date submitted:
    // ...") hold for every row; they come after the row's own cells, which win.
    // The group-heading row (if any) is part of the header, not a label/value pair.
    let above = if groups.is_empty() { h } else { h.saturating_sub(1) };
    let shared = above_table(rows.get(..above).unwrap_or_default());
    let mut key = book.clone();
    key.extend(legend(rows));
    let data = data_rows(rows, h);
    // A `label | value` block under the table: the sender's, like the lines above it.
    let below = data
        .last()
        .and_then(|end| rows.iter().position(|r| r.index == end.index))
        .and_then(|end| rows.get(end + 1..))
        .unwrap_or_default();
    let block = block_under(below, header.cells.len());
    // A sender's line under the table ("Referred by: Pat Example, RN, Example Plan, 818-555-0182,
    // pat@example.org" in one cell), like one above it.
    let signed_under: Vec<RawEntry> = below
        .iter()
        .filter(|r| {
            matches!(r.cells.as_slice(), [(_, v)] if inline_pair(v).is_some_and(|(label, _)| {
                let l = label.to_lowercase();
                l.ends_with(" by") || l.starts_with("referr") || l == "contact"
            }))
        })
        .flat_map(|r| above_table(std::slice::from_ref(r)))
        .collect();
    let shared: Vec<RawEntry> = shared
        .into_iter()
        .chain(signed_under)
        .chain(below.iter().filter(|_| block).filter_map(|r| {
            let [(_, label), (_, value)] = r.cells.as_slice() else {
                return None;
            };
            let name = label_name(as_text(label)?);
            Some(RawEntry {
                section: sender_section(&name),
                name,
                alt: None,
                value: (*value).clone(),
                confidence: None,
            })
        }))
        .collect();
    data.into_iter()
        .map(|row| RawRecord {
            entries: row
                .cells
                .iter()
                .filter_map(|(c, v)| {
                    let (_, name, section) = names.iter().find(|(hc, _, _)| hc == c)?;
                    Some(RawEntry {
                        name: name.clone(),
                        alt: None,
                        section: section.clone(),
                        value: decode(v, &key),
                        confidence: None,
                    })
                })
                .collect(),
        })
        .filter(|r| !r.entries.is_empty())
        .map(|mut r| {
            r.entries.extend(shared.iter().cloned());
            r
        })
        .collect()
}

/// A key printed on the sheet, one code per cell: "H = Individuals experiencing homelessness",
/// "HU - High utilizer". Codes are short capitals (digits allowed, not digits alone).
fn legend(rows: &[Row<'_>]) -> std::collections::HashMap<String, String> {
    rows.iter()
        .filter(|r| r.cells.len() == 1)
        .filter_map(|r| r.cells.first().and_then(|(_, v)| as_text(v)))
        // Several codes in one cell: "PoF codes:  A = Reentry   B = SMI/SUD   C = Homeless".
        .flat_map(|t| {
            let t = match t.split_once(':') {
                Some((head, rest)) if !head.contains('=') && rest.contains('=') => rest,
                _ => t,
            };
            // "HL=homeless, HU=high utilizer, BH=SMI/SUD": codes apart at commas too.
            let commas = t.matches('=').count() >= 2;
            t.split("  ")
                .flat_map(|p| p.split(';'))
                .flat_map(move |p| p.split(if commas { ',' } else { ';' }))
                .collect::<Vec<_>>()
        })
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter_map(|t| {
            let (code, meaning) = t
                .split_once(['=', ':', '–', '—'])
                .or_else(|| t.split_once(" - "))?;
            let code = code.trim();
            // Numbers are left alone: a bare "2" is read as a numbered item anyway, and may be a
            // count in another column.
            let ok = (1..=6).contains(&code.len())
                && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && code.chars().any(|c| c.is_ascii_uppercase())
                && meaning.trim().len() > code.len();
            ok.then(|| (code.to_string(), meaning.trim().to_string()))
        })
        .collect()
}

/// A cell written in the sheet's key's codes ("H, BH") as what the codes stand for.
fn decode(v: &RawValue, key: &std::collections::HashMap<String, String>) -> RawValue {
    let Some(t) = as_text(v).filter(|_| key.len() >= 2) else {
        return v.clone();
    };
    let codes: Vec<&str> = t
        .split([',', ';', '/', ' ', '+'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let meanings: Option<Vec<&str>> = codes.iter().map(|c| key.get(*c).map(String::as_str)).collect();
    match meanings {
        Some(m) if !m.is_empty() => RawValue::Text(m.join("; ")),
        _ => v.clone(),
    }
}

/// Checklists whose marks sit in a column left of the captions (`X | Experiencing homelessness`
/// over ` | High utilizer`): `(row, caption column, mark column, marked)` for every option of a
/// run of caption rows with at least one mark, the unmarked ones included. Two such lists may
/// stand side by side.
fn mark_columns(grid: &Grid, rows: &[Row<'_>]) -> Vec<(u32, u32, u32, Option<RawValue>)> {
    let is_mark = |v: &RawValue| {
        matches!(
            tick_value(v),
            Some(RawValue::Text(_)) | Some(RawValue::Checked(true))
        )
    };
    let caption = |r: u32, c: u32| {
        grid.get((r, c)).and_then(as_text).is_some_and(|t| {
            let v = RawValue::Text(t.to_string());
            !is_colon_label(&v)
                && tick_value(&v).is_none()
                && glyph_caption(&v).is_none()
                && t.chars().any(char::is_alphabetic)
        })
    };
    let mut out = Vec::new();
    let mut columns: Vec<u32> = rows
        .iter()
        .flat_map(|r| r.cells.iter().filter(|(_, v)| is_mark(v)).map(|(c, _)| *c))
        .collect();
    columns.sort_unstable();
    columns.dedup();
    // Marks left of the captions; or right of them ("Enhanced Care Management |" over
    // "Community Supports | X"), where a run needs three options and none naming a field, so a
    // form's `Label | X` rows stay pairs.
    let sides = columns
        .iter()
        .map(|m| (*m, m + 1, 2))
        .chain(columns.iter().filter_map(|m| Some((*m, m.checked_sub(1)?, 3))))
        .collect::<Vec<_>>();
    let mut taken: HashSet<u32> = HashSet::new();
    for (mark_col, caption_col, min_run) in sides {
        let marked_rows: Vec<u32> = rows
            .iter()
            .filter(|r| {
                r.cells.iter().any(|(c, v)| *c == mark_col && is_mark(v)) && caption(r.index, caption_col)
            })
            .map(|r| r.index)
            .collect();
        let mut seen: HashSet<u32> = HashSet::new();
        for start in marked_rows {
            // The run of caption rows around a marked one, its mark cell empty or a mark.
            let option = |r: u32| {
                caption(r, caption_col)
                    && grid
                        .get((r, mark_col))
                        .is_none_or(|v| is_mark(v) || tick_value(v).is_some())
            };
            let mut first = start;
            while first > 0 && option(first - 1) {
                first -= 1;
            }
            let mut last = start;
            while option(last + 1) {
                last += 1;
            }
            // One marked option alone is a caption beside a mark, read as before.
            let run = last - first + 1;
            if run < min_run
                || (min_run > 2
                    && (first..=last).any(|r| {
                        taken.contains(&r)
                            || grid
                                .get((r, caption_col))
                                .and_then(as_text)
                                .is_some_and(crate::extract::names_a_field)
                    }))
            {
                continue;
            }
            for r in first..=last {
                if seen.insert(r) {
                    taken.insert(r);
                    // The mark as written (`X` stays text, as a mark beside a caption does).
                    let mark = grid
                        .get((r, mark_col))
                        .filter(|v| is_mark(v))
                        .and_then(tick_value);
                    out.push((r, caption_col, mark_col, mark));
                }
            }
        }
    }
    // A checklist nobody marked: its heading says how to mark ("Community Supports requested
    // (X)") over an empty mark column with the options right of it. Every option is unticked —
    // never one option the caption of the next.
    for row in rows {
        for (mark_col, v) in &row.cells {
            if !as_text(v).is_some_and(is_checklist_heading) || columns.contains(mark_col) {
                continue;
            }
            let caption_col = mark_col + 1;
            let options: Vec<u32> = (row.index + 1..)
                .take_while(|r| {
                    caption(*r, caption_col)
                        && grid.get((*r, *mark_col)).is_none_or(|m| {
                            tick_value(m).is_some() || as_text(m).is_some_and(|t| t.trim().is_empty())
                        })
                })
                .collect();
            let named = options.iter().any(|r| {
                grid.get((*r, caption_col))
                    .and_then(as_text)
                    .is_some_and(crate::extract::names_a_field)
            });
            if options.len() >= 3 && !named && options.iter().all(|r| !taken.contains(r)) {
                for r in options {
                    taken.insert(r);
                    out.push((r, caption_col, *mark_col, None));
                }
            }
        }
    }
    out
}

/// Form reading state: entries so far, the current section, and cells already used as values.
struct Form<'g> {
    grid: &'g Grid,
    entries: Vec<RawEntry>,
    section: Option<String>,
    /// Headings printed side by side ("MEMBER" over columns A-B, "REFERRER" over D-E): each
    /// heads the columns from its own to the next one's, until a heading across the sheet.
    columns: Vec<(u32, String)>,
    /// The column of the cell being read (its heading, when headings are side by side).
    col: u32,
    /// The row being read.
    row: u32,
    /// Where each entry's label is: (row, column).
    at: Vec<(u32, u32)>,
    used: HashSet<(u32, u32)>,
    /// Columns that mostly hold values ([`value_columns`]).
    value_cols: HashSet<u32>,
}

/// The columns of labels (at least three cells reading as labels, three times as many as not)
/// and the columns whose cells are mostly values: at least three cells that do not read as
/// labels, and more than twice as many of those as label-like ones. A form printed as rows of
/// labels over rows of values mixes both in every column, so it has none.
fn value_columns(rows: &[Row<'_>]) -> (HashSet<u32>, HashSet<u32>) {
    let mut counts: std::collections::HashMap<u32, (usize, usize)> = std::collections::HashMap::new();
    for row in rows {
        for (c, v) in &row.cells {
            let e = counts.entry(*c).or_default();
            let label = is_colon_label(v)
                || inline_pair(v).is_some()
                || glyph_caption(v).is_some()
                || as_text(v).is_some_and(looks_like_label);
            if label {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    // A column right of a column of labels ("Name | … | DOB | …" row after row) holds their
    // values even when many of them read like labels themselves ("Ventura County", "… Sheriff's
    // Office"): as long as no more of its cells read as labels than as values.
    let label_col = |c: &u32| counts.get(c).is_some_and(|(l, v)| *l >= 3 && v * 3 <= *l);
    let left_of = |c: u32| counts.keys().filter(|k| **k < c).max().copied();
    let values = counts
        .iter()
        .filter(|(c, (labels, values))| {
            *values >= 3
                && (labels * 2 < *values || (labels <= values && left_of(**c).is_some_and(|l| label_col(&l))))
        })
        .map(|(c, _)| *c)
        .collect();
    let labels = counts.keys().filter(|c| label_col(c)).copied().collect();
    (labels, values)
}

impl Form<'_> {
    fn push(&mut self, name: String, value: RawValue) {
        if !name.is_empty() {
            let by_column = self.columns.iter().rev().find(|(c, _)| *c <= self.col);
            self.at.push((self.row, self.col));
            self.entries.push(RawEntry {
                name,
                alt: None,
                section: by_column.map(|(_, h)| h.clone()).or_else(|| self.section.clone()),
                value,
                confidence: None,
            });
        }
    }

    /// The cell directly below the label at `pos` (below its merged region), if it can be the
    /// label's value. `strict` (labels without a colon) also refuses text that heads a row of
    /// its own, since that is more likely the next label.
    /// The cell just under a label's cell (under its merged region).
    fn under(&self, pos: (u32, u32)) -> Option<(u32, u32)> {
        let end_row = self.grid.merge_at(pos).map_or(pos.0, |m| m.end.0);
        Some((end_row.checked_add(1)?, pos.1))
    }

    fn below(&self, pos: (u32, u32), strict: bool) -> Option<((u32, u32), RawValue)> {
        let at = self.under(pos)?;
        let v = self.grid.get(at)?;
        if self.used.contains(&at)
            || is_colon_label(v)
            || inline_pair(v).is_some()
            || glyph_caption(v).is_some()
            || tick_value(v).is_some()
        {
            return None;
        }
        // Without a colon, text under a label is its value only when it does not read as a
        // label itself, and does not head a row of its own unless the label's row is a row of
        // labels (labels printed over their values).
        if strict
            && as_text(v).is_some()
            && (as_text(v).is_some_and(looks_like_label)
                || (self.grid.row_len(at.0) > 1 && !self.grid.is_label_row(pos.0)))
        {
            return None;
        }
        Some((at, v.clone()))
    }

    /// A lone caption whose tick cell (left of it, in a neighbouring row's tick column) is
    /// empty: an unticked box, which says nothing we can record.
    fn is_unticked_caption(&self, pos: (u32, u32)) -> bool {
        let Some(left) = pos.1.checked_sub(1) else {
            return false;
        };
        [pos.0.checked_sub(1), pos.0.checked_add(1)]
            .into_iter()
            .flatten()
            .any(|r| self.grid.get((r, left)).is_some_and(|v| tick_value(v).is_some()))
    }

    /// A `Label: option` cell alone on its row among rows of the same label whose options are
    /// ticked in a column to the right ("CHW need: physical" over "CHW need: behavioral | X"):
    /// an option left unticked, not the label's answer.
    fn is_unticked_option(&self, pos: (u32, u32), label: &str) -> bool {
        let same_label = |r: u32| {
            self.grid
                .get((r, pos.1))
                .and_then(inline_pair)
                .is_some_and(|(l, _)| l == label)
        };
        let ticked_right = |r: u32| {
            (pos.1 + 1..pos.1 + 6).any(|c| self.grid.get((r, c)).is_some_and(|v| tick_value(v).is_some()))
        };
        let up = (1..=4).filter_map(|d| pos.0.checked_sub(d));
        let down = (1..=4).filter_map(|d| pos.0.checked_add(d));
        [up.collect::<Vec<_>>(), down.collect()]
            .into_iter()
            .any(|rows| rows.into_iter().take_while(|r| same_label(*r)).any(ticked_right))
    }

    /// A row holding a single cell: a section heading, a label with its value below, a
    /// `☒ caption` cell, or a label left blank.
    fn single(&mut self, pos: (u32, u32), v: &RawValue) {
        if let Some((caption, ticked)) = glyph_caption(v) {
            return self.push(caption, RawValue::Checked(ticked));
        }
        if let Some((label, value)) = inline_pair(v) {
            if self.is_unticked_option(pos, &label) {
                return self.push(label_name(&format!("{label}: {value}")), RawValue::Checked(false));
            }
            return self.push(label, RawValue::Text(value));
        }
        let Some(s) = as_text(v) else {
            return; // a stray number or tick with no caption
        };
        // "Program requested (X):" over options marked in a column to their right: the
        // options' heading, not a label over its first option.
        if is_colon_label(v)
            && is_checklist_heading(s)
            && self.under(pos).is_some_and(|at| self.ticks_right_in_block(at))
        {
            self.section = Some(label_name(s));
            self.columns.clear();
            return;
        }
        if is_colon_label(v) {
            let value = match self.below(pos, false) {
                Some((at, value)) => {
                    self.used.insert(at);
                    value
                }
                None => RawValue::Text(String::new()),
            };
            return self.push(label_name(s), value);
        }
        // "Currently enrolled in ECM?" over "Yes": the question's answer, though a bare Yes
        // elsewhere reads as a tick.
        if s.trim_end().ends_with('?')
            && let Some(at) = self.under(pos)
            && !self.used.contains(&at)
            && let Some(answer) = self.grid.get(at).filter(|a| as_text(a).is_some_and(is_yes_no))
        {
            let answer = answer.clone();
            self.used.insert(at);
            return self.push(label_name(s), answer);
        }
        if self.is_unticked_caption(pos) {
            return;
        }
        let shouting = s.chars().any(char::is_alphabetic) && !s.chars().any(char::is_lowercase);
        // Without a colon, only text that reads as a label takes the value under it; a checklist
        // heading ("Service Requested (X)") and unticked captions do not.
        let below = if looks_like_label(s) && !is_checklist_heading(s) {
            self.below(pos, true)
        } else {
            None
        };
        match below {
            Some((at, value)) if !shouting || as_text(&value).is_none() => {
                self.used.insert(at);
                self.push(label_name(s), value);
            }
            // An option of a checklist whose ticks are in a column to the right (an "X" beside
            // another option of the same block): left unticked, it heads nothing.
            _ if self.section.as_deref().is_some_and(is_checklist_heading)
                && !shouting
                && !names_a_section(s)
                && !is_checklist_heading(s)
                && self.ticks_right_in_block(pos) => {}
            // "MRN" with nothing beside it, among labels with values: a field left blank, not a
            // heading over the labels after it.
            _ if (!shouting || !s.contains(' '))
                && crate::extract::names_a_field(s)
                && !names_a_section(s) => {}
            _ => {
                self.section = Some(label_name(s));
                self.columns.clear();
            }
        }
    }

    /// Whether a tick sits right of `pos`'s column in the block of rows around it (the rows up
    /// to the nearest empty one above and below).
    fn ticks_right_in_block(&self, pos: (u32, u32)) -> bool {
        let ticked = |r: u32| {
            (pos.1 + 1..pos.1 + 8).any(|c| self.grid.get((r, c)).is_some_and(|v| tick_value(v).is_some()))
        };
        let up = (0..pos.0).rev().take_while(|r| self.grid.row_len(*r) > 0);
        let down = (pos.0 + 1..pos.0.saturating_add(40)).take_while(|r| self.grid.row_len(*r) > 0);
        up.take(40).chain(down).any(ticked)
    }

    /// A row of several cells: `Label | value` pairs, `X | caption` / `caption | X` ticks and
    /// `☒ caption` cells, left to right.
    fn several(&mut self, row: u32, cells: &[(u32, &RawValue)]) {
        // "Area of need | Mark X": a checklist's heading and the heading of its tick column —
        // the section the options under it belong to, with no value of its own.
        if let [(_, heading), (_, how)] = cells
            && let (Some(heading), Some(how)) = (as_text(heading), as_text(how))
            && is_checklist_heading(how)
            && !is_checklist_heading(heading)
            && !heading.contains(':')
        {
            self.section = Some(label_name(&format!("{heading} ({how})")));
            self.columns.clear();
            return;
        }
        // In rows that start with a tick, ticks belong to the caption on their right.
        let tick_left = cells.first().is_some_and(|(_, v)| tick_value(v).is_some());
        let mut i = 0;
        while let Some(&(c, v)) = cells.get(i) {
            i += 1;
            self.col = c;
            if let Some((caption, ticked)) = glyph_caption(v) {
                self.push(caption, RawValue::Checked(ticked));
                continue;
            }
            let right_cell = cells.get(i).copied();
            let right = right_cell.map(|(_, r)| r);
            // `Label: value` in one cell, unless a plain value follows it (then the text after
            // the colon was a hint such as "Client Name: Last, First" and the value is beside).
            if let Some((label, value)) = inline_pair(v)
                && right.is_none_or(|r| {
                    is_colon_label(r) || inline_pair(r).is_some() || glyph_caption(r).is_some()
                })
            {
                self.push(label, RawValue::Text(value));
                continue;
            }
            if let Some(tick) = tick_value(v) {
                if let Some(caption) = right.filter(|r| is_caption(r)).and_then(as_text) {
                    self.push(label_name(caption), tick);
                    i += 1;
                }
                continue;
            }
            let Some(label) = as_text(v) else {
                continue; // a stray value with no label
            };
            // "Program | ECM | | Community Supports | X": after the question, options each with
            // its tick cell just right of it, the ticked ones marked, the others left empty.
            let rest = cells.get(i..).unwrap_or_default();
            let tick_right = |k: usize| {
                rest.get(k).and_then(|(c, _)| {
                    rest.get(k + 1)
                        .filter(|(nc, _)| *nc == c + 1)
                        .and_then(|(_, v)| tick_value(v))
                })
            };
            let option = |v: &RawValue| {
                // Named options: a bare "Yes" or "No" would lose the question it answers.
                as_text(v).is_some_and(|t| {
                    t.split_whitespace().count() <= 4
                        && !t.contains(':')
                        && tick_value(v).is_none()
                        && !crate::extract::is_yes_no(t)
                })
            };
            let marks: Vec<(usize, Option<RawValue>)> = (0..rest.len())
                .filter(|k| rest.get(*k).is_some_and(|(_, v)| option(v)))
                .map(|k| (k, tick_right(k)))
                .collect();
            let options_with_marks = marks.len() >= 2
                && marks.iter().any(|(_, m)| m.is_some())
                // Every cell is an option or the mark right of one.
                && marks.len() + marks.iter().filter(|(_, m)| m.is_some()).count() == rest.len()
                && !is_colon_label(v);
            if options_with_marks {
                for (k, m) in marks {
                    if let Some(caption) = rest.get(k).and_then(|(_, v)| as_text(v)) {
                        self.push(label_name(caption), m.unwrap_or(RawValue::Checked(false)));
                    }
                }
                i = cells.len();
                continue;
            }
            // Not a value: another label, a tick caption, or (in rows of labels) label text.
            let in_value_col = right_cell.is_some_and(|(rc, _)| self.value_cols.contains(&rc));
            let right_is_value = right.is_some_and(|r| {
                let label_pair =
                    looks_like_label(label) && as_text(r).is_some_and(looks_like_label) && !in_value_col;
                let tick_pair = tick_left && tick_value(r).is_some();
                !(is_colon_label(r)
                    || inline_pair(r).is_some()
                    || glyph_caption(r).is_some()
                    || tick_pair
                    || label_pair)
            });
            if let (true, Some(r)) = (right_is_value, right) {
                // "Areas of need | Behavioral | Social": when every cell after the value is one
                // more plain word or two and none reads as a label, they are the answer's other
                // items.
                let rest = cells.get(i + 1..).unwrap_or_default();
                let item = |t: &str| {
                    t.split_whitespace().count() <= 3
                        && t.chars().filter(|ch| ch.is_alphabetic()).count() >= 3
                        && !t.chars().any(|ch| ch.is_ascii_digit() || ":@?()/".contains(ch))
                };
                let more_items = (1..=4).contains(&rest.len())
                    && tick_value(r).is_none()
                    && as_text(r).is_some_and(item)
                    && rest.iter().all(|(_, x)| {
                        as_text(x).is_some_and(|t| item(t) && !looks_like_label(t))
                            && tick_value(x).is_none()
                            && glyph_caption(x).is_none()
                    });
                if more_items {
                    let items: Vec<&str> = std::iter::once(r)
                        .chain(rest.iter().map(|(_, x)| *x))
                        .filter_map(as_text)
                        .collect();
                    self.push(label_name(label), RawValue::Text(items.join("; ")));
                    i = cells.len();
                    continue;
                }
                // A tick glyph beside its caption reads as a checkbox, whichever side it is on.
                self.push(label_name(label), tick_value(r).unwrap_or_else(|| r.clone()));
                i += 1;
                continue;
            }
            let colon = is_colon_label(v);
            if !colon && tick_left {
                continue; // an unticked caption
            }
            match self.below((row, c), !colon) {
                Some((at, value)) => {
                    self.used.insert(at);
                    self.push(label_name(label), value);
                }
                None if colon => self.push(label_name(label), RawValue::Text(String::new())),
                None => {}
            }
        }
    }
}

/// Whether `labels` is a row of two or more printed labels (no colons, no ticks) and `values`,
/// right under it, holds values in those columns and nowhere else.
/// A row of short captions over a row of values, in the columns where the sheet's earlier
/// caption rows stood, once it has had at least two.
fn in_caption_rhythm(labels: &Row<'_>, values: &Row<'_>, caption_cols: &HashSet<u32>, rhythm: usize) -> bool {
    // A lone caption takes a lone value only when the value reads as one (a phrase of four words
    // or more, or digits): "Social needs" over "Behavioral health" are two options of a list.
    let lone_ok = labels.cells.len() >= 2
        || values.cells.iter().all(|(_, v)| {
            as_text(v)
                .is_none_or(|t| t.split_whitespace().count() >= 4 || t.chars().any(|c| c.is_ascii_digit()))
        });
    rhythm >= 2
        && lone_ok
        && !labels.cells.is_empty()
        && values.index == labels.index + 1
        && labels.cells.iter().all(|(c, v)| {
            caption_cols.contains(c)
                && as_text(v).is_some_and(|t| {
                    t.split_whitespace().count() <= 6 && !t.chars().any(|ch| ch.is_ascii_digit() || ch == '@')
                })
                && !is_colon_label(v)
                && inline_pair(v).is_none()
                && tick_value(v).is_none()
                // "Respite | Y": an item and its answer, not two captions.
                && !as_text(v).is_some_and(crate::extract::is_yes_no)
                // "Area of need | Mark X": the heading of a checklist and of its tick column,
                // over its first option, not captions over values.
                && !as_text(v).is_some_and(is_checklist_heading)
        })
        && !values.cells.is_empty()
        && values.cells.iter().all(|(c, v)| {
            labels.cells.iter().any(|(lc, _)| lc == c)
                && tick_value(v).is_none()
                && glyph_caption(v).is_none()
        })
}

fn labels_over_values(labels: &Row<'_>, values: &Row<'_>) -> bool {
    // Every cell short text, no `Label:` pair; all but one of them read as labels (a one-word
    // caption such as "Clinic" names no field we know, yet sits among labels).
    let label_like = labels
        .cells
        .iter()
        .filter(|(_, v)| as_text(v).is_some_and(|t| looks_like_label(t) || t.trim_end().ends_with('?')))
        .count();
    let all_labels = labels.cells.len() >= 2
        && label_like + 1 >= labels.cells.len()
        && label_like >= 2
        && labels.cells.iter().all(|(_, v)| {
            as_text(v).is_some_and(|t| {
                t.split_whitespace().count() <= 8 && !t.chars().any(|c| c.is_ascii_digit() || c == '@')
            }) && !is_colon_label(v)
                && inline_pair(v).is_none()
                && !as_text(v).is_some_and(is_checklist_heading)
        });
    let under = values.index == labels.index + 1
        && !values.cells.is_empty()
        && values
            .cells
            .iter()
            .all(|(c, _)| labels.cells.iter().any(|(lc, _)| lc == c));
    let valueish = values
        .cells
        .iter()
        .filter(|(_, v)| {
            !as_text(v).is_some_and(looks_like_label)
                && tick_value(v).is_none()
                && glyph_caption(v).is_none()
                // "SERVICES (mark X)" heads a checklist: no value of the row above.
                && !as_text(v).is_some_and(is_checklist_heading)
        })
        .count();
    all_labels && under && valueish * 2 > values.cells.len()
}

/// A heading over a list of boxes: "Service Requested (X)", "Needs (check all that apply)".
/// A heading that names a part of the form ("Member information", "Referrer details").
fn names_a_section(s: &str) -> bool {
    let l = s.trim().trim_end_matches(':').to_lowercase();
    ["information", "info", "details", "section", "contact"]
        .iter()
        .any(|w| l.ends_with(w))
}

fn is_checklist_heading(s: &str) -> bool {
    let l = s.to_lowercase();
    [
        "(x)",
        "(check",
        "check all",
        "check one",
        "mark all",
        "(mark",
        "select all",
        "tick all",
        "mark x",
        "- mark",
        "(select",
        // "Services (Y for each requested)", "(all that apply)": a mark put beside each option.
        "(y for",
        "(yes for",
        "for each",
        "that apply",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// Text that can caption a tick: not a label, not another tick.
fn is_caption(v: &RawValue) -> bool {
    as_text(v).is_some() && !is_colon_label(v) && tick_value(v).is_none() && glyph_caption(v).is_none()
}

/// An option's column, caption and whether it is ticked.
type TickedOption<'a> = (u32, &'a str, bool);

/// A row of a question and two or more options ("Program requested | ECM | CS | CHW") over a row
/// holding only tick marks under some of the options: the question, and each option's column,
/// caption and whether it is ticked. With a mark under the first cell too, the row is options
/// only ("Recuperative Care | Medically Tailored Meals | Respite Services" over "X | X"): no
/// question.
fn options_over_ticks<'a>(row: &Row<'a>, next: &Row<'_>) -> Option<(Option<&'a str>, Vec<TickedOption<'a>>)> {
    if next.index != row.index + 1 || next.cells.is_empty() {
        return None;
    }
    let ((first_col, first), rest) = row.cells.split_first()?;
    let first_marked = next
        .cells
        .iter()
        .any(|(c, v)| c == first_col && tick_value(v).is_some());
    let (question, rest) = if first_marked {
        (None, row.cells.as_slice())
    } else {
        (Some(as_text(first).filter(|q| !q.trim().is_empty())?), rest)
    };
    let options: Vec<(u32, &str)> = rest
        .iter()
        .map(|(c, v)| {
            as_text(v)
                .filter(|t| tick_value(v).is_none() && !t.contains(':') && t.split_whitespace().count() <= 5)
                .map(|t| (*c, t))
        })
        .collect::<Option<_>>()?;
    if options.len() < 2 {
        return None;
    }
    let ticked = |c: u32| {
        next.cells
            .iter()
            .find(|(nc, _)| *nc == c)
            .and_then(|(_, v)| tick_value(v))
            .is_some_and(|t| match t {
                RawValue::Checked(on) => on,
                _ => true,
            })
    };
    // Nothing on the row below but marks, each under an option.
    let only_marks = next
        .cells
        .iter()
        .all(|(c, v)| options.iter().any(|(oc, _)| oc == c) && tick_value(v).is_some());
    (only_marks && options.iter().any(|(c, _)| ticked(*c))).then(|| {
        (
            question,
            options.iter().map(|(c, t)| (*c, *t, ticked(*c))).collect(),
        )
    })
}

/// A column of captions and values stacked one per row ("Referral Date" / 2026-12-01 / "CIN /
/// BIC" / "97123456B" / ...), read by the run's rhythm as the flattened-PDF reader reads the same
/// layout: caption row index (in `rows`) → its value's. A run is rows with one cell each, in one
/// column, with no row between them and none a checklist's option; it is read two by two from the start that makes more
/// captions and fewer values read as labels, when at least three pairs result, two thirds of the
/// captions read as labels and at most a third of the values do. A caption that is no text, a
/// colon label with its own value or a tick, or a value that is a label, ends the pairing.
fn stacked_rows<'a>(rows: &[Row<'a>], options: &HashSet<u32>) -> std::collections::HashMap<usize, usize> {
    let mut out = std::collections::HashMap::new();
    let single = |r: &Row<'a>| -> Option<(u32, &'a RawValue)> {
        if options.contains(&r.index) {
            return None; // a checklist's option, marked or not
        }
        match r.cells.as_slice() {
            [(c, v)] => Some((*c, *v)),
            _ => None,
        }
    };
    let mut start = 0;
    while start < rows.len() {
        let mut end = start + 1;
        if let Some((col, _)) = rows.get(start).and_then(single) {
            while let (Some(prev), Some(next)) = (rows.get(end - 1), rows.get(end)) {
                if next.index != prev.index + 1 || single(next).is_none_or(|(c, _)| c != col) {
                    break;
                }
                end += 1;
            }
        }
        if end - start >= 6 {
            let cell = |i: usize| rows.get(i).and_then(single).map(|(_, v)| v);
            out.extend(crate::extract::stacked_pairs_in(start, end, |i| {
                let (cap, value) = (cell(i)?, cell(i + 1)?);
                let text = as_text(cap)?;
                let plain = |v: &RawValue| {
                    !is_colon_label(v)
                        && inline_pair(v).is_none()
                        && glyph_caption(v).is_none()
                        && tick_value(v).is_none()
                };
                let ok = plain(cap)
                    && plain(value)
                    && text.split_whitespace().count() <= 8
                    && !is_checklist_heading(text);
                ok.then(|| {
                    (
                        looks_like_label(text),
                        as_text(value).is_some_and(looks_like_label),
                    )
                })
            }));
        }
        start = end;
    }
    out
}

fn read_form(grid: &Grid, rows: &[Row<'_>]) -> Vec<RawEntry> {
    let mut form = Form {
        grid,
        entries: Vec::new(),
        section: None,
        columns: Vec::new(),
        col: 0,
        row: 0,
        at: Vec::new(),
        used: HashSet::new(),
        value_cols: HashSet::new(),
    };
    let (label_cols, value_cols) = value_columns(rows);
    form.value_cols = value_cols;
    let marks = mark_columns(grid, rows);
    let stacked = stacked_rows(rows, &marks.iter().map(|(r, _, _, _)| *r).collect());
    let mut caption_cols: HashSet<u32> = HashSet::new();
    let mut rhythm = 0usize;
    for (ri, row) in rows.iter().enumerate() {
        form.row = row.index;
        // A caption over its value in a column of them.
        if let Some(vi) = stacked.get(&ri)
            && let (Some((c, cap)), Some(values)) = (row.cells.first(), rows.get(*vi))
            && let (Some(text), Some((vc, value))) = (as_text(cap), values.cells.first())
        {
            form.col = *c;
            form.used.insert((row.index, *c));
            form.used.insert((values.index, *vc));
            form.push(label_name(text), (*value).clone());
            continue;
        }
        // Options of a checklist with its marks in a column of their own: every caption is an
        // option, marked or not, and never another caption's value.
        for (r, caption_col, mark_col, mark) in marks.iter().filter(|(r, _, _, _)| *r == row.index) {
            if let Some(text) = grid.get((*r, *caption_col)).and_then(as_text) {
                form.col = *caption_col;
                form.used.insert((*r, *caption_col));
                form.used.insert((*r, *mark_col));
                form.push(label_name(text), mark.clone().unwrap_or(RawValue::Checked(false)));
            }
        }
        // A question with its options across the row and a tick under the chosen ones on the
        // row below ("Program requested | ECM | Community Supports | CHW" over "X" under CHW):
        // each option is a caption under the question, ticked or not.
        if let Some(next) = rows.get(ri + 1)
            && let Some((question, options)) = options_over_ticks(row, next)
        {
            for (c, caption, ticked) in options {
                form.used.insert((row.index, c));
                form.used.insert((next.index, c));
                form.at.push((row.index, c));
                form.entries.push(RawEntry {
                    name: label_name(caption),
                    alt: None,
                    section: question.map(label_name).or_else(|| form.section.clone()),
                    value: RawValue::Checked(ticked),
                    confidence: None,
                });
            }
            continue;
        }
        // Rows of labels printed over rows of their values ("Member Last Name | Member First
        // Name" over "Fakerly | Beatrix"): each label takes the cell under it, whatever the
        // columns hold elsewhere on the sheet.
        if let Some(values) = rows.get(ri + 1)
            && !row
                .cells
                .iter()
                .any(|(c, _)| form.used.contains(&(row.index, *c)))
            // A label beside its value in the sheet's column of values ("County | Sonoma County"
            // on a sheet of labels in A and values in B) is no row of captions, however much
            // the value reads like a label.
            && !(rhythm == 0
                && row.cells.len() == 2
                && row.cells.get(1).is_some_and(|(c, _)| form.value_cols.contains(c))
                && row.cells.first().is_some_and(|(c, _)| label_cols.contains(c)))
            && (labels_over_values(row, values)
                || (in_caption_rhythm(row, values, &caption_cols, rhythm)
                    && !form
                        .section
                        .as_deref()
                        .is_some_and(|h| is_checklist_heading(h) || h.contains('?'))))
        {
            // The sheet's rhythm of captions over values: two such rows or more, and the rows
            // after them whose cells stand in the same columns are captions too, whatever
            // their words ("Service coordinator | Regional center | Coordinator phone").
            rhythm += 1;
            caption_cols.extend(row.cells.iter().map(|(c, _)| *c));
            for (c, v) in &row.cells {
                let Some(text) = as_text(v) else { continue };
                form.col = *c;
                if let Some((_, value)) = values.cells.iter().find(|(vc, _)| vc == c) {
                    form.used.insert((values.index, *c));
                    form.push(label_name(text), (*value).clone());
                }
            }
            continue;
        }
        let cells: Vec<(u32, &RawValue)> = row
            .cells
            .iter()
            .copied()
            .filter(|(c, _)| !form.used.contains(&(row.index, *c)))
            .collect();
        if let Some(headings) = headings_side_by_side(grid, row.index, &cells) {
            form.columns = headings;
            continue;
        }
        match cells.as_slice() {
            [] => {}
            [(c, v)] => {
                form.col = *c;
                form.single((row.index, *c), v);
            }
            _ => form.several(row.index, &cells),
        }
    }
    by_columns(&mut form.entries, &form.at);
    form.entries
}

/// Two columns of `Label | value` pairs side by side with no headings over them — the member's
/// on the left, the referrer's on the right ("Referral date | … | Referred by | …") — are read
/// column by column, as a person reads them, so the role a column's first label names carries
/// down that column and not across the row (as the flattened-PDF reader does).
///
/// A block is a run of entries on consecutive rows, each in one of two label columns (at most
/// one per column per row), at least two rows with both, all values (no ticks) in one section.
fn by_columns(entries: &mut [RawEntry], at: &[(u32, u32)]) {
    let text = |k: usize| {
        entries
            .get(k)
            .is_some_and(|e| !matches!(e.value, RawValue::Checked(_)))
    };
    let section = |k: usize| entries.get(k).map(|e| e.section.clone());
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let mut i = 0;
    while i + 1 < entries.len() {
        let (Some(&(r0, cl)), Some(&(r1, cr))) = (at.get(i), at.get(i + 1)) else {
            break;
        };
        if r0 != r1 || cl >= cr || !text(i) || !text(i + 1) || section(i) != section(i + 1) {
            i += 1;
            continue;
        }
        let (mut left, mut right) = (Vec::new(), Vec::new());
        let mut both = 0;
        let mut last_row: Option<u32> = None;
        let in_block = |k: usize| text(k) && section(k) == section(i);
        let mut j = i;
        while let Some(&(r, c)) = at.get(j) {
            if !in_block(j) || last_row.is_some_and(|lr| r <= lr || r > lr + 2) {
                break;
            }
            if c == cl {
                left.push(j);
                j += 1;
                if at.get(j).is_some_and(|&(r2, c2)| r2 == r && c2 == cr) && in_block(j) {
                    right.push(j);
                    both += 1;
                    j += 1;
                }
            } else if c == cr {
                right.push(j);
                j += 1;
            } else {
                break;
            }
            last_row = Some(r);
        }
        // Only when the right column is another party's block, headed by who they are
        // ("Referred by", "Referring agency"); a right column that continues each row's data
        // ("Referral date", "Language", "City / ZIP" beside the member's) is read row by row.
        let party_block = right
            .first()
            .and_then(|&k| entries.get(k))
            .is_some_and(|e| crate::extract::heads_a_party_block(&e.name));
        if both >= 2 && party_block {
            let block: Vec<usize> = left.into_iter().chain(right).collect();
            if let Some(slot) = order.get_mut(i..j) {
                slot.copy_from_slice(&block);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    crate::extract::reorder(entries, &order);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> RawValue {
        RawValue::Text(s.to_string())
    }

    fn grid(cells: &[((u32, u32), RawValue)]) -> Grid {
        let mut g = Grid::default();
        for (pos, v) in cells {
            g.insert(*pos, v.clone());
        }
        g
    }

    fn pairs(entries: &[RawEntry]) -> Vec<(Option<&str>, &str, RawValue)> {
        entries
            .iter()
            .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.clone()))
            .collect()
    }

    /// Record `i`'s entries as (section, name, value as text).
    fn record_texts(records: &[RawRecord], i: usize) -> Vec<(Option<String>, String, String)> {
        records
            .get(i)
            .map(|r| {
                r.entries
                    .iter()
                    .map(|e| (e.section.clone(), e.name.clone(), e.value.as_text()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn vertical_merged_label_takes_the_value_under_its_region() {
        let mut g = grid(&[
            ((0, 0), t("Diagnosis / Notes:")),
            ((3, 0), t("Sample text")),
            ((3, 1), t("x")),
        ]);
        g.add_merge((0, 0), (2, 1));
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        assert_eq!(
            pairs(&entries),
            vec![(None, "Diagnosis / Notes", t("Sample text"))]
        );
    }

    /// A question with its options across a row and an X under the chosen one on the row below.
    #[test]
    fn class8_options_across_a_row_with_the_tick_below() {
        let g = grid(&[
            ((3, 0), t("Program requested")),
            ((3, 1), t("ECM")),
            ((3, 2), t("Community Supports")),
            ((3, 3), t("CHW")),
            ((4, 3), t("X")),
            ((6, 0), t("Date")),
            ((6, 1), t("12/04/2026")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        let p = pairs(&entries);
        let under = Some("Program requested");
        assert!(p.contains(&(under, "ECM", RawValue::Checked(false))), "{p:?}");
        assert!(p.contains(&(under, "CHW", RawValue::Checked(true))), "{p:?}");
        assert!(
            p.iter().any(|(_, n, v)| *n == "Date" && *v == t("12/04/2026")),
            "{p:?}"
        );
    }

    #[test]
    fn label_does_not_take_the_next_label_as_its_value() {
        let g = grid(&[
            ((0, 0), t("Name:")),
            ((0, 3), t("DOB:")),
            ((0, 4), t("01/05/1980")),
            ((1, 0), t("Jane Sample")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        assert_eq!(
            pairs(&entries),
            vec![(None, "Name", t("Jane Sample")), (None, "DOB", t("01/05/1980"))]
        );
    }

    #[test]
    fn caption_then_tick_and_unlabelled_headings() {
        let g = grid(&[
            ((0, 0), t("Programs")),
            ((1, 0), t("Housing Navigation")),
            ((1, 1), t("✓")),
            ((1, 2), t("Sobering Centers")),
            ((1, 3), RawValue::Checked(false)),
            ((2, 0), t("Member Name")),
            ((3, 0), t("Testy McTestface")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        assert_eq!(
            pairs(&entries),
            vec![
                (Some("Programs"), "Housing Navigation", RawValue::Checked(true)),
                (Some("Programs"), "Sobering Centers", RawValue::Checked(false)),
                (Some("Programs"), "Member Name", t("Testy McTestface")),
            ]
        );
    }

    #[test]
    fn table_after_title_rows_stops_at_long_gap() {
        let g = grid(&[
            ((0, 0), t("Batch")),
            ((2, 0), t("Name")),
            ((2, 1), t("CIN")),
            ((2, 2), t("Program")),
            ((3, 0), t("Jane Sample")),
            ((3, 2), t("ECM")),
            ((5, 0), t("Testy McTestface")),
            ((5, 1), t("91234567A")),
            ((5, 2), t("CS")),
            ((5, 7), t("stray, no header")),
            ((30, 0), t("Total")),
            ((30, 1), t("2")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("not a table")
        };
        let got: Vec<Vec<(&str, String)>> = records
            .iter()
            .map(|r| {
                r.entries
                    .iter()
                    .map(|e| (e.name.as_str(), e.value.as_text()))
                    .collect()
            })
            .collect();
        assert_eq!(
            got,
            vec![
                vec![
                    ("Name", "Jane Sample".to_string()),
                    ("Program", "ECM".to_string())
                ],
                vec![
                    ("Name", "Testy McTestface".to_string()),
                    ("CIN", "91234567A".to_string()),
                    ("Program", "CS".to_string())
                ],
            ]
        );
    }

    #[test]
    fn label_and_value_in_one_cell_are_entries() {
        let g = grid(&[
            ((0, 0), t("Date: 11/20/2026")),
            ((1, 0), t("Member name: Jane Sample")),
            ((1, 1), t("Date of birth: 01/15/1999")),
            ((2, 0), t("Referred by")),
            ((3, 0), t("Name: Testy McTestface")),
            ((4, 0), t("Phone: ")),
            ((4, 1), t("Email: ")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        assert_eq!(
            pairs(&entries),
            vec![
                (None, "Date", t("11/20/2026")),
                (None, "Member name", t("Jane Sample")),
                (None, "Date of birth", t("01/15/1999")),
                (Some("Referred by"), "Name", t("Testy McTestface")),
                (Some("Referred by"), "Phone", t("")),
                (Some("Referred by"), "Email", t("")),
            ]
        );
    }

    #[test]
    fn label_words_in_the_answer_column_are_values() {
        let g = grid(&[
            ((0, 0), t("Referring person")),
            ((0, 1), t("Testy McTestface")),
            ((1, 0), t("Organization")),
            ((1, 1), t("Example Violence Intervention Program")),
            ((2, 0), t("Phone")),
            ((2, 1), t("559.555.0232")),
            ((3, 0), t("Email")),
            ((3, 1), t("testy@example.org")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        assert_eq!(
            pairs(&entries).get(1),
            Some(&(None, "Organization", t("Example Violence Intervention Program")))
        );
        assert_eq!(entries.len(), 4);
    }

    #[test]
    fn form_row_with_labels_is_not_a_header() {
        let g = grid(&[
            ((0, 0), t("Name:")),
            ((0, 1), t("Jane Sample")),
            ((0, 2), t("Phone:")),
            ((0, 3), t("(916) 555-0199")),
            ((1, 0), t("CIN:")),
            ((1, 1), t("91234567A")),
        ]);
        assert!(matches!(read_sheet(&g), SheetLayout::Form(e) if e.len() == 3));
    }

    /// Issue #8 class 8: rows of labels over rows of values pair by column, even when those
    /// columns hold values elsewhere on the sheet.
    #[test]
    fn class8_label_rows_over_value_rows() {
        let g = grid(&[
            ((0, 0), t("Member Last Name")),
            ((0, 1), t("Member First Name")),
            ((1, 0), t("Fakerly")),
            ((1, 1), t("Beatrix")),
            ((2, 0), t("X")),
            ((2, 1), t("Experiencing homelessness")),
            ((3, 1), t("High utilizer")),
            ((4, 1), t("Serious mental illness")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        assert!(got.contains(&(None, "Member Last Name", t("Fakerly"))), "{got:?}");
        assert!(
            got.contains(&(None, "Member First Name", t("Beatrix"))),
            "{got:?}"
        );
    }

    /// Class 8 (tables): a header under a row of group headings, with a legend beside the table.
    #[test]
    fn class8_table_header_under_group_headings_and_a_legend_beside() {
        let mut g = grid(&[
            ((0, 0), t("County batch")),
            ((1, 0), t("MEMBER")),
            ((1, 2), t("REFERRING STAFF")),
            ((2, 0), t("Last Name")),
            ((2, 1), t("First Name")),
            ((2, 2), t("Name")),
            ((2, 3), t("Phone")),
            ((2, 5), t("POF 1")),
            ((2, 6), t("Homelessness")),
            ((3, 0), t("Fakerton")),
            ((3, 1), t("Marisol")),
            ((3, 2), t("Karen Notreal")),
            ((3, 3), t("213-555-0201")),
            ((3, 5), t("POF 2")),
            ((3, 6), t("High utilizers")),
            ((4, 0), t("Placeholder")),
            ((4, 1), t("Dewey")),
            ((4, 2), t("Karen Notreal")),
            ((4, 3), t("213-555-0201")),
        ]);
        g.add_merge((1, 0), (1, 1));
        g.add_merge((1, 2), (1, 3));
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        let first = records.first().map(|r| pairs(&r.entries)).unwrap_or_default();
        assert_eq!(
            first,
            vec![
                (Some("MEMBER"), "Last Name", t("Fakerton")),
                (Some("MEMBER"), "First Name", t("Marisol")),
                (Some("REFERRING STAFF"), "Name", t("Karen Notreal")),
                (Some("REFERRING STAFF"), "Phone", t("213-555-0201")),
            ]
        );
    }

    #[test]
    fn class8_a_key_under_the_table_is_no_record_and_decodes_its_codes() {
        let g = grid(&[
            ((0, 0), t("Example Plan - ECM Referral Log")),
            ((2, 0), t("Ref Date")),
            ((2, 1), t("Last Name")),
            ((2, 2), t("CIN")),
            ((2, 3), t("POF (see key)")),
            ((3, 0), t("10/12/2026")),
            ((3, 1), t("Sample")),
            ((3, 2), t("91122334H")),
            ((3, 3), t("H, BH")),
            ((4, 0), t("10/13/2026")),
            ((4, 1), t("Example")),
            ((4, 2), t("92233445J")),
            ((4, 3), t("HU")),
            ((7, 0), t("POF KEY")),
            ((8, 0), t("H = Individuals experiencing homelessness")),
            ((9, 0), t("HU = High utilizer")),
            ((10, 0), t("BH = Serious mental health and/or SUD needs")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table");
        };
        assert_eq!(records.len(), 2);
        let pof = |r: &RawRecord| {
            r.entries
                .iter()
                .find(|e| e.name.starts_with("POF"))
                .map(|e| e.value.clone())
        };
        assert_eq!(
            records.first().and_then(pof),
            Some(t(
                "Individuals experiencing homelessness; Serious mental health and/or SUD needs"
            ))
        );
        assert_eq!(records.get(1).and_then(pof), Some(t("High utilizer")));
    }

    #[test]
    fn class8_a_title_line_with_two_labelled_pieces_in_one_cell() {
        let g = grid(&[
            ((0, 0), t("Submitted by: Pat Example")),
            ((1, 0), t("Phone: (661) 555-0184    Email: pexample@example.org")),
            ((3, 0), t("Last")),
            ((3, 1), t("First")),
            ((3, 2), t("CIN")),
            ((4, 0), t("Sample")),
            ((4, 1), t("Jane")),
            ((4, 2), t("98811223Q")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table");
        };
        let got: Vec<(String, String)> = records
            .first()
            .map(|r| {
                r.entries
                    .iter()
                    .map(|e| (e.name.clone(), e.value.as_text()))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            got.contains(&("Phone".into(), "(661) 555-0184".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Email".into(), "pexample@example.org".into())),
            "{got:?}"
        );
    }

    #[test]
    fn class8_label_value_pairs_side_by_side_over_a_batch_are_the_senders() {
        let g = grid(&[
            ((0, 0), t("Probation Department - Reentry Unit")),
            ((2, 0), t("Referring agency:")),
            ((2, 2), t("Example County Probation")),
            ((2, 4), t("Phone:")),
            ((2, 5), t("562-555-0150")),
            ((3, 0), t("Contact:")),
            ((3, 2), t("Pat Example")),
            ((3, 4), t("Email:")),
            ((3, 5), t("pexample@example.org")),
            ((5, 0), t("Last\nName")),
            ((5, 1), t("First\nName")),
            ((5, 2), t("Medi-Cal\nCIN")),
            ((6, 0), t("Sample")),
            ((6, 1), t("Jane")),
            ((6, 2), t("98811223Q")),
            ((7, 0), t("Demo")),
            ((7, 1), t("John")),
            ((7, 2), t("98811224R")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table, not a form");
        };
        assert_eq!(records.len(), 2);
        let got = record_texts(&records, 1);
        let by = Some("Submitted by".to_string());
        for want in [
            (by.clone(), "Contact", "Pat Example"),
            (by.clone(), "Referring agency", "Example County Probation"),
            (by.clone(), "Phone", "562-555-0150"),
            (None, "Last Name", "Demo"),
        ] {
            let want = (want.0, want.1.to_string(), want.2.to_string());
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    #[test]
    fn class8_a_title_line_with_a_name_then_its_phone_and_email_run_together() {
        let g = grid(&[
            (
                (0, 0),
                t("Referring CHW: Pat Example  (909) 555-0179  pexample@example.org"),
            ),
            ((1, 0), t("Member Name")),
            ((1, 1), t("DOB")),
            ((1, 2), t("CIN")),
            ((2, 0), t("Sample, Jane")),
            ((2, 1), t("04/02/1979")),
            ((2, 2), t("98811223Q")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table");
        };
        let got: Vec<(String, String)> = record_texts(&records, 0)
            .into_iter()
            .map(|(_, name, value)| (name, value))
            .collect();
        for want in [
            ("Referring CHW", "Pat Example"),
            ("Phone", "(909) 555-0179"),
            ("Email", "pexample@example.org"),
        ] {
            let want = (want.0.to_string(), want.1.to_string());
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    /// A blank label ("MRN") and the unticked options of a checklist marked in a column to the
    /// right head nothing: the referrer's Phone below keeps the section it had.
    #[test]
    fn class8_blank_labels_and_unticked_options_are_not_headings() {
        let g = grid(&[
            ((0, 0), t("CIN")),
            ((0, 2), t("97123456E")),
            ((1, 0), t("MRN")),
            ((2, 0), t("Cell phone")),
            ((2, 2), t("408-555-0117")),
            ((4, 0), t("Population of Focus (mark X)")),
            ((5, 0), t("Individuals Experiencing Homelessness")),
            ((6, 0), t("Children/Youth Involved in Child Welfare")),
            ((7, 0), t("Birth Equity")),
            ((7, 2), t("X")),
            ((9, 0), t("Referrer name")),
            ((9, 2), t("Pat Example")),
            ((10, 0), t("Phone")),
            ((10, 2), t("408-555-0180")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got: Vec<(Option<&str>, &str)> = entries
            .iter()
            .map(|e| (e.section.as_deref(), e.name.as_str()))
            .collect();
        assert!(got.contains(&(None, "Cell phone")), "{got:?}");
        let phone = got.iter().find(|(_, n)| *n == "Phone").expect("phone");
        assert_eq!(phone.0, Some("Population of Focus (mark X)"), "{got:?}");
    }

    /// Issue #8 (blind74): "Area of need | Mark X" in a sheet of captions over values heads a
    /// checklist and its tick column: the first option under it ("Physical health", unmarked)
    /// is no value of it.
    #[test]
    fn class74_a_checklist_heading_row_among_captions_over_values() {
        let g = grid(&[
            ((0, 0), t("Referral Date")),
            ((0, 1), t("Last Name")),
            ((0, 2), t("First Name")),
            ((1, 0), t("12/02/2026")),
            ((1, 1), t("Fakerly")),
            ((1, 2), t("Milo")),
            ((2, 0), t("Date of Birth")),
            ((2, 1), t("Medi-Cal CIN")),
            ((2, 2), t("Home Phone")),
            ((3, 0), t("04/02/2016")),
            ((3, 1), t("95566778E")),
            ((3, 2), t("(909) 555-0125")),
            ((4, 0), t("County")),
            ((4, 1), t("Hours requested")),
            ((5, 0), t("San Bernardino")),
            ((5, 1), t("8")),
            ((7, 0), t("Area of need")),
            ((7, 1), t("Mark X")),
            ((8, 0), t("Physical health")),
            ((9, 0), t("Behavioral health")),
            ((9, 1), t("X")),
            ((10, 0), t("Social needs")),
            ((10, 1), t("X")),
        ]);
        let pairs = form_pairs(&g);
        assert!(!pairs.iter().any(|p| p.starts_with("Area of need=")), "{pairs:?}");
        assert!(pairs.contains(&"Last Name=Fakerly".to_string()), "{pairs:?}");
    }

    /// Issue #8 (blind77): "Program | ECM | | Community Supports | X" — options each with its
    /// tick cell right of it — ticks Community Supports, not "Program = ECM".
    #[test]
    fn class77_options_each_with_its_tick_cell_on_the_questions_row() {
        let g = grid(&[
            ((0, 0), t("Program")),
            ((0, 1), t("ECM")),
            ((0, 3), t("Community Supports")),
            ((0, 4), t("X")),
            ((2, 0), t("Child's name")),
            ((2, 1), t("Juniper Sample")),
            ((3, 0), t("CIN")),
            ((3, 1), t("95512876J")),
        ]);
        let pairs = form_pairs(&g);
        assert!(!pairs.contains(&"Program=ECM".to_string()), "{pairs:?}");
        assert!(pairs.contains(&"ECM=[ ]".to_string()), "{pairs:?}");
        assert!(pairs.contains(&"Community Supports=X".to_string()), "{pairs:?}");
        assert!(
            pairs.contains(&"Child's name=Juniper Sample".to_string()),
            "{pairs:?}"
        );
    }

    /// Issue #8 (blind80): a checklist's heading is neither the value of the label above it
    /// ("County | San Joaquin County" over "SERVICES (mark X)") nor, with a colon, a label over
    /// its first option ("Program requested (X):" over "ECM", "CS", "CHW | X").
    #[test]
    fn class80_a_checklist_heading_is_no_value_and_takes_none() {
        let g = grid(&[
            ((0, 0), t("Member name")),
            ((0, 1), t("Ignatius Sample")),
            ((1, 0), t("County")),
            ((1, 1), t("San Joaquin County")),
            ((2, 0), t("SERVICES (mark X)")),
            ((3, 0), t("Housing Deposits")),
            ((3, 1), t("X")),
            ((4, 0), t("Transitional Rent")),
            ((6, 0), t("Program requested (X):")),
            ((7, 0), t("ECM")),
            ((8, 0), t("CS")),
            ((9, 0), t("CHW")),
            ((9, 1), t("X")),
        ]);
        let pairs = form_pairs(&g);
        assert!(
            pairs.contains(&"County=San Joaquin County".to_string()),
            "{pairs:?}"
        );
        assert!(
            !pairs.iter().any(|p| p.starts_with("Program requested")),
            "{pairs:?}"
        );
        assert!(pairs.contains(&"CHW=X".to_string()), "{pairs:?}");
    }

    /// A sheet read as a form, as `label=value` strings.
    fn form_pairs(g: &Grid) -> Vec<String> {
        let SheetLayout::Form(entries) = read_sheet(g) else {
            panic!("a form")
        };
        names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect()
    }

    fn names(entries: &[RawEntry]) -> Vec<(Option<&str>, &str, String)> {
        entries
            .iter()
            .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.as_text()))
            .collect()
    }

    /// Member and referrer sections side by side, label beside value, under headings in
    /// capitals on one row: a form (not a table whose header is "Last name | Bogusian | …"),
    /// each label under the heading of its own columns.
    #[test]
    fn class8_sections_side_by_side_under_headings_on_one_row() {
        let g = grid(&[
            ((0, 0), t("MEMBER")),
            ((0, 3), t("REFERRER")),
            ((1, 0), t("Last name")),
            ((1, 1), t("Bogusian")),
            ((1, 3), t("Name")),
            ((1, 4), t("Pat Sample, MSW")),
            ((2, 0), t("First name")),
            ((2, 1), t("Hyacinth")),
            ((2, 3), t("Phone")),
            ((2, 4), t("714-555-0197")),
            ((3, 0), t("Phone")),
            ((3, 1), t("714-555-0152")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = names(&entries);
        assert!(
            got.contains(&(Some("MEMBER"), "Last name", "Bogusian".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("REFERRER"), "Name", "Pat Sample, MSW".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("REFERRER"), "Phone", "714-555-0197".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("MEMBER"), "Phone", "714-555-0152".into())),
            "{got:?}"
        );
    }

    /// A sender line of `Label: | value` pairs right over a batch's header (no blank row between)
    /// is the sender's, not group headings naming each column's section.
    #[test]
    fn class19_sender_pairs_right_over_the_header_are_not_group_headings() {
        let g = grid(&[
            ((0, 0), t("Sample Youth Services - referral log")),
            ((1, 0), t("Referrer:")),
            ((1, 1), t("Pat Example")),
            ((1, 2), t("Phone:")),
            ((1, 3), t("209-555-0100")),
            ((2, 0), t("Ref date")),
            ((2, 1), t("Member last")),
            ((2, 2), t("Member first")),
            ((2, 3), t("DOB")),
            ((2, 4), t("CIN")),
            ((2, 5), t("Phone")),
            ((3, 0), t("12/03/2026")),
            ((3, 1), t("Fakely")),
            ((3, 2), t("Ignatius")),
            ((3, 3), t("02/14/1988")),
            ((3, 4), t("91122334D")),
            ((3, 5), t("209-555-0111")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 1);
        let got = names(&records[0].entries);
        assert!(
            got.iter().any(|(_, n, v)| *n == "Referrer" && v == "Pat Example"),
            "{got:?}"
        );
        assert!(got.contains(&(None, "Member last", "Fakely".into())), "{got:?}");
    }

    /// A batch with a sender line whose label has two values ("Phone / email: | phone |
    /// email") above it, and a `label | value` block under it: both are the sender's, for every
    /// row, and the block's rows are not members.
    #[test]
    fn class8_sender_lines_above_and_a_block_under_a_batch() {
        let g = grid(&[
            ((0, 2), t("Referring agency:")),
            ((0, 4), t("Example Reentry")),
            ((1, 2), t("Phone / email:")),
            ((1, 4), t("(951) 555-0177")),
            ((1, 5), t("fnonce@example.org")),
            ((3, 2), t("Last")),
            ((3, 3), t("First")),
            ((3, 4), t("Date of Birth")),
            ((3, 5), t("CIN")),
            ((4, 2), t("Fakely")),
            ((4, 3), t("Ignatius")),
            ((4, 4), t("02/14/1988")),
            ((4, 5), t("91122334D")),
            ((5, 2), t("Nil")),
            ((5, 3), t("Solange")),
            ((5, 4), t("06/02/1993")),
            ((5, 5), t("92233445E")),
            ((7, 2), t("Prepared by")),
            ((7, 3), t("Cosimo Phantom")),
            ((8, 2), t("Phone")),
            ((8, 3), t("530-555-0170")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2, "the block under the table is not a member");
        for r in &records {
            let got = names(&r.entries);
            assert!(
                got.iter()
                    .any(|(_, n, v)| *n == "Phone / email" && v == "fnonce@example.org"),
                "{got:?}"
            );
            assert!(
                got.contains(&(Some("Submitted by"), "Prepared by", "Cosimo Phantom".into())),
                "{got:?}"
            );
            assert!(
                got.contains(&(Some("Submitted by"), "Phone", "530-555-0170".into())),
                "{got:?}"
            );
        }
    }

    /// Issue #8 (blind83): an organisation among the pieces of the sender's line above a batch
    /// ("Referrer: Name | phone | email | Org") is the referrer's organisation for every row; a
    /// piece that is about the sheet or the plan is not.
    #[test]
    fn class83_the_senders_organisation_in_a_batchs_sender_line() {
        for (title, sender, want) in [
            (
                "ECM referrals",
                "Referrer: Gwen Sample | 619-555-0181 | Reentry Sample Partners",
                Some("Reentry Sample Partners"),
            ),
            (
                "Community Health Worker referrals",
                "Referrer: Gwen Sample | 619-555-0181 | Desert Sample Health Promoters",
                Some("Desert Sample Health Promoters"),
            ),
            (
                "Reentry Sample Partners - ECM referrals",
                "Referrer: Gwen Sample | 619-555-0181 | Kaiser Permanente Health Plan referrals",
                None,
            ),
        ] {
            let g = grid(&[
                ((0, 0), t(title)),
                ((1, 0), t(sender)),
                ((3, 0), t("Last")),
                ((3, 1), t("First")),
                ((3, 2), t("Date of Birth")),
                ((3, 3), t("CIN")),
                ((4, 0), t("Fakely")),
                ((4, 1), t("Ignatius")),
                ((4, 2), t("02/14/1988")),
                ((4, 3), t("91122334D")),
                ((5, 0), t("Nil")),
                ((5, 1), t("Solange")),
                ((5, 2), t("06/02/1993")),
                ((5, 3), t("92233445E")),
            ]);
            let SheetLayout::Table(records) = read_sheet(&g) else {
                panic!("a table")
            };
            for r in &records {
                let got = names(&r.entries);
                let org = got
                    .iter()
                    .find(|(sec, n, _)| *sec == Some("Submitted by") && *n == "Organization")
                    .map(|(_, _, v)| v.as_str());
                assert_eq!(org, want, "{title}: {got:?}");
            }
        }
    }

    /// "Date sent | 12/01/2026 | <title>" over a batch's header: a line about the batch (its
    /// date holds for every row), not a form row that makes the sheet a form.
    #[test]
    fn class8_a_dated_title_line_over_a_batch() {
        let g = grid(&[
            ((0, 0), t("Date sent")),
            (
                (0, 1),
                RawValue::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")),
            ),
            ((0, 3), t("Central Valley liaison - ECM referrals")),
            ((2, 0), t("Member Last Name")),
            ((2, 1), t("Member First Name")),
            ((2, 2), t("Medi-Cal CIN")),
            ((2, 3), t("County")),
            ((3, 0), t("Mockett")),
            ((3, 1), t("Zinnia")),
            ((3, 2), t("94120378P")),
            ((3, 3), t("Fresno")),
            ((4, 0), t("Shamberg")),
            ((4, 1), t("Everett")),
            ((4, 2), t("94120379Q")),
            ((4, 3), t("Madera")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        for r in &records {
            assert!(
                r.entries.iter().any(|e| e.name == "Date sent"),
                "{:?}",
                names(&r.entries)
            );
        }
    }

    /// "Submitted | 12/18/2026 | by | Pat Sample | Phone | 559-555-0195" right over a batch's
    /// header: the sender's line (colon-less pairs, "by" continuing "Submitted"), not the header.
    #[test]
    fn class8_colon_less_sender_pairs_over_a_batch() {
        let g = grid(&[
            ((0, 0), t("Submitted")),
            ((0, 1), t("12/18/2026")),
            ((0, 2), t("by")),
            ((0, 3), t("Octavio Sample")),
            ((0, 4), t("Phone")),
            ((0, 5), t("559-555-0195")),
            ((1, 0), t("Name (First Last)")),
            ((1, 1), t("Birth date")),
            ((1, 2), t("CIN")),
            ((1, 3), t("County")),
            ((2, 0), t("Benicio Sample")),
            ((2, 1), t("12/19/1999")),
            ((2, 2), t("93010203J")),
            ((2, 3), t("Madera")),
            ((3, 0), t("Marie Example")),
            ((3, 1), t("08/08/1980")),
            ((3, 2), t("93010204K")),
            ((3, 3), t("Fresno")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        for r in &records {
            let got = names(&r.entries);
            assert!(
                got.iter()
                    .any(|(_, n, v)| *n == "Submitted by" && v == "Octavio Sample"),
                "{got:?}"
            );
            assert!(
                got.iter().any(|(_, n, v)| *n == "Phone" && v == "559-555-0195"),
                "{got:?}"
            );
        }
    }

    /// A checklist with its marks right of the captions, the first option on the label's row
    /// ("Program | Enhanced Care Management" over "| Community Supports | X"): every caption is
    /// an option, marked or not — ECM is not the program's value.
    #[test]
    fn class8_a_checklist_marked_on_the_right_starting_on_its_labels_row() {
        let g = grid(&[
            ((0, 0), t("Program")),
            ((0, 1), t("Enhanced Care Management")),
            ((1, 1), t("Community Supports")),
            ((1, 2), t("X")),
            ((2, 1), t("Community Health Worker")),
            ((4, 0), t("Name")),
            ((4, 1), t("Tiberius Sample")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = names(&entries);
        assert!(
            got.iter()
                .any(|(_, n, v)| *n == "Enhanced Care Management" && v == "[ ]"),
            "{got:?}"
        );
        assert!(
            got.iter().any(|(_, n, v)| *n == "Community Supports" && v == "X"),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, n, _)| *n == "Program"), "{got:?}");
    }

    #[test]
    fn class8_a_question_over_its_yes_or_no_answer() {
        let g = grid(&[
            ((0, 0), t("County")),
            ((0, 1), t("Hours requested")),
            ((1, 0), t("Contra Costa")),
            ((1, 1), t("6")),
            ((2, 0), t("Currently enrolled in ECM?")),
            ((3, 0), t("Yes")),
            ((4, 0), t("Referrer name")),
            ((4, 1), t("Organization")),
            ((5, 0), t("Pat Example")),
            ((5, 1), t("Example Wellness")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got: Vec<(Option<&str>, &str, RawValue)> = entries
            .iter()
            .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.clone()))
            .collect();
        assert!(
            got.contains(&(None, "Currently enrolled in ECM?", t("Yes"))),
            "{got:?}"
        );
        assert!(
            got.contains(&(None, "Referrer name", t("Pat Example"))),
            "{got:?}"
        );
    }

    #[test]
    fn class8_two_checklists_side_by_side_with_marks_left_of_captions() {
        let g = grid(&[
            ((0, 0), t("ECM - Population of Focus")),
            ((0, 3), t("Community Supports requested")),
            ((1, 0), t("X")),
            ((1, 1), t("Experiencing homelessness")),
            ((1, 4), t("Housing Transition Navigation")),
            ((2, 1), t("High utilizer")),
            ((2, 3), t("X")),
            ((2, 4), t("Housing Deposits")),
            ((3, 1), t("Birth equity")),
            ((5, 0), t("Referring clinician")),
            ((5, 2), t("Clinic")),
            ((5, 4), t("Clinician phone")),
            ((6, 0), t("Pat Example")),
            ((6, 2), t("Example Demo Clinic")),
            ((6, 4), t("415-555-0181")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got: Vec<(&str, RawValue)> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.value.clone()))
            .collect();
        for want in [
            ("Experiencing homelessness", t("X")),
            ("Housing Transition Navigation", RawValue::Checked(false)),
            ("High utilizer", RawValue::Checked(false)),
            ("Housing Deposits", t("X")),
            ("Birth equity", RawValue::Checked(false)),
            ("Referring clinician", t("Pat Example")),
            ("Clinic", t("Example Demo Clinic")),
            ("Clinician phone", t("415-555-0181")),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    #[test]
    fn class8_a_contact_line_above_a_batch_is_the_senders_and_a_key_may_share_a_cell() {
        let g = grid(&[
            ((0, 0), t("Contact: Pat Example, SW III  |  209-555-0193")),
            ((1, 0), t("PoF codes:  A = Reentry   B = SMI/SUD")),
            ((3, 0), t("Last")),
            ((3, 1), t("First")),
            ((3, 2), t("PoF code(s)")),
            ((4, 0), t("Sample")),
            ((4, 1), t("Jane")),
            ((4, 2), t("A, B")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table");
        };
        let got = record_texts(&records, 0);
        let by = Some("Submitted by".to_string());
        assert!(
            got.contains(&(by.clone(), "Contact".into(), "Pat Example, SW III".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(by, "Phone".into(), "209-555-0193".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(None, "PoF code(s)".into(), "Reentry; SMI/SUD".into())),
            "{got:?}"
        );
    }
    /// Issue #8 (blind27): a form row with a note beside its value ("Kaiser MRN | 11223344 |
    /// (no Medi-Cal card on hand)") is three texts in a row, but a number is no column heading:
    /// the sheet stays a form, and the rows under it are its fields, not fourteen members.
    #[test]
    fn class27_a_number_beside_its_label_is_no_column_heading() {
        let g = grid(&[
            ((0, 0), t("Example Community Meals")),
            ((2, 0), t("Name")),
            ((2, 1), t("Eugenia Sample")),
            ((3, 0), t("Kaiser MRN")),
            ((3, 1), t("11223344")),
            ((3, 2), t("(no Medi-Cal card on hand)")),
            ((4, 0), t("Phone")),
            ((4, 1), t("415.555.0131")),
            ((5, 0), t("City")),
            ((5, 1), t("San Rafael")),
            ((6, 0), t("County")),
            ((6, 1), t("Marin")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form, not a table")
        };
        let got: Vec<String> = names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        assert!(got.contains(&"Phone=415.555.0131".to_string()), "{got:?}");
        assert!(got.contains(&"County=Marin".to_string()), "{got:?}");
    }

    /// Issue #8 (blind34): "Member" and "Referrer" merged over their own two columns head them,
    /// so the referrer's "Name" and "Phone" are the referrer's; "Last Name" merged over A:B
    /// beside its merged value is no heading. And "Date Referred | 11/16/2026" over a batch's
    /// header is a label and its value, not two groups of columns.
    #[test]
    fn class34_merged_party_headings_side_by_side_and_a_dated_line_over_a_batch() {
        let mut g = grid(&[
            ((0, 0), t("Example Promotoras - CHW Services Request")),
            ((1, 0), t("Member")),
            ((1, 2), t("Referrer")),
            ((2, 0), t("Name")),
            ((2, 1), t("Florian Sample")),
            ((2, 2), t("Name")),
            ((2, 3), t("Rosalba Example")),
            ((3, 0), t("CIN")),
            ((3, 1), t("98765432V")),
            ((3, 2), t("Phone")),
            ((3, 3), t("805-555-0176")),
            ((4, 0), t("Phone")),
            ((4, 1), t("805-555-0143")),
            ((4, 2), t("Email")),
            ((4, 3), t("r@example.org")),
        ]);
        g.add_merge((1, 0), (1, 1));
        g.add_merge((1, 2), (1, 3));
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        assert!(
            got.contains(&(Some("Referrer"), "Name", t("Rosalba Example"))),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("Referrer"), "Phone", t("805-555-0176"))),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("Member"), "Phone", t("805-555-0143"))),
            "{got:?}"
        );

        let mut g = grid(&[
            ((2, 0), t("Last Name")),
            ((2, 2), t("Pseudonymous")),
            ((3, 0), t("First Name")),
            ((3, 2), t("Griselda")),
        ]);
        g.add_merge((2, 0), (2, 1));
        g.add_merge((2, 2), (2, 3));
        g.add_merge((3, 0), (3, 1));
        g.add_merge((3, 2), (3, 3));
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        assert!(got.contains(&(None, "Last Name", t("Pseudonymous"))), "{got:?}");

        let batch = grid(&[
            ((0, 0), t("Example Behavioral Health - ECM referrals")),
            ((1, 0), t("Date Referred")),
            ((1, 1), t("11/16/2026")),
            ((2, 0), t("Last Name")),
            ((2, 1), t("First Name")),
            ((2, 2), t("CIN")),
            ((2, 3), t("Phone")),
            ((3, 0), t("Mockwell")),
            ((3, 1), t("Ignatius")),
            ((3, 2), t("95001122E")),
            ((3, 3), t("661-555-0120")),
            ((4, 0), t("Shamwell")),
            ((4, 1), t("Philippa")),
            ((4, 2), t("95001123F")),
            ((4, 3), t("760-555-0121")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&batch) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        for i in 0..2 {
            let r = record_texts(&records, i);
            assert!(
                r.iter()
                    .any(|(_, n, v)| n == "Date Referred" && v == "11/16/2026"),
                "{r:?}"
            );
            assert!(r.iter().any(|(s, n, _)| n == "Last Name" && s.is_none()), "{r:?}");
        }
    }

    /// Issue #8 (blind38): a CSV batch whose sender's pairs follow the rows with no blank line
    /// between (the CSV reader drops it): still a table of two members, the pairs every row's.
    #[test]
    fn class38_a_senders_pairs_right_under_a_csv_batch() {
        let mut cells = Vec::new();
        let header = [
            "Member Name",
            "DOB",
            "CIN",
            "Phone",
            "City",
            "County",
            "Needs",
            "Hours",
            "In ECM?",
            "Referral Date",
        ];
        for (c, h) in header.iter().enumerate() {
            cells.push(((0, c as u32), t(h)));
        }
        let rows = [
            [
                "Ines Sample",
                "02/14/1985",
                "99200001N",
                "916-555-0151",
                "Roseville",
                "Placer",
                "Social",
                "3",
                "N",
                "12/02/2026",
            ],
            [
                "Jose Sample",
                "07/07/1962",
                "99200002P",
                "530-555-0152",
                "Auburn",
                "Placer",
                "Physical",
                "2",
                "Y",
                "12/02/2026",
            ],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                cells.push(((r as u32 + 1, c as u32), t(v)));
            }
        }
        for (r, (l, v)) in [
            ("Referred by", "Maelle Sample"),
            ("Organization", "Example Promotoras"),
            ("Phone", "916-555-0185"),
        ]
        .iter()
        .enumerate()
        {
            cells.push(((r as u32 + 3, 0), t(l)));
            cells.push(((r as u32 + 3, 1), t(v)));
        }
        let SheetLayout::Table(records) = read_sheet(&grid(&cells)) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        for i in 0..2 {
            let r = record_texts(&records, i);
            assert!(
                r.iter()
                    .any(|(_, n, v)| n == "Referred by" && v == "Maelle Sample"),
                "{r:?}"
            );
        }
    }

    /// Issue #8 (blind42): a column of captions and values stacked one per row pairs two by two,
    /// whatever a caption's capitals ("CIN / BIC", "ZIP") or a value's words ("San Bernardino
    /// County CFS"); a checklist's unmarked options in such a column are not pairs.
    #[test]
    fn class42_captions_and_values_stacked_in_one_column() {
        let cells: Vec<((u32, u32), RawValue)> = [
            "Referral Date",
            "12/01/2026",
            "Youth Last Name",
            "Fakhouri",
            "CIN / BIC",
            "97123456B",
            "ZIP",
            "92408",
            "Agency",
            "San Bernardino County CFS - Extended Foster Care",
        ]
        .iter()
        .enumerate()
        .map(|(k, v)| ((3 + k as u32, 1), t(v)))
        .collect();
        let SheetLayout::Form(entries) = read_sheet(&grid(&cells)) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        for (n, v) in [
            ("CIN / BIC", "97123456B"),
            ("ZIP", "92408"),
            ("Agency", "San Bernardino County CFS - Extended Foster Care"),
        ] {
            assert!(
                got.iter().any(|(_, name, value)| *name == n && *value == t(v)),
                "{n}: {got:?}"
            );
        }
        let g = grid(&[
            ((0, 0), t("Last Name")),
            ((0, 1), t("Sample")),
            ((1, 0), t("SERVICES REQUESTED (check all that apply)")),
            ((2, 0), t("Housing Transition Navigation Services")),
            ((3, 0), t("Housing Deposits")),
            ((4, 0), t("Housing Tenancy and Sustaining Services")),
            ((5, 0), t("Short-Term Post-Hospitalization Housing")),
            ((5, 1), t("X")),
            ((6, 0), t("Day Habilitation Programs")),
            ((7, 0), t("Respite Services")),
            ((8, 0), t("Sobering Centers")),
            ((9, 0), t("Asthma Remediation")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        // Each option is an option, unmarked: none took the next as its value.
        for n in ["Housing Deposits", "Respite Services", "Sobering Centers"] {
            assert!(
                got.iter()
                    .any(|(_, name, v)| *name == n && *v == RawValue::Checked(false)),
                "{n}: {got:?}"
            );
        }
    }

    /// Issue #8 (blind36): "Areas of need | Behavioral | Social" is one answer of two items; a
    /// four-column row ("CIN | 92105543-b | KP Medi-Cal? (Y/N) | Y") is two pairs still.
    #[test]
    fn class36_a_label_with_several_item_cells_beside_it() {
        let g = grid(&[
            (
                (0, 0),
                t("Example Unified School District - Student Health Services"),
            ),
            ((1, 0), t("Community Health Worker Services Request")),
            ((3, 0), t("Date of request")),
            ((3, 1), t("12/02/2026")),
            ((4, 0), t("Student name")),
            ((4, 1), t("Milo Sample")),
            ((5, 0), t("Medi-Cal number")),
            ((5, 1), t("95566778M")),
            ((6, 0), t("County")),
            ((6, 1), t("San Diego")),
            ((8, 0), t("Areas of need")),
            ((8, 1), t("Behavioral")),
            ((8, 2), t("Social")),
            ((9, 0), t("Hours requested")),
            ((9, 1), RawValue::Number(2.0)),
            ((10, 0), t("Already enrolled in ECM?")),
            ((10, 1), t("No")),
            ((12, 0), t("Requested by")),
            ((12, 1), t("Rosalind Example")),
            ((13, 0), t("Phone")),
            ((13, 1), t("619-555-0170")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        assert!(
            got.iter()
                .any(|(_, n, v)| *n == "Areas of need" && *v == t("Behavioral; Social")),
            "{got:?}"
        );
        let g = grid(&[
            (
                (0, 0),
                t("Example Housing Services - Referral (Community Supports)"),
            ),
            ((2, 0), t("Client Name (Last, First)")),
            ((2, 1), t("Sample, Solomon")),
            ((2, 2), t("Referral date")),
            ((2, 3), t("12/03/2026")),
            ((3, 0), t("DOB")),
            ((3, 1), t("1969-10-10")),
            ((3, 2), t("Plan")),
            ((3, 3), t("Kaiser Permanente")),
            ((4, 0), t("CIN")),
            ((4, 1), t("92105543-b")),
            ((4, 2), t("KP Medi-Cal? (Y/N)")),
            ((4, 3), t("Y")),
            ((5, 0), t("County")),
            ((5, 1), t("San Francisco")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got = pairs(&entries);
        assert!(
            got.iter().any(|(_, n, v)| *n == "CIN" && *v == t("92105543-b")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(_, n, v)| n.starts_with("KP Medi-Cal") && *v == t("Y")),
            "{got:?}"
        );
    }

    /// Issue #8 (blind33): captions over values three across, the rows after the first two in
    /// the same columns are captions too, whatever their words ("Service coordinator | Regional
    /// center | Coordinator phone", a lone "Population of focus").
    #[test]
    fn class33_captions_over_values_keep_their_rhythm() {
        let g = grid(&[
            ((2, 0), t("Referral date")),
            ((2, 2), t("Consumer last name")),
            ((3, 0), t("11/19/2026")),
            ((3, 2), t("Sampleberg")),
            ((5, 0), t("Birth date")),
            ((5, 2), t("CIN")),
            ((6, 0), t("11/19/2005")),
            ((6, 2), t("96677001V")),
            ((8, 0), t("Population of focus")),
            ((9, 0), t("Adult at risk for LTC institutionalization")),
            ((11, 0), t("Service coordinator")),
            ((11, 2), t("Regional center")),
            ((12, 0), t("Benedikt Sample")),
            ((12, 2), t("San Diego Example Regional Center")),
        ]);
        let got = form_pairs(&g);
        assert!(
            got.contains(&"Service coordinator=Benedikt Sample".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"Population of focus=Adult at risk for LTC institutionalization".to_string()),
            "{got:?}"
        );
    }

    /// Issue #8 (blind51): two label/value pairs a row, the right values a county and an agency
    /// that read like labels themselves: the column right of a column of labels holds values.
    #[test]
    fn class51_the_column_right_of_a_column_of_labels_holds_values() {
        let g = grid(&[
            ((2, 0), t("Name (Last, First)")),
            ((2, 1), t("Quickfake, Dorian")),
            ((2, 2), t("DOB")),
            ((2, 3), t("10/02/1979")),
            ((3, 0), t("Medi-Cal CIN")),
            ((3, 1), t("99400909J")),
            ((3, 2), t("Phone")),
            ((3, 3), t("805-555-0114")),
            ((4, 0), t("City")),
            ((4, 1), t("Oxnard")),
            ((4, 2), t("County")),
            ((4, 3), t("Ventura County")),
            ((5, 0), t("Service requested")),
            ((5, 1), t("Sobering Center")),
            ((5, 2), t("Date")),
            ((5, 3), t("11/18/2026")),
            ((6, 0), t("Referring officer")),
            ((6, 1), t("Sgt. Wilhelmina Fakeley")),
            ((6, 2), t("Agency")),
            ((6, 3), t("Ventura County Sheriff's Office")),
        ]);
        let got = form_pairs(&g);
        for want in [
            "County=Ventura County",
            "Date=11/18/2026",
            "Agency=Ventura County Sheriff's Office",
        ] {
            assert!(got.contains(&want.to_string()), "{want}: {got:?}");
        }
    }

    /// Issue #8 (blind49): a title line "CS batch submitted 12/01/2026 by Pat Sample, email,
    /// phone" over a batch gives the date it was sent as well as who sent it.
    #[test]
    fn class49_submitted_on_a_date_by_someone() {
        let got =
            submitted_by("CS batch submitted 12/01/2026 by Rosalind Sample, rsample@x.example, 909-555-0121");
        let view: Vec<(String, String)> = got
            .iter()
            .map(|e| (e.name.clone(), as_text(&e.value).unwrap_or_default().to_string()))
            .collect();
        assert!(
            view.contains(&("Name".into(), "Rosalind Sample".into())),
            "{view:?}"
        );
        assert!(
            view.contains(&("Date submitted".into(), "12/01/2026".into())),
            "{view:?}"
        );
        assert!(
            view.contains(&("Phone".into(), "909-555-0121".into())),
            "{view:?}"
        );
    }

    /// Issue #8 (blind52): under a sheet of captions over values, a checklist of items each
    /// answered Y or N beside it is read across ("Respite | Y"), not as captions over captions.
    #[test]
    fn class52_items_answered_y_or_n_beside_them_under_captions_over_values() {
        let g = grid(&[
            ((2, 0), t("Referral date")),
            ((2, 2), t("Member first name")),
            ((3, 0), t("2026-11-16")),
            ((3, 2), t("Augustina")),
            ((5, 0), t("Birth date")),
            ((5, 2), t("CIN")),
            ((6, 0), t("1939-03-12")),
            ((6, 2), t("93011288B")),
            ((8, 0), t("Services requested (Y/N)")),
            ((9, 0), t("Respite services for caregiver")),
            ((9, 2), t("Y")),
            ((10, 0), t("Personal care / homemaker")),
            ((10, 2), t("Y")),
            ((11, 0), t("Home modifications")),
            ((11, 2), t("N")),
        ]);
        let got = form_pairs(&g);
        for want in [
            "Respite services for caregiver=Y",
            "Personal care / homemaker=Y",
            "Home modifications=N",
        ] {
            assert!(got.contains(&want.to_string()), "{want}: {got:?}");
        }
    }

    /// Issue #8 (blind68): a key of codes on another sheet of the workbook (an instructions
    /// sheet's "2. POF codes: HL=homeless, HU=high utilizer, BH=SMI/SUD") reads the codes in a
    /// table's column ("HL, BH").
    #[test]
    fn class68_a_key_of_codes_on_another_sheet() {
        let instructions = grid(&[
            ((0, 0), t("How to use this template")),
            (
                (1, 0),
                t("2. POF codes: HL=homeless, HU=high utilizer, BH=SMI/SUD, JI=justice-involved"),
            ),
        ]);
        let batch = grid(&[
            ((0, 0), t("Last Name")),
            ((0, 1), t("First Name")),
            ((0, 2), t("DOB")),
            ((0, 3), t("POF (codes)")),
            ((1, 0), t("Example")),
            ((1, 1), t("Anselmo")),
            ((1, 2), t("04/18/1972")),
            ((1, 3), t("HL, BH")),
            ((2, 0), t("Sample")),
            ((2, 1), t("Georgette")),
            ((2, 2), t("09/30/1959")),
            ((2, 3), t("HU")),
        ]);
        let key = sheet_key(&instructions);
        assert_eq!(key.get("HU").map(String::as_str), Some("high utilizer"));
        let SheetLayout::Table(records) = read_sheet_keyed(&batch, &key) else {
            panic!("a table")
        };
        let pof = |i: usize| {
            records.get(i).and_then(|r| {
                r.entries
                    .iter()
                    .find(|e| e.name == "POF (codes)")
                    .map(|e| e.value.as_text())
            })
        };
        assert_eq!(pof(0).as_deref(), Some("homeless; SMI/SUD"));
        assert_eq!(pof(1).as_deref(), Some("high utilizer"));
    }

    /// Issue #8 (blind66): a sender's block over a batch whose value holds label words
    /// ("Agency | Riverside County DPSS - Adult Services | Email | …") is still the sender's
    /// line, not the header: the batch under it is a table, a referral a row.
    #[test]
    fn class66_a_sender_block_with_a_long_value_over_a_batch() {
        let g = grid(&[
            (
                (0, 0),
                t("Riverside County DPSS - Adult Services: ECM referral batch"),
            ),
            ((1, 0), t("Referring worker")),
            ((1, 1), t("Consuelo Ficticio")),
            ((1, 3), t("Phone")),
            ((1, 4), t("951-555-0160")),
            ((2, 0), t("Agency")),
            ((2, 1), t("Riverside County DPSS - Adult Services")),
            ((2, 3), t("Email")),
            ((2, 4), t("cficticio@dpss.example")),
            ((3, 0), t("Date Referred")),
            ((3, 1), t("Member Name (LAST, First)")),
            ((3, 2), t("DOB")),
            ((3, 3), t("CIN")),
            ((4, 0), t("11/30/2026")),
            ((4, 1), t("EXAMPLE, Delphine")),
            ((4, 2), t("11/21/1968")),
            ((4, 3), t("96600112B")),
            ((5, 0), t("11/30/2026")),
            ((5, 1), t("PRUEBA, Hector")),
            ((5, 2), t("5/5/1995")),
            ((5, 3), t("96600113C")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
    }

    /// Issue #8 (blind62): on a sheet of labels in one column and values in the next, a value
    /// that reads like a label ("Sonoma County") is still the value beside its label, not a
    /// caption over the row below.
    #[test]
    fn class62_a_label_like_value_in_the_column_of_values() {
        let g = grid(&[
            ((2, 0), t("Date")),
            ((2, 1), t("11/19/2026")),
            ((3, 0), t("Last Name")),
            ((3, 1), t("Unrealto")),
            ((4, 0), t("Medi-Cal CIN")),
            ((4, 1), t("96604127N")),
            ((5, 0), t("Location / City")),
            ((5, 1), t("Santa Rosa")),
            ((6, 0), t("County")),
            ((6, 1), t("Sonoma County")),
            ((7, 0), t("Community Support")),
            ((7, 1), t("Sobering Center")),
        ]);
        let got = form_pairs(&g);
        for want in ["County=Sonoma County", "Community Support=Sobering Center"] {
            assert!(got.contains(&want.to_string()), "{want}: {got:?}");
        }
    }

    /// Issue #8 (blind32): "CIN | 92345678L | MRN" (the MRN's value left empty) is a form row,
    /// not a table's header: an identifier typed as text is a value. And a sender's line under a
    /// batch ("Referred by: Pat Example, RN, …, 818-555-0182, pat@example.org") is every row's.
    #[test]
    fn class32_an_identifier_is_no_heading_and_a_sender_line_under_a_batch() {
        let form = grid(&[
            ((0, 0), t("Example Health - Care Transitions referral")),
            ((2, 0), t("Patient (Last, First)")),
            ((2, 1), t("Sample, Quincy")),
            ((2, 2), t("DOB")),
            ((2, 3), t("8/8/1966")),
            ((3, 0), t("CIN")),
            ((3, 1), t("92345678L")),
            ((3, 2), t("MRN")),
            ((4, 0), t("Phone")),
            ((4, 1), t("925.555.0123")),
            ((4, 2), t("Language")),
            ((4, 3), t("Spanish")),
            ((5, 0), t("County")),
            ((5, 1), t("Contra Costa")),
        ]);
        assert!(matches!(read_sheet(&form), SheetLayout::Form(_)), "a form");
        let batch = grid(&[
            ((0, 0), t("Last")),
            ((0, 1), t("First")),
            ((0, 2), t("CIN")),
            ((1, 0), t("Sample")),
            ((1, 1), t("Alessandra")),
            ((1, 2), t("91837465R")),
            ((2, 0), t("Example")),
            ((2, 1), t("Tobiloba")),
            ((2, 2), t("91837472S")),
            (
                (4, 0),
                t("Referred by: Henrietta Example, RN Care Manager, 818-555-0182, h@example.org"),
            ),
        ]);
        let SheetLayout::Table(records) = read_sheet(&batch) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2);
        for r in &records {
            assert!(
                r.entries
                    .iter()
                    .any(|e| e.name == "Phone" && e.value == t("818-555-0182")),
                "{:?}",
                r.entries
            );
        }
    }

    /// Issue #8 (blind85): a tab-separated batch whose sender signs on the line right under the
    /// last row (a CSV reader keeps no blank line) is two records with the sender's name and
    /// phone, not three, the third a "date" that is the signature.
    #[test]
    fn class85_a_signature_line_right_under_a_delimited_batch_is_every_rows() {
        let batch = grid(&[
            ((0, 0), t("Fecha/Date")),
            ((0, 1), t("Nombre/First")),
            ((0, 2), t("Apellido/Last")),
            ((0, 3), t("CIN")),
            ((0, 4), t("Tel")),
            ((1, 0), t("12/01/2026")),
            ((1, 1), t("Remedios")),
            ((1, 2), t("Fantasma")),
            ((1, 3), t("96600471W")),
            ((1, 4), t("909-555-0126")),
            ((2, 0), t("12/01/2026")),
            ((2, 1), t("Eustace")),
            ((2, 2), t("Imaginario")),
            ((2, 3), t("96600472X")),
            ((2, 4), t("760-555-0127")),
            (
                (3, 0),
                t("Referido por / Referred by: Paloma Inventada, Desert Food Partners, 909-555-0184"),
            ),
        ]);
        let SheetLayout::Table(records) = read_sheet(&batch) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2, "{records:?}");
        for r in &records {
            assert!(
                r.entries.iter().any(|e| e.value == t("909-555-0184")),
                "{:?}",
                r.entries
            );
        }
    }

    /// Issue #8 (blind87 13): "Services (Y for each requested)" over options marked `Y` in the
    /// column beside them, the first left blank: every option is one of the checklist's, the
    /// heading takes none of them as its value.
    #[test]
    fn class87_a_heading_asking_for_a_mark_beside_each_option_heads_a_checklist() {
        let g = grid(&[
            ((11, 0), t("KP Medi-Cal Member (Y/N)")),
            ((11, 1), t("Y")),
            ((13, 0), t("Services (Y for each requested)")),
            ((14, 0), t("Housing Transition Navigation")),
            ((15, 0), t("Housing Deposits")),
            ((15, 1), t("Y")),
            ((16, 0), t("Housing Tenancy and Sustaining Services")),
            ((16, 1), t("Y")),
            ((17, 0), t("Medically Tailored Meals")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got: Vec<String> = names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        assert!(!got.iter().any(|e| e.starts_with("Services (Y")), "{got:?}");
        assert!(got.contains(&"Housing Deposits=Y".to_string()), "{got:?}");
    }

    /// Issue #8 (blind88 11): "Phone | 661-555-0110" on a row of its own under "Referrer | … |
    /// Agency | …" over a batch is the sender's, as the pairs on the row above are.
    #[test]
    fn class88_a_lone_label_and_value_over_a_batch_is_the_senders() {
        let batch = grid(&[
            ((0, 0), t("Kern County Behavioral Health - ECM Referral Batch")),
            ((1, 0), t("Referrer:")),
            ((1, 1), t("Ezekiel Nonreal")),
            ((1, 3), t("Agency:")),
            ((1, 4), t("Kern County Behavioral Health")),
            ((2, 0), t("Phone:")),
            ((2, 1), t("661-555-0110")),
            ((3, 0), t("Date submitted:")),
            ((3, 1), t("12/01/2026")),
            ((5, 0), t("Member Last Name")),
            ((5, 1), t("Member First Name")),
            ((5, 2), t("DOB")),
            ((5, 3), t("Medi-Cal CIN")),
            ((5, 4), t("Phone")),
            ((6, 0), t("Hollowell")),
            ((6, 1), t("Prudence")),
            ((6, 2), t("05/05/1977")),
            ((6, 3), t("92221101L")),
            ((6, 4), t("661-555-0113")),
            ((7, 0), t("Dummett")),
            ((7, 1), t("Sylvester")),
            ((7, 2), t("12/01/2005")),
            ((7, 3), t("92221102M")),
            ((7, 4), t("661-555-0114")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&batch) else {
            panic!("a table")
        };
        assert_eq!(records.len(), 2, "{records:?}");
        for r in &records {
            assert!(
                r.entries
                    .iter()
                    .any(|e| e.value == t("661-555-0110") && e.section.as_deref() == Some("Submitted by")),
                "{:?}",
                r.entries
            );
        }
    }

    /// Issue #8 (blind30): a service checklist nobody marked — the heading says "(X)", the mark
    /// column is empty — is every option unticked, not one option the caption of the next.
    #[test]
    fn class30_an_unmarked_checklist_is_all_unticked() {
        let g = grid(&[
            ((1, 0), t("Member Name:")),
            ((1, 1), t("Octavia Sample")),
            ((1, 3), t("Community Supports requested (X)")),
            ((2, 0), t("Phone:")),
            ((2, 1), t("(415) 555-0157")),
            ((2, 4), t("Housing Deposits")),
            ((3, 4), t("Medically Tailored Meals")),
            ((4, 4), t("Asthma Remediation")),
            ((5, 4), t("Sobering Center")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let got: Vec<String> = names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        assert!(
            !got.iter().any(|e| e.starts_with("Asthma Remediation=Sobering")),
            "{got:?}"
        );
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.value == RawValue::Checked(false))
                .count(),
            4,
            "{got:?}"
        );
    }

    /// Issue #8 (blind30): the sender's line of colon-less pairs two rows over the header, with
    /// a short pair between ("Navigator | Pat | Tel | 408-… | Email | …", "Referrer type | …"),
    /// does not make the sheet a form: the batch below is read, each row a member.
    #[test]
    fn class30_a_senders_pairs_line_two_rows_over_the_header() {
        let g = grid(&[
            ((0, 0), t("Example Home Pathways - CS Housing referrals")),
            ((2, 0), t("Navigator")),
            ((2, 1), t("Rafferty Sample")),
            ((2, 2), t("Tel")),
            ((2, 3), t("408-555-0176")),
            ((2, 4), t("Email")),
            ((2, 5), t("rsample@example.org")),
            ((3, 0), t("Referrer type")),
            ((3, 1), t("Social services provider")),
            ((5, 0), t("Nombre / First")),
            ((5, 1), t("Apellido / Last")),
            ((5, 2), t("CIN")),
            ((5, 3), t("Teléfono / Phone")),
            ((6, 0), t("Zoë")),
            ((6, 1), t("Sample")),
            ((6, 2), t("92345670P")),
            ((6, 3), t("(408) 555-0114")),
            ((7, 0), t("Augustin")),
            ((7, 1), t("Example")),
            ((7, 2), t("92345781Q")),
            ((7, 3), t("(408) 555-0167")),
        ]);
        let SheetLayout::Table(records) = read_sheet(&g) else {
            panic!("a table");
        };
        assert_eq!(records.len(), 2);
    }

    /// Issue #8 (blind29): a four-column form of label/value pairs whose values are all typed as
    /// text ("92105543-b", "Y") and one of whose labels names no field word ("KP Medi-Cal?
    /// (Y/N)") is still a form, not a table headed by one of its rows.
    #[test]
    fn class29_a_four_column_form_with_text_values_is_a_form() {
        let g = grid(&[
            (
                (0, 0),
                t("Example Housing Services - Referral (Community Supports)"),
            ),
            ((2, 0), t("Client Name (Last, First)")),
            ((2, 1), t("Sample, Solomon")),
            ((2, 2), t("Referral date")),
            ((2, 3), t("12/03/2026")),
            ((3, 0), t("DOB")),
            ((3, 1), t("1969-10-10")),
            ((3, 2), t("Plan")),
            ((3, 3), t("Kaiser Permanente")),
            ((4, 0), t("CIN")),
            ((4, 1), t("92105543-b")),
            ((4, 2), t("KP Medi-Cal? (Y/N)")),
            ((4, 3), t("Y")),
            ((5, 0), t("Phone(s)")),
            ((5, 1), t("415-555-0142 (cell), 415-555-0143 (msgs)")),
            ((5, 2), t("Language")),
            ((5, 3), t("English")),
            ((6, 0), t("Address")),
            ((6, 1), t("Example SRO Hotel Rm 412, 60 Example St")),
            ((6, 2), t("City / ZIP")),
            ((6, 3), t("San Francisco 94102")),
            ((7, 0), t("County")),
            ((7, 1), t("San Francisco")),
            ((8, 0), t("Housing navigator")),
            ((8, 1), t("Priscilla Sample")),
            ((8, 2), t("Agency")),
            ((8, 3), t("Example Housing Services")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form, not a table")
        };
        let got: Vec<String> = names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        assert!(got.contains(&"Language=English".to_string()), "{got:?}");
        assert!(
            got.contains(&"Housing navigator=Priscilla Sample".to_string()),
            "{got:?}"
        );
    }

    /// Issue #8 (blind24): two columns of label/value pairs side by side with no heading, the
    /// member's on the left and the referrer's on the right ("Referred by" at its top), are read
    /// column by column, so the right column's "Phone" follows "Referred by", not "DOB".
    #[test]
    fn class24_two_columns_of_pairs_are_read_column_by_column() {
        let g = grid(&[
            ((0, 0), t("Pasadena Example Services - Referral")),
            ((2, 0), t("Referral date")),
            ((2, 1), t("12/01/2026")),
            ((2, 3), t("Referred by")),
            ((2, 4), t("Augustin Fakerly")),
            ((3, 0), t("Member name")),
            ((3, 1), t("Philomena Sample")),
            ((3, 3), t("Organization")),
            ((3, 4), t("Example Senior Services")),
            ((4, 0), t("DOB")),
            (
                (4, 1),
                RawValue::Date(chrono::NaiveDate::from_ymd_opt(1941, 10, 2).expect("date")),
            ),
            ((4, 3), t("Phone")),
            ((4, 4), t("626-555-0184")),
            ((5, 0), t("Phone")),
            ((5, 1), t("626-555-0127")),
            ((5, 3), t("Email")),
            ((5, 4), t("afakerly@example.org")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("a form")
        };
        let order: Vec<String> = names(&entries)
            .into_iter()
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        let at = |s: &str| order.iter().position(|o| o == s).unwrap_or(usize::MAX);
        // The member's column, top to bottom, then the referrer's.
        assert!(
            at("Member name=Philomena Sample") < at("Phone=626-555-0127"),
            "{order:?}"
        );
        assert!(
            at("Phone=626-555-0127") < at("Referred by=Augustin Fakerly"),
            "{order:?}"
        );
        assert!(
            at("Referred by=Augustin Fakerly") < at("Phone=626-555-0184"),
            "{order:?}"
        );
        assert!(at("Email=afakerly@example.org") < usize::MAX, "{order:?}");
    }

    /// Issue #8 (blind71): a row of options only, a mark under the first as under the others,
    /// is read option by option — not the first as a label answered by the rest.
    #[test]
    fn class71_a_row_of_options_with_marks_under_them_has_no_question() {
        let g = grid(&[
            ((0, 0), t("Community Supports Referral")),
            ((2, 0), t("First Name")),
            ((2, 2), t("Last Name")),
            ((2, 4), t("Date of Birth")),
            ((3, 0), t("Clementina")),
            ((3, 2), t("Doe-Ray")),
            ((3, 4), t("1958-10-02")),
            ((5, 0), t("Phone")),
            ((5, 2), t("County")),
            ((6, 0), t("323-555-0181")),
            ((6, 2), t("Los Angeles")),
            ((8, 0), t("Recuperative Care (Medical Respite)")),
            ((8, 2), t("Medically Tailored Meals")),
            ((8, 4), t("Respite Services")),
            ((9, 0), t("X")),
            ((9, 2), t("X")),
            ((11, 0), t("Referrer Name")),
            ((11, 2), t("Organization")),
            ((12, 0), t("Octavia Mockingham")),
            ((12, 2), t("Crenshaw Recuperative Partners")),
        ]);
        let SheetLayout::Form(entries) = read_sheet(&g) else {
            panic!("not a form")
        };
        let p = pairs(&entries);
        assert!(p.iter().any(|(_, n, v)| *n == "Recuperative Care (Medical Respite)" && *v == RawValue::Checked(true)), "{p:?}");
        assert!(
            p.iter()
                .any(|(_, n, v)| *n == "Medically Tailored Meals" && *v == RawValue::Checked(true)),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|(_, n, v)| *n == "Respite Services" && *v == RawValue::Checked(false)),
            "{p:?}"
        );
    }

    /// Issue #8 (blind72): `Label: option` cells down a column, the chosen ones marked in the
    /// column of values: an unmarked one is an option left unticked, not the label's answer.
    #[test]
    fn class72_an_unmarked_label_option_cell_is_an_unticked_option() {
        let g = grid(&[
            ((0, 0), t("Member first name")),
            ((0, 2), t("Jalen")),
            ((2, 0), t("CHW need: physical")),
            ((3, 0), t("CHW need: behavioral")),
            ((3, 2), t("X")),
            ((4, 0), t("CHW need: social")),
            ((5, 0), t("CHW need: violence prevention")),
            ((5, 2), t("X")),
            ((6, 0), t("Hours requested")),
            ((6, 2), t("8")),
        ]);
        let got = form_pairs(&g);
        assert!(
            !got.iter()
                .any(|p| p == "CHW need=physical" || p == "CHW need=social"),
            "{got:?}"
        );
        assert!(
            got.iter().any(|p| p.starts_with("CHW need: behavioral=")),
            "{got:?}"
        );
    }
}
