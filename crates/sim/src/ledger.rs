//! What revolving accounts and loans share: amounts past due with their due dates, and the month
//! record built from an account's state at the settlement date.

use crate::SimRng;
use crate::params::ChargeOff;
use ob_model::records::MonthRecord;
use ob_model::{Classification, RepaymentStatus, YearMonth};
use rand::RngExt;
use std::collections::VecDeque;
use time::Date;

/// What the person does about an account in one month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Conduct {
    /// Pays the whole bill (revolving) or the instalment (loan) by the due date.
    PayFull,
    /// Pays at least the minimum but not the whole bill by the due date (loans: the instalment).
    PayPartial,
    /// Pays nothing.
    Miss,
    /// Pays everything past due plus this month's amount due.
    Cure,
    /// Pays everything owed and closes the account.
    Close,
}

/// Unpaid amounts that fell due, oldest first.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arrears {
    items: VecDeque<(Date, i64)>,
}

impl Arrears {
    /// Total past due.
    pub(crate) fn total_fen(&self) -> i64 {
        self.items.iter().map(|(_, fen)| fen).sum()
    }

    /// Records an unpaid amount that fell due on `due_on`.
    pub(crate) fn push(&mut self, due_on: Date, amount_fen: i64) {
        if amount_fen > 0 {
            self.items.push_back((due_on, amount_fen));
        }
    }

    /// Applies a payment to the oldest amounts first; returns what is left of the payment.
    pub(crate) fn pay(&mut self, mut payment_fen: i64) -> i64 {
        while payment_fen > 0 {
            let Some(front) = self.items.front_mut() else { break };
            let applied = payment_fen.min(front.1);
            front.1 -= applied;
            payment_fen -= applied;
            if front.1 == 0 {
                self.items.pop_front();
            }
        }
        payment_fen
    }

    /// Whether nothing is past due.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The earliest unpaid due date, if anything is past due.
    pub(crate) fn oldest_due_on(&self) -> Option<Date> {
        self.items.front().map(|(due_on, _)| *due_on)
    }

    /// Days from the earliest unpaid due date to `on` (0 when nothing is past due).
    pub(crate) fn days_past_due(&self, on: Date) -> u32 {
        self.items.front().map(|(due_on, _)| u32::try_from((on - *due_on).whole_days()).unwrap_or(0)).unwrap_or(0)
    }
}

/// A uniformly drawn day of `month` between `first_day` and `last_day` (clamped to the month).
pub(crate) fn day_between(rng: &mut SimRng, month: YearMonth, first_day: u8, last_day: u8) -> Date {
    let last = last_day.max(first_day);
    month.day(rng.random_range(first_day..=last))
}

/// The five-level classification implied by days past due: normal when current, special mention
/// up to 90 days, substandard to 180, doubtful to 360, loss beyond (the regulators' floor).
pub(crate) fn class5(days_past_due: u32) -> Classification {
    match days_past_due {
        0 => Classification::Normal,
        1..=90 => Classification::SpecialMention,
        91..=180 => Classification::Substandard,
        181..=360 => Classification::Doubtful,
        _ => Classification::Loss,
    }
}

/// The status symbol: C when closed, 1–7 by days past due, `*` when nothing was due and nothing
/// is owed, N otherwise.
fn status(closed: bool, days_past_due: u32, due_fen: i64, balance_fen: i64) -> RepaymentStatus {
    if closed {
        RepaymentStatus::Settled
    } else if days_past_due > 0 {
        RepaymentStatus::from_days_past_due(days_past_due)
    } else if due_fen == 0 && balance_fen == 0 {
        RepaymentStatus::NothingDue
    } else {
        RepaymentStatus::Normal
    }
}

/// An account's figures for one month, before they become a record.
pub(crate) struct MonthFigures<'a> {
    /// Account key.
    pub(crate) account_key: &'a str,
    /// Month reported.
    pub(crate) month: YearMonth,
    /// Balance (and used amount) at the settlement date.
    pub(crate) balance_fen: i64,
    /// Amount due this month.
    pub(crate) due_fen: i64,
    /// Amount paid this month.
    pub(crate) paid_fen: i64,
    /// Past-due amounts at the settlement date.
    pub(crate) arrears: &'a Arrears,
    /// Date of the last payment ever received.
    pub(crate) last_payment_on: Option<Date>,
    /// Closing date when the account closed this month.
    pub(crate) closed_on: Option<Date>,
    /// The credit limit in force (revolving) or the principal (loans), fen. Always set here;
    /// whether the record carries it is decided when the account's months are finished.
    pub(crate) credit_limit_fen: i64,
}

impl MonthFigures<'_> {
    /// The month record, settled on the last day of the month.
    pub(crate) fn record(&self) -> MonthRecord {
        let settled_on = self.month.last_day();
        let days_past_due = self.arrears.days_past_due(settled_on);
        MonthRecord {
            account_key: self.account_key.to_owned(),
            month: self.month,
            settled_on,
            balance_minor: self.balance_fen,
            used_minor: self.balance_fen,
            due_minor: self.due_fen,
            paid_minor: self.paid_fen,
            past_due_minor: self.arrears.total_fen(),
            days_past_due,
            status: status(self.closed_on.is_some(), days_past_due, self.due_fen, self.balance_fen),
            class5: Some(class5(days_past_due)),
            last_payment_on: self.last_payment_on,
            closed_on: self.closed_on,
            credit_limit_minor: Some(self.credit_limit_fen),
            detail: Default::default(),
        }
    }
}

/// Turns a month's record into the account's last one after a charge-off: `G` at a zero balance
/// (sold: the debt moves to the collector), `B` with the balance still owed (bad debt kept by the
/// bank), or `Z` at a zero balance (repaid by the sale of the home). Closing only with `G`, the
/// one status of the three that ends an account in the format (`closed_on` needs C or G).
pub(crate) fn charge_off_record(mut m: MonthRecord, how: ChargeOff) -> MonthRecord {
    m.status = how.status();
    m.class5 = Some(Classification::Loss);
    match how {
        ChargeOff::Transfer | ChargeOff::Foreclosure => {
            if how == ChargeOff::Foreclosure {
                m.paid_minor += m.balance_minor;
                m.last_payment_on = Some(m.settled_on);
            }
            m.balance_minor = 0;
            m.used_minor = 0;
            m.past_due_minor = 0;
            m.days_past_due = 0;
            m.closed_on = (how == ChargeOff::Transfer).then_some(m.settled_on);
        }
        ChargeOff::BadDebt => m.closed_on = None,
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn payments_go_to_the_oldest_arrears_first() {
        let mut a = Arrears::default();
        a.push(date!(2024 - 01 - 09), 100);
        a.push(date!(2024 - 02 - 09), 50);
        assert_eq!(a.days_past_due(date!(2024 - 02 - 29)), 51);
        assert_eq!(a.pay(120), 0);
        assert_eq!(a.total_fen(), 30);
        assert_eq!(a.days_past_due(date!(2024 - 02 - 29)), 20);
        assert_eq!(a.pay(40), 10);
        assert!(a.is_empty());
    }
}
