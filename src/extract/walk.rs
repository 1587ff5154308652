//! The files an email carries, as every reader of a message sees them: the daemon's decision,
//! `replay`, `explain` and `extract FILE.eml` all walk attachments here, so they cannot drift.
//!
//! An attachment whose transfer encoding does not decode is a failure; a stray text part (a
//! signature, a note) that is no form is skipped; Outlook's `winmail.dat` (TNEF) stands for the
//! files inside it.

use std::borrow::Cow;

use super::{ExtractError, FileType, sniff, tnef};
use crate::message::Email;

/// One file to read, or why one could not be.
pub enum Carried<'a> {
    File {
        /// Its name for people: the attachment's file name (`winmail.dat/form.pdf` inside TNEF).
        name: Option<String>,
        bytes: Cow<'a, [u8]>,
        kind: FileType,
    },
    Failed(ExtractError),
}

/// Every file `email` carries, in order.
pub fn attachments(email: &Email) -> Vec<Carried<'_>> {
    let mut out = Vec::new();
    for att in &email.attachments {
        if att.encoding_problem {
            out.push(Carried::Failed(ExtractError::Unreadable(
                "damaged or cut-off transfer encoding (base64 or quoted-printable does not decode)".into(),
            )));
            continue;
        }
        let kind = sniff(&att.bytes, att.filename.as_deref(), Some(&att.content_type));
        if matches!(kind, FileType::Other(_)) && att.content_type.starts_with("text/") {
            continue; // a stray text part (a signature, a note) is neither a form nor a problem
        }
        if kind != FileType::Tnef {
            out.push(Carried::File {
                name: att.filename.clone(),
                bytes: Cow::Borrowed(&att.bytes),
                kind,
            });
            continue;
        }
        // Outlook's winmail.dat: each file it carries is read like an attachment of its own.
        match tnef::unpack(&att.bytes) {
            Ok(files) => {
                let outer = att.filename.clone().unwrap_or_else(|| "winmail.dat".into());
                for f in files {
                    let kind = sniff(&f.bytes, f.name.as_deref(), None);
                    if kind != FileType::Other("text") {
                        out.push(Carried::File {
                            name: Some(format!("{outer}/{}", f.name.as_deref().unwrap_or("file"))),
                            bytes: Cow::Owned(f.bytes),
                            kind,
                        });
                    }
                }
            }
            Err(e) => out.push(Carried::Failed(e)),
        }
    }
    out
}
