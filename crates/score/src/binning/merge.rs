//! Merging adjacent groups of rows: for a minimum size, a maximum count, and monotonicity.

use super::Direction;
use crate::woe::{Counts, Population};
use std::cmp::Ordering;

/// A run of rows being binned, with what identifies it (`P`).
#[derive(Debug, Clone)]
pub(crate) struct Group<P> {
    /// Goods and bads in the group.
    pub counts: Counts,
    /// What the group covers.
    pub payload: P,
}

/// What a group covers, and how it takes in the next group's.
pub(crate) trait Absorb {
    /// Takes in the payload of the group that follows.
    fn absorb(&mut self, next: Self);
}

/// The WoE context of a list of groups: totals, smoothing, and whether a missing bin exists.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// All goods and bads of the variable, missing included.
    pub total: Counts,
    /// Smoothing term α.
    pub smoothing: f64,
    /// Whether a missing bin counts among the bins.
    pub has_missing: bool,
}

impl Context {
    /// The population for `groups` bins (plus the missing bin).
    pub fn population(&self, groups: usize) -> Population {
        Population { total: self.total, bins: groups + usize::from(self.has_missing), smoothing: self.smoothing }
    }
}

/// Merges group `i + 1` into group `i`.
fn merge_at<P: Absorb>(groups: &mut Vec<Group<P>>, i: usize) {
    let next = groups.remove(i + 1);
    let group = &mut groups[i];
    group.counts = group.counts.plus(next.counts);
    group.payload.absorb(next.payload);
}

/// Compares bad rates exactly (cross-multiplied integers).
pub(crate) fn cmp_bad_rate(a: Counts, b: Counts) -> Ordering {
    (u128::from(a.bads) * u128::from(b.rows())).cmp(&(u128::from(b.bads) * u128::from(a.rows())))
}

/// Merges the smallest group under `min_rows` into its neighbour of closer WoE, until none is left
/// (or one group remains).
pub(crate) fn merge_small<P: Absorb>(groups: &mut Vec<Group<P>>, min_rows: u64, ctx: Context) {
    while groups.len() > 1 {
        let smallest =
            (0..groups.len()).filter(|&i| groups[i].counts.rows() < min_rows).min_by_key(|&i| groups[i].counts.rows());
        let Some(i) = smallest else { return };
        let pop = ctx.population(groups.len());
        let woe = |j: usize| pop.woe(groups[j].counts);
        let into_left = if i == 0 {
            false
        } else if i + 1 == groups.len() {
            true
        } else {
            (woe(i) - woe(i - 1)).abs() <= (woe(i + 1) - woe(i)).abs()
        };
        merge_at(groups, if into_left { i - 1 } else { i });
    }
}

/// Merges the adjacent pair of closest WoE until at most `max_groups` remain.
pub(crate) fn merge_to_at_most<P: Absorb>(groups: &mut Vec<Group<P>>, max_groups: usize, ctx: Context) {
    while groups.len() > max_groups.max(1) {
        let pop = ctx.population(groups.len());
        let gap = |i: usize| (pop.woe(groups[i + 1].counts) - pop.woe(groups[i].counts)).abs();
        let closest = (0..groups.len() - 1).min_by(|&a, &b| gap(a).total_cmp(&gap(b)));
        let Some(i) = closest else { return };
        merge_at(groups, i);
    }
}

/// Whether `next` may follow `prev` in `direction`: the raw bad rate moves the right way (or stays)
/// and the smoothed WoE moves strictly the right way.
fn in_order(prev: Counts, next: Counts, direction: Direction, pop: &Population) -> bool {
    let (rate, woe_prev, woe_next) = (cmp_bad_rate(prev, next), pop.woe(prev), pop.woe(next));
    match direction {
        Direction::Ascending => rate != Ordering::Greater && woe_next < woe_prev,
        Direction::Descending => rate != Ordering::Less && woe_next > woe_prev,
    }
}

/// Pools adjacent violators until the bad rate and the WoE are strictly monotonic in `direction`.
pub(crate) fn enforce_monotonic<P: Absorb>(groups: &mut Vec<Group<P>>, direction: Direction, ctx: Context) {
    loop {
        let pop = ctx.population(groups.len());
        let violation = (1..groups.len()).find(|&i| !in_order(groups[i - 1].counts, groups[i].counts, direction, &pop));
        match violation {
            Some(i) => merge_at(groups, i - 1),
            None => return,
        }
    }
}

/// Information value of groups (and of the missing cell, if any).
pub(crate) fn information_value<P>(groups: &[Group<P>], missing: Counts, ctx: Context) -> f64 {
    let pop = ctx.population(groups.len());
    let missing_iv = if ctx.has_missing { pop.iv(missing) } else { 0.0 };
    groups.iter().map(|g| pop.iv(g.counts)).sum::<f64>() + missing_iv
}
