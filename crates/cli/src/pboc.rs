//! `openbureau pboc`: validate and convert PBOC-style message files (docs/formats/pboc.md), and
//! the PBOC-style feedback file written when such a file is ingested.
//!
//! Exit codes of `validate`: 0 valid, 1 records rejected, 2 usage error, unreadable or invalid file.

use crate::output::AtomicFile;
use crate::{Failure, invalid, usage};
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use ob_formats::jsonl;
use ob_formats::pboc::{self, FeedbackRecord, FileName, RecordType, to_model};
use ob_model::FieldError;
use ob_model::records::Record;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// `openbureau pboc`.
#[derive(Subcommand)]
pub enum PbocCommand {
    /// Check a file's header, every record's format and rules; write the PBOC-style feedback file.
    Validate(ValidateArgs),
    /// Convert between the PBOC-style format and canonical JSON lines.
    Convert(ConvertArgs),
}

/// `openbureau pboc validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// The file.
    pub file: PathBuf,
    /// Folder for the PBOC-style feedback file (default: beside the file).
    #[arg(long)]
    pub feedback_dir: Option<PathBuf>,
}

/// What `convert` writes.
#[derive(Clone, Copy, ValueEnum)]
pub enum Target {
    /// Canonical JSON lines.
    Jsonl,
    /// PBOC-style messages (210 records; consents and notices have no place and are listed).
    Pboc,
}

/// `openbureau pboc convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The file.
    pub file: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Output file.
    #[arg(long)]
    pub output: PathBuf,
    /// For --to pboc: the 14-character institution code (default: the file's furnisher, padded with 0).
    #[arg(long)]
    pub institution: Option<String>,
}

/// Runs `openbureau pboc`.
pub fn run(c: &PbocCommand) -> Result<(), Failure> {
    match c {
        PbocCommand::Validate(a) => validate(a),
        PbocCommand::Convert(a) => convert(a),
    }
}

fn open(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path).map(BufReader::new).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

fn validate(a: &ValidateArgs) -> Result<(), Failure> {
    let mut rejected = Vec::new();
    let report = pboc::validate_each(open(&a.file)?, |f| rejected.push(f))
        .map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
    for e in &report.file_errors {
        outln!("file: {} {}: {}", e.code, e.field, e.message);
    }
    for f in &rejected {
        for e in &f.errors {
            outln!("record {}: {} {}: {}", f.seq, e.code, e.field, e.message);
        }
    }
    outln!(
        "{}: {} records, {} rejected, {} file errors",
        a.file.display(),
        report.records,
        report.rejected,
        report.file_errors.len()
    );
    if !rejected.is_empty() {
        let dir =
            a.feedback_dir.clone().unwrap_or_else(|| a.file.parent().map_or_else(|| ".".into(), Path::to_path_buf));
        let path = write_feedback(&a.file, &dir, &rejected)?;
        outln!("PBOC-style feedback: {}", path.display());
    }
    if !report.file_errors.is_empty() {
        return Err(invalid("the file is refused as a whole"));
    }
    if report.rejected > 0 {
        return Err(Failure::Findings);
    }
    Ok(())
}

/// Writes the PBOC-style feedback file for an upload: named after it with the feedback flag when
/// its name follows the convention, else `<name>.feedback.txt`.
pub fn write_feedback(upload: &Path, dir: &Path, rejected: &[FeedbackRecord]) -> Result<PathBuf, Failure> {
    let name = upload.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let now = time::OffsetDateTime::now_utc();
    let created = time::PrimitiveDateTime::new(now.date(), now.time());
    let (file_name, bytes) = match FileName::parse(&name) {
        Ok(upload_name) => {
            let (n, bytes) =
                pboc::feedback_file(&upload_name, created, rejected).map_err(|e| invalid(format!("{e}")))?;
            (format!("{n}.txt"), bytes)
        }
        Err(_) => {
            let mut text = String::new();
            for r in rejected {
                let codes: Vec<String> = r.errors.iter().map(|e| format!("{} {}", e.code, e.message)).collect();
                text += &format!("{}\t{}\t{}\n", r.seq, codes.join("; "), r.original);
            }
            (format!("{name}.feedback.txt"), text.into_bytes())
        }
    };
    let (mut file, path) = crate::commands::create_new_file(dir, &file_name)
        .with_context(|| format!("creating {file_name} in {}", dir.display()))?;
    std::io::Write::write_all(&mut file, &bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Collects an ingest's rejections for the PBOC-style feedback file.
pub fn collect(into: &mut Vec<FeedbackRecord>) -> impl FnMut(u64, &[u8], &[FieldError]) + '_ {
    move |seq, raw, errors| into.push(FeedbackRecord::new(seq, errors, raw))
}

fn convert(a: &ConvertArgs) -> Result<(), Failure> {
    match a.to {
        Target::Jsonl => to_jsonl(a),
        Target::Pboc => to_pboc(a),
    }
}

/// The output file, written whole or not at all.
fn create(path: &Path) -> Result<AtomicFile, Failure> {
    AtomicFile::create(path).map_err(|e| usage(format!("cannot write {}: {e}", path.display())))
}

fn to_jsonl(a: &ConvertArgs) -> Result<(), Failure> {
    let mut reader = pboc::Reader::new(open(&a.file)?).map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
    let header = jsonl::Header::new(&reader.header().institution, None, None);
    let mut out = create(&a.output)?;
    let mut w = jsonl::Writer::new(&mut out, &header).context("writing")?;
    let mut skipped = 0;
    while let Some(next) = reader.next_entry() {
        let entry = next.map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
        match entry.outcome.and_then(|r| to_model::to_records(&r)) {
            Ok(records) => records.iter().try_for_each(|r| w.write(r)).context("writing")?,
            Err(errors) => {
                skipped += 1;
                eprintln!("record {}: not converted: {}", entry.seq, errors.first().map_or("", |e| e.message.as_str()));
            }
        }
    }
    w.finish().context("writing")?;
    out.commit().context("writing")?;
    outln!("{} records written to {}; {skipped} invalid records left out", reader.header().count, a.output.display());
    Ok(())
}

fn to_pboc(a: &ConvertArgs) -> Result<(), Failure> {
    let mut reader = jsonl::Reader::new(open(&a.file)?).map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
    let institution =
        a.institution.clone().unwrap_or_else(|| format!("{:0<14}", reader.header().furnisher.to_uppercase()));
    let mut records: Vec<Record> = Vec::new();
    while let Some(next) = reader.next_entry() {
        let entry = next.map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
        if let Ok(r) = entry.outcome {
            records.push(r);
        }
    }
    let converted = to_model::from_model(&records, &institution);
    for u in &converted.unconverted {
        eprintln!("record {} ({}) not converted: {}", u.index + 1, u.kind, u.reason);
    }
    let by_type =
        |t: RecordType| converted.records.iter().filter(|r| r.record_type() == t).cloned().collect::<Vec<_>>();
    let accounts = by_type(RecordType::Account);
    let now = time::OffsetDateTime::now_utc();
    let created = time::PrimitiveDateTime::new(now.date(), now.time().replace_nanosecond(0).unwrap_or(now.time()));
    let header = pboc::Header { record_type: RecordType::Account, institution, created, count: 0 };
    let mut out = create(&a.output)?;
    pboc::write_file(&mut out, header, &accounts).map_err(|e| invalid(format!("{e}")))?;
    out.commit().context("writing")?;
    let others = converted.records.len() - accounts.len();
    outln!(
        "{} 210 records written to {}; {} records of other types need files of their own; {} not convertible",
        accounts.len(),
        a.output.display(),
        others,
        converted.unconverted.len()
    );
    Ok(())
}
