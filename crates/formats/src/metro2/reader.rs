//! The streaming reader: framing (BDW, RDW, line breaks), format detection, segment spans.

use super::decode::{digits, is_blank, packed_decimal};
use super::layout::{BASE_PACKED, F, Kind, TRAILER_PACKED};
use super::validate::Diagnostic;
use super::{Blocking, Code, Format, LineBreak, READ_BUFFER_BYTES, RECORD_BYTES_MAX, Segment};
use std::io::{self, Read};

/// Why reading stopped or a record was skipped. Problems inside a record's fields are not
/// errors of the reader: [`super::validate`] finds them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The underlying reader failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// A record could not be used (too short, a second header); reading goes on after it.
    #[error("{0}")]
    Skipped(Diagnostic),
    /// The file cannot be read further (unknown format, bad RDW or BDW, truncated).
    #[error("{0}")]
    Fatal(Diagnostic),
}

/// Where an appended segment lies within its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub segment: Segment,
    /// Offset from the record's first byte.
    pub at: usize,
}

/// What follows the last recognised segment of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tail {
    /// Nothing: the segments fill the record exactly.
    Clean,
    /// Blanks (or zero bytes) up to the record's end: fixed-length padding.
    Padding,
    /// An unknown segment identifier at this offset.
    Unknown(usize),
    /// A segment cut off by the record's end at this offset.
    Cut(usize, Segment),
}

/// A data record as read: its bytes (from the RDW on) and where its segments are. Borrows the
/// reader's buffer until the next call to [`Reader::next_record`].
#[derive(Clone, Copy, Debug)]
pub struct RecordRef<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) number: u64,
    pub(crate) offset: u64,
    pub(crate) format: Format,
    pub(crate) spans: &'a [Span],
    pub(crate) tail: Tail,
    /// The block descriptor word before the record, when it opens a block.
    pub(crate) bdw: Option<usize>,
}

impl<'a> RecordRef<'a> {
    /// 1-based position of the record in the file, counting the header.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Byte offset of the record's RDW in the file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The record's bytes, from its RDW to its end.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The value of the record's descriptor word as the file has it (its length, from the RDW on).
    pub fn record_descriptor_word(&self) -> usize {
        self.bytes.len()
    }

    /// The value of the block descriptor word before the record, when it opens a block.
    pub fn block_descriptor_word(&self) -> Option<usize> {
        self.bdw
    }

    /// The base segment's bytes (including the RDW).
    pub fn base(&self) -> &'a [u8] {
        self.bytes.get(..self.format.record_bytes()).unwrap_or(self.bytes)
    }

    /// The appended segments in file order, each with its bytes (from its identifier on).
    pub fn segments(&self) -> impl Iterator<Item = (Segment, &'a [u8])> + 'a {
        let bytes = self.bytes;
        self.spans.iter().map(move |s| {
            let len = s.segment.appended_bytes().unwrap_or(0);
            (s.segment, bytes.get(s.at..s.at + len).unwrap_or(&[]))
        })
    }

    /// The record as typed structs, or every problem that prevents it (see [`super::DataRecord::parse`]).
    pub fn parse(&self) -> Result<super::DataRecord, Vec<Diagnostic>> {
        super::DataRecord::parse(self)
    }

    /// Byte offset in the file of a segment that starts `at` bytes into the record.
    pub(crate) fn file_offset(&self, at: usize) -> u64 {
        self.offset + at as u64
    }
}

/// A header or trailer record kept after reading: its bytes, record number and file offset.
#[derive(Clone, Debug)]
pub(crate) struct Kept {
    pub bytes: Vec<u8>,
    pub number: u64,
    pub offset: u64,
    /// The block descriptor word before it, when it opens a block.
    pub bdw: Option<usize>,
}

/// One framed record, not yet consumed: positions relative to the reader's current position.
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// Where the RDW starts (after line breaks and a BDW).
    start: usize,
    /// The record's length from its RDW.
    len: usize,
    /// The block length when this record opens a block.
    bdw: Option<usize>,
}

/// A streaming Metro 2 reader with memory bounded by [`READ_BUFFER_BYTES`].
///
/// [`Reader::new`] reads the header record and detects the format, blocking and packed variant;
/// [`Reader::next_record`] yields data records until the trailer, which [`Reader::trailer`] then
/// holds.
pub struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    buf_offset: u64,
    eof: bool,
    format: Format,
    blocking: Blocking,
    binary_bdw: bool,
    /// Packed decimal or binary is not yet known (every packed field so far read the same both ways).
    variant_open: bool,
    line_break: Option<LineBreak>,
    block_left: usize,
    blocks: u64,
    records: u64,
    header: Option<Kept>,
    trailer: Option<Kept>,
    spans: Vec<Span>,
    done: bool,
}

/// How the first bytes frame a file: packed or not, blocking, and a binary BDW in a character file.
type Framing = (bool, Blocking, bool);

impl<R: Read> Reader<R> {
    /// Detects the format from the first record, keeps the header (when the file has one) and
    /// positions the reader on the first data record.
    pub fn new(input: R) -> Result<Reader<R>, Error> {
        let mut r = Reader {
            input,
            buf: vec![0; READ_BUFFER_BYTES],
            pos: 0,
            end: 0,
            buf_offset: 0,
            eof: false,
            format: Format::Character,
            blocking: Blocking::Fixed,
            binary_bdw: false,
            variant_open: false,
            line_break: None,
            block_left: 0,
            blocks: 0,
            records: 0,
            header: None,
            trailer: None,
            spans: Vec::with_capacity(16),
            done: false,
        };
        r.start()?;
        Ok(r)
    }

    /// The file's format. For packed files, the variant is told by the first record whose packed
    /// fields read differently in the two (a date, or a value that is not valid packed decimal);
    /// until then, and when none does, packed decimal.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the file has block descriptor words.
    pub fn blocking(&self) -> Blocking {
        self.blocking
    }

    /// The line breaks seen between records so far (`None` before the first boundary).
    pub fn line_break(&self) -> Option<LineBreak> {
        self.line_break
    }

    /// The header record's bytes (from its RDW), if the file starts with one.
    pub fn header_bytes(&self) -> Option<&[u8]> {
        self.header.as_ref().map(|h| h.bytes.as_slice())
    }

    /// The header's and the trailer's descriptor words as the file has them: `(RDW, BDW)`, the
    /// BDW `None` when the record opens no block (every fixed file; moov-io's variable trailer).
    pub fn header_descriptors(&self) -> Option<(usize, Option<usize>)> {
        self.header.as_ref().map(|k| (k.bytes.len(), k.bdw))
    }

    /// The trailer's descriptor words, as [`Reader::header_descriptors`].
    pub fn trailer_descriptors(&self) -> Option<(usize, Option<usize>)> {
        self.trailer.as_ref().map(|k| (k.bytes.len(), k.bdw))
    }

    /// The trailer record's bytes, once [`Reader::next_record`] has returned `None` on it.
    pub fn trailer_bytes(&self) -> Option<&[u8]> {
        self.trailer.as_ref().map(|t| t.bytes.as_slice())
    }

    /// The header record, parsed (`None` when the file does not start with one).
    pub fn header(&self) -> Option<Result<super::HeaderRecord, Vec<Diagnostic>>> {
        let h = self.header.as_ref()?;
        Some(super::HeaderRecord::parse(&h.bytes, self.format, h.number, h.offset))
    }

    /// The trailer record, parsed, once [`Reader::next_record`] has returned `None` on it.
    pub fn trailer(&self) -> Option<Result<super::TrailerRecord, Vec<Diagnostic>>> {
        let t = self.trailer.as_ref()?;
        Some(super::TrailerRecord::parse(&t.bytes, self.format, t.number, t.offset))
    }

    pub(crate) fn header_kept(&self) -> Option<&Kept> {
        self.header.as_ref()
    }

    pub(crate) fn trailer_kept(&self) -> Option<&Kept> {
        self.trailer.as_ref()
    }

    /// Blocks (BDWs) read so far.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// Records framed so far, counting the header and the trailer.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// The next data record, `None` after the trailer or at the end of the input.
    pub fn next_record(&mut self) -> Option<Result<RecordRef<'_>, Error>> {
        if self.done {
            return None;
        }
        let frame = match self.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(Error::Fatal(d)) if d.code == Code::RdwInvalid && self.can_resync() => {
                return Some(match self.resync(d.offset) {
                    Ok(()) => Err(Error::Skipped(d)),
                    Err(e) => Err(self.fail(e.into())),
                });
            }
            Err(e) => return Some(Err(self.fail(e))),
        };
        let start = self.pos + frame.start;
        self.settle_variant(start, frame.len);
        self.commit(&frame);
        let offset = self.buf_offset + start as u64;
        let number = self.records;
        let rec = self.buf.get(start..start + frame.len).unwrap_or(&[]);
        if rec.len() < self.format.record_bytes() {
            let d = Diagnostic::file(number, offset, Code::RecordLength, too_short(self.format, rec.len()));
            return Some(Err(Error::Skipped(d)));
        }
        if rec.get(4..10) == Some(b"HEADER") {
            let d = Diagnostic::file(number, offset, Code::RecordUnexpected, "a header record after the first record");
            return Some(Err(Error::Skipped(d)));
        }
        if rec.get(4..11) == Some(b"TRAILER") {
            self.trailer = Some(Kept { bytes: rec.to_vec(), number, offset, bdw: frame.bdw });
            self.done = true;
            return self.after_trailer().map(Err);
        }
        let rec = self.buf.get(start..start + frame.len).unwrap_or(&[]);
        let tail = scan_segments(rec, self.format, &mut self.spans);
        let format = self.format;
        Some(Ok(RecordRef { bytes: rec, number, offset, format, spans: &self.spans, tail, bdw: frame.bdw }))
    }

    /// Marks the reader finished after a fatal error, so every error is reported once.
    fn fail(&mut self, e: Error) -> Error {
        if matches!(e, Error::Fatal(_) | Error::Io(_)) {
            self.done = true;
        }
        e
    }

    /// A bad RDW in a character file with line breaks loses only its line.
    fn can_resync(&self) -> bool {
        self.format == Format::Character && matches!(self.line_break, Some(LineBreak::Lf | LineBreak::CrLf))
    }

    /// Skips to the line after the one starting at file offset `from`, counting it as a record.
    fn resync(&mut self, from: u64) -> io::Result<()> {
        let mut rel = usize::try_from(from.saturating_sub(self.buf_offset)).unwrap_or(0).saturating_sub(self.pos);
        self.records += 1;
        self.block_left = 0;
        loop {
            if let Some(i) = self.avail().get(rel..).and_then(|a| a.iter().position(|&b| b == b'\n')) {
                self.pos += rel + i + 1;
                return Ok(());
            }
            self.pos = self.end;
            rel = 0;
            if self.eof {
                self.done = true;
                return Ok(());
            }
            self.ensure(1)?;
        }
    }

    /// Reads the first record: detects the framing and keeps the header.
    fn start(&mut self) -> Result<(), Error> {
        self.ensure(READ_BUFFER_BYTES)?;
        let lead = self.avail().iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        self.pos += lead;
        let head = self.avail();
        if head.is_empty() {
            return Err(Error::Fatal(Diagnostic::file(0, 0, Code::FileEmpty, "the file is empty")));
        }
        let Some((packed, blocking, binary_bdw)) = detect_framing(head) else {
            let msg = "neither a character nor a packed Metro 2 record: no valid RDW or HEADER at the start";
            return Err(Error::Fatal(Diagnostic::file(1, lead as u64, Code::FormatUnknown, msg)));
        };
        self.format = if packed { Format::PackedDecimal } else { Format::Character };
        self.blocking = blocking;
        self.binary_bdw = binary_bdw;
        let frame = self
            .next_frame()?
            .ok_or_else(|| Error::Fatal(Diagnostic::file(0, 0, Code::FileEmpty, "the file holds no record")))?;
        let rec = self.buf.get(self.pos + frame.start..self.pos + frame.start + frame.len).unwrap_or(&[]);
        if rec.get(4..10) == Some(b"HEADER") {
            let offset = self.buf_offset + (self.pos + frame.start) as u64;
            let bytes = rec.to_vec();
            self.commit(&frame);
            self.header = Some(Kept { bytes, number: 1, offset, bdw: frame.bdw });
        }
        if packed {
            self.variant_open = true;
            if let Ok(Some(frame)) = self.next_frame() {
                let start = self.pos + frame.start;
                self.settle_variant(start, frame.len);
            }
        }
        Ok(())
    }

    /// While the packed variant is open, lets the record at `start` decide it.
    fn settle_variant(&mut self, start: usize, len: usize) {
        if !self.variant_open {
            return;
        }
        if let Some(format) = self.buf.get(start..start + len).and_then(packed_variant) {
            self.format = format;
            self.variant_open = false;
        }
    }

    /// After the trailer only line breaks may follow.
    fn after_trailer(&mut self) -> Option<Error> {
        let rel = match self.skip_breaks(0) {
            Ok(rel) => rel,
            Err(e) => return Some(e),
        };
        if self.avail().len() <= rel {
            self.pos += rel;
            return None;
        }
        let offset = self.buf_offset + (self.pos + rel) as u64;
        let msg = "bytes after the trailer record";
        Some(Error::Fatal(Diagnostic::file(self.records + 1, offset, Code::AfterTrailer, msg)))
    }

    /// Frames the next record (skipping line breaks, reading a BDW when a block starts) without
    /// consuming it. `Ok(None)` at a clean end of input.
    fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        let mut rel = self.skip_breaks(0)?;
        if self.avail().len() <= rel && self.eof {
            if self.block_left > 0 {
                return Err(self.fatal(rel, Code::Truncated, "the file ends inside a block"));
            }
            return Ok(None);
        }
        let mut bdw = None;
        // moov-io/metro2, the most used open-source writer, puts the trailer of a variable file in
        // no block: an RDW then `TRAILER` where a block descriptor word would be. Accepted as is.
        let unblocked_trailer = self.blocking == Blocking::Variable && self.block_left == 0 && {
            self.ensure(rel + 11)?;
            self.avail().get(rel + 4..rel + 11) == Some(b"TRAILER")
        };
        if self.blocking == Blocking::Variable && self.block_left == 0 && !unblocked_trailer {
            let len = match self.descriptor(rel, true) {
                Ok(len) if (8..=RECORD_BYTES_MAX).contains(&len) => len,
                Ok(_) => {
                    let e = self.fatal(rel, Code::BdwInvalid, "block descriptor word is not a valid block length");
                    return Err(self.unblocked_record(rel).unwrap_or(e));
                }
                Err(e) => return Err(self.unblocked_record(rel).unwrap_or(e)),
            };
            bdw = Some(len);
            rel += 4;
        }
        let len = match self.descriptor(rel, false) {
            Ok(len) if (4..=RECORD_BYTES_MAX).contains(&len) => Ok(len),
            Ok(_) => Err(self.fatal(rel, Code::RdwInvalid, "record descriptor word is not a valid length")),
            Err(e) => Err(e),
        };
        // What was read as a BDW may be the RDW of a record that has none.
        let len = match len {
            Ok(len) => len,
            Err(e) => return Err(bdw.and_then(|_| self.unblocked_record(rel - 4)).unwrap_or(e)),
        };
        let room = bdw.map_or(self.block_left, |b| b - 4);
        if self.blocking == Blocking::Variable && !unblocked_trailer && len > room {
            if let Some(e) = bdw.and_then(|_| self.unblocked_record(rel - 4)) {
                return Err(e);
            }
            let msg = format!("the record's descriptor word says {len} bytes, more than the {room} left of its block");
            return Err(self.fatal(rel, Code::RecordLength, msg));
        }
        if self.blocking == Blocking::Fixed
            && let Some(e) = self.blocked_record(rel, len)
        {
            return Err(e);
        }
        self.ensure(rel + len)?;
        if self.avail().len() < rel + len {
            return Err(self.fatal(rel, Code::Truncated, "the file ends inside a record"));
        }
        Ok(Some(Frame { start: rel, len, bdw }))
    }

    /// At a block's start in a variable file, whether what is at `rel` is a record with no block
    /// descriptor word (an RDW, then a record's first bytes): said as the cause, for the bytes
    /// there would otherwise be blamed as a bad BDW or a record too long for its block.
    fn unblocked_record(&mut self, rel: usize) -> Option<Error> {
        let len = self.record_at(rel)?;
        let msg = format!(
            "this record ({len} bytes) has no block descriptor word, but the file's first record opens a block: in a variable file every record is in a block (only the trailer may follow unblocked, as moov-io writes it)"
        );
        Some(self.fatal(rel, Code::BlockingMixed, msg))
    }

    /// In a fixed file, whether the record framed at `rel` (`len` bytes) is a block: a BDW where
    /// its RDW should be, then the record's own RDW (`len` - 4) and first bytes.
    fn blocked_record(&mut self, rel: usize, len: usize) -> Option<Error> {
        let inner = self.record_at(rel + 4)?;
        (inner + 4 == len).then(|| {
            let msg = format!(
                "this record has a block descriptor word ({len}) before its record descriptor word ({inner}), but the file's first record has none: a file is blocked throughout or not at all"
            );
            self.fatal(rel, Code::BlockingMixed, msg)
        })
    }

    /// The length of the record whose RDW is at `rel`, if the bytes there open a record: a valid
    /// RDW, then `HEADER`, `TRAILER` or a base segment's first bytes (a digit, the processing
    /// indicator; in character files then a time stamp's month).
    fn record_at(&mut self, rel: usize) -> Option<usize> {
        self.ensure(rel + 12).ok()?;
        let b = self.avail().get(rel..rel + 12)?;
        let packed = self.format.is_packed();
        let len = if packed { binary_descriptor(&b[..4])? } else { digits(&b[..4])? as usize };
        if !(self.format.record_bytes()..=RECORD_BYTES_MAX).contains(&len) {
            return None;
        }
        let month = digits(&b[5..7]).filter(|m| (1..=12).contains(m));
        let opens = b[4..].starts_with(b"HEADER")
            || b[4..].starts_with(b"TRAILER")
            || (b[4].is_ascii_digit() && (packed || month.is_some()));
        opens.then_some(len)
    }

    /// Reads a 4-byte descriptor (RDW or BDW) at `rel`.
    fn descriptor(&mut self, rel: usize, is_bdw: bool) -> Result<usize, Error> {
        self.ensure(rel + 4)?;
        let Some(b) = self.avail().get(rel..rel + 4) else {
            return Err(self.fatal(rel, Code::Truncated, "the file ends inside a descriptor word"));
        };
        let binary = self.format.is_packed() || (is_bdw && self.binary_bdw);
        let value = if binary { binary_descriptor(b) } else { digits(b).map(|v| v as usize) };
        value.ok_or_else(|| {
            let (code, what) = if is_bdw {
                (Code::BdwInvalid, "block descriptor word")
            } else {
                (Code::RdwInvalid, "record descriptor word")
            };
            let form = if binary { "a 2-byte length and two zero bytes" } else { "4 digits" };
            self.fatal(rel, code, format!("{what} is not {form}"))
        })
    }

    fn fatal(&self, rel: usize, code: Code, msg: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        let offset = self.buf_offset + (self.pos + rel) as u64;
        Error::Fatal(Diagnostic::file(self.records + 1, offset, code, msg))
    }

    /// Skips line breaks at `rel`; returns the position after them. In packed files a byte 0x0A
    /// or 0x0D may begin a valid descriptor: it is skipped only when the file's line-break style
    /// says so, or when the bytes there are not a valid descriptor.
    fn skip_breaks(&mut self, mut rel: usize) -> Result<usize, Error> {
        let first = rel;
        loop {
            self.ensure(rel + 12)?;
            let rest = self.avail().get(rel..).unwrap_or(&[]);
            let brk = match rest {
                [b'\r', b'\n', ..] => LineBreak::CrLf,
                [b'\n', ..] => LineBreak::Lf,
                [b'\r', ..] => LineBreak::CrLf,
                _ => return Ok(rel),
            };
            if self.format.is_packed() && !self.packed_break(rest, brk, rel > first) {
                return Ok(rel);
            }
            let width = if rest.starts_with(b"\r\n") { 2 } else { 1 };
            if self.line_break.is_none() {
                self.line_break = Some(brk);
            }
            rel += width;
        }
    }

    /// Whether a CR/LF at a record boundary of a packed file is a line break: the one break the
    /// file's style puts there, or any CR/LF where no plausible descriptor starts.
    fn packed_break(&self, rest: &[u8], brk: LineBreak, skipped_one: bool) -> bool {
        let expected = matches!(self.line_break, Some(LineBreak::Lf | LineBreak::CrLf)) && self.line_break == Some(brk);
        let block_start = self.blocking == Blocking::Variable && self.block_left == 0;
        (expected && !skipped_one) || !plausible_descriptor(rest, block_start)
    }

    /// Consumes a framed record.
    fn commit(&mut self, frame: &Frame) {
        if self.line_break.is_none() && self.records > 0 {
            self.line_break = Some(LineBreak::None);
        }
        if let Some(b) = frame.bdw {
            self.blocks += 1;
            self.block_left = b - 4;
        }
        self.block_left = self.block_left.saturating_sub(frame.len);
        self.pos += frame.start + frame.len;
        self.records += 1;
    }

    fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or(&[])
    }

    /// Makes at least `n` bytes available from `pos` unless the input ends first.
    fn ensure(&mut self, n: usize) -> io::Result<()> {
        let n = n.min(self.buf.len());
        if self.end - self.pos >= n || self.eof {
            return Ok(());
        }
        if self.pos + n > self.buf.len() {
            self.buf.copy_within(self.pos..self.end, 0);
            self.buf_offset += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        while self.end - self.pos < n {
            let got = match self.input.read(&mut self.buf[self.end..]) {
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if got == 0 {
                self.eof = true;
                break;
            }
            self.end += got;
        }
        Ok(())
    }
}

/// A packed descriptor: 2-byte big-endian length, two zero bytes.
fn binary_descriptor(b: &[u8]) -> Option<usize> {
    match b {
        [hi, lo, 0, 0] => Some(usize::from(*hi) << 8 | usize::from(*lo)),
        _ => None,
    }
}

/// Whether packed bytes at a boundary start a plausible record: a descriptor of a plausible length
/// followed by a printable byte (the processing indicator, or the `H`/`T` of HEADER/TRAILER);
/// at the start of a block, a plausible BDW followed by a plausible RDW that fits in it.
fn plausible_descriptor(rest: &[u8], block_start: bool) -> bool {
    let len = |at: usize| rest.get(at..at + 4).and_then(binary_descriptor);
    let sane = |l: usize| (super::PACKED_RECORD_BYTES..=RECORD_BYTES_MAX).contains(&l);
    let record = |at: usize| len(at).is_some_and(sane) && rest.get(at + 4).is_some_and(|c| (b' '..=b'~').contains(c));
    if block_start {
        len(0).is_some_and(|b| sane(b) && record(4) && len(4).is_some_and(|r| r + 4 <= b))
    } else {
        record(0)
    }
}

fn too_short(format: Format, len: usize) -> String {
    format!("record is {len} bytes, shorter than the {}-byte {format} base segment", format.record_bytes())
}

/// Whether a file's first bytes (at least 14 of them, when the file has as many) open a Metro 2
/// file in a framing this reader accepts: a record or block descriptor word, then the header or a
/// base segment. Used to tell Metro 2 from other formats before reading it.
pub fn looks_like_metro2(head: &[u8]) -> bool {
    detect_framing(head).is_some()
}

/// Tells the framing from the first bytes of a file. Accepted forms: a character RDW (4 digits)
/// or a packed one (2-byte length, two zero bytes), optionally preceded by a BDW in the same form
/// (or, in a character file, a binary BDW); the first record being `HEADER` or else a base
/// segment whose BDW, if any, equals its RDW plus 4.
fn detect_framing(b: &[u8]) -> Option<Framing> {
    let is_digits = |r: std::ops::Range<usize>| b.get(r).and_then(digits);
    let is_binary = |r: std::ops::Range<usize>| b.get(r).and_then(binary_descriptor);
    if b.get(4..10) == Some(b"HEADER") {
        return match (is_digits(0..4), is_binary(0..4)) {
            (Some(_), _) => Some((false, Blocking::Fixed, false)),
            (None, Some(_)) => Some((true, Blocking::Fixed, false)),
            _ => None,
        };
    }
    if b.get(8..14) == Some(b"HEADER") {
        return match (is_digits(0..4), is_binary(0..4), is_digits(4..8), is_binary(4..8)) {
            (Some(_), _, Some(_), _) => Some((false, Blocking::Variable, false)),
            (None, Some(_), Some(_), _) => Some((false, Blocking::Variable, true)),
            (_, Some(_), None, Some(_)) => Some((true, Blocking::Variable, false)),
            _ => None,
        };
    }
    if let Some(rdw) = is_digits(0..4) {
        let variable = is_digits(4..8).is_some_and(|inner| rdw == inner + 4);
        return Some((false, if variable { Blocking::Variable } else { Blocking::Fixed }, false));
    }
    let rdw = is_binary(0..4)?;
    let variable = is_binary(4..8).is_some_and(|inner| rdw == inner + 4);
    Some((true, if variable { Blocking::Variable } else { Blocking::Fixed }, false))
}

/// Tells packed decimal from the moov-io binary form. A non-zero date or time stamp reads in only
/// one of them; any packed field that is not valid packed decimal means binary. `None` when every
/// packed field reads the same both ways (all zero, or binary values that happen to look decimal).
fn packed_variant(rec: &[u8]) -> Option<Format> {
    let trailer = rec.get(4..11) == Some(b"TRAILER");
    let fields: Vec<&F> = if trailer {
        TRAILER_PACKED.totals.iter().collect()
    } else {
        BASE_PACKED.all().filter(|f| matches!(f.kind, Kind::PNum | Kind::PDate | Kind::PStamp)).collect()
    };
    let mut decimal = false;
    for f in fields {
        let v = f.bytes(rec);
        if v.iter().all(|&c| c == 0) {
            continue;
        }
        if packed_decimal(v).is_err() {
            return Some(Format::PackedBinary);
        }
        decimal |= trailer || matches!(f.kind, Kind::PDate | Kind::PStamp);
    }
    decimal.then_some(Format::PackedDecimal)
}

/// Finds the appended segments after the base segment.
fn scan_segments(rec: &[u8], format: Format, spans: &mut Vec<Span>) -> Tail {
    spans.clear();
    let mut at = format.record_bytes();
    loop {
        let Some(rest) = rec.get(at..).filter(|r| !r.is_empty()) else { return Tail::Clean };
        let Some(segment) = rest.get(..2).and_then(Segment::from_identifier) else {
            let padding = is_blank(rest) || rest.iter().all(|&c| c == 0);
            return if padding { Tail::Padding } else { Tail::Unknown(at) };
        };
        let len = segment.appended_bytes().unwrap_or(usize::MAX);
        if rest.len() < len {
            return Tail::Cut(at, segment);
        }
        spans.push(Span { segment, at });
        at += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_detection() {
        let mut c = b"0426HEADER".to_vec();
        c.extend_from_slice(&[b' '; 8]);
        assert_eq!(detect_framing(&c), Some((false, Blocking::Fixed, false)));
        assert_eq!(detect_framing(b"04300426HEADER"), Some((false, Blocking::Variable, false)));
        assert_eq!(detect_framing(b"\x01\xae\0\0\x01\x6e\0\0HEADER"), Some((true, Blocking::Variable, false)));
        assert_eq!(detect_framing(b"\x01\x6e\0\0HEADER"), Some((true, Blocking::Fixed, false)));
        assert_eq!(detect_framing(b"\x01\xae\x00\x000426HEADER"), Some((false, Blocking::Variable, true)));
        assert_eq!(detect_framing(b"04261010120"), Some((false, Blocking::Fixed, false)));
        assert_eq!(detect_framing(b"xxxxHEADER"), None);
        assert_eq!(detect_framing(b"hello world"), None);
    }

    #[test]
    fn packed_breaks_need_an_implausible_descriptor() {
        assert!(plausible_descriptor(b"\x01\x6e\0\x001", false));
        assert!(!plausible_descriptor(b"\x01\x6e\0\0\x01", false));
        assert!(!plausible_descriptor(b"\n\x01\x6e\0", false));
        assert!(!plausible_descriptor(b"\x00\x10\0\0", false));
        assert!(plausible_descriptor(b"\x01\x72\0\0\x01\x6e\0\0H", true));
        assert!(!plausible_descriptor(b"\n\n\0\0\0\x09\xfc\0\0", true));
    }
}
