//! Form profiles: from a document's raw labels to canonical referral fields.
//!
//! Input: a [`RawDoc`] from extraction. Output: one [`Referral`] candidate per record, with
//! normalised [`Fields`], the programs the form ticks, and the fields that were present but
//! unusable (`invalid`).
//!
//! A profile (`config/forms/*.toml`) recognises one known form by text on it or its field names,
//! and maps that form's own field names to targets. Anything a profile does not map goes through
//! the generic profile ([`generic`]), which understands labels from their words, so a profile only
//! has to list what is peculiar to its form — and a form nobody has profiled still maps.

mod doubts;
mod generic;
mod target;
mod values;

pub use generic::{Role, Vocabulary};
pub use target::Target;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::builtin;
use crate::catalog::{Catalog, find_phrase, norm};
use crate::diag::{Problems, SourceFile};
use crate::extract::{RawDoc, RawEntry, RawValue};
use crate::model::{FieldKey, Fields, Program};

/// One form profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Short identifier shown by `extract` (`kp`, `health_net`).
    pub name: String,
    pub title: String,
    detect_text: Vec<String>,
    detect_fields: Vec<String>,
    min_matches: usize,
    /// Normalised field name / label → target.
    fields: BTreeMap<String, Target>,
    enabled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    detect: RawDetect,
    #[serde(default)]
    fields: BTreeMap<String, toml::Spanned<String>>,
    // The generic profile's vocabulary; only allowed in generic.toml.
    #[serde(default)]
    roles: Option<toml::Value>,
    #[serde(default)]
    attributes: Option<toml::Value>,
    #[serde(default)]
    abbreviations: Option<toml::Value>,
    #[serde(default)]
    whole_labels: Option<toml::Value>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    #[serde(default)]
    text: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default = "one")]
    min_matches: usize,
}

fn one() -> usize {
    1
}

/// All loaded profiles plus the generic vocabulary.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub profiles: Vec<Profile>,
    pub vocabulary: Vocabulary,
}

/// One referral read from a document, before screening.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Referral {
    /// Programs the form ticks or names (may be empty; may be several).
    pub programs: BTreeSet<Program>,
    pub fields: Fields,
    /// Fields present on the form but unusable (bad date, malformed CIN...).
    pub invalid: BTreeSet<FieldKey>,
    /// Problems worth showing an admin (`invalid_field:member_dob`, `conflict:member_phone`).
    pub warnings: Vec<String>,
    /// Required fields not mapped although the form holds an entry that plausibly is the field,
    /// with that entry's label (never its value): `uncertain_field:<key>` (SPEC §5).
    pub uncertain: BTreeMap<FieldKey, String>,
}

/// Whether a document writes its numeric dates day first: one of its values reads only that way
/// (`21/07/1966`) and none reads only month first. Then its `03/12/2026` is the 3rd of December,
/// as its writer meant, not the 12th of March.
fn writes_day_first(doc: &RawDoc) -> bool {
    let (mut day, mut month) = (false, false);
    for e in doc.records.iter().flat_map(|r| &r.entries) {
        if let crate::extract::RawValue::Text(t) = &e.value {
            match crate::normalize::numeric_order(t) {
                Some(true) => day = true,
                Some(false) => month = true,
                None => {}
            }
        }
    }
    day && !month
}

/// The context values need: today's date for two-digit years.
#[derive(Debug, Clone, Copy)]
pub struct MapContext<'a> {
    pub catalog: &'a Catalog,
    pub today: NaiveDate,
}

impl Profiles {
    /// Parses every profile file; the generic one (`name = "generic"`) carries the vocabulary.
    pub fn parse(sources: &[SourceFile], problems: &mut Problems) -> Option<Profiles> {
        let mut profiles = Vec::new();
        let mut vocabulary = None;
        let mut ok = true;
        for src in sources {
            let Some(raw) = src.parse_toml::<RawProfile>(problems) else {
                ok = false;
                continue;
            };
            if raw.name == "generic" {
                vocabulary = Vocabulary::parse(
                    src,
                    raw.roles.as_ref(),
                    raw.attributes.as_ref(),
                    raw.abbreviations.as_ref(),
                    raw.whole_labels.as_ref(),
                    problems,
                );
                if vocabulary.is_none() {
                    ok = false;
                }
                continue;
            }
            if raw.roles.is_some()
                || raw.attributes.is_some()
                || raw.abbreviations.is_some()
                || raw.whole_labels.is_some()
            {
                problems.push(format!(
                    "{}: [roles], [attributes], [abbreviations] and [whole_labels] belong in generic.toml; a form profile maps names under [fields]",
                    src.name
                ));
                ok = false;
            }
            let mut fields = BTreeMap::new();
            for (label, target) in &raw.fields {
                match target.get_ref().parse::<Target>() {
                    Ok(t) => {
                        fields.insert(norm(label), t);
                    }
                    Err(e) => {
                        problems.push(src.at(Some(target.span()), format!("field `{label}`: {e}")));
                        ok = false;
                    }
                }
            }
            if profiles.iter().any(|p: &Profile| p.name == raw.name) {
                problems.push(format!(
                    "{}: profile name `{}` is used by another profile",
                    src.name, raw.name
                ));
                ok = false;
            }
            if raw.detect.text.is_empty() && raw.detect.fields.is_empty() {
                problems.push(format!(
                    "{}: profile `{}` needs [detect] text or fields to recognise its form",
                    src.name, raw.name
                ));
                ok = false;
            }
            profiles.push(Profile {
                name: raw.name,
                title: raw.title,
                detect_text: raw.detect.text.iter().map(|t| norm(t)).collect(),
                detect_fields: raw.detect.fields.iter().map(|t| norm(t)).collect(),
                min_matches: raw.detect.min_matches.max(1),
                fields,
                enabled: raw.enabled,
            });
        }
        if vocabulary.is_none() && ok {
            problems.push(format!(
                "no generic profile found (forms/generic.toml); the built-in one is at <built-in>/forms/{}",
                builtin::FORMS.first().map(|f| f.0).unwrap_or("generic.toml")
            ));
            ok = false;
        }
        let vocabulary = vocabulary?;
        ok.then_some(Profiles { profiles, vocabulary })
    }

    /// The profile that recognises this document best, if any does.
    pub fn detect(&self, doc: &RawDoc) -> Option<&Profile> {
        let text = norm(&doc.text);
        let padded = format!(" {text} ");
        let names: BTreeSet<String> = doc
            .records
            .iter()
            .flat_map(|r| r.entries.iter())
            .map(|e| norm(&e.name))
            .collect();
        self.profiles
            .iter()
            .filter(|p| p.enabled)
            .map(|p| {
                let by_text = p
                    .detect_text
                    .iter()
                    .filter(|t| find_phrase(&padded, t).is_some())
                    .count();
                let by_field = p.detect_fields.iter().filter(|f| names.contains(*f)).count();
                (by_text + by_field, p)
            })
            .filter(|(score, p)| *score >= p.min_matches)
            .max_by_key(|(score, _)| *score)
            .map(|(_, p)| p)
    }

    /// Maps a document to referrals: `(profile name, referrals)`.
    pub fn map(&self, doc: &RawDoc, ctx: MapContext<'_>) -> (String, Vec<Referral>) {
        let (name, referrals, _) = self.map_traced(doc, ctx);
        (name, referrals)
    }

    /// [`Profiles::map`], also telling for every entry of every record where it went and why
    /// (`extract --raw`), so an admin sees at once what a new form lacks.
    pub fn map_traced(
        &self,
        doc: &RawDoc,
        ctx: MapContext<'_>,
    ) -> (String, Vec<Referral>, Vec<Vec<EntryMapping>>) {
        let profile = self.detect(doc);
        let name = profile
            .map(|p| p.name.clone())
            .unwrap_or_else(|| "generic".into());
        let mut traces = Vec::with_capacity(doc.records.len());
        let day_first = writes_day_first(doc);
        // A body's lines are read in the order written, one column: what the labels around a
        // line say of whose it is holds there (a page's two columns interleave in reading order).
        let one_column = doc.kind == crate::extract::DocKind::EmailBody;
        let mut referrals: Vec<Referral> = doc
            .records
            .iter()
            .map(|rec| {
                let (mut referral, mut trace) =
                    self.map_record(profile, rec, ctx, true, day_first, one_column);
                // The role carried from label to label made the member nameless ("REFERRING
                // OFFICER" then, on the next row of captions, "LAST NAME | FIRST NAME"): read
                // each label for itself, and keep that reading if it finds the member's name.
                if !has_member_name(&referral.fields) {
                    let (again, again_trace) =
                        self.map_record(profile, rec, ctx, false, day_first, one_column);
                    if has_member_name(&again.fields) {
                        (referral, trace) = (again, again_trace);
                    }
                }
                traces.push(trace);
                referral
            })
            .filter(|r| r.fields.count() > 0 || !r.programs.is_empty())
            // A row of a table that names nobody (a legend, a key, a totals line) is no referral.
            .collect();
        if doc.records.len() >= 2 {
            from_sender_record(&mut referrals);
            referrals.retain(|r| names_someone(&r.fields));
        }
        (name, referrals, traces)
    }

    /// `carry`: whether the role a label names carries to the unqualified labels after it;
    /// `day_first`: the document writes numeric dates day first ([`writes_day_first`]);
    /// `one_column`: its entries come in the order written, one column (a body).
    fn map_record(
        &self,
        profile: Option<&Profile>,
        rec: &crate::extract::RawRecord,
        ctx: MapContext<'_>,
        carry: bool,
        day_first: bool,
        one_column: bool,
    ) -> (Referral, Vec<EntryMapping>) {
        let mut acc = values::Accumulator::new(ctx, day_first);
        let mut targets: Vec<Option<Target>> = Vec::with_capacity(rec.entries.len());
        let mut changed: Vec<bool> = Vec::with_capacity(rec.entries.len());
        // The role the last labels named carries to unqualified ones after them, within a section.
        let mut context = None;
        let mut after_org = false;
        let mut section = None;
        let mut doubted: BTreeMap<FieldKey, String> = BTreeMap::new();
        let mut doubted_lists: BTreeMap<FieldKey, String> = BTreeMap::new();
        for (i, entry) in rec.entries.iter().enumerate() {
            if entry.section != section {
                section = entry.section.clone();
                context = None;
            }
            let own_role = self.vocabulary.label_role(entry).filter(|r| *r != Role::Other);
            let own_role = own_role.or((after_org && contact_label(entry)).then_some(Role::Referrer));
            let target = profile
                .and_then(|p| p.target_for(entry).map(|t| (t, generic::score::PROFILE)))
                .or_else(|| {
                    self.vocabulary
                        .target_for(entry, ctx.catalog, own_role.or(context))
                })
                .or_else(|| values::catalog_list(entry, ctx.catalog))
                .or_else(|| self.typed_by_value(entry, own_role.or(context)))
                // A label read by OCR with a letter wrong ("ZAP", "Ciry"): read as it was
                // printed, when one known word is one letter away.
                .or_else(|| {
                    let read = entry.confidence.is_some() && matches!(entry.value, RawValue::Text(_));
                    let name = read.then(|| self.vocabulary.respelled(&entry.name)).flatten()?;
                    let spelled = RawEntry {
                        name,
                        ..entry.clone()
                    };
                    self.vocabulary
                        .target_for(&spelled, ctx.catalog, own_role.or(context))
                });
            // A party's word alone answered with catalogue items ("Requesting: Respite services
            // for caregiver") asks for those items, not for a person.
            let target = match target {
                Some((Target::Field(FieldKey::ReferrerName) | Target::MemberName, score))
                    if score <= generic::score::ROLE_ONLY =>
                {
                    values::catalog_list(entry, ctx.catalog).or(target)
                }
                t => t,
            };
            // The role a label names carries to the unqualified labels after it — unless the
            // label is one we deliberately do not read ("X-Ref / Booking #" names no referrer).
            // Nor a label about the referral itself: "Ref Date" is the referral's date, and the
            // "Last Name" column after it is still the member's.
            if let Some(r) = own_role
                && !matches!(target, Some((Target::Ignore, _)))
                && !target.as_ref().is_some_and(|(t, _)| about_the_referral(t))
                && carry
                && !answered_with_a_kind_of_referrer(target.as_ref(), entry)
                && !(one_column && related_to_the_member(target.as_ref(), r))
                && self.vocabulary.role_carries(entry)
            {
                context = Some(r);
            }
            // The referring organisation's column ("chw_org", "Agency") with no party named: the
            // "contact" and "contact_phone" right after it are that organisation's person.
            // (A "contact" label taken so names the referrer itself, and that role carries on.)
            after_org = own_role.is_none()
                && carry
                && matches!(target, Some((Target::Field(FieldKey::ReferrerOrganization), _)));
            let before = acc.fingerprint();
            if let Some((t, score)) = &target {
                // An OCR'd value read with doubt is never used (SPEC §5): the field it would
                // give is uncertain instead, unless a surer entry gives it.
                if entry
                    .confidence
                    .is_some_and(|c| c < crate::extract::ocr::DOUBT_BELOW)
                {
                    match t {
                        // A doubtful box on a list: the list may lack an item or hold a wrong
                        // one, whatever the other boxes give (SPEC §5, issue #10).
                        Target::Tick(tick) => {
                            if let Some(key) = list_of(tick) {
                                doubted_lists
                                    .entry(key)
                                    .or_insert_with(|| doubts::label_of(entry));
                            }
                        }
                        // A field, or a whole name, address or number in one doubtful box:
                        // each field it would give is uncertain ("Youth name  Phantomia,
                        // Marisol °").
                        _ => {
                            for key in fields_of(t) {
                                doubted.entry(*key).or_insert_with(|| doubts::label_of(entry));
                            }
                        }
                    }
                } else if let (Target::Program, RawValue::Text(v)) = (t, &entry.value)
                    && values::programs_in_text(v).is_empty()
                {
                    // An export value in the writer's abbreviations ("Enhanced_Care_Mgmt") is
                    // read in the vocabulary's words.
                    let spelled = RawEntry {
                        value: RawValue::Text(self.vocabulary.canon(v)),
                        ..entry.clone()
                    };
                    acc.apply(i, t, &spelled, *score);
                } else {
                    acc.apply(i, t, entry, *score);
                }
            }
            changed.push(acc.fingerprint() != before);
            targets.push(target.map(|t| t.0));
        }
        let holders: BTreeSet<usize> = acc.holders.values().copied().collect();
        let mut referral = acc.finish();
        let trace = rec
            .entries
            .iter()
            .zip(targets.iter())
            .zip(changed)
            .enumerate()
            .map(|(i, ((entry, target), changed))| {
                EntryMapping::of(entry, target.as_ref(), changed || holders.contains(&i))
            })
            .collect::<Vec<_>>();
        referral.uncertain = doubts::uncertain_fields(&referral, rec, &trace, &self.vocabulary);
        for (key, label) in doubted {
            if !referral.fields.has(key) {
                referral.uncertain.entry(key).or_insert(label);
            }
        }
        for (key, label) in doubted_lists {
            referral.uncertain.entry(key).or_insert(label);
        }
        (referral, trace)
    }
}

/// The fields a target's value gives (none for ticks, the program and what is ignored).
fn fields_of(t: &Target) -> &[FieldKey] {
    match t {
        Target::Field(key) => std::slice::from_ref(key),
        Target::MemberName => &[FieldKey::MemberFirstName, FieldKey::MemberLastName],
        Target::MemberAddressLine => &[FieldKey::MemberAddress],
        Target::MrnOrCin => &[FieldKey::MemberCin],
        Target::ReferrerFirstName | Target::ReferrerLastName => &[FieldKey::ReferrerName],
        Target::ChwHours => &[FieldKey::ChwUnits],
        Target::MemberCityZip => &[FieldKey::MemberCity, FieldKey::MemberZip],
        _ => &[],
    }
}

/// The list field a tick box adds to, if it is one of the lists (populations, supports, needs).
fn list_of(tick: &target::TickValue) -> Option<FieldKey> {
    match tick {
        target::TickValue::Population(_) => Some(FieldKey::EcmPopulations),
        target::TickValue::Support(_) => Some(FieldKey::CsServices),
        target::TickValue::Need(_) => Some(FieldKey::ChwNeeds),
        _ => None,
    }
}

impl Profiles {
    /// An entry no label rule claimed whose value can only be one thing: an email address, or a
    /// US phone number. It is the email or phone of whoever the section or the labels before it
    /// are about (nobody's when nothing says), and the weakest of guesses, so any labelled value
    /// wins over it.
    fn typed_by_value(&self, entry: &RawEntry, context: Option<Role>) -> Option<(Target, f32)> {
        // "Submitted" / "Sent" / "Received" / "Referred" alone over a date: when the referral
        // was sent.
        // Not a synonym: "Submitted by" names the referrer, and its words must stay theirs.
        let sent_word = ["submitted", "sent", "received", "dated", "referred"]
            .contains(&crate::catalog::norm(&entry.name).as_str());
        let dated = match &entry.value {
            crate::extract::RawValue::Date(_) => true,
            crate::extract::RawValue::Text(t) => {
                crate::normalize::parse_date(t, chrono::NaiveDate::MAX, false).is_ok_and(|d| d.is_some())
            }
            _ => false,
        };
        if sent_word && dated {
            return Some((Target::Field(FieldKey::ReferralDate), generic::score::ROLE_ONLY));
        }
        let crate::extract::RawValue::Text(t) = &entry.value else {
            return None;
        };
        let t = t.trim();
        // A choice named for nothing a reader sees (`RadioButtonList[0]`) whose answer is a kind
        // of referrer, whole ("Medical provider", "Social services provider"): the referrer's
        // relationship to the member.
        if crate::profile::generic::relationship_caption(&crate::catalog::norm(t), "relationship").is_some()
            && t.split_whitespace().count() >= 2
        {
            return Some((
                Target::Field(FieldKey::ReferrerRelationship),
                generic::score::ROLE_ONLY,
            ));
        }
        let email = t.contains('@')
            && !t.contains(' ')
            && crate::normalize::normalize_email(t).is_ok_and(|e| e.is_some());
        let phone = t.chars().filter(char::is_ascii_digit).count() == 10
            && crate::normalize::normalize_phone(t).is_ok_and(|p| p.is_some());
        // Only inside a part of the form that is about someone: a phone line or inbox address
        // printed in the instructions at the top ("Northern California: ...") is nobody's.
        let role = self.vocabulary.section_role(entry).or(context)?;
        let key = match (email, phone, role) {
            (_, _, Role::Other) => return None,
            (true, _, Role::Referrer) => FieldKey::ReferrerEmail,
            (true, _, _) => FieldKey::MemberEmail,
            (_, true, Role::Referrer) => FieldKey::ReferrerPhone,
            (_, true, _) => FieldKey::MemberPhone,
            _ => return None,
        };
        Some((Target::Field(key), generic::score::ROLE_ONLY))
    }
}

/// Whether a record says who the member is: a name, a date of birth or an identifier.
/// Whether a record holds the member's name, whole or in parts.
/// A batch whose sender is a record of its own (a "Staff" sheet beside the "Youth" sheet, a
/// sender's block apart from the rows): one record naming a referrer and no member. Its
/// referrer, and its date, go to every member record that lacks them.
fn from_sender_record(referrals: &mut [Referral]) {
    let mut senders = referrals
        .iter()
        .filter(|r| !names_someone(&r.fields) && r.fields.referrer_name.is_some());
    let (Some(sender), None) = (senders.next(), senders.next()) else {
        return;
    };
    let s = sender.fields.clone();
    for r in referrals.iter_mut().filter(|r| names_someone(&r.fields)) {
        let f = &mut r.fields;
        if f.referrer_name.is_some() {
            continue;
        }
        f.referrer_name.clone_from(&s.referrer_name);
        f.referrer_organization = f
            .referrer_organization
            .take()
            .or_else(|| s.referrer_organization.clone());
        f.referrer_phone = f.referrer_phone.take().or_else(|| s.referrer_phone.clone());
        f.referrer_email = f.referrer_email.take().or_else(|| s.referrer_email.clone());
        f.referrer_npi = f.referrer_npi.take().or_else(|| s.referrer_npi.clone());
        f.referrer_relationship = f.referrer_relationship.or(s.referrer_relationship);
        f.referral_date = f.referral_date.or(s.referral_date);
    }
}

fn has_member_name(f: &Fields) -> bool {
    f.member_first_name.is_some() || f.member_last_name.is_some()
}

fn names_someone(f: &Fields) -> bool {
    f.member_first_name.is_some()
        || f.member_last_name.is_some()
        || f.member_dob.is_some()
        || f.member_cin.is_some()
        || f.member_mrn.is_some()
}

/// Where one raw entry went, for `extract --raw`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryMapping {
    /// The target it mapped to (`member_dob`, `cs_services=2`, `ignore`), if any.
    pub mapped_to: Option<String>,
    /// Why it did or did not give a value.
    pub why: &'static str,
}

impl EntryMapping {
    fn of(entry: &RawEntry, target: Option<&Target>, used: bool) -> EntryMapping {
        let why = match target {
            None if entry.value.is_blank() => "blank, and no vocabulary match",
            None => "no vocabulary match: add a synonym to forms/generic.toml or a profile line",
            Some(Target::Ignore) => "deliberately not read (someone else's data, or not a referral field)",
            Some(_) if used => "used",
            Some(_) if entry.value.is_blank() => "blank",
            Some(Target::Tick(_)) => "not ticked",
            Some(_) => "lost to a better match, or the value was unusable",
        };
        EntryMapping {
            mapped_to: target.map(ToString::to_string),
            why,
        }
    }

    /// Whether no label rule claimed this entry.
    pub fn unmapped(&self) -> bool {
        self.mapped_to.is_none()
    }
}

impl Profile {
    fn target_for(&self, entry: &RawEntry) -> Option<Target> {
        self.fields
            .get(&norm(&entry.name))
            .or_else(|| entry.alt.as_ref().and_then(|a| self.fields.get(&norm(a))))
            .cloned()
    }
}

/// A label answered with a kind of referrer ("Referral source: Law enforcement", a boxed form's
/// caption among the member's): it says what sort of party refers, not that the referrer's own
/// labels follow, so its role carries to none. ("Who is referring: Pat Sample, RN" is answered
/// with a person, and does.)
fn answered_with_a_kind_of_referrer(target: Option<&(Target, f32)>, entry: &RawEntry) -> bool {
    matches!(target, Some((Target::Field(FieldKey::ReferrerRelationship), _)))
        && matches!(&entry.value, crate::extract::RawValue::Text(t)
            if generic::relationship_caption(&norm(t), "relationship").is_some())
}

/// "Relationship to member: Mother" under the referrer's name in a body is the referrer's: the
/// member is named as the other end of the relation, and the "Phone" after it is still the
/// referrer's.
fn related_to_the_member(target: Option<&(Target, f32)>, role: Role) -> bool {
    role == Role::Member && matches!(target, Some((Target::Field(FieldKey::ReferrerRelationship), _)))
}

/// A target that is about the referral rather than a person: its label's role (the "Ref" of
/// "Ref Date") says nothing about the labels after it.
fn about_the_referral(t: &Target) -> bool {
    use crate::model::FieldKey as K;
    match t {
        Target::Field(k) => matches!(
            k,
            K::ReferralDate
                | K::Reason
                | K::EcmPopulations
                | K::CsServices
                | K::ChwNeeds
                | K::ChwUnits
                | K::Attestation
                | K::KpMember
                | K::EnrolledInEcm
                | K::HealthPlan
        ),
        Target::Program | Target::ChwHours | Target::Tick(_) => true,
        _ => false,
    }
}

/// A label about a contact person and nothing else ("Contact", "contact_phone", "Contact
/// email"): whose contact, the label before it says.
fn contact_label(entry: &crate::extract::RawEntry) -> bool {
    let n = crate::catalog::norm(&entry.name);
    let mut words = n.split(' ');
    words.next() == Some("contact")
        && words.all(|w| matches!(w, "name" | "person" | "phone" | "email" | "tel" | "number"))
}
