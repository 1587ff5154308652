//! Splitting a one-line (or multi-line) postal address into street, city, state and ZIP
//! (SPEC §4 `member_address`, `member_city`, `member_zip`).
//!
//! Recognised: `123 Main St Apt 4, Oakland, CA 94612`, `123 Main St, Oakland CA 94612-1234`,
//! the same over several lines, and `123 Main St Oakland CA 94612` when a street type (`St`,
//! `Ave`, ...) shows where the street ends. The tail must carry a US state or a ZIP; otherwise the
//! value does not look like a full address and all of it goes to `street`, unchanged but for
//! whitespace. A `California`/`Calif.` state is written `CA`.

use std::sync::LazyLock;

use regex::Regex;

use super::{clean_text, re};

/// The parts of an address; each is `None` when the value did not contain it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressParts {
    /// Street line(s), including any unit ("123 Main St Apt 4").
    pub street: Option<String>,
    /// City as written.
    pub city: Option<String>,
    /// Two-letter state code, upper case.
    pub state: Option<String>,
    /// Five-digit ZIP (a ZIP+4 keeps its first five digits).
    pub zip: Option<String>,
}

/// A ZIP (or ZIP+4) at the very end, after a separator.
static TRAILING_ZIP: LazyLock<Regex> = LazyLock::new(|| re(r"[\s,]+(\d{5})(?:-?\d{4})?$"));

/// A state at the very end, after a separator: a two-letter code (checked against
/// [`US_STATES`]) or California spelled out.
static TRAILING_STATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|[\s,]+)([A-Za-z]{2}|(?i:california|calif))\.?$"));

/// USPS state and territory codes.
const US_STATES: [&str; 56] = [
    "AK", "AL", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "GU", "HI", "IA", "ID", "IL",
    "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MP", "MS", "MT", "NC", "ND", "NE", "NH",
    "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI",
    "VT", "WA", "WI", "WV", "WY",
];

/// Street types that end the street part of an address without a comma before the city.
const STREET_TYPES: [&str; 30] = [
    "st",
    "street",
    "ave",
    "av",
    "avenue",
    "blvd",
    "boulevard",
    "rd",
    "road",
    "dr",
    "drive",
    "way",
    "ln",
    "lane",
    "ct",
    "court",
    "pl",
    "place",
    "ter",
    "terrace",
    "cir",
    "circle",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "sq",
    "square",
    "loop",
    "trl",
];

/// Unit designators that may follow the street type ("Apt 4", "Ste. 200", "#4").
const UNIT_WORDS: [&str; 10] = [
    "apt",
    "apartment",
    "unit",
    "ste",
    "suite",
    "rm",
    "room",
    "bldg",
    "fl",
    "spc",
];

/// Whether a written "address" says there is none: "No fixed address", "Homeless", "N/A".
pub fn no_address(s: &str) -> bool {
    let n = s.trim().trim_end_matches('.').to_ascii_lowercase();
    let n = n.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        n.as_str(),
        "no fixed address"
            | "nfa"
            | "no address"
            | "none"
            | "n/a"
            | "na"
            | "homeless"
            | "unhoused"
            | "unsheltered"
            | "unknown"
            | "no permanent address"
            | "no current address"
            | "transient"
            | "experiencing homelessness"
    ) || n.starts_with("no fixed address")
        || n.starts_with("no permanent address")
}

/// "Vallejo 94590", "Vallejo, CA 94590-1234", "Vallejo": the city and the ZIP of a box that holds
/// both.
pub fn split_city_zip(s: &str) -> (Option<String>, Option<String>) {
    let text = s.trim();
    let mut rest = text;
    let mut zip = None;
    if let Some(c) = TRAILING_ZIP.captures(rest) {
        zip = c.get(1).map(|m| m.as_str().to_owned());
        rest = c.get(0).and_then(|m| rest.get(..m.start())).unwrap_or(rest);
    }
    if let Some(c) = TRAILING_STATE.captures(rest)
        && let Some(m) = c.get(0)
        && c.get(1).is_some_and(|w| {
            w.as_str().eq_ignore_ascii_case("ca") || w.as_str().eq_ignore_ascii_case("california")
        })
    {
        rest = rest.get(..m.start()).unwrap_or(rest);
    }
    let city = rest.trim().trim_end_matches(',').trim();
    let city = (!city.is_empty() && !city.chars().any(|c| c.is_ascii_digit())).then(|| city.to_owned());
    (city, zip)
}

/// Splits an address; a blank value gives all parts `None`.
pub fn split_address(s: &str) -> AddressParts {
    // Lines become comma-separated parts, so multi-line and one-line addresses look alike.
    let parts: Vec<String> = s.lines().filter_map(clean_text).collect();
    if parts.is_empty() {
        return AddressParts::default();
    }
    let joined = parts.join(", ");
    // A note after the address ("..., CA 90220 (sober living)") is not part of it.
    let bare = match joined
        .trim_end()
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
    {
        Some((before, _)) if !before.trim().is_empty() => before.trim_end(),
        _ => joined.as_str(),
    };
    split_one_line(bare)
        .or_else(|| street_then_city(bare))
        .unwrap_or(AddressParts {
            street: Some(joined),
            ..AddressParts::default()
        })
}

/// "2 Example River Dr Apt 9, Sacramento": a street (a number and a street type) then, after
/// the last comma, a town of one to three capitalised words — no state or ZIP written.
fn street_then_city(text: &str) -> Option<AddressParts> {
    let (street, city) = text.rsplit_once(',')?;
    let (street, city) = (street.trim(), city.trim());
    let bare = |w: &str| w.trim_end_matches('.').to_ascii_lowercase();
    let words: Vec<&str> = street.split_whitespace().collect();
    let numbered = words
        .first()
        .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
    let typed = words
        .iter()
        .skip(1)
        .any(|w| STREET_TYPES.contains(&bare(w).as_str()));
    let town = (1..=3).contains(&city.split_whitespace().count())
        && city.split_whitespace().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || "'.-".contains(c))
                && !UNIT_WORDS.contains(&bare(w).as_str())
        });
    (numbered && typed && town).then(|| AddressParts {
        street: Some(street.to_owned()),
        city: Some(city.to_owned()),
        state: None,
        zip: None,
    })
}

/// `None` when the value does not end in a state and/or ZIP or has nothing before them.
fn split_one_line(text: &str) -> Option<AddressParts> {
    let mut rest = text;
    let mut zip = None;
    if let Some(c) = TRAILING_ZIP.captures(rest) {
        zip = c.get(1).map(|m| m.as_str().to_owned());
        rest = rest.get(..c.get(0)?.start())?;
    }
    let mut state = None;
    if let Some(c) = TRAILING_STATE.captures(rest) {
        let written = c.get(1)?.as_str();
        let code = if written.len() == 2 {
            written.to_ascii_uppercase()
        } else {
            "CA".to_owned()
        };
        // Lower-case two-letter words ("at") are only a state when it is California.
        let plausible =
            US_STATES.contains(&code.as_str()) && (written.len() > 2 || written == code || code == "CA");
        if plausible {
            state = Some(code);
            rest = rest.get(..c.get(0)?.start())?;
        }
    }
    if zip.is_none() && state.is_none() {
        return None;
    }
    let rest = rest.trim_end_matches(|c: char| c == ',' || c.is_whitespace());
    if rest.is_empty() {
        return None;
    }
    let (street, city) = match rest.rsplit_once(',') {
        Some((street, city)) => (street.trim().to_owned(), non_empty(city.trim())),
        None => split_at_street_type(rest),
    };
    Some(AddressParts {
        street: non_empty(&street),
        city,
        state,
        zip,
    })
}

/// "123 Main St Apt 4 Oakland": the street ends after the last street type and any unit.
fn split_at_street_type(rest: &str) -> (String, Option<String>) {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let bare = |w: &str| w.trim_end_matches('.').to_ascii_lowercase();
    // Skip the house number: a street type as the first word is the street's name ("Court").
    let Some(type_at) = words
        .iter()
        .enumerate()
        .skip(1)
        .rev()
        .find(|(_, w)| STREET_TYPES.contains(&bare(w).as_str()))
    else {
        return (rest.to_owned(), None);
    };
    let mut end = type_at.0 + 1;
    match words.get(end) {
        Some(w) if w.starts_with('#') => end += 1,
        Some(w) if UNIT_WORDS.contains(&bare(w).as_str()) => end = (end + 2).min(words.len()),
        _ => {}
    }
    let street = words.get(..end).unwrap_or_default().join(" ");
    let city = words.get(end..).unwrap_or_default().join(" ");
    (street, non_empty(&city))
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() { None } else { Some(s.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #8 (blind29): a batch's address cell holding the street and the town, no state or
    /// ZIP ("2 Example River Dr Apt 9, Sacramento").
    #[test]
    fn class29_a_street_then_its_town() {
        let p = split_address("2 Example River Dr Apt 9, Sacramento");
        assert_eq!(p.street.as_deref(), Some("2 Example River Dr Apt 9"));
        assert_eq!(p.city.as_deref(), Some("Sacramento"));
        // Read as a person reads it (this was once kept whole for want of a state or ZIP).
        let p = split_address("123 Main St, Oakland");
        assert_eq!(p.city.as_deref(), Some("Oakland"));
        let p = split_address("17 Example Way, Rancho Cordova");
        assert_eq!(p.city.as_deref(), Some("Rancho Cordova"));
        // Not a town: a unit after the comma, or no street type.
        assert_eq!(split_address("12 Main St, Apt 4").city, None);
        assert_eq!(split_address("Example Shelter, Sacramento").city, None);
    }

    fn parts(street: &str, city: Option<&str>, state: Option<&str>, zip: Option<&str>) -> AddressParts {
        AddressParts {
            street: Some(street.to_owned()),
            city: city.map(str::to_owned),
            state: state.map(str::to_owned),
            zip: zip.map(str::to_owned),
        }
    }

    #[test]
    fn one_line_addresses() {
        let oakland = parts("123 Main St Apt 4", Some("Oakland"), Some("CA"), Some("94612"));
        let cases = [
            ("123 Main St Apt 4, Oakland, CA 94612", oakland.clone()),
            ("123 Main St Apt 4, Oakland CA 94612", oakland.clone()),
            ("123 Main St Apt 4, Oakland, CA 94612-1234", oakland.clone()),
            ("123 Main St Apt 4, Oakland, California 94612", oakland.clone()),
            ("123 Main St Apt 4, Oakland, ca. 94612", oakland.clone()),
            ("  123 Main St Apt 4 ,  Oakland ,  CA  94612 ", oakland.clone()),
            ("123 Main St Apt 4\nOakland, CA 94612", oakland.clone()),
            ("123 Main St Apt 4\r\nOakland\r\nCA 94612\r\n", oakland.clone()),
            ("123 Main St Apt 4 Oakland CA 94612", oakland.clone()),
            (
                "123 Main St, Oakland CA 94612-1234",
                parts("123 Main St", Some("Oakland"), Some("CA"), Some("94612")),
            ),
            (
                "123 Main St\nApt 4\nOakland, CA 94612",
                parts("123 Main St, Apt 4", Some("Oakland"), Some("CA"), Some("94612")),
            ),
            (
                "500 Court St #12 Walnut Creek CA 94596",
                parts(
                    "500 Court St #12",
                    Some("Walnut Creek"),
                    Some("CA"),
                    Some("94596"),
                ),
            ),
            (
                "123 Main St, Oakland, CA",
                parts("123 Main St", Some("Oakland"), Some("CA"), None),
            ),
            (
                "123 Main St, Oakland 94612",
                parts("123 Main St", Some("Oakland"), None, Some("94612")),
            ),
            (
                "77 Elm Rd, Reno, NV 89501",
                parts("77 Elm Rd", Some("Reno"), Some("NV"), Some("89501")),
            ),
            (
                "PO Box 12 Oakland CA 94612",
                parts("PO Box 12 Oakland", None, Some("CA"), Some("94612")),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(split_address(input), want, "{input:?}");
        }
    }

    #[test]
    fn class7_a_line_break_ends_a_street_without_a_street_type() {
        let got = split_address("1901 Alameda de las Pulgas\nSan Mateo, CA 94403");
        assert_eq!(got.street.as_deref(), Some("1901 Alameda de las Pulgas"));
        assert_eq!(got.city.as_deref(), Some("San Mateo"));
        assert_eq!(got.zip.as_deref(), Some("94403"));
    }

    #[test]
    fn anything_else_is_all_street() {
        let cases = [
            "123 Main St Apt 4",
            "Homeless, staying near the library",
            "94612",
            "CA 94612",
            "Lives at shelter on 5th st",
        ];
        for input in cases {
            let want = AddressParts {
                street: clean_text(input),
                ..AddressParts::default()
            };
            assert_eq!(split_address(input), want, "{input:?}");
        }
    }

    #[test]
    fn blank_is_empty() {
        assert_eq!(split_address(""), AddressParts::default());
        assert_eq!(split_address(" \n N/A \n"), AddressParts::default());
    }
}
