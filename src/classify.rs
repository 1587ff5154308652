//! Classification: which program(s) a message's subject names (SPEC §3).
//!
//! Input: the decoded subject. Output: the programs named and the rule(s) that named them. The
//! rules are admin-editable (`config/subjects.toml`): ordered regexes, each naming programs. Every
//! matching rule adds its programs (so "ECM/CS Referral" names both) until a rule marked `stop`
//! matches. Matching is done here on the decoded header, never with IMAP `SEARCH` (LESSONS 18).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::diag::{Problems, SourceFile};
use crate::model::Program;

/// One compiled subject rule.
#[derive(Debug, Clone)]
pub struct SubjectRule {
    pub name: String,
    pub pattern: Regex,
    pub programs: Vec<Program>,
    pub stop: bool,
}

/// The ordered rule list from `subjects.toml`.
#[derive(Debug, Clone)]
pub struct SubjectRules {
    pub rules: Vec<SubjectRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    pattern: toml::Spanned<String>,
    programs: toml::Spanned<Vec<String>>,
    #[serde(default)]
    stop: bool,
}

/// The result of classifying one subject; what `classify` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub programs: Vec<Program>,
    /// The rule(s) that matched, joined with `+`; `null` when none did.
    pub rule: Option<String>,
}

impl SubjectRules {
    /// Parses and compiles the rules, reporting bad regexes and programs with their positions.
    pub fn parse(src: &SourceFile, problems: &mut Problems) -> Option<SubjectRules> {
        let raw: RawRules = src.parse_toml(problems)?;
        let mut rules = Vec::new();
        let mut ok = true;
        let mut names = BTreeSet::new();
        for r in raw.rule {
            if !names.insert(r.name.clone()) {
                problems.push(src.at(
                    Some(r.pattern.span()),
                    format!("rule name `{}` is used twice", r.name),
                ));
                ok = false;
            }
            let pattern = match RegexBuilder::new(r.pattern.get_ref())
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
            {
                Ok(p) => Some(p),
                Err(e) => {
                    let first = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("invalid regex")
                        .trim()
                        .to_string();
                    problems.push(src.at(
                        Some(r.pattern.span()),
                        format!("rule `{}`: bad pattern: {first}", r.name),
                    ));
                    ok = false;
                    None
                }
            };
            let mut programs = Vec::new();
            for p in r.programs.get_ref() {
                match p.parse::<Program>() {
                    Ok(p) => programs.push(p),
                    Err(e) => {
                        problems.push(src.at(Some(r.programs.span()), format!("rule `{}`: {e}", r.name)));
                        ok = false;
                    }
                }
            }
            if let Some(pattern) = pattern {
                rules.push(SubjectRule {
                    name: r.name,
                    pattern,
                    programs,
                    stop: r.stop,
                });
            }
        }
        ok.then_some(SubjectRules { rules })
    }

    /// Classifies a subject.
    pub fn classify(&self, subject: &str) -> Classification {
        let cleaned = clean_subject(subject);
        let mut programs = BTreeSet::new();
        let mut matched = Vec::new();
        for rule in &self.rules {
            if rule.pattern.is_match(&cleaned) {
                matched.push(rule.name.as_str());
                programs.extend(rule.programs.iter().copied());
                if rule.stop {
                    break;
                }
            }
        }
        Classification {
            programs: programs.into_iter().collect(),
            rule: (!matched.is_empty()).then(|| matched.join("+")),
        }
    }
}

/// Removes reply/forward prefixes and security tags, wherever they sit, and collapses spaces.
pub fn clean_subject(subject: &str) -> String {
    static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|rif|antw)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]|(?:secure|encrypt(?:ed)?|external)\s*:|\[[^\]]{0,30}\]|\((?:secure|encrypt|external)\)|\*{1,3}\s*(?:secure|encrypt|external)\s*\*{1,3}|(?:encrypt|secure)\b)\s*")
            .expect("static regex")
    });
    static TAG: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\[(?:external|secure|encrypt(?:ed)?|ext|caution[^\]]*)\]|\b(?:ENCRYPT|SECURE)\b\s*:?",
        )
        .expect("static regex")
    });
    // Underscores join words in subjects typed by systems and scanners ("ECM_Referral_JD"): they
    // are spaces, so program words stay whole words.
    let mut s = subject.replace(['\r', '\n', '\t', '_'], " ");
    loop {
        let next = PREFIX.replace(&s, "").into_owned();
        if next == s {
            break;
        }
        s = next;
    }
    let s = TAG.replace_all(&s, " ");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> SubjectRules {
        let src = SourceFile::new("subjects.toml".into(), crate::builtin::SUBJECTS.into());
        let mut p = Problems::default();
        let r = SubjectRules::parse(&src, &mut p);
        assert!(p.is_empty(), "{}", p.into_errors());
        r.expect("rules")
    }

    fn progs(s: &str) -> Vec<&'static str> {
        rules()
            .classify(s)
            .programs
            .into_iter()
            .map(Program::code)
            .collect()
    }

    #[test]
    fn spec_variants_classify() {
        for s in [
            "ECM Referral",
            "ECM referral for J.D.",
            "Enhanced Care Management Referral",
            "ECM Referal",
            "RE: Fw: FWD: ECM Referral",
            "AW: [EXTERNAL] ECM Referral",
            "[SECURE] RE: RE: Enhanced Care Management Referral",
            "Secure: ECM Referral",
            "ENCRYPT ECM referral",
            "ecm referral!!!",
        ] {
            assert_eq!(progs(s), ["ecm"], "{s}");
        }
        for s in [
            "CS Referral",
            "Community Supports Referral",
            "Community Support referral - Housing Deposits",
            "Fwd: [EXTERNAL] CS Referral - Meals",
            "RE: CS referral batch",
        ] {
            assert_eq!(progs(s), ["cs"], "{s}");
        }
        for s in [
            "CHW services request",
            "CHW Service Request",
            "Community Health Worker services request",
            "CHW referral",
        ] {
            assert_eq!(progs(s), ["chw"], "{s}");
        }
    }

    #[test]
    fn two_programs_yield_both() {
        for s in [
            "ECM Referral and CS Referral",
            "ECM/CS Referral",
            "ECM & CS Referral",
        ] {
            assert_eq!(progs(s), ["ecm", "cs"], "{s}");
        }
        assert_eq!(
            rules().classify("ECM/CS Referral").rule.as_deref(),
            Some("ecm+cs")
        );
    }

    #[test]
    fn hard_negatives_name_no_program() {
        for s in [
            "ECMAScript meetup",
            "CSR update",
            "DOCS attached",
            "Re: Your CS degree",
            "Lunch on Friday",
            "",
            "Referral",
            "Fwd: CS",
            "CHWX",
            "Customer service (CS) survey",
        ] {
            let c = rules().classify(s);
            assert!(c.programs.is_empty(), "{s} -> {:?}", c.programs);
        }
        assert_eq!(rules().classify("Lunch").rule, None);
    }

    #[test]
    fn cleaning_keeps_the_words() {
        assert_eq!(clean_subject("RE: [EXTERNAL] Fwd: CS Referral"), "CS Referral");
        // Issue #8: words joined by underscores.
        assert_eq!(clean_subject("RE:_ECM_Referral_for_JD"), "ECM Referral for JD");
        assert_eq!(
            clean_subject("Secure: RE: ECM referral for J.D."),
            "ECM referral for J.D."
        );
    }

    #[test]
    fn bad_rules_are_reported_with_positions() {
        let src = SourceFile::new(
            "subjects.toml".into(),
            "[[rule]]\nname = \"a\"\npattern = '(unclosed'\nprograms = [\"ecn\"]\n".into(),
        );
        let mut p = Problems::default();
        assert!(SubjectRules::parse(&src, &mut p).is_none());
        let text = p.into_errors().to_string();
        assert!(
            text.contains("subjects.toml:3:11: rule `a`: bad pattern"),
            "{text}"
        );
        assert!(
            text.contains("subjects.toml:4:12: rule `a`: unknown program `ecn`; expected ecm, cs or chw"),
            "{text}"
        );
    }
}
