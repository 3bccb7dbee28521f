//! Validation errors with a stable code and the field they concern.

use std::fmt;

/// A stable, documented error code. Codes never change meaning; new ones are only added.
/// They appear in feedback files, CLI output and (later) the HTTP error envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// The line is not valid JSON, or not UTF-8.
    JsonSyntax,
    /// The line is longer than [`crate::limits::LINE_BYTES_MAX`].
    LineTooLong,
    /// The `kind` is missing or unknown.
    UnknownKind,
    /// A required field is missing.
    FieldMissing,
    /// A field has the wrong JSON type or an unparsable value.
    FieldInvalid,
    /// A field is not part of the format (and is not a banned one).
    FieldUnknown,
    /// A field that must never be collected: purchase details or a banned category.
    FieldBanned,
    /// A text field is longer than its limit.
    FieldTooLong,
    /// A number is outside its range.
    OutOfRange,
    /// A date is not a real date, outside 1901–2099, or in the future.
    DateInvalid,
    /// An identity document number fails its format or check digit.
    DocumentInvalid,
    /// The file's header line is missing, not first, or names an unsupported format version.
    HeaderInvalid,
    /// The file holds more records than [`crate::limits::RECORDS_PER_BATCH_MAX`].
    BatchTooLarge,
    /// A report date (month, settlement date) falls before the account was opened.
    BeforeOpening,
    /// The same account-month appears twice in one batch; the later one is rejected.
    MonthDuplicate,
    /// The repayment status does not agree with days past due, balance or past-due amount.
    StatusInconsistent,
    /// The used amount is unreasonably far above the credit limit.
    UsedOverLimit,
    /// Dates inside a record are out of order (e.g. expiry before grant, closing before opening).
    DateOrder,
    /// No active reporting consent by this person for this furnisher on the record's date.
    NoConsent,
    /// The document is known under a different name or birth date: a possible mixed file.
    IdentityConflict,
    /// The account key belongs to another furnisher.
    NotOwnAccount,
    /// A month record names an account that was never opened with an `account` record.
    UnknownAccount,
    /// An account record contradicts the stored account in a field that cannot change.
    AccountConflict,
    /// A first negative month without a prior notice to the person.
    NoNotice,
    /// The item was deleted after a dispute; it comes back only if the furnisher certifies it.
    DisputeDeleted,
    /// A consent the person revoked, sent again (the same signed authorization, or one granted
    /// on or before the revocation for the same scope and purpose): only a new authorization,
    /// signed after the revocation, is taken.
    ConsentRevoked,
    /// A code of a furnisher format's own validator (e.g. Metro 2's `M2_…` codes), kept as is.
    Format(&'static str),
}

impl Code {
    /// Every code, for documentation and tests.
    pub const ALL: [Code; 26] = [
        Code::JsonSyntax,
        Code::LineTooLong,
        Code::UnknownKind,
        Code::FieldMissing,
        Code::FieldInvalid,
        Code::FieldUnknown,
        Code::FieldBanned,
        Code::FieldTooLong,
        Code::OutOfRange,
        Code::DateInvalid,
        Code::DocumentInvalid,
        Code::HeaderInvalid,
        Code::BatchTooLarge,
        Code::BeforeOpening,
        Code::MonthDuplicate,
        Code::StatusInconsistent,
        Code::UsedOverLimit,
        Code::DateOrder,
        Code::NoConsent,
        Code::IdentityConflict,
        Code::NotOwnAccount,
        Code::UnknownAccount,
        Code::AccountConflict,
        Code::NoNotice,
        Code::DisputeDeleted,
        Code::ConsentRevoked,
    ];

    /// The code as written in files and output, e.g. `NO_CONSENT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::JsonSyntax => "JSON_SYNTAX",
            Code::LineTooLong => "LINE_TOO_LONG",
            Code::UnknownKind => "UNKNOWN_KIND",
            Code::FieldMissing => "FIELD_MISSING",
            Code::FieldInvalid => "FIELD_INVALID",
            Code::FieldUnknown => "FIELD_UNKNOWN",
            Code::FieldBanned => "FIELD_BANNED",
            Code::FieldTooLong => "FIELD_TOO_LONG",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::DateInvalid => "DATE_INVALID",
            Code::DocumentInvalid => "DOCUMENT_INVALID",
            Code::HeaderInvalid => "HEADER_INVALID",
            Code::BatchTooLarge => "BATCH_TOO_LARGE",
            Code::BeforeOpening => "BEFORE_OPENING",
            Code::MonthDuplicate => "MONTH_DUPLICATE",
            Code::StatusInconsistent => "STATUS_INCONSISTENT",
            Code::UsedOverLimit => "USED_OVER_LIMIT",
            Code::DateOrder => "DATE_ORDER",
            Code::NoConsent => "NO_CONSENT",
            Code::IdentityConflict => "IDENTITY_CONFLICT",
            Code::NotOwnAccount => "NOT_OWN_ACCOUNT",
            Code::UnknownAccount => "UNKNOWN_ACCOUNT",
            Code::AccountConflict => "ACCOUNT_CONFLICT",
            Code::NoNotice => "NO_NOTICE",
            Code::DisputeDeleted => "DISPUTE_DELETED",
            Code::ConsentRevoked => "CONSENT_REVOKED",
            Code::Format(code) => code,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field of one record. The message never contains a whole ID number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} at {field}: {message}")]
pub struct FieldError {
    /// What went wrong.
    pub code: Code,
    /// The field's path within the record, e.g. `subject.document.number`; empty for the whole record.
    pub field: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    /// Builds an error.
    pub fn new(code: Code, field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { code, field: field.into(), message: message.into() }
    }
}
