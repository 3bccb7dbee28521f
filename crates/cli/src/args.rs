//! Parsers of command-line values shared by the subcommands (clap `value_parser`s).

use ob_model::{DocumentType, QueryReason, YearMonth};

/// `YYYY-MM`.
pub fn month(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse(s).ok_or_else(|| "a month is YYYY-MM".to_owned())
}

/// `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| "a date is YYYY-MM-DD".to_owned())
}

/// A document type as written in files.
pub fn doc_type(s: &str) -> Result<DocumentType, String> {
    DocumentType::parse(s).ok_or_else(|| "one of prc_resident_id, passport, us_ssn".to_owned())
}

/// A query reason an organization may give (not the person's self-query).
pub fn reason(s: &str) -> Result<QueryReason, String> {
    QueryReason::parse(s)
        .filter(|r| *r != QueryReason::SelfQuery)
        .ok_or_else(|| "a query reason code such as 01, 02, 03".to_owned())
}
