//! CDIA Metro 2, the US furnisher format (docs/formats/metro2.md).
//!
//! A file is a header record, data records (a base segment followed by appended segments J1, J2,
//! K1–K4, L1, N1) and a trailer record, in one of three encodings ([`Format`]): character (426-byte
//! header, base and trailer), packed decimal or the big-endian binary "packed" variant written by
//! the moov-io/metro2 Go tool (366 bytes). Records may be blocked ([`Blocking`]) and separated by
//! line breaks ([`LineBreak`]).
//!
//! - [`Reader`] streams a file record by record with memory bounded by [`READ_BUFFER_BYTES`],
//!   handing out [`RecordRef`]s that borrow the record's bytes (zero-copy field access).
//! - [`validate`] checks every field, code list, cross-field rule and the trailer's totals and
//!   reports every problem as a located [`Diagnostic`] with a stable [`Code`].
//! - [`Writer`] writes [`DataRecord`]s in any format and blocking and generates the trailer.
//! - [`json`] converts to and from the JSON form of moov-io/metro2.

mod codes;
mod decode;
mod fields;
pub mod json;
mod layout;
mod reader;
mod record;
pub mod to_model;
mod totals;
mod validate;
mod writer;

pub use codes::Code;
pub use reader::{Error, Reader, RecordRef, looks_like_metro2};
pub use record::{
    BaseSegment, DataRecord, HeaderRecord, J1Segment, J2Segment, K1Segment, K2Segment, K3Segment, K4Segment, L1Segment,
    N1Segment, Ssn, TrailerRecord,
};
pub use validate::{Diagnostic, Report, validate, validate_each};
pub use writer::{WriteError, Writer, WriterOptions};

/// The calendar date type of dates in records and of the day [`validate`] checks against
/// (re-exported from the `time` crate so callers need not depend on it).
pub use time::Date;

use std::fmt;

/// Length of the character header, base segment and trailer, in bytes.
pub const CHARACTER_RECORD_BYTES: usize = 426;
/// Length of the packed header, base segment and trailer, in bytes.
pub const PACKED_RECORD_BYTES: usize = 366;
/// Longest record or block accepted, in bytes: the IBM variable-record limit (32,760). A 4-digit
/// character RDW stops at 9,999 anyway; a binary one could claim 65,535, which no real record needs.
pub const RECORD_BYTES_MAX: usize = 32_760;
/// The reader's buffer, in bytes: the only memory that grows with input, whatever the file size.
/// Large enough for several of the longest records, small enough to stay in L2 cache.
pub const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Most diagnostics [`validate`] keeps in its [`Report`]; the rest are only counted, so a file
/// with an error in every field of a billion records cannot exhaust memory. [`validate_each`]
/// hands every diagnostic to a callback instead and keeps none.
pub const DIAGNOSTICS_KEPT_MAX: usize = 100_000;

/// How the header, base segment and trailer are encoded. Appended segments are always character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// 426-byte records, every field in characters; RDW and BDW are 4 ASCII digits.
    Character,
    /// 366-byte records; dates, amounts, SSN, phone and trailer counts in true packed decimal
    /// (two digits per byte, last nibble the sign: `C`, `F`, `A` or `E` positive); RDW and BDW are
    /// a 2-byte big-endian length followed by two zero bytes.
    PackedDecimal,
    /// 366-byte records as moov-io/metro2 writes them: numbers as big-endian unsigned binary of
    /// the field's width; dates `0x00`, the value MMDDYYYY in 3 big-endian bytes, `0x73`;
    /// time stamps `0x00`, MMDDYYYYHHMMSS in 6 bytes, `0x73`. RDW and BDW as for packed decimal.
    PackedBinary,
}

impl Format {
    /// Whether the base segment, header and trailer are 366-byte packed records.
    pub fn is_packed(self) -> bool {
        !matches!(self, Format::Character)
    }

    /// Length of the header, base segment and trailer in this format, in bytes.
    pub fn record_bytes(self) -> usize {
        if self.is_packed() { PACKED_RECORD_BYTES } else { CHARACTER_RECORD_BYTES }
    }

    /// The name used in reports: `character`, `packed-decimal`, `packed-binary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Character => "character",
            Format::PackedDecimal => "packed-decimal",
            Format::PackedBinary => "packed-binary",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether records are grouped in blocks, each preceded by a block descriptor word (BDW).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Blocking {
    /// No BDW: each record starts with its RDW.
    Fixed,
    /// Each block starts with a 4-byte BDW giving the block's length including the BDW. The
    /// reader accepts any number of records per block; the writer puts one record in each.
    Variable,
}

impl Blocking {
    /// `fixed` or `variable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Blocking::Fixed => "fixed",
            Blocking::Variable => "variable",
        }
    }
}

/// The line breaks between records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineBreak {
    /// Records follow each other directly.
    None,
    /// `\n` after each record.
    Lf,
    /// `\r\n` after each record.
    CrLf,
}

impl LineBreak {
    /// The bytes written after each record.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineBreak::None => b"",
            LineBreak::Lf => b"\n",
            LineBreak::CrLf => b"\r\n",
        }
    }

    /// `none`, `lf` or `crlf`.
    pub fn as_str(self) -> &'static str {
        match self {
            LineBreak::None => "none",
            LineBreak::Lf => "lf",
            LineBreak::CrLf => "crlf",
        }
    }
}

/// Which part of the file a diagnostic concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// The file as a whole or the framing of a record (RDW, BDW).
    File,
    /// The header record.
    Header,
    /// The base segment of a data record.
    Base,
    /// J1: associated consumer at the same address (100 bytes, repeating).
    J1,
    /// J2: associated consumer at another address (200 bytes, repeating).
    J2,
    /// K1: original creditor (34 bytes).
    K1,
    /// K2: purchased from / sold to (34 bytes).
    K2,
    /// K3: mortgage information (40 bytes).
    K3,
    /// K4: specialized payment information (30 bytes).
    K4,
    /// L1: account number or identification number change (54 bytes).
    L1,
    /// N1: employment (146 bytes).
    N1,
    /// The trailer record.
    Trailer,
}

impl Segment {
    /// The appended segments in the order they must appear.
    pub const APPENDED: [Segment; 8] =
        [Segment::J1, Segment::J2, Segment::K1, Segment::K2, Segment::K3, Segment::K4, Segment::L1, Segment::N1];

    /// The name used in diagnostics: `file`, `header`, `base`, `J1`…, `trailer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::File => "file",
            Segment::Header => "header",
            Segment::Base => "base",
            Segment::J1 => "J1",
            Segment::J2 => "J2",
            Segment::K1 => "K1",
            Segment::K2 => "K2",
            Segment::K3 => "K3",
            Segment::K4 => "K4",
            Segment::L1 => "L1",
            Segment::N1 => "N1",
            Segment::Trailer => "trailer",
        }
    }

    /// The fixed length of an appended segment in bytes (`None` for the others).
    pub fn appended_bytes(self) -> Option<usize> {
        match self {
            Segment::J1 => Some(100),
            Segment::J2 => Some(200),
            Segment::K1 | Segment::K2 => Some(34),
            Segment::K3 => Some(40),
            Segment::K4 => Some(30),
            Segment::L1 => Some(54),
            Segment::N1 => Some(146),
            _ => None,
        }
    }

    /// The appended segment a 2-byte identifier names.
    pub fn from_identifier(id: &[u8]) -> Option<Segment> {
        Some(match id {
            b"J1" => Segment::J1,
            b"J2" => Segment::J2,
            b"K1" => Segment::K1,
            b"K2" => Segment::K2,
            b"K3" => Segment::K3,
            b"K4" => Segment::K4,
            b"L1" => Segment::L1,
            b"N1" => Segment::N1,
            _ => return None,
        })
    }

    /// Whether the segment may appear more than once in a data record (J1 and J2).
    pub fn repeats(self) -> bool {
        matches!(self, Segment::J1 | Segment::J2)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
