//! The model: binnings, coefficients and integer points, its scaling, and its JSON file.
//!
//! Scaling (score = more points, better odds): with `factor = PDO / ln 2` and
//! `offset = base_score − factor · ln(base_odds)`, the log-odds good:bad `−(b0 + Σ bj·WoEj)` map to
//! `offset + factor · log-odds`. The card is split into integers: *base points*
//! `round(offset − factor · b0)` and per bin `round(−factor · bj · WoE)`. A row's score is exactly
//! its base points plus the points of its bins; `probability_bad` is what that score stands for on
//! the scale, `1 / (1 + base_odds · 2^((score − base_score) / PDO))`.

use crate::binning::{BinRule, Binning};
use crate::error::ScoreError;
use crate::limits::{MAX_BINS, MAX_MODEL_VARIABLES};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

/// Name of the model file format.
pub const FORMAT: &str = "openbureau.scorecard";

/// Version of the model file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Points given to a neutral slot (unseen category, or a missing value when training saw none).
pub const NEUTRAL_POINTS: i32 = 0;

/// How log-odds become points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// The score at the base odds.
    pub base_score_points: f64,
    /// Good:bad odds at the base score (50 means 50:1).
    pub base_odds_good_to_bad: f64,
    /// Points that double the good:bad odds.
    pub points_to_double_odds: f64,
}

/// Default base score.
pub const DEFAULT_BASE_SCORE_POINTS: f64 = 600.0;
/// Default base odds (good:bad).
pub const DEFAULT_BASE_ODDS_GOOD_TO_BAD: f64 = 50.0;
/// Default points to double the odds.
pub const DEFAULT_POINTS_TO_DOUBLE_ODDS: f64 = 20.0;

impl Default for Scaling {
    fn default() -> Self {
        Scaling {
            base_score_points: DEFAULT_BASE_SCORE_POINTS,
            base_odds_good_to_bad: DEFAULT_BASE_ODDS_GOOD_TO_BAD,
            points_to_double_odds: DEFAULT_POINTS_TO_DOUBLE_ODDS,
        }
    }
}

impl Scaling {
    /// Points per unit of log-odds.
    pub fn factor(&self) -> f64 {
        self.points_to_double_odds / std::f64::consts::LN_2
    }

    /// Points at log-odds 0 (even odds).
    pub fn offset(&self) -> f64 {
        self.base_score_points - self.factor() * self.base_odds_good_to_bad.ln()
    }

    /// The probability of bad that a score stands for.
    pub fn probability_bad(&self, score: i32) -> f64 {
        let doublings = (f64::from(score) - self.base_score_points) / self.points_to_double_odds;
        1.0 / (1.0 + self.base_odds_good_to_bad * doublings.exp2())
    }

    /// Checks that the parameters give a usable scale.
    pub fn validate(&self) -> Result<(), ScoreError> {
        let ok = self.base_score_points.is_finite()
            && self.base_odds_good_to_bad.is_finite()
            && self.base_odds_good_to_bad > 0.0
            && self.points_to_double_odds.is_finite()
            && self.points_to_double_odds > 0.0;
        if ok {
            Ok(())
        } else {
            Err(ScoreError::Config { name: "scaling", reason: "odds and PDO must be positive and finite".into() })
        }
    }
}

/// What the model predicts, for the reader of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Target column of the training data.
    pub column: String,
    /// Its value that meant "bad".
    pub bad_value: String,
}

/// A variable of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVariable {
    /// Its binning (bins, WoE, IV on the training rows).
    pub binning: Binning,
    /// Its logistic regression coefficient (negative: a higher WoE lowers the risk).
    pub coefficient: f64,
    /// Points of each bin.
    pub points: Vec<i32>,
    /// Points of a missing value: the missing bin's, or neutral when training saw none.
    pub missing_points: i32,
    /// Whether the variable counts inquiries (it may then be a fifth reason code).
    pub inquiries: bool,
}

impl ModelVariable {
    /// Points per slot: the bins, then the missing slot, then the neutral slot.
    pub fn points_per_slot(&self) -> Vec<i32> {
        let mut out = self.points.clone();
        out.push(self.missing_points);
        out.push(NEUTRAL_POINTS);
        out
    }

    /// The most points this variable can give (its best bin).
    pub fn best_points(&self) -> i32 {
        self.points_per_slot().into_iter().max().unwrap_or(NEUTRAL_POINTS)
    }

    /// The fewest points this variable can give (its worst slot).
    pub fn worst_points(&self) -> i32 {
        self.points_per_slot().into_iter().min().unwrap_or(NEUTRAL_POINTS)
    }

    /// The label of a slot.
    pub fn slot_label(&self, slot: usize) -> &str {
        match (self.binning.bins.get(slot), slot == self.binning.missing_slot(), &self.binning.missing) {
            (Some(bin), _, _) => &bin.label,
            (None, true, Some(missing)) => &missing.label,
            (None, true, None) => "missing (not seen in training: neutral)",
            _ => "unseen value (neutral)",
        }
    }
}

/// A scorecard model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// What the model predicts, when known.
    pub target: Option<Target>,
    /// The scaling to points.
    pub scaling: Scaling,
    /// The regression intercept.
    pub intercept: f64,
    /// Points every row starts with.
    pub base_points: i32,
    /// The variables, in order of information value.
    pub variables: Vec<ModelVariable>,
}

/// One line of a readable scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardLine {
    /// Variable name ("(base)" for the base points).
    pub variable: String,
    /// Bin label.
    pub bin: String,
    /// Points.
    pub points: i32,
}

impl Model {
    /// The lowest and the highest score the card can give: its base points plus every variable's
    /// worst (best) slot.
    pub fn score_range(&self) -> (i32, i32) {
        let worst: i32 = self.variables.iter().map(ModelVariable::worst_points).sum();
        let best: i32 = self.variables.iter().map(ModelVariable::best_points).sum();
        (self.base_points + worst, self.base_points + best)
    }

    /// A model from fitted binnings and coefficients (one per binning).
    pub fn new(
        binnings: Vec<Binning>,
        intercept: f64,
        coefficients: &[f64],
        scaling: Scaling,
        inquiries: &[String],
    ) -> Self {
        let factor = scaling.factor();
        let points = |coefficient: f64, woe: f64| (-factor * coefficient * woe).round() as i32;
        let variables = binnings
            .into_iter()
            .zip(coefficients)
            .map(|(binning, &coefficient)| ModelVariable {
                points: binning.bins.iter().map(|b| points(coefficient, b.woe)).collect(),
                missing_points: binning.missing.as_ref().map_or(NEUTRAL_POINTS, |b| points(coefficient, b.woe)),
                inquiries: inquiries.contains(&binning.variable),
                coefficient,
                binning,
            })
            .collect();
        Model {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            target: None,
            base_points: (scaling.offset() - factor * intercept).round() as i32,
            scaling,
            intercept,
            variables,
        }
    }

    /// Whether a variable is flagged as inquiries (so a fifth reason code may appear).
    pub fn has_inquiries(&self) -> bool {
        self.variables.iter().any(|v| v.inquiries)
    }

    /// The readable scorecard: the base points, then each variable's bins and points.
    pub fn card(&self) -> Vec<CardLine> {
        let base = CardLine { variable: "(base)".into(), bin: String::new(), points: self.base_points };
        let bins = self.variables.iter().flat_map(|v| {
            let slots = v.binning.bins.len() + 2;
            (0..slots)
                .filter(move |&s| s < v.binning.bins.len() || s == v.binning.missing_slot() || v.is_categorical())
                .map(move |s| CardLine {
                    variable: v.binning.variable.clone(),
                    bin: v.slot_label(s).to_owned(),
                    points: v.points_per_slot()[s],
                })
        });
        std::iter::once(base).chain(bins).collect()
    }

    /// The scorecard as aligned text.
    pub fn card_text(&self) -> String {
        let lines = self.card();
        let width = |f: fn(&CardLine) -> usize| lines.iter().map(f).max().unwrap_or(0);
        let (vw, bw) = (width(|l| l.variable.chars().count()), width(|l| l.bin.chars().count()));
        let s = &self.scaling;
        let mut out = format!(
            "scorecard: {} points at odds {}:1 good:bad, {} points to double the odds\n",
            s.base_score_points, s.base_odds_good_to_bad, s.points_to_double_odds
        );
        for l in &lines {
            out += &format!("{:vw$}  {:bw$}  {:>5}\n", l.variable, l.bin, l.points);
        }
        out
    }

    /// Writes the model as pretty JSON.
    pub fn write_json<W: Write>(&self, writer: W) -> Result<(), ScoreError> {
        serde_json::to_writer_pretty(writer, self)?;
        Ok(())
    }

    /// Reads a model written by [`Model::write_json`], checking its version and consistency.
    pub fn read_json<R: Read>(mut reader: R) -> Result<Model, ScoreError> {
        #[derive(Deserialize)]
        struct Probe {
            format_version: u32,
        }
        let mut text = String::new();
        reader.read_to_string(&mut text)?;
        let probe: Probe = serde_json::from_str(&text)?;
        if probe.format_version != FORMAT_VERSION {
            return Err(ScoreError::Version { found: probe.format_version, supported: FORMAT_VERSION });
        }
        let model: Model = serde_json::from_str(&text)?;
        model.check()?;
        Ok(model)
    }

    /// Checks the invariants scoring relies on (a hand-edited file may break them).
    pub fn check(&self) -> Result<(), ScoreError> {
        let invalid = |why: String| Err(ScoreError::InvalidModel(why));
        if self.format != FORMAT {
            return invalid(format!("format is `{}`, expected `{FORMAT}`", self.format));
        }
        if self.variables.len() > MAX_MODEL_VARIABLES {
            return invalid(format!("{} variables (limit {MAX_MODEL_VARIABLES})", self.variables.len()));
        }
        self.scaling.validate()?;
        for v in &self.variables {
            check_variable(v).or_else(|why| invalid(format!("variable `{}`: {why}", v.binning.variable)))?;
        }
        Ok(())
    }
}

impl ModelVariable {
    fn is_categorical(&self) -> bool {
        matches!(self.binning.rule, BinRule::Categorical { .. })
    }
}

/// The consistency of one variable.
fn check_variable(v: &ModelVariable) -> Result<(), String> {
    let bins = v.binning.bins.len();
    if bins == 0 && v.binning.missing.is_none() {
        return Err("no bins".into());
    }
    if bins > MAX_BINS {
        return Err(format!("{bins} bins (limit {MAX_BINS})"));
    }
    if v.points.len() != bins {
        return Err(format!("{} points for {bins} bins", v.points.len()));
    }
    match &v.binning.rule {
        BinRule::Numeric { cuts, .. } => {
            let finite = cuts.iter().all(|c| c.is_finite());
            if cuts.len() + 1 != bins || !finite || cuts.windows(2).any(|w| w[0] >= w[1]) {
                return Err("a numeric variable needs a bin, and finite increasing cuts one fewer than its bins".into());
            }
        }
        BinRule::Categorical { groups } => {
            if groups.len() != bins {
                return Err(format!("{} groups for {bins} bins", groups.len()));
            }
        }
    }
    Ok(())
}
