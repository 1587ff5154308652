//! PDF extraction as the pipeline calls it: AcroForm fields, else the positioned text layer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_intake::extract::{FileType, Limits, extract_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = extract_bytes(data, FileType::Pdf, &Limits::default());
});
