//! Any bytes as a Metro 2 file: the validator, the reader (with typed parsing of every record),
//! and the JSON conversions must never panic, every diagnostic must point inside the input, and
//! what the checked JSON conversion writes must validate.
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
    // Whatever JSON the checked conversion accepts, the validator passes (but kept trailer totals).
    let scratch = std::io::Cursor::new(Vec::new());
    if let Ok(c) = json::from_json_checked(data, scratch, WriterOptions::default(), today, true) {
        let written = c.out.into_inner();
        assert!(validate(written.as_slice(), today).expect("in memory").is_valid());
    }
});
