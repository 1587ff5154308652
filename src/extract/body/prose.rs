//! A referral written as sentences rather than `Label: value` lines:
//!
//! ```text
//! Our patient Jane Sample (DOB 09/02/1983) is being discharged today and I'd like to refer her
//! for Enhanced Care Management. She lives at 12 Example Dr, San Diego, CA 92113 (San Diego
//! County) and her phone number is 619-555-0149. She agreed to be contacted by the ECM team.
//! ```
//!
//! Each fact is found by its cue and its shape — a date after "born" or "date of birth", a CIN's
//! shape, a street address with city and ZIP, "X County", a language the member prefers, a name
//! before "(DOB" or after "our patient" — and becomes an entry labelled as a form would label it
//! ("Date of birth (in the text)"), so the vocabulary and the normalisers treat it like any other.
//! Sentences that ask for something ("refer her for Housing Transition Navigation") are offered
//! as the requested services, populations and needs; the catalogue decides what they name.
//! Phones and emails in a sentence about the writer ("reach me at") are the referrer's.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::{RawEntry, RawValue};
use crate::normalize::CA_COUNTIES;

/// The member facts a text must state before it is read as a referral at all.
const MIN_FACTS: usize = 2;

const DATE: &str = r"(\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4})";
const NAME: &str =
    r"((?:\p{Lu}[\p{L}'’-]+)(?:\s+(?:\p{Lu}\.|\p{Lu}[\p{L}'’-]+|de la|de|del|van|von|da)){1,3})";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

static DOB: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth\s?date|birthday|born(?:\s+on)?)(?:\s+(?:is|was|of))?\W{{0,3}}{DATE}"
    ))
});
static CIN: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{8}[A-Za-z]\b"));
static MRN: LazyLock<Regex> = LazyLock::new(|| re(r"\bMRN\b(?:\s+is)?\W{0,3}([A-Z0-9-]{5,15})\b"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(crate::extract::PHONE_IN_TEXT));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| re(crate::extract::EMAIL_IN_TEXT));
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b\d{1,6}\s+(?:[A-Za-z0-9.'-]+\s+){0,5}?(?:St|Street|Ave|Avenue|Rd|Road|Dr|Drive|Blvd|Boulevard|Way|Ln|Lane|Ct|Court|Pl|Place|Pkwy|Parkway|Hwy|Highway|Cir|Circle|Ter|Terrace|Trl|Trail|Loop)\.?(?:,?\s+(?:Apt|Unit|Spc|Space|Ste|Suite|#)\.?\s*[\w-]+)?,\s*[A-Za-z .'-]+?,\s*(?:CA|California)\.?\s+\d{5}(?:-\d{4})?",
    )
});
static COUNTY: LazyLock<Regex> = LazyLock::new(|| re(r"\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})\s+County\b"));
/// A name right before "(DOB ...", "(date of birth ...", "(born ...".
static NAME_BEFORE_DOB: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"{NAME},?\s*\((?i:dob|d\.o\.b|date of birth|born|birth)"
    ))
});
/// A name right after a word that introduces the member: "our patient Jane Sample", "one of our
/// residents, Jane Sample,", "refer Jane Sample for", "her name is Jane Sample" (the writer's own
/// "my name is" is [`WRITER`]).
static NAME_AFTER_CUE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"\b(?i:(?:her|his|their)\s+(?:full\s+)?name\s+is|patient|client|member|resident|participant|consumer|son|daughter|grandson|granddaughter|mother|father|mom|dad|husband|wife|brother|sister|grandmother|grandfather|aunt|uncle|refer|referring)s?,?\s+(?:(?:Mr|Ms|Mrs|Mx)\.?\s+)?{NAME}"
    ))
});
/// The writer naming themself: "My name is Pat Sample".
static WRITER: LazyLock<Regex> =
    LazyLock::new(|| re(&format!(r"\b(?i:my name is|this is|I am|I'm)\s+{NAME}")));
/// "she has Kaiser Medi-Cal", "is a Kaiser Permanente member", "both are KP Medi-Cal members".
static KP_MEMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:has|have|is on|is enrolled (?:in|with)|is with)\s+(?:Kaiser(?: Permanente)?|KP)(?:\s+Medi-?Cal)?\b|\b(?:is an?|are(?: both| all)?) (?:Kaiser(?: Permanente)?|KP)(?: Medi-?Cal)? members?\b",
    )
});
static HEALTH_PLAN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?i:plan is(?: now)?|is now (?:with|enrolled with|a member of)|enrolled (?:with|in)|assigned to)\s+((?:Kaiser Permanente|Kaiser)(?:\s+Medi-Cal)?|[A-Z][A-Za-z.&'-]*(?:\s+[A-Z][A-Za-z.&'-]*){0,3})",
    )
});
/// "she is currently enrolled in ECM", "is already receiving Enhanced Care Management"; with
/// "not" before the verb, not enrolled.
static IN_ECM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:is|are|'s)\s+(not\s+)?(?:currently\s+|already\s+|now\s+)*(?:enrolled\s+in|in|receiving|getting)\s+(?:ECM|Enhanced Care Management)\b",
    )
});
/// "We are requesting 6 hours of CHW services", "we are asking for 2 hours to start": the hours
/// asked for.
static CHW_HOURS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(\d{1,3}(?:\.\d)?)\s*(?:hours?|hrs?)\s+of\s+(?:CHW|Community Health Worker)\b|\b(?:asking for|requesting|request)\s+(\d{1,3}(?:\.\d)?)\s*(?:hours?|hrs?)\b",
    )
});
static CONSENT_YES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:verbal(?:ly)? consent(?:ed)?|consented|(?:gave|given|provided|signed|obtained|received)\s+(?:\w+\s+){0,2}consent|consent (?:was |has been |is )?(?:obtained|received|given|on file)|agreed to (?:this|the|our) referral|agreed to be (?:contacted|referred)|agrees to (?:this|the) referral|(?:she|he|they) (?:agrees?|agreed) to this\b|is in agreement with)",
    )
});
static CONSENT_NO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:declined|refused|did not (?:agree|consent)|has not (?:agreed|consented)|does not (?:agree|consent)|no consent)",
    )
});
/// A sentence about the writer: its phone or email is the referrer's.
static ABOUT_WRITER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:me|my name is|my (?:direct|cell|desk|office|phone|number|line|email)|our (?:office|team|number|line|desk)|I can be reached|reach me|call me|contact me)\b",
    )
});
/// A clause about the member's own phone: "His phone is", "she can be reached at".
static ABOUT_MEMBER_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:his|her|their)\s+(?:own\s+|cell\s+|home\s+|mobile\s+)?(?:phone|cell|number|line)|(?:he|she|they)\s+can\s+be\s+reached)\b",
    )
});

/// Each phone number in a sentence, and whether it is the writer's: told by the words between it
/// and the phone before it ("His phone is 510-… but …, so please call me at 510-…"), a phone with
/// no such words taking the one before it, the first the whole sentence's.
fn phones(sentence: &str) -> Vec<(bool, &str)> {
    let mut out: Vec<(bool, &str)> = Vec::new();
    let mut from = 0;
    for m in PHONE.find_iter(sentence) {
        let clause = sentence.get(from..m.start()).unwrap_or_default();
        let writer = if ABOUT_WRITER.is_match(clause) {
            true
        } else if ABOUT_MEMBER_PHONE.is_match(clause) {
            false
        } else {
            out.last()
                .map_or_else(|| ABOUT_WRITER.is_match(sentence), |(w, _)| *w)
        };
        out.push((writer, m.as_str()));
        from = m.end();
    }
    out
}

/// A sentence that denies what it says: "she is not homeless", "no longer in foster care".
static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:not|no|never|nor|without|denies|isn't|wasn't|doesn't|hasn't|won't)\b|n['’]t\b")
});

/// A sentence that asks for something: its catalogue items are requested.
static ASKS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:refer|referr|request|help (?:with|finding)|need|needs|population|qualif|eligib|falls? under|meets?|support|services?|ask(?:ing)? for|apply(?:ing)? for|sign(?:ing)? (?:\w+ )?up for)",
    )
});

const LANGUAGES: [&str; 40] = [
    "English",
    "Spanish",
    "Vietnamese",
    "Chinese",
    "Cantonese",
    "Mandarin",
    "Tagalog",
    "Korean",
    "Russian",
    "Armenian",
    "Arabic",
    "Farsi",
    "Persian",
    "Hmong",
    "Punjabi",
    "Khmer",
    "Cambodian",
    "Japanese",
    "Portuguese",
    "Mixteco",
    "Ukrainian",
    "Lao",
    "Somali",
    "ASL",
    "Polish",
    "Hindi",
    "Urdu",
    "Thai",
    "Ilocano",
    "Samoan",
    "Tongan",
    "Amharic",
    "Tigrinya",
    "Pashto",
    "Dari",
    "Burmese",
    "French",
    "Italian",
    "Hebrew",
    "Navajo",
];
static LANGUAGE_CUE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:prefer|prefers|preferred|speaks?|language|interpreter)\b"));

/// Words that cannot be part of a member's name found in prose.
const NOT_NAME: [&str; 22] = [
    "Medi",
    "Cal",
    "Kaiser",
    "Permanente",
    "County",
    "Housing",
    "Community",
    "Care",
    "Enhanced",
    "Management",
    "Services",
    "Center",
    "Hospital",
    "Program",
    "Health",
    "Transition",
    "Navigation",
    "Supports",
    "Support",
    "Worker",
    "The",
    "Our",
];

/// The entries a text written as sentences states; empty unless it names at least
/// [`MIN_FACTS`] facts about a member (a name, a date of birth, a CIN, an address, a phone).
pub(super) fn read(lines: &[&str]) -> Vec<RawEntry> {
    let (out, facts) = read_all(lines);
    if facts < MIN_FACTS { Vec::new() } else { out }
}

/// What a short note above a quoted referral states in sentences ("the member's cell phone is
/// (714) 555-0132"): the facts alone, however few, without the requested items.
pub(super) fn corrections(lines: &[&str]) -> Vec<RawEntry> {
    let (out, _) = read_all(lines);
    out.into_iter()
        .filter(|e| {
            !["Services requested", "Populations of focus", "CHW needs"]
                .iter()
                .any(|l| e.name.starts_with(l))
        })
        .collect()
}

/// An entry a sentence states, labelled as a form would label it: "Date of birth (in the
/// text)".
fn in_text(label: &str, value: impl Into<String>) -> RawEntry {
    RawEntry {
        name: format!("{label} (in the text)"),
        alt: None,
        section: None,
        value: RawValue::Text(value.into()),
        confidence: None,
    }
}

/// The sentences that ask for something, each offered under `labels` (the catalogue decides
/// what it names).
fn asked<'a>(sentences: &'a [String], labels: &'a [&str]) -> impl Iterator<Item = RawEntry> + 'a {
    sentences
        .iter()
        .filter(|s| ASKS.is_match(s))
        .flat_map(move |s| labels.iter().map(move |label| in_text(label, s.as_str())))
}

/// The consent a labelled body states only in a sentence ("Both consented.").
pub(super) fn consent(lines: &[&str]) -> Vec<RawEntry> {
    consent_answer(&lines.join(" "))
        .map(|answer| in_text("Member consent", answer))
        .into_iter()
        .collect()
}

/// Sentences around labelled lines that ask for something ("Requesting Community Transition
/// Services for the resident below"), offered as the requested services and populations; the
/// catalogue decides what they name. (Not as CHW needs: a need the catalogue does not name is
/// kept as the reason, and a greeting is no reason.)
pub(super) fn asks(lines: &[&str]) -> Vec<RawEntry> {
    asked(
        &sentences(&lines.join(" ")),
        &["Services requested", "Populations of focus"],
    )
    .collect()
}

/// A sentence around labelled lines saying the members are KP's ("Both are KP Medi-Cal
/// members.").
pub(super) fn membership(lines: &[&str]) -> Option<RawEntry> {
    KP_MEMBER
        .is_match(&lines.join(" "))
        .then(|| in_text("Kaiser Permanente member", "Yes"))
}

/// Who wrote a labelled body, when only its sentences say so ("My name is Pat Example and I am
/// writing to refer my mother ... You can reach me at 209-555-0196"): their name, the phone and
/// email given in sentences about them, and "family" when they refer a relative of theirs.
pub(super) fn writer(lines: &[&str]) -> Vec<RawEntry> {
    let text = lines.join(" ");
    let mut out = Vec::new();
    if let Some(name) = writer_name(&text) {
        out.push(in_text("Referred by", name));
    }
    for s in sentences(&text).iter().filter(|s| ABOUT_WRITER.is_match(s)) {
        out.extend(
            phones(s)
                .into_iter()
                .filter(|(writer, _)| *writer)
                .map(|(_, p)| in_text("Referrer phone", p)),
        );
        out.extend(EMAIL.find_iter(s).map(|m| in_text("Referrer email", m.as_str())));
    }
    if RELATIVE.is_match(&text) {
        out.push(in_text("Referrer relationship", "Family member"));
    }
    out
}

/// The writer's name in "My name is Pat Example", "This is Pat Example" (two words or more, none
/// of them a word that starts a sentence rather than a name).
fn writer_name(text: &str) -> Option<&str> {
    let c = WRITER.captures(text)?.get(1)?.as_str();
    let words = || c.split_whitespace();
    (words().count() >= 2 && !words().any(|w| NOT_NAME.contains(&w))).then_some(c)
}

/// "refer my mother", "for my husband", "my son's": the writer refers a relative.
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:refer(?:ring)?|for|take care of|taking care of|care for|caring for|caregiver (?:for|to)) my (?:mother|father|mom|dad|parent|son|daughter|child|wife|husband|spouse|sister|brother|grandmother|grandfather|grandson|granddaughter|aunt|uncle)\b|my (?:mother|father|mom|dad|parent|son|daughter|child|wife|husband|spouse|sister|brother|grandmother|grandfather)(?:'s|’s) caregiver\b|(?:i am|i'm|i’m) (?:her|his|their) (?:daughter|son|mother|father|wife|husband|spouse|sister|brother|granddaughter|grandson|niece|nephew|caregiver)\b|\bmy name is [^()]{2,60}\((?:(?:her|his|their|the member's) )?(?:daughter|son|mother|father|mom|dad|wife|husband|spouse|sister|brother|granddaughter|grandson|niece|nephew|caregiver)\))",
    )
});

/// "Yes" when the text says the member agreed, "No" when it says they did not.
fn consent_answer(text: &str) -> Option<&'static str> {
    if CONSENT_YES.is_match(text) {
        Some("Yes")
    } else if CONSENT_NO.is_match(text) {
        Some("No")
    } else {
        None
    }
}

fn read_all(lines: &[&str]) -> (Vec<RawEntry>, usize) {
    let text = lines.join(" ");
    let sentences = sentences(&text);
    let mut out = Vec::new();
    let mut facts = 0;
    let push = |out: &mut Vec<RawEntry>, label: &str, value: String| out.push(in_text(label, value));

    if let Some(name) = member_name(&text) {
        push(&mut out, "Member name", name);
        facts += 1;
    }
    if let Some(c) = DOB.captures(&text).and_then(|c| c.get(1)) {
        push(&mut out, "Date of birth", c.as_str().to_string());
        facts += 1;
    }
    if let Some(m) = CIN.find(&text) {
        push(&mut out, "Medi-Cal CIN", m.as_str().to_string());
        facts += 1;
    }
    if let Some(c) = MRN.captures(&text).and_then(|c| c.get(1)) {
        push(&mut out, "MRN", c.as_str().to_string());
        facts += 1;
    }
    if let Some(m) = ADDRESS.find(&text) {
        push(&mut out, "Member address", m.as_str().to_string());
        facts += 1;
    }
    if let Some(county) = county(&sentences) {
        push(&mut out, "County", county.to_string());
    }
    let mut member_phone = false;
    for s in &sentences {
        let writer = ABOUT_WRITER.is_match(s);
        for (writers, phone) in phones(s) {
            if writers {
                push(&mut out, "Referrer phone", phone.to_string());
            } else if !member_phone {
                member_phone = true;
                facts += 1;
                push(&mut out, "Member phone", phone.to_string());
            }
        }
        if writer {
            for m in EMAIL.find_iter(s) {
                push(&mut out, "Referrer email", m.as_str().to_string());
            }
        }
    }
    if let Some(lang) = language(&sentences) {
        push(&mut out, "Preferred language", lang.to_string());
    }
    if let Some(name) = writer_name(&text) {
        push(&mut out, "Referred by", name.to_string());
    }
    // "I take care of my mother": the writer is family.
    if RELATIVE.is_match(&text) {
        push(&mut out, "Referrer relationship", "Family member".into());
    }
    if KP_MEMBER.is_match(&text) {
        push(&mut out, "Kaiser Permanente member", "Yes".into());
    }
    if let Some(c) = IN_ECM.captures(&text) {
        let answer = if c.get(1).is_some() { "No" } else { "Yes" };
        push(&mut out, "Currently enrolled in ECM", answer.into());
    }
    if let Some(h) = CHW_HOURS
        .captures(&text)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
    {
        push(&mut out, "CHW hours requested", h.as_str().to_string());
    }
    if let Some(c) = HEALTH_PLAN
        .captures(&text)
        .and_then(|c| c.get(1))
        // "enrolled in ECM with …" is a program, not a plan.
        .filter(|p| {
            !["ECM", "Enhanced", "CHW", "Community"]
                .iter()
                .any(|w| p.as_str().starts_with(w))
        })
    {
        push(&mut out, "Health plan", c.as_str().to_string());
    }
    if let Some(answer) = consent_answer(&text) {
        push(&mut out, "Member consent", answer.into());
    }
    out.extend(asked(
        &sentences,
        &["Services requested", "Populations of focus", "CHW needs"],
    ));
    // The member's situation told, not asked ("She has been living in her car since
    // September"): what it says of the populations of focus, unless it denies it.
    out.extend(
        sentences
            .iter()
            .filter(|s| !ASKS.is_match(s) && !NEGATED.is_match(s))
            .map(|s| in_text("Populations of focus", s.as_str())),
    );
    (out, facts)
}

/// Sentences, split at `.`, `!`, `?` followed by a space and a capital (so "Mr. Sample" and
/// "Example Dr, San Diego" mostly stay whole; a wrong split only shortens a sentence).
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let ends = matches!(c, '.' | '!' | '?')
            && chars.get(i + 1).is_some_and(|n| n.is_whitespace())
            && chars
                .get(i + 2)
                .is_some_and(|n| n.is_uppercase() || !n.is_alphanumeric());
        let after_title = ["Mr.", "Ms.", "Mrs.", "Dr.", "St.", "Mx."]
            .iter()
            .any(|t| current.ends_with(t));
        if ends && !after_title {
            out.push(std::mem::take(&mut current).trim().to_string());
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// The member's name: before "(DOB", else after a word that introduces the member.
fn member_name(text: &str) -> Option<String> {
    let ok = |n: &str| {
        let words: Vec<&str> = n.split_whitespace().collect();
        words.len() >= 2
            && !words
                .iter()
                .any(|w| NOT_NAME.contains(&w.trim_end_matches(['\'', '’', 's'])))
    };
    NAME_BEFORE_DOB
        .captures_iter(text)
        .chain(NAME_AFTER_CUE.captures_iter(text))
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().trim().to_string())
        .find(|n| ok(n))
}

/// The member's county: the one county the text names, else the one named where it says where
/// the member lives.
fn county(sentences: &[String]) -> Option<&'static str> {
    let mut named: Vec<(&'static str, bool)> = Vec::new();
    for s in sentences {
        let lives = ["live", "living", "resid", "stay"]
            .iter()
            .any(|w| s.to_lowercase().contains(w));
        for c in COUNTY.captures_iter(s).filter_map(|c| c.get(1)) {
            // "in Los Angeles County": the longest county name ending the words before "County".
            let words = c.as_str();
            if let Some(known) = CA_COUNTIES
                .iter()
                .filter(|k| words == **k || words.ends_with(&format!(" {k}")))
                .max_by_key(|k| k.len())
            {
                named.push((known, lives));
            }
        }
    }
    let mut distinct: Vec<&str> = named.iter().map(|(c, _)| *c).collect();
    distinct.sort_unstable();
    distinct.dedup();
    match distinct.as_slice() {
        [one] => Some(one),
        _ => {
            let living: Vec<&str> = named.iter().filter(|(_, l)| *l).map(|(c, _)| *c).collect();
            match living.as_slice() {
                [first, rest @ ..] if rest.iter().all(|c| c == first) => Some(first),
                _ => None,
            }
        }
    }
}

/// A language the member prefers: named in a sentence about language, or alone in parentheses
/// ("reached at 213-555-0148 (English)").
fn language(sentences: &[String]) -> Option<&'static str> {
    // One pattern for every language, compiled once (a pattern per language and sentence made
    // a long body cost seconds).
    static ANY: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"\b(?:{})\b", LANGUAGES.join("|"))));
    sentences.iter().find_map(|s| {
        let cue = LANGUAGE_CUE.is_match(s);
        ANY.find_iter(s)
            .filter_map(|m| LANGUAGES.iter().copied().find(|l| *l == m.as_str()))
            .find(|l| cue || s.contains(&format!("({l})")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str) -> Vec<(String, String)> {
        let lines: Vec<&str> = text.lines().collect();
        read(&lines)
            .into_iter()
            .map(|e| (e.name.replace(" (in the text)", ""), e.value.as_text()))
            .filter(|(n, _)| {
                !["Services requested", "Populations of focus", "CHW needs"].contains(&n.as_str())
            })
            .collect()
    }

    #[test]
    fn class10_a_referral_written_as_sentences() {
        let got = facts(
            "Our patient Jane Sampleton (DOB 09/02/1983) is being discharged today and I'd like to \
             refer her for Enhanced Care Management. She lives at 2800 Example Dr, San Diego, CA \
             92113 (San Diego County) and her phone number is 619-555-0149. She prefers Spanish. \
             She agreed to be contacted by the ECM team. You can reach me at 619-555-0193.",
        );
        let want = [
            ("Member name", "Jane Sampleton"),
            ("Date of birth", "09/02/1983"),
            ("Member address", "2800 Example Dr, San Diego, CA 92113"),
            ("County", "San Diego"),
            ("Member phone", "619-555-0149"),
            ("Referrer phone", "619-555-0193"),
            ("Preferred language", "Spanish"),
            ("Member consent", "Yes"),
        ];
        let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn class10_prose_names_after_a_cue_and_dates_in_words() {
        let got = facts(
            "I'd like to refer one of our residents, Bartholomew Sampleby, for Housing Transition \
             Navigation. Mr. Sampleby was born March 5, 1961, and his Medi-Cal CIN is 93456210U.",
        );
        assert!(
            got.contains(&("Member name".into(), "Bartholomew Sampleby".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Date of birth".into(), "March 5, 1961".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Medi-Cal CIN".into(), "93456210U".into())),
            "{got:?}"
        );
    }

    #[test]
    fn class10_a_relative_writing_about_a_member() {
        let got = facts(
            "My name is Linnea Sample and I am writing about my mother, Agnieszka Sample. She was \
             born on March 5, 1961 and she has Kaiser Medi-Cal (her Medi-Cal number is 92816650F). \
             Her phone is 530-555-0155, she prefers Polish. You can reach me at 530-555-0108.",
        );
        for want in [
            ("Member name", "Agnieszka Sample"),
            ("Referred by", "Linnea Sample"),
            ("Kaiser Permanente member", "Yes"),
            ("Preferred language", "Polish"),
            ("Member phone", "530-555-0155"),
            ("Referrer phone", "530-555-0108"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
    }

    /// Issue #8 (blind81): a name with an accent ("Tomás") is a name, and one sentence holding the
    /// member's phone and then the writer's ("His phone is … but …, so please call me at …") gives
    /// each to its owner.
    #[test]
    fn class81_accented_names_and_two_phones_in_one_sentence() {
        let got = facts(
            "I am writing to ask for help for my father, Tomás Fakeira, born March 5, 1961. His \
             phone is 510-555-0155 but he does not always answer, so please call me at \
             510-555-0194 or write to ana@example.com.",
        );
        for want in [
            ("Member name", "Tomás Fakeira"),
            ("Member phone", "510-555-0155"),
            ("Referrer phone", "510-555-0194"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        assert!(
            !got.contains(&("Referrer phone".into(), "510-555-0155".into())),
            "{got:?}"
        );
    }

    /// Issue #8 (blind82): the member's situation told rather than asked ("She has been living in
    /// her car") is offered for the populations of focus; a sentence that denies it is not.
    #[test]
    fn class82_a_situation_told_is_offered_for_the_populations_of_focus() {
        let lines = [
            "I'd like to refer Florentine Mockingbird for Enhanced Care Management. She has been \
             living in her car since September. She is not in foster care. Her date of birth is \
             4/12/1968 and her Medi-Cal CIN is 92345678H.",
        ];
        let (entries, _) = read_all(&lines);
        let offered: Vec<String> = entries
            .iter()
            .filter(|e| e.name == "Populations of focus (in the text)")
            .filter_map(|e| match &e.value {
                RawValue::Text(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        assert!(
            offered.iter().any(|s| s.contains("living in her car")),
            "{offered:?}"
        );
        assert!(!offered.iter().any(|s| s.contains("foster")), "{offered:?}");
    }

    /// Issue #8 (blind28): a daughter names her mother in a sentence of its own.
    #[test]
    fn class28_her_name_is_names_the_member() {
        let got = facts(
            "I am writing to refer my mother for Enhanced Care Management. Her name is Rosalind \
             Example and she was born on March 5, 1949. Her Medi-Cal ID (CIN) is 93456789R.",
        );
        assert!(
            got.contains(&("Member name".to_string(), "Rosalind Example".to_string())),
            "{got:?}"
        );
    }

    #[test]
    fn a_note_that_states_no_member_facts_is_not_a_referral() {
        assert!(
            facts("Please see the attached referral. Call me at 619-555-0193 with questions.").is_empty()
        );
        assert!(facts("Thanks for your help last week with Kern County intake.").is_empty());
    }

    #[test]
    fn two_counties_pick_the_one_where_the_member_lives() {
        let s = sentences("She moved from Santa Barbara County. She now lives in Kern County with a cousin.");
        assert_eq!(county(&s), Some("Kern"));
        let s = sentences("Our Fresno County office covers Tulare County too.");
        assert_eq!(county(&s), None);
    }
}
