//! What the pipeline reads: the furnisher formats, told apart by their first bytes, and the
//! [`Source`] every format is read through — one entry (a line or a data record) at a time, each
//! standing for its records or for the problems found in it.

use crate::Result;
use ob_formats::jsonl;
use ob_model::FieldError;
use ob_model::records::Record;
use sha2::{Digest, Sha256};
use std::io::{BufRead, Read};
use std::path::Path;

/// Name of the canonical format in batch records.
pub(super) const FORMAT_JSONL: &str = "openbureau.jsonl/1";

/// The furnisher formats the bureau reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Canonical JSON lines: the first byte that is not white space (or a byte-order mark) is `{`.
    Jsonl,
    /// PBOC-style messages: the file starts with the `A050` header.
    Pboc,
    /// Metro 2: it starts with a record or block descriptor word, then the header or a base
    /// segment.
    Metro2,
}

/// What the refusal of a file in no known format says.
const FORMATS_EXPECTED: &str = "expected canonical JSON lines (openbureau.jsonl/1), a Metro 2 file (character or packed) or a PBOC-style message file (A050 header)";

/// Recognises a file's format from its first bytes; a file in none of them is refused
/// (`FILE_INVALID`), saying what was found and what would be read.
pub fn file_kind(path: &Path) -> Result<FileKind> {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    let head = &head[..n];
    if crate::pboc::looks_like_pboc(head) {
        return Ok(FileKind::Pboc);
    }
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let jsonl = text.iter().find(|b| !b.is_ascii_whitespace()).is_none_or(|b| *b == b'{');
    if jsonl {
        return Ok(FileKind::Jsonl);
    }
    if ob_formats::metro2::looks_like_metro2(head) {
        return Ok(FileKind::Metro2);
    }
    // The bytes themselves are not echoed: a file's first line may hold an identifier.
    Err(crate::BureauError::refused(
        crate::Refusal::FileInvalid,
        format!(
            "unrecognized format: the file starts with neither `{{`, a Metro 2 descriptor word nor an A050 header; {FORMATS_EXPECTED}"
        ),
    ))
}

/// The code of the furnisher a file names, read from its start only: the header of canonical JSON
/// lines or of PBOC-style messages, a Metro 2 file's first data record. The rest of the file is
/// not checked here: ingest does that.
pub fn furnisher_of(path: &Path) -> Result<String> {
    match file_kind(path)? {
        FileKind::Jsonl => {
            let file = std::io::BufReader::new(std::fs::File::open(path)?);
            Ok(jsonl::Reader::new(file)?.header().furnisher.clone())
        }
        FileKind::Pboc => Ok(crate::pboc::PbocSource::open(path)?.furnisher().0.to_owned()),
        FileKind::Metro2 => crate::metro2::first_identification(path),
    }
}

/// SHA-256 of a file's bytes, streamed.
pub fn file_digest(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().into());
        }
        h.update(&buf[..n]);
    }
}

/// One entry of a furnisher file: a line (JSON lines) or a data record (Metro 2).
pub(crate) struct Entry<'a> {
    /// Line or record number, 1-based.
    pub(crate) line: u64,
    /// The entry as sent, for the feedback file.
    pub(crate) raw: &'a [u8],
    /// The records it stands for, or every problem found in it.
    pub(crate) outcome: std::result::Result<Vec<Record>, Vec<FieldError>>,
    /// The person the entry names where its records may not keep it: a PBOC-style account
    /// message names its person in every message, its records only with the account's terms.
    pub(crate) named: Option<Named>,
}

/// A person an entry names, by name and document.
#[derive(Clone, Debug)]
pub(crate) struct Named {
    /// The name as sent.
    pub(crate) name: String,
    /// The document as sent.
    pub(crate) document: ob_model::DocumentNumber,
}

/// A furnisher file being read.
pub(crate) trait Source {
    /// The furnisher's code and name.
    fn furnisher(&self) -> (&str, Option<&str>);
    /// Format name, for the batch record.
    fn format(&self) -> &'static str;
    /// The next entry.
    fn next_entry(&mut self) -> Option<Result<Entry<'_>>>;
    /// The records of the entries this source has read ahead and not yet handed out, given once:
    /// a source that reads in chunks gives each chunk's records here before its first entry, so
    /// the batch can look up what they need together. Empty by default, and whenever nothing new
    /// was read ahead.
    fn ahead(&mut self) -> Vec<&Record> {
        Vec::new()
    }
    /// The documents of the people the entries [`Source::ahead`] last gave name beside their
    /// records ([`Entry::named`]); asked right after it gave some. Empty by default.
    fn ahead_named(&self) -> Vec<&ob_model::DocumentNumber> {
        Vec::new()
    }
    /// Whether the batch looks up ahead what [`Source::ahead`] gives; a source that reads ahead
    /// only for that reads one entry at a time when it does not. Nothing by default.
    fn look_ahead(&mut self, _on: bool) {}
    /// Bytes read so far.
    fn bytes_read(&self) -> u64;
}

/// A canonical JSON-lines stream.
pub(super) struct JsonlSource<R>(pub(super) jsonl::Reader<R>);

impl<R: BufRead> Source for JsonlSource<R> {
    fn furnisher(&self) -> (&str, Option<&str>) {
        let h = self.0.header();
        (&h.furnisher, h.furnisher_name.as_deref())
    }

    fn format(&self) -> &'static str {
        FORMAT_JSONL
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        Some(match self.0.next_entry()? {
            Ok(e) => Ok(Entry { line: e.line, raw: e.raw, outcome: e.outcome.map(|r| vec![r]), named: None }),
            Err(e) => Err(e.into()),
        })
    }

    fn bytes_read(&self) -> u64 {
        self.0.bytes_read()
    }
}
