//! The safety net (SPEC §5): never ask a sender for what their form already holds.
//!
//! After mapping, a required field may still be missing because no label rule understood the
//! entry that holds it. When the record has an entry that plausibly *is* that field — a
//! date-shaped value beside an unmapped label that mentions birth, a CIN-shaped value anywhere, a
//! phone-shaped value beside an unmapped contact label, a name beside an unmapped name label — the
//! field is *uncertain*: the referral goes to a person (`uncertain_field:<key>`, review) instead of
//! back to the sender (`missing_field:<key>`). Only the entry's label is kept, never its value.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::generic::{Role, Vocabulary};
use super::{EntryMapping, Referral};
use crate::extract::{RawEntry, RawRecord, RawValue};
use crate::model::FieldKey;
use crate::normalize as nz;

/// The required fields the form plausibly holds although none was mapped, each with the label of
/// the entry in doubt.
pub(super) fn uncertain_fields(
    r: &Referral,
    rec: &RawRecord,
    trace: &[EntryMapping],
    vocab: &Vocabulary,
) -> BTreeMap<FieldKey, String> {
    let f = &r.fields;
    let mut out = BTreeMap::new();
    let unmapped = || {
        rec.entries
            .iter()
            .zip(trace)
            .filter(|(_, t)| t.unmapped())
            .map(|(e, _)| e)
    };
    let mut doubt = |key: FieldKey, entry: Option<&RawEntry>| {
        if let Some(e) = entry {
            out.entry(key).or_insert_with(|| label_of(e));
        }
    };
    if f.member_dob.is_none() && !r.invalid.contains(&FieldKey::MemberDob) {
        doubt(
            FieldKey::MemberDob,
            unmapped()
                .find(|e| date_shaped(&e.value) && mentions(vocab, e, &["birth", "born", "dob", "birthday"])),
        );
    }
    if f.member_cin.is_none() && f.member_mrn.is_none() {
        // A CIN-shaped value anywhere on the form, whatever its label said.
        doubt(
            FieldKey::MemberCin,
            rec.entries
                .iter()
                .find(|e| text(&e.value).is_some_and(|t| nz::cin_shaped(&t))),
        );
    }
    let phone_entry = || {
        unmapped().find(|e| {
            text(&e.value).is_some_and(|t| matches!(nz::normalize_phone(&t), Ok(Some(_))))
                && mentions(
                    vocab,
                    e,
                    &[
                        "contact",
                        "reach",
                        "call",
                        "number",
                        "cell",
                        "mobile",
                        "telephone",
                        "phone",
                        "tel",
                    ],
                )
        })
    };
    if f.member_phone.is_none() && f.member_address.is_none() {
        doubt(FieldKey::MemberPhone, phone_entry());
    }
    if f.referrer_phone.is_none() && f.referrer_email.is_none() {
        doubt(FieldKey::ReferrerPhone, phone_entry());
    }
    let name_entry = |role: Role| {
        unmapped().find(|e| {
            text(&e.value)
                .is_some_and(|t| t.split_whitespace().count() >= 2 && !t.chars().any(|c| c.is_ascii_digit()))
                && mentions(vocab, e, &["name"])
                && vocab.label_role(e).unwrap_or(Role::Member) == role
        })
    };
    if f.member_first_name.is_none() || f.member_last_name.is_none() {
        let e = name_entry(Role::Member);
        if f.member_first_name.is_none() {
            doubt(FieldKey::MemberFirstName, e);
        }
        if f.member_last_name.is_none() {
            doubt(FieldKey::MemberLastName, e);
        }
    }
    if f.referrer_name.is_none() {
        doubt(FieldKey::ReferrerName, name_entry(Role::Referrer));
    }
    out
}

/// The entry's human label: its caption or tooltip when the field name is machine-made.
pub(super) fn label_of(e: &RawEntry) -> String {
    e.alt.clone().unwrap_or_else(|| e.name.clone())
}

fn mentions(vocab: &Vocabulary, e: &RawEntry, words: &[&str]) -> bool {
    std::iter::once(e.name.as_str()).chain(e.alt.as_deref()).any(|l| {
        let c = vocab.canon(l);
        c.split(' ').any(|w| words.contains(&w))
    })
}

fn text(v: &RawValue) -> Option<String> {
    match v {
        RawValue::Text(t) if !t.trim().is_empty() => Some(t.clone()),
        _ => None,
    }
}

/// A value that reads as a calendar date.
fn date_shaped(v: &RawValue) -> bool {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^\s*(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}[\s\-][a-z]{3,9}[\s\-]\d{2,4})\s*$",
        )
        .expect("static regex")
    });
    match v {
        RawValue::Date(_) => true,
        RawValue::Text(t) => DATE.is_match(t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::profile::MapContext;

    fn entry(name: &str, value: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            alt: None,
            section: None,
            value: RawValue::Text(value.into()),
            confidence: None,
        }
    }

    fn map(entries: Vec<RawEntry>) -> Referral {
        let cfg = Config::builtin().expect("config");
        let doc = crate::extract::RawDoc {
            kind: crate::extract::DocKind::PdfText,
            records: vec![RawRecord { entries }],
            text: String::new(),
        };
        let ctx = MapContext {
            catalog: &cfg.catalog,
            today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        };
        let (_, mut refs) = cfg.profiles.map(&doc, ctx);
        refs.pop().expect("one referral")
    }

    /// The safety net of issue #8: entries that plausibly are a required field make it uncertain.
    #[test]
    fn plausible_entries_make_missing_fields_uncertain() {
        // The phone comes before anything says whose data follows, so it is not typed by its
        // value as anyone's phone.
        let r = map(vec![
            entry("Number for the family (evenings)", "(510) 555-0101"),
            entry("Member Name", "Testy McTestface"),
            entry("Geburtsdatum / birth (mm-dd)", "01/05/1980"),
            entry("Ident. zz", "91234567A"),
        ]);
        assert!(r.fields.member_dob.is_none(), "{:?}", r.fields);
        assert_eq!(
            r.uncertain.keys().copied().collect::<Vec<_>>(),
            vec![
                FieldKey::MemberDob,
                FieldKey::MemberCin,
                FieldKey::MemberPhone,
                FieldKey::ReferrerPhone
            ]
        );
        assert_eq!(
            r.uncertain.get(&FieldKey::MemberDob).map(String::as_str),
            Some("Geburtsdatum / birth (mm-dd)")
        );
    }

    /// Issue #10 (blindscan5 17): a whole name read with doubt by OCR ("Youth name  Phantomia,
    /// Marisol °", confidence 34) makes the first and last names uncertain (review), not
    /// missing (a request for what the form holds).
    #[test]
    fn a_whole_name_read_with_doubt_is_uncertain_not_missing() {
        let r = map(vec![
            RawEntry {
                confidence: Some(34),
                ..entry("Youth name", "Phantomia, Marisol °")
            },
            entry("Date of birth", "01/05/2002"),
        ]);
        assert!(r.fields.member_first_name.is_none(), "{:?}", r.fields);
        assert_eq!(
            r.uncertain.keys().copied().collect::<Vec<_>>(),
            vec![FieldKey::MemberFirstName, FieldKey::MemberLastName]
        );
    }

    #[test]
    fn nothing_is_uncertain_when_the_form_lacks_it() {
        let r = map(vec![
            entry("Member Name", "Testy McTestface"),
            entry("Favourite colour", "blue"),
        ]);
        assert!(r.uncertain.is_empty(), "{:?}", r.uncertain);
    }
}
