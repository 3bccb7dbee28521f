//! An amortizing instalment loan, simulated month by month.
//!
//! Instalment k of the schedule falls due on the due day of the k-th month after the opening
//! month. The reported balance is the principal of the instalments not yet due plus every unpaid
//! instalment (principal and interest). Loans charge no penalty interest; instalment plans of the
//! line charge a late fee of 0.05% a day on what is past due ([`daily_interest_fen`]), added to
//! the amount past due. A loan whose last instalment is paid, or that the borrower pays off,
//! closes that month; paying off early saves the interest (or fee) of the instalments not yet due.

use crate::SimRng;
use crate::arith::{Instalment, daily_interest_fen};
use crate::ledger::{Arrears, Conduct, MonthFigures, day_between};
use crate::params::NON_ACCRUAL_DAYS;
use ob_model::YearMonth;
use ob_model::records::MonthRecord;
use std::rc::Rc;
use time::Date;

/// The state of a loan between two settlement dates.
pub(crate) struct Loan {
    account_key: String,
    schedule: Rc<[Instalment]>,
    opened: YearMonth,
    due_day: u8,
    /// Index of the next instalment to fall due.
    next: usize,
    arrears: Arrears,
    last_payment_on: Option<Date>,
    principal_fen: i64,
    late_fee: bool,
}

impl Loan {
    /// A loan opened in month `opened` with its whole schedule ahead.
    pub(crate) fn new(account_key: String, schedule: Rc<[Instalment]>, opened: YearMonth, due_day: u8) -> Loan {
        let principal_fen = schedule.iter().map(|i| i.principal_fen).sum();
        Loan {
            account_key,
            schedule,
            opened,
            due_day,
            next: 0,
            arrears: Arrears::default(),
            last_payment_on: None,
            principal_fen,
            late_fee: false,
        }
    }

    /// The same loan charging late fees on what is past due (an instalment plan).
    pub(crate) fn with_late_fee(mut self) -> Loan {
        self.late_fee = true;
        self
    }

    /// What is past due.
    pub(crate) fn arrears(&self) -> &Arrears {
        &self.arrears
    }

    /// Principal of the instalments not yet due.
    pub(crate) fn future_principal_fen(&self) -> i64 {
        self.schedule.get(self.next..).map_or(0, |rest| rest.iter().map(|i| i.principal_fen).sum())
    }

    /// The late fee accrued over `month` on what was past due at its start.
    fn late_fee_fen(&self, month: YearMonth) -> i64 {
        let start = month.first_day();
        if !self.late_fee || self.arrears.is_empty() || self.arrears.days_past_due(start) > NON_ACCRUAL_DAYS {
            return 0;
        }
        daily_interest_fen(self.arrears.total_fen(), u32::from(month.last_day().day()))
    }

    /// Simulates one month and returns its record (status C with `closed_on` when it closed).
    pub(crate) fn step(&mut self, month: YearMonth, conduct: Conduct, rng: &mut SimRng) -> MonthRecord {
        let fee_fen = self.late_fee_fen(month);
        self.arrears.push(month.first_day(), fee_fen);
        let current_fen = self.instalment_due_in(month).map_or(0, |i| i.amount_fen());
        let due_fen = self.arrears.total_fen() + current_fen;
        let amount_fen = match conduct {
            Conduct::PayFull | Conduct::PayPartial | Conduct::Cure => due_fen,
            Conduct::Miss => 0,
            Conduct::Close => due_fen + self.future_principal_fen(),
        };
        let late = matches!(conduct, Conduct::Cure | Conduct::Close);
        let paid_on = (amount_fen > 0).then(|| day_between(rng, month, 1, if late { 28 } else { self.due_day }));
        let left_fen = self.arrears.pay(amount_fen);
        self.arrears.push(month.day(self.due_day), current_fen - left_fen.min(current_fen));
        if conduct == Conduct::Close {
            self.next = self.schedule.len();
        }
        self.last_payment_on = paid_on.or(self.last_payment_on);
        let balance_fen = self.future_principal_fen() + self.arrears.total_fen();
        let closed_on = (balance_fen == 0).then(|| paid_on.unwrap_or_else(|| month.day(self.due_day)));
        MonthFigures {
            account_key: &self.account_key,
            month,
            balance_fen,
            due_fen,
            paid_fen: amount_fen,
            arrears: &self.arrears,
            last_payment_on: self.last_payment_on,
            closed_on,
            credit_limit_fen: self.principal_fen,
        }
        .record()
    }

    /// The instalment falling due in `month`, if any; it is then no longer in the future.
    fn instalment_due_in(&mut self, month: YearMonth) -> Option<Instalment> {
        let period = usize::try_from(month.months_since(self.opened)).ok()?;
        if period == 0 || period != self.next + 1 {
            return None;
        }
        let instalment = self.schedule.get(self.next).copied()?;
        self.next += 1;
        Some(instalment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::amortization_schedule;
    use ob_model::RepaymentStatus;
    use rand::SeedableRng;

    fn month(s: &str) -> YearMonth {
        YearMonth::parse(s).expect("month")
    }

    #[test]
    fn a_missed_instalment_ages_then_the_cure_closes_the_loan() {
        let mut rng = SimRng::seed_from_u64(3);
        // 3,000 yuan at 12% over 3 months: instalments 1,020.06; principal 990.06, 999.97, 1,009.97.
        let schedule = amortization_schedule(300_000, 1_200, 3).into();
        let mut loan = Loan::new("XF1".into(), schedule, month("2024-01"), 9);
        let m = loan.step(month("2024-01"), Conduct::PayFull, &mut rng);
        assert_eq!((m.due_minor, m.balance_minor, m.status), (0, 300_000, RepaymentStatus::Normal));
        let m = loan.step(month("2024-02"), Conduct::PayFull, &mut rng);
        assert_eq!((m.due_minor, m.paid_minor, m.balance_minor), (102_006, 102_006, 99_997 + 100_997));
        let m = loan.step(month("2024-03"), Conduct::Miss, &mut rng);
        assert_eq!((m.balance_minor, m.past_due_minor), (100_997 + 102_006, 102_006));
        assert_eq!((m.days_past_due, m.status), (22, RepaymentStatus::Overdue1));
        let m = loan.step(month("2024-04"), Conduct::Cure, &mut rng);
        assert_eq!((m.due_minor, m.paid_minor, m.balance_minor), (204_012, 204_012, 0));
        assert_eq!(m.status, RepaymentStatus::Settled);
        assert_eq!(m.closed_on, m.last_payment_on);
        assert!(m.check().is_empty());
    }

    #[test]
    fn paying_off_early_closes_with_only_the_principal_left() {
        let mut rng = SimRng::seed_from_u64(4);
        let mut loan = Loan::new("XF2".into(), amortization_schedule(300_000, 1_200, 3).into(), month("2024-01"), 9);
        loan.step(month("2024-01"), Conduct::PayFull, &mut rng);
        let m = loan.step(month("2024-02"), Conduct::Close, &mut rng);
        // This month's instalment plus the principal of the two not yet due; no future interest.
        assert_eq!(
            (m.paid_minor, m.balance_minor, m.status),
            (102_006 + 99_997 + 100_997, 0, RepaymentStatus::Settled)
        );
    }
}
