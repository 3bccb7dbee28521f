//! Calendar months (year + month), the unit of account performance.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// A calendar month. Ordered; `index` counts months since year 0 so arithmetic is plain integers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    index: i32,
}

impl YearMonth {
    /// The earliest month the system accepts (January 1901).
    pub const MIN: YearMonth = YearMonth { index: crate::limits::YEAR_MIN * 12 };
    /// The latest month the system accepts (December 2099).
    pub const MAX: YearMonth = YearMonth { index: crate::limits::YEAR_MAX * 12 + 11 };

    /// The month of `year`-`month` (1–12); `None` when out of range.
    pub fn new(year: i32, month: u8) -> Option<YearMonth> {
        if !(1..=12).contains(&month) || !(crate::limits::YEAR_MIN..=crate::limits::YEAR_MAX).contains(&year) {
            return None;
        }
        Some(YearMonth { index: year * 12 + i32::from(month) - 1 })
    }

    /// The month a date falls in.
    pub fn of(date: Date) -> YearMonth {
        YearMonth { index: date.year() * 12 + i32::from(u8::from(date.month())) - 1 }
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<YearMonth> {
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return None;
        }
        YearMonth::new(s[..4].parse().ok()?, s[5..].parse().ok()?)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.index.div_euclid(12)
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        // rem_euclid(12) is in 0..12, so the cast is exact.
        (self.index.rem_euclid(12) + 1) as u8
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> YearMonth {
        YearMonth { index: self.index + n }
    }

    /// Months from `earlier` to `self` (negative when `earlier` is later).
    pub fn months_since(self, earlier: YearMonth) -> i32 {
        self.index - earlier.index
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        self.day(1)
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        self.plus(1).first_day().previous_day().unwrap_or(Date::MAX)
    }

    /// Day `day` of the month, clamped to the month's length.
    pub fn day(self, day: u8) -> Date {
        let month = Month::try_from(self.month()).unwrap_or(Month::January);
        let last = time::util::days_in_month(month, self.year());
        Date::from_calendar_date(self.year(), month, day.clamp(1, last)).unwrap_or(Date::MIN)
    }

    /// The month as `yyyymm`, the form stored in databases (e.g. `202403`).
    pub fn yyyymm(self) -> u32 {
        // Years are bounded by YEAR_MIN..=YEAR_MAX at construction, so this is positive.
        self.year().unsigned_abs() * 100 + u32::from(self.month())
    }

    /// Inverse of [`YearMonth::yyyymm`].
    pub fn from_yyyymm(v: u32) -> Option<YearMonth> {
        YearMonth::new(i32::try_from(v / 100).ok()?, u8::try_from(v % 100).ok()?)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        YearMonth::parse(&s).ok_or_else(|| "a month is written YYYY-MM, years 1901–2099".to_owned())
    }
}

impl From<YearMonth> for String {
    fn from(m: YearMonth) -> String {
        m.to_string()
    }
}

/// In the OpenAPI document: a `YYYY-MM` string, as it is serialized.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for YearMonth {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"))
            .description(Some("A calendar month, `YYYY-MM` (years 1901–2099)."))
            .examples(["2024-05"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for YearMonth {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn arithmetic() {
        let m = YearMonth::parse("2024-12").unwrap();
        assert_eq!(m.plus(1).to_string(), "2025-01");
        assert_eq!(m.plus(-12).to_string(), "2023-12");
        assert_eq!(YearMonth::parse("2024-02").unwrap().last_day(), time::macros::date!(2024 - 02 - 29));
        assert_eq!(m.yyyymm(), 202412);
        assert_eq!(YearMonth::parse("2024-13"), None);
        assert_eq!(YearMonth::parse("24-01"), None);
    }

    proptest! {
        #[test]
        fn text_and_yyyymm_round_trip(year in 1901i32..=2099, month in 1u8..=12) {
            let m = YearMonth::new(year, month).unwrap();
            prop_assert_eq!(YearMonth::parse(&m.to_string()), Some(m));
            prop_assert_eq!(YearMonth::from_yyyymm(m.yyyymm()), Some(m));
            prop_assert_eq!(YearMonth::of(m.last_day()), m);
        }
    }
}
