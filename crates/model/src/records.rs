//! The records a furnisher sends, validated, whatever file format they arrived in.
//!
//! Every reader (canonical JSON lines now; Metro 2 and PBOC-style messages later) produces these.
//! Building one means its fields are individually valid; [`MonthRecord::check`] and friends apply
//! the rules across the fields of one record. Rules that need stored data live in the bureau.

use crate::codes::{
    AccountType, AgreementKind, Classification, ConsentScope, GuaranteeMode, LoanKind, NoticeChannel, QueryReason,
    RepayFrequency, RepaymentMethod, RepaymentStatus, Responsibility, SpecialKind,
};
use crate::error::{Code, FieldError};
use crate::identity::DocumentNumber;
use crate::limits;
use crate::money::Currency;
use crate::month::YearMonth;
use time::Date;

/// Who a record is about, as the furnisher knows the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Full name as on the document.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// The identity document that keys the person's file.
    pub document: DocumentNumber,
}

/// A written authorization (授权) the furnisher holds from the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    /// The person.
    pub subject: Identity,
    /// What it allows: reporting to the bureau, or inquiring.
    pub scope: ConsentScope,
    /// For inquiry consents, the purpose agreed.
    pub purpose: Option<QueryReason>,
    /// First day it is in force.
    pub granted_on: Date,
    /// Last day it is in force.
    pub expires_on: Date,
    /// SHA-256 of the signed authorization form the furnisher keeps.
    pub evidence_sha256: [u8; 32],
    /// The furnisher's own reference for it.
    pub consent_ref: Option<String>,
}

/// Repayment terms of an account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Number of scheduled instalments; `None` for revolving accounts.
    pub periods: Option<u16>,
    /// Day of the month a payment falls due (Huabei-style lines: 9 or 10).
    pub due_day: Option<u8>,
    /// What the contract says beyond these, when the furnisher reports it (PBOC-style segment C).
    pub contract: ContractTerms,
}

/// The contract's terms a lender underwrites on, beyond the limit and the instalments (PBOC-style
/// segment C): each absent when the furnisher's format does not carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContractTerms {
    /// 业务种类: what the loan is for (a mortgage must not read as a consumer loan).
    pub loan_kind: Option<LoanKind>,
    /// 担保方式.
    pub guarantee: Option<GuaranteeMode>,
    /// 到期日期: the maturity date.
    pub maturity_on: Option<Date>,
    /// 还款频率.
    pub frequency: Option<RepayFrequency>,
    /// 还款方式.
    pub method: Option<RepaymentMethod>,
}

impl ContractTerms {
    /// Whether nothing is known beyond the core terms.
    pub fn is_empty(&self) -> bool {
        *self == ContractTerms::default()
    }
}

/// What a month's report says beyond the model's core figures, when the furnisher reports it
/// (PBOC-style segment H).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthDetail {
    /// 当前逾期期数, when the furnisher counts more periods than the status shows (a status `7`
    /// is "7 or more"); absent: the status's own count.
    pub overdue_periods: Option<u16>,
    /// 逾期本金: the principal part of the amount past due, minor units.
    pub overdue_principal_minor: Option<i64>,
    /// The overdue principal by age: 31–60, 61–90, 91–180 and over 180 days, minor units.
    pub overdue_by_age_minor: [Option<i64>; 4],
    /// 剩余还款期数: instalments left.
    pub remaining_periods: Option<u16>,
}

impl MonthDetail {
    /// Whether nothing is known beyond the core figures.
    pub fn is_empty(&self) -> bool {
        *self == MonthDetail::default()
    }

    /// Rules across the detail's fields, given the month's status and amount past due: the
    /// overdue periods are the status's (more only under `7`, "7 or more"; none when nothing is
    /// overdue), the principal at most what is past due, its ages at most the principal.
    pub fn check(&self, status: RepaymentStatus, past_due_minor: i64, errors: &mut Vec<FieldError>) {
        if let Some(p) = self.overdue_periods {
            let agrees = match status.overdue_periods() {
                Some(7) => p >= 7,
                Some(s) => p == u16::from(s),
                None => p == 0,
            };
            if !agrees {
                let why = "overdue periods disagree with the status (1–6: that many; 7: 7 or more; else none)";
                errors.push(err(Code::StatusInconsistent, "detail.overdue_periods", why));
            }
        }
        let named = [
            ("overdue_principal", self.overdue_principal_minor),
            ("overdue_31_60", self.overdue_by_age_minor[0]),
            ("overdue_61_90", self.overdue_by_age_minor[1]),
            ("overdue_91_180", self.overdue_by_age_minor[2]),
            ("overdue_over_180", self.overdue_by_age_minor[3]),
        ];
        for (field, v) in named {
            if let Some(v) = v {
                check_amount(errors, field, v);
            }
        }
        if self.overdue_principal_minor.is_some_and(|p| p > past_due_minor) {
            errors.push(err(
                Code::StatusInconsistent,
                "overdue_principal",
                "overdue principal above the amount past due",
            ));
        }
        // Each is at most 10^15 once in range; summed wide, so that out-of-range input cannot wrap.
        let by_age: i128 = self.overdue_by_age_minor.iter().flatten().map(|v| i128::from(*v)).sum();
        if by_age > i128::from(self.overdue_principal_minor.unwrap_or(past_due_minor)) {
            errors.push(err(
                Code::StatusInconsistent,
                "overdue_31_60",
                "overdue principal by age adds up to more than the overdue principal",
            ));
        }
    }
}

/// The opening of an account (or a change to its terms when sent again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    /// The furnisher's key for the account, unique within that furnisher.
    pub account_key: String,
    /// The person responsible.
    pub subject: Identity,
    /// PBOC account type.
    pub account_type: AccountType,
    /// Date the account was opened.
    pub opened_on: Date,
    /// Currency of every amount on the account.
    pub currency: Currency,
    /// Credit limit (revolving) or loan amount (instalment), minor units.
    pub credit_limit_minor: i64,
    /// Repayment terms.
    pub terms: Terms,
    /// The person's responsibility.
    pub responsibility: Responsibility,
    /// For an R4 sub-account (an instalment plan), the key of the furnisher's revolving line it
    /// was drawn under (the PBOC credit-agreement link).
    pub credit_line_key: Option<String>,
}

/// One month of an account's performance (月度表现).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthRecord {
    /// The account, by the furnisher's key.
    pub account_key: String,
    /// The month reported.
    pub month: YearMonth,
    /// The settlement date the figures are as of; inside `month`.
    pub settled_on: Date,
    /// Outstanding balance.
    pub balance_minor: i64,
    /// Amount of the limit in use (revolving accounts); the balance for loans.
    pub used_minor: i64,
    /// Amount due this month.
    pub due_minor: i64,
    /// Amount actually paid this month.
    pub paid_minor: i64,
    /// Amount past due.
    pub past_due_minor: i64,
    /// Days past due at settlement.
    pub days_past_due: u32,
    /// Repayment status symbol.
    pub status: RepaymentStatus,
    /// Five-level classification, if the furnisher reports one.
    pub class5: Option<Classification>,
    /// Date of the last payment received.
    pub last_payment_on: Option<Date>,
    /// Date the account was closed, in the month it closed.
    pub closed_on: Option<Date>,
    /// The credit limit in force this month when it changed since opening.
    pub credit_limit_minor: Option<i64>,
    /// What the month's report says beyond these.
    pub detail: MonthDetail,
}

/// A deletion (PBOC-style 213/214): some months of an account, or the whole account. The bureau
/// records it as a new version, so reports as of earlier days still show what was there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteRecord {
    /// The account, by the furnisher's key.
    pub account_key: String,
    /// The months to delete, inclusive; `None` deletes the whole account.
    pub months: Option<(YearMonth, YearMonth)>,
}

/// A notice the furnisher gave the person before reporting negative information about an account
/// (PRC: 征信业管理条例 art. 15; US: FCRA's first negative-information notice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecord {
    /// The account, by the furnisher's key.
    pub account_key: String,
    /// The day the notice was given.
    pub notified_on: Date,
    /// How it was given.
    pub channel: NoticeChannel,
}

/// A change of an account's key (Metro 2 L1 segment; PBOC-style 211): the account keeps its
/// history under the new key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RekeyRecord {
    /// The key the account has now.
    pub account_key: String,
    /// The key it has from now on.
    pub new_account_key: String,
}

/// A special transaction (PBOC-style segment K) or special event (record 215) on an account: an
/// extension, an early repayment, a debt relief, the borrower's death. Only the kind, day and
/// amounts are kept: a free-text description could carry what the person bought, and the bureau
/// holds only what a credit decision needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialRecord {
    /// The account, by the furnisher's key.
    pub account_key: String,
    /// What happened.
    pub kind: SpecialKind,
    /// The day it happened (an event reported by month: the month's first day).
    pub on: Date,
    /// The amount involved, minor units (transactions only).
    pub amount_minor: Option<i64>,
    /// Months the maturity moved (an extension or deferral).
    pub months_changed: Option<u16>,
}

/// A credit agreement (授信协议, PBOC-style record 220): the limit a lender granted, which
/// accounts are drawn under. Sent again with new terms or as ended, it is a new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementRecord {
    /// The furnisher's key for the agreement, unique within that furnisher (R4 plans and a line's
    /// own months name it as their line).
    pub agreement_key: String,
    /// The person it was granted to.
    pub subject: Identity,
    /// What the limit is for.
    pub kind: AgreementKind,
    /// Currency of the limit.
    pub currency: Currency,
    /// The limit, minor units.
    pub limit_minor: i64,
    /// First day in force.
    pub effective_on: Date,
    /// Last day in force, when it has one.
    pub expires_on: Option<Date>,
    /// Whether it has ended.
    pub ended: bool,
    /// The person's responsibility.
    pub responsibility: Responsibility,
}

/// One furnisher record of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A consent.
    Consent(ConsentRecord),
    /// An account opening.
    Account(AccountRecord),
    /// A month of performance.
    Month(MonthRecord),
    /// A deletion of months or of a whole account.
    Delete(DeleteRecord),
    /// A notice given before negative reporting.
    Notice(NoticeRecord),
    /// A change of account key.
    Rekey(RekeyRecord),
    /// A special transaction or event.
    Special(SpecialRecord),
    /// A credit agreement.
    Agreement(AgreementRecord),
}

impl Record {
    /// The kind, as written in files.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Consent(_) => "consent",
            Record::Account(_) => "account",
            Record::Month(_) => "month",
            Record::Delete(_) => "delete",
            Record::Notice(_) => "notice",
            Record::Rekey(_) => "rekey",
            Record::Special(_) => "special",
            Record::Agreement(_) => "agreement",
        }
    }
}

fn err(code: Code, field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(code, field, message)
}

impl Identity {
    /// Rules across the identity's fields: a PRC resident ID's embedded birth date must equal the
    /// stated one, and the name must be non-empty and within its limit.
    pub fn check(&self, prefix: &str, errors: &mut Vec<FieldError>) {
        let name_chars = self.name.chars().count();
        if self.name.trim().is_empty() {
            errors.push(err(Code::FieldMissing, &format!("{prefix}.name"), "name is empty"));
        } else if name_chars > limits::NAME_CHARS_MAX {
            errors.push(err(Code::FieldTooLong, &format!("{prefix}.name"), "name is too long"));
        }
        if let Some(embedded) = self.document.prc_birth_date()
            && embedded != self.birth_date
        {
            errors.push(err(
                Code::IdentityConflict,
                &format!("{prefix}.birth_date"),
                "birth date differs from the one in the resident ID",
            ));
        }
    }
}

impl ConsentRecord {
    /// Rules across the consent's fields.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.subject.check("subject", &mut errors);
        if self.expires_on < self.granted_on {
            errors.push(err(Code::DateOrder, "expires_on", "expires before it is granted"));
        }
        if self.expires_on.year() - self.granted_on.year() > limits::CONSENT_YEARS_MAX {
            errors.push(err(Code::OutOfRange, "expires_on", "a consent lasts at most 30 years"));
        }
        match (self.scope, self.purpose) {
            (ConsentScope::Inquire, None) => {
                errors.push(err(Code::FieldMissing, "purpose", "an inquiry consent names its purpose"))
            }
            (ConsentScope::Inquire, Some(QueryReason::SelfQuery)) => {
                errors.push(err(Code::FieldInvalid, "purpose", "a lender cannot hold a self-query consent"))
            }
            _ => {}
        }
        errors
    }
}

impl AccountRecord {
    /// Rules across the account's fields.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.subject.check("subject", &mut errors);
        if self.account_key.is_empty() || self.account_key.chars().count() > limits::ACCOUNT_KEY_CHARS_MAX {
            errors.push(err(Code::FieldInvalid, "account_key", "account key must be 1–60 characters"));
        }
        if self.opened_on < self.subject.birth_date {
            errors.push(err(Code::DateOrder, "opened_on", "opened before the person was born"));
        }
        check_amount(&mut errors, "credit_limit", self.credit_limit_minor);
        if self.account_type == AccountType::D1 && self.terms.periods.is_none() {
            errors.push(err(Code::FieldMissing, "terms.periods", "a non-revolving loan states its number of periods"));
        }
        match (self.account_type, &self.credit_line_key) {
            (AccountType::R4, Some(k)) if k.is_empty() || k.chars().count() > limits::ACCOUNT_KEY_CHARS_MAX => {
                errors.push(err(Code::FieldInvalid, "credit_line_key", "account key must be 1–60 characters"))
            }
            (AccountType::R4, _) => {}
            (_, Some(_)) => {
                errors.push(err(Code::FieldInvalid, "credit_line_key", "only an R4 sub-account names a credit line"))
            }
            (_, None) => {}
        }
        if let Some(day) = self.terms.due_day
            && !(1..=28).contains(&day)
        {
            errors.push(err(Code::OutOfRange, "terms.due_day", "due day is 1–28"));
        }
        if self.terms.contract.maturity_on.is_some_and(|m| m < self.opened_on) {
            errors.push(err(Code::DateOrder, "terms.maturity_on", "matures before it opens"));
        }
        errors
    }
}

fn check_amount(errors: &mut Vec<FieldError>, field: &str, amount_minor: i64) {
    if !(0..=limits::AMOUNT_MINOR_MAX).contains(&amount_minor) {
        errors.push(err(Code::OutOfRange, field, "amount must be between 0 and 10^15 minor units"));
    }
}

impl MonthRecord {
    /// Rules across the month's fields: the settlement date inside the month; the status
    /// consistent with days past due and the past-due amount; a settled account at zero balance.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let amounts = [
            ("balance", self.balance_minor),
            ("used_amount", self.used_minor),
            ("amount_due", self.due_minor),
            ("amount_paid", self.paid_minor),
            ("past_due_amount", self.past_due_minor),
        ];
        for (field, v) in amounts {
            check_amount(&mut errors, field, v);
        }
        if let Some(limit) = self.credit_limit_minor {
            check_amount(&mut errors, "credit_limit", limit);
        }
        if self.days_past_due > limits::DAYS_PAST_DUE_MAX {
            errors.push(err(Code::OutOfRange, "days_past_due", "days past due above 10000"));
        }
        if YearMonth::of(self.settled_on) != self.month {
            errors.push(err(Code::DateOrder, "settled_on", "settlement date is outside the month reported"));
        }
        if let Some(closed) = self.closed_on
            && closed > self.settled_on
        {
            errors.push(err(Code::DateOrder, "closed_on", "closed after the settlement date"));
        }
        if let Some(paid) = self.last_payment_on
            && paid > self.settled_on
        {
            errors.push(err(Code::DateOrder, "last_payment_on", "last payment after the settlement date"));
        }
        self.check_status(&mut errors);
        self.detail.check(self.status, self.past_due_minor, &mut errors);
        errors
    }

    fn check_status(&self, errors: &mut Vec<FieldError>) {
        use RepaymentStatus as S;
        let dpd = self.days_past_due;
        let inconsistent = |msg: &str| err(Code::StatusInconsistent, "status", msg);
        match self.status {
            s if s.overdue_periods().is_some() => {
                if S::from_days_past_due(dpd) != s {
                    errors.push(inconsistent("overdue status does not match days past due"));
                }
                if self.past_due_minor == 0 {
                    errors.push(err(
                        Code::StatusInconsistent,
                        "past_due_amount",
                        "overdue status with nothing past due",
                    ));
                }
            }
            S::Normal | S::NothingDue | S::Settled => {
                if dpd != 0 || self.past_due_minor != 0 {
                    errors.push(inconsistent("status says nothing is overdue but days or amount past due are set"));
                }
                if self.status == S::NothingDue && self.due_minor != 0 {
                    errors.push(err(Code::StatusInconsistent, "amount_due", "\"*\" (nothing due) with an amount due"));
                }
                if self.status == S::Settled && self.balance_minor != 0 {
                    errors.push(err(Code::StatusInconsistent, "balance", "a settled account has a zero balance"));
                }
            }
            S::NotOpen => errors.push(inconsistent("\"/\" is shown by reports, not reported")),
            _ => {}
        }
        if self.closed_on.is_some() && !self.status.closes_with(self.balance_minor) {
            let why = "a closing month has status C, G or Z, or D with nothing left owing";
            errors.push(err(Code::StatusInconsistent, "closed_on", why));
        }
    }
}

impl DeleteRecord {
    /// Rules across the deletion's fields: the range in order.
    pub fn check(&self) -> Vec<FieldError> {
        match self.months {
            Some((from, to)) if to < from => vec![err(Code::DateOrder, "to_month", "to_month is before from_month")],
            _ => Vec::new(),
        }
    }
}

impl AgreementRecord {
    /// Rules across the agreement's fields.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        self.subject.check("subject", &mut errors);
        let chars = self.agreement_key.chars().count();
        if chars == 0 || chars > limits::ACCOUNT_KEY_CHARS_MAX {
            errors.push(err(Code::FieldInvalid, "agreement_key", "agreement key must be 1–60 characters"));
        }
        check_amount(&mut errors, "credit_limit", self.limit_minor);
        if self.expires_on.is_some_and(|e| e < self.effective_on) {
            errors.push(err(Code::DateOrder, "expires_on", "expires before it takes effect"));
        }
        if self.effective_on < self.subject.birth_date {
            errors.push(err(Code::DateOrder, "effective_on", "in force before the person was born"));
        }
        errors
    }
}

impl SpecialRecord {
    /// Rules across the record's fields: amounts in range; a months change only for an extension
    /// or deferral; no amount on an event.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.account_key.is_empty() || self.account_key.chars().count() > limits::ACCOUNT_KEY_CHARS_MAX {
            errors.push(err(Code::FieldInvalid, "account_key", "account key must be 1–60 characters"));
        }
        if let Some(a) = self.amount_minor {
            check_amount(&mut errors, "amount", a);
        }
        let moves = matches!(self.kind, SpecialKind::Extension | SpecialKind::LenderDeferral);
        if self.months_changed.is_some() && !moves {
            errors.push(err(Code::FieldInvalid, "months_changed", "only an extension or deferral moves the maturity"));
        }
        if self.kind.is_event() && self.amount_minor.is_some() {
            errors.push(err(Code::FieldInvalid, "amount", "an event carries no amount"));
        }
        errors
    }
}

impl RekeyRecord {
    /// Rules across the change's fields: a new key of valid length, different from the old one.
    pub fn check(&self) -> Vec<FieldError> {
        let len = self.new_account_key.chars().count();
        if len == 0 || len > limits::ACCOUNT_KEY_CHARS_MAX {
            vec![err(Code::FieldInvalid, "new_account_key", "account key must be 1–60 characters")]
        } else if self.new_account_key == self.account_key {
            vec![err(Code::FieldInvalid, "new_account_key", "the new key equals the old one")]
        } else {
            Vec::new()
        }
    }
}
