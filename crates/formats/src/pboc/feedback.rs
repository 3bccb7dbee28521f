//! Feedback: for every rejected record, its sequence number, each error's six-character code,
//! element and message (at most [`MESSAGE_CHARS_MAX`] characters), and the original record —
//! as a PBOC-style feedback file (the upload's name with feedback flag 1, an `A050` header
//! whose count is the number of feedback records, one `<Document>` per rejected record).

use super::codes::{RecordType, feedback_code};
use super::file::Header;
use super::write::WriteError;
use super::xml::{ROOT, close_tag, leaf, open_tag};
use super::{MESSAGE_CHARS_MAX, file::FileName};
use ob_model::FieldError;
use std::io::Write;
use time::PrimitiveDateTime;

/// One error of a rejected record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackError {
    /// Six-character code (`ABE108`, `BLR101`…; the bureau's own codes mapped by
    /// [`feedback_code`]).
    pub code: &'static str,
    /// The element concerned (`AcctBsSgmt.RptDate`), empty for the whole record.
    pub field: String,
    /// At most [`MESSAGE_CHARS_MAX`] characters.
    pub message: String,
}

/// A rejected record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackRecord {
    /// The record's 1-based sequence number in the uploaded file.
    pub seq: u64,
    /// Every error found in it.
    pub errors: Vec<FeedbackError>,
    /// The record as sent (invalid UTF-8 and characters XML cannot hold become U+FFFD).
    pub original: String,
}

impl FeedbackError {
    /// The feedback form of an OpenBureau error.
    pub fn of(e: &FieldError) -> FeedbackError {
        let message = e.message.chars().take(MESSAGE_CHARS_MAX).collect();
        FeedbackError { code: feedback_code(e.code), field: e.field.clone(), message }
    }
}

impl FeedbackRecord {
    /// The feedback for a record rejected with `errors`.
    pub fn new(seq: u64, errors: &[FieldError], raw: &[u8]) -> FeedbackRecord {
        let original = String::from_utf8_lossy(raw)
            .chars()
            .map(|c| if c.is_control() && c != '\t' { char::REPLACEMENT_CHARACTER } else { c })
            .collect();
        FeedbackRecord { seq, errors: errors.iter().map(FeedbackError::of).collect(), original }
    }

    /// The record as its `<Document>` line (without a line break).
    pub fn to_xml(&self, out: &mut String) {
        open_tag(out, ROOT);
        leaf(out, "SeqNo", &self.seq.to_string());
        for e in &self.errors {
            open_tag(out, "ErrInfo");
            leaf(out, "ErrCode", e.code);
            if !e.field.is_empty() {
                leaf(out, "ErrField", &e.field);
            }
            leaf(out, "ErrMsg", &e.message);
            close_tag(out, "ErrInfo");
        }
        leaf(out, "OrigRec", &self.original);
        close_tag(out, ROOT);
    }
}

/// Writes a feedback file: the header (count stated first), then each rejected record.
pub struct FeedbackWriter<W: Write> {
    out: W,
    announced: u64,
    written: u64,
    line: String,
}

impl<W: Write> FeedbackWriter<W> {
    /// Starts the feedback file for uploads of `record_type` from `institution`, announcing
    /// `count` feedback records.
    pub fn new(
        mut out: W,
        record_type: RecordType,
        institution: &str,
        created: PrimitiveDateTime,
        count: u64,
    ) -> Result<FeedbackWriter<W>, WriteError> {
        let header = Header { record_type, institution: institution.to_owned(), created, count };
        let line = header.line().map_err(WriteError::Header)?;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(FeedbackWriter { out, announced: count, written: 0, line: String::with_capacity(2048) })
    }

    /// Appends one rejected record.
    pub fn write(&mut self, record: &FeedbackRecord) -> Result<(), WriteError> {
        self.line.clear();
        record.to_xml(&mut self.line);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.written += 1;
        Ok(())
    }

    /// Checks the count, flushes and returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if self.written != self.announced {
            return Err(WriteError::Count { announced: self.announced, written: self.written });
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The feedback file for an upload: its name (the upload's, feedback flag 1) and its bytes.
pub fn feedback_file(
    upload: &FileName,
    created: PrimitiveDateTime,
    records: &[FeedbackRecord],
) -> Result<(FileName, Vec<u8>), WriteError> {
    let count = records.len() as u64;
    let mut w = FeedbackWriter::new(Vec::new(), upload.record_type, &upload.institution, created, count)?;
    for r in records {
        w.write(r)?;
    }
    Ok((upload.feedback(), w.finish()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::Code;

    #[test]
    fn messages_are_cut_to_100_characters_and_codes_are_six() {
        let long = "错".repeat(150);
        let errors = [FieldError::new(Code::NoConsent, "x", long), FieldError::new(Code::Format("BLR101"), "", "m")];
        let f = FeedbackRecord::new(7, &errors, b"<Document>\x01\xff</Document>");
        assert_eq!(f.errors[0].message.chars().count(), MESSAGE_CHARS_MAX);
        assert_eq!((f.errors[0].code, f.errors[1].code), ("OBB003", "BLR101"));
        assert_eq!(f.original, "<Document>\u{FFFD}\u{FFFD}</Document>");
        let mut xml = String::new();
        f.to_xml(&mut xml);
        assert!(super::super::xml::parse(xml.as_bytes()).is_ok(), "{xml}");
    }
}
