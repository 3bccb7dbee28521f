//! The crate's error type.

use thiserror::Error;

/// Everything that can go wrong in this crate. Messages name the column and line, never a whole row.
#[derive(Debug, Error)]
pub enum ScoreError {
    /// The CSV text is malformed (unequal field counts, bad UTF-8…).
    #[error("CSV line {line}: {message}")]
    Csv {
        /// 1-based line of the problem (0 when unknown).
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// The CSV has a header but no data rows.
    #[error("no data rows after the header")]
    Empty,
    /// A needed column is absent.
    #[error("column `{0}` is not in the data")]
    MissingColumn(String),
    /// Two columns share a name.
    #[error("column `{0}` appears twice")]
    DuplicateColumn(String),
    /// A column of a numeric variable holds something that is neither a number nor a missing marker.
    #[error("line {line}, column `{column}`: `{value}` is not a number")]
    NotNumeric {
        /// 1-based line in the CSV.
        line: u64,
        /// Column name.
        column: String,
        /// The offending text (truncated to a few characters).
        value: String,
    },
    /// A column has the wrong kind for the model's variable.
    #[error("column `{column}` must be {expected}")]
    ColumnKind {
        /// Column name.
        column: String,
        /// "numeric" or "categorical".
        expected: &'static str,
    },
    /// Columns of unequal lengths, or a target of another length than the table.
    #[error("`{what}` has {found} rows, the table has {expected}")]
    Length {
        /// What was measured.
        what: String,
        /// Its row count.
        found: usize,
        /// The table's row count.
        expected: usize,
    },
    /// A row number past the end of the table.
    #[error("row {row} does not exist: the table has {rows} rows")]
    NoSuchRow {
        /// The row asked for (0-based).
        row: usize,
        /// Rows in the table.
        rows: usize,
    },
    /// The target column is empty on a row.
    #[error("line {line}: the target column `{column}` is empty")]
    TargetMissing {
        /// 1-based line in the CSV.
        line: u64,
        /// Target column.
        column: String,
    },
    /// The training rows hold only one class.
    #[error("the training data has {bads} bad and {goods} good rows: both classes are needed")]
    OneClass {
        /// Bad rows.
        bads: u64,
        /// Good rows.
        goods: u64,
    },
    /// No variable is left to fit.
    #[error("no variable reaches the information value threshold {min_iv} (or all had a reversed sign)")]
    NoVariables {
        /// The threshold in force.
        min_iv: f64,
    },
    /// A setting is out of range.
    #[error("setting `{name}`: {reason}")]
    Config {
        /// The setting.
        name: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The logistic regression failed (a singular system).
    #[error("logistic regression failed: {0}")]
    Fit(String),
    /// A limit of [`crate::limits`] is exceeded.
    #[error("{what}: {found} exceeds the limit of {limit}")]
    Limit {
        /// What is counted.
        what: &'static str,
        /// The count found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// The model file is not valid JSON for a model.
    #[error("model file: {0}")]
    ModelFile(#[from] serde_json::Error),
    /// The model file has a format version this build does not read.
    #[error("model format version {found} is not supported (this build reads version {supported})")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The model file is well-formed JSON but not a consistent model.
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// Output columns would clash with an input column.
    #[error("the input already has a column named `{0}`")]
    ColumnClash(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<csv::Error> for ScoreError {
    fn from(e: csv::Error) -> Self {
        let line = e.position().map_or(0, csv::Position::line);
        match e.into_kind() {
            csv::ErrorKind::Io(io) => ScoreError::Io(io),
            kind => ScoreError::Csv { line, message: csv_kind_message(&kind) },
        }
    }
}

fn csv_kind_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        other => format!("{other:?}"),
    }
}
