//! The decision for one message: raw bytes in, [`Decision`] out, no side effects.
//!
//! `explain` prints a [`Decision`]; `replay` and the daemon commit it to the store and send the
//! emails it plans. Steps: parse MIME → ignore automatic mail → classify the subject → extract
//! every attachment (else the body) → map to canonical fields → fill the county from the ZIP →
//! screen each referral → plan the emails.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::Config;
use crate::extract::{self, Deadline, DocKind, ExtractError, FileType, Limits};
use crate::message::{self, Automatic, Email};
use crate::model::{Disposition, FieldKey, Fields, Outcome, Program, Reason};
use crate::profile::{MapContext, Referral};
use crate::screen::{self, Lookups};

/// What `explain` prints, and what `replay`/`run` commit.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub disposition: Disposition,
    pub programs: Vec<Program>,
    pub inbox_region: String,
    /// Message-level reasons (`unclassified_subject`, `no_form_found`, `auto_reply`, ...).
    pub reasons: Vec<Reason>,
    pub referrals: Vec<ReferralDecision>,
    pub emails: Vec<PlannedEmail>,
    /// What was read, for the store and the forward; not part of `explain`'s contract.
    #[serde(skip)]
    pub documents: Vec<DocumentInfo>,
    /// The subject rule(s) that matched.
    #[serde(skip)]
    pub rule: Option<String>,
}

impl Decision {
    /// A decision with no referrals and no emails: ignored mail, or a message for review (its
    /// emails are planned by [`plan_review_emails`]).
    pub fn without_referrals(
        disposition: Disposition,
        inbox_region: String,
        reasons: Vec<Reason>,
    ) -> Decision {
        Decision {
            disposition,
            programs: Vec::new(),
            inbox_region,
            reasons,
            referrals: Vec::new(),
            emails: Vec::new(),
            documents: Vec::new(),
            rule: None,
        }
    }
}

/// One screened referral.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralDecision {
    pub program: Program,
    pub fields: Fields,
    pub outcome: Outcome,
    pub reasons: Vec<Reason>,
    /// The member's region; `null` when the member lives in a county KP does not serve.
    pub region: Option<String>,
    /// For `uncertain_field:<key>`: the label of the form's entry that plausibly holds the field
    /// (never its value), so the reviewer knows where to look.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub uncertain: std::collections::BTreeMap<FieldKey, String>,
    /// Where it came from: document index and, for tables, the 1-based data row.
    #[serde(skip)]
    pub source: (usize, Option<usize>),
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// For `nle_self_referral`: the NLE's name and contact.
    #[serde(skip)]
    pub nle: Option<(String, String)>,
    /// The region whose team handles it (member's region, else the inbox's).
    #[serde(skip)]
    pub route_region: String,
}

/// Which email and to whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedEmail {
    pub kind: EmailKind,
    pub to: String,
    /// The region whose address, phone line and team the email uses.
    #[serde(skip)]
    pub region: String,
    /// Indexes into `Decision::referrals` this email covers.
    #[serde(skip)]
    pub referrals: Vec<usize>,
}

pub use crate::model::EmailKind;

/// What one attachment (or the body) gave.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    pub kind: Option<DocKind>,
    pub profile: Option<String>,
    pub referrals: usize,
    /// The extraction problem, content-free.
    pub error: Option<String>,
}

impl DocumentInfo {
    /// A document (or part of the message) that could not be read, with the content-free reason.
    pub fn failed(error: String) -> DocumentInfo {
        DocumentInfo {
            kind: None,
            profile: None,
            referrals: 0,
            error: Some(error),
        }
    }
}

/// What the attachments of one message gave: a document entry for each, the referrals found,
/// and the errors (which become the message's reasons when no referral was found).
struct Docs<'c> {
    cfg: &'c Config,
    map_ctx: MapContext<'c>,
    limits: &'c Limits,
    /// OCR for this message's scans (one time budget for all of them).
    ocr: extract::ocr::Ocr<'c>,
    documents: Vec<DocumentInfo>,
    found: Vec<(usize, Option<usize>, Referral)>,
    errors: Vec<ExtractError>,
}

impl Docs<'_> {
    /// Reads one file of a sniffed type and maps it to referrals.
    fn read(&mut self, bytes: &[u8], ft: FileType) {
        match self.ocr.read(bytes, ft, self.limits) {
            Ok(doc) => {
                let (profile, refs) = self.cfg.profiles.map(&doc, self.map_ctx);
                let doc_index = self.documents.len();
                let table = doc.records.len() > 1;
                self.documents.push(DocumentInfo {
                    kind: Some(doc.kind),
                    profile: Some(profile),
                    referrals: refs.len(),
                    error: None,
                });
                for (row, r) in refs.into_iter().enumerate() {
                    self.found.push((doc_index, table.then_some(row + 1), r));
                }
            }
            Err(e) => self.failed(e),
        }
    }

    fn failed(&mut self, e: ExtractError) {
        self.documents.push(DocumentInfo::failed(e.to_string()));
        self.errors.push(e);
    }
}

/// Inputs besides the message.
pub struct Context<'a> {
    pub cfg: &'a Config,
    pub lookups: &'a dyn Lookups,
    /// "Today", for two-digit years and when a message has no date.
    pub today: NaiveDate,
    /// The inbox the message came from, when the caller knows it (the daemon does).
    pub inbox_region: Option<&'a str>,
}

/// Decides what to do with one raw message: [`extract`], then [`screen`] with the lookups the
/// context gives. The decision plans every email, review ones included.
pub fn decide(raw: &[u8], ctx: &Context<'_>) -> (Decision, Option<Email>) {
    let x = extract(raw, ctx.cfg, ctx.today, ctx.inbox_region);
    let d = screen(&x, ctx.cfg, ctx.lookups);
    (d, x.email)
}

/// A message read: everything a decision needs from its bytes, before screening. Reading is the
/// costly part (MIME, PDF, sheets); screening it again with other facts costs microseconds.
pub struct Extracted {
    pub email: Option<Email>,
    /// A decision reached while reading (unreadable, ignored, nothing to screen), emails planned.
    early: Option<Decision>,
    inbox_region: String,
    subject_programs: BTreeSet<Program>,
    rule: Option<String>,
    documents: Vec<DocumentInfo>,
    found: Vec<(usize, Option<usize>, Referral)>,
    /// The date a referral without one was made: the message's date, else today.
    fallback_date: NaiveDate,
}

impl Extracted {
    /// The member CINs whose open ECM referrals screening looks up: those of the referrals
    /// screened for CHW, the one program that asks ([`crate::screen::Lookups`]; the roster is
    /// in memory). A message without one needs no query before it is screened.
    pub fn cins(&self) -> Vec<String> {
        let mut cins: Vec<String> = self
            .found
            .iter()
            .filter(|(_, _, r)| programs_for(&self.subject_programs, r).contains(&Program::Chw))
            .filter_map(|(_, _, r)| r.fields.member_cin.clone())
            .collect();
        cins.sort();
        cins.dedup();
        cins
    }

    fn early(d: Decision, email: Option<Email>, cfg: &Config) -> Extracted {
        let mut d = d;
        plan_review_emails(cfg, &mut d, email.as_ref());
        Extracted {
            inbox_region: d.inbox_region.clone(),
            subject_programs: BTreeSet::new(),
            rule: None,
            documents: Vec::new(),
            found: Vec::new(),
            fallback_date: NaiveDate::default(),
            email,
            early: Some(d),
        }
    }
}

/// Reads one raw message: MIME, automatic mail, the subject, every attachment (else the body),
/// mapped to canonical fields. Pure; runs on the blocking pool in the daemon.
pub fn extract(raw: &[u8], cfg: &Config, today: NaiveDate, inbox_region: Option<&str>) -> Extracted {
    extract_noticing(raw, cfg, today, inbox_region, None)
}

/// [`extract`], telling `scan` when a page of the message goes to the OCR engine.
pub fn extract_noticing(
    raw: &[u8],
    cfg: &Config,
    today: NaiveDate,
    inbox_region: Option<&str>,
    scan: Option<extract::ocr::ScanNotice>,
) -> Extracted {
    let limits = Limits {
        deadline: Some(Deadline::after(cfg.main.limits.parse_time())),
        ..cfg.main.limits.extract_limits()
    };
    let email = match message::parse(raw, &limits) {
        Ok(e) => e,
        Err(e) => {
            let region = inbox_region
                .map(str::to_string)
                .unwrap_or_else(|| default_region(cfg));
            let d = review(
                region,
                &BTreeSet::new(),
                vec![Reason::UnreadableAttachment],
                vec![DocumentInfo::failed(e.to_string())],
                None,
            );
            return Extracted::early(d, None, cfg);
        }
    };
    let inbox_region = inbox_region
        .map(str::to_string)
        .or_else(|| {
            let addrs = email.to.iter().chain(email.cc.iter()).map(|m| m.address.as_str());
            cfg.inbox_for_addresses(addrs).map(|i| i.region.clone())
        })
        .unwrap_or_else(|| default_region(cfg));

    let own_id_domain = Some(cfg.main.outbound.message_id_domain.as_str());
    if let Some(auto) = message::automatic(&email, &cfg.own_addresses(), own_id_domain) {
        let reason = match auto {
            Automatic::OwnMessage => Reason::OwnMessage,
            Automatic::Bounce => Reason::Bounce,
            Automatic::AutoReply => Reason::AutoReply,
        };
        let d = Decision::without_referrals(Disposition::Ignored, inbox_region, vec![reason]);
        return Extracted::early(d, Some(email), cfg);
    }

    let class = cfg.subjects.classify(&email.subject);
    let subject_programs: BTreeSet<Program> = class.programs.iter().copied().collect();
    let map_ctx = MapContext {
        catalog: &cfg.catalog,
        today,
    };

    // Every attachment; the body only when no attachment gave a referral.
    let mut docs = Docs {
        cfg,
        map_ctx,
        limits: &limits,
        // The daemon waits 2 x max_parse_seconds + 5 s for a decision; parsing has its share.
        ocr: extract::ocr::Ocr::new(&cfg.main.ocr)
            .within(cfg.main.limits.parse_time() + std::time::Duration::from_secs(5))
            .noticing(scan),
        documents: Vec::new(),
        found: Vec::new(),
        errors: Vec::new(),
    };
    for (why, count) in &email.skipped {
        docs.failed(ExtractError::Unreadable(why.describe(*count, &limits)));
    }
    for carried in extract::walk::attachments(&email) {
        match carried {
            extract::walk::Carried::File { bytes, kind, .. } => docs.read(&bytes, kind),
            extract::walk::Carried::Failed(e) => docs.failed(e),
        }
    }
    let Docs {
        mut documents,
        mut found,
        errors,
        ..
    } = docs;
    // The forms' referrer left blank, the message's labelled lines ("Referrer: … / Phone: …"
    // above an attached batch) give it. Read only then: most forms name their referrer.
    let unnamed = |r: &Referral| r.fields.referrer_name.is_none() && r.fields.referrer_organization.is_none();
    if found.iter().any(|(_, _, r)| unnamed(r)) {
        let mut doc = extract::body::extract_email_body(&email);
        if doc.records.is_empty() {
            // No labelled lines: the sender's signature names them.
            doc = extract::body::email_signature(&email);
        }
        if doc.records.len() == 1
            && let (_, refs) = cfg.profiles.map(&doc, map_ctx)
            && let [r] = refs.as_slice()
        {
            for (_, _, f) in &mut found {
                fill_referrer(&mut f.fields, &r.fields);
            }
        }
    }
    if found.is_empty() {
        let doc = extract::body::extract_email_body(&email);
        let (profile, refs) = cfg.profiles.map(&doc, map_ctx);
        if !refs.is_empty() {
            let doc_index = documents.len();
            documents.push(DocumentInfo {
                kind: Some(DocKind::EmailBody),
                profile: Some(profile),
                referrals: refs.len(),
                error: None,
            });
            found.extend(refs.into_iter().map(|r| (doc_index, None, r)));
        }
    }

    let addressless = |r: &Referral| r.fields.referrer_name.is_some() && r.fields.referrer_email.is_none();
    if found.iter().any(|(_, _, r)| addressless(r)) {
        let senders = named_senders(&email);
        for (_, _, r) in &mut found {
            referrer_email_from(&mut r.fields, &senders);
        }
    }
    for (_, _, r) in &mut found {
        family_sender_refers(&mut r.fields, &email);
    }

    let mut reasons = Vec::new();
    if found.is_empty() {
        if subject_programs.is_empty() {
            reasons.push(Reason::UnclassifiedSubject);
        }
        reasons.extend(attachment_reasons(&errors));
        // A referral without its form: the subject names a program and nothing holds it. Mail
        // that names no program and carries nothing is simply unclassified (SPEC §3).
        if reasons.is_empty() {
            reasons.push(Reason::NoFormFound);
        }
        let d = review(inbox_region, &subject_programs, reasons, documents, class.rule);
        return Extracted::early(d, Some(email), cfg);
    }
    let fallback_date = email.date.map(|d| d.date_naive()).unwrap_or(today);
    Extracted {
        email: Some(email),
        early: None,
        inbox_region,
        subject_programs,
        rule: class.rule,
        documents,
        found,
        fallback_date,
    }
}

/// Screens what [`extract`] read, with the facts `lookups` gives (open ECM referrals, the
/// roster), and plans every email. Pure and cheap: a commit that finds the facts changed screens
/// again rather than reading the message again.
pub fn screen(x: &Extracted, cfg: &Config, lookups: &dyn Lookups) -> Decision {
    if let Some(d) = &x.early {
        return d.clone();
    }
    let inbox_region = x.inbox_region.clone();
    let subject_programs = &x.subject_programs;
    let fallback_date = x.fallback_date;
    // Which program(s) each referral is for: the subject, else what the form ticks.
    let mut referrals = Vec::new();
    let mut reasons = Vec::new();
    let mut unclassified = false;
    let max = cfg.main.limits.max_referrals_per_message;
    for (doc, row, r) in &x.found {
        let (doc, row) = (*doc, *row);
        let programs = programs_for(subject_programs, r);
        if programs.is_empty() {
            unclassified = true;
            continue;
        }
        let mut fields = r.fields.clone();
        fill_county_from_zip(cfg, &mut fields);
        let uncertain: BTreeSet<FieldKey> = r.uncertain.keys().copied().collect();
        for program in programs {
            if referrals.len() >= max {
                break;
            }
            let s = screen::screen(
                cfg,
                program,
                &fields,
                screen::Doubts {
                    invalid: &r.invalid,
                    uncertain: &uncertain,
                },
                fallback_date,
                &inbox_region,
                lookups,
            );
            let served = fields
                .member_county
                .as_deref()
                .is_none_or(|c| cfg.region_of_county(c).is_some());
            let uncertain = r
                .uncertain
                .iter()
                .filter(|(k, _)| s.reasons.contains(&Reason::UncertainField(**k)))
                .map(|(k, l)| (*k, l.clone()))
                .collect();
            referrals.push(ReferralDecision {
                program,
                fields: fields.clone(),
                outcome: s.outcome,
                reasons: s.reasons,
                region: served.then(|| s.region.clone()),
                uncertain,
                source: (doc, row),
                warnings: r.warnings.clone(),
                nle: s.nle,
                route_region: s.region,
            });
        }
    }
    if unclassified {
        reasons.push(Reason::UnclassifiedSubject);
    }
    if referrals.is_empty() {
        let mut d = review(
            inbox_region,
            subject_programs,
            reasons,
            x.documents.clone(),
            x.rule.clone(),
        );
        plan_review_emails(cfg, &mut d, x.email.as_ref());
        return d;
    }
    let programs: BTreeSet<Program> = referrals.iter().map(|r| r.program).collect();
    let sender = x.email.as_ref().and_then(reply_address);
    let emails = plan_emails(cfg, &inbox_region, &referrals, sender.as_deref());
    Decision {
        disposition: Disposition::Referral,
        programs: programs.into_iter().collect(),
        inbox_region,
        reasons,
        referrals,
        emails,
        documents: x.documents.clone(),
        rule: x.rule.clone(),
    }
}

/// The decision for a message a person must look at. `programs` are what its subject (or a
/// ticked form) names, so that the right team reviews it.
fn review(
    inbox_region: String,
    programs: &BTreeSet<Program>,
    reasons: Vec<Reason>,
    documents: Vec<DocumentInfo>,
    rule: Option<String>,
) -> Decision {
    Decision {
        documents,
        rule,
        programs: programs.iter().copied().collect(),
        ..Decision::without_referrals(Disposition::Review, inbox_region, reasons)
    }
}

/// Plans the review emails once the sender is known (kept apart so `review` stays simple).
pub fn plan_review_emails(cfg: &Config, d: &mut Decision, email: Option<&Email>) {
    if d.disposition != Disposition::Review || !d.emails.is_empty() {
        return;
    }
    let region = d.inbox_region.clone();
    if let Some(to) = email.and_then(reply_address) {
        d.emails.push(PlannedEmail {
            kind: EmailKind::Ack,
            to,
            region: region.clone(),
            referrals: Vec::new(),
        });
    }
    if let Some(r) = cfg.main.region(&region) {
        d.emails.push(PlannedEmail {
            kind: EmailKind::Forward,
            to: r.review_address.clone(),
            region,
            referrals: Vec::new(),
        });
    }
}

fn attachment_reasons(errors: &[ExtractError]) -> Vec<Reason> {
    let mut out = BTreeSet::new();
    for e in errors {
        out.insert(match e {
            ExtractError::Unsupported(_) | ExtractError::XfaOnly => Reason::UnsupportedAttachment,
            ExtractError::Encrypted | ExtractError::Unreadable(_) => Reason::UnreadableAttachment,
        });
    }
    out.into_iter().collect()
}

/// The programs one referral is for.
///
/// A subject naming one program decides. A subject naming several keeps those the form gives
/// evidence for (ticked programs, populations, services, needs), all of them when it gives none.
/// With no program in the subject, the form decides.
fn programs_for(subject: &BTreeSet<Program>, r: &Referral) -> BTreeSet<Program> {
    let mut evidence = r.programs.clone();
    if !r.fields.ecm_populations.is_empty() {
        evidence.insert(Program::Ecm);
    }
    if !r.fields.cs_services.is_empty() {
        evidence.insert(Program::Cs);
    }
    if !r.fields.chw_needs.is_empty() {
        evidence.insert(Program::Chw);
    }
    if subject.len() == 1 {
        return subject.clone();
    }
    if !subject.is_empty() {
        let both: BTreeSet<Program> = subject.intersection(&evidence).copied().collect();
        return if both.is_empty() { subject.clone() } else { both };
    }
    if !r.programs.is_empty() {
        r.programs.clone()
    } else {
        evidence
    }
}

/// The referrer's fields `form` leaves blank, from `body` — all of them only when the form
/// names no referrer at all, so a form's referrer never gets someone else's phone.
fn fill_referrer(form: &mut Fields, body: &Fields) {
    let named = form.referrer_name.is_some() || form.referrer_organization.is_some();
    if named || body.referrer_name.is_none() && body.referrer_organization.is_none() {
        return;
    }
    form.referrer_name.clone_from(&body.referrer_name);
    form.referrer_organization.clone_from(&body.referrer_organization);
    if form.referrer_phone.is_none() {
        form.referrer_phone.clone_from(&body.referrer_phone);
    }
    if form.referrer_email.is_none() {
        form.referrer_email.clone_from(&body.referrer_email);
    }
    if form.referrer_relationship.is_none() {
        form.referrer_relationship = body.referrer_relationship;
    }
}

/// A relative writing about their own family member ("my son", a "Parent:" line) with no
/// referrer named: the sender is the referrer — their name from `From`, their address, and the
/// family's phone the message gives (SPEC §5: a referrer and a way to reach them).
fn family_sender_refers(f: &mut Fields, email: &Email) {
    if f.referrer_name.is_some() || f.referrer_relationship != Some(crate::model::Relationship::MemberFamily)
    {
        return;
    }
    let Some(from) = email.from.as_ref() else {
        return;
    };
    let Some(name) = from
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| crate::normalize::led_by_person_name(n))
    else {
        return;
    };
    f.referrer_name = Some(name.to_string());
    if f.referrer_email.is_none() && from.address.contains('@') {
        f.referrer_email = Some(from.address.trim().to_lowercase());
    }
    if f.referrer_phone.is_none() {
        f.referrer_phone.clone_from(&f.member_phone);
    }
}

/// Who sent the message, and who sent a message forwarded in its body ("From: Pat Sample
/// <pat@clinic.example>"): each as the words of their name, with their address.
fn named_senders(email: &Email) -> Vec<(Vec<String>, String)> {
    static FROM_LINE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(?mi)^[>\s*]*From:\s*"?([^"<\n]+?)"?\s*<([^<>@\s]+@[^<>@\s]+)>"#)
            .expect("a valid built-in pattern")
    });
    let header = email
        .from
        .iter()
        .filter_map(|m| Some((name_words(m.name.as_deref()?), m.address.clone())));
    let quoted = FROM_LINE
        .captures_iter(&email.body_text)
        .map(|c| (name_words(&c[1]), c[2].to_string()));
    header.chain(quoted).collect()
}

/// A referrer named without an e-mail address who is one of the message's `senders`
/// ([`named_senders`]): their address. The name must match word for word, in either order
/// ("Sample, Pat").
fn referrer_email_from(f: &mut Fields, senders: &[(Vec<String>, String)]) {
    if f.referrer_email.is_some() {
        return;
    }
    let Some(want) = f
        .referrer_name
        .as_deref()
        .map(name_words)
        .filter(|w| w.len() >= 2)
    else {
        return;
    };
    // Every word of the sender's name among the referrer's (word for word, or with a credential
    // or a title after it: "Marguerite Sample, RN (school nurse)").
    let among = |name: &Vec<String>| {
        name.len() >= 2 && want.len() <= name.len() + 3 && name.iter().all(|w| want.contains(w))
    };
    if let Some((_, address)) = senders.iter().find(|(name, _)| among(name)) {
        f.referrer_email = Some(address.trim().to_lowercase());
    }
}

/// A person's name as its words, lower-cased, without accents or what is in brackets, and
/// sorted: "Sample, Pat" and "Pat Sample" agree, and so do "Rocío Sample (mom)" and "Rocio
/// Sample".
fn name_words(name: &str) -> Vec<String> {
    let bare = crate::normalize::split_parenthesised(name).0;
    let mut words: Vec<String> = bare
        .split(|c: char| !c.is_alphabetic() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .map(crate::catalog::unaccented)
                .collect::<String>()
                .to_lowercase()
        })
        .collect();
    words.sort();
    words
}

fn fill_county_from_zip(cfg: &Config, f: &mut Fields) {
    if f.member_county.is_none()
        && let Some(county) = f.member_zip.as_deref().and_then(|z| cfg.zip_county.get(z))
    {
        f.member_county = Some(county.clone());
    }
}

/// Where replies go: `Reply-To`, else `From`; nowhere for mail that came through a list.
pub fn reply_address(email: &Email) -> Option<String> {
    if message::mailing_list(email) {
        return None;
    }
    email
        .reply_to
        .as_ref()
        .or(email.from.as_ref())
        .map(|m| m.address.clone())
        .filter(|a| a.contains('@'))
        // Nobody reads a no-reply address: the referral is processed, no acknowledgement goes.
        .filter(|a| !message::is_no_reply(a))
}

/// The decision for a message whose processing did not finish within `limit` (the daemon's
/// backstop): review, `unreadable_attachment`, with the detail in `documents`.
pub fn timed_out(inbox_region: String, limit: std::time::Duration) -> Decision {
    let detail = format!(
        "processing did not finish within {} s; stopped waiting",
        limit.as_secs_f64()
    );
    review(
        inbox_region,
        &BTreeSet::new(),
        vec![Reason::UnreadableAttachment],
        vec![DocumentInfo::failed(detail)],
        None,
    )
}

/// The region of the first configured inbox: where mail of unknown destination is handled.
pub fn default_region(cfg: &Config) -> String {
    cfg.main
        .inboxes
        .first()
        .map(|i| i.region.clone())
        .unwrap_or_else(|| "ncal".into())
}

/// Acknowledgement for everything not redirected; one redirect for the redirected; one forward per
/// destination (a region's team for accepted, its review queue for screened-out).
pub(crate) fn plan_emails(
    cfg: &Config,
    inbox_region: &str,
    referrals: &[ReferralDecision],
    sender: Option<&str>,
) -> Vec<PlannedEmail> {
    let mut out = Vec::new();
    let idx = |pred: &dyn Fn(&ReferralDecision) -> bool| -> Vec<usize> {
        referrals
            .iter()
            .enumerate()
            .filter(|(_, r)| pred(r))
            .map(|(i, _)| i)
            .collect()
    };
    if let Some(to) = sender {
        let acked = idx(&|r| r.outcome != Outcome::Redirected);
        if !acked.is_empty() {
            out.push(PlannedEmail {
                kind: EmailKind::Ack,
                to: to.to_string(),
                region: inbox_region.to_string(),
                referrals: acked,
            });
        }
        let redirected = idx(&|r| r.outcome == Outcome::Redirected);
        if !redirected.is_empty() {
            out.push(PlannedEmail {
                kind: EmailKind::Redirect,
                to: to.to_string(),
                region: inbox_region.to_string(),
                referrals: redirected,
            });
        }
    }
    let mut forwards: Vec<PlannedEmail> = Vec::new();
    for (i, r) in referrals.iter().enumerate() {
        let Some(region) = cfg.main.region(&r.route_region) else {
            continue;
        };
        let to = match r.outcome {
            Outcome::Accepted => &region.team_address,
            // A referral read with doubt (`uncertain_field:*`) goes to the review queue with its
            // fields, like a screened-out one.
            Outcome::ScreenedOut | Outcome::Review => &region.review_address,
            _ => continue,
        };
        match forwards.iter_mut().find(|f| &f.to == to) {
            Some(f) => f.referrals.push(i),
            None => forwards.push(PlannedEmail {
                kind: EmailKind::Forward,
                to: to.clone(),
                region: r.route_region.clone(),
                referrals: vec![i],
            }),
        }
    }
    out.extend(forwards);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a CHW referral's member is looked up for open ECM referrals before screening (the
    /// one question screening asks the store): an ECM referral's member is not, so its message
    /// costs no query.
    #[test]
    fn only_chw_referrals_members_are_looked_up_for_open_ecm_referrals() {
        let cfg = Config::builtin().expect("config");
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let read = |case: &str| {
            let path = format!("{}/fixtures/demo/{case}.eml", env!("CARGO_MANIFEST_DIR"));
            extract(&std::fs::read(path).expect("fixture"), &cfg, today, None)
        };
        assert_eq!(read("03-kp-flattened-chw").cins(), vec!["93456789C".to_string()]);
        let ecm = read("01-kp-ecm-accepted");
        assert!(
            ecm.found.iter().any(|(_, _, r)| r.fields.member_cin.is_some()),
            "the ECM referral names its member"
        );
        assert!(ecm.cins().is_empty(), "{:?}", ecm.cins());
    }

    /// A batch attached to a message whose body says who refers: the body's referrer fills a form
    /// that names none; a form that names its own referrer keeps it, with no phone lent to it.
    #[test]
    fn class6_the_bodys_referrer_fills_forms_that_name_none() {
        let body = Fields {
            referrer_name: Some("Evangelina Notarias".into()),
            referrer_phone: Some("5595550188".into()),
            ..Fields::default()
        };
        let mut blank = Fields::default();
        fill_referrer(&mut blank, &body);
        assert_eq!(blank.referrer_name.as_deref(), Some("Evangelina Notarias"));
        assert_eq!(blank.referrer_phone.as_deref(), Some("5595550188"));
        let mut named = Fields {
            referrer_name: Some("Pat Sample".into()),
            ..Fields::default()
        };
        fill_referrer(&mut named, &body);
        assert_eq!(named.referrer_name.as_deref(), Some("Pat Sample"));
        assert_eq!(named.referrer_phone, None);
    }

    /// A referrer named without an address who sent the message, or the message forwarded in
    /// its body, gets that sender's address; anyone else does not.
    #[test]
    fn class10_the_referrers_address_from_the_from_line_that_names_them() {
        let raw = b"From: Pat Forwarder <pat@plan.example>\r\nTo: intake@example.test\r\n\
            Subject: Fwd: CS referral\r\n\r\nFYI.\r\n\r\n---------- Forwarded message ---------\r\n\
            From: Beatrix Sample <BSample@shelter.example>\r\nSubject: CS referral\r\n\r\n\
            Referrer: Beatrix Sample\r\n";
        let email = message::parse(raw, &Limits::default()).expect("a message");
        let named = |who: &str| {
            let mut f = Fields {
                referrer_name: Some(who.into()),
                ..Fields::default()
            };
            referrer_email_from(&mut f, &named_senders(&email));
            f.referrer_email
        };
        assert_eq!(
            named("Beatrix Sample").as_deref(),
            Some("bsample@shelter.example")
        );
        assert_eq!(
            named("Sample, Beatrix").as_deref(),
            Some("bsample@shelter.example")
        );
        assert_eq!(named("Pat Forwarder").as_deref(), Some("pat@plan.example"));
        assert_eq!(named("Someone Else"), None);
        // Issue #8 (blind44): a credential, a title in brackets or accents do not hide the
        // sender; one shared word is not enough.
        assert_eq!(
            named("Beatrix Sample, RN (school nurse)").as_deref(),
            Some("bsample@shelter.example")
        );
        assert_eq!(
            named("Béatrix Sample (mom)").as_deref(),
            Some("bsample@shelter.example")
        );
        assert_eq!(named("Beatrix Otherperson"), None);
        // An address the form gives is kept.
        let mut f = Fields {
            referrer_name: Some("Beatrix Sample".into()),
            referrer_email: Some("desk@shelter.example".into()),
            ..Fields::default()
        };
        referrer_email_from(&mut f, &named_senders(&email));
        assert_eq!(f.referrer_email.as_deref(), Some("desk@shelter.example"));
    }

    /// Issue #8 (blind56): a mother writing about her son ("Parent: Lucia … (mom)", "my son")
    /// and naming no referrer is the referrer: her name and address from `From`, the family's
    /// phone. Anyone else's message, or a referrer already named, is left alone.
    #[test]
    fn class56_a_relative_who_writes_is_the_referrer() {
        let raw = b"From: Lucia Imaginario <Lucia.Imaginario@example.com>\r\nTo: intake@example.test\r\n\
            Subject: CHW referral for my son\r\n\r\nChild: Mateo Imaginario\r\n";
        let email = message::parse(raw, &Limits::default()).expect("a message");
        let family = || Fields {
            member_phone: Some("9095550135".into()),
            referrer_relationship: Some(crate::model::Relationship::MemberFamily),
            ..Fields::default()
        };
        let mut f = family();
        family_sender_refers(&mut f, &email);
        assert_eq!(f.referrer_name.as_deref(), Some("Lucia Imaginario"));
        assert_eq!(f.referrer_email.as_deref(), Some("lucia.imaginario@example.com"));
        assert_eq!(f.referrer_phone.as_deref(), Some("9095550135"));
        let mut named = Fields {
            referrer_name: Some("Someone Else".into()),
            ..family()
        };
        family_sender_refers(&mut named, &email);
        assert_eq!(named.referrer_name.as_deref(), Some("Someone Else"));
        assert_eq!(named.referrer_phone, None);
        let mut worker = Fields {
            referrer_relationship: Some(crate::model::Relationship::SocialServicesProvider),
            ..family()
        };
        family_sender_refers(&mut worker, &email);
        assert_eq!(worker.referrer_name, None);
    }
}
