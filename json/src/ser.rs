//! Serialization: serde_json's serializer, writing into a caller's buffer where one is given.
//! simd-json's measured within noise of it on our bench files (faster in one run, slower in
//! the next) and widens `f32` to `f64` when writing, so serde_json's stays: its output is
//! exactly what a service got before switching.

use std::io::Write;

use serde::Serialize;

use crate::error::Error;

/// Serializes `value` as compact JSON into a new `Vec`.
///
/// # Errors
/// When `value`'s `Serialize` fails (e.g. a map with non-string keys).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// Serializes `value` as compact JSON, appending to `out`: pass a `Vec` you keep between
/// calls (after `clear()`) and a warm call allocates nothing.
///
/// # Errors
/// As [`to_vec`].
pub fn to_vec_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    to_writer(out, value)
}

/// Serializes `value` as pretty-printed JSON (two-space indent) into a new `Vec`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_vec_pretty<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128);
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// Serializes `value` as compact JSON into a `String`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_vec(value).map(into_string)
}

/// Serializes `value` as pretty-printed JSON into a `String`.
///
/// # Errors
/// As [`to_vec`].
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    to_vec_pretty(value).map(into_string)
}

/// Serializes `value` as compact JSON into `writer`. The serializer makes many small writes:
/// give it a buffered writer (a `Vec`, a `BufWriter`, a
/// [`RecordWriter`](perfkit_buffers::RecordWriter)), not a bare file or socket.
///
/// # Errors
/// As [`to_vec`], plus the writer's I/O errors.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(writer: W, value: &T) -> Result<(), Error> {
    serde_json::to_writer(writer, value).map_err(ser_error)
}

/// Serializes `value` as pretty-printed JSON into `writer` (buffer it, as for [`to_writer`]).
///
/// # Errors
/// As [`to_writer`].
pub fn to_writer_pretty<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> Result<(), Error> {
    serde_json::to_writer_pretty(writer, value).map_err(ser_error)
}

fn ser_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        Error::io(e.into())
    } else {
        <Error as serde::ser::Error>::custom(e)
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    // serde_json writes only valid UTF-8; the fallback never runs but costs no `unsafe`.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
