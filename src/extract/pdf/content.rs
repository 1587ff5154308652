//! Content-stream walker: positioned text runs from a page, including Form XObjects.
//!
//! lopdf's `extract_text` drops positions and ignores `Do`, but flattened form values usually
//! live in Form XObjects and label/value pairing needs coordinates. This walker interprets the
//! operators that move or show text (`BT/ET Tf Td TD Tm T* Tj TJ ' " Tc Tw Tz TL Ts cm q Q Do`)
//! and emits one [`Run`] per shown string with its device-space start, end and baseline.
//!
//! Invariants:
//! - XObject recursion is bounded by `max_depth`, and an XObject already being drawn is never
//!   entered again, so self- or mutually-referencing forms terminate.
//! - Every operator executed and every decoded byte is charged to the shared [`Budget`]; a form
//!   drawn many times is decoded once (cached) but its operators are charged each time, so
//!   fan-out bombs stop with [`LimitHit`].
//! - Malformed operands are skipped, never fatal.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::fonts::{Font, Glyph};
use super::{Budget, LimitHit};

/// A string shown on the page: device-space start and end x, baseline y, font size, text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    pub x0: f32,
    pub x1: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

/// A PDF transformation matrix `[a b c d e f]` (row-vector convention, as in the spec).
#[derive(Debug, Clone, Copy, PartialEq)]
struct M {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    e: f32,
    f: f32,
}

impl M {
    const ID: M = M {
        a: 1.0,
        b: 0.0,
        c: 0.0,
        d: 1.0,
        e: 0.0,
        f: 0.0,
    };

    fn translate(x: f32, y: f32) -> M {
        M { e: x, f: y, ..M::ID }
    }

    /// `self × o`: apply `self` first, then `o`.
    fn mul(self, o: M) -> M {
        M {
            a: self.a * o.a + self.b * o.c,
            b: self.a * o.b + self.b * o.d,
            c: self.c * o.a + self.d * o.c,
            d: self.c * o.b + self.d * o.d,
            e: self.e * o.a + self.f * o.c + o.e,
            f: self.e * o.b + self.f * o.d + o.f,
        }
    }

    /// A point of user space in the space `self` maps it to.
    fn apply(self, x: f32, y: f32) -> (f32, f32) {
        (x * self.a + y * self.c + self.e, x * self.b + y * self.d + self.f)
    }

    fn from_objects(ops: &[Object]) -> Option<M> {
        let v: Vec<f32> = ops.iter().filter_map(num).collect();
        match v.as_slice() {
            [a, b, c, d, e, f] => Some(M {
                a: *a,
                b: *b,
                c: *c,
                d: *d,
                e: *e,
                f: *f,
            }),
            _ => None,
        }
    }
}

fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// Graphics state that `q`/`Q` save and restore (text state parameters included).
#[derive(Clone)]
struct GState<'a> {
    ctm: M,
    font: Option<Rc<Font<'a>>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
    rise: f32,
}

impl GState<'_> {
    fn new(ctm: M) -> Self {
        GState {
            ctm,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            h_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// Walks pages of one document, sharing font and XObject caches between them.
pub(super) struct Walker<'a, 'b> {
    doc: &'a Document,
    budget: &'b mut Budget,
    max_depth: usize,
    fonts: HashMap<ObjectId, Rc<Font<'a>>>,
    forms: HashMap<ObjectId, Rc<Vec<Operation>>>,
    /// XObjects currently being drawn (cycle guard).
    active: Vec<ObjectId>,
    glyphs: Vec<Glyph>,
    /// Runs of the page being walked.
    pub runs: Vec<Run>,
    /// Rectangles and straight strokes painted on the page being walked, in page space: where a
    /// form draws its check boxes and the crosses or ticks in them ([`drawn_ticks`]).
    rects: Vec<[f32; 4]>,
    strokes: Vec<[f32; 4]>,
    /// Whether drawn check boxes become tick runs (not on fillable forms, whose boxes are widgets).
    pub drawn_ticks: bool,
}

/// Shapes kept per page, at most: a page of hatching or a chart cannot grow memory.
const MAX_SHAPES: usize = 20_000;

/// Deepest `q` nesting kept; further saves are ignored (a hostile stream cannot grow memory).
const MAX_SAVED_STATES: usize = 256;

impl<'a, 'b> Walker<'a, 'b> {
    pub fn new(doc: &'a Document, budget: &'b mut Budget, max_depth: usize) -> Self {
        Walker {
            doc,
            budget,
            max_depth,
            fonts: HashMap::new(),
            forms: HashMap::new(),
            active: Vec::new(),
            glyphs: Vec::new(),
            runs: Vec::new(),
            rects: Vec::new(),
            strokes: Vec::new(),
            drawn_ticks: false,
        }
    }

    /// Appends the runs of one page to `self.runs`.
    pub fn walk_page(&mut self, page_id: ObjectId) -> Result<(), LimitHit> {
        let content = match self
            .doc
            .get_page_content_with_limit(page_id, self.budget.remaining())
        {
            Ok(c) => c,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                return Err(LimitHit::Decompressed);
            }
            Err(_) => return Ok(()),
        };
        self.budget.charge(content.len())?;
        let ops = decode_ops(&content, self.budget.ops_remaining());
        let resources = self.page_resources(page_id);
        let first = self.runs.len();
        self.rects.clear();
        self.strokes.clear();
        self.run_ops(&ops, resources, GState::new(M::ID), 0)?;
        if self.drawn_ticks {
            let ticks = drawn_ticks(
                &self.rects,
                &self.strokes,
                self.runs.get(first..).unwrap_or_default(),
            );
            self.runs.extend(ticks);
        }
        Ok(())
    }

    fn page_resources(&self, page_id: ObjectId) -> Option<&'a Dictionary> {
        let (direct, ids) = self.doc.get_page_resources(page_id).ok()?;
        direct.or_else(|| ids.first().and_then(|id| self.doc.get_dictionary(*id).ok()))
    }

    fn deref(&self, o: &'a Object) -> Option<&'a Object> {
        self.doc.dereference(o).ok().map(|(_, o)| o)
    }

    /// Looks `name` up in the resource category `kind` (`Font`, `XObject`).
    fn resource(&self, res: Option<&'a Dictionary>, kind: &[u8], name: &[u8]) -> Option<&'a Object> {
        let cat = res?.get(kind).ok().and_then(|o| self.deref(o))?.as_dict().ok()?;
        cat.get(name).ok()
    }

    fn font(&mut self, res: Option<&'a Dictionary>, name: &[u8]) -> Result<Option<Rc<Font<'a>>>, LimitHit> {
        let Some(obj) = self.resource(res, b"Font", name) else {
            return Ok(None);
        };
        let id = obj.as_reference().ok();
        if let Some(f) = id.and_then(|id| self.fonts.get(&id)) {
            return Ok(Some(Rc::clone(f)));
        }
        let Some(dict) = self.deref(obj).and_then(|o| o.as_dict().ok()) else {
            return Ok(None);
        };
        let font = Rc::new(Font::load(self.doc, dict, self.budget)?);
        if let Some(id) = id {
            self.fonts.insert(id, Rc::clone(&font));
        }
        Ok(Some(font))
    }

    fn run_ops(
        &mut self,
        ops: &[Operation],
        res: Option<&'a Dictionary>,
        mut gs: GState<'a>,
        depth: usize,
    ) -> Result<(), LimitHit> {
        let mut saved: Vec<GState<'a>> = Vec::new();
        let mut tm = M::ID;
        let mut tlm = M::ID;
        // The path being built: its current point, straight segments and rectangles, in page
        // space (the CTM applies when a path is built); kept when it is painted.
        let mut at = (0.0f32, 0.0f32);
        let mut segments: Vec<[f32; 4]> = Vec::new();
        let mut boxes: Vec<[f32; 4]> = Vec::new();
        for op in ops {
            self.budget.tick()?;
            let args = op.operands.as_slice();
            let n = |i: usize| args.get(i).and_then(num);
            match op.operator.as_str() {
                "m" if self.drawn_ticks => {
                    if let (Some(x), Some(y)) = (n(0), n(1)) {
                        at = gs.ctm.apply(x, y);
                    }
                }
                // Paths are kept only when drawn check boxes are looked for (flattened pages).
                "l" if self.drawn_ticks => {
                    if let (Some(x), Some(y)) = (n(0), n(1)) {
                        let to = gs.ctm.apply(x, y);
                        if segments.len() < MAX_SHAPES {
                            segments.push([at.0, at.1, to.0, to.1]);
                        }
                        at = to;
                    }
                }
                "re" if self.drawn_ticks => {
                    if let (Some(x), Some(y), Some(w), Some(h)) = (n(0), n(1), n(2), n(3))
                        && boxes.len() < MAX_SHAPES
                    {
                        let (a, b) = (gs.ctm.apply(x, y), gs.ctm.apply(x + w, y + h));
                        boxes.push([a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)]);
                    }
                }
                "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => {
                    let room = MAX_SHAPES.saturating_sub(self.rects.len());
                    self.rects.extend(boxes.drain(..).take(room));
                    let room = MAX_SHAPES.saturating_sub(self.strokes.len());
                    self.strokes.extend(segments.drain(..).take(room));
                }
                "n" => {
                    boxes.clear();
                    segments.clear();
                }
                "q" if saved.len() < MAX_SAVED_STATES => saved.push(gs.clone()),
                "Q" => {
                    if let Some(s) = saved.pop() {
                        gs = s;
                    }
                }
                "cm" => {
                    if let Some(m) = M::from_objects(args) {
                        gs.ctm = m.mul(gs.ctm);
                    }
                }
                "BT" => {
                    tm = M::ID;
                    tlm = M::ID;
                }
                "Tf" => {
                    if let Some(name) = args.first().and_then(|o| o.as_name().ok()) {
                        gs.font = self.font(res, name)?;
                    }
                    gs.size = n(1).unwrap_or(gs.size);
                }
                "Tc" => gs.char_spacing = n(0).unwrap_or(gs.char_spacing),
                "Tw" => gs.word_spacing = n(0).unwrap_or(gs.word_spacing),
                "Tz" => gs.h_scale = n(0).map_or(gs.h_scale, |v| v / 100.0),
                "TL" => gs.leading = n(0).unwrap_or(gs.leading),
                "Ts" => gs.rise = n(0).unwrap_or(gs.rise),
                "Td" | "TD" => {
                    if let (Some(x), Some(y)) = (n(0), n(1)) {
                        if op.operator == "TD" {
                            gs.leading = -y;
                        }
                        tlm = M::translate(x, y).mul(tlm);
                        tm = tlm;
                    }
                }
                "Tm" => {
                    if let Some(m) = M::from_objects(args) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = M::translate(0.0, -gs.leading).mul(tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" => {
                    if op.operator != "Tj" {
                        if op.operator == "\"" {
                            gs.word_spacing = n(0).unwrap_or(gs.word_spacing);
                            gs.char_spacing = n(1).unwrap_or(gs.char_spacing);
                        }
                        tlm = M::translate(0.0, -gs.leading).mul(tlm);
                        tm = tlm;
                    }
                    if let Some(Ok(bytes)) = args.last().map(Object::as_str) {
                        self.show(bytes, &gs, &mut tm);
                    }
                }
                "TJ" => {
                    let Some(Ok(items)) = args.first().map(Object::as_array) else {
                        continue;
                    };
                    for item in items {
                        match item {
                            Object::String(bytes, _) => self.show(bytes, &gs, &mut tm),
                            other => {
                                if let Some(adj) = num(other) {
                                    let tx = -adj / 1000.0 * gs.size * gs.h_scale;
                                    tm = M::translate(tx, 0.0).mul(tm);
                                }
                            }
                        }
                    }
                }
                "Do" => {
                    if let Some(name) = args.first().and_then(|o| o.as_name().ok()) {
                        self.draw_xobject(res, name, &gs, depth)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn draw_xobject(
        &mut self,
        res: Option<&'a Dictionary>,
        name: &[u8],
        gs: &GState<'a>,
        depth: usize,
    ) -> Result<(), LimitHit> {
        let Some(Ok(id)) = self.resource(res, b"XObject", name).map(Object::as_reference) else {
            return Ok(());
        };
        if depth >= self.max_depth || self.active.contains(&id) {
            return Ok(());
        }
        let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
            return Ok(()); // images carry no text
        }
        let ops = match self.forms.get(&id) {
            Some(ops) => Rc::clone(ops),
            None => {
                let bytes = self.budget.decode(stream)?;
                let ops = Rc::new(decode_ops(&bytes, self.budget.ops_remaining()));
                self.forms.insert(id, Rc::clone(&ops));
                ops
            }
        };
        let matrix = stream
            .dict
            .get(b"Matrix")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| M::from_objects(a))
            .unwrap_or(M::ID);
        let own_res = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_dict().ok());
        let mut inner = gs.clone();
        inner.ctm = matrix.mul(gs.ctm);
        self.active.push(id);
        let result = self.run_ops(&ops, own_res.or(res), inner, depth + 1);
        self.active.pop();
        result
    }

    /// Shows one string: decodes glyphs, advances the text matrix, records the run.
    fn show(&mut self, bytes: &[u8], gs: &GState<'a>, tm: &mut M) {
        let Some(font) = gs.font.as_ref() else { return };
        self.glyphs.clear();
        font.glyphs(bytes, &mut self.glyphs);
        let scale = M {
            a: gs.size * gs.h_scale,
            b: 0.0,
            c: 0.0,
            d: gs.size,
            e: 0.0,
            f: gs.rise,
        };
        let start = scale.mul(*tm).mul(gs.ctm);
        let mut text = String::new();
        for g in &self.glyphs {
            text.push_str(&g.text);
            let spacing = gs.char_spacing + if g.is_space { gs.word_spacing } else { 0.0 };
            let tx = (g.width / 1000.0 * gs.size + spacing) * gs.h_scale;
            *tm = M::translate(tx, 0.0).mul(*tm);
        }
        let end = scale.mul(*tm).mul(gs.ctm);
        if text.trim().is_empty() {
            return;
        }
        let size = start.c.hypot(start.d);
        self.runs.push(Run {
            x0: start.e.min(end.e),
            x1: start.e.max(end.e),
            y: start.f,
            size: if size > 0.1 { size } else { 1.0 },
            text,
        });
    }
}

/// Check boxes a form draws instead of typing a glyph: a small square (4 to 24 pt a side) with
/// no text in it is a box, ticked when a slanted stroke (a cross's arm, a check mark's stroke) lies
/// within it. Each becomes a `☒` or `☐` run where the box is, so the layout reads it as it reads
/// those glyphs. A square with text inside is a comb cell of a boxed value, not a box.
fn drawn_ticks(rects: &[[f32; 4]], strokes: &[[f32; 4]], text: &[Run]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for r in rects {
        let [x0, y0, x1, y1] = *r;
        let (w, h) = (x1 - x0, y1 - y0);
        let side = w.max(h);
        if !(4.0..=24.0).contains(&w) || !(4.0..=24.0).contains(&h) || (w - h).abs() > 0.3 * side {
            continue;
        }
        // The same box stroked and filled, or drawn twice: once.
        if out
            .iter()
            .any(|o| (o.x0 - x0).abs() < 1.0 && (o.y - y0 - 0.15 * h).abs() < 1.0)
        {
            continue;
        }
        let holds_text = text.iter().any(|t| {
            t.x1 > x0 + 0.5
                && t.x0 < x1 - 0.5
                && t.y >= y0 - 0.5
                && t.y < y1 - 0.2 * h
                && !t.text.trim().is_empty()
        });
        if holds_text {
            continue;
        }
        let m = 0.3 * side;
        let inside = |x: f32, y: f32| x >= x0 - m && x <= x1 + m && y >= y0 - m && y <= y1 + m;
        let ticked = strokes.iter().any(|s| {
            let [ax, ay, bx, by] = *s;
            let (dx, dy) = ((bx - ax).abs(), (by - ay).abs());
            dx > 0.15 * side && dy > 0.15 * side && inside(ax, ay) && inside(bx, by)
        });
        out.push(Run {
            x0,
            x1,
            y: y0 + 0.15 * h,
            size: h,
            text: if ticked { "☒" } else { "☐" }.to_string(),
        });
    }
    out
}

/// Parses content operators up to the first syntax error (a damaged tail loses only its own
/// text), keeping at most `max` so a huge stream of tiny operators cannot exhaust memory before
/// the operator budget is charged.
fn decode_ops(bytes: &[u8], max: u64) -> Vec<Operation> {
    Content::decode_iter(bytes)
        .map_while(Result::ok)
        .take(usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_product_applies_left_first() {
        let scale = M {
            a: 2.0,
            d: 2.0,
            ..M::ID
        };
        let m = scale.mul(M::translate(10.0, 20.0));
        assert_eq!((m.e, m.f, m.a), (10.0, 20.0, 2.0));
        let m = M::translate(10.0, 20.0).mul(scale);
        assert_eq!((m.e, m.f), (20.0, 40.0));
    }

    /// A drawn square with a cross in it is a ticked box, an empty one an unticked box; a big
    /// table cell, a square holding a digit (a comb field) and a long rule are not boxes.
    #[test]
    fn drawn_boxes_and_crosses_become_tick_runs() {
        let rects = [
            [50.0, 100.0, 60.0, 110.0], // crossed
            [50.0, 80.0, 60.0, 90.0],   // empty
            [50.0, 60.0, 60.0, 70.0],   // holds a digit
            [50.0, 20.0, 250.0, 40.0],  // a table cell
        ];
        let strokes = [
            [50.5, 100.5, 59.5, 109.5],
            [50.5, 109.5, 59.5, 100.5],
            [0.0, 50.0, 300.0, 50.0], // a rule
        ];
        let digit = Run {
            x0: 52.0,
            x1: 58.0,
            y: 61.5,
            size: 9.0,
            text: "7".into(),
        };
        let got: Vec<(f32, String)> = drawn_ticks(&rects, &strokes, &[digit])
            .into_iter()
            .map(|r| (r.x0 + r.y, r.text))
            .collect();
        assert_eq!(
            got,
            vec![(50.0 + 101.5, "☒".to_string()), (50.0 + 81.5, "☐".to_string())]
        );
    }
}
