//! TNEF (`winmail.dat`, `application/ms-tnef`): unpacks the files Outlook wrapped inside.
//!
//! Outlook sends "rich text" mail as one TNEF attachment holding the real attachments. This
//! reads the stream ([MS-OXTNEF] §2.1.3): signature `0x223E9F78`, a legacy key, then attributes,
//! each `level (1 message, 2 attachment) | id (u32) | length (u32) | data | checksum (u16, the
//! byte sum of the data)`. An attachment starts at `attAttachRendData`; its file is
//! `attAttachData`, its name `attAttachTitle` (an 8.3 name, often), replaced by
//! `PR_ATTACH_LONG_FILENAME` from the `attAttachment` MAPI properties when that is present.
//! Everything else (message body, recipients, dates, other properties) is skipped.
//!
//! Our own parser rather than the `tnef` 0.1.1 crate: that crate rejects the whole stream on any
//! attribute id it does not list (`attBody`, `attParentID`, ...) and silently drops attachments
//! lacking a creation or modification date; we need every carried file or a clear error.
//!
//! Invariants: reads are bounds-checked (a corrupt length is an error, never a panic or a large
//! allocation: data are borrowed slices of the input until copied out); at most
//! [`MAX_ATTRIBUTES`] attributes and [`MAX_FILES`] files; a checksum mismatch, a truncated
//! attribute or an unknown level is `Unreadable` with a content-free text.
//!
//! [MS-OXTNEF]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxtnef

use super::ExtractError;

/// The first four bytes of every TNEF stream (`0x223E9F78`, little-endian).
pub const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

/// Most attributes read from one stream.
pub const MAX_ATTRIBUTES: usize = 10_000;
/// Most files taken from one stream.
pub const MAX_FILES: usize = 100;

const LVL_MESSAGE: u8 = 1;
const LVL_ATTACHMENT: u8 = 2;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
const ATT_ATTACHMENT: u32 = 0x0006_9005;
const PR_ATTACH_LONG_FILENAME: u16 = 0x3707;

/// The attachment being assembled: title, long name, data.
type Pending<'a> = Option<(Option<String>, Option<String>, Option<&'a [u8]>)>;

/// One file carried in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnefFile {
    /// The long file name when given, else the title.
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

fn corrupt(what: &str) -> ExtractError {
    ExtractError::Unreadable(format!("corrupt TNEF (winmail.dat): {what}"))
}

/// Bounds-checked little-endian reads over untrusted bytes.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// The files a TNEF stream carries, in order. A stream with no attachments gives none.
pub fn unpack(bytes: &[u8]) -> Result<Vec<TnefFile>, ExtractError> {
    let mut c = Cursor { buf: bytes, pos: 0 };
    if c.take(4) != Some(&SIGNATURE[..]) {
        return Err(corrupt("no TNEF signature"));
    }
    c.u16().ok_or_else(|| corrupt("truncated header"))?;
    let mut files: Vec<TnefFile> = Vec::new();
    let mut current: Pending<'_> = None;
    let mut count = 0usize;
    while !c.at_end() {
        count += 1;
        if count > MAX_ATTRIBUTES {
            return Err(corrupt("too many attributes"));
        }
        let level = c.u8().ok_or_else(|| corrupt("truncated attribute"))?;
        let id = c.u32().ok_or_else(|| corrupt("truncated attribute"))?;
        let len = c.u32().ok_or_else(|| corrupt("truncated attribute"))?;
        let len = usize::try_from(len).map_err(|_| corrupt("attribute length out of range"))?;
        let data = c
            .take(len)
            .ok_or_else(|| corrupt("an attribute runs past the end of the stream"))?;
        let sum = c.u16().ok_or_else(|| corrupt("truncated attribute"))?;
        let actual = data.iter().fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        if sum != actual {
            return Err(corrupt("attribute checksum mismatch"));
        }
        match level {
            LVL_MESSAGE => {}
            LVL_ATTACHMENT => match id {
                ATT_ATTACH_REND_DATA => {
                    finish(&mut files, current.take())?;
                    current = Some((None, None, None));
                }
                ATT_ATTACH_TITLE => {
                    if let Some(cur) = current.as_mut() {
                        cur.0 = Some(ansi_string(data));
                    }
                }
                ATT_ATTACH_DATA => {
                    if let Some(cur) = current.as_mut() {
                        cur.2 = Some(data);
                    }
                }
                ATT_ATTACHMENT => {
                    if let Some(cur) = current.as_mut() {
                        cur.1 = long_filename(data);
                    }
                }
                _ => {}
            },
            _ => return Err(corrupt("unknown attribute level")),
        }
    }
    finish(&mut files, current.take())?;
    Ok(files)
}

/// Adds the attachment in hand, if it carried data (OLE objects and empty slots carry none).
fn finish(files: &mut Vec<TnefFile>, current: Pending<'_>) -> Result<(), ExtractError> {
    let Some((title, long, Some(data))) = current else {
        return Ok(());
    };
    if files.len() >= MAX_FILES {
        return Err(corrupt("too many attachments"));
    }
    files.push(TnefFile {
        name: long.or(title).filter(|n| !n.is_empty()),
        bytes: data.to_vec(),
    });
    Ok(())
}

/// An 8-bit string attribute (code page 1252 in practice), NUL-terminated.
fn ansi_string(data: &[u8]) -> String {
    let end = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    data.get(..end)
        .unwrap_or_default()
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// `PR_ATTACH_LONG_FILENAME` from an `attAttachment` MAPI property list ([MS-OXTNEF] §2.1.3.4),
/// or `None` when absent or when the list is not understood (the title then names the file).
fn long_filename(props: &[u8]) -> Option<String> {
    let mut c = Cursor { buf: props, pos: 0 };
    let count = c.u32()?;
    for _ in 0..count.min(4096) {
        let ptype = c.u16()?;
        let pid = c.u16()?;
        if pid >= 0x8000 {
            // A named property: GUID, kind, then an id or a name.
            c.take(16)?;
            match c.u32()? {
                0 => {
                    c.u32()?;
                }
                1 => {
                    let n = usize::try_from(c.u32()?).ok()?;
                    c.take(n)?;
                    c.take(pad4(n))?;
                }
                _ => return None,
            }
        }
        let multi = ptype & 0x1000 != 0;
        let base = ptype & !0x1000;
        let values = if multi || is_variable(base) { c.u32()? } else { 1 };
        for _ in 0..values.min(4096) {
            if is_variable(base) {
                let n = usize::try_from(c.u32()?).ok()?;
                let v = c.take(n)?;
                c.take(pad4(n))?;
                if pid == PR_ATTACH_LONG_FILENAME && !multi {
                    return match base {
                        0x001F => Some(utf16le(v)),
                        _ => Some(ansi_string(v)),
                    };
                }
            } else {
                c.take(fixed_size(base)?)?;
            }
        }
    }
    None
}

/// PT_STRING8, PT_UNICODE, PT_BINARY, PT_OBJECT: a length before each value.
fn is_variable(t: u16) -> bool {
    matches!(t, 0x001E | 0x001F | 0x0102 | 0x000D)
}

/// Bytes a fixed-size property value takes in TNEF (short and boolean values are padded to 4).
fn fixed_size(t: u16) -> Option<usize> {
    match t {
        0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(4),
        0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => Some(8),
        0x0048 => Some(16),
        0x0001 => Some(0),
        _ => None,
    }
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn utf16le(v: &[u8]) -> String {
    let units: Vec<u16> = v
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p.first().copied().unwrap_or(0), p.get(1).copied().unwrap_or(0)]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut out = vec![level];
        out.extend(id.to_le_bytes());
        out.extend((data.len() as u32).to_le_bytes());
        out.extend(data);
        let sum = data.iter().fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
        out.extend(sum.to_le_bytes());
        out
    }

    fn stream(files: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend([1, 1]);
        out.extend(attr(1, 0x0008_9006, &[0, 0, 1, 0]));
        out.extend(attr(1, 0x0002_800C, b"{\\rtf1 body}\0"));
        for (title, long, data) in files {
            out.extend(attr(
                2,
                ATT_ATTACH_REND_DATA,
                &[1, 0, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0],
            ));
            out.extend(attr(2, ATT_ATTACH_TITLE, format!("{title}\0").as_bytes()));
            out.extend(attr(2, ATT_ATTACH_DATA, data));
            if let Some(long) = long {
                let mut name: Vec<u8> = long.encode_utf16().flat_map(u16::to_le_bytes).collect();
                name.extend([0, 0]);
                let mut props = 2u32.to_le_bytes().to_vec();
                props.extend([0x03, 0x00, 0x20, 0x0E, 9, 0, 0, 0]); // PR_ATTACH_SIZE
                props.extend([0x1F, 0x00, 0x07, 0x37]);
                props.extend(1u32.to_le_bytes());
                props.extend((name.len() as u32).to_le_bytes());
                let pad = pad4(name.len());
                props.extend(name);
                props.extend(vec![0; pad]);
                out.extend(attr(2, ATT_ATTACHMENT, &props));
            }
        }
        out
    }

    #[test]
    fn unpacks_every_file_with_its_long_name() {
        let s = stream(&[
            ("FORM~1.PDF", Some("KP Referral Form.pdf"), b"%PDF-1.7 a"),
            ("BATCH.CSV", None, b"Name,DOB\n"),
        ]);
        let files = unpack(&s).expect("unpacks");
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].name.as_deref(), Some("KP Referral Form.pdf"));
        assert_eq!(files[0].bytes, b"%PDF-1.7 a");
        assert_eq!(files[1].name.as_deref(), Some("BATCH.CSV"));
        assert_eq!(files[1].bytes, b"Name,DOB\n");
    }

    #[test]
    fn a_body_only_stream_carries_nothing() {
        assert_eq!(unpack(&stream(&[])).expect("unpacks"), Vec::new());
    }

    #[test]
    fn corruption_is_an_error_not_a_panic() {
        let good = stream(&[("A.PDF", Some("a.pdf"), b"%PDF-1.7 body")]);
        // Wrong signature, checksum flipped, truncated everywhere.
        assert!(unpack(b"not tnef").is_err());
        let mut bad_sum = good.clone();
        let last = bad_sum.len() - 1;
        bad_sum[last] ^= 0xFF;
        assert!(unpack(&bad_sum).is_err());
        // A cut inside an attribute is an error; one between attributes cannot be told apart
        // from a shorter stream (TNEF has no end marker) and gives what came before it.
        let errors = (0..good.len())
            .filter(|&cut| unpack(&good[..cut]).is_err())
            .count();
        assert!(errors > good.len() * 9 / 10, "{errors} of {}", good.len());
    }

    #[test]
    fn survives_arbitrary_mutations() {
        // A deterministic fuzz: every single-byte change and a pseudo-random sweep of 20,000
        // multi-byte changes must give Ok or Err, never a panic or a hang.
        let good = stream(&[
            ("A.PDF", Some("a long name.pdf"), b"%PDF-1.7 body"),
            ("B.XLS", None, &[0xD0, 0xCF, 0x11, 0xE0]),
        ]);
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7F, 0x80, 0xFF] {
                let mut m = good.clone();
                m[i] = v;
                let _ = unpack(&m);
            }
        }
        let mut seed: u32 = 0x1234_5678;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize
        };
        for _ in 0..20_000 {
            let mut m = good.clone();
            for _ in 0..(next() % 8 + 1) {
                let at = next() % m.len();
                m[at] = next() as u8;
            }
            let _ = unpack(&m);
        }
    }

    #[test]
    fn a_lying_length_is_refused_without_allocating() {
        let mut s = stream(&[("A.PDF", None, b"%PDF-1.7 body")]);
        // The attAttachData length field claims 2 GB.
        let at = s
            .windows(5)
            .position(|w| w == [2, 0x0F, 0x80, 0x06, 0x00])
            .expect("data attribute");
        s[at + 5..at + 9].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
        let e = unpack(&s).expect_err("corrupt");
        assert!(e.to_string().contains("runs past the end"), "{e}");
    }
}
