//! Small helpers for writing JSON by hand into a byte buffer, for the lines written most: month
//! records, account and consent records, and the truth. Strings go through `serde_json` (which
//! escapes them); numbers, dates and months are formatted here without allocating.

use ob_model::YearMonth;
use serde::Serialize;
use time::Date;

/// Appends the decimal digits of `v`.
pub(crate) fn int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    let mut n = v.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends `n` as exactly `width` digits (at most 4), zero-padded.
fn padded(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut digits = [b'0'; 4];
    let mut n = n;
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[..width]);
}

/// Appends `"YYYY-MM"`.
pub(crate) fn month(out: &mut Vec<u8>, m: YearMonth) {
    out.push(b'"');
    padded(out, m.year().clamp(0, 9999).unsigned_abs(), 4);
    out.push(b'-');
    padded(out, u32::from(m.month()), 2);
    out.push(b'"');
}

/// Appends `"YYYY-MM-DD"`.
pub(crate) fn date(out: &mut Vec<u8>, d: Date) {
    out.push(b'"');
    padded(out, d.year().clamp(0, 9999).unsigned_abs(), 4);
    out.push(b'-');
    padded(out, u32::from(u8::from(d.month())), 2);
    out.push(b'-');
    padded(out, u32::from(d.day()), 2);
    out.push(b'"');
}

/// Appends a JSON string (quoted, escaped).
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail, nor can serializing a string.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Appends any value as `serde_json` writes it (for enums and other rare values).
pub(crate) fn value<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing into a Vec cannot fail; the values passed here always serialize.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Appends `,"name":` (or `"name":` after an opening brace when `first`).
pub(crate) fn key(out: &mut Vec<u8>, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn numbers_dates_and_strings_are_written_as_serde_json_writes_them() {
        for v in [0, 7, -7, 1_234_567, i64::MIN, i64::MAX] {
            assert_eq!(text(|o| int(o, v)), v.to_string());
        }
        let d = time::macros::date!(2024 - 02 - 09);
        assert_eq!(text(|o| date(o, d)), "\"2024-02-09\"");
        assert_eq!(text(|o| month(o, YearMonth::of(d))), "\"2024-02\"");
        for s in ["HB0000000001", "张三", "a\"b\\c\n", ""] {
            assert_eq!(text(|o| string(o, s)), serde_json::to_string(s).expect("json"));
        }
    }
}
