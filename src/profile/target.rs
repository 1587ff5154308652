//! Mapping targets: what a profile says a field or label *is*.
//!
//! Written in profiles as strings, so admins can edit them:
//! - `member_dob` — a canonical key; the value is read as that key's type;
//! - `ecm_populations=3`, `cs_services=2`, `chw_needs=social`, `program=ecm`, `kp_member=false`,
//!   `referrer_relationship=medical_provider` — a tick or "yes" sets that value;
//! - `member_name` — a full name to split into first and last;
//! - `member_address_line` — a one-line address to split into street, city and ZIP;
//! - `member_mrn_or_cin` — KP's "MRN (or Medi-Cal CIN if MRN is unknown)": CIN-shaped values are CINs;
//! - `referrer_first_name`, `referrer_last_name` — joined into `referrer_name`;
//! - `member_city_zip` — "City / ZIP": a city and a ZIP in one box;
//! - `chw_hours` — CHW hours requested, stored as `chw_units` (30-minute units: hours × 2);
//! - `program` — a program named in text ("ECM", "Community Supports");
//! - `ignore` — known and deliberately not read.

use std::fmt;
use std::str::FromStr;

use crate::model::{ChwNeed, FieldKey, Program, Relationship};

/// What an entry maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Field(FieldKey),
    /// When ticked / answered yes, set this value.
    Tick(TickValue),
    MemberName,
    MemberAddressLine,
    MrnOrCin,
    ReferrerFirstName,
    ReferrerLastName,
    /// CHW service hours requested, converted to units (× 2).
    ChwHours,
    /// "City / ZIP", "City, State ZIP": a city and a ZIP in one box.
    MemberCityZip,
    Program,
    Ignore,
}

/// A value set by a tick.
#[derive(Debug, Clone, PartialEq)]
pub enum TickValue {
    Population(u8),
    Support(u8),
    Need(ChwNeed),
    Program(Program),
    Bool(FieldKey, bool),
    Relationship(Relationship),
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some((key, value)) = s.split_once('=') {
            let (key, value) = (key.trim(), value.trim());
            let num = |max: u8| -> Result<u8, String> {
                value
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| format!("`{key}` takes a number from 1 to {max}, not `{value}`"))
            };
            let tick = match key {
                "ecm_populations" => TickValue::Population(num(9)?),
                "cs_services" => TickValue::Support(num(15)?),
                "chw_needs" => TickValue::Need(value.parse()?),
                "program" => TickValue::Program(value.parse()?),
                "referrer_relationship" => TickValue::Relationship(value.parse()?),
                "kp_member" | "enrolled_in_ecm" | "attestation" => {
                    let b = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(format!("`{key}` takes true or false, not `{value}`")),
                    };
                    TickValue::Bool(key.parse()?, b)
                }
                _ => {
                    return Err(format!(
                        "`{key}=...` is not a tick target; use ecm_populations, cs_services, chw_needs, program, \
                         referrer_relationship, kp_member, enrolled_in_ecm or attestation"
                    ));
                }
            };
            return Ok(Target::Tick(tick));
        }
        Ok(match s {
            "member_name" => Target::MemberName,
            "member_address_line" => Target::MemberAddressLine,
            "member_mrn_or_cin" => Target::MrnOrCin,
            "referrer_first_name" => Target::ReferrerFirstName,
            "referrer_last_name" => Target::ReferrerLastName,
            "chw_hours" => Target::ChwHours,
            "member_city_zip" => Target::MemberCityZip,
            "program" => Target::Program,
            "ignore" => Target::Ignore,
            other => Target::Field(other.parse().map_err(|e| {
                format!("{e}; expected a canonical field (SPEC §4), member_name, member_address_line, member_mrn_or_cin, program, ignore or key=value")
            })?),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Field(k) => write!(f, "{k}"),
            Target::Tick(TickValue::Population(n)) => write!(f, "ecm_populations={n}"),
            Target::Tick(TickValue::Support(n)) => write!(f, "cs_services={n}"),
            Target::Tick(TickValue::Need(n)) => write!(f, "chw_needs={n:?}"),
            Target::Tick(TickValue::Program(p)) => write!(f, "program={p}"),
            Target::Tick(TickValue::Bool(k, b)) => write!(f, "{k}={b}"),
            Target::Tick(TickValue::Relationship(r)) => write!(f, "referrer_relationship={r:?}"),
            Target::MemberName => f.write_str("member_name"),
            Target::MemberAddressLine => f.write_str("member_address_line"),
            Target::MrnOrCin => f.write_str("member_mrn_or_cin"),
            Target::ReferrerFirstName => f.write_str("referrer_first_name"),
            Target::ReferrerLastName => f.write_str("referrer_last_name"),
            Target::ChwHours => f.write_str("chw_hours"),
            Target::MemberCityZip => f.write_str("member_city_zip"),
            Target::Program => f.write_str("program"),
            Target::Ignore => f.write_str("ignore"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!("member_dob".parse(), Ok(Target::Field(FieldKey::MemberDob)));
        assert_eq!(
            "ecm_populations=3".parse(),
            Ok(Target::Tick(TickValue::Population(3)))
        );
        assert_eq!(
            "program=cs".parse(),
            Ok(Target::Tick(TickValue::Program(Program::Cs)))
        );
        assert_eq!(
            "kp_member=false".parse(),
            Ok(Target::Tick(TickValue::Bool(FieldKey::KpMember, false)))
        );
        assert!("ecm_populations=10".parse::<Target>().is_err());
        assert!("member_dbo".parse::<Target>().is_err());
        assert!("member_dob=1".parse::<Target>().is_err());
    }
}
