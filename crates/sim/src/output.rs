//! Where chunks of people go once generated: files in a folder, or nowhere (a counting sink,
//! for benchmarks).
//!
//! Chunks arrive in person order. A chunk holds, for every furnisher-month file, the lines of its
//! people (contiguous per person), the truth lines of its people, and notes on its deliberate
//! lines with line numbers counted within the chunk; the sink appends each part to its file and
//! turns the notes' line numbers into the files' own.

use crate::account::PRODUCTS;
use crate::emit::{ChunkLine, Note, NoteExpect};
use crate::format::FileFormat;
use crate::params::DELIVERY_DAY;
use crate::truth::{Expectation, ExpectedLine, FileLine};
use crate::{SimFile, Window};
use ob_model::YearMonth;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use time::Date;

/// The date a month's file is delivered: the 5th of the following month.
pub(crate) fn delivery_date(month: YearMonth) -> Date {
    month.plus(1).day(DELIVERY_DAY)
}

/// Counts of what was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Account records.
    pub(crate) accounts: u64,
    /// Consent records.
    pub(crate) consents: u64,
    /// Month records in their month's file (one per account-month, right or deliberately wrong).
    pub(crate) months: u64,
    /// Notices.
    pub(crate) notices: u64,
    /// Month records sent again to correct an earlier one.
    pub(crate) corrections: u64,
    /// Deletions.
    pub(crate) deletions: u64,
    /// Deliberately malformed or invalid lines.
    pub(crate) malformed: u64,
    /// Bytes of furnisher files.
    pub(crate) bytes: u64,
}

impl Counts {
    /// Adds `other` to these counts.
    pub(crate) fn merge(&mut self, other: &Counts) {
        self.accounts += other.accounts;
        self.consents += other.consents;
        self.months += other.months;
        self.notices += other.notices;
        self.corrections += other.corrections;
        self.deletions += other.deletions;
        self.malformed += other.malformed;
        self.bytes += other.bytes;
    }
}

/// What a chunk of people produced.
pub(crate) struct ChunkOut {
    /// Index of the chunk.
    pub(crate) index: u32,
    /// People in it.
    pub(crate) people: u32,
    /// Per file, the chunk's lines.
    pub(crate) files: Vec<Vec<u8>>,
    /// Per file, how many lines.
    pub(crate) lines: Vec<u64>,
    /// The people's truth lines.
    pub(crate) truth: Vec<u8>,
    /// Notes on deliberate lines.
    pub(crate) notes: Vec<Note>,
    /// Counts.
    pub(crate) counts: Counts,
}

impl ChunkOut {
    /// Empties the chunk for reuse as chunk `index`, keeping its buffers' capacity.
    pub(crate) fn reset(&mut self, index: u32) {
        self.index = index;
        self.people = 0;
        self.files.iter_mut().for_each(Vec::clear);
        self.lines.iter_mut().for_each(|l| *l = 0);
        self.truth.clear();
        self.notes.clear();
        self.counts = Counts::default();
    }

    /// An empty chunk for `files` files.
    pub(crate) fn new(index: u32, files: usize) -> ChunkOut {
        ChunkOut {
            index,
            people: 0,
            files: vec![Vec::new(); files],
            lines: vec![0; files],
            truth: Vec::new(),
            notes: Vec::new(),
            counts: Counts::default(),
        }
    }
}

/// Takes the chunks, in order.
pub(crate) trait Sink {
    /// Appends one chunk (its notes are taken; its buffers are left for reuse).
    fn chunk(&mut self, chunk: &mut ChunkOut) -> io::Result<()>;
    /// Completes everything; returns the files written, in ingestion order.
    fn finish(self: Box<Self>) -> io::Result<Vec<SimFile>>;
}

/// A sink that only counts: nothing is written.
pub(crate) struct CountingSink;

impl Sink for CountingSink {
    fn chunk(&mut self, _chunk: &mut ChunkOut) -> io::Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<SimFile>> {
        Ok(Vec::new())
    }
}

/// One furnisher-month file while it is written.
struct OpenFile {
    furnisher: usize,
    month: YearMonth,
    path: PathBuf,
    /// The path relative to the output folder, with `/`.
    name: String,
    truth_path: PathBuf,
    out: File,
    /// Lines written so far, the header's included.
    lines: u64,
}

/// Writes `<FURNISHER>/<YYYY-MM>.<ext>` for every furnisher and month, the truth beside each in
/// `truth/<FURNISHER>/<YYYY-MM>.jsonl`, and `truth.jsonl`.
pub(crate) struct DirSink {
    format: &'static dyn FileFormat,
    files: Vec<OpenFile>,
    truth: BufWriter<File>,
}

impl DirSink {
    /// Creates every file (existing ones of the same names are overwritten).
    pub(crate) fn create(out_dir: &Path, window: &Window, format: &'static dyn FileFormat) -> io::Result<DirSink> {
        let mut files = Vec::new();
        for (furnisher, product) in PRODUCTS.iter().enumerate() {
            fs::create_dir_all(out_dir.join(product.code()))?;
            fs::create_dir_all(out_dir.join("truth").join(product.code()))?;
            for month in window.iter() {
                let name = format!("{}/{month}.{}", product.code(), format.extension());
                let path = out_dir.join(product.code()).join(format!("{month}.{}", format.extension()));
                let truth_path = out_dir.join("truth").join(product.code()).join(format!("{month}.jsonl"));
                File::create(&truth_path)?;
                let mut out = File::create(&path)?;
                out.write_all(&format.header(furnisher, month)?)?;
                files.push(OpenFile { furnisher, month, path, name, truth_path, out, lines: format.header_lines() });
            }
        }
        let truth = BufWriter::new(File::create(out_dir.join("truth.jsonl"))?);
        Ok(DirSink { format, files, truth })
    }

    fn file_line(&self, base: &[u64], (file, line): ChunkLine) -> FileLine {
        let name = self.files.get(file).map_or_else(String::new, |f| f.name.clone());
        FileLine { file: name, line: base.get(file).copied().unwrap_or(0) + line }
    }

    /// The truth line of a note, with the files' own line numbers.
    fn expected(&self, base: &[u64], note: Note) -> ExpectedLine {
        let expect = match note.expect {
            NoteExpect::Reject(malformation) => {
                Expectation::Reject { code: malformation.code().as_str().to_owned(), malformation }
            }
            NoteExpect::Corrected { month, sent, correct, by, corrected_on } => {
                Expectation::Corrected { month, sent, correct, corrected_by: self.file_line(base, by), corrected_on }
            }
            NoteExpect::Correction { month, of } => Expectation::Correction { month, of: self.file_line(base, of) },
            NoteExpect::DeletedLater { by, deleted_on } => {
                Expectation::DeletedLater { deleted_by: self.file_line(base, by), deleted_on }
            }
            NoteExpect::Delete { deleted_on } => Expectation::Delete { deleted_on },
        };
        ExpectedLine { line: self.file_line(base, note.at).line, account_key: note.account_key, expect }
    }

    /// Appends the notes' truth lines to the files they are about, one open per file.
    fn write_notes(&self, base: &[u64], notes: Vec<Note>) -> io::Result<()> {
        let mut by_file: Vec<(usize, Vec<u8>)> = Vec::new();
        for note in notes {
            let file = note.at.0;
            let mut line = serde_json::to_vec(&self.expected(base, note))?;
            line.push(b'\n');
            match by_file.iter_mut().find(|(f, _)| *f == file) {
                Some((_, bytes)) => bytes.extend_from_slice(&line),
                None => by_file.push((file, line)),
            }
        }
        for (file, bytes) in by_file {
            if let Some(f) = self.files.get(file) {
                OpenOptions::new().append(true).open(&f.truth_path)?.write_all(&bytes)?;
            }
        }
        Ok(())
    }
}

impl Sink for DirSink {
    fn chunk(&mut self, chunk: &mut ChunkOut) -> io::Result<()> {
        let base: Vec<u64> = self.files.iter().map(|f| f.lines).collect();
        for ((file, bytes), lines) in self.files.iter_mut().zip(&chunk.files).zip(&chunk.lines) {
            if !bytes.is_empty() {
                file.out.write_all(bytes)?;
                file.lines += lines;
            }
        }
        self.write_notes(&base, std::mem::take(&mut chunk.notes))?;
        self.truth.write_all(&chunk.truth)
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<SimFile>> {
        let DirSink { format, files, mut truth } = *self;
        truth.flush()?;
        let mut done = Vec::with_capacity(files.len());
        for mut f in files {
            if f.lines == format.header_lines() && !format.writes_empty_files() {
                drop(f.out);
                fs::remove_file(&f.path)?;
                fs::remove_file(&f.truth_path)?;
                continue;
            }
            f.out.write_all(&format.trailer(&f.path)?)?;
            f.out.flush()?;
            done.push(SimFile {
                furnisher: PRODUCTS[f.furnisher].code().to_owned(),
                month: f.month,
                path: f.path,
                truth_path: f.truth_path,
                deliver_on: delivery_date(f.month),
            });
        }
        done.sort_by(|a, b| (a.month, &a.furnisher).cmp(&(b.month, &b.furnisher)));
        Ok(done)
    }
}
