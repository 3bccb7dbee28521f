//! The writer: header, data records and a generated trailer, in any format and blocking.

use super::reader::{RecordRef, Span, Tail};
use super::totals::Totals;
use super::{Blocking, DataRecord, Format, HeaderRecord, LineBreak, RECORD_BYTES_MAX, Segment, TrailerRecord, layout};
use std::io::{self, Write};

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// A value does not fit its field (too long, negative, a character outside Latin-1…).
    #[error("{segment}.{field}: {reason}")]
    Field {
        /// The segment.
        segment: Segment,
        /// The field's JSON key.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// How to write a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// The encoding. Packed files are written in true packed decimal unless
    /// [`Format::PackedBinary`] is asked for.
    pub format: Format,
    /// [`Blocking::Variable`] puts each record in its own block behind a BDW (RDW + 4).
    pub blocking: Blocking,
    /// The line break written after each record.
    pub line_break: LineBreak,
}

impl Default for WriterOptions {
    /// Character, fixed (no BDW), one record per line (LF).
    fn default() -> Self {
        WriterOptions { format: Format::Character, blocking: Blocking::Fixed, line_break: LineBreak::Lf }
    }
}

/// Writes a Metro 2 file record by record; [`Writer::finish`] appends the trailer it computed.
pub struct Writer<W: Write> {
    out: W,
    options: WriterOptions,
    totals: Totals,
    blocks: u64,
    buf: Vec<u8>,
    spans: Vec<Span>,
    /// The trailer of a variable file goes in no block (moov-io's form).
    trailer_unblocked: bool,
}

impl<W: Write> Writer<W> {
    /// Starts a file with its header record.
    pub fn new(out: W, options: WriterOptions, header: &HeaderRecord) -> Result<Writer<W>, WriteError> {
        let mut w = Writer {
            out,
            options,
            totals: Totals::default(),
            blocks: 0,
            buf: Vec::with_capacity(2048),
            spans: Vec::new(),
            trailer_unblocked: false,
        };
        w.buf.clear();
        header.write(options.format, &mut w.buf)?;
        w.emit(true)?;
        Ok(w)
    }

    /// Appends one data record.
    pub fn write(&mut self, record: &DataRecord) -> Result<(), WriteError> {
        self.buf.clear();
        record.write(self.options.format, &mut self.buf)?;
        if self.buf.len() > RECORD_BYTES_MAX {
            let reason = "the record is longer than the longest record allowed";
            return Err(WriteError::Field { segment: Segment::Base, field: "recordDescriptorWord", reason });
        }
        self.count();
        self.emit(true)
    }

    /// Writes the trailer of a variable file in no block, as moov-io/metro2 does (its block
    /// count then leaves it out); the form we write by default blocks it like every record.
    pub fn unblock_trailer(&mut self) {
        self.trailer_unblocked = true;
    }

    /// Data records written so far.
    pub fn records(&self) -> u64 {
        self.totals.counts[layout::total::BASE_RECORDS]
    }

    /// The trailer the records written so far call for.
    pub fn trailer(&self) -> TrailerRecord {
        let mut counts = self.totals.counts;
        if self.options.blocking == Blocking::Variable {
            counts[layout::total::BLOCKS] = self.blocks + u64::from(!self.trailer_unblocked);
        }
        TrailerRecord::from_totals(counts)
    }

    /// Writes the computed trailer, flushes, and returns the output and the trailer.
    pub fn finish(self) -> Result<(W, TrailerRecord), WriteError> {
        let trailer = self.trailer();
        let out = self.finish_with(&trailer)?;
        Ok((out, trailer))
    }

    /// Writes the given trailer instead of the computed one (to keep a file's own totals).
    pub fn finish_with(mut self, trailer: &TrailerRecord) -> Result<W, WriteError> {
        self.buf.clear();
        trailer.write(self.options.format, &mut self.buf)?;
        self.emit(!self.trailer_unblocked)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Adds the record in `buf` to the totals, reading it back as the validator would.
    fn count(&mut self) {
        self.spans.clear();
        let mut at = self.options.format.record_bytes();
        while let Some(segment) = self.buf.get(at..at + 2).and_then(Segment::from_identifier) {
            self.spans.push(Span { segment, at });
            at += segment.appended_bytes().unwrap_or(usize::MAX / 2);
        }
        let rec = RecordRef {
            bytes: &self.buf,
            number: 0,
            offset: 0,
            format: self.options.format,
            spans: &self.spans,
            tail: Tail::Clean,
            bdw: None,
        };
        self.totals.add(&rec);
    }

    /// Writes `buf` as one record: BDW if variable (and `blocked`), the record, the line break.
    fn emit(&mut self, blocked: bool) -> Result<(), WriteError> {
        if self.options.blocking == Blocking::Variable && blocked {
            let mut bdw = [0u8; 4];
            let len = self.buf.len() + 4;
            let ok = if self.options.format.is_packed() {
                super::decode::put_big_endian(&mut bdw[..2], len as u64)
            } else {
                super::decode::put_digits(&mut bdw, len as u64)
            };
            if !ok {
                let reason = "the block is too long for its descriptor word";
                return Err(WriteError::Field { segment: Segment::File, field: "blockDescriptorWord", reason });
            }
            self.out.write_all(&bdw)?;
            self.blocks += 1;
        }
        self.out.write_all(&self.buf)?;
        self.out.write_all(self.options.line_break.bytes())?;
        Ok(())
    }
}
