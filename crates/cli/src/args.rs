//! Parsers of command-line values shared by the subcommands (clap `value_parser`s).

use clap::builder::RangedU64ValueParser;
use ob_model::{DocumentType, QueryReason, YearMonth};

/// A count of simulated months: 1 to the simulator's maximum.
pub fn months() -> RangedU64ValueParser<u32> {
    RangedU64ValueParser::<u32>::new().range(1..=u64::from(ob_sim::params::MONTHS_MAX))
}

/// A rate per million: 0 to 1,000,000.
pub fn per_million() -> RangedU64ValueParser<u32> {
    RangedU64ValueParser::<u32>::new().range(0..=1_000_000)
}

/// `YYYY-MM`.
pub fn month(s: &str) -> Result<YearMonth, String> {
    YearMonth::parse(s).ok_or_else(|| format!("`{s}` is not a month; write YYYY-MM, e.g. 2025-06"))
}

/// `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("`{s}` is not a date; write YYYY-MM-DD, e.g. 2025-06-30"))
}

/// A document type as written in files.
pub fn doc_type(s: &str) -> Result<DocumentType, String> {
    DocumentType::parse(s)
        .ok_or_else(|| format!("`{s}` is not a document type; use one of prc_resident_id, passport, us_ssn"))
}

/// A query reason an organization may give (not the person's self-query).
pub fn reason(s: &str) -> Result<QueryReason, String> {
    QueryReason::parse(s)
        .filter(|r| *r != QueryReason::SelfQuery)
        .ok_or_else(|| format!("`{s}` is not a reason an organization may give; use a query reason code such as 01 (post-loan), 02 (loan approval), 03 (card approval)"))
}

/// An institution's kind (机构类型): its two-digit code.
pub fn institution_type(s: &str) -> Result<ob_model::InstitutionType, String> {
    ob_model::InstitutionType::parse(s).ok_or_else(|| {
        let codes: Vec<String> =
            ob_model::InstitutionType::ALL.iter().map(|t| format!("{} ({})", t.as_str(), t.title().1)).collect();
        format!("`{s}` is not an institution type; use one of {}", codes.join(", "))
    })
}

/// A document number of the given type. The error names the type tried and, when the number is a
/// valid document of another type, the `--doc-type` that would read it; it never repeats the number.
pub fn document(doc_type: DocumentType, raw: &str) -> Result<ob_model::DocumentNumber, crate::Failure> {
    ob_model::DocumentNumber::parse(doc_type, raw).map_err(|e| {
        let other = DocumentType::ALL
            .into_iter()
            .filter(|t| *t != doc_type && *t != DocumentType::Passport)
            .find(|t| ob_model::DocumentNumber::parse(*t, raw).is_ok());
        let hint = match other {
            Some(t) => format!("; it reads as a valid {}: add --doc-type {}", t.title().1, t.as_str()),
            None => format!(
                "; other document types: --doc-type {}",
                DocumentType::ALL.iter().filter(|t| **t != doc_type).map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        crate::usage(format!(
            "--doc-number is not a valid {} (--doc-type {}): {e}{hint}",
            doc_type.title().1,
            doc_type.as_str()
        ))
    })
}
