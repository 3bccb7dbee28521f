//! CSV helpers over `Read`/`Write`: read a table (types inferred, or as a model needs them), read a
//! target, and write scores beside the input columns.

use crate::binning::BinRule;
use crate::error::ScoreError;
use crate::limits::{MAX_COLUMNS, QUOTED_VALUE_CHARS};
use crate::model::Model;
use crate::scoring::Scores;
use crate::table::{Column, Table};
use std::io::{Read, Write};

/// Texts read as a missing value (after trimming spaces), in any column.
pub const MISSING_MARKERS: [&str; 10] = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "."];

/// Names of the score columns [`write_scores`] adds (reason columns follow).
pub const SCORE_COLUMNS: [&str; 2] = ["score", "probability_bad"];

/// Digits after the point of `probability_bad` in the output.
const PROBABILITY_DECIMALS: usize = 6;

/// Whether a field is a missing value.
pub fn is_missing(field: &str) -> bool {
    MISSING_MARKERS.contains(&field.trim())
}

/// A CSV file held in memory: its header and its records (with their line numbers).
#[derive(Debug, Clone)]
pub struct CsvData {
    headers: Vec<String>,
    records: Vec<csv::StringRecord>,
}

impl CsvData {
    /// Reads a CSV with a header line. Errors: malformed CSV (with its line), duplicate column
    /// names, too many columns, or no data rows.
    pub fn read<R: Read>(reader: R) -> Result<Self, ScoreError> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
        let headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        if headers.len() > MAX_COLUMNS {
            return Err(ScoreError::Limit { what: "columns", found: headers.len(), limit: MAX_COLUMNS });
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = headers.iter().find(|h| !seen.insert(h.as_str())) {
            return Err(ScoreError::DuplicateColumn(dup.clone()));
        }
        let records = reader.into_records().collect::<Result<Vec<_>, _>>()?;
        if records.is_empty() {
            return Err(ScoreError::Empty);
        }
        Ok(CsvData { headers, records })
    }

    /// Column names.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Data rows.
    pub fn rows(&self) -> usize {
        self.records.len()
    }

    /// Position of a column, or [`ScoreError::MissingColumn`].
    pub fn column_index(&self, name: &str) -> Result<usize, ScoreError> {
        self.headers.iter().position(|h| h == name).ok_or_else(|| ScoreError::MissingColumn(name.to_owned()))
    }

    /// The 1-based line of data row `row`.
    fn line(&self, row: usize) -> u64 {
        self.records.get(row).and_then(|r| r.position()).map_or(0, csv::Position::line)
    }

    /// The fields of one column, trimmed.
    fn fields(&self, column: usize) -> impl Iterator<Item = &str> {
        self.records.iter().map(move |r| r.get(column).unwrap_or("").trim())
    }

    /// The target: `true` where the column equals `bad_value` (both trimmed). An empty target is
    /// an error with its line.
    pub fn target(&self, column: &str, bad_value: &str) -> Result<Vec<bool>, ScoreError> {
        let index = self.column_index(column)?;
        let bad_value = bad_value.trim();
        self.fields(index)
            .enumerate()
            .map(|(row, f)| match f {
                "" => Err(ScoreError::TargetMissing { line: self.line(row), column: column.to_owned() }),
                f => Ok(f == bad_value),
            })
            .collect()
    }

    /// A table of every column but those in `skip`: a column is numeric when each of its
    /// non-missing values is a finite number (and it has one), categorical otherwise.
    pub fn infer_table(&self, skip: &[&str]) -> Result<Table, ScoreError> {
        for name in skip {
            self.column_index(name)?;
        }
        let columns = (0..self.headers.len())
            .filter(|&i| !skip.contains(&self.headers[i].as_str()))
            .map(|i| match self.numeric(i) {
                Ok(column) => column,
                Err(_) => self.categorical(i),
            })
            .collect();
        Table::new(columns)
    }

    /// A table of the columns the model scores, typed as the model needs them.
    pub fn table_for(&self, model: &Model) -> Result<Table, ScoreError> {
        let columns = model
            .variables
            .iter()
            .map(|v| {
                let index = self.column_index(&v.binning.variable)?;
                match v.binning.rule {
                    BinRule::Numeric { .. } => self.numeric(index),
                    BinRule::Categorical { .. } => Ok(self.categorical(index)),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Table::new(columns)
    }

    /// Column `index` as numbers; the first field that is neither a number nor missing is an error.
    fn numeric(&self, index: usize) -> Result<Column, ScoreError> {
        let mut values = Vec::with_capacity(self.rows());
        let mut any = false;
        for (row, field) in self.fields(index).enumerate() {
            if is_missing(field) {
                values.push(f64::NAN);
                continue;
            }
            match field.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    any = true;
                    values.push(v);
                }
                _ => {
                    let value = field.chars().take(QUOTED_VALUE_CHARS).collect();
                    let column = self.headers[index].clone();
                    return Err(ScoreError::NotNumeric { line: self.line(row), column, value });
                }
            }
        }
        if !any {
            return Err(ScoreError::ColumnKind { column: self.headers[index].clone(), expected: "numeric" });
        }
        Ok(Column::numeric(self.headers[index].clone(), values))
    }

    /// Column `index` as categories.
    fn categorical(&self, index: usize) -> Column {
        let values = self.fields(index).map(|f| (!is_missing(f)).then_some(f));
        Column::categorical(self.headers[index].clone(), values)
    }
}

/// The reason columns: `reason_1` … `reason_4`, and `reason_5` when the model has an inquiries
/// variable.
pub fn reason_columns(model: &Model) -> Vec<String> {
    let count = if model.has_inquiries() { crate::limits::MAX_REASONS } else { crate::limits::MAX_MAIN_REASONS };
    (1..=count).map(|i| format!("reason_{i}")).collect()
}

/// Writes every input column, then `score`, `probability_bad` and the reason columns. `scores`
/// must hold one entry per row of `data`.
pub fn write_scores<W: Write>(writer: W, data: &CsvData, model: &Model, scores: &Scores) -> Result<(), ScoreError> {
    if scores.score.len() != data.rows() {
        return Err(ScoreError::Length { what: "scores".into(), found: scores.score.len(), expected: data.rows() });
    }
    let reasons = reason_columns(model);
    let added: Vec<&str> = SCORE_COLUMNS.iter().copied().chain(reasons.iter().map(String::as_str)).collect();
    if let Some(clash) = added.iter().find(|a| data.headers.iter().any(|h| h == *a)) {
        return Err(ScoreError::ColumnClash((*clash).to_owned()));
    }
    let mut out = csv::Writer::from_writer(writer);
    out.write_record(data.headers.iter().map(String::as_str).chain(added.iter().copied()))?;
    for (row, record) in data.records.iter().enumerate() {
        let names: Vec<&str> = model.reason_names(&scores.reasons[row]).collect();
        let fields = record
            .iter()
            .map(str::to_owned)
            .chain([scores.score[row].to_string(), format!("{:.*}", PROBABILITY_DECIMALS, scores.probability_bad[row])])
            .chain((0..reasons.len()).map(|i| names.get(i).copied().unwrap_or("").to_owned()));
        out.write_record(fields)?;
    }
    out.flush()?;
    Ok(())
}
