//! Metro 2 files as a source of the ingest pipeline.
//!
//! Two passes over the file: the validator's (every field, code list, cross-field rule and the
//! trailer's totals), then the reader's, mapping each data record onto the model
//! (`ob_formats::metro2::to_model`). A record with any validation error is rejected with all of
//! them; an invalid header or trailer refuses the whole file. The furnisher is the identification
//! number of the file's data records.

use crate::ingest::{Entry, Source};
use crate::{BureauError, Refusal, Result};
use ob_formats::metro2::{self, DataRecord, Diagnostic, Reader, Segment, to_model};
use ob_model::{Code, FieldError, limits};
use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Format name in batch records.
const FORMAT_METRO2: &str = "metro2";
/// Records with errors kept from the validation pass; a file with more is refused.
const RECORDS_WITH_ERRORS_MAX: usize = 1_000_000;
/// File-level problems quoted when a file is refused.
const FILE_PROBLEMS_QUOTED: usize = 5;

/// A Metro 2 file being ingested.
pub(crate) struct Metro2Source {
    reader: Reader<BufReader<File>>,
    errors: HashMap<u64, Vec<FieldError>>,
    furnisher: String,
    furnisher_name: Option<String>,
}

fn field_error(d: &Diagnostic) -> FieldError {
    let segment = format!("{:?}", d.segment).to_lowercase();
    FieldError::new(
        Code::Format(d.code.as_str()),
        format!("{segment}.{}", d.field),
        format!("byte {}: {}", d.offset, d.message),
    )
}

fn refused(message: String) -> BureauError {
    BureauError::refused(Refusal::FileInvalid, message)
}

fn open(path: &Path) -> Result<Reader<BufReader<File>>> {
    Reader::new(BufReader::with_capacity(1 << 16, File::open(path)?)).map_err(|e| match e {
        metro2::Error::Io(io) => BureauError::Io(io),
        metro2::Error::Skipped(d) | metro2::Error::Fatal(d) => refused(format!("not a Metro 2 file: {}", d.message)),
    })
}

/// The identification number of the file's first data record: the furnisher.
pub(crate) fn first_identification(path: &Path) -> Result<String> {
    let mut reader = open(path)?;
    while let Some(next) = reader.next_record() {
        let Ok(rec) = next else { continue };
        if let Ok(data) = DataRecord::parse(&rec) {
            return Ok(furnisher_code(&data.base.identification_number));
        }
    }
    Err(refused("the file holds no readable data record".into()))
}

/// An identification number as an organization code: letters, digits, '-' and '_', at most 20.
fn furnisher_code(id: &str) -> String {
    id.trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .take(limits::ORG_CODE_CHARS_MAX)
        .collect()
}

impl Metro2Source {
    /// Validates the file, then opens it for reading.
    pub(crate) fn open(path: &Path, today: time::Date) -> Result<Metro2Source> {
        let mut errors: HashMap<u64, Vec<FieldError>> = HashMap::new();
        let mut file_problems = Vec::new();
        metro2::validate_each(BufReader::new(File::open(path)?), today, |d| match d.segment {
            Segment::Header | Segment::Trailer => {
                file_problems.push(format!("record {}: {} {}", d.record, d.code.as_str(), d.message))
            }
            _ if errors.len() < RECORDS_WITH_ERRORS_MAX => errors.entry(d.record).or_default().push(field_error(&d)),
            _ => file_problems.push("too many records with errors".to_owned()),
        })?;
        if !file_problems.is_empty() {
            file_problems.truncate(FILE_PROBLEMS_QUOTED);
            return Err(refused(format!("the header or trailer is invalid: {}", file_problems.join("; "))));
        }
        let furnisher = first_identification(path)?;
        if furnisher.is_empty() {
            return Err(refused("the data records carry no identification number".into()));
        }
        let reader = open(path)?;
        let furnisher_name =
            reader.header().and_then(|h| h.ok()).map(|h| h.reporter_name.trim().to_owned()).filter(|n| !n.is_empty());
        Ok(Metro2Source { reader, errors, furnisher, furnisher_name })
    }
}

impl Source for Metro2Source {
    fn furnisher(&self) -> (&str, Option<&str>) {
        (&self.furnisher, self.furnisher_name.as_deref())
    }

    fn format(&self) -> &'static str {
        FORMAT_METRO2
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        let rec = match self.reader.next_record()? {
            Ok(rec) => rec,
            Err(metro2::Error::Io(e)) => return Some(Err(e.into())),
            Err(metro2::Error::Skipped(d)) => {
                return Some(Ok(Entry { line: d.record, raw: &[], outcome: Err(vec![field_error(&d)]), named: None }));
            }
            Err(metro2::Error::Fatal(d)) => return Some(Err(refused(format!("record {}: {}", d.record, d.message)))),
        };
        let line = rec.number();
        let outcome = match self.errors.remove(&line) {
            Some(errors) => Err(errors),
            None => match DataRecord::parse(&rec) {
                Err(diagnostics) => Err(diagnostics.iter().map(field_error).collect()),
                Ok(data) if furnisher_code(&data.base.identification_number) != self.furnisher => {
                    Err(vec![FieldError::new(
                        Code::NotOwnAccount,
                        "base.identificationNumber",
                        "a file carries one furnisher's records",
                    )])
                }
                Ok(data) => to_model::to_records(&data),
            },
        };
        // Every Metro 2 record gives its account's terms with the person: checked there.
        Some(Ok(Entry { line, raw: rec.bytes(), outcome, named: None }))
    }

    fn bytes_read(&self) -> u64 {
        self.reader.bytes_read()
    }
}
