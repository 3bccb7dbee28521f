//! Generating 10 million account-months: into a temporary folder (files, truth and all), and into
//! a counting sink (everything generated and formatted, nothing written) to separate the CPU cost
//! from the disk's.
//!
//! Run: `cargo bench -p ob-sim --bench simulate`. Figures go to docs/simulator.md (then
//! docs/benchmarks.md). Criterion reports throughput in account-months (month records) a second.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ob_sim::{SimConfig, simulate, simulate_counting};
use std::time::Duration;

/// Account-months the benchmark generates.
const ACCOUNT_MONTHS: u64 = 10_000_000;

/// A configuration of 24 months with enough people for [`ACCOUNT_MONTHS`], measured on a small
/// run of the same parameters (people have 31 account-months on average).
fn config() -> (SimConfig, u64) {
    let sample = SimConfig { people: 10_000, ..SimConfig::default() };
    let per_person = simulate_counting(&sample).expect("sample run").month_records as f64 / 10_000.0;
    let people = (ACCOUNT_MONTHS as f64 / per_person).ceil() as u32;
    let config = SimConfig { people, ..SimConfig::default() };
    let months = simulate_counting(&config).expect("calibration run").month_records;
    (config, months)
}

fn bench(c: &mut Criterion) {
    let (config, months) = config();
    eprintln!("{} people, {months} account-months, {} threads", config.people, config.threads);
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10).measurement_time(Duration::from_secs(60)).throughput(Throughput::Elements(months));
    group.bench_function("10M account-months, counting sink", |b| {
        b.iter(|| simulate_counting(&config).expect("runs"));
    });
    group.bench_function("10M account-months, to a temp dir", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                simulate(&config, dir.path()).expect("runs");
                dir // deleted after the measurement
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
