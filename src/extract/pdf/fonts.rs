//! Fonts for the text-layer walker: turning the bytes of a shown string into Unicode text and
//! glyph advances.
//!
//! Order of trust for the text of a glyph: the font's `/ToUnicode` CMap (our own small
//! `bfchar`/`bfrange` reader, so it wins over `/Encoding` and works per code), then the
//! ZapfDingbats built-in encoding (tick marks), then the simple font's `/Encoding` via lopdf
//! (WinAnsi, MacRoman, Standard, `/Differences`). Widths come from `/Widths` (simple fonts),
//! `/W` + `/DW` (composite fonts), else the standard-14 metrics in [`super::metrics`], else a
//! typical 0.5 em. Widths only decide where a run ends, so small errors are harmless.
//!
//! Invariant: a malformed font never fails the page; the worst outcome is missing text.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Encoding, Object};

use super::Budget;
use super::metrics;

/// One decoded glyph: its text (may be empty when unmappable), advance in thousandths of an
/// em, and whether it is the single-byte space that word spacing (`Tw`) applies to.
pub(super) struct Glyph {
    pub text: String,
    pub width: f32,
    pub is_space: bool,
}

/// A font prepared for decoding.
pub(super) struct Font<'a> {
    /// Bytes per character code: 1 for simple fonts, from the CMap for composite ones.
    code_len: usize,
    to_unicode: Option<CMap>,
    encoding: Option<Encoding<'a>>,
    zapf: bool,
    widths: Widths,
}

enum Widths {
    /// `/FirstChar` + `/Widths`, with the width for codes outside the table.
    Simple {
        first: u32,
        widths: Vec<f32>,
        missing: f32,
    },
    /// `/W` expanded, with `/DW`.
    Composite { map: HashMap<u32, f32>, default: f32 },
    /// Standard-14 metrics for codes 32..=126, with a default.
    Builtin {
        table: Option<&'static [u16; 95]>,
        default: f32,
    },
}

fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

fn get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| deref(doc, o))
}

impl<'a> Font<'a> {
    /// Prepares `dict` (a `/Font` resource). Never fails: unknown parts fall back to defaults.
    /// Only a `/ToUnicode` stream over the remaining budget is an error.
    pub fn load(
        doc: &'a Document,
        dict: &'a Dictionary,
        budget: &mut Budget,
    ) -> Result<Self, super::LimitHit> {
        let subtype = get(doc, dict, b"Subtype")
            .and_then(|o| o.as_name().ok())
            .unwrap_or(b"");
        let base = get(doc, dict, b"BaseFont")
            .and_then(|o| o.as_name().ok())
            .unwrap_or(b"");
        let base = String::from_utf8_lossy(base);
        // Subset fonts are named `ABCDEF+RealName`.
        let base = base.split_once('+').map_or(base.as_ref(), |(_, b)| b).to_string();
        let composite = subtype == b"Type0";

        let to_unicode = match get(doc, dict, b"ToUnicode").and_then(|o| o.as_stream().ok()) {
            Some(s) => Some(CMap::parse(&budget.decode(s)?)),
            None => None,
        };
        let code_len = if composite {
            to_unicode.as_ref().and_then(|c| c.code_len).unwrap_or(2)
        } else {
            1
        };
        let zapf = base.contains("ZapfDingbats") || base.contains("Dingbats");
        let encoding = if composite || zapf {
            None
        } else {
            dict.get_font_encoding_with_limit(doc, budget.remaining()).ok()
        };
        let widths = if composite {
            composite_widths(doc, dict)
        } else {
            simple_widths(doc, dict, &base)
        };
        Ok(Font {
            code_len,
            to_unicode,
            encoding,
            zapf,
            widths,
        })
    }

    /// Decodes a shown string into glyphs.
    pub fn glyphs(&self, bytes: &[u8], out: &mut Vec<Glyph>) {
        for chunk in bytes.chunks(self.code_len.max(1)) {
            let code = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            let text = self.text_of(code, chunk);
            out.push(Glyph {
                text,
                width: self.width_of(code),
                is_space: chunk.len() == 1 && code == 32,
            });
        }
    }

    fn text_of(&self, code: u32, chunk: &[u8]) -> String {
        if let Some(t) = self.to_unicode.as_ref().and_then(|c| c.get(code, chunk.len())) {
            return t;
        }
        if self.zapf {
            return zapf_char(code).map(String::from).unwrap_or_default();
        }
        if let Some(enc) = &self.encoding
            && let Ok(s) = enc.bytes_to_string(chunk)
            && !s.is_empty()
        {
            return s;
        }
        if chunk.len() == 1 && (32..127).contains(&code) {
            // No usable encoding: ASCII is the best guess for a simple font.
            return char::from_u32(code).map(String::from).unwrap_or_default();
        }
        String::new()
    }

    fn width_of(&self, code: u32) -> f32 {
        match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
            } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize))
                .copied()
                .unwrap_or(*missing),
            Widths::Composite { map, default } => map.get(&code).copied().unwrap_or(*default),
            Widths::Builtin { table, default } => table
                .and_then(|t| code.checked_sub(32).and_then(|i| t.get(i as usize)))
                .map_or(*default, |w| f32::from(*w)),
        }
    }
}

fn simple_widths(doc: &Document, dict: &Dictionary, base: &str) -> Widths {
    let first = get(doc, dict, b"FirstChar").and_then(num).unwrap_or(0.0).max(0.0) as u32;
    if let Some(arr) = get(doc, dict, b"Widths").and_then(|o| o.as_array().ok()) {
        let widths = arr
            .iter()
            .map(|o| deref(doc, o).and_then(num).unwrap_or(0.0))
            .collect();
        let missing = get(doc, dict, b"FontDescriptor")
            .and_then(|o| o.as_dict().ok())
            .and_then(|fd| get(doc, fd, b"MissingWidth"))
            .and_then(num)
            .filter(|w| *w > 0.0)
            .unwrap_or(500.0);
        return Widths::Simple {
            first,
            widths,
            missing,
        };
    }
    let (table, default) = metrics::builtin(base);
    Widths::Builtin { table, default }
}

fn composite_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let desc = get(doc, dict, b"DescendantFonts")
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_dict().ok());
    let Some(desc) = desc else {
        return Widths::Composite {
            map: HashMap::new(),
            default: 1000.0,
        };
    };
    let default = get(doc, desc, b"DW").and_then(num).unwrap_or(1000.0);
    let mut map = HashMap::new();
    // Bounded so a hostile `/W` range cannot allocate without limit.
    const MAX_ENTRIES: usize = 65_536;
    if let Some(w) = get(doc, desc, b"W").and_then(|o| o.as_array().ok()) {
        let mut items = w.iter().filter_map(|o| deref(doc, o));
        while let Some(start) = items.next().and_then(num) {
            let start = start.max(0.0) as u32;
            match items.next() {
                Some(Object::Array(ws)) => {
                    for (i, o) in ws.iter().enumerate() {
                        if map.len() >= MAX_ENTRIES {
                            break;
                        }
                        if let Some(v) = deref(doc, o).and_then(num) {
                            map.insert(start.saturating_add(i as u32), v);
                        }
                    }
                }
                Some(end) => {
                    let (Some(end), Some(v)) = (num(end), items.next().and_then(num)) else {
                        break;
                    };
                    let end = (end.max(0.0) as u32).min(start.saturating_add(MAX_ENTRIES as u32));
                    for c in start..=end {
                        if map.len() >= MAX_ENTRIES {
                            break;
                        }
                        map.insert(c, v);
                    }
                }
                None => break,
            }
        }
    }
    Widths::Composite { map, default }
}

/// The ZapfDingbats glyphs that forms use as ticks and boxes (built-in font encoding).
fn zapf_char(code: u32) -> Option<&'static str> {
    Some(match code {
        0x33 => "✓",
        0x34 => "✔",
        0x35 => "✕",
        0x36 => "✖",
        0x37 => "✗",
        0x38 => "✘",
        0x6C => "●",
        0x6D => "❍",
        0x6E => "■",
        0x6F => "❏",
        0x70 => "❐",
        0x71 => "❑",
        0x72 => "❒",
        0x75 => "◆",
        0x20 => " ",
        _ => return None,
    })
}

/// A parsed `/ToUnicode` CMap: `bfchar` entries and `bfrange` ranges.
pub(super) struct CMap {
    chars: HashMap<(u32, usize), String>,
    ranges: Vec<Range>,
    /// Byte length of codes from the first `codespacerange`, when given.
    code_len: Option<usize>,
}

struct Range {
    lo: u32,
    hi: u32,
    len: usize,
    target: RangeTarget,
}

enum RangeTarget {
    /// UTF-16 units of the first code's text; the last unit is incremented along the range.
    Start(Vec<u16>),
    /// One text per code.
    List(Vec<String>),
}

#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Hex(Vec<u8>),
    Word(&'a [u8]),
    Open,
    Close,
}

fn tokens(data: &[u8]) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        match b {
            b'%' => {
                while data.get(i).is_some_and(|c| *c != b'\n' && *c != b'\r') {
                    i += 1;
                }
            }
            b'<' if data.get(i + 1) == Some(&b'<') => i += 2,
            b'>' if data.get(i + 1) == Some(&b'>') => i += 2,
            b'<' => {
                let start = i + 1;
                let end = data.get(start..).and_then(|d| d.iter().position(|c| *c == b'>'));
                let Some(end) = end.map(|e| start + e) else { break };
                let digits: Vec<u8> = data
                    .get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| (*c as char).to_digit(16).map(|d| d as u8))
                    .collect();
                let bytes = digits
                    .chunks(2)
                    .map(|p| p.iter().fold(0u8, |a, d| (a << 4) | d))
                    .collect();
                out.push(Tok::Hex(bytes));
                i = end + 1;
            }
            b'[' => {
                out.push(Tok::Open);
                i += 1;
            }
            b']' => {
                out.push(Tok::Close);
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while data
                    .get(i)
                    .is_some_and(|c| !c.is_ascii_whitespace() && !b"<>[]%/(".contains(c) || i == start)
                {
                    i += 1;
                }
                out.push(Tok::Word(data.get(start..i).unwrap_or_default()));
            }
        }
    }
    out
}

fn code_of(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
}

fn utf16(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|p| p.iter().fold(0u16, |a, b| (a << 8) | u16::from(*b)))
        .collect()
}

impl CMap {
    /// Reads `bfchar`, `bfrange` and the first `codespacerange`. Unknown syntax is skipped.
    pub fn parse(data: &[u8]) -> CMap {
        let toks = tokens(data);
        let mut cmap = CMap {
            chars: HashMap::new(),
            ranges: Vec::new(),
            code_len: None,
        };
        let mut i = 0;
        let at = |i: usize| toks.get(i);
        while let Some(t) = at(i) {
            i += 1;
            match t {
                Tok::Word(b"begincodespacerange") => {
                    if let Some(Tok::Hex(lo)) = at(i)
                        && cmap.code_len.is_none()
                        && !lo.is_empty()
                    {
                        cmap.code_len = Some(lo.len().min(4));
                    }
                }
                Tok::Word(b"beginbfchar") => {
                    while let (Some(Tok::Hex(src)), Some(Tok::Hex(dst))) = (at(i), at(i + 1)) {
                        cmap.chars
                            .insert((code_of(src), src.len()), String::from_utf16_lossy(&utf16(dst)));
                        i += 2;
                    }
                }
                Tok::Word(b"beginbfrange") => {
                    while let (Some(Tok::Hex(lo)), Some(Tok::Hex(hi))) = (at(i), at(i + 1)) {
                        let (lo_c, hi_c, len) = (code_of(lo), code_of(hi), lo.len());
                        match at(i + 2) {
                            Some(Tok::Hex(dst)) => {
                                let target = RangeTarget::Start(utf16(dst));
                                cmap.ranges.push(Range {
                                    lo: lo_c,
                                    hi: hi_c,
                                    len,
                                    target,
                                });
                                i += 3;
                            }
                            Some(Tok::Open) => {
                                i += 3;
                                let mut list = Vec::new();
                                while let Some(Tok::Hex(d)) = at(i) {
                                    list.push(String::from_utf16_lossy(&utf16(d)));
                                    i += 1;
                                }
                                if at(i) == Some(&Tok::Close) {
                                    i += 1;
                                }
                                cmap.ranges.push(Range {
                                    lo: lo_c,
                                    hi: hi_c,
                                    len,
                                    target: RangeTarget::List(list),
                                });
                            }
                            _ => break,
                        }
                    }
                }
                _ => {}
            }
        }
        cmap
    }

    /// The text for `code` of `len` bytes, if mapped.
    pub fn get(&self, code: u32, len: usize) -> Option<String> {
        if let Some(s) = self.chars.get(&(code, len)) {
            return Some(s.clone());
        }
        let r = self
            .ranges
            .iter()
            .find(|r| r.len == len && r.lo <= code && code <= r.hi)?;
        let off = code - r.lo;
        match &r.target {
            RangeTarget::Start(units) => {
                let mut units = units.clone();
                let last = units.last_mut()?;
                *last = last.wrapping_add(off as u16);
                Some(String::from_utf16_lossy(&units))
            }
            RangeTarget::List(list) => list.get(off as usize).cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_reads_bfchar_and_both_bfrange_forms() {
        let cmap = CMap::parse(
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
              1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              2 beginbfchar <0003> <0020> <0011> <2612> endbfchar\n\
              2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<00E9> <D83DDE00>] endbfrange\n\
              endcmap",
        );
        assert_eq!(cmap.code_len, Some(2));
        assert_eq!(cmap.get(0x0003, 2).as_deref(), Some(" "));
        assert_eq!(cmap.get(0x0011, 2).as_deref(), Some("☒"));
        assert_eq!(cmap.get(0x0025, 2).as_deref(), Some("B"));
        assert_eq!(cmap.get(0x0031, 2).as_deref(), Some("😀"));
        assert_eq!(cmap.get(0x0027, 2), None);
        // Same code with a different byte length is a different code.
        assert_eq!(cmap.get(0x0003, 1), None);
    }

    #[test]
    fn cmap_garbage_does_not_panic() {
        let cmap = CMap::parse(b"beginbfrange <00> [ <41 endbfrange beginbfchar <01>");
        assert_eq!(cmap.get(1, 1), None);
    }

    #[test]
    fn zapf_ticks_map_to_unicode() {
        assert_eq!(zapf_char(u32::from(b'4')), Some("✔"));
        assert_eq!(zapf_char(u32::from(b'n')), Some("■"));
        assert_eq!(zapf_char(u32::from(b'q')), Some("❑"));
    }
}
