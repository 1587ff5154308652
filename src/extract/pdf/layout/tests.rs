//! Tests for the text-layer layout rules, on synthetic runs.

use super::*;

fn run(x0: f32, y: f32, text: &str) -> Run {
    // Helvetica-ish: half an em per character at 10 pt.
    Run {
        x0,
        x1: x0 + 5.0 * text.chars().count() as f32,
        y,
        size: 10.0,
        text: text.to_string(),
    }
}

fn entries(runs: Vec<Run>) -> Vec<(Option<String>, String, RawValue)> {
    let mut out = Vec::new();
    pair(&[lines(runs)], &mut out);
    out.into_iter().map(|e| (e.section, e.name, e.value)).collect()
}

fn t(s: &str) -> RawValue {
    RawValue::Text(s.to_string())
}

#[test]
fn groups_runs_into_lines_and_columns() {
    let ls = lines(vec![
        run(300.0, 700.0, "Phone: 555"),
        run(72.0, 700.5, "DOB:"),
        run(95.0, 700.0, "01/02/1980"),
        run(72.0, 680.0, "Next"),
    ]);
    assert_eq!(ls.len(), 2);
    let texts: Vec<&str> = ls
        .first()
        .map(|l| l.cells.iter().map(|c| c.text.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(texts, ["DOB: 01/02/1980", "Phone: 555"]);
}

#[test]
fn pairs_label_with_value_right_and_below() {
    let got = entries(vec![
        run(72.0, 700.0, "CIN:"),
        run(160.0, 700.0, "91234567A"),
        run(72.0, 680.0, "Diagnosis:"),
        run(300.0, 680.0, "Provider:"),
        run(76.0, 664.0, "Asthma"),
        run(304.0, 664.0, "Dr Sample"),
        run(72.0, 600.0, "Notes:"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "CIN".into(), t("91234567A")),
            (None, "Diagnosis".into(), t("Asthma")),
            (None, "Provider".into(), t("Dr Sample")),
            (None, "Notes".into(), t("")),
        ]
    );
}

#[test]
fn ticks_and_headings() {
    let got = entries(vec![
        run(72.0, 720.0, "SERVICES"),
        run(72.0, 700.0, "☒ Housing ☐ Respite"),
        run(72.0, 680.0, "✔"),
        run(100.0, 680.0, "Meals"),
        run(72.0, 660.0, "X-ray: normal"),
        run(72.0, 640.0, "Section 2: Referrer"),
        run(72.0, 620.0, "Name: Dr Sample"),
    ]);
    let s = Some("SERVICES".to_string());
    assert_eq!(
        got,
        vec![
            (s.clone(), "Housing".into(), RawValue::Checked(true)),
            (s.clone(), "Respite".into(), RawValue::Checked(false)),
            (s.clone(), "Meals".into(), RawValue::Checked(true)),
            (s, "X-ray".into(), t("normal")),
            (Some("Section 2: Referrer".into()), "Name".into(), t("Dr Sample")),
        ]
    );
}

#[test]
fn bare_label_over_labels_is_a_heading() {
    let got = entries(vec![
        run(72.0, 700.0, "Referring Provider:"),
        run(72.0, 686.0, "Name: Dr Sample"),
    ]);
    assert_eq!(
        got,
        vec![(Some("Referring Provider".into()), "Name".into(), t("Dr Sample"))]
    );
}

#[test]
fn values_off_the_label_baseline_still_pair() {
    let got = entries(vec![
        run(72.0, 700.0, "Name:"),
        run(172.0, 706.5, "Jane Sample"),
        run(72.0, 680.0, "Phone:"),
        run(172.0, 673.5, "555-555-0100"),
        run(72.0, 660.0, "Next: x"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "Name".into(), t("Jane Sample")),
            (None, "Phone".into(), t("555-555-0100")),
            (None, "Next".into(), t("x")),
        ]
    );
}

#[test]
fn typed_space_columns_split() {
    let got = entries(vec![run(72.0, 700.0, "Gender: F      Language: Spanish")]);
    assert_eq!(
        got,
        vec![
            (None, "Gender".into(), t("F")),
            (None, "Language".into(), t("Spanish"))
        ]
    );
}

#[test]
fn times_and_urls_are_not_labels() {
    assert_eq!(split_label("at 10:30 today"), None);
    assert_eq!(split_label("https://example.test"), None);
    assert_eq!(split_label("Time: 10:30"), Some(("Time".into(), "10:30".into())));
}

/// Issue #8 class 7: a colon-less grid is paired by geometry. A value holding a label word
/// ("No fixed address", "Fakeview Police Department") stays a value, a long value running close to
/// the next column's label is split at the column, and a wrapped value's second line joins it.
#[test]
fn class7_colon_less_grid_pairs_by_geometry() {
    let got = entries(vec![
        run(72.0, 700.0, "Last name"),
        run(200.0, 700.0, "Mockley"),
        run(340.0, 700.0, "First name"),
        run(460.0, 700.0, "Terrence"),
        run(72.0, 680.0, "Address"),
        run(200.0, 680.0, "No fixed address"),
        run(340.0, 680.0, "City"),
        run(460.0, 680.0, "Vallejo"),
        run(72.0, 660.0, "Agency"),
        run(200.0, 660.0, "Fakeview Police Dept"),
        run(304.0 + 40.0, 660.0, "Phone"),
        run(460.0, 660.0, "707-555-0281"),
        run(72.0, 640.0, "Organization"),
        run(200.0, 640.0, "Sacramento County Dept."),
        run(200.0, 628.0, "of Human Assistance"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("Address"), Some(t("No fixed address")));
    assert_eq!(by_name("City"), Some(t("Vallejo")));
    assert_eq!(by_name("Agency"), Some(t("Fakeview Police Dept")));
    assert_eq!(by_name("Phone"), Some(t("707-555-0281")));
    assert_eq!(
        by_name("Organization"),
        Some(t("Sacramento County Dept. of Human Assistance"))
    );
}

/// Class 7: Yes/No ticks printed on the line below their question answer it.
#[test]
fn class7_yes_no_ticks_below_the_question() {
    let got = entries(vec![
        run(72.0, 700.0, "Is the member currently enrolled in ECM?"),
        run(90.0, 686.0, "☐ Yes   ☒ No"),
    ]);
    assert_eq!(
        got,
        vec![(None, "Is the member currently enrolled in ECM?".into(), t("No"))]
    );
}

/// Class 7: a blank `Label:` is an empty field, not a heading that captures the role of what
/// follows; a short title-case line over labels is a heading.
#[test]
fn class7_blank_label_is_a_field_and_bold_headings_are_sections() {
    let got = entries(vec![
        run(72.0, 720.0, "Client"),
        run(72.0, 700.0, "Date of Birth:"),
        run(72.0, 685.0, "Phone: 714-555-0117"),
        run(72.0, 660.0, "Referrer"),
        run(72.0, 640.0, "Name: Shirin Sample"),
    ]);
    assert_eq!(
        got,
        vec![
            (Some("Client".into()), "Date of Birth".into(), t("")),
            (Some("Client".into()), "Phone".into(), t("714-555-0117")),
            (Some("Referrer".into()), "Name".into(), t("Shirin Sample")),
        ]
    );
}

/// A member block beside a referrer block under title-case or capital headings: each column's
/// labels are that party's, whichever way the rows are paired.
#[test]
fn class7_side_by_side_party_blocks_take_their_column_heading() {
    let got = entries(vec![
        run(72.0, 700.0, "Member Information"),
        run(340.0, 700.0, "Referral Source"),
        run(72.0, 684.0, "Name:"),
        run(150.0, 684.0, "Jane Sample"),
        run(340.0, 684.0, "Referrer:"),
        run(420.0, 684.0, "Pat Example"),
        run(72.0, 668.0, "DOB:"),
        run(150.0, 668.0, "02/11/1984"),
        run(340.0, 668.0, "Phone:"),
        run(420.0, 668.0, "805-555-0174"),
    ]);
    let member = Some("Member Information".to_string());
    let referrer = Some("Referral Source".to_string());
    assert_eq!(
        got,
        vec![
            (member.clone(), "Name".into(), t("Jane Sample")),
            (referrer.clone(), "Referrer".into(), t("Pat Example")),
            (member, "DOB".into(), t("02/11/1984")),
            (referrer, "Phone".into(), t("805-555-0174")),
        ]
    );
    // Without colons, under capital headings.
    let got = entries(vec![
        run(72.0, 700.0, "MEMBER"),
        run(340.0, 700.0, "REFERRING AGENCY"),
        run(72.0, 684.0, "Member name"),
        run(170.0, 684.0, "Jane Sample"),
        run(340.0, 684.0, "Contact person"),
        run(440.0, 684.0, "Pat Example"),
        run(72.0, 668.0, "Birth date"),
        run(170.0, 668.0, "December 1, 1949"),
        run(340.0, 668.0, "Telephone"),
        run(440.0, 668.0, "805-555-0171"),
    ]);
    let sections: Vec<(Option<String>, String)> = got.into_iter().map(|(s, n, _)| (s, n)).collect();
    assert!(
        sections.contains(&(Some("REFERRING AGENCY".into()), "Telephone".into())),
        "{sections:?}"
    );
    assert!(
        sections.contains(&(Some("MEMBER".into()), "Birth date".into())),
        "{sections:?}"
    );
}

/// Two columns of labels with no heading: the left column is read down first, so the role
/// "Referring Provider" names stays in its column.
#[test]
fn class7_two_label_columns_are_read_column_by_column() {
    let got = entries(vec![
        run(72.0, 700.0, "Patient Name:"),
        run(160.0, 700.0, "Jane Sample"),
        run(340.0, 700.0, "Referring Provider:"),
        run(440.0, 700.0, "Pat Example"),
        run(72.0, 684.0, "DOB:"),
        run(160.0, 684.0, "11/11/1977"),
        run(340.0, 684.0, "Phone:"),
        run(440.0, 684.0, "909-555-0172"),
        run(72.0, 668.0, "Phone:"),
        run(160.0, 668.0, "(909) 555-0170"),
        run(72.0, 652.0, "County:"),
        run(160.0, 652.0, "Los Angeles"),
    ]);
    let names: Vec<(String, RawValue)> = got.into_iter().map(|(_, n, v)| (n, v)).collect();
    assert_eq!(
        names,
        vec![
            ("Patient Name".into(), t("Jane Sample")),
            ("DOB".into(), t("11/11/1977")),
            ("Phone".into(), t("(909) 555-0170")),
            ("County".into(), t("Los Angeles")),
            ("Referring Provider".into(), t("Pat Example")),
            ("Phone".into(), t("909-555-0172")),
        ]
    );
}

/// blind11: the same label on both sides of one line ("Phone: ... Phone: ..."). Each entry is
/// placed by its own cell, so the block still reads column by column and the referrer's column
/// does not lend its role to the member's phone and address below.
#[test]
fn the_same_label_in_both_columns_keeps_the_columns_apart() {
    let got = entries(vec![
        run(72.0, 700.0, "Patient Name:"),
        run(160.0, 700.0, "Jane Sample"),
        run(340.0, 700.0, "Referral Date:"),
        run(440.0, 700.0, "12/03/2026"),
        run(72.0, 684.0, "DOB:"),
        run(160.0, 684.0, "11/11/1977"),
        run(340.0, 684.0, "Discharge Planner:"),
        run(440.0, 684.0, "Pat Example"),
        run(72.0, 668.0, "Phone:"),
        run(160.0, 668.0, "(909) 555-0170"),
        run(340.0, 668.0, "Phone:"),
        run(440.0, 668.0, "909-555-0172"),
        run(72.0, 652.0, "Address:"),
        run(160.0, 652.0, "1 Sample St, Fontana, CA 92335"),
    ]);
    let names: Vec<(String, RawValue)> = got.into_iter().map(|(_, n, v)| (n, v)).collect();
    assert_eq!(
        names,
        vec![
            ("Patient Name".into(), t("Jane Sample")),
            ("DOB".into(), t("11/11/1977")),
            ("Phone".into(), t("(909) 555-0170")),
            ("Address".into(), t("1 Sample St, Fontana, CA 92335")),
            ("Referral Date".into(), t("12/03/2026")),
            ("Discharge Planner".into(), t("Pat Example")),
            ("Phone".into(), t("909-555-0172")),
        ]
    );
}

/// Numbered headings with an instruction after a dash, `X` and `__` marks in cells of their own,
/// a heading over a paragraph, and a colon-less label beside a date.
#[test]
fn class7_numbered_headings_blank_marks_and_paragraphs() {
    let got = entries(vec![
        run(72.0, 720.0, "Referral Form"),
        run(400.0, 720.0, "Referral Date"),
        run(480.0, 720.0, "30-Oct-2026"),
        run(72.0, 700.0, "3. COMMUNITY SUPPORT(S) REQUESTED - mark X"),
        run(72.0, 684.0, "__"),
        run(90.0, 684.0, "Housing Navigation"),
        run(340.0, 684.0, "X"),
        run(358.0, 684.0, "Housing Deposits"),
        run(72.0, 660.0, "4. REASON FOR REFERRAL"),
        run(72.0, 644.0, "Matched to a unit; needs deposit help."),
    ]);
    let heading = Some("3. COMMUNITY SUPPORT(S) REQUESTED - mark X".to_string());
    assert!(
        got.contains(&(None, "Referral Date".into(), t("30-Oct-2026"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            heading.clone(),
            "Housing Navigation".into(),
            RawValue::Checked(false)
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(heading, "Housing Deposits".into(), RawValue::Checked(true))),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            Some("4. REASON FOR REFERRAL".into()),
            "4. REASON FOR REFERRAL".into(),
            t("Matched to a unit; needs deposit help.")
        )),
        "{got:?}"
    );
}

#[test]
fn class7_every_tick_after_a_label_answers_it_not_only_the_first() {
    let got = entries(vec![
        run(72.0, 700.0, "Enrolled in ECM: [ ] Yes"),
        run(200.0, 700.0, "[X] No"),
        run(72.0, 680.0, "Referrer type: [ ] Medical"),
        run(220.0, 680.0, "[X] Community-based organization"),
        run(420.0, 680.0, "[ ] Family"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "Enrolled in ECM".into(), t("No")),
            (
                Some("Referrer type".into()),
                "Medical".into(),
                RawValue::Checked(false)
            ),
            (
                Some("Referrer type".into()),
                "Community-based organization".into(),
                RawValue::Checked(true)
            ),
            (
                Some("Referrer type".into()),
                "Family".into(),
                RawValue::Checked(false)
            ),
        ]
    );
}

fn sized(x0: f32, y: f32, size: f32, text: &str) -> Run {
    Run {
        x0,
        x1: x0 + 0.5 * size * text.chars().count() as f32,
        y,
        size,
        text: text.to_string(),
    }
}

/// `( X )` typed with spaces, and an empty box printed as `(` and `)` apart, are boxes: the
/// list's ticks are read and the question's answer is the ticked one.
#[test]
fn class18_spaced_and_split_bracket_boxes_are_ticks() {
    let got = entries(vec![
        run(40.0, 730.0, "Needs (mark all that apply):"),
        run(50.0, 714.0, "( X )"),
        run(80.0, 714.0, "Physical health"),
        run(50.0, 700.0, "("),
        run(62.0, 700.0, ")"),
        run(80.0, 700.0, "Social drivers"),
        run(40.0, 620.0, "Is the member currently enrolled in ECM?"),
        run(250.0, 620.0, "( X ) Yes"),
        run(310.0, 620.0, "("),
        run(330.0, 620.0, ") No"),
    ]);
    let needs = Some("Needs (mark all that apply)".to_string());
    assert_eq!(
        got,
        vec![
            (needs.clone(), "Physical health".into(), RawValue::Checked(true)),
            (needs.clone(), "Social drivers".into(), RawValue::Checked(false)),
            (needs, "Is the member currently enrolled in ECM?".into(), t("Yes")),
        ]
    );
    assert_eq!(tick_prefix("[ x ]"), Some((true, 5)));
    assert_eq!(tick_prefix("(   )"), Some((false, 5)));
    assert_eq!(tick_prefix("(see note)"), None);
}

/// A free-text value wrapped under itself (no label beside the lines that continue it) is one
/// value; a short value does not swallow the unlabelled line under it.
#[test]
fn class18_a_wrapped_free_text_value_joins_its_continuation_lines() {
    let got = entries(vec![
        run(40.0, 510.0, "Reason for referral"),
        run(150.0, 510.0, "Member recently moved and is struggling with"),
        run(150.0, 497.0, "several missed appointments; needs help with"),
        run(150.0, 484.0, "transport."),
        run(40.0, 460.0, "Hours requested"),
        run(150.0, 460.0, "4 hrs"),
    ]);
    assert_eq!(
        got.first(),
        Some(&(
            None,
            "Reason for referral".into(),
            t(
                "Member recently moved and is struggling with several missed appointments; needs help with transport."
            )
        ))
    );
    assert!(
        got.contains(&(None, "Hours requested".into(), t("4 hrs"))),
        "{got:?}"
    );
    let got = entries(vec![
        run(40.0, 510.0, "Address"),
        run(150.0, 510.0, "12 Sample Way"),
        run(150.0, 497.0, "upstairs unit"),
    ]);
    assert_eq!(got.first(), Some(&(None, "Address".into(), t("12 Sample Way"))));
}

/// A boxed form's small capital captions over larger typed values are labels, each taking the
/// value under it — even "REFERRAL SOURCE" or "DEPARTMENT", which are not label words — and not
/// column headings.
#[test]
fn class18_small_captions_over_larger_values_are_labels() {
    let got = entries(vec![
        sized(44.0, 712.0, 7.0, "DATE OF REFERRAL"),
        sized(310.0, 712.0, 7.0, "REFERRAL SOURCE"),
        sized(44.0, 693.0, 10.0, "11/20/2026"),
        sized(310.0, 693.0, 10.0, "Law enforcement"),
        sized(44.0, 676.0, 7.0, "LAST NAME"),
        sized(310.0, 676.0, 7.0, "FIRST NAME"),
        sized(44.0, 657.0, 10.0, "Samplesby"),
        sized(310.0, 657.0, 10.0, "Quill"),
        sized(44.0, 640.0, 7.0, "DEPARTMENT"),
        sized(310.0, 640.0, 7.0, "REFERRER PHONE"),
        sized(44.0, 621.0, 10.0, "Example Police Department"),
        sized(310.0, 621.0, 10.0, "707-555-0199"),
    ]);
    let pairs: Vec<(String, RawValue)> = got.iter().map(|(_, n, v)| (n.clone(), v.clone())).collect();
    for want in [
        ("DATE OF REFERRAL", "11/20/2026"),
        ("REFERRAL SOURCE", "Law enforcement"),
        ("FIRST NAME", "Quill"),
        ("DEPARTMENT", "Example Police Department"),
        ("REFERRER PHONE", "707-555-0199"),
    ] {
        assert!(pairs.contains(&(want.0.into(), t(want.1))), "{want:?} in {got:?}");
    }
    // No caption became a section.
    assert!(got.iter().all(|(s, _, _)| s.is_none()), "{got:?}");
}

/// A form written without colons sets each value off from its label by a double space
/// (`DOB  06/06/1995`); a letterhead's bullets after a double space are not a value.
#[test]
fn class19_double_space_after_a_printed_label_sets_off_its_value() {
    let got = entries(vec![
        run(40.0, 700.0, "Date of request  12/02/2026"),
        run(40.0, 684.0, "DOB  06/06/1995"),
        run(40.0, 668.0, "Referred by  Ann Example"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "Date of request".into(), t("12/02/2026")),
            (None, "DOB".into(), t("06/06/1995")),
            (None, "Referred by".into(), t("Ann Example")),
        ]
    );
    let cells = split_typed_columns(Cell {
        x0: 40.0,
        x1: 400.0,
        text: "Provider Network  ·  Rev. 07/2025  ·  Fax to the plan".into(),
    });
    assert_eq!(cells.len(), 1);
    // Prose with two spaces after a full stop stays whole.
    let cells = split_typed_columns(Cell {
        x0: 40.0,
        x1: 400.0,
        text: "Member is unhoused.  Phone is off".into(),
    });
    assert_eq!(cells.len(), 1);
}

/// Colon-less labels in their short printed forms — a dotted initialism, `Medi-Cal #`, `Addr`,
/// `Org` — set off by a double space are labels too.
#[test]
fn class19_short_printed_labels_before_a_double_space() {
    let got = entries(vec![
        run(48.0, 700.0, "D.O.B.  10/08/1993"),
        run(48.0, 686.0, "Medi-Cal #  91234567A"),
        run(48.0, 672.0, "Addr  100 Example Way"),
        run(48.0, 658.0, "Org  Sample Resource Center"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "D.O.B.".into(), t("10/08/1993")),
            (None, "Medi-Cal #".into(), t("91234567A")),
            (None, "Addr".into(), t("100 Example Way")),
            (None, "Org".into(), t("Sample Resource Center")),
        ]
    );
}

/// A question answered with typed bracket boxes on its own line (`Enrolled in ECM? [ ] Yes [X]
/// No`) is split like one answered with box glyphs: the question, then its ticks.
#[test]
fn class19_question_with_typed_bracket_boxes_splits_off_its_ticks() {
    let cells = shapes::split_question(Cell {
        x0: 40.0,
        x1: 300.0,
        text: "Enrolled in ECM? [ ] Yes [X] No".into(),
    });
    let texts: Vec<&str> = cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, vec!["Enrolled in ECM?", "[ ] Yes [X] No"]);
}

/// Issue #8 (blind20/21): a printed label without a colon or a question mark, followed on its
/// line by Yes/No boxes ("Patient consent  ☒ Yes  ☐ No"), is asked by them: the ticked box is
/// its answer, and the captions "Yes"/"No" are not items of their own.
#[test]
fn class21_a_colon_less_label_before_yes_no_boxes_is_answered_by_them() {
    let got = entries(vec![
        run(40.0, 700.0, "Member consent obtained"),
        run(170.0, 700.0, "☒ Yes"),
        run(210.0, 700.0, "☐ No"),
        run(40.0, 680.0, "Patient consent"),
        run(170.0, 680.0, "☐ Yes"),
        run(210.0, 680.0, "☐ No"),
    ]);
    assert_eq!(got, vec![(None, "Member consent obtained".into(), t("Yes"))]);
}

/// Issue #8 (blind20): label/value pairs with a column of boxes printed beside them on the same
/// lines (`Address | 6800 Sample Ave | ☒ Social services`) are still pairs, and the boxes ticks.
#[test]
fn class21_pairs_beside_a_tick_column_are_read_as_pairs() {
    let got = entries(vec![
        run(40.0, 700.0, "Address"),
        run(92.0, 700.0, "12 Sample Ave"),
        run(320.0, 700.0, "☒ Social services"),
        run(40.0, 684.0, "City"),
        run(72.0, 684.0, "Riverton"),
        run(140.0, 684.0, "ZIP"),
        run(168.0, 684.0, "90000"),
        run(320.0, 684.0, "☐ Member / family"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "Address".into(), t("12 Sample Ave")),
            (None, "Social services".into(), RawValue::Checked(true)),
            (None, "City".into(), t("Riverton")),
            (None, "ZIP".into(), t("90000")),
            (None, "Member / family".into(), RawValue::Checked(false)),
        ]
    );
    // Answer boxes after a question are no tick column: "Yes" there is a box's caption.
    let got = entries(vec![
        run(40.0, 505.0, "Is the member currently enrolled in ECM?"),
        run(243.0, 505.0, "Yes"),
        run(272.0, 505.0, "■ No"),
    ]);
    assert!(got.iter().all(|(_, _, v)| *v != t("Yes")), "{got:?}");
}

/// Issue #8 (blind21): in a row of small captions over larger values, a caption asking a
/// question ("ALREADY ENROLLED IN ECM?") is a caption too, and takes the value under it.
#[test]
fn class21_a_question_caption_over_larger_values_is_a_label() {
    let got = entries(vec![
        sized(50.0, 392.0, 7.5, "HOURS REQUESTED"),
        sized(310.0, 392.0, 7.5, "ALREADY ENROLLED IN ECM?"),
        sized(50.0, 378.0, 11.0, "3"),
        sized(310.0, 378.0, 11.0, "Yes"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "HOURS REQUESTED".into(), t("3")),
            (None, "ALREADY ENROLLED IN ECM?".into(), t("Yes")),
        ]
    );
}

/// Issue #8 (blind21): a lone small caption over a lone value in larger print ("NAME" over
/// "Ann Sample") is a label with its value, not a section heading; a title over such a block
/// ("Referred by") heads it.
#[test]
fn class21_a_lone_caption_over_a_larger_value_is_a_label_not_a_heading() {
    let got = entries(vec![
        sized(50.0, 348.0, 10.0, "Referred by"),
        sized(50.0, 330.0, 7.5, "NAME"),
        sized(50.0, 316.0, 11.0, "Ann Sample"),
        sized(50.0, 298.0, 7.5, "PHONE"),
        sized(50.0, 284.0, 11.0, "555-555-0100"),
        sized(50.0, 262.0, 10.0, "NEXT SECTION"),
        sized(50.0, 248.0, 10.0, "Notes: none"),
    ]);
    let by = Some("Referred by".to_string());
    assert_eq!(
        got,
        vec![
            (by.clone(), "NAME".into(), t("Ann Sample")),
            (by, "PHONE".into(), t("555-555-0100")),
            (Some("NEXT SECTION".into()), "Notes".into(), t("none")),
        ]
    );
}

/// Issue #8 (blind21): a short title over a paragraph in print no larger ("Clinical
/// justification" over wrapped text) labels the whole paragraph; a letterhead over a cover
/// letter does not, nor a caption over a caption in a list.
#[test]
fn class21_a_short_title_over_a_paragraph_labels_all_of_it() {
    let got = entries(vec![
        sized(50.0, 454.0, 10.0, "Clinical justification"),
        sized(
            50.0,
            440.0,
            9.0,
            "Post-op day 3 after a fall; needs daily wound care and PT, no",
        ),
        sized(50.0, 429.0, 9.0, "safe place to go after discharge."),
    ]);
    assert_eq!(
        got,
        vec![(
            None,
            "Clinical justification".into(),
            t(
                "Post-op day 3 after a fall; needs daily wound care and PT, no safe place to go after discharge."
            )
        )]
    );
    let got = entries(vec![
        sized(50.0, 752.0, 13.0, "Sample Doula Collective"),
        sized(
            50.0,
            728.0,
            10.0,
            "To the care team: please find our referral on the next page for",
        ),
        sized(
            50.0,
            715.0,
            10.0,
            "care management under the birth equity population.",
        ),
        sized(50.0, 600.0, 10.0, "Short-Term Post-Hospitalization Housing"),
        sized(50.0, 584.0, 10.0, "Recuperative Care (Medical Respite)"),
    ]);
    assert!(
        got.iter()
            .all(|(_, n, _)| n != "Sample Doula Collective" && !n.starts_with("Short-Term")),
        "{got:?}"
    );
}

/// Issue #8 (blind21): free text under its `Label:` runs on over the lines under it; lines that
/// each end a sentence and start anew are items of a list, not one value.
#[test]
fn class21_free_text_under_its_label_keeps_its_wrapped_lines() {
    let got = entries(vec![
        run(50.0, 499.0, "Why we are referring:"),
        run(
            60.0,
            485.0,
            "First pregnancy, family history of preeclampsia, missed two visits for lack of",
        ),
        run(60.0, 472.0, "transportation; may need to move."),
        run(50.0, 451.0, "Referred by:"),
        run(150.0, 451.0, "Ann Sample"),
    ]);
    assert_eq!(
        got.first(),
        Some(&(
            None,
            "Why we are referring".into(),
            t(
                "First pregnancy, family history of preeclampsia, missed two visits for lack of transportation; may need to move."
            )
        ))
    );
    let got = entries(vec![
        run(50.0, 615.0, "Services covered (descriptions):"),
        run(
            50.0,
            600.0,
            "Recuperative Care - short-term care for people recovering from illness.",
        ),
        run(
            50.0,
            585.0,
            "Medically Tailored Meals - meals delivered to the home after discharge.",
        ),
    ]);
    assert_eq!(
        got.first(),
        Some(&(
            None,
            "Services covered (descriptions)".into(),
            t("Recuperative Care - short-term care for people recovering from illness.")
        ))
    );
}

/// Issue #8 (blind23): a page whose captions each stand over their value indented under them
/// ("Date of Birth" over "   2014-05-21") pairs them, a value running over several indented
/// lines (an address after a comma, a wrapped sentence after a space), a caption with no field
/// word in the same column ("Areas of need") included; one heading over one indented line on
/// a page without the habit is not a pair.
#[test]
fn class23_values_indented_under_their_captions() {
    let got = entries(vec![
        sized(50.0, 700.0, 8.5, "Member Name"),
        sized(62.0, 688.0, 9.0, "Pretendiente, Nayeli"),
        sized(50.0, 670.0, 8.5, "Date of Birth"),
        sized(62.0, 658.0, 9.0, "2014-05-21"),
        sized(50.0, 640.0, 8.5, "Home Address"),
        sized(62.0, 628.0, 9.0, "4455 E Fakeview Ave"),
        sized(62.0, 616.0, 9.0, "Fresno, CA 93702"),
        sized(50.0, 598.0, 8.5, "Areas of need"),
        sized(
            62.0,
            586.0,
            9.0,
            "Physical health, asthma flare-ups that keep her",
        ),
        sized(62.0, 574.0, 9.0, "out of school"),
        sized(50.0, 556.0, 8.5, "Enrolled in ECM?"),
        sized(62.0, 544.0, 9.0, "No"),
    ]);
    assert_eq!(
        got,
        vec![
            (None, "Member Name".into(), t("Pretendiente, Nayeli")),
            (None, "Date of Birth".into(), t("2014-05-21")),
            (
                None,
                "Home Address".into(),
                t("4455 E Fakeview Ave, Fresno, CA 93702")
            ),
            (
                None,
                "Areas of need".into(),
                t("Physical health, asthma flare-ups that keep her out of school")
            ),
            (None, "Enrolled in ECM?".into(), t("No")),
        ]
    );
    // One caption over one indented line: no habit, no pair from this rule.
    let one = entries(vec![
        sized(50.0, 700.0, 8.5, "Member Name"),
        sized(62.0, 688.0, 9.0, "Pretendiente, Nayeli"),
    ]);
    assert!(
        !one.contains(&(None, "Member Name".into(), t("Pretendiente, Nayeli"))),
        "{one:?}"
    );
}

/// Issue #8 (blind24): a `Label: value` line run to the page's right edge goes on under the
/// label's start ("... a permanent housing unit in" / "SoMa; needs help ..."); a short value
/// never takes the line under it.
#[test]
fn class24_a_value_run_to_the_margin_wraps_under_its_label() {
    let got = entries(vec![
        run(
            50.0,
            700.0,
            "Reason: Chronically homeless six years, matched to a housing unit in",
        ),
        run(
            50.0,
            686.0,
            "SoMa; needs help with move-in paperwork and tenancy support.",
        ),
        run(50.0, 660.0, "Notes: wants a call in the morning"),
        run(50.0, 646.0, "she works nights at the plant"),
    ]);
    assert_eq!(
        got.first(),
        Some(&(
            None,
            "Reason".into(),
            t(
                "Chronically homeless six years, matched to a housing unit in SoMa; needs help with move-in paperwork and tenancy support."
            )
        )),
        "{got:?}"
    );
    // "Notes: …" stops well short of the right edge: the line under it is not more of it.
    assert!(
        got.contains(&(None, "Notes".into(), t("wants a call in the morning"))),
        "{got:?}"
    );
}

/// Issue #8 (blind24): ticks under one column label in a row of labels over values
/// ("Relationship to member" over "☒ CBO ☐ Provider") are read as ticks, and the other columns
/// of the row keep their values ("Email" over the address), where the ticks once made the whole
/// row unreadable.
#[test]
fn class24_ticks_under_a_column_label_leave_the_other_columns_their_values() {
    let got = entries(vec![
        run(50.0, 700.0, "Email"),
        run(400.0, 700.0, "Relationship to member"),
        run(52.0, 686.0, "fsample@example.org"),
        run(402.0, 686.0, "☒ CBO ☐ Provider ☐ Family"),
    ]);
    assert!(
        got.contains(&(None, "Email".into(), t("fsample@example.org"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "CBO".into(), RawValue::Checked(true))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "Provider".into(), RawValue::Checked(false))),
        "{got:?}"
    );
}

/// Issue #8 (blind24): a consent question without a colon before its ticked answer on the same
/// line ("Individual agrees to referral  X Yes   No") is answered, not read as a box "Yes".
#[test]
fn class24_a_consent_question_before_its_ticked_answer() {
    let got = entries(vec![run(
        45.0,
        449.0,
        "Individual agrees to referral   X  Yes      No",
    )]);
    assert_eq!(
        got,
        vec![(None, "Individual agrees to referral".into(), t("Yes"))]
    );
}

/// Issue #8 (blind25): a consent label whose Yes/No boxes are spaced off into cells of their own,
/// one `_` for the empty box ("consent obtained:   X Yes      _ No"), is answered; "Referred by |
/// Facility" over a name and a facility's name is a row of labels over values.
#[test]
fn class25_spaced_yes_no_boxes_and_a_facility_column() {
    let got = entries(vec![
        run(50.0, 700.0, "Referred by"),
        run(350.0, 700.0, "Facility"),
        run(50.0, 684.0, "Harold Example, MSW"),
        run(350.0, 684.0, "Desert Example Care Center"),
        run(50.0, 640.0, "Member / representative consent obtained:"),
        run(300.0, 640.0, "X Yes"),
        run(420.0, 640.0, "_ No"),
    ]);
    assert!(
        got.contains(&(None, "Referred by".into(), t("Harold Example, MSW"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "Facility".into(), t("Desert Example Care Center"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "Member / representative consent obtained".into(), t("Yes"))),
        "{got:?}"
    );
}

/// Issue #8 (blind24, blind26): a long label that runs into the value column ("Last Known
/// Address" reaching past where every other row's value starts) is still its own cell, so the
/// colon-less grid pairs it with its value instead of reading one cell "Last Known Address Fake
/// Beach …".
#[test]
fn class24_a_label_running_into_the_value_column_stays_a_label() {
    let rows = [
        ("Date", "12/03/2026"),
        ("Last Name", "Wobbleton"),
        ("DOB", "05/19/1979"),
        (
            "Last Known Address Line",
            "Fake Beach Encampment, 2100 Harbor Blvd",
        ),
        ("City", "Oxnard"),
    ];
    let mut runs = Vec::new();
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 700.0 - 16.0 * i as f32;
        runs.push(run(45.0, y, label));
        // Every value starts at x = 158; the long label ends at 45 + 5 × 23 = 160, over it.
        runs.push(run(158.0, y, value));
    }
    let got = entries(runs);
    assert!(
        got.contains(&(
            None,
            "Last Known Address Line".into(),
            t("Fake Beach Encampment, 2100 Harbor Blvd")
        )),
        "{got:?}"
    );
}

/// Issue #8 (blind27): numbered section titles that are not in capitals ("1. Tenant",
/// "3. Referrer") over `Label:` lines head their sections as a capital heading does, so the
/// second "Name:" and "Phone:" are the referrer's.
#[test]
fn class27_numbered_title_case_headings_head_their_sections() {
    let got = entries(vec![
        run(72.0, 720.0, "1. Tenant"),
        run(76.0, 704.0, "Name:"),
        run(180.0, 704.0, "Fitzgerald Example"),
        run(72.0, 680.0, "3. Referrer"),
        run(76.0, 664.0, "Name:"),
        run(180.0, 664.0, "Marguerite Sample"),
        run(76.0, 648.0, "Phone:"),
        run(180.0, 648.0, "415-555-0185"),
    ]);
    assert!(
        got.contains(&(Some("1. Tenant".into()), "Name".into(), t("Fitzgerald Example"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(Some("3. Referrer".into()), "Phone".into(), t("415-555-0185"))),
        "{got:?}"
    );
}

/// Issue #8 (blind28): a label whose ticked options follow on its own line ("Referrer type:
/// ☐ Medical provider ✓ Social services provider …") is answered by them; the consent question
/// on the next line ("Member consent obtained: ✓ Yes ☐ No") is not its value.
#[test]
fn class28_ticks_on_the_labels_line_answer_it() {
    let got = entries(vec![
        run(40.0, 700.0, "Referrer type:"),
        run(
            125.0,
            700.0,
            "☐ Medical provider   ✓ Social services provider   ☐ Family   ☐ Other",
        ),
        run(40.0, 682.0, "Member consent obtained:"),
        run(152.0, 682.0, "✓ Yes   ☐ No"),
    ]);
    assert!(
        !got.iter()
            .any(|(_, n, v)| n == "Referrer type" && matches!(v, RawValue::Text(t) if t.contains("consent"))),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(_, n, v)| n.contains("consent") && *v == t("Yes")
            || n.contains("consent") && *v == RawValue::Checked(true)),
        "{got:?}"
    );
}

/// Issue #8 (blind34): on a page of captions over values two across, a later row of captions in
/// the same places is one more ("Name | Clinic" over "Anselm Sample | South Bay Example Health"),
/// not a label beside its value, though "Clinic" is no label word.
#[test]
fn class34_captions_over_values_keep_the_pages_rhythm() {
    let got = entries(vec![
        run(72.0, 720.0, "Pt Name"),
        run(320.0, 720.0, "Referral Date"),
        run(72.0, 706.0, "Notaperson, Rosalind K."),
        run(320.0, 706.0, "11/17/2026"),
        run(72.0, 688.0, "D.O.B."),
        run(320.0, 688.0, "Medi-Cal CIN"),
        run(72.0, 674.0, "01/05/1995"),
        run(320.0, 674.0, "98800123A"),
        run(72.0, 656.0, "Tel"),
        run(320.0, 656.0, "Preferred Language"),
        run(72.0, 642.0, "619-555-0116"),
        run(320.0, 642.0, "Tagalog"),
        run(72.0, 620.0, "Referring Provider"),
        run(72.0, 604.0, "Name"),
        run(320.0, 604.0, "Clinic"),
        run(72.0, 590.0, "Anselm Dummington"),
        run(320.0, 590.0, "South Bay Example Community Health"),
        run(72.0, 572.0, "Phone"),
        run(320.0, 572.0, "Email"),
        run(72.0, 558.0, "(619) 555-0178"),
        run(320.0, 558.0, "a@example.org"),
    ]);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Name" && *v == t("Anselm Dummington")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Clinic" && *v == t("South Bay Example Community Health")),
        "{got:?}"
    );
}

/// Issue #8 (blind35): on a page of small captions over values in larger print, a heading over
/// the first caption does not take the caption as its paragraph, and once the page has shown
/// the habit a caption with no label word ("Social Services Director") is a caption too.
#[test]
fn class35_small_captions_under_a_heading_and_without_label_words() {
    let got = entries(vec![
        sized(50.0, 700.0, 12.0, "Resident Information"),
        sized(50.0, 680.0, 7.0, "Resident name (first / last)"),
        sized(50.0, 669.0, 10.0, "Evangeline Sample"),
        sized(50.0, 651.0, 7.0, "Date of birth"),
        sized(50.0, 640.0, 10.0, "March 5, 1941"),
        sized(50.0, 622.0, 7.0, "Medi-Cal CIN"),
        sized(50.0, 611.0, 10.0, "97890123J"),
        sized(50.0, 593.0, 7.0, "County"),
        sized(50.0, 582.0, 10.0, "Stanislaus"),
        sized(50.0, 562.0, 12.0, "Submitted by"),
        sized(50.0, 542.0, 7.0, "Social Services Director"),
        sized(50.0, 531.0, 10.0, "Bartholomew Sample, MSW"),
        sized(50.0, 513.0, 7.0, "Phone / Fax"),
        sized(50.0, 502.0, 10.0, "209-555-0161 / 209-555-0162"),
    ]);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Resident name (first / last)" && *v == t("Evangeline Sample")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Social Services Director" && *v == t("Bartholomew Sample, MSW")),
        "{got:?}"
    );
}

/// Issue #8 (blind35): a colon-less grid interrupted by a line of ticks keeps its first row
/// after the ticks, though that row's label ("Hours") is no label word.
#[test]
fn class35_a_grid_row_after_a_line_of_ticks_is_kept() {
    let got = entries(vec![
        run(50.0, 700.0, "Phone"),
        run(170.0, 700.0, "909-555-0140"),
        run(50.0, 684.0, "Needs"),
        run(170.0, 684.0, "X Physical X Social _ Behavioral"),
        run(50.0, 668.0, "Hours"),
        run(170.0, 668.0, "2"),
        run(50.0, 652.0, "Enrolled in ECM"),
        run(170.0, 652.0, "No"),
        run(50.0, 636.0, "Referred by"),
        run(170.0, 636.0, "Augustin Sample, MD"),
    ]);
    assert!(got.contains(&(None, "Hours".into(), t("2"))), "{got:?}");
    assert!(
        got.contains(&(None, "Enrolled in ECM".into(), t("No"))),
        "{got:?}"
    );
}

/// Issue #8 (blind37): values typed over underlines a little above their labels' baseline,
/// two pairs to a row ("Patient" then, raised, "Hargreaves, Delphine" … "DOB" "11/19/1959"): each
/// value is a cell of its own; a row whose first label is no label word ("Discharge planner")
/// pairs as the rows around it do; and with a birth date in the right column the form is one
/// party's, read row by row, so the city stays the member's.
#[test]
fn class37_values_typed_over_underlines_two_pairs_to_a_row() {
    let mut runs = Vec::new();
    for (i, ((l1, v1), (l2, v2))) in [
        (("Patient", "Hargreaves, Delphine"), ("DOB", "11/19/1959")),
        (("CIN", "99330044Q"), ("Language", "Tagalog")),
        (("Address", "4400 W Century Blvd Apt 12"), ("City", "Inglewood")),
        (
            ("Discharge planner", "Barnaby Sample, RN"),
            ("Phone", "310-555-0197"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let y = 700.0 - 26.0 * i as f32;
        for (x, l, v) in [(50.0, l1, v1), (330.0, l2, v2)] {
            let label = run(x, y, l);
            runs.push(run(label.x1 + 8.0, y + 1.0, v));
            runs.push(label);
        }
    }
    let got = entries(runs);
    for (n, v) in [
        ("Patient", "Hargreaves, Delphine"),
        ("DOB", "11/19/1959"),
        ("City", "Inglewood"),
        ("Discharge planner", "Barnaby Sample, RN"),
        ("Phone", "310-555-0197"),
    ] {
        assert!(got.contains(&(None, n.into(), t(v))), "{n} in {got:?}");
    }
    // Row by row: the city comes before the discharge planner.
    let at = |n: &str| got.iter().position(|(_, name, _)| name == n);
    assert!(at("City") < at("Discharge planner"), "{got:?}");
}

/// Issue #8 (blind39): captions and values stacked one column deep in the same print ("Date of
/// referral" / "11/25/2026" / "Resident name" / ...) pair two by two, a heading between the
/// runs naming the next block's party; a paragraph of equal lines does not.
#[test]
fn class39_captions_and_values_stacked_in_one_print() {
    let mut runs = vec![sized(50.0, 720.0, 11.5, "Resident")];
    let member = [
        "Date of referral",
        "11/25/2026",
        "Resident name",
        "Gertrude Sample",
        "Date of birth",
        "10/10/1940",
        "Medi-Cal CIN",
        "93535353R",
    ];
    for (k, text) in member.iter().enumerate() {
        runs.push(sized(50.0, 705.0 - 15.0 * k as f32, 9.5, text));
    }
    runs.push(sized(50.0, 570.0, 11.5, "Referring facility"));
    let referrer = [
        "Contact",
        "Desmond Example",
        "Facility",
        "Valley Demo Post-Acute",
        "Phone",
        "408-555-0186",
    ];
    for (k, text) in referrer.iter().enumerate() {
        runs.push(sized(50.0, 555.0 - 15.0 * k as f32, 9.5, text));
    }
    let got = entries(runs);
    let has = |n: &str, v: &str| got.iter().any(|(_, name, value)| name == n && *value == t(v));
    assert!(has("Date of referral", "11/25/2026"), "{got:?}");
    assert!(has("Resident name", "Gertrude Sample"), "{got:?}");
    assert!(has("Medi-Cal CIN", "93535353R"), "{got:?}");
    assert!(
        got.iter()
            .any(|(s, n, v)| s.as_deref() == Some("Referring facility")
                && n == "Contact"
                && *v == t("Desmond Example")),
        "{got:?}"
    );

    let prose = entries(
        [
            "We are sending this referral on behalf of",
            "the member named in the attached form, who",
            "was discharged from our facility last week",
            "and needs help finding stable housing soon",
            "according to the care team at the clinic",
            "Thank you for your help with this case",
        ]
        .iter()
        .enumerate()
        .map(|(k, text)| sized(50.0, 700.0 - 15.0 * k as f32, 9.5, text))
        .collect(),
    );
    assert!(
        prose.iter().all(|(_, n, _)| !n.starts_with("We are")),
        "{prose:?}"
    );
}

/// Issue #8 (blind39): in a colon-less grid, a label too long for its column runs into its value
/// one space on ("Referring Provider Willa Example"): the label words are split off; a heading
/// ("Referred By") over the next rows stays no pair.
#[test]
fn class39_a_long_label_run_into_its_value_in_a_colonless_grid() {
    let got = entries(vec![
        run(50.0, 700.0, "Referring Provider Willa Example"),
        run(50.0, 685.0, "Clinic"),
        run(150.0, 685.0, "North Coast Demo Clinic"),
        run(50.0, 670.0, "Phone"),
        run(150.0, 670.0, "707-555-0191"),
        run(50.0, 640.0, "Referred By"),
        run(50.0, 625.0, "Name"),
        run(150.0, 625.0, "Priscilla Example"),
        run(50.0, 610.0, "Agency"),
        run(150.0, 610.0, "Example Mission"),
    ]);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Referring Provider" && *v == t("Willa Example")),
        "{got:?}"
    );
    assert!(got.iter().all(|(_, _, v)| *v != t("By")), "{got:?}");
    assert_eq!(label_words_then_value("Referred By"), None);
    assert_eq!(
        label_words_then_value("Date of Birth 12/01/1990").map(|p| p.0),
        Some("Date of Birth".into())
    );
}

/// Issue #8 (blind40): a labelled value left open by a trailing comma goes on on the indented
/// line under it; one that ends without a comma does not take the next line.
#[test]
fn class40_a_value_ending_in_a_comma_goes_on_below() {
    let got = entries(vec![
        run(50.0, 700.0, "Address: 3980 Fakeview Terrace, Unit 14B,"),
        run(75.0, 688.0, "San Diego, CA 92105"),
        run(50.0, 676.0, "County: San Diego"),
    ]);
    assert!(
        got.iter().any(
            |(_, n, v)| n == "Address" && *v == t("3980 Fakeview Terrace, Unit 14B, San Diego, CA 92105")
        ),
        "{got:?}"
    );
    let got = entries(vec![
        run(50.0, 700.0, "Address: 3980 Fakeview Terrace"),
        run(75.0, 688.0, "Please call before visiting"),
    ]);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Address" && *v == t("3980 Fakeview Terrace")),
        "{got:?}"
    );
}

/// Issue #8 (blind41): a leader of underscores between label and value stands for the colon
/// ("Referral Date ______ 12/03/2026"); a line of them is no heading over the next.
#[test]
fn class41_underscore_leaders_between_label_and_value() {
    let got = entries(vec![
        run(50.0, 700.0, "Referral Date ______ 12/03/2026"),
        run(50.0, 686.0, "County ______ San Joaquin"),
        run(50.0, 672.0, "Population of Focus: [X] Children enrolled in CCS"),
        run(50.0, 658.0, "CCS Case Worker ______ Gertrude Example, PHN"),
    ]);
    let has = |n: &str, v: &str| got.iter().any(|(_, name, value)| name == n && *value == t(v));
    assert!(has("Referral Date", "12/03/2026"), "{got:?}");
    assert!(has("County", "San Joaquin"), "{got:?}");
    assert!(has("CCS Case Worker", "Gertrude Example, PHN"), "{got:?}");
    assert!(
        got.iter()
            .all(|(s, _, _)| s.as_deref() != Some("County ______ San Joaquin")),
        "{got:?}"
    );
    assert_eq!(split_label("Name ______"), Some(("Name".into(), String::new())));
}

/// Issue #8 (blind43): after two rows of captions over values in the same places, a third row
/// there is captions too though no word of it is a label word ("School nurse | School"); the
/// values right under a row of captions stay values.
#[test]
fn class43_a_third_caption_row_in_the_pages_rhythm() {
    let got = entries(vec![
        run(72.0, 720.0, "Student name"),
        run(320.0, 720.0, "Birthdate"),
        run(72.0, 706.0, "Lupita Sample"),
        run(320.0, 706.0, "03/08/2017"),
        run(72.0, 688.0, "Medi-Cal number"),
        run(320.0, 688.0, "Parent/guardian phone"),
        run(72.0, 674.0, "95512300F"),
        run(320.0, 674.0, "714-555-0105"),
        run(72.0, 656.0, "Street address"),
        run(320.0, 656.0, "City"),
        run(72.0, 642.0, "none - unhoused"),
        run(320.0, 642.0, "Santa Ana"),
        run(72.0, 600.0, "School nurse"),
        run(320.0, 600.0, "School"),
        run(72.0, 586.0, "Rosalind Example, RN"),
        run(320.0, 586.0, "Harbor Example District"),
    ]);
    let has = |n: &str, v: &str| got.iter().any(|(_, name, value)| name == n && *value == t(v));
    assert!(has("School nurse", "Rosalind Example, RN"), "{got:?}");
    assert!(has("School", "Harbor Example District"), "{got:?}");
    assert!(has("Street address", "none - unhoused"), "{got:?}");
    assert!(has("City", "Santa Ana"), "{got:?}");
}

/// Issue #8 (blind51): a value left open by a dash ("… Human Services Agency -") in the right
/// column goes on under it on the next line, whose left column holds a pair of its own.
#[test]
fn class51_a_value_left_open_by_a_dash_in_the_right_column_goes_on_below() {
    let got = entries(vec![
        run(50.0, 700.0, "Medi-Cal #:"),
        run(120.0, 700.0, "96100606F"),
        run(330.0, 700.0, "Agency:"),
        run(400.0, 700.0, "San Joaquin County Human Services Agency -"),
        run(50.0, 688.0, "Phone:"),
        run(120.0, 688.0, "(209) 555-0138"),
        run(405.0, 688.0, "Adult Services"),
        run(50.0, 676.0, "County:"),
        run(120.0, 676.0, "San Joaquin"),
    ]);
    let has = |n: &str, v: &str| got.iter().any(|(_, name, value)| name == n && *value == t(v));
    assert!(
        has(
            "Agency",
            "San Joaquin County Human Services Agency - Adult Services"
        ),
        "{got:?}"
    );
    assert!(has("Phone", "(209) 555-0138"), "{got:?}");
}

/// Issue #8 (blind57): in a grid of boxes with captions over values, a long value drawn past its
/// box and over the value of the box beside it stays two values: the overlapping run starts at
/// the column where that box's caption and the values above it start.
#[test]
fn class57_a_value_drawn_over_the_next_boxes_value() {
    let mut runs = Vec::new();
    let rows = [
        [("Last Name", "Dummett"), ("First Name", "Caspian")],
        [("City", "Oxnard"), ("ZIP", "93030")],
        [("County", "Ventura"), ("Phone", "805-555-0126")],
        [
            ("Agency", "Ventura County Sheriff's Office (sample)"),
            ("Agency Phone", "805-555-0181"),
        ],
    ];
    for (i, row) in rows.iter().enumerate() {
        let y = 700.0 - 50.0 * i as f32;
        for (j, (label, value)) in row.iter().enumerate() {
            let x = 40.0 + 120.0 * j as f32;
            runs.push(run(x + 4.0, y + 20.0, label));
            runs.push(run(x + 6.0, y, value));
        }
    }
    let got = entries(runs);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Agency" && *v == t("Ventura County Sheriff's Office (sample)")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Agency Phone" && *v == t("805-555-0181")),
        "{got:?}"
    );
}

/// Issue #8 (blind64): a page that sets each value one space after its label, no colon, in two
/// columns ("First name Barnaby", "Birth date 02/30/1975"): label and value pair across, not
/// each cell over the one under it.
#[test]
fn class64_values_one_space_after_their_labels() {
    let got = entries(vec![
        run(40.0, 702.0, "Date 11/30/2026"),
        run(320.0, 702.0, "Program ECM"),
        run(40.0, 688.0, "First name Barnaby"),
        run(320.0, 688.0, "Last name Fabricato"),
        run(40.0, 674.0, "Birth date 02/30/1975"),
        run(320.0, 674.0, "CIN 95657585R"),
        run(40.0, 660.0, "Phone 916-555-0103"),
        run(320.0, 660.0, "County Placer"),
    ]);
    for (label, value) in [
        ("First name", "Barnaby"),
        ("Last name", "Fabricato"),
        ("Birth date", "02/30/1975"),
        ("CIN", "95657585R"),
        ("Phone", "916-555-0103"),
    ] {
        assert!(
            got.iter().any(|(_, n, v)| n == label && *v == t(value)),
            "{label}: {got:?}"
        );
    }
    // A label with its value beside it is left whole, however its words read (blind4).
    let beside = lines(vec![
        run(40.0, 702.0, "Referrer Type"),
        run(240.0, 702.0, "Social Services Provider"),
        run(40.0, 688.0, "First name Barnaby"),
        run(40.0, 674.0, "Birth date 02/30/1975"),
        run(40.0, 660.0, "Phone 916-555-0103"),
        run(40.0, 646.0, "CIN 95657585R"),
    ]);
    assert_eq!(beside.first().map(|l| l.cells.len()), Some(2), "{beside:?}");
    assert_eq!(beside.get(1).map(|l| l.cells.len()), Some(2));
    // Two such cells are a form's own wording, not its habit: left whole.
    let few = lines(vec![
        run(40.0, 702.0, "Date of Birth 12/01/1990"),
        run(40.0, 688.0, "Notes"),
    ]);
    assert_eq!(few.first().map(|l| l.cells.len()), Some(1));
}

/// Issue #8 (blind67): on a page setting each value one space after its label, a hyphenated
/// qualifier starts a label ("Post-release phone"), an email is a value though written
/// lower-case, and a long value may hold a label's words ("Unit Kern County Sheriff - Reentry
/// Services").
#[test]
fn class67_spaced_labels_with_qualifiers_emails_and_long_names() {
    assert_eq!(
        label_words_then_value("Post-release phone 661-555-0138"),
        Some(("Post-release phone".into(), "661-555-0138".into()))
    );
    assert_eq!(
        label_words_then_value("Email cexample@reentry.example"),
        Some(("Email".into(), "cexample@reentry.example".into()))
    );
    assert_eq!(
        label_words_then_value("Unit Kern County Sheriff - Reentry Services"),
        Some(("Unit".into(), "Kern County Sheriff - Reentry Services".into()))
    );
    // Still no split: a short label-like value, a lower-case word.
    assert_eq!(label_words_then_value("Unit Kern County Services"), None);
    assert_eq!(label_words_then_value("Phone call back"), None);
}

/// Issue #10 (blindscan3): a tick box's caption wrapped in its column ("☒ County / social" over
/// "services") is one caption, so it names a kind of referrer rather than a CHW need; a line of
/// its own under the boxes that is not such a continuation stays what it is.
#[test]
fn scan3_a_tick_caption_wrapped_in_its_column_is_one_caption() {
    let got = entries(vec![
        run(72.0, 700.0, "Referral source:"),
        run(72.0, 684.0, "☐ Medical provider"),
        run(220.0, 684.0, "☒ County / social"),
        run(360.0, 684.0, "☐ Family member"),
        run(232.0, 673.0, "services"),
        run(72.0, 640.0, "Member agrees: Yes"),
    ]);
    assert!(got.contains(&(
        Some("Referral source".into()),
        "County / social services".into(),
        RawValue::Checked(true)
    )));
    assert!(!got.iter().any(|(_, n, _)| n == "services"));
    let got = entries(vec![
        run(72.0, 684.0, "☐ Medical provider"),
        run(220.0, 684.0, "☒ Social services"),
        run(72.0, 673.0, "Name: Ivy Sample"),
    ]);
    assert!(got.contains(&(None, "Social services".into(), RawValue::Checked(true))));
    assert!(got.contains(&(None, "Name".into(), t("Ivy Sample"))));
}

/// Issue #10 (blindscan3): a lettered section ("C. Referring worker") over its labels heads
/// them as a numbered one does.
#[test]
fn scan3_a_lettered_section_heads_its_labels() {
    let got = entries(vec![
        run(72.0, 700.0, "A. Member information"),
        run(72.0, 684.0, "Name: Ophelia Sample"),
        run(72.0, 660.0, "C. Referring worker"),
        run(72.0, 644.0, "Name: Cornelius Sample"),
        run(72.0, 628.0, "Phone: 916-555-0184"),
    ]);
    assert!(got.contains(&(
        Some("A. Member information".into()),
        "Name".into(),
        t("Ophelia Sample")
    )));
    assert!(got.contains(&(
        Some("C. Referring worker".into()),
        "Name".into(),
        t("Cornelius Sample")
    )));
    assert!(got.contains(&(
        Some("C. Referring worker".into()),
        "Phone".into(),
        t("916-555-0184")
    )));
}

/// Issue #10 (blindscan3): "Direct line" is a label; captions over values in a row of two
/// ("Facility | Direct line" over a name and a number) pair down, not across.
#[test]
fn scan3_a_direct_line_is_a_caption_over_its_number() {
    let got = entries(vec![
        run(72.0, 700.0, "Name"),
        run(300.0, 700.0, "Title"),
        run(72.0, 688.0, "Rosalind Sample"),
        run(300.0, 688.0, "RN Case Manager"),
        run(72.0, 670.0, "Facility"),
        run(300.0, 670.0, "Direct line"),
        run(72.0, 658.0, "St. Sample Medical Center"),
        run(300.0, 658.0, "(213) 555-0163"),
    ]);
    assert!(got.contains(&(None, "Facility".into(), t("St. Sample Medical Center"))));
    assert!(got.contains(&(None, "Direct line".into(), t("(213) 555-0163"))));
}

/// Issue #10 (blind38 against the rule above): the next option printed without a box under a
/// ticked one ("X Recuperative Care" over "Short-term Post-Hospitalization Housing") starts
/// with a capital after a whole caption: not a continuation.
#[test]
fn scan3_the_next_option_without_a_box_is_not_a_wrapped_caption() {
    let got = entries(vec![
        run(72.0, 700.0, "Requested service(s):"),
        run(80.0, 688.0, "X Recuperative Care"),
        run(92.0, 677.0, "Short-term Post-Hospitalization Housing"),
    ]);
    assert!(
        got.iter()
            .any(|(_, n, v)| n == "Recuperative Care" && *v == RawValue::Checked(true)),
        "{got:?}"
    );
}

/// Issue #8 (blind71): a lone label/value row under a heading of its own, in the columns of the
/// page's colon-less grid, is one more row of that grid — not two stray cells.
#[test]
fn class71_a_lone_row_in_a_grids_columns_is_a_pair() {
    let got = entries(vec![
        run(40.0, 700.0, "First Name"),
        run(200.0, 700.0, "Thaddeus"),
        run(40.0, 682.0, "Last Name"),
        run(200.0, 682.0, "Nullman"),
        run(40.0, 664.0, "County"),
        run(200.0, 664.0, "Riverside"),
        run(40.0, 640.0, "Eligibility"),
        run(40.0, 620.0, "Population"),
        run(
            200.0,
            620.0,
            "Transitioning from incarceration (released 10/30/2026)",
        ),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("County"), Some(t("Riverside")));
    assert_eq!(
        by_name("Population"),
        Some(t("Transitioning from incarceration (released 10/30/2026)"))
    );
}

/// Issue #8 (blind71): after a blank label, choices printed bare with a mark before the chosen
/// one only ("Referrer type:   Medical provider   ✓ Social services provider   Family"): each
/// choice answers the label, the marked one ticked — not the first choice as the value.
#[test]
fn class71_a_mark_before_one_bare_choice_after_a_blank_label() {
    let got = entries(vec![
        run(40.0, 700.0, "Referrer type:"),
        run(130.0, 700.0, "Medical provider"),
        run(250.0, 700.0, "✓ Social services provider"),
        run(420.0, 700.0, "Family"),
        run(480.0, 700.0, "Other"),
    ]);
    let asked = Some("Referrer type".to_string());
    assert!(
        got.contains(&(
            asked.clone(),
            "Social services provider".into(),
            RawValue::Checked(true)
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(asked, "Medical provider".into(), RawValue::Checked(false))),
        "{got:?}"
    );
    assert!(!got.iter().any(|(_, n, _)| n == "Referrer type"), "{got:?}");
}

/// The same with the first choice in the label's own cell; a value followed by one ticked box
/// alone stays the value.
#[test]
fn class71_the_first_bare_choice_may_share_the_labels_cell() {
    let got = entries(vec![
        run(40.0, 700.0, "Referrer type:  Medical provider"),
        run(250.0, 700.0, "✓ Social services provider"),
        run(420.0, 700.0, "Family"),
        run(480.0, 700.0, "Other"),
        run(40.0, 680.0, "Name:  Jane Sample"),
        run(250.0, 680.0, "☒ Interpreter needed"),
    ]);
    let asked = Some("Referrer type".to_string());
    assert!(
        got.contains(&(
            asked.clone(),
            "Social services provider".into(),
            RawValue::Checked(true)
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(asked, "Medical provider".into(), RawValue::Checked(false))),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(_, n, v)| n == "Name" && *v == t("Jane Sample")),
        "{got:?}"
    );
}

/// Issue #8 (blind71): a capitals heading over a paragraph of free text labels it, and the
/// paragraph's wrapped second line goes on.
#[test]
fn class71_a_headed_paragraph_keeps_its_wrapped_line() {
    let got = entries(vec![
        run(40.0, 700.0, "REASON FOR REFERRAL"),
        run(
            50.0,
            686.0,
            "COPD and asthma; visible mold in apartment; needs medically tailored meals",
        ),
        run(50.0, 672.0, "after recent discharge."),
        run(40.0, 640.0, "REFERRED BY"),
        run(40.0, 620.0, "Name: Gwendolyn Fauxbert"),
    ]);
    assert!(
        got.iter().any(|(_, n, v)| n == "REASON FOR REFERRAL"
            && *v == t("COPD and asthma; visible mold in apartment; needs medically tailored meals after recent discharge.")),
        "{got:?}"
    );
}

/// Issue #8 (blind73): boxed captions two to a row over their values ("Referral Date | Member
/// First Name" over "11/23/2026 | Beatriz"), row after row in the same two columns, are read
/// down, each caption over its value — not across as a colon-less grid of label | value.
#[test]
fn class73_captions_two_to_a_row_over_values_are_no_grid() {
    let got = entries(vec![
        run(40.0, 700.0, "Referral Date"),
        run(300.0, 700.0, "Member First Name"),
        run(40.0, 686.0, "11/23/2026"),
        run(300.0, 686.0, "Beatriz"),
        run(40.0, 664.0, "Member Last Name"),
        run(300.0, 664.0, "Date of Birth"),
        run(40.0, 650.0, "Sinnombre"),
        run(300.0, 650.0, "11/11/1988"),
        run(40.0, 628.0, "Medi-Cal ID (CIN)"),
        run(300.0, 628.0, "Phone"),
        run(40.0, 614.0, "92233445F"),
        run(300.0, 614.0, "(714) 555-0126"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("Member First Name"), Some(t("Beatriz")), "{got:?}");
    assert_eq!(by_name("Member Last Name"), Some(t("Sinnombre")), "{got:?}");
    assert_eq!(by_name("Date of Birth"), Some(t("11/11/1988")), "{got:?}");
    assert_eq!(by_name("Phone"), Some(t("(714) 555-0126")), "{got:?}");
}

/// Issue #8 (blind75): a blank `Label:` over a list of options whose ticked ones carry their
/// mark ("X Housing Tenancy ...") heads the list: the first, unticked option under it is not
/// its value.
#[test]
fn class75_a_blank_label_over_a_tick_list_takes_no_option_as_its_value() {
    let got = entries(vec![
        run(40.0, 700.0, "Community Supports requested:"),
        run(52.0, 684.0, "Housing Transition Navigation Services"),
        run(52.0, 672.0, "Housing Deposits"),
        run(40.0, 660.0, "X Housing Tenancy and Sustaining Services"),
        run(52.0, 648.0, "Recuperative Care (Medical Respite)"),
    ]);
    assert!(
        !got.iter()
            .any(|(_, _, v)| matches!(v, RawValue::Text(s) if s.contains("Navigation"))),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, l, v)| l == "Housing Tenancy and Sustaining Services" && *v == RawValue::Checked(true)),
        "{got:?}"
    );
}

/// Issue #8 (blind74): "Individual | Referring Officer" over two colon-less grids side by side
/// names whose data each column holds, as "Member | Referrer" does: the officer's name and phone
/// are the referrer's.
#[test]
fn class74_an_individual_and_an_officer_head_two_columns() {
    let got = entries(vec![
        run(40.0, 720.0, "Individual"),
        run(300.0, 720.0, "Referring Officer"),
        run(40.0, 700.0, "Last Name"),
        run(120.0, 700.0, "Mockingsworth"),
        run(300.0, 700.0, "Name"),
        run(380.0, 700.0, "Deputy Lorna Fictive"),
        run(40.0, 686.0, "First Name"),
        run(120.0, 686.0, "Ezekiel"),
        run(300.0, 686.0, "Agency"),
        run(380.0, 686.0, "Marin County Sheriff's Office"),
        run(40.0, 672.0, "Phone"),
        run(120.0, 672.0, "415-555-0137"),
        run(300.0, 672.0, "Phone"),
        run(380.0, 672.0, "415-555-0191"),
    ]);
    let officer = Some("Referring Officer".to_string());
    assert!(
        got.contains(&(officer.clone(), "Name".into(), t("Deputy Lorna Fictive"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(officer, "Phone".into(), t("415-555-0191"))),
        "{got:?}"
    );
}

/// Issue #8 (blind76): a stretch of the page in two columns — captions over their values down
/// the left, a checklist and a "Referred by" block down the right on the same lines — is read
/// down each column: the member's captions take the values under them, and the referrer's
/// lines stay the referrer's.
#[test]
fn class76_two_columns_read_down_each() {
    let got = entries(vec![
        run(50.0, 720.0, "Referral date"),
        run(330.0, 720.0, "Services"),
        run(50.0, 708.0, "11/19/2026"),
        run(330.0, 707.0, "☑ Environmental Accessibility Adaptations"),
        run(50.0, 696.0, "Member"),
        run(330.0, 694.0, "☐ Respite"),
        run(50.0, 684.0, "Wilhelmina Placeholdt"),
        run(330.0, 681.0, "☑ Personal Care / Homemaker"),
        run(50.0, 660.0, "Date of birth"),
        run(50.0, 648.0, "02/29/1956"),
        run(330.0, 648.0, "Referred by"),
        run(50.0, 636.0, "CIN"),
        run(330.0, 632.0, "Name: Cornelius Exampledorf"),
        run(50.0, 624.0, "96543210W"),
        run(330.0, 620.0, "Phone: 925-555-0187"),
        run(50.0, 612.0, "Phone"),
        run(50.0, 600.0, "925-555-0151"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("Referral date"), Some(t("11/19/2026")), "{got:?}");
    assert_eq!(by_name("Member"), Some(t("Wilhelmina Placeholdt")), "{got:?}");
    assert_eq!(by_name("Date of birth"), Some(t("02/29/1956")), "{got:?}");
    assert_eq!(by_name("CIN"), Some(t("96543210W")), "{got:?}");
    let referrer = Some("Referred by".to_string());
    assert!(
        got.contains(&(referrer.clone(), "Name".into(), t("Cornelius Exampledorf"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(referrer, "Phone".into(), t("925-555-0187"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "Phone".into(), t("925-555-0151"))),
        "{got:?}"
    );
}

/// Issue #8 (blind76): "Currently enrolled in ECM   X Yes   __ No" — a caption with no label
/// word, answered yes or no by marks after it — is the question those marks answer.
#[test]
fn class76_a_caption_answered_by_yes_or_no_marks_is_the_question() {
    let got = entries(vec![
        run(50.0, 700.0, "Currently enrolled in ECM"),
        run(220.0, 700.0, "X Yes"),
        run(267.0, 700.0, "__ No"),
    ]);
    assert!(
        got.iter()
            .any(|(_, l, v)| l == "Currently enrolled in ECM" && *v == t("Yes")),
        "{got:?}"
    );
}

/// Issue #8 (blind78): in a column of captions over values, a caption left blank ("Date of
/// birth" right over "Medi-Cal ID") neither takes the next caption as its value nor heads the
/// captions after it; the pairing goes on under it.
#[test]
fn class78_a_blank_caption_in_a_column_of_captions_over_values() {
    let got = entries(vec![
        run(40.0, 700.0, "Referral date"),
        run(40.0, 688.0, "11/20/2026"),
        run(40.0, 676.0, "Patient name"),
        run(40.0, 664.0, "Ignatius Sample"),
        run(40.0, 652.0, "Date of birth"),
        run(40.0, 640.0, "Medi-Cal ID"),
        run(40.0, 628.0, "93939393B"),
        run(40.0, 616.0, "Phone"),
        run(40.0, 604.0, "925-555-0137"),
    ]);
    assert!(
        got.contains(&(None, "Medi-Cal ID".into(), t("93939393B"))),
        "{got:?}"
    );
    assert!(
        got.contains(&(None, "Phone".into(), t("925-555-0137"))),
        "{got:?}"
    );
    assert!(!got.iter().any(|(_, _, v)| *v == t("Medi-Cal ID")), "{got:?}");
}

/// Issue #8 (blind81): small captions over larger values, one value being yes/no answers with
/// the mark after each ("Yes ___   No ✓"): the answer ticked is the question's value, and the
/// caption beside the question still takes its own value, not the question.
#[test]
fn class81_answers_marked_after_them_under_a_caption() {
    let got = entries(vec![
        sized(40.0, 700.0, 7.0, "Referral date"),
        sized(220.0, 700.0, 7.0, "Preferred language"),
        sized(40.0, 688.0, 10.0, "11/10/2026"),
        sized(220.0, 688.0, 10.0, "Hmong"),
        sized(40.0, 660.0, 7.0, "Hours requested"),
        sized(220.0, 660.0, 7.0, "Currently enrolled in ECM?"),
        sized(40.0, 648.0, 10.0, "8 hours"),
        sized(220.0, 648.0, 10.0, "Yes ___"),
        sized(270.0, 648.0, 10.0, "No ✓"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("Hours requested"), Some(t("8 hours")), "{got:?}");
    assert_eq!(by_name("Currently enrolled in ECM?"), Some(t("No")), "{got:?}");
    assert_eq!(
        marks_after("Yes ___   No ✓"),
        Some(vec![(false, "Yes".into()), (true, "No".into())])
    );
    assert_eq!(marks_after("Nothing ___"), None);
}

/// Issue #8 (blind83): a label in capitals among a colon-less grid's labels ("POF | Serious
/// mental illness") is one more label with its value, not a heading that loses the value.
#[test]
fn class83_a_label_in_capitals_in_a_grid_keeps_its_value() {
    let got = entries(vec![
        run(40.0, 700.0, "Referral date"),
        run(220.0, 700.0, "11/19/2026"),
        run(40.0, 680.0, "Birth date"),
        run(220.0, 680.0, "03/17/1973"),
        run(40.0, 660.0, "County"),
        run(220.0, 660.0, "Butte"),
        run(40.0, 640.0, "POF"),
        run(220.0, 640.0, "Serious mental illness"),
        run(40.0, 620.0, "Clinic phone"),
        run(220.0, 620.0, "530-555-0187"),
        run(40.0, 600.0, "Referrer type"),
        run(220.0, 600.0, "Medical provider"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(by_name("POF"), Some(t("Serious mental illness")), "{got:?}");
    assert_eq!(by_name("Clinic phone"), Some(t("530-555-0187")), "{got:?}");
}

/// Issue #10 (blindscan1 07, 09, 11): a fax cover sheet's `Phone` under `From` is the sender's
/// (the referrer's), never the member's, the `To` block is the addressee's, and the cover's
/// title heads nothing on the form behind it.
#[test]
fn a_fax_cover_sheets_phone_is_the_senders() {
    let cover = lines(vec![
        run(72.0, 760.0, "DELTA SHORES CLINIC"),
        run(72.0, 700.0, "To:"),
        run(200.0, 700.0, "KP Medi-Cal ECM intake"),
        run(72.0, 680.0, "Phone:"),
        run(200.0, 680.0, "800-555-0100"),
        run(72.0, 660.0, "From:"),
        run(200.0, 660.0, "Mabel Notreal, LCSW"),
        run(72.0, 640.0, "Phone:"),
        run(200.0, 640.0, "925-555-0177"),
        run(72.0, 620.0, "Fax:"),
        run(200.0, 620.0, "925-555-0178"),
        run(72.0, 600.0, "Pages:"),
        run(200.0, 600.0, "2"),
    ]);
    let form = lines(vec![
        run(72.0, 700.0, "Phone:"),
        run(200.0, 700.0, "925-555-0138"),
    ]);
    let mut out = Vec::new();
    pair(&[cover, form], &mut out);
    let got: Vec<(Option<&str>, &str, String)> = out
        .iter()
        .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.as_text()))
        .collect();
    assert!(
        got.contains(&(Some(COVER_SENDER), "Phone", "925-555-0177".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&(Some(COVER_ADDRESSEE), "Phone", "800-555-0100".into())),
        "{got:?}"
    );
    assert!(got.contains(&(None, "Phone", "925-555-0138".into())), "{got:?}");
    // A form page whose fax header reads `FROM:` and whose referrer gives a fax number is no
    // cover sheet.
    let mut out = Vec::new();
    pair(
        &[lines(vec![
            run(72.0, 780.0, "FROM: DSCC"),
            run(72.0, 700.0, "Phone:"),
            run(200.0, 700.0, "925-555-0138"),
            run(72.0, 680.0, "Fax:"),
            run(200.0, 680.0, "925-555-0178"),
        ])],
        &mut out,
    );
    assert!(out.iter().all(|e| e.section.is_none()), "{out:?}");
}

/// Issue #8 (blind86): a colon-less grid continued under a heading of its own ("Referring
/// agency" over "Agency | Orange County SSA - Adult Services", "Referrer type | Social services
/// provider"): a short run whose values say county, services and provider is no grid by itself,
/// but in the very columns of a grid above it on the page it is that grid's rows, paired across.
#[test]
fn class86_a_grid_continued_under_a_heading_keeps_its_columns() {
    let got = entries(vec![
        run(72.0, 720.0, "Referral date"),
        run(250.0, 720.0, "11/09/2026"),
        run(72.0, 700.0, "Member name"),
        run(250.0, 700.0, "Perpetua Blankley"),
        run(72.0, 680.0, "DOB"),
        run(250.0, 680.0, "11/09/2005"),
        run(72.0, 660.0, "Phone"),
        run(250.0, 660.0, "714-555-0116"),
        run(72.0, 640.0, "County"),
        run(250.0, 640.0, "Orange"),
        run(72.0, 600.0, "Referring agency"),
        run(72.0, 580.0, "Referrer"),
        run(250.0, 580.0, "Gaspard Nobody"),
        run(72.0, 560.0, "Agency"),
        run(250.0, 560.0, "Orange County SSA - Adult Services"),
        run(72.0, 540.0, "Phone"),
        run(250.0, 540.0, "(714) 555-0166"),
        run(72.0, 520.0, "Referrer type"),
        run(250.0, 520.0, "Social services provider"),
    ]);
    let find = |n: &str, v: &str| got.iter().any(|(_, l, val)| l == n && *val == t(v));
    assert!(find("Agency", "Orange County SSA - Adult Services"), "{got:?}");
    assert!(find("Phone", "(714) 555-0166"), "{got:?}");
    assert!(find("Referrer type", "Social services provider"), "{got:?}");
    assert!(find("Referrer", "Gaspard Nobody"), "{got:?}");
}

/// Issue #8 (blind86): a colon-less label run into the boxes that answer it ("Referrer type [X]
/// Medical provider   [ ] Social services   [ ] Other", "Patient consent [X] Yes   [ ] No") asks,
/// and its boxes answer it, the first one too.
#[test]
fn class86_a_colonless_label_run_into_its_boxes_asks() {
    let got = entries(vec![
        run(72.0, 700.0, "Name: Florian Phantomwell"),
        run(72.0, 680.0, "Referrer type [X] Medical provider"),
        run(300.0, 680.0, "[ ] Social services"),
        run(420.0, 680.0, "[ ] Other"),
        run(72.0, 660.0, "Patient consent [X] Yes"),
        run(260.0, 660.0, "[ ] No"),
    ]);
    let find = |n: &str, v: RawValue| got.iter().any(|(_, l, val)| l == n && *val == v);
    assert!(find("Medical provider", RawValue::Checked(true)), "{got:?}");
    assert!(find("Social services", RawValue::Checked(false)), "{got:?}");
    assert!(find("Patient consent", t("Yes")), "{got:?}");
}

/// Issue #8 (blind88): a value cut at a word that joins it to more ("Agency: Fresno County Dept
/// of") goes on in the cell under it, the last of its line in a two-column layout ("Phone:
/// 559-555-0151 | Behavioral Health").
#[test]
fn class88_a_value_ending_on_a_joining_word_goes_on_under_it() {
    let got = entries(vec![
        sized(40.0, 700.0, 9.0, "Member name:"),
        sized(120.0, 700.0, 9.0, "Thaddeus Counterfeit"),
        sized(300.0, 700.0, 9.0, "Referral date:"),
        sized(380.0, 700.0, 9.0, "11/06/2026"),
        sized(40.0, 682.0, 9.0, "CIN:"),
        sized(120.0, 682.0, 9.0, "91880606F"),
        sized(300.0, 682.0, 9.0, "Agency:"),
        sized(380.0, 682.0, 9.0, "Fresno County Dept of"),
        sized(40.0, 664.0, 9.0, "Phone:"),
        sized(120.0, 664.0, 9.0, "559-555-0151"),
        sized(380.0, 664.0, 9.0, "Behavioral Health"),
        sized(40.0, 646.0, 9.0, "Address:"),
        sized(120.0, 646.0, 9.0, "2020 Shamwood Ave"),
        sized(300.0, 646.0, 9.0, "Phone:"),
        sized(380.0, 646.0, 9.0, "559-555-0152"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(
        by_name("Agency:").or(by_name("Agency")),
        Some(t("Fresno County Dept of Behavioral Health")),
        "{got:?}"
    );
    assert_eq!(
        by_name("Member name:").or(by_name("Member name")),
        Some(t("Thaddeus Counterfeit")),
        "{got:?}"
    );
}

/// Issue #8 (blind87): small captions over larger values, one a sentence that wraps onto a
/// second line under it ("…no medical emergency;" / "needs a sobering center stay tonight."):
/// both lines are the value.
#[test]
fn class87_a_value_under_its_caption_wraps_onto_the_next_line() {
    let got = entries(vec![
        sized(40.0, 700.0, 7.4, "Referral date"),
        sized(310.0, 700.0, 7.4, "Client name"),
        sized(40.0, 688.0, 9.25, "12/02/2026"),
        sized(310.0, 688.0, 9.25, "Fenwick O'Fakery"),
        sized(40.0, 664.0, 7.4, "Phone"),
        sized(310.0, 664.0, 7.4, "Address"),
        sized(40.0, 652.0, 9.25, "831-555-0106"),
        sized(310.0, 652.0, 9.25, "115 Fake Ocean St"),
        sized(40.0, 600.0, 7.4, "Reason for referral"),
        sized(
            40.0,
            588.0,
            9.25,
            "Found intoxicated in public, cooperative, no medical emergency;",
        ),
        sized(40.0, 575.0, 9.25, "needs a sobering center stay tonight."),
        sized(40.0, 550.0, 7.4, "Referring officer"),
        sized(310.0, 550.0, 7.4, "Badge #"),
        sized(40.0, 538.0, 9.25, "Winifred Bluffington"),
        sized(310.0, 538.0, 9.25, "447"),
    ]);
    let by_name = |n: &str| got.iter().find(|(_, l, _)| l == n).map(|(_, _, v)| v.clone());
    assert_eq!(
        by_name("Reason for referral"),
        Some(t(
            "Found intoxicated in public, cooperative, no medical emergency; needs a sobering center stay tonight."
        )),
        "{got:?}"
    );
    assert_eq!(
        by_name("Referring officer"),
        Some(t("Winifred Bluffington")),
        "{got:?}"
    );
}
