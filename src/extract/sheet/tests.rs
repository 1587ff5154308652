//! Fixture tests: the files written by `fixtures/sheet-unit/make_sheets.py`.

use chrono::NaiveDate;

use super::*;
use crate::extract::{FileType, RawEntry, RawValue, extract_bytes, sniff};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/sheet-unit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn t(s: &str) -> RawValue {
    RawValue::Text(s.to_string())
}

fn date(y: i32, m: u32, d: u32) -> RawValue {
    RawValue::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

fn view(entries: &[RawEntry]) -> Vec<(Option<&str>, &str, RawValue)> {
    entries
        .iter()
        .map(|e| (e.section.as_deref(), e.name.as_str(), e.value.clone()))
        .collect()
}

/// The entries every copy of the form fixture must give.
fn expected_form() -> Vec<(Option<&'static str>, &'static str, RawValue)> {
    let member = Some("MEMBER INFORMATION");
    let services = Some("SERVICES REQUESTED");
    let provider = Some("REFERRING PROVIDER");
    vec![
        (member, "Member Name", t("Testy McTestface")),
        (member, "Date of Birth", date(1980, 1, 5)),
        (member, "CIN", t("91234567A")),
        (member, "Phone", RawValue::Number(9165550123.0)),
        (member, "Address", t("123 Sample St, Sacramento, CA 95814")),
        (services, "Enhanced Care Management", t("X")),
        // An option under a marked one, its mark cell empty: not chosen.
        (services, "Community Supports", RawValue::Checked(false)),
        (services, "Housing Deposits", RawValue::Checked(true)),
        (services, "Recuperative Care", RawValue::Checked(false)),
        (services, "Homeless", RawValue::Checked(true)),
        (services, "Urgent", t("x")),
        (provider, "Name", t("Jane Sample")),
        (provider, "Phone", t("(916) 555-0199")),
        (provider, "Notes", t("Needs follow-up call")),
        (provider, "Diagnosis", t("Sample condition")),
        (provider, "Referral Date", date(2026, 11, 20)),
        (provider, "Email", t("")),
        (Some("CONSENT"), "Consent Signed", t("Yes")),
    ]
}

fn read_form(name: &str, kind: DocKind) -> RawDoc {
    let doc =
        extract_sheet(&fixture(name), kind, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(doc.kind, kind);
    assert_eq!(doc.records.len(), 1, "{name}: one form record across both sheets");
    doc
}

fn assert_form(name: &str, kind: DocKind) {
    let doc = read_form(name, kind);
    let entries = doc
        .records
        .first()
        .map(|r| r.entries.as_slice())
        .unwrap_or_default();
    assert_eq!(view(entries), expected_form(), "{name}");
    assert!(
        doc.text
            .contains("ECM REFERRAL FORM\nMEMBER INFORMATION\nMember Name:"),
        "{name}"
    );
}

#[test]
fn form_xlsx() {
    assert_form("form.xlsx", DocKind::Xlsx);
}

#[test]
fn form_xls() {
    assert_form("form.xls", DocKind::Xls);
}

#[test]
fn form_ods() {
    assert_form("form.ods", DocKind::Ods);
}

#[test]
fn form_xlsm_is_sniffed_and_read_as_xlsx() {
    let bytes = fixture("form.xlsm");
    assert_eq!(sniff(&bytes, Some("form.xlsm"), None), FileType::Xlsx);
    assert_form("form.xlsm", DocKind::Xlsx);
}

#[test]
fn dates_honour_the_1904_date_system() {
    // Same form, written with the Mac 1904 epoch: the stored serials differ by 1462 days.
    assert_form("form-1904.xlsx", DocKind::Xlsx);
}

#[test]
fn hidden_sheets_are_skipped() {
    let doc = read_form("form.xlsx", DocKind::Xlsx);
    assert!(!doc.text.contains("Option A"));
}

#[test]
fn table_xlsx_gives_one_record_per_row() {
    let doc = extract_sheet(&fixture("table.xlsx"), DocKind::Xlsx, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<Vec<(&str, RawValue)>> = doc
        .records
        .iter()
        .map(|r| {
            r.entries
                .iter()
                .map(|e| (e.name.as_str(), e.value.clone()))
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![
                ("Member Name", t("Testy McTestface")),
                ("DOB", date(1980, 1, 5)),
                ("CIN", t("91234567A")),
                ("Phone", RawValue::Number(9165550123.0)),
                ("Program", t("ECM")),
            ],
            vec![
                ("Member Name", t("Jane Sample")),
                ("DOB", date(1975, 6, 30)),
                ("CIN", t("92345678B")),
                ("Program", t("CS")),
            ],
            vec![
                ("Member Name", t("John Placeholder")),
                ("DOB", date(1990, 12, 1)),
                ("CIN", t("93456789C")),
                ("Phone", t("(916) 555-0142")),
                ("Program", t("CHW")),
            ],
        ]
    );
    assert!(
        doc.records
            .iter()
            .flat_map(|r| &r.entries)
            .all(|e| e.section.is_none())
    );
    assert!(doc.text.starts_with("County Batch Referrals - November 2026\n"));
}

fn csv_rows(doc: &RawDoc) -> Vec<Vec<(String, String)>> {
    doc.records
        .iter()
        .map(|r| {
            r.entries
                .iter()
                .map(|e| (e.name.clone(), e.value.as_text()))
                .collect()
        })
        .collect()
}

#[test]
fn table_csv_with_bom() {
    let doc = extract_csv(&fixture("table.csv"), &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.kind, DocKind::Csv);
    let rows = csv_rows(&doc);
    assert_eq!(rows.len(), 3);
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        rows.first().cloned().unwrap_or_default(),
        vec![
            s("Member Name", "Testy McTestface"),
            s("DOB", "01/05/1980"),
            s("CIN", "91234567A"),
            s("Phone", "9165550123"),
            s("Program", "ECM")
        ]
    );
    assert_eq!(
        rows.get(1).cloned().unwrap_or_default(),
        vec![
            s("Member Name", "Jane Sample"),
            s("DOB", "06/30/1975"),
            s("CIN", "92345678B"),
            s("Program", "CS")
        ]
    );
    assert!(
        doc.records
            .iter()
            .flat_map(|r| &r.entries)
            .all(|e| matches!(e.value, RawValue::Text(_)))
    );
}

#[test]
fn semicolon_csv_in_windows_1252() {
    let doc = extract_csv(&fixture("table-semicolon-1252.csv"), &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        csv_rows(&doc),
        vec![
            vec![
                s("Member Name", "Zoë Sample"),
                s("DOB", "01/05/1980"),
                s("CIN", "91234567A"),
                s("Program", "ECM")
            ],
            vec![
                s("Member Name", "Renée Sample; Jr"),
                s("DOB", "06/30/1975"),
                s("CIN", "92345678B"),
                s("Program", "CS")
            ],
        ]
    );
}

#[test]
fn csv_form_layout() {
    let doc = extract_csv(
        b"Member Name:,Jane Sample\r\nCIN:,91234567A\r\n",
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let entries = doc
        .records
        .first()
        .map(|r| r.entries.as_slice())
        .unwrap_or_default();
    assert_eq!(
        view(entries),
        vec![
            (None, "Member Name", t("Jane Sample")),
            (None, "CIN", t("91234567A"))
        ]
    );
}

#[test]
fn encrypted_workbook_is_reported_as_encrypted() {
    let bytes = fixture("encrypted.xlsx");
    assert_eq!(
        extract_sheet(&bytes, DocKind::Xlsx, &Limits::default()),
        Err(ExtractError::Encrypted)
    );
    assert_eq!(sniff(&bytes, None, None), FileType::EncryptedOffice);
    assert_eq!(
        extract_bytes(&bytes, FileType::EncryptedOffice, &Limits::default()),
        Err(ExtractError::Encrypted)
    );
}

#[test]
fn cell_cap_is_enforced() {
    let limits = Limits {
        max_cells: 10,
        ..Limits::default()
    };
    for (name, kind) in [
        ("form.xlsx", DocKind::Xlsx),
        ("form.xls", DocKind::Xls),
        ("form.ods", DocKind::Ods),
    ] {
        let got = extract_sheet(&fixture(name), kind, &limits);
        assert!(
            matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("more than 10 cells")),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn declared_decompressed_size_is_capped() {
    let limits = Limits {
        max_decompressed: 2_000,
        ..Limits::default()
    };
    let got = extract_sheet(&fixture("form.xlsx"), DocKind::Xlsx, &limits);
    assert!(
        matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("zip bomb")),
        "{got:?}"
    );
}

#[test]
fn sparse_far_apart_cells_do_not_allocate_the_rectangle() {
    // A1 and XFD1048576: a dense range would be 17 billion cells.
    let doc = extract_sheet(&fixture("sparse.xlsx"), DocKind::Xlsx, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc.text, "Sparse Label:\nfar away");
    // The xls reader builds dense arrays when opened: the guard refuses before that happens.
    // So does the ods reader: a 1.5 KB file took 5.7 GB and 19 s before the guard.
    for (name, kind) in [("sparse.xls", DocKind::Xls), ("sparse.ods", DocKind::Ods)] {
        let got = extract_sheet(&fixture(name), kind, &Limits::default());
        assert!(
            matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("bomb guard")),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn garbage_and_truncated_input_is_an_error_not_a_panic() {
    let form = fixture("form.xlsx");
    let xls = fixture("form.xls");
    let ods = fixture("form.ods");
    let cases: Vec<(&[u8], DocKind)> = vec![
        (b"", DocKind::Xlsx),
        (b"PK\x03\x04garbage", DocKind::Xlsx),
        (form.get(..form.len() / 2).unwrap_or_default(), DocKind::Xlsx),
        (xls.get(..xls.len() / 2).unwrap_or_default(), DocKind::Xls),
        (ods.get(..ods.len() - 30).unwrap_or_default(), DocKind::Ods),
        (b"not a workbook", DocKind::Xlsb),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 truncated", DocKind::Xls),
    ];
    for (bytes, kind) in cases {
        let got = extract_sheet(bytes, kind, &Limits::default());
        assert!(
            matches!(got, Err(ExtractError::Unreadable(_))),
            "{kind:?}: {got:?}"
        );
    }
    assert!(matches!(
        extract_sheet(&form, DocKind::Csv, &Limits::default()),
        Err(ExtractError::Unsupported(_))
    ));
}

#[test]
fn a_passed_deadline_stops_the_work() {
    let limits = Limits {
        deadline: Some(crate::extract::Deadline::after(std::time::Duration::ZERO)),
        ..Limits::default()
    };
    for (name, kind) in [("form.xlsx", DocKind::Xlsx), ("form.ods", DocKind::Ods)] {
        let got = extract_sheet(&fixture(name), kind, &limits);
        assert!(
            matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("took longer than")),
            "{name}: {got:?}"
        );
    }
    let got = extract_csv(b"Name,DOB\nA,B\n", &limits);
    assert!(
        matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("took longer than")),
        "{got:?}"
    );
}

#[test]
fn the_cell_loop_itself_looks_at_the_clock() {
    let limits = Limits {
        deadline: Some(crate::extract::Deadline::after(std::time::Duration::ZERO)),
        ..Limits::default()
    };
    // Crossing a multiple of CLOCK_EVERY cells left triggers a look at the clock.
    let mut budget = Budget {
        left: CLOCK_EVERY,
        limits,
    };
    let got = budget.take(1);
    assert!(
        matches!(&got, Err(ExtractError::Unreadable(m)) if m.contains("took longer than")),
        "{got:?}"
    );
}

/// shared/findings/ods-read-table-oom.ods: a directory that contradicts the file (a member larger
/// than the file, a local header naming another member) is refused before calamine sizes
/// anything from it. It used to take 5.7 GB and 7 s.
#[test]
fn ods_finding_with_a_lying_directory_is_refused_before_calamine() {
    let path = format!(
        "{}/fixtures/findings/ods-read-table-oom.ods",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(path).expect("finding");
    let err = extract_sheet(&bytes, DocKind::Ods, &Limits::default()).expect_err("refused");
    assert!(
        matches!(&err, ExtractError::Unreadable(m) if m.contains("corrupt zip package")),
        "{err:?}"
    );
}

/// Issue #8: an XLSX whose shared-strings part declares a huge count made calamine reserve
/// room for it and the process abort on a 100 GB allocation (a crash loop in the daemon).
#[test]
fn declared_count_bomb_in_shared_strings_is_refused() {
    let sheet = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#;
    let build = |count: &str| {
        let sst = format!(
            r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}"><si><t>Name</t></si></sst>"#
        );
        super::zipcheck::tests::stored_zip(&[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.as_slice()),
            ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.as_slice()),
            ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.as_slice()),
            ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.as_slice()),
            ("xl/worksheets/sheet1.xml", sheet.as_slice()),
            ("xl/sharedStrings.xml", sst.as_bytes()),
        ])
    };
    // The honest file reads.
    let ok = extract_sheet(&build("1"), DocKind::Xlsx, &Limits::default()).expect("honest workbook");
    assert!(ok.text.contains("Name"), "{}", ok.text);
    // The bomb is refused before calamine reserves anything (without the guard this test
    // process aborts).
    let err = extract_sheet(&build("4000000000"), DocKind::Xlsx, &Limits::default()).expect_err("refused");
    assert!(
        matches!(&err, ExtractError::Unreadable(m) if m.contains("declared-count")),
        "{err:?}"
    );
}

/// Fuzz finding 5 (docs/FUZZING.md): a worksheet whose `<mergeCell ref>` ends before it starts.
/// calamine 0.38 subtracts the start from the end unchecked when it sizes the sheet: with
/// overflow checks (this test profile, the fuzz build) that panics, in a release build it wraps.
/// Either way the message must come out as a clean result — the cells read, or the workbook
/// refused as malformed — never a panic that reaches the caller.
#[test]
fn a_merge_range_that_ends_before_it_starts_never_escapes_as_a_panic() {
    let sheet = br#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:B1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Fakerton</t></is></c></row></sheetData><mergeCells count="1"><mergeCell ref="C3:A1"/></mergeCells></worksheet>"#;
    let xlsx = super::zipcheck::tests::stored_zip(&[
        ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#.as_slice()),
        ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.as_slice()),
        ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.as_slice()),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.as_slice()),
        ("xl/worksheets/sheet1.xml", sheet.as_slice()),
    ]);
    match extract_sheet(&xlsx, DocKind::Xlsx, &Limits::default()) {
        Ok(doc) => assert!(doc.text.contains("Fakerton"), "{}", doc.text),
        Err(ExtractError::Unreadable(m)) => assert!(m.contains("malformed"), "{m}"),
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}
