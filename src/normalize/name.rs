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
//! - a single word is a last name;
//! - an aside in brackets (a nickname, "goes by ...") is dropped.

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
    let written = clean_text(s)?;
    // An aside in brackets is no part of the name: "Roberto Fibbler (goes by Bobby)",
    // "Jane (Janie) Sample".
    let text = match super::split_parenthesised(&written).0.trim() {
        "" => written,
        outside => outside.split_whitespace().collect::<Vec<_>>().join(" "),
    };
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

/// Words that make a phrase the name of an organisation ("Sutter-Yuba Promotores Collective",
/// "Placer County Adult Protective Services"), compared on whole lower-case words.
pub const ORG_WORDS: [&str; 34] = [
    "collective",
    "collaborative",
    "cooperative",
    "mission",
    "institute",
    "society",
    "district",
    "clinic",
    "clinics",
    "county",
    "services",
    "center",
    "centre",
    "agency",
    "department",
    "dept",
    "alliance",
    "health",
    "program",
    "partners",
    "network",
    "foundation",
    "hospital",
    "inc",
    "llc",
    "shelter",
    "ministries",
    "coalition",
    "council",
    "association",
    "police",
    "pd",
    "sheriff",
    "probation",
];

/// The last word of a job title ("Case Manager", "Social Worker", "Housing Navigator").
const TITLE_WORDS: [&str; 32] = [
    "manager",
    "worker",
    "coordinator",
    "navigator",
    "nurse",
    "specialist",
    "director",
    "supervisor",
    "officer",
    "therapist",
    "clinician",
    "physician",
    "counselor",
    "counsellor",
    "advocate",
    "liaison",
    "assistant",
    "lead",
    "promotora",
    "promotor",
    "practitioner",
    "administrator",
    "intern",
    "planner",
    "analyst",
    "associate",
    "representative",
    "aide",
    "chaplain",
    "educator",
    "doula",
    "midwife",
];

/// Whether a phrase names an organisation (one of [`ORG_WORDS`]).
pub fn names_organisation(s: &str) -> bool {
    s.split(|c: char| !c.is_alphanumeric())
        .any(|w| ORG_WORDS.contains(&w.to_lowercase().as_str()))
}

/// A person's name as a sender signs it, with what follows it: "Rosemary Shamway, RN - Solano
/// Bay Home Health" → ("Rosemary Shamway, RN", Some("Solano Bay Home Health")). Credentials stay
/// with the name as written; a job title ("Case Manager", "Housing Navigator") is dropped, as
/// most intake workers record it (the blind sets' writers disagree: blind5, 7, 8, 9, 12, 18 and 25
/// drop it, blind3 and 24 keep it, 21 and 23 do both); an organisation is returned beside it. Anything else (a "Last, First"
/// name, a phrase that is not a person's name first) comes back whole.
pub fn split_signed_name(s: &str) -> (String, Option<String>) {
    let whole = || (s.trim().to_owned(), None);
    let segments = signature_segments(s);
    let Some((first, rest)) = segments.split_first() else {
        return whole();
    };
    if rest.is_empty() || !person_like(first) {
        return whole();
    }
    let mut name = (*first).to_owned();
    let mut org = None;
    for seg in rest {
        match affiliation(seg) {
            Some(Affiliation::Credential) if org.is_none() => {
                name.push_str(", ");
                name.push_str(seg);
            }
            // A job title says what the person does, not who they are.
            Some(Affiliation::Title) if org.is_none() => {}
            Some(Affiliation::Organisation) => {
                org.get_or_insert_with(|| (*seg).to_owned());
            }
            _ => return whole(),
        }
    }
    (name, org)
}

/// The organisation on a signature line under the name: "Social Worker, Placer County Adult
/// Protective Services", "Housing Navigator - Example Rescue Mission", "CenCal Health".
pub fn organisation_in(s: &str) -> Option<String> {
    let mut orgs = Vec::new();
    for seg in signature_segments(s) {
        if let Affiliation::Organisation = affiliation(seg)? {
            orgs.push(seg);
        }
    }
    // A department in capitals before the organisation ("Care Coordination, Inland Health Plan",
    // "Transitions of Care | Example Hospital") is not it.
    orgs.iter()
        .find(|seg| !department(seg))
        .or(orgs.first())
        .map(|seg| (*seg).to_owned())
}

/// A unit's name rather than an organisation's: it ends in what a team does ("Care
/// Coordination", "Utilization Management", "Transitions of Care") and has no organisation's
/// word in it.
fn department(seg: &str) -> bool {
    const DOES: [&str; 8] = [
        "coordination",
        "management",
        "care",
        "planning",
        "intake",
        "outreach",
        "admissions",
        "navigation",
    ];
    !names_organisation(seg)
        && seg
            .split_whitespace()
            .last()
            .is_some_and(|w| DOES.contains(&w.to_lowercase().as_str()))
}

/// What parts the pieces of a signature line: "Name, RN | Org · 555-0100".
const SIGNATURE_SEPARATORS: [char; 6] = [',', '|', '–', '—', '·', '•'];

fn signature_segments(s: &str) -> Vec<&str> {
    s.split(SIGNATURE_SEPARATORS)
        .flat_map(|seg| seg.split(" - "))
        .map(str::trim)
        .filter(|seg| !seg.is_empty())
        .collect()
}

enum Affiliation {
    Credential,
    Title,
    Organisation,
}

/// What a piece of a signature after the name is: a credential ("RN"), a job title ("Case
/// Manager"), or an organisation (a phrase with an organisation word, or two or more capitalised
/// words that are neither).
fn affiliation(seg: &str) -> Option<Affiliation> {
    if credential(seg) {
        return Some(Affiliation::Credential);
    }
    if job_title(seg) {
        return Some(Affiliation::Title);
    }
    let capitalised = {
        // A note in brackets ("(sample)", "(VO)") is not one of the name's words.
        let ws: Vec<&str> = seg.split_whitespace().filter(|w| !w.starts_with('(')).collect();
        ws.len() >= 2
            && ws.iter().all(|w| {
                w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                    || ["of", "for", "the", "and", "de", "del", "la", "&"].contains(w)
            })
    };
    (names_organisation(seg) || capitalised).then_some(Affiliation::Organisation)
}

/// Whether a text starts with a person's name followed by what a signature adds ("Rosemary
/// Shamway, RN - Solano Bay Home Health"), or is a bare capitalised name that is no job title.
pub fn led_by_person_name(s: &str) -> bool {
    let first = s.split(SIGNATURE_SEPARATORS).next().unwrap_or(s);
    let first = first.split(" - ").next().unwrap_or(first).trim();
    person_like(first) && !job_title(first)
}

/// Two to four capitalised words, none an organisation's: "Jess Placeholder", "Ana M. de la Cruz".
fn person_like(s: &str) -> bool {
    let ws: Vec<&str> = s.split_whitespace().collect();
    (2..=5).contains(&ws.len())
        && !names_organisation(s)
        && ws.iter().all(|w| {
            w.chars().all(|c| c.is_alphabetic() || "'.-’".contains(c))
                && (w.chars().next().is_some_and(char::is_uppercase) || is_particle(w))
        })
}

/// "RN", "LCSW", "PA-C", "M.D.", "PhD", "MSW, CHW": letters only, short, mostly capitals.
fn credential(s: &str) -> bool {
    s.split_whitespace().all(|w| {
        let letters: String = w.chars().filter(|c| c.is_alphabetic()).collect();
        let caps = letters.chars().filter(|c| c.is_uppercase()).count();
        (2..=6).contains(&letters.len())
            && caps * 2 > letters.len()
            && w.chars().all(|c| c.is_alphabetic() || ".-".contains(c))
    })
}

/// "Case Manager", "Social Worker II", "Lead Housing Navigator".
fn job_title(s: &str) -> bool {
    let ws: Vec<String> = s
        .split_whitespace()
        .map(bare)
        .filter(|w| !SUFFIXES.contains(&w.as_str()))
        .collect();
    ws.len() <= 5
        && ws
            .last()
            .is_some_and(|w| TITLE_WORDS.contains(&w.trim_end_matches('s')))
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
            // An aside in brackets is no part of the name (issue #8, blind74).
            ("Roberto Fibbler (goes by Bobby)", both("Roberto", "Fibbler")),
            ("Jane (Janie) Sample", both("Jane", "Sample")),
            ("Sample, Jane (Janie)", both("Jane", "Sample")),
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

    /// Issue #8 (blind59): a department in capitals before the organisation is no organisation.
    #[test]
    fn class59_the_organisation_after_a_department() {
        assert_eq!(
            organisation_in("Care Coordination, Inland Fake Health Plan").as_deref(),
            Some("Inland Fake Health Plan")
        );
        assert_eq!(
            organisation_in("Case Manager, Sunrise Clinic").as_deref(),
            Some("Sunrise Clinic")
        );
        assert_eq!(
            organisation_in("Bright Horizons").as_deref(),
            Some("Bright Horizons")
        );
        assert_eq!(
            organisation_in("Example Meals - Client Services").as_deref(),
            Some("Example Meals")
        );
        assert_eq!(
            organisation_in("Transitions of Care | Example Valley Hospital").as_deref(),
            Some("Example Valley Hospital")
        );
    }

    #[test]
    fn signed_names_keep_credentials_and_give_up_their_organisation() {
        let cases = [
            (
                "Rosemary Shamway, RN - Solano Bay Home Health",
                ("Rosemary Shamway, RN", Some("Solano Bay Home Health")),
            ),
            ("Nadia Fauxman, Case Manager", ("Nadia Fauxman", None)),
            (
                "Dana Quotewell, Placer County Adult Protective Services",
                ("Dana Quotewell", Some("Placer County Adult Protective Services")),
            ),
            ("Jess Placeholder, CHW", ("Jess Placeholder, CHW", None)),
            (
                "Pat Example, LCSW, Housing Navigator | Coastal Shelter Network",
                ("Pat Example, LCSW", Some("Coastal Shelter Network")),
            ),
            // Left whole: "Last, First", an organisation first, something we cannot tell.
            ("Quotewell, Dana", ("Quotewell, Dana", None)),
            (
                "Placer County APS - Dana Quotewell",
                ("Placer County APS - Dana Quotewell", None),
            ),
            ("Jane Sample, see attached", ("Jane Sample, see attached", None)),
            ("Jane Sample", ("Jane Sample", None)),
        ];
        for (input, (name, org)) in cases {
            assert_eq!(
                split_signed_name(input),
                (name.to_owned(), org.map(str::to_owned)),
                "{input}"
            );
        }
    }

    /// Issue #8 (blind21): a birth worker's role after the name ("Community Doula", "Nurse
    /// Midwife") is a job title, not an organisation.
    #[test]
    fn class21_a_doulas_or_midwifes_role_is_a_title() {
        assert_eq!(
            split_signed_name("Ana Sample, Community Doula"),
            ("Ana Sample".to_owned(), None)
        );
        assert_eq!(
            split_signed_name("Ana Sample, Certified Nurse Midwife"),
            ("Ana Sample".to_owned(), None)
        );
    }

    /// Issue #8 (blind25): the name keeps its credentials and loses its job title ("Hyacinth
    /// Example, Case Manager" is Hyacinth Example; "Harold Example, MSW" keeps the MSW).
    #[test]
    fn class25_a_job_title_after_the_name_is_not_part_of_it() {
        assert_eq!(
            split_signed_name("Hyacinth Example, Case Manager"),
            ("Hyacinth Example".to_owned(), None)
        );
        assert_eq!(
            split_signed_name("Harold Example, MSW"),
            ("Harold Example, MSW".to_owned(), None)
        );
        assert_eq!(
            split_signed_name("Cyrus Example, RN, Discharge Planner - Example Hospital"),
            (
                "Cyrus Example, RN".to_owned(),
                Some("Example Hospital".to_owned())
            )
        );
    }
}
