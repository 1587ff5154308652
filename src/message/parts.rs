//! Walks a parsed MIME tree: collects attachments and the readable body text.
//!
//! mail-parser gives an RFC 8621 view (text bodies, HTML bodies, "attachments" = everything
//! else). We walk the part tree ourselves because our rules differ (SPEC §4, LESSONS 23–27):
//! - any part with file content counts, whatever its disposition or MIME type (inline PDFs,
//!   `application/octet-stream`, `winmail.dat`); the pipeline sniffs magic bytes later;
//! - CSV sent as a `text/*` part is an attachment, not body text;
//! - images inside `multipart/related` without `Content-Disposition: attachment` are pictures
//!   shown in the HTML body (signature logos), not attachments;
//! - `message/rfc822` parts are recursed into (attachments marked `nested`), re-parsing ourselves
//!   when mail-parser left a deeply encoded one as raw bytes; depth is bounded by
//!   [`Limits::max_depth`];
//! - total attachment bytes are capped; parts over the cap are counted in `skipped_parts`.

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

use std::collections::BTreeMap;

use super::html::html_to_text;
use super::{Attachment, Skipped};
use crate::limits::Limits;

/// Below this many non-blank characters the outer body is "short" (a bare "FYI" plus a
/// signature or disclaimer), so a forwarded message's body is appended to keep a referral typed
/// into the forwarded mail readable.
const SHORT_BODY_CHARS: usize = 1000;

/// Accumulates attachments across a message and its nested messages.
pub(super) struct Collector<'l> {
    limits: &'l Limits,
    /// Total attachment bytes allowed for the whole message.
    cap: usize,
    total: usize,
    pub attachments: Vec<Attachment>,
    pub skipped: BTreeMap<Skipped, usize>,
    /// The HTML alternatives of text bodies, as text: a sender whose plain part says only "best
    /// viewed in HTML" typed the referral into the HTML one.
    pub html_alternatives: Vec<String>,
}

impl<'l> Collector<'l> {
    pub fn new(limits: &'l Limits) -> Self {
        Collector {
            limits,
            cap: limits.max_bytes.saturating_mul(4),
            total: 0,
            attachments: Vec::new(),
            skipped: BTreeMap::new(),
            html_alternatives: Vec::new(),
        }
    }

    fn skip(&mut self, why: Skipped) {
        *self.skipped.entry(why).or_insert(0) += 1;
    }

    /// Walks one message (the top level at `depth` 0) and returns its body text, with the
    /// bodies of forwarded messages appended when its own is short.
    pub fn message(&mut self, msg: &Message<'_>, depth: usize) -> String {
        let mut walk = Walk {
            msg,
            depth,
            body: Vec::new(),
            nested_bodies: Vec::new(),
        };
        if !msg.parts.is_empty() {
            self.part(&mut walk, 0, false, 0);
        }
        let mut body = walk.body.join("\n").trim_end().to_string();
        for nested in walk.nested_bodies {
            let own_chars = body.chars().filter(|c| !c.is_whitespace()).count();
            if nested.trim().is_empty() || own_chars >= SHORT_BODY_CHARS {
                continue;
            }
            if !body.trim().is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(nested.trim_end());
        }
        body
    }

    /// Handles part `id` of the current message; `level` is its multipart nesting, bounded by
    /// `max_depth` because the walk recurses and a crafted message can nest thousands deep.
    fn part(&mut self, walk: &mut Walk<'_, '_>, id: usize, in_related: bool, level: usize) {
        let Some(part) = walk.msg.parts.get(id) else {
            return;
        };
        if self.limits.check_time().is_err() {
            self.skip(Skipped::OutOfTime);
            return;
        }
        match &part.body {
            PartType::Multipart(_) if level >= self.limits.max_depth => self.skip(Skipped::TooDeep),
            PartType::Multipart(children) => {
                let related = is_type(part, "multipart", Some("related"));
                for &child in children {
                    let child = child as usize;
                    // Children always come after their parent in mail-parser's part list; the
                    // check makes a malformed tree unable to loop.
                    if child > id {
                        self.part(walk, child, in_related || related, level + 1);
                    }
                }
            }
            PartType::Message(inner) if has_headers(inner) => self.nested(walk, inner),
            PartType::Message(_) => self.not_a_message(walk, part, part.contents()),
            PartType::Text(text) | PartType::Html(text) => {
                let is_html = matches!(part.body, PartType::Html(_));
                if is_message_type(part) {
                    self.reparse_nested(walk, part, text.as_bytes());
                } else if is_csv(part) {
                    // Without a declared charset mail-parser reads the bytes as UTF-8, turning
                    // Excel's Windows-1252 "CSV" into U+FFFD; the CSV reader sniffs the encoding
                    // itself, so it gets the bytes as sent.
                    let bytes = match declared_charset(part) {
                        Some(_) => None,
                        None => sent_bytes(walk.msg, part),
                    };
                    self.attach(
                        part,
                        bytes.unwrap_or_else(|| text.as_bytes().to_vec()),
                        walk.depth > 0,
                    );
                } else if walk.msg.text_body.contains(&(id as u32)) {
                    walk.body.push(if is_html {
                        html_to_text(text)
                    } else {
                        text.to_string()
                    });
                } else if walk.msg.html_body.contains(&(id as u32)) {
                    // The HTML alternative of a text body we already have: kept apart, read only
                    // when the text body gives nothing.
                    if is_html {
                        self.html_alternatives.push(html_to_text(text));
                    }
                } else if walk.msg.attachments.contains(&(id as u32)) && !text.trim().is_empty() {
                    // A named or `attachment`-disposition text file (notes.txt, an .ics, ...).
                    self.attach(part, text.as_bytes().to_vec(), walk.depth > 0);
                }
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                if is_message_type(part) {
                    self.reparse_nested(walk, part, bytes);
                } else if in_related && is_type(part, "image", None) && !has_attachment_disposition(part) {
                    // A picture the HTML body shows (logo, signature), referenced by Content-ID.
                } else {
                    self.attach(part, bytes.to_vec(), walk.depth > 0);
                }
            }
        }
    }

    /// Recurses into a forwarded message, within the depth limit.
    fn nested(&mut self, walk: &mut Walk<'_, '_>, inner: &Message<'_>) {
        if walk.depth + 1 > self.limits.max_depth {
            self.skip(Skipped::TooDeep);
            return;
        }
        let body = self.message(inner, walk.depth + 1);
        walk.nested_bodies.push(body);
    }

    /// A `message/rfc822` part mail-parser did not parse (it follows encoded nested messages
    /// only three levels deep): parse its bytes ourselves, once. If that fails too, keep the
    /// bytes as an attachment so nothing is silently lost.
    fn reparse_nested(&mut self, walk: &mut Walk<'_, '_>, part: &MessagePart<'_>, bytes: &[u8]) {
        if walk.depth + 1 > self.limits.max_depth || too_deep(bytes) {
            self.skip(Skipped::TooDeep);
            return;
        }
        match MessageParser::default().parse(bytes) {
            Some(inner) if has_headers(&inner) => self.nested(walk, &inner),
            _ => self.not_a_message(walk, part, bytes),
        }
    }

    /// A `message/rfc822` part whose content is not a message: kept as a file unless blank.
    fn not_a_message(&mut self, walk: &Walk<'_, '_>, part: &MessagePart<'_>, bytes: &[u8]) {
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            self.attach(part, bytes.to_vec(), walk.depth > 0);
        }
    }

    fn attach(&mut self, part: &MessagePart<'_>, bytes: Vec<u8>, nested: bool) {
        if self.total.saturating_add(bytes.len()) > self.cap {
            self.skip(Skipped::TotalSize);
            return;
        }
        self.total += bytes.len();
        self.attachments.push(Attachment {
            filename: filename(part),
            content_type: content_type(part),
            bytes,
            nested,
            encoding_problem: part.is_encoding_problem,
        });
    }
}

/// Per-message walk state.
struct Walk<'m, 'x> {
    msg: &'m Message<'x>,
    depth: usize,
    body: Vec<String>,
    nested_bodies: Vec<String>,
}

/// Most `message/*` and `multipart/digest` markers we let mail-parser see in one buffer.
/// mail-parser nests each such part as a `Message` inside its parent and drops that structure
/// recursively, so a few tens of thousands of levels overflow the stack and abort the process
/// (no `catch_unwind` helps). Each level needs its own marker in the raw text (encoded levels
/// are only followed three deep, and we re-parse those through this check), so counting markers
/// bounds the depth. Real mail has a handful.
const MAX_NESTING_MARKERS: usize = 1000;

/// Whether `raw` has too many nesting markers to hand to mail-parser safely.
pub(super) fn too_deep(raw: &[u8]) -> bool {
    let mut count = 0;
    for (i, &b) in raw.iter().enumerate() {
        // "me…" or "mu…" only (base64 is full of m's).
        if b != b'm' && b != b'M' || !matches!(raw.get(i + 1), Some(b'e' | b'E' | b'u' | b'U')) {
            continue;
        }
        let at = |needle: &[u8]| {
            raw.get(i..i + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        };
        if at(b"message/") || at(b"multipart/digest") {
            count += 1;
            if count > MAX_NESTING_MARKERS {
                return true;
            }
        }
    }
    false
}

/// Whether a parsed message has at least one plausible header field. mail-parser accepts any
/// line up to a colon (or the end) as a header name, so plain text or binary junk "parses";
/// real field names are printable ASCII without spaces (RFC 5322 §2.2).
pub(super) fn has_headers(msg: &Message<'_>) -> bool {
    msg.parts.first().is_some_and(|root| {
        root.headers.iter().any(|h| {
            let name = h.name.as_str();
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        })
    })
}

fn is_type(part: &MessagePart<'_>, ctype: &str, subtype: Option<&str>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case(ctype)
            && subtype.is_none_or(|want| ct.subtype().is_some_and(|st| st.eq_ignore_ascii_case(want)))
    })
}

fn is_message_type(part: &MessagePart<'_>) -> bool {
    is_type(part, "message", Some("rfc822")) || is_type(part, "message", Some("global"))
}

fn has_attachment_disposition(part: &MessagePart<'_>) -> bool {
    part.content_disposition().is_some_and(|cd| cd.is_attachment())
}

/// A text part holding a CSV/TSV table: by MIME type or by file name.
fn is_csv(part: &MessagePart<'_>) -> bool {
    let by_type = part.content_type().is_some_and(|ct| {
        ct.subtype().is_some_and(|st| {
            let st = st.to_ascii_lowercase();
            st == "csv" || st == "comma-separated-values" || st == "tab-separated-values"
        })
    });
    let by_name = filename(part).is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.ends_with(".csv") || n.ends_with(".tsv") || n.ends_with(".tab")
    });
    by_type || by_name
}

/// The `charset` parameter of a part's `Content-Type`, when it has one.
fn declared_charset(part: &MessagePart<'_>) -> Option<String> {
    part.content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.to_ascii_lowercase())
}

/// A part's body as sent, with only its transfer encoding undone (base64, quoted-printable).
fn sent_bytes(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let raw = msg
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(raw),
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(raw)
        }
        mail_parser::Encoding::None => Some(raw.to_vec()),
    }
}

/// `type/subtype`, lowercased; what an unlabelled part defaults to otherwise.
fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(st) => format!("{}/{}", ct.ctype(), st).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None if matches!(part.body, PartType::Text(_)) => "text/plain".to_string(),
        None => "application/octet-stream".to_string(),
    }
}

/// The file name from `Content-Disposition: filename` or, failing that, `Content-Type: name`.
/// mail-parser decodes RFC 2231 (charset, continuations) and RFC 2047 words in parameters; we
/// decode once more if an encoded word survived (some clients quote it oddly), and drop any
/// directory part a client leaked (`C:\fakepath\form.pdf`).
pub(super) fn filename(part: &MessagePart<'_>) -> Option<String> {
    let raw = part.attachment_name()?;
    let decoded = if raw.contains("=?") && raw.contains("?=") {
        decode_encoded_words(raw)
    } else {
        raw.to_string()
    };
    let base = decoded.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    (!base.is_empty()).then(|| base.to_string())
}

/// Decodes RFC 2047 encoded words with mail-parser's unstructured-header decoder.
fn decode_encoded_words(s: &str) -> String {
    let line = format!("{s}\r\n");
    match mail_parser::parsers::MessageStream::new(line.as_bytes()).parse_unstructured() {
        mail_parser::HeaderValue::Text(t) => t.into_owned(),
        _ => s.to_string(),
    }
}
