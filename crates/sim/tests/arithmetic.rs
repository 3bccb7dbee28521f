//! Hand-computed checks of the product arithmetic.

use ob_sim::arith::{
    amortization_schedule, daily_interest_fen, level_instalment_fen, min_payment_fen, monthly_interest_fen,
};

#[test]
fn minimum_payment_is_ten_percent_rounded_down() {
    // 1,234.56 yuan → 123.456 → 123.45 yuan.
    assert_eq!(min_payment_fen(123_456), 12_345);
    // 1,000.00 yuan → exactly 100.00 yuan.
    assert_eq!(min_payment_fen(100_000), 10_000);
    // 0.19 yuan → 0.019 → rounds down to 0.01, the 1-fen floor.
    assert_eq!(min_payment_fen(19), 1);
    assert_eq!(min_payment_fen(0), 0);
    assert_eq!(min_payment_fen(-5), 0);
}

#[test]
fn daily_interest_is_five_basis_points_a_day_rounded_down() {
    // 1,000.00 yuan × 0.05% × 30 days = 15.00 yuan.
    assert_eq!(daily_interest_fen(100_000, 30), 1_500);
    // 1,234.56 yuan × 0.05% × 31 days = 19.13568 → 19.13 yuan.
    assert_eq!(daily_interest_fen(123_456, 31), 1_913);
    assert_eq!(daily_interest_fen(100_000, 0), 0);
    assert_eq!(daily_interest_fen(-100, 30), 0);
}

#[test]
fn monthly_loan_interest_is_a_twelfth_of_the_annual_rate() {
    // 10,000.00 yuan at 12% a year: 100.00 yuan a month.
    assert_eq!(monthly_interest_fen(1_000_000, 1_200), 10_000);
    // 10,000.00 yuan at 18%: 150.00 yuan.
    assert_eq!(monthly_interest_fen(1_000_000, 1_800), 15_000);
}

#[test]
fn level_instalment_matches_the_annuity_formula() {
    // 10,000 yuan, 12% a year, 12 months: the annuity formula gives 888.4879 yuan.
    let payment = level_instalment_fen(1_000_000, 1_200, 12);
    assert!((88_848..=88_849).contains(&payment), "{payment}");
    // 0% for 12 months: 833.34 yuan (833.33 would leave 4 fen).
    assert_eq!(level_instalment_fen(1_000_000, 0, 12), 83_334);
}

#[test]
fn schedules_repay_principal_plus_interest_and_close_at_zero() {
    for (principal_fen, rate_bp, periods) in [
        (1_000_000, 1_200, 12),
        (300_000, 1_800, 24),
        (10_000_000, 1_800, 36),
        (1_234_567, 2_399, 12),
        (500_000, 0, 24),
    ] {
        let schedule = amortization_schedule(principal_fen, rate_bp, periods);
        assert_eq!(schedule.len(), usize::from(periods));
        let payment = level_instalment_fen(principal_fen, rate_bp, periods);
        let paid: i64 = schedule.iter().map(|i| i.amount_fen()).sum();
        let interest: i64 = schedule.iter().map(|i| i.interest_fen).sum();
        let principal: i64 = schedule.iter().map(|i| i.principal_fen).sum();
        assert_eq!(principal, principal_fen, "principal repaid exactly");
        assert_eq!(paid, principal_fen + interest, "instalments = principal + interest");
        let mut balance = principal_fen;
        for (k, i) in schedule.iter().enumerate() {
            assert_eq!(i.interest_fen, monthly_interest_fen(balance, rate_bp), "period {}", k + 1);
            assert!(i.principal_fen > 0, "period {} repays principal", k + 1);
            if k + 1 < schedule.len() {
                assert_eq!(i.amount_fen(), payment, "level instalment in period {}", k + 1);
            }
            balance -= i.principal_fen;
        }
        assert_eq!(balance, 0, "last instalment closes the balance");
        let last = schedule[schedule.len() - 1].amount_fen();
        assert!(last <= payment && last > 0, "last instalment {last} vs level {payment}");
    }
}

#[test]
fn hand_computed_three_month_schedule() {
    // 3,000.00 yuan at 12% a year (1% a month) over 3 months. The annuity formula gives
    // 1,020.0663 yuan; with interest rounded down each month, 1,020.06 already repays it:
    //   period 1: interest 30.00 (1% of 3,000.00), principal 990.06, balance 2,009.94
    //   period 2: interest 20.09 (20.0994 rounded down), principal 999.97, balance 1,009.97
    //   period 3: interest 10.09 (10.0997 rounded down), principal 1,009.97, balance 0
    assert_eq!(level_instalment_fen(300_000, 1_200, 3), 102_006);
    let s = amortization_schedule(300_000, 1_200, 3);
    let rows: Vec<(i64, i64)> = s.iter().map(|i| (i.interest_fen, i.principal_fen)).collect();
    assert_eq!(rows, [(3_000, 99_006), (2_009, 99_997), (1_009, 100_997)]);
    assert_eq!(s[2].amount_fen(), 102_006);
}
