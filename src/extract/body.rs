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

/// Reads `Label: value` lines from a plain-text body. Returns a document with no records when
/// fewer than two labelled lines are found (a body that merely says "see attached").
pub fn extract_body(text: &str) -> RawDoc {
    let mut entries = Vec::new();
    let mut section: Option<String> = None;
    let mut labelled = 0usize;
    for line in text.lines().take(2000) {
        let line = line.trim();
        if line.starts_with('>') {
            continue;
        }
        if line == "--" || line.starts_with("-----Original Message") || line.starts_with("________________") {
            break;
        }
        if line.is_empty() {
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
        match line.split_once(':') {
            Some((label, value)) if plausible_label(label) => {
                let value = value.trim();
                if value.is_empty() {
                    section = Some(label.trim().to_string());
                    continue;
                }
                labelled += 1;
                entries.push(RawEntry {
                    name: label.trim().to_string(),
                    alt: None,
                    section: section.clone(),
                    value: RawValue::Text(value.to_string()),
                });
            }
            _ if heading_like(line) => section = Some(line.to_string()),
            _ => {}
        }
    }
    let records = if labelled >= 2 {
        vec![RawRecord { entries }]
    } else {
        Vec::new()
    };
    RawDoc {
        kind: DocKind::EmailBody,
        records,
        text: String::new(),
    }
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

/// A label is short, starts with a letter and is not a URL or a time.
fn plausible_label(label: &str) -> bool {
    let l = label.trim();
    let words = l.split_whitespace().count();
    (1..=8).contains(&words)
        && l.len() <= 60
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
}
