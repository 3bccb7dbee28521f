//! Any bytes as a Metro 2 file: the validator, the reader (with typed parsing of every record),
//! and both JSON conversions must never panic, and every diagnostic must point inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ob_formats::metro2::{Date, Reader, WriterOptions, json, validate};

fuzz_target!(|data: &[u8]| {
    let today = Date::from_ordinal_date(2024, 197).expect("a real day");
    let report = validate(data, today).expect("reading from memory cannot fail");
    for d in &report.errors {
        assert!(d.offset <= data.len() as u64, "{d}");
    }
    assert!(report.is_valid() || report.errors_total > 0);
    if let Ok(mut reader) = Reader::new(data) {
        let _ = reader.header();
        while let Some(rec) = reader.next_record() {
            if let Ok(rec) = rec {
                let _ = rec.parse();
            }
        }
        let _ = reader.trailer();
    }
    let _ = json::to_json(data, std::io::sink());
    let _ = json::from_json(data, std::io::sink(), WriterOptions::default());
});
