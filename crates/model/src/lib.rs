//! OpenBureau's domain model: the types every other crate speaks.
//!
//! This crate does no I/O. It holds the code lists of the PBOC-style credit report (account types,
//! repayment status symbols, the five-level classification, query reasons), identity documents
//! with their check-digit rules, money in integer minor units, calendar months, the records a
//! furnisher sends, and — in [`limits`] — every bound the system enforces.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod codes;
pub mod error;
pub mod identity;
pub mod limits;
pub mod minimization;
pub mod money;
pub mod month;
pub mod policy;
pub mod records;

pub use codes::{
    AccountState, AccountType, AgreementKind, Classification, ConsentScope, DisputeState, DisputeType, FlagKind,
    GuaranteeMode, InstitutionType, LoanKind, NoticeChannel, QueryReason, RepayFrequency, RepaymentMethod,
    RepaymentStatus, Responsibility, SpecialKind, StatementType,
};
pub use error::{Code, FieldError};
pub use identity::{DocumentNumber, DocumentType};
pub use money::Currency;
pub use month::YearMonth;

/// Whether `code` may be an organization's code: 1 to [`limits::ORG_CODE_CHARS_MAX`] ASCII
/// letters, digits, `_` or `-` (what files carry: PBOC institution codes, Metro 2 identifiers).
pub fn is_org_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= limits::ORG_CODE_CHARS_MAX
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
