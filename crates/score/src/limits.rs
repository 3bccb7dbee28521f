//! Every bound this crate enforces, with the reason for its value.

/// Most bins a variable may have (pre-bins, categorical groups), missing bin apart. Bin indices are
/// stored in a byte per row and variable; two slots above the bins are kept for "missing" and
/// "neutral", so the bound must stay below 254. 64 is far more than a readable scorecard needs.
pub const MAX_BINS: usize = 64;

/// Most variables in one model. Reason codes store a variable's index in a `u16`; the IRLS normal
/// matrix grows as the square of this, and scorecards rarely use more than 30 variables.
pub const MAX_MODEL_VARIABLES: usize = 200;

/// Most columns in one table: a CSV wider than this is more likely a mistake than a dataset.
pub const MAX_COLUMNS: usize = 10_000;

/// Most Newton (IRLS) iterations; logistic regression on WoE features converges in under ten.
pub const MAX_IRLS_ITERATIONS: usize = 100;

/// IRLS stops when no coefficient moves by more than this.
pub const IRLS_TOLERANCE: f64 = 1e-9;

/// Most times one IRLS step is halved when it made the penalised deviance worse.
pub const MAX_STEP_HALVINGS: usize = 30;

/// Rows per work unit when a pass over rows is split among threads. A fixed size keeps the sums
/// (and so the model) identical whatever the number of threads.
pub const CHUNK_ROWS: usize = 16_384;

/// Most threads used by one call; this crate runs beside other work.
pub const MAX_THREADS: usize = 16;

/// Reason codes per row: 4, as US adverse-action practice asks, plus one for inquiries.
pub const MAX_REASONS: usize = 5;

/// Reason codes per row when no inquiries variable had to be added.
pub const MAX_MAIN_REASONS: usize = 4;

/// Characters of an offending value quoted back in an error message.
pub const QUOTED_VALUE_CHARS: usize = 40;

/// Deciles of the calibration table.
pub const CALIBRATION_GROUPS: usize = 10;
