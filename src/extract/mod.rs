//! Extraction: attachment bytes in, raw label/value records out.
//!
//! This stage knows document *structure* (AcroForm fields, text positions on a PDF page, cells in
//! a sheet) but nothing about referral *meaning*: it never decides that "Client Name" is the
//! member's name. That is the job of [`crate::profile`], which maps a [`RawDoc`] onto canonical
//! fields using the admin-editable form profiles.
//!
//! Invariants:
//! - The file type is sniffed from the bytes ([`sniff`]); the file name and MIME type are hints only.
//! - Bad input is an [`ExtractError`], never a panic. Error texts carry no document content
//!   (they end up in logs).
//! - Work is bounded by [`Limits`].

pub mod body;
pub mod ocr;
pub mod pdf;
pub mod sheet;
pub mod tnef;
pub mod walk;

use chrono::NaiveDate;
use serde::Serialize;

/// The kind of document a form was read from; shown as `kind` by `extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// PDF with AcroForm fields.
    PdfForm,
    /// PDF read from its text layer (flattened or printed-and-typed forms).
    PdfText,
    Xlsx,
    Xls,
    Xlsb,
    Ods,
    Csv,
    /// `Label: value` lines in the email body.
    EmailBody,
    /// A scanned page, fax or photo read by OCR ([`ocr`]).
    Scan,
}

impl DocKind {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            DocKind::PdfForm => "pdf_form",
            DocKind::PdfText => "pdf_text",
            DocKind::Xlsx => "xlsx",
            DocKind::Xls => "xls",
            DocKind::Xlsb => "xlsb",
            DocKind::Ods => "ods",
            DocKind::Csv => "csv",
            DocKind::EmailBody => "email_body",
            DocKind::Scan => "scan",
        }
    }
}

/// A value as the document holds it, before normalisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RawValue {
    /// Typed text, a chosen radio/choice export value, or a spreadsheet text cell.
    Text(String),
    /// A checkbox or tick mark: ticked (`true`) or visibly unticked (`false`).
    Checked(bool),
    /// A spreadsheet date cell, already converted with the workbook's date system (1900/1904).
    Date(NaiveDate),
    /// A spreadsheet number cell (may be a date serial when the cell is not date-formatted).
    Number(f64),
}

impl RawValue {
    /// The value as text, for `extract --raw` and for text-shaped mappings.
    pub fn as_text(&self) -> String {
        match self {
            RawValue::Text(s) => s.clone(),
            RawValue::Checked(b) => if *b { "[x]" } else { "[ ]" }.to_string(),
            RawValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            RawValue::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
        }
    }

    /// Whether the value is empty (blank text). Unticked boxes are *not* empty: they say "no".
    pub fn is_blank(&self) -> bool {
        matches!(self, RawValue::Text(s) if s.trim().is_empty())
    }
}

/// One label (or field name) with its value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawEntry {
    /// The AcroForm field's fully-qualified name, the printed label, or the column header.
    pub name: String,
    /// A second, human name where the document has one: the AcroForm tooltip (`/TU`), or for a
    /// checkbox the caption printed beside it. Mapping tries `name` first, then `alt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// The heading of the section the label sits under ("Member Information", "Referring
    /// Provider"), when the layout shows one. Lets "Name" under a referrer heading map to the
    /// referrer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub value: RawValue,
    /// For a value read by OCR: Tesseract's confidence in its least certain word, 0–100. A
    /// required field mapped from a value under [`ocr::DOUBT_BELOW`] is uncertain, not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
}

/// The entries that describe one referral (one form, or one row of a table).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RawRecord {
    pub entries: Vec<RawEntry>,
}

/// Everything structural read from one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawDoc {
    pub kind: DocKind,
    /// One record for a form; one per data row for a table (county batches).
    pub records: Vec<RawRecord>,
    /// The document's visible text (titles, headings, labels), used to recognise which form
    /// profile applies. May be truncated; never logged.
    #[serde(skip)]
    pub text: String,
}

pub use crate::limits::{Deadline, ExtractError, Limits};

/// A file type as sniffed from its first bytes (and, for text, its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Csv,
    /// An OLE/ZIP container that is encrypted (password-protected Office file).
    EncryptedOffice,
    /// Outlook's TNEF container (`winmail.dat`, `application/ms-tnef`): holds other files.
    Tnef,
    /// Anything we do not read: images, Word, archives, ...; the string says what.
    Other(&'static str),
}

/// Decides the file type from the bytes; `name` and `mime` only break ties for plain text.
pub fn sniff(bytes: &[u8], name: Option<&str>, mime: Option<&str>) -> FileType {
    let lower_name = name.map(str::to_ascii_lowercase).unwrap_or_default();
    let mime = mime.map(str::to_ascii_lowercase).unwrap_or_default();
    let head = bytes.get(..1024).unwrap_or(bytes);
    // Before the PDF check: a TNEF stream often carries a PDF within its first kilobyte.
    if bytes.starts_with(&tnef::SIGNATURE) {
        return FileType::Tnef;
    }
    if find(head, b"%PDF-").is_some() {
        return FileType::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return sniff_zip(bytes, &lower_name, &mime);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // OLE compound file: a legacy .xls workbook, a legacy Word/PowerPoint file, or an
        // encrypted OOXML package. Stream names are stored UTF-16LE in the directory sectors.
        if find(bytes, &utf16le("EncryptedPackage")).is_some() {
            return FileType::EncryptedOffice;
        }
        if find(bytes, &utf16le("Workbook")).is_some() || find(bytes, &utf16le("Book")).is_some() {
            return FileType::Xls;
        }
        return FileType::Other("ole-document");
    }
    for (magic, what) in [
        (&b"\x89PNG"[..], "image/png"),
        (&b"\xFF\xD8\xFF"[..], "image/jpeg"),
        (&b"GIF8"[..], "image/gif"),
        (&b"II*\x00"[..], "image/tiff"),
        (&b"MM\x00*"[..], "image/tiff"),
        (&b"BM"[..], "image/bmp"),
        (&b"{\\rtf"[..], "rtf"),
        (&b"\x1F\x8B"[..], "gzip"),
    ] {
        if bytes.starts_with(magic) {
            return FileType::Other(what);
        }
    }
    let looks_text = std::str::from_utf8(head).is_ok() || !head.contains(&0);
    let delimited_type = mime.contains("csv") || mime.contains("separated-values");
    if looks_text && (lower_name.ends_with(".csv") || delimited_type || lower_name.ends_with(".tsv")) {
        return FileType::Csv;
    }
    // An export saved as `.txt` ("tab-delimited text"): the same number of separators on every
    // one of its first lines is a table, whatever its name says.
    if looks_text && looks_delimited(head) {
        return FileType::Csv;
    }
    FileType::Other(if looks_text { "text" } else { "binary" })
}

/// Whether text starts with at least three lines that each hold the same number (two or more)
/// of tabs, semicolons or bars, or (three or more) of commas.
fn looks_delimited(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    // The last line of the first kilobyte may be cut off.
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if head.len() >= 1024 {
        lines.pop();
    }
    if lines.len() < 3 {
        return false;
    }
    [('\t', 2), (';', 2), ('|', 2), (',', 3)]
        .iter()
        .any(|(sep, min)| {
            let counts: Vec<usize> = lines.iter().map(|l| l.matches(*sep).count()).collect();
            counts.first().is_some_and(|c| c >= min) && counts.iter().all(|c| Some(c) == counts.first())
        })
}

fn sniff_zip(bytes: &[u8], lower_name: &str, mime: &str) -> FileType {
    // ZIP local headers carry the member names in clear text; look for the telltale parts.
    if find(bytes, b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet").is_some() {
        return FileType::Ods;
    }
    if find(bytes, b"xl/workbook.bin").is_some() {
        return FileType::Xlsb;
    }
    if find(bytes, b"xl/workbook.xml").is_some() || find(bytes, b"xl/_rels/").is_some() {
        return FileType::Xlsx;
    }
    if find(bytes, b"word/").is_some() {
        return FileType::Other("word-document");
    }
    if find(bytes, b"opendocument.text").is_some() {
        return FileType::Other("odf-text");
    }
    // A damaged or cut-off package (no end-of-directory record) whose own parts, name or type say
    // spreadsheet is a spreadsheet we cannot read (`unreadable_attachment`), not a type we do not
    // take. An intact archive of other files stays what it is, whatever it is called.
    if find(bytes, b"PK\x05\x06").is_some() {
        return FileType::Other("zip-archive");
    }
    let named = |exts: &[&str]| exts.iter().any(|e| lower_name.ends_with(e));
    if named(&[".ods"]) || mime.contains("opendocument.spreadsheet") {
        return FileType::Ods;
    }
    if named(&[".xlsb"]) || mime.contains("sheet.binary") {
        return FileType::Xlsb;
    }
    if named(&[".xlsx", ".xlsm"])
        || mime.contains("spreadsheetml")
        || mime.contains("ms-excel")
        || find(bytes, b"xl/").is_some()
        || find(bytes, b"[Content_Types].xml").is_some() && find(bytes, b"word/").is_none()
    {
        return FileType::Xlsx;
    }
    FileType::Other("zip-archive")
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Words that name a field on a form label ("Last Name", "Date of Birth", "Phone").
const FIELD_WORDS: &[&str] = &[
    "name",
    "first",
    "last",
    "date",
    "dob",
    "birth",
    "birthdate",
    "phone",
    "telephone",
    "tel",
    "ph",
    "addr",
    "cell",
    "mobile",
    "email",
    "address",
    "street",
    "city",
    "zip",
    "zipcode",
    "county",
    "language",
    "cin",
    "id",
    "mrn",
    "number",
    "npi",
    "fax",
    "plan",
    // "Direct line", "Main line", "Phone line"
    "line",
];

/// Words printed on form labels besides [`FIELD_WORDS`]: whose data it is, and other label words.
///
/// Layout needs this one piece of vocabulary: in a grid without colons (`Last Name | Wardmore |
/// First Name | Skye`) or a sheet with label rows over value rows, only the words tell a label
/// from a value. Values (names, dates, numbers, addresses) rarely contain these words.
const OTHER_LABEL_WORDS: &[&str] = &[
    "Last Name",
    "Date of Birth",
    "Referrer Phone",
    "mail",
    "state",
    "organization",
    "organisation",
    "agency",
    "referrer",
    "referring",
    "referred",
    "requestor",
    "requester",
    "provider",
    "relationship",
    "gender",
    "sex",
    "signature",
    "title",
    "member",
    "patient",
    "client",
    "beneficiary",
    "enrollee",
    "reason",
    "notes",
    "comments",
    "requested",
    "program",
    "contact",
    "insurance",
    "medicaid",
    "clinician",
    "worker",
    "case",
    "today",
    "consent",
    "consents",
    "agrees",
    "facility",
    "attestation",
    "officer",
    "unit",
];

/// Whether text reads like a printed label rather than a value: a few words, at least one of them
/// a label word, no digits to speak of, and not an address or email.
pub fn looks_like_label(text: &str) -> bool {
    let t = text.trim().trim_end_matches([':', '*']);
    if t.is_empty() || t.contains('@') || t.split_whitespace().count() > 8 {
        return false;
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || digits * 3 > letters {
        return false;
    }
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(is_label_word)
}

/// One word printed on form labels ("Name", "Phone", "Referring"), in any case.
pub(crate) fn is_label_word(w: &str) -> bool {
    // The lists are lower-case ASCII: compared without lower-casing a copy of each word.
    FIELD_WORDS.iter().any(|f| f.eq_ignore_ascii_case(w))
        || OTHER_LABEL_WORDS.iter().any(|f| f.eq_ignore_ascii_case(w))
}

/// A heading that says whose data follows ("MEMBER", "REFERRING PARTY", "DISCHARGE PLANNER").
pub(crate) fn names_a_party(text: &str) -> bool {
    const PARTY: &[&str] = &[
        "member",
        "patient",
        "client",
        "beneficiary",
        "enrollee",
        "participant",
        "individual",
        "consumer",
        "applicant",
        "youth",
        "child",
        "referrer",
        "referring",
        "referral",
        "provider",
        "agency",
        "requestor",
        "requester",
        "planner",
        "worker",
        "officer",
        "navigator",
        "coordinator",
        "party",
        "source",
        "clinician",
        "organization",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| PARTY.iter().any(|p| p.eq_ignore_ascii_case(w)))
}

/// A label that starts another party's block: who referred, or from where.
pub(crate) fn heads_a_party_block(label: &str) -> bool {
    const WHO: &[&str] = &[
        "referred by",
        "referrer",
        "referring",
        "submitted by",
        "prepared by",
        "completed by",
        "requested by",
        "sent by",
        "provider",
        "agency",
        "organization",
        "organisation",
        "contact",
        "worker",
        "navigator",
        "staff",
        "facility",
        "clinic",
        "hospital",
        "case manager",
        "coordinator",
    ];
    let l = label.to_lowercase();
    WHO.iter().any(|w| l.contains(w))
}

/// What an unlabelled piece of text can only be, by its shape: an email address, or a US phone
/// number (10 or 11 digits with the usual punctuation, an `x` extension allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contact {
    Email,
    Phone,
}

/// Puts `entries` in the order `order` gives (a permutation of their indices): the column-by-
/// column reading of two columns side by side, on a flattened page or a sheet.
pub(crate) fn reorder(entries: &mut [RawEntry], order: &[usize]) {
    let reordered: Vec<RawEntry> = order.iter().filter_map(|k| entries.get(*k).cloned()).collect();
    for (slot, e) in entries.iter_mut().zip(reordered) {
        *slot = e;
    }
}

/// The [`Contact`] a piece of text is shaped like, if any.
pub(crate) fn contact_kind(piece: &str) -> Option<Contact> {
    let digits = piece.chars().filter(char::is_ascii_digit).count();
    if piece.contains('@') && !piece.contains(' ') {
        Some(Contact::Email)
    } else if (10..=11).contains(&digits)
        && piece.chars().all(|c| c.is_ascii_digit() || " ()-.+x".contains(c))
    {
        Some(Contact::Phone)
    } else {
        None
    }
}

/// A US phone number inside running text ("reach me at (209) 555-0196 after 5").
pub(crate) const PHONE_IN_TEXT: &str = r"\(?\b\d{3}\)?[\s.-]?\d{3}[.-]\d{4}\b";
/// An email address inside running text.
pub(crate) const EMAIL_IN_TEXT: &str = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+";

/// A bare answer word: "Yes", "No", "Y", "N" (any case).
pub(crate) fn is_yes_no(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "yes" | "no" | "y" | "n"
    )
}

/// A value that is a name followed by the ways to reach that person, run together in one cell
/// ("Paloma Ficticia  (909) 555-0179  pficticia@x.example"): the name, and each phone and email
/// after it. `None` unless at least one contact follows a name with no digits in it and nothing
/// but contacts and separators follows the first contact.
pub(crate) fn name_then_contacts(value: &str) -> Option<(String, Vec<(Contact, String)>)> {
    static CONTACT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&format!("{EMAIL_IN_TEXT}|{PHONE_IN_TEXT}")).expect("static regex")
    });
    // "Phone:", "Email:", "Tel." before a contact: its label ("Hanna Sample  Phone: 209-…  Email:
    // …"). Not "Fax": a fax number is no way to call anyone back.
    let is_label = |w: &str| {
        matches!(
            w.trim_end_matches([':', '.', '#']).to_ascii_lowercase().as_str(),
            "phone" | "tel" | "telephone" | "ph" | "cell" | "mobile" | "email" | "e-mail" | "mail"
        )
    };
    let separators_or_labels = |gap: &str| {
        gap.split(|c: char| c.is_whitespace() || ",;|/()·•".contains(c))
            .filter(|w| !w.is_empty() && *w != "-")
            .all(is_label)
    };
    let first = CONTACT.find(value)?;
    let mut name = value
        .get(..first.start())?
        .trim()
        .trim_end_matches([',', ';', '|', '-', '/', '(', '·', '•'])
        .trim();
    let last_word = name.rsplit(char::is_whitespace).next().unwrap_or_default();
    if last_word
        .trim_end_matches([':', '.', '#'])
        .eq_ignore_ascii_case("fax")
    {
        return None;
    }
    if let Some((before, last)) = name.rsplit_once(char::is_whitespace)
        && is_label(last)
    {
        name = before
            .trim()
            .trim_end_matches([',', ';', '|', '-', '/', '('])
            .trim();
    }
    if name.is_empty() || name.chars().any(|c| c.is_ascii_digit()) || name.contains('@') {
        return None;
    }
    let mut contacts = Vec::new();
    let mut end = first.start();
    for m in CONTACT.find_iter(value) {
        let gap = value.get(end..m.start())?;
        if end != first.start() && !separators_or_labels(gap) {
            return None;
        }
        let kind = if m.as_str().contains('@') {
            Contact::Email
        } else {
            Contact::Phone
        };
        contacts.push((kind, m.as_str().to_string()));
        end = m.end();
    }
    let tail = value.get(end..)?;
    tail.chars()
        .all(|c| c.is_whitespace() || ",;|/-().·•".contains(c))
        .then(|| (name.to_string(), contacts))
}

/// Reads a run of items `start..end` (lines of a page, rows of a sheet) stacked one caption, one
/// value, as pairs two by two: from the start that makes more captions and fewer values read as
/// labels, when at least three pairs result, two thirds of the captions read as labels and at
/// most a third of the values do. `pair(i)` says whether item `i` can be a caption over item
/// `i + 1` and, if so, whether each reads as a label. A line that cannot be a caption after the
/// first pair is skipped once (a caption left blank, a heading); two in a row end the pairing.
/// The pairs found.
pub(crate) fn stacked_pairs_in(
    start: usize,
    end: usize,
    pair: impl Fn(usize) -> Option<(bool, bool)>,
) -> Vec<(usize, usize)> {
    let read = |from: usize| {
        let mut pairs = Vec::new();
        let (mut known, mut values_known) = (0usize, 0usize);
        let mut i = from;
        while i + 1 < end {
            // A caption left blank ("Date of birth" right over "Medi-Cal ID"), or a heading
            // between the pairs: the pairing goes on from the line after it.
            let found = match pair(i) {
                Some(p) => Some(p),
                None if !pairs.is_empty() && i + 2 < end => {
                    i += 1;
                    pair(i)
                }
                None => None,
            };
            let Some((caption_label, value_label)) = found else {
                break;
            };
            known += usize::from(caption_label);
            values_known += usize::from(value_label);
            pairs.push((i, i + 1));
            i += 2;
        }
        let n = pairs.len();
        let ok = n >= 3 && 3 * known >= 2 * n && 3 * values_known <= n;
        (ok, known as isize - values_known as isize, pairs)
    };
    let (a, b) = (read(start), read(start + 1));
    match (a.0, b.0) {
        (true, true) if b.1 > a.1 => b.2,
        (true, _) => a.2,
        (false, true) => b.2,
        (false, false) => Vec::new(),
    }
}

/// Whether a label names a field (a date, a phone, a name...) rather than a part of the form
/// ("Member information", "Referring provider").
/// The text after a list number of one or two digits ("3. Housing Deposits", "2) Service"):
/// `Some("Housing Deposits")`; `None` when the text is not numbered so.
pub(crate) fn numbered_item(text: &str) -> Option<&str> {
    let t = text.trim_start();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = t.get(digits..).filter(|_| (1..=2).contains(&digits))?;
    rest.strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))
        .map(str::trim)
}

pub(crate) fn names_a_field(label: &str) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| FIELD_WORDS.contains(&w.to_lowercase().as_str()))
}

pub(crate) use crate::limits::find;

/// Refuses an attachment over the size limit.
fn check_size(bytes: &[u8], limits: &Limits) -> Result<(), ExtractError> {
    if bytes.len() > limits.max_bytes {
        return Err(ExtractError::Unreadable(format!(
            "attachment is {} bytes, over the {} byte limit",
            bytes.len(),
            limits.max_bytes
        )));
    }
    Ok(())
}

/// Reads a document of a sniffed type. Bodies are read with [`body::extract_body`] instead.
/// Scans are not read here; [`ocr::Ocr::read`] reads them when OCR is set up.
pub fn extract_bytes(bytes: &[u8], ft: FileType, limits: &Limits) -> Result<RawDoc, ExtractError> {
    check_size(bytes, limits)?;
    limits.check_time()?;
    match ft {
        FileType::Pdf => pdf::extract_pdf(bytes, limits),
        FileType::Xlsx => sheet::extract_sheet(bytes, DocKind::Xlsx, limits),
        FileType::Xlsb => sheet::extract_sheet(bytes, DocKind::Xlsb, limits),
        FileType::Xls => sheet::extract_sheet(bytes, DocKind::Xls, limits),
        FileType::Ods => sheet::extract_sheet(bytes, DocKind::Ods, limits),
        FileType::Csv => sheet::extract_csv(bytes, limits),
        FileType::EncryptedOffice => Err(ExtractError::Encrypted),
        // The pipeline unpacks TNEF and reads what it carries; reached only for TNEF in TNEF.
        FileType::Tnef => Err(ExtractError::Unsupported("TNEF inside TNEF".into())),
        FileType::Other(what) => Err(ExtractError::Unsupported(what.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_run_together_with_its_phone_and_email_is_split() {
        let (name, contacts) =
            name_then_contacts("Pat Example  (909) 555-0179  pexample@example.org").expect("split");
        assert_eq!(name, "Pat Example");
        assert_eq!(
            contacts,
            vec![
                (Contact::Phone, "(909) 555-0179".to_string()),
                (Contact::Email, "pexample@example.org".to_string())
            ]
        );
        // Not a name followed by contacts: left whole.
        assert_eq!(name_then_contacts("1120 W 7th St 555-0104 ext"), None);
        assert_eq!(name_then_contacts("Call 909-555-0179 after 5 pm"), None);
        assert_eq!(name_then_contacts("Pat Example"), None);
        // Issue #8 (blind47): each contact after its label; a fax is no contact.
        let (name, contacts) =
            name_then_contacts("Hanna Example  Phone: 209-555-0110  Email: hexample@plan.example")
                .expect("split");
        assert_eq!(name, "Hanna Example");
        assert_eq!(contacts.len(), 2);
        assert_eq!(name_then_contacts("Hanna Example  Fax: 209-555-0110"), None);
    }

    /// Issue #8: a cut-off XLSX is an unreadable spreadsheet, not an unsupported type; an intact
    /// zip of other files stays a zip whatever it is named.
    #[test]
    fn a_truncated_spreadsheet_is_still_a_spreadsheet() {
        let path = format!("{}/fixtures/sheet-unit/form.xlsx", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path).expect("fixture");
        let cut = bytes.get(..bytes.len() / 2).unwrap_or_default();
        assert_eq!(sniff(cut, Some("form.xlsx"), None), FileType::Xlsx);
        assert_eq!(
            sniff(cut.get(..120).unwrap_or_default(), Some("referral.xlsx"), None),
            FileType::Xlsx
        );
        assert_eq!(
            sniff(
                cut.get(..120).unwrap_or_default(),
                None,
                Some("application/vnd.oasis.opendocument.spreadsheet")
            ),
            FileType::Ods
        );
        assert!(matches!(
            extract_bytes(cut, FileType::Xlsx, &Limits::default()),
            Err(ExtractError::Unreadable(_))
        ));
    }

    #[test]
    fn tells_labels_from_values() {
        for l in [
            "Last Name",
            "Date of Birth",
            "Referrer Phone",
            "Medi-Cal CIN",
            "ZIP",
            "County:",
            "Referred By",
        ] {
            assert!(looks_like_label(l), "{l}");
        }
        for v in [
            "Wardmore",
            "Skye",
            "03/02/2001",
            "94692357N",
            "1905 Fakecrest Dr",
            "rcasefile@kern-ffy.example",
            "Bakersfield",
            "Kern Example Former Foster Youth Network",
        ] {
            assert!(!looks_like_label(v), "{v}");
        }
    }

    #[test]
    fn sniffs_by_magic_not_name() {
        assert_eq!(sniff(b"%PDF-1.7\n...", Some("form.xlsx"), None), FileType::Pdf);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n", Some("form.pdf"), None),
            FileType::Other("image/png")
        );
        assert_eq!(sniff(b"Name,DOB\nA,B\n", Some("batch.csv"), None), FileType::Csv);
        assert_eq!(
            sniff(b"Name,DOB\nA,B\n", Some("x.bin"), Some("text/csv")),
            FileType::Csv
        );
        assert_eq!(
            sniff(b"hello", Some("notes.txt"), Some("text/plain")),
            FileType::Other("text")
        );
    }

    /// Issue #8 (blind87): a bar-delimited extract sent as `.psv`, `text/plain`, is the table it
    /// is, like a tab- or semicolon-delimited `.txt`; a note with a bar or two is still text.
    #[test]
    fn class87_a_bar_delimited_export_by_any_name_is_a_table() {
        let psv =
            b"MBR_ID|MBR_LAST|MBR_DOB\r\n98889990T|Fabulo|1967-04-12\r\n98889991U|Hoaxworth|1958-10-01\r\n";
        assert_eq!(
            sniff(psv, Some("cs_referrals.psv"), Some("text/plain")),
            FileType::Csv
        );
        let note = b"Hi | see below\nThanks\nPat | Example Org | 555-0100\n";
        assert_eq!(
            sniff(note, Some("note.txt"), Some("text/plain")),
            FileType::Other("text")
        );
    }
}
