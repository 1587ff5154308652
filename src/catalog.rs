//! The catalogues (`catalog.toml`): Populations of Focus, Community Supports, CHW needs, counties
//! by region, health-plan names and Network Lead Entity providers — and matching form wording
//! against them by name.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use crate::diag::{Problems, SourceFile};
use crate::model::{ChwNeed, Program};

/// Who a Population of Focus is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeGroup {
    All,
    Adults,
    Children,
}

/// An ECM Population of Focus.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub number: u8,
    pub name: String,
    pub ages: AgeGroup,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A Community Support, in this product's numbering.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunitySupport {
    pub number: u8,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Counties where the plan does not offer it.
    #[serde(default)]
    pub not_offered_in: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNeed {
    key: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// An organisation contracted through a Network Lead Entity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NleProvider {
    pub organization: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub programs: Vec<Program>,
    pub nle: String,
    pub nle_contact: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlans {
    #[serde(default)]
    kp: Vec<String>,
    #[serde(default)]
    other: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    #[serde(default)]
    population: Vec<Population>,
    #[serde(default)]
    community_support: Vec<CommunitySupport>,
    #[serde(default)]
    chw_need: Vec<RawNeed>,
    #[serde(default)]
    counties: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    health_plans: RawPlans,
    #[serde(default)]
    nle_provider: Vec<NleProvider>,
}

/// The loaded catalogues with pre-normalised aliases for matching.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub populations: Vec<Population>,
    pub supports: Vec<CommunitySupport>,
    pub counties: BTreeMap<String, Vec<String>>,
    pub nle_providers: Vec<NleProvider>,
    pop_aliases: Vec<(String, u8)>,
    cs_aliases: Vec<(String, u8)>,
    need_aliases: Vec<(String, ChwNeed)>,
    kp_plans: Vec<String>,
    other_plans: Vec<String>,
    /// Caption → match, per list (see [`crate::memo`]).
    memo: (Matches<u8>, Matches<u8>, Matches<ChwNeed>),
}

/// Remembered caption matches of one list: the item and the matched alias's length.
type Matches<T> = crate::memo::Memo<Option<(T, usize)>>;

impl Catalog {
    pub(crate) fn parse(src: &SourceFile, problems: &mut Problems) -> Option<Catalog> {
        let raw: RawCatalog = src.parse_toml(problems)?;
        let mut ok = true;
        let mut check_numbers = |what: &str, nums: Vec<u8>, max: u8| {
            for n in 1..=max {
                if !nums.contains(&n) {
                    problems.push(format!(
                        "{}: {what} {n} is missing (1 to {max} must all be listed)",
                        src.name
                    ));
                    ok = false;
                }
            }
            for n in nums {
                if n == 0 || n > max {
                    problems.push(format!(
                        "{}: {what} number {n} is out of range 1 to {max}",
                        src.name
                    ));
                    ok = false;
                }
            }
        };
        check_numbers(
            "[[population]]",
            raw.population.iter().map(|p| p.number).collect(),
            9,
        );
        check_numbers(
            "[[community_support]]",
            raw.community_support.iter().map(|p| p.number).collect(),
            15,
        );

        let mut need_aliases = Vec::new();
        for n in &raw.chw_need {
            match n.key.parse::<ChwNeed>() {
                Ok(need) => {
                    need_aliases.push((fold(&norm(&n.key.replace('_', " "))), need));
                    need_aliases.extend(n.aliases.iter().map(|a| (fold(&norm(a)), need)));
                }
                Err(e) => {
                    problems.push(format!("{}: [[chw_need]] {e}", src.name));
                    ok = false;
                }
            }
        }
        let all_counties: Vec<&String> = raw.counties.values().flatten().collect();
        for cs in &raw.community_support {
            for c in &cs.not_offered_in {
                if !crate::normalize::CA_COUNTIES.contains(&c.as_str()) {
                    problems.push(format!(
                        "{}: community support {} lists `{c}` in not_offered_in, which is not a California county name",
                        src.name, cs.number
                    ));
                    ok = false;
                }
            }
        }
        for c in &all_counties {
            if !crate::normalize::CA_COUNTIES.contains(&c.as_str()) {
                problems.push(format!(
                    "{}: [counties] lists `{c}`, which is not a California county name (write it without \"County\", e.g. \"Contra Costa\")",
                    src.name
                ));
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let pop_aliases = raw
            .population
            .iter()
            .flat_map(|p| {
                std::iter::once(fold(&norm(&p.name)))
                    .chain(p.aliases.iter().map(|a| fold(&norm(a))))
                    .map(move |a| (a, p.number))
            })
            .collect();
        let cs_aliases = raw
            .community_support
            .iter()
            .flat_map(|p| {
                std::iter::once(fold(&norm(&p.name)))
                    .chain(p.aliases.iter().map(|a| fold(&norm(a))))
                    .map(move |a| (a, p.number))
            })
            .collect();
        Some(Catalog {
            populations: raw.population,
            supports: raw.community_support,
            counties: raw.counties,
            nle_providers: raw.nle_provider,
            pop_aliases,
            cs_aliases,
            need_aliases,
            kp_plans: raw.health_plans.kp.iter().map(|s| norm(s)).collect(),
            other_plans: raw.health_plans.other.iter().map(|s| norm(s)).collect(),
            memo: Default::default(),
        })
    }

    /// The Population of Focus a caption names, with the length of the matched alias.
    pub fn match_population(&self, caption: &str) -> Option<(u8, usize)> {
        self.memo.0.get_or(caption, || {
            best_match(&self.pop_aliases, &fold(&norm(&strip_enumeration(caption))))
        })
    }

    /// The Community Support a caption names (by name; printed numbers are ignored).
    pub fn match_support(&self, caption: &str) -> Option<(u8, usize)> {
        self.memo.1.get_or(caption, || {
            best_match(&self.cs_aliases, &fold(&norm(&strip_enumeration(caption))))
        })
    }

    /// The CHW need a caption names.
    pub fn match_need(&self, caption: &str) -> Option<(ChwNeed, usize)> {
        self.memo.2.get_or(caption, || self.match_need_uncached(caption))
    }

    fn match_need_uncached(&self, caption: &str) -> Option<(ChwNeed, usize)> {
        let n = fold(&norm(&strip_enumeration(caption)));
        // One-word needs ("social", "physical") only count on short captions, so that "social
        // services provider" or a long sentence is not read as a need.
        let words = n.split(' ').count();
        best_match(&self.need_aliases, &n).filter(|(_, len)| words <= 4 || *len >= 10)
    }

    /// How many of a caption's words the population's name and aliases hold: which list a
    /// caption two lists name equally ("Mental health or substance use") speaks of.
    pub fn population_words(&self, number: u8, caption: &str) -> usize {
        coverage(&self.pop_aliases, number, caption)
    }

    /// [`Catalog::population_words`] for a Community Support.
    pub fn support_words(&self, number: u8, caption: &str) -> usize {
        coverage(&self.cs_aliases, number, caption)
    }

    /// [`Catalog::population_words`] for a CHW need.
    pub fn need_words(&self, need: ChwNeed, caption: &str) -> usize {
        coverage(&self.need_aliases, need, caption)
    }

    /// The population's details.
    pub fn population(&self, n: u8) -> Option<&Population> {
        self.populations.iter().find(|p| p.number == n)
    }

    /// The support's details.
    pub fn support(&self, n: u8) -> Option<&CommunitySupport> {
        self.supports.iter().find(|p| p.number == n)
    }

    /// Whether a health plan name written on a form is KP (`Some(true)`), another plan
    /// (`Some(false)`), or unknown.
    pub fn plan_is_kp(&self, plan: &str) -> Option<bool> {
        let n = format!(" {} ", norm(plan));
        if self.kp_plans.iter().any(|p| find_phrase(&n, p).is_some()) {
            return Some(true);
        }
        if self.other_plans.iter().any(|p| find_phrase(&n, p).is_some()) {
            return Some(false);
        }
        None
    }

    /// The NLE provider an organisation name refers to, if listed.
    pub fn nle_provider(&self, organization: &str) -> Option<&NleProvider> {
        let n = norm(organization);
        if n.is_empty() {
            return None;
        }
        let padded = format!(" {n} ");
        self.nle_providers.iter().find(|p| {
            std::iter::once(&p.organization).chain(p.aliases.iter()).any(|a| {
                let a = norm(a);
                !a.is_empty() && (n == a || find_phrase(&padded, &a).is_some())
            })
        })
    }
}

/// How many distinct words of `caption` (read as the matchers read it) the aliases of `item` hold.
fn coverage<T: Copy + PartialEq>(aliases: &[(String, T)], item: T, caption: &str) -> usize {
    let words: std::collections::HashSet<&str> = aliases
        .iter()
        .filter(|(_, v)| *v == item)
        .flat_map(|(a, _)| a.split(' '))
        .collect();
    let caption = fold(&norm(&strip_enumeration(caption)));
    let mine: std::collections::HashSet<&str> = caption.split(' ').filter(|w| words.contains(w)).collect();
    mine.len()
}

fn best_match<T: Copy + PartialEq>(aliases: &[(String, T)], caption: &str) -> Option<(T, usize)> {
    if caption.is_empty() {
        return None;
    }
    let padded = format!(" {caption} ");
    let mut best: Option<(T, usize)> = None;
    for (alias, v) in aliases {
        if alias.is_empty() {
            continue;
        }
        if find_phrase(&padded, alias).is_some() && best.is_none_or(|(_, l)| alias.len() > l) {
            best = Some((*v, alias.len()));
        }
    }
    best.or_else(|| shortened(aliases, caption))
        .or_else(|| abbreviated(aliases, caption))
}

/// A caption whose words are an item's words, some cut short to fit ("Short-Term Post-Hosp
/// Housing", "Housing Trans. Navigation"): two words or more, each the item's word at the same
/// place or its first three letters or more, at least one cut, naming only that item.
fn abbreviated<T: Copy + PartialEq>(aliases: &[(String, T)], caption: &str) -> Option<(T, usize)> {
    let words: Vec<&str> = caption.split(' ').collect();
    if words.len() < 2 {
        return None;
    }
    let mut found: Option<T> = None;
    for (alias, v) in aliases {
        let names: Vec<&str> = alias.split(' ').collect();
        if names.len() < words.len() {
            continue;
        }
        let mut cut = false;
        let fits = words.iter().zip(&names).all(|(w, a)| {
            if w == a {
                return true;
            }
            let short = w.len() >= 3 && w.len() < a.len() && a.starts_with(w);
            cut |= short;
            short
        });
        if fits && cut {
            match found {
                Some(f) if f != *v => return None,
                _ => found = Some(*v),
            }
        }
    }
    found.map(|v| (v, caption.len()))
}

/// A caption that is the start of one item's name, cut short to fit a column ("At Risk for LTC"
/// for "At Risk for LTC Institutionalization"): three words or more, naming only that item.
fn shortened<T: Copy + PartialEq>(aliases: &[(String, T)], caption: &str) -> Option<(T, usize)> {
    if caption.split(' ').count() < 3 {
        return None;
    }
    let mut found: Option<T> = None;
    for (alias, v) in aliases {
        if alias.len() > caption.len() && find_phrase(&format!(" {alias} "), caption) == Some(0) {
            match found {
                Some(f) if f != *v => return None,
                _ => found = Some(*v),
            }
        }
    }
    found.map(|v| (v, caption.len()))
}

/// Where a normalised `phrase` stands as whole words in `padded` (normalised text with a space at
/// each end): the position of the space before it. It runs for every alias against every label
/// of every form, so it builds nothing: it tries the phrase at each word start (after a space),
/// which is cheaper on short labels than setting up a substring searcher per call.
pub fn find_phrase(padded: &str, phrase: &str) -> Option<usize> {
    if phrase.is_empty() {
        return None;
    }
    let bytes = padded.as_bytes();
    let first = phrase.as_bytes().first()?;
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b' ')
        .map(|(i, _)| i)
        .find(|&i| {
            // After an ASCII space is always a char boundary.
            let rest = bytes.get(i + 1..).unwrap_or_default();
            rest.first() == Some(first)
                && rest.starts_with(phrase.as_bytes())
                && rest.get(phrase.len()) == Some(&b' ')
        })
}

/// Lowercase, `&` → `and`, punctuation → spaces, collapsed. The form used for all name matching.
///
/// Words run together in field names and export values are split the way a reader splits them:
/// at lower→Upper (`MemberDateOfBirth` → `member date of birth`), at ACRONYM→Word
/// (`ECMReferral` → `ecm referral`, but `CINs` stays one word) and before digits (`Text7`,
/// `POF3`); underscores and dots are punctuation. Dotted initialisms are one word (`D.O.B.` →
/// `dob`, `P.O.F.` → `pof`), so neither an enumeration stripper nor a one-letter-word rule sees
/// `D.` as a list marker. Accents are dropped (`Teléfono` → `telefono`, `Población` →
/// `poblacion`): bilingual forms are written with and without them, and a header typed on an
/// English keyboard has none.
pub fn norm(s: &str) -> String {
    let collapsed;
    let s = if s.contains('.') {
        collapsed = collapse_initialisms(s);
        collapsed.as_str()
    } else {
        s
    };
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut space = true;
    let mut prev = ' ';
    // Letters of the current word so far: one small letter before capitals (`eMail`, `zIP` as
    // a scan misreads `ZIP`) is no word of its own.
    let mut run = 0;
    for (i, &raw) in chars.iter().enumerate() {
        let ch = if raw == '&' { '+' } else { unaccented(raw) };
        if ch == '+' {
            if !space {
                out.push(' ');
            }
            out.push_str("and ");
            space = true;
            run = 0;
        } else if ch.is_alphanumeric() {
            let next = chars.get(i + 1).copied();
            let after = chars.get(i + 2).copied();
            let lone_small = run == 1 && prev.is_lowercase();
            if !space && word_break(prev, ch, next, after) && !short_initialism(&chars, i) && !lone_small {
                out.push(' ');
                run = 0;
            }
            out.extend(ch.to_lowercase());
            space = false;
            run += 1;
        } else if !space {
            out.push(' ');
            space = true;
            run = 0;
        }
        prev = raw;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A letter without its accents (`é` → `e`, `Ñ` → `N`, `ü` → `u`): the first character of its
/// canonical decomposition when the rest are combining marks; other characters as they are.
pub(crate) fn unaccented(c: char) -> char {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    if c.is_ascii() {
        return c;
    }
    let mut parts = std::iter::once(c).nfd();
    match parts.next() {
        Some(base) if parts.all(is_combining_mark) => base,
        _ => c,
    }
}

/// Whether the word around `chars[i]` is an initialism with a little word in lower case:
/// `PoF` (Population of Focus), `DoB`, `PoC` — one capital, one or two small letters, one
/// capital (a plural `s` allowed). It is one word, not "Po F".
fn short_initialism(chars: &[char], i: usize) -> bool {
    let start = chars
        .get(..i)
        .and_then(|b| b.iter().rposition(|c| !c.is_alphanumeric()))
        .map_or(0, |p| p + 1);
    let end = chars
        .get(i..)
        .and_then(|a| a.iter().position(|c| !c.is_alphanumeric()))
        .map_or(chars.len(), |p| i + p);
    let word = chars.get(start..end).unwrap_or_default();
    let word = match word {
        [rest @ .., 's'] if rest.len() >= 3 => rest,
        w => w,
    };
    match word {
        [first, small @ .., last] => {
            first.is_uppercase()
                && last.is_uppercase()
                && (1..=2).contains(&small.len())
                && small.iter().all(|c| c.is_lowercase())
        }
        _ => false,
    }
}

/// Whether a word boundary falls between `prev` and `ch` inside a run of letters and digits.
fn word_break(prev: char, ch: char, next: Option<char>, after: Option<char>) -> bool {
    let lower_upper = prev.is_lowercase() && ch.is_uppercase();
    // `ECMReferral`: the last capital of an acronym starts the next word — unless what follows
    // is a plural `s` (`CINs`, `POFs`).
    let acronym_word = prev.is_uppercase()
        && ch.is_uppercase()
        && next.is_some_and(char::is_lowercase)
        && (next != Some('s') || after.is_some_and(char::is_alphabetic));
    let letter_digit = prev.is_alphabetic() && ch.is_ascii_digit();
    lower_upper || acronym_word || letter_digit
}

/// `D.O.B.` → `DOB`, `P.O.F` → `POF`: single letters joined by dots are one word.
fn collapse_initialisms(s: &str) -> String {
    static DOTTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b[A-Za-z](?:\.[A-Za-z]\b)+\.?").expect("static regex"));
    DOTTED
        .replace_all(s, |c: &regex::Captures<'_>| {
            c.get(0).map(|m| m.as_str().replace('.', "")).unwrap_or_default()
        })
        .into_owned()
}

/// Folds a normalised phrase so that small differences in wording do not matter: plural words
/// become singular (`needs` → `need`, `agencies` → `agency`) and the little words a writer adds or
/// drops (`of`, `the`, `this`, `a`, `an`, `then`, a possessive `s`) are left out ("Member name,
/// last then first" is the "name last first" phrase). Applied alike to the phrases in
/// the catalogues and vocabulary and to the labels matched against them.
pub fn fold(normed: &str) -> String {
    const LITTLE: &[&str] = &["of", "the", "a", "an", "s", "this", "then"];
    let mut out = String::with_capacity(normed.len());
    for w in normed.split(' ').filter(|w| !w.is_empty() && !LITTLE.contains(w)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&singular(w));
    }
    out
}

/// A crude English singular, good enough for form labels: `services` → `service`,
/// `agencies` → `agency`; `address`, `status`, `diagnosis` and short words stay.
fn singular(w: &str) -> std::borrow::Cow<'_, str> {
    let n = w.len();
    if n <= 3 || !w.ends_with('s') || ["ss", "us", "is"].iter().any(|e| w.ends_with(e)) {
        return w.into();
    }
    if n > 4 && w.ends_with("ies") {
        return format!("{}y", w.get(..n - 3).unwrap_or(w)).into();
    }
    w.get(..n - 1).unwrap_or(w).into()
}

/// Removes a printed enumeration ("3.", "(b)", "12)", "POF 4:") from the start of a caption.
/// A dotted initialism ("D.O.B.") is a word, not an enumeration.
pub fn strip_enumeration(s: &str) -> String {
    static ENUM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:(?:pof|cs|#)\s*)?(?:\(?\d{1,2}[a-z]?[\.\):\-]|\(?[a-z][\.\)])\s*")
            .expect("static regex")
    });
    let s = if s.contains('.') {
        collapse_initialisms(s)
    } else {
        s.to_string()
    };
    ENUM.replace(&s, "").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let src = SourceFile::new("catalog.toml".into(), crate::builtin::CATALOG.into());
        let mut p = Problems::default();
        let c = Catalog::parse(&src, &mut p);
        assert!(p.is_empty(), "{:?}", p.into_errors());
        c.expect("catalog")
    }

    #[test]
    fn finds_whole_phrases_only() {
        assert_eq!(find_phrase(" kaiser permanente ", "kp"), None);
        assert_eq!(find_phrase(" my kp plan ", "kp"), Some(3));
        assert_eq!(find_phrase(" aaa aa ", "aa"), Some(4));
        assert_eq!(find_phrase(" date of birth ", "date of birth"), Some(0));
        assert_eq!(find_phrase(" café menu ", "menu"), Some(6));
        assert_eq!(find_phrase(" x ", ""), None);
    }

    #[test]
    fn normalises_names() {
        assert_eq!(
            norm("Housing Tenancy & Sustaining Services"),
            "housing tenancy and sustaining services"
        );
        assert_eq!(norm("  Medi-Cal ID #: "), "medi cal id");
        assert_eq!(
            strip_enumeration("3. Serious Mental Health"),
            "Serious Mental Health"
        );
        assert_eq!(strip_enumeration("(b) Housing Deposits"), "Housing Deposits");
        assert_eq!(strip_enumeration("POF 4: Transitioning"), "Transitioning");
        assert_eq!(strip_enumeration("Asthma Remediation"), "Asthma Remediation");
    }

    /// Class 5 of issue #8: a column heading cut short names the one item it starts.
    #[test]
    fn class5_a_caption_cut_short_names_its_item() {
        let c = catalog();
        assert_eq!(c.match_population("At Risk for LTC").map(|m| m.0), Some(5));
        assert_eq!(c.match_population("NF Transition").map(|m| m.0), Some(6));
        // "High ED utilizer": the setting between the adjective and the noun.
        assert_eq!(c.match_population("high ED utilizer").map(|m| m.0), Some(2));
        // Too short to be sure, or the start of several items' names.
        assert_eq!(c.match_population("Community").map(|m| m.0), None);
        assert_eq!(c.match_support("Housing").map(|m| m.0), None);
    }

    #[test]
    fn class4_an_items_words_cut_short_name_it() {
        let c = catalog();
        assert_eq!(
            c.match_support("Short-Term Post-Hosp Housing").map(|m| m.0),
            Some(4)
        );
        assert_eq!(c.match_support("Housing Trans. Navigation").map(|m| m.0), Some(1));
        assert_eq!(c.match_support("Hou Dep").map(|m| m.0), Some(2));
        assert_eq!(c.match_support("Med Tail").map(|m| m.0), Some(12));
        // One word cut short is too little to be sure.
        assert_eq!(c.match_support("Sob").map(|m| m.0), None);
    }

    /// Class 2 of issue #8: an initialism with a small little word stays one word.
    #[test]
    fn class2_initialisms_with_a_little_word_stay_whole() {
        assert_eq!(norm("PoF code(s)"), "pof code s");
        assert_eq!(norm("Client DoB"), "client dob");
        assert_eq!(norm("PoFs"), "pofs");
        // Real CamelCase still splits.
        assert_eq!(norm("MemberDoB"), "member do b");
        // One small letter before capitals is no word (blindscan5 17: a scan's `zIP`).
        assert_eq!(norm("zIP"), "zip");
        assert_eq!(norm("eMail"), "email");
        assert_eq!(norm("mbrEmail"), "mbr email");
        assert_eq!(norm("NavigatorPhone"), "navigator phone");
    }

    /// A CHW need captioned by its short name with examples in parentheses.
    #[test]
    fn class19_social_determinants_caption_names_the_social_need() {
        let c = catalog();
        assert_eq!(
            c.match_need("Social determinants (housing, food, transport)")
                .map(|m| m.0),
            c.match_need("Social needs").map(|m| m.0)
        );
        assert!(c.match_need("Social determinants").is_some());
    }

    /// Spanish and bilingual headers: accents do not change a word.
    #[test]
    fn class19_accented_letters_read_as_plain_ones() {
        assert_eq!(norm("Teléfono"), "telefono");
        assert_eq!(norm("Población de enfoque"), "poblacion de enfoque");
        assert_eq!(norm("AÑO Código"), "ano codigo");
        assert_eq!(norm("Straße"), "straße");
    }

    /// Class 1 of issue #8: words run together in field names and export values.
    #[test]
    fn words_run_together_are_split() {
        assert_eq!(norm("MemberDateOfBirth"), "member date of birth");
        assert_eq!(norm("SocialServicesProvider"), "social services provider");
        assert_eq!(norm("ECMReferralForm"), "ecm referral form");
        assert_eq!(norm("mbr_first_name"), "mbr first name");
        assert_eq!(norm("Text7"), "text 7");
        assert_eq!(norm("POF3"), "pof 3");
        assert_eq!(norm("MediCalID"), "medi cal id");
        // A plural acronym stays one word; all capitals stay one word.
        assert_eq!(norm("MemberCINs"), "member cins");
        assert_eq!(norm("MEMBER NAME"), "member name");
        assert_eq!(norm("IDs"), "ids");
    }

    /// Class 2 of issue #8: dotted initialisms.
    #[test]
    fn dotted_initialisms_are_one_word() {
        assert_eq!(norm("D.O.B."), "dob");
        assert_eq!(norm("Member D.O.B.:"), "member dob");
        assert_eq!(norm("P.O.F. 3"), "pof 3");
        assert_eq!(strip_enumeration("D.O.B."), "DOB");
        assert_eq!(strip_enumeration("B. Housing Deposits"), "Housing Deposits");
        assert_eq!(norm("Medi-Cal No."), "medi cal no");
    }

    #[test]
    fn folds_plurals_and_little_words() {
        assert_eq!(fold("date of the referral"), "date referral");
        assert_eq!(fold("populations of focus"), "population focus");
        assert_eq!(
            fold("agencies needs address status"),
            "agency need address status"
        );
        assert_eq!(fold("member s cins"), "member cin");
    }

    #[test]
    fn matches_services_by_name_not_number() {
        let c = catalog();
        assert_eq!(c.match_support("7. Housing Deposits").map(|m| m.0), Some(2));
        assert_eq!(
            c.match_support("Medically Tailored Meals/Medically Supportive Food")
                .map(|m| m.0),
            Some(12)
        );
        assert_eq!(
            c.match_support("Short-Term Post-Hospitalization Housing")
                .map(|m| m.0),
            Some(4)
        );
        assert_eq!(
            c.match_support("Recuperative Care (Medical Respite)")
                .map(|m| m.0),
            Some(5)
        );
        assert_eq!(
            c.match_support("Respite Services"),
            Some((7, "respite service".len()))
        );
        assert_eq!(
            c.match_population("Adults experiencing homelessness")
                .map(|m| m.0),
            Some(1)
        );
        assert_eq!(
            c.match_population("Individuals transitioning from incarceration")
                .map(|m| m.0),
            Some(4)
        );
        assert_eq!(
            c.match_population("Children and Youth Involved in Child Welfare")
                .map(|m| m.0),
            Some(8)
        );
        assert_eq!(
            c.match_need("Behavioral health").map(|m| m.0),
            Some(ChwNeed::Behavioral)
        );
        assert_eq!(
            c.match_need("Social drivers of health").map(|m| m.0),
            Some(ChwNeed::Social)
        );
        assert_eq!(c.match_population("Preferred language"), None);
    }

    #[test]
    fn reads_health_plans_and_nle() {
        let c = catalog();
        assert_eq!(c.plan_is_kp("Kaiser Permanente"), Some(true));
        assert_eq!(c.plan_is_kp("L.A. Care Health Plan"), Some(false));
        assert_eq!(c.plan_is_kp("Medi-Cal"), None);
        assert!(c.nle_provider("Bay Area Community Care Partners, Inc.").is_some());
        assert!(c.nle_provider("Oakland Free Clinic").is_none());
    }
}
