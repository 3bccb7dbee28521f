//! Any bytes as a PBOC-style file, and as one record line of every record type behind a valid
//! header: validation, the reader and the mapping onto the model must never panic, and every
//! rejected record must carry at least one error with a six-character code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ob_formats::pboc::{Reader, RecordType, to_model, validate};

fuzz_target!(|data: &[u8]| {
    let report = validate(data).expect("reading from memory cannot fail");
    for f in &report.rejections {
        assert!(!f.errors.is_empty());
        assert!(f.errors.iter().all(|e| e.code.len() == 6));
    }
    for t in RecordType::ALL {
        let mut file = format!("A050{t}2.0.0B1234567890ABC202404010200000000000001\n").into_bytes();
        file.extend_from_slice(data);
        if let Ok(mut reader) = Reader::new(file.as_slice()) {
            while let Some(entry) = reader.next_entry() {
                let Ok(entry) = entry else { continue };
                match entry.outcome {
                    Ok(record) => {
                        let _ = to_model::to_records(&record);
                    }
                    Err(errors) => assert!(!errors.is_empty()),
                }
            }
        }
    }
});
