//! Cell shapes rewritten before pairing, and column headings.
//!
//! - Dotted leaders: `Member last name ........ Jane` reads as `Member last name: Jane`, and a
//!   cell that is nothing but a leader turns the cell before it into a `Label:`.
//! - A question run together with its answer boxes (`Is the member ...? ☐ Yes ☒ No` typed on one
//!   line) is split before the first box, so the question/answer rule in [`super::pair`] sees
//!   the question as its own cell.
//! - A line of two or more all-capitals cells (`MEMBER | REFERRING PARTY`) heads columns: each
//!   cell below is under the heading whose column it starts in, so a two-column page gives the
//!   member's `Phone:` and the referrer's `Phone:` different sections even though they share
//!   lines.
//! - A box whose brackets are printed apart (`(` and `)` with room for a mark between them) is
//!   joined into one `( )` cell.

use super::Cell;

/// Dots (or ellipses, counted as three) that make a leader.
const MIN_LEADER_DOTS: usize = 4;

/// The text with its dotted leader turned into a colon, if it has one: `Some("Label: value")`,
/// `Some("Label:")` for an unanswered line, `Some("")` for a cell that is only a leader.
pub(super) fn leader_to_colon(text: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while let Some(&(start, c)) = chars.get(i) {
        if c != '.' && c != '…' {
            i += 1;
            continue;
        }
        // The run of dots, ellipses and spaces (". . . ." leaders are spaced).
        let mut dots = 0;
        let mut j = i;
        let mut end = text.len();
        while let Some(&(at, d)) = chars.get(j) {
            match d {
                '.' => dots += 1,
                '…' => dots += 3,
                ' ' | '\u{a0}' => {}
                _ => {
                    end = at;
                    break;
                }
            }
            j += 1;
        }
        // A short leader standing apart (`Medi-Cal ID # .. 94417729D`) counts too.
        let apart = text.get(..start).is_some_and(|b| b.ends_with(' '))
            && text.get(..end).is_some_and(|b| b.ends_with(' '));
        if dots >= MIN_LEADER_DOTS || (dots >= 2 && apart) {
            let label = text.get(..start)?.trim().trim_end_matches(':').trim_end();
            let value = text.get(end..)?.trim();
            if label.is_empty() {
                return (value.is_empty()).then(String::new);
            }
            if !label.chars().any(char::is_alphabetic) {
                return None;
            }
            return Some(if value.is_empty() {
                format!("{label}:")
            } else {
                format!("{label}: {value}")
            });
        }
        i = j.max(i + 1);
    }
    None
}

/// Applies [`leader_to_colon`] to a line's cells; a leader-only cell makes the cell before it a
/// `Label:` (its value is then the cell after it).
pub(super) fn rewrite_leaders(cells: Vec<Cell>) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    for mut cell in cells {
        match leader_to_colon(&cell.text) {
            Some(t) if t.is_empty() => {
                if let Some(prev) = out.last_mut()
                    && !prev.text.trim_end().ends_with(':')
                {
                    prev.text = format!("{}:", prev.text.trim_end());
                }
            }
            Some(t) => {
                cell.text = t;
                out.push(cell);
            }
            None => out.push(cell),
        }
    }
    out
}

/// Box glyphs that may follow a question on the same run.
const BOXES: [char; 6] = ['☐', '☒', '☑', '□', '■', '❏'];

/// Splits `Question? ☐ Yes ☒ No` into the question and the boxes, placing the pieces
/// proportionally along the cell.
pub(super) fn split_question(cell: Cell) -> Vec<Cell> {
    // The first box glyph, else a typed box (`[ ]`, `[X]`) right after the question mark.
    let typed_box = || {
        let q = cell.text.find("? ")?;
        let rest = cell.text.get(q + 1..)?;
        let at = q + 1 + (rest.len() - rest.trim_start().len());
        super::tick_prefix(cell.text.get(at..)?).map(|_| (at, ' '))
    };
    let Some((at, _)) = cell
        .text
        .char_indices()
        .find(|(_, c)| BOXES.contains(c))
        .or_else(typed_box)
    else {
        return vec![cell];
    };
    let (Some(question), Some(rest)) = (cell.text.get(..at), cell.text.get(at..)) else {
        return vec![cell];
    };
    // A question, or a short printed label before box glyphs ("Referrer type ☒ Medical
    // provider ☐ CBO", "Resident consents to referral ☒ Yes ☐ No"): the boxes answer it.
    let q = question.trim_end();
    let label = || {
        let words = q.split_whitespace().count();
        (1..=6).contains(&words)
            && q.chars().any(char::is_alphabetic)
            && !q.chars().any(|c| c.is_ascii_digit() || BOXES.contains(&c))
            && !q.ends_with([':', '.', ','])
            && cell
                .text
                .get(at..)
                .is_some_and(|r| r.starts_with(BOXES) && r.chars().filter(|c| c.is_alphabetic()).count() >= 2)
    };
    if at == 0 || !(q.ends_with('?') || label()) {
        return vec![cell];
    }
    let total = cell.text.chars().count().max(1) as f32;
    let split_x = cell.x0 + (cell.x1 - cell.x0) * question.chars().count() as f32 / total;
    vec![
        Cell {
            x0: cell.x0,
            x1: split_x,
            text: question.trim().to_string(),
        },
        Cell {
            x0: split_x,
            x1: cell.x1,
            text: rest.trim().to_string(),
        },
    ]
}

/// The section of a cell starting at `x0` under column headings `(x0, heading)`: the heading
/// of the column it starts in (`slack` to the left allowed), if any.
pub(super) fn column_section(columns: &[(f32, String)], x0: f32, slack: f32) -> Option<String> {
    columns
        .iter()
        .filter(|(hx, _)| x0 >= hx - slack)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h.clone())
}

/// How far apart (in ems) the brackets of one box may be printed.
const SPLIT_BOX_GAP_EM: f32 = 3.0;

/// A box drawn as two glyphs with the room for a mark between them — `(` then `)` a few
/// points right, as a flattened form prints an empty `( )` — becomes one cell `( )` (with any
/// caption after the closing bracket: `( ) No`), so it reads as a box like the ticked `( X )`
/// beside it and its caption is not taken for a value.
pub(super) fn join_split_boxes(cells: Vec<Cell>, size: f32) -> Vec<Cell> {
    let mut out: Vec<Cell> = Vec::with_capacity(cells.len());
    for cell in cells {
        if let Some(prev) = out.last_mut() {
            let close = match prev.text.trim() {
                "(" => Some(')'),
                "[" => Some(']'),
                _ => None,
            };
            if let Some(close) = close
                && cell.text.trim_start().starts_with(close)
                && cell.x0 - prev.x1 <= SPLIT_BOX_GAP_EM * size
            {
                prev.text = format!("{} {}", prev.text.trim(), cell.text.trim_start());
                prev.x1 = prev.x1.max(cell.x1);
                continue;
            }
        }
        out.push(cell);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(x0: f32, text: &str) -> Cell {
        Cell {
            x0,
            x1: x0 + 5.0 * text.chars().count() as f32,
            text: text.to_string(),
        }
    }

    #[test]
    fn leaders_become_colons() {
        assert_eq!(
            leader_to_colon("Member last name ............ Sample").as_deref(),
            Some("Member last name: Sample")
        );
        assert_eq!(
            leader_to_colon("ZIP . . . . . . 94612").as_deref(),
            Some("ZIP: 94612")
        );
        assert_eq!(leader_to_colon("Phone ………").as_deref(), Some("Phone:"));
        assert_eq!(leader_to_colon("..........").as_deref(), Some(""));
        assert_eq!(leader_to_colon("Dr. J. Sample"), None);
        assert_eq!(leader_to_colon("Wait..."), None);
        assert_eq!(
            leader_to_colon("Medi-Cal ID # .. 94417729D").as_deref(),
            Some("Medi-Cal ID #: 94417729D")
        );
        assert_eq!(
            leader_to_colon("See p. 2 .. done").as_deref(),
            Some("See p. 2: done")
        );
        assert_eq!(leader_to_colon("1.2.3.4.5"), None);
        let cells = rewrite_leaders(vec![
            cell(10.0, "Name"),
            cell(60.0, "......."),
            cell(120.0, "Jane"),
        ]);
        let texts: Vec<&str> = cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Name:", "Jane"]);
    }

    #[test]
    fn question_and_boxes_split() {
        let parts = split_question(cell(10.0, "Is the member a KP member? ☐ Yes ☒ No"));
        let texts: Vec<&str> = parts.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["Is the member a KP member?", "☐ Yes ☒ No"]);
        assert!(
            parts
                .windows(2)
                .all(|w| w.first().map(|c| c.x1) == w.get(1).map(|c| c.x0))
        );
        // A caption after a box, or a box without a question, stays whole.
        assert_eq!(split_question(cell(10.0, "☒ Housing")).len(), 1);
        assert_eq!(split_question(cell(10.0, "Housing ☒")).len(), 1);
    }

    /// Issue #8 (blind36): a short printed label before box glyphs with their captions is asked
    /// as a question is ("Referrer type ☒ Medical provider ☐ CBO / social services").
    #[test]
    fn class36_a_label_before_its_boxes_on_one_run_splits_off() {
        let parts = split_question(cell(
            10.0,
            "Referrer type ☒ Medical provider ☐ CBO / social services",
        ));
        let texts: Vec<&str> = parts.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Referrer type", "☒ Medical provider ☐ CBO / social services"]
        );
        let parts = split_question(cell(10.0, "Resident consents to referral ☒ Yes ☐ No"));
        assert_eq!(parts.len(), 2);
        // Not a sentence, nor a label with its colon (read as a label already).
        assert_eq!(split_question(cell(10.0, "Services: ☒ Meals ☐ Respite")).len(), 1);
    }

    #[test]
    fn cells_fall_under_their_column_heading() {
        let cols = vec![(40.0, "MEMBER".to_string()), (320.0, "REFERRER".to_string())];
        assert_eq!(column_section(&cols, 40.0, 9.0).as_deref(), Some("MEMBER"));
        assert_eq!(column_section(&cols, 318.0, 9.0).as_deref(), Some("REFERRER"));
        assert_eq!(column_section(&cols, 10.0, 9.0), None);
    }
}
