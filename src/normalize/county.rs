//! California counties (SPEC §4 `member_county`): the canonical name, title case, without
//! "County".
//!
//! Matching ignores case, punctuation and spacing, strips "County", "Co.", "County of" and a
//! trailing ", CA"/"California", and knows a few short forms and misspellings that referrers use
//! (`SF`, `L.A.`, `San Bernadino`). A name that is not a California county is *not* invalid: it is
//! returned title-cased, and screening says the county is not served.

use super::{Normalized, clean_text, title_case};

/// The 58 California counties, alphabetically, as the canonical form.
pub const CA_COUNTIES: [&str; 58] = [
    "Alameda",
    "Alpine",
    "Amador",
    "Butte",
    "Calaveras",
    "Colusa",
    "Contra Costa",
    "Del Norte",
    "El Dorado",
    "Fresno",
    "Glenn",
    "Humboldt",
    "Imperial",
    "Inyo",
    "Kern",
    "Kings",
    "Lake",
    "Lassen",
    "Los Angeles",
    "Madera",
    "Marin",
    "Mariposa",
    "Mendocino",
    "Merced",
    "Modoc",
    "Mono",
    "Monterey",
    "Napa",
    "Nevada",
    "Orange",
    "Placer",
    "Plumas",
    "Riverside",
    "Sacramento",
    "San Benito",
    "San Bernardino",
    "San Diego",
    "San Francisco",
    "San Joaquin",
    "San Luis Obispo",
    "San Mateo",
    "Santa Barbara",
    "Santa Clara",
    "Santa Cruz",
    "Shasta",
    "Sierra",
    "Siskiyou",
    "Solano",
    "Sonoma",
    "Stanislaus",
    "Sutter",
    "Tehama",
    "Trinity",
    "Tulare",
    "Tuolumne",
    "Ventura",
    "Yolo",
    "Yuba",
];

/// Short forms and common misspellings, keyed by their matching form (see [`match_key`]).
/// Ambiguous abbreviations (`SB`: Santa Barbara, San Bernardino or San Benito) are left out.
const ALIASES: [(&str, &str); 16] = [
    ("sf", "San Francisco"),
    ("la", "Los Angeles"),
    ("lac", "Los Angeles"),
    ("sac", "Sacramento"),
    ("slo", "San Luis Obispo"),
    ("sd", "San Diego"),
    ("oc", "Orange"),
    ("cc", "Contra Costa"),
    ("contracosta", "Contra Costa"),
    ("sanbernadino", "San Bernardino"),
    ("sanbernardio", "San Bernardino"),
    ("humbolt", "Humboldt"),
    ("tuolomne", "Tuolumne"),
    ("sanlouisobispo", "San Luis Obispo"),
    ("stanislas", "Stanislaus"),
    ("mendecino", "Mendocino"),
];

/// Normalises a county name: a California county's canonical name, else the cleaned value
/// title-cased. Blank and placeholders are absent; this never returns `Invalid`.
pub fn normalize_county(s: &str) -> Normalized<String> {
    let Some(text) = clean_text(s) else {
        return Ok(None);
    };
    let stripped = strip_decorations(&text);
    if stripped.is_empty() {
        return Ok(None);
    }
    let key = match_key(&stripped);
    let known = CA_COUNTIES
        .iter()
        .copied()
        .find(|county| match_key(county) == key)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == key)
                .map(|(_, county)| *county)
        });
    Ok(Some(known.map_or_else(|| title_case(&stripped), str::to_owned)))
}

/// The form names are compared in: lower-case ASCII letters only, so "Contra-Costa", "contra costa"
/// and "CONTRA COSTA." agree, as do "L.A." and "LA".
fn match_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Removes "County of", "County", "Co." and a trailing state, keeping the words in between as
/// written.
fn strip_decorations(s: &str) -> String {
    // A note in parentheses ("Contra Costa (both)", "Kern (per member)") is not the name.
    let (outside, _) = super::split_parenthesised(s);
    let s = if outside.trim().is_empty() {
        s
    } else {
        outside.as_str()
    };
    let mut words: Vec<&str> = s.split_whitespace().collect();
    let bare = |w: &str| {
        w.trim_matches(|c: char| c.is_ascii_punctuation())
            .to_ascii_lowercase()
    };
    // "County of Alameda", "City and County of San Francisco".
    if let Some(pos) = words
        .windows(2)
        .position(|w| matches!(w, [a, b] if bare(a) == "county" && bare(b) == "of"))
    {
        words.drain(..pos + 2);
    }
    // Trailing ", CA", "California", "County", "Co.", in any order ("Alameda County, CA").
    while let Some(last) = words.last() {
        let is_state_or_county = matches!(
            bare(last).as_str(),
            "ca" | "calif" | "california" | "county" | "co"
        );
        // Only strip when something remains: "Co" alone is not a decoration of nothing.
        if is_state_or_county && words.len() > 1 {
            words.pop();
        } else {
            break;
        }
    }
    words
        .join(" ")
        .trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_complete_sorted_and_canonical() {
        assert_eq!(CA_COUNTIES.len(), 58);
        assert!(CA_COUNTIES.windows(2).all(|w| matches!(w, [a, b] if a < b)));
        for county in CA_COUNTIES {
            assert_eq!(normalize_county(county), Ok(Some(county.to_owned())));
            assert_eq!(title_case(county), county);
        }
    }

    #[test]
    fn spellings_people_use() {
        let cases: &[(&str, &str)] = &[
            ("alameda", "Alameda"),
            ("ALAMEDA COUNTY", "Alameda"),
            ("Alameda County, CA", "Alameda"),
            ("Alameda Co.", "Alameda"),
            ("County of Alameda", "Alameda"),
            ("contra costa", "Contra Costa"),
            ("Contra-Costa County", "Contra Costa"),
            ("ContraCosta", "Contra Costa"),
            ("san luis obispo county", "San Luis Obispo"),
            ("El Dorado", "El Dorado"),
            ("el dorado co", "El Dorado"),
            ("Del Norte", "Del Norte"),
            ("Los Angeles", "Los Angeles"),
            ("LA", "Los Angeles"),
            ("L.A.", "Los Angeles"),
            ("L.A. County", "Los Angeles"),
            ("SF", "San Francisco"),
            ("City and County of San Francisco", "San Francisco"),
            ("San Bernadino", "San Bernardino"),
            ("Sac", "Sacramento"),
            ("SLO", "San Luis Obispo"),
            ("Orange County, California", "Orange"),
            ("  santa   cruz  ", "Santa Cruz"),
            ("Nevada County", "Nevada"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_county(input), Ok(Some((*want).to_owned())), "{input:?}");
        }
    }

    #[test]
    fn unknown_names_are_kept_title_cased() {
        assert_eq!(normalize_county("washoe county"), Ok(Some("Washoe".to_owned())));
        assert_eq!(normalize_county("MULTNOMAH"), Ok(Some("Multnomah".to_owned())));
        assert_eq!(normalize_county("SB"), Ok(Some("Sb".to_owned())));
    }

    /// A note in parentheses after the county ("Contra Costa (Both)" for two members) is not
    /// part of its name: read as a county nobody serves, it screened both members out.
    #[test]
    fn a_note_in_parentheses_is_not_part_of_the_name() {
        assert_eq!(
            normalize_county("Contra Costa (Both)"),
            Ok(Some("Contra Costa".to_owned()))
        );
        assert_eq!(
            normalize_county("Kern County [per member]"),
            Ok(Some("Kern".to_owned()))
        );
        assert_eq!(normalize_county("(Alameda)"), Ok(Some("Alameda".to_owned())));
    }

    #[test]
    fn blank_is_absent() {
        for input in ["", "  ", "N/A", "unknown", "-", ", CA"] {
            assert_eq!(normalize_county(input), Ok(None), "{input:?}");
        }
    }
}
