//! `Label: value` lines in an email body: the fallback when no attachment holds a form.
//!
//! Senders who do not attach a form often type the referral into the message:
//!
//! ```text
//! Member name: Jane Sample
//! DOB: 01/05/1980
//! [X] Housing Deposits
//! ```
//!
//! A line without a value that looks like a heading ("REFERRER INFORMATION", "Referring
//! provider:") becomes the section of the lines after it. Quoted replies (`> ...`) and everything
//! after a signature or an "Original Message" separator are left out.

mod prose;

use super::{DocKind, RawDoc, RawEntry, RawRecord, RawValue};

const TICK_ON: &[&str] = &["☒", "☑", "✓", "✔", "[x]", "[X]", "(x)", "(X)", "X "];
const TICK_OFF: &[&str] = &["☐", "□", "[ ]", "( )"];

/// The body of an email as a document: its text body, else (when that gives no labelled lines)
/// its HTML alternative, whose tables become `label<TAB>value` lines.
pub fn extract_email_body(email: &crate::message::Email) -> RawDoc {
    let doc = extract_body(&email.body_text);
    if doc.records.is_empty() && !email.body_html_alternative.trim().is_empty() {
        return extract_body(&email.body_html_alternative);
    }
    doc
}

/// The signature of the message's newest text as a one-record document ("Ondine Sample / Care
/// Navigator, Example Food Bank / ondine@…"), for a message whose attached batch names no
/// referrer and whose body has no labelled lines; no record when it is unsigned.
pub fn email_signature(email: &crate::message::Email) -> RawDoc {
    let newest = forwarded_parts(&email.body_text)
        .into_iter()
        .next()
        .unwrap_or_default();
    let lines: Vec<&str> = newest
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('>'))
        .collect();
    let entries = signature(&lines);
    RawDoc {
        kind: DocKind::EmailBody,
        records: if entries.is_empty() {
            Vec::new()
        } else {
            vec![RawRecord { entries }]
        },
        text: String::new(),
    }
}

/// Reads `Label: value` lines from a plain-text body. Returns a document with no records when
/// fewer than two labelled lines are found (a body that merely says "see attached").
///
/// A forwarded chain is read part by part: the newest text first; when it holds no referral
/// ("Please process - forwarding from our line worker"), the message it forwards, without its
/// From/Sent/To/Subject header lines.
pub fn extract_body(text: &str) -> RawDoc {
    if let Some(side_by_side) = members_side_by_side(text) {
        return extract_lines(&side_by_side, 2);
    }
    if let Some(doc) = body_with_table(text) {
        return doc;
    }
    extract_lines(text, 2)
}

/// Labelled lines answering for several members at once, the answers split at bars
/// ("DOB: 02/14/1990 | 08/30/2018"), written as the table with a column per member that an HTML
/// body gives ("\tMember 1\tMember 2" over "DOB\t02/14/1990\t08/30/2018"). At least three such
/// lines in a row, each with the same number of answers; `None` when the body has none.
fn members_side_by_side(text: &str) -> Option<String> {
    let split = |line: &str| -> Option<(String, Vec<String>)> {
        let (label, value) = line.split_once(':')?;
        let label = label.trim();
        if label.is_empty() || label.len() > 40 || label.contains('|') || label.starts_with('>') {
            return None;
        }
        let answers: Vec<String> = value.split(" | ").map(|a| a.trim().to_string()).collect();
        (answers.len() >= 2 && answers.iter().all(|a| !a.is_empty())).then(|| (label.to_string(), answers))
    };
    let lines: Vec<&str> = text.lines().collect();
    let parsed: Vec<Option<(String, Vec<String>)>> = lines.iter().map(|l| split(l)).collect();
    let width_at = |j: usize| parsed.get(j).and_then(Option::as_ref).map(|(_, a)| a.len());
    let mut i = 0;
    while i < lines.len() {
        let Some(width) = width_at(i) else {
            i += 1;
            continue;
        };
        let end = (i..lines.len())
            .find(|j| width_at(*j) != Some(width))
            .unwrap_or(lines.len());
        if end - i >= 3 {
            let mut out: Vec<String> = lines.iter().take(i).map(|l| (*l).to_string()).collect();
            out.push((1..=width).map(|n| format!("\tMember {n}")).collect::<String>());
            for (label, answers) in parsed.get(i..end).unwrap_or_default().iter().flatten() {
                out.push(format!("{label}\t{}", answers.join("\t")));
            }
            out.push(String::new());
            out.extend(lines.iter().skip(end).map(|l| (*l).to_string()));
            return Some(out.join("\n"));
        }
        i = end.max(i + 1);
    }
    None
}

/// A body holding a table of members, one a row under a header row ("Name | DOB | CIN | …" typed
/// with bars or tabs, or an HTML table's rows as tab-separated cells): a referral per row, each
/// with what the lines around the table say (the referrer, the date). A table of labels and
/// values is not one: the lines reader takes it.
fn body_with_table(text: &str) -> Option<RawDoc> {
    let lines: Vec<&str> = text.lines().collect();
    let (range, rows) = member_table(&lines)?;
    let records = crate::extract::sheet::table_rows(&rows)?;
    let rest: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !range.contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    // One labelled line beside the table is enough: the table says it is a referral, and
    // "Referred by: …" under it is whose.
    let around = extract_lines(&rest, 1);
    let shared: Vec<RawEntry> = around
        .records
        .into_iter()
        .next()
        .map(|r| r.entries)
        .unwrap_or_default();
    Some(RawDoc {
        kind: DocKind::EmailBody,
        records: records
            .into_iter()
            .map(|mut r| {
                r.entries.extend(shared.iter().cloned());
                r
            })
            .collect(),
        text: String::new(),
    })
}

/// The first block of at least two lines splitting into the same number (three or more) of
/// cells at bars or tabs, whose first line has no number in it (a header) and whose other lines
/// hold a date or a CIN: the block's line range and cells. Quoted lines are left out (the quoted
/// original is the sender's old mail).
fn member_table(lines: &[&str]) -> Option<(std::ops::Range<usize>, Vec<Vec<String>>)> {
    let cells = |line: &str| -> Option<(char, Vec<String>)> {
        let l = line.trim();
        if l.starts_with('>') {
            return None;
        }
        let sep = ['|', '\t'].into_iter().find(|c| l.matches(*c).count() >= 2)?;
        let l = l.trim_matches(sep);
        let cells: Vec<String> = l.split(sep).map(|c| c.trim().to_string()).collect();
        (cells.len() >= 3).then_some((sep, cells))
    };
    let header = |cells: &[String]| {
        cells.iter().all(|c| !c.chars().any(|ch| ch.is_ascii_digit()))
            && cells.iter().filter(|c| !c.is_empty()).count() >= 3
    };
    let today = chrono::Utc::now().date_naive();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let Some((sep, first)) = cells(line).filter(|(_, c)| header(c)) else {
            i += 1;
            continue;
        };
        let mut rows = vec![first];
        let mut end = i + 1;
        while let Some((s, next)) = lines.get(end).and_then(|l| cells(l)) {
            if s != sep || next.len() != rows.first().map_or(0, Vec::len) {
                break;
            }
            rows.push(next);
            end += 1;
        }
        // A member's row holds a date (of birth) or a CIN; two lines of a signature split at
        // bars ("Jane Example | Case Manager | …") do not.
        let members = rows.iter().skip(1).any(|r| {
            r.iter().any(|c| {
                crate::normalize::cin_shaped(c)
                    || matches!(crate::normalize::parse_date(c, today, true), Ok(Some(_)))
            })
        });
        if rows.len() >= 2 && members {
            return Some((i..end, rows));
        }
        i = end;
    }
    None
}

/// Reads the labelled lines of a body (see [`extract_body`]): the first part of a chain with at
/// least `min_labelled` of them is the referral.
fn extract_lines(text: &str, min_labelled: usize) -> RawDoc {
    let mut records = Vec::new();
    // What the newer parts of a chain said ("Apologies, the CIN was left off: CIN: 9...") comes
    // first, so it wins over the quoted original it corrects.
    let mut newer: Vec<RawEntry> = Vec::new();
    // The signatures of newer parts that held no referral: a forwarder's, or the referrer's own
    // when they reply above their quoted referral (used only then, see below).
    let mut signed_above: Vec<RawEntry> = Vec::new();
    let parts = forwarded_parts(text);
    for (i, part) in parts.iter().enumerate().take(20) {
        let (entries, labelled, signed) = read_part(part, i > 0);
        if labelled >= min_labelled {
            // "Referrer: Harriet Example" in the quoted referral, signed "Harriet Example, LMFT"
            // over her organisation and phone in the reply above it: her signature.
            let signer = signed_above
                .iter()
                .find(|e| e.name == "Referred by")
                .map(|e| e.value.as_text().trim().to_lowercase())
                .filter(|s| !s.is_empty());
            let names_signer = |e: &RawEntry| {
                signer
                    .as_deref()
                    .is_some_and(|s| e.value.as_text().trim().to_lowercase().starts_with(s))
            };
            let own_signature = entries.iter().any(names_signer);
            newer.extend(entries);
            newer.extend(signed);
            if own_signature {
                newer.append(&mut signed_above);
            }
            // "Both consented." in a sentence around the labelled lines.
            let sentences: Vec<&str> = part
                .lines()
                .map(str::trim)
                .filter(|l| split_line(l).is_none())
                .collect();
            newer.extend(prose::consent(&sentences));
            newer.extend(prose::membership(&sentences));
            // What is asked for, said in a sentence, when no labelled line or tick lists it.
            let lists = |e: &RawEntry| {
                let n = e.name.to_lowercase();
                [
                    "service",
                    "support",
                    "population",
                    "pof",
                    "program",
                    "request",
                    "criteria",
                ]
                .iter()
                .any(|w| n.contains(w))
            };
            if !newer
                .iter()
                .any(|e| lists(e) || matches!(e.value, RawValue::Checked(_)))
            {
                // "What she needs: meals delivered (medically tailored meals) and home
                // modifications": a need written out names what is asked for, as a sentence does.
                let needs: Vec<String> = newer
                    .iter()
                    .filter(|e| e.name.to_lowercase().contains("need"))
                    .map(|e| format!("{}: {}", e.name, e.value.as_text()))
                    .collect();
                let mut said = sentences.clone();
                said.extend(needs.iter().map(String::as_str));
                newer.extend(prose::asks(&said));
            }
            // "My name is ... reach me at ..." in the sentences around them: the writer.
            newer.extend(prose::writer(&sentences));
            records.push(RawRecord {
                entries: std::mem::take(&mut newer),
            });
            break;
        }
        newer.extend(
            entries
                .into_iter()
                .filter(|e| !matches!(e.value, RawValue::Checked(_))),
        );
        // A note above the quoted referral may correct it in a sentence.
        if i + 1 < parts.len() {
            let lines: Vec<&str> = part
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('>'))
                .collect();
            let end = signature_start(&lines).map_or(lines.len(), |(at, _)| at);
            // Its labelled lines were read above.
            let sentences: Vec<&str> = lines
                .get(..end)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|l| split_line(l).is_none())
                .collect();
            newer.extend(prose::corrections(&sentences));
        }
        signed_above.extend(signed);
    }
    // Several members, each under its own numbered heading ("CLIENT 1", "Member 2"): one record
    // each, sharing what is said outside them (the date, the referrer).
    let mut records: Vec<RawRecord> = records.into_iter().flat_map(split_members).collect();
    // No labelled lines anywhere: the newest part written as sentences, if it states a member.
    if records.is_empty() {
        let written = parts.iter().take(20).find_map(|part| {
            let lines: Vec<&str> = part
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('>'))
                .collect();
            let end = signature_start(&lines).map_or(lines.len(), |(at, _)| at);
            let mut entries = prose::read(lines.get(..end).unwrap_or_default());
            if !entries.is_empty() {
                entries.extend(signature(&lines));
            }
            (!entries.is_empty()).then_some(entries)
        });
        if let Some(mut entries) = written {
            entries.append(&mut newer);
            records.push(RawRecord { entries });
        }
    }
    RawDoc {
        kind: DocKind::EmailBody,
        records,
        text: String::new(),
    }
}

/// A heading for one of several members: "CLIENT 1", "Member #2", "Patient 3:", "Referral 2".
fn member_heading(section: &str) -> bool {
    let l = section.trim().trim_end_matches(':').to_lowercase();
    let mut words = l.split_whitespace();
    let (Some(party), Some(n), None) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    [
        "client",
        "member",
        "patient",
        "participant",
        "referral",
        "individual",
        "youth",
        "child",
        "student",
        "pupil",
        "resident",
        "beneficiary",
        "enrollee",
        "person",
        "consumer",
        "mbr",
        "pt",
    ]
    .contains(&party)
        && n.trim_start_matches('#').parse::<u8>().is_ok()
}

/// A line that is only a number marking the next member: "#2", "2.", "2)", "(2)".
fn member_number(line: &str) -> Option<u8> {
    let t = line.trim();
    let inner = t
        .strip_prefix('#')
        .or_else(|| t.strip_suffix(['.', ')']))
        .map(|n| n.trim_start_matches('('))
        .unwrap_or_default();
    inner.parse::<u8>().ok().filter(|n| (1..=20).contains(n))
}

/// A line that numbers a member and names them: "1) Mbr: Augustin Sample", "2. Client name:
/// …" — the number and the labelled rest. Only a label naming the person (a name, or the member
/// by one of their words), not a numbered question.
fn numbered_member_line(line: &str) -> Option<(u8, &str)> {
    let (marker, rest) = line.trim().split_once(' ')?;
    let n = member_number(marker)?;
    let rest = rest.trim();
    let (label, value) = split_line(rest)?;
    let l = label.to_lowercase();
    let person = l.split(|c: char| !c.is_alphanumeric()).any(|w| {
        [
            "name",
            "mbr",
            "member",
            "client",
            "patient",
            "pt",
            "resident",
            "participant",
        ]
        .contains(&w)
    });
    (person && label.split_whitespace().count() <= 3 && !value.is_empty() && !label.ends_with('?'))
        .then_some((n, rest))
}

/// One record per member section when a record holds two or more (see [`member_heading`]).
/// Entries outside them are shared; so are entries at the end of the last one whose labels the
/// first member's section does not have ("Referred by:" after the last member).
fn split_members(rec: RawRecord) -> Vec<RawRecord> {
    let mut heads: Vec<String> = Vec::new();
    for e in &rec.entries {
        if let Some(s) = e.section.as_ref().filter(|s| member_heading(s))
            && !heads.contains(s)
        {
            heads.push(s.clone());
        }
    }
    if heads.len() < 2 {
        return vec![rec];
    }
    let in_head = |e: &RawEntry, h: &str| e.section.as_deref() == Some(h);
    let first = heads.first().cloned().unwrap_or_default();
    let last = heads.last().cloned().unwrap_or_default();
    // Labels compared as words, a plural as its singular ("Services" under one member is the
    // "Service" of another).
    let label_key = |name: &str| {
        let l = name.trim().trim_end_matches(':').to_lowercase();
        l.strip_suffix('s').map(str::to_string).unwrap_or(l)
    };
    let first_labels: Vec<String> = rec
        .entries
        .iter()
        .filter(|e| in_head(e, &first))
        .map(|e| label_key(&e.name))
        .collect();
    // Members side by side (a table with a column each) take turns: every entry's member is
    // known, and there is no tail to guess.
    let order: Vec<&str> = rec
        .entries
        .iter()
        .filter_map(|e| e.section.as_deref().filter(|s| member_heading(s)))
        .collect();
    let interleaved = order.windows(2).filter(|w| w.first() != w.last()).count() >= heads.len();
    // From the first label in the last section that names the sender ("Referred by:",
    // "Referrer phone"), which the first section does not have: what follows it is theirs, not
    // the last member's.
    let sender_from = rec.entries.iter().enumerate().position(|(i, e)| {
        in_head(e, &last) && !first_labels.contains(&label_key(&e.name)) && names_sender(&e.name) && i > 0
    });
    // And the last member's own part ends at its last label the first section also has (the
    // sender's Phone below does not count): what comes between is shared ("Address (both):").
    let last_repeated = rec.entries.iter().enumerate().rposition(|(i, e)| {
        in_head(e, &last) && first_labels.contains(&label_key(&e.name)) && sender_from.is_none_or(|s| i < s)
    });
    let tail = |i: usize, e: &RawEntry| {
        in_head(e, &last)
            && ((!interleaved && last_repeated.is_some_and(|r| i > r)) || sender_from.is_some_and(|s| i >= s))
    };
    // The sender's block heads itself: its Phone is not the last member's.
    let sender_label = sender_from
        .and_then(|s| rec.entries.get(s))
        .map(|e| e.name.clone());
    let shared: Vec<RawEntry> = rec
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| !e.section.as_deref().is_some_and(member_heading) || tail(*i, e))
        .map(|(i, e)| {
            let mut e = e.clone();
            if sender_from.is_some_and(|s| i >= s) {
                e.section.clone_from(&sender_label);
            }
            e
        })
        .collect();
    heads
        .iter()
        .map(|h| {
            let mut entries: Vec<RawEntry> = rec
                .entries
                .iter()
                .enumerate()
                .filter(|(i, e)| in_head(e, h) && !tail(*i, e))
                .map(|(_, e)| e.clone())
                .collect();
            entries.extend(shared.iter().cloned());
            RawRecord { entries }
        })
        .collect()
}

/// A label naming the one who sends the referral: "Referred by", "Submitted by", "Referrer",
/// "Referring agency", "Case Manager".
fn names_sender(label: &str) -> bool {
    let l = label.trim().trim_end_matches(':').to_lowercase();
    l.ends_with(" by")
        || l.starts_with("referrer")
        || l.starts_with("referring")
        || super::heads_a_party_block(&l)
}

/// Splits a body at the separators mail programs put above a forwarded or quoted message.
fn forwarded_parts(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for line in text.lines().take(4000) {
        let t = line.trim();
        let separator = t.starts_with("-----Original Message")
            || t.starts_with("---------- Forwarded message")
            || t.starts_with("-------- Original Message")
            || t.starts_with("Begin forwarded message")
            || t.starts_with("________________");
        if separator || (t.starts_with("On ") && t.ends_with("wrote:")) {
            parts.push(String::new());
            quoted = false;
            continue;
        }
        // A reply quoting the referral with "> ": the quote is the part before it in time.
        let line = match t.strip_prefix('>') {
            Some(rest) => {
                if !quoted {
                    parts.push(String::new());
                    quoted = true;
                }
                rest.trim_start_matches(['>', ' '])
            }
            None => line,
        };
        if let Some(p) = parts.last_mut() {
            p.push_str(line);
            p.push('\n');
        }
    }
    parts
}

/// The header lines a mail program writes above a forwarded message.
const FORWARD_HEADERS: &[&str] = &["from", "sent", "to", "cc", "bcc", "subject", "date", "reply to"];

/// A part's labelled entries, how many lines were labelled, and its signature's entries (kept
/// apart: the signature of a note forwarding a referral is the forwarder's, not the referrer's).
fn read_part(text: &str, forwarded: bool) -> (Vec<RawEntry>, usize, Vec<RawEntry>) {
    let mut entries = Vec::new();
    let mut section: Option<String> = None;
    let mut labelled = 0usize;
    let mut in_headers = forwarded;
    let all: Vec<&str> = text.lines().map(str::trim).collect();
    let mut skip_next = false;
    let mut member_columns: Vec<String> = Vec::new();
    // Members one after another in paragraphs with no heading, each starting with the same label
    // ("Mbr: …" … blank line … "Mbr: …"): where the first one starts, its first label, and how
    // many there are so far.
    let mut first_block: Option<(usize, String)> = None;
    let mut members = 0usize;
    // The numbers of members named on their first line ("1) Mbr: …"), read once.
    let numbered: Vec<u8> = all
        .iter()
        .filter_map(|l| numbered_member_line(l))
        .map(|(n, _)| n)
        .collect();
    let signed_from = signature_start(&all).map(|(at, _)| at);
    let before_signature = |i: usize| signed_from.is_none_or(|at| i < at);
    for (i, line) in all.iter().copied().enumerate() {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if line.starts_with('>') {
            continue;
        }
        if line == "--" {
            break;
        }
        if line.is_empty() {
            in_headers = false;
            continue;
        }
        // A member's heading, alone on its line or set off with rules: "Member 1", "--- Client
        // 1 ---", "== Member 2 ==".
        let ruled = line.trim_matches(|c: char| "-=*#_ ".contains(c));
        if member_heading(ruled) {
            section = Some(ruled.to_string());
            continue;
        }
        // "1) Mbr: Augustin Sample" … "2) Mbr: Henrietta Sample": numbered members, each
        // starting with the line that names them.
        let line = match numbered_member_line(line) {
            Some((n, rest)) if numbered.iter().any(|m| *m != n) => {
                section = Some(format!("Member {n}"));
                rest
            }
            _ => line,
        };
        if in_headers
            && line
                .split_once(':')
                .is_some_and(|(l, _)| FORWARD_HEADERS.contains(&l.trim().to_lowercase().as_str()))
        {
            continue;
        }
        in_headers = false;
        // A table with one column per member ("| Member 1 | Member 2" over "Last name | Sample |
        // Example"): each row's cells are that label's value for each member.
        // The corner cell over the labels may name them ("Field", "Item") or be empty.
        let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
        let heads: Vec<&str> = cells
            .iter()
            .skip(usize::from(
                cells.len() >= 3 && cells.first().is_some_and(|c| !member_heading(c)),
            ))
            .copied()
            .filter(|c| !c.is_empty())
            .collect();
        if heads.len() >= 2 && heads.len() + 1 >= cells.len() && heads.iter().all(|h| member_heading(h)) {
            member_columns = heads.iter().map(|h| (*h).to_string()).collect();
            continue;
        }
        if !member_columns.is_empty() {
            match cells.split_first() {
                Some((label, values)) if values.len() == member_columns.len() && plausible_label(label) => {
                    labelled += 1;
                    for (head, value) in member_columns.iter().zip(values) {
                        if !value.is_empty() {
                            entries.push(entry(
                                *label,
                                &Some(head.clone()),
                                RawValue::Text((*value).to_string()),
                            ));
                        }
                    }
                    continue;
                }
                _ => member_columns.clear(),
            }
        }
        // A bulleted item ("- Adults at risk for LTC institutionalization") under a heading is
        // chosen, as a ticked box would be; a bulleted "Label: value" is that pair.
        let (bullet, line) = match line.strip_prefix(['-', '*', '•', '·', '–']) {
            Some(rest) if rest.starts_with(' ') => (true, rest.trim()),
            _ => (false, line),
        };
        if bullet && split_line(line).is_none() && tick_line(line).is_none() {
            entries.push(entry(line.to_string(), &section, RawValue::Checked(true)));
            continue;
        }
        if let Some((on, caption)) = tick_line(line) {
            entries.push(entry(caption, &section, RawValue::Checked(on)));
            continue;
        }
        // A label and its answer on the next line: a question ("3. What is the member's date
        // of birth?" / "08/25/1970"), or a two-line paragraph of a short label and its value
        // (an HTML body's "<b>Member's birthday</b><br>04/04/1999").
        if let Some((label, value)) = answer_below(&all, i) {
            labelled += 1;
            skip_next = true;
            entries.push(entry(label, &section, RawValue::Text(value)));
            continue;
        }
        // Several pairs on one line: a table row of label, value, label, value (an HTML table
        // turned into tab-separated cells), or `Label: value` pieces set apart by wide gaps.
        if let Some(pairs) = several_pairs(line) {
            for (label, value) in pairs {
                labelled += 1;
                entries.push(entry(label, &section, RawValue::Text(value)));
            }
            continue;
        }
        // "Both: Phone: 530-555-0116, Address: 600 A St, Davis, CA 95616, County: Yolo":
        // labelled pieces set apart by commas, a qualifier before them.
        if let Some(pairs) = comma_pairs(line) {
            for (label, value) in pairs {
                labelled += 1;
                entries.push(entry(label, &section, RawValue::Text(value)));
            }
            continue;
        }
        match split_line(line) {
            Some((label, value)) => {
                if value.is_empty() {
                    // "Member information:" heads what follows; "We do not have your form, so
                    // here are the details:" is a sentence, not a heading; a blank
                    // "Medi-Cal CIN:" is a field left empty.
                    if label.split_whitespace().count() <= 6 && !super::names_a_field(&label) {
                        section = Some(label);
                    }
                    continue;
                }
                let starts_paragraph = i == 0 || all.get(i - 1).is_some_and(|p| p.is_empty());
                let unheaded = section.is_none() || members > 0;
                if starts_paragraph && unheaded && label.split_whitespace().count() <= 4 {
                    match &first_block {
                        None if section.is_none() => {
                            first_block = Some((entries.len(), label.to_lowercase()))
                        }
                        Some((start, first))
                            if *first == label.to_lowercase() && entries.len() >= start + 3 =>
                        {
                            if members == 0 {
                                members = 1;
                                for e in entries.iter_mut().skip(*start).filter(|e| e.section.is_none()) {
                                    e.section = Some("Member 1".to_string());
                                }
                            }
                            members += 1;
                            section = Some(format!("Member {members}"));
                        }
                        _ => {}
                    }
                }
                labelled += 1;
                entries.push(entry(label, &section, RawValue::Text(value)));
            }
            None => {
                // The cheap shape test first; the paragraph's labelled lines are counted only
                // for a line that could be a colon-less pair.
                if let Some((label, value)) =
                    spaced_pair(line).filter(|_| before_signature(i) && beside_labelled(&all, i))
                {
                    labelled += 1;
                    entries.push(entry(label, &section, RawValue::Text(value)));
                } else if let Some(n) = member_number(line)
                    && all
                        .get(i + 1)
                        .is_some_and(|next| split_line(next).is_some_and(|(_, v)| !v.is_empty()))
                {
                    // "#2" alone over a member's labelled lines: the second member.
                    section = Some(format!("Member {n}"));
                } else if heading_like(line) || party_heading(&all, i) {
                    section = Some(line.to_string());
                } else if let Some((label, value)) = dated_sentence(line) {
                    labelled += 1;
                    entries.push(entry(label, &section, RawValue::Text(value)));
                }
            }
        }
    }
    let signed = signature(&all);
    (entries, labelled, signed)
}

/// Where the sender's signature starts: the line after a closing ("Thanks," "Thx" "Best
/// regards"), else the last paragraph when it starts with a person's name and gives a phone or
/// an email. Returns the index of the closing (or of the name) and of the signature's first line.
fn signature_start(lines: &[&str]) -> Option<(usize, usize)> {
    const CLOSINGS: &[&str] = &[
        "thanks",
        "thank you",
        "thanks so much",
        "thank you so much",
        "many thanks",
        "thanks again",
        "thanks in advance",
        "all the best",
        "best wishes",
        "thx",
        "best",
        "best regards",
        "regards",
        "sincerely",
        "respectfully",
        "cheers",
        "warm regards",
        "kind regards",
        "take care",
    ];
    let closing = lines.iter().rposition(|l| {
        let l = l.trim().trim_end_matches([',', '.', '!']).to_lowercase();
        // Or thanks said at more length: "Thank you very much", "Thanks a lot".
        CLOSINGS.contains(&l.as_str()) || (l.starts_with("thank") && l.split_whitespace().count() <= 4)
    });
    if let Some(at) = closing {
        // "Thank you!", a blank line, then the signature.
        let next = lines
            .iter()
            .enumerate()
            .skip(at + 1)
            .take(3)
            .find(|(_, l)| !l.trim().is_empty())
            .map_or(at + 1, |(i, _)| i);
        return Some((at, next));
    }
    let last = lines.iter().rposition(|l| !l.trim().is_empty())?;
    let first = lines
        .get(..=last)?
        .iter()
        .rposition(|l| l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let block = lines.get(first..=last)?;
    // The last paragraph starts with the signer, or ends with a "Referred by: Name" line and
    // the ways to reach them ("Referral date: ..." above it belongs to the referral).
    let by = block.iter().position(|l| l.contains(':') && signer(l).is_some());
    // Or it ends with a one-line signature under the text: "Gwen Example | 916-555-0136 | …".
    let one_line = || block.iter().rposition(|l| barred_signature(l).is_some());
    let start = if block.first().is_some_and(|l| signer(l).is_some()) && !party_heading(lines, first) {
        0
    } else {
        by.or_else(one_line)?
    };
    let signed = block.get(start..)?;
    let contact = signed.iter().skip(1).any(|l| contact_pieces(l).next().is_some());
    // Or the signer's title and organisation under the name ("Case Manager, Mt. Shasta Valley
    // Outreach"), the ways to reach them written in the text above.
    let affiliated = (2..=3).contains(&signed.len())
        && signed
            .iter()
            .skip(1)
            .any(|l| crate::normalize::organisation_in(l).is_some());
    let one_line = signed.first().is_some_and(|l| barred_signature(l).is_some());
    (signed.len() <= 5 && (contact || affiliated || one_line)).then_some((first + start, first + start))
}

/// The person a signature's first line names: "Pat Example, RN", or "Referred by: Pat Example".
fn signer(line: &str) -> Option<&str> {
    let l = line.trim();
    if l.len() >= 120 {
        return None;
    }
    let name = match l.split_once(':') {
        Some((label, rest)) => {
            let label = label.trim().to_lowercase();
            let by = [
                "referred by",
                "submitted by",
                "sent by",
                "completed by",
                "prepared by",
                "requested by",
                "referrer",
                "referring",
                "referring provider",
                "referring staff",
                "from",
                "contact",
            ];
            // "Referring officer:", "Referring case manager:" name the referrer as well.
            let referring = label.starts_with("referring ") || label.starts_with("referred ");
            if !by.contains(&label.as_str()) && !referring {
                return None;
            }
            rest.trim()
        }
        None => l,
    };
    // A badge or staff number after the name: "Ofc. Pat Example #4471".
    let name = match name.rsplit_once('#') {
        Some((person, number))
            if !number.trim().is_empty() && number.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            person.trim()
        }
        _ => name,
    };
    // "Ramona Example (daughter)": who they are to the member, after the name.
    let bare = if name.ends_with(')') {
        crate::normalize::split_parenthesised(name).0
    } else {
        name.to_string()
    };
    crate::normalize::led_by_person_name(bare.trim()).then_some(name)
}

/// The signer a one-line signature starts with, its ways of reaching them after it: "Gwen
/// Example | 916-555-0136 | gwen@example.org".
fn barred_signature(line: &str) -> Option<&str> {
    let (first, rest) = line.split_once('|')?;
    let name = first.trim();
    (contact_pieces(rest).next().is_some()
        && (2..=5).contains(&name.split_whitespace().count())
        && crate::normalize::led_by_person_name(name))
    .then_some(name)
}

/// The email addresses and phone numbers on a signature line: "Phone (805) 555-0188 |
/// name@example.org", "Office: 619.555.0193".
fn contact_pieces(line: &str) -> impl Iterator<Item = (super::Contact, &str)> {
    // "530-555-0188 / pat@example.org", "Tel 559-555-0140 - pat@example.org" too (spaced: a
    // phone's own hyphens are not).
    line.split(['|', '·', '•', '\u{2022}'])
        .flat_map(|piece| piece.split(" / "))
        .flat_map(|piece| piece.split(" - "))
        .map(|piece| {
            let piece = piece.trim();
            // A leading word or label: "Phone", "Office:", "Cell", "Email:", "Tel."
            match piece.split_once([':', ' ']) {
                Some((head, rest))
                    if head.chars().all(char::is_alphabetic) && super::contact_kind(piece).is_none() =>
                {
                    rest.trim()
                }
                _ => piece,
            }
        })
        .filter_map(|piece| super::contact_kind(piece).map(|k| (k, piece)))
}

/// The sender's signature (see [`signature_start`]): their name (before any ", title"),
/// organisation, phone and email, as the referrer's — the weakest of sources (labelled as a
/// "Referred by" line would be, so what the body says in fields comes first).
fn signature(lines: &[&str]) -> Vec<RawEntry> {
    let Some((_, start)) = signature_start(lines) else {
        return Vec::new();
    };
    let entry = |name: &str, value: &str| RawEntry {
        name: name.to_string(),
        alt: None,
        section: Some("Referred by".to_string()),
        value: RawValue::Text(value.trim().to_string()),
        confidence: None,
    };
    let mut out = Vec::new();
    let block = lines
        .iter()
        .skip(start)
        .map(|l| l.trim())
        .take_while(|l| !l.is_empty() && !l.to_lowercase().starts_with("sent from") && !l.starts_with("--"))
        .take(5);
    let mut named = false;
    for (i, l) in block.enumerate() {
        // "NPI 5678901237": ten digits, but the signer's provider number, not a phone.
        if let Some(npi) = l
            .strip_prefix("NPI")
            .map(|rest| rest.trim_start_matches([':', '#', ' ']).trim())
            .filter(|n| n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(entry("Referrer NPI", npi));
            continue;
        }
        let contacts: Vec<_> = contact_pieces(l).collect();
        if i == 0
            && let Some(name) = barred_signature(l)
        {
            out.push(entry("Referred by", name));
            named = true;
        }
        if !contacts.is_empty() {
            for (kind, piece) in contacts {
                let label = if kind == super::Contact::Email {
                    "Sender email"
                } else {
                    "Sender phone"
                };
                out.push(entry(label, piece));
            }
        } else if i == 0
            && let Some(l) = signer(l)
            && (2..=12).contains(&l.split_whitespace().count())
        {
            let (name, org) = crate::normalize::split_signed_name(l);
            let name = name.split(',').next().unwrap_or(&name).to_string();
            if (2..=5).contains(&name.split_whitespace().count()) {
                out.push(entry("Referred by", &name));
                named = true;
            }
            if let Some(org) = org {
                out.push(entry("Sender organization", &org));
            }
        } else if i > 0 && named && !l.contains(':') && !out.iter().any(|e| e.name == "Sender organization") {
            // The line under the name: their title or their organisation ("Social Worker, Placer
            // County Adult Protective Services").
            if let Some(org) = crate::normalize::organisation_in(l) {
                out.push(entry("Sender organization", &org));
            }
        }
    }
    out
}

/// The label at `lines[i]` with its answer on the line after it, when `lines[i]` is a question
/// (or a short label standing alone in a two-line paragraph) and the next line is a plain value.
fn answer_below(lines: &[&str], i: usize) -> Option<(String, String)> {
    let line = lines.get(i)?;
    let next = lines.get(i + 1).filter(|n| !n.is_empty())?;
    let plain_value = !next.ends_with('?')
        && split_line(next).is_none()
        && tick_line(next).is_none()
        && next.split_whitespace().count() <= 30;
    if !plain_value || split_line(line).is_some_and(|(_, v)| !v.is_empty()) {
        return None;
    }
    let words = line.split_whitespace().count();
    let question = line.ends_with('?') && (2..=20).contains(&words);
    let alone = i
        .checked_sub(1)
        .and_then(|p| lines.get(p))
        .is_none_or(|p| p.is_empty())
        && lines.get(i + 2).is_none_or(|n| n.is_empty());
    let short_label = alone
        && (1..=10).contains(&words)
        && !line.ends_with(['.', ',', '!', ':'])
        && line.chars().next().is_some_and(char::is_alphabetic);
    (question || short_label).then(|| (line.to_string(), next.to_string()))
}

/// An entry read from a body line, under the heading in force.
fn entry(name: impl Into<String>, section: &Option<String>, value: RawValue) -> RawEntry {
    RawEntry {
        name: name.into(),
        alt: None,
        section: section.clone(),
        value,
        confidence: None,
    }
}

/// A line's label and value: `Label: value`, a question and its answer (`What is the client's
/// date of birth? 7/7/1999`), or a table row turned into `Label<TAB>value`.
fn split_line(line: &str) -> Option<(String, String)> {
    let colon = line
        .split_once(':')
        // "Referring two siblings for ECM. Referral date: 12/02/2026": a sentence, then the
        // label; the label is what follows the sentence's end.
        .map(|(l, v)| match l.rsplit_once(". ") {
            Some((said, label))
                if said.split_whitespace().count() >= 2
                    && label.chars().next().is_some_and(char::is_uppercase)
                    && (1..=4).contains(&label.split_whitespace().count())
                    && super::names_a_field(label) =>
            {
                (label, v)
            }
            _ => (l, v),
        })
        .filter(|(l, _)| plausible_label(l))
        .map(|(l, v)| (l.trim().to_string(), v.trim().to_string()));
    let question = || {
        line.split_once("? ")
            .or_else(|| line.strip_suffix('?').map(|l| (l, "")))
            .filter(|(l, _)| plausible_label(l) && l.split_whitespace().count() >= 2)
            .map(|(l, v)| (format!("{}?", l.trim()), v.trim().to_string()))
    };
    let tabbed = || {
        let (l, v) = line.split_once('\t')?;
        let v = v.trim().trim_start_matches('\t').trim();
        (plausible_label(l) && !v.contains('\t'))
            .then(|| (l.trim().trim_end_matches(':').to_string(), v.to_string()))
    };
    // "D.O.B. 04/12/1997", "DOB 7/7/71": a short label naming a field, its colon left out, then
    // a date. Only a date: "Tel 559-555-0140" in a signature is the signer's, not a labelled line.
    let spaced = || {
        let at = line.find(|c: char| c.is_ascii_digit())?;
        let (l, v) = (line.get(..at)?.trim(), line.get(at..)?.trim());
        let squeezed: String = l.chars().filter(|c| *c != '.').collect();
        let dated = crate::normalize::parse_date(v, chrono::NaiveDate::MAX, false).is_ok_and(|d| d.is_some());
        (dated && l.split_whitespace().count() <= 3 && plausible_label(l) && super::names_a_field(&squeezed))
            .then(|| (l.to_string(), v.to_string()))
    };
    // "Medi-Cal # 94718830J", "Member ID# 1234": a short label ended by `#` instead of a colon,
    // then one number-like value.
    let numbered = || {
        let (l, v) = line.split_once('#')?;
        let (l, v) = (l.trim(), v.trim());
        let one_value = v.split_whitespace().count() == 1 && v.chars().any(|c| c.is_ascii_digit());
        (one_value && (1..=4).contains(&l.split_whitespace().count()) && plausible_label(l))
            .then(|| (format!("{l} #"), v.to_string()))
    };
    // "Referred by Nadia Sample, Case Manager": who sent it, the colon left out, then a name.
    let by = || {
        let lower = line.to_lowercase();
        let at = [
            "referred by ",
            "submitted by ",
            "completed by ",
            "prepared by ",
            "sent by ",
        ]
        .iter()
        .find(|p| lower.starts_with(**p))?
        .len();
        let (l, v) = (line.get(..at)?.trim(), line.get(at..)?.trim());
        v.starts_with(|c: char| c.is_uppercase())
            .then(|| (l.to_string(), v.to_string()))
    };
    colon
        .or_else(question)
        .or_else(tabbed)
        .or_else(spaced)
        .or_else(numbered)
        .or_else(by)
}

/// Whether `lines[i]` is in a paragraph (lines between blank ones) with at least two
/// `Label: value` lines.
fn beside_labelled(lines: &[&str], i: usize) -> bool {
    let blank = |l: &&str| l.trim().is_empty();
    let start = lines
        .get(..i)
        .and_then(|a| a.iter().rposition(blank))
        .map_or(0, |b| b + 1);
    let end = lines
        .get(i..)
        .and_then(|b| b.iter().position(blank))
        .map_or(lines.len(), |b| i + b);
    lines
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .filter(|l| split_line(l).is_some_and(|(_, v)| !v.is_empty()))
        .count()
        >= 2
}

/// "Ph 530-555-0125", "Addr 1418 Example Rd, Olivehurst CA 95961", "County Yuba": a label of a
/// word or two naming a field, its colon left out, then a short value — read only among
/// labelled lines and above the signature (where "Tel 559-555-0140" is the signer's).
fn spaced_pair(line: &str) -> Option<(String, String)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 2 || words.len() > 10 || line.ends_with('.') || line.contains(':') {
        return None;
    }
    (1..=2).find_map(|n| {
        let label = words.get(..n)?.join(" ");
        let value = words.get(n..)?.join(" ");
        let squeezed: String = label.chars().filter(|c| *c != '.').collect();
        let shaped = value.chars().any(|c| c.is_ascii_digit())
            || crate::normalize::CA_COUNTIES
                .iter()
                .any(|c| c.eq_ignore_ascii_case(value.trim()))
            || value.split_whitespace().count() == 1;
        (super::names_a_field(&squeezed)
            && !super::names_a_field(&value)
            && shaped
            && value.chars().next().is_some_and(|c| c.is_alphanumeric()))
        .then_some((label, value))
    })
}

/// `Label<TAB>value<TAB>Label<TAB>value` or `Label: value  Label: value`: each pair, when there
/// are at least two and every label is plausible.
fn several_pairs(line: &str) -> Option<Vec<(String, String)>> {
    let cells: Vec<&str> = line
        .split('\t')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if cells.len() >= 4 && cells.len().is_multiple_of(2) {
        let pairs: Vec<(String, String)> = cells
            .chunks(2)
            .filter_map(|p| match p {
                [l, v] if plausible_label(l) && super::looks_like_label(l) => {
                    Some((l.trim_end_matches(':').to_string(), (*v).to_string()))
                }
                _ => None,
            })
            .collect();
        return (pairs.len() * 2 == cells.len()).then_some(pairs);
    }
    // Pairs set two spaces apart or more ("Phone: 559-555-0194  Email: ..."); a piece without
    // its own label leaves the line to be read as one pair.
    let pieces: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.len() < 2 {
        return None;
    }
    let pairs: Vec<(String, String)> = pieces
        .iter()
        .filter_map(|p| {
            p.split_once(':')
                .filter(|(l, v)| plausible_label(l) && !v.trim().is_empty())
                .map(|(l, v)| (l.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    (pairs.len() == pieces.len()).then_some(pairs)
}

/// `Label: value, Label: value` pieces set apart by commas or semicolons (a value may hold
/// commas of its own: "Address: 600 A St, Davis, CA 95616"), at least two, each label a few
/// words naming a field; a qualifier may lead ("Both: Phone: ..."). The pairs, in order.
fn comma_pairs(line: &str) -> Option<Vec<(String, String)>> {
    // Each colon whose label (back to the last ", ", "; ", ": " or the line's start) names a
    // field: (where the label starts, where its value starts).
    let mut labels: Vec<(usize, usize, &str)> = Vec::new();
    for (at, _) in line.match_indices(':') {
        let head = line.get(..at)?;
        let start = [", ", "; ", ": "]
            .iter()
            .filter_map(|d| head.rfind(d).map(|p| p + d.len()))
            .max()
            .unwrap_or(0);
        let label = head.get(start..)?.trim();
        if (1..=4).contains(&label.split_whitespace().count())
            && plausible_label(label)
            && super::looks_like_label(label)
            && line.get(at + 1..).is_some_and(|r| r.starts_with(' '))
        {
            labels.push((start, at + 1, label));
        }
    }
    if labels.len() < 2 {
        return None;
    }
    // Before the first label, at most a short qualifier ended by its colon ("Both:").
    let lead = line.get(..labels.first()?.0)?.trim();
    let qualifier = lead.ends_with(':') && lead.split_whitespace().count() <= 2;
    if !(lead.is_empty() || qualifier) {
        return None;
    }
    let mut out = Vec::new();
    for (k, (_, from, label)) in labels.iter().enumerate() {
        let to = labels.get(k + 1).map_or(line.len(), |n| n.0);
        let value = line.get(*from..to)?.trim().trim_end_matches([',', ';']).trim();
        if value.is_empty() {
            return None;
        }
        out.push(((*label).to_string(), value.to_string()));
    }
    Some(out)
}

/// A labelled date in a sentence of running text ("... at our shelter. Referral date
/// 11/10/2026."): a sentence that is a short label naming a field and a date, colon or not.
fn dated_sentence(line: &str) -> Option<(String, String)> {
    line.split(". ").skip(1).find_map(|sentence| {
        let sentence = sentence.trim().trim_end_matches('.');
        let (label, value) = split_line(sentence)?;
        let dated =
            crate::normalize::parse_date(&value, chrono::NaiveDate::MAX, false).is_ok_and(|d| d.is_some());
        (dated && label.split_whitespace().count() <= 3 && super::names_a_field(&label))
            .then_some((label, value))
    })
}

/// A line that is a tick mark and its caption: `☒ Housing Deposits`, `[ ] Sobering Centers`.
fn tick_line(line: &str) -> Option<(bool, String)> {
    for (marks, on) in [(TICK_ON, true), (TICK_OFF, false)] {
        for m in marks {
            if let Some(rest) = line.strip_prefix(m) {
                let caption = rest.trim();
                if !caption.is_empty() && !caption.contains(':') {
                    return Some((on, caption.to_string()));
                }
            }
        }
    }
    None
}

/// A label starts with a letter, is not a URL or a time, and is at most a question long ("Is
/// the client currently receiving ECM services from another provider").
fn plausible_label(label: &str) -> bool {
    let l = label.trim();
    let words = l.split_whitespace().count();
    (1..=14).contains(&words)
        && l.len() <= 100
        && l.chars().next().is_some_and(|c| c.is_alphabetic())
        && !l.contains("http")
        && !l.ends_with(|c: char| c.is_ascii_digit())
        && !greeting(l)
}

/// A sentence opening with a greeting ("Hi - answering your question: yes, …", "Hello team:"),
/// which no form label does.
fn greeting(l: &str) -> bool {
    let first = l
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let lower = l.to_lowercase();
    ["hi", "hello", "hey", "dear", "greetings", "thanks", "thank"].contains(&first.as_str())
        || ["good morning", "good afternoon", "good evening"]
            .iter()
            .any(|g| lower.starts_with(g))
}

/// A short line naming whose data follows ("Member", "Referring Provider": an HTML table's
/// heading row) right over a labelled line: a heading, not a value or a signer.
fn party_heading(lines: &[&str], i: usize) -> bool {
    let Some(line) = lines.get(i).map(|l| l.trim()) else {
        return false;
    };
    (1..=4).contains(&line.split_whitespace().count())
        && !line.contains(':')
        && !line.chars().any(|c| c.is_ascii_digit())
        && !line.ends_with(['.', ',', '!', '?'])
        && super::names_a_party(line)
        && lines.get(i + 1).is_some_and(|next| {
            split_line(next).is_some_and(|(_, v)| !v.is_empty()) || several_pairs(next).is_some()
        })
}

/// A heading: short, and either all capitals or ending in "information"/"info".
fn heading_like(line: &str) -> bool {
    let words = line.split_whitespace().count();
    let letters: Vec<char> = line.chars().filter(|c| c.is_alphabetic()).collect();
    (1..=6).contains(&words)
        && !letters.is_empty()
        && (letters.iter().all(|c| c.is_uppercase()) || line.to_lowercase().ends_with("information"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry of every record as (label, value).
    fn pairs(doc: &RawDoc) -> Vec<(String, String)> {
        doc.records
            .iter()
            .flat_map(|r| r.entries.iter().map(|e| (e.name.clone(), e.value.as_text())))
            .collect()
    }

    /// Issue #8 (blind23): a short line naming a party over labelled lines (an HTML table's
    /// heading row "Referring Provider") heads them, it is not the signer's name; a label ended
    /// by `#` instead of a colon ("Medi-Cal # 94718830J") still labels its value.
    #[test]
    fn class23_a_party_heading_row_and_a_label_ended_by_a_hash() {
        let doc = extract_body(
            "Member\nName\tAnn Sample\nMedi-Cal # 94718830J\n\nReferring Provider\nName\tDr. Pat Example\n\
             Phone\t(909) 555-0170\n",
        );
        let e = &doc.records.first().expect("record").entries;
        let got: Vec<(Option<&str>, &str, String)> = e
            .iter()
            .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.as_text()))
            .collect();
        assert!(
            got.contains(&(Some("Member"), "Medi-Cal #", "94718830J".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&(Some("Referring Provider"), "Name", "Dr. Pat Example".into())),
            "{got:?}"
        );
        assert!(!got.iter().any(|(_, _, v)| v == "Referring Provider"), "{got:?}");
    }

    /// Issue #8 (blind88 26): one labelled line under a body's table of members ("Referred by:
    /// …" after an HTML table) is every row's: the table says it is a referral.
    #[test]
    fn class88_one_labelled_line_under_a_members_table_is_every_rows() {
        let doc = extract_body(
            "Hi, CS referral for meals below.\n\nClient\tDOB\tMedi-Cal ID\tPhone\n\
             Lucinda Fugazi\t\t91882601J\t707-555-0199\n\n\
             Referred by: Otto Bogusz, RD · Vallejo Renal Care · 707-555-0100\n",
        );
        assert_eq!(doc.records.len(), 1);
        let got = pairs(&doc);
        assert!(
            got.contains(&(
                "Referred by".into(),
                "Otto Bogusz, RD · Vallejo Renal Care · 707-555-0100".into()
            )),
            "{got:?}"
        );
        assert!(
            got.contains(&("Medi-Cal ID".into(), "91882601J".into())),
            "{got:?}"
        );
    }

    /// Issue #8 (blind87 22): a family member's letter "writing to ask for the meals program"
    /// asks for it as "requesting" would: the sentence is offered as the services requested.
    #[test]
    fn class87_a_letter_asking_for_a_program_names_what_is_requested() {
        let doc = extract_body(
            "Hello,\n\nI'm writing to ask for the meals program for my mother, Rosaura Fakeberry. She was born \
             March 5, 1950 and her Medi-Cal number is 92345678V. She lives at 2020 Fakefield Ave, Fresno, CA \
             93705 and her phone is (559) 555-0125.\n\nThank you,\nMarisela Fakeberry\n",
        );
        let got = pairs(&doc);
        assert!(
            got.iter()
                .any(|(l, v)| l.starts_with("Services requested") && v.contains("meals program")),
            "{got:?}"
        );
    }

    #[test]
    fn reads_labels_ticks_and_sections() {
        let doc = extract_body(
            "Hello,\n\nPlease see the referral below.\n\nMEMBER INFORMATION\nName: Jane Sample\nDOB: 01/05/1980\n\
             [X] Housing Deposits\n[ ] Sobering Centers\nReferrer:\nName: Rowan Placeholder\n\nThanks\n--\nSig: x\n",
        );
        let e = &doc.records.first().expect("record").entries;
        assert_eq!(e.len(), 5);
        assert_eq!(e[0].name, "Name");
        assert_eq!(e[0].section.as_deref(), Some("MEMBER INFORMATION"));
        assert_eq!(e[2].value, RawValue::Checked(true));
        assert_eq!(e[3].value, RawValue::Checked(false));
        assert_eq!(
            (e[4].name.as_str(), e[4].section.as_deref()),
            ("Name", Some("Referrer"))
        );
    }

    #[test]
    fn a_note_is_not_a_form() {
        assert!(
            extract_body("Please see attached.\n\nThanks,\nSam")
                .records
                .is_empty()
        );
        assert!(extract_body("Note: see attached").records.is_empty());
    }

    /// Issue #8 class 10: questions are labels (more than eight words), a forwarded chain is read
    /// past its separator when the newest text holds no referral, bulleted items are chosen.
    #[test]
    fn class10_questions_forwarded_chains_and_bullets() {
        let body = "Please process - forwarding from our line worker.\n\n                    -----Original Message-----\nFrom: W <w@x.example>\nSubject: ECM referral\n\n                    What is the client's date of birth? 7/7/1999\n                    Is the client currently receiving ECM services from another provider? No\n                    Population(s) of Focus:\n  - Adults at risk for LTC institutionalization\n                    Referring worker: Wendell Sample\n";
        let doc = extract_body(body);
        let entries = &doc.records.first().expect("a record").entries;
        let got: Vec<(&str, &RawValue)> = entries.iter().map(|e| (e.name.as_str(), &e.value)).collect();
        assert_eq!(
            got,
            vec![
                (
                    "What is the client's date of birth?",
                    &RawValue::Text("7/7/1999".into())
                ),
                (
                    "Is the client currently receiving ECM services from another provider?",
                    &RawValue::Text("No".into())
                ),
                (
                    "Adults at risk for LTC institutionalization",
                    &RawValue::Checked(true)
                ),
                ("Referring worker", &RawValue::Text("Wendell Sample".into())),
            ]
        );
        // The forward's own header lines are not read as labels.
        assert!(entries.iter().all(|e| e.name != "From" && e.name != "Subject"));
    }

    /// A reply above the quoted referral adds what the referral lacked, and the sender's
    /// signature names the referrer when no field does.
    #[test]
    fn reply_above_the_quote_and_the_signature() {
        let body = "Apologies, the CIN was left off. Here it is:\n\nCIN: 95588402Y\n\n\
                    ________________________________\nFrom: D <d@x.example>\nSubject: ECM Referral\n\n\
                    Member name: Ethel Sample\nMedi-Cal CIN:\nPhone: (530) 555-0137\n\n\
                    Thx\nJess Placeholder, CHW\nSutter-Yuba Promotores Collective\n530-555-0177\nSent from my iPhone\n";
        let doc = extract_body(body);
        let got: Vec<(String, String)> = doc
            .records
            .first()
            .expect("a record")
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect();
        let want: Vec<(String, String)> = [
            ("CIN", "95588402Y"),
            ("Member name", "Ethel Sample"),
            ("Phone", "(530) 555-0137"),
            ("Referred by", "Jess Placeholder"),
            ("Sender organization", "Sutter-Yuba Promotores Collective"),
            ("Sender phone", "530-555-0177"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    /// Issue #8 (blind26): a daughter's note with labelled lines, a need written out ("What she
    /// needs: meals delivered (medically tailored meals) and home modifications") and her
    /// signature with no closing line, "(daughter)" after her name.
    #[test]
    fn class26_a_need_written_out_and_a_relatives_signature() {
        let body = "Hello,\n\nMy mother came home from the hospital. She has Kaiser Medi-Cal.\n\n\
                    Name: Guadalupe Example\nMedi-Cal #: 97778889S\nPhone: 925-555-0107\n\
                    What she needs: meals delivered (medically tailored meals) and home modifications (grab bars)\n\n\
                    You can reach me any time.\n\nRamona Example (daughter)\n925-555-0171\nramona@example.org\n";
        let doc = extract_body(body);
        let got: Vec<(String, String)> = doc
            .records
            .first()
            .expect("a record")
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect();
        assert!(
            got.iter()
                .any(|(n, v)| n == "Referred by" && v.starts_with("Ramona Example")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(n, v)| n.starts_with("Services requested") && v.contains("medically tailored meals")),
            "{got:?}"
        );
    }

    /// Issue #8 (blind29): a terse note whose labels lost their colons among labelled lines
    /// ("Ph 530-555-0125", "Addr …", "County Yuba"); the signature's phone stays the signer's.
    #[test]
    fn class29_labels_without_colons_among_labelled_lines() {
        let body = "ECM referral pls.\n\nPt: Sample, Lorna\nD.O.B 5-Jan-1958\nCIN # 96012877U\n\
                    Ph 530-555-0125\nAddr 1418 Example Ellis Rd, Olivehurst CA 95961\nCounty Yuba\n\
                    Dx: CHF, COPD, lives alone.\n\nThanks,\nNathaniel Example, PA-C\nTel 530-555-0194\n";
        let doc = extract_body(body);
        let got: Vec<(String, String)> = doc
            .records
            .first()
            .expect("a record")
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect();
        for want in [
            ("Ph", "530-555-0125"),
            ("Addr", "1418 Example Ellis Rd, Olivehurst CA 95961"),
            ("County", "Yuba"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        assert!(!got.iter().any(|(n, _)| n == "Tel"), "{got:?}");
    }

    /// Issue #8 (blind28): the referrer replies above her own quoted referral; the signature
    /// over her organisation and phone is hers ("Referrer: Harriet Example" below), so they are
    /// the referrer's. A forwarder's signature still is not (`class10_quoted_replies_…`).
    #[test]
    fn class28_the_referrers_own_signature_above_her_quoted_referral() {
        let body = "Yes - she is enrolled in ECM with our team. Details below as requested.\n\n\
                    Thanks,\nHarriet Example, LMFT\nYolo County Health & Human Services - Adult BH\n530-555-0163\n\n\
                    -----Original Message-----\nFrom: Harriet Example <h@x.example>\nSubject: CHW request\n\n\
                    Member Name: Philomena Sample\nDOB: 08/16/1977\nReferrer: Harriet Example\n\
                    Referrer Email: h@x.example\n";
        let doc = extract_body(body);
        let got: Vec<(String, String)> = doc
            .records
            .first()
            .expect("a record")
            .entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect();
        assert!(
            got.contains(&("Sender phone".to_string(), "530-555-0163".to_string())),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(n, v)| n == "Sender organization" && v.starts_with("Yolo County")),
            "{got:?}"
        );
    }

    #[test]
    fn class10_quoted_replies_unsigned_signatures_and_prose() {
        // The referral quoted with "> " under a short reply is read.
        let doc = extract_body(
            "Resending, no answer yet.\n\nLucinda\n\nOn Wed, Oct 21, 2026 at 7:02 PM Lucinda <l@example.org> wrote:\n\
             > Member: Jane Sample\n> Date of birth: 01/12/2004\n> Medi-Cal CIN: 94567120V\n",
        );
        let names: Vec<String> = doc
            .records
            .iter()
            .flat_map(|r| r.entries.iter().map(|e| e.name.clone()))
            .collect();
        assert!(names.contains(&"Medi-Cal CIN".to_string()), "{names:?}");
        // A signature with no closing line: the last paragraph, led by a name, with a phone.
        let lines = [
            "Please let me know if you need anything else.",
            "",
            "Pat Example, RN Care Coordinator - Example Health",
            "Phone (805) 555-0188 | pexample@example.org",
        ];
        let got: Vec<(String, String)> = signature(&lines)
            .into_iter()
            .map(|e| (e.name, e.value.as_text()))
            .collect();
        assert_eq!(
            got,
            [
                ("Referred by", "Pat Example"),
                ("Sender organization", "Example Health"),
                ("Sender phone", "(805) 555-0188"),
                ("Sender email", "pexample@example.org"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        // A forwarding note's signature is the forwarder's: not carried into the referral.
        let doc = extract_body(
            "Please process.\n\nRuth Forwarder | Program Specialist | Example County SSA\n510-555-0290\n\n\
             -----Original Message-----\nFrom: W <w@example.org>\n\nClient Name: Jane Sample\nDOB: 02/02/1972\n\
             Referring worker: Wendell Example\n",
        );
        let values: Vec<String> = doc
            .records
            .iter()
            .flat_map(|r| r.entries.iter().map(|e| e.value.as_text()))
            .collect();
        assert!(!values.iter().any(|v| v.contains("Ruth")), "{values:?}");
        // A referral written as sentences.
        let doc = extract_body(
            "Hi,\n\nOur patient Jane Sampleton (DOB 09/02/1983) is being discharged and I'd like to refer her \
             for ECM. Her phone number is 619-555-0149.\n\nPat Example, LCSW - Example Hospital\nOffice: 619.555.0193\n",
        );
        let names: Vec<String> = doc
            .records
            .iter()
            .flat_map(|r| r.entries.iter().map(|e| e.name.clone()))
            .collect();
        assert!(
            names.contains(&"Date of birth (in the text)".to_string()),
            "{names:?}"
        );
        assert!(names.contains(&"Sender organization".to_string()), "{names:?}");
    }

    #[test]
    fn class40_comma_separated_pairs_and_a_dated_sentence() {
        assert_eq!(
            comma_pairs(
                "Both: Phone: 530-555-0116 (mother), Address: 600 A St, Davis, CA 95616, County: Yolo"
            ),
            Some(vec![
                ("Phone".into(), "530-555-0116 (mother)".into()),
                ("Address".into(), "600 A St, Davis, CA 95616".into()),
                ("County".into(), "Yolo".into())
            ])
        );
        // One label, or a sentence before the labels, is not this shape.
        assert_eq!(comma_pairs("Address: 600 A St, Davis, CA 95616"), None);
        assert_eq!(
            comma_pairs("Please call me back at: Phone: 530-555-0116, County: Yolo"),
            None
        );
        assert_eq!(
            dated_sentence("Referring two youth staying at our shelter. Referral date 11/10/2026."),
            Some(("Referral date".into(), "11/10/2026".into()))
        );
        assert_eq!(
            dated_sentence("They moved here. Last year 11/10/2026 was hard."),
            None
        );
    }

    #[test]
    fn class42_a_number_alone_heads_each_member() {
        let body = "Two referrals.\n\n#1\nClient Name: Octavia Sample\nDOB: 1/30/1985\nCIN: 92345678N\n\n#2\nClient Name: Barnabas Sample\nDOB: 11/5/1961\nCIN: 92345679P\n\nReferrer: Ferdinand Example\n";
        let doc = extract_body(body);
        assert_eq!(doc.records.len(), 2, "{:?}", doc.records);
        assert_eq!(member_number("#2"), Some(2));
        assert_eq!(member_number("3."), Some(3));
        assert_eq!(member_number("(1)"), Some(1));
        assert_eq!(member_number("2026."), None);
    }

    #[test]
    fn class44_numbered_members_each_named_on_their_first_line() {
        let body = "Two referrals.\n\n1) Mbr: Augustin Sample\n   DOB: 03/03/1977\n   CIN: 94949494Z\n\n2) Mbr: Henrietta Sample\n   CIN: 94848484A\n\nReferrer: Nadia Example\n";
        assert_eq!(extract_body(body).records.len(), 2);
        assert_eq!(
            numbered_member_line("2) Mbr: Henrietta Sample"),
            Some((2, "Mbr: Henrietta Sample"))
        );
        // Numbered questions are no members.
        assert_eq!(
            numbered_member_line("1. What is the client's date of birth? 7/7/1999"),
            None
        );
        let questions = "1. Client name: Pat Sample\n2. Date of birth: 7/7/1999\n3. CIN: 94949494Z\n";
        assert_eq!(extract_body(questions).records.len(), 1);
    }

    /// Issue #8 (blind51, blind52): thanks at more length closes a letter ("Thank you very
    /// much,"), and members headed by another word for them ("STUDENT 2") are two members.
    #[test]
    fn class51_thanks_at_length_and_members_headed_student() {
        let closed = [
            "Phone: 909-555-0122",
            "",
            "Thank you very much,",
            "Graciela Ruiz (Mateo's mom)",
        ];
        assert_eq!(signature_start(&closed).map(|(_, s)| s), Some(3));
        let body = "Date: 11/18/2026\n\nSTUDENT 1\nName: Ximena Falsetto\nDOB: 02/11/2012\nCIN: 98700231U\n\n\
                    STUDENT 2\nName: Mateo Falsetto\nDOB: 06/30/2009\nCIN: 98700298V\n\n\
                    Referrer: Hyacinth Fakemore, RN\nPhone: 916-555-0180\n";
        assert_eq!(extract_body(body).records.len(), 2);
        assert!(member_heading("Student 2") && member_heading("PERSON #1"));
        assert!(!member_heading("Section 2"));
    }

    #[test]
    fn class45_a_signature_alone_and_longer_closings() {
        let lines = [
            "Hi, two meal referrals attached.",
            "",
            "Ondine Sample",
            "Care Navigator, Southeast Example Food Bank",
            "osample@foodbank.example",
        ];
        let names: Vec<String> = signature(&lines).into_iter().map(|e| e.name).collect();
        assert!(names.contains(&"Referred by".to_string()), "{names:?}");
        let closed = [
            "Name: Pat Sample",
            "CIN: 91234567A",
            "",
            "Thanks so much,",
            "Tess Example",
            "(707) 555-0186",
        ];
        assert_eq!(signature_start(&closed).map(|(_, s)| s), Some(4));
    }

    #[test]
    fn class10_several_pairs_on_a_line() {
        assert_eq!(
            several_pairs("Member Name\tJane Sample\tDOB\t2/14/1998"),
            Some(vec![
                ("Member Name".into(), "Jane Sample".into()),
                ("DOB".into(), "2/14/1998".into())
            ])
        );
        assert_eq!(
            several_pairs("Phone: 714-555-0198   E-mail: pexample@example.org"),
            Some(vec![
                ("Phone".into(), "714-555-0198".into()),
                ("E-mail".into(), "pexample@example.org".into())
            ])
        );
        // Issue #8 (blind39): two spaces apart are enough between labelled pairs; an address
        // with two spaces inside it stays one value.
        assert_eq!(
            several_pairs("Phone: 559-555-0194  Email: t@example.org"),
            Some(vec![
                ("Phone".into(), "559-555-0194".into()),
                ("Email".into(), "t@example.org".into())
            ])
        );
        assert_eq!(several_pairs("Address: 12 Main St  Apt 4"), None);
        // A sentence with wide spacing, or a row of values, is not pairs.
        assert_eq!(several_pairs("Thanks,   see you soon"), None);
        assert_eq!(several_pairs("Sample\tJane\t91234567A\t555-0100"), None);
    }

    #[test]
    fn class10_two_members_under_numbered_headings() {
        let doc = extract_body(
            "Date: 11/06/2026\n\nCLIENT 1\nName: Jane Sample\nCIN: 93947702E\n\nCLIENT 2\nName: Pat Example\n\
             CIN: 94288319A\n\nReferred by: Clementine Sample\nExample Meals - Client Services\n415-555-0192\n",
        );
        assert_eq!(doc.records.len(), 2);
        for (r, member) in doc.records.iter().zip(["Jane Sample", "Pat Example"]) {
            let got: Vec<(String, String)> = r
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect();
            assert!(got.contains(&("Name".into(), member.into())), "{got:?}");
            assert!(got.contains(&("Date".into(), "11/06/2026".into())), "{got:?}");
            assert!(
                got.contains(&("Referred by".into(), "Clementine Sample".into())),
                "{got:?}"
            );
            assert!(
                got.contains(&("Sender organization".into(), "Example Meals".into())),
                "{got:?}"
            );
            assert_eq!(got.iter().filter(|(n, _)| n == "Name").count(), 1, "{got:?}");
        }
    }

    /// Issue #8 (blind37): "Referred by Nadia Sample, Case Manager" with its colon left out
    /// names the sender, as "Referred by:" does.
    #[test]
    fn class37_referred_by_without_its_colon() {
        let doc = extract_body(
            "ECM referral\n\nClient: Ptolemy Sample\nCIN: 91234567A\nCounty: Yolo\n\n\
             Referred by Nadia Sample, Case Manager\nYolo Example Care\nnadia@example.org\n",
        );
        let got = pairs(&doc);
        assert!(
            got.contains(&("Referred by".into(), "Nadia Sample, Case Manager".into())),
            "{got:?}"
        );
        // A sentence is not a label: "Referred by mistake" starts with no name.
        let doc = extract_body("Client: Pat Sample\nCIN: 91234567A\n\nreferred by mistake, sorry\n");
        assert!(
            !pairs(&doc).iter().any(|(n, _)| n == "referred by"),
            "{:?}",
            pairs(&doc)
        );
    }

    /// Issue #8 (blind36): a case manager's block after the last of two members, repeating a
    /// member label (Phone), is both members' — "Case Manager:" names the sender as "Referred by:"
    /// does.
    #[test]
    fn class36_a_case_managers_block_after_the_last_member_is_shared() {
        let doc = extract_body(
            "MEMBER 1\nName: Dorian Sample\nCIN: 94455667V\nPhone: (213) 555-0151\nPOF: Homeless\n\n\
             MEMBER 2\nName: Winnifred Sample\nCIN: 94455668W\nAddress: 545 S Example St\nPOF: Homeless\n\n\
             Case Manager: Barnaby Example\nOrg: Example Hope Shelter\nPhone: 213-555-0190\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            let got: Vec<(String, String)> = r
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect();
            assert!(
                got.contains(&("Case Manager".into(), "Barnaby Example".into())),
                "{got:?}"
            );
            assert!(got.contains(&("Phone".into(), "213-555-0190".into())), "{got:?}");
        }
    }

    /// Lines between the last member and the sender's block that the first member's section does
    /// not have ("Address (both):", "County:") are both members', even when the sender's block
    /// repeats a member label (Phone).
    #[test]
    fn class10_lines_between_the_last_member_and_the_sender_are_shared() {
        let doc = extract_body(
            "--- Member 1 ---\nName: Jane Sample\nCIN: 93947702E\nPhone: 510-555-0171\n\n\
             --- Member 2 ---\nName: Pat Sample\nCIN: 94288319A\nPhone: 510-555-0172\n\n\
             Address (both): 1 Example St, Oakland, CA 94608\nCounty: Alameda\n\n\
             Referrer: Clementine Example\nPhone: 510-555-0190\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            let names: Vec<&str> = r.entries.iter().map(|e| e.name.as_str()).collect();
            assert!(names.contains(&"Address (both)"), "{names:?}");
            assert!(names.contains(&"County"), "{names:?}");
            assert_eq!(names.iter().filter(|n| **n == "Name").count(), 1, "{names:?}");
        }
    }

    /// A "Referring:" line closing a reply, with the organisation and a "phone / email" line
    /// under it, is the sender's block.
    #[test]
    fn class10_a_referring_line_with_organisation_and_phone_slash_email_under_it() {
        let doc = extract_body(
            "Sorry, forgot the details. Here they are:\n\nMember: Jane Sample\nCIN: 93947702E\n\
             County: Butte\n\nReferring: Pat Example, MSW\nExample Peer Support\n\
             530-555-0188 / pat@peers.example\n",
        );
        let got = pairs(&doc);
        for want in [
            ("Sender organization", "Example Peer Support"),
            ("Sender phone", "530-555-0188"),
            ("Sender email", "pat@peers.example"),
        ] {
            assert!(got.contains(&(want.0.into(), want.1.into())), "{want:?}: {got:?}");
        }
    }

    /// A sentence asking for a service around labelled lines that list none is what is asked
    /// for; when a labelled line lists it, the sentence adds nothing.
    #[test]
    fn class10_a_sentence_asks_for_what_no_labelled_line_lists() {
        let asked = |body: &str| -> Vec<String> {
            extract_body(body)
                .records
                .iter()
                .flat_map(|r| r.entries.iter())
                .filter(|e| e.name == "Services requested (in the text)")
                .map(|e| e.value.as_text())
                .collect()
        };
        let sentence = "Requesting Community Transition Services for the resident below.\n\n";
        let lines = "Resident: Jane Sample\nCIN: 93947702E\nCounty: Kings\n";
        assert_eq!(
            asked(&format!("{sentence}{lines}")),
            vec!["Requesting Community Transition Services for the resident below."]
        );
        assert!(
            asked(&format!(
                "{sentence}{lines}Service requested: Medically Tailored Meals\n"
            ))
            .is_empty()
        );
    }

    /// "Both are KP Medi-Cal members." in a sentence above the members' labelled lines says so
    /// for each of them.
    #[test]
    fn class10_a_sentence_saying_the_members_are_kps_holds_for_each() {
        let doc = extract_body(
            "I am referring two siblings for ECM. Both are KP Medi-Cal members.\n\n\
             MEMBER 1\nName: Jane Sample\nCIN: 93947702E\n\nMEMBER 2\nName: Pat Example\nCIN: 94288319A\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            assert!(
                r.entries
                    .iter()
                    .any(|e| e.name == "Kaiser Permanente member (in the text)" && e.value.as_text() == "Yes"),
                "{:?}",
                r.entries
            );
        }
    }

    /// The sender's block after the last member repeats a label the first member has (Phone):
    /// it is still the sender's, from its "Referred by" line on, for every member.
    #[test]
    fn class10_a_referred_by_block_after_the_last_member_with_its_own_phone() {
        let doc = extract_body(
            "MEMBER 1\nName: Jane Sample\nCIN: 93947702E\nPhone: 916-555-0102\n\n\
             MEMBER 2\nName: Pat Example\nCIN: 94288319A\nAddress: 1 Main St, Sacramento, CA 95814\n\n\
             Referred by: Clementine Sample\nAgency: Example Shelter\nPhone: 916-555-0195\n\
             Email: csample@example.org\nConsent: Yes (both members signed)\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            let got: Vec<(String, String)> = r
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect();
            for want in [
                ("Referred by", "Clementine Sample"),
                ("Phone", "916-555-0195"),
                ("Agency", "Example Shelter"),
            ] {
                assert!(
                    got.contains(&(want.0.into(), want.1.into())),
                    "{want:?} in {got:?}"
                );
            }
        }
    }

    /// Whether record `r` of `doc` has an entry `name` with the text `value`.
    fn holds(doc: &RawDoc, r: usize, name: &str, value: &str) -> bool {
        doc.records.get(r).is_some_and(|r| {
            r.entries
                .iter()
                .any(|e| e.name == name && e.value.as_text() == value)
        })
    }

    /// Issue #8 (blind62): labelled lines answering for two members at once, split at bars
    /// ("DOB: 02/14/1990 | 08/30/2018"): a referral each, the lines after them shared.
    #[test]
    fn class62_members_answered_side_by_side_on_labelled_lines() {
        let doc = extract_body(
            "Referral date: 11/18/2026\n\nMember name: Araceli Example | Mateo Example\n\
             DOB: 02/14/1990 | 08/30/2018\nMedi-Cal CIN: 93006421V | 93006422W\n\
             City: Fresno | Fresno\n\nReferrer: Benedikt Example\nPhone: (559) 555-0183\n",
        );
        assert_eq!(doc.records.len(), 2, "{:?}", doc.records);
        let has = |r: usize, name: &str, value: &str| holds(&doc, r, name, value);
        assert!(has(0, "DOB", "02/14/1990"));
        assert!(has(1, "Medi-Cal CIN", "93006422W"));
        assert!(has(1, "Referrer", "Benedikt Example"));
        // One line with a bar in its answer is no pair of members.
        assert!(members_side_by_side("Name: Ann Example\nServices: Meals | Respite\n").is_none());
    }

    /// Issue #8 (blind60): a table of members typed with bars (or an HTML table's rows), a
    /// member to a row under a header row: a referral per row, the sender's lines under it shared
    /// by each, and nothing of the table read as sentences.
    #[test]
    fn class60_a_table_of_members_one_to_a_row() {
        let doc = extract_body(
            "Please accept the two ECM referrals below.\n\n\
             Name | DOB | CIN | Phone | Population of Focus\n\
             Sample, Bao | 10/10/1980 | 91112223C | 714-555-0151 | Experiencing homelessness\n\
             Example, Itzel | 2008-05-15 | 91112224D | 714-555-0152 | Birth equity\n\n\
             Referring provider: Anselm Example\nPhone: 714-555-0188\n",
        );
        assert_eq!(doc.records.len(), 2, "{:?}", doc.records);
        let has = |r: usize, name: &str, value: &str| holds(&doc, r, name, value);
        assert!(has(0, "CIN", "91112223C"));
        assert!(has(1, "CIN", "91112224D"));
        assert!(has(1, "Population of Focus", "Birth equity"));
        assert!(has(0, "Referring provider", "Anselm Example"));
        assert!(has(1, "Referring provider", "Anselm Example"));
        // A signature split at bars is no table of members.
        let signed = extract_body(
            "Referral below.\nName: Bao Sample\nDOB: 10/10/1980\n\n\
             Jane Example | Case Manager | Example Clinic\nOffice | Fax | Email\n\
             714-555-0100 | 714-555-0101 | jane@example.org\n",
        );
        assert_eq!(signed.records.len(), 1);
        assert!(
            signed
                .records
                .iter()
                .flat_map(|r| &r.entries)
                .any(|e| e.name == "DOB")
        );
        // Two labels over values on one line are no table: the lines reader takes them.
        let form = extract_body("Name | DOB | CIN\nBao Sample | 10/10/1980 | 91112223C\n");
        assert!(form.records.len() <= 1);
    }

    /// An HTML table with one column per member: each member its own referral, the lines
    /// under the table (the sender's) shared.
    #[test]
    fn class10_a_table_with_one_column_per_member() {
        let doc = extract_body(
            "Please accept these two.\n\tMember 1\tMember 2\nLast name\tSample\tExample\n\
             First name\tJane\tPat\nCIN\t93947702E\t94288319A\nPhone\t\t209-555-0109\n\n\
             Referred by: Clementine Sample\nPhone: 209-555-0166\n",
        );
        assert_eq!(doc.records.len(), 2);
        let got: Vec<Vec<(String, String)>> = doc
            .records
            .iter()
            .map(|r| {
                r.entries
                    .iter()
                    .map(|e| (e.name.clone(), e.value.as_text()))
                    .collect()
            })
            .collect();
        assert!(got[0].contains(&("First name".into(), "Jane".into())), "{got:?}");
        assert!(got[1].contains(&("First name".into(), "Pat".into())), "{got:?}");
        assert!(got[1].contains(&("CIN".into(), "94288319A".into())), "{got:?}");
        assert!(
            !got[0].iter().any(|(n, v)| n == "Phone" && v == "209-555-0109"),
            "{got:?}"
        );
        for r in &got {
            assert!(
                r.contains(&("Referred by".into(), "Clementine Sample".into())),
                "{got:?}"
            );
        }
    }

    /// Issue #8 (blind68): a one-line signature under the text ("Gwen Example | 916-555-0136 |
    /// gwen@…") names the sender and how to reach them.
    #[test]
    fn class68_a_one_line_signature_under_the_text() {
        let got: Vec<(String, String)> = signature(&[
            "Hello - two meal referrals from Sierra Sample Meals on Wheels.",
            "Gwen Example | 916-555-0136 | gexample@meals.example",
        ])
        .into_iter()
        .map(|e| (e.name, e.value.as_text()))
        .collect();
        assert!(
            got.contains(&("Referred by".into(), "Gwen Example".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Sender phone".into(), "916-555-0136".into())),
            "{got:?}"
        );
        assert!(
            signature(&[
                "Please see the attached.",
                "Thanks for your help | we appreciate it"
            ])
            .is_empty()
        );
    }

    /// Issue #8 (blind66): an HTML table with a column per member whose corner cell names the
    /// labels ("Field | Member 1 | Member 2") is read as one without it.
    #[test]
    fn class66_a_member_table_with_a_corner_heading() {
        let doc = extract_body(
            "Please accept the two referrals below.\nField\tMember 1\tMember 2\n\
             Patient Name\tObadiah Fakerson\tYesenia Ejemplar\nDOB\t04/01/1966\t09/09/1999\n\
             CIN\t91110001A\t91110002B\n\nReferring provider: Lionel Example, MD\n",
        );
        assert_eq!(doc.records.len(), 2);
        let cin = |i: usize| {
            doc.records.get(i).and_then(|r| {
                r.entries
                    .iter()
                    .find(|e| e.name == "CIN")
                    .map(|e| e.value.as_text())
            })
        };
        assert_eq!(cin(0).as_deref(), Some("91110001A"));
        assert_eq!(cin(1).as_deref(), Some("91110002B"));
    }

    /// A prose referral signed with a name over "Title, Organisation" — the phone and email
    /// written in the text above — is signed by the referrer.
    #[test]
    fn class10_a_signature_of_name_over_title_and_organisation() {
        let doc = extract_body(
            "Hello,\n\nI'd like to refer Rosalind Sample for Enhanced Care Management. She was born on \
             March 5, 1961 and her Medi-Cal CIN is 91928374M.\n\nYou can reach me at 530-555-0158.\n\n\
             Barnaby Example\nCase Manager, Mt. Shasta Valley Outreach (sample)\n",
        );
        let got = pairs(&doc);
        assert!(got.iter().any(|(_, v)| v == "Barnaby Example"), "{got:?}");
        assert!(
            got.iter().any(|(_, v)| v.contains("Mt. Shasta Valley Outreach")),
            "{got:?}"
        );
    }

    /// A prose referral whose writer takes care of their mother is referred by family.
    #[test]
    fn class10_a_writer_caring_for_their_mother_is_family() {
        let doc = extract_body(
            "Hello,\n\nMy name is Pat Sample and I take care of my mother, Jane Sample, full time. She was \
             born on March 5, 1941; her Medi-Cal number is 90412377F. She lives with me at 12 Example \
             Dr, Elk Grove, CA 95758.\n\nThank you,\nPat Sample\n",
        );
        let got = pairs(&doc);
        assert!(
            got.contains(&(
                "Referrer relationship (in the text)".into(),
                "Family member".into()
            )),
            "{got:?}"
        );
    }

    /// "We are asking for 2 hours to start" asks for hours; "both are KP Medi-Cal members" says
    /// the members are KP's.
    #[test]
    fn class10_prose_hours_to_start_and_members_of_kp_in_the_plural() {
        let doc = extract_body(
            "Hello,\n\nI'd like to refer Marisol Sample (DOB 6/14/1988) for CHW services. She lives at \
             12 Example St, Visalia, CA 93291 and her phone number is 559-555-0100. We are asking for \
             2 hours to start. She and her sister are both KP Medi-Cal members.\n\nThank you,\nPat Example\n",
        );
        let got = pairs(&doc);
        assert!(
            got.contains(&("CHW hours requested (in the text)".into(), "2".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Kaiser Permanente member (in the text)".into(), "Yes".into())),
            "{got:?}"
        );
    }

    /// Issue #8 (blind73): "Referring two siblings for ECM. Referral date: 12/02/2026" — a
    /// sentence, then a label on the same line: the label is what follows the sentence.
    #[test]
    fn class73_a_label_after_a_sentence_on_its_line() {
        assert_eq!(
            split_line("Referring two siblings for ECM. Referral date: 12/02/2026"),
            Some(("Referral date".into(), "12/02/2026".into()))
        );
        // A label with a dot of its own stays whole.
        assert_eq!(
            split_line("D.O.B.: 5/14/2007"),
            Some(("D.O.B.".into(), "5/14/2007".into()))
        );
    }

    /// Issue #8 (blind75): a forwarder's note naming the member's plan "Kaiser Permanente
    /// Medi-Cal" names it whole, as the labelled line it stands over writes it.
    #[test]
    fn class75_a_plan_named_in_a_note_keeps_its_medi_cal() {
        let doc = extract_body(
            "Hello KP team,\n\nForwarding below - this member's plan is Kaiser Permanente Medi-Cal, \
             not ours.\n\nThanks,\nEzra Example\n\n-----Original Message-----\nFrom: Cordelia Example \
             <c@example.org>\nSubject: ECM referral\n\nMember Name: Barnaby Sample\nDOB: 08/08/1955\n\
             CIN: 96667788H\nHealth Plan: Kaiser Permanente Medi-Cal\n",
        );
        let got = pairs(&doc);
        assert!(
            got.iter()
                .filter(|(n, _)| n.to_lowercase().starts_with("health plan"))
                .all(|(_, v)| v == "Kaiser Permanente Medi-Cal"),
            "{got:?}"
        );
    }

    /// A prose CHW request: "currently enrolled in ECM" and "6 hours of CHW services" are read,
    /// and an "NPI 5678901237" line under the signer is their NPI, not a phone.
    #[test]
    fn class10_prose_enrolment_in_ecm_chw_hours_and_a_signed_npi() {
        let doc = extract_body(
            "Hello,\n\nI'm writing to request Community Health Worker services for our patient Marisol \
             Sample, born 6/14/1988, Medi-Cal CIN 95780012Q. We are requesting 6 hours of CHW services.\n\n\
             Please note she is currently enrolled in ECM with Visalia Care Partners.\n\nThanks,\n\
             Rogelio Example, MD\nNPI 5678901237\nExample Family Clinic\n559-555-0179\n",
        );
        let got = pairs(&doc);
        assert!(
            got.contains(&("Currently enrolled in ECM (in the text)".into(), "Yes".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("CHW hours requested (in the text)".into(), "6".into())),
            "{got:?}"
        );
        assert!(
            !got.iter().any(|(n, _)| n.starts_with("Health plan")),
            "ECM is no plan: {got:?}"
        );
        assert!(
            got.contains(&("Referrer NPI".into(), "5678901237".into())),
            "{got:?}"
        );
        assert!(
            !got.iter()
                .any(|(n, v)| n == "Sender phone" && v.contains("5678901237")),
            "{got:?}"
        );
    }

    /// A reply's first line with a colon in it is a sentence when it opens with a greeting.
    #[test]
    fn class10_a_greeting_with_a_colon_is_not_a_label() {
        assert_eq!(
            split_line("Hi - answering your question: yes, she is enrolled."),
            None
        );
        assert_eq!(split_line("Hello team: see below"), None);
        assert_eq!(
            split_line("Hire date: 11/02/2026"),
            Some(("Hire date".into(), "11/02/2026".into()))
        );
    }

    #[test]
    fn class10_plain_member_headings_and_a_referred_by_block_under_the_date() {
        let doc = extract_body(
            "Please accept these two referrals.\n\nMember 1\nName: Jane Sample\nCIN: 93947702E\n\n\
             Member 2\nName: Pat Example\nCIN: 94288319A\n\nReferral date: 12/11/2026\n\
             Referred by: Clementine Sample, Program Coordinator\nExample Senior Nutrition\n\
             530-555-0198 | csample@example.org\n",
        );
        assert_eq!(doc.records.len(), 2);
        for (r, member) in doc.records.iter().zip(["Jane Sample", "Pat Example"]) {
            let got: Vec<(String, String)> = r
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect();
            assert!(got.contains(&("Name".into(), member.into())), "{got:?}");
            assert!(
                got.contains(&("Sender phone".into(), "530-555-0198".into())),
                "{got:?}"
            );
            assert!(
                got.contains(&("Sender email".into(), "csample@example.org".into())),
                "{got:?}"
            );
        }
    }

    #[test]
    fn class10_the_writer_of_a_labelled_body_named_only_in_its_sentences() {
        let doc = extract_body(
            "My name is Annie Sample and I am writing to refer my mother for respite care.\n\n\
             Her details:\nName: Jane Sample\nDate of birth: 11/02/1944\nPhone: 209-555-0136\n\n\
             She agrees to this referral. You can reach me at 209-555-0196 or by replying.\n",
        );
        let got = pairs(&doc);
        for want in [
            ("Referred by (in the text)", "Annie Sample"),
            ("Referrer phone (in the text)", "209-555-0196"),
            ("Referrer relationship (in the text)", "Family member"),
        ] {
            let want = (want.0.to_string(), want.1.to_string());
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
        assert!(
            !got.iter()
                .any(|(n, v)| n.starts_with("Referrer phone") && v == "209-555-0136")
        );
    }

    /// Issue #8 (blind76): "My name is Beatriz Sample (daughter), 209-555-0186,
    /// bea@example.com" under the member's labelled lines: the writer, their phone, email and
    /// relationship.
    #[test]
    fn class76_my_name_is_then_how_to_reach_me() {
        let doc = extract_body(
            "Hi,\n\nMy mom just came home from the hospital. Her info is below.\n\n\
             Name: Consuelo Sample\nBirthday: 5-Jan-1950\nMedi-Cal #: 97712288R\nPhone: 209.555.0129\n\n\
             My name is Beatriz Sample (daughter), 209-555-0186, bea.sample@example.com\n\nThank you,\nBea\n",
        );
        let got = pairs(&doc);
        for want in [
            ("Referred by (in the text)", "Beatriz Sample"),
            ("Referrer phone (in the text)", "209-555-0186"),
            ("Referrer email (in the text)", "bea.sample@example.com"),
            ("Referrer relationship (in the text)", "Family member"),
        ] {
            let want = (want.0.to_string(), want.1.to_string());
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
    }

    #[test]
    fn class10_a_reply_correcting_the_quoted_referral_in_a_sentence() {
        let doc = extract_body(
            "Sorry - the member's cell phone is (714) 555-0132.\n\nOn Mon, Oct 26, 2026 KP wrote:\n\
             > Member Last Name: Sample\n> Date of Birth: 12/12/1990\n> Member Phone:\n",
        );
        let got = pairs(&doc);
        assert!(
            got.contains(&("Member phone (in the text)".into(), "(714) 555-0132".into())),
            "{got:?}"
        );
    }

    #[test]
    fn class10_members_under_ruled_headings_and_consent_in_a_sentence() {
        let doc = extract_body(
            "Referring two guests. Both consented.\n\n--- Client 1 ---\nName: Jane Sample\nCIN: 97455120W\n\n\
             --- Client 2 ---\nName: Pat Example\nCIN: 97455121X\n\nReferrer: Phoebe Sample\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            let got: Vec<(String, String)> = r
                .entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect();
            assert!(
                got.contains(&("Member consent (in the text)".into(), "Yes".into())),
                "{got:?}"
            );
            assert!(
                got.contains(&("Referrer".into(), "Phoebe Sample".into())),
                "{got:?}"
            );
        }
    }

    /// "D.O.B. 04/12/1997" among labelled lines is a label whose colon was left out; a
    /// signature's "Tel 559-555-0140" is still the signer's, not a labelled line.
    #[test]
    fn class10_a_date_after_a_label_without_its_colon() {
        let doc = extract_body(
            "Patient Name: Amara Sample\nD.O.B. 04/12/1997\nKP MRN: 11223344\nCounty: Madera\n\n\
             Pat Example, Director\nExample Clinic\nTel 559-555-0140 - pat@example.org\n",
        );
        let p = pairs(&doc);
        assert!(p.contains(&("D.O.B.".into(), "04/12/1997".into())), "{p:?}");
        assert!(!p.iter().any(|(l, _)| l == "Tel"), "{p:?}");
    }

    /// A closing, a blank line, then the signature: the signer is still the referrer.
    #[test]
    fn class10_a_blank_line_between_the_closing_and_the_signature() {
        let doc = extract_body(
            "Client: SAMPLE, Pat\nDOB: 3/8/85\nCIN: 93456781T\n\nThank you!\n\n\
             Yusuf Example | Reentry Navigator\nExample Second Chance Collective\n510-555-0147 | yusuf@example.org\n",
        );
        let p = pairs(&doc);
        assert!(
            p.contains(&("Referred by".into(), "Yusuf Example".into())),
            "{p:?}"
        );
        assert!(
            p.contains(&("Sender phone".into(), "510-555-0147".into())),
            "{p:?}"
        );
    }

    /// "Consent obtained from both members" in a sentence above two members holds for each.
    #[test]
    fn class10_consent_obtained_in_a_sentence() {
        let doc = extract_body(
            "Consent obtained from both members.\n\nMEMBER 1\nName: Jane Sample\nCIN: 97455120W\n\n\
             MEMBER 2\nName: Pat Example\nCIN: 97455121X\n\nReferred by: Phoebe Sample\n",
        );
        assert_eq!(doc.records.len(), 2);
        for r in &doc.records {
            let yes = r
                .entries
                .iter()
                .any(|e| e.name.contains("consent") && e.value.as_text() == "Yes");
            assert!(yes, "{:?}", r.entries);
        }
    }

    /// A relative who writes in prose: "I am her daughter", "my mother's caregiver"; "she agrees
    /// to this" is consent.
    #[test]
    fn class10_a_relative_writing_in_prose_and_consent_to_this() {
        let doc = extract_body(
            "Hello,\n\nI'm writing to ask for respite for me as my mother's caregiver. My mother, Rosa \
             Sample, has dementia. Her Medi-Cal number is 90011222K. Her phone is 707-555-0131.\n\n\
             I am her daughter and she agrees to this. Please call me at 707-555-0132.\n\nThank you,\nThea Sample\n",
        );
        let p = pairs(&doc);
        assert!(
            p.iter()
                .any(|(l, v)| l.contains("relationship") && v == "Family member"),
            "{p:?}"
        );
        assert!(
            p.iter().any(|(l, v)| l.contains("consent") && v == "Yes"),
            "{p:?}"
        );
    }

    /// Issue #8 (blind25): "Referring officer: Ofc. Pat Example #4471" over the officer's
    /// department and email heads a signature block like "Referred by:" does: the badge number
    /// is not the name, a police department is an organisation.
    #[test]
    fn class25_a_referring_officer_block_with_a_badge_number() {
        let doc = extract_body(
            "CS Referral\n\nPt name: Quimby, Dexter\nCounty: Ventura\n\n\
             Referring officer: Ofc. Pat Example #4471\nOxnard PD (sample)\nTel: 805-555-0191\n\
             pexample@pd.example\n",
        );
        let got = pairs(&doc);
        for want in [
            ("Referred by", "Ofc. Pat Example"),
            ("Sender organization", "Oxnard PD (sample)"),
            ("Sender email", "pexample@pd.example"),
        ] {
            assert!(got.contains(&(want.0.into(), want.1.into())), "{want:?}: {got:?}");
        }
    }

    /// Issue #8 (blind26): members one after another in paragraphs with no heading, each starting
    /// with the same label ("Mbr: …" blank line "Mbr: …"), are two members, sharing the
    /// referrer's block after them.
    #[test]
    fn class26_members_in_paragraphs_starting_with_the_same_label() {
        let doc = extract_body(
            "Two clients, both agreed to ECM.\n\nMbr: Pat Example\nDOB: 10/10/1975\nCIN: 99990001U\n\
             County: Santa Clara\n\nMbr: Lee Sample\nDOB: 03/03/1961\nCIN: 90001112V\nCounty: Monterey\n\n\
             Referrer: Augustin Example\nPhone: 408-555-0177\n",
        );
        assert_eq!(doc.records.len(), 2, "{:?}", doc.records);
        let names: Vec<Vec<(String, String)>> = doc
            .records
            .iter()
            .map(|r| {
                r.entries
                    .iter()
                    .map(|e| (e.name.clone(), e.value.as_text()))
                    .filter(|(n, _)| n == "Mbr" || n == "Referrer")
                    .collect()
            })
            .collect();
        assert_eq!(
            names,
            vec![
                vec![
                    ("Mbr".to_string(), "Pat Example".to_string()),
                    ("Referrer".to_string(), "Augustin Example".to_string())
                ],
                vec![
                    ("Mbr".to_string(), "Lee Sample".to_string()),
                    ("Referrer".to_string(), "Augustin Example".to_string())
                ],
            ]
        );
        // One member's paragraphs (a second "Note:" paragraph) are not two members.
        let one = extract_body(
            "Mbr: Pat Example\nDOB: 10/10/1975\nCIN: 99990001U\n\nNote: call first\n\nNote: evenings\n",
        );
        assert_eq!(one.records.len(), 1);
    }
}
