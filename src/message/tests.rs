//! Tests for [`super::parse`] and [`super::automatic`] on small hand-written messages.
//!
//! Messages are built inline (synthetic people only). `b64` wraps base64 at 76 columns as mail
//! clients do, so nested encoded forwards can be built to any depth.

// Tests index into results they have just asserted the length of; a panic here is a failure.
#![allow(clippy::indexing_slicing)]

use super::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let mut wrapped = String::new();
    for (i, ch) in out.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            wrapped.push_str("\r\n");
        }
        wrapped.push(ch);
    }
    wrapped
}

fn parse_ok(raw: &str) -> Email {
    parse(raw.as_bytes(), &Limits::default()).expect("message parses")
}

/// A multipart/mixed message with a short text body and the given extra part (headers + body).
fn mixed(subject: &str, extra_part: &str) -> String {
    format!(
        "From: Jane Sample <Jane.Sample@Example.org>\r\n\
         To: intake@example.test\r\n\
         Subject: {subject}\r\n\
         Message-ID: <abc123@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n\
         \r\n\
         --BOUND\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Please see the attached referral.\r\n\
         --BOUND\r\n\
         {extra_part}\r\n\
         --BOUND--\r\n"
    )
}

fn pdf_part(headers: &str) -> String {
    format!(
        "{headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        b64(PDF)
    )
}

#[test]
fn headers_are_decoded() {
    let raw = "From: =?utf-8?Q?Testy_McTest=C3=A9face?= <TESTY@Example.ORG>\r\n\
               Reply-To: Intake Desk <desk@example.org>\r\n\
               To: a@example.test, \"B Person\" <B@example.test>\r\n\
               Cc: Team: c@example.test, d@example.test;\r\n\
               Subject: =?utf-8?B?RUNNIFJlZmVycmFsIOKAkyBKLkQu?=\r\n\
               Date: Tue, 3 Mar 2026 09:15:00 -0800\r\n\
               Message-ID: <msg-1@example.org>\r\n\
               In-Reply-To: <prev@example.test>\r\n\
               References: <root@example.test> <prev@example.test>\r\n\
               \r\n\
               Member name: Jane Sample\r\n";
    let e = parse_ok(raw);
    assert_eq!(e.subject, "ECM Referral – J.D.");
    let from = e.from.as_ref().expect("from");
    assert_eq!(from.address, "testy@example.org");
    assert_eq!(from.name.as_deref(), Some("Testy McTestéface"));
    assert_eq!(
        e.reply_to.as_ref().map(|m| m.address.as_str()),
        Some("desk@example.org")
    );
    let to: Vec<_> = e.to.iter().map(|m| m.address.as_str()).collect();
    assert_eq!(to, ["a@example.test", "b@example.test"]);
    let cc: Vec<_> = e.cc.iter().map(|m| m.address.as_str()).collect();
    assert_eq!(cc, ["c@example.test", "d@example.test"]);
    let date = e.date.expect("date");
    assert_eq!(date.to_rfc3339(), "2026-03-03T09:15:00-08:00");
    assert_eq!(e.message_id.as_deref(), Some("msg-1@example.org"));
    assert_eq!(e.in_reply_to.as_deref(), Some("prev@example.test"));
    assert_eq!(e.references, ["root@example.test", "prev@example.test"]);
    assert_eq!(e.body_text.trim(), "Member name: Jane Sample");
    assert!(e.attachments.is_empty());
    assert_eq!(automatic(&e, &[], None), None);
}

#[test]
fn missing_headers_give_empty_values() {
    let e = parse_ok("X-Nothing: here\r\n\r\nhello\r\n");
    assert_eq!(e.subject, "");
    assert_eq!(e.from, None);
    assert_eq!(e.date, None);
    assert_eq!(e.message_id, None);
    assert_eq!(e.body_text.trim(), "hello");
}

#[test]
fn pdf_attached_normally() {
    let e = parse_ok(&mixed(
        "ECM Referral",
        &pdf_part(
            "Content-Type: application/pdf; name=\"referral.pdf\"\r\nContent-Disposition: attachment; filename=\"referral.pdf\"",
        ),
    ));
    assert_eq!(e.attachments.len(), 1);
    let a = &e.attachments[0];
    assert_eq!(a.filename.as_deref(), Some("referral.pdf"));
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.bytes, PDF);
    assert!(!a.nested);
    assert_eq!(e.body_text.trim(), "Please see the attached referral.");
    assert_eq!(e.skipped_parts, 0);
}

#[test]
fn inline_pdf_is_an_attachment() {
    let e = parse_ok(&mixed(
        "CS Referral",
        &pdf_part("Content-Type: application/pdf\r\nContent-Disposition: inline; filename=form.pdf"),
    ));
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("form.pdf"));
    assert_eq!(e.attachments[0].bytes, PDF);
    assert!(!e.body_text.contains("PDF"));
}

#[test]
fn octet_stream_pdf_is_an_attachment() {
    // No disposition, no name: only the bytes say it is a PDF.
    let e = parse_ok(&mixed(
        "CHW services request",
        &pdf_part("Content-Type: application/octet-stream"),
    ));
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].content_type, "application/octet-stream");
    assert_eq!(e.attachments[0].filename, None);
    assert_eq!(e.attachments[0].bytes, PDF);
}

#[test]
fn rfc2047_filename_and_name_fallback() {
    // "Referral – Jane Sample.pdf" as an encoded word in the disposition.
    let e = parse_ok(&mixed(
        "ECM Referral",
        &pdf_part(
            "Content-Type: application/pdf\r\n\
             Content-Disposition: attachment; filename=\"=?utf-8?B?UmVmZXJyYWwg4oCTIEphbmUgU2FtcGxlLnBkZg==?=\"",
        ),
    ));
    assert_eq!(
        e.attachments[0].filename.as_deref(),
        Some("Referral – Jane Sample.pdf")
    );

    // Only the Content-Type name parameter, Q-encoded.
    let e = parse_ok(&mixed(
        "ECM Referral",
        &pdf_part("Content-Type: application/pdf; name=\"=?iso-8859-1?Q?Formulario_Se=F1or.pdf?=\""),
    ));
    assert_eq!(e.attachments[0].filename.as_deref(), Some("Formulario Señor.pdf"));
}

#[test]
fn rfc2231_filename_with_continuation() {
    let e = parse_ok(&mixed(
        "ECM Referral",
        &pdf_part(
            "Content-Type: application/pdf\r\n\
             Content-Disposition: attachment;\r\n \
             filename*0*=utf-8''Erkl%C3%A4rung%20Jane;\r\n \
             filename*1*=%20Sample%E2%80%99s;\r\n \
             filename*2=\" form.pdf\"",
        ),
    ));
    assert_eq!(
        e.attachments[0].filename.as_deref(),
        Some("Erklärung Jane Sample’s form.pdf")
    );
}

#[test]
fn directory_in_filename_is_dropped() {
    let e = parse_ok(&mixed(
        "ECM Referral",
        &pdf_part("Content-Type: application/pdf; name=\"C:\\\\fakepath\\\\form.pdf\""),
    ));
    assert_eq!(e.attachments[0].filename.as_deref(), Some("form.pdf"));
}

/// A complete message with a PDF, used as the innermost forwarded mail.
fn inner_referral() -> String {
    mixed(
        "ECM Referral",
        &pdf_part("Content-Type: application/pdf; name=\"inner.pdf\""),
    )
    .replace(
        "Please see the attached referral.",
        "Member Name: Jane Sample\r\nCIN: 91234567A",
    )
}

/// Wraps `inner` as a base64-encoded message/rfc822 part of a new message with body `text`.
fn forward_b64(inner: &str, text: &str) -> String {
    format!(
        "From: Testy McTestface <testy@example.org>\r\n\
         To: intake@example.test\r\n\
         Subject: Fwd: ECM Referral\r\n\
         Content-Type: multipart/mixed; boundary=\"FWD{n}\"\r\n\
         \r\n\
         --FWD{n}\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         {text}\r\n\
         --FWD{n}\r\n\
         Content-Type: message/rfc822\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}\r\n\
         --FWD{n}--\r\n",
        b64(inner.as_bytes()),
        n = inner.len()
    )
}

#[test]
fn nested_forward_attachment_and_body() {
    let raw = format!(
        "From: Testy McTestface <testy@example.org>\r\n\
         Subject: Fw: ECM Referral\r\n\
         Content-Type: multipart/mixed; boundary=\"OUTER\"\r\n\
         \r\n\
         --OUTER\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         FYI\r\n\
         --OUTER\r\n\
         Content-Type: message/rfc822\r\n\
         \r\n\
         {}\r\n\
         --OUTER--\r\n",
        inner_referral()
    );
    let e = parse_ok(&raw);
    assert_eq!(e.attachments.len(), 1, "{:?}", e.attachments);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("inner.pdf"));
    assert!(e.attachments[0].nested);
    assert_eq!(e.attachments[0].bytes, PDF);
    assert!(e.body_text.starts_with("FYI"), "{}", e.body_text);
    assert!(e.body_text.contains("CIN: 91234567A"));
}

#[test]
fn long_outer_body_does_not_absorb_forwarded_body() {
    let long = "Our referral notes. ".repeat(80);
    let e = parse_ok(&forward_b64(&inner_referral(), &long));
    assert!(!e.body_text.contains("91234567A"));
    assert_eq!(e.attachments.len(), 1);
}

#[test]
fn forward_of_forward_base64_in_base64() {
    let once = forward_b64(&inner_referral(), "see below");
    let twice = forward_b64(&once, "");
    let e = parse_ok(&twice);
    assert_eq!(e.attachments.len(), 1);
    assert!(e.attachments[0].nested);
    assert_eq!(e.attachments[0].bytes, PDF);
    assert!(e.body_text.contains("see below"));
    assert!(e.body_text.contains("Member Name: Jane Sample"));
}

#[test]
fn deep_encoded_forward_chain_is_reparsed() {
    // mail-parser follows encoded nested messages only 3 levels deep; we go on ourselves.
    let mut raw = inner_referral();
    for _ in 0..6 {
        raw = forward_b64(&raw, "fwd");
    }
    let e = parse_ok(&raw);
    assert_eq!(
        e.attachments.len(),
        1,
        "{:?}",
        e.attachments.iter().map(|a| &a.content_type).collect::<Vec<_>>()
    );
    assert_eq!(e.attachments[0].filename.as_deref(), Some("inner.pdf"));
    assert_eq!(e.attachments[0].bytes, PDF);
    assert!(e.body_text.contains("CIN: 91234567A"));

    // The depth limit stops the walk and says so.
    let shallow = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let e = parse(raw.as_bytes(), &shallow).expect("parses");
    assert!(e.attachments.is_empty());
    assert_eq!(e.skipped_parts, 1);
}

#[test]
fn related_logo_is_not_an_attachment_but_a_lone_image_is() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let raw = format!(
        "From: a@example.org\r\nSubject: CS Referral\r\n\
         Content-Type: multipart/mixed; boundary=\"M\"\r\n\r\n\
         --M\r\n\
         Content-Type: multipart/related; boundary=\"R\"\r\n\r\n\
         --R\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Referral attached</p><img src=\"cid:logo@x\">\r\n\
         --R\r\n\
         Content-Type: image/png; name=\"logo.png\"\r\n\
         Content-ID: <logo@x>\r\n\
         Content-Disposition: inline; filename=\"logo.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         {png}\r\n\
         --R--\r\n\
         --M\r\n\
         {pdf}\r\n\
         --M\r\n\
         Content-Type: image/jpeg; name=\"scan.jpg\"\r\n\
         Content-Disposition: attachment; filename=\"scan.jpg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n\
         {jpg}\r\n\
         --M--\r\n",
        png = b64(png),
        pdf = pdf_part("Content-Type: application/pdf; name=\"referral.pdf\""),
        jpg = b64(b"\xFF\xD8\xFF\xE0fake-jpeg"),
    );
    let e = parse_ok(&raw);
    let names: Vec<_> = e
        .attachments
        .iter()
        .map(|a| a.filename.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names, ["referral.pdf", "scan.jpg"]);
    assert_eq!(e.body_text, "Referral attached");
}

#[test]
fn image_in_related_with_attachment_disposition_counts() {
    let raw = format!(
        "From: a@example.org\r\nContent-Type: multipart/related; boundary=\"R\"\r\n\r\n\
         --R\r\nContent-Type: text/html\r\n\r\n<p>scan</p>\r\n\
         --R\r\nContent-Type: image/tiff\r\nContent-Disposition: attachment; filename=scan.tif\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--R--\r\n",
        b64(b"II*\0fake-tiff")
    );
    let e = parse_ok(&raw);
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("scan.tif"));
}

#[test]
fn html_only_body_is_converted() {
    let raw = "From: a@example.org\r\nSubject: CHW services request\r\n\
               Content-Type: text/html; charset=utf-8\r\n\r\n\
               <html><head><style>td{}</style></head><body><p>Member Name: Jane&nbsp;Sample</p>\
               <table><tr><td>DOB</td><td>01/02/1980</td></tr><tr><td>Phone</td><td>555-0100</td></tr></table>\
               CIN:&#32;91234567A<br>County: Alameda &amp; more</body></html>\r\n";
    let e = parse_ok(raw);
    assert_eq!(
        e.body_text,
        "Member Name: Jane Sample\n\nDOB\t01/02/1980\nPhone\t555-0100\nCIN: 91234567A\nCounty: Alameda & more"
    );
}

#[test]
fn alternative_prefers_text_part() {
    let raw = "From: a@example.org\r\nContent-Type: multipart/alternative; boundary=\"A\"\r\n\r\n\
               --A\r\nContent-Type: text/plain\r\n\r\nplain version\r\n\
               --A\r\nContent-Type: text/html\r\n\r\n<p>html version</p>\r\n--A--\r\n";
    let e = parse_ok(raw);
    assert_eq!(e.body_text, "plain version");
    assert!(e.attachments.is_empty());
}

#[test]
fn csv_text_parts_are_attachments() {
    let csv = "Name,CIN\r\nJane Sample,91234567A\r\n";
    let e = parse_ok(&mixed(
        "ECM Referral",
        &format!("Content-Type: text/csv\r\n\r\n{csv}"),
    ));
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].content_type, "text/csv");
    assert!(!e.body_text.contains("91234567A"));

    // text/plain, inline, but named .csv.
    let e = parse_ok(&mixed(
        "ECM Referral",
        &format!(
            "Content-Type: text/plain\r\nContent-Disposition: inline; filename=\"batch.CSV\"\r\n\r\n{csv}"
        ),
    ));
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("batch.CSV"));
    assert!(String::from_utf8_lossy(&e.attachments[0].bytes).contains("Jane Sample,91234567A"));
    assert_eq!(e.body_text, "Please see the attached referral.");
}

#[test]
fn winmail_dat_is_an_attachment() {
    let e = parse_ok(&mixed(
        "ECM Referral",
        &format!(
            "Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            b64(b"\x78\x9f\x3e\x22fake-tnef")
        ),
    ));
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("winmail.dat"));
    assert_eq!(e.attachments[0].content_type, "application/ms-tnef");
}

#[test]
fn total_attachment_bytes_are_capped() {
    let two = format!(
        "{}\r\n--BOUND\r\n{}",
        pdf_part("Content-Type: application/pdf; name=a.pdf"),
        pdf_part("Content-Type: application/pdf; name=b.pdf")
    );
    let raw = mixed("ECM Referral", &two);
    // Room for one PDF only: 4 × max_bytes is just over its size.
    let limits = Limits {
        max_bytes: PDF.len() / 4 + 1,
        ..Limits::default()
    };
    let e = parse(raw.as_bytes(), &limits).expect("parses");
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].filename.as_deref(), Some("a.pdf"));
    assert_eq!(e.skipped_parts, 1);
}

#[test]
fn garbage_is_not_a_message() {
    let limits = Limits::default();
    assert_eq!(parse(b"", &limits), Err(ParseError::Empty));
    assert_eq!(parse(b" \r\n\r\n ", &limits), Err(ParseError::Empty));
    for junk in [
        &b"hello world, no headers here"[..],
        b"\x00\x01\x02\xff\xfe",
        PDF,
        b"a b: c\r\n\r\nbody",
    ] {
        assert_eq!(
            parse(junk, &limits),
            Err(ParseError::NoHeaders),
            "{:?}",
            String::from_utf8_lossy(junk)
        );
    }
}

#[test]
fn truncated_boundary_returns_what_it_can() {
    let full = mixed(
        "ECM Referral",
        &pdf_part("Content-Type: application/pdf; name=\"referral.pdf\""),
    );
    // Cut in the middle of the base64 PDF, so neither the part nor the multipart is closed.
    let cut = full.get(..full.len() - 40).expect("long enough");
    let e = parse_ok(cut);
    assert_eq!(e.subject, "ECM Referral");
    assert!(e.body_text.contains("Please see the attached referral."));
    // Every prefix parses without panicking.
    for end in (0..full.len()).step_by(7) {
        let _ = parse(&full.as_bytes()[..end], &Limits::default());
    }
}

#[test]
fn encrypted_or_odd_charsets_do_not_break_body() {
    let raw = b"From: a@example.org\r\nContent-Type: text/plain; charset=windows-1252\r\n\
                Content-Transfer-Encoding: quoted-printable\r\n\r\nSe=F1ora Jane Sample =96 referral\r\n";
    let e = parse(raw, &Limits::default()).expect("parses");
    assert_eq!(e.body_text.trim(), "Señora Jane Sample – referral");
}

#[test]
fn single_part_pdf_message() {
    let raw = format!(
        "From: scanner@example.org\r\nSubject: Scan\r\n{}\r\n",
        pdf_part("Content-Type: application/pdf; name=scan.pdf")
    );
    let e = parse_ok(&raw);
    assert_eq!(e.attachments.len(), 1);
    assert_eq!(e.attachments[0].bytes, PDF);
    assert_eq!(e.body_text, "");
}

#[test]
fn unparseable_forward_is_kept_as_attachment() {
    // A message/rfc822 part whose content is not a message: nothing is silently dropped.
    let e = parse_ok(&mixed(
        "Fwd: referral",
        &format!(
            "Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=fwd.eml\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}",
            b64(b"\x00\x01binary junk without headers")
        ),
    ));
    assert_eq!(e.attachments.len(), 1, "{:?}", e.attachments);
    assert_eq!(e.attachments[0].content_type, "message/rfc822");
    assert!(!e.attachments[0].nested);
}

#[test]
fn nesting_bombs_are_refused_or_bounded() {
    // Tens of thousands of nested messages would overflow the stack when mail-parser drops them.
    let mut raw = String::from("From: a@example.org\r\n");
    for _ in 0..50_000 {
        raw.push_str("Content-Type: message/rfc822\r\n\r\nFrom: a@example.org\r\n");
    }
    raw.push_str("\r\nhello\r\n");
    assert_eq!(
        parse(raw.as_bytes(), &Limits::default()),
        Err(ParseError::TooDeep)
    );

    // Deeply nested multiparts are flat in mail-parser; our walk stops at max_depth.
    let mut raw = String::from("From: a@example.org\r\n");
    for i in 0..30_000 {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("\r\nhello\r\n");
    let e = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(e.skipped_parts, 1);

    // A modest forward chain is fine.
    let mut raw = inner_referral();
    for _ in 0..3 {
        raw = raw.replace("Subject:", "X-Old-Subject:");
        raw = format!("From: a@example.org\r\nContent-Type: message/rfc822\r\n\r\n{raw}");
    }
    let e = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(e.attachments.len(), 1);
    assert!(e.attachments[0].nested);
}

#[test]
fn an_enormous_header_section_is_refused_before_parsing() {
    let mut raw = String::from("From: a@example.org\r\nSubject: ECM Referral\r\n");
    while raw.len() <= MAX_HEADER_BYTES {
        raw.push_str("X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    raw.push_str("\r\nhello\r\n");
    assert_eq!(
        parse(raw.as_bytes(), &Limits::default()),
        Err(ParseError::HeaderTooLarge(MAX_HEADER_BYTES))
    );
    // A big body after a normal header is not a header problem.
    let raw = format!("From: a@example.org\r\n\r\n{}", "x".repeat(MAX_HEADER_BYTES * 2));
    assert!(parse(raw.as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn skipped_parts_say_why_and_bad_encodings_are_flagged() {
    // Out of time: the walk stops and says so.
    let limits = Limits {
        deadline: Some(crate::limits::Deadline::after(std::time::Duration::ZERO)),
        ..Limits::default()
    };
    let e = parse(inner_referral().as_bytes(), &limits).expect("parses");
    assert_eq!(e.skipped.get(&Skipped::OutOfTime), Some(&1));
    assert!(e.attachments.is_empty());

    // base64 with characters outside its alphabet: the attachment is flagged, not mistaken
    // for a text file.
    let raw = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
               Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=\"f.pdf\"\r\n\
               Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x%%%%LjcK!!!!\r\n--b--\r\n";
    let e = parse(raw.as_bytes(), &Limits::default()).expect("parses");
    assert_eq!(e.attachments.len(), 1);
    assert!(e.attachments[0].encoding_problem);
}
