//! A second reading of the words the engine was unsure of.
//!
//! In sparse mode (`--psm 11`) Tesseract reads every word of a form on its own, without the
//! line around it, and now and then gives a plainly printed word a confidence of 0–50 or cuts
//! it into two overlapping boxes, each with confidence 0 (`Dummer` + `ly`). Such a value is
//! doubtful, so it is never used: the referral goes to review or is asked for a field its form
//! holds. Read again on its own, as a line of its own (where the engine's language model sees
//! the whole word and the line's own letter size), the same pixels usually come out right and
//! sure.
//!
//! So the doubtful words of a page (overlapping pieces on one engine line taken together) are
//! cut out of the page, a margin of paper around each, and laid on a white strip far enough
//! apart that no two are read as one; the engine reads the strip twice, the crops stacked in a
//! column (`--psm 6`, each its own line) and side by side in a row (`--psm 7`, one line), and
//! each crop's surer reading replaces the first one when it is sure (at least
//! [`super::DOUBT_BELOW`]). A reading that is still doubtful changes nothing: the value stays
//! doubtful and keeps going to review.

use std::path::Path;

use image::{GrayImage, Luma};

use super::engine::{self, RunLimits, Word};

/// Most doubtful words read again on one page (one strip, one engine run).
const MAX_WORDS: usize = 60;
/// Tesseract's page segmentation for one uniform block of text (here: a column of crops).
const SINGLE_BLOCK: u8 = 6;
/// Tesseract's page segmentation for a single line of text (here: a row of crops).
const SINGLE_LINE: u8 = 7;

/// How the crops are laid out on the strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    /// One under another: each crop a line of its own.
    Column,
    /// Side by side: one line.
    Row,
}

/// A doubtful word, or overlapping doubtful pieces of one: the indices of its words and their
/// box on the page.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    words: Vec<usize>,
    left: u32,
    top: u32,
    right: u32,
    bottom: u32,
}

/// The page's words with the doubtful ones read again: each crop read surely replaces its words
/// by one word with the new text and confidence (pieces become one word). The crops are read
/// twice, once stacked in a column (each a line of its own, `--psm 6`) and once side by side in
/// a row (one line, `--psm 7`, where the engine sizes the letters over all of them), and the
/// surer of the two readings counts: each way misses words the other reads. Any failure of an
/// engine run leaves its readings out.
pub fn reread(
    engine_path: &Path,
    languages: &str,
    page: &GrayImage,
    words: Vec<Word>,
    limits: &RunLimits,
) -> Vec<Word> {
    let groups = doubtful_groups(&words);
    if groups.is_empty() {
        return words;
    }
    let started = std::time::Instant::now();
    let mut best: Vec<Option<(String, f32)>> = vec![None; groups.len()];
    for stack in [Stack::Column, Stack::Row] {
        let left = limits.wall.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let (strip, spans) = strip_of(page, &groups, &words, stack);
        let psm = match stack {
            Stack::Column => SINGLE_BLOCK,
            Stack::Row => SINGLE_LINE,
        };
        let limits = RunLimits {
            wall: left,
            memory: limits.memory,
        };
        let Ok(read) = engine::recognise(engine_path, languages, &strip, psm, &limits) else {
            continue;
        };
        for (b, r) in best.iter_mut().zip(readings(&spans, stack, &read)) {
            if let Some((t, c)) = r
                && b.as_ref().is_none_or(|(_, bc)| c > *bc)
            {
                *b = Some((t, c));
            }
        }
    }
    replace(words, &groups, &best)
}

/// The words without stray specks: a word still doubtful after its second reading, of at most
/// three letters and no digit, alone on its engine line (`ro` at a photo's edge, `i.` in the
/// margin). Such a fragment says nothing, and between a heading and the labels under it
/// (`Referrer` / `ro` / `Name  Augustin Testaverde`) it stands in the way of the heading. Tick
/// and answer words (`X`, `Y`, `No`) are kept, and so is a doubtful word with digits (a value
/// that is there but unsure goes to review, not missing).
pub fn without_stray_specks(words: Vec<Word>) -> Vec<Word> {
    let alone = |w: &Word| words.iter().filter(|o| o.line == w.line).count() == 1;
    let speck = |w: &Word| {
        let alnum: Vec<char> = w.text.chars().filter(|c| c.is_alphanumeric()).collect();
        let t = w.text.to_lowercase();
        let t = t.trim_matches(|c: char| !c.is_alphanumeric());
        w.conf < f32::from(super::DOUBT_BELOW)
            && alnum.len() <= 3
            && !alnum.iter().any(char::is_ascii_digit)
            && !["x", "y", "n", "no", "yes", "si", "sí"].contains(&t)
            && !w.text.contains(['☒', '☐', '[', '('])
    };
    let keep: Vec<bool> = words.iter().map(|w| !(speck(w) && alone(w))).collect();
    words
        .into_iter()
        .zip(keep)
        .filter_map(|(w, k)| k.then_some(w))
        .collect()
}

/// The words without dot leaders and rules the engine read as letters ("cee cena", "eee" along a
/// row of dots between a label and its value): doubtful words of letters alone (no digit) whose
/// box is under a third of the page's usual word height. A letter is never that flat; a dot, an
/// underscore or a rule is.
pub fn without_leaders(words: Vec<Word>) -> Vec<Word> {
    let mut heights: Vec<u32> = words
        .iter()
        .filter(|w| w.text.chars().any(char::is_alphanumeric))
        .map(|w| w.height)
        .collect();
    heights.sort_unstable();
    let Some(usual) = heights.get(heights.len() / 2).copied() else {
        return words;
    };
    let letters_only = |w: &Word| {
        w.text.chars().any(char::is_alphabetic)
            && !w.text.chars().any(|c| c.is_ascii_digit() || c == '☒' || c == '☐')
    };
    let leader = |w: &Word| w.conf < f32::from(super::DOUBT_BELOW) && letters_only(w) && w.height * 3 < usual;
    // What else the engine put on a line of leaders, read with next to no confidence and no
    // digit (`obek` among the dots), is part of them.
    let leader_lines: Vec<(u32, u32, u32)> = words.iter().filter(|w| leader(w)).map(|w| w.line).collect();
    let junk = |w: &Word| {
        leader(w) || leader_lines.contains(&w.line) && w.conf < LEADER_LINE_JUNK && letters_only(w)
    };
    words.into_iter().filter(|w| !junk(w)).collect()
}

/// On a line of dot leaders, a word read with less confidence than this is more of them.
const LEADER_LINE_JUNK: f32 = 30.0;

/// Whether a word is worth reading again: doubtful, and holding a letter or a digit (specks and
/// rules read as `|`, `—` are not words).
fn doubtful(w: &Word) -> bool {
    w.conf < f32::from(super::DOUBT_BELOW)
        && w.text.chars().any(char::is_alphanumeric)
        && !w.text.contains(['☒', '☐'])
        && w.height >= 8
        && w.width >= 4
}

/// The doubtful words, pieces that overlap or touch on one engine line taken together.
fn doubtful_groups(words: &[Word]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut idx: Vec<usize> = (0..words.len())
        .filter(|&i| words.get(i).is_some_and(doubtful))
        .collect();
    idx.sort_by_key(|&i| words.get(i).map(|w| (w.line, w.left)));
    for i in idx {
        let Some(w) = words.get(i) else { continue };
        let (l, t, r, b) = (w.left, w.top, w.left + w.width, w.top + w.height);
        let joins = groups.last().is_some_and(|g| {
            g.words
                .first()
                .and_then(|&j| words.get(j))
                .is_some_and(|f| f.line == w.line && l <= g.right + w.height / 5)
        });
        match groups.last_mut() {
            Some(g) if joins => {
                g.words.push(i);
                g.left = g.left.min(l);
                g.top = g.top.min(t);
                g.right = g.right.max(r);
                g.bottom = g.bottom.max(b);
            }
            _ => groups.push(Group {
                words: vec![i],
                left: l,
                top: t,
                right: r,
                bottom: b,
            }),
        }
    }
    groups.truncate(MAX_WORDS);
    groups
}

/// One white strip holding every group's crop (with a margin of the page around each, where
/// other words' boxes are left white: a neighbour's `#` is not read as part of `Medi-Cal`), far
/// enough apart that the engine never joins two, and each crop's range on the strip along the
/// way they are stacked (y for a column, x for a row).
fn strip_of(
    page: &GrayImage,
    groups: &[Group],
    words: &[Word],
    stack: Stack,
) -> (GrayImage, Vec<(u32, u32)>) {
    let (pw, ph) = page.dimensions();
    let crops: Vec<(u32, u32, u32, u32)> = groups
        .iter()
        .map(|g| {
            let h = g.bottom.saturating_sub(g.top).max(1);
            let (mx, my) = (h / 2, h / 4);
            let l = g.left.saturating_sub(mx);
            let t = g.top.saturating_sub(my);
            let r = (g.right + mx).min(pw);
            let b = (g.bottom + my).min(ph);
            (l, t, r.max(l + 1), b.max(t + 1))
        })
        .collect();
    let tallest = crops.iter().map(|(_, t, _, b)| b - t).max().unwrap_or(1);
    let widest = crops.iter().map(|(l, _, r, _)| r - l).max().unwrap_or(1);
    let (width, height, gap) = match stack {
        Stack::Column => {
            let gap = tallest;
            (
                widest + 2 * gap,
                crops.iter().map(|(_, t, _, b)| b - t + gap).sum::<u32>() + gap,
                gap,
            )
        }
        Stack::Row => {
            let gap = 2 * tallest;
            (
                crops.iter().map(|(l, _, r, _)| r - l + gap).sum::<u32>() + gap,
                tallest + gap,
                gap,
            )
        }
    };
    let mut strip = GrayImage::from_pixel(width, height, Luma([255]));
    let mut spans = Vec::with_capacity(crops.len());
    let mut at = gap;
    for (g, &(l, t, r, b)) in groups.iter().zip(&crops) {
        let (x0, y0) = match stack {
            Stack::Column => (gap, at),
            Stack::Row => (at, (height - (b - t)) / 2),
        };
        // The other words whose boxes reach into this crop.
        let others: Vec<(u32, u32, u32, u32)> = words
            .iter()
            .enumerate()
            .filter(|(i, _)| !g.words.contains(i))
            .map(|(_, w)| (w.left, w.top, w.left + w.width, w.top + w.height))
            .filter(|&(ol, ot, or, ob)| ol < r && l < or && ot < b && t < ob)
            // (not a word the group's own box lies in: a heading around it)
            .filter(|&(ol, ot, or, ob)| !(ol <= g.left && g.right <= or && ot <= g.top && g.bottom <= ob))
            .collect();
        let own = |xx: u32, yy: u32| g.left <= xx && xx < g.right && g.top <= yy && yy < g.bottom;
        for yy in t..b {
            for xx in l..r {
                let theirs = !own(xx, yy)
                    && others
                        .iter()
                        .any(|&(ol, ot, or, ob)| ol <= xx && xx < or && ot <= yy && yy < ob);
                if !theirs && let Some(p) = page.get_pixel_checked(xx, yy) {
                    strip.put_pixel(x0 + (xx - l), y0 + (yy - t), *p);
                }
            }
        }
        let span = match stack {
            Stack::Column => b - t,
            Stack::Row => r - l,
        };
        spans.push((at, at + span));
        at += span + gap;
    }
    (strip, spans)
}

/// What the engine read in each crop of a strip: the words whose centre lies in its span,
/// joined (pieces closer than a quarter of their height are one word), and the least of their
/// confidences; `None` where it read nothing.
fn readings(spans: &[(u32, u32)], stack: Stack, read: &[Word]) -> Vec<Option<(String, f32)>> {
    spans
        .iter()
        .map(|&(a, b)| {
            let mut got: Vec<&Word> = read
                .iter()
                .filter(|w| {
                    let c = match stack {
                        Stack::Column => w.top + w.height / 2,
                        Stack::Row => w.left + w.width / 2,
                    };
                    a <= c && c < b
                })
                .collect();
            if got.is_empty() {
                return None;
            }
            got.sort_by_key(|w| w.left);
            let conf = got.iter().map(|w| w.conf).fold(f32::INFINITY, f32::min);
            let mut text = String::new();
            let mut end: Option<u32> = None;
            for w in &got {
                if end.is_some_and(|e| w.left > e + w.height / 4) {
                    text.push(' ');
                }
                text.push_str(&w.text);
                end = Some(end.map_or(w.left + w.width, |e| e.max(w.left + w.width)));
            }
            Some((text, conf))
        })
        .collect()
}

/// The words with each group read surely the second time put in place of its pieces.
fn replace(words: Vec<Word>, groups: &[Group], readings: &[Option<(String, f32)>]) -> Vec<Word> {
    let mut words: Vec<Option<Word>> = words.into_iter().map(Some).collect();
    for (g, r) in groups.iter().zip(readings) {
        let Some((text, conf)) = r else { continue };
        if *conf < f32::from(super::DOUBT_BELOW) {
            continue;
        }
        let Some((&first, rest)) = g.words.split_first() else {
            continue;
        };
        if let Some(Some(w)) = words.get_mut(first) {
            w.left = g.left;
            w.top = g.top;
            w.width = g.right - g.left;
            w.height = g.bottom - g.top;
            w.conf = *conf;
            w.text = text.clone();
        }
        for &i in rest {
            if let Some(slot) = words.get_mut(i) {
                *slot = None;
            }
        }
    }
    words.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str, left: u32, width: u32, line: u32, conf: f32) -> Word {
        Word {
            left,
            top: 100,
            width,
            height: 30,
            line: (1, 1, line),
            conf,
            text: text.into(),
        }
    }

    #[test]
    fn a_doubtful_fragment_alone_on_its_line_is_dropped_as_a_speck() {
        let words = vec![
            w("Referrer", 266, 123, 1, 97.0),
            w("ro", 2, 35, 2, 47.0),
            w("Name", 266, 75, 3, 96.0),
            w("Augustin", 500, 120, 3, 96.0),
            w("i.", 1980, 20, 4, 0.0),
            w("X", 300, 20, 5, 30.0),
            w("12", 300, 20, 6, 30.0),
            w("Tes", 900, 60, 7, 30.0),
            w("ta", 960, 60, 7, 30.0),
            w("Rodriguez", 300, 120, 8, 30.0),
        ];
        let kept: Vec<String> = without_stray_specks(words).into_iter().map(|w| w.text).collect();
        assert_eq!(
            kept,
            vec![
                "Referrer",
                "Name",
                "Augustin",
                "X",
                "12",
                "Tes",
                "ta",
                "Rodriguez"
            ]
        );
    }

    /// Issue #10 (blindscan5): a fax's dot leaders between labels and values come out of the
    /// engine as flat doubtful "words" (`cee`, `eee`, 4 px tall among 21-29 px letters): dropped.
    /// A doubtful word of full height, a flat one with digits and a sure flat one stay.
    #[test]
    fn dot_leaders_read_as_letters_are_dropped() {
        let flat = |text: &str, conf: f32| Word {
            height: 4,
            ..w(text, 400, 55, 1, conf)
        };
        let words = vec![
            w("REFERRAL", 40, 150, 1, 96.0),
            w("DATE", 200, 80, 1, 96.0),
            flat("cee", 13.0),
            flat("cena", 10.0),
            w("11/30/2026", 552, 166, 1, 86.0),
            w("Fakenheim", 552, 166, 2, 40.0),
            flat("55", 10.0),
            flat("eee", 95.0),
            // Full height but read with no confidence on a line of leaders (blindscan2 04).
            w("obek", 700, 55, 1, 0.0),
            // Doubtful on a line with no leaders: kept (uncertain, not lost).
            w("Sampleton", 700, 55, 3, 20.0),
        ];
        let kept: Vec<String> = without_leaders(words).into_iter().map(|w| w.text).collect();
        assert_eq!(
            kept,
            vec![
                "REFERRAL",
                "DATE",
                "11/30/2026",
                "Fakenheim",
                "55",
                "eee",
                "Sampleton"
            ]
        );
    }

    #[test]
    fn overlapping_doubtful_pieces_of_a_word_are_read_again_as_one() {
        let words = vec![
            w("Name:", 10, 100, 1, 95.0),
            w("Dummer", 130, 120, 1, 0.0),
            w("ly", 240, 40, 1, 0.0),
            w("Phone", 600, 100, 1, 30.0),
            w("|", 800, 4, 1, 0.0),
            w("Sure", 900, 80, 2, 91.0),
        ];
        let groups = doubtful_groups(&words);
        let boxes: Vec<(Vec<usize>, u32, u32)> = groups
            .iter()
            .map(|g| (g.words.clone(), g.left, g.right))
            .collect();
        assert_eq!(boxes, vec![(vec![1, 2], 130, 280), (vec![3], 600, 700)]);
    }

    #[test]
    fn a_neighbour_word_reaching_into_a_crop_is_left_white() {
        // `Medi-Cal` (doubtful) and, 5 px to its right, `#`: the crop's margin reaches `#`.
        let mut page = GrayImage::from_pixel(400, 100, Luma([255]));
        for y in 40..60 {
            for x in 100..200 {
                page.put_pixel(x, y, Luma([0]));
            }
            for x in 205..220 {
                page.put_pixel(x, y, Luma([0]));
            }
        }
        let words = vec![w("Medi-Cal", 100, 100, 1, 0.0), w("#", 205, 15, 1, 95.0)];
        let words: Vec<Word> = words
            .into_iter()
            .map(|w| Word {
                top: 40,
                height: 20,
                ..w
            })
            .collect();
        let groups = doubtful_groups(&words);
        assert_eq!(groups.len(), 1);
        let (strip, spans) = strip_of(&page, &groups, &words, Stack::Column);
        let (y0, y1) = spans.first().copied().unwrap_or_default();
        // The crop is 10 px of margin, the word, 10 px of margin: all the ink is the word's.
        assert_eq!(y1 - y0, 30);
        let ink: Vec<u32> = (0..strip.width())
            .filter(|&x| (y0..y1).any(|y| strip.get_pixel(x, y).0[0] < 128))
            .collect();
        let gap = 30;
        assert_eq!(ink.first().copied(), Some(gap + 10));
        assert_eq!(ink.last().copied(), Some(gap + 109));
        // Side by side in a row: the same crop, its span along x.
        let (strip, spans) = strip_of(&page, &groups, &words, Stack::Row);
        let (x0, x1) = spans.first().copied().unwrap_or_default();
        assert_eq!(x1 - x0, 120);
        let ink: Vec<u32> = (x0..x1)
            .filter(|&x| (0..strip.height()).any(|y| strip.get_pixel(x, y).0[0] < 128))
            .map(|x| x - x0)
            .collect();
        assert_eq!(ink.first().copied(), Some(10));
        assert_eq!(ink.last().copied(), Some(109));
    }

    #[test]
    fn a_sure_second_reading_replaces_the_pieces_and_a_doubtful_one_changes_nothing() {
        let words = vec![
            w("Name:", 10, 100, 1, 95.0),
            w("Dummer", 130, 120, 1, 0.0),
            w("ly", 240, 40, 1, 0.0),
            w("Phone", 600, 100, 1, 30.0),
        ];
        let groups = doubtful_groups(&words);
        let spans = vec![(30, 75), (105, 150)];
        let read = vec![
            Word {
                left: 75,
                top: 35,
                width: 140,
                height: 30,
                line: (1, 1, 1),
                conf: 93.0,
                text: "Dummerly".into(),
            },
            Word {
                left: 75,
                top: 110,
                width: 100,
                height: 30,
                line: (1, 1, 1),
                conf: 41.0,
                text: "Phane".into(),
            },
        ];
        let got = replace(words, &groups, &readings(&spans, Stack::Column, &read));
        let texts: Vec<(&str, u32, u32, f32)> = got
            .iter()
            .map(|w| (w.text.as_str(), w.left, w.width, w.conf))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("Name:", 10, 100, 95.0),
                ("Dummerly", 130, 150, 93.0),
                ("Phone", 600, 100, 30.0)
            ]
        );
    }

    /// Real engine: a word cut out of a golden fax page and handed over as two doubtful,
    /// overlapping pieces comes back whole and sure from the strip.
    #[test]
    fn doubtful_words_cut_from_a_page_are_read_again_on_a_strip_by_the_engine() {
        if std::process::Command::new("tesseract")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("tesseract not installed: skipped");
            return;
        }
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/scans/healthnet-cs-referral.fax.tif"
        );
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let pages = super::super::image::decode_tiff(&bytes, 1).unwrap_or_default();
        let Some(page) = pages.into_iter().next().map(super::super::image::prepare) else {
            panic!("no page");
        };
        let limits = RunLimits {
            wall: std::time::Duration::from_secs(60),
            memory: 1 << 30,
        };
        let engine_path = Path::new("tesseract");
        let first = engine::recognise(engine_path, "eng", &page, 11, &limits).unwrap_or_default();
        // Sure words of at least six letters, as the engine read them the first time.
        let picked: Vec<Word> = first
            .iter()
            .filter(|w| w.conf > 90.0 && w.text.len() >= 6 && w.text.chars().all(char::is_alphabetic))
            .take(3)
            .cloned()
            .collect();
        assert!(picked.len() == 3, "{picked:?}");
        // Each one broken into two doubtful, overlapping halves with wrong letters, among the
        // page's other words.
        let mut doubtful_words: Vec<Word> = first.iter().filter(|w| !picked.contains(w)).cloned().collect();
        let others = doubtful_words.len();
        for (n, p) in picked.iter().enumerate() {
            let half = p.width / 2;
            doubtful_words.push(Word {
                width: half + 4,
                conf: 0.0,
                text: "xx".into(),
                line: (u32::MAX, u32::MAX, n as u32),
                ..p.clone()
            });
            doubtful_words.push(Word {
                left: p.left + half - 4,
                width: p.width - half + 4,
                conf: 0.0,
                text: "yy".into(),
                line: (u32::MAX, u32::MAX, n as u32),
                ..p.clone()
            });
        }
        let got = reread(engine_path, "eng", &page, doubtful_words, &limits);
        let texts: Vec<(&str, bool)> = got
            .iter()
            .filter(|w| w.line.0 == u32::MAX)
            .map(|w| (w.text.as_str(), w.conf >= f32::from(super::super::DOUBT_BELOW)))
            .collect();
        let want: Vec<(&str, bool)> = picked.iter().map(|p| (p.text.as_str(), true)).collect();
        assert_eq!(texts, want);
        assert!(got.len() <= others + picked.len());
    }
}
