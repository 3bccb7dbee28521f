//! Discrimination and calibration: AUC, KS, Gini, and a calibration table.
//!
//! The functions take a *risk* per row — higher means more likely bad (for a score, its negation;
//! for a probability of bad, itself) — and whether the row was bad. Ties count half (AUC) and are
//! crossed together (KS).

use crate::limits::CALIBRATION_GROUPS;
use serde::Serialize;

/// Row indices sorted by risk, highest first (ties by index, for determinism).
fn by_risk_descending(risk: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_unstable_by(|&a, &b| risk[b].total_cmp(&risk[a]).then(a.cmp(&b)));
    order
}

/// Bads and goods of each group of equal risk, highest risk first.
fn tie_groups(risk: &[f64], is_bad: &[bool]) -> Vec<(u64, u64)> {
    let order = by_risk_descending(risk);
    let mut groups: Vec<(u64, u64)> = Vec::new();
    let mut previous: Option<f64> = None;
    for i in order {
        if previous != Some(risk[i]) {
            groups.push((0, 0));
            previous = Some(risk[i]);
        }
        if let Some(g) = groups.last_mut() {
            if is_bad[i] { g.0 += 1 } else { g.1 += 1 }
        }
    }
    groups
}

/// Area under the ROC curve: the chance that a random bad is riskier than a random good (ties
/// half). `None` without both classes. `risk` and `is_bad` must have the same length.
pub fn auc(risk: &[f64], is_bad: &[bool]) -> Option<f64> {
    let groups = tie_groups(risk, is_bad);
    let (bads, goods) = groups.iter().fold((0u64, 0u64), |(b, g), &(gb, gg)| (b + gb, g + gg));
    if bads == 0 || goods == 0 {
        return None;
    }
    let mut goods_below = goods as f64;
    let mut wins = 0.0;
    for &(b, g) in &groups {
        goods_below -= g as f64;
        wins += b as f64 * (goods_below + 0.5 * g as f64);
    }
    Some(wins / (bads as f64 * goods as f64))
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative shares of bads and goods
/// as the threshold moves down the risk. `None` without both classes.
pub fn ks(risk: &[f64], is_bad: &[bool]) -> Option<f64> {
    let groups = tie_groups(risk, is_bad);
    let (bads, goods) = groups.iter().fold((0u64, 0u64), |(b, g), &(gb, gg)| (b + gb, g + gg));
    if bads == 0 || goods == 0 {
        return None;
    }
    let (mut cum_bads, mut cum_goods, mut best) = (0u64, 0u64, 0.0f64);
    for &(b, g) in &groups {
        cum_bads += b;
        cum_goods += g;
        best = best.max((cum_bads as f64 / bads as f64 - cum_goods as f64 / goods as f64).abs());
    }
    Some(best)
}

/// One group of the calibration table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationGroup {
    /// 1 = the riskiest tenth.
    pub group: usize,
    /// Rows in the group.
    pub rows: usize,
    /// Lowest score in the group.
    pub min_score: i32,
    /// Highest score in the group.
    pub max_score: i32,
    /// Mean predicted probability of bad.
    pub predicted_bad_rate: f64,
    /// Observed share of bads.
    pub observed_bad_rate: f64,
}

/// Groups of equal size by score, riskiest first: predicted vs observed bad rate.
pub fn calibration(score: &[i32], probability_bad: &[f64], is_bad: &[bool], groups: usize) -> Vec<CalibrationGroup> {
    let risk: Vec<f64> = probability_bad.to_vec();
    let order = by_risk_descending(&risk);
    let n = order.len();
    (0..groups.min(n))
        .map(|g| {
            let part = &order[g * n / groups.min(n)..(g + 1) * n / groups.min(n)];
            let rows = part.len();
            let sum = |f: &dyn Fn(usize) -> f64| part.iter().map(|&i| f(i)).sum::<f64>() / rows as f64;
            CalibrationGroup {
                group: g + 1,
                rows,
                min_score: part.iter().map(|&i| score[i]).min().unwrap_or(0),
                max_score: part.iter().map(|&i| score[i]).max().unwrap_or(0),
                predicted_bad_rate: sum(&|i| probability_bad[i]),
                observed_bad_rate: sum(&|i| if is_bad[i] { 1.0 } else { 0.0 }),
            }
        })
        .collect()
}

/// The usual statistics of a set of scored rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    /// Rows.
    pub rows: usize,
    /// Bad rows.
    pub bads: usize,
    /// Area under the ROC curve.
    pub auc: f64,
    /// Kolmogorov–Smirnov statistic.
    pub ks: f64,
    /// Gini = 2·AUC − 1.
    pub gini: f64,
    /// Calibration by tenths of the score, riskiest first.
    pub calibration: Vec<CalibrationGroup>,
}

impl Stats {
    /// Statistics of scored rows; `None` without both classes. Slices must have equal lengths.
    pub fn compute(score: &[i32], probability_bad: &[f64], is_bad: &[bool]) -> Option<Stats> {
        let risk: Vec<f64> = score.iter().map(|&s| -f64::from(s)).collect();
        let auc = auc(&risk, is_bad)?;
        Some(Stats {
            rows: score.len(),
            bads: is_bad.iter().filter(|&&b| b).count(),
            auc,
            ks: ks(&risk, is_bad)?,
            gini: 2.0 * auc - 1.0,
            calibration: calibration(score, probability_bad, is_bad, CALIBRATION_GROUPS),
        })
    }
}
