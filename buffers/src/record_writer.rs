use std::fmt;
use std::io::{self, IoSlice, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

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
/// # What a caller can rely on when writes fail
/// Every write call (`write_bytes`, `write_str`, the number writers, `write_all_vectored`,
/// and `io::Write::write`/`write_all`) handles its bytes as one record:
/// - `Ok`: the writer has the whole record. It is in the output, or buffered, or (when the
///   inner writer failed after taking part of a record larger than the buffer) its unwritten
///   tail is kept and written before any later byte. The output never holds part of a record
///   followed by another record.
/// - `Err`: none of the record was written or kept; the output and the buffer are as before
///   the call, so retrying the call writes it once. (`io::Write::write` thus returns an error
///   only when it wrote nothing, as the `Write` contract asks.)
///
/// What was accepted but not yet written is [`buffered`](Self::buffered); if the inner writer
/// never recovers, [`finish`](Self::finish) fails with [`FinishError::unwritten`]: exactly
/// the bytes missing from the output, a torn record's tail first.
///
/// Dropping a writer that still holds data tries to flush it; if that fails, or if an earlier
/// write failed and left data behind, the loss is printed to standard error with the byte
/// count, because a destructor cannot return an error. Call `finish` to handle it yourself.
/// A drop never panics: a panicking inner writer is not called again (std's `BufWriter` does
/// the same), and a closed standard error is ignored.
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
    /// The unwritten tail of a record larger than the buffer, kept when the inner writer
    /// failed part-way through it; written before `buf`. Empty (unallocated) otherwise.
    spill: Vec<u8>,
    /// Set while the inner writer runs: if it panicked, `drop` does not call it again.
    panicked: bool,
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
            spill: Vec::new(),
            panicked: false,
        }
    }

    fn take_inner(&mut self) -> W {
        self.inner.take().expect(PRESENT)
    }

    /// Writes `bytes` (buffered), as one record (see [what a caller can rely on](Self#what-a-caller-can-rely-on-when-writes-fail)).
    ///
    /// # Errors
    /// An error of the inner writer while flushing a full buffer; then none of `bytes` was
    /// written or kept.
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
            self.write_direct(&mut [IoSlice::new(bytes)])
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

    /// Writes all of `bufs` in order, as one record: copied into the buffer if they fit,
    /// otherwise the buffer is flushed and the slices go to the inner writer with
    /// `write_vectored` (one system call for a header and a body on files and sockets), looping
    /// over partial writes.
    ///
    /// # Errors
    /// An error of the inner writer (`WriteZero` if it accepts no bytes) before any byte of
    /// `bufs` was written; then none of them was written or kept.
    pub fn write_all_vectored(&mut self, bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total <= self.buf.len() - self.len {
            for b in bufs.iter() {
                self.buf[self.len..self.len + b.len()].copy_from_slice(b);
                self.len += b.len();
            }
            return Ok(());
        }
        self.flush_buf()?;
        self.write_direct(bufs)
    }

    /// Writes a record straight to the inner writer (the buffer is empty). If the writer
    /// fails after taking part of it, the rest is kept in `spill` and the record counts as
    /// accepted; if it fails before taking any, the error is returned and nothing is kept.
    fn write_direct(&mut self, mut bufs: &mut [IoSlice<'_>]) -> io::Result<()> {
        debug_assert!(self.len == 0 && self.spill.is_empty());
        IoSlice::advance_slices(&mut bufs, 0);
        let mut written = 0;
        while !bufs.is_empty() {
            let Some(inner) = self.inner.as_mut() else {
                unreachable!("{PRESENT}")
            };
            self.panicked = true;
            let result = inner.write_vectored(bufs);
            self.panicked = false;
            let error = match result {
                Ok(0) => io::Error::new(io::ErrorKind::WriteZero, "the writer accepted no bytes"),
                Ok(n) => {
                    written += n;
                    IoSlice::advance_slices(&mut bufs, n);
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            if written == 0 {
                return Err(error);
            }
            // Part of the record is out: keep the rest, to be written before anything else.
            for b in bufs.iter() {
                self.spill.extend_from_slice(b);
            }
            return Ok(());
        }
        Ok(())
    }

    /// Bytes accepted and not yet written (buffered, or a torn record's kept tail).
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.spill.len() + self.len
    }

    /// The inner writer.
    #[must_use]
    pub fn get_ref(&self) -> &W {
        match &self.inner {
            Some(inner) => inner,
            None => unreachable!("{PRESENT}"),
        }
    }

    /// The inner writer, mutably. Writing to it directly puts those bytes before what is
    /// still buffered.
    pub fn get_mut(&mut self) -> &mut W {
        match &mut self.inner {
            Some(inner) => inner,
            None => unreachable!("{PRESENT}"),
        }
    }

    /// The buffer's size in bytes.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Flushes the buffer and the inner writer, then returns the inner writer.
    ///
    /// # Errors
    /// A [`FinishError`] with the I/O error, the writer, and the bytes not written.
    pub fn finish(mut self) -> Result<W, FinishError<W>> {
        let result = self.flush_buf().and_then(|()| self.flush_inner());
        let unwritten = self.take_pending();
        let writer = self.take_inner();
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
        let pending = self.take_pending();
        (self.take_inner(), pending)
    }

    /// Everything accepted and not written, in output order; leaves the writer empty.
    fn take_pending(&mut self) -> Vec<u8> {
        let mut pending = std::mem::take(&mut self.spill);
        pending.extend_from_slice(&self.buf[..self.len]);
        self.len = 0;
        pending
    }

    fn flush_inner(&mut self) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        self.panicked = true;
        let result = inner.flush();
        self.panicked = false;
        result
    }

    /// Writes the kept tail, then the buffer, keeping what could not be written at the front.
    fn flush_buf(&mut self) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(());
        };
        if !self.spill.is_empty() {
            let (written, result) = write_out(inner, &mut self.panicked, &self.spill);
            self.spill.drain(..written);
            result?;
            self.spill = Vec::new(); // a torn record's tail can be large: free it
        }
        let (written, result) = write_out(inner, &mut self.panicked, &self.buf[..self.len]);
        self.buf.copy_within(written..self.len, 0);
        self.len -= written;
        result
    }
}

/// Writes `data` to `inner` until done or an error (retrying `Interrupted`); returns the bytes
/// written. `panicked` is set while `inner` runs.
fn write_out<W: Write>(inner: &mut W, panicked: &mut bool, data: &[u8]) -> (usize, io::Result<()>) {
    let mut written = 0;
    while written < data.len() {
        *panicked = true;
        let result = inner.write(&data[written..]);
        *panicked = false;
        match result {
            Ok(0) => {
                let e = io::Error::new(io::ErrorKind::WriteZero, "the writer accepted no bytes");
                return (written, Err(e));
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Err(e)),
        }
    }
    (written, Ok(()))
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
        self.flush_inner()
    }
}

impl<W: Write> Drop for RecordWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_none() || self.buffered() == 0 || self.panicked {
            return;
        }
        // The inner writer is user code and may panic: a destructor must not.
        let problem = match catch_unwind(AssertUnwindSafe(|| self.flush_buf())) {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(payload) => {
                if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                    std::mem::forget(again);
                }
                "the inner writer panicked".to_owned()
            }
        };
        // Not `eprintln!`, which panics when standard error is closed.
        let _ = writeln!(
            io::stderr().lock(),
            "perfkit_buffers::RecordWriter dropped with {} bytes it could not write: {problem} \
             (call finish() to handle write errors)",
            self.buffered()
        );
    }
}

impl<W: Write> fmt::Debug for RecordWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordWriter")
            .field("buffered", &self.buffered())
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

/// Says how many bytes were lost; the I/O error itself is the [`source`](std::error::Error::source),
/// not repeated here, so that error reporters that print the chain print it once.
impl<W> fmt::Display for FinishError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "finishing the writer failed ({} bytes not written)",
            self.unwritten.len()
        )
    }
}

impl<W> std::error::Error for FinishError<W> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The I/O error, its message followed by the count of bytes not written.
impl<W> From<FinishError<W>> for io::Error {
    fn from(e: FinishError<W>) -> io::Error {
        io::Error::new(
            e.error.kind(),
            format!("{} ({} bytes not written)", e.error, e.unwritten.len()),
        )
    }
}
