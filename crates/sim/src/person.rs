//! One person's accounts, simulated month by month together: the Huabei-like line with its
//! instalment plans, the card, the loans, a fraudster's loan, a loan reported by mistake, and the
//! collector's accounts for debts charged off along the way.

use crate::account::{
    Answer, HUABEI, HXAMC, Holder, PRODUCTS, Product, SimAccount, XFLOAN, application_day, ask_consent, consent,
    draft_loan, draft_revolving, draw_close_month, pick_weighted,
};
use crate::arith::{plan_schedule, round_down_fen, round_up_fen};
use crate::collection::{Collection, Debtor};
use crate::ledger::{Conduct, charge_off_record, day_between};
use crate::loan::Loan;
use crate::params::{
    self, ACQUIRE_DAYS, ADULT_AGE_YEARS, CHARGE_OFF_DAYS, ChargeOff, FRAUD_OPENS_BEFORE_END_MONTHS,
    FRAUD_PRINCIPAL_FEN, LIMIT_RAISE_CLEAN_MONTHS, LIMIT_RAISE_MONTHLY_PERCENT, LIMIT_RAISE_PERCENT, LoanParams,
    PHANTOM_REPORTED_MONTHS, PLAN_MIN_FEN, PLAN_MONTHLY_PERCENT, PLAN_PRINCIPAL_LIMIT_BP, PLAN_TERMS, PLANS_OPEN_MAX,
    REVOLVER_SPEND_BP, RevolvingParams, TRANSACTOR_SPEND_BP, WARM_UP_MONTHS, YOUNG_CUT_AGE_BELOW_YEARS,
    YOUNG_CUT_LIMIT_FEN, YOUNG_CUT_MONTH, YOUNG_CUT_PERCENT,
};
use crate::revolving::Revolving;
use crate::truth::AccountOrigin;
use crate::{Behaviour, SimRng, Window};
use ob_model::records::{MonthRecord, Terms};
use ob_model::{AccountType, YearMonth};
use rand::RngExt;
use time::{Date, Duration};

/// Basis points in a whole.
const BP_PER_UNIT: i64 = 10_000;

/// Everything simulated about one person's accounts.
pub(crate) struct Accounts {
    /// Every account reported, in the order they were made.
    pub(crate) accounts: Vec<SimAccount>,
    /// Every authorization asked for.
    pub(crate) answers: Vec<Answer>,
}

/// Offers the person every product, simulates the accounts they take up to the window's end, and
/// returns those reported. `phantom_per_million` and `mistake_rng` draw the loan reported by
/// mistake, which draws nothing from `rng`: the population is the same whatever the rate.
pub(crate) fn simulate_accounts(
    holder: &Holder<'_>,
    window: &Window,
    phantom_per_million: u32,
    rng: &mut SimRng,
    mistake_rng: &mut SimRng,
) -> Accounts {
    let mut world = World {
        holder,
        window,
        accounts: Vec::new(),
        answers: Vec::new(),
        spawned: Vec::new(),
        acquired_on: Vec::new(),
    };
    let mut units = Vec::new();
    for furnisher in 0..PRODUCTS.len() {
        units.extend(world.offer(furnisher, rng));
    }
    if holder.timeline.behaviour == Behaviour::FraudVictim {
        units.extend(world.fraud(rng));
    }
    units.extend(world.phantom(phantom_per_million, mistake_rng));
    run(&mut world, units, rng, mistake_rng);
    let mut accounts = world.accounts;
    accounts.retain(|a| !a.months.is_empty());
    accounts.iter_mut().for_each(SimAccount::finish);
    Accounts { accounts, answers: world.answers }
}

/// Steps every unit through every month from the earliest start to the window's end.
fn run(world: &mut World<'_, '_>, mut units: Vec<Unit>, rng: &mut SimRng, mistake_rng: &mut SimRng) {
    let Some(mut month) = units.iter().map(Unit::start).min() else { return };
    while month <= world.window.last {
        for unit in &mut units {
            let r = if unit.is_mistake() { &mut *mistake_rng } else { &mut *rng };
            unit.step(month, world, r);
        }
        units.append(&mut world.spawned);
        month = month.plus(1);
    }
}

/// The person's accounts while they are simulated, and what units add to them.
struct World<'h, 'a> {
    holder: &'h Holder<'a>,
    window: &'h Window,
    accounts: Vec<SimAccount>,
    answers: Vec<Answer>,
    /// Units created this month (collections), run from next month.
    spawned: Vec<Unit>,
    /// Days on which the collector bought a debt of this person (kept distinct).
    acquired_on: Vec<Date>,
}

/// A state machine producing the months of one or more accounts.
enum Unit {
    Revolving(Box<RevolvingUnit>),
    Loan(LoanUnit),
    Collection(CollectionUnit),
}

impl Unit {
    fn start(&self) -> YearMonth {
        match self {
            Unit::Revolving(u) => u.start,
            Unit::Loan(u) => u.start,
            Unit::Collection(u) => u.start,
        }
    }

    /// Whether the unit is a deliberate mistake, drawn from the mistakes' RNG.
    fn is_mistake(&self) -> bool {
        matches!(self, Unit::Loan(LoanUnit { kind: LoanKind::Phantom { .. }, .. }))
    }

    fn step(&mut self, month: YearMonth, world: &mut World<'_, '_>, rng: &mut SimRng) {
        match self {
            Unit::Revolving(u) => u.step(month, world, rng),
            Unit::Loan(u) => u.step(month, world, rng),
            Unit::Collection(u) => u.step(month, world, rng),
        }
    }
}

/// An instalment plan of the line (R4).
struct PlanUnit {
    acct: usize,
    state: Loan,
    ended: bool,
}

/// A revolving account (the line with its plans, or the card).
struct RevolvingUnit {
    acct: usize,
    params: &'static RevolvingParams,
    /// Whether this is the Huabei-like line: instalment plans and the young users' cut.
    is_line: bool,
    state: Revolving,
    due_day: u8,
    opened_on: Date,
    start: YearMonth,
    close_month: Option<YearMonth>,
    clean_months: u32,
    plans: Vec<PlanUnit>,
    plans_opened: u32,
    ended: bool,
}

/// What a loan is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoanKind {
    /// The person's own.
    Own,
    /// A fraudster's, in the person's name: never paid.
    Fraud,
    /// Reported by mistake: shown current until it stops being reported.
    Phantom { last_reported: YearMonth },
}

/// An instalment loan.
struct LoanUnit {
    acct: usize,
    charge_off: ChargeOff,
    state: Loan,
    start: YearMonth,
    close_month: Option<YearMonth>,
    kind: LoanKind,
    ended: bool,
}

/// A debt bought by the collector.
struct CollectionUnit {
    acct: usize,
    state: Collection,
    start: YearMonth,
    fraud: bool,
    ended: bool,
}

/// A debt written off and sold.
struct SoldDebt {
    month: YearMonth,
    debt_fen: i64,
    first_due_on: Date,
    from_key: String,
    fraud: bool,
}

impl World<'_, '_> {
    fn close_month(&self, first_reported: YearMonth, rng: &mut SimRng) -> Option<YearMonth> {
        if self.holder.timeline.behaviour == Behaviour::Closer {
            draw_close_month(self.window, first_reported, rng)
        } else {
            None
        }
    }

    /// Offers the product of `furnisher` (the collector offers nothing).
    fn offer(&mut self, furnisher: usize, rng: &mut SimRng) -> Option<Unit> {
        match PRODUCTS[furnisher] {
            Product::Revolving(p) => self.offer_revolving(furnisher, p, rng),
            Product::Loan(p) => self.offer_loan(furnisher, p, rng),
            Product::Collector(_) => None,
        }
    }

    /// A revolving account: asked at application, or — for accounts opened before reporting
    /// reached the person (the rollout) — in their rollout month, from which it is reported.
    fn offer_revolving(&mut self, furnisher: usize, p: &'static RevolvingParams, rng: &mut SimRng) -> Option<Unit> {
        if rng.random_range(0..100) >= p.holder_percent {
            return None;
        }
        let draft = draft_revolving(self.holder, self.window, p, rng);
        let opened = YearMonth::of(draft.opened_on);
        let rollout_months = i32::try_from(p.rollout_months).unwrap_or(0);
        let rollout = (rollout_months > 0).then(|| self.window.first.plus(rng.random_range(0..rollout_months)));
        let (asked_on, first_reported) = match rollout {
            Some(r) if opened < r => (day_between(rng, r, 1, 28), r),
            _ => (application_day(draft.opened_on, rng), opened.max(self.window.first)),
        };
        // Opened after the window, or reporting reaches the person only after it: not asked yet.
        let later = opened > self.window.last || first_reported > self.window.last;
        if later || !ask_consent(furnisher, asked_on, rng, &mut self.answers) {
            return None;
        }
        let key = self.holder.key(furnisher, "");
        let consent = consent(self.holder, self.window, asked_on, self.holder.key(furnisher, "C"), rng);
        let contract = ob_model::records::ContractTerms {
            loan_kind: (p.account_type == AccountType::R1).then_some(ob_model::LoanKind::OtherConsumer),
            guarantee: Some(ob_model::GuaranteeMode::Credit),
            maturity_on: None,
            frequency: Some(ob_model::RepayFrequency::Monthly),
            method: (p.account_type == AccountType::R1).then_some(ob_model::RepaymentMethod::Revolving),
        };
        let terms = Terms { periods: None, due_day: Some(draft.due_day), contract };
        let account = self.holder.account_record(key.clone(), p.account_type, draft.opened_on, draft.limit_fen, terms);
        let acct = self.add(furnisher, AccountOrigin::Own, Some(consent), account, first_reported);
        let spend_bp = match self.holder.timeline.behaviour {
            Behaviour::Revolver | Behaviour::Struggling => REVOLVER_SPEND_BP,
            _ => TRANSACTOR_SPEND_BP,
        };
        Some(Unit::Revolving(Box::new(RevolvingUnit {
            acct,
            params: p,
            is_line: furnisher == HUABEI,
            state: Revolving::new(key, draft.limit_fen, draft.due_day, spend_bp),
            due_day: draft.due_day,
            opened_on: draft.opened_on,
            start: opened.max(self.window.first.plus(-WARM_UP_MONTHS)),
            close_month: self.close_month(first_reported, rng),
            clean_months: 0,
            plans: Vec::new(),
            plans_opened: 0,
            ended: false,
        })))
    }

    /// A loan, for people old and rich enough; asked at application.
    fn offer_loan(&mut self, furnisher: usize, p: &'static LoanParams, rng: &mut SimRng) -> Option<Unit> {
        if self.holder.income_fen < p.min_income_fen || rng.random_range(0..100) >= p.holder_percent {
            return None;
        }
        let mut draft = draft_loan(self.holder, self.window, p, rng);
        draft.opened_on = self.distinct_opening(AccountType::D1, draft.opened_on);
        draft.due_day = draft.opened_on.day().min(params::LOAN_DUE_DAY_MAX);
        let opened = YearMonth::of(draft.opened_on);
        let asked_on = application_day(draft.opened_on, rng);
        if opened > self.window.last || !ask_consent(furnisher, asked_on, rng, &mut self.answers) {
            return None;
        }
        let key = self.holder.key(furnisher, "");
        let consent = consent(self.holder, self.window, asked_on, self.holder.key(furnisher, "C"), rng);
        let first_reported = opened.max(self.window.first);
        let acct = self.add(
            furnisher,
            AccountOrigin::Own,
            Some(consent),
            draft.record(self.holder, key.clone()),
            first_reported,
        );
        Some(Unit::Loan(LoanUnit {
            acct,
            charge_off: p.charge_off,
            state: draft.loan(key, p.annual_rate_bp),
            start: opened,
            close_month: self.close_month(first_reported, rng),
            kind: LoanKind::Own,
            ended: false,
        }))
    }

    /// A fraud victim's loan, opened by a fraudster at the consumer lender with a forged
    /// authorization, early enough in the window to go through delinquency to charge-off.
    fn fraud(&mut self, rng: &mut SimRng) -> Option<Unit> {
        let span = self.window.months_i32() - FRAUD_OPENS_BEFORE_END_MONTHS;
        let month = self.window.first.plus(if span > 0 { rng.random_range(0..span) } else { 0 });
        let day = day_between(rng, month, 1, 28).max(self.holder.birthday(ADULT_AGE_YEARS));
        let opened_on = self.distinct_opening(AccountType::D1, day);
        let (low, high) = FRAUD_PRINCIPAL_FEN;
        let principal_fen = round_down_fen(rng.random_range(low..=high), params::XFLOAN.principal_step_fen);
        self.mistaken_or_fraud_loan(opened_on, principal_fen, "F", AccountOrigin::Fraud, LoanKind::Fraud, rng)
    }

    /// With probability `per_million`, a consumer loan reported by mistake (the person applied
    /// and cancelled) for one or two months, then deleted; only for people with no other account
    /// at that lender.
    fn phantom(&mut self, per_million: u32, rng: &mut SimRng) -> Option<Unit> {
        if rng.random_range(0..1_000_000) >= per_million || self.accounts.iter().any(|a| a.furnisher == XFLOAN) {
            return None;
        }
        let (low, high) = PHANTOM_REPORTED_MONTHS;
        let reported = rng.random_range(low..=high);
        let span = self.window.months_i32() - reported;
        if span <= 0 {
            return None;
        }
        let month = self.window.first.plus(rng.random_range(0..span));
        let day = day_between(rng, month, 1, 28).max(self.holder.birthday(ADULT_AGE_YEARS));
        let opened_on = self.distinct_opening(AccountType::D1, day);
        if YearMonth::of(opened_on).plus(reported) > self.window.last {
            return None;
        }
        let (low, high) = params::XFLOAN.principal_income_percent;
        let principal = self.holder.income_fen * rng.random_range(low..=high) / 100;
        let p = &params::XFLOAN;
        let principal_fen =
            round_down_fen(principal, p.principal_step_fen).clamp(p.principal_min_fen, p.principal_max_fen);
        let last_reported = YearMonth::of(opened_on).plus(reported - 1);
        let kind = LoanKind::Phantom { last_reported };
        let unit =
            self.mistaken_or_fraud_loan(opened_on, principal_fen, "M", AccountOrigin::ReportedByMistake, kind, rng)?;
        if let Some(a) = self.accounts.last_mut() {
            a.delete_in = Some(last_reported.plus(1));
        }
        Some(unit)
    }

    /// A 12-month consumer loan that is not the person's own doing (a fraud, or a mistake).
    fn mistaken_or_fraud_loan(
        &mut self,
        opened_on: Date,
        principal_fen: i64,
        suffix: &str,
        origin: AccountOrigin,
        kind: LoanKind,
        rng: &mut SimRng,
    ) -> Option<Unit> {
        let opened = YearMonth::of(opened_on);
        if opened > self.window.last || opened < self.window.first {
            return None;
        }
        let p = &params::XFLOAN;
        let key = self.holder.key(XFLOAN, suffix);
        let granted_on = application_day(opened_on, rng);
        let consent =
            consent(self.holder, self.window, granted_on, self.holder.key(XFLOAN, &format!("C{suffix}")), rng);
        let draft = crate::account::LoanDraft {
            opened_on,
            periods: 12,
            principal_fen,
            due_day: opened_on.day().min(params::LOAN_DUE_DAY_MAX),
            loan_kind: ob_model::LoanKind::OtherConsumer,
            guarantee: ob_model::GuaranteeMode::Credit,
        };
        let acct = self.add(XFLOAN, origin, Some(consent), draft.record(self.holder, key.clone()), opened);
        Some(Unit::Loan(LoanUnit {
            acct,
            charge_off: p.charge_off,
            state: draft.loan(key, p.annual_rate_bp),
            start: opened,
            close_month: None,
            kind,
            ended: false,
        }))
    }

    /// `day`, or the nearest later (else earlier) day of its month on which the person opened no
    /// other account of type `kind`: (type, opening day) names one account of a person, as reports
    /// are read (a report shows no account keys).
    fn distinct_opening(&self, kind: AccountType, day: Date) -> Date {
        let taken = |d: Date| self.accounts.iter().any(|a| a.account.account_type == kind && a.account.opened_on == d);
        let month = YearMonth::of(day);
        let later = (0..31).map(|n| day.saturating_add(Duration::days(n)));
        let earlier = (1..31).map(|n| day.saturating_sub(Duration::days(n)));
        later.chain(earlier).find(|d| YearMonth::of(*d) == month && !taken(*d)).unwrap_or(day)
    }

    fn add(
        &mut self,
        furnisher: usize,
        origin: AccountOrigin,
        consent: Option<ob_model::records::ConsentRecord>,
        account: ob_model::records::AccountRecord,
        first_reported: YearMonth,
    ) -> usize {
        self.accounts.push(SimAccount {
            furnisher,
            origin,
            consent,
            account,
            first_reported,
            months: Vec::new(),
            notice_channel: PRODUCTS[furnisher].notice_channel(),
            collected_from: None,
            delete_in: None,
        });
        self.accounts.len() - 1
    }

    /// The collector buys a sold debt in the following month (if it is inside the window), files
    /// its consent and opens a C1 account.
    fn sell(&mut self, sold: SoldDebt, rng: &mut SimRng) {
        let bought = sold.month.plus(1);
        if bought > self.window.last || sold.debt_fen <= 0 {
            return;
        }
        let (low, high) = ACQUIRE_DAYS;
        let mut day = rng.random_range(low..=high);
        while self.acquired_on.contains(&bought.day(day)) {
            day = if day >= high { low } else { day + 1 };
        }
        let opened_on = bought.day(day);
        self.acquired_on.push(opened_on);
        let n = self.acquired_on.len();
        let key = self.holder.key(HXAMC, &format!("-{n}"));
        let consent = consent(self.holder, self.window, opened_on, self.holder.key(HXAMC, &format!("C-{n}")), rng);
        let account =
            self.holder.account_record(key.clone(), AccountType::C1, opened_on, sold.debt_fen, Terms::default());
        let acct = self.add(HXAMC, AccountOrigin::Collection, Some(consent), account, bought);
        self.accounts[acct].collected_from = Some(sold.from_key);
        let state = Collection::new(key, sold.debt_fen, sold.first_due_on, opened_on);
        self.spawned.push(Unit::Collection(CollectionUnit {
            acct,
            state,
            start: bought,
            fraud: sold.fraud,
            ended: false,
        }));
    }
}

impl RevolvingUnit {
    fn occupied_fen(&self) -> i64 {
        self.plans.iter().filter(|p| !p.ended).map(|p| p.state.future_principal_fen()).sum()
    }

    fn step(&mut self, month: YearMonth, world: &mut World<'_, '_>, rng: &mut SimRng) {
        if self.ended || month < self.start {
            return;
        }
        let conduct = world.holder.timeline.conduct(month, self.close_month);
        if self.is_line {
            self.maybe_cut(month, world, rng);
        }
        let line = self.state.step(month, conduct, self.occupied_fen(), rng);
        let plan_conduct = if conduct == Conduct::Close { Conduct::Close } else { conduct };
        let plans: Vec<(usize, MonthRecord)> = self
            .plans
            .iter_mut()
            .filter(|p| !p.ended)
            .map(|p| (p.acct, p.state.step(month, plan_conduct, rng)))
            .collect();
        let worst = plans.iter().map(|(_, m)| m.days_past_due).chain([line.days_past_due]).max().unwrap_or(0);
        if worst > CHARGE_OFF_DAYS {
            self.charge_off(month, line, plans, world, rng);
            return;
        }
        self.ended = line.closed_on.is_some();
        world.accounts[self.acct].push(line);
        for (acct, m) in plans {
            if m.closed_on.is_some()
                && let Some(p) = self.plans.iter_mut().find(|p| p.acct == acct)
            {
                p.ended = true;
            }
            world.accounts[acct].push(m);
        }
        if !self.ended {
            self.adjust_limit(world, rng);
            if self.is_line && matches!(conduct, Conduct::PayFull | Conduct::PayPartial) {
                self.maybe_open_plan(month, world, rng);
            }
        }
    }

    /// Ends the line (and its plans) as the product's charge-off says, selling the debt if so.
    fn charge_off(
        &mut self,
        month: YearMonth,
        line: MonthRecord,
        plans: Vec<(usize, MonthRecord)>,
        world: &mut World<'_, '_>,
        rng: &mut SimRng,
    ) {
        let how = self.params.charge_off;
        let debt_fen = line.balance_minor + plans.iter().map(|(_, m)| m.balance_minor).sum::<i64>();
        let first_due_on = self
            .plans
            .iter()
            .filter_map(|p| p.state.arrears().oldest_due_on())
            .chain(self.state.arrears().oldest_due_on())
            .min()
            .unwrap_or(month.first_day());
        let from_key = line.account_key.clone();
        world.accounts[self.acct].push(charge_off_record(line, how));
        for (acct, m) in plans {
            world.accounts[acct].push(charge_off_record(m, how));
        }
        self.ended = true;
        self.plans.iter_mut().for_each(|p| p.ended = true);
        if how == ChargeOff::Transfer {
            world.sell(SoldDebt { month, debt_fen, first_due_on, from_key, fraud: false }, rng);
        }
    }

    /// After [`LIMIT_RAISE_CLEAN_MONTHS`] months with nothing past due, the limit may rise, up to
    /// the product's cap for the person's income.
    fn adjust_limit(&mut self, world: &World<'_, '_>, rng: &mut SimRng) {
        let clean = self.state.arrears().is_empty() && self.plans.iter().all(|p| p.state.arrears().is_empty());
        self.clean_months = if clean { self.clean_months + 1 } else { 0 };
        if self.clean_months < LIMIT_RAISE_CLEAN_MONTHS || rng.random_range(0..100) >= LIMIT_RAISE_MONTHLY_PERCENT {
            return;
        }
        let p = self.params;
        let limit = self.state.limit_fen();
        let (low, high) = LIMIT_RAISE_PERCENT;
        let raised = round_down_fen(limit * (100 + rng.random_range(low..=high)) / 100, p.limit_step_fen);
        let cap = round_down_fen(world.holder.income_fen * p.limit_cap_income_percent / 100, p.limit_step_fen)
            .min(p.limit_max_fen);
        let new = raised.min(cap);
        if new > limit {
            self.state.set_limit(new);
            self.clean_months = 0;
        }
    }

    /// In the window's first December, young users' limits may be cut to 3,000 yuan (never below
    /// what they owe, rounded up to the limit step).
    fn maybe_cut(&mut self, month: YearMonth, world: &World<'_, '_>, rng: &mut SimRng) {
        let first_december = month.month() == YOUNG_CUT_MONTH && month.months_since(world.window.first) < 12;
        let limit = self.state.limit_fen();
        if !first_december
            || world.holder.age_on(month.first_day()) >= YOUNG_CUT_AGE_BELOW_YEARS
            || limit <= YOUNG_CUT_LIMIT_FEN
            || rng.random_range(0..100) >= YOUNG_CUT_PERCENT
        {
            return;
        }
        let owed = round_up_fen(self.state.balance_fen() + self.occupied_fen(), self.params.limit_step_fen);
        let new = YOUNG_CUT_LIMIT_FEN.max(owed);
        if new < limit {
            self.state.set_limit(new);
        }
    }

    /// Now and then a current line holder puts a large purchase on an instalment plan: an R4
    /// sub-account of the line, opened and reported this month.
    fn maybe_open_plan(&mut self, month: YearMonth, world: &mut World<'_, '_>, rng: &mut SimRng) {
        let open = self.plans.iter().filter(|p| !p.ended).count();
        if open >= PLANS_OPEN_MAX
            || !self.state.arrears().is_empty()
            || rng.random_range(0..100) >= PLAN_MONTHLY_PERCENT
        {
            return;
        }
        let limit = self.state.limit_fen();
        let available = limit - self.state.balance_fen() - self.occupied_fen();
        let (low, high) = PLAN_PRINCIPAL_LIMIT_BP;
        let wanted = limit * rng.random_range(low..=high) / BP_PER_UNIT;
        let principal_fen = round_down_fen(wanted.min(available), 100);
        if principal_fen < PLAN_MIN_FEN {
            return;
        }
        let (periods, fee_bp) =
            pick_weighted(&PLAN_TERMS.iter().map(|(n, fee, w)| ((*n, *fee), *w)).collect::<Vec<_>>(), rng);
        let first_day = if YearMonth::of(self.opened_on) == month { self.opened_on.day() } else { 1 };
        let opened_on = day_between(rng, month, first_day, 28);
        self.plans_opened += 1;
        let line_key = world.accounts[self.acct].account.account_key.clone();
        let key = format!("{line_key}P{:02}", self.plans_opened);
        let contract = ob_model::records::ContractTerms {
            loan_kind: Some(ob_model::LoanKind::OtherConsumer),
            guarantee: Some(ob_model::GuaranteeMode::Credit),
            maturity_on: Some(crate::account::maturity(opened_on, periods, self.due_day)),
            frequency: Some(ob_model::RepayFrequency::Monthly),
            method: Some(ob_model::RepaymentMethod::EqualInstalments),
        };
        let terms = Terms { periods: Some(periods), due_day: Some(self.due_day), contract };
        let mut account = world.holder.account_record(key.clone(), AccountType::R4, opened_on, principal_fen, terms);
        account.credit_line_key = Some(line_key);
        let first_reported = month.max(world.accounts[self.acct].first_reported);
        let acct = world.add(HUABEI, AccountOrigin::Own, None, account, first_reported);
        let mut state =
            Loan::new(key, plan_schedule(principal_fen, fee_bp, periods).into(), month, self.due_day).with_late_fee();
        world.accounts[acct].push(state.step(month, Conduct::PayFull, rng));
        self.plans.push(PlanUnit { acct, state, ended: false });
    }
}

impl LoanUnit {
    fn step(&mut self, month: YearMonth, world: &mut World<'_, '_>, rng: &mut SimRng) {
        if self.ended || month < self.start {
            return;
        }
        let conduct = match self.kind {
            LoanKind::Fraud => Conduct::Miss,
            LoanKind::Phantom { .. } => Conduct::PayFull,
            LoanKind::Own => world.holder.timeline.conduct(month, self.close_month),
        };
        let record = self.state.step(month, conduct, rng);
        if record.days_past_due > CHARGE_OFF_DAYS {
            let sold = SoldDebt {
                month,
                debt_fen: record.balance_minor,
                first_due_on: self.state.arrears().oldest_due_on().unwrap_or(month.first_day()),
                from_key: record.account_key.clone(),
                fraud: self.kind == LoanKind::Fraud,
            };
            world.accounts[self.acct].push(charge_off_record(record, self.charge_off));
            self.ended = true;
            if self.charge_off == ChargeOff::Transfer {
                world.sell(sold, rng);
            }
            return;
        }
        self.ended = record.closed_on.is_some()
            || matches!(self.kind, LoanKind::Phantom { last_reported } if month >= last_reported);
        world.accounts[self.acct].push(record);
    }
}

impl CollectionUnit {
    fn step(&mut self, month: YearMonth, world: &mut World<'_, '_>, rng: &mut SimRng) {
        if self.ended || month < self.start {
            return;
        }
        let debtor = if self.fraud { Debtor::Never } else { world.holder.timeline.debtor(month) };
        let record = self.state.step(month, debtor, rng);
        self.ended = record.closed_on.is_some();
        world.accounts[self.acct].push(record);
    }
}
