//! PBOC-style reporting messages (docs/formats/pboc.md), modelled on the second-generation
//! interface of the PBOC credit reference system as far as public sources describe it; the
//! normative specification is not public, so this is "PBOC-style", not certified.
//!
//! A file is named `institution(14) date(8) type(3) 0 serial(3) flag(1)` ([`FileName`]), starts
//! with a 50-character `A050` header line ([`Header`]) and holds one `<Document>` XML record per
//! line, all of the header's record type ([`RecordType`]).
//!
//! - [`Reader`] streams a file line by line (memory bounded by [`LINE_BYTES_MAX`]), yielding per
//!   record the typed [`PbocRecord`] or every problem found in it, and checks the header's count.
//! - [`validate`] / [`validate_each`] read a whole file and apply the mapping onto the model too,
//!   giving a [`FeedbackRecord`] per rejected record.
//! - [`Writer`] writes records; [`FeedbackWriter`] and [`feedback_file`] write feedback.
//! - [`to_model`] maps records onto OpenBureau's model and back.
//!
//! Every problem is an [`ob_model::FieldError`] whose code is `Code::Format("ABE108")`-style, so
//! the bureau's JSON-lines feedback carries the same six-character codes ([`ErrorCode`]).

mod codes;
mod feedback;
mod file;
mod parse;
mod reader;
mod record;
mod rules;
pub mod to_model;
mod write;
mod xml;

pub use codes::{
    AgreementStatus, BusinessLine, ErrorCode, EventType, GuaranteeMode, IdType, LimitType, PartyType, RecordType,
    RepayFrequency, ReportReason, SegmentCode, SpecialTxType, account_state_for, account_states, feedback_code,
};
pub use feedback::{FeedbackError, FeedbackRecord, FeedbackWriter, feedback_file};
pub use file::{FILE_NAME_CHARS, FeedbackFlag, FileName, Header};
pub use parse::{format_amount, parse_amount};
pub use reader::{Entry, ReadError, Reader};
pub use record::{
    AccountDeletion, BaseSegment, CorrectedSegment, Correction, CreditAgreement, IdChange, InfoSegment, LoanAccount,
    MonthlySegment, NonMonthlySegment, PbocRecord, PersonInfo, RelatedParty, SegmentDeletion, SpecialEvent,
    SpecialTransaction, Subject,
};
pub use write::{WriteError, Writer, to_xml, write_file};

use ob_model::FieldError;
use std::io::{self, BufRead};

/// Characters of the header line.
pub const HEADER_CHARS: usize = 50;
/// The first four characters of the header line.
pub const HEADER_TAG: &str = "A050";
/// The interface version in the header.
pub const VERSION: &str = "2.0.0";
/// Characters of an institution code.
pub const ORG_CODE_CHARS: usize = 14;
/// Longest record line, in bytes (a full 210 record is about 2 KiB; D and K lists add a few
/// hundred bytes per entry): bounds the reader's only buffer.
pub const LINE_BYTES_MAX: usize = 64 * 1024;
/// Most elements in one record: bounds the element tree of a line.
pub const ELEMENTS_PER_RECORD_MAX: usize = 2_000;
/// Deepest nesting (`Document` > segment > list entry > field).
pub const ELEMENT_DEPTH_MAX: usize = 4;
/// Most entries in a list segment (D related parties, K special transactions).
pub const ITEMS_PER_SEGMENT_MAX: usize = 50;
/// Longest free text (K `DetInfo`, 215 `SpecEvtDesc`), in characters.
pub const DETAIL_CHARS_MAX: usize = 200;
/// Digits before the decimal point of an amount: 10^13 yuan is 10^15 fen, the model's maximum.
pub const AMOUNT_INTEGER_DIGITS_MAX: usize = 14;
/// Longest feedback message, in characters.
pub const MESSAGE_CHARS_MAX: usize = 100;
/// Days after opening within which a new account (reason 10) is reported.
pub const NEW_ACCOUNT_DAYS_MAX: i64 = 30;
/// Rejected records [`validate`] keeps; the rest are counted ([`validate_each`] keeps none).
pub const REJECTIONS_KEPT_MAX: usize = 100_000;

/// The outcome of validating a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The header, when it could be read.
    pub header: Option<Header>,
    /// Records read.
    pub records: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Problems of the file as a whole (`OBF…`): the header, the count, the size.
    pub file_errors: Vec<FieldError>,
    /// The rejected records kept (at most [`REJECTIONS_KEPT_MAX`]; none from [`validate_each`]).
    pub rejections: Vec<FeedbackRecord>,
    /// Bytes read.
    pub bytes: u64,
}

impl Report {
    /// Whether the file and every record in it are valid.
    pub fn is_valid(&self) -> bool {
        self.file_errors.is_empty() && self.rejected == 0
    }
}

/// Validates a whole file: format, rules and the mapping onto the model. Only an I/O error is an
/// `Err`; everything wrong with the bytes is in the report.
pub fn validate(input: impl BufRead) -> io::Result<Report> {
    let mut kept = Vec::new();
    let mut report = validate_each(input, |f| {
        if kept.len() < REJECTIONS_KEPT_MAX {
            kept.push(f);
        }
    })?;
    report.rejections = kept;
    Ok(report)
}

/// Validates a whole file, handing each rejected record to `on_reject` as it is found.
pub fn validate_each(input: impl BufRead, mut on_reject: impl FnMut(FeedbackRecord)) -> io::Result<Report> {
    let mut report = Report::default();
    let mut reader = match Reader::new(input) {
        Ok(r) => r,
        Err(ReadError::Io(e)) => return Err(e),
        Err(ReadError::File { error, .. }) => {
            report.file_errors.push(error);
            return Ok(report);
        }
    };
    report.header = Some(reader.header().clone());
    while let Some(next) = reader.next_entry() {
        let entry = match next {
            Ok(e) => e,
            Err(ReadError::Io(e)) => return Err(e),
            Err(ReadError::File { error, .. }) => {
                report.file_errors.push(error);
                continue;
            }
        };
        report.records += 1;
        let outcome = entry.outcome.and_then(|r| to_model::to_records(&r));
        if let Err(errors) = outcome {
            report.rejected += 1;
            on_reject(FeedbackRecord::new(entry.seq, &errors, entry.raw));
        }
    }
    report.bytes = reader.bytes_read();
    Ok(report)
}
