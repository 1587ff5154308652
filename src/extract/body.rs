//! `Label: value` lines in an email body: the fallback when no attachment holds a form.
//!
//! Senders who do not attach a form often type the referral into the message:
//!
//! ```text
//! Member name: Jane Sample
//! DOB: 01/05/1980
//! [X] Housing Deposits
//! ```
//!
//! A line without a value that looks like a heading ("REFERRER INFORMATION", "Referring
//! provider:") becomes the section of the lines after it. Quoted replies (`> ...`) and everything
//! after a signature or an "Original Message" separator are left out.

use super::{DocKind, RawDoc, RawEntry, RawRecord, RawValue};

const TICK_ON: &[&str] = &["☒", "☑", "✓", "✔", "[x]", "[X]", "(x)", "(X)", "X "];
const TICK_OFF: &[&str] = &["☐", "□", "[ ]", "( )"];

/// The body of an email as a document: its text body, else (when that gives no labelled lines)
/// its HTML alternative, whose tables become `label<TAB>value` lines.
pub fn extract_email_body(email: &crate::message::Email) -> RawDoc {
    let doc = extract_body(&email.body_text);
    if doc.records.is_empty() && !email.body_html_alternative.trim().is_empty() {
        return extract_body(&email.body_html_alternative);
    }
    doc
}

/// Reads `Label: value` lines from a plain-text body. Returns a document with no records when
/// fewer than two labelled lines are found (a body that merely says "see attached").
///
/// A forwarded chain is read part by part: the newest text first; when it holds no referral
/// ("Please process - forwarding from our line worker"), the message it forwards, without its
/// From/Sent/To/Subject header lines.
pub fn extract_body(text: &str) -> RawDoc {
    let mut records = Vec::new();
    // What the newer parts of a chain said ("Apologies, the CIN was left off: CIN: 9...") comes
    // first, so it wins over the quoted original it corrects.
    let mut newer: Vec<RawEntry> = Vec::new();
    for (i, part) in forwarded_parts(text).into_iter().enumerate().take(20) {
        let (entries, labelled) = read_part(&part, i > 0);
        if labelled >= 2 {
            newer.extend(entries);
            records.push(RawRecord { entries: newer });
            break;
        }
        newer.extend(
            entries
                .into_iter()
                .filter(|e| !matches!(e.value, RawValue::Checked(_))),
        );
    }
    RawDoc {
        kind: DocKind::EmailBody,
        records,
        text: String::new(),
    }
}

/// Splits a body at the separators mail programs put above a forwarded or quoted message.
fn forwarded_parts(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for line in text.lines().take(4000) {
        let t = line.trim();
        let separator = t.starts_with("-----Original Message")
            || t.starts_with("---------- Forwarded message")
            || t.starts_with("-------- Original Message")
            || t.starts_with("Begin forwarded message")
            || t.starts_with("________________");
        if separator {
            parts.push(String::new());
            continue;
        }
        if let Some(p) = parts.last_mut() {
            p.push_str(line);
            p.push('\n');
        }
    }
    parts
}

/// The header lines a mail program writes above a forwarded message.
const FORWARD_HEADERS: &[&str] = &["from", "sent", "to", "cc", "bcc", "subject", "date", "reply to"];

fn read_part(text: &str, forwarded: bool) -> (Vec<RawEntry>, usize) {
    let mut entries = Vec::new();
    let mut section: Option<String> = None;
    let mut labelled = 0usize;
    let mut in_headers = forwarded;
    let all: Vec<&str> = text.lines().map(str::trim).collect();
    let mut skip_next = false;
    for (i, line) in all.iter().copied().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if line.starts_with('>') {
            continue;
        }
        if line == "--" {
            break;
        }
        if line.is_empty() {
            in_headers = false;
            continue;
        }
        if in_headers
            && line
                .split_once(':')
                .is_some_and(|(l, _)| FORWARD_HEADERS.contains(&l.trim().to_lowercase().as_str()))
        {
            continue;
        }
        in_headers = false;
        // A bulleted item ("- Adults at risk for LTC institutionalization") under a heading is
        // chosen, as a ticked box would be; a bulleted "Label: value" is that pair.
        let (bullet, line) = match line.strip_prefix(['-', '*', '•', '·', '–']) {
            Some(rest) if rest.starts_with(' ') => (true, rest.trim()),
            _ => (false, line),
        };
        if bullet && split_line(line).is_none() && tick_line(line).is_none() {
            entries.push(RawEntry {
                name: line.to_string(),
                alt: None,
                section: section.clone(),
                value: RawValue::Checked(true),
            });
            continue;
        }
        if let Some((on, caption)) = tick_line(line) {
            entries.push(RawEntry {
                name: caption,
                alt: None,
                section: section.clone(),
                value: RawValue::Checked(on),
            });
            continue;
        }
        // A label and its answer on the next line: a question ("3. What is the member's date
        // of birth?" / "08/25/1970"), or a two-line paragraph of a short label and its value
        // (an HTML body's "<b>Member's birthday</b><br>04/04/1999").
        if let Some((label, value)) = answer_below(&all, i) {
            labelled += 1;
            skip_next = true;
            entries.push(RawEntry {
                name: label,
                alt: None,
                section: section.clone(),
                value: RawValue::Text(value),
            });
            continue;
        }
        match split_line(line) {
            Some((label, value)) => {
                if value.is_empty() {
                    // "Member information:" heads what follows; "We do not have your form, so
                    // here are the details:" is a sentence, not a heading; a blank
                    // "Medi-Cal CIN:" is a field left empty.
                    if label.split_whitespace().count() <= 6 && !super::names_a_field(&label) {
                        section = Some(label);
                    }
                    continue;
                }
                labelled += 1;
                entries.push(RawEntry {
                    name: label,
                    alt: None,
                    section: section.clone(),
                    value: RawValue::Text(value),
                });
            }
            None if heading_like(line) => section = Some(line.to_string()),
            None => {}
        }
    }
    entries.extend(signature(&all));
    (entries, labelled)
}

/// The sender's signature under a closing ("Thanks," "Thx" "Best regards"): their name (before
/// any ", title"), organisation, phone and email, as the referrer's — the weakest of sources
/// (role-only labels), so a referrer the body names in fields wins.
fn signature(lines: &[&str]) -> Vec<RawEntry> {
    const CLOSINGS: &[&str] = &[
        "thanks",
        "thank you",
        "thx",
        "best",
        "best regards",
        "regards",
        "sincerely",
        "respectfully",
        "cheers",
        "warm regards",
        "kind regards",
        "take care",
    ];
    let Some(start) = lines.iter().rposition(|l| {
        let l = l.trim().trim_end_matches([',', '.', '!']).to_lowercase();
        CLOSINGS.contains(&l.as_str())
    }) else {
        return Vec::new();
    };
    let entry = |name: &str, value: &str| RawEntry {
        name: name.to_string(),
        alt: None,
        section: Some("Referred by".to_string()),
        value: RawValue::Text(value.trim().to_string()),
    };
    let mut out = Vec::new();
    let block = lines
        .iter()
        .skip(start + 1)
        .map(|l| l.trim())
        .take_while(|l| !l.is_empty() && !l.to_lowercase().starts_with("sent from") && !l.starts_with("--"))
        .take(5);
    for (i, l) in block.enumerate() {
        let contact = super::contact_kind(l);
        if contact == Some(super::Contact::Email) {
            out.push(entry("Sender email", l));
        } else if contact == Some(super::Contact::Phone) {
            out.push(entry("Sender phone", l));
        } else if i == 0 && !l.contains(':') && (2..=6).contains(&l.split_whitespace().count()) {
            // Labelled as a "Referred by" line would be, so one the body has comes first.
            out.push(entry("Referred by", l.split(',').next().unwrap_or(l)));
        } else if i > 0 && !l.contains(':') && out.len() == i {
            // The line under the name: their title or their organisation; an organisation names
            // a kind of body ("Collective", "Clinic", "County", "Services" ...).
            if crate::normalize::names_organisation(l) {
                let org = l.rsplit(',').next().unwrap_or(l);
                out.push(entry("Sender organization", org));
            }
        }
    }
    out
}

/// The label at `lines[i]` with its answer on the line after it, when `lines[i]` is a question
/// (or a short label standing alone in a two-line paragraph) and the next line is a plain value.
fn answer_below(lines: &[&str], i: usize) -> Option<(String, String)> {
    let line = lines.get(i)?;
    let next = lines.get(i + 1).filter(|n| !n.is_empty())?;
    let plain_value = !next.ends_with('?')
        && split_line(next).is_none()
        && tick_line(next).is_none()
        && next.split_whitespace().count() <= 30;
    if !plain_value || split_line(line).is_some_and(|(_, v)| !v.is_empty()) {
        return None;
    }
    let words = line.split_whitespace().count();
    let question = line.ends_with('?') && (2..=20).contains(&words);
    let alone = i
        .checked_sub(1)
        .and_then(|p| lines.get(p))
        .is_none_or(|p| p.is_empty())
        && lines.get(i + 2).is_none_or(|n| n.is_empty());
    let short_label = alone
        && (1..=10).contains(&words)
        && !line.ends_with(['.', ',', '!', ':'])
        && line.chars().next().is_some_and(char::is_alphabetic);
    (question || short_label).then(|| (line.to_string(), next.to_string()))
}

/// A line's label and value: `Label: value`, a question and its answer (`What is the client's
/// date of birth? 7/7/1999`), or a table row turned into `Label<TAB>value`.
fn split_line(line: &str) -> Option<(String, String)> {
    let colon = line
        .split_once(':')
        .filter(|(l, _)| plausible_label(l))
        .map(|(l, v)| (l.trim().to_string(), v.trim().to_string()));
    let question = || {
        line.split_once("? ")
            .or_else(|| line.strip_suffix('?').map(|l| (l, "")))
            .filter(|(l, _)| plausible_label(l) && l.split_whitespace().count() >= 2)
            .map(|(l, v)| (format!("{}?", l.trim()), v.trim().to_string()))
    };
    let tabbed = || {
        let (l, v) = line.split_once('\t')?;
        let v = v.trim().trim_start_matches('\t').trim();
        (plausible_label(l) && !v.contains('\t'))
            .then(|| (l.trim().trim_end_matches(':').to_string(), v.to_string()))
    };
    colon.or_else(question).or_else(tabbed)
}

/// A line that is a tick mark and its caption: `☒ Housing Deposits`, `[ ] Sobering Centers`.
fn tick_line(line: &str) -> Option<(bool, String)> {
    for (marks, on) in [(TICK_ON, true), (TICK_OFF, false)] {
        for m in marks {
            if let Some(rest) = line.strip_prefix(m) {
                let caption = rest.trim();
                if !caption.is_empty() && !caption.contains(':') {
                    return Some((on, caption.to_string()));
                }
            }
        }
    }
    None
}

/// A label starts with a letter, is not a URL or a time, and is at most a question long ("Is
/// the client currently receiving ECM services from another provider").
fn plausible_label(label: &str) -> bool {
    let l = label.trim();
    let words = l.split_whitespace().count();
    (1..=14).contains(&words)
        && l.len() <= 100
        && l.chars().next().is_some_and(|c| c.is_alphabetic())
        && !l.contains("http")
        && !l.ends_with(|c: char| c.is_ascii_digit())
}

/// A heading: short, and either all capitals or ending in "information"/"info".
fn heading_like(line: &str) -> bool {
    let words = line.split_whitespace().count();
    let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
    (1..=6).contains(&words)
        && !letters.is_empty()
        && (letters.iter().all(|c| c.is_uppercase()) || line.to_lowercase().ends_with("information"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_ticks_and_sections() {
        let doc = extract_body(
            "Hello,\n\nPlease see the referral below.\n\nMEMBER INFORMATION\nName: Jane Sample\nDOB: 01/05/1980\n\
             [X] Housing Deposits\n[ ] Sobering Centers\nReferrer:\nName: Rowan Placeholder\n\nThanks\n--\nSig: x\n",
        );
        let e = &doc.records.first().expect("record").entries;
        assert_eq!(e.len(), 5);
        assert_eq!(e[0].name, "Name");
        assert_eq!(e[0].section.as_deref(), Some("MEMBER INFORMATION"));
        assert_eq!(e[2].value, RawValue::Checked(true));
        assert_eq!(e[3].value, RawValue::Checked(false));
        assert_eq!(
            (e[4].name.as_str(), e[4].section.as_deref()),
            ("Name", Some("Referrer"))
        );
    }

    #[test]
    fn a_note_is_not_a_form() {
        assert!(
            extract_body("Please see attached.\n\nThanks,\nSam")
                .records
                .is_empty()
        );
        assert!(extract_body("Note: see attached").records.is_empty());
    }

    /// Issue #8 class 10: questions are labels (more than eight words), a forwarded chain is read
    /// past its separator when the newest text holds no referral, bulleted items are chosen.
    #[test]
    fn class10_questions_forwarded_chains_and_bullets() {
        let body = "Please process - forwarding from our line worker.\n\n                    -----Original Message-----\nFrom: W <w@x.example>\nSubject: ECM referral\n\n                    What is the client's date of birth? 7/7/1999\n                    Is the client currently receiving ECM services from another provider? No\n                    Population(s) of Focus:\n  - Adults at risk for LTC institutionalization\n                    Referring worker: Wendell Sample\n";
        let doc = extract_body(body);
        let entries = &doc.records.first().expect("a record").entries;
        let got: Vec<(&str, &RawValue)> = entries.iter().map(|e| (e.name.as_str(), &e.value)).collect();
        assert_eq!(
            got,
            vec![
                (
                    "What is the client's date of birth?",
                    &RawValue::Text("7/7/1999".into())
                ),
                (
                    "Is the client currently receiving ECM services from another provider?",
                    &RawValue::Text("No".into())
                ),
                (
                    "Adults at risk for LTC institutionalization",
                    &RawValue::Checked(true)
                ),
                ("Referring worker", &RawValue::Text("Wendell Sample".into())),
            ]
        );
        // The forward's own header lines are not read as labels.
        assert!(entries.iter().all(|e| e.name != "From" && e.name != "Subject"));
    }

    /// A reply above the quoted referral adds what the referral lacked, and the sender's
    /// signature names the referrer when no field does.
    #[test]
    fn reply_above_the_quote_and_the_signature() {
        let body = "Apologies, the CIN was left off. Here it is:\n\nCIN: 95588402Y\n\n\
                    ________________________________\nFrom: D <d@x.example>\nSubject: ECM Referral\n\n\
                    Member name: Ethel Sample\nMedi-Cal CIN:\nPhone: (530) 555-0137\n\n\
                    Thx\nJess Placeholder, CHW\nSutter-Yuba Promotores Collective\n530-555-0177\nSent from my iPhone\n";
        let doc = extract_body(body);
        let got: Vec<(String, String)> = doc
            .records
            .first()
            .expect("a record")
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect();
        let want: Vec<(String, String)> = [
            ("CIN", "95588402Y"),
            ("Member name", "Ethel Sample"),
            ("Phone", "(530) 555-0137"),
            ("Referred by", "Jess Placeholder"),
            ("Sender organization", "Sutter-Yuba Promotores Collective"),
            ("Sender phone", "530-555-0177"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
