//! The credit report, in the layout of the PBOC second-generation personal report
//! (docs/domain/pboc.md): header, identity, summary, account details grouped by type in risk
//! order with the 24-month status line and the 60-month history, and the query records.
//!
//! A report is assembled from the store as of a date: only what had been recorded by the end of
//! that day counts, so a report as of any past date can be rebuilt. [`Bureau::produce_report`]
//! logs the look (inquiry or self-view, and an audit event) *before* assembling anything.

use crate::clock::end_of_day;
use crate::crypto::{self, Keys};
use crate::{Bureau, BureauError, Refusal, Result, audit};
use ob_model::policy::Policy;
use ob_model::{
    AccountState, AccountType, Classification, ConsentScope, Currency, DisputeState, DisputeType, DocumentNumber,
    FlagKind, GuaranteeMode, LoanKind, QueryReason, RepayFrequency, RepaymentMethod, RepaymentStatus, Responsibility,
    SpecialKind, StatementType, YearMonth, limits,
};
use ob_store::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::{Date, OffsetDateTime};

/// Version of the report's JSON layout. Field names are stable within a version. Version 2: an
/// instalment plan (R4) drawn under a line in the report is in its line's `sub_accounts`, not in
/// a group of its own; accounts carry their contract terms, special transactions and the
/// latest month's overdue detail.
pub const REPORT_FORMAT_VERSION: u32 = 2;

/// Who asks for a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requester {
    /// The person, about their own file (本人查询).
    Person,
    /// An organization with a purpose from the closed list; it must hold an inquiry consent.
    Organization {
        /// The organization's code.
        code: String,
        /// The purpose.
        reason: QueryReason,
    },
}

/// The authorization an organization relies on for an inquiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsentProof {
    /// The consent's reference, as the furnisher of the consent gave it.
    Reference(String),
    /// SHA-256 of the signed authorization document (the consent's evidence).
    Evidence([u8; 32]),
}

/// A request for a report.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// The document that keys the file.
    pub document: DocumentNumber,
    /// The day the report is as of; today when `None`. Only the person's own copy may be as of
    /// an earlier day: an organization's is refused with `AS_OF_OWN_COPY`.
    pub as_of: Option<Date>,
    /// Who asks.
    pub requester: Requester,
}

/// Whose copy: the person's shows lenders' names; an institution's hides other lenders' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Copy {
    /// The person's own copy.
    Person,
    /// An institution's copy.
    Institution,
}

/// A credit report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// [`REPORT_FORMAT_VERSION`].
    pub format_version: u32,
    /// 报告头.
    pub header: ReportHeader,
    /// 个人基本信息.
    pub identity: IdentitySection,
    /// 数字解读: the bureau score, once a model has been built (`openbureau score build`).
    pub score: Option<crate::score::ScoreSection>,
    /// 信息概要.
    pub summary: Summary,
    /// 信贷交易信息明细, grouped by type in risk order: the accounts the person borrows on, alone
    /// or jointly (共同借款, marked by `responsibility`).
    pub account_groups: Vec<AccountGroup>,
    /// 相关还款责任信息: accounts of others the person guarantees. Never counted in the person's own
    /// debt (the summary's `by_type`, the score); summed apart in `summary.guarantees`.
    pub guarantees: Vec<AccountDetail>,
    /// 授信协议信息: the credit agreements lenders granted the person (PBOC-style record 220), with
    /// the report numbers of the accounts drawn under each.
    pub agreements: Vec<AgreementEntry>,
    /// 查询记录, newest first.
    pub queries: Vec<QueryRecord>,
}

/// A credit agreement (授信协议).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementEntry {
    /// Reference for disputing it, e.g. `G3f9c0a12b7d4` (not the lender's contract number); on an
    /// institution's copy, one of its own.
    pub agreement_ref: String,
    /// The lender, named as on this copy.
    pub institution: String,
    /// What the limit is for (授信额度类型).
    pub kind: ob_model::AgreementKind,
    /// The person's part.
    pub responsibility: Responsibility,
    /// Currency of the limit.
    pub currency: Currency,
    /// 授信额度: the limit (minor units).
    pub credit_limit: i64,
    /// 生效日期.
    pub effective_on: Date,
    /// 到期日期, when it has one.
    pub expires_on: Option<Date>,
    /// Whether it has ended (协议状态): the lender said so, or its last day has passed.
    pub ended: bool,
    /// Report numbers of the accounts drawn under it: the line itself and its instalment plans.
    pub accounts: Vec<u32>,
    /// 已用额度: the used amounts of those accounts still open (minor units).
    pub used_amount: i64,
    /// Disputes on it.
    pub disputes: Vec<DisputeMark>,
}

impl Report {
    /// The open dispute marks on the items this report shows: the header's count, so that it never
    /// counts a mark no item carries.
    fn open_marks(&self) -> u32 {
        let open = |marks: &[DisputeMark]| marks.iter().filter(|m| standing(m.state)).count();
        let on_account =
            |a: &AccountDetail| open(&a.disputes) + a.specials.iter().map(|x| open(&x.disputes)).sum::<usize>();
        let n = open(&self.identity.disputes)
            + self.own_accounts().chain(&self.guarantees).map(on_account).sum::<usize>()
            + self.agreements.iter().map(|a| open(&a.disputes)).sum::<usize>()
            + self.queries.iter().filter(|q| q.disputed).count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Every account the person borrows on, instalment plans under their lines included, in
    /// report order.
    pub fn own_accounts(&self) -> impl Iterator<Item = &AccountDetail> {
        flatten(&self.account_groups)
    }
}

/// The report header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportHeader {
    /// Report number.
    pub report_id: String,
    /// When produced (RFC 3339, to the second, at the policy's offset: Beijing time under the PRC
    /// policy).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub produced_at: String,
    /// The day the data is as of.
    pub as_of: Date,
    /// Whose copy.
    pub copy: Copy,
    /// This query's reason code.
    pub query_reason: QueryReason,
    /// The querying institution (absent for the person's own look).
    pub query_institution: Option<String>,
    /// Fraud alert (防欺诈警示) on file.
    pub fraud_alert: bool,
    /// Security freeze (冻结) on file: inquiries for new credit are refused while it holds.
    pub freeze: bool,
    /// Items marked as disputed (异议标注).
    pub dispute_marks: u32,
    /// For the person's own look: whether it is one of the free self-views of the year (the
    /// policy's number); further looks are allowed and marked.
    pub free_self_view: Option<bool>,
    /// For the person's own look: which self-view of the calendar year (UTC) it is, 1 for the
    /// first (the number `free_self_view` is judged by).
    pub self_view_number: Option<u32>,
}

/// Identity section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentitySection {
    /// Name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// `male`/`female` where the document says.
    pub gender: Option<&'static str>,
    /// Documents, numbers masked.
    pub documents: Vec<DocumentEntry>,
    /// Disputes on the identity section.
    pub disputes: Vec<DisputeMark>,
}

/// A document, masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentEntry {
    /// Type.
    pub document_type: ob_model::DocumentType,
    /// Masked number.
    pub number_masked: String,
}

/// Summary section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Summary {
    /// 信贷交易信息提示: per account type, in risk order, how many accounts and since when.
    pub hints: Vec<BusinessHint>,
    /// Per account type and currency, in risk order.
    pub by_type: Vec<TypeSummary>,
    /// Overdue summary per account type and currency.
    pub overdue: Vec<OverdueSummary>,
    /// 相关还款责任信息概要: the accounts the person guarantees, per currency.
    pub guarantees: Vec<GuaranteeSummary>,
    /// 被追偿信息汇总: debts in collection (C1, not ended), per currency.
    pub collections: Vec<BalanceSummary>,
    /// 呆账信息汇总: accounts written off as bad debt, per currency.
    pub bad_debts: Vec<BalanceSummary>,
    /// Query summary.
    pub queries: QuerySummary,
}

/// Summary of the accounts a person guarantees, in one currency (相关还款责任信息概要).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GuaranteeSummary {
    /// Currency of the amounts.
    pub currency: Currency,
    /// Accounts guaranteed, open or closed.
    pub accounts: u32,
    /// Of them, not closed.
    pub open_accounts: u32,
    /// 还款责任金额: the limits or loan amounts of the open accounts guaranteed (minor units).
    pub responsibility_amount: i64,
    /// Their balances (minor units).
    pub balance: i64,
    /// Open accounts guaranteed with an amount past due now.
    pub overdue_accounts: u32,
}

/// One line of 信贷交易信息提示: an account type, its accounts (open or closed) and the month
/// of the first (首笔业务发放月份). The PBOC report splits loans by business line (housing,
/// commercial property, other); the store keeps the account type, so the lines follow it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BusinessHint {
    /// Account type.
    pub account_type: AccountType,
    /// Accounts, open or closed.
    pub accounts: u32,
    /// The month the first of them opened.
    pub first_month: YearMonth,
}

/// Summary of one account type in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypeSummary {
    /// Account type.
    pub account_type: AccountType,
    /// Currency of the amounts.
    pub currency: Currency,
    /// Accounts, open or closed.
    pub accounts: u32,
    /// Accounts not closed.
    pub open_accounts: u32,
    /// Institutions holding an open account of this type.
    pub institutions: u32,
    /// Sum of open accounts' credit limits (minor units).
    pub total_credit_limit: i64,
    /// Sum of open accounts' balances.
    pub balance: i64,
    /// Sum of open accounts' used amounts.
    pub used_amount: i64,
    /// Sum of open accounts' average used over the last 6 months.
    pub used_6m_avg: i64,
    /// Sum of open accounts' average amount due over the last 6 months (最近6个月平均应还款: what
    /// the loans cost the person a month).
    pub due_6m_avg: i64,
    /// The highest credit limit of one open account (单家机构最高授信额, cards); none when no
    /// account is open.
    pub highest_single_limit: Option<i64>,
    /// The lowest (单家机构最低授信额).
    pub lowest_single_limit: Option<i64>,
}

/// Overdue summary of one account type in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueSummary {
    /// Account type.
    pub account_type: AccountType,
    /// Currency.
    pub currency: Currency,
    /// Accounts with at least one overdue month in their 60-month history.
    pub accounts: u32,
    /// Overdue months, summed over accounts.
    pub months: u32,
    /// Highest overdue amount of any single month.
    pub highest_monthly_overdue: i64,
    /// Longest overdue periods (the highest status 1–7 seen).
    pub longest_overdue_months: u8,
}

/// Query summary (查询记录概要).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuerySummary {
    /// Date of the last query.
    pub last_query_on: Option<Date>,
    /// Loan-approval queries in the last month: institutions.
    pub loan_approval_institutions_1m: u32,
    /// Loan-approval queries in the last month.
    pub loan_approval_queries_1m: u32,
    /// Card-approval queries in the last month: institutions.
    pub card_approval_institutions_1m: u32,
    /// Card-approval queries in the last month.
    pub card_approval_queries_1m: u32,
    /// Self-queries in the last month.
    pub self_queries_1m: u32,
    /// Post-loan management queries in the last 2 years.
    pub post_loan_queries_2y: u32,
    /// Guarantor checks in the last 2 years.
    pub guarantor_queries_2y: u32,
    /// Merchant real-name checks in the last 2 years.
    pub merchant_queries_2y: u32,
}

/// The accounts of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountGroup {
    /// Account type.
    pub account_type: AccountType,
    /// Chinese title.
    pub title_zh: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// The accounts, oldest first.
    pub accounts: Vec<AccountDetail>,
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDetail {
    /// Position in this report (1, 2, …): not the furnisher's key.
    pub number: u32,
    /// Stable reference to dispute the account or add a statement to it (not the furnisher's key).
    /// On an institution's copy, one of that institution's own (`Keys::lender_ref`).
    pub account_ref: String,
    /// Disputes on the account or its months (异议标注), with their state.
    pub disputes: Vec<DisputeMark>,
    /// The person's statements beside the account or its months (本人声明).
    pub statements: Vec<StatementEntry>,
    /// The institution: on an institution's copy, the querying institution's own accounts by its
    /// name and every other lender hidden behind its kind and a four-letter code, stable for that
    /// institution (商业银行“ABCD” / commercial bank "ABCD").
    pub institution: String,
    /// Account type.
    pub account_type: AccountType,
    /// The person's part: borrower (`individual`), joint borrower (`joint`, 共同借款) or
    /// guarantor (`guarantor`, in [`Report::guarantees`] only).
    pub responsibility: Responsibility,
    /// Opening date.
    pub opened_on: Date,
    /// Currency.
    pub currency: Currency,
    /// Current credit limit or loan amount (minor units).
    pub credit_limit: i64,
    /// Instalments, for loans (还款期数).
    pub periods: Option<u16>,
    /// 应还款日: the day of the month payments fall due.
    pub due_day: Option<u8>,
    /// 业务种类: what the loan is for, when the lender reports it (a mortgage is not a consumer
    /// loan).
    pub loan_kind: Option<LoanKind>,
    /// 担保方式, when reported.
    pub guarantee: Option<GuaranteeMode>,
    /// 到期日期: the maturity date, when reported.
    pub maturity_on: Option<Date>,
    /// 还款频率, when reported.
    pub frequency: Option<RepayFrequency>,
    /// 还款方式, when reported.
    pub repayment_method: Option<RepaymentMethod>,
    /// For a sub-account (R4), the report number of the credit line it was drawn under.
    pub credit_line_number: Option<u32>,
    /// For a revolving line, the instalment plans (R4, 循环额度下分账户) drawn under it, as the
    /// PBOC report shows them: under their line, not as accounts of their own.
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub sub_accounts: Vec<AccountDetail>,
    /// 特殊交易 and 特殊事件: extensions, early repayments, debt relief, the borrower's death…,
    /// oldest first.
    pub specials: Vec<SpecialEntry>,
    /// Whether closed: its latest month closes it (C, G, Z, or D with nothing left owing).
    pub closed: bool,
    /// For a collection (C1, 被追偿): what the PBOC report shows of it instead of a repayment
    /// grid (a collector's months are not instalments).
    pub collection: Option<CollectionDetail>,
    /// The account's state (账户状态), derived from its latest month: a card at `B` is 呆账, a
    /// debt sold at `G` is 转出, not "open" and "paid".
    pub state: AccountState,
    /// The latest month reported.
    pub latest: Option<LatestMonth>,
    /// Open, and not reported for [`limits::REPORT_STALE_MONTHS`] months or more before the
    /// report's month: what `latest` says is as of its month, not now (未更新).
    pub stale: bool,
    /// Average used amount over the last 6 reported months of the window.
    pub used_6m_avg: i64,
    /// Highest used amount over the same months.
    pub used_6m_max: i64,
    /// Average amount due over the same months.
    pub due_6m_avg: i64,
    /// First month of the 24-month line.
    pub status_line_from: Option<YearMonth>,
    /// The 24-month status line, oldest first, one symbol a month.
    pub status_line: String,
    /// The 60-month history, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A special transaction or event on an account (特殊交易/特殊事件).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpecialEntry {
    /// Reference for disputing it, e.g. `A12.S2`; on an institution's copy, one of its own.
    pub special_ref: String,
    /// What happened.
    pub kind: SpecialKind,
    /// When.
    pub on: Date,
    /// The amount involved (minor units), for a transaction.
    pub amount: Option<i64>,
    /// Months the maturity moved, for an extension or deferral.
    pub months_changed: Option<u16>,
    /// Disputes on it.
    pub disputes: Vec<DisputeMark>,
}

/// A dispute whose mark stands on its item: open, or past its deadline unresolved (the PRC rule
/// records the dispute beside the item; the US rule suppresses the item instead).
fn standing(state: DisputeState) -> bool {
    matches!(state, DisputeState::Open | DisputeState::Unresolved)
}

/// An item a dispute hides by its state alone (an inquiry, an agreement): suppressed or deleted.
const HIDDEN: [DisputeState; 2] = [DisputeState::Suppressed, DisputeState::Deleted];

/// A special transaction or event deleted, corrected (the corrected one is another) or
/// suppressed after a dispute is not shown.
const SPECIAL_HIDDEN: [DisputeState; 3] = [DisputeState::Suppressed, DisputeState::Deleted, DisputeState::Corrected];

/// Whether reports still show a special transaction of day `on`: as long as negative information,
/// from its own day (a debt relief in 2015 is not news in 2026).
pub(crate) fn special_kept(on: Date, today: Date, policy: &Policy) -> bool {
    YearMonth::of(on).plus(12 * i32::from(policy.retention.years())) > YearMonth::of(today)
}

/// An account's special transactions and events as of the view, with their disputes.
fn special_entries(r: &dyn Reader, account: &AccountRow, view: &View<'_>) -> Result<Vec<SpecialEntry>> {
    let mut out = Vec::new();
    for x in r.specials_of(account.subject_id, account.id, view.cutoff)? {
        let item = DisputeItem::Special(account.id, x.seq);
        if !special_kept(x.on, view.today, view.policy) || view.notes.hides(&item, &SPECIAL_HIDDEN) {
            continue;
        }
        out.push(SpecialEntry {
            special_ref: crate::rights::special_ref(account.id, x.seq),
            kind: x.kind,
            on: x.on,
            amount: x.amount_minor,
            months_changed: x.months_changed,
            disputes: view.notes.marks(|i| *i == item),
        });
    }
    Ok(out)
}

/// The overdue principal by age (逾期本金 by 31–60, 61–90, 91–180 and over 180 days), minor units;
/// an age the lender left out of its report holds none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueByAge {
    /// 31–60 days.
    pub days_31_60: i64,
    /// 61–90 days.
    pub days_61_90: i64,
    /// 91–180 days.
    pub days_91_180: i64,
    /// Over 180 days.
    pub over_180: i64,
}

/// A debt in collection (被追偿信息), as the PBOC report lays it out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionDetail {
    /// 债权接收日期: when the collector received the debt (the account's opening date).
    pub received_on: Date,
    /// 债权金额: the amount received (minor units).
    pub amount: i64,
    /// 转移时的还款状态: the status of the first month the collector reported.
    pub status_at_transfer: Option<RepaymentStatus>,
    /// 余额: the balance now (minor units).
    pub balance: i64,
    /// 最近一次还款日期: the last repayment on file.
    pub last_payment_on: Option<Date>,
}

/// Accounts and their balance in one currency: the collection (被追偿) and bad-debt (呆账)
/// summary lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BalanceSummary {
    /// Currency of the balance.
    pub currency: Currency,
    /// Accounts.
    pub accounts: u32,
    /// Their balances (minor units).
    pub balance: i64,
}

/// The latest monthly performance of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatestMonth {
    /// Month.
    pub month: YearMonth,
    /// Status.
    pub status: RepaymentStatus,
    /// Balance.
    pub balance: i64,
    /// Used amount.
    pub used_amount: i64,
    /// Amount due this month.
    pub amount_due: i64,
    /// Amount paid this month.
    pub amount_paid: i64,
    /// Past-due amount.
    pub overdue_amount: i64,
    /// Days past due.
    pub days_past_due: u32,
    /// 当前逾期期数: periods overdue now (the lender's count, else the status's).
    pub overdue_periods: u16,
    /// 逾期本金: the principal part of the amount past due, when reported.
    pub overdue_principal: Option<i64>,
    /// The overdue principal by age, when reported.
    pub overdue_by_age: Option<OverdueByAge>,
    /// 剩余还款期数: instalments left, when reported.
    pub remaining_periods: Option<u16>,
    /// Last payment date.
    pub last_payment_on: Option<Date>,
    /// Closing date.
    pub closed_on: Option<Date>,
    /// 五级分类: the lender's five-level classification of the loan, when it reports one.
    pub classification: Option<Classification>,
}

/// One month of an account's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// Month.
    pub month: YearMonth,
    /// Status symbol (`/` before opening, `#` when not reported).
    pub status: RepaymentStatus,
    /// Overdue amount that month.
    pub overdue_amount: i64,
}

/// One query record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryRecord {
    /// Stable reference, to dispute the query ("I did not authorize this"). On an institution's
    /// copy, one of that institution's own.
    pub inquiry_ref: String,
    /// Whether the person disputes it.
    pub disputed: bool,
    /// Date.
    pub on: Date,
    /// Institution (or "本人 / self").
    pub institution: String,
    /// Reason.
    pub reason: QueryReason,
    /// Whether a hard inquiry.
    pub hard: bool,
}

impl<S: Store> Bureau<S> {
    /// Produces a report: checks the requester's authorization, logs the inquiry and an audit
    /// event in one transaction, then assembles the report from the store.
    pub fn produce_report(&mut self, req: &ReportRequest) -> Result<Report> {
        self.produce_report_with(req, None)
    }

    /// [`Bureau::produce_report`], where the organization also names the person's authorization
    /// it relies on: the consent must then be that one.
    pub fn produce_report_with(&mut self, req: &ReportRequest, proof: Option<&ConsentProof>) -> Result<Report> {
        self.produce_logged(req, proof).map(|(report, _)| report)
    }

    /// The person's own report as of today, as [`Bureau::produce_report`] gives it, and the
    /// self-view it was logged as: to show the same view again in the same sign-in session
    /// ([`Bureau::reshow_own_report`]).
    pub fn produce_own_report(&mut self, document: &DocumentNumber) -> Result<(Report, InquiryId)> {
        let req = ReportRequest { document: document.clone(), as_of: None, requester: Requester::Person };
        self.produce_logged(&req, None)
    }

    /// The person's own report again, for a self-view logged today (`inquiry`, from
    /// [`Bureau::produce_own_report`]): a page refreshed in the same sign-in session. It is
    /// assembled anew from the file (what changed since shows), with the same report number and
    /// self-view, and no new inquiry, so a refresh spends no free self-view; the showing is an
    /// audit event. Refused (`UNKNOWN_ITEM`) when `inquiry` is not the person's self-view of today.
    pub fn reshow_own_report(&mut self, document: &DocumentNumber, inquiry: InquiryId) -> Result<Report> {
        let now = self.clock.now();
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let subject = crate::subject_by_document(w.as_ref(), &self.keys, document)?.ok_or(BureauError::NoFile)?;
        let year_start = now.date().replace_ordinal(1).map_or(0, |d| d.midnight().assume_utc().unix_timestamp());
        let views: Vec<InquiryRow> = w
            .inquiries_of(subject.id, year_start, now.unix_timestamp())?
            .into_iter()
            .filter(|q| q.inquiry.reason == QueryReason::SelfQuery && q.inquiry.org_id.is_none())
            .collect();
        let Some(view) = views.iter().find(|q| q.id == inquiry) else {
            return Err(BureauError::refused(Refusal::UnknownItem, "no self-view of this year to show again"));
        };
        let at = OffsetDateTime::from_unix_timestamp(view.inquiry.at)
            .map_err(|_| StoreError::Corrupt("inquiry time".into()))?;
        if at.date() != now.date() {
            return Err(BureauError::refused(Refusal::UnknownItem, "the self-view to show again is not of today"));
        }
        let before = views.iter().filter(|q| q.id.0 < inquiry.0).count() as u32;
        let detail = serde_json::json!({"inquiry": inquiry.0});
        audit::append(w.as_mut(), now.unix_timestamp(), "report.reshown", Some(subject.id), None, &detail)?;
        w.commit()?;
        let context = ReportContext {
            report_id: report_id(at, inquiry),
            produced_at: now,
            as_of: now.date(),
            copy: Copy::Person,
            reason: QueryReason::SelfQuery,
            institution: None,
            querying_org: None,
        };
        self.finish_report(subject.id, &context, Some(before))
    }

    /// Assembles a report, with its score and, for a self-view, which of the year it is
    /// (`views_before` this year) and whether it is free.
    fn finish_report(
        &mut self,
        subject: SubjectId,
        context: &ReportContext,
        views_before: Option<u32>,
    ) -> Result<Report> {
        // The score model's version is read in the report's own read (one transaction less: on
        // PostgreSQL, two round trips a report).
        let (mut report, score_version) = {
            let r = self.store.read()?;
            (assemble(r.as_ref(), &self.keys, &self.policy, subject, context)?, r.latest_score_version()?)
        };
        report.header.free_self_view = views_before.map(|n| n < u32::from(self.policy.free_self_views_per_year));
        report.header.self_view_number = views_before.map(|n| n + 1);
        if let Some(model) = self.score_model_of_version(score_version)? {
            report.score = Some(model.score(&report)?);
        }
        Ok(report)
    }

    /// Checks the requester's authorization, logs the inquiry and an audit event in one
    /// transaction, then assembles the report.
    fn produce_logged(&mut self, req: &ReportRequest, proof: Option<&ConsentProof>) -> Result<(Report, InquiryId)> {
        let now = self.clock.now();
        let as_of = req.as_of.unwrap_or(now.date());
        // Before anything is read: the request's shape, not the person, is refused.
        if as_of != now.date() && matches!(req.requester, Requester::Organization { .. }) {
            return Err(BureauError::refused(
                Refusal::AsOfOwnCopy,
                format!("an organization's copy is as of today ({}), not {as_of}", now.date()),
            ));
        }
        let mut w = crate::checked_write(&mut self.store, &self.keys)?;
        let subject = match (crate::subject_by_document(w.as_ref(), &self.keys, &req.document)?, &req.requester) {
            (Some(s), _) => s,
            (None, Requester::Person) => return Err(BureauError::NoFile),
            // An organization learns nothing from a refusal: whether or not the person has a
            // file, without their consent the answer is the same.
            (None, Requester::Organization { .. }) => {
                return Err(BureauError::refused(
                    Refusal::NoConsent,
                    "no consent from this person for this organization and purpose is in force",
                ));
            }
        };
        let (org, consent, reason) = match &req.requester {
            Requester::Person => (None, None, QueryReason::SelfQuery),
            Requester::Organization { code, reason } => {
                let org = crate::access::org_by_code(w.as_ref(), code)?;
                let consent = inquiry_consent(w.as_ref(), subject.id, org.id, *reason, now.date(), proof)?;
                if *reason == QueryReason::PostLoan {
                    require_open_account(w.as_ref(), subject.id, org.id, now.unix_timestamp())?;
                }
                refuse_if_frozen(w.as_ref(), subject.id, *reason, now)?;
                (Some(org), Some(consent), *reason)
            }
        };
        // After the authorization: a requester without one learns nothing, not even a birth year.
        if as_of > now.date() {
            return Err(BureauError::refused(Refusal::FutureDate, format!("a report as of {as_of} is in the future")));
        }
        if as_of < subject.birth_date {
            return Err(BureauError::refused(Refusal::AsOfBeforeBirth, format!("no file existed on {as_of}")));
        }
        crate::rights::sweep(w.as_mut(), &self.policy, subject.id, now.unix_timestamp(), now.date())?;
        let views_before = (reason == QueryReason::SelfQuery)
            .then(|| self_views_this_year(w.as_ref(), subject.id, now))
            .transpose()?;
        let inquiry = NewInquiry {
            subject_id: subject.id,
            org_id: org.as_ref().map(|o| o.id),
            reason,
            consent_id: consent,
            at: now.unix_timestamp(),
            hard: reason.is_hard(),
        };
        let inquiry_id = w.insert_inquiry(&inquiry)?;
        let detail =
            serde_json::json!({"inquiry": inquiry_id.0, "reason": reason.as_str(), "as_of": as_of.to_string()});
        audit::append(w.as_mut(), now.unix_timestamp(), "report.produced", Some(subject.id), inquiry.org_id, &detail)?;
        w.commit()?;
        let copy = if org.is_some() { Copy::Institution } else { Copy::Person };
        let context = ReportContext {
            report_id: report_id(now, inquiry_id),
            produced_at: now,
            as_of,
            copy,
            reason,
            querying_org: org.as_ref().map(|o| o.id),
            institution: org.map(|o| o.name),
        };
        Ok((self.finish_report(subject.id, &context, views_before)?, inquiry_id))
    }
}

/// A report's number: the day it was logged and its inquiry's id.
pub(crate) fn report_id(logged_at: OffsetDateTime, inquiry: InquiryId) -> String {
    format!("OB{}{:010}", logged_at.date().to_string().replace('-', ""), inquiry.0)
}

/// Post-loan management (贷后管理) is for a lender's own customers: the person must hold an
/// account at the lender that is neither deleted nor closed (its newest month is not C or G).
fn require_open_account(r: &dyn Reader, subject: SubjectId, org: OrgId, now: i64) -> Result<()> {
    for account in r.accounts_of(subject)?.into_iter().filter(|a| a.org_id == org) {
        if r.account_version(account.id, now)?.is_none_or(|v| v.deleted) {
            continue;
        }
        let months = r.months(account.id, YearMonth::MIN, YearMonth::MAX, now)?;
        let newest = months.iter().max_by_key(|m| (m.month, m.version));
        if newest.is_none_or(|m| !m.status.closes_with(m.balance_minor)) {
            return Ok(());
        }
    }
    Err(BureauError::refused(
        Refusal::NoOpenAccount,
        "post-loan management is only for a person with an open account at this organization",
    ))
}

/// A freeze refuses inquiries for new credit; post-loan management and other purposes go on.
fn refuse_if_frozen(r: &dyn Reader, subject: SubjectId, reason: QueryReason, now: OffsetDateTime) -> Result<()> {
    let frozen =
        r.flags_of(subject)?.iter().any(|f| f.kind == FlagKind::Freeze && f.holds_at(now.unix_timestamp(), now.date()));
    if frozen && reason.is_new_credit() {
        return Err(BureauError::refused(
            Refusal::Frozen,
            "the person has frozen their file: no report is given for new credit",
        ));
    }
    Ok(())
}

/// Self-views already made this calendar year.
fn self_views_this_year(r: &dyn Reader, subject: SubjectId, now: OffsetDateTime) -> Result<u32> {
    let year_start = now.date().replace_ordinal(1).map_or(0, |d| d.midnight().assume_utc().unix_timestamp());
    let views = r.inquiries_of(subject, year_start, now.unix_timestamp())?;
    Ok(views.iter().filter(|q| q.inquiry.reason == QueryReason::SelfQuery).count() as u32)
}

/// The inquiry consent relied on, or a refusal.
fn inquiry_consent(
    r: &dyn Reader,
    subject: SubjectId,
    org: OrgId,
    reason: QueryReason,
    today: Date,
    proof: Option<&ConsentProof>,
) -> Result<ConsentId> {
    r.consents_of(subject)?
        .into_iter()
        .find(|c| {
            let c2 = &c.consent;
            let proven = match proof {
                None => true,
                Some(ConsentProof::Reference(r)) => c2.consent_ref.as_deref() == Some(r.as_str()),
                Some(ConsentProof::Evidence(sha)) => c2.evidence_sha256 == *sha,
            };
            proven
                && c2.org_id == org
                && c2.scope == ConsentScope::Inquire
                && c2.purpose == Some(reason)
                && c2.active_on(today)
        })
        .map(|c| c.id)
        .ok_or_else(|| {
            BureauError::refused(
                Refusal::NoConsent,
                "no consent from this person for this organization and purpose is in force",
            )
        })
}

/// Everything about a report that is not read from the person's file.
#[derive(Clone, Debug)]
pub struct ReportContext {
    /// Report number.
    pub report_id: String,
    /// When produced.
    pub produced_at: OffsetDateTime,
    /// As of which day.
    pub as_of: Date,
    /// Whose copy.
    pub copy: Copy,
    /// This query's reason.
    pub reason: QueryReason,
    /// The querying institution's name.
    pub institution: Option<String>,
    /// The querying institution: on its copy, its own accounts and inquiries show by its name.
    pub querying_org: Option<OrgId>,
}

/// Assembles a report from a read view. Does not log anything: callers outside this module must
/// go through [`Bureau::produce_report`], which logs first. Public for benchmarks and tests.
pub fn assemble(
    r: &dyn Reader,
    keys: &Keys,
    policy: &Policy,
    subject: SubjectId,
    ctx: &ReportContext,
) -> Result<Report> {
    let cutoff = end_of_day(ctx.as_of);
    r.prefetch_file(subject)?;
    let notes = FileNotes::load(r, keys, policy, subject, ctx.produced_at, cutoff)?;
    let mut identity = identity_section(r, keys, subject)?;
    identity.disputes = notes.marks(|item| matches!(item, DisputeItem::Identity));
    let mut names = Institutions::new(r, keys, ctx);
    // (account, its credit line, detail), in opening order.
    let mut details: Vec<(AccountId, Option<AccountId>, AccountDetail)> = Vec::new();
    let accounts = r.accounts_of(subject)?;
    for account in &accounts {
        let Some(terms) = r.account_version(account.id, cutoff)?.filter(|t| !t.deleted) else { continue };
        if ctx.as_of < ctx.produced_at.date() && deleted_by_the_bureau(r, account.id)? {
            continue;
        }
        if notes.suppressed(&DisputeItem::Account(account.id)) {
            continue;
        }
        let view = View { as_of: ctx.as_of, cutoff, policy, today: ctx.produced_at.date(), notes: &notes };
        let Some(mut detail) = account_detail(r, account, &terms, &mut names, &view)? else { continue };
        detail.disputes = notes.marks(|item| match item {
            DisputeItem::Account(a) | DisputeItem::Month(a, _) => *a == account.id,
            _ => false,
        });
        detail.statements = notes.statements_for(account.id, &detail.history);
        details.push((account.id, terms.credit_line_id, detail));
    }
    details.sort_by_key(|(id, _, d)| (d.opened_on, *id));
    let mut inquiries = r.inquiries_of(subject, 0, cutoff)?;
    inquiries.retain(|q| !notes.hides(&DisputeItem::Inquiry(q.id), &HIDDEN));
    if ctx.copy == Copy::Institution && !policy.institution_copy_soft_inquiries {
        // Shown to the person alone (US): the lender's copy lists and counts hard inquiries only.
        inquiries.retain(|q| q.inquiry.hard);
    }
    let mut queries = query_records(&inquiries, &mut names, ctx.as_of)?;
    for (q, row) in queries.iter_mut().zip(inquiries.iter().rev()) {
        q.disputed = notes.open(&DisputeItem::Inquiry(row.id));
    }
    let (guaranteed, own): (Vec<_>, Vec<_>) =
        details.into_iter().partition(|(_, _, d)| d.responsibility == Responsibility::Guarantor);
    let (groups, numbers) = number_and_group(own);
    let guarantees =
        number_guarantees(guaranteed, groups.iter().flat_map(|g| &g.accounts).map(|a| 1 + a.sub_accounts.len()).sum());
    let agreements =
        agreement_entries((r, keys), (subject, cutoff, ctx.as_of), &accounts, (&numbers, &groups), &notes, &mut names)?;
    let summary = summarize(&groups, &guarantees, &inquiries, ctx.as_of);
    let mut report = Report {
        format_version: REPORT_FORMAT_VERSION,
        header: ReportHeader {
            report_id: ctx.report_id.clone(),
            produced_at: rfc3339(ctx.produced_at, policy.report_utc_offset_minutes),
            as_of: ctx.as_of,
            copy: ctx.copy,
            query_reason: ctx.reason,
            query_institution: ctx.institution.clone(),
            fraud_alert: notes.fraud_alert,
            freeze: notes.freeze,
            dispute_marks: 0,
            free_self_view: None,
            self_view_number: None,
        },
        identity,
        score: None,
        summary,
        account_groups: groups,
        guarantees,
        agreements,
        queries,
    };
    report.header.dispute_marks = report.open_marks();
    if let (Copy::Institution, Some(org)) = (ctx.copy, ctx.querying_org) {
        scope_references(&mut report, keys, org);
    }
    debug_assert_eq!(report.summary, summarize(&report.account_groups, &report.guarantees, &inquiries, ctx.as_of));
    Ok(report)
}

/// Gives an institution's copy references of its own ([`Keys::lender_ref`]) instead of the
/// bureau's, which are the same on every copy: two lenders comparing copies would otherwise link
/// an account one copy names to the code the other gives its lender (docs/rights.md, "Whose
/// copy"). Lenders dispute nothing; the person's copy keeps the bureau's references to dispute by.
fn scope_references(report: &mut Report, keys: &Keys, org: OrgId) {
    let scoped = |prefix: char, r: &mut String| *r = keys.lender_ref(org.0, prefix, r);
    let mut account = |a: &mut AccountDetail| {
        scoped('A', &mut a.account_ref);
        a.specials.iter_mut().for_each(|x| scoped('S', &mut x.special_ref));
    };
    for a in report.account_groups.iter_mut().flat_map(|g| g.accounts.iter_mut()).chain(&mut report.guarantees) {
        account(a);
        a.sub_accounts.iter_mut().for_each(&mut account);
    }
    report.agreements.iter_mut().for_each(|g| scoped('G', &mut g.agreement_ref));
    report.queries.iter_mut().for_each(|q| scoped('Q', &mut q.inquiry_ref));
}

/// Numbers the accounts in report order (groups in risk order, oldest first within a group) and
/// groups them. An instalment plan (R4) whose line is in the report goes under that line, as the
/// PBOC report shows it (循环额度下分账户), numbered right after it; a plan whose line is not
/// shown (deleted, suppressed) stays in a group of its own.
fn number_and_group(
    details: Vec<(AccountId, Option<AccountId>, AccountDetail)>,
) -> (Vec<AccountGroup>, HashMap<AccountId, u32>) {
    let shown: BTreeSet<AccountId> = details.iter().map(|(id, _, _)| *id).collect();
    let under_a_line = |line: &Option<AccountId>| line.is_some_and(|l| shown.contains(&l));
    // A line that is itself drawn under another line (re-sent as a plan) stays on top, and
    // so do its plans: nesting goes one level deep.
    let plan_ids: BTreeSet<AccountId> =
        details.iter().filter(|(_, line, _)| under_a_line(line)).map(|(id, _, _)| *id).collect();
    let (nested, mut top): (Vec<_>, Vec<_>) = details
        .into_iter()
        .partition(|(_, line, _)| line.is_some_and(|l| shown.contains(&l) && !plan_ids.contains(&l)));
    let mut plans: HashMap<AccountId, Vec<(AccountId, AccountDetail)>> = HashMap::new();
    for (id, line, d) in nested {
        plans.entry(line.unwrap_or(AccountId(0))).or_default().push((id, d));
    }
    let mut numbers = HashMap::new();
    top.sort_by_key(|(_, _, d)| AccountType::REPORT_ORDER.iter().position(|t| *t == d.account_type));
    let mut number = 0;
    let mut lines: Vec<(usize, AccountId)> = Vec::new();
    let mut flat: Vec<AccountDetail> = Vec::new();
    for (id, line, mut d) in top {
        number += 1;
        d.number = number;
        numbers.insert(id, number);
        for (plan_id, mut plan) in plans.remove(&id).unwrap_or_default() {
            number += 1;
            plan.number = number;
            plan.credit_line_number = Some(d.number);
            numbers.insert(plan_id, number);
            d.sub_accounts.push(plan);
        }
        if let Some(l) = line.filter(|l| shown.contains(l)) {
            lines.push((flat.len(), l));
        }
        flat.push(d);
    }
    // A plan left on top (its line is itself a plan) still names its line's number.
    for (i, l) in lines {
        flat[i].credit_line_number = numbers.get(&l).copied();
    }
    let mut groups: Vec<AccountGroup> = Vec::new();
    for d in flat {
        match groups.last_mut() {
            Some(g) if g.account_type == d.account_type => g.accounts.push(d),
            _ => groups.push(AccountGroup {
                account_type: d.account_type,
                title_zh: d.account_type.title_zh(),
                title_en: d.account_type.title_en(),
                accounts: vec![d],
            }),
        }
    }
    debug_assert!(plans.is_empty(), "every nested plan's line is shown");
    (groups, numbers)
}

/// The person's credit agreements as of the cut-off, each with the accounts drawn under it: the
/// furnisher's account of the same key (a line reports its months under its agreement's code)
/// and that line's instalment plans. One deleted or suppressed after a dispute is not shown.
fn agreement_entries(
    (r, keys): (&dyn Reader, &Keys),
    (subject, cutoff, as_of): (SubjectId, i64, Date),
    accounts: &[AccountRow],
    (numbers, groups): (&HashMap<AccountId, u32>, &[AccountGroup]),
    notes: &FileNotes,
    names: &mut Institutions<'_>,
) -> Result<Vec<AgreementEntry>> {
    let shown: HashMap<u32, &AccountDetail> = flatten(groups).map(|a| (a.number, a)).collect();
    let mut out = Vec::new();
    for a in r.agreements_of(subject, cutoff)? {
        let item = DisputeItem::Agreement(a.org_id, a.agreement_key.clone());
        if notes.hides(&item, &HIDDEN) {
            continue;
        }
        let line = accounts.iter().find(|x| x.org_id == a.org_id && x.account_key == a.agreement_key);
        let line_number = line.and_then(|l| numbers.get(&l.id).copied());
        let mut drawn: Vec<u32> = line_number.into_iter().collect();
        if let Some(detail) = line_number.and_then(|n| shown.get(&n)) {
            drawn.extend(detail.sub_accounts.iter().map(|p| p.number));
        }
        let used_amount = drawn
            .iter()
            .filter_map(|n| shown.get(n))
            .filter(|d| !d.closed)
            .map(|d| d.latest.as_ref().map_or(0, |l| l.used_amount))
            .sum();
        out.push(AgreementEntry {
            agreement_ref: crate::rights::agreement_ref(keys, a.org_id, &a.agreement_key),
            institution: names.name(a.org_id)?,
            kind: a.kind,
            responsibility: a.responsibility,
            currency: a.currency,
            credit_limit: a.limit_minor,
            effective_on: a.effective_on,
            expires_on: a.expires_on,
            // An agreement past its last day has ended, whether or not the lender said so.
            ended: a.ended || a.expires_on.is_some_and(|e| e < as_of),
            accounts: drawn,
            used_amount,
            disputes: notes.marks(|i| *i == item),
        });
    }
    out.sort_by_key(|e| (e.ended, e.effective_on));
    Ok(out)
}

/// Numbers the accounts the person guarantees after their own `own` accounts, in type then
/// opening order.
fn number_guarantees(
    mut details: Vec<(AccountId, Option<AccountId>, AccountDetail)>,
    own: usize,
) -> Vec<AccountDetail> {
    details.sort_by_key(|(_, _, d)| AccountType::REPORT_ORDER.iter().position(|t| *t == d.account_type));
    let mut out: Vec<AccountDetail> = details.into_iter().map(|(_, _, d)| d).collect();
    for (i, d) in out.iter_mut().enumerate() {
        d.number = (own + i) as u32 + 1;
    }
    out
}

/// `t` in RFC 3339 at the policy's offset from UTC, to the second.
fn rfc3339(t: OffsetDateTime, offset_minutes: i16) -> String {
    let offset = time::UtcOffset::from_whole_seconds(i32::from(offset_minutes) * 60).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset).replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn identity_section(r: &dyn Reader, keys: &Keys, subject: SubjectId) -> Result<IdentitySection> {
    let row = r.subject(subject)?.ok_or(BureauError::NoFile)?;
    let name = keys.decrypt_text(crypto::NAME_CONTEXT, &row.name_enc)?;
    let mut documents = Vec::new();
    let mut gender = None;
    for d in r.documents_of(subject)? {
        let number = keys.decrypt_text(&crypto::document_context(d.doc_type), &d.number_enc)?;
        let number = DocumentNumber::parse(d.doc_type, &number)
            .map_err(|e| StoreError::Corrupt(format!("stored document does not validate: {e}")))?;
        gender = gender.or(number.prc_is_male().map(|m| if m { "male" } else { "female" }));
        documents.push(DocumentEntry { document_type: d.doc_type, number_masked: number.masked() });
    }
    Ok(IdentitySection { name, birth_date: row.birth_date, gender, documents, disputes: Vec::new() })
}

/// Institution names as this copy shows them: real names on the person's copy; on an
/// institution's copy, the querying institution's own name, and each other lender hidden behind
/// its kind and a code of four letters, the same in every report that institution gets and
/// another for each institution (商业银行“ABCD” / commercial bank "ABCD").
struct Institutions<'r> {
    r: &'r dyn Reader,
    keys: &'r Keys,
    copy: Copy,
    querying: Option<OrgId>,
    seen: HashMap<OrgId, String>,
    codes: BTreeSet<String>,
}

impl<'r> Institutions<'r> {
    fn new(r: &'r dyn Reader, keys: &'r Keys, ctx: &ReportContext) -> Self {
        let (copy, querying) = (ctx.copy, ctx.querying_org);
        Institutions { r, keys, copy, querying, seen: HashMap::new(), codes: BTreeSet::new() }
    }

    fn name(&mut self, org: OrgId) -> Result<String> {
        if let Some(n) = self.seen.get(&org) {
            return Ok(n.clone());
        }
        let row = self.r.org(org)?;
        let name = match (self.copy, row) {
            (Copy::Person, Some(o)) => o.name,
            (Copy::Institution, Some(o)) if Some(org) == self.querying => o.name,
            (Copy::Person, None) => format!("#{}", org.0),
            (Copy::Institution, row) => {
                let (zh, en) = row.and_then(|o| o.org_type).map_or(("机构", "institution"), |t| t.title());
                let mut code = self.keys.institution_code(self.querying.map_or(0, |q| q.0), org.0);
                if self.codes.contains(&code) {
                    // Two lenders of one report drew the same four letters (about 1 in 2,000 for a
                    // report of 20 lenders): the second gets a digit.
                    code = format!("{code}{}", self.codes.len() + 1);
                }
                self.codes.insert(code.clone());
                format!("{zh}“{code}” / {en} \"{code}\"")
            }
        };
        self.seen.insert(org, name.clone());
        Ok(name)
    }
}

/// How a report looks at the file: as of which day (and its cut-off), under which policy, today,
/// with which disputes and statements.
struct View<'a> {
    as_of: Date,
    cutoff: i64,
    policy: &'a Policy,
    today: Date,
    notes: &'a FileNotes,
}

/// Whether the account's terms now end in a deletion the bureau recorded (no batch: a dispute
/// answered "deleted", or `retention run` removing an account whose newest month expired). A
/// report as of an earlier day leaves it out too: retention may have purged the months that made
/// it negative, and what is left would show it open and current; a dispute found it inaccurate.
fn deleted_by_the_bureau(r: &dyn Reader, account: AccountId) -> Result<bool> {
    Ok(r.account_version(account, i64::MAX)?.is_some_and(|t| t.deleted && t.batch_id.is_none()))
}

/// The months a report reads of an account: twice the history it shows, up to the report's
/// month, so that a delinquency that began before the history is judged whole.
pub(crate) fn report_window(as_of: Date) -> (YearMonth, YearMonth) {
    let to = YearMonth::of(as_of);
    (to.plus(-(limits::REPORT_HISTORY_MONTHS as i32) * 2), to)
}

/// The account as a report shows it, or `None` when retention has taken it off reports whole
/// ([`crate::retention::account_shown`]); its institution is named only when it is shown.
fn account_detail(
    r: &dyn Reader,
    account: &AccountRow,
    terms: &AccountVersionRow,
    names: &mut Institutions<'_>,
    view: &View<'_>,
) -> Result<Option<AccountDetail>> {
    let (from, to) = report_window(view.as_of);
    let mut months = r.months(account.id, from, to, view.cutoff)?;
    months.retain(|m| !m.deleted);
    if !crate::retention::account_shown(&months, terms.account_type, terms.opened_on, view.policy, view.today) {
        return Ok(None);
    }
    let institution = names.name(account.org_id)?;
    // Expired negative information (retention) and items suppressed after an unanswered dispute
    // are not shown, whatever day the report is as of.
    let expired = crate::retention::expired_months(&months, view.policy, view.today);
    months.retain(|m| !expired.contains(&m.month) && !view.notes.suppressed(&DisputeItem::Month(account.id, m.month)));
    let latest_row = months.last();
    let history = history(&months, terms.opened_on);
    let status_line: String = history
        .iter()
        .rev()
        .take(limits::REPORT_STATUS_LINE_MONTHS as usize)
        .rev()
        .map(|h| h.status.as_str())
        .collect();
    let status_line_from = history
        .len()
        .checked_sub(limits::REPORT_STATUS_LINE_MONTHS as usize)
        .map_or(history.first(), |i| history.get(i))
        .map(|h| h.month);
    let recent: Vec<&MonthRow> = months.iter().rev().take(limits::REPORT_AVERAGE_MONTHS as usize).collect();
    let used_6m_max = recent.iter().map(|m| m.used_minor).max().unwrap_or(0);
    let average = |amount: fn(&MonthRow) -> i64| {
        if recent.is_empty() { 0 } else { recent.iter().map(|m| amount(m)).sum::<i64>() / recent.len() as i64 }
    };
    let (used_6m_avg, due_6m_avg) = (average(|m| m.used_minor), average(|m| m.due_minor));
    let credit_limit = months.iter().rev().find_map(|m| m.credit_limit_minor).unwrap_or(terms.credit_limit_minor);
    let closed = latest_row.is_some_and(|m| m.status.closes_with(m.balance_minor));
    // Months missing between the latest reported and the report's month.
    let silent_months =
        latest_row.map_or(to.months_since(YearMonth::of(terms.opened_on)), |m| to.months_since(m.month) - 1);
    let stale = !closed && silent_months >= limits::REPORT_STALE_MONTHS;
    Ok(Some(AccountDetail {
        account_ref: crate::rights::account_ref(account.id),
        disputes: Vec::new(),
        statements: Vec::new(),
        number: 0,
        institution,
        account_type: terms.account_type,
        responsibility: terms.responsibility,
        opened_on: terms.opened_on,
        currency: terms.currency,
        credit_limit,
        periods: terms.periods,
        due_day: terms.due_day,
        loan_kind: terms.contract.loan_kind,
        guarantee: terms.contract.guarantee,
        maturity_on: terms.contract.maturity_on,
        frequency: terms.contract.frequency,
        repayment_method: terms.contract.method,
        credit_line_number: None,
        sub_accounts: Vec::new(),
        specials: special_entries(r, account, view)?,
        closed,
        state: AccountState::derive(
            terms.account_type,
            latest_row.map(|m| (m.status, m.past_due_minor, m.balance_minor)),
        ),
        collection: (terms.account_type == AccountType::C1).then(|| CollectionDetail {
            received_on: terms.opened_on,
            amount: credit_limit,
            status_at_transfer: months.first().map(|m| m.status),
            balance: latest_row.map_or(0, |m| m.balance_minor),
            last_payment_on: months.iter().filter_map(|m| m.last_payment_on).max(),
        }),
        stale,
        latest: latest_row.map(|m| LatestMonth {
            month: m.month,
            status: m.status,
            balance: m.balance_minor,
            used_amount: m.used_minor,
            amount_due: m.due_minor,
            amount_paid: m.paid_minor,
            overdue_amount: m.past_due_minor,
            days_past_due: m.days_past_due,
            overdue_periods: m
                .detail
                .overdue_periods
                .unwrap_or_else(|| m.status.overdue_periods().map_or(0, u16::from)),
            overdue_principal: m.detail.overdue_principal_minor,
            overdue_by_age: m.detail.overdue_by_age_minor.iter().any(Option::is_some).then(|| {
                let [days_31_60, days_61_90, days_91_180, over_180] =
                    m.detail.overdue_by_age_minor.map(|v| v.unwrap_or(0));
                OverdueByAge { days_31_60, days_61_90, days_91_180, over_180 }
            }),
            remaining_periods: m.detail.remaining_periods,
            last_payment_on: m.last_payment_on,
            closed_on: m.closed_on,
            classification: m.class5,
        }),
        used_6m_avg,
        used_6m_max,
        due_6m_avg,
        status_line_from,
        status_line,
        history,
    }))
}

/// The 60 months ending with the last reported month: `/` before opening, `#` where nothing was
/// reported. Empty when nothing was reported at all.
fn history(months: &[MonthRow], opened_on: Date) -> Vec<HistoryEntry> {
    let Some(last) = months.last() else { return Vec::new() };
    let by_month: HashMap<YearMonth, &MonthRow> = months.iter().map(|m| (m.month, m)).collect();
    let opened = YearMonth::of(opened_on);
    let first = last.month.plus(1 - limits::REPORT_HISTORY_MONTHS as i32);
    (0..limits::REPORT_HISTORY_MONTHS as i32)
        .map(|i| first.plus(i))
        .map(|month| match by_month.get(&month) {
            Some(m) => HistoryEntry { month, status: m.status, overdue_amount: m.past_due_minor },
            None if month < opened => HistoryEntry { month, status: RepaymentStatus::NotOpen, overdue_amount: 0 },
            None => HistoryEntry { month, status: RepaymentStatus::Unknown, overdue_amount: 0 },
        })
        .collect()
}

/// The summary, computed only from the report's own account details and inquiries, so that it
/// can be checked against them.
pub fn summarize(
    groups: &[AccountGroup],
    guarantees: &[AccountDetail],
    inquiries: &[InquiryRow],
    as_of: Date,
) -> Summary {
    let mut by_type: BTreeMap<(usize, Currency), (TypeSummary, BTreeSet<String>)> = BTreeMap::new();
    let mut overdue: BTreeMap<(usize, Currency), OverdueSummary> = BTreeMap::new();
    let mut hints: BTreeMap<usize, BusinessHint> = BTreeMap::new();
    // Plans under their lines count as what they are: R4 accounts, their balances debts.
    for a in flatten(groups) {
        let rank = AccountType::REPORT_ORDER.iter().position(|t| *t == a.account_type).unwrap_or(usize::MAX);
        let hint = hints.entry(rank).or_insert(BusinessHint {
            account_type: a.account_type,
            accounts: 0,
            first_month: YearMonth::of(a.opened_on),
        });
        hint.accounts += 1;
        hint.first_month = hint.first_month.min(YearMonth::of(a.opened_on));
        let key = (rank, a.currency);
        let (t, institutions) = by_type.entry(key).or_insert_with(|| (empty_type(a), BTreeSet::new()));
        t.accounts += 1;
        if !a.closed {
            t.open_accounts += 1;
            institutions.insert(a.institution.clone());
            t.institutions = institutions.len() as u32;
            t.total_credit_limit += a.credit_limit;
            t.balance += a.latest.as_ref().map_or(0, |l| l.balance);
            t.used_amount += a.latest.as_ref().map_or(0, |l| l.used_amount);
            t.used_6m_avg += a.used_6m_avg;
            t.due_6m_avg += a.due_6m_avg;
            t.highest_single_limit = Some(t.highest_single_limit.map_or(a.credit_limit, |h| h.max(a.credit_limit)));
            t.lowest_single_limit = Some(t.lowest_single_limit.map_or(a.credit_limit, |l| l.min(a.credit_limit)));
        }
        add_overdue(overdue.entry(key).or_insert_with(|| empty_overdue(a)), a);
    }
    Summary {
        hints: hints.into_values().collect(),
        by_type: by_type.into_values().map(|(t, _)| t).collect(),
        overdue: overdue.into_values().filter(|o| o.accounts > 0).collect(),
        guarantees: guarantee_summary(guarantees),
        collections: balance_summary(groups, |a| a.state == AccountState::InCollection),
        bad_debts: balance_summary(groups, |a| a.state == AccountState::BadDebt),
        queries: query_summary(inquiries, as_of),
    }
}

/// Every account of `groups`, plans under their lines included.
fn flatten(groups: &[AccountGroup]) -> impl Iterator<Item = &AccountDetail> {
    groups.iter().flat_map(|g| &g.accounts).flat_map(|a| std::iter::once(a).chain(&a.sub_accounts))
}

/// The accounts of `groups` that `keep` selects, counted and summed per currency.
fn balance_summary(groups: &[AccountGroup], keep: impl Fn(&AccountDetail) -> bool) -> Vec<BalanceSummary> {
    let mut by_currency: BTreeMap<Currency, BalanceSummary> = BTreeMap::new();
    for a in flatten(groups).filter(|a| keep(a)) {
        let s =
            by_currency.entry(a.currency).or_insert(BalanceSummary { currency: a.currency, accounts: 0, balance: 0 });
        s.accounts += 1;
        s.balance += a.latest.as_ref().map_or(0, |l| l.balance);
    }
    by_currency.into_values().collect()
}

impl BalanceSummary {
    /// The line for people, in Chinese and English.
    pub fn line(&self) -> String {
        format!(
            "{} 账户 accounts, 余额 balance {} {}",
            self.accounts,
            self.currency.as_str(),
            self.currency.format_minor(self.balance)
        )
    }
}

impl GuaranteeSummary {
    /// The summary as one line for people, in Chinese and English (text and web reports).
    pub fn line(&self) -> String {
        let money = |minor: i64| format!("{} {}", self.currency.as_str(), self.currency.format_minor(minor));
        format!(
            "{} 账户 accounts ({} 未结清 open), 还款责任金额 responsibility {}, 余额 balance {}, 逾期账户 overdue {}",
            self.accounts,
            self.open_accounts,
            money(self.responsibility_amount),
            money(self.balance),
            self.overdue_accounts
        )
    }
}

fn guarantee_summary(guarantees: &[AccountDetail]) -> Vec<GuaranteeSummary> {
    let mut by_currency: BTreeMap<Currency, GuaranteeSummary> = BTreeMap::new();
    for a in guarantees {
        let g = by_currency.entry(a.currency).or_insert(GuaranteeSummary {
            currency: a.currency,
            accounts: 0,
            open_accounts: 0,
            responsibility_amount: 0,
            balance: 0,
            overdue_accounts: 0,
        });
        g.accounts += 1;
        if a.closed {
            continue;
        }
        g.open_accounts += 1;
        g.responsibility_amount += a.credit_limit;
        g.balance += a.latest.as_ref().map_or(0, |l| l.balance);
        g.overdue_accounts += u32::from(a.latest.as_ref().is_some_and(|l| l.overdue_amount > 0));
    }
    by_currency.into_values().collect()
}

fn empty_type(a: &AccountDetail) -> TypeSummary {
    TypeSummary {
        account_type: a.account_type,
        currency: a.currency,
        accounts: 0,
        open_accounts: 0,
        institutions: 0,
        total_credit_limit: 0,
        balance: 0,
        used_amount: 0,
        used_6m_avg: 0,
        due_6m_avg: 0,
        highest_single_limit: None,
        lowest_single_limit: None,
    }
}

fn empty_overdue(a: &AccountDetail) -> OverdueSummary {
    OverdueSummary {
        account_type: a.account_type,
        currency: a.currency,
        accounts: 0,
        months: 0,
        highest_monthly_overdue: 0,
        longest_overdue_months: 0,
    }
}

fn add_overdue(o: &mut OverdueSummary, a: &AccountDetail) {
    let overdue: Vec<&HistoryEntry> = a.history.iter().filter(|h| h.status.overdue_periods().is_some()).collect();
    if overdue.is_empty() {
        return;
    }
    o.accounts += 1;
    o.months += overdue.len() as u32;
    for h in overdue {
        o.highest_monthly_overdue = o.highest_monthly_overdue.max(h.overdue_amount);
        o.longest_overdue_months = o.longest_overdue_months.max(h.status.overdue_periods().unwrap_or(0));
    }
}

/// The start (unix seconds) of the same day `months` calendar months before `day` (the month's
/// last day when it is shorter).
pub(crate) fn months_before(day: Date, months: u32) -> i64 {
    let m = YearMonth::of(day).plus(-(months as i32));
    m.day(day.day()).midnight().assume_utc().unix_timestamp()
}

fn query_summary(inquiries: &[InquiryRow], as_of: Date) -> QuerySummary {
    let one_month = months_before(as_of, limits::REPORT_RECENT_QUERY_MONTHS);
    let two_years = months_before(as_of, limits::REPORT_QUERY_MONTHS);
    let mut s = QuerySummary::default();
    let (mut loan_orgs, mut card_orgs) = (BTreeSet::new(), BTreeSet::new());
    for q in inquiries.iter().map(|q| &q.inquiry) {
        let day = OffsetDateTime::from_unix_timestamp(q.at).map(|t| t.date()).ok();
        s.last_query_on = s.last_query_on.max(day);
        if q.at >= one_month {
            match q.reason {
                QueryReason::LoanApproval => {
                    s.loan_approval_queries_1m += 1;
                    loan_orgs.insert(q.org_id);
                }
                QueryReason::CardApproval => {
                    s.card_approval_queries_1m += 1;
                    card_orgs.insert(q.org_id);
                }
                QueryReason::SelfQuery => s.self_queries_1m += 1,
                _ => {}
            }
        }
        if q.at >= two_years {
            match q.reason {
                QueryReason::PostLoan => s.post_loan_queries_2y += 1,
                QueryReason::GuarantorCheck => s.guarantor_queries_2y += 1,
                QueryReason::MerchantRealName => s.merchant_queries_2y += 1,
                _ => {}
            }
        }
    }
    s.loan_approval_institutions_1m = loan_orgs.len() as u32;
    s.card_approval_institutions_1m = card_orgs.len() as u32;
    s
}

fn query_records(inquiries: &[InquiryRow], names: &mut Institutions<'_>, as_of: Date) -> Result<Vec<QueryRecord>> {
    let two_years = months_before(as_of, limits::REPORT_QUERY_MONTHS);
    let mut out = Vec::new();
    for (id, q) in inquiries.iter().rev().map(|q| (q.id, &q.inquiry)).filter(|(_, q)| q.at >= two_years) {
        let institution = match q.org_id {
            Some(org) => names.name(org)?,
            None => "本人 / self".to_owned(),
        };
        let on =
            OffsetDateTime::from_unix_timestamp(q.at).map_err(|_| StoreError::Corrupt("inquiry time".into()))?.date();
        out.push(QueryRecord {
            inquiry_ref: crate::rights::inquiry_ref(id),
            disputed: false,
            on,
            institution,
            reason: q.reason,
            hard: q.hard,
        });
    }
    Ok(out)
}

/// A dispute mark on a report item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeMark {
    /// The dispute's id.
    pub dispute_id: i64,
    /// The month, for a month's dispute.
    pub month: Option<YearMonth>,
    /// Type.
    pub dispute_type: DisputeType,
    /// State (open: under dispute now).
    pub state: DisputeState,
    /// Filed on.
    pub filed_on: Date,
    /// Answer due by.
    pub due_on: Date,
}

/// A personal statement shown beside an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementEntry {
    /// The statement's id.
    pub statement_id: i64,
    /// The month, for a month's statement.
    pub month: Option<YearMonth>,
    /// Type.
    pub statement_type: StatementType,
    /// The person's words.
    pub text: String,
    /// Added on.
    pub added_on: Date,
}

/// Disputes and statements of one file as they stood at the report's cut-off, and its flags as
/// they stand when the report is produced (they say what a lender must do now).
struct FileNotes {
    disputes: Vec<(DisputeItem, DisputeMark)>,
    statements: Vec<(AccountId, StatementEntry)>,
    fraud_alert: bool,
    freeze: bool,
}

fn day_of(at: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(at).map_or(Date::MIN, |t| t.date())
}

impl FileNotes {
    fn load(
        r: &dyn Reader,
        keys: &Keys,
        policy: &Policy,
        subject: SubjectId,
        now: OffsetDateTime,
        cutoff: i64,
    ) -> Result<FileNotes> {
        let today = now.date();
        // A dispute's state as it stood on the report's day: a report as of an earlier day does
        // not suppress an item whose deadline had not passed then.
        let as_of = OffsetDateTime::from_unix_timestamp(cutoff).map_or(today, |t| t.date()).min(today);
        let mut disputes = Vec::new();
        for d in r.disputes_of(subject)? {
            let events: Vec<DisputeEventRow> = r.dispute_events(d.id)?.into_iter().filter(|e| e.at <= cutoff).collect();
            if d.dispute.filed_at > cutoff {
                continue;
            }
            let state = crate::rights::effective_state(&events, d.dispute.due_on, as_of, policy);
            let month = match d.dispute.item {
                DisputeItem::Month(_, m) => Some(m),
                _ => None,
            };
            let mark = DisputeMark {
                dispute_id: d.id.0,
                month,
                dispute_type: d.dispute.dispute_type,
                state,
                filed_on: day_of(d.dispute.filed_at),
                due_on: d.dispute.due_on,
            };
            disputes.push((d.dispute.item, mark));
        }
        let mut statements = Vec::new();
        for st in r.statements_of(subject)? {
            if st.added_at > cutoff || st.withdrawn_at.is_some_and(|w| w <= cutoff) {
                continue;
            }
            let entry = StatementEntry {
                statement_id: st.id.0,
                month: st.month,
                statement_type: st.statement_type,
                text: crate::rights::statement_text(keys, &st)?,
                added_on: day_of(st.added_at),
            };
            statements.push((st.account_id, entry));
        }
        let at = now.unix_timestamp();
        let flags = r.flags_of(subject)?;
        let holds = |kind: FlagKind| flags.iter().any(|f| f.kind == kind && f.holds_at(at, today));
        let (fraud_alert, freeze) = (holds(FlagKind::FraudAlert), holds(FlagKind::Freeze));
        Ok(FileNotes { disputes, statements, fraud_alert, freeze })
    }

    fn state(&self, item: &DisputeItem) -> Option<DisputeState> {
        self.disputes.iter().rev().find(|(i, _)| i == item).map(|(_, m)| m.state)
    }

    fn suppressed(&self, item: &DisputeItem) -> bool {
        self.state(item) == Some(DisputeState::Suppressed)
    }

    /// Whether any dispute of the item left it in one of `states`: items a dispute hides by its
    /// state alone (no deleting version is stored for them). Any, not only the latest: a second
    /// dispute on an item deleted by the first must not bring it back (only a certified
    /// reinsertion does, and it ends the first dispute's deletion).
    fn hides(&self, item: &DisputeItem, states: &[DisputeState]) -> bool {
        self.disputes.iter().any(|(i, m)| i == item && states.contains(&m.state))
    }

    /// Whether the item's latest dispute marks it still: open, or unresolved past its deadline.
    fn open(&self, item: &DisputeItem) -> bool {
        self.state(item).is_some_and(standing)
    }

    fn marks(&self, mut keep: impl FnMut(&DisputeItem) -> bool) -> Vec<DisputeMark> {
        self.disputes
            .iter()
            .filter(|(i, m)| keep(i) && m.state != DisputeState::Suppressed)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The account's statements whose item is shown: a month still in its history, negative; the
    /// account, while its history still shows a negative month (a statement stands beside negative
    /// information, and leaves with it once retention removes the last).
    fn statements_for(&self, account: AccountId, history: &[HistoryEntry]) -> Vec<StatementEntry> {
        let negative = |h: &HistoryEntry| h.status.is_negative() || h.overdue_amount > 0;
        let shown = |m: &YearMonth| history.iter().any(|h| h.month == *m && negative(h));
        let any_shown = history.iter().any(negative);
        self.statements
            .iter()
            .filter(|(a, s)| *a == account && s.month.as_ref().map_or(any_shown, shown))
            .map(|(_, s)| s.clone())
            .collect()
    }
}
