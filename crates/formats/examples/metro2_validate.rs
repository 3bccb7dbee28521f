//! Validates a Metro 2 file and prints records, seconds, MB/s, records/s and peak memory (VmHWM).
//!
//! ```text
//! cargo run --release -p ob-formats --example metro2_validate -- FILE [--today YYYY-MM-DD]
//! cargo run --release -p ob-formats --example metro2_validate -- --generate N FILE [--segments]
//!     [--format character|packed-decimal|packed-binary]
//! ```
//! `--generate` writes N sample records (base only, or with J2 and K1 segments) to FILE.

#[path = "../tests/metro2_support/mod.rs"]
mod support;

use ob_formats::metro2::{Blocking, DataRecord, Format, LineBreak, Writer, WriterOptions, validate_each};
use std::io::{BufWriter, Write};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--generate") => generate(&args[1..]),
        Some(path) => check(path, &args[1..]),
        None => {
            Err("usage: metro2_validate FILE [--today YYYY-MM-DD] | --generate N FILE [--segments] [--format F]".into())
        }
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(2);
    }
}

fn option<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn check(path: &str, args: &[String]) -> Result<(), String> {
    let today = match option(args, "--today") {
        Some(d) => time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]"))
            .map_err(|e| format!("--today: {e}"))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let start = Instant::now();
    let mut shown = 0;
    let report = validate_each(file, today, |d| {
        if shown < 10 {
            eprintln!("{d}");
            shown += 1;
        }
    })
    .map_err(|e| format!("{path}: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    let mb = report.bytes as f64 / 1e6;
    println!(
        "records {} bytes {} seconds {:.3} MB/s {:.0} records/s {:.0} errors {} VmHWM {}",
        report.records,
        report.bytes,
        secs,
        mb / secs,
        report.records as f64 / secs,
        report.errors_total,
        peak_memory()
    );
    Ok(())
}

/// Peak resident memory from /proc/self/status.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l["VmHWM:".len()..].trim().to_owned()))
        .unwrap_or_else(|| "unknown".into())
}

fn generate(args: &[String]) -> Result<(), String> {
    let n: u64 = args.first().and_then(|a| a.parse().ok()).ok_or("--generate N FILE")?;
    let path = args.get(1).ok_or("--generate N FILE")?;
    let format = match option(args, "--format").unwrap_or("character") {
        "character" => Format::Character,
        "packed-decimal" => Format::PackedDecimal,
        "packed-binary" => Format::PackedBinary,
        other => return Err(format!("unknown format {other}")),
    };
    let segments = args.iter().any(|a| a == "--segments");
    let out = BufWriter::new(std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?);
    let options = WriterOptions { format, blocking: Blocking::Variable, line_break: LineBreak::Lf };
    let mut w = Writer::new(out, options, &support::header()).map_err(|e| e.to_string())?;
    let full = support::full(0);
    for i in 0..n {
        let mut r = DataRecord { base: support::base(i), ..DataRecord::default() };
        if segments {
            r.j2 = vec![full.j2[0].clone()];
            r.k1 = full.k1.clone();
        }
        w.write(&r).map_err(|e| e.to_string())?;
    }
    let (mut out, _) = w.finish().map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(())
}
