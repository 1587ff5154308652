//! The generic profile: understanding a label from its words (`config/forms/generic.toml`).
//!
//! A label is read as ROLE + ATTRIBUTE: "Beneficiary Last Name" is the member's last name,
//! "Referring Agency Phone" the referrer's phone, "Emergency Contact Phone" nobody we record.
//! Checkbox captions are matched against programs, referrer relationships and the catalogues
//! (Populations of Focus, Community Supports, CHW needs) by name.

use std::collections::BTreeMap;

use super::target::{Target, TickValue};
use crate::config::{Catalog, Problems, SourceFile, find_phrase, norm, strip_enumeration};
use crate::extract::{RawEntry, RawValue};
use crate::model::{FieldKey, Program, Relationship};

/// Whose data a label is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Referrer,
    Other,
}

/// What a label is about, regardless of whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    FirstName,
    LastName,
    Name,
    Dob,
    Cin,
    Mrn,
    MrnOrCin,
    Phone,
    Email,
    Address,
    City,
    Zip,
    County,
    Language,
    HealthPlan,
    Npi,
    Organization,
    Relationship,
    ReferralDate,
    Reason,
    EnrolledInEcm,
    Attestation,
    KpMember,
    Populations,
    Supports,
    Needs,
    Program,
    Ignore,
}

const ATTRS: &[(&str, Attr)] = &[
    ("first_name", Attr::FirstName),
    ("last_name", Attr::LastName),
    ("name", Attr::Name),
    ("dob", Attr::Dob),
    ("cin", Attr::Cin),
    ("mrn", Attr::Mrn),
    ("mrn_or_cin", Attr::MrnOrCin),
    ("phone", Attr::Phone),
    ("email", Attr::Email),
    ("address", Attr::Address),
    ("city", Attr::City),
    ("zip", Attr::Zip),
    ("county", Attr::County),
    ("language", Attr::Language),
    ("health_plan", Attr::HealthPlan),
    ("npi", Attr::Npi),
    ("organization", Attr::Organization),
    ("relationship", Attr::Relationship),
    ("referral_date", Attr::ReferralDate),
    ("reason", Attr::Reason),
    ("enrolled_in_ecm", Attr::EnrolledInEcm),
    ("attestation", Attr::Attestation),
    ("kp_member", Attr::KpMember),
    ("populations", Attr::Populations),
    ("supports", Attr::Supports),
    ("needs", Attr::Needs),
    ("program", Attr::Program),
    ("ignore", Attr::Ignore),
];

/// The generic profile's word lists, normalised.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    roles: Vec<(String, Role)>,
    attrs: Vec<(String, Attr)>,
}

impl Vocabulary {
    pub(super) fn parse(
        src: &SourceFile,
        roles: Option<&toml::Value>,
        attrs: Option<&toml::Value>,
        problems: &mut Problems,
    ) -> Option<Vocabulary> {
        let mut ok = true;
        let mut lists = |v: Option<&toml::Value>, what: &str| -> BTreeMap<String, Vec<String>> {
            let parsed = v
                .cloned()
                .map(|v| v.try_into::<BTreeMap<String, Vec<String>>>())
                .transpose()
                .unwrap_or_else(|e| {
                    problems.push(format!(
                        "{}: [{what}] must map names to lists of phrases: {e}",
                        src.name
                    ));
                    ok = false;
                    None
                });
            parsed.unwrap_or_default()
        };
        let raw_roles = lists(roles, "roles");
        let raw_attrs = lists(attrs, "attributes");
        let mut vocab = Vocabulary {
            roles: Vec::new(),
            attrs: Vec::new(),
        };
        for (name, phrases) in raw_roles {
            let role = match name.as_str() {
                "member" => Role::Member,
                "referrer" => Role::Referrer,
                "other" => Role::Other,
                _ => {
                    problems.push(format!(
                        "{}: [roles] `{name}` is not a role; use member, referrer or other",
                        src.name
                    ));
                    ok = false;
                    continue;
                }
            };
            vocab.roles.extend(phrases.iter().map(|p| (norm(p), role)));
        }
        for (name, phrases) in raw_attrs {
            let Some((_, attr)) = ATTRS.iter().find(|(n, _)| *n == name) else {
                problems.push(format!(
                    "{}: [attributes] `{name}` is not known; known: {}",
                    src.name,
                    ATTRS.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
                ));
                ok = false;
                continue;
            };
            vocab.attrs.extend(phrases.iter().map(|p| (norm(p), *attr)));
        }
        // Longest phrases first, so "date of birth" beats "date" and "medi cal plan" beats "medi cal".
        vocab.attrs.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        ok.then_some(vocab)
    }

    /// The target for an entry, trying its name, then its second name (tooltip / caption), with
    /// how specifically the label matched (1.0 = the label is exactly an attribute phrase).
    ///
    /// `context` is the role the record's recent labels named ("Referred by" makes the
    /// "Phone" after it the referrer's); a label's own words and its section heading come first.
    pub fn target_for(
        &self,
        entry: &RawEntry,
        catalog: &Catalog,
        context: Option<Role>,
    ) -> Option<(Target, f32)> {
        let labels = || std::iter::once(entry.name.as_str()).chain(entry.alt.as_deref());
        // A tick's caption may be in either name (`ECM_POF_1` with the tooltip "Homeless"), so
        // captions are tried on both before either is read as a label.
        if is_tickish(&entry.value) {
            let section = entry.section.as_deref().map(norm).unwrap_or_default();
            if let Some(t) = labels().find_map(|l| self.answer_box(l, entry, &section, catalog, context)) {
                return Some((t, 1.0));
            }
            if let Some(t) = labels().find_map(|l| caption_target(l, &section, catalog)) {
                return Some((t, 1.0));
            }
        }
        labels()
            .find_map(|label| self.target_for_label(label, entry, context))
            .or_else(|| labels().find_map(|label| self.person_for_label(label, entry)))
    }

    /// One box of a Yes/No pair per item ("Sobering Centers - Yes" / "Sobering Centers - No",
    /// "KP member: No"): the item with its answer. A ticked "Yes" box means the item; a ticked
    /// "No" box means the item is NOT wanted, so it must not read as the item's caption, and for
    /// a yes/no question it answers `false`.
    fn answer_box(
        &self,
        label: &str,
        entry: &RawEntry,
        section: &str,
        catalog: &Catalog,
        context: Option<Role>,
    ) -> Option<Target> {
        let n = norm(&strip_enumeration(label));
        let (item, answer) = n.rsplit_once(' ')?;
        let yes = match answer {
            "yes" => true,
            "no" => false,
            _ => return None,
        };
        if let Some(t) = caption_target(item, section, catalog) {
            return Some(if yes { t } else { Target::Ignore });
        }
        let question = RawEntry {
            name: item.to_string(),
            alt: None,
            section: entry.section.clone(),
            value: RawValue::Text(String::new()),
        };
        match self.target_for_label(item, &question, context)?.0 {
            Target::Field(k @ (FieldKey::KpMember | FieldKey::EnrolledInEcm | FieldKey::Attestation)) => {
                Some(Target::Tick(TickValue::Bool(k, yes)))
            }
            _ => None,
        }
    }

    /// A person named by role alone: "Referring Worker", "Referred by", "Requestor" for the
    /// referrer; "Patient", "Client" for the member. A guess, so it scores low.
    fn person_for_label(&self, label: &str, entry: &RawEntry) -> Option<(Target, f32)> {
        let n = norm(&strip_enumeration(label));
        if n.is_empty() || is_prose(label) || self.attr(&n).is_some() || n.split(' ').count() > 4 {
            return None;
        }
        match self.role(&n)? {
            Role::Referrer => Some((Target::Field(FieldKey::ReferrerName), 0.25)),
            Role::Member if !is_tickish(&entry.value) => Some((Target::MemberName, 0.25)),
            _ => None,
        }
    }

    /// The role an entry's own words name (not its section), for carrying to the next labels.
    pub fn label_role(&self, entry: &RawEntry) -> Option<Role> {
        std::iter::once(entry.name.as_str())
            .chain(entry.alt.as_deref())
            .find_map(|l| self.role(&norm(&strip_enumeration(l))))
    }

    /// The role a section heading names.
    pub fn section_role(&self, entry: &RawEntry) -> Option<Role> {
        entry.section.as_deref().and_then(|s| self.role(&norm(s)))
    }

    fn target_for_label(
        &self,
        label: &str,
        entry: &RawEntry,
        context: Option<Role>,
    ) -> Option<(Target, f32)> {
        let n = norm(&strip_enumeration(label));
        if n.is_empty() || is_prose(label) {
            return None;
        }
        let own = self.role(&n);
        let role = own
            .or_else(|| self.section_role(entry))
            .or(context)
            .unwrap_or(Role::Member);
        let (attr, phrase_len) = self.attr(&n)?;
        let specificity = (phrase_len as f32 / n.len().max(1) as f32).min(1.0);
        if attr == Attr::Populations && is_tickish(&entry.value) {
            // `ECM_POF_3`, "POF 3": a numbered Population of Focus checkbox.
            let n = n
                .rsplit(' ')
                .next()
                .and_then(|d| d.parse::<u8>().ok())
                .filter(|d| (1..=9).contains(d))?;
            return Some((Target::Tick(TickValue::Population(n)), 1.0));
        }
        let target = match (role, attr) {
            (_, Attr::Ignore) | (Role::Other, _) => Target::Ignore,
            (_, Attr::ReferralDate) => Target::Field(FieldKey::ReferralDate),
            (_, Attr::Reason) => Target::Field(FieldKey::Reason),
            (_, Attr::EnrolledInEcm) => Target::Field(FieldKey::EnrolledInEcm),
            (_, Attr::Attestation) => Target::Field(FieldKey::Attestation),
            (_, Attr::KpMember) => Target::Field(FieldKey::KpMember),
            (_, Attr::Populations) => Target::Field(FieldKey::EcmPopulations),
            (_, Attr::Supports) => Target::Field(FieldKey::CsServices),
            (_, Attr::Needs) => Target::Field(FieldKey::ChwNeeds),
            // "Program: Example Behavioral Health" under a clinician is the referrer's program,
            // i.e. their organisation, when the text names none of ours.
            (Role::Referrer, Attr::Program) if names_no_program(&entry.value) => {
                Target::Field(FieldKey::ReferrerOrganization)
            }
            (_, Attr::Program) => Target::Program,
            (_, Attr::Npi) => Target::Field(FieldKey::ReferrerNpi),
            (_, Attr::Organization) => Target::Field(FieldKey::ReferrerOrganization),
            (_, Attr::Relationship) => Target::Field(FieldKey::ReferrerRelationship),
            (_, Attr::HealthPlan) => Target::Field(FieldKey::HealthPlan),
            (Role::Referrer, Attr::Name) => Target::Field(FieldKey::ReferrerName),
            (Role::Referrer, Attr::FirstName) => Target::ReferrerFirstName,
            (Role::Referrer, Attr::LastName) => Target::ReferrerLastName,
            (Role::Referrer, Attr::Phone) => Target::Field(FieldKey::ReferrerPhone),
            (Role::Referrer, Attr::Email) => Target::Field(FieldKey::ReferrerEmail),
            // A referrer's own address, date of birth or IDs are not recorded.
            (Role::Referrer, _) => Target::Ignore,
            (Role::Member, Attr::Name) => Target::MemberName,
            (Role::Member, Attr::FirstName) => Target::Field(FieldKey::MemberFirstName),
            (Role::Member, Attr::LastName) => Target::Field(FieldKey::MemberLastName),
            (Role::Member, Attr::Dob) => Target::Field(FieldKey::MemberDob),
            (Role::Member, Attr::Cin) => Target::Field(FieldKey::MemberCin),
            (Role::Member, Attr::Mrn) => Target::Field(FieldKey::MemberMrn),
            (Role::Member, Attr::MrnOrCin) => Target::MrnOrCin,
            (Role::Member, Attr::Phone) => Target::Field(FieldKey::MemberPhone),
            (Role::Member, Attr::Email) => Target::Field(FieldKey::MemberEmail),
            (Role::Member, Attr::Address) => Target::MemberAddressLine,
            (Role::Member, Attr::City) => Target::Field(FieldKey::MemberCity),
            (Role::Member, Attr::Zip) => Target::Field(FieldKey::MemberZip),
            (Role::Member, Attr::County) => Target::Field(FieldKey::MemberCounty),
            (Role::Member, Attr::Language) => Target::Field(FieldKey::MemberLanguage),
        };
        Some((target, specificity))
    }

    /// The longest attribute phrase in the label, with its length.
    fn attr(&self, n: &str) -> Option<(Attr, usize)> {
        let padded = format!(" {n} ");
        self.attrs
            .iter()
            .find(|(p, _)| find_phrase(&padded, p).is_some())
            .map(|(p, a)| (*a, p.len()))
    }

    /// The role a label's words give: someone else's data wins, then the earliest role phrase.
    fn role(&self, n: &str) -> Option<Role> {
        if n.is_empty() {
            return None;
        }
        // A program's name is not a role: "Community Health Worker Services Request" names no
        // referrer.
        let padded = format!(" {n} ")
            .replace(" community health workers ", " ")
            .replace(" community health worker ", " ");
        let mut found: Vec<(usize, Role)> = self
            .roles
            .iter()
            .filter_map(|(p, r)| find_phrase(&padded, p).map(|i| (i, *r)))
            .collect();
        if found.iter().any(|(_, r)| *r == Role::Other) {
            return Some(Role::Other);
        }
        found.sort_by_key(|(i, _)| *i);
        found.first().map(|(_, r)| *r)
    }
}

/// Typed text that names no program ("Example Behavioral Health", not "ECM").
fn names_no_program(v: &RawValue) -> bool {
    match v {
        RawValue::Text(t) => !t.trim().is_empty() && super::values::programs_in_text(t).is_empty(),
        _ => false,
    }
}

/// Instructions printed on a form ("Send completed form by secure email. Northern California")
/// are sentences, not labels: a full stop inside, or too many words.
fn is_prose(label: &str) -> bool {
    let t = label.trim();
    let inner_stop = t.trim_end_matches('.').contains(". ");
    inner_stop || t.split_whitespace().count() > 14
}

/// Whether a value looks like a tick: a checkbox, or a short yes/X mark in a cell.
pub(super) fn is_tickish(v: &RawValue) -> bool {
    match v {
        RawValue::Checked(_) => true,
        RawValue::Text(t) => {
            let t = t.trim();
            t.chars().count() <= 4 && crate::normalize::parse_bool(t).is_ok_and(|b| b.is_some())
        }
        RawValue::Date(_) | RawValue::Number(_) => false,
    }
}

/// What a tick's caption names: a program, a referrer relationship, or a catalogue item.
fn caption_target(label: &str, section: &str, catalog: &Catalog) -> Option<Target> {
    let n = norm(&strip_enumeration(label));
    if n.is_empty() {
        return None;
    }
    if let Some(p) = program_caption(&n) {
        return Some(Target::Tick(TickValue::Program(p)));
    }
    if let Some(r) = relationship_caption(&n, section) {
        return Some(Target::Tick(TickValue::Relationship(r)));
    }
    catalog_caption(&n, catalog)
}

/// A caption that is just a program's name ("ECM", "Community Supports (CS)", "CHW services").
pub(super) fn program_caption(n: &str) -> Option<Program> {
    const FILLER: &[&str] = &[
        "referral", "services", "service", "request", "program", "for", "the", "s", "benefit",
    ];
    let words: Vec<&str> = n.split(' ').filter(|w| !FILLER.contains(w)).collect();
    let has = |ws: &[&str]| ws.iter().all(|w| words.contains(w));
    let only = |allowed: &[&str]| !words.is_empty() && words.iter().all(|w| allowed.contains(w));
    if only(&["ecm", "enhanced", "care", "management"])
        && (has(&["ecm"]) || has(&["enhanced", "care", "management"]))
    {
        return Some(Program::Ecm);
    }
    if only(&["cs", "community", "supports", "support"]) && (has(&["cs"]) || has(&["community"])) {
        return Some(Program::Cs);
    }
    if only(&["chw", "chws", "community", "health", "worker", "workers"])
        && (has(&["chw"]) || has(&["worker"]) || has(&["workers"]))
    {
        return Some(Program::Chw);
    }
    None
}

/// A caption naming who refers ("Medical provider", "Social services provider", "Member/family").
pub(super) fn relationship_caption(n: &str, section: &str) -> Option<Relationship> {
    // Only captions made of relationship words: "Homeless (individual or family)" is a
    // population, not a relationship.
    const VOCAB: &[&str] = &[
        "medical",
        "provider",
        "providers",
        "health",
        "care",
        "healthcare",
        "clinical",
        "social",
        "services",
        "service",
        "community",
        "based",
        "organization",
        "cbo",
        "member",
        "self",
        "family",
        "or",
        "and",
        "caregiver",
        "physician",
        "clinic",
        "hospital",
        "other",
        "specify",
        "s",
        "the",
        "a",
        "relative",
        "please",
    ];
    if n.split(' ').count() > 6 || !n.split(' ').all(|w| VOCAB.contains(&w)) {
        return None;
    }
    let padded = format!(" {n} ");
    let has = |w: &str| find_phrase(&padded, w).is_some();
    if has("social service") || has("social services") || has("community based organization") || has("cbo") {
        return Some(Relationship::SocialServicesProvider);
    }
    if (has("provider") && (has("medical") || has("health care") || has("healthcare") || has("clinical")))
        || n == "physician"
        || n == "medical provider"
        || n == "clinic"
        || n == "hospital"
    {
        return Some(Relationship::MedicalProvider);
    }
    if has("self")
        || has("family")
        || has("member family")
        || n == "member"
        || has("caregiver")
        || has("family member")
    {
        return Some(Relationship::MemberFamily);
    }
    // A bare "Other" is a relationship only under a heading that asks about the referrer.
    if (n == "other" || n.starts_with("other "))
        && (section.contains("relationship") || section.contains("referr"))
    {
        return Some(Relationship::Other);
    }
    None
}

/// A caption naming a Population of Focus, Community Support or CHW need (longest alias wins).
fn catalog_caption(n: &str, catalog: &Catalog) -> Option<Target> {
    let pop = catalog
        .match_population(n)
        .map(|(p, l)| (Target::Tick(TickValue::Population(p)), l));
    let cs = catalog
        .match_support(n)
        .map(|(p, l)| (Target::Tick(TickValue::Support(p)), l));
    let need = catalog
        .match_need(n)
        .map(|(p, l)| (Target::Tick(TickValue::Need(p)), l));
    [pop, cs, need]
        .into_iter()
        .flatten()
        .max_by_key(|(_, l)| *l)
        .map(|(t, _)| t)
}

#[cfg(test)]
mod tests;
