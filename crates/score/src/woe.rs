//! Weight of evidence and information value, smoothed so that empty cells stay finite.
//!
//! For bin *i* of *k* bins with `goods_i` and `bads_i` rows, out of `G` goods and `B` bads in all,
//! and the smoothing term `α` (default [`DEFAULT_SMOOTHING`]):
//!
//! ```text
//! good_share_i = (goods_i + α) / (G + k·α)      bad_share_i = (bads_i + α) / (B + k·α)
//! WoE_i = ln(good_share_i / bad_share_i)        IV_i = (good_share_i − bad_share_i) · WoE_i
//! ```
//!
//! A positive WoE marks a bin better (fewer bads) than the population.

use serde::{Deserialize, Serialize};

/// Default smoothing term α: half a row added to every cell (the Jeffreys-style correction).
pub const DEFAULT_SMOOTHING: f64 = 0.5;

/// Goods and bads in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Good rows.
    pub goods: u64,
    /// Bad rows.
    pub bads: u64,
}

impl Counts {
    /// Rows in the cell.
    pub fn rows(self) -> u64 {
        self.goods + self.bads
    }

    /// Adds one row.
    pub fn add(&mut self, is_bad: bool) {
        if is_bad {
            self.bads += 1;
        } else {
            self.goods += 1;
        }
    }

    /// The sum of two cells.
    pub fn plus(self, other: Counts) -> Counts {
        Counts { goods: self.goods + other.goods, bads: self.bads + other.bads }
    }

    /// Raw bad rate (0 for an empty cell).
    pub fn bad_rate(self) -> f64 {
        if self.rows() == 0 { 0.0 } else { self.bads as f64 / self.rows() as f64 }
    }
}

/// The population a WoE is measured against.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// All goods and bads.
    pub total: Counts,
    /// Number of bins (including a missing bin).
    pub bins: usize,
    /// Smoothing term α.
    pub smoothing: f64,
}

impl Population {
    fn shares(&self, cell: Counts) -> (f64, f64) {
        let k = self.bins as f64 * self.smoothing;
        let good = (cell.goods as f64 + self.smoothing) / (self.total.goods as f64 + k);
        let bad = (cell.bads as f64 + self.smoothing) / (self.total.bads as f64 + k);
        (good, bad)
    }

    /// Weight of evidence of a cell.
    pub fn woe(&self, cell: Counts) -> f64 {
        let (good, bad) = self.shares(cell);
        (good / bad).ln()
    }

    /// Information value of a cell.
    pub fn iv(&self, cell: Counts) -> f64 {
        let (good, bad) = self.shares(cell);
        (good - bad) * (good / bad).ln()
    }
}
