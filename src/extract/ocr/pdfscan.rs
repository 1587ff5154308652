//! The page images of an image-only PDF (a scanner's output): for each page, its largest image
//! XObject, taken as the scanner stored it — `/DCTDecode` is a JPEG file, `/CCITTFaxDecode` fax
//! data, `/FlateDecode` or nothing raw samples — after any filters that only carry the bytes
//! (`/ASCII85Decode` before `/DCTDecode`, as ReportLab writes it).
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

/// Filters that only carry bytes (text encodings, general compression): undone before the
/// image's own codec, which may follow them (ReportLab writes `[/ASCII85Decode /DCTDecode]`).
const TRANSPORT: [&[u8]; 5] = [
    b"FlateDecode",
    b"LZWDecode",
    b"ASCII85Decode",
    b"ASCIIHexDecode",
    b"RunLengthDecode",
];

fn image_of(s: &Stream, budget: &mut usize) -> Result<PdfImage, ExtractError> {
    let filters: Vec<Vec<u8>> = s
        .filters()
        .map(|f| f.into_iter().map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    let n = |k: &[u8]| s.dict.get(k).and_then(Object::as_i64).unwrap_or(0);
    let dim = |k: &[u8]| u32::try_from(n(k)).unwrap_or(0);
    let unsupported = |what: &str| ExtractError::Unsupported(format!("scanned PDF page image ({what})"));
    let damaged =
        || ExtractError::Unreadable("scanned PDF page image is damaged or over the size limit".into());
    let (codec, transport) = match filters.split_last() {
        Some((last, rest)) if matches!(last.as_slice(), b"DCTDecode" | b"CCITTFaxDecode") => {
            (Some(last.as_slice()), rest)
        }
        _ => (None, filters.as_slice()),
    };
    if !transport.iter().all(|f| TRANSPORT.contains(&f.as_slice())) {
        return Err(unsupported("filter"));
    }
    // The bytes the codec reads: the stream with its transport filters undone.
    let carried = |budget: &mut usize| -> Result<Vec<u8>, ExtractError> {
        let data = if transport.is_empty() {
            s.content.clone()
        } else {
            let mut t = s.clone();
            t.dict.set(
                "Filter",
                Object::Array(transport.iter().map(|f| Object::Name(f.clone())).collect()),
            );
            if let Ok(Object::Array(parms)) = s.dict.get(b"DecodeParms") {
                t.dict.set(
                    "DecodeParms",
                    Object::Array(parms.iter().take(transport.len()).cloned().collect()),
                );
            }
            t.decompressed_content_with_limit(*budget)
                .map_err(|_| damaged())?
        };
        *budget = budget.saturating_sub(data.len());
        Ok(data)
    };
    match codec {
        Some(b"DCTDecode") => Ok(PdfImage::Jpeg(carried(budget)?)),
        Some(_) => {
            // The codec's parameters: its own entry of an array, or the one dictionary.
            let parms = s
                .dict
                .get(b"DecodeParms")
                .ok()
                .and_then(|o| match o {
                    Object::Array(a) => a.get(transport.len()),
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
                data: carried(budget)?,
                k: p(b"K", 0),
                columns,
                rows,
            })
        }
        None => {
            let components = match s.dict.get(b"ColorSpace").and_then(Object::as_name) {
                Ok(b"DeviceGray") => 1,
                Ok(b"DeviceRGB") => 3,
                _ => return Err(unsupported("colour space")),
            };
            let data = s.get_plain_content_with_limit(*budget).map_err(|_| damaged())?;
            *budget = budget.saturating_sub(data.len());
            Ok(PdfImage::Raw {
                data,
                width: dim(b"Width"),
                height: dim(b"Height"),
                bits: u8::try_from(n(b"BitsPerComponent")).unwrap_or(0),
                components,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_stream(filters: &[&str], content: Vec<u8>) -> Stream {
        let mut dict = Dictionary::new();
        dict.set("Subtype", Object::Name(b"Image".to_vec()));
        dict.set("Width", 4);
        dict.set("Height", 4);
        dict.set("ColorSpace", Object::Name(b"DeviceGray".to_vec()));
        dict.set("BitsPerComponent", 8);
        dict.set(
            "Filter",
            Object::Array(
                filters
                    .iter()
                    .map(|f| Object::Name(f.as_bytes().to_vec()))
                    .collect(),
            ),
        );
        Stream::new(dict, content)
    }

    /// ReportLab stores a scan's JPEG text-encoded (`[/ASCII85Decode /DCTDecode]`); any chain of
    /// byte-carrying filters before the image codec is undone, and the codec gets its bytes.
    #[test]
    fn a_page_image_behind_a_text_encoding_is_read() {
        let jpeg = b"\xff\xd8\xff\xe0 a jpeg \xff\xd9".to_vec();
        let hex: Vec<u8> = jpeg
            .iter()
            .flat_map(|b| format!("{b:02X}").into_bytes())
            .chain(*b">")
            .collect();
        let mut budget = 1 << 20;
        let s = image_stream(&["ASCIIHexDecode", "DCTDecode"], hex);
        match image_of(&s, &mut budget) {
            Ok(PdfImage::Jpeg(bytes)) => assert_eq!(bytes, jpeg),
            other => panic!("{:?}", other.map(|_| "not a JPEG")),
        }
        assert!(budget < 1 << 20, "what was decoded counts against the limit");
        // A codec we do not read is refused, whatever carries it.
        let s = image_stream(&["ASCIIHexDecode", "JBIG2Decode"], b"00>".to_vec());
        assert!(matches!(
            image_of(&s, &mut budget),
            Err(ExtractError::Unsupported(_))
        ));
    }
}
