//! Every public normaliser on arbitrary text (dates, serials, phones, CINs, MRN, NPI, e-mail,
//! ZIPs, addresses, counties, names, yes/no), plus the text-level readers that feed them:
//! body `Label: value` lines, HTML-to-text and the label heuristic.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use referral_intake::extract::{body::extract_body, looks_like_label};
use referral_intake::message::html_to_text;
use referral_intake::normalize as n;

fuzz_target!(|data: &[u8]| {
    // The first 8 bytes double as a spreadsheet serial (any f64, NaN and infinities included).
    if let Some(head) = data.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) {
        let serial = f64::from_le_bytes(head);
        let _ = n::date_from_serial(serial, false);
        let _ = n::date_from_serial(serial, true);
    }
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    let Some(today) = NaiveDate::from_ymd_opt(2026, 11, 25) else {
        return;
    };
    let _ = n::clean_text(s);
    let _ = n::title_case(s);
    let _ = n::parse_bool(s);
    let _ = n::normalize_cin(s);
    let _ = n::cin_shaped(s);
    let _ = n::normalize_mrn(s);
    let _ = n::normalize_phone(s);
    let _ = n::normalize_email(s);
    let _ = n::normalize_zip(s);
    let _ = n::normalize_npi(s);
    let _ = n::normalize_county(s);
    let _ = n::split_name(s);
    let _ = n::split_address(s);
    for birth in [false, true] {
        let _ = n::parse_date(s, today, birth);
        let _ = n::parse_date_or_serial(s, today, birth);
    }
    let _ = looks_like_label(s);
    let _ = extract_body(s);
    let _ = html_to_text(s);
});
