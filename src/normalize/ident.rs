//! Short coded values: yes/no answers, Medi-Cal CIN, KP MRN, phone, e-mail, ZIP and NPI.
//!
//! Each normaliser strips the separators people type (spaces, dashes, dots, parentheses) and the
//! artefacts of number-typed spreadsheet cells (`9165550123.0`), then accepts exactly one shape.
//! Nothing is guessed: a value that does not fit is `Invalid`, and the screen reports it.

use std::sync::LazyLock;

use regex::Regex;

use super::{Invalid, Normalized, clean_text, re, strip_separators, strip_zero_fraction};

/// A phone extension at the end: `x123`, `ext. 12`, `extension 4`, `#12`.
static PHONE_EXTENSION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)[\s,;]*(?:x|ext\.?|extension|#)\s*[.:]?\s*\d{1,6}$"));

/// A pragmatic e-mail shape: one `@`, a dotted domain, no spaces. Not RFC 5322, on purpose: we
/// only need to refuse obvious non-addresses, the mail server judges the rest.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$",
    )
});

/// `Jane Sample <jane@example.org>`: the address inside the angle brackets.
static EMAIL_IN_BRACKETS: LazyLock<Regex> = LazyLock::new(|| re(r"^[^<>]*<([^<>]+)>$"));

/// `Yes` or `No`, then a note in brackets or after a dash or comma, or the number a form tool
/// gave a choice's export value (`Yes_1`, `No_2`, `No2`).
static YES_NO_WITH_NOTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^(yes|no)(?:\s*\(.+|\s*[,;]\s*\S.*|\s+[-–—]\s*\S.*|[_ -]?\d{1,2})$"));

/// A yes/no answer: `Yes`/`Y`/`X`/`true`/`T`/`1`/`on`/`checked`/a ticked box (and Spanish
/// `Sí`/`S`) is `true`;
/// `No`/`N`/`false`/`F`/`0`/`off`/`unchecked`/an empty box is `false`; blank is absent.
///
/// Case-insensitive; surrounding punctuation is ignored (`Yes.`, `[X]`, `(no)`), and an empty pair
/// of brackets (`[ ]`, `( )`) is an unticked box.
pub fn parse_bool(s: &str) -> Normalized<bool> {
    let trimmed = s.trim();
    if matches!(trimmed.replace(char::is_whitespace, "").as_str(), "[]" | "()") {
        return Ok(Some(false));
    }
    let Some(text) = clean_text(trimmed) else {
        return Ok(None);
    };
    // A tick glyph with its answer beside it: "☒ Yes", "☒ No", "☐ Yes".
    for (glyph, ticked) in [
        ("☒", true),
        ("☑", true),
        ("✓", true),
        ("✔", true),
        ("☐", false),
        ("□", false),
    ] {
        if let Some(rest) = text.strip_prefix(glyph) {
            let rest = rest.trim().to_lowercase();
            return match (ticked, rest.as_str()) {
                (_, "") => Ok(Some(ticked)),
                (true, "yes" | "y") => Ok(Some(true)),
                (true, "no" | "n") | (false, "yes" | "y") => Ok(Some(false)),
                _ => Err(Invalid),
            };
        }
    }
    let core = text.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
    // The answer, then a note about it: "Yes (both members signed)", "No - pending", "Yes, 11/2";
    // or numbered by the form tool: "No_2".
    if let Some(c) = YES_NO_WITH_NOTE.captures(core) {
        return Ok(Some(
            c.get(1).is_some_and(|m| m.as_str().eq_ignore_ascii_case("yes")),
        ));
    }
    // A bilingual form's answer in both languages: "Sí / Yes", "No / No".
    // One slash only, so the halves read without coming back here (no recursion on "////…").
    if let Some((a, b)) = core.split_once('/')
        && !b.contains('/')
        && let (Ok(Some(x)), Ok(Some(y))) = (parse_bool(a), parse_bool(b))
        && x == y
    {
        return Ok(Some(x));
    }
    match core.to_lowercase().as_str() {
        // Spanish forms: "Sí"/"Si", "S" in an "(S/N)" column.
        "yes" | "y" | "x" | "true" | "t" | "1" | "on" | "checked" | "☒" | "☑" | "✓" | "✔" | "✅" | "sí"
        | "si" | "s" => Ok(Some(true)),
        "no" | "n" | "false" | "f" | "0" | "off" | "unchecked" | "☐" => Ok(Some(false)),
        "n/a" | "na" | "unknown" | "none" => Ok(None),
        _ => Err(Invalid),
    }
}

/// Words without a digit where a number belongs: the sender saying they do not have it ("no sé /
/// don't know", "I don't have it with me", "will send later"), not a number written wrong. The
/// number is missing, not invalid. One word ("ABCDEFGHI") may still be a mistyped number.
fn remark(text: &str) -> bool {
    !text.chars().any(|c| c.is_ascii_digit()) && text.split_whitespace().nth(1).is_some()
}

/// A Medi-Cal Client Index Number: 8 digits and a letter, upper-cased, without separators.
///
/// A 14-character Benefits Identification Card number (the CIN, a check digit and a 4-digit issue
/// date) yields its first 9 characters.
pub fn normalize_cin(s: &str) -> Normalized<String> {
    let Some(text) = clean_text(s).filter(|t| !remark(t)) else {
        return Ok(None);
    };
    let compact = strip_separators(&text).to_ascii_uppercase();
    let bytes = compact.as_bytes();
    let cin_shape = |b: &[u8]| {
        b.len() >= 9
            && b.iter().take(8).all(u8::is_ascii_digit)
            && b.get(8).is_some_and(u8::is_ascii_uppercase)
    };
    match bytes.len() {
        9 if cin_shape(bytes) => Ok(Some(compact)),
        14 if cin_shape(bytes) && bytes.iter().skip(9).all(u8::is_ascii_digit) => {
            Ok(compact.get(..9).map(str::to_owned))
        }
        _ => Err(Invalid),
    }
}

/// Whether a value is a CIN (or BIC number). KP's form has one box for "MRN (or Medi-Cal CIN if
/// MRN is unknown)", so a CIN-shaped value there is the member's CIN, not a bad MRN.
pub fn cin_shaped(s: &str) -> bool {
    matches!(normalize_cin(s), Ok(Some(_)))
}

/// A Kaiser Permanente medical record number: 1 to 15 digits, leading zeros kept, spaces and
/// dashes removed.
pub fn normalize_mrn(s: &str) -> Normalized<String> {
    digits_only(s, 1..=15)
}

/// A US phone number as 10 digits. A leading `1` or `+1` and an extension are dropped.
pub fn normalize_phone(s: &str) -> Normalized<String> {
    let Some(text) = clean_text(s).filter(|t| !remark(t)) else {
        return Ok(None);
    };
    one_phone(&text).or_else(|e| {
        // One number with its note, which may hold commas: "707-555-0100 (dispatch, ask for
        // deputy)".
        if let Ok(Some(p)) = one_phone(PHONE_NOTE.replace_all(&text, "").trim()) {
            return Ok(Some(p));
        }
        // Several numbers, each with its note: "415-555-0112 (cell), 415-555-0199 (front
        // desk)", "cell 916-555-0101 / home 916-555-0102". The first one that is a number.
        text.split([',', ';', '|', '/'])
            .flat_map(|p| p.split(" or "))
            .map(|p| PHONE_NOTE.replace_all(p, ""))
            .find_map(|p| one_phone(p.trim()).ok().flatten())
            .map(Some)
            .ok_or(e)
    })
}

/// What is written about a number beside it: a note in brackets with a letter in it ("(cell)",
/// not "(415)"), or a kind of phone before or after it ("cell:", "home", "C:").
static PHONE_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\([^()]*[a-z][^()]*\)|^\s*(?:cell|mobile|home|work|office|main|tel|ph|phone|c|h|w|m)\b\.?:?|\b(?:cell|mobile|home|work|office)\s*$",
    )
});

/// One phone number, the whole of `text`.
fn one_phone(text: &str) -> Normalized<String> {
    let without_ext = PHONE_EXTENSION.replace(text, "");
    let number = strip_zero_fraction(without_ext.trim());
    let mut digits = String::with_capacity(number.len());
    for (i, c) in number.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' | '/' | '‐' | '–' | '—' => {}
            _ => return Err(Invalid),
        }
    }
    if number.starts_with('+') && !number.starts_with("+1") {
        // Another country's code: not a number we can call back.
        return Err(Invalid);
    }
    let national = match digits.len() {
        11 => digits.strip_prefix('1').ok_or(Invalid)?,
        10 => digits.as_str(),
        _ => return Err(Invalid),
    };
    Ok(Some(national.to_owned()))
}

/// An e-mail address, lower-cased, with `mailto:` and a display name (`Name <addr>`) removed.
pub fn normalize_email(s: &str) -> Normalized<String> {
    let Some(text) = clean_text(s) else {
        return Ok(None);
    };
    let inner = match EMAIL_IN_BRACKETS.captures(&text).and_then(|c| c.get(1)) {
        Some(m) => m.as_str().trim().to_owned(),
        None => text.clone(),
    };
    let lower = inner.to_lowercase();
    let addr = lower
        .strip_prefix("mailto:")
        .unwrap_or(&lower)
        .trim()
        .trim_end_matches('.');
    // "gmadeupson@ sampleseton.example", "pat @ x.example": spaces a scan or a typist put around
    // the at sign are not in the address.
    let closed;
    let addr = if addr.contains('@') && addr.contains(char::is_whitespace) {
        closed = addr.split('@').map(str::trim).collect::<Vec<_>>().join("@");
        closed.as_str()
    } else {
        addr
    };
    if EMAIL.is_match(addr) {
        Ok(Some(addr.to_owned()))
    } else {
        Err(Invalid)
    }
}

/// A 5-digit ZIP code; ZIP+4 (`94612-1234`, `946121234`) keeps the first five, and a number-typed
/// cell (`94612.0`) is accepted.
pub fn normalize_zip(s: &str) -> Normalized<String> {
    let Some(text) = clean_text(s) else {
        return Ok(None);
    };
    let text = strip_zero_fraction(&text);
    let compact: String = text.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !compact.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid);
    }
    // A dash is only allowed between the ZIP and its +4.
    let dash_ok = match text.split_once('-') {
        None => true,
        Some((zip, plus4)) => zip.trim().len() == 5 && plus4.trim().len() == 4,
    };
    match compact.len() {
        5 | 9 if dash_ok => Ok(compact.get(..5).map(str::to_owned)),
        _ => Err(Invalid),
    }
}

/// A National Provider Identifier: exactly 10 digits after removing spaces and dashes.
///
/// The Luhn check digit is not verified: a typo there is the plan's to catch, and refusing the
/// referral over it would cost the member more than it saves.
pub fn normalize_npi(s: &str) -> Normalized<String> {
    digits_only(s, 10..=10)
}

/// Digits after removing separators (and a number cell's `.0`), with a length in `len`.
fn digits_only(s: &str, len: std::ops::RangeInclusive<usize>) -> Normalized<String> {
    let Some(text) = clean_text(s).filter(|t| !remark(t)) else {
        return Ok(None);
    };
    // Dots are not separators here: "12.5" is a decimal number, not the MRN 125.
    let compact: String = strip_zero_fraction(&text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '‐' | '–' | '—'))
        .collect();
    if compact.bytes().all(|b| b.is_ascii_digit()) && len.contains(&compact.len()) {
        Ok(Some(compact))
    } else {
        Err(Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Normalized<String> {
        Ok(Some(s.to_owned()))
    }

    /// blind81: a radio group's export values numbered by the form tool (`Yes_1`/`No_2`).
    #[test]
    fn class81_numbered_yes_no_exports_answer() {
        assert_eq!(parse_bool("No_2"), Ok(Some(false)));
        assert_eq!(parse_bool("Yes_1"), Ok(Some(true)));
        assert_eq!(parse_bool("no 2"), Ok(Some(false)));
        assert_eq!(parse_bool("No 2024"), Err(Invalid));
    }

    #[test]
    fn booleans() {
        let cases: &[(&str, Normalized<bool>)] = &[
            ("Yes", Ok(Some(true))),
            ("YES.", Ok(Some(true))),
            (" y ", Ok(Some(true))),
            ("X", Ok(Some(true))),
            ("[X]", Ok(Some(true))),
            ("true", Ok(Some(true))),
            ("T", Ok(Some(true))),
            ("1", Ok(Some(true))),
            ("On", Ok(Some(true))),
            ("Checked", Ok(Some(true))),
            ("☒", Ok(Some(true))),
            ("☑", Ok(Some(true))),
            ("✓", Ok(Some(true))),
            ("✔", Ok(Some(true))),
            ("No", Ok(Some(false))),
            ("no!", Ok(Some(false))),
            ("N", Ok(Some(false))),
            ("false", Ok(Some(false))),
            ("F", Ok(Some(false))),
            ("0", Ok(Some(false))),
            ("Off", Ok(Some(false))),
            ("unchecked", Ok(Some(false))),
            ("☐", Ok(Some(false))),
            ("[ ]", Ok(Some(false))),
            ("()", Ok(Some(false))),
            ("", Ok(None)),
            ("Yes (both members signed)", Ok(Some(true))),
            ("yes, signed 11/2", Ok(Some(true))),
            ("No - form to follow", Ok(Some(false))),
            ("Yes/No", Err(Invalid)),
            ("Yesterday", Err(Invalid)),
            ("   ", Ok(None)),
            ("...", Ok(None)),
            ("N/A", Ok(None)),
            ("\u{0}", Ok(None)),
            ("✅", Ok(Some(true))),
            ("maybe", Err(Invalid)),
            ("Yes and no", Err(Invalid)),
            ("2", Err(Invalid)),
            ("yess", Err(Invalid)),
            ("Sí", Ok(Some(true))),
            ("S", Ok(Some(true))),
            // blind24: a bilingual form's answer in both languages.
            ("Sí / Yes", Ok(Some(true))),
            ("No / No", Ok(Some(false))),
            ("Sí / No", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(parse_bool(input), *want, "{input:?}");
        }
    }

    #[test]
    fn cins() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("91234567A", some("91234567A")),
            ("91234567a", some("91234567A")),
            (" 9123 4567-A ", some("91234567A")),
            ("9123.4567.A", some("91234567A")),
            ("91234567A12345", some("91234567A")), // BIC number → its CIN
            ("91234567a 1 2345", some("91234567A")),
            ("", Ok(None)),
            ("N/A", Ok(None)),
            ("91234567", Err(Invalid)),
            ("912345678", Err(Invalid)),
            ("91234567AB", Err(Invalid)),
            ("A91234567", Err(Invalid)),
            ("91234567A1234", Err(Invalid)),
            ("91234567A1234X", Err(Invalid)),
            ("9123456７A", Err(Invalid)), // a full-width digit is not a digit here
            ("ABCDEFGHI", Err(Invalid)),  // one word: a number written wrong
        ];
        for (input, want) in cases {
            assert_eq!(normalize_cin(input), *want, "{input:?}");
        }
    }

    /// Words without a digit where a number belongs say the sender has none to give: the field
    /// is missing (ask for it), not invalid (ask to correct it).
    #[test]
    fn class8_a_remark_in_place_of_a_number_is_no_number() {
        for remark in ["no sé / don't know", "I don't have it with me", "will send later"] {
            assert_eq!(normalize_cin(remark), Ok(None), "{remark:?}");
            assert_eq!(normalize_mrn(remark), Ok(None), "{remark:?}");
            assert_eq!(normalize_phone(remark), Ok(None), "{remark:?}");
        }
        assert_eq!(normalize_cin("9123 4567 A"), some("91234567A"));
        assert_eq!(normalize_phone("(916) 555-0123"), some("9165550123"));
    }

    #[test]
    fn cin_shape_decides_the_kp_mrn_box() {
        assert!(cin_shaped("91234567A"));
        assert!(cin_shaped("91234567-a"));
        assert!(cin_shaped("91234567A12345"));
        assert!(!cin_shaped("000123456"));
        assert!(!cin_shaped(""));
        assert!(!cin_shaped("Jane Sample"));
    }

    #[test]
    fn mrns() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("000123456", some("000123456")),
            ("0001-234 56", some("000123456")),
            ("7", some("7")),
            ("123456789012345", some("123456789012345")),
            ("12345678.0", some("12345678")),
            ("", Ok(None)),
            ("1234567890123456", Err(Invalid)),
            ("91234567A", Err(Invalid)),
            ("MRN 1234", Err(Invalid)),
            ("12.5", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_mrn(input), *want, "{input:?}");
        }
    }

    #[test]
    fn phones() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("(916) 555-0123", some("9165550123")),
            ("916-555-0123", some("9165550123")),
            ("916.555.0123", some("9165550123")),
            ("9165550123", some("9165550123")),
            ("9165550123.0", some("9165550123")),
            ("1-916-555-0123", some("9165550123")),
            ("+1 (916) 555-0123", some("9165550123")),
            ("19165550123", some("9165550123")),
            ("916-555-0123 x123", some("9165550123")),
            ("916-555-0123 ext. 12", some("9165550123")),
            ("916-555-0123, Ext 12", some("9165550123")),
            ("916 555 0123 extension 4", some("9165550123")),
            ("", Ok(None)),
            ("n/a", Ok(None)),
            ("555-0123", Err(Invalid)),
            ("29165550123", Err(Invalid)),
            ("+44 20 7946 0958", Err(Invalid)),
            ("916-555-CALL", Err(Invalid)),
            // A note on the number, or several numbers: the first number.
            ("916-555-0123 (cell)", some("9165550123")),
            (
                "415-555-0112 (cell), 415-555-0199 (shelter front desk)",
                some("4155550112"),
            ),
            ("cell 916-555-0101 / home 916-555-0102", some("9165550101")),
            // Issue #8 (blind42): a note holding a comma.
            ("707-555-0100 (dispatch, ask for deputy)", some("7075550100")),
            ("(916) 555-0123 or 916-555-0124", some("9165550123")),
            ("call 916-555-0123 after 5", Err(Invalid)),
            ("916555012345", Err(Invalid)),
            ("9165550123.5", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_phone(input), *want, "{input:?}");
        }
    }

    #[test]
    fn emails() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("Jane.Sample@Example.ORG", some("jane.sample@example.org")),
            ("  jane@example.org  ", some("jane@example.org")),
            ("mailto:jane@example.org", some("jane@example.org")),
            ("MAILTO:Jane@Example.org", some("jane@example.org")),
            ("Jane Sample <jane@example.org>", some("jane@example.org")),
            (
                "<jane+referrals@sub.example.org>",
                some("jane+referrals@sub.example.org"),
            ),
            ("jane@example.org.", some("jane@example.org")),
            ("", Ok(None)),
            ("none", Ok(None)),
            ("jane", Err(Invalid)),
            ("jane@", Err(Invalid)),
            ("jane@example", Err(Invalid)),
            ("jane sample@example.org", Err(Invalid)),
            ("jane@@example.org", Err(Invalid)),
            ("jane@example.org, bob@example.org", Err(Invalid)),
            ("@example.org", Err(Invalid)),
            // Issue #10 (blindscan5): a space OCR or a typist put beside the at sign.
            (
                "gmadeupson@ sampleseton.example",
                some("gmadeupson@sampleseton.example"),
            ),
            ("pat @ x.example", some("pat@x.example")),
            ("pat sample @ x.example", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_email(input), *want, "{input:?}");
        }
    }

    #[test]
    fn zips() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("94612", some("94612")),
            (" 94612 ", some("94612")),
            ("94612-1234", some("94612")),
            ("94612 - 1234", some("94612")),
            ("946121234", some("94612")),
            ("94612.0", some("94612")),
            ("", Ok(None)),
            ("9461", Err(Invalid)),
            ("946123", Err(Invalid)),
            ("94-612", Err(Invalid)),
            ("CA 94612", Err(Invalid)),
            ("94612.5", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_zip(input), *want, "{input:?}");
        }
    }

    #[test]
    fn npis() {
        let cases: &[(&str, Normalized<String>)] = &[
            ("1234567893", some("1234567893")),
            ("123-456-7893", some("1234567893")),
            ("1234 567 893", some("1234567893")),
            ("1234567893.0", some("1234567893")),
            ("", Ok(None)),
            ("123456789", Err(Invalid)),
            ("12345678930", Err(Invalid)),
            ("NPI1234567893", Err(Invalid)),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_npi(input), *want, "{input:?}");
        }
    }
}
