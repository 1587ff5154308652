//! Fixture tests for [`super::extract_pdf`]; fixtures come from `fixtures/pdf-unit/make_pdfs.py`.

use super::*;
use crate::extract::{RawEntry, RawValue};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/pdf-unit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> Result<RawDoc, ExtractError> {
    extract_pdf(&fixture(name), &Limits::default())
}

#[test]
fn debug_dump() {
    for f in ["form.pdf", "flattened.pdf", "text.pdf"] {
        let doc = read(f);
        println!("== {f}: {doc:#?}");
        if let Ok(d) = doc { println!("{}", d.text); }
    }
}

#[test]
fn debug_obj() {
    let doc = lopdf::Document::load_mem(&fixture("form.pdf")).unwrap();
    println!("{:?}", doc.get_object((25, 0)));
    let cat = doc.catalog().unwrap();
    println!("{:?}", cat.get(b"AcroForm"));
}
