//! Fast, safe JSON for Rust services, on simd-json: swap `serde_json::from_slice` for
//! [`perfkit_json::from_slice`](from_slice) and nothing else changes.
//!
//! # The pattern
//! The Go guide's "if JSON is the bottleneck, use a faster library". In Rust, serde's derive
//! already generates the code; what is left is SIMD parsing, reusing buffers, and not building
//! a DOM you do not need. [simd-json] (a port of simdjson) finds every structural character
//! with SIMD (stage 1), then builds a flat *tape* of nodes (stage 2); serde reads the tape.
//! It needs a mutable, padded copy of the input, and internal buffers; done naively, every
//! call allocates all of them. This crate keeps them:
//!
//! - Two engines, chosen by input size ([`ParserBuilder::stream_from`], default 0: every
//!   input is streamed):
//!   - the *streaming engine* (our own, `direct.rs`), the default, reads the caller's bytes in
//!     one pass, with no copy, no tape and no index: the input's UTF-8 is checked once
//!     (simdutf8), strings and whitespace are scanned sixteen bytes at a time (SSE2; strings
//!     32 with AVX2 in a native build) and strings borrowed where they have no escapes, an
//!     ignored value is validated and skipped without converting anything (an ignored
//!     number's end read off SIMD masks of its bytes), floats are correctly rounded by
//!     Eisel-Lemire on the digits already scanned. Its working memory is one scratch buffer
//!     (the longest string with escapes), whatever the input, so a 100 MB body costs what
//!     serde_json's costs (the tape path took about 3x that). It is also the faster of the
//!     two on every bench file, typed, few fields and DOM (level on a few fields of
//!     twitter.json), and on large bodies (the tape's passes over memory stop fitting the
//!     caches).
//!   - below `stream_from`, [`from_slice`] copies the input into a per-thread padded buffer
//!     (the caller's bytes are never modified) and parses with per-thread simd-json buffers
//!     and tape, so a warm call allocates only what `T` itself owns; its buffers hold about
//!     five times the input. [`Parser::parse_document`] always reads the tape.
//!
//!   `T` may borrow from the input as with serde_json on both: a `&str` (or
//!   `#[serde(borrow)] Cow<str>`) gets the input's own bytes where the string has no escapes.
//!   [`Parser`] is the same without the thread-local, with limits: nesting depth (default
//!   1024), input size, and the size from which to stream.
//! - [`from_mut_slice`] parses in place, with strings borrowed from the input: zero copy.
//! - Three DOMs: [`Value`] (serde_json's own `Value`, built straight from the tape, so it
//!   indexes, prints and orders keys as serde_json's; `preserve_order` is serde_json's
//!   feature), [`BorrowedValue`] (strings borrow the parser's buffer),
//!   and [`Document`], the tape itself: no allocation per value, the fastest way to read a few
//!   fields out of a large document.
//! - [`NdjsonReader`] / [`NdjsonWriter`]: newline-delimited records on perfkit-buffers'
//!   `LineReader` and `RecordWriter`, every error naming its line.
//! - Typed parsing of the tape is our own serde deserializer too: a field the type
//!   does not name is skipped in O(1) (the tape stores each container's node count), where
//!   simd-json's deserializer walks it node by node.
//! - [`Error`] says what and where, as serde_json says it: when the fast path rejects an
//!   input, serde_json re-reads it (the cold path: bad input pays, good input does not), and
//!   the error gets its kind (`Eof` for truncated input), message, line and column (a byte
//!   column, as serde_json counts), plus the byte offset they point at. Limit errors are ours.
//! - Serialization ([`to_vec`], [`to_vec_into`], [`to_writer`], [`to_string`]) is our own
//!   compact serializer: serde_json's bytes for every value (the same integer and shortest
//!   round-trip float printers, itoa and zmij, the same escapes), appended to a `Vec` with the
//!   characters to escape found sixteen bytes at a time (the same scan as the streaming
//!   engine's), short strings and keys stored without a `memcpy` call, and [`to_writer`]
//!   hands the writer 64 KiB blocks instead of one write per token.
//! - Floats are correctly rounded (simd-json's parser on the tape, Eisel-Lemire in the
//!   streaming engine, which also rounds an `f32` once, from the decimal, where serde_json
//!   rounds to `f64` first; an `f32` read from the tape, by [`from_mut_slice`] or a
//!   [`Parser`] whose `stream_from` is above the input's size, is rounded from its `f64`, as
//!   serde_json's is); serde_json's default parser is one
//!   ulp off on about 11% of canada.json's numbers (`examples/cmp_floats.rs` counts them).
//!
//! simd-json picks its SIMD implementation at run time (AVX2, SSE4.2, NEON, or a portable
//! fallback), so the crate runs on any x86_64 CPU and on other architectures.
//!
//! # When to use it
//! Services that parse many or large JSON documents into typed structs or read a few fields
//! out of big documents; NDJSON logs and streams.
//!
//! # When not to
//! - Tiny documents (a few hundred bytes): the bench suite measures none; the streaming
//!   engine has no copy or set-up, but its lead comes from long strings, skipped values and
//!   numbers, so expect little over serde_json.
//! - A DOM ([`parse_value`]) of a float-heavy document (canada.json): it is streamed into
//!   serde_json's `Value` by serde_json's own visitor, no faster than serde_json's by much,
//!   and slower than the tape's builder on the same file (which knows each array's length);
//!   read such documents typed, with [`Parser::parse_document`], or with a [`Parser`] whose
//!   `stream_from` is above their size.
//! - Streaming a document larger than memory: this parses whole inputs (up to 4 GiB).
//! - Pretty-printed output: that is serde_json's serializer (our own writes compact JSON only).
//!
//! # Conformance
//! Every `y_` case of JSONTestSuite parses, every `n_` case is rejected with an error, and
//! every `i_` case returns without panicking (`tests/conformance.rs`; see there for counts).
//!
//! Verdicts and values follow serde_json's (`tests/verdicts.rs` checks each against it):
//! integers beyond 64 bits read as `f64` (or into a `u128`/`i128` exactly), `-0` is the
//! float `-0.0`, what a type ignores is skipped as serde_json skips it (an out-of-range float
//! such as `1e400`, invalid UTF-8 inside a string), and numeric map keys take the JSON number
//! grammar only (`"+1"` and `"01"` are refused).
//! When the fast path rejects a typed input, serde_json is asked, and its value is returned
//! where it accepts (a cold path, paid only by such inputs). Known differences:
//! - Nesting is limited to [`MAX_DEPTH`] (1024; serde_json's default limit is 128), so
//!   that a hostile document cannot overflow the stack; a deeper limit is refused.
//! - The tape DOMs ([`Document`], [`BorrowedValue`]) read `-0` as the integer 0.
//! - Errors of [`from_mut_slice`] carry the exact byte offset but no line or column: the
//!   in-place parse has rewritten the input by then.
//!
//! # Measured
#![doc = include_str!("../MEASURED.md")]
//!
//! # Example
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Request<'a> { user: &'a str, ids: Vec<u64> }
//!
//! #[derive(Debug, Deserialize)]
//! struct Owned { user: String, ids: Vec<u64> }
//!
//! let body = br#"{"user": "ada", "ids": [1, 2, 3], "trace": {"skipped": true}}"#;
//!
//! // Typed, borrowing from the input as serde_json's `from_slice` does:
//! let req: Request<'_> = perfkit_json::from_slice(body)?;
//! assert_eq!(req.user, "ada");
//!
//! // Typed and owned, the input untouched:
//! let req: Owned = perfkit_json::from_slice(body)?;
//! assert_eq!((req.user.as_str(), req.ids.len()), ("ada", 3));
//!
//! // In place, borrowing strings from the buffer:
//! let mut buf = body.to_vec();
//! let req: Request<'_> = perfkit_json::from_mut_slice(&mut buf)?;
//! assert_eq!(req.user, "ada");
//!
//! // Errors say where:
//! let err = perfkit_json::from_slice::<Owned>(br#"{"user": "ada", "ids": [1, "2"]}"#).unwrap_err();
//! assert!(err.is_data());
//! assert_eq!((err.line(), err.column()), (Some(1), Some(30)));
//!
//! // And back:
//! assert_eq!(perfkit_json::to_string(&req.ids)?, "[1,2,3]");
//! # Ok::<(), perfkit_json::Error>(())
//! ```
//!
//! [simd-json]: https://docs.rs/simd-json
// `unsafe` in three places, each block measured and justified where it stands: `de.rs`
// (`Copied::borrow`: one UTF-8 check per input, not per string), `scan.rs` (the vector
// loads of the string scan) and `ser/escape.rs` (short strings stored whole into reserved
// space).
#![deny(unsafe_code)]

mod de;
mod direct;
mod error;
mod float;
mod ndjson;
mod parser;
mod pow5;
mod scan;
mod ser;
mod value;

use std::cell::RefCell;
use std::io::Read;

use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use error::{Error, ErrorKind};
pub use ndjson::{NdjsonReader, NdjsonWriter};
pub use parser::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_INPUT, DEFAULT_RETAIN_INPUT, DEFAULT_STREAM_FROM, MAX_DEPTH,
    Parser, ParserBuilder,
};
pub use ser::{
    to_string, to_string_pretty, to_vec, to_vec_into, to_vec_pretty, to_writer, to_writer_pretty,
};
pub use value::{BorrowedValue, Document, TapeValue, Value};

/// The traits that read and build [`BorrowedValue`]s and [`TapeValue`]s (`get`,
/// `as_str`, `as_u64`, `as_array`, `insert`, ...): simd-json's `value_trait` prelude.
pub mod prelude {
    pub use simd_json::prelude::*;
}

/// Builds a [`Value`] from JSON-like syntax (serde_json's `json!`).
pub use serde_json::json;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
}

/// Runs `f` with this thread's parser; with a fresh one if it is busy (a `Deserialize` impl
/// that parses JSON itself) or gone (called from a thread-local destructor).
fn with_parser<R>(f: impl FnOnce(&mut Parser) -> R) -> R {
    let mut f = Some(f);
    let ran = PARSER.try_with(|p| match p.try_borrow_mut() {
        Ok(mut parser) => Some((f.take().expect("not yet run"))(&mut parser)),
        Err(_) => None,
    });
    match ran {
        Ok(Some(r)) => r,
        _ => (f.take().expect("not yet run"))(&mut Parser::new()),
    }
}

/// Parses `input` into a `T`, leaving `input` unchanged, on this thread's reused buffers.
/// `T` may borrow from `input`, as with serde_json: strings without escapes are borrowed
/// (into `&str`, `#[serde(borrow)] Cow<str>`), strings with escapes are not (a `&str` is
/// then an error, "expected a borrowed string"). One difference, no serde_json user should
/// meet: a struct's own field names are visited as owned strings, never borrowed (a
/// `Deserialize` that wants them borrowed reads the struct as a map, as `#[serde(flatten)]`
/// does, and gets them borrowed).
///
/// Memory: every input is streamed ([`DEFAULT_STREAM_FROM`] is 0), with no copy and no tape:
/// the working memory is the longest string with escapes, which the thread's parser keeps (up
/// to 4 MiB). Use a [`Parser`] of your own to choose.
///
/// # Errors
/// A syntax error (byte offset, line, column), a data error (the JSON does not fit `T`; line
/// and column), or a limit error (nesting deeper than 1024, input over 256 MiB).
pub fn from_slice<'a, T: Deserialize<'a>>(input: &'a [u8]) -> Result<T, Error> {
    with_parser(|p| p.parse(input))
}

/// Parses `input` into a `T`, as [`from_slice`].
///
/// # Errors
/// As [`from_slice`].
pub fn from_str<'a, T: Deserialize<'a>>(input: &'a str) -> Result<T, Error> {
    from_slice(input.as_bytes())
}

/// Parses `input` in place into a `T` that may borrow strings from it (zero copy); `input` is
/// modified (strings are unescaped where they stand).
///
/// # Errors
/// As [`from_slice`]; data errors carry no line or column.
pub fn from_mut_slice<'a, T: Deserialize<'a>>(input: &'a mut [u8]) -> Result<T, Error> {
    with_parser(|p| p.parse_in_place(input))
}

/// Reads `reader` to the end into this thread's reused read buffer (at most the input limit,
/// 256 MiB) and parses it into a `T`. Give it the reader as it is: it reads in large blocks, so
/// a `BufReader` around a file only adds a copy.
///
/// # Errors
/// As [`from_slice`], plus read errors and [`ErrorKind::SizeLimit`] for a longer input.
pub fn from_reader<R: Read, T: DeserializeOwned>(reader: R) -> Result<T, Error> {
    with_parser(|p| p.parse_reader(reader))
}

/// Parses `input` into an owned DOM [`Value`] on this thread's reused buffers.
///
/// # Errors
/// As [`from_slice`], without data errors.
pub fn parse_value(input: &[u8]) -> Result<Value, Error> {
    with_parser(|p| p.parse_value(input))
}

/// Converts `value` into a [`Value`] (serde_json's `to_value`).
///
/// # Errors
/// When `value`'s `Serialize` fails, or a map has keys that are not strings.
pub fn to_value<T: serde::Serialize>(value: T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(Error::from_serde_json)
}

/// Interprets a [`Value`] as a `T` (serde_json's `from_value`).
///
/// # Errors
/// When the value does not fit `T`: serde_json's error, with its classification.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(Error::from_serde_json)
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
