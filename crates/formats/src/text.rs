//! Parsing of the scalar text forms shared by the formats: dates, months, hex digests.

use ob_model::{Code, FieldError, YearMonth, limits};
use time::{Date, Month};

/// Parses `YYYY-MM-DD` within the years the system accepts.
pub(crate) fn date(field: &str, s: &str) -> Result<Date, FieldError> {
    let bad = || FieldError::new(Code::DateInvalid, field, "a date is written YYYY-MM-DD, a real day in 1901–2099");
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r.clone()].iter().all(u8::is_ascii_digit).then(|| s[r].parse().ok()).flatten()
    };
    let (y, m, d) = (num(0..4).ok_or_else(bad)?, num(5..7).ok_or_else(bad)?, num(8..10).ok_or_else(bad)?);
    let year = i32::try_from(y).map_err(|_| bad())?;
    if !(limits::YEAR_MIN..=limits::YEAR_MAX).contains(&year) {
        return Err(bad());
    }
    let month = u8::try_from(m).ok().and_then(|m| Month::try_from(m).ok()).ok_or_else(bad)?;
    let day = u8::try_from(d).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// Parses `YYYY-MM`.
pub(crate) fn month(field: &str, s: &str) -> Result<YearMonth, FieldError> {
    YearMonth::parse(s)
        .ok_or_else(|| FieldError::new(Code::DateInvalid, field, "a month is written YYYY-MM, 1901–2099"))
}

/// Parses 64 hexadecimal digits into a SHA-256 digest.
pub(crate) fn sha256_hex(field: &str, s: &str) -> Result<[u8; 32], FieldError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out)
        .map_err(|_| FieldError::new(Code::FieldInvalid, field, "a SHA-256 digest is 64 hexadecimal digits"))?;
    Ok(out)
}

/// Formats a date as `YYYY-MM-DD`.
pub(crate) fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date("f", "2024-02-29").map(date_text).as_deref(), Ok("2024-02-29"));
        for bad in ["2023-02-29", "2024-2-01", "1899-01-01", "2024-13-01", "abcd-01-01", "2024-01-01x", "+024-01-01"] {
            assert_eq!(date("f", bad).map_err(|e| e.code), Err(Code::DateInvalid), "{bad}");
        }
    }
}
