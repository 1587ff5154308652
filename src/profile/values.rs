//! Turning mapped raw values into canonical [`Fields`]: normalise, split, and keep the first value
//! found for each key (later different values become a `conflict:` warning).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::generic::{program_caption, relationship_caption};
use super::target::{Target, TickValue};
use super::{MapContext, Referral};
use crate::catalog::{find_phrase, norm, strip_enumeration};
use crate::extract::{RawEntry, RawValue};
use crate::model::{FieldKey, Program, Relationship};
use crate::normalize as nz;

/// Collects one record's values.
pub(super) struct Accumulator<'a> {
    ctx: MapContext<'a>,
    r: Referral,
    /// How specifically the label that gave each field matched; a later, more specific label
    /// wins ("Health Plan" over a title that merely contains the words).
    scores: std::collections::HashMap<FieldKey, f32>,
    /// The score of the entry being applied.
    score: f32,
    /// Which entry (by index in its record) gave each field its current value.
    pub(super) holders: std::collections::HashMap<FieldKey, usize>,
    /// The index of the entry being applied.
    current: usize,
    referrer_first: Option<String>,
    referrer_last: Option<String>,
    /// The document writes numeric dates day first (one of them reads no other way).
    day_first: bool,
}

type Norm<T> = Result<Option<T>, nz::Invalid>;

impl<'a> Accumulator<'a> {
    pub(super) fn new(ctx: MapContext<'a>, day_first: bool) -> Self {
        Accumulator {
            ctx,
            r: Referral::default(),
            scores: std::collections::HashMap::new(),
            score: 1.0,
            holders: std::collections::HashMap::new(),
            current: 0,
            referrer_first: None,
            referrer_last: None,
            day_first,
        }
    }

    pub(super) fn apply(&mut self, index: usize, target: &Target, entry: &RawEntry, score: f32) {
        self.score = score;
        self.current = index;
        let v = &entry.value;
        match target {
            Target::Ignore => {}
            // A plan question answered Yes or No ("member.plan.kp: Yes", "Kaiser plan? No")
            // names no plan: its label says which plan it asks about.
            Target::Field(FieldKey::HealthPlan)
                if let Some(kp) = text_of(v).and_then(|t| nz::parse_bool(&t).ok().flatten())
                    && label_names_kp(entry, self.ctx.catalog) =>
            {
                self.set_bool(FieldKey::KpMember, Ok(Some(kp)));
            }
            Target::Field(key) => self.field(*key, v),
            Target::Tick(tick) => {
                let on = match v {
                    RawValue::Checked(b) => *b,
                    RawValue::Text(t) => nz::parse_bool(t).ok().flatten().unwrap_or(false),
                    _ => false,
                };
                if on {
                    self.tick(tick);
                }
            }
            Target::MemberName => {
                if let Some(full) = text_of(v).and_then(|t| nz::clean_text(&t)) {
                    match nz::split_name(&full) {
                        Some((first, last)) => {
                            if let Some(f) = first {
                                self.set_str(FieldKey::MemberFirstName, Ok(Some(f)));
                            }
                            if let Some(l) = last {
                                self.set_str(FieldKey::MemberLastName, Ok(Some(l)));
                            }
                        }
                        None => self.invalid(FieldKey::MemberLastName),
                    }
                }
            }
            Target::MemberCityZip => {
                if let Some(line) = text_of(v).and_then(|t| nz::clean_text(&t)) {
                    let (city, zip) = nz::split_city_zip(&line);
                    if let Some(c) = city {
                        self.set_str(FieldKey::MemberCity, Ok(Some(c)));
                    }
                    if let Some(z) = zip {
                        self.set_str(FieldKey::MemberZip, nz::normalize_zip(&z));
                    }
                }
            }
            Target::MemberAddressLine => {
                // Split the value as written: a line break between street and city says where
                // one ends ("1901 Alameda de las Pulgas\nSan Mateo, CA 94403").
                if let Some(raw) = text_of(v)
                    && nz::clean_text(&raw).is_some_and(|t| !nz::no_address(&t))
                {
                    let parts = nz::split_address(&raw);
                    if let Some(s) = parts.street {
                        self.set_str(FieldKey::MemberAddress, Ok(Some(s)));
                    }
                    if let Some(c) = parts.city {
                        self.set_str(FieldKey::MemberCity, Ok(Some(c)));
                    }
                    if let Some(z) = parts.zip {
                        self.set_str(FieldKey::MemberZip, nz::normalize_zip(&z));
                    }
                }
            }
            Target::MrnOrCin => {
                if let Some(t) = text_of(v) {
                    if nz::cin_shaped(&t) {
                        self.set_str(FieldKey::MemberCin, nz::normalize_cin(&t));
                    } else {
                        self.set_str(FieldKey::MemberMrn, nz::normalize_mrn(&t));
                    }
                }
            }
            Target::ReferrerFirstName => {
                if self.referrer_first.is_none() {
                    self.referrer_first = text_of(v).and_then(|t| nz::clean_text(&t));
                }
            }
            Target::ReferrerLastName => {
                if self.referrer_last.is_none() {
                    self.referrer_last = text_of(v).and_then(|t| nz::clean_text(&t));
                }
            }
            Target::Program => {
                if let Some(t) = text_of(v) {
                    self.r.programs.extend(programs_in_text(&t));
                }
            }
            Target::ChwHours => {
                let units = match v {
                    RawValue::Number(n) => Some(*n),
                    RawValue::Text(t) => first_number(t),
                    _ => None,
                }
                .filter(|h| *h > 0.0 && *h <= 1000.0)
                .map(|h| (h * 2.0).round() as u32);
                if let Some(u) = units {
                    self.set_units(u);
                }
            }
        }
    }

    fn set_units(&mut self, units: u32) {
        let score = self.score;
        let best = self.scores.get(&FieldKey::ChwUnits).copied().unwrap_or(f32::MIN);
        if self.r.fields.chw_units.is_none() || score > best + 0.05 {
            self.r.fields.chw_units = Some(units);
            self.scores.insert(FieldKey::ChwUnits, score);
            self.holders.insert(FieldKey::ChwUnits, self.current);
        }
    }

    /// A cheap summary of what the record holds so far, to tell whether an entry changed it.
    pub(super) fn fingerprint(&self) -> (usize, usize, usize, usize, usize, Option<u32>) {
        let f = &self.r.fields;
        (
            f.count(),
            f.ecm_populations.len(),
            f.cs_services.len(),
            f.chw_needs.len(),
            self.r.programs.len(),
            f.chw_units,
        )
    }

    fn tick(&mut self, tick: &TickValue) {
        let f = &mut self.r.fields;
        match tick {
            TickValue::Population(n) => {
                f.ecm_populations.insert(*n);
            }
            TickValue::Support(n) => {
                f.cs_services.insert(*n);
            }
            TickValue::Need(n) => {
                f.chw_needs.insert(*n);
            }
            TickValue::Program(p) => {
                self.r.programs.insert(*p);
            }
            TickValue::Bool(key, b) => self.set_bool(*key, Ok(Some(*b))),
            TickValue::Relationship(rel) => {
                if f.referrer_relationship.is_none() {
                    f.referrer_relationship = Some(*rel);
                }
            }
        }
    }

    fn field(&mut self, key: FieldKey, v: &RawValue) {
        use FieldKey as K;
        let today = self.ctx.today;
        match key {
            K::ReferralDate | K::MemberDob => {
                let birth = key == K::MemberDob;
                let d = match v {
                    RawValue::Date(d) => Ok(Some(*d)),
                    RawValue::Number(n) => nz::date_from_serial(*n, false).map(Some).ok_or(nz::Invalid),
                    RawValue::Text(t) if self.day_first => {
                        nz::parse_date_or_serial(&nz::day_first_to_month_first(t), today, birth)
                    }
                    RawValue::Text(t) => nz::parse_date_or_serial(t, today, birth),
                    RawValue::Checked(_) => Err(nz::Invalid),
                };
                let d = match d {
                    Ok(Some(d)) if birth && d > today => Err(nz::Invalid),
                    other => other,
                };
                self.set_date(key, d);
            }
            K::MemberCin => {
                if let Some(t) = text_of(v) {
                    self.set_str(key, nz::normalize_cin(&t));
                }
            }
            K::MemberMrn => {
                if let Some(t) = text_of(v) {
                    if nz::cin_shaped(&t) {
                        self.set_str(K::MemberCin, nz::normalize_cin(&t));
                    } else {
                        self.set_str(key, nz::normalize_mrn(&t));
                    }
                }
            }
            // "Referring PHN: Harlan Sample" (a public health nurse, not a phone number): a
            // name under a referrer's phone or email label is the referrer's name.
            K::ReferrerPhone | K::ReferrerEmail
                if text_of(v).is_some_and(|t| {
                    t.chars().filter(char::is_ascii_digit).count() < 7
                        && !t.contains('@')
                        && nz::led_by_person_name(&t)
                }) =>
            {
                self.field(K::ReferrerName, v);
            }
            K::MemberPhone | K::ReferrerPhone | K::MemberEmail | K::ReferrerEmail => {
                if let Some(t) = text_of(v) {
                    let (phone_key, email_key) = match key {
                        K::MemberPhone | K::MemberEmail => (K::MemberPhone, K::MemberEmail),
                        _ => (K::ReferrerPhone, K::ReferrerEmail),
                    };
                    // "Phone / email" in one box: each part where it belongs.
                    match split_contact(&t) {
                        (Some(p), Some(e)) => {
                            self.set_str(phone_key, nz::normalize_phone(&p));
                            self.set_str(email_key, nz::normalize_email(&e));
                        }
                        // A number alone under an email label, or an address alone under a
                        // phone label ("Phone / email:" with the two in separate cells), is
                        // what it is shaped like.
                        (None, Some(e)) if key == phone_key && e.trim() == t.trim() => {
                            self.set_str(email_key, nz::normalize_email(&e));
                        }
                        (Some(p), None) if key == email_key && p.trim() == t.trim() => {
                            self.set_str(phone_key, nz::normalize_phone(&p));
                        }
                        _ if key == phone_key => self.set_str(key, nz::normalize_phone(&t)),
                        _ => self.set_str(key, nz::normalize_email(&t)),
                    }
                }
            }
            K::MemberZip => {
                if let Some(t) = text_of(v) {
                    self.set_str(key, nz::normalize_zip(&t));
                }
            }
            K::ReferrerNpi => {
                if let Some(t) = text_of(v) {
                    self.set_str(key, nz::normalize_npi(&t));
                }
            }
            K::MemberCounty => {
                if let Some(t) = text_of(v) {
                    self.set_str(key, nz::normalize_county(&t));
                }
            }
            K::MemberAddress => {
                // Split the value as written: a line break between street and city says where
                // one ends ("1901 Alameda de las Pulgas\nSan Mateo, CA 94403").
                if let Some(raw) = text_of(v)
                    && let Some(line) = nz::clean_text(&raw).filter(|t| !nz::no_address(t))
                {
                    let parts = nz::split_address(&raw);
                    self.set_str(key, Ok(parts.street.or(Some(line))));
                    if let Some(c) = parts.city {
                        self.set_str(K::MemberCity, Ok(Some(c)));
                    }
                    if let Some(z) = parts.zip {
                        self.set_str(K::MemberZip, nz::normalize_zip(&z));
                    }
                }
            }
            K::ReferrerName => {
                // "Name, RN - Organisation": the person here, the organisation as a weak guess
                // that any labelled organisation beats.
                if let Some(t) = text_of(v).and_then(|t| nz::clean_text(&t)) {
                    // "…, tsample@x.example (CBO)": the kind of referrer in closing brackets.
                    let t = match t.trim_end().strip_suffix(')').and_then(|x| x.rsplit_once('(')) {
                        Some((before, inside))
                            if before.contains(',')
                                && let Some(rel) = super::generic::relationship_caption(
                                    &crate::catalog::norm(inside),
                                    "relationship",
                                ) =>
                        {
                            if self.r.fields.referrer_relationship.is_none() {
                                self.r.fields.referrer_relationship = Some(rel);
                            }
                            before.trim().to_string()
                        }
                        _ => t,
                    };
                    // "Pat Sample, Example Mission, 916-555-0168": the phone and email after the
                    // name are theirs too, weakly (a labelled phone wins).
                    let t = match crate::extract::name_then_contacts(&t) {
                        Some((person, contacts)) => {
                            for (kind, piece) in contacts {
                                match kind {
                                    crate::extract::Contact::Phone => {
                                        self.set_str_weakly(K::ReferrerPhone, nz::normalize_phone(&piece));
                                    }
                                    crate::extract::Contact::Email => {
                                        self.set_str_weakly(K::ReferrerEmail, nz::normalize_email(&piece));
                                    }
                                }
                            }
                            person
                        }
                        None => t,
                    };
                    // "Marisol Testa-Ruiz (mother)": who they are to the member, not their name.
                    let (outside, inside) = nz::split_parenthesised(&t);
                    let t = if t.trim_end().ends_with(')')
                        && !outside.trim().is_empty()
                        && names_a_relative(&inside)
                    {
                        if self.r.fields.referrer_relationship.is_none() {
                            self.r.fields.referrer_relationship = Some(Relationship::MemberFamily);
                        }
                        outside.trim().to_string()
                    } else {
                        t
                    };
                    let (name, org) = nz::split_signed_name(&t);
                    // "Submitted by: San Diego County CWS (sample)": an office, not a person. It is
                    // the organisation, and the name only until a person's name is read.
                    if org.is_none() && nz::names_organisation(&name) && !nz::led_by_person_name(&name) {
                        self.set_str_weakly(K::ReferrerOrganization, Ok(Some(name.clone())));
                        self.set_str_weakly(key, Ok(Some(name)));
                        return;
                    }
                    self.set_str(key, Ok(Some(name)));
                    if let Some(org) = org {
                        self.set_str_weakly(K::ReferrerOrganization, Ok(Some(org)));
                    }
                }
            }
            // "Office: 619.555.0193" under a referrer: a number, not an organisation.
            K::ReferrerOrganization
                if text_of(v).is_some_and(|t| crate::extract::contact_kind(t.trim()).is_some()) =>
            {
                self.field(K::ReferrerPhone, v);
            }
            // "Example County Agency - ECM referral log, week of 11/23/2026": the agency, not
            // what its sheet is called.
            K::ReferrerOrganization if text_of(v).is_some_and(|t| names_the_document(&t).is_some()) => {
                let t = text_of(v)
                    .and_then(|t| names_the_document(&t))
                    .unwrap_or_default();
                self.set_str(key, Ok(nz::clean_text(&t)));
            }
            // "City: Santa Ana 92701" (a "City ZIP" caption over one value): the city, and the
            // ZIP after it when no label gave one.
            K::MemberCity
                if let Some((Some(city), Some(zip))) = text_of(v).map(|t| nz::split_city_zip(&t)) =>
            {
                self.set_str(key, Ok(Some(city)));
                if self.r.fields.member_zip.is_none() {
                    self.set_str(K::MemberZip, nz::normalize_zip(&zip));
                }
            }
            K::MemberFirstName
            | K::MemberLastName
            | K::MemberCity
            | K::MemberLanguage
            | K::HealthPlan
            | K::ReferrerOrganization
            | K::Reason => {
                if let Some(t) = text_of(v) {
                    self.set_str(key, Ok(nz::clean_text(&t)));
                }
            }
            K::KpMember | K::EnrolledInEcm | K::Attestation => {
                let b = match v {
                    RawValue::Checked(b) => Ok(Some(*b)),
                    RawValue::Text(t) => ticked_answer(t)
                        .map(|a| Ok(Some(a)))
                        .unwrap_or_else(|| nz::parse_bool(t))
                        .or_else(|e| group_answer(t).map(Some).ok_or(e))
                        .or_else(|e| match key {
                            K::Attestation => consent_stated(t).map(Some).ok_or(e),
                            _ => status_stated(key, t).map(Some).ok_or(e),
                        }),
                    _ => Err(nz::Invalid),
                };
                self.set_bool(key, b);
            }
            K::ReferrerRelationship => {
                if let Some(t) = text_of(v).and_then(|t| nz::clean_text(&t)) {
                    // "Who is referring?" answered with a name: the referrer it names.
                    let lead = t.split([',', '-', '|']).next().unwrap_or(&t);
                    if nz::led_by_person_name(&t) && parse_relationship(lead).is_none() {
                        return self.field(K::ReferrerName, v);
                    }
                    match parse_relationship(&t) {
                        Some(r) => {
                            if self.r.fields.referrer_relationship.is_none() {
                                self.r.fields.referrer_relationship = Some(r);
                            }
                        }
                        // Written, but not one we know: "other" rather than nothing.
                        None => {
                            if self.r.fields.referrer_relationship.is_none() {
                                self.r.fields.referrer_relationship = Some(Relationship::Other);
                            }
                        }
                    }
                }
            }
            K::EcmPopulations => {
                if let Some(t) = text_of(v) {
                    let catalog = self.ctx.catalog;
                    let population = |piece: &str| {
                        item_number(piece, &["pof", "population", "p"])
                            .filter(|n| (1..=9).contains(n))
                            .or_else(|| catalog.match_population(piece).map(|m| m.0))
                    };
                    for piece in list_items(&t, |p| population(p).is_some()) {
                        if let Some(n) = population(&piece) {
                            self.r.fields.ecm_populations.insert(n);
                        }
                    }
                }
            }
            K::CsServices => {
                if let Some(t) = text_of(v) {
                    // By name only: forms print their own numbers.
                    let whole = self.ctx.catalog.match_support(&t).map(|m| m.0);
                    // A name, or a code with its prefix ("CS-12", "CS #3": DHCS's numbering, which
                    // SPEC follows); a bare number is the form's own and is not guessed at.
                    let catalog = self.ctx.catalog;
                    let support = |p: &str| {
                        catalog.match_support(p).map(|m| m.0).or_else(|| {
                            prefixed_number(p, &["cs", "community support"]).filter(|n| (1..=15).contains(n))
                        })
                    };
                    let mut found: BTreeSet<u8> = list_items(&t, |p| support(p).is_some())
                        .iter()
                        .filter_map(|p| support(p))
                        .collect();
                    if found.is_empty() {
                        found.extend(whole);
                    }
                    if found.is_empty() {
                        // A "requested service" column holding "ECM" or "CHW" names the program.
                        self.r.programs.extend(programs_in_text(&t));
                    }
                    self.r.fields.cs_services.extend(found);
                }
            }
            K::ChwNeeds => {
                if let Some(t) = text_of(v) {
                    let before = self.r.fields.chw_needs.len();
                    let catalog = self.ctx.catalog;
                    for piece in list_items(&t, |p| catalog.match_need(p).is_some()) {
                        if let Some((n, _)) = self.ctx.catalog.match_need(&piece) {
                            self.r.fields.chw_needs.insert(n);
                        }
                    }
                    // A column for two lists ("ECM POF / CHW Need") holding the other list's
                    // items; else a free-text "needs" answer ("Client needs help with housing
                    // paperwork and rides to dialysis") names no category: it is the referral's
                    // reason, not lost.
                    let other = list_kind(&t, self.ctx.catalog).filter(|k| *k != K::ChwNeeds);
                    if self.r.fields.chw_needs.len() == before
                        && let Some(other) = other
                    {
                        self.field(other, v);
                    } else if self.r.fields.chw_needs.len() == before {
                        self.set_str(K::Reason, Ok(nz::clean_text(&t)));
                    }
                }
            }
            K::ChwUnits => {
                // "16", "16 units", "8 hours" (a unit is 30 minutes).
                let units = match v {
                    RawValue::Number(n) => Some(*n),
                    RawValue::Text(t) => {
                        let n = first_number(t);
                        let l = t.to_lowercase();
                        if l.contains("hour") || l.contains("hrs") || l.contains("hr ") {
                            n.map(|h| h * 2.0)
                        } else {
                            n
                        }
                    }
                    _ => None,
                }
                .filter(|u| *u > 0.0 && *u <= 2000.0)
                .map(|u| u.round() as u32);
                if let Some(u) = units {
                    self.set_units(u);
                }
            }
        }
    }

    /// [`Self::set_str`] as a guess that any entry labelled for `key` beats.
    fn set_str_weakly(&mut self, key: FieldKey, v: Norm<String>) {
        let score = std::mem::replace(&mut self.score, f32::MIN / 2.0);
        self.set_str(key, v);
        self.score = score;
    }

    fn set_str(&mut self, key: FieldKey, v: Norm<String>) {
        use FieldKey as K;
        let f = &mut self.r.fields;
        let slot = match key {
            K::MemberFirstName => &mut f.member_first_name,
            K::MemberLastName => &mut f.member_last_name,
            K::MemberCin => &mut f.member_cin,
            K::MemberMrn => &mut f.member_mrn,
            K::MemberPhone => &mut f.member_phone,
            K::MemberEmail => &mut f.member_email,
            K::MemberAddress => &mut f.member_address,
            K::MemberCity => &mut f.member_city,
            K::MemberZip => &mut f.member_zip,
            K::MemberCounty => &mut f.member_county,
            K::MemberLanguage => &mut f.member_language,
            K::HealthPlan => &mut f.health_plan,
            K::ReferrerName => &mut f.referrer_name,
            K::ReferrerOrganization => &mut f.referrer_organization,
            K::ReferrerPhone => &mut f.referrer_phone,
            K::ReferrerEmail => &mut f.referrer_email,
            K::ReferrerNpi => &mut f.referrer_npi,
            K::Reason => &mut f.reason,
            _ => return,
        };
        store(
            slot,
            v,
            key,
            (self.score, self.current),
            (&mut self.scores, &mut self.holders),
            &mut self.r.invalid,
            &mut self.r.warnings,
        );
    }

    fn set_date(&mut self, key: FieldKey, v: Norm<chrono::NaiveDate>) {
        let slot = match key {
            FieldKey::ReferralDate => &mut self.r.fields.referral_date,
            FieldKey::MemberDob => &mut self.r.fields.member_dob,
            _ => return,
        };
        store(
            slot,
            v,
            key,
            (self.score, self.current),
            (&mut self.scores, &mut self.holders),
            &mut self.r.invalid,
            &mut self.r.warnings,
        );
    }

    fn set_bool(&mut self, key: FieldKey, v: Norm<bool>) {
        let slot = match key {
            FieldKey::KpMember => &mut self.r.fields.kp_member,
            FieldKey::EnrolledInEcm => &mut self.r.fields.enrolled_in_ecm,
            FieldKey::Attestation => &mut self.r.fields.attestation,
            _ => return,
        };
        store(
            slot,
            v,
            key,
            (self.score, self.current),
            (&mut self.scores, &mut self.holders),
            &mut self.r.invalid,
            &mut self.r.warnings,
        );
    }

    fn invalid(&mut self, key: FieldKey) {
        self.r.invalid.insert(key);
    }

    pub(super) fn finish(mut self) -> Referral {
        if self.r.fields.referrer_name.is_none() {
            let joined: Vec<String> = [self.referrer_first.take(), self.referrer_last.take()]
                .into_iter()
                .flatten()
                .collect();
            if !joined.is_empty() {
                self.r.fields.referrer_name = Some(joined.join(" "));
            }
        }
        // A value found later makes an earlier unusable one moot.
        let fields = &self.r.fields;
        self.r.invalid.retain(|k| !fields.has(*k));
        for k in &self.r.invalid {
            self.r.warnings.push(format!("invalid_field:{k}"));
        }
        self.r.warnings.sort();
        self.r.warnings.dedup();
        self.r
    }
}

/// Keeps the usable value from the most specific label (the first among equals); records
/// unusable values and later conflicting ones.
type Scoreboard<'s> = (
    &'s mut std::collections::HashMap<FieldKey, f32>,
    &'s mut std::collections::HashMap<FieldKey, usize>,
);

fn store<T: PartialEq>(
    slot: &mut Option<T>,
    v: Norm<T>,
    key: FieldKey,
    (score, entry): (f32, usize),
    (scores, holders): Scoreboard<'_>,
    invalid: &mut BTreeSet<FieldKey>,
    warnings: &mut Vec<String>,
) {
    match v {
        Ok(Some(v)) => {
            let best = scores.get(&key).copied().unwrap_or(f32::MIN);
            match slot {
                None => {
                    *slot = Some(v);
                    scores.insert(key, score);
                    holders.insert(key, entry);
                }
                Some(existing) if *existing != v => {
                    if score > best + 0.05 {
                        *slot = Some(v);
                        scores.insert(key, score);
                        holders.insert(key, entry);
                    } else if best <= score + 0.05 {
                        warnings.push(format!("conflict:{key}"));
                    }
                }
                Some(_) => {}
            }
        }
        Ok(None) => {}
        Err(_) => {
            invalid.insert(key);
        }
    }
}

/// A value that is nothing but catalogue items ("Housing Deposits; Recuperative Care",
/// "Homelessness, High utilizers", "Behavioral health"): the list it is, whatever its column or
/// label is called. Used for entries no label rule claimed.
pub(super) fn catalog_list(entry: &RawEntry, catalog: &crate::catalog::Catalog) -> Option<(Target, f32)> {
    let RawValue::Text(t) = &entry.value else {
        return None;
    };
    let key = list_kind(t, catalog)?;
    Some((Target::Field(key), super::generic::score::CONTAINS))
}

/// The list a text is nothing but the items of, if any.
fn list_kind(t: &str, catalog: &crate::catalog::Catalog) -> Option<FieldKey> {
    // Each piece must be essentially the item's name, not a sentence that mentions it.
    let covers = |piece: &str, len: usize| {
        let n = crate::catalog::fold(&norm(piece));
        n.len() > 3 && len * 10 >= n.len() * 8
    };
    // One item whose name holds a slash or an "and" ("Serious Mental Health and/or Substance
    // Use Disorder Needs") is that item, not pieces split at them.
    let whole = |f: &dyn Fn(&str) -> Option<usize>| f(t).is_some_and(|l| covers(t, l));
    let pieces = if whole(&|p| catalog.match_support(p).map(|m| m.1))
        || whole(&|p| catalog.match_population(p).map(|m| m.1))
        || whole(&|p| catalog.match_need(p).map(|m| m.1))
    {
        vec![t.to_string()]
    } else {
        list_pieces(t)
    };
    if pieces.is_empty() || pieces.len() > 15 {
        return None;
    }
    let all = |f: &dyn Fn(&str) -> Option<usize>| pieces.iter().all(|p| f(p).is_some_and(|l| covers(p, l)));
    let key = if all(&|p| catalog.match_support(p).map(|m| m.1)) {
        FieldKey::CsServices
    } else if all(&|p| catalog.match_population(p).map(|m| m.1)) {
        FieldKey::EcmPopulations
    } else if all(&|p| catalog.match_need(p).map(|m| m.1)) {
        FieldKey::ChwNeeds
    } else {
        return None;
    };
    Some(key)
}

/// The first number written in a text ("16 units", "about 4.5 hrs").
fn first_number(t: &str) -> Option<f64> {
    let start = t.find(|c: char| c.is_ascii_digit())?;
    let rest = t.get(start..)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest.get(..end)?.trim_end_matches('.').parse().ok()
}

/// A list item's number: bare (`3`) or with one of its prefixes (`POF 3`, `POF-3`, `#3`).
fn item_number(piece: &str, prefixes: &[&str]) -> Option<u8> {
    let p = piece.trim().trim_start_matches('#').trim();
    p.parse::<u8>().ok().or_else(|| prefixed_number(piece, prefixes))
}

/// A number written behind a prefix (`CS-12`, `CS 12`, `CS #12`, `POF3`).
fn prefixed_number(piece: &str, prefixes: &[&str]) -> Option<u8> {
    let n = norm(piece);
    prefixes.iter().find_map(|pre| {
        // "POF 3", "POF 3 - SMH/SUD": the number right after the prefix.
        let rest = n.strip_prefix(pre)?.trim();
        rest.split(' ').next()?.parse::<u8>().ok()
    })
}

/// "909-555-0145 / name@x.example": a phone and an email written in one box.
fn split_contact(t: &str) -> (Option<String>, Option<String>) {
    // Separators people put between a phone and an email: punctuation, a middle dot, a bullet.
    const SEPARATORS: &str = ",;|/·•";
    let email = t
        .split(|c: char| c.is_whitespace() || SEPARATORS.contains(c))
        .find(|w| w.contains('@'))
        .map(str::to_string);
    let rest: String = match &email {
        Some(e) => t.replace(e.as_str(), " "),
        None => t.to_string(),
    };
    let phone = rest
        .split(|c: char| SEPARATORS.contains(c))
        .map(str::trim)
        .find(|p| matches!(nz::normalize_phone(p), Ok(Some(_))))
        .map(str::to_string);
    (phone, email)
}

/// The value as text, if it has any (ticks have none).
fn text_of(v: &RawValue) -> Option<String> {
    match v {
        RawValue::Checked(_) => None,
        other => {
            let t = other.as_text();
            (!t.trim().is_empty()).then_some(t)
        }
    }
}

/// Splits a list written in one cell or field ("Homelessness; High utilizers", "1, 3").
fn list_pieces(t: &str) -> Vec<String> {
    list_items(t, |_| false)
}

/// Splits a list like [`list_pieces`], but keeps a piece whole when the slash or "and" in it is
/// part of one item's name: the whole is an item (`is_item`) and its parts are not all items on
/// their own ("SMH/SUD", "Housing Transition/Navigation"). Between names it separates them
/// ("Homeless/Reentry", "1/3").
fn list_items(t: &str, is_item: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for piece in split_outside_parens(t) {
        // A note after an item: "1 (unsheltered)", "Reentry (released 11/30)".
        let piece = match piece
            .trim_end()
            .strip_suffix(')')
            .and_then(|p| p.rsplit_once('('))
        {
            Some((bare, _)) if !bare.trim().is_empty() && is_item(&strip_enumeration(bare.trim())) => bare,
            _ => piece,
        };
        // Names of items, each whole, set apart by slashes ("Transitional Rent / Housing Tenancy
        // and Sustaining Services"): an "and" inside one is part of its name.
        let slashed: Vec<String> = piece
            .split('/')
            .map(|p| strip_enumeration(p.trim()))
            .filter(|p| !p.trim().is_empty())
            .collect();
        if slashed.len() > 1 && slashed.iter().all(|p| is_item(p)) {
            out.extend(slashed);
            continue;
        }
        let parts: Vec<String> = piece
            .split('/')
            .flat_map(|p| p.split(" and "))
            .map(|p| strip_enumeration(p.trim()))
            .filter(|p| !p.trim().is_empty())
            .collect();
        let whole = strip_enumeration(piece.trim());
        if parts.len() > 1 && is_item(&whole) && !parts.iter().all(|p| is_item(p)) {
            out.push(whole);
        } else {
            out.extend(parts);
        }
    }
    out
}

/// `t` split at `,` `;` `|` and line breaks that are not inside parentheses.
fn split_outside_parens(t: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in t.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            // "Housing Transition Navigation + Transitional Rent": a plus joins items too.
            ',' | ';' | '\n' | '|' | '+' if depth == 0 => {
                out.extend(t.get(start..i));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.extend(t.get(start..));
    out
}

/// The programs named in text ("ECM", "ECM and CS", "Community Supports").
pub(super) fn programs_in_text(t: &str) -> BTreeSet<Program> {
    let mut out: BTreeSet<Program> = list_pieces(t)
        .iter()
        .filter_map(|p| program_caption(&norm(p)))
        .collect();
    if out.is_empty() {
        out.extend(program_caption(&norm(t)));
    }
    out
}

/// Whether an entry's name or caption names KP as the catalogue's health plans do
/// ("member.plan.kp", "Kaiser plan?").
fn label_names_kp(entry: &RawEntry, catalog: &crate::catalog::Catalog) -> bool {
    std::iter::once(entry.name.as_str())
        .chain(entry.alt.as_deref())
        .any(|l| catalog.plan_is_kp(l) == Some(true))
}

/// The words that say what kind of referrer someone is, by relationship, in the order they are
/// tried (a "medical social worker" is a medical provider, a "county probation officer" is the
/// justice system's).
const RELATIONSHIP_WORDS: &[(Relationship, &[&str])] = &[
    // The justice system refers too; SPEC lists it under none of the three.
    (
        Relationship::Other,
        &[
            "police",
            "law enforcement",
            "sheriff",
            "probation",
            "parole",
            "court",
            "jail",
            "corrections",
            "correctional",
        ],
    ),
    (
        Relationship::MedicalProvider,
        &[
            "doctor",
            "physician",
            "nurse",
            "clinic",
            "hospital",
            "pcp",
            "provider",
            "medical",
            "md",
            "do",
            "rn",
            "lvn",
            "pa c",
            "np",
            "fnp",
            "clinical",
            "clinician",
            "fqhc",
            // Spanish forms: "Proveedor médico", "Clínica".
            "medico",
            "clinica",
            "enfermera",
        ],
    ),
    (
        Relationship::SocialServicesProvider,
        &[
            "social",
            "county",
            "cbo",
            "case manager",
            "lcsw",
            "msw",
            "lmft",
            "housing",
            "shelter",
            "community",
            "agency",
            "worker",
            "servicios sociales",
            "trabajador social",
            "trabajadora social",
            "organizacion comunitaria",
        ],
    ),
    (
        Relationship::MemberFamily,
        &[
            "self",
            "member",
            "family",
            "mother",
            "father",
            "parent",
            "daughter",
            "son",
            "sister",
            "brother",
            "spouse",
            "guardian",
            "friend",
            "caregiver",
            "familia",
            "familiar",
            "madre",
            "padre",
            "hija",
            "hijo",
            "mismo",
            "misma",
        ],
    ),
];

/// A relationship written as text ("Medical Provider", "CBO", "Mother"), or cut short as a
/// choice's export value often is ("MedProv", "prov", "SocSvc"): when no word is written out,
/// a word of three letters or more that begins one of the words above stands for it.
pub(super) fn parse_relationship(t: &str) -> Option<Relationship> {
    let n = norm(t);
    if let Some(r) = relationship_caption(&n, "relationship") {
        return Some(r);
    }
    let padded = format!(" {n} ");
    let written = RELATIONSHIP_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| find_phrase(&padded, w).is_some()));
    if let Some((r, _)) = written {
        return Some(*r);
    }
    let begins = |short: &str, w: &str| short.len() >= 3 && w.len() > short.len() + 1 && w.starts_with(short);
    // The last word cut short decides ("prov_serv_soc" is a social services provider, "MedProv"
    // a medical one): the kind comes after what it qualifies in Spanish, before it in English,
    // but "provider" alone says nothing of the kind.
    let words: Vec<&str> = n.split(' ').collect();
    let kind = |short: &str| {
        RELATIONSHIP_WORDS
            .iter()
            .find(|(_, words)| words.iter().any(|w| begins(short, w)))
            .map(|(r, _)| *r)
    };
    words
        .iter()
        .rev()
        .filter(|w| !begins(w, "provider") || words.len() == 1)
        .find_map(|w| kind(w))
        .or_else(|| words.iter().find_map(|w| kind(w)))
}

/// An export value naming its group before the answer: "KP_N", "Consent-Yes", or the words run
/// together ("kpN", "consentYes", "KPMemberY"); or after it: "NO_ECM", "Yes-KP".
fn group_answer(t: &str) -> Option<bool> {
    if let Some((group, answer)) = t.rsplit_once(['_', '-'])
        && !group.trim().is_empty()
        && !group.contains(' ')
    {
        return nz::parse_bool(answer).ok().flatten().or_else(|| answer_first(t));
    }
    if t.trim().contains(char::is_whitespace) {
        return None;
    }
    let n = norm(t);
    let (group, answer) = n.rsplit_once(' ')?;
    (!group.is_empty() && matches!(answer, "yes" | "y" | "no" | "n"))
        .then(|| nz::parse_bool(answer).ok().flatten())
        .flatten()
}

/// "NO_ECM", "Yes-KP": a yes or no, then the group it answers (one word of letters).
fn answer_first(t: &str) -> Option<bool> {
    let (answer, group) = t.split_once(['_', '-'])?;
    let one_word = group.len() >= 2 && group.chars().all(char::is_alphabetic);
    let word = matches!(answer.to_ascii_lowercase().as_str(), "yes" | "no" | "y" | "n");
    (one_word && word)
        .then(|| nz::parse_bool(answer).ok().flatten())
        .flatten()
}

/// For text like "☒ Yes ☐ No" or "[X] No [ ] Yes": the ticked answer.
/// Whether bracketed words say only who someone is to the member: "mother", "his sister",
/// "member's guardian".
/// A status answered in its own words rather than yes or no: "Currently Enrolled" / "Not
/// enrolled" for ECM, "KP" / "Kaiser Permanente" for the plan question ("Is the member a KP
/// Medi-Cal member?" with a choice's export value).
fn status_stated(key: FieldKey, t: &str) -> Option<bool> {
    let n = norm(t);
    let words: Vec<&str> = n.split(' ').collect();
    let negated = words
        .iter()
        .any(|w| matches!(*w, "not" | "non" | "never" | "no" | "unenrolled" | "disenrolled"));
    let says = |ws: &[&str]| words.len() <= 4 && words.iter().any(|w| ws.contains(w));
    match key {
        FieldKey::EnrolledInEcm if says(&["enrolled", "active"]) => Some(!negated),
        FieldKey::KpMember if says(&["kp", "kaiser"]) => Some(!negated),
        _ => None,
    }
}

/// Words that name a member's relative (or the person caring for them).
pub(super) const RELATIVES: &[&str] = &[
    "mother",
    "father",
    "mom",
    "dad",
    "parent",
    "son",
    "daughter",
    "wife",
    "husband",
    "spouse",
    "partner",
    "sister",
    "brother",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "grandson",
    "granddaughter",
    "aunt",
    "uncle",
    "niece",
    "nephew",
    "cousin",
    "guardian",
    "caregiver",
    "family",
];

fn names_a_relative(inside: &str) -> bool {
    const OWNERS: &[&str] = &[
        "his",
        "her",
        "their",
        "the",
        "member",
        "member's",
        "patient's",
        "s",
    ];
    let n = norm(inside);
    let words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
    // "Mateo's mom": a name before the possessive is the member's.
    let possessor = |i: usize| words.get(i + 1) == Some(&"s");
    words.iter().any(|w| RELATIVES.contains(w))
        && words
            .iter()
            .enumerate()
            .all(|(i, w)| RELATIVES.contains(w) || OWNERS.contains(w) || possessor(i))
}

/// The organisation before " - " when what follows the dash names the document, not a part of
/// the organisation ("… - ECM referral log, week of 11/23/2026", "… - Referral Form").
fn names_the_document(t: &str) -> Option<String> {
    const DOCUMENT: &[&str] = &[
        "referral",
        "referrals",
        "log",
        "form",
        "batch",
        "list",
        "week",
        "submission",
        "worksheet",
    ];
    let (org, rest) = t.split_once(" - ")?;
    let doc = rest
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| DOCUMENT.contains(&w.to_lowercase().as_str()));
    (doc && !org.trim().is_empty()).then(|| org.trim().to_string())
}

/// A consent box answered in words: "verbal consent documented 11/25/2026", "Signed, on file"
/// is given; "not yet obtained", "declined" is not. Anything else says neither.
fn consent_stated(t: &str) -> Option<bool> {
    static GIVEN: LazyLock<Regex> = LazyLock::new(|| {
        crate::normalize::re(
            r"(?i)\b(?:obtained|documented|signed|given|on file|received|provided|verbal(?:ly)?|written|consented|agreed|agrees)\b",
        )
    });
    static WITHHELD: LazyLock<Regex> = LazyLock::new(|| {
        crate::normalize::re(
            r"(?i)\b(?:not|no|declined|declines|refused|refuses|pending|awaiting|unable|without|yet)\b",
        )
    });
    if WITHHELD.is_match(t) {
        let refused = t.to_lowercase();
        return (refused.contains("declin") || refused.contains("refus")).then_some(false);
    }
    GIVEN.is_match(t).then_some(true)
}

fn ticked_answer(t: &str) -> Option<bool> {
    const ON: &[&str] = &["☒", "☑", "✓", "✔", "■", "[x]", "[X]", "(x)", "(X)"];
    let lower = t.to_lowercase();
    let mut best: Option<bool> = None;
    for on in ON {
        let on_lower = on.to_lowercase();
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(on_lower.as_str()) {
            let after = rest.get(i + on_lower.len()..).unwrap_or("").trim_start();
            if after.starts_with("yes") {
                best = Some(true);
            } else if after.starts_with("no") {
                best = Some(false);
            }
            rest = after;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ticked_answers_in_text() {
        assert_eq!(ticked_answer("☒ Yes ☐ No"), Some(true));
        assert_eq!(ticked_answer("☐ Yes ☒ No"), Some(false));
        assert_eq!(ticked_answer("[X] No"), Some(false));
        assert_eq!(ticked_answer("Yes"), None);
    }

    /// Issue #8 (blind51): "(Mateo's mom)" after a signer's name says who they are to the
    /// member, the member named before the possessive.
    #[test]
    fn class51_a_relative_named_through_the_members_name() {
        assert!(names_a_relative("Mateo's mom"));
        assert!(names_a_relative("her daughter"));
        assert!(!names_a_relative("Mateo Sample"));
        assert!(!names_a_relative("Mateo's clinic"));
    }

    /// Issue #8 (blind57): a radio's export value naming its group before the answer, the words
    /// run together ("kpN" is "not a KP member", not "KP").
    #[test]
    fn class57_an_export_value_with_its_group_run_together() {
        assert_eq!(group_answer("KP_N"), Some(false));
        assert_eq!(group_answer("kpN"), Some(false));
        assert_eq!(group_answer("kpY"), Some(true));
        assert_eq!(group_answer("consentYes"), Some(true));
        assert_eq!(group_answer("KPMemberNo"), Some(false));
        assert_eq!(group_answer("Kaiser"), None);
        // The answer first (issue #8, blind73's LiveCycle radio).
        assert_eq!(group_answer("NO_ECM"), Some(false));
        assert_eq!(group_answer("Yes-KP"), Some(true));
        assert_eq!(group_answer("N-A"), None);
        assert_eq!(group_answer("Not KP"), None);
    }

    /// Issue #8 (blind51): an ECM status or the plan answered in words.
    #[test]
    fn class51_a_status_answered_in_words() {
        assert_eq!(
            status_stated(FieldKey::EnrolledInEcm, "Currently Enrolled"),
            Some(true)
        );
        assert_eq!(
            status_stated(FieldKey::EnrolledInEcm, "Not enrolled"),
            Some(false)
        );
        assert_eq!(status_stated(FieldKey::KpMember, "KP"), Some(true));
        assert_eq!(status_stated(FieldKey::KpMember, "Non-KP"), Some(false));
        assert_eq!(status_stated(FieldKey::KpMember, "Molina"), None);
        assert_eq!(status_stated(FieldKey::EnrolledInEcm, "Pending review"), None);
    }

    /// blind24: a consent line answered in words.
    #[test]
    fn class29_an_agency_before_what_its_sheet_is_called() {
        assert_eq!(
            names_the_document("Stanislaus County Example Agency - ECM referral log, week of 11/23/2026")
                .as_deref(),
            Some("Stanislaus County Example Agency")
        );
        assert_eq!(
            names_the_document("Riverside County Probation - Reentry Services"),
            None
        );
        assert_eq!(names_the_document("LA County DPSS - GR Example District"), None);
    }

    #[test]
    fn class24_consent_answered_in_words() {
        assert_eq!(consent_stated("verbal consent documented 11/25/2026"), Some(true));
        assert_eq!(consent_stated("Signed, on file"), Some(true));
        assert_eq!(consent_stated("not yet obtained"), None);
        assert_eq!(consent_stated("Member declined"), Some(false));
        assert_eq!(consent_stated("see notes"), None);
    }

    #[test]
    fn reads_relationships() {
        assert_eq!(
            parse_relationship("Medical Provider"),
            Some(Relationship::MedicalProvider)
        );
        assert_eq!(
            parse_relationship("County social worker"),
            Some(Relationship::SocialServicesProvider)
        );
        assert_eq!(parse_relationship("Mother"), Some(Relationship::MemberFamily));
        assert_eq!(parse_relationship("zzz"), None);
    }

    #[test]
    fn reads_relationships_cut_short_as_export_values_are() {
        assert_eq!(parse_relationship("prov"), Some(Relationship::MedicalProvider));
        assert_eq!(parse_relationship("MedProv"), Some(Relationship::MedicalProvider));
        assert_eq!(
            parse_relationship("SocSvcAgcy"),
            Some(Relationship::SocialServicesProvider)
        );
        assert_eq!(parse_relationship("Fam"), Some(Relationship::MemberFamily));
        assert_eq!(
            parse_relationship("Clinical"),
            Some(Relationship::MedicalProvider)
        );
        // A word written out wins over one that only begins a word ("Medi-Cal" is not "medical").
        assert_eq!(
            parse_relationship("Medi-Cal eligibility worker"),
            Some(Relationship::SocialServicesProvider)
        );
        // Two letters are too few to stand for anything.
        assert_eq!(parse_relationship("me"), None);
        assert_eq!(parse_relationship("Law Enforcement"), Some(Relationship::Other));
        assert_eq!(parse_relationship("County Probation"), Some(Relationship::Other));
    }

    #[test]
    fn splits_lists() {
        assert_eq!(list_pieces("1, 3"), vec!["1", "3"]);
        // A slash inside an item's name keeps it whole; between items it separates them.
        let known = |p: &str| ["smh/sud", "homeless", "reentry"].contains(&p.to_lowercase().as_str());
        assert_eq!(
            list_items("SMH/SUD; Homeless", known),
            vec!["SMH/SUD", "Homeless"]
        );
        assert_eq!(list_items("Homeless/Reentry", known), vec!["Homeless", "Reentry"]);
        // Item names set apart by slashes keep an "and" of their own.
        let cs =
            |p: &str| ["transitional rent", "tenancy and sustaining"].contains(&p.to_lowercase().as_str());
        assert_eq!(
            list_items("Transitional Rent / Tenancy and Sustaining", cs),
            vec!["Transitional Rent", "Tenancy and Sustaining"]
        );
        // A note after an item, commas inside it included, is not an item of its own.
        assert_eq!(
            list_items("1 (unsheltered, in car), 2 (4 ED visits in 6 mo)", |p: &str| p
                .trim()
                .parse::<u8>()
                .is_ok()),
            vec!["1", "2"]
        );
        assert_eq!(
            list_pieces("Housing Deposits; Sobering Centers"),
            vec!["Housing Deposits", "Sobering Centers"]
        );
        assert_eq!(
            programs_in_text("ECM and CS").into_iter().collect::<Vec<_>>(),
            vec![Program::Ecm, Program::Cs]
        );
    }
}
