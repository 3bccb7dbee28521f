//! Reading a text file line by line with a bound on the line's length, shared by the line-based
//! formats (canonical JSON lines, PBOC-style messages).

use std::io::{self, BufRead};

/// What [`read_line`] found.
pub(crate) enum LineRead {
    /// A line, in the buffer.
    Line,
    /// A line longer than the bound: consumed to its end; the buffer keeps its first bytes.
    TooLong,
    /// The end of the input.
    Eof,
}

/// Reads one line into `buf` (without its LF or CRLF), keeping at most `max_bytes` bytes; a longer
/// line is consumed to its end and reported as [`LineRead::TooLong`]. Adds the bytes consumed to
/// `bytes_read`.
pub(crate) fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    bytes_read: &mut u64,
    max_bytes: usize,
) -> io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    let mut seen_any = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        seen_any = true;
        let (chunk, found_newline) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        let room = (max_bytes + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        too_long |= buf.len() > max_bytes;
        let consumed = chunk.len() + usize::from(found_newline);
        input.consume(consumed);
        *bytes_read += consumed as u64;
        if found_newline {
            break;
        }
    }
    if !seen_any {
        return Ok(LineRead::Eof);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if too_long {
        buf.truncate(max_bytes);
        return Ok(LineRead::TooLong);
    }
    Ok(LineRead::Line)
}
