//! A revolving account (the Huabei-like line, the credit card), simulated month by month.
//!
//! The statement for month M is the balance on M's last day; it is issued on the 1st of M+1 and
//! falls due on the product's due day of M+1. Its minimum is 10% of the new part of the bill plus
//! everything already past due. A bill paid in full costs no interest; whatever is left of it
//! after this month's payment is charged [`daily_interest_fen`] for every day of the month (late
//! amounts cost the same 0.05% a day). An account with anything past due is frozen: no purchases.
//! Purchases never take what is owed on the account, plus what its instalment plans still occupy,
//! above the limit in force; the limit itself is changed from outside ([`Revolving::set_limit`]).

use crate::SimRng;
use crate::arith::{daily_interest_fen, min_payment_fen};
use crate::ledger::{Arrears, Conduct, MonthFigures, day_between};
use crate::params::{IDLE_MONTH_PERCENT, NON_ACCRUAL_DAYS, REVOLVER_EXTRA_PAID_PERCENT};
use ob_model::YearMonth;
use ob_model::records::MonthRecord;
use rand::RngExt;
use time::Date;

/// Basis points in a whole, for spending shares.
const BP_PER_UNIT: i64 = 10_000;

/// The state of a revolving account between two settlement dates.
pub(crate) struct Revolving {
    account_key: String,
    limit_fen: i64,
    due_day: u8,
    spend_bp: (i64, i64),
    balance_fen: i64,
    arrears: Arrears,
    last_payment_on: Option<Date>,
}

/// This month's payment: amount and date.
struct Payment {
    amount_fen: i64,
    paid_on: Option<Date>,
}

impl Revolving {
    /// A new account with nothing owed. `spend_bp` is the range of monthly purchases as basis
    /// points of the limit.
    pub(crate) fn new(account_key: String, limit_fen: i64, due_day: u8, spend_bp: (i64, i64)) -> Revolving {
        Revolving {
            account_key,
            limit_fen,
            due_day,
            spend_bp,
            balance_fen: 0,
            arrears: Arrears::default(),
            last_payment_on: None,
        }
    }

    /// The limit in force, fen.
    pub(crate) fn limit_fen(&self) -> i64 {
        self.limit_fen
    }

    /// Changes the limit from this month on.
    pub(crate) fn set_limit(&mut self, limit_fen: i64) {
        self.limit_fen = limit_fen;
    }

    /// What is owed on the account, fen.
    pub(crate) fn balance_fen(&self) -> i64 {
        self.balance_fen
    }

    /// What is past due.
    pub(crate) fn arrears(&self) -> &Arrears {
        &self.arrears
    }

    /// Simulates one month and returns its record (status C with `closed_on` when it closed).
    /// `occupied_fen` is the part of the limit taken by instalment plans.
    pub(crate) fn step(
        &mut self,
        month: YearMonth,
        conduct: Conduct,
        occupied_fen: i64,
        rng: &mut SimRng,
    ) -> MonthRecord {
        let bill_fen = self.balance_fen;
        let past_due_fen = self.arrears.total_fen();
        let current_min_fen = min_payment_fen(bill_fen - past_due_fen);
        let due_fen = past_due_fen + current_min_fen;
        let payment = self.payment(month, conduct, bill_fen, due_fen, rng);
        let left_fen = self.arrears.pay(payment.amount_fen);
        self.arrears.push(month.day(self.due_day), (current_min_fen - left_fen).max(0));
        let carried_fen = bill_fen - payment.amount_fen;
        let interest_fen = self.interest_fen(month, carried_fen);
        let closing = conduct == Conduct::Close;
        let frozen = closing || !self.arrears.is_empty();
        let owed_fen = carried_fen + interest_fen + occupied_fen;
        let purchases_fen = if frozen { 0 } else { self.purchases_fen(owed_fen, rng) };
        self.balance_fen = carried_fen + interest_fen + purchases_fen;
        self.last_payment_on = payment.paid_on.or(self.last_payment_on);
        let closed_on = closing.then(|| payment.paid_on.unwrap_or_else(|| day_between(rng, month, 1, 28)));
        MonthFigures {
            account_key: &self.account_key,
            month,
            balance_fen: self.balance_fen,
            due_fen,
            paid_fen: payment.amount_fen,
            arrears: &self.arrears,
            last_payment_on: self.last_payment_on,
            closed_on,
            credit_limit_fen: self.limit_fen,
        }
        .record()
    }

    /// How much the person pays this month, and when.
    fn payment(&self, month: YearMonth, conduct: Conduct, bill_fen: i64, due_fen: i64, rng: &mut SimRng) -> Payment {
        let amount_fen = match conduct {
            Conduct::PayFull | Conduct::Close => bill_fen,
            Conduct::PayPartial => due_fen + revolver_extra_fen(bill_fen - due_fen, rng),
            Conduct::Miss => 0,
            Conduct::Cure => due_fen,
        };
        if amount_fen == 0 {
            return Payment { amount_fen, paid_on: None };
        }
        let last_day = if conduct == Conduct::Cure { 28 } else { self.due_day };
        Payment { amount_fen, paid_on: Some(day_between(rng, month, 1, last_day)) }
    }

    /// Interest for the month on what is left of the bill, unless the account is non-accruing.
    fn interest_fen(&self, month: YearMonth, carried_fen: i64) -> i64 {
        let settled_on = month.last_day();
        if carried_fen <= 0 || self.arrears.days_past_due(settled_on) > NON_ACCRUAL_DAYS {
            return 0;
        }
        daily_interest_fen(carried_fen, u32::from(settled_on.day()))
    }

    /// Purchases this month: nothing in an idle month, otherwise a share of the limit, never
    /// taking what is owed above the limit.
    fn purchases_fen(&self, owed_fen: i64, rng: &mut SimRng) -> i64 {
        if rng.random_range(0..100) < IDLE_MONTH_PERCENT {
            return 0;
        }
        let low_fen = self.limit_fen * self.spend_bp.0 / BP_PER_UNIT;
        let high_fen = (self.limit_fen * self.spend_bp.1 / BP_PER_UNIT).max(low_fen);
        rng.random_range(low_fen..=high_fen).min((self.limit_fen - owed_fen).max(0))
    }
}

/// What a revolver pays above the minimum: a share of the rest of the bill.
fn revolver_extra_fen(rest_fen: i64, rng: &mut SimRng) -> i64 {
    let (low, high) = REVOLVER_EXTRA_PAID_PERCENT;
    rest_fen.max(0) * rng.random_range(low..=high) / 100
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::RepaymentStatus;
    use rand::SeedableRng;

    fn month(s: &str) -> YearMonth {
        YearMonth::parse(s).expect("month")
    }

    /// A 10,000-yuan line due on the 9th with a bill of 1,234.56 yuan outstanding.
    fn line_with_bill() -> Revolving {
        let mut line = Revolving::new("HB1".into(), 1_000_000, 9, (1_000, 1_000));
        line.balance_fen = 123_456;
        line
    }

    #[test]
    fn missed_bills_age_and_accrue_interest_then_cure() {
        let mut rng = SimRng::seed_from_u64(1);
        let mut line = line_with_bill();
        // March: minimum 123.45 missed; 31 days of interest on 1,234.56 = 19.13; frozen.
        let m = line.step(month("2024-03"), Conduct::Miss, 0, &mut rng);
        assert_eq!((m.due_minor, m.paid_minor, m.past_due_minor), (12_345, 0, 12_345));
        assert_eq!((m.balance_minor, m.days_past_due, m.status), (125_369, 22, RepaymentStatus::Overdue1));
        // April: new minimum 10% of (1,253.69 − 123.45) = 113.02; interest 30 days on 1,253.69 = 18.80.
        let m = line.step(month("2024-04"), Conduct::Miss, 0, &mut rng);
        assert_eq!((m.due_minor, m.past_due_minor), (12_345 + 11_302, 23_647));
        assert_eq!((m.balance_minor, m.days_past_due, m.status), (127_249, 52, RepaymentStatus::Overdue2));
        // May: pays everything past due plus the new minimum 10% of (1,272.49 − 236.47) = 103.60.
        let m = line.step(month("2024-05"), Conduct::Cure, 0, &mut rng);
        assert_eq!((m.due_minor, m.paid_minor, m.past_due_minor, m.days_past_due), (34_007, 34_007, 0, 0));
        assert_eq!(m.status, RepaymentStatus::Normal);
        // Carried 1,272.49 − 340.07 = 932.42, plus 31 days of interest 14.45, plus purchases.
        assert!([93_242 + 1_445, 93_242 + 1_445 + 100_000].contains(&m.balance_minor), "{}", m.balance_minor);
        assert!(m.check().is_empty());
    }

    #[test]
    fn full_payment_costs_no_interest_and_closing_zeroes_the_balance() {
        let mut rng = SimRng::seed_from_u64(2);
        let mut line = line_with_bill();
        let m = line.step(month("2024-03"), Conduct::PayFull, 0, &mut rng);
        assert_eq!((m.due_minor, m.paid_minor), (12_345, 123_456));
        assert!(m.balance_minor == 0 || m.balance_minor == 100_000, "only this month's purchases remain");
        assert!(m.last_payment_on.is_some_and(|d| d.day() <= 9));
        let bill = m.balance_minor;
        let m = line.step(month("2024-04"), Conduct::Close, 0, &mut rng);
        assert_eq!((m.paid_minor, m.balance_minor, m.status), (bill, 0, RepaymentStatus::Settled));
        assert!(m.closed_on.is_some() && m.check().is_empty());
    }
}
