//! PBOC-style records onto OpenBureau's model, and back (docs/formats/pboc.md, "Mapping").
//!
//! | PBOC-style | model |
//! |---|---|
//! | 210 with C | `AccountRecord` (R4: F's agreement code becomes `credit_line_key`) |
//! | 210 with H | `MonthRecord` of H's month |
//! | 210 of a C1 with J | `MonthRecord` of the report date's month (C1 has no monthly H) |
//! | 211 | `RekeyRecord` |
//! | 212 correcting H | `MonthRecord` (the bureau stores it as a later version) |
//! | 213 deleting H over a range | `DeleteRecord` of the months in the range |
//! | 214 | `DeleteRecord` of the whole account |
//! | 220 | `AgreementRecord`: the credit agreement, of any limit type |
//! | 110 | the person's `Identity` ([`identity`]); no record: the model has no kind for it |
//! | 210 with K; 215 | a `SpecialRecord` per transaction or event (its free text is not kept) |
//! | 210 J of other types; D | nothing the model holds |
//!
//! Consents are not in the format: under the PRC policy the bureau requires the furnisher's
//! reporting consents as canonical records before a PBOC-style file is accepted.

use super::NEW_ACCOUNT_DAYS_MAX;
use super::codes::{
    AgreementStatus, ErrorCode as E, EventType, GuaranteeMode, IdType, LimitType, RepayFrequency, ReportReason,
    SegmentCode, SpecialTxType, account_state_for, business_line_for, default_days_past_due,
};
use super::record::{
    AccountDeletion, BaseSegment, CorrectedSegment, CreditAgreement, IdChange, InfoSegment, LoanAccount,
    MonthlySegment, NonMonthlySegment, PbocRecord, PersonInfo, SegmentDeletion, SpecialEvent, SpecialTransaction,
    Subject,
};
use ob_model::records::{
    AccountRecord, AgreementRecord, ContractTerms, DeleteRecord, Identity, MonthDetail, MonthRecord, Record,
    RekeyRecord, SpecialRecord, Terms,
};
use ob_model::{AccountType, Code, FieldError, SpecialKind, YearMonth};
use std::collections::HashMap;
use time::Date;

/// The model records a PBOC-style record stands for, each checked by the model's own rules
/// (their errors carry six-character codes too, see [`super::codes::feedback_code`]).
pub fn to_records(record: &PbocRecord) -> Result<Vec<Record>, Vec<FieldError>> {
    let records = match record {
        PbocRecord::Account(a) => account(a)?,
        PbocRecord::IdChange(c) => vec![rekey(c)],
        PbocRecord::Correction(c) => match &c.segment {
            CorrectedSegment::Monthly(h) => vec![Record::Month(month(&c.account_code, h))],
            _ => return Err(not_held("MdfcSgmtCode", "the model holds corrections of segment H only")),
        },
        PbocRecord::SegmentDeletion(d) => vec![segment_deletion(d)?],
        PbocRecord::AccountDeletion(AccountDeletion { account_code }) => {
            vec![Record::Delete(DeleteRecord { account_key: account_code.clone(), months: None })]
        }
        PbocRecord::Agreement(a) => vec![Record::Agreement(agreement(a)?)],
        PbocRecord::SpecialEvent(e) => vec![Record::Special(special_event(e))],
        PbocRecord::Person(_) => Vec::new(),
    };
    let errors: Vec<FieldError> = records.iter().flat_map(check).collect();
    if errors.is_empty() { Ok(records) } else { Err(errors) }
}

/// The person an account message (210) names in its base segment, which the model's records keep
/// only with the account's terms (segment C): a message of months alone names its person too,
/// and the bureau checks that the account is that person's.
pub fn named(record: &PbocRecord) -> Option<&Subject> {
    match record {
        PbocRecord::Account(a) => Some(&a.base.subject),
        _ => None,
    }
}

/// The person a 110 record describes.
pub fn identity(p: &PersonInfo) -> Identity {
    Identity { name: p.subject.name.clone(), birth_date: p.birth_date, document: p.subject.document.clone() }
}

fn not_held(field: &str, message: &str) -> Vec<FieldError> {
    vec![FieldError::new(E::NotHeld.code(), field, message)]
}

/// The model's own checks, their codes turned into six-character ones and fields into elements.
fn check(r: &Record) -> Vec<FieldError> {
    let errors = match r {
        Record::Account(a) => a.check(),
        Record::Month(m) => m.check(),
        Record::Delete(d) => d.check(),
        Record::Rekey(k) => k.check(),
        Record::Consent(c) => c.check(),
        Record::Special(s) => s.check(),
        Record::Agreement(a) => a.check(),
        Record::Notice(_) => Vec::new(),
    };
    errors
        .into_iter()
        .map(|e| FieldError::new(Code::Format(super::codes::feedback_code(e.code)), element_of(&e.field), e.message))
        .collect()
}

/// The element a model field comes from (the model's name when no element matches one to one).
fn element_of(field: &str) -> String {
    let e = match field {
        "balance" => "AcctMthlyBlgInfSgmt.AcctBal",
        "used_amount" => "AcctMthlyBlgInfSgmt.UsedAmt",
        "amount_due" => "AcctMthlyBlgInfSgmt.CurRpyAmt",
        "amount_paid" => "AcctMthlyBlgInfSgmt.ActRpyAmt",
        "past_due_amount" => "AcctMthlyBlgInfSgmt.TotOverd",
        "status" => "AcctMthlyBlgInfSgmt.RpyStatus",
        "days_past_due" => "AcctMthlyBlgInfSgmt.ObDaysPastDue",
        "settled_on" => "AcctMthlyBlgInfSgmt.SettDate",
        "closed_on" => "AcctMthlyBlgInfSgmt.CloseDate",
        "last_payment_on" => "AcctMthlyBlgInfSgmt.LatRpyDate",
        "opened_on" => "AcctBsInfSgmt.OpenDate",
        "credit_limit" => "AcctBsInfSgmt.AcctCredLine",
        "terms.periods" => "AcctBsInfSgmt.RepayPrd",
        "account_key" => "AcctBsSgmt.AcctCode",
        "new_account_key" => "NwBnesCode",
        "subject.name" => "AcctBsSgmt.Name",
        "subject.birth_date" => "AcctBsSgmt.ObBirthDate",
        "to_month" => "DelEndDate",
        other => return format!("model.{other}"),
    };
    e.to_owned()
}

/// The person of a base segment: the birth date from `ObBirthDate` or the resident ID.
fn subject_identity(s: &Subject, field: &str) -> Result<Identity, Vec<FieldError>> {
    let birth_date = s.birth_date.or_else(|| s.document.prc_birth_date()).ok_or_else(|| {
        let m = "no birth date: give ObBirthDate for a document that does not embed one";
        vec![FieldError::new(E::BirthDateUnknown.code(), field, m)]
    })?;
    Ok(Identity { name: s.name.clone(), birth_date, document: s.document.clone() })
}

fn account(a: &LoanAccount) -> Result<Vec<Record>, Vec<FieldError>> {
    let b = &a.base;
    let mut out = Vec::with_capacity(2);
    if let Some(c) = &a.info {
        let subject = subject_identity(&b.subject, "AcctBsSgmt.ObBirthDate")?;
        let line = (b.account_type == AccountType::R4).then(|| a.agreement_code.clone()).flatten();
        out.push(Record::Account(account_record(b, c, subject, line)));
    }
    if let Some(h) = &a.monthly {
        out.push(Record::Month(month(&b.account_code, h)));
    }
    if let (Some(j), AccountType::C1) = (&a.non_monthly, b.account_type) {
        out.push(Record::Month(month_of_j(&b.account_code, b.report_date, j)));
    }
    out.extend(a.special.iter().map(|k| Record::Special(special_transaction(&b.account_code, k))));
    Ok(out)
}

fn special_transaction(key: &str, k: &SpecialTransaction) -> SpecialRecord {
    let kind = k.kind.kind();
    let moves = matches!(kind, SpecialKind::Extension | SpecialKind::LenderDeferral);
    SpecialRecord {
        account_key: key.to_owned(),
        kind,
        on: k.date,
        amount_minor: Some(k.amount_fen),
        // Lenders fill `DueTranMon` with 0 where nothing moved: only a move is kept.
        months_changed: k.months_changed.filter(|m| moves || *m != 0),
    }
}

fn special_event(e: &SpecialEvent) -> SpecialRecord {
    SpecialRecord {
        account_key: e.account_code.clone(),
        kind: e.kind.kind(),
        on: e.month.first_day(),
        amount_minor: None,
        months_changed: None,
    }
}

fn account_record(b: &BaseSegment, c: &InfoSegment, subject: Identity, line: Option<String>) -> AccountRecord {
    AccountRecord {
        account_key: b.account_code.clone(),
        subject,
        account_type: b.account_type,
        opened_on: c.open_date,
        currency: c.currency,
        credit_limit_minor: c.amount_fen,
        terms: Terms {
            periods: c.periods,
            due_day: c.repay_day,
            contract: ContractTerms {
                loan_kind: c.loan_kind,
                guarantee: Some(c.guarantee),
                maturity_on: c.due_date,
                frequency: Some(c.frequency),
                method: c.method,
            },
        },
        responsibility: c.responsibility,
        credit_line_key: line,
    }
}

fn month(key: &str, h: &MonthlySegment) -> MonthRecord {
    MonthRecord {
        account_key: key.to_owned(),
        month: h.month,
        settled_on: h.settle_date,
        balance_minor: h.balance_fen,
        used_minor: h.used_fen.unwrap_or(h.balance_fen),
        due_minor: h.due_fen,
        paid_minor: h.paid_fen,
        past_due_minor: h.overdue_total_fen,
        days_past_due: h.days_past_due.unwrap_or_else(|| default_days_past_due(h.status)),
        status: h.status,
        class5: h.class5,
        last_payment_on: h.last_payment,
        closed_on: h.close_date,
        credit_limit_minor: h.credit_limit_fen,
        detail: MonthDetail {
            overdue_periods: (h.status.overdue_periods().map_or(0, u16::from) != h.overdue_periods)
                .then_some(h.overdue_periods),
            overdue_principal_minor: h.overdue_principal_fen,
            overdue_by_age_minor: h.overdue_buckets_fen,
            remaining_periods: h.remaining_periods,
        },
    }
}

/// A C1's state on the report date: its month, settled that day, paid the last repayment.
fn month_of_j(key: &str, report_date: Date, j: &NonMonthlySegment) -> MonthRecord {
    MonthRecord {
        account_key: key.to_owned(),
        month: YearMonth::of(report_date),
        settled_on: report_date,
        balance_minor: j.balance_fen,
        used_minor: j.balance_fen,
        due_minor: 0,
        paid_minor: j.last_payment_fen,
        past_due_minor: j.overdue_total_fen,
        days_past_due: j.days_past_due.unwrap_or_else(|| default_days_past_due(j.status)),
        status: j.status,
        class5: j.class5,
        last_payment_on: j.last_payment,
        closed_on: j.close_date,
        credit_limit_minor: None,
        detail: MonthDetail {
            overdue_periods: (j.status.overdue_periods().map_or(0, u16::from) != j.overdue_periods)
                .then_some(j.overdue_periods),
            ..MonthDetail::default()
        },
    }
}

fn rekey(c: &IdChange) -> Record {
    Record::Rekey(RekeyRecord { account_key: c.old_code.clone(), new_account_key: c.new_code.clone() })
}

fn segment_deletion(d: &SegmentDeletion) -> Result<Record, Vec<FieldError>> {
    if d.segment != SegmentCode::H {
        return Err(not_held("DelSgmtCode", "the model holds deletions of segment H (months) only"));
    }
    let months = Some((YearMonth::of(d.start), YearMonth::of(d.end)));
    Ok(Record::Delete(DeleteRecord { account_key: d.account_code.clone(), months }))
}

fn agreement(a: &CreditAgreement) -> Result<AgreementRecord, Vec<FieldError>> {
    Ok(AgreementRecord {
        agreement_key: a.agreement_code.clone(),
        subject: subject_identity(&a.subject, "CtrctBsSgmt.ObBirthDate")?,
        kind: a.limit_type.kind(),
        currency: a.currency,
        limit_minor: a.limit_fen,
        effective_on: a.effective,
        expires_on: a.expiry,
        ended: a.status == AgreementStatus::Ended,
        responsibility: a.responsibility,
    })
}

/// A model record the format cannot carry, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unconverted {
    /// Index of the record in the input.
    pub index: usize,
    /// Its kind (`consent`, `account`…).
    pub kind: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// The result of [`from_model`]: the PBOC-style records in input order (of mixed types: a file
/// holds one type, so write each type to its own file), and what could not be converted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Converted {
    /// The records.
    pub records: Vec<PbocRecord>,
    /// Model records with no PBOC-style form, in input order.
    pub unconverted: Vec<Unconverted>,
}

/// What the converter remembers of an account: its person and type (a 210 names them in B).
struct Known {
    subject: Identity,
    account_type: AccountType,
}

/// Model records → PBOC-style records for `institution` (14 characters, the managing
/// institution of every 210). An account record travels with the first month that follows it,
/// as one 210 record (reason 10 within 30 days of opening, 31 at a month end, else 30 with C);
/// later months become 210 records with H (30; 20 or 32 when closing) or, for C1, with J (40;
/// 20 or 32 when closing); deletions 213 (months) or 214; key changes 211. Consents and notices
/// are not in the format; nor is an account record with no month after it.
pub fn from_model(records: &[Record], institution: &str) -> Converted {
    let mut c = Converter {
        institution,
        known: HashMap::new(),
        pending: HashMap::new(),
        special: HashMap::new(),
        out: Converted::default(),
    };
    for (i, r) in records.iter().enumerate() {
        c.record(i, r);
    }
    let mut left: Vec<usize> = c.pending.into_values().map(|(i, _)| i).collect();
    left.sort_unstable();
    let lone = "an account travels with its first month: no month follows it";
    c.out.unconverted.extend(left.into_iter().map(|index| Unconverted { index, kind: "account", reason: lone }));
    let waiting = "a special transaction travels in segment K of its account's next month: no month follows it";
    let left =
        c.special.into_values().flatten().map(|(index, _)| Unconverted { index, kind: "special", reason: waiting });
    c.out.unconverted.extend(left);
    c.out.unconverted.sort_by_key(|u| u.index);
    c.out
}

struct Converter<'a> {
    institution: &'a str,
    known: HashMap<String, Known>,
    pending: HashMap<String, (usize, AccountRecord)>,
    /// Special transactions waiting for their account's next month (segment K travels in a 210).
    special: HashMap<String, Vec<(usize, SpecialTransaction)>>,
    out: Converted,
}

impl Converter<'_> {
    fn skip(&mut self, index: usize, kind: &'static str, reason: &'static str) {
        self.out.unconverted.push(Unconverted { index, kind, reason });
    }

    fn record(&mut self, i: usize, r: &Record) {
        match r {
            Record::Account(a) => self.account(i, a),
            Record::Month(m) => self.month(i, m),
            Record::Delete(d) => self.out.records.push(deletion(d)),
            Record::Rekey(k) => self.rekey(k),
            Record::Consent(_) => {
                self.skip(i, "consent", "not in the PBOC-style format: send consents as canonical records")
            }
            Record::Notice(_) => {
                self.skip(i, "notice", "not in the PBOC-style format: send notices as canonical records")
            }
            Record::Special(s) => self.special(i, s),
            Record::Agreement(a) => {
                self.out.records.push(PbocRecord::Agreement(Box::new(credit_agreement(a, self.institution))))
            }
        }
    }

    fn special(&mut self, i: usize, s: &SpecialRecord) {
        if let Some(kind) = EventType::of(s.kind) {
            let description = None;
            let (account_code, month) = (s.account_key.clone(), YearMonth::of(s.on));
            self.out.records.push(PbocRecord::SpecialEvent(SpecialEvent { account_code, month, kind, description }));
        } else if let Some(kind) = SpecialTxType::of(s.kind) {
            let amount_fen = s.amount_minor.unwrap_or(0);
            let k = SpecialTransaction { kind, date: s.on, amount_fen, months_changed: s.months_changed, detail: None };
            self.special.entry(s.account_key.clone()).or_default().push((i, k));
        }
    }

    fn account(&mut self, i: usize, a: &AccountRecord) {
        let known = Known { subject: a.subject.clone(), account_type: a.account_type };
        self.known.insert(a.account_key.clone(), known);
        if let Some((earlier, _)) = self.pending.insert(a.account_key.clone(), (i, a.clone())) {
            self.skip(earlier, "account", "an account travels with its first month: another account record followed");
        }
    }

    fn rekey(&mut self, k: &RekeyRecord) {
        if let Some(known) = self.known.remove(&k.account_key) {
            self.known.insert(k.new_account_key.clone(), known);
        }
        if let Some((i, mut a)) = self.pending.remove(&k.account_key) {
            a.account_key.clone_from(&k.new_account_key);
            self.pending.insert(k.new_account_key.clone(), (i, a));
        }
        let change = IdChange { old_code: k.account_key.clone(), new_code: k.new_account_key.clone() };
        self.out.records.push(PbocRecord::IdChange(change));
    }

    fn month(&mut self, i: usize, m: &MonthRecord) {
        let opening = self.pending.remove(&m.account_key).map(|(_, a)| a);
        let Some(known) = self.known.get(&m.account_key) else {
            return self.skip(i, "month", "a month needs its account record earlier in the input (B names the person)");
        };
        let t = known.account_type;
        if t == AccountType::C1
            && (m.used_minor != m.balance_minor || m.due_minor != 0 || m.credit_limit_minor.is_some())
        {
            return self.skip(i, "month", "a C1 month travels in J, which has no used amount, amount due or limit");
        }
        let reason = match &opening {
            Some(a) => opening_reason(a, m),
            None => later_reason(t, m),
        };
        let Some(reason) = reason else {
            return self.skip(i, "month", "a C1 account's first month is reported within 30 days or at a month end");
        };
        let base = BaseSegment {
            account_type: t,
            account_code: m.account_key.clone(),
            report_date: m.settled_on,
            reason,
            subject: subject_of(&known.subject),
            managing_org: self.institution.to_owned(),
        };
        let account = LoanAccount {
            info: opening.as_ref().map(info_of),
            agreement_code: opening.as_ref().and_then(agreement_code_of),
            monthly: (t != AccountType::C1).then(|| monthly_of(t, m)),
            non_monthly: (t == AccountType::C1).then(|| non_monthly_of(m)),
            base,
            parties: Vec::new(),
            special: if t == AccountType::C1 && reason == ReportReason::Recovered {
                Vec::new()
            } else {
                self.special.remove(&m.account_key).unwrap_or_default().into_iter().map(|(_, k)| k).collect()
            },
        };
        self.out.records.push(PbocRecord::Account(Box::new(account)));
    }
}

fn is_month_end(d: Date) -> bool {
    d.next_day().is_none_or(|n| n.day() == 1)
}

/// 10 within 30 days of opening (with F where the type needs it), 31 at a month end, else 30.
fn opening_reason(a: &AccountRecord, m: &MonthRecord) -> Option<ReportReason> {
    let days = (m.settled_on - a.opened_on).whole_days();
    let f_ok = !(a.account_type.is_revolving() || a.account_type == AccountType::R4) || agreement_code_of(a).is_some();
    if (0..=NEW_ACCOUNT_DAYS_MAX).contains(&days) && f_ok {
        Some(ReportReason::New)
    } else if is_month_end(m.settled_on) {
        Some(ReportReason::FirstExisting)
    } else {
        (a.account_type != AccountType::C1).then_some(ReportReason::Monthly)
    }
}

fn later_reason(t: AccountType, m: &MonthRecord) -> Option<ReportReason> {
    Some(match (m.closed_on, t) {
        (Some(_), _) if is_month_end(m.settled_on) => ReportReason::ClosedMonthEnd,
        (Some(_), _) => ReportReason::Closed,
        (None, AccountType::C1) => ReportReason::Recovered,
        (None, _) => ReportReason::Monthly,
    })
}

fn subject_of(i: &Identity) -> Subject {
    let embedded = i.document.prc_birth_date() == Some(i.birth_date);
    Subject {
        name: i.name.clone(),
        id_type: IdType::of(i.document.doc_type()),
        document: i.document.clone(),
        birth_date: (!embedded).then_some(i.birth_date),
    }
}

/// R4: the line it was drawn under; R1/R2/R3: the line is its own agreement.
fn agreement_code_of(a: &AccountRecord) -> Option<String> {
    match a.account_type {
        AccountType::R4 => a.credit_line_key.clone(),
        t if t.is_revolving() => Some(a.account_key.clone()),
        _ => None,
    }
}

fn info_of(a: &AccountRecord) -> InfoSegment {
    let due_date = a.terms.periods.map(|p| {
        let m = YearMonth::of(a.opened_on).plus(i32::from(p));
        m.day(a.opened_on.day())
    });
    let c = &a.terms.contract;
    let frequency = if a.terms.periods.is_some() { RepayFrequency::Monthly } else { RepayFrequency::Irregular };
    InfoSegment {
        business_line: business_line_for(a.account_type),
        loan_kind: c.loan_kind,
        open_date: a.opened_on,
        currency: a.currency,
        amount_fen: a.credit_limit_minor,
        due_date: c.maturity_on.or(due_date),
        method: c.method,
        frequency: c.frequency.unwrap_or(frequency),
        periods: a.terms.periods,
        guarantee: c.guarantee.unwrap_or(GuaranteeMode::Credit),
        repay_day: a.terms.due_day,
        responsibility: a.responsibility,
    }
}

fn monthly_of(t: AccountType, m: &MonthRecord) -> MonthlySegment {
    MonthlySegment {
        month: m.month,
        settle_date: m.settled_on,
        account_state: account_state_for(t, m.status, m.closed_on.is_some()).to_owned(),
        balance_fen: m.balance_minor,
        used_fen: (m.used_minor != m.balance_minor).then_some(m.used_minor),
        remaining_periods: m.detail.remaining_periods,
        class5: m.class5,
        status: m.status,
        overdue_periods: overdue_periods(m),
        overdue_total_fen: m.past_due_minor,
        overdue_principal_fen: m.detail.overdue_principal_minor,
        overdue_buckets_fen: m.detail.overdue_by_age_minor,
        due_fen: m.due_minor,
        paid_fen: m.paid_minor,
        last_payment: m.last_payment_on,
        close_date: m.closed_on,
        days_past_due: (m.days_past_due != default_days_past_due(m.status)).then_some(m.days_past_due),
        credit_limit_fen: m.credit_limit_minor,
    }
}

fn non_monthly_of(m: &MonthRecord) -> NonMonthlySegment {
    NonMonthlySegment {
        account_state: account_state_for(AccountType::C1, m.status, m.closed_on.is_some()).to_owned(),
        balance_fen: m.balance_minor,
        class5: m.class5,
        status: m.status,
        overdue_periods: overdue_periods(m),
        overdue_total_fen: m.past_due_minor,
        last_payment_fen: m.paid_minor,
        last_payment: m.last_payment_on,
        close_date: m.closed_on,
        days_past_due: (m.days_past_due != default_days_past_due(m.status)).then_some(m.days_past_due),
    }
}

/// `OverdPrd`: the furnisher's count when it kept one, else the status's.
fn overdue_periods(m: &MonthRecord) -> u16 {
    m.detail.overdue_periods.unwrap_or_else(|| m.status.overdue_periods().map_or(0, u16::from))
}

fn deletion(d: &DeleteRecord) -> PbocRecord {
    match d.months {
        Some((from, to)) => PbocRecord::SegmentDeletion(SegmentDeletion {
            account_code: d.account_key.clone(),
            segment: SegmentCode::H,
            start: from.first_day(),
            end: to.last_day(),
        }),
        None => PbocRecord::AccountDeletion(AccountDeletion { account_code: d.account_key.clone() }),
    }
}

/// A 220 credit agreement for a revolving line (R1 account) of the model, for writers that
/// announce a line's agreement before its first month.
pub fn agreement_of(a: &AccountRecord, institution: &str, report_date: Date) -> CreditAgreement {
    CreditAgreement {
        agreement_code: a.account_key.clone(),
        report_date,
        reason: ReportReason::New,
        subject: subject_of(&a.subject),
        managing_org: institution.to_owned(),
        limit_type: LimitType::RevolvingLoan,
        currency: a.currency,
        limit_fen: a.credit_limit_minor,
        effective: a.opened_on,
        expiry: None,
        status: AgreementStatus::Active,
        repay_day: a.terms.due_day,
        responsibility: a.responsibility,
    }
}

/// The 220 record of a model agreement, reported on the day it takes effect (reason 10) or, once
/// ended, on its last day (reason 20).
fn credit_agreement(a: &AgreementRecord, institution: &str) -> CreditAgreement {
    let report_date = if a.ended { a.expires_on.unwrap_or(a.effective_on) } else { a.effective_on };
    CreditAgreement {
        agreement_code: a.agreement_key.clone(),
        report_date,
        reason: if a.ended { ReportReason::Closed } else { ReportReason::New },
        subject: subject_of(&a.subject),
        managing_org: institution.to_owned(),
        limit_type: LimitType::of(a.kind),
        currency: a.currency,
        limit_fen: a.limit_minor,
        effective: a.effective_on,
        expiry: a.expires_on,
        status: if a.ended { AgreementStatus::Ended } else { AgreementStatus::Active },
        repay_day: None,
        responsibility: a.responsibility,
    }
}
