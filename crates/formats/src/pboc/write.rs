//! Typed records to `<Document>` lines, and the file writer (header, then one record per line).

use super::codes::RecordType;
use super::file::Header;
use super::parse::format_amount;
use super::record::{
    CorrectedSegment, CreditAgreement, InfoSegment, LoanAccount, MonthlySegment, NonMonthlySegment, PbocRecord,
    PersonInfo, RelatedParty, SpecialTransaction, Subject,
};
use super::xml::{ROOT, close_tag, leaf, open_tag};
use crate::text::date_text;
use ob_model::{FieldError, Responsibility};
use std::io::{self, Write};
use time::Date;

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// The header does not fit its layout.
    #[error("{0}")]
    Header(FieldError),
    /// A record of another type than the file's.
    #[error("a {found} record in a file of {file} records")]
    RecordType {
        /// The file's type.
        file: RecordType,
        /// The record's.
        found: RecordType,
    },
    /// The records written differ in number from the header's count.
    #[error("the header announced {announced} records, {written} were written")]
    Count {
        /// The header's count.
        announced: u64,
        /// Records written.
        written: u64,
    },
}

/// Writes a PBOC-style file: the header (whose count the caller states first), then each record
/// on its own line (LF). [`Writer::finish`] checks the count.
pub struct Writer<W: Write> {
    out: W,
    header: Header,
    written: u64,
    line: String,
}

impl<W: Write> Writer<W> {
    /// Starts a file with its header line.
    pub fn new(mut out: W, header: Header) -> Result<Writer<W>, WriteError> {
        let line = header.line().map_err(WriteError::Header)?;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(Writer { out, header, written: 0, line: String::with_capacity(2048) })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &PbocRecord) -> Result<(), WriteError> {
        if record.record_type() != self.header.record_type {
            return Err(WriteError::RecordType { file: self.header.record_type, found: record.record_type() });
        }
        self.line.clear();
        to_xml(record, &mut self.line);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.written += 1;
        Ok(())
    }

    /// Checks the count, flushes and returns the output.
    pub fn finish(mut self) -> Result<W, WriteError> {
        if self.written != self.header.count {
            return Err(WriteError::Count { announced: self.header.count, written: self.written });
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes a whole file: the header (its count set to the number of records), then the records.
pub fn write_file<W: Write>(out: W, mut header: Header, records: &[PbocRecord]) -> Result<W, WriteError> {
    header.count = records.len() as u64;
    let mut w = Writer::new(out, header)?;
    for r in records {
        w.write(r)?;
    }
    w.finish()
}

/// One record as its `<Document>` line (without a line break).
pub fn to_xml(record: &PbocRecord, out: &mut String) {
    open_tag(out, ROOT);
    match record {
        PbocRecord::Account(a) => account(a, out),
        PbocRecord::Person(p) => person(p, out),
        PbocRecord::IdChange(c) => {
            leaf(out, "InfRecType", RecordType::IdChange.as_str());
            leaf(out, "OdBnesCode", &c.old_code);
            leaf(out, "NwBnesCode", &c.new_code);
        }
        PbocRecord::Correction(c) => {
            leaf(out, "InfRecType", RecordType::Correction.as_str());
            leaf(out, "ModRecCode", &c.account_code);
            leaf(out, "AcctType", c.account_type.as_str());
            leaf(out, "MdfcSgmtCode", c.segment.code().as_str());
            corrected(&c.segment, c.account_type.is_revolving(), out);
        }
        PbocRecord::SegmentDeletion(d) => {
            leaf(out, "InfRecType", RecordType::SegmentDeletion.as_str());
            leaf(out, "DelRecCode", &d.account_code);
            leaf(out, "DelSgmtCode", d.segment.as_str());
            leaf(out, "DelStartDate", &date_text(d.start));
            leaf(out, "DelEndDate", &date_text(d.end));
        }
        PbocRecord::AccountDeletion(d) => {
            leaf(out, "InfRecType", RecordType::AccountDeletion.as_str());
            leaf(out, "DelRecCode", &d.account_code);
        }
        PbocRecord::SpecialEvent(e) => {
            leaf(out, "InfRecType", RecordType::SpecialEvent.as_str());
            leaf(out, "AcctCode", &e.account_code);
            leaf(out, "Month", &e.month.to_string());
            leaf(out, "SpecEvtType", e.kind.as_str());
            opt(out, "SpecEvtDesc", e.description.as_deref());
        }
        PbocRecord::Agreement(a) => agreement(a, out),
    }
    close_tag(out, ROOT);
}

fn opt(out: &mut String, name: &str, v: Option<&str>) {
    if let Some(v) = v {
        leaf(out, name, v);
    }
}

fn amount(out: &mut String, name: &str, fen: i64) {
    leaf(out, name, &format_amount(fen));
}

fn opt_amount(out: &mut String, name: &str, fen: Option<i64>) {
    if let Some(fen) = fen {
        amount(out, name, fen);
    }
}

fn opt_date(out: &mut String, name: &str, d: Option<Date>) {
    if let Some(d) = d {
        leaf(out, name, &date_text(d));
    }
}

fn opt_num(out: &mut String, name: &str, n: Option<impl ToString>) {
    if let Some(n) = n {
        leaf(out, name, &n.to_string());
    }
}

fn subject(out: &mut String, s: &Subject, names: [&str; 3]) {
    leaf(out, names[0], &s.name);
    leaf(out, names[1], s.id_type.as_str());
    leaf(out, names[2], s.document.expose());
}

fn responsibility(out: &mut String, r: Responsibility) {
    if r != Responsibility::Individual {
        leaf(out, "ObResp", r.as_str());
    }
}

fn account(a: &LoanAccount, out: &mut String) {
    let b = &a.base;
    open_tag(out, "AcctBsSgmt");
    leaf(out, "InfRecType", RecordType::Account.as_str());
    leaf(out, "AcctType", b.account_type.as_str());
    leaf(out, "AcctCode", &b.account_code);
    leaf(out, "RptDate", &date_text(b.report_date));
    leaf(out, "RptDateCode", b.reason.as_str());
    subject(out, &b.subject, ["Name", "IDType", "IDNum"]);
    leaf(out, "MngmtOrgCode", &b.managing_org);
    opt_date(out, "ObBirthDate", b.subject.birth_date);
    close_tag(out, "AcctBsSgmt");
    if let Some(c) = &a.info {
        info(c, b.account_type.is_revolving(), out);
    }
    if !a.parties.is_empty() {
        parties(&a.parties, out);
    }
    if let Some(code) = &a.agreement_code {
        agreement_link(code, out);
    }
    if let Some(h) = &a.monthly {
        monthly(h, out);
    }
    if let Some(j) = &a.non_monthly {
        non_monthly(j, out);
    }
    if !a.special.is_empty() {
        special(&a.special, out);
    }
}

fn info(c: &InfoSegment, revolving: bool, out: &mut String) {
    open_tag(out, "AcctBsInfSgmt");
    leaf(out, "BusiLines", c.business_line.as_str());
    opt(out, "BusiDtlLines", c.loan_kind.map(|k| k.as_str()));
    leaf(out, "OpenDate", &date_text(c.open_date));
    leaf(out, "Cy", c.currency.as_str());
    amount(out, if revolving { "AcctCredLine" } else { "LoanAmt" }, c.amount_fen);
    opt_date(out, "DueDate", c.due_date);
    opt(out, "RepayMode", c.method.map(|m| m.as_str()));
    leaf(out, "RepayFreqcy", c.frequency.as_str());
    opt_num(out, "RepayPrd", c.periods);
    leaf(out, "GuarMode", c.guarantee.as_str());
    opt_num(out, "ObRepayDay", c.repay_day);
    responsibility(out, c.responsibility);
    close_tag(out, "AcctBsInfSgmt");
}

fn parties(parties: &[RelatedParty], out: &mut String) {
    open_tag(out, "RltRepymtInfSgmt");
    for p in parties {
        open_tag(out, "RltRepymtInf");
        leaf(out, "ArlpName", &p.name);
        leaf(out, "ArlpCertType", p.id_type.as_str());
        leaf(out, "ArlpCertNum", p.document.expose());
        leaf(out, "ArlpType", p.party_type.as_str());
        opt_amount(out, "ArlpAmt", p.amount_fen);
        close_tag(out, "RltRepymtInf");
    }
    close_tag(out, "RltRepymtInfSgmt");
}

fn agreement_link(code: &str, out: &mut String) {
    open_tag(out, "AcctCredSgmt");
    leaf(out, "ContractCode", code);
    close_tag(out, "AcctCredSgmt");
}

fn monthly(h: &MonthlySegment, out: &mut String) {
    open_tag(out, "AcctMthlyBlgInfSgmt");
    leaf(out, "Month", &h.month.to_string());
    leaf(out, "SettDate", &date_text(h.settle_date));
    leaf(out, "AcctStatus", &h.account_state);
    amount(out, "AcctBal", h.balance_fen);
    opt_amount(out, "UsedAmt", h.used_fen);
    opt_num(out, "RemRepPrd", h.remaining_periods);
    opt(out, "FiveCate", h.class5.map(|c| c.as_str()));
    leaf(out, "RpyStatus", h.status.as_str());
    leaf(out, "OverdPrd", &h.overdue_periods.to_string());
    amount(out, "TotOverd", h.overdue_total_fen);
    opt_amount(out, "OverdPrinc", h.overdue_principal_fen);
    let names = ["Oved31_60Princ", "Oved61_90Princ", "Oved91_180Princ", "OvedPrincPD180"];
    for (name, v) in names.iter().zip(h.overdue_buckets_fen) {
        opt_amount(out, name, v);
    }
    amount(out, "CurRpyAmt", h.due_fen);
    amount(out, "ActRpyAmt", h.paid_fen);
    opt_date(out, "LatRpyDate", h.last_payment);
    opt_date(out, "CloseDate", h.close_date);
    opt_num(out, "ObDaysPastDue", h.days_past_due);
    opt_amount(out, "ObCredLine", h.credit_limit_fen);
    close_tag(out, "AcctMthlyBlgInfSgmt");
}

fn non_monthly(j: &NonMonthlySegment, out: &mut String) {
    open_tag(out, "AcctDbtInfSgmt");
    leaf(out, "AcctStatus", &j.account_state);
    amount(out, "AcctBal", j.balance_fen);
    opt(out, "FiveCate", j.class5.map(|c| c.as_str()));
    leaf(out, "RpyStatus", j.status.as_str());
    leaf(out, "OverdPrd", &j.overdue_periods.to_string());
    amount(out, "TotOverd", j.overdue_total_fen);
    amount(out, "LatRpyAmt", j.last_payment_fen);
    opt_date(out, "LatRpyDate", j.last_payment);
    opt_date(out, "CloseDate", j.close_date);
    opt_num(out, "ObDaysPastDue", j.days_past_due);
    close_tag(out, "AcctDbtInfSgmt");
}

fn special(items: &[SpecialTransaction], out: &mut String) {
    open_tag(out, "AcctSpecTrstDspnSgmt");
    for k in items {
        open_tag(out, "CagOfTrdInf");
        leaf(out, "ChanTranType", k.kind.as_str());
        leaf(out, "TranDate", &date_text(k.date));
        amount(out, "TranAmt", k.amount_fen);
        opt_num(out, "DueTranMon", k.months_changed);
        opt(out, "DetInfo", k.detail.as_deref());
        close_tag(out, "CagOfTrdInf");
    }
    close_tag(out, "AcctSpecTrstDspnSgmt");
}

fn corrected(s: &CorrectedSegment, revolving: bool, out: &mut String) {
    match s {
        CorrectedSegment::Info(c) => info(c, revolving, out),
        CorrectedSegment::Parties(p) => parties(p, out),
        CorrectedSegment::Agreement(code) => agreement_link(code, out),
        CorrectedSegment::Monthly(h) => monthly(h, out),
        CorrectedSegment::NonMonthly(j) => non_monthly(j, out),
        CorrectedSegment::Special(k) => special(k, out),
    }
}

fn agreement(a: &CreditAgreement, out: &mut String) {
    open_tag(out, "CtrctBsSgmt");
    leaf(out, "InfRecType", RecordType::Agreement.as_str());
    leaf(out, "ContractCode", &a.agreement_code);
    leaf(out, "RptDate", &date_text(a.report_date));
    leaf(out, "RptDateCode", a.reason.as_str());
    subject(out, &a.subject, ["Name", "IDType", "IDNum"]);
    leaf(out, "MngmtOrgCode", &a.managing_org);
    opt_date(out, "ObBirthDate", a.subject.birth_date);
    close_tag(out, "CtrctBsSgmt");
    open_tag(out, "CreditLimSgmt");
    leaf(out, "CreditLimType", a.limit_type.as_str());
    leaf(out, "Cy", a.currency.as_str());
    amount(out, "CreditLim", a.limit_fen);
    leaf(out, "ConEffDate", &date_text(a.effective));
    opt_date(out, "ConExpDate", a.expiry);
    leaf(out, "ConStatus", a.status.as_str());
    opt_num(out, "ObRepayDay", a.repay_day);
    responsibility(out, a.responsibility);
    close_tag(out, "CreditLimSgmt");
}

fn person(p: &PersonInfo, out: &mut String) {
    open_tag(out, "BsSgmt");
    leaf(out, "InfRecType", RecordType::Person.as_str());
    subject(out, &p.subject, ["Name", "IDType", "IDNum"]);
    leaf(out, "InfSurcCode", &p.source_org);
    leaf(out, "RptDate", &date_text(p.report_date));
    close_tag(out, "BsSgmt");
    open_tag(out, "FcsInfSgmt");
    leaf(out, "DOB", &date_text(p.birth_date));
    close_tag(out, "FcsInfSgmt");
}
