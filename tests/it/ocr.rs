//! OCR of scanned, faxed and photographed forms (issue #10), with the real Tesseract: the
//! fixtures of `fixtures/scans/` (made by `fixtures/make_scans.py` from golden forms) against
//! their originals' expectations; hostile images; and the same scans without the engine.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::{root, run, temp_config};

fn extract(args: &[&str]) -> (Option<i32>, Value) {
    let out = run(args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "extract prints JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), v.get(0).cloned().unwrap_or(Value::Null))
}

fn tesseract_installed() {
    let ok = std::process::Command::new("tesseract")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "these tests need Tesseract (Debian: tesseract-ocr tesseract-ocr-eng); scripts/test.sh installs it"
    );
}

/// Fields read from every scan, per kind of scan, against the original form's expectations.
/// The floor is what the reader achieves today (see docs/OCR.md), below the 90 %
/// target: a drop below it is a regression.
#[test]
#[allow(clippy::indexing_slicing)] // test code: serde_json indexing yields Null, never panics
fn scans_read_the_fields_of_their_original_forms() {
    tesseract_installed();
    let dir = root().join("fixtures/scans");
    let listing: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("scans.json")).expect("scans.json"))
            .expect("json");
    assert!(
        listing.len() >= 10,
        "office scans, faxes and photos of several forms"
    );
    let mut per_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut report = Vec::new();
    for scan in &listing {
        let file = scan["file"].as_str().expect("file");
        let form = scan["form"].as_str().expect("form");
        let original: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("fixtures").join(format!("{form}.expected.json")))
                .expect("original"),
        )
        .expect("json");
        let want = original["referrals"][0]["fields"]
            .as_object()
            .expect("fields")
            .clone();
        let rel = format!("fixtures/scans/{file}");
        let (code, got) = extract(&["extract", &rel]);
        assert_eq!(code, Some(0), "{rel}: {got}");
        assert_eq!(got["kind"], "scan", "{rel} is read by OCR");
        let fields = got["referrals"][0]["fields"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let right = want.iter().filter(|(k, v)| fields.get(*k) == Some(v)).count();
        let e = per_kind
            .entry(scan["kind"].as_str().unwrap_or("?").to_string())
            .or_default();
        e.0 += right;
        e.1 += want.len();
        report.push(format!("{file}: {right}/{}", want.len()));
    }
    let (right, total) = per_kind.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let rate = right as f64 / total as f64;
    eprintln!(
        "{}\nper kind: {per_kind:?}; all {right}/{total}",
        report.join("\n")
    );
    // Today: 169/209 (81 %); office 86 %, fax 75 %, photo 82 % (docs/OCR.md). The target
    // is 90 % overall and 85 % per kind: not met yet.
    assert!(
        rate >= 0.75,
        "fields read right: {right}/{total}\n{}",
        report.join("\n")
    );
    for (kind, (r, t)) in &per_kind {
        assert!(
            *r as f64 / *t as f64 >= 0.70,
            "{kind}: {r}/{t}\n{}",
            report.join("\n")
        );
    }
}

/// A value the engine is unsure of never becomes a field: the referral goes to review with
/// `uncertain_field:<key>` (SPEC §5) instead of being accepted on a guess.
#[test]
fn doubtful_ocr_reads_are_uncertain_not_accepted() {
    tesseract_installed();
    // Every scan in the set: whatever was accepted had each required field read with confidence.
    let dir = root().join("fixtures/scans");
    for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json") {
            continue;
        }
        let rel = p
            .strip_prefix(root())
            .expect("rel")
            .to_string_lossy()
            .into_owned();
        let (_, raw) = extract(&["extract", "--raw", &rel]);
        let entries = raw["raw"][0]["entries"].as_array().cloned().unwrap_or_default();
        let fields = raw["referrals"][0]["fields"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for e in entries {
            let entry = e.get("entry").unwrap_or(&e);
            let Some(conf) = entry.get("confidence").and_then(Value::as_u64) else {
                continue;
            };
            if conf < 60
                && let Some(text) = entry.get("value").and_then(Value::as_str)
                && !text.trim().is_empty()
            {
                // A doubtful value is never a field's value as read.
                assert!(
                    !fields.values().any(|v| v.as_str() == Some(text.trim())),
                    "{rel}: a value read with confidence {conf} became a field"
                );
            }
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p.to_string_lossy().into_owned()
}

/// A PNG header claiming 100,000 × 100,000 pixels (10 GB decoded): refused from the header.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc.to_be_bytes());
    // An IDAT of a few bytes: the data would inflate to the declared size.
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(b"IDAT");
    png.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
    png
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

/// An 8 × 8 uncompressed TIFF whose page chain points back at its own page.
fn tiff_loop() -> Vec<u8> {
    let entries: [(u16, u16, u32, u32); 8] = [
        (256, 3, 1, 8),
        (257, 3, 1, 8),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8),
        (278, 3, 1, 8),
        (279, 4, 1, 64),
    ];
    let ifd_at = 8 + 64;
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&(ifd_at as u32).to_le_bytes());
    t.extend_from_slice(&[0x80; 64]);
    t.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, typ, count, value) in entries {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&typ.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value.to_le_bytes());
    }
    // Next IFD: this one again.
    t.extend_from_slice(&(ifd_at as u32).to_le_bytes());
    t
}

/// A small JPEG whose frame header claims 65,500 × 65,500 pixels.
fn jpeg_bomb() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(16, 16, image::Luma([200]));
    let mut b = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut b), image::ImageFormat::Jpeg)
        .expect("jpeg");
    let sof = b
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    // FFC0, length (2), precision (1), height (2), width (2).
    for i in [sof + 5, sof + 7] {
        b.splice(i..i + 2, [0xFF, 0xDC]);
    }
    b
}

/// Hostile images end as a content-free error (the message goes to review), within the limits,
/// and the next file is still read.
#[test]
fn hostile_images_are_refused_within_limits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("bomb.png", png_bomb(), "100000 x 100000"),
        ("loop.tif", tiff_loop(), "TIFF"),
        ("bomb.jpg", jpeg_bomb(), "65500 x 65500"),
    ];
    for (name, bytes, says) in cases {
        let path = write(dir.path(), name, &bytes);
        let started = std::time::Instant::now();
        let (code, v) = extract(&["extract", &path]);
        assert_eq!(code, Some(1), "{name}: {v}");
        let err = v["error"].as_str().unwrap_or_default();
        assert!(err.contains(says), "{name}: {err}");
        // Generous: the point is that it ends (no 10 GB allocation, no endless page chain).
        assert!(started.elapsed().as_secs() < 120, "{name} took too long");
    }
}

/// Without the engine, or with OCR switched off, a scan goes to review as
/// `unsupported_attachment` with a detail saying why; the other forms read as before.
#[test]
#[allow(clippy::indexing_slicing)]
fn without_the_engine_scans_go_to_review_saying_why() {
    for (extra, says) in [
        ("[ocr]\nengine = \"/nonexistent/tesseract\"\n", "not found"),
        ("[ocr]\nenabled = false\n", "disabled"),
    ] {
        let (_dir, cfg) = temp_config(extra);
        let cfg = cfg.to_string_lossy().into_owned();
        for scan in [
            "fixtures/scans/iehp-ecm-referral.fax.tif",
            "fixtures/scans/iehp-ecm-referral.office.pdf",
        ] {
            let (code, v) = extract(&["extract", "--config", &cfg, scan]);
            assert_eq!(code, Some(1), "{scan}: {v}");
            let err = v["error"].as_str().unwrap_or_default();
            assert!(err.starts_with("unsupported attachment type"), "{err}");
            assert!(err.contains("OCR is unavailable") && err.contains(says), "{err}");
        }
        let (code, v) = extract(&[
            "extract",
            "--config",
            &cfg,
            "fixtures/forms/iehp-ecm-referral.pdf",
        ]);
        assert_eq!(code, Some(0), "{v}");
        // check-config warns and still succeeds: OCR is optional.
        let out = run(&["check-config", "--config", &cfg]);
        assert_eq!(out.status.code(), Some(0));
        // Warned only when OCR is meant to run; switched off, there is nothing to warn about.
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).contains("warning: [ocr]"),
            !extra.contains("enabled = false")
        );
        let c: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(c["ocr"]["available"], false, "{c}");
        let out = run(&["explain", "--config", &cfg, "fixtures/demo/24-png-scan-only.eml"]);
        let d: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(d["disposition"], "review", "{d}");
        assert_eq!(d["reasons"], serde_json::json!(["unsupported_attachment"]), "{d}");
    }
}

/// Head of line (issue #10): a three-page fax is read by OCR beside the queue, so the referral
/// that arrived right after it is decided, committed and acknowledged while the fax is still
/// being read — its acknowledgement arrives first. A crash at that moment leaves the fax above
/// the cursor and the referral recorded: after the restart the fax is read and answered, and the
/// referral is neither decided nor answered again.
#[test]
fn a_long_fax_does_not_hold_up_the_referral_behind_it() {
    use std::time::Duration;

    use crate::support::child::{query_i64, wait_until};
    use crate::support::inproc::{Daemon, setup, store_count};
    use crate::support::plan::message_id;

    tesseract_installed();
    let s = setup("");
    let fax =
        std::fs::read(root().join("fixtures/blindscan1/09-fax-sandiego-cs-housing-3pages-wrong-inbox.eml"))
            .expect("fax");
    let text = std::fs::read(root().join("fixtures/demo/01-kp-ecm-accepted.eml")).expect("demo");
    let (fax_id, text_id) = (message_id(&fax).expect("id"), message_id(&text).expect("id"));
    s.env.append("ncal@example.test", "INBOX", &fax);
    s.env.append("ncal@example.test", "INBOX", &text);
    let acks_of = |id: &str| {
        s.env
            .sink_timed()
            .into_iter()
            .filter(|(_, m)| {
                mail_parser::MessageParser::default()
                    .parse(&m.raw)
                    .and_then(|p| {
                        p.in_reply_to()
                            .as_text()
                            .map(|r| r.trim_matches(['<', '>']) == id.trim_matches(['<', '>']))
                    })
                    .unwrap_or(false)
            })
            .map(|(t, _)| t)
            .collect::<Vec<_>>()
    };

    let d = Daemon::start(&s.config);
    wait_until(
        "the referral behind the fax is acknowledged",
        Duration::from_secs(60),
        || !acks_of(&text_id).is_empty(),
    );
    assert!(
        acks_of(&fax_id).is_empty(),
        "the referral's acknowledgement came before the fax's: it did not wait for the OCR"
    );
    // Its emails marked sent (so the crash cannot resend them), then a crash mid-fax.
    wait_until(
        "the referral's emails are marked sent",
        Duration::from_secs(30),
        || {
            query_i64(&s.store_url, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'") >= 1
                && query_i64(
                    &s.store_url,
                    "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
                ) == 0
        },
    );
    let before = store_count(&s.store_url, "messages");
    d.crash();
    assert_eq!(
        before, 1,
        "only the referral was committed when the daemon stopped"
    );
    assert_eq!(
        query_i64(&s.store_url, "SELECT MAX(last_uid) FROM mailbox_cursors"),
        0,
        "the cursor stays below the fax still being read"
    );

    let d = Daemon::start(&s.config);
    wait_until(
        "the fax is acknowledged after the restart",
        Duration::from_secs(120),
        || !acks_of(&fax_id).is_empty(),
    );
    wait_until("the inbox is emptied", Duration::from_secs(30), || {
        s.env.list("ncal@example.test", "INBOX").is_empty()
    });
    d.stop();
    assert_eq!(acks_of(&text_id).len(), 1, "the referral was answered once");
    assert_eq!(acks_of(&fax_id).len(), 1, "the fax was answered once");
    assert_eq!(store_count(&s.store_url, "messages"), 2, "each stored once");
    assert_eq!(
        query_i64(
            &s.store_url,
            "SELECT COUNT(*) FROM events WHERE kind = 'duplicate'"
        ),
        0,
        "the referral was not fetched and decided again"
    );
    assert_eq!(
        query_i64(&s.store_url, "SELECT MAX(last_uid) FROM mailbox_cursors"),
        2
    );
}
