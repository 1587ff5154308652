//! Dense-range guard for legacy `.xls` workbooks, run before calamine opens them.
//!
//! calamine's xls reader parses every sheet when the workbook is opened and stores each one as a
//! dense `rows × columns` array spanning its cells' bounding box. A 5 KB file with one cell at
//! A1 and one at row 65536, column 65536 would ask for billions of cells and abort the process
//! (allocation failure is not a panic). So we read the `Workbook` stream out of the OLE compound
//! file ourselves ([MS-CFB]), walk its BIFF records ([MS-XLS] §2.4) for the cell positions, and
//! refuse the file when the dense arrays calamine would build exceed `max_decompressed` bytes.
//!
//! Anything this reader cannot make sense of is left to calamine, which reports it properly;
//! only a bounding box that is known to be too large is refused here.

use crate::extract::ExtractError;

const FREE_OR_END: u32 = 0xFFFF_FFFA; // ids at or above this are markers, not sectors

use super::zipcheck::{le16, le32};

/// Just enough of a compound file to read one stream.
struct Cfb<'a> {
    bytes: &'a [u8],
    sector: usize,
    fat: Vec<u32>,
}

impl<'a> Cfb<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        let shift = le16(bytes, 30)?;
        if shift != 9 && shift != 12 {
            return None;
        }
        let sector = 1usize << shift;
        let mut cfb = Cfb {
            bytes,
            sector,
            fat: Vec::new(),
        };
        // FAT sector ids: 109 in the header, the rest in the DIFAT chain.
        let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| le32(bytes, 76 + 4 * i)).collect();
        let mut difat = le32(bytes, 68)?;
        let per = sector / 4 - 1;
        for _ in 0..cfb.max_sectors() {
            let Some(data) = (difat < FREE_OR_END).then(|| cfb.sector_data(difat)).flatten() else {
                break;
            };
            fat_sectors.extend((0..per).filter_map(|i| le32(data, 4 * i)));
            difat = le32(data, 4 * per)?;
        }
        for id in fat_sectors.into_iter().filter(|&id| id < FREE_OR_END) {
            let data = cfb.sector_data(id)?;
            let entries: Vec<u32> = (0..sector / 4).filter_map(|i| le32(data, 4 * i)).collect();
            cfb.fat.extend(entries);
        }
        Some(cfb)
    }

    fn max_sectors(&self) -> usize {
        self.bytes.len() / self.sector + 1
    }

    fn sector_data(&self, id: u32) -> Option<&'a [u8]> {
        let start = (usize::try_from(id).ok()?.checked_add(1)?).checked_mul(self.sector)?;
        self.bytes.get(start..start.checked_add(self.sector)?)
    }

    /// The bytes of a FAT chain; a chain that loops or leaves the file ends early.
    fn chain(&self, start: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut id = start;
        for _ in 0..self.max_sectors() {
            let Some(data) = (id < FREE_OR_END).then(|| self.sector_data(id)).flatten() else {
                break;
            };
            out.extend_from_slice(data);
            id = usize::try_from(id)
                .ok()
                .and_then(|i| self.fat.get(i))
                .copied()
                .unwrap_or(u32::MAX);
        }
        out
    }

    /// The `Workbook` (BIFF8) or `Book` (BIFF5) stream.
    fn workbook(&self) -> Option<Vec<u8>> {
        let dir = self.chain(le32(self.bytes, 48)?);
        let entry = |i: usize| dir.get(i * 128..(i + 1) * 128);
        let root = entry(0)?;
        let wanted = |e: &[u8]| {
            let len = usize::from(le16(e, 64).unwrap_or(0)).min(64);
            let name: Vec<u16> = (0..len.saturating_sub(2) / 2)
                .filter_map(|i| le16(e, 2 * i))
                .collect();
            name == "Workbook".encode_utf16().collect::<Vec<_>>()
                || name == "Book".encode_utf16().collect::<Vec<_>>()
        };
        let wb = (0..dir.len() / 128)
            .filter_map(entry)
            .find(|e| e.get(66) == Some(&2) && wanted(e))?;
        let start = le32(wb, 116)?;
        let size = usize::try_from(le32(wb, 120)?).ok()?;
        let cutoff = usize::try_from(le32(self.bytes, 56)?).ok()?;
        let mut data = if size < cutoff {
            // Small streams live in the mini stream, in 64-byte sectors chained by the mini FAT.
            let mini_stream = self.chain(le32(root, 116)?);
            let mini_fat: Vec<u32> = {
                let raw = self.chain(le32(self.bytes, 60)?);
                (0..raw.len() / 4).filter_map(|i| le32(&raw, 4 * i)).collect()
            };
            let mut out = Vec::new();
            let mut id = start;
            for _ in 0..mini_fat.len() + 1 {
                let at = usize::try_from(id).ok()?.checked_mul(64)?;
                let Some(chunk) = (id < FREE_OR_END).then(|| mini_stream.get(at..at + 64)).flatten() else {
                    break;
                };
                out.extend_from_slice(chunk);
                id = mini_fat
                    .get(usize::try_from(id).ok()?)
                    .copied()
                    .unwrap_or(u32::MAX);
            }
            out
        } else {
            self.chain(start)
        };
        data.truncate(size);
        Some(data)
    }
}

/// A bounding box of cell positions.
#[derive(Default)]
struct BBox(Option<(u32, u32, u32, u32)>);

impl BBox {
    fn add(&mut self, row: u16, col: u16) {
        let (r, c) = (u32::from(row), u32::from(col));
        self.0 = Some(match self.0 {
            None => (r, r, c, c),
            Some((r0, r1, c0, c1)) => (r0.min(r), r1.max(r), c0.min(c), c1.max(c)),
        });
    }

    fn area(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1)
        })
    }
}

/// The cells a DIMENSIONS record [MS-XLS 2.4.90] makes calamine 0.38 reserve, computed as it
/// does: first/last+1 rows and columns, a first column over 0xFF or past the last read as 0, and
/// `u32` arithmetic that wraps when the last row lies before the first.
fn declared_cells(d: &[u8]) -> u64 {
    let field = |v: Option<u16>| u32::from(v.unwrap_or(0));
    let (rf, rl, cf, cl) = match d.len() {
        10 => (
            field(le16(d, 0)),
            field(le16(d, 2)),
            field(le16(d, 4)),
            field(le16(d, 6)),
        ),
        14 | 16 => (
            le32(d, 0).unwrap_or(0),
            le32(d, 4).unwrap_or(0),
            field(le16(d, 8)),
            field(le16(d, 10)),
        ),
        _ => return 0,
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    let (end_r, end_c) = if rl >= 1 && cl >= 1 {
        (rl - 1, cl - 1)
    } else {
        (rf, cf)
    };
    let rows = end_r.wrapping_sub(rf).wrapping_add(1);
    let cols = end_c.wrapping_sub(cf).wrapping_add(1);
    u64::from(rows) * u64::from(cols)
}

/// Whether a Lbl (defined name) record [MS-XLS 2.4.150] is shorter than its fixed part or than
/// the formula length (`cce`) it declares: calamine 0.38 slices `data[len - cce..]` without a
/// check, which overflows (a panic) on such a record.
fn has_short_name_record(biff: &[u8]) -> bool {
    let mut at = 0usize;
    while let (Some(kind), Some(len)) = (le16(biff, at), le16(biff, at + 2)) {
        let data = biff.get(at + 4..at + 4 + usize::from(len)).unwrap_or_default();
        at += 4 + usize::from(len);
        if kind == 0x0018
            && (data.len() < 14 || le16(data, 4).is_some_and(|cce| usize::from(cce) > data.len()))
        {
            return true;
        }
    }
    false
}

/// Bytes of the dense arrays calamine would allocate for the cells in a BIFF stream.
fn dense_bytes(biff: &[u8]) -> u64 {
    let cell = std::mem::size_of::<calamine::Data>() as u64;
    let formula = std::mem::size_of::<String>() as u64;
    let reserved = std::mem::size_of::<calamine::Cell<calamine::Data>>() as u64;
    let (mut cells, mut formulas) = (BBox::default(), BBox::default());
    let mut total: u64 = 0;
    let mut at = 0usize;
    while let (Some(kind), Some(len)) = (le16(biff, at), le16(biff, at + 2)) {
        let data = biff.get(at + 4..at + 4 + usize::from(len)).unwrap_or_default();
        at += 4 + usize::from(len);
        let pos = (le16(data, 0), le16(data, 2));
        match (kind, pos) {
            // BOF, EOF: a sheet substream starts or ends.
            (0x0809 | 0x000A, _) => {
                total = total
                    .saturating_add(cells.area().saturating_mul(cell))
                    .saturating_add(formulas.area().saturating_mul(formula));
                (cells, formulas) = (BBox::default(), BBox::default());
            }
            // DIMENSIONS: calamine reserves the declared rows × columns up front.
            (0x0200, _) => total = total.saturating_add(declared_cells(data).saturating_mul(reserved)),
            (0x0006, (Some(r), Some(c))) => {
                cells.add(r, c);
                formulas.add(r, c);
            }
            (0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD, (Some(r), Some(c))) => cells.add(r, c),
            (0x00BD, (Some(r), Some(c))) => {
                cells.add(r, c);
                if let Some(last) = data.len().checked_sub(2).and_then(|i| le16(data, i)) {
                    cells.add(r, last);
                }
            }
            _ => {}
        }
    }
    total
        .saturating_add(cells.area().saturating_mul(cell))
        .saturating_add(formulas.area().saturating_mul(formula))
}

/// Refuses a compound file whose sector chains calamine's reader (0.38) cannot follow safely.
///
/// That reader indexes its FAT by sector id, slices sectors it reads past the end of the file,
/// asserts FAT sectors are whole, and follows chains until `ENDOFCHAIN` without a cycle check:
/// a few damaged bytes panic it or make it loop, growing memory without bound. So before it
/// runs, every sector the header, DIFAT and FATs (and the mini FAT within the mini stream) point
/// at must be whole, inside the file and without cycles. Real files always are. Every reader
/// opens a compound file this way (the xlsx reader too, to detect password protection), so this
/// runs for any OLE input whatever the sniffed kind.
pub(crate) fn check_chains(bytes: &[u8]) -> Result<(), ExtractError> {
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let bad = |what: &str| Err(ExtractError::Unreadable(format!("damaged OLE container: {what}")));
    let shift = match le16(bytes, 30) {
        Some(s @ (9 | 12)) => s,
        _ => return Ok(()), // calamine rejects the header itself
    };
    let cfb = Cfb {
        bytes,
        sector: 1usize << shift,
        fat: Vec::new(),
    };
    let whole = |id: u32| id >= FREE_OR_END || cfb.sector_data(id).is_some();
    // FAT sector ids: 109 in the header, then the DIFAT chain (last id of each sector links on).
    let mut fat_ids: Vec<u32> = (0..109).filter_map(|i| le32(bytes, 76 + 4 * i)).collect();
    let mut difat = le32(bytes, 68).unwrap_or(u32::MAX);
    let per = cfb.sector / 4 - 1;
    let mut steps = 0;
    while difat < FREE_OR_END {
        steps += 1;
        let Some(data) = (steps <= cfb.max_sectors())
            .then(|| cfb.sector_data(difat))
            .flatten()
        else {
            return bad("DIFAT sector outside the file or looping");
        };
        fat_ids.extend((0..per).filter_map(|i| le32(data, 4 * i)));
        difat = le32(data, 4 * per).unwrap_or(u32::MAX);
    }
    let mut fat = Vec::new();
    for id in fat_ids.into_iter().filter(|&id| id < DIFSECT) {
        let Some(data) = (id < FREE_OR_END).then(|| cfb.sector_data(id)).flatten() else {
            return bad("FAT sector outside the file");
        };
        fat.extend((0..cfb.sector / 4).filter_map(|i| le32(data, 4 * i)));
    }
    if !links_ok(&fat, whole) {
        return bad("sector chain outside the file or looping");
    }
    let starts_ok = |ids: &[u32], table: &[u32]| {
        ids.iter()
            .all(|&id| id >= FREE_OR_END || (usize::try_from(id).is_ok_and(|i| i < table.len()) && whole(id)))
    };
    let dir_start = le32(bytes, 48).unwrap_or(u32::MAX);
    let mini_fat_start = le32(bytes, 60).unwrap_or(u32::MAX);
    if !starts_ok(&[dir_start, mini_fat_start], &fat) {
        return bad("directory or mini FAT outside the file");
    }
    let cfb = Cfb { fat, ..cfb };
    let dir = cfb.chain(dir_start);
    // Streams under 4096 bytes live in the mini stream (calamine's fixed cutoff). Directory
    // entries: type at 66 (2 = stream, 5 = root), start at 116, size at 120 (64-bit in v4).
    let size_of = |e: &[u8]| {
        let low = u64::from(le32(e, 120)?);
        let high = if shift == 12 { u64::from(le32(e, 124)?) } else { 0 };
        Some(low | (high << 32))
    };
    let entries: Vec<(u8, u32, u64)> = dir
        .chunks_exact(128)
        .filter_map(|e| Some((*e.get(66)?, le32(e, 116)?, size_of(e)?)))
        .collect();
    let big: Vec<u32> = entries
        .iter()
        .enumerate()
        .filter(|&(i, &(kind, _, len))| i == 0 || (kind == 2 && len >= 4096))
        .map(|(_, &(_, start, _))| start)
        .collect();
    if !starts_ok(&big, &cfb.fat) {
        return bad("stream outside the file");
    }
    // Small streams: 64-byte sectors inside the mini stream (the root entry's chain), linked by
    // the mini FAT, which calamine reads only as far as the header's mini FAT sector count.
    let Some(&(_, root_start, root_len)) = entries.first() else {
        return Ok(());
    };
    let mut mini_stream = cfb.chain(root_start);
    mini_stream.truncate(usize::try_from(root_len).unwrap_or(usize::MAX));
    let mini_sectors = mini_stream.len() / 64;
    let mut raw = cfb.chain(mini_fat_start);
    let mini_fat_len = usize::try_from(le32(bytes, 64).unwrap_or(0)).unwrap_or(usize::MAX);
    raw.truncate(mini_fat_len.saturating_mul(cfb.sector));
    let mini_fat: Vec<u32> = (0..raw.len() / 4).filter_map(|i| le32(&raw, 4 * i)).collect();
    let mini_whole = |id: u32| id >= FREE_OR_END || usize::try_from(id).is_ok_and(|i| i < mini_sectors);
    let small: Vec<u32> = entries
        .iter()
        .skip(1)
        .filter(|&&(kind, _, len)| kind == 2 && len > 0 && len < 4096)
        .map(|&(_, start, _)| start)
        .collect();
    if !links_ok(&mini_fat, mini_whole)
        || !small.iter().all(|&id| {
            id >= FREE_OR_END || (usize::try_from(id).is_ok_and(|i| i < mini_fat.len()) && mini_whole(id))
        })
    {
        return bad("mini stream chain outside the stream or looping");
    }
    Ok(())
}

/// Whether every link in an allocation table is a marker or the id of an existing entry that
/// `present` accepts, and following links never comes back to where it started.
fn links_ok(table: &[u32], present: impl Fn(u32) -> bool) -> bool {
    let valid =
        |id: u32| id >= FREE_OR_END || (usize::try_from(id).is_ok_and(|i| i < table.len()) && present(id));
    if !table.iter().all(|&next| valid(next)) {
        return false;
    }
    // 0 = unseen, 1 = on the current path, 2 = known to end.
    let mut state = vec![0u8; table.len()];
    for first in 0..table.len() {
        let mut path = Vec::new();
        let mut at = first;
        loop {
            match state.get(at).copied() {
                Some(0) => {}
                Some(1) => return false,
                _ => break,
            }
            if let Some(s) = state.get_mut(at) {
                *s = 1;
            }
            path.push(at);
            match table.get(at).and_then(|&next| usize::try_from(next).ok()) {
                Some(next) if next < table.len() => at = next,
                _ => break,
            }
        }
        for i in path {
            if let Some(s) = state.get_mut(i) {
                *s = 2;
            }
        }
    }
    true
}

/// Refuses an `.xls` whose sheets would need more than `max` bytes of dense cell arrays.
pub(crate) fn check_xls_extent(bytes: &[u8], max: usize) -> Result<(), ExtractError> {
    let Some(biff) = Cfb::open(bytes).and_then(|c| c.workbook()) else {
        return Ok(()); // not readable here: calamine will say why
    };
    if has_short_name_record(&biff) {
        return Err(ExtractError::Unreadable(
            "damaged xls: a defined-name record is shorter than its formula".into(),
        ));
    }
    if dense_bytes(&biff) > max as u64 {
        return Err(ExtractError::Unreadable(format!(
            "xls sheets span more than {max} bytes of cells (sparse-sheet bomb guard)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.extend_from_slice(&(data.len() as u16).to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0; 10]);
        record(0x0203, &d)
    }

    #[test]
    fn far_apart_cells_make_a_huge_box() {
        let mut biff = record(0x0809, &[0; 16]);
        biff.extend(number(0, 0));
        biff.extend(number(65535, 65535));
        biff.extend(record(0x000A, &[]));
        assert!(dense_bytes(&biff) > 100_000_000_000);
        let mut small = record(0x0809, &[0; 16]);
        small.extend(number(3, 1));
        small.extend(number(10, 4));
        assert_eq!(
            dense_bytes(&small),
            8 * 4 * std::mem::size_of::<calamine::Data>() as u64
        );
    }

    /// Fuzzing finding (`sheet` target): a 5,632-byte `.xls` whose DIMENSIONS record declared a
    /// huge sheet made calamine reserve 2.7 GB for cells before reading any (OOM). A last row
    /// before the first wraps to about 4 billion rows the same way.
    #[test]
    fn declared_dimensions_count_toward_the_limit() {
        let dims = |rf: u32, rl: u32, cf: u16, cl: u16| {
            let mut d = rf.to_le_bytes().to_vec();
            d.extend_from_slice(&rl.to_le_bytes());
            d.extend_from_slice(&cf.to_le_bytes());
            d.extend_from_slice(&cl.to_le_bytes());
            d.extend_from_slice(&[0, 0]);
            record(0x0200, &d)
        };
        let sheet = |d: Vec<u8>| {
            let mut biff = record(0x0809, &[0; 16]);
            biff.extend(d);
            biff.extend(record(0x000A, &[]));
            biff
        };
        assert!(dense_bytes(&sheet(dims(0, 1_000_000, 0, 256))) > 64 << 20);
        assert!(
            dense_bytes(&sheet(dims(100, 50, 0, 4))) > 64 << 20,
            "wrapping rows"
        );
        assert!(
            dense_bytes(&sheet(dims(0, 40, 0, 10))) < 1 << 20,
            "a real form's size passes"
        );
    }

    /// Fuzzing finding (`sheet` target): a 5,632-byte `.xls` with a defined-name record whose
    /// formula length exceeds the record made calamine subtract past zero (a caught panic).
    #[test]
    fn name_record_shorter_than_its_formula_is_found() {
        let lbl = |cce: u16| {
            let mut d = vec![0u8; 16];
            d[4..6].copy_from_slice(&cce.to_le_bytes());
            record(0x0018, &d)
        };
        assert!(has_short_name_record(&lbl(200)));
        assert!(!has_short_name_record(&lbl(2)));
        assert!(has_short_name_record(&record(0x0018, &[0; 4])));
    }

    #[test]
    fn fixture_workbook_stream_is_found_and_passes() {
        let bytes = std::fs::read("fixtures/sheet-unit/form.xls").unwrap_or_default();
        let biff = Cfb::open(&bytes).and_then(|c| c.workbook()).unwrap_or_default();
        assert_eq!(le16(&biff, 0), Some(0x0809), "stream starts with BOF");
        assert!(dense_bytes(&biff) > 0);
        assert_eq!(check_xls_extent(&bytes, 64 << 20), Ok(()));
        assert!(check_xls_extent(&bytes, 100).is_err());
    }

    /// A version-3 compound-file header (512-byte sectors) whose first FAT sector is `fat`,
    /// with the directory at sector 0 and no DIFAT or mini FAT.
    fn header(fat: u32) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        h[24..34].copy_from_slice(&[0x3E, 0, 3, 0, 0xFE, 0xFF, 9, 0, 6, 0]);
        h[44..48].copy_from_slice(&1u32.to_le_bytes()); // FAT sectors
        h[56..60].copy_from_slice(&4096u32.to_le_bytes()); // mini stream cutoff
        h[60..64].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no mini FAT
        h[68..72].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no DIFAT chain
        for i in 0..109 {
            let id = if i == 0 { fat } else { u32::MAX };
            h[76 + 4 * i..80 + 4 * i].copy_from_slice(&id.to_le_bytes());
        }
        h
    }

    /// Fuzzing finding (`sheet` target): an `.xls` cut off 394 bytes into its FAT sector made
    /// calamine's `to_u32` assertion fail (5002-byte input, FAT sector 8). Minimised here.
    #[test]
    fn fat_sector_cut_off_by_the_end_of_file_is_refused() {
        let mut bytes = header(8);
        bytes.resize(4608 + 394, 0);
        let err = crate::extract::sheet::extract_sheet(
            &bytes,
            crate::extract::DocKind::Xls,
            &crate::extract::Limits::default(),
        );
        // Without the guard this is calamine's panic, caught: "xls reader failed on ...".
        assert!(
            matches!(&err, Err(ExtractError::Unreadable(m)) if m.contains("damaged OLE container")),
            "{err:?}"
        );
    }

    /// Fuzzing finding (`sheet` target): an OLE file whose directory chain links a sector to
    /// itself made calamine (opened as xlsx: its password check reads the compound file) append
    /// the sector forever, until the allocator gave out (OOM at 1 GiB). Minimised here.
    #[test]
    fn looping_directory_chain_is_refused_for_every_reader() {
        let mut bytes = header(1);
        bytes[48..52].copy_from_slice(&0u32.to_le_bytes()); // directory starts at sector 0
        bytes.extend(vec![0u8; 512]); // sector 0: directory entries
        let mut fat = vec![0xFFu8; 512];
        fat[..4].copy_from_slice(&0u32.to_le_bytes()); // sector 0 -> sector 0
        fat[4..8].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes()); // sector 1: the FAT
        bytes.extend(fat);
        for kind in [
            crate::extract::DocKind::Xlsx,
            crate::extract::DocKind::Xlsb,
            crate::extract::DocKind::Xls,
        ] {
            let err = crate::extract::sheet::extract_sheet(&bytes, kind, &crate::extract::Limits::default());
            assert!(
                matches!(&err, Err(ExtractError::Unreadable(m)) if m.contains("damaged OLE container")),
                "{kind:?}: {err:?}"
            );
        }
    }

    #[test]
    fn chains_must_stay_inside_the_file_and_end() {
        // FAT in sector 1: sector 0 (directory) ends, sector 1 is the FAT itself.
        let fat_sector = |first: u32| {
            let mut s = vec![0xFFu8; 512];
            s[..4].copy_from_slice(&first.to_le_bytes());
            s[4..8].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
            s
        };
        let file = |first: u32| {
            let mut b = header(1);
            b.extend(vec![0u8; 512]); // sector 0: an empty directory
            b.extend(fat_sector(first));
            b
        };
        assert_eq!(check_chains(&file(0xFFFF_FFFE)), Ok(()));
        assert!(check_chains(&file(0)).is_err(), "sector 0 links to itself");
        assert!(check_chains(&file(7)).is_err(), "link past the end of the file");
        assert!(links_ok(&[1, 2, 0xFFFF_FFFE], |_| true));
        assert!(!links_ok(&[1, 2, 0], |_| true));
        assert!(!links_ok(&[5], |_| true));
    }

    #[test]
    fn garbage_is_left_to_calamine() {
        assert_eq!(check_xls_extent(b"", 10), Ok(()));
        assert_eq!(check_xls_extent(&[0xFF; 4096], 10), Ok(()));
    }
}
