//! Field positions of every record and segment, character and packed.
//!
//! Positions are 0-based and count from the first byte of the record's RDW (a BDW, when present,
//! is not part of the record). Names are the JSON keys of moov-io/metro2, used in diagnostics.
//!
//! This module holds the field descriptor [`F`] and its constructors, and the trailer's layout.
//! The layouts of the header, base and appended segments are declared with their records, one
//! table per segment (record.rs, through `fields::segment!`), and re-exported here.

use super::Format;

/// How a field is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Left-justified, blank-filled printable ASCII.
    Text,
    /// Zero-filled ASCII digits.
    Num,
    /// MMDDYYYY in ASCII digits; zeros when not applicable.
    Date,
    /// MMDDYYYYHHMMSS in ASCII digits.
    Stamp,
    /// A number in a packed field (decimal or binary, depending on the file's [`Format`]).
    PNum,
    /// A date in a packed field.
    PDate,
    /// A time stamp in a packed field.
    PStamp,
}

/// One field of a layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct F {
    /// The JSON key (moov-io/metro2 naming), used in diagnostics.
    pub name: &'static str,
    /// Offset from the start of the record (or segment), in bytes.
    pub at: usize,
    /// Width in bytes.
    pub len: usize,
    pub kind: Kind,
    /// Blank (or zero, for dates) is an error.
    pub required: bool,
    /// Most digits a numeric value may have.
    pub digits: u32,
    /// 10 to the power `digits`: the first value too large for the field.
    pub limit: u64,
}

impl F {
    const fn new(name: &'static str, at: usize, len: usize, kind: Kind) -> F {
        let digits = match kind {
            Kind::Num => len as u32,
            Kind::PNum => (len * 2 - 1) as u32,
            _ => 0,
        };
        F { name, at, len, kind, required: false, digits, limit: power_of_ten(digits) }
    }

    /// Blank (or zero, for dates) is an error.
    pub(crate) const fn req(mut self) -> F {
        self.required = true;
        self
    }

    /// Allows `digits` digits (a packed field may hold fewer than its width suggests).
    pub(crate) const fn digits(mut self, digits: u32) -> F {
        self.digits = digits;
        self.limit = power_of_ten(digits);
        self
    }

    /// The field with its JSON key.
    pub(crate) const fn named(mut self, name: &'static str) -> F {
        self.name = name;
        self
    }

    /// `packed` when asked for the packed layout, else `character`.
    pub(crate) const fn pick(packed: bool, character: F, packed_field: F) -> F {
        if packed { packed_field } else { character }
    }

    /// The field's bytes within `record`; empty when the record is too short.
    #[inline]
    pub fn bytes<'a>(&self, record: &'a [u8]) -> &'a [u8] {
        record.get(self.at..self.at + self.len).unwrap_or(&[])
    }

    /// The field's end offset.
    pub const fn end(&self) -> usize {
        self.at + self.len
    }
}

/// 10^n, saturating at `u64::MAX` (beyond 19 digits).
const fn power_of_ten(n: u32) -> u64 {
    let mut v: u64 = 1;
    let mut i = 0;
    while i < n {
        v = v.saturating_mul(10);
        i += 1;
    }
    v
}

/// Text: left-justified, blank-filled.
pub(crate) const fn t(at: usize, len: usize) -> F {
    F::new("", at, len, Kind::Text)
}
/// A character number.
pub(crate) const fn n(at: usize, len: usize) -> F {
    F::new("", at, len, Kind::Num)
}
/// A character date, MMDDYYYY.
pub(crate) const fn d(at: usize) -> F {
    F::new("", at, 8, Kind::Date)
}
/// A character time stamp, MMDDYYYYHHMMSS.
pub(crate) const fn ts(at: usize) -> F {
    F::new("", at, 14, Kind::Stamp)
}
/// A packed number.
pub(crate) const fn pn(at: usize, len: usize) -> F {
    F::new("", at, len, Kind::PNum)
}
/// A packed date.
pub(crate) const fn pd(at: usize) -> F {
    F::new("", at, 5, Kind::PDate)
}
/// A packed time stamp.
pub(crate) const fn pts(at: usize) -> F {
    F::new("", at, 8, Kind::PStamp)
}

/// The layouts of the header, base and appended segments, generated with their records from one
/// table each (record.rs).
pub(crate) use super::record::{
    BASE_CHAR, BASE_PACKED, BaseLayout, HEADER_CHAR, HEADER_PACKED, HeaderLayout, J1, J2, K1, K2, K3, K4, L1, N1,
    TRAILER_TOTAL_NAMES,
};

/// Number of totals in the trailer (total base records first, then the 42 after `reserved1`).
pub(crate) const TRAILER_TOTALS: usize = 43;

/// Indexes into the trailer totals.
pub(crate) mod total {
    pub const BASE_RECORDS: usize = 0;
    pub const STATUS_DF: usize = 1;
    pub const J1: usize = 2;
    pub const J2: usize = 3;
    pub const BLOCKS: usize = 4;
    /// Status DA; the statuses after it follow in `codes::ACCOUNT_STATUSES` order.
    pub const STATUS_DA: usize = 5;
    pub const ECOA_Z: usize = 27;
    pub const N1: usize = 28;
    pub const K1: usize = 29;
    pub const K2: usize = 30;
    pub const K3: usize = 31;
    pub const K4: usize = 32;
    pub const L1: usize = 33;
    pub const SSN_ALL: usize = 34;
    pub const SSN_BASE: usize = 35;
    pub const SSN_J1: usize = 36;
    pub const SSN_J2: usize = 37;
    pub const DOB_ALL: usize = 38;
    pub const DOB_BASE: usize = 39;
    pub const DOB_J1: usize = 40;
    pub const DOB_J2: usize = 41;
    pub const PHONE_ALL: usize = 42;
}

/// The trailer's identifier, filler and totals.
#[derive(Debug)]
pub(crate) struct TrailerLayout {
    pub record_identifier: F,
    pub reserved1: F,
    pub reserved2: F,
    pub totals: [F; TRAILER_TOTALS],
}

const fn trailer(packed: bool) -> TrailerLayout {
    let width = if packed { 5 } else { 9 };
    let kind = if packed { Kind::PNum } else { Kind::Num };
    let first = 11 + 2 * width; // after total base records (at 11) and reserved1
    let mut totals = [F::new("", 0, 0, Kind::Num); TRAILER_TOTALS];
    let mut i = 0;
    while i < TRAILER_TOTALS {
        let at = if i == 0 { 11 } else { first + (i - 1) * width };
        totals[i] = F::new(TRAILER_TOTAL_NAMES[i], at, width, kind);
        i += 1;
    }
    let end = first + (TRAILER_TOTALS - 1) * width;
    let record = if packed { super::PACKED_RECORD_BYTES } else { super::CHARACTER_RECORD_BYTES };
    TrailerLayout {
        record_identifier: t(4, 7).req().named("recordIdentifier"),
        reserved1: t(11 + width, width).named("reserved1"),
        reserved2: t(end, record - end).named("reserved2"),
        totals,
    }
}

/// The character trailer (426 bytes).
pub(crate) const TRAILER_CHAR: TrailerLayout = trailer(false);
/// The packed trailer (366 bytes).
pub(crate) const TRAILER_PACKED: TrailerLayout = trailer(true);

/// The header layout of a format.
pub(crate) fn header_layout(format: Format) -> &'static HeaderLayout {
    if format.is_packed() { &HEADER_PACKED } else { &HEADER_CHAR }
}

/// The base layout of a format.
pub(crate) fn base_layout(format: Format) -> &'static BaseLayout {
    if format.is_packed() { &BASE_PACKED } else { &BASE_CHAR }
}

/// The trailer layout of a format.
pub(crate) fn trailer_layout(format: Format) -> &'static TrailerLayout {
    if format.is_packed() { &TRAILER_PACKED } else { &TRAILER_CHAR }
}

/// Checks that each layout tiles its record exactly: no gap, no overlap.
#[cfg(test)]
mod tests {
    use super::*;

    fn tiles(fields: Vec<&F>, start: usize, len: usize) {
        let mut at = start;
        for f in fields {
            assert_eq!(f.at, at, "{} starts at {} not {at}", f.name, f.at);
            at = f.end();
        }
        assert_eq!(at, len);
    }

    #[test]
    fn layouts_tile_their_records() {
        tiles(HEADER_CHAR.all().collect(), 4, 426);
        tiles(HEADER_PACKED.all().collect(), 4, 366);
        tiles(BASE_CHAR.all().collect(), 4, 426);
        tiles(BASE_PACKED.all().collect(), 4, 366);
        tiles(J1.all().collect(), 2, 100);
        tiles(J2.all().collect(), 2, 200);
        tiles(K1.all().collect(), 2, 34);
        tiles(K2.all().collect(), 2, 34);
        tiles(K3.all().collect(), 2, 40);
        tiles(K4.all().collect(), 2, 30);
        tiles(L1.all().collect(), 2, 54);
        tiles(N1.all().collect(), 2, 146);
        for (layout, len) in [(&TRAILER_CHAR, 426), (&TRAILER_PACKED, 366)] {
            let mut fields = vec![&layout.record_identifier, &layout.totals[0], &layout.reserved1];
            fields.extend(layout.totals[1..].iter());
            fields.push(&layout.reserved2);
            tiles(fields, 4, len);
        }
        assert_eq!(TRAILER_CHAR.totals[total::BLOCKS].at, 56);
        assert_eq!(TRAILER_PACKED.totals[total::PHONE_ALL].at, 226);
    }
}
