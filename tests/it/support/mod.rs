//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod child;
pub mod inproc;
pub mod mailenv;
pub mod oauth_provider;
pub mod plan;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built binary from the repository root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_referral-intake"))
        .args(args)
        .current_dir(root())
        .env_remove("REFERRAL_INTAKE_CONFIG")
        .env("REFERRAL_INTAKE_LOG", "warn")
        .output()
        .expect("run referral-intake")
}

/// stdout parsed as JSON; panics with stderr when it is not.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A config in a temp dir holding only the contract keys (SPEC §9), with its own SQLite store.
pub fn temp_config(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("referral-intake.toml");
    let text = format!(
        "[store]\nurl = \"sqlite://data/test.db\"\n\n[[inbox]]\nregion = \"ncal\"\naddress = \"REGMCDURNS-KPNC@kp.org\"\n\n\
         [[inbox]]\nregion = \"scal\"\naddress = \"RegCareCoordCaseMgmt@kp.org\"\n{extra}"
    );
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

/// Compares `actual` with the golden file, writing `.actual.json` on mismatch (or rewriting the
/// golden with BLESS=1). Returns a description of the mismatch.
pub fn check_golden(expected_path: &Path, actual: &serde_json::Value) -> Option<String> {
    let pretty = serde_json::to_string_pretty(actual).expect("json") + "\n";
    let actual_path = expected_path.with_extension("").with_extension("actual.json");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(expected_path, &pretty).expect("bless");
        let _ = std::fs::remove_file(&actual_path);
        return None;
    }
    let expected = std::fs::read_to_string(expected_path).ok();
    let expected_json: Option<serde_json::Value> =
        expected.as_deref().and_then(|t| serde_json::from_str(t).ok());
    if expected_json.as_ref() == Some(actual) {
        let _ = std::fs::remove_file(&actual_path);
        return None;
    }
    std::fs::write(&actual_path, &pretty).expect("write actual");
    Some(format!(
        "{} differs (or is missing); see {} (BLESS=1 to accept)",
        expected_path.display(),
        actual_path.display()
    ))
}

/// Files in `dir` with one of the extensions, sorted.
pub fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    v.sort();
    v
}

/// The test inbox a fixture message is addressed to: SCAL's when it names only SCAL's public
/// address, else NCAL's.
pub fn inbox_user(raw: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(raw);
    if !text.contains("REGMCDURNS-KPNC@kp.org") && text.contains("RegCareCoordCaseMgmt@kp.org") {
        "scal@example.test"
    } else {
        "ncal@example.test"
    }
}
