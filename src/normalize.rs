//! Normalisation: raw strings from the extractors into the canonical forms of SPEC §4.
//!
//! Every function here is pure and synchronous: no I/O, no clock (callers pass `today`), no
//! configuration. The stage that maps extracted entries to canonical fields calls one normaliser
//! per field and turns the result into the field value or a reason:
//!
//! - `Ok(Some(v))`: the value in its canonical form;
//! - `Ok(None)`: the field is blank (empty, whitespace, or a placeholder such as `N/A`), which
//!   means *absent*, never invalid;
//! - `Err(Invalid)`: something is written but it is not in any accepted form; the caller reports
//!   `invalid_field:<key>`.
//!
//! Invariants: no function panics on any input (property-tested below), and [`Invalid`] carries no
//! content, so an error can be logged without leaking member data.
//!
//! Submodules by concern: [`date`] (written dates and spreadsheet serials), [`ident`] (booleans,
//! CIN, MRN, phone, e-mail, ZIP, NPI), [`county`] (California counties), [`name`] (splitting a
//! person's name) and [`address`] (splitting a one-line address).

pub mod address;
pub mod county;
pub mod date;
pub mod ident;
pub mod name;

use std::fmt;

use regex::Regex;

pub use address::{AddressParts, no_address, split_address, split_city_zip};
pub use county::{CA_COUNTIES, normalize_county};
pub use date::{date_from_serial, day_first_to_month_first, numeric_order, parse_date, parse_date_or_serial};
pub use ident::{
    cin_shaped, normalize_cin, normalize_email, normalize_mrn, normalize_npi, normalize_phone, normalize_zip,
    parse_bool,
};
pub use name::{led_by_person_name, names_organisation, organisation_in, split_name, split_signed_name};

/// A value is present but not in any accepted form.
///
/// Deliberately empty: the offending text must not travel into error messages or logs. The caller
/// knows which field it was normalising and reports `invalid_field:<key>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("value is present but not in an accepted form")
    }
}

impl std::error::Error for Invalid {}

/// What every normaliser returns: `Ok(None)` for blank, `Err(Invalid)` for present-but-unusable.
pub type Normalized<T> = Result<Option<T>, Invalid>;

/// Compiles one of this module's constant patterns.
///
/// The patterns are literals exercised by the unit tests, so a failure here is a programming error
/// caught before release, never a reaction to input; that is why it may panic.
pub(crate) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("built-in normalisation pattern does not compile: {e}"))
}

/// Trims, turns control characters into spaces and collapses runs of whitespace (including
/// newlines) to single spaces; `None` for blank values and placeholders.
///
/// Placeholders are what people type into a field they cannot fill: `N/A`, `NA`, `none`, `-`,
/// `unknown`, `null`, a run of underscores, or anything made only of punctuation.
pub fn clean_text(s: &str) -> Option<String> {
    let spaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let collapsed = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() || is_placeholder(&collapsed) {
        return None;
    }
    Some(collapsed)
}

/// Whether a trimmed, collapsed value is a stand-in for "nothing".
fn is_placeholder(s: &str) -> bool {
    // Symbols that carry meaning on their own (a ticked box) are not placeholders.
    const MEANINGFUL_SYMBOLS: [char; 8] = ['☒', '☑', '✓', '✔', '✅', '☐', '✗', '✘'];
    if !s
        .chars()
        .any(|c| c.is_alphanumeric() || MEANINGFUL_SYMBOLS.contains(&c))
    {
        return true;
    }
    // A remark in place of the value: "(she's lost her card - will send)", "(unknown)" — a
    // sentence or a stand-in, not a short value written in brackets ("(Alameda)").
    if s.starts_with('(') && s.ends_with(')') {
        let (outside, inside) = split_parenthesised(s);
        if outside.trim().is_empty()
            && (inside.split_whitespace().count() >= 5 || (inside != s && is_placeholder(&inside)))
        {
            return true;
        }
    }
    let lower = s.to_lowercase();
    // A stand-in may carry its excuse: "not available - card lost", "unknown (will send)".
    let head = lower
        .split([',', ';', '(', '\u{2013}', '\u{2014}'])
        .next()
        .unwrap_or_default()
        .split(" - ")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_end_matches('.');
    matches!(
        head,
        "n/a"
            | "na"
            | "n.a"
            | "none"
            | "unknown"
            | "unk"
            | "null"
            | "nil"
            | "not applicable"
            | "not available"
            | "unavailable"
            | "not known"
            | "pending"
            | "tbd"
    )
}

/// What `s` says outside parentheses or brackets, and what it says inside them (the pieces
/// joined by a space, trimmed): `"Phone (facility)"` → `("Phone ", "facility")`.
pub fn split_parenthesised(s: &str) -> (String, String) {
    let (mut outside, mut inside) = (String::with_capacity(s.len()), String::new());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                inside.push(' ');
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => outside.push(c),
            _ => inside.push(c),
        }
    }
    (outside, inside.trim().to_string())
}

/// Title case for names we cannot match to a list: each word (split at spaces and hyphens)
/// gets an upper-case first letter and lower-case rest. `"CONTRA costa"` → `"Contra Costa"`.
pub fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if c.is_alphabetic() {
            if at_word_start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            at_word_start = false;
        } else {
            out.push(c);
            // A letter after an apostrophe continues the word ("O'Brien" stays one word but
            // "o'brien" → "O'brien" is acceptable; counties have no apostrophes).
            at_word_start = c.is_whitespace() || c == '-' || c == '/' || c == '(';
        }
    }
    out
}

/// Removes spaces, dashes and dots, the separators people type inside identifiers.
fn strip_separators(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '‐' | '–' | '—'))
        .collect()
}

/// A number-typed spreadsheet cell renders as `9165550123.0`; drops such an all-zero fraction.
fn strip_zero_fraction(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac))
            if !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && !frac.is_empty()
                && frac.bytes().all(|b| b == b'0') =>
        {
            int
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests;
