//! Trains on a 1,000,000-row synthetic table (20 variables) and scores it; prints train seconds,
//! scoring rows per second and peak memory (VmHWM).
//!
//! `cargo run --release -p ob-score --example score_bench [ROWS]`

use ob_score::synthetic::{INQUIRIES, generate};
use ob_score::train::{TrainConfig, train};
use std::time::Instant;

/// Rows when none are given.
const DEFAULT_ROWS: usize = 1_000_000;
/// Scoring passes timed (the best is reported).
const SCORE_PASSES: usize = 5;
/// Seed of the synthetic table.
const DATA_SEED: u64 = 2024;

/// Peak resident memory in kB, from /proc/self/status (Linux only).
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = std::env::args().nth(1).map(|a| a.parse::<usize>()).transpose()?.unwrap_or(DEFAULT_ROWS);
    let started = Instant::now();
    let data = generate(rows, DATA_SEED);
    println!(
        "generated {rows} rows x {} variables in {:.2} s",
        data.table.columns().len(),
        started.elapsed().as_secs_f64()
    );
    let config = TrainConfig { inquiries: vec![INQUIRIES.to_owned()], ..TrainConfig::default() };
    let started = Instant::now();
    let trained = train(&data.table, &data.is_bad, &config)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let holdout = trained.report.holdout.as_ref().ok_or("no holdout statistics")?;
    println!(
        "train: {train_seconds:.2} s ({} training rows, {} variables selected, {} IRLS iterations); holdout AUC {:.4}, KS {:.4}",
        trained.report.train_rows,
        trained.model.variables.len(),
        trained.report.iterations,
        holdout.auc,
        holdout.ks
    );
    let mut best = f64::INFINITY;
    for _ in 0..SCORE_PASSES {
        let started = Instant::now();
        let scores = trained.model.score_table(&data.table)?;
        best = best.min(started.elapsed().as_secs_f64());
        std::hint::black_box(scores);
    }
    println!(
        "score: {rows} rows in {best:.3} s = {:.2} M rows/s (best of {SCORE_PASSES}, with reason codes)",
        rows as f64 / best / 1e6
    );
    match peak_memory_kb() {
        Some(kb) => println!("peak memory (VmHWM): {:.0} MiB", kb as f64 / 1024.0),
        None => println!("peak memory: unavailable"),
    }
    Ok(())
}
