//! Typed columns: numeric with missing values, or categorical strings.

use crate::error::ScoreError;
use crate::limits::MAX_COLUMNS;
use std::collections::HashMap;

/// The code of a missing value in a categorical column.
pub const MISSING_CODE: u32 = u32::MAX;

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// Numbers; `NaN` marks a missing value.
    Numeric(Vec<f64>),
    /// Dictionary-encoded strings.
    Categorical(Categorical),
}

/// A dictionary-encoded string column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Categorical {
    codes: Vec<u32>,
    levels: Vec<String>,
}

impl Categorical {
    /// Encodes values; `None` is missing.
    pub fn from_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let mut index: HashMap<&'a str, u32> = HashMap::new();
        let mut out = Categorical::default();
        for value in values {
            let code = match value {
                None => MISSING_CODE,
                Some(v) => *index.entry(v).or_insert_with(|| {
                    out.levels.push(v.to_owned());
                    (out.levels.len() - 1) as u32
                }),
            };
            out.codes.push(code);
        }
        out
    }

    /// A column from codes (each an index into `levels`, or [`MISSING_CODE`]) and distinct levels.
    pub fn from_codes(codes: Vec<u32>, levels: Vec<String>) -> Result<Self, ScoreError> {
        if let Some(&bad) = codes.iter().find(|&&c| c != MISSING_CODE && c as usize >= levels.len()) {
            return Err(ScoreError::Config { name: "codes", reason: format!("code {bad} has no level") });
        }
        Ok(Categorical { codes, levels })
    }

    /// Per row, an index into [`Categorical::levels`], or [`MISSING_CODE`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The distinct values.
    pub fn levels(&self) -> &[String] {
        &self.levels
    }

    /// The value of a row, `None` when missing.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.codes.get(row).and_then(|&c| self.levels.get(c as usize)).map(String::as_str)
    }
}

impl ColumnValues {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Numeric(v) => v.len(),
            ColumnValues::Categorical(c) => c.codes.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// "numeric" or "categorical".
    pub fn kind(&self) -> &'static str {
        match self {
            ColumnValues::Numeric(_) => "numeric",
            ColumnValues::Categorical(_) => "categorical",
        }
    }
}

/// A named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name.
    pub name: String,
    /// Its values.
    pub values: ColumnValues,
}

impl Column {
    /// A numeric column; `NaN` (and any non-finite number) is missing.
    pub fn numeric(name: impl Into<String>, values: Vec<f64>) -> Self {
        let values = values.into_iter().map(|v| if v.is_finite() { v } else { f64::NAN }).collect();
        Column { name: name.into(), values: ColumnValues::Numeric(values) }
    }

    /// A categorical column from strings; `None` is missing.
    pub fn categorical<'a>(name: impl Into<String>, values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        Column { name: name.into(), values: ColumnValues::Categorical(Categorical::from_values(values)) }
    }
}

/// Columns of equal length with distinct names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    /// A table from columns; they must have equal lengths and distinct names.
    pub fn new(columns: Vec<Column>) -> Result<Self, ScoreError> {
        if columns.len() > MAX_COLUMNS {
            return Err(ScoreError::Limit { what: "columns", found: columns.len(), limit: MAX_COLUMNS });
        }
        let rows = columns.first().map_or(0, |c| c.values.len());
        let mut seen = std::collections::HashSet::new();
        for c in &columns {
            if !seen.insert(c.name.as_str()) {
                return Err(ScoreError::DuplicateColumn(c.name.clone()));
            }
            if c.values.len() != rows {
                return Err(ScoreError::Length { what: c.name.clone(), found: c.values.len(), expected: rows });
            }
        }
        Ok(Table { columns, rows })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A column by name, or [`ScoreError::MissingColumn`].
    pub fn require(&self, name: &str) -> Result<&Column, ScoreError> {
        self.column(name).ok_or_else(|| ScoreError::MissingColumn(name.to_owned()))
    }
}
