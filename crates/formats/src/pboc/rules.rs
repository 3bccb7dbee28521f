//! The rules across the fields and segments of one record: report-date reasons, segments
//! required or forbidden per reason and account type, date order, and the consistency of the
//! performance figures. (An account code held by another institution, ABE002, needs the store:
//! the bureau checks it.)

use super::codes::{ErrorCode as E, ReportReason as R, is_closing_state};
use super::record::{
    CorrectedSegment, Correction, CreditAgreement, InfoSegment, LoanAccount, MonthlySegment, NonMonthlySegment,
    PbocRecord, PersonInfo, Subject,
};
use super::{NEW_ACCOUNT_DAYS_MAX, ReportReason};
use ob_model::{AccountType, FieldError, RepaymentStatus, YearMonth};
use time::Date;

const B: &str = "AcctBsSgmt";
const C: &str = "AcctBsInfSgmt";
const D: &str = "RltRepymtInfSgmt";
const F: &str = "AcctCredSgmt";
const H: &str = "AcctMthlyBlgInfSgmt";
const J: &str = "AcctDbtInfSgmt";
const K: &str = "AcctSpecTrstDspnSgmt";

fn err(errors: &mut Vec<FieldError>, code: E, field: &str, message: &str) {
    errors.push(FieldError::new(code.code(), field, message));
}

/// Applies every rule to a record whose fields are individually valid.
pub(crate) fn check(record: &PbocRecord, errors: &mut Vec<FieldError>) {
    match record {
        PbocRecord::Account(a) => account(a, errors),
        PbocRecord::Correction(c) => correction(c, errors),
        PbocRecord::IdChange(c) if c.old_code == c.new_code => {
            err(errors, E::Format, "NwBnesCode", "the new code equals the old one")
        }
        PbocRecord::SegmentDeletion(d) if d.end < d.start => {
            err(errors, E::DateOrder, "DelEndDate", "the range ends before it starts")
        }
        PbocRecord::Agreement(a) => agreement(a, errors),
        PbocRecord::Person(p) => person(p, errors),
        _ => {}
    }
}

fn account(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    subject_birth(&a.base.subject, "AcctBsSgmt.ObBirthDate", errors);
    account_type_rules(a, errors);
    reason_rules(a, errors);
    date_order(a, errors);
    if let Some(c) = &a.info {
        info(c, a.base.account_type, errors);
    }
    if let Some(h) = &a.monthly {
        monthly(h, a.base.account_type, &format!("{H}."), errors);
    }
    if let Some(j) = &a.non_monthly {
        non_monthly(j, a.base.account_type, errors);
    }
}

/// C1 collections have no monthly performance (H) and no credit agreement (F): they report J.
fn account_type_rules(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    if a.base.account_type != AccountType::C1 {
        return;
    }
    if a.monthly.is_some() {
        err(errors, E::TypeForbids, H, "a C1 collection reports J, not monthly performance H");
    }
    if a.agreement_code.is_some() {
        err(errors, E::TypeForbids, F, "a C1 collection has no credit agreement");
    }
    if a.base.reason == R::Monthly {
        err(errors, E::ReasonForType, &format!("{B}.RptDateCode"), "reason 30 (monthly) is not used for C1");
    }
}

/// Which segments each report-date reason needs and forbids.
fn reason_rules(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    let t = a.base.account_type;
    let collection = t == AccountType::C1;
    let performance = if collection { a.non_monthly.is_some() } else { a.monthly.is_some() };
    let perf_name = if collection { J } else { H };
    let mut need = |ok: bool, seg: &str, msg: &str| {
        if !ok {
            err(errors, E::ReasonNeeds, seg, msg);
        }
    };
    match a.base.reason {
        R::New => {
            need(a.info.is_some(), C, "reason 10 (new account) needs segment C");
            need(performance, perf_name, "reason 10 (new account) needs the account's performance");
            let revolving = t.is_revolving() || t == AccountType::R4;
            need(!revolving || a.agreement_code.is_some(), F, "reason 10 for a revolving type needs segment F");
        }
        R::FirstExisting => {
            need(a.info.is_some(), C, "reason 31 (first report of an existing account) needs segment C");
            need(performance, perf_name, "reason 31 needs the account's performance");
        }
        R::Closed | R::ClosedMonthEnd => {
            need(performance, perf_name, "a closing reason needs the account's performance")
        }
        R::Monthly => need(a.monthly.is_some(), H, "reason 30 (monthly settlement) needs segment H"),
        R::Recovered => need(a.non_monthly.is_some(), J, "reason 40 (overdue amount recovered) needs segment J"),
    }
    forbidden(a, errors);
    closing_and_month_end(a, errors);
}

fn forbidden(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    let mut forbid = |present: bool, seg: &str, msg: &str| {
        if present {
            err(errors, E::ReasonForbids, seg, msg);
        }
    };
    if a.base.reason == R::Recovered {
        let msg = "reason 40 carries segment J only";
        forbid(a.info.is_some(), C, msg);
        forbid(!a.parties.is_empty(), D, msg);
        forbid(a.agreement_code.is_some(), F, msg);
        forbid(a.monthly.is_some(), H, msg);
        forbid(!a.special.is_empty(), K, msg);
    } else if a.base.account_type != AccountType::C1 {
        forbid(a.non_monthly.is_some(), J, "segment J is reported with reason 40 only (C1: always)");
    }
}

fn closing_and_month_end(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    let reason = a.base.reason;
    let close = a.monthly.as_ref().map(|h| h.close_date).or(a.non_monthly.as_ref().map(|j| j.close_date)).flatten();
    if matches!(reason, R::Closed | R::ClosedMonthEnd) && close.is_none() {
        let seg = if a.base.account_type == AccountType::C1 { J } else { H };
        err(errors, E::CloseDateMissing, &format!("{seg}.CloseDate"), "a closing reason needs a close date");
    }
    let month_end = a.base.report_date.next_day().is_none_or(|d| d.day() == 1);
    if matches!(reason, R::FirstExisting | R::ClosedMonthEnd) && !month_end {
        err(errors, E::NotMonthEnd, &format!("{B}.RptDate"), "reasons 31 and 32 are reported at month end");
    }
    if reason == R::New
        && let Some(c) = &a.info
        && (a.base.report_date - c.open_date).whole_days() > NEW_ACCOUNT_DAYS_MAX
    {
        err(errors, E::NewTooLate, &format!("{B}.RptDateCode"), "a new account is reported within 30 days of opening");
    }
}

/// The report date is not before the open, settlement and close dates; the other dates in order.
fn date_order(a: &LoanAccount, errors: &mut Vec<FieldError>) {
    let report = a.base.report_date;
    let mut after = |d: Option<Date>, field: &str, msg: &str| {
        if d.is_some_and(|d| report < d) {
            err(errors, E::DateOrder, &format!("{B}.RptDate"), &format!("{msg} ({field})"));
        }
    };
    after(a.info.as_ref().map(|c| c.open_date), "OpenDate", "report date before the open date");
    if let Some(h) = &a.monthly {
        after(Some(h.settle_date), "SettDate", "report date before the settlement date");
        after(h.close_date, "CloseDate", "report date before the close date");
    }
    if let Some(j) = &a.non_monthly {
        after(j.close_date, "CloseDate", "report date before the close date");
        after(j.last_payment, "LatRpyDate", "report date before the last repayment");
    }
    for k in &a.special {
        after(Some(k.date), "TranDate", "report date before a special transaction");
    }
    if let (Some(c), Some(h)) = (&a.info, &a.monthly)
        && h.month < YearMonth::of(c.open_date)
    {
        err(errors, E::DateOrder, &format!("{H}.Month"), "a month before the account was opened");
    }
}

fn info(c: &InfoSegment, t: AccountType, errors: &mut Vec<FieldError>) {
    if t == AccountType::D1 {
        if c.periods.is_none() {
            err(errors, E::Missing, &format!("{C}.RepayPrd"), "a non-revolving loan states its number of periods");
        }
        if c.due_date.is_none() {
            err(errors, E::Missing, &format!("{C}.DueDate"), "a non-revolving loan states its maturity date");
        }
    }
    if c.due_date.is_some_and(|d| d < c.open_date) {
        err(errors, E::DateOrder, &format!("{C}.DueDate"), "maturity date before the open date");
    }
}

/// The figures of a month agree: status, overdue periods and total; state and close date;
/// the settlement date in the month; the balance of a settled account zero.
pub(crate) fn monthly(h: &MonthlySegment, t: AccountType, prefix: &str, errors: &mut Vec<FieldError>) {
    let f = |name: &str| format!("{prefix}{name}");
    if YearMonth::of(h.settle_date) != h.month {
        err(errors, E::DateOrder, &f("SettDate"), "the settlement date is outside the month");
    }
    if h.last_payment.is_some_and(|d| d > h.settle_date) {
        err(errors, E::DateOrder, &f("LatRpyDate"), "last payment after the settlement date");
    }
    if h.close_date.is_some_and(|d| d > h.settle_date) {
        err(errors, E::DateOrder, &f("CloseDate"), "close date after the settlement date");
    }
    overdue(h.status, h.overdue_periods, h.overdue_total_fen, h.balance_fen, prefix, errors);
    closing(t, &h.account_state, h.close_date, (h.status, h.balance_fen), prefix, errors);
    if let Some(p) = h.overdue_principal_fen {
        if p > h.overdue_total_fen {
            err(errors, E::Inconsistent, &f("OverdPrinc"), "overdue principal above the overdue total");
        }
        let buckets: i64 = h.overdue_buckets_fen.iter().flatten().sum();
        if buckets > p {
            err(errors, E::Inconsistent, &f("OverdPrinc"), "overdue principal by age adds up to more than it");
        }
    }
}

fn non_monthly(j: &NonMonthlySegment, t: AccountType, errors: &mut Vec<FieldError>) {
    let prefix = format!("{J}.");
    overdue(j.status, j.overdue_periods, j.overdue_total_fen, j.balance_fen, &prefix, errors);
    closing(t, &j.account_state, j.close_date, (j.status, j.balance_fen), &prefix, errors);
    if j.close_date.is_some_and(|c| j.last_payment.is_some_and(|p| p > c)) {
        err(errors, E::DateOrder, &format!("{J}.LatRpyDate"), "last repayment after the close date");
    }
}

fn overdue(
    status: RepaymentStatus,
    periods: u16,
    total: i64,
    balance: i64,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    use RepaymentStatus as S;
    let f = |name: &str| format!("{prefix}{name}");
    match status {
        s if s.overdue_periods().is_some() && (periods == 0 || total == 0) => {
            err(errors, E::Inconsistent, &f("OverdPrd"), "an overdue status needs overdue periods and a total")
        }
        S::Normal | S::NothingDue | S::Settled => {
            if periods != 0 || total != 0 {
                err(errors, E::Inconsistent, &f("OverdPrd"), "nothing is overdue under this status");
            }
            if status == S::Settled && balance != 0 {
                err(errors, E::Inconsistent, &f("AcctBal"), "a settled account has a zero balance");
            }
        }
        S::NotOpen => err(errors, E::Inconsistent, &f("RpyStatus"), "\"/\" is shown by reports, not reported"),
        _ => {}
    }
}

fn closing(
    t: AccountType,
    state: &str,
    close: Option<Date>,
    (status, balance_fen): (RepaymentStatus, i64),
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    let closing_state = is_closing_state(t, state);
    if closing_state != close.is_some() {
        err(errors, E::Inconsistent, &format!("{prefix}CloseDate"), "a close date goes with a closing account state");
    }
    if close.is_some() && !status.closes_with(balance_fen) {
        let why = "a closing month has status C, G or Z, or D with nothing left owing";
        err(errors, E::Inconsistent, &format!("{prefix}RpyStatus"), why);
    }
}

fn correction(c: &Correction, errors: &mut Vec<FieldError>) {
    match &c.segment {
        CorrectedSegment::Monthly(h) => {
            if c.account_type == AccountType::C1 {
                err(errors, E::TypeForbids, H, "a C1 collection reports J, not monthly performance H");
            }
            monthly(h, c.account_type, &format!("{H}."), errors);
        }
        CorrectedSegment::NonMonthly(j) => non_monthly(j, c.account_type, errors),
        CorrectedSegment::Info(i) => info(i, c.account_type, errors),
        CorrectedSegment::Agreement(_) if c.account_type == AccountType::C1 => {
            err(errors, E::TypeForbids, F, "a C1 collection has no credit agreement")
        }
        _ => {}
    }
}

fn agreement(a: &CreditAgreement, errors: &mut Vec<FieldError>) {
    if !matches!(a.reason, ReportReason::New | ReportReason::Closed) {
        err(errors, E::NotListed, "CtrctBsSgmt.RptDateCode", "a credit agreement is reported with 10 or 20");
    }
    if a.expiry.is_some_and(|e| e < a.effective) {
        err(errors, E::DateOrder, "CreditLimSgmt.ConExpDate", "the agreement ends before it takes effect");
    }
    if a.report_date < a.effective {
        err(errors, E::DateOrder, "CtrctBsSgmt.RptDate", "report date before the agreement takes effect");
    }
    subject_birth(&a.subject, "CtrctBsSgmt.ObBirthDate", errors);
}

fn person(p: &PersonInfo, errors: &mut Vec<FieldError>) {
    if p.birth_date > p.report_date {
        err(errors, E::DateOrder, "FcsInfSgmt.DOB", "born after the report date");
    }
    if p.subject.document.prc_birth_date().is_some_and(|d| d != p.birth_date) {
        err(errors, E::Inconsistent, "FcsInfSgmt.DOB", "birth date differs from the one in the resident ID");
    }
}

fn subject_birth(s: &Subject, field: &str, errors: &mut Vec<FieldError>) {
    if let (Some(given), Some(embedded)) = (s.birth_date, s.document.prc_birth_date())
        && given != embedded
    {
        err(errors, E::Inconsistent, field, "birth date differs from the one in the resident ID");
    }
}
