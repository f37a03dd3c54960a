//! Newline-delimited JSON: one record per line.

use std::io::{Read, Write};
use std::marker::PhantomData;

use perfkit_buffers::{FinishError, LineReader, LineTooLong, RecordWriter};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::parser::Parser;

/// Reads typed records from newline-delimited JSON, one per line, on one reused line buffer
/// and one reused [`Parser`]: a warm record allocates only what `T` itself needs.
///
/// Blank lines (only spaces, tabs or `\r`) are skipped. Every error names its line in the
/// stream ([`Error::line`]); after an error the reader goes on with the next line, so a caller
/// can log a bad record and continue, or stop at the first error. A line longer than
/// [`max_line_len`](Self::max_line_len) is an [`ErrorKind::SizeLimit`] error, read past
/// without being held in memory.
///
/// # Examples
/// ```
/// use serde::Deserialize;
/// use perfkit_json::NdjsonReader;
///
/// #[derive(Deserialize)]
/// struct Hit { path: String, ms: u32 }
///
/// let input = "{\"path\": \"/\", \"ms\": 3}\n\n{\"path\": \"/a\", \"ms\": \"slow\"}\n{\"path\": \"/b\", \"ms\": 5}\n";
/// let mut total = 0;
/// let mut errors = Vec::new();
/// for hit in NdjsonReader::<_, Hit>::new(input.as_bytes()) {
///     match hit {
///         Ok(hit) => total += hit.ms,
///         Err(e) => errors.push(e.line()),
///     }
/// }
/// assert_eq!(total, 8);
/// assert_eq!(errors, [Some(3)]);
/// ```
pub struct NdjsonReader<R, T> {
    lines: LineReader<R>,
    parser: Parser,
    _records: PhantomData<fn() -> T>,
}

impl<R: Read, T: DeserializeOwned> NdjsonReader<R, T> {
    /// A reader with the default line limit (4 MiB) and parser limits.
    pub fn new(reader: R) -> Self {
        Self::with_parser(reader, Parser::new())
    }

    /// A reader that parses with `parser` (for its depth and size limits).
    pub fn with_parser(reader: R, parser: Parser) -> Self {
        Self {
            lines: LineReader::new(reader),
            parser,
            _records: PhantomData,
        }
    }

    /// Sets the longest line accepted, in bytes (default 4 MiB).
    #[must_use]
    pub fn max_line_len(mut self, max: usize) -> Self {
        self.lines = self.lines.max_line_len(max);
        self
    }

    /// The line number of the record last returned (1-based; blank lines count).
    #[must_use]
    pub fn line_number(&self) -> u64 {
        self.lines.line_number()
    }

    /// The next record, or `None` at the end of the input.
    ///
    /// # Errors
    /// A read error, a line over the limit, or a record that is not valid JSON or does not fit
    /// `T`; each names its line.
    pub fn next_record(&mut self) -> Option<Result<T, Error>> {
        loop {
            // Every call returns the next line (or its error), so this is its number.
            let line_no = self.lines.line_number() + 1;
            let line = match self.lines.next_line()? {
                Ok(line) => line,
                Err(e) => {
                    // Only the line reader's own limit is a size limit; any other error of
                    // the source (an `InvalidData` included) stays an I/O error, source kept.
                    let err = match LineTooLong::from_io(&e) {
                        Some(too_long) => Error::new(ErrorKind::SizeLimit, too_long.to_string()),
                        None => Error::io(e),
                    };
                    return Some(Err(err.in_line(line_no)));
                }
            };
            if line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            return Some(self.parser.parse(line).map_err(|e| e.in_line(line_no)));
        }
    }

    /// The underlying reader.
    pub fn into_inner(self) -> R {
        self.lines.into_inner()
    }
}

impl<R: Read, T: DeserializeOwned> Iterator for NdjsonReader<R, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

impl<R, T> std::fmt::Debug for NdjsonReader<R, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdjsonReader")
            .field("lines", &self.lines)
            .field("parser", &self.parser)
            .finish()
    }
}

/// Writes records as newline-delimited JSON, one compact record per line, through a
/// [`RecordWriter`]: buffered, and [`finish`](Self::finish) reports the error and the bytes
/// not written instead of losing them.
///
/// # Examples
/// ```
/// use perfkit_json::NdjsonWriter;
///
/// let mut out = NdjsonWriter::new(Vec::new());
/// out.write(&serde_json::json!({"id": 1, "text": "two\nlines"}))?;
/// out.write(&[1, 2, 3])?;
/// let bytes = out.finish().map_err(|e| e.into_parts().0)?;
/// assert_eq!(bytes, b"{\"id\":1,\"text\":\"two\\nlines\"}\n[1,2,3]\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct NdjsonWriter<W: Write> {
    out: RecordWriter<W>,
    /// One record is serialized here first, so a record whose `Serialize` fails half-way
    /// leaves nothing behind in the output.
    record: Vec<u8>,
    records: u64,
}

impl<W: Write> NdjsonWriter<W> {
    /// A writer with a 256 KiB buffer (perfkit-buffers' `DEFAULT_CAPACITY`).
    pub fn new(writer: W) -> Self {
        Self {
            out: RecordWriter::new(writer),
            record: Vec::new(),
            records: 0,
        }
    }

    /// A writer with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, writer: W) -> Self {
        Self {
            out: RecordWriter::with_capacity(capacity, writer),
            record: Vec::new(),
            records: 0,
        }
    }

    /// Writes `record` and a newline. Compact JSON never contains a raw newline (newlines in
    /// strings are escaped), so each record is exactly one line.
    ///
    /// A line is written whole or not at all, as [`RecordWriter`] promises: `Ok` means the
    /// writer has the whole line (written, buffered, or its tail kept after the inner writer
    /// failed part-way, to be written before the next line); `Err` means none of it was
    /// written or kept, so the call can be retried without duplicating or tearing a line.
    /// [`finish`](Self::finish) reports any bytes that never reached the output.
    ///
    /// # Errors
    /// When `record`'s `Serialize` fails (nothing is written), or the writer does.
    pub fn write<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), Error> {
        self.record.clear();
        crate::ser::to_vec_into(&mut self.record, record)?;
        self.record.push(b'\n');
        self.out.write_bytes(&self.record)?;
        self.records += 1;
        Ok(())
    }

    /// Records written so far.
    #[must_use]
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// The flush error, with the writer and every byte not written.
    pub fn finish(self) -> Result<W, FinishError<W>> {
        self.out.finish()
    }
}

impl<W: Write> std::fmt::Debug for NdjsonWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdjsonWriter")
            .field("records", &self.records)
            .field("buffered", &self.out.buffered())
            .finish_non_exhaustive()
    }
}
