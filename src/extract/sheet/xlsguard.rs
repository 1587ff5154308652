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

/// Bytes of the dense arrays calamine would allocate for the cells in a BIFF stream.
fn dense_bytes(biff: &[u8]) -> u64 {
    let cell = std::mem::size_of::<calamine::Data>() as u64;
    let formula = std::mem::size_of::<String>() as u64;
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

/// Refuses an `.xls` whose sheets would need more than `max` bytes of dense cell arrays.
pub(crate) fn check_xls_extent(bytes: &[u8], max: usize) -> Result<(), ExtractError> {
    let Some(biff) = Cfb::open(bytes).and_then(|c| c.workbook()) else {
        return Ok(()); // not readable here: calamine will say why
    };
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

    #[test]
    fn fixture_workbook_stream_is_found_and_passes() {
        let bytes = std::fs::read("fixtures/sheet-unit/form.xls").unwrap_or_default();
        let biff = Cfb::open(&bytes).and_then(|c| c.workbook()).unwrap_or_default();
        assert_eq!(le16(&biff, 0), Some(0x0809), "stream starts with BOF");
        assert!(dense_bytes(&biff) > 0);
        assert_eq!(check_xls_extent(&bytes, 64 << 20), Ok(()));
        assert!(check_xls_extent(&bytes, 100).is_err());
    }

    #[test]
    fn garbage_is_left_to_calamine() {
        assert_eq!(check_xls_extent(b"", 10), Ok(()));
        assert_eq!(check_xls_extent(&[0xFF; 4096], 10), Ok(()));
    }
}
