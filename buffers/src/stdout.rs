use std::io::{self, StdoutLock};

use crate::RecordWriter;

/// Standard output, locked once and block-buffered (256 KiB) for bulk output.
///
/// Rust's `stdout` is line-buffered even when piped to a file or another process, which costs a
/// system call per line; this writer hands it 256 KiB at a time, so the line buffer passes each
/// block straight through in one call. Call [`finish`](RecordWriter::finish) at the end to
/// flush and see any error (a closed pipe, a full disk).
///
/// # Examples
/// ```no_run
/// let mut out = perfkit_buffers::stdout();
/// for i in 0..1_000_000u64 {
///     out.write_u64(i)?;
///     out.write_bytes(b"\n")?;
/// }
/// out.finish()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn stdout() -> RecordWriter<StdoutLock<'static>> {
    RecordWriter::new(io::stdout().lock())
}
