//! Runs the simulator: `cargo run -p ob-sim --example simulate -- OUT_DIR [PEOPLE] [MONTHS] [SEED]`.

use ob_sim::{SimConfig, simulate};
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        || std::io::Error::new(std::io::ErrorKind::InvalidInput, "usage: simulate OUT_DIR [PEOPLE] [MONTHS] [SEED]");
    let out_dir = PathBuf::from(args.first().ok_or_else(usage)?);
    let number = |i: usize, default: u64| -> std::io::Result<u64> {
        args.get(i).map_or(Ok(default), |s| s.parse().map_err(|_| usage()))
    };
    let defaults = SimConfig::default();
    let config = SimConfig {
        people: u32::try_from(number(1, u64::from(defaults.people))?).map_err(|_| usage())?,
        months: u32::try_from(number(2, u64::from(defaults.months))?).map_err(|_| usage())?,
        seed: number(3, defaults.seed)?,
        ..defaults
    };
    let started = std::time::Instant::now();
    let summary = simulate(&config, &out_dir)?;
    println!(
        "{} people, {} accounts, {} month records, {} consents, {} files in {:.2?}",
        summary.people,
        summary.accounts,
        summary.month_records,
        summary.consent_records,
        summary.files.len(),
        started.elapsed()
    );
    Ok(())
}
