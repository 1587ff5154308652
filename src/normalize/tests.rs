//! Tests for the shared helpers and the no-panic property of every normaliser.

use chrono::NaiveDate;

use super::*;

#[test]
fn clean_text_collapses_whitespace() {
    let cases: &[(&str, Option<&str>)] = &[
        ("  Jane   Sample ", Some("Jane Sample")),
        ("Line one\nline two\r\n\tthree", Some("Line one line two three")),
        ("a\u{0}b", Some("a b")),
        ("☒", Some("☒")),
        ("Oakland", Some("Oakland")),
        ("NAPA", Some("NAPA")), // a county, not a placeholder
        ("Nancy", Some("Nancy")),
    ];
    for (input, want) in cases {
        assert_eq!(clean_text(input).as_deref(), *want, "{input:?}");
    }
}

#[test]
fn clean_text_drops_placeholders() {
    for input in [
        "",
        "   ",
        "\n\n",
        "N/A",
        "n/a",
        "NA",
        "n.a.",
        "none",
        "None.",
        "-",
        "--",
        "unknown",
        "UNKNOWN",
        "___",
        "________",
        "null",
        "...",
        "?",
        "not applicable",
        "not available - card lost",
        "Unknown (will send)",
        "Pending, applied 11/02",
        // class65: a remark in place of the value (blind65).
        "(she's lost her card - will send)",
    ] {
        assert_eq!(clean_text(input), None, "{input:?}");
    }
    // A value that merely starts with such a word is a value.
    assert_eq!(
        clean_text("Pending discharge from hospital, needs housing").as_deref(),
        Some("Pending discharge from hospital, needs housing")
    );
}

#[test]
fn title_case_words() {
    assert_eq!(title_case("CONTRA costa"), "Contra Costa");
    assert_eq!(title_case("san luis obispo"), "San Luis Obispo");
    assert_eq!(title_case("sample-doe"), "Sample-Doe");
    assert_eq!(title_case(""), "");
    assert_eq!(title_case("élan"), "Élan");
}

#[test]
fn zero_fractions_only() {
    assert_eq!(strip_zero_fraction("94612.0"), "94612");
    assert_eq!(strip_zero_fraction("94612.000"), "94612");
    assert_eq!(strip_zero_fraction("94612.5"), "94612.5");
    assert_eq!(strip_zero_fraction(".0"), ".0");
    assert_eq!(strip_zero_fraction("94612."), "94612.");
    assert_eq!(strip_zero_fraction("a.0"), "a.0");
}

#[test]
fn invalid_names_no_content() {
    assert_eq!(
        Invalid.to_string(),
        "value is present but not in an accepted form"
    );
}

/// A deterministic generator of odd strings: pieces of real values mixed with unicode, control
/// characters, separators and digits, plus some very long inputs.
fn odd_inputs() -> Vec<String> {
    const PIECES: [&str; 40] = [
        "", " ", "\n", "\r\n", "\t", "\u{0}", "\u{7f}", "\u{200b}", "\u{feff}", "é", "Ñ", "ß", "İ", "ﬀ",
        "日本", "😀", "\u{301}", "☒", "☐", "/", "-", ".", ",", "#", "+", "(", ")", "<", ">", "@", ":", "0",
        "1", "9", "12", "1980", "94612", "CA", "Jan", "x",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        // xorshift64: good enough to mix pieces, and reproducible.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out: Vec<String> = Vec::new();
    for _ in 0..400 {
        let len = next() % 12;
        let s: String = (0..len)
            .filter_map(|_| PIECES.get((next() % PIECES.len() as u64) as usize).copied())
            .collect();
        out.push(s);
    }
    out.extend([
        "9".repeat(10_000),
        "a".repeat(100_000),
        "1/".repeat(5_000),
        ", ".repeat(5_000),
        "de ".repeat(3_000),
        "Jr. ".repeat(3_000),
        "\u{0}".repeat(1_000),
        "İ".repeat(1_000),
        "99/99/9999".to_owned(),
        "00/00/0000".to_owned(),
        "9999-12-31T23:59:59".to_owned(),
        "12/31/9999".to_owned(),
        "0000-01-01".to_owned(),
        "2958465.999".to_owned(),
        "1e308".to_owned(),
        "  .0".to_owned(),
        "St St St 94612".to_owned(),
        ", CA 94612".to_owned(),
    ]);
    out
}

#[test]
fn no_function_panics_on_odd_input() {
    let Some(today) = NaiveDate::from_ymd_opt(2025, 11, 24) else {
        panic!("test date");
    };
    for s in odd_inputs() {
        let _ = parse_date(&s, today, true);
        let _ = parse_date(&s, today, false);
        let _ = parse_date_or_serial(&s, today, true);
        let _ = parse_bool(&s);
        let _ = normalize_cin(&s);
        let _ = cin_shaped(&s);
        let _ = normalize_mrn(&s);
        let _ = normalize_phone(&s);
        let _ = normalize_email(&s);
        let _ = normalize_zip(&s);
        let _ = normalize_npi(&s);
        let _ = normalize_county(&s);
        let _ = clean_text(&s);
        let _ = title_case(&s);
        let _ = split_name(&s);
        let _ = split_address(&s);
    }
    // Extreme dates for today itself.
    for today in [NaiveDate::MIN, NaiveDate::MAX] {
        for s in ["1/1/00", "12/31/99", "01/05/1980", "29221"] {
            let _ = parse_date(s, today, true);
            let _ = parse_date(s, today, false);
            let _ = parse_date_or_serial(s, today, true);
        }
    }
    for serial in [
        f64::MIN,
        -0.0,
        0.5,
        59.99,
        60.5,
        f64::EPSILON,
        2_958_465.5,
        f64::MAX,
    ] {
        let _ = date_from_serial(serial, false);
        let _ = date_from_serial(serial, true);
    }
}

#[test]
fn a_note_after_an_address_is_not_part_of_it() {
    let p = split_address("1010 Example St, Compton, CA 90220 (sober living)");
    assert_eq!(p.street.as_deref(), Some("1010 Example St"));
    assert_eq!(p.city.as_deref(), Some("Compton"));
    assert_eq!(p.zip.as_deref(), Some("90220"));
}

#[test]
fn day_month_name_year_dates() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap_or_default();
    for s in ["30-Oct-2026", "30 Oct 2026", "30-October-2026", "30 October 2026"] {
        assert_eq!(
            parse_date(s, today, false),
            Ok(NaiveDate::from_ymd_opt(2026, 10, 30)),
            "{s}"
        );
    }
}
