//! Fixture tests for [`super::extract_pdf`]. The PDFs in `fixtures/pdf-unit/` come from
//! `fixtures/pdf-unit/make_pdfs.py`; hostile structures are built here with lopdf.

// Test code: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use lopdf::{Dictionary, Object, ObjectId, Stream, dictionary};

use super::*;
use crate::extract::{RawEntry, RawValue};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/pdf-unit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(name: &str) -> Result<RawDoc, ExtractError> {
    extract_pdf(&fixture(name), &Limits::default())
}

fn entries(doc: &RawDoc) -> &[RawEntry] {
    assert_eq!(doc.records.len(), 1, "one record per document");
    &doc.records[0].entries
}

fn e(name: &str, alt: Option<&str>, section: Option<&str>, value: RawValue) -> RawEntry {
    RawEntry {
        name: name.into(),
        alt: alt.map(Into::into),
        section: section.map(Into::into),
        value,
        confidence: None,
    }
}

fn t(s: &str) -> RawValue {
    RawValue::Text(s.into())
}

#[test]
fn acroform_fields_with_names_tooltips_and_states() {
    let doc = read("form.pdf").unwrap();
    assert_eq!(doc.kind, DocKind::PdfForm);
    let c = RawValue::Checked;
    let expected = vec![
        e("member_name", Some("Member Name"), None, t("Testy McTestface")),
        e("dob", Some("Date of Birth"), None, t("01/02/1980")),
        // No tooltip: the label printed left of the box names it.
        e("cin", Some("CIN"), None, t("91234567A")),
        e("notes", Some("Notes"), None, t("")),
        // Only /AS, no /V.
        e("urgent", Some("Urgent referral"), None, c(true)),
        // No tooltip: the caption printed beside the box names it.
        e("interpreter", Some("Interpreter needed"), None, c(false)),
        // Custom on-state name.
        e("homeless", Some("Homeless"), None, c(true)),
        e("language", Some("Preferred language"), None, t("spanish")),
        // Choice: the display text of the chosen export value.
        e(
            "program",
            Some("Program requested"),
            None,
            t("Community Supports"),
        ),
        // Hierarchy with /FT inherited from the parent.
        e("referrer.name", Some("Referrer name"), None, t("Dr Jane Sample")),
        e("referrer.phone", None, None, t("555-555-0100")),
        // Value only on the widget kid.
        e("clinic", Some("Clinic"), None, t("Sample Clinic")),
        // Value stored as a stream, PDFDocEncoding.
        e("history", None, None, t("Seen at Café Clinic")),
        // Radio on-names `/0`, `/1` mapped through /Opt; only the kid's /AS is set.
        e("contact", None, None, t("Email")),
        // The pushbutton is not a value.
    ];
    assert_eq!(entries(&doc), expected.as_slice());
    // The printed labels are the text, for recognising the form.
    assert!(
        doc.text.starts_with("ECM REFERRAL FORM (TEST)\nMember Name:\n"),
        "{}",
        doc.text
    );
    assert!(doc.text.contains("Experiencing homelessness"));
}

#[test]
fn flattened_form_values_come_from_xobjects() {
    let doc = read("flattened.pdf").unwrap();
    assert_eq!(doc.kind, DocKind::PdfText);
    let s = Some("ECM REFERRAL FORM (TEST)");
    let expected = vec![
        // Inside a Form XObject placed by `cm`.
        e("Member Name", None, s, t("Testy McTestface")),
        // Inside a Form XObject placed by its own /Matrix.
        e("Date of Birth", None, s, t("01/02/1980")),
        e("CIN", None, s, t("91234567A")),
        e("Notes", None, s, t("")),
        // ZapfDingbats tick inside an XObject, caption in its own column.
        e("Urgent", None, s, RawValue::Checked(true)),
    ];
    assert_eq!(entries(&doc), expected.as_slice());
    assert_eq!(
        doc.text,
        "ECM REFERRAL FORM (TEST)\nMember Name:\tTesty McTestface\nDate of Birth:\t01/02/1980\n\
         CIN:\t91234567A\nNotes:\n✔\tUrgent\n"
    );
}

#[test]
fn text_layer_pairs_labels_ticks_and_sections() {
    let doc = read("text.pdf").unwrap();
    assert_eq!(doc.kind, DocKind::PdfText);
    let m = Some("Section 1: Member Information");
    let med = Some("MEDICAL INFORMATION");
    let svc = Some("SERVICES REQUESTED");
    let r = Some("Section 2: Referring Provider");
    let c = RawValue::Checked;
    let expected = vec![
        e("Member Name", None, m, t("Jane Sample")),
        // Two pairs on one line.
        e("DOB", None, m, t("01/02/1980")),
        e("Phone", None, m, t("555-555-0142")),
        // Value in the next column.
        e("CIN", None, m, t("91234567A")),
        // WinAnsi é.
        e("Address", None, m, t("12 Café Lane, Oakland")),
        // Pairs separated by typed spaces.
        e("Gender", None, m, t("F")),
        e("Language", None, m, t("Spanish")),
        // Labels above boxes.
        e("Diagnosis", None, med, t("Type 2 diabetes (test)")),
        e("Primary Care Provider", None, med, t("Dr Testy McTestface")),
        // DejaVu ☒/☐ (ToUnicode), ASCII ticks, ZapfDingbats ✔ and ❏.
        e("Housing Navigation", None, svc, c(true)),
        e("Medical Respite", None, svc, c(false)),
        e("Urgent", None, svc, c(true)),
        e("Interpreter needed", None, svc, c(false)),
        e("Meals", None, svc, c(true)),
        e("Sobering Center", None, svc, c(false)),
        // Page 2: a new section, the same label "Name" now means the referrer.
        e("Name", None, r, t("Dr Jane Sample")),
        e("Organization", None, r, t("Sample Clinic")),
    ];
    assert_eq!(entries(&doc), expected.as_slice());
    assert!(
        doc.text.contains("\n☒ Housing Navigation\t☐ Medical Respite\n"),
        "{}",
        doc.text
    );
    assert!(
        doc.text.contains("\n✔ Meals\t❏ Sobering Center\n"),
        "{}",
        doc.text
    );
}

#[test]
fn max_pages_stops_reading() {
    let limits = Limits {
        max_pages: 1,
        ..Limits::default()
    };
    let doc = extract_pdf(&fixture("text.pdf"), &limits).unwrap();
    assert!(!doc.text.contains("Referring Provider"));
    assert!(entries(&doc).iter().all(|e| e.name != "Organization"));
}

#[test]
fn user_password_is_encrypted_owner_only_reads() {
    assert_eq!(read("encrypted.pdf"), Err(ExtractError::Encrypted));
    let doc = read("owner_only.pdf").unwrap();
    assert_eq!(
        entries(&doc).first(),
        Some(&e(
            "Member Name",
            None,
            Some("Section 1: Member Information"),
            t("Jane Sample")
        ))
    );
}

#[test]
fn xfa_only_truncated_and_junk_are_errors() {
    assert_eq!(read("xfa.pdf"), Err(ExtractError::XfaOnly));
    assert!(matches!(read("truncated.pdf"), Err(ExtractError::Unreadable(_))));
    let limits = Limits::default();
    assert!(matches!(
        extract_pdf(b"hello, not a pdf", &limits),
        Err(ExtractError::Unreadable(_))
    ));
    assert!(matches!(
        extract_pdf(b"%PDF-1.7\n garbage \n%%EOF\n", &limits),
        Err(ExtractError::Unreadable(_))
    ));
    // Cut after the trailer's %%EOF is fine, but a broken body behind a valid ending is not a panic.
    let mut mangled = fixture("text.pdf");
    for b in mangled.iter_mut().skip(200).step_by(7).take(2000) {
        *b = b'#';
    }
    let _ = extract_pdf(&mangled, &limits);
}

#[test]
fn error_texts_carry_no_content() {
    for name in ["encrypted.pdf", "xfa.pdf", "truncated.pdf"] {
        let msg = read(name).unwrap_err().to_string();
        assert!(!msg.contains("Sample") && !msg.contains("1980"), "{msg}");
    }
}

// ------------------------------------------------------------------ hand-built PDFs

/// A one-page PDF with Helvetica as `/F1`; `setup` adds XObjects to the page resources.
fn build(content: &[u8], setup: impl FnOnce(&mut lopdf::Document, &mut Dictionary)) -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let mut resources = dictionary! { "Font" => dictionary! { "F1" => font } };
    setup(&mut doc, &mut resources);
    let contents = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => contents,
        "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A Form XObject with the given content whose resources name `xobjects` (and `/F1`).
fn form(doc: &mut lopdf::Document, id: ObjectId, content: &[u8], xobjects: Dictionary, font: Object) {
    let dict = dictionary! {
        "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => xobjects },
    };
    doc.objects
        .insert(id, Object::Stream(Stream::new(dict, content.to_vec())));
}

fn font_ref(res: &Dictionary) -> Object {
    res.get(b"Font")
        .and_then(|f| f.as_dict())
        .and_then(|f| f.get(b"F1"))
        .cloned()
        .unwrap()
}

#[test]
fn self_referencing_xobject_terminates() {
    let pdf = build(b"/X1 Do", |doc, res| {
        let id = doc.new_object_id();
        let font = font_ref(res);
        form(
            doc,
            id,
            b"BT /F1 10 Tf 72 700 Td (Loop: yes) Tj ET /X1 Do",
            dictionary! { "X1" => id },
            font,
        );
        res.set("XObject", dictionary! { "X1" => id });
    });
    let doc = extract_pdf(&pdf, &Limits::default()).unwrap();
    assert_eq!(entries(&doc), [e("Loop", None, None, t("yes"))].as_slice());
}

#[test]
fn xobject_fan_out_hits_the_operator_limit() {
    // X0 draws X1 ten times, X1 draws X2 ten times, ... : 10^9 draws from a few hundred bytes.
    let pdf = build(b"/X0 Do", |doc, res| {
        let font = font_ref(res);
        let ids: Vec<ObjectId> = (0..10).map(|_| doc.new_object_id()).collect();
        for (i, id) in ids.iter().enumerate() {
            match ids.get(i + 1) {
                Some(next) => form(
                    doc,
                    *id,
                    &b"/N Do ".repeat(10),
                    dictionary! { "N" => *next },
                    font.clone(),
                ),
                None => form(
                    doc,
                    *id,
                    b"BT /F1 10 Tf (A: b) Tj ET",
                    Dictionary::new(),
                    font.clone(),
                ),
            }
        }
        res.set("XObject", dictionary! { "X0" => ids[0] });
    });
    let err = extract_pdf(&pdf, &Limits::default()).unwrap_err();
    assert_eq!(err, ExtractError::from(LimitHit::Operators));
}

#[test]
fn decompressed_budget_is_enforced() {
    let content = b"BT /F1 10 Tf 72 700 Td (Name: Jane Sample) Tj ET\n".repeat(50);
    let pdf = build(&content, |_, _| {});
    let small = Limits {
        max_decompressed: 1000,
        ..Limits::default()
    };
    assert_eq!(
        extract_pdf(&pdf, &small),
        Err(ExtractError::from(LimitHit::Decompressed))
    );
    assert!(extract_pdf(&pdf, &Limits::default()).is_ok());
}

#[test]
fn page_without_text_is_unreadable() {
    let pdf = build(b"0 0 m 100 100 l S", |_, _| {});
    assert_eq!(
        extract_pdf(&pdf, &Limits::default()),
        Err(ExtractError::Unreadable("no text layer (scanned image?)".into()))
    );
}

#[test]
fn tj_kerning_and_text_matrix_positions() {
    // TJ pieces with kerning stay one cell; a large negative adjustment opens a column gap.
    let pdf = build(
        b"BT /F1 10 Tf 1 0 0 1 72 700 Tm [(Na) 20 (me:) -300 (x)] TJ [-9000 (Jane Sample)] TJ ET",
        |_, _| {},
    );
    let doc = extract_pdf(&pdf, &Limits::default()).unwrap();
    assert_eq!(doc.text, "Name: x\tJane Sample\n");
}

#[test]
fn field_cycles_in_kids_terminate() {
    let mut doc = lopdf::Document::load_mem(&fixture("form.pdf")).unwrap();
    // Make the `referrer` parent list itself among its kids.
    let parent_id = doc
        .objects
        .iter()
        .find(|(_, o)| {
            o.as_dict()
                .is_ok_and(|d| d.get(b"T").and_then(|t| t.as_str()).ok() == Some(b"referrer"))
        })
        .map(|(id, _)| *id)
        .unwrap();
    if let Ok(Object::Array(kids)) = doc.get_dictionary_mut(parent_id).unwrap().get_mut(b"Kids") {
        kids.push(Object::Reference(parent_id));
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let got = extract_pdf(&bytes, &Limits::default()).unwrap();
    assert_eq!(
        entries(&got)
            .iter()
            .filter(|e| e.name.starts_with("referrer."))
            .count(),
        2
    );
}

#[test]
fn damaged_content_tail_keeps_text_before_it() {
    let pdf = build(
        b"BT /F1 10 Tf 72 700 Td (Name: Jane Sample) Tj ET\n<< /Broken ( \n",
        |_, _| {},
    );
    let doc = extract_pdf(&pdf, &Limits::default()).unwrap();
    assert_eq!(
        entries(&doc),
        [e("Name", None, None, t("Jane Sample"))].as_slice()
    );
}

#[test]
fn composite_font_with_two_byte_tounicode() {
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
        1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
        1 beginbfrange <0020> <007E> <0020> endbfrange\n\
        1 beginbfchar <0100> <2612> endbfchar\nendcmap end end\n";
    let pdf = build(
        b"BT /F2 10 Tf 72 700 Td <0043 0049 004E 003A 0020 0039 0031> Tj ET \
          BT /F2 10 Tf 72 680 Td <0100 0020 0055 0072 0067 0065 006E 0074> Tj ET",
        |doc, res| {
            let to_unicode = doc.add_object(Stream::new(Dictionary::new(), cmap.to_vec()));
            let cid = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "AAAAAA+Sample",
                "DW" => 600, "W" => vec![0x43.into(), vec![700.into()].into()],
            });
            let font = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "AAAAAA+Sample",
                "Encoding" => "Identity-H", "DescendantFonts" => vec![cid.into()], "ToUnicode" => to_unicode,
            });
            if let Ok(Object::Dictionary(fonts)) = res.get_mut(b"Font") {
                fonts.set("F2", font);
            }
        },
    );
    let doc = extract_pdf(&pdf, &Limits::default()).unwrap();
    assert_eq!(
        entries(&doc),
        [
            e("CIN", None, None, t("91")),
            e("Urgent", None, None, RawValue::Checked(true))
        ]
        .as_slice()
    );
}

#[test]
fn a_passed_deadline_stops_the_work() {
    let limits = Limits {
        deadline: Some(Deadline::after(std::time::Duration::ZERO)),
        ..Limits::default()
    };
    // The operator loop looks at the clock itself, not only the page loop around it.
    let mut budget = Budget::new(&limits);
    assert!(matches!(budget.tick(), Err(LimitHit::Time(_))));
    let got = extract_pdf(&fixture("text.pdf"), &limits);
    assert!(
        matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("took longer than the 0 s time limit")),
        "{got:?}"
    );
}

/// An appearance stream written inside a check box's dictionary (invalid; some form tools write
/// it) is blanked in place — offsets kept — so the box's object loads; a stream that is an
/// object of its own is left alone.
#[test]
fn a_stream_inside_a_dictionary_is_blanked_in_place() {
    let bytes: &[u8] = b"%PDF-1.7\n5 0 obj\n<< /AP << /N << /Off 6 0 R /1 << /Length 3 >>\nstream\nabc\nendstream\n>> >> /AS /1 /V /1 >>\nendobj\n6 0 obj\n<< /Length 3 >>\nstream\nxyz\nendstream\nendobj\n%%EOF\n";
    let fixed = super::blank_inline_streams(bytes).expect("one inline stream");
    assert_eq!(fixed.len(), bytes.len(), "offsets kept");
    let text = String::from_utf8(fixed).expect("ascii");
    assert!(!text.contains("abc"), "{text}");
    assert!(text.contains("/AS /1 /V /1"), "{text}");
    assert!(
        text.contains("stream\nxyz\nendstream\nendobj"),
        "the real stream stays: {text}"
    );
    assert!(
        super::blank_inline_streams(b"%PDF-1.7\n1 0 obj\n<< /Length 1 >>\nstream\nx\nendstream\nendobj\n")
            .is_none()
    );
}
