//! Outbound email: composing acknowledgements, redirects and forwards as RFC 5322 messages.
//!
//! Replies go from the inbox the message arrived at, thread on the original (`In-Reply-To`,
//! `References`), carry `Auto-Submitted: auto-replied` (RFC 3834), `X-Auto-Response-Suppress`
//! and our own stamp header (so our mail is never processed as a referral), and a reference
//! number in the subject. Replies carry no member data: referrals are named by reference number
//! and row. Forwards go only to allow-listed team addresses and carry the screening summary and the
//! original attachments.

use anyhow::{Context as _, Result, bail};
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use serde::Serialize;

use crate::config::{Config, RegionConfig};
use crate::message::{Email, OWN_STAMP_HEADER};
use crate::model::{FieldKey, Outcome, Reason};
use crate::pipeline::{Decision, EmailKind, PlannedEmail, ReferralDecision};

mod samples;

pub use samples::check_templates;

/// One composed email, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Composed {
    pub kind: EmailKind,
    pub to: String,
    pub reference: String,
    pub eml: Vec<u8>,
}

impl Composed {
    /// Its outbox row, written with `status`.
    pub fn row(self, status: crate::store::OutboxStatus) -> crate::store::NewOutbox {
        crate::store::NewOutbox {
            kind: self.kind,
            recipient: self.to,
            reference: self.reference,
            eml: self.eml,
            status,
        }
    }
}

/// The reference prefix for a referral: `ECM-NCAL-2026`.
pub fn referral_prefix(r: &ReferralDecision, year: i32) -> String {
    format!(
        "{}-{}-{year}",
        r.program.code().to_uppercase(),
        r.route_region.to_uppercase()
    )
}

/// The reference prefix for a message with no referral: `REF-NCAL-2026`.
pub fn message_prefix(inbox_region: &str, year: i32) -> String {
    format!("REF-{}-{year}", inbox_region.to_uppercase())
}

#[derive(Serialize)]
struct RegionCtx<'a> {
    name: &'a str,
    phone: &'a str,
    hours: &'a str,
}

#[derive(Serialize)]
struct NleCtx<'a> {
    name: &'a str,
    contact: &'a str,
}

#[derive(Serialize)]
struct ReplyReferral<'a> {
    reference: &'a str,
    program: &'a str,
    program_name: &'a str,
    outcome: &'a str,
    missing: Vec<String>,
    row: Option<usize>,
    nle: Option<NleCtx<'a>>,
}

#[derive(Serialize)]
struct ReplyCtx<'a> {
    reference: &'a str,
    region: RegionCtx<'a>,
    review: bool,
    review_reasons: Vec<String>,
    referrals: Vec<ReplyReferral<'a>>,
}

#[derive(Serialize)]
struct FieldRow {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct ForwardReferral<'a> {
    reference: &'a str,
    program_name: &'a str,
    outcome: &'a str,
    reasons: Vec<String>,
    /// What the team must know beyond the outcome: more CHW units than a member starts with,
    /// a field read with doubt and where on the form to look.
    notes: Vec<String>,
    fields: Vec<FieldRow>,
}

#[derive(Serialize)]
struct ForwardCtx<'a> {
    reference: &'a str,
    headline: String,
    region: RegionCtx<'a>,
    received: String,
    sender: String,
    inbox_region: &'a str,
    message_reasons: Vec<String>,
    referrals: Vec<ForwardReferral<'a>>,
}

/// Composes every planned email of a decision. `refs` holds one reference per referral (same
/// order); `msg_ref` names the message as a whole.
pub fn compose(
    cfg: &Config,
    d: &Decision,
    email: Option<&Email>,
    raw: &[u8],
    refs: &[String],
    msg_ref: &str,
) -> Result<Vec<Composed>> {
    let mut out = Vec::new();
    for plan in &d.emails {
        let region = cfg
            .main
            .region(&plan.region)
            .with_context(|| format!("region `{}` is not configured", plan.region))?;
        let reference = plan_reference(plan, refs, msg_ref);
        let rendered = cfg.templates.render(
            plan.kind.code(),
            &template_context(d, plan, region, email, refs, reference),
        )?;
        if plan.kind == EmailKind::Forward && !forward_allowed(cfg, &plan.to) {
            bail!("forward destination is not on the allow-list; refusing to send it");
        }
        let eml = build(cfg, d, plan, email, raw, &rendered)?;
        out.push(Composed {
            kind: plan.kind,
            to: plan.to.clone(),
            reference: reference.to_string(),
            eml,
        });
    }
    Ok(out)
}

/// The reference an email is filed under: its first referral's, else the message's.
fn plan_reference<'a>(plan: &PlannedEmail, refs: &'a [String], msg_ref: &'a str) -> &'a str {
    plan.referrals
        .first()
        .and_then(|i| refs.get(*i))
        .map(String::as_str)
        .unwrap_or(msg_ref)
}

/// What the template of `plan.kind` (`ack`, `redirect`, `update` or `forward`) sees: the one place a
/// decision becomes template variables, used to send and to check templates at load
/// ([`check_templates`]).
fn template_context(
    d: &Decision,
    plan: &PlannedEmail,
    region: &RegionConfig,
    email: Option<&Email>,
    refs: &[String],
    reference: &str,
) -> minijinja::Value {
    match plan.kind {
        // An update quotes the same things an acknowledgement does, for the referrals whose
        // outcome changed.
        EmailKind::Ack | EmailKind::Redirect | EmailKind::Update => {
            minijinja::Value::from_serialize(reply_ctx(d, plan, region, refs, reference))
        }
        EmailKind::Forward => {
            minijinja::Value::from_serialize(forward_ctx(d, plan, region, email, refs, reference))
        }
    }
}

/// Team and review addresses of every region, plus `[outbound] forward_allow`.
pub fn forward_allowed(cfg: &Config, to: &str) -> bool {
    let to = to.to_ascii_lowercase();
    cfg.main
        .regions
        .values()
        .any(|r| r.team_address.eq_ignore_ascii_case(&to) || r.review_address.eq_ignore_ascii_case(&to))
        || cfg.main.outbound.forward_allow.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            if a.starts_with('@') {
                to.ends_with(&a)
            } else {
                a == to
            }
        })
}

fn region_ctx(r: &RegionConfig) -> RegionCtx<'_> {
    RegionCtx {
        name: &r.name,
        phone: &r.phone,
        hours: &r.hours,
    }
}

/// What to ask the sender for, by field label (never the member's data).
fn missing_labels(reasons: &[Reason]) -> Vec<String> {
    reasons
        .iter()
        .filter_map(|r| match r {
            Reason::MissingField(k) => Some(missing_label(*k).to_string()),
            Reason::InvalidField(k) => Some(format!(
                "{} (the value given could not be read)",
                missing_label(*k)
            )),
            Reason::NoPopulationOfFocus => Some("At least one ECM Population of Focus".into()),
            Reason::NoCommunitySupport => Some("At least one Community Support requested".into()),
            _ => None,
        })
        .collect()
}

fn missing_label(k: FieldKey) -> &'static str {
    match k {
        FieldKey::MemberPhone => "Member phone number or address",
        FieldKey::ReferrerPhone => "A phone number or email address for the referrer",
        other => other.label(),
    }
}

fn reply_ctx<'a>(
    d: &'a Decision,
    plan: &PlannedEmail,
    region: &'a RegionConfig,
    refs: &'a [String],
    reference: &'a str,
) -> ReplyCtx<'a> {
    let referrals = plan
        .referrals
        .iter()
        .filter_map(|i| Some((d.referrals.get(*i)?, refs.get(*i)?)))
        .map(|(r, reference)| ReplyReferral {
            reference,
            program: r.program.code(),
            program_name: r.program.display_name(),
            outcome: r.outcome.code(),
            missing: if r.outcome == Outcome::NeedsInfo {
                missing_labels(&r.reasons)
            } else {
                Vec::new()
            },
            row: r.source.1,
            nle: r.nle.as_ref().map(|(name, contact)| NleCtx { name, contact }),
        })
        .collect();
    ReplyCtx {
        reference,
        region: region_ctx(region),
        review: plan.referrals.is_empty(),
        review_reasons: d.reasons.iter().map(ToString::to_string).collect(),
        referrals,
    }
}

fn forward_ctx<'a>(
    d: &'a Decision,
    plan: &PlannedEmail,
    region: &'a RegionConfig,
    email: Option<&Email>,
    refs: &'a [String],
    reference: &'a str,
) -> ForwardCtx<'a> {
    let referrals: Vec<ForwardReferral<'a>> = plan
        .referrals
        .iter()
        .filter_map(|i| Some((d.referrals.get(*i)?, refs.get(*i)?)))
        .map(|(r, reference)| ForwardReferral {
            reference,
            program_name: r.program.display_name(),
            outcome: r.outcome.code(),
            reasons: r.reasons.iter().map(ToString::to_string).collect(),
            notes: team_notes(r),
            fields: field_rows(r),
        })
        .collect();
    let headline = if referrals.is_empty() {
        "Referral email for review".to_string()
    } else {
        let n = referrals.len();
        let accepted = plan.referrals.iter().all(|i| {
            d.referrals
                .get(*i)
                .is_some_and(|r| r.outcome == Outcome::Accepted)
        });
        let what = if accepted { "Accepted" } else { "For review:" };
        format!("{what} {n} referral{}", if n == 1 { "" } else { "s" })
    };
    ForwardCtx {
        reference,
        headline,
        region: region_ctx(region),
        received: email
            .and_then(|e| e.date)
            .map(|d| d.to_rfc2822())
            .unwrap_or_else(|| "(no date)".into()),
        sender: email
            .and_then(crate::pipeline::reply_address)
            .unwrap_or_else(|| "(unknown sender)".into()),
        inbox_region: &d.inbox_region,
        message_reasons: d.reasons.iter().map(ToString::to_string).collect(),
        referrals,
    }
}

/// Notes for the team: CHW units that need approval, fields read with doubt (by the label of the
/// form's entry, never its value).
fn team_notes(r: &ReferralDecision) -> Vec<String> {
    let mut notes = Vec::new();
    if r.reasons.contains(&Reason::ChwUnitsNeedApproval) {
        notes.push(format!(
            "{} CHW units (30 minutes each) requested: more than the {} a member can start with, so the rest must be approved.",
            r.fields.chw_units.unwrap_or_default(),
            crate::screen::CHW_STARTING_UNITS
        ));
    }
    for (key, label) in &r.uncertain {
        notes.push(format!(
            "{} was not read with confidence: check the form's entry \"{label}\".",
            key.label()
        ));
    }
    notes
}

/// The referral's fields as label/value rows for the team.
fn field_rows(r: &ReferralDecision) -> Vec<FieldRow> {
    let value = serde_json::to_value(&r.fields).unwrap_or_default();
    let Some(map) = value.as_object() else {
        return Vec::new();
    };
    FieldKey::ALL
        .iter()
        .filter_map(|k| {
            let v = map.get(k.name())?;
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.to_string().trim_matches('"').to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            Some(FieldRow {
                label: k.label().to_string(),
                value: text,
            })
        })
        .collect()
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

fn build(
    cfg: &Config,
    d: &Decision,
    plan: &PlannedEmail,
    email: Option<&Email>,
    raw: &[u8],
    rendered: &crate::templates::Rendered,
) -> Result<Vec<u8>> {
    let inbox = cfg
        .main
        .inboxes
        .iter()
        .find(|i| i.region == d.inbox_region)
        .or_else(|| cfg.main.inboxes.first())
        .context("no inbox is configured to send from")?;
    let from = Mailbox::new(
        Some(cfg.main.outbound.from_name.clone()),
        inbox.address.parse().context("inbox address")?,
    );
    let to: Mailbox = plan.to.parse().context("recipient address is not valid")?;
    let id = format!(
        "<{}@{}>",
        crate::store::new_id(),
        cfg.main.outbound.message_id_domain
    );
    let mut b = Message::builder()
        .from(from)
        .to(to)
        .subject(&rendered.subject)
        .message_id(Some(id))
        .date_now();
    let auto = match plan.kind {
        EmailKind::Forward => "auto-generated",
        EmailKind::Ack | EmailKind::Redirect | EmailKind::Update => "auto-replied",
    };
    b = b
        .raw_header(header("Auto-Submitted", auto))
        .raw_header(header("X-Auto-Response-Suppress", "All"))
        .raw_header(header(OWN_STAMP_HEADER, plan.kind.code()));
    if plan.kind != EmailKind::Forward
        && let Some(orig) = email.and_then(|e| e.message_id.as_deref())
    {
        let mut refs: Vec<String> = email
            .map(|e| e.references.iter().map(|r| format!("<{r}>")).collect())
            .unwrap_or_default();
        refs.push(format!("<{orig}>"));
        b = b.in_reply_to(format!("<{orig}>")).references(refs.join(" "));
    }
    let body = MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone());
    let msg = if plan.kind == EmailKind::Forward {
        let mut mixed = MultiPart::mixed().multipart(body);
        match email {
            Some(e) if !plan.referrals.is_empty() && !e.attachments.is_empty() => {
                for (n, a) in e.attachments.iter().enumerate() {
                    let name = a
                        .filename
                        .clone()
                        .unwrap_or_else(|| format!("attachment-{}", n + 1));
                    let ct = ContentType::parse(&a.content_type).unwrap_or_else(|_| {
                        ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
                    });
                    mixed = mixed.singlepart(Attachment::new(name).body(a.bytes.clone(), ct));
                }
            }
            // A message for review, or a referral typed in the body, goes whole, so the reader
            // sees exactly what arrived.
            _ => {
                let ct = ContentType::parse("message/rfc822").unwrap_or(ContentType::TEXT_PLAIN);
                mixed =
                    mixed.singlepart(Attachment::new("original-message.eml".into()).body(raw.to_vec(), ct));
            }
        }
        b.multipart(mixed)
    } else {
        b.multipart(body)
    }
    .context("building the email")?;
    Ok(msg.formatted())
}
