//! The validator: every field, code list, cross-field rule and trailer total, each problem located.

use super::codes::{self, in_list1, in_list2};
use super::decode::{self, Bad, Ymd, is_blank, is_printable};
use super::layout::{self, F, Kind, total};
use super::reader::{Error, Kept, RecordRef, Tail};
use super::totals::{Totals, segment_has_data, ssn_reported};
use super::{Blocking, Code, DIAGNOSTICS_KEPT_MAX, Format, LineBreak, Reader, Segment};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};

/// One problem, located: record number, byte offset in the file, segment and field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// 1-based record number in the file, the header being record 1 (0 when the file is empty).
    pub record: u64,
    /// Byte offset in the file of the field (or of the record, for record-level problems).
    pub offset: u64,
    /// The segment concerned.
    pub segment: Segment,
    /// The field's JSON key (moov-io/metro2 naming); empty for the whole record or segment.
    pub field: &'static str,
    /// The stable code.
    pub code: Code,
    /// A sentence for people. Never holds an SSN, a name, a birth date or an account number.
    pub message: Cow<'static, str>,
}

impl Diagnostic {
    /// A problem with the file or a record's framing.
    pub(crate) fn file(record: u64, offset: u64, code: Code, message: impl Into<Cow<'static, str>>) -> Diagnostic {
        Diagnostic { record, offset, segment: Segment::File, field: "", code, message: message.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {} offset {} {}", self.record, self.offset, self.segment)?;
        if !self.field.is_empty() {
            write!(f, ".{}", self.field)?;
        }
        write!(f, ": {} {}", self.code, self.message)
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The outcome of validating a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The detected format (`None` when the file could not be recognised).
    pub format: Option<Format>,
    /// The detected blocking.
    pub blocking: Option<Blocking>,
    /// The line breaks seen between records.
    pub line_break: Option<LineBreak>,
    /// Data records read (header and trailer not counted).
    pub records: u64,
    /// Bytes read.
    pub bytes: u64,
    /// The diagnostics kept, in file order (at most [`DIAGNOSTICS_KEPT_MAX`]; none from
    /// [`validate_each`]).
    pub errors: Vec<Diagnostic>,
    /// Every diagnostic found, kept or not.
    pub errors_total: u64,
}

impl Report {
    /// Whether the file has no problem at all.
    pub fn is_valid(&self) -> bool {
        self.errors_total == 0
    }
}

/// Validates a whole file read from `input`, as of the day `today` (dates after it are errors).
/// Keeps the first [`DIAGNOSTICS_KEPT_MAX`] diagnostics and counts the rest. Only an I/O error of
/// `input` is an `Err`; everything wrong with the bytes is a diagnostic.
pub fn validate(input: impl Read, today: time::Date) -> io::Result<Report> {
    let mut kept = Vec::new();
    let mut report = validate_each(input, today, |d| {
        if kept.len() < DIAGNOSTICS_KEPT_MAX {
            kept.push(d);
        }
    })?;
    report.errors = kept;
    Ok(report)
}

/// Validates a whole file, handing each diagnostic to `on_error` as it is found (memory stays
/// bounded whatever the number of problems). The returned report's `errors` is empty.
pub fn validate_each(input: impl Read, today: time::Date, mut on_error: impl FnMut(Diagnostic)) -> io::Result<Report> {
    let mut report = Report::default();
    let mut count = 0u64;
    let mut emit = |d: Diagnostic| {
        count += 1;
        on_error(d);
    };
    run(input, today, &mut emit, &mut report)?;
    report.errors_total = count;
    Ok(report)
}

fn run(input: impl Read, today: time::Date, emit: &mut dyn FnMut(Diagnostic), report: &mut Report) -> io::Result<()> {
    let mut reader = match Reader::new(input) {
        Ok(r) => r,
        Err(Error::Io(e)) => return Err(e),
        Err(Error::Fatal(d) | Error::Skipped(d)) => {
            emit(d);
            return Ok(());
        }
    };
    let format = reader.format();
    report.format = Some(format);
    report.blocking = Some(reader.blocking());
    let memo = Memo::new();
    let mut ctx = Ctx { emit, format, today: Ymd::of(today), record: 1, offset: 0, pending: Vec::new(), memo: &memo };
    match reader.header_kept() {
        Some(h) => ctx.header(h),
        None => ctx.file(Code::HeaderMissing, "the file does not start with a HEADER record"),
    }
    ctx.flush();
    let mut totals = Totals::default();
    let mut stopped = false;
    while let Some(next) = reader.next_record() {
        match next {
            Ok(rec) => {
                ctx.data(&rec);
                ctx.flush();
                totals.add(&rec);
                report.records += 1;
            }
            Err(Error::Io(e)) => return Err(e),
            Err(Error::Skipped(d)) => (ctx.emit)(d),
            Err(Error::Fatal(d)) => {
                stopped = true;
                (ctx.emit)(d);
            }
        }
    }
    report.line_break = reader.line_break();
    report.bytes = reader.bytes_read();
    report.format = Some(reader.format());
    ctx.format = reader.format();
    match reader.trailer_kept() {
        Some(t) => ctx.trailer(t, &totals, (reader.blocking() == Blocking::Variable).then_some(reader.blocks())),
        None if !stopped => {
            ctx.record = reader.records() + 1;
            ctx.offset = reader.bytes_read();
            ctx.file(Code::TrailerMissing, "the file ends without a TRAILER record");
        }
        None => {}
    }
    ctx.flush();
    Ok(())
}

/// The checking context: where we are, the format, the day, and where diagnostics go.
struct Ctx<'e> {
    emit: &'e mut dyn FnMut(Diagnostic),
    format: Format,
    today: Ymd,
    /// Current record number and file offset of its RDW.
    record: u64,
    offset: u64,
    /// The current record's diagnostics, emitted in offset order by [`Ctx::flush`].
    pending: Vec<Diagnostic>,
    memo: &'e Memo,
}

/// Decoded dates and numbers of the segment being checked, keyed by field offset, so each field
/// is decoded once however many rules read it. A slot is valid when its generation is current.
struct Memo {
    generation: Cell<u32>,
    slots: Box<[Cell<(u32, u64)>]>,
}

/// A memo slot value meaning "could not be decoded".
const UNREADABLE: u64 = u64::MAX;

impl Memo {
    fn new() -> Memo {
        let slots = (0..super::CHARACTER_RECORD_BYTES).map(|_| Cell::new((0, 0))).collect();
        Memo { generation: Cell::new(0), slots }
    }

    /// Starts a new segment: every slot becomes stale.
    fn begin(&self) -> u32 {
        let g = self.generation.get().wrapping_add(1).max(1);
        self.generation.set(g);
        g
    }
}

/// One segment being checked: which, its offset within the record, its bytes.
#[derive(Clone, Copy)]
struct Seg<'a> {
    segment: Segment,
    at: usize,
    bytes: &'a [u8],
    format: Format,
    memo: &'a Memo,
    generation: u32,
}

impl<'a> Seg<'a> {
    fn new(segment: Segment, at: usize, bytes: &'a [u8], format: Format, memo: &'a Memo) -> Seg<'a> {
        Seg { segment, at, bytes, format, memo, generation: memo.begin() }
    }

    fn get(&self, f: &F) -> &'a [u8] {
        f.bytes(self.bytes)
    }

    /// The memoized value of a field, decoding it on first use.
    #[inline]
    fn cached(&self, f: &F, decode: impl FnOnce() -> u64) -> u64 {
        let Some(slot) = self.memo.slots.get(f.at) else { return decode() };
        let (g, v) = slot.get();
        if g == self.generation {
            return v;
        }
        let v = decode();
        slot.set((self.generation, v));
        v
    }

    fn remember(&self, f: &F, v: u64) {
        if let Some(slot) = self.memo.slots.get(f.at) {
            slot.set((self.generation, v));
        }
    }

    /// The date a field holds: `Some(None)` when zero-filled, `None` when unreadable.
    fn date_read(&self, f: &F) -> Option<Option<Ymd>> {
        let v = self.cached(f, || date_slot(decode::date(f, self.get(f), self.format)));
        match v {
            UNREADABLE => None,
            0 => Some(None),
            v => Some(Some(Ymd(u32::try_from(v).unwrap_or(0)))),
        }
    }

    /// The date a field holds, ignoring problems (reported by the field checks).
    fn date(&self, f: &F) -> Option<Ymd> {
        self.date_read(f).flatten()
    }

    /// The number a field holds, ignoring problems.
    fn number(&self, f: &F) -> Option<u64> {
        let v = self.cached(f, || decode::number(f, self.get(f), self.format).unwrap_or(UNREADABLE));
        (v != UNREADABLE).then_some(v)
    }
}

fn date_slot(r: Result<Option<Ymd>, Bad>) -> u64 {
    match r {
        Ok(None) => 0,
        Ok(Some(d)) => u64::from(d.0),
        Err(_) => UNREADABLE,
    }
}

impl Ctx<'_> {
    /// Emits the current record's diagnostics in file order.
    fn flush(&mut self) {
        self.pending.sort_by_key(|d| d.offset);
        for d in self.pending.drain(..) {
            (self.emit)(d);
        }
    }

    fn at(&mut self, seg: &Seg<'_>, f: &F, code: Code, message: impl Into<Cow<'static, str>>) {
        self.pending.push(Diagnostic {
            record: self.record,
            offset: self.offset + (seg.at + f.at) as u64,
            segment: seg.segment,
            field: f.name,
            code,
            message: message.into(),
        });
    }

    fn whole(&mut self, segment: Segment, at: usize, code: Code, message: impl Into<Cow<'static, str>>) {
        let d = Diagnostic {
            record: self.record,
            offset: self.offset + at as u64,
            segment,
            field: "",
            code,
            message: message.into(),
        };
        self.pending.push(d);
    }

    fn file(&mut self, code: Code, message: &'static str) {
        self.whole(Segment::File, 0, code, message);
    }

    /// Type and required-ness of each field; dates real and (unless `future_ok`) not after today.
    /// A character segment that is printable throughout needs no per-field printable check.
    fn fields<'f>(&mut self, seg: &Seg<'_>, fields: impl Iterator<Item = &'f F> + Clone, future_ok: bool) {
        let printable = if seg.format == Format::Character {
            is_printable(seg.bytes)
        } else {
            text_runs_printable(seg.bytes, fields.clone())
        };
        for f in fields {
            self.field(seg, f, future_ok, printable);
        }
    }

    #[inline]
    fn field(&mut self, seg: &Seg<'_>, f: &F, future_ok: bool, printable: bool) {
        let b = seg.get(f);
        match f.kind {
            Kind::Text => {
                if !printable && !is_printable(b) {
                    self.at(seg, f, Code::FieldText, "holds a byte outside printable ASCII");
                } else if f.required && is_blank(b) {
                    self.at(seg, f, Code::FieldRequired, "required field is blank");
                }
            }
            Kind::Num | Kind::PNum => match decode::number(f, b, seg.format) {
                Ok(v) => seg.remember(f, v),
                Err(bad) => {
                    seg.remember(f, UNREADABLE);
                    self.bad(seg, f, bad);
                }
            },
            Kind::Date | Kind::PDate => {
                match decode::date(f, b, seg.format).inspect(|d| seg.remember(f, date_slot(Ok(*d)))) {
                    Err(bad) => {
                        seg.remember(f, UNREADABLE);
                        self.bad(seg, f, bad);
                    }
                    Ok(None) if f.required => self.at(seg, f, Code::FieldRequired, "required date is zero or blank"),
                    Ok(Some(d)) if !future_ok && d > self.today => {
                        self.at(seg, f, Code::DateFuture, "date is after the day of validation")
                    }
                    Ok(_) => {}
                }
            }
            Kind::Stamp | Kind::PStamp => match decode::stamp(f, b, seg.format) {
                Err(bad) => self.bad(seg, f, bad),
                Ok(Some((d, _))) if d > self.today => {
                    self.at(seg, f, Code::DateFuture, "time stamp is after the day of validation")
                }
                Ok(_) => {}
            },
        }
    }

    fn bad(&mut self, seg: &Seg<'_>, f: &F, bad: Bad) {
        let code = match bad {
            Bad::Numeric => Code::FieldNumeric,
            Bad::Date => Code::FieldDate,
            Bad::Packed | Bad::PackedRange => Code::FieldPacked,
        };
        self.at(seg, f, code, bad.message());
    }

    /// A non-blank printable value must be on `list` (1-byte codes).
    fn code1(&mut self, seg: &Seg<'_>, f: &F, list: &[u8], what: &str) {
        let v = seg.get(f);
        if !is_blank(v) && is_printable(v) && !in_list1(list, v) {
            self.not_listed(seg, f, v, what);
        }
    }

    /// A non-blank printable value must be on `list` (2-byte codes).
    fn code2(&mut self, seg: &Seg<'_>, f: &F, list: &[&[u8; 2]], what: &str) {
        let v = seg.get(f);
        if !is_blank(v) && is_printable(v) && !in_list2(list, v) {
            self.not_listed(seg, f, v, what);
        }
    }

    fn not_listed(&mut self, seg: &Seg<'_>, f: &F, v: &[u8], what: &str) {
        let shown = String::from_utf8_lossy(v);
        self.at(seg, f, Code::CodeInvalid, format!("'{}' is not a valid {what}", shown.trim_end()));
    }

    /// A numeric code field must be one of `allowed`.
    fn num_code(&mut self, seg: &Seg<'_>, f: &F, allowed: &[u64], what: &str) {
        if let Some(v) = seg.number(f).filter(|v| !allowed.contains(v)) {
            self.at(seg, f, Code::CodeInvalid, format!("{v} is not a valid {what}"));
        }
    }

    fn header(&mut self, h: &Kept) {
        self.record = h.number;
        self.offset = h.offset;
        let seg = Seg::new(Segment::Header, 0, &h.bytes, self.format, self.memo);
        if h.bytes.len() < self.format.record_bytes() {
            return self.whole(Segment::Header, 0, Code::RecordLength, "the header record is too short");
        }
        self.fields(&seg, layout::header_layout(self.format).all(), false);
    }

    fn data(&mut self, rec: &RecordRef<'_>) {
        self.record = rec.number;
        self.offset = rec.offset;
        self.format = rec.format;
        let base = Seg::new(Segment::Base, 0, rec.bytes, self.format, self.memo);
        self.base(&base);
        self.segments(rec);
    }

    fn base(&mut self, s: &Seg<'_>) {
        let l = layout::base_layout(self.format);
        self.fields(s, l.all(), false);
        self.code1(s, &l.portfolio_type, codes::PORTFOLIO_TYPES, "portfolio type");
        self.code2(s, &l.account_type, codes::ACCOUNT_TYPES, "account type");
        self.terms_duration(s, &l.terms_duration);
        self.base_identity(s, &l.correction_indicator, &l.identification_number);
        self.code1(s, &l.terms_frequency, codes::TERMS_FREQUENCIES, "terms frequency");
        self.code2(s, &l.account_status, &codes::ACCOUNT_STATUSES, "account status");
        self.history(s, &l.payment_history_profile);
        self.code2(s, &l.special_comment, codes::SPECIAL_COMMENTS, "special comment code");
        self.code2(s, &l.compliance_condition_code, codes::COMPLIANCE_CODES, "compliance condition code");
        self.code1(s, &l.interest_type_indicator, codes::INTEREST_TYPES, "interest type indicator");
        self.person(s, &l.ecoa_code, &l.generation_code, &l.social_security_number, &l.date_birth);
        self.address(s, &l.country_code, &l.state, &l.address_indicator, &l.residence_code);
        self.status_rules(s);
        self.date_order(s);
    }

    /// The correction indicator (blank, 0 or 1) and the furnisher's identification number (not a
    /// placeholder of zeros or nines).
    fn base_identity(&mut self, s: &Seg<'_>, correction: &F, id_number: &F) {
        if s.number(correction).is_some_and(|v| v > 1) {
            self.at(s, correction, Code::CodeInvalid, "correction indicator is blank, 0 or 1");
        }
        let id = s.get(id_number).trim_ascii();
        if !id.is_empty() && (id.iter().all(|&c| c == b'0') || id.iter().all(|&c| c == b'9')) {
            self.at(
                s,
                id_number,
                Code::IdNumberInvalid,
                "all zeros or all nines: give the identification number the bureau assigned",
            );
        }
    }

    fn terms_duration(&mut self, s: &Seg<'_>, f: &F) {
        let v = s.get(f);
        let ok = is_blank(v) || !is_printable(v) || v == b"LOC" || v == b"REV" || decode::digits(v).is_some();
        if !ok {
            self.at(s, f, Code::CodeInvalid, "terms duration is a number of months or years, LOC or REV");
        }
    }

    /// Payment history profile: characters on the list, and no history after a `B`.
    fn history(&mut self, s: &Seg<'_>, f: &F) {
        let v = s.get(f);
        if let Some(i) = v.iter().position(|c| !codes::HISTORY_CHARS.contains(c)) {
            let msg = format!("position {} holds a character that is not a payment history code", i + 1);
            return self.at(s, f, Code::HistoryProfile, msg);
        }
        if let Some(b) = v.iter().position(|&c| c == b'B')
            && let Some(i) = v.iter().skip(b).position(|&c| c != b'B')
        {
            let msg = format!("'B' (no history before) is followed by history at position {}", b + i + 1);
            self.at(s, f, Code::HistoryProfile, msg);
        }
    }

    /// ECOA, generation code, SSN and the rule that a consumer has an SSN or a birth date.
    fn person(&mut self, s: &Seg<'_>, ecoa: &F, generation: &F, ssn_f: &F, dob_f: &F) {
        self.code1(s, ecoa, codes::ECOA_CODES, "ECOA code");
        self.code1(s, generation, codes::GENERATION_CODES, "generation code");
        let ssn = s.number(ssn_f);
        if let Some(v) = ssn.filter(|&v| ssn_reported(v) && !ssn_can_be_issued(v)) {
            debug_assert!(v > 0);
            if is_itin(v) {
                self.at(s, ssn_f, Code::SsnItin, "an ITIN, not a social security number: report the consumer's SSN");
            } else {
                self.at(s, ssn_f, Code::SsnInvalid, "not a social security number that can be issued");
            }
        }
        let has_ssn = ssn.is_some_and(ssn_reported);
        let has_dob = s.date(dob_f).is_some();
        if !has_ssn && !has_dob && s.get(ecoa) != b"Z" {
            self.at(s, ssn_f, Code::IdentityMissing, "neither a social security number nor a date of birth");
        }
    }

    fn address(&mut self, s: &Seg<'_>, country: &F, state: &F, indicator: &F, residence: &F) {
        let c = s.get(country);
        if is_blank(c) || c == b"US" {
            self.code2(s, state, codes::US_STATES, "US state code");
        }
        self.code1(s, indicator, codes::ADDRESS_INDICATORS, "address indicator");
        self.code1(s, residence, codes::RESIDENCE_CODES, "residence code");
    }

    /// Rules tying the account status to rating, dates and amounts.
    fn status_rules(&mut self, s: &Seg<'_>) {
        let l = layout::base_layout(self.format);
        let status = s.get(&l.account_status);
        if codes::status_index(status).is_none() {
            return;
        }
        let rating = s.get(&l.payment_rating);
        let shown = String::from_utf8_lossy(status);
        if codes::is_rated_status(status) {
            if is_blank(rating) {
                self.at(s, &l.payment_rating, Code::RatingStatus, format!("status {shown} needs a payment rating"));
            } else {
                self.code1(s, &l.payment_rating, codes::PAYMENT_RATINGS, "payment rating");
            }
        } else if !is_blank(rating) {
            let msg = format!("payment rating must be blank with status {shown}");
            self.at(s, &l.payment_rating, Code::RatingStatus, msg);
        }
        if codes::is_paid_or_closed_status(status) && s.date_read(&l.date_closed) == Some(None) {
            self.at(s, &l.date_closed, Code::DateClosed, format!("status {shown} needs a date closed"));
        }
        if codes::needs_first_delinquency(status, rating) && s.date_read(&l.date_first_delinquency) == Some(None) {
            let msg = format!("status {shown} with this rating needs a date of first delinquency");
            self.at(s, &l.date_first_delinquency, Code::FirstDelinquency, msg);
        }
        let past_due = s.number(&l.amount_past_due_dollars);
        if codes::is_delinquent_status(status) && past_due == Some(0) {
            let msg = format!("status {shown} is delinquent: amount past due must be more than zero");
            self.at(s, &l.amount_past_due_dollars, Code::PastDue, msg);
        }
        if codes::is_current_or_paid_status(status) && past_due.is_some_and(|v| v > 0) {
            let msg = format!("status {shown} is not delinquent: amount past due must be zero");
            self.at(s, &l.amount_past_due_dollars, Code::PastDue, msg);
        }
        if codes::is_paid_or_closed_status(status) && s.number(&l.current_balance_dollars).is_some_and(|v| v > 0) {
            let msg = format!("status {shown} is paid or closed: current balance must be zero");
            self.at(s, &l.current_balance_dollars, Code::BalanceNotZero, msg);
        }
        let revolving = matches!(s.get(&l.portfolio_type), b"R" | b"C");
        if revolving && !matches!(status, b"DA" | b"DF") && s.number(&l.credit_limit_dollars) == Some(0) {
            let msg = "portfolio types R and C need a credit limit";
            self.at(s, &l.credit_limit_dollars, Code::CreditLimit, msg);
        }
    }

    /// Dates against the date of account information and the date opened.
    fn date_order(&mut self, s: &Seg<'_>) {
        let l = layout::base_layout(self.format);
        let Some(info) = s.date(&l.date_account_information) else { return };
        let opened = s.date(&l.date_opened);
        for f in [&l.date_opened, &l.date_first_delinquency, &l.date_closed, &l.date_last_payment] {
            if s.date(f).is_some_and(|d| d > info) {
                self.at(s, f, Code::DateOrder, "date is after the date of account information");
            }
        }
        if let (Some(o), Some(c)) = (opened, s.date(&l.date_closed))
            && c < o
        {
            self.at(s, &l.date_closed, Code::DateOrder, "date closed is before date opened");
        }
    }

    fn segments(&mut self, rec: &RecordRef<'_>) {
        let mut last = 0usize;
        let mut seen = 0u16;
        for span in rec.spans {
            let bytes = rec.bytes.get(span.at..span.at + span.segment.appended_bytes().unwrap_or(0)).unwrap_or(&[]);
            let seg = Seg::new(span.segment, span.at, bytes, Format::Character, self.memo);
            let order = Segment::APPENDED.iter().position(|s| *s == span.segment).unwrap_or(0);
            if order < last {
                self.whole(
                    span.segment,
                    span.at,
                    Code::SegmentOrder,
                    "segments must come in the order J1, J2, K1–K4, L1, N1",
                );
            }
            last = last.max(order);
            let bit = 1u16 << order;
            if seen & bit != 0 && !span.segment.repeats() {
                self.whole(
                    span.segment,
                    span.at,
                    Code::SegmentRepeated,
                    "this segment may appear only once per record",
                );
            }
            seen |= bit;
            if segment_has_data(bytes) {
                self.segment(&seg);
            }
        }
        match rec.tail {
            Tail::Clean | Tail::Padding => {}
            Tail::Unknown(at) => self.whole(Segment::Base, at, Code::SegmentUnknown, "unknown segment identifier"),
            Tail::Cut(at, segment) => {
                self.whole(segment, at, Code::SegmentLength, "segment cut off by the record's end")
            }
        }
    }

    fn segment(&mut self, s: &Seg<'_>) {
        match s.segment {
            Segment::J1 => {
                let l = &layout::J1;
                self.fields(s, l.all(), false);
                self.person(s, &l.ecoa_code, &l.generation_code, &l.social_security_number, &l.date_birth);
            }
            Segment::J2 => {
                let l = &layout::J2;
                self.fields(s, l.all(), false);
                self.person(s, &l.ecoa_code, &l.generation_code, &l.social_security_number, &l.date_birth);
                self.address(s, &l.country_code, &l.state, &l.address_indicator, &l.residence_code);
            }
            Segment::K1 => {
                self.fields(s, layout::K1.all(), false);
                const CLASSES: [u64; 15] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
                self.num_code(s, &layout::K1.creditor_classification, &CLASSES, "creditor classification");
            }
            Segment::K2 => self.k2(s),
            Segment::K3 => self.k3(s),
            Segment::K4 => self.k4(s),
            Segment::L1 => self.l1(s),
            Segment::N1 => self.fields(s, layout::N1.all(), false),
            _ => {}
        }
    }

    fn k2(&mut self, s: &Seg<'_>) {
        let l = &layout::K2;
        self.fields(s, l.all(), false);
        self.num_code(s, &l.purchased_indicator, &[1, 2, 9], "purchased/sold indicator");
        let blank = is_blank(s.get(&l.purchased_name));
        match s.number(&l.purchased_indicator) {
            Some(9) if !blank => {
                self.at(s, &l.purchased_name, Code::FieldUnexpected, "must be blank when the indicator is 9")
            }
            Some(1 | 2) if blank => {
                self.at(s, &l.purchased_name, Code::FieldRequired, "required when the indicator is 1 or 2")
            }
            _ => {}
        }
    }

    fn k3(&mut self, s: &Seg<'_>) {
        let l = &layout::K3;
        self.fields(s, l.all(), false);
        self.num_code(s, &l.agency_identifier, &[0, 1, 2], "agency identifier");
        if matches!(s.number(&l.agency_identifier), Some(1 | 2)) && is_blank(s.get(&l.account_number)) {
            self.at(s, &l.account_number, Code::FieldRequired, "required when an agency is identified");
        }
    }

    fn k4(&mut self, s: &Seg<'_>) {
        let l = &layout::K4;
        self.fields(s, l.all(), true);
        self.num_code(s, &l.specialized_payment_indicator, &[1, 2], "specialized payment indicator");
        match s.number(&l.specialized_payment_indicator) {
            Some(1) => {
                if s.date(&l.balloon_payment_due_date).is_none() {
                    self.at(s, &l.balloon_payment_due_date, Code::FieldRequired, "required for a balloon payment");
                }
                if s.number(&l.balloon_payment_dollars) == Some(0) {
                    self.at(s, &l.balloon_payment_dollars, Code::FieldRequired, "required for a balloon payment");
                }
            }
            Some(2) if s.date(&l.deferred_payment_start_date).is_none() => {
                self.at(s, &l.deferred_payment_start_date, Code::FieldRequired, "required for a deferred payment");
            }
            _ => {}
        }
    }

    fn l1(&mut self, s: &Seg<'_>) {
        let l = &layout::L1;
        self.fields(s, l.all(), false);
        self.num_code(s, &l.change_indicator, &[1, 2, 3], "change indicator");
        let change = s.number(&l.change_indicator);
        if matches!(change, Some(1 | 3)) && is_blank(s.get(&l.new_consumer_account_number)) {
            self.at(s, &l.new_consumer_account_number, Code::FieldRequired, "required for an account number change");
        }
        if matches!(change, Some(2 | 3)) && is_blank(s.get(&l.new_identification_number)) {
            self.at(
                s,
                &l.new_identification_number,
                Code::FieldRequired,
                "required for an identification number change",
            );
        }
    }

    /// The trailer's fields, then each total against the records read.
    fn trailer(&mut self, t: &Kept, totals: &Totals, blocks: Option<u64>) {
        self.record = t.number;
        self.offset = t.offset;
        if t.bytes.len() < self.format.record_bytes() {
            return self.whole(Segment::Trailer, 0, Code::RecordLength, "the trailer record is too short");
        }
        let seg = Seg::new(Segment::Trailer, 0, &t.bytes, self.format, self.memo);
        let l = layout::trailer_layout(self.format);
        self.fields(&seg, [&l.record_identifier, &l.reserved1, &l.reserved2].into_iter(), false);
        for (i, f) in l.totals.iter().enumerate() {
            let want = if i == total::BLOCKS { blocks } else { totals.counts.get(i).copied() };
            match (decode::number(f, seg.get(f), self.format), want) {
                (Err(bad), _) => self.bad(&seg, f, bad),
                (Ok(got), Some(want)) if got != want => {
                    let msg = format!("the trailer says {got}, the records give {want}");
                    self.at(&seg, f, Code::TrailerMismatch, msg);
                }
                _ => {}
            }
        }
    }
}

/// Whether every text field of a packed record is printable, checking adjacent text fields as one
/// run (the packed layouts keep their text in a few long runs).
fn text_runs_printable<'f>(bytes: &[u8], fields: impl Iterator<Item = &'f F>) -> bool {
    let (mut start, mut end) = (0, 0);
    let mut ok = true;
    for f in fields.filter(|f| f.kind == Kind::Text) {
        if f.at != end {
            ok &= is_printable(bytes.get(start..end).unwrap_or(&[]));
            start = f.at;
        }
        end = f.end();
    }
    ok & is_printable(bytes.get(start..end).unwrap_or(&[]))
}

/// Whether an SSN could have been issued: area not 000, 666 or 900–999, group not 00, serial
/// not 0000.
/// Whether a 9-digit number is an ITIN: area 9xx and a group the IRS uses for ITINs.
fn is_itin(v: u64) -> bool {
    let (area, group) = (v / 1_000_000, (v / 10_000) % 100);
    (900..=999).contains(&area) && matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

fn ssn_can_be_issued(v: u64) -> bool {
    let (area, group, serial) = (v / 1_000_000, (v / 10_000) % 100, v % 10_000);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}
