//! A source read one entry at a time (Metro 2, PBOC-style messages), read a chunk ahead, so that
//! its records are looked up together as a canonical file's are ([`Source::ahead`]): over
//! PostgreSQL, a few statements a chunk instead of a round trip for each record.

use super::parallel::{CHUNK_LINES, Line};
use super::source::{Entry, Source};
use crate::{BureauError, Result};
use ob_model::records::Record;
use std::collections::VecDeque;

/// `S` read up to [`CHUNK_LINES`] entries ahead.
pub(super) struct Chunked<S> {
    inner: S,
    lines: VecDeque<Line>,
    current: Option<Line>,
    /// `inner` has given its last entry (or failed).
    ended: bool,
    /// Why `inner` stopped early, said once the entries before it are handed out.
    failure: Option<BureauError>,
    /// `lines` were read since [`Source::ahead`] last gave them.
    fresh: bool,
}

impl<S: Source> Chunked<S> {
    /// Reads `inner` a chunk at a time.
    pub(super) fn new(inner: S) -> Chunked<S> {
        Chunked { inner, lines: VecDeque::new(), current: None, ended: false, failure: None, fresh: false }
    }

    /// Reads the next chunk once the last is handed out.
    fn fill(&mut self) {
        while self.lines.is_empty() && !self.ended {
            for _ in 0..CHUNK_LINES {
                match self.inner.next_entry() {
                    Some(Ok(entry)) => self.lines.push_back(Line::of(entry)),
                    Some(Err(e)) => (self.failure, self.ended) = (Some(e), true),
                    None => self.ended = true,
                }
                if self.ended {
                    break;
                }
            }
            self.fresh = !self.lines.is_empty();
        }
    }
}

impl<S: Source> Source for Chunked<S> {
    fn furnisher(&self) -> (&str, Option<&str>) {
        self.inner.furnisher()
    }

    fn format(&self) -> &'static str {
        self.inner.format()
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        self.fill();
        self.fresh = false;
        let Some(line) = self.lines.pop_front() else {
            return self.failure.take().map(Err);
        };
        self.current.insert(line).entry().map(Ok)
    }

    fn ahead(&mut self) -> Vec<&Record> {
        self.fill();
        if !std::mem::take(&mut self.fresh) {
            return Vec::new();
        }
        Line::records(self.lines.iter())
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries 1..=`count`, each one record, then an error if `fails`.
    struct Numbered {
        next: u64,
        count: u64,
        fails: bool,
        records: Vec<Record>,
    }

    impl Numbered {
        fn new(count: u64, fails: bool) -> Numbered {
            let body = r#"{"kind":"consent","subject":{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}},"scope":"report","granted_on":"2024-01-02","expires_on":"2029-01-01","evidence_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","consent_ref":"AUTH-1"}"#;
            let text = format!(
                "{{\"kind\":\"header\",\"format\":\"openbureau.jsonl\",\"version\":1,\"furnisher\":\"HB\"}}\n{body}\n"
            );
            let mut reader = ob_formats::jsonl::Reader::new(text.as_bytes()).unwrap();
            let record = reader.next_entry().unwrap().unwrap().outcome.unwrap();
            Numbered { next: 0, count, fails, records: vec![record] }
        }
    }

    impl Source for Numbered {
        fn furnisher(&self) -> (&str, Option<&str>) {
            ("HB", None)
        }
        fn format(&self) -> &'static str {
            "test"
        }
        fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
            if self.next == self.count {
                self.next += 1;
                return self.fails.then(|| Err(BureauError::Io(std::io::Error::other("disk gone"))));
            }
            if self.next > self.count {
                return None;
            }
            self.next += 1;
            Some(Ok(Entry { line: self.next, raw: b"raw", outcome: Ok(self.records.clone()) }))
        }
        fn bytes_read(&self) -> u64 {
            self.next
        }
    }

    /// For each entry, its line and how many records were given ahead just before it; then
    /// whether the source ended in an error.
    fn drain(mut source: Chunked<Numbered>) -> (Vec<(u64, usize)>, bool) {
        let mut seen = Vec::new();
        loop {
            let ahead = source.ahead().len();
            match source.next_entry() {
                Some(Ok(entry)) => {
                    assert_eq!(entry.raw, b"raw");
                    seen.push((entry.line, ahead));
                }
                Some(Err(_)) => {
                    assert!(source.next_entry().is_none() && source.ahead().is_empty(), "nothing after the error");
                    return (seen, true);
                }
                None => return (seen, false),
            }
        }
    }

    fn check(count: u64, fails: bool) {
        let (seen, failed) = drain(Chunked::new(Numbered::new(count, fails)));
        assert_eq!(failed, fails);
        let lines: Vec<u64> = seen.iter().map(|s| s.0).collect();
        assert_eq!(lines, (1..=count).collect::<Vec<_>>(), "every entry, in order");
        let given: Vec<(u64, usize)> = seen.into_iter().filter(|s| s.1 > 0).collect();
        let chunk = CHUNK_LINES as u64;
        let expected: Vec<(u64, usize)> =
            (0..count.div_ceil(chunk)).map(|c| (c * chunk + 1, (count - c * chunk).min(chunk) as usize)).collect();
        assert_eq!(given, expected, "each chunk's records given once, before its first entry");
    }

    #[test]
    fn entries_come_in_order_and_each_chunk_is_given_ahead_once() {
        for count in [0, 1, CHUNK_LINES as u64, CHUNK_LINES as u64 * 2 + 3] {
            check(count, false);
            check(count, true);
        }
    }
}
