//! The file formats the simulator writes, behind one trait so that each format is one
//! implementation: [`FileFormat`].
//!
//! The canonical JSON-lines format is written by `ob_formats::jsonl::Writer`, except month,
//! account and consent records — all but a few lines — which [`Jsonl`] formats by hand for speed.
//! The hand-written bytes are tested to equal the reference writer's (see the tests below).
//! Metro 2 is in [`crate::metro2`].

use crate::account::{PRODUCTS, SimAccount};
use crate::jsonw;
use crate::output::delivery_date;
use crate::truth::Malformation;
use crate::us::FURNISHER_NAMES;
use ob_formats::jsonl::{Header, Writer};
use ob_model::YearMonth;
use ob_model::records::{AccountRecord, ConsentRecord, DeleteRecord, Identity, MonthRecord, Record, Terms};
use serde_json::Value;
use std::io;
use std::path::Path;

/// The formats the simulator can write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Canonical JSON lines (`openbureau.jsonl`, docs/formats/jsonl.md), files `<YYYY-MM>.jsonl`,
    /// PRC resident IDs, amounts in fen.
    #[default]
    Jsonl,
    /// CDIA Metro 2 (docs/formats/metro2.md), character format, one record per line, files
    /// `<YYYY-MM>.m2`: people with SSNs and Latin names, whole US dollars, no consents, notices,
    /// instalment plans or malformed lines (docs/simulator.md, "US output").
    Metro2,
    /// The canonical twin of [`OutputFormat::Metro2`]: canonical JSON lines of the same people,
    /// accounts and months with the same seed (consents and notices included, so the files also
    /// pass the PRC policy).
    CanonicalUs,
}

impl OutputFormat {
    /// The writer of this format.
    pub(crate) fn writer(self) -> &'static dyn FileFormat {
        match self {
            OutputFormat::Jsonl => &Jsonl { us: false },
            OutputFormat::Metro2 => &crate::metro2::Metro2,
            OutputFormat::CanonicalUs => &Jsonl { us: true },
        }
    }

    /// Whether the format carries US-style people (SSNs, whole dollars): [`OutputFormat::Metro2`]
    /// and its twin.
    pub fn is_us(self) -> bool {
        matches!(self, OutputFormat::Metro2 | OutputFormat::CanonicalUs)
    }
}

/// How records become bytes. One record is one line: the truth's line numbers count lines, the
/// header's included. Each method returns the lines it wrote: 0 when the format has no place for
/// what it is given (Metro 2 carries no consents or notices).
pub(crate) trait FileFormat: Sync {
    /// File name extension, without the dot.
    fn extension(&self) -> &'static str;
    /// The first lines of the file of `furnisher` (index into [`PRODUCTS`]) for `month`.
    fn header(&self, furnisher: usize, month: YearMonth) -> io::Result<Vec<u8>>;
    /// How many lines [`FileFormat::header`] writes.
    fn header_lines(&self) -> u64;
    /// Appends one record that is not about an account's terms or months (a consent, a notice)
    /// or a deliberately invalid record.
    fn record(&self, record: &Record, out: &mut Vec<u8>) -> io::Result<u64>;
    /// Appends the opening of `account`: its account record.
    fn account(&self, account: &SimAccount, out: &mut Vec<u8>) -> io::Result<u64>;
    /// Appends `month`, a month of `account` (its true record, or a wrong version sent by
    /// mistake); the most frequent line.
    fn month(&self, account: &SimAccount, month: &MonthRecord, out: &mut Vec<u8>) -> io::Result<u64>;
    /// Appends the deletion of the whole `account`, in the file of `month`.
    fn delete(&self, account: &SimAccount, month: YearMonth, out: &mut Vec<u8>) -> io::Result<u64>;
    /// The malformations that need this format's encoding broken (the others are records with
    /// wrong values, written by [`FileFormat::record`]).
    fn encoding_malformations(&self) -> &'static [Malformation];
    /// Appends one line that is `base` broken as `kind` says (one of
    /// [`FileFormat::encoding_malformations`]).
    fn malformed(&self, kind: Malformation, base: &Record, out: &mut Vec<u8>) -> io::Result<()>;
    /// The last lines of the file written at `path` (a trailer, for formats that have one).
    fn trailer(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether a file with nothing to report is written (header only); if not, it is left out.
    fn writes_empty_files(&self) -> bool {
        true
    }
    /// Whether [`FileFormat::account`] writes a line (Metro 2 carries the account in each month).
    fn writes_account_lines(&self) -> bool {
        true
    }
}

/// The canonical JSON-lines format; `us`: furnisher names of US output.
pub(crate) struct Jsonl {
    /// Whether the files are US output (the twin of Metro 2): furnishers' ASCII names.
    pub(crate) us: bool,
}

/// The header of a furnisher's file: made on the delivery day.
fn jsonl_header(furnisher: usize, month: YearMonth, us: bool) -> Header {
    let product = PRODUCTS[furnisher];
    let name = if us { FURNISHER_NAMES[furnisher] } else { product.name() };
    let d = delivery_date(month);
    let created_at = format!("{:04}-{:02}-{:02}T02:00:00Z", d.year(), u8::from(d.month()), d.day());
    Header::new(product.code(), Some(name), Some(&created_at))
}

/// Appends a record as the reference writer writes it: the writer starts with a header line,
/// which is cut out again.
fn append_reference_line(record: &Record, out: &mut Vec<u8>) -> io::Result<()> {
    let start = out.len();
    let mut writer = Writer::new(&mut *out, &Header::new("X", None, None))?;
    writer.write(record)?;
    writer.finish()?;
    let header_end = out[start..].iter().position(|b| *b == b'\n').map_or(start, |i| start + i + 1);
    out.drain(start..header_end);
    Ok(())
}

/// A record as the reference writer writes it.
fn reference_line(record: &Record) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    append_reference_line(record, &mut out)?;
    Ok(out)
}

const ENCODING_MALFORMATIONS: &[Malformation] = &[
    Malformation::JsonSyntax,
    Malformation::LineTooLong,
    Malformation::UnknownKind,
    Malformation::FieldMissing,
    Malformation::FieldInvalid,
    Malformation::FieldUnknown,
    Malformation::FieldBanned,
    Malformation::DocumentInvalid,
    Malformation::HeaderInvalid,
];

impl FileFormat for Jsonl {
    fn extension(&self) -> &'static str {
        "jsonl"
    }

    fn header(&self, furnisher: usize, month: YearMonth) -> io::Result<Vec<u8>> {
        Writer::new(Vec::new(), &jsonl_header(furnisher, month, self.us))?.finish()
    }

    fn header_lines(&self) -> u64 {
        1
    }

    fn record(&self, record: &Record, out: &mut Vec<u8>) -> io::Result<u64> {
        match record {
            Record::Month(m) => write_month(m, out),
            Record::Consent(c) => write_consent(c, out),
            Record::Account(a) => write_account(a, out),
            other => append_reference_line(other, out)?,
        }
        Ok(1)
    }

    fn account(&self, account: &SimAccount, out: &mut Vec<u8>) -> io::Result<u64> {
        write_account(&account.account, out);
        Ok(1)
    }

    fn month(&self, _account: &SimAccount, month: &MonthRecord, out: &mut Vec<u8>) -> io::Result<u64> {
        write_month(month, out);
        Ok(1)
    }

    fn delete(&self, account: &SimAccount, _month: YearMonth, out: &mut Vec<u8>) -> io::Result<u64> {
        let delete = DeleteRecord { account_key: account.account.account_key.clone(), months: None };
        append_reference_line(&Record::Delete(delete), out)?;
        Ok(1)
    }

    fn encoding_malformations(&self) -> &'static [Malformation] {
        ENCODING_MALFORMATIONS
    }

    fn malformed(&self, kind: Malformation, base: &Record, out: &mut Vec<u8>) -> io::Result<()> {
        let line = reference_line(base)?;
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let broken = match kind {
            Malformation::JsonSyntax => truncated(&text),
            Malformation::LineTooLong => {
                format!("{{{}{}", " ".repeat(ob_model::limits::LINE_BYTES_MAX + 1), &text[1..])
            }
            // Only the kind: a whole header line gets FIELD_UNKNOWN (its `format` field is not a
            // record field) from ob-formats 0.1, though the format doc promises HEADER_INVALID.
            Malformation::HeaderInvalid => r#"{"kind":"header"}"#.to_owned(),
            _ => edited(kind, &text)?,
        };
        out.extend_from_slice(broken.as_bytes());
        out.push(b'\n');
        Ok(())
    }

    fn trailer(&self, _path: &Path) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}

/// The first half of a line: never valid JSON.
fn truncated(text: &str) -> String {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_owned()
}

/// A record line with one field removed, changed or added.
fn edited(kind: Malformation, text: &str) -> io::Result<String> {
    let mut value: Value = serde_json::from_str(text)?;
    let Some(fields) = value.as_object_mut() else { return Ok(text.to_owned()) };
    match kind {
        Malformation::UnknownKind => {
            fields.insert("kind".into(), Value::from("payment"));
        }
        Malformation::FieldMissing => {
            fields.remove("balance");
        }
        Malformation::FieldInvalid => {
            fields.insert("status".into(), Value::from("X"));
        }
        Malformation::FieldUnknown => {
            fields.insert("remark".into(), Value::from("manual adjustment"));
        }
        Malformation::FieldBanned => {
            fields.insert("merchant".into(), Value::from("某某超市"));
        }
        Malformation::DocumentInvalid => {
            if let Some(Value::String(number)) = value.pointer_mut("/subject/document/number") {
                *number = with_wrong_check_char(number);
            }
        }
        _ => {}
    }
    Ok(serde_json::to_string(&value)?)
}

/// A resident ID number with its check character replaced by another.
fn with_wrong_check_char(number: &str) -> String {
    let mut chars: Vec<char> = number.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match *last {
            '9' => 'X',
            'X' | 'x' => '0',
            c => char::from_digit(c.to_digit(10).map_or(0, |d| d + 1), 10).unwrap_or('0'),
        };
    }
    chars.into_iter().collect()
}

/// A month record exactly as `ob_formats::jsonl::Writer` writes it: the fields in the order of
/// its wire struct, absent options left out.
fn write_month(m: &MonthRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"month\"");
    jsonw::key(out, "account_key", false);
    jsonw::string(out, &m.account_key);
    if let Some(limit) = m.credit_limit_minor {
        jsonw::key(out, "credit_limit", false);
        jsonw::int(out, limit);
    }
    jsonw::key(out, "month", false);
    jsonw::month(out, m.month);
    jsonw::key(out, "settled_on", false);
    jsonw::date(out, m.settled_on);
    let amounts = [
        ("balance", m.balance_minor),
        ("used_amount", m.used_minor),
        ("amount_due", m.due_minor),
        ("amount_paid", m.paid_minor),
        ("past_due_amount", m.past_due_minor),
        ("days_past_due", i64::from(m.days_past_due)),
    ];
    for (name, v) in amounts {
        jsonw::key(out, name, false);
        jsonw::int(out, v);
    }
    jsonw::key(out, "status", false);
    jsonw::string(out, m.status.as_str());
    if let Some(c) = m.class5 {
        jsonw::key(out, "class5", false);
        jsonw::string(out, c.as_str());
    }
    if let Some(d) = m.last_payment_on {
        jsonw::key(out, "last_payment_on", false);
        jsonw::date(out, d);
    }
    if let Some(d) = m.closed_on {
        jsonw::key(out, "closed_on", false);
        jsonw::date(out, d);
    }
    if !m.detail.is_empty() {
        write_month_detail(&m.detail, out);
    }
    out.extend_from_slice(b"}\n");
}

/// A month's `detail` object, its fields in the wire struct's order.
fn write_month_detail(d: &ob_model::records::MonthDetail, out: &mut Vec<u8>) {
    jsonw::key(out, "detail", false);
    out.push(b'{');
    let [a, b, c, e] = d.overdue_by_age_minor;
    let fields = [
        ("overdue_periods", d.overdue_periods.map(i64::from)),
        ("overdue_principal", d.overdue_principal_minor),
        ("overdue_31_60", a),
        ("overdue_61_90", b),
        ("overdue_91_180", c),
        ("overdue_over_180", e),
        ("remaining_periods", d.remaining_periods.map(i64::from)),
    ];
    let mut first = true;
    for (name, v) in fields {
        if let Some(v) = v {
            jsonw::key(out, name, first);
            jsonw::int(out, v);
            first = false;
        }
    }
    out.push(b'}');
}

/// The subject as the reference writer writes it.
fn write_subject(who: &Identity, out: &mut Vec<u8>) {
    jsonw::key(out, "subject", false);
    out.push(b'{');
    jsonw::key(out, "name", true);
    jsonw::string(out, &who.name);
    jsonw::key(out, "birth_date", false);
    jsonw::date(out, who.birth_date);
    jsonw::key(out, "document", false);
    out.push(b'{');
    jsonw::key(out, "type", true);
    jsonw::string(out, who.document.doc_type().as_str());
    jsonw::key(out, "number", false);
    jsonw::string(out, who.document.expose());
    out.extend_from_slice(b"}}");
}

/// A consent record exactly as the reference writer writes it.
fn write_consent(c: &ConsentRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"consent\"");
    write_subject(&c.subject, out);
    jsonw::key(out, "scope", false);
    jsonw::string(out, c.scope.as_str());
    if let Some(p) = c.purpose {
        jsonw::key(out, "purpose", false);
        jsonw::string(out, p.as_str());
    }
    jsonw::key(out, "granted_on", false);
    jsonw::date(out, c.granted_on);
    jsonw::key(out, "expires_on", false);
    jsonw::date(out, c.expires_on);
    jsonw::key(out, "evidence_sha256", false);
    out.push(b'"');
    for byte in c.evidence_sha256 {
        out.push(HEX[usize::from(byte >> 4)]);
        out.push(HEX[usize::from(byte & 0xf)]);
    }
    out.push(b'"');
    if let Some(r) = &c.consent_ref {
        jsonw::key(out, "consent_ref", false);
        jsonw::string(out, r);
    }
    out.extend_from_slice(b"}\n");
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// An account record exactly as the reference writer writes it.
fn write_account(a: &AccountRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"account\"");
    jsonw::key(out, "account_key", false);
    jsonw::string(out, &a.account_key);
    write_subject(&a.subject, out);
    jsonw::key(out, "account_type", false);
    jsonw::string(out, a.account_type.as_str());
    jsonw::key(out, "opened_on", false);
    jsonw::date(out, a.opened_on);
    jsonw::key(out, "currency", false);
    jsonw::string(out, a.currency.as_str());
    jsonw::key(out, "credit_limit", false);
    jsonw::int(out, a.credit_limit_minor);
    if a.terms != Terms::default() {
        jsonw::key(out, "terms", false);
        out.push(b'{');
        let mut first = true;
        if let Some(n) = a.terms.periods {
            jsonw::key(out, "periods", first);
            jsonw::int(out, i64::from(n));
            first = false;
        }
        if let Some(d) = a.terms.due_day {
            jsonw::key(out, "due_day", first);
            jsonw::int(out, i64::from(d));
            first = false;
        }
        let c = &a.terms.contract;
        let codes = [("loan_kind", c.loan_kind.map(|k| k.as_str())), ("guarantee", c.guarantee.map(|g| g.as_str()))];
        for (name, v) in codes {
            if let Some(v) = v {
                jsonw::key(out, name, first);
                jsonw::string(out, v);
                first = false;
            }
        }
        if let Some(d) = c.maturity_on {
            jsonw::key(out, "maturity_on", first);
            jsonw::date(out, d);
            first = false;
        }
        let codes = [("frequency", c.frequency.map(|f| f.as_str())), ("method", c.method.map(|m| m.as_str()))];
        for (name, v) in codes {
            if let Some(v) = v {
                jsonw::key(out, name, first);
                jsonw::string(out, v);
                first = false;
            }
        }
        let _ = first;
        out.push(b'}');
    }
    jsonw::key(out, "responsibility", false);
    jsonw::string(out, a.responsibility.as_str());
    if let Some(k) = &a.credit_line_key {
        jsonw::key(out, "credit_line_key", false);
        jsonw::string(out, k);
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::records::{ContractTerms, MonthDetail};
    use ob_model::{
        AccountType, Classification, ConsentScope, Currency, DocumentNumber, DocumentType, GuaranteeMode, LoanKind,
        QueryReason, RepayFrequency, RepaymentMethod, RepaymentStatus, Responsibility,
    };
    use rand::{RngExt, SeedableRng};

    type Rng = crate::SimRng;

    fn pick<T: Copy>(rng: &mut Rng, all: &[T]) -> T {
        all[rng.random_range(0..all.len())]
    }

    fn text(rng: &mut Rng) -> String {
        pick(rng, &["HB0000000001", "张三", "欧阳 建国", "a\"b\\c", "K-_x9", "tab\there"]).to_owned()
    }

    fn month_of(rng: &mut Rng) -> YearMonth {
        YearMonth::new(rng.random_range(1901..=2099), rng.random_range(1..=12)).expect("month")
    }

    fn amount(rng: &mut Rng) -> i64 {
        if rng.random_bool(0.1) { -rng.random_range(0..1_000_000_i64) } else { rng.random_range(0..i64::MAX / 4) }
    }

    /// Random month records, each field set or not.
    fn random_month(rng: &mut Rng) -> MonthRecord {
        let month = month_of(rng);
        let day = |rng: &mut Rng| month.day(rng.random_range(1..=28));
        MonthRecord {
            account_key: text(rng),
            month,
            settled_on: day(rng),
            balance_minor: amount(rng),
            used_minor: amount(rng),
            due_minor: amount(rng),
            paid_minor: amount(rng),
            past_due_minor: amount(rng),
            days_past_due: rng.random_range(0..=u32::MAX),
            status: pick(rng, RepaymentStatus::ALL),
            class5: rng.random_bool(0.5).then(|| pick(rng, Classification::ALL)),
            last_payment_on: rng.random_bool(0.5).then(|| day(rng)),
            closed_on: rng.random_bool(0.5).then(|| day(rng)),
            credit_limit_minor: rng.random_bool(0.5).then(|| amount(rng)),
            detail: MonthDetail {
                overdue_periods: rng.random_bool(0.3).then(|| rng.random_range(0..=u16::MAX)),
                overdue_principal_minor: rng.random_bool(0.3).then(|| amount(rng)),
                overdue_by_age_minor: [(); 4].map(|_| rng.random_bool(0.3).then(|| amount(rng))),
                remaining_periods: rng.random_bool(0.3).then(|| rng.random_range(0..=u16::MAX)),
            },
        }
    }

    fn random_identity(rng: &mut Rng) -> Identity {
        let (number, birth) = pick(
            rng,
            &[
                ("11010519491231002X", (1949, 12, 31)),
                ("110101199003070011", (1990, 3, 7)),
                ("E12345678", (1980, 1, 1)),
            ],
        );
        let doc_type = if number.len() == 18 { DocumentType::PrcResidentId } else { DocumentType::Passport };
        let birth_date =
            time::Date::from_calendar_date(birth.0, time::Month::try_from(birth.1).expect("m"), birth.2).expect("date");
        Identity { name: text(rng), birth_date, document: DocumentNumber::parse(doc_type, number).expect("doc") }
    }

    fn random_consent(rng: &mut Rng) -> ConsentRecord {
        let mut evidence_sha256 = [0u8; 32];
        rand::Rng::fill_bytes(rng, &mut evidence_sha256);
        ConsentRecord {
            subject: random_identity(rng),
            scope: pick(rng, ConsentScope::ALL),
            purpose: rng.random_bool(0.5).then(|| pick(rng, QueryReason::ALL)),
            granted_on: month_of(rng).day(3),
            expires_on: month_of(rng).day(28),
            evidence_sha256,
            consent_ref: rng.random_bool(0.5).then(|| text(rng)),
        }
    }

    fn random_account(rng: &mut Rng) -> AccountRecord {
        AccountRecord {
            account_key: text(rng),
            subject: random_identity(rng),
            account_type: pick(rng, AccountType::ALL),
            opened_on: month_of(rng).day(12),
            currency: pick(rng, &[Currency::CNY, Currency::USD]),
            credit_limit_minor: amount(rng),
            terms: Terms {
                periods: rng.random_bool(0.5).then(|| rng.random_range(0..=u16::MAX)),
                due_day: rng.random_bool(0.5).then(|| rng.random_range(0..=u8::MAX)),
                contract: ContractTerms {
                    loan_kind: rng.random_bool(0.5).then(|| pick(rng, LoanKind::ALL)),
                    guarantee: rng.random_bool(0.5).then(|| pick(rng, GuaranteeMode::ALL)),
                    maturity_on: rng.random_bool(0.5).then(|| month_of(rng).day(3)),
                    frequency: rng.random_bool(0.5).then(|| pick(rng, RepayFrequency::ALL)),
                    method: rng.random_bool(0.5).then(|| pick(rng, RepaymentMethod::ALL)),
                },
            },
            responsibility: pick(rng, Responsibility::ALL),
            credit_line_key: rng.random_bool(0.5).then(|| text(rng)),
        }
    }

    fn assert_same_as_reference(record: &Record) {
        let mut fast = Vec::new();
        Jsonl { us: false }.record(record, &mut fast).expect("write");
        let reference = reference_line(record).expect("reference");
        assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&reference));
    }

    #[test]
    fn hand_written_lines_equal_the_reference_writer() {
        let mut rng = Rng::seed_from_u64(9);
        for _ in 0..3_000 {
            assert_same_as_reference(&Record::Month(random_month(&mut rng)));
            assert_same_as_reference(&Record::Consent(random_consent(&mut rng)));
            assert_same_as_reference(&Record::Account(random_account(&mut rng)));
        }
    }

    #[test]
    fn broken_lines_are_one_line_each_and_the_header_is_the_reference_one() {
        let mut rng = Rng::seed_from_u64(10);
        let month = Record::Month(random_month(&mut rng));
        for kind in ENCODING_MALFORMATIONS {
            let mut out = Vec::new();
            Jsonl { us: false }.malformed(*kind, &month, &mut out).expect("write");
            assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1, "{kind:?}");
            assert!(out.ends_with(b"\n"));
        }
        let header = Jsonl { us: false }.header(0, YearMonth::new(2024, 1).expect("month")).expect("header");
        let reader = ob_formats::jsonl::Reader::new(&header[..]).expect("reads");
        assert_eq!(reader.header().created_at.as_deref(), Some("2024-02-05T02:00:00Z"));
    }
}
