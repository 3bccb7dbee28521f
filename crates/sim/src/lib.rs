//! OpenBureau's lender simulator: seeded, deterministic furnisher files and the truth behind them.
//!
//! Five simulated furnishers report in the canonical JSON-lines format (or, with US identities, in
//! Metro 2 and its canonical twin: [`OutputFormat`]): `HUABEI` (a Huabei-like
//! revolving line, R1, with instalment plans as R4 sub-accounts), `ZSBANK` (a bank credit card,
//! R2), `XFLOAN` (a consumer-finance loan, D1), `JSBANK` (a mortgage, D1) and `HXAMC` (a collector
//! that buys charged-off debts and reports them as C1). People have an age, a region, a hidden
//! income and a behaviour type ([`Behaviour`]); job losses and struggles drive delinquency and
//! recovery. The files carry openings, monthly settlements, closings, notices before negative
//! data, corrections, deletions and — at a documented share — malformed lines (docs/simulator.md).
//!
//! [`simulate`] writes, under `out_dir`:
//! - `<FURNISHER>/<YYYY-MM>.jsonl` (Metro 2: `.m2`, and only for months with something to
//!   report) for every furnisher and every month of the window: the header, then each person's
//!   lines in person order (consents, accounts, notices, months, corrections, deletions,
//!   malformed lines), then the trailer of formats that have one;
//! - `truth/<FURNISHER>/<YYYY-MM>.jsonl` beside each: every deliberate line of that file and what
//!   the bureau must do with it ([`ExpectedLine`]);
//! - `truth.jsonl`: one line per person with what they really did ([`PersonTruth`]).
//!
//! People are generated in chunks by [`SimConfig::threads`] threads and written in person order;
//! memory is bounded by the chunk size. Output depends only on the seed and the parameters —
//! never on the thread count or the chunk size: person i draws everything from RNGs seeded by
//! (seed, i), and identities come from a seed-keyed permutation, so they are unique.
//! Product parameters live in [`params`]; the arithmetic in [`arith`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
pub mod arith;
mod collection;
mod emit;
mod format;
mod jsonw;
mod ledger;
mod life;
mod loan;
mod metro2;
mod output;
pub mod params;
mod people;
mod person;
mod revolving;
mod truth;
mod us;

pub use format::OutputFormat;
pub use life::LifeEvent;
pub use truth::{
    AccountOrigin, AccountTruth, Authorization, Expectation, ExpectedLine, FileLine, LifeEventTruth, Malformation,
    MonthTruth, MonthValues, PersonTruth, read_expected, read_truth,
};

use ob_model::{YearMonth, limits};
use output::{ChunkOut, Counts, Sink};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// The RNG of every simulated person: ChaCha8, whose output stream is fixed for a given seed.
pub(crate) type SimRng = rand::rngs::ChaCha8Rng;

/// The simulated furnishers: (code, display name), in furnisher order.
pub const FURNISHERS: &[(&str, &str)] = &[
    (params::HUABEI.code, params::HUABEI.name),
    (params::ZSBANK.code, params::ZSBANK.name),
    (params::XFLOAN.code, params::XFLOAN.name),
    (params::JSBANK.code, params::JSBANK.name),
    (params::HXAMC.code, params::HXAMC.name),
];

/// How a simulated person handles their accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Pays every bill in full by its due date; overdue only after a job loss.
    Transactor,
    /// Pays at least the minimum and less than the whole bill; carries balances.
    Revolver,
    /// Revolves, then from some month pays nothing and ages through statuses 1–7 to charge-off;
    /// some cure later by paying everything past due.
    Struggling,
    /// Pays in full, then in some month pays everything off and closes the account.
    Closer,
    /// Pays in full, but a fraudster opened a loan in their name that is never paid.
    FraudVictim,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: [Behaviour; 5] =
        [Behaviour::Transactor, Behaviour::Revolver, Behaviour::Struggling, Behaviour::Closer, Behaviour::FraudVictim];
}

/// Relative weights of the behaviours in the population (they need not sum to 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BehaviourMix {
    /// Weight of [`Behaviour::Transactor`].
    pub transactor: u32,
    /// Weight of [`Behaviour::Revolver`].
    pub revolver: u32,
    /// Weight of [`Behaviour::Struggling`].
    pub struggling: u32,
    /// Weight of [`Behaviour::Closer`].
    pub closer: u32,
    /// Weight of [`Behaviour::FraudVictim`].
    pub fraud_victim: u32,
}

impl Default for BehaviourMix {
    /// 45% transactors, 30% revolvers, 13% struggling, 10% closers, 2% fraud victims.
    fn default() -> BehaviourMix {
        BehaviourMix { transactor: 45, revolver: 30, struggling: 13, closer: 10, fraud_victim: 2 }
    }
}

impl BehaviourMix {
    /// Each behaviour with its weight.
    pub fn weights(&self) -> [(Behaviour, u32); 5] {
        [
            (Behaviour::Transactor, self.transactor),
            (Behaviour::Revolver, self.revolver),
            (Behaviour::Struggling, self.struggling),
            (Behaviour::Closer, self.closer),
            (Behaviour::FraudVictim, self.fraud_victim),
        ]
    }

    /// Sum of the weights.
    pub fn total(&self) -> u64 {
        self.weights().iter().map(|(_, w)| u64::from(*w)).sum()
    }

    /// The expected share of `behaviour`, in percent.
    pub fn percent(&self, behaviour: Behaviour) -> f64 {
        let weight = self.weights().iter().find(|(b, _)| *b == behaviour).map_or(0, |(_, w)| *w);
        100.0 * f64::from(weight) / (self.total().max(1) as f64)
    }
}

/// How many deliberate mistakes the files carry (docs/simulator.md, "Mistakes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MistakeRates {
    /// Month records, per million, sent with a wrong status or past-due amount and corrected by
    /// sending the month again one to three files later.
    pub corrections_per_million: u32,
    /// Month records, per million, followed by one malformed or invalid line.
    pub malformed_per_million: u32,
    /// People, per million, with a consumer loan reported by mistake and deleted later.
    pub phantoms_per_million: u32,
}

impl MistakeRates {
    /// No mistakes: the files hold exactly the true records.
    pub const NONE: MistakeRates =
        MistakeRates { corrections_per_million: 0, malformed_per_million: 0, phantoms_per_million: 0 };
}

impl Default for MistakeRates {
    /// The rates of [`params`]: 0.2% corrected, 0.1% malformed, 1% of people with a phantom loan.
    fn default() -> MistakeRates {
        MistakeRates {
            corrections_per_million: params::CORRECTIONS_PER_MILLION,
            malformed_per_million: params::MALFORMED_PER_MILLION,
            phantoms_per_million: params::PHANTOMS_PER_MILLION,
        }
    }
}

/// What to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of people.
    pub people: u32,
    /// Length of the window in months, 1 to [`params::MONTHS_MAX`].
    pub months: u32,
    /// Seed: the same seed gives byte-identical files.
    pub seed: u64,
    /// Last simulated month; the window is the `months` months ending with it.
    pub end_month: YearMonth,
    /// Behaviour weights.
    pub mix: BehaviourMix,
    /// Deliberate mistakes.
    pub mistakes: MistakeRates,
    /// Threads generating people (0 counts as 1). Output does not depend on it.
    pub threads: usize,
    /// People per chunk handed to a thread; memory is bounded by a few chunks per thread. Output
    /// does not depend on it.
    pub chunk_people: u32,
    /// The file format.
    pub format: OutputFormat,
}

impl Default for SimConfig {
    /// 1,000 people over the 24 months to December 2025, seed 1, the default mix and mistakes,
    /// one thread per available core, 500 people per chunk, JSON lines.
    fn default() -> SimConfig {
        SimConfig {
            people: 1_000,
            months: 24,
            seed: 1,
            end_month: YearMonth::new(2025, 12).expect("constant month is valid"),
            mix: BehaviourMix::default(),
            mistakes: MistakeRates::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_people: params::CHUNK_PEOPLE_DEFAULT,
            format: OutputFormat::default(),
        }
    }
}

/// One furnisher file written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimFile {
    /// Furnisher code.
    pub furnisher: String,
    /// Month reported.
    pub month: YearMonth,
    /// Where the file is.
    pub path: PathBuf,
    /// The truth beside it: its deliberate lines ([`read_expected`]).
    pub truth_path: PathBuf,
    /// The day the furnisher delivers it: the 5th of the following month.
    pub deliver_on: time::Date,
}

/// What a simulation wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSummary {
    /// People simulated.
    pub people: u64,
    /// Accounts reported: account records written (Metro 2 writes none; each month's record
    /// carries its account).
    pub accounts: u64,
    /// Month records written in their month's file: one per account-month.
    pub month_records: u64,
    /// Consent records written.
    pub consent_records: u64,
    /// Notices written.
    pub notices: u64,
    /// Month records sent again to correct a wrong one.
    pub corrections: u64,
    /// Deletions written.
    pub deletions: u64,
    /// Deliberately malformed or invalid lines written.
    pub malformed_lines: u64,
    /// Bytes of furnisher files.
    pub bytes: u64,
    /// Every furnisher file, sorted by (month, furnisher): the order a bureau should ingest them.
    /// Empty for [`simulate_counting`].
    pub files: Vec<SimFile>,
}

/// The simulated months.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// First month.
    pub(crate) first: YearMonth,
    /// Last month.
    pub(crate) last: YearMonth,
    /// Number of months.
    pub(crate) months: u32,
}

impl Window {
    /// Length as `i32`, for month arithmetic (bounded by [`params::MONTHS_MAX`]).
    pub(crate) fn months_i32(&self) -> i32 {
        i32::try_from(self.months).unwrap_or(i32::MAX)
    }

    /// Every month, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = YearMonth> + use<> {
        let first = self.first;
        (0..self.months_i32()).map(move |i| first.plus(i))
    }
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Checks the configuration and returns its window.
fn window_of(config: &SimConfig) -> io::Result<Window> {
    if !(1..=params::MONTHS_MAX).contains(&config.months) {
        return Err(invalid_input(format!("months must be 1 to {}", params::MONTHS_MAX)));
    }
    if config.mix.total() == 0 {
        return Err(invalid_input("the behaviour mix has no positive weight".into()));
    }
    if config.chunk_people == 0 {
        return Err(invalid_input("chunk_people must be at least 1".into()));
    }
    let m = &config.mistakes;
    if [m.corrections_per_million, m.malformed_per_million, m.phantoms_per_million].iter().any(|r| *r > 1_000_000) {
        return Err(invalid_input("mistake rates are per million: at most 1,000,000".into()));
    }
    let last = config.end_month;
    let first = last.plus(1 - i32::try_from(config.months).unwrap_or(1));
    let earliest_year = first.year() - params::OPENED_BEFORE_WINDOW_YEARS_MAX - 1;
    // Consents run up to about seven years past the window; keep every date inside 1901–2099.
    if earliest_year < limits::YEAR_MIN || last.year() + 8 > limits::YEAR_MAX {
        return Err(invalid_input("the window must leave every date within 1901–2099".into()));
    }
    Ok(Window { first, last, months: config.months })
}

/// Runs the simulation into `out_dir` (created if missing; existing files of the same names are
/// overwritten).
pub fn simulate(config: &SimConfig, out_dir: &Path) -> io::Result<SimSummary> {
    simulate_with_progress(config, out_dir, &mut |_| {})
}

/// [`simulate`], calling `progress` with the number of people done each time it passes a multiple
/// of [`params::PROGRESS_EVERY_PEOPLE`], and at the end.
pub fn simulate_with_progress(
    config: &SimConfig,
    out_dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> io::Result<SimSummary> {
    let window = window_of(config)?;
    std::fs::create_dir_all(out_dir)?;
    let sink = output::DirSink::create(out_dir, &window, config.format.writer())?;
    run(config, &window, Box::new(sink), progress)
}

/// Generates and formats everything [`simulate`] would, but writes nothing (for benchmarks): the
/// summary counts what would have been written; its file list is empty.
pub fn simulate_counting(config: &SimConfig) -> io::Result<SimSummary> {
    let window = window_of(config)?;
    run(config, &window, Box::new(output::CountingSink), &mut |_| {})
}

/// Lets workers run at most `ahead` chunks past the one being written.
struct Gate {
    written: Mutex<u32>,
    moved: Condvar,
    abort: AtomicBool,
    ahead: u32,
}

impl Gate {
    /// Waits until chunk `index` may be generated; false when the run is aborted.
    fn wait_for(&self, index: u32) -> bool {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while index >= written.saturating_add(self.ahead) && !self.abort.load(Ordering::Relaxed) {
            written = self.moved.wait(written).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        !self.abort.load(Ordering::Relaxed)
    }

    fn advance(&self, written: u32) {
        *self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = written;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.abort.store(true, Ordering::Relaxed);
        let _guard = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.moved.notify_all();
    }
}

/// What every worker shares.
struct Job<'a> {
    config: &'a SimConfig,
    window: &'a Window,
    space: people::IdentitySpace,
    chunks: u32,
    next: AtomicU32,
    gate: Gate,
    /// Written chunks, emptied, whose buffers the next chunks reuse (no regrowing, no fresh pages).
    spare: Mutex<Vec<ChunkOut>>,
}

impl Job<'_> {
    /// Takes chunks until none is left (or the run is aborted), sending each when done.
    fn work(&self, tx: &mpsc::Sender<io::Result<ChunkOut>>) {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            if index >= self.chunks || !self.gate.wait_for(index) {
                return;
            }
            if tx.send(self.chunk(index)).is_err() {
                return;
            }
        }
    }

    /// Generates the people of chunk `index`.
    fn chunk(&self, index: u32) -> io::Result<ChunkOut> {
        let size = self.config.chunk_people;
        let first = index.saturating_mul(size);
        let end = first.saturating_add(size).min(self.config.people);
        let files = account::PRODUCTS.len() * usize::try_from(self.window.months).unwrap_or(0);
        let spare = self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let mut out = spare.unwrap_or_else(|| ChunkOut::new(index, files));
        out.reset(index);
        let emitter = emit::Emitter::new(self.config.format, self.window, &self.config.mistakes);
        for person_index in first..end {
            let (person, mut mistakes) = people::generate(self.config, self.window, &self.space, person_index)?;
            emitter.person(&person, &mut mistakes, &mut out)?;
            truth::write_person_line(&person, &mut out.truth);
            out.people += 1;
        }
        out.counts.bytes = out.files.iter().map(|f| f.len() as u64).sum();
        Ok(out)
    }

    /// Writes chunks in order as they arrive; returns the totals.
    fn merge(
        &self,
        rx: mpsc::Receiver<io::Result<ChunkOut>>,
        sink: &mut dyn Sink,
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<Counts> {
        let mut pending = BTreeMap::new();
        let (mut next, mut done, mut counts) = (0u32, 0u64, Counts::default());
        let every = params::PROGRESS_EVERY_PEOPLE;
        for chunk in rx {
            let chunk = chunk?;
            pending.insert(chunk.index, chunk);
            while let Some(mut chunk) = pending.remove(&next) {
                counts.merge(&chunk.counts);
                let before = done;
                done += u64::from(chunk.people);
                sink.chunk(&mut chunk)?;
                self.spare.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(chunk);
                next += 1;
                self.gate.advance(next);
                if done / every > before / every && done < u64::from(self.config.people) {
                    progress(done - done % every);
                }
            }
        }
        if next < self.chunks {
            return Err(io::Error::other("a simulation thread stopped early"));
        }
        Ok(counts)
    }
}

/// Generates every chunk on the configured threads and hands them to `sink` in order.
fn run(
    config: &SimConfig,
    window: &Window,
    mut sink: Box<dyn Sink>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<SimSummary> {
    let space = people::IdentitySpace::new(config.seed, config.format.is_us());
    if u128::from(config.people) > space.size() {
        return Err(invalid_input(format!("at most {} people can have distinct identities", space.size())));
    }
    let chunks = config.people.div_ceil(config.chunk_people);
    let threads = u32::try_from(config.threads.max(1)).unwrap_or(1).min(chunks.max(1));
    let gate = Gate {
        written: Mutex::new(0),
        moved: Condvar::new(),
        abort: AtomicBool::new(false),
        ahead: threads * params::CHUNKS_AHEAD_PER_THREAD,
    };
    let job = Job { config, window, space, chunks, next: AtomicU32::new(0), gate, spare: Mutex::new(Vec::new()) };
    let counts = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..threads {
            let tx = tx.clone();
            let job = &job;
            s.spawn(move || job.work(&tx));
        }
        drop(tx);
        let merged = job.merge(rx, sink.as_mut(), progress);
        if merged.is_err() {
            job.gate.stop();
        }
        merged
    })?;
    let files = sink.finish()?;
    progress(u64::from(config.people));
    Ok(SimSummary {
        people: u64::from(config.people),
        accounts: counts.accounts,
        month_records: counts.months,
        consent_records: counts.consents,
        notices: counts.notices,
        corrections: counts.corrections,
        deletions: counts.deletions,
        malformed_lines: counts.malformed,
        bytes: counts.bytes,
        files,
    })
}
