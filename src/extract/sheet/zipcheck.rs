//! Zip-bomb guard: sums the uncompressed sizes a ZIP package (xlsx, xlsm, xlsb, ods) declares in
//! its central directory, before calamine inflates anything.
//!
//! The zip reader calamine uses stops each member at its declared size, so the declared total
//! bounds the memory a workbook can make us spend. ZIP64 records (sizes of `0xFFFFFFFF`) are
//! read from the ZIP64 end record and extra fields. Reference: PKWARE APPNOTE.TXT §4.3.

use crate::extract::ExtractError;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;

/// Little-endian readers over untrusted bytes: `None` past the end, never a panic. Shared with
/// the XLS guard.
pub(super) fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

pub(super) fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        b.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn bad(what: &str) -> ExtractError {
    ExtractError::Unreadable(format!("corrupt zip package: {what}"))
}

/// The end-of-central-directory record's position: the last one, searched back over the
/// largest possible archive comment.
fn find_eocd(bytes: &[u8]) -> Option<usize> {
    let last = bytes.len().checked_sub(EOCD_LEN)?;
    let first = last.saturating_sub(usize::from(u16::MAX));
    (first..=last).rev().find(|&i| le32(bytes, i) == Some(EOCD_SIG))
}

/// Where the central directory starts and how many entries it holds, ZIP64 aware.
fn central_directory(bytes: &[u8]) -> Result<(usize, u64), ExtractError> {
    let eocd = find_eocd(bytes).ok_or_else(|| bad("no end of central directory"))?;
    let entries = le16(bytes, eocd + 10).ok_or_else(|| bad("short end record"))?;
    let offset = le32(bytes, eocd + 16).ok_or_else(|| bad("short end record"))?;
    if entries != u16::MAX && offset != u32::MAX {
        let offset = usize::try_from(offset).map_err(|_| bad("offset out of range"))?;
        return Ok((offset, u64::from(entries)));
    }
    let locator = eocd.checked_sub(20).ok_or_else(|| bad("missing ZIP64 locator"))?;
    if le32(bytes, locator) != Some(EOCD64_LOCATOR_SIG) {
        return Err(bad("missing ZIP64 locator"));
    }
    let rec = le64(bytes, locator + 8).ok_or_else(|| bad("short ZIP64 locator"))?;
    let rec = usize::try_from(rec).map_err(|_| bad("offset out of range"))?;
    if le32(bytes, rec) != Some(EOCD64_SIG) {
        return Err(bad("missing ZIP64 end record"));
    }
    let entries = le64(bytes, rec + 32).ok_or_else(|| bad("short ZIP64 end record"))?;
    let offset = le64(bytes, rec + 48).ok_or_else(|| bad("short ZIP64 end record"))?;
    let offset = usize::try_from(offset).map_err(|_| bad("offset out of range"))?;
    Ok((offset, entries))
}

/// The uncompressed size of the central entry at `at`, and where the next entry starts.
fn entry(bytes: &[u8], at: usize) -> Result<(u64, usize), ExtractError> {
    if le32(bytes, at) != Some(CENTRAL_SIG) {
        return Err(bad("bad central directory entry"));
    }
    let short = || bad("short central directory entry");
    let size32 = le32(bytes, at + 24).ok_or_else(short)?;
    let name_len = usize::from(le16(bytes, at + 28).ok_or_else(short)?);
    let extra_len = usize::from(le16(bytes, at + 30).ok_or_else(short)?);
    let comment_len = usize::from(le16(bytes, at + 32).ok_or_else(short)?);
    let extra_start = at + CENTRAL_LEN + name_len;
    let next = extra_start + extra_len + comment_len;
    let mut size = u64::from(size32);
    if size32 == u32::MAX {
        // The real size is the first field of the ZIP64 extra block (APPNOTE 4.5.3).
        let extra = bytes
            .get(extra_start..extra_start + extra_len)
            .ok_or_else(short)?;
        let mut i = 0;
        let mut found = None;
        while let (Some(id), Some(len)) = (le16(extra, i), le16(extra, i + 2)) {
            if id == 0x0001 {
                found = le64(extra, i + 4);
                break;
            }
            i += 4 + usize::from(len);
        }
        size = found.ok_or_else(|| bad("ZIP64 size missing"))?;
    }
    Ok((size, next))
}

/// The decompressed bytes of member `name` (at most `max` of them), or `None` when the package
/// has no such member or it cannot be read here (calamine then reports the problem).
/// Only stored and deflated members are read: that is all spreadsheet writers produce.
pub(crate) fn member(bytes: &[u8], name: &str, max: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let (mut at, entries) = central_directory(bytes).ok()?;
    for _ in 0..entries {
        let (_, next) = entry(bytes, at).ok()?;
        let name_len = usize::from(le16(bytes, at + 28)?);
        if bytes.get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len) == Some(name.as_bytes()) {
            let method = le16(bytes, at + 10)?;
            let compressed = usize::try_from(le32(bytes, at + 20)?).ok()?;
            let local = usize::try_from(le32(bytes, at + 42)?).ok()?;
            if le32(bytes, local) != Some(0x0403_4b50) {
                return None;
            }
            let data_at =
                local + 30 + usize::from(le16(bytes, local + 26)?) + usize::from(le16(bytes, local + 28)?);
            let data = bytes.get(data_at..data_at.checked_add(compressed)?)?;
            let limit = u64::try_from(max).ok()?;
            let mut out = Vec::new();
            match method {
                0 => out.extend_from_slice(data.get(..max.min(data.len()))?),
                8 => {
                    flate2::read::DeflateDecoder::new(data)
                        .take(limit)
                        .read_to_end(&mut out)
                        .ok()?;
                }
                _ => return None,
            }
            return Some(out);
        }
        at = next;
    }
    None
}

/// The central entry at `at` must agree with the local header it points to.
fn check_member_header(bytes: &[u8], at: usize) -> Result<(), ExtractError> {
    let short = || bad("short central directory entry");
    let compressed = le32(bytes, at + 20).ok_or_else(short)?;
    let name_len = usize::from(le16(bytes, at + 28).ok_or_else(short)?);
    let local = le32(bytes, at + 42).ok_or_else(short)?;
    if compressed != u32::MAX && u64::from(compressed) > bytes.len() as u64 {
        return Err(bad("a member is larger than the file"));
    }
    if local == u32::MAX {
        return Ok(()); // ZIP64 offset: the reader checks it
    }
    let local = usize::try_from(local).map_err(|_| bad("offset out of range"))?;
    if le32(bytes, local) != Some(0x0403_4b50) {
        return Err(bad("a member's local header is missing"));
    }
    let central_name = bytes
        .get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len)
        .ok_or_else(short)?;
    let local_len = usize::from(le16(bytes, local + 26).ok_or_else(|| bad("short local header"))?);
    let local_name = bytes
        .get(local + 30..local + 30 + local_len)
        .ok_or_else(|| bad("short local header"))?;
    if central_name != local_name {
        return Err(bad(
            "a member's name differs between the directory and its local header",
        ));
    }
    Ok(())
}

/// The uncompressed size a member declares in the central directory.
pub(crate) fn declared_member_size(bytes: &[u8], name: &str) -> Option<u64> {
    let (mut at, entries) = central_directory(bytes).ok()?;
    for _ in 0..entries.min(100_000) {
        let (size, next) = entry(bytes, at).ok()?;
        let name_len = usize::from(le16(bytes, at + 28)?);
        if bytes.get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len) == Some(name.as_bytes()) {
            return Some(size);
        }
        at = next;
    }
    None
}

/// The names of a package's members.
pub(crate) fn member_names(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Ok((mut at, entries)) = central_directory(bytes) else {
        return out;
    };
    for _ in 0..entries.min(100_000) {
        let Ok((_, next)) = entry(bytes, at) else { break };
        let Some(name_len) = le16(bytes, at + 28).map(usize::from) else {
            break;
        };
        if let Some(name) = bytes.get(at + CENTRAL_LEN..at + CENTRAL_LEN + name_len) {
            out.push(String::from_utf8_lossy(name).into_owned());
        }
        at = next;
    }
    out
}

/// Refuses an XLSX whose shared-strings table declares more strings than it can hold (calamine
/// reserves room for the declared `uniqueCount` before reading one: a 1 KB file declaring a
/// billion strings asks for tens of gigabytes and aborts the process) or than `max_cells`.
pub(crate) fn check_shared_strings(bytes: &[u8], max_cells: usize) -> Result<(), ExtractError> {
    for name in member_names(bytes) {
        if !name.to_ascii_lowercase().contains("sharedstrings") {
            continue;
        }
        let Some(head) = member(bytes, &name, 64 * 1024) else {
            return Err(bad("the shared-strings part cannot be read"));
        };
        let head = String::from_utf8_lossy(&head);
        let declared = ["uniqueCount=\"", "count=\""]
            .iter()
            .filter_map(|attr| {
                let i = head.find(attr)?;
                let rest = head.get(i + attr.len()..)?;
                rest.split('"')
                    .next()?
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .or(Some(u64::MAX))
            })
            .max()
            .unwrap_or(0);
        let size = declared_member_size(bytes, &name).unwrap_or(0);
        // The smallest string entry, `<si/>`, is five bytes.
        if declared > size / 5 + 1 || declared > max_cells as u64 {
            return Err(ExtractError::Unreadable(format!(
                "spreadsheet declares {} shared strings, more than its {size} bytes can hold (declared-count guard)",
                if declared == u64::MAX {
                    "an unreadable number of".to_string()
                } else {
                    declared.to_string()
                }
            )));
        }
    }
    Ok(())
}

/// Refuses a ZIP package whose members declare more than `max` uncompressed bytes in total, or
/// whose directory contradicts the file: a member whose compressed size or local header lies
/// beyond the end of the file, or whose local header names another member. A reader that
/// trusts such a directory sizes buffers from numbers nobody checked.
pub(crate) fn check_declared_size(bytes: &[u8], max: usize) -> Result<(), ExtractError> {
    let (mut at, entries) = central_directory(bytes)?;
    if entries > 100_000 {
        return Err(bad("too many members"));
    }
    let mut total: u64 = 0;
    for _ in 0..entries {
        let (size, next) = entry(bytes, at)?;
        check_member_header(bytes, at)?;
        total = total.saturating_add(size);
        if total > max as u64 {
            return Err(ExtractError::Unreadable(format!(
                "spreadsheet declares more than {max} bytes uncompressed (zip bomb guard)"
            )));
        }
        at = next;
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A ZIP of stored (uncompressed) members, for tests that need a package with given parts.
    pub(in crate::extract::sheet) fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let offset = out.len() as u32;
            let header = |sig: u32, central: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&sig.to_le_bytes());
                if central {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes()); // version needed
                h.extend_from_slice(&0u16.to_le_bytes()); // flags
                h.extend_from_slice(&0u16.to_le_bytes()); // stored
                h.extend_from_slice(&0u32.to_le_bytes()); // time and date
                h.extend_from_slice(&crc.sum().to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes()); // extra
                if central {
                    h.extend_from_slice(&[0u8; 6]); // comment length, disk, internal attributes
                    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend(header(0x0403_4b50, false));
            out.extend_from_slice(data);
            central.extend(header(CENTRAL_SIG, true));
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIG.to_le_bytes());
        out.extend_from_slice(&[0u8; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// A one-member stored ZIP whose central entry declares `declared` uncompressed bytes.
    fn zip_declaring(declared: u32) -> Vec<u8> {
        let name = b"xl/workbook.xml";
        let mut z = Vec::new();
        // local header + 4 data bytes
        z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&4u32.to_le_bytes());
        z.extend_from_slice(&declared.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name);
        z.extend_from_slice(b"abcd");
        let cd = z.len();
        z.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&4u32.to_le_bytes());
        z.extend_from_slice(&declared.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0; 12]); // extra len, comment len, disk, attrs
        z.extend_from_slice(&0u32.to_le_bytes()); // local header offset
        z.extend_from_slice(name);
        let cd_len = z.len() - cd;
        z.extend_from_slice(&EOCD_SIG.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&(cd_len as u32).to_le_bytes());
        z.extend_from_slice(&(cd as u32).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z
    }

    #[test]
    fn declared_size_is_checked_against_the_limit() {
        assert_eq!(check_declared_size(&zip_declaring(4), 1024), Ok(()));
        assert!(matches!(
            check_declared_size(&zip_declaring(3_000_000_000), 64 << 20),
            Err(ExtractError::Unreadable(m)) if m.contains("zip bomb")
        ));
    }

    #[test]
    fn truncated_packages_are_errors_not_panics() {
        let z = zip_declaring(4);
        for cut in [0, 10, z.len() / 2, z.len() - 1] {
            let _ = check_declared_size(z.get(..cut).unwrap_or_default(), 1024);
        }
        assert!(check_declared_size(b"PK\x03\x04 not really", 1024).is_err());
    }

    #[test]
    fn real_fixture_passes() {
        let bytes = std::fs::read("fixtures/sheet-unit/form.xlsx").unwrap_or_default();
        assert_eq!(check_declared_size(&bytes, 64 << 20), Ok(()));
        assert!(check_declared_size(&bytes, 100).is_err());
    }
}
