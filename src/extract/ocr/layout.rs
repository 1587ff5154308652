//! Layout of an OCR'd page: word boxes → the positioned runs the PDF text-layer reader pairs.
//!
//! Tesseract gives each word a box in pixels (origin top-left) and numbers the line it belongs
//! to. Each word becomes one [`Run`] in PDF-like coordinates (y grows upwards, baseline y, the
//! line's height as font size), so `pdf::pair_runs` applies the same label/value pairing,
//! section headings and tick-mark reading as to a flattened PDF, and the profiles and synonyms
//! work unchanged.
//!
//! A page scanned or photographed at a small tilt has lines that climb or fall across the page:
//! a value at the right of a line would sit a line higher or lower than its label at the left.
//! The tilt is measured from Tesseract's own lines (median slope of lines that span a good width)
//! and taken out of every box before lines are formed.
//!
//! Each value keeps the confidence of its least certain word ([`confidence_of`]).

use super::engine::Word;
use crate::extract::RawEntry;
use crate::extract::pdf::Run;

/// Tesseract's (block, paragraph, line) numbers: the words of one line share them.
type LineKey = (u32, u32, u32);

/// Lines shorter than this (pixels between first and last word centre) say little about tilt.
const MIN_SPAN: f32 = 250.0;
/// Neighbouring words closer than this (pixels between centres) say little about tilt.
const MIN_STEP: f32 = 80.0;
/// Tilts beyond this slope (about 8°) are not a scanner's or a phone's: left as they are.
const MAX_SLOPE: f32 = 0.14;

/// The page's tilt as a slope (dy/dx, y down), from Tesseract's lines.
pub(crate) fn tilt(words: &[Word]) -> f32 {
    let mut by_line: Vec<(&LineKey, Vec<&Word>)> = Vec::new();
    // Words only: a tick box found in the picture (`☒`, its tick reaching over the box) or a
    // speck does not sit on the line's letters.
    for w in words
        .iter()
        .filter(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
    {
        match by_line.iter_mut().find(|(k, _)| **k == w.line) {
            Some((_, v)) => v.push(w),
            None => by_line.push((&w.line, vec![w])),
        }
    }
    let slopes: Vec<f32> = by_line
        .iter_mut()
        .filter_map(|(_, ws)| {
            ws.sort_by_key(|w| w.left);
            let span = centre_x(ws.last()?) - centre_x(ws.first()?);
            if span < MIN_SPAN {
                return None;
            }
            // The median of the slopes between neighbouring words: one word whose top a speck
            // or a tick raised does not tilt the line. Tops, not bottoms: descenders move a
            // word's bottom, capitals and ascenders its top much less.
            let mut steps: Vec<f32> = ws
                .windows(2)
                .filter_map(|p| {
                    let (a, b) = (p.first()?, p.get(1)?);
                    let dx = centre_x(b) - centre_x(a);
                    (dx >= MIN_STEP).then(|| (b.top as f32 - a.top as f32) / dx)
                })
                .collect();
            steps.sort_by(f32::total_cmp);
            steps.get(steps.len() / 2).copied()
        })
        .filter(|s| s.abs() <= MAX_SLOPE)
        .collect();
    if slopes.len() < 3 {
        return 0.0;
    }
    // The slope most lines agree on, not the median of all: on a fax of few long lines, two
    // whose tops a bracket or a leader raised (0.04, 0.06) outvote nothing in a median of four,
    // and would tilt a straight page by 2-3°. Ties go to the smaller tilt.
    let support = |s: f32| slopes.iter().filter(|o| (*o - s).abs() <= AGREE).count();
    let Some(best) = slopes
        .iter()
        .copied()
        .max_by(|a, b| support(*a).cmp(&support(*b)).then(b.abs().total_cmp(&a.abs())))
    else {
        return 0.0;
    };
    let mut agreeing: Vec<f32> = slopes.into_iter().filter(|o| (o - best).abs() <= AGREE).collect();
    agreeing.sort_by(f32::total_cmp);
    agreeing.get(agreeing.len() / 2).copied().unwrap_or(0.0)
}

/// Line slopes within this of each other (about 0.7°) agree on the page's tilt.
const AGREE: f32 = 0.012;

/// A word box this many times the page's usual word height, and half again what its width
/// says its letters measure, was stretched by a rule or a box edge it touches.
const STRETCHED: f32 = 2.0;

/// Word boxes stretched by a line they touch, cut back to their letters. A value typed on a box's
/// bottom rule can come back from the engine with the rule in its box (53 px high among words of
/// 20-24), which gives it a baseline half a row low and a size that draws the row under it in.
/// Its letters' height is told by its width (about 0.6 em a letter, capitals and digits 0.75 em
/// high); the end kept is the one the neighbouring words of ordinary height line up with, and
/// a word with none beside it is left as it is.
fn unstretched(words: &[Word]) -> Vec<Word> {
    let wordy = |w: &Word| w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2;
    let mut heights: Vec<f32> = words
        .iter()
        .filter(|w| wordy(w))
        .map(|w| w.height as f32)
        .collect();
    let usual = lower_median(&mut heights);
    let mut out = words.to_vec();
    for (i, w) in words.iter().enumerate() {
        let letters = w.text.chars().count().max(1) as f32;
        let em = w.width as f32 / (0.6 * letters);
        let h = w.height as f32;
        if !wordy(w) || usual <= 0.0 || h <= STRETCHED * usual || h <= 1.5 * em {
            continue;
        }
        let fit = (0.75 * em).round().max(1.0) as u32;
        let ordinary = |o: &&Word| {
            wordy(o)
                && (o.height as f32) <= 1.5 * usual
                && (o.left + o.width < w.left || w.left + w.width < o.left)
        };
        // Neighbours of ordinary height whose middle lies within the stretched box: the letters
        // sit at whichever end of it lines up with them. None: left as it is.
        let (top, bottom) = (w.top as f32, (w.top + w.height) as f32);
        let half = fit as f32 / 2.0;
        let beside: Vec<&Word> = words
            .iter()
            .filter(ordinary)
            .filter(|o| (top..=bottom).contains(&(o.top as f32 + o.height as f32 / 2.0)))
            .collect();
        let middle = |o: &Word| o.top as f32 + o.height as f32 / 2.0;
        let off = |c: f32| {
            beside
                .iter()
                .map(|b| (middle(b) - c).abs())
                .fold(f32::MAX, f32::min)
        };
        if beside.is_empty() {
            continue;
        }
        let keep_bottom = off(bottom - half) < off(top + half);
        let end = if keep_bottom { bottom - half } else { top + half };
        // On the line of the neighbour nearest across (the page's tilt moves far ones) whose
        // middle is near the end kept: a box's rule an em under the letters leaves them a few
        // pixels off the end of the stretched box.
        let across = |o: &Word| {
            let (l, r) = (o.left as f32, (o.left + o.width) as f32);
            (l - (w.left + w.width) as f32).max(w.left as f32 - r).max(0.0)
        };
        let guide = beside
            .iter()
            .copied()
            .filter(|o| (middle(o) - end).abs() <= fit as f32)
            .min_by(|a, b| across(a).total_cmp(&across(b)));
        if let Some(o) = out.get_mut(i) {
            o.top = match (guide, keep_bottom) {
                (Some(g), true) => (g.top + g.height)
                    .saturating_sub(fit)
                    .clamp(w.top, w.top + w.height - fit),
                (Some(g), false) => g.top.clamp(w.top, w.top + w.height - fit),
                (None, true) => w.top + w.height - fit,
                (None, false) => w.top,
            };
            o.height = fit;
        }
    }
    out
}

fn centre_x(w: &Word) -> f32 {
    w.left as f32 + w.width as f32 / 2.0
}

/// One page's words as runs, the tilt taken out, in PDF-like coordinates for a page `height`
/// pixels high.
pub(crate) fn runs(words: &[Word], height: u32) -> Vec<Run> {
    let slope = tilt(words);
    let words = &unstretched(words);
    // Rotation by -atan(slope), to first order: x' = x + s·y, y' = y - s·x.
    let straight = |x: f32, y: f32| (x + slope * y, y - slope * x);
    // Per Tesseract line: one baseline (the median of its words' straightened bottoms) and one
    // size (the median word height), so the words of a line stay together.
    let mut lines: Vec<(LineKey, Vec<f32>, Vec<f32>)> = Vec::new();
    for w in words {
        // A speck read as `.` or `'` beside a word says nothing of the line's size.
        if !w.text.chars().any(char::is_alphanumeric)
            && words
                .iter()
                .any(|o| o.line == w.line && o.text.chars().any(char::is_alphanumeric))
        {
            continue;
        }
        let (_, bottom) = straight(centre_x(w), (w.top + w.height) as f32);
        match lines.iter_mut().find(|(k, _, _)| *k == w.line) {
            Some((_, b, h)) => {
                b.push(bottom);
                h.push(w.height as f32);
            }
            None => lines.push((w.line, vec![bottom], vec![w.height as f32])),
        }
    }
    let median = |v: &mut Vec<f32>| lower_median(v);
    let line_geometry: Vec<(LineKey, f32, f32)> = lines
        .into_iter()
        .map(|(k, mut b, mut h)| (k, median(&mut b), median(&mut h)))
        .collect();
    let mut placed: Vec<(LineKey, Run)> = words
        .iter()
        .filter_map(|w| {
            let text = clean(&w.text)?;
            let (_, base, size) = line_geometry.iter().find(|(k, _, _)| *k == w.line)?;
            let (x0, _) = straight(w.left as f32, (w.top + w.height / 2) as f32);
            Some((
                w.line,
                Run {
                    x0,
                    x1: x0 + w.width as f32,
                    y: height as f32 - base,
                    size: size.max(1.0),
                    text,
                },
            ))
        })
        .collect();
    placed.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then(a.x0.total_cmp(&b.x0)));
    let mut runs = join_line_words(placed);
    for r in &mut runs {
        // A label's colon read as `;` ("Name (First, Last);"): a label all the same.
        if r.text.ends_with(';')
            && !r.text.chars().any(|c| c.is_ascii_digit())
            && crate::extract::names_a_field(&r.text)
        {
            r.text.pop();
            r.text.push(':');
        }
    }
    captions_above_values(&mut runs);
    same_baseline(&mut runs);
    runs
}

/// Tesseract lines read on one printed line (a label and its value in blocks of their own) share
/// one baseline: a scan's few pixels between their medians are noise, not the raised print of a
/// value typed over an underline, and must not split what the text-layer reader would join.
fn same_baseline(runs: &mut [Run]) {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|a, b| {
        let y = |i: &usize| runs.get(*i).map_or(0.0, |r| r.y);
        y(b).total_cmp(&y(a))
    });
    let mut anchor: Option<(f32, f32)> = None;
    for i in order {
        let Some(r) = runs.get_mut(i) else { continue };
        match anchor {
            Some((y, size)) if (y - r.y).abs() <= 0.3 * size.max(r.size) => r.y = y,
            _ => anchor = Some((r.y, r.size)),
        }
    }
}

/// The median of `v`, the smaller middle value when there are two. A word's box only ever grows
/// past its line's letters — a descender (`by`), a fax's noise line run through it, a speck
/// touching it — so of two words the smaller box and the higher bottom are the line's own: a
/// heading `Referred by` whose `by` a noise line made twice as tall keeps its print size and
/// stays a heading over the labels under it.
fn lower_median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0.0)
}

/// What a caption printed by a field looks like: a few words, the first capitalised (the
/// second line of a wrapped label, `needs`, is not one), no digits (a value is not a caption).
fn caption_like(r: &Run) -> bool {
    let t = r.text.trim();
    t.split_whitespace().count() <= 4
        && t.chars().next().is_some_and(char::is_uppercase)
        && !t.chars().any(|c| c.is_ascii_digit())
}

/// What can be a value over a caption: not a label (`Name:`) nor an all-capitals heading
/// (`REQUESTOR`, which a label under it hugs as closely as a caption hugs its value).
fn value_like(r: &Run) -> bool {
    let t = r.text.trim();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    let heading = letters >= 3 && !t.chars().any(|c| c.is_lowercase() || c.is_ascii_digit());
    !t.ends_with(':') && !heading
}

/// A caption at most this many of its heights from a value plainly hugs it: the page's vote.
const VOTE_GAP: f32 = 0.8;
/// On a page whose rows are set evenly, a caption this many times further from the value under
/// it than from the one over it is under that one.
const EVEN_APART: f32 = 1.25;
/// On a page of captions under their values, a caption this close under one is its caption.
const UNDER_GAP: f32 = 1.5;

/// A value's box this much taller than a caption's (typed text over small print) is a value.
const VALUE_OVER_CAPTION: f32 = 1.15;

/// A caption's nearest value on one side: its index and the gap to it.
type Near = Option<(usize, f32)>;

/// Whether `c` is printed right under the value `a` (closer to it than to anything below).
#[derive(Clone, Copy, PartialEq)]
enum Caption {
    Under(usize),
    Over,
    Neither,
}

/// Puts captions printed *under* their values (`Horatio` over a rule over `First`, as on
/// forms filled on a line) above them, where the text-layer reader looks for a label
/// over its value. Which side a caption belongs to is told by the gaps: a caption under its
/// value hugs it (the rule between them) and stands well clear of the next value down; a label
/// over its value hugs that one. Only when a page's captions mostly hug the values above them
/// is anything moved, and a caption's row mates (a caption over a field left blank) move with
/// it.
fn captions_above_values(runs: &mut [Run]) {
    let overlaps = |a: &Run, c: &Run| a.x0 < c.x1 && c.x0 < a.x1 && (a.x0 - c.x0).abs() < 3.0 * c.size;
    // The nearest value typed larger than a caption, above or below it.
    let nearest_sized = |ci: usize, above: bool, taller: f32| -> Near {
        let c = runs.get(ci)?;
        runs.iter()
            .enumerate()
            .filter(|(i, a)| *i != ci && a.size >= taller * c.size && value_like(a) && overlaps(a, c))
            .filter_map(|(i, a)| {
                let gap = if above {
                    a.y - (c.y + c.size)
                } else {
                    c.y - (a.y + a.size)
                };
                (gap > -0.3 * c.size && (if above { a.y > c.y } else { a.y < c.y })).then_some((i, gap))
            })
            .min_by(|x, y| x.1.total_cmp(&y.1))
    };
    let is_tick = |r: &Run| r.text.contains(['☒', '☐']);
    // A tick box's caption labels its box, never a value.
    let beside_tick = |ci: usize| {
        runs.get(ci).is_some_and(|c| {
            is_tick(c)
                || runs.iter().any(|t| {
                    is_tick(t)
                        && (t.y - c.y).abs() < 0.5 * c.size
                        && t.x1 <= c.x0 + 1.0
                        && c.x0 - t.x1 < 2.0 * c.size
                })
        })
    };
    // Each caption's nearest larger value above and below it, measured once for every reading
    // below; `None` for what is no caption.
    let sides: Vec<Option<(Near, Near)>> = (0..runs.len())
        .map(|ci| {
            (!beside_tick(ci) && runs.get(ci).is_some_and(caption_like)).then(|| {
                (
                    nearest_sized(ci, true, VALUE_OVER_CAPTION),
                    nearest_sized(ci, false, VALUE_OVER_CAPTION),
                )
            })
        })
        .collect();
    // How each caption sits, a caption hugging its value when closer than `hug` of its height.
    let kinds_within = |hug: f32, apart: f32| -> Vec<Caption> {
        sides
            .iter()
            .enumerate()
            .map(|(ci, side)| {
                let size = runs.get(ci).map_or(0.0, |c| c.size);
                let gap = |n: Near| n.map_or(f32::INFINITY, |(_, g)| g.max(0.0));
                match *side {
                    None => Caption::Neither,
                    Some((Some((a, g)), down))
                        if g.max(0.0) < hug * size && gap(down) > apart * g.max(1.0) =>
                    {
                        Caption::Under(a)
                    }
                    Some((up, Some((_, g)))) if g.max(0.0) < hug * size && gap(up) > 2.0 * g.max(1.0) => {
                        Caption::Over
                    }
                    _ => Caption::Neither,
                }
            })
            .collect()
    };
    // The page is told by the captions that plainly hug a value; once it is, a caption a little
    // further under its value (a fax's rule drawn lower) is one of them too.
    let count = |kinds: &[Caption]| {
        let under = kinds.iter().filter(|k| matches!(k, Caption::Under(_))).count();
        (under, kinds.iter().filter(|k| **k == Caption::Over).count())
    };
    let (under, over) = count(&kinds_within(VOTE_GAP, 2.0));
    let apart = if under >= 2 && under > 2 * over {
        2.0
    } else {
        // Rows set evenly down a page (value, caption, value, caption…): each caption is only
        // somewhat closer to the value over it than to the one under it, but every one is.
        let (under, over) = count(&kinds_within(UNDER_GAP, EVEN_APART));
        if under < 4 || under < 4 * over {
            return;
        }
        EVEN_APART
    };
    let kinds = kinds_within(UNDER_GAP, apart);
    // Each caption under a value and its value change places: the caption takes the value's
    // baseline, the value the caption's, so the pair keeps its place among the lines around it
    // (a heading over the row stays as far from the row as it was printed).
    let mut pairs: Vec<(usize, usize)> = kinds
        .iter()
        .enumerate()
        .filter_map(|(ci, k)| match k {
            Caption::Under(a) => Some((ci, *a)),
            _ => None,
        })
        .collect();
    let y_of = |i: usize| runs.get(i).map_or(0.0, |r| r.y);
    let same_row = |i: usize, j: usize| match (runs.get(i), runs.get(j)) {
        (Some(a), Some(b)) => (a.y - b.y).abs() < 0.5 * a.size.max(b.size),
        _ => false,
    };
    // Captions printed on one line stay on one line, on the highest of their values' baselines
    // (`Fakerson-Lee` reads taller than `Horatio`): a row come apart would be two lines of
    // captions, the lower one taken for the upper one's values.
    let row_y = |ci: usize| {
        pairs
            .iter()
            .filter(|(mi, _)| same_row(*mi, ci))
            .map(|(_, a)| y_of(*a))
            .fold(f32::MIN, f32::max)
    };
    let mut shifts: Vec<(usize, f32)> = pairs.iter().map(|&(ci, _)| (ci, row_y(ci) - y_of(ci))).collect();
    // Row mates move with the row: over the value hugging them from above, whatever its size
    // (`County` with its descender as tall as `Contra Costa`), or over a field left blank.
    let mut mates: Vec<(usize, f32)> = Vec::new();
    for (ci, _) in kinds.iter().enumerate().filter(|(_, k)| **k == Caption::Neither) {
        let Some(c) = runs.get(ci) else { continue };
        // A value with its own caption hugging it from below is no caption (`Salinas` over
        // `City`, both read as tall).
        let captioned = runs.iter().any(|r| {
            caption_like(r)
                && r.size <= c.size
                && overlaps(c, r)
                && r.y < c.y
                && c.y - (r.y + r.size) < UNDER_GAP * r.size
        });
        if captioned {
            continue;
        }
        let Some(to) = shifts
            .iter()
            .find(|(mi, _)| {
                runs.get(*mi).is_some_and(|m| {
                    (m.y - c.y).abs() < 0.5 * m.size && (c.size - m.size).abs() < 0.35 * m.size
                })
            })
            .map(|(mi, d)| y_of(*mi) + d)
        else {
            continue;
        };
        mates.push((ci, to - c.y));
        if caption_like(c)
            && !beside_tick(ci)
            && let Some((a, g)) = nearest_sized(ci, true, 0.0)
            && g.max(0.0) < UNDER_GAP * c.size
            && !pairs.iter().any(|(p, v)| *p == a || *v == a)
        {
            pairs.push((ci, a));
        }
    }
    shifts.extend(mates);
    // A caption only moves where there is room for it: not onto a heading or another line.
    let moving: Vec<usize> = shifts
        .iter()
        .map(|(i, _)| *i)
        .chain(pairs.iter().map(|(_, a)| *a))
        .collect();
    let room = |ci: usize, d: f32| {
        runs.get(ci).is_some_and(|c| {
            let y = c.y + d;
            !runs.iter().enumerate().any(|(i, r)| {
                !moving.contains(&i)
                    && r.x0 < c.x1
                    && c.x0 < r.x1
                    && (r.y - y).abs() < 0.9 * c.size.max(r.size)
            })
        })
    };
    let mut shifts: Vec<(usize, f32)> = shifts.iter().copied().filter(|(ci, d)| room(*ci, *d)).collect();
    // The value of each caption that moves goes down to where its caption was.
    for &(ci, a) in &pairs {
        if shifts.iter().any(|(i, _)| *i == ci) && !shifts.iter().any(|(i, _)| *i == a) {
            shifts.push((a, y_of(ci) - y_of(a)));
        }
    }
    for (ci, d) in shifts {
        if let Some(c) = runs.get_mut(ci) {
            c.y += d;
        }
    }
}

/// Words of one engine line closer than this many word heights are one phrase.
const JOIN_GAP: f32 = 1.5;
/// Words of one engine line closer than this many character widths are one phrase, colon or
/// not: a space is about one character of a typewriter face (`1750 Story Rd` in Courier) and
/// less in any other, while a label and its value stand columns apart.
const SPACE_PITCHES: f32 = 1.3;
/// The same after a word no label ends with: a value's words may be typed wider apart.
const VALUE_SPACE_PITCHES: f32 = 1.6;

/// How many character widths may part the next word from `cur` in one phrase: most after a
/// comma, which no label ends with and whose own width widens the space ("118 Mission St,
/// Daly City, CA"); least after a word naming a field ("Member First Name  Wendell" set closely
/// on a colon-less grid); in between inside a value ("Imelda  Fakhouri" typed wide), a heading
/// ("REFERRED  BY") or a Courier label ("Medi-Cal  ID #").
fn space_after(cur: &Run) -> f32 {
    let last = cur.text.split_whitespace().last().unwrap_or_default();
    if cur.text.ends_with(',') {
        2.0 * SPACE_PITCHES
    } else if crate::extract::names_a_field(last) {
        SPACE_PITCHES
    } else {
        VALUE_SPACE_PITCHES
    }
}

/// A run's mean character width.
fn pitch(r: &Run) -> f32 {
    (r.x1 - r.x0) / r.text.chars().count().max(1) as f32
}

/// Joins the words of a value after a `Label:` on one engine line into one run. A word's
/// box is only as tall as its letters (a typewriter face's capitals are little over half an
/// em), so measured in word heights the space between two typed words looks like the gap
/// between a label and its value, and the text-layer reader would cut `Imelda Fauxcastillo`
/// or `(213) 555-0188` in two. The engine has already said those words are one line; a real
/// column gap is still wider than [`JOIN_GAP`] heights. Boxes that overlap (the engine's
/// `Dummer` + `ly`) join without a space.
fn join_line_words(placed: Vec<(LineKey, Run)>) -> Vec<Run> {
    let mut out: Vec<(LineKey, Run)> = Vec::with_capacity(placed.len());
    // Whether the line so far has had a `Label:`: only then is what follows a value. Without a
    // colon the gap is all that tells a label from its value (`DOB 04/17/1969`), so it stays.
    let mut after_colon = false;
    for (key, run) in placed {
        if out.last().is_none_or(|(k, _)| *k != key) {
            after_colon = false;
        }
        let labels = run.text.ends_with(':');
        // A value after `Label:` goes on until the next label; a phrase of close words (a
        // label's own words, a value on a line of its own) until a wider gap.
        let value = after_colon && !labels;
        let phrase = !(after_colon && labels);
        after_colon |= labels || run.text.contains(": ");
        match out.last_mut() {
            Some((k, cur))
                if *k == key
                    && (value && run.x0 - cur.x1 < JOIN_GAP * cur.size.max(run.size)
                        || phrase
                            // (the engine reads a label's colon as `;` now and then)
                            && !cur.text.ends_with([':', ';'])
                            && run.x0 - cur.x1 < space_after(cur) * pitch(cur).max(pitch(&run))) =>
            {
                // A box found in the picture is a word of its own, however close ("referral:☒").
                // A capital set apart from the rest of its word ("R ecuperative", "P ediatrics")
                // is not a word: only "A" and "I" stand alone before a small letter.
                let last = cur.text.rsplit(' ').next().unwrap_or_default();
                let torn = last.chars().count() == 1
                    && last
                        .chars()
                        .all(|c| c.is_ascii_uppercase() && c != 'A' && c != 'I')
                    && run.text.starts_with(|c: char| c.is_lowercase());
                if !torn && (run.x0 - cur.x1 > 0.1 * cur.size || run.text.starts_with(['☒', '☐'])) {
                    cur.text.push(' ');
                }
                cur.text.push_str(&run.text);
                cur.x1 = cur.x1.max(run.x1);
            }
            _ => out.push((key, run)),
        }
    }
    out.into_iter().map(|(_, r)| r).collect()
}

/// A word without the box edges and specks the engine glues to it (`|Rowan`, `‘Marlowe`,
/// `Requester |`); `None` when nothing is left. Tick marks (`[X]`, `(x)`) are kept whole.
fn clean(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    // A slash alone is the printed separator of a caption ("County / social services"); glued
    // to a word it is a box edge.
    if ["[x]", "(x)", "[ ]", "( )", "[]", "()", "/"].contains(&lower.as_str()) {
        return Some(word.to_string());
    }
    // A speck read as a full stop or a quote (`. Antioch`) is no word.
    if word.chars().all(|c| {
        matches!(
            c,
            '.' | ',' | '\'' | '`' | '·' | '‘' | '’' | '°' | '~' | '^' | '¬'
        )
    }) {
        return None;
    }
    let t = word
        .trim_start_matches(['|', '[', ']', '‘', '’', '\'', '`', '_', '“', '”', '/', '='])
        .trim_end_matches(['|', '[', ']', '‘', '\'', '`', '_', '=']);
    // A label's colon read as `!` ("Patient!"): no form shouts at its reader.
    if let Some(label) = t.strip_suffix('!')
        && (crate::extract::names_a_field(label) || crate::extract::names_a_party(label))
    {
        return Some(format!("{label}:"));
    }
    (!t.is_empty()).then(|| t.to_string())
}

/// The confidence (0–100) of the least certain word in `value`. Each whitespace-separated piece
/// is matched to the page's words with exactly that text, else to those that hold it or that it
/// holds (`Name:Skye` was one word); of those, the surest reading counts (the same characters
/// read with confidence anywhere on the page are those characters). `None` when no piece can be
/// matched, or the value is blank.
pub fn confidence_of(value: &str, words: &[Word]) -> Option<u8> {
    let mut least: Option<f32> = None;
    for piece in value.split_whitespace() {
        let best = |m: &dyn Fn(&Word) -> bool| words.iter().filter(|w| m(w)).map(|w| w.conf).reduce(f32::max);
        let conf = best(&|w: &Word| clean(&w.text).as_deref() == Some(piece))
            .or_else(|| best(&|w: &Word| w.text.contains(piece) || piece.contains(w.text.as_str())));
        if let Some(c) = conf {
            least = Some(least.map_or(c, |l| l.min(c)));
        }
    }
    least.map(|c| c.round().clamp(0.0, 100.0) as u8)
}

/// Gives each text entry the confidence of its value's words, and an entry read from a doubtful
/// tick box's caption (a tick, or a chosen answer) the box's doubt.
pub fn mark_confidence(entries: &mut [RawEntry], words: &[Word]) {
    let doubtful = super::marks::doubtful_captions(words);
    let from_doubtful_box = |text: &str| {
        let first = text.split_whitespace().next().unwrap_or_default();
        let last = text.split_whitespace().last().unwrap_or_default();
        doubtful.iter().any(|c| c == first || c == last)
    };
    for e in entries {
        match &e.value {
            crate::extract::RawValue::Text(t) if !t.trim().is_empty() => {
                e.confidence = confidence_of(t, words);
                if from_doubtful_box(t) {
                    e.confidence = Some(e.confidence.map_or(DOUBTFUL_TICK, |c| c.min(DOUBTFUL_TICK)));
                }
            }
            crate::extract::RawValue::Checked(_)
                if from_doubtful_box(&e.name) || e.alt.as_deref().is_some_and(from_doubtful_box) =>
            {
                e.confidence = Some(DOUBTFUL_TICK);
            }
            _ => {}
        }
    }
}

/// The confidence of an entry read from a doubtful tick box: well under [`super::DOUBT_BELOW`].
const DOUBTFUL_TICK: u8 = 20;

#[cfg(test)]
mod tests {

    /// Issue #8/#10: Tesseract lines read on one printed line share a baseline, so a scan's
    /// pixel of difference never splits a label from its value as a raised typed value would.
    #[test]
    fn runs_on_one_printed_line_share_a_baseline() {
        let run = |x0: f32, y: f32, text: &str| Run {
            x0,
            x1: x0 + 60.0,
            y,
            size: 20.0,
            text: text.into(),
        };
        let mut runs = vec![
            run(10.0, 700.0, "Referring provider"),
            run(200.0, 702.5, "Oswin Sample"),
            run(10.0, 660.0, "Phone"),
        ];
        same_baseline(&mut runs);
        assert_eq!(
            runs.iter().map(|r| r.y).collect::<Vec<_>>(),
            vec![702.5, 702.5, 660.0]
        );
    }
    use super::*;

    fn w(text: &str, left: u32, top: u32, line: u32, conf: f32) -> Word {
        Word {
            left,
            top,
            width: 20 * text.len() as u32,
            height: 30,
            line: (1, 1, line),
            conf,
            text: text.into(),
        }
    }

    /// What the text-layer reader pairs from a page of `words` 1000 px high: (label, value).
    fn paired(words: &[Word]) -> Vec<(String, String)> {
        let (entries, _) = crate::extract::pdf::pair_runs(vec![runs(words, 1000)]);
        entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text()))
            .collect()
    }

    #[test]
    fn a_tilted_page_is_straightened_before_lines_are_formed() {
        // Three lines falling 5 px per 100 px (about 3°): label at the left, value at the right.
        let mut words = Vec::new();
        for (i, (label, value)) in [("Name:", "Skye"), ("DOB:", "01/02/1990"), ("Phone:", "5550100")]
            .iter()
            .enumerate()
        {
            let top = 100 + 80 * i as u32;
            words.push(w(label, 100, top, i as u32, 95.0));
            words.push(w(value, 900, top + 40, i as u32, 90.0));
        }
        assert!((tilt(&words) - 0.05).abs() < 0.01, "{}", tilt(&words));
        let got = paired(&words);
        assert!(got.contains(&("Name".into(), "Skye".into())), "{got:?}");
        assert!(got.contains(&("DOB".into(), "01/02/1990".into())), "{got:?}");
    }

    #[test]
    fn join_line_words_keeps_a_typed_name_whole() {
        // `Name: Imelda Fauxcastillo   Phone: (213) 555-0188`: typed words a word height apart,
        // a column gap far wider; `Dummer` + `ly` overlapping; a colon-less `DOB 04/17/1969`
        // left to the gap.
        let words = vec![
            w("Name:", 100, 100, 1, 90.0),
            w("Imelda", 230, 100, 1, 90.0),
            w("Fauxcastillo", 380, 100, 1, 90.0),
            w("Phone:", 900, 100, 2, 90.0),
            w("(213)", 1040, 100, 2, 90.0),
            w("555-0188", 1170, 100, 2, 90.0),
            w("Last:", 0, 300, 3, 90.0),
            w("Dummer", 130, 300, 3, 90.0),
            w("ly", 245, 300, 3, 90.0),
            w("DOB", 100, 500, 4, 90.0),
            w("04/17/1969", 200, 500, 4, 90.0),
        ];
        let texts: Vec<String> = runs(&words, 1000).into_iter().map(|r| r.text).collect();
        assert_eq!(
            texts,
            vec![
                "Name: Imelda Fauxcastillo",
                "Phone: (213) 555-0188",
                "Last: Dummerly",
                "DOB",
                "04/17/1969"
            ]
        );
    }

    /// A value on an engine line of its own, in a typewriter face whose space is a whole
    /// character wide (`1750 Story Rd`), stays one phrase; a column gap still parts, and so
    /// does a label's colon, even read as `;`.
    #[test]
    fn close_words_on_a_line_are_one_phrase_without_a_colon() {
        let words = vec![
            w("1750", 100, 100, 1, 90.0),
            w("Story", 200, 100, 1, 90.0),
            w("Rd", 320, 100, 1, 90.0),
            w("Santa", 100, 300, 2, 90.0),
            w("Clara", 220, 300, 2, 90.0),
            w("Language", 700, 300, 2, 90.0),
            w("CIN", 100, 500, 3, 90.0),
            w("#;", 180, 500, 3, 90.0),
            w("93456712C", 240, 500, 3, 90.0),
        ];
        let texts: Vec<String> = runs(&words, 1000).into_iter().map(|r| r.text).collect();
        assert_eq!(
            texts,
            vec!["1750 Story Rd", "Santa Clara", "Language", "CIN #:", "93456712C"]
        );
    }

    /// A word `h` pixels high with its top at `top`.
    fn sized(text: &str, left: u32, top: u32, h: u32, line: u32) -> Word {
        Word {
            height: h,
            ..w(text, left, top, line, 95.0)
        }
    }

    #[test]
    fn captions_printed_under_their_values_label_them() {
        // `Horatio` typed on a line, `First` printed small right under it; the next value well
        // below. Without moving the captions, `First` would label `Mabel Notreal`.
        let words = vec![
            sized("Horatio", 200, 560, 30, 1),
            sized("1959-01-23", 1200, 560, 30, 2),
            sized("First", 200, 604, 22, 3),
            sized("DOB", 1200, 604, 22, 4),
            sized("Mabel", 200, 700, 30, 5),
            sized("925-555-0177", 1200, 700, 30, 6),
            sized("Name", 200, 744, 22, 7),
            sized("Phone", 1200, 744, 22, 8),
        ];
        let got = paired(&words);
        assert!(got.contains(&("First".into(), "Horatio".into())), "{got:?}");
        assert!(got.contains(&("DOB".into(), "1959-01-23".into())), "{got:?}");
        assert!(got.contains(&("Name".into(), "Mabel".into())), "{got:?}");
        assert!(got.contains(&("Phone".into(), "925-555-0177".into())), "{got:?}");
    }

    /// Issue #10 (blindscan1 11, blindscan3 09): a fax filled on lines, captions under the
    /// values. The captions and values change places, so a heading over the row still heads it;
    /// captions of one row stay on one line though their values read at different heights;
    /// a caption read as tall as its value (`County`, its descender) still captions it; a
    /// caption a little further under its value than the page's plain ones is still its caption.
    #[test]
    fn captions_under_their_values_change_places_with_them_row_by_row() {
        let words = vec![
            sized("Patient", 200, 480, 26, 1),
            sized("Horatio", 200, 560, 30, 2),
            sized("Fakerson-Lee", 740, 555, 37, 3),
            sized("1959-01-23", 1280, 560, 30, 4),
            sized("First", 200, 604, 22, 5),
            sized("Last", 740, 604, 22, 6),
            sized("DOB", 1280, 604, 22, 7),
            sized("Contra Costa", 200, 700, 29, 8),
            sized("925-555-0138", 1280, 700, 29, 9),
            sized("County", 200, 744, 27, 10),
            // 15 px under its value's box: further than the 0.8 of a height the page is told by.
            sized("Phone", 1280, 744, 21, 11),
        ];
        let placed = runs(&words, 1000);
        let y = |t: &str| placed.iter().find(|r| r.text == t).map_or(f32::NAN, |r| r.y);
        assert_eq!(y("First"), y("Last"), "{placed:?}");
        assert_eq!(y("Last"), y("DOB"), "{placed:?}");
        assert!(
            y("Patient") > y("First") && y("First") > y("Horatio"),
            "{placed:?}"
        );
        assert!(
            y("County") > y("Contra Costa") && y("Phone") > y("925-555-0138"),
            "{placed:?}"
        );
        let (entries, _) = crate::extract::pdf::pair_runs(vec![placed]);
        let got: Vec<(String, String, Option<String>)> = entries
            .iter()
            .map(|e| (e.name.clone(), e.value.as_text(), e.section.clone()))
            .collect();
        let patient = Some("Patient".to_string());
        for (label, value) in [
            ("First", "Horatio"),
            ("Last", "Fakerson-Lee"),
            ("DOB", "1959-01-23"),
            ("County", "Contra Costa"),
            ("Phone", "925-555-0138"),
        ] {
            assert!(
                got.contains(&(label.into(), value.into(), patient.clone())),
                "{label}: {got:?}"
            );
        }
    }

    /// Issue #10 (blindscan2 11): a fax whose rows are set evenly down the page, each caption
    /// 25 px under its value and 39 px over the next: no caption plainly hugs its value, but
    /// every one is nearer the value over it, so each captions that one.
    #[test]
    fn captions_set_evenly_under_their_values_label_the_value_over_them() {
        let rows = [
            ("Ezekiel Phonyman", "Patient name"),
            ("110223344", "Kaiser MRN"),
            ("209-555-0152", "Phone"),
            ("Stanislaus", "County"),
            ("hsample@dmcm.example", "Email"),
        ];
        let mut words = Vec::new();
        for (i, (value, caption)) in rows.iter().enumerate() {
            let top = 100 + 113 * i as u32;
            words.push(sized(value, 195, top, 27, 2 * i as u32));
            words.push(sized(caption, 182, top + 52, 22, 2 * i as u32 + 1));
        }
        let got = paired(&words);
        for (value, caption) in rows {
            assert!(
                got.contains(&(caption.into(), value.into())),
                "{caption}: {got:?}"
            );
        }
    }

    /// Issue #10 (blindscan3 12): boxed values under their captions, the next row's caption
    /// close under the box; the page is not turned around.
    #[test]
    fn captions_over_boxed_values_are_not_taken_for_captions_under_them() {
        let words = vec![
            sized("Name", 165, 393, 19, 1),
            sized("DOB", 722, 393, 19, 2),
            sized("Bartholomew Ersatz", 180, 430, 22, 3),
            sized("6/17/52", 740, 428, 25, 4),
            sized("Phone", 165, 495, 18, 5),
            sized("Address", 722, 495, 20, 6),
            sized("805-555-0135", 180, 532, 25, 7),
            sized("300 S C St", 740, 532, 22, 8),
        ];
        let got = paired(&words);
        assert!(
            got.contains(&("Name".into(), "Bartholomew Ersatz".into())),
            "{got:?}"
        );
        assert!(got.contains(&("Phone".into(), "805-555-0135".into())), "{got:?}");
        assert!(got.contains(&("Address".into(), "300 S C St".into())), "{got:?}");
    }

    /// Issue #10: a full stop or quote read from a speck is no word and does not size its line
    /// (`. Antioch` was a city, its line 4 px high and no value over its caption); a label's
    /// colon read as `;` is a colon.
    #[test]
    fn specks_are_no_words_and_a_semicolon_ends_a_label() {
        let words = vec![
            Word {
                height: 4,
                width: 6,
                ..sized(".", 1080, 326, 4, 1)
            },
            sized("Antioch", 1100, 300, 30, 1),
            sized("Name", 100, 500, 30, 2),
            sized("(First,", 200, 500, 30, 2),
            sized("Last);", 360, 500, 30, 2),
            sized("Ignatius Fakhoury", 560, 500, 30, 3),
        ];
        let placed = runs(&words, 1000);
        let antioch = placed.iter().find(|r| r.text.contains("Antioch"));
        assert!(
            antioch.is_some_and(|r| r.text == "Antioch" && r.size == 30.0),
            "{placed:?}"
        );
        let (entries, _) = crate::extract::pdf::pair_runs(vec![placed]);
        assert!(
            entries
                .iter()
                .any(|e| e.name == "Name (First, Last)" && e.value.as_text() == "Ignatius Fakhoury"),
            "{entries:?}"
        );
    }

    /// Issue #10 (blindscan3 12): a straight page stays straight though a tick drawn past its
    /// box and a word whose top a speck raised sit on its lines.
    #[test]
    fn ticks_and_specks_do_not_tilt_a_straight_page() {
        let mut words = Vec::new();
        for i in 0..4u32 {
            let top = 100 + 80 * i;
            words.push(w("Violence", 100, top, i, 95.0));
            words.push(w("prevention", 300, top, i, 95.0));
            words.push(w("services", 600, top, i, 95.0));
            // The tick's stroke reaches 20 px over the line's letters.
            words.push(w("☒", 900, top - 20, i, 95.0));
        }
        // One word of one line raised by a speck touching its top.
        if let Some(v) = words.get_mut(2) {
            v.top -= 12;
        }
        assert_eq!(tilt(&words), 0.0);
    }

    /// Issue #10 (blindscan5 18, 11): a label's colon read as `!` is a colon ("Patient!"), and a
    /// capital the engine set apart from the rest of its word ("Kaiser P ermanente") joins it;
    /// "A" and "I" stand alone.
    #[test]
    fn a_colon_read_as_a_bang_and_a_capital_torn_from_its_word() {
        assert_eq!(clean("Patient!").as_deref(), Some("Patient:"));
        assert_eq!(clean("Hooray!").as_deref(), Some("Hooray!"));
        // A speck after a name read as a degree sign is no word.
        assert_eq!(clean("°"), None);
        let words = vec![
            w("Plan:", 100, 100, 1, 95.0),
            w("Kaiser", 300, 100, 1, 95.0),
            w("P", 430, 100, 1, 95.0),
            w("ermanente", 460, 100, 1, 95.0),
            w("Note:", 100, 200, 2, 95.0),
            w("A", 300, 200, 2, 95.0),
            w("person", 330, 200, 2, 95.0),
        ];
        let texts: Vec<String> = runs(&words, 1000).into_iter().map(|r| r.text).collect();
        assert!(texts.iter().any(|t| t.contains("Kaiser Permanente")), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("A person")), "{texts:?}");
    }

    /// Issue #10 (blindscan5 08): a straight fax page with few long lines, two of them sloped by
    /// what sits on their tops (a bracketed caption with dot leaders, a bracket), is not tilted:
    /// a caption and the value typed level with it at the far right stay one line.
    #[test]
    fn two_stray_sloped_lines_do_not_tilt_a_straight_page() {
        let mut words = Vec::new();
        let mut line = |text: &str, left: u32, top: u32, n: u32| words.push(w(text, left, top, n, 95.0));
        // Two level lines spanning the page.
        line("DEC-01-2026", 100, 50, 0);
        line("PROBATION", 500, 50, 0);
        line("2095550156", 900, 50, 0);
        line("ENHANCED", 100, 150, 1);
        line("MANAGEMENT", 400, 150, 1);
        line("REFERRAL", 700, 150, 1);
        // Two lines whose later words sit 0.04-0.06 lower.
        line("NAME", 100, 250, 2);
        line("(LAST,", 220, 257, 2);
        line("FIRST)....", 400, 268, 2);
        line("Release", 100, 900, 3);
        line("date:", 250, 906, 3);
        line("11/26/2026", 450, 914, 3);
        // A caption and its value far right, level.
        line("TEL", 100, 500, 4);
        line("209-555-0117", 700, 500, 5);
        assert_eq!(tilt(&words), 0.0);
        let placed = runs(&words, 1000);
        let y = |t: &str| placed.iter().find(|r| r.text == t).map_or(-1.0, |r| r.y);
        assert_eq!(y("TEL"), y("209-555-0117"), "{placed:?}");
    }

    #[test]
    fn labels_printed_over_their_values_stay_where_they_are() {
        // A boxed form: the label hugs the value under it, the value above is well clear.
        let words = vec![
            sized("First", 160, 667, 22, 1),
            sized("Marisela", 167, 710, 30, 2),
            sized("CIN", 160, 778, 22, 3),
            sized("95551230F", 168, 822, 30, 4),
        ];
        let y = |t: &str, rs: &[Run]| rs.iter().find(|r| r.text == t).map_or(0.0, |r| r.y);
        let placed = runs(&words, 1000);
        let mut sorted: Vec<&str> = placed.iter().map(|r| r.text.as_str()).collect();
        sorted.sort_by(|a, b| y(b, &placed).total_cmp(&y(a, &placed)));
        assert_eq!(sorted, vec!["First", "Marisela", "CIN", "95551230F"]);
        // The same page with the captions under the values is turned around.
        let under = vec![
            sized("Marisela", 167, 667, 30, 1),
            sized("First", 160, 710, 22, 2),
            sized("95551230F", 168, 800, 30, 3),
            sized("CIN", 160, 843, 22, 4),
        ];
        let placed = runs(&under, 1000);
        let mut sorted: Vec<&str> = placed.iter().map(|r| r.text.as_str()).collect();
        sorted.sort_by(|a, b| y(b, &placed).total_cmp(&y(a, &placed)));
        assert_eq!(sorted, vec!["First", "Marisela", "CIN", "95551230F"]);
    }

    /// `Referred by` over `Name: Barnaby`: a fax noise line made `by` twice as tall as
    /// `Referred`; the heading keeps the size and baseline of its print, so it is not taken to
    /// reach down to the label under it.
    #[test]
    fn a_word_box_swollen_by_noise_does_not_size_its_line() {
        let words = vec![
            sized("Referred", 192, 1382, 30, 1),
            sized("by", 364, 1383, 60, 1),
            sized("Name:", 179, 1457, 26, 2),
        ];
        let placed = runs(&words, 2000);
        let heading = placed.iter().find(|r| r.text == "Referred by");
        assert!(
            heading.is_some_and(|r| r.size == 30.0 && r.y == 2000.0 - 1412.0),
            "{placed:?}"
        );
        assert_eq!(lower_median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(lower_median(&mut []), 0.0);
    }

    #[test]
    fn a_value_is_as_confident_as_its_least_certain_word() {
        let words = vec![
            w("Skye", 0, 0, 1, 91.0),
            w("Wardmore", 100, 0, 1, 42.0),
            w("|Skye", 0, 50, 2, 30.0),
        ];
        assert_eq!(confidence_of("Skye Wardmore", &words), Some(42));
        assert_eq!(confidence_of("Skye", &words), Some(91));
        assert_eq!(confidence_of("elsewhere", &words), None);
    }

    /// Issue #10 (blindscan3): a value typed wide stays whole ("Imelda  Fakhouri", an address
    /// broken at commas, a slash between a caption's words), while a value set close after a
    /// word naming a field ("First Name  Wendell") is still its own cell.
    #[test]
    fn a_values_words_typed_wide_stay_one_phrase() {
        // 20 px a character: gaps of 30 px are 1.5 characters.
        let words = vec![
            w("Imelda", 100, 100, 1, 90.0),
            w("Fakhouri", 250, 100, 1, 90.0),
            w("Mission", 100, 300, 2, 90.0),
            w("St,", 270, 300, 2, 90.0),
            w("Daly", 380, 300, 2, 90.0),
            w("County", 100, 500, 3, 90.0),
            w("/", 235, 500, 3, 90.0),
            w("social", 270, 500, 3, 90.0),
            w("Name", 100, 700, 4, 90.0),
            w("Wendell", 210, 700, 4, 90.0),
        ];
        let texts: Vec<String> = runs(&words, 1000).into_iter().map(|r| r.text).collect();
        assert_eq!(
            texts,
            vec![
                "Imelda Fakhouri",
                "Mission St, Daly",
                "County / social",
                "Name",
                "Wendell"
            ]
        );
    }

    /// A value typed on its box's bottom rule came back from the engine with the rule in its box
    /// (53 px high among words of 20-24): its baseline half a row low, it joined the captions of
    /// the row under it ("Phone93302211K"), and the CIN was lost. Cut back to its letters, it is
    /// the CIN's value again, and the phone under `Phone` is the phone.
    #[test]
    fn a_word_box_stretched_by_a_rule_is_cut_back_to_its_letters() {
        let words = vec![
            sized("DOB", 200, 500, 20, 1),
            sized("CIN", 1000, 500, 20, 2),
            sized("08-30-1959", 200, 540, 24, 3),
            sized("93302211K", 1000, 540, 53, 4),
            sized("MRN", 200, 596, 20, 5),
            sized("Phone", 1000, 596, 20, 6),
            sized("11004567", 200, 636, 24, 7),
            sized("916-555-0123", 1000, 636, 24, 8),
        ];
        let got = paired(&words);
        assert!(got.contains(&("CIN".into(), "93302211K".into())), "{got:?}");
        assert!(got.contains(&("Phone".into(), "916-555-0123".into())), "{got:?}");
        let cut = unstretched(&words);
        assert_eq!(cut.get(3).map(|w| (w.top, w.height)), Some((540, 25)));
    }

    /// Issue #10 (blindscan5 14): a name typed in a box whose edges stretched its words (57 and
    /// 70 px among 24) lands on its caption's baseline, not half a row under it, and is the
    /// caption's value.
    #[test]
    fn a_stretched_value_lands_on_its_captions_baseline() {
        let words = vec![
            sized("Member", 186, 342, 24, 1),
            sized("name", 330, 348, 18, 1),
            sized("Ignatz", 676, 321, 57, 2),
            sized("Fabrication", 810, 320, 70, 2),
            sized("DOB", 186, 411, 25, 3),
            sized("01/03/1991", 672, 411, 25, 4),
        ];
        let placed = runs(&words, 1000);
        let y = |t: &str| {
            placed
                .iter()
                .find(|r| r.text.starts_with(t))
                .map_or(-1.0, |r| r.y)
        };
        assert!((y("Member") - y("Ignatz")).abs() < 3.0, "{placed:?}");
        let got = paired(&words);
        assert!(
            got.contains(&("Member name".into(), "Ignatz Fabrication".into())),
            "{got:?}"
        );
    }
}
