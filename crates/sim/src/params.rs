//! Every number that shapes the simulated products and people, in one place, each with the reason
//! for its value. Money is in integer fen (1 yuan = 100 fen); rates are in basis points (1/10,000).

use ob_model::AccountType;

/// A revolving product (a Huabei-like line or a credit card).
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
    /// Day of month M+1 on which the statement for month M falls due.
    pub due_day: u8,
    /// Credit limits offered, in fen, with relative weights.
    pub limits_fen: &'static [(i64, u32)],
    /// Percentage of people who hold the product.
    pub holder_percent: u32,
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
    /// Principals offered, in fen, with relative weights.
    pub principals_fen: &'static [(i64, u32)],
    /// Percentage of people who hold the product.
    pub holder_percent: u32,
}

/// The Huabei-like line. Due on the 9th (the product is described as due on the 8th–10th); limits
/// from 500 yuan to 50,000 yuan, weighted towards the low thousands where most users sit (many
/// young users were cut to about 3,000 yuan in 2020). Everyone holds it: it is the simulator's
/// anchor product.
pub const HUABEI: RevolvingParams = RevolvingParams {
    code: "HUABEI",
    name: "花呗 (模拟) Huabei-like line",
    key_prefix: "HB",
    account_type: AccountType::R1,
    due_day: 9,
    limits_fen: &[
        (50_000, 6),
        (100_000, 10),
        (200_000, 14),
        (300_000, 16),
        (500_000, 16),
        (800_000, 12),
        (1_000_000, 10),
        (1_500_000, 7),
        (2_000_000, 5),
        (3_000_000, 3),
        (5_000_000, 1),
    ],
    holder_percent: 100,
};

/// The bank credit card. Due on the 20th (a typical card grace period after a month-end
/// statement); limits from 5,000 to 100,000 yuan, higher than the line's because banks
/// underwrite on income. About half of the people hold one.
pub const ZSBANK: RevolvingParams = RevolvingParams {
    code: "ZSBANK",
    name: "ZS 银行信用卡 (模拟) bank credit card",
    key_prefix: "ZS",
    account_type: AccountType::R2,
    due_day: 20,
    limits_fen: &[(500_000, 15), (1_000_000, 25), (2_000_000, 25), (3_000_000, 15), (5_000_000, 12), (10_000_000, 8)],
    holder_percent: 45,
};

/// The consumer-finance loan. 18% a year: consumer-finance pricing sits below the 24% that
/// courts protect; terms of 12, 24 or 36 months; principals from 3,000 to 100,000 yuan.
pub const XFLOAN: LoanParams = LoanParams {
    code: "XFLOAN",
    name: "XF 消费金融 (模拟) consumer-finance loan",
    key_prefix: "XF",
    annual_rate_bp: 1_800,
    periods: &[(12, 45), (24, 35), (36, 20)],
    principals_fen: &[
        (300_000, 10),
        (500_000, 20),
        (1_000_000, 25),
        (2_000_000, 20),
        (3_000_000, 12),
        (5_000_000, 8),
        (10_000_000, 5),
    ],
    holder_percent: 30,
};

/// Latest due day a loan may have. Due dates must fall before the month's settlement date (the
/// last day, at least the 28th) so an unpaid instalment is already past due when reported.
pub const LOAN_DUE_DAY_MAX: u8 = 25;

/// Revolving interest per day, in basis points: 0.05% a day (日息万分之五, about 18.25% a year)
/// is what Huabei and Chinese cards charge on revolving and late amounts.
pub const DAILY_INTEREST_BP: i64 = 5;

/// Minimum payment, as a percentage of the bill: the Huabei and card convention is 10%.
pub const MIN_PAYMENT_PERCENT: i64 = 10;

/// Past this many days overdue, revolving interest stops accruing (non-accrual, as lenders do
/// for non-performing accounts); it keeps balances of long-delinquent accounts bounded.
pub const NON_ACCRUAL_DAYS: u32 = 180;

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

/// Accounts opened before the window were opened at most this many years before it.
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

/// Shortest consent validity, in years; it is extended by whole years until it covers the
/// window plus [`CONSENT_COVER_YEARS_AFTER_WINDOW`].
pub const CONSENT_YEARS_MIN: i32 = 5;
/// See [`CONSENT_YEARS_MIN`].
pub const CONSENT_COVER_YEARS_AFTER_WINDOW: i32 = 1;

/// Birth years of the simulated people (inclusive).
pub const BIRTH_YEARS: (i32, i32) = (1960, 2004);

/// Longest simulated window, in months. Each month keeps two open files per furnisher while
/// simulating, so 120 months means 720 open files, below the usual limit of 1,024.
pub const MONTHS_MAX: u32 = 120;

/// The progress callback fires once per this many people (and once at the end).
pub const PROGRESS_EVERY_PEOPLE: u64 = 1_000;
