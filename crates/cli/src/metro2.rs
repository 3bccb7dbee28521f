//! `openbureau metro2`: validate, convert and print CDIA Metro 2 files.
//!
//! Exit codes of `validate`: 0 valid, 1 errors found, 2 usage error or unreadable file.

use crate::output::AtomicFile;
use crate::{Failure, invalid, usage};
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use ob_formats::metro2::{self, Blocking, DataRecord, Format, LineBreak, Reader, WriterOptions};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read as _, Seek as _, Write};
use std::path::{Path, PathBuf};

/// `openbureau metro2`.
#[derive(Subcommand)]
pub enum Metro2Command {
    /// Check every field, code list, cross-field rule and trailer total; list every error located.
    Validate(ValidateArgs),
    /// Convert between character, packed (decimal) and JSON (the moov-io/metro2 shape).
    Convert(ConvertArgs),
    /// Print the file's records, one line each.
    Print {
        /// The file.
        file: PathBuf,
    },
}

/// `openbureau metro2 validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// The file.
    pub file: PathBuf,
    /// Output: a line per error, or JSON.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Dates after this day are errors (YYYY-MM-DD; default today).
    #[arg(long, value_parser = crate::args::date)]
    pub today: Option<time::Date>,
}

/// Output of `validate`.
#[derive(Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    /// One line per error.
    Text,
    /// A JSON object.
    Json,
}

/// Target of `convert`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Target {
    /// JSON in the moov-io/metro2 shape.
    Json,
    /// 426-byte character records.
    Character,
    /// 366-byte packed-decimal records.
    Packed,
}

/// `openbureau metro2 convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The file (Metro 2 in any format, or JSON).
    pub file: PathBuf,
    /// What to write.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Output file (default: standard output).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// A line break after each record (Metro 2 targets).
    #[arg(long)]
    pub newline: bool,
    /// Variable blocking (a BDW before each record).
    #[arg(long)]
    pub variable: bool,
    /// Write the totals the records call for instead of the source's trailer (by default the
    /// source's totals are kept, and a difference is said).
    #[arg(long)]
    pub recompute_trailer: bool,
    /// With --to json: leave out blank text and zero numbers, as moov-io/metro2 writes them.
    #[arg(long)]
    pub omit_empty: bool,
    /// From JSON, what is written is validated as of this day (YYYY-MM-DD; default today):
    /// dates after it are errors.
    #[arg(long, value_parser = crate::args::date)]
    pub today: Option<time::Date>,
}

fn open(path: &Path) -> Result<BufReader<File>, Failure> {
    File::open(path).map(BufReader::new).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

/// Runs `openbureau metro2`.
pub fn run(c: &Metro2Command) -> Result<(), Failure> {
    match c {
        Metro2Command::Validate(a) => validate(a),
        Metro2Command::Convert(a) => convert(a),
        Metro2Command::Print { file } => print(file),
    }
}

fn validate(a: &ValidateArgs) -> Result<(), Failure> {
    let today = a.today.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let cannot_read = |e: std::io::Error| usage(format!("cannot read {}: {e}", a.file.display()));
    let json = is_json(&a.file)?;
    let report = if json {
        // JSON (the moov-io shape) is checked as the character file it converts to: record
        // numbers are the JSON's, byte offsets those of that file.
        let bytes = metro2::json::from_json(open(&a.file)?, Vec::new(), WriterOptions::default())
            .map_err(|e| invalid(format!("{}: {e}", a.file.display())))?;
        metro2::validate(bytes.as_slice(), today).map_err(cannot_read)?
    } else {
        metro2::validate(open(&a.file)?, today).map_err(cannot_read)?
    };
    match a.format {
        OutputFormat::Json => {
            let out = serde_json::json!({
                "file": a.file.display().to_string(),
                "format": report.format.map(|f| format!("{f:?}")),
                "records": report.records,
                "bytes": report.bytes,
                "errors_total": report.errors_total,
                "errors": report.errors,
            });
            outln!("{}", serde_json::to_string_pretty(&out)?);
        }
        OutputFormat::Text => {
            for d in &report.errors {
                outln!(
                    "record {} byte {} {:?}.{}: {} {}",
                    d.record,
                    d.offset,
                    d.segment,
                    d.field,
                    d.code.as_str(),
                    d.message
                );
            }
            let format = report.format.map_or("unknown", |f| f.as_str());
            let format = if json { format!("JSON (checked as {format})") } else { format.to_owned() };
            outln!("{}: {format}, {} records, {} errors", a.file.display(), report.records, report.errors_total);
        }
    }
    if report.errors_total > 0 {
        return Err(Failure::Findings);
    }
    Ok(())
}

/// Whether the file is Metro 2 in JSON: its first byte that is not white space is `{`.
fn is_json(path: &Path) -> Result<bool, Failure> {
    let mut head = [0u8; 4096];
    let n = open(path)?.read(&mut head).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}

/// Where a conversion goes: a file that appears only whole, or standard output.
enum Output {
    File(AtomicFile),
    Stdout(BufWriter<crate::output::Stdout>),
}

impl Output {
    fn open(path: Option<&Path>) -> Result<Output, Failure> {
        Ok(match path {
            Some(p) => {
                Output::File(AtomicFile::create(p).map_err(|e| usage(format!("cannot write {}: {e}", p.display())))?)
            }
            None => Output::Stdout(BufWriter::new(crate::output::Stdout)),
        })
    }

    /// The conversion succeeded: the file takes its name.
    fn finish(self) -> std::io::Result<()> {
        match self {
            Output::File(f) => f.commit(),
            Output::Stdout(mut s) => s.flush(),
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::File(f) => f,
            Output::Stdout(s) => s,
        }
    }
}

fn convert(a: &ConvertArgs) -> Result<(), Failure> {
    let is_json = is_json(&a.file)?;
    let mut output = Output::open(a.output.as_deref())?;
    let out = output.writer();
    let options = WriterOptions {
        format: if matches!(a.to, Target::Packed) { Format::PackedDecimal } else { Format::Character },
        blocking: if a.variable { Blocking::Variable } else { Blocking::Fixed },
        line_break: if a.newline { LineBreak::Lf } else { LineBreak::None },
    };
    match (a.to, is_json) {
        (Target::Json, false) => metro2::json::to_json_with(open(&a.file)?, out, a.omit_empty)
            .map_err(|e| invalid(format!("{}: {e}", a.file.display())))?,
        (Target::Json, true) => return Err(usage("the file is JSON already")),
        (_, true) => from_json(a, &mut output, options)?,
        (_, false) => rewrite(&a.file, out, options, a.recompute_trailer)?,
    }
    output.finish().context("writing the output")?;
    Ok(())
}

/// Converts JSON to Metro 2 that passes the validator (else nothing is written, and every
/// problem is listed); trailer totals kept from the JSON that differ from the records' are said.
fn from_json(a: &ConvertArgs, output: &mut Output, options: WriterOptions) -> Result<(), Failure> {
    let today = a.today.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let failed = |e: metro2::json::JsonError| invalid(format!("{}: {e}", a.file.display()));
    let input = open(&a.file)?;
    let checked = match output {
        Output::File(f) => {
            let file = f.file().context("writing the output")?;
            metro2::json::from_json_checked(input, file, options, today, a.recompute_trailer)
                .map_err(failed)?
                .trailer_differs
        }
        Output::Stdout(s) => {
            // Checked in a scratch file first: nothing reaches standard output unless it passes.
            let scratch = tempfile::tempfile().context("creating a scratch file")?;
            let mut checked =
                metro2::json::from_json_checked(input, scratch, options, today, a.recompute_trailer).map_err(failed)?;
            checked.out.rewind().context("reading the scratch file")?;
            std::io::copy(&mut checked.out, s).context("writing the output")?;
            checked.trailer_differs
        }
    };
    for d in checked {
        eprintln!("note: the JSON's trailer is kept as given (--recompute-trailer to replace it): {}", d.message);
    }
    Ok(())
}

/// Reads a Metro 2 file and writes it again with other options. The source's trailer is kept (its
/// block count follows the new blocking) unless `recompute` or the source has none; totals that
/// differ from what the records call for are said either way.
fn rewrite(path: &Path, out: &mut dyn Write, options: WriterOptions, recompute: bool) -> Result<(), Failure> {
    let mut reader = Reader::new(open(path)?).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    let header = match reader.header() {
        Some(Ok(h)) => h,
        _ => return Err(invalid(format!("{}: no valid header record", path.display()))),
    };
    let mut writer = metro2::Writer::new(out, options, &header).map_err(|e| invalid(format!("{e}")))?;
    while let Some(next) = reader.next_record() {
        let rec = next.map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let data = DataRecord::parse(&rec).map_err(|d| {
            invalid(format!("{}: record {}: {}", path.display(), rec.number(), d.first().map_or("", |d| &d.message)))
        })?;
        writer.write(&data).map_err(|e| invalid(format!("record {}: {e}", rec.number())))?;
    }
    let computed = writer.trailer();
    let source = match reader.trailer() {
        Some(Ok(t)) => Some(t),
        _ => None,
    };
    let differ = source.as_ref().map(|s| differing_totals(s, &computed)).unwrap_or_default();
    let kept = match source {
        Some(source) if !recompute => {
            if !differ.is_empty() {
                eprintln!(
                    "note: the source's trailer differs from its records' totals in {}; kept as the source had it (--recompute-trailer to replace it)",
                    differ.join(", ")
                );
            }
            metro2::TrailerRecord { block_count: computed.block_count, ..source }
        }
        _ => {
            if !differ.is_empty() {
                eprintln!("note: the source's trailer differed in {}; recomputed", differ.join(", "));
            }
            computed
        }
    };
    writer.finish_with(&kept).map_err(|e| invalid(format!("{e}")))?;
    Ok(())
}

/// The totals (by their JSON names) two trailers disagree on, the block count aside: it follows
/// the blocking, which a conversion may change. Each as `name (source S, records R)`.
fn differing_totals(source: &metro2::TrailerRecord, computed: &metro2::TrailerRecord) -> Vec<String> {
    let (Ok(serde_json::Value::Object(s)), Ok(serde_json::Value::Object(c))) =
        (serde_json::to_value(source), serde_json::to_value(computed))
    else {
        return Vec::new();
    };
    s.iter()
        .filter(|(name, _)| name.as_str() != "blockCount")
        .filter_map(|(name, v)| {
            let (sv, cv) = (v.as_u64()?, c.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0));
            (sv != cv).then(|| format!("{name} (source {sv}, records {cv})"))
        })
        .collect()
}

fn print(path: &Path) -> Result<(), Failure> {
    let mut reader = Reader::new(open(path)?).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    outln!("format {}, blocking {}", reader.format().as_str(), reader.blocking().as_str());
    if let Some(Ok(h)) = reader.header() {
        outln!(
            "HEADER  reporter {}  activity date {}  created {}",
            h.reporter_name.trim(),
            day(h.activity_date),
            day(h.date_created)
        );
    }
    let mut stdout = std::io::stdout().lock();
    while let Some(next) = reader.next_record() {
        let line = match next {
            Ok(rec) => match DataRecord::parse(&rec) {
                Ok(d) => data_line(rec.number(), &d),
                Err(diags) => format!("{:>6} unreadable: {}", rec.number(), diags.first().map_or("", |d| &d.message)),
            },
            Err(e) => format!("  {e}"),
        };
        writeln!(stdout, "{line}").context("writing")?;
    }
    if let Some(Ok(t)) = reader.trailer() {
        writeln!(stdout, "TRAILER {}", totals(&t)).context("writing")?;
    }
    Ok(())
}

/// A date as people read it, `-` when absent.
fn day(d: Option<impl std::fmt::Display>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| d.to_string())
}

/// One data record on a line: the account, its status and amounts, the last four digits of the
/// SSN, and every segment it holds.
fn data_line(n: u64, d: &DataRecord) -> String {
    let b = &d.base;
    let mut segments = Vec::new();
    for (name, count) in [("J1", d.j1.len()), ("J2", d.j2.len())] {
        match count {
            0 => {}
            1 => segments.push(name.to_owned()),
            n => segments.push(format!("{name}×{n}")),
        }
    }
    let single = [
        ("K1", d.k1.is_some()),
        ("K2", d.k2.is_some()),
        ("K3", d.k3.is_some()),
        ("K4", d.k4.is_some()),
        ("L1", d.l1.is_some()),
        ("N1", d.n1.is_some()),
    ];
    segments.extend(single.iter().filter(|(_, present)| *present).map(|(name, _)| (*name).to_owned()));
    format!(
        "{n:>6} {:<30} type {}{} status {} balance ${} past due ${} as of {} ssn ***-**-{:04} segments {}",
        b.consumer_account_number.trim(),
        b.portfolio_type,
        b.account_type,
        b.account_status,
        b.current_balance_dollars,
        b.amount_past_due_dollars,
        day(b.date_account_information),
        b.social_security_number.0 % 10_000,
        if segments.is_empty() { "base only".to_owned() } else { format!("base {}", segments.join(" ")) },
    )
}

/// The trailer's totals that are not zero, by their names in the JSON shape.
fn totals(t: &metro2::TrailerRecord) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(t) else { return String::new() };
    let shown: Vec<String> = fields
        .iter()
        .filter_map(|(name, value)| value.as_u64().filter(|v| *v != 0).map(|v| format!("{name} {v}")))
        .collect();
    if shown.is_empty() { "all totals 0".to_owned() } else { shown.join(", ") }
}
