//! Buffered I/O for services: read lines without an allocation per line, write records without
//! losing an error, and reuse scratch buffers instead of allocating them per request.
//!
//! # The patterns
//! The Go guide's "buffered I/O reduces system calls; pre-allocate and reuse buffers". `std`
//! already has `BufReader` and `BufWriter`; this crate is what every service writes again on
//! top of them:
//!
//! - [`LineReader`]: lines of any `Read` into one reused buffer (`memchr` finds the newlines,
//!   each byte is scanned once), `\n` and `\r\n`, a last line without a newline, a line-length
//!   limit that turns a runaway line into an error naming its line number (not an
//!   out-of-memory), and `&str` access whose UTF-8 errors name the line and byte.
//! - [`RecordWriter`]: a `BufWriter` whose [`finish`](RecordWriter::finish) returns the error
//!   with the writer and the unwritten bytes (std's `BufWriter` drops a flush error on drop),
//!   that reports a loss on drop instead of hiding it, and that writes integers and floats
//!   without `format!` (`itoa`, `ryu`) and header + body pairs with one vectored call.
//! - [`BufferPool`]: `bytes::BytesMut` buffers in 4 KiB, 64 KiB and 1 MiB classes on
//!   `perfkit_pool`, returned on drop, [`freeze`](PooledBuffer::freeze)-able into `Bytes`.
//! - [`stdout()`]: a locked, block-buffered standard output: Rust's stdout is line-buffered even
//!   into a pipe or file, one system call per line.
//!
//! Everything works over any `Read`/`Write`: files, sockets, `&[u8]`, `Vec<u8>`.
//!
//! # When to use it
//! Many small reads or writes against the kernel: log and NDJSON files, line protocols, CSV
//! exports, bulk output to stdout; handlers that need a large scratch buffer per request.
//!
//! # When not to bother
//! - The sink is already buffered (a `Vec<u8>`, a `BufWriter`, a compressor with its own
//!   buffer): a second buffer only copies.
//! - A few large writes: one `write_all` of a ready buffer is already one system call.
//! - Whole files that fit in memory: `std::fs::read` and a `memchr` loop beat any line API.
//! - Small scratch buffers (under a few KiB): the allocator's per-thread cache serves them
//!   about as fast as a pool.
//!
//! # Measured
#![doc = include_str!("../MEASURED.md")]
//!
//! # Example
//! ```
//! use perfkit_buffers::{LineReader, RecordWriter};
//!
//! // Sum the second column of a CSV, writing a report line per row.
//! let input: &[u8] = b"a,1\nb,22\r\nc,333";
//! let mut rows = LineReader::new(input).max_line_len(1 << 20);
//! let mut out = RecordWriter::new(Vec::new());
//! let mut total = 0u64;
//! while let Some(row) = rows.next_str() {
//!     let row = row?;
//!     let (name, value) = row.split_once(',').expect("two columns");
//!     let value: u64 = value.parse().expect("a number");
//!     total += value;
//!     out.write_str(name)?;
//!     out.write_bytes(b"=")?;
//!     out.write_u64(value)?;
//!     out.write_bytes(b"\n")?;
//! }
//! assert_eq!(total, 356);
//! assert_eq!(out.finish()?, b"a=1\nb=22\nc=333\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod buffer_pool;
mod line_reader;
mod record_writer;
mod stdout;

pub use buffer_pool::{BufferPool, ClassReset, PooledBuffer, SIZE_CLASSES};
pub use line_reader::{DEFAULT_MAX_LINE_LEN, Line, LineReader, LineTooLong};
pub use record_writer::{DEFAULT_CAPACITY, FinishError, RecordWriter};
pub use stdout::stdout;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
