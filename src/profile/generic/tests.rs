//! Tests for the generic synonym mapper.

use super::*;
use crate::config::Config;

fn target(label: &str, section: Option<&str>, value: RawValue) -> Option<String> {
    let cfg = Config::builtin().expect("config");
    let entry = RawEntry {
        name: label.into(),
        alt: None,
        section: section.map(Into::into),
        value,
    };
    cfg.profiles
        .vocabulary
        .target_for(&entry, &cfg.catalog, None)
        .map(|t| t.0.to_string())
}

fn text(label: &str) -> Option<String> {
    target(label, None, RawValue::Text("something".into()))
}

#[test]
fn unseen_wording_maps_through_synonyms() {
    assert_eq!(text("Beneficiary Last Name").as_deref(), Some("member_last_name"));
    assert_eq!(text("Client DOB").as_deref(), Some("member_dob"));
    assert_eq!(text("Medi-Cal #").as_deref(), Some("member_cin"));
    assert_eq!(text("Patient Name").as_deref(), Some("member_name"));
    assert_eq!(text("Client Index Number (CIN)").as_deref(), Some("member_cin"));
    assert_eq!(text("Enrollee Date of Birth").as_deref(), Some("member_dob"));
    assert_eq!(
        text("MRN (or Medi-Cal CIN if MRN is unknown)").as_deref(),
        Some("member_mrn_or_cin")
    );
    assert_eq!(text("Referring Provider Name").as_deref(), Some("referrer_name"));
    assert_eq!(text("Referring Agency").as_deref(), Some("referrer_organization"));
    assert_eq!(text("Requestor Phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Emergency Contact Phone").as_deref(), Some("ignore"));
    assert_eq!(text("Member's Medi-Cal Plan").as_deref(), Some("health_plan"));
    // "This plan" on another plan's form is that plan, so it must not read as KP membership.
    assert_ne!(
        text("Is the enrollee a Medi-Cal member of this plan?").as_deref(),
        Some("kp_member")
    );
    assert_eq!(
        text("Is the member a KP Medi-Cal member?").as_deref(),
        Some("kp_member")
    );
    assert_eq!(text("Date of Referral").as_deref(), Some("referral_date"));
    assert_eq!(text("Phone").as_deref(), Some("member_phone"));
}

#[test]
fn section_gives_the_role() {
    let v = || RawValue::Text("x".into());
    assert_eq!(
        target("Name", Some("SECTION 2 - REFERRING ENTITY"), v()).as_deref(),
        Some("referrer_name")
    );
    assert_eq!(
        target("Phone", Some("Referrer Information"), v()).as_deref(),
        Some("referrer_phone")
    );
    assert_eq!(
        target("Name", Some("Member Information"), v()).as_deref(),
        Some("member_name")
    );
}

#[test]
fn captions_map_to_catalogue_items() {
    let tick = || RawValue::Checked(true);
    assert_eq!(
        target("Housing Deposits", None, tick()).as_deref(),
        Some("cs_services=2")
    );
    assert_eq!(
        target("3. Adults experiencing homelessness", None, tick()).as_deref(),
        Some("ecm_populations=1")
    );
    assert_eq!(
        target("Enhanced Care Management (ECM)", None, tick()).as_deref(),
        Some("program=ecm")
    );
    assert_eq!(
        target("CHW Services", None, tick()).as_deref(),
        Some("program=chw")
    );
    assert_eq!(
        target("Social services provider", None, tick()).as_deref(),
        Some("referrer_relationship=SocialServicesProvider")
    );
    assert_eq!(
        target("Behavioral health", None, RawValue::Text("X".into())).as_deref(),
        Some("chw_needs=Behavioral")
    );
}

#[test]
fn yes_no_box_pairs_answer_per_item() {
    let tick = || RawValue::Checked(true);
    assert_eq!(
        target("Sobering Centers - Yes", None, tick()).as_deref(),
        Some("cs_services=14")
    );
    assert_eq!(
        target("Sobering Centers - No", None, tick()).as_deref(),
        Some("ignore")
    );
    assert_eq!(
        target("Is the member a KP Medi-Cal member? No", None, tick()).as_deref(),
        Some("kp_member=false")
    );
    assert_eq!(
        target("Currently enrolled in ECM - Yes", None, tick()).as_deref(),
        Some("enrolled_in_ecm=true")
    );
}

#[test]
fn a_referrers_program_is_their_organisation() {
    let cfg = Config::builtin().expect("config");
    let entry = |v: &str| RawEntry {
        name: "Program".into(),
        alt: None,
        section: None,
        value: RawValue::Text(v.into()),
    };
    let map = |v: &str, role| {
        cfg.profiles
            .vocabulary
            .target_for(&entry(v), &cfg.catalog, role)
            .map(|t| t.0.to_string())
    };
    assert_eq!(
        map("Example Behavioral Health", Some(Role::Referrer)).as_deref(),
        Some("referrer_organization")
    );
    assert_eq!(map("ECM", Some(Role::Referrer)).as_deref(), Some("program"));
    assert_eq!(map("Example Behavioral Health", None).as_deref(), Some("program"));
}
