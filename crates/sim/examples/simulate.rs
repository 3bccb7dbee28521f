//! Runs the simulator: `cargo run -p ob-sim --example simulate -- OUT_DIR [PEOPLE] [MONTHS] [SEED]
//! [THREADS]`. An OUT_DIR of `-` generates everything and writes nothing (a counting sink).

use ob_sim::{SimConfig, simulate, simulate_counting};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "usage: simulate OUT_DIR|- [PEOPLE] [MONTHS] [SEED] [THREADS]",
        )
    };
    let out = args.first().ok_or_else(usage)?;
    let number = |i: usize, default: u64| -> std::io::Result<u64> {
        args.get(i).map_or(Ok(default), |s| s.parse().map_err(|_| usage()))
    };
    let defaults = SimConfig::default();
    let config = SimConfig {
        people: u32::try_from(number(1, u64::from(defaults.people))?).map_err(|_| usage())?,
        months: u32::try_from(number(2, u64::from(defaults.months))?).map_err(|_| usage())?,
        seed: number(3, defaults.seed)?,
        threads: usize::try_from(number(4, defaults.threads as u64)?).map_err(|_| usage())?,
        ..defaults
    };
    let started = std::time::Instant::now();
    let summary = if out == "-" { simulate_counting(&config)? } else { simulate(&config, &PathBuf::from(out))? };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} people, {} accounts, {} account-months, {} consents, {} notices, {} corrections, {} deletions, \
         {} malformed lines, {} files, {:.1} MB in {seconds:.2} s: {:.0} account-months/s",
        summary.people,
        summary.accounts,
        summary.month_records,
        summary.consent_records,
        summary.notices,
        summary.corrections,
        summary.deletions,
        summary.malformed_lines,
        summary.files.len(),
        summary.bytes as f64 / 1e6,
        summary.month_records as f64 / seconds
    );
    Ok(())
}
