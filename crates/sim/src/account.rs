//! The products, and what is drawn when an account is opened: its date, limit or principal, due
//! day, and the reporting consent behind it. An account's months are simulated in
//! [`crate::person`].

use crate::arith::{Instalment, amortization_schedule, round_down_fen};
use crate::ledger::day_between;
use crate::life::Timeline;
use crate::loan::Loan;
use crate::params::{
    self, ADULT_AGE_YEARS, CONSENT_COVER_YEARS_AFTER_WINDOW, CONSENT_DAYS_BEFORE_OPENING, CONSENT_REFUSE_PERCENT,
    CONSENT_YEARS_MIN, CollectorParams, LOAN_DUE_DAY_MAX, LoanParams, OPENED_BEFORE_WINDOW_PERCENT,
    OPENED_BEFORE_WINDOW_YEARS_MAX, RevolvingParams,
};
use crate::truth::AccountOrigin;
use crate::{SimRng, Window};
use ob_model::records::{AccountRecord, ConsentRecord, Identity, MonthRecord, Terms};
use ob_model::{AccountType, ConsentScope, Currency, NoticeChannel, Responsibility, YearMonth};
use rand::{Rng, RngExt};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use time::{Date, Duration};

/// The products, in furnisher order (the index is the furnisher's index in [`crate::FURNISHERS`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Product {
    /// A revolving line or card.
    Revolving(&'static RevolvingParams),
    /// An instalment loan.
    Loan(&'static LoanParams),
    /// The debt collector.
    Collector(&'static CollectorParams),
}

/// Index of the Huabei-like line in [`PRODUCTS`].
pub(crate) const HUABEI: usize = 0;
/// Index of the consumer loan.
pub(crate) const XFLOAN: usize = 2;
/// Index of the collector.
pub(crate) const HXAMC: usize = 4;

/// Every product, in furnisher order.
pub(crate) const PRODUCTS: [Product; 5] = [
    Product::Revolving(&params::HUABEI),
    Product::Revolving(&params::ZSBANK),
    Product::Loan(&params::XFLOAN),
    Product::Loan(&params::JSBANK),
    Product::Collector(&params::HXAMC),
];

impl Product {
    /// Furnisher code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.code,
            Product::Loan(p) => p.code,
            Product::Collector(p) => p.code,
        }
    }

    /// Furnisher display name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.name,
            Product::Loan(p) => p.name,
            Product::Collector(p) => p.name,
        }
    }

    /// How the furnisher notifies before negative reporting.
    pub(crate) fn notice_channel(self) -> NoticeChannel {
        match self {
            Product::Revolving(p) => p.notice_channel,
            Product::Loan(p) => p.notice_channel,
            Product::Collector(p) => p.notice_channel,
        }
    }

    /// Prefix of account keys.
    pub(crate) fn key_prefix(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.key_prefix,
            Product::Loan(p) => p.key_prefix,
            Product::Collector(p) => p.key_prefix,
        }
    }
}

/// One account as simulated: what the furnisher sends about it.
pub(crate) struct SimAccount {
    /// Index of the furnisher in [`PRODUCTS`].
    pub(crate) furnisher: usize,
    /// Why the account exists.
    pub(crate) origin: AccountOrigin,
    /// The reporting consent sent just before the account, if the account needs its own.
    pub(crate) consent: Option<ConsentRecord>,
    /// The account record (its limit is settled by [`SimAccount::finish`]).
    pub(crate) account: AccountRecord,
    /// The first month reported.
    pub(crate) first_reported: YearMonth,
    /// Every month reported, in order, with true values.
    pub(crate) months: Vec<MonthRecord>,
    /// How the furnisher notifies before negative reporting.
    pub(crate) notice_channel: NoticeChannel,
    /// For a collection, the key of the account whose debt was bought.
    pub(crate) collected_from: Option<String>,
    /// For an account reported by mistake, the month whose file deletes it.
    pub(crate) delete_in: Option<YearMonth>,
}

impl SimAccount {
    /// Keeps `record` if its month is reported.
    pub(crate) fn push(&mut self, record: MonthRecord) {
        if record.month >= self.first_reported {
            self.months.push(record);
        }
    }

    /// Settles the limit: the account record carries the limit in force at the first report;
    /// months carry `credit_limit` from the first one whose limit differs from it on.
    pub(crate) fn finish(&mut self) {
        let Some(base) = self.months.first().and_then(|m| m.credit_limit_minor) else { return };
        self.account.credit_limit_minor = base;
        let mut changed = false;
        for m in &mut self.months {
            changed |= m.credit_limit_minor.is_some_and(|l| l != base);
            if !changed {
                m.credit_limit_minor = None;
            }
        }
    }
}

/// What a person brings to each of their accounts.
pub(crate) struct Holder<'a> {
    /// Person index.
    pub(crate) index: u32,
    /// Identity as every furnisher knows it.
    pub(crate) identity: &'a Identity,
    /// Monthly income, fen.
    pub(crate) income_fen: i64,
    /// Behaviour over time.
    pub(crate) timeline: &'a Timeline,
}

impl Holder<'_> {
    /// The account key of this person at `furnisher`, with a suffix for further accounts.
    pub(crate) fn key(&self, furnisher: usize, suffix: &str) -> String {
        format!("{}{:010}{suffix}", PRODUCTS[furnisher].key_prefix(), self.index)
    }

    /// The day the person turns `years` old.
    pub(crate) fn birthday(&self, years: i32) -> Date {
        add_years(self.identity.birth_date, years)
    }

    /// The person's age in whole years on `day`.
    pub(crate) fn age_on(&self, day: Date) -> i32 {
        let birth = self.identity.birth_date;
        let had_birthday = (day.month(), day.day()) >= (birth.month(), birth.day());
        day.year() - birth.year() - i32::from(!had_birthday)
    }

    /// An account record of this person.
    pub(crate) fn account_record(
        &self,
        key: String,
        account_type: AccountType,
        opened_on: Date,
        limit_fen: i64,
        terms: Terms,
    ) -> AccountRecord {
        AccountRecord {
            account_key: key,
            subject: self.identity.clone(),
            account_type,
            opened_on,
            currency: Currency::CNY,
            credit_limit_minor: limit_fen,
            terms,
            responsibility: Responsibility::Individual,
            credit_line_key: None,
        }
    }
}

/// The terms of a revolving account, drawn at opening.
pub(crate) struct RevolvingDraft {
    /// Opening date.
    pub(crate) opened_on: Date,
    /// Day of the month the bill falls due.
    pub(crate) due_day: u8,
    /// Opening limit, fen.
    pub(crate) limit_fen: i64,
}

/// Draws a revolving account's opening: up to five years before the window or during it, its due
/// day, and a limit set from income.
pub(crate) fn draft_revolving(
    holder: &Holder<'_>,
    window: &Window,
    p: &RevolvingParams,
    rng: &mut SimRng,
) -> RevolvingDraft {
    let opened_on = draw_opened_on(holder, window, OPENED_BEFORE_WINDOW_YEARS_MAX * 12, ADULT_AGE_YEARS, rng);
    let due_day = p.due_days[rng.random_range(0..p.due_days.len().max(1))];
    let (low, high) = p.limit_income_percent;
    let limit = holder.income_fen * rng.random_range(low..=high) / 100;
    let limit_fen = round_down_fen(limit, p.limit_step_fen).clamp(p.limit_min_fen, p.limit_max_fen);
    RevolvingDraft { opened_on, due_day, limit_fen }
}

/// The terms of a loan, drawn at opening.
pub(crate) struct LoanDraft {
    /// Opening date.
    pub(crate) opened_on: Date,
    /// Instalments.
    pub(crate) periods: u16,
    /// Principal, fen.
    pub(crate) principal_fen: i64,
    /// Day of the month instalments fall due.
    pub(crate) due_day: u8,
    /// What it is for.
    pub(crate) loan_kind: ob_model::LoanKind,
    /// How it is secured.
    pub(crate) guarantee: ob_model::GuaranteeMode,
}

impl LoanDraft {
    /// The loan's state machine, keyed `key`.
    pub(crate) fn loan(&self, key: String, annual_rate_bp: u32) -> Loan {
        let schedule = cached_schedule(self.principal_fen, annual_rate_bp, self.periods);
        Loan::new(key, schedule, YearMonth::of(self.opened_on), self.due_day)
    }

    /// The loan's account record.
    pub(crate) fn record(&self, holder: &Holder<'_>, key: String) -> AccountRecord {
        let contract = ob_model::records::ContractTerms {
            loan_kind: Some(self.loan_kind),
            guarantee: Some(self.guarantee),
            maturity_on: Some(maturity(self.opened_on, self.periods, self.due_day)),
            frequency: Some(ob_model::RepayFrequency::Monthly),
            method: Some(ob_model::RepaymentMethod::EqualInstalments),
        };
        let terms = Terms { periods: Some(self.periods), due_day: Some(self.due_day), contract };
        holder.account_record(key, AccountType::D1, self.opened_on, self.principal_fen, terms)
    }
}

/// The day the last of `periods` monthly instalments falls due, the first a month after opening.
pub(crate) fn maturity(opened_on: Date, periods: u16, due_day: u8) -> Date {
    YearMonth::of(opened_on).plus(i32::from(periods)).day(due_day)
}

/// Schedules kept per thread: principals are round amounts, so the same few hundred schedules
/// recur (a mortgage's takes 360 months of arithmetic per step of a binary search).
const SCHEDULE_CACHE_MAX: usize = 4_096;

/// Schedules by (principal in fen, annual rate in basis points, periods).
type Schedules = HashMap<(i64, u32, u16), Rc<[Instalment]>>;

thread_local! {
    static SCHEDULES: RefCell<Schedules> = RefCell::new(HashMap::new());
}

/// [`amortization_schedule`], computed once per thread for each (principal, rate, periods).
fn cached_schedule(principal_fen: i64, annual_rate_bp: u32, periods: u16) -> Rc<[Instalment]> {
    SCHEDULES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= SCHEDULE_CACHE_MAX {
            cache.clear();
        }
        cache
            .entry((principal_fen, annual_rate_bp, periods))
            .or_insert_with(|| amortization_schedule(principal_fen, annual_rate_bp, periods).into())
            .clone()
    })
}

/// Draws a loan's opening (never so long before the window that it is repaid before it starts),
/// term and a principal set from income.
pub(crate) fn draft_loan(holder: &Holder<'_>, window: &Window, p: &LoanParams, rng: &mut SimRng) -> LoanDraft {
    let periods = pick_weighted(p.periods, rng);
    let before_max = (i32::from(periods) - 1).min(p.opened_before_window_months_max);
    let opened_on = draw_opened_on(holder, window, before_max, p.min_age_years, rng);
    let (low, high) = p.principal_income_percent;
    let principal = holder.income_fen * rng.random_range(low..=high) / 100;
    let principal_fen = round_down_fen(principal, p.principal_step_fen).clamp(p.principal_min_fen, p.principal_max_fen);
    let due_day = opened_on.day().min(LOAN_DUE_DAY_MAX);
    LoanDraft { opened_on, periods, principal_fen, due_day, loan_kind: p.loan_kind, guarantee: p.guarantee }
}

/// Asks the person for the reporting authorization on `asked_on`; returns whether they granted
/// it ([`CONSENT_REFUSE_PERCENT`] refuse) and notes the answer.
pub(crate) fn ask_consent(furnisher: usize, asked_on: Date, rng: &mut SimRng, answers: &mut Vec<Answer>) -> bool {
    let granted = rng.random_range(0..100) >= CONSENT_REFUSE_PERCENT;
    answers.push(Answer { furnisher, asked_on, granted });
    granted
}

/// A person's answer to a request for the reporting authorization.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Answer {
    /// The lender asking.
    pub(crate) furnisher: usize,
    /// When.
    pub(crate) asked_on: Date,
    /// Whether they granted it.
    pub(crate) granted: bool,
}

/// The day an applicant signs the authorization: a few days before the account opens.
pub(crate) fn application_day(opened_on: Date, rng: &mut SimRng) -> Date {
    let (low, high) = CONSENT_DAYS_BEFORE_OPENING;
    opened_on.saturating_sub(Duration::days(rng.random_range(low..=high)))
}

/// Opening date: before the window (up to `months_before_max` months) or during it, never before
/// the person's `min_age` birthday.
fn draw_opened_on(
    holder: &Holder<'_>,
    window: &Window,
    months_before_max: i32,
    min_age: i32,
    rng: &mut SimRng,
) -> Date {
    let month = if rng.random_range(0..100) < OPENED_BEFORE_WINDOW_PERCENT && months_before_max > 0 {
        window.first.plus(-rng.random_range(1..=months_before_max))
    } else {
        window.first.plus(rng.random_range(0..window.months_i32()))
    };
    let opened_on = day_between(rng, month, 1, month.last_day().day());
    opened_on.max(holder.birthday(min_age))
}

/// A closer's closing month: after the first reported month, within the window.
pub(crate) fn draw_close_month(window: &Window, first_reported: YearMonth, rng: &mut SimRng) -> Option<YearMonth> {
    let earliest = first_reported.plus(1);
    let span = window.last.months_since(earliest);
    (span >= 0).then(|| earliest.plus(rng.random_range(0..=span)))
}

/// A reporting consent granted on `granted_on`, valid at least five years and until a year after
/// the window; `reference` is the furnisher's own reference.
pub(crate) fn consent(
    holder: &Holder<'_>,
    window: &Window,
    granted_on: Date,
    reference: String,
    rng: &mut SimRng,
) -> ConsentRecord {
    let cover_until = add_years(window.last.last_day(), CONSENT_COVER_YEARS_AFTER_WINDOW);
    let years = CONSENT_YEARS_MIN.max(cover_until.year() - granted_on.year() + 1);
    let mut evidence_sha256 = [0u8; 32];
    rng.fill_bytes(&mut evidence_sha256);
    ConsentRecord {
        subject: holder.identity.clone(),
        scope: ConsentScope::Report,
        purpose: None,
        granted_on,
        expires_on: add_years(granted_on, years),
        evidence_sha256,
        consent_ref: Some(reference),
    }
}

/// The same day `years` later (29 February becomes 28 February in a common year).
pub(crate) fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, date.month(), 28))
        .unwrap_or(date)
}

/// Draws one value with probability proportional to its weight (the first when all are 0).
pub(crate) fn pick_weighted<T: Copy>(choices: &[(T, u32)], rng: &mut SimRng) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut ticket = rng.random_range(0..total.max(1));
    for (value, weight) in choices {
        if ticket < *weight {
            return *value;
        }
        ticket -= weight;
    }
    // Reached only when every weight is 0; the lists are non-empty constants from `params`.
    choices[0].0
}
