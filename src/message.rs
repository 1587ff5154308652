//! Parsed email: raw RFC 5322 bytes in, one owned [`Email`] out.
//!
//! This stage wraps mail-parser (RFC 5322 / MIME, RFC 2047 and RFC 2231 decoding, charsets) and
//! turns its borrowed RFC 8621 view into the small owned type the rest of the pipeline uses:
//! decoded headers, one readable body text, the attachments (by our rules, see [`parts`]), and
//! the raw facts [`automatic`] needs to recognise auto-replies, bounces and our own mail.
//!
//! Invariants:
//! - Never panics on input: mail-parser runs inside `catch_unwind` as a second line of defence
//!   behind its own fuzzing. [`parse`] fails only when the bytes are not a message at all.
//! - Work and memory are bounded by [`Limits`]: nesting depth by `max_depth`, total attachment
//!   bytes by `4 × max_bytes` (what is dropped is counted in [`Email::skipped_parts`]).
//! - Error texts carry no message content (they end up in logs).

mod auto;
mod dsn;
mod html;
mod parts;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use mail_parser::{Address, HeaderValue, MessageParser};

use crate::limits::Limits;

pub use auto::{
    AutoSignals, Automatic, OWN_STAMP_HEADER, automatic, is_no_reply, mailing_list, secure_portal_notice,
};
pub use dsn::{FailedRecipient, failed_recipients};
pub use html::html_to_text;

/// One parsed message, owned and ready for classification and extraction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Email {
    /// `Message-ID` without the angle brackets.
    pub message_id: Option<String>,
    /// Decoded subject (RFC 2047); empty when missing.
    pub subject: String,
    /// The first `From` mailbox.
    pub from: Option<Mailbox>,
    /// The first `Reply-To` mailbox; acknowledgements go here when present.
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// `Date`, with the sender's offset; `None` when missing or invalid.
    pub date: Option<DateTime<FixedOffset>>,
    /// The first `In-Reply-To` message id, without brackets.
    pub in_reply_to: Option<String>,
    /// `References` message ids, oldest first, without brackets.
    pub references: Vec<String>,
    /// The text body. HTML-only bodies are converted to text ([`html_to_text`]). When the body
    /// is short and the message forwards others as `message/rfc822`, their bodies follow.
    pub body_text: String,
    /// The HTML alternative of the text body, as text (empty when there is none).
    pub body_html_alternative: String,
    /// Every attachment, including those inside forwarded messages.
    pub attachments: Vec<Attachment>,
    /// Parts left out because a limit was reached (total attachment bytes, nesting depth, time).
    pub skipped_parts: usize,
    /// Why parts were left out, with how many for each reason.
    pub skipped: BTreeMap<Skipped, usize>,
    /// Raw header facts used by [`automatic`].
    pub signals: AutoSignals,
}

/// A named address. Display names are decoded; addresses are lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// A file carried by the message. Its type is sniffed from `bytes` later; `filename` and
/// `content_type` are only hints (senders mislabel PDFs as `application/octet-stream`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Decoded file name (RFC 2047/2231), from the disposition or the `name=` type parameter.
    pub filename: Option<String>,
    /// `type/subtype`, lowercased.
    pub content_type: String,
    /// The decoded content (base64 / quoted-printable undone).
    pub bytes: Vec<u8>,
    /// Came from inside a forwarded `message/rfc822` part.
    pub nested: bool,
    /// The transfer encoding (base64, quoted-printable) did not decode: `bytes` are the raw,
    /// still-encoded text, not the file.
    pub encoding_problem: bool,
}

/// Why a part of the message was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Skipped {
    /// Nested deeper than `max_depth` (multiparts or forwarded messages).
    TooDeep,
    /// Over the total attachment bytes allowed for one message (`4 × max_bytes`).
    TotalSize,
    /// The message's processing time ran out while walking its parts.
    OutOfTime,
}

impl Skipped {
    /// A content-free description, shown as the document error detail.
    pub fn describe(self, count: usize, limits: &Limits) -> String {
        match self {
            Skipped::TooDeep => format!(
                "{count} MIME part(s) not read: nested deeper than the {}-level limit",
                limits.max_depth
            ),
            Skipped::TotalSize => format!(
                "{count} attachment(s) not read: over the message's total attachment limit of {} bytes",
                limits.max_bytes.saturating_mul(4)
            ),
            Skipped::OutOfTime => match limits.deadline {
                Some(d) => format!("{count} MIME part(s) not read: {}", d.error()),
                None => format!("{count} MIME part(s) not read: out of time"),
            },
        }
    }
}

/// Why bytes could not be read as a message at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("not an email message (no header fields found)")]
    NoHeaders,
    /// So many nested messages that parsing could exhaust the stack (a MIME bomb).
    #[error("message nests too many forwarded messages to parse safely")]
    TooDeep,
    /// The MIME parser panicked; the raw message should be quarantined for a bug report.
    #[error("MIME parser failed unexpectedly (internal error)")]
    ParserPanic,
    /// The header section is larger than any real mail's (a header bomb).
    #[error("message header section is over the {0} byte limit")]
    HeaderTooLarge(usize),
}

/// Largest header section read. Real headers, long `Received:` chains and DKIM signatures
/// included, stay well under 64 KiB; RFC 5322 lines are at most 998 characters.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

/// The length of the header section: up to the first empty line, or the whole input.
fn header_len(raw: &[u8]) -> usize {
    let limit = raw.len().min(MAX_HEADER_BYTES + 4);
    let head = raw.get(..limit).unwrap_or(raw);
    let crlf = crate::limits::find(head, b"\r\n\r\n");
    let lf = crate::limits::find(head, b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    }
}

/// Parses raw message bytes into an [`Email`]. CPU-bound: async callers run it in
/// `spawn_blocking`.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<Email, ParseError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    catch_unwind(AssertUnwindSafe(|| parse_inner(raw, limits))).unwrap_or(Err(ParseError::ParserPanic))
}

fn parse_inner(raw: &[u8], limits: &Limits) -> Result<Email, ParseError> {
    if header_len(raw) > MAX_HEADER_BYTES {
        return Err(ParseError::HeaderTooLarge(MAX_HEADER_BYTES));
    }
    if parts::too_deep(raw) {
        return Err(ParseError::TooDeep);
    }
    let msg = MessageParser::default().parse(raw).ok_or(ParseError::NoHeaders)?;
    let root = msg.parts.first().ok_or(ParseError::NoHeaders)?;
    if !parts::has_headers(&msg) {
        return Err(ParseError::NoHeaders);
    }
    let signals = AutoSignals::from_headers(&root.headers, &msg.raw_message);

    let mut collector = parts::Collector::new(limits);
    let body_text = collector.message(&msg, 0);

    Ok(Email {
        message_id: msg.message_id().map(clean_id).filter(|s| !s.is_empty()),
        subject: msg.subject().map(|s| s.trim().to_string()).unwrap_or_default(),
        from: msg.from().and_then(|a| mailboxes(a).into_iter().next()),
        reply_to: msg.reply_to().and_then(|a| mailboxes(a).into_iter().next()),
        to: msg.to().map(mailboxes).unwrap_or_default(),
        cc: msg.cc().map(mailboxes).unwrap_or_default(),
        date: msg.date().and_then(to_chrono),
        in_reply_to: ids(msg.in_reply_to()).into_iter().next(),
        references: ids(msg.references()),
        body_text,
        body_html_alternative: collector.html_alternatives.join("\n"),
        attachments: collector.attachments,
        skipped_parts: collector.skipped.values().sum(),
        skipped: collector.skipped,
        signals,
    })
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<String> = match v {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(l) => l.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter(|s| !s.is_empty()).collect()
}

/// Flattens an address list or groups into mailboxes, dropping entries without an address.
fn mailboxes(a: &Address<'_>) -> Vec<Mailbox> {
    a.iter()
        .filter_map(|addr| {
            let address = addr.address()?.trim().to_lowercase();
            if address.is_empty() {
                return None;
            }
            let name = addr
                .name()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            Some(Mailbox { name, address })
        })
        .collect()
}

fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<FixedOffset>> {
    let sign = if d.tz_before_gmt { -1 } else { 1 };
    let offset = FixedOffset::east_opt(sign * (i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60))?;
    let naive = NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?
        .and_hms_opt(u32::from(d.hour), u32::from(d.minute), u32::from(d.second))?;
    offset.from_local_datetime(&naive).single()
}

#[cfg(test)]
mod tests;
