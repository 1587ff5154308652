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
        confidence: None,
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
        confidence: None,
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

// Issue #8: one regression test per class of mis-reading found on forms nobody had profiled.

fn read(entries: &[(&str, RawValue)]) -> crate::model::Fields {
    read_doc(crate::extract::DocKind::PdfForm, &[entries])
        .pop()
        .unwrap_or_default()
}

fn txt(s: &str) -> RawValue {
    RawValue::Text(s.into())
}

#[test]
fn class1_words_run_together_in_names_and_export_values() {
    assert_eq!(text("MemberDateOfBirth").as_deref(), Some("member_dob"));
    assert_eq!(text("ReferringProviderPhone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("mbr_first_name").as_deref(), Some("member_first_name"));
    // One token with no case at all, split into the vocabulary's words.
    assert_eq!(text("mbrfirst").as_deref(), Some("member_first_name"));
    assert_eq!(text("refdate").as_deref(), Some("referral_date"));
    let f = read(&[("ReferrerType", txt("SocialServicesProvider"))]);
    assert_eq!(
        f.referrer_relationship,
        Some(Relationship::SocialServicesProvider)
    );
}

#[test]
fn class2_dotted_initialisms_are_words() {
    assert_eq!(text("D.O.B.").as_deref(), Some("member_dob"));
    assert_eq!(text("Medi-Cal I.D. #").as_deref(), Some("member_cin"));
    assert_eq!(text("C.S.W. Name").as_deref(), Some("referrer_name"));
    let f = read(&[("P.O.F.", txt("3"))]);
    assert_eq!(f.ecm_populations.into_iter().collect::<Vec<_>>(), vec![3]);
}

#[test]
fn class3_hierarchical_names_leaf_is_the_attribute_parents_the_role() {
    assert_eq!(text("member.address.city").as_deref(), Some("member_city"));
    assert_eq!(text("member.address.zip").as_deref(), Some("member_zip"));
    assert_eq!(
        text("member.address.street").as_deref(),
        Some("member_address_line")
    );
    assert_eq!(text("referrer.contact.phone").as_deref(), Some("referrer_phone"));
    assert_eq!(
        text("topmostSubform[0].Page1[0].MemberName[0]").as_deref(),
        Some("member_name")
    );
    // A leaf that names nothing takes its parent's meaning; a path can read as one phrase.
    assert_eq!(
        text("member.address.line1").as_deref(),
        Some("member_address_line")
    );
    assert_eq!(text("ecm.enrolled").as_deref(), Some("enrolled_in_ecm"));
}

#[test]
fn class4_abbreviations_plurals_and_dropped_words_match_the_synonyms() {
    for (label, want) in [
        ("Mbr Ph No.", "member_phone"),
        ("Pt. DOB", "member_dob"),
        ("Tel.", "member_phone"),
        ("Call-back number", "member_phone"),
        ("Submitted on", "referral_date"),
        ("Date of this referral", "referral_date"),
        ("Clinical justification", "reason"),
        ("Target population", "ecm_populations"),
        ("Populations of Focus", "ecm_populations"),
        (
            "Is the member currently receiving ECM services?",
            "enrolled_in_ecm",
        ),
        ("CurrentlyEnrolledECM", "enrolled_in_ecm"),
        ("Units requested", "chw_units"),
        ("Hours requested", "chw_hours"),
    ] {
        assert_eq!(text(label).as_deref(), Some(want), "{label}");
    }
}

#[test]
fn class5_list_columns_and_prefixed_items() {
    let f = read(&[
        ("POF", txt("POF 4, POF 1")),
        ("CS requested", txt("CS-12; CS #2")),
    ]);
    assert_eq!(f.ecm_populations.iter().copied().collect::<Vec<_>>(), vec![1, 4]);
    assert_eq!(f.cs_services.iter().copied().collect::<Vec<_>>(), vec![2, 12]);
    // A bare number in a Population of Focus column is the population, not a tick.
    assert_eq!(
        read(&[("POF", txt("1"))])
            .ecm_populations
            .into_iter()
            .collect::<Vec<_>>(),
        vec![1]
    );
    // A column typed by its values: nothing but catalogue items.
    let f = read(&[("Column F", txt("Housing Deposits; Recuperative Care"))]);
    assert_eq!(f.cs_services.into_iter().collect::<Vec<_>>(), vec![2, 5]);
}

#[test]
fn class6_a_free_text_needs_answer_is_the_reason() {
    let f = read(&[("Needs", txt("Help with housing paperwork and rides to dialysis"))]);
    assert!(f.chw_needs.is_empty());
    assert_eq!(
        f.reason.as_deref(),
        Some("Help with housing paperwork and rides to dialysis")
    );
    assert_eq!(text("Reason for CHW services").as_deref(), Some("reason"));
}

#[test]
fn class9_kind_of_match_ranks_before_length() {
    // A role-only guess ("Referred by") gives way to a real name label after it, however short.
    let f = read(&[
        ("Referred by", txt("Dr. Guess")),
        ("Referrer name", txt("Rowan Placeholder")),
    ]);
    assert_eq!(f.referrer_name.as_deref(), Some("Rowan Placeholder"));
    // The head of a label is its last noun; a bare "name" gives way to the organisation.
    assert_eq!(text("Residence City").as_deref(), Some("member_city"));
    assert_eq!(text("Facility Name").as_deref(), Some("referrer_organization"));
    assert_eq!(text("City / ZIP").as_deref(), Some("member_city_zip"));
    assert_eq!(
        text("Client Home Address (street, city, ZIP)").as_deref(),
        Some("member_address_line")
    );
}

#[test]
fn class4_a_question_listing_kinds_of_referrer_asks_the_relationship() {
    assert_eq!(
        text("14. Are you a medical provider, social services provider, or family member?").as_deref(),
        Some("referrer_relationship")
    );
    // One kind alone is not a list of choices.
    assert_ne!(
        text("Medical provider name").as_deref(),
        Some("referrer_relationship")
    );
}

#[test]
fn class9_answers_typed_by_their_shape() {
    // "Who is referring?" answered with a signed name: the referrer and their organisation.
    let f = read(&[(
        "Who is referring (name, agency)?",
        txt("Rosemary Sample, RN - Solano Bay Home Health"),
    )]);
    assert_eq!(f.referrer_name.as_deref(), Some("Rosemary Sample, RN"));
    assert_eq!(f.referrer_organization.as_deref(), Some("Solano Bay Home Health"));
    assert_eq!(f.referrer_relationship, None);
    // A relationship answer stays one.
    let f = read(&[("Who is referring", txt("Medical Provider"))]);
    assert_eq!(
        f.referrer_relationship,
        Some(crate::model::Relationship::MedicalProvider)
    );
    // A number under an organisation-like label is the referrer's phone; a labelled organisation
    // beats one read off a signed name.
    let f = read(&[
        (
            "Referred by",
            txt("Pat Example, Placer County Adult Protective Services"),
        ),
        ("Office", txt("619.555.0193")),
        ("Agency", txt("Placer County APS")),
    ]);
    assert_eq!(f.referrer_name.as_deref(), Some("Pat Example"));
    assert_eq!(f.referrer_phone.as_deref(), Some("6195550193"));
    assert_eq!(f.referrer_organization.as_deref(), Some("Placer County APS"));
}

#[test]
fn class9_a_label_about_the_referral_lends_no_role_to_the_next() {
    // "Ref Date" (referral date, with the "Ref" of referrer) before a bare "Last Name" column.
    let f = read(&[
        ("Ref Date", txt("10/12/2026")),
        ("Last Name", txt("Sample")),
        ("First Name", txt("Jane")),
    ]);
    assert_eq!(f.member_last_name.as_deref(), Some("Sample"));
    assert_eq!(f.member_first_name.as_deref(), Some("Jane"));
    assert!(f.referrer_name.is_none());
}

#[test]
fn class5_a_column_for_two_lists_is_typed_by_its_value() {
    // "ECM POF / CHW Need": a population in one row, needs in another.
    let f = read(&[("ECM POF / CHW Need", txt("Transitioning from incarceration"))]);
    assert_eq!(f.ecm_populations.iter().copied().collect::<Vec<_>>(), vec![4]);
    let f = read(&[("ECM POF / CHW Need", txt("Behavioral health; Social needs"))]);
    assert_eq!(f.chw_needs.len(), 2);
    assert!(f.ecm_populations.is_empty());
    // "CHW Hrs": hours, counted in 30-minute units.
    let f = read(&[("CHW Hrs", txt("3"))]);
    assert_eq!(f.chw_units, Some(6));
}

#[test]
fn class9_a_name_under_a_referrer_phone_label_is_the_referrer() {
    // "PHN" is a public health nurse as often as a phone.
    let f = read(&[
        ("Referring PHN", txt("Harlan Sample")),
        ("Phone", txt("530-555-0184")),
    ]);
    assert_eq!(f.referrer_name.as_deref(), Some("Harlan Sample"));
    assert_eq!(f.referrer_phone.as_deref(), Some("5305550184"));
}

/// A label whose own words are all role and attribute ranks above one with an unknown word in it
/// ("Member Name" over "Client Foo Name"). (blind11's `CHW Name` column, first read as a second
/// member name, is the referring worker's: see `class20_a_workers_name_and_phone_are_the_referrers`.)
#[test]
fn a_label_explained_by_its_role_words_outranks_one_with_unknown_words() {
    let cfg = Config::builtin().expect("config");
    let score = |label: &str| {
        let entry = RawEntry {
            name: label.into(),
            alt: None,
            section: None,
            value: RawValue::Text("Someone Fakename".into()),
            confidence: None,
        };
        cfg.profiles
            .vocabulary
            .target_for(&entry, &cfg.catalog, None)
            .map(|t| (t.0.to_string(), t.1))
            .expect("a target")
    };
    let (member, member_score) = score("Member Name");
    let (other, other_score) = score("Client Zorblat Name");
    assert_eq!((member.as_str(), other.as_str()), ("member_name", "member_name"));
    assert!(member_score > other_score, "{member_score} vs {other_score}");
    assert_eq!(score("CHW Name").0, "referrer_name");
}

#[test]
fn class1_a_designers_default_field_name_gives_way_to_its_tooltip() {
    for n in [
        "Text7",
        "TextField1[0]",
        "DateTimeField2",
        "Check Box12",
        "form1[0].#subform[0].DateTimeField2[0]",
        "undefined_3",
    ] {
        assert!(designer_default(n), "{n}");
    }
    for n in [
        "MemberDateOfBirth",
        "DOB",
        "txtClientDOB",
        "member.dob",
        "Date of birth",
    ] {
        assert!(!designer_default(n), "{n}");
    }
}

#[test]
fn class4_a_note_on_name_order_is_not_the_part_the_label_holds() {
    let f = read(&[("Member (LAST, First)", txt("DE LA FAUX, Consuelo"))]);
    assert_eq!(f.member_first_name.as_deref(), Some("Consuelo"));
    assert_eq!(f.member_last_name.as_deref(), Some("DE LA FAUX"));
    assert_eq!(
        text("Client Name [Last, First MI]").as_deref(),
        Some("member_name")
    );
    // One part alone does say which part it is.
    assert_eq!(text("Member Name (First)").as_deref(), Some("member_first_name"));
}

/// blind82: "Member name, last then first" names the order of a whole name, not its first part.
#[test]
fn class82_a_name_label_saying_last_then_first_holds_the_whole_name() {
    let f = read(&[("Member name, last then first", txt("Sampleworth, Ottoline"))]);
    assert_eq!(f.member_first_name.as_deref(), Some("Ottoline"));
    assert_eq!(f.member_last_name.as_deref(), Some("Sampleworth"));
}

#[test]
fn class9_an_address_alone_under_a_phone_and_email_label_is_the_email() {
    let f = read(&[
        ("Phone / email", txt("916-555-0101")),
        ("Phone / email", txt("pat@example.org")),
    ]);
    assert_eq!(f.member_phone.as_deref(), Some("9165550101"));
    assert_eq!(f.member_email.as_deref(), Some("pat@example.org"));
}

#[test]
fn class9_a_title_naming_the_form_lends_no_role() {
    let v = || RawValue::Text("05-11-1958".into());
    assert_eq!(
        target(
            "Date of Birth",
            Some("Enhanced Care Management - Provider Referral"),
            v()
        )
        .as_deref(),
        Some("member_dob")
    );
    // A heading that names a party still does.
    assert_eq!(
        target(
            "Name",
            Some("Referring Provider"),
            RawValue::Text("Pat Sample".into())
        )
        .as_deref(),
        Some("referrer_name")
    );
}

#[test]
fn class9_a_referrer_label_inside_the_members_section_speaks_for_the_labels_after_it() {
    let cfg = Config::builtin().expect("config");
    let phone = RawEntry {
        name: "Phone".into(),
        alt: None,
        section: Some("Member".into()),
        value: RawValue::Text("530-555-0182".into()),
        confidence: None,
    };
    let target = |context| {
        cfg.profiles
            .vocabulary
            .target_for(&phone, &cfg.catalog, context)
            .map(|t| t.0.to_string())
    };
    assert_eq!(target(Some(Role::Referrer)).as_deref(), Some("referrer_phone"));
    assert_eq!(target(None).as_deref(), Some("member_phone"));
}

#[test]
fn class4_submitted_alone_over_a_date_is_the_referral_date() {
    let f = read(&[
        ("Submitted", txt("2026-12-02")),
        ("Submitted by", txt("Ofelia Sample")),
    ]);
    assert_eq!(f.referral_date, chrono::NaiveDate::from_ymd_opt(2026, 12, 2));
    assert_eq!(f.referrer_name.as_deref(), Some("Ofelia Sample"));
}

#[test]
fn class10_a_referrer_line_of_name_organisation_and_phone_is_split() {
    let f = read(&[(
        "Referred by",
        txt("Lorcan Sample, Placer Rescue Mission, 916-555-0168"),
    )]);
    assert_eq!(f.referrer_name.as_deref(), Some("Lorcan Sample"));
    assert_eq!(f.referrer_organization.as_deref(), Some("Placer Rescue Mission"));
    assert_eq!(f.referrer_phone.as_deref(), Some("9165550168"));
    // A labelled phone wins over the one run into the name.
    let f = read(&[
        ("Referred by", txt("Lorcan Sample, 916-555-0168")),
        ("Referrer phone", txt("916-555-0100")),
    ]);
    assert_eq!(f.referrer_phone.as_deref(), Some("9165550100"));
}

#[test]
fn class3_a_hierarchical_names_given_and_family_leaves_are_the_names_parts() {
    assert_eq!(text("member.name.given").as_deref(), Some("member_first_name"));
    assert_eq!(text("member.name.family").as_deref(), Some("member_last_name"));
}

#[test]
fn class9_a_carried_referrer_role_does_not_take_the_members_birth_date() {
    let f = read(&[
        ("Your name (person filling this out)", txt("Bettina Sample")),
        ("Date of birth", txt("March 5, 1941")),
        ("CIN", txt("96677123N")),
    ]);
    assert_eq!(f.member_dob, chrono::NaiveDate::from_ymd_opt(1941, 3, 5));
    assert_eq!(f.member_cin.as_deref(), Some("96677123N"));
    assert_eq!(f.referrer_name.as_deref(), Some("Bettina Sample"));
}

#[test]
fn class3_a_plan_question_answered_yes_or_no_says_whether_the_member_is_kps() {
    let f = read(&[("member.plan.kp", txt("Yes"))]);
    assert_eq!(f.kp_member, Some(true));
    assert_eq!(f.health_plan, None);
    let f = read(&[("Kaiser plan?", txt("No"))]);
    assert_eq!(f.kp_member, Some(false));
    // A plan named is a plan, and a yes under a question about no plan in particular says nothing.
    let f = read(&[("Health plan", txt("Kaiser Permanente"))]);
    assert_eq!(f.health_plan.as_deref(), Some("Kaiser Permanente"));
    let f = read(&[("Health plan", txt("Yes"))]);
    assert_eq!(f.kp_member, None);
}

#[test]
fn class18_an_institution_letterhead_lends_no_role() {
    let v = || RawValue::Text("07/04/1941".into());
    let letterhead = Some("NORTHFIELD EXAMPLE CAREGIVER RESOURCE CENTER");
    assert_eq!(
        target("Date of birth", letterhead, v()).as_deref(),
        Some("member_dob")
    );
    let v = || RawValue::Text("530-555-0101".into());
    assert_eq!(target("Phone", letterhead, v()).as_deref(), Some("member_phone"));
    // A party's heading still gives its role.
    assert_eq!(
        target("Phone", Some("Emergency Contact"), v()).as_deref(),
        Some("ignore")
    );
    assert_eq!(
        target("Phone", Some("Referring Agency"), v()).as_deref(),
        Some("referrer_phone")
    );
}

#[test]
fn class18_a_role_alone_in_parentheses_names_the_labels_party() {
    let f = read(&[
        ("Caregiver (referrer)", txt("Ottoline Sample")),
        ("Relationship", txt("Spouse")),
        ("Referrer phone", txt("530-555-0177")),
    ]);
    assert_eq!(f.referrer_name.as_deref(), Some("Ottoline Sample"));
    assert_eq!(f.referrer_relationship, Some(Relationship::MemberFamily));
    // A note that only mentions a party is not the label's role.
    assert_eq!(
        text("Referrer name (if not the member)").as_deref(),
        Some("referrer_name")
    );
    // A caregiver's phone is how the member is reached when the form gives no phone of the
    // member's own (blind61): the member's, as a guess that any phone of theirs outranks.
    assert_eq!(text("Caregiver phone").as_deref(), Some("member_phone"));
    assert_eq!(text("Caregiver name").as_deref(), Some("ignore"));
}

#[test]
fn class18_a_referral_source_of_law_enforcement_is_other_and_carries_no_role() {
    assert_eq!(
        relationship_caption("law enforcement", ""),
        Some(Relationship::Other)
    );
    assert_eq!(
        relationship_caption("police department", ""),
        Some(Relationship::Other)
    );
    // The kind of referrer is about the referral: the names after it stay the member's.
    let f = read(&[
        ("DATE OF REFERRAL", txt("11/20/2026")),
        ("REFERRAL SOURCE", txt("Law enforcement")),
        ("FIRST NAME", txt("Quill")),
        ("CITY", txt("Santa Rosa")),
        ("OFFICER / REFERRER", txt("Ida Sample")),
    ]);
    assert_eq!(f.referrer_relationship, Some(Relationship::Other));
    assert_eq!(f.member_first_name.as_deref(), Some("Quill"));
    assert_eq!(f.member_city.as_deref(), Some("Santa Rosa"));
    assert_eq!(f.referrer_name.as_deref(), Some("Ida Sample"));
}

/// Words in parentheses qualify a label ("Phone (facility)" is the phone at the facility) and do
/// not name another attribute; which part of a name they tell still counts.
#[test]
fn class3_words_in_parentheses_qualify_the_label_they_follow() {
    assert_eq!(text("Phone (facility)").as_deref(), Some("member_phone"));
    assert_eq!(text("Address (facility)").as_deref(), Some("member_address_line"));
    assert_eq!(text("Name (First)").as_deref(), Some("member_first_name"));
}

/// Bilingual California forms: Spanish column headers name the same fields, with or without
/// accents, and a Spanish role word ("referente") makes a phone the referrer's.
#[test]
fn class19_spanish_headers_map_through_the_vocabulary() {
    assert_eq!(text("Fecha Nac.").as_deref(), Some("member_dob"));
    assert_eq!(text("Fecha de nacimiento").as_deref(), Some("member_dob"));
    assert_eq!(text("Fecha").as_deref(), Some("referral_date"));
    assert_eq!(text("Apellido(s), Nombre").as_deref(), Some("member_name"));
    assert_eq!(text("Apellido").as_deref(), Some("member_last_name"));
    assert_eq!(text("Teléfono").as_deref(), Some("member_phone"));
    assert_eq!(text("Telefono").as_deref(), Some("member_phone"));
    assert_eq!(text("Tel. referente").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Referente").as_deref(), Some("referrer_name"));
    assert_eq!(text("Ciudad").as_deref(), Some("member_city"));
    assert_eq!(text("CP").as_deref(), Some("member_zip"));
    assert_eq!(text("Condado").as_deref(), Some("member_county"));
    assert_eq!(text("Correo electrónico").as_deref(), Some("member_email"));
}

/// The worker making a CHW referral ("CHW Name", "Promotor/a", "Tel promotor") is the referrer;
/// the same word in a heading-like label or beside other words names the program, not a person.
#[test]
fn class20_a_workers_name_and_phone_are_the_referrers() {
    assert_eq!(text("CHW Name").as_deref(), Some("referrer_name"));
    assert_eq!(text("CHW Phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Promotor/a").as_deref(), Some("referrer_name"));
    assert_eq!(text("Tel promotor").as_deref(), Some("referrer_phone"));
    assert_eq!(text("CHW Needs").as_deref(), Some("chw_needs"));
    assert_ne!(text("CHW Focus").as_deref(), Some("referrer_name"));
    assert_eq!(text("En ECM?").as_deref(), Some("enrolled_in_ecm"));
}

/// A hierarchical name whose leaf and parent make one phrase (`member.plan.name`: "plan name")
/// is that phrase's field, not the leaf's alone (a person's name).
#[test]
fn class3_a_leaf_and_its_parent_read_as_one_phrase() {
    assert_eq!(text("member.plan.name").as_deref(), Some("health_plan"));
    assert_eq!(text("member.name.first").as_deref(), Some("member_first_name"));
    assert_eq!(text("referrer.name").as_deref(), Some("referrer_name"));
}

/// "My name", "My cell" in a body a relative writes are the writer's, i.e. the referrer's.
#[test]
fn class10_my_name_and_my_cell_are_the_writers() {
    assert_eq!(text("My name").as_deref(), Some("referrer_name"));
    assert_eq!(text("My cell").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Mom's name").as_deref(), Some("member_name"));
}

/// What kind of referrer: "Type" or "Role" alone under the referrer's heading, a clinician's
/// credentials as a last resort; a parent's or guardian's consent is the (child) member's.
#[test]
fn class7_referrer_type_credentials_and_a_guardians_consent() {
    let t = |s: &str| RawValue::Text(s.into());
    assert_eq!(
        target("Type", Some("REFERRER"), t("Community-based organization")).as_deref(),
        Some("referrer_relationship")
    );
    assert_eq!(
        target("Role", Some("Referrer"), t("Medical provider")).as_deref(),
        Some("referrer_relationship")
    );
    assert_ne!(
        target("Type", Some("MEMBER"), t("Medi-Cal")).as_deref(),
        Some("referrer_relationship")
    );
    assert_eq!(
        target("Unit", Some("Referring worker"), t("Example County CFS")).as_deref(),
        Some("referrer_organization")
    );
    assert_ne!(
        target("Unit", Some("MEMBER"), t("4B")).as_deref(),
        Some("referrer_organization")
    );
    assert_eq!(
        target("Credentials", None, t("MD")).as_deref(),
        Some("referrer_relationship")
    );
    assert_eq!(target("Credentials", None, t("zzz")), None);
    let on = RawValue::Checked(true);
    assert_eq!(
        target("Parent/guardian consented", None, on.clone()).as_deref(),
        Some("attestation")
    );
    assert_eq!(
        target("Emergency contact phone", None, t("5105550100")).as_deref(),
        Some("ignore")
    );
}

/// Of two phones, the one the writer marks best wins, its qualifier in parentheses or not.
#[test]
fn class4_the_phone_marked_best_wins() {
    let f = read(&[
        ("Home phone", txt("559 555 0112")),
        ("Cell (best #)", txt("559-555-0113")),
    ]);
    assert_eq!(f.member_phone.as_deref(), Some("5595550113"));
    let f = read(&[("Phone", txt("559 555 0112")), ("Cell", txt("559-555-0113"))]);
    assert_eq!(f.member_phone.as_deref(), Some("5595550112"));
}

/// Issue #8 (blind21): a ticked "Other: school" is the box "Other" with the writer's words after
/// its colon, and under a question about the referrer it is the relationship.
#[test]
fn class21_an_other_boxs_write_in_is_not_its_caption() {
    let ticked = || RawValue::Checked(true);
    assert_eq!(
        target("Other: church", Some("Referrer type"), ticked()).as_deref(),
        Some("referrer_relationship=Other")
    );
    assert_eq!(
        target("Other (specify): tutor", Some("Relationship to member"), ticked()).as_deref(),
        Some("referrer_relationship=Other")
    );
}

/// Issue #8 (blind20): a caption naming social services beside a county agency is that kind
/// of referrer, not the CHW need "social".
#[test]
fn class21_a_county_agency_caption_is_a_kind_of_referrer() {
    assert_eq!(
        target(
            "Social services / county agency",
            Some("REFERRING AGENCY"),
            RawValue::Checked(true)
        )
        .as_deref(),
        Some("referrer_relationship=SocialServicesProvider")
    );
}

/// Issue #8 (blind21): a parent's or guardian's consent to the referral is the (minor) member's
/// consent; their phone stays how the member is reached, their other data someone else's.
#[test]
fn class21_a_parents_consent_is_the_attestation() {
    assert_eq!(
        target(
            "Parent/guardian gave consent for this referral",
            Some("Referred by"),
            RawValue::Checked(true)
        )
        .as_deref(),
        Some("attestation")
    );
    assert_eq!(
        target("Guardian consent", None, RawValue::Checked(true)).as_deref(),
        Some("attestation")
    );
    assert_eq!(text("Guardian name").as_deref(), Some("ignore"));
}

/// Issue #8 (blind21): a label asking why ("Why we are referring") asks for the reason, not the
/// referrer's name its role word would suggest.
#[test]
fn class21_a_why_question_asks_for_the_reason() {
    assert_eq!(text("Why we are referring").as_deref(), Some("reason"));
    assert_eq!(
        text("Why is the client being referred?").as_deref(),
        Some("reason")
    );
}

/// Issue #8 (blind21): a hospital social worker's form names the referrer's organisation
/// "Hospital"; it is the organisation, like "Clinic" or "Facility".
#[test]
fn class21_a_hospital_label_names_the_organisation() {
    assert_eq!(text("Hospital").as_deref(), Some("referrer_organization"));
    assert_eq!(text("Hospital name").as_deref(), Some("referrer_organization"));
}

/// A job title whose words include an attribute's ("Service coordinator" holds "service") names
/// the person, not that attribute; what follows it is theirs ("SC phone", "CM Phone").
#[test]
fn class22_a_job_title_holding_an_attribute_word_names_the_person() {
    assert_eq!(text("Service coordinator").as_deref(), Some("referrer_name"));
    assert_eq!(text("SC phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Care Manager").as_deref(), Some("referrer_name"));
    assert_eq!(text("CM Phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("My name").as_deref(), Some("referrer_name"));
    assert_eq!(text("Services requested").as_deref(), Some("cs_services"));
    // A school nurse refers from a district.
    assert_eq!(text("School nurse").as_deref(), Some("referrer_name"));
    assert_eq!(text("Nurse phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("District").as_deref(), Some("referrer_organization"));
}

/// The plan's name alone asked yes/no ("¿Kaiser? (Y/N)", `es_kp`) is whether the member is KP's;
/// "tipo" under the referrer is the kind of referrer.
#[test]
fn class22_the_plans_name_asked_yes_or_no_and_a_spanish_referrer_type() {
    let t = |s: &str| RawValue::Text(s.into());
    assert_eq!(
        target("¿Kaiser? (Y/N)", None, t("Y")).as_deref(),
        Some("kp_member")
    );
    assert_eq!(target("es_kp", None, t("Si")).as_deref(), Some("kp_member"));
    assert_ne!(
        target("Kaiser", None, t("Kaiser Permanente")).as_deref(),
        Some("kp_member")
    );
    assert_eq!(
        target("tipo_referente", None, t("prov_serv_soc")).as_deref(),
        Some("referrer_relationship")
    );
}

/// Issue #8 (blind23): "Contact" answered with a person's name is that person, answered with a
/// number their phone; a "Submitting program" that names none of ours is the referrer's
/// organisation.
#[test]
fn class23_a_contact_named_is_the_person_and_a_submitting_program_the_organisation() {
    let t = |s: &str| RawValue::Text(s.into());
    assert_eq!(
        target(
            "Contact",
            Some("Submitted by"),
            t("Pat Example, Care Coordinator")
        )
        .as_deref(),
        Some("referrer_name")
    );
    assert_eq!(
        target("Contact", Some("Submitted by"), t("661-555-0145")).as_deref(),
        Some("referrer_phone")
    );
    assert_eq!(
        target(
            "Submitting program",
            None,
            t("Example County BHRS - Adult System of Care")
        )
        .as_deref(),
        Some("referrer_organization")
    );
}

/// Issue #8 (blind24): short forms written out ("CNTY", "ENR", "Clin"), a deputy named as the
/// person referring, and a box whose page shows it answering a question ("Member currently
/// enrolled in ECM? [X] No") answers that question whatever its name says ("ECM No").
#[test]
fn class24_short_forms_a_deputy_and_a_box_answering_the_question_beside_it() {
    let t = |s: &str| RawValue::Text(s.into());
    assert_eq!(
        target("MBR_CNTY", None, t("FRESNO")).as_deref(),
        Some("member_county")
    );
    assert_eq!(
        target("ECM_ENR", None, t("N")).as_deref(),
        Some("enrolled_in_ecm")
    );
    assert_eq!(
        target("ClinProgram", None, t("Example Hollywood Mental Health Center")).as_deref(),
        Some("referrer_organization")
    );
    assert_eq!(
        target("Deputy", None, t("Sgt. Pat Example")).as_deref(),
        Some("referrer_name")
    );
    let cfg = Config::builtin().expect("config");
    let entry = RawEntry {
        name: "ECM No".into(),
        alt: Some("Member currently enrolled in ECM? No".into()),
        section: None,
        value: RawValue::Checked(true),
        confidence: None,
    };
    let got = cfg
        .profiles
        .vocabulary
        .target_for(&entry, &cfg.catalog, None)
        .map(|t| t.0.to_string());
    assert_eq!(got.as_deref(), Some("enrolled_in_ecm=false"));
}

/// Issue #8 (blind24): a referrer's name followed by who they are to the member in brackets
/// ("Marisol Example (mother)") is the name, and the bracket says the relationship; a
/// consent answered in both languages ("Sí / Yes") or in words ("verbal consent documented
/// 11/25") is given.
#[test]
fn class24_a_relative_in_brackets_and_consent_in_two_languages_or_in_words() {
    let f = read(&[("Referred by", txt("Marisol Example (mother)"))]);
    assert_eq!(f.referrer_name.as_deref(), Some("Marisol Example"));
    assert_eq!(f.referrer_relationship, Some(Relationship::MemberFamily));
    // A job in brackets is not a relative.
    let f = read(&[("Referred by", txt("Pat Example (care coordinator)"))]);
    assert_ne!(f.referrer_relationship, Some(Relationship::MemberFamily));
    let f = read(&[("Consentimiento / Consent", txt("Sí / Yes"))]);
    assert_eq!(f.attestation, Some(true));
    let f = read(&[("Patient consent", txt("verbal consent documented 11/25/2026"))]);
    assert_eq!(f.attestation, Some(true));
}

/// Issue #8 (blind25): a school's "Student" is the member; a Spanish "Servicio" column is the
/// services asked for; a phone and an email set apart by a middle dot
/// ("415-555-0189 · pat@example.org") are both read.
#[test]
fn class25_a_student_a_spanish_service_column_and_a_middle_dot() {
    assert_eq!(text("Student").as_deref(), Some("member_name"));
    let f = read(&[(
        "Servicio",
        txt("Comidas médicamente adaptadas / Medically tailored meals"),
    )]);
    assert_eq!(f.cs_services.into_iter().collect::<Vec<_>>(), vec![12]);
    let f = read(&[("Referrer contact", txt("415-555-0189 · pat@example.org"))]);
    assert_eq!(f.referrer_phone.as_deref(), Some("4155550189"));
    assert_eq!(f.referrer_email.as_deref(), Some("pat@example.org"));
}

/// Issue #8 (blind26): "Sent by" over a batch names the referrer, as "Submitted by" does.
#[test]
fn class26_sent_by_names_the_referrer() {
    assert_eq!(
        target("Sent by", None, RawValue::Text("Sebastian Example".into())).as_deref(),
        Some("referrer_name")
    );
}

/// Issue #8 (blind28): a box named `consent.member` is the member's consent, not the
/// "Member/family" kind of referrer its leaf alone would be; a numbered instruction line on a
/// sheet ("1. One row per member.") is no label; "RFR" abbreviates the referrer.
#[test]
fn class28_a_members_consent_box_an_instruction_line_and_rfr() {
    assert_eq!(
        target("consent.member", None, RawValue::Checked(true)).as_deref(),
        Some("attestation")
    );
    assert_eq!(
        target(
            "1. One row per member.",
            Some("How to use this sheet"),
            RawValue::Text("2. Need codes: Physical, Social.".into())
        ),
        None
    );
    assert_eq!(text("RFR_NM").as_deref(), Some("referrer_name"));
    assert_eq!(text("RFR_PH").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Requested").as_deref(), None);
    assert_eq!(
        target(
            "Requested",
            Some("2. Service"),
            RawValue::Text("Housing Deposits".into())
        )
        .as_deref(),
        Some("cs_services")
    );
    assert_eq!(
        text("Number of hours of CHW services requested").as_deref(),
        Some("chw_hours")
    );
    assert_eq!(text("CM Direct Line").as_deref(), Some("referrer_phone"));
}

/// Issue #8 (blind29): a preferred name or nickname is not the member's name (it replaced the
/// last name read from "Client: D'ANGELO-SAMPLE, Marisol").
#[test]
fn class29_a_preferred_name_is_not_the_name() {
    assert_eq!(text("Preferred name").as_deref(), Some("ignore"));
    assert_eq!(text("Nickname").as_deref(), Some("ignore"));
    assert_eq!(text("Client").as_deref(), Some("member_name"));
}

/// Issue #8 (blind31): "Kaiser assigned: No" answers whether the member is KP's; "Requested CS"
/// (words the other way round from "CS requested") names the services.
#[test]
fn class31_kaiser_assigned_and_requested_cs() {
    assert_eq!(
        target("Kaiser assigned", None, RawValue::Text("No".into())).as_deref(),
        Some("kp_member")
    );
    assert_eq!(text("Requested CS").as_deref(), Some("cs_services"));
}

/// Issue #8 (blind33): a regional center's "Regional center" caption under its coordinator is
/// the organisation.
#[test]
fn class33_a_center_names_the_organisation() {
    assert_eq!(text("Regional center").as_deref(), Some("referrer_organization"));
}

/// Issue #8 (blind34): a role named only in a label's brackets is that entry's ("Alt phone
/// (case mgr)" is the case manager's phone); the client's address after it stays the client's.
#[test]
fn class34_a_role_in_brackets_does_not_carry_to_the_next_labels() {
    let f = read(&[
        ("Client name", txt("Barnaby Sample")),
        ("Primary phone", txt("707-555-0135")),
        ("Alt phone (case mgr)", txt("707-555-0179")),
        ("Address", txt("1800 Example Ave")),
        ("City", txt("Santa Rosa")),
        ("County", txt("Sonoma")),
    ]);
    assert_eq!(f.referrer_phone.as_deref(), Some("7075550179"));
    assert_eq!(f.member_city.as_deref(), Some("Santa Rosa"));
    assert_eq!(f.member_county.as_deref(), Some("Sonoma"));
}

/// Issue #8 (blind34): a request for time that no phrase names ("Time requested | 3 hours") is
/// the CHW time asked for, by the value's own unit; a time that is no amount is not.
#[test]
fn class34_an_amount_of_time_is_told_by_its_unit() {
    assert_eq!(read(&[("Time requested", txt("3 hours"))]).chw_units, Some(6));
    assert_eq!(read(&[("Amount requested", txt("8 units"))]).chw_units, Some(8));
    assert_eq!(read(&[("Time requested", txt("mornings"))]).chw_units, None);
    assert_eq!(read(&[("Length of stay", txt("3 days"))]).chw_units, None);
}

/// Issue #8 (blind34): a box whose tooltip names a kind of referrer whole ("Social services
/// provider") is that kind, though its name's words hold a CHW need ("RefTypeSocialServices").
#[test]
fn class34_a_kind_of_referrer_in_either_name_beats_a_need_in_the_other() {
    let cfg = Config::builtin().expect("config");
    let entry = RawEntry {
        name: "RefTypeSocialServices".into(),
        alt: Some("Social services provider".into()),
        section: Some("Section C - Referring provider".into()),
        value: RawValue::Checked(true),
        confidence: None,
    };
    let got = cfg
        .profiles
        .vocabulary
        .target_for(&entry, &cfg.catalog, None)
        .map(|t| t.0.to_string());
    assert_eq!(
        got.as_deref(),
        Some("referrer_relationship=SocialServicesProvider")
    );
}

/// Issue #8 (blind35): a program's export value in the writer's abbreviations
/// ("Enhanced_Care_Mgmt") is the program; "POF_BH" and "POF_Justice" answered "Si" are
/// populations 3 and 4; a job title alone under "Submitted by" ("Social Services Director") is
/// the referrer's name; "Phone / Fax" is the phone its value leads with.
#[test]
fn class35_abbreviated_exports_short_population_names_titles_and_alternatives() {
    let cfg = Config::builtin().expect("config");
    let doc = |entries: Vec<RawEntry>| crate::extract::RawDoc {
        kind: crate::extract::DocKind::PdfForm,
        records: vec![crate::extract::RawRecord { entries }],
        text: String::new(),
    };
    let e = |name: &str, section: Option<&str>, value: RawValue| RawEntry {
        name: name.into(),
        alt: None,
        section: section.map(Into::into),
        value,
        confidence: None,
    };
    let ctx = crate::profile::MapContext {
        catalog: &cfg.catalog,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
    };
    let (_, refs) = cfg.profiles.map(
        &doc(vec![
            e("ProgramRequested", None, txt("Enhanced_Care_Mgmt")),
            e("POF_Justice", None, txt("Si")),
            e("POF_BH", None, txt("Si")),
            e(
                "Social Services Director",
                Some("Submitted by"),
                txt("Bartholomew Sample, MSW"),
            ),
            e(
                "Phone / Fax",
                Some("Submitted by"),
                txt("209-555-0161 / 209-555-0162"),
            ),
        ]),
        ctx,
    );
    let r = refs.first().expect("a referral");
    assert!(r.programs.contains(&Program::Ecm), "{:?}", r.programs);
    assert_eq!(
        r.fields.ecm_populations.iter().copied().collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(r.fields.referrer_name.as_deref(), Some("Bartholomew Sample, MSW"));
    assert_eq!(r.fields.referrer_phone.as_deref(), Some("2095550161"));
}

/// Issue #8 (blind36): a role carried from "REFERRING OFFICER" to the next row of captions made
/// the member nameless; each label read for itself gives the member's name and keeps the
/// officer's phone the officer's.
#[test]
fn class36_a_carried_role_that_leaves_the_member_nameless_is_dropped() {
    let f = read(&[
        ("DATE", txt("11/29/2026")),
        ("REFERRING OFFICER", txt("Sgt. Lorelei Sample")),
        ("LAST NAME", txt("Nobodyson")),
        ("FIRST NAME", txt("Thaddeus")),
        ("DOB", txt("06/06/1990")),
        ("PHONE", txt("805-555-0112")),
        ("AGENCY", txt("Oxnard Example Police Department")),
        ("OFFICER PHONE", txt("805-555-0175")),
    ]);
    assert_eq!(f.member_last_name.as_deref(), Some("Nobodyson"));
    assert_eq!(f.member_first_name.as_deref(), Some("Thaddeus"));
    assert_eq!(f.member_phone.as_deref(), Some("8055550112"));
    assert_eq!(f.referrer_phone.as_deref(), Some("8055550175"));
}

/// Issue #8 (blind36): an organisation's phone is the referrer's ("Clinic Phone"), a phone only
/// qualified by one is not ("Phone (facility)"); a CHW's supervisor is the referrer; "Population"
/// alone is the Population of Focus; a control's prefix says nothing (`rdoKP`).
#[test]
fn class36_organisation_phones_supervisors_population_and_control_prefixes() {
    assert_eq!(text("Clinic Phone").as_deref(), Some("referrer_phone"));
    assert_eq!(text("Phone (facility)").as_deref(), Some("member_phone"));
    assert_eq!(text("CHW Supervisor").as_deref(), Some("referrer_name"));
    assert_eq!(text("Population").as_deref(), Some("ecm_populations"));
    assert_eq!(read(&[("rdoKP", txt("N"))]).kp_member, Some(false));
}

/// Issue #8 (blind39): a document whose birth date reads only day first (`21/07/1966`) writes
/// all its numeric dates day first: its `03/12/2026` is the 3rd of December. One that shows
/// nothing, or shows both orders, is read month first.
#[test]
fn class39_a_document_writing_the_day_first_is_read_day_first() {
    let f = read(&[("Date", txt("03/12/2026")), ("DOB", txt("21/07/1966"))]);
    assert_eq!(f.referral_date, chrono::NaiveDate::from_ymd_opt(2026, 12, 3));
    assert_eq!(f.member_dob, chrono::NaiveDate::from_ymd_opt(1966, 7, 21));
    let f = read(&[("Date", txt("03/12/2026")), ("DOB", txt("07/10/1966"))]);
    assert_eq!(f.referral_date, chrono::NaiveDate::from_ymd_opt(2026, 3, 12));
    let f = read(&[
        ("Date", txt("11/30/2026")),
        ("DOB", txt("21/07/1966")),
        ("Hours", txt("3")),
    ]);
    assert_eq!(f.referral_date, chrono::NaiveDate::from_ymd_opt(2026, 11, 30));
    assert_eq!(
        f.member_dob, None,
        "a document showing both orders reads month first"
    );
}

/// Maps the records of one document of `kind` (one form; a batch and its sender's record).
fn read_doc(kind: crate::extract::DocKind, records: &[&[(&str, RawValue)]]) -> Vec<crate::model::Fields> {
    let cfg = Config::builtin().expect("config");
    let doc = crate::extract::RawDoc {
        kind,
        records: records
            .iter()
            .map(|entries| crate::extract::RawRecord {
                entries: entries
                    .iter()
                    .map(|(name, value)| RawEntry {
                        name: (*name).into(),
                        alt: None,
                        section: None,
                        value: value.clone(),
                        confidence: None,
                    })
                    .collect(),
            })
            .collect(),
        text: String::new(),
    };
    let ctx = crate::profile::MapContext {
        catalog: &cfg.catalog,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
    };
    cfg.profiles
        .map(&doc, ctx)
        .1
        .into_iter()
        .map(|r| r.fields)
        .collect()
}

fn read_records(records: &[&[(&str, RawValue)]]) -> Vec<crate::model::Fields> {
    read_doc(crate::extract::DocKind::Ods, records)
}

/// Issue #8 (blind41): a batch whose sender is a record of its own (a "Staff" sheet beside the
/// rows) gives every row its referrer; "Referred" over a date is the referral date.
#[test]
fn class41_a_sender_record_beside_a_batch_and_referred_over_a_date() {
    let got = read_records(&[
        &[
            ("Youth Name", txt("Rafferty Sample")),
            ("DOB", txt("3/14/2003")),
            ("Referred", txt("12/2/2026")),
        ],
        &[("Youth Name", txt("Kimberly Sample")), ("DOB", txt("11/05/1999"))],
        &[
            ("Social worker", txt("Horatio Example")),
            ("Phone", txt("209-555-0172")),
        ],
    ]);
    assert_eq!(got.len(), 2, "{got:?}");
    for f in &got {
        assert_eq!(f.referrer_name.as_deref(), Some("Horatio Example"));
        assert_eq!(f.referrer_phone.as_deref(), Some("2095550172"));
    }
    assert_eq!(
        got.first().and_then(|f| f.referral_date),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
    );
    // A row that names its own referrer keeps it.
    let got = read_records(&[
        &[
            ("Youth Name", txt("Rafferty Sample")),
            ("Referrer", txt("Own Worker")),
        ],
        &[("Social worker", txt("Horatio Example"))],
    ]);
    assert_eq!(
        got.first().and_then(|f| f.referrer_name.as_deref()),
        Some("Own Worker")
    );
}

/// Issue #8 (blind39, blind41): a radio group answering a yes/no question in its tooltip is the
/// question's answer, whatever the group's name (`chw.ecm` is no program tick); a tooltip taken
/// from the first option's caption ("...? Yes") still asks the question. A bare "KP" asks
/// membership.
#[test]
fn class41_a_tooltip_question_answered_by_a_radio_group() {
    let entry = |name: &str, alt: &str, value: &str| RawEntry {
        name: name.into(),
        alt: Some(alt.into()),
        section: None,
        value: txt(value),
        confidence: None,
    };
    let cfg = Config::builtin().expect("config");
    let vocab = &cfg.profiles.vocabulary;
    let target = |e: &RawEntry| vocab.target_for(e, &cfg.catalog, None).map(|(t, _)| t);
    assert_eq!(
        target(&entry("chw.ecm", "Currently enrolled in ECM?", "N")),
        Some(Target::Field(FieldKey::EnrolledInEcm))
    );
    assert_eq!(
        target(&entry("mbr.ecm", "Currently enrolled in ECM? Yes", "N")),
        Some(Target::Field(FieldKey::EnrolledInEcm))
    );
    assert_eq!(
        asked_question("Currently enrolled in ECM? Yes"),
        Some("Currently enrolled in ECM?")
    );
    assert_eq!(asked_question("Why? Explain"), None);
    let f = read(&[("grpKP", txt("Yes"))]);
    assert_eq!(f.kp_member, Some(true));
}

/// Issue #8 (blind43): a city with its ZIP after it ("City ZIP" over "Santa Ana 92701") is the
/// city and the ZIP.
#[test]
fn class43_a_city_followed_by_its_zip() {
    let f = read(&[("City", txt("Santa Ana 92701"))]);
    assert_eq!(f.member_city.as_deref(), Some("Santa Ana"));
    assert_eq!(f.member_zip.as_deref(), Some("92701"));
    let f = read(&[("ZIP", txt("92702")), ("City", txt("Santa Ana, 92701"))]);
    assert_eq!(f.member_city.as_deref(), Some("Santa Ana"));
    assert_eq!(f.member_zip.as_deref(), Some("92702"), "a labelled ZIP stays");
}

/// Issue #8 (blind45): a radio group's export value naming its group before the answer ("KP_N")
/// is that answer.
#[test]
fn class45_an_export_value_with_its_group_before_the_answer() {
    assert_eq!(read(&[("kp_mbr", txt("KP_N"))]).kp_member, Some(false));
    assert_eq!(
        read(&[("Member consent", txt("Consent_Yes"))]).attestation,
        Some(true)
    );
    // Not split at its hyphen ("KP Medi" / "Cal"): the plan named is the answer (blind51).
    assert_eq!(read(&[("kp_mbr", txt("KP Medi-Cal"))]).kp_member, Some(true));
    assert_eq!(read(&[("kp_mbr", txt("Health Net"))]).kp_member, None);
}

/// Issue #8 (blind47): a referrer line closing with the kind of referrer in brackets ("…,
/// t@x.example (CBO)") gives the name, organisation, phone, email and kind; a plus joins items.
#[test]
fn class47_a_referrer_line_with_its_kind_in_brackets_and_items_joined_by_plus() {
    let f = read(&[(
        "Referrer",
        txt(
            "Tomasz Example, Downtown Example Housing Collaborative, 213-555-0200, texample@dshc.example (CBO)",
        ),
    )]);
    assert_eq!(f.referrer_name.as_deref(), Some("Tomasz Example"));
    assert_eq!(f.referrer_phone.as_deref(), Some("2135550200"));
    assert_eq!(f.referrer_email.as_deref(), Some("texample@dshc.example"));
    assert_eq!(
        f.referrer_relationship,
        Some(Relationship::SocialServicesProvider)
    );
    let f = read(&[(
        "Service",
        txt("Housing Transition Navigation + Transitional Rent"),
    )]);
    assert_eq!(f.cs_services.len(), 2, "{:?}", f.cs_services);
}

#[test]
fn class49_a_relative_who_says_they_are_the_referrer_is_the_referrer() {
    let name = RawValue::Text("Philippa Mockridge (daughter)".into());
    assert_eq!(
        target("Caregiver / referrer", None, name.clone()).as_deref(),
        Some("referrer_name")
    );
    assert_eq!(
        target("Parent or referring person", None, name.clone()).as_deref(),
        Some("referrer_name")
    );
    // Someone else's still: an emergency contact, a signature.
    assert_eq!(
        target("Emergency contact / referrer", None, name.clone()).as_deref(),
        Some("ignore")
    );
    assert_eq!(target("Caregiver", None, name).as_deref(), None);
}

#[test]
fn class51_a_code_key_in_the_label_is_no_answer_box_and_a_referrer_type_caption() {
    // "1 = Yes, 2 = No" explains the answer: the "Yes" given is consent, not a "No" box.
    assert_eq!(
        target(
            "Member consent obtained? 1 = Yes, 2 = No",
            None,
            RawValue::Text("Yes".into())
        )
        .as_deref(),
        Some("attestation")
    );
    // The question asked before a tick's caption is no CHW need.
    for caption in [
        "Referrer type: social services",
        "Referrer is a social services provider",
        "Referrer - Social Services",
    ] {
        assert_eq!(
            target(caption, Some("Referrer type"), RawValue::Checked(true)).as_deref(),
            Some("referrer_relationship=SocialServicesProvider"),
            "{caption}"
        );
    }
    assert_eq!(
        target(
            "Medical provider / facility",
            Some("Referrer type"),
            RawValue::Checked(true)
        )
        .as_deref(),
        Some("referrer_relationship=MedicalProvider")
    );
}

#[test]
fn class51_a_facility_contact_is_the_referrer() {
    let name = RawValue::Text("Osric Mockwell, MSW".into());
    assert_eq!(
        target("Facility contact", None, name).as_deref(),
        Some("referrer_name")
    );
}

/// Issue #8 (blind53, blind56): a consent said of the member "or representative" is the
/// member's; "Yes" and "No" boxes under a question answer that question.
#[test]
fn class56_a_representatives_consent_and_yes_no_boxes_under_the_question() {
    assert_eq!(
        target(
            "Resident (or representative) consents to the ECM referral.",
            Some("Section D - Referring Facility"),
            RawValue::Checked(true)
        )
        .as_deref(),
        Some("attestation")
    );
    assert_eq!(
        target("Yes", Some("Client consent on file"), RawValue::Checked(true)).as_deref(),
        Some("attestation=true")
    );
    assert_eq!(
        target("No", Some("Client consent on file"), RawValue::Checked(false)).as_deref(),
        Some("attestation=false")
    );
}

/// Issue #8 (blind59): a doula (a peer specialist, a liaison) making the referral is named by
/// the word alone, like a CHW; an organisation named for doulas over a form is no referrer's
/// heading.
#[test]
fn class59_a_doula_is_the_referring_worker() {
    let v = || RawValue::Text("x".into());
    assert_eq!(text("Doula").as_deref(), Some("referrer_name"));
    assert_eq!(text("Peer specialist").as_deref(), Some("referrer_name"));
    assert_eq!(
        target("City", Some("Central Valley Doula Collective (sample)"), v()).as_deref(),
        Some("member_city")
    );
}

/// Issue #8 (blind59): "Relationship to member: Mother" under the writer's name names the member
/// only as the other end of the relation: the "Phone" after it is still the writer's.
#[test]
fn class59_a_relationship_to_the_member_keeps_the_referrers_lines() {
    let t = |s: &str| RawValue::Text(s.into());
    let got = read_doc(
        crate::extract::DocKind::EmailBody,
        &[&[
            ("Member name", t("Callum Example")),
            ("Phone", t("(415) 555-0186")),
            ("Your name", t("Maeve Example")),
            ("Relationship to member", t("Mother")),
            ("Phone", t("415-555-0187")),
        ]],
    );
    let f = got.first().expect("a referral");
    assert_eq!(f.member_phone.as_deref(), Some("4155550186"));
    assert_eq!(f.referrer_phone.as_deref(), Some("4155550187"));
}

/// Issue #8 (blind61): a caregiver's phone is how a youth in care is reached, as a parent's or
/// guardian's is: the member's phone when the form gives none of the member's own.
#[test]
fn class61_a_caregivers_phone_reaches_the_member() {
    let t = |s: &str| RawValue::Text(s.into());
    let got = read_records(&[&[
        ("Youth Last Name", t("Example")),
        ("Youth First Name", t("Juniper")),
        ("Caregiver Phone", t("951-555-0124")),
        ("Social Worker", t("Consuela Example")),
        ("SW Phone", t("951-555-0165")),
    ]]);
    let f = got.first().expect("a referral");
    assert_eq!(f.member_phone.as_deref(), Some("9515550124"));
    let own = read_records(&[&[
        ("Youth Last Name", t("Example")),
        ("Phone", t("951-555-0100")),
        ("Caregiver Phone", t("951-555-0124")),
    ]]);
    assert_eq!(
        own.first().and_then(|f| f.member_phone.as_deref()),
        Some("9515550100")
    );
}

/// Issue #8 (blind66): a heading naming the referrer atop the page ("CENTRAL CITY HOUSING
/// NAVIGATORS", the sender's letterhead) does not take the member's unqualified labels after
/// "Member last name" from the member.
#[test]
fn class66_member_labels_outrank_a_referrer_heading() {
    let cfg = Config::builtin().expect("config");
    let t = |s: &str| RawValue::Text(s.into());
    let entry = |name: &str, value: RawValue| RawEntry {
        name: name.into(),
        alt: None,
        section: Some("CENTRAL CITY HOUSING NAVIGATORS".into()),
        value,
        confidence: None,
    };
    let doc = crate::extract::RawDoc {
        kind: crate::extract::DocKind::PdfText,
        records: vec![crate::extract::RawRecord {
            entries: vec![
                entry("Member last name", t("O'Example")),
                entry("Member first name", t("Jean-Luc")),
                entry("Date of birth", t("01/15/1990")),
                entry("Phone(s)", t("(213) 555-0139")),
                entry("City", t("Los Angeles")),
                entry("Referrer phone", t("213-555-0188")),
            ],
        }],
        text: String::new(),
    };
    let ctx = crate::profile::MapContext {
        catalog: &cfg.catalog,
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
    };
    let got = cfg.profiles.map(&doc, ctx).1;
    let f = &got.first().expect("a referral").fields;
    assert_eq!(f.member_phone.as_deref(), Some("2135550139"));
    assert_eq!(f.member_city.as_deref(), Some("Los Angeles"));
    assert_eq!(f.referrer_phone.as_deref(), Some("2135550188"));
}

/// Issue #8 (blind68): a "contact" column right after the referring organisation's
/// ("chw_org | contact | contact_phone") is that organisation's person, not the member.
#[test]
fn class68_a_contact_after_the_referring_organisation() {
    let t = |s: &str| RawValue::Text(s.into());
    let got = read_records(&[&[
        ("member_name", t("Ochoa-Example, Maribel")),
        ("phone", t("714-555-0128")),
        ("chw_org", t("Sample Orange Promotores")),
        ("contact", t("Dalia Example")),
        ("contact_phone", t("714-555-0130")),
    ]]);
    let f = got.first().expect("a referral");
    assert_eq!(f.member_last_name.as_deref(), Some("Ochoa-Example"));
    assert_eq!(f.referrer_name.as_deref(), Some("Dalia Example"));
    assert_eq!(f.referrer_phone.as_deref(), Some("7145550130"));
    assert_eq!(f.member_phone.as_deref(), Some("7145550128"));
}

/// Issue #8 (blind68): a party's word alone answered with a Community Support ("Requesting:
/// Respite services for caregiver") asks for the service, not a person; "Me:" in a family
/// member's body is the writer.
#[test]
fn class68_a_service_after_a_party_word_and_me_for_the_writer() {
    let t = |s: &str| RawValue::Text(s.into());
    let got = read_doc(
        crate::extract::DocKind::EmailBody,
        &[&[
            ("Mbr", t("Consolata Example")),
            ("Tel", t("510 555 0137")),
            ("Requesting", t("Respite services for caregiver")),
            ("Me", t("Benedetta Example (daughter)")),
            ("My cell", t("510-555-0138")),
        ]],
    );
    let f = got.first().expect("a referral");
    assert_eq!(f.cs_services.iter().copied().collect::<Vec<u8>>(), vec![7]);
    assert_eq!(f.referrer_name.as_deref(), Some("Benedetta Example"));
    assert_eq!(f.member_phone.as_deref(), Some("5105550137"));
}

/// Issue #8 (blind69): which worker beside a worker's word ("Promotora Lead", "CHW
/// Supervisor") is still the referrer; a rank alone is nobody's.
#[test]
fn class69_a_lead_worker_is_the_referrer() {
    assert_eq!(text("Promotora Lead").as_deref(), Some("referrer_name"));
    assert_eq!(text("CHW Supervisor").as_deref(), Some("referrer_name"));
    assert_eq!(text("Lead").as_deref(), None);
}

/// Issue #10 (blindscan3): an OCR'd label with one letter misread ("ZAP", "Ciry") is respelled
/// to the one known word a letter away; a word two letters off, or near two known words, is not.
#[test]
fn scan3_a_misread_label_word_is_respelled() {
    let cfg = Config::builtin().expect("config");
    let v = &cfg.profiles.vocabulary;
    assert_eq!(v.respelled("ZAP").as_deref(), Some("zip"));
    assert_eq!(v.respelled("Ciry").as_deref(), Some("city"));
    assert_eq!(v.respelled("Adress").as_deref(), Some("address"));
    assert_eq!(v.respelled("Phone"), None);
    assert_eq!(v.respelled("Qxzy"), None);
}

/// Issue #8 (blind72): a ticked caption a population and a CHW need each name at the same
/// length ("Mental health or substance use": "mental health" is a need, "substance use" a
/// population) is the list whose names hold more of its words — the population.
#[test]
fn class72_a_caption_two_lists_name_alike_is_the_one_holding_more_of_its_words() {
    let got = target("Mental health or substance use", None, RawValue::Checked(true));
    assert_eq!(got.as_deref(), Some("ecm_populations=3"));
    // A caption both lists hold whole, with nothing around it, stays undecided.
    assert_eq!(target("BH", None, RawValue::Checked(true)), None);
}

/// Issue #8 (blind43, met again in blind71's session): "Other (school)" ticked under a referrer
/// question is the box "Other", the parenthesis the writer's own words.
#[test]
fn class71_an_other_box_with_a_parenthesised_remark_is_other() {
    assert_eq!(
        target("Other (school)", Some("Referrer"), RawValue::Checked(true)).as_deref(),
        target("Other", Some("Referrer"), RawValue::Checked(true)).as_deref()
    );
    assert!(target("Other (school)", Some("Referrer"), RawValue::Checked(true)).is_some());
}

/// Issue #8 (blind74): an answer that is one catalogue item's whole name, slash and "and" in
/// it ("Serious Mental Health and/or Substance Use Disorder Needs"), under a label no
/// vocabulary names ("Which group (from the website)"), is that item of its list.
#[test]
fn class74_a_whole_item_name_with_and_or_is_the_item() {
    let f = read(&[
        ("Member name", txt("Roberto Sample")),
        (
            "Which group (from the website)",
            txt("Serious Mental Health and/or Substance Use Disorder Needs"),
        ),
    ]);
    assert_eq!(f.ecm_populations, [3].into_iter().collect());
}

/// Issue #8 (blind75): a tick captioned "Referring as medical provider" answers the kind of
/// referrer, not a CHW need.
#[test]
fn class75_referring_as_a_kind_of_referrer() {
    let f = read(&[
        ("Discharge planner", txt("Winifred Sample, RN")),
        ("Referring as medical provider", RawValue::Checked(true)),
    ]);
    assert_eq!(f.referrer_relationship, Some(Relationship::MedicalProvider));
    assert!(f.chw_needs.is_empty());
}

/// Issue #8 (blind79): a choice named for nothing a reader sees (`RadioButtonList[0]`) answered
/// with a kind of referrer, whole ("Medical provider"), is the referrer's relationship.
#[test]
fn class79_an_unnamed_choice_answered_with_a_kind_of_referrer() {
    let f = read(&[
        ("Name / credentials", txt("Yolanda Sample, RN")),
        ("RadioButtonList[0]", txt("Medical provider")),
    ]);
    assert_eq!(f.referrer_relationship, Some(Relationship::MedicalProvider));
}

/// Issue #8 (blind88 02, blind87 19): `Cty` is a city, `MCAL` is Medi-Cal ("PT_CTY",
/// "KP_MCAL"), written out like `Cnty` and `Addr`.
#[test]
fn class88_city_and_medi_cal_abbreviations_are_written_out() {
    assert_eq!(text("PT_CTY").as_deref(), Some("member_city"));
    assert_eq!(
        target("KP_MCAL", None, RawValue::Text("Y".into())).as_deref(),
        Some("kp_member")
    );
}

/// Issue #8 (blind88 26): "Referred by: Otto Bogusz, RD · Vallejo Renal Care · 707-555-0100":
/// middle dots part a signature's pieces as commas and bars do.
#[test]
fn class88_a_signature_parted_by_middle_dots() {
    let f = read(&[(
        "Referred by",
        txt("Otto Bogusz, RD · Vallejo Renal Care · 707-555-0100"),
    )]);
    assert_eq!(f.referrer_name.as_deref(), Some("Otto Bogusz, RD"));
    assert_eq!(f.referrer_organization.as_deref(), Some("Vallejo Renal Care"));
    assert_eq!(f.referrer_phone.as_deref(), Some("7075550100"));
}

/// Issue #8 (blind87 14): "Submitted by: San Diego County CWS (sample)" over a batch whose rows
/// name the worker: an office is the organisation, and a person's name beats it as the name.
#[test]
fn class87_an_office_given_as_the_referrer_is_the_organisation() {
    let f = read(&[
        ("Worker", txt("Harriet Falsehood")),
        ("Submitted by", txt("San Diego County CWS (sample)")),
    ]);
    assert_eq!(f.referrer_name.as_deref(), Some("Harriet Falsehood"));
    assert_eq!(
        f.referrer_organization.as_deref(),
        Some("San Diego County CWS (sample)")
    );
    // Alone, it still names who sent it.
    let f = read(&[("Submitted by", txt("San Diego County CWS (sample)"))]);
    assert_eq!(f.referrer_name.as_deref(), Some("San Diego County CWS (sample)"));
}

/// Issue #8 (blind87 05): `patient.phone.home` is the home phone, as exact as
/// `patient.phone.cell` is a cell phone: the first listed is kept, not the second.
#[test]
fn class87_a_hierarchical_leaf_read_before_its_parent() {
    assert_eq!(text("patient.phone.home").as_deref(), Some("member_phone"));
    let f = read(&[
        ("patient.phone.home", txt("916-555-0102")),
        ("patient.phone.cell", txt("916-555-0103")),
    ]);
    assert_eq!(f.member_phone.as_deref(), Some("9165550102"));
}

/// Issue #8 (blind87 06): "Health plan" ticked under "Relationship to member" is a kind of
/// referrer SPEC does not name (`other`); outside such a heading it is no relationship.
#[test]
fn class87_another_kind_of_referrer_ticked_is_other() {
    let ticked = || RawValue::Checked(true);
    assert_eq!(
        target("Health plan", Some("Relationship to member"), ticked()).as_deref(),
        Some("referrer_relationship=Other")
    );
    assert_eq!(
        target("School", Some("Referrer type"), ticked()).as_deref(),
        Some("referrer_relationship=Other")
    );
    assert_ne!(
        target("Health plan", Some("Member information"), ticked()).as_deref(),
        Some("referrer_relationship=Other")
    );
}
