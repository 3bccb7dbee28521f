//! Decoding and encoding of single field values: digits, dates, time stamps, packed numbers.
//!
//! Every function works on a byte slice and never panics, whatever the bytes.

use super::Format;
use super::layout::{F, Kind};
use ob_model::limits::{YEAR_MAX, YEAR_MIN};

/// Why a field's value could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bad {
    /// Not ASCII digits.
    Numeric,
    /// Not a real date or time.
    Date,
    /// A packed field with a bad nibble, sign or marker byte.
    Packed,
    /// A packed value with more digits than the field allows, or negative.
    PackedRange,
}

impl Bad {
    /// A sentence for people; never contains the value.
    pub fn message(self) -> &'static str {
        match self {
            Bad::Numeric => "must be digits, zero-filled",
            Bad::Date => "not a real date (MMDDYYYY, 1901–2099) or time",
            Bad::Packed => "not a valid packed field (nibbles, sign or marker byte)",
            Bad::PackedRange => "packed value is negative or has more digits than the field allows",
        }
    }
}

/// A calendar date held as `YYYYMMDD` in one integer: cheap to compare, checked to be real.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ymd(pub u32);

impl Ymd {
    /// Checks year, month and day; `None` when not a real date in the accepted years.
    pub fn new(year: u32, month: u32, day: u32) -> Option<Ymd> {
        let y = i32::try_from(year).ok()?;
        if !(YEAR_MIN..=YEAR_MAX).contains(&y) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (day <= days).then_some(Ymd(year * 10_000 + month * 100 + day))
    }

    /// From a [`time::Date`].
    pub fn of(date: time::Date) -> Ymd {
        let year = u32::try_from(date.year()).unwrap_or(0);
        Ymd(year * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day()))
    }

    /// From `MMDDYYYY` as a number; `Ok(None)` for zero (not applicable).
    pub fn from_mmddyyyy(v: u64) -> Result<Option<Ymd>, Bad> {
        if v == 0 {
            return Ok(None);
        }
        let v = u32::try_from(v).map_err(|_| Bad::Date)?;
        Ymd::new(v % 10_000, v / 1_000_000, (v / 10_000) % 100).map(Some).ok_or(Bad::Date)
    }

    /// As a [`time::Date`].
    pub fn to_date(self) -> Option<time::Date> {
        let month = time::Month::try_from(u8::try_from((self.0 / 100) % 100).ok()?).ok()?;
        let day = u8::try_from(self.0 % 100).ok()?;
        time::Date::from_calendar_date(i32::try_from(self.0 / 10_000).ok()?, month, day).ok()
    }

    /// As `MMDDYYYY`.
    pub fn mmddyyyy(self) -> u64 {
        let (y, m, d) = (self.0 / 10_000, (self.0 / 100) % 100, self.0 % 100);
        u64::from(m) * 1_000_000 + u64::from(d) * 10_000 + u64::from(y)
    }
}

/// A time stamp `MMDDYYYYHHMMSS` checked to be real: the date and seconds since midnight.
pub(crate) fn stamp_from_number(v: u64) -> Result<Option<(Ymd, u32)>, Bad> {
    if v == 0 {
        return Ok(None);
    }
    let hms = u32::try_from(v % 1_000_000).map_err(|_| Bad::Date)?;
    let (h, m, s) = (hms / 10_000, (hms / 100) % 100, hms % 100);
    if h > 23 || m > 59 || s > 59 {
        return Err(Bad::Date);
    }
    let date = Ymd::from_mmddyyyy(v / 1_000_000)?.ok_or(Bad::Date)?;
    Ok(Some((date, h * 3600 + m * 60 + s)))
}

/// ASCII digits as a number; `None` if any byte is not a digit (or there are more than 19).
/// Eight digits at a time (SWAR): validation and field checks spend most of their time here.
#[inline]
pub(crate) fn digits(b: &[u8]) -> Option<u64> {
    if b.len() > 19 {
        return None;
    }
    let (head, body) = b.split_at(b.len() % 8);
    let mut v: u64 = 0;
    for &c in head {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    for chunk in body.chunks_exact(8) {
        let word: [u8; 8] = chunk.try_into().ok()?;
        v = v * 100_000_000 + u64::from(digits8(word)?);
    }
    Some(v)
}

/// Eight ASCII digits in one 64-bit word.
#[inline]
fn digits8(word: [u8; 8]) -> Option<u32> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    let x = u64::from_le_bytes(word);
    if x & HIGH != ZEROS || x.wrapping_add(0x0606_0606_0606_0606) & HIGH != ZEROS {
        return None;
    }
    let mut v = x - ZEROS;
    v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    v = (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF;
    u32::try_from(v).ok()
}

/// Whether every byte is a blank (no early exit, so the loop vectorizes).
#[inline]
pub(crate) fn is_blank(b: &[u8]) -> bool {
    b.iter().fold(0u8, |acc, &c| acc | (c ^ b' ')) == 0
}

/// Whether every byte is printable ASCII, blank through `~` (no early exit, so it vectorizes).
#[inline]
pub(crate) fn is_printable(b: &[u8]) -> bool {
    b.iter().fold(true, |acc, &c| acc & (c.wrapping_sub(b' ') < 0x5F))
}

/// True packed decimal: two digits per byte, the last nibble the sign. All-zero bytes are read as
/// zero (some writers leave unused packed fields as binary zeros).
pub(crate) fn packed_decimal(b: &[u8]) -> Result<u64, Bad> {
    if b.iter().all(|&c| c == 0) {
        return Ok(0);
    }
    let Some((&last, head)) = b.split_last() else { return Err(Bad::Packed) };
    if b.len() > 9 {
        return Err(Bad::Packed);
    }
    let mut v: u64 = 0;
    for &c in head {
        let (hi, lo) = (c >> 4, c & 0x0F);
        if hi > 9 || lo > 9 {
            return Err(Bad::Packed);
        }
        v = v * 100 + u64::from(hi) * 10 + u64::from(lo);
    }
    let (hi, sign) = (last >> 4, last & 0x0F);
    if hi > 9 {
        return Err(Bad::Packed);
    }
    v = v * 10 + u64::from(hi);
    match sign {
        0xA | 0xC | 0xE | 0xF => Ok(v),
        0xB | 0xD => Err(Bad::PackedRange),
        _ => Err(Bad::Packed),
    }
}

/// Big-endian unsigned binary.
pub(crate) fn big_endian(b: &[u8]) -> Result<u64, Bad> {
    if b.len() > 8 {
        return Err(Bad::Packed);
    }
    Ok(b.iter().fold(0u64, |v, &c| (v << 8) | u64::from(c)))
}

/// The moov-io binary date and time stamp: `0x00`, big-endian value, `0x73`; all zeros for none.
pub(crate) fn binary_marked(b: &[u8]) -> Result<u64, Bad> {
    if b.iter().all(|&c| c == 0) {
        return Ok(0);
    }
    match b {
        [0, middle @ .., 0x73] => big_endian(middle),
        _ => Err(Bad::Packed),
    }
}

/// The number a numeric field holds (character digits or packed); blank character fields read as 0.
pub(crate) fn number(f: &F, b: &[u8], format: Format) -> Result<u64, Bad> {
    let v = match f.kind {
        Kind::PNum if format == Format::PackedBinary => big_endian(b)?,
        Kind::PNum => packed_decimal(b)?,
        _ => match digits(b) {
            Some(v) => v,
            None if is_blank(b) => 0,
            None => return Err(Bad::Numeric),
        },
    };
    if f.kind == Kind::PNum && v >= f.limit {
        return Err(Bad::PackedRange);
    }
    Ok(v)
}

/// The raw number behind a date or time stamp field: blank or zero is 0.
fn date_number(f: &F, b: &[u8], format: Format) -> Result<u64, Bad> {
    match f.kind {
        Kind::PDate | Kind::PStamp if format == Format::PackedBinary => binary_marked(b),
        Kind::PDate | Kind::PStamp => packed_decimal(b),
        _ => match digits(b) {
            Some(v) => Ok(v),
            None if is_blank(b) => Ok(0),
            None => Err(Bad::Date),
        },
    }
}

/// The date a date field holds; `Ok(None)` when zero- or blank-filled.
pub(crate) fn date(f: &F, b: &[u8], format: Format) -> Result<Option<Ymd>, Bad> {
    Ymd::from_mmddyyyy(date_number(f, b, format)?)
}

/// The date and time (seconds since midnight) a time stamp field holds.
pub(crate) fn stamp(f: &F, b: &[u8], format: Format) -> Result<Option<(Ymd, u32)>, Bad> {
    stamp_from_number(date_number(f, b, format)?)
}

/// Writes `v` as zero-filled ASCII digits into `out` (its length is the width). `false` when it
/// does not fit.
pub(crate) fn put_digits(out: &mut [u8], mut v: u64) -> bool {
    for c in out.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
    v == 0
}

/// Writes `v` in true packed decimal with a `C` sign. `false` when it does not fit.
pub(crate) fn put_packed_decimal(out: &mut [u8], mut v: u64) -> bool {
    let n = out.len();
    let Some(last) = out.last_mut() else { return false };
    *last = (((v % 10) as u8) << 4) | 0x0C;
    v /= 10;
    for c in out.iter_mut().take(n.saturating_sub(1)).rev() {
        let lo = (v % 10) as u8;
        v /= 10;
        let hi = (v % 10) as u8;
        v /= 10;
        *c = (hi << 4) | lo;
    }
    v == 0
}

/// Writes `v` as big-endian unsigned binary. `false` when it does not fit.
pub(crate) fn put_big_endian(out: &mut [u8], mut v: u64) -> bool {
    for c in out.iter_mut().rev() {
        *c = (v & 0xFF) as u8;
        v >>= 8;
    }
    v == 0
}

/// Writes a date or time stamp number in the moov-io binary form (zeros for 0).
pub(crate) fn put_binary_marked(out: &mut [u8], v: u64) -> bool {
    if v == 0 {
        out.fill(0);
        return true;
    }
    match out {
        [first, middle @ .., last] => {
            *first = 0;
            *last = 0x73;
            put_big_endian(middle, v)
        }
        _ => false,
    }
}

/// Writes a number into a field of any numeric kind.
pub(crate) fn put_number(f: &F, out: &mut [u8], v: u64, format: Format) -> bool {
    match (f.kind, format) {
        (Kind::PNum, Format::PackedBinary) => v < f.limit && put_big_endian(out, v),
        (Kind::PNum, _) => v < f.limit && put_packed_decimal(out, v),
        (Kind::PDate | Kind::PStamp, Format::PackedBinary) => put_binary_marked(out, v),
        (Kind::PDate | Kind::PStamp, _) => put_packed_decimal(out, v),
        _ => put_digits(out, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_decimal_round_trips_and_rejects() {
        let mut b = [0u8; 5];
        assert!(put_packed_decimal(&mut b, 1_022_020));
        assert_eq!(b, [0x00, 0x10, 0x22, 0x02, 0x0C]);
        assert_eq!(packed_decimal(&b), Ok(1_022_020));
        assert!(!put_packed_decimal(&mut b, 1_000_000_000));
        assert_eq!(packed_decimal(&[0x12, 0x3D]), Err(Bad::PackedRange));
        assert_eq!(packed_decimal(&[0x1A, 0x3C]), Err(Bad::Packed));
        assert_eq!(packed_decimal(&[0x12, 0x33]), Err(Bad::Packed));
        assert_eq!(packed_decimal(&[0, 0, 0]), Ok(0));
    }

    #[test]
    fn binary_forms() {
        let mut b = [0u8; 5];
        assert!(put_binary_marked(&mut b, 1_022_020));
        assert_eq!(b, [0x00, 0x0F, 0x98, 0x44, 0x73]);
        assert_eq!(binary_marked(&b), Ok(1_022_020));
        assert_eq!(binary_marked(&[1, 0, 0, 0, 0x73]), Err(Bad::Packed));
        assert_eq!(big_endian(&[1, 0]), Ok(256));
    }

    #[test]
    fn dates() {
        assert_eq!(Ymd::from_mmddyyyy(2_292_024), Ok(Ymd::new(2024, 2, 29)));
        assert_eq!(Ymd::from_mmddyyyy(2_292_023), Err(Bad::Date));
        assert_eq!(Ymd::from_mmddyyyy(13_012_020), Err(Bad::Date));
        assert_eq!(Ymd::from_mmddyyyy(0), Ok(None));
        assert_eq!(Ymd::new(2024, 2, 29).map(Ymd::mmddyyyy), Some(2_292_024));
        assert_eq!(stamp_from_number(1_022_020_235_959).map(|s| s.map(|x| x.1)), Ok(Some(86_399)));
        assert_eq!(stamp_from_number(1_022_020_240_000), Err(Bad::Date));
        assert_eq!(digits(b"0042"), Some(42));
        assert_eq!(digits(b"00 2"), None);
        assert_eq!(digits(b"12345678901234"), Some(12_345_678_901_234));
        assert_eq!(digits(b"123456789"), Some(123_456_789));
        for bad in [&b"1234567:"[..], b"/2345678", b"12345678 ", b"1234\x0078"] {
            assert_eq!(digits(bad), None, "{bad:?}");
        }
        assert_eq!(digits(b""), Some(0));
    }
}
