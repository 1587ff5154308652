//! MIME parsing and the attachment walk: raw message bytes -> `message::parse` (mail-parser,
//! our part walker, nested `message/rfc822`, HTML-to-text), then what the pipeline does next
//! with the result without reading documents: auto-reply detection and type sniffing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use referral_intake::extract::{self, Limits};
use referral_intake::message;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(email) = message::parse(data, &limits) else {
        return;
    };
    // An own Message-ID domain too, so the "our own mail came back" test on the Message-ID runs.
    let _ = message::automatic(
        &email,
        &["referrals@example.test".to_string()],
        Some("referral-intake.example.test"),
    );
    for att in &email.attachments {
        let _ = extract::sniff(&att.bytes, att.filename.as_deref(), Some(&att.content_type));
    }
    let _ = extract::body::extract_body(&email.body_text);
});
