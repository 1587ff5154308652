//! CSV/TSV extraction: encoding and delimiter sniffing, then table or form layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_intake::extract::{FileType, Limits, extract_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = extract_bytes(data, FileType::Csv, &Limits::default());
});
