//! PBOC-style message files as a source of the ingest pipeline.
//!
//! One pass: the reader checks each record's format and rules; each record maps onto the model
//! (`ob_formats::pboc::to_model`). A file-level problem — the header, or a record count that does
//! not match — is only known at the end, and refuses the whole file: the batch's transaction is
//! dropped, so nothing of it is kept. The furnisher is the header's institution code.

use crate::ingest::{Entry, Named, Source};
use crate::{BureauError, Refusal, Result};
use ob_formats::pboc::{ReadError, Reader, to_model};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Format name in batch records.
const FORMAT_PBOC: &str = "pboc-style/2.0.0";

/// A PBOC-style file being ingested.
pub(crate) struct PbocSource {
    reader: Reader<BufReader<File>>,
}

fn refused(error: &ob_model::FieldError) -> BureauError {
    BureauError::refused(Refusal::FileInvalid, format!("{} {}: {}", error.code, error.field, error.message))
}

impl PbocSource {
    /// Opens the file and reads its header line.
    pub(crate) fn open(path: &Path) -> Result<PbocSource> {
        let reader = Reader::new(BufReader::with_capacity(1 << 16, File::open(path)?)).map_err(|e| match e {
            ReadError::Io(io) => BureauError::Io(io),
            ReadError::File { error, .. } => refused(&error),
        })?;
        Ok(PbocSource { reader })
    }
}

/// Whether a file starts with the PBOC-style header line (`A050`).
pub(crate) fn looks_like_pboc(head: &[u8]) -> bool {
    head.starts_with(b"A050")
}

impl Source for PbocSource {
    fn furnisher(&self) -> (&str, Option<&str>) {
        (&self.reader.header().institution, None)
    }

    fn format(&self) -> &'static str {
        FORMAT_PBOC
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        Some(match self.reader.next_entry()? {
            Ok(e) => {
                let named = e.outcome.as_ref().ok().and_then(to_model::named);
                let named = named.map(|s| Named { name: s.name.clone(), document: s.document.clone() });
                Ok(Entry { line: e.seq, raw: e.raw, outcome: e.outcome.and_then(|r| to_model::to_records(&r)), named })
            }
            Err(ReadError::Io(io)) => Err(BureauError::Io(io)),
            Err(ReadError::File { error, .. }) => Err(refused(&error)),
        })
    }

    fn bytes_read(&self) -> u64 {
        self.reader.bytes_read()
    }
}
