//! Parse + validate throughput of the Metro 2 reader on one core: 1 million base records, without
//! and with appended segments (J2 + K1), written to a temporary file first.
//!
//! Run: `cargo bench -p ob-formats --bench metro2`. Peak memory: examples/metro2_validate.rs.

#[path = "../tests/metro2_support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ob_formats::metro2::{Blocking, DataRecord, Format, LineBreak, Writer, WriterOptions, validate_each};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// Records per benchmark file.
const RECORDS: u64 = 1_000_000;

fn generate(path: &Path, format: Format, segments: bool) {
    let out = BufWriter::new(std::fs::File::create(path).expect("temp file"));
    let options = WriterOptions { format, blocking: Blocking::Variable, line_break: LineBreak::Lf };
    let mut w = Writer::new(out, options, &support::header()).expect("header");
    let full = support::full(0);
    for i in 0..RECORDS {
        let mut r = DataRecord { base: support::base(i), ..DataRecord::default() };
        if segments {
            r.j2 = vec![full.j2[0].clone()];
            r.k1 = full.k1.clone();
        }
        w.write(&r).expect("record");
    }
    w.finish().expect("trailer").0.flush().expect("flush");
}

/// Validates the whole file; panics on any diagnostic (the samples are valid).
fn run(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("open");
    let report = validate_each(file, support::TODAY, |d| panic!("{d}")).expect("read");
    assert_eq!(report.records, RECORDS);
    report.bytes
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("character_base", Format::Character, false),
        ("character_j2_k1", Format::Character, true),
        ("packed_decimal_base", Format::PackedDecimal, false),
    ];
    let mut group = c.benchmark_group("metro2_parse_validate");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
    for (name, format, segments) in cases {
        let path = dir.path().join(format!("{name}.dat"));
        generate(&path, format, segments);
        let start = Instant::now();
        let bytes = run(&path);
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {RECORDS} records, {bytes} bytes, one pass {secs:.2} s = {:.0} MB/s, {:.0} records/s",
            bytes as f64 / 1e6 / secs,
            RECORDS as f64 / secs
        );
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(name, |b| b.iter(|| run(&path)));
        std::fs::remove_file(&path).ok();
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
