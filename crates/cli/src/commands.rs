//! The simple subcommands: simulate, ingest, report, audit.

use crate::open::{Context, system_clock};
use crate::{Failure, usage};
use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ob_bureau::audit::Verification;
use ob_bureau::ingest::{IngestOptions, IngestSummary};
use ob_bureau::report::{ReportRequest, Requester};
use ob_bureau::{Bureau, BureauError};
use ob_formats::jsonl::ReadError;
use ob_model::{DocumentType, QueryReason, YearMonth};
use ob_store::Store;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// `openbureau simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// People to simulate.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub people: u32,
    /// Months to simulate, ending with --end-month (1 to 120).
    #[arg(long, default_value_t = 24, value_parser = crate::args::months())]
    pub months: u32,
    /// Random seed: the same seed gives the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last simulated month (YYYY-MM); defaults to the last month whose files are due by today.
    #[arg(long, value_parser = crate::args::month)]
    pub end_month: Option<YearMonth>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (the files are the same for any number).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No deliberate mistakes: no corrections, malformed lines or accounts reported by mistake.
    #[arg(long)]
    pub clean: bool,
    /// Month records corrected later, per million (default: the simulator's documented rate).
    #[arg(long, conflicts_with = "clean", value_parser = crate::args::per_million())]
    pub corrections_per_million: Option<u32>,
    /// Malformed lines, per million month records (canonical format only).
    #[arg(long, conflicts_with = "clean", value_parser = crate::args::per_million())]
    pub malformed_per_million: Option<u32>,
    /// File format: canonical JSON lines (PRC identities), Metro 2 (US identities with SSNs,
    /// whole dollars), or canonical-us, the canonical twin of Metro 2 (same seed, same people,
    /// accounts and months).
    #[arg(long, value_enum, default_value_t = SimFormat::Canonical)]
    pub format: SimFormat,
}

/// The file format of `openbureau simulate`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum SimFormat {
    /// Canonical JSON lines, PRC resident IDs, amounts in fen.
    Canonical,
    /// CDIA Metro 2, character format, one record per line: SSNs, whole US dollars.
    #[value(name = "metro2")]
    Metro2,
    /// The canonical twin of metro2: canonical JSON lines of the same people and months.
    #[value(name = "canonical-us")]
    CanonicalUs,
    /// PBOC-style messages (210, 211, 214 files by the naming convention), with consents and
    /// notices in a canonical side file per month.
    Pboc,
}

impl SimFormat {
    fn output(self) -> ob_sim::OutputFormat {
        match self {
            SimFormat::Canonical => ob_sim::OutputFormat::Jsonl,
            SimFormat::Metro2 => ob_sim::OutputFormat::Metro2,
            SimFormat::CanonicalUs => ob_sim::OutputFormat::CanonicalUs,
            SimFormat::Pboc => ob_sim::OutputFormat::Jsonl,
        }
    }
}

/// The last month whose files (delivered on the 5th of the month after) are in by `today`.
pub fn last_delivered_month(today: time::Date) -> YearMonth {
    let this = YearMonth::of(today);
    if today.day() >= 5 { this.plus(-1) } else { this.plus(-2) }
}

/// A progress bar over `total` units, drawn on a terminal only.
pub fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg:>10} [{bar:40}] {percent:>3}% {elapsed_precise} ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_owned());
    bar
}

/// Runs `openbureau simulate`.
pub fn simulate(a: &SimulateArgs) -> Result<(), Failure> {
    let end_month = a.end_month.unwrap_or_else(|| last_delivered_month(time::OffsetDateTime::now_utc().date()));
    let mut config = ob_sim::SimConfig {
        people: a.people,
        months: a.months,
        seed: a.seed,
        end_month,
        format: a.format.output(),
        ..Default::default()
    };
    if let Some(threads) = a.threads {
        config.threads = threads.max(1);
    }
    if a.clean {
        config.mistakes = ob_sim::MistakeRates::NONE;
    }
    if let Some(rate) = a.corrections_per_million {
        config.mistakes.corrections_per_million = rate;
    }
    if let Some(rate) = a.malformed_per_million {
        config.mistakes.malformed_per_million = rate;
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let bar = progress_bar(u64::from(a.people), "people");
    let summary = ob_sim::simulate_with_progress(&config, &a.out, &mut |done| bar.set_position(done))
        .with_context(|| format!("writing to {}", a.out.display()))?;
    bar.finish_and_clear();
    outln!(
        "simulated {} people, {} accounts, {} account-months, {} consents in {} files under {}",
        summary.people,
        summary.accounts,
        summary.month_records,
        summary.consent_records,
        summary.files.len(),
        a.out.display()
    );
    outln!(
        "deliberate mistakes: {} corrections, {} malformed lines, {} accounts reported by mistake and deleted",
        summary.corrections,
        summary.malformed_lines,
        summary.deletions
    );
    outln!("ground truth: {} (per file: {})", a.out.join("truth.jsonl").display(), a.out.join("truth").display());
    if a.format == SimFormat::Pboc {
        let c = crate::sim_pboc::convert_all(&summary, &a.out)?;
        outln!(
            "PBOC-style: {} records in {} files; consents and notices in a canonical side file per month; {} records with no PBOC-style form left out (docs/formats/pboc.md)",
            c.records,
            c.files,
            c.left_out
        );
        outln!("ingest them in order: openbureau ingest $(cat {})", a.out.join("ingest-order.txt").display());
    }
    Ok(())
}

/// `openbureau ingest`.
#[derive(Args)]
pub struct IngestArgs {
    /// Files to ingest, in order.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Folder for feedback files (rejected records), one folder per furnisher, one file per
    /// batch (`<furnisher>/batch-<id>.feedback.jsonl`); default DATA/feedback.
    #[arg(long)]
    pub feedback_dir: Option<PathBuf>,
    /// Batches at once, each on its own connection (PostgreSQL only). A furnisher's files still
    /// go one after the other in the order given; different furnishers' files may go together.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=ob_model::limits::INGEST_JOBS_MAX as i64))]
    pub jobs: u16,
}

/// A file created on first write, so that clean batches leave no empty feedback file.
pub struct LazyFile {
    path: PathBuf,
    file: Option<BufWriter<File>>,
}

impl LazyFile {
    /// A lazy file at `path`.
    pub fn new(path: PathBuf) -> Self {
        LazyFile { path, file: None }
    }

    /// Whether anything was written.
    pub fn created(&self) -> bool {
        self.file.is_some()
    }

    fn file(&mut self) -> std::io::Result<&mut BufWriter<File>> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            self.file = Some(BufWriter::new(File::create(&self.path)?));
        }
        self.file.as_mut().ok_or_else(|| std::io::Error::other("feedback file not open"))
    }
}

impl Write for LazyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// Maps a bureau error to an exit class: the input's fault is a usage failure.
pub fn classify(e: BureauError) -> Failure {
    use ob_bureau::RefusalKind;
    match e {
        BureauError::Read(ReadError::Io(_)) | BureauError::Io(_) => {
            usage(format!("cannot read or write the file: {e}"))
        }
        BureauError::Read(_) => Failure::Invalid(e.into()),
        BureauError::Refused { refusal, .. } => match refusal.kind() {
            RefusalKind::Invalid => Failure::Invalid(e.into()),
            RefusalKind::NotFound | RefusalKind::Conflict | RefusalKind::Forbidden => Failure::Refused(e.into()),
        },
        BureauError::NoFile => Failure::Refused(e.into()),
        BureauError::WrongKey | BureauError::Key(_) | BureauError::RotationUnfinished => usage(e),
        BureauError::Store(_) | BureauError::Score(_) | BureauError::Invariant(_) => Failure::Internal(e.into()),
    }
}

/// Claims the first free name among `dir/name`, `dir/name.2`, `dir/name.3`… with `claim`, which
/// must fail with `AlreadyExists` when the name is taken (an exclusive create or a hard link). A
/// feedback file is evidence: one must never replace another.
fn claim_name<T>(
    dir: &Path,
    name: &str,
    mut claim: impl FnMut(&Path) -> std::io::Result<T>,
) -> std::io::Result<(T, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    for n in 1..=ob_model::limits::FEEDBACK_FILE_NAME_TRIES_MAX {
        let path = if n == 1 { dir.join(name) } else { dir.join(format!("{name}.{n}")) };
        match claim(&path) {
            Ok(t) => return Ok((t, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{}: every name is taken", dir.join(name).display()),
    ))
}

/// Creates `dir/name` (or the next free `name.N`) for writing, never over an existing file.
pub fn create_new_file(dir: &Path, name: &str) -> std::io::Result<(File, PathBuf)> {
    claim_name(dir, name, |path| std::fs::OpenOptions::new().write(true).create_new(true).open(path))
}

/// A furnisher's code as a folder name: letters, digits, `-` and `_` kept, anything else `_`.
fn folder_name(code: &str) -> String {
    code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Moves a batch's feedback from its scratch file to `DIR/<furnisher>/batch-<id>.feedback.jsonl`,
/// claimed exclusively by a hard link (then the scratch name is removed), so that no two batches
/// ever share a feedback file. Returns the final path.
fn place_feedback(scratch: &Path, dir: &Path, s: &IngestSummary) -> std::io::Result<PathBuf> {
    let name = format!("batch-{}.feedback.jsonl", s.batch_id);
    let ((), path) = claim_name(&dir.join(folder_name(&s.furnisher)), &name, |path| std::fs::hard_link(scratch, path))?;
    std::fs::remove_file(scratch)?;
    Ok(path)
}

/// How one attempt at a file ended, when it did not fail for good.
pub enum Attempt {
    /// Ingested: the summary, and the feedback file's path when one was written.
    Done(IngestSummary, Option<PathBuf>),
    /// Failed in a way the store calls retryable (another batch opened the same new person
    /// first, a lost connection): nothing of it was stored, and it may run again.
    Retryable(Failure),
}

/// Ingests one file with a progress bar; returns the summary and the feedback path if written.
/// Feedback goes under `feedback_dir/<furnisher>/`, named by batch id. A batch that fails
/// retryably (see [`Attempt::Retryable`]) runs again, up to `retries` times, after a wait that
/// doubles each time.
pub fn ingest_one<S: Store>(
    bureau: &mut Bureau<S>,
    path: &Path,
    feedback_dir: &Path,
    bar: &ProgressBar,
    retries: u32,
) -> Result<(IngestSummary, Option<PathBuf>), Failure> {
    let mut attempt = 0;
    loop {
        match ingest_attempt(bureau, path, feedback_dir, bar)? {
            Attempt::Done(summary, feedback) => return Ok((summary, feedback)),
            Attempt::Retryable(failure) if attempt >= retries => return Err(failure),
            Attempt::Retryable(_) => {
                let wait_ms = ob_model::limits::INGEST_RETRY_WAIT_MS << attempt;
                bar.suspend(|| eprintln!("{}: {RETRY_NOTE}; running it again in {wait_ms} ms", path.display()));
                std::thread::sleep(std::time::Duration::from_millis(wait_ms));
                attempt += 1;
            }
        }
    }
}

/// What is said of a batch that failed retryably. Not the database's words: its detail may quote
/// a key's value.
pub const RETRY_NOTE: &str =
    "nothing stored (another batch opened the same new person at once, or the connection was lost)";

/// One attempt at a file (see [`ingest_one`]).
pub fn ingest_attempt<S: Store>(
    bureau: &mut Bureau<S>,
    path: &Path,
    feedback_dir: &Path,
    bar: &ProgressBar,
) -> Result<Attempt, Failure> {
    let options = IngestOptions {
        register_unknown_furnisher: true,
        expected_furnisher: None,
        keep_feedback: keeps_feedback(bureau),
        cached_max: None,
        prefetch: None,
    };
    // Unique among this process's batches, which may run at once (`--jobs`), and among processes.
    static ATTEMPTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let scratch = feedback_dir.join(format!(
        ".incoming-{}-{}-{}.feedback.jsonl",
        std::process::id(),
        ATTEMPTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        time::OffsetDateTime::now_utc().unix_timestamp_nanos()
    ));
    let mut feedback = LazyFile::new(scratch.clone());
    let mut pboc_rejections = Vec::new();
    // Other batches may move the bar at the same time: each adds what it read since its last call.
    let mut shown = 0;
    let ingested = bureau.ingest_path_with(
        path,
        &options,
        &mut feedback,
        &mut crate::pboc::collect(&mut pboc_rejections),
        &mut |p| {
            bar.inc(p.bytes.saturating_sub(shown));
            shown = p.bytes;
        },
    );
    let flushed = feedback.flush();
    let summary = match ingested {
        Ok(summary) => summary,
        Err(e) => {
            // Nothing of the batch was kept: neither is its feedback.
            let _ = std::fs::remove_file(&scratch);
            bar.dec(shown);
            let retryable = matches!(&e, BureauError::Store(s) if ob_store::postgres::is_retryable(s));
            let failure = classify(e).context(path.display().to_string());
            return if retryable { Ok(Attempt::Retryable(failure)) } else { Err(failure) };
        }
    };
    flushed.with_context(|| format!("writing {}", scratch.display()))?;
    if summary.already_ingested {
        let restored = restore_feedback(bureau, feedback_dir, &summary)?;
        return Ok(Attempt::Done(summary, restored));
    }
    let placed = if feedback.created() {
        Some(
            place_feedback(&scratch, feedback_dir, &summary)
                .with_context(|| format!("placing {}", scratch.display()))?,
        )
    } else {
        None
    };
    if !pboc_rejections.is_empty() && ob_bureau::ingest::file_kind(path)? == ob_bureau::ingest::FileKind::Pboc {
        crate::pboc::write_feedback(path, &feedback_dir.join(folder_name(&summary.furnisher)), &pboc_rejections)?;
    }
    Ok(Attempt::Done(summary, placed))
}

/// Whether batches keep their feedback in the store too: over PostgreSQL, where a connection
/// lost while COMMIT is on its way leaves the outcome unknown. The attempt's feedback file is
/// deleted as if nothing were stored; when the batch was stored after all, the next attempt (or
/// run) finds it already ingested and writes its feedback file again from the store
/// ([`restore_feedback`]). SQLite commits in this process: it knows.
fn keeps_feedback<S: Store>(bureau: &Bureau<S>) -> bool {
    bureau.store().read().is_ok_and(|r| r.reads_are_remote())
}

/// For a file found already ingested: its batch's feedback file, written again from the copy the
/// store kept when the feedback folder lacks it. `None` when the batch rejected nothing, its file
/// is there, or the store kept none.
fn restore_feedback<S: Store>(
    bureau: &Bureau<S>,
    feedback_dir: &Path,
    s: &IngestSummary,
) -> Result<Option<PathBuf>, Failure> {
    let dir = feedback_dir.join(folder_name(&s.furnisher));
    let name = format!("batch-{}.feedback.jsonl", s.batch_id);
    if s.rejected == 0 || dir.join(&name).exists() {
        return Ok(None);
    }
    let Some(body) = bureau.kept_feedback(&s.furnisher, ob_store::BatchId(s.batch_id)).map_err(classify)? else {
        return Ok(None);
    };
    let written = create_new_file(&dir, &name).and_then(|(mut file, path)| {
        file.write_all(&body)?;
        file.sync_all()?;
        Ok(path)
    });
    Ok(Some(written.with_context(|| format!("writing {}", dir.join(&name).display()))?))
}

/// One line about a batch.
pub fn describe(path: &Path, s: &IngestSummary, feedback: Option<&Path>) -> String {
    if s.already_ingested {
        let mut line = format!("{}: already ingested as batch {} — nothing changed", path.display(), s.batch_id);
        if let Some(f) = feedback {
            line += &format!("; its feedback written again from the store: {}", f.display());
        }
        return line;
    }
    let mut line = format!(
        "{}: batch {} ({}) — {} records: {} accepted ({} unchanged), {} rejected",
        path.display(),
        s.batch_id,
        s.furnisher,
        s.records,
        s.accepted,
        s.unchanged,
        s.rejected
    );
    if !s.rejected_by_code.is_empty() {
        let codes: Vec<String> = s.rejected_by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
        line += &format!(" ({})", codes.join(", "));
    }
    if let Some(f) = feedback {
        line += &format!("; feedback: {}", f.display());
    }
    line
}

/// Runs `openbureau ingest`.
pub fn ingest(ctx: &Context, a: &IngestArgs) -> Result<(), Failure> {
    let mut total_bytes = 0;
    for f in &a.files {
        let meta = std::fs::metadata(f).map_err(|e| usage(format!("cannot read {}: {e}", f.display())))?;
        total_bytes += meta.len();
    }
    let feedback_dir = a.feedback_dir.clone().unwrap_or_else(|| ctx.data.join("feedback"));
    if a.jobs > 1 {
        return crate::jobs::ingest(ctx, &a.files, &feedback_dir, usize::from(a.jobs), total_bytes);
    }
    let mut bureau = ctx.bureau(true, system_clock())?;
    let bar = progress_bar(total_bytes, "ingest");
    for path in &a.files {
        let (summary, feedback) = ingest_one(&mut bureau, path, &feedback_dir, &bar, 0)?;
        bar.suspend(|| outln!("{}", describe(path, &summary, feedback.as_deref())));
    }
    bar.finish_and_clear();
    Ok(())
}

/// Output format of reports.
#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Readable text with Chinese and English titles.
    Text,
    /// JSON (stable snake_case field names).
    Json,
    /// PDF (reports only, with --output): the web report page printed by headless Chromium,
    /// with its Chinese and English fonts embedded.
    Pdf,
}

/// `openbureau report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Document type.
    #[arg(long, default_value = "prc_resident_id", value_parser = crate::args::doc_type)]
    pub doc_type: DocumentType,
    /// Document number.
    #[arg(long)]
    pub doc_number: String,
    /// Report as of this day (YYYY-MM-DD): only what was recorded by its end counts. The person's
    /// own copy only: an organization's copy is the file as it stands today.
    #[arg(long, value_parser = crate::args::date)]
    pub as_of: Option<time::Date>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
    /// Ask as this organization (code) instead of as the person; needs --reason and a consent.
    #[arg(long, requires = "reason")]
    pub org: Option<String>,
    /// Query reason code from the closed list (01 post-loan, 02 loan approval, 03 card approval…).
    #[arg(long, value_parser = crate::args::reason, requires = "org")]
    pub reason: Option<QueryReason>,
    /// Write the report here instead of to standard output (required with --format pdf); the
    /// file appears whole or not at all.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

/// Runs `openbureau report`.
pub fn report(ctx: &Context, a: &ReportArgs) -> Result<(), Failure> {
    let document = crate::args::document(a.doc_type, &a.doc_number)?;
    let requester = match (&a.org, a.reason) {
        (Some(code), Some(reason)) => Requester::Organization { code: code.clone(), reason },
        _ => Requester::Person,
    };
    // Everything that could keep a PDF from being delivered is checked before the report is
    // produced, for producing it logs the look (a lender's hard inquiry, a person's self-view).
    if matches!(a.format, ReportFormat::Pdf) {
        if a.output.is_none() {
            return Err(usage("--format pdf needs --output FILE"));
        }
        if a.org.is_some() || a.as_of.is_some() {
            return Err(usage("--format pdf prints the person's own report as of today: no --org, no --as-of"));
        }
        if ob_server::pdf::chromium().is_none() {
            return Err(usage(ob_server::pdf::PdfError::NoChromium));
        }
    }
    let output = match &a.output {
        Some(path) => Some(
            crate::output::AtomicFile::create(path)
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut bureau = ctx.bureau(false, system_clock())?;
    let request = ReportRequest { document: document.clone(), as_of: a.as_of, requester };
    let report = bureau.produce_report(&request).map_err(classify)?;
    let bytes = match a.format {
        ReportFormat::Text => ob_bureau::render::text(&report).into_bytes(),
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?).into_bytes(),
        ReportFormat::Pdf => {
            let free_max = bureau.policy().free_self_views_per_year;
            let (disputes, flags) = match report.header.copy {
                ob_bureau::report::Copy::Person => (
                    bureau.disputes_of_person(&document).map_err(classify)?,
                    bureau.flags_of_person(&document).map_err(classify)?,
                ),
                ob_bureau::report::Copy::Institution => (Vec::new(), Vec::new()),
            };
            let html = ob_server::web::report_html(&report, free_max, &disputes, &flags)
                .map_err(|e| anyhow::anyhow!("rendering the report page: {e}"))?;
            ob_server::pdf::html_to_pdf(&html).map_err(|e| match e {
                ob_server::pdf::PdfError::NoChromium => usage(e.to_string()),
                e => Failure::from(anyhow::anyhow!("{e}")),
            })?
        }
    };
    match output {
        Some(mut file) => {
            std::io::Write::write_all(&mut file, &bytes).context("writing the report")?;
            file.commit().context("writing the report")?;
        }
        None => out!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}

/// `openbureau explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// Document type.
    #[arg(long, default_value = "prc_resident_id", value_parser = crate::args::doc_type)]
    pub doc_type: DocumentType,
    /// Document number.
    #[arg(long)]
    pub doc_number: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormat,
}

/// Runs `openbureau explain`. The command is run by whoever holds the store and its key, not by
/// the person signed in (the web's explanation logs nothing: the person reads their own): the look
/// is logged as a self-view, as `openbureau report` logs one, so that it shows in the person's
/// query log and counts as one of the year's views.
pub fn explain(ctx: &Context, a: &ExplainArgs) -> Result<(), Failure> {
    let document = crate::args::document(a.doc_type, &a.doc_number)?;
    if matches!(a.format, ReportFormat::Pdf) {
        return Err(usage("explain is text or JSON"));
    }
    let mut bureau = ctx.bureau(false, system_clock())?;
    let look = ReportRequest { document: document.clone(), as_of: None, requester: Requester::Person };
    bureau.produce_report(&look).map_err(classify)?;
    let explanation = bureau.explain(&document).map_err(classify)?;
    match a.format {
        ReportFormat::Text => out!("{}", explanation.text()),
        ReportFormat::Json => outln!("{}", serde_json::to_string_pretty(&explanation)?),
        ReportFormat::Pdf => return Err(usage("explain is text or JSON")),
    }
    Ok(())
}

/// `openbureau stale`.
#[derive(Args)]
pub struct StaleArgs {
    /// The furnisher's code.
    #[arg(long)]
    pub org: String,
    /// The day to judge by (default: today): accounts with no month reported in the 3 months
    /// before its month.
    #[arg(long, value_parser = crate::args::date)]
    pub as_of: Option<time::Date>,
}

/// Runs `openbureau stale`: one JSON line per stale account, then a count on standard error.
pub fn stale(ctx: &Context, a: &StaleArgs) -> Result<(), Failure> {
    let bureau = ctx.bureau(false, system_clock())?;
    let as_of = a.as_of.unwrap_or_else(|| system_clock().today());
    let mut failed = None;
    let found = bureau
        .each_stale_account(&a.org, as_of, &mut |s| {
            if failed.is_none() {
                match serde_json::to_string(s) {
                    Ok(line) => outln!("{line}"),
                    Err(e) => failed = Some(e),
                }
            }
        })
        .map_err(classify)?;
    if let Some(e) = failed {
        return Err(Failure::Internal(e.into()));
    }
    eprintln!("{found} open accounts of {} not reported for 3 months or more as of {as_of}", a.org);
    Ok(())
}

/// `openbureau audit`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain and every signed checkpoint; report the first break.
    Verify,
    /// Sign a checkpoint of the chain's newest event (Ed25519).
    Checkpoint,
    /// Print the public key that verifies checkpoints (hex), for outside verifiers.
    PublicKey,
}

/// Runs `openbureau audit`.
pub fn audit(ctx: &Context, a: &AuditCommand) -> Result<(), Failure> {
    match a {
        AuditCommand::Verify => {
            let bureau = ctx.bureau(false, system_clock())?;
            match bureau.verify_audit().map_err(classify)? {
                Verification::Intact { events } => {
                    outln!("audit chain intact: {events} events verified");
                    Ok(())
                }
                // The stored data fails its check, as a tampered backup does on restore: invalid
                // data (1), not a fault of this program (70).
                Verification::Broken { seq, reason } => {
                    Err(Failure::Invalid(anyhow::anyhow!("audit chain broken at event {seq}: {reason}")))
                }
            }
        }
        AuditCommand::Checkpoint => {
            let mut bureau = ctx.bureau(false, system_clock())?;
            match bureau.checkpoint_audit().map_err(classify)? {
                Some(seq) => outln!("checkpoint signed at event {seq}"),
                None => outln!("the audit chain is empty"),
            }
            Ok(())
        }
        AuditCommand::PublicKey => {
            let bureau = ctx.bureau(false, system_clock())?;
            outln!("{}", hex_encode(&bureau.keys().audit_public_key()));
            Ok(())
        }
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
