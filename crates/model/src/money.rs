//! Money: integer minor units (fen, cents) with an ISO 4217 currency.
//!
//! Amounts are plain `i64` fields named `*_minor` in the currency of their account; there is no
//! floating point anywhere money is stored or summed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 alphabetic currency code: three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan renminbi.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses three upper-case ASCII letters.
    pub fn parse(s: &str) -> Option<Currency> {
        let b: [u8; 3] = s.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_uppercase).then_some(Currency(b))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII letters, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (2 for every currency this system expects; 0 for JPY, KRW).
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" => 0,
            _ => 2,
        }
    }

    /// Formats minor units as a decimal amount, e.g. `123456` CNY as `1234.56`.
    pub fn format_minor(&self, amount_minor: i64) -> String {
        let digits = self.minor_digits();
        if digits == 0 {
            return amount_minor.to_string();
        }
        let scale = 10i64.pow(digits);
        let sign = if amount_minor < 0 { "-" } else { "" };
        let abs = amount_minor.unsigned_abs();
        let scale_u = scale.unsigned_abs();
        format!("{sign}{}.{:0width$}", abs / scale_u, abs % scale_u, width = digits as usize)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s).ok_or_else(|| "a currency is three upper-case letters (ISO 4217)".to_owned())
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

/// In the OpenAPI document: a string of three upper-case letters, as it is serialized.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{3}$"))
            .description(Some("ISO 4217 alphabetic currency code."))
            .examples(["CNY"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(Currency::CNY.format_minor(123456), "1234.56");
        assert_eq!(Currency::CNY.format_minor(5), "0.05");
        assert_eq!(Currency::USD.format_minor(-250), "-2.50");
        assert_eq!(Currency::parse("JPY").map(|c| c.format_minor(300)), Some("300".to_owned()));
        assert_eq!(Currency::parse("cny"), None);
    }
}
