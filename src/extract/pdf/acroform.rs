//! AcroForm fields: one [`RawEntry`] per terminal field, named by its fully-qualified name.
//!
//! Walks `/AcroForm /Fields` and `/Kids` (kids without `/T` are widgets, not fields), joining
//! partial names with `.` and inheriting `/FT`, `/V`, `/Ff` from ancestors. Values:
//! text → `Text`; checkbox → `Checked` (anything but `Off` is on); radio group → `Text` of the
//! chosen export value (mapped through `/Opt` when the on-names are indexes), `""` when none;
//! choice → `Text` of the selected display texts joined by `; `; pushbuttons and signatures are
//! skipped. `/V` is read from the field, its ancestors, or its widget kids, and widget `/AS`
//! states stand in when a generator wrote no `/V`.
//!
//! Each field also carries where its widget sits ([`Place`]: annotation id, `/P` page, `/Rect`),
//! so the page text around it can name it when its own name says nothing ([`super::placement`]).
//!
//! Invariants: the walk is cycle-safe (each object visited once) and depth-bounded; a malformed
//! field is skipped, never fatal.

use std::collections::HashSet;

use lopdf::{Dictionary, Document, Object, ObjectId, decode_text_string};

use super::{Budget, LimitHit};
use crate::extract::{RawEntry, RawValue};

/// `/Ff` bit 16: radio buttons.
const FF_RADIO: i64 = 1 << 15;
/// `/Ff` bit 17: pushbutton.
const FF_PUSHBUTTON: i64 = 1 << 16;

/// The document's `/AcroForm` dictionary, if any.
fn acroform(doc: &Document) -> Option<&Dictionary> {
    let cat = doc.catalog().ok()?;
    cat.get(b"AcroForm")
        .ok()
        .and_then(|o| doc.dereference(o).ok())?
        .1
        .as_dict()
        .ok()
}

/// Whether the document has an AcroForm listing fields (a fillable form, whose boxes are widgets,
/// not the squares drawn on its pages).
pub(super) fn has_fields(doc: &Document) -> bool {
    acroform(doc)
        .and_then(|a| a.get(b"Fields").ok())
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_array().ok())
        .is_some_and(|f| !f.is_empty())
}

/// Whether the form carries an XFA (LiveCycle) packet.
pub(super) fn has_xfa(doc: &Document) -> bool {
    acroform(doc).is_some_and(|a| a.has(b"XFA"))
}

/// Where a field's widget sits: the one a reader looks at (for a radio group, the chosen one).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Place {
    /// The widget annotation's object id, to find its page through the pages' `/Annots`.
    pub annot: Option<ObjectId>,
    /// The widget's `/P` page, when the generator wrote one.
    pub page: Option<ObjectId>,
    /// `[x0, y0, x1, y1]`, normalised so `x0 <= x1` and `y0 <= y1`.
    pub rect: [f32; 4],
}

/// One terminal field: its entry and where its widget sits, if known.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    pub entry: RawEntry,
    pub place: Option<Place>,
    /// A radio group's chosen export value (`Choice2`), which the caption beside the chosen
    /// widget may replace.
    pub radio: bool,
}

/// Reads every terminal field. Empty when there is no AcroForm or it lists no fields.
pub(super) fn read_fields(
    doc: &Document,
    max_depth: usize,
    budget: &mut Budget,
) -> Result<Vec<Field>, LimitHit> {
    let Some(form) = acroform(doc) else {
        return Ok(Vec::new());
    };
    let fields = form
        .get(b"Fields")
        .ok()
        .and_then(|o| doc.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok());
    let mut walk = Walk {
        doc,
        max_depth,
        budget,
        visited: HashSet::new(),
        out: Vec::new(),
    };
    for f in fields.into_iter().flatten() {
        walk.field(f, &Inherited::default(), 0)?;
    }
    Ok(walk.out)
}

/// Field attributes passed down from ancestors.
#[derive(Default, Clone)]
struct Inherited<'a> {
    name: String,
    ft: Option<&'a [u8]>,
    v: Option<&'a Object>,
    ff: i64,
}

struct Walk<'a, 'b> {
    doc: &'a Document,
    max_depth: usize,
    budget: &'b mut Budget,
    visited: HashSet<ObjectId>,
    out: Vec<Field>,
}

impl<'a> Walk<'a, '_> {
    fn deref(&self, o: &'a Object) -> Option<&'a Object> {
        self.doc.dereference(o).ok().map(|(_, o)| o)
    }

    /// Resolves `obj` to a dictionary, once per object id.
    fn visit(&mut self, obj: &'a Object) -> Option<&'a Dictionary> {
        if let Object::Reference(id) = obj
            && !self.visited.insert(*id)
        {
            return None;
        }
        self.deref(obj)?.as_dict().ok()
    }

    fn field(&mut self, obj: &'a Object, parent: &Inherited<'a>, depth: usize) -> Result<(), LimitHit> {
        if depth > self.max_depth {
            return Ok(());
        }
        self.budget.check_time()?;
        let Some(dict) = self.visit(obj) else {
            return Ok(());
        };
        let mut inh = parent.clone();
        if let Some(t) = self.text(dict.get(b"T").ok()) {
            inh.name = if inh.name.is_empty() {
                t
            } else {
                format!("{}.{t}", inh.name)
            };
        }
        if let Some(ft) = dict
            .get(b"FT")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_name().ok())
        {
            inh.ft = Some(ft);
        }
        if let Ok(v) = dict.get(b"V") {
            inh.v = Some(v);
        }
        if let Some(ff) = dict
            .get(b"Ff")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_i64().ok())
        {
            inh.ff = ff;
        }
        let kids: Vec<&'a Object> = dict
            .get(b"Kids")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_array().ok())
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let has_t = |o: &&'a Object| {
            self.deref(o)
                .and_then(|o| o.as_dict().ok())
                .is_some_and(|d| d.has(b"T"))
        };
        let (fields, widgets): (Vec<&'a Object>, Vec<&'a Object>) = kids.into_iter().partition(has_t);
        if !fields.is_empty() {
            for k in fields {
                self.field(k, &inh, depth + 1)?;
            }
            return Ok(());
        }
        let mut widget_dicts = Vec::new();
        let mut widget_ids = Vec::new();
        for w in widgets {
            if let Some(d) = self.visit(w) {
                widget_dicts.push(d);
                widget_ids.push(w.as_reference().ok());
            }
        }
        if widget_dicts.is_empty() {
            widget_dicts.push(dict); // field and widget merged into one dictionary
            widget_ids.push(obj.as_reference().ok());
        }
        self.terminal(dict, &inh, &widget_dicts, &widget_ids)
    }

    /// Where the widget a reader looks at sits: the one whose appearance state is on (a chosen
    /// radio button), else the first.
    fn place(&self, widgets: &[&'a Dictionary], ids: &[Option<ObjectId>]) -> Option<Place> {
        let on = widgets.iter().position(|w| {
            w.get(b"AS")
                .ok()
                .and_then(|o| self.state(o))
                .is_some_and(|s| s != "Off" && !s.is_empty())
        });
        let i = on.unwrap_or(0);
        let w = widgets.get(i)?;
        let nums: Vec<f32> = w
            .get(b"Rect")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_array().ok())?
            .iter()
            .filter_map(|o| match self.deref(o)? {
                Object::Integer(n) => Some(*n as f32),
                Object::Real(r) => Some(*r),
                _ => None,
            })
            .collect();
        let [a, b, c, d] = nums.as_slice() else {
            return None;
        };
        Some(Place {
            annot: ids.get(i).copied().flatten(),
            page: w.get(b"P").ok().and_then(|o| o.as_reference().ok()),
            rect: [a.min(*c), b.min(*d), a.max(*c), b.max(*d)],
        })
    }

    fn terminal(
        &mut self,
        dict: &'a Dictionary,
        inh: &Inherited<'a>,
        widgets: &[&'a Dictionary],
        ids: &[Option<ObjectId>],
    ) -> Result<(), LimitHit> {
        if inh.name.is_empty() {
            return Ok(());
        }
        // Some generators put /V only on the widget kid.
        let v = inh
            .v
            .or_else(|| widgets.iter().find_map(|w| w.get(b"V").ok()))
            .and_then(|o| self.deref(o));
        let radio = inh.ft == Some(b"Btn") && inh.ff & FF_RADIO != 0 && inh.ff & FF_PUSHBUTTON == 0;
        let value = match inh.ft.unwrap_or(b"") {
            b"Tx" => RawValue::Text(self.text_value(v)?),
            b"Btn" if inh.ff & FF_PUSHBUTTON != 0 => return Ok(()),
            b"Btn" if inh.ff & FF_RADIO != 0 => RawValue::Text(self.radio(dict, v, widgets)),
            b"Btn" => {
                let state = v
                    .and_then(|o| self.state(o))
                    .or_else(|| self.on_widget_state(widgets));
                RawValue::Checked(state.is_some_and(|s| s != "Off" && !s.is_empty()))
            }
            b"Ch" => RawValue::Text(self.choice(dict, v)),
            b"Sig" => return Ok(()),
            _ => match v {
                Some(_) => RawValue::Text(self.text_value(v)?),
                None => return Ok(()),
            },
        };
        let alt = self.text(dict.get(b"TU").ok()).filter(|s| !s.trim().is_empty());
        self.out.push(Field {
            entry: RawEntry {
                name: inh.name.clone(),
                alt,
                section: None,
                value,
                confidence: None,
            },
            place: self.place(widgets, ids),
            radio,
        });
        Ok(())
    }

    /// A text string (PDFDocEncoding or UTF-16BE), dereferenced.
    fn text(&self, o: Option<&'a Object>) -> Option<String> {
        let o = self.deref(o?)?;
        match o {
            Object::String(bytes, _) => {
                Some(decode_text_string(o).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()))
            }
            _ => None,
        }
    }

    /// A text field value: a string, a name, or a stream holding the text.
    fn text_value(&mut self, v: Option<&'a Object>) -> Result<String, LimitHit> {
        Ok(match v {
            Some(Object::Stream(s)) => {
                let bytes = self.budget.decode(s)?;
                let obj = Object::String(bytes, lopdf::StringFormat::Literal);
                decode_text_string(&obj).unwrap_or_default()
            }
            Some(o @ Object::String(..)) => self.text(Some(o)).unwrap_or_default(),
            Some(Object::Name(n)) => String::from_utf8_lossy(n).into_owned(),
            _ => String::new(),
        })
    }

    /// A button state: a name (`/Yes`, `/Off`, `/1`), tolerated as a string too.
    fn state(&self, o: &'a Object) -> Option<String> {
        match self.deref(o)? {
            Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
            s @ Object::String(..) => self.text(Some(s)),
            _ => None,
        }
    }

    /// The first widget whose appearance state is on.
    fn on_widget_state(&self, widgets: &[&'a Dictionary]) -> Option<String> {
        widgets
            .iter()
            .filter_map(|w| w.get(b"AS").ok().and_then(|o| self.state(o)))
            .find(|s| s != "Off" && !s.is_empty())
    }

    fn opt(&self, dict: &'a Dictionary) -> Option<&'a Vec<Object>> {
        dict.get(b"Opt")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_array().ok())
    }

    /// An `/Opt` entry: `(export, display)`; a plain string is both.
    fn opt_entry(&self, o: &'a Object) -> Option<(String, String)> {
        match self.deref(o)? {
            Object::Array(pair) => {
                let export = self.text(pair.first())?;
                let display = self.text(pair.get(1)).unwrap_or_else(|| export.clone());
                Some((export, display))
            }
            s => {
                let t = self.text(Some(s))?;
                Some((t.clone(), t))
            }
        }
    }

    fn radio(&self, dict: &'a Dictionary, v: Option<&'a Object>, widgets: &[&'a Dictionary]) -> String {
        let chosen = v
            .and_then(|o| self.state(o))
            .filter(|s| s != "Off" && !s.is_empty())
            .or_else(|| self.on_widget_state(widgets));
        let Some(chosen) = chosen else {
            return String::new();
        };
        // On-names that are indexes (`/0`, `/1`) point into /Opt.
        if let (Ok(idx), Some(opt)) = (chosen.parse::<usize>(), self.opt(dict))
            && let Some((_, display)) = opt.get(idx).and_then(|o| self.opt_entry(o))
        {
            return display;
        }
        chosen
    }

    fn choice(&self, dict: &'a Dictionary, v: Option<&'a Object>) -> String {
        let values: Vec<String> = match v {
            Some(Object::Array(items)) => items.iter().filter_map(|o| self.text(Some(o))).collect(),
            Some(o) => self.text(Some(o)).into_iter().collect(),
            None => Vec::new(),
        };
        let opts: Vec<(String, String)> = self
            .opt(dict)
            .into_iter()
            .flatten()
            .filter_map(|o| self.opt_entry(o))
            .collect();
        let shown: Vec<String> = values
            .into_iter()
            .map(|val| {
                opts.iter()
                    .find(|(e, _)| *e == val)
                    .map_or(val, |(_, d)| d.clone())
            })
            .collect();
        shown.join("; ")
    }
}
