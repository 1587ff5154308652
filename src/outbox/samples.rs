//! Templates checked at load: every email template is rendered, through the same context
//! builders that compose real mail ([`super::template_context`]), against sample decisions.
//!
//! Strict undefined variables only fail a template when the line using one is rendered, and a
//! line inside `{% if r.outcome == "needs_info" %}` is rendered only for such a referral. So the
//! samples take every branch the context can take: each program with each outcome (and both
//! kinds of redirect), one referral and a batch of several with table rows, notes for the team,
//! and a message for review with each message-level reason. A template that fails on any of them
//! is refused by `check-config`, by every command that loads the configuration and by a SIGHUP
//! reload, instead of failing every message that reaches it.
//!
//! The samples are made up (no member data) and nothing rendered here leaves this module.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{message_prefix, plan_reference, referral_prefix, template_context};
use crate::config::Config;
use crate::message::Email;
use crate::model::{ChwNeed, Disposition, FieldKey, Fields, Outcome, Program, Reason};
use crate::pipeline::{self, Decision, EmailKind, PlannedEmail, ReferralDecision};

/// Renders every template against the samples; returns one `file:line: problem` per distinct
/// failure (a typo used in many branches is reported once).
pub fn check_templates(cfg: &Config) -> Vec<String> {
    let email = sample_email(cfg);
    let mut seen = BTreeSet::new();
    let mut problems = Vec::new();
    for (what, d) in sample_decisions(cfg, email.as_ref()) {
        let refs: Vec<String> = d
            .referrals
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{}-{:06}", referral_prefix(r, 2026), i + 1))
            .collect();
        let msg_ref = format!("{}-000001", message_prefix(&d.inbox_region, 2026));
        // `reprocess` sends an update where an acknowledgement of the same referrals went, with
        // the same context: each sample acknowledgement of referrals checks the update too.
        let updates = d
            .emails
            .iter()
            .filter(|p| p.kind == EmailKind::Ack && !p.referrals.is_empty())
            .map(|p| PlannedEmail {
                kind: EmailKind::Update,
                ..p.clone()
            });
        let plans: Vec<PlannedEmail> = d.emails.iter().cloned().chain(updates).collect();
        for plan in &plans {
            let Some(region) = cfg.main.region(&plan.region) else {
                continue; // regions are validated before this runs
            };
            let reference = plan_reference(plan, &refs, &msg_ref);
            let ctx = template_context(&d, plan, region, email.as_ref(), &refs, reference);
            for e in cfg.templates.problems(plan.kind.code(), &ctx) {
                if !seen.insert((e.name.clone(), e.line, e.detail.clone())) {
                    continue;
                }
                let origin = cfg.templates.origin(&e.name).unwrap_or(&e.name);
                let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                let hint = if e.undefined {
                    ": a misspelt variable, or one this email does not have"
                } else {
                    ""
                };
                problems.push(format!(
                    "{origin}{line}: {}, rendering {} for {what}{hint}",
                    e.detail, e.name
                ));
            }
        }
    }
    problems
}

/// The message the samples answer: a sender to acknowledge and a date for the forward.
fn sample_email(cfg: &Config) -> Option<Email> {
    let to = cfg
        .main
        .inboxes
        .first()
        .map(|i| i.address.as_str())
        .unwrap_or("inbox@example.org");
    let raw = format!(
        "From: Sample Referrer <referrer@example.org>\r\nTo: {to}\r\nSubject: ECM Referral\r\n\
         Date: Mon, 5 Jan 2026 09:00:00 -0800\r\nMessage-ID: <sample@example.org>\r\n\r\nSample.\r\n"
    );
    crate::message::parse(raw.as_bytes(), &cfg.main.limits.extract_limits()).ok()
}

/// One sample referral's outcome, reasons and what goes with them.
struct Variant {
    outcome: Outcome,
    reasons: Vec<Reason>,
    nle: Option<(String, String)>,
    uncertain: Option<(FieldKey, String)>,
    /// Routed to another region than the inbox's (`wrong_region`).
    elsewhere: bool,
}

impl Variant {
    fn new(outcome: Outcome, reasons: Vec<Reason>) -> Variant {
        Variant {
            outcome,
            reasons,
            nle: None,
            uncertain: None,
            elsewhere: false,
        }
    }
}

/// Every outcome a referral for `program` can have, with the reasons that lead there.
fn variants(program: Program) -> Vec<Variant> {
    let mut needs_info = vec![
        Reason::MissingField(FieldKey::MemberDob),
        Reason::InvalidField(FieldKey::MemberPhone),
    ];
    match program {
        Program::Ecm => needs_info.push(Reason::NoPopulationOfFocus),
        Program::Cs => needs_info.push(Reason::NoCommunitySupport),
        Program::Chw => {}
    }
    let accepted = match program {
        Program::Chw => vec![Reason::ChwUnitsNeedApproval],
        _ => Vec::new(),
    };
    vec![
        Variant::new(Outcome::Accepted, accepted),
        Variant {
            elsewhere: true,
            ..Variant::new(Outcome::Accepted, vec![Reason::WrongRegion])
        },
        Variant::new(Outcome::NeedsInfo, needs_info),
        Variant::new(Outcome::ScreenedOut, vec![Reason::CountyNotServed]),
        Variant {
            uncertain: Some((FieldKey::MemberCin, "Medi-Cal #".into())),
            ..Variant::new(Outcome::Review, vec![Reason::UncertainField(FieldKey::MemberCin)])
        },
        Variant::new(Outcome::Redirected, vec![Reason::NotKpMember]),
        Variant {
            nle: Some(("Sample Network Lead Entity".into(), "nle@example.org".into())),
            ..Variant::new(Outcome::Redirected, vec![Reason::NleSelfReferral])
        },
    ]
}

fn sample_fields(program: Program) -> Fields {
    let mut f = Fields {
        referral_date: NaiveDate::from_ymd_opt(2026, 1, 5),
        member_first_name: Some("Sample".into()),
        member_last_name: Some("Member".into()),
        member_dob: NaiveDate::from_ymd_opt(1980, 1, 5),
        member_cin: Some("90000000A".into()),
        member_phone: Some("5555550100".into()),
        member_county: Some("Alameda".into()),
        referrer_name: Some("Sample Referrer".into()),
        referrer_email: Some("referrer@example.org".into()),
        ..Fields::default()
    };
    match program {
        Program::Ecm => f.ecm_populations = BTreeSet::from([1]),
        Program::Cs => f.cs_services = BTreeSet::from([2]),
        Program::Chw => {
            f.chw_needs = BTreeSet::from([ChwNeed::Social]);
            f.chw_units = Some(16);
        }
    }
    f
}

fn referral(program: Program, v: &Variant, home: &str, other: &str, row: Option<usize>) -> ReferralDecision {
    let region = if v.elsewhere { other } else { home }.to_string();
    ReferralDecision {
        program,
        fields: sample_fields(program),
        outcome: v.outcome,
        reasons: v.reasons.clone(),
        region: Some(region.clone()),
        uncertain: v.uncertain.iter().cloned().collect(),
        source: (0, row),
        warnings: Vec::new(),
        nle: v.nle.clone(),
        route_region: region,
    }
}

/// A referral decision with its emails planned by the pipeline's own planner.
fn referral_decision(
    cfg: &Config,
    home: &str,
    referrals: Vec<ReferralDecision>,
    email: Option<&Email>,
) -> Decision {
    let sender = email.and_then(pipeline::reply_address);
    let emails = pipeline::plan_emails(cfg, home, &referrals, sender.as_deref());
    Decision {
        programs: referrals
            .iter()
            .map(|r| r.program)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        referrals,
        emails,
        ..Decision::without_referrals(Disposition::Referral, home.to_string(), Vec::new())
    }
}

/// Every sample decision, each with a description for messages.
fn sample_decisions(cfg: &Config, email: Option<&Email>) -> Vec<(String, Decision)> {
    let home = pipeline::default_region(cfg);
    let other = cfg
        .main
        .regions
        .keys()
        .find(|k| **k != home)
        .cloned()
        .unwrap_or_else(|| home.clone());
    let mut out = Vec::new();

    // One referral of each program and outcome.
    let mut batch = Vec::new();
    for program in Program::ALL {
        for v in variants(program) {
            let what = format!(
                "a sample {} referral ({})",
                program.code().to_uppercase(),
                std::iter::once(v.outcome.code().to_string())
                    .chain(v.reasons.iter().map(ToString::to_string))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let one = referral(program, &v, &home, &other, None);
            out.push((what, referral_decision(cfg, &home, vec![one], email)));
            batch.push(referral(program, &v, &home, &other, Some(batch.len() + 1)));
        }
    }
    // All of them in one message, as rows of a county's batch spreadsheet.
    out.push((
        "a sample batch of referrals (every program and outcome)".to_string(),
        referral_decision(cfg, &home, batch, email),
    ));

    // A message for review, for each reason a message goes to review without referrals.
    for reasons in [
        vec![Reason::UnclassifiedSubject, Reason::NoFormFound],
        vec![Reason::NoFormFound],
        vec![Reason::UnsupportedAttachment],
        vec![Reason::UnreadableAttachment],
        vec![Reason::UnclassifiedSubject, Reason::UnreadableAttachment],
    ] {
        let what = format!(
            "a sample message for review ({})",
            reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut d = Decision {
            programs: if reasons.contains(&Reason::UnclassifiedSubject) {
                Vec::new()
            } else {
                vec![Program::Ecm]
            },
            ..Decision::without_referrals(Disposition::Review, home.clone(), reasons)
        };
        pipeline::plan_review_emails(cfg, &mut d, email);
        out.push((what, d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples reach every email kind, every outcome in acks and forwards, both redirects,
    /// several referrals at once, and a message-level review: else a typo could hide in a branch.
    #[test]
    fn samples_take_every_branch_the_templates_can_take() {
        let cfg = Config::builtin().expect("config");
        let email = sample_email(&cfg);
        assert!(email.is_some(), "the sample message parses");
        let samples = sample_decisions(&cfg, email.as_ref());
        let mut kinds = BTreeSet::new();
        let mut acked = BTreeSet::new();
        let mut forwarded = BTreeSet::new();
        let (mut nle, mut not_kp, mut batch, mut review) = (false, false, false, false);
        for (_, d) in &samples {
            for plan in &d.emails {
                kinds.insert(plan.kind.code());
                let outcomes = plan.referrals.iter().filter_map(|i| d.referrals.get(*i));
                for r in outcomes {
                    match plan.kind {
                        EmailKind::Ack => {
                            acked.insert(r.outcome.code());
                        }
                        EmailKind::Forward => {
                            forwarded.insert(r.outcome.code());
                        }
                        EmailKind::Redirect => {
                            nle |= r.nle.is_some();
                            not_kp |= r.nle.is_none();
                        }
                        // Never planned by the pipeline: `check_templates` derives updates
                        // from the acknowledgements.
                        EmailKind::Update => {}
                    }
                }
                batch |= plan.referrals.len() > 1;
                review |= plan.referrals.is_empty() && plan.kind == EmailKind::Ack;
            }
        }
        assert_eq!(kinds, BTreeSet::from(["ack", "forward", "redirect"]));
        assert_eq!(
            acked,
            BTreeSet::from(["accepted", "needs_info", "screened_out", "review"])
        );
        assert_eq!(forwarded, BTreeSet::from(["accepted", "screened_out", "review"]));
        assert!(nle && not_kp && batch && review);
    }

    #[test]
    fn the_shipped_templates_render_for_every_sample() {
        let cfg = Config::builtin().expect("config");
        assert_eq!(check_templates(&cfg), Vec::<String>::new());
    }

    /// A variable used only in one outcome's branch is found, with the file and line.
    #[test]
    fn an_undefined_variable_in_one_branch_is_found_with_its_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let ack = include_str!("../../templates/ack.txt")
            .replace("{% for m in r.missing %}", "{% for m in r.mising %}");
        std::fs::write(dir.path().join("ack.txt"), &ack).expect("write");
        let line = ack
            .lines()
            .position(|l| l.contains("r.mising"))
            .map(|i| i + 1)
            .expect("the typo's line");
        let main = crate::config::builtin::MAIN.replace(
            "\"../templates\"",
            &format!("{:?}", dir.path().display().to_string()),
        );
        let path = dir.path().join("referral-intake.toml");
        std::fs::write(&path, main).expect("write");
        let cfg = Config::load(&path).expect("loads: the typo is not a syntax error");
        let problems = check_templates(&cfg);
        let want = format!("{}:{line}: undefined value", dir.path().join("ack.txt").display());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems.iter().all(|p| p.starts_with(&want)), "{problems:?}");
        assert!(problems.iter().all(|p| p.contains("needs_info")), "{problems:?}");
    }
}
