//! The vocabulary every stage shares: programs, canonical fields, outcomes and reason codes.
//!
//! Everything here has a stable string form (SPEC §4–§5). Those strings appear in the store,
//! in logs, in `explain` output and in templates, so renaming a variant is a breaking change.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One of the three benefits a referral can be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// Enhanced Care Management.
    Ecm,
    /// Community Supports.
    Cs,
    /// Community Health Worker services.
    Chw,
}

impl Program {
    /// All programs in their canonical order.
    pub const ALL: [Program; 3] = [Program::Ecm, Program::Cs, Program::Chw];

    /// The stable lowercase code (`ecm`, `cs`, `chw`).
    pub fn code(self) -> &'static str {
        match self {
            Program::Ecm => "ecm",
            Program::Cs => "cs",
            Program::Chw => "chw",
        }
    }

    /// The name people read in emails.
    pub fn display_name(self) -> &'static str {
        match self {
            Program::Ecm => "Enhanced Care Management (ECM)",
            Program::Cs => "Community Supports (CS)",
            Program::Chw => "Community Health Worker (CHW) services",
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Program {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ecm" => Ok(Program::Ecm),
            "cs" => Ok(Program::Cs),
            "chw" => Ok(Program::Chw),
            other => Err(format!("unknown program `{other}`; expected ecm, cs or chw")),
        }
    }
}

/// Who is referring, as the form states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    MedicalProvider,
    SocialServicesProvider,
    MemberFamily,
    Other,
}

impl FromStr for Relationship {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "medical_provider" => Ok(Self::MedicalProvider),
            "social_services_provider" => Ok(Self::SocialServicesProvider),
            "member_family" => Ok(Self::MemberFamily),
            "other" => Ok(Self::Other),
            other => Err(format!(
                "unknown relationship `{other}`; expected medical_provider, social_services_provider, member_family or other"
            )),
        }
    }
}

/// A CHW need category (SPEC §4 `chw_needs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChwNeed {
    Physical,
    Social,
    Behavioral,
    Disability,
    ViolencePrevention,
}

impl FromStr for ChwNeed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "physical" => Ok(Self::Physical),
            "social" => Ok(Self::Social),
            "behavioral" => Ok(Self::Behavioral),
            "disability" => Ok(Self::Disability),
            "violence_prevention" => Ok(Self::ViolencePrevention),
            other => Err(format!(
                "unknown CHW need `{other}`; expected physical, social, behavioral, disability or violence_prevention"
            )),
        }
    }
}

macro_rules! field_keys {
    ($($variant:ident => $name:literal, $label:literal;)*) => {
        /// A canonical field key (SPEC §4). `program` is not one of them: it is the referral's own key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FieldKey { $($variant,)* }

        impl FieldKey {
            /// Every key, in the order they are listed in the spec.
            pub const ALL: &'static [FieldKey] = &[$(FieldKey::$variant,)*];

            /// The stable snake_case name used in JSON, reason codes and profiles.
            pub fn name(self) -> &'static str {
                match self { $(FieldKey::$variant => $name,)* }
            }

            /// What a person filling in a form calls it; used when asking senders for missing data.
            pub fn label(self) -> &'static str {
                match self { $(FieldKey::$variant => $label,)* }
            }
        }

        impl FromStr for FieldKey {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(FieldKey::$variant),)*
                    other => Err(format!("unknown canonical field `{other}`")),
                }
            }
        }
    };
}

field_keys! {
    ReferralDate => "referral_date", "Referral date";
    MemberFirstName => "member_first_name", "Member first name";
    MemberLastName => "member_last_name", "Member last name";
    MemberDob => "member_dob", "Member date of birth";
    MemberCin => "member_cin", "Member Medi-Cal CIN (or KP MRN)";
    MemberMrn => "member_mrn", "Member KP medical record number (MRN)";
    MemberPhone => "member_phone", "Member phone number";
    MemberEmail => "member_email", "Member email";
    MemberAddress => "member_address", "Member street address";
    MemberCity => "member_city", "Member city";
    MemberZip => "member_zip", "Member ZIP code";
    MemberCounty => "member_county", "Member county";
    MemberLanguage => "member_language", "Member preferred language";
    HealthPlan => "health_plan", "Member health plan";
    KpMember => "kp_member", "Whether the member has KP Medi-Cal";
    ReferrerName => "referrer_name", "Referrer name";
    ReferrerOrganization => "referrer_organization", "Referring organization";
    ReferrerPhone => "referrer_phone", "Referrer phone number";
    ReferrerEmail => "referrer_email", "Referrer email";
    ReferrerNpi => "referrer_npi", "Referrer NPI";
    ReferrerRelationship => "referrer_relationship", "Referrer relationship to the member";
    EcmPopulations => "ecm_populations", "ECM Population(s) of Focus";
    CsServices => "cs_services", "Community Support(s) requested";
    ChwNeeds => "chw_needs", "CHW need(s)";
    ChwUnits => "chw_units", "CHW service units requested (30 minutes each)";
    EnrolledInEcm => "enrolled_in_ecm", "Whether the member is enrolled in ECM";
    Attestation => "attestation", "Referrer attestation of member consent";
    Reason => "reason", "Reason for referral";
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The canonical, normalised fields of one referral. Absent means "not found on the form".
///
/// Serialised with absent keys (and empty lists) left out, so `extract` and `explain` show only
/// what was found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_dob: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_cin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_mrn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_zip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_county: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kp_member: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_npi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer_relationship: Option<Relationship>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ecm_populations: BTreeSet<u8>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub cs_services: BTreeSet<u8>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub chw_needs: BTreeSet<ChwNeed>,
    /// CHW service units requested, 30 minutes each (hours are converted: × 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chw_units: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrolled_in_ecm: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Fields {
    /// Whether the field is present (lists count as present when non-empty).
    pub fn has(&self, key: FieldKey) -> bool {
        use FieldKey as K;
        match key {
            K::ReferralDate => self.referral_date.is_some(),
            K::MemberFirstName => self.member_first_name.is_some(),
            K::MemberLastName => self.member_last_name.is_some(),
            K::MemberDob => self.member_dob.is_some(),
            K::MemberCin => self.member_cin.is_some(),
            K::MemberMrn => self.member_mrn.is_some(),
            K::MemberPhone => self.member_phone.is_some(),
            K::MemberEmail => self.member_email.is_some(),
            K::MemberAddress => self.member_address.is_some(),
            K::MemberCity => self.member_city.is_some(),
            K::MemberZip => self.member_zip.is_some(),
            K::MemberCounty => self.member_county.is_some(),
            K::MemberLanguage => self.member_language.is_some(),
            K::HealthPlan => self.health_plan.is_some(),
            K::KpMember => self.kp_member.is_some(),
            K::ReferrerName => self.referrer_name.is_some(),
            K::ReferrerOrganization => self.referrer_organization.is_some(),
            K::ReferrerPhone => self.referrer_phone.is_some(),
            K::ReferrerEmail => self.referrer_email.is_some(),
            K::ReferrerNpi => self.referrer_npi.is_some(),
            K::ReferrerRelationship => self.referrer_relationship.is_some(),
            K::EcmPopulations => !self.ecm_populations.is_empty(),
            K::CsServices => !self.cs_services.is_empty(),
            K::ChwNeeds => !self.chw_needs.is_empty(),
            K::ChwUnits => self.chw_units.is_some(),
            K::EnrolledInEcm => self.enrolled_in_ecm.is_some(),
            K::Attestation => self.attestation.is_some(),
            K::Reason => self.reason.is_some(),
        }
    }

    /// Number of fields present; used to pick the best of several candidate forms.
    pub fn count(&self) -> usize {
        FieldKey::ALL.iter().filter(|k| self.has(**k)).count()
    }
}

/// What happened to one referral (SPEC §5 "Outcomes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Accepted,
    NeedsInfo,
    ScreenedOut,
    Redirected,
    Review,
    Ignored,
}

impl Outcome {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::NeedsInfo => "needs_info",
            Outcome::ScreenedOut => "screened_out",
            Outcome::Redirected => "redirected",
            Outcome::Review => "review",
            Outcome::Ignored => "ignored",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What happened to a whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// At least one referral was made from it.
    Referral,
    /// Automatic or duplicate mail; nothing is sent.
    Ignored,
    /// A person must look at it.
    Review,
}

impl Disposition {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Disposition::Referral => "referral",
            Disposition::Ignored => "ignored",
            Disposition::Review => "review",
        }
    }
}

/// A reason code (SPEC §5). The string form (`missing_field:member_dob`, `pof_adults_only:5`) is
/// stable and is what the store, logs, `explain` and templates show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    MissingField(FieldKey),
    InvalidField(FieldKey),
    /// A required field was not mapped, but the form holds an entry that plausibly is it: a
    /// person must look rather than the sender be asked for it.
    UncertainField(FieldKey),
    NotKpMember,
    CountyNotServed,
    WrongRegion,
    NoPopulationOfFocus,
    PofAdultsOnly(u8),
    PofChildrenOnly(u8),
    NoCommunitySupport,
    CsNotOfferedInCounty(u8),
    ChwEnrolledInEcm,
    /// More than the 12 units (6 hours) a member can start CHW services with.
    ChwUnitsNeedApproval,
    NleSelfReferral,
    UnclassifiedSubject,
    NoFormFound,
    UnreadableAttachment,
    UnsupportedAttachment,
    AutoReply,
    Bounce,
    OwnMessage,
    Duplicate,
}

impl Reason {
    /// The outcome this reason leads to on its own, for referral-level reasons.
    /// `wrong_region` never changes the outcome and message-level reasons have none.
    pub fn outcome(self) -> Option<Outcome> {
        use Reason as R;
        match self {
            R::MissingField(_) | R::InvalidField(_) | R::NoPopulationOfFocus | R::NoCommunitySupport => {
                Some(Outcome::NeedsInfo)
            }
            R::CountyNotServed
            | R::PofAdultsOnly(_)
            | R::PofChildrenOnly(_)
            | R::CsNotOfferedInCounty(_)
            | R::ChwEnrolledInEcm => Some(Outcome::ScreenedOut),
            R::NotKpMember | R::NleSelfReferral => Some(Outcome::Redirected),
            R::UncertainField(_)
            | R::UnclassifiedSubject
            | R::NoFormFound
            | R::UnreadableAttachment
            | R::UnsupportedAttachment => Some(Outcome::Review),
            R::AutoReply | R::Bounce | R::OwnMessage | R::Duplicate => Some(Outcome::Ignored),
            R::WrongRegion | R::ChwUnitsNeedApproval => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reason as R;
        match self {
            R::MissingField(k) => write!(f, "missing_field:{k}"),
            R::InvalidField(k) => write!(f, "invalid_field:{k}"),
            R::UncertainField(k) => write!(f, "uncertain_field:{k}"),
            R::NotKpMember => f.write_str("not_kp_member"),
            R::CountyNotServed => f.write_str("county_not_served"),
            R::WrongRegion => f.write_str("wrong_region"),
            R::NoPopulationOfFocus => f.write_str("no_population_of_focus"),
            R::PofAdultsOnly(n) => write!(f, "pof_adults_only:{n}"),
            R::PofChildrenOnly(n) => write!(f, "pof_children_only:{n}"),
            R::NoCommunitySupport => f.write_str("no_community_support"),
            R::CsNotOfferedInCounty(n) => write!(f, "cs_not_offered_in_county:{n}"),
            R::ChwEnrolledInEcm => f.write_str("chw_enrolled_in_ecm"),
            R::ChwUnitsNeedApproval => f.write_str("chw_units_need_approval"),
            R::NleSelfReferral => f.write_str("nle_self_referral"),
            R::UnclassifiedSubject => f.write_str("unclassified_subject"),
            R::NoFormFound => f.write_str("no_form_found"),
            R::UnreadableAttachment => f.write_str("unreadable_attachment"),
            R::UnsupportedAttachment => f.write_str("unsupported_attachment"),
            R::AutoReply => f.write_str("auto_reply"),
            R::Bounce => f.write_str("bounce"),
            R::OwnMessage => f.write_str("own_message"),
            R::Duplicate => f.write_str("duplicate"),
        }
    }
}

impl FromStr for Reason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use Reason as R;
        let num = |v: &str| v.parse::<u8>().map_err(|_| format!("bad number in reason `{s}`"));
        Ok(match s.split_once(':') {
            Some(("missing_field", k)) => R::MissingField(k.parse()?),
            Some(("invalid_field", k)) => R::InvalidField(k.parse()?),
            Some(("uncertain_field", k)) => R::UncertainField(k.parse()?),
            Some(("pof_adults_only", n)) => R::PofAdultsOnly(num(n)?),
            Some(("pof_children_only", n)) => R::PofChildrenOnly(num(n)?),
            Some(("cs_not_offered_in_county", n)) => R::CsNotOfferedInCounty(num(n)?),
            Some(_) => return Err(format!("unknown reason code `{s}`")),
            None => match s {
                "not_kp_member" => R::NotKpMember,
                "county_not_served" => R::CountyNotServed,
                "wrong_region" => R::WrongRegion,
                "no_population_of_focus" => R::NoPopulationOfFocus,
                "no_community_support" => R::NoCommunitySupport,
                "chw_enrolled_in_ecm" => R::ChwEnrolledInEcm,
                "chw_units_need_approval" => R::ChwUnitsNeedApproval,
                "nle_self_referral" => R::NleSelfReferral,
                "unclassified_subject" => R::UnclassifiedSubject,
                "no_form_found" => R::NoFormFound,
                "unreadable_attachment" => R::UnreadableAttachment,
                "unsupported_attachment" => R::UnsupportedAttachment,
                "auto_reply" => R::AutoReply,
                "bounce" => R::Bounce,
                "own_message" => R::OwnMessage,
                "duplicate" => R::Duplicate,
                _ => return Err(format!("unknown reason code `{s}`")),
            },
        })
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_round_trip() {
        for code in [
            "missing_field:member_cin",
            "invalid_field:member_dob",
            "uncertain_field:member_dob",
            "chw_units_need_approval",
            "pof_adults_only:5",
            "pof_children_only:8",
            "cs_not_offered_in_county:14",
            "wrong_region",
            "duplicate",
        ] {
            let r: Reason = code.parse().expect(code);
            assert_eq!(r.to_string(), code);
        }
        assert!("missing_field:nope".parse::<Reason>().is_err());
        assert!("whatever".parse::<Reason>().is_err());
    }

    #[test]
    fn field_keys_round_trip() {
        for k in FieldKey::ALL {
            assert_eq!(k.name().parse::<FieldKey>(), Ok(*k));
        }
    }

    #[test]
    fn fields_serialise_without_absent_keys() {
        let mut f = Fields {
            member_cin: Some("12345678A".into()),
            ..Fields::default()
        };
        f.ecm_populations.insert(3);
        let v = serde_json::to_value(&f).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"member_cin": "12345678A", "ecm_populations": [3]})
        );
    }
}

/// The kinds of email we send (SPEC §7 `explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    Ack,
    Forward,
    Redirect,
    /// To the sender after `reprocess` changed a referral's outcome: the new outcome, under the
    /// reference they already have.
    Update,
}

impl EmailKind {
    pub const ALL: [EmailKind; 4] = [
        EmailKind::Ack,
        EmailKind::Forward,
        EmailKind::Redirect,
        EmailKind::Update,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EmailKind::Ack => "ack",
            EmailKind::Forward => "forward",
            EmailKind::Redirect => "redirect",
            EmailKind::Update => "update",
        }
    }
}

impl std::fmt::Display for EmailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for EmailKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| format!("unknown email kind `{s}`"))
    }
}
