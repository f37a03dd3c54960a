use std::fmt;
use std::io::{self, IoSlice, Write};

/// The writer is `None` only inside the consuming `finish` and `into_parts`.
const PRESENT: &str = "the writer is present until finish or into_parts";

/// Default buffer size of a [`RecordWriter`]: 256 KiB. Writing a file here, 256 KiB writes
/// measured about 1.2x the throughput of 64 KiB ones (fewer, larger `write` calls into the page
/// cache; see the `write` group, which has `BufWriter` at both sizes). With many writers alive
/// at once (one per connection), choose a smaller one with
/// [`with_capacity`](RecordWriter::with_capacity).
pub const DEFAULT_CAPACITY: usize = 256 << 10;

/// A buffered writer that never loses an error: like `std::io::BufWriter`, but
/// [`finish`](Self::finish) flushes and returns either the inner writer or the error *with*
/// the writer, and dropping it with unflushed data is reported instead of silently ignored.
///
/// It also writes numbers without `format!` ([`write_u64`](Self::write_u64),
/// [`write_i64`](Self::write_i64), [`write_f64`](Self::write_f64), via `itoa` and `ryu`) and
/// writes header + body pairs in one call ([`write_all_vectored`](Self::write_all_vectored)).
///
/// Writes smaller than the buffer are copied into it; a write that does not fit flushes the
/// buffer first, and a write at least as large as the buffer goes straight to the inner writer.
/// `Interrupted` is retried everywhere.
///
/// Dropping a writer that still holds data tries to flush it; if that fails, or if an earlier
/// write failed and left data behind, the loss is printed to standard error with the byte
/// count, because a destructor cannot return an error. Call `finish` to handle it yourself.
///
/// # Examples
/// ```
/// use perfkit_buffers::RecordWriter;
///
/// let mut out = RecordWriter::new(Vec::new());
/// for id in [7u64, 42] {
///     out.write_bytes(b"id=")?;
///     out.write_u64(id)?;
///     out.write_bytes(b" score=")?;
///     out.write_f64(0.5)?;
///     out.write_bytes(b"\n")?;
/// }
/// let bytes = out.finish()?;
/// assert_eq!(bytes, b"id=7 score=0.5\nid=42 score=0.5\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RecordWriter<W: Write> {
    /// `None` only after `finish` or `into_parts` took it.
    inner: Option<W>,
    /// A fixed buffer; `buf[..len]` holds the data not yet written.
    buf: Box<[u8]>,
    len: usize,
}

/// The error of [`RecordWriter::finish`]: what went wrong, the writer, and the bytes that
/// could not be written, so nothing is lost silently.
pub struct FinishError<W> {
    error: io::Error,
    writer: W,
    unwritten: Vec<u8>,
}

impl<W: Write> RecordWriter<W> {
    /// A writer with a [`DEFAULT_CAPACITY`] (256 KiB) buffer.
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A writer with a buffer of `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        Self {
            inner: Some(inner),
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            len: 0,
        }
    }

    fn inner_mut(&mut self) -> &mut W {
        self.inner.as_mut().expect(PRESENT)
    }

    fn take_inner(&mut self) -> W {
        self.inner.take().expect(PRESENT)
    }

    /// Writes `bytes` (buffered).
    ///
    /// # Errors
    /// An error of the inner writer while flushing a full buffer.
    #[inline]
    pub fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let spare = &mut self.buf[self.len..];
        if bytes.len() <= spare.len() {
            spare[..bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
            Ok(())
        } else {
            self.write_bytes_cold(bytes)
        }
    }

    #[cold]
    fn write_bytes_cold(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.flush_buf()?;
        if bytes.len() >= self.buf.len() {
            self.inner_mut().write_all(bytes)
        } else {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
            Ok(())
        }
    }

    /// Writes `s` (buffered).
    ///
    /// # Errors
    /// As [`write_bytes`](Self::write_bytes).
    #[inline]
    pub fn write_str(&mut self, s: &str) -> io::Result<()> {
        self.write_bytes(s.as_bytes())
    }

    /// Writes `n` in decimal, without `format!`.
    ///
    /// # Errors
    /// As [`write_bytes`](Self::write_bytes).
    #[inline]
    pub fn write_u64(&mut self, n: u64) -> io::Result<()> {
        self.write_bytes(itoa::Buffer::new().format(n).as_bytes())
    }

    /// Writes `n` in decimal, without `format!`.
    ///
    /// # Errors
    /// As [`write_bytes`](Self::write_bytes).
    #[inline]
    pub fn write_i64(&mut self, n: i64) -> io::Result<()> {
        self.write_bytes(itoa::Buffer::new().format(n).as_bytes())
    }

    /// Writes `x` in the shortest form that reads back exactly (`ryu`); `NaN`, `inf` and
    /// `-inf` for the non-finite values.
    ///
    /// # Errors
    /// As [`write_bytes`](Self::write_bytes).
    #[inline]
    pub fn write_f64(&mut self, x: f64) -> io::Result<()> {
        if x.is_finite() {
            self.write_bytes(ryu::Buffer::new().format_finite(x).as_bytes())
        } else if x.is_nan() {
            self.write_bytes(b"NaN")
        } else if x > 0.0 {
            self.write_bytes(b"inf")
        } else {
            self.write_bytes(b"-inf")
        }
    }

    /// Writes all of `bufs` in order: copied into the buffer if they fit, otherwise the buffer
    /// is flushed and the slices go to the inner writer with `write_vectored` (one system call
    /// for a header and a body on files and sockets), looping over partial writes.
    ///
    /// # Errors
    /// An error of the inner writer; `WriteZero` if it accepts no bytes.
    pub fn write_all_vectored(&mut self, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total <= self.buf.len() - self.len {
            for b in bufs.iter() {
                self.buf[self.len..self.len + b.len()].copy_from_slice(b);
                self.len += b.len();
            }
            return Ok(());
        }
        self.flush_buf()?;
        IoSlice::advance_slices(&mut bufs, 0);
        while !bufs.is_empty() {
            match self.inner_mut().write_vectored(bufs) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted no bytes",
                    ));
                }
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Bytes buffered and not yet written.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.len
    }

    /// The inner writer.
    #[must_use]
    pub fn get_ref(&self) -> &W {
        match &self.inner {
            Some(inner) => inner,
            None => unreachable!("{PRESENT}"),
        }
    }

    /// Flushes the buffer and the inner writer, then returns the inner writer.
    ///
    /// # Errors
    /// A [`FinishError`] with the I/O error, the writer, and the bytes not written.
    pub fn finish(mut self) -> Result<W, FinishError<W>> {
        let result = self.flush_buf().and_then(|()| self.inner_mut().flush());
        let writer = self.take_inner();
        let unwritten = self.buf[..self.len].to_vec();
        self.len = 0;
        match result {
            Ok(()) => Ok(writer),
            Err(error) => Err(FinishError {
                error,
                writer,
                unwritten,
            }),
        }
    }

    /// The inner writer and the bytes still buffered, without writing them.
    pub fn into_parts(mut self) -> (W, Vec<u8>) {
        let writer = self.take_inner();
        let pending = self.buf[..self.len].to_vec();
        self.len = 0;
        (writer, pending)
    }

    /// Writes the buffer out, keeping what could not be written at its front.
    fn flush_buf(&mut self) -> io::Result<()> {
        let mut written = 0;
        let result = loop {
            if written == self.len {
                break Ok(());
            }
            let Some(inner) = self.inner.as_mut() else {
                break Ok(());
            };
            match inner.write(&self.buf[written..self.len]) {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the writer accepted no bytes",
                    ));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.copy_within(written..self.len, 0);
        self.len -= written;
        result
    }
}

impl<W: Write> Write for RecordWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_bytes(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write_bytes(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.inner_mut().flush()
    }
}

impl<W: Write> Drop for RecordWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_none() || self.len == 0 {
            return;
        }
        if let Err(e) = self.flush_buf() {
            eprintln!(
                "perfkit_buffers::RecordWriter dropped with {} bytes it could not write: {e} \
                 (call finish() to handle write errors)",
                self.len
            );
        }
    }
}

impl<W: Write> fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("buffered", &self.len)
            .field("capacity", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl<W> FinishError<W> {
    /// The I/O error.
    pub fn error(&self) -> &io::Error {
        &self.error
    }

    /// The writer, the error and the bytes that were not written.
    pub fn into_parts(self) -> (io::Error, W, Vec<u8>) {
        (self.error, self.writer, self.unwritten)
    }

    /// The bytes that were not written.
    #[must_use]
    pub fn unwritten(&self) -> &[u8] {
        &self.unwritten
    }
}

impl<W> fmt::Debug for FinishError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinishError")
            .field("error", &self.error)
            .field("unwritten", &self.unwritten.len())
            .finish_non_exhaustive()
    }
}

impl<W> fmt::Display for FinishError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes not written)",
            self.error,
            self.unwritten.len()
        )
    }
}

impl<W> std::error::Error for FinishError<W> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<W> From<FinishError<W>> for io::Error {
    fn from(e: FinishError<W>) -> io::Error {
        io::Error::new(e.error.kind(), e.to_string())
    }
}
