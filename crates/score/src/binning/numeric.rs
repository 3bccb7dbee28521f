//! Numeric binning: quantile pre-bins, merged for a minimum share and a monotonic bad rate.

use super::merge::{self, Absorb, Context, Group};
use super::{Bin, BinRule, Binning, BinningConfig, Direction, MISSING_LABEL, Monotonic};
use crate::woe::Counts;

/// A pre-bin boundary: values `< cut` lie below it; `below` is the largest such value seen.
#[derive(Debug, Clone, Copy)]
struct PreCut {
    cut: f64,
    below: f64,
}

/// A numeric group's payload: the index of its last pre-bin.
#[derive(Debug, Clone, Copy)]
struct LastPreBin(usize);

impl Absorb for LastPreBin {
    fn absorb(&mut self, next: Self) {
        *self = next;
    }
}

/// Bins a numeric variable over the training `rows`; `NaN` values go to the missing bin.
///
/// `values` and `is_bad` are indexed by row; every index in `rows` must be in range.
pub fn bin_numeric(name: &str, values: &[f64], is_bad: &[bool], rows: &[usize], config: &BinningConfig) -> Binning {
    let mut sorted: Vec<(f64, bool)> = Vec::with_capacity(rows.len());
    let mut missing = Counts::default();
    for &r in rows {
        match values[r] {
            v if v.is_nan() => missing.add(is_bad[r]),
            v => sorted.push((v, is_bad[r])),
        }
    }
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let pre_cuts = pre_cuts(&sorted, config.pre_bins);
    let groups = pre_groups(&sorted, &pre_cuts);
    let total = groups.iter().fold(missing, |acc, g| acc.plus(g.counts));
    let ctx = Context { total, smoothing: config.smoothing, has_missing: missing.rows() > 0 };
    let min_rows = (config.min_bin_share * total.rows() as f64).ceil() as u64;
    let mut groups = groups;
    merge::merge_small(&mut groups, min_rows, ctx);
    let (groups, direction) = monotonic(groups, config.monotonic, missing, ctx);
    build(name, &groups, &pre_cuts, direction, missing, ctx)
}

/// Cut points at the quantiles `q / pre_bins`, distinct and above the minimum.
fn pre_cuts(sorted: &[(f64, bool)], pre_bins: usize) -> Vec<PreCut> {
    let Some(&(min, _)) = sorted.first() else { return Vec::new() };
    let mut cuts: Vec<PreCut> = Vec::new();
    for q in 1..pre_bins {
        let cut = sorted[q * sorted.len() / pre_bins].0;
        if cut > min && cuts.last().is_none_or(|last| cut > last.cut) {
            let below = sorted[sorted.partition_point(|p| p.0 < cut) - 1].0;
            cuts.push(PreCut { cut, below });
        }
    }
    cuts
}

/// One group per pre-bin (`cuts.len() + 1` of them), with its counts.
fn pre_groups(sorted: &[(f64, bool)], cuts: &[PreCut]) -> Vec<Group<LastPreBin>> {
    let mut groups: Vec<Group<LastPreBin>> =
        (0..=cuts.len()).map(|i| Group { counts: Counts::default(), payload: LastPreBin(i) }).collect();
    let mut bin = 0;
    for &(v, bad) in sorted {
        while bin < cuts.len() && v >= cuts[bin].cut {
            bin += 1;
        }
        groups[bin].counts.add(bad);
    }
    if sorted.is_empty() {
        groups.clear();
    }
    groups
}

/// Applies the monotonic constraint; for `Auto`, keeps the direction of higher IV.
fn monotonic(
    groups: Vec<Group<LastPreBin>>,
    wanted: Monotonic,
    missing: Counts,
    ctx: Context,
) -> (Vec<Group<LastPreBin>>, Direction) {
    let run = |direction: Direction| {
        let mut g = groups.clone();
        merge::enforce_monotonic(&mut g, direction, ctx);
        let iv = merge::information_value(&g, missing, ctx);
        (g, direction, iv)
    };
    match wanted {
        Monotonic::Ascending => {
            let (g, d, _) = run(Direction::Ascending);
            (g, d)
        }
        Monotonic::Descending => {
            let (g, d, _) = run(Direction::Descending);
            (g, d)
        }
        Monotonic::Auto => {
            let (up, up_dir, up_iv) = run(Direction::Ascending);
            let (down, down_dir, down_iv) = run(Direction::Descending);
            if down_iv > up_iv { (down, down_dir) } else { (up, up_dir) }
        }
    }
}

/// The shortest decimal `r` with `below < r <= cut`: a readable cut that splits the data alike.
pub(crate) fn readable_cut(below: f64, cut: f64) -> f64 {
    let mid = below + (cut - below) / 2.0;
    for digits in 1..=17 {
        for candidate in [cut, mid] {
            let rounded = format!("{:.*e}", digits - 1, candidate).parse::<f64>().unwrap_or(cut);
            if below < rounded && rounded <= cut {
                return rounded;
            }
        }
    }
    cut
}

/// Assembles the binning from the final groups.
fn build(
    name: &str,
    groups: &[Group<LastPreBin>],
    pre_cuts: &[PreCut],
    direction: Direction,
    missing: Counts,
    ctx: Context,
) -> Binning {
    let cuts: Vec<f64> = groups[..groups.len().saturating_sub(1)]
        .iter()
        .map(|g| pre_cuts[g.payload.0])
        .map(|p| readable_cut(p.below, p.cut))
        .collect();
    let pop = ctx.population(groups.len());
    let bin = |label: String, counts: Counts| Bin { label, counts, woe: pop.woe(counts), iv: pop.iv(counts) };
    let bins: Vec<Bin> = groups.iter().enumerate().map(|(i, g)| bin(interval_label(&cuts, i), g.counts)).collect();
    let missing = ctx.has_missing.then(|| bin(MISSING_LABEL.to_owned(), missing));
    let information_value = bins.iter().chain(&missing).map(|b| b.iv).sum();
    Binning { variable: name.to_owned(), rule: BinRule::Numeric { cuts, direction }, bins, missing, information_value }
}

/// `< a`, `[a, b)`, `>= b`, or `all values` for a single bin.
fn interval_label(cuts: &[f64], i: usize) -> String {
    match (i.checked_sub(1).and_then(|j| cuts.get(j)), cuts.get(i)) {
        (None, None) => "all values".to_owned(),
        (None, Some(hi)) => format!("< {hi}"),
        (Some(lo), None) => format!(">= {lo}"),
        (Some(lo), Some(hi)) => format!("[{lo}, {hi})"),
    }
}

#[cfg(test)]
mod tests {
    use super::readable_cut;

    #[test]
    fn readable_cuts_are_short_and_split_alike() {
        assert_eq!(readable_cut(22.0, 23.0), 23.0);
        assert_eq!(readable_cut(1169.0, 1200.0), 1200.0);
        assert_eq!(readable_cut(0.123_456_789_1, 0.123_460_123_4), 0.12346);
        assert_eq!(readable_cut(-3.5, -1.25), -2.0);
        let (a, b) = (1.0, f64::from_bits(1.0f64.to_bits() + 1));
        assert_eq!(readable_cut(a, b), b);
    }
}
