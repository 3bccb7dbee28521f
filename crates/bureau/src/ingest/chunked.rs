//! A source read one entry at a time (Metro 2, PBOC-style messages), read a chunk ahead, so that
//! its records are looked up together as a canonical file's are ([`Source::ahead`]): over
//! PostgreSQL, a few statements a chunk instead of a round trip for each record.

use super::parallel::{CHUNK_LINES, Line};
use super::source::{Entry, Source};
use crate::{BureauError, Result};
use ob_model::records::Record;
use std::collections::VecDeque;

/// `S` read up to [`CHUNK_LINES`] entries ahead (one at a time when the batch does not look ahead:
/// a chunk of PBOC-style entries may hold 64 MiB, for nothing then).
pub(super) struct Chunked<S> {
    inner: S,
    /// Entries read at a time.
    chunk: usize,
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
        Chunked {
            inner,
            chunk: CHUNK_LINES,
            lines: VecDeque::new(),
            current: None,
            ended: false,
            failure: None,
            fresh: false,
        }
    }

    /// Reads the next chunk once the last is handed out.
    fn fill(&mut self) {
        if self.lines.is_empty() && !self.ended {
            for _ in 0..self.chunk {
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

    fn ahead_named(&self) -> Vec<&ob_model::DocumentNumber> {
        self.lines.iter().filter_map(|l| l.named.as_ref()).map(|n| &n.document).collect()
    }

    fn look_ahead(&mut self, on: bool) {
        self.chunk = if on { CHUNK_LINES } else { 1 };
    }

    fn bytes_read(&self) -> u64 {
        self.inner.bytes_read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ob_model::{Code, FieldError};

    /// Entries 1..=`count`, then an error if `fails`; entry n holds n mod 3 records (none: its
    /// outcome is a field error). Reading past its end is a bug of the adapter.
    struct Numbered {
        next: u64,
        count: u64,
        fails: bool,
        ended: bool,
        record: Record,
    }

    impl Numbered {
        fn new(count: u64, fails: bool) -> Numbered {
            let body = r#"{"kind":"consent","subject":{"name":"张三","birth_date":"1949-12-31","document":{"type":"prc_resident_id","number":"11010519491231002X"}},"scope":"report","granted_on":"2024-01-02","expires_on":"2029-01-01","evidence_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","consent_ref":"AUTH-1"}"#;
            let text = format!(
                "{{\"kind\":\"header\",\"format\":\"openbureau.jsonl\",\"version\":1,\"furnisher\":\"HB\"}}\n{body}\n"
            );
            let mut reader = ob_formats::jsonl::Reader::new(text.as_bytes()).unwrap();
            let record = reader.next_entry().unwrap().unwrap().outcome.unwrap();
            Numbered { next: 0, count, fails, ended: false, record }
        }

        fn records(line: u64) -> usize {
            (line % 3) as usize
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
            assert!(!self.ended, "read again after its end or its error");
            if self.next == self.count {
                self.ended = true;
                return self.fails.then(|| Err(BureauError::Io(std::io::Error::other("disk gone"))));
            }
            self.next += 1;
            let outcome = match Self::records(self.next) {
                0 => Err(vec![FieldError::new(Code::FieldInvalid, "field", "wrong")]),
                n => Ok(vec![self.record.clone(); n]),
            };
            Some(Ok(Entry { line: self.next, raw: b"raw", outcome, named: None }))
        }
        fn bytes_read(&self) -> u64 {
            self.next
        }
    }

    /// For each entry, its line and how many records were given ahead just before it; then
    /// whether the source ended in an error. Checks that at most `chunk` entries are read ahead.
    fn drain(mut source: Chunked<Numbered>, chunk: u64) -> (Vec<(u64, usize)>, bool) {
        let mut seen = Vec::new();
        loop {
            let ahead = source.ahead().len();
            match source.next_entry() {
                Some(Ok(entry)) => {
                    assert_eq!(entry.raw, b"raw");
                    let line = entry.line;
                    seen.push((line, ahead));
                    let read = source.bytes_read();
                    assert!(read - line < chunk, "entry {line}: {read} read");
                }
                Some(Err(_)) => {
                    assert!(source.next_entry().is_none() && source.ahead().is_empty(), "nothing after the error");
                    return (seen, true);
                }
                None => {
                    assert!(source.next_entry().is_none() && source.ahead().is_empty(), "nothing after the end");
                    return (seen, false);
                }
            }
        }
    }

    fn check(count: u64, fails: bool, chunk: u64) {
        let mut source = Chunked::new(Numbered::new(count, fails));
        source.look_ahead(chunk > 1);
        let (seen, failed) = drain(source, chunk);
        assert_eq!(failed, fails);
        let lines: Vec<u64> = seen.iter().map(|s| s.0).collect();
        assert_eq!(lines, (1..=count).collect::<Vec<_>>(), "every entry, in order");
        let given: Vec<(u64, usize)> = seen.into_iter().filter(|s| s.1 > 0).collect();
        let records = |from: u64, to: u64| (from..=to).map(Numbered::records).sum::<usize>();
        let expected: Vec<(u64, usize)> = (0..count.div_ceil(chunk))
            .map(|c| (c * chunk + 1, records(c * chunk + 1, ((c + 1) * chunk).min(count))))
            .filter(|e| e.1 > 0)
            .collect();
        assert_eq!(given, expected, "each chunk's records given once, before its first entry");
    }

    #[test]
    fn entries_come_in_order_and_each_chunk_is_given_ahead_once() {
        let chunk = CHUNK_LINES as u64;
        for count in [0, 1, 3, chunk, chunk * 2 + 3] {
            for fails in [false, true] {
                check(count, fails, chunk);
                check(count, fails, 1);
            }
        }
    }
}
