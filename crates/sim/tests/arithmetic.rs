//! Hand-computed checks of the product arithmetic.

use ob_sim::arith::{
    amortization_schedule, daily_interest_fen, level_instalment_fen, min_payment_fen, monthly_interest_fen,
    plan_fee_fen, plan_schedule, round_down_fen, round_up_fen,
};
use ob_sim::params::PLAN_TERMS;

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

#[test]
fn hand_computed_mortgage_schedule() {
    // 1,000,000.00 yuan at 3.6% a year (0.3% a month) over 30 years. The annuity formula gives
    // 1,000,000 × 0.003 / (1 − 1.003^−360) = 4,546.4535 yuan; with each month's interest rounded
    // down, 4,546.45 repays it (and 4,546.44 does not):
    //   period 1: interest 3,000.00, principal 1,546.45, balance 998,453.55
    //   period 2: interest 2,995.36 (2,995.36065 rounded down), principal 1,551.09
    //   period 360: interest 13.59, principal 4,531.74: the last instalment is 4,545.33
    // and the borrower pays 636,720.88 yuan of interest in all.
    assert_eq!(level_instalment_fen(100_000_000, 360, 360), 454_645);
    let s = amortization_schedule(100_000_000, 360, 360);
    assert_eq!(s.len(), 360);
    assert_eq!((s[0].interest_fen, s[0].principal_fen), (300_000, 154_645));
    assert_eq!((s[1].interest_fen, s[1].principal_fen), (299_536, 155_109));
    assert_eq!((s[359].interest_fen, s[359].principal_fen, s[359].amount_fen()), (1_359, 453_174, 454_533));
    assert_eq!(s.iter().map(|i| i.interest_fen).sum::<i64>(), 63_672_088);
    assert_eq!(s.iter().map(|i| i.principal_fen).sum::<i64>(), 100_000_000);
    assert!(s[..359].iter().all(|i| i.amount_fen() == 454_645));
}

#[test]
fn hand_computed_instalment_plans() {
    // 1,000.00 yuan over 3 months at 2.5%: a fee of 25.00 yuan; principal 333.33, 333.33 and
    // 333.34 (the remainder last), fee 8.33, 8.33 and 8.34: 341.66 + 341.66 + 341.68 = 1,025.00.
    assert_eq!(plan_fee_fen(100_000, 250), 2_500);
    let rows: Vec<(i64, i64)> =
        plan_schedule(100_000, 250, 3).iter().map(|i| (i.principal_fen, i.interest_fen)).collect();
    assert_eq!(rows, [(33_333, 833), (33_333, 833), (33_334, 834)]);
    // 5,000.00 yuan over 12 months at 8.8%: a fee of 440.00; eleven instalments of
    // 416.66 + 36.66 = 453.32 and a last one of 416.74 + 36.74 = 453.48, 5,440.00 in all.
    let s = plan_schedule(500_000, 880, 12);
    assert!(s[..11].iter().all(|i| (i.principal_fen, i.interest_fen) == (41_666, 3_666)));
    assert_eq!((s[11].principal_fen, s[11].interest_fen), (41_674, 3_674));
    assert_eq!(s.iter().map(|i| i.amount_fen()).sum::<i64>(), 544_000);
}

#[test]
fn every_plan_term_sums_to_principal_plus_its_fee() {
    for (periods, fee_bp, _) in PLAN_TERMS {
        for principal in [10_000, 12_345, 99_999, 1_000_000, 2_345_678] {
            let s = plan_schedule(principal, *fee_bp, *periods);
            assert_eq!(s.len(), usize::from(*periods));
            let fee = principal * fee_bp / 10_000;
            assert_eq!(s.iter().map(|i| i.principal_fen).sum::<i64>(), principal);
            assert_eq!(s.iter().map(|i| i.interest_fen).sum::<i64>(), fee);
            assert_eq!(s.iter().map(|i| i.amount_fen()).sum::<i64>(), principal + plan_fee_fen(principal, *fee_bp));
            let first = s[0].amount_fen();
            assert!(s.iter().all(|i| i.amount_fen() >= first && i.amount_fen() - first < i64::from(*periods) * 2));
        }
    }
    // The fees quoted for Huabei: 2.5%, 4.5%, 6.5%, 8.8% for 3, 6, 9, 12 months.
    let terms: Vec<(u16, i64)> = PLAN_TERMS.iter().map(|(n, fee, _)| (*n, *fee)).collect();
    assert_eq!(terms, [(3, 250), (6, 450), (9, 650), (12, 880)]);
}

#[test]
fn a_statement_minimum_is_ten_percent_of_the_new_bill_and_interest_runs_per_day() {
    // A 2,000.00-yuan bill: minimum 200.00. Paying only the minimum leaves 1,800.00 revolving;
    // at 0.05% a day that costs 0.90 yuan a day: 27.00 over a 30-day month, 27.90 over 31 days.
    assert_eq!(min_payment_fen(200_000), 20_000);
    assert_eq!(daily_interest_fen(180_000, 30), 2_700);
    assert_eq!(daily_interest_fen(180_000, 31), 2_790);
    // A late amount of 123.45 yuan for 10 days: 0.61725 → 0.61 yuan.
    assert_eq!(daily_interest_fen(12_345, 10), 61);
    assert_eq!((round_down_fen(123_456, 10_000), round_up_fen(123_456, 10_000)), (120_000, 130_000));
}
