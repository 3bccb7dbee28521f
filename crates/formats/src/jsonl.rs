//! OpenBureau's canonical furnisher format: JSON lines (docs/formats/jsonl.md).
//!
//! A file is a header line, then one record per line: `consent`, `account` or `month`.
//! [`Reader`] streams it with memory bounded by the longest accepted line; every line yields an
//! [`Entry`] holding either the validated record or every problem found in it.

use crate::lines::{LineRead, read_line};
use crate::text;
use ob_model::records::{
    AccountRecord, AgreementRecord, ConsentRecord, ContractTerms, DeleteRecord, Identity, MonthDetail, MonthRecord,
    NoticeRecord, Record, RekeyRecord, SpecialRecord, Terms,
};
use ob_model::{
    AccountType, AgreementKind, Classification, Code, ConsentScope, Currency, DocumentNumber, DocumentType, FieldError,
    GuaranteeMode, LoanKind, NoticeChannel, QueryReason, RepayFrequency, RepaymentMethod, RepaymentStatus,
    Responsibility, SpecialKind, limits, minimization,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::{self, BufRead, Write};

/// The `format` value of the header line.
pub const FORMAT_NAME: &str = "openbureau.jsonl";
/// The format version this code writes. Readers accept every version listed in [`VERSIONS_READ`].
pub const FORMAT_VERSION: u32 = 1;
/// Versions this reader understands.
pub const VERSIONS_READ: &[u32] = &[1];

/// The header line: which format, which version, which furnisher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Always `"header"`.
    pub kind: String,
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Format version, see [`VERSIONS_READ`].
    pub version: u32,
    /// The furnisher's organization code.
    pub furnisher: String,
    /// The furnisher's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub furnisher_name: Option<String>,
    /// When the furnisher made the file (RFC 3339), for its own reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl Header {
    /// A header for the current version.
    pub fn new(furnisher: &str, furnisher_name: Option<&str>, created_at: Option<&str>) -> Header {
        Header {
            kind: "header".into(),
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            furnisher: furnisher.into(),
            furnisher_name: furnisher_name.map(Into::into),
            created_at: created_at.map(Into::into),
        }
    }

    fn check(&self) -> Result<(), FieldError> {
        let bad = |field: &str, msg: &str| Err(FieldError::new(Code::HeaderInvalid, field, msg));
        if self.kind != "header" {
            return bad("kind", "the first line is the header, kind \"header\"");
        }
        if self.format != FORMAT_NAME {
            return bad("format", "format must be \"openbureau.jsonl\"");
        }
        if !VERSIONS_READ.contains(&self.version) {
            return bad("version", "unsupported format version");
        }
        if !ob_model::is_org_code(&self.furnisher) {
            return bad("furnisher", "furnisher code is 1–20 letters, digits, '_' or '-'");
        }
        if self.furnisher_name.as_ref().is_some_and(|n| n.chars().count() > limits::ORG_NAME_CHARS_MAX) {
            return bad("furnisher_name", "furnisher name is too long");
        }
        Ok(())
    }
}

/// Why a file could not be read at all (as opposed to a bad record inside it).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
    /// The header line is missing or wrong.
    #[error("line {line}: {error}")]
    Header {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        error: FieldError,
    },
    /// More records than [`limits::RECORDS_PER_BATCH_MAX`].
    #[error("line {line}: more than {} records in one file", limits::RECORDS_PER_BATCH_MAX)]
    TooManyRecords {
        /// 1-based line number of the first record over the limit.
        line: u64,
    },
}

/// One line of the file, read and checked.
#[derive(Debug)]
pub struct Entry<'a> {
    /// 1-based line number.
    pub line: u64,
    /// The line as sent, without its line break (for the feedback file).
    pub raw: &'a [u8],
    /// The record, or every problem found in it.
    pub outcome: Result<Record, Vec<FieldError>>,
}

/// A streaming reader of canonical JSON lines.
pub struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    line: u64,
    records: u64,
    bytes_read: u64,
    header: Header,
}

impl<R: BufRead> Reader<R> {
    /// Reads the header line (skipping blank lines) and returns a reader positioned after it.
    pub fn new(mut input: R) -> Result<Reader<R>, ReadError> {
        let mut buf = Vec::with_capacity(512);
        let mut line = 0;
        let mut bytes_read = 0;
        loop {
            line += 1;
            let header_err = |error| ReadError::Header { line, error };
            match read_line(&mut input, &mut buf, &mut bytes_read, limits::LINE_BYTES_MAX)? {
                LineRead::Eof => {
                    return Err(header_err(FieldError::new(Code::HeaderInvalid, "", "the file is empty")));
                }
                LineRead::TooLong => {
                    return Err(header_err(FieldError::new(Code::LineTooLong, "", "header line too long")));
                }
                LineRead::Line if buf.iter().all(u8::is_ascii_whitespace) => continue,
                LineRead::Line => {
                    let header: Header = serde_json::from_slice(&buf).map_err(|e| {
                        header_err(FieldError::new(Code::HeaderInvalid, "", format!("not a header line: {e}")))
                    })?;
                    header.check().map_err(header_err)?;
                    return Ok(Reader { input, buf, line, records: 0, bytes_read, header });
                }
            }
        }
    }

    /// The file's header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Bytes consumed so far, for progress reporting.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next record line, `None` at the end of the file. Blank lines are skipped.
    pub fn next_entry(&mut self) -> Option<Result<Entry<'_>, ReadError>> {
        loop {
            self.line += 1;
            let read = match read_line(&mut self.input, &mut self.buf, &mut self.bytes_read, limits::LINE_BYTES_MAX) {
                Ok(r) => r,
                Err(e) => return Some(Err(e.into())),
            };
            let outcome = match read {
                LineRead::Eof => return None,
                LineRead::Line if self.buf.iter().all(u8::is_ascii_whitespace) => continue,
                LineRead::Line => parse_record(&self.buf),
                LineRead::TooLong => Err(vec![FieldError::new(
                    Code::LineTooLong,
                    "",
                    format!("line longer than {} bytes", limits::LINE_BYTES_MAX),
                )]),
            };
            self.records += 1;
            if self.records > limits::RECORDS_PER_BATCH_MAX {
                return Some(Err(ReadError::TooManyRecords { line: self.line }));
            }
            return Some(Ok(Entry { line: self.line, raw: &self.buf, outcome }));
        }
    }
}

/// The wire form of a record: every field of every kind, all optional, so one pass of the JSON
/// parser reads any kind. Which fields each kind allows is checked afterwards.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    account_key: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    subject: Option<WireIdentity<'a>>,
    // consent
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    scope: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    purpose: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    granted_on: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    expires_on: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    evidence_sha256: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    consent_ref: Option<Cow<'a, str>>,
    // account
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    account_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    opened_on: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    currency: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credit_limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    terms: Option<WireTerms>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    responsibility: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    credit_line_key: Option<Cow<'a, str>>,
    // delete
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    from_month: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    to_month: Option<Cow<'a, str>>,
    // notice
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    notified_on: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    channel: Option<Cow<'a, str>>,
    // rekey
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    new_account_key: Option<Cow<'a, str>>,
    // month
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    month: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    settled_on: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    balance: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount_due: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount_paid: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    past_due_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    days_past_due: Option<u32>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    class5: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    last_payment_on: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    closed_on: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<WireMonthDetail>,
    // special
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    special_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    on: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    months_changed: Option<u16>,
    // agreement
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    agreement_key: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    limit_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    effective_on: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ended: Option<bool>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMonthDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_periods: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_principal: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_31_60: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_61_90: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_91_180: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    overdue_over_180: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remaining_periods: Option<u16>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIdentity<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    birth_date: Cow<'a, str>,
    #[serde(borrow)]
    document: WireDocument<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDocument<'a> {
    #[serde(rename = "type", borrow)]
    doc_type: Cow<'a, str>,
    #[serde(borrow)]
    number: Cow<'a, str>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTerms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    periods: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_day: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    loan_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    guarantee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    maturity_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frequency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
}

/// The fields each kind may carry (besides `kind`).
const CONSENT_FIELDS: &[&str] =
    &["subject", "scope", "purpose", "granted_on", "expires_on", "evidence_sha256", "consent_ref"];
const ACCOUNT_FIELDS: &[&str] = &[
    "account_key",
    "subject",
    "account_type",
    "opened_on",
    "currency",
    "credit_limit",
    "terms",
    "responsibility",
    "credit_line_key",
];
const DELETE_FIELDS: &[&str] = &["account_key", "from_month", "to_month"];
const NOTICE_FIELDS: &[&str] = &["account_key", "notified_on", "channel"];
const REKEY_FIELDS: &[&str] = &["account_key", "new_account_key"];
const MONTH_FIELDS: &[&str] = &[
    "account_key",
    "month",
    "settled_on",
    "balance",
    "used_amount",
    "amount_due",
    "amount_paid",
    "past_due_amount",
    "days_past_due",
    "status",
    "class5",
    "last_payment_on",
    "closed_on",
    "credit_limit",
    "detail",
];
const SPECIAL_FIELDS: &[&str] = &["account_key", "special_type", "on", "amount", "months_changed"];
const AGREEMENT_FIELDS: &[&str] = &[
    "agreement_key",
    "subject",
    "limit_type",
    "currency",
    "credit_limit",
    "effective_on",
    "expires_on",
    "ended",
    "responsibility",
];

/// Parses and validates one record line.
pub fn parse_record(line: &[u8]) -> Result<Record, Vec<FieldError>> {
    let wire: Wire<'_> = match serde_json::from_slice(line) {
        Ok(w) => w,
        Err(_) => return Err(vec![locate_json_error(line)]),
    };
    let mut errors = Vec::new();
    let record = match wire.kind.as_ref() {
        "consent" => wire.fields_only(CONSENT_FIELDS, &mut errors).and_then(|w| w.consent(&mut errors)),
        "account" => wire.fields_only(ACCOUNT_FIELDS, &mut errors).and_then(|w| w.account(&mut errors)),
        "month" => wire.fields_only(MONTH_FIELDS, &mut errors).and_then(|w| w.month(&mut errors)),
        "delete" => wire.fields_only(DELETE_FIELDS, &mut errors).and_then(|w| w.delete(&mut errors)),
        "notice" => wire.fields_only(NOTICE_FIELDS, &mut errors).and_then(|w| w.notice(&mut errors)),
        "rekey" => wire.fields_only(REKEY_FIELDS, &mut errors).and_then(|w| w.rekey(&mut errors)),
        "special" => wire.fields_only(SPECIAL_FIELDS, &mut errors).and_then(|w| w.special(&mut errors)),
        "agreement" => wire.fields_only(AGREEMENT_FIELDS, &mut errors).and_then(|w| w.agreement(&mut errors)),
        "header" => {
            errors.push(FieldError::new(Code::HeaderInvalid, "kind", "a header is only allowed on the first line"));
            None
        }
        _ => {
            errors.push(FieldError::new(
                Code::UnknownKind,
                "kind",
                "kind must be consent, account, month, delete, notice, rekey, special or agreement",
            ));
            None
        }
    };
    let record = record.filter(|_| errors.is_empty());
    if let Some(r) = &record {
        errors.extend(match r {
            Record::Consent(c) => c.check(),
            Record::Account(a) => a.check(),
            Record::Month(m) => m.check(),
            Record::Delete(d) => d.check(),
            Record::Notice(_) => Vec::new(),
            Record::Rekey(k) => k.check(),
            Record::Special(s) => s.check(),
            Record::Agreement(a) => a.check(),
        });
    }
    match record {
        Some(r) if errors.is_empty() => Ok(r),
        _ => Err(errors),
    }
}

/// Re-parses a line that failed, tracking the path, to say which field is wrong and why.
fn locate_json_error(line: &[u8]) -> FieldError {
    let mut de = serde_json::Deserializer::from_slice(line);
    let result: Result<Wire<'_>, _> = serde_path_to_error::deserialize(&mut de);
    let Err(e) = result else {
        return FieldError::new(Code::JsonSyntax, "", "trailing characters after the JSON object");
    };
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = inner.to_string();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return FieldError::new(Code::JsonSyntax, "", format!("not valid JSON: {message}"));
    }
    if let Some(name) = unknown_field_name(&message) {
        // The path already ends with the unknown key, e.g. `subject.religion`.
        let field = if path == "." || path.is_empty() { name.to_owned() } else { path.replace("?.", "") };
        return match minimization::banned_field(name) {
            Some(why) => FieldError::new(Code::FieldBanned, field, format!("field not accepted: {why}")),
            None => FieldError::new(Code::FieldUnknown, field, "field is not part of the format"),
        };
    }
    let field = path.trim_start_matches("?.").replace(".?", "");
    if message.starts_with("missing field") {
        let name = message.split('`').nth(1).unwrap_or("");
        let field =
            if field == "." { name.to_owned() } else { format!("{field}.{name}").trim_start_matches('.').to_owned() };
        return FieldError::new(Code::FieldMissing, field, "required field is missing");
    }
    FieldError::new(Code::FieldInvalid, field, strip_position(&message))
}

fn unknown_field_name(message: &str) -> Option<&str> {
    message.strip_prefix("unknown field `")?.split('`').next()
}

/// serde_json appends " at line 1 column N"; the feedback already gives the line.
fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

fn missing(errors: &mut Vec<FieldError>, field: &str) {
    errors.push(FieldError::new(Code::FieldMissing, field, "required field is missing"));
}

/// Takes a required field, noting it when missing.
fn need<T>(errors: &mut Vec<FieldError>, field: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        missing(errors, field);
    }
    v
}

/// Parses a field with `f`, noting the error.
fn parse_with<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn code<T>(errors: &mut Vec<FieldError>, field: &str, v: &str, parse: fn(&str) -> Option<T>, list: &str) -> Option<T> {
    let parsed = parse(v);
    if parsed.is_none() {
        errors.push(FieldError::new(Code::FieldInvalid, field, format!("not one of {list}")));
    }
    parsed
}

impl<'a> Wire<'a> {
    fn present(&self) -> [(&'static str, bool); 42] {
        [
            ("account_key", self.account_key.is_some()),
            ("subject", self.subject.is_some()),
            ("scope", self.scope.is_some()),
            ("purpose", self.purpose.is_some()),
            ("granted_on", self.granted_on.is_some()),
            ("expires_on", self.expires_on.is_some()),
            ("evidence_sha256", self.evidence_sha256.is_some()),
            ("consent_ref", self.consent_ref.is_some()),
            ("account_type", self.account_type.is_some()),
            ("opened_on", self.opened_on.is_some()),
            ("currency", self.currency.is_some()),
            ("credit_limit", self.credit_limit.is_some()),
            ("terms", self.terms.is_some()),
            ("responsibility", self.responsibility.is_some()),
            ("month", self.month.is_some()),
            ("settled_on", self.settled_on.is_some()),
            ("balance", self.balance.is_some()),
            ("used_amount", self.used_amount.is_some()),
            ("amount_due", self.amount_due.is_some()),
            ("amount_paid", self.amount_paid.is_some()),
            ("past_due_amount", self.past_due_amount.is_some()),
            ("days_past_due", self.days_past_due.is_some()),
            ("status", self.status.is_some()),
            ("class5", self.class5.is_some()),
            ("last_payment_on", self.last_payment_on.is_some()),
            ("closed_on", self.closed_on.is_some()),
            ("credit_line_key", self.credit_line_key.is_some()),
            ("from_month", self.from_month.is_some()),
            ("to_month", self.to_month.is_some()),
            ("notified_on", self.notified_on.is_some()),
            ("channel", self.channel.is_some()),
            ("new_account_key", self.new_account_key.is_some()),
            ("detail", self.detail.is_some()),
            ("special_type", self.special_type.is_some()),
            ("on", self.on.is_some()),
            ("amount", self.amount.is_some()),
            ("months_changed", self.months_changed.is_some()),
            ("agreement_key", self.agreement_key.is_some()),
            ("limit_type", self.limit_type.is_some()),
            ("effective_on", self.effective_on.is_some()),
            ("ended", self.ended.is_some()),
            ("kind", true),
        ]
    }

    /// Rejects fields that belong to another kind of record.
    fn fields_only(self, allowed: &[&str], errors: &mut Vec<FieldError>) -> Option<Self> {
        for (name, present) in self.present() {
            if present && name != "kind" && !allowed.contains(&name) {
                errors.push(FieldError::new(
                    Code::FieldUnknown,
                    name,
                    format!("field does not belong to a {} record", self.kind),
                ));
            }
        }
        Some(self)
    }

    fn identity(errors: &mut Vec<FieldError>, w: Option<WireIdentity<'_>>) -> Option<Identity> {
        let w = need(errors, "subject", w)?;
        let birth_date = parse_with(errors, text::date("subject.birth_date", &w.birth_date));
        let doc_type = code(
            errors,
            "subject.document.type",
            &w.document.doc_type,
            DocumentType::parse,
            "prc_resident_id, passport, us_ssn",
        );
        let document = doc_type.and_then(|t| {
            DocumentNumber::parse(t, &w.document.number)
                .map_err(|e| {
                    errors.push(FieldError::new(Code::DocumentInvalid, "subject.document.number", e.to_string()))
                })
                .ok()
        });
        Some(Identity { name: w.name.trim().to_owned(), birth_date: birth_date?, document: document? })
    }

    fn opt_date(errors: &mut Vec<FieldError>, field: &str, v: Option<Cow<'_, str>>) -> Option<Option<time::Date>> {
        match v {
            None => Some(None),
            Some(s) => parse_with(errors, text::date(field, &s)).map(Some),
        }
    }

    fn consent(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let subject = Self::identity(errors, self.subject);
        let scope = need(errors, "scope", self.scope)
            .and_then(|s| code(errors, "scope", &s, ConsentScope::parse, "report, inquire"));
        let purpose = match self.purpose {
            None => Some(None),
            Some(p) => code(errors, "purpose", &p, QueryReason::parse, "the query reason list").map(Some),
        };
        let granted_on =
            need(errors, "granted_on", self.granted_on).and_then(|s| parse_with(errors, text::date("granted_on", &s)));
        let expires_on =
            need(errors, "expires_on", self.expires_on).and_then(|s| parse_with(errors, text::date("expires_on", &s)));
        let evidence = need(errors, "evidence_sha256", self.evidence_sha256)
            .and_then(|s| parse_with(errors, text::sha256_hex("evidence_sha256", &s)));
        let consent_ref = self.consent_ref.map(Cow::into_owned);
        if consent_ref.as_ref().is_some_and(|r| r.chars().count() > limits::CONSENT_REF_CHARS_MAX) {
            errors.push(FieldError::new(Code::FieldTooLong, "consent_ref", "consent reference is too long"));
        }
        Some(Record::Consent(ConsentRecord {
            subject: subject?,
            scope: scope?,
            purpose: purpose?,
            granted_on: granted_on?,
            expires_on: expires_on?,
            evidence_sha256: evidence?,
            consent_ref,
        }))
    }

    fn account(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let subject = Self::identity(errors, self.subject);
        let account_type = need(errors, "account_type", self.account_type)
            .and_then(|s| code(errors, "account_type", &s, AccountType::parse, "D1, R1, R2, R3, R4, C1"));
        let opened_on =
            need(errors, "opened_on", self.opened_on).and_then(|s| parse_with(errors, text::date("opened_on", &s)));
        let currency = need(errors, "currency", self.currency).and_then(|s| {
            Currency::parse(&s).or_else(|| {
                errors.push(FieldError::new(Code::FieldInvalid, "currency", "three upper-case letters (ISO 4217)"));
                None
            })
        });
        let credit_limit = need(errors, "credit_limit", self.credit_limit);
        let responsibility = match self.responsibility {
            None => Some(Responsibility::Individual),
            Some(s) => code(errors, "responsibility", &s, Responsibility::parse, "individual, joint, guarantor"),
        };
        let terms = self.terms.unwrap_or_default();
        let contract = contract_terms(errors, &terms);
        Some(Record::Account(AccountRecord {
            account_key: account_key?.into_owned(),
            subject: subject?,
            account_type: account_type?,
            opened_on: opened_on?,
            currency: currency?,
            credit_limit_minor: credit_limit?,
            terms: Terms { periods: terms.periods, due_day: terms.due_day, contract: contract? },
            responsibility: responsibility?,
            credit_line_key: self.credit_line_key.map(Cow::into_owned),
        }))
    }

    fn delete(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let months = match (self.from_month, self.to_month) {
            (None, None) => Some(None),
            (Some(from), Some(to)) => {
                let from = parse_with(errors, text::month("from_month", &from));
                let to = parse_with(errors, text::month("to_month", &to));
                from.zip(to).map(Some)
            }
            (None, Some(_)) => {
                missing(errors, "from_month");
                None
            }
            (Some(_), None) => {
                missing(errors, "to_month");
                None
            }
        };
        Some(Record::Delete(DeleteRecord { account_key: account_key?.into_owned(), months: months? }))
    }

    fn rekey(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let new_account_key = need(errors, "new_account_key", self.new_account_key);
        Some(Record::Rekey(RekeyRecord {
            account_key: account_key?.into_owned(),
            new_account_key: new_account_key?.into_owned(),
        }))
    }

    fn notice(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let notified_on = need(errors, "notified_on", self.notified_on)
            .and_then(|s| parse_with(errors, text::date("notified_on", &s)));
        let channel = need(errors, "channel", self.channel)
            .and_then(|s| code(errors, "channel", &s, NoticeChannel::parse, "sms, app, email, letter, phone"));
        Some(Record::Notice(NoticeRecord {
            account_key: account_key?.into_owned(),
            notified_on: notified_on?,
            channel: channel?,
        }))
    }

    fn month(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let month = need(errors, "month", self.month).and_then(|s| parse_with(errors, text::month("month", &s)));
        let settled_on = match self.settled_on {
            Some(s) => parse_with(errors, text::date("settled_on", &s)),
            None => month.map(|m| m.last_day()),
        };
        let balance = need(errors, "balance", self.balance);
        let used = self.used_amount.or(balance);
        let status = need(errors, "status", self.status)
            .and_then(|s| code(errors, "status", &s, RepaymentStatus::parse, "N, 1-7, C, G, D, Z, B, #, *"));
        let class5 = match self.class5 {
            None => Some(None),
            Some(s) => code(errors, "class5", &s, Classification::parse, "1-5, 9").map(Some),
        };
        let last_payment_on = Self::opt_date(errors, "last_payment_on", self.last_payment_on);
        let closed_on = Self::opt_date(errors, "closed_on", self.closed_on);
        Some(Record::Month(MonthRecord {
            account_key: account_key?.into_owned(),
            month: month?,
            settled_on: settled_on?,
            balance_minor: balance?,
            used_minor: used?,
            due_minor: self.amount_due.unwrap_or(0),
            paid_minor: self.amount_paid.unwrap_or(0),
            past_due_minor: self.past_due_amount.unwrap_or(0),
            days_past_due: self.days_past_due.unwrap_or(0),
            status: status?,
            class5: class5?,
            last_payment_on: last_payment_on?,
            closed_on: closed_on?,
            credit_limit_minor: self.credit_limit,
            detail: self.detail.map(|d| d.model()).unwrap_or_default(),
        }))
    }

    fn agreement(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let agreement_key = need(errors, "agreement_key", self.agreement_key);
        let subject = Self::identity(errors, self.subject);
        let kind = need(errors, "limit_type", self.limit_type)
            .and_then(|s| code(errors, "limit_type", &s, AgreementKind::parse, "10, 20, 30, 31"));
        let currency = need(errors, "currency", self.currency).and_then(|s| {
            Currency::parse(&s).or_else(|| {
                errors.push(FieldError::new(Code::FieldInvalid, "currency", "three upper-case letters (ISO 4217)"));
                None
            })
        });
        let limit = need(errors, "credit_limit", self.credit_limit);
        let effective_on = need(errors, "effective_on", self.effective_on)
            .and_then(|s| parse_with(errors, text::date("effective_on", &s)));
        let expires_on = Self::opt_date(errors, "expires_on", self.expires_on);
        let responsibility = match self.responsibility {
            None => Some(Responsibility::Individual),
            Some(s) => code(errors, "responsibility", &s, Responsibility::parse, "individual, joint, guarantor"),
        };
        Some(Record::Agreement(AgreementRecord {
            agreement_key: agreement_key?.into_owned(),
            subject: subject?,
            kind: kind?,
            currency: currency?,
            limit_minor: limit?,
            effective_on: effective_on?,
            expires_on: expires_on?,
            ended: self.ended.unwrap_or(false),
            responsibility: responsibility?,
        }))
    }

    fn special(self, errors: &mut Vec<FieldError>) -> Option<Record> {
        let account_key = need(errors, "account_key", self.account_key);
        let kind = need(errors, "special_type", self.special_type)
            .and_then(|s| code(errors, "special_type", &s, SpecialKind::parse, "11-19, 21, 22, 99, E1-E3, E9"));
        let on = need(errors, "on", self.on).and_then(|s| parse_with(errors, text::date("on", &s)));
        Some(Record::Special(SpecialRecord {
            account_key: account_key?.into_owned(),
            kind: kind?,
            on: on?,
            amount_minor: self.amount,
            months_changed: self.months_changed,
        }))
    }
}

/// The contract terms of an account's `terms`, each code checked against its list.
fn contract_terms(errors: &mut Vec<FieldError>, t: &WireTerms) -> Option<ContractTerms> {
    fn opt<T>(
        errors: &mut Vec<FieldError>,
        field: &str,
        v: &Option<String>,
        parse: fn(&str) -> Option<T>,
        list: &str,
    ) -> Option<Option<T>> {
        match v {
            None => Some(None),
            Some(s) => code(errors, field, s, parse, list).map(Some),
        }
    }
    let loan_kind = opt(errors, "terms.loan_kind", &t.loan_kind, LoanKind::parse, "11-13, 21, 31, 41, 51, 91, 99");
    let guarantee = opt(errors, "terms.guarantee", &t.guarantee, GuaranteeMode::parse, "1-7, 9");
    let frequency = opt(errors, "terms.frequency", &t.frequency, RepayFrequency::parse, "01-08, 99");
    let method = opt(errors, "terms.method", &t.method, RepaymentMethod::parse, "11-14, 19, 21, 90");
    let maturity_on = Wire::opt_date(errors, "terms.maturity_on", t.maturity_on.as_deref().map(Cow::Borrowed));
    Some(ContractTerms {
        loan_kind: loan_kind?,
        guarantee: guarantee?,
        maturity_on: maturity_on?,
        frequency: frequency?,
        method: method?,
    })
}

impl WireMonthDetail {
    fn model(self) -> MonthDetail {
        MonthDetail {
            overdue_periods: self.overdue_periods,
            overdue_principal_minor: self.overdue_principal,
            overdue_by_age_minor: [self.overdue_31_60, self.overdue_61_90, self.overdue_91_180, self.overdue_over_180],
            remaining_periods: self.remaining_periods,
        }
    }

    fn of(d: &MonthDetail) -> Option<WireMonthDetail> {
        let [a, b, c, e] = d.overdue_by_age_minor;
        (!d.is_empty()).then_some(WireMonthDetail {
            overdue_periods: d.overdue_periods,
            overdue_principal: d.overdue_principal_minor,
            overdue_31_60: a,
            overdue_61_90: b,
            overdue_91_180: c,
            overdue_over_180: e,
            remaining_periods: d.remaining_periods,
        })
    }
}

fn wire_terms(t: &Terms) -> Option<WireTerms> {
    let c = &t.contract;
    let code = |s: Option<&'static str>| s.map(str::to_owned);
    (*t != Terms::default()).then(|| WireTerms {
        periods: t.periods,
        due_day: t.due_day,
        loan_kind: code(c.loan_kind.map(LoanKind::as_str)),
        guarantee: code(c.guarantee.map(GuaranteeMode::as_str)),
        maturity_on: c.maturity_on.map(text::date_text),
        frequency: code(c.frequency.map(RepayFrequency::as_str)),
        method: code(c.method.map(RepaymentMethod::as_str)),
    })
}

/// Writes canonical JSON lines.
pub struct Writer<W> {
    out: W,
    records: u64,
}

impl<W: Write> Writer<W> {
    /// Starts a file with its header line.
    pub fn new(mut out: W, header: &Header) -> io::Result<Writer<W>> {
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        Ok(Writer { out, records: 0 })
    }

    /// Appends one record line.
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &to_wire(record))?;
        self.out.write_all(b"\n")?;
        self.records += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn wire_identity(i: &Identity) -> WireIdentity<'_> {
    WireIdentity {
        name: Cow::Borrowed(&i.name),
        birth_date: Cow::Owned(text::date_text(i.birth_date)),
        document: WireDocument {
            doc_type: Cow::Borrowed(i.document.doc_type().as_str()),
            number: Cow::Borrowed(i.document.expose()),
        },
    }
}

fn date_cow(d: time::Date) -> Cow<'static, str> {
    Cow::Owned(text::date_text(d))
}

fn to_wire(record: &Record) -> Wire<'_> {
    match record {
        Record::Consent(c) => Wire {
            kind: Cow::Borrowed("consent"),
            subject: Some(wire_identity(&c.subject)),
            scope: Some(Cow::Borrowed(c.scope.as_str())),
            purpose: c.purpose.map(|p| Cow::Borrowed(p.as_str())),
            granted_on: Some(date_cow(c.granted_on)),
            expires_on: Some(date_cow(c.expires_on)),
            evidence_sha256: Some(Cow::Owned(hex::encode(c.evidence_sha256))),
            consent_ref: c.consent_ref.as_deref().map(Cow::Borrowed),
            ..Wire::default()
        },
        Record::Account(a) => Wire {
            kind: Cow::Borrowed("account"),
            account_key: Some(Cow::Borrowed(&a.account_key)),
            subject: Some(wire_identity(&a.subject)),
            account_type: Some(Cow::Borrowed(a.account_type.as_str())),
            opened_on: Some(date_cow(a.opened_on)),
            currency: Some(Cow::Owned(a.currency.as_str().to_owned())),
            credit_limit: Some(a.credit_limit_minor),
            terms: wire_terms(&a.terms),
            responsibility: Some(Cow::Borrowed(a.responsibility.as_str())),
            credit_line_key: a.credit_line_key.as_deref().map(Cow::Borrowed),
            ..Wire::default()
        },
        Record::Delete(d) => Wire {
            kind: Cow::Borrowed("delete"),
            account_key: Some(Cow::Borrowed(&d.account_key)),
            from_month: d.months.map(|(from, _)| Cow::Owned(from.to_string())),
            to_month: d.months.map(|(_, to)| Cow::Owned(to.to_string())),
            ..Wire::default()
        },
        Record::Rekey(k) => Wire {
            kind: Cow::Borrowed("rekey"),
            account_key: Some(Cow::Borrowed(&k.account_key)),
            new_account_key: Some(Cow::Borrowed(&k.new_account_key)),
            ..Wire::default()
        },
        Record::Notice(n) => Wire {
            kind: Cow::Borrowed("notice"),
            account_key: Some(Cow::Borrowed(&n.account_key)),
            notified_on: Some(date_cow(n.notified_on)),
            channel: Some(Cow::Borrowed(n.channel.as_str())),
            ..Wire::default()
        },
        Record::Month(m) => Wire {
            kind: Cow::Borrowed("month"),
            account_key: Some(Cow::Borrowed(&m.account_key)),
            month: Some(Cow::Owned(m.month.to_string())),
            settled_on: Some(date_cow(m.settled_on)),
            balance: Some(m.balance_minor),
            used_amount: Some(m.used_minor),
            amount_due: Some(m.due_minor),
            amount_paid: Some(m.paid_minor),
            past_due_amount: Some(m.past_due_minor),
            days_past_due: Some(m.days_past_due),
            status: Some(Cow::Borrowed(m.status.as_str())),
            class5: m.class5.map(|c| Cow::Borrowed(c.as_str())),
            last_payment_on: m.last_payment_on.map(date_cow),
            closed_on: m.closed_on.map(date_cow),
            credit_limit: m.credit_limit_minor,
            detail: WireMonthDetail::of(&m.detail),
            ..Wire::default()
        },
        Record::Agreement(a) => Wire {
            kind: Cow::Borrowed("agreement"),
            agreement_key: Some(Cow::Borrowed(&a.agreement_key)),
            subject: Some(wire_identity(&a.subject)),
            limit_type: Some(Cow::Borrowed(a.kind.as_str())),
            currency: Some(Cow::Owned(a.currency.as_str().to_owned())),
            credit_limit: Some(a.limit_minor),
            effective_on: Some(date_cow(a.effective_on)),
            expires_on: a.expires_on.map(date_cow),
            ended: a.ended.then_some(true),
            responsibility: Some(Cow::Borrowed(a.responsibility.as_str())),
            ..Wire::default()
        },
        Record::Special(x) => Wire {
            kind: Cow::Borrowed("special"),
            account_key: Some(Cow::Borrowed(&x.account_key)),
            special_type: Some(Cow::Borrowed(x.kind.as_str())),
            on: Some(date_cow(x.on)),
            amount: x.amount_minor,
            months_changed: x.months_changed,
            ..Wire::default()
        },
    }
}
