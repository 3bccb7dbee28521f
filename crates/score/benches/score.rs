//! Criterion benchmark: training on, and scoring, a 1,000,000-row synthetic table of 20 variables.
//!
//! `cargo bench -p ob-score --bench score`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ob_score::synthetic::{INQUIRIES, generate};
use ob_score::train::{TrainConfig, train};
use std::time::Duration;

/// Rows of the synthetic table.
const ROWS: usize = 1_000_000;
/// Seed of the synthetic table.
const DATA_SEED: u64 = 2024;
/// Criterion's smallest sample count; one training takes seconds.
const SAMPLES: usize = 10;

fn bench(c: &mut Criterion) {
    let data = generate(ROWS, DATA_SEED);
    let config = TrainConfig { inquiries: vec![INQUIRIES.to_owned()], ..TrainConfig::default() };
    let mut group = c.benchmark_group("scorecard_1m_rows_20_variables");
    group.sample_size(SAMPLES).measurement_time(Duration::from_secs(30));
    group.bench_function("train", |b| b.iter(|| train(&data.table, &data.is_bad, &config)));
    let model = match train(&data.table, &data.is_bad, &config) {
        Ok(trained) => trained.model,
        Err(e) => panic!("training the benchmark model failed: {e}"),
    };
    group.throughput(Throughput::Elements(ROWS as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("score", |b| b.iter(|| model.score_table(&data.table)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
