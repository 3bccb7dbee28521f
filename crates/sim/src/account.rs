//! One simulated account: its plan (product, opening, limit, consent), then its months.

use crate::arith::amortization_schedule;
use crate::ledger::{Conduct, day_between};
use crate::loan::Loan;
use crate::params::{
    self, ADULT_AGE_YEARS, CONSENT_COVER_YEARS_AFTER_WINDOW, CONSENT_DAYS_BEFORE_OPENING, CONSENT_YEARS_MIN,
    LOAN_DUE_DAY_MAX, LoanParams, OPENED_BEFORE_WINDOW_PERCENT, OPENED_BEFORE_WINDOW_YEARS_MAX, REVOLVER_SPEND_BP,
    RevolvingParams, TRANSACTOR_SPEND_BP, WARM_UP_MONTHS,
};
use crate::revolving::Revolving;
use crate::{Behaviour, SimRng, Window};
use ob_model::records::{AccountRecord, ConsentRecord, Identity, MonthRecord, Terms};
use ob_model::{AccountType, ConsentScope, Currency, Responsibility, YearMonth};
use rand::{Rng, RngExt};
use time::{Date, Duration};

/// The products, in furnisher order (the index is the furnisher's index in [`crate::FURNISHERS`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Product {
    /// A revolving line or card.
    Revolving(&'static RevolvingParams),
    /// An instalment loan.
    Loan(&'static LoanParams),
}

/// Every product, in furnisher order.
pub(crate) const PRODUCTS: [Product; 3] =
    [Product::Revolving(&params::HUABEI), Product::Revolving(&params::ZSBANK), Product::Loan(&params::XFLOAN)];

impl Product {
    /// Furnisher code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.code,
            Product::Loan(p) => p.code,
        }
    }

    /// Furnisher display name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.name,
            Product::Loan(p) => p.name,
        }
    }

    fn key_prefix(self) -> &'static str {
        match self {
            Product::Revolving(p) => p.key_prefix,
            Product::Loan(p) => p.key_prefix,
        }
    }

    fn holder_percent(self) -> u32 {
        match self {
            Product::Revolving(p) => p.holder_percent,
            Product::Loan(p) => p.holder_percent,
        }
    }
}

/// A struggling person's trouble: from `onset` they pay nothing, until `cure` if they cure.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Struggle {
    /// First month with nothing paid.
    pub(crate) onset: YearMonth,
    /// Month in which everything past due is paid, if ever.
    pub(crate) cure: Option<YearMonth>,
}

/// How a person behaves, month by month.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conducts {
    /// The behaviour type.
    pub(crate) behaviour: Behaviour,
    /// For struggling people, when trouble starts and ends.
    pub(crate) struggle: Option<Struggle>,
}

impl Conducts {
    /// What the person does in `month` about an account that closes in `close_month`.
    fn conduct(&self, month: YearMonth, close_month: Option<YearMonth>) -> Conduct {
        if close_month == Some(month) {
            return Conduct::Close;
        }
        match (self.behaviour, self.struggle) {
            (Behaviour::Transactor | Behaviour::Closer, _) => Conduct::PayFull,
            (Behaviour::Struggling, Some(s)) if month >= s.onset => match s.cure {
                Some(cure) if month == cure => Conduct::Cure,
                Some(cure) if month > cure => Conduct::PayPartial,
                _ => Conduct::Miss,
            },
            _ => Conduct::PayPartial,
        }
    }
}

/// One account as simulated: what the furnisher sends about it.
pub(crate) struct SimAccount {
    /// Index of the furnisher in [`crate::FURNISHERS`].
    pub(crate) furnisher: usize,
    /// The reporting consent, sent just before the account.
    pub(crate) consent: ConsentRecord,
    /// The account opening.
    pub(crate) account: AccountRecord,
    /// The first month reported: the opening month, or the window's first month.
    pub(crate) first_reported: YearMonth,
    /// Every month reported, in order.
    pub(crate) months: Vec<MonthRecord>,
}

/// What a person brings to each of their accounts.
pub(crate) struct Holder<'a> {
    /// Person index.
    pub(crate) index: u32,
    /// Identity as every furnisher knows it.
    pub(crate) identity: &'a Identity,
    /// Behaviour over time.
    pub(crate) conducts: Conducts,
}

/// Draws which products the person holds and simulates each; accounts opened after the window
/// (a person too young to borrow during it) are left out.
pub(crate) fn simulate_accounts(holder: &Holder<'_>, window: &Window, rng: &mut SimRng) -> Vec<SimAccount> {
    let mut accounts = Vec::new();
    for (furnisher, product) in PRODUCTS.into_iter().enumerate() {
        if rng.random_range(0..100) < product.holder_percent()
            && let Some(account) = simulate_account(holder, window, furnisher, product, rng)
        {
            accounts.push(account);
        }
    }
    accounts
}

/// An account's state machine.
enum State {
    Revolving(Revolving),
    Loan(Loan),
}

impl State {
    fn step(&mut self, month: YearMonth, conduct: Conduct, rng: &mut SimRng) -> MonthRecord {
        match self {
            State::Revolving(r) => r.step(month, conduct, rng),
            State::Loan(l) => l.step(month, conduct, rng),
        }
    }
}

/// The fixed facts of an account, drawn before its months are simulated.
struct Plan {
    account: AccountRecord,
    state: State,
    /// First month simulated (earlier than the first reported for a warm-up).
    start: YearMonth,
    first_reported: YearMonth,
    close_month: Option<YearMonth>,
}

fn simulate_account(
    holder: &Holder<'_>,
    window: &Window,
    furnisher: usize,
    product: Product,
    rng: &mut SimRng,
) -> Option<SimAccount> {
    let plan = draw_plan(holder, window, product, rng)?;
    let consent = draw_consent(holder, window, product, plan.account.opened_on, rng);
    let months =
        simulate_months(holder.conducts, window, plan.state, (plan.start, plan.first_reported), plan.close_month, rng);
    Some(SimAccount { furnisher, consent, account: plan.account, first_reported: plan.first_reported, months })
}

/// The drawn terms of an account and its initial state.
struct Drawn {
    opened_on: Date,
    limit_fen: i64,
    terms: Terms,
    account_type: AccountType,
    state: State,
}

fn draw_revolving(holder: &Holder<'_>, window: &Window, p: &RevolvingParams, key: &str, rng: &mut SimRng) -> Drawn {
    let opened_on = draw_opened_on(holder, window, OPENED_BEFORE_WINDOW_YEARS_MAX * 12, rng);
    let limit_fen = pick_weighted(p.limits_fen, rng);
    let spend_bp = match holder.conducts.behaviour {
        Behaviour::Revolver | Behaviour::Struggling => REVOLVER_SPEND_BP,
        Behaviour::Transactor | Behaviour::Closer => TRANSACTOR_SPEND_BP,
    };
    Drawn {
        opened_on,
        limit_fen,
        terms: Terms { periods: None, due_day: Some(p.due_day) },
        account_type: p.account_type,
        state: State::Revolving(Revolving::new(key.to_owned(), limit_fen, p.due_day, spend_bp)),
    }
}

fn draw_loan(holder: &Holder<'_>, window: &Window, p: &LoanParams, key: &str, rng: &mut SimRng) -> Drawn {
    let periods = pick_weighted(p.periods, rng);
    // Opened at most periods − 1 months before the window, so an instalment falls due inside it.
    let opened_on = draw_opened_on(holder, window, i32::from(periods) - 1, rng);
    let principal_fen = pick_weighted(p.principals_fen, rng);
    let due_day = opened_on.day().min(LOAN_DUE_DAY_MAX);
    let schedule = amortization_schedule(principal_fen, p.annual_rate_bp, periods);
    Drawn {
        opened_on,
        limit_fen: principal_fen,
        terms: Terms { periods: Some(periods), due_day: Some(due_day) },
        account_type: AccountType::D1,
        state: State::Loan(Loan::new(key.to_owned(), schedule, YearMonth::of(opened_on), due_day)),
    }
}

fn draw_plan(holder: &Holder<'_>, window: &Window, product: Product, rng: &mut SimRng) -> Option<Plan> {
    let account_key = format!("{}{:010}", product.key_prefix(), holder.index);
    let drawn = match product {
        Product::Revolving(p) => draw_revolving(holder, window, p, &account_key, rng),
        Product::Loan(p) => draw_loan(holder, window, p, &account_key, rng),
    };
    let opened = YearMonth::of(drawn.opened_on);
    if opened > window.last {
        return None;
    }
    let first_reported = opened.max(window.first);
    let start = match product {
        Product::Revolving(_) => opened.max(window.first.plus(-WARM_UP_MONTHS)),
        Product::Loan(_) => opened,
    };
    let closes = holder.conducts.behaviour == Behaviour::Closer;
    let close_month = if closes { draw_close_month(window, first_reported, rng) } else { None };
    let account = AccountRecord {
        account_key,
        subject: holder.identity.clone(),
        account_type: drawn.account_type,
        opened_on: drawn.opened_on,
        currency: Currency::CNY,
        credit_limit_minor: drawn.limit_fen,
        terms: drawn.terms,
        responsibility: Responsibility::Individual,
        credit_line_key: None,
    };
    Some(Plan { account, state: drawn.state, start, first_reported, close_month })
}

/// Runs the account from its first simulated month to the window's end (or its closing) and
/// keeps the months from the first reported one on.
fn simulate_months(
    conducts: Conducts,
    window: &Window,
    mut state: State,
    (start, first_reported): (YearMonth, YearMonth),
    close_month: Option<YearMonth>,
    rng: &mut SimRng,
) -> Vec<MonthRecord> {
    let mut months = Vec::new();
    let mut month = start;
    while month <= window.last {
        let record = state.step(month, conducts.conduct(month, close_month), rng);
        let closed = record.closed_on.is_some();
        if month >= first_reported {
            months.push(record);
        }
        if closed {
            break;
        }
        month = month.plus(1);
    }
    months
}

/// Opening date: before the window (up to `months_before_max` months) or during it, never before
/// the person's 18th birthday.
fn draw_opened_on(holder: &Holder<'_>, window: &Window, months_before_max: i32, rng: &mut SimRng) -> Date {
    let month = if rng.random_range(0..100) < OPENED_BEFORE_WINDOW_PERCENT {
        window.first.plus(-rng.random_range(1..=months_before_max.max(1)))
    } else {
        window.first.plus(rng.random_range(0..window.months_i32()))
    };
    let opened_on = day_between(rng, month, 1, month.last_day().day());
    opened_on.max(add_years(holder.identity.birth_date, ADULT_AGE_YEARS))
}

/// A closer's closing month: after the first reported month, within the window.
fn draw_close_month(window: &Window, first_reported: YearMonth, rng: &mut SimRng) -> Option<YearMonth> {
    let earliest = first_reported.plus(1);
    let span = window.last.months_since(earliest);
    (span >= 0).then(|| earliest.plus(rng.random_range(0..=span)))
}

/// The reporting consent: granted a few days before opening, valid at least five years and
/// until a year after the window.
fn draw_consent(
    holder: &Holder<'_>,
    window: &Window,
    product: Product,
    opened_on: Date,
    rng: &mut SimRng,
) -> ConsentRecord {
    let (low, high) = CONSENT_DAYS_BEFORE_OPENING;
    let granted_on = opened_on.saturating_sub(Duration::days(rng.random_range(low..=high)));
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
        consent_ref: Some(format!("{}C{:010}", product.key_prefix(), holder.index)),
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
