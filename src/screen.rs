//! Screening: one referral's fields in, an outcome and reason codes out (SPEC §5).
//!
//! The daemon screens; people at the plan decide. Every rule that applies adds its reason; the
//! outcome is the first of `redirected`, `review`, `needs_info`, `screened_out` that any reason
//! leads to, else `accepted`. `wrong_region` and `chw_units_need_approval` are listed beside the
//! outcome and never change it.
//!
//! Pure and synchronous: facts that live in the store (an open ECM referral for the same CIN) come
//! in through [`Lookups`].

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::config::{AgeGroup, Config};
use crate::model::{FieldKey, Fields, Outcome, Program, Reason};

/// Facts from outside the form.
pub trait Lookups {
    /// Whether the store holds an open (accepted or in-review) ECM referral for this CIN.
    fn open_ecm_referral(&self, cin: &str) -> bool;
    /// `Some(on_roster)` when a member roster is configured; `None` when it is not.
    fn on_roster(&self, cin: &str) -> Option<bool>;
}

/// No store, no roster: used by `explain` and `extract`.
pub struct NoLookups;

impl Lookups for NoLookups {
    fn open_ecm_referral(&self, _cin: &str) -> bool {
        false
    }
    fn on_roster(&self, _cin: &str) -> Option<bool> {
        None
    }
}

/// The screening result for one referral.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screened {
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// The member's region (from the county), else the inbox's.
    pub region: String,
    /// Age in whole years on the referral date, when the date of birth is known.
    #[serde(skip)]
    pub age: Option<u32>,
    /// For `nle_self_referral`: where the provider should send it instead.
    #[serde(skip)]
    pub nle: Option<(String, String)>,
}

/// What the form held but could not be used: values present but unusable (`invalid`), and
/// required fields not mapped although an entry plausibly is the field (`uncertain`).
#[derive(Debug, Clone, Copy)]
pub struct Doubts<'a> {
    pub invalid: &'a BTreeSet<FieldKey>,
    pub uncertain: &'a BTreeSet<FieldKey>,
}

static NO_FIELDS: BTreeSet<FieldKey> = BTreeSet::new();

impl Doubts<'_> {
    /// Nothing in doubt.
    pub fn none() -> Doubts<'static> {
        Doubts {
            invalid: &NO_FIELDS,
            uncertain: &NO_FIELDS,
        }
    }
}

/// The CHW units (30 minutes each) a member can start with before more must be approved.
pub const CHW_STARTING_UNITS: u32 = 12;

/// Age in whole years on `on` (a birthday on that day counts).
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> Option<u32> {
    if dob > on {
        return None;
    }
    let mut years = on.year() - dob.year();
    if (on.month(), on.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Screens one referral for `program`.
///
/// `fallback_date` is the message's date, used when the form gives no referral date;
/// `inbox_region` is the region of the inbox the message arrived in.
pub fn screen(
    cfg: &Config,
    program: Program,
    fields: &Fields,
    doubts: Doubts<'_>,
    fallback_date: NaiveDate,
    inbox_region: &str,
    lookups: &dyn Lookups,
) -> Screened {
    let Doubts { invalid, uncertain } = doubts;
    let mut reasons = Vec::new();
    let on = fields.referral_date.unwrap_or(fallback_date);
    let age = fields.member_dob.and_then(|d| age_on(d, on));
    let mut nle = None;

    // Redirects: not our member, or a provider referring to itself.
    let kp_member = fields.kp_member.or_else(|| {
        fields
            .health_plan
            .as_deref()
            .and_then(|p| cfg.catalog.plan_is_kp(p))
    });
    let roster = fields.member_cin.as_deref().and_then(|c| lookups.on_roster(c));
    if kp_member == Some(false) || roster == Some(false) {
        reasons.push(Reason::NotKpMember);
    }
    if let Some(p) = fields
        .referrer_organization
        .as_deref()
        .and_then(|o| cfg.catalog.nle_provider(o))
        && p.programs.contains(&program)
    {
        reasons.push(Reason::NleSelfReferral);
        nle = Some((p.nle.clone(), p.nle_contact.clone()));
    }

    // Completeness: what a person needs to act on the referral. A field the form plausibly holds
    // but that was not read with confidence goes to a person, never back to the sender.
    let mut need = |present: bool, key: FieldKey| {
        if !present {
            reasons.push(if uncertain.contains(&key) {
                Reason::UncertainField(key)
            } else if invalid.contains(&key) {
                Reason::InvalidField(key)
            } else {
                Reason::MissingField(key)
            });
        }
    };
    need(fields.member_first_name.is_some(), FieldKey::MemberFirstName);
    need(fields.member_last_name.is_some(), FieldKey::MemberLastName);
    need(fields.member_dob.is_some(), FieldKey::MemberDob);
    // A missing CIN and MRN is reported as the CIN; an unusable MRN alone as the MRN.
    if fields.member_cin.is_none() && fields.member_mrn.is_none() {
        let key = if invalid.contains(&FieldKey::MemberMrn) && !invalid.contains(&FieldKey::MemberCin) {
            FieldKey::MemberMrn
        } else {
            FieldKey::MemberCin
        };
        need(false, key);
    }
    if fields.member_phone.is_none() && fields.member_address.is_none() {
        let key = if invalid.contains(&FieldKey::MemberAddress) {
            FieldKey::MemberAddress
        } else {
            FieldKey::MemberPhone
        };
        need(false, key);
    }
    need(fields.referrer_name.is_some(), FieldKey::ReferrerName);
    if fields.referrer_phone.is_none() && fields.referrer_email.is_none() {
        let key = if invalid.contains(&FieldKey::ReferrerEmail) && !invalid.contains(&FieldKey::ReferrerPhone)
        {
            FieldKey::ReferrerEmail
        } else {
            FieldKey::ReferrerPhone
        };
        need(false, key);
    }
    // The program's list: a box on it read with doubt goes to a person even when other boxes
    // give the list (an item may be missing or wrong); an empty list the form plausibly fills
    // is uncertain, not asked for.
    let list = match program {
        Program::Ecm => FieldKey::EcmPopulations,
        Program::Cs => FieldKey::CsServices,
        Program::Chw => FieldKey::ChwNeeds,
    };
    if uncertain.contains(&list) {
        reasons.push(Reason::UncertainField(list));
    } else {
        match program {
            Program::Ecm if fields.ecm_populations.is_empty() => reasons.push(Reason::NoPopulationOfFocus),
            Program::Cs if fields.cs_services.is_empty() => reasons.push(Reason::NoCommunitySupport),
            _ => {}
        }
    }

    // Eligibility rules.
    let county = fields.member_county.as_deref();
    let member_region = county.and_then(|c| cfg.region_of_county(c));
    if county.is_some() && member_region.is_none() {
        reasons.push(Reason::CountyNotServed);
    }
    if program == Program::Ecm
        && let Some(age) = age
    {
        // A tick for Population 8 (child welfare) is itself the foster-youth signal.
        let foster = fields.ecm_populations.contains(&8);
        let youth = age < 21 || (foster && age < 26);
        for n in &fields.ecm_populations {
            match cfg.catalog.population(*n).map(|p| p.ages) {
                Some(AgeGroup::Adults) if age < 21 => reasons.push(Reason::PofAdultsOnly(*n)),
                Some(AgeGroup::Children) if !youth => reasons.push(Reason::PofChildrenOnly(*n)),
                _ => {}
            }
        }
    }
    if program == Program::Cs
        && let Some(county) = county
    {
        for n in &fields.cs_services {
            if cfg
                .catalog
                .support(*n)
                .is_some_and(|s| s.not_offered_in.iter().any(|c| c == county))
            {
                reasons.push(Reason::CsNotOfferedInCounty(*n));
            }
        }
    }
    if program == Program::Chw {
        let open_ecm = fields
            .member_cin
            .as_deref()
            .is_some_and(|c| lookups.open_ecm_referral(c));
        if fields.enrolled_in_ecm == Some(true) || open_ecm {
            reasons.push(Reason::ChwEnrolledInEcm);
        }
    }

    let region = member_region.unwrap_or(inbox_region).to_string();
    let outcome = [
        Outcome::Redirected,
        Outcome::Review,
        Outcome::NeedsInfo,
        Outcome::ScreenedOut,
    ]
    .into_iter()
    .find(|o| reasons.iter().any(|r| r.outcome() == Some(*o)))
    .unwrap_or(Outcome::Accepted);
    // Reasons listed in outcome order, stable within each group.
    reasons.sort_by_key(|r| match r.outcome() {
        Some(Outcome::Redirected) => 0,
        Some(Outcome::Review) => 1,
        Some(Outcome::NeedsInfo) => 2,
        Some(Outcome::ScreenedOut) => 3,
        _ => 4,
    });
    if member_region.is_some_and(|r| r != inbox_region) {
        reasons.push(Reason::WrongRegion);
    }
    // KP's provider guide: CHW services start at up to 6 hours (12 units of 30 minutes); more
    // must be approved. Listed beside the outcome, never changing it.
    if program == Program::Chw && fields.chw_units.is_some_and(|u| u > CHW_STARTING_UNITS) {
        reasons.push(Reason::ChwUnitsNeedApproval);
    }
    Screened {
        outcome,
        reasons,
        region,
        age,
        nle: nle.filter(|_| outcome == Outcome::Redirected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::sync::Arc;

    fn cfg() -> Arc<Config> {
        Config::builtin().expect("config")
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn complete(program: Program) -> Fields {
        let mut f = Fields {
            referral_date: Some(d("2026-11-20")),
            member_first_name: Some("Testy".into()),
            member_last_name: Some("McTestface".into()),
            member_dob: Some(d("1980-01-05")),
            member_cin: Some("91234567A".into()),
            member_phone: Some("5105550101".into()),
            member_county: Some("Alameda".into()),
            referrer_name: Some("Rowan Placeholder".into()),
            referrer_email: Some("rowan@cbo.example".into()),
            ..Fields::default()
        };
        match program {
            Program::Ecm => {
                f.ecm_populations.insert(1);
            }
            Program::Cs => {
                f.cs_services.insert(2);
            }
            Program::Chw => {}
        }
        f
    }

    fn run(program: Program, f: &Fields) -> Screened {
        screen(
            &cfg(),
            program,
            f,
            Doubts::none(),
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        )
    }

    fn codes(s: &Screened) -> Vec<String> {
        s.reasons.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn complete_referrals_are_accepted() {
        for p in Program::ALL {
            let s = run(p, &complete(p));
            assert_eq!((s.outcome, codes(&s)), (Outcome::Accepted, vec![]), "{p}");
            assert_eq!(s.region, "ncal");
        }
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on(d("2005-11-20"), d("2026-11-20")), Some(21));
        assert_eq!(age_on(d("2005-11-21"), d("2026-11-20")), Some(20));
        assert_eq!(age_on(d("2000-02-29"), d("2021-02-28")), Some(20));
        assert_eq!(age_on(d("2000-02-29"), d("2021-03-01")), Some(21));
        assert_eq!(age_on(d("2030-01-01"), d("2026-11-20")), None);
    }

    #[test]
    fn adults_only_populations_at_20_and_21() {
        let mut f = complete(Program::Ecm);
        f.ecm_populations = BTreeSet::from([5]);
        f.member_dob = Some(d("2005-11-21")); // 20 on 2026-11-20
        let s = run(Program::Ecm, &f);
        assert_eq!(
            (s.outcome, codes(&s)),
            (Outcome::ScreenedOut, vec!["pof_adults_only:5".to_string()])
        );
        f.member_dob = Some(d("2005-11-20")); // 21 on the referral date: birthday counts
        assert_eq!(run(Program::Ecm, &f).outcome, Outcome::Accepted);
    }

    #[test]
    fn children_only_populations_and_foster_youth() {
        let mut f = complete(Program::Ecm);
        f.ecm_populations = BTreeSet::from([7]);
        f.member_dob = Some(d("2005-11-21")); // 20
        assert_eq!(run(Program::Ecm, &f).outcome, Outcome::Accepted);
        f.member_dob = Some(d("2005-11-20")); // 21
        assert_eq!(codes(&run(Program::Ecm, &f)), vec!["pof_children_only:7"]);
        // Population 8 marks a foster youth: youth until the 26th birthday.
        f.ecm_populations = BTreeSet::from([8]);
        f.member_dob = Some(d("2000-11-21")); // 25
        assert_eq!(run(Program::Ecm, &f).outcome, Outcome::Accepted);
        f.member_dob = Some(d("2000-11-20")); // 26 on the referral date
        assert_eq!(codes(&run(Program::Ecm, &f)), vec!["pof_children_only:8"]);
        // A foster youth of 24 counts as youth for Population 7 too.
        f.ecm_populations = BTreeSet::from([7, 8]);
        f.member_dob = Some(d("2002-06-01"));
        assert_eq!(run(Program::Ecm, &f).outcome, Outcome::Accepted);
    }

    #[test]
    fn missing_fields_ask_for_information() {
        let mut f = complete(Program::Ecm);
        f.member_cin = None;
        f.member_phone = None;
        f.referrer_email = None;
        f.ecm_populations.clear();
        let s = run(Program::Ecm, &f);
        assert_eq!(s.outcome, Outcome::NeedsInfo);
        assert_eq!(
            codes(&s),
            [
                "missing_field:member_cin",
                "missing_field:member_phone",
                "missing_field:referrer_phone",
                "no_population_of_focus"
            ]
        );
        let mut f = complete(Program::Cs);
        f.cs_services.clear();
        f.member_dob = None;
        let invalid = BTreeSet::from([FieldKey::MemberDob]);
        let s = screen(
            &cfg(),
            Program::Cs,
            &f,
            Doubts {
                invalid: &invalid,
                uncertain: &BTreeSet::new(),
            },
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(codes(&s), ["invalid_field:member_dob", "no_community_support"]);
    }

    #[test]
    fn mrn_alone_is_enough() {
        let mut f = complete(Program::Chw);
        f.member_cin = None;
        f.member_mrn = Some("11223344".into());
        assert_eq!(run(Program::Chw, &f).outcome, Outcome::Accepted);
    }

    #[test]
    fn county_rules() {
        let mut f = complete(Program::Cs);
        f.member_county = Some("Humboldt".into());
        assert_eq!(codes(&run(Program::Cs, &f)), ["county_not_served"]);
        f.member_county = Some("Marin".into());
        f.cs_services = BTreeSet::from([14, 2]);
        let s = run(Program::Cs, &f);
        assert_eq!(
            (s.outcome, codes(&s)),
            (
                Outcome::ScreenedOut,
                vec!["cs_not_offered_in_county:14".to_string()]
            )
        );
        f.member_county = Some("San Mateo".into());
        f.cs_services = BTreeSet::from([5]);
        assert_eq!(codes(&run(Program::Cs, &f)), ["cs_not_offered_in_county:5"]);
    }

    #[test]
    fn wrong_region_is_listed_but_does_not_change_the_outcome() {
        let mut f = complete(Program::Ecm);
        f.member_county = Some("Orange".into());
        let s = run(Program::Ecm, &f);
        assert_eq!(
            (s.outcome, codes(&s), s.region.as_str()),
            (Outcome::Accepted, vec!["wrong_region".to_string()], "scal")
        );
    }

    #[test]
    fn chw_and_ecm_do_not_overlap() {
        let mut f = complete(Program::Chw);
        f.enrolled_in_ecm = Some(true);
        assert_eq!(codes(&run(Program::Chw, &f)), ["chw_enrolled_in_ecm"]);
        struct OpenEcm;
        impl Lookups for OpenEcm {
            fn open_ecm_referral(&self, cin: &str) -> bool {
                cin == "91234567A"
            }
            fn on_roster(&self, _: &str) -> Option<bool> {
                Some(true)
            }
        }
        f.enrolled_in_ecm = None;
        let s = screen(
            &cfg(),
            Program::Chw,
            &f,
            Doubts::none(),
            d("2026-11-25"),
            "ncal",
            &OpenEcm,
        );
        assert_eq!(codes(&s), ["chw_enrolled_in_ecm"]);
    }

    #[test]
    fn redirects_win_and_every_reason_is_listed() {
        let mut f = complete(Program::Ecm);
        f.kp_member = Some(false);
        f.member_dob = None;
        f.member_county = Some("Humboldt".into());
        let s = run(Program::Ecm, &f);
        assert_eq!(s.outcome, Outcome::Redirected);
        assert_eq!(
            codes(&s),
            ["not_kp_member", "missing_field:member_dob", "county_not_served"]
        );
        let mut f = complete(Program::Ecm);
        f.health_plan = Some("L.A. Care Health Plan".into());
        assert_eq!(codes(&run(Program::Ecm, &f)), ["not_kp_member"]);
        let mut f = complete(Program::Ecm);
        f.referrer_organization = Some("Bay Area Community Care Partners".into());
        let s = run(Program::Ecm, &f);
        assert_eq!(
            (s.outcome, codes(&s)),
            (Outcome::Redirected, vec!["nle_self_referral".to_string()])
        );
        assert!(s.nle.is_some());
    }

    /// Issue #8: KP's guide lets a member start with 12 CHW units; more is listed for approval and
    /// never changes the outcome.
    #[test]
    fn chw_units_above_twelve_need_approval_without_changing_the_outcome() {
        let mut f = complete(Program::Chw);
        f.chw_units = Some(12);
        let s = run(Program::Chw, &f);
        assert_eq!((s.outcome, codes(&s)), (Outcome::Accepted, vec![]));
        f.chw_units = Some(16);
        let s = run(Program::Chw, &f);
        assert_eq!(s.outcome, Outcome::Accepted);
        assert_eq!(codes(&s), vec!["chw_units_need_approval"]);
        // Not a CHW referral: the rule does not apply.
        let mut e = complete(Program::Ecm);
        e.chw_units = Some(40);
        assert!(codes(&run(Program::Ecm, &e)).is_empty());
    }

    /// Issue #10: a doubtful box on the program's list (an OCR'd tick read with doubt) sends the
    /// referral to review even when other boxes gave the list — it is never `accepted` on a
    /// list that may lack an item or hold a wrong one; nor asked for when the list came out empty.
    #[test]
    fn a_doubtful_box_on_the_list_is_review() {
        let uncertain: BTreeSet<FieldKey> = [FieldKey::CsServices].into();
        let doubts = Doubts {
            invalid: &BTreeSet::new(),
            uncertain: &uncertain,
        };
        let f = complete(Program::Cs);
        assert!(!f.cs_services.is_empty());
        let s = screen(
            &cfg(),
            Program::Cs,
            &f,
            doubts,
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(s.outcome, Outcome::Review);
        assert_eq!(codes(&s), vec!["uncertain_field:cs_services"]);
        let mut empty = complete(Program::Cs);
        empty.cs_services.clear();
        let s = screen(
            &cfg(),
            Program::Cs,
            &empty,
            doubts,
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(s.outcome, Outcome::Review);
        assert_eq!(codes(&s), vec!["uncertain_field:cs_services"]);
        // A doubt about another program's list does not touch this one.
        let s = screen(
            &cfg(),
            Program::Ecm,
            &complete(Program::Ecm),
            doubts,
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(s.outcome, Outcome::Accepted);
    }

    /// SPEC §5: a required field the form plausibly holds goes to review, never back to the sender.
    #[test]
    fn an_uncertain_required_field_is_review_not_needs_info() {
        let mut f = complete(Program::Ecm);
        f.member_dob = None;
        let uncertain: BTreeSet<FieldKey> = [FieldKey::MemberDob].into();
        let s = screen(
            &cfg(),
            Program::Ecm,
            &f,
            Doubts {
                invalid: &BTreeSet::new(),
                uncertain: &uncertain,
            },
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(s.outcome, Outcome::Review);
        assert_eq!(codes(&s), vec!["uncertain_field:member_dob"]);
        // With a field genuinely missing besides, review still wins over needs_info.
        f.referrer_name = None;
        let s = screen(
            &cfg(),
            Program::Ecm,
            &f,
            Doubts {
                invalid: &BTreeSet::new(),
                uncertain: &uncertain,
            },
            d("2026-11-25"),
            "ncal",
            &NoLookups,
        );
        assert_eq!(s.outcome, Outcome::Review);
        assert_eq!(
            codes(&s),
            vec!["uncertain_field:member_dob", "missing_field:referrer_name"]
        );
    }
}
