//! The generic profile: understanding a label from its words (`config/forms/generic.toml`).
//!
//! A label is read as ROLE + ATTRIBUTE: "Beneficiary Last Name" is the member's last name,
//! "Referring Agency Phone" the referrer's phone, "Emergency Contact Phone" nobody we record.
//! Checkbox captions are matched against programs, referrer relationships and the catalogues
//! (Populations of Focus, Community Supports, CHW needs) by name.

use std::collections::{BTreeMap, HashMap};

use super::target::{Target, TickValue};
use crate::catalog::{Catalog, find_phrase, fold, norm, strip_enumeration};
use crate::diag::{Problems, SourceFile};
use crate::extract::{RawEntry, RawValue};
use crate::memo::Memo;
use crate::model::{FieldKey, Program, Relationship};

/// Whose data a label is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Referrer,
    Other,
}

/// What a label is about, regardless of whose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attr {
    FirstName,
    LastName,
    Name,
    Dob,
    Cin,
    Mrn,
    MrnOrCin,
    Phone,
    Email,
    Address,
    City,
    Zip,
    County,
    Language,
    HealthPlan,
    Npi,
    Organization,
    Relationship,
    ReferralDate,
    Reason,
    EnrolledInEcm,
    Attestation,
    KpMember,
    Populations,
    Supports,
    Needs,
    Units,
    Hours,
    Program,
    Ignore,
}

const ATTRS: &[(&str, Attr)] = &[
    ("first_name", Attr::FirstName),
    ("last_name", Attr::LastName),
    ("name", Attr::Name),
    ("dob", Attr::Dob),
    ("cin", Attr::Cin),
    ("mrn", Attr::Mrn),
    ("mrn_or_cin", Attr::MrnOrCin),
    ("phone", Attr::Phone),
    ("email", Attr::Email),
    ("address", Attr::Address),
    ("city", Attr::City),
    ("zip", Attr::Zip),
    ("county", Attr::County),
    ("language", Attr::Language),
    ("health_plan", Attr::HealthPlan),
    ("npi", Attr::Npi),
    ("organization", Attr::Organization),
    ("relationship", Attr::Relationship),
    ("referral_date", Attr::ReferralDate),
    ("reason", Attr::Reason),
    ("enrolled_in_ecm", Attr::EnrolledInEcm),
    ("attestation", Attr::Attestation),
    ("kp_member", Attr::KpMember),
    ("populations", Attr::Populations),
    ("supports", Attr::Supports),
    ("needs", Attr::Needs),
    ("chw_units", Attr::Units),
    ("chw_hours", Attr::Hours),
    ("program", Attr::Program),
    ("ignore", Attr::Ignore),
];

/// The generic profile's word lists, in canonical form (see [`Vocabulary::canon`]).
#[derive(Debug, Clone)]
pub struct Vocabulary {
    roles: Vec<(String, Role)>,
    /// Words for the worker making the referral (`CHW`, `Promotor/a`) that name the referrer only
    /// in a label that is the word alone or the word and a name, phone or email ("CHW Name",
    /// "Tel promotor"): as a heading or beside other words ("CHW Referral", "CHW Needs") they
    /// name the program.
    workers: Vec<String>,
    /// Words that say which of the workers ("Promotora Lead", "CHW Supervisor"): with a
    /// worker's word they still name the referrer.
    worker_ranks: Vec<String>,
    /// Labels that mean something only as the whole label, by kind (`[whole_labels]`).
    whole: BTreeMap<String, Vec<String>>,
    /// The role phrases that are job titles holding an attribute's word ("service
    /// coordinator"), worked out once from the lists ([`Vocabulary::without_titles`]).
    titles: Vec<String>,
    attrs: Vec<(String, Attr)>,
    /// Abbreviation → the words it stands for (`mbr` → `member`), from `[abbreviations]`.
    abbreviations: HashMap<String, String>,
    /// Every word of every phrase and abbreviation: what a one-token name (`mbrfirst`,
    /// `refdate`) is split into.
    lexicon: std::collections::HashSet<String>,
    /// Results of the pure label functions, by their argument.
    memo: LabelMemo,
}

/// [`Vocabulary`]'s remembered answers (see [`crate::memo`]).
#[derive(Debug, Clone, Default)]
struct LabelMemo {
    canon: Memo<String>,
    head: Memo<Option<(Attr, usize)>>,
    attr: Memo<Option<(Attr, usize)>>,
    role: Memo<Option<(Role, usize)>>,
}

/// The kinds of `[whole_labels]`: labels that mean something only as the whole label.
const WHOLE_LABELS: &[&str] = &["referrer_kind", "referrer_unit", "credentials", "kp_question"];

/// How an entry's label matched, best first: the kind of match ranks before its length, so a
/// role-only guess or a title that merely contains the words never beats a real label.
pub mod score {
    /// A form profile named the field exactly.
    pub const PROFILE: f32 = 10.0;
    /// The whole label (or a hierarchical name's leaf) is an attribute phrase.
    pub const EXACT: f32 = 4.0;
    /// The label contains an attribute phrase; plus how much of the label it covers (0–1).
    pub const CONTAINS: f32 = 2.0;
    /// A person named by role alone ("Referred by").
    pub const ROLE_ONLY: f32 = 1.0;
}

impl Vocabulary {
    pub(super) fn parse(
        src: &SourceFile,
        roles: Option<&toml::Value>,
        attrs: Option<&toml::Value>,
        abbreviations: Option<&toml::Value>,
        whole_labels: Option<&toml::Value>,
        problems: &mut Problems,
    ) -> Option<Vocabulary> {
        let mut ok = true;
        let mut lists = |v: Option<&toml::Value>, what: &str| -> BTreeMap<String, Vec<String>> {
            let parsed = v
                .cloned()
                .map(|v| v.try_into::<BTreeMap<String, Vec<String>>>())
                .transpose()
                .unwrap_or_else(|e| {
                    problems.push(format!(
                        "{}: [{what}] must map names to lists of phrases: {e}",
                        src.name
                    ));
                    ok = false;
                    None
                });
            parsed.unwrap_or_default()
        };
        let raw_roles = lists(roles, "roles");
        let raw_attrs = lists(attrs, "attributes");
        let raw_whole = lists(whole_labels, "whole_labels");
        let raw_abbrev: BTreeMap<String, String> = match abbreviations.cloned().map(|v| v.try_into()) {
            None => BTreeMap::new(),
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                problems.push(format!(
                    "{}: [abbreviations] must map a short word to the words it stands for: {e}",
                    src.name
                ));
                ok = false;
                BTreeMap::new()
            }
        };
        let mut vocab = Vocabulary {
            roles: Vec::new(),
            workers: Vec::new(),
            worker_ranks: Vec::new(),
            whole: BTreeMap::new(),
            titles: Vec::new(),
            attrs: Vec::new(),
            abbreviations: HashMap::new(),
            lexicon: std::collections::HashSet::new(),
            memo: LabelMemo::default(),
        };
        for (short, long) in raw_abbrev {
            let (short, long) = (norm(&short), norm(&long));
            if short.is_empty() || short.contains(' ') || long.is_empty() {
                problems.push(format!(
                    "{}: [abbreviations] `{short}` must be one word standing for one or more words",
                    src.name
                ));
                ok = false;
                continue;
            }
            vocab.abbreviations.insert(short, long);
        }
        let phrase_words = raw_roles
            .values()
            .chain(raw_attrs.values())
            .flatten()
            .flat_map(|p| norm(p).split(' ').map(str::to_string).collect::<Vec<_>>());
        let abbrev_words = vocab
            .abbreviations
            .iter()
            .flat_map(|(s, l)| std::iter::once(s.clone()).chain(l.split(' ').map(str::to_string)));
        let lexicon: std::collections::HashSet<String> = phrase_words
            .chain(abbrev_words)
            .filter(|w| w.len() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
            .collect();
        vocab.lexicon = lexicon;
        for (name, phrases) in raw_roles {
            if name == "worker" || name == "worker_rank" {
                let canon = phrases.iter().map(|p| vocab.canon(p)).collect::<Vec<_>>();
                let words = if name == "worker" {
                    &mut vocab.workers
                } else {
                    &mut vocab.worker_ranks
                };
                words.extend(canon);
                continue;
            }
            let role = match name.as_str() {
                "member" => Role::Member,
                "referrer" => Role::Referrer,
                "other" => Role::Other,
                _ => {
                    problems.push(format!(
                        "{}: [roles] `{name}` is not a role; use member, referrer, other, worker or worker_rank",
                        src.name
                    ));
                    ok = false;
                    continue;
                }
            };
            let canon: Vec<String> = phrases.iter().map(|p| vocab.canon(p)).collect();
            vocab.roles.extend(canon.into_iter().map(|p| (p, role)));
        }
        for (name, phrases) in raw_whole {
            if !WHOLE_LABELS.contains(&name.as_str()) {
                problems.push(format!(
                    "{}: [whole_labels] `{name}` is not known; known: {}",
                    src.name,
                    WHOLE_LABELS.join(", ")
                ));
                ok = false;
                continue;
            }
            let canon: Vec<String> = phrases.iter().map(|p| vocab.canon(p)).collect();
            vocab.whole.insert(name, canon);
        }
        for (name, phrases) in raw_attrs {
            let Some((_, attr)) = ATTRS.iter().find(|(n, _)| *n == name) else {
                problems.push(format!(
                    "{}: [attributes] `{name}` is not known; known: {}",
                    src.name,
                    ATTRS.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
                ));
                ok = false;
                continue;
            };
            let canon: Vec<String> = phrases
                .iter()
                .flat_map(|p| with_dropped_words(vocab.canon(p)))
                .collect();
            vocab.attrs.extend(canon.into_iter().map(|p| (p, *attr)));
        }
        // Longest phrases first, so "date of birth" beats "date" and "medi cal plan" beats "medi cal".
        vocab.attrs.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        // A title is two or more words ending in one that names no attribute ("coordinator"),
        // the whole naming a shorter attribute ("service"); "my name" is no title.
        vocab.titles = vocab
            .roles
            .iter()
            .map(|(p, _)| p)
            .filter(|p| {
                let last = p.rsplit(' ').next().unwrap_or(p);
                p.contains(' ')
                    && vocab.attr(last).is_none()
                    && vocab.attr(p).is_some_and(|(_, len)| len < p.len())
            })
            .cloned()
            .collect();
        // Nothing remembered while the lists were still being built.
        vocab.memo = LabelMemo::default();
        ok.then_some(vocab)
    }

    /// A label in canonical form: normalised words ([`norm`]), abbreviations written out
    /// (`Mbr` → `member`, `Ph` → `phone`, `No.` after an identifier → `number`), then folded
    /// ([`fold`]: singular, little words dropped). Phrases in the vocabulary are kept in the same
    /// form, so "Mbr. Phone No.", "Member's phone number" and "member phone numbers" all read alike.
    pub fn canon(&self, label: &str) -> String {
        self.memo.canon.get_or(label, || self.canon_uncached(label))
    }

    fn canon_uncached(&self, label: &str) -> String {
        let n = norm(&strip_enumeration(&strip_name_order(label)));
        let mut words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
        // A designer's prefix for the kind of control (`txtRefDate`, `rdoKP`, `chkMeals`) says
        // nothing of what it holds.
        const CONTROL_PREFIXES: &[&str] = &["txt", "rdo", "chk", "ddl", "lbl", "fld", "btn", "cmb", "lst"];
        if words.len() >= 2 && words.first().is_some_and(|w| CONTROL_PREFIXES.contains(w)) {
            words.remove(0);
        }
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            let prev = i.checked_sub(1).and_then(|j| words.get(j)).copied();
            // "No." is "number" after a word it can number ("Medi-Cal No.", "Phone No"), never
            // as an answer ("Yes No", "KP member? No").
            if *w == "no" && prev.is_some_and(|p| !["yes", "or", "and", "y", "n"].contains(&p)) {
                out.push("number".into());
                continue;
            }
            let pieces = self.segment(w);
            for piece in pieces
                .iter()
                .map(String::as_str)
                .chain(pieces.is_empty().then_some(*w))
            {
                match self.abbreviations.get(piece) {
                    Some(long) => out.push(long.clone()),
                    None => out.push(piece.to_string()),
                }
            }
        }
        fold(&out.join(" "))
    }

    /// An OCR'd label with its misread words put right (`ZAP` → `zip`, `Ciry` → `city`): each
    /// word of three letters or more that the vocabulary does not know, and that is one letter
    /// away (changed, or for five letters or more dropped or added) from exactly one word it
    /// knows, becomes that word. `None` when nothing changed.
    pub fn respelled(&self, label: &str) -> Option<String> {
        let n = self.canon(label);
        let mut changed = false;
        let words: Vec<String> = n
            .split(' ')
            .map(|w| {
                if w.len() < 3 || !w.chars().all(|c| c.is_ascii_lowercase()) || self.lexicon.contains(w) {
                    return w.to_string();
                }
                let mut found = self.lexicon.iter().filter(|k| one_letter_apart(w, k));
                match (found.next(), found.next()) {
                    (Some(k), None) => {
                        changed = true;
                        k.clone()
                    }
                    _ => w.to_string(),
                }
            })
            .collect();
        changed.then(|| words.join(" "))
    }

    /// A word written as one token from known words (`mbrfirst` → `mbr first`, `refdate` →
    /// `ref date`, `dateofbirth`): the split into the fewest known words, each of two letters or
    /// more. Empty when the word is known itself or does not split.
    fn segment(&self, w: &str) -> Vec<String> {
        const MAX_PIECES: usize = 4;
        if w.len() < 5 || w.len() > 40 || !w.is_ascii() || self.lexicon.contains(w) {
            return Vec::new();
        }
        // best[i]: the fewest pieces that spell w[..i], with where the last piece starts.
        let n = w.len();
        let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
        if let Some(b) = best.get_mut(0) {
            *b = Some((0, 0));
        }
        for end in 2..=n {
            for start in 0..=end.saturating_sub(2) {
                let Some(Some((count, _))) = best.get(start).copied() else {
                    continue;
                };
                let Some(piece) = w.get(start..end) else {
                    continue;
                };
                if count < MAX_PIECES
                    && self.lexicon.contains(piece)
                    && best
                        .get(end)
                        .copied()
                        .flatten()
                        .is_none_or(|(c, _)| count + 1 < c)
                    && let Some(b) = best.get_mut(end)
                {
                    *b = Some((count + 1, start));
                }
            }
        }
        let mut pieces = Vec::new();
        let mut end = n;
        while end > 0 {
            let Some(Some((_, start))) = best.get(end).copied() else {
                return Vec::new();
            };
            pieces.push(w.get(start..end).unwrap_or_default().to_string());
            end = start;
        }
        pieces.reverse();
        if pieces.len() < 2 { Vec::new() } else { pieces }
    }

    /// The target for an entry, trying its name, then its second name (tooltip / caption), with
    /// how well the label matched ([`score`]).
    ///
    /// `context` is the role the record's recent labels named ("Referred by" makes the
    /// "Phone" after it the referrer's); a label's own words and its section heading come first.
    pub fn target_for(
        &self,
        entry: &RawEntry,
        catalog: &Catalog,
        context: Option<Role>,
    ) -> Option<(Target, f32)> {
        // A numbered sentence ("1. One row per member.") is an instruction, not a label.
        if is_instruction(&entry.name) {
            return None;
        }
        // A form designer's default name ("DateTimeField2", "TextField1[0]", "Check Box12")
        // says what kind of box it is, not what it holds: the tooltip speaks for it.
        let named = Some(entry.name.as_str()).filter(|n| entry.alt.is_none() || !designer_default(n));
        let labels = || named.into_iter().chain(entry.alt.as_deref());
        // A tick's caption may be in either name (`ECM_POF_1` with the tooltip "Homeless"), so
        // captions are tried on both before either is read as a label; a hierarchical name's
        // leaf (`cs.housing_deposits`) before the whole path.
        // A radio group's tooltip asking a yes/no question, answered by the group's export value
        // ("Currently enrolled in ECM?" = `N`; a tooltip taken from the first option's caption
        // may carry it: "Currently enrolled in ECM? Yes"): the question is the label, whatever
        // the group's name says (`chw.ecm` is no program tick).
        if let RawValue::Text(answer) = &entry.value
            && crate::extract::is_yes_no(answer)
            && let Some(q) = entry.alt.as_deref().and_then(asked_question)
            && let Some(t) = self.target_for_label(q, entry, context, None)
        {
            return Some(t);
        }
        if is_tickish(&entry.value) {
            let section = entry.section.as_deref().map(norm).unwrap_or_default();
            // A box the page shows answering a question ("Member currently enrolled in ECM?
            // [X] No") answers that question, whatever its name says ("ECM No").
            let asked = entry.alt.as_deref().filter(|a| a.contains('?'));
            let captions = || asked.into_iter().chain(labels()).flat_map(leaf_then_whole);
            if let Some(t) = captions().find_map(|l| self.answer_box(&l, entry, &section, catalog, context)) {
                return Some((t, score::EXACT));
            }
            // "Client consent on file: ☒ Yes ☐ No" read as boxes captioned "Yes" and "No" under
            // the question: each answers the question its heading asks.
            let answer = norm(&entry.name);
            if !section.is_empty()
                && matches!(answer.as_str(), "yes" | "no")
                && let Some(t) = self.answer_box(&format!("{section} {answer}"), entry, "", catalog, context)
            {
                return Some((t, score::EXACT));
            }
            // The whole name and the heading say which list a short caption is on ("POF_BH" is
            // a population, "Need: BH" a CHW need).
            let context = format!("{section} {}", labels().map(norm).collect::<Vec<_>>().join(" "));
            // A caption that is a program or a kind of referrer whole, in either name, before a
            // list item one name's words contain ("RefTypeSocialServices" with the tooltip
            // "Social services provider" is the kind of referrer, not the CHW need "social").
            if let Some(t) = captions().find_map(|l| kind_caption(&l, &section, &context)) {
                return Some((t, score::EXACT));
            }
            // Of the list items the names give, the one named at greatest length: "CB_BH" with
            // the tooltip "Serious mental health and/or substance use needs" is the population
            // the tooltip spells out, not the need "BH" may also be.
            let mut best: Option<(Target, usize)> = None;
            for l in captions() {
                let n = norm(&strip_enumeration(without_write_in(&l)));
                if let Some((t, len)) = catalog_caption_scored(&n, &context, catalog)
                    && best.as_ref().is_none_or(|(_, b)| len > *b)
                {
                    best = Some((t, len));
                }
            }
            if let Some((t, _)) = best {
                return Some((t, score::EXACT));
            }
        }
        labels()
            .find_map(|label| self.target_for_name(label, entry, context))
            .or_else(|| {
                labels().find_map(|label| {
                    let leaf = path_segments(label).and_then(|p| p.last().cloned());
                    self.person_for_label(leaf.as_deref().unwrap_or(label), entry)
                })
            })
            .or_else(|| self.target_with_heading(entry, context))
            .or_else(|| amount_of_time(entry))
    }

    /// A short label that names nothing alone, read with its short heading as one phrase:
    /// "Requested" under "2. Service" is the service requested. Tried last, and never as an
    /// exact match.
    fn target_with_heading(&self, entry: &RawEntry, context: Option<Role>) -> Option<(Target, f32)> {
        let heading = entry.section.as_deref()?.trim();
        let heading = crate::extract::numbered_item(heading).unwrap_or(heading);
        let short = |t: &str| (1..=3).contains(&t.split_whitespace().count());
        // A word, not a tick mark ("[ ]" beside its caption).
        let worded = entry.name.chars().filter(|c| c.is_alphabetic()).count() >= 2;
        if !worded || !short(heading) || !short(&entry.name) || heading.eq_ignore_ascii_case(&entry.name) {
            return None;
        }
        self.target_for_label(&format!("{heading} {}", entry.name), entry, context, None)
            .map(|(t, sc)| (t, sc.min(score::CONTAINS)))
    }

    /// A name that may be a hierarchical AcroForm path (`member.address.city`,
    /// `topmostSubform[0].Referrer[0].Phone[0]`): the leaf names the attribute and the parents
    /// name the role, so every child of an address group is not read as the street. When the
    /// leaf names nothing (`member.address.line1`), the nearest parent that does gives it.
    fn target_for_name(&self, label: &str, entry: &RawEntry, context: Option<Role>) -> Option<(Target, f32)> {
        let Some(segments) = path_segments(label) else {
            return self.target_for_label(label, entry, context, None);
        };
        let (leaf, parents) = segments.split_last()?;
        let parent_role = parents.iter().rev().find_map(|p| self.role(&self.canon(p)));
        // The leaf with its parent (`name.given`: "name given"): first when the two make one
        // phrase of the vocabulary (`plan.name`: "plan name" is the health plan, not a person's
        // name), else after the leaf alone and before the parent alone.
        // Either order: `phone.home` is "home phone" as `name.given` is "name given".
        let with_parent = || {
            let parent = parents.last()?;
            let joined = self.target_for_label(&format!("{parent} {leaf}"), entry, context, parent_role);
            let reversed = || self.target_for_label(&format!("{leaf} {parent}"), entry, context, parent_role);
            match joined {
                Some((_, sc)) if sc >= score::EXACT => joined,
                _ => reversed().filter(|(_, sc)| *sc >= score::EXACT).or(joined),
            }
        };
        with_parent()
            .filter(|(_, sc)| *sc >= score::EXACT)
            .or_else(|| self.target_for_label(leaf, entry, context, parent_role))
            .or_else(with_parent)
            .or_else(|| {
                parents.iter().rev().find_map(|p| {
                    self.target_for_label(p, entry, context, parent_role)
                        .map(|(t, sc)| (t, sc.min(score::CONTAINS + 0.5)))
                })
            })
            // The path read as one phrase (`ecm.enrolled`: "ECM enrolled").
            .or_else(|| {
                self.target_for_label(&segments.join(" "), entry, context, parent_role)
                    .map(|(t, sc)| (t, sc.min(score::CONTAINS + 0.5)))
            })
    }

    /// One box of a Yes/No pair per item ("Sobering Centers - Yes" / "Sobering Centers - No",
    /// "KP member: No"): the item with its answer. A ticked "Yes" box means the item; a ticked
    /// "No" box means the item is NOT wanted, so it must not read as the item's caption, and for
    /// a yes/no question it answers `false`.
    fn answer_box(
        &self,
        label: &str,
        entry: &RawEntry,
        section: &str,
        catalog: &Catalog,
        context: Option<Role>,
    ) -> Option<Target> {
        let n = norm(&strip_enumeration(label));
        let (item, answer) = n.rsplit_once(' ')?;
        let yes = match answer {
            "yes" => true,
            "no" => false,
            _ => return None,
        };
        // "Homeless (Yes/No)" is a question header offering both answers, not one answer's box.
        // "Consent obtained? 1 = Yes, 2 = No" is a code key for the answer, not a "No" box.
        if item.ends_with(" yes") || item.ends_with(" no") || item.split(' ').any(|w| w == "yes") {
            return None;
        }
        if let Some(t) = caption_target(item, section, section, catalog) {
            return Some(if yes { t } else { Target::Ignore });
        }
        let question = RawEntry {
            name: item.to_string(),
            alt: None,
            section: entry.section.clone(),
            value: RawValue::Text(String::new()),
            confidence: None,
        };
        match self.target_for_label(item, &question, context, None)?.0 {
            Target::Field(k @ (FieldKey::KpMember | FieldKey::EnrolledInEcm | FieldKey::Attestation)) => {
                Some(Target::Tick(TickValue::Bool(k, yes)))
            }
            _ => None,
        }
    }

    /// A person named by role alone: "Referring Worker", "Referred by", "Requestor" for the
    /// referrer; "Patient", "Client" for the member. A guess, so it scores low.
    fn person_for_label(&self, label: &str, entry: &RawEntry) -> Option<(Target, f32)> {
        let n = self.canon(label);
        if n.is_empty() || is_prose(label) || self.attr(&n).is_some() || n.split(' ').count() > 4 {
            return None;
        }
        // "Requester is: Social services provider" says what the referrer is, not who.
        let says_relationship = matches!(&entry.value, RawValue::Text(t)
            if relationship_caption(&norm(t), "relationship").is_some());
        match self.own_role(label, &n)?.0 {
            Role::Referrer if says_relationship => {
                Some((Target::Field(FieldKey::ReferrerRelationship), score::CONTAINS))
            }
            Role::Referrer => Some((Target::Field(FieldKey::ReferrerName), score::ROLE_ONLY)),
            Role::Member if !is_tickish(&entry.value) => Some((Target::MemberName, score::ROLE_ONLY)),
            _ => None,
        }
    }

    /// The role an entry's own words name (not its section), for carrying to the next labels.
    pub fn label_role(&self, entry: &RawEntry) -> Option<Role> {
        std::iter::once(entry.name.as_str())
            .chain(entry.alt.as_deref())
            .find_map(|l| match path_segments(l) {
                Some(segs) => segs.iter().rev().find_map(|s| self.role(&self.canon(s))),
                None => self.own_role(l, &self.canon(l)).map(|(r, _)| r),
            })
    }

    /// Whether the role an entry's label names carries to the labels after it: not when only
    /// its brackets name it ("Alt phone (case mgr)" is the case manager's phone, and the
    /// "Address" after it is still the client's).
    pub fn role_carries(&self, entry: &RawEntry) -> bool {
        let only_in_brackets = |l: &str| {
            if !l.contains('(') || path_segments(l).is_some() {
                return false;
            }
            let (outside, inside) = crate::normalize::split_parenthesised(l);
            self.role(&self.canon(&outside)).is_none() && self.role(&self.canon(&inside)).is_some()
        };
        !std::iter::once(entry.name.as_str())
            .chain(entry.alt.as_deref())
            .any(only_in_brackets)
    }

    /// The role a label's own words name (`n` is its canonical form), with the length of its
    /// longest role phrase. A role said alone in parentheses says which party the label is about
    /// and outranks the words outside: "Caregiver (referrer)" is the referrer, who is a
    /// caregiver. Only a bare role counts: "(if not the member)" says nothing of the kind.
    fn own_role(&self, label: &str, n: &str) -> Option<(Role, usize)> {
        let whole = self.role_and_len(n).or_else(|| self.worker_role(n));
        let inside = crate::normalize::split_parenthesised(label).1;
        let named = self.canon(&inside);
        match self.role_and_len(&named) {
            Some((r, len)) if len == named.len() => Some((r, whole.map_or(len, |(_, l)| l.max(len)))),
            _ => whole,
        }
    }

    /// The referrer, for a label that is a worker's word alone or with a name, phone or email
    /// ("CHW Phone", "Promotor/a"); see [`Vocabulary::workers`].
    fn worker_role(&self, n: &str) -> Option<(Role, usize)> {
        self.workers.iter().find_map(|w| {
            let rest = without_phrase(n, w)?;
            let person = rest.is_empty()
                || self.worker_ranks.contains(&rest)
                || self.attr(&rest).is_some_and(|(a, len)| {
                    len == rest.len()
                        && matches!(
                            a,
                            Attr::Name | Attr::FirstName | Attr::LastName | Attr::Phone | Attr::Email
                        )
                });
            person.then_some((Role::Referrer, w.len()))
        })
    }

    /// The label without the job titles among the role phrases (two or more words, the last
    /// naming no attribute) that contain a shorter attribute phrase ("service coordinator" holds
    /// "service"), when it has one; `None` when it has none.
    fn without_titles(&self, n: &str) -> Option<String> {
        let mut rest: Option<String> = None;
        for p in &self.titles {
            if let Some(cut) = without_phrase(rest.as_deref().unwrap_or(n), p) {
                rest = Some(cut);
            }
        }
        rest
    }

    /// Whether a canonical label is one of the `[whole_labels]` of `kind`.
    fn is_whole(&self, kind: &str, n: &str) -> bool {
        self.whole.get(kind).is_some_and(|l| l.iter().any(|p| p == n))
    }

    /// The role a section heading names.
    pub fn section_role(&self, entry: &RawEntry) -> Option<Role> {
        entry
            .section
            .as_deref()
            .map(|s| self.canon(s))
            .filter(|c| !names_the_form(c) && !names_an_institution(c))
            .and_then(|c| self.role(&c))
    }

    /// `hint` is the role a hierarchical name's parents give; it ranks after the label's own
    /// words and before the section heading.
    fn target_for_label(
        &self,
        label: &str,
        entry: &RawEntry,
        context: Option<Role>,
        hint: Option<Role>,
    ) -> Option<(Target, f32)> {
        let n = self.canon(label);
        if n.is_empty() {
            return None;
        }
        let own = self.own_role(label, &n);
        // A label naming the referrer inside a member's section ("Referrer: …" then
        // "Organization", "Phone" under MEMBER) speaks for the labels after it, over the section.
        let role = own
            .map(|(r, _)| r)
            .or(hint)
            .or(context.filter(|r| *r == Role::Referrer))
            // Nor does a heading naming the referrer ("CENTRAL CITY HOUSING NAVIGATORS" atop the
            // page) take the member's labels after "Member last name" from them.
            .or(context.filter(|r| *r == Role::Member))
            .or_else(|| self.section_role(entry))
            .or(context)
            .unwrap_or(Role::Member);
        // A question that lists the kinds of referrer ("Are you a medical provider, social
        // services provider, or family member?") asks for the relationship.
        if lists_relationships(&n) {
            return Some((Target::Field(FieldKey::ReferrerRelationship), score::EXACT));
        }
        // "Type" or "Role" alone under the referrer's heading says what kind of referrer they are.
        if role == Role::Referrer && self.is_whole("referrer_kind", &n) {
            return Some((Target::Field(FieldKey::ReferrerRelationship), score::EXACT));
        }
        // The plan's name alone as a yes/no question ("Kaiser? (Y/N)", `es_kp`) asks whether the
        // member is KP's.
        let plan_only = crate::normalize::split_parenthesised(label).0;
        if self.is_whole("kp_question", &self.canon(&plan_only)) && yes_no_answer(&entry.value) {
            return Some((Target::Field(FieldKey::KpMember), score::EXACT));
        }
        // "Unit" or "Division" alone there is where they work, when no label names their
        // organisation ("Unit: 4 West" under "Almaden Valley Medical Center"); a member's "Unit"
        // is part of an address.
        if role == Role::Referrer && self.is_whole("referrer_unit", &n) {
            return Some((Target::Field(FieldKey::ReferrerOrganization), score::ROLE_ONLY));
        }
        // A clinician's credentials ("MD", "LCSW") tell the kind of referrer, as a last resort.
        if self.is_whole("credentials", &n) {
            let known =
                matches!(&entry.value, RawValue::Text(t) if super::values::parse_relationship(t).is_some());
            return known.then_some((Target::Field(FieldKey::ReferrerRelationship), score::ROLE_ONLY));
        }
        // A job title whose words include an attribute's ("Service coordinator", "Agency
        // contact") names the person: the attribute is looked for in the rest of the label.
        let untitled = self.without_titles(&n);
        let (attr, phrase_len) = match &untitled {
            Some(rest) if rest.is_empty() => {
                return match role {
                    Role::Referrer => Some((Target::Field(FieldKey::ReferrerName), score::ROLE_ONLY)),
                    Role::Member if !is_tickish(&entry.value) => Some((Target::MemberName, score::ROLE_ONLY)),
                    _ => None,
                };
            }
            Some(rest) => self.label_attr(rest, rest)?,
            None => self.label_attr(label, &n)?,
        };
        // "Contact" answered with a person's name, no number in it, is the person.
        let attr = if attr == Attr::Phone && reads_as_a_name(&entry.value) {
            Attr::Name
        } else {
            attr
        };
        // An organisation's phone or email ("Clinic Phone", "Agency email") with no party
        // named: the referring organisation's — a member is no clinic. Not a phone only
        // qualified so ("Phone (facility)": a nursing home's resident is reached there).
        let role = if own.is_none()
            && hint.is_none()
            && matches!(attr, Attr::Phone | Attr::Email)
            && self.names_attr(
                &self.canon(&crate::normalize::split_parenthesised(label).0),
                Attr::Organization,
            )
            && self.section_role(entry).is_none_or(|r| r == Role::Referrer)
        {
            Role::Referrer
        } else {
            role
        };
        // A role the label's own words do not name (carried from the labels before, or a
        // referrer's section) does not make a birth date or a Medi-Cal number someone else's: on
        // a referral only the member has them ("Your name" at the foot of one column, "Date of
        // birth" atop the next). Another party's section (an emergency contact's) still does.
        let role = if own.is_none()
            && hint.is_none()
            && matches!(attr, Attr::Dob | Attr::Cin | Attr::Mrn | Attr::MrnOrCin)
            && self.section_role(entry) != Some(Role::Other)
        {
            Role::Member
        } else {
            role
        };
        // Instructions are sentences, not labels — but a box's caption may be a sentence ("I
        // attest that the member consented to this referral ...").
        if is_prose(label)
            && !(is_tickish(&entry.value)
                && matches!(attr, Attr::Attestation | Attr::KpMember | Attr::EnrolledInEcm))
        {
            return None;
        }
        // The label's own role words explain it too: "Member Name" is all role and attribute,
        // "CHW Name" only half, so the member's column wins when both read as a name.
        let explained = match own {
            Some((_, role_len)) => phrase_len + 1 + role_len,
            None => phrase_len,
        };
        // Words in parentheses qualify the label: "Cell (best #)" is as exact as "Cell".
        let outside = || {
            let main = crate::normalize::split_parenthesised(label).0;
            main.len() < label.len() && self.canon(&main).len() == phrase_len
        };
        let quality = if phrase_len == n.len() || outside() {
            score::EXACT
        } else {
            score::CONTAINS + (explained as f32 / n.len().max(1) as f32).min(1.0)
        };
        // Of two phones, the one the writer marks best ("Cell (best #)", "Preferred phone").
        let quality = if attr == Attr::Phone
            && ["best", "preferred", "primary"]
                .iter()
                .any(|w| n.split(' ').any(|x| x == *w))
        {
            quality + 0.25
        } else {
            quality
        };
        // A bare number under a Population of Focus column ("POF: 1") is the population; a
        // tick beside a numbered box (`ECM_POF_3`, "POF 3") ticks that one.
        let numbered_value = matches!(&entry.value, RawValue::Text(t) if t.trim().parse::<u8>().is_ok_and(|d| (1..=9).contains(&d)));
        if attr == Attr::Populations && is_tickish(&entry.value) {
            let numbered_box = n
                .rsplit(' ')
                .next()
                .and_then(|d| d.parse::<u8>().ok())
                .filter(|d| (1..=9).contains(d));
            match numbered_box {
                Some(d) => return Some((Target::Tick(TickValue::Population(d)), score::EXACT)),
                None if !numbered_value => return None,
                None => {}
            }
        }
        // One box for several parts of the member's address: "City / ZIP", "City, State, ZIP".
        let names = |a: Attr| self.names_attr(&n, a);
        let address_parts = (role == Role::Member
            && matches!(attr, Attr::City | Attr::Zip | Attr::Address)
            && !entry.value.is_blank())
        .then(|| (names(Attr::Address), names(Attr::City), names(Attr::Zip)));
        // A parent's, guardian's or caregiver's phone or email is how a child (or a member
        // cared for) is reached: the member's, unless the form gives the member's own (so it
        // ranks as a guess).
        let padded = format!(" {n} ");
        let names =
            |words: &[&str]| role == Role::Other && words.iter().any(|w| find_phrase(&padded, w).is_some());
        let guardian =
            names(&["parent", "guardian", "caregiver"]) && matches!(attr, Attr::Phone | Attr::Email);
        // A parent's or guardian's consent is the member's when the member is a child.
        let guardian_consents =
            attr == Attr::Attestation && names(&["parent", "guardian", "representative", "caregiver"]);
        if guardian_consents {
            return Some((Target::Field(FieldKey::Attestation), score::CONTAINS));
        }
        if guardian {
            let key = if attr == Attr::Phone {
                FieldKey::MemberPhone
            } else {
                FieldKey::MemberEmail
            };
            return Some((Target::Field(key), score::ROLE_ONLY));
        }
        let target = match (role, attr) {
            _ if matches!(address_parts, Some((false, true, true))) => Target::MemberCityZip,
            _ if matches!(address_parts, Some((true, true, _)) | Some((true, _, true))) => {
                Target::MemberAddressLine
            }
            (_, Attr::Ignore) | (Role::Other, _) => Target::Ignore,
            (_, Attr::ReferralDate) => Target::Field(FieldKey::ReferralDate),
            (_, Attr::Reason) => Target::Field(FieldKey::Reason),
            (_, Attr::EnrolledInEcm) => Target::Field(FieldKey::EnrolledInEcm),
            (_, Attr::Attestation) => Target::Field(FieldKey::Attestation),
            (_, Attr::KpMember) => Target::Field(FieldKey::KpMember),
            (_, Attr::Populations) => Target::Field(FieldKey::EcmPopulations),
            (_, Attr::Supports) => Target::Field(FieldKey::CsServices),
            (_, Attr::Needs) => Target::Field(FieldKey::ChwNeeds),
            (_, Attr::Units) => Target::Field(FieldKey::ChwUnits),
            (_, Attr::Hours) => Target::ChwHours,
            // "Program: Example Behavioral Health" under a clinician is the referrer's program,
            // i.e. their organisation, when the text names none of ours.
            (Role::Referrer, Attr::Program) if names_no_program(&entry.value) => {
                Target::Field(FieldKey::ReferrerOrganization)
            }
            (_, Attr::Program) => Target::Program,
            (_, Attr::Npi) => Target::Field(FieldKey::ReferrerNpi),
            (_, Attr::Organization) => Target::Field(FieldKey::ReferrerOrganization),
            (_, Attr::Relationship) => Target::Field(FieldKey::ReferrerRelationship),
            (_, Attr::HealthPlan) => Target::Field(FieldKey::HealthPlan),
            (Role::Referrer, Attr::Name) => Target::Field(FieldKey::ReferrerName),
            (Role::Referrer, Attr::FirstName) => Target::ReferrerFirstName,
            (Role::Referrer, Attr::LastName) => Target::ReferrerLastName,
            (Role::Referrer, Attr::Phone) => Target::Field(FieldKey::ReferrerPhone),
            (Role::Referrer, Attr::Email) => Target::Field(FieldKey::ReferrerEmail),
            // A referrer's own address, date of birth or IDs are not recorded.
            (Role::Referrer, _) => Target::Ignore,
            (Role::Member, Attr::Name) => Target::MemberName,
            (Role::Member, Attr::FirstName) => Target::Field(FieldKey::MemberFirstName),
            (Role::Member, Attr::LastName) => Target::Field(FieldKey::MemberLastName),
            (Role::Member, Attr::Dob) => Target::Field(FieldKey::MemberDob),
            (Role::Member, Attr::Cin) => Target::Field(FieldKey::MemberCin),
            (Role::Member, Attr::Mrn) => Target::Field(FieldKey::MemberMrn),
            (Role::Member, Attr::MrnOrCin) => Target::MrnOrCin,
            (Role::Member, Attr::Phone) => Target::Field(FieldKey::MemberPhone),
            (Role::Member, Attr::Email) => Target::Field(FieldKey::MemberEmail),
            (Role::Member, Attr::Address) => Target::MemberAddressLine,
            (Role::Member, Attr::City) => Target::Field(FieldKey::MemberCity),
            (Role::Member, Attr::Zip) => Target::Field(FieldKey::MemberZip),
            (Role::Member, Attr::County) => Target::Field(FieldKey::MemberCounty),
            (Role::Member, Attr::Language) => Target::Field(FieldKey::MemberLanguage),
        };
        Some((target, quality))
    }

    /// What a label is about, with the length of the phrase that says so.
    ///
    /// The head of an English label is its last noun: "Residence City" is a city, "Agency
    /// Phone" a phone, "Date of Birth" a birth date. So the phrase that ends last wins (the longer
    /// one among those ending together) — except a bare "name" after an organisation word
    /// ("Facility Name" is the organisation). Words in parentheses only explain ("Address
    /// (street, city, ZIP)"), unless a phrase reads across them ("MRN (or Medi-Cal CIN if MRN is
    /// unknown)"). In "X for Y" the label is about X ("Reason for CHW services").
    fn label_attr(&self, label: &str, n: &str) -> Option<(Attr, usize)> {
        let across = self.attr(n);
        let main = crate::normalize::split_parenthesised(label).0;
        // Alternatives ("Phone / Fax"): the first is the field the value leads with, when the
        // last names one we do not read.
        if let Some((first, _)) = main.split_once('/')
            && self.head_attr(n).is_some_and(|(a, _)| a == Attr::Ignore)
            && let Some(a) = self
                .head_attr(&self.canon(first))
                .filter(|(a, _)| *a != Attr::Ignore)
        {
            return Some(a);
        }
        let head = if main.len() == label.len() {
            n.to_string()
        } else {
            self.canon(&main)
        };
        let head = head
            .split_once(" for ")
            .map(|(h, _)| h.to_string())
            .filter(|h| self.attr(h).is_some())
            .unwrap_or(head);
        // "X of Y", "X to Y" are about X ("Hours of CHW services requested" are hours, "Member
        // consent to CHW services" a consent) unless a phrase reads across the preposition
        // ("Date of Birth", "County of Residence", "Relationship to member").
        // Each preposition in turn: "Number of hours of CHW services requested" is about
        // "number of hours" when "number" alone names nothing.
        let normed_main = norm(&main);
        let mut splits: Vec<usize> = [" of ", " to "]
            .iter()
            .flat_map(|p| normed_main.match_indices(p).map(|(i, _)| i))
            .collect();
        splits.sort_unstable();
        for before in splits.into_iter().filter_map(|i| normed_main.get(..i)) {
            let before = self.canon(before);
            let crosses = |(a, len): (Attr, usize)| {
                let p = self.phrase_of(a, len, &head);
                format!(" {head} ")
                    .find(&format!(" {p} "))
                    .is_some_and(|i| i < before.len() && i + p.len() > before.len())
            };
            if let Some(x) = self.head_attr(&before) {
                if !self.head_attr(&head).is_some_and(crosses) && !self.attr(&head).is_some_and(crosses) {
                    return Some(x);
                }
                break;
            }
        }
        // What the parentheses say alone qualifies the label ("Phone (facility)" is a phone,
        // the facility's) and cannot name another attribute — except which part of a name it is
        // ("Name (First)").
        let inside = format!(
            " {} ",
            self.canon(&crate::normalize::split_parenthesised(label).1)
        );
        match (self.head_attr(&head), across) {
            // A longer phrase that needs the words in parentheses reads across them.
            (Some((a, len)), Some((b, full_len)))
                if full_len > len
                    && find_phrase(&format!(" {head} "), &self.phrase_of(b, full_len, n)).is_none()
                    && (a == Attr::Name
                        || find_phrase(&inside, &self.phrase_of(b, full_len, n)).is_none()) =>
            {
                Some((b, full_len))
            }
            (Some(h), _) => Some(h),
            (None, other) => other,
        }
    }

    /// The phrase of `attr` with `len` bytes that `attr()` found in `n`.
    fn phrase_of(&self, attr: Attr, len: usize, n: &str) -> String {
        let padded = format!(" {n} ");
        self.attrs
            .iter()
            .find(|(p, a)| *a == attr && p.len() == len && find_phrase(&padded, p).is_some())
            .map(|(p, _)| p.clone())
            .unwrap_or_default()
    }

    /// The attribute phrase that ends last in a canonical label (the longest among those ending
    /// together), with a bare "name" giving way to what it names.
    fn head_attr(&self, n: &str) -> Option<(Attr, usize)> {
        self.memo.head.get_or(n, || self.head_attr_uncached(n))
    }

    fn head_attr_uncached(&self, n: &str) -> Option<(Attr, usize)> {
        let padded = format!(" {n} ");
        let mut found: Vec<(usize, usize, Attr)> = self
            .attrs
            .iter()
            .filter_map(|(p, a)| find_phrase(&padded, p).map(|i| (i + p.len(), p.len(), *a)))
            .collect();
        // Latest end first, then longest.
        found.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)));
        let first = *found.first()?;
        if first.2 == Attr::Name
            && let Some(other) = found
                .iter()
                .filter(|f| matches!(f.2, Attr::Organization | Attr::HealthPlan | Attr::Program))
                .max_by_key(|f| f.1)
        {
            return Some((other.2, other.1 + first.1));
        }
        Some((first.2, first.1))
    }

    /// Whether any phrase of `attr` stands in the canonical label.
    fn names_attr(&self, n: &str, attr: Attr) -> bool {
        let padded = format!(" {n} ");
        self.attrs
            .iter()
            .any(|(p, a)| *a == attr && find_phrase(&padded, p).is_some())
    }

    /// The longest attribute phrase in a canonical label, with its length. In "X for Y" the label
    /// is about X ("Reason for CHW services", "Phone number for call-backs"), so the words before
    /// "for" are tried first.
    fn attr(&self, n: &str) -> Option<(Attr, usize)> {
        self.memo.attr.get_or(n, || self.attr_uncached(n))
    }

    fn attr_uncached(&self, n: &str) -> Option<(Attr, usize)> {
        let longest = |text: &str| {
            let padded = format!(" {text} ");
            self.attrs
                .iter()
                .find(|(p, _)| find_phrase(&padded, p).is_some())
                .map(|(p, a)| (*a, p.len()))
        };
        n.split_once(" for ")
            .and_then(|(head, _)| longest(head))
            .or_else(|| longest(n))
    }

    /// The role a canonical label's words give: someone else's data wins, then the earliest role
    /// phrase.
    fn role(&self, n: &str) -> Option<Role> {
        self.role_and_len(n).map(|(r, _)| r)
    }

    /// [`Self::role`], with the length of the longest role phrase in the label (how much of it
    /// the role words explain).
    fn role_and_len(&self, n: &str) -> Option<(Role, usize)> {
        if n.is_empty() {
            return None;
        }
        self.memo.role.get_or(n, || self.role_uncached(n))
    }

    fn role_uncached(&self, n: &str) -> Option<(Role, usize)> {
        // A program's name is not a role: "Community Health Worker Services Request" names no
        // referrer.
        let padded = format!(" {n} ").replace(" community health worker ", " ");
        let mut found: Vec<(usize, Role, usize)> = self
            .roles
            .iter()
            .filter_map(|(p, r)| find_phrase(&padded, p).map(|i| (i, *r, p.len())))
            .collect();
        let longest = found.iter().map(|(_, _, len)| *len).max().unwrap_or(0);
        // "Caregiver / referrer", "Parent or referring person": a relative who says they are the
        // one referring is the referrer. Any other role word ("Emergency contact", "Referrer
        // signature") still makes the label someone else's.
        let relative_referring = found.iter().any(|(_, r, _)| *r == Role::Referrer)
            && found.iter().all(|(i, r, len)| {
                *r != Role::Other
                    || padded
                        .get(i + 1..i + 1 + len)
                        .is_some_and(|p| super::values::RELATIVES.contains(&p))
            });
        if relative_referring {
            return Some((Role::Referrer, longest));
        }
        if found.iter().any(|(_, r, _)| *r == Role::Other) {
            return Some((Role::Other, longest));
        }
        found.sort_by_key(|(i, _, _)| *i);
        found.first().map(|(_, r, _)| (*r, longest))
    }
}

/// A phrase, and the same phrase without the prepositions a writer drops between its words
/// ("currently enrolled in ecm" also as "currently enrolled ecm", for `CurrentlyEnrolledECM`).
fn with_dropped_words(phrase: String) -> Vec<String> {
    const DROPPED: &[&str] = &["in", "to", "with", "on", "at", "for"];
    let words: Vec<&str> = phrase.split(' ').collect();
    let kept: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, w)| !(DROPPED.contains(w) && *i > 0 && i + 1 < words.len()))
        .map(|(_, w)| *w)
        .collect();
    if kept.len() == words.len() || kept.len() < 2 {
        vec![phrase]
    } else {
        let short = kept.join(" ");
        vec![phrase, short]
    }
}

/// The segments of a hierarchical field name (`member.address.city`,
/// `topmostSubform[0].Page1[0].MemberName[0]`), without array indexes; `None` for a plain label.
/// A dotted initialism (`D.O.B.`) or a label ending in a full stop (`Medi-Cal No.`) is not a path.
pub(super) fn path_segments(name: &str) -> Option<Vec<String>> {
    if !name.contains('.') || name.contains(". ") {
        return None;
    }
    let segs: Vec<String> = name
        .split('.')
        .map(|s| {
            let s = s.trim();
            match s.find('[') {
                Some(i) if s.ends_with(']') => s.get(..i).unwrap_or(s).to_string(),
                _ => s.to_string(),
            }
        })
        .collect();
    if segs.len() < 2 || segs.iter().any(|s| s.is_empty()) || segs.iter().all(|s| s.chars().count() == 1) {
        return None;
    }
    Some(segs)
}

/// Whether a field name is a form designer's default for its kind of box (`Text7`,
/// `TextField1[0]`, `DateTimeField2`, `Check Box12`, `form1[0].#subform[0].NumericField3[0]`).
pub(super) fn designer_default(name: &str) -> bool {
    static DEFAULT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^(?:text|text ?field|date ?time ?field|date ?field|numeric ?field|check ?box|radio ?button(?: ?list)?|drop ?down ?list|list ?box|combo ?box|field|fill(?: ?text)?|undefined)[ _]*\d*(?:\[\d+\])?$",
        )
        .expect("static regex")
    });
    let leaf = path_segments(name)
        .and_then(|p| p.last().cloned())
        .unwrap_or_else(|| name.to_string());
    DEFAULT.is_match(leaf.trim())
}

/// A hierarchical name's leaf, then the whole name; a plain label alone.
fn leaf_then_whole(label: &str) -> Vec<String> {
    match path_segments(label).and_then(|p| p.last().cloned()) {
        Some(leaf) => vec![leaf, label.to_string()],
        None => vec![label.to_string()],
    }
}

/// A tooltip that asks a question, up to its `?`, when nothing or only an option's yes/no
/// caption follows it.
fn asked_question(alt: &str) -> Option<&str> {
    let at = alt.rfind('?')?;
    let rest = alt.get(at + 1..)?.trim();
    (rest.is_empty() || crate::extract::is_yes_no(rest))
        .then(|| alt.get(..=at))
        .flatten()
}

/// Typed text that names no program ("Example Behavioral Health", not "ECM").
fn names_no_program(v: &RawValue) -> bool {
    match v {
        RawValue::Text(t) => !t.trim().is_empty() && super::values::programs_in_text(t).is_empty(),
        _ => false,
    }
}

/// A value shaped like a person's name: two to five words, each starting with a capital, no
/// digit and no `@` (a job title after a comma may follow: "Pat Example, Care Coordinator").
fn reads_as_a_name(v: &RawValue) -> bool {
    let RawValue::Text(t) = v else {
        return false;
    };
    let name = t.split(',').next().unwrap_or_default();
    let words: Vec<&str> = name.split_whitespace().collect();
    (2..=5).contains(&words.len())
        && !t.contains('@')
        && !t.chars().any(|c| c.is_ascii_digit())
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

/// Instructions printed on a form ("Send completed form by secure email. Northern California")
/// are sentences, not labels: a full stop inside, or too many words.
///
/// A full stop after an abbreviation ("Tel. No.", "C.S.W. Name", "Addr.") is not a sentence's
/// end: only one after four or more words is.
fn is_prose(label: &str) -> bool {
    let t = label.trim().trim_end_matches('.');
    let sentence_end = t.match_indices(". ").any(|(i, _)| {
        t.get(..i)
            .is_some_and(|before| before.split_whitespace().count() >= 4)
    });
    sentence_end || t.split_whitespace().count() > 14
}

/// Whether a value looks like a tick: a checkbox, or a short yes/X mark in a cell.
pub(super) fn is_tickish(v: &RawValue) -> bool {
    match v {
        RawValue::Checked(_) => true,
        RawValue::Text(t) => {
            let t = t.trim();
            t.chars().count() <= 6 && crate::normalize::parse_bool(t).is_ok_and(|b| b.is_some())
        }
        RawValue::Date(_) | RawValue::Number(_) => false,
    }
}

/// A canonical label without the first whole-word occurrence of `phrase`, its words rejoined
/// by single spaces; `None` when the phrase is not in it.
fn without_phrase(n: &str, phrase: &str) -> Option<String> {
    // Most labels hold none of the phrases asked about: no allocation for them.
    if !n.contains(phrase) {
        return None;
    }
    let padded = format!(" {n} ");
    let at = find_phrase(&padded, phrase)?;
    let rest = format!("{} {}", padded.get(..at)?, padded.get(at + 1 + phrase.len()..)?);
    Some(rest.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A tick, or a yes/no answer written out ("Y", "No", "Sí").
fn yes_no_answer(v: &RawValue) -> bool {
    match v {
        RawValue::Checked(_) => true,
        RawValue::Text(t) => matches!(
            norm(t).as_str(),
            "y" | "n" | "yes" | "no" | "si" | "x" | "true" | "false"
        ),
        _ => false,
    }
}

/// What a tick's caption names: a program, a referrer relationship, or a catalogue item.
fn caption_target(label: &str, section: &str, context: &str, catalog: &Catalog) -> Option<Target> {
    kind_caption(label, section, context).or_else(|| {
        catalog_caption(
            &norm(&strip_enumeration(without_write_in(label))),
            context,
            catalog,
        )
    })
}

/// A tick's caption that names a program or a kind of referrer, whole.
fn kind_caption(label: &str, section: &str, context: &str) -> Option<Target> {
    let n = norm(&strip_enumeration(without_write_in(label)));
    if n.is_empty() {
        return None;
    }
    if let Some(p) = program_caption(&n) {
        return Some(Target::Tick(TickValue::Program(p)));
    }
    // "consent.member": the member's consent box, not "Member/family" as the kind of referrer.
    let about_consent = context.split(' ').any(|w| w.starts_with("consent"));
    relationship_caption(&n, section)
        .filter(|_| !about_consent)
        .map(|r| Target::Tick(TickValue::Relationship(r)))
}

/// An "Other" box's caption without what was written in after it: "Other: school", "Other
/// (specify): church" and "Other (school)" are the box "Other", the rest the writer's own.
fn without_write_in(label: &str) -> &str {
    match label.split_once(':') {
        Some((head, rest)) if !rest.trim().is_empty() => {
            let h = norm(head);
            if h == "other" || h.starts_with("other ") {
                head
            } else {
                label
            }
        }
        _ if norm(&crate::normalize::split_parenthesised(label).0) == "other" => "Other",
        _ => label,
    }
}

/// A caption that is just a program's name ("ECM", "Community Supports (CS)", "CHW services").
pub(super) fn program_caption(n: &str) -> Option<Program> {
    const FILLER: &[&str] = &[
        "referral", "services", "service", "request", "program", "for", "the", "s", "benefit",
    ];
    let words: Vec<&str> = n.split(' ').filter(|w| !FILLER.contains(w)).collect();
    let has = |ws: &[&str]| ws.iter().all(|w| words.contains(w));
    let only = |allowed: &[&str]| !words.is_empty() && words.iter().all(|w| allowed.contains(w));
    if only(&["ecm", "enhanced", "care", "management"])
        && (has(&["ecm"]) || has(&["enhanced", "care", "management"]))
    {
        return Some(Program::Ecm);
    }
    if only(&["cs", "community", "supports", "support"]) && (has(&["cs"]) || has(&["community"])) {
        return Some(Program::Cs);
    }
    if only(&["chw", "chws", "community", "health", "worker", "workers"])
        && (has(&["chw"]) || has(&["worker"]) || has(&["workers"]))
    {
        return Some(Program::Chw);
    }
    None
}

/// A caption naming who refers ("Medical provider", "Social services provider", "Member/family").
pub(super) fn relationship_caption(n: &str, section: &str) -> Option<Relationship> {
    // Only captions made of relationship words: "Homeless (individual or family)" is a
    // population, not a relationship.
    const VOCAB: &[&str] = &[
        "medical",
        "provider",
        "providers",
        "health",
        "care",
        "healthcare",
        "clinical",
        "social",
        "services",
        "service",
        "community",
        "based",
        "organization",
        "cbo",
        "member",
        "self",
        "family",
        "or",
        "and",
        "caregiver",
        "physician",
        "clinic",
        "hospital",
        "other",
        "specify",
        "s",
        "the",
        "a",
        "relative",
        "please",
        "law",
        "enforcement",
        "police",
        "sheriff",
        "department",
        "county",
        "agency",
        "facility",
        // The question asked before the answer: "Referrer type: social services", "Referrer is
        // a social services provider".
        "referrer",
        "referring",
        "type",
        "kind",
        "is",
        "an",
        // "Referring as medical provider", "I am the member's caregiver".
        "as",
        "i",
        "am",
        // "Managed care plan".
        "managed",
    ];
    // Kinds of referrer none of SPEC's three names ("Health plan", "School", "Probation").
    const OTHER_KINDS: &[&str] = &[
        "plan",
        "school",
        "probation",
        "parole",
        "court",
        "jail",
        "shelter",
    ];
    if n.split(' ').count() > 7
        || !n
            .split(' ')
            .all(|w| VOCAB.contains(&w) || OTHER_KINDS.contains(&w))
    {
        return None;
    }
    let padded = format!(" {n} ");
    let has = |w: &str| find_phrase(&padded, w).is_some();
    if has("social service") || has("social services") || has("community based organization") || has("cbo") {
        return Some(Relationship::SocialServicesProvider);
    }
    if (has("provider") && (has("medical") || has("health care") || has("healthcare") || has("clinical")))
        || has("physician")
        || n == "medical provider"
        || has("clinic")
        || has("hospital")
    {
        return Some(Relationship::MedicalProvider);
    }
    if has("self")
        || has("family")
        || has("member family")
        || n == "member"
        || has("caregiver")
        || has("family member")
    {
        return Some(Relationship::MemberFamily);
    }
    // Law enforcement is none of the three kinds SPEC names (a sobering centre's usual referrer).
    if has("law enforcement") || has("police") || has("sheriff") {
        return Some(Relationship::Other);
    }
    // A bare "Other", or another kind of referrer ("Health plan", "School", "Probation"), is a
    // relationship only under a heading that asks about the referrer.
    let other_kind = has("other") || OTHER_KINDS.iter().any(|w| has(w));
    if other_kind && (section.contains("relationship") || section.contains("referr")) {
        return Some(Relationship::Other);
    }
    None
}

/// Whether a (canonical) label names two or more kinds of referrer: it offers them as choices.
fn lists_relationships(n: &str) -> bool {
    const KINDS: [&[&str]; 3] = [
        &[
            "medical provider",
            "health care provider",
            "healthcare provider",
            "clinical provider",
        ],
        &[
            "social service provider",
            "social services provider",
            "community based organization",
            "cbo",
        ],
        &["family member", "self", "caregiver"],
    ];
    let padded = format!(" {n} ");
    KINDS
        .iter()
        .filter(|kind| kind.iter().any(|w| find_phrase(&padded, w).is_some()))
        .count()
        >= 2
}

/// A caption naming a Population of Focus, Community Support or CHW need (longest alias wins).
fn catalog_caption(n: &str, context: &str, catalog: &Catalog) -> Option<Target> {
    catalog_caption_scored(n, context, catalog).map(|(t, _)| t)
}

/// [`catalog_caption`], with the length of the alias that matched.
fn catalog_caption_scored(n: &str, context: &str, catalog: &Catalog) -> Option<(Target, usize)> {
    if n.is_empty() {
        return None;
    }
    // Which list the words around the caption name, to settle a caption two lists share ("BH").
    let named = |words: &[&str]| context.split(' ').any(|w| words.contains(&w));
    let pop = catalog.match_population(n).map(|(p, l)| {
        (
            Target::Tick(TickValue::Population(p)),
            (l, named(&["pof", "population", "populations"])),
        )
    });
    let cs = catalog.match_support(n).map(|(p, l)| {
        (
            Target::Tick(TickValue::Support(p)),
            (l, named(&["cs", "support", "supports"])),
        )
    });
    let need = catalog.match_need(n).map(|(p, l)| {
        (
            Target::Tick(TickValue::Need(p)),
            (l, named(&["need", "needs", "chw"])),
        )
    });
    let found: Vec<_> = [pop, cs, need].into_iter().flatten().collect();
    let best = found.iter().map(|(_, score)| *score).max()?;
    let tied: Vec<Target> = found
        .into_iter()
        .filter(|(_, score)| *score == best)
        .map(|(t, _)| t)
        .collect();
    if tied.len() == 1 {
        return tied.into_iter().next().map(|t| (t, best.0));
    }
    // Lists finding names as long ("Mental health or substance use": "mental health" is a CHW
    // need, "substance use" a population): the one whose names hold more of the caption's words.
    // Still tied ("BH") with nothing around naming either list: undecided, so the box's other
    // name (its tooltip) may say.
    let words = |t: &Target| match t {
        Target::Tick(TickValue::Population(p)) => catalog.population_words(*p, n),
        Target::Tick(TickValue::Support(p)) => catalog.support_words(*p, n),
        Target::Tick(TickValue::Need(p)) => catalog.need_words(*p, n),
        _ => 0,
    };
    let most = tied.iter().map(words).max()?;
    let mut top = tied.into_iter().filter(|t| words(t) == most);
    let first = top.next()?;
    top.next().is_none().then_some((first, best.0))
}

/// A title naming the form itself ("Enhanced Care Management - Provider Referral", "CS Referral
/// Form", "CHW Services Request"): it says who usually sends the form, not whose fields follow
/// it, so it lends no role to them.
fn names_the_form(canon: &str) -> bool {
    let words: Vec<&str> = canon.split_whitespace().collect();
    words.len() >= 2
        && words
            .last()
            .is_some_and(|w| ["referral", "form", "request", "application"].contains(w))
}

/// A heading that is an institution's name ("El Dorado Example Caregiver Resource Center", "Example
/// Police Department"): a letterhead, saying who sent the form rather than whose fields follow,
/// so — like a title naming the form — it lends no role ("caregiver" in it is no caregiver's
/// data). "Referring Agency" and "Referring Clinic" are not in the list: forms use them as the
/// referrer's section.
fn names_an_institution(canon: &str) -> bool {
    let words: Vec<&str> = canon.split_whitespace().collect();
    words.len() >= 2
        && words.last().is_some_and(|w| {
            [
                "center",
                "centre",
                "department",
                "hospital",
                "foundation",
                "institute",
                "inc",
                "llc",
            ]
            .contains(w)
        })
}

/// A label's note on the order of a name's parts — "Member (LAST, First)", "Name [First MI
/// Last]" — says how the one value is written, not which part it holds: without it the label is
/// the whole name's. One part alone ("Name (First)") is kept: it does say which part.
fn strip_name_order(label: &str) -> std::borrow::Cow<'_, str> {
    static ORDER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\s*[\(\[]\s*(?:(?:last|first|middle|mi|m\.i\.?|given|family|surname)(?:\s+name)?[\s,/.]*){2,}[\)\]]",
        )
        .expect("static regex")
    });
    ORDER.replace_all(label, "")
}

/// An instruction line read as a label: numbered, three words or more, ending in a full stop
/// ("1. One row per member.", "2) Type dates as MM/DD/YYYY.").
fn is_instruction(name: &str) -> bool {
    crate::extract::numbered_item(name)
        .is_some_and(|rest| rest.ends_with('.') && rest.split_whitespace().count() >= 3)
}

/// A request for an amount of time that no phrase names ("Time requested | 3 hours", "Amount
/// requested | 8 units"): the value's own unit says it is the CHW time asked for. Only a label
/// about an amount, time or request, and only a value that is a number and its unit and
/// nothing else; tried last, below any label that names a field.
fn amount_of_time(entry: &RawEntry) -> Option<(Target, f32)> {
    let RawValue::Text(value) = &entry.value else {
        return None;
    };
    let label = norm(&entry.name);
    let about = [
        "time",
        "amount",
        "duration",
        "length",
        "requested",
        "request",
        "how much",
        "how many",
    ];
    let padded = format!(" {label} ");
    if !about.iter().any(|w| find_phrase(&padded, w).is_some()) {
        return None;
    }
    let v = value.trim().to_lowercase();
    let unit = v
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
        .trim();
    if unit.len() == v.len() || v.starts_with('.') {
        return None;
    }
    match unit {
        "hours" | "hour" | "hrs" | "hr" | "h" => Some((Target::ChwHours, score::ROLE_ONLY)),
        "units" | "unit" => Some((Target::Field(FieldKey::ChwUnits), score::ROLE_ONLY)),
        _ => None,
    }
}

/// Whether two words differ by one letter: one changed, or (five letters or more) one dropped.
fn one_letter_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() == b.len() {
        return a.iter().zip(b).filter(|(x, y)| x != y).count() == 1;
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if long.len() != short.len() + 1 || short.len() < 5 {
        return false;
    }
    let i = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    short.get(i..) == long.get(i + 1..)
}

#[cfg(test)]
mod tests;
