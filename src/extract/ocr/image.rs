//! Decoding scanned pages: PNG, JPEG and TIFF files (multi-page, CCITT G3/G4 faxes included)
//! and the page images of an image-only PDF, to greyscale pixels ready for the engine.
//!
//! Every decoder is told the page-size bounds *before* it allocates: the header's dimensions are
//! read first and a page over [`MAX_SIDE`] pixels a side or [`MAX_PIXELS`] in all is refused
//! (a 100,000 × 100,000 PNG header is a few bytes and would ask for 10 GB). Decoders' own
//! allocation limits are set as well. A TIFF's page chain is followed at most `max_pages`
//! pages, and the `tiff` crate refuses a chain that loops.
//!
//! Pages are then prepared for OCR: uneven light (phone photos) is flattened by dividing by a
//! blurred background, and the page is scaled so text has a size Tesseract reads well.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{GrayImage, ImageFormat, ImageReader, Luma};

use crate::extract::ExtractError;

/// Longest side of a page we decode, in pixels (A4 at 600 dpi is 7,016).
pub const MAX_SIDE: u32 = 12_000;
/// Most pixels in one page (A4 at 600 dpi is 35 million).
pub const MAX_PIXELS: u64 = 60_000_000;
/// Bytes any one decoder may allocate.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

fn too_big(w: u32, h: u32) -> Option<ExtractError> {
    let big = w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS;
    big.then(|| {
        ExtractError::Unreadable(format!(
            "image page is {w} x {h} pixels, over the {MAX_SIDE} pixel side / {MAX_PIXELS} pixel limit"
        ))
    })
}

fn image_limits() -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn unreadable(what: &str) -> ExtractError {
    ExtractError::Unreadable(format!("damaged or unsupported {what} image"))
}

/// Decodes a PNG or JPEG file (one page), checking its size before decoding it.
pub fn decode_single(bytes: &[u8], format: ImageFormat) -> Result<GrayImage, ExtractError> {
    let what = format.extensions_str().first().copied().unwrap_or("image");
    let header = ImageReader::with_format(Cursor::new(bytes), format);
    let (w, h) = header.into_dimensions().map_err(|_| unreadable(what))?;
    if let Some(e) = too_big(w, h) {
        return Err(e);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(image_limits());
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            ExtractError::Unreadable(format!("{what} image is over the decoding limits"))
        }
        _ => unreadable(what),
    })?;
    Ok(img.into_luma8())
}

/// Decodes up to `max_pages` pages of a TIFF (a fax is one page per IFD).
pub fn decode_tiff(bytes: &[u8], max_pages: usize) -> Result<Vec<GrayImage>, ExtractError> {
    use tiff::decoder::{Decoder, DecodingResult};
    let mut limits = tiff::decoder::Limits::default();
    limits.decoding_buffer_size = MAX_PIXELS as usize;
    limits.intermediate_buffer_size = MAX_PIXELS as usize;
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|_| unreadable("TIFF"))?
        .with_limits(limits);
    let mut pages = Vec::new();
    loop {
        let (w, h) = dec.dimensions().map_err(|_| unreadable("TIFF"))?;
        if let Some(e) = too_big(w, h) {
            return Err(e);
        }
        let color = dec.colortype().map_err(|_| unreadable("TIFF"))?;
        let data = match dec.read_image().map_err(|_| unreadable("TIFF"))? {
            DecodingResult::U8(d) => d,
            DecodingResult::U16(d) => d.into_iter().map(|v| (v >> 8) as u8).collect(),
            _ => {
                return Err(ExtractError::Unsupported(
                    "TIFF with floating-point or wide samples".into(),
                ));
            }
        };
        pages.push(to_gray(w, h, color, &data).ok_or_else(|| unreadable("TIFF"))?);
        if pages.len() >= max_pages || !dec.more_images() {
            break;
        }
        // A page chain that loops back is refused by the decoder here.
        dec.next_image().map_err(|_| unreadable("TIFF"))?;
    }
    Ok(pages)
}

/// Greyscale pixels from decoded TIFF samples (black is 0: the decoder has already turned
/// WhiteIsZero faxes around).
fn to_gray(w: u32, h: u32, color: tiff::ColorType, data: &[u8]) -> Option<GrayImage> {
    use tiff::ColorType as C;
    let (wu, hu) = (w as usize, h as usize);
    let px: Vec<u8> = match color {
        C::Gray(1) => {
            let row = wu.div_ceil(8);
            let mut out = Vec::with_capacity(wu * hu);
            for y in 0..hu {
                for x in 0..wu {
                    let byte = data.get(y * row + x / 8)?;
                    out.push(if byte & (0x80 >> (x % 8)) != 0 { 255 } else { 0 });
                }
            }
            out
        }
        C::Gray(8) => data.get(..wu * hu)?.to_vec(),
        C::GrayA(8) => data
            .chunks_exact(2)
            .map(|p| p.first().copied().unwrap_or(255))
            .collect(),
        C::RGB(8) => data.chunks_exact(3).map(luma).collect(),
        C::RGBA(8) => data.chunks_exact(4).map(luma).collect(),
        _ => return None,
    };
    GrayImage::from_raw(w, h, px)
}

fn luma(p: &[u8]) -> u8 {
    let c = |i: usize| u32::from(p.get(i).copied().unwrap_or(0));
    ((c(0) * 299 + c(1) * 587 + c(2) * 114) / 1000) as u8
}

/// A page image as an image-only PDF holds it.
#[derive(Debug, Clone)]
pub enum PdfImage {
    /// `/DCTDecode`: a JPEG file.
    Jpeg(Vec<u8>),
    /// `/CCITTFaxDecode`: fax data with its `/DecodeParms`.
    Fax {
        data: Vec<u8>,
        k: i64,
        columns: u32,
        rows: u32,
    },
    /// Uncompressed (or `/FlateDecode`d) samples.
    Raw {
        data: Vec<u8>,
        width: u32,
        height: u32,
        bits: u8,
        components: u8,
    },
}

/// Decodes one PDF page image.
pub fn decode_pdf_image(img: PdfImage) -> Result<GrayImage, ExtractError> {
    match img {
        PdfImage::Jpeg(bytes) => decode_single(&bytes, ImageFormat::Jpeg),
        PdfImage::Fax {
            data,
            k,
            columns,
            rows,
        } => {
            if let Some(e) = too_big(columns, rows.max(1)) {
                return Err(e);
            }
            let tiff = fax_as_tiff(&data, k, columns, rows);
            let mut pages = decode_tiff(&tiff, 1)?;
            pages.pop().ok_or_else(|| unreadable("fax"))
        }
        PdfImage::Raw {
            data,
            width,
            height,
            bits,
            components,
        } => {
            if let Some(e) = too_big(width, height) {
                return Err(e);
            }
            let color = match (components, bits) {
                (1, b) => tiff::ColorType::Gray(b),
                (3, 8) => tiff::ColorType::RGB(8),
                _ => return Err(ExtractError::Unsupported("PDF page image colour space".into())),
            };
            to_gray(width, height, color, &data).ok_or_else(|| unreadable("PDF page"))
        }
    }
}

/// Wraps raw CCITT fax data in a minimal one-strip TIFF so the TIFF decoder reads it:
/// `K < 0` is Group 4, `K = 0` Group 3 one-dimensional, `K > 0` Group 3 two-dimensional.
fn fax_as_tiff(data: &[u8], k: i64, columns: u32, rows: u32) -> Vec<u8> {
    let compression: u16 = if k < 0 { 4 } else { 3 };
    // The codes themselves say which runs are black; PDF's /BlackIs1 only describes how its
    // filter would hand the samples on. Decoded as a fax, the page is WhiteIsZero.
    let photometric: u16 = 0;
    let mut entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 4, 1, columns),
        (257, 4, 1, rows),
        (258, 3, 1, 1),
        (259, 3, 1, u32::from(compression)),
        (262, 3, 1, u32::from(photometric)),
        (273, 4, 1, 0), // strip offset, patched below
        (277, 3, 1, 1),
        (278, 4, 1, rows),
        (279, 4, 1, data.len() as u32),
    ];
    if compression == 3 {
        entries.push((292, 4, 1, if k > 0 { 1 } else { 0 }));
    }
    let ifd_len = 2 + entries.len() * 12 + 4;
    let data_at = (8 + ifd_len) as u32;
    for e in &mut entries {
        if e.0 == 273 {
            e.3 = data_at;
        }
    }
    let mut out = Vec::with_capacity(data_at as usize + data.len());
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, typ, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if typ == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Text this many pixels high (a line of 10-point type at 300 dpi is ~42) reads best; pages
/// are scaled towards it, within [`MIN_WIDTH`]..[`MAX_WIDTH`].
const MIN_WIDTH: u32 = 2000;
const MAX_WIDTH: u32 = 3400;

/// Prepares a decoded page for the engine: light flattened, scaled to a readable size.
pub fn prepare(page: GrayImage) -> GrayImage {
    let (w, h) = page.dimensions();
    let scale = if w < MIN_WIDTH {
        f64::from(MIN_WIDTH) / f64::from(w.max(1))
    } else if w > MAX_WIDTH {
        f64::from(MAX_WIDTH) / f64::from(w)
    } else {
        1.0
    };
    let page = if (scale - 1.0).abs() > 0.05 {
        let nw = (f64::from(w) * scale).round().max(1.0) as u32;
        let nh = (f64::from(h) * scale).round().max(1.0) as u32;
        imageops::resize(&page, nw, nh, FilterType::Triangle)
    } else {
        page
    };
    let page = flatten_light(page);
    let page = match skew(&page) {
        Some(angle) => rotate(&page, angle),
        None => page,
    };
    remove_rules(page)
}

/// Largest tilt looked for, in degrees, and the step of the search.
const MAX_SKEW_DEG: f32 = 4.0;
const SKEW_STEP_DEG: f32 = 0.2;

/// The page's tilt in degrees (positive: lines fall to the right), by projection profiles: the
/// angle at which the dark pixels, summed along nearly-horizontal lines, give the sharpest
/// contrast between text rows and the gaps between them. Searched on a quarter-size copy.
/// `None` when the page is level (within one step).
fn skew(page: &GrayImage) -> Option<f32> {
    let (w, h) = page.dimensions();
    let small = imageops::resize(page, (w / 4).max(1), (h / 4).max(1), FilterType::Triangle);
    let (sw, sh) = small.dimensions();
    let dark: Vec<(f32, f32)> = small
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] < 128)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if dark.len() < 100 {
        return None;
    }
    let rows = sh as usize + sw as usize;
    let score = |deg: f32| {
        let t = deg.to_radians().tan();
        let mut hist = vec![0u32; rows * 2];
        for (x, y) in &dark {
            let r = (y - x * t).round() as isize + rows as isize;
            if let Some(c) = usize::try_from(r).ok().and_then(|r| hist.get_mut(r)) {
                *c += 1;
            }
        }
        hist.iter().map(|c| f64::from(*c) * f64::from(*c)).sum::<f64>()
    };
    let steps = (MAX_SKEW_DEG / SKEW_STEP_DEG) as i32;
    let (best, _) = (-steps..=steps)
        .map(|i| i as f32 * SKEW_STEP_DEG)
        .map(|d| (d, score(d)))
        .fold(
            (0.0f32, f64::MIN),
            |acc, (d, s)| if s > acc.1 { (d, s) } else { acc },
        );
    (best.abs() >= SKEW_STEP_DEG).then_some(best)
}

/// Turns the page by `-deg` degrees about its centre (bilinear), filling with white.
fn rotate(page: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = page.dimensions();
    let (sin, cos) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let px = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 {
            return 255.0;
        }
        page.get_pixel_checked(x as u32, y as u32)
            .map_or(255.0, |p| f32::from(p.0[0]))
    };
    GrayImage::from_fn(w, h, |x, y| {
        // Where this output pixel comes from in the tilted page.
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cx + dx * cos - dy * sin;
        let sy = cy + dx * sin + dy * cos;
        let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let top = px(x0, y0) * (1.0 - fx) + px(x0 + 1, y0) * fx;
        let bottom = px(x0, y0 + 1) * (1.0 - fx) + px(x0 + 1, y0 + 1) * fx;
        Luma([(top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8])
    })
}

/// Dark runs at least this fraction of the page width long are rules, not letters (a photo's
/// blurred, upscaled word can run together for 10 % of the page: "Homelessness" was struck
/// through at a 25th).
const RULE_FRACTION: u32 = 12;

/// Whitens long horizontal and vertical rules (the boxes a form's values are typed in): the
/// engine otherwise reads a box edge as `|`, `[` or `J` glued to the value, and its confidence
/// in the value drops. A pixel counts as dark for a run when it or a neighbour across the run is
/// dark, so a rule a degree or two off level still forms one run. Tick boxes are far shorter
/// than a rule and stay.
fn remove_rules(mut page: GrayImage) -> GrayImage {
    let (w, h) = page.dimensions();
    let min_run = (w / RULE_FRACTION).max(24);
    // Boxes are lower than they are wide: their sides are shorter runs, still taller than a
    // capital letter (about a seventieth of the page width here).
    let min_side = (w / 45).max(16);
    let dark = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && page
                .get_pixel_checked(x as u32, y as u32)
                .is_some_and(|p| p.0[0] < 215)
    };
    // A pixel is on a rule's path when it or one within REACH across the run is dark: a rule
    // left a fraction of a degree off level by deskewing still forms one run.
    const REACH: i64 = 2;
    let near = |x: i64, y: i64, across_y: bool| {
        (-REACH..=REACH).any(|d| if across_y { dark(x, y + d) } else { dark(x + d, y) })
    };
    let mut rule = vec![false; (w as usize) * (h as usize)];
    let idx = |x: i64, y: i64| (y as usize) * (w as usize) + x as usize;
    let (wi, hi) = (i64::from(w), i64::from(h));
    let mut runs: Vec<(bool, i64, i64, i64)> = Vec::new(); // (horizontal, fixed, from, to)
    for y in 0..hi {
        let mut start = 0;
        for x in 0..=wi {
            if x < wi && near(x, y, true) {
                continue;
            }
            if x - start >= i64::from(min_run) {
                runs.push((true, y, start, x));
            }
            start = x + 1;
        }
    }
    for x in 0..wi {
        let mut start = 0;
        for y in 0..=hi {
            if y < hi && near(x, y, false) {
                continue;
            }
            if y - start >= i64::from(min_side) {
                runs.push((false, x, start, y));
            }
            start = y + 1;
        }
    }
    let bars = bars(&runs, w);
    let originals: Vec<(Bar, Vec<u8>)> = bars
        .into_iter()
        .map(|b| {
            let px = (b.y0..=b.y1)
                .flat_map(|y| (b.x0..b.x1).map(move |x| (x, y)))
                .map(|(x, y)| page.get_pixel_checked(x as u32, y as u32).map_or(255, |p| p.0[0]))
                .collect();
            (b, px)
        })
        .collect();
    for (horizontal, fixed, from, to) in runs {
        for t in from..to {
            let (x, y) = if horizontal { (t, fixed) } else { (fixed, t) };
            if let Some(m) = rule.get_mut(idx(x, y)) {
                *m = true;
            }
        }
    }
    for (i, px) in page.pixels_mut().enumerate() {
        if rule.get(i).copied().unwrap_or(false) {
            px.0[0] = 255;
        }
    }
    for (bar, px) in originals {
        let shade = bar_shade(&px);
        let light_text = px
            .iter()
            .filter(|p| u32::from(**p) > u32::from(shade) + 40)
            .count()
            > px.iter()
                .filter(|p| u32::from(**p) + 40 < u32::from(shade))
                .count();
        let coords = (bar.y0..=bar.y1).flat_map(|y| (bar.x0..bar.x1).map(move |x| (x, y)));
        for ((x, y), p) in coords.zip(px) {
            let v = if light_text {
                // White letters on a dark bar: the bar becomes paper, the letters ink.
                let above = u32::from(p.saturating_sub(shade));
                255 - (above * 255 / u32::from(255 - shade).max(1)).min(255)
            } else {
                // Dark letters on a grey bar: the bar becomes paper.
                (u32::from(p) * 255 / u32::from(shade).max(1)).min(255)
            };
            if let Some(q) = page.get_pixel_mut_checked(x as u32, y as u32) {
                q.0[0] = v as u8;
            }
        }
    }
    page
}

/// A filled band across the page (a section heading printed white on black, or dark on grey):
/// rows `y0..=y1`, columns `x0..x1`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bar {
    y0: i64,
    y1: i64,
    x0: i64,
    x1: i64,
}

/// Bands of horizontal runs stacked at least [`BAR_MIN`] of the page width high (a rule is a
/// few pixels, a heading bar as high as its letters and more) and at most [`BAR_MAX`]: whitened
/// as rules they would take their heading with them (the referrer block's heading lost, its
/// name and phone read as the member's), so they are turned into dark-on-white text instead.
fn bars(runs: &[(bool, i64, i64, i64)], w: u32) -> Vec<Bar> {
    let (min_h, max_h) = (i64::from(w / BAR_MIN).max(10), i64::from(w / BAR_MAX).max(20));
    let mut open: Vec<Bar> = Vec::new();
    let mut done: Vec<Bar> = Vec::new();
    let mut row = i64::MIN;
    for &(_, y, from, to) in runs.iter().filter(|r| r.0) {
        if y != row {
            // Bands not continued on the row before this one are finished.
            let (keep, ended): (Vec<Bar>, Vec<Bar>) = open.into_iter().partition(|b| b.y1 + 1 >= y);
            open = keep;
            done.extend(ended);
            row = y;
        }
        match open
            .iter_mut()
            .find(|b| b.y1 + 1 >= y && from < b.x1 && to > b.x0)
        {
            Some(b) => {
                b.y1 = y;
                b.x0 = b.x0.min(from);
                b.x1 = b.x1.max(to);
            }
            None => open.push(Bar {
                y0: y,
                y1: y,
                x0: from,
                x1: to,
            }),
        }
    }
    done.extend(open);
    // A heading bar spans a column of the form, inside the page: the dark surround of a phone
    // photo reaches the page's edge, and a band of it must not be turned into ink.
    let (wi, margin) = (i64::from(w), i64::from(w / 100));
    done.retain(|b| {
        (min_h..=max_h).contains(&(b.y1 - b.y0 + 1))
            && b.x1 - b.x0 >= wi / BAR_MIN_WIDTH
            && b.x0 > margin
            && b.x1 < wi - margin
    });
    // A run reaches a few pixels past the bar's edges (and its edges are soft): those stay
    // whitened with the rules, or they would turn into a frame around the heading that the
    // engine takes for a picture.
    const EDGE: i64 = 4;
    done.iter()
        .map(|b| Bar {
            y0: b.y0 + EDGE,
            y1: b.y1 - EDGE,
            x0: b.x0 + EDGE,
            x1: b.x1 - EDGE,
        })
        .collect()
}

/// Bars are at least this fraction of the page width high (20 px on a 2,000 px page)...
const BAR_MIN: u32 = 100;
/// ... and at most this fraction (a heading, not a photo's dark surround).
const BAR_MAX: u32 = 25;
/// A bar is at least this fraction of the page width long (a heading over a column or more).
const BAR_MIN_WIDTH: i64 = 8;

/// The bar's own shade: the median of its pixels (its letters are fewer than its ground).
fn bar_shade(px: &[u8]) -> u8 {
    let mut hist = [0usize; 256];
    for p in px {
        if let Some(c) = hist.get_mut(usize::from(*p)) {
            *c += 1;
        }
    }
    let mut seen = 0;
    for (v, c) in hist.iter().enumerate() {
        seen += c;
        if seen * 2 >= px.len() {
            return v as u8;
        }
    }
    255
}

/// Divides each pixel by the local paper brightness (the page shrunk 32 times, which loses the
/// text and keeps the light), so a shadow across a photo does not turn into black blocks when
/// the engine binarises the page.
fn flatten_light(page: GrayImage) -> GrayImage {
    let (w, h) = page.dimensions();
    let (sw, sh) = ((w / 32).max(1), (h / 32).max(1));
    // The brightest pixels of each block are the paper: dilate before shrinking by taking a max
    // filter through a small shrink first.
    let small = imageops::resize(&page, sw * 4, sh * 4, FilterType::Nearest);
    let mut bg_small = GrayImage::new(sw, sh);
    for (x, y, px) in bg_small.enumerate_pixels_mut() {
        let mut m = 0u8;
        for dy in 0..4 {
            for dx in 0..4 {
                if let Some(p) = small.get_pixel_checked(x * 4 + dx, y * 4 + dy) {
                    m = m.max(p.0[0]);
                }
            }
        }
        *px = Luma([m]);
    }
    let bg_small = imageops::blur(&bg_small, 1.5);
    // The paper's brightness: the light most of the page shows. Where the light is far below
    // it, there is no paper — the table or the floor around a photographed page, whose texture
    // would otherwise be stretched into specks the engine reads as letters.
    let mut lights: Vec<u8> = bg_small.pixels().map(|p| p.0[0]).collect();
    lights.sort_unstable();
    let paper = lights.get(lights.len() * 3 / 4).copied().unwrap_or(255);
    let bg = imageops::resize(&bg_small, w, h, FilterType::Triangle);
    let mut out = page;
    for (px, b) in out.pixels_mut().zip(bg.pixels()) {
        let b = b.0[0];
        px.0[0] = if u32::from(b) * 2 < u32::from(paper) {
            255
        } else {
            ((u32::from(px.0[0]) * 255) / u32::from(b).max(40)).min(255) as u8
        };
    }
    out
}

/// Whether a decoded page is almost entirely one shade (a blank or a black page): nothing to
/// read, and a waste of the engine's time.
pub fn blank(page: &GrayImage) -> bool {
    let total = page.pixels().len().max(1);
    let ink = page.pixels().filter(|p| p.0[0] < 128).count();
    ink * 1000 < total || ink * 100 > total * 95
}

/// Rotates a page half a turn (a page fed upside down).
pub fn turn(page: &GrayImage) -> GrayImage {
    imageops::rotate180(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_png_header_is_refused_before_decoding() {
        let png = crate::extract::ocr::tests::png_header(100_000, 100_000);
        let e = decode_single(&png, ImageFormat::Png).expect_err("refused");
        assert!(e.to_string().contains("100000 x 100000"), "{e}");
    }

    #[test]
    fn a_heading_printed_white_on_a_black_bar_is_kept_as_dark_letters() {
        // A 2,000 px page: a thin rule, and a black bar 40 px high across half the page with a
        // white "letter" (a 12 × 24 block) inside it.
        let mut page = GrayImage::from_pixel(2000, 600, Luma([255]));
        for x in 200..1800 {
            page.put_pixel(x, 100, Luma([0]));
            page.put_pixel(x, 101, Luma([0]));
        }
        for y in 300..340 {
            for x in 200..1200 {
                page.put_pixel(x, y, Luma([20]));
            }
        }
        for y in 308..332 {
            for x in 300..312 {
                page.put_pixel(x, y, Luma([250]));
            }
        }
        let out = remove_rules(page);
        let at = |x, y| out.get_pixel(x, y).0[0];
        assert_eq!(at(1000, 100), 255, "a rule is whitened");
        assert!(at(600, 320) > 200, "the bar becomes paper: {}", at(600, 320));
        assert!(at(306, 320) < 60, "its letter becomes ink: {}", at(306, 320));
    }

    #[test]
    fn a_photo_s_dark_surround_is_not_taken_for_a_bar() {
        let runs = vec![(true, 10, 0, 300), (true, 11, 0, 300)];
        let many: Vec<_> = (0..40).map(|y| (true, 10 + y, 0, 400)).collect();
        assert!(bars(&runs, 2000).is_empty(), "a rule");
        assert!(bars(&many, 2000).is_empty(), "touches the page's edge");
        let inside: Vec<_> = (0..40).map(|y| (true, 10 + y, 100, 900)).collect();
        assert_eq!(bars(&inside, 2000).len(), 1);
    }

    /// A photographed page on a dark, textured table: the table is blanked (its texture would
    /// be stretched into specks the engine reads), the page's letters kept.
    #[test]
    fn the_table_around_a_photographed_page_is_blanked_and_its_letters_kept() {
        let mut page = GrayImage::from_fn(1600, 2000, |x, y| {
            let on_paper = (200..1400).contains(&x) && (200..1800).contains(&y);
            if on_paper {
                Luma([225])
            } else {
                // A grainy dark surface.
                Luma([50 + ((x * 7 + y * 13) % 40) as u8])
            }
        });
        for y in 500..530 {
            for x in 400..460 {
                page.put_pixel(x, y, Luma([40]));
            }
        }
        let out = flatten_light(page);
        let at = |x, y| out.get_pixel(x, y).0[0];
        assert_eq!(at(50, 50), 255, "the table is blank");
        assert_eq!(at(1550, 1000), 255, "the table is blank");
        assert!(at(800, 1000) > 240, "the paper is white: {}", at(800, 1000));
        assert!(at(430, 515) < 90, "a letter stays ink: {}", at(430, 515));
    }

    /// A word whose blurred letters run together (a photo, upscaled) is no rule: only a run
    /// longer than a twelfth of the page is whitened.
    #[test]
    fn a_word_whose_letters_run_together_is_not_taken_for_a_rule() {
        let mut page = GrayImage::from_pixel(2000, 1000, Luma([255]));
        // "Homelessness" blurred into one dark band, 150 px long.
        for y in 300..330 {
            for x in 300..450 {
                page.put_pixel(x, y, Luma([150]));
            }
        }
        // A box edge.
        for y in 600..603 {
            for x in 200..1200 {
                page.put_pixel(x, y, Luma([40]));
            }
        }
        let out = remove_rules(page);
        assert_eq!(out.get_pixel(700, 601).0[0], 255, "the rule is whitened");
        assert_eq!(out.get_pixel(375, 315).0[0], 150, "the word stays");
    }

    #[test]
    fn a_fax_strip_is_wrapped_in_a_tiff_the_decoder_takes() {
        // An all-white G4 row run: the decoder must at least parse the header we write.
        let t = fax_as_tiff(&[0x00], -1, 16, 1);
        assert!(t.starts_with(b"II*\0"));
        let mut dec = tiff::decoder::Decoder::new(Cursor::new(&t)).expect("header");
        assert_eq!(dec.dimensions().expect("dims"), (16, 1));
    }
}
