//! Lists (`consent list`, `dispute list`, `statement list`, `org list`…): text by default, one
//! line per item with tab-separated columns under a header line, or `--format json`.

use crate::Failure;
use clap::{Args, ValueEnum};
use serde::Serialize;

/// How a list is printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A header line, then one line per item, columns separated by tabs.
    #[default]
    Text,
    /// A JSON array, pretty-printed.
    Json,
}

/// The `--format` flag of every list command.
#[derive(Args, Clone, Copy)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// A value shown in a text column: absent values show as `-`.
pub fn cell(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Prints `items` as `format` asks: in text, `header` then `row(item)` for each item (a value's
/// tabs and line breaks become spaces, so that one item is always one line).
pub fn print<T: Serialize>(
    items: &[T],
    format: Format,
    header: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> Result<(), Failure> {
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(items)?),
        Format::Text => {
            outln!("{}", header.join("\t"));
            for item in items {
                let cells: Vec<String> = row(item).into_iter().map(|c| c.replace(['\t', '\n', '\r'], " ")).collect();
                debug_assert_eq!(cells.len(), header.len(), "a row has one cell per column");
                outln!("{}", cells.join("\t"));
            }
        }
    }
    Ok(())
}
