//! Binning: numeric variables into monotonic intervals, categorical variables into groups ordered
//! by bad rate, each with a separate bin for missing values.
//!
//! At scoring time a row falls into a *slot*: `0..k` are the bins, `k` is the missing slot (the
//! missing bin, or neutral when training saw no missing value) and `k + 1` is the neutral slot
//! (an unseen category). Neutral means WoE 0, hence 0 points.

mod categorical;
mod merge;
mod numeric;

use crate::error::ScoreError;
use crate::limits::MAX_BINS;
use crate::table::{Column, ColumnValues, MISSING_CODE};
use crate::woe::{Counts, DEFAULT_SMOOTHING};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use categorical::bin_categorical;
pub use numeric::bin_numeric;

/// The monotonic constraint asked of a numeric variable's bad rate as its value rises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monotonic {
    /// The bad rate rises with the value.
    Ascending,
    /// The bad rate falls as the value rises.
    Descending,
    /// Whichever of the two gives the higher information value (ascending on a tie).
    #[default]
    Auto,
}

/// The direction a binning ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The bad rate rises from bin to bin (WoE falls).
    Ascending,
    /// The bad rate falls from bin to bin (WoE rises).
    Descending,
}

/// Settings of the binning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinningConfig {
    /// Quantile pre-bins of a numeric variable before merging (at most [`MAX_BINS`]).
    pub pre_bins: usize,
    /// Smallest share of the training rows a bin may hold (the missing bin apart), in (0, 0.5].
    pub min_bin_share: f64,
    /// Monotonic constraint for numeric variables.
    pub monotonic: Monotonic,
    /// Most groups of a categorical variable (at most [`MAX_BINS`]).
    pub max_categorical_bins: usize,
    /// WoE smoothing term α (> 0), see [`crate::woe`].
    pub smoothing: f64,
}

/// Default number of quantile pre-bins (5% each).
pub const DEFAULT_PRE_BINS: usize = 20;
/// Default minimum bin share.
pub const DEFAULT_MIN_BIN_SHARE: f64 = 0.05;
/// Default maximum number of categorical groups.
pub const DEFAULT_MAX_CATEGORICAL_BINS: usize = 10;

impl Default for BinningConfig {
    fn default() -> Self {
        BinningConfig {
            pre_bins: DEFAULT_PRE_BINS,
            min_bin_share: DEFAULT_MIN_BIN_SHARE,
            monotonic: Monotonic::Auto,
            max_categorical_bins: DEFAULT_MAX_CATEGORICAL_BINS,
            smoothing: DEFAULT_SMOOTHING,
        }
    }
}

impl BinningConfig {
    /// Checks every setting's range.
    pub fn validate(&self) -> Result<(), ScoreError> {
        let bad = |name, reason: &str| Err(ScoreError::Config { name, reason: reason.to_owned() });
        if !(1..=MAX_BINS).contains(&self.pre_bins) {
            return bad("pre_bins", "must be between 1 and 64");
        }
        if !(1..=MAX_BINS).contains(&self.max_categorical_bins) {
            return bad("max_categorical_bins", "must be between 1 and 64");
        }
        if !(self.min_bin_share > 0.0 && self.min_bin_share <= 0.5) {
            return bad("min_bin_share", "must be in (0, 0.5]");
        }
        if !(self.smoothing > 0.0 && self.smoothing.is_finite()) {
            return bad("smoothing", "must be a positive number");
        }
        Ok(())
    }
}

/// How values map to bins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BinRule {
    /// Intervals `[cuts[i-1], cuts[i])`; the first is open below, the last open above.
    Numeric {
        /// Increasing cut points (k − 1 of them for k bins).
        cuts: Vec<f64>,
        /// The bad rate's direction from bin to bin.
        direction: Direction,
    },
    /// Groups of category values; any other value is unseen (neutral).
    Categorical {
        /// The values of each bin, in bin order (bad rate ascending).
        groups: Vec<Vec<String>>,
    },
}

/// One bin: its label, counts on the training rows, WoE and IV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Readable label: `< 23`, `[23, 34)`, `>= 34`, `a | b`, `missing`.
    pub label: String,
    /// Training goods and bads.
    #[serde(flatten)]
    pub counts: Counts,
    /// Weight of evidence (positive: better than the population).
    pub woe: f64,
    /// Information value contributed.
    pub iv: f64,
}

/// The binning of one variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binning {
    /// Variable (column) name.
    pub variable: String,
    /// How values map to bins.
    pub rule: BinRule,
    /// The bins, in rule order.
    pub bins: Vec<Bin>,
    /// The missing bin, when training saw missing values.
    pub missing: Option<Bin>,
    /// Information value: the sum of the bins' IV.
    pub information_value: f64,
}

/// Label of the missing bin.
pub const MISSING_LABEL: &str = "missing";

impl Binning {
    /// The slot of the missing value.
    pub fn missing_slot(&self) -> usize {
        self.bins.len()
    }

    /// The neutral slot (unseen category; missing value when training saw none).
    pub fn neutral_slot(&self) -> usize {
        self.bins.len() + 1
    }

    /// A value per slot: `value` of each bin, then of the missing bin (or `neutral`), then `neutral`.
    pub fn per_slot<T: Copy>(&self, value: impl Fn(&Bin) -> T, neutral: T) -> Vec<T> {
        let mut out: Vec<T> = self.bins.iter().map(&value).collect();
        out.push(self.missing.as_ref().map_or(neutral, &value));
        out.push(neutral);
        out
    }

    /// A slot finder for `column`, whose kind must match the rule's.
    pub fn index<'a>(&'a self, column: &'a Column) -> Result<SlotIndex<'a>, ScoreError> {
        let missing = self.missing_slot() as u8;
        match (&self.rule, &column.values) {
            (BinRule::Numeric { cuts, .. }, ColumnValues::Numeric(values)) => {
                Ok(SlotIndex::Numeric { values, cuts, missing })
            }
            (BinRule::Categorical { groups }, ColumnValues::Categorical(c)) => {
                let by_value: HashMap<&str, u8> = groups
                    .iter()
                    .enumerate()
                    .flat_map(|(slot, group)| group.iter().map(move |v| (v.as_str(), slot as u8)))
                    .collect();
                let neutral = self.neutral_slot() as u8;
                let level_slots =
                    c.levels().iter().map(|l| by_value.get(l.as_str()).copied().unwrap_or(neutral)).collect();
                Ok(SlotIndex::Categorical { codes: c.codes(), level_slots, missing })
            }
            (BinRule::Numeric { .. }, _) => {
                Err(ScoreError::ColumnKind { column: column.name.clone(), expected: "numeric" })
            }
            (BinRule::Categorical { .. }, _) => {
                Err(ScoreError::ColumnKind { column: column.name.clone(), expected: "categorical" })
            }
        }
    }
}

/// Finds the slot of each row of one column.
#[derive(Debug)]
pub enum SlotIndex<'a> {
    /// A numeric column and its cut points.
    Numeric {
        /// The column's values.
        values: &'a [f64],
        /// The binning's cuts.
        cuts: &'a [f64],
        /// The missing slot.
        missing: u8,
    },
    /// A categorical column with a slot per level.
    Categorical {
        /// The column's codes.
        codes: &'a [u32],
        /// Slot of each level of the column.
        level_slots: Vec<u8>,
        /// The missing slot.
        missing: u8,
    },
}

impl SlotIndex<'_> {
    /// The slot of `row` (which must be in the table).
    #[inline]
    pub fn slot(&self, row: usize) -> usize {
        match self {
            SlotIndex::Numeric { values, cuts, missing } => {
                let x = values[row];
                if x.is_nan() { usize::from(*missing) } else { cuts.partition_point(|&c| c <= x) }
            }
            SlotIndex::Categorical { codes, level_slots, missing } => match codes[row] {
                MISSING_CODE => usize::from(*missing),
                code => usize::from(level_slots[code as usize]),
            },
        }
    }
}
