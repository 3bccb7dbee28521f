//! Reading a canonical JSON-lines file on a thread of its own: parsing and checking each line
//! (a sixth of an ingest's time) runs beside the bureau's checks and writes, on the machine's
//! other core. Lines travel in chunks through a bounded channel, so memory stays bounded.

use super::source::{Entry, FORMAT_JSONL, Named, Source};
use crate::{BureauError, Result};
use ob_formats::jsonl;
use ob_model::FieldError;
use ob_model::records::Record;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Lines sent to the bureau at a time (and entries `chunked.rs` reads at a time).
pub(super) const CHUNK_LINES: usize = 1_024;
/// Chunks parsed ahead of the bureau, at most.
const CHUNKS_AHEAD: usize = 4;

/// One line (or entry), owned.
pub(super) struct Line {
    pub(super) line: u64,
    pub(super) raw: Vec<u8>,
    /// Taken when the line is handed out.
    pub(super) outcome: Option<std::result::Result<Vec<Record>, Vec<FieldError>>>,
    /// The person the entry names beside its records ([`Entry::named`]).
    pub(super) named: Option<Named>,
}

impl Line {
    /// An entry, copied.
    pub(super) fn of(entry: Entry<'_>) -> Line {
        Line { line: entry.line, raw: entry.raw.to_vec(), outcome: Some(entry.outcome), named: entry.named }
    }

    /// Hands the line out as an entry; `None` once it was handed out.
    pub(super) fn entry(&mut self) -> Option<Entry<'_>> {
        Some(Entry { line: self.line, raw: &self.raw, outcome: self.outcome.take()?, named: self.named.take() })
    }

    /// The records of every line not handed out yet, for [`Source::ahead`].
    pub(super) fn records<'a>(lines: impl Iterator<Item = &'a Line>) -> Vec<&'a Record> {
        lines.filter_map(|l| l.outcome.as_ref()?.as_ref().ok()).flatten().collect()
    }
}

/// What the reading thread sends: lines, then the end (or the error that stopped it).
enum Message {
    Lines { lines: Vec<Line>, bytes_read: u64 },
    End,
    Failed(jsonl::ReadError),
}

/// A canonical JSON-lines file parsed on another thread.
pub(super) struct ParallelJsonl {
    furnisher: String,
    furnisher_name: Option<String>,
    rx: Receiver<Message>,
    lines: std::vec::IntoIter<Line>,
    current: Option<Line>,
    bytes_read: u64,
    /// The reading thread has sent its last message.
    ended: bool,
    /// Why the reading stopped early, said once the lines before it are handed out.
    failure: Option<BureauError>,
    /// `lines` came in a chunk [`Source::ahead`] has not given yet.
    fresh: bool,
}

impl ParallelJsonl {
    /// Starts reading `reader` (its header already read) on a new thread.
    pub(super) fn start<R: BufRead + Send + 'static>(reader: jsonl::Reader<R>) -> Result<ParallelJsonl> {
        let header = reader.header();
        let (furnisher, furnisher_name) = (header.furnisher.clone(), header.furnisher_name.clone());
        let (tx, rx) = sync_channel(CHUNKS_AHEAD);
        std::thread::Builder::new().name("ob-parse".into()).spawn(move || read_all(reader, &tx))?;
        Ok(ParallelJsonl {
            furnisher,
            furnisher_name,
            rx,
            lines: Vec::new().into_iter(),
            current: None,
            bytes_read: 0,
            ended: false,
            failure: None,
            fresh: false,
        })
    }

    /// Takes the reading thread's next message, once every line in hand is handed out.
    fn receive(&mut self) {
        if !self.lines.as_slice().is_empty() || self.ended {
            return;
        }
        match self.rx.recv() {
            Ok(Message::Lines { lines, bytes_read }) => {
                self.lines = lines.into_iter();
                self.bytes_read = bytes_read;
                self.fresh = true;
            }
            Ok(Message::End) => self.ended = true,
            Ok(Message::Failed(e)) => {
                self.ended = true;
                self.failure = Some(e.into());
            }
            Err(_) => {
                // The thread ended without `End`: it panicked. Never take a partial file.
                self.ended = true;
                self.failure = Some(BureauError::Io(std::io::Error::other("the file's reading thread failed")));
            }
        }
    }
}

/// The reading thread: every line, in chunks, then `End`. Stops quietly when the bureau has
/// stopped listening (its batch failed and was dropped).
fn read_all<R: BufRead>(mut reader: jsonl::Reader<R>, tx: &SyncSender<Message>) {
    let mut lines = Vec::with_capacity(CHUNK_LINES);
    while let Some(entry) = reader.next_entry() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                // The lines before the error first: the bureau sees them in the file's order.
                let _ = tx.send(Message::Lines { lines, bytes_read: reader.bytes_read() });
                let _ = tx.send(Message::Failed(e));
                return;
            }
        };
        let outcome = Some(entry.outcome.map(|r| vec![r]));
        lines.push(Line { line: entry.line, raw: entry.raw.to_vec(), outcome, named: None });
        if lines.len() == CHUNK_LINES {
            let full = std::mem::replace(&mut lines, Vec::with_capacity(CHUNK_LINES));
            if tx.send(Message::Lines { lines: full, bytes_read: reader.bytes_read() }).is_err() {
                return;
            }
        }
    }
    let _ = tx.send(Message::Lines { lines, bytes_read: reader.bytes_read() });
    let _ = tx.send(Message::End);
}

impl Source for ParallelJsonl {
    fn furnisher(&self) -> (&str, Option<&str>) {
        (&self.furnisher, self.furnisher_name.as_deref())
    }

    fn format(&self) -> &'static str {
        FORMAT_JSONL
    }

    fn next_entry(&mut self) -> Option<Result<Entry<'_>>> {
        loop {
            if let Some(line) = self.lines.next() {
                self.current = Some(line);
                break;
            }
            if self.ended {
                return self.failure.take().map(Err);
            }
            self.receive();
        }
        self.fresh = false;
        self.current.as_mut()?.entry().map(Ok)
    }

    fn ahead(&mut self) -> Vec<&Record> {
        self.receive();
        if !std::mem::take(&mut self.fresh) {
            return Vec::new();
        }
        Line::records(self.lines.as_slice().iter())
    }

    fn bytes_read(&self) -> u64 {
        self.bytes_read
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const HEADER: &str = "{\"kind\":\"header\",\"format\":\"openbureau.jsonl\",\"version\":1,\"furnisher\":\"HB\"}\n";

    /// Serves `text`, then fails.
    struct FailsAfter(std::io::Cursor<Vec<u8>>);

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }

    /// The lines' numbers, then whether the source ended in an error.
    fn drain(mut source: ParallelJsonl) -> (Vec<u64>, bool) {
        let mut lines = Vec::new();
        while let Some(entry) = source.next_entry() {
            match entry {
                Ok(e) => lines.push(e.line),
                Err(_) => return (lines, source.next_entry().is_none()),
            }
        }
        (lines, false)
    }

    #[test]
    fn every_line_comes_in_order_across_chunks_then_the_end() {
        let body: String = (0..CHUNK_LINES * 2 + 5).map(|_| "{\"kind\":\"nonsense\"}\n").collect();
        let reader = jsonl::Reader::new(std::io::Cursor::new(format!("{HEADER}{body}").into_bytes())).unwrap();
        let (lines, failed) = drain(ParallelJsonl::start(reader).unwrap());
        assert!(!failed);
        assert_eq!(lines, (2..=(CHUNK_LINES as u64 * 2 + 6)).collect::<Vec<_>>());
    }

    #[test]
    fn each_chunk_is_given_ahead_once_before_its_first_line() {
        let line = concat!(
            r#"{"kind":"consent","subject":{"name":"马俊杰","birth_date":"1979-02-22","document":{"type":"prc_resident_id","#,
            r#""number":"370102197902227591"}},"scope":"report","granted_on":"2024-11-24","expires_on":"2029-11-24","#,
            r#""evidence_sha256":"f936c7e03b91a7525e93cb65d017eccf3670c46b4203fd3adf9c08e410c1cbb4","consent_ref":"C1"}"#,
            "\n"
        );
        let body = line.repeat(CHUNK_LINES + 3);
        let reader = jsonl::Reader::new(std::io::Cursor::new(format!("{HEADER}{body}").into_bytes())).unwrap();
        let mut source = ParallelJsonl::start(reader).unwrap();
        let mut given = Vec::new();
        loop {
            let ahead = source.ahead().len();
            let Some(entry) = source.next_entry() else { break };
            if ahead > 0 {
                given.push((entry.unwrap().line, ahead));
            }
        }
        assert_eq!(given, [(2, CHUNK_LINES), (2 + CHUNK_LINES as u64, 3)]);
        assert!(source.ahead().is_empty(), "nothing is given twice, nor after the end");
    }

    #[test]
    fn a_read_error_mid_file_ends_the_source_with_that_error() {
        let text = format!("{HEADER}{{\"kind\":\"nonsense\"}}\n{{\"kind\":\"nonsense\"}}\n{{\"kind\":");
        let reader = jsonl::Reader::new(std::io::BufReader::new(FailsAfter(std::io::Cursor::new(text.into_bytes()))));
        let (lines, failed) = drain(ParallelJsonl::start(reader.unwrap()).unwrap());
        assert!(failed, "the error is said, and nothing follows it");
        assert_eq!(lines, [2, 3]);
    }
}
