//! The PBOC-style records, typed. Holding one means every field is individually valid (see
//! `parse.rs`); the rules across fields and segments are in `rules.rs`. Amounts are integer fen
//! (minor units); the XML writes them as yuan with two decimals.

use super::codes::{
    AgreementStatus, BusinessLine, EventType, GuaranteeMode, IdType, LimitType, LoanKind, PartyType, RecordType,
    RepayFrequency, RepaymentMethod, ReportReason, SegmentCode, SpecialTxType,
};
use ob_model::{AccountType, Classification, Currency, DocumentNumber, RepaymentStatus, Responsibility, YearMonth};
use time::Date;

/// A person as a base segment names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Name (`Name`).
    pub name: String,
    /// Document type (`IDType`).
    pub id_type: IdType,
    /// Document number (`IDNum`), validated.
    pub document: DocumentNumber,
    /// Birth date (`ObBirthDate`, an OpenBureau extension): needed only for documents that do not
    /// embed one (the PRC resident ID does).
    pub birth_date: Option<Date>,
}

/// Segment B (`AcctBsSgmt`), the base of a 210 record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseSegment {
    /// Account type (`AcctType`).
    pub account_type: AccountType,
    /// The institution's account code (`AcctCode`): OpenBureau's account key.
    pub account_code: String,
    /// Report date (`RptDate`).
    pub report_date: Date,
    /// Report-date reason (`RptDateCode`).
    pub reason: ReportReason,
    /// The person.
    pub subject: Subject,
    /// Managing institution (`MngmtOrgCode`), 14 characters.
    pub managing_org: String,
}

/// Segment C (`AcctBsInfSgmt`), basic information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoSegment {
    /// Business line (`BusiLines`).
    pub business_line: BusinessLine,
    /// Kind of loan (`BusiDtlLines`, 业务种类细分).
    pub loan_kind: Option<LoanKind>,
    /// Open date (`OpenDate`).
    pub open_date: Date,
    /// Currency (`Cy`).
    pub currency: Currency,
    /// Credit limit (`AcctCredLine`, R1/R2/R3) or loan amount (`LoanAmt`, D1/R4/C1), fen.
    pub amount_fen: i64,
    /// Maturity date (`DueDate`); required for D1.
    pub due_date: Option<Date>,
    /// Repayment method (`RepayMode`).
    pub method: Option<RepaymentMethod>,
    /// Repayment frequency (`RepayFreqcy`).
    pub frequency: RepayFrequency,
    /// Number of repayment periods (`RepayPrd`); required for D1.
    pub periods: Option<u16>,
    /// Guarantee mode (`GuarMode`).
    pub guarantee: GuaranteeMode,
    /// Day of the month payments fall due (`ObRepayDay`, extension), 1–28.
    pub repay_day: Option<u8>,
    /// The person's responsibility (`ObResp`, extension; absent means individual).
    pub responsibility: Responsibility,
}

/// One related repayment party (`RltRepymtInf`) of segment D (`RltRepymtInfSgmt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedParty {
    /// Name (`ArlpName`).
    pub name: String,
    /// Document type (`ArlpCertType`).
    pub id_type: IdType,
    /// Document number (`ArlpCertNum`).
    pub document: DocumentNumber,
    /// Party type (`ArlpType`).
    pub party_type: PartyType,
    /// Amount of the party's responsibility (`ArlpAmt`), fen.
    pub amount_fen: Option<i64>,
}

/// Segment H (`AcctMthlyBlgInfSgmt`), one month's performance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlySegment {
    /// Month (`Month`, yyyy-MM).
    pub month: YearMonth,
    /// Settlement date (`SettDate`).
    pub settle_date: Date,
    /// Account state (`AcctStatus`), on the list of the account type.
    pub account_state: String,
    /// Balance (`AcctBal`), fen.
    pub balance_fen: i64,
    /// Used amount (`UsedAmt`), fen; the balance when absent.
    pub used_fen: Option<i64>,
    /// Instalments left (`RemRepPrd`).
    pub remaining_periods: Option<u16>,
    /// Five-level class (`FiveCate`).
    pub class5: Option<Classification>,
    /// Repayment status (`RpyStatus`).
    pub status: RepaymentStatus,
    /// Overdue periods (`OverdPrd`).
    pub overdue_periods: u16,
    /// Overdue total (`TotOverd`), fen.
    pub overdue_total_fen: i64,
    /// Overdue principal (`OverdPrinc`), fen.
    pub overdue_principal_fen: Option<i64>,
    /// Overdue principal by age: 31–60 (`Oved31_60Princ`), 61–90 (`Oved61_90Princ`), 91–180
    /// (`Oved91_180Princ`) and over 180 days (`OvedPrincPD180`), fen.
    pub overdue_buckets_fen: [Option<i64>; 4],
    /// Amount due this month (`CurRpyAmt`), fen.
    pub due_fen: i64,
    /// Amount paid this month (`ActRpyAmt`), fen.
    pub paid_fen: i64,
    /// Last payment date (`LatRpyDate`).
    pub last_payment: Option<Date>,
    /// Close date (`CloseDate`).
    pub close_date: Option<Date>,
    /// Days past due (`ObDaysPastDue`, extension); absent means the status's default.
    pub days_past_due: Option<u32>,
    /// The credit limit in force this month when it changed (`ObCredLine`, extension), fen.
    pub credit_limit_fen: Option<i64>,
}

/// Segment J (`AcctDbtInfSgmt`), non-monthly performance: the state on the report date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonMonthlySegment {
    /// Account state (`AcctStatus`).
    pub account_state: String,
    /// Balance (`AcctBal`), fen.
    pub balance_fen: i64,
    /// Five-level class (`FiveCate`).
    pub class5: Option<Classification>,
    /// Repayment status (`RpyStatus`).
    pub status: RepaymentStatus,
    /// Overdue periods (`OverdPrd`).
    pub overdue_periods: u16,
    /// Overdue total (`TotOverd`), fen.
    pub overdue_total_fen: i64,
    /// Last repayment amount (`LatRpyAmt`): for reason 40, the overdue amount recovered; fen.
    pub last_payment_fen: i64,
    /// Last repayment date (`LatRpyDate`).
    pub last_payment: Option<Date>,
    /// Close date (`CloseDate`).
    pub close_date: Option<Date>,
    /// Days past due (`ObDaysPastDue`, extension).
    pub days_past_due: Option<u32>,
}

/// One special transaction (`CagOfTrdInf`) of segment K (`AcctSpecTrstDspnSgmt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialTransaction {
    /// Type (`ChanTranType`).
    pub kind: SpecialTxType,
    /// Date (`TranDate`).
    pub date: Date,
    /// Amount (`TranAmt`), fen.
    pub amount_fen: i64,
    /// Months the maturity moved (`DueTranMon`).
    pub months_changed: Option<u16>,
    /// Details (`DetInfo`), at most [`super::DETAIL_CHARS_MAX`] characters.
    pub detail: Option<String>,
}

/// A 210 personal loan account record: segment B and the segments its reason calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanAccount {
    /// B base.
    pub base: BaseSegment,
    /// C basic information.
    pub info: Option<InfoSegment>,
    /// D related repayment parties.
    pub parties: Vec<RelatedParty>,
    /// F credit agreement link (`AcctCredSgmt` / `ContractCode`).
    pub agreement_code: Option<String>,
    /// H monthly performance.
    pub monthly: Option<MonthlySegment>,
    /// J non-monthly performance.
    pub non_monthly: Option<NonMonthlySegment>,
    /// K special transactions.
    pub special: Vec<SpecialTransaction>,
}

/// A 211 record: an account's code changes (`OdBnesCode` → `NwBnesCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdChange {
    /// The code it has now.
    pub old_code: String,
    /// The code it has from now on.
    pub new_code: String,
}

/// The corrected segment a 212 record carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorrectedSegment {
    /// C.
    Info(InfoSegment),
    /// D.
    Parties(Vec<RelatedParty>),
    /// F.
    Agreement(String),
    /// H.
    Monthly(MonthlySegment),
    /// J.
    NonMonthly(NonMonthlySegment),
    /// K.
    Special(Vec<SpecialTransaction>),
}

impl CorrectedSegment {
    /// The segment's code.
    pub fn code(&self) -> SegmentCode {
        match self {
            CorrectedSegment::Info(_) => SegmentCode::C,
            CorrectedSegment::Parties(_) => SegmentCode::D,
            CorrectedSegment::Agreement(_) => SegmentCode::F,
            CorrectedSegment::Monthly(_) => SegmentCode::H,
            CorrectedSegment::NonMonthly(_) => SegmentCode::J,
            CorrectedSegment::Special(_) => SegmentCode::K,
        }
    }
}

/// A 212 record: one segment of an account, corrected (`ModRecCode`, `AcctType`, `MdfcSgmtCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The account's code.
    pub account_code: String,
    /// Its type (the lists of the corrected segment depend on it).
    pub account_type: AccountType,
    /// The segment, as it should read.
    pub segment: CorrectedSegment,
}

/// A 213 record: one segment deleted over a date range (`DelRecCode`, `DelSgmtCode`,
/// `DelStartDate`, `DelEndDate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentDeletion {
    /// The account's code.
    pub account_code: String,
    /// The segment.
    pub segment: SegmentCode,
    /// First day of the range.
    pub start: Date,
    /// Last day of the range.
    pub end: Date,
}

/// A 214 record: the whole account deleted (`DelRecCode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountDeletion {
    /// The account's code.
    pub account_code: String,
}

/// A 215 record: a special event on an account (`AcctCode`, `Month`, `SpecEvtType`, `SpecEvtDesc`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialEvent {
    /// The account's code.
    pub account_code: String,
    /// The month of the event.
    pub month: YearMonth,
    /// Its type.
    pub kind: EventType,
    /// A description, at most [`super::DETAIL_CHARS_MAX`] characters.
    pub description: Option<String>,
}

/// A 220 credit agreement: base `CtrctBsSgmt` and limit `CreditLimSgmt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditAgreement {
    /// The agreement's code (`ContractCode`); R4 sub-accounts name it in their F segment.
    pub agreement_code: String,
    /// Report date (`RptDate`).
    pub report_date: Date,
    /// Report-date reason (`RptDateCode`): 10 new or 20 ended.
    pub reason: ReportReason,
    /// The person.
    pub subject: Subject,
    /// Managing institution (`MngmtOrgCode`).
    pub managing_org: String,
    /// Limit type (`CreditLimType`).
    pub limit_type: LimitType,
    /// Currency (`Cy`).
    pub currency: Currency,
    /// Credit limit (`CreditLim`), fen.
    pub limit_fen: i64,
    /// First day in force (`ConEffDate`).
    pub effective: Date,
    /// Last day in force (`ConExpDate`).
    pub expiry: Option<Date>,
    /// State (`ConStatus`).
    pub status: AgreementStatus,
    /// Day of the month payments fall due (`ObRepayDay`, extension).
    pub repay_day: Option<u8>,
    /// The person's responsibility (`ObResp`, extension).
    pub responsibility: Responsibility,
}

/// A 110 record: personal basic information, as far as OpenBureau's model holds it (base
/// `BsSgmt`; `FcsInfSgmt` with the birth date `DOB` only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonInfo {
    /// Name, document type and number (the `ObBirthDate` extension is not used: `DOB` is).
    pub subject: Subject,
    /// The institution giving the information (`InfSurcCode`).
    pub source_org: String,
    /// Report date (`RptDate`).
    pub report_date: Date,
    /// Birth date (`DOB`).
    pub birth_date: Date,
}

/// One PBOC-style record of any type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PbocRecord {
    /// 110.
    Person(PersonInfo),
    /// 210.
    Account(Box<LoanAccount>),
    /// 211.
    IdChange(IdChange),
    /// 212.
    Correction(Box<Correction>),
    /// 213.
    SegmentDeletion(SegmentDeletion),
    /// 214.
    AccountDeletion(AccountDeletion),
    /// 215.
    SpecialEvent(SpecialEvent),
    /// 220.
    Agreement(Box<CreditAgreement>),
}

impl PbocRecord {
    /// The record's type.
    pub fn record_type(&self) -> RecordType {
        match self {
            PbocRecord::Person(_) => RecordType::Person,
            PbocRecord::Account(_) => RecordType::Account,
            PbocRecord::IdChange(_) => RecordType::IdChange,
            PbocRecord::Correction(_) => RecordType::Correction,
            PbocRecord::SegmentDeletion(_) => RecordType::SegmentDeletion,
            PbocRecord::AccountDeletion(_) => RecordType::AccountDeletion,
            PbocRecord::SpecialEvent(_) => RecordType::SpecialEvent,
            PbocRecord::Agreement(_) => RecordType::Agreement,
        }
    }
}
