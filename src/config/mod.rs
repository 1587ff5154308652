//! Configuration: the main TOML file plus the admin-editable rule files beside it.
//!
//! Layout (SPEC §9): `config/referral-intake.toml` names the store, SMTP, inboxes and regions;
//! `subjects.toml`, `catalog.toml`, `forms/*.toml`, `ca_zip_county.csv` and `templates/` hold the
//! rules admins tune. Every one of those is also built into the binary, so a config file holding
//! only the contract keys works from anywhere; a file beside the config (or named by `[paths]`)
//! overrides the built-in one of the same name.
//!
//! Loading parses everything, then validates everything, and reports *all* problems at once as
//! `file:line:col: message` lines ([`ConfigErrors`]).

mod http;
mod main_file;
mod oauth;
mod ocr;

pub use crate::builtin;
pub use crate::catalog::{
    AgeGroup, Catalog, CommunitySupport, NleProvider, Population, find_phrase, fold, norm, strip_enumeration,
};
pub use crate::diag::{ConfigErrors, Problems, SourceFile};
pub use http::HttpConfig;
pub use main_file::{
    AuthMethod, DaemonConfig, FilingConfig, FilingMode, ImapConfig, InboxConfig, LimitsConfig, MainConfig,
    OutboundConfig, RegionConfig, ScreeningConfig, Secret, SmtpConfig, StoreConfig, TlsMode,
    is_loopback_host,
};
pub use oauth::{GOOGLE_SCOPE, GOOGLE_TOKEN_URL, MICROSOFT_SCOPE, OAuthSourceConfig, Provider};
pub use ocr::OcrConfig;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::classify::SubjectRules;
use crate::profile::Profiles;
use crate::templates::Templates;

/// Everything the pipeline needs, loaded and validated. Cheap to share (`Arc`), replaced whole on
/// reload so a message is always processed under one consistent configuration.
#[derive(Debug)]
pub struct Config {
    /// Where the main file was read from (`None` for the built-in default).
    pub path: Option<PathBuf>,
    pub main: MainConfig,
    pub subjects: SubjectRules,
    pub catalog: Catalog,
    pub profiles: Profiles,
    pub templates: Templates,
    /// ZIP code → county name (California).
    pub zip_county: BTreeMap<String, String>,
    /// Region key per county name.
    pub county_region: BTreeMap<String, String>,
}

impl Config {
    /// Loads the configuration at `path` and every rule file it refers to.
    pub fn load(path: &Path) -> Result<Arc<Config>, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::single(format!("{}: cannot read configuration: {e}", path.display()))
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::from_parts(
            SourceFile::new(path.display().to_string(), text),
            &dir,
            Some(path.to_path_buf()),
        )
    }

    /// The shipped configuration, entirely from built-in copies (no files read).
    pub fn builtin() -> Result<Arc<Config>, ConfigErrors> {
        Self::from_parts(
            SourceFile::new("<built-in>/referral-intake.toml".into(), builtin::MAIN.into()),
            Path::new("/nonexistent-builtin"),
            None,
        )
    }

    fn from_parts(
        main_src: SourceFile,
        dir: &Path,
        path: Option<PathBuf>,
    ) -> Result<Arc<Config>, ConfigErrors> {
        let mut problems = Problems::default();
        let main = MainConfig::parse(&main_src, dir, &mut problems);
        let Some(main) = main else {
            return Err(problems.into_errors());
        };

        let subjects_src = rule_file(
            &main.paths.subjects,
            "subjects.toml",
            builtin::SUBJECTS,
            &mut problems,
        );
        let subjects = SubjectRules::parse(&subjects_src, &mut problems);

        let catalog_src = rule_file(
            &main.paths.catalog,
            "catalog.toml",
            builtin::CATALOG,
            &mut problems,
        );
        let catalog = Catalog::parse(&catalog_src, &mut problems);

        let zip_src = rule_file(
            &main.paths.zip_table,
            "ca_zip_county.csv",
            builtin::ZIP_TABLE,
            &mut problems,
        );
        let zip_county = parse_zip_table(&zip_src, &mut problems);

        let form_sources = form_files(&main.paths.forms, &mut problems);
        let profiles = Profiles::parse(&form_sources, &mut problems);

        let templates = Templates::load(&main.paths.templates, &mut problems);

        let (Some(subjects), Some(catalog), Some(profiles), Some(templates)) =
            (subjects, catalog, profiles, templates)
        else {
            return Err(problems.into_errors());
        };

        // Cross-file checks: regions named by the catalogue exist, and so on.
        let mut county_region = BTreeMap::new();
        for (region, counties) in &catalog.counties {
            if !main.regions.contains_key(region) {
                problems.push(format!(
                    "{}: [counties] names region `{region}`, which is not configured; configured regions: {}",
                    catalog_src.name,
                    main.regions.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            for c in counties {
                county_region.insert(c.clone(), region.clone());
            }
        }
        for inbox in &main.inboxes {
            if !main.regions.contains_key(&inbox.region) {
                problems.push(format!(
                    "{}: [[inbox]] {} names region `{}`, which is not configured under [regions]",
                    main_src.name, inbox.address, inbox.region
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems.into_errors());
        }
        Ok(Arc::new(Config {
            path,
            main,
            subjects,
            catalog,
            profiles,
            templates,
            zip_county,
            county_region,
        }))
    }

    /// The region configured for a county, if KP serves it.
    pub fn region_of_county(&self, county: &str) -> Option<&str> {
        self.county_region.get(county).map(String::as_str)
    }

    /// The configured inbox whose address appears among `addresses` (case-insensitive).
    pub fn inbox_for_addresses<'a>(
        &self,
        addresses: impl IntoIterator<Item = &'a str>,
    ) -> Option<&InboxConfig> {
        let addrs: Vec<String> = addresses.into_iter().map(str::to_ascii_lowercase).collect();
        self.main
            .inboxes
            .iter()
            .find(|i| addrs.iter().any(|a| a.eq_ignore_ascii_case(&i.address)))
    }

    /// Every address we send from; mail from these is our own.
    pub fn own_addresses(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .main
            .inboxes
            .iter()
            .map(|i| i.address.to_ascii_lowercase())
            .collect();
        if let Some(from) = &self.main.outbound.from_address {
            v.push(from.to_ascii_lowercase());
        }
        v
    }
}

/// Reads a rule file: the configured path when it exists, else the built-in copy. A path given
/// explicitly that does not exist is an error; the default path silently falls back.
fn rule_file(
    path: &Option<PathBuf>,
    default_name: &str,
    builtin: &str,
    problems: &mut Problems,
) -> SourceFile {
    if let Some(p) = path {
        match std::fs::read_to_string(p) {
            Ok(text) => return SourceFile::new(p.display().to_string(), text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("{}: cannot read: {e}", p.display())),
        }
    }
    SourceFile::new(format!("<built-in>/{default_name}"), builtin.to_string())
}

/// Built-in form profiles, overridden or extended by `*.toml` files in the forms folder.
fn form_files(dir: &Option<PathBuf>, problems: &mut Problems) -> Vec<SourceFile> {
    let mut by_name: BTreeMap<String, SourceFile> = builtin::FORMS
        .iter()
        .map(|(n, t)| {
            (
                (*n).to_string(),
                SourceFile::new(format!("<built-in>/forms/{n}"), (*t).to_string()),
            )
        })
        .collect();
    if let Some(dir) = dir {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let p = entry.path();
                    if p.extension().and_then(|e| e.to_str()) != Some("toml") {
                        continue;
                    }
                    let Some(name) = p.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                        continue;
                    };
                    match std::fs::read_to_string(&p) {
                        Ok(text) => {
                            by_name.insert(name, SourceFile::new(p.display().to_string(), text));
                        }
                        Err(e) => problems.push(format!("{}: cannot read: {e}", p.display())),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("{}: cannot read folder: {e}", dir.display())),
        }
    }
    by_name.into_values().collect()
}

fn parse_zip_table(src: &SourceFile, problems: &mut Problems) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (i, line) in src.text.lines().enumerate() {
        if i == 0 && line.starts_with("zip") {
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split(',');
        match (cols.next(), cols.next()) {
            (Some(zip), Some(county)) if zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()) => {
                map.insert(zip.to_string(), county.trim().to_string());
            }
            _ => problems.push(format!("{}:{}:1: expected `zip,county,city`", src.name, i + 1)),
        }
    }
    map
}
