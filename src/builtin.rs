//! Built-in copies of the shipped rule files, used when no file overrides them: a configuration
//! file holding only the contract keys works from anywhere. A leaf module.

/// `config/referral-intake.toml` as shipped (used by tests and `check-config --builtin`).
pub const MAIN: &str = include_str!("../config/referral-intake.toml");
pub const SUBJECTS: &str = include_str!("../config/subjects.toml");
pub const CATALOG: &str = include_str!("../config/catalog.toml");
pub const ZIP_TABLE: &str = include_str!("../config/ca_zip_county.csv");
/// Form profiles by file name.
pub const FORMS: &[(&str, &str)] = &[
    ("generic.toml", include_str!("../config/forms/generic.toml")),
    ("kp.toml", include_str!("../config/forms/kp.toml")),
    ("health-net.toml", include_str!("../config/forms/health-net.toml")),
    ("la-care.toml", include_str!("../config/forms/la-care.toml")),
    (
        "partnership.toml",
        include_str!("../config/forms/partnership.toml"),
    ),
    (
        "county-batch.toml",
        include_str!("../config/forms/county-batch.toml"),
    ),
    ("iehp.toml", include_str!("../config/forms/iehp.toml")),
];
