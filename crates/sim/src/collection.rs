//! A debt bought by the collector (C1, 被追偿), simulated month by month.
//!
//! The whole debt is past due from the start: its days past due run on from the original
//! account's oldest unpaid due date, so every month before it is repaid has status 7. A debtor
//! whose trouble is over repays it in [`RECOVERY_INSTALMENTS`] monthly instalments, and the
//! account closes with `C` at zero; a debtor still in trouble may settle for part of it
//! ([`SETTLEMENT_MONTHLY_PERCENT`] of months), and the account ends with `G` at zero (the rest
//! forgiven); a fraud victim pays nothing, ever.

use crate::SimRng;
use crate::arith::percent_of_fen;
use crate::ledger::day_between;
use crate::params::{RECOVERY_INSTALMENTS, SETTLEMENT_MONTHLY_PERCENT, SETTLEMENT_PAID_PERCENT};
use ob_model::records::MonthRecord;
use ob_model::{Classification, RepaymentStatus, YearMonth};
use rand::RngExt;
use time::Date;

/// Whether the debtor can pay the collector this month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Debtor {
    /// Still in trouble: may settle for part of the debt.
    InTrouble,
    /// Trouble over: repays in instalments.
    Recovered,
    /// Never pays (the debt is a fraud in their name).
    Never,
}

/// The state of a bought debt.
pub(crate) struct Collection {
    account_key: String,
    acquired_fen: i64,
    owed_fen: i64,
    /// The original account's oldest unpaid due date.
    first_due_on: Date,
    /// The day the debt was bought: no payment reaches the collector before it.
    opened_on: Date,
    last_payment_on: Option<Date>,
}

impl Collection {
    /// A debt of `acquired_fen`, bought on `opened_on`, whose oldest unpaid instalment fell due on
    /// `first_due_on`.
    pub(crate) fn new(account_key: String, acquired_fen: i64, first_due_on: Date, opened_on: Date) -> Collection {
        Collection { account_key, acquired_fen, owed_fen: acquired_fen, first_due_on, opened_on, last_payment_on: None }
    }

    /// Simulates one month and returns its record (C or G, with `closed_on`, when it ends).
    pub(crate) fn step(&mut self, month: YearMonth, debtor: Debtor, rng: &mut SimRng) -> MonthRecord {
        let owed_before = self.owed_fen;
        let (paid_fen, settled) = self.payment(debtor, rng);
        self.owed_fen -= paid_fen;
        let first_day = if YearMonth::of(self.opened_on) == month { self.opened_on.day() } else { 1 };
        let paid_on = (paid_fen > 0).then(|| day_between(rng, month, first_day, 28));
        self.last_payment_on = paid_on.or(self.last_payment_on);
        let settled_on = month.last_day();
        let ended = self.owed_fen == 0 || settled;
        if settled {
            self.owed_fen = 0;
        }
        let days_past_due =
            if ended { 0 } else { u32::try_from((settled_on - self.first_due_on).whole_days()).unwrap_or(0) };
        let status = match (ended, settled) {
            (true, true) => RepaymentStatus::EndedOther,
            (true, false) => RepaymentStatus::Settled,
            (false, _) => RepaymentStatus::from_days_past_due(days_past_due),
        };
        MonthRecord {
            account_key: self.account_key.clone(),
            month,
            settled_on,
            balance_minor: self.owed_fen,
            used_minor: self.owed_fen,
            due_minor: owed_before,
            paid_minor: paid_fen,
            past_due_minor: self.owed_fen,
            days_past_due,
            status,
            class5: Some(Classification::Loss),
            last_payment_on: self.last_payment_on,
            closed_on: ended.then(|| paid_on.unwrap_or(settled_on)),
            credit_limit_minor: Some(self.acquired_fen),
            detail: Default::default(),
        }
    }

    /// What the debtor pays this month, and whether it settles the debt for less.
    fn payment(&self, debtor: Debtor, rng: &mut SimRng) -> (i64, bool) {
        match debtor {
            Debtor::Never => (0, false),
            Debtor::Recovered => {
                let instalment = (self.acquired_fen + RECOVERY_INSTALMENTS - 1) / RECOVERY_INSTALMENTS;
                (instalment.min(self.owed_fen), false)
            }
            Debtor::InTrouble => {
                if rng.random_range(0..100) >= SETTLEMENT_MONTHLY_PERCENT {
                    return (0, false);
                }
                let (low, high) = SETTLEMENT_PAID_PERCENT;
                (percent_of_fen(self.owed_fen, rng.random_range(low..=high)).max(1), true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use time::macros::date;

    fn month(s: &str) -> YearMonth {
        YearMonth::parse(s).expect("month")
    }

    #[test]
    fn a_recovered_debtor_repays_in_six_instalments_then_it_closes() {
        let mut rng = SimRng::seed_from_u64(5);
        let mut c = Collection::new("HX1".into(), 600_001, date!(2024 - 01 - 09), date!(2024 - 09 - 03));
        let m = c.step(month("2024-09"), Debtor::InTrouble, &mut rng);
        assert!(m.status == RepaymentStatus::Overdue7 || m.status == RepaymentStatus::EndedOther);
        let mut c = Collection::new("HX2".into(), 600_001, date!(2024 - 01 - 09), date!(2024 - 09 - 03));
        let mut months = Vec::new();
        for i in 0..6 {
            months.push(c.step(month("2024-09").plus(i), Debtor::Recovered, &mut rng));
        }
        assert!(months.iter().all(|m| m.check().is_empty()));
        assert_eq!(months[0].paid_minor, 100_001, "ceil(600,001 / 6)");
        assert_eq!((months[0].days_past_due, months[0].status), (265, RepaymentStatus::Overdue7));
        assert_eq!(months.iter().map(|m| m.paid_minor).sum::<i64>(), 600_001);
        let last = &months[5];
        assert_eq!((last.status, last.balance_minor, last.days_past_due), (RepaymentStatus::Settled, 0, 0));
        assert!(last.closed_on.is_some());
    }
}
