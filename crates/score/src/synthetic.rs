//! A seeded synthetic credit table with a known logistic relationship, for benchmarks and tests.
//!
//! Twenty variables: twelve numeric (three with missing values, two pure noise) and eight
//! categorical (one with missing values, one pure noise). The log-odds of bad are a sum of one
//! term per variable (linear or gently curved in the numeric ones, a fixed effect per category)
//! plus an intercept giving about 15% bads; each row's bad flag is drawn from that probability.

use crate::rng::SplitMix64;
use crate::table::{Categorical, Column, ColumnValues, MISSING_CODE, Table};

/// Number of variables generated.
pub const VARIABLES: usize = 20;

/// Name of the variable that counts inquiries.
pub const INQUIRIES: &str = "inquiries_6m";

/// Intercept of the true log-odds of bad.
const INTERCEPT: f64 = -1.6;

/// A generated table, its target, and the true probability of bad of each row.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The twenty variables.
    pub table: Table,
    /// Whether each row is bad.
    pub is_bad: Vec<bool>,
    /// The probability each row's flag was drawn from.
    pub true_probability_bad: Vec<f64>,
}

/// A numeric variable: a draw, its share of missing values, the log-odds term of a value and of a
/// missing value.
struct NumericSpec {
    name: &'static str,
    draw: fn(&mut SplitMix64) -> f64,
    missing_share: f64,
    effect: fn(f64) -> f64,
    missing_effect: f64,
}

/// A categorical variable: its levels' log-odds terms (the level frequency falls with its index)
/// and its share of missing values.
struct CategoricalSpec {
    name: &'static str,
    effects: &'static [f64],
    missing_share: f64,
}

fn geometric(rng: &mut SplitMix64, mean: f64) -> f64 {
    (-(1.0 - rng.next_f64()).ln() * mean).floor()
}

const NUMERIC: [NumericSpec; 12] = [
    NumericSpec {
        name: "utilization",
        draw: |r| r.next_f64() * 1.2,
        missing_share: 0.02,
        effect: |x| 1.6 * x - 0.8,
        missing_effect: 0.3,
    },
    NumericSpec {
        name: "age_years",
        draw: |r| 18.0 + (r.next_f64() * 62.0).floor(),
        missing_share: 0.0,
        effect: |x| -0.03 * (x - 45.0),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "income_thousands",
        draw: |r| (3.5 + 0.5 * r.normal()).exp(),
        missing_share: 0.0,
        effect: |x| -0.6 * (x / 33.0).ln(),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "months_on_book",
        draw: |r| (r.next_f64() * 240.0).floor(),
        missing_share: 0.0,
        effect: |x| -0.004 * (x - 120.0),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: INQUIRIES,
        draw: |r| geometric(r, 1.2),
        missing_share: 0.0,
        effect: |x| 0.25 * (x - 1.0),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "delinquencies_24m",
        draw: |r| geometric(r, 0.4),
        missing_share: 0.0,
        effect: |x| 0.5 * x,
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "debt_to_income",
        draw: |r| (0.35 + 0.15 * r.normal()).clamp(0.0, 1.5),
        missing_share: 0.05,
        effect: |x| 1.8 * (x - 0.35),
        missing_effect: 0.2,
    },
    NumericSpec {
        name: "balance_thousands",
        draw: |r| (2.0 + r.normal()).exp(),
        missing_share: 0.0,
        effect: |x| 0.1 * (x + 1.0).ln(),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "accounts_open",
        draw: |r| (r.next_f64() * 20.0).floor(),
        missing_share: 0.0,
        effect: |x| -0.05 * (x - 10.0),
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "months_since_delinquency",
        draw: |r| (r.next_f64() * 120.0).floor(),
        missing_share: 0.4,
        effect: |x| 0.6 - 0.01 * x,
        missing_effect: -0.5,
    },
    NumericSpec {
        name: "noise_normal",
        draw: SplitMix64::normal,
        missing_share: 0.0,
        effect: |_| 0.0,
        missing_effect: 0.0,
    },
    NumericSpec {
        name: "noise_uniform",
        draw: SplitMix64::next_f64,
        missing_share: 0.0,
        effect: |_| 0.0,
        missing_effect: 0.0,
    },
];

const REGION_EFFECTS: [f64; 30] = [
    0.31, -0.12, 0.05, -0.4, 0.22, 0.0, -0.25, 0.18, 0.44, -0.08, 0.1, -0.33, 0.27, -0.15, 0.02, 0.36, -0.21, 0.13,
    -0.05, 0.08, -0.3, 0.19, -0.1, 0.25, -0.18, 0.04, 0.15, -0.27, 0.33, -0.02,
];

const CATEGORICAL: [CategoricalSpec; 8] = [
    CategoricalSpec { name: "housing", effects: &[-0.3, 0.25, 0.1, 0.5], missing_share: 0.0 },
    CategoricalSpec { name: "employment", effects: &[-0.2, 0.15, 0.9, -0.1, 0.35], missing_share: 0.0 },
    CategoricalSpec { name: "region", effects: &REGION_EFFECTS, missing_share: 0.0 },
    CategoricalSpec { name: "education", effects: &[0.2, 0.0, -0.25, -0.4, 0.3], missing_share: 0.0 },
    CategoricalSpec { name: "channel", effects: &[-0.15, 0.1, 0.45, 0.2], missing_share: 0.0 },
    CategoricalSpec { name: "product", effects: &[0.0, -0.2, 0.3, 0.15, -0.35, 0.6], missing_share: 0.0 },
    CategoricalSpec { name: "marital", effects: &[-0.1, 0.2, 0.05, 0.3], missing_share: 0.03 },
    CategoricalSpec { name: "noise_category", effects: &[0.0; 12], missing_share: 0.0 },
];

/// Generates `rows` rows from `seed`; the same seed gives the same table.
pub fn generate(rows: usize, seed: u64) -> Synthetic {
    let mut rng = SplitMix64::new(seed);
    let mut logit = vec![INTERCEPT; rows];
    let mut columns = Vec::with_capacity(VARIABLES);
    for spec in &NUMERIC {
        let mut values = Vec::with_capacity(rows);
        for l in &mut logit {
            if rng.next_f64() < spec.missing_share {
                values.push(f64::NAN);
                *l += spec.missing_effect;
            } else {
                let x = (spec.draw)(&mut rng);
                values.push(x);
                *l += (spec.effect)(x);
            }
        }
        columns.push(Column::numeric(spec.name, values));
    }
    for spec in &CATEGORICAL {
        columns.push(categorical(spec, &mut rng, &mut logit));
    }
    let true_probability_bad: Vec<f64> = logit.iter().map(|l| 1.0 / (1.0 + (-l).exp())).collect();
    let is_bad = true_probability_bad.iter().map(|&p| rng.next_f64() < p).collect();
    let table = Table::new(columns).unwrap_or_default();
    Synthetic { table, is_bad, true_probability_bad }
}

/// One categorical column; level `i` has weight `1 / (i + 2)`.
fn categorical(spec: &CategoricalSpec, rng: &mut SplitMix64, logit: &mut [f64]) -> Column {
    let weights: Vec<f64> = (0..spec.effects.len()).map(|i| 1.0 / (i as f64 + 2.0)).collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect();
    let mut codes = Vec::with_capacity(logit.len());
    for l in logit.iter_mut() {
        if rng.next_f64() < spec.missing_share {
            codes.push(MISSING_CODE);
            continue;
        }
        let u = rng.next_f64();
        let level = cumulative.partition_point(|&c| c <= u).min(spec.effects.len() - 1);
        codes.push(level as u32);
        *l += spec.effects[level];
    }
    let levels = (0..spec.effects.len()).map(|i| format!("{}_{i:02}", spec.name)).collect();
    let values = Categorical::from_codes(codes, levels).unwrap_or_default();
    Column { name: spec.name.to_owned(), values: ColumnValues::Categorical(values) }
}
