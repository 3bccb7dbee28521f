//! Scoring rows: points, score, probability of bad, and reason codes.
//!
//! **Reason codes.** For each variable, the *cost* of a row is the points of the variable's best
//! slot minus the points the row got. The reasons are the variables of positive cost, highest cost
//! first (ties: the model's order), up to four. When four are listed and a variable flagged as
//! inquiries also cost points but is not among them, it is added as a fifth — the US
//! adverse-action rule for inquiries.

use crate::binning::SlotIndex;
use crate::error::ScoreError;
use crate::limits::{MAX_MAIN_REASONS, MAX_REASONS};
use crate::model::Model;
use crate::parallel;
use crate::table::Table;
use serde::Serialize;

/// The reason codes of a row: indices into [`Model::variables`], most costly first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reasons {
    variables: [u16; MAX_REASONS],
    len: u8,
}

impl Reasons {
    /// The variable indices, most costly first.
    pub fn as_slice(&self) -> &[u16] {
        &self.variables[..usize::from(self.len)]
    }

    /// Number of reasons.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the row lost no points anywhere.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Scores of many rows, in row order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scores {
    /// Integer score per row.
    pub score: Vec<i32>,
    /// Probability of bad per row (from the score, see [`crate::model`]).
    pub probability_bad: Vec<f64>,
    /// Reason codes per row.
    pub reasons: Vec<Reasons>,
}

/// One variable's contribution to a row's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// Variable name.
    pub variable: String,
    /// The bin the row fell in.
    pub bin: String,
    /// Points of that bin.
    pub points: i32,
    /// Points of the variable's best bin.
    pub best_points: i32,
}

/// A row's score taken apart: `score == base_points + Σ contributions' points`, exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The model's base points.
    pub base_points: i32,
    /// One per model variable, in model order.
    pub contributions: Vec<Contribution>,
    /// The score.
    pub score: i32,
    /// Probability of bad.
    pub probability_bad: f64,
    /// Reason codes (variable names), most costly first.
    pub reasons: Vec<String>,
}

/// A variable ready to score one table.
struct Prepared<'a> {
    index: SlotIndex<'a>,
    points: Vec<i32>,
    best: i32,
    inquiries: bool,
}

/// A model bound to a table: checks columns once, then scores rows fast.
pub struct Scorer<'a> {
    model: &'a Model,
    variables: Vec<Prepared<'a>>,
    rows: usize,
}

impl<'a> Scorer<'a> {
    /// Binds `model` to `table`; every model variable needs a column of the right kind.
    pub fn new(model: &'a Model, table: &'a Table) -> Result<Self, ScoreError> {
        let variables = model
            .variables
            .iter()
            .map(|v| {
                let column = table.require(&v.binning.variable)?;
                Ok(Prepared {
                    index: v.binning.index(column)?,
                    points: v.points_per_slot(),
                    best: v.best_points(),
                    inquiries: v.inquiries,
                })
            })
            .collect::<Result<Vec<_>, ScoreError>>()?;
        Ok(Scorer { model, variables, rows: table.rows() })
    }

    /// Score and reason codes of one row.
    ///
    /// # Panics
    /// If `row` is not a row of the table (this is the hot path: it does not check).
    pub fn score_row(&self, row: usize) -> (i32, Reasons) {
        let mut score = self.model.base_points;
        let mut top = TopCosts::default();
        for (i, v) in self.variables.iter().enumerate() {
            let points = v.points[v.index.slot(row)];
            score += points;
            top.offer(i as u16, v.best - points);
        }
        (score, top.finish(|| self.inquiry_costs(row)))
    }

    /// (index, cost) of the inquiries variables on `row`.
    fn inquiry_costs(&self, row: usize) -> impl Iterator<Item = (usize, i32)> + '_ {
        self.variables
            .iter()
            .enumerate()
            .filter(|(_, v)| v.inquiries)
            .map(move |(i, v)| (i, v.best - v.points[v.index.slot(row)]))
    }

    /// Scores every row, on several threads; the result does not depend on their number.
    pub fn score_all(&self) -> Scores {
        let chunks = parallel::chunks(self.rows);
        let parts = parallel::map(&chunks, |range| range.clone().map(|row| self.score_row(row)).collect::<Vec<_>>());
        self.collect(parts.into_iter().flatten())
    }

    /// Scores the given rows, in their order.
    ///
    /// # Panics
    /// If a row is not a row of the table.
    pub fn score_rows(&self, rows: &[usize]) -> Scores {
        self.collect(rows.iter().map(|&r| self.score_row(r)))
    }

    fn collect(&self, scored: impl Iterator<Item = (i32, Reasons)>) -> Scores {
        let mut out = Scores::default();
        for (score, reasons) in scored {
            out.probability_bad.push(self.model.scaling.probability_bad(score));
            out.score.push(score);
            out.reasons.push(reasons);
        }
        out
    }

    /// One row taken apart ([`Model::explain`] checks the row).
    ///
    /// # Panics
    /// If `row` is not a row of the table.
    pub fn explain(&self, row: usize) -> Explanation {
        let contributions = self
            .model
            .variables
            .iter()
            .zip(&self.variables)
            .map(|(mv, v)| {
                let slot = v.index.slot(row);
                Contribution {
                    variable: mv.binning.variable.clone(),
                    bin: mv.slot_label(slot).to_owned(),
                    points: v.points[slot],
                    best_points: v.best,
                }
            })
            .collect();
        let (score, reasons) = self.score_row(row);
        Explanation {
            base_points: self.model.base_points,
            contributions,
            score,
            probability_bad: self.model.scaling.probability_bad(score),
            reasons: self.model.reason_names(&reasons).map(str::to_owned).collect(),
        }
    }
}

impl Model {
    /// Scores every row of `table`.
    pub fn score_table(&self, table: &Table) -> Result<Scores, ScoreError> {
        Ok(Scorer::new(self, table)?.score_all())
    }

    /// Row `row` of `table` taken apart.
    pub fn explain(&self, table: &Table, row: usize) -> Result<Explanation, ScoreError> {
        if row >= table.rows() {
            return Err(ScoreError::NoSuchRow { row, rows: table.rows() });
        }
        Ok(Scorer::new(self, table)?.explain(row))
    }

    /// The reason codes of `explanation` (of a row scored by this model) among the variables
    /// `keep` accepts, picked as [`Scorer::score_row`] picks them among all: the
    /// `MAX_MAIN_REASONS` costliest, earlier variables winning ties, then the costliest
    /// inquiries variable left out. For reasons that must each be true of the file: dropping the
    /// untrue ones after the cut would list fewer key factors than cost points (FCRA §609(f)).
    pub fn reasons_where(&self, explanation: &Explanation, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let contributions = &explanation.contributions;
        let mut costs: Vec<(usize, i32)> = contributions
            .iter()
            .enumerate()
            .map(|(i, c)| (i, c.best_points - c.points))
            .filter(|&(i, cost)| cost > 0 && keep(&contributions[i].variable))
            .collect();
        costs.sort_by_key(|&(i, cost)| (std::cmp::Reverse(cost), i));
        let mut picked: Vec<usize> = costs.iter().take(MAX_MAIN_REASONS).map(|&(i, _)| i).collect();
        if picked.len() == MAX_MAIN_REASONS {
            let inquiries = |i: usize| self.variables.get(i).is_some_and(|v| v.inquiries);
            picked.extend(costs.iter().skip(MAX_MAIN_REASONS).map(|&(i, _)| i).find(|&i| inquiries(i)));
        }
        picked.into_iter().map(|i| contributions[i].variable.clone()).collect()
    }

    /// The variable names of reason codes.
    pub fn reason_names<'m>(&'m self, reasons: &Reasons) -> impl Iterator<Item = &'m str> + use<'m> {
        let names: Vec<&'m str> = reasons
            .as_slice()
            .iter()
            .filter_map(|&i| self.variables.get(usize::from(i)))
            .map(|v| v.binning.variable.as_str())
            .collect();
        names.into_iter()
    }
}

/// The four most costly variables so far.
#[derive(Default)]
struct TopCosts {
    variables: [u16; MAX_MAIN_REASONS],
    costs: [i32; MAX_MAIN_REASONS],
    len: usize,
}

impl TopCosts {
    /// Considers variable `i` costing `cost` points; earlier variables win ties.
    #[inline]
    fn offer(&mut self, i: u16, cost: i32) {
        if cost <= 0 || (self.len == MAX_MAIN_REASONS && cost <= self.costs[MAX_MAIN_REASONS - 1]) {
            return;
        }
        let mut at = self.len.min(MAX_MAIN_REASONS - 1);
        while at > 0 && self.costs[at - 1] < cost {
            at -= 1;
        }
        let end = self.len.min(MAX_MAIN_REASONS - 1);
        self.variables.copy_within(at..end, at + 1);
        self.costs.copy_within(at..end, at + 1);
        self.variables[at] = i;
        self.costs[at] = cost;
        self.len = (self.len + 1).min(MAX_MAIN_REASONS);
    }

    /// The reasons, with an inquiries variable added fifth when it cost points but was left out.
    fn finish<I: Iterator<Item = (usize, i32)>>(&self, inquiry_costs: impl FnOnce() -> I) -> Reasons {
        let mut out = Reasons::default();
        out.variables[..self.len].copy_from_slice(&self.variables[..self.len]);
        out.len = self.len as u8;
        if self.len == MAX_MAIN_REASONS {
            let listed = &self.variables[..self.len];
            let extra = inquiry_costs()
                .filter(|&(i, cost)| cost > 0 && !listed.contains(&(i as u16)))
                .max_by_key(|&(i, cost)| (cost, std::cmp::Reverse(i)));
            if let Some((i, _)) = extra {
                out.variables[MAX_MAIN_REASONS] = i as u16;
                out.len += 1;
            }
        }
        out
    }
}
