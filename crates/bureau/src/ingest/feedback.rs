//! The feedback file: one JSON line per rejected entry, written as the batch goes, and the bounded
//! copy of it that a batch may keep in the store.

use ob_model::{FieldError, limits};
use serde::Serialize;
use std::io::Write;

/// Media type of the JSON-lines feedback file.
pub const FEEDBACK_MEDIA_TYPE: &str = "application/x-ndjson";

/// Encryption context of kept feedback files.
pub(crate) const FEEDBACK_CONTEXT: &str = "batch_feedback.body";

/// One line of the feedback file: a rejected record.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackLine<'a> {
    /// 1-based line number of the record in the file.
    pub line: u64,
    /// The first error's code.
    pub code: &'static str,
    /// The first error's field.
    pub field: &'a str,
    /// The first error's message.
    pub message: &'a str,
    /// Every error found in the record.
    pub errors: Vec<FeedbackError<'a>>,
    /// The record as sent.
    pub record: std::borrow::Cow<'a, str>,
}

/// One error within a feedback line.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackError<'a> {
    /// Stable code.
    pub code: &'static str,
    /// Field path.
    pub field: &'a str,
    /// Message.
    pub message: &'a str,
}

/// Called with every rejected entry (line, bytes as sent, errors), besides the JSON-lines
/// feedback: a format's own feedback file (e.g. the PBOC-style one) is written from it.
pub type RejectHook<'a> = &'a mut dyn FnMut(u64, &[u8], &[FieldError]);

/// Writes one feedback line.
pub fn write_feedback(out: &mut dyn Write, line: u64, raw: &[u8], errors: &[FieldError]) -> std::io::Result<()> {
    let first = errors.first();
    let fl = FeedbackLine {
        line,
        code: first.map_or("", |e| e.code.as_str()),
        field: first.map_or("", |e| e.field.as_str()),
        message: first.map_or("", |e| e.message.as_str()),
        errors: errors
            .iter()
            .map(|e| FeedbackError { code: e.code.as_str(), field: &e.field, message: &e.message })
            .collect(),
        record: String::from_utf8_lossy(raw),
    };
    serde_json::to_writer(&mut *out, &fl)?;
    out.write_all(b"\n")
}

/// Writes to the feedback output and keeps a bounded copy.
pub(super) struct Keep<'a> {
    out: &'a mut dyn Write,
    kept: Option<Vec<u8>>,
    cut: bool,
}

impl Write for Keep<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        // Once cut, nothing more is kept: a later small write would be a fragment of a line.
        if let Some(kept) = self.kept.as_mut().filter(|_| !self.cut) {
            if kept.len() + n <= limits::FEEDBACK_KEPT_BYTES_MAX {
                kept.extend_from_slice(&buf[..n]);
            } else {
                self.cut = true;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl<'a> Keep<'a> {
    /// Writes to `out`, keeping a copy when `keep`.
    pub(super) fn new(out: &'a mut dyn Write, keep: bool) -> Keep<'a> {
        Keep { out, kept: keep.then(Vec::new), cut: false }
    }

    /// The kept copy, whole lines only, with a last line when it was cut.
    pub(super) fn into_kept(self) -> Option<Vec<u8>> {
        let mut kept = self.kept?;
        if self.cut {
            let whole = kept.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            kept.truncate(whole);
            kept.extend_from_slice(
                b"{\"truncated\":true,\"message\":\"the kept feedback file was cut at its size limit\"}\n",
            );
        }
        Some(kept)
    }
}
