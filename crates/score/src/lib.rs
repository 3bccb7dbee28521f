//! OpenBureau scorecards for any tabular data.
//!
//! The pipeline, all in `f64` and our own code:
//!
//! 1. a [`Table`] of typed columns (numeric with missing values, categorical strings), read from
//!    CSV by [`csv_io`] or built in memory;
//! 2. a seeded train/holdout split ([`train::split`]);
//! 3. [`binning`] per variable: quantile pre-bins merged to a monotonic bad rate (ascending,
//!    descending or auto) with a minimum bin share, categories grouped and ordered by bad rate, and
//!    a separate bin for missing values; [`woe`] gives the weight of evidence and information value;
//! 4. variable selection by information value, then a logistic regression on the WoE features fitted
//!    by IRLS with an L2 penalty ([`logistic`]);
//! 5. scaling to integer points ([`model::Scaling`]: base score, base odds, points to double the
//!    odds) so that a score is exactly its base points plus the points of its bins;
//! 6. scoring with reason codes ([`scoring`]) and the usual statistics ([`stats`]).
//!
//! The crate does no I/O of its own: the CSV and model-file helpers take `Read`/`Write`. It reads
//! no clock. Training is deterministic given its seed, whatever the number of threads.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod binning;
pub mod csv_io;
pub mod error;
pub mod limits;
pub mod logistic;
pub mod model;
mod parallel;
mod rng;
pub mod scoring;
pub mod stats;
pub mod synthetic;
pub mod table;
pub mod train;
pub mod woe;

pub use error::ScoreError;
pub use model::{Model, Scaling};
pub use scoring::{Reasons, Scores};
pub use table::{Column, ColumnValues, Table};
pub use train::{TrainConfig, TrainReport, Trained, train};
