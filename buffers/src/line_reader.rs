use std::fmt;
use std::io::{self, Read};

/// Default for [`LineReader::max_line_len`]: 4 MiB.
pub const DEFAULT_MAX_LINE_LEN: usize = 4 << 20;
const INITIAL_CAPACITY: usize = 64 << 10;

/// Reads lines from any [`Read`] into one reused buffer: no allocation per line.
///
/// [`next_line`](Self::next_line) returns each line without its `\n` or `\r\n`, borrowed from
/// the reader's buffer until the next call; a last line without a newline is returned too.
/// Line endings are those of [`BufRead::lines`](std::io::BufRead::lines): a `\r` is removed
/// only right before a `\n`, so a last line `"abc\r"` with no newline after it is returned
/// as `"abc\r"`. Newlines are found with `memchr`, and each byte is scanned once.
///
/// Limits: a line longer than [`max_line_len`](Self::max_line_len) (default 4 MiB, counted
/// without the line ending, exactly the bytes `next_line` would return) is an `InvalidData`
/// error carrying a [`LineTooLong`] (match it with [`LineTooLong::from_io`]); the reader
/// skips the rest of that line and goes on with the next, so one bad line costs at most
/// `max_line_len` bytes of memory, never an out-of-memory. `usize::MAX` means no limit.
/// `Interrupted` reads are retried; other read errors are returned and the next call reads
/// again.
///
/// # Examples
/// ```
/// use perfkit_buffers::LineReader;
///
/// let input: &[u8] = b"alpha\r\nbeta\n\ngamma";
/// let mut lines = LineReader::new(input);
/// let mut seen = Vec::new();
/// while let Some(line) = lines.next_line() {
///     seen.push(String::from_utf8(line?.to_vec()).unwrap());
/// }
/// assert_eq!(seen, ["alpha", "beta", "", "gamma"]);
/// assert_eq!(lines.line_number(), 4);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Start of the unread data in `buf`.
    start: usize,
    /// End of the data in `buf`.
    end: usize,
    /// Bytes of `buf[start..end]` already searched for a newline.
    scanned: usize,
    eof: bool,
    /// The stream offset of `buf[0]`: bytes read and moved out of the buffer before it.
    base: u64,
    /// The stream offset of the line last returned.
    line_offset: u64,
    /// Discarding the rest of a line that exceeded the limit.
    skipping: bool,
    line: u64,
    max_line_len: usize,
}

impl<R: Read> LineReader<R> {
    /// A reader with a 64 KiB buffer (grown as long lines need, up to the limit).
    pub fn new(inner: R) -> Self {
        Self::with_capacity(INITIAL_CAPACITY, inner)
    }

    /// A reader whose buffer starts at `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            base: 0,
            line_offset: 0,
            skipping: false,
            line: 0,
            max_line_len: DEFAULT_MAX_LINE_LEN,
        }
    }

    /// Sets the longest line accepted, in bytes without the line ending (default 4 MiB).
    #[must_use]
    pub fn max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }

    /// The number of the line last returned (1-based; 0 before the first), counting lines
    /// that were errors too: the number to put in an error message.
    #[must_use]
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// The byte offset in the stream at which the line last returned starts (0 before the
    /// first).
    #[must_use]
    pub fn line_offset(&self) -> u64 {
        self.line_offset
    }

    /// The next line with its number and byte offset, so both can go into an error message
    /// while the line is still borrowed (`line_number()` cannot be called then: the line
    /// borrows the reader).
    ///
    /// # Errors
    /// As [`next_line`](Self::next_line).
    ///
    /// # Examples
    /// ```
    /// use perfkit_buffers::LineReader;
    ///
    /// let mut lines = LineReader::new(&b"a=1\nb\n"[..]);
    /// while let Some(line) = lines.next_line_with_pos() {
    ///     let line = line?;
    ///     if !line.bytes.contains(&b'=') {
    ///         assert_eq!((line.number, line.offset), (2, 4));
    ///     }
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn next_line_with_pos(&mut self) -> Option<io::Result<Line<'_>>> {
        match self.find_line() {
            Ok(Some((from, to))) => Some(Ok(Line {
                bytes: &self.buf[from..to],
                number: self.line,
                offset: self.line_offset,
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The next line, without its line ending; `None` at the end of the input.
    ///
    /// # Errors
    /// A read error from the inner reader, or `InvalidData` for a line longer than
    /// [`max_line_len`](Self::max_line_len) (the reader then skips to the next line).
    #[inline]
    pub fn next_line(&mut self) -> Option<io::Result<&[u8]>> {
        match self.find_line() {
            Ok(Some((from, to))) => Some(Ok(&self.buf[from..to])),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// The next line as UTF-8.
    ///
    /// # Errors
    /// As [`next_line`](Self::next_line), plus `InvalidData` naming the line and the byte
    /// offset within it when the line is not valid UTF-8.
    pub fn next_str(&mut self) -> Option<io::Result<&str>> {
        let line_no = self.line + 1;
        match self.next_line()? {
            Ok(bytes) => Some(std::str::from_utf8(bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {line_no}: invalid UTF-8 at byte {}", e.valid_up_to()),
                )
            })),
            Err(e) => Some(Err(e)),
        }
    }

    /// The inner reader. Data already buffered is not in it any more, and is lost: use
    /// [`into_parts`](Self::into_parts) to keep it.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The inner reader and the bytes read from it but not yet returned as lines (a partial
    /// line included), in stream order.
    pub fn into_parts(self) -> (R, Vec<u8>) {
        let rest = self.buf[self.start..self.end].to_vec();
        (self.inner, rest)
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably. Reading from it directly skips what is buffered here.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The bytes read from the inner reader and not yet returned as lines.
    #[must_use]
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Finds the next line's range in `buf` (its `\n` or `\r\n` excluded), reading as needed.
    fn find_line(&mut self) -> io::Result<Option<(usize, usize)>> {
        loop {
            let search_from = self.start + self.scanned;
            if let Some(i) = memchr::memchr(b'\n', &self.buf[search_from..self.end]) {
                let newline = search_from + i;
                let from = self.start;
                self.start = newline + 1;
                self.scanned = 0;
                if self.skipping {
                    self.skipping = false; // the over-long line ends here; go on
                    continue;
                }
                self.line += 1;
                let to = newline - usize::from(newline > from && self.buf[newline - 1] == b'\r');
                if to - from > self.max_line_len {
                    // Found within the buffer but over the limit (the buffer can hold more than
                    // the limit when it started larger).
                    return Err(self.too_long());
                }
                self.line_offset = self.base + from as u64;
                return Ok(Some((from, to)));
            }
            self.scanned = self.end - self.start;
            if self.eof {
                if self.start == self.end || self.skipping {
                    self.start = self.end;
                    self.skipping = false;
                    return Ok(None);
                }
                let (from, to) = (self.start, self.end);
                self.start = self.end;
                self.scanned = 0;
                self.line += 1;
                if to - from > self.max_line_len {
                    return Err(self.too_long());
                }
                self.line_offset = self.base + from as u64;
                return Ok(Some((from, to)));
            }
            // +1: a line of exactly `max_line_len` may end in `\r` before its `\n` (saturating:
            // `usize::MAX` is "no limit").
            if self.end - self.start > self.max_line_len.saturating_add(1) {
                if self.skipping {
                    self.start = self.end; // keep discarding
                    self.scanned = 0;
                } else {
                    self.line += 1;
                    self.skipping = true;
                    self.start = self.end;
                    self.scanned = 0;
                    return Err(self.too_long());
                }
            }
            self.fill()?;
        }
    }

    /// Makes room and reads more data; sets `eof` when the reader is exhausted.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 && self.end == self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        } else if self.start == self.end {
            self.base += self.start as u64;
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            let limit = self.max_line_len.saturating_add(2);
            let grown = (self.buf.len() * 2).min(limit.max(self.buf.len() + 1));
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn too_long(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            LineTooLong {
                line: self.line,
                limit: self.max_line_len,
            },
        )
    }
}

/// A line from [`LineReader::next_line_with_pos`]: its bytes (without the line ending), its
/// number (1-based) and the byte offset in the stream where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The line, without its `\n` or `\r\n`.
    pub bytes: &'a [u8],
    /// Its number, counting from 1 (error lines count too).
    pub number: u64,
    /// The byte offset in the stream of its first byte.
    pub offset: u64,
}

/// The error inside the `InvalidData` [`io::Error`] that [`LineReader`] returns for a line
/// over its limit: which line, and the limit it broke.
///
/// # Examples
/// ```
/// use perfkit_buffers::{LineReader, LineTooLong};
///
/// let mut lines = LineReader::new(&b"ok\nmuch too long\nok\n"[..]).max_line_len(4);
/// assert!(lines.next_line().unwrap().is_ok());
/// let err = lines.next_line().unwrap().unwrap_err();
/// assert_eq!(LineTooLong::from_io(&err), Some(&LineTooLong { line: 2, limit: 4 }));
/// assert_eq!(err.to_string(), "line 2 is longer than the limit of 4 bytes");
/// assert_eq!(lines.next_line().unwrap().unwrap(), b"ok");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineTooLong {
    /// The line's number (1-based).
    pub line: u64,
    /// The limit, [`LineReader::max_line_len`], in bytes.
    pub limit: usize,
}

impl LineTooLong {
    /// The `LineTooLong` inside `error`, if it is one.
    #[must_use]
    pub fn from_io(error: &io::Error) -> Option<&Self> {
        error.get_ref()?.downcast_ref()
    }
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} is longer than the limit of {} bytes",
            self.line, self.limit
        )
    }
}

impl std::error::Error for LineTooLong {}

impl<R> fmt::Debug for LineReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineReader")
            .field("line", &self.line)
            .field("buffered", &(self.end - self.start))
            .field("capacity", &self.buf.len())
            .field("max_line_len", &self.max_line_len)
            .finish_non_exhaustive()
    }
}
