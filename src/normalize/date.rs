//! Dates as people and spreadsheets write them (SPEC §4: `referral_date`, `member_dob`).
//!
//! Accepted written forms, always month before day (US order):
//! `MM/DD/YYYY`, `MM-DD-YYYY`, `M.D.YYYY`, `M/D/YY`, `YYYY-MM-DD`, `YYYY/MM/DD`, ISO date-times
//! (`1980-01-05T00:00:00`, `1980-01-05 00:00:00`; the time is dropped), `Jan 5, 1980`,
//! `January 5 1980`, `Sept. 5, 1980`, `5-Jan-1980`, `5 Jan 1980`. The value is trimmed and may end
//! with a `.`; anything around the date (`DOB 01/05/1980`) is rejected, because a label glued to a
//! value means the extractor mis-split the field and guessing would hide that.
//!
//! Two-digit years: a birth date takes the century that puts it on or before `today`; any other
//! date the century that puts its year within 50 years of today's.
//!
//! A birth date after `today`, or more than [`MAX_AGE_YEARS`] before it, is `Invalid`: a typo, not
//! a person.

use std::sync::LazyLock;

use chrono::{Datelike, Days, NaiveDate};
use regex::Regex;

use super::{Invalid, Normalized, clean_text, re};

/// Oldest plausible age; older birth dates are typos (`01/05/1890` for `1980`).
pub const MAX_AGE_YEARS: i32 = 130;

/// Largest Excel serial: 9999-12-31 in the 1900 system.
const MAX_SERIAL: f64 = 2_958_465.0;

/// Optional time after a date: `T00:00:00`, ` 00:00`, ` 12:00:00.000Z`, ` 12:00 AM`.
const TIME: &str = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?";

/// `MM/DD/YYYY`, `M-D-YY`, `M.D.YYYY`: the same separator twice.
static US_NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(\d{{1,2}})([/.-])(\d{{1,2}})([/.-])(\d{{4}}|\d{{2}}){TIME}$"
    ))
});

/// `YYYY-MM-DD`, `YYYY/MM/DD`, with an optional time.
static ISO: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"^(\d{{4}})([/-])(\d{{1,2}})([/-])(\d{{1,2}}){TIME}$")));

/// `Jan 5, 1980`, `January 5 1980`, `Sept. 5th, 1980`.
static MONTH_FIRST: LazyLock<Regex> =
    LazyLock::new(|| re(r"^([A-Za-z]{3,9})\.?[ -]?(\d{1,2})(?:st|nd|rd|th)?(?:, ?| )(\d{4}|\d{2})$"));

/// `5-Jan-1980`, `5 Jan 1980`, `05-JAN-80`, `5 January, 1980`.
static DAY_FIRST: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{1,2})[ /-]?([A-Za-z]{3,9})\.?[ /,-]{0,2}(\d{4}|\d{2})$"));

/// Parses a written date; `birth` selects the two-digit-year rule and the plausibility checks.
pub fn parse_date(s: &str, today: NaiveDate, birth: bool) -> Normalized<NaiveDate> {
    let Some(text) = clean_text(s) else {
        return Ok(None);
    };
    let text = text.strip_suffix('.').unwrap_or(&text);
    let (year, month, day) = split_written(text).ok_or(Invalid)?;
    let year = match year {
        Year::Full(y) => y,
        Year::TwoDigit(yy) => expand_year(yy, month, day, today, birth),
    };
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or(Invalid)?;
    check_plausible(date, today, birth).map(Some)
}

/// What a numeric date (`MM/DD/YYYY` and its kin) shows of its order: `Some(true)` when only
/// day-first reads (`21/07/1966`), `Some(false)` when only month-first does (`07/21/1966`),
/// `None` when both or neither do.
pub fn numeric_order(s: &str) -> Option<bool> {
    let c = US_NUMERIC.captures(s.trim())?;
    let (a, b) = (num(c.get(1)?.as_str())?, num(c.get(3)?.as_str())?);
    match (a > 12, b > 12) {
        (true, false) if a <= 31 => Some(true),
        (false, true) if b <= 31 => Some(false),
        _ => None,
    }
}

/// A numeric date written day first, rewritten month first (`03/12/2026` → `12/03/2026`), for a
/// document whose other dates show it writes the day first. Other text comes back unchanged.
pub fn day_first_to_month_first(s: &str) -> std::borrow::Cow<'_, str> {
    let t = s.trim();
    match US_NUMERIC.captures(t) {
        Some(c) => {
            let (Some(d), Some(sep), Some(m)) = (c.get(1), c.get(2), c.get(3)) else {
                return s.into();
            };
            let rest = t.get(m.end()..).unwrap_or_default();
            format!("{}{}{}{}", m.as_str(), sep.as_str(), d.as_str(), rest).into()
        }
        None => s.into(),
    }
}

/// Like [`parse_date`], but a bare number from 1 to 2958465 is read as an Excel serial in the
/// 1900 system (`29221` → 1980-01-01). Only for values known to come from a spreadsheet cell:
/// elsewhere a bare number is more likely a mistake than a date. A bare four-digit number from
/// 1900 to 2100 is a year without month and day, so it is `Invalid`, not a day in 1905.
pub fn parse_date_or_serial(s: &str, today: NaiveDate, birth: bool) -> Normalized<NaiveDate> {
    let trimmed = s.trim();
    let numeric = !trimmed.is_empty()
        && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && trimmed.bytes().filter(|&b| b == b'.').count() <= 1;
    if !numeric {
        return parse_date(s, today, birth);
    }
    let serial: f64 = trimmed.parse().map_err(|_| Invalid)?;
    // A bare year ("1980") is far likelier than a serial for a day in 1905: refuse to guess.
    let looks_like_a_year = trimmed.len() == 4 && (1900.0..=2100.0).contains(&serial);
    if looks_like_a_year || !(1.0..=MAX_SERIAL).contains(&serial) {
        return Err(Invalid);
    }
    let date = date_from_serial(serial, false).ok_or(Invalid)?;
    check_plausible(date, today, birth).map(Some)
}

/// Converts an Excel date serial to a date, dropping any time-of-day fraction.
///
/// 1900 system (`date1904 == false`): serial 1 is 1900-01-01, and serial 60 is the
/// 1900-02-29 that Lotus 1-2-3 invented and Excel kept, so it has no real date (`None`); from 61
/// (1900-03-01) on, serials count from 1899-12-30. 1904 system (old Mac workbooks): serial 0 is
/// 1904-01-01. Negative, non-finite, zero (1900 system) and post-9999 serials give `None`.
pub fn date_from_serial(serial: f64, date1904: bool) -> Option<NaiveDate> {
    // NaN and infinities fall outside the range too.
    if !(0.0..=MAX_SERIAL).contains(&serial) {
        return None;
    }
    // In range and non-negative, so the conversion is exact for the whole part.
    let days = serial.floor() as u64;
    let (epoch, offset) = if date1904 {
        (NaiveDate::from_ymd_opt(1904, 1, 1)?, days)
    } else {
        match days {
            0 | 60 => return None,
            1..=59 => (NaiveDate::from_ymd_opt(1899, 12, 31)?, days),
            _ => (NaiveDate::from_ymd_opt(1899, 12, 30)?, days),
        }
    };
    epoch.checked_add_days(Days::new(offset))
}

/// A year as written.
enum Year {
    Full(i32),
    TwoDigit(u32),
}

/// Splits a trimmed date into (year, month, day) without validating the calendar.
fn split_written(text: &str) -> Option<(Year, u32, u32)> {
    // The regex crate has no back-references, so "same separator twice" is checked here.
    let same_separators =
        |c: &regex::Captures<'_>| c.get(2).map(|m| m.as_str()) == c.get(4).map(|m| m.as_str());
    if let Some(c) = US_NUMERIC.captures(text) {
        if !same_separators(&c) {
            return None;
        }
        return Some((
            year(c.get(5)?.as_str())?,
            num(c.get(1)?.as_str())?,
            num(c.get(3)?.as_str())?,
        ));
    }
    if let Some(c) = ISO.captures(text) {
        if !same_separators(&c) {
            return None;
        }
        let y = c.get(1)?.as_str().parse().ok()?;
        return Some((Year::Full(y), num(c.get(3)?.as_str())?, num(c.get(5)?.as_str())?));
    }
    if let Some(c) = MONTH_FIRST.captures(text) {
        return Some((
            year(c.get(3)?.as_str())?,
            month_number(c.get(1)?.as_str())?,
            num(c.get(2)?.as_str())?,
        ));
    }
    if let Some(c) = DAY_FIRST.captures(text) {
        return Some((
            year(c.get(3)?.as_str())?,
            month_number(c.get(2)?.as_str())?,
            num(c.get(1)?.as_str())?,
        ));
    }
    None
}

fn num(s: &str) -> Option<u32> {
    s.parse().ok()
}

fn year(s: &str) -> Option<Year> {
    match s.len() {
        2 => Some(Year::TwoDigit(s.parse().ok()?)),
        4 => Some(Year::Full(s.parse().ok()?)),
        _ => None,
    }
}

/// English month names and their usual abbreviations, case-insensitively.
fn month_number(name: &str) -> Option<u32> {
    let month = match name.to_ascii_lowercase().as_str() {
        "jan" | "january" => 1,
        "feb" | "february" => 2,
        "mar" | "march" => 3,
        "apr" | "april" => 4,
        "may" => 5,
        "jun" | "june" => 6,
        "jul" | "july" => 7,
        "aug" | "august" => 8,
        "sep" | "sept" | "september" => 9,
        "oct" | "october" => 10,
        "nov" | "november" => 11,
        "dec" | "december" => 12,
        _ => return None,
    };
    Some(month)
}

/// Picks the century for a two-digit year.
fn expand_year(yy: u32, month: u32, day: u32, today: NaiveDate, birth: bool) -> i32 {
    // yy < 100, so the cast is exact.
    let yy = yy as i32;
    let century = today.year().div_euclid(100) * 100;
    if birth {
        // The latest century that does not put the birthday after today. Tuple comparison
        // avoids building a date that may not exist in one of the centuries (02/29/00).
        let candidate = century + yy;
        if (candidate, month, day) > (today.year(), today.month(), today.day()) {
            candidate - 100
        } else {
            candidate
        }
    } else {
        // The window [today-50, today+50): unique for every yy.
        let mut candidate = century + yy;
        if candidate >= today.year() + 50 {
            candidate -= 100;
        } else if candidate < today.year() - 50 {
            candidate += 100;
        }
        candidate
    }
}

/// Birth dates must be on or before today and not absurdly old.
fn check_plausible(date: NaiveDate, today: NaiveDate, birth: bool) -> Result<NaiveDate, Invalid> {
    if birth && (date > today || today.year() - date.year() > MAX_AGE_YEARS) {
        return Err(Invalid);
    }
    Ok(date)
}

#[cfg(test)]
// A test may panic: that is how it fails.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2025, 11, 24);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, NaiveDate)] = &[
            ("01/05/1980", d(1980, 1, 5)),
            ("1/5/1980", d(1980, 1, 5)),
            ("01-05-1980", d(1980, 1, 5)),
            ("01.05.1980", d(1980, 1, 5)),
            ("  01/05/1980.  ", d(1980, 1, 5)),
            ("1980-01-05", d(1980, 1, 5)),
            ("1980/01/05", d(1980, 1, 5)),
            ("1980-1-5", d(1980, 1, 5)),
            ("1980-01-05T00:00:00", d(1980, 1, 5)),
            ("1980-01-05 00:00:00", d(1980, 1, 5)),
            ("1980-01-05T10:30:00.000Z", d(1980, 1, 5)),
            ("01/05/1980 12:00 AM", d(1980, 1, 5)),
            ("Jan 5, 1980", d(1980, 1, 5)),
            ("January 5 1980", d(1980, 1, 5)),
            ("March 5, 1961", d(1961, 3, 5)),
            ("MARCH 5, 1961", d(1961, 3, 5)),
            ("Sept. 5, 1980", d(1980, 9, 5)),
            ("Sep 5th, 1980", d(1980, 9, 5)),
            ("5-Jan-1980", d(1980, 1, 5)),
            ("5 Jan 1980", d(1980, 1, 5)),
            ("05-JAN-80", d(1980, 1, 5)),
            ("5 January, 1980", d(1980, 1, 5)),
            ("02/29/2000", d(2000, 2, 29)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_date(input, today(), true), Ok(Some(*want)), "{input}");
        }
    }

    #[test]
    fn two_digit_years_for_birth_dates_stay_in_the_past() {
        let cases: &[(&str, NaiveDate)] = &[
            ("1/5/80", d(1980, 1, 5)),
            ("1/5/05", d(2005, 1, 5)),
            ("11/24/25", d(2025, 11, 24)), // today itself is not the future
            ("11/25/25", d(1925, 11, 25)), // tomorrow would be the future
            ("12/31/99", d(1999, 12, 31)),
            ("1/1/00", d(2000, 1, 1)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_date(input, today(), true), Ok(Some(*want)), "{input}");
        }
    }

    #[test]
    fn two_digit_years_for_other_dates_stay_within_fifty_years() {
        let cases: &[(&str, NaiveDate)] = &[
            ("11/20/25", d(2025, 11, 20)),
            ("1/5/74", d(2074, 1, 5)),
            ("1/5/75", d(1975, 1, 5)),
            ("1/5/80", d(1980, 1, 5)),
            ("12/1/25", d(2025, 12, 1)), // a referral dated next week is not a century ago
        ];
        for (input, want) in cases {
            assert_eq!(parse_date(input, today(), false), Ok(Some(*want)), "{input}");
        }
    }

    #[test]
    fn blank_is_absent() {
        for input in ["", "   ", "N/A", "\n", "-", "__/__/____"] {
            assert_eq!(parse_date(input, today(), true), Ok(None), "{input:?}");
        }
    }

    #[test]
    fn rejected_forms() {
        let cases = [
            "02/30/1980",     // no such day
            "13/05/1980",     // no month 13; day-first order is not accepted
            "02/29/1981",     // not a leap year
            "DOB 01/05/1980", // label glued to the value
            "01/05/1980 DOB",
            "01/05-1980", // mixed separators
            "1980",
            "29221", // a serial only through parse_date_or_serial
            "Foo 5, 1980",
            "5 Jan",
            "Jan 1980", // not "Jan 19, 80"
            "1980-01/05",
            "01/05/980",
            "yesterday",
            "2025-02-29",
        ];
        for input in cases {
            assert_eq!(parse_date(input, today(), false), Err(Invalid), "{input}");
        }
    }

    #[test]
    fn implausible_birth_dates_are_invalid() {
        assert_eq!(parse_date("12/01/2025", today(), true), Err(Invalid));
        assert_eq!(parse_date("01/05/1890", today(), true), Err(Invalid));
        // The same dates are fine when they are not birth dates.
        assert_eq!(parse_date("12/01/2025", today(), false), Ok(Some(d(2025, 12, 1))));
    }

    #[test]
    fn serials_in_the_1900_system_honour_the_lotus_leap_day() {
        assert_eq!(date_from_serial(1.0, false), Some(d(1900, 1, 1)));
        assert_eq!(date_from_serial(59.0, false), Some(d(1900, 2, 28)));
        assert_eq!(date_from_serial(60.0, false), None);
        assert_eq!(date_from_serial(61.0, false), Some(d(1900, 3, 1)));
        assert_eq!(date_from_serial(25_600.0, false), Some(d(1970, 2, 1)));
        assert_eq!(date_from_serial(29_221.0, false), Some(d(1980, 1, 1)));
        assert_eq!(date_from_serial(45_985.395_8, false), Some(d(2025, 11, 24)));
        assert_eq!(date_from_serial(2_958_465.0, false), Some(d(9999, 12, 31)));
    }

    #[test]
    fn serials_in_the_1904_system() {
        assert_eq!(date_from_serial(0.0, true), Some(d(1904, 1, 1)));
        assert_eq!(date_from_serial(1.0, true), Some(d(1904, 1, 2)));
        // The same day is 1462 apart in the two systems.
        assert_eq!(date_from_serial(29_221.0 - 1_462.0, true), Some(d(1980, 1, 1)));
    }

    #[test]
    fn impossible_serials() {
        for serial in [
            0.0,
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2_958_466.0,
            1e300,
        ] {
            assert_eq!(date_from_serial(serial, false), None, "{serial}");
        }
        assert_eq!(date_from_serial(-0.5, true), None);
    }

    #[test]
    fn serial_strings_only_when_asked() {
        assert_eq!(
            parse_date_or_serial("29221", today(), true),
            Ok(Some(d(1980, 1, 1)))
        );
        assert_eq!(
            parse_date_or_serial(" 29221.0 ", today(), true),
            Ok(Some(d(1980, 1, 1)))
        );
        assert_eq!(
            parse_date_or_serial("01/05/1980", today(), true),
            Ok(Some(d(1980, 1, 5)))
        );
        assert_eq!(parse_date_or_serial("", today(), true), Ok(None));
        assert_eq!(parse_date_or_serial("0", today(), false), Err(Invalid));
        assert_eq!(parse_date_or_serial("60", today(), false), Err(Invalid));
        assert_eq!(parse_date_or_serial("2958466", today(), false), Err(Invalid));
        assert_eq!(parse_date_or_serial("1.2.3", today(), false), Err(Invalid));
        assert_eq!(parse_date_or_serial(".", today(), false), Err(Invalid));
        assert_eq!(parse_date_or_serial("1980", today(), true), Err(Invalid));
        assert_eq!(
            parse_date_or_serial("1899", today(), false),
            Ok(Some(d(1905, 3, 13)))
        );
        // A birth date in the future is still refused.
        assert_eq!(parse_date_or_serial("46000", today(), true), Err(Invalid));
    }
}
