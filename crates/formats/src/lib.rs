//! Furnisher file formats.
//!
//! Each format has a streaming reader that yields, for every record, either a validated
//! [`ob_model::records::Record`] or the list of problems found in it, each located by line (or
//! byte offset), field and stable [`ob_model::Code`]; and a writer. No storage, no clock.
//!
//! - [`jsonl`]: OpenBureau's canonical JSON-lines format (docs/formats/jsonl.md).
//! - [`pboc`]: PBOC-style reporting messages (docs/formats/pboc.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod jsonl;
mod lines;
pub mod metro2;
pub mod pboc;
mod text;
