//! Splitting a person's full name into first and last name (SPEC §4 `member_first_name`,
//! `member_last_name`).
//!
//! Two shapes are recognised: "Last, First M" (a comma) and "First [Middle] Last" (no comma).
//! Case is kept as written. Rules:
//! - middle names and initials (`Q`, `Q.`) belong to neither part;
//! - suffixes (`Jr.`, `Sr.`, `II`, `III`, `IV`) stay with the last name;
//! - particles (`de`, `del`, `de la`, `van`, `von`, `da`, `di`, ...) start the last name:
//!   "Maria de la Cruz" → ("Maria", "de la Cruz");
//! - leading honorifics (`Mr.`, `Ms.`, `Dr.`) are dropped;
//! - a single word is a last name.

use super::clean_text;

/// Name particles that begin a compound last name (compared case-insensitively).
const PARTICLES: [&str; 14] = [
    "de", "del", "della", "der", "den", "van", "von", "da", "di", "du", "dos", "das", "le", "la",
];

/// Generational suffixes, compared without dots and case-insensitively.
const SUFFIXES: [&str; 7] = ["jr", "sr", "ii", "iii", "iv", "v", "2nd"];

/// Honorifics that are not part of the name.
const HONORIFICS: [&str; 6] = ["mr", "mrs", "ms", "miss", "mx", "dr"];

/// Splits a full name into `(first, last)`; `None` when the value is blank.
///
/// "Sample, Jane Q." → (Jane, Sample); "Jane Q. Sample" → (Jane, Sample);
/// "Jane Sample Jr." → (Jane, Sample Jr.); "Sample" → (None, Sample).
pub fn split_name(s: &str) -> Option<(Option<String>, Option<String>)> {
    let text = clean_text(s)?;
    let (before, after) = match text.split_once(',') {
        // "Jane Sample, Jr." is the no-comma shape with a suffix, not "Last, First".
        Some((before, after)) if !is_suffix_list(after) => (before, Some(after)),
        _ => (text.as_str(), None),
    };
    let parts = match after {
        Some(given) => last_comma_first(before, given),
        None => first_then_last(&words(&text)),
    };
    match parts {
        (None, None) => None,
        parts => Some(parts),
    }
}

/// "Last, First M": the last name is everything before the comma; the first name is the first
/// given word, and any suffix after the given names joins the last name ("Sample, Jane Jr.").
fn last_comma_first(last: &str, given: &str) -> (Option<String>, Option<String>) {
    let given_words: Vec<&str> = words(given).into_iter().filter(|w| !is_honorific(w)).collect();
    let suffixes: Vec<&str> = given_words.iter().copied().filter(|w| is_suffix(w)).collect();
    let first = given_words
        .iter()
        .copied()
        .find(|w| !is_suffix(w))
        .map(str::to_owned);
    let mut last_words = words(last);
    last_words.extend(suffixes);
    (first, joined(&last_words))
}

/// "First [Middle...] Last [Suffix]".
fn first_then_last(all: &[&str]) -> (Option<String>, Option<String>) {
    let name: Vec<&str> = all.iter().copied().skip_while(|w| is_honorific(w)).collect();
    // Suffixes at the end, then the core name.
    let core_len = name.len() - name.iter().rev().take_while(|w| is_suffix(w)).count();
    let (core, suffixes) = name.split_at(core_len);
    match core {
        [] => (None, joined(suffixes)),
        [only] => (None, joined(&[&[*only], suffixes].concat())),
        [first, rest @ ..] => {
            // The last name starts at the first particle that is followed by more words (a
            // trailing "de" cannot be a whole last name); otherwise it is the final word.
            let start = rest
                .iter()
                .enumerate()
                .position(|(i, w)| is_particle(w) && i + 1 < rest.len())
                .unwrap_or(rest.len().saturating_sub(1));
            let last = rest.get(start..).unwrap_or_default();
            (Some((*first).to_owned()), joined(&[last, suffixes].concat()))
        }
    }
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace()
        .map(|w| w.trim_matches(','))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

fn joined(ws: &[&str]) -> Option<String> {
    if ws.is_empty() { None } else { Some(ws.join(" ")) }
}

fn bare(w: &str) -> String {
    w.chars()
        .filter(|c| *c != '.' && *c != ',')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_particle(w: &str) -> bool {
    PARTICLES.contains(&bare(w).as_str())
}

fn is_suffix(w: &str) -> bool {
    SUFFIXES.contains(&bare(w).as_str())
}

fn is_honorific(w: &str) -> bool {
    HONORIFICS.contains(&bare(w).as_str())
}

/// Whether the text after a comma is only suffixes ("Jr.", "III", "Jr., MD" is not).
fn is_suffix_list(s: &str) -> bool {
    let ws = words(s);
    !ws.is_empty() && ws.iter().all(|w| is_suffix(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(first: &str, last: &str) -> Option<(Option<String>, Option<String>)> {
        Some((Some(first.to_owned()), Some(last.to_owned())))
    }

    #[test]
    fn accepted_shapes() {
        let cases = [
            ("Sample, Jane Q.", both("Jane", "Sample")),
            ("Sample, Jane Q", both("Jane", "Sample")),
            ("Sample,Jane", both("Jane", "Sample")),
            ("SAMPLE, JANE", both("JANE", "SAMPLE")),
            ("Jane Q. Sample", both("Jane", "Sample")),
            ("Jane Q Sample", both("Jane", "Sample")),
            ("Jane Quinn Sample", both("Jane", "Sample")),
            ("Jane Sample", both("Jane", "Sample")),
            ("  Jane \n Sample ", both("Jane", "Sample")),
            ("Jane Sample-Doe", both("Jane", "Sample-Doe")),
            ("Maria de la Cruz", both("Maria", "de la Cruz")),
            ("Maria Elena De La Cruz", both("Maria", "De La Cruz")),
            ("Pieter van den Berg", both("Pieter", "van den Berg")),
            ("Testy von McTestface", both("Testy", "von McTestface")),
            ("de la Cruz, Maria", both("Maria", "de la Cruz")),
            ("Testy McTestface Jr.", both("Testy", "McTestface Jr.")),
            ("Testy McTestface, Jr.", both("Testy", "McTestface Jr.")),
            ("Testy Q. McTestface III", both("Testy", "McTestface III")),
            ("McTestface, Testy Jr.", both("Testy", "McTestface Jr.")),
            ("McTestface Jr., Testy", both("Testy", "McTestface Jr.")),
            ("Ms. Jane Sample", both("Jane", "Sample")),
            ("Dr Jane Sample", both("Jane", "Sample")),
            ("Jane La", both("Jane", "La")), // a particle as the final word is the last name
            ("José Ñúñez", both("José", "Ñúñez")),
        ];
        for (input, want) in cases {
            assert_eq!(split_name(input), want, "{input:?}");
        }
    }

    #[test]
    fn single_word_is_a_last_name() {
        assert_eq!(split_name("Sample"), Some((None, Some("Sample".to_owned()))));
        assert_eq!(split_name("Sample,"), Some((None, Some("Sample".to_owned()))));
    }

    #[test]
    fn first_name_only_after_comma() {
        assert_eq!(split_name(", Jane"), Some((Some("Jane".to_owned()), None)));
    }

    #[test]
    fn blank_is_none() {
        for input in ["", "   ", "N/A", ",", "-"] {
            assert_eq!(split_name(input), None, "{input:?}");
        }
    }
}
