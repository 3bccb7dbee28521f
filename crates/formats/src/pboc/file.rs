//! The file name convention and the 50-character `A050` header line.
//!
//! Name: institution code (14) + date `yyyyMMdd` + record type (3) + `0` + serial (3) + feedback
//! flag (`0` upload; `1`, `2`, `3` feedback), 30 characters, optionally followed by an extension.
//!
//! Header (OpenBureau's layout within the 50 characters; 1-based columns):
//!
//! | columns | width | content |
//! |---|---|---|
//! | 1–4 | 4 | `A050`: header tag and header length |
//! | 5–7 | 3 | record type of every record in the file (`210`…) |
//! | 8–12 | 5 | version `2.0.0` |
//! | 13–26 | 14 | institution code |
//! | 27–40 | 14 | creation time `yyyyMMddHHmmss` |
//! | 41–50 | 10 | record count, zero-padded |

use super::codes::{ErrorCode, RecordType};
use super::{HEADER_CHARS, HEADER_TAG, VERSION, parse::is_org_code};
use ob_model::{FieldError, limits};
use std::fmt;
use time::{Date, Month, PrimitiveDateTime, Time};

/// Characters of a file name without extension.
pub const FILE_NAME_CHARS: usize = 30;
/// Digits of the record count in the header.
const COUNT_DIGITS: usize = 10;

/// What a file is: an upload, or one of the feedback kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedbackFlag {
    /// `0`: an institution's upload.
    Upload,
    /// `1`: record feedback (the one OpenBureau writes).
    Feedback,
    /// `2`: a feedback kind OpenBureau reads in names but does not produce.
    Feedback2,
    /// `3`: a feedback kind OpenBureau reads in names but does not produce.
    Feedback3,
}

impl FeedbackFlag {
    /// The flag's digit.
    pub fn as_char(self) -> char {
        match self {
            FeedbackFlag::Upload => '0',
            FeedbackFlag::Feedback => '1',
            FeedbackFlag::Feedback2 => '2',
            FeedbackFlag::Feedback3 => '3',
        }
    }

    fn parse(c: u8) -> Option<FeedbackFlag> {
        Some(match c {
            b'0' => FeedbackFlag::Upload,
            b'1' => FeedbackFlag::Feedback,
            b'2' => FeedbackFlag::Feedback2,
            b'3' => FeedbackFlag::Feedback3,
            _ => return None,
        })
    }
}

/// A file name, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName {
    /// Institution code, 14 characters.
    pub institution: String,
    /// The file's date.
    pub date: Date,
    /// The record type of every record in it.
    pub record_type: RecordType,
    /// Serial number of the day, 0–999.
    pub serial: u16,
    /// Upload or feedback.
    pub flag: FeedbackFlag,
}

fn name_error(message: &str) -> FieldError {
    FieldError::new(ErrorCode::FileName.code(), "file_name", message)
}

fn header_error(message: &str) -> FieldError {
    FieldError::new(ErrorCode::Header.code(), "header", message)
}

fn digits(b: &[u8]) -> Option<u32> {
    (!b.is_empty() && b.len() <= 9 && b.iter().all(u8::is_ascii_digit))
        .then(|| b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `yyyyMMdd` within 1901–2099.
fn date8(b: &[u8]) -> Option<Date> {
    let (y, m, d) = (digits(b.get(..4)?)?, digits(b.get(4..6)?)?, digits(b.get(6..8)?)?);
    let year = i32::try_from(y).ok().filter(|y| (limits::YEAR_MIN..=limits::YEAR_MAX).contains(y))?;
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(d).ok()?).ok()
}

fn ymd(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

impl FileName {
    /// Parses a name (a path's last component; an extension such as `.txt` is ignored).
    pub fn parse(name: &str) -> Result<FileName, FieldError> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = base.split_once('.').map_or(base, |(s, _)| s);
        if stem.len() != FILE_NAME_CHARS {
            return Err(name_error("a file name has 30 characters before any extension"));
        }
        let part = |r: std::ops::Range<usize>| stem.get(r).unwrap_or_default();
        let institution = Some(part(0..14)).filter(|s| is_org_code(s)).ok_or_else(|| name_error("institution code"))?;
        let date = date8(part(14..22).as_bytes()).ok_or_else(|| name_error("date (yyyyMMdd, 1901–2099)"))?;
        let record_type = RecordType::parse(part(22..25)).ok_or_else(|| name_error("record type"))?;
        if part(25..26) != "0" {
            return Err(name_error("the character after the record type is 0"));
        }
        let serial = digits(part(26..29).as_bytes()).and_then(|s| u16::try_from(s).ok());
        let serial = serial.filter(|_| part(26..29).len() == 3).ok_or_else(|| name_error("serial"))?;
        let flag = part(29..30).bytes().next().and_then(FeedbackFlag::parse);
        let flag = flag.ok_or_else(|| name_error("feedback flag (0, 1, 2 or 3)"))?;
        Ok(FileName { institution: institution.to_owned(), date, record_type, serial, flag })
    }

    /// The name of the feedback file answering this one.
    pub fn feedback(&self) -> FileName {
        FileName { flag: FeedbackFlag::Feedback, ..self.clone() }
    }

    /// Whether a header agrees with the name (record type and institution).
    pub fn check_header(&self, header: &Header) -> Result<(), FieldError> {
        if header.record_type != self.record_type || header.institution != self.institution {
            let m = "the file name and the header name another record type or institution";
            return Err(FieldError::new(ErrorCode::NameMismatch.code(), "header", m));
        }
        Ok(())
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = self.flag.as_char();
        write!(f, "{}{}{}0{:03}{flag}", self.institution, ymd(self.date), self.record_type, self.serial)
    }
}

/// The header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The record type of every record in the file.
    pub record_type: RecordType,
    /// The institution that made the file.
    pub institution: String,
    /// When it was made.
    pub created: PrimitiveDateTime,
    /// How many records follow.
    pub count: u64,
}

impl Header {
    /// Parses the header line (without its line break).
    pub fn parse(line: &[u8]) -> Result<Header, FieldError> {
        let text = std::str::from_utf8(line).map_err(|_| header_error("the header line is ASCII"))?;
        if text.len() != HEADER_CHARS {
            return Err(header_error("the header line has exactly 50 characters"));
        }
        let part = |r: std::ops::Range<usize>| text.get(r).unwrap_or_default();
        if part(0..4) != HEADER_TAG {
            return Err(header_error("the header line starts with A050"));
        }
        let record_type = RecordType::parse(part(4..7)).ok_or_else(|| header_error("record type"))?;
        if part(7..12) != VERSION {
            return Err(header_error("version 2.0.0"));
        }
        let institution = Some(part(12..26)).filter(|s| is_org_code(s)).ok_or_else(|| header_error("institution"))?;
        let created = stamp(part(26..40).as_bytes()).ok_or_else(|| header_error("creation time yyyyMMddHHmmss"))?;
        let count = Some(part(40..50))
            .filter(|c| c.len() == 10)
            .and_then(|c| c.bytes().try_fold(0u64, |n, d| d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))))
            .ok_or_else(|| header_error("record count, 10 digits"))?;
        Ok(Header { record_type, institution: institution.to_owned(), created, count })
    }

    /// The header line, 50 characters, without a line break. Fails when a field does not fit.
    pub fn line(&self) -> Result<String, FieldError> {
        if !is_org_code(&self.institution) {
            return Err(header_error("the institution code is 14 upper-case letters and digits"));
        }
        if self.count >= 10u64.pow(COUNT_DIGITS as u32) {
            return Err(header_error("the record count has at most 10 digits"));
        }
        let d = self.created;
        if !(limits::YEAR_MIN..=limits::YEAR_MAX).contains(&d.year()) {
            return Err(header_error("the creation time is in 1901–2099"));
        }
        let time = format!("{}{:02}{:02}{:02}", ymd(d.date()), d.hour(), d.minute(), d.second());
        let line = format!("{HEADER_TAG}{}{VERSION}{}{time}{:010}", self.record_type, self.institution, self.count);
        debug_assert_eq!(line.len(), HEADER_CHARS);
        Ok(line)
    }
}

/// `yyyyMMddHHmmss`.
fn stamp(b: &[u8]) -> Option<PrimitiveDateTime> {
    let date = date8(b.get(..8)?)?;
    let part = |r: std::ops::Range<usize>| b.get(r).and_then(digits).and_then(|v| u8::try_from(v).ok());
    let time = Time::from_hms(part(8..10)?, part(10..12)?, part(12..14)?).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn names_round_trip_and_refuse_bad_parts() {
        let good = "B1234567890ABC2024022921000010";
        let name = FileName::parse(&format!("dir/{good}.txt")).unwrap();
        assert_eq!(name.record_type, RecordType::Account);
        assert_eq!((name.serial, name.flag), (1, FeedbackFlag::Upload));
        assert_eq!(name.to_string(), good);
        assert_eq!(name.feedback().to_string(), "B1234567890ABC2024022921000011");
        let bad = |at: usize, with: &str| format!("{}{with}{}", &good[..at], &good[at + with.len()..]);
        for bad in
            [bad(0, "b"), bad(20, "30"), bad(22, "999"), bad(25, "1"), bad(29, "4"), bad(28, "A"), good[1..].to_owned()]
        {
            assert!(FileName::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_layout() {
        let h = Header {
            record_type: RecordType::Account,
            institution: "B1234567890ABC".into(),
            created: datetime!(2024-03-01 08:30:05),
            count: 42,
        };
        let line = h.line().unwrap();
        assert_eq!(line, "A0502102.0.0B1234567890ABC202403010830050000000042");
        assert_eq!(Header::parse(line.as_bytes()), Ok(h));
        for bad in [
            "A0502102.0.0B1234567890ABC20240301083005000000004",
            "A0512102.0.0B1234567890ABC202403010830050000000042",
            "A0502102.1.0B1234567890ABC202403010830050000000042",
            "A0502102.0.0B1234567890ABC202403010860050000000042",
            "A0502102.0.0B1234567890ABC2024030108300500000000x2",
        ] {
            assert!(Header::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
