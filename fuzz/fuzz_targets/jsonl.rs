//! Any bytes, as a whole file and as a single record line: the reader must never panic, and every
//! rejected line must carry at least one located error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ob_formats::jsonl::{Reader, parse_record};

const HEADER: &[u8] = b"{\"kind\":\"header\",\"format\":\"openbureau.jsonl\",\"version\":1,\"furnisher\":\"F\"}\n";

fuzz_target!(|data: &[u8]| {
    if let Err(errors) = parse_record(data) {
        assert!(!errors.is_empty());
    }
    let mut file = HEADER.to_vec();
    file.extend_from_slice(data);
    for input in [data, file.as_slice()] {
        if let Ok(mut reader) = Reader::new(input) {
            while let Some(entry) = reader.next_entry() {
                match entry {
                    Ok(e) => {
                        if let Err(errors) = e.outcome {
                            assert!(!errors.is_empty());
                        }
                    }
                    Err(_) => break,
                }
            }
        }
    }
});
