//! Naming form fields from the page around their widgets.
//!
//! Forms made with Acrobat's "Prepare Form" name fields after a nearby label (`Name`,
//! `Phone Number_2`) or nothing at all (`undefined_3`), with no tooltip. A reader still knows
//! what each box is from the page: the heading above it ("REFERRING PROVIDER") and the caption
//! printed beside a checkbox. This fills in what a field itself lacks:
//! - `section`: the nearest heading above the widget that starts left of it, so "Name" under
//!   "REFERRING PROVIDER" is the referrer's. Only headings with some widget above them count:
//!   a heading over the first fields of a page is as likely the form's title ("PROVIDER
//!   REFERRAL FORM"), which must not make the member's fields the referrer's;
//! - `alt` for a checkbox or radio button without a tooltip: the caption printed right of the
//!   widget (with its continuation line, for captions wrapped under themselves);
//! - a radio group's generated export value (`Choice2`, `3`) becomes the caption beside the
//!   chosen button, which is what the reader sees chosen.
//!
//! Never fatal: a field without a known place or page keeps what it had.

use std::collections::HashMap;

use lopdf::ObjectId;

use super::acroform::{Field, Place};
use super::layout::{Cell, Line, is_heading, names_a_party};
use crate::extract::RawValue;

/// How far right of a widget its caption may start, in ems of the caption's line.
const CAPTION_REACH_EM: f32 = 3.0;
/// How far under a caption's baseline its wrapped second line may sit, in ems.
const WRAP_EM: f32 = 1.3;

/// Fills sections, captions and radio captions from the page lines. `page_of` maps page and
/// widget-annotation object ids to an index into `pages`.
pub(super) fn label_fields(fields: &mut [Field], pages: &[Vec<Line>], page_of: &HashMap<ObjectId, usize>) {
    let page_for = |p: &Place| -> Option<usize> {
        p.page
            .and_then(|id| page_of.get(&id))
            .or_else(|| p.annot.and_then(|id| page_of.get(&id)))
            .copied()
            .or((pages.len() == 1).then_some(0))
    };
    // Widget rectangles per page, so a wrapped caption line is not another box's caption.
    let mut rects: HashMap<usize, Vec<[f32; 4]>> = HashMap::new();
    for f in fields.iter() {
        if let Some(p) = &f.place
            && let Some(i) = page_for(p)
        {
            rects.entry(i).or_default().push(p.rect);
        }
    }
    for f in fields.iter_mut() {
        let Some(place) = f.place.clone() else {
            continue;
        };
        let Some(pi) = page_for(&place) else {
            continue;
        };
        let Some(lines) = pages.get(pi) else {
            continue;
        };
        let others = rects.get(&pi).map(Vec::as_slice).unwrap_or_default();
        if f.entry.section.is_none() {
            f.entry.section = heading_above(lines, place.rect, others);
        }
        let is_box = matches!(f.entry.value, RawValue::Checked(_)) || f.radio;
        if !is_box {
            // A text box named `Text7` with no tooltip is known by the label printed left of it
            // or just above it, as a reader knows it.
            if f.entry.alt.is_none() {
                f.entry.alt = label_for_box(lines, place.rect, others);
            }
            continue;
        }
        // A radio group named for nothing a reader sees (`rdoKP`) is known by the question
        // printed left of its buttons ("Is the member enrolled with Kaiser Permanente?").
        // Or by the question printed on the line above them ("Enrolled in ECM?" over "( ) Yes
        // (•) No").
        if f.radio && f.entry.alt.is_none() {
            f.entry.alt = question_left(lines, place.rect)
                .or_else(|| question_above(lines, place.rect))
                .map(|c| c.text.trim().to_string());
        }
        let Some(caption) = caption_beside(lines, place.rect, others) else {
            // No caption right of the box: a form that prints its captions in a column on the
            // left ("CS - Recuperative Care" … ☒) labels its boxes as it labels its text boxes.
            if !f.radio && f.entry.alt.is_none() {
                f.entry.alt = label_for_box(lines, place.rect, others);
            }
            continue;
        };
        if f.radio {
            if let RawValue::Text(export) = &f.entry.value
                && (generated_export(export) || abbreviates(export, &caption))
            {
                f.entry.value = RawValue::Text(caption);
            }
        } else if f.entry.alt.is_none() {
            // A bare "Yes" / "No" box answers the question printed beside or above it.
            let caption = match question_for(lines, place.rect, &caption) {
                Some(q) => format!("{q} {caption}"),
                None => caption,
            };
            f.entry.alt = Some(caption);
        }
    }
}

/// The nearest heading line above the widget whose heading cell starts left of it, among the
/// headings that have some widget (`widgets`) above them.
fn heading_above(lines: &[Line], rect: [f32; 4], widgets: &[[f32; 4]]) -> Option<String> {
    let [x0, _, _, y1] = rect;
    lines
        .iter()
        // A capitalised label beside its own box ("NPI") is not a heading.
        .filter(|l| l.y > y1 && widgets.iter().any(|w| w[1] > l.y))
        .filter(|l| !widgets.iter().any(|w| l.y >= w[1] - 0.5 * l.size && l.y <= w[3]))
        .filter_map(|l| {
            // A line of its own with no box on it that names a party ("Referred by", "Client
            // information") heads what follows as much as one in capitals does.
            // A numbered section ("5. Referrer") heads what follows as the same words do.
            let lone_party = |c: &Cell| {
                let t = c.text.trim().trim_end_matches(':');
                let t = crate::extract::numbered_item(t).unwrap_or(t);
                let lower = t.to_lowercase();
                l.cells.len() == 1
                    && !t.contains(':')
                    && t.split_whitespace().count() <= 4
                    && !t.chars().any(|ch| ch.is_ascii_digit())
                    && (names_a_party(t) || lower.ends_with(" by"))
            };
            // A caption printed right over a box's left edge ("Child's DOB", "NPI" over their
            // fields) is that box's caption, not a heading for the boxes after it.
            let over_a_box = |c: &Cell| {
                widgets.iter().any(|w| {
                    let gap = l.y - w[3];
                    (-0.2 * l.size..=1.6 * l.size).contains(&gap)
                        && c.x0 >= w[0] - l.size
                        && c.x0 <= w[0] + 2.0 * l.size
                })
            };
            let heads: Vec<&Cell> = l
                .cells
                .iter()
                .filter(|c| (is_heading(&c.text) || lone_party(c)) && !over_a_box(c))
                .collect();
            if heads.len() != l.cells.len() {
                return None;
            }
            heads
                .into_iter()
                .filter(|c| c.x0 <= x0 + l.size)
                .max_by(|a, b| a.x0.total_cmp(&b.x0))
                .map(|c| (l.y, c.text.trim().trim_end_matches(':').trim().to_string()))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, h)| h)
}

/// The caption printed right of a box: the nearest cell starting just after its right edge on
/// its baseline, plus a wrapped line starting at the same x just under it (when no other
/// widget sits on that line).
fn caption_beside(lines: &[Line], rect: [f32; 4], others: &[[f32; 4]]) -> Option<String> {
    let [_, y0, x1, y1] = rect;
    let (li, cell) = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.y >= y0 - 0.5 * l.size && l.y <= y1)
        .flat_map(|(li, l)| l.cells.iter().map(move |c| (li, l, c)))
        .filter(|(_, l, c)| c.x0 >= x1 - 1.0 && c.x0 <= x1 + CAPTION_REACH_EM * l.size)
        .min_by(|a, b| a.2.x0.total_cmp(&b.2.x0))
        .map(|(li, _, c)| (li, c))?;
    let line = lines.get(li)?;
    let mut caption = cell.text.trim().to_string();
    let wrapped = lines.get(li + 1).and_then(|next| {
        let close = line.y - next.y <= WRAP_EM * line.size;
        // Another box in this caption's column on that line owns it.
        let boxed = others.iter().any(|r| {
            r != &rect
                && next.y >= r[1] - 0.5 * next.size
                && next.y <= r[3]
                && r[2] <= cell.x0 + 1.0
                && r[2] >= cell.x0 - CAPTION_REACH_EM * next.size
        });
        (close && !boxed)
            .then(|| next.cells.iter().find(|c| (c.x0 - cell.x0).abs() < 1.0))
            .flatten()
    });
    if let Some(w) = wrapped {
        caption.push(' ');
        caption.push_str(w.text.trim());
    }
    (!caption.is_empty()).then_some(caption)
}

/// How far above a Yes/No box its question may sit, in ems.
const QUESTION_ABOVE_EM: f32 = 2.5;

/// For a box captioned just "Yes" or "No": the question it answers — a cell ending in `?` left
/// of it on its line, else the nearest line above it that ends in `?`.
fn question_for(lines: &[Line], rect: [f32; 4], caption: &str) -> Option<String> {
    let c = caption.trim().to_ascii_lowercase();
    if !matches!(c.as_str(), "yes" | "no" | "y" | "n") {
        return None;
    }
    question_left(lines, rect)
        .or_else(|| question_above(lines, rect))
        .map(|cell| cell.text.trim().to_string())
}

/// A question (ending in `?`) on the nearest line just above a widget.
fn question_above(lines: &[Line], rect: [f32; 4]) -> Option<&Cell> {
    let [_, _, _, y1] = rect;
    lines
        .iter()
        .filter(|l| l.y > y1 && l.y - y1 <= QUESTION_ABOVE_EM * l.size)
        .min_by(|a, b| a.y.total_cmp(&b.y))
        .and_then(|l| l.cells.iter().find(|cell| cell.text.trim_end().ends_with('?')))
}

/// The nearest cell left of a widget on its line that asks or labels something: ending in `?`,
/// or numbered as a form's items are ("5d. Referrer type") — not another button's caption
/// ("Medical").
fn question_left(lines: &[Line], rect: [f32; 4]) -> Option<&Cell> {
    let [x0, y0, _, y1] = rect;
    let asks = |t: &str| {
        let t = t.trim();
        t.ends_with('?') || enumerated_item(t)
    };
    lines
        .iter()
        .filter(|l| l.y >= y0 - 0.5 * l.size && l.y <= y1)
        .flat_map(|l| l.cells.iter())
        .filter(|cell| cell.x1 <= x0 + 1.0 && asks(&cell.text))
        .max_by(|a, b| a.x1.total_cmp(&b.x1))
}

/// How far left of a text box its label may end, in ems.
const LABEL_REACH_EM: f32 = 12.0;
/// How far left of a text box (in ems) the start of its label may be.
const LABEL_COLUMN_EM: f32 = 24.0;
/// How far above a text box's top its label line may sit, in ems.
const LABEL_ABOVE_EM: f32 = 1.8;

/// The label printed for a text box: the nearest cell on its line ending left of it, else a cell
/// on the line just above it starting near its left edge. A cell that is itself beside another
/// box in between is that box's label, not this one's.
fn label_for_box(lines: &[Line], rect: [f32; 4], others: &[[f32; 4]]) -> Option<String> {
    let [x0, y0, _, y1] = rect;
    let clean = |t: &str| {
        let t = t.trim().trim_end_matches(':').trim().to_string();
        (!t.is_empty() && t.chars().any(char::is_alphabetic)).then_some(t)
    };
    let left = lines
        .iter()
        .filter(|l| l.y >= y0 - 0.5 * l.size && l.y <= y1)
        .flat_map(|l| l.cells.iter().map(move |c| (l, c)))
        // Near its end, or starting within a label column's width of it (a column of short
        // captions, "City", "ZIP", with the boxes lined up far to the right).
        .filter(|(l, c)| {
            c.x1 <= x0 + 1.0
                && (c.x1 >= x0 - LABEL_REACH_EM * l.size || c.x0 >= x0 - LABEL_COLUMN_EM * l.size)
        })
        // No other box between the label and this one.
        .filter(|(l, c)| {
            !others.iter().any(|r| {
                r != &rect
                    && r[0] >= c.x1 - 1.0
                    && r[2] <= x0 + 1.0
                    && l.y >= r[1] - 0.5 * l.size
                    && l.y <= r[3]
            })
        })
        .max_by(|a, b| a.1.x1.total_cmp(&b.1.x1))
        .and_then(|(_, c)| clean(&c.text));
    left.or_else(|| {
        lines
            .iter()
            .filter(|l| l.y > y1 - 0.2 * l.size && l.y - y1 <= LABEL_ABOVE_EM * l.size)
            .min_by(|a, b| a.y.total_cmp(&b.y))
            .and_then(|l| {
                l.cells
                    .iter()
                    .find(|c| c.x0 >= x0 - 1.5 * l.size && c.x0 <= x0 + 2.0 * l.size)
            })
            .and_then(|c| clean(&c.text))
    })
}

/// An export value a generator made up rather than a word a reader sees: `Choice2`, `3`,
/// `Option 1`.
fn generated_export(v: &str) -> bool {
    let v = v.trim();
    let letters: String = v.chars().take_while(|c| c.is_alphabetic()).collect();
    let rest = v.get(letters.len()..).unwrap_or_default().trim();
    !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_digit())
        && matches!(
            letters.to_ascii_lowercase().as_str(),
            "" | "choice" | "option" | "opt" | "radio" | "button" | "item" | "value"
        )
}

/// An export value that is only a short form of the caption printed beside its button: a
/// letter or two ("S" beside "Social"), the initials of its words ("SSP" beside "Social services
/// provider"), or shortened words
/// run together, taken in order from the caption ("SocSvc" beside "Social services"; a word
/// such as "cbo" is read as it is).
fn abbreviates(export: &str, caption: &str) -> bool {
    let t = export.trim();
    let short = t.chars().count() <= 2;
    let run_together = t.chars().skip(1).any(char::is_uppercase) && t.chars().any(char::is_lowercase);
    // An acronym of the caption's words: "SSP" beside "Social services provider".
    let initials: String = caption
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    if t.len() >= 2 && t.chars().all(|c| c.is_ascii_uppercase()) && initials == t {
        return true;
    }
    if !(short || run_together) {
        return false;
    }
    let e: Vec<char> = export
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let c: Vec<char> = caption
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if e.is_empty() || e.len() >= c.len() || e.first() != c.first() {
        return false;
    }
    let mut rest = c.iter();
    e.len() <= 2 || e.iter().all(|ch| rest.any(|x| x == ch))
}

/// "5. Referrer", "5d. Referrer type", "12b) Type": an item numbered as a form's items are, a
/// letter after the number or not.
fn enumerated_item(t: &str) -> bool {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = t.get(digits..).unwrap_or_default();
    let rest = rest
        .strip_prefix(|c: char| c.is_ascii_lowercase())
        .unwrap_or(rest);
    (1..=2).contains(&digits) && (rest.starts_with(". ") || rest.starts_with(") "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::RawEntry;

    fn line(y: f32, cells: &[(f32, &str)]) -> Line {
        Line {
            y,
            size: 9.0,
            cells: cells
                .iter()
                .map(|(x0, t)| Cell {
                    x0: *x0,
                    x1: x0 + 4.5 * t.chars().count() as f32,
                    text: (*t).to_string(),
                })
                .collect(),
        }
    }

    fn field(name: &str, value: RawValue, rect: [f32; 4], radio: bool) -> Field {
        Field {
            entry: RawEntry {
                name: name.into(),
                alt: None,
                section: None,
                value,
                confidence: None,
            },
            place: Some(Place {
                annot: None,
                page: None,
                rect,
            }),
            radio,
        }
    }

    #[test]
    fn headings_captions_and_radio_choices_come_from_the_page() {
        let page = vec![
            line(700.0, &[(36.0, "MEMBER INFORMATION")]),
            line(680.0, &[(40.0, "Name")]),
            line(640.0, &[(36.0, "REFERRING PROVIDER")]),
            line(620.0, &[(40.0, "Name")]),
            line(590.0, &[(56.0, "Serious mental illness or")]),
            line(582.0, &[(56.0, "substance use disorder")]),
            line(560.0, &[(56.0, "Experiencing homelessness")]),
            line(530.0, &[(56.0, "ECM"), (156.0, "Community Supports")]),
        ];
        let mut fields = vec![
            field(
                "Name",
                RawValue::Text("Jane Sample".into()),
                [188.0, 676.0, 480.0, 692.0],
                false,
            ),
            field(
                "Name_2",
                RawValue::Text("Testy McTestface".into()),
                [188.0, 616.0, 480.0, 632.0],
                false,
            ),
            field(
                "undefined",
                RawValue::Checked(true),
                [42.0, 587.0, 51.0, 596.0],
                false,
            ),
            field(
                "undefined_2",
                RawValue::Checked(false),
                [42.0, 557.0, 51.0, 566.0],
                false,
            ),
            field(
                "Program",
                RawValue::Text("Choice2".into()),
                [142.0, 527.0, 151.0, 536.0],
                true,
            ),
        ];
        label_fields(&mut fields, &[page], &HashMap::new());
        let got: Vec<(Option<&str>, Option<&str>, RawValue)> = fields
            .iter()
            .map(|f| {
                (
                    f.entry.section.as_deref(),
                    f.entry.alt.as_deref(),
                    f.entry.value.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                // The first heading has no widget above it: it may be the form's title. The
                // caption printed left of each box is its label.
                (None, Some("Name"), RawValue::Text("Jane Sample".into())),
                (
                    Some("REFERRING PROVIDER"),
                    Some("Name"),
                    RawValue::Text("Testy McTestface".into())
                ),
                (
                    Some("REFERRING PROVIDER"),
                    Some("Serious mental illness or substance use disorder"),
                    RawValue::Checked(true)
                ),
                (
                    Some("REFERRING PROVIDER"),
                    Some("Experiencing homelessness"),
                    RawValue::Checked(false)
                ),
                (
                    Some("REFERRING PROVIDER"),
                    None,
                    RawValue::Text("Community Supports".into())
                ),
            ]
        );
    }

    #[test]
    fn class59_an_export_abbreviating_its_caption_is_the_caption() {
        assert!(abbreviates("S", "Social"));
        assert!(abbreviates("SocSvc", "Social services"));
        assert!(!abbreviates("kpY", "Yes"));
        assert!(!abbreviates("Yes", "Yes"));
        assert!(!abbreviates("Hospital", "Skilled nursing facility"));
        assert!(!abbreviates("P", "Social"));
        assert!(abbreviates("SSP", "Social services provider"));
        assert!(!abbreviates("SSP", "Social services"));
        assert!(!abbreviates("cbo", "CBO / servicios sociales"));
        assert!(enumerated_item("5d. Referrer type"));
        assert!(!enumerated_item("Medical"));
    }

    #[test]
    fn only_generated_exports_are_replaced() {
        assert!(generated_export("Choice2"));
        assert!(generated_export("3"));
        assert!(generated_export("Option 1"));
        assert!(!generated_export("Yes"));
        assert!(!generated_export("ECM"));
        assert!(!generated_export("Off"));
    }

    /// Short captions in a column at the left margin, their boxes lined up far to the right.
    #[test]
    fn class7_a_short_caption_far_left_of_its_box_labels_it() {
        let lines = [
            line(659.0, &[(40.0, "First Name")]),
            line(559.0, &[(40.0, "City")]),
        ];
        let rect = [190.0, 656.0, 410.0, 670.0];
        assert_eq!(
            label_for_box(&lines, rect, &[rect]).as_deref(),
            Some("First Name")
        );
        // Not a caption from the far side of the page.
        let lines = [line(659.0, &[(-200.0, "First Name")])];
        assert_eq!(label_for_box(&lines, rect, &[rect]), None);
    }

    /// Issue #8 (blind35): a check box with nothing printed right of it takes the caption
    /// printed left of it ("CS - Recuperative Care (Medical Respite)" … ☒), as a text box does.
    #[test]
    fn class35_a_check_box_captioned_on_its_left() {
        let lines = vec![line(704.0, &[(40.0, "CS - Recuperative Care (Medical Respite)")])];
        let mut fields = vec![field(
            "CS_RECUP",
            RawValue::Checked(true),
            [250.0, 700.0, 262.0, 712.0],
            false,
        )];
        label_fields(&mut fields, &[lines], &HashMap::new());
        assert_eq!(
            fields[0].entry.alt.as_deref(),
            Some("CS - Recuperative Care (Medical Respite)")
        );
    }

    /// A heading in sentence case on a line of its own, naming whose fields follow.
    #[test]
    fn class7_a_lone_line_naming_a_party_heads_the_boxes_under_it() {
        let client = [188.0, 676.0, 480.0, 692.0];
        let referrer = [188.0, 596.0, 480.0, 612.0];
        let lines = [
            line(680.0, &[(40.0, "Client name")]),
            line(640.0, &[(36.0, "Referred by")]),
            line(600.0, &[(40.0, "Name")]),
            line(560.0, &[(36.0, "Please print clearly")]),
        ];
        let boxes = [client, referrer];
        assert_eq!(
            heading_above(&lines, referrer, &boxes).as_deref(),
            Some("Referred by")
        );
        // The first box on the page has no heading above it; an instruction is not one.
        assert_eq!(heading_above(&lines, client, &boxes), None);
        let below = [188.0, 536.0, 480.0, 552.0];
        assert_eq!(
            heading_above(&lines, below, &[client, referrer, below]).as_deref(),
            Some("Referred by")
        );
    }

    /// Issue #8 (blind24): a radio group named for nothing a reader sees (`rdoKP`) is known by
    /// the question printed left of its buttons.
    #[test]
    fn class24_a_radio_group_is_known_by_the_question_left_of_it() {
        let page = vec![line(
            500.0,
            &[
                (40.0, "Is the member enrolled with Kaiser Permanente?"),
                (330.0, "Yes"),
                (390.0, "No"),
            ],
        )];
        let mut fields = vec![field(
            "rdoKP",
            RawValue::Text("No".into()),
            [318.0, 498.0, 327.0, 507.0],
            true,
        )];
        label_fields(&mut fields, &[page], &HashMap::new());
        assert_eq!(
            fields.first().and_then(|f| f.entry.alt.as_deref()),
            Some("Is the member enrolled with Kaiser Permanente?")
        );
    }

    /// Issue #8 (blind71): a radio group named for nothing a reader sees (`Group1`, `rbECM`) is
    /// known by the question printed on the line above its buttons.
    #[test]
    fn class71_a_radio_group_is_known_by_the_question_above_it() {
        let page = vec![
            line(
                520.0,
                &[(40.0, "Is the member a Kaiser Permanente Medi-Cal member?")],
            ),
            line(500.0, &[(62.0, "Yes"), (122.0, "No")]),
        ];
        let mut fields = vec![field(
            "Group1",
            RawValue::Text("No".into()),
            [50.0, 498.0, 59.0, 507.0],
            true,
        )];
        label_fields(&mut fields, &[page], &HashMap::new());
        assert_eq!(
            fields.first().and_then(|f| f.entry.alt.as_deref()),
            Some("Is the member a Kaiser Permanente Medi-Cal member?")
        );
    }
}
