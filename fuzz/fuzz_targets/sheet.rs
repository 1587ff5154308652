//! Workbook extraction (xlsx/xlsm, xlsb, xls, ods). The type is sniffed from the bytes as the
//! pipeline does; inputs that sniff as something else are also fed to every workbook reader
//! by the first byte, so the guards in front of calamine see arbitrary containers too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_intake::extract::sheet::extract_sheet;
use referral_intake::extract::{DocKind, FileType, Limits, sniff};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let kind = match sniff(data, None, None) {
        FileType::Xlsx => DocKind::Xlsx,
        FileType::Xlsb => DocKind::Xlsb,
        FileType::Xls => DocKind::Xls,
        FileType::Ods => DocKind::Ods,
        _ => match data.first().map(|b| b % 4) {
            Some(0) => DocKind::Xlsx,
            Some(1) => DocKind::Xlsb,
            Some(2) => DocKind::Xls,
            _ => DocKind::Ods,
        },
    };
    let _ = extract_sheet(data, kind, &limits);
});
