//! Categorical binning: rare values pooled, groups ordered by bad rate, merged to a minimum share,
//! a maximum count and a strictly monotonic WoE.

use super::merge::{self, Absorb, Context, Group};
use super::{Bin, BinRule, Binning, BinningConfig, Direction, MISSING_LABEL};
use crate::table::{Categorical, MISSING_CODE};
use crate::woe::Counts;

/// Separator of category values in a group's label.
pub const GROUP_SEPARATOR: &str = " | ";

/// A categorical group's payload: the level codes it holds.
#[derive(Debug, Clone)]
struct Levels(Vec<u32>);

impl Absorb for Levels {
    fn absorb(&mut self, next: Self) {
        self.0.extend(next.0);
    }
}

/// Bins a categorical variable over the training `rows`; missing values go to the missing bin.
///
/// `is_bad` is indexed by row; every index in `rows` must be in range of the column.
pub fn bin_categorical(
    name: &str,
    column: &Categorical,
    is_bad: &[bool],
    rows: &[usize],
    config: &BinningConfig,
) -> Binning {
    let (per_level, missing) = count_levels(column, is_bad, rows);
    let total = per_level.iter().fold(missing, |acc, c| acc.plus(*c));
    let ctx = Context { total, smoothing: config.smoothing, has_missing: missing.rows() > 0 };
    let min_rows = (config.min_bin_share * total.rows() as f64).ceil() as u64;
    let mut groups = initial_groups(&per_level, min_rows);
    sort_by_bad_rate(&mut groups, ctx);
    merge::merge_small(&mut groups, min_rows, ctx);
    merge::merge_to_at_most(&mut groups, config.max_categorical_bins, ctx);
    merge::enforce_monotonic(&mut groups, Direction::Ascending, ctx);
    build(name, column, &groups, missing, ctx)
}

/// Goods and bads per level, and of the missing values.
fn count_levels(column: &Categorical, is_bad: &[bool], rows: &[usize]) -> (Vec<Counts>, Counts) {
    let mut per_level = vec![Counts::default(); column.levels().len()];
    let mut missing = Counts::default();
    for &r in rows {
        match column.codes()[r] {
            MISSING_CODE => missing.add(is_bad[r]),
            code => per_level[code as usize].add(is_bad[r]),
        }
    }
    (per_level, missing)
}

/// A group per level seen, except that levels under `min_rows` are pooled into one group.
fn initial_groups(per_level: &[Counts], min_rows: u64) -> Vec<Group<Levels>> {
    let mut groups = Vec::new();
    let mut rare = Group { counts: Counts::default(), payload: Levels(Vec::new()) };
    for (code, &counts) in per_level.iter().enumerate().filter(|(_, c)| c.rows() > 0) {
        if counts.rows() < min_rows {
            rare.counts = rare.counts.plus(counts);
            rare.payload.0.push(code as u32);
        } else {
            groups.push(Group { counts, payload: Levels(vec![code as u32]) });
        }
    }
    if !rare.payload.0.is_empty() {
        groups.push(rare);
    }
    groups
}

/// Orders groups by WoE, best first (bad rate ascending); ties by bad rate, then first level code.
fn sort_by_bad_rate(groups: &mut [Group<Levels>], ctx: Context) {
    let pop = ctx.population(groups.len());
    groups.sort_by(|a, b| {
        pop.woe(b.counts)
            .total_cmp(&pop.woe(a.counts))
            .then_with(|| merge::cmp_bad_rate(a.counts, b.counts))
            .then_with(|| a.payload.0.first().cmp(&b.payload.0.first()))
    });
}

/// Assembles the binning from the final groups; values within a group are sorted.
fn build(name: &str, column: &Categorical, groups: &[Group<Levels>], missing: Counts, ctx: Context) -> Binning {
    let pop = ctx.population(groups.len());
    let values: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut v: Vec<String> = g.payload.0.iter().map(|&c| column.levels()[c as usize].clone()).collect();
            v.sort();
            v
        })
        .collect();
    let bin = |label: String, counts: Counts| Bin { label, counts, woe: pop.woe(counts), iv: pop.iv(counts) };
    let bins: Vec<Bin> = groups.iter().zip(&values).map(|(g, v)| bin(v.join(GROUP_SEPARATOR), g.counts)).collect();
    let missing = ctx.has_missing.then(|| bin(MISSING_LABEL.to_owned(), missing));
    let information_value = bins.iter().chain(&missing).map(|b| b.iv).sum();
    Binning {
        variable: name.to_owned(),
        rule: BinRule::Categorical { groups: values },
        bins,
        missing,
        information_value,
    }
}
