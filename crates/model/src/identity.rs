//! Identity documents: PRC resident ID (with its ISO 7064 MOD 11-2 check digit), passport, US SSN.
//!
//! A [`DocumentNumber`] can only be built through [`DocumentNumber::parse`], so holding one means
//! the number is well formed and normalized. Its `Debug` and `Display` show only a masked form:
//! whole ID numbers must never reach logs or error messages.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// The kind of identity document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// PRC resident identity card (居民身份证), 18 characters.
    PrcResidentId,
    /// Passport: 5–20 letters and digits.
    Passport,
    /// US Social Security number, 9 digits.
    UsSsn,
}

impl DocumentType {
    /// Every document type.
    pub const ALL: [DocumentType; 3] = [DocumentType::PrcResidentId, DocumentType::Passport, DocumentType::UsSsn];

    /// The name used in files (`prc_resident_id`, `passport`, `us_ssn`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::PrcResidentId => "prc_resident_id",
            DocumentType::Passport => "passport",
            DocumentType::UsSsn => "us_ssn",
        }
    }

    /// Parses a name as written in files.
    pub fn parse(s: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Chinese and English name, for reports.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            DocumentType::PrcResidentId => ("居民身份证", "PRC resident ID"),
            DocumentType::Passport => ("护照", "passport"),
            DocumentType::UsSsn => ("美国社会安全号", "US SSN"),
        }
    }
}

/// A validated, normalized identity document number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber {
    doc_type: DocumentType,
    number: String,
}

/// Why a document number was refused. Messages never repeat the number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Wrong length or characters.
    #[error("{0}")]
    Format(&'static str),
    /// The PRC resident ID's last character is not the ISO 7064 MOD 11-2 check character.
    #[error("check digit does not match (ISO 7064 MOD 11-2)")]
    CheckDigit,
    /// The PRC resident ID's province code does not exist.
    #[error("unknown province code")]
    Region,
    /// The PRC resident ID's embedded birth date is not a real date.
    #[error("embedded birth date is not a real date")]
    BirthDate,
}

/// Weights of ISO 7064 MOD 11-2 as used by GB 11643-1999 for the first 17 digits.
const PRC_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum modulo 11.
const PRC_CHECK: [u8; 11] = *b"10X98765432";
/// The province-level codes (first two digits) of GB/T 2260.
const PRC_PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// The check character for the first 17 digits of a PRC resident ID.
///
/// Returns `None` unless `first17` is exactly 17 ASCII digits.
pub fn prc_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17.iter().zip(PRC_WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(char::from(PRC_CHECK[(sum % 11) as usize]))
}

/// Whether `code` is a PRC province-level region code.
pub fn is_prc_province(code: u8) -> bool {
    PRC_PROVINCES.contains(&code)
}

impl DocumentNumber {
    /// Validates and normalizes a number of the given type (upper case; SSN dashes removed).
    pub fn parse(doc_type: DocumentType, raw: &str) -> Result<DocumentNumber, DocumentError> {
        let raw = raw.trim();
        let number = match doc_type {
            DocumentType::PrcResidentId => parse_prc(raw)?,
            DocumentType::Passport => parse_passport(raw)?,
            DocumentType::UsSsn => parse_ssn(raw)?,
        };
        Ok(DocumentNumber { doc_type, number })
    }

    /// The document type.
    pub fn doc_type(&self) -> DocumentType {
        self.doc_type
    }

    /// The whole normalized number. Handle with care: encrypt it, hash it, never log it.
    pub fn expose(&self) -> &str {
        &self.number
    }

    /// A masked form safe for screens and logs, e.g. `110***********123X`.
    pub fn masked(&self) -> String {
        let (keep_head, keep_tail) = match self.doc_type {
            DocumentType::PrcResidentId => (3, 4),
            DocumentType::Passport => (1, 3),
            DocumentType::UsSsn => (0, 4),
        };
        let n = self.number.len();
        self.number.char_indices().map(|(i, c)| if i < keep_head || i >= n - keep_tail { c } else { '*' }).collect()
    }

    /// For a PRC resident ID, the birth date it carries.
    pub fn prc_birth_date(&self) -> Option<Date> {
        (self.doc_type == DocumentType::PrcResidentId).then(|| prc_birth_date(self.number.as_bytes())).flatten()
    }

    /// For a PRC resident ID, whether the holder is registered male (odd 17th digit).
    pub fn prc_is_male(&self) -> Option<bool> {
        (self.doc_type == DocumentType::PrcResidentId).then(|| (self.number.as_bytes()[16] - b'0') % 2 == 1)
    }
}

impl fmt::Debug for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentNumber({}, {})", self.doc_type.as_str(), self.masked())
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

fn parse_prc(raw: &str) -> Result<String, DocumentError> {
    let upper = raw.to_ascii_uppercase();
    let b = upper.as_bytes();
    if b.len() != 18 {
        return Err(DocumentError::Format("a PRC resident ID has 18 characters"));
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(DocumentError::Format("a PRC resident ID is 17 digits and a digit or X"));
    }
    if !is_prc_province((b[0] - b'0') * 10 + (b[1] - b'0')) {
        return Err(DocumentError::Region);
    }
    prc_birth_date(b).ok_or(DocumentError::BirthDate)?;
    if prc_check_char(&b[..17]) != Some(char::from(b[17])) {
        return Err(DocumentError::CheckDigit);
    }
    Ok(upper)
}

fn digits(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

fn prc_birth_date(b: &[u8]) -> Option<Date> {
    let year = i32::try_from(digits(&b[6..10])).ok()?;
    let month = Month::try_from(u8::try_from(digits(&b[10..12])).ok()?).ok()?;
    let day = u8::try_from(digits(&b[12..14])).ok()?;
    if !(crate::limits::YEAR_MIN..=crate::limits::YEAR_MAX).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, month, day).ok()
}

fn parse_passport(raw: &str) -> Result<String, DocumentError> {
    let upper = raw.to_ascii_uppercase();
    if !(5..=20).contains(&upper.len()) || !upper.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(DocumentError::Format("a passport number is 5 to 20 letters and digits"));
    }
    Ok(upper)
}

fn parse_ssn(raw: &str) -> Result<String, DocumentError> {
    let plain: String = raw.chars().filter(|c| *c != '-').collect();
    let b = plain.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return Err(DocumentError::Format("a US SSN is 9 digits"));
    }
    let (area, group, serial) = (digits(&b[..3]), digits(&b[3..5]), digits(&b[5..]));
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return Err(DocumentError::Format("not an SSN that can be issued"));
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(doc_type: DocumentType, raw: &str, expect: Result<&str, DocumentError>) {
        let got = DocumentNumber::parse(doc_type, raw).map(|d| d.masked());
        assert_eq!(got.as_deref().map_err(Clone::clone), expect, "{raw}");
    }

    #[test]
    fn prc_resident_ids() {
        // The GB 11643-1999 standard's worked example.
        check(DocumentType::PrcResidentId, "11010519491231002X", Ok("110***********002X"));
        check(DocumentType::PrcResidentId, "11010519491231002x", Ok("110***********002X"));
        check(DocumentType::PrcResidentId, "110105194912310021", Err(DocumentError::CheckDigit));
        check(DocumentType::PrcResidentId, "99010519491231002X", Err(DocumentError::Region));
        check(DocumentType::PrcResidentId, "110105194902300020", Err(DocumentError::BirthDate));
        assert!(DocumentNumber::parse(DocumentType::PrcResidentId, "1101051949").is_err());
    }

    #[test]
    fn prc_birth_and_gender() {
        let d = DocumentNumber::parse(DocumentType::PrcResidentId, "11010519491231002X").unwrap();
        assert_eq!(d.prc_birth_date(), Some(time::macros::date!(1949 - 12 - 31)));
        assert_eq!(d.prc_is_male(), Some(false));
    }

    #[test]
    fn ssns_and_passports() {
        check(DocumentType::UsSsn, "123-45-6789", Ok("*****6789"));
        assert!(DocumentNumber::parse(DocumentType::UsSsn, "666-45-6789").is_err());
        assert!(DocumentNumber::parse(DocumentType::UsSsn, "123-00-6789").is_err());
        check(DocumentType::Passport, "e12345678", Ok("E*****678"));
        assert!(DocumentNumber::parse(DocumentType::Passport, "E12-345").is_err());
    }

    #[test]
    fn debug_never_shows_the_number() {
        let d = DocumentNumber::parse(DocumentType::PrcResidentId, "11010519491231002X").unwrap();
        assert!(!format!("{d:?} {d}").contains("11010519491231002X"));
    }
}
