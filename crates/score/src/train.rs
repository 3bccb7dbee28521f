//! Training: split, bin, select by information value, fit, scale, evaluate.

use crate::binning::{self, Binning, BinningConfig};
use crate::error::ScoreError;
use crate::limits::MAX_MODEL_VARIABLES;
use crate::logistic::{self, DEFAULT_L2_PENALTY, Design};
use crate::model::{Model, Scaling};
use crate::parallel;
use crate::rng::SplitMix64;
use crate::scoring::Scorer;
use crate::stats::Stats;
use crate::table::{Column, ColumnValues, Table};
use serde::Serialize;

/// Default seed of the train/holdout split.
pub const DEFAULT_SEED: u64 = 42;
/// Default share of rows held out for evaluation.
pub const DEFAULT_HOLDOUT_SHARE: f64 = 0.3;
/// Default information value a variable needs to be selected.
pub const DEFAULT_MIN_IV: f64 = 0.02;
/// Default most variables in a model.
pub const DEFAULT_MAX_VARIABLES: usize = 20;

/// Settings of training.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Seed of the shuffle that splits train and holdout rows.
    pub seed: u64,
    /// Share of rows held out, in [0, 0.9].
    pub holdout_share: f64,
    /// Binning settings.
    pub binning: BinningConfig,
    /// Information value a variable needs to be selected.
    pub min_iv: f64,
    /// Most variables in the model (highest IV first).
    pub max_variables: usize,
    /// L2 penalty of the logistic regression.
    pub l2_penalty: f64,
    /// Scaling to points.
    pub scaling: Scaling,
    /// Variables that count inquiries (they may be a fifth reason code).
    pub inquiries: Vec<String>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: DEFAULT_SEED,
            holdout_share: DEFAULT_HOLDOUT_SHARE,
            binning: BinningConfig::default(),
            min_iv: DEFAULT_MIN_IV,
            max_variables: DEFAULT_MAX_VARIABLES,
            l2_penalty: DEFAULT_L2_PENALTY,
            scaling: Scaling::default(),
            inquiries: Vec::new(),
        }
    }
}

impl TrainConfig {
    /// Checks every setting's range.
    pub fn validate(&self) -> Result<(), ScoreError> {
        let bad = |name, reason: &str| Err(ScoreError::Config { name, reason: reason.to_owned() });
        self.binning.validate()?;
        self.scaling.validate()?;
        if !(0.0..=0.9).contains(&self.holdout_share) {
            return bad("holdout_share", "must be in [0, 0.9]");
        }
        if !(self.min_iv >= 0.0 && self.min_iv.is_finite()) {
            return bad("min_iv", "must be a number ≥ 0");
        }
        if !(1..=MAX_MODEL_VARIABLES).contains(&self.max_variables) {
            return bad("max_variables", "must be between 1 and 200");
        }
        if !(self.l2_penalty >= 0.0 && self.l2_penalty.is_finite()) {
            return bad("l2_penalty", "must be a number ≥ 0");
        }
        Ok(())
    }
}

/// Why a variable is in the model or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    /// In the model.
    Selected,
    /// Its information value is under the threshold.
    BelowThreshold,
    /// Enough variables of higher IV were selected.
    OverMaximum,
    /// Its fitted coefficient had the wrong sign (a collinear variable): dropped and refitted.
    ReversedSign,
}

/// One line of the information value table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableReport {
    /// Variable name.
    pub variable: String,
    /// "numeric" or "categorical".
    pub kind: &'static str,
    /// Bins, the missing bin included.
    pub bins: usize,
    /// Information value on the training rows.
    pub information_value: f64,
    /// Whether it was selected.
    pub selection: Selection,
}

/// What training did and how the model performs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    /// Rows trained on.
    pub train_rows: usize,
    /// Rows held out.
    pub holdout_rows: usize,
    /// The information value table, highest first.
    pub variables: Vec<VariableReport>,
    /// Binnings of every variable (the IV table's detail), in table order.
    pub binnings: Vec<Binning>,
    /// IRLS iterations of the final fit.
    pub iterations: usize,
    /// Statistics on the training rows.
    pub train: Option<Stats>,
    /// Statistics on the holdout rows (`None` without holdout rows of both classes).
    pub holdout: Option<Stats>,
}

/// A trained model and its report.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model.
    pub model: Model,
    /// The report.
    pub report: TrainReport,
}

/// Splits `0..rows` by a seeded shuffle into (train, holdout) row indices, each sorted.
pub fn split(rows: usize, holdout_share: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..rows).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let holdout_rows = ((rows as f64) * holdout_share).round() as usize;
    let mut holdout = order.split_off(rows - holdout_rows.min(rows));
    order.sort_unstable();
    holdout.sort_unstable();
    (order, holdout)
}

/// Bins one column over the training rows.
fn bin_column(column: &Column, is_bad: &[bool], rows: &[usize], config: &BinningConfig) -> Binning {
    match &column.values {
        ColumnValues::Numeric(v) => binning::bin_numeric(&column.name, v, is_bad, rows, config),
        ColumnValues::Categorical(c) => binning::bin_categorical(&column.name, c, is_bad, rows, config),
    }
}

/// Checks the target's length, the inquiries columns and the configuration.
fn check_inputs(table: &Table, is_bad: &[bool], config: &TrainConfig) -> Result<(), ScoreError> {
    config.validate()?;
    if is_bad.len() != table.rows() {
        return Err(ScoreError::Length { what: "target".into(), found: is_bad.len(), expected: table.rows() });
    }
    for name in &config.inquiries {
        table.require(name)?;
    }
    Ok(())
}

/// Statistics of the model on some rows.
fn evaluate(scorer: &Scorer<'_>, rows: &[usize], is_bad: &[bool]) -> Option<Stats> {
    let scores = scorer.score_rows(rows);
    let bad: Vec<bool> = rows.iter().map(|&r| is_bad[r]).collect();
    Stats::compute(&scores.score, &scores.probability_bad, &bad)
}

/// Trains a scorecard: every column of `table` is a candidate variable; `is_bad` is the target.
pub fn train(table: &Table, is_bad: &[bool], config: &TrainConfig) -> Result<Trained, ScoreError> {
    check_inputs(table, is_bad, config)?;
    let (train_rows, holdout_rows) = split(table.rows(), config.holdout_share, config.seed);
    let train_bad: Vec<bool> = train_rows.iter().map(|&r| is_bad[r]).collect();
    let bads = train_bad.iter().filter(|&&b| b).count() as u64;
    if bads == 0 || bads == train_bad.len() as u64 {
        return Err(ScoreError::OneClass { bads, goods: train_bad.len() as u64 - bads });
    }
    let binnings = parallel::map(table.columns(), |c| bin_column(c, is_bad, &train_rows, &config.binning));
    let mut variables = iv_table(table, &binnings, config);
    let fitting = Fitting { table, binnings: &binnings, train_rows: &train_rows, train_bad: &train_bad, config };
    let (chosen, fit) = fitting.fit_with_signs(&mut variables)?;
    let chosen_binnings = chosen.iter().map(|&i| binnings[i].clone()).collect();
    let model = Model::new(chosen_binnings, fit.intercept, &fit.coefficients, config.scaling, &config.inquiries);
    let scorer = Scorer::new(&model, table)?;
    let report = TrainReport {
        train_rows: train_rows.len(),
        holdout_rows: holdout_rows.len(),
        train: evaluate(&scorer, &train_rows, is_bad),
        holdout: evaluate(&scorer, &holdout_rows, is_bad),
        variables,
        binnings,
        iterations: fit.iterations,
    };
    Ok(Trained { model, report })
}

/// Indices of binnings by information value, highest first (ties: table order).
fn ranked(binnings: &[Binning]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..binnings.len()).collect();
    order.sort_by(|&a, &b| binnings[b].information_value.total_cmp(&binnings[a].information_value).then(a.cmp(&b)));
    order
}

/// The IV table with the first selection: threshold, then maximum count.
fn iv_table(table: &Table, binnings: &[Binning], config: &TrainConfig) -> Vec<VariableReport> {
    let mut selected = 0;
    ranked(binnings)
        .into_iter()
        .map(|i| {
            let b = &binnings[i];
            // A variable seen only missing has nothing to bin: it cannot be selected.
            let selection = if b.information_value < config.min_iv || b.bins.is_empty() {
                Selection::BelowThreshold
            } else if selected >= config.max_variables {
                Selection::OverMaximum
            } else {
                selected += 1;
                Selection::Selected
            };
            VariableReport {
                variable: b.variable.clone(),
                kind: table.columns()[i].values.kind(),
                bins: b.bins.len() + usize::from(b.missing.is_some()),
                information_value: b.information_value,
                selection,
            }
        })
        .collect()
}

/// The selected candidates, highest IV first, as indices into the binnings.
fn selected(binnings: &[Binning], report: &[VariableReport]) -> Vec<usize> {
    ranked(binnings)
        .into_iter()
        .filter(|&i| report.iter().any(|v| v.variable == binnings[i].variable && v.selection == Selection::Selected))
        .collect()
}

/// Slots of the training rows for one binning.
fn train_slots(table: &Table, binning: &Binning, rows: &[usize]) -> Result<Vec<u8>, ScoreError> {
    let index = binning.index(table.require(&binning.variable)?)?;
    Ok(rows.iter().map(|&r| index.slot(r) as u8).collect())
}

/// What the regression is fitted on.
struct Fitting<'a> {
    table: &'a Table,
    binnings: &'a [Binning],
    train_rows: &'a [usize],
    train_bad: &'a [bool],
    config: &'a TrainConfig,
}

impl Fitting<'_> {
    /// Fits the selected variables, dropping the one of most positive coefficient and refitting
    /// until every coefficient is negative (a higher WoE must lower the risk). Returns the kept
    /// binnings' indices and the fit; marks the dropped ones in `report`.
    fn fit_with_signs(&self, report: &mut [VariableReport]) -> Result<(Vec<usize>, logistic::Fit), ScoreError> {
        let candidates = selected(self.binnings, report);
        let slots = parallel::map(&candidates, |&i| train_slots(self.table, &self.binnings[i], self.train_rows))
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let woe: Vec<Vec<f64>> = candidates.iter().map(|&i| self.binnings[i].per_slot(|b| b.woe, 0.0)).collect();
        let mut kept: Vec<usize> = (0..candidates.len()).collect();
        loop {
            if kept.is_empty() {
                return Err(ScoreError::NoVariables { min_iv: self.config.min_iv });
            }
            let design = Design {
                slots: kept.iter().map(|&k| slots[k].as_slice()).collect(),
                values: kept.iter().map(|&k| woe[k].as_slice()).collect(),
                is_bad: self.train_bad,
            };
            let fit = logistic::fit(&design, self.config.l2_penalty)?;
            match most_positive(&fit.coefficients) {
                None => return Ok((kept.iter().map(|&k| candidates[k]).collect(), fit)),
                Some(j) => {
                    let name = &self.binnings[candidates[kept[j]]].variable;
                    if let Some(v) = report.iter_mut().find(|v| &v.variable == name) {
                        v.selection = Selection::ReversedSign;
                    }
                    kept.remove(j);
                }
            }
        }
    }
}

/// The index of the largest coefficient that is not negative, if any.
fn most_positive(coefficients: &[f64]) -> Option<usize> {
    (0..coefficients.len())
        .filter(|&j| coefficients[j] >= 0.0)
        .max_by(|&a, &b| coefficients[a].total_cmp(&coefficients[b]))
}
