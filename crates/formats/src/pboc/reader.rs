//! The streaming reader: the header line, then one `<Document>` record per line, each parsed and
//! checked as it is read. Memory is bounded by the longest accepted line ([`LINE_BYTES_MAX`]),
//! whatever the file's size.

use super::LINE_BYTES_MAX;
use super::codes::ErrorCode;
use super::file::Header;
use super::parse::parse_record;
use super::record::PbocRecord;
use crate::lines::{LineRead, read_line};
use ob_model::{FieldError, limits};
use std::io::{self, BufRead};

/// Why reading cannot go on, or what is wrong with the file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The input failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// A problem with the file itself (`OBF…`): header, count, too many records.
    #[error("line {line}: {error}")]
    File {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The problem, with its six-character code.
        error: FieldError,
    },
}

/// One record line, read and checked.
#[derive(Debug)]
pub struct Entry<'a> {
    /// 1-based sequence number of the record in the file (the header not counted): the number
    /// feedback refers to.
    pub seq: u64,
    /// 1-based line number in the file.
    pub line: u64,
    /// The line as sent, without its line break.
    pub raw: &'a [u8],
    /// The record, or every problem found in it.
    pub outcome: Result<PbocRecord, Vec<FieldError>>,
}

/// A streaming reader of a PBOC-style file.
pub struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    line: u64,
    seq: u64,
    bytes_read: u64,
    header: Header,
    /// Set once the count was checked or reading stopped: `next_entry` gives `None` from then on.
    finished: bool,
}

fn file_error(line: u64, code: ErrorCode, message: String) -> ReadError {
    ReadError::File { line, error: FieldError::new(code.code(), "", message) }
}

impl<R: BufRead> Reader<R> {
    /// Reads the header line and returns a reader positioned after it.
    pub fn new(mut input: R) -> Result<Reader<R>, ReadError> {
        let mut buf = Vec::with_capacity(1024);
        let mut bytes_read = 0;
        let header = match read_line(&mut input, &mut buf, &mut bytes_read, LINE_BYTES_MAX)? {
            LineRead::Eof => return Err(file_error(1, ErrorCode::Header, "the file is empty".into())),
            LineRead::TooLong => return Err(file_error(1, ErrorCode::Header, "the first line is not a header".into())),
            LineRead::Line => Header::parse(&buf).map_err(|error| ReadError::File { line: 1, error })?,
        };
        Ok(Reader { input, buf, line: 1, seq: 0, bytes_read, header, finished: false })
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Records read so far.
    pub fn records(&self) -> u64 {
        self.seq
    }

    /// The next record, `None` after the last. Blank lines are skipped. At the end of the file, a
    /// record count other than the header's is reported once as [`ReadError::File`] (`OBF003`);
    /// more records than a file may hold ends reading with `OBF005`.
    pub fn next_entry(&mut self) -> Option<Result<Entry<'_>, ReadError>> {
        if self.finished {
            return None;
        }
        loop {
            let read = match read_line(&mut self.input, &mut self.buf, &mut self.bytes_read, LINE_BYTES_MAX) {
                Ok(r) => r,
                Err(e) => return Some(Err(e.into())),
            };
            self.line += 1;
            let outcome = match read {
                LineRead::Eof => return self.end(),
                LineRead::Line if self.buf.iter().all(u8::is_ascii_whitespace) => continue,
                LineRead::Line => parse_record(&self.buf, self.header.record_type),
                LineRead::TooLong => Err(vec![FieldError::new(
                    ErrorCode::LineTooLong.code(),
                    "",
                    format!("line longer than {LINE_BYTES_MAX} bytes"),
                )]),
            };
            self.seq += 1;
            if self.seq > limits::RECORDS_PER_BATCH_MAX {
                self.finished = true;
                let m = format!("more than {} records in one file", limits::RECORDS_PER_BATCH_MAX);
                return Some(Err(file_error(self.line, ErrorCode::TooManyRecords, m)));
            }
            return Some(Ok(Entry { seq: self.seq, line: self.line, raw: &self.buf, outcome }));
        }
    }

    fn end(&mut self) -> Option<Result<Entry<'_>, ReadError>> {
        if std::mem::replace(&mut self.finished, true) || self.seq == self.header.count {
            return None;
        }
        let m = format!("the header announces {} records, the file holds {}", self.header.count, self.seq);
        Some(Err(file_error(self.line, ErrorCode::Count, m)))
    }
}
