//! OpenBureau's lender simulator: seeded, deterministic furnisher files and the truth behind them.
//!
//! Three simulated furnishers report one product each, in the canonical JSON-lines format:
//! `HUABEI` (a Huabei-like revolving line, R1), `ZSBANK` (a bank credit card, R2) and `XFLOAN` (a
//! consumer-finance instalment loan, D1). Each simulated person has a behaviour type
//! ([`Behaviour`]) that drives their payments, and holds one to three of the products.
//!
//! [`simulate`] writes, under `out_dir`:
//! - `<FURNISHER>/<YYYY-MM>.jsonl` for every furnisher and every month of the window: the header,
//!   then the consents and account openings of accounts first reported that month, then that
//!   month's month records, each part in person order;
//! - `truth.jsonl`: one line per person with exactly what was reported ([`PersonTruth`]).
//!
//! Output depends only on the [`SimConfig`]: person i draws everything from an RNG seeded by
//! (seed, i), and identities come from a seed-keyed permutation, so they are unique.
//! Product parameters live in [`params`]; the arithmetic (minimum payment, daily interest,
//! amortization) in [`arith`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
pub mod arith;
mod ledger;
mod loan;
mod output;
pub mod params;
mod people;
mod revolving;
mod truth;

pub use truth::{AccountTruth, MonthTruth, PersonTruth, read_truth};

use ob_model::{YearMonth, limits};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The RNG of every simulated person: ChaCha8, whose output stream is fixed for a given seed.
pub(crate) type SimRng = rand::rngs::ChaCha8Rng;

/// The simulated furnishers: (code, display name), in the order their products are drawn.
pub const FURNISHERS: &[(&str, &str)] = &[
    (params::HUABEI.code, params::HUABEI.name),
    (params::ZSBANK.code, params::ZSBANK.name),
    (params::XFLOAN.code, params::XFLOAN.name),
];

/// How a simulated person handles their accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Pays every bill in full by its due date; never overdue.
    Transactor,
    /// Pays at least the minimum and less than the whole bill; carries balances, never overdue.
    Revolver,
    /// Revolves, then from some month pays nothing and ages through statuses 1–7; some cure later
    /// by paying everything past due.
    Struggling,
    /// Pays in full, then in some month pays everything off and closes the account.
    Closer,
}

impl Behaviour {
    /// Every behaviour.
    pub const ALL: [Behaviour; 4] =
        [Behaviour::Transactor, Behaviour::Revolver, Behaviour::Struggling, Behaviour::Closer];
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
}

impl Default for BehaviourMix {
    /// 45% transactors, 30% revolvers, 15% struggling, 10% closers.
    fn default() -> BehaviourMix {
        BehaviourMix { transactor: 45, revolver: 30, struggling: 15, closer: 10 }
    }
}

impl BehaviourMix {
    /// Each behaviour with its weight.
    pub fn weights(&self) -> [(Behaviour, u32); 4] {
        [
            (Behaviour::Transactor, self.transactor),
            (Behaviour::Revolver, self.revolver),
            (Behaviour::Struggling, self.struggling),
            (Behaviour::Closer, self.closer),
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
}

impl Default for SimConfig {
    /// 1,000 people over the 24 months to December 2025, seed 1, the default mix.
    fn default() -> SimConfig {
        SimConfig {
            people: 1_000,
            months: 24,
            seed: 1,
            end_month: YearMonth::new(2025, 12).expect("constant month is valid"),
            mix: BehaviourMix::default(),
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
    /// The day the furnisher delivers it: the 5th of the following month.
    pub deliver_on: time::Date,
}

/// What a simulation wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSummary {
    /// People simulated.
    pub people: u64,
    /// Account openings written.
    pub accounts: u64,
    /// Month records written.
    pub month_records: u64,
    /// Consent records written.
    pub consent_records: u64,
    /// Every furnisher file, sorted by (month, furnisher): the order a bureau should ingest them.
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

/// [`simulate`], calling `progress` with the number of people done every
/// [`params::PROGRESS_EVERY_PEOPLE`] people and at the end.
pub fn simulate_with_progress(
    config: &SimConfig,
    out_dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> io::Result<SimSummary> {
    let window = window_of(config)?;
    let space = people::IdentitySpace::new(config.seed);
    if u128::from(config.people) > space.size() {
        return Err(invalid_input(format!("at most {} people can have distinct identities", space.size())));
    }
    std::fs::create_dir_all(out_dir)?;
    let mut outputs = output::Outputs::create(out_dir, window)?;
    let mut truth = truth::TruthWriter::create(&out_dir.join("truth.jsonl"))?;
    for index in 0..config.people {
        let person = people::generate(config.seed, &config.mix, &window, &space, index)?;
        truth.write(&person)?;
        outputs.write_person(person)?;
        let done = u64::from(index) + 1;
        if done % params::PROGRESS_EVERY_PEOPLE == 0 && done < u64::from(config.people) {
            progress(done);
        }
    }
    truth.finish()?;
    let (files, counts) = outputs.finish()?;
    progress(u64::from(config.people));
    Ok(SimSummary {
        people: u64::from(config.people),
        accounts: counts.accounts,
        month_records: counts.months,
        consent_records: counts.consents,
        files,
    })
}
