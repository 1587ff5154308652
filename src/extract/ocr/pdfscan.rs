//! The page images of an image-only PDF (a scanner's output): for each page, its largest image
//! XObject, taken as the scanner stored it — `/DCTDecode` is a JPEG file, `/CCITTFaxDecode` fax
//! data, `/FlateDecode` or nothing raw samples.
//!
//! Only images on the page's own resources are looked at (scanners put the page image there);
//! an image inside a Form XObject is not followed.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::image::PdfImage;
use crate::extract::{ExtractError, Limits};

/// An image this many pixels or more covers a page (a letter page at 72 dpi is 484,704).
const PAGE_IMAGE_MIN_PIXELS: i64 = 250_000;

fn resource_dicts(doc: &Document, page: ObjectId) -> Vec<&Dictionary> {
    let Ok((own, ids)) = doc.get_page_resources(page) else {
        return Vec::new();
    };
    own.into_iter()
        .chain(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()))
        .collect()
}

/// A page's image XObjects with their pixel counts.
fn page_images(doc: &Document, page: ObjectId) -> Vec<(i64, &Stream)> {
    let mut out = Vec::new();
    for res in resource_dicts(doc, page) {
        let Some(xobjects) = res
            .get(b"XObject")
            .ok()
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_dict().ok())
        else {
            continue;
        };
        for (_, o) in xobjects.iter() {
            let Ok((_, Object::Stream(s))) = doc.dereference(o) else {
                continue;
            };
            if s.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Image".as_slice()) {
                continue;
            }
            let n = |k: &[u8]| s.dict.get(k).and_then(Object::as_i64).unwrap_or(0);
            out.push((n(b"Width").saturating_mul(n(b"Height")), s));
        }
    }
    out
}

/// Whether any of the first `max_pages` pages carries a page-sized image.
pub fn has_page_images(doc: &Document, max_pages: usize) -> bool {
    doc.get_pages().values().take(max_pages).any(|p| {
        page_images(doc, *p)
            .iter()
            .any(|(px, _)| *px >= PAGE_IMAGE_MIN_PIXELS)
    })
}

/// Each page's largest image, in page order (pages without one are skipped).
pub fn page_images_of(
    doc: &Document,
    limits: &Limits,
    max_pages: usize,
) -> Result<Vec<PdfImage>, ExtractError> {
    let mut out = Vec::new();
    let mut budget = limits.max_decompressed;
    for page in doc.get_pages().values().take(max_pages) {
        limits.check_time()?;
        let Some((_, s)) = page_images(doc, *page).into_iter().max_by_key(|(px, _)| *px) else {
            continue;
        };
        out.push(image_of(s, &mut budget)?);
    }
    Ok(out)
}

fn image_of(s: &Stream, budget: &mut usize) -> Result<PdfImage, ExtractError> {
    let filters: Vec<Vec<u8>> = s
        .filters()
        .map(|f| f.into_iter().map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let n = |k: &[u8]| s.dict.get(k).and_then(Object::as_i64).unwrap_or(0);
    let dim = |k: &[u8]| u32::try_from(n(k)).unwrap_or(0);
    let unsupported = |what: &str| ExtractError::Unsupported(format!("scanned PDF page image ({what})"));
    match filters.iter().map(Vec::as_slice).collect::<Vec<_>>().as_slice() {
        [b"DCTDecode"] => Ok(PdfImage::Jpeg(s.content.clone())),
        [b"CCITTFaxDecode"] => {
            let parms = s
                .dict
                .get(b"DecodeParms")
                .ok()
                .and_then(|o| match o {
                    Object::Array(a) => a.first(),
                    other => Some(other),
                })
                .and_then(|o| o.as_dict().ok());
            let p = |k: &[u8], d: i64| {
                parms
                    .and_then(|p| p.get(k).and_then(Object::as_i64).ok())
                    .unwrap_or(d)
            };
            let columns = u32::try_from(p(b"Columns", 1728)).unwrap_or(0);
            let rows = u32::try_from(p(b"Rows", n(b"Height"))).unwrap_or(0);
            Ok(PdfImage::Fax {
                data: s.content.clone(),
                k: p(b"K", 0),
                columns,
                rows,
            })
        }
        [] | [b"FlateDecode"] => {
            let components = match s.dict.get(b"ColorSpace").and_then(Object::as_name) {
                Ok(b"DeviceGray") => 1,
                Ok(b"DeviceRGB") => 3,
                _ => return Err(unsupported("colour space")),
            };
            let data = s.get_plain_content_with_limit(*budget).map_err(|_| {
                ExtractError::Unreadable("scanned PDF page image is damaged or over the size limit".into())
            })?;
            *budget = budget.saturating_sub(data.len());
            Ok(PdfImage::Raw {
                data,
                width: dim(b"Width"),
                height: dim(b"Height"),
                bits: u8::try_from(n(b"BitsPerComponent")).unwrap_or(0),
                components,
            })
        }
        _ => Err(unsupported("filter")),
    }
}
