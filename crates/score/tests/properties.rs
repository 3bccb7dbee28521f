//! Property tests: monotonic bins, consistent counts, AUC against brute force, determinism.

use ob_score::binning::{BinRule, Binning, BinningConfig, Direction, Monotonic, bin_categorical, bin_numeric};
use ob_score::stats::auc;
use ob_score::table::{Column, ColumnValues};
use ob_score::woe::Counts;
use proptest::prelude::*;

fn config(pre_bins: usize, min_bin_share: f64, monotonic: Monotonic) -> BinningConfig {
    BinningConfig { pre_bins, min_bin_share, monotonic, ..BinningConfig::default() }
}

/// Checks that consecutive bins move strictly in `direction` in WoE, and never against it in raw
/// bad rate.
fn assert_monotonic(binning: &Binning, direction: Direction) -> Result<(), TestCaseError> {
    for pair in binning.bins.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let (rate_a, rate_b) = (a.counts.bad_rate(), b.counts.bad_rate());
        match direction {
            Direction::Ascending => {
                prop_assert!(b.woe < a.woe, "WoE must fall: {binning:#?}");
                prop_assert!(rate_b >= rate_a, "bad rate must rise: {binning:#?}");
            }
            Direction::Descending => {
                prop_assert!(b.woe > a.woe, "WoE must rise: {binning:#?}");
                prop_assert!(rate_b <= rate_a, "bad rate must fall: {binning:#?}");
            }
        }
    }
    Ok(())
}

/// Checks bin sizes, the IV sum, and that the counts add up to `rows`.
fn assert_sizes(binning: &Binning, rows: usize, min_bin_share: f64) -> Result<(), TestCaseError> {
    let min_rows = (min_bin_share * rows as f64).ceil() as u64;
    if binning.bins.len() > 1 {
        for b in &binning.bins {
            prop_assert!(b.counts.rows() >= min_rows, "bin {} has {} rows < {min_rows}", b.label, b.counts.rows());
        }
    }
    let total = binning.bins.iter().chain(&binning.missing).fold(Counts::default(), |a, b| a.plus(b.counts));
    prop_assert_eq!(total.rows(), rows as u64);
    let iv: f64 = binning.bins.iter().chain(&binning.missing).map(|b| b.iv).sum();
    prop_assert!((iv - binning.information_value).abs() < 1e-12 && iv >= 0.0);
    Ok(())
}

/// Re-bins every row through the binning's own cuts or groups and compares with its counts.
fn assert_counts_reproduced(binning: &Binning, column: &Column, is_bad: &[bool]) -> Result<(), TestCaseError> {
    let index = binning.index(column).unwrap();
    let mut counts = vec![Counts::default(); binning.bins.len() + 2];
    for (row, &bad) in is_bad.iter().enumerate() {
        counts[index.slot(row)].add(bad);
    }
    for (i, b) in binning.bins.iter().enumerate() {
        prop_assert_eq!(counts[i], b.counts, "bin {}", b.label);
    }
    prop_assert_eq!(counts[binning.bins.len()], binning.missing.as_ref().map_or(Counts::default(), |m| m.counts));
    Ok(())
}

/// Values from a few distinct numbers (many ties), a wide range, or missing; the bad flag is
/// tied loosely to the value so that both directions occur.
fn numeric_rows() -> impl Strategy<Value = Vec<(Option<f64>, bool)>> {
    let value = prop_oneof![
        3 => (0i32..12).prop_map(|v| Some(f64::from(v))),
        3 => (-1e6f64..1e6).prop_map(Some),
        1 => Just(None),
    ];
    prop::collection::vec((value, any::<bool>(), 0u8..4), 1..400).prop_map(|rows| {
        rows.into_iter().map(|(v, coin, tilt)| (v, coin && (tilt > 0 || v.is_some_and(|x| x > 5.0)))).collect()
    })
}

fn monotonic() -> impl Strategy<Value = Monotonic> {
    prop_oneof![Just(Monotonic::Ascending), Just(Monotonic::Descending), Just(Monotonic::Auto)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn numeric_bins_are_monotonic_large_enough_and_reproducible(
        rows in numeric_rows(),
        pre_bins in 1usize..40,
        min_bin_share in 0.01f64..0.3,
        wanted in monotonic(),
    ) {
        let values: Vec<f64> = rows.iter().map(|r| r.0.unwrap_or(f64::NAN)).collect();
        let is_bad: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let all: Vec<usize> = (0..rows.len()).collect();
        let binning = bin_numeric("x", &values, &is_bad, &all, &config(pre_bins, min_bin_share, wanted));
        let BinRule::Numeric { direction, cuts } = &binning.rule else { panic!("numeric rule") };
        match wanted {
            Monotonic::Ascending => prop_assert_eq!(*direction, Direction::Ascending),
            Monotonic::Descending => prop_assert_eq!(*direction, Direction::Descending),
            Monotonic::Auto => {}
        }
        prop_assert!(cuts.windows(2).all(|w| w[0] < w[1]));
        assert_monotonic(&binning, *direction)?;
        assert_sizes(&binning, rows.len(), min_bin_share)?;
        assert_counts_reproduced(&binning, &Column::numeric("x", values), &is_bad)?;
    }

    #[test]
    fn categorical_bins_are_ordered_by_bad_rate_and_large_enough(
        rows in prop::collection::vec((prop::option::weighted(0.95, 0u8..25), any::<bool>(), 0u8..25), 1..400),
        min_bin_share in 0.01f64..0.3,
        max_categorical_bins in 1usize..12,
    ) {
        let labels: Vec<Option<String>> = rows.iter().map(|r| r.0.map(|c| format!("c{c}"))).collect();
        // The bad flag leans on the category so that groups differ.
        let is_bad: Vec<bool> = rows.iter().map(|r| r.1 && r.0.is_none_or(|c| c <= r.2)).collect();
        let column = Column::categorical("c", labels.iter().map(|l| l.as_deref()));
        let ColumnValues::Categorical(values) = &column.values else { panic!("categorical") };
        let all: Vec<usize> = (0..rows.len()).collect();
        let config = BinningConfig { min_bin_share, max_categorical_bins, ..BinningConfig::default() };
        let binning = bin_categorical("c", values, &is_bad, &all, &config);
        prop_assert!(binning.bins.len() <= max_categorical_bins);
        assert_monotonic(&binning, Direction::Ascending)?;
        assert_sizes(&binning, rows.len(), min_bin_share)?;
        assert_counts_reproduced(&binning, &column, &is_bad)?;
    }

    #[test]
    fn auc_equals_the_share_of_bad_good_pairs_ranked_right(
        rows in prop::collection::vec((0u8..10, any::<bool>()), 2..120),
    ) {
        let risk: Vec<f64> = rows.iter().map(|r| f64::from(r.0)).collect();
        let is_bad: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (rb, _) in rows.iter().filter(|r| r.1) {
            for (rg, _) in rows.iter().filter(|r| !r.1) {
                pairs += 1.0;
                wins += match rb.cmp(rg) {
                    std::cmp::Ordering::Greater => 1.0,
                    std::cmp::Ordering::Equal => 0.5,
                    std::cmp::Ordering::Less => 0.0,
                };
            }
        }
        match auc(&risk, &is_bad) {
            Some(a) => prop_assert!((a - wins / pairs).abs() < 1e-12),
            None => prop_assert_eq!(pairs, 0.0),
        }
    }
}
