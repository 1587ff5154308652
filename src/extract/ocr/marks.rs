//! Tick boxes found in the picture itself, not in what the engine read.
//!
//! Tesseract does not see a tick drawn in a box: a ticked box comes out as nothing, `O`, `CO`,
//! `&` or `X` glued to the caption, an empty one as `O` or `[]`. So the page is searched for
//! box-shaped ink of its own: the dark pixels are grouped into connected shapes, and a shape of
//! tick-box size whose outline is a square frame (four straight, nearly unbroken sides) is a
//! box. How much of its inside is inked decides: clearly inked is ticked, clean is empty, and
//! anything between is doubtful.
//!
//! Each box then replaces whatever the engine read inside it by a word of its own — `☒` or `☐`,
//! the tick glyphs the PDF text-layer reader already understands — on the line of its caption.
//! A doubtful box is `☒` with a confidence under [`super::DOUBT_BELOW`]: the entry it gives is
//! never used, and a required field it would have given is `uncertain_field` (review), never a
//! guess.

use image::GrayImage;

use super::engine::Word;

/// What a tick box holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    Ticked,
    Empty,
    /// Some ink inside, too little to call it a tick and too much to call it clean.
    Doubtful,
}

/// A tick box on the page: its frame in pixels (origin top-left) and what it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TickBox {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub tick: Tick,
    /// The fraction of the box's inside that is inked (for tests and tuning).
    pub ink: f32,
}

/// A pixel darker than this is ink (the page's light has been flattened: paper is near 255).
const INK: u8 = 150;
/// A box side is between an 80th and a 28th of the page width (an 8–20 pt box on a letter page;
/// a bold capital is smaller than the smallest).
const MIN_SIDE_DIV: u32 = 80;
const MAX_SIDE_DIV: u32 = 28;
/// Each side of the frame must be inked along at least this fraction of its length.
const SIDE_COVER: f32 = 0.85;
/// Inked fraction of the inside: at most this is empty, at least [`TICKED_FROM`] is ticked.
const EMPTY_UNTIL: f32 = 0.04;
const TICKED_FROM: f32 = 0.10;
/// The confidence given to a clear box's word, and to a doubtful one's.
const SURE: f32 = 96.0;
const DOUBT: f32 = 20.0;

/// The tick boxes on a prepared page.
pub fn find_boxes(page: &GrayImage) -> Vec<TickBox> {
    let (w, h) = page.dimensions();
    let (wu, hu) = (w as usize, h as usize);
    let min_side = (w / MIN_SIDE_DIV).max(6);
    let max_side = (w / MAX_SIDE_DIV).max(min_side + 1);
    let ink: Vec<bool> = page.pixels().map(|p| p.0[0] < INK).collect();
    let dark = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && (x as usize) < wu
            && (y as usize) < hu
            && ink.get(y as usize * wu + x as usize).copied().unwrap_or(false)
    };
    let mut seen = vec![false; wu * hu];
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut boxes = Vec::new();
    for start in 0..wu * hu {
        if seen.get(start).copied().unwrap_or(true) || !ink.get(start).copied().unwrap_or(false) {
            continue;
        }
        // One connected shape (8-neighbours): its bounding box.
        let (sx, sy) = ((start % wu) as u32, (start / wu) as u32);
        let (mut x0, mut y0, mut x1, mut y1) = (sx, sy, sx, sy);
        if let Some(s) = seen.get_mut(start) {
            *s = true;
        }
        stack.push((sx, sy));
        while let Some((x, y)) = stack.pop() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
            for (dx, dy) in [
                (-1i64, -1i64),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
                if !dark(nx, ny) {
                    continue;
                }
                let i = ny as usize * wu + nx as usize;
                if let Some(s) = seen.get_mut(i)
                    && !*s
                {
                    *s = true;
                    stack.push((nx as u32, ny as u32));
                }
            }
        }
        let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
        // A tick may overshoot its box a little: the shape can be up to a third larger.
        if bw < min_side || bh < min_side || bw > max_side * 4 / 3 || bh > max_side * 4 / 3 {
            continue;
        }
        if let Some(b) = frame_in(&dark, (x0, y0, x1, y1), min_side, max_side) {
            boxes.push(b);
        }
    }
    boxes
}

/// The square frame inside a shape's bounding box, when there is one: the outermost rows and
/// columns that are inked across most of the shape are its sides.
fn frame_in(
    dark: &dyn Fn(i64, i64) -> bool,
    (x0, y0, x1, y1): (u32, u32, u32, u32),
    min_side: u32,
    max_side: u32,
) -> Option<TickBox> {
    let (x0, y0, x1, y1) = (i64::from(x0), i64::from(y0), i64::from(x1), i64::from(y1));
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let row_full = |y: i64| (x0..=x1).filter(|x| dark(*x, y)).count() as i64 * 10 >= bw * 6;
    let col_full = |x: i64| (y0..=y1).filter(|y| dark(x, *y)).count() as i64 * 10 >= bh * 6;
    let top = (y0..=y1).find(|y| row_full(*y))?;
    let bottom = (y0..=y1).rev().find(|y| row_full(*y))?;
    let left = (x0..=x1).find(|x| col_full(*x))?;
    let right = (x0..=x1).rev().find(|x| col_full(*x))?;
    let (fw, fh) = (right - left, bottom - top);
    let (min, max) = (i64::from(min_side), i64::from(max_side));
    if fw < min || fh < min || fw > max || fh > max || fw * 4 > fh * 5 || fh * 4 > fw * 5 {
        return None;
    }
    // Four straight sides: along each, some pixel within two of the line is inked nearly
    // everywhere. A letter (`O`, `D`, `0`) has round corners or a missing side.
    let covered = |along: &mut dyn Iterator<Item = (i64, i64)>, across_x: bool| {
        let mut n = 0;
        let mut hit = 0;
        for (x, y) in along {
            n += 1;
            if (-2..=2).any(|d| if across_x { dark(x + d, y) } else { dark(x, y + d) }) {
                hit += 1;
            }
        }
        n > 0 && hit as f32 >= SIDE_COVER * n as f32
    };
    let sides = covered(&mut (left..=right).map(|x| (x, top)), false)
        && covered(&mut (left..=right).map(|x| (x, bottom)), false)
        && covered(&mut (top..=bottom).map(|y| (left, y)), true)
        && covered(&mut (top..=bottom).map(|y| (right, y)), true);
    // Square corners: a round letter's "frame" is drawn through its blank corners.
    let corner = |x: i64, y: i64| (-2..=2).any(|dy| (-2..=2).any(|dx| dark(x + dx, y + dy)));
    let corners = corner(left, top) && corner(right, top) && corner(left, bottom) && corner(right, bottom);
    if !sides || !corners {
        return None;
    }
    // The inside, clear of the frame's own thickness and of a slightly wobbly rule.
    let inset = (fw.min(fh) / 5).max(2);
    let (ix0, ix1, iy0, iy1) = (left + inset, right - inset, top + inset, bottom - inset);
    if ix1 <= ix0 || iy1 <= iy0 {
        return None;
    }
    let area = ((ix1 - ix0 + 1) * (iy1 - iy0 + 1)) as f32;
    let inked = (iy0..=iy1)
        .flat_map(|y| (ix0..=ix1).map(move |x| (x, y)))
        .filter(|(x, y)| dark(*x, *y))
        .count() as f32;
    let ink = inked / area;
    let tick = if ink <= EMPTY_UNTIL {
        Tick::Empty
    } else if ink >= TICKED_FROM {
        Tick::Ticked
    } else {
        Tick::Doubtful
    };
    Some(TickBox {
        left: left as u32,
        top: top as u32,
        right: right as u32,
        bottom: bottom as u32,
        tick,
        ink,
    })
}

/// The page's words with each tick box's reading replaced by a tick word of its own: what the
/// engine read inside a box is dropped (the part of a word that lies in it is cut off), and
/// `☒`/`☐` is put in its place on the line of the caption beside it.
pub fn with_boxes(words: Vec<Word>, boxes: &[TickBox]) -> Vec<Word> {
    // A "box" in the middle of a word is a square letter (a bold `O` or `M` of a heading): the
    // engine reads a real box as junk of its own or glued to one end of its caption.
    let in_a_word = |b: &&TickBox| {
        let side = b.right - b.left;
        words
            .iter()
            .any(|w| overlaps_y(w, b) && w.left + side / 2 < b.left && b.right + side / 2 < w.left + w.width)
    };
    let boxes: Vec<&TickBox> = boxes.iter().filter(|b| !in_a_word(b)).collect();
    let mut out: Vec<Word> = Vec::with_capacity(words.len() + boxes.len());
    for w in words {
        match boxes.iter().find(|b| overlap_x(&w, b) > 0 && overlaps_y(&w, b)) {
            None => out.push(w),
            Some(b) => {
                if let Some(rest) = outside(&w, b) {
                    out.push(rest);
                }
            }
        }
    }
    for (i, b) in boxes.iter().enumerate() {
        let side = b.bottom - b.top;
        let centre = (b.top + b.bottom) / 2;
        // The caption: the nearest word on the box's row, to its right, else to its left.
        let on_row = |w: &&Word| w.top <= centre && centre <= w.top + w.height;
        let right = out
            .iter()
            .filter(on_row)
            .filter(|w| w.left >= b.right && w.left - b.right < side * 4)
            .min_by_key(|w| w.left);
        let left = out
            .iter()
            .filter(on_row)
            .filter(|w| w.left + w.width <= b.left && b.left - (w.left + w.width) < side * 4)
            .max_by_key(|w| w.left + w.width);
        let line = right.or(left).map_or((u32::MAX, u32::MAX, i as u32), |w| w.line);
        let (text, conf) = match b.tick {
            Tick::Ticked => ("☒", SURE),
            Tick::Empty => ("☐", SURE),
            Tick::Doubtful => ("☒", DOUBT),
        };
        out.push(Word {
            left: b.left,
            top: b.top,
            width: b.right - b.left + 1,
            height: side + 1,
            line,
            conf,
            text: text.into(),
        });
    }
    out
}

/// The caption words of the doubtful boxes among a page's words: the nearest word on a doubtful
/// box's row, to its right (or, for a box after its caption, to its left). An entry read from
/// such a caption is as doubtful as the box.
pub fn doubtful_captions(words: &[Word]) -> Vec<String> {
    let mut out = Vec::new();
    for m in words
        .iter()
        .filter(|w| w.text == "☒" && w.conf < f32::from(super::DOUBT_BELOW))
    {
        let centre = m.top + m.height / 2;
        let reach = m.height * 4;
        let on_row =
            |w: &&Word| w.text != "☒" && w.text != "☐" && w.top <= centre && centre <= w.top + w.height;
        let right = words
            .iter()
            .filter(on_row)
            .filter(|w| w.left >= m.left + m.width && w.left - (m.left + m.width) < reach)
            .min_by_key(|w| w.left);
        let left = words
            .iter()
            .filter(on_row)
            .filter(|w| w.left + w.width <= m.left && m.left - (w.left + w.width) < reach)
            .max_by_key(|w| w.left + w.width);
        if let Some(w) = right.or(left) {
            out.push(w.text.clone());
        }
    }
    out
}

fn overlap_x(w: &Word, b: &TickBox) -> i64 {
    let l = i64::from(w.left.max(b.left));
    let r = i64::from((w.left + w.width).min(b.right + 1));
    r - l
}

fn overlaps_y(w: &Word, b: &TickBox) -> bool {
    let t = w.top.max(b.top);
    let btm = (w.top + w.height).min(b.bottom + 1);
    // Most of the word's height (or the box's) is shared.
    btm > t && (btm - t) * 2 >= w.height.min(b.bottom - b.top + 1)
}

/// What the engine typically makes of a box's frame or tick when it glues it to a caption.
const BOX_JUNK: &[char] = &['O', 'o', 'C', 'c', 'X', 'x', 'D', 'Q', '0', '8', '&', '@'];

/// The part of a word that is not the box it overlaps: `&At` or `COMedical` read over a box and
/// its caption keep `At` and `Medical`. `None` when the word lies (nearly) inside the box.
fn outside(w: &Word, b: &TickBox) -> Option<Word> {
    let side = b.right - b.left;
    let slack = side / 4;
    // A tick drawn past the box's edge (a check mark's long stroke) comes back as a letter or
    // two over the box and a little beyond it (`mf`, `wif`): still the box, not a caption's.
    let short = w.text.chars().filter(|c| c.is_alphanumeric()).count() <= 3;
    let reach = if b.tick != Tick::Empty && short {
        side / 2
    } else {
        slack
    };
    if w.left + slack >= b.left && w.left + w.width <= b.right + reach {
        return None;
    }
    let box_first = b.left <= w.left + w.width / 2;
    let chars: Vec<char> = w.text.chars().collect();
    let mut from = 0;
    let mut to = chars.len();
    if box_first {
        while chars.get(from).is_some_and(|c| !c.is_alphanumeric()) {
            from += 1;
        }
        // At most two junk letters, and only before a capital: `Outreach` stays.
        for _ in 0..2 {
            if chars.get(from).is_some_and(|c| BOX_JUNK.contains(c))
                && chars.get(from + 1).is_some_and(|c| c.is_uppercase())
            {
                from += 1;
            }
        }
    } else {
        while to > from
            && chars
                .get(to - 1)
                .is_some_and(|c| !c.is_alphanumeric() && !matches!(c, ':' | '?' | ')'))
        {
            to -= 1;
        }
        for _ in 0..2 {
            if to > from + 1
                && chars.get(to - 1).is_some_and(|c| BOX_JUNK.contains(c))
                && chars.get(to - 2).is_some_and(|c| c.is_lowercase())
            {
                to -= 1;
            }
        }
    }
    let text: String = chars.get(from..to).unwrap_or_default().iter().collect();
    if text.is_empty() {
        return None;
    }
    let inside = u32::try_from(overlap_x(w, b))
        .unwrap_or(0)
        .min(w.width.saturating_sub(1));
    let left = if box_first { w.left + inside } else { w.left };
    Some(Word {
        left,
        width: w.width - inside,
        text,
        ..w.clone()
    })
}

/// Answers a circle is drawn around, and the choices beside them, marked as boxes are: `☒`
/// before the circled word, `☐` before the others. A form that asks "Kaiser member?  Yes  No"
/// is answered by a pen circle, which the engine does not see. A word is circled when ink runs
/// just outside its letters on three of its four sides (a ring's arcs; on the fourth it may cross
/// the letters of the word before it); a rule under the row or a neighbour's letters make one or
/// two. Only a row of yes/no words with exactly one circled is read: anything else is left as it
/// was.
pub fn with_circles(mut words: Vec<Word>, page: &GrayImage) -> Vec<Word> {
    let answer = |w: &Word| is_yes_no_word(&w.text);
    let mut marks: Vec<Word> = Vec::new();
    let candidates: Vec<usize> = (0..words.len())
        .filter(|&i| words.get(i).is_some_and(answer))
        .collect();
    let mut done: Vec<usize> = Vec::new();
    for &i in &candidates {
        if done.contains(&i) {
            continue;
        }
        let Some(w) = words.get(i) else { continue };
        // The choices of one question: yes/no words on this word's row, near each other.
        let reach = 12 * w.height.max(1);
        let row: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&j| {
                words.get(j).is_some_and(|o| {
                    let (cy, oy) = (w.top + w.height / 2, o.top + o.height / 2);
                    cy.abs_diff(oy) < w.height.max(o.height) && o.left.abs_diff(w.left) < reach
                })
            })
            .collect();
        done.extend(&row);
        if row.len() < 2 {
            continue;
        }
        let circled: Vec<usize> = row
            .iter()
            .copied()
            .filter(|&j| words.get(j).is_some_and(|o| circled(o, &words, page)))
            .collect();
        let [chosen] = circled.as_slice() else {
            continue;
        };
        for &j in &row {
            let Some(o) = words.get(j) else { continue };
            let side = (o.height * 3 / 4).max(4);
            marks.push(Word {
                left: o.left.saturating_sub(side + side / 2),
                top: o.top,
                width: side,
                height: o.height,
                line: o.line,
                conf: SURE,
                text: if j == *chosen { "☒" } else { "☐" }.into(),
            });
        }
    }
    words.extend(marks);
    words
}

/// "Yes", "No", "Y", "N", "Sí": a word a circle answers with (marks the engine glued to it
/// aside, no digit in it).
fn is_yes_no_word(text: &str) -> bool {
    let letters: String = text
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    !text.chars().any(char::is_numeric)
        && (crate::extract::is_yes_no(&letters) || matches!(letters.as_str(), "si" | "sí"))
}

/// Whether ink runs around `w` on three sides, outside its letters and any other word's: the
/// arcs of a circle drawn around it.
fn circled(w: &Word, words: &[Word], page: &GrayImage) -> bool {
    let h = w.height.max(4);
    let (top, bottom) = (w.top, (w.top + h).min(page.height()));
    // The other words' letters, measured once rather than for every pixel looked at.
    let others: Vec<(u32, u32, u32, u32)> = words
        .iter()
        .filter(|o| !std::ptr::eq(*o, w) && o.text.chars().any(char::is_alphanumeric))
        .map(|o| {
            let (left, right) = letters(o);
            (left, right, o.top, o.top + o.height)
        })
        .collect();
    let in_other = |x: u32, y: u32| {
        others
            .iter()
            .any(|&(l, r, t, b)| x >= l && x < r && y >= t && y < b)
    };
    let (left, right) = letters(w);
    let inked = |x: u32, y: u32| {
        x < page.width() && y < page.height() && !in_other(x, y) && page.get_pixel(x, y).0[0] < INK
    };
    // A side beside the letters: inked in most rows of the word's height.
    let beside = |from: u32, to: u32| {
        let rows = (top..bottom).filter(|&y| (from..to).any(|x| inked(x, y))).count();
        rows as f32 >= CIRCLE_COVER * (bottom - top) as f32
    };
    // A side over or under them: inked in most columns of the word's width.
    let across = |from: u32, to: u32| {
        let cols = (left..right).filter(|&x| (from..to).any(|y| inked(x, y))).count();
        cols as f32 >= CIRCLE_COVER * right.saturating_sub(left) as f32
    };
    let gap = (h / 8).max(1);
    let reach = h * 4 / 5;
    if left <= reach || top <= reach {
        return false;
    }
    // A ring shows on three sides at least (it may touch a neighbour's letters on one); a rule
    // under the row or a neighbour's letters make one or two.
    let sides = [
        beside(left - reach, left - gap),
        beside(right + gap, right + reach),
        across(top - reach, top - gap),
        across(bottom + gap, bottom + reach),
    ];
    sides.iter().filter(|s| **s).count() >= 3
}

/// The part of a word's box its letters take: the engine reads a circle's arc touching a word
/// as marks glued to it ("member?(’", "(Yes"), which are cut off in proportion.
fn letters(w: &Word) -> (u32, u32) {
    let n = w.text.chars().count().max(1) as u32;
    let lead = w.text.chars().take_while(|c| !c.is_alphanumeric()).count() as u32;
    let trail = w.text.chars().rev().take_while(|c| !c.is_alphanumeric()).count() as u32;
    if lead + trail >= n {
        return (w.left, w.left + w.width);
    }
    (
        w.left + w.width * lead / n,
        w.left + w.width - w.width * trail / n,
    )
}

/// A circle's arc beside a word is inked over at least this fraction of the word's height.
const CIRCLE_COVER: f32 = 0.6;

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// A white page `w` wide with a box of `side` pixels at (x, y), its frame 3 px thick.
    fn page_with_box(w: u32, x: u32, y: u32, side: u32, fill: impl Fn(u32, u32) -> bool) -> GrayImage {
        GrayImage::from_fn(w, w, |px, py| {
            let inside = px >= x && px < x + side && py >= y && py < y + side;
            let frame = inside && (px < x + 3 || px >= x + side - 3 || py < y + 3 || py >= y + side - 3);
            let ink = frame || (inside && fill(px - x, py - y));
            Luma([if ink { 0 } else { 255 }])
        })
    }

    #[test]
    fn a_tick_box_is_found_by_its_frame_and_read_by_its_ink() {
        let empty = page_with_box(2000, 300, 400, 40, |_, _| false);
        let found = find_boxes(&empty);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found.first().map(|b| b.tick), Some(Tick::Empty));

        // An X from corner to corner, 4 px thick.
        let x =
            |px: u32, py: u32| (px as i64 - py as i64).abs() < 3 || (px as i64 + py as i64 - 39).abs() < 3;
        let ticked = find_boxes(&page_with_box(2000, 300, 400, 40, x));
        assert_eq!(ticked.first().map(|b| b.tick), Some(Tick::Ticked), "{ticked:?}");

        // A speck or two: not clean, not a tick.
        let speck = |px: u32, py: u32| (17..22).contains(&px) && (15..24).contains(&py);
        let doubtful = find_boxes(&page_with_box(2000, 300, 400, 40, speck));
        assert_eq!(
            doubtful.first().map(|b| b.tick),
            Some(Tick::Doubtful),
            "{doubtful:?}"
        );
    }

    #[test]
    fn a_round_letter_or_a_big_cell_is_not_a_tick_box() {
        // A ring (an `O`) of tick-box size.
        let ring = GrayImage::from_fn(2000, 600, |x, y| {
            let d = ((x as f32 - 320.0).powi(2) + (y as f32 - 420.0).powi(2)).sqrt();
            Luma([if (16.0..20.0).contains(&d) { 0 } else { 255 }])
        });
        assert!(find_boxes(&ring).is_empty());
        // A table cell far larger than a tick box.
        let cell = page_with_box(2000, 100, 100, 400, |_, _| false);
        assert!(find_boxes(&cell).is_empty());
    }

    fn word(text: &str, left: u32, width: u32, line: u32) -> Word {
        Word {
            left,
            top: 400,
            width,
            height: 40,
            line: (1, 1, line),
            conf: 80.0,
            text: text.into(),
        }
    }

    /// A 40-pixel box on the row of [`word`]'s words.
    fn b(left: u32, tick: Tick) -> TickBox {
        TickBox {
            left,
            top: 400,
            right: left + 40,
            bottom: 440,
            tick,
            ink: 0.0,
        }
    }

    #[test]
    fn tick_box_reading_replaces_what_the_engine_saw_in_the_box() {
        let words = vec![
            word("CO", 302, 36, 1),
            word("Housing", 360, 140, 1),
            word("&Meals", 700, 150, 2),
            word("COMedical", 1300, 200, 4),
            word("Respite", 1000, 140, 3),
        ];
        let boxes = [
            b(300, Tick::Ticked),
            b(700, Tick::Empty),
            b(950, Tick::Doubtful),
            b(1300, Tick::Empty),
        ];
        let got = with_boxes(words, &boxes);
        let texts: Vec<(&str, u32, f32)> = got.iter().map(|w| (w.text.as_str(), w.line.2, w.conf)).collect();
        assert!(!texts.iter().any(|t| t.0 == "CO"), "{texts:?}");
        assert!(texts.contains(&("Meals", 2, 80.0)), "{texts:?}");
        assert!(texts.contains(&("☒", 1, SURE)), "{texts:?}");
        assert!(texts.contains(&("☐", 2, SURE)), "{texts:?}");
        assert!(texts.contains(&("Medical", 4, 80.0)), "{texts:?}");
        assert!(texts.contains(&("☒", 3, DOUBT)), "{texts:?}");
    }

    /// Issue #10 (blindscan3): a check mark drawn past its box's edge is read as a letter or two
    /// over the box and a little beyond (`mf`): still the box. An empty box's neighbour, and a
    /// longer word starting on a ticked box's edge, keep their letters.
    #[test]
    fn a_tick_drawn_past_its_box_is_not_a_word() {
        let words = vec![
            word("mf", 302, 56, 1),
            word("Recuperative", 370, 220, 1),
            word("Meals", 1010, 40, 2),
            word("Outreach", 1410, 200, 3),
        ];
        let boxes = [b(300, Tick::Ticked), b(950, Tick::Empty), b(1400, Tick::Ticked)];
        let got = with_boxes(words, &boxes);
        let texts: Vec<&str> = got.iter().map(|w| w.text.as_str()).collect();
        assert!(!texts.contains(&"mf"), "{texts:?}");
        assert!(texts.contains(&"Recuperative"), "{texts:?}");
        assert!(texts.contains(&"Meals"), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("utreach")), "{texts:?}");
    }

    /// A pen circle around "Yes" of "Kaiser member?  Yes   No" answers the question: the
    /// circled word gets a ticked box before it, the other an empty one; uncircled, nothing.
    #[test]
    fn a_circled_answer_is_a_ticked_box() {
        let word = |text: &str, left: u32| Word {
            left,
            top: 300,
            width: 20 * text.len() as u32,
            height: 30,
            line: (1, 1, 1),
            conf: 95.0,
            text: text.into(),
        };
        let words = vec![word("member?", 100), word("Yes", 300), word("No", 420)];
        // An ellipse around "Yes" (300..360 x 300..330), 3 px thick, and a rule under the row.
        let ring = |px: u32, py: u32| {
            let (dx, dy) = ((px as f32 - 330.0) / 48.0, (py as f32 - 315.0) / 26.0);
            ((dx * dx + dy * dy).sqrt() - 1.0).abs() < 0.06
        };
        let page = GrayImage::from_fn(800, 600, |px, py| {
            let rule = py == 345 && px > 80;
            Luma([if ring(px, py) || rule { 0 } else { 255 }])
        });
        let got = with_circles(words.clone(), &page);
        let mark = |t: &str| got.iter().find(|w| w.text == t).map(|w| w.left);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(mark("☒").is_some_and(|x| x < 300), "{got:?}");
        assert!(mark("☐").is_some_and(|x| (360..420).contains(&x)), "{got:?}");
        let plain = GrayImage::from_fn(800, 600, |px, py| {
            Luma([if py == 345 && px > 80 { 0 } else { 255 }])
        });
        assert_eq!(with_circles(words, &plain).len(), 3);
    }
}
