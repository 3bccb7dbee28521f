//! Product arithmetic in integer fen. No floating point: every division rounds down (towards
//! zero for the non-negative amounts used here), in the borrower's favour, and the rule is stated
//! on each function.

use crate::params::{DAILY_INTEREST_BP, MIN_PAYMENT_PERCENT};

/// Basis points in a whole.
const BP_PER_UNIT: i128 = 10_000;
/// Months in a year, for monthly loan interest.
const MONTHS_PER_YEAR: i128 = 12;
/// Basis points of an annual rate per whole, times months in a year: the divisor of monthly interest.
const MONTHLY_DIVISOR: i64 = 120_000;

/// Converts a computed amount back to `i64`, saturating (amounts here are far below the bound).
fn to_fen(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The minimum payment of a bill: [`MIN_PAYMENT_PERCENT`] (10%) of it, rounded down to the fen,
/// and at least 1 fen of a non-empty bill so that a bill always asks for something.
/// A bill of 1,234.56 yuan (123,456 fen) has a minimum of 123.45 yuan (12,345 fen).
pub fn min_payment_fen(bill_fen: i64) -> i64 {
    if bill_fen <= 0 {
        return 0;
    }
    let share = i128::from(bill_fen) * i128::from(MIN_PAYMENT_PERCENT) / 100;
    to_fen(share).max(1)
}

/// Interest on `balance_fen` carried for `days` days at [`DAILY_INTEREST_BP`] (0.05%) a day,
/// simple interest, rounded down to the fen: `floor(balance × days × 5 / 10,000)`.
/// 1,000.00 yuan for 30 days costs 15.00 yuan.
pub fn daily_interest_fen(balance_fen: i64, days: u32) -> i64 {
    let balance = balance_fen.max(0);
    // The same quotient in 64 bits when the product fits (always, for simulated accounts).
    match balance.checked_mul(i64::from(days) * DAILY_INTEREST_BP) {
        Some(product) => product / 10_000,
        None => to_fen(i128::from(balance) * i128::from(days) * i128::from(DAILY_INTEREST_BP) / BP_PER_UNIT),
    }
}

/// One month's interest on a loan balance at an annual rate in basis points, rounded down:
/// `floor(balance × rate_bp / 120,000)`.
pub fn monthly_interest_fen(balance_fen: i64, annual_rate_bp: u32) -> i64 {
    let balance = balance_fen.max(0);
    // The same quotient in 64 bits when the product fits (always, for simulated loans): faster.
    match balance.checked_mul(i64::from(annual_rate_bp)) {
        Some(product) => product / MONTHLY_DIVISOR,
        None => to_fen(i128::from(balance) * i128::from(annual_rate_bp) / (BP_PER_UNIT * MONTHS_PER_YEAR)),
    }
}

/// One scheduled instalment of an amortizing loan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instalment {
    /// 1-based period number; period k falls due k months after the opening month.
    pub period: u16,
    /// Principal repaid by this instalment.
    pub principal_fen: i64,
    /// Interest paid by this instalment.
    pub interest_fen: i64,
}

impl Instalment {
    /// The amount due: principal plus interest.
    pub fn amount_fen(&self) -> i64 {
        self.principal_fen + self.interest_fen
    }
}

/// The balance left after `periods` level payments of `payment_fen`, each paying the month's
/// interest first and the rest off the principal (never more than is owed).
fn balance_after_fen(principal_fen: i64, annual_rate_bp: u32, periods: u16, payment_fen: i64) -> i64 {
    let mut balance = principal_fen;
    for _ in 0..periods {
        let interest = monthly_interest_fen(balance, annual_rate_bp);
        balance -= (payment_fen - interest).clamp(0, balance);
    }
    balance
}

/// The level instalment (等额本息) of a loan: the smallest whole-fen payment that repays the
/// principal within `periods` months when each month's interest is [`monthly_interest_fen`] of
/// the remaining balance. Found by binary search over fen, so it is exact integer arithmetic and
/// within a fen of the annuity formula `P·i / (1 − (1+i)^−n)`. The formula, in floating point,
/// only narrows the search: the bracket it gives is checked in integers, and the whole range is
/// searched when the check fails, so the result never depends on floating point.
pub fn level_instalment_fen(principal_fen: i64, annual_rate_bp: u32, periods: u16) -> i64 {
    if principal_fen <= 0 || periods == 0 {
        return 0;
    }
    let repays = |payment: i64| balance_after_fen(principal_fen, annual_rate_bp, periods, payment) == 0;
    let mut low = principal_fen.div_euclid(i64::from(periods));
    let mut high = principal_fen + monthly_interest_fen(principal_fen, annual_rate_bp);
    let estimate = annuity_estimate_fen(principal_fen, annual_rate_bp, periods);
    let (near_low, near_high) = (estimate - ESTIMATE_MARGIN_FEN, estimate + ESTIMATE_MARGIN_FEN);
    if low < near_low && near_high < high && !repays(near_low) && repays(near_high) {
        (low, high) = (near_low + 1, near_high);
    }
    while low < high {
        let mid = low + (high - low) / 2;
        if balance_after_fen(principal_fen, annual_rate_bp, periods, mid) == 0 {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Half the width of the bracket the annuity estimate gives, fen: far above the formula's
/// rounding error, so the bracket almost always holds the answer.
const ESTIMATE_MARGIN_FEN: i64 = 500;

/// The annuity formula `P·i / (1 − (1+i)^−n)` in floating point, rounded to the fen: a hint.
fn annuity_estimate_fen(principal_fen: i64, annual_rate_bp: u32, periods: u16) -> i64 {
    let rate = f64::from(annual_rate_bp) / MONTHLY_DIVISOR as f64;
    let principal = principal_fen as f64;
    let payment = if rate == 0.0 {
        principal / f64::from(periods)
    } else {
        principal * rate / (1.0 - (1.0 + rate).powi(-i32::from(periods)))
    };
    payment.round() as i64
}

/// The fee of an instalment plan: `floor(principal × fee_bp / 10,000)`.
/// 1,000.00 yuan over 3 months at 2.5% costs 25.00 yuan.
pub fn plan_fee_fen(principal_fen: i64, fee_bp: i64) -> i64 {
    to_fen(i128::from(principal_fen.max(0)) * i128::from(fee_bp.max(0)) / BP_PER_UNIT)
}

/// The schedule of an instalment plan (分期) of `periods` months: each instalment repays
/// `floor(principal / periods)` and `floor(fee / periods)`, and the last one also the remainders,
/// so the instalments sum to exactly the principal plus [`plan_fee_fen`]. The fee is carried in
/// [`Instalment::interest_fen`].
/// 1,000.00 yuan over 3 months at 2.5%: 341.66, 341.66 and 341.68 yuan.
pub fn plan_schedule(principal_fen: i64, fee_bp: i64, periods: u16) -> Vec<Instalment> {
    let n = i64::from(periods.max(1));
    let principal = principal_fen.max(0);
    let fee = plan_fee_fen(principal, fee_bp);
    (1..=periods.max(1))
        .map(|period| {
            let last = i64::from(period) == n;
            let principal_fen = principal / n + if last { principal % n } else { 0 };
            let interest_fen = fee / n + if last { fee % n } else { 0 };
            Instalment { period, principal_fen, interest_fen }
        })
        .collect()
}

/// `amount_fen` rounded down to a whole multiple of `step_fen` (a step of 0 or less leaves it).
pub fn round_down_fen(amount_fen: i64, step_fen: i64) -> i64 {
    if step_fen <= 0 { amount_fen } else { amount_fen.div_euclid(step_fen) * step_fen }
}

/// `amount_fen` rounded up to a whole multiple of `step_fen` (a step of 0 or less leaves it).
pub fn round_up_fen(amount_fen: i64, step_fen: i64) -> i64 {
    if step_fen <= 0 { amount_fen } else { -round_down_fen(-amount_fen, step_fen) }
}

/// `share` percent of `amount_fen`, rounded down: `floor(amount × share / 100)`.
pub fn percent_of_fen(amount_fen: i64, share: i64) -> i64 {
    to_fen((i128::from(amount_fen) * i128::from(share)).div_euclid(100))
}

/// The whole schedule of a level-instalment loan. Every instalment but the last is the level
/// instalment; the last repays exactly what remains, so the balance closes at zero and the
/// instalments sum to the principal plus the interest.
pub fn amortization_schedule(principal_fen: i64, annual_rate_bp: u32, periods: u16) -> Vec<Instalment> {
    let payment = level_instalment_fen(principal_fen, annual_rate_bp, periods);
    let mut balance = principal_fen.max(0);
    let mut schedule = Vec::with_capacity(usize::from(periods));
    for period in 1..=periods {
        let interest_fen = monthly_interest_fen(balance, annual_rate_bp);
        let principal = if period == periods { balance } else { (payment - interest_fen).clamp(0, balance) };
        balance -= principal;
        schedule.push(Instalment { period, principal_fen: principal, interest_fen });
    }
    schedule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_payment_rounds_down() {
        assert_eq!(min_payment_fen(123_456), 12_345);
        assert_eq!(min_payment_fen(9), 1);
        assert_eq!(min_payment_fen(0), 0);
    }

    /// The plain binary search over the whole range, without the estimate's bracket.
    fn full_search(principal_fen: i64, rate_bp: u32, periods: u16) -> i64 {
        let (mut low, mut high) = (principal_fen / i64::from(periods), principal_fen + principal_fen);
        while low < high {
            let mid = low + (high - low) / 2;
            if balance_after_fen(principal_fen, rate_bp, periods, mid) == 0 { high = mid } else { low = mid + 1 }
        }
        low
    }

    #[test]
    fn the_estimate_never_changes_the_level_instalment() {
        for principal in [1, 99, 100_000, 1_234_567, 20_000_000, 500_000_000] {
            for rate in [0, 1, 390, 1_800, 2_399, 10_000] {
                for periods in [1, 3, 12, 36, 240, 360] {
                    let got = level_instalment_fen(principal, rate, periods);
                    assert_eq!(got, full_search(principal, rate, periods), "{principal} {rate} {periods}");
                }
            }
        }
    }

    #[test]
    fn balance_after_level_payment_is_zero() {
        let payment = level_instalment_fen(1_000_000, 1_200, 12);
        assert_eq!(balance_after_fen(1_000_000, 1_200, 12, payment), 0);
        assert!(balance_after_fen(1_000_000, 1_200, 12, payment - 1) > 0);
    }
}
