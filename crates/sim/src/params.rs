//! Every number that shapes the simulated products and people, in one place, each with the reason
//! for its value. Money is in integer fen (1 yuan = 100 fen); rates are in basis points (1/10,000);
//! shares of a population are in percent, rare events in parts per million.

use ob_model::{AccountType, NoticeChannel, RepaymentStatus};

/// How a lender ends an account it has given up on (see docs/simulator.md, "Charge-off").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeOff {
    /// Written off and sold to the collector: the account ends with `G` (ended otherwise: write-off,
    /// transfer) at a zero balance, and the collector opens a `C1` account for the debt.
    Transfer,
    /// Kept as bad debt: the card's last month is `B` (呆账, cards) with the balance still owed;
    /// nothing is sold, nothing more is reported.
    BadDebt,
    /// The home is taken and sold: the mortgage's last month is `Z` (以资抵债, repaid by transfer of
    /// assets) at a zero balance.
    Foreclosure,
}

impl ChargeOff {
    /// The status of the account's last month.
    pub fn status(self) -> RepaymentStatus {
        match self {
            ChargeOff::Transfer => RepaymentStatus::EndedOther,
            ChargeOff::BadDebt => RepaymentStatus::BadDebt,
            ChargeOff::Foreclosure => RepaymentStatus::AssetTransfer,
        }
    }
}

/// A revolving product (the Huabei-like line or the credit card).
#[derive(Clone, Copy, Debug)]
pub struct RevolvingParams {
    /// Furnisher code, as in file headers and directory names.
    pub code: &'static str,
    /// Furnisher display name.
    pub name: &'static str,
    /// Prefix of account keys and consent references.
    pub key_prefix: &'static str,
    /// PBOC account type reported.
    pub account_type: AccountType,
    /// Due days (of the month after the statement) an account may have, drawn uniformly.
    pub due_days: &'static [u8],
    /// Opening limit as a percentage of the holder's monthly income (low, high).
    pub limit_income_percent: (i64, i64),
    /// Lowest limit, fen.
    pub limit_min_fen: i64,
    /// Highest limit, fen.
    pub limit_max_fen: i64,
    /// Limits are whole multiples of this, fen.
    pub limit_step_fen: i64,
    /// Raises never take the limit above this percentage of monthly income.
    pub limit_cap_income_percent: i64,
    /// Percentage of people offered the product.
    pub holder_percent: u32,
    /// Months over which reporting reaches all existing users (0: reported from the start).
    pub rollout_months: u32,
    /// What the lender does after [`CHARGE_OFF_DAYS`].
    pub charge_off: ChargeOff,
    /// How the lender notifies before negative reporting.
    pub notice_channel: NoticeChannel,
}

/// An amortizing instalment loan.
#[derive(Clone, Copy, Debug)]
pub struct LoanParams {
    /// Furnisher code.
    pub code: &'static str,
    /// Furnisher display name.
    pub name: &'static str,
    /// Prefix of account keys and consent references.
    pub key_prefix: &'static str,
    /// Nominal annual interest rate in basis points; monthly interest is 1/12 of it.
    pub annual_rate_bp: u32,
    /// Terms offered, in monthly periods, with relative weights.
    pub periods: &'static [(u16, u32)],
    /// Principal as a percentage of monthly income (low, high).
    pub principal_income_percent: (i64, i64),
    /// Smallest principal, fen.
    pub principal_min_fen: i64,
    /// Largest principal, fen.
    pub principal_max_fen: i64,
    /// Principals are whole multiples of this, fen.
    pub principal_step_fen: i64,
    /// Percentage of eligible people who hold the product.
    pub holder_percent: u32,
    /// Lowest monthly income of an eligible person, fen.
    pub min_income_fen: i64,
    /// Youngest age at opening, years.
    pub min_age_years: i32,
    /// Longest time before the window an account may have been opened, months.
    pub opened_before_window_months_max: i32,
    /// What the loan is for (业务种类): a mortgage is not a consumer loan.
    pub loan_kind: ob_model::LoanKind,
    /// How it is secured (担保方式).
    pub guarantee: ob_model::GuaranteeMode,
    /// What the lender does after [`CHARGE_OFF_DAYS`].
    pub charge_off: ChargeOff,
    /// How the lender notifies before negative reporting.
    pub notice_channel: NoticeChannel,
}

/// The debt collector that buys charged-off debts.
#[derive(Clone, Copy, Debug)]
pub struct CollectorParams {
    /// Furnisher code.
    pub code: &'static str,
    /// Furnisher display name.
    pub name: &'static str,
    /// Prefix of account keys and consent references.
    pub key_prefix: &'static str,
    /// How the collector notifies before its first report.
    pub notice_channel: NoticeChannel,
}

/// The Huabei-like line. Due on the 8th, 9th or 10th (the product is described as due on the
/// 8th–10th); limits from 500 to 50,000 yuan (a few hundred to tens of thousands), set from income;
/// everyone is offered it: it is the simulator's anchor product. Reporting to the bureau reaches
/// existing users gradually over 12 months, as the 2021 announcement said it would; debts written
/// off are sold to the collector (the line is a revolving loan, R1, so G: "transfer").
pub const HUABEI: RevolvingParams = RevolvingParams {
    code: "HUABEI",
    name: "花呗 (模拟) Huabei-like line",
    key_prefix: "HB",
    account_type: AccountType::R1,
    due_days: &[8, 9, 10],
    limit_income_percent: (20, 200),
    limit_min_fen: 50_000,
    limit_max_fen: 5_000_000,
    limit_step_fen: 10_000,
    limit_cap_income_percent: 300,
    holder_percent: 100,
    rollout_months: 12,
    charge_off: ChargeOff::Transfer,
    notice_channel: NoticeChannel::App,
};

/// The bank credit card. Due on the 20th (a typical card grace period after a month-end
/// statement); limits from 5,000 to 100,000 yuan, one to four months of income, because banks
/// underwrite on income. About half of the people hold one. Banks have always reported (no
/// rollout). Written-off cards stay with the bank as bad debt (B, the pboc.md symbol for cards).
pub const ZSBANK: RevolvingParams = RevolvingParams {
    code: "ZSBANK",
    name: "ZS 银行信用卡 (模拟) bank credit card",
    key_prefix: "ZS",
    account_type: AccountType::R2,
    due_days: &[20],
    limit_income_percent: (100, 400),
    limit_min_fen: 500_000,
    limit_max_fen: 10_000_000,
    limit_step_fen: 100_000,
    limit_cap_income_percent: 600,
    holder_percent: 45,
    rollout_months: 0,
    charge_off: ChargeOff::BadDebt,
    notice_channel: NoticeChannel::Sms,
};

/// The consumer-finance loan. 18% a year: consumer-finance pricing sits below the 24% that
/// courts protect; terms of 12, 24 or 36 months; one to eight months of income, 3,000 to 100,000
/// yuan. Written-off loans are sold to the collector (G).
pub const XFLOAN: LoanParams = LoanParams {
    code: "XFLOAN",
    name: "XF 消费金融 (模拟) consumer-finance loan",
    key_prefix: "XF",
    annual_rate_bp: 1_800,
    periods: &[(12, 45), (24, 35), (36, 20)],
    principal_income_percent: (100, 800),
    principal_min_fen: 300_000,
    principal_max_fen: 10_000_000,
    principal_step_fen: 100_000,
    holder_percent: 30,
    min_income_fen: 0,
    min_age_years: ADULT_AGE_YEARS,
    opened_before_window_months_max: 35,
    loan_kind: ob_model::LoanKind::OtherConsumer,
    guarantee: ob_model::GuaranteeMode::Credit,
    charge_off: ChargeOff::Transfer,
    notice_channel: NoticeChannel::Sms,
};

/// The mortgage. 3.9% a year (about the five-year loan prime rate of 2024); 20, 25 or 30 years;
/// 60 to 150 months of income, 200,000 to 5 million yuan; only people earning 8,000 yuan a month
/// or more and aged 25 or more, of whom about a third hold one. Banks take the home after a long
/// default (Z, repaid by transfer of assets) rather than selling the debt.
pub const JSBANK: LoanParams = LoanParams {
    code: "JSBANK",
    name: "JS 银行住房贷款 (模拟) mortgage bank",
    key_prefix: "JS",
    annual_rate_bp: 390,
    periods: &[(240, 20), (300, 30), (360, 50)],
    principal_income_percent: (6_000, 15_000),
    principal_min_fen: 20_000_000,
    principal_max_fen: 500_000_000,
    principal_step_fen: 1_000_000,
    holder_percent: 35,
    min_income_fen: 800_000,
    min_age_years: 25,
    opened_before_window_months_max: 60,
    loan_kind: ob_model::LoanKind::Housing,
    guarantee: ob_model::GuaranteeMode::Mortgage,
    charge_off: ChargeOff::Foreclosure,
    notice_channel: NoticeChannel::Letter,
};

/// The collector (an asset-management company buying written-off consumer debt). It reports the
/// debts it bought as C1 (被追偿) accounts, after filing its own consent record for the person.
pub const HXAMC: CollectorParams = CollectorParams {
    code: "HXAMC",
    name: "HX 资产管理 (模拟) debt collector",
    key_prefix: "HX",
    notice_channel: NoticeChannel::Letter,
};

/// Monthly income bands: (low, high) in fen, relative weight, job-loss hazard per month in basis
/// points, and months of savings that cover payments after a job loss. Lower incomes are more
/// common, lose jobs more often and have less saved: the hidden variable behind limits and trouble.
pub const INCOME_BANDS: &[IncomeBand] = &[
    IncomeBand { low_fen: 200_000, high_fen: 400_000, weight: 25, job_loss_bp: 80, savings_months: 0 },
    IncomeBand { low_fen: 400_000, high_fen: 700_000, weight: 30, job_loss_bp: 60, savings_months: 1 },
    IncomeBand { low_fen: 700_000, high_fen: 1_200_000, weight: 25, job_loss_bp: 40, savings_months: 1 },
    IncomeBand { low_fen: 1_200_000, high_fen: 2_500_000, weight: 15, job_loss_bp: 30, savings_months: 2 },
    IncomeBand { low_fen: 2_500_000, high_fen: 6_000_000, weight: 5, job_loss_bp: 20, savings_months: 3 },
];

/// One band of monthly income.
#[derive(Clone, Copy, Debug)]
pub struct IncomeBand {
    /// Lowest income in the band, fen (inclusive).
    pub low_fen: i64,
    /// Highest income in the band, fen (exclusive).
    pub high_fen: i64,
    /// Relative weight of the band in the population.
    pub weight: u32,
    /// Probability of losing one's job in a given month, basis points.
    pub job_loss_bp: u32,
    /// Months of payments savings cover after a job loss.
    pub savings_months: i32,
}

/// The band of a monthly income (the last band for incomes above every band).
pub fn income_band(income_fen: i64) -> &'static IncomeBand {
    INCOME_BANDS.iter().find(|b| income_fen < b.high_fen).unwrap_or(&INCOME_BANDS[INCOME_BANDS.len() - 1])
}

/// Months out of work after a job loss (low, high), drawn uniformly: most find work within a year.
pub const JOB_LOSS_SPELL_MONTHS: (i32, i32) = (2, 12);

/// Basis points of a job loss in band `band` that stop payments: the spell must outlast savings.
/// With [`JOB_LOSS_SPELL_MONTHS`] uniform, this is `hazard × P(spell > savings)`; it is the monthly
/// rate of new delinquencies caused by job losses the distribution tests check.
pub fn job_loss_delinquency_bp(band: &IncomeBand) -> f64 {
    let (low, high) = JOB_LOSS_SPELL_MONTHS;
    let spells = f64::from(high - low + 1);
    let longer = f64::from((high - band.savings_months.max(low - 1)).max(0));
    f64::from(band.job_loss_bp) * longer / spells
}

/// Latest due day a loan may have. Due dates must fall before the month's settlement date (the
/// last day, at least the 28th) so an unpaid instalment is already past due when reported.
pub const LOAN_DUE_DAY_MAX: u8 = 25;

/// Revolving interest per day, in basis points: 0.05% a day (日息万分之五, about 18.25% a year)
/// is what Huabei and Chinese cards charge on revolving and late amounts; instalment plans charge
/// it as a late fee on overdue instalments.
pub const DAILY_INTEREST_BP: i64 = 5;

/// Minimum payment, as a percentage of the bill: the Huabei and card convention is 10%.
pub const MIN_PAYMENT_PERCENT: i64 = 10;

/// Past this many days overdue, interest and late fees stop accruing (non-accrual, as lenders do
/// for non-performing accounts); it keeps balances of long-delinquent accounts bounded.
pub const NON_ACCRUAL_DAYS: u32 = 180;

/// At a settlement date past this many days overdue, the lender charges the account off: one
/// month after status 7 (over 180 days) begins, so reports show a 7 before the ending.
pub const CHARGE_OFF_DAYS: u32 = 210;

/// Instalment plans of the line: (months, fee in basis points of the principal, weight). The fees
/// are those quoted for Huabei: 2.5%, 4.5%, 6.5% and 8.8%; shorter plans are more common.
pub const PLAN_TERMS: &[(u16, i64, u32)] = &[(3, 250, 40), (6, 450, 30), (9, 650, 15), (12, 880, 15)];

/// Percentage of months in which a current line holder puts a purchase on an instalment plan.
pub const PLAN_MONTHLY_PERCENT: u32 = 4;

/// A plan's principal as basis points of the line's limit (low, high): a large purchase.
pub const PLAN_PRINCIPAL_LIMIT_BP: (i64, i64) = (1_000, 4_000);

/// Smallest plan principal, fen: 100 yuan.
pub const PLAN_MIN_FEN: i64 = 10_000;

/// Most plans a line has open at once, so the limit is not all in instalments.
pub const PLANS_OPEN_MAX: usize = 3;

/// A revolving limit is raised only after this many months in a row with nothing past due.
pub const LIMIT_RAISE_CLEAN_MONTHS: u32 = 6;

/// Percentage of eligible months in which the limit is raised ("raised with on-time repayment").
pub const LIMIT_RAISE_MONTHLY_PERCENT: u32 = 4;

/// Size of a raise, percent of the current limit (low, high).
pub const LIMIT_RAISE_PERCENT: (i64, i64) = (10, 50);

/// The line's limits of young users are cut in the first December of the window (December
/// 2020, when many young users were cut to about 3,000 yuan).
pub const YOUNG_CUT_MONTH: u8 = 12;

/// Users younger than this, in whole years, at the cut are "young".
pub const YOUNG_CUT_AGE_BELOW_YEARS: i32 = 26;

/// Percentage of young users above the cut limit who are cut.
pub const YOUNG_CUT_PERCENT: u32 = 50;

/// The limit young users are cut to, fen (3,000 yuan); never below what they already owe.
pub const YOUNG_CUT_LIMIT_FEN: i64 = 300_000;

/// Monthly spending on a revolving account, as basis points of the limit (low, high), by
/// behaviour: transactors use a modest share; revolvers spend more and carry balances.
pub const TRANSACTOR_SPEND_BP: (i64, i64) = (300, 3_000);
/// See [`TRANSACTOR_SPEND_BP`].
pub const REVOLVER_SPEND_BP: (i64, i64) = (500, 4_000);

/// Percentage of months in which a revolving account is not used at all (nothing bought); it
/// produces months with nothing due ("*").
pub const IDLE_MONTH_PERCENT: u32 = 15;

/// Share of the bill above the minimum that a revolver pays, in percent (low, high): revolvers
/// pay at least the minimum and less than the whole bill.
pub const REVOLVER_EXTRA_PAID_PERCENT: (i64, i64) = (0, 80);

/// Percentage of accounts opened before the simulated window (reported from its first month);
/// the rest open during it, so files carry new accounts every month.
pub const OPENED_BEFORE_WINDOW_PERCENT: u32 = 60;

/// Revolving accounts opened before the window were opened at most this many years before it.
pub const OPENED_BEFORE_WINDOW_YEARS_MAX: i32 = 5;

/// Months a revolving account opened before the window is simulated, unreported, before the
/// window starts, so its first reported month has a realistic bill.
pub const WARM_UP_MONTHS: i32 = 3;

/// Youngest age at which a person opens an account.
pub const ADULT_AGE_YEARS: i32 = 18;

/// A struggling person's trouble starts within this percentage of the window, counted from its
/// start, so most of them have time to age through several statuses.
pub const STRUGGLE_ONSET_WITHIN_PERCENT: u32 = 66;

/// Percentage of struggling people who later cure by paying everything past due.
pub const STRUGGLE_CURE_PERCENT: u32 = 40;

/// Months a curing person misses before paying up (low, high).
pub const STRUGGLE_MISSED_MONTHS: (i32, i32) = (1, 6);

/// Consents are granted this many days before the account opens (low, high): the authorization
/// is signed during the application.
pub const CONSENT_DAYS_BEFORE_OPENING: (i64, i64) = (1, 14);

/// Percentage of people asked for the reporting authorization who refuse it (and so lose, or do
/// not get, the product): the Huabei announcement said users who refuse lose the service.
pub const CONSENT_REFUSE_PERCENT: u32 = 5;

/// Shortest consent validity, in years; it is extended by whole years until it covers the
/// window plus [`CONSENT_COVER_YEARS_AFTER_WINDOW`].
pub const CONSENT_YEARS_MIN: i32 = 5;
/// See [`CONSENT_YEARS_MIN`].
pub const CONSENT_COVER_YEARS_AFTER_WINDOW: i32 = 1;

/// A notice is given this many days after the missed due date (low, high), and never after the
/// settlement date of the month first reported negative.
pub const NOTICE_DAYS_AFTER_DUE: (i64, i64) = (1, 3);

/// The collector buys a debt in the month after the charge-off, on a day in this range.
pub const ACQUIRE_DAYS: (u8, u8) = (1, 20);

/// A debtor whose trouble is over repays the collector in this many monthly instalments.
pub const RECOVERY_INSTALMENTS: i64 = 6;

/// Percentage of months in which a debtor still in trouble settles with the collector.
pub const SETTLEMENT_MONTHLY_PERCENT: u32 = 3;

/// A settlement pays this percentage of what is owed (low, high); the rest is forgiven (G).
pub const SETTLEMENT_PAID_PERCENT: (i64, i64) = (40, 70);

/// A fraudulent loan's principal, fen (low, high): 5,000 to 20,000 yuan, what a fraudster can
/// take out quickly without income checks.
pub const FRAUD_PRINCIPAL_FEN: (i64, i64) = (500_000, 2_000_000);

/// A fraudulent loan opens at least this many months before the window ends, so it goes
/// through delinquency to charge-off inside the window when the window is long enough.
pub const FRAUD_OPENS_BEFORE_END_MONTHS: i32 = 9;

/// Birth years of the simulated people (inclusive).
pub const BIRTH_YEARS: (i32, i32) = (1960, 2004);

/// Longest simulated window, in months. Every furnisher-month file stays open while simulating:
/// 5 furnishers × 120 months is 600 open files, below the usual limit of 1,024.
pub const MONTHS_MAX: u32 = 120;

/// The progress callback fires once per this many people (and once at the end).
pub const PROGRESS_EVERY_PEOPLE: u64 = 1_000;

/// Default people per chunk: enough work per chunk to amortize the hand-over between threads
/// (a few megabytes of output), small enough to bound memory.
pub const CHUNK_PEOPLE_DEFAULT: u32 = 500;

/// Chunks each thread may run ahead of the one being written: memory stays bounded by
/// threads × this × the chunk's output.
pub const CHUNKS_AHEAD_PER_THREAD: u32 = 2;

/// Default month records, per million, sent with a deliberately wrong value and corrected later.
pub const CORRECTIONS_PER_MILLION: u32 = 2_000;

/// A correction is sent this many months after the wrong record (low, high).
pub const CORRECTION_LAG_MONTHS: (i32, i32) = (1, 3);

/// Default month records, per million, followed by one deliberately malformed line.
pub const MALFORMED_PER_MILLION: u32 = 1_000;

/// Default people, per million, with a consumer loan reported by mistake and later deleted.
pub const PHANTOMS_PER_MILLION: u32 = 10_000;

/// A loan reported by mistake is reported for this many months before it is deleted (low, high).
pub const PHANTOM_REPORTED_MONTHS: (i32, i32) = (1, 2);

/// Day of the following month on which a month's file is delivered.
pub const DELIVERY_DAY: u8 = 5;
