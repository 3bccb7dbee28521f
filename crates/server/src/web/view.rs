//! What the templates show: labels in Chinese and English, and the report turned into rows and
//! coloured cells. Templates are in `crates/server/templates/`; askama escapes every value.

use askama::Template;
use ob_bureau::person::{FlagView, QueryLogEntry, StatementView};
use ob_bureau::report::{AccountDetail, DisputeMark, HistoryEntry, Report, StatementEntry};
use ob_bureau::rights::{ConsentView, DisputeView};
use ob_model::{
    AccountType, ConsentScope, Currency, DisputeState, DisputeType, DocumentType, FlagKind, QueryReason,
    RepaymentStatus, Responsibility, StatementType, limits,
};
use time::{Date, OffsetDateTime};

/// A label in both languages.
pub type Label = (&'static str, &'static str);

/// The navigation of a signed-in person's pages.
pub struct Nav {
    /// Which page is open (`home`, `report`, …).
    pub page: &'static str,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
    /// The person's document, masked.
    pub who: String,
}

impl Nav {
    /// The links of the navigation.
    pub fn links(&self) -> &'static [(&'static str, &'static str, &'static str, &'static str)] {
        &NAV
    }
}

/// The links of the navigation: (page, path, zh, en).
pub const NAV: [(&str, &str, &str, &str); 6] = [
    ("home", "/me", "首页", "Home"),
    ("report", "/me/report", "我的信用报告", "My credit report"),
    ("inquiries", "/me/inquiries", "查询记录", "Who looked at my file"),
    ("authorizations", "/me/authorizations", "我的授权", "My authorizations"),
    ("disputes", "/me/disputes", "异议", "Disputes"),
    ("statements", "/me/statements", "本人声明", "Statements"),
];

/// A repayment status: its CSS class and meaning.
pub fn status_class(s: RepaymentStatus) -> &'static str {
    match s {
        RepaymentStatus::Normal => "s-n",
        RepaymentStatus::Overdue1 => "s-1",
        RepaymentStatus::Overdue2 => "s-2",
        RepaymentStatus::Overdue3 => "s-3",
        RepaymentStatus::Overdue4 => "s-4",
        RepaymentStatus::Overdue5 => "s-5",
        RepaymentStatus::Overdue6 => "s-6",
        RepaymentStatus::Overdue7 => "s-7",
        RepaymentStatus::Settled => "s-c",
        RepaymentStatus::EndedOther => "s-g",
        RepaymentStatus::GuarantorPaid => "s-d",
        RepaymentStatus::AssetTransfer => "s-z",
        RepaymentStatus::BadDebt => "s-b",
        RepaymentStatus::Unknown => "s-u",
        RepaymentStatus::NothingDue => "s-x",
        RepaymentStatus::NotOpen => "s-o",
    }
}

/// What a repayment status means (the model's one table, shared with the terminal report).
pub fn status_label(s: RepaymentStatus) -> Label {
    s.title()
}

/// A dispute type.
pub fn dispute_type_label(t: DisputeType) -> Label {
    match t {
        DisputeType::NotMine => ("非本人业务", "not my account"),
        DisputeType::WrongBasicInfo => ("基本信息有误", "wrong basic information"),
        DisputeType::SettledShowsBalance => ("已结清仍显示余额", "settled but shows a balance"),
        DisputeType::AccountClosed => ("账户已销户", "the account is closed"),
        DisputeType::WrongStatus => ("还款状态有误", "wrong repayment status"),
        DisputeType::DenyOverdue => ("否认逾期", "I was not overdue"),
        DisputeType::MissingInfo => ("信息缺失", "information is missing"),
        DisputeType::Duplicated => ("信息重复", "information is duplicated"),
        DisputeType::Fraud => ("被冒用", "fraud: opened or used by someone else"),
        DisputeType::UnauthorizedQuery => ("查询非本人授权", "a query I did not authorize"),
    }
}

/// A dispute's state.
pub fn dispute_state_label(s: DisputeState) -> Label {
    match s {
        DisputeState::Open => ("处理中（已标注）", "open (marked on reports)"),
        DisputeState::Corrected => ("已更正", "corrected"),
        DisputeState::Verified => ("核实无误", "verified as right"),
        DisputeState::Deleted => ("已删除", "deleted"),
        DisputeState::Suppressed => ("逾期未答复，已屏蔽", "no answer in time: hidden from reports"),
        DisputeState::Reinserted => ("经机构核实后恢复", "reinserted: the furnisher certified it"),
        DisputeState::Unresolved => (
            "逾期未答复，经核查仍不能确认，异议已记载并标注",
            "no answer in time: not confirmed; the dispute is recorded and the item marked",
        ),
    }
}

/// A statement type.
pub fn statement_type_label(t: StatementType) -> Label {
    match t {
        StatementType::NotMyBusiness => ("非本人业务", "not my business"),
        StatementType::AnnualFee => ("年费所致", "a card's annual fee"),
        StatementType::LostCard => ("卡片遗失", "the card was lost"),
        StatementType::ThirdPartyLate => ("第三方还款延迟", "a third party paid late"),
        StatementType::SubsidyLate => ("补贴延迟到账", "a subsidy arrived late"),
        StatementType::Other => ("其他", "other"),
    }
}

/// A consent's scope.
pub fn scope_label(s: ConsentScope) -> Label {
    match s {
        ConsentScope::Report => ("报送授权", "may report my accounts"),
        ConsentScope::Inquire => ("查询授权", "may obtain my report"),
    }
}

/// A flag.
pub fn flag_label(k: FlagKind) -> Label {
    match k {
        FlagKind::FraudAlert => ("防欺诈警示", "fraud alert"),
        FlagKind::Freeze => ("冻结（不为新授信提供报告）", "security freeze: no report for new credit"),
    }
}

fn money(c: Currency, minor: i64) -> String {
    format!("{} {}", c.as_str(), c.format_minor(minor))
}

fn day(d: Option<Date>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| d.to_string())
}

/// `2024-06-05 02:00 UTC`.
pub fn time_utc(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).map_or_else(|_| t.date().to_string(), |s| format!("{s} UTC"))
}

/// One coloured cell of a status grid; its text is the code, so it reads without colour.
pub struct Cell {
    /// Status code (empty for a month outside the history).
    pub code: &'static str,
    /// CSS class.
    pub class: &'static str,
    /// Month and meaning, as the cell's title.
    pub title: String,
}

impl Cell {
    fn of(h: &HistoryEntry, currency: Currency) -> Cell {
        let (zh, en) = status_label(h.status);
        let overdue = if h.overdue_amount > 0 {
            format!(", 逾期 overdue {}", money(currency, h.overdue_amount))
        } else {
            String::new()
        };
        Cell {
            code: h.status.as_str(),
            class: status_class(h.status),
            title: format!("{} {} {zh} {en}{overdue}", h.month, h.status),
        }
    }

    fn blank() -> Cell {
        Cell { code: "", class: "s-none", title: String::new() }
    }
}

/// A year of the 60-month history: twelve cells, January to December.
pub struct YearRow {
    /// The year.
    pub year: i32,
    /// The months.
    pub cells: Vec<Cell>,
}

/// The legend of the grids.
pub struct LegendEntry {
    /// Code.
    pub code: &'static str,
    /// CSS class.
    pub class: &'static str,
    /// Meaning.
    pub label: Label,
}

/// Every status in the legend.
pub fn legend() -> Vec<LegendEntry> {
    RepaymentStatus::ALL
        .iter()
        .map(|s| LegendEntry { code: s.as_str(), class: status_class(*s), label: status_label(*s) })
        .collect()
}

/// A dispute mark beside an item.
pub struct MarkView {
    /// Dispute id.
    pub id: i64,
    /// The month, if one.
    pub month: String,
    /// Type.
    pub kind: Label,
    /// State.
    pub state: Label,
    /// Filed on.
    pub filed_on: Date,
    /// Due by.
    pub due_on: Date,
}

fn marks(m: &[DisputeMark]) -> Vec<MarkView> {
    m.iter()
        .map(|d| MarkView {
            id: d.dispute_id,
            month: d.month.map(|m| m.to_string()).unwrap_or_default(),
            kind: dispute_type_label(d.dispute_type),
            state: dispute_state_label(d.state),
            filed_on: d.filed_on,
            due_on: d.due_on,
        })
        .collect()
}

/// A statement beside an item.
pub struct StatementLine {
    /// Id.
    pub id: i64,
    /// The account, as the report names it.
    pub account_ref: String,
    /// The month, if one.
    pub month: String,
    /// Type.
    pub kind: Label,
    /// The person's words.
    pub text: String,
    /// Added on.
    pub added_on: Date,
}

fn statement_line(account_ref: &str, s: &StatementEntry) -> StatementLine {
    StatementLine {
        id: s.statement_id,
        account_ref: account_ref.to_owned(),
        month: s.month.map(|m| m.to_string()).unwrap_or_default(),
        kind: statement_type_label(s.statement_type),
        text: s.text.clone(),
        added_on: s.added_on,
    }
}

/// The latest month of an account.
pub struct LatestView {
    /// Month.
    pub month: String,
    /// Status cell.
    pub status: Cell,
    /// Balance.
    pub balance: String,
    /// Used.
    pub used: String,
    /// Due this month.
    pub due: String,
    /// Paid this month.
    pub paid: String,
    /// Past due.
    pub overdue: String,
    /// Days past due.
    pub days_past_due: u32,
    /// Last payment.
    pub last_payment_on: String,
    /// Closed on.
    pub closed_on: String,
    /// 五级分类, in words ("—" when not reported).
    pub classification: String,
    /// 当前逾期期数, overdue principal by age, instalments left: label, value.
    pub overdue_detail: Vec<(Label, String)>,
}

/// One account.
pub struct AccountView {
    /// Number in the report.
    pub number: u32,
    /// Reference to dispute it or add a statement.
    pub account_ref: String,
    /// The institution (its real name: this is the person's copy).
    pub institution: String,
    /// Type code.
    pub account_type: &'static str,
    /// Opened on.
    pub opened_on: Date,
    /// Limit or loan amount.
    pub credit_limit: String,
    /// Instalments.
    pub periods: String,
    /// The credit line it is drawn under.
    pub credit_line: String,
    /// State (账户状态).
    pub state: Label,
    /// The person's part when not sole borrower: joint loan (共同借款) or guarantor.
    pub responsibility: Option<Label>,
    /// For an open account not reported for months: the last month reported ("—" for none).
    pub stale_since: Option<String>,
    /// For a debt in collection (被追偿): received on, amount, status at transfer, balance, last
    /// repayment — shown instead of the repayment rows and grids.
    pub collection: Option<[String; 5]>,
    /// Latest month.
    pub latest: Option<LatestView>,
    /// Average used, 6 months.
    pub used_6m_avg: String,
    /// Highest used, 6 months.
    pub used_6m_max: String,
    /// First month of the 24-month line.
    pub line_from: String,
    /// Last month of it.
    pub line_to: String,
    /// The 24-month line.
    pub line: Vec<Cell>,
    /// The 60-month history by year.
    pub history: Vec<YearRow>,
    /// Months with an overdue amount.
    pub overdue_amounts: String,
    /// Dispute marks.
    pub disputes: Vec<MarkView>,
    /// Statements.
    pub statements: Vec<StatementLine>,
    /// The contract's terms the lender reported (业务种类, 担保方式, 到期日期, …): label, value.
    pub terms: Vec<(Label, String)>,
    /// Special transactions and events.
    pub specials: Vec<SpecialView>,
}

/// A special transaction or event, as the page shows it.
pub struct SpecialView {
    /// The day.
    pub on: Date,
    /// What happened.
    pub kind: Label,
    /// The amount or the months moved.
    pub detail: String,
    /// Reference to dispute it.
    pub special_ref: String,
    /// Dispute marks.
    pub disputes: Vec<MarkView>,
}

/// The contract's terms of an account, as rows of label and value.
fn terms_rows(a: &AccountDetail) -> Vec<(Label, String)> {
    let both = |(zh, en): Label| format!("{zh} {en}");
    [
        (("业务种类", "Kind of loan"), a.loan_kind.map(|k| both(k.title()))),
        (("担保方式", "Guarantee"), a.guarantee.map(|g| both(g.title()))),
        (("到期日期", "Matures on"), a.maturity_on.map(|d| d.to_string())),
        (("还款频率", "Frequency"), a.frequency.map(|f| both(f.title()))),
        (("还款方式", "Method"), a.repayment_method.map(|m| both(m.title()))),
        (("应还款日", "Due day"), a.due_day.map(|d| d.to_string())),
    ]
    .into_iter()
    .filter_map(|(label, v)| Some((label, v?)))
    .collect()
}

/// The latest month's overdue detail, as rows of label and value.
fn overdue_rows(a: &AccountDetail, l: &ob_bureau::report::LatestMonth) -> Vec<(Label, String)> {
    let by_age = l.overdue_by_age.as_ref();
    let amount = |v: Option<i64>| v.map(|v| money(a.currency, v));
    let age = |f: fn(&ob_bureau::report::OverdueByAge) -> i64| amount(by_age.map(f));
    [
        (("当前逾期期数", "Periods overdue"), (l.overdue_periods > 0).then(|| l.overdue_periods.to_string())),
        (("逾期本金", "Overdue principal"), amount(l.overdue_principal)),
        (("逾期31–60天未还本金", "Overdue 31–60 days"), age(|b| b.days_31_60)),
        (("逾期61–90天未还本金", "Overdue 61–90 days"), age(|b| b.days_61_90)),
        (("逾期91–180天未还本金", "Overdue 91–180 days"), age(|b| b.days_91_180)),
        (("逾期180天以上未还本金", "Overdue over 180 days"), age(|b| b.over_180)),
        (("剩余还款期数", "Instalments left"), l.remaining_periods.map(|n| n.to_string())),
    ]
    .into_iter()
    .filter_map(|(label, v)| Some((label, v?)))
    .collect()
}

fn account_view(a: &AccountDetail) -> AccountView {
    let line: Vec<&HistoryEntry> =
        a.history.iter().rev().take(limits::REPORT_STATUS_LINE_MONTHS as usize).rev().collect();
    let mut history: Vec<YearRow> = Vec::new();
    for h in &a.history {
        if history.last().is_none_or(|y| y.year != h.month.year()) {
            let blanks = (1..h.month.month()).map(|_| Cell::blank()).collect();
            history.push(YearRow { year: h.month.year(), cells: blanks });
        }
        if let Some(y) = history.last_mut() {
            y.cells.push(Cell::of(h, a.currency));
        }
    }
    if let Some(y) = history.last_mut() {
        while y.cells.len() < 12 {
            y.cells.push(Cell::blank());
        }
    }
    let overdue_amounts: Vec<String> = a
        .history
        .iter()
        .filter(|h| h.overdue_amount > 0)
        .map(|h| format!("{} {}", h.month, money(a.currency, h.overdue_amount)))
        .collect();
    AccountView {
        number: a.number,
        account_ref: a.account_ref.clone(),
        institution: a.institution.clone(),
        account_type: a.account_type.as_str(),
        opened_on: a.opened_on,
        credit_limit: money(a.currency, a.credit_limit),
        periods: a.periods.map(|p| p.to_string()).unwrap_or_else(|| "—".into()),
        credit_line: a.credit_line_number.map(|n| format!("[{n}]")).unwrap_or_default(),
        state: a.state.title(),
        collection: a.collection.as_ref().map(|c| {
            [
                c.received_on.to_string(),
                money(a.currency, c.amount),
                c.status_at_transfer.map_or_else(|| "—".to_owned(), |s| s.as_str().to_owned()),
                money(a.currency, c.balance),
                day(c.last_payment_on),
            ]
        }),
        stale_since: a.stale.then(|| a.latest.as_ref().map_or_else(|| "—".to_owned(), |l| l.month.to_string())),
        responsibility: match a.responsibility {
            Responsibility::Individual => None,
            Responsibility::Joint => Some(("共同借款", "joint loan")),
            Responsibility::Guarantor => Some(("担保责任", "as guarantor")),
        },
        latest: a.latest.as_ref().map(|l| LatestView {
            month: l.month.to_string(),
            status: Cell {
                code: l.status.as_str(),
                class: status_class(l.status),
                title: format!("{} {}", status_label(l.status).0, status_label(l.status).1),
            },
            balance: money(a.currency, l.balance),
            used: money(a.currency, l.used_amount),
            due: money(a.currency, l.amount_due),
            paid: money(a.currency, l.amount_paid),
            overdue: money(a.currency, l.overdue_amount),
            days_past_due: l.days_past_due,
            last_payment_on: day(l.last_payment_on),
            closed_on: day(l.closed_on),
            classification: l
                .classification
                .map_or_else(|| "—".to_owned(), |c| format!("{} {} {}", c.as_str(), c.title().0, c.title().1)),
            overdue_detail: overdue_rows(a, l),
        }),
        used_6m_avg: money(a.currency, a.used_6m_avg),
        used_6m_max: money(a.currency, a.used_6m_max),
        line_from: line.first().map(|h| h.month.to_string()).unwrap_or_default(),
        line_to: line.last().map(|h| h.month.to_string()).unwrap_or_default(),
        line: line.into_iter().map(|h| Cell::of(h, a.currency)).collect(),
        history,
        overdue_amounts: overdue_amounts.join(", "),
        disputes: marks(&a.disputes),
        statements: a.statements.iter().map(|s| statement_line(&a.account_ref, s)).collect(),
        terms: terms_rows(a),
        specials: a
            .specials
            .iter()
            .map(|x| {
                let amount = x.amount.map(|v| money(a.currency, v));
                let moved = x.months_changed.map(|m| format!("{m} 个月 months"));
                SpecialView {
                    on: x.on,
                    kind: x.kind.title(),
                    detail: amount.or(moved).unwrap_or_default(),
                    special_ref: x.special_ref.clone(),
                    disputes: marks(&x.disputes),
                }
            })
            .collect(),
    }
}

/// One credit agreement, as the page shows it.
pub struct AgreementRowView {
    /// The lender.
    pub institution: String,
    /// Kind of limit.
    pub kind: Label,
    /// The limit.
    pub limit: String,
    /// Used under it.
    pub used: String,
    /// In force from.
    pub effective_on: Date,
    /// Until ("—" when open-ended).
    pub until: String,
    /// In force or ended.
    pub state: Label,
    /// The accounts drawn under it, as report numbers.
    pub accounts: String,
    /// Reference to dispute it.
    pub agreement_ref: String,
    /// Dispute marks.
    pub disputes: Vec<MarkView>,
}

/// The accounts of one type.
pub struct GroupView {
    /// Title.
    pub title: Label,
    /// Accounts.
    pub accounts: Vec<AccountView>,
}

/// A row of the summary by type.
pub struct TypeRow {
    /// Type code and title.
    pub account_type: &'static str,
    /// Title.
    pub title: Label,
    /// Accounts.
    pub accounts: u32,
    /// Open.
    pub open_accounts: u32,
    /// Institutions.
    pub institutions: u32,
    /// Limit.
    pub limit: String,
    /// Balance.
    pub balance: String,
    /// Used.
    pub used: String,
    /// Average used.
    pub used_6m_avg: String,
    /// Average due.
    pub due_6m_avg: String,
    /// For cards: the highest and lowest single limits ("—" for other types).
    pub single_limits: String,
}

/// A row of the overdue summary.
pub struct OverdueRow {
    /// Type.
    pub title: Label,
    /// Accounts.
    pub accounts: u32,
    /// Months.
    pub months: u32,
    /// Highest in a month.
    pub highest: String,
    /// Longest, in months.
    pub longest: u8,
}

/// A query record of the report.
pub struct QueryRow {
    /// Date.
    pub on: Date,
    /// Institution.
    pub institution: String,
    /// Reason.
    pub reason: Label,
    /// Hard.
    pub hard: bool,
    /// Reference.
    pub inquiry_ref: String,
    /// Disputed.
    pub disputed: bool,
}

/// A flag in force.
pub struct FlagLine {
    /// What.
    pub label: Label,
    /// Placed on.
    pub placed_on: Date,
    /// Until.
    pub expires_on: String,
}

/// Flags as shown.
pub fn flag_lines(flags: &[FlagView]) -> Vec<FlagLine> {
    flags
        .iter()
        .map(|f| FlagLine { label: flag_label(f.kind), placed_on: f.placed_on, expires_on: day(f.expires_on) })
        .collect()
}

/// The score, its percentile and its reasons; or why there is none.
pub struct ScoreView {
    /// Score; none for an insufficient file.
    pub score: Option<i32>,
    /// Percentile.
    pub percentile: Option<u8>,
    /// The lowest score the model gives.
    pub score_min: i32,
    /// The highest.
    pub score_max: i32,
    /// Why there is no score: (zh, en).
    pub not_scored: Option<(String, String)>,
    /// Model version.
    pub model_version: u32,
    /// Reasons: (zh, en).
    pub reasons: Vec<(String, String)>,
}

/// Which self-view of the year this one is.
pub struct SelfViewLine {
    /// 1 for the year's first.
    pub number: u32,
    /// Free ones a year.
    pub free_max: u8,
    /// Whether this one is free.
    pub free: bool,
}

/// `/me/report`.
#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportPage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// Report number.
    pub report_id: String,
    /// Produced at.
    pub produced_at: String,
    /// As of.
    pub as_of: Date,
    /// This look.
    pub self_view: Option<SelfViewLine>,
    /// Fraud alert.
    pub fraud_alert: bool,
    /// Security freeze.
    pub freeze: bool,
    /// Open dispute marks.
    pub dispute_marks: u32,
    /// Name.
    pub name: String,
    /// Birth date.
    pub birth_date: Date,
    /// Gender.
    pub gender: Option<Label>,
    /// Documents: (title, masked number).
    pub documents: Vec<(Label, String)>,
    /// Identity disputes.
    pub identity_disputes: Vec<MarkView>,
    /// Score.
    pub score: Option<ScoreView>,
    /// 信贷交易信息提示: (type, accounts, first month).
    pub hints: Vec<(Label, u32, String)>,
    /// Summary by type.
    pub by_type: Vec<TypeRow>,
    /// Overdue summary.
    pub overdue: Vec<OverdueRow>,
    /// 相关还款责任概要: one line a currency.
    pub guarantees: Vec<String>,
    /// 被追偿信息汇总 and 呆账信息汇总: (label, line) a currency.
    pub collections_and_bad_debts: Vec<(Label, String)>,
    /// Query summary: (label, count) rows.
    pub query_summary: Vec<(Label, u32)>,
    /// Last query.
    pub last_query_on: String,
    /// Accounts by type.
    pub groups: Vec<GroupView>,
    /// 授信协议信息: lender, kind, limit, used, in force from, until, state, accounts drawn.
    pub agreements: Vec<AgreementRowView>,
    /// Legend of the grids.
    pub legend: Vec<LegendEntry>,
    /// Query records.
    pub queries: Vec<QueryRow>,
    /// Statements on the report.
    pub statements: Vec<StatementLine>,
    /// Every dispute of the person.
    pub disputes: Vec<DisputeLine>,
    /// Flags in force.
    pub flags: Vec<FlagLine>,
}

impl ReportPage {
    /// The page of a person's report; without `nav`, the printable page (the PDF's).
    pub fn new(nav: Option<Nav>, r: &Report, free_max: u8, disputes: &[DisputeView], flags: &[FlagView]) -> ReportPage {
        let h = &r.header;
        let self_view =
            h.free_self_view.zip(h.self_view_number).map(|(free, number)| SelfViewLine { number, free_max, free });
        let s = &r.summary;
        let q = &s.queries;
        ReportPage {
            nav,
            report_id: h.report_id.clone(),
            produced_at: h.produced_at.clone(),
            as_of: h.as_of,
            self_view,
            fraud_alert: h.fraud_alert,
            freeze: h.freeze,
            dispute_marks: h.dispute_marks,
            name: r.identity.name.clone(),
            birth_date: r.identity.birth_date,
            gender: r.identity.gender.map(|g| if g == "male" { ("男", "male") } else { ("女", "female") }),
            documents: r
                .identity
                .documents
                .iter()
                .map(|d| (d.document_type.title(), d.number_masked.clone()))
                .collect(),
            identity_disputes: marks(&r.identity.disputes),
            score: r.score.as_ref().map(|sc| ScoreView {
                score: sc.score,
                percentile: sc.percentile,
                score_min: sc.score_min,
                score_max: sc.score_max,
                not_scored: sc.not_scored.as_ref().map(|w| (w.zh.clone(), w.en.clone())),
                model_version: sc.model_version,
                reasons: sc.reasons.iter().map(|x| (x.zh.clone(), x.en.clone())).collect(),
            }),
            by_type: s
                .by_type
                .iter()
                .map(|t| TypeRow {
                    account_type: t.account_type.as_str(),
                    title: (t.account_type.title_zh(), t.account_type.title_en()),
                    accounts: t.accounts,
                    open_accounts: t.open_accounts,
                    institutions: t.institutions,
                    limit: money(t.currency, t.total_credit_limit),
                    balance: money(t.currency, t.balance),
                    used: money(t.currency, t.used_amount),
                    used_6m_avg: money(t.currency, t.used_6m_avg),
                    due_6m_avg: money(t.currency, t.due_6m_avg),
                    single_limits: match (t.account_type, t.highest_single_limit, t.lowest_single_limit) {
                        (AccountType::R2 | AccountType::R3, Some(h), Some(l)) => {
                            format!("{} / {}", money(t.currency, h), money(t.currency, l))
                        }
                        _ => "—".to_owned(),
                    },
                })
                .collect(),
            hints: s
                .hints
                .iter()
                .map(|h| {
                    let title = (h.account_type.title_zh(), h.account_type.title_en());
                    (title, h.accounts, h.first_month.to_string())
                })
                .collect(),
            overdue: s
                .overdue
                .iter()
                .map(|o| OverdueRow {
                    title: (o.account_type.title_zh(), o.account_type.title_en()),
                    accounts: o.accounts,
                    months: o.months,
                    highest: money(o.currency, o.highest_monthly_overdue),
                    longest: o.longest_overdue_months,
                })
                .collect(),
            guarantees: s.guarantees.iter().map(|g| g.line()).collect(),
            collections_and_bad_debts: s
                .collections
                .iter()
                .map(|c| (("被追偿信息汇总", "in collection"), c.line()))
                .chain(s.bad_debts.iter().map(|b| (("呆账信息汇总", "bad debts"), b.line())))
                .collect(),
            query_summary: vec![
                (
                    ("最近1个月贷款审批查询机构数", "loan approval, last month: institutions"),
                    q.loan_approval_institutions_1m,
                ),
                (("最近1个月贷款审批查询次数", "loan approval, last month: queries"), q.loan_approval_queries_1m),
                (
                    ("最近1个月信用卡审批查询机构数", "card approval, last month: institutions"),
                    q.card_approval_institutions_1m,
                ),
                (("最近1个月信用卡审批查询次数", "card approval, last month: queries"), q.card_approval_queries_1m),
                (("最近1个月本人查询次数", "self-queries, last month"), q.self_queries_1m),
                (("最近2年贷后管理查询次数", "post-loan management, last 2 years"), q.post_loan_queries_2y),
                (("最近2年担保资格审查查询次数", "guarantor checks, last 2 years"), q.guarantor_queries_2y),
                (("最近2年特约商户实名审查查询次数", "merchant real-name checks, last 2 years"), q.merchant_queries_2y),
            ],
            last_query_on: day(q.last_query_on),
            groups: r
                .account_groups
                .iter()
                .map(|g| GroupView {
                    title: (g.title_zh, g.title_en),
                    // An instalment plan follows its line, marked as under it.
                    accounts: g
                        .accounts
                        .iter()
                        .flat_map(|a| std::iter::once(a).chain(&a.sub_accounts))
                        .map(account_view)
                        .collect(),
                })
                .chain((!r.guarantees.is_empty()).then(|| GroupView {
                    title: (
                        "相关还款责任信息（不计入本人负债）",
                        "accounts of others you guarantee (not your own debt)",
                    ),
                    accounts: r.guarantees.iter().map(account_view).collect(),
                }))
                .collect(),
            agreements: r
                .agreements
                .iter()
                .map(|a| AgreementRowView {
                    institution: a.institution.clone(),
                    kind: a.kind.title(),
                    limit: money(a.currency, a.credit_limit),
                    used: money(a.currency, a.used_amount),
                    effective_on: a.effective_on,
                    until: day(a.expires_on),
                    state: if a.ended { ("已结束", "ended") } else { ("有效", "in force") },
                    accounts: a.accounts.iter().map(|n| format!("[{n}]")).collect::<Vec<_>>().join(" "),
                    agreement_ref: a.agreement_ref.clone(),
                    disputes: marks(&a.disputes),
                })
                .collect(),
            legend: legend(),
            queries: r
                .queries
                .iter()
                .map(|x| QueryRow {
                    on: x.on,
                    institution: x.institution.clone(),
                    reason: x.reason.title(),
                    hard: x.hard,
                    inquiry_ref: x.inquiry_ref.clone(),
                    disputed: x.disputed,
                })
                .collect(),
            statements: r
                .own_accounts()
                .chain(&r.guarantees)
                .flat_map(|a| a.statements.iter().map(|s| statement_line(&a.account_ref, s)))
                .collect(),
            disputes: disputes.iter().map(dispute_line).collect(),
            flags: flag_lines(flags),
        }
    }
}

/// A dispute in a list.
pub struct DisputeLine {
    /// Id.
    pub id: i64,
    /// What is disputed, e.g. `A12 2024-03`, `Q7`, `identity`.
    pub item: String,
    /// Type.
    pub kind: Label,
    /// State now.
    pub state: Label,
    /// Filed on.
    pub filed_on: Date,
    /// Due by.
    pub due_on: Date,
    /// Steps: (day, state, note).
    pub steps: Vec<(Date, Label, String)>,
    /// Notices sent at the person's request to those who had the item (FCRA §611(d)).
    pub notices: Vec<NoticeLine>,
}

/// A notice sent at the person's request, as listed under its dispute.
pub struct NoticeLine {
    /// The organization told.
    pub organization: String,
    /// Its report, as the person's report names the inquiry (`Q7`).
    pub inquiry_ref: String,
    /// The day it had the report.
    pub inquired_on: Date,
    /// What it was told.
    pub state: Label,
    /// The day it was told.
    pub noticed_on: Date,
}

impl NoticeLine {
    /// A notice as listed.
    pub fn of(n: &ob_bureau::recipients::RecipientNotice) -> NoticeLine {
        NoticeLine {
            organization: n.organization.clone(),
            inquiry_ref: n.inquiry_ref.clone(),
            inquired_on: n.inquired_on,
            state: dispute_state_label(n.state),
            noticed_on: n.noticed_on,
        }
    }
}

/// A dispute as listed.
pub fn dispute_line(d: &DisputeView) -> DisputeLine {
    let item = match (d.item, &d.account_ref, d.month, &d.inquiry_ref) {
        ("special", ..) => d.special_ref.clone().unwrap_or_default(),
        ("agreement", ..) => d.agreement_ref.clone().unwrap_or_default(),
        (_, Some(a), Some(m), _) => format!("{a} {m}"),
        (_, Some(a), None, _) => a.clone(),
        (_, None, _, Some(q)) => q.clone(),
        _ => "身份信息 identity".to_owned(),
    };
    DisputeLine {
        id: d.id,
        item,
        kind: dispute_type_label(d.dispute_type),
        state: dispute_state_label(d.state),
        filed_on: d.filed_on,
        due_on: d.due_on,
        steps: d
            .history
            .iter()
            .map(|(day, s, note)| (*day, dispute_state_label(*s), note.clone().unwrap_or_default()))
            .collect(),
        notices: Vec::new(),
    }
}

/// `/`: the sign-in form.
#[derive(Template)]
#[template(path = "signin.html")]
pub struct SignInPage {
    /// Never set: no one is signed in here.
    pub nav: Option<Nav>,
    /// Document types: (value, title).
    pub doc_types: Vec<(&'static str, Label)>,
    /// The failure, after a failed attempt.
    pub failed: bool,
}

impl SignInPage {
    /// The form, after a failure or not.
    pub fn new(failed: bool) -> SignInPage {
        let doc_types = DocumentType::ALL.iter().map(|t| (t.as_str(), t.title())).collect();
        SignInPage { nav: None, doc_types, failed }
    }
}

/// `/me`: the signed-in person's start page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// The year.
    pub year: i32,
    /// Self-views this year so far.
    pub self_views: u32,
    /// Free ones a year.
    pub free_max: u8,
    /// Free ones left this year.
    pub free_left: u32,
    /// Looks at the file by organizations, ever.
    pub org_looks: usize,
    /// Flags in force.
    pub flags: Vec<FlagLine>,
    /// What the file holds and never holds, in plain words: sections of (zh, en) sentences.
    pub explained: Vec<ExplainedSection>,
}

/// A section of the explanation: its title and sentences, each (zh, en).
pub struct ExplainedSection {
    /// Anchor id.
    pub id: &'static str,
    /// Title.
    pub title: Label,
    /// Sentences.
    pub lines: Vec<(String, String)>,
}

/// The explanation's sections for a page.
pub fn explained(e: &ob_bureau::explain::Explanation) -> Vec<ExplainedSection> {
    const IDS: [&str; 6] = ["reporters", "never", "looks", "symbols", "late", "rights"];
    e.sentences().into_iter().zip(IDS).map(|((title, lines), id)| ExplainedSection { id, title, lines }).collect()
}

/// A line of the query log.
pub struct LogLine {
    /// When.
    pub at: String,
    /// Who: an organization, or the person.
    pub who: String,
    /// Whether the person themselves.
    pub own: bool,
    /// Why.
    pub reason: Label,
    /// Hard inquiry.
    pub hard: bool,
    /// For a self-view: its number in the year and whether free.
    pub self_view: Option<(u32, bool)>,
    /// Dispute state.
    pub dispute: Option<Label>,
    /// Reference.
    pub inquiry_ref: String,
}

/// `/me/inquiries`.
#[derive(Template)]
#[template(path = "inquiries.html")]
pub struct InquiriesPage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// Free self-views a year.
    pub free_max: u8,
    /// Every look, newest first.
    pub lines: Vec<LogLine>,
}

impl InquiriesPage {
    /// The page.
    pub fn new(nav: Nav, free_max: u8, log: &[QueryLogEntry]) -> InquiriesPage {
        let lines = log
            .iter()
            .map(|e| LogLine {
                at: time_utc(e.at),
                own: e.institution.is_none(),
                who: e.institution.clone().unwrap_or_else(|| "本人 / yourself".to_owned()),
                reason: e.reason.title(),
                hard: e.hard,
                self_view: e.self_view.map(|s| (s.number, s.free)),
                dispute: e.dispute.map(dispute_state_label),
                inquiry_ref: e.inquiry_ref.clone(),
            })
            .collect();
        InquiriesPage { nav: Some(nav), free_max, lines }
    }
}

/// A consent as listed.
pub struct ConsentLine {
    /// Reference.
    pub consent_ref: String,
    /// Organization.
    pub organization: String,
    /// Scope.
    pub scope: Label,
    /// Purpose.
    pub purpose: Option<Label>,
    /// Granted.
    pub granted_on: Date,
    /// Expires.
    pub expires_on: Date,
    /// Revoked on.
    pub revoked_on: Option<Date>,
    /// Past its last day.
    pub expired: bool,
}

/// `/me/authorizations`.
#[derive(Template)]
#[template(path = "authorizations.html")]
pub struct AuthorizationsPage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// A message after an action.
    pub done: Option<Label>,
    /// Consents.
    pub consents: Vec<ConsentLine>,
}

impl AuthorizationsPage {
    /// The page.
    pub fn new(nav: Nav, done: Option<Label>, consents: &[ConsentView], today: Date) -> AuthorizationsPage {
        let consents = consents
            .iter()
            .map(|c| ConsentLine {
                consent_ref: c.consent_ref.clone(),
                organization: c.organization.clone(),
                scope: scope_label(c.scope),
                purpose: c.purpose.map(QueryReason::title),
                granted_on: c.granted_on,
                expires_on: c.expires_on,
                revoked_on: c.revoked_on,
                expired: c.expires_on < today,
            })
            .collect();
        AuthorizationsPage { nav: Some(nav), done, consents }
    }
}

/// `/me/disputes`.
#[derive(Template)]
#[template(path = "disputes.html")]
pub struct DisputesPage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// A message after an action.
    pub done: Option<Label>,
    /// Prefilled item kind: `account`, `inquiry`, `identity`, `special` or `agreement`.
    pub item: &'static str,
    /// Prefilled reference.
    pub reference: String,
    /// Prefilled month.
    pub month: String,
    /// Dispute types: (value, label).
    pub types: Vec<(&'static str, Label)>,
    /// The person's disputes.
    pub disputes: Vec<DisputeLine>,
}

/// `/me/statements`.
#[derive(Template)]
#[template(path = "statements.html")]
pub struct StatementsPage {
    /// Navigation.
    pub nav: Option<Nav>,
    /// A message after an action.
    pub done: Option<Label>,
    /// Prefilled account.
    pub account: String,
    /// Prefilled month.
    pub month: String,
    /// Statement types: (value, label).
    pub types: Vec<(&'static str, Label)>,
    /// Most words.
    pub words_max: u16,
    /// Most characters.
    pub chars_max: u16,
    /// The person's statements, withdrawn ones too.
    pub statements: Vec<(StatementLine, Option<Date>)>,
}

/// The statements as listed.
pub fn statement_lines(list: &[StatementView]) -> Vec<(StatementLine, Option<Date>)> {
    list.iter()
        .map(|s| {
            let line = StatementLine {
                id: s.id,
                account_ref: s.account_ref.clone(),
                month: s.month.map(|m| m.to_string()).unwrap_or_default(),
                kind: statement_type_label(s.statement_type),
                text: s.text.clone(),
                added_on: s.added_on,
            };
            (line, s.withdrawn_on)
        })
        .collect()
}

/// Dispute types for the form.
pub fn dispute_types() -> Vec<(&'static str, Label)> {
    DisputeType::ALL.iter().map(|t| (t.as_str(), dispute_type_label(*t))).collect()
}

/// Statement types for the form.
pub fn statement_types() -> Vec<(&'static str, Label)> {
    StatementType::ALL.iter().map(|t| (t.as_str(), statement_type_label(*t))).collect()
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// Never set: the error page has no navigation.
    pub nav: Option<Nav>,
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: &'a str,
    /// In Chinese.
    pub zh: &'a str,
    /// In English.
    pub en: &'a str,
}
