//! Layout: positioned runs → visual lines → label/value entries.
//!
//! Lines are runs sharing a baseline (within half the font size), read left to right. Inside a
//! line a horizontal gap of at least one em, or three typed spaces, starts a new *cell* (a
//! column). Pairing then reads cells top to bottom:
//! - a tick mark (`☒ ☑ ✓ ✔ ■ ✗ ✘ [X] (X) X`, or an empty box `☐ □ ❏ ❑ [ ] ( )`) followed by a
//!   caption gives `caption = Checked(..)`; several ticks may share a cell;
//! - `Label: value` in one cell gives a text entry;
//! - `Label:` alone takes the next cell to its right, else a value just above the baseline to
//!   its right (typed high in its box), else the cell directly below it on the next line (boxed
//!   forms print the label above the box), else an empty value;
//! - a lone line that is all capitals, starts with `Section`/`Part`/`Step`, or is a bare
//!   `Label:` with more labels right under it, is a section heading for what follows.
//!
//! - dotted leaders, questions run into their answer boxes and column heading rows are handled
//!   by [`shapes`].
//!
//! A cell is used as a value at most once. Nothing here interprets what a label means.

mod shapes;

use super::content::Run;
pub(super) use crate::extract::names_a_party;
use crate::extract::{RawEntry, RawValue, is_yes_no, looks_like_label, names_a_field};

/// A column of text on a line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Cell {
    pub x0: f32,
    pub x1: f32,
    pub text: String,
}

/// One visual line, top to bottom order in a page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    pub y: f32,
    pub size: f32,
    pub cells: Vec<Cell>,
}

/// Runs whose baselines differ by at most this many ems share a line (typed values often sit a
/// little off the label's baseline).
const LINE_TOLERANCE_EM: f32 = 0.5;
/// A value typed into a box may sit up to this far above its label's baseline (in ems), just
/// over the line tolerance.
const RAISED_WINDOW_EM: f32 = 0.9;
/// A gap of this many ems between runs on a line starts a new cell.
const COLUMN_GAP_EM: f32 = 1.0;
/// A gap wider than this (in ems) between runs inside a cell is a word space.
const WORD_GAP_EM: f32 = 0.15;
/// How far below a label (in ems of the label) its boxed value may sit.
const BELOW_WINDOW_EM: f32 = 2.5;

/// Groups one page's runs into lines, top to bottom, each split into cells.
pub(super) fn lines(mut runs: Vec<Run>) -> Vec<Line> {
    runs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x0.total_cmp(&b.x0)));
    let mut grouped: Vec<(f32, f32, Vec<Run>)> = Vec::new();
    for run in runs {
        match grouped.last_mut() {
            Some((y, size, members)) if (*y - run.y).abs() <= LINE_TOLERANCE_EM * size.max(run.size) => {
                *size = size.max(run.size);
                members.push(run);
            }
            _ => grouped.push((run.y, run.size, vec![run])),
        }
    }
    for (_, _, members) in &mut grouped {
        members.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    }
    // Where the page's columns start: x positions at which cells start on several lines. A run
    // that starts at one begins a new cell even after a narrow gap — a long value
    // ("Fakeview Police Department") runs close to the next column's label ("Phone").
    let first_pass: Vec<Vec<Cell>> = grouped.iter().map(|(_, _, m)| cells(m.clone(), &[])).collect();
    let stops = column_stops(&first_pass, grouped.iter().map(|g| g.1));
    let mut lines: Vec<Line> = grouped
        .into_iter()
        .map(|(y, size, members)| Line {
            y,
            size,
            cells: cells(members, &stops),
        })
        .filter(|l| !l.cells.is_empty())
        .collect();
    split_labels_from_values(&mut lines);
    for line in &mut lines {
        answers_marked_after(line);
    }
    lines
}

/// The answers of a cell made only of answers with their marks after them, with whether each
/// is ticked: "Yes ___   No ✓" → [(false, "Yes"), (true, "No")]. A mark is what
/// [`tick_prefix`] reads before a caption.
fn marks_after(text: &str) -> Option<Vec<(bool, String)>> {
    let mut rest = text.trim();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let end = rest.find(|c: char| !c.is_alphabetic()).unwrap_or(rest.len());
        let (answer, after) = rest.split_at(end);
        if !(is_yes_no(answer) || matches!(answer.to_lowercase().as_str(), "sí" | "si")) {
            return None;
        }
        let after = after.trim_start();
        let (ticked, len) = tick_prefix(after)?;
        out.push((ticked, answer.to_string()));
        rest = after.get(len..)?.trim_start();
    }
    (!out.is_empty()).then_some(out)
}

/// Yes/no answers printed with the mark after each ("Yes ___   No ✓"), in one cell or a cell
/// each: one cell holding the answer ticked, read as the value it is. Left as printed unless
/// exactly one answer is ticked.
fn answers_marked_after(line: &mut Line) {
    let mut ci = 0;
    while ci < line.cells.len() {
        let mut items = Vec::new();
        let mut end = ci;
        while let Some(found) = line.cells.get(end).and_then(|c| marks_after(&c.text)) {
            items.extend(found);
            end += 1;
        }
        let ticked: Vec<&(bool, String)> = items.iter().filter(|(t, _)| *t).collect();
        if let ([(_, answer)], true) = (ticked.as_slice(), items.len() >= 2)
            && let (Some(first), Some(last)) = (line.cells.get(ci), line.cells.get(end - 1))
        {
            let cell = Cell {
                x0: first.x0,
                x1: last.x1,
                text: answer.clone(),
            };
            line.cells.splice(ci..end, [cell]);
        }
        ci += 1;
    }
}

/// How many cells, on how many lines, must read "Label words Value" for a page to be written
/// that way.
const SPACED_PAIRS_MIN: (usize, usize) = (4, 3);

/// A page that sets each value one space after its label, no colon ("First name Barnaby",
/// "Birth date 02/30/1975", "CIN 95657585R" in two columns): each such cell becomes a label cell
/// and a value cell, as if typed apart, so they pair across instead of being read as captions
/// over the cells under them. Only when the page does so at least four times on three lines.
fn split_labels_from_values(lines: &mut [Line]) {
    // Each cell's split, read once: only where no colon sets the value off already, and not for
    // a cell with a plain value beside it, which is a label ("Referrer Type | Social Services
    // Provider") however its words read.
    let splits: Vec<Vec<Option<(String, String)>>> = lines
        .iter()
        .map(|l| {
            let pairs: Vec<Option<(String, String)>> = l
                .cells
                .iter()
                .map(|c| {
                    (!c.text.contains(':'))
                        .then(|| label_words_then_value(&c.text))
                        .flatten()
                })
                .collect();
            let beside_value: Vec<bool> = (0..pairs.len())
                .map(|i| pairs.get(i + 1).is_some_and(Option::is_none))
                .collect();
            pairs
                .into_iter()
                .zip(beside_value)
                .map(|(pair, beside)| pair.filter(|_| !beside))
                .collect()
        })
        .collect();
    let per_line: Vec<usize> = splits.iter().map(|l| l.iter().flatten().count()).collect();
    let total: usize = per_line.iter().sum();
    if total < SPACED_PAIRS_MIN.0 || per_line.iter().filter(|n| **n > 0).count() < SPACED_PAIRS_MIN.1 {
        return;
    }
    for (line, line_splits) in lines.iter_mut().zip(splits) {
        let mut out = Vec::with_capacity(line.cells.len() + 2);
        for (cell, split) in std::mem::take(&mut line.cells).into_iter().zip(line_splits) {
            let Some((label, value)) = split else {
                out.push(cell);
                continue;
            };
            // Placed along the cell in proportion to their characters.
            let n = cell.text.chars().count().max(1) as f32;
            let per = (cell.x1 - cell.x0) / n;
            let label_end = cell.x0 + per * label.chars().count() as f32;
            out.push(Cell {
                x0: cell.x0,
                x1: label_end,
                text: label,
            });
            out.push(Cell {
                x0: (label_end + per).min(cell.x1),
                x1: cell.x1,
                text: value,
            });
        }
        line.cells = out;
    }
}

/// How far off the baseline of the text before it (in ems) a run after a word's gap starts a
/// cell of its own.
const OFF_BASELINE_EM: f32 = 0.08;

/// How many lines must have a cell starting at an x for it to be a column stop.
const STOP_MIN_LINES: usize = 3;

/// The x positions where cells start on at least [`STOP_MIN_LINES`] lines (within half an em).
fn column_stops(lines: &[Vec<Cell>], sizes: impl Iterator<Item = f32>) -> Vec<f32> {
    let sizes: Vec<f32> = sizes.collect();
    let mut starts: Vec<(f32, f32)> = lines
        .iter()
        .zip(&sizes)
        .flat_map(|(cells, size)| cells.iter().skip(1).map(move |c| (c.x0, *size)))
        .collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut stops = Vec::new();
    let mut i = 0;
    while let Some(&(x, size)) = starts.get(i) {
        let n = starts
            .iter()
            .skip(i)
            .take_while(|(x2, _)| *x2 - x <= 0.5 * size.max(1.0))
            .count();
        if n >= STOP_MIN_LINES {
            stops.push(x);
        }
        i += n.max(1);
    }
    stops
}

fn cells(runs: Vec<Run>, stops: &[f32]) -> Vec<Cell> {
    let box_size = runs.first().map_or(1.0, |r| r.size.max(1.0));
    let mut merged: Vec<Cell> = Vec::new();
    // The baseline of the last run in each merged cell.
    let mut baselines: Vec<f32> = Vec::new();
    for run in runs {
        let size = run.size.max(1.0);
        // A value typed over an underline sits a little off the label's baseline, a word's gap
        // after it ("Patient" then, raised, "Hargreaves, Delphine"): text set on another
        // baseline after a gap is another piece, not the same phrase.
        let off_baseline = |cur: &Cell| {
            run.x0 - cur.x1 > WORD_GAP_EM * size
                && baselines
                    .last()
                    .is_some_and(|y| (run.y - y).abs() >= OFF_BASELINE_EM * size)
        };
        // A run starting at a column stop begins a new cell after a word's gap — or even
        // touching or slightly under the end of a long label that ran into the value column
        // ("Last Known Address" reaching past where every other row's value starts).
        let at_stop = |cur: &Cell| {
            let gap = run.x0 - cur.x1;
            // A long value drawn past its box and over the next one's value (a 40-character
            // agency name over the "Agency Phone" box beside it) ran into it by more than that:
            // running text never overlaps itself, so past two ems in, the run is the next cell's.
            let ran_into = cur.x0 < run.x0 - 2.0 * size;
            (gap > WORD_GAP_EM * size || ran_into) && stops.iter().any(|s| (run.x0 - s).abs() <= 0.3 * size)
        };
        // A run drawn over the end of a `Label:` was placed on its own ("Member consent
        // obtained:" set wider than the space left for it, its "✓ Yes" box under the colon):
        // running text never overlaps itself, so it is the label's value, in a cell of its own.
        let placed_over = |cur: &Cell| run.x0 < cur.x1 - 0.3 * size && cur.text.trim_end().ends_with(':');
        match merged.last_mut() {
            Some(cur)
                if run.x0 - cur.x1 < COLUMN_GAP_EM * size
                    && !at_stop(cur)
                    && !placed_over(cur)
                    && !off_baseline(cur) =>
            {
                let gap = run.x0 - cur.x1;
                let spaced =
                    cur.text.ends_with(char::is_whitespace) || run.text.starts_with(char::is_whitespace);
                if gap > WORD_GAP_EM * size && !spaced {
                    cur.text.push(' ');
                }
                cur.text.push_str(&run.text);
                cur.x1 = cur.x1.max(run.x1);
                if let Some(y) = baselines.last_mut() {
                    *y = run.y;
                }
            }
            _ => {
                baselines.push(run.y);
                merged.push(Cell {
                    x0: run.x0,
                    x1: run.x1,
                    text: run.text,
                });
            }
        }
    }
    let cells = shapes::join_split_boxes(merged, box_size)
        .into_iter()
        .flat_map(split_typed_columns)
        .flat_map(shapes::split_question)
        .collect();
    shapes::rewrite_leaders(cells)
}

/// Splits a cell at runs of three or more spaces (columns typed with the space bar), placing
/// the pieces proportionally along the cell. Two spaces split it too after a printed label
/// (`DOB  06/06/1995`, `Referred by  Ann Example`): a form written without colons sets its
/// values off by a double space. Not before a bullet or a dash (`Provider Network  ·  Rev. 07`
/// is a letterhead's separator, not a value).
fn split_typed_columns(cell: Cell) -> Vec<Cell> {
    let total = cell.text.chars().count().max(1) as f32;
    let width = cell.x1 - cell.x0;
    let mut out = Vec::new();
    let mut start = 0usize; // char index of the current piece
    let chars: Vec<char> = cell.text.chars().collect();
    let mut i = 0;
    let push = |from: usize, to: usize, out: &mut Vec<Cell>| {
        let text: String = chars.get(from..to).unwrap_or_default().iter().collect();
        let text = text.trim().to_string();
        if !text.is_empty() {
            let x0 = cell.x0 + width * from as f32 / total;
            let x1 = cell.x0 + width * to as f32 / total;
            out.push(Cell { x0, x1, text });
        }
    };
    while i < chars.len() {
        let spaces = chars
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| **c == ' ')
            .count();
        let value_follows = || {
            chars
                .get(i + spaces)
                .is_some_and(|c| c.is_alphanumeric() || *c == '(')
        };
        // The text before is only built at a double space (it was once built at every
        // character: quadratic in a long line).
        let label_before = || {
            let before: String = chars.get(start..i).unwrap_or_default().iter().collect();
            typed_label(&before)
        };
        if spaces >= 3 || spaces == 2 && value_follows() && label_before() {
            push(start, i, &mut out);
            start = i + spaces;
            i += spaces;
        } else {
            i += 1;
        }
    }
    push(start, chars.len(), &mut out);
    out
}

/// Text before a double space that is a printed label: a few words, one of them a label word,
/// ending in a letter, a digit or `#` (not a sentence's full stop or a letterhead's bullet).
fn typed_label(text: &str) -> bool {
    let t = text.trim();
    // A dotted initialism ("D.O.B.") may end in its dot; a sentence's full stop may not.
    let last = t.split_whitespace().last().unwrap_or_default();
    let ends_well = t.ends_with(|c: char| c.is_alphanumeric() || c == '#')
        || last.ends_with('.') && last.trim_end_matches('.').contains('.');
    ends_well && tick_prefix(t).is_none() && t.split_whitespace().count() <= 5 && printed_label(t)
}

/// Whether text reads like a printed label, its dotted initialisms read as words (`D.O.B.`) and
/// the short forms forms print (`Addr`, `Org`, `Medi-Cal #`) known.
fn printed_label(text: &str) -> bool {
    const SHORT_LABELS: &[&str] = &["addr", "adr", "org", "orgn", "ph", "medi", "bic", "dob"];
    let n = crate::catalog::norm(text);
    crate::extract::looks_like_label(text)
        || crate::extract::looks_like_label(&n)
        || n.split(' ').count() <= 3 && n.split(' ').any(|w| SHORT_LABELS.contains(&w))
}

/// The tick token at the start of `s`: whether it is ticked, and its length in bytes.
fn tick_prefix(s: &str) -> Option<(bool, usize)> {
    const TICKED: [&str; 14] = [
        "[X]", "[x]", "(X)", "(x)", "[✓]", "[✔]", "☒", "☑", "✓", "✔", "■", "✗", "✘", "☒",
    ];
    const EMPTY: [&str; 10] = ["[ ]", "( )", "[]", "()", "☐", "□", "❏", "❐", "❑", "❒"];
    for t in TICKED {
        if s.starts_with(t) {
            return Some((true, t.len()));
        }
    }
    for t in EMPTY {
        if s.starts_with(t) {
            return Some((false, t.len()));
        }
    }
    if let Some(found) = spaced_box(s) {
        return Some(found);
    }
    // A bare `X` counts only as a word of its own ("X Urgent", or a cell of its own before its
    // caption), never "X-ray" or "Xavier".
    let mut it = s.chars();
    if matches!(it.next(), Some('X' | 'x')) && it.next().is_none_or(char::is_whitespace) {
        return Some((true, 1));
    }
    // A blank to mark, `__` or `___`, is an empty box; so is one `_` before its caption
    // ("X Yes   _ No").
    let blank = s.chars().take_while(|c| *c == '_').count();
    let captioned = || {
        s.get(blank..)
            .is_some_and(|r| r.starts_with(' ') && !r.trim().is_empty())
    };
    if (blank >= 2 && s.chars().nth(blank).is_none_or(char::is_whitespace)) || (blank == 1 && captioned()) {
        return Some((false, blank));
    }
    None
}

/// A bracketed box typed with spaces inside, `( X )`, `[ x ]`, `(   )`: whether it holds a mark,
/// and its length in bytes. One mark at most, and only a few spaces, so a caption in parentheses
/// ("(see note)") is not a box.
fn spaced_box(s: &str) -> Option<(bool, usize)> {
    let mut chars = s.char_indices();
    let close = match chars.next()?.1 {
        '(' => ')',
        '[' => ']',
        _ => return None,
    };
    let mut ticked = false;
    for (i, c) in chars.take(MAX_BOX_INSIDE + 1) {
        match c {
            ' ' | '\u{a0}' => {}
            'X' | 'x' | '✓' | '✔' | '✗' | '✘' if !ticked => ticked = true,
            _ if c == close => return Some((ticked, i + c.len_utf8())),
            _ => return None,
        }
    }
    None
}

/// Most characters (spaces and one mark) inside a typed box's brackets.
const MAX_BOX_INSIDE: usize = 6;

/// Tick items in a cell that starts with a tick mark: `(ticked, caption)`, captions may be
/// empty when the caption is in the next cell.
fn split_ticks(text: &str) -> Option<Vec<(bool, String)>> {
    tick_prefix(text)?;
    let mut marks: Vec<(usize, bool, usize)> = Vec::new();
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        let free = marks.last().is_none_or(|(s, _, l)| i >= s + l);
        if prev_space
            && free
            && let Some((ticked, len)) = text.get(i..).and_then(tick_prefix)
        {
            marks.push((i, ticked, len));
        }
        prev_space = c.is_whitespace();
    }
    let items = marks
        .iter()
        .enumerate()
        .map(|(k, (start, ticked, len))| {
            let end = marks.get(k + 1).map_or(text.len(), |m| m.0);
            let caption = text.get(start + len..end).unwrap_or_default().trim();
            (*ticked, caption.to_string())
        })
        .collect();
    Some(items)
}

/// A colon-less label run into the boxes that answer it, in one cell: "Referrer type [X] Medical
/// provider", "Patient consent [X] Yes [ ] No" → the label and the boxes. Only a drawn or typed
/// box counts here (`[X]`, `☒`, `( )`), not a bare `X` or a blank, which a label may hold.
fn label_then_boxes(text: &str) -> Option<(String, String)> {
    let at = text.char_indices().find_map(|(i, c)| {
        let boxed = text.get(i..).and_then(tick_prefix).is_some() && !matches!(c, 'X' | 'x' | '_');
        (i > 0 && boxed && text.get(..i).is_some_and(|b| b.ends_with(char::is_whitespace))).then_some(i)
    })?;
    let (label, boxes) = (text.get(..at)?.trim(), text.get(at..)?.trim());
    (looks_like_label(label) && label_like(label) && tick_prefix(label).is_none())
        .then(|| (label.to_string(), boxes.to_string()))
}

/// A cell of Yes/No boxes only: `☒ Yes  ☐ No`.
fn yes_no_ticks(text: &str) -> bool {
    split_ticks(text).is_some_and(|its| its.iter().all(|(_, c)| is_yes_no(c)))
}

/// `Label: value` → `(label, value)`; the colon must end the text or be followed by a space,
/// so times (`10:30`) and URLs are not labels.
fn split_label(text: &str) -> Option<(String, String)> {
    let bytes = text.as_bytes();
    let colon = text
        .char_indices()
        .find(|(i, c)| *c == ':' && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()))
        .map(|(i, _)| (i, i + 1));
    // "Referral Date ______ 12/03/2026": a leader of underscores after the label stands for its
    // colon (and a blank one for an empty field).
    let leader = || {
        let at = text.find(" ___")?;
        let end = at
            + 1
            + text
                .get(at + 1..)?
                .find(|c: char| c != '_')
                .unwrap_or(text.len() - at - 1);
        Some((at, end))
    };
    let (pos, after) = colon.or_else(leader)?;
    let label = text.get(..pos)?.trim();
    let value = text.get(after..)?.trim();
    let ok = !label.is_empty() && label.chars().count() <= 60 && label.chars().any(char::is_alphabetic);
    ok.then(|| (label.to_string(), value.to_string()))
}

fn is_label_or_tick(text: &str) -> bool {
    tick_prefix(text).is_some() || split_label(text).is_some()
}

/// A printed heading such as `Section 2: Referring Provider` (by its wording).
fn is_numbered_heading(text: &str) -> bool {
    // "3. COMMUNITY SUPPORT(S) REQUESTED - mark X": a number, then capitals (a lower-case
    // instruction may follow a dash).
    if let Some((n, rest)) = text.trim().split_once(' ')
        && n.len() <= 3
        && n.ends_with(['.', ')'])
        && n.trim_end_matches(['.', ')']).chars().all(|c| c.is_ascii_digit())
        && !n.trim_end_matches(['.', ')']).is_empty()
    {
        let head = rest.split(" - ").next().unwrap_or(rest);
        if is_caps_heading(head) {
            return true;
        }
    }
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default().to_ascii_lowercase();
    let second = words.next().unwrap_or_default().trim_end_matches([':', '.', ')']);
    matches!(first.as_str(), "section" | "part" | "step")
        && !second.is_empty()
        && second.len() <= 3
        && second.chars().all(char::is_alphanumeric)
}

/// An all-capitals line such as `MEMBER INFORMATION`.
fn is_caps_heading(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    // A bare `CIN:` is a label (its value may sit below), not a heading.
    letters >= 3 && !text.chars().any(char::is_lowercase) && split_label(text).is_none()
}

/// Free text under a heading: several words, not a label, a tick or a heading itself.
fn is_paragraph(text: &str) -> bool {
    let t = text.trim();
    t.split_whitespace().count() >= 4
        && split_label(t).is_none()
        && tick_prefix(t).is_none()
        && !is_caps_heading(t)
        && !is_numbered_heading(t)
        && t.chars().any(char::is_lowercase)
}

/// A heading over options to tick: "(check all that apply)", "mark X", "select one".
fn lists_options(heading: &str) -> bool {
    let l = heading.to_lowercase();
    ["check", "mark", "select", "tick", "apply"]
        .iter()
        .any(|w| l.contains(w))
}

/// A value no label could be: a date, a phone number, an email, or digits.
fn shaped_value(text: &str) -> bool {
    let t = text.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    crate::extract::contact_kind(t).is_some()
        || (digits >= 4 && t.len() <= 20 && !t.chars().any(char::is_whitespace)
            || digits >= 6 && t.len() <= 20)
}

/// A heading cell: numbered (`Section 2`) or all capitals, and not a tick caption.
pub(super) fn is_heading(text: &str) -> bool {
    is_numbered_heading(text) || (is_caps_heading(text) && tick_prefix(text).is_none())
}

fn heading_text(text: &str) -> String {
    text.trim().trim_end_matches(':').trim().to_string()
}

/// Pairs labels with values over the lines of the document (all pages, in order). `section`
/// carries the current heading across pages.
pub(super) fn pair(pages: &[Vec<Line>], out: &mut Vec<RawEntry>) {
    let mut section: Option<String> = None;
    for lines in pages {
        let base = out.len();
        match two_columns(lines) {
            Some(read_down) => pair_page(&read_down, &mut section, out),
            None => pair_page(lines, &mut section, out),
        }
        if let Some(page) = out.get_mut(base..)
            && fax_cover(page)
        {
            // The cover's title heads nothing on the form behind it.
            section = None;
        }
    }
}

/// The section a fax cover sheet's entries after `From` get: their phone is the sender's.
const COVER_SENDER: &str = "Fax cover sheet: sender";
/// The section of its entries after `To`: the addressee's (KP's own numbers), read as no one's.
const COVER_ADDRESSEE: &str = "Fax cover sheet: addressee";

/// Whether a page's entries are a fax cover sheet's (`To` or `From` and at least two of `Fax`,
/// `Pages`, `Re`…), and if so gives the entries after `From` the sender's section and those
/// after `To` the addressee's. The `Phone` under `From` is the referrer's, never the member's.
fn fax_cover(page: &mut [RawEntry]) -> bool {
    let label = |e: &RawEntry| e.name.trim().trim_end_matches([':', '.']).trim().to_lowercase();
    let has = |words: &[&str]| page.iter().filter(|e| words.contains(&label(e).as_str())).count();
    const MORE: [&str; 9] = [
        "fax",
        "pages",
        "re",
        "subject",
        "attn",
        "cc",
        "number of pages",
        "# of pages",
        "total pages",
    ];
    // (`To` may be lost to a scan's speck, `From` to a smudge.)
    let cover = page.len() <= 16 && has(&["to", "from"]) >= 1 && has(&MORE) >= 2;
    if cover {
        let mut current: Option<&str> = None;
        for e in page.iter_mut() {
            match label(e).as_str() {
                "from" => current = Some(COVER_SENDER),
                "to" | "attn" => current = Some(COVER_ADDRESSEE),
                _ => {}
            }
            if let Some(c) = current {
                e.section = Some(c.to_string());
            }
        }
    }
    cover
}

/// A caption naming a value of one shape ("Date of birth", "Phone", "Medi-Cal ID"): left blank
/// over the next caption, it is a field left empty, never a heading over the captions after it.
fn names_a_value(text: &str) -> bool {
    const VALUE_WORDS: [&str; 13] = [
        "date",
        "birth",
        "dob",
        "phone",
        "telephone",
        "cin",
        "zip",
        "email",
        "mrn",
        "id",
        "number",
        "fax",
        "ssn",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| VALUE_WORDS.iter().any(|v| v.eq_ignore_ascii_case(w)))
}

/// A page laid out in two columns over a stretch of it, the left one holding captions over
/// their values ("Referral date" over "11/19/2026", "Member" over the name) while the right one
/// holds something else on the same lines (a checklist, a "Referred by" block): its lines, with
/// that stretch read down the left column and then down the right one, as a person reads it.
/// Read across, a caption's value line is taken for a row of its own and the caption for a
/// label beside whatever the right column prints at its height.
///
/// The stretch is a run of six lines or more with at most one cell either side of a gutter no
/// cell crosses, three of them or more with a cell on both sides, and the left column showing
/// captions over values at least three times. The right column's lines are moved far below the
/// left one's, so nothing under the last left line reads as its value.
fn two_columns(lines: &[Line]) -> Option<Vec<Line>> {
    // The gutter: where the second cell of two-cell lines starts, the most common place.
    let starts: Vec<(f32, f32)> = lines
        .iter()
        .filter_map(|l| match l.cells.as_slice() {
            [_, right] => Some((right.x0, l.size)),
            _ => None,
        })
        .collect();
    let (gx, _) = starts
        .iter()
        .copied()
        .max_by_key(|(x, size)| starts.iter().filter(|(o, _)| (o - x).abs() <= *size).count())?;
    let tol = lines.first().map_or(10.0, |l| l.size);
    let side = |l: &Line| -> Option<(Option<usize>, Option<usize>)> {
        let (mut left, mut right) = (None, None);
        for (ci, c) in l.cells.iter().enumerate() {
            if c.x1 <= gx - 0.5 * tol && left.is_none() {
                left = Some(ci);
            } else if (c.x0 - gx).abs() <= 3.0 * tol && right.is_none() {
                right = Some(ci);
            } else {
                return None;
            }
        }
        Some((left, right))
    };
    let sides: Vec<Option<(Option<usize>, Option<usize>)>> = lines.iter().map(side).collect();
    // The longest run of lines that fit.
    let (mut best, mut start) = ((0, 0), None);
    for i in 0..=lines.len() {
        match (sides.get(i).copied().flatten(), start) {
            (Some(_), None) => start = Some(i),
            (None, Some(s)) => {
                if i - s > best.1 - best.0 {
                    best = (s, i);
                }
                start = None;
            }
            _ => {}
        }
    }
    let (from, to) = best;
    let both = (from..to)
        .filter(|&i| matches!(sides.get(i), Some(Some((Some(_), Some(_))))))
        .count();
    // Line `i`'s cell in the left column (or the right one).
    let cell = |i: usize, left: bool| -> Option<&Cell> {
        let (l, r) = sides.get(i).copied().flatten()?;
        lines.get(i)?.cells.get(if left { l? } else { r? })
    };
    let left_text = |i: usize| cell(i, true).map(|c| c.text.as_str());
    let right_text = |i: usize| cell(i, false).map(|c| c.text.as_str());
    let captions_over_values = (from..to.saturating_sub(1))
        .filter(|&i| {
            left_text(i).is_some_and(|t| looks_like_label(t) && split_label(t).is_none())
                && left_text(i + 1).is_some_and(|v| !looks_like_label(v) && tick_prefix(v).is_none())
        })
        .count();
    // Values side by side on a line (`Sinnombre | 11/11/1988`) twice or more: captions two to a
    // row over their values, read across as they are (`header_row_values`), not two columns.
    let plain_value = |t: &str| !looks_like_label(t) && tick_prefix(t).is_none() && split_label(t).is_none();
    let values_across = (from..to)
        .filter(|&i| left_text(i).is_some_and(plain_value) && right_text(i).is_some_and(plain_value))
        .count();
    if to - from < 6 || both < 3 || captions_over_values < 3 || values_across >= 2 {
        return None;
    }
    let part = |i: usize, pick_left: bool| -> Option<Line> {
        let line = lines.get(i)?;
        Some(Line {
            y: if pick_left { line.y } else { line.y - 10_000.0 },
            size: line.size,
            cells: vec![cell(i, pick_left)?.clone()],
        })
    };
    let mut out: Vec<Line> = lines.get(..from)?.to_vec();
    // The left column's lines one under the other at an even spacing: the lines of the right
    // column between them, gone from it, leave no gaps that would end its run of captions.
    // One print size for them too: each line's size was its whole line's, both columns'.
    let top = lines.get(from).map_or(0.0, |l| l.y);
    let left: Vec<Line> = (from..to).filter_map(|i| part(i, true)).collect();
    let size = left.iter().map(|l| l.size).fold(0.0f32, f32::max);
    out.extend(left.into_iter().enumerate().map(|(k, l)| Line {
        y: top - k as f32 * 1.2 * size,
        size,
        ..l
    }));
    out.extend((from..to).filter_map(|i| part(i, false)));
    // What follows the stretch, moved below the right column too.
    out.extend(lines.get(to..)?.iter().map(|l| Line {
        y: l.y - 10_000.0,
        ..l.clone()
    }));
    Some(out)
}

fn pair_page(lines: &[Line], section: &mut Option<String>, out: &mut Vec<RawEntry>) {
    let mut used: Vec<Vec<bool>> = lines.iter().map(|l| vec![false; l.cells.len()]).collect();
    let is_used =
        |used: &Vec<Vec<bool>>, li: usize, ci: usize| used.get(li).and_then(|l| l.get(ci)) != Some(&false);
    let emit = |out: &mut Vec<RawEntry>, section: &Option<String>, name: String, value: RawValue| {
        out.push(RawEntry {
            name,
            alt: None,
            section: section.clone(),
            value,
            confidence: None,
        });
    };
    // Column headings (`MEMBER | REFERRING PARTY`) in force, with where each column starts.
    let mut columns: Vec<(f32, String)> = Vec::new();
    // Where each row of captions over values read so far starts its cells: the page's rhythm.
    let mut rhythm: Vec<Vec<f32>> = Vec::new();
    // The lines those rows of captions stand on.
    let mut caption_lines: Vec<usize> = Vec::new();
    // Grids without colons, told by their geometry: label and value columns that line up over
    // several rows. A value that happens to contain a label word ("No fixed address", "Fakeview
    // Police Department") stays a value, and a wrapped value's second line joins it.
    let grid = grid_pairs(lines);
    let indented = indented_values(lines);
    let stacked = stacked_pairs(lines);
    // The page's habit of small captions over their values in larger print.
    let small_captions = (0..lines.len())
        .filter(|&i| caption_over_value(lines, &used, i, false).is_some())
        .count()
        >= 3;
    // Where the page's text ends on the right: a line reaching it may wrap.
    let right_edge = lines
        .iter()
        .flat_map(|l| l.cells.iter().map(|c| c.x1))
        .fold(0.0f32, f32::max);
    // The line each entry of this page was read from (entries are emitted while reading it).
    let base = out.len();
    let mut owner: Vec<usize> = Vec::new();
    for (li, line) in lines.iter().enumerate() {
        owner.resize(out.len() - base, li.saturating_sub(1));
        if unused(&used, li, 0)
            && let Some(heads) = party_columns(line, lines.get(li + 1))
        {
            columns = heads;
            continue;
        }
        if let Some(pairs) = grid.get(&li) {
            for (ci, value_cells) in pairs {
                mark(&mut used, li, *ci);
                let mut text = Vec::new();
                for (vl, vc) in value_cells {
                    mark(&mut used, *vl, *vc);
                    if let Some(c) = lines.get(*vl).and_then(|l| l.cells.get(*vc)) {
                        text.push(c.text.trim().to_string());
                    }
                }
                if let Some(l) = line.cells.get(*ci) {
                    let column = shapes::column_section(&columns, l.x0, line.size);
                    emit(
                        out,
                        if column.is_some() { &column } else { &*section },
                        l.text.trim().to_string(),
                        RawValue::Text(text.join(" ")),
                    );
                }
            }
            continue;
        }
        if used
            .get(li)
            .is_some_and(|u| !u.is_empty() && u.iter().all(|b| *b))
        {
            continue; // a wrapped value's continuation, already joined
        }
        // In a colon-less grid, a label too long for its column runs into its value.
        if let [cell] = line.cells.as_slice()
            && unused(&used, li, 0)
            && in_grid_label_column(&grid, lines, li, cell.x0)
            && let Some((label, value)) = label_words_then_value(&cell.text)
        {
            mark(&mut used, li, 0);
            let column = shapes::column_section(&columns, cell.x0, line.size);
            emit(
                out,
                if column.is_some() { &column } else { &*section },
                label,
                RawValue::Text(value),
            );
            continue;
        }
        // A caption over its value indented under it, the page's habit ("Date of Birth" over
        // "   2014-05-21"); a value may run over several indented lines.
        if let Some(values) = indented.get(&li)
            && let Some(cap) = line.cells.first()
            && unused(&used, li, 0)
            && values.iter().all(|vl| unused(&used, *vl, 0))
        {
            mark(&mut used, li, 0);
            let mut text = String::new();
            for vl in values {
                mark(&mut used, *vl, 0);
                let Some(c) = lines.get(*vl).and_then(|l| l.cells.first()) else {
                    continue;
                };
                let t = c.text.trim();
                if !text.is_empty() {
                    // A wrapped sentence goes on after a space; a new line of an address after a
                    // comma.
                    let wraps = t.starts_with(|ch: char| !ch.is_uppercase()) || text.ends_with([',', ';']);
                    text.push_str(if wraps { " " } else { ", " });
                }
                text.push_str(t);
            }
            let column = shapes::column_section(&columns, cap.x0, line.size).filter(|h| names_a_party(h));
            emit(
                out,
                if column.is_some() { &column } else { &*section },
                cap.text.trim().to_string(),
                RawValue::Text(text),
            );
            continue;
        }
        // A caption with its mark in a tick column to the right: `Experiencing Homelessness  X`.
        if let [caption, tick] = line.cells.as_slice()
            && !is_used(&used, li, 0)
            && !is_used(&used, li, 1)
            && is_mark(&tick.text)
            && split_label(&caption.text).is_none()
            && tick_prefix(&caption.text).is_none()
            && !caption.text.trim().ends_with('?')
        {
            mark(&mut used, li, 0);
            mark(&mut used, li, 1);
            emit(
                out,
                section,
                caption.text.trim().to_string(),
                RawValue::Checked(true),
            );
            continue;
        }
        // Grids without colons: `Last Name | Wardmore | First Name | Skye` — unless the line
        // stands where the page's captions over values stand, over values of its own.
        let one_more_caption_row = in_rhythm(&rhythm, line)
            && header_row_values(lines, &used, li, Some(&rhythm), &caption_lines)
                .is_some_and(|p| p.iter().any(|(_, v)| !v.is_empty()));
        if !one_more_caption_row && let Some(pairs) = alternating_pairs(line, &used, li) {
            // With ticks after the pairs (a tick column beside the grid), no value runs on.
            let last = if pairs.len() * 2 == line.cells.len() {
                pairs.len().saturating_sub(1)
            } else {
                usize::MAX
            };
            for (k, (ci, vi)) in pairs.into_iter().enumerate() {
                mark(&mut used, li, ci);
                mark(&mut used, li, vi);
                if let (Some(l), Some(v)) = (line.cells.get(ci), line.cells.get(vi)) {
                    let column = shapes::column_section(&columns, l.x0, line.size);
                    // Only the last value on the line can run on under itself.
                    let wrapped = if k == last {
                        wrapped_lines(lines, &used, li, v)
                    } else {
                        Vec::new()
                    };
                    let text = joined(lines, &mut used, v, &wrapped);
                    emit(
                        out,
                        if column.is_some() { &column } else { &*section },
                        l.text.trim().to_string(),
                        RawValue::Text(text),
                    );
                }
            }
            if used.get(li).is_some_and(|u| u.iter().all(|b| *b)) {
                continue;
            }
        }
        // Column headings over a row of column labels ("MEMBER | REFERRING PARTY" over "LAST
        // NAME | NAME"): the headings name each column's section; the labels below take values.
        // (Not when values sit just above it, aligned with it: then it is a row of labels whose
        // typed values were raised above their baseline.)
        let raised_values = li.checked_sub(1).and_then(|p| lines.get(p)).is_some_and(|above| {
            above.y - line.y <= BELOW_WINDOW_EM * line.size
                && line
                    .cells
                    .iter()
                    .filter(|c| {
                        above.cells.iter().any(|a| {
                            (a.x0 - c.x0).abs() <= line.size
                                && !is_caps_heading(&a.text)
                                && split_label(&a.text).is_none()
                        })
                    })
                    .count()
                    >= 2
        });
        if let Some(heads) = column_headings(line, &used, li)
            && !raised_values
            && line.cells.iter().all(|c| names_a_party(&c.text))
            && lines.get(li + 1).is_some_and(|next| {
                next.cells.len() >= 2 && next.cells.iter().all(|c| is_caps_heading(&c.text))
            })
        {
            columns = heads;
            continue;
        }
        // Boxed forms print a row of column labels with each value under its label.
        if let Some(pairs) = header_row_values(lines, &used, li, Some(&rhythm), &caption_lines) {
            if pairs.iter().any(|(_, v)| !v.is_empty()) {
                rhythm.push(line.cells.iter().map(|c| c.x0).collect());
                caption_lines.push(li);
            }
            for (ci, value_cells) in pairs {
                mark(&mut used, li, ci);
                let text = value_cells
                    .iter()
                    .filter_map(|(bi, bj)| {
                        lines
                            .get(*bi)
                            .and_then(|l| l.cells.get(*bj))
                            .map(|c| c.text.clone())
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                for (bi, bj) in &value_cells {
                    mark(&mut used, *bi, *bj);
                }
                if let Some(label) = line.cells.get(ci) {
                    // Under side-by-side column headings that say whose data follows, the
                    // column's heading is the section.
                    let column =
                        shapes::column_section(&columns, label.x0, line.size).filter(|h| names_a_party(h));
                    let section = if column.is_some() { &column } else { &*section };
                    emit(out, section, label.text.trim().to_string(), RawValue::Text(text));
                }
            }
            continue;
        }
        if let Some(heads) = column_headings(line, &used, li) {
            columns = heads;
            continue;
        }
        // A lone caption over a lone value in larger print: "NAME" over "Beatrix Fauxley"; or
        // in the same print, where the page stacks captions and values in a column.
        let stacked_value = stacked
            .get(&li)
            .filter(|vl| unused(&used, li, 0) && unused(&used, **vl, 0))
            .map(|vl| (*vl, 0));
        if let Some((vl, vc)) = stacked_value.or_else(|| caption_over_value(lines, &used, li, small_captions))
            && let Some(cap) = line.cells.first()
            && let Some(value) = lines.get(vl).and_then(|l| l.cells.get(vc))
        {
            mark(&mut used, li, 0);
            mark(&mut used, vl, vc);
            let column = shapes::column_section(&columns, cap.x0, line.size).filter(|h| names_a_party(h));
            // A sentence alone on its line runs on over the lines under it.
            // Not into the next caption over its value ("Home address" / "2400 Macdonald Ave,
            // Richmond, CA 94804" / "County" / "Contra Costa").
            let wrapped: Vec<(usize, usize)> = if lines.get(vl).is_some_and(|l| l.cells.len() == 1) {
                wrapped_lines(lines, &used, vl, value)
                    .into_iter()
                    .take_while(|(k, _)| {
                        !stacked.contains_key(k)
                            && caption_over_value(lines, &used, *k, small_captions).is_none()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let text = joined(lines, &mut used, value, &wrapped);
            emit(
                out,
                if column.is_some() { &column } else { &*section },
                cap.text.trim().to_string(),
                RawValue::Text(text),
            );
            continue;
        }
        let lone = line.cells.len() == 1 && !is_used(&used, li, 0);
        // A short title over a paragraph in print no larger ("Clinical justification" over the
        // wrapped text): the title labels the paragraph. A letterhead, larger, does not.
        if lone
            && let Some(cell) = line.cells.first()
            && let Some(next) = lines.get(li + 1)
            && let [para] = next.cells.as_slice()
            && unused(&used, li + 1, 0)
            && titles_paragraph(line, next)
        {
            mark(&mut used, li, 0);
            mark(&mut used, li + 1, 0);
            let wrapped = wrapped_lines(lines, &used, li + 1, para);
            let text = joined(lines, &mut used, para, &wrapped);
            emit(out, section, heading_text(&cell.text), RawValue::Text(text));
            continue;
        }
        if lone
            && let Some(cell) = line.cells.first()
            && (is_numbered_heading(&cell.text)
                || (is_caps_heading(&cell.text) && tick_prefix(&cell.text).is_none())
                || heads_labels(
                    line,
                    lines.get(li + 1),
                    caption_over_value(lines, &used, li + 1, small_captions).is_some()
                        || stacked.contains_key(&(li + 1)),
                ) && !names_a_value(&cell.text))
        {
            *section = Some(heading_text(&cell.text));
            columns.clear();
            // "4. REASON FOR REFERRAL" over a paragraph of free text: the heading labels it —
            // not a caption over its own value ("Resident name (first / last)" over a name).
            if let Some(next) = lines.get(li + 1)
                && let [para] = next.cells.as_slice()
                && unused(&used, li + 1, 0)
                && caption_over_value(lines, &used, li + 1, small_captions).is_none()
                && line.y - next.y <= BELOW_WINDOW_EM * line.size
                && is_paragraph(&para.text)
                && !enumerated(&para.text)
                && !lists_options(&cell.text)
            {
                mark(&mut used, li + 1, 0);
                // Its second line, wrapped under it, goes on.
                let wrapped = wrapped_lines(lines, &used, li + 1, para);
                let text = joined(lines, &mut used, para, &wrapped);
                emit(out, section, heading_text(&cell.text), RawValue::Text(text));
            }
            continue;
        }
        // A lone bare label over more labels heads a section (applied after the line).
        let mut section_label: Option<String> = None;
        for (ci, cell) in line.cells.iter().enumerate() {
            if is_used(&used, li, ci) {
                continue;
            }
            let column = shapes::column_section(&columns, cell.x0, line.size);
            let section = if column.is_some() { &column } else { &*section };
            let next = line
                .cells
                .get(ci + 1)
                .filter(|n| !is_used(&used, li, ci + 1) && !is_label_or_tick(&n.text));
            if let Some(items) = split_ticks(&cell.text) {
                // "Question?  ☐ Yes  ☒ No": the answer belongs to the question before it.
                let question = line
                    .cells
                    .iter()
                    .take(ci)
                    .rev()
                    .take_while(|q| {
                        q.text.trim_end().ends_with('?')
                            || is_yes_no(&q.text)
                            || split_ticks(&q.text).is_some_and(|its| its.iter().all(|(_, c)| is_yes_no(c)))
                    })
                    .find(|q| q.text.trim_end().ends_with('?') && tick_prefix(&q.text).is_none())
                    // ... or printed on the line above, the answers on a line of their own.
                    .or_else(|| {
                        line.cells
                            .iter()
                            .take(ci)
                            .all(|q| {
                                split_ticks(&q.text).is_some_and(|its| its.iter().all(|(_, c)| is_yes_no(c)))
                            })
                            .then(|| li.checked_sub(1).and_then(|p| lines.get(p)))
                            .flatten()
                            .and_then(|p| p.cells.last())
                            .filter(|q| q.text.trim_end().ends_with('?') && tick_prefix(&q.text).is_none())
                    })
                    // ... or a printed label without a colon right before the answers: "Patient
                    // consent  ☒ Yes  ☐ No" asks as a question does.
                    .or_else(|| {
                        let before = line.cells.get(..ci)?;
                        let k = before.iter().rposition(|q| !yes_no_ticks(&q.text))?;
                        let q = before.get(k)?;
                        (unused(&used, li, k)
                            && split_label(&q.text).is_none()
                            && tick_prefix(&q.text).is_none()
                            && !is_heading(&q.text)
                            // "Currently enrolled in ECM  X Yes  __ No": answered yes or no,
                            // any short caption asks, label words or not.
                            && (printed_label(&q.text)
                                || label_like(&q.text)
                                    && items.iter().any(|(_, c)| is_yes_no(c))
                                    && items.iter().all(|(_, c)| is_yes_no(c) || c.is_empty())))
                        .then_some(q)
                    })
                    .map(|q| ((), q));
                if let Some((_, q)) = question
                    && items.iter().all(|(_, c)| is_yes_no(c) || c.is_empty())
                {
                    if let Some((_, answer)) = items.iter().find(|(t, c)| *t && !c.is_empty()) {
                        emit(
                            out,
                            section,
                            q.text.trim().to_string(),
                            RawValue::Text(answer.clone()),
                        );
                    }
                    continue;
                }
                let single = items.len() == 1;
                for (ticked, mut caption) in items {
                    if caption.is_empty()
                        && let Some(n) = next
                        && !is_used(&used, li, ci + 1)
                    {
                        caption = n.text.clone();
                        mark(&mut used, li, ci + 1);
                    }
                    if single
                        && !caption.is_empty()
                        && let Some((k, c)) = caption_continued(lines, &used, li, cell)
                        && let Some(more) = lines.get(k).and_then(|l| l.cells.get(c))
                    {
                        caption = format!("{caption} {}", more.text.trim());
                        mark(&mut used, k, c);
                    }
                    if !caption.is_empty() {
                        emit(out, section, caption, RawValue::Checked(ticked));
                    }
                }
                continue;
            }
            let Some((label, value)) = split_label(&cell.text)
                .or_else(|| {
                    // A colon-less label with a value only a value can be beside it: "Referral Date
                    // 30-Oct-2026".
                    let n = next?;
                    (looks_like_label(&cell.text) && shaped_value(&n.text))
                        .then(|| (heading_text(&cell.text), String::new()))
                })
                .or_else(|| label_then_boxes(&cell.text))
            else {
                continue;
            };
            // "Consent obtained:   X Yes      _ No" with the boxes spaced off into cells of
            // their own: the label still asks.
            let (value, after) = match line.cells.get(ci + 1) {
                Some(n) if value.is_empty() && !is_used(&used, li, ci + 1) && yes_no_ticks(&n.text) => {
                    mark(&mut used, li, ci + 1);
                    (n.text.clone(), ci + 2)
                }
                _ => (value, ci + 1),
            };
            // "Enrolled in ECM: [ ] Yes  [X] No", "Referrer type: [ ] Medical  [X] CBO": the
            // label asks, the ticks after it on the line answer — all of them, not the first.
            if let Some(mut items) = split_ticks(&value).filter(|its| its.iter().any(|(_, c)| !c.is_empty()))
            {
                for (cj, c) in line.cells.iter().enumerate().skip(after) {
                    let Some(more) = split_ticks(&c.text).filter(|_| !is_used(&used, li, cj)) else {
                        break;
                    };
                    items.extend(more);
                    mark(&mut used, li, cj);
                }
                if items.iter().all(|(_, c)| is_yes_no(c)) {
                    let answer = items.iter().find(|(t, _)| *t).map(|(_, c)| c.clone());
                    emit(out, section, label, RawValue::Text(answer.unwrap_or_default()));
                } else {
                    let asked = Some(label);
                    for (ticked, caption) in items.into_iter().filter(|(_, c)| !c.is_empty()) {
                        emit(out, &asked, caption, RawValue::Checked(ticked));
                    }
                }
                continue;
            }
            // "Referrer type:   Medical provider   ✓ Social services provider   Family": a mark
            // before one of the choices after a blank label, the others bare — the form prints a
            // mark only where chosen. Each choice answers the label, the marked one ticked.
            // The label's own text may be the first bare choice ("Referrer type:  Medical
            // provider" in one cell), when more bare choices follow with the marked one.
            if line.cells.len() >= after + 2 {
                let rest: Vec<usize> = (after..line.cells.len())
                    .filter(|cj| !is_used(&used, li, *cj))
                    .collect();
                let choices: Vec<(bool, String)> = rest
                    .iter()
                    .filter_map(|cj| line.cells.get(*cj))
                    .map(|c| match tick_prefix(&c.text) {
                        Some((ticked, n)) => (ticked, c.text.get(n..).unwrap_or_default().trim().to_string()),
                        None => (false, c.text.trim().to_string()),
                    })
                    .collect();
                let marked = choices.iter().filter(|(ticked, _)| *ticked).count();
                let choice_like = |t: &str| {
                    !t.is_empty()
                        && t.split_whitespace().count() <= 5
                        && split_label(t).is_none()
                        && !t.ends_with('?')
                        && !t.chars().any(|ch| ch.is_ascii_digit() || ch == '@')
                };
                let bare_after = choices.len() > marked;
                let own_choice =
                    value.is_empty() || (choice_like(&value) && choices.len() >= 2 && bare_after);
                if choices.len() >= 2
                    && marked == 1
                    && own_choice
                    && choices.iter().all(|(_, c)| choice_like(c))
                {
                    for cj in &rest {
                        mark(&mut used, li, *cj);
                    }
                    let asked = Some(label);
                    if !value.is_empty() {
                        emit(out, &asked, value.trim().to_string(), RawValue::Checked(false));
                    }
                    for (ticked, caption) in choices {
                        emit(out, &asked, caption, RawValue::Checked(ticked));
                    }
                    continue;
                }
            }
            if !value.is_empty() {
                // "Reason: ... a permanent housing unit in" run to the margin and on under the
                // label's start ("SoMa; needs help ..."): the sentence goes on.
                let head = Cell {
                    x0: cell.x0,
                    x1: cell.x1,
                    text: value,
                };
                let mut wrapped = if ci + 1 == line.cells.len() && cell.x1 >= RIGHT_MARGIN_SHARE * right_edge
                {
                    wrapped_lines(lines, &used, li, &head)
                } else {
                    Vec::new()
                };
                if wrapped.is_empty() {
                    wrapped.extend(left_open_continued(lines, &used, li, cell));
                }
                let text = joined(lines, &mut used, &head, &wrapped);
                emit(out, section, label, RawValue::Text(text));
                continue;
            }
            if let Some(n) = next {
                mark(&mut used, li, ci + 1);
                let mut wrapped = if ci + 2 == line.cells.len() {
                    wrapped_lines(lines, &used, li, n)
                } else {
                    Vec::new()
                };
                if wrapped.is_empty() {
                    wrapped.extend(left_open_continued(lines, &used, li, n));
                }
                let text = joined(lines, &mut used, n, &wrapped);
                emit(out, section, label, RawValue::Text(text));
                continue;
            }
            let col_end = line.cells.get(ci + 1).map_or(f32::INFINITY, |n| n.x0);
            let found = match raised(lines, &used, li, cell, col_end, line.size) {
                Some((bi, bj)) => Some(Below::Value(bi, bj)),
                None => below(lines, &used, li, cell, col_end, line.size),
            };
            match found {
                Some(Below::Value(bi, bj)) => {
                    mark(&mut used, bi, bj);
                    // Free text under its label runs on over the lines under it.
                    let text = lines.get(bi).and_then(|l| l.cells.get(bj)).map(|c| {
                        let wrapped = if bi > li {
                            wrapped_lines(lines, &used, bi, c)
                        } else {
                            Vec::new()
                        };
                        joined(lines, &mut used, c, &wrapped)
                    });
                    emit(out, section, label, RawValue::Text(text.unwrap_or_default()));
                }
                // A blank "Date of Birth:" over more labels is a field left empty, not a heading.
                Some(Below::Label) if lone && !names_a_field(&label) => {
                    section_label = Some(heading_text(&cell.text))
                }
                _ => emit(out, section, label, RawValue::Text(String::new())),
            }
        }
        if let Some(heading) = section_label {
            *section = Some(heading);
        }
    }
    owner.resize(out.len() - base, lines.len().saturating_sub(1));
    if let Some(page) = out.get_mut(base..) {
        by_columns(lines, page, &owner);
    }
}

/// Two columns of `Label: value` rows side by side — the member's on the left, the referrer's
/// on the right, often with no heading — are read column by column, as a person reads them, so
/// the role a column's first label names carries down that column and not across the row.
///
/// A block is a run of lines whose text entries start at one of two x positions (at most one
/// entry at each), at least two of them with an entry in both columns, all in one section.
fn by_columns(lines: &[Line], page: &mut [RawEntry], owner: &[usize]) {
    // Where each entry's label starts on its line (text entries only).
    let x_of = |i: usize| -> Option<(f32, f32)> {
        let e = page.get(i)?;
        if !matches!(e.value, RawValue::Text(_)) {
            return None;
        }
        let line_no = *owner.get(i)?;
        let line = lines.get(line_no)?;
        // The same label twice on a line ("Phone: ... Phone: ..."): the n-th entry is the n-th
        // cell that starts with it, not the first one again.
        let earlier = (0..i)
            .rev()
            .take_while(|k| owner.get(*k) == Some(&line_no))
            .filter(|k| page.get(*k).is_some_and(|p| p.name == e.name))
            .count();
        let cell = line
            .cells
            .iter()
            .filter(|c| {
                let t = c.text.trim();
                !e.name.is_empty() && t.starts_with(e.name.as_str())
            })
            .nth(earlier)?;
        Some((cell.x0, line.size))
    };
    let mut order: Vec<usize> = (0..page.len()).collect();
    let mut i = 0;
    while i < page.len() {
        // A block starts at a line with exactly two text entries, left then right.
        let line_of = |k: usize| owner.get(k).copied();
        let (Some((xl, size)), Some((xr, _))) = (x_of(i), x_of(i + 1)) else {
            i += 1;
            continue;
        };
        if line_of(i) != line_of(i + 1)
            || xr - xl < 10.0 * size
            || page.get(i).map(|e| &e.section) != page.get(i + 1).map(|e| &e.section)
        {
            i += 1;
            continue;
        }
        let section = page.get(i).map(|e| e.section.clone());
        let tol = 1.5 * size;
        let (mut left, mut right) = (Vec::new(), Vec::new());
        let mut both = 0;
        let mut j = i;
        while j < page.len() {
            let li = line_of(j);
            let on_line: Vec<usize> = (j..page.len()).take_while(|k| line_of(*k) == li).collect();
            let placed: Option<Vec<(usize, bool)>> = on_line
                .iter()
                .map(|k| {
                    let (x, _) = x_of(*k)?;
                    let same_section = page.get(*k).map(|e| e.section.clone()) == section;
                    if !same_section {
                        return None;
                    }
                    if (x - xl).abs() <= tol {
                        Some((*k, false))
                    } else if (x - xr).abs() <= tol {
                        Some((*k, true))
                    } else {
                        None
                    }
                })
                .collect();
            let Some(placed) = placed else { break };
            let rights = placed.iter().filter(|(_, r)| *r).count();
            if placed.is_empty() || rights > 1 || placed.len() - rights > 1 {
                break;
            }
            if rights == 1 && placed.len() == 2 {
                both += 1;
            }
            for (k, is_right) in placed {
                if is_right { right.push(k) } else { left.push(k) }
            }
            j += on_line.len();
        }
        // A right column holding what only a member has (a birth date, a Medi-Cal number) is
        // the member's too: one party's form in two columns, read row by row.
        let members_only = right
            .iter()
            .any(|k| page.get(*k).is_some_and(|e| member_only(&e.name)));
        if both >= 2 && !members_only {
            let block: Vec<usize> = left.into_iter().chain(right).collect();
            if let Some(slot) = order.get_mut(i..j) {
                slot.copy_from_slice(&block);
            }
            i = j;
        } else if members_only {
            i = j; // nor read any later part of it column by column
        } else {
            i += 1;
        }
    }
    crate::extract::reorder(page, &order);
}

/// A label for what only the member of a referral has: a birth date, a Medi-Cal number.
fn member_only(label: &str) -> bool {
    let words: Vec<String> = label
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words
        .iter()
        .any(|w| ["dob", "birth", "birthdate", "cin", "mrn", "medi"].contains(&w.as_str()))
}

/// Side-by-side headings that say whose data each column holds ("Member Information | Referral
/// Source", "MEMBER | REFERRING AGENCY"), over a line of labels starting under them.
fn party_columns(line: &Line, next: Option<&Line>) -> Option<Vec<(f32, String)>> {
    let next = next?;
    let heading = |c: &Cell| {
        // "1. MEMBER | 2. REFERRING PARTY": the number is not part of the heading.
        let t = c.text.trim();
        let t = t
            .split_once([')', '.'])
            .filter(|(n, rest)| {
                !n.is_empty() && n.chars().all(|d| d.is_ascii_digit()) && rest.starts_with(' ')
            })
            .map_or(t, |(_, rest)| rest.trim());
        (1..=5).contains(&t.split_whitespace().count())
            && t.chars().next().is_some_and(char::is_uppercase)
            && !t.contains([':', ',', '.'])
            && !t.chars().any(|ch| ch.is_ascii_digit())
            && tick_prefix(t).is_none()
            && names_a_party(t)
            && !names_a_field(t)
    };
    // Labels start under each heading: `Name:` cells, or a colon-less grid's label column.
    let under = |c: &Cell| {
        next.cells.len() >= 2
            && next.cells.iter().any(|n| {
                (n.x0 - c.x0).abs() <= 2.0 * line.size
                    && (split_label(&n.text).is_some() || looks_like_label(&n.text))
            })
    };
    (line.cells.len() >= 2 && line.cells.iter().all(|c| heading(c) && under(c)))
        .then(|| line.cells.iter().map(|c| (c.x0, heading_text(&c.text))).collect())
}

/// A line of two or more all-capitals cells, none used yet: the headings of side-by-side
/// columns, with where each starts.
fn column_headings(line: &Line, used: &[Vec<bool>], li: usize) -> Option<Vec<(f32, String)>> {
    let ok = line.cells.len() >= 2
        && line.cells.iter().enumerate().all(|(ci, c)| {
            unused(used, li, ci)
                && is_caps_heading(&c.text)
                && tick_prefix(&c.text).is_none()
                && !enumerated(&c.text)
        });
    ok.then(|| line.cells.iter().map(|c| (c.x0, heading_text(&c.text))).collect())
}

/// Short text that reads like a printed label (not a value): a few words, mostly letters.
fn label_like(text: &str) -> bool {
    let t = text.trim();
    let words = t.split_whitespace().count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    (1..=8).contains(&words)
        && t.chars().count() <= 60
        && letters >= 2
        && digits * 4 <= letters
        && !t.contains('@')
        && split_label(t).is_none()
        && tick_prefix(t).is_none()
        && !t.ends_with('?')
        && !enumerated(t)
}

/// A caption from a numbered list ("3. Housing Deposits"): an option, not a label or a value.
fn enumerated(text: &str) -> bool {
    crate::extract::numbered_item(text).is_some()
}

/// A colon-less label and its value run together in one cell, one space apart, where the label
/// outgrew its grid column ("Referring Provider Willa Exampleton"): the leading label words (up
/// to four, "of" between them) and the rest, when the rest starts like a value — a capital or a
/// digit — and reads like no label.
fn label_words_then_value(text: &str) -> Option<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let core = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let mut k = 0;
    while let Some(w) = words.get(k) {
        let c = core(w);
        let joins = matches!(c.to_ascii_lowercase().as_str(), "of" | "for") && k > 0;
        // A hyphenated qualifier before the label's word: "Post-release phone".
        let qualifier = k == 0
            && c.contains('-')
            && c.chars().all(|ch| ch.is_alphabetic() || ch == '-')
            && words
                .get(1)
                .is_some_and(|n| crate::extract::is_label_word(&core(n)));
        if qualifier {
            k += 1;
            continue;
        }
        if !(crate::extract::is_label_word(&c) || joins) || k >= 4 {
            break;
        }
        k += 1;
    }
    while k > 0
        && words
            .get(k - 1)
            .is_some_and(|w| !crate::extract::is_label_word(&core(w)))
    {
        k -= 1;
    }
    let (label, value) = (words.get(..k)?.join(" "), words.get(k..)?.join(" "));
    // An email address is written lower-case.
    let starts_like_value =
        value.starts_with(|c: char| c.is_uppercase() || c.is_ascii_digit()) || is_email_value(&value);
    // "Referred By" heading its block is no label with the value "By".
    let first = value
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let little = matches!(
        first.as_str(),
        "by" | "of" | "for" | "to" | "from" | "in" | "and" | "or" | "the"
    );
    // A label's words in a long value name something ("Kern County Sheriff - Reentry Services").
    let label_like = looks_like_label(&value) && value.split_whitespace().count() <= 4;
    (k > 0 && starts_like_value && !little && !label_like && tick_prefix(&value).is_none())
        .then_some((label, value))
}

/// One email address and nothing else.
fn is_email_value(value: &str) -> bool {
    matches!(
        crate::extract::contact_kind(value),
        Some(crate::extract::Contact::Email)
    )
}

/// Whether a lone cell starting at `x0` on line `li` stands in a colon-less grid's label column:
/// the line just above or below is a grid row whose first cell starts there.
fn in_grid_label_column(grid: &GridPairs, lines: &[Line], li: usize, x0: f32) -> bool {
    [li.checked_sub(1), Some(li + 1)].into_iter().flatten().any(|k| {
        grid.contains_key(&k)
            && lines
                .get(k)
                .and_then(|l| l.cells.first().map(|c| (c.x0, l.size)))
                .is_some_and(|(x, size)| (x - x0).abs() <= GRID_COLUMN_EM * size)
    })
}

/// Label cells and the value cells that go with them, per line, of the colon-less grids on a page.
type GridPairs = std::collections::HashMap<usize, Vec<(usize, Vec<(usize, usize)>)>>;

/// How far apart (in ems) two cells may start and still be in one grid column.
const GRID_COLUMN_EM: f32 = 1.5;

/// Finds the colon-less label/value grids on a page by geometry: runs of two or more lines whose
/// cells start at the same x positions, alternating label column, value column. A run is a grid
/// when most cells of its label columns read like labels and fewer of its value columns do —
/// so one value that contains a label word does not shift the pairing. A line holding only
/// value-column cells right under a grid row continues those values (a wrapped address).
fn grid_pairs(lines: &[Line]) -> GridPairs {
    let plain = |t: &str| {
        split_label(t).is_none() && tick_prefix(t).is_none() && !enumerated(t) && !is_caps_heading(t)
    };
    let candidate = |l: &Line| l.cells.len() >= 2 && l.cells.iter().all(|c| plain(&c.text));
    let mut out = GridPairs::new();
    // The label and value columns of each grid found, with the print size of its first row.
    let mut grids: Vec<(f32, f32, f32)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(first) = lines
            .get(i)
            .filter(|l| candidate(l) && l.cells.len().is_multiple_of(2))
        else {
            i += 1;
            continue;
        };
        let tol = GRID_COLUMN_EM * first.size;
        let cols: Vec<f32> = first.cells.iter().map(|c| c.x0).collect();
        let column_of = |x: f32| cols.iter().position(|c| (c - x).abs() <= tol);
        // The run: rows whose every cell sits in a column, and continuation lines.
        let mut rows: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut j = i;
        while let Some(l) = lines.get(j) {
            let placed: Option<Vec<usize>> = l.cells.iter().map(|c| column_of(c.x0)).collect();
            let Some(placed) = placed.filter(|p| !p.is_empty()) else {
                break;
            };
            let continuation = placed.iter().all(|c| c % 2 == 1) && !rows.is_empty();
            if !(candidate(l) || continuation) {
                break;
            }
            rows.push((j, placed));
            j += 1;
        }
        let full_rows = rows.iter().filter(|(_, p)| p.iter().any(|c| c % 2 == 0)).count();
        let (mut label_cols, mut labelish, mut value_cols, mut value_labelish) = (0, 0, 0, 0);
        for (li, placed) in &rows {
            for (ci, col) in placed.iter().enumerate() {
                let text = lines
                    .get(*li)
                    .and_then(|l| l.cells.get(ci))
                    .map(|c| c.text.as_str())
                    .unwrap_or("");
                let label = looks_like_label(text);
                if col % 2 == 0 {
                    label_cols += 1;
                    labelish += usize::from(label);
                } else {
                    value_cols += 1;
                    value_labelish += usize::from(label);
                }
            }
        }
        // The page's rhythm of captions over values: two or more other lines of nothing but
        // labels in these very columns ("Pt Name | Referral Date", "D.O.B. | Medi-Cal CIN")
        // make "Name | Clinic" one more row of captions, not a label beside its value.
        let caption_rows = lines
            .iter()
            .enumerate()
            .filter(|(k, l)| {
                !rows.iter().any(|(r, _)| r == k)
                    && l.cells.len() == cols.len()
                    && l.cells.iter().zip(&cols).all(|(c, x)| (c.x0 - x).abs() <= tol)
                    && l.cells.iter().all(|c| looks_like_label(&c.text))
            })
            .count();
        // The same rhythm inside the run: a line of nothing but labels right over a line with
        // no label at all, twice or more ("Referral Date | Member First Name" over "11/23/2026 |
        // Beatriz"): boxed captions two to a row over their values, read down, not across.
        let all_cells = |k: usize, want: bool| {
            lines.get(k).is_some_and(|l| {
                l.cells.len() >= 2 && l.cells.iter().all(|c| looks_like_label(&c.text) == want)
            })
        };
        let captions_in_run = rows
            .windows(2)
            .filter(|w| match w {
                [(a, pa), (b, pb)] => *b == a + 1 && pa == pb && all_cells(*a, true) && all_cells(*b, false),
                _ => false,
            })
            .count();
        // Or once, captions in print smaller than the line of values under them ("Hours
        // requested | Currently enrolled in ECM?" over "8 hours | No"): a boxed form's captions
        // sit small in the top of their boxes, while a grid prints a label and its value alike.
        let small_captions = rows.windows(2).any(|w| match w {
            [(a, pa), (b, pb)] => {
                *b == a + 1
                    && pa == pb
                    && lines.get(*a).zip(lines.get(*b)).is_some_and(|(up, down)| {
                        down.size >= CAPTION_RATIO * up.size
                            && up
                                .cells
                                .iter()
                                .all(|c| label_like(c.text.trim().trim_end_matches('?')))
                    })
                    && all_cells(*b, false)
            }
            _ => false,
        });
        // Every label cell a label and no row of captions over a row of values: values that
        // name a county, services or a provider ("Agency | Orange County SSA - Adult Services",
        // "Referrer type | Social services provider") need only be fewer than the labels.
        let all_labelled = labelish == label_cols && captions_in_run == 0;
        let is_grid = full_rows >= 2
            && labelish * 2 >= label_cols
            && (value_labelish * 2 < value_cols.max(1) || all_labelled)
            && value_labelish < labelish
            && caption_rows + captions_in_run < 2
            && !small_captions;
        if !is_grid {
            i += 1;
            continue;
        }
        if let [label_x, value_x, ..] = cols.as_slice() {
            grids.push((*label_x, *value_x, first.size));
        }
        // Rows just above the run in its columns that the run as a whole was too short of label
        // words to take ("Hours | 2" over "Enrolled in ECM | No"): a printed label beside a value
        // no label word names is the grid's first row.
        let mut above = Vec::new();
        for k in (0..i).rev() {
            let Some(l) = lines
                .get(k)
                .filter(|l| !out.contains_key(&k) && candidate(l) && l.cells.len() == 2)
            else {
                break;
            };
            let (Some(label), Some(value)) = (l.cells.first(), l.cells.get(1)) else {
                break;
            };
            if column_of(label.x0) != Some(0)
                || column_of(value.x0) != Some(1)
                || !label_like(&label.text)
                || looks_like_label(&value.text)
            {
                break;
            }
            above.push((k, vec![0, 1]));
        }
        above.reverse();
        let rows: Vec<(usize, Vec<usize>)> = above.into_iter().chain(rows).collect();
        // Pair each label cell with the value cell in the next column on its line, plus that
        // column's cells on the continuation lines under it.
        let mut last_row: Option<usize> = None;
        for (li, placed) in &rows {
            let is_row = placed.iter().any(|c| c % 2 == 0);
            if is_row {
                let mut pairs = Vec::new();
                for (ci, col) in placed.iter().enumerate() {
                    if col % 2 == 0 {
                        let value: Vec<(usize, usize)> = placed
                            .iter()
                            .position(|c| *c == col + 1)
                            .map(|vi| vec![(*li, vi)])
                            .unwrap_or_default();
                        pairs.push((ci, value));
                    }
                }
                out.insert(*li, pairs);
                last_row = Some(*li);
            } else if let Some(row) = last_row {
                for (ci, col) in placed.iter().enumerate() {
                    if let Some(pairs) = out.get_mut(&row)
                        && let Some((_, values)) = pairs.iter_mut().find(|(lc, _)| {
                            lines
                                .get(row)
                                .and_then(|l| l.cells.get(*lc))
                                .and_then(|c| column_of(c.x0))
                                == Some(col - 1)
                        })
                    {
                        values.push((*li, ci));
                    }
                }
            }
        }
        i = j.max(i + 1);
    }
    // A row standing alone in a grid's two columns — under a heading of its own between the
    // grid's rows ("Population of Focus" over "Population | Transitioning from incarceration"):
    // too short a run to be a grid by itself, it is a label beside its value as the grid's rows
    // are, when its first cell reads like a label and its second does not.
    for (k, l) in lines.iter().enumerate() {
        let [label, value] = l.cells.as_slice() else {
            continue;
        };
        // A label in capitals among the grid's labels is one more label ("POF | Serious mental
        // illness"), not a heading: a heading has no value beside it in the value column.
        let caps_label = is_caps_heading(&label.text)
            && label.text.split_whitespace().count() <= 2
            && !names_a_party(&label.text)
            && plain(&value.text)
            && !is_caps_heading(&value.text);
        if out.contains_key(&k) || !(candidate(l) || caps_label) {
            continue;
        }
        let Some(tol) = grids.iter().find_map(|(lx, vx, size)| {
            let tol = GRID_COLUMN_EM * size;
            ((label.x0 - lx).abs() <= tol && (value.x0 - vx).abs() <= tol).then_some(tol)
        }) else {
            continue;
        };
        if label_like(&label.text) && !looks_like_label(&value.text) {
            // With the lines under it holding only more of the value (a wrapped reason).
            let mut values = vec![(k, 1)];
            for (m, next) in lines.iter().enumerate().skip(k + 1) {
                match next.cells.as_slice() {
                    [more]
                        if (more.x0 - value.x0).abs() <= tol
                            && plain(&more.text)
                            && !out.contains_key(&m) =>
                    {
                        values.push((m, 0));
                    }
                    _ => break,
                }
            }
            out.insert(k, vec![(0, values)]);
        }
    }
    out
}

/// A cell that is only a tick mark: `X`, `✓`, `☒`.
fn is_mark(text: &str) -> bool {
    matches!(
        text.trim(),
        "X" | "x" | "✓" | "✔" | "☒" | "☑" | "■" | "[X]" | "[x]"
    )
}

/// A short title-case line with no colon over a `Label: value` line that starts no further left:
/// a heading printed in bold rather than capitals ("Referrer", "Population of Focus"). A value
/// typed a little above its label's baseline is not one: it sits right of the labels and closer
/// to the next line than a heading does.
///
/// `next_captions`: the next line is a lone caption over its value ([`caption_over_value`]).
fn heads_labels(line: &Line, next: Option<&Line>, next_captions: bool) -> bool {
    let Some(cell) = line.cells.first() else {
        return false;
    };
    let t = cell.text.trim();
    // "1. Tenant" or "C. Referring worker" over "Name: ...": a numbered or lettered section
    // whose title is not in capitals.
    let t = crate::extract::numbered_item(t)
        .or_else(|| lettered_item(t))
        .unwrap_or(t);
    let words = t.split_whitespace().count();
    (1..=8).contains(&words)
        && t.chars().next().is_some_and(char::is_uppercase)
        && !t.contains([':', '.', ','])
        && !t.chars().any(|c| c.is_ascii_digit())
        && tick_prefix(t).is_none()
        && split_label(t).is_none()
        && next.is_some_and(|l| {
            // The next line is a label: `Name: ...`, or a colon-less `Name   Irene Sample`.
            let labelled = |c: &Cell| {
                split_label(&c.text).is_some() || (l.cells.len() >= 2 && looks_like_label(&c.text))
            };
            l.cells.first().is_some_and(|c| {
                (labelled(c) || next_captions)
                    && cell.x0 <= c.x0 + line.size
                    && line.y - l.y > RAISED_WINDOW_EM * line.size
            })
        })
}

/// The text after a section letter ("C. Referring worker", "B) Member"): one capital, then a
/// full stop or a bracket and a space.
fn lettered_item(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let letter = chars.next()?;
    let rest = chars.as_str();
    letter
        .is_ascii_uppercase()
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
        .map(str::trim)
}

/// How far right of its caption (in ems of the caption) an indented value starts: more than
/// a stray offset, less than a second column.
const INDENT_EM: std::ops::RangeInclusive<f32> = 0.6..=4.0;
/// Captions and values stacked in one column in the same print, each value on the line under
/// its caption ("Date of referral" / "11/25/2026" / "Resident name" / "Gertrude Mockingjay"):
/// caption line → value line. Nothing in the print tells them apart, so the run's rhythm does:
/// a run of lone lines at one left edge, in one size, evenly spaced, read two by two from the
/// start that makes more captions name a field and fewer values do ([`stacked_pairs_in`]'s
/// thresholds). A value that is itself a label, tick, heading or list item ends the pairing.
///
/// [`stacked_pairs_in`]: crate::extract::stacked_pairs_in
fn stacked_pairs(lines: &[Line]) -> std::collections::HashMap<usize, usize> {
    let mut out = std::collections::HashMap::new();
    let lone = |l: &Line| l.cells.len() == 1;
    let mut start = 0;
    while start < lines.len() {
        // The run: lone lines at one edge, one size, one spacing.
        let mut end = start + 1;
        if let Some(first) = lines.get(start).filter(|l| lone(l)) {
            let x = first.cells.first().map_or(0.0, |c| c.x0);
            let mut gap = None::<f32>;
            while let Some(next) = lines.get(end) {
                let prev = lines.get(end - 1).map_or(first.y, |l| l.y);
                let step = prev - next.y;
                let same = lone(next)
                    && (next.size - first.size).abs() <= 0.1
                    && next
                        .cells
                        .first()
                        .is_some_and(|c| (c.x0 - x).abs() <= 0.5 * first.size)
                    && step > 0.0
                    && step <= BELOW_WINDOW_EM * first.size
                    && gap.is_none_or(|g| (step - g).abs() <= 0.25 * g);
                if !same {
                    break;
                }
                gap.get_or_insert(step);
                end += 1;
            }
        }
        if end - start >= 6 {
            let text = |li: usize| {
                lines
                    .get(li)
                    .and_then(|l| l.cells.first())
                    .map_or("", |c| c.text.trim())
            };
            out.extend(crate::extract::stacked_pairs_in(start, end, |li| {
                let (cap, value) = (text(li), text(li + 1));
                // "CIN", "ZIP": a field's name in capitals is a caption, not a heading.
                let field_name = cap.split_whitespace().count() <= 2 && names_a_field(cap);
                // "Date of birth" over "Medi-Cal ID" over "93939393B": the date was left blank;
                // the label under it is the next caption, over its own value.
                let next_caption = looks_like_label(value)
                    && li + 2 < end
                    && !text(li + 2).is_empty()
                    && !looks_like_label(text(li + 2));
                let ok = label_like(cap)
                    && (!is_heading(cap) || field_name)
                    && !next_caption
                    && !is_label_or_tick(value)
                    && !is_heading(value)
                    && !enumerated(value);
                ok.then(|| (looks_like_label(cap), looks_like_label(value)))
            }));
        }
        start = end;
    }
    out
}

/// A page reads values indented under captions only when it does so at least this often.
const INDENTED_PAIRS_MIN: usize = 3;

/// The page's captions with their values indented on the lines below (caption line → value
/// lines): a lone caption over one or more lone lines starting a little to its right, none of
/// them a label, tick or heading. Only a page where at least [`INDENTED_PAIRS_MIN`] captions
/// name a field (or ask a question) is read this way, and only captions in their column: a
/// heading over one indented sentence is not a pair.
fn indented_values(lines: &[Line]) -> std::collections::HashMap<usize, Vec<usize>> {
    // (caption line, its x, its size, whether it names a field, the value lines)
    let mut found: Vec<(usize, f32, f32, bool, Vec<usize>)> = Vec::new();
    let mut li = 0;
    while let Some(line) = lines.get(li) {
        let mut values = Vec::new();
        let mut known = false;
        if let [cap] = line.cells.as_slice() {
            let t = cap.text.trim();
            let caption = (1..=8).contains(&t.split_whitespace().count())
                && split_label(t).is_none()
                && tick_prefix(t).is_none()
                && !enumerated(t)
                && !t.contains('@')
                && !t.chars().any(|c| c.is_ascii_digit())
                && !is_heading(t);
            known = looks_like_label(t) || t.ends_with('?');
            let mut prev_y = line.y;
            let mut x = None::<f32>;
            for (k, next) in lines.iter().enumerate().skip(li + 1).take_while(|_| caption) {
                let [cell] = next.cells.as_slice() else {
                    break;
                };
                let indent = (cell.x0 - cap.x0) / line.size;
                let ok = prev_y - next.y <= BELOW_WINDOW_EM * line.size
                    && INDENT_EM.contains(&indent)
                    && x.is_none_or(|x| (cell.x0 - x).abs() <= 0.5 * line.size)
                    && !is_label_or_tick(&cell.text)
                    && !is_heading(&cell.text);
                if !ok {
                    break;
                }
                x = Some(cell.x0);
                prev_y = next.y;
                values.push(k);
            }
        }
        match (values.last().copied(), line.cells.first()) {
            (Some(last), Some(cap)) => {
                found.push((li, cap.x0, line.size, known, values));
                li = last + 1;
            }
            _ => li += 1,
        }
    }
    // The captions that name a field (or ask a question) show the habit; the others in their
    // column ("Areas of need") follow it.
    let known: Vec<f32> = found.iter().filter(|f| f.3).map(|f| f.1).collect();
    if known.len() < INDENTED_PAIRS_MIN {
        return std::collections::HashMap::new();
    }
    found
        .into_iter()
        .filter(|(_, x0, size, _, _)| known.iter().any(|x| (x0 - x).abs() <= 0.5 * size))
        .map(|(li, _, _, _, values)| (li, values))
        .collect()
}

/// A lone caption (a known label word) over a lone value in print at least [`CAPTION_RATIO`]
/// larger on the next line, starting under it — a boxed form's one-column block, "NAME" over
/// "Beatrix Fauxley" — is a label and its value, not a heading: the value's (line, cell).
///
/// `habit`: the page prints three or more such captions with label words; then a caption
/// without one is a caption too ("Social Services Director" over "Bartholomew Fibster, MSW").
fn caption_over_value(lines: &[Line], used: &[Vec<bool>], li: usize, habit: bool) -> Option<(usize, usize)> {
    let line = lines.get(li)?;
    let next = lines.get(li + 1)?;
    let ([cap], [value]) = (line.cells.as_slice(), next.cells.as_slice()) else {
        return None;
    };
    let ok = unused(used, li, 0)
        && unused(used, li + 1, 0)
        && label_like(&cap.text)
        && (habit || looks_like_label(&cap.text))
        && next.size >= CAPTION_RATIO * line.size
        && line.y - next.y <= BELOW_WINDOW_EM * next.size
        && (value.x0 - cap.x0).abs() <= line.size
        && !is_label_or_tick(&value.text)
        && !is_heading(&value.text)
        && !enumerated(&value.text);
    ok.then_some((li + 1, 0))
}

/// A short title-case line (no colon, no full stop, no digits) right over a lone paragraph
/// printed no smaller than a little under it, in print no larger than the paragraph's by
/// [`CAPTION_RATIO`]: the paragraph's label.
fn titles_paragraph(line: &Line, next: &Line) -> bool {
    let (Some(cell), [para]) = (line.cells.first(), next.cells.as_slice()) else {
        return false;
    };
    let t = cell.text.trim();
    (1..=5).contains(&t.split_whitespace().count())
        && t.chars().next().is_some_and(char::is_uppercase)
        && t.chars().any(char::is_lowercase)
        && !t.contains([':', '.', ','])
        && !t.chars().any(|c| c.is_ascii_digit())
        && tick_prefix(t).is_none()
        && !lists_options(t)
        && line.size <= CAPTION_RATIO * next.size
        && line.y - next.y <= BELOW_WINDOW_EM * line.size
        && (para.x0 - cell.x0).abs() <= 2.0 * line.size
        && is_paragraph(&para.text)
        && prose(&para.text)
        && !enumerated(&para.text)
}

/// Running text rather than a title or a list's caption: five words or more, most of them
/// starting in lower case ("Recuperative Care (Medical Respite)" is a caption).
fn prose(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lower = words
        .iter()
        .filter(|w| {
            w.chars()
                .find(|c| c.is_alphabetic())
                .is_some_and(char::is_lowercase)
        })
        .count();
    words.len() >= 5 && lower * 2 >= words.len()
}

/// A row of label, value, label, value cells (no colons): the (label, value) cell pairs.
///
/// Tick cells may end the line (a column of boxes printed beside the grid, `City | Riverside |
/// ☐ Member / family`): the pairs are the cells before them, the ticks are read as ticks.
fn alternating_pairs(line: &Line, used: &[Vec<bool>], li: usize) -> Option<Vec<(usize, usize)>> {
    let n = line
        .cells
        .iter()
        .position(|c| tick_prefix(&c.text).is_some())
        .unwrap_or(line.cells.len());
    let ticks_after = line.cells.get(n..).unwrap_or_default();
    if n < 2
        || !n.is_multiple_of(2)
        || !(0..line.cells.len()).all(|ci| unused(used, li, ci))
        || !ticks_after.iter().all(|c| split_ticks(&c.text).is_some())
    {
        return None;
    }
    // Answer boxes are no tick column: in "Question?  Yes  ■ No" the "Yes" is a box's caption
    // whose box was not printed as a glyph, not the question's value.
    if !ticks_after.is_empty()
        && (ticks_after.iter().any(|c| yes_no_ticks(&c.text))
            || line
                .cells
                .iter()
                .take(n)
                .any(|c| is_yes_no(&c.text) || c.text.trim_end().ends_with('?')))
    {
        return None;
    }
    let plain = |t: &str| split_label(t).is_none() && tick_prefix(t).is_none() && !enumerated(t);
    // "PATIENT | DISCHARGE PLANNER": the headings of two columns, not a label and its value.
    if line.cells.iter().all(|c| is_caps_heading(&c.text)) {
        return None;
    }
    // Every label printed as one, or — beside labels that are — shaped like one ("Discharge
    // planner | Barnaby Nullson, RN | Phone | 310-555-0197").
    let printed = line
        .cells
        .iter()
        .take(n)
        .step_by(2)
        .filter(|c| printed_label(&c.text))
        .count();
    let ok = line.cells.iter().take(n).enumerate().all(|(ci, c)| {
        plain(&c.text)
            && if ci % 2 == 0 {
                printed_label(&c.text) || (label_like(&c.text) && printed * 2 >= n / 2 && printed > 0)
            } else {
                // A question is asked, never an answer.
                !looks_like_label(&c.text) && !c.text.trim_end().ends_with('?')
            }
    });
    ok.then(|| (0..n).step_by(2).map(|ci| (ci, ci + 1)).collect())
}

/// How much larger than a boxed form's captions its typed values are printed, at least.
const CAPTION_RATIO: f32 = 1.2;

/// For each label cell of a header row, the (line, cell) positions of the values under it.
type Columns = Vec<(usize, Vec<(usize, usize)>)>;

/// Whether a line's cells start where those of two or more of the page's rows of captions over
/// values did (`rows`: each such row's cell positions).
fn in_rhythm(rows: &[Vec<f32>], l: &Line) -> bool {
    rows.len() >= 2
        && rows.iter().any(|xs| {
            xs.len() == l.cells.len() && xs.iter().zip(&l.cells).all(|(x, c)| (x - c.x0).abs() <= l.size)
        })
}

/// When line `li` is a row of two or more column labels and the next line holds values aligned
/// under them, returns for each label cell the value cells in its column.
///
/// `rhythm` holds where the page's earlier rows of captions over values (two or more) start
/// their cells: a row of captions in those same places is one more, even when few of its words
/// are label words ("Name | Clinic" over "Anselm Dummington | South Bay Community Health"), or
/// none ("School nurse | School") when it is not right under one of them (`caption_lines`).
fn header_row_values(
    lines: &[Line],
    used: &[Vec<bool>],
    li: usize,
    rhythm: Option<&[Vec<f32>]>,
    caption_lines: &[usize],
) -> Option<Columns> {
    let line = lines.get(li)?;
    // In the rhythm, over a line of values none of which reads as a label.
    let in_rhythm = |l: &Line, i: usize| {
        rhythm.is_some_and(|rows| in_rhythm(rows, l))
            && lines
                .get(i + 1)
                .is_some_and(|n| !n.cells.iter().any(|c| looks_like_label(&c.text)))
    };
    // Small captions over values typed in larger print (a boxed form's caption sits in the top
    // of its box) are a row of labels even when few of their words are known label words
    // ("REFERRAL SOURCE", "DEPARTMENT").
    let captions_over_values = |l: &Line, i: usize| {
        lines.get(i + 1).is_some_and(|n| {
            n.size >= CAPTION_RATIO * l.size && !n.cells.iter().any(|c| is_caps_heading(&c.text))
        })
    };
    let asks = |t: &str| {
        let t = t.trim();
        t.ends_with('?') && label_like(t.trim_end_matches('?'))
    };
    let is_header = |l: &Line, i: usize| {
        let known = l.cells.iter().filter(|c| looks_like_label(&c.text)).count();
        l.cells.len() >= 2
            && l.cells
                .iter()
                .enumerate()
                .all(|(ci, c)| unused(used, i, ci) && (label_like(&c.text) || asks(&c.text)))
            && (known * 2 > l.cells.len()
                || known >= 1 && (captions_over_values(l, i) || in_rhythm(l, i))
                // Two rows of captions over values or more before it in these very places: one
                // more, whatever its words ("School nurse | School") — unless it is the values
                // of a row of captions right above it.
                || rhythm.is_some_and(|r| r.len() >= 2)
                    && in_rhythm(l, i)
                    && !i.checked_sub(1).is_some_and(|p| p == li || caption_lines.contains(&p)))
            // A question among captions ("ALREADY ENROLLED IN ECM?") only over larger values.
            && (l.cells.iter().all(|c| label_like(&c.text)) || captions_over_values(l, i))
    };
    if !is_header(line, li) {
        return None;
    }
    let aligned = |i: usize| -> Option<Columns> {
        let upper = lines.get(i)?;
        let next = lines.get(i + 1)?;
        if upper.y - next.y > BELOW_WINDOW_EM * upper.size.max(next.size) {
            return None;
        }
        let slack = upper.size;
        let mut cols: Columns = (0..upper.cells.len()).map(|ci| (ci, Vec::new())).collect();
        // Ticks under a column's label ("Relationship to member" over "☒ CBO ☐ Provider") are
        // read as ticks on their own line, with the captions after them in that column; the
        // other columns keep their values.
        let mut tick_cols = Vec::new();
        for (bj, c) in next.cells.iter().enumerate() {
            let col = upper
                .cells
                .iter()
                .enumerate()
                .rposition(|(_, h)| c.x0 >= h.x0 - slack)?;
            let tick = split_label(&c.text).is_none() && tick_prefix(&c.text).is_some();
            if unused(used, i + 1, bj) && (tick || tick_cols.contains(&col)) {
                tick_cols.push(col);
                continue;
            }
            if !unused(used, i + 1, bj) || is_label_or_tick(&c.text) || enumerated(&c.text) {
                return None;
            }
            cols.get_mut(col)?.1.push((i + 1, bj));
        }
        cols.iter().any(|(_, v)| !v.is_empty()).then_some(cols)
    };
    // A label row directly over another label row that has its own values has empty values.
    if lines.get(li + 1).is_some_and(|n| is_header(n, li + 1)) && aligned(li + 1).is_some() {
        return Some((0..line.cells.len()).map(|ci| (ci, Vec::new())).collect());
    }
    aligned(li)
}

fn mark(used: &mut [Vec<bool>], li: usize, ci: usize) {
    if let Some(slot) = used.get_mut(li).and_then(|l| l.get_mut(ci)) {
        *slot = true;
    }
}

enum Below {
    /// The value cell (line, cell) under the label.
    Value(usize, usize),
    /// The text under the label is another label or tick: the label is a heading.
    Label,
}

fn unused(used: &[Vec<bool>], li: usize, ci: usize) -> bool {
    used.get(li).and_then(|l| l.get(ci)) == Some(&false)
}

/// An unused value cell just above the label's baseline and to its right (a value typed a
/// little high in its box), on the previous line.
fn raised(
    lines: &[Line],
    used: &[Vec<bool>],
    li: usize,
    cell: &Cell,
    col_end: f32,
    size: f32,
) -> Option<(usize, usize)> {
    let pi = li.checked_sub(1)?;
    let prev = lines.get(pi)?;
    let this = lines.get(li)?;
    if prev.y - this.y > RAISED_WINDOW_EM * size.max(prev.size) {
        return None;
    }
    let (pj, _) = prev.cells.iter().enumerate().find(|(pj, c)| {
        unused(used, pi, *pj) && c.x0 >= cell.x1 - 0.5 * size && c.x0 < col_end && !is_label_or_tick(&c.text)
    })?;
    Some((pi, pj))
}

/// How far right a `Label: value` line must reach, as a share of the page's rightmost text, for
/// the line under it to continue its value: only a line that ran out of room wraps.
const RIGHT_MARGIN_SHARE: f32 = 0.85;

/// Most line spacing (in ems of the value's line) between a free-text value and the line that
/// continues it.
const WRAP_PITCH_EM: f32 = 1.8;

/// The lines under a free-text value on line `li` that continue it (a reason wrapped over three
/// lines): each holds one unused cell starting where the value starts, at most
/// [`WRAP_PITCH_EM`] below the line before, and reads as more of the sentence — not a label, a
/// tick, a heading or a value of its own shape. A short value ("Sacramento") never wraps.
/// The second line of a tick box's caption wrapped in its column ("☒ County / social" over
/// "services"): a cell on the next line, under this box's caption, on a line that holds only
/// such continuations under the row's boxes (no ticks, no labels), a few words each, going on
/// mid-phrase.
fn caption_continued(lines: &[Line], used: &[Vec<bool>], li: usize, tick: &Cell) -> Option<(usize, usize)> {
    let line = lines.get(li)?;
    let below = lines.get(li + 1)?;
    let pitch = line.y - below.y;
    if pitch <= 0.0 || pitch > WRAP_PITCH_EM * line.size {
        return None;
    }
    let under = |c: &Cell, t: &Cell| c.x0 > t.x0 && c.x0 < t.x1;
    let continuation = |c: &Cell| {
        !is_label_or_tick(&c.text)
            && !is_heading(&c.text)
            && !shaped_value(&c.text)
            && c.text.split_whitespace().count() <= 3
            && line
                .cells
                .iter()
                .any(|t| tick_prefix(&t.text).is_some() && under(c, t))
    };
    if !below.cells.iter().all(continuation) {
        return None;
    }
    let k = below.cells.iter().position(|c| under(c, tick))?;
    // Going on mid-phrase: in lower case, or after a word that cannot end one. A capital after a
    // whole caption is the next option, printed without a box ("X Recuperative Care" over
    // "Short-term Post-Hospitalization Housing").
    let open =
        tick.text.trim_end().ends_with(['/', ',', '-', '&'])
            || tick.text.split_whitespace().last().is_some_and(|w| {
                ["and", "or", "of", "to", "for", "with"].contains(&w.to_lowercase().as_str())
            });
    let lower = below
        .cells
        .get(k)
        .is_some_and(|c| c.text.trim_start().starts_with(char::is_lowercase));
    if !(open || lower) {
        return None;
    }
    used.get(li + 1)
        .and_then(|u| u.get(k))
        .is_some_and(|u| !u)
        .then_some((li + 1, k))
}

fn wrapped_lines(lines: &[Line], used: &[Vec<bool>], li: usize, value: &Cell) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let Some(line) = lines.get(li) else {
        return out;
    };
    if !is_paragraph(&value.text) {
        return out;
    }
    let mut prev_y = line.y;
    for (k, next) in lines.iter().enumerate().skip(li + 1) {
        let [cell] = next.cells.as_slice() else {
            break;
        };
        let pitch = prev_y - next.y;
        // A line ending a sentence over one starting with a capital: the next item of a list
        // printed one to a line, not more of this one.
        let sentence_ended = out
            .last()
            .and_then(|(l, c): &(usize, usize)| lines.get(*l).and_then(|x| x.cells.get(*c)))
            .map_or(value.text.as_str(), |c| c.text.as_str())
            .trim_end()
            .ends_with(['.', '!', '?'])
            && cell.text.trim_start().starts_with(char::is_uppercase);
        let continues = pitch > 0.0
            && !sentence_ended
            && pitch <= WRAP_PITCH_EM * line.size
            // In the same print: a smaller caption under it labels the next value.
            && (next.size - line.size).abs() <= 0.15 * line.size
            && (cell.x0 - value.x0).abs() <= line.size
            && unused(used, k, 0)
            && !is_label_or_tick(&cell.text)
            && !is_heading(&cell.text)
            && !shaped_value(&cell.text)
            && cell.text.chars().any(char::is_lowercase);
        if !continues {
            break;
        }
        out.push((k, 0));
        prev_y = next.y;
    }
    out
}

/// A value left open ("Address: 3980 Fakeview Terrace, Unit 14B,", "Agency: Example County
/// Human Services Agency -", "Agency: Fresno County Dept of") goes on on the next line in the cell that starts under it, not left
/// of it nor past its end, that is no label, tick or heading ("     San Diego, CA 92105",
/// "Adult Services") — in a two-column layout the next line holds the other column's cells too.
fn left_open_continued(lines: &[Line], used: &[Vec<bool>], li: usize, cell: &Cell) -> Option<(usize, usize)> {
    let line = lines.get(li)?;
    let next = lines.get(li + 1)?;
    let text = cell.text.trim_end();
    // A name cannot end on a word that joins it to more ("Fresno County Dept of").
    let joining = text.rsplit(char::is_whitespace).next().is_some_and(|w| {
        text.contains(char::is_whitespace)
            && ["of", "for", "and", "the", "de", "del"].contains(&w.to_lowercase().as_str())
    });
    let open =
        joining || text.ends_with(',') || [" -", " –", " —", " &", " /"].iter().any(|d| text.ends_with(d));
    let pitch = line.y - next.y;
    // Text that cannot end there goes on even a form's full row pitch below (rows 2 em apart).
    if !open || pitch <= 0.0 || pitch > BELOW_WINDOW_EM * line.size {
        return None;
    }
    let (k, more) = next
        .cells
        .iter()
        .enumerate()
        .find(|(_, more)| more.x0 >= cell.x0 - 0.5 * line.size && more.x0 < cell.x1)?;
    // Alone on its line, or the last cell of it (the other column's label and value before it).
    (k + 1 == next.cells.len()
        && unused(used, li + 1, k)
        && !is_label_or_tick(&more.text)
        && !is_heading(&more.text))
    .then_some((li + 1, k))
}

/// A value's text with the lines that continue it, those marked used.
fn joined(lines: &[Line], used: &mut [Vec<bool>], value: &Cell, wrapped: &[(usize, usize)]) -> String {
    let mut text = value.text.trim().to_string();
    for (wl, wc) in wrapped {
        if let Some(c) = lines.get(*wl).and_then(|l| l.cells.get(*wc)) {
            text.push(' ');
            text.push_str(c.text.trim());
        }
        mark(used, *wl, *wc);
    }
    text
}

/// What sits directly under `cell` on the next line, within the label's column.
fn below(
    lines: &[Line],
    used: &[Vec<bool>],
    li: usize,
    cell: &Cell,
    col_end: f32,
    size: f32,
) -> Option<Below> {
    let next = lines.get(li + 1)?;
    let this = lines.get(li)?;
    if this.y - next.y > BELOW_WINDOW_EM * size.max(next.size) {
        return None;
    }
    let slack = size;
    let (bj, found) = next
        .cells
        .iter()
        .enumerate()
        .find(|(bj, c)| unused(used, li + 1, *bj) && c.x0 >= cell.x0 - slack && c.x0 < col_end)?;
    Some(
        if is_label_or_tick(&found.text) || unticked_option(lines, li + 1, found) {
            Below::Label
        } else {
            Below::Value(li + 1, bj)
        },
    )
}

/// Whether `cell` on line `li` is an option left unticked in a list whose ticked options,
/// printed on the lines just below with their mark ("X Housing Tenancy ..."), start where its
/// box would be: the list's first option, not the value of the label over it.
fn unticked_option(lines: &[Line], li: usize, cell: &Cell) -> bool {
    let Some(first) = lines.get(li) else {
        return false;
    };
    let size = first.size;
    lines
        .iter()
        .skip(li + 1)
        .take(6)
        .scan(first.y, |y, l| {
            // Consecutive lines only: a gap ends the list.
            let close = *y - l.y <= BELOW_WINDOW_EM * size.max(l.size);
            *y = l.y;
            close.then_some(l)
        })
        .any(|l| {
            l.cells.iter().any(|c| {
                tick_prefix(&c.text).is_some()
                    && split_label(&c.text).is_none()
                    && c.x0 < cell.x0
                    && cell.x0 - c.x0 <= 3.0 * size
            })
        })
}

/// The lines of all pages as text: cells joined by tabs, lines by newlines.
pub(super) fn text(pages: &[Vec<Line>]) -> String {
    let mut out = String::new();
    for line in pages.iter().flatten() {
        let cells: Vec<&str> = line.cells.iter().map(|c| c.text.as_str()).collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
