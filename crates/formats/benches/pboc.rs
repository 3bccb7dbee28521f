//! Read + validate throughput of the PBOC-style reader on one core: 100,000 210 records (the
//! sample mix of openings with C, H and F, monthly H, C1 J segments, D and K lists), written to a
//! temporary file first, then read, checked against every rule and mapped onto the model.
//!
//! Run: `cargo bench -p ob-formats --bench pboc`.

#[path = "../tests/pboc_support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ob_formats::pboc::{PbocRecord, RecordType, Writer, validate_each};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Records per benchmark file.
const RECORDS: u64 = 100_000;
/// Read buffer, bytes.
const BUFFER_BYTES: usize = 1 << 16;

fn generate(path: &Path) {
    let all = support::pboc_records();
    let (_, samples) = all.iter().find(|(t, _)| *t == RecordType::Account).expect("210 samples");
    let out = BufWriter::new(std::fs::File::create(path).expect("temp file"));
    let mut w = Writer::new(out, support::header(RecordType::Account, RECORDS)).expect("header");
    for i in 0..RECORDS {
        let mut r = samples[(i as usize) % samples.len()].clone();
        if let PbocRecord::Account(a) = &mut r {
            a.base.account_code = format!("{}-{i}", a.base.account_code);
        }
        w.write(&r).expect("record");
    }
    w.finish().expect("count").flush().expect("flush");
}

/// Validates the whole file; panics on any rejection (the samples are valid).
fn run(path: &Path) -> u64 {
    let file = BufReader::with_capacity(BUFFER_BYTES, std::fs::File::open(path).expect("open"));
    let report = validate_each(file, |f| panic!("{f:?}")).expect("read");
    assert_eq!(report.records, RECORDS);
    assert!(report.file_errors.is_empty(), "{:?}", report.file_errors);
    report.bytes
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("B1234567890ABC2024040121000010.txt");
    generate(&path);
    let start = Instant::now();
    let bytes = run(&path);
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "pboc_210: {RECORDS} records, {bytes} bytes, one pass {secs:.2} s = {:.1} MB/s, {:.0} records/s",
        bytes as f64 / 1e6 / secs,
        RECORDS as f64 / secs
    );
    let mut group = c.benchmark_group("pboc_read_validate");
    group.sample_size(10).measurement_time(Duration::from_secs(15)).warm_up_time(Duration::from_secs(2));
    group.throughput(Throughput::Elements(RECORDS));
    group.bench_function("records_210", |b| b.iter(|| run(&path)));
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("bytes_210", |b| b.iter(|| run(&path)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
